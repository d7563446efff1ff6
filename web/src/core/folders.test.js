import { test } from "node:test";
import assert from "node:assert/strict";
import { buildTree, flatten, findRole, childPath, invalidFolderName } from "./folders.js";

const mailbox = (path, extra = {}) => ({
  path,
  name: path.split("/").pop(),
  delimiter: "/",
  flags: [],
  specialUse: null,
  subscribed: true,
  children: false,
  selectable: true,
  status: null,
  ...extra,
});

test("special-use folders come first in a fixed order, the rest by name, children nested", () => {
  const tree = buildTree([
    mailbox("Zeta"),
    mailbox("Trash", { specialUse: "\\Trash" }),
    mailbox("Archive/2024"),
    mailbox("INBOX", { status: { messages: 10, unseen: 3 } }),
    mailbox("Alpha"),
    mailbox("Archive", { specialUse: "\\Archive" }),
    mailbox("Sent Items", { specialUse: "\\Sent" }),
  ]);
  assert.deepEqual(
    tree.map((node) => node.name),
    ["Inbox", "Sent Items", "Archive", "Trash", "Alpha", "Zeta"],
  );
  const archive = tree.find((node) => node.path === "Archive");
  assert.deepEqual(archive.children.map((node) => [node.name, node.depth]), [["2024", 1]]);
  assert.equal(tree[0].unseen, 3);
  assert.equal(tree[0].role, "\\Inbox");
});

test("well-known names count as special use only at the top level", () => {
  const tree = buildTree([mailbox("Junk"), mailbox("Projects"), mailbox("Projects/Trash")]);
  assert.equal(findRole(tree, "\\Junk")?.path, "Junk");
  assert.equal(findRole(tree, "\\Trash"), null);
});

test("a missing parent is made up, unselectable, so its children still show", () => {
  const tree = buildTree([mailbox("INBOX"), mailbox("Lists/Rust/Announce")]);
  const names = flatten(tree).map((node) => `${"-".repeat(node.depth)}${node.name}:${node.selectable}`);
  assert.deepEqual(names, ["Inbox:true", "Lists:false", "-Rust:false", "--Announce:true"]);
});

test("new folder paths use the parent's delimiter; bad names are explained", () => {
  const [parent] = buildTree([mailbox("Projects")]);
  assert.equal(childPath("Büro", parent, "/"), "Projects/Büro");
  assert.equal(childPath("Top", null, "."), "Top");
  assert.equal(invalidFolderName("  ", "/"), "Enter a folder name.");
  assert.match(invalidFolderName("a/b", "/"), /cannot contain “\/”/);
  assert.match(invalidFolderName("50%", "/"), /cannot contain \*, %/);
  assert.equal(invalidFolderName("Reports 2025", "/"), null);
});
