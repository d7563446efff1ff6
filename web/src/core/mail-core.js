// The headless webmail: sign-in, folders, the open folder's list, actions with
// undo, and live updates. The UI only renders what this holds and calls its
// methods; nothing here touches the DOM, so it can back any other UI.

import { buildTree, findRole, flatten, childPath } from "./folders.js";
import { MessageList } from "./message-list.js";
import { FIRST_SCREEN_ROWS, rememberFolder } from "./mail-cache.js";
import { Selection } from "./selection.js";
import { addressName } from "./format.js";

/** How often counts of folders other than the open one are refreshed by default (IDLE covers the open one). */
const COUNTS_INTERVAL_MS = 30_000;
/** Live changes are batched this long before the list and counts are refreshed. */
const SETTLE_MS = 150;
/**
 * Rows per command while a folder fills the device, and commands in flight:
 * the server streams without a pause, and a row the user scrolls to waits
 * behind at most two of them.
 */
const FILL_CHUNK = 2_000;
const FILL_IN_FLIGHT = 2;

/**
 * @typedef {import("../../pkg/client_wasm.js").ImapClient} ImapClient
 * @typedef {import("../../pkg/client_wasm.js").UidMap} UidMap
 * @typedef {{text: string, undo?: () => Promise<void>, error?: boolean}} Notice
 * @typedef {{source: string, target: string, map: UidMap}} MoveRecord
 */

/**
 * Events: `state` (connection), `folders` (tree or counts), `folder` (the open
 * folder changed), `notice` (detail: Notice), `announce` (detail: text for
 * screen readers), `unread` (detail: INBOX unseen count).
 */
export class MailCore extends EventTarget {
  /**
   * @param {ImapClient} client a signed-in client
   * @param {{countsIntervalMs?: number}} [options]
   */
  constructor(client, { countsIntervalMs = COUNTS_INTERVAL_MS } = {}) {
    super();
    this.client = client;
    /** @type {import("./folders.js").FolderNode[]} */
    this.tree = [];
    /** @type {string | null} */
    this.delimiter = null;
    /** @type {import("../../pkg/client_wasm.js").SelectInfo | null} */
    this.info = null;
    this.list = new MessageList(client);
    this.selection = new Selection();
    this.state = client.state;
    /** Serializes actions that select another folder for a moment (undo, emptying). */
    this.exclusive = Promise.resolve();
    this.settle = undefined;
    this.countsTimer = undefined;
    this.newUids = [];
    this.inboxUnseen = null;
    /** Mail kept on this device, when the user asked for it. @type {import("./mail-cache.js").MailCache | null} */
    this.cache = null;
    /** @type {Array<[import("../../pkg/client_wasm.js").ClientEventType, (event: any) => void]>} */
    this.listeners = [
      ["exists", (event) => this.onExists(event)],
      ["expunge", (event) => this.onExpunge(event)],
      ["flags", (event) => this.onFlags(event)],
      ["mailboxes", () => this.refreshFolders()],
      ["state", (event) => this.onState(event)],
      ["alert", (event) => this.notify({ text: `Server alert: ${event.message}` })],
      ["uidvalidity", (event) => event.mailbox === this.list.path && this.reopen()],
    ];
    for (const [type, handler] of this.listeners) client.addEventListener(type, handler);
    this.poll = setInterval(() => this.refreshFolders().catch(() => {}), countsIntervalMs);
  }

  /** Stops timers and listeners and logs out. */
  async close() {
    clearInterval(this.poll);
    clearTimeout(this.settle);
    clearTimeout(this.countsTimer);
    for (const [type, handler] of this.listeners) this.client.removeEventListener(type, handler);
    this.list.clear();
    this.cache?.close();
    this.cache = null;
    try {
      await this.client.logout();
    } catch {
      // Already gone: signing out locally is all that is left.
    }
    this.client.free();
  }

  /** Every folder, depth first. */
  get folders() {
    return flatten(this.tree);
  }

  /** @param {string} path */
  folder(path) {
    return this.folders.find((node) => node.path === path) ?? null;
  }

