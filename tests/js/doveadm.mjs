// Asks the harness's Dovecot directly, bypassing the client under test.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

const DOVEADM = ["/usr/bin/doveadm", "/usr/sbin/doveadm"].find((path) => existsSync(path)) || "doveadm";

/** UIDs in `mailbox` matching a doveadm search query (e.g. "all", "seen", "deleted"). */
export function serverUids(server, mailbox, query = "all") {
  const output = execFileSync(DOVEADM, ["-c", server.config_file, "search", "-u", server.users[0].username, "mailbox", mailbox, ...query.split(" ")], {
    encoding: "utf8",
  });
  return output
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => Number(line.trim().split(/\s+/)[1]))
    .sort((a, b) => a - b);
}

/** Flags of one message as the server holds them. */
export function serverFlags(server, mailbox, uid) {
  const output = execFileSync(
    DOVEADM,
    ["-c", server.config_file, "fetch", "-u", server.users[0].username, "flags", "mailbox", mailbox, "uid", String(uid)],
    { encoding: "utf8" },
  );
  return output.replace(/^flags:\s*/m, "").trim().split(/\s+/).filter(Boolean);
}

/** Delivers a raw message into a mailbox as another client would (doveadm save). */
export function saveMessage(server, mailbox, raw, user = server.users[0].username) {
  execFileSync(DOVEADM, ["-c", server.config_file, "save", "-u", user, "-m", mailbox], { input: raw });
}
