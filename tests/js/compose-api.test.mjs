// The compose module in headless Chromium, through the real bridge, to the real
// submission server (Dovecot's, delivering to the harness's accounts): a message
// with a UTF-8 subject, a Bcc and a 5 MB attachment arrives byte-identical, the
// Bcc only in the envelope; refusals come back per recipient, a message over
// the server's limit is refused before it is uploaded, and drafts.js keeps one
// draft per message and files one Sent copy.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startDovecot } from "./harness.mjs";
import { startBridge, upstreamFor } from "./bridge.mjs";
import { launchBrowser, recordFrames } from "./browser.mjs";
import { assemble } from "./api-scenario.mjs";

function environment() {
  return assemble(async (onClose) => {
    const server = await startDovecot({ submission: true });
    onClose(() => server.stop());
    const bridge = await startBridge(upstreamFor(server));
    onClose(() => bridge.stop());
    const browser = await launchBrowser();
    onClose(() => browser.close());
    const page = await browser.newPage();
    await page.goto(bridge.url);
    await page.evaluate(async (wsUrl) => {
      const compose = await import("/pkg/client_compose.js");
      await compose.default();
      const imap = await import("/pkg/client_wasm.js");
      await imap.default();
      window.compose = compose;
      window.ImapClient = imap.ImapClient;
      window.wsUrl = wsUrl;
      window.attempt = async (action) => {
        try {
          return { value: await action() };
        } catch (error) {
          return { error: { code: error.code, message: error.message, rejected: error.rejected ?? null, limit: error.limit ?? null } };
        }
      };
      window.sha256 = async (bytes) =>
        Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)), (b) => b.toString(16).padStart(2, "0")).join("");
      window.randomBytes = (size) => {
        const data = new Uint8Array(size);
        for (let at = 0; at < size; at += 65536) crypto.getRandomValues(data.subarray(at, Math.min(size, at + 65536)));
        return data;
      };
    }, bridge.wsUrl);
    return { server, bridge, page };
  });
}

/** Bytes the bridge has relayed from pages to servers. */
async function toUpstream(bridge) {
  const text = await (await fetch(`${bridge.origin}/metrics`)).text();
  return Number(/bridge_bytes_total\{direction="to_upstream"\} (\d+)/.exec(text)?.[1] ?? 0);
}

test("a message with a Bcc and a 5 MB attachment arrives whole, and the Bcc stays in the envelope", async () => {
  const env = await environment();
  try {
    const sent = await env.page.evaluate(async () => {
      const smtp = await window.compose.SmtpClient.connect({ url: window.wsUrl, upstream: "local" });
      const capabilities = smtp.capabilities;
      await smtp.login("alice", "wonderland");
      const data = window.randomBytes(5 * 1024 * 1024);
      const progress = [];
      const result = await smtp.send(
        {
          from: { name: "Alice Ärger", address: "alice@mail.test" },
          to: [{ name: "Bob", address: "bob@mail.test" }, "nobody@mail.test"],
          bcc: ["alice@mail.test"],
          subject: "Grüße — the quarterly figures",
          text: "Hello Bob,\n.a line that starts with a dot\nthe figures are attached.\n-- \nAlice",
          attachments: [{ filename: "Übersicht Q3.bin", contentType: "application/octet-stream", data }],
        },
        { onProgress: (sent, total) => progress.push([sent, total]) },
      );
      await smtp.close();
      return { capabilities, result, progress, digest: await window.sha256(data) };
    });
    assert.equal(sent.capabilities.maxSize, env.server.submission.max_bytes);
    assert.ok(sent.capabilities.pipelining && sent.capabilities.chunking);
    assert.deepEqual(sent.result.accepted, ["bob@mail.test", "alice@mail.test"]);
    assert.equal(sent.result.rejected.length, 1);
    assert.equal(sent.result.rejected[0].address, "nobody@mail.test");
    assert.equal(sent.result.rejected[0].code, 550);
    assert.match(sent.result.messageId, /^<[0-9a-f]{32}@mail\.test>$/);
    assert.ok(sent.progress.length > 10, "progress reported along the upload");
    const sentBytes = sent.progress.map(([sentSoFar]) => sentSoFar);
    assert.deepEqual(sentBytes, [...sentBytes].sort((a, b) => a - b), "progress never goes back");
    assert.deepEqual(sent.progress.at(-1), [sent.result.size, sent.result.size]);

    const received = await env.page.evaluate(async (messageId) => {
      const read = async (user, password) => {
        const client = await window.ImapClient.connect({ url: window.wsUrl, upstream: "local" });
        await client.login(user, password);
        await client.select("INBOX");
        const uids = await client.searchRaw(`HEADER Message-ID "${messageId}"`);
        const uid = uids.at(-1);
        const message = await client.fetchMessage(uid);
        const raw = new TextDecoder().decode(await client.fetchRaw(uid));
        const attachment = message.attachments[0];
        const bytes = await client.fetchPart(uid, attachment.partId);
        await client.logout();
        return { subject: message.subject, bcc: message.bcc, text: message.text, filename: attachment.filename, digest: await window.sha256(bytes), raw };
      };
      return { bob: await read("bob", "builder"), alice: await read("alice", "wonderland") };
    }, sent.result.messageId);
    for (const [who, copy] of Object.entries(received)) {
      assert.equal(copy.subject, "Grüße — the quarterly figures", who);
      assert.equal(copy.filename, "Übersicht Q3.bin", who);
      assert.equal(copy.digest, sent.digest, `${who}: the attachment arrived byte-identical`);
      assert.doesNotMatch(copy.raw, /^Bcc:/im, `${who}: no Bcc header in what was sent`);
      assert.deepEqual(copy.bcc, [], who);
      assert.match(copy.text, /\.a line that starts with a dot/, who);
    }
  } finally {
    await env.close();
  }
});

