// The message list: rows clicked, the toolbar state, sorting, conversations and search.

import { h } from "../dom.js";
import { plural } from "../../core/mail-core.js";
import { count } from "../../core/format.js";

export class ListController {
  /** @param {import("../app.js").WebmailApp} app */
  constructor(app) {
    this.app = app;
  }



  /** @param {{uid: number, toggle?: boolean, range?: boolean, quiet?: boolean}} detail */
  rowClicked({ uid, toggle = false, range = false, quiet = false }) {
    const core = this.app.core;
    if (!core) return;
    core.selection.click(core.list, uid, { toggle, range });
    this.app.grid.refresh();
    this.updateToolbar();
    if (quiet) return;
    if (!toggle && !range) this.app.reading.openMessage(uid, true);
    this.app.grid.element.focus({ preventScroll: true });
  }


  updateToolbar() {
    const core = this.app.core;
    if (!core) return;
    core.selection.retain(core.list);
    const uids = [...core.selection.selected];
    const none = uids.length === 0;
    for (const button of Object.values(this.app.actionButtons)) button.toggleAttribute("disabled", none);
    const flagged = !none && uids.every((uid) => core.list.summary(uid)?.flags.includes("\\Flagged"));
    const label = flagged ? "Unflag" : "Flag";
    this.app.actionButtons.flag.setAttribute("aria-label", label);
    this.app.actionButtons.flag.title = label;
    this.app.actionButtons.flag.querySelector(".label")?.replaceChildren(label);
    this.app.actionButtons.flag.setAttribute("aria-pressed", String(flagged));
    this.app.selectionCount.textContent = uids.length > 1 ? `${count(uids.length)} selected` : "";
  }


  sortChanged() {
    const core = this.app.core;
    if (!core) return;
    const reverse = this.app.orderButton.getAttribute("aria-pressed") === "true";
    this.app.grid.scrollToTop();
    this.app.actions.act("Sorting", () => core.list.sortBy({ sort: /** @type {any} */ (this.app.sortSelect.value), reverse }));
  }


  orderToggled() {
    const reverse = this.app.orderButton.getAttribute("aria-pressed") !== "true";
    this.app.orderButton.setAttribute("aria-pressed", String(reverse));
    this.app.orderButton.setAttribute("aria-label", reverse ? "Newest first" : "Oldest first");
    this.app.orderButton.title = reverse ? "Newest first" : "Oldest first";
    this.sortChanged();
  }


  threadToggled() {
    const core = this.app.core;
    if (!core) return;
    const threaded = this.app.threadButton.getAttribute("aria-pressed") !== "true";
    this.app.threadButton.setAttribute("aria-pressed", String(threaded));
    this.app.sortSelect.disabled = threaded;
    this.app.grid.scrollToTop();
    this.app.actions.act("Grouping conversations", () => core.list.setThreaded(threaded));
  }


  /** @param {SubmitEvent} event */
  async searchSubmitted(event) {
    event.preventDefault();
    const core = this.app.core;
    const text = this.app.searchInput.value.trim();
    if (!core) return;
    if (!text) return this.clearSearch();
    const field = this.app.searchField.value;
    const label = SEARCH_FIELDS.find(([value]) => value === field)?.[1] ?? "All";
    this.app.reading.closeReader();
    core.selection.clear();
    this.app.grid.scrollToTop();
    await this.app.actions.act("Searching", async () => {
      await core.list.search({ [field]: text });
      this.app.searchStatus.hidden = false;
      this.app.searchStatus.replaceChildren(
        h("span", { role: "status" }, `${plural(core.list.length, "result")} for “${text}”${field === "text" ? "" : ` in ${label}`}`),
        h("button", { type: "button", class: "ghost", onclick: () => this.clearSearch() }, "Clear search"),
      );
    });
  }


  async clearSearch() {
    const core = this.app.core;
    this.app.searchInput.value = "";
    this.app.searchStatus.hidden = true;
    if (core?.list.query) {
      this.app.grid.scrollToTop();
      await this.app.actions.act("Clearing the search", () => core.list.search(null));
    }
  }
}

/** "Received" (UID order) first: it is known from SELECT, so a huge folder shows at once. */
export const SORTS = [
  ["uid", "Received"],
  ["date", "Date"],
  ["from", "Sender"],
  ["subject", "Subject"],
  ["size", "Size"],
];

export const SEARCH_FIELDS = [
  ["text", "All"],
  ["from", "From"],
  ["to", "To"],
  ["subject", "Subject"],
  ["body", "Body"],
];
