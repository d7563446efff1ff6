// Reading mail in the UI: folders, every kind of message the corpus makes,
// attachments (with progress for the 10 MB one), inline images and the source.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { withWebmail, folder, openFolder, openMessage, waitForCount } from "./ui.mjs";

/** The manifest entry of the first INBOX message of a kind. */
function first(server, kind) {
  const found = server.manifest.find((message) => message.folder === "INBOX" && JSON.stringify(message.kind) === JSON.stringify(kind));
  assert.ok(found, `the corpus has a ${JSON.stringify(kind)} message`);
  return found;
}

test("folders: the tree, special folders first, counts, collapse and navigation", async () => {
  await withWebmail({ messages: 60, seed: 11 }, async (env) => {
    const { page, server } = env;
    const tree = page.getByRole("tree", { name: "Folders" });
    const names = await tree.getByRole("treeitem").evaluateAll((items) => items.map((item) => item.getAttribute("aria-label")));
    assert.deepEqual(names.slice(0, 6), ["Inbox", "Drafts", "Sent", "Archive", "2024", "Junk"], names.join(", "));
    assert.ok(names.includes("Büro") && names.includes("Ελληνικά") && names.includes("日本語"), names.join(", "));

    // The unread count of the Inbox is the server's.
    const inbox = server.folders.find((entry) => entry.name === "INBOX");
    assert.equal(await folder(page, "Inbox").getAttribute("aria-description"), `${inbox.unseen} unread`);

    for (const [name, path] of [
      ["Archive", "Archive"],
      ["2024", "Archive/2024"],
      ["Ελληνικά", "Projects/Ελληνικά"],
      ["Sent", "Sent"],
    ]) {
      await openFolder(page, name);
      const expected = server.folders.find((entry) => entry.name === path)?.messages ?? 0;
      await waitForCount(page, expected);
      assert.equal(await folder(page, name).getAttribute("aria-selected"), "true");
    }

    // Collapsing a parent hides its children, and it stays collapsed after a reload.
    const archive = folder(page, "Archive");
    assert.equal(await archive.getAttribute("aria-expanded"), "true");
    await archive.locator(".twisty").first().click();
    assert.equal(await archive.getAttribute("aria-expanded"), "false");
    assert.equal(await folder(page, "2024").isVisible(), false);
    await page.reload();
    await env.signIn();
    assert.equal(await folder(page, "Archive").getAttribute("aria-expanded"), "false");
  });
});

test("every kind of message opens as it should", async () => {
  await withWebmail({ messages: 40, seed: 7, largeAttachment: true }, async ({ page, server }) => {
    const reader = page.getByRole("article", { name: "Message" });
    const body = page.frameLocator('iframe[title="Message body"]');

    // Plain text: shown as text, links clickable.
    const plain = first(server, "plain");
    await openMessage(page, plain.subject);
    assert.equal(await reader.getByRole("heading", { level: 2 }).textContent(), plain.subject);
    assert.match(await reader.locator("dl").textContent(), new RegExp(plain.fromName));
    assert.ok((await reader.locator(".text-body").textContent()).trim().length > 0);
    const links = reader.locator(".text-body a");
    for (const href of await links.evaluateAll((anchors) => anchors.map((anchor) => anchor.getAttribute("href")))) {
      assert.match(href, /^(https?:|mailto:)/);
    }

    // HTML alternative: the HTML in the sandboxed frame.
    const html = first(server, "alternative");
    await openMessage(page, html.subject);
    const frame = reader.locator('iframe[title="Message body"]');
    assert.equal(await frame.getAttribute("sandbox"), "allow-same-origin allow-popups allow-popups-to-escape-sandbox");
    await body.locator("body").filter({ hasText: /\S/ }).waitFor();

    // Inline images: both cid: pictures load from local blobs.
    const inline = first(server, "inline-images");
    await openMessage(page, inline.subject);
    for (const alt of ["Company logo", "Sales chart"]) {
      const image = body.getByRole("img", { name: alt });
      await image.waitFor();
      assert.match(await image.getAttribute("src"), /^blob:/);
      await page.waitForFunction(
        (alt) => {
          const frame = document.querySelector("webmail-app").shadowRoot.querySelector('iframe[title="Message body"]');
          const image = frame?.contentDocument?.querySelector(`img[alt="${alt}"]`);
          return image?.complete && image.naturalWidth > 0;
        },
        alt,
      );
    }
    assert.equal(await reader.getByRole("region", { name: "Attachments" }).count(), 0, "inline images are not listed as attachments");

    // Attachments: listed with type and size, downloadable.
    const attachments = first(server, "attachments");
    await openMessage(page, attachments.subject);
    const list = reader.getByRole("region", { name: "Attachments" });
    for (const name of ["Übersicht 2024.pdf", "photo.png", "archive.zip"]) await list.getByText(name, { exact: true }).waitFor();
    assert.match(await list.textContent(), /application\/pdf/);
    const [download] = await Promise.all([page.waitForEvent("download"), list.getByRole("button", { name: "Download photo.png" }).click()]);
    assert.equal(download.suggestedFilename(), "photo.png");
    const png = readFileSync(await download.path());
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

    // A forwarded message: its text, and the message itself as an attachment.
    const forwarded = first(server, "forwarded");
    await openMessage(page, forwarded.subject);
    await reader.getByText("Forwarding this one").waitFor();
    await reader.getByRole("region", { name: "Attachments" }).getByText("forwarded.eml").waitFor();

    // Legacy charsets and raw UTF-8 headers: subject and sender decoded, no replacement characters.
    const charsets = server.manifest.filter((message) => message.folder === "INBOX" && typeof message.kind === "object");
    assert.ok(charsets.length >= 5, "five charset messages");
    for (const message of [...charsets, first(server, "raw-utf8-headers")]) {
      await openMessage(page, message.subject);
      assert.equal(await reader.getByRole("heading", { level: 2 }).textContent(), message.subject);
      const text = await reader.textContent();
      assert.ok(text.includes(message.fromName), `${message.fromName} in ${text.slice(0, 200)}`);
      assert.ok(!text.includes("\ufffd"), `no replacement characters in ${JSON.stringify(message.kind)}`);
    }

    // The 10 MB attachment: a progress bar while it downloads, then the whole file.
    const large = first(server, "large-attachment");
    await openMessage(page, large.subject);
    const progress = reader.getByRole("progressbar", { name: "Downloading backup.tar" });
    const [big] = await Promise.all([
      page.waitForEvent("download", { timeout: 60000 }),
      (async () => {
        await reader.getByRole("button", { name: "Download backup.tar" }).click();
        await progress.waitFor({ state: "visible" });
      })(),
    ]);
    assert.equal(readFileSync(await big.path()).length, 10 * 1024 * 1024);
    await progress.waitFor({ state: "hidden" });

    // View source: the raw message, its headers first.
    await openMessage(page, plain.subject);
    await reader.getByRole("button", { name: "View source" }).click();
    const source = page.getByRole("dialog", { name: "Message source" });
    await source.waitFor();
    assert.match(await source.locator("pre").textContent(), /^(Return-Path|Received|From|Date|Message-ID|To|Subject|MIME-Version):/m);
    await source.getByRole("button", { name: "Close" }).click();
    await source.waitFor({ state: "hidden" });
  });
});
