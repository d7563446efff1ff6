// Mail kept on this device, for a user who ticked "Keep mail on this device":
// each folder's state, its list rows as the client fetched them, and messages
// as they were opened (never sanitized: that happens at display, so a
// sanitizer fix protects cached mail too). One IndexedDB database per account.
//
// Rows and messages are keyed [path, uidValidity, uid]: a folder whose
// UIDVALIDITY changed is dropped with one key-range delete, so no UID of the
// old numbering is ever shown for a message of the new one.
//
// A folder's rows are filled in the background as packs: the FETCH responses of
// one command as the server sent them (`packs`, with the UIDs each holds in
// `packIndex`, same key [path, uidValidity, highest UID]), decoded by the wasm
// client only when a row is read. One write per 2,000 rows keeps the fill at the
// speed of the wire, and the page's memory holds none of it until it scrolls.
// Rows the list fetched to show are kept decoded in `rows`; a packed row whose
// flags changed has them there too ({uid, flags}). Readers get rows either way.
//
// Storage errors never reach the session. A full disk first costs the kept
// messages of other folders, then the rows of the folder opened longest ago;
// a write that still fails (or any other storage error) stops caching, reported
// once through `onFailure`. The outbox (messages sent while offline, drafts
// closed offline) is never evicted: it is not a copy of anything on the server.

import { decodeSummaries } from "../../pkg/client_wasm.js";

/** Bumped with every change of stores or keys; `upgrade` below says how to get there. */
const SCHEMA = 5;
const PREFIX = "webmail-mail:";
/**
 * The accounts ("user\nserver") whose mail this device keeps, each with the
 * folder last open and its first screen of rows: read synchronously on the next
 * visit, it paints before even IndexedDB has opened.
 */
const KEPT_KEY = "webmail.kept-mail";
/** Every store of the schema: a database without one of them is corrupt, and rebuilt. */
const STORES = ["folders", "rows", "messages", "meta", "changes", "packs", "packIndex", "outbox"];
/** Where a folder's rows are: decoded, and packed as the server sent them. */
const ROW_STORES = ["rows", "packs", "packIndex"];
/** Rows in the first-screen snapshot: a tall window's worth. */
export const FIRST_SCREEN_ROWS = 40;

/**
 * @typedef {{folder: string | null, firstScreen?: MessageSummary[]}} KeptAccount
 */

/**
 * The accounts this device keeps mail for, by the user's choice at sign-in.
 * @returns {Record<string, KeptAccount>}
 */
