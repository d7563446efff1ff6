// The README's no-build example page runs as written: served from another
// origin the bridge allows, it imports the package from the bridge and lists
// the newest mail.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { ROOT } from "./harness.mjs";
import { withWebmail } from "./ui.mjs";

/** The README's example page, pointed at this test's bridge and account. */
function readmeExample(bridge, user) {
  const readme = readFileSync(path.join(ROOT, "README.md"), "utf8");
  const blocks = [...readme.matchAll(/```html\n([\s\S]*?)```/g)].map((match) => match[1]);
  const page = blocks.find((block) => block.includes("<title>Newest mail</title>"));
  assert.ok(page, "the README has the example page");
  return page
    .replaceAll("http://127.0.0.1:8080", bridge.origin)
    .replaceAll("ws://127.0.0.1:8080", bridge.origin.replace(/^http/, "ws"))
    .replace('upstream: "demo"', 'upstream: "local"')
    .replace('client.login("alice", "wonderland")', `client.login(${JSON.stringify(user.username)}, ${JSON.stringify(user.password)})`);
}

test("the README's example page lists the newest mail", async () => {
  let html = "";
  const host = http.createServer((request, response) => {
    response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    response.end(html);
  });
  await new Promise((resolve) => host.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${host.address().port}`;
  try {
    await withWebmail({ messages: 60, seed: 15, signIn: false, extraToml: `allowed_origins = ["${origin}"]` }, async ({ page, bridge, user }) => {
      html = readmeExample(bridge, user);
      await page.goto(`${origin}/hello.html`);
      await page.locator("#list li").nth(19).waitFor();
      assert.equal(await page.locator("#list li").count(), 20);
      assert.match(await page.locator("#list li").first().textContent(), /.+: .+/);
    });
  } finally {
    await new Promise((resolve) => host.close(resolve));
  }
});
