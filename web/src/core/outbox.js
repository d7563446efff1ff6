// The outbox: what was written while the mail server was out of reach waits on
// this device (in the account's mail cache) and goes when the connection
// returns. A message sent offline is sent once, even when its sending from
// the outbox is cut off and tried again; a draft closed offline is saved to Drafts.
//
// Once: one tab sends at a time (a Web Lock per account, taken only if free:
// a tab that finds another sending leaves the outbox to it), each run reads the
// outbox afresh under the lock, and a message is marked as attempted before it
// goes, so one whose sending was cut off (or whose page closed mid-send) is
// looked for in Sent before it is sent again. A sending cut off after the
// server took the message but before it said so, with no copy in Sent yet, is
// sent again with the same Message-ID, as a retry from the form is.

import { deliver } from "./compose.js";
import { afterSend, filedIn, saveDraft } from "./drafts.js";
import { UNREACHABLE } from "./errors.js";

/**
 * @typedef {import("./drafts.js").DraftFields} DraftFields
 * @typedef {import("./drafts.js").Origin} Origin
 * @typedef {import("./compose.js").Services} Services
 * @typedef {import("./mail-cache.js").MailCache} MailCache
 * @typedef {{address: string, message: string}} Refusal a recipient the server refused, in its words
 * @typedef {{code?: string, message: string, limit?: number, rejected?: Refusal[]}} SendFailure why the server refused a message
 * @typedef {{kind: "send" | "draft", fields: DraftFields & {messageId: string}, origin: Origin | null, draftUid: number | null,
 *   queuedAt: number, attempts: number, failed?: SendFailure}} Outgoing
 *   a message waiting: `attempts` counts sendings begun (any may have reached the server);
 *   `failed`, the server's refusal, keeps it out of later runs until the user mends it
 * @typedef {{sent: {entry: Outgoing, rejected: Refusal[]}[], saved: number, failed: Outgoing[], filingFailed: unknown[], stopped: unknown}} OutboxRun
 *   what a run did: `stopped` is the failure that ended it early (the server out of reach again)
 */

/**
 * Sends what waits in the outbox, oldest first. A message the server refuses
 * is kept, marked with the refusal, for the user to mend; the server out of
 * reach again stops the run with the rest kept.
 * @param {MailCache} cache
 * @param {Services} services
 * @returns {Promise<OutboxRun | null>} null when another tab is sending it
 */
export function sendOutbox(cache, services) {
  return whileHeld(cache, () => runOutbox(cache, services));
}

/**
 * Takes the first message `pick` chooses out of the outbox (for the form, or
 * to delete it); `keep` puts it where the form's message is kept before it
 * leaves the outbox. Under the sending lock, so two tabs never both take it
 * and none takes one being sent.
 * @param {MailCache} cache
 * @param {(entry: Outgoing) => boolean} pick
 * @param {(entry: Outgoing) => Promise<unknown>} [keep]
 * @returns {Promise<Outgoing | null>} null when there is none, or another tab holds the outbox
 */
export function takeOutgoing(cache, pick, keep = async () => {}) {
  return whileHeld(cache, async () => {
    const entry = (await cache.outgoing()).find(pick);
    if (!entry) return null;
    await keep(entry);
    await cache.outgoingDone(entry.fields.messageId);
    return entry;
  });
}

/**
 * Runs `job` holding the account's outbox lock, or resolves null when another
 * tab holds it (where the browser has no Web Locks, one tab is all there is).
 * @template T
 * @param {MailCache} cache @param {() => Promise<T>} job
 * @returns {Promise<T | null>}
 */
async function whileHeld(cache, job) {
  const locks = globalThis.navigator?.locks;
  if (!locks) return job();
  return locks.request(`webmail-outbox:${cache.account}`, { ifAvailable: true }, (lock) => (lock ? job() : null));
}

/** @param {MailCache} cache @param {Services} services @returns {Promise<OutboxRun>} */
async function runOutbox(cache, services) {
  /** @type {OutboxRun} */
  const run = { sent: [], saved: 0, failed: [], filingFailed: [], stopped: null };
  for (const entry of await cache.outgoing()) {
    if (entry.failed) continue;
    const { messageId } = entry.fields;
    try {
      if (entry.kind === "draft") {
        if (!services.drafts) throw Object.assign(new Error("this account has no Drafts folder to save it in"), { code: "NO_SUCH_MAILBOX" });
        await saveDraft(await services.imap(), services.compose, entry.fields, { folder: services.drafts, replaceUid: entry.draftUid });
        await cache.outgoingDone(messageId);
        run.saved++;
        continue;
      }
      const rejected = await sendOnce(cache, services, entry);
      await cache.outgoingDone(messageId);
      run.sent.push({ entry, rejected });
      const { sent, serverFilesSent, drafts, compose } = services;
      await afterSend(await services.imap(), compose, entry.fields, { sentFolder: sent, serverFilesSent, origin: entry.origin, draftFolder: drafts, draftUid: entry.draftUid }).catch((error) =>
        run.filingFailed.push(error),
      );
    } catch (error) {
      const failure = /** @type {SendFailure} */ (error);
      if (UNREACHABLE.includes(failure?.code ?? "")) {
        run.stopped = error;
        break;
      }
      entry.failed = { code: failure?.code, message: failure?.message ?? String(error), limit: failure?.limit, rejected: failure?.rejected };
      await cache.putOutgoing(entry);
      run.failed.push(entry);
    }
  }
  return run;
}

/**
 * Sends one message, unless an earlier attempt got it out (its copy is in Sent).
 * @param {MailCache} cache @param {Services} services @param {Outgoing} entry
 * @returns {Promise<Refusal[]>} the recipients the server refused
 */
async function sendOnce(cache, services, entry) {
  if (entry.attempts > 0 && services.sent && (await filedIn(await services.imap(), services.sent, entry.fields.messageId))) return [];
  entry.attempts += 1;
  await cache.putOutgoing(entry);
  return (await deliver(services, entry.fields)).rejected;
}
