// Live updates: mail another client delivers shows up without a reload, counts
// and the tab title follow, screen readers hear of it, and a dropped connection
// shows a banner until the client is back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { withWebmail, row, folder, waitForCount, openMessage } from "./ui.mjs";
import { plainMessage, saveMessage, serverUids } from "./doveadm.mjs";

test("a message delivered by another client appears live, with counts, title and an announcement", async () => {
  await withWebmail({ messages: 30, seed: 12, signIn: false }, async (env) => {
    const { page, server } = env;
    await page.evaluate(() => document.querySelector("webmail-app").setAttribute("refresh-seconds", "2"));
    await env.signIn();
    const total = server.folders.find((entry) => entry.name === "INBOX").messages;
    const unseen = serverUids(server, "INBOX", "unseen").length;
    await waitForCount(page, total);
    await page.waitForFunction((unseen) => document.title === `(${unseen}) Inbox — Webmail`, unseen);

    saveMessage(server, "INBOX", plainMessage("Live arrival"));
    await row(page, "Live arrival").waitFor();
    await waitForCount(page, total + 1);
    await page.waitForFunction((unseen) => document.title === `(${unseen}) Inbox — Webmail`, unseen + 1);
    await page.waitForFunction(
      (count) => document.querySelector("webmail-app").shadowRoot.querySelector('[role=treeitem][aria-label="Inbox"]').getAttribute("aria-description") === `${count} unread`,
      unseen + 1,
    );
    const announcer = page.getByTestId("announcer");
    await page.waitForFunction(() => document.querySelector("webmail-app").shadowRoot.querySelector("[data-testid=announcer]").textContent.includes("Live arrival"));
    assert.match(await announcer.textContent(), /New message from Grace Hopper: Live arrival/);
    assert.equal(await announcer.getAttribute("aria-live"), "polite");

    // Reading it lowers the counts again.
    await openMessage(page, "Live arrival");
    await page.waitForFunction((unseen) => document.title === `(${unseen}) Inbox — Webmail`, unseen);

    // While another folder is open, new Inbox mail still raises the Inbox count.
    await folder(page, "Sent").locator(".tree-row").click();
    saveMessage(server, "INBOX", plainMessage("Second arrival"));
    await page.waitForFunction(
      (count) => document.querySelector("webmail-app").shadowRoot.querySelector('[role=treeitem][aria-label="Inbox"]').getAttribute("aria-description") === `${count} unread`,
      unseen + 1,
    );
  });
});

test("a dropped connection shows a banner until the client has reconnected", async () => {
  await withWebmail({ messages: 20, seed: 13, viaProxy: true }, async ({ page, server, proxy }) => {
    const banner = page.getByRole("status").filter({ hasText: "Reconnecting" });
    proxy.dropAll();
    await banner.waitFor();
    await banner.waitFor({ state: "hidden", timeout: 20000 });
    // The session works again: mail delivered now still arrives.
    saveMessage(server, "INBOX", plainMessage("After the reconnect"));
    await row(page, "After the reconnect").waitFor({ timeout: 20000 });
  });
});
