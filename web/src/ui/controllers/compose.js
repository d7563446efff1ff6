// Writing mail: opening the form for a new message, a reply, a reply to all or
// a forward; saving drafts; sending with "Undo" for a few seconds, progress for
// large attachments, and a refused recipient shown on its field. Offline (mail
// kept on this device, the server out of reach) a message sent goes to the
// outbox and a draft closed waits there too; both go once the session is back.

import { signIn } from "../../core/session.js";
import { PageTls, loadTls } from "../../core/page-tls.js";
import { Composer, LocalDrafts, loadCompose, loadIdentities, saveIdentities, replyDraft, forwardDraft, UNDO_MS } from "../../core/compose.js";
import { draftFromMessage } from "../../core/drafts.js";
import { Correspondents, mailboxesOf, parseAddresses } from "../../core/addresses.js";
import { identityDialog, outboxDialog } from "../dialogs.js";
import { actionMessage, sendMessage } from "../../core/errors.js";
import { sendOutbox, takeOutgoing } from "../../core/outbox.js";

/** @typedef {import("../../core/compose.js").DraftFields} DraftFields */
/** @typedef {ReturnType<import("../compose-form.js").ComposeForm["fields"]>} TypedFields */

/** base64 carries 3 bytes of a file in 4, and headers need a little room. */
const FILE_SHARE = 0.74;

export class ComposeController {
  /** @param {import("../app.js").WebmailApp} app */
  constructor(app) {
    this.app = app;
    /** @type {Composer | null} */
    this.composer = null;
    /** The IMAP session compose uses for Drafts and Sent. @type {Promise<any> | null} */
    this.imapSession = null;
    /** The submission server's size limit, learnt once per sign-in. @type {Promise<number | null> | null} */
    this.sizeLimit = null;
    /** The people offered as addresses are typed. @type {Correspondents | null} */
    this.people = null;
  }

  /**
   * Signed in: the people of every message row the list loads are counted
   * for the address suggestions (those of Sent, written to by the user, more).
   * They are written to storage only where the user keeps mail on this device.
   * @param {import("../../core/mail-core.js").MailCore} core
   * @param {string} username
   * @param {boolean} keep
   */
  watch(core, username, keep) {
    const people = new Correspondents(username, keep ? localStore() : null);
    this.people = people;
    core.list.addEventListener("rows", (event) => {
      const rows = /** @type {CustomEvent} */ (event).detail;
      if (!Array.isArray(rows)) return;
      const path = core.list.path;
      const sent = path !== null && path === core.special("\\Sent")?.path;
      for (const { uid, envelope, internalDate } of rows) {
        const seenPeople = sent ? [...envelope.to, ...envelope.cc, ...envelope.bcc] : [...envelope.from, ...envelope.to, ...envelope.cc];
        people.seen(mailboxesOf(seenPeople), { weight: sent ? 3 : 1, date: Date.parse(envelope.date ?? internalDate ?? ""), key: `${path}/${uid}` });
      }
    });
  }

  /** The mail on this device was removed: the people seen in it go too (suggestions stay for this page). */
  forgetPeople() {
    this.people?.forget();
  }

  /** @param {string} typed @param {string[]} chosen */
  suggest(typed, chosen) {
    const own = (this.identities ?? []).map((identity) => identity.address);
    return this.people?.suggest(typed, { except: [...chosen, ...own, this.app.credentials?.username ?? ""] }) ?? [];
  }

  /** The upstream's entry in /api/upstreams, if it can send. */
  get submission() {
    const upstream = this.app.credentials?.upstream;
    const server = this.app.servers.find((entry) => entry.name === upstream);
    return server?.canSend ? server : null;
  }

  /** Whether the page shows the kept mail, the server out of reach. */
  get offline() {
    return this.app.signing.offline !== null;
  }

