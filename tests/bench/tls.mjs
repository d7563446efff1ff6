// The end-to-end TLS benchmark (a harness, not a test): the same header sync of
// a 50,000-message INBOX from the real Dovecot through the real bridge in headless
// Chromium, once with TLS done by the bridge (implicit TLS upstream, the page
// speaks plain IMAP over the WebSocket) and once with TLS in the page (rustls in
// wasm, the bridge relays ciphertext). Rounds alternate between the two. Prints:
//   - connect time (WebSocket open → greeting), which holds the TLS handshake: in
//     the bridge for one, in the page for the other;
//   - the sync (SELECT, every UID in date order, then every summary in chunks of
//     2,000, as the UI does when scrolling everything), bytes the bridge relayed
//     to the page, and the page's decrypt-and-parse throughput;
//   - the ratio of the end-to-end sync to the bridge-side one (goal: within 1.3x).
// Usage: node tests/bench/tls.mjs [--messages N] [--rounds N]
import { startDovecot } from "../js/harness.mjs";
import { startBridge } from "../js/bridge.mjs";
import { launchBrowser } from "../js/browser.mjs";
import { median, ms, option } from "./figures.mjs";

const MESSAGES = option("messages", 50_000);
const ROUNDS = option("rounds", 3);
const CHUNK = 2_000;

/** The bridge's count of bytes relayed to pages. */
async function bytesToPage(bridge) {
  const text = await (await fetch(`${bridge.origin}/metrics`)).text();
  return Number(/bridge_bytes_total\{direction="to_page"\} (\d+)/.exec(text)?.[1] ?? 0);
}

console.error(`bench-tls: generating ${MESSAGES.toLocaleString()} messages in INBOX…`);
const server = await startDovecot({ messages: MESSAGES, seed: 4, inboxOnly: true, largeAttachment: false });
const trust = `ca_file = ${JSON.stringify(server.ca_file)}\nserver_name = "localhost"\n`;
const bridge = await startBridge(`
[[upstream]]
name = "bridge-tls"
address = "127.0.0.1:${server.imaps_port}"
tls = "implicit"
${trust}
[[upstream]]
name = "end-to-end"
address = "127.0.0.1:${server.imaps_port}"
tls = "end-to-end"
${trust}`);
const browser = await launchBrowser();
try {
  const page = await browser.newPage();
  await page.goto(bridge.url);
  await page.evaluate(async () => {
    const base = await import("/pkg/client_wasm.js");
    await base.default();
    const tls = await import("/pkg/client_tls.js");
    await tls.default();
    const list = await (await fetch("/api/upstreams")).json();
    const info = list.upstreams.find((entry) => entry.name === "end-to-end").endToEnd;
    const url = new URL("/ws", location.href).href.replace(/^http/, "ws");
    window.sync = async (upstream, user, password, chunk) => {
      let session = null;
      const endToEnd =
        upstream === "end-to-end"
          ? { createSession: () => (session = new tls.TlsSession(info.serverName, { extraRootsPem: info.extraRootsPem })) }
          : undefined;
      const started = performance.now();
      const client = await base.ImapClient.connect({ url, upstream, endToEnd, idle: false, reconnect: false });
      const connected = performance.now();
      await client.login(user, password);
      const loggedIn = performance.now();
      await client.select("INBOX");
      const uids = await client.messageUids({ sort: "date", reverse: true });
      let rows = 0;
      for (let index = 0; index < uids.length; index += chunk) {
        rows += (await client.fetchSummaries(uids.slice(index, index + chunk))).length;
      }
      const synced = performance.now();
      const protocol = session ? `${session.protocol} ${session.cipherSuite}` : null;
      await client.logout();
      client.free();
      session?.free();
      return { connect: connected - started, sync: synced - loggedIn, rows, protocol };
    };
  });
  const user = server.users[0];
  const run = async (upstream) => {
    const before = await bytesToPage(bridge);
    const result = await page.evaluate(({ upstream, user, password, chunk }) => window.sync(upstream, user, password, chunk), {
      upstream,
      user: user.username,
      password: user.password,
      chunk: CHUNK,
    });
    if (result.rows !== MESSAGES) throw new Error(`${upstream}: synced ${result.rows} of ${MESSAGES} summaries`);
    return { ...result, bytes: (await bytesToPage(bridge)) - before };
  };

  // A warm-up of each, so Dovecot's caches and the page's compiled code are the same for both.
  await run("bridge-tls");
  await run("end-to-end");
  const results = { "bridge-tls": [], "end-to-end": [] };
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const upstream of round % 2 ? ["end-to-end", "bridge-tls"] : ["bridge-tls", "end-to-end"]) {
      results[upstream].push(await run(upstream));
    }
  }

  const summary = (upstream) => {
    const runs = results[upstream];
    const sync = median(runs.map((entry) => entry.sync));
    const bytes = median(runs.map((entry) => entry.bytes));
    return { connect: median(runs.map((entry) => entry.connect)), sync, bytes, throughput: bytes / 1e6 / (sync / 1000), protocol: runs[0].protocol };
  };
  const bridgeSide = summary("bridge-tls");
  const inPage = summary("end-to-end");
  const out = [];
  out.push(`End-to-end TLS benchmark: ${MESSAGES.toLocaleString()}-message header sync, Chromium, ${ROUNDS} alternating rounds (median)\n`);
  out.push("| measurement | TLS in the bridge | TLS in the page (end-to-end) | ratio |");
  out.push("|---|---|---|---|");
  out.push(`| connect: WebSocket → greeting, with the TLS handshake | ${ms(bridgeSide.connect)} | ${ms(inPage.connect)} | ${(inPage.connect / bridgeSide.connect).toFixed(2)}x |`);
  out.push(`| header sync: SELECT, all UIDs by date, ${MESSAGES.toLocaleString()} summaries | ${ms(bridgeSide.sync)} | ${ms(inPage.sync)} | **${(inPage.sync / bridgeSide.sync).toFixed(2)}x** (goal ≤ 1.3x) |`);
  out.push(`| bytes the bridge relayed to the page | ${(bridgeSide.bytes / 1e6).toFixed(1)} MB plaintext | ${(inPage.bytes / 1e6).toFixed(1)} MB ciphertext | ${(inPage.bytes / bridgeSide.bytes).toFixed(2)}x |`);
  out.push(`| page throughput (receive, decrypt, parse) | ${bridgeSide.throughput.toFixed(1)} MB/s | ${inPage.throughput.toFixed(1)} MB/s | — |`);
  out.push(`\nIn-page TLS: ${inPage.protocol}.`);
  console.log(out.join("\n"));
} finally {
  await browser.close();
  await bridge.stop();
  await server.stop();
}
