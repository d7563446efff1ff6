// Mail kept on this device ("Keep mail on this device" at sign-in): a folder's
// rows paint from the device before the server answers its SELECT, a message
// opened before opens from the device, signing out offers to remove it,
// "Remove mail from this device" leaves nothing of it behind, a reload paints
// before any socket opens, and what changed on the server meanwhile is caught
// up in the SELECT. Unticked, nothing of the mail is written to storage.
// Offline, mail written waits in the outbox and goes once when the server is back.
// A folder recreated on the server (new UIDVALIDITY) drops what was kept of it; a
// corrupted database is rebuilt from the server.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./harness.mjs";
import { withWebmail, waitForRows, openMessage, openFolder, eventually, row, grid, loadedRows } from "./ui.mjs";
import { startBridge, upstreamFor } from "./bridge.mjs";
import { addServerFlags, expungeOnServer, plainMessage, recreateMailbox, saveMessage, serverFlags, serverSearch, serverUids } from "./doveadm.mjs";

/** Names of this origin's IndexedDB databases, its localStorage keys and the paths in its Cache Storage. */
function storage(page) {
  return page.evaluate(async () => {
    const cached = [];
    for (const name of await caches.keys()) for (const request of await (await caches.open(name)).keys()) cached.push(new URL(request.url).pathname);
    return { databases: (await indexedDB.databases()).map((entry) => entry.name).sort(), keys: Object.keys(localStorage).sort(), cached };
  });
}

/** The app shell's files as the service worker keeps them ("/index.html", ...). */
const SHELL = JSON.parse(/const SHELL = (\[.*\]);/.exec(readFileSync(path.join(ROOT, "web/dist/sw.js"), "utf8"))[1]).map((file) => `/${file}`);

/**
 * What the device keeps for `account`: folders, rows (decoded or packed by the
 * fill), messages, each also by folder path, and the outbox's Message-IDs.
 */
function kept(page, account) {
  return page.evaluate(
    (name) =>
      new Promise((resolve, reject) => {
        const request = indexedDB.open(name);
        request.onerror = () => reject(request.error);
        request.onsuccess = () => {
          const database = request.result;
          const stores = ["folders", "rows", "packIndex", "messages", "outbox"];
          const transaction = database.transaction(stores);
          const found = {};
          transaction.oncomplete = () => {
            database.close();
            const rows = new Set([...found.rows.map((key) => key.join("\n")), ...found.packIndex.flatMap((entry) => [...entry.value].map((uid) => [...entry.key.slice(0, 2), uid].join("\n")))]);
            const byFolder = {};
            const count = (path, what) => {
              byFolder[path] ??= { rows: 0, messages: 0 };
              byFolder[path][what]++;
            };
            for (const key of rows) count(key.split("\n")[0], "rows");
            for (const key of found.messages) count(key[0], "messages");
            resolve({ folders: found.folders.map((folder) => folder.path), rows: rows.size, messages: found.messages.length, byFolder, outbox: found.outbox });
          };
          const store = (name) => transaction.objectStore(name);
          store("folders").getAll().onsuccess = (event) => (found.folders = event.target.result);
          store("rows").getAllKeys().onsuccess = (event) => (found.rows = event.target.result);
          store("messages").getAllKeys().onsuccess = (event) => (found.messages = event.target.result);
          store("outbox").getAllKeys().onsuccess = (event) => (found.outbox = event.target.result);
          const index = store("packIndex").openCursor();
          found.packIndex = [];
          index.onsuccess = () => {
            if (!index.result) return;
            found.packIndex.push({ key: index.result.key, value: index.result.value });
            index.result.continue();
          };
        };
      }),
    `webmail-mail:${account}`,
  );
}

/**
 * Signs out keeping the mail, stops the bridge, reloads (the service worker
 * serves the page) and signs in: the kept mail, offline. Returns the bridge's
 * address, to start it again there.
 */
async function signInOffline(page, user, bridge) {
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("dialog", { name: "Remove your mail from this device?" }).getByRole("button", { name: "Cancel" }).click();
  const address = new URL(bridge.url).host;
  await bridge.stop();
  await page.reload();
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("Offline: showing the mail kept on this device.", { exact: false }).waitFor();
  return address;
}