  /**
   * What a composer runs on, for the session `core`; offline, drafts are not
   * saved to the server (the outbox keeps them when the form closes).
   * @param {any} compose @param {import("../../core/mail-core.js").MailCore} core
   * @returns {import("../../core/compose.js").Services}
   */
  services(compose, core) {
    return {
      compose,
      imap: () => this.imap(),
      smtp: () => this.smtp(compose),
      drafts: this.offline ? null : (core.special("\\Drafts")?.path ?? null),
      sent: core.special("\\Sent")?.path ?? null,
      serverFilesSent: this.submission?.submission?.filesSent ?? false,
    };
  }

  /** An IMAP session of compose's own, so the list's folder stays selected. */
  imap() {
    const credentials = this.app.credentials;
    if (!credentials) return Promise.reject(new Error("not signed in"));
    const pageTls = this.app.pageTls && new PageTls(this.app.pageTls.module, this.app.pageTls.info, this.app.pageTls.accepted);
    this.imapSession ??= signIn({ ...credentials, bridge: this.app.bridgeUrl, wasmUrl: this.app.wasmUrl, pageTls }).catch((error) => {
      this.imapSession = null;
      throw error;
    });
    return this.imapSession;
  }

  /** A signed-in submission session; the composer closes it after one send. @param {any} compose */
  async smtp(compose) {
    const credentials = this.app.credentials;
    const server = this.submission;
    if (!credentials || !server) throw Object.assign(new Error("this server cannot send mail"), { code: "SERVER_ERROR" });
    const endToEnd = server.submission?.endToEnd;
    /** @type {any} */
    let tls;
    if (endToEnd) {
      // The IMAP side may be TLS in the bridge: the TLS module is then loaded here first.
      const module = this.app.pageTls?.module ?? (await loadTls(this.app.wasmUrl));
      tls = {
        starttls: endToEnd.starttls,
        createSession: () => new module.TlsSession(endToEnd.serverName, { extraRootsPem: endToEnd.extraRootsPem ?? undefined, pinnedSha256: endToEnd.pinnedSha256 }),
      };
    }
    const client = await compose.SmtpClient.connect({ url: this.app.bridgeUrl, upstream: credentials.upstream, endToEnd: tls });
    try {
      await client.login(credentials.username, credentials.password);
    } catch (error) {
      await client.close().catch(() => {});
      throw error;
    }
    return client;
  }

  /** @param {any} compose */
  limit(compose) {
    this.sizeLimit ??= this.smtp(compose)
      .then(async (client) => {
        const max = client.capabilities.maxSize;
        await client.close();
        return max === null ? null : Math.floor(max * FILE_SHARE);
      })
      .catch(() => {
        this.sizeLimit = null;
        return null;
      });
    return this.sizeLimit;
  }

  /** After sign-in: a message left unsent on this device (a crash, a closed tab) comes back. */
  async offerRestore() {
    const credentials = this.app.credentials;
    if (!credentials || !this.submission || this.composer) return;
    const saved = await new LocalDrafts(credentials.username).get().catch(() => undefined);
    if (!saved) return;
    await this.open("restore", saved);
    this.app.toasts.show({ text: "The message you were writing was restored." }, () => {});
  }

  /**
   * Signed in again with mail kept here: what waits in the outbox goes, and
   * the user hears how it went; a message the server refused comes back in
   * the form with the refusal.
   * @param {import("../../core/mail-core.js").MailCore} core
   */
  async sendOutbox(core) {
    const cache = core.cache;
    try {
      if (!cache || !this.submission || this.offline) return;
      const waiting = await cache.outgoing();
      if (waiting.some((entry) => !entry.failed)) {
        const run = await sendOutbox(cache, this.services(await loadCompose(this.app.wasmUrl), core));
        if (!run || this.app.core !== core) return;
        this.outboxSaid(run);
      }
      await this.offerRefused(cache);
    } finally {
      // However it went (another tab sending it included): for tests and benchmarks to wait on.
      performance.mark("webmail:outbox-done");
    }
  }

