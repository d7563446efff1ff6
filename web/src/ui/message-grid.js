// The message list: an ARIA grid that keeps only the visible rows in the DOM,
// recycles them while scrolling, and asks the list for summaries of the rows
// on screen. Rows have one fixed height, so nothing shifts as summaries arrive.
// Emits `select-row`, `toggle-flag`, `toggle-read` and `open-row`.

import { h, icon, emit } from "./dom.js";
import { ICONS } from "./icons.js";
import { DRAG_TYPE } from "./folder-tree.js";
import { shortDate, byteSize, addressName } from "../core/format.js";

/** Row height in CSS pixels; message-grid.css uses the same value. */
export const ROW_HEIGHT = 60;
/** Rows rendered above and below the viewport. */
const OVERSCAN = 8;
/** Summaries are fetched this many rows beyond the viewport, so short scrolls find them ready. */
const PREFETCH = 40;
/** During a fling, fetching waits until scrolling pauses this long, so no fetches queue up for rows already gone. */
const FETCH_DELAY_MS = 40;
/** Slower than this many screens a second, rows are fetched while scrolling (at most every FETCH_EVERY_MS). */
const STEADY_SCREENS_PER_SECOND = 8;
const FETCH_EVERY_MS = 100;

export class MessageGrid {
  constructor() {
    this.sizer = h("div", { class: "sizer", role: "rowgroup" });
    this.empty = h("p", { class: "empty", hidden: true });
    this.element = h(
      "div",
      {
        class: "grid",
        role: "grid",
        "aria-label": "Messages",
        "aria-multiselectable": "true",
        "aria-rowcount": "0",
        tabindex: "0",
        onscroll: () => this.scrolled(),
        onclick: (event) => this.click(event),
        ondblclick: (event) => this.doubleClick(event),
        ondragstart: (event) => this.dragStart(event),
      },
      this.sizer,
      this.empty,
    );
    /** @type {Map<number, HTMLElement>} rows in the DOM by index */
    this.rows = new Map();
    /** @type {HTMLElement[]} detached rows kept for reuse */
    this.spare = [];
    /** @type {import("../core/message-list.js").MessageList | null} */
    this.list = null;
    /** @type {import("../core/selection.js").Selection | null} */
    this.selection = null;
    this.frame = 0;
    this.fetchTimer = undefined;
    this.viewport = 0;
    this.emptyText = "No messages";
    /** Set when a new order arrives, until its first loaded rows are on screen. */
    this.awaitingRows = false;
    /** Where and when the last scroll event was, and when rows were last fetched. */
    this.lastScroll = { top: 0, time: 0 };
    this.lastFetch = 0;
    new ResizeObserver(() => {
      this.viewport = this.element.clientHeight;
      this.schedule();
    }).observe(this.element);
  }

  /**
   * @param {import("../core/message-list.js").MessageList} list
   * @param {import("../core/selection.js").Selection} selection
   */
  attach(list, selection) {
    this.list = list;
    this.selection = selection;
    list.addEventListener("change", () => this.changed());
    list.addEventListener("rows", () => this.refresh());
  }

  /** The order or length changed: resize, re-key every row. */
  changed() {
    const length = this.list?.length ?? 0;
    this.sizer.style.height = `${length * ROW_HEIGHT}px`;
    this.element.setAttribute("aria-rowcount", String(length));
    this.empty.hidden = length > 0 || Boolean(this.list?.loading);
    this.empty.textContent = this.emptyText;
    this.awaitingRows = length > 0;
    for (const row of this.rows.values()) row.dataset.key = "";
    this.schedule();
    this.fetchVisible(0);
  }

  /** @param {string} text shown when there are no rows */
  setEmptyText(text) {
    this.emptyText = text;
    this.empty.textContent = text;
  }

