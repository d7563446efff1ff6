// Headless Chromium for UI tests: Debian's chromium driven by playwright-core, fresh profile each time.
import { chromium } from "playwright-core";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
const ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Launches Chromium with an empty profile. `close()` removes the profile.
 * @param {import("playwright-core").BrowserContextOptions} [options]
 */
export async function launchBrowser(options = {}) {
  const profile = mkdtempSync(path.join(tmpdir(), "webmail-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: ARGS,
    headless: true,
    ...options,
  });
  return {
    context,
    async newPage() {
      const page = await context.newPage();
      const consoleErrors = [];
      page.on("console", (message) => {
        if (message.type() === "error") consoleErrors.push(message.text());
      });
      page.on("pageerror", (error) => consoleErrors.push(String(error)));
      page.consoleErrors = consoleErrors;
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Records every WebSocket frame the page sends or receives, as the bridge sees
 * them, for tests that check what crosses it readable.
 * @param {import("playwright-core").Page} page
 * @returns {Buffer[]} filled as frames pass
 */
export function recordFrames(page) {
  /** @type {Buffer[]} */
  const frames = [];
  page.on("websocket", (socket) => {
    socket.on("framesent", (frame) => frames.push(Buffer.from(frame.payload)));
    socket.on("framereceived", (frame) => frames.push(Buffer.from(frame.payload)));
  });
  return frames;
}