  /** Says what a run of the outbox did. @param {import("../../core/outbox.js").OutboxRun} run */
  outboxSaid(run) {
    if (run.sent.length) {
      const what = run.sent.length === 1 ? "The message in the outbox was sent" : `The ${run.sent.length} messages in the outbox were sent`;
      this.saySent(what, run.sent.flatMap(({ rejected }) => rejected));
    }
    if (run.saved) this.say(run.saved === 1 ? "The draft written offline was saved to Drafts." : `The ${run.saved} drafts written offline were saved to Drafts.`);
    for (const error of run.filingFailed) this.say(actionMessage("Filing the sent message", error), true);
    if (run.stopped) this.say("The outbox waits: the mail server cannot be reached for sending.", true);
  }

  /** A notice that screen readers hear too. @param {string} text @param {boolean} [error] */
  say(text, error = false) {
    this.app.toasts.show({ text, error }, () => {});
    this.app.toasts.announce(text);
  }

  /**
   * Says that mail went, and to whom it did not, in the server's words.
   * @param {string} what "Message sent" @param {{address: string, message: string}[]} rejected
   */
  saySent(what, rejected) {
    const missed = rejected.map((refusal) => `${refusal.address} (${refusal.message})`);
    this.say(missed.length ? `${what}, but not to ${missed.join(", ")}.` : `${what}.`, missed.length > 0);
  }

  /**
   * A message of the outbox that the server refused goes back to the form, with
   * the refusal, to be mended (kept on this device as the form's message first).
   * @param {import("../../core/mail-cache.js").MailCache} cache
   */
  async offerRefused(cache) {
    const entry = await this.takeToForm(cache, (outgoing) => Boolean(outgoing.failed));
    if (!entry?.failed) return;
    await this.open("outbox", entry);
    if (this.composer) this.showSendFailure(this.composer, entry.failed);
  }

  /**
   * Takes a message out of the outbox for the form, kept on this device as the
   * form's message first (a crash in between loses nothing).
   * @param {import("../../core/mail-cache.js").MailCache} cache
   * @param {(entry: import("../../core/outbox.js").Outgoing) => boolean} pick
   */
  async takeToForm(cache, pick) {
    const credentials = this.app.credentials;
    if (this.composer || !credentials) return null;
    const local = new LocalDrafts(credentials.username);
    return takeOutgoing(cache, pick, ({ fields, origin, draftUid }) => local.put({ fields, origin, draftUid }));
  }

  /** Offline: what waits in the outbox, to edit (back in the form) or delete. */
  async showOutbox() {
    const core = this.app.core;
    const cache = core?.cache;
    if (!core || !cache) return;
    const chosen = await outboxDialog(await cache.outgoing());
    if (!chosen) return;
    const pick = (/** @type {import("../../core/outbox.js").Outgoing} */ entry) => entry.fields.messageId === chosen.messageId;
    if (chosen.action === "edit" && this.composer) {
      this.app.toasts.show({ text: "Send or close the message you are writing first." }, () => {});
      return;
    }
    const entry = chosen.action === "edit" ? await this.takeToForm(cache, pick) : await takeOutgoing(cache, pick);
    await /** @type {any} */ (core.client).waitingChanged?.();
    if (!entry) {
      this.app.toasts.show({ text: "That message is no longer in the outbox: it may be on its way." }, () => {});
      return;
    }
    if (chosen.action === "edit") await this.open("restore", entry);
    else this.app.toasts.show({ text: `“${entry.fields.subject || "(no subject)"}” was deleted from the outbox.` }, () => {});
  }

