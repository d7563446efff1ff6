// The outbox against an in-memory IndexedDB and a recording server: a message
// goes once (not again when an earlier attempt is in Sent), a refused one is
// kept with the refusal and left out of later runs, the server out of reach
// again keeps the rest, a draft closed offline is saved to Drafts.
import "fake-indexeddb/auto";
import { test } from "node:test";
import assert from "node:assert/strict";
import { MailCache } from "./mail-cache.js";
import { sendOutbox } from "./outbox.js";

let accounts = 0;
/** Queued one after the other, as they would be a moment apart. */
let queued = Date.now();

/** An empty cache of its own. */
const freshCache = () => MailCache.open(`outbox-${++accounts}\nlocal`);

/** A message for the outbox. @param {string} subject @param {object} [more] */
function outgoing(subject, more = {}) {
  return /** @type {import("./outbox.js").Outgoing} */ ({
    kind: "send",
    fields: { from: { name: null, address: "alice@example.org" }, to: [{ name: null, address: "bob@example.org" }], cc: [], bcc: [], subject, text: "hi", attachments: [], messageId: `<${subject}@example.org>` },
    origin: null,
    draftUid: null,
    queuedAt: ++queued,
    attempts: 0,
    ...more,
  });
}

/**
 * Services whose SMTP and IMAP record what they were asked; `refuse` maps a
 * subject to the error its sending fails with; `inSent` lists Message-IDs Sent holds.
 * @param {{refuse?: Record<string, object>, inSent?: string[]}} [behaviour]
 */
function recordingServices({ refuse = {}, inSent = [] } = {}) {
  const calls = /** @type {string[]} */ ([]);
  const imap = {
    select: async (/** @type {string} */ path) => calls.push(`select ${path}`),
    searchRaw: async (/** @type {string} */ criteria) => (calls.push(`search ${criteria}`), inSent.some((id) => criteria.includes(id)) ? [1] : []),
    append: async (/** @type {string} */ path) => (calls.push(`append ${path}`), 5),
    setFlags: async () => calls.push("flags"),
    expunge: async () => calls.push("expunge"),
  };
  const smtp = {
    send: async (/** @type {any} */ draft) => {
      const failure = refuse[draft.subject];
      if (failure) throw failure;
      calls.push(`send ${draft.subject}`);
      return { rejected: [] };
    },
    close: async () => {},
  };
  const services = { compose: { buildMessage: () => new Uint8Array([1]) }, imap: async () => imap, smtp: async () => smtp, drafts: "Drafts", sent: "Sent", serverFilesSent: false };
  return { services: /** @type {any} */ (services), calls };
}

test("a message is sent once, filed in Sent, and leaves the outbox", async () => {
  const cache = await freshCache();
  await cache.putOutgoing(outgoing("first"));
  const { services, calls } = recordingServices();
  const run = await sendOutbox(cache, services);
  assert.deepEqual(run?.sent.map(({ entry }) => entry.fields.subject), ["first"]);
  assert.deepEqual(calls.filter((call) => call.startsWith("send") || call.startsWith("append")), ["send first", "append Sent"]);
  assert.deepEqual(await cache.outgoing(), []);
  const again = await sendOutbox(cache, services);
  assert.deepEqual(again?.sent, [], "a second run has nothing to send");
  cache.close();
});

test("a message whose earlier sending was cut off is not sent again when its copy is in Sent", async () => {
  const cache = await freshCache();
  await cache.putOutgoing(outgoing("cut", { attempts: 1 }));
  await cache.putOutgoing(outgoing("lost", { attempts: 1 }));
  const { services, calls } = recordingServices({ inSent: ["<cut@example.org>"] });
  const run = await sendOutbox(cache, services);
  assert.deepEqual(run?.sent.map(({ entry }) => entry.fields.subject), ["cut", "lost"]);
  assert.ok(!calls.includes("send cut"), "the copy in Sent says it went");
  assert.ok(calls.includes("send lost"), "no copy in Sent: sent again, same Message-ID");
  cache.close();
});

test("a refused message is kept with the refusal and left out of later runs; the server out of reach keeps the rest", async () => {
  const cache = await freshCache();
  const refusal = Object.assign(new Error("no such user"), { code: "RECIPIENT_REJECTED", rejected: [{ address: "bob@example.org", message: "550 no such user" }] });
  await cache.putOutgoing(outgoing("refused"));
  await cache.putOutgoing(outgoing("unlucky"));
  await cache.putOutgoing(outgoing("later"));
  const lost = Object.assign(new Error("gone"), { code: "CONNECTION_LOST" });
  const first = recordingServices({ refuse: { refused: refusal, unlucky: lost } });
  const run = await sendOutbox(cache, first.services);
  assert.deepEqual(run?.failed.map((entry) => entry.fields.subject), ["refused"]);
  assert.equal(run?.stopped, lost);
  assert.ok(!first.calls.includes("send later"), "nothing after the connection went");
  const kept = await cache.outgoing();
  assert.deepEqual(kept.map((entry) => [entry.fields.subject, entry.failed?.code ?? null]), [
    ["refused", "RECIPIENT_REJECTED"],
    ["unlucky", null],
    ["later", null],
  ]);
  assert.deepEqual(kept[0].failed?.rejected, refusal.rejected, "the refusal is kept for the form");
  assert.equal(kept[1].attempts, 1, "the cut-off one is marked as attempted");

  const second = recordingServices();
  await sendOutbox(cache, second.services);
  assert.ok(!second.calls.includes("send refused"), "a refused message waits for the user");
  assert.deepEqual((await cache.outgoing()).map((entry) => entry.fields.subject), ["refused"]);
  cache.close();
});

test("a draft closed offline is saved to Drafts, not sent", async () => {
  const cache = await freshCache();
  await cache.putOutgoing(outgoing("unfinished", { kind: "draft" }));
  const { services, calls } = recordingServices();
  const run = await sendOutbox(cache, services);
  assert.equal(run?.saved, 1);
  assert.deepEqual(calls, ["append Drafts"]);
  assert.deepEqual(await cache.outgoing(), []);
  cache.close();
});
