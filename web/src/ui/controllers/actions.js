// Acting on the selected messages: delete, flag, read, move and copy, with undo and error notices.

import { confirmDialog, openMenu } from "../dialogs.js";
import { plural } from "../../core/mail-core.js";
import { actionMessage } from "../../core/errors.js";

export class ActionsController {
  /** @param {import("../app.js").WebmailApp} app */
  constructor(app) {
    this.app = app;
  }


  // ------------------------------------------------------------------ actions

  /** The selected UIDs in display order. */
  selected() {
    const core = this.app.core;
    return core ? core.selection.ordered(core.list) : [];
  }


  async deleteSelected() {
    const core = this.app.core;
    const uids = this.selected();
    if (!core || uids.length === 0) return;
    const { permanent } = core.deletePlan();
    if (permanent) {
      const ok = await confirmDialog({
        title: `Delete ${plural(uids.length, "message")} for good?`,
        text: `${uids.length === 1 ? "This message" : "These messages"} will be removed from the server. This cannot be undone.`,
        confirm: "Delete for good",
      });
      if (!ok) return;
    }
    await this.withSelection("Deleting", (list) => core.deleteMessages(list));
  }


  /** @param {number[]} uids */
  async toggleFlag(uids) {
    const core = this.app.core;
    if (!core || uids.length === 0) return;
    const flagged = uids.every((uid) => core.list.summary(uid)?.flags.includes("\\Flagged"));
    await this.act(flagged ? "Removing the flag" : "Flagging", () => core.setFlag(uids, "\\Flagged", !flagged));
    this.app.listPane.updateToolbar();
  }


  /** @param {number[]} uids */
  async toggleRead(uids) {
    const core = this.app.core;
    if (!core || uids.length === 0) return;
    const read = uids.every((uid) => core.list.summary(uid)?.flags.includes("\\Seen"));
    await this.act(read ? "Marking as unread" : "Marking as read", () => core.setFlag(uids, "\\Seen", !read));
  }


  /**
   * Runs an action on the selection, then selects the row that took the first
   * removed row's place, as mail clients do after a delete.
   * @param {string} what
   * @param {(uids: number[]) => Promise<unknown> | undefined} action
   */
  async withSelection(what, action) {
    const core = this.app.core;
    const uids = this.selected();
    if (!core || uids.length === 0) return;
    const firstIndex = Math.min(...uids.map((uid) => core.list.indexOf(uid)));
    const wasOpen = this.app.reader.uid !== null && uids.includes(this.app.reader.uid);
    const ok = await this.act(what, () => action(uids));
    if (!ok || core.list.indexOf(uids[0]) !== -1) return;
    if (wasOpen) this.app.reading.closeReader();
    const next = core.list.uids[Math.min(firstIndex, core.list.length - 1)];
    if (next === undefined) return;
    core.selection.click(core.list, next);
    this.app.grid.scrollToIndex(core.list.indexOf(next));
    this.app.grid.refresh();
    this.app.listPane.updateToolbar();
    if (wasOpen && !this.app.shell.classList.contains("narrow")) this.app.reading.openMessage(next, false);
  }


  /**
   * @param {HTMLElement} anchor
   * @param {boolean} copy
   */
  folderPicker(anchor, copy) {
    const core = this.app.core;
    if (!core || this.selected().length === 0) return;
    openMenu(
      anchor,
      core.folders.map((folder) => ({
        label: folder.name,
        depth: folder.depth,
        disabled: !folder.selectable || folder.path === core.list.path,
        action: () => this.withSelection(copy ? "Copying" : "Moving", (uids) => core.moveMessages(uids, folder.path, { copy })),
      })),
      copy ? "Copy to folder" : "Move to folder",
    );
  }


  /**
   * Runs an action, reporting a failure as a notice. Returns whether it worked.
   * @param {string} what e.g. "Moving the messages"
   * @param {() => Promise<unknown> | undefined} action
   */
  async act(what, action) {
    try {
      await action();
      return true;
    } catch (error) {
      this.failed(what, error);
      return false;
    }
  }


  /** @param {string} what @param {unknown} error */
  failed(what, error) {
    this.app.toasts.show({ text: actionMessage(what, /** @type {any} */ (error)), error: true }, () => {});
  }
}
