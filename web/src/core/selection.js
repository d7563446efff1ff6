// Which messages are selected, and which one has the keyboard focus. Works on
// UIDs, so rows that scroll out of the DOM or move after a sort stay selected.

/**
 * @typedef {{length: number, uids: number[], indexOf(uid: number): number}} RowOrder
 * the part of a MessageList a selection needs
 */

export class Selection {
  constructor() {
    /** @type {Set<number>} */
    this.selected = new Set();
    /** @type {number | null} where a Shift range starts */
    this.anchor = null;
    /** @type {number | null} the row the keyboard is on */
    this.focus = null;
  }

  /** @param {number} uid */
  has(uid) {
    return this.selected.has(uid);
  }

  get size() {
    return this.selected.size;
  }

  /**
   * A click on a row: plain selects only it, `toggle` (Ctrl/Cmd) adds or
   * removes it, `range` (Shift) selects from the anchor to it.
   * @param {RowOrder} rows
   * @param {number} uid
   * @param {{toggle?: boolean, range?: boolean}} [modifiers]
   */
  click(rows, uid, { toggle = false, range = false } = {}) {
    if (range && this.anchor !== null && rows.indexOf(this.anchor) !== -1) {
      const from = rows.indexOf(this.anchor);
      const to = rows.indexOf(uid);
      const [low, high] = from <= to ? [from, to] : [to, from];
      if (!toggle) this.selected.clear();
      for (let index = low; index <= high; index += 1) this.selected.add(rows.uids[index]);
    } else if (toggle) {
      if (this.selected.has(uid)) this.selected.delete(uid);
      else this.selected.add(uid);
      this.anchor = uid;
    } else {
      this.selected = new Set([uid]);
      this.anchor = uid;
    }
    this.focus = uid;
  }

  /**
   * Moves the focus `delta` rows; selects the new row, or extends the range
   * from the anchor when `extend` (Shift+arrow). Returns the new focused UID.
   * @param {RowOrder} rows
   * @param {number} delta
   * @param {{extend?: boolean}} [options]
   */
  move(rows, delta, { extend = false } = {}) {
    if (rows.length === 0) return null;
    const current = this.focus === null ? -1 : rows.indexOf(this.focus);
    const start = current === -1 ? (delta > 0 ? -1 : rows.length) : current;
    const next = Math.max(0, Math.min(rows.length - 1, start + delta));
    const uid = rows.uids[next];
    this.click(rows, uid, { range: extend });
    return uid;
  }

  /** Selects every row. @param {RowOrder} rows */
  all(rows) {
    this.selected = new Set(rows.uids);
  }

  /** Selects nothing. */
  clear() {
    this.selected = new Set();
    this.anchor = null;
    this.focus = null;
  }

  /** Drops UIDs that are no longer in the list. @param {RowOrder} rows */
  retain(rows) {
    for (const uid of this.selected) if (rows.indexOf(uid) === -1) this.selected.delete(uid);
    if (this.anchor !== null && rows.indexOf(this.anchor) === -1) this.anchor = null;
    if (this.focus !== null && rows.indexOf(this.focus) === -1) this.focus = null;
  }

  /** Selected UIDs in display order. @param {RowOrder} rows */
  ordered(rows) {
    return [...this.selected].sort((a, b) => rows.indexOf(a) - rows.indexOf(b));
  }
}
