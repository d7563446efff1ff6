// `make demo`'s script as a user runs it: it starts the harness and the bridge,
// prints the URL and credentials, and the printed URL serves the webmail with
// both demo servers (TLS in the bridge, and end-to-end TLS from the page); and a
// Ctrl-C, at start-up or later, stops it all with nothing left running.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import path from "node:path";
import { ROOT, freePort } from "./harness.mjs";

/** Starts scripts/demo.sh in its own process group, as a terminal runs a foreground job. */
function startDemo(port) {
  const child = spawn("bash", [path.join(ROOT, "scripts/demo.sh")], {
    env: { ...process.env, DEMO_PORT: String(port), DEMO_MESSAGES: "20" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  const output = [];
  const url = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL within 120 s:\n${output.join("\n")}`)), 120_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`demo exited with ${code}:\n${output.join("\n")}`));
    });
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
  url.catch(() => {});
  return { child, exited, url, output };
}

/** The demo's processes that could outlive it: Dovecot masters of the harness, the harness and the bridge. */
function demoProcesses() {
  return execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" })
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => /webmail-dovecot-|testkit dovecot|webmail-bridge --config \S*\.cache\/demo\//.test(line));
}

test("the demo script prints a URL that serves the webmail with both demo servers", async () => {
  const port = await freePort();
  const demo = startDemo(port);
  try {
    const url = await demo.url;
    assert.equal(url, `http://127.0.0.1:${port}/`);
    assert.ok(demo.output.some((line) => /Sign in as:\s+alice \/ wonderland/.test(line)), demo.output.join("\n"));
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
    process.kill(-demo.child.pid, "SIGTERM");
    await demo.exited;
  }
});

test("Ctrl-C on the demo, while it starts or while it runs, leaves no server behind", async () => {
  const before = new Set(demoProcesses());
  for (const moment of ["while Dovecot starts", "once the URL is printed"]) {
    const demo = startDemo(await freePort());
    if (moment === "once the URL is printed") {
      await demo.url;
    } else {
      // Dovecot is up, the script is still reading the harness's details.
      for (let tries = 0; !demoProcesses().some((line) => /webmail-dovecot-/.test(line) && !before.has(line)); tries += 1) {
        assert.ok(tries < 2_400, "Dovecot did not start within 120 s");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    // What a terminal does on Ctrl-C: SIGINT to the whole foreground group.
    process.kill(-demo.child.pid, "SIGINT");
    const { code } = await Promise.race([
      demo.exited,
      new Promise((_, reject) => setTimeout(() => reject(new Error(`${moment}: the demo did not stop within 60 s`)), 60_000)),
    ]);
    assert.equal(code, 130, `${moment}: ${demo.output.join("\n")}`);
    // Checked as soon as the script returns: it waits for everything it started.
    const left = demoProcesses().filter((line) => !before.has(line));
    assert.deepEqual(left, [], `${moment}: still running after the demo ended`);
  }
});
