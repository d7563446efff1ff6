// The reading pane: headers, the body (plain text with links, or sanitized HTML
// in a sandboxed iframe), the remote-content notice and the attachment list.
// Emits `allow-remote`, `download-part`, `view-source`, `close-reader` and
// `compose` (reply, reply to all, forward).

import { h, icon, emit } from "./dom.js";
import { ICONS } from "./icons.js";
import { addressList, longDate, byteSize } from "../core/format.js";
import { linkRuns } from "../core/text-links.js";

/**
 * No scripts, no forms, no top navigation; links open in a new tab outside the
 * sandbox. `allow-same-origin` only lets this page size the frame to its
 * content: without `allow-scripts` nothing inside can use that origin.
 */
const SANDBOX = "allow-same-origin allow-popups allow-popups-to-escape-sandbox";

export class Reader {
  constructor() {
    this.element = h("article", { class: "reader", "aria-label": "Message", hidden: true });
    this.placeholder = h("div", { class: "reader-empty" }, h("p", null, "Select a message to read it."));
    this.root = h("div", { class: "reader-pane" }, this.placeholder, this.element);
    /** @type {number | null} */
    this.uid = null;
    /** @type {ResizeObserver | null} */
    this.resize = null;
    /** @type {Map<string, HTMLElement>} */
    this.downloads = new Map();
  }

  /** Shows "Loading…" for a message. @param {number} uid */
  loading(uid) {
    this.uid = uid;
    this.placeholder.hidden = true;
    this.element.hidden = false;
    this.element.setAttribute("aria-busy", "true");
    this.element.replaceChildren(this.backButton(), h("p", { class: "reader-loading", role: "status" }, "Loading message…"));
  }

  /** @param {string} text */
  failed(text) {
    this.element.removeAttribute("aria-busy");
    this.element.replaceChildren(this.backButton(), h("p", { class: "reader-error", role: "alert" }, text));
  }

  /**
   * @param {import("../../pkg/client_wasm.js").Message} message
   * @param {{srcdoc: string, blocked: number} | null} html the safe document, when the message has HTML
   */
  show(message, html) {
    this.uid = message.uid;
    this.resize?.disconnect();
    this.downloads.clear();
    this.placeholder.hidden = true;
    this.element.hidden = false;
    this.element.removeAttribute("aria-busy");
    const headers = h(
      "dl",
      { class: "headers" },
      row("From", addressList(message.from)),
      row("To", addressList(message.to)),
      row("Cc", addressList(message.cc)),
      replyToDiffers(message) ? row("Reply to", addressList(message.replyTo)) : null,
      row("Date", longDate(message.date)),
    );
    const notice =
      html && html.blocked > 0
        ? h(
            "div",
            { class: "remote-notice", role: "status" },
            h("span", null, `Remote content was blocked to protect your privacy (${html.blocked} ${html.blocked === 1 ? "item" : "items"}).`),
            h("button", { type: "button", onclick: () => emit(this.element, "allow-remote", { uid: message.uid }) }, "Load remote content"),
          )
        : null;
    const attachments = message.attachments.filter((part) => !part.inline || !html);
    const parts = [
      h(
        "header",
        { class: "reader-head" },
        h(
          "div",
          { class: "reader-tools" },
          this.backButton(),
          ...this.composeButtons(message),
          h("span", { class: "spacer" }),
          h("button", { type: "button", class: "ghost", onclick: () => emit(this.element, "view-source", { uid: message.uid }) }, icon(ICONS.source), "View source"),
        ),
        h("h2", { class: "subject", tabindex: "-1" }, message.subject || "(no subject)"),
        headers,
      ),
      notice,
      html ? this.frame(html.srcdoc) : textBody(message.text),
      attachments.length ? this.attachmentList(message.uid, attachments) : null,
    ];
    this.element.replaceChildren(...parts.filter((part) => part !== null));
  }

  /** Edit for a draft; Reply, Reply all and Forward for the rest. @param {import("../../pkg/client_wasm.js").Message} message */
  composeButtons(message) {
    const button = (/** @type {string} */ kind, /** @type {string} */ paths, /** @type {string} */ label) =>
      h("button", { type: "button", class: "ghost", onclick: () => emit(this.element, "compose", { kind }) }, icon(paths), label);
    if (message.flags.includes("\\Draft")) return [button("draft", ICONS.compose, "Edit draft")];
    return [button("reply", ICONS.reply, "Reply"), button("replyAll", ICONS.replyAll, "Reply all"), button("forward", ICONS.forward, "Forward")];
  }

