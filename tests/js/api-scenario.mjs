// The API scenario of the browser-client issue: every method against the real
// server, checked with doveadm. Runs through bridge-side TLS (client-api.test.mjs)
// and through TLS in the page (end-to-end.test.mjs).
import assert from "node:assert/strict";
import { serverUids, serverFlags } from "./doveadm.mjs";

/**
 * Builds a test environment with `setup(onClose)`, where `onClose(cleanup)`
 * registers how to undo each step. The result gets `close()`, which runs the
 * cleanups newest first; a failing setup runs the ones registered so far.
 * @template T
 * @param {(onClose: (cleanup: () => Promise<void>) => void) => Promise<T>} setup
 * @returns {Promise<T & {close: () => Promise<void>}>}
 */
export async function assemble(setup) {
  /** @type {(() => Promise<void>)[]} */
  const cleanups = [];
  const close = async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => {});
  };
  try {
    return { ...(await setup((cleanup) => cleanups.unshift(cleanup))), close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Page helpers the scenarios use: `window.events` collects the client's events
 * (`window.track(client)`), `window.attempt(action)` turns a rejection into data
 * so tests check `code` on real Error objects.
 * @param {import("playwright-core").Page} page
 */
export async function installPageHelpers(page) {
  await page.evaluate(() => {
    window.events = [];
    window.track = (client) => {
      for (const type of ["exists", "expunge", "flags", "mailboxes", "state", "alert", "uidvalidity"]) {
        client.addEventListener(type, (event) => window.events.push(event));
      }
      return client;
    };
    window.attempt = async (action) => {
      try {
        return { ok: await action() };
      } catch (error) {
        return { error: { code: error.code, message: error.message, isError: error instanceof Error } };
      }
    };
  });
}

/**
 * Runs every method in the page (`window.open()` connects) and checks the outcome.
 * @param {{page: any, server: any, user: {username: string, password: string}}} env
 */
export async function runApiScenario(env) {
  const { page, server, user } = env;
  const inbox = server.folders.find((folder) => folder.name === "INBOX");
  const result = await page.evaluate(
    async ({ user, password }) => {
      const client = await window.open();
      const out = {};
      out.badLogin = await window.attempt(() => client.login(user, "wrong"));
      await client.login(user, password);
      out.capabilities = client.capabilities;
      out.state = client.state;
      out.mailboxes = await client.listMailboxes();
      out.status = await client.status("INBOX");
      out.missing = await window.attempt(() => client.status("No/Such"));
      out.examine = await client.examine("Archive");
      out.select = await client.select("INBOX");
      out.byDate = await client.messageUids({ sort: "date", reverse: true });
      out.bySubject = await client.messageUids({ sort: "subject" });
      out.threads = await client.threads({ algorithm: "references" });
      out.summaries = await client.fetchSummaries(out.byDate.slice(0, 50));
      const withFiles = out.summaries.find((row) => row.hasAttachments);
      out.message = await client.fetchMessage(withFiles.uid);
      const png = out.message.attachments.find((a) => a.contentType === "image/png");
      const progress = [];
      const bytes = await client.fetchPart(withFiles.uid, png.partId, { onProgress: (loaded, total) => progress.push([loaded, total]) });
      out.png = { isUint8Array: bytes instanceof Uint8Array, head: Array.from(bytes.slice(0, 8)), size: bytes.length, expected: png.size, progress };
      const raw = await client.fetchRaw(withFiles.uid);
      out.raw = new TextDecoder().decode(raw.slice(0, 2000));
      out.unseen = await client.search({ seen: false });
      out.fromOlga = await client.search({ from: "olga@example.ru" });
      out.orSearch = await client.search({ or: [{ flagged: true }, { answered: true }] });
      out.rawSearch = await client.searchRaw('UNSEEN FROM "olga"');
      out.badSearch = await window.attempt(() => client.search({ sender: "x" }));
      const [first, second, third] = out.byDate.slice(-3);
      out.uids = [first, second, third];
      await client.setFlags([first, second], ["\\Flagged", "$Important"], "add");
      await client.setFlags([second], ["\\Flagged"], "remove");
      out.copy = await client.copy([first], "Archive");
      out.move = await client.move([third], "Archive/2024");
      await client.setFlags([second], ["\\Deleted"], "add");
      await client.expunge([second]);
      out.afterExpunge = await client.select("INBOX");
      const draft = "From: alice@example.org\r\nSubject: Draft from the page\r\n\r\nHello from wasm\r\n";
      out.appended = await client.append("Drafts", draft, { flags: ["\\Draft", "\\Seen"], date: "2024-01-02T03:04:05Z" });
      await client.createMailbox("Browser/Ünïcode");
      await client.renameMailbox("Browser/Ünïcode", "Browser/Renamed");
      await client.unsubscribe("Browser/Renamed");
      out.unsubscribed = (await client.listMailboxes()).find((m) => m.path === "Browser/Renamed");
      await client.subscribe("Browser/Renamed");
      await client.deleteMailbox("Browser/Renamed");
      out.afterDelete = (await client.listMailboxes()).some((m) => m.path === "Browser/Renamed");
      out.badFlag = await window.attempt(() => client.setFlags([first], ["two words"], "add"));
      out.badUid = await window.attempt(() => client.fetchSummaries([0]));
      out.badOption = await window.attempt(() => client.messageUids({ sort: "date", revers: true }));
      await client.logout();
      out.afterLogout = client.state;
      out.events = window.events;
      return out;
    },
    { user: user.username, password: user.password },
  );

  assert.equal(result.badLogin.error.code, "AUTH_FAILED");
  assert.ok(result.badLogin.error.isError, "rejections are real Error objects");
  assert.ok(result.capabilities.includes("IMAP4rev1"));
  assert.equal(result.state, "ready");

  const paths = result.mailboxes.map((m) => m.path);
  assert.deepEqual(paths.slice(0, 6), ["INBOX", "Drafts", "Sent", "Archive", "Junk", "Trash"]);
  for (const folder of server.folders) {
    const mailbox = result.mailboxes.find((m) => m.path === folder.name);
    assert.ok(mailbox, `${folder.name} listed`);
    assert.equal(mailbox.status.messages, folder.messages, folder.name);
    assert.equal(mailbox.status.unseen, folder.unseen, folder.name);
  }
  assert.equal(result.mailboxes.find((m) => m.path === "Sent").specialUse, "\\Sent");
  assert.equal(result.status.messages, inbox.messages);
  assert.equal(result.missing.error.code, "NO_SUCH_MAILBOX");
  assert.equal(result.examine.readOnly, true);
  assert.equal(result.select.exists, inbox.messages);
  assert.equal(result.select.unseen, inbox.unseen);

  // The corpus numbers INBOX 1..N; the mailbox is checked with the server after the changes below.
  const originalInbox = Array.from({ length: inbox.messages }, (_, index) => index + 1);
  assert.deepEqual([...result.byDate].sort((a, b) => a - b), originalInbox);
  assert.equal(result.bySubject.length, originalInbox.length);
  assert.ok(result.threads.length > 0 && result.threads.length < originalInbox.length, "replies are nested");
  assert.deepEqual(result.summaries.map((row) => row.uid), result.byDate.slice(0, 50), "rows in the order asked");
  const dates = result.summaries.map((row) => row.envelope.date);
  assert.deepEqual(dates, [...dates].sort().reverse(), "newest first");
  assert.ok(result.summaries.every((row) => row.envelope.from.length > 0 && typeof row.envelope.subject === "string"));

  assert.ok(result.message.attachments.some((a) => a.filename === "Übersicht 2024.pdf"));
  assert.equal(result.png.isUint8Array, true);
  assert.deepEqual(result.png.head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.equal(result.png.size, result.png.expected);
  assert.deepEqual(result.png.progress.at(-1), [result.png.size, result.png.size]);
  assert.match(result.raw, /^Date: /);
  assert.match(result.raw, /\r\nMIME-Version: 1\.0\r\n/);

  // Since the search, one unseen candidate was expunged and one moved away; nothing else changed \Seen.
  const gone = [result.uids[1], result.uids[2]];
  assert.deepEqual(serverUids(server, "INBOX", "unseen"), result.unseen.filter((uid) => !gone.includes(uid)));
  assert.ok(result.fromOlga.length > 0);
  assert.ok(result.rawSearch.every((uid) => result.fromOlga.includes(uid) && result.unseen.includes(uid)));
  assert.equal(result.badSearch.error.code, "INVALID_ARGUMENT");

  const [first, second, third] = result.uids;
  assert.ok(serverFlags(server, "INBOX", first).includes("\\Flagged"));
  assert.ok(serverFlags(server, "INBOX", first).includes("$Important"));
  assert.deepEqual(result.copy.uids.map(([source]) => source), [first]);
  assert.ok(serverUids(server, "Archive").includes(result.copy.uids[0][1]), "the copy is in Archive");
  assert.ok(serverUids(server, "Archive/2024").includes(result.move.uids[0][1]), "the moved message is in Archive/2024");
  const inboxNow = serverUids(server, "INBOX");
  assert.ok(!inboxNow.includes(third) && !inboxNow.includes(second) && inboxNow.includes(first));
  assert.equal(result.afterExpunge.exists, inbox.messages - 2);
  assert.ok(serverUids(server, "Drafts").includes(result.appended), "APPENDUID is the server's UID");
  assert.ok(serverFlags(server, "Drafts", result.appended).includes("\\Draft"));
  assert.equal(result.unsubscribed.subscribed, false);
  assert.equal(result.afterDelete, false);
  assert.equal(result.badFlag.error.code, "INVALID_ARGUMENT");
  assert.equal(result.badUid.error.code, "INVALID_ARGUMENT");
  assert.equal(result.badOption.error.code, "INVALID_ARGUMENT");
  assert.equal(result.afterLogout, "closed");
  assert.equal(result.events.filter((event) => event.type === "mailboxes").length, 5);
}
