// Kept mail answering as the client would while offline: searches and orders
// over kept rows, a clear OFFLINE for what needs the server, and two tabs
// offline on one account telling each other what they changed.
import "fake-indexeddb/auto";
import { test } from "node:test";
import assert from "node:assert/strict";
import { MailCache } from "./mail-cache.js";
import { OfflineClient, matches } from "./offline-client.js";

const row = (uid, subject, from, flags = [], date = "2026-01-01T00:00:00Z", size = 100) =>
  /** @type {any} */ ({ uid, flags, size, internalDate: date, envelope: { subject, date, from: [{ name: from, address: `${from.toLowerCase()}@example.org` }], to: [{ name: "Alice", address: "alice@example.org" }], cc: [] } });

test("searches over kept rows read subject, people, flags, dates and combinations", () => {
  const budget = row(1, "Budget for Q3", "Bob", ["\\Seen"], "2026-03-01T00:00:00Z", 5000);
  const party = row(2, "Party on Friday", "Carol", ["\\Flagged"], "2026-05-01T00:00:00Z");
  assert.ok(matches(budget, { subject: "budget" }));
  assert.ok(matches(budget, { text: "bob@example" }), "text reads the people too");
  assert.ok(matches(party, { from: "carol" }) && !matches(budget, { from: "carol" }));
  assert.ok(matches(budget, { to: "alice" }));
  assert.ok(matches(party, { flagged: true }) && matches(budget, { seen: true, flagged: false }));
  assert.ok(matches(party, { since: "2026-04-01" }) && !matches(budget, { since: "2026-04-01" }));
  assert.ok(matches(budget, { larger: 1000 }) && !matches(party, { larger: 1000 }));
  assert.ok(matches(budget, { or: [{ from: "carol" }, { subject: "q3" }] }));
  assert.ok(!matches(budget, { not: { subject: "budget" } }));
});

test("a kept folder opens, sorts and searches here, keeps changes for the server, and what else needs it says OFFLINE", async () => {
  const cache = await MailCache.open("frank\nlocal");
  await cache.saveFolder({ path: "INBOX", uidValidity: 4, uidNext: 10, highestModseq: 7, exists: 3, openedAt: 1 }, undefined);
  await cache.saveRows("INBOX", 4, [row(3, "b second", "Zed"), row(5, "a first", "Amy", ["\\Seen"]), row(9, "c third", "Max")]);
  await cache.saveMessage("INBOX", 4, /** @type {any} */ ({ uid: 5, flags: ["\\Seen"], text: "kept body" }));
  const client = new OfflineClient(cache);
  const info = await client.select("INBOX");
  assert.deepEqual([info.exists, info.unseen], [3, 2]);
  assert.deepEqual(await client.messageUids({ sort: "subject", reverse: false }), [5, 3, 9]);
  assert.deepEqual(await client.messageUids({ sort: "from", reverse: true }), [3, 9, 5]);
  assert.deepEqual(await client.search({ subject: "third" }), [9]);
  assert.equal((await client.fetchMessage(5)).text, "kept body");
  await assert.rejects(client.fetchMessage(3), (error) => error.code === "OFFLINE");
  await client.setFlags([3], ["\\Seen"], "add");
  await client.move([9], "Archive");
  assert.deepEqual((await client.fetchSummaries([3, 5, 9])).map((kept) => [kept.uid, kept.flags]), [[3, ["\\Seen"]], [5, ["\\Seen"]]], "the rows show the changes now");
  assert.deepEqual((await cache.changes()).map(({ change }) => change.kind), ["flags", "move"], "kept in order for the server");
  assert.equal(client.waiting, 2);
  await assert.rejects(client.copy([3], "Archive"), (error) => error.code === "OFFLINE" && /offline/i.test(error.message));
  await assert.rejects(client.select("Archive"), (error) => error.code === "OFFLINE");
  // A plain EXPUNGE, as IMAP has it: whatever is marked \Deleted goes.
  await client.setFlags([5], ["\\Deleted"], "add");
  await client.expunge(undefined);
  assert.deepEqual((await cache.changes()).at(-1)?.change.uids, [5]);
  assert.deepEqual((await client.fetchSummaries([3, 5])).map((kept) => kept.uid), [3]);
  await client.logout();
  cache.close();
  await MailCache.remove("frank\nlocal");
});

test("two tabs offline on one account: a change in one shows in the other, and both count what waits", async () => {
  const cache = await MailCache.open("gina\nlocal");
  await cache.saveFolder({ path: "INBOX", uidValidity: 4, uidNext: 10, highestModseq: 7, exists: 2, openedAt: 1 }, undefined);
  await cache.saveRows("INBOX", 4, [row(3, "b second", "Zed"), row(5, "a first", "Amy")]);
  const [first, second] = [new OfflineClient(cache), new OfflineClient(cache)];
  await first.select("INBOX");
  await second.select("INBOX");
  /** The next event of `type` the second tab's client gives its page. @param {string} type */
  const next = (type) => new Promise((resolve) => second.addEventListener(type, resolve, { once: true }));

  const countedBoth = new Promise((resolve) => {
    const check = () => second.waiting === 2 && resolve(undefined);
    second.addEventListener("state", check);
  });
  const flagged = next("flags");
  await first.setFlags([3], ["\\Flagged"], "add");
  const flags = /** @type {any} */ (await flagged);
  assert.deepEqual([flags.mailbox, flags.uid, flags.flags], ["INBOX", 3, ["\\Flagged"]]);
  assert.deepEqual((await second.fetchSummaries([3]))[0].flags, ["\\Flagged"]);

  const gone = next("expunge");
  await first.move([5], "Archive");
  assert.deepEqual(/** @type {any} */ (await gone).uids, [5]);
  assert.deepEqual(await second.messageUids({ sort: "uid", reverse: false }), [3]);
  await countedBoth;
  assert.equal(second.waiting, 2, "the second tab counts the first one's changes");
  await first.logout();
  await second.logout();
  cache.close();
  await MailCache.remove("gina\nlocal");
});