export function keptAccounts() {
  try {
    const parsed = JSON.parse(localStorage.getItem(KEPT_KEY) ?? "{}");
    return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

/** @param {Record<string, KeptAccount>} accounts */
function writeKept(accounts) {
  try {
    if (Object.keys(accounts).length) localStorage.setItem(KEPT_KEY, JSON.stringify(accounts));
    else localStorage.removeItem(KEPT_KEY);
  } catch {
    // Storage refused: the next visit starts from the server.
  }
}

/**
 * Records whether this device keeps `account`'s mail.
 * @param {string} account @param {boolean} keep
 */
export function setKept(account, keep) {
  const accounts = keptAccounts();
  if (keep) accounts[account] ??= { folder: null };
  else delete accounts[account];
  writeKept(accounts);
}

/**
 * The folder to paint first on the next visit.
 * @param {string} account @param {string} path
 */
export function rememberFolder(account, path) {
  const accounts = keptAccounts();
  if (!accounts[account] || accounts[account].folder === path) return;
  accounts[account] = { folder: path };
  writeKept(accounts);
}

/**
 * The first screen of the folder on view, for the next visit's first paint.
 * @param {string} account @param {string} path @param {MessageSummary[]} rows in display order
 */
export function rememberFirstScreen(account, path, rows) {
  const accounts = keptAccounts();
  if (!accounts[account]) return;
  accounts[account] = { folder: path, firstScreen: rows.slice(0, FIRST_SCREEN_ROWS) };
  writeKept(accounts);
}

/**
 * @typedef {import("../../pkg/client_wasm.js").MessageSummary} MessageSummary
 * @typedef {{uid: number, response: Uint8Array, flags?: string[]}} RowRecord a packed row, read out; `flags` once they changed
 * @typedef {{uid: number, flags: string[]}} FlagsOverride the flags of a packed row that changed since it was packed
 * @typedef {import("../../pkg/client_wasm.js").Message} Message
 * @typedef {{path: string, uidValidity: number, uidNext: number | null, highestModseq: number | null,
 *   exists: number, openedAt: number}} FolderState what the cache knows of a folder, from its last SELECT
 * @typedef {{kind: "flags", path: string, uidValidity: number, uids: number[], flags: string[], mode: "add" | "remove" | "replace"}
 *   | {kind: "move", path: string, uidValidity: number, uids: number[], target: string}
 *   | {kind: "expunge", path: string, uidValidity: number, uids: number[]}} Change a change made offline, for the server
 * @typedef {import("./outbox.js").Outgoing} Outgoing
 */

/** The database's name for `account` (user at upstream). @param {string} account */
export function databaseName(account) {
  return PREFIX + account;
}

/**
 * Creates or upgrades the stores. A database from an unknown (newer or broken)
 * schema is not guessed at: the caller deletes it and starts over.
 * @param {IDBDatabase} database
 * @param {number} from the version it had (0: new)
 */
function upgrade(database, from) {
  if (from < 1) {
    database.createObjectStore("folders", { keyPath: "path" });
    database.createObjectStore("rows");
    database.createObjectStore("messages");
  }
  // 2: the folder list, so the folders show offline.
  if (from < 2) database.createObjectStore("meta");
  // 3: changes made offline, in order, until the server has them.
  if (from < 3) database.createObjectStore("changes", { autoIncrement: true });
  // 4: rows filled in the background, a pack per command, and the UIDs of each.
  if (from < 4) {
    database.createObjectStore("packs");
    database.createObjectStore("packIndex");
  }
  // 5: the outbox, by Message-ID.
  if (from < 5) database.createObjectStore("outbox");
}

/** @template T @param {IDBRequest<T>} request @returns {Promise<T>} */
function settled(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** @param {IDBTransaction} transaction @returns {Promise<void>} */
function committed(transaction) {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error ?? new DOMException("the transaction was aborted", "AbortError"));
  });
}

/** Every key of one folder under one UIDVALIDITY. @param {string} path @param {number} uidValidity */
function folderRange(path, uidValidity) {
  return IDBKeyRange.bound([path, uidValidity, 0], [path, uidValidity, Infinity]);
}

/**
 * Rows from records: decoded by the wasm client (loaded by then), with the flags
 * they had since. A record that does not decode is left out, and the list
 * fetches that row from the server.
 * @param {RowRecord[]} records
 * @returns {MessageSummary[]}
 */
function decodeRecords(records) {
  if (!records.length) return [];
  const joined = new Uint8Array(records.reduce((total, record) => total + record.response.length, 0));
  let at = 0;
  for (const record of records) {
    joined.set(record.response, at);
    at += record.response.length;
  }
  const flags = new Map(records.map((record) => [record.uid, record.flags]));
  return decodeSummaries(joined).map((row) => {
    const changed = flags.get(row.uid);
    if (changed) row.flags = changed;
    return row;
  });
}

/**
 * The records of a pack (as `fetchSummaryRecords` resolved: each a UID and a
 * length, 4 bytes little-endian each, then that many bytes of response) whose
 * UIDs are wanted (all, without `wanted`).
 * @param {Uint8Array} packed
 * @param {Set<number>} [wanted]
 * @returns {RowRecord[]}
 */
function unpackRecords(packed, wanted) {
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  const records = [];
  for (let at = 0; at + 8 <= packed.length; ) {
    const uid = view.getUint32(at, true);
    const length = view.getUint32(at + 4, true);
    if (!wanted || wanted.has(uid)) records.push({ uid, response: packed.subarray(at + 8, at + 8 + length) });
    at += 8 + length;
  }
  return records;
}

/** Whether a value of `rows` is only the changed flags of a packed row. @param {MessageSummary | FlagsOverride} value */
function isOverride(value) {
  return !("envelope" in value);
}

/** Every key of one folder, whatever its UIDVALIDITY. @param {string} path */
function anyValidity(path) {
  return IDBKeyRange.bound([path, -Infinity, -Infinity], [path, Infinity, Infinity]);
}

