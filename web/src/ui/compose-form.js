// The compose form: From, To, Cc, Bcc, Subject, the plain-text body and
// attachments (picked, dropped or pasted), with Send, Save and Discard. It
// holds no logic of its own:
// `compose-change`, `compose-send`, `compose-save` and `compose-discard` go
// up to the compose controller, which owns the message.

import { h, icon, emit } from "./dom.js";
import { ICONS } from "./icons.js";
import { byteSize } from "../core/format.js";
import { formatAddresses } from "../core/addresses.js";
import { RecipientField } from "./recipient-field.js";

/**
 * @typedef {import("../core/compose.js").DraftFields} DraftFields
 * @typedef {import("../core/compose.js").Mailbox} Mailbox
 */

export class ComposeForm {
  constructor() {
    this.element = h("section", { class: "compose", role: "dialog", "aria-modal": "false", "aria-label": "New message", hidden: true });
    /** @type {Record<string, HTMLInputElement>} */
    this.inputs = {};
    /** @type {Record<string, RecipientField>} */
    this.recipients = {};
    /** @type {DraftFields["attachments"]} */
    this.attachments = [];
    /** Largest total of files the server takes (its SIZE, less base64's third), or null. @type {number | null} */
    this.fileLimit = null;
  }

  /**
   * Opens the form on `fields`.
   * @param {{title: string, fields: DraftFields, identities: Mailbox[], fileLimit: number | null,
   *   suggest?: (typed: string, except: string[]) => Mailbox[]}} options `suggest`: people to offer as an address is typed
   */
  open({ title, fields, identities, fileLimit, suggest = () => [] }) {
    this.fileLimit = fileLimit;
    this.attachments = [...fields.attachments];
    this.element.setAttribute("aria-label", title);
    const field = (/** @type {string} */ name, /** @type {string} */ label, /** @type {string} */ value, extra = {}) => {
      const input = /** @type {HTMLInputElement} */ (h("input", { name, value, "aria-label": label, autocomplete: "off", oninput: () => this.changed(), ...extra }));
      this.inputs[name] = input;
      const error = h("span", { class: "field-error", id: `compose-${name}-error`, role: "alert" });
      return h("label", { class: `field field-${name}` }, h("span", { class: "field-label" }, label), input, error);
    };
    const recipients = (/** @type {"to" | "cc" | "bcc"} */ name, /** @type {string} */ label) => {
      const field = new RecipientField({ name, label, mailboxes: fields[name], suggest, changed: () => this.changed() });
      this.recipients[name] = field;
      this.inputs[name] = field.input;
      return field.element;
    };
    const from = /** @type {HTMLInputElement} */ (
      h("input", { name: "from", list: "compose-identities", value: formatAddresses([fields.from].filter((identity) => identity.address)), "aria-label": "From", oninput: () => this.changed() })
    );
    this.inputs.from = from;
    const identityList = h("datalist", { id: "compose-identities" }, identities.map((identity) => h("option", { value: formatAddresses([identity]) })));
    const showCc = fields.cc.length > 0;
    const showBcc = fields.bcc.length > 0;
    this.body = /** @type {HTMLTextAreaElement} */ (h("textarea", { name: "text", "aria-label": "Message", spellcheck: "true", oninput: () => this.changed() }));
    this.body.value = fields.text;
    this.fileInput = /** @type {HTMLInputElement} */ (h("input", { type: "file", multiple: true, hidden: true, onchange: () => this.filesPicked() }));
    this.fileList = h("ul", { class: "compose-files", "aria-label": "Attachments" });
    this.statusLine = h("span", { class: "compose-status", role: "status", "aria-live": "polite" });
    this.sendButton = h("button", { type: "submit", class: "primary" }, icon(ICONS.sent), "Send");
    const form = h(
      "form",
      {
        class: "compose-form",
        ondragover: (/** @type {DragEvent} */ event) => {
          if (event.dataTransfer?.types.includes("Files")) event.preventDefault();
        },
        ondrop: (/** @type {DragEvent} */ event) => {
          if (!event.dataTransfer?.files.length) return;
          event.preventDefault();
          this.addFiles([...event.dataTransfer.files]);
        },
        onpaste: (/** @type {ClipboardEvent} */ event) => {
          // Text pastes as text; a pasted file or screenshot is attached.
          const files = [...(event.clipboardData?.files ?? [])];
          if (!files.length) return;
          event.preventDefault();
          this.addFiles(files);
        },
        onsubmit: (/** @type {Event} */ event) => {
          event.preventDefault();
          emit(this.element, "compose-send", this.fields());
        },
      },
      h("header", { class: "compose-head" }, h("h2", null, title), h("button", { type: "button", class: "ghost", "aria-label": "Close", title: "Close (the draft is kept)", onclick: () => emit(this.element, "compose-close", this.fields()) }, "×")),
      h(
        "label",
        { class: "field field-from" },
        h("span", { class: "field-label" }, "From"),
        h(
          "span",
          { class: "from-line" },
          from,
          h("button", { type: "button", class: "ghost", onclick: () => emit(this.element, "compose-identity", this.fields()) }, "Identity…"),
        ),
        identityList,
        h("span", { class: "field-error", role: "alert" }),
      ),
      recipients("to", "To"),
      h(
        "div",
        { class: "compose-toggles" },
        h("button", { type: "button", class: "ghost", hidden: showCc, onclick: (/** @type {Event} */ event) => this.reveal("cc", event) }, "Cc"),
        h("button", { type: "button", class: "ghost", hidden: showBcc, onclick: (/** @type {Event} */ event) => this.reveal("bcc", event) }, "Bcc"),
      ),
      recipients("cc", "Cc"),
      recipients("bcc", "Bcc"),
      field("subject", "Subject", fields.subject),
      this.body,
      this.fileList,
      h(
        "footer",
        { class: "compose-foot" },
        this.sendButton,
        h("button", { type: "button", class: "ghost", onclick: () => this.fileInput?.click() }, icon(ICONS.paperclip), "Attach files"),
        this.fileInput,
        h("button", { type: "button", class: "ghost", onclick: () => emit(this.element, "compose-save", this.fields()) }, "Save draft"),
        h("button", { type: "button", class: "ghost danger", onclick: () => emit(this.element, "compose-discard", null) }, icon(ICONS.trash), "Discard"),
        this.statusLine,
      ),
    );
    this.element.replaceChildren(form);
    this.recipients.cc.element.hidden = !showCc;
    this.recipients.bcc.element.hidden = !showBcc;
    this.renderFiles();
    this.element.hidden = false;
    (fields.to.length ? this.body : this.inputs.to).focus();
    if (fields.to.length) this.body.setSelectionRange(0, 0);
  }