test("a message over the server's limit is refused before it is uploaded, and refusals name the recipient", async () => {
  const env = await environment();
  try {
    const before = await toUpstream(env.bridge);
    const outcome = await env.page.evaluate(async (limit) => {
      const smtp = await window.compose.SmtpClient.connect({ url: window.wsUrl, upstream: "local" });
      const wrongPassword = await window.attempt(() => smtp.login("alice", "not her password"));
      await smtp.login("alice", "wonderland");
      const tooLarge = await window.attempt(() =>
        smtp.send({
          from: "alice@mail.test",
          to: ["bob@mail.test"],
          subject: "too large",
          attachments: [{ filename: "big.bin", data: new Uint8Array(limit) }],
        }),
      );
      const nobody = await window.attempt(() => smtp.send({ from: "alice@mail.test", to: ["nobody@mail.test"], subject: "x", text: "x" }));
      const injection = await window.attempt(() =>
        smtp.send({ from: "alice@mail.test", to: ["bob@mail.test"], subject: "hi\r\nBcc: eve@mail.test", text: "x" }),
      );
      const raw = await window.attempt(() =>
        smtp.send({ raw: new TextEncoder().encode("Subject: raw\r\n\r\nbody\r\n"), from: "alice@mail.test", to: ["bob@mail.test"] }),
      );
      await smtp.close();
      return { wrongPassword, tooLarge, nobody, injection, raw };
    }, env.server.submission.max_bytes);
    assert.equal(outcome.wrongPassword.error.code, "AUTH_FAILED");
    assert.equal(outcome.tooLarge.error.code, "MESSAGE_TOO_LARGE");
    assert.equal(outcome.tooLarge.error.limit, env.server.submission.max_bytes);
    assert.ok((await toUpstream(env.bridge)) - before < 64 * 1024, "the large message never left the page");
    assert.equal(outcome.nobody.error.code, "RECIPIENT_REJECTED");
    assert.equal(outcome.nobody.error.rejected[0].address, "nobody@mail.test");
    assert.equal(outcome.injection.error.code, "INVALID_ARGUMENT");
    assert.equal(outcome.raw.value.messageId, null);
    assert.deepEqual(outcome.raw.value.accepted, ["bob@mail.test"]);
    assert.deepEqual(env.page.consoleErrors, []);
  } finally {
    await env.close();
  }
});

test("with end-to-end submission the bridge relays only ciphertext: no password, no message text", async () => {
  const env = await assemble(async (onClose) => {
    const server = await startDovecot({ submission: true });
    onClose(() => server.stop());
    const trust = `ca_file = ${JSON.stringify(server.ca_file)}\n`;
    const bridge = await startBridge(`
[[upstream]]
name = "e2e"
address = "127.0.0.1:${server.imap_port}"
tls = "none"
${trust}submission = "localhost:${server.submission.tls_port}"
submission_tls = "end-to-end"

[[upstream]]
name = "e2e-starttls"
address = "127.0.0.1:${server.imap_port}"
tls = "none"
${trust}submission = "localhost:${server.submission.port}"
submission_tls = "end-to-end-starttls"
`);
    onClose(() => bridge.stop());
    const browser = await launchBrowser();
    onClose(() => browser.close());
    const page = await browser.newPage();
    const frames = recordFrames(page);
    await page.goto(bridge.url);
    return { server, bridge, page, frames };
  });
  try {
    for (const upstream of ["e2e", "e2e-starttls"]) {
      env.frames.length = 0;
      const sent = await env.page.evaluate(
        async ({ upstream, wsUrl }) => {
          const compose = await import("/pkg/client_compose.js");
          await compose.default();
          const tls = await import("/pkg/client_tls.js");
          await tls.default();
          const list = await (await fetch("/api/upstreams")).json();
          const entry = list.upstreams.find((candidate) => candidate.name === upstream);
          const info = entry.submission.endToEnd;
          const smtp = await compose.SmtpClient.connect({
            url: wsUrl,
            upstream,
            endToEnd: { starttls: info.starttls, createSession: () => new tls.TlsSession(info.serverName, { extraRootsPem: info.extraRootsPem ?? undefined }) },
          });
          await smtp.login("alice", "wonderland");
          const result = await smtp.send({ from: "alice@mail.test", to: ["bob@mail.test"], subject: `Sealed over ${upstream}`, text: "The vault code is 7-3-1.\n" });
          await smtp.close();
          return { canSend: entry.canSend, tls: entry.submission.tls, accepted: result.accepted };
        },
        { upstream, wsUrl: env.bridge.wsUrl },
      );
      assert.equal(sent.canSend, true);
      assert.equal(sent.tls, upstream === "e2e" ? "end-to-end" : "end-to-end-starttls");
      assert.deepEqual(sent.accepted, ["bob@mail.test"]);
      const wire = Buffer.concat(env.frames);
      // PLAIN's initial response for alice/wonderland, the password, and the text.
      for (const secret of ["wonderland", "AGFsaWNlAHdvbmRlcmxhbmQ=", "vault code", `Sealed over ${upstream}`, "RCPT TO"]) {
        assert.equal(wire.indexOf(Buffer.from(secret)), -1, `${upstream}: "${secret}" crossed the bridge readable`);
      }
      if (upstream === "e2e-starttls") assert.ok(wire.includes(Buffer.from("STARTTLS\r\n")), "the page itself asked for STARTTLS");
    }
  } finally {
    await env.close();
  }
});

