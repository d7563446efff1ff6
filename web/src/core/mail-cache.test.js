// The device's mail cache against an in-memory IndexedDB (fake-indexeddb, which
// follows the spec's key ordering and transactions): a new UIDVALIDITY drops the
// old numbering, flags and expunges reach the kept rows, a database of an
// unknown schema is rebuilt, a storage failure stops caching without throwing.
import "fake-indexeddb/auto";
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { MailCache, databaseName } from "./mail-cache.js";

/** A list row as fetchSummaries returns it (only what the cache looks at). */
const row = (uid, flags = []) => /** @type {any} */ ({ uid, flags, envelope: { subject: `message ${uid}` } });
const state = (path, uidValidity, highestModseq = 10) => ({ path, uidValidity, uidNext: 100, highestModseq, exists: 3, openedAt: 1 });

/**
 * Leaves an account's database as another build of the app would have: at
 * `version`, with what `build` makes.
 * @param {string} account @param {number} version @param {(database: IDBDatabase) => void} build
 */
function leaveDatabase(account, version, build) {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(databaseName(account), version);
    request.onupgradeneeded = () => build(request.result);
    request.onsuccess = () => {
      request.result.close();
      resolve(undefined);
    };
    request.onerror = () => reject(request.error);
  });
}

test("rows and messages are kept per folder and numbering; a new UIDVALIDITY drops the old one", async () => {
  const cache = await MailCache.open("alice\nlocal");
  await cache.saveFolder(state("INBOX", 7), undefined);
  await cache.saveRows("INBOX", 7, [row(3), row(1), row(2)]);
  await cache.saveRows("Archive", 7, [row(1)]);
  await cache.saveMessage("INBOX", 7, /** @type {any} */ ({ uid: 2, flags: [], text: "hello" }));
  assert.deepEqual((await cache.rows("INBOX", 7)).map((kept) => kept.uid), [1, 2, 3]);
  assert.equal((await cache.message("INBOX", 7, 2))?.text, "hello");

  await cache.saveFlags("INBOX", 7, new Map([[2, ["\\Seen"]]]));
  await cache.forget("INBOX", 7, [3]);
  assert.deepEqual((await cache.rows("INBOX", 7)).map((kept) => [kept.uid, kept.flags]), [[1, []], [2, ["\\Seen"]]]);
  assert.deepEqual((await cache.message("INBOX", 7, 2))?.flags, ["\\Seen"]);

  // The server renumbered INBOX: nothing of numbering 7 may show again, other folders stay.
  await cache.saveFolder(state("INBOX", 8), 7);
  assert.deepEqual(await cache.rows("INBOX", 7), []);
  assert.equal(await cache.message("INBOX", 7, 2), undefined);
  assert.equal((await cache.folder("INBOX"))?.uidValidity, 8);
  assert.deepEqual((await cache.rows("Archive", 7)).map((kept) => kept.uid), [1]);
  cache.close();
  await MailCache.remove("alice\nlocal");
});

test("a database of another schema is rebuilt empty, and remove() leaves no database behind", async () => {
  // What a newer build of the app (since rolled back) might have left: version 99, other stores.
  await leaveDatabase("bob\nlocal", 99, (database) => database.createObjectStore("something-else"));
  const cache = await MailCache.open("bob\nlocal");
  await cache.saveRows("INBOX", 1, [row(1)]);
  assert.deepEqual((await cache.rows("INBOX", 1)).map((kept) => kept.uid), [1]);
  cache.close();
  await MailCache.remove();
  assert.deepEqual((await indexedDB.databases()).filter((entry) => entry.name?.startsWith("webmail-mail:")), []);
});

test("a database that lacks stores of its version (corrupt) is rebuilt, not used", async () => {
  await leaveDatabase("erin\nlocal", 5, (database) => database.createObjectStore("folders", { keyPath: "path" }));
  const cache = await MailCache.open("erin\nlocal");
  await cache.saveRows("INBOX", 1, [row(1)]);
  assert.deepEqual((await cache.rows("INBOX", 1)).map((kept) => kept.uid), [1]);
  assert.deepEqual(await cache.outgoing(), [], "every store is there");
  cache.close();
  await MailCache.remove("erin\nlocal");
});

test("a storage failure stops caching for the session, reported once, and never throws", async () => {
  const failures = [];
  const cache = await MailCache.open("carol\nlocal", (error) => failures.push(error));
  const real = cache.database.transaction.bind(cache.database);
  // A full disk: every write transaction fails the way browsers report it.
  cache.database.transaction = (stores, mode) => {
    if (mode === "readwrite") throw new DOMException("the quota is exceeded", "QuotaExceededError");
    return real(stores, mode);
  };
  await cache.saveRows("INBOX", 1, [row(1)]);
  await cache.saveFolder(state("INBOX", 1), undefined);
  assert.equal(failures.length, 1);
  assert.equal(/** @type {DOMException} */ (failures[0]).name, "QuotaExceededError");
  assert.deepEqual(await cache.rows("INBOX", 1), [], "nothing more is read from a cache that failed");
  cache.close();
  await MailCache.remove("carol\nlocal");
});

