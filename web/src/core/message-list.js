// The message list of one folder, without any DOM: the display order (sorted,
// threaded or searched), and message summaries fetched by visible range.
//
// The list never holds more than the UIDs of the folder plus the summaries that
// were on screen, so a 100,000-message folder costs a few hundred kilobytes.

/** Summaries asked for per round trip; the client pipelines larger requests itself. */
const FETCH_BLOCK = 120;

/**
 * @typedef {import("../../pkg/client_wasm.js").MessageSummary} MessageSummary
 * @typedef {import("../../pkg/client_wasm.js").ThreadTree} ThreadTree
 * @typedef {{sort: "uid" | "date" | "arrival" | "from" | "subject" | "size", reverse: boolean}} SortOrder
 */

/**
 * Threads as display rows: each conversation in turn, newest conversation first
 * (by its highest UID, i.e. latest arrival), replies indented under what they answer.
 * Nodes the server left without a UID (a missing parent) are skipped and their
 * replies take their place.
 * @param {ThreadTree[]} threads
 * @returns {{uids: number[], depths: number[]}}
 */
export function threadRows(threads) {
  const newest = (tree) => tree.children.reduce((max, child) => Math.max(max, newest(child)), tree.uid ?? 0);
  const ordered = threads.map((tree) => ({ tree, key: newest(tree) })).sort((a, b) => b.key - a.key);
  const uids = [];
  const depths = [];
  const walk = (tree, depth) => {
    let next = depth;
    if (tree.uid !== null && tree.uid !== undefined) {
      uids.push(tree.uid);
      depths.push(depth);
      next = depth + 1;
    }
    for (const child of tree.children) walk(child, next);
  };
  for (const { tree } of ordered) walk(tree, 0);
  return { uids, depths };
}

/**
 * The view of one folder. Emits `change` (order or length), `rows` (summaries,
 * with the fetched ones as `detail`, or flags) and `loading`.
 */
export class MessageList extends EventTarget {
  /** @param {import("../../pkg/client_wasm.js").ImapClient} client */
  constructor(client) {
    super();
    this.client = client;
    /** @type {string | null} */
    this.path = null;
    /** @type {SortOrder} */
    this.order = { sort: "uid", reverse: true };
    this.threaded = false;
    /** @type {import("../../pkg/client_wasm.js").SearchQuery | null} */
    this.query = null;
    /** @type {number[]} UIDs in display order. */
    this.uids = [];
    /** @type {number[] | null} Thread depth per row, when threaded. */
    this.depths = null;
    /** @type {Map<number, MessageSummary>} */
    this.summaries = new Map();
    this.loading = false;
    /** @type {Map<number, number>} */
    this.positions = new Map();
    this.pending = new Set();
    /** Bumped by every reorder: a stale order never replaces a newer one. */
    this.generation = 0;
    /** Bumped when the folder changes: summaries of the old folder are dropped. */
    this.epoch = 0;
    /** Summaries shown from the device's cache whose flags may be out of date: fetched again when shown. */
    this.stale = new Set();
    /** Where this folder's rows are kept on the device, when the user keeps mail there. @type {import("./mail-cache.js").FolderStore | null} */
    this.store = null;
    /** Painted from the device before the folder is selected: rows come from `store` only. */
    this.deviceOnly = false;
  }

  /** Number of rows shown. */
  get length() {
    return this.uids.length;
  }

  /** The row index of a UID, or -1. @param {number} uid */
  indexOf(uid) {
    return this.positions.get(uid) ?? -1;
  }

  /** A cached summary, or undefined while it loads. @param {number} uid */
  summary(uid) {
    return this.summaries.get(uid);
  }

  /**
   * Shows a folder the client has just selected: learns its order, then the
   * caller asks for the visible range with `ensureRange`.
   * @param {string} path
   * @param {{store?: import("./mail-cache.js").FolderStore | null, keep?: boolean, stale?: Iterable<number>}} [options]
   *   `store` keeps the rows fetched from now on; `keep`: the rows painted from the device
   *   stay, those in `stale` (flags possibly out of date) are fetched again as they show
   */
  async open(path, { store = null, keep: keepPainted = false, stale = [] } = {}) {
    const keep = keepPainted && this.path === path;
    this.path = path;
    this.store = store;
    this.deviceOnly = false;
    this.query = null;
    if (!keep) {
      this.epoch += 1;
      this.summaries.clear();
      this.pending = new Set();
    }
    this.stale = keep ? new Set(stale) : new Set();
    await this.reorder();
  }

  /**
   * Paints a folder from the rows kept on this device, before the server is
   * asked: in UID order, newest first (the server's order replaces it). Rows
   * not given are read from `store` as they show; none from the server until
   * `open` (another folder may still be selected there).
   * @param {string} path
   * @param {MessageSummary[]} rows the first screen
   * @param {{uids?: number[], store?: import("./mail-cache.js").FolderStore | null}} [kept] every kept UID, and where the rows are
   */
  showCached(path, rows, { uids = rows.map((row) => row.uid), store = null } = {}) {
    this.generation += 1;
    this.epoch += 1;
    this.path = path;
    this.store = store;
    this.deviceOnly = true;
    this.query = null;
    this.pending = new Set();
    this.summaries = new Map(rows.map((row) => [row.uid, row]));
    this.uids = [...uids].sort((a, b) => b - a);
    this.depths = null;
    this.positions = new Map(this.uids.map((uid, index) => [uid, index]));
    this.dispatchEvent(new Event("change"));
  }

