// Keyboard shortcuts and the commands they (and the toolbar) run.

import { shortcutsDialog, closeMenus } from "../dialogs.js";
import { commandFor, SHORTCUTS } from "../shortcuts.js";

export class KeyboardController {
  /** @param {import("../app.js").WebmailApp} app */
  constructor(app) {
    this.app = app;
  }


  /** @param {string} name */
  async command(name) {
    const core = this.app.core;
    if (!core && name !== "help" && name !== "escape") return;
    switch (name) {
      case "next":
      case "previous":
      case "extend-next":
      case "extend-previous":
        return this.moveFocus(name.endsWith("next") ? 1 : -1, name.startsWith("extend"));
      case "open": {
        const uid = core?.selection.focus;
        if (uid !== null && uid !== undefined) this.app.reading.openMessage(uid, true);
        return;
      }
      case "delete":
        return this.app.actions.deleteSelected();
      case "archive":
        return this.app.actions.withSelection("Archiving", (uids) => core?.archive(uids));
      case "flag":
        return this.app.actions.toggleFlag(this.app.actions.selected());
      case "read":
        return this.app.actions.toggleRead(this.app.actions.selected());
      case "mark-read":
        return this.app.actions.withSelection("Marking as read", (uids) => core?.setFlag(uids, "\\Seen", true));
      case "mark-unread":
        return this.app.actions.withSelection("Marking as unread", (uids) => core?.setFlag(uids, "\\Seen", false));
      case "select-all":
        if (core) {
          core.selection.all(core.list);
          this.app.grid.refresh();
          this.app.listPane.updateToolbar();
        }
        return;
      case "compose":
        return this.app.composing.open("new");
      case "reply":
      case "reply-all":
      case "forward":
        // They answer the message open in the reader, as its buttons do.
        if (!this.app.reading.message) return;
        return this.app.composing.open(name === "reply" ? "reply" : name === "reply-all" ? "replyAll" : "forward");
      case "search":
        this.app.searchInput.focus();
        this.app.searchInput.select();
        return;
      case "help":
        return shortcutsDialog(SHORTCUTS);
      case "escape":
        return this.escape();
      default:
    }
  }


  /** @param {number} delta @param {boolean} extend */
  moveFocus(delta, extend) {
    const core = this.app.core;
    if (!core) return;
    const uid = core.selection.move(core.list, delta, { extend });
    if (uid === null) return;
    this.app.grid.scrollToIndex(core.list.indexOf(uid));
    this.app.grid.refresh();
    this.app.listPane.updateToolbar();
    this.app.grid.element.focus({ preventScroll: true });
    clearTimeout(this.app.followTimer);
    // On wide screens the reading pane follows the cursor; on narrow ones Enter opens.
    if (!extend && !this.app.shell.classList.contains("narrow")) {
      this.app.followTimer = setTimeout(() => this.app.reading.openMessage(uid, false), FOLLOW_MS);
    }
  }


  escape() {
    if (this.app.layer.querySelector(".menu")) return closeMenus();
    if (this.app.core?.list.query || this.app.searchInput.value) return this.app.listPane.clearSearch();
    if (this.app.reader.uid !== null) return this.app.reading.closeReader();
    if (this.app.view === "folders") this.app.setView("list");
  }



  /** @param {KeyboardEvent} event */
  keydown(event) {
    if (this.app.shell.dataset.signedIn !== "true") return;
    const target = /** @type {Element} */ (event.composedPath()[0]);
    const typing = target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
    if (target.closest?.("[role=tree], [role=menu], dialog") && event.key !== "?" && event.key !== "/") return;
    const command = commandFor(event, { typing });
    if (!command) return;
    // Arrow keys and Enter belong to buttons and links that have focus.
    const onControl = target instanceof HTMLButtonElement || target instanceof HTMLAnchorElement;
    if (onControl && ["open", "next", "previous", "extend-next", "extend-previous"].includes(command) && !["j", "k", "o"].includes(event.key)) return;
    if (typing && command === "escape" && target !== this.app.searchInput) return;
    event.preventDefault();
    this.command(command);
  }
}

/** Opening follows the keyboard after this pause, so holding j does not fetch every message. */
const FOLLOW_MS = 120;
