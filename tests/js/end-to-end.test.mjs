// End-to-end TLS in headless Chromium: TLS runs in the page (client_tls.js,
// rustls in wasm) and the bridge relays only ciphertext to the real Dovecot.
// Every WebSocket frame is recorded as the bridge sees it; neither the password
// nor any message text may appear in them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import net from "node:net";
import { startDovecot } from "./harness.mjs";
import { startBridge } from "./bridge.mjs";
import { launchBrowser, recordFrames } from "./browser.mjs";
import { runApiScenario, assemble, installPageHelpers } from "./api-scenario.mjs";

/** `[[upstream]]` entries for both end-to-end variants of one server. */
function endToEndUpstreams(server, { serverName = "localhost", caFile = server.ca_file, extra = "" } = {}) {
  const trust = caFile ? `ca_file = ${JSON.stringify(caFile)}\n` : "";
  return `
[[upstream]]
name = "e2e"
address = "127.0.0.1:${server.imaps_port}"
tls = "end-to-end"
server_name = "${serverName}"
${trust}${extra}
[[upstream]]
name = "e2e-starttls"
address = "127.0.0.1:${server.imap_port}"
tls = "end-to-end-starttls"
server_name = "${serverName}"
${trust}${extra}`;
}

/**
 * A server, a bridge and a page whose `window.open()` connects to `upstream` with
 * TLS in the page, set up from `/api/upstreams` the way the UI does it.
 */
function environment({ upstream, dovecot = {}, bridgeConfig }) {
  return assemble(async (onClose) => {
    const server = await startDovecot({ messages: 40, seed: 5, largeAttachment: false, ...dovecot });
    onClose(() => server.stop());
    const bridge = await startBridge(bridgeConfig(server));
    onClose(() => bridge.stop());
    const browser = await launchBrowser();
    onClose(() => browser.close());
    const page = await browser.newPage();
    const frames = recordFrames(page);
    await page.goto(bridge.url);
    await installPageHelpers(page);
    await page.evaluate(
      async ({ wsUrl, upstream }) => {
        const base = await import("/pkg/client_wasm.js");
        await base.default();
        const tls = await import("/pkg/client_tls.js");
        await tls.default();
        const list = await (await fetch("/api/upstreams")).json();
        const info = list.upstreams.find((entry) => entry.name === upstream).endToEnd;
        window.info = info;
        window.open = async (options = {}) => {
          const endToEnd = {
            starttls: info.starttls,
            createSession: () => {
              window.session = new tls.TlsSession(info.serverName, { extraRootsPem: info.extraRootsPem ?? undefined });
              return window.session;
            },
          };
          return window.track(await base.ImapClient.connect({ url: wsUrl, upstream, endToEnd, ...options }));
        };
      },
      { wsUrl: bridge.wsUrl, upstream },
    );
    return { server, bridge, page, frames, user: server.users[0] };
  });
}

/** Texts the scenario sends or reads that must never cross the bridge readable. */
function secrets(env) {
  return [env.user.password, `LOGIN ${env.user.username}`, "UID FETCH", "BODYSTRUCTURE", "Draft from the page", "Hello from wasm", "olga@example.ru", "Browser/"];
}

for (const upstream of ["e2e", "e2e-starttls"]) {
  test(`every method of the API with TLS in the page (${upstream}); the bridge relays only ciphertext`, async () => {
    const env = await environment({ upstream, bridgeConfig: (server) => endToEndUpstreams(server) });
    try {
      await runApiScenario(env);
      const session = await env.page.evaluate(() => ({ protocol: window.session.protocol, certificate: window.session.peerCertificate() }));
      assert.equal(session.protocol, "TLS 1.3");
      assert.deepEqual(session.certificate.names, ["localhost", "127.0.0.1", "::1"]);
      assert.match(session.certificate.sha256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);

      const wire = Buffer.concat(env.frames);
      assert.ok(wire.length > 20_000, `the scenario moved ${wire.length} bytes`);
      for (const secret of secrets(env)) {
        assert.equal(wire.indexOf(Buffer.from(secret)), -1, `"${secret}" crossed the bridge readable`);
      }
      if (upstream === "e2e-starttls") {
        assert.ok(wire.includes(Buffer.from("tls0 STARTTLS\r\n")), "the page itself asked for STARTTLS");
      }
      assert.deepEqual(env.page.consoleErrors, []);
    } finally {
      await env.close();
    }
  });
}

