// One address field of the compose form (To, Cc, Bcc): each address a chip
// that can be removed or taken back for editing, an address that is not one
// marked as soon as it is entered, and suggestions from the people this
// device has seen while typing. The textbox keeps its role and label; the
// suggestions are a listbox it points into (aria-activedescendant).

import { h } from "./dom.js";
import { formatAddresses, parseMailbox, splitAddressList } from "../core/addresses.js";

/**
 * @typedef {import("../core/addresses.js").Mailbox} Mailbox
 * @typedef {{mailbox: Mailbox | null, text: string}} Chip `mailbox` null: not an address, `text` as typed
 */

let fields = 0;

export class RecipientField {
  /**
   * @param {{name: string, label: string, mailboxes: Mailbox[], suggest: (typed: string, except: string[]) => Mailbox[], changed: () => void}} options
   */
  constructor({ name, label, mailboxes, suggest, changed }) {
    const id = `recipients-${name}-${++fields}`;
    this.label = label;
    this.suggest = suggest;
    this.changed = changed;
    /** @type {Chip[]} */
    this.chips = mailboxes.map((mailbox) => ({ mailbox, text: formatAddresses([mailbox]) }));
    /** @type {Mailbox[]} */
    this.suggestions = [];
    this.active = -1;
    this.chipList = h("ul", { class: "chips", "aria-label": `${label} recipients` });
    this.listbox = h("ul", { class: "suggestions", id: `${id}-suggestions`, role: "listbox", "aria-label": `Suggestions for ${label}`, hidden: true });
    this.input = /** @type {HTMLInputElement} */ (
      h("input", {
        id,
        name,
        "aria-label": label,
        "aria-autocomplete": "list",
        "aria-controls": this.listbox.id,
        autocomplete: "off",
        oninput: () => this.typed(),
        onkeydown: (/** @type {KeyboardEvent} */ event) => this.key(event),
        onblur: () => this.commit(),
      })
    );
    this.element = h(
      "div",
      { class: `field field-${name}` },
      h("label", { class: "field-label", for: id }, label),
      h("div", { class: "recipients" }, this.chipList, this.input, this.listbox),
      h("span", { class: "field-error", role: "alert" }),
    );
    this.renderChips();
  }

  /** What the field holds, as an address list the controller parses (chips, then what is still typed). */
  value() {
    return [...this.chips.map((chip) => chip.text), this.input.value.trim()].filter(Boolean).join(", ");
  }

  /** Turns every entry the user ended with a comma or semicolon into a chip; suggests for the rest. */
  typed() {
    const { entries, open } = splitAddressList(this.input.value);
    if (entries.length) {
      this.add(entries);
      this.input.value = open;
    }
    this.showSuggestions(open);
    this.changed();
  }

  /** Makes chips of whatever is typed (Enter, Tab, leaving the field). */
  commit() {
    this.hideSuggestions();
    const { entries, open } = splitAddressList(this.input.value);
    const all = open ? [...entries, open] : entries;
    if (!all.length) return;
    this.add(all);
    this.input.value = "";
    this.changed();
  }

  /** @param {string[]} entries */
  add(entries) {
    for (const text of entries) {
      const mailbox = parseMailbox(text);
      const address = mailbox?.address.toLowerCase();
      if (address && this.chips.some((chip) => chip.mailbox?.address.toLowerCase() === address)) continue;
      this.chips.push({ mailbox, text: mailbox ? formatAddresses([mailbox]) : text });
    }
    this.renderChips();
  }