test("a full disk costs other folders' messages first, then the rows of the folder opened longest ago", async () => {
  const cache = await MailCache.open("dave\nlocal");
  await cache.saveFolder({ ...state("Old", 1), openedAt: 1 }, undefined);
  await cache.saveFolder({ ...state("Archive", 1), openedAt: 2 }, undefined);
  await cache.saveFolder({ ...state("INBOX", 1), openedAt: 3 }, undefined);
  for (const path of ["Old", "Archive", "INBOX"]) {
    await cache.saveRows(path, 1, [row(1), row(2)]);
    await cache.saveMessage(path, 1, /** @type {any} */ ({ uid: 1, flags: [], text: path }));
  }
  const real = cache.database.transaction.bind(cache.database);
  let refusals = 1;
  // The disk is full for one write: the eviction makes room for it.
  cache.database.transaction = (stores, mode) => {
    if (mode === "readwrite" && [].concat(stores).join() === "rows" && refusals-- > 0) throw new DOMException("full", "QuotaExceededError");
    return real(stores, mode);
  };
  await cache.saveRows("INBOX", 1, [row(3)]);
  assert.equal(cache.failed, false, "the write went through after the eviction");
  assert.deepEqual((await cache.rows("INBOX", 1)).map((kept) => kept.uid), [1, 2, 3]);
  assert.equal((await cache.message("INBOX", 1, 1))?.text, "INBOX", "the last opened folder keeps its messages");
  assert.equal(await cache.message("Archive", 1, 1), undefined);
  assert.equal(await cache.message("Old", 1, 1), undefined);
  assert.equal((await cache.rows("Old", 1)).length, 2, "rows stay while messages could go");

  // Full again, with no messages left to give: the folder opened longest ago goes.
  refusals = 1;
  await cache.saveRows("INBOX", 1, [row(4)]);
  assert.deepEqual(await cache.rows("Old", 1), []);
  assert.equal(await cache.folder("Old"), undefined);
  assert.equal((await cache.rows("Archive", 1)).length, 2);
  cache.close();
  await MailCache.remove("dave\nlocal");
});

test("a database of the first schema is upgraded, keeping its mail, and gains the folder list", async () => {
  await leaveDatabase("erin\nlocal", 1, (database) => {
    database.createObjectStore("folders", { keyPath: "path" });
    database.createObjectStore("rows").put(row(5), ["INBOX", 3, 5]);
    database.createObjectStore("messages");
  });
  const cache = await MailCache.open("erin\nlocal");
  assert.deepEqual((await cache.rows("INBOX", 3)).map((kept) => kept.uid), [5], "the kept rows survive the upgrade");
  assert.deepEqual(await cache.mailboxes(), []);
  await cache.saveMailboxes(/** @type {any} */ ([{ path: "INBOX", name: "INBOX" }]));
  assert.deepEqual((await cache.mailboxes()).map((mailbox) => mailbox.path), ["INBOX"]);
  cache.close();
  await MailCache.remove("erin\nlocal");
});

/** A pack as `fetchSummaryRecords` resolves: per row its UID, its length, its FETCH response. */
function pack(subjects) {
  const encoder = new TextEncoder();
  const parts = Object.entries(subjects).map(([uid, subject]) => {
    const response = encoder.encode(`* 1 FETCH (UID ${uid} FLAGS () RFC822.SIZE 10 ENVELOPE (NIL "${subject}" NIL NIL NIL NIL NIL NIL NIL NIL))\r\n`);
    const head = new DataView(new ArrayBuffer(8));
    head.setUint32(0, Number(uid), true);
    head.setUint32(4, response.length, true);
    return [new Uint8Array(head.buffer), response];
  });
  const bytes = new Uint8Array(parts.flat().reduce((total, part) => total + part.length, 0));
  let at = 0;
  for (const part of parts.flat()) {
    bytes.set(part, at);
    at += part.length;
  }
  return bytes;
}

test("rows packed by the background fill read back as rows, keep their new flags, and leave when expunged", async () => {
  // The packed rows are decoded by the wasm client, as in the page.
  const wasm = await import("../../pkg/client_wasm.js");
  await wasm.default({ module_or_path: readFileSync(new URL("../../pkg/client_wasm_bg.wasm", import.meta.url)) });
  const cache = await MailCache.open("dora\nlocal");
  await cache.saveFolder(state("INBOX", 3), undefined);
  await cache.saveRows("INBOX", 3, [row(9)]);
  await cache.saveRecords("INBOX", 3, pack({ 4: "four", 5: "five", 6: "six" }));
  assert.deepEqual(await cache.keptUids("INBOX", 3), [4, 5, 6, 9]);
  const subjects = (rows) => rows.map((kept) => [kept.uid, kept.envelope.subject, kept.flags]);
  assert.deepEqual(subjects(await cache.rows("INBOX", 3, [9, 5, 7])), [[9, "message 9", []], [5, "five", []]], "in the order asked, unknown UIDs left out");

  await cache.saveFlags("INBOX", 3, new Map([[5, ["\\Seen"]], [7, ["\\Seen"]]]));
  assert.deepEqual(subjects((await cache.newestRows("INBOX", 2)).rows), [[9, "message 9", []], [6, "six", []]]);
  assert.deepEqual(await cache.keptUids("INBOX", 3), [4, 5, 6, 9], "a UID that is not kept gains no row from a flag change");
  assert.deepEqual(subjects(await cache.rows("INBOX", 3, [5])), [[5, "five", ["\\Seen"]]]);

  await cache.forget("INBOX", 3, [4, 9]);
  assert.deepEqual(subjects(await cache.rows("INBOX", 3)), [[5, "five", ["\\Seen"]], [6, "six", []]]);

  await cache.saveFolder(state("INBOX", 8), 3);
  assert.deepEqual(await cache.keptUids("INBOX", 3), [], "a new UIDVALIDITY drops the packs too");
  cache.close();
});
