// The browser package in headless Chromium, through the real bridge, against the
// real Dovecot: every API method, live updates, reconnects and a loss-free move.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startDovecot } from "./harness.mjs";
import { startBridge, upstreamFor } from "./bridge.mjs";
import { launchBrowser } from "./browser.mjs";
import { serverUids } from "./doveadm.mjs";
import { runApiScenario, assemble, installPageHelpers } from "./api-scenario.mjs";
import { startFaultProxy } from "./fault-proxy.mjs";

/** Everything one scenario needs; `close()` stops it all, in order, even after a failure. */
function environment({ messages = 40, extraConfig, viaProxy = false } = {}) {
  return assemble(async (onClose) => {
    const server = await startDovecot({ messages, seed: 5, largeAttachment: false, extraConfig });
    onClose(() => server.stop());
    let upstream = upstreamFor(server);
    let proxy = null;
    if (viaProxy) {
      proxy = await startFaultProxy(server.imap_port);
      onClose(() => proxy.close());
      upstream = `
[[upstream]]
name = "local"
address = "127.0.0.1:${proxy.port}"
tls = "none"
`;
    }
    const bridge = await startBridge(`${upstream}\n[limits]\nping_interval_secs = 5\n`);
    onClose(() => bridge.stop());
    const browser = await launchBrowser();
    onClose(() => browser.close());
    const page = await browser.newPage();
    await page.goto(bridge.url);
    await installPageHelpers(page);
    await page.evaluate(async (wsUrl) => {
      const module = await import("/pkg/client_wasm.js");
      await module.default();
      window.ImapClient = module.ImapClient;
      window.wsUrl = wsUrl;
      window.open = async (options = {}) => window.track(await module.ImapClient.connect({ url: wsUrl, upstream: "local", ...options }));
    }, bridge.wsUrl);
    return { server, bridge, page, proxy, user: server.users[0] };
  });
}

/** Signs in from the page as `window.client` and selects INBOX. */
async function openInbox({ page, user }) {
  await page.evaluate(
    async ({ user, password }) => {
      window.client = await window.open();
      await window.client.login(user, password);
      await window.client.select("INBOX");
    },
    { user: user.username, password: user.password },
  );
}

test("every method of the API against the real server", async () => {
  const env = await environment();
  try {
    await runApiScenario(env);
    assert.deepEqual(env.page.consoleErrors, []);
  } finally {
    await env.close();
  }
});

test("a 5 MB message is appended through the bridge at its default limits and read back identical", async () => {
  // The bridge takes at most 1 MiB per WebSocket message; the page must stream the literal.
  const env = await environment({ messages: 5 });
  try {
    await openInbox(env);
    const result = await env.page.evaluate(async () => {
      const lines = ["From: alice@example.org", "To: bob@example.org", "Subject: five megabytes", "MIME-Version: 1.0", ""];
      let state = 7;
      const line = () => {
        let text = "";
        for (let i = 0; i < 76; i++) {
          state = (state * 1103515245 + 12345) & 0x7fffffff;
          text += "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[state % 64];
        }
        return text;
      };
      while (lines.length < 5 * 1024 * 1024 / 78) lines.push(line());
      const message = new TextEncoder().encode(lines.join("\r\n") + "\r\n");
      const progress = [];
      const uid = await window.client.append("Drafts", message, {
        flags: ["\\Draft"],
        onProgress: (sent, total) => progress.push([sent, total]),
      });
      await window.client.select("Drafts");
      const back = await window.client.fetchRaw(uid);
      const identical = back.length === message.length && back.every((byte, i) => byte === message[i]);
      return { size: message.length, identical, progress };
    });
    assert.ok(result.size > 5_000_000, `${result.size} bytes`);
    assert.ok(result.identical, "the message read back is byte for byte the one appended");
    const last = result.progress.at(-1);
    assert.deepEqual(last, [result.size, result.size], "progress ends at the total");
    assert.ok(result.progress.every(([sent, total], i) => total === result.size && (i === 0 || sent >= result.progress[i - 1][0])));
    assert.deepEqual(env.page.consoleErrors, []);
  } finally {
    await env.close();
  }
});

