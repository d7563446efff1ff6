// Short notices at the bottom ("3 messages moved to Archive. Undo") and the
// polite live region that tells screen readers about new mail.

import { h } from "./dom.js";

const NOTICE_MS = 8000;

export class Toasts {
  constructor() {
    this.region = h("div", { class: "toasts", role: "status", "aria-live": "polite" });
    this.announcer = h("div", { class: "visually-hidden", "aria-live": "polite", "aria-atomic": "true", "data-testid": "announcer" });
    this.element = h("div", { class: "toast-layer" }, this.region, this.announcer);
  }

  /**
   * Shows a notice; `undo` adds an Undo button that runs it once. Returns a
   * handle to change its text or take it away.
   * @param {{text: string, undo?: () => Promise<void>, error?: boolean, timeout?: number}} notice
   * @param {(error: unknown) => void} onUndoError
   */
  show(notice, onUndoError) {
    const text = h("span", null, notice.text);
    const toast = h("div", { class: notice.error ? "toast error" : "toast" }, text);
    let timer = setTimeout(() => toast.remove(), notice.timeout ?? (notice.error ? NOTICE_MS * 2 : NOTICE_MS));
    if (notice.undo) {
      const undo = notice.undo;
      const button = h(
        "button",
        {
          type: "button",
          onclick: async () => {
            button.setAttribute("disabled", "");
            clearTimeout(timer);
            toast.remove();
            try {
              await undo();
            } catch (error) {
              onUndoError(error);
            }
          },
        },
        "Undo",
      );
      toast.append(button);
    }
    toast.append(h("button", { type: "button", class: "dismiss", "aria-label": "Dismiss", onclick: () => toast.remove() }, "×"));
    toast.addEventListener("pointerenter", () => clearTimeout(timer));
    toast.addEventListener("pointerleave", () => {
      timer = setTimeout(() => toast.remove(), NOTICE_MS / 2);
    });
    while (this.region.children.length >= 3) this.region.firstElementChild?.remove();
    this.region.append(toast);
    return {
      /** @param {string} value */
      setText: (value) => {
        text.textContent = value;
      },
      remove: () => {
        clearTimeout(timer);
        toast.remove();
      },
    };
  }

  /** Tells screen readers, politely. @param {string} text */
  announce(text) {
    this.announcer.textContent = "";
    requestAnimationFrame(() => {
      this.announcer.textContent = text;
    });
  }
}