/** Fills the sign-in form, ticking "Keep mail on this device" when asked. */
async function signIn(page, user, keep) {
  await page.getByLabel("Username").fill(user.username);
  await page.getByLabel("Password").fill(user.password);
  const box = page.getByLabel("Keep mail on this device");
  if ((await box.isChecked()) !== keep) await box.click();
  await page.getByRole("button", { name: "Sign in" }).click();
  await waitForRows(page);
}

test("kept on this device, a folder paints before its SELECT, a message opened before opens from the device, and removing it leaves nothing", async () => {
  await withWebmail({ messages: 30, signIn: false }, async ({ page, server, user }) => {
    const account = `${user.username}\nlocal`;
    const first = server.manifest.find((message) => message.folder === "INBOX" && message.subject);
    await signIn(page, user, true);
    await openMessage(page, first.subject);
    const stored = await eventually(async () => {
      const counts = await kept(page, account);
      return counts.rows > 0 && counts.messages === 1 && counts;
    }, "the rows and the opened message on the device");
    assert.deepEqual(stored.folders, ["INBOX"]);

    // Signing out offers to remove it; Cancel keeps it for the next visit.
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("dialog", { name: "Remove your mail from this device?" }).getByRole("button", { name: "Cancel" }).click();
    await page.getByRole("button", { name: "Sign in" }).waitFor();

    /** What the page sends to the server from now on. @type {string[]} */
    const frames = [];
    page.on("websocket", (socket) => socket.on("framesent", (frame) => frames.push(String(frame.payload))));
    await page.reload();
    await signIn(page, user, true);
    // The rows show before the SELECT answers (that is the point): wait for its answer too.
    await page.waitForFunction(() => performance.getEntriesByName("webmail:selected").length > 0);
    const marks = await page.evaluate(() => Object.fromEntries(["webmail:cached-rows", "webmail:selected"].map((name) => [name, performance.getEntriesByName(name).map((mark) => mark.startTime)])));
    assert.equal(marks["webmail:cached-rows"].length, 1, "the Inbox painted from the device");
    assert.ok(marks["webmail:cached-rows"][0] < marks["webmail:selected"][0], "before the server answered SELECT");

    // The message opened before comes from the device: no FETCH of its body goes out.
    assert.ok(frames.some((frame) => /SELECT/.test(frame)), "the page's commands are recorded");
    frames.length = 0;
    await openMessage(page, first.subject);
    assert.ok(!frames.some((frame) => /BODY(\.PEEK)?\[|RFC822(?![.\w])/.test(frame)), `no body fetched: ${frames.join(" | ")}`);

    // Settings: how much, and removing it.
    await page.getByRole("button", { name: "On this device" }).click();
    const dialog = page.getByRole("dialog", { name: "Mail on this device" });
    await dialog.getByText(/This browser keeps [\d.]+ MB/).waitFor();
    await dialog.getByRole("button", { name: "Remove mail from this device" }).click();
    await page.getByText("The mail on this device was removed.").waitFor();
    const left = await storage(page);
    assert.ok(!left.databases.some((name) => name.startsWith("webmail-mail:")), `no mail database: ${left.databases}`);
    assert.ok(!left.keys.some((key) => key.startsWith("webmail.correspondents")), `no correspondents: ${left.keys}`);
    assert.deepEqual(left.cached.filter((file) => !SHELL.includes(file)), [], "Cache Storage holds the app shell alone");
    assert.equal(await page.getByRole("button", { name: "On this device" }).isVisible(), false);
  });
});

test("unticked, nothing of the mail is written to storage", async () => {
  await withWebmail({ messages: 30, signIn: false }, async ({ page, server, user }) => {
    await signIn(page, user, false);
    const first = server.manifest.find((message) => message.folder === "INBOX" && message.subject);
    await openMessage(page, first.subject);
    // Signing out writes whatever was waiting to be written (the people list waits a second).
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    const left = await storage(page);
    assert.deepEqual(left.databases.filter((name) => name.startsWith("webmail-mail:")), []);
    assert.deepEqual(left.keys.filter((key) => key.startsWith("webmail.correspondents") || key === "webmail.kept-mail"), []);
    assert.equal(await page.getByRole("button", { name: "On this device" }).isVisible(), false);
  });
});

test("a reload of a kept device paints the last folder's rows before any socket opens, and signing in goes on there", async (t) => {
  await withWebmail({ messages: 40, signIn: false }, async ({ page, server, user }) => {
    const folder = server.manifest.find((message) => message.folder !== "INBOX" && message.folder.split("/").length === 1 && message.subject)?.folder;
    assert.ok(folder, "the corpus has mail outside the Inbox");
    // Counts the page's WebSockets and when each was made.
    await page.addInitScript(() => {
      const Native = window.WebSocket;
      window.socketTimes = [];
      window.WebSocket = class extends Native {
        constructor(...args) {
          super(...args);
          window.socketTimes.push(performance.now());
        }
      };
    });
    await page.getByLabel("Remember me on this device").check();
    await signIn(page, user, true);
    await openFolder(page, folder);
    await waitForRows(page);

    await page.reload();
    await waitForRows(page);
    const before = await page.evaluate(() => ({
      sockets: window.socketTimes.length,
      painted: performance.getEntriesByName("webmail:cached-rows")[0]?.startTime ?? null,
    }));
    assert.equal(before.sockets, 0, "the rows came from the device, with no socket open");
    assert.ok(before.painted !== null);
    t.diagnostic(`navigation start to the first cached rows: ${before.painted.toFixed(1)} ms`);
    assert.equal(await page.locator("webmail-app .folder-title").textContent(), folder);
    assert.equal(await page.getByLabel("Username").inputValue(), user.username);
    assert.ok(await page.getByLabel("Keep mail on this device").isChecked());

    await page.getByLabel("Password").fill(user.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("tree", { name: "Folders", includeHidden: true }).waitFor({ state: "attached" });
    await page.waitForFunction((name) => {
      const root = document.querySelector("webmail-app")?.shadowRoot;
      return root?.querySelector(".folder-title")?.textContent === name && root.querySelector(".progress")?.hidden;
    }, folder);
    const sockets = await page.evaluate(() => window.socketTimes);
    assert.ok(sockets.length > 0 && sockets[0] > before.painted, "the socket came after the paint");
  });
});

test("what changed on the server while the page was away is caught up in the folder's SELECT (QRESYNC)", async () => {
  await withWebmail({ messages: 30, signIn: false }, async ({ page, server, user }) => {
    await signIn(page, user, true);
    const inbox = server.manifest.filter((message) => message.folder === "INBOX" && message.subject && !message.flags.includes("\\Flagged"));
    const [flagged, gone] = inbox;
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("dialog", { name: "Remove your mail from this device?" }).getByRole("button", { name: "Cancel" }).click();

    // Another client, meanwhile.
    addServerFlags(server, "INBOX", flagged.uid, ["\\Flagged"]);
    expungeOnServer(server, "INBOX", gone.uid);

    /** @type {string[]} */
    const frames = [];
    page.on("websocket", (socket) => socket.on("framesent", (frame) => frames.push(String(frame.payload))));
    await signIn(page, user, true);
    await row(page, flagged.subject).getByRole("button", { name: "Unflag" }).waitFor();
    await eventually(async () => (await row(page, gone.subject).count()) === 0, "the expunged message gone from the list");
    assert.ok(frames.some((frame) => /SELECT "?INBOX"? \(QRESYNC \(\d+ \d+ /.test(frame)), `the kept state went with the SELECT: ${frames.join(" | ")}`);
    assert.ok(!frames.some((frame) => /FETCH [^\r\n]*\(UID FLAGS\)/.test(frame)), `no flags fetched again: ${frames.join(" | ")}`);
    assert.ok(!frames.some((frame) => /FETCH [^\r\n]*ENVELOPE/.test(frame)), `no rows fetched again: ${frames.join(" | ")}`);
  });
});

test("a full disk stops keeping mail with a notice, and the session goes on", async () => {
  await withWebmail({ messages: 30, signIn: false }, async ({ page, server, user }) => {
    // The device's storage fills up at the test's word: every write then fails as browsers report it.
    await page.addInitScript(() => {
      const transaction = IDBDatabase.prototype.transaction;
      IDBDatabase.prototype.transaction = function (stores, mode, ...rest) {
        if (window.diskFull && mode === "readwrite" && this.name.startsWith("webmail-mail:")) throw new DOMException("The quota has been exceeded.", "QuotaExceededError");
        return transaction.call(this, stores, mode, ...rest);
      };
    });
    await page.reload();
    await signIn(page, user, true);
    await page.evaluate(() => {
      window.diskFull = true;
    });
    const folder = server.manifest.find((message) => message.folder !== "INBOX" && message.folder.split("/").length === 1 && message.subject);
    await openFolder(page, folder.folder);
    await page.getByText("This device's storage is full or unavailable: mail is no longer kept on it.").waitFor();
    await openMessage(page, folder.subject);
    assert.ok(await page.getByRole("article", { name: "Message" }).isVisible(), "reading goes on from the server");
  });
});

test("with the bridge gone, the kept mail stays readable and searchable, and Try again goes back online", async () => {
  // Chromium logs the refused connections to the stopped bridge.
  await withWebmail({ messages: 30, signIn: false, allowedErrors: /ERR_CONNECTION_REFUSED/ }, async ({ page, server, user, bridge }) => {
    // The app shell's service worker serves the page once the bridge is gone.
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    await page.getByLabel("Remember me on this device").check();
    await signIn(page, user, true);
    const inbox = server.manifest.filter((message) => message.folder === "INBOX" && message.subject);
    const [read, neverOpened] = inbox;
    await openMessage(page, read.subject);
    const address = await signInOffline(page, user, bridge);

    // Read: what was opened before opens; what was not says so.
    await openMessage(page, read.subject);
    await row(page, neverOpened.subject).first().click();
    await page.getByText(/was not kept on this device/).waitFor();

    // Searched: the kept rows, by subject.
    const words = read.subject.split(" ").slice(0, 2).join(" ");
    await page.getByRole("searchbox", { name: "Search" }).fill(words);
    await page.getByRole("searchbox", { name: "Search" }).press("Enter");
    await page.getByText(new RegExp(`\\d+ results? for “${words.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}”`)).waitFor();
    assert.ok(await row(page, read.subject).count(), "the kept message is found");
    const expected = inbox.filter((message) => message.subject.toLowerCase().includes(words.toLowerCase())).length;
    assert.equal(await grid(page).getByRole("row").count(), expected);

    // The bridge is back: Try again signs in with what was typed, and the session is live.
    const again = await startBridge(upstreamFor(server), { listen: address });
    try {
      await page.getByRole("button", { name: "Try again" }).click();
      await page.getByText("Back online.").waitFor();
      assert.equal(await page.getByText("Offline: showing the mail kept on this device.").isVisible(), false);
      await openMessage(page, neverOpened.subject);
    } finally {
      await again.stop();
    }
  });
});

test("a session whose connection is lost goes on with the kept mail, and Try again brings it back", async () => {
  await withWebmail({ messages: 30, signIn: false, allowedErrors: /ERR_CONNECTION_REFUSED/ }, async ({ page, server, user, bridge }) => {
    await page.getByLabel("Remember me on this device").check();
    await signIn(page, user, true);
    const [read, neverOpened] = server.manifest.filter((message) => message.folder === "INBOX" && message.subject);
    await openMessage(page, read.subject);
    const address = new URL(bridge.url).host;
    await bridge.stop();

    // First the reconnecting banner, then the kept mail takes over.
    await page.getByText("Offline: showing the mail kept on this device.", { exact: false }).waitFor({ timeout: 20_000 });
    await openMessage(page, read.subject);
    await row(page, neverOpened.subject).first().click();
    await page.getByText(/was not kept on this device/).waitFor();

    const again = await startBridge(upstreamFor(server), { listen: address });
    try {
      await page.getByRole("button", { name: "Try again" }).click();
      await page.getByText("Back online.").waitFor();
      await openMessage(page, neverOpened.subject);
      assert.equal(await page.getByRole("textbox", { name: "Username" }).isVisible(), false, "nobody was asked to sign in again");
    } finally {
      await again.stop();
    }
  });
});

test("a folder taller than the screen is kept whole in the background, and rows never shown read back offline", async () => {
  await withWebmail({ messages: 600, inboxOnly: true, signIn: false, allowedErrors: /ERR_CONNECTION_REFUSED/ }, async ({ page, server, user, bridge }) => {
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    await page.getByLabel("Remember me on this device").check();
    await signIn(page, user, true);
    const account = `${user.username}\nlocal`;
    const inbox = server.manifest.filter((message) => message.folder === "INBOX").sort((a, b) => a.uid - b.uid);
    await page.waitForFunction(() => performance.getEntriesByName("webmail:fill-done").length > 0, undefined, { timeout: 20_000 });
    assert.equal((await kept(page, account)).rows, inbox.length, "every row of INBOX is on the device");
    assert.ok((await loadedRows(page).count()) < 100, "the screen showed only the newest rows");

    // The oldest message was never on screen: offline, searching finds it, decoded from what the fill kept.
    const oldest = inbox.find((message) => message.subject && message.fromName && !inbox.some((other) => other !== message && other.subject === message.subject));
    await signInOffline(page, user, bridge);
    await page.getByRole("searchbox", { name: "Search" }).fill(oldest.subject);
    await page.getByRole("searchbox", { name: "Search" }).press("Enter");
    await row(page, oldest.subject).first().waitFor();
    assert.equal(await grid(page).getByRole("row").count(), 1);
    assert.ok((await row(page, oldest.subject).first().textContent()).includes(oldest.fromName), "the row shows its sender");
  });
});

test("changes made offline wait in order and reach the server when it is back; one whose message went meanwhile is dropped", async () => {
  await withWebmail({ messages: 30, signIn: false, allowedErrors: /ERR_CONNECTION_REFUSED/ }, async ({ page, server, user, bridge }) => {
    const button = (name) => page.getByRole("toolbar", { name: "Message actions" }).getByRole("button", { name, exact: true });
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    await page.getByLabel("Remember me on this device").check();
    await signIn(page, user, true);
    const [goneMeanwhile, flagMe, moveMe] = server.manifest.filter((message) => message.folder === "INBOX" && message.subject && !message.flags.includes("\\Flagged"));
    for (const message of [goneMeanwhile, flagMe, moveMe]) await openMessage(page, message.subject);
    const address = await signInOffline(page, user, bridge);

    await openMessage(page, goneMeanwhile.subject);
    await button("Flag").click();
    await openMessage(page, flagMe.subject);
    await button("Flag").click();
    await openMessage(page, moveMe.subject);
    await button("Move to").click();
    await page.getByRole("menu", { name: "Move to folder" }).getByRole("menuitem", { name: "Archive" }).click();
    await page.getByText("3 changes wait for the server.").waitFor();
    assert.equal(await row(page, moveMe.subject).count(), 0, "the moved message left the list");

    // Meanwhile another client removes the first one.
    expungeOnServer(server, "INBOX", goneMeanwhile.uid);
    const again = await startBridge(upstreamFor(server), { listen: address });
    try {
      await page.getByRole("button", { name: "Try again" }).click();
      await page.getByText("Changes made offline reached the server (2 messages). 1 change was dropped: the message is no longer on the server.").waitFor();
      assert.ok(serverFlags(server, "INBOX", flagMe.uid).includes("\\Flagged"));
      assert.deepEqual(serverSearch(server, "INBOX", ["subject", moveMe.subject]), []);
      assert.equal(serverSearch(server, "Archive", ["subject", moveMe.subject]).length, 1);
      assert.deepEqual(serverUids(server, "INBOX").filter((uid) => uid === goneMeanwhile.uid), [], "nothing was applied to another message");
    } finally {
      await again.stop();
    }
  });
});

/** Opens "New message" and fills it (from Alice to Bob). */
async function writeNew(page, subject, text) {
  const form = page.getByRole("dialog");
  await page.getByRole("button", { name: "New message" }).click();
  await form.getByLabel("From").fill("alice@mail.test");
  await form.getByLabel("To", { exact: true }).fill("bob@mail.test");
  await form.getByLabel("Subject").fill(subject);
  await form.getByLabel("Message").fill(text);
}

/** How many runs of the outbox the page has ended (each after a sign-in: sent, nothing to send, or left to another tab). */
function outboxRuns(page) {
  return page.evaluate(() => performance.getEntriesByName("webmail:outbox-done").length);
}

/** Until the page has ended more runs of the outbox than `before`. */
function outboxDone(page, before) {
  return page.waitForFunction((count) => performance.getEntriesByName("webmail:outbox-done").length > count, before, { timeout: 30_000 });
}

test("mail written offline waits in the outbox (to edit or delete there) and goes once when the server is back, with two tabs offline together and going online at once", async () => {
  await withWebmail({ messages: 30, submission: true, submissionMaxBytes: 1024 * 1024, signIn: false, allowedErrors: /ERR_CONNECTION_REFUSED/ }, async ({ page, server, user, bridge }) => {
    const form = page.getByRole("dialog");
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    await page.getByLabel("Remember me on this device").check();
    await signIn(page, user, true);
    const original = server.manifest.find((message) => message.folder === "INBOX" && message.subject && message.fromAddress && !message.flags.includes("\\Answered") && !message.flags.includes("\\Flagged"));
    await openMessage(page, original.subject);
    const address = await signInOffline(page, user, bridge);

    // A new message and a reply, sent offline; a draft closed offline.
    await writeNew(page, "Written on the train", "sent while offline\n");
    await form.getByRole("button", { name: "Send" }).click();
    const queued = page.getByRole("status").locator(".toast", { hasText: "The message is in the outbox: it is sent when the mail server is back." });
    await queued.waitFor({ timeout: 20_000 });
    await queued.getByRole("button", { name: "Dismiss" }).click();
    await openMessage(page, original.subject);
    await page.getByRole("button", { name: "Reply", exact: true }).click();
    await form.getByLabel("From").fill("alice@mail.test");
    await form.getByRole("button", { name: `Remove ${original.fromAddress}` }).click();
    await form.getByLabel("To", { exact: true }).fill("bob@mail.test");
    await form.getByRole("button", { name: "Send" }).click();
    await page.getByText("2 messages wait in the outbox.", { exact: false }).waitFor({ timeout: 20_000 });
    // One the server will refuse: larger than it takes, which offline the page cannot know.
    await writeNew(page, "Too big to go", "the file is too large\n");
    await form.locator("input[type=file]").setInputFiles({ name: "big.bin", mimeType: "application/octet-stream", buffer: randomBytes(2 * 1024 * 1024) });
    await form.getByText("big.bin").waitFor();
    await form.getByRole("button", { name: "Send" }).click();
    await page.getByText("3 messages wait in the outbox.", { exact: false }).waitFor({ timeout: 20_000 });
    await writeNew(page, "Regretted", "better not\n");
    await form.getByRole("button", { name: "Send" }).click();
    await page.getByText("4 messages wait in the outbox.", { exact: false }).waitFor({ timeout: 20_000 });
    await writeNew(page, "Half a thought", "to be finished online\n");
    await form.getByRole("button", { name: "Close" }).click();
    await page.getByText("1 change waits for the server. 4 messages wait in the outbox.", { exact: false }).waitFor();

    // The outbox, from the banner: one message deleted, one edited and sent again.
    const outbox = page.getByRole("dialog", { name: "Outbox" });
    await page.getByRole("button", { name: "4 messages wait in the outbox." }).click();
    await outbox.getByRole("listitem", { name: "Regretted" }).getByRole("button", { name: "Delete" }).click();
    await page.getByText("“Regretted” was deleted from the outbox.").waitFor();
    await page.getByRole("button", { name: "3 messages wait in the outbox." }).click();
    assert.match(await outbox.getByRole("listitem", { name: "Half a thought" }).innerText(), /Draft, to Drafts/);
    await outbox.getByRole("listitem", { name: "Written on the train" }).getByRole("button", { name: "Edit" }).click();
    assert.equal(await form.getByLabel("Subject").inputValue(), "Written on the train");
    await form.getByLabel("Message").fill("sent while offline, edited\n");
    await page.getByText("2 messages wait in the outbox.", { exact: false }).waitFor();
    await form.getByRole("button", { name: "Send" }).click();
    await page.getByText("3 messages wait in the outbox.", { exact: false }).waitFor({ timeout: 20_000 });
    assert.deepEqual(serverSearch(server, "INBOX", ["subject", "Written on the train"], "bob"), [], "nothing left while offline");

    // A second tab, offline on the same device: both go online at once.
    const second = await page.context().newPage();
    await second.goto(page.url());
    await second.getByLabel("Password").fill(user.password);
    await second.getByRole("button", { name: "Sign in" }).click();
    await second.getByText("1 change waits for the server. 3 messages wait in the outbox.", { exact: false }).waitFor();
    // Flagged offline in one tab: the other shows it, and counts it.
    await openMessage(page, original.subject);
    await page.getByRole("toolbar", { name: "Message actions" }).getByRole("button", { name: "Flag", exact: true }).click();
    await row(second, original.subject).getByRole("button", { name: "Unflag" }).waitFor();
    await second.getByText("2 changes wait for the server. 3 messages wait in the outbox.", { exact: false }).waitFor();
    const again = await startBridge(upstreamFor(server), { listen: address });
    try {
      const tabs = [page, second];
      const runs = await Promise.all(tabs.map(outboxRuns));
      await Promise.all(tabs.map((tab) => tab.getByRole("button", { name: "Try again" }).click()));
      await Promise.all(tabs.map((tab, index) => outboxDone(tab, runs[index])));
      const said = await Promise.all(tabs.map((tab) => tab.getByRole("status").getByText("The 2 messages in the outbox were sent.").count()));
      assert.deepEqual(said.sort(), [0, 1], "one tab sent them and said so");
      // The refused one is back in one tab's form, with the server's reason.
      const refused = await Promise.all(tabs.map((tab) => tab.getByRole("dialog", { name: "Not sent" }).count()));
      assert.deepEqual([...refused].sort(), [0, 1], "one tab has the refused message back");
      const back = tabs[refused.indexOf(1)].getByRole("dialog", { name: "Not sent" });
      assert.equal(await back.getByLabel("Subject").inputValue(), "Too big to go");
      await back.getByText("Not sent: the message is larger than the mail server takes (1 MB). Remove or shrink an attachment.").waitFor();
      assert.ok(await back.getByRole("list", { name: "Attachments" }).getByText("big.bin").count(), "the attachment is still there");
      assert.deepEqual(serverSearch(server, "INBOX", ["subject", "Too big to go"], "bob"), [], "it did not go");
      assert.equal(serverSearch(server, "INBOX", ["subject", "Written on the train"], "bob").length, 1, "delivered once");
      assert.equal(serverSearch(server, "INBOX", ["body", "sent while offline, edited"], "bob").length, 1, "as edited");
      assert.deepEqual(serverSearch(server, "INBOX", ["subject", "Regretted"], "bob"), [], "the deleted one never went");
      assert.equal(serverSearch(server, "INBOX", ["subject", `Re: ${original.subject}`], "bob").length, 1, "the reply delivered once");
      assert.equal(serverSearch(server, "Sent", ["subject", "Written on the train"]).length, 1, "filed in Sent once");
      assert.equal(serverSearch(server, "Drafts", ["subject", "Half a thought"]).length, 1, "the draft is in Drafts");
      assert.ok(serverFlags(server, "INBOX", original.uid).includes("\\Answered"), "the original is marked answered");
      await eventually(() => serverFlags(server, "INBOX", original.uid).includes("\\Flagged"), "the flag set offline on the server");
      assert.deepEqual((await kept(page, `${user.username}\nlocal`)).outbox, [], "the outbox is empty");
    } finally {
      await second.close();
      await again.stop();
    }
  });
});

test("signing in without keeping mail sends what waits in the outbox, then removes the mail from the device", async () => {
  await withWebmail({ messages: 20, submission: true, signIn: false, allowedErrors: /ERR_CONNECTION_REFUSED/ }, async ({ page, server, user, bridge }) => {
    const account = `${user.username}\nlocal`;
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    await page.getByLabel("Remember me on this device").check();
    await signIn(page, user, true);
    const address = await signInOffline(page, user, bridge);
    await writeNew(page, "Not lost by unticking", "kept until sent\n");
    await page.getByRole("dialog").getByRole("button", { name: "Send" }).click();
    await page.getByText("1 message waits in the outbox.", { exact: false }).waitFor({ timeout: 20_000 });

    const again = await startBridge(upstreamFor(server), { listen: address });
    try {
      await page.getByRole("button", { name: "Sign out" }).click();
      const removal = page.getByRole("dialog", { name: "Remove your mail from this device?" });
      await removal.getByText("1 message written offline has not reached the mail server yet: removing the mail from this device loses it.", { exact: false }).waitFor();
      await removal.getByRole("button", { name: "Cancel" }).click();
      const runs = await outboxRuns(page);
      await signIn(page, user, false);
      await page.getByText("A message written offline waits for the server: the mail on this device is kept until then.").waitFor();
      await outboxDone(page, runs);
      await page.getByRole("status").getByText("The message in the outbox was sent.").waitFor();
      assert.equal(serverSearch(server, "INBOX", ["subject", "Not lost by unticking"], "bob").length, 1, "delivered");
      await page.getByRole("status").getByText("The mail on this device was removed, as asked at sign-in.").waitFor();
      const left = await storage(page);
      assert.ok(!left.databases.includes(`webmail-mail:${account}`), `no mail database: ${left.databases}`);
    } finally {
      await again.stop();
    }
  });
});

test("a folder recreated on the server (a new UIDVALIDITY) drops what the device kept of it", async () => {
  await withWebmail({ messages: 40, signIn: false }, async ({ page, server, user }) => {
    const account = `${user.username}\nlocal`;
    const name = server.manifest.find((message) => message.folder !== "INBOX" && message.folder.split("/").length === 1 && message.subject).folder;
    const before = server.manifest.filter((message) => message.folder === name && message.subject);
    await signIn(page, user, true);
    await openFolder(page, name);
    await openMessage(page, before[0].subject);
    await eventually(async () => (await kept(page, account)).byFolder[name]?.messages === 1, "the opened message kept");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("dialog", { name: "Remove your mail from this device?" }).getByRole("button", { name: "Cancel" }).click();

    // Restored from a backup, say: the same name, a new numbering, one message.
    recreateMailbox(server, name);
    saveMessage(server, name, plainMessage("Fresh after the restore"));
    await signIn(page, user, true);
    await row(page, "Fresh after the restore").waitFor();
    assert.equal(await grid(page).getByRole("row").count(), 1, "only the folder's new message is listed");
    for (const message of before.slice(0, 3)) assert.equal(await row(page, message.subject).count(), 0, `${message.subject} is gone`);
    const left = await eventually(async () => {
      const found = (await kept(page, account)).byFolder[name];
      return found?.rows === 1 && found;
    }, "the device keeps the new row alone");
    assert.equal(left.messages, 0, "no message of the old numbering is kept");
  });
});

test("a corrupted database on the device is rebuilt from the server, not a blank page", async () => {
  await withWebmail({ messages: 30, signIn: false }, async ({ page, server, user }) => {
    const account = `${user.username}\nlocal`;
    await signIn(page, user, true);
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("dialog", { name: "Remove your mail from this device?" }).getByRole("button", { name: "Cancel" }).click();
    // What a crash mid-upgrade or a broken browser profile can leave: the version, not its stores.
    await page.evaluate(async (name) => {
      const settled = (request) => new Promise((resolve, reject) => ((request.onsuccess = () => resolve(request.result)), (request.onerror = () => reject(request.error))));
      const existing = await settled(indexedDB.open(name));
      const version = existing.version;
      existing.close();
      await settled(indexedDB.deleteDatabase(name));
      const request = indexedDB.open(name, version);
      request.onupgradeneeded = () => request.result.createObjectStore("folders");
      (await settled(request)).close();
    }, `webmail-mail:${account}`);
    await page.reload();
    await signIn(page, user, true);
    const newest = server.manifest.filter((message) => message.folder === "INBOX" && message.subject).sort((a, b) => b.uid - a.uid)[0];
    await openMessage(page, newest.subject);
    await eventually(async () => (await kept(page, account)).messages === 1, "the opened message kept again");
  });
});