  /** The folder with a special use, e.g. "\\Trash". @param {string} role */
  special(role) {
    return findRole(this.tree, role);
  }

  /** Lists folders with their counts (LIST-STATUS where the server has it). */
  async refreshFolders() {
    const mailboxes = await this.client.listMailboxes();
    this.cache?.saveMailboxes(mailboxes);
    this.delimiter = mailboxes.find((mailbox) => mailbox.delimiter)?.delimiter ?? this.delimiter;
    const tree = buildTree(mailboxes);
    const missing = flatten(tree).filter((node) => node.selectable && node.unseen === null);
    await Promise.all(
      missing.map(async (node) => {
        try {
          const status = await this.client.status(node.path);
          node.unseen = status.unseen;
          node.total = status.messages;
        } catch {
          // A folder that cannot be examined shows no count.
        }
      }),
    );
    this.tree = tree;
    const inbox = this.special("\\Inbox");
    const unseen = inbox?.unseen ?? null;
    if (this.inboxUnseen !== null && unseen !== null && unseen > this.inboxUnseen && this.list.path !== inbox?.path) {
      const arrived = unseen - this.inboxUnseen;
      this.announce(`${arrived} new ${arrived === 1 ? "message" : "messages"} in Inbox`);
    }
    this.inboxUnseen = unseen;
    this.emit("folders");
    this.emit("unread", unseen);
  }

  /**
   * Opens a folder: SELECT, then its order; the UI asks for rows by range.
   * @param {string} path
   */
  async openFolder(path) {
    this.selection.clear();
    this.info = null;
    // Kept on this device: its first rows show now, the rest as they scroll
    // into view; the server's answer replaces them.
    const known = this.cache ? await this.cache.folder(path).catch(() => undefined) : undefined;
    const kept = known && this.cache ? await this.cache.keptUids(path, known.uidValidity).catch(() => []) : [];
    if (known && this.cache && kept.length) {
      const store = this.cache.folderStore(path, known.uidValidity);
      const first = await store.rows(kept.slice(-FIRST_SCREEN_ROWS).reverse()).catch(() => []);
      this.list.showCached(path, first, { uids: kept, store });
      performance.mark("webmail:cached-rows", { detail: path });
    } else {
      this.list.clear();
    }
    this.emit("folder");
    this.list.setLoading(true);
    try {
      // A kept folder is caught up in the SELECT's round trip where the server has QRESYNC.
      const since = known && kept.length ? { uidValidity: known.uidValidity, highestModseq: known.highestModseq, uids: kept } : null;
      const selected = since ? await this.client.selectSince(path, since) : { info: await this.client.select(path), changes: null };
      this.info = selected.info;
      const { info, changes } = selected;
      // For the UI benchmark and for embedders' own measurements.
      performance.mark("webmail:selected", { detail: path });
      this.emit("folder");
      let store = null;
      let keep = false;
      /** @type {Set<number>} */
      let stale = new Set();
      let keptNow = new Set(kept);
      if (this.cache) {
        const { uidValidity, uidNext, highestModseq, exists } = info;
        await this.cache.saveFolder({ path, uidValidity, uidNext, highestModseq, exists, openedAt: Date.now() }, known?.uidValidity);
        store = this.cache.folderStore(path, uidValidity);
        rememberFolder(this.cache.account, path);
        if (changes && !changes.reset) {
          // The painted rows stay: gone ones go, changed flags are set. Without
          // CONDSTORE only the newest rows' flags came: the rest are fetched again as they show.
          keep = true;
          if (changes.vanished.length) store.forget(changes.vanished);
          const updated = new Set(changes.flags.map((change) => change.uid));
          if (highestModseq === null) stale = new Set(since?.uids.filter((uid) => !updated.has(uid)));
        } else {
          // A new UIDVALIDITY (or nothing kept): the device starts over.
          keptNow = new Set();
        }
      }
      this.list.store = store;
      if (changes && !changes.reset) this.list.applyFlags(changes.flags);
      await this.list.open(path, { store, keep, stale });
      if (store) this.fill(store, keptNow);
    } finally {
      this.list.setLoading(false);
    }
    this.emit("folder");
  }

