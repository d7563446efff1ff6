// Modal dialogs (confirm, ask for a name, shortcuts, message source) and popup
// menus, all inside the app's shadow root. Each returns a promise.

import { h } from "./dom.js";
import { certificateDetails } from "./certificate.js";

/** The element dialogs and menus are added to (set once by the app). */
let layer = /** @type {HTMLElement | null} */ (null);

/** @param {HTMLElement} element */
export function setLayer(element) {
  layer = element;
}

/**
 * Shows a modal `<dialog>` built by `build(close)`; resolves with what `close` got.
 * @template T
 * @param {string} label
 * @param {(close: (value: T) => void) => Node[]} build
 * @param {T} dismissed the value when closed with Escape
 * @returns {Promise<T>}
 */
function modal(label, build, dismissed) {
  return new Promise((resolve) => {
    const root = layer?.getRootNode();
    const returnFocus = /** @type {HTMLElement | null} */ (root instanceof ShadowRoot ? root.activeElement : null);
    let result = dismissed;
    const dialog = /** @type {HTMLDialogElement} */ (h("dialog", { class: "dialog", "aria-label": label }));
    const close = (value) => {
      result = value;
      dialog.close();
    };
    dialog.append(...build(close));
    dialog.addEventListener("close", () => {
      dialog.remove();
      returnFocus?.focus();
      resolve(result);
    });
    dialog.addEventListener("keydown", (event) => event.stopPropagation());
    (layer ?? document.body).append(dialog);
    dialog.showModal();
  });
}

/**
 * Asks to confirm something that cannot be undone.
 * @param {{title: string, text: string, confirm: string}} options
 * @returns {Promise<boolean>}
 */
export function confirmDialog({ title, text, confirm }) {
  return modal(
    title,
    (close) => [
      h("h2", null, title),
      h("p", null, text),
      h(
        "div",
        { class: "dialog-actions" },
        h("button", { type: "button", onclick: () => close(false), autofocus: true }, "Cancel"),
        h("button", { type: "button", class: "danger", onclick: () => close(true) }, confirm),
      ),
    ],
    false,
  );
}

/**
 * Asks for a name, checking it with `validate` (returns an error or null).
 * @param {{title: string, label: string, value?: string, confirm: string, validate: (value: string) => string | null,
 *   choices?: {label: string, options: {value: string, label: string}[]}}} options
 * @returns {Promise<{value: string, choice: string} | null>}
 */
export function nameDialog({ title, label, value = "", confirm, validate, choices }) {
  return modal(
    title,
    (close) => {
      const input = /** @type {HTMLInputElement} */ (h("input", { id: "dialog-name", value, autocomplete: "off", autofocus: true }));
      const select = choices
        ? /** @type {HTMLSelectElement} */ (h("select", { id: "dialog-choice" }, choices.options.map((option) => h("option", { value: option.value }, option.label))))
        : null;
      const error = h("p", { class: "dialog-error", role: "alert" });
      const submit = (event) => {
        event.preventDefault();
        const problem = validate(input.value);
        if (problem) {
          error.textContent = problem;
          input.focus();
          return;
        }
        close({ value: input.value.trim(), choice: select?.value ?? "" });
      };
      return [
        h(
          "form",
          { onsubmit: submit },
          h("h2", null, title),
          h("div", { class: "field" }, h("label", { for: "dialog-name" }, label), input),
          select && choices ? h("div", { class: "field" }, h("label", { for: "dialog-choice" }, choices.label), select) : null,
          error,
          h("div", { class: "dialog-actions" }, h("button", { type: "button", onclick: () => close(null) }, "Cancel"), h("button", { type: "submit", class: "primary" }, confirm)),
        ),
      ];
    },
    null,
  );
}

/**
 * Edits an identity to send from: name, address and signature.
 * @param {{name?: string | null, address: string, signature?: string}} identity
 * @returns {Promise<{name: string | null, address: string, signature: string} | null>}
 */