  /**
   * Opens the form.
   * @param {"new" | "reply" | "replyAll" | "forward" | "draft" | "restore" | "outbox"} kind
   * @param {{fields: DraftFields, origin: import("../../core/compose.js").Origin | null, draftUid: number | null}} [saved]
   *   what `restore` brings back, or the refused message of the outbox
   */
  async open(kind, saved) {
    const core = this.app.core;
    const credentials = this.app.credentials;
    if (!core || !credentials) return;
    if (this.composer) {
      this.app.composeForm.inputs.to?.focus();
      return;
    }
    if (!this.submission) {
      this.app.toasts.show({ text: "This mail server is not set up for sending.", error: true }, () => {});
      return;
    }
    try {
      const compose = await loadCompose(this.app.wasmUrl);
      const identities = await loadIdentities(credentials.username, this.offline ? null : core.client);
      const message = this.app.reading.message;
      /** @type {DraftFields} */
      let fields;
      let origin = null;
      let title = "New message";
      /** The server copy the next save replaces. */
      let draftUid = saved?.draftUid ?? null;
      if ((kind === "restore" || kind === "outbox") && saved) {
        fields = saved.fields;
        origin = saved.origin;
        title = kind === "outbox" ? "Not sent" : "Unsent message";
      } else if (kind === "draft" && message) {
        // A draft from Drafts, to go on with: the next save replaces it, sending removes it.
        fields = await draftFromMessage(message, this.attachmentFetcher(message));
        if (!fields.from.address) fields.from = identities[0];
        if (core.list.path === core.special("\\Drafts")?.path) draftUid = message.uid;
        title = "Draft";
      } else if (kind === "new" || !message) {
        fields = { from: identities[0], to: [], cc: [], bcc: [], subject: "", text: signature(identities[0]), attachments: [] };
      } else if (kind === "forward") {
        fields = forwardDraft(message, identities);
        fields.attachments = (await draftFromMessage(message, this.attachmentFetcher(message))).attachments;
        origin = { folder: /** @type {string} */ (core.list.path), uid: message.uid, flag: "$Forwarded" };
        title = "Forward";
      } else {
        fields = replyDraft(message, identities, { all: kind === "replyAll" });
        origin = { folder: /** @type {string} */ (core.list.path), uid: message.uid, flag: "\\Answered" };
        title = kind === "replyAll" ? "Reply to all" : "Reply";
      }
      const composer = new Composer(this.services(compose, core), fields, origin, new LocalDrafts(credentials.username));
      composer.draftUid = draftUid;
      composer.addEventListener("draft-saving", () => this.app.composeForm.status("Saving draft…"));
      composer.addEventListener("draft-saved", () => this.app.composeForm.status("Draft saved"));
      composer.addEventListener("draft-failed", (event) => this.app.composeForm.status(actionMessage("Saving the draft", /** @type {CustomEvent} */ (event).detail), true));
      composer.addEventListener("filing-failed", (event) =>
        this.app.toasts.show({ text: actionMessage("Filing the sent message", /** @type {CustomEvent} */ (event).detail), error: true }, () => {}),
      );
      this.composer = composer;
      this.title = title;
      this.identities = identities;
      this.app.composeForm.open({ title, fields, identities, fileLimit: this.offline ? null : await this.limit(compose), suggest: (typed, chosen) => this.suggest(typed, chosen) });
    } catch (error) {
      this.composer = null;
      this.app.actions.failed("Opening the message form", error);
    }
  }

  /**
   * Fetches the original's files, for a forward or a draft, showing how far
   * they have come until the last one is in.
   * @param {import("../../../pkg/client_wasm.js").Message} message
   * @returns {(part: import("../../../pkg/client_wasm.js").Attachment) => Promise<Uint8Array>}
   */
  attachmentFetcher(message) {
    const core = this.app.core;
    const files = message.attachments.filter((part) => !part.inline);
    const total = files.reduce((sum, part) => sum + part.size, 0);
    /** @type {Map<string, number>} */
    const loaded = new Map();
    let notice = null;
    let pending = 0;
    return async (part) => {
      if (!core) throw Object.assign(new Error("signed out"), { code: "CONNECTION_LOST" });
      notice ??= this.app.toasts.show({ text: "Fetching the attachments…", timeout: 10 * 60_000 }, () => {});
      pending++;
      try {
        return await core.client.fetchPart(message.uid, part.partId, {
          onProgress: (done) => {
            loaded.set(part.partId, done);
            const share = Math.min(100, Math.floor(([...loaded.values()].reduce((sum, value) => sum + value, 0) / Math.max(total, 1)) * 100));
            notice?.setText(`Fetching the attachments… ${share}%`);
          },
        });
      } finally {
        if (--pending === 0) notice?.remove();
      }
    };
  }

