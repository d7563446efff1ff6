// The keyboard, the narrow layout and the themes; screenshots of the main view
// (light, dark, narrow) go to tests/artifacts/ for CI to keep.
import { test } from "node:test";
import assert from "node:assert/strict";
import { withWebmail, eventually, grid, openMessage, screenshot, waitForCount, loadedRows } from "./ui.mjs";
import { serverFlags, serverUids } from "./doveadm.mjs";

/** The focused row's UID and whether the reader shows it. */
function focusState(page) {
  return page.evaluate(() => {
    const app = document.querySelector("webmail-app");
    return { focus: app.core.selection.focus, reading: app.reader.uid, index: app.core.list.indexOf(app.core.selection.focus) };
  });
}

test("the keyboard drives the list, the reader and the actions; focus stays visible", async () => {
  await withWebmail({ messages: 40, seed: 8 }, async ({ page, server }) => {
    const total = server.folders.find((entry) => entry.name === "INBOX").messages;
    await grid(page).focus();

    await page.keyboard.press("j");
    await page.keyboard.press("j");
    await page.keyboard.press("ArrowDown");
    let state = await focusState(page);
    assert.equal(state.index, 2);
    await eventually(async () => (await focusState(page)).reading === state.focus, "the reader to follow the cursor");
    await page.keyboard.press("k");
    state = await focusState(page);
    assert.equal(state.index, 1);

    // The focused row is drawn with a visible outline (:focus needs the window focused).
    await page.bringToFront();
    await eventually(
      () => grid(page).locator(".row.focus").evaluate((element) => getComputedStyle(element).outlineStyle !== "none"),
      "an outline on the focused row",
    );

    await page.keyboard.press("Enter");
    await eventually(async () => (await focusState(page)).reading === state.focus, "Enter to open");

    // s flags, u toggles read.
    await page.keyboard.press("s");
    await eventually(() => serverFlags(server, "INBOX", state.focus).includes("\\Flagged"), "s to flag");
    const seen = serverFlags(server, "INBOX", state.focus).includes("\\Seen");
    await page.keyboard.press("u");
    await eventually(() => serverFlags(server, "INBOX", state.focus).includes("\\Seen") !== seen, "u to toggle read");

    // # deletes to Trash, e archives; the next message takes the cursor.
    const trash = serverUids(server, "Trash").length;
    await page.keyboard.press("#");
    await eventually(() => serverUids(server, "Trash").length === trash + 1, "# to delete");
    await waitForCount(page, total - 1);
    const archive = serverUids(server, "Archive").length;
    await page.keyboard.press("e");
    await eventually(() => serverUids(server, "Archive").length === archive + 1, "e to archive");
    await waitForCount(page, total - 2);
    assert.equal((await focusState(page)).index, 1, "the cursor stays in place");

    // Shift+Down extends, Ctrl+A selects all.
    await page.keyboard.press("Shift+ArrowDown");
    await eventually(async () => (await grid(page).locator('[role=row][aria-selected="true"]').count()) === 2, "two selected rows");
    await page.keyboard.press("Control+a");
    await page.getByText(`${total - 2} selected`).waitFor();

    // / focuses the search; Escape leaves it. ? shows the shortcuts; Escape closes them.
    await page.keyboard.press("/");
    assert.equal(await page.getByRole("searchbox", { name: "Search" }).evaluate((input) => input.getRootNode().activeElement === input), true);
    await page.keyboard.press("Escape");
    await grid(page).focus();
    await page.keyboard.press("?");
    const help = page.getByRole("dialog", { name: "Keyboard shortcuts" });
    await help.waitFor();
    assert.match(await help.textContent(), /Archive/);
    await page.keyboard.press("Escape");
    await help.waitFor({ state: "detached" });

    // Escape closes the open message.
    await page.keyboard.press("Enter");
    await page.getByRole("article", { name: "Message" }).waitFor();
    await page.keyboard.press("Escape");
    await page.getByText("Select a message to read it.").waitFor();
  });
});

test("narrow screens show one pane at a time", async () => {
  await withWebmail({ messages: 20, seed: 9, viewport: { width: 390, height: 844 } }, async ({ page, server }) => {
    const folders = page.getByRole("navigation", { name: "Folder list" });
    const list = page.getByRole("region", { name: "Message list" });
    const reader = page.getByRole("article", { name: "Message" });
    assert.equal(await folders.isVisible(), false);
    assert.equal(await list.isVisible(), true);
    await screenshot(page, "narrow-list.png");

    const subject = server.manifest.find((message) => message.folder === "INBOX" && message.kind === "plain").subject;
    await openMessage(page, subject);
    assert.equal(await list.isVisible(), false);
    assert.equal(await reader.isVisible(), true);
    await screenshot(page, "narrow-message.png");
    await page.getByRole("button", { name: "Back to list" }).click();
    assert.equal(await list.isVisible(), true);
    assert.equal(await reader.isVisible(), false);

    await page.getByRole("button", { name: "Folders", exact: true }).click();
    assert.equal(await folders.isVisible(), true);
    assert.equal(await list.isVisible(), false);
    await page.getByRole("treeitem", { name: "Sent", exact: true }).locator(".tree-row").click();
    assert.equal(await list.isVisible(), true);
    await waitForCount(page, server.folders.find((entry) => entry.name === "Sent")?.messages ?? 0);

    // Rows keep their height while they load: no layout shift.
    const heights = await loadedRows(page).evaluateAll((rows) => rows.map((row) => row.getBoundingClientRect().height));
    assert.ok(heights.every((height) => height === 60), heights.join(","));
  });
});

test("light and dark follow the system", async () => {
  for (const colorScheme of ["light", "dark"]) {
    await withWebmail({ messages: 40, seed: 10, colorScheme }, async ({ page, server }) => {
      const subject = server.manifest.find((message) => message.folder === "INBOX" && message.kind === "alternative").subject;
      await openMessage(page, subject);
      await page.frameLocator('iframe[title="Message body"]').locator("body").filter({ hasText: /\S/ }).waitFor();
      const background = await page.evaluate(() => getComputedStyle(document.querySelector("webmail-app")).backgroundColor);
      const [r, g, b] = background.match(/\d+/g).map(Number);
      const luminance = (r + g + b) / 3;
      if (colorScheme === "dark") assert.ok(luminance < 80, `dark background, got ${background}`);
      else assert.ok(luminance > 200, `light background, got ${background}`);
      await screenshot(page, `main-${colorScheme}.png`);
    });
  }
});