export function identityDialog(identity) {
  return modal(
    "Identity",
    (close) => {
      const name = /** @type {HTMLInputElement} */ (h("input", { id: "identity-name", value: identity.name ?? "", autocomplete: "name", autofocus: true }));
      const address = /** @type {HTMLInputElement} */ (h("input", { id: "identity-address", type: "email", value: identity.address, autocomplete: "email" }));
      const signature = /** @type {HTMLTextAreaElement} */ (h("textarea", { id: "identity-signature", rows: 4 }));
      signature.value = identity.signature ?? "";
      const error = h("p", { class: "dialog-error", role: "alert" });
      const submit = (/** @type {Event} */ event) => {
        event.preventDefault();
        if (!/^[^\s@<>,;"]+@[^\s@<>,;"]+$/.test(address.value.trim())) {
          error.textContent = "Give an email address, such as alice@example.org.";
          address.focus();
          return;
        }
        close({ name: name.value.trim() || null, address: address.value.trim(), signature: signature.value.replace(/\s+$/, "") });
      };
      return [
        h(
          "form",
          // Our own check says what is wrong in a sentence; the browser's would just block.
          { onsubmit: submit, novalidate: true },
          h("h2", null, "Identity"),
          h("div", { class: "field" }, h("label", { for: "identity-name" }, "Your name"), name),
          h("div", { class: "field" }, h("label", { for: "identity-address" }, "Email address"), address),
          h("div", { class: "field" }, h("label", { for: "identity-signature" }, "Signature"), signature),
          error,
          h("div", { class: "dialog-actions" }, h("button", { type: "button", onclick: () => close(null) }, "Cancel"), h("button", { type: "submit", class: "primary" }, "Save")),
        ),
      ];
    },
    null,
  );
}

/**
 * The mail this browser keeps for the user: how much, whether the browser may
 * evict it, and a button that removes it.
 * @param {{usage: number, quota: number} | null} used what this origin stores, and may
 * @param {boolean} persisted whether the browser promised not to evict it
 * @param {number} [unsent] messages written offline that removing would lose
 * @returns {Promise<boolean>} true when the user asked to remove it
 */
export function deviceDialog(used, persisted, unsent = 0) {
  const size = (/** @type {number} */ bytes) => `${(bytes / 1048576).toFixed(1)} MB`;
  return modal(
    "Mail on this device",
    (close) => [
      h("h2", null, "Mail on this device"),
      h("p", null, used ? `This browser keeps ${size(used.usage)} for this webmail (it may use up to ${size(used.quota)}).` : "This browser does not say how much it keeps."),
      h(
        "p",
        { class: "muted" },
        persisted
          ? "The browser keeps it until you remove it."
          : "The browser may remove it when the disk is short; the mail stays on the server.",
      ),
      unsent ? h("p", { class: "warning" }, unsentWarning(unsent)) : null,
      h(
        "div",
        { class: "dialog-actions" },
        h("button", { type: "button", onclick: () => close(false), autofocus: true }, "Close"),
        h("button", { type: "button", class: "danger", onclick: () => close(true) }, "Remove mail from this device"),
      ),
    ],
    false,
  );
}

/**
 * The outbox, offline: each message waiting (a draft closed offline says so),
 * to edit (back in the form) or delete.
 * @param {import("../core/outbox.js").Outgoing[]} entries
 * @returns {Promise<{action: "edit" | "delete", messageId: string} | null>}
 */
export function outboxDialog(entries) {
  const recipients = (/** @type {import("../core/outbox.js").Outgoing} */ entry) =>
    [...entry.fields.to, ...entry.fields.cc, ...entry.fields.bcc].map((mailbox) => mailbox.address).join(", ") || "no recipient";
  return modal(
    "Outbox",
    (close) => [
      h("h2", null, "Outbox"),
      h("p", { class: "muted" }, "These go when the mail server is back."),
      h(
        "ul",
        { class: "outbox", "aria-label": "Waiting messages" },
        entries.map((entry) => {
          const subject = entry.fields.subject || "(no subject)";
          const { messageId } = entry.fields;
          return h(
            "li",
            { "aria-label": subject },
            h("span", null, h("strong", null, subject), h("span", { class: "muted" }, ` ${entry.kind === "draft" ? "Draft, to Drafts" : `To ${recipients(entry)}`}`)),
            h("button", { type: "button", onclick: () => close({ action: "edit", messageId }) }, "Edit"),
            h("button", { type: "button", class: "danger", onclick: () => close({ action: "delete", messageId }) }, "Delete"),
          );
        }),
      ),
      h("div", { class: "dialog-actions" }, h("button", { type: "button", onclick: () => close(null), autofocus: true }, "Close")),
    ],
    null,
  );
}

/**
 * What removing the mail from this device would lose: written here, not yet on the server.
 * @param {number} unsent messages in the outbox (sent or closed offline)
 */
export function unsentWarning(unsent) {
  return `${unsent === 1 ? "1 message written offline has" : `${unsent} messages written offline have`} not reached the mail server yet: removing the mail from this device loses ${unsent === 1 ? "it" : "them"}.`;
}

/**
 * The keyboard shortcuts.
 * @param {[string, string][]} shortcuts keys and what they do
 */
export function shortcutsDialog(shortcuts) {
  return modal(
    "Keyboard shortcuts",
    (close) => [
      h("h2", null, "Keyboard shortcuts"),
      h("dl", { class: "shortcuts" }, shortcuts.map(([keys, what]) => h("div", null, h("dt", null, keys.split(" ").map((key) => h("kbd", null, key))), h("dd", null, what)))),
      h("div", { class: "dialog-actions" }, h("button", { type: "button", class: "primary", onclick: () => close(undefined), autofocus: true }, "Close")),
    ],
    undefined,
  );
}

