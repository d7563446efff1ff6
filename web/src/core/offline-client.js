// The mail kept on this device, answering as the IMAP client would while the
// server cannot be reached: folders, their kept rows (sorted and searched here:
// subject, sender, recipients, flags) and the messages opened before. Flag
// changes, moves and deletions are kept in order and replayed once the server
// is back (`replayChanges`); anything else that needs the server fails with OFFLINE.
// Other tabs offline on the same account hear of each change (a BroadcastChannel)
// and show it, as an IMAP server would tell them.

/**
 * @typedef {import("../../pkg/client_wasm.js").MessageSummary} MessageSummary
 * @typedef {import("../../pkg/client_wasm.js").SearchQuery} SearchQuery
 * @typedef {import("../../pkg/client_wasm.js").Address} Address
 */

/**
 * @typedef {{kind: "flags", path: string, uidValidity: number, flags: [number, string[]][]}
 *   | {kind: "gone", path: string, uidValidity: number, uids: number[]}
 *   | {kind: "waiting"}} TabNote what one offline tab tells the others it changed on the device
 */

/** The error for what needs the server. @param {string} message */
function offline(message) {
  return Object.assign(new Error(message), { code: "OFFLINE" });
}

/** @param {Address[]} addresses */
function people(addresses) {
  return addresses.map((address) => `${address.name ?? ""} ${address.address ?? ""}`).join(" ").toLowerCase();
}

/**
 * Whether a kept row matches a search, as far as a row can tell (the body is
 * not kept with rows: `body` and `text` look at the headers only).
 * @param {MessageSummary} row
 * @param {SearchQuery} query
 * @returns {boolean}
 */
export function matches(row, query) {
  const { envelope, flags } = row;
  const has = (/** @type {string} */ field, /** @type {string | undefined} */ needle) => needle === undefined || field.includes(needle.toLowerCase());
  const flag = (/** @type {boolean | undefined} */ wanted, /** @type {string} */ name) => wanted === undefined || flags.includes(name) === wanted;
  const subject = (envelope.subject ?? "").toLowerCase();
  const from = people(envelope.from);
  const to = people(envelope.to);
  const cc = people(envelope.cc);
  const date = Date.parse(row.internalDate ?? envelope.date ?? "");
  const day = (/** @type {string | undefined} */ text) => (text === undefined ? NaN : Date.parse(text));
  return (
    has(`${subject} ${from} ${to} ${cc}`, query.text ?? query.body) &&
    has(from, query.from) &&
    has(to, query.to) &&
    has(cc, query.cc) &&
    has(subject, query.subject) &&
    flag(query.seen, "\\Seen") &&
    flag(query.flagged, "\\Flagged") &&
    flag(query.answered, "\\Answered") &&
    flag(query.draft, "\\Draft") &&
    flag(query.deleted, "\\Deleted") &&
    (query.keyword === undefined || flags.includes(query.keyword)) &&
    (query.since === undefined || !(date < day(query.since))) &&
    (query.before === undefined || !(date >= day(query.before))) &&
    (query.larger === undefined || row.size > query.larger) &&
    (query.smaller === undefined || row.size < query.smaller) &&
    (query.or === undefined || query.or.some((part) => matches(row, part))) &&
    (query.not === undefined || !matches(row, query.not))
  );
}

/** Sort keys for the orders the list offers. @type {Record<string, (row: MessageSummary) => string | number>} */
const KEYS = {
  uid: (row) => row.uid,
  arrival: (row) => Date.parse(row.internalDate ?? "") || 0,
  date: (row) => Date.parse(row.envelope.date ?? row.internalDate ?? "") || 0,
  from: (row) => people(row.envelope.from),
  to: (row) => people(row.envelope.to),
  subject: (row) => (row.envelope.subject ?? "").toLowerCase().replace(/^((re|fwd?|aw|wg)\s*:\s*)+/i, ""),
  size: (row) => row.size,
};

export class OfflineClient extends EventTarget {
  /** @param {import("./mail-cache.js").MailCache} cache */
  constructor(cache) {
    super();
    this.cache = cache;
    this.state = "offline";
    /** The open folder and its numbering. @type {{path: string, uidValidity: number} | null} */
    this.open = null;
    /** @type {Map<number, MessageSummary>} */
    this.rows = new Map();
    /** Changes made here that the server does not have yet (drafts closed here count). */
    this.waiting = 0;
    /** Messages sent here, waiting in the outbox. */
    this.outbox = 0;
    /** Other tabs offline on this account. @type {BroadcastChannel | null} */
    this.tabs = typeof BroadcastChannel === "function" ? new BroadcastChannel(`webmail-offline:${cache.account}`) : null;
    if (this.tabs) this.tabs.onmessage = (event) => this.heard(event.data);
  }

