// Every action of the UI, checked on the server with doveadm: flags, delete
// with undo, delete for good, archive, move and copy by menu and by drag and
// drop, multi-select, marking a folder read, emptying Trash and Junk, folder
// management, and search.
import { test } from "node:test";
import assert from "node:assert/strict";
import { withWebmail, eventually, grid, row, folder, openFolder, openMessage, revealRow, waitForCount, loadedRows } from "./ui.mjs";
import { serverFlags, serverSearch, serverUids, serverMailboxes } from "./doveadm.mjs";

/** INBOX messages from the manifest with a subject no other INBOX message shares. */
function distinct(server, filter = () => true) {
  const inbox = server.manifest.filter((message) => message.folder === "INBOX");
  return inbox.filter((message) => filter(message) && inbox.filter((other) => other.subject === message.subject).length === 1);
}

/** UIDs in a folder of the message with this subject, found by its Message-ID (subject search matches "Re: ..." too). */
const bySubject = (server, mailbox, subject) => {
  const message = server.manifest.find((entry) => entry.subject === subject);
  return serverSearch(server, mailbox, ["header", "Message-ID", message.messageId]);
};

test("flags, delete with undo, delete for good, archive, move and copy", async () => {
  await withWebmail({ messages: 60, seed: 3 }, async ({ page, server }) => {
    const button = (name) => page.getByRole("toolbar", { name: "Message actions" }).getByRole("button", { name, exact: true });
    const [unread, flagMe, deleteMe, archiveMe, moveA, moveB, copyMe] = distinct(server, (message) => !message.flags.includes("\\Seen"));
    assert.ok(copyMe, "enough distinct unread messages");

    // Opening marks read; Mark as unread and Mark as read change it back and forth.
    await openMessage(page, unread.subject);
    await eventually(() => serverFlags(server, "INBOX", unread.uid).includes("\\Seen"), "\\Seen after opening");
    await button("Mark as unread").click();
    await eventually(() => !serverFlags(server, "INBOX", unread.uid).includes("\\Seen"), "\\Seen removed");
    await eventually(async () => /, unread,/.test(await row(page, unread.subject).getAttribute("aria-label")), "the row to say unread");
    await button("Mark as read").click();
    await eventually(() => serverFlags(server, "INBOX", unread.uid).includes("\\Seen"), "\\Seen again");

    // Flag, then the same button unflags.
    await openMessage(page, flagMe.subject);
    await button("Flag").click();
    await eventually(() => serverFlags(server, "INBOX", flagMe.uid).includes("\\Flagged"), "\\Flagged");
    await button("Unflag").click();
    await eventually(() => !serverFlags(server, "INBOX", flagMe.uid).includes("\\Flagged"), "\\Flagged removed");

    // Delete moves to Trash; Undo moves it back.
    await openMessage(page, deleteMe.subject);
    await button("Delete").click();
    await row(page, deleteMe.subject).waitFor({ state: "detached" });
    await eventually(() => bySubject(server, "Trash", deleteMe.subject).length === 1, "the message in Trash");
    assert.deepEqual(bySubject(server, "INBOX", deleteMe.subject), []);
    await page.getByRole("status").getByRole("button", { name: "Undo" }).click();
    await eventually(() => bySubject(server, "INBOX", deleteMe.subject).length === 1, "the message back in INBOX");
    assert.deepEqual(bySubject(server, "Trash", deleteMe.subject), []);
    await revealRow(page, deleteMe.subject);

    // Archive, with undo offered too.
    await openMessage(page, archiveMe.subject);
    await button("Archive").click();
    await eventually(() => bySubject(server, "Archive", archiveMe.subject).length === 1, "the message in Archive");
    await page.getByRole("status").getByText("Archived 1 message.").waitFor();

    // Move two (Ctrl+click) by the menu.
    await revealRow(page, moveA.subject);
    await row(page, moveA.subject).click();
    await revealRow(page, moveB.subject);
    await row(page, moveB.subject).click({ modifiers: ["Control"] });
    await eventually(async () => (await grid(page).locator('[role=row][aria-selected="true"]').count()) === 2, "two selected rows");
    await button("Move to").click();
    await page.getByRole("menu", { name: "Move to folder" }).getByRole("menuitem", { name: "Büro" }).click();
    await eventually(() => bySubject(server, "Projects/Büro", moveA.subject).length === 1 && bySubject(server, "Projects/Büro", moveB.subject).length === 1, "both in Büro");

    // Copy leaves the original.
    await openMessage(page, copyMe.subject);
    await button("Copy to").click();
    await page.getByRole("menu", { name: "Copy to folder" }).getByRole("menuitem", { name: "Junk" }).click();
    await eventually(() => bySubject(server, "Junk", copyMe.subject).length === 1, "the copy in Junk");
    assert.equal(bySubject(server, "INBOX", copyMe.subject).length, 1);

    // Inside Trash, Delete removes for good after a confirmation.
    await openFolder(page, "Trash");
    const trashBefore = serverUids(server, "Trash").length;
    assert.ok(trashBefore > 0);
    await loadedRows(page).first().click();
    await button("Delete").click();
    const confirm = page.getByRole("dialog", { name: /for good/ });
    await confirm.getByRole("button", { name: "Delete for good" }).click();
    await eventually(() => serverUids(server, "Trash").length === trashBefore - 1, "one message fewer in Trash");
  });
});