  /** Summaries, flags or the selection changed: redraw rows that differ. */
  refresh() {
    this.schedule();
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  scrolled() {
    this.schedule();
    const now = performance.now();
    const top = this.element.scrollTop;
    const pixelsPerSecond = (Math.abs(top - this.lastScroll.top) * 1000) / Math.max(1, now - this.lastScroll.time);
    this.lastScroll = { top, time: now };
    const steady = pixelsPerSecond < (this.viewport || this.element.clientHeight) * STEADY_SCREENS_PER_SECOND;
    if (steady && now - this.lastFetch >= FETCH_EVERY_MS) this.fetchVisible(0);
    else this.fetchVisible(FETCH_DELAY_MS);
  }

  /** @param {number} delay */
  fetchVisible(delay) {
    clearTimeout(this.fetchTimer);
    this.fetchTimer = setTimeout(() => {
      if (!this.list) return;
      this.lastFetch = performance.now();
      const [first, last] = this.visibleRange();
      // The rows on screen first, in their own FETCH; the rows around them in a
      // second one, pipelined behind it, so the server answers the visible ones sooner.
      this.list.ensureRange(first, last).catch(() => {});
      this.list.ensureRange(first - PREFETCH, last + PREFETCH).catch(() => {});
    }, delay);
  }

  /** Rows `[first, last)` on screen. */
  visibleRange() {
    const top = this.element.scrollTop;
    const height = this.viewport || this.element.clientHeight;
    const first = Math.floor(top / ROW_HEIGHT);
    const last = Math.ceil((top + height) / ROW_HEIGHT);
    return [first, Math.min(last, this.list?.length ?? 0)];
  }

  render() {
    const list = this.list;
    const selection = this.selection;
    if (!list || !selection) return;
    const [visibleFirst, visibleLast] = this.visibleRange();
    const first = Math.max(0, visibleFirst - OVERSCAN);
    const last = Math.min(list.length, visibleLast + OVERSCAN);
    for (const [index, row] of this.rows) {
      if (index < first || index >= last) {
        this.rows.delete(index);
        row.remove();
        this.spare.push(row);
      }
    }
    const now = new Date();
    const focused = selection.focus;
    for (let index = first; index < last; index += 1) {
      let row = this.rows.get(index);
      if (!row) {
        row = this.spare.pop() ?? this.createRow();
        row.dataset.key = "";
        row.style.transform = `translateY(${index * ROW_HEIGHT}px)`;
        this.rows.set(index, row);
        this.sizer.append(row);
      }
      const uid = list.uids[index];
      const summary = list.summary(uid);
      const key = `${uid}|${summary ? summary.flags.join(",") : "-"}|${selection.has(uid)}|${focused === uid}|${list.depths?.[index] ?? 0}`;
      if (row.dataset.key === key) continue;
      row.dataset.key = key;
      row.style.transform = `translateY(${index * ROW_HEIGHT}px)`;
      this.fill(row, index, uid, summary, now);
      if (summary && this.awaitingRows) {
        this.awaitingRows = false;
        performance.mark("webmail:first-rows");
      }
    }
    if (focused !== null && this.rows.has(list.indexOf(focused))) {
      this.element.setAttribute("aria-activedescendant", `msg-${focused}`);
    } else {
      this.element.removeAttribute("aria-activedescendant");
    }
  }

  createRow() {
    const row = h(
      "div",
      { role: "row", class: "row", draggable: "true" },
      h("span", { role: "gridcell", class: "cell-status" }, h("button", { class: "dot", tabindex: "-1", "data-action": "toggle-read" })),
      h("span", { role: "gridcell", class: "cell-from" }),
      h("span", { role: "gridcell", class: "cell-date" }),
      h("span", { role: "gridcell", class: "cell-subject" }),
      h("span", { role: "gridcell", class: "cell-meta" }, h("span", { class: "clip" }), h("span", { class: "size" })),
      h("span", { role: "gridcell", class: "cell-flag" }, h("button", { class: "star", tabindex: "-1", "data-action": "toggle-flag" }, icon(ICONS.star))),
    );
    return row;
  }

  /**
   * @param {HTMLElement} row
   * @param {number} index
   * @param {number} uid
   * @param {import("../core/message-list.js").MessageSummary | undefined} summary
   * @param {Date} now
   */
  fill(row, index, uid, summary, now) {
    const selected = this.selection?.has(uid) ?? false;
    row.id = `msg-${uid}`;
    row.dataset.uid = String(uid);
    row.setAttribute("aria-rowindex", String(index + 1));
    row.setAttribute("aria-selected", String(selected));
    row.classList.toggle("focus", this.selection?.focus === uid);
    const [status, from, date, subject, meta, flag] = /** @type {HTMLElement[]} */ ([...row.children]);
    const depth = Math.min(this.list?.depths?.[index] ?? 0, 8);
    row.style.setProperty("--depth", String(depth));
    if (!summary) {
      row.classList.add("loading");
      row.classList.remove("unread", "flagged", "answered");
      row.setAttribute("aria-label", "Loading message");
      from.textContent = "";
      subject.textContent = "";
      date.textContent = "";
      meta.children[0].textContent = "";
      meta.children[1].textContent = "";
      status.firstElementChild?.setAttribute("aria-label", "");
      return;
    }
    row.classList.remove("loading");
    const unread = !summary.flags.includes("\\Seen");
    const flagged = summary.flags.includes("\\Flagged");
    row.classList.toggle("unread", unread);
    row.classList.toggle("flagged", flagged);
    row.classList.toggle("answered", summary.flags.includes("\\Answered"));
    const sender = addressName(summary.envelope.from[0]) || "(unknown sender)";
    const title = summary.envelope.subject || "(no subject)";
    const when = shortDate(summary.envelope.date ?? summary.internalDate, now);
    from.textContent = sender;
    from.title = summary.envelope.from[0]?.address ?? "";
    subject.textContent = title;
    date.textContent = when;
    meta.children[0].replaceChildren(summary.hasAttachments ? icon(ICONS.paperclip) : "");
    meta.children[0].setAttribute("aria-label", summary.hasAttachments ? "has attachments" : "");
    meta.children[1].textContent = byteSize(summary.size);
    status.firstElementChild?.setAttribute("aria-label", unread ? "Mark as read" : "Mark as unread");
    status.firstElementChild?.setAttribute("title", unread ? "Unread" : "Read");
    flag.firstElementChild?.setAttribute("aria-label", flagged ? "Unflag" : "Flag");
    flag.firstElementChild?.setAttribute("aria-pressed", String(flagged));
    const states = [unread ? "unread" : "", flagged ? "flagged" : "", summary.hasAttachments ? "has attachments" : ""].filter(Boolean);
    row.setAttribute("aria-label", [sender, title, ...states, when].join(", "));
  }

  /** Scrolls so row `index` is fully visible. @param {number} index */
  scrollToIndex(index) {
    const top = index * ROW_HEIGHT;
    const height = this.element.clientHeight;
    if (top < this.element.scrollTop) this.element.scrollTop = top;
    else if (top + ROW_HEIGHT > this.element.scrollTop + height) this.element.scrollTop = top + ROW_HEIGHT - height;
    this.schedule();
    this.fetchVisible(0);
  }

  /** Back to the first row (a new folder or order). */
  scrollToTop() {
    this.element.scrollTop = 0;
  }

  /** @param {MouseEvent} event */
  click(event) {
    const target = /** @type {Element} */ (event.target);
    const row = target.closest(".row");
    if (!(row instanceof HTMLElement) || !row.dataset.uid) return;
    const uid = Number(row.dataset.uid);
    const action = target.closest("[data-action]")?.getAttribute("data-action");
    if (action && !row.classList.contains("loading")) {
      emit(this.element, action, { uid });
      return;
    }
    emit(this.element, "select-row", { uid, toggle: event.ctrlKey || event.metaKey, range: event.shiftKey });
  }

  /** @param {MouseEvent} event */
  doubleClick(event) {
    const row = /** @type {Element} */ (event.target).closest(".row");
    if (row instanceof HTMLElement && row.dataset.uid) emit(this.element, "open-row", { uid: Number(row.dataset.uid) });
  }

  /** @param {DragEvent} event */
  dragStart(event) {
    const row = /** @type {Element} */ (event.target).closest?.(".row");
    if (!(row instanceof HTMLElement) || !row.dataset.uid || !this.list || !this.selection || !event.dataTransfer) return;
    const uid = Number(row.dataset.uid);
    if (!this.selection.has(uid)) emit(this.element, "select-row", { uid, quiet: true });
    const uids = this.selection.ordered(this.list);
    event.dataTransfer.setData(DRAG_TYPE, JSON.stringify(uids));
    event.dataTransfer.setData("text/plain", `${uids.length} message${uids.length === 1 ? "" : "s"}`);
    event.dataTransfer.effectAllowed = "copyMove";
  }
}
