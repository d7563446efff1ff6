// The sign-in form. Emits `sign-in` with the details; never keeps the password.

import { h } from "./dom.js";
import { certificateDetails } from "./certificate.js";

const OTHER = "\u0000other";

export class SignInForm {
  constructor() {
    this.server = h("select", { id: "signin-server", name: "server", onchange: () => this.syncCustom() });
    this.serverRow = h("div", { class: "field", hidden: true }, h("label", { for: "signin-server" }, "Server"), this.server);
    this.custom = h("input", { id: "signin-host", name: "host", placeholder: "imap.example.org:993", autocomplete: "off", spellcheck: "false" });
    this.customRow = h("div", { class: "field", hidden: true }, h("label", { for: "signin-host" }, "Server address"), this.custom);
    this.username = h("input", { id: "signin-username", name: "username", autocomplete: "username", required: true, spellcheck: "false", autocapitalize: "none" });
    this.password = h("input", { id: "signin-password", name: "password", type: "password", autocomplete: "current-password", required: true });
    this.remember = h("input", { id: "signin-remember", type: "checkbox", name: "remember" });
    this.keepMail = h("input", { id: "signin-keep-mail", type: "checkbox", name: "keep-mail" });
    this.error = h("p", { class: "signin-error", role: "alert" });
    this.certificateProblem = h("div", { class: "certificate-problem", role: "alert", hidden: true });
    this.endToEndNote = h("p", { class: "end-to-end-note", hidden: true });
    /** @type {{name: string, tls?: string, endToEnd?: {serverName: string}}[]} */
    this.upstreams = [];
    this.button = h("button", { type: "submit", class: "primary" }, "Sign in");
    this.progress = h("span", { class: "spinner", hidden: true, "aria-hidden": "true" });
    this.form = h(
      "form",
      { class: "signin-form", "aria-labelledby": "signin-title", onsubmit: (event) => this.submit(event) },
      h("h1", { id: "signin-title" }, "Sign in to your mail"),
      this.serverRow,
      this.customRow,
      this.endToEndNote,
      h("div", { class: "field" }, h("label", { for: "signin-username" }, "Username"), this.username),
      h("div", { class: "field" }, h("label", { for: "signin-password" }, "Password"), this.password),
      h("div", { class: "check" }, this.remember, h("label", { for: "signin-remember" }, "Remember me on this device")),
      // Off by default: on a shared computer nothing of the mail is written to storage.
      h("div", { class: "check" }, this.keepMail, h("label", { for: "signin-keep-mail" }, "Keep mail on this device")),
      this.error,
      this.certificateProblem,
      h("div", { class: "actions" }, this.button, this.progress),
    );
    this.element = h("section", { class: "signin" }, this.form);
  }

  /**
   * Fills the server choice. Hidden when the page fixes the server or the bridge has only one.
   * @param {{upstreams: {name: string, label: string, tls?: string, endToEnd?: {serverName: string}}[], customServers: boolean}} list
   * @param {string | null} fixed the `upstream` attribute, if set
   */
  setServers(list, fixed) {
    this.upstreams = list.upstreams;
    this.server.replaceChildren(...list.upstreams.map((upstream) => h("option", { value: upstream.name }, upstream.label)));
    if (list.customServers) this.server.append(h("option", { value: OTHER }, "Other server…"));
    if (fixed) this.server.value = fixed;
    const choices = list.upstreams.length + (list.customServers ? 1 : 0);
    this.serverRow.hidden = Boolean(fixed) || choices <= 1;
    if (!list.upstreams.length && list.customServers) this.server.value = OTHER;
    this.syncCustom();
  }

  syncCustom() {
    this.customRow.hidden = this.server.value !== OTHER;
    this.custom.required = !this.customRow.hidden;
    // Says, before the password is typed, that it will only reach the mail server.
    const endToEnd = this.upstreams.find((upstream) => upstream.name === this.server.value)?.endToEnd;
    this.endToEndNote.hidden = !endToEnd;
    this.endToEndNote.textContent = endToEnd
      ? `End-to-end encrypted: your password and mail travel encrypted between this page and ${endToEnd.serverName}; the webmail service cannot read them.`
      : "";
  }

  /** @param {string | null} username @param {boolean} keepsMail whether this device keeps that user's mail */
  setRemembered(username, keepsMail) {
    if (username) {
      this.username.value = username;
      this.remember.checked = true;
      this.keepMail.checked = keepsMail;
    }
  }

  focus() {
    (this.username.value ? this.password : this.username).focus();
  }

  /** @param {boolean} busy */
  setBusy(busy) {
    this.button.disabled = busy;
    this.progress.hidden = !busy;
    this.form.setAttribute("aria-busy", String(busy));
  }

  /** @param {string} text */
  showError(text) {
    this.error.textContent = text;
    this.password.value = "";
    this.password.focus();
  }

  /**
   * Shows why the server's certificate was refused, with its facts. It stays
   * until the next attempt: there is nothing to dismiss it with. `trust` (only
   * where the operator allows exceptions) accepts this certificate's fingerprint.
   * @param {string} text
   * @param {import("./certificate.js").CertificateInfo | null} certificate
   * @param {(() => void) | null} trust
   */
  showCertificateProblem(text, certificate, trust) {
    // The panel replaces the one-line error: it says the same, with the facts.
    this.error.textContent = "";
    const sentence = `${text.charAt(0).toUpperCase()}${text.slice(1)}${/[.!?]$/.test(text) ? "" : "."}`;
    this.certificateProblem.replaceChildren(
      h("h2", null, "The server's certificate was refused"),
      h("p", null, sentence),
      certificate ? certificateDetails(certificate) : null,
      trust
        ? h("p", { class: "muted" }, "Trust it only if the SHA-256 fingerprint matches the one your administrator gave you.")
        : h("p", { class: "muted" }, "Ask your administrator: this service does not allow certificate exceptions."),
      trust ? h("button", { type: "button", class: "danger", onclick: trust }, "Trust this certificate") : null,
    );
    this.certificateProblem.hidden = false;
    this.password.value = "";
  }

  /** @param {SubmitEvent} event */
  submit(event) {
    event.preventDefault();
    this.error.textContent = "";
    this.certificateProblem.hidden = true;
    const detail = {
      username: this.username.value.trim(),
      password: this.password.value,
      remember: this.remember.checked,
      keepMail: this.keepMail.checked,
      upstream: undefined,
      host: undefined,
      port: undefined,
    };
    if (this.server.value === OTHER) {
      const match = /^\s*(\[[^\]]+\]|[^:\s]+)(?::(\d{1,5}))?\s*$/.exec(this.custom.value);
      if (!match) {
        this.error.textContent = "Enter the server as host or host:port, for example imap.example.org:993.";
        this.custom.focus();
        return;
      }
      detail.host = match[1].replace(/^\[|\]$/g, "");
      detail.port = match[2] ? Number(match[2]) : 993;
    } else if (this.server.value) {
      detail.upstream = this.server.value;
    }
    this.form.dispatchEvent(new CustomEvent("sign-in", { detail, bubbles: true }));
  }

  /** Clears the password after signing in or out. */
  reset() {
    this.password.value = "";
    this.error.textContent = "";
    this.certificateProblem.hidden = true;
    this.setBusy(false);
  }
}