  /**
   * Another tab changed the kept mail: the open folder shows it, the banner counts it.
   * @param {TabNote} note
   */
  heard(note) {
    const open = this.open;
    const here = open && note.kind !== "waiting" && note.path === open.path && note.uidValidity === open.uidValidity ? open.path : null;
    if (here && note.kind === "flags") {
      for (const [uid, flags] of note.flags) {
        const row = this.rows.get(uid);
        if (!row) continue;
        row.flags = flags;
        this.dispatchEvent(Object.assign(new Event("flags"), { mailbox: here, uid, flags }));
      }
    } else if (here && note.kind === "gone") {
      for (const uid of note.uids) this.rows.delete(uid);
      this.dispatchEvent(Object.assign(new Event("expunge"), { mailbox: here, uids: note.uids }));
    }
    this.countWaiting().catch(() => {});
  }

  /**
   * What waits for the server changed here: counted again, and other tabs told.
   * @param {TabNote} [note] what changed in the kept mail, when it did
   */
  async waitingChanged(note = { kind: "waiting" }) {
    this.tabs?.postMessage(note);
    await this.countWaiting();
  }

  /** Counts what waits for the server: changes, drafts and the outbox (the banner shows them). */
  async countWaiting() {
    const outgoing = await this.cache.outgoing();
    this.outbox = outgoing.filter((entry) => entry.kind === "send").length;
    this.waiting = (await this.cache.changes()).length + outgoing.length - this.outbox;
    this.dispatchEvent(Object.assign(new Event("state"), { state: "offline" }));
  }

  /**
   * Keeps a change for the server, in order.
   * @param {import("./mail-cache.js").Change} change
   */
  async keep(change) {
    await this.cache.queueChange(change);
  }

  /** @returns {{path: string, uidValidity: number}} */
  opened() {
    if (!this.open) throw offline("No folder is open.");
    return this.open;
  }

  /**
   * @param {number[]} uids @param {string[]} flags @param {"add" | "remove" | "replace"} mode
   */
  async setFlags(uids, flags, mode) {
    const { path, uidValidity } = this.opened();
    await this.keep({ kind: "flags", path, uidValidity, uids, flags, mode });
    /** @type {Map<number, string[]>} */
    const changed = new Map();
    for (const uid of uids) {
      const row = this.rows.get(uid);
      if (!row) continue;
      const others = row.flags.filter((flag) => !flags.includes(flag));
      row.flags = mode === "add" ? [...others, ...flags] : mode === "remove" ? others : [...flags];
      changed.set(uid, row.flags);
    }
    await this.cache.saveFlags(path, uidValidity, changed);
    await this.waitingChanged({ kind: "flags", path, uidValidity, flags: [...changed] });
  }

  /** Moves wait for the server; the rows leave the folder here now. @param {number[]} uids @param {string} target */
  async move(uids, target) {
    const { path, uidValidity } = this.opened();
    await this.keep({ kind: "move", path, uidValidity, uids, target });
    await this.forget(uids);
    return null;
  }

  /** @param {number[] | undefined} uids */
  async expunge(uids) {
    const { path, uidValidity } = this.opened();
    const gone = uids ?? [...this.rows.values()].filter((row) => row.flags.includes("\\Deleted")).map((row) => row.uid);
    await this.keep({ kind: "expunge", path, uidValidity, uids: gone });
    await this.forget(gone);
  }

  /** Rows that left the folder here (and, told, in other tabs). @param {number[]} uids */
  async forget(uids) {
    const { path, uidValidity } = this.opened();
    for (const uid of uids) this.rows.delete(uid);
    await this.cache.forget(path, uidValidity, uids);
    await this.waitingChanged({ kind: "gone", path, uidValidity, uids });
  }

  async listMailboxes() {
    return this.cache.mailboxes();
  }

  /** @param {string} path */
  async status(path) {
    const state = await this.cache.folder(path);
    if (!state) throw offline(`${path} was not kept on this device.`);
    const rows = await this.cache.rows(path, state.uidValidity);
    return {
      messages: rows.length,
      unseen: rows.filter((row) => !row.flags.includes("\\Seen")).length,
      recent: 0,
      uidNext: state.uidNext,
      uidValidity: state.uidValidity,
      highestModseq: state.highestModseq,
    };
  }

