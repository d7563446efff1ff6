// The folder pane: an ARIA tree of folders with unread counts, collapsible,
// a drop target for dragged messages. Emits `open-folder`, `drop-messages`
// and `folder-menu`.

import { h, icon, emit } from "./dom.js";
import { ICONS, folderIcon } from "./icons.js";

/** MIME type of dragged message rows. */
export const DRAG_TYPE = "application/x-webmail-uids";

const COLLAPSED_KEY = "webmail.collapsedFolders";

export class FolderTree {
  constructor() {
    /** @type {Set<string>} */
    this.collapsed = new Set(readCollapsed());
    this.current = null;
    /** @type {import("../core/folders.js").FolderNode[]} */
    this.roots = [];
    this.list = h("ul", { role: "tree", "aria-label": "Folders", class: "tree", onkeydown: (event) => this.keydown(event) });
    this.element = this.list;
  }

  /**
   * @param {import("../core/folders.js").FolderNode[]} roots
   * @param {string | null} current the open folder
   */
  update(roots, current) {
    const focused = this.list.querySelector("[role=treeitem]:focus")?.getAttribute("data-path");
    this.roots = roots;
    this.current = current;
    this.list.replaceChildren(...roots.map((node) => this.item(node)));
    const active = this.find(focused ?? current) ?? this.items()[0];
    if (active) active.tabIndex = 0;
    if (focused && active) active.focus();
  }

  /** @param {string | null | undefined} path */
  find(path) {
    if (!path) return null;
    return this.items().find((item) => item.getAttribute("data-path") === path) ?? null;
  }

  /** The tree's items, in document order. @returns {HTMLElement[]} */
  items() {
    return [.../** @type {NodeListOf<HTMLElement>} */ (this.list.querySelectorAll("[role=treeitem]"))];
  }

  /** @param {import("../core/folders.js").FolderNode} node */
  item(node) {
    const hasChildren = node.children.length > 0;
    const expanded = hasChildren ? !this.collapsed.has(node.path) : undefined;
    const unseen = node.unseen ?? 0;
    const row = h(
      "div",
      {
        class: "tree-row",
        style: { paddingInlineStart: `${0.5 + node.depth * 1.1}rem` },
        onclick: (event) => {
          event.stopPropagation();
          if (event.target instanceof Element && event.target.closest(".twisty")) this.toggle(node.path);
          else if (node.selectable) emit(this.element, "open-folder", { path: node.path });
        },
        oncontextmenu: (event) => {
          event.preventDefault();
          emit(this.element, "folder-menu", { path: node.path, x: event.clientX, y: event.clientY });
        },
        ondragover: (event) => this.dragOver(event, node),
        ondragleave: () => row.classList.remove("drop"),
        ondrop: (event) => this.drop(event, node, row),
      },
      hasChildren
        ? h("span", { class: "twisty", "aria-hidden": "true" }, icon(ICONS.chevron))
        : h("span", { class: "twisty-space", "aria-hidden": "true" }),
      icon(folderIcon(node.role)),
      h("span", { class: "folder-name" }, node.name),
      unseen > 0 ? h("span", { class: "count", "aria-hidden": "true" }, unseen.toLocaleString()) : null,
    );
    const children = hasChildren ? h("ul", { role: "group", hidden: !expanded }, node.children.map((child) => this.item(child))) : null;
    return h(
      "li",
      {
        role: "treeitem",
        "aria-label": node.name,
        "aria-description": unseen > 0 ? `${unseen} unread` : null,
        "aria-level": node.depth + 1,
        "aria-selected": String(node.path === this.current),
        "aria-expanded": expanded === undefined ? null : String(expanded),
        "aria-disabled": node.selectable ? null : "true",
        "data-path": node.path,
        "data-role": node.role,
        tabindex: "-1",
        class: node.path === this.current ? "current" : null,
      },
      row,
      children,
    );
  }

  /** @param {string} path */
  toggle(path) {
    if (this.collapsed.has(path)) this.collapsed.delete(path);
    else this.collapsed.add(path);
    writeCollapsed([...this.collapsed]);
    const focused = this.list.querySelector("[role=treeitem]:focus");
    this.update(this.roots, this.current);
    if (focused) this.find(path)?.focus();
  }

  /** Tree keys of the WAI-ARIA tree pattern. @param {KeyboardEvent} event */
  keydown(event) {
    const item = /** @type {HTMLElement | null} */ (event.target instanceof Element ? event.target.closest("[role=treeitem]") : null);
    if (!item) return;
    const visible = this.items().filter((element) => !element.closest("[role=group][hidden]"));
    const index = visible.indexOf(item);
    const path = item.getAttribute("data-path") ?? "";
    const moveTo = (target) => {
      if (!target) return;
      for (const element of visible) element.tabIndex = -1;
      target.tabIndex = 0;
      target.focus();
    };
    switch (event.key) {
      case "ArrowDown":
        moveTo(visible[index + 1]);
        break;
      case "ArrowUp":
        moveTo(visible[index - 1]);
        break;
      case "Home":
        moveTo(visible[0]);
        break;
      case "End":
        moveTo(visible[visible.length - 1]);
        break;
      case "ArrowRight":
        if (item.getAttribute("aria-expanded") === "false") this.toggle(path);
        else if (item.getAttribute("aria-expanded") === "true") moveTo(visible[index + 1]);
        break;
      case "ArrowLeft":
        if (item.getAttribute("aria-expanded") === "true") this.toggle(path);
        else moveTo(item.parentElement?.closest("[role=treeitem]"));
        break;
      case "Enter":
      case " ":
        if (item.getAttribute("aria-disabled") !== "true") emit(this.element, "open-folder", { path, focusList: true });
        break;
      case "ContextMenu": {
        const box = item.getBoundingClientRect();
        emit(this.element, "folder-menu", { path, x: box.left + 24, y: box.bottom });
        break;
      }
      default:
        return;
    }
    event.preventDefault();
    event.stopPropagation();
  }

  /** @param {DragEvent} event @param {import("../core/folders.js").FolderNode} node */
  dragOver(event, node) {
    if (!node.selectable || node.path === this.current || !event.dataTransfer?.types.includes(DRAG_TYPE)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = event.ctrlKey || event.altKey || event.metaKey ? "copy" : "move";
    /** @type {HTMLElement} */ (event.currentTarget).classList.add("drop");
  }

  /** @param {DragEvent} event @param {import("../core/folders.js").FolderNode} node @param {HTMLElement} row */
  drop(event, node, row) {
    row.classList.remove("drop");
    const data = event.dataTransfer?.getData(DRAG_TYPE);
    if (!data || !node.selectable || node.path === this.current) return;
    event.preventDefault();
    const uids = JSON.parse(data);
    if (!Array.isArray(uids) || !uids.every(Number.isInteger)) return;
    const copy = event.dataTransfer?.dropEffect === "copy" || event.ctrlKey || event.altKey || event.metaKey;
    emit(this.element, "drop-messages", { path: node.path, uids, copy });
  }
}

function readCollapsed() {
  try {
    const value = JSON.parse(localStorage.getItem(COLLAPSED_KEY) ?? "[]");
    return Array.isArray(value) ? value.filter((item) => typeof item === "string") : [];
  } catch {
    return [];
  }
}

/** @param {string[]} paths */
function writeCollapsed(paths) {
  try {
    localStorage.setItem(COLLAPSED_KEY, JSON.stringify(paths));
  } catch {
    // Storage full or disabled: the tree still works, it just forgets.
  }
}
