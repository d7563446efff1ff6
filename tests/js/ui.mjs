// The webmail UI under test: a real Dovecot, the real bridge serving web/dist,
// and a real headless Chromium showing the page. `close()` stops all of them,
// in order, even after a failure.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { startDovecot, ROOT } from "./harness.mjs";
import { startBridge, upstreamFor } from "./bridge.mjs";
import { launchBrowser } from "./browser.mjs";
import { startFaultProxy } from "./fault-proxy.mjs";

/** Screenshots kept as CI artifacts. */
export const ARTIFACTS = path.join(ROOT, "tests/artifacts");

/**
 * @param {{messages?: number, seed?: number, largeAttachment?: boolean, inboxOnly?: boolean, viewport?: {width: number, height: number},
 *   colorScheme?: "light" | "dark", upstreams?: (server: any) => string, extraToml?: string, viaProxy?: boolean, extraConfig?: string}} [options]
 */
export async function startWebmail({
  messages = 40,
  seed = 7,
  largeAttachment = false,
  inboxOnly = false,
  viewport = { width: 1280, height: 800 },
  colorScheme = "light",
  upstreams,
  extraToml = "",
  viaProxy = false,
  extraConfig,
  submission = false,
  submissionMaxBytes,
} = {}) {
  const server = await startDovecot({ messages, seed, largeAttachment, inboxOnly, extraConfig, manifest: true, submission, submissionMaxBytes });
  const cleanups = [() => server.stop()];
  const close = async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => {});
  };
  try {
    let proxy = null;
    let upstream = upstreams ? upstreams(server) : upstreamFor(server);
    if (viaProxy) {
      proxy = await startFaultProxy(server.imap_port);
      cleanups.unshift(() => proxy.close());
      upstream = `[[upstream]]\nname = "local"\naddress = "127.0.0.1:${proxy.port}"\ntls = "none"\n`;
    }
    // Top-level keys first: after [[upstream]] they would belong to that table.
    const bridge = await startBridge(`${extraToml}\n${upstream}`);
    cleanups.unshift(() => bridge.stop());
    const browser = await launchBrowser({ viewport, colorScheme, acceptDownloads: true });
    cleanups.unshift(() => browser.close());
    const page = await browser.newPage();
    await page.goto(bridge.url);
    const user = server.users[0];
    return {
      server,
      bridge,
      browser,
      page,
      proxy,
      user,
      close,
      /** Signs in and waits for the Inbox rows. */
      async signIn(username = user.username, password = user.password) {
        await page.getByLabel("Username").fill(username);
        await page.getByLabel("Password").fill(password);
        await page.getByRole("button", { name: "Sign in" }).click();
        await page.getByRole("tree", { name: "Folders", includeHidden: true }).waitFor({ state: "attached" });
        await waitForRows(page);
      },
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Chromium reports the page's Content-Security-Policy refusing inline handlers
 * and `<base>` even while DOMPurify parses hostile HTML in an inert document:
 * these lines say something was blocked, never that it ran.
 */
export const CSP_REFUSAL = /^(Executing inline event handler violates|Setting the document's base URI to .* violates) the following Content Security Policy directive/;

/**
 * Runs `body` with a started (and, unless `signIn: false`, signed-in) webmail;
 * checks the page logged no errors (other than `allowedErrors`); stops
 * everything even when the body fails.
 * @param {Parameters<typeof startWebmail>[0] & {signIn?: boolean, allowedErrors?: RegExp}} options
 * @param {(env: Awaited<ReturnType<typeof startWebmail>>) => Promise<void>} body
 */
export async function withWebmail({ signIn = true, allowedErrors, ...options }, body) {
  const env = await startWebmail(options);
  try {
    if (signIn) await env.signIn();
    await body(env);
    const errors = env.page.consoleErrors.filter((line) => !allowedErrors?.test(line));
    assert.deepEqual(errors, [], "the page logged errors");
  } finally {
    await env.close();
  }
}

/** Waits for `check` (sync or async) to hold, e.g. a server-side effect of a UI action. */
export async function eventually(check, what, timeout = 10000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The message grid. @param {import("playwright-core").Page} page */
export function grid(page) {
  return page.getByRole("grid", { name: "Messages" });
}

/** Rows with loaded summaries. @param {import("playwright-core").Page} page */
export function loadedRows(page) {
  return grid(page).locator('[role=row]:not(.loading)');
}

/** Waits until the list shows at least `count` loaded rows. */
export async function waitForRows(page, count = 1) {
  await page.waitForFunction(
    (count) => {
      const app = document.querySelector("webmail-app");
      const rows = app?.shadowRoot?.querySelectorAll("[role=grid] [role=row]:not(.loading)") ?? [];
      return rows.length >= count;
    },
    count,
  );
}

/** A row by its exact subject (its accessible name is "sender, subject, states..., date"). */
export function row(page, subject) {
  return grid(page).getByRole("row", { name: new RegExp(`, ${escapeRegExp(subject)}, `) });
}

/** A folder in the tree. */
export function folder(page, name) {
  return page.getByRole("tree", { name: "Folders" }).getByRole("treeitem", { name, exact: true });
}

/** Opens a folder and waits for its list to settle. */
export async function openFolder(page, name) {
  await folder(page, name).locator(".tree-row").first().click();
  await page.waitForFunction(
    (name) => {
      const root = document.querySelector("webmail-app")?.shadowRoot;
      const title = root?.querySelector(".folder-title")?.textContent;
      const busy = !root?.querySelector(".progress")?.hidden;
      return title === name && !busy;
    },
    name,
  );
}

/** The UIDs in the list, in display order, as the app holds them. */
export function listedUids(page) {
  return page.evaluate(() => document.querySelector("webmail-app").core.list.uids.slice());
}

/** Waits until the list holds exactly `count` messages. */
export async function waitForCount(page, count) {
  await page.waitForFunction((count) => {
    const core = document.querySelector("webmail-app")?.core;
    return core && !core.list.loading && core.list.length === count;
  }, count);
}

/** Opens the message with this exact subject: scrolls it into view, clicks it, waits for the reader. */
export async function openMessage(page, subject) {
  await revealRow(page, subject);
  await row(page, subject).first().click();
  await page.getByRole("article", { name: "Message" }).getByRole("heading", { level: 2, name: subject, exact: true }).waitFor();
}

/**
 * Scrolls the virtualized list until the row with this exact subject is in the DOM.
 * Needs the summaries: scrolls a page at a time and waits for each page to load.
 */
export async function revealRow(page, subject) {
  // The list may still be reloading after an action: look again until it has settled.
  const deadline = Date.now() + 10000;
  for (;;) {
    const found = await page.evaluate(async (subject) => {
      const app = document.querySelector("webmail-app");
      const list = app.core.list;
      if (list.loading) return false;
      const scroller = app.shadowRoot.querySelector("[role=grid]");
      for (let index = 0; index < list.length; index += 20) {
        await list.ensureRange(index, index + 20);
        for (let at = index; at < Math.min(index + 20, list.length); at += 1) {
          if (list.summary(list.uids[at])?.envelope.subject === subject) {
            scroller.scrollTop = Math.max(0, at * 60 - 60);
            return true;
          }
        }
      }
      return false;
    }, subject);
    if (found) break;
    if (Date.now() > deadline) throw new Error(`no message with subject “${subject}” in the list`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await row(page, subject).first().waitFor();
}

/** Keeps a screenshot under tests/artifacts. */
export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, name) });
}

/** @param {string} text */
export function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
