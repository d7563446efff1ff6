// Signing in through the UI: the right and the wrong password, and a clear
// message for each way reaching the server can fail.
import { test } from "node:test";
import assert from "node:assert/strict";
import { withWebmail, grid, folder } from "./ui.mjs";
import { upstreamFor } from "./bridge.mjs";
import { freePort } from "./harness.mjs";

test("a wrong password is named as such; the right one opens the Inbox; only the username is remembered", async () => {
  await withWebmail({ messages: 20, signIn: false }, async (env) => {
    const { page, user } = env;
    // One server: no server choice.
    assert.equal(await page.getByLabel("Server", { exact: true }).isVisible(), false);
    await page.getByLabel("Username").fill(user.username);
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("checkbox", { name: /Remember me/ }).check();
    await page.getByRole("button", { name: "Sign in" }).click();
    const alert = page.getByRole("alert");
    await alert.filter({ hasText: "Wrong username or password" }).waitFor();
    assert.equal(await page.getByLabel("Password").inputValue(), "", "the rejected password is cleared");

    await env.signIn();
    await folder(page, "Inbox").waitFor();
    assert.equal(await folder(page, "Inbox").getAttribute("aria-selected"), "true");
    assert.ok((await grid(page).getByRole("row").count()) > 0);

    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
    assert.ok(stored.includes(user.username), "the username is remembered");
    assert.ok(!stored.includes(user.password), "the password is never stored");

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.reload();
    assert.equal(await page.getByLabel("Username").inputValue(), user.username);
    assert.equal(await page.getByLabel("Password").inputValue(), "");
  });
});

test("an unreachable server, a TLS failure and a bridge refusal each get their own message", async () => {
  const down = await freePort();
  // Besides the working server: one nobody listens on, one whose certificate is not trusted.
  const upstreams = (server) => `${upstreamFor(server)}
[[upstream]]
name = "down"
label = "Server that is down"
address = "127.0.0.1:${down}"
tls = "none"

[[upstream]]
name = "untrusted"
label = "Server with an untrusted certificate"
address = "127.0.0.1:${server.imaps_port}"
tls = "implicit"
server_name = "localhost"
`;
  await withWebmail(
    { messages: 0, upstreams, signIn: false },
    async ({ page, user }) => {
      const server = page.getByLabel("Server", { exact: true });
      await server.waitFor();
      const attempt = async (choice, expected) => {
        await server.selectOption(choice);
        await page.getByLabel("Username").fill(user.username);
        await page.getByLabel("Password").fill(user.password);
        await page.getByRole("button", { name: "Sign in" }).click();
        await page.getByRole("alert").filter({ hasText: expected }).waitFor({ timeout: 8000 }).catch(async (error) => {
          throw new Error(`${error.message}; the page said: ${await page.getByRole("alert").textContent()}`);
        });
      };
      await attempt("down", "The mail server could not be reached");
      await attempt("untrusted", "A secure connection to the mail server could not be made");

      // A page that asks for a server the bridge does not have: the bridge refuses.
      await page.evaluate(() => {
        const app = document.querySelector("webmail-app");
        app.setAttribute("upstream", "nowhere");
        app.shadowRoot.querySelector("#signin-server").value = "";
      });
      await page.getByLabel("Password").fill(user.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("alert").filter({ hasText: "The webmail service refused the connection" }).waitFor();

      await server.selectOption("local");
      await page.getByLabel("Password").fill(user.password);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("tree", { name: "Folders" }).waitFor();
    },
  );
});