  /** @param {string} path */
  async select(path) {
    const state = await this.cache.folder(path);
    if (!state) throw offline(`${path} was not kept on this device: it opens once the server can be reached.`);
    const rows = await this.cache.rows(path, state.uidValidity);
    this.open = { path, uidValidity: state.uidValidity };
    this.rows = new Map(rows.map((row) => [row.uid, row]));
    return {
      path,
      exists: rows.length,
      recent: 0,
      unseen: rows.filter((row) => !row.flags.includes("\\Seen")).length,
      uidValidity: state.uidValidity,
      uidNext: state.uidNext ?? 0,
      flags: [],
      permanentFlags: [],
      highestModseq: state.highestModseq,
      readOnly: false,
    };
  }

  /** @param {string} path */
  async selectSince(path) {
    return { info: await this.select(path), changes: { reset: false, vanished: [], flags: [] } };
  }

  /** @param {{sort?: string, reverse?: boolean} | undefined} order */
  async messageUids(order) {
    const key = KEYS[order?.sort ?? "uid"] ?? KEYS.uid;
    const rows = [...this.rows.values()].sort((a, b) => {
      const [x, y] = [key(a), key(b)];
      return x < y ? -1 : x > y ? 1 : a.uid - b.uid;
    });
    const uids = rows.map((row) => row.uid);
    return order?.reverse ? uids.reverse() : uids;
  }

  /** Conversations need the server: each kept message stands alone. */
  async threads() {
    return [...this.rows.keys()].map((uid) => ({ uid, children: [] }));
  }

  /** @param {SearchQuery} query */
  async search(query) {
    return [...this.rows.values()].filter((row) => matches(row, query)).map((row) => row.uid);
  }

  /** @param {number[]} uids */
  async fetchSummaries(uids) {
    return uids.flatMap((uid) => this.rows.get(uid) ?? []);
  }

  /** @param {number} uid */
  async fetchMessage(uid) {
    const kept = this.open ? await this.cache.message(this.open.path, this.open.uidValidity, uid) : undefined;
    if (!kept) throw offline("This message was not opened before, so it was not kept on this device: it opens once the server can be reached.");
    return kept;
  }

  async logout() {
    this.tabs?.close();
  }

  free() {}
}

/** What needs the server: each fails with OFFLINE, saying so. */
const NEEDS_SERVER = ["fetchPart", "fetchRaw", "copy", "createMailbox", "renameMailbox", "deleteMailbox", "subscribe", "unsubscribe"];
for (const name of NEEDS_SERVER) {
  /** @type {any} */ (OfflineClient.prototype)[name] = async () => {
    throw offline("You are offline: this needs the mail server.");
  };
}

/**
 * Gives the server the changes made offline, in order. A change is applied
 * only to messages still there under the same UIDVALIDITY (a UID of another
 * numbering could be another message); the rest are dropped and counted.
 * Stops at the first failure that is not a gone folder, keeping what is left.
 * @param {import("../../pkg/client_wasm.js").ImapClient} client
 * @param {import("./mail-cache.js").MailCache} cache
 * @returns {Promise<{applied: number, dropped: number}>} messages changed, and messages whose change was dropped
 */
export async function replayChanges(client, cache) {
  let applied = 0;
  let dropped = 0;
  /** @type {{path: string, uidValidity: number, uids: Set<number>} | null} */
  let open = null;
  for (const { key, change } of await cache.changes()) {
    try {
      if (open?.path !== change.path) {
        const info = await client.select(change.path);
        open = { path: change.path, uidValidity: info.uidValidity, uids: new Set(await client.messageUids({ sort: "uid", reverse: false })) };
      }
      const here = open;
      const present = here.uidValidity === change.uidValidity ? change.uids.filter((uid) => here.uids.has(uid)) : [];
      dropped += change.uids.length - present.length;
      if (present.length) {
        if (change.kind === "flags") await client.setFlags(present, change.flags, change.mode);
        else if (change.kind === "move") await client.move(present, change.target);
        else await client.expunge(present);
        if (change.kind !== "flags") for (const uid of present) here.uids.delete(uid);
        applied += present.length;
      }
    } catch (error) {
      if (/** @type {any} */ (error)?.code !== "NO_SUCH_MAILBOX") throw error;
      dropped += change.uids.length;
    }
    await cache.changeDone(key);
  }
  return { applied, dropped };
}
