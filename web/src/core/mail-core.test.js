// The headless core with a fake client: what deleting does where (the delete
// plan), and that an undone move puts exactly the moved messages back. The
// fake holds folders in memory and answers like a server with UIDPLUS; the
// Chromium tests do the same against Dovecot.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MailCore } from "./mail-core.js";

/** An in-memory account that answers the calls the core makes. */
class FakeClient {
  /** @param {Record<string, number>} counts messages per folder; Trash is special-use when present */
  constructor(counts) {
    this.state = "ready";
    this.calls = [];
    /** @type {Map<string, {uid: number, flags: string[]}[]>} */
    this.folders = new Map();
    /** @type {Map<string, number>} */
    this.uidNext = new Map();
    for (const [path, count] of Object.entries(counts)) {
      this.folders.set(path, Array.from({ length: count }, (_, index) => ({ uid: index + 1, flags: [] })));
      this.uidNext.set(path, count + 1);
    }
    this.selected = null;
  }
  get messages() {
    return this.folders.get(this.selected) ?? [];
  }
  record(name, ...args) {
    this.calls.push([name, ...args]);
  }
  addEventListener() {}
  removeEventListener() {}
  async listMailboxes() {
    return [...this.folders.keys()].map((path) => ({
      path,
      name: path,
      delimiter: "/",
      flags: [],
      specialUse: path === "Trash" ? "\\Trash" : null,
      subscribed: true,
      children: false,
      selectable: true,
      status: { messages: this.folders.get(path).length, unseen: 0 },
    }));
  }
  async status(path) {
    return { messages: this.folders.get(path).length, unseen: 0 };
  }
  async select(path) {
    this.record("select", path);
    this.selected = path;
    return { exists: this.messages.length, uidValidity: 1, uidNext: this.uidNext.get(path), readOnly: false };
  }
  async messageUids() {
    return this.messages.map((message) => message.uid).reverse();
  }
  async fetchSummaries(uids) {
    return uids.map((uid) => ({ uid, flags: this.messages.find((m) => m.uid === uid)?.flags ?? [], envelope: { subject: `m${uid}`, from: [] } }));
  }
  async setFlags(uids, flags, mode) {
    this.record("setFlags", uids, flags, mode);
    for (const message of this.messages) if (uids.includes(message.uid) && mode === "add") message.flags.push(...flags);
  }
  async expunge(uids) {
    this.record("expunge", uids);
    this.folders.set(this.selected, this.messages.filter((message) => !(uids.includes(message.uid) && message.flags.includes("\\Deleted"))));
  }
  async move(uids, target) {
    this.record("move", uids, target);
    const moving = this.messages.filter((message) => uids.includes(message.uid));
    this.folders.set(this.selected, this.messages.filter((message) => !uids.includes(message.uid)));
    const map = [];
    for (const message of moving) {
      const uid = this.uidNext.get(target);
      this.uidNext.set(target, uid + 1);
      this.folders.get(target).push({ uid, flags: message.flags });
      map.push([message.uid, uid]);
    }
    return { uidValidity: 1, uids: map };
  }
  async logout() {}
  free() {}
}

/** A core signed in to `counts`, with INBOX open and the notices it shows. */
async function openCore(counts) {
  const client = new FakeClient(counts);
  const core = new MailCore(/** @type {any} */ (client), { countsIntervalMs: 3_600_000 });
  const notices = [];
  core.addEventListener("notice", (event) => notices.push(/** @type {CustomEvent} */ (event).detail));
  await core.refreshFolders();
  await core.openFolder("INBOX");
  return { client, core, notices };
}

test("deleting moves to Trash with an undo, and deletes for good inside Trash or without one", async () => {
  const { core, client } = await openCore({ INBOX: 3, Trash: 0 });
  assert.deepEqual(core.deletePlan(), { permanent: false, trash: core.folder("Trash") });
  await core.openFolder("Trash");
  assert.equal(core.deletePlan().permanent, true, "inside Trash the delete is for good");
  await core.close();
  const { core: withoutTrash } = await openCore({ INBOX: 3 });
  assert.deepEqual(withoutTrash.deletePlan(), { permanent: true, trash: null });
  await withoutTrash.close();
  assert.ok(client.calls.length > 0);
});

test("a delete to Trash is undone by moving exactly the moved messages back", async () => {
  const { client, core, notices } = await openCore({ INBOX: 5, Trash: 2 });
  await core.deleteMessages([2, 4]);
  assert.deepEqual(
    client.folders.get("INBOX").map((message) => message.uid),
    [1, 3, 5],
  );
  assert.deepEqual(client.folders.get("Trash").map((message) => message.uid), [1, 2, 3, 4], "two new UIDs in Trash");
  const notice = notices.at(-1);
  assert.equal(notice.text, "Deleted 2 messages.");
  assert.equal(typeof notice.undo, "function");

  await notice.undo();
  // Only the two moved messages left Trash (UIDs 3 and 4 there), not its older mail.
  assert.deepEqual(client.calls.find(([name, uids, target]) => name === "move" && target === "INBOX")?.[1], [3, 4]);
  assert.deepEqual(client.folders.get("Trash").map((message) => message.uid), [1, 2]);
  assert.equal(client.folders.get("INBOX").length, 5);
  assert.equal(core.list.path, "INBOX", "the open folder is open again");
  assert.equal(notices.at(-1).text, "Moved 2 messages back.");
  await core.close();
});

test("a delete for good flags and expunges only those messages, with no undo", async () => {
  const { client, core, notices } = await openCore({ INBOX: 4 });
  await core.deleteMessages([1, 3]);
  assert.deepEqual(client.calls.filter(([name]) => name === "setFlags" || name === "expunge"), [
    ["setFlags", [1, 3], ["\\Deleted"], "add"],
    ["expunge", [1, 3]],
  ]);
  assert.deepEqual(client.folders.get("INBOX").map((message) => message.uid), [2, 4]);
  assert.equal(notices.at(-1).text, "2 messages deleted for good.");
  assert.equal(notices.at(-1).undo, undefined);
  await core.close();
});
