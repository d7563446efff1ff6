import { test } from "node:test";
import assert from "node:assert/strict";
import { PageTls, isEndToEnd } from "./page-tls.js";

/** Stands in for client_tls.js: records how sessions are made and freed. */
function fakeModule() {
  const made = [];
  class TlsSession {
    constructor(serverName, trust) {
      this.serverName = serverName;
      this.trust = trust;
      this.freed = false;
      this.protocol = "TLS 1.3";
      this.cipherSuite = "TLS_CHACHA20_POLY1305_SHA256";
      this.failureCode = null;
      made.push(this);
    }
    peerCertificate() {
      return { sha256: "AB" };
    }
    free() {
      this.freed = true;
    }
  }
  return { TlsSession, made };
}

const INFO = { starttls: true, serverName: "imap.example.org", extraRootsPem: null, pinnedSha256: ["11:22"], allowCertificateExceptions: false };

test("each connection gets a fresh session with the operator's and the user's trust; the old one is freed", () => {
  const module = fakeModule();
  const tls = new PageTls(module, INFO, ["33:44"]);
  const options = tls.connectOptions();
  assert.equal(options.starttls, true);
  const first = options.createSession();
  assert.deepEqual(first.trust, { extraRootsPem: undefined, pinnedSha256: ["11:22", "33:44"] });
  assert.equal(first.serverName, "imap.example.org");
  const second = options.createSession();
  assert.equal(first.freed, true, "a reconnect frees the previous session");
  assert.equal(second.freed, false);
  assert.equal(tls.protocol, "TLS 1.3 (TLS_CHACHA20_POLY1305_SHA256)");
  assert.deepEqual(tls.certificate, { sha256: "AB" });
  assert.equal(tls.exceptionsAllowed, false);
});

test("before any connection there is nothing to show", () => {
  const tls = new PageTls(fakeModule(), INFO);
  assert.equal(tls.certificate, null);
  assert.equal(tls.failureCode, null);
  assert.equal(tls.protocol, null);
});

test("only the two end-to-end modes run TLS in the page", () => {
  assert.equal(isEndToEnd({ tls: "end-to-end" }), true);
  assert.equal(isEndToEnd({ tls: "end-to-end-starttls" }), true);
  assert.equal(isEndToEnd({ tls: "starttls" }), false);
  assert.equal(isEndToEnd(undefined), false);
});