export class MailCache {
  /**
   * @param {IDBDatabase} database
   * @param {string} account
   * @param {(error: unknown) => void} onFailure hears the first storage failure, after which nothing is written
   */
  constructor(database, account, onFailure) {
    this.database = database;
    /** Whose mail ("user\nserver"). */
    this.account = account;
    this.onFailure = onFailure;
    this.failed = false;
    // Another tab upgrading the schema: this one lets go (it reopens on its next load).
    database.onversionchange = () => database.close();
  }

  /**
   * Opens (or creates) the account's cache; rebuilds it empty when it is
   * corrupted or from a schema this code does not know.
   * @param {string} account
   * @param {(error: unknown) => void} [onFailure]
   * @returns {Promise<MailCache>}
   */
  static async open(account, onFailure = () => {}) {
    const name = databaseName(account);
    try {
      return new MailCache(await openDatabase(name), account, onFailure);
    } catch {
      await settled(indexedDB.deleteDatabase(name));
      return new MailCache(await openDatabase(name), account, onFailure);
    }
  }

  /**
   * Removes an account's cache (or, without one, every account's): nothing of
   * the mail stays on this device.
   * @param {string} [account]
   */
  static async remove(account) {
    if (account) setKept(account, false);
    else writeKept({});
    const names = account ? [databaseName(account)] : (await indexedDB.databases()).flatMap((entry) => (entry.name?.startsWith(PREFIX) ? [entry.name] : []));
    for (const name of names) await settled(indexedDB.deleteDatabase(name));
  }

  /**
   * Runs a write; a failure turns caching off for this session (reported once).
   * @param {string[]} stores
   * @param {(transaction: IDBTransaction) => void} write
   */
  async write(stores, write) {
    for (let attempt = 0; !this.failed; attempt++) {
      try {
        const transaction = this.database.transaction(stores, "readwrite");
        write(transaction);
        await committed(transaction);
        return;
      } catch (error) {
        const full = /** @type {DOMException} */ (error)?.name === "QuotaExceededError";
        if (full && attempt === 0 && (await this.evict().catch(() => false))) continue;
        this.failed = true;
        this.onFailure(error);
      }
    }
  }

  /**
   * Makes room: the kept messages of every folder but the last opened go first,
   * then the rows of the folder opened longest ago (never the last opened).
   * @returns {Promise<boolean>} whether anything was removed
   */
  async evict() {
    /** @type {FolderState[]} */
    const folders = await settled(this.database.transaction("folders").objectStore("folders").getAll());
    folders.sort((a, b) => a.openedAt - b.openedAt);
    const others = folders.slice(0, -1);
    const transaction = this.database.transaction(["messages", ...ROW_STORES, "folders"], "readwrite");
    const messages = transaction.objectStore("messages");
    let bodies = 0;
    for (const folder of others) bodies += await settled(messages.count(anyValidity(folder.path)));
    if (bodies > 0) {
      for (const folder of others) messages.delete(anyValidity(folder.path));
    } else if (others.length) {
      for (const name of ROW_STORES) transaction.objectStore(name).delete(anyValidity(others[0].path));
      transaction.objectStore("folders").delete(others[0].path);
    }
    await committed(transaction);
    return bodies > 0 || others.length > 0;
  }

  /**
   * What the cache knows of a folder, or undefined.
   * @param {string} path
   * @returns {Promise<FolderState | undefined>}
   */
  async folder(path) {
    if (this.failed) return undefined;
    return settled(this.database.transaction("folders").objectStore("folders").get(path));
  }

  /**
   * A folder was selected: keeps its state. A new UIDVALIDITY drops every row
   * and message of the old numbering in the same transaction.
   * @param {FolderState} state
   * @param {number | undefined} previousValidity what the cache held before, if anything
   */
  saveFolder(state, previousValidity) {
    return this.write(["folders", ...ROW_STORES, "messages"], (transaction) => {
      if (previousValidity !== undefined && previousValidity !== state.uidValidity) {
        for (const name of [...ROW_STORES, "messages"]) transaction.objectStore(name).delete(anyValidity(state.path));
      }
      transaction.objectStore("folders").put(state);
    });
  }