test("drafts.js keeps one draft per message, reads it back to go on with, and files one Sent copy after the send", async () => {
  const env = await environment();
  try {
    const outcome = await env.page.evaluate(async () => {
      const { saveDraft, loadDraft, afterSend } = await import("/drafts.js");
      const imap = await window.ImapClient.connect({ url: window.wsUrl, upstream: "local" });
      await imap.login("alice", "wonderland");
      const file = { filename: "notes.txt", contentType: "text/plain", data: new TextEncoder().encode("kept notes") };
      const draft = {
        from: { name: "Alice", address: "alice@mail.test" },
        to: [{ name: "Bob", address: "bob@mail.test" }],
        cc: [],
        bcc: [{ name: null, address: "alice@mail.test" }],
        subject: "A draft to go on with",
        text: "First words, and a line long enough that format=flowed has to wrap it somewhere before seventy-two columns.",
        attachments: [file],
        messageId: "<draft-1@mail.test>",
      };
      let uid = null;
      for (let edit = 1; edit <= 3; edit++) uid = await saveDraft(imap, window.compose, { ...draft, text: `${draft.text}\nedit ${edit}` }, { folder: "Drafts", replaceUid: uid });
      await imap.select("Drafts");
      const drafts = await imap.searchRaw('SUBJECT "A draft to go on with"');
      const loaded = await loadDraft(imap, "Drafts", uid);

      const smtp = await window.compose.SmtpClient.connect({ url: window.wsUrl, upstream: "local" });
      await smtp.login("alice", "wonderland");
      const sent = await smtp.send(loaded);
      await smtp.close();
      await afterSend(imap, window.compose, { ...loaded, messageId: sent.messageId }, { sentFolder: "Sent", draftFolder: "Drafts", draftUid: uid });
      // Asked again (a retry of the filing): the copy is found by its Message-ID, not filed twice.
      await afterSend(imap, window.compose, { ...loaded, messageId: sent.messageId }, { sentFolder: "Sent" });
      await imap.select("Sent");
      const filed = await imap.searchRaw(`HEADER Message-ID "${sent.messageId}"`);
      const copy = await imap.fetchMessage(filed[0]);
      await imap.select("Drafts");
      const left = await imap.searchRaw('SUBJECT "A draft to go on with"');
      await imap.logout();
      return {
        drafts: drafts.length,
        loaded: { ...loaded, attachments: loaded.attachments.map((part) => ({ ...part, data: new TextDecoder().decode(part.data) })) },
        messageId: sent.messageId,
        filed: filed.length,
        sentBcc: copy.bcc.map((entry) => entry.address),
        left: left.length,
      };
    });
    assert.equal(outcome.drafts, 1, "three saves, one draft");
    assert.deepEqual(outcome.loaded.to, [{ name: "Bob", address: "bob@mail.test" }]);
    assert.deepEqual(outcome.loaded.bcc, [{ name: null, address: "alice@mail.test" }], "the draft keeps its Bcc");
    assert.match(outcome.loaded.text, /^First words, and a line long enough that format=flowed has to wrap it somewhere before seventy-two columns\.\nedit 3$/);
    assert.deepEqual(outcome.loaded.attachments, [{ filename: "notes.txt", contentType: "text/plain", data: "kept notes" }]);
    assert.equal(outcome.loaded.messageId, "<draft-1@mail.test>");
    assert.equal(outcome.messageId, "<draft-1@mail.test>", "the message keeps the draft's Message-ID");
    assert.equal(outcome.filed, 1, "one copy in Sent");
    assert.deepEqual(outcome.sentBcc, ["alice@mail.test"]);
    assert.equal(outcome.left, 0, "the draft is gone once sent");
  } finally {
    await env.close();
  }
});
