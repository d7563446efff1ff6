// The package's TypeScript declarations: every method, option, result and event
// typed, with no bare `any` in the public part (wasm-bindgen's own InitOutput
// listing of raw exports aside).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ROOT } from "./harness.mjs";

test("the public declarations have no bare any", () => {
  const declarations = readFileSync(path.join(ROOT, "web/dist/pkg/client_wasm.d.ts"), "utf8");
  const publicPart = declarations.replace(/export interface InitOutput \{[\s\S]*?\n\}/, "");
  const anys = publicPart.split("\n").filter((line) => /\bany\b/.test(line) && !line.trim().startsWith("*"));
  assert.deepEqual(anys, []);
  for (const name of ["ImapClient", "ConnectOptions", "EndToEndOptions", "MessageSummary", "Message", "SearchQuery", "ClientEvent", "ImapError"]) {
    assert.match(publicPart, new RegExp(`(class|interface|type) ${name}\\b`), name);
  }
});

test("the TLS module's declarations are typed too", () => {
  const declarations = readFileSync(path.join(ROOT, "web/dist/pkg/client_tls.d.ts"), "utf8");
  const publicPart = declarations.replace(/export interface InitOutput \{[\s\S]*?\n\}/, "");
  const anys = publicPart.split("\n").filter((line) => /\bany\b/.test(line) && !line.trim().startsWith("*"));
  assert.deepEqual(anys, []);
  for (const name of ["TlsSession", "TlsTrust", "CertificateInfo", "TlsErrorCode"]) {
    assert.match(publicPart, new RegExp(`(class|interface|type) ${name}\\b`), name);
  }
  assert.match(publicPart, /peerCertificate\(\): CertificateInfo \| null;/);
  assert.match(publicPart, /constructor\(serverName: string, trust: TlsTrust \| undefined\);/);
});

test("the compose module's declarations are typed too", () => {
  const declarations = readFileSync(path.join(ROOT, "web/dist/pkg/client_compose.d.ts"), "utf8");
  const publicPart = declarations.replace(/export interface InitOutput \{[\s\S]*?\n\}/, "");
  const anys = publicPart.split("\n").filter((line) => /\bany\b/.test(line) && !line.trim().startsWith("*"));
  assert.deepEqual(anys, []);
  for (const name of ["SmtpClient", "SmtpConnectOptions", "Draft", "RawMessage", "SendResult", "RejectedRecipient", "SmtpCapabilities", "SmtpErrorCode"]) {
    assert.match(publicPart, new RegExp(`(class|interface|type) ${name}\\b`), name);
  }
  assert.match(publicPart, /send\(message: Draft \| RawMessage, options: .*\): Promise<SendResult>;/);
  assert.match(publicPart, /export function buildMessage\(draft: Draft, options: .*\): Uint8Array;/);
});
