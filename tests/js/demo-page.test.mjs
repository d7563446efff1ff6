// The bridge serves the built UI: the page, the bundled <webmail-app> and the wasm client.
import { test } from "node:test";
import assert from "node:assert/strict";
import { startDovecot } from "./harness.mjs";
import { startBridge, upstreamFor } from "./bridge.mjs";
import { launchBrowser } from "./browser.mjs";
import { eventually } from "./ui.mjs";

test("the page served by the bridge loads webmail-app.js and the wasm client, and shows the sign-in form", async () => {
  const server = await startDovecot();
  const bridge = await startBridge(upstreamFor(server));
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    const loaded = [];
    page.on("response", (response) => loaded.push([new URL(response.url()).pathname, response.status(), response.headers()["content-type"]]));
    await page.goto(bridge.url);
    await page.getByLabel("Username").waitFor({ timeout: 20000 });
    // The page preloads the wasm: it has come by the time the client is ready to sign in.
    await eventually(() => loaded.some(([pathname]) => pathname === "/pkg/client_wasm_bg.wasm"), "the wasm client");
    const paths = loaded.map(([pathname]) => pathname);
    assert.ok(paths.includes("/webmail-app.js"), paths.join(", "));
    const wasm = loaded.find(([pathname]) => pathname === "/pkg/client_wasm_bg.wasm");
    assert.ok(wasm, `the .wasm was fetched: ${paths.join(", ")}`);
    assert.equal(wasm[1], 200);
    assert.equal(wasm[2], "application/wasm");
    assert.ok(await page.getByRole("button", { name: "Sign in" }).isVisible());
    assert.deepEqual(page.consoleErrors, []);
  } finally {
    await browser.close();
    await bridge.stop();
    await server.stop();
  }
});