  /**
   * The typed fields as the composer holds them, or the errors to show.
   * @param {TypedFields} typed
   * @returns {{fields: Partial<DraftFields>, errors: Record<string, string>}}
   */
  parse(typed) {
    /** @type {Record<string, string>} */
    const errors = {};
    /** @type {Partial<DraftFields>} */
    const fields = { subject: typed.subject, text: typed.text, attachments: typed.attachments };
    for (const name of /** @type {const} */ (["from", "to", "cc", "bcc"])) {
      const { mailboxes, invalid } = parseAddresses(typed[name]);
      if (invalid.length) errors[name] = `Not an address: ${invalid.join(", ")}`;
      if (name === "from") fields.from = mailboxes[0] ?? { name: null, address: "" };
      else fields[name] = mailboxes;
    }
    if (!fields.from?.address) errors.from = "Give the address to send from.";
    return { fields, errors };
  }

  /**
   * Edits the identity in the From field (or makes one of it), kept on this
   * device; the next new message starts from it, with its signature.
   * @param {TypedFields} typed
   */
  async editIdentity(typed) {
    const credentials = this.app.credentials;
    if (!credentials) return;
    const client = this.app.core?.client ?? null;
    const identities = (await loadIdentities(credentials.username, client)).filter((identity) => identity.address);
    const typedFrom = parseAddresses(typed.from).mailboxes[0];
    const current = identities.find((identity) => identity.address.toLowerCase() === typedFrom?.address.toLowerCase()) ?? typedFrom ?? { name: null, address: "" };
    const edited = await identityDialog(current);
    if (!edited) return;
    const others = identities.filter((identity) => identity.address.toLowerCase() !== edited.address.toLowerCase() && identity !== current);
    // The edited one first: it is the default for the next new message.
    this.identities = [edited, ...others];
    this.app.composeForm.setFrom(edited);
    try {
      await saveIdentities(this.identities, client);
      this.app.composeForm.status("Identity saved");
    } catch (error) {
      this.app.composeForm.status(actionMessage("Saving the identity on the server", error), true);
    }
  }

  /** @param {TypedFields} typed */
  changed(typed) {
    this.composer?.update(this.parse(typed).fields);
  }

  /** @param {TypedFields} typed */
  async save(typed) {
    const composer = this.composer;
    if (!composer) return;
    composer.update(this.parse(typed).fields);
    await composer.saveDraft().catch((error) => this.app.composeForm.status(actionMessage("Saving the draft", error), true));
  }

  /** Closes the form; the draft stays in Drafts (offline, in the outbox until the server is back). @param {TypedFields} typed */
  async close(typed) {
    const composer = this.composer;
    if (!composer) return;
    composer.update(this.parse(typed).fields);
    this.composer = null;
    this.app.composeForm.close();
    const outbox = this.outbox();
    if (this.offline && outbox) {
      await composer
        .queue(outbox, "draft")
        .then(() => this.app.toasts.show({ text: "The draft is kept on this device until the mail server is back, then saved to Drafts." }, () => {}))
        .catch((error) => {
          this.reopen(composer);
          this.app.composeForm.status(actionMessage("Keeping the draft on this device", error), true);
        });
      return;
    }
    await composer.saveDraft().catch((error) => this.app.actions.failed("Saving the draft", error));
    await composer.close();
  }

  /**
   * Where the outbox keeps a message (the mail kept on this device), counted
   * in the offline banner; null without kept mail.
   * @returns {((entry: import("../../core/outbox.js").Outgoing) => Promise<void>) | null}
   */
  outbox() {
    const core = this.app.core;
    const cache = core?.cache;
    if (!core || !cache) return null;
    return async (entry) => {
      await cache.putOutgoing(entry);
      await /** @type {any} */ (core.client).waitingChanged?.();
    };
  }

  async discard() {
    const composer = this.composer;
    if (!composer) return;
    this.composer = null;
    this.app.composeForm.close();
    await composer.close({ discard: true }).catch((error) => this.app.actions.failed("Discarding the draft", error));
  }

