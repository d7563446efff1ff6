// The sending benchmark (a harness, not a test): the same message sent from
// headless Chromium through the real bridge to Dovecot's submission service
// (implicit TLS done by the bridge), and by Python's smtplib straight to the
// same port in the same run. Timed from opening the connection to the
// server's final 250 (connect, TLS, greeting, EHLO, AUTH, the transaction);
// the UI's undo window is not part of it. Two messages: 2 KB of text, and one
// carrying a 10 MB attachment. Rounds alternate between the two senders.
// Goals (issue #11): the 2 KB one under 150 ms on loopback, the 10 MB one
// within 1.3x of smtplib.
// Usage: node tests/bench/send.mjs [--rounds N]
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startDovecot } from "../js/harness.mjs";
import { startBridge } from "../js/bridge.mjs";
import { launchBrowser } from "../js/browser.mjs";
import { median, option } from "./figures.mjs";

const ROUNDS = option("rounds", 5);

// smtplib over implicit TLS with the harness CA, timed like the page.
const PYTHON = `
import smtplib, ssl, sys, time
port, ca, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
raw = open(path, "rb").read()
context = ssl.create_default_context(cafile=ca)
started = time.perf_counter()
client = smtplib.SMTP_SSL("localhost", port, context=context)
client.login("alice", "wonderland")
client.sendmail("alice@mail.test", ["bob@mail.test"], raw)
elapsed = time.perf_counter() - started
client.quit()
print(elapsed * 1000)
`;

const server = await startDovecot({ submissionMaxBytes: 64 * 1024 * 1024 });
const bridge = await startBridge(`
[[upstream]]
name = "local"
address = "127.0.0.1:${server.imap_port}"
tls = "none"
ca_file = ${JSON.stringify(server.ca_file)}
submission = "localhost:${server.submission.tls_port}"
submission_tls = "implicit"
`);
const browser = await launchBrowser();
const scratch = mkdtempSync(path.join(tmpdir(), "bench-send-"));
try {
  const page = await browser.newPage();
  await page.goto(bridge.url);
  const messages = await page.evaluate(async () => {
    const compose = await import("/pkg/client_compose.js");
    await compose.default();
    window.compose = compose;
    const attachment = new Uint8Array(10 * 1000 * 1000);
    for (let at = 0; at < attachment.length; at += 65536) crypto.getRandomValues(attachment.subarray(at, Math.min(attachment.length, at + 65536)));
    const draft = (subject, text, attachments) => ({ from: "alice@mail.test", to: ["bob@mail.test"], subject, text, attachments, date: Date.UTC(2026, 10, 30) });
    window.raw = {
      small: compose.buildMessage(draft("2 KB", "Lorem ipsum dolor sit amet, consectetur adipiscing elit. ".repeat(34), []), undefined),
      large: compose.buildMessage(draft("10 MB", "The figures.", [{ filename: "figures.bin", data: attachment }]), undefined),
    };
    window.send = async (which) => {
      const started = performance.now();
      const client = await compose.SmtpClient.connect({ url: new URL("/ws", location.href).href.replace(/^http/, "ws"), upstream: "local" });
      await client.login("alice", "wonderland");
      await client.send({ raw: window.raw[which], from: "alice@mail.test", to: ["bob@mail.test"] }, undefined);
      const elapsed = performance.now() - started;
      await client.close();
      return elapsed;
    };
    // The same bytes for smtplib, as base64 (a string crosses to Node quickly).
    const base64 = (bytes) => {
      let binary = "";
      for (let at = 0; at < bytes.length; at += 32768) binary += String.fromCharCode(...bytes.subarray(at, at + 32768));
      return btoa(binary);
    };
    return { small: base64(window.raw.small), large: base64(window.raw.large) };
  });
  const size = {};
  for (const which of ["small", "large"]) {
    const bytes = Buffer.from(messages[which], "base64");
    size[which] = bytes.length;
    writeFileSync(path.join(scratch, `${which}.eml`), bytes);
  }
  const python = (which) =>
    Number(execFileSync("/usr/bin/python3", ["-c", PYTHON, String(server.submission.tls_port), server.ca_file, path.join(scratch, `${which}.eml`)], { encoding: "utf8" }));

  const results = { small: { page: [], python: [] }, large: { page: [], python: [] } };
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const which of ["small", "large"]) {
      results[which].page.push(await page.evaluate((which) => window.send(which), which));
      results[which].python.push(python(which));
    }
  }
  console.log(`Sending benchmark: Dovecot's submission service over implicit TLS, ${ROUNDS} rounds (median), Chromium through the bridge vs Python smtplib direct\n`);
  console.log("| message | page through the bridge | smtplib direct | ratio | goal |");
  console.log("|---|---|---|---|---|");
  for (const which of ["small", "large"]) {
    const page = median(results[which].page);
    const direct = median(results[which].python);
    const goal = which === "small" ? "under 150 ms" : "within 1.3x";
    const label = `${which === "small" ? "2 KB text" : "10 MB attachment"} (${(size[which] / 1e6).toFixed(which === "small" ? 4 : 1)} MB on the wire)`;
    console.log(`| ${label} | ${page.toFixed(1)} ms | ${direct.toFixed(1)} ms | ${(page / direct).toFixed(2)}x | ${goal} |`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
  await browser.close();
  await bridge.stop();
  await server.stop();
}
