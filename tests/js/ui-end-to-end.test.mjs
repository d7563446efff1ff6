// The UI on end-to-end upstreams: the TLS module loads only for them, the lock
// says where the encryption ends and shows the certificate, and a refused
// certificate is explained with its fingerprint; trusting it is offered only
// where the operator allows exceptions.
import { test } from "node:test";
import assert from "node:assert/strict";
import { withWebmail, folder, screenshot } from "./ui.mjs";

/** One end-to-end upstream to the harness server's implicit TLS port. */
function endToEnd(server, { trusted = true, exceptions = false } = {}) {
  return `
[[upstream]]
name = "e2e"
label = "Private server"
address = "127.0.0.1:${server.imaps_port}"
tls = "end-to-end"
server_name = "localhost"
${trusted ? `ca_file = ${JSON.stringify(server.ca_file)}\n` : ""}allow_certificate_exceptions = ${exceptions}
`;
}

/** Names of the wasm files the page fetched. */
function wasmRequests(page) {
  const seen = [];
  page.on("request", (request) => {
    const name = new URL(request.url()).pathname.split("/").pop();
    if (name.endsWith(".wasm")) seen.push(name);
  });
  return seen;
}

/** Submits the sign-in form and waits for the certificate problem. */
async function refusedCertificate({ page, user }) {
  await page.getByLabel("Username").fill(user.username);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  const problem = page.getByRole("alert").filter({ hasText: "The server's certificate was refused" });
  await problem.waitFor();
  return problem;
}

test("signing in to an end-to-end upstream shows the lock and the server's certificate", async () => {
  await withWebmail({ messages: 10, signIn: false, upstreams: (server) => endToEnd(server) }, async (env) => {
    const { page } = env;
    const fetched = wasmRequests(page);
    const note = page.getByText("End-to-end encrypted: your password and mail travel encrypted between this page and localhost");
    await note.waitFor();
    await env.signIn();
    await folder(page, "Inbox").waitFor();
    assert.ok(fetched.includes("client_tls_bg.wasm"), `the TLS module was loaded: ${fetched}`);

    const lock = page.getByRole("button", { name: "End-to-end encrypted to localhost" });
    await lock.click();
    const dialog = page.getByRole("dialog", { name: "End-to-end encrypted" });
    await dialog.waitFor();
    const text = await dialog.innerText();
    assert.match(text, /never sees your password/);
    assert.match(text, /Subject\s+CN=localhost/);
    assert.match(text, /Issuer\s+O=webmail-bridge tests, CN=webmail-bridge test CA/);
    assert.match(text, /SHA-256\s+([0-9A-F]{2}:){31}[0-9A-F]{2}/);
    assert.match(text, /TLS 1\.3 \(TLS_/);
    await screenshot(page, "end-to-end-certificate.png");
    await dialog.getByRole("button", { name: "Close" }).click();
    await dialog.waitFor({ state: "detached" });
  });
});

test("the TLS module is not loaded for a bridge-side TLS upstream", async () => {
  await withWebmail({ messages: 5, signIn: false }, async (env) => {
    const fetched = wasmRequests(env.page);
    await env.signIn();
    await folder(env.page, "Inbox").waitFor();
    assert.ok(!fetched.includes("client_tls_bg.wasm"), `${fetched}`);
    assert.equal(await env.page.getByText(/End-to-end encrypted:/).count(), 0);
    assert.equal(await env.page.getByRole("button", { name: /End-to-end encrypted/ }).count(), 0);
  });
});

test("an untrusted certificate is explained with its fingerprint and cannot be trusted unless the operator allows it", async () => {
  await withWebmail({ messages: 5, signIn: false, upstreams: (server) => endToEnd(server, { trusted: false }) }, async (env) => {
    const { page } = env;
    const problem = await refusedCertificate(env);
    const text = await problem.innerText();
    assert.match(text, /not signed by a trusted authority/);
    assert.match(text, /SHA-256\s+([0-9A-F]{2}:){31}[0-9A-F]{2}/);
    assert.match(text, /does not allow certificate exceptions/);
    assert.equal(await problem.getByRole("button").count(), 0, "nothing dismisses or overrides it");
  });
});

test("where the operator allows it, trusting the fingerprint signs in and is remembered", async () => {
  await withWebmail({ messages: 5, signIn: false, upstreams: (server) => endToEnd(server, { trusted: false, exceptions: true }) }, async (env) => {
    const { page } = env;
    const problem = await refusedCertificate(env);
    const fingerprint = /SHA-256\s+(\S+)/.exec(await problem.innerText())[1];
    await problem.getByRole("button", { name: "Trust this certificate" }).click();
    await folder(page, "Inbox").waitFor();
    const stored = await page.evaluate(() => localStorage.getItem("webmail.accepted-certificates"));
    assert.deepEqual(JSON.parse(stored), { e2e: [fingerprint] });

    // Next time the same certificate is accepted without asking.
    await page.getByRole("button", { name: "Sign out" }).click();
    await env.signIn();
    await folder(page, "Inbox").waitFor();
  });
});