/** Connects with TLS in the page and returns the error, the failure code and the certificate shown. */
async function refusal(env) {
  return env.page.evaluate(async () => {
    const outcome = await window.attempt(() => window.open({ reconnect: false }));
    return { ...outcome, failureCode: window.session?.failureCode ?? null, certificate: window.session?.peerCertificate() ?? null };
  });
}

test("a certificate from an unknown CA, for another name or expired is refused with the reason", async (t) => {
  const cases = [
    {
      name: "unknown CA",
      code: "CERT_UNTRUSTED",
      message: /not signed by a trusted authority/,
      bridgeConfig: (server) => endToEndUpstreams(server, { caFile: null }),
    },
    {
      name: "wrong name",
      code: "CERT_NAME",
      message: /not valid for the name mail\.example\.test/,
      bridgeConfig: (server) => endToEndUpstreams(server, { serverName: "mail.example.test" }),
    },
    {
      name: "expired",
      code: "CERT_EXPIRED",
      message: /has expired/,
      dovecot: { expiredCertificate: true },
      bridgeConfig: (server) => endToEndUpstreams(server),
    },
  ];
  for (const { name, code, message, dovecot, bridgeConfig } of cases) {
    await t.test(name, async () => {
      const env = await environment({ upstream: "e2e", dovecot: { messages: 0, ...dovecot }, bridgeConfig });
      try {
        const outcome = await refusal(env);
        assert.equal(outcome.error?.code, "TLS_FAILED", JSON.stringify(outcome));
        assert.match(outcome.error.message, message);
        assert.equal(outcome.failureCode, code);
        assert.ok(outcome.certificate?.sha256, "the refused certificate can still be shown");
        const wire = Buffer.concat(env.frames);
        assert.equal(wire.indexOf(Buffer.from(env.user.password)), -1);
      } finally {
        await env.close();
      }
    });
  }
});

test("a pinned fingerprint lets a certificate from an unknown CA through", async () => {
  const env = await environment({ upstream: "e2e", dovecot: { messages: 0 }, bridgeConfig: (server) => endToEndUpstreams(server, { caFile: null }) });
  try {
    const refused = await refusal(env);
    const pin = refused.certificate.sha256;
    const outcome = await env.page.evaluate(
      async ({ pin, user, password }) =>
        window.attempt(async () => {
          const tls = await import("/pkg/client_tls.js");
          const base = await import("/pkg/client_wasm.js");
          const client = await base.ImapClient.connect({
            url: new URL("/ws", location.href).href.replace(/^http/, "ws"),
            upstream: "e2e",
            endToEnd: { createSession: () => new tls.TlsSession(window.info.serverName, { pinnedSha256: [pin] }) },
          });
          await client.login(user, password);
          const status = await client.status("INBOX");
          await client.logout();
          return status.messages;
        }),
      { pin, user: env.user.username, password: env.user.password },
    );
    assert.equal(outcome.ok, 0, JSON.stringify(outcome));
  } finally {
    await env.close();
  }
});

test("the CA file the operator configured reaches the page through /api/upstreams", async () => {
  const env = await environment({ upstream: "e2e", dovecot: { messages: 0 }, bridgeConfig: (server) => endToEndUpstreams(server) });
  try {
    const info = await env.page.evaluate(() => window.info);
    assert.equal(info.extraRootsPem, readFileSync(env.server.ca_file, "utf8"));
    assert.equal(info.serverName, "localhost");
    assert.equal(info.starttls, false);
  } finally {
    await env.close();
  }
});

test("a server that accepts the connection but never answers the handshake makes connect() time out", async () => {
  const silent = net.createServer(() => {});
  await new Promise((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const port = silent.address().port;
  try {
    const env = await environment({
      upstream: "e2e",
      dovecot: { messages: 0 },
      bridgeConfig: () => `[[upstream]]\nname = "e2e"\naddress = "127.0.0.1:${port}"\ntls = "end-to-end"\nserver_name = "localhost"\n`,
    });
    try {
      const outcome = await refusal(env);
      assert.equal(outcome.error?.code, "TIMEOUT", JSON.stringify(outcome));
      assert.match(outcome.error.message, /TLS handshake did not finish/);
    } finally {
      await env.close();
    }
  } finally {
    silent.close();
  }
});
