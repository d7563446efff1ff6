// The folder hierarchy from a LIST: a tree with special-use folders first.

/** Display order and icon of the special-use folders. */
export const SPECIAL_USES = ["\\Inbox", "\\Drafts", "\\Sent", "\\Archive", "\\Junk", "\\Trash", "\\All", "\\Flagged"];

/** Names servers use for folders they do not mark as special-use. */
const WELL_KNOWN = new Map([
  ["inbox", "\\Inbox"],
  ["drafts", "\\Drafts"],
  ["sent", "\\Sent"],
  ["sent items", "\\Sent"],
  ["sent messages", "\\Sent"],
  ["archive", "\\Archive"],
  ["junk", "\\Junk"],
  ["spam", "\\Junk"],
  ["trash", "\\Trash"],
  ["deleted items", "\\Trash"],
  ["deleted messages", "\\Trash"],
]);

/**
 * @typedef {object} FolderNode
 * @property {string} path full name, for the API
 * @property {string} name what the user sees
 * @property {string | null} delimiter
 * @property {string | null} role special use ("\\Inbox", "\\Trash"...) or null
 * @property {boolean} selectable
 * @property {number | null} unseen
 * @property {number | null} total
 * @property {number} depth 0 for top-level folders
 * @property {FolderNode[]} children
 */

/**
 * Builds the tree from `listMailboxes()`. Parents the server does not list
 * (a `\NonExistent` gap) are made up as unselectable nodes so nothing is lost.
 * @param {import("../../pkg/client_wasm.js").Mailbox[]} mailboxes
 * @returns {FolderNode[]}
 */
export function buildTree(mailboxes) {
  /** @type {Map<string, FolderNode>} */
  const byPath = new Map();
  const roots = [];
  const sorted = [...mailboxes].sort((a, b) => a.path.localeCompare(b.path));
  const nodeFor = (mailbox) => {
    const topLevel = !mailbox.delimiter || !mailbox.path.includes(mailbox.delimiter);
    const role = mailbox.specialUse || (topLevel ? WELL_KNOWN.get(mailbox.name.toLowerCase()) : null) || null;
    return {
      path: mailbox.path,
      name: mailbox.path.toUpperCase() === "INBOX" ? "Inbox" : mailbox.name,
      delimiter: mailbox.delimiter,
      role: mailbox.path.toUpperCase() === "INBOX" ? "\\Inbox" : role,
      selectable: mailbox.selectable,
      unseen: mailbox.status?.unseen ?? null,
      total: mailbox.status?.messages ?? null,
      depth: 0,
      children: [],
    };
  };
  for (const mailbox of sorted) {
    const node = nodeFor(mailbox);
    byPath.set(node.path, node);
  }
  const attach = (node) => {
    const cut = node.delimiter ? node.path.lastIndexOf(node.delimiter) : -1;
    if (cut <= 0) {
      roots.push(node);
      return;
    }
    parentOf(node.path.slice(0, cut), node.delimiter).children.push(node);
  };
  const parentOf = (path, delimiter) => {
    let parent = byPath.get(path);
    if (!parent) {
      const name = path.slice(path.lastIndexOf(delimiter) + 1);
      parent = nodeFor({ path, name, delimiter, selectable: false, specialUse: null, status: null });
      byPath.set(path, parent);
      attach(parent);
    }
    return parent;
  };
  for (const node of [...byPath.values()]) attach(node);
  sortLevel(roots, true);
  setDepth(roots, 0);
  return roots;
}

/** Special-use folders first in a fixed order (top level only), then by name. */
function sortLevel(nodes, topLevel) {
  const rank = (node) => {
    const index = topLevel && node.role ? SPECIAL_USES.indexOf(node.role) : -1;
    return index === -1 ? SPECIAL_USES.length : index;
  };
  nodes.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
  for (const node of nodes) sortLevel(node.children, false);
}

function setDepth(nodes, depth) {
  for (const node of nodes) {
    node.depth = depth;
    setDepth(node.children, depth + 1);
  }
}

/**
 * Every node, depth first, in display order.
 * @param {FolderNode[]} roots
 * @returns {FolderNode[]}
 */
export function flatten(roots) {
  const out = [];
  const walk = (nodes) => {
    for (const node of nodes) {
      out.push(node);
      walk(node.children);
    }
  };
  walk(roots);
  return out;
}

/**
 * The folder with a special use, e.g. `findRole(tree, "\\Trash")`.
 * @param {FolderNode[]} roots
 * @param {string} role
 */
export function findRole(roots, role) {
  return flatten(roots).find((node) => node.role === role && node.selectable) ?? null;
}

/**
 * The full path of a new folder under `parent` (or at the top level).
 * @param {string} name
 * @param {FolderNode | null} parent
 * @param {string | null} delimiter the server's hierarchy delimiter
 */
export function childPath(name, parent, delimiter) {
  return parent ? `${parent.path}${parent.delimiter ?? delimiter ?? "/"}${name}` : name;
}

/**
 * Whether `name` can be a folder name: not empty, no delimiter, not only dots.
 * Returns the reason it cannot, or null.
 * @param {string} name
 * @param {string | null} delimiter
 */
export function invalidFolderName(name, delimiter) {
  const trimmed = name.trim();
  if (!trimmed) return "Enter a folder name.";
  if (delimiter && trimmed.includes(delimiter)) return `A folder name cannot contain “${delimiter}”.`;
  if (/^\.+$/.test(trimmed)) return "A folder name cannot be only dots.";
  if (/[\u0000-\u001f*%]/.test(trimmed)) return "A folder name cannot contain *, % or control characters.";
  return null;
}
