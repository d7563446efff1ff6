// Asks the harness's Dovecot directly, bypassing the client under test.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

const DOVEADM = ["/usr/bin/doveadm", "/usr/sbin/doveadm"].find((path) => existsSync(path)) || "doveadm";

/** UIDs in `mailbox` matching a doveadm search query (e.g. "all", "seen", "deleted"), sorted. */
export function serverUids(server, mailbox, query = "all") {
  return serverSearch(server, mailbox, query.split(" ")).sort((a, b) => a - b);
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

/** A short plain-text message with `subject`, dated now, as another client would deliver it. */
export function plainMessage(subject, from = "Grace Hopper <grace@example.org>") {
  return [
    `From: ${from}`,
    "To: Alice <alice@example.org>",
    `Subject: ${subject}`,
    `Date: ${new Date().toUTCString().replace("GMT", "+0000")}`,
    `Message-ID: <${subject.replace(/\W+/g, "-")}@example.org>`,
    "",
    "Delivered while the page was open.",
    "",
  ].join("\r\n");
}

/** Deletes `mailbox` with its messages and creates it again: a new UIDVALIDITY, as after a server-side restore. */
export function recreateMailbox(server, mailbox) {
  const user = server.users[0].username;
  execFileSync(DOVEADM, ["-c", server.config_file, "mailbox", "delete", "-u", user, mailbox]);
  execFileSync(DOVEADM, ["-c", server.config_file, "mailbox", "create", "-u", user, mailbox]);
}

/** Delivers a raw message into a mailbox as another client would (doveadm save). */
export function saveMessage(server, mailbox, raw, user = server.users[0].username) {
  execFileSync(DOVEADM, ["-c", server.config_file, "save", "-u", user, "-m", mailbox], { input: raw });
}

/**
 * UIDs in `mailbox` matching doveadm search arguments given as a list, e.g. ["subject", "Hello world"];
 * the first user's unless `user` is given.
 */
export function serverSearch(server, mailbox, args, user = server.users[0].username) {
  const output = execFileSync(DOVEADM, ["-c", server.config_file, "search", "-u", user, "mailbox", mailbox, ...args], {
    encoding: "utf8",
  });
  return output
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => Number(line.trim().split(/\s+/)[1]));
}

/** The first user's folder names, as the server lists them. */
export function serverMailboxes(server) {
  return execFileSync(DOVEADM, ["-c", server.config_file, "mailbox", "list", "-u", server.users[0].username], { encoding: "utf8" })
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
}

/** Adds flags to one message as another client would. */
export function addServerFlags(server, mailbox, uid, flags) {
  execFileSync(DOVEADM, ["-c", server.config_file, "flags", "add", "-u", server.users[0].username, flags.join(" "), "mailbox", mailbox, "uid", String(uid)]);
}

/** Removes one message as another client would. */
export function expungeOnServer(server, mailbox, uid) {
  execFileSync(DOVEADM, ["-c", server.config_file, "expunge", "-u", server.users[0].username, "mailbox", mailbox, "uid", String(uid)]);
}