  /**
   * Keeps list rows as `fetchSummaries` returned them.
   * @param {string} path @param {number} uidValidity @param {MessageSummary[]} rows
   */
  saveRows(path, uidValidity, rows) {
    return this.write(["rows"], (transaction) => {
      const store = transaction.objectStore("rows");
      for (const row of rows) store.put(row, [path, uidValidity, row.uid]);
    });
  }

  /**
   * Keeps rows as the server sent them (`fetchSummaryRecords`), decoded when read:
   * one write, however many rows.
   * @param {string} path @param {number} uidValidity @param {Uint8Array} packed
   */
  saveRecords(path, uidValidity, packed) {
    const uids = Uint32Array.from(unpackRecords(packed), (record) => record.uid);
    if (!uids.length) return Promise.resolve();
    const key = [path, uidValidity, Math.max(...uids)];
    return this.write(["packs", "packIndex"], (transaction) => {
      transaction.objectStore("packs").put(packed, key);
      transaction.objectStore("packIndex").put(uids, key);
    });
  }

  /**
   * The UIDs of a folder's kept rows, in UID order, without reading the rows.
   * @param {string} path @param {number} uidValidity
   * @returns {Promise<number[]>}
   */
  async keptUids(path, uidValidity) {
    if (this.failed) return [];
    const transaction = this.database.transaction(["rows", "packIndex"]);
    const range = folderRange(path, uidValidity);
    const [keys, packed] = await Promise.all([settled(transaction.objectStore("rows").getAllKeys(range)), settled(transaction.objectStore("packIndex").getAll(range))]);
    const uids = new Set(keys.map((key) => /** @type {number[]} */ (key)[2]));
    for (const list of packed) for (const uid of list) uids.add(uid);
    return [...uids].sort((a, b) => a - b);
  }

  /**
   * The kept rows of a folder under `uidValidity`: of these UIDs (those kept, in
   * the order given), or without `uids` every one, in UID order.
   * @param {string} path @param {number} uidValidity @param {number[]} [uids]
   * @returns {Promise<MessageSummary[]>}
   */
  async rows(path, uidValidity, uids) {
    if (this.failed || uids?.length === 0) return [];
    const transaction = this.database.transaction(ROW_STORES);
    const range = folderRange(path, uidValidity);
    const rows = transaction.objectStore("rows");
    /** @type {(MessageSummary | FlagsOverride)[]} */
    const values = uids ? (await Promise.all(uids.map((uid) => settled(rows.get([path, uidValidity, uid]))))).filter(Boolean) : await settled(rows.getAll(range));
    /** @type {Map<number, MessageSummary>} */
    const found = new Map();
    const overrides = new Map();
    for (const value of values) {
      if (isOverride(value)) overrides.set(value.uid, value.flags);
      else found.set(value.uid, /** @type {MessageSummary} */ (value));
    }
    const wanted = uids ? new Set(uids.filter((uid) => !found.has(uid))) : null;
    if (!wanted || wanted.size) {
      const index = transaction.objectStore("packIndex");
      const [keys, lists] = await Promise.all([settled(index.getAllKeys(range)), settled(index.getAll(range))]);
      /** @type {RowRecord[]} */
      const records = [];
      for (const [at, list] of lists.entries()) {
        const live = new Set(/** @type {Uint32Array} */ (list));
        const here = wanted ? [...wanted].filter((uid) => live.has(uid)) : [...live];
        if (!here.length) continue;
        const packed = await settled(transaction.objectStore("packs").get(keys[at]));
        for (const record of unpackRecords(packed, new Set(here))) records.push({ ...record, flags: overrides.get(record.uid) });
      }
      for (const row of decodeRecords(records)) found.set(row.uid, row);
    }
    const order = uids ?? [...found.keys()].sort((a, b) => a - b);
    return order.flatMap((uid) => found.get(uid) ?? []);
  }

