// The bridge's page as an installable app: Chromium finds nothing missing to
// install it, its service worker keeps the app shell and nothing else, the app
// starts with the bridge gone, and a new build replaces the old one whole (a page
// never runs with the script or wasm of another build).
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT } from "./harness.mjs";
import { startBridge } from "./bridge.mjs";
import { launchBrowser } from "./browser.mjs";

/** A server the sign-in form can name; nothing here signs in. */
const UPSTREAM = `[[upstream]]\nname = "local"\naddress = "127.0.0.1:1"\ntls = "none"\n`;

/** Which build the page and its script came from, read through the service worker. */
function builds(page) {
  return page.evaluate(async () => {
    const text = async (file) => (await fetch(file)).text();
    const mark = (body) => /build B/.test(body) ? "B" : "A";
    return { page: mark(document.documentElement.outerHTML), index: mark(await text("index.html")), script: mark(await text("webmail-app.js")) };
  });
}

test("the app installs, keeps only its shell, starts without the bridge and updates whole", async () => {
  // A copy of the built UI, so the test can put a new build in its place.
  const webRoot = mkdtempSync(path.join(tmpdir(), "webmail-shell-"));
  cpSync(path.join(ROOT, "web/dist"), webRoot, { recursive: true });
  let bridge = await startBridge(UPSTREAM, { webRoot });
  const browser = await launchBrowser();
  try {
    let page = await browser.newPage();
    await page.goto(bridge.url);
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);

    const cdp = await browser.context.newCDPSession(page);
    const { installabilityErrors } = await cdp.send("Page.getInstallabilityErrors");
    assert.deepEqual(installabilityErrors, [], "Chromium can install the app");

    const shell = JSON.parse(/const SHELL = (\[.*\]);/.exec(readFileSync(path.join(webRoot, "sw.js"), "utf8"))[1]);
    const cached = await page.evaluate(async () => {
      const paths = [];
      for (const name of await caches.keys()) for (const request of await (await caches.open(name)).keys()) paths.push(new URL(request.url).pathname);
      return paths.sort();
    });
    assert.deepEqual(cached, shell.map((file) => `/${file}`).sort(), "the shell, and nothing else, is cached");
    assert.ok(!cached.some((file) => /\/(ws|api)\b/.test(file)), "no session or server data");

    // The bridge is gone: the app still starts, from the shell.
    await bridge.stop();
    await page.reload();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    assert.deepEqual(await builds(page), { page: "A", index: "A", script: "A" });
    const wasm = await page.evaluate(async () => {
      const response = await fetch("pkg/client_wasm_bg.wasm", { mode: "cors" });
      return { ok: response.ok, valid: WebAssembly.validate(await response.arrayBuffer()) };
    });
    assert.deepEqual(wasm, { ok: true, valid: true }, "the client's wasm comes from the shell");

    // A new build on the bridge: the open page keeps running build A whole...
    writeFileSync(path.join(webRoot, "index.html"), readFileSync(path.join(webRoot, "index.html"), "utf8").replace("</body>", "<!-- build B --></body>"));
    writeFileSync(path.join(webRoot, "webmail-app.js"), `${readFileSync(path.join(webRoot, "webmail-app.js"), "utf8")}\n// build B\n`);
    for (const compressed of ["index.html.gz", "index.html.br", "webmail-app.js.gz", "webmail-app.js.br"]) rmSync(path.join(webRoot, compressed));
    const worker = path.join(webRoot, "sw.js");
    writeFileSync(worker, readFileSync(worker, "utf8").replace(/const VERSION = "([0-9a-f]+)"/, 'const VERSION = "build-b"'));
    for (const compressed of ["sw.js.gz", "sw.js.br"]) rmSync(path.join(webRoot, compressed));
    // Back on the same address: the same origin, so the same service worker registration.
    bridge = await startBridge(UPSTREAM, { webRoot, listen: new URL(bridge.url).host });
    await page.goto(bridge.url);
    // Build B installed and waiting (the navigation may have started its update already).
    await page.evaluate(async () => {
      const registration = await navigator.serviceWorker.getRegistration();
      while (!registration.waiting) {
        const installing = registration.installing;
        if (installing) await new Promise((resolve) => installing.addEventListener("statechange", resolve, { once: true }));
        else await registration.update();
      }
    });
    assert.deepEqual(await builds(page), { page: "A", index: "A", script: "A" }, "build B waits while build A runs");

    // ...and once no page of build A is open, build B takes over, all of it.
    await page.close();
    page = await browser.newPage();
    await page.goto(bridge.url);
    // Activated: build A's cache is deleted by then.
    await page.waitForFunction(async () => {
      const registration = await navigator.serviceWorker.getRegistration();
      return registration?.active?.state === "activated" && !registration.waiting && (await caches.keys()).join() === "webmail-shell-build-b";
    });
    await page.reload();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    assert.deepEqual(await builds(page), { page: "B", index: "B", script: "B" });
    const names = await page.evaluate(() => caches.keys());
    assert.deepEqual(names, ["webmail-shell-build-b"], "build A's shell is gone");
  } finally {
    await browser.close();
    await bridge.stop();
    rmSync(webRoot, { recursive: true, force: true });
  }
});