  /** @param {TypedFields} typed */
  async send(typed) {
    const composer = this.composer;
    if (!composer) return;
    const { fields, errors } = this.parse(typed);
    const recipients = (fields.to?.length ?? 0) + (fields.cc?.length ?? 0) + (fields.bcc?.length ?? 0);
    if (!recipients && !errors.to) errors.to = "Add at least one recipient.";
    if (Object.keys(errors).length) {
      this.app.composeForm.showErrors(errors);
      return;
    }
    composer.update(fields);
    this.app.composeForm.close();
    const undoMs = Number(this.app.getAttribute("undo-seconds") ?? UNDO_MS / 1000) * 1000;
    const notice = this.app.toasts.show(
      {
        text: "Sending…",
        undo: async () => composer.undo?.(),
        timeout: undoMs + 60_000,
      },
      () => {},
    );
    const outbox = this.outbox();
    try {
      if (this.offline && outbox) {
        await composer.sendLater(outbox, { undoMs });
        notice.remove();
        this.composer = null;
        this.say("The message is in the outbox: it is sent when the mail server is back.");
        return;
      }
      const sent = await composer.send({
        undoMs,
        onProgress: (done, total) => notice.setText(`Sending… ${Math.floor((done / total) * 100)}%`),
      });
      notice.remove();
      this.composer = null;
      this.people?.seen([...composer.fields.to, ...composer.fields.cc, ...composer.fields.bcc], { weight: 5 });
      this.saySent("Message sent", sent.rejected);
    } catch (error) {
      notice.remove();
      this.reopen(composer, /** @type {any} */ (error));
    }
  }

  /**
   * Back to the form with everything in it, after Undo or a failure (said when given).
   * @param {Composer} composer @param {{code?: string, message?: string, limit?: number, rejected?: {address: string, message: string}[]}} [error]
   */
  reopen(composer, error) {
    this.composer = composer;
    this.app.composeForm.open({ title: this.title ?? "New message", fields: composer.fields, identities: this.identities ?? [], fileLimit: null, suggest: (typed, chosen) => this.suggest(typed, chosen) });
    if (error) this.showSendFailure(composer, error);
  }

  /**
   * The open form says why its message was not sent: on the refused addresses, and in its status line.
   * @param {Composer} composer @param {{code?: string, message?: string, limit?: number, rejected?: {address: string, message: string}[]}} error
   */
  showSendFailure(composer, error) {
    if (error.code === "UNDONE") {
      this.app.composeForm.status("Not sent.");
      return;
    }
    const rejected = error.rejected ?? [];
    if (rejected.length) {
      /** @type {Record<string, string>} */
      const errors = {};
      for (const refusal of rejected) {
        const field = (["to", "cc", "bcc"].find((name) => composer.fields[/** @type {"to" | "cc" | "bcc"} */ (name)].some((entry) => entry.address === refusal.address)) ?? "to");
        errors[field] = `${errors[field] ? `${errors[field]}; ` : ""}${refusal.address}: ${refusal.message}`;
      }
      this.app.composeForm.showErrors(errors, rejected.map((refusal) => refusal.address));
    }
    if (error.code === "SENDER_REJECTED") this.app.composeForm.showErrors({ from: error.message ?? "Refused by the server." });
    this.app.composeForm.status(sendMessage(error), true);
  }

  /** Signed out: nothing of compose's stays. */
  async signedOut() {
    const composer = this.composer;
    this.composer = null;
    this.app.composeForm.close();
    await composer?.close().catch(() => {});
    const session = this.imapSession;
    this.imapSession = null;
    this.sizeLimit = null;
    this.people?.save();
    this.people = null;
    const client = await session?.catch(() => null);
    await client?.logout().catch(() => {});
    client?.free();
  }
}

/** The page's localStorage, or null where the browser refuses it (a sandboxed embed). */
function localStore() {
  try {
    return localStorage;
  } catch {
    return null;
  }
}

/** The identity's signature under the "-- " separator, or nothing. @param {{signature?: string}} identity */
function signature(identity) {
  return identity.signature ? `\n\n-- \n${identity.signature}` : "";
}
