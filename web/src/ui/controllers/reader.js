// The reading pane: opening a message, inline images, remote content, downloads and the source view.

import { h } from "../dom.js";
import { sourceDialog } from "../dialogs.js";
import { actionMessage } from "../../core/errors.js";
import { safeDocument } from "../../core/message-html.js";

export class ReaderController {
  /** @param {import("../app.js").WebmailApp} app */
  constructor(app) {
    this.app = app;
    /** The message on show, which a reply or forward answers. @type {import("../../../pkg/client_wasm.js").Message | null} */
    this.message = null;
  }



  /** @param {number} uid @param {boolean} show switch to the message on narrow screens */
  async openMessage(uid, show) {
    const core = this.app.core;
    if (!core) return;
    clearTimeout(this.app.followTimer);
    if (show) this.app.setView("message");
    this.revokeBlobs();
    this.app.reader.loading(uid);
    const path = core.list.path;
    try {
      const message = await core.openMessage(uid);
      if (this.app.reader.uid !== uid || core.list.path !== path) return;
      let html = null;
      if (message.html) {
        const cidUrls = await this.inlineImages(uid, message);
        html = safeDocument(message.html, { allowRemote: this.app.remoteAllowed.has(`${path}\0${uid}`), cidUrls });
      }
      if (this.app.reader.uid !== uid) return;
      this.message = message;
      this.app.reader.show(message, html);
    } catch (error) {
      if (this.app.reader.uid === uid) this.app.reader.failed(actionMessage("Opening the message", error));
    }
  }


  /**
   * Blob URLs for the images the HTML shows by `cid:`.
   * @param {number} uid
   * @param {import("../../../pkg/client_wasm.js").Message} message
   */
  async inlineImages(uid, message) {
    const core = this.app.core;
    /** @type {Map<string, string>} */
    const urls = new Map();
    if (!core || !message.html) return urls;
    const wanted = message.attachments.filter((part) => part.contentId && part.contentType.startsWith("image/") && message.html?.includes(part.contentId));
    await Promise.all(
      wanted.map(async (part) => {
        try {
          const bytes = await core.client.fetchPart(uid, part.partId, undefined);
          const url = URL.createObjectURL(new Blob([blobPart(bytes)], { type: part.contentType }));
          this.app.blobUrls.push(url);
          urls.set(/** @type {string} */ (part.contentId), url);
        } catch {
          // A missing inline image leaves a gap; the rest of the message still shows.
        }
      }),
    );
    return urls;
  }


  revokeBlobs() {
    for (const url of this.app.blobUrls.splice(0)) URL.revokeObjectURL(url);
  }


  closeReader() {
    clearTimeout(this.app.followTimer);
    this.revokeBlobs();
    this.message = null;
    this.app.reader.clear();
    if (this.app.view === "message") this.app.setView("list");
  }


  /** @param {number} uid */
  allowRemote(uid) {
    const path = this.app.core?.list.path;
    if (!path) return;
    this.app.remoteAllowed.add(`${path}\0${uid}`);
    this.openMessage(uid, false);
  }


  /** @param {{uid: number, partId: string, filename: string, contentType: string}} detail */
  async download({ uid, partId, filename, contentType }) {
    const core = this.app.core;
    if (!core) return;
    try {
      this.app.reader.progress(partId, 0, 1);
      const bytes = await core.client.fetchPart(uid, partId, { onProgress: (loaded, total) => this.app.reader.progress(partId, loaded, total) });
      this.app.reader.progress(partId, 1, 1);
      save(new Blob([blobPart(bytes)], { type: contentType || "application/octet-stream" }), filename);
    } catch (error) {
      this.app.reader.progress(partId, 1, 1);
      this.app.actions.failed(`Downloading ${filename}`, error);
    }
  }


  /** @param {number} uid */
  async viewSource(uid) {
    const core = this.app.core;
    if (!core) return;
    try {
      const raw = await core.client.fetchRaw(uid);
      const subject = core.list.summary(uid)?.envelope.subject ?? "message";
      await sourceDialog(subject, raw, () => save(new Blob([blobPart(raw)], { type: "message/rfc822" }), `${subject.replace(/[\\/:*?"<>|\u0000-\u001f]+/g, "_").slice(0, 80) || "message"}.eml`));
    } catch (error) {
      this.app.actions.failed("Loading the message source", error);
    }
  }
}

/** Saves a blob as a download. @param {Blob} blob @param {string} filename */
function save(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/**
 * The client's bytes as a Blob part. They are always backed by a plain
 * ArrayBuffer; TypeScript's DOM types cannot know that a Uint8Array from wasm is
 * not over a SharedArrayBuffer, which a Blob may not take.
 * @param {Uint8Array} bytes
 * @returns {BlobPart}
 */
function blobPart(bytes) {
  return /** @type {Uint8Array<ArrayBuffer>} */ (bytes);
}