test("drag and drop, Shift-selection, marking a folder read, emptying Trash and Junk", async () => {
  await withWebmail({ messages: 60, seed: 4 }, async ({ page, server }) => {
    const [dragMe] = distinct(server);

    // Drag a row onto a folder.
    await revealRow(page, dragMe.subject);
    await row(page, dragMe.subject).dragTo(folder(page, "Sent").locator(".tree-row").first());
    await eventually(() => bySubject(server, "Sent", dragMe.subject).length === 1, "the message in Sent");
    await row(page, dragMe.subject).waitFor({ state: "detached" });

    // Shift-click selects a range; one click marks all of it read.
    const rows = loadedRows(page);
    await rows.nth(0).click();
    await rows.nth(3).click({ modifiers: ["Shift"] });
    await page.getByText("4 selected").waitFor();
    const uids = await page.evaluate(() => [...document.querySelector("webmail-app").core.selection.selected]);
    assert.equal(uids.length, 4);
    await page.getByRole("toolbar", { name: "Message actions" }).getByRole("button", { name: "Mark as read", exact: true }).click();
    await eventually(() => uids.every((uid) => serverFlags(server, "INBOX", uid).includes("\\Seen")), "four messages read");

    // Mark the whole Inbox read from its menu.
    await folder(page, "Inbox").locator(".tree-row").first().click({ button: "right" });
    await page.getByRole("menu", { name: "Actions for Inbox" }).getByRole("menuitem", { name: "Mark all as read" }).click();
    await eventually(() => serverUids(server, "INBOX", "unseen").length === 0, "no unread mail in INBOX");
    await page.waitForFunction(() => !document.querySelector("webmail-app").shadowRoot.querySelector('[role=treeitem][aria-label="Inbox"]').hasAttribute("aria-description"));

    // Empty Trash and Junk, each after a confirmation.
    for (const [name, path] of [
      ["Trash", "Trash"],
      ["Junk", "Junk"],
    ]) {
      assert.ok(serverUids(server, path).length > 0, `${path} has mail to begin with`);
      await folder(page, name).locator(".tree-row").first().click({ button: "right" });
      await page.getByRole("menu", { name: `Actions for ${name}` }).getByRole("menuitem", { name: `Empty ${name}…` }).click();
      await page.getByRole("dialog", { name: `Empty ${name}?` }).getByRole("button", { name: `Empty ${name}` }).click();
      await eventually(() => serverUids(server, path).length === 0, `${path} empty`);
      await waitForCount(page, 0);
    }
  });
});

test("folders: create, rename and delete", async () => {
  await withWebmail({ messages: 10, seed: 5 }, async ({ page, server }) => {
    await page.getByRole("button", { name: "New folder" }).click();
    const create = page.getByRole("dialog", { name: "New folder" });
    await create.getByLabel("Folder name").fill("Bad/Name");
    await create.getByRole("button", { name: "Create" }).click();
    await create.getByRole("alert").filter({ hasText: "cannot contain" }).waitFor();
    await create.getByLabel("Folder name").fill("Receipts");
    await create.getByLabel("Inside").selectOption({ label: "Archive" });
    await create.getByRole("button", { name: "Create" }).click();
    await folder(page, "Receipts").waitFor();
    assert.ok(serverMailboxes(server).includes("Archive/Receipts"), serverMailboxes(server).join(", "));

    await folder(page, "Receipts").locator(".tree-row").click({ button: "right" });
    await page.getByRole("menuitem", { name: "Rename…" }).click();
    const rename = page.getByRole("dialog", { name: "Rename Receipts" });
    await rename.getByLabel("New name").fill("Invoices");
    await rename.getByRole("button", { name: "Rename" }).click();
    await folder(page, "Invoices").waitFor();
    assert.ok(serverMailboxes(server).includes("Archive/Invoices"));
    assert.ok(!serverMailboxes(server).includes("Archive/Receipts"));

    await folder(page, "Invoices").locator(".tree-row").click({ button: "right" });
    await page.getByRole("menuitem", { name: "Delete folder…" }).click();
    await page.getByRole("dialog", { name: "Delete Invoices?" }).getByRole("button", { name: "Delete folder" }).click();
    await folder(page, "Invoices").waitFor({ state: "detached" });
    assert.ok(!serverMailboxes(server).includes("Archive/Invoices"));
  });
});

test("search by from, subject, body and everything; clearing returns the folder", async () => {
  await withWebmail({ messages: 60, seed: 6 }, async ({ page, server }) => {
    const total = server.folders.find((entry) => entry.name === "INBOX").messages;
    await waitForCount(page, total);
    const search = page.getByRole("searchbox", { name: "Search" });
    const field = page.getByLabel("Search in");
    const expectResults = async (fieldValue, text, serverArgs) => {
      await field.selectOption(fieldValue);
      await search.fill(text);
      await search.press("Enter");
      const expected = serverSearch(server, "INBOX", serverArgs).length;
      assert.ok(expected > 0 && expected < total, `${text}: ${expected} of ${total}`);
      await waitForCount(page, expected);
      await page.getByText(new RegExp(`^${expected} results? for “`)).waitFor();
    };
    const [sample] = distinct(server, (message) => message.kind === "plain");
    await expectResults("subject", sample.subject.split(" ").slice(-1)[0], ["subject", sample.subject.split(" ").slice(-1)[0]]);
    await expectResults("from", sample.fromAddress, ["from", sample.fromAddress]);
    await expectResults("body", "Forwarding this one", ["body", "Forwarding this one"]);
    await expectResults("text", sample.fromName, ["text", sample.fromName]);

    // Clear by the button, then by Escape after another search.
    await page.getByRole("button", { name: "Clear search" }).click();
    await waitForCount(page, total);
    await expectResults("from", sample.fromAddress, ["from", sample.fromAddress]);
    await search.press("Escape");
    await waitForCount(page, total);
    assert.equal(await search.inputValue(), "");
  });
});
