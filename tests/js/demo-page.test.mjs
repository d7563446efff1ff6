// The bridge serves the UI, and the page loads the wasm client, in a real Chromium.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startDovecot } from "./harness.mjs";
import { startBridge, upstreamFor } from "./bridge.mjs";
import { launchBrowser } from "./browser.mjs";

test("the page served by the bridge loads client_wasm.js and its .wasm", async () => {
  const server = await startDovecot();
  const bridge = await startBridge(upstreamFor(server));
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    const loaded = [];
    page.on("response", (response) => loaded.push([new URL(response.url()).pathname, response.status(), response.headers()["content-type"]]));
    await page.goto(bridge.url);
    await page.waitForSelector("html[data-client-ready=true]", { timeout: 20000 });
    const paths = loaded.map(([pathname]) => pathname);
    assert.ok(paths.includes("/pkg/client_wasm.js"), paths.join(", "));
    const wasm = loaded.find(([pathname]) => pathname === "/pkg/client_wasm_bg.wasm");
    assert.ok(wasm, "the .wasm was fetched");
    assert.equal(wasm[1], 200);
    assert.equal(wasm[2], "application/wasm");
    assert.deepEqual(page.consoleErrors, []);
  } finally {
    await browser.close();
    await bridge.stop();
    await server.stop();
  }
});
