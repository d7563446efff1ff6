// Reply, reply-all and forward drafts, and address parsing, as a user of
// Thunderbird or Roundcube expects them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { replyDraft, forwardDraft, prefixed, newMessageId, Composer } from "./compose.js";
import { unflowed } from "./drafts.js";

/** A message as the client's fetchMessage returns it. */
function message(overrides = {}) {
  return /** @type {any} */ ({
    uid: 7,
    headers: [],
    subject: "Budget",
    from: [{ name: "Bob", address: "bob@example.org" }],
    to: [{ name: "Alice", address: "alice@example.org" }, { name: null, address: "carol@example.org" }],
    cc: [{ name: "Alice (work)", address: "ALICE@work.example" }, { name: "Dave", address: "dave@example.org" }],
    bcc: [],
    replyTo: [],
    date: "2026-11-02T09:30:00Z",
    messageId: "<budget-2@example.org>",
    inReplyTo: "<budget-1@example.org>",
    references: ["<budget-0@example.org>", "<budget-1@example.org>"],
    text: "Numbers attached.\n> older quote",
    html: null,
    attachments: [],
    flags: [],
    ...overrides,
  });
}

const identities = [
  { name: "Alice", address: "alice@example.org" },
  { name: "Alice", address: "alice@work.example" },
];

test("a reply goes to the sender once prefixed, threads and quotes", () => {
  const draft = replyDraft(message(), identities);
  assert.deepEqual(draft.to, [{ name: "Bob", address: "bob@example.org" }]);
  assert.deepEqual(draft.cc, []);
  assert.equal(draft.subject, "Re: Budget");
  assert.equal(replyDraft(message({ subject: "RE: Budget" }), identities).subject, "RE: Budget");
  assert.equal(draft.inReplyTo, "<budget-2@example.org>");
  assert.deepEqual(draft.references, ["<budget-0@example.org>", "<budget-1@example.org>", "<budget-2@example.org>"]);
  assert.match(draft.text, /Bob wrote:\n> Numbers attached\.\n>> older quote\n$/);
  assert.equal(draft.from.address, "alice@example.org", "the identity the message was addressed to");
});

test("reply to all leaves out every address of the user and keeps the rest once", () => {
  const draft = replyDraft(message(), identities, { all: true });
  assert.deepEqual(
    [...draft.to, ...draft.cc].map((entry) => entry.address),
    ["bob@example.org", "carol@example.org", "dave@example.org"],
  );
  const toWork = replyDraft(message({ to: [{ name: null, address: "alice@work.example" }], cc: [] }), identities);
  assert.equal(toWork.from.address, "alice@work.example");
});

test("a reply to one's own message goes to its recipients; Reply-To wins over From", () => {
  const own = replyDraft(message({ from: [{ name: "Alice", address: "alice@example.org" }] }), identities);
  assert.deepEqual(own.to.map((entry) => entry.address), ["alice@example.org", "carol@example.org"]);
  const list = replyDraft(message({ replyTo: [{ name: "List", address: "list@example.org" }] }), identities);
  assert.deepEqual(list.to.map((entry) => entry.address), ["list@example.org"]);
});

test("a forward is prefixed once and carries the original's headers and text", () => {
  const draft = forwardDraft(message({ subject: "Fwd: Budget" }), identities);
  assert.equal(draft.subject, "Fwd: Budget");
  assert.deepEqual(draft.to, []);
  assert.match(draft.text, /---------- Forwarded message ----------\nFrom: Bob <bob@example\.org>/);
  assert.match(draft.text, /Numbers attached\./);
  assert.equal(prefixed("Fwd:", /^\s*(fwd?|wg|tr)\s*:\s*/i, "WG: Budget"), "WG: Budget");
});

test("a Message-ID is random, from the sender's domain", () => {
  const first = newMessageId("alice@example.org");
  assert.match(first, /^<[0-9a-f]{32}@example\.org>$/);
  assert.notEqual(newMessageId("alice@example.org"), first);
});

test("flowed text comes back as typed: soft breaks joined, stuffing removed, quotes kept apart", () => {
  const flowed = "This paragraph is \nlong.\n From here\n> a quoted \n> line\n>> deeper\n-- \nAlice\n";
  assert.equal(unflowed(flowed), "This paragraph is long.\nFrom here\n> a quoted line\n>> deeper\n-- \nAlice\n");
});

/** A Composer whose IMAP session is a fake that answers `searchRaw` with `filed`. */
function composerWithSent(filed, serverFilesSent = false) {
  const calls = [];
  const imap = {
    select: async (path) => calls.push(["select", path]),
    searchRaw: async (criteria) => (calls.push(["search", criteria]), filed),
    append: async (path, _bytes, options) => (calls.push(["append", path, options.flags]), 9),
    setFlags: async (uids, flags) => calls.push(["flags", uids, flags]),
    expunge: async () => calls.push(["expunge"]),
  };
  const services = { compose: { buildMessage: () => new Uint8Array([1]) }, imap: async () => imap, smtp: async () => null, drafts: "Drafts", sent: "Sent", serverFilesSent };
  const fields = { from: { address: "alice@example.org" }, to: [{ address: "bob@example.org" }], cc: [], bcc: [], subject: "x", text: "", attachments: [], messageId: "<a1@example.org>" };
  const composer = new Composer(/** @type {any} */ (services), /** @type {any} */ (fields), { folder: "INBOX", uid: 3, flag: "\\Answered" });
  return { composer, calls };
}

test("the Sent copy is filed unless the server filed one itself, and the original is marked", async () => {
  const fresh = composerWithSent([]);
  await fresh.composer.afterSent();
  assert.deepEqual(fresh.calls, [
    ["select", "Sent"],
    ["search", 'HEADER Message-ID "<a1@example.org>"'],
    ["append", "Sent", ["\\Seen"]],
    ["select", "INBOX"],
    ["flags", [3], ["\\Answered"]],
  ]);
  const filed = composerWithSent([12]);
  await filed.composer.afterSent();
  assert.ok(!filed.calls.some(([call]) => call === "append"), "no duplicate in Sent");
  // The operator says the server files its own copy: Sent is not even looked at.
  const serverFiles = composerWithSent([], true);
  await serverFiles.composer.afterSent();
  assert.deepEqual(serverFiles.calls, [
    ["select", "INBOX"],
    ["flags", [3], ["\\Answered"]],
  ]);
});