  /** Sets the From field (an identity was edited). @param {Mailbox} identity */
  setFrom(identity) {
    this.inputs.from.value = formatAddresses([identity]);
    this.changed();
  }

  /** @param {"cc" | "bcc"} name @param {Event} event */
  reveal(name, event) {
    this.recipients[name].element.hidden = false;
    /** @type {HTMLElement} */ (event.currentTarget).hidden = true;
    this.inputs[name].focus();
  }

  changed() {
    this.clearErrors();
    emit(this.element, "compose-change", this.fields());
  }

  /** What the form holds, as typed (the controller parses addresses). */
  fields() {
    return {
      from: this.inputs.from.value,
      to: this.recipients.to.value(),
      cc: this.recipients.cc.value(),
      bcc: this.recipients.bcc.value(),
      subject: this.inputs.subject.value,
      text: this.body?.value ?? "",
      attachments: this.attachments,
    };
  }

  filesPicked() {
    const files = [...(this.fileInput?.files ?? [])];
    if (this.fileInput) this.fileInput.value = "";
    return this.addFiles(files);
  }

  /** Attaches files, each checked against the server's limit first. @param {File[]} files */
  async addFiles(files) {
    for (const file of files) {
      const total = this.attachments.reduce((sum, attachment) => sum + attachment.data.length, 0) + file.size;
      if (this.fileLimit !== null && total > this.fileLimit) {
        this.status(`“${file.name}” (${byteSize(file.size)}) is too large: the server takes up to ${byteSize(this.fileLimit)} of files in one message.`, true);
        continue;
      }
      this.attachments.push({ filename: file.name, contentType: file.type || "application/octet-stream", data: new Uint8Array(await file.arrayBuffer()) });
    }
    this.renderFiles();
    emit(this.element, "compose-change", this.fields());
  }

  renderFiles() {
    const limit = this.fileLimit !== null ? h("li", { class: "compose-limit" }, `Up to ${byteSize(this.fileLimit)} of files`) : null;
    this.fileList?.replaceChildren(
      ...this.attachments.map((attachment, index) =>
        h(
          "li",
          null,
          icon(ICONS.paperclip),
          h("span", { class: "name" }, attachment.filename),
          h("span", { class: "size" }, byteSize(attachment.data.length)),
          h(
            "button",
            {
              type: "button",
              class: "ghost",
              "aria-label": `Remove ${attachment.filename}`,
              onclick: () => {
                this.attachments.splice(index, 1);
                this.renderFiles();
                emit(this.element, "compose-change", this.fields());
              },
            },
            "×",
          ),
        ),
      ),
      ...(limit ? [limit] : []),
    );
  }

  /** Shows a line of status ("Draft saved", an error). @param {string} text @param {boolean} [error] */
  status(text, error = false) {
    if (!this.statusLine) return;
    this.statusLine.textContent = text;
    this.statusLine.classList.toggle("error", error);
  }

  /**
   * Marks fields the server or the checks refused, in their words.
   * @param {Record<string, string>} errors by field name
   * @param {string[]} [refused] recipients the server refused, marked on their chips
   */
  showErrors(errors, refused = []) {
    this.clearErrors();
    let first = null;
    for (const [name, text] of Object.entries(errors)) {
      const input = this.inputs[name];
      if (!input) continue;
      const label = /** @type {HTMLElement} */ (input.closest(".field"));
      label.hidden = false;
      input.setAttribute("aria-invalid", "true");
      const message = label.querySelector(".field-error");
      if (message) message.textContent = text;
      first ??= input;
    }
    for (const field of Object.values(this.recipients)) field.markRefused(refused);
    first?.focus();
  }

  clearErrors() {
    for (const input of Object.values(this.inputs)) {
      input.removeAttribute("aria-invalid");
      const message = input.closest(".field")?.querySelector(".field-error");
      if (message) message.textContent = "";
    }
  }

  /** @param {boolean} busy */
  setBusy(busy) {
    this.sendButton?.toggleAttribute("disabled", busy);
  }

  close() {
    this.element.hidden = true;
    this.element.replaceChildren();
    this.inputs = {};
    this.recipients = {};
    this.attachments = [];
  }
}
