// The cache-fill benchmark (a harness, not a test): a 50,000-message INBOX in the
// real Dovecot, the release bridge, the built UI in headless Chromium, rounds
// alternating, each browser with a fresh profile. Prints:
//   - Dovecot sending `UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE
//     BODYSTRUCTURE)` to a bare socket (Node, loopback): the server's own speed;
//   - the same command over a WebSocket through the bridge in Chromium, with the
//     page only counting bytes: what the browser and the relay cost on this machine;
//   - the UI filling the device after a sign-in with "Keep mail on this device"
//     (its `webmail:fill-start` to `webmail:fill-done` marks: every row in IndexedDB),
//     and the frame intervals while it runs (goal: p95 under 16 ms);
//   - the same rows read as objects, as the list reads rows to show them
//     (`fetchSummaries`), which is how a fill went before;
//   - JS heap per kept message: the page after the fill, against the page signed
//     in without keeping mail (goal: 0.5 KB).
// Ratios are to the bare socket (goal for the fill: 1.5x).
// Usage: node tests/bench/fill.mjs [--messages N] [--rounds N]
import net from "node:net";
import { startDovecot } from "../js/harness.mjs";
import { startBridge } from "../js/bridge.mjs";
import { launchBrowser } from "../js/browser.mjs";
import { median, ms, option, percentile } from "./figures.mjs";

const MESSAGES = option("messages", 50_000);
const ROUNDS = option("rounds", 3);
const ITEMS = "(UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE BODYSTRUCTURE)";
/** Enough of the stream's end to hold a whole tagged answer (LOGIN's lists every capability). */
const TAIL = 4096;

/**
 * The exchange the bare socket and the plain WebSocket both time: the command
 * sent after each answer (the greeting, then LOGIN's, then SELECT's), and the
 * pattern (a RegExp source, to pass into the page) each answer ends with.
 */
function exchange(user) {
  return {
    commands: [`a LOGIN ${user.username} ${user.password}\r\n`, "b SELECT INBOX\r\n", `c UID FETCH 1:* ${ITEMS}\r\n`],
    ends: ["\\r\\n$", ...["a", "b", "c"].map((tag) => `(^|\\r\\n)${tag} OK[^\\r]*\\r\\n$`)],
  };
}

/** Milliseconds from sending the FETCH to its tagged OK, on a bare socket. */
function bareSocket(port, user) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    const { commands: steps, ends } = exchange(user);
    const done = ends.map((source) => new RegExp(source));
    let tail = "";
    let step = 0;
    let started = 0;
    socket.on("data", (chunk) => {
      tail = (tail + chunk.toString("latin1")).slice(-TAIL);
      if (!done[step].test(tail)) return;
      if (step === 3) {
        socket.end();
        resolve(performance.now() - started);
        return;
      }
      if (step === 2) started = performance.now();
      socket.write(steps[step]);
      step += 1;
      tail = "";
    });
    socket.on("error", reject);
  });
}

/** The same exchange over a WebSocket through the bridge, the page counting bytes only. */
function plainWebSocket(page, user) {
  return page.evaluate(
    ({ commands: steps, ends, tailLength }) =>
      new Promise((resolve, reject) => {
        const socket = new WebSocket(new URL("/ws?upstream=local", location.href).href.replace(/^http/, "ws"));
        socket.binaryType = "arraybuffer";
        const latin1 = new TextDecoder("latin1");
        const done = ends.map((source) => new RegExp(source));
        let tail = "";
        let step = 0;
        let started = 0;
        socket.onerror = () => reject(new Error("the WebSocket failed"));
        socket.onmessage = (event) => {
          const data = new Uint8Array(event.data);
          tail = (tail + latin1.decode(data.subarray(Math.max(0, data.length - tailLength)))).slice(-tailLength);
          if (!done[step].test(tail)) return;
          if (step === 3) {
            socket.close();
            resolve(performance.now() - started);
            return;
          }
          if (step === 2) started = performance.now();
          socket.send(new TextEncoder().encode(steps[step]));
          step += 1;
          tail = "";
        };
      }),
    { ...exchange(user), tailLength: TAIL },
  );
}

/** Every row as objects, as `fetchSummaries` gives them to the list. */
function rowsAsObjects(page, user) {
  return page.evaluate(
    async ({ username, password }) => {
      const wasm = await import("/pkg/client_wasm.js");
      await wasm.default();
      const url = new URL("/ws", location.href).href.replace(/^http/, "ws");
      const client = await wasm.ImapClient.connect({ url, upstream: "local", idle: false, reconnect: false });
      await client.login(username, password);
      await client.select("INBOX");
      const uids = await client.messageUids({ sort: "uid" });
      const started = performance.now();
      const chunks = [];
      for (let at = 0; at < uids.length; at += 2_000) chunks.push(client.fetchSummaries(uids.slice(at, at + 2_000)));
      const rows = (await Promise.all(chunks)).flat().length;
      const elapsed = performance.now() - started;
      await client.logout();
      client.free();
      return { elapsed, rows };
    },
    { username: user.username, password: user.password },
  );
}

