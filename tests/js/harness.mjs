// The Dovecot harness for JavaScript tests: runs `testkit dovecot` and hands back its details.
//
// The harness keeps Dovecot running until its stdin closes, so `stop()` (or this
// process dying) stops the server; nothing is left behind either way.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import path from "node:path";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const TESTKIT = path.join(ROOT, "target/debug/testkit");

/**
 * Starts a private Dovecot.
 * @param {{messages?: number, seed?: number, largeAttachment?: boolean, extraConfig?: string}} [options]
 * @returns {Promise<{host: string, imap_port: number, imaps_port: number, ca_file: string, config_file: string,
 *   users: {username: string, password: string}[], folders: {name: string, messages: number, unseen: number}[],
 *   stop: () => Promise<void>}>}
 */
export function startDovecot({ messages = 0, seed = 1, largeAttachment = true, extraConfig } = {}) {
  const args = ["dovecot", "--messages", String(messages), "--seed", String(seed)];
  if (!largeAttachment) args.push("--no-large-attachment");
  if (extraConfig) args.push("--extra-config", extraConfig);
  const child = spawn(TESTKIT, args, { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`testkit exited with ${code} before the server was ready`)));
    lines.once("line", (line) => {
      const info = JSON.parse(line);
      info.stop = async () => {
        child.stdin.end();
        await exited;
      };
      resolve(info);
    });
  });
}