  backButton() {
    return h("button", { type: "button", class: "ghost back", onclick: () => emit(this.element, "close-reader") }, icon(ICONS.back), "Back to list");
  }

  /** @param {string} srcdoc */
  frame(srcdoc) {
    const frame = /** @type {HTMLIFrameElement} */ (h("iframe", { title: "Message body", sandbox: SANDBOX, referrerpolicy: "no-referrer", class: "body-frame" }));
    frame.srcdoc = srcdoc;
    frame.addEventListener("load", () => {
      const document = frame.contentDocument;
      if (!document) return;
      const fit = () => {
        frame.style.height = `${Math.max(document.documentElement.scrollHeight, 80)}px`;
      };
      fit();
      this.resize?.disconnect();
      this.resize = new ResizeObserver(fit);
      this.resize.observe(document.documentElement);
    });
    return frame;
  }

  /**
   * @param {number} uid
   * @param {import("../../pkg/client_wasm.js").Attachment[]} parts
   */
  attachmentList(uid, parts) {
    return h(
      "section",
      { class: "attachments", "aria-label": "Attachments" },
      h("h3", null, `${parts.length} ${parts.length === 1 ? "attachment" : "attachments"}`),
      h(
        "ul",
        null,
        parts.map((part) => {
          const name = part.filename || `part ${part.partId}`;
          const progress = h("progress", { max: "1", value: "0", hidden: true, "aria-label": `Downloading ${name}` });
          this.downloads.set(part.partId, progress);
          return h(
            "li",
            null,
            icon(ICONS.paperclip),
            h("span", { class: "name" }, name),
            h("span", { class: "type" }, part.contentType),
            h("span", { class: "size" }, byteSize(part.size)),
            progress,
            h(
              "button",
              {
                type: "button",
                class: "ghost",
                "aria-label": `Download ${name}`,
                onclick: () => emit(this.element, "download-part", { uid, partId: part.partId, filename: name, contentType: part.contentType }),
              },
              icon(ICONS.download),
              "Download",
            ),
          );
        }),
      ),
    );
  }

  /**
   * Progress of an attachment download.
   * @param {string} partId
   * @param {number} loaded
   * @param {number} total
   */
  progress(partId, loaded, total) {
    const bar = this.downloads.get(partId);
    if (!bar) return;
    bar.hidden = loaded >= total && total > 0;
    bar.setAttribute("max", String(Math.max(total, 1)));
    bar.setAttribute("value", String(Math.min(loaded, Math.max(total, 1))));
  }

  /** Back to "Select a message". */
  clear() {
    this.uid = null;
    this.resize?.disconnect();
    this.element.hidden = true;
    this.element.replaceChildren();
    this.placeholder.hidden = false;
  }
}

/** @param {string} label @param {string} value */
function row(label, value) {
  if (!value) return null;
  return h("div", null, h("dt", null, label), h("dd", null, value));
}

/** @param {import("../../pkg/client_wasm.js").Message} message */
function replyToDiffers(message) {
  const from = message.from.map((address) => address.address).join(",");
  const replyTo = message.replyTo.map((address) => address.address).join(",");
  return replyTo !== "" && replyTo !== from;
}

/**
 * Plain text with clickable links; quoted lines (">") set apart.
 * @param {string | null} text
 */
function textBody(text) {
  if (!text) return h("p", { class: "text-body empty" }, "This message has no text.");
  const body = h("div", { class: "text-body" });
  let block = null;
  let quoted = null;
  for (const line of text.split(/\r?\n/)) {
    const isQuote = line.startsWith(">");
    if (block === null || isQuote !== quoted) {
      block = h("div", { class: isQuote ? "quote" : "plain" });
      body.append(block);
      quoted = isQuote;
    }
    for (const run of linkRuns(line)) {
      block.append(run.href ? h("a", { href: run.href, target: "_blank", rel: "noopener noreferrer" }, run.text) : run.text);
    }
    block.append("\n");
  }
  return body;
}