/** The page's JS heap after a full garbage collection. */
async function heapAfterGc(page) {
  const session = await page.context().newCDPSession(page);
  await session.send("HeapProfiler.collectGarbage");
  const { usedSize } = await session.send("Runtime.getHeapUsage");
  await session.detach();
  return usedSize;
}

/** Signs in through the UI; with `keep`, waits for the fill and returns its time and frames. */
async function signIn(page, url, user, keep) {
  await page.goto(url);
  await page.getByLabel("Username").fill(user.username);
  await page.getByLabel("Password").fill(user.password);
  if (keep) await page.getByLabel("Keep mail on this device").check();
  await page.evaluate(() => {
    window.frameTimes = [];
    const record = (time) => {
      window.frameTimes.push(time);
      requestAnimationFrame(record);
    };
    requestAnimationFrame(record);
  });
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForFunction(() => performance.getEntriesByName("webmail:first-rows").length > 0, undefined, { timeout: 120_000 });
  if (!keep) return null;
  await page.waitForFunction(() => performance.getEntriesByName("webmail:fill-done").length > 0, undefined, { timeout: 300_000 });
  return page.evaluate(() => {
    const start = performance.getEntriesByName("webmail:fill-start")[0];
    const end = performance.getEntriesByName("webmail:fill-done")[0];
    const frames = window.frameTimes.filter((time) => time >= start.startTime && time <= end.startTime);
    const intervals = frames.slice(1).map((time, index) => time - frames[index]);
    return { elapsed: end.startTime - start.startTime, rows: start.detail.rows, intervals };
  });
}

console.error(`bench-fill: generating ${MESSAGES.toLocaleString()} messages in INBOX…`);
const server = await startDovecot({ messages: MESSAGES, seed: 4, inboxOnly: true, largeAttachment: false });
// Plain IMAP on loopback, so every way moves the same bytes as the bare socket.
const bridge = await startBridge(`
[[upstream]]
name = "local"
label = "Loopback"
address = "127.0.0.1:${server.imap_port}"
tls = "none"
`);
const user = server.users[0];
const results = { bare: [], webSocket: [], fill: [], objects: [], intervals: [], heapKept: [], heapWithout: [] };
try {
  // A warm-up, so Dovecot's caches are built for every way alike.
  await bareSocket(server.imap_port, user);
  for (let round = 0; round < ROUNDS; round += 1) {
    results.bare.push(await bareSocket(server.imap_port, user));
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      await page.goto(bridge.url);
      results.webSocket.push(await plainWebSocket(page, user));
      const objects = await rowsAsObjects(page, user);
      if (objects.rows !== MESSAGES) throw new Error(`read ${objects.rows} of ${MESSAGES} rows as objects`);
      results.objects.push(objects.elapsed);
      await page.close();

      const without = await browser.newPage();
      await signIn(without, bridge.url, user, false);
      results.heapWithout.push(await heapAfterGc(without));
      await without.close();

      const keeping = await browser.newPage();
      const fill = await signIn(keeping, bridge.url, user, true);
      if (fill.rows < MESSAGES - 100) throw new Error(`the fill kept ${fill.rows} of ${MESSAGES} rows`);
      results.fill.push(fill.elapsed);
      results.intervals.push(...fill.intervals);
      results.heapKept.push(await heapAfterGc(keeping));
      if (keeping.consoleErrors.length) throw new Error(`the page logged errors: ${keeping.consoleErrors.join("; ")}`);
    } finally {
      await browser.close();
    }
    console.error(`bench-fill: round ${round + 1} of ${ROUNDS} done`);
  }
  const bare = median(results.bare);
  const ratio = (value) => `${(value / bare).toFixed(2)}x`;
  const perMessage = (median(results.heapKept) - median(results.heapWithout)) / MESSAGES;
  const out = [];
  out.push(`Cache-fill benchmark: ${MESSAGES.toLocaleString()}-message INBOX, Chromium, ${ROUNDS} rounds (median)\n`);
  out.push("| measurement | time | vs bare socket | goal |");
  out.push("|---|---|---|---|");
  out.push(`| Dovecot → bare socket (Node), \`UID FETCH 1:* ${ITEMS}\` | ${ms(bare)} | 1.00x | — |`);
  out.push(`| the same over a WebSocket through the bridge, the page counting bytes | ${ms(median(results.webSocket))} | ${ratio(median(results.webSocket))} | — |`);
  out.push(`| the UI keeping the folder on the device (every row in IndexedDB) | ${ms(median(results.fill))} | **${ratio(median(results.fill))}** | 1.5x |`);
  out.push(`| the same rows read as objects (\`fetchSummaries\`), as a fill went before | ${ms(median(results.objects))} | ${ratio(median(results.objects))} | — |`);
  out.push(`| frame interval while the fill runs: p50 / p95 (${results.intervals.length} frames) | ${ms(percentile(results.intervals, 0.5))} / ${ms(percentile(results.intervals, 0.95))} | — | p95 under 16 ms of work |`);
  out.push(`| JS heap per kept message (after the fill, against signed in without keeping) | ${perMessage.toFixed(0)} bytes | — | 500 bytes |`);
  console.log(out.join("\n"));
} finally {
  await bridge.stop();
  await server.stop();
}