/**
 * Where the connection is encrypted to, with the server's certificate.
 * @param {string} serverName
 * @param {import("./certificate.js").CertificateInfo} certificate
 * @param {string | null} protocol
 */
export function certificateDialog(serverName, certificate, protocol) {
  return modal(
    "End-to-end encrypted",
    (close) => [
      h("h2", null, "End-to-end encrypted"),
      h("p", null, `Your mail is encrypted between this page and ${serverName}. The webmail service relays it without being able to read it, and never sees your password.`),
      certificateDetails(certificate, protocol),
      h("div", { class: "dialog-actions" }, h("button", { type: "button", class: "primary", onclick: () => close(undefined), autofocus: true }, "Close")),
    ],
    undefined,
  );
}

/**
 * A message's raw source; very large messages are shown in part.
 * @param {string} title
 * @param {Uint8Array} raw
 * @param {() => void} download
 */
export function sourceDialog(title, raw, download) {
  const LIMIT = 512 * 1024;
  const shown = new TextDecoder("utf-8", { fatal: false }).decode(raw.subarray(0, LIMIT));
  return modal(
    "Message source",
    (close) => [
      h("h2", null, "Message source"),
      h("p", { class: "muted" }, title, raw.length > LIMIT ? ` — showing the first ${Math.round(LIMIT / 1024)} KB of ${Math.round(raw.length / 1024)} KB` : ""),
      h("pre", { class: "source", tabindex: "0" }, shown),
      h(
        "div",
        { class: "dialog-actions" },
        h("button", { type: "button", onclick: download }, "Download .eml"),
        h("button", { type: "button", class: "primary", onclick: () => close(undefined), autofocus: true }, "Close"),
      ),
    ],
    undefined,
  );
}

/**
 * @typedef {{label: string, action: () => void, disabled?: boolean, depth?: number, danger?: boolean}} MenuItem
 */

/**
 * A popup menu at a point or under an element; arrows move, Enter picks, Escape closes.
 * @param {{x: number, y: number} | HTMLElement} at
 * @param {MenuItem[]} items
 * @param {string} label
 */
export function openMenu(at, items, label) {
  closeMenus();
  const returnFocus = at instanceof HTMLElement ? at : null;
  const menu = h("div", { class: "menu", role: "menu", "aria-label": label });
  const buttons = items.map((item) =>
    h(
      "button",
      {
        type: "button",
        role: "menuitem",
        tabindex: "-1",
        disabled: item.disabled,
        class: item.danger ? "danger" : null,
        style: { paddingInlineStart: `${0.75 + (item.depth ?? 0) * 0.9}rem` },
        onclick: () => {
          close();
          item.action();
        },
      },
      item.label,
    ),
  );
  menu.append(...buttons);
  const enabled = buttons.filter((button) => !button.hasAttribute("disabled"));
  const close = () => {
    menu.remove();
    document.removeEventListener("pointerdown", outside, true);
    if (closeOpenMenu === close) closeOpenMenu = null;
  };
  closeOpenMenu = close;
  const outside = (event) => {
    if (!event.composedPath().includes(menu)) {
      close();
    }
  };
  menu.addEventListener("keydown", (event) => {
    const index = enabled.indexOf(/** @type {HTMLButtonElement} */ (event.target));
    if (event.key === "ArrowDown") enabled[(index + 1) % enabled.length]?.focus();
    else if (event.key === "ArrowUp") enabled[(index - 1 + enabled.length) % enabled.length]?.focus();
    else if (event.key === "Home") enabled[0]?.focus();
    else if (event.key === "End") enabled[enabled.length - 1]?.focus();
    else if (event.key === "Escape" || event.key === "Tab") {
      close();
      returnFocus?.focus();
    } else return;
    event.preventDefault();
    event.stopPropagation();
  });
  (layer ?? document.body).append(menu);
  const box = at instanceof HTMLElement ? at.getBoundingClientRect() : { left: at.x, bottom: at.y };
  const width = menu.offsetWidth;
  const height = menu.offsetHeight;
  menu.style.left = `${Math.max(4, Math.min(box.left, window.innerWidth - width - 4))}px`;
  menu.style.top = `${Math.max(4, Math.min(box.bottom + 2, window.innerHeight - height - 4))}px`;
  document.addEventListener("pointerdown", outside, true);
  enabled[0]?.focus();
  return close;
}

/** The open menu's close function. */
let closeOpenMenu = /** @type {(() => void) | null} */ (null);

/** Closes the open menu, if any. */
export function closeMenus() {
  closeOpenMenu?.();
}