  /**
   * Updates the flags of cached rows (and messages) after a change here or on the
   * server; a packed row keeps its new flags beside the pack.
   * @param {string} path @param {number} uidValidity @param {Map<number, string[]>} flags by UID
   */
  saveFlags(path, uidValidity, flags) {
    return this.write(["rows", "messages", "packIndex"], (transaction) => {
      const rows = transaction.objectStore("rows");
      transaction.objectStore("packIndex").getAll(folderRange(path, uidValidity)).onsuccess = (event) => {
        const packs = /** @type {Uint32Array[]} */ (/** @type {IDBRequest} */ (event.target).result);
        for (const [uid, list] of flags) {
          const key = [path, uidValidity, uid];
          rows.get(key).onsuccess = (found) => {
            const value = /** @type {IDBRequest} */ (found.target).result;
            if (value) rows.put({ ...value, flags: list }, key);
            else if (packs.some((pack) => pack.includes(uid))) rows.put({ uid, flags: list }, key);
          };
        }
      };
      const messages = transaction.objectStore("messages");
      for (const [uid, list] of flags) {
        const key = [path, uidValidity, uid];
        messages.get(key).onsuccess = (event) => {
          const value = /** @type {IDBRequest} */ (event.target).result;
          if (value) messages.put({ ...value, flags: list }, key);
        };
      }
    });
  }

  /**
   * Forgets messages that left the folder (their packed bytes stay until the pack goes, unlisted).
   * @param {string} path @param {number} uidValidity @param {number[]} uids
   */
  forget(path, uidValidity, uids) {
    const gone = new Set(uids);
    return this.write(["rows", "messages", "packIndex"], (transaction) => {
      for (const uid of uids) {
        transaction.objectStore("rows").delete([path, uidValidity, uid]);
        transaction.objectStore("messages").delete([path, uidValidity, uid]);
      }
      const index = transaction.objectStore("packIndex");
      const cursor = index.openCursor(folderRange(path, uidValidity));
      cursor.onsuccess = () => {
        const at = cursor.result;
        if (!at) return;
        const list = /** @type {Uint32Array} */ (at.value);
        if (list.some((uid) => gone.has(uid))) at.update(list.filter((uid) => !gone.has(uid)));
        at.continue();
      };
    });
  }

  /**
   * Queues a change made offline. Unlike kept mail, a failure here is the
   * caller's to report: the change would be lost.
   * @param {Change} change
   */
  queueChange(change) {
    return this.keepWhole("changes", (store) => store.add(change));
  }

  /**
   * The changes made offline, oldest first, with their keys.
   * @returns {Promise<{key: IDBValidKey, change: Change}[]>}
   */
  async changes() {
    const store = this.database.transaction("changes").objectStore("changes");
    const [keys, changes] = await Promise.all([settled(store.getAllKeys()), settled(store.getAll())]);
    return keys.map((key, index) => ({ key, change: changes[index] }));
  }

  /** A change the server has now (or that was dropped). @param {IDBValidKey} key */
  changeDone(key) {
    return this.keepWhole("changes", (store) => store.delete(key));
  }

  /**
   * One write of what the user did (a change, a message in the outbox): unlike
   * kept mail it is not given up on a failure, which goes to the caller.
   * @param {string} name @param {(store: IDBObjectStore) => void} write
   */
  async keepWhole(name, write) {
    const transaction = this.database.transaction(name, "readwrite");
    write(transaction.objectStore(name));
    await committed(transaction);
  }

  /**
   * Puts a message in the outbox, or updates it there. Like a queued change,
   * a failure is the caller's to report: the message would be lost.
   * @param {Outgoing} entry
   */
  putOutgoing(entry) {
    return this.keepWhole("outbox", (store) => store.put(entry, entry.fields.messageId));
  }

  /**
   * What waits in the outbox, oldest first.
   * @returns {Promise<Outgoing[]>}
   */
  async outgoing() {
    /** @type {Outgoing[]} */
    const entries = await settled(this.database.transaction("outbox").objectStore("outbox").getAll());
    return entries.sort((a, b) => a.queuedAt - b.queuedAt);
  }

  /** A message that left the outbox (sent, saved to Drafts, or back in the form). @param {string} messageId */
  outgoingDone(messageId) {
    return this.keepWhole("outbox", (store) => store.delete(messageId));
  }

  /**
   * Keeps the server's entry from the bridge's list, so that offline the page
   * still knows whether (and how) it sends mail.
   * @param {object} server
   */
  saveServer(server) {
    return this.write(["meta"], (transaction) => transaction.objectStore("meta").put(server, "server"));
  }

  /** The server's entry kept by `saveServer`, if any. @returns {Promise<any>} */
  async server() {
    return settled(this.database.transaction("meta").objectStore("meta").get("server"));
  }

