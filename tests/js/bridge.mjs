// Starts the real bridge binary for JavaScript tests, on a free port.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ROOT, PROFILE } from "./harness.mjs";

const BRIDGE = path.join(ROOT, "target", PROFILE, "webmail-bridge");

/**
 * Writes `toml` (with `listen` set to port 0) and starts the bridge.
 * @param {string} toml configuration without `listen` and `web_root`
 * @param {{webRoot?: string, listen?: string}} [options] the UI's files (default: web/dist); the
 *   address to listen on (default: a free port on 127.0.0.1)
 * @returns {Promise<{url: string, origin: string, wsUrl: string, stop: () => Promise<void>, logs: string[]}>}
 */
export function startBridge(toml, { webRoot = path.join(ROOT, "web/dist"), listen = "127.0.0.1:0" } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), "webmail-bridge-test-"));
  const file = path.join(dir, "bridge.toml");
  writeFileSync(file, `listen = ${JSON.stringify(listen)}\nweb_root = ${JSON.stringify(webRoot)}\n${toml}`);
  const child = spawn(BRIDGE, ["--config", file], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, RUST_LOG: "info" },
  });
  const logs = [];
  const exited = new Promise((resolve) => child.once("exit", resolve));
  createInterface({ input: child.stderr }).on("line", (line) => logs.push(line));
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`bridge exited with ${code}:\n${logs.join("\n")}`)));
    createInterface({ input: child.stdout }).on("line", (line) => {
      logs.push(line);
      const match = /^webmail-bridge: listening on (\S+)/.exec(line);
      if (!match) return;
      const url = match[1];
      const origin = url.replace(/\/$/, "");
      resolve({
        url,
        origin,
        wsUrl: `${origin.replace(/^http/, "ws")}/ws`,
        logs,
        async stop() {
          child.kill("SIGTERM");
          await exited;
          rmSync(dir, { recursive: true, force: true });
        },
      });
    });
  });
}

/**
 * The bridge configuration for a harness server, reached with STARTTLS, with
 * its submission server (STARTTLS by the bridge) when the harness runs one.
 */
export function upstreamFor(server, name = "local") {
  const submission = server.submission
    ? `submission = "localhost:${server.submission.port}"\nsubmission_tls = "starttls"\n`
    : "";
  return `
[[upstream]]
name = "${name}"
label = "Test server"
address = "127.0.0.1:${server.imap_port}"
tls = "starttls"
ca_file = ${JSON.stringify(server.ca_file)}
server_name = "localhost"
${submission}`;
}
