// Writing mail, headless: the compose module (SMTP and the message builder,
// fetched on the first "New message"), drafts for new messages, replies and
// forwards, and a Composer that saves drafts (locally on every change, to the
// server's Drafts when idle, replacing the previous one) and sends with an
// undo window, then files the copy in Sent and marks the original answered;
// offline, it puts the message (or the draft the user closed) in the outbox.

import { loadAddOn } from "./add-on.js";
import { afterSend, removeMessage, saveDraft } from "./drafts.js";
import { mailboxesOf } from "./addresses.js";

/**
 * Loads the compose module that sits next to the base client's wasm.
 * @param {URL | string} wasmUrl where `client_wasm_bg.wasm` is served
 */
export function loadCompose(wasmUrl) {
  return loadAddOn("client_compose", wasmUrl);
}

/**
 * @typedef {import("./addresses.js").Mailbox} Mailbox
 * @typedef {import("./drafts.js").DraftFields} DraftFields
 * @typedef {import("./drafts.js").Origin} Origin
 * @typedef {import("./outbox.js").Outgoing} Outgoing
 * @typedef {{compose: any, imap: () => Promise<any>, smtp: () => Promise<any>, drafts: string | null, sent: string | null, serverFilesSent?: boolean}} Services
 *   what writing mail runs on: `imap` opens (once) an IMAP session of its own for Drafts and Sent, so the list's folder
 *   stays selected; `serverFilesSent`: the operator says the submission server files sent mail itself
 */

/** Once: "Re: Re: x" stays "Re: x", and "AW:"/"Fwd:" prefixes of other clients count. */
const REPLY_PREFIX = /^\s*(re|aw|sv|antw)\s*:\s*/i;
const FORWARD_PREFIX = /^\s*(fwd?|wg|tr)\s*:\s*/i;

/** @param {string} prefix @param {RegExp} pattern @param {string | null} subject */
export function prefixed(prefix, pattern, subject) {
  const text = (subject ?? "").trim();
  return pattern.test(text) ? text : `${prefix} ${text}`.trim();
}

/**
 * `text` quoted with "> ", under "On DATE, NAME wrote:".
 * @param {string | null} text @param {string | null} date @param {string} who
 */
export function quoted(text, date, who) {
  const when = date ? new Date(date).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }) : null;
  const header = when ? `On ${when}, ${who} wrote:` : `${who} wrote:`;
  const lines = (text ?? "").replace(/\r\n/g, "\n").replace(/\n+$/, "").split("\n");
  return `${header}\n${lines.map((line) => (line.startsWith(">") ? `>${line}` : `> ${line}`)).join("\n")}\n`;
}

/** @param {Mailbox} mailbox @param {string[]} own addresses of the user, lower-cased */
function isOwn(mailbox, own) {
  return own.includes(mailbox.address.toLowerCase());
}

/**
 * The identity a reply is sent from: the one the original was addressed to,
 * else the first.
 * @param {import("../../pkg/client_wasm.js").Message} message @param {Mailbox[]} identities
 */
export function identityFor(message, identities) {
  const addressed = [...message.to, ...message.cc].map((entry) => (entry.address ?? "").toLowerCase());
  return identities.find((identity) => addressed.includes(identity.address.toLowerCase())) ?? identities[0];
}

/**
 * A reply (to the sender, or with `all` to everyone but the user): "Re: " once,
 * threading headers (RFC 5322 3.6.4), the text quoted.
 * @param {import("../../pkg/client_wasm.js").Message} message @param {Mailbox[]} identities @param {{all?: boolean}} [options]
 * @returns {DraftFields}
 */