  /**
   * Keeps the folder list as the server gave it.
   * @param {import("../../pkg/client_wasm.js").Mailbox[]} mailboxes
   */
  saveMailboxes(mailboxes) {
    return this.write(["meta"], (transaction) => transaction.objectStore("meta").put(mailboxes, "mailboxes"));
  }

  /**
   * The folder list last kept, or an empty one.
   * @returns {Promise<import("../../pkg/client_wasm.js").Mailbox[]>}
   */
  async mailboxes() {
    if (this.failed) return [];
    return (await settled(this.database.transaction("meta").objectStore("meta").get("mailboxes"))) ?? [];
  }

  /**
   * The newest `count` rows of a folder (highest UIDs), with the folder's
   * state: the first screen of the next visit, read without the server.
   * @param {string} path @param {number} count
   * @returns {Promise<{state: FolderState, rows: MessageSummary[]} | null>}
   */
  async newestRows(path, count) {
    const state = await this.folder(path);
    if (!state) return null;
    const newest = (await this.keptUids(path, state.uidValidity)).slice(-count).reverse();
    return { state, rows: await this.rows(path, state.uidValidity, newest) };
  }

  /**
   * Keeps a message as it was fetched (unsanitized).
   * @param {string} path @param {number} uidValidity @param {Message} message
   */
  saveMessage(path, uidValidity, message) {
    return this.write(["messages"], (transaction) => transaction.objectStore("messages").put(message, [path, uidValidity, message.uid]));
  }

  /**
   * A message opened before, or undefined.
   * @param {string} path @param {number} uidValidity @param {number} uid
   * @returns {Promise<Message | undefined>}
   */
  async message(path, uidValidity, uid) {
    if (this.failed) return undefined;
    return settled(this.database.transaction("messages").objectStore("messages").get([path, uidValidity, uid]));
  }

  /**
   * The rows of one folder under one UIDVALIDITY, as the message list keeps them.
   * @param {string} path @param {number} uidValidity
   * @returns {FolderStore}
   */
  folderStore(path, uidValidity) {
    return {
      saveRows: (rows) => this.saveRows(path, uidValidity, rows),
      saveRecords: (packed) => this.saveRecords(path, uidValidity, packed),
      rows: (uids) => this.rows(path, uidValidity, uids),
      saveFlags: (flags) => this.saveFlags(path, uidValidity, flags),
      forget: (uids) => this.forget(path, uidValidity, uids),
      saveMessage: (message) => this.saveMessage(path, uidValidity, message),
      message: (uid) => this.message(path, uidValidity, uid),
    };
  }

  close() {
    this.database.close();
  }
}

/**
 * @typedef {{saveRows: (rows: MessageSummary[]) => Promise<void>, saveRecords: (packed: Uint8Array) => Promise<void>,
 *   rows: (uids: number[]) => Promise<MessageSummary[]>, saveFlags: (flags: Map<number, string[]>) => Promise<void>,
 *   forget: (uids: number[]) => Promise<void>, saveMessage: (message: Message) => Promise<void>,
 *   message: (uid: number) => Promise<Message | undefined>}} FolderStore one folder's rows and messages on the device
 */

/**
 * Opens the database at the current schema. An older one is upgraded; one
 * that says it is newer (a rolled-back app), lacks a store of its version
 * (corrupt) or fails to open is rejected, and `MailCache.open` rebuilds it
 * from the server.
 * @param {string} name
 * @returns {Promise<IDBDatabase>}
 */
function openDatabase(name) {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name, SCHEMA);
    request.onupgradeneeded = (event) => upgrade(request.result, event.oldVersion);
    request.onsuccess = () => {
      const database = request.result;
      if (STORES.every((store) => database.objectStoreNames.contains(store))) return resolve(database);
      database.close();
      reject(new DOMException(`${name} lacks stores of schema ${SCHEMA}`, "DataError"));
    };
    request.onerror = () => reject(request.error);
    // Another tab still holds an older version open: it closes on versionchange.
    request.onblocked = () => {};
  });
}

/**
 * How much this origin stores, and may.
 * @returns {Promise<{usage: number, quota: number} | null>}
 */
export async function storageUsed() {
  const estimate = await navigator.storage?.estimate?.().catch(() => null);
  return estimate ? { usage: estimate.usage ?? 0, quota: estimate.quota ?? 0 } : null;
}