  /**
   * Keeps the rest of the open folder on the device, newest first, in the
   * background: rows as the server sent them, decoded only when shown, so the
   * fill runs at the speed of the wire and holds nothing in memory. It stops
   * when the folder closes or storage fails; rows it did not reach are fetched
   * as they show, as without it.
   * @param {import("./mail-cache.js").FolderStore} store
   * @param {Set<number>} kept the UIDs the device has
   */
  async fill(store, kept) {
    const list = this.list;
    const epoch = list.epoch;
    const missing = list.uids.filter((uid) => !kept.has(uid) && !list.summaries.has(uid)).sort((a, b) => b - a);
    if (!missing.length) return;
    const detail = { path: list.path, rows: missing.length };
    performance.mark("webmail:fill-start", { detail });
    const filling = () => list.epoch === epoch && this.cache !== null && !this.cache.failed;
    /** @type {Promise<void>[]} */
    const writes = [];
    const worker = async () => {
      while (missing.length && filling()) {
        const packed = await this.client.fetchSummaryRecords(missing.splice(0, FILL_CHUNK));
        writes.push(store.saveRecords(packed));
      }
    };
    try {
      await Promise.all(Array.from({ length: FILL_IN_FLIGHT }, worker));
      await Promise.all(writes);
      if (filling()) performance.mark("webmail:fill-done", { detail });
    } catch {
      // The connection went or the folder changed: what is kept stays, the rest comes as it shows.
    }
  }

  /** Selects the open folder again after another folder was selected for a moment. */
  async reopen() {
    const path = this.list.path;
    if (!path) return;
    const keep = new Set(this.selection.selected);
    const focus = this.selection.focus;
    await this.openFolder(path);
    for (const uid of keep) if (this.list.indexOf(uid) !== -1) this.selection.selected.add(uid);
    this.selection.focus = focus !== null && this.list.indexOf(focus) !== -1 ? focus : null;
    this.emit("folder");
  }

  /**
   * A message for the reading pane; marks it read.
   * @param {number} uid
   */
  async openMessage(uid) {
    // A message never changes under its UID (RFC 3501 2.3.1.1): one opened before
    // comes from the device, with the flags the list has now.
    const kept = await this.list.store?.message(uid).catch(() => undefined);
    const message = kept ?? (await this.client.fetchMessage(uid));
    if (kept) message.flags = this.list.summary(uid)?.flags ?? message.flags;
    else this.list.store?.saveMessage(message);
    if (!message.flags.includes("\\Seen") && !this.info?.readOnly) {
      await this.setFlag([uid], "\\Seen", true);
      message.flags = [...message.flags, "\\Seen"];
    }
    return message;
  }

  /**
   * Adds or removes a flag on messages of the open folder.
   * @param {number[]} uids
   * @param {string} flag
   * @param {boolean} on
   */
  async setFlag(uids, flag, on) {
    if (uids.length === 0) return;
    await this.client.setFlags(uids, [flag], on ? "add" : "remove");
    for (const uid of uids) {
      const summary = this.list.summary(uid);
      if (!summary) continue;
      const flags = summary.flags.filter((existing) => existing !== flag);
      if (on) flags.push(flag);
      this.list.updateFlags(uid, flags);
    }
    if (flag === "\\Seen") this.scheduleCounts();
  }

  /**
   * What deleting these messages would do: move them to Trash, or (inside
   * Trash, or without one) remove them for good, which the UI confirms first.
   */
  deletePlan() {
    const trash = this.special("\\Trash");
    const permanent = !trash || trash.path === this.list.path;
    return { permanent, trash };
  }

