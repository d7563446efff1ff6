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

/**
 * Follows the browser's service worker versions (through the DevTools protocol,
 * from a blank page that is no client of them): `activated(id)` resolves once
 * a version other than `id` is active, and fails after 30 seconds without one.
 * @param {import("playwright-core").CDPSession} cdp
 */
async function watchWorkers(cdp) {
  /** @type {Map<string, string>} */
  const status = new Map();
  /** @type {(() => void)[]} */
  const waiters = [];
  cdp.on("ServiceWorker.workerVersionUpdated", ({ versions }) => {
    for (const version of versions) status.set(version.versionId, version.status);
    for (const wake of waiters.splice(0)) wake();
  });
  await cdp.send("ServiceWorker.enable");
  const activeOther = (/** @type {string | null} */ except) => [...status].find(([id, state]) => id !== except && state === "activated")?.[0];
  return {
    /** The active version's id, once there is one. @param {string | null} [except] @returns {Promise<string>} */
    async activated(except = null) {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const id = activeOther(except);
        if (id) return id;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no service worker version but ${except} became active in 30 s`);
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => {
            clearTimeout(timer);
            resolve(undefined);
          });
        });
      }
    },
  };
}

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
    const workers = await watchWorkers(await browser.context.newCDPSession(await browser.newPage()));
    let page = await browser.newPage();
    await page.goto(bridge.url);
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    const buildA = await workers.activated();

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

    // ...and once no page of build A is open, build B takes over, all of it. (A page
    // opened before the browser gets to that would be build A's, whole, and keep B waiting.)
    await page.close();
    await workers.activated(buildA);
    page = await browser.newPage();
    await page.goto(bridge.url);
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
