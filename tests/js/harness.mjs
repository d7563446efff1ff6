// The Dovecot harness for JavaScript tests: runs `testkit dovecot` and hands back its details.
//
// The harness keeps Dovecot running until its stdin closes, so `stop()` (or this
// process dying) stops the server; nothing is left behind either way.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import net from "node:net";
import path from "node:path";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** `WEBMAIL_BIN_PROFILE=release` runs the release binaries (the benchmarks do). */
export const PROFILE = process.env.WEBMAIL_BIN_PROFILE || "debug";
const TESTKIT = path.join(ROOT, "target", PROFILE, "testkit");

/**
 * Starts a private Dovecot.
 * `manifest: true` adds `manifest`: what each generated message is (folder, uid, kind, subject, fromName...).
 * `expiredCertificate: true` serves a certificate from the harness CA that expired in 2020.
 * @param {{messages?: number, seed?: number, largeAttachment?: boolean, inboxOnly?: boolean, extraConfig?: string, manifest?: boolean,
 *   expiredCertificate?: boolean}} [options]
 * @returns {Promise<{host: string, imap_port: number, imaps_port: number, ca_file: string, config_file: string,
 *   users: {username: string, password: string}[], folders: {name: string, messages: number, unseen: number}[],
 *   manifest?: {folder: string, uid: number, kind: string | Record<string, string>, subject: string, fromName: string,
 *   fromAddress: string, flags: string[], date: number, size: number, messageId: string}[], stop: () => Promise<void>}>}
 */
export function startDovecot({ messages = 0, seed = 1, largeAttachment = true, inboxOnly = false, extraConfig, manifest = false, expiredCertificate = false, submission = false, submissionMaxBytes } = {}) {
  const args = ["dovecot", "--messages", String(messages), "--seed", String(seed)];
  if (!largeAttachment) args.push("--no-large-attachment");
  if (inboxOnly) args.push("--inbox-only");
  if (extraConfig) args.push("--extra-config", extraConfig);
  if (expiredCertificate) args.push("--expired-certificate");
  if (submission) args.push("--submission");
  if (submissionMaxBytes) args.push("--submission-max-bytes", String(submissionMaxBytes));
  const scratch = manifest ? mkdtempSync(path.join(tmpdir(), "webmail-manifest-")) : null;
  const manifestFile = scratch ? path.join(scratch, "manifest.json") : null;
  if (manifestFile) args.push("--manifest", manifestFile);
  const child = spawn(TESTKIT, args, { stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`testkit exited with ${code} before the server was ready`)));
    lines.once("line", (line) => {
      const info = JSON.parse(line);
      if (manifestFile && scratch) {
        info.manifest = JSON.parse(readFileSync(manifestFile, "utf8"));
        rmSync(scratch, { recursive: true, force: true });
      }
      info.stop = async () => {
        child.stdin.end();
        await exited;
      };
      resolve(info);
    });
  });
}

/** A loopback port nothing listens on (free to listen on, or to find closed). */
export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}