  /** @param {KeyboardEvent} event */
  key(event) {
    const open = !this.listbox.hidden && this.suggestions.length > 0;
    if ((event.key === "ArrowDown" || event.key === "ArrowUp") && open) {
      event.preventDefault();
      const step = event.key === "ArrowDown" ? 1 : -1;
      this.highlight((this.active + step + this.suggestions.length) % this.suggestions.length);
    } else if ((event.key === "Enter" || event.key === "Tab") && open && this.active >= 0) {
      event.preventDefault();
      this.pick(this.suggestions[this.active]);
    } else if (event.key === "Enter") {
      // Enter ends an address; it never sends the message from an address field.
      event.preventDefault();
      this.commit();
    } else if (event.key === "Escape" && open) {
      event.stopPropagation();
      this.hideSuggestions();
    } else if (event.key === "Backspace" && this.input.value === "" && this.chips.length) {
      // The last chip comes back as text to edit, rather than vanishing.
      event.preventDefault();
      this.edit(this.chips.length - 1);
    }
  }

  /** @param {Mailbox} mailbox */
  pick(mailbox) {
    this.hideSuggestions();
    this.input.value = "";
    this.add([formatAddresses([mailbox])]);
    this.changed();
    this.input.focus();
  }

  /** @param {string} typed */
  showSuggestions(typed) {
    const chosen = this.chips.flatMap((chip) => (chip.mailbox ? [chip.mailbox.address] : []));
    this.suggestions = typed ? this.suggest(typed, chosen) : [];
    if (!this.suggestions.length) {
      this.hideSuggestions();
      return;
    }
    this.listbox.replaceChildren(
      ...this.suggestions.map((mailbox, index) =>
        h(
          "li",
          {
            id: `${this.listbox.id}-${index}`,
            role: "option",
            "aria-selected": "false",
            // Keeps the focus in the textbox, so leaving it does not commit half a word first.
            onmousedown: (/** @type {Event} */ event) => event.preventDefault(),
            onclick: () => this.pick(mailbox),
          },
          mailbox.name ? h("span", { class: "name" }, mailbox.name) : null,
          h("span", { class: "address" }, mailbox.address),
        ),
      ),
    );
    this.listbox.hidden = false;
    this.highlight(0);
  }

  /** @param {number} index */
  highlight(index) {
    this.active = index;
    [...this.listbox.children].forEach((option, at) => option.setAttribute("aria-selected", String(at === index)));
    this.input.setAttribute("aria-activedescendant", `${this.listbox.id}-${index}`);
  }

  hideSuggestions() {
    this.listbox.hidden = true;
    this.listbox.replaceChildren();
    this.suggestions = [];
    this.active = -1;
    this.input.removeAttribute("aria-activedescendant");
  }

  /** Takes a chip back into the textbox. @param {number} index */
  edit(index) {
    const [chip] = this.chips.splice(index, 1);
    this.input.value = chip.text;
    this.renderChips();
    this.input.focus();
    this.changed();
  }

  /**
   * Marks the chips of addresses a server refused, with its words.
   * @param {string[]} addresses
   */
  markRefused(addresses) {
    const refused = new Set(addresses.map((address) => address.toLowerCase()));
    for (const item of this.chipList.children) {
      const chip = this.chips[Number(/** @type {HTMLElement} */ (item).dataset.index)];
      if (chip?.mailbox && refused.has(chip.mailbox.address.toLowerCase())) item.classList.add("invalid");
    }
  }

  renderChips() {
    this.chipList.replaceChildren(
      ...this.chips.map((chip, index) => {
        const shown = chip.mailbox ? chip.mailbox.name || chip.mailbox.address : chip.text;
        return h(
          "li",
          { class: chip.mailbox ? "chip" : "chip invalid", dataset: { index: String(index) }, title: chip.mailbox ? chip.mailbox.address : "Not an address" },
          h("button", { type: "button", class: "chip-text", "aria-label": `Edit ${chip.text}`, onclick: () => this.edit(index) }, shown),
          chip.mailbox ? null : h("span", { class: "visually-hidden" }, " (not an address)"),
          h(
            "button",
            {
              type: "button",
              class: "chip-remove",
              "aria-label": `Remove ${chip.mailbox?.address ?? chip.text}`,
              onclick: () => {
                this.chips.splice(index, 1);
                this.renderChips();
                this.changed();
                this.input.focus();
              },
            },
            "×",
          ),
        );
      }),
    );
    this.chipList.hidden = this.chips.length === 0;
  }
}