export function replyDraft(message, identities, { all = false } = {}) {
  const from = identityFor(message, identities);
  const own = identities.map((identity) => identity.address.toLowerCase());
  const replyTo = mailboxesOf(message.replyTo.length ? message.replyTo : message.from);
  const sentByUser = mailboxesOf(message.from).some((sender) => isOwn(sender, own));
  // Replying to one's own message goes to its recipients, as Thunderbird does.
  let to = sentByUser ? mailboxesOf(message.to) : replyTo;
  let cc = [];
  if (all) {
    const seen = new Set(to.map((entry) => entry.address.toLowerCase()));
    cc = mailboxesOf([...message.to, ...message.cc]).filter((entry) => {
      const key = entry.address.toLowerCase();
      if (seen.has(key) || own.includes(key)) return false;
      seen.add(key);
      return true;
    });
  }
  to = to.filter((entry) => !isOwn(entry, own) || sentByUser);
  const parent = message.messageId ?? undefined;
  const references = [...message.references, ...(parent ? [parent] : [])];
  const who = message.from[0]?.name || message.from[0]?.address || "someone";
  return {
    from,
    to,
    cc,
    bcc: [],
    subject: prefixed("Re:", REPLY_PREFIX, message.subject),
    text: `\n\n${quoted(message.text, message.date, who)}`,
    attachments: [],
    inReplyTo: parent,
    references: parent ? references.slice(-20) : message.references,
  };
}

/**
 * A forward: "Fwd: " once, the original's headers and text inline; its
 * attachments are added by the caller once fetched.
 * @param {import("../../pkg/client_wasm.js").Message} message @param {Mailbox[]} identities
 * @returns {DraftFields}
 */
export function forwardDraft(message, identities) {
  const list = (/** @type {{name: string | null, address: string | null}[]} */ entries) =>
    entries.map((entry) => (entry.name ? `${entry.name} <${entry.address}>` : entry.address)).join(", ");
  const header = [
    "---------- Forwarded message ----------",
    `From: ${list(message.from)}`,
    message.date ? `Date: ${new Date(message.date).toUTCString()}` : null,
    `Subject: ${message.subject ?? ""}`,
    `To: ${list(message.to)}`,
    message.cc.length ? `Cc: ${list(message.cc)}` : null,
  ]
    .filter((line) => line !== null)
    .join("\n");
  return {
    from: identities[0],
    to: [],
    cc: [],
    bcc: [],
    subject: prefixed("Fwd:", FORWARD_PREFIX, message.subject),
    text: `\n\n${header}\n\n${message.text ?? ""}`,
    attachments: [],
  };
}

const IDENTITIES_KEY = "webmail.identities";
/** Where the server keeps them (RFC 5464), so they follow the user to any device. */
export const IDENTITIES_ENTRY = "/private/vendor/webmail-bridge/identities";

/** @typedef {Mailbox & {signature?: string}} Identity */

/** @param {unknown} value @returns {value is Identity[]} */
function identityList(value) {
  return Array.isArray(value) && value.length > 0 && value.every((identity) => typeof identity?.address === "string");
}

/**
 * The user's identities: from the server where it has METADATA, else from
 * this device, else the signed-in address.
 * @param {string} username
 * @param {{capabilities: string[], getMetadata: (mailbox: string, entry: string) => Promise<string | null>} | null} client
 * @returns {Promise<Identity[]>}
 */
export async function loadIdentities(username, client) {
  if (client?.capabilities.includes("METADATA")) {
    try {
      const saved = JSON.parse((await client.getMetadata("", IDENTITIES_ENTRY)) ?? "null");
      if (identityList(saved)) return saved;
    } catch {
      // Unreadable on the server: this device's copy, if any, still serves.
    }
  }
  try {
    const saved = JSON.parse(localStorage.getItem(IDENTITIES_KEY) ?? "null");
    if (identityList(saved)) return saved;
  } catch {
    // Storage may be unavailable (private mode, a sandboxed embed): fall through.
  }
  return [{ name: null, address: username.includes("@") ? username : "" }];
}

/**
 * Keeps the identities on this device and, where it has METADATA, on the server.
 * @param {Identity[]} identities
 * @param {{capabilities: string[], setMetadata: (mailbox: string, entry: string, value: string | null) => Promise<void>} | null} client
 */
export async function saveIdentities(identities, client) {
  const text = JSON.stringify(identities);
  try {
    localStorage.setItem(IDENTITIES_KEY, text);
  } catch {
    // Not kept on this device; the server's copy (if any) still is.
  }
  if (client?.capabilities.includes("METADATA")) await client.setMetadata("", IDENTITIES_ENTRY, text);
}

/**
 * The message being written, kept on this device on every change so a crash
 * or a closed tab loses nothing; one per user, removed once sent or discarded.
 * IndexedDB holds the attachments as they are (Blobs would be copies anyway).
 */
