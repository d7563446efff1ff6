// The folder pane: opening a folder, its title and count, and what can be done to a folder.

import { confirmDialog, nameDialog, openMenu } from "../dialogs.js";
import { plural } from "../../core/mail-core.js";
import { invalidFolderName } from "../../core/folders.js";
import { count } from "../../core/format.js";

export class FoldersController {
  /** @param {import("../app.js").WebmailApp} app */
  constructor(app) {
    this.app = app;
  }


  // ------------------------------------------------------------------ folders

  /** @param {string} path @param {boolean} [focusList] */
  async openFolder(path, focusList = false) {
    const core = this.app.core;
    if (!core) return;
    this.app.reading.closeReader();
    this.app.searchInput.value = "";
    this.app.searchStatus.hidden = true;
    this.app.grid.scrollToTop();
    this.app.setView("list");
    try {
      await core.openFolder(path);
      if (focusList) this.app.grid.element.focus({ preventScroll: true });
    } catch (error) {
      this.app.actions.failed(`Opening ${core.folder(path)?.name ?? path}`, error);
    }
  }


  folderChanged() {
    const core = this.app.core;
    if (!core) return;
    const folder = core.list.path ? core.folder(core.list.path) : null;
    this.app.folderTitle.textContent = folder?.name ?? "";
    this.updateFolderCount();
    this.app.grid.setEmptyText(folder ? `${folder.name} is empty` : "No messages");
    this.app.tree.update(core.tree, core.list.path);
    this.app.listPane.updateToolbar();
  }


  /** "1,234 messages, 12 unread" for the open folder, from the freshest counts. */
  updateFolderCount() {
    const core = this.app.core;
    if (!core?.info) {
      this.app.folderCount.textContent = "";
      return;
    }
    const folder = core.list.path ? core.folder(core.list.path) : null;
    const total = core.list.query || core.list.loading ? (folder?.total ?? core.info.exists) : core.list.length;
    const unseen = folder?.unseen ?? core.info.unseen;
    this.app.folderCount.textContent = `${plural(total, "message")}${unseen ? `, ${count(unseen)} unread` : ""}`;
  }


  /**
   * @param {string} path
   * @param {{x: number, y: number} | HTMLElement} at
   */
  folderMenu(path, at) {
    const core = this.app.core;
    const folder = core?.folder(path);
    if (!core || !folder) return;
    const inbox = folder.role === "\\Inbox";
    const emptiable = folder.role === "\\Trash" || folder.role === "\\Junk";
    openMenu(
      at,
      [
        { label: "Open", action: () => this.openFolder(path, true), disabled: !folder.selectable },
        { label: "Mark all as read", action: () => this.app.actions.act("Marking the folder read", () => core.markFolderRead(path)), disabled: !folder.selectable },
        { label: "New subfolder…", action: () => this.createFolder(path) },
        { label: "Rename…", action: () => this.renameFolder(path), disabled: inbox },
        emptiable ? { label: `Empty ${folder.name}…`, action: () => this.emptyFolder(path), danger: true } : null,
        { label: "Delete folder…", action: () => this.deleteFolder(path), disabled: inbox, danger: true },
      ].filter((item) => item !== null),
      `Actions for ${folder.name}`,
    );
  }


  /** @param {string | null} parent */
  async createFolder(parent) {
    const core = this.app.core;
    if (!core) return;
    const options = [{ value: "", label: "Top level" }, ...core.folders.map((folder) => ({ value: folder.path, label: `${"  ".repeat(folder.depth)}${folder.name}` }))];
    const answer = await nameDialog({
      title: "New folder",
      label: "Folder name",
      confirm: "Create",
      validate: (name) => invalidFolderName(name, core.delimiter),
      choices: { label: "Inside", options },
    });
    if (!answer) return;
    const chosen = parent ?? answer.choice;
    await this.app.actions.act("Creating the folder", () => core.createFolder(answer.value, chosen || null));
  }


  /** @param {string} path */
  async renameFolder(path) {
    const core = this.app.core;
    const folder = core?.folder(path);
    if (!core || !folder) return;
    const answer = await nameDialog({ title: `Rename ${folder.name}`, label: "New name", value: folder.name, confirm: "Rename", validate: (name) => invalidFolderName(name, core.delimiter) });
    if (!answer || answer.value === folder.name) return;
    await this.app.actions.act("Renaming the folder", () => core.renameFolder(path, answer.value));
  }


  /** @param {string} path */
  async deleteFolder(path) {
    const core = this.app.core;
    const folder = core?.folder(path);
    if (!core || !folder) return;
    const messages = folder.total ? ` and the ${plural(folder.total, "message")} in it` : "";
    const sub = folder.children.length ? `, its ${plural(folder.children.length, "subfolder")}` : "";
    const ok = await confirmDialog({ title: `Delete ${folder.name}?`, text: `This deletes the folder “${folder.name}”${sub}${messages}. It cannot be undone.`, confirm: "Delete folder" });
    if (ok) await this.app.actions.act("Deleting the folder", () => core.deleteFolder(path));
  }


  /** @param {string} path */
  async emptyFolder(path) {
    const core = this.app.core;
    const folder = core?.folder(path);
    if (!core || !folder) return;
    const what = folder.total === null ? "All messages" : `All ${plural(folder.total, "message")}`;
    const ok = await confirmDialog({
      title: `Empty ${folder.name}?`,
      text: `${what} in ${folder.name} will be deleted for good. This cannot be undone.`,
      confirm: `Empty ${folder.name}`,
    });
    if (ok) {
      this.app.reading.closeReader();
      await this.app.actions.act(`Emptying ${folder.name}`, () => core.emptyFolder(path));
    }
  }
}
