// The IMAP side of writing mail, over an ImapClient and the compose module:
// a draft saved to Drafts replacing the previous copy, a draft read back to go
// on with, and what a sent message needs afterwards (its copy in Sent unless
// the server filed one, the original marked answered or forwarded, the draft
// removed). The UI's Composer runs on these; pages with their own UI import
// them from the bridge as `drafts.js`.

import { mailboxesOf } from "./addresses.js";

/**
 * @typedef {import("./addresses.js").Mailbox} Mailbox
 * @typedef {{filename: string, contentType: string, data: Uint8Array}} FileAttachment
 * @typedef {{from: Mailbox, to: Mailbox[], cc: Mailbox[], bcc: Mailbox[], subject: string, text: string,
 *   attachments: FileAttachment[], inReplyTo?: string, references?: string[], messageId?: string}} DraftFields
 * @typedef {{folder: string, uid: number, flag: string}} Origin the message a reply or forward answers, and the flag it gets
 * @typedef {Pick<import("../../pkg/client_wasm.js").ImapClient, "append" | "select" | "setFlags" | "expunge" | "searchRaw" | "fetchMessage" | "fetchPart">} Imap
 * @typedef {{buildMessage: (draft: object, options: {keep: boolean}) => Uint8Array}} Compose the compose module
 */

/**
 * Saves `draft` to `folder` (`\Draft \Seen`), then removes the copy it replaces,
 * so one message never has two drafts.
 * @param {Imap} imap
 * @param {Compose} compose
 * @param {DraftFields} draft
 * @param {{folder: string, replaceUid?: number | null}} options
 * @returns {Promise<number | null>} the new copy's UID (null from a server without UIDPLUS)
 */
export async function saveDraft(imap, compose, draft, { folder, replaceUid = null }) {
  const uid = await imap.append(folder, compose.buildMessage(draft, { keep: true }), { flags: ["\\Draft", "\\Seen"] });
  if (replaceUid !== null) await removeMessage(imap, folder, replaceUid);
  return uid;
}

/**
 * Removes one message by UID, and only it (UID EXPUNGE where the server has UIDPLUS).
 * @param {Imap} imap @param {string} folder @param {number} uid
 */
export async function removeMessage(imap, folder, uid) {
  await imap.select(folder);
  await imap.setFlags([uid], ["\\Deleted"], "add");
  await imap.expunge([uid]);
}

/**
 * A fetched message as a draft to go on with: its addresses, subject, text
 * (format=flowed undone), threading headers, Message-ID and files.
 * @param {import("../../pkg/client_wasm.js").Message} message
 * @param {(part: import("../../pkg/client_wasm.js").Attachment) => Promise<Uint8Array>} fetchFile
 * @returns {Promise<DraftFields>}
 */
export async function draftFromMessage(message, fetchFile) {
  const files = message.attachments.filter((part) => !part.inline);
  return {
    from: mailboxesOf(message.from)[0] ?? { name: null, address: "" },
    to: mailboxesOf(message.to),
    cc: mailboxesOf(message.cc),
    bcc: mailboxesOf(message.bcc),
    subject: message.subject ?? "",
    text: unflowed(message.text ?? ""),
    attachments: await Promise.all(files.map(async (part) => ({ filename: part.filename ?? "attachment", contentType: part.contentType, data: await fetchFile(part) }))),
    inReplyTo: message.inReplyTo ?? undefined,
    references: message.references,
    messageId: message.messageId ?? undefined,
  };
}

/**
 * Reads a draft back from the server (opening a draft resumes it).
 * @param {Imap} imap @param {string} folder @param {number} uid
 * @returns {Promise<DraftFields>}
 */
export async function loadDraft(imap, folder, uid) {
  await imap.select(folder);
  const message = await imap.fetchMessage(uid);
  return draftFromMessage(message, (part) => imap.fetchPart(uid, part.partId, undefined));
}

/**
 * What a sent message needs on the IMAP side: the kept copy (with its Bcc)
 * filed `\Seen` in Sent unless the server filed one (the operator says so, or
 * a copy with its Message-ID is there already: Gmail, Microsoft 365 and iCloud
 * file their own), the original flagged, the draft it came from removed.
 * @param {Imap} imap
 * @param {Compose} compose
 * @param {DraftFields & {messageId: string}} sent the draft as sent, with its Message-ID
 * @param {{sentFolder?: string | null, serverFilesSent?: boolean, origin?: Origin | null, draftFolder?: string | null, draftUid?: number | null}} options
 */
export async function afterSend(imap, compose, sent, { sentFolder = null, serverFilesSent = false, origin = null, draftFolder = null, draftUid = null }) {
  if (sentFolder && !serverFilesSent && !(await filedIn(imap, sentFolder, sent.messageId))) {
    await imap.append(sentFolder, compose.buildMessage(sent, { keep: true }), { flags: ["\\Seen"] });
  }
  if (origin) {
    await imap.select(origin.folder);
    await imap.setFlags([origin.uid], [origin.flag], "add");
  }
  if (draftFolder && draftUid !== null) await removeMessage(imap, draftFolder, draftUid);
}

/**
 * Whether `folder` holds a message with this Message-ID (leaves it selected).
 * @param {Imap} imap @param {string} folder @param {string} messageId
 */
export async function filedIn(imap, folder, messageId) {
  await imap.select(folder);
  return (await imap.searchRaw(`HEADER Message-ID ${JSON.stringify(messageId)}`)).length > 0;
}

/**
 * Undoes format=flowed (RFC 3676) for editing: soft line breaks joined,
 * space-stuffing removed, quote depths kept apart, the signature separator kept.
 * @param {string} text
 */
export function unflowed(text) {
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  const out = [];
  let open = false;
  let openDepth = 0;
  for (const raw of lines) {
    const depth = /^>*/.exec(raw)?.[0].length ?? 0;
    let line = raw.slice(depth);
    if (line.startsWith(" ")) line = line.slice(1);
    const quote = depth ? `${">".repeat(depth)} ` : "";
    if (open && depth === openDepth) out[out.length - 1] += line;
    else out.push(quote + line);
    open = line.endsWith(" ") && line !== "-- ";
    openDepth = depth;
  }
  return out.map((line) => (line === "-- " ? line : line.replace(/ +$/, ""))).join("\n");
}
