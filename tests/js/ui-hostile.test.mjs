// The hostile-HTML guarantee: every message of tests/js/hostile-corpus.mjs is
// opened in turn, and nothing it tries gets out: no script runs (no console
// mark, no dialog, no change to the page), and no request leaves for any host
// but the bridge until the reader allows remote content. The last step allows
// it for the tracking pixel and sees the request arrive, which shows the
// tracker would have caught a leak.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { withWebmail, eventually, openMessage, CSP_REFUSAL } from "./ui.mjs";
import { saveMessage } from "./doveadm.mjs";
import { hostileMessages } from "./hostile-corpus.mjs";

/** An HTTP server that records every request it gets. */
async function startTracker() {
  const hits = [];
  const server = http.createServer((request, response) => {
    hits.push(request.url);
    if (request.url?.endsWith(".gif") || request.url?.endsWith(".png")) {
      response.writeHead(200, { "content-type": "image/gif" });
      response.end(Buffer.from("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7", "base64"));
    } else {
      response.writeHead(200, { "content-type": "text/plain" });
      response.end("tracked");
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    hits,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

test("no hostile message runs script or loads anything remote until allowed", async () => {
  const tracker = await startTracker();
  try {
    await withWebmail({ messages: 0, signIn: false, allowedErrors: CSP_REFUSAL }, async (env) => {
      const { page, server, bridge } = env;
      const corpus = hostileMessages(tracker.origin);
      assert.ok(corpus.length >= 40, `${corpus.length} hostile messages`);
      for (const message of corpus) saveMessage(server, "INBOX", message.raw);

      const dialogs = [];
      page.on("dialog", (dialog) => {
        dialogs.push(dialog.message());
        dialog.dismiss().catch(() => {});
    });
    const marks = [];
    page.on("console", (line) => {
      if (line.text().includes("HOSTILE")) marks.push(line.text());
    });
    const leaks = [];
    const bridgeOrigin = new URL(bridge.url).origin;
    page.context().on("request", (request) => {
      const url = request.url();
      if (/^(data|blob|about):/.test(url)) return;
      if (new URL(url).origin !== bridgeOrigin) leaks.push(url);
    });

    await env.signIn();
    for (const message of corpus) {
      await openMessage(page, message.subject);
      // Let the message document finish loading everything it is going to load.
      await page.waitForFunction(() => {
        const frame = document.querySelector("webmail-app").shadowRoot.querySelector('iframe[title="Message body"]');
        return !frame || frame.contentDocument?.readyState === "complete";
      });
      await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
      const inside = await page.evaluate(() => {
        const frame = document.querySelector("webmail-app").shadowRoot.querySelector('iframe[title="Message body"]');
        const doc = frame?.contentDocument;
        if (!doc) return { scripts: 0, handlers: [], badLinks: [], frames: 0 };
        const elements = [...doc.querySelectorAll("*")];
        return {
          scripts: doc.querySelectorAll("script").length,
          handlers: elements.flatMap((element) => [...element.attributes].filter((attribute) => /^on/i.test(attribute.name)).map((attribute) => `${element.localName}[${attribute.name}]`)),
          badLinks: elements.flatMap((element) =>
            ["href", "xlink:href", "action", "formaction"]
              .map((name) => element.getAttribute(name))
              .filter((value) => value !== null && !/^(https?:|mailto:|tel:|#)/i.test(value.trim())),
          ),
          frames: doc.querySelectorAll("iframe, frame, object, embed, form, base, meta[http-equiv=refresh i], link").length,
        };
      });
      const where = `${message.subject}`;
      assert.equal(inside.scripts, 0, `${where}: script elements survived`);
      assert.deepEqual(inside.handlers, [], `${where}: event handlers survived`);
      assert.deepEqual(inside.badLinks, [], `${where}: unsafe links survived`);
      assert.equal(inside.frames, 0, `${where}: frames, forms, base or refresh survived`);
      assert.deepEqual(dialogs, [], `${where}: a dialog opened`);
      assert.deepEqual(marks, [], `${where}: script ran`);
      assert.deepEqual(leaks, [], `${where}: requests left for other hosts`);
      assert.deepEqual(tracker.hits, [], `${where}: the tracker was reached`);
      const page_state = await page.evaluate(() => ({ hostile: "__hostile" in window, title: document.title }));
      assert.equal(page_state.hostile, false, `${where}: the page was touched`);
      assert.ok(!page_state.title.includes("HOSTILE"), `${where}: the title changed`);
    }

    // Header tricks show as text, in the list and in the reader.
    const headerTrick = corpus.find((message) => message.trick.startsWith("encoded-word"));
    assert.match(headerTrick.subject, /<script>/);
    await openMessage(page, headerTrick.subject);
    assert.match(await page.getByRole("article", { name: "Message" }).locator("dl").textContent(), /<img src=x onerror=alert\(1\)>/);

    // The positive control: once allowed, the pixel loads, and the tracker sees it.
    const pixel = corpus.find((message) => message.trick === "tracking pixel");
    await openMessage(page, pixel.subject);
    const notice = page.getByRole("status").filter({ hasText: "Remote content was blocked" });
    await notice.waitFor();
    await notice.getByRole("button", { name: "Load remote content" }).click();
    await eventually(() => tracker.hits.includes("/pixel.gif"), "the allowed pixel to reach the tracker");
    assert.deepEqual(dialogs, []);
    assert.deepEqual(marks, []);
    });
  } finally {
    await tracker.close();
  }
});
