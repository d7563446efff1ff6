// Writing mail in the UI, through the real bridge to Dovecot's submission
// service: a new message with a UTF-8 subject, a Bcc and an attachment
// (delivered without the Bcc, filed in Sent with it), Undo that sends nothing,
// a reply (threading headers, \Answered, quoting), a draft saved again and
// again that stays one draft, address chips with suggestions, and a connection
// lost while the message is in flight that leaves it unsent in the form.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { withWebmail, eventually, openMessage, openFolder, screenshot, escapeRegExp } from "./ui.mjs";
import { serverFlags } from "./doveadm.mjs";

const DOVEADM = ["/usr/bin/doveadm", "/usr/sbin/doveadm"].find((path) => existsSync(path)) || "doveadm";

/**
 * Headers and text of `user`'s messages in `mailbox` whose subject contains `subject`.
 * The page may expunge one (a replaced draft) between doveadm's search and its fetch:
 * doveadm then fails for that message, and the reading is taken again.
 */
function stored(server, user, mailbox, subject) {
  for (let attempt = 1; ; attempt++) {
    try {
      const output = execFileSync(DOVEADM, ["-c", server.config_file, "fetch", "-u", user, "hdr body", "mailbox", mailbox, "header", "Subject", subject], {
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
        stdio: ["ignore", "pipe", "pipe"],
      });
      return output.split(/^hdr:/m).slice(1);
    } catch (error) {
      if (attempt >= 5 || !/Message was expunged/.test(String(/** @type {any} */ (error).stderr))) throw error;
    }
  }
}

