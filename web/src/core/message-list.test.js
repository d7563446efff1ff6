import { test } from "node:test";
import assert from "node:assert/strict";
import { MessageList, threadRows } from "./message-list.js";

/** A stand-in for the wasm client with a fixed folder; counts what is fetched. */
function fakeClient(uids) {
  const fetched = [];
  return {
    fetched,
    async messageUids({ reverse }) {
      return reverse ? [...uids].reverse() : [...uids];
    },
    async search(query) {
      return uids.filter((uid) => uid % query.modulo === 0);
    },
    async threads() {
      return [
        { uid: 1, children: [{ uid: 3, children: [] }] },
        { uid: 2, children: [] },
      ];
    },
    async fetchSummaries(list) {
      fetched.push(...list);
      return list.map((uid) => ({ uid, flags: [], envelope: { subject: `m${uid}`, from: [] } }));
    },
  };
}

test("conversations: newest conversation first, replies under their parent, gaps skipped", () => {
  const { uids, depths } = threadRows([
    { uid: 1, children: [{ uid: null, children: [{ uid: 4, children: [] }, { uid: 5, children: [{ uid: 6, children: [] }] }] }] },
    { uid: 2, children: [] },
    { uid: 9, children: [] },
  ]);
  assert.deepEqual(uids, [9, 1, 4, 5, 6, 2]);
  assert.deepEqual(depths, [0, 0, 1, 1, 2, 0]);
});

test("only the requested range is fetched, once", async () => {
  const client = fakeClient(Array.from({ length: 1000 }, (_, index) => index + 1));
  const list = new MessageList(client);
  await list.open("INBOX");
  assert.equal(list.length, 1000);
  assert.equal(list.uids[0], 1000, "newest first by default");
  await list.ensureRange(0, 30);
  await Promise.all([list.ensureRange(10, 40), list.ensureRange(20, 40)]);
  assert.equal(client.fetched.length, 40);
  assert.equal(new Set(client.fetched).size, 40, "no UID fetched twice");
  assert.equal(list.summary(1000).envelope.subject, "m1000");
});

test("search narrows the list in display order; clearing restores it", async () => {
  const list = new MessageList(fakeClient([1, 2, 3, 4, 5, 6]));
  await list.open("INBOX");
  await list.search({ modulo: 2 });
  assert.deepEqual(list.uids, [6, 4, 2]);
  await list.search(null);
  assert.deepEqual(list.uids, [6, 5, 4, 3, 2, 1]);
  await list.setThreaded(true);
  assert.deepEqual(list.uids, [1, 3, 2]);
  assert.deepEqual(list.depths, [0, 1, 0]);
});

test("removed messages leave the rows and the cache; summaries of an old folder are dropped", async () => {
  const client = fakeClient([1, 2, 3]);
  const list = new MessageList(client);
  await list.open("INBOX");
  await list.ensureRange(0, 3);
  list.remove([2]);
  assert.deepEqual(list.uids, [3, 1]);
  assert.equal(list.indexOf(1), 1);
  assert.equal(list.summary(2), undefined);

  // A fetch that answers after the folder changed must not fill the new folder.
  let release;
  client.fetchSummaries = (uids) => new Promise((resolve) => (release = () => resolve(uids.map((uid) => ({ uid, flags: ["old"], envelope: {} })))));
  list.summaries.clear();
  const late = list.ensureRange(0, 2);
  await list.open("Archive");
  release();
  await late;
  assert.equal(list.summary(3), undefined);
});