export class LocalDrafts {
  /** @param {string} user */
  constructor(user) {
    this.key = `draft:${user}`;
    /** @type {Promise<IDBDatabase> | null} */
    this.opening = null;
  }

  /** @returns {Promise<IDBDatabase>} */
  database() {
    this.opening ??= new Promise((resolve, reject) => {
      const request = indexedDB.open("webmail-compose", 1);
      request.onupgradeneeded = () => request.result.createObjectStore("drafts");
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    return this.opening;
  }

  /** @param {"readonly" | "readwrite"} mode @param {(store: IDBObjectStore) => IDBRequest} action */
  async run(mode, action) {
    const database = await this.database();
    return new Promise((resolve, reject) => {
      const request = action(database.transaction("drafts", mode).objectStore("drafts"));
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  /** @param {{fields: DraftFields, origin: Origin | null, draftUid: number | null}} saved */
  put(saved) {
    return this.run("readwrite", (store) => store.put(saved, this.key));
  }

  /** @returns {Promise<{fields: DraftFields, origin: Origin | null, draftUid: number | null} | undefined>} */
  get() {
    return this.run("readonly", (store) => store.get(this.key));
  }

  remove() {
    return this.run("readwrite", (store) => store.delete(this.key));
  }
}

/**
 * `<random@domain>` from the sender's domain, random from `crypto.getRandomValues`.
 * @param {string} from
 */
export function newMessageId(from) {
  const random = Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, "0")).join("");
  return `<${random}@${from.split("@").pop() || "webmail.invalid"}>`;
}

/**
 * Hands a message to the submission server, over a session of its own closed after.
 * @param {Services} services @param {DraftFields} draft
 * @param {{onProgress?: (sent: number, total: number) => void}} [options]
 * @returns {Promise<{rejected: {address: string, message: string}[]}>} the recipients the server refused, if some were taken
 */
export async function deliver(services, draft, { onProgress } = {}) {
  const smtp = await services.smtp();
  try {
    return await smtp.send(draft, { onProgress });
  } finally {
    smtp.close().catch(() => {});
  }
}

/** How long a sent message waits in the page for "Undo". */
export const UNDO_MS = 5000;
/** How long the user must pause before the draft is saved to the server. */
export const DRAFT_IDLE_MS = 3000;

/**
 * One message being written: its fields, its draft on the server (replaced on
 * each save, never two saves in flight), and its sending.
 */
export class Composer extends EventTarget {
  /**
   * @param {Services} services
   * @param {DraftFields} fields
   * @param {Origin | null} origin
   * @param {LocalDrafts | null} [local] where the device keeps it
   */
  constructor(services, fields, origin = null, local = null) {
    super();
    this.services = services;
    this.fields = fields;
    this.origin = origin;
    this.local = local;
    /** The server's copy of the draft, replaced on each save. @type {number | null} */
    this.draftUid = null;
    /** @type {Promise<void>} */
    this.saving = Promise.resolve();
    this.dirty = false;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.idleTimer = undefined;
    this.closed = false;
    /** Takes the message back while the undo window is open. @type {(() => void) | null} */
    this.undo = null;
  }

  /** The fields changed: save to the server once the user pauses. @param {Partial<DraftFields>} changes */
  update(changes) {
    Object.assign(this.fields, changes);
    this.dirty = true;
    this.keepLocally();
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.saveDraft().catch((error) => this.report("draft-failed", error)), DRAFT_IDLE_MS);
  }

  /** Writes the message to this device (a failure only costs the crash copy). */
  keepLocally() {
    this.local?.put({ fields: this.fields, origin: this.origin, draftUid: this.draftUid }).catch(() => {});
  }

  /** @param {string} type @param {unknown} [detail] */
  report(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  /** The draft as the compose module takes it. */
  draft() {
    const { from, to, cc, bcc, subject, text, attachments, inReplyTo, references, messageId } = this.fields;
    return { from, to, cc, bcc, subject, text, attachments, inReplyTo, references, messageId };
  }

  /**
   * Saves the draft to the server's Drafts now (after any save in flight),
   * replacing the previous copy.
   */
  saveDraft() {
    clearTimeout(this.idleTimer);
    this.saving = this.saving.then(async () => {
      if (!this.dirty || this.closed || !this.services.drafts) return;
      this.dirty = false;
      this.report("draft-saving");
      const imap = await this.services.imap();
      const replaceUid = this.draftUid;
      this.draftUid = await saveDraft(imap, this.services.compose, this.draft(), { folder: this.services.drafts, replaceUid });
      this.keepLocally();
      this.report("draft-saved");
    });
    return this.saving;
  }

  /** Deletes the previous server copy, if there is one. @param {any} imap */
  async removeServerDraft(imap) {
    const old = this.draftUid;
    if (old === null || !this.services.drafts) return;
    this.draftUid = null;
    await removeMessage(imap, this.services.drafts, old);
  }

  /**
   * Waits the undo window: rejects with code UNDONE if `undo()` is called before it ends.
   * @param {number} undoMs
   * @returns {Promise<void>}
   */
  undoWindow(undoMs) {
    clearTimeout(this.idleTimer);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.undo = null;
        resolve();
      }, undoMs);
      this.undo = () => {
        clearTimeout(timer);
        this.undo = null;
        reject(Object.assign(new Error("Sending was undone."), { code: "UNDONE" }));
      };
    });
  }

  /**
   * Sends after the undo window (`undo()` before it ends sends nothing), then
   * files the copy in Sent, marks the original and removes the draft.
   * Resolves with the send's result; rejects with the failure, the form's
   * fields untouched.
   * @param {{onProgress?: (sent: number, total: number) => void, undoMs?: number}} [options]
   */
  async send({ onProgress, undoMs = UNDO_MS } = {}) {
    const waited = this.undoWindow(undoMs);
    // Chosen once: a retry after a failure is the same message to the recipients
    // (and to Gmail, which drops a second copy with the same Message-ID).
    this.fields.messageId ??= newMessageId(this.fields.from.address);
    await waited;
    // A save in flight finishes first, so the draft it makes is the one removed.
    await this.saving.catch(() => {});
    const sent = await deliver(this.services, this.draft(), { onProgress });
    this.closed = true;
    await this.local?.remove().catch(() => {});
    await this.afterSent().catch((error) => this.report("filing-failed", error));
    return sent;
  }

  /**
   * Offline: after the undo window, the message goes to the outbox, to be sent
   * when the connection returns.
   * @param {(entry: Outgoing) => Promise<void>} put where the outbox keeps it
   * @param {{undoMs?: number}} [options]
   */
  async sendLater(put, { undoMs = UNDO_MS } = {}) {
    await this.undoWindow(undoMs);
    await this.queue(put, "send");
  }

  /**
   * Puts the message in the outbox, to be sent (or saved to Drafts) when the
   * connection returns; the form is done with it.
   * @param {(entry: Outgoing) => Promise<void>} put
   * @param {"send" | "draft"} kind
   */
  async queue(put, kind) {
    clearTimeout(this.idleTimer);
    this.fields.messageId ??= newMessageId(this.fields.from.address);
    await this.saving.catch(() => {});
    await put({ kind, fields: { ...this.draft(), messageId: this.fields.messageId }, origin: this.origin, draftUid: this.draftUid, queuedAt: Date.now(), attempts: 0 });
    this.closed = true;
    await this.local?.remove().catch(() => {});
  }

  /** Files the copy in Sent (unless the server did), marks the original, removes the draft. */
  async afterSent() {
    const { compose, sent, serverFilesSent, drafts } = this.services;
    const draftUid = this.draftUid;
    this.draftUid = null;
    const imap = await this.services.imap();
    await afterSend(imap, compose, { ...this.draft(), messageId: /** @type {string} */ (this.fields.messageId) }, { sentFolder: sent, serverFilesSent, origin: this.origin, draftFolder: drafts, draftUid });
  }

  /** Stops autosaving (the form closed; save first to keep the last edits); the server draft stays unless `discard`. @param {{discard?: boolean}} [options] */
  async close({ discard = false } = {}) {
    clearTimeout(this.idleTimer);
    this.closed = true;
    await this.saving.catch(() => {});
    // Closed on purpose: the server's Drafts has it (or it was discarded).
    await this.local?.remove().catch(() => {});
    if (discard && this.draftUid !== null) await this.removeServerDraft(await this.services.imap());
  }
}
