// Two tabs keeping the same account's mail: both write to the one database,
// both stay current (each has its own IMAP session), and what one changes is
// what the other paints from the device next time.
import { test } from "node:test";
import assert from "node:assert/strict";
import { withWebmail, waitForRows, openMessage, row } from "./ui.mjs";
import { serverFlags } from "./doveadm.mjs";

/** Signs in with "Keep mail on this device" ticked. */
async function signInKeeping(page, user) {
  await page.getByLabel("Username").fill(user.username);
  await page.getByLabel("Password").fill(user.password);
  await page.getByLabel("Keep mail on this device").check();
  await page.getByRole("button", { name: "Sign in" }).click();
  await waitForRows(page);
}

test("two tabs keep one account's mail together and both stay current", async () => {
  await withWebmail({ messages: 20, signIn: false }, async ({ page, browser, bridge, server, user }) => {
    const other = await browser.newPage();
    try {
      await other.goto(bridge.url);
      await signInKeeping(page, user);
      await signInKeeping(other, user);
      const target = server.manifest.find((message) => message.folder === "INBOX" && message.subject && !message.flags.includes("\\Flagged"));

      // Flagged in the first tab: the second sees it live and keeps it too.
      await openMessage(page, target.subject);
      await page.getByRole("toolbar", { name: "Message actions" }).getByRole("button", { name: "Flag", exact: true }).click();
      await row(other, target.subject).getByRole("button", { name: "Unflag" }).waitFor();
      assert.ok(serverFlags(server, "INBOX", target.uid).includes("\\Flagged"));

      // What the device holds is what both show: the next paint from it has the flag.
      const kept = await other.evaluate(
        ([name, uid]) =>
          new Promise((resolve, reject) => {
            const request = indexedDB.open(name);
            request.onerror = () => reject(request.error);
            request.onsuccess = () => {
              const database = request.result;
              const all = database.transaction("rows").objectStore("rows").getAll();
              all.onsuccess = () => {
                database.close();
                resolve(all.result.filter((row) => row.uid === uid).map((row) => row.flags));
              };
            };
          }),
        [`webmail-mail:${user.username}\nlocal`, target.uid],
      );
      assert.equal(kept.length, 1, "one kept row for the message, not one per tab");
      assert.ok(kept[0].includes("\\Flagged"), `kept with its flag: ${kept[0]}`);
      assert.deepEqual(other.consoleErrors, []);
    } finally {
      await other.close();
    }
  });
});