  /**
   * Deletes messages: to Trash with undo, or for good where `deletePlan` says so.
   * @param {number[]} uids
   */
  async deleteMessages(uids) {
    const { permanent, trash } = this.deletePlan();
    if (!permanent && trash) return this.moveMessages(uids, trash.path, { verb: "Deleted" });
    await this.client.setFlags(uids, ["\\Deleted"], "add");
    await this.client.expunge(uids);
    this.list.remove(uids);
    this.selection.retain(this.list);
    this.scheduleCounts();
    this.notify({ text: `${plural(uids.length, "message")} deleted for good.` });
  }

  /**
   * Moves messages to the Archive folder (made if the server has none).
   * @param {number[]} uids
   */
  async archive(uids) {
    let archive = this.special("\\Archive");
    if (!archive) {
      await this.client.createMailbox("Archive");
      await this.refreshFolders();
      archive = this.folder("Archive");
    }
    if (!archive) throw Object.assign(new Error("there is no Archive folder and one could not be made"), { code: "NO_SUCH_MAILBOX" });
    if (archive.path === this.list.path) return;
    await this.moveMessages(uids, archive.path, { verb: "Archived" });
  }

  /**
   * Moves (or copies) messages of the open folder to `target`; a move can be undone.
   * @param {number[]} uids
   * @param {string} target
   * @param {{copy?: boolean, verb?: string}} [options]
   */
  async moveMessages(uids, target, { copy = false, verb } = {}) {
    const source = this.list.path;
    if (!source || uids.length === 0 || target === source) return;
    const name = this.folder(target)?.name ?? target;
    if (copy) {
      await this.client.copy(uids, target);
      this.scheduleCounts();
      this.notify({ text: `${plural(uids.length, "message")} copied to ${name}.` });
      return;
    }
    const map = await this.client.move(uids, target);
    this.list.remove(uids);
    this.selection.retain(this.list);
    this.scheduleCounts();
    const text = verb ? `${verb} ${plural(uids.length, "message")}.` : `${plural(uids.length, "message")} moved to ${name}.`;
    const undo = map && map.uids.length > 0 ? () => this.undoMove({ source, target, map }) : undefined;
    this.notify({ text, undo });
  }

  /**
   * Moves messages back where they came from, using the UIDs the server gave
   * them in the target (COPYUID), so nothing else in that folder is touched.
   * @param {MoveRecord} record
   */
  undoMove({ source, target, map }) {
    return this.run(async () => {
      await this.client.select(target);
      await this.client.move(
        map.uids.map(([, moved]) => moved),
        source,
      );
      await this.reopen();
      this.scheduleCounts();
      this.notify({ text: `Moved ${plural(map.uids.length, "message")} back.` });
    });
  }

  /** Marks every message of a folder read (opening it). @param {string} path */
  async markFolderRead(path) {
    if (this.list.path !== path) await this.openFolder(path);
    const uids = await this.client.search({ seen: false });
    if (uids.length > 0) await this.setFlag(uids, "\\Seen", true);
    for (const uid of uids) {
      const summary = this.list.summary(uid);
      if (summary && !summary.flags.includes("\\Seen")) this.list.updateFlags(uid, [...summary.flags, "\\Seen"]);
    }
    this.scheduleCounts();
    this.notify({ text: `Marked ${plural(uids.length, "message")} in ${this.folder(path)?.name ?? path} as read.` });
  }

  /** Removes every message of a folder for good (Trash, Junk), opening it. @param {string} path */
  async emptyFolder(path) {
    if (this.list.path !== path) await this.openFolder(path);
    const uids = await this.client.messageUids({ sort: "arrival" });
    if (uids.length > 0) {
      await this.client.setFlags(uids, ["\\Deleted"], "add");
      await this.client.expunge(uids);
    }
    this.list.remove(uids);
    this.selection.clear();
    this.scheduleCounts();
    this.notify({ text: `Emptied ${this.folder(path)?.name ?? path}: ${plural(uids.length, "message")} removed.` });
  }

  /**
   * Creates a folder.
   * @param {string} name
   * @param {string | null} parentPath
   */
  async createFolder(name, parentPath) {
    const parent = parentPath ? this.folder(parentPath) : null;
    const path = childPath(name.trim(), parent, this.delimiter);
    await this.client.createMailbox(path);
    await this.client.subscribe(path).catch(() => {});
    await this.refreshFolders();
    this.notify({ text: `Created folder ${name.trim()}.` });
    return path;
  }