test("a message appended by a second client appears as an exists event within a second", async () => {
  const env = await environment({ messages: 15 });
  try {
    const { page, user } = env;
    await page.evaluate(
      async ({ user, password }) => {
        window.watcher = await window.open();
        await window.watcher.login(user, password);
        window.selected = await window.watcher.select("INBOX");
      },
      { user: user.username, password: user.password },
    );
    const appendedUid = await page.evaluate(
      async ({ user, password }) => {
        const writer = await window.open({ idle: false });
        await writer.login(user, password);
        window.appendedAt = performance.now();
        return writer.append("INBOX", "Subject: live\r\n\r\nnew mail\r\n");
      },
      { user: user.username, password: user.password },
    );
    const event = await page.waitForFunction(
      (uid) => {
        const found = window.events.find((e) => e.type === "exists" && e.uids.includes(uid));
        return found && { ...found, after: performance.now() - window.appendedAt };
      },
      appendedUid,
      { timeout: 1000 },
    );
    const exists = await event.jsonValue();
    assert.equal(exists.count, (await page.evaluate(() => window.selected.exists)) + 1);
    assert.ok(exists.after < 1000, `${exists.after} ms`);
  } finally {
    await env.close();
  }
});

test("a dropped upstream connection is reconnected and calls never hang", async () => {
  const env = await environment({ messages: 15, viaProxy: true });
  try {
    const { page, proxy } = env;
    await openInbox(env);
    // A call in flight while the connection drops.
    await page.evaluate(() => {
      window.inFlight = window.attempt(() => window.client.fetchSummaries([1, 2, 3]));
    });
    proxy.dropAll();
    const outcome = await page.evaluate(() => window.inFlight);
    assert.ok(outcome.ok?.length === 3 || outcome.error?.code === "CONNECTION_LOST", JSON.stringify(outcome));
    await page.waitForFunction(() => window.events.some((e) => e.type === "state" && e.state === "reconnecting"), null, { timeout: 10000 });
    await page.waitForFunction(() => window.client.state === "ready", null, { timeout: 20000 });
    const later = await page.evaluate(() => window.client.fetchSummaries([1]));
    assert.equal(later.length, 1);
  } finally {
    await env.close();
  }
});

test("a move interrupted between COPY and EXPUNGE on a server without MOVE loses nothing", async () => {
  const env = await environment({
    messages: 15,
    viaProxy: true,
    extraConfig: "protocol imap {\n  imap_capability = IMAP4rev1 LITERAL+ SASL-IR IDLE UIDPLUS NAMESPACE ESEARCH\n}\n",
  });
  try {
    const { page, proxy, server } = env;
    const before = serverUids(server, "INBOX");
    const trashBefore = serverUids(server, "Trash");
    await openInbox(env);
    assert.ok(!(await page.evaluate(() => window.client.capabilities.includes("MOVE"))));
    // Cut the connection when the client, after the COPY, starts deleting the originals.
    const cut = proxy.cutWhenClientSends(/UID STORE .*\\Deleted/);
    const outcome = await page.evaluate(() => window.attempt(() => window.client.move([2, 3], "Trash")));
    assert.match(await cut, /STORE/);
    assert.equal(outcome.error?.code, "CONNECTION_LOST", JSON.stringify(outcome));
    // Nothing lost: the originals are still in INBOX, undeleted, and the copies reached Trash.
    assert.deepEqual(serverUids(server, "INBOX"), before);
    assert.deepEqual(serverUids(server, "INBOX", "deleted"), []);
    assert.equal(serverUids(server, "Trash").length, trashBefore.length + 2);
    // The session recovers, and the move can be completed.
    await page.waitForFunction(() => window.client.state === "ready", null, { timeout: 20000 });
    await page.evaluate(() => window.client.move([2, 3], "Trash"));
    assert.deepEqual(serverUids(server, "INBOX"), before.filter((uid) => uid !== 2 && uid !== 3));
  } finally {
    await env.close();
  }
});
