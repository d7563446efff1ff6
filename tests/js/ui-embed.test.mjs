// <webmail-app> embedded in another site's page, loaded across origins from the
// bridge: it signs in and works, the host page's styles do not reach inside, the
// component's styles do not leak out, and it brings no service worker along.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { withWebmail, waitForRows } from "./ui.mjs";

/** A host page on its own origin, with loud styles of its own. */
async function startHost() {
  let page = "";
  const server = http.createServer((request, response) => {
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end(page);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    setPage(html) {
      page = html;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

test("embedded in another origin's page, the webmail works and styles stay on their side", async () => {
  const host = await startHost();
  try {
    await withWebmail({ messages: 20, seed: 14, extraToml: `allowed_origins = ["${host.origin}"]`, signIn: false }, async ({ page, bridge, user }) => {
      host.setPage(`<!doctype html>
  <html><head><title>Host app</title>
  <style>
    * { color: rgb(255, 0, 0) !important; font-family: serif !important; }
    button { background: rgb(255, 105, 180); }
    h1 { font-size: 40px; }
  </style></head>
  <body>
  <h1>My app</h1>
  <button id="host-button">Host button</button>
  <div style="height: 600px"><webmail-app bridge="${bridge.wsUrl}" upstream="local"></webmail-app></div>
  <script type="module" src="${bridge.origin}/webmail-app.js"></script>
  </body></html>`);
      await page.goto(host.origin);
      await page.getByLabel("Username").waitFor();
      // The upstream attribute fixes the server: no choice is shown.
      assert.equal(await page.getByLabel("Server", { exact: true }).isVisible(), false);

      const signIn = page.getByRole("button", { name: "Sign in" });
      const inside = await signIn.evaluate((button) => ({ color: getComputedStyle(button).color, font: getComputedStyle(button).fontFamily, background: getComputedStyle(button).backgroundColor }));
      assert.notEqual(inside.color, "rgb(255, 0, 0)", "the host's color reached inside");
      assert.doesNotMatch(inside.font, /^serif$/, "the host's font reached inside");
      assert.notEqual(inside.background, "rgb(255, 105, 180)", "the host's button style reached inside");

      await page.getByLabel("Username").fill(user.username);
      await page.getByLabel("Password").fill(user.password);
      await signIn.click();
      await waitForRows(page);
      assert.ok((await page.getByRole("grid", { name: "Messages" }).getByRole("row").count()) > 0);

      const outside = await page.evaluate(() => ({
        button: getComputedStyle(document.getElementById("host-button")).backgroundColor,
        heading: getComputedStyle(document.querySelector("h1")).fontSize,
        title: document.title,
      }));
      assert.deepEqual(outside, { button: "rgb(255, 105, 180)", heading: "40px", title: "Host app" }, "the component changed the host page");
      // The service worker is the bridge's own page's: an embedding page gets none from the component.
      const workers = await page.evaluate(async () => ({ registered: (await navigator.serviceWorker.getRegistrations()).length, controlled: navigator.serviceWorker.controller !== null }));
      assert.deepEqual(workers, { registered: 0, controlled: false });
    });
  } finally {
    await host.close();
  }
});
