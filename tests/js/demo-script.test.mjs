// `make demo`'s script as a user runs it: it starts the harness and the bridge,
// prints the URL and credentials, and the printed URL serves the webmail with
// both demo servers (TLS in the bridge, and end-to-end TLS from the page).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import path from "node:path";
import { ROOT, freePort } from "./harness.mjs";

test("the demo script prints a URL that serves the webmail with both demo servers", async () => {
  const port = await freePort();
  const child = spawn("bash", [path.join(ROOT, "scripts/demo.sh")], {
    env: { ...process.env, DEMO_PORT: String(port), DEMO_MESSAGES: "20" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const output = [];
  try {
    const url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL within 120 s:\n${output.join("\n")}`)), 120_000);
      child.once("exit", (code) => reject(new Error(`demo exited with ${code}:\n${output.join("\n")}`)));
      createInterface({ input: child.stderr }).on("line", (line) => output.push(line));
      createInterface({ input: child.stdout }).on("line", (line) => {
        output.push(line);
        const match = /Webmail demo:\s+(\S+)/.exec(line);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
    });
    assert.equal(url, `http://127.0.0.1:${port}/`);
    assert.ok(output.some((line) => /Sign in as:\s+alice \/ wonderland/.test(line)), output.join("\n"));
    // The bridge starts after the message: wait for it to answer.
    let page;
    for (let attempt = 0; attempt < 200 && !page?.ok; attempt += 1) {
      page = await fetch(url).catch(() => null);
      if (!page?.ok) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(page?.status, 200);
    assert.match(await page.text(), /<webmail-app/);
    const { upstreams } = await (await fetch(new URL("api/upstreams", url))).json();
    assert.deepEqual(
      upstreams.map((upstream) => [upstream.name, upstream.tls]),
      [
        ["demo", "starttls"],
        ["demo-e2e", "end-to-end"],
      ],
    );
    assert.match(upstreams[1].endToEnd.extraRootsPem, /BEGIN CERTIFICATE/);
  } finally {
    // The whole group: the script, the bridge and the harness (which stops Dovecot).
    process.kill(-child.pid, "SIGTERM");
    await exited;
  }
});