  /**
   * Renames a folder within its parent.
   * @param {string} path
   * @param {string} name the new last component
   */
  async renameFolder(path, name) {
    const node = this.folder(path);
    const delimiter = node?.delimiter ?? this.delimiter;
    const cut = delimiter ? path.lastIndexOf(delimiter) : -1;
    const target = cut > 0 ? `${path.slice(0, cut + 1)}${name.trim()}` : name.trim();
    await this.client.renameMailbox(path, target);
    await this.client.subscribe(target).catch(() => {});
    await this.refreshFolders();
    if (this.list.path === path) await this.openFolder(target);
    this.notify({ text: `Renamed ${node?.name ?? path} to ${name.trim()}.` });
    return target;
  }

  /** Deletes a folder (the UI confirms first). @param {string} path */
  async deleteFolder(path) {
    const name = this.folder(path)?.name ?? path;
    const wasOpen = this.list.path === path;
    if (wasOpen) {
      const inbox = this.special("\\Inbox");
      if (inbox) await this.openFolder(inbox.path);
    }
    await this.client.unsubscribe(path).catch(() => {});
    await this.client.deleteMailbox(path);
    await this.refreshFolders();
    this.notify({ text: `Deleted folder ${name}.` });
  }

  /** Runs `task` after every earlier exclusive task. @param {() => Promise<void>} task */
  run(task) {
    const next = this.exclusive.then(task, task);
    this.exclusive = next.catch(() => {});
    return next;
  }

  onExists(event) {
    if (event.mailbox !== this.list.path) return;
    this.newUids.push(...event.uids);
    this.scheduleSettle();
  }

  onExpunge(event) {
    if (event.mailbox !== this.list.path) return;
    this.list.remove(event.uids);
    this.selection.retain(this.list);
    this.scheduleCounts();
  }

  onFlags(event) {
    if (event.mailbox !== this.list.path) return;
    this.list.updateFlags(event.uid, event.flags);
    this.scheduleCounts();
  }

  onState(event) {
    this.state = event.state;
    this.emit("state", event.state);
    if (event.state === "ready" && this.list.path) {
      // The client resynchronized the folder; take its order and counts again.
      this.list.reorder().catch(() => {});
      this.scheduleCounts();
    }
  }

  /** New mail in the open folder: take the order again, then say who wrote. */
  scheduleSettle() {
    clearTimeout(this.settle);
    this.settle = setTimeout(async () => {
      const arrived = this.newUids.splice(0);
      try {
        await this.list.reorder();
        this.scheduleCounts();
        if (arrived.length === 0) return;
        const rows = await this.client.fetchSummaries(arrived.slice(-3), undefined);
        if (arrived.length === 1 && rows[0]) {
          const from = addressName(rows[0].envelope.from[0]) || "unknown sender";
          this.announce(`New message from ${from}: ${rows[0].envelope.subject ?? "(no subject)"}`);
        } else {
          this.announce(`${arrived.length} new messages`);
        }
      } catch {
        // The connection dropped meanwhile; the resync after reconnecting catches up.
      }
    }, SETTLE_MS);
  }

  /** Counts change after flags, moves and new mail; refresh them once things settle. */
  scheduleCounts() {
    clearTimeout(this.countsTimer);
    this.countsTimer = setTimeout(() => this.refreshFolders().catch(() => {}), SETTLE_MS);
  }

  /** @param {Notice} notice */
  notify(notice) {
    this.emit("notice", notice);
  }

  /** @param {string} text */
  announce(text) {
    this.emit("announce", text);
  }

  /** @param {string} type @param {unknown} [detail] */
  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}

/** "1 message", "3 messages". @param {number} count @param {string} noun */
export function plural(count, noun) {
  return `${count.toLocaleString()} ${noun}${count === 1 ? "" : "s"}`;
}