/** `user`'s whole message in `mailbox` whose subject contains `subject`, as stored. */
function raw(server, user, mailbox, subject) {
  return execFileSync(DOVEADM, ["-c", server.config_file, "fetch", "-u", user, "text", "mailbox", mailbox, "header", "Subject", subject], {
    encoding: "latin1",
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** The decoded bytes of the base64 part whose headers contain `marker`. */
function attachmentBytes(stored, marker) {
  const message = stored.replace(/\r\n/g, "\n");
  const start = message.indexOf(marker);
  const body = message.indexOf("\n\n", start) + 2;
  const end = message.indexOf("\n--", body);
  return Buffer.from(message.slice(body, end).replace(/\s+/g, ""), "base64");
}

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

/** The compose panel. @param {import("playwright-core").Page} page */
const form = (page) => page.getByRole("dialog");

/** The addresses a recipient field holds as chips, as their "Remove" buttons name them. */
async function chips(page, label) {
  const buttons = form(page).getByRole("list", { name: `${label} recipients` }).getByRole("button", { name: /^Remove / });
  return (await buttons.evaluateAll((elements) => elements.map((element) => element.getAttribute("aria-label")))).map((name) => name.replace(/^Remove /, ""));
}

/** Opens "New message" and fills it. */
async function writeNew(page, { to, subject, text, bcc }) {
  await page.getByRole("button", { name: "New message" }).click();
  await form(page).getByLabel("From").fill("Alice Example <alice@mail.test>");
  await form(page).getByLabel("To", { exact: true }).fill(to);
  if (bcc) {
    await form(page).getByRole("button", { name: "Bcc", exact: true }).click();
    await form(page).getByLabel("Bcc", { exact: true }).fill(bcc);
  }
  await form(page).getByLabel("Subject").fill(subject);
  await form(page).getByLabel("Message").fill(text);
}

test("a new message to two users with a Bcc and a 5 MB attachment arrives byte-identical, and is filed in Sent with its Bcc", async () => {
  await withWebmail({ messages: 8, submission: true }, async ({ page, server }) => {
    const subject = "Grüße aus Köln — Quartalszahlen";
    await writeNew(page, { to: "Bob <bob@mail.test>", bcc: "alice@mail.test", subject, text: "Hello Bob,\n\nthe figures are attached.\n" });
    await form(page).getByText(/Up to .* of files/).waitFor();
    const data = randomBytes(5 * 1024 * 1024);
    await form(page).locator("input[type=file]").setInputFiles({ name: "Übersicht.csv", mimeType: "text/csv", buffer: data });
    await form(page).getByText("Übersicht.csv").waitFor();
    await screenshot(page, "compose.png");
    await form(page).getByRole("button", { name: "Send" }).click();
    await page.getByRole("status").getByText("Sending…").waitFor();
    await page.getByRole("status").getByText("Message sent.").waitFor({ timeout: 30000 });

    const delivered = await eventually(() => stored(server, "bob", "INBOX", "Quartalszahlen")[0], "the message in Bob's INBOX");
    assert.match(delivered, /^From: Alice Example <alice@mail.test>/m);
    assert.doesNotMatch(delivered, /^Bcc:/m, "no Bcc in what was delivered");
    assert.match(delivered, /filename\*=utf-8''%C3%9Cbersicht\.csv/);
    for (const user of ["bob", "alice"]) {
      const received = attachmentBytes(raw(server, user, "INBOX", "Quartalszahlen"), "%C3%9Cbersicht.csv");
      assert.equal(sha256(received), sha256(data), `${user}: the attachment arrived byte-identical`);
    }
    const filed = await eventually(() => stored(server, "alice", "Sent", "Quartalszahlen")[0], "the copy in Sent");
    assert.match(filed, /^Bcc: alice@mail.test/m, "the Sent copy keeps the Bcc");
  });
});

test("Undo within the window sends nothing and gives the form back", async () => {
  await withWebmail({ messages: 8, submission: true }, async ({ page, server }) => {
    await writeNew(page, { to: "bob@mail.test", subject: "Undo me", text: "take this back\n" });
    await form(page).getByRole("button", { name: "Send" }).click();
    await page.getByRole("status").getByRole("button", { name: "Undo" }).click();
    await form(page).getByText("Not sent.").waitFor();
    assert.equal(await form(page).getByLabel("Subject").inputValue(), "Undo me");
    // Sent for real now: had the undone one gone too, Bob would get two.
    await form(page).getByRole("button", { name: "Send" }).click();
    await page.getByRole("status").getByText("Message sent.").waitFor({ timeout: 20000 });
    await eventually(() => stored(server, "bob", "INBOX", "Undo me").length > 0, "the message in Bob's INBOX");
    assert.equal(stored(server, "bob", "INBOX", "Undo me").length, 1);
  });
});

test("a reply quotes, threads and marks the original answered", async () => {
  await withWebmail({ messages: 8, submission: true }, async ({ page, server }) => {
    const original = server.manifest.find((message) => message.folder === "INBOX" && message.subject && !/^re:/i.test(message.subject));
    await openMessage(page, original.subject);
    // "a" answers all: the sender and the other recipients, each once (dropping the
    // user's own addresses is the headless core's, unit tested with identities).
    await page.keyboard.press("a");
    await page.getByRole("dialog", { name: "Reply to all" }).waitFor();
    const everyone = [...(await chips(page, "To")), ...(await chips(page, "Cc"))];
    assert.ok(everyone.includes(original.fromAddress), `the sender is answered: ${everyone}`);
    assert.ok(everyone.length > 1, `the others too: ${everyone}`);
    assert.equal(new Set(everyone.map((address) => address.toLowerCase())).size, everyone.length, `each once: ${everyone}`);
    await form(page).getByRole("button", { name: "Discard" }).click();
    await form(page).waitFor({ state: "hidden" });
    await page.getByRole("button", { name: "Reply", exact: true }).click();
    assert.equal(await form(page).getByLabel("Subject").inputValue(), `Re: ${original.subject}`);
    assert.match(await form(page).getByLabel("Message").inputValue(), /wrote:\n> /);
    assert.deepEqual(await chips(page, "To"), [original.fromAddress]);
    // The corpus's senders are not harness accounts: send the reply to Bob instead.
    await form(page).getByLabel("From").fill("alice@mail.test");
    await form(page).getByRole("button", { name: `Remove ${original.fromAddress}` }).click();
    await form(page).getByLabel("To", { exact: true }).fill("bob@mail.test");
    await form(page).getByRole("button", { name: "Send" }).click();
    await page.getByRole("status").getByText("Message sent.").waitFor({ timeout: 20000 });
    const reply = await eventually(() => stored(server, "bob", "INBOX", original.subject)[0], "the reply in Bob's INBOX");
    assert.match(reply, new RegExp(`^In-Reply-To: ${original.messageId.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`, "m"));
    assert.match(reply, /^References: .*</m);
    await eventually(() => serverFlags(server, "INBOX", original.uid).includes("\\Answered"), "\\Answered on the original");
  });
});

test("saving a draft again and again keeps one draft, and sending removes it", async () => {
  await withWebmail({ messages: 8, submission: true }, async ({ page, server }) => {
    await writeNew(page, { to: "bob@mail.test", subject: "Draft in progress", text: "first words\n" });
    let most = 0;
    for (let edit = 1; edit <= 10; edit += 1) {
      await form(page).getByLabel("Message").fill(`edit ${edit}\n`);
      await form(page).getByRole("button", { name: "Save draft" }).click();
      most = Math.max(most, stored(server, "alice", "Drafts", "Draft in progress").length);
    }
    const drafts = await eventually(() => {
      const found = stored(server, "alice", "Drafts", "Draft in progress");
      return found.length === 1 && /edit 10/.test(found[0]) && found;
    }, "the last edit saved");
    assert.equal(drafts.length, 1, "one draft, replaced on every save");
    assert.ok(most <= 2, `never more than the new copy beside the old one (saw ${most})`);

    // Closed, then taken up again from Drafts: the same draft, not a second one.
    await form(page).getByRole("button", { name: "Close" }).click();
    await openFolder(page, "Drafts");
    await openMessage(page, "Draft in progress");
    await page.getByRole("button", { name: "Edit draft" }).click();
    assert.equal(await form(page).getByLabel("Message").inputValue(), "edit 10\n");
    assert.deepEqual(await chips(page, "To"), ["bob@mail.test"]);
    await form(page).getByLabel("Message").fill("final words\n");
    await form(page).getByRole("button", { name: "Send" }).click();
    await page.getByRole("status").getByText("Message sent.").waitFor({ timeout: 20000 });
    await eventually(() => stored(server, "alice", "Drafts", "Draft in progress").length === 0, "the draft removed once sent");
    const delivered = await eventually(() => stored(server, "bob", "INBOX", "Draft in progress")[0], "the message in Bob's INBOX");
    assert.match(delivered, /final words/);
  });
});

test("a reload mid-compose brings the message back after signing in", async () => {
  await withWebmail({ messages: 8, submission: true }, async ({ page, signIn }) => {
    await writeNew(page, { to: "bob@mail.test", subject: "Half written", text: "where was I\n" });
    // The device copy is written on every change; wait until it is there.
    const kept = () =>
      page.evaluate(
        () =>
          new Promise((resolve) => {
          const request = indexedDB.open("webmail-compose", 1);
          request.onsuccess = () => {
            const get = request.result.transaction("drafts").objectStore("drafts").get("draft:alice");
            get.onsuccess = () => resolve(get.result?.fields?.text === "where was I\n");
            get.onerror = () => resolve(false);
          };
          request.onerror = () => resolve(false);
        }),
      );
    await eventually(kept, "the device copy of the message");
    await page.reload();
    await signIn();
    await form(page).getByLabel("Subject").waitFor();
    assert.equal(await form(page).getByLabel("Subject").inputValue(), "Half written");
    assert.equal(await form(page).getByLabel("Message").inputValue(), "where was I\n");
    assert.deepEqual(await chips(page, "To"), ["bob@mail.test"]);
  });
});

test("an identity with a signature is kept on the server and starts the next message on any device", async () => {
  await withWebmail({ messages: 8, submission: true }, async ({ page, signIn }) => {
    await page.getByRole("button", { name: "New message" }).click();
    await form(page).getByRole("button", { name: "Identity…" }).click();
    const dialog = page.getByRole("dialog", { name: "Identity" });
    await dialog.getByLabel("Email address").fill("not an address");
    await dialog.getByRole("button", { name: "Save" }).click();
    await dialog.getByText("Give an email address").waitFor();
    await dialog.getByLabel("Your name").fill("Alice Example");
    await dialog.getByLabel("Email address").fill("alice@mail.test");
    await dialog.getByLabel("Signature").fill("Alice\nExample Corp");
    await dialog.getByRole("button", { name: "Save" }).click();
    // The From line takes the identity before it is saved on the server.
    await form(page).getByText("Identity saved").waitFor();
    assert.equal(await form(page).getByLabel("From").inputValue(), "Alice Example <alice@mail.test>");
    await form(page).getByRole("button", { name: "Discard" }).click();
    await form(page).waitFor({ state: "hidden" });
    // Another device: nothing of this one's storage, the same account.
    await page.evaluate(() => localStorage.clear());
    await page.reload();
    await signIn();
    await page.getByRole("button", { name: "New message" }).click();
    assert.equal(await form(page).getByLabel("From").inputValue(), "Alice Example <alice@mail.test>");
    assert.equal(await form(page).getByLabel("Message").inputValue(), "\n\n-- \nAlice\nExample Corp");
  });
});

test("a forward carries the original's text and attachments and marks it forwarded", async () => {
  await withWebmail({ messages: 40, submission: true }, async ({ page, server }) => {
    const original = server.manifest.find((message) => message.folder === "INBOX" && JSON.stringify(message.kind) === '"attachments"');
    assert.ok(original, "the corpus has a message with attachments");
    await openMessage(page, original.subject);
    await page.getByRole("button", { name: "Forward" }).click();
    assert.equal(await form(page).getByLabel("Subject").inputValue(), `Fwd: ${original.subject}`);
    assert.match(await form(page).getByLabel("Message").inputValue(), /---------- Forwarded message ----------/);
    const files = form(page).getByRole("list", { name: "Attachments" });
    for (const name of ["Übersicht 2024.pdf", "photo.png", "archive.zip"]) await files.getByText(name, { exact: true }).waitFor();
    await form(page).getByLabel("From").fill("alice@mail.test");
    await form(page).getByLabel("To", { exact: true }).fill("bob@mail.test");
    await form(page).getByRole("button", { name: "Send" }).click();
    await page.getByRole("status").getByText("Message sent.").waitFor({ timeout: 20000 });
    const delivered = await eventually(() => stored(server, "bob", "INBOX", original.subject)[0], "the forward in Bob's INBOX");
    for (const name of ["photo.png", "archive.zip", "%C3%9Cbersicht%202024.pdf"]) assert.ok(delivered.includes(name), `${name} carried along`);
    await eventually(() => serverFlags(server, "INBOX", original.uid).includes("$Forwarded"), "$Forwarded on the original");
  });
});

test("addresses become chips, a wrong one is marked before Send, people seen are suggested, and dropped or pasted files attach", async () => {
  await withWebmail({ messages: 8, submission: true }, async ({ page, server }) => {
    // The INBOX rows the list loaded name the corpus's senders: they are suggested.
    const seen = server.manifest.find((message) => message.folder === "INBOX" && message.fromAddress);
    await page.getByRole("button", { name: "New message" }).click();
    await form(page).getByLabel("From").fill("alice@mail.test");
    const to = form(page).getByLabel("To", { exact: true });
    await to.pressSequentially('"Doe, Jo" <bob@mail.test>, not an address; ');
    assert.deepEqual(await chips(page, "To"), ["bob@mail.test", "not an address"]);
    assert.ok(await form(page).getByRole("list", { name: "To recipients" }).getByText("(not an address)").count(), "the wrong one is marked");
    await to.pressSequentially(seen.fromAddress.slice(0, 3));
    const suggestions = form(page).getByRole("listbox", { name: "Suggestions for To" });
    await suggestions.getByRole("option", { name: new RegExp(escapeRegExp(seen.fromAddress)) }).waitFor();
    await to.press("ArrowDown");
    await to.press("ArrowUp");
    const picked = await suggestions.getByRole("option", { selected: true }).textContent();
    await to.press("Enter");
    assert.ok((await chips(page, "To")).some((address) => picked?.includes(address)), "the suggestion became a chip");
    await form(page).getByLabel("Subject").fill("Chips and files");
    await form(page).getByLabel("Message").fill("see the files\n");

    // Send refuses while an entry is not an address, and says which.
    await form(page).getByRole("button", { name: "Send" }).click();
    await form(page).getByText("Not an address: not an address").waitFor();
    for (const address of await chips(page, "To")) if (address !== "bob@mail.test") await form(page).getByRole("button", { name: `Remove ${address}` }).click();

    // A file dropped on the form and one pasted into the message are attached.
    const files = (name, text) =>
      page.evaluateHandle(([name, text]) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([text], name, { type: "text/plain" }));
        return transfer;
      }, [name, text]);
    await form(page).locator("form").dispatchEvent("drop", { dataTransfer: await files("dropped.txt", "dropped bytes") });
    const pasted = await files("pasted.txt", "pasted bytes");
    await form(page).getByLabel("Message").evaluate((element, clipboardData) => element.dispatchEvent(new ClipboardEvent("paste", { clipboardData, bubbles: true, cancelable: true })), pasted);
    const attachments = form(page).getByRole("list", { name: "Attachments" });
    await attachments.getByText("dropped.txt").waitFor();
    await attachments.getByText("pasted.txt").waitFor();
    assert.equal(await form(page).getByLabel("Message").inputValue(), "see the files\n", "a pasted file is not pasted as text");

    await form(page).getByRole("button", { name: "Send" }).click();
    await page.getByRole("status").getByText("Message sent.").waitFor({ timeout: 20000 });
    const delivered = await eventually(() => raw(server, "bob", "INBOX", "Chips and files"), "the message in Bob's INBOX");
    assert.match(delivered, /^To: "Doe, Jo" <bob@mail.test>\r?$/m);
    assert.equal(attachmentBytes(delivered, 'filename="dropped.txt"').toString(), "dropped bytes");
    assert.equal(attachmentBytes(delivered, 'filename="pasted.txt"').toString(), "pasted bytes");

    // Someone just written to comes first among the suggestions for the next message.
    await page.getByRole("button", { name: "New message" }).click();
    await form(page).getByLabel("To", { exact: true }).pressSequentially("Do");
    await form(page).getByRole("listbox", { name: "Suggestions for To" }).getByRole("option").first().getByText("bob@mail.test").waitFor();
    await screenshot(page, "compose-suggestions.png");
  });
});

/** Dovecot's post-login submission processes (one per signed-in SMTP session) of `server`. */
function submissionProcesses(server) {
  const master = readFileSync(path.join(path.dirname(server.config_file), "run", "master.pid"), "utf8").trim();
  const listed = execFileSync("ps", ["-o", "pid=,comm=", "--ppid", master], { encoding: "utf8" });
  return listed
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter(([, name]) => name === "submission")
    .map(([pid]) => Number(pid));
}

test("a connection lost while the message is in flight leaves it unsent in the form, and a retry sends the same message once", async () => {
  await withWebmail({ messages: 8, submission: true }, async ({ page, server }) => {
    // The harness's relay holds this subject's first attempt without an answer (see lmtp_relay.py).
    const subject = "Dropped in flight [relay: hold once]";
    await writeNew(page, { to: "bob@mail.test", subject, text: "please arrive once\n" });
    await form(page).locator("input[type=file]").setInputFiles({ name: "big.bin", mimeType: "application/octet-stream", buffer: randomBytes(2 * 1024 * 1024) });
    await form(page).getByText("big.bin").waitFor();
    const before = new Set(submissionProcesses(server));
    await form(page).getByRole("button", { name: "Send" }).click();
    // The whole message went up and the server has not answered: the connection is cut now.
    const held = path.join(path.dirname(server.config_file), "relay-held");
    const heldId = await eventually(() => existsSync(held) && readFileSync(held, "utf8"), "the relay holding the message", 30000);
    for (const pid of submissionProcesses(server).filter((pid) => !before.has(pid))) process.kill(pid, "SIGKILL");

    await form(page).getByText(/Not sent: the connection to the mail server was lost/).waitFor({ timeout: 30000 });
    assert.equal(await form(page).getByLabel("Subject").inputValue(), subject);
    assert.deepEqual(await chips(page, "To"), ["bob@mail.test"]);
    assert.ok(await form(page).getByRole("list", { name: "Attachments" }).getByText("big.bin").count(), "the attachment is still there");
    assert.equal(stored(server, "bob", "INBOX", "Dropped in flight").length, 0, "nothing was delivered");

    await form(page).getByRole("button", { name: "Send" }).click();
    await page.getByRole("status").getByText("Message sent.").waitFor({ timeout: 30000 });
    const delivered = await eventually(() => stored(server, "bob", "INBOX", "Dropped in flight"), "the message in Bob's INBOX");
    assert.equal(delivered.length, 1, "delivered once");
    assert.equal(/^Message-ID: (<[^>]+>)/im.exec(delivered[0])?.[1], heldId, "the retry is the same message: the Message-ID of the attempt cut off");
  });
});