  /** Changes the sort order. @param {SortOrder} order */
  async sortBy(order) {
    this.order = order;
    await this.reorder();
  }

  /** Switches the conversation view. @param {boolean} threaded */
  async setThreaded(threaded) {
    this.threaded = threaded;
    await this.reorder();
  }

  /**
   * Shows only messages matching `query` (null to show all again).
   * @param {import("../../pkg/client_wasm.js").SearchQuery | null} query
   */
  async search(query) {
    this.query = query;
    await this.reorder();
  }

  /** Asks the server for the display order again (after a sort, a search or new mail). */
  async reorder() {
    const generation = ++this.generation;
    this.setLoading(true);
    try {
      let uids;
      let depths = null;
      if (this.threaded && !this.query) {
        ({ uids, depths } = threadRows(await this.client.threads({ algorithm: "references" })));
      } else {
        uids = await this.client.messageUids(this.order);
        if (this.query) {
          const matches = new Set(await this.client.search(this.query));
          uids = uids.filter((uid) => matches.has(uid));
        }
      }
      if (generation !== this.generation) return;
      this.uids = uids;
      this.depths = depths;
      this.positions = new Map(uids.map((uid, index) => [uid, index]));
      this.dispatchEvent(new Event("change"));
    } finally {
      if (generation === this.generation) this.setLoading(false);
    }
  }

  /** @param {boolean} loading */
  setLoading(loading) {
    this.loading = loading;
    this.dispatchEvent(new Event("loading"));
  }

  /**
   * Fetches summaries of rows `start..end` that are not cached yet. Returns when
   * they have arrived (or were already there).
   * @param {number} start first row index
   * @param {number} end one past the last row index
   */
  async ensureRange(start, end) {
    const epoch = this.epoch;
    const pending = this.pending;
    const wanted = [];
    for (let index = Math.max(0, start); index < Math.min(end, this.uids.length); index += 1) {
      const uid = this.uids[index];
      if ((!this.summaries.has(uid) || this.stale.has(uid)) && !pending.has(uid)) wanted.push(uid);
    }
    if (wanted.length === 0) return;
    for (const uid of wanted) pending.add(uid);
    try {
      // Kept on the device (and current): read there, the rest from the server.
      const store = this.store;
      const kept = store ? await store.rows(wanted.filter((uid) => !this.stale.has(uid))).catch(() => []) : [];
      if (epoch !== this.epoch) return;
      for (const row of kept) this.summaries.set(row.uid, row);
      if (kept.length) this.dispatchEvent(new CustomEvent("rows", { detail: kept }));
      const onDevice = new Set(kept.map((row) => row.uid));
      const missing = this.deviceOnly ? [] : wanted.filter((uid) => !onDevice.has(uid));
      const blocks = [];
      for (let at = 0; at < missing.length; at += FETCH_BLOCK) blocks.push(missing.slice(at, at + FETCH_BLOCK));
      await Promise.all(
        blocks.map(async (block) => {
          const rows = await this.client.fetchSummaries(block, undefined);
          if (epoch !== this.epoch) return;
          for (const row of rows) {
            this.summaries.set(row.uid, row);
            this.stale.delete(row.uid);
          }
          this.store?.saveRows(rows);
          this.dispatchEvent(new CustomEvent("rows", { detail: rows }));
        }),
      );
    } finally {
      for (const uid of wanted) pending.delete(uid);
    }
  }

  /**
   * Flags the server reported for kept rows while the folder opened.
   * @param {{uid: number, flags: string[]}[]} changes
   */
  applyFlags(changes) {
    for (const { uid, flags } of changes) {
      const summary = this.summaries.get(uid);
      if (summary) summary.flags = flags;
    }
    if (changes.length) this.store?.saveFlags(new Map(changes.map(({ uid, flags }) => [uid, flags])));
  }

  /**
   * Applies a change the server announced (or that an action made) to cached rows.
   * @param {number} uid
   * @param {string[]} flags
   */
  updateFlags(uid, flags) {
    const summary = this.summaries.get(uid);
    if (!summary) return;
    summary.flags = flags;
    this.store?.saveFlags(new Map([[uid, flags]]));
    this.dispatchEvent(new Event("rows"));
  }

  /**
   * Removes rows for messages that left the folder.
   * @param {number[]} uids
   */
  remove(uids) {
    this.store?.forget(uids);
    const gone = new Set(uids);
    if (!this.uids.some((uid) => gone.has(uid))) {
      for (const uid of uids) this.summaries.delete(uid);
      return;
    }
    const keep = [];
    const depths = this.depths ? [] : null;
    this.uids.forEach((uid, index) => {
      if (gone.has(uid)) return;
      keep.push(uid);
      if (depths && this.depths) depths.push(this.depths[index]);
    });
    for (const uid of uids) this.summaries.delete(uid);
    this.uids = keep;
    this.depths = depths;
    this.positions = new Map(keep.map((uid, index) => [uid, index]));
    this.dispatchEvent(new Event("change"));
  }

  /** Forgets everything (sign-out). */
  clear() {
    this.generation += 1;
    this.epoch += 1;
    this.path = null;
    this.store = null;
    this.deviceOnly = false;
    this.uids = [];
    this.depths = null;
    this.positions = new Map();
    this.summaries.clear();
    this.stale = new Set();
    this.pending = new Set();
    this.dispatchEvent(new Event("change"));
  }
}
