// <webmail-app>: the whole webmail in one custom element with a shadow root,
// so it can be dropped into any page without styles leaking either way.
// It wires the headless core (../core) to the components in this folder:
// data flows down into them, their verb-named events come back up here, and
// each feature's handling lives in its controller (./controllers: sign-in,
// folders, list, reader, actions, keyboard). The element builds the layout and
// holds the state they share.

import { h, icon } from "./dom.js";
import { ICONS } from "./icons.js";
import { SignInForm } from "./sign-in.js";
import { FolderTree } from "./folder-tree.js";
import { MessageGrid } from "./message-grid.js";
import { Reader } from "./reader.js";
import { Toasts } from "./toast.js";
import { ComposeForm } from "./compose-form.js";
import { setLayer } from "./dialogs.js";
import { MailCore } from "../core/mail-core.js";
import { loadClient } from "../core/session.js";
import { PageTls } from "../core/page-tls.js";
import { styles } from "./styles.js";
import { SignInController } from "./controllers/sign-in.js";
import { FoldersController } from "./controllers/folders.js";
import { ListController, SEARCH_FIELDS, SORTS } from "./controllers/list.js";
import { ReaderController } from "./controllers/reader.js";
import { ActionsController } from "./controllers/actions.js";
import { KeyboardController } from "./controllers/keyboard.js";
import { ComposeController } from "./controllers/compose.js";

/** Narrower than this, one pane shows at a time. */
const NARROW_PX = 700;

/**
 * Attributes: `bridge` (the bridge's WebSocket URL; default: `/ws` of this
 * page's origin), `upstream` (a configured server; hides the server choice),
 * `wasm` (URL of `client_wasm_bg.wasm`; default: next to this script),
 * `manage-title` (put the unread count in the tab title), `refresh-seconds`
 * (how often counts of folders other than the open one are refreshed; default 30),
 * `undo-seconds` (how long a sent message can be taken back; default 5).
 *
 * Events: `unreadchange` (detail: unread messages in Inbox), `signedin`, `signedout`.
 */
export class WebmailApp extends HTMLElement {
  constructor() {
    super();
    /** @type {MailCore | null} */
    this.core = null;
    this.signInForm = new SignInForm();
    this.tree = new FolderTree();
    this.grid = new MessageGrid();
    this.reader = new Reader();
    this.toasts = new Toasts();
    this.composeForm = new ComposeForm();
    /** Who signed in, in memory only: compose signs in to Drafts, Sent and submission with it. @type {{username: string, password: string, upstream?: string, host?: string, port?: number} | null} */
    this.credentials = null;
    /** The account whose mail this device keeps in this session ("user\nserver"), or null. @type {string | null} */
    this.keptAccount = null;
    /** Messages whose remote content the reader allowed, by "folder\0uid". */
    this.remoteAllowed = new Set();
    /** Blob URLs of the open message's inline images, revoked when it closes. */
    this.blobUrls = [];
    this.followTimer = undefined;
    /** The bridge's servers, from /api/upstreams. @type {{name: string, label: string, tls: string, endToEnd?: any, canSend?: boolean, submission?: {tls: string, endToEnd?: any, filesSent?: boolean}}[]} */
    this.servers = [];
    /** TLS in the page for this session's end-to-end upstream, if any. @type {PageTls | undefined} */
    this.pageTls = undefined;
    this.view = "list";
    this.built = false;
    // One controller per feature; they share this element's state and elements.
    this.signing = new SignInController(this);
    this.folderPane = new FoldersController(this);
    this.listPane = new ListController(this);
    this.reading = new ReaderController(this);
    this.actions = new ActionsController(this);
    this.keyboard = new KeyboardController(this);
    this.composing = new ComposeController(this);
  }

  connectedCallback() {
    if (!this.built) this.build();
    loadClient(this.wasmUrl).catch((error) => this.signInForm.showError(`The mail client could not load: ${error.message}`));
    this.signing.prepareSignIn();
  }

  disconnectedCallback() {
    this.core?.close();
    this.core = null;
  }

  get bridgeUrl() {
    const given = this.getAttribute("bridge");
    if (given) return given;
    const url = new URL("ws", location.href);
    url.protocol = location.protocol === "https:" ? "wss:" : "ws:";
    return url.href;
  }

  get wasmUrl() {
    return this.getAttribute("wasm") ?? new URL("./pkg/client_wasm_bg.wasm", import.meta.url).href;
  }

  build() {
    this.built = true;
    const shadow = this.attachShadow({ mode: "open", delegatesFocus: false });
    shadow.adoptedStyleSheets = [styles()];
    this.searchField = /** @type {HTMLSelectElement} */ (
      h("select", { "aria-label": "Search in", class: "search-field" }, SEARCH_FIELDS.map(([value, label]) => h("option", { value }, label)))
    );
    this.searchInput = /** @type {HTMLInputElement} */ (h("input", { type: "search", "aria-label": "Search", placeholder: "Search this folder", enterkeyhint: "search" }));
    this.sortSelect = /** @type {HTMLSelectElement} */ (
      h("select", { "aria-label": "Sort by", onchange: () => this.listPane.sortChanged() }, SORTS.map(([value, label]) => h("option", { value }, label)))
    );
    this.orderButton = h("button", { type: "button", class: "ghost", "aria-label": "Newest first", "aria-pressed": "true", onclick: () => this.listPane.orderToggled() }, icon(ICONS.sort));
    this.threadButton = h(
      "button",
      { type: "button", class: "ghost", "aria-label": "Conversations", title: "Conversations", "aria-pressed": "false", onclick: () => this.listPane.threadToggled() },
      icon(ICONS.thread),
      h("span", { class: "label" }, "Conversations"),
    );
    this.folderTitle = h("h2", { class: "folder-title" });
    this.folderCount = h("span", { class: "folder-count" });
    this.progress = h("div", { class: "progress", role: "progressbar", "aria-label": "Loading messages", hidden: true });
    this.searchStatus = h("div", { class: "search-status", hidden: true });
    this.banner = h("div", { class: "banner", role: "status", hidden: true });
    this.actionButtons = {
      read: this.actionButton("Mark as read", ICONS.read, () => this.keyboard.command("mark-read")),
      unread: this.actionButton("Mark as unread", ICONS.unread, () => this.keyboard.command("mark-unread")),
      flag: this.actionButton("Flag", ICONS.star, () => this.keyboard.command("flag")),
      delete: this.actionButton("Delete", ICONS.trash, () => this.keyboard.command("delete")),
      archive: this.actionButton("Archive", ICONS.archive, () => this.keyboard.command("archive")),
      move: this.actionButton("Move to", ICONS.move, (event) => this.actions.folderPicker(/** @type {HTMLElement} */ (event.currentTarget), false)),
      copy: this.actionButton("Copy to", ICONS.copy, (event) => this.actions.folderPicker(/** @type {HTMLElement} */ (event.currentTarget), true)),
    };
    this.actionButtons.move.setAttribute("aria-haspopup", "menu");
    this.actionButtons.copy.setAttribute("aria-haspopup", "menu");
    this.selectionCount = h("span", { class: "selection-count", "aria-live": "polite" });
    this.secureBadge = h(
      "button",
      { type: "button", class: "ghost secure-badge", hidden: true, onclick: () => this.signing.showCertificate() },
      icon(ICONS.lock),
      h("span", { class: "label" }, "End-to-end encrypted"),
    );
    this.layer = h("div", { class: "layer" });
    setLayer(this.layer);
    const mail = h(
      "div",
      { class: "mail" },
      h(
        "header",
        { class: "topbar" },
        h("button", { type: "button", class: "ghost folders-toggle", "aria-label": "Folders", onclick: () => this.setView("folders") }, icon(ICONS.menu)),
        h("span", { class: "brand" }, "Webmail"),
        this.secureBadge,
        (this.composeButton = h(
          "button",
          { type: "button", class: "primary compose-button", onclick: () => this.composing.open("new") },
          icon(ICONS.compose),
          h("span", { class: "label" }, "New message"),
        )),
        h(
          "form",
          { class: "search", role: "search", onsubmit: (event) => this.listPane.searchSubmitted(event) },
          icon(ICONS.search),
          this.searchInput,
          this.searchField,
        ),
        (this.deviceButton = h(
          "button",
          { type: "button", class: "ghost", hidden: true, title: "Mail kept on this device", onclick: () => this.signing.showDevice() },
          icon(ICONS.archive),
          h("span", { class: "label" }, "On this device"),
        )),
        h("button", { type: "button", class: "ghost shortcuts-button", "aria-label": "Keyboard shortcuts", title: "Keyboard shortcuts", onclick: () => this.keyboard.command("help") }, icon(ICONS.keyboard)),
        h("button", { type: "button", class: "ghost", "aria-label": "Sign out", title: "Sign out", onclick: () => this.signing.signOut() }, icon(ICONS.signout), h("span", { class: "label" }, "Sign out")),
      ),
      this.banner,
      h("div", { class: "toolbar", role: "toolbar", "aria-label": "Message actions" }, Object.values(this.actionButtons), this.selectionCount),
      h(
        "nav",
        { class: "folders-pane", "aria-label": "Folder list" },
        h(
          "div",
          { class: "pane-head" },
          h("h2", null, "Folders"),
          h("button", { type: "button", class: "ghost", "aria-label": "New folder", onclick: () => this.folderPane.createFolder(null) }, icon(ICONS.plus)),
          h(
            "button",
            {
              type: "button",
              class: "ghost",
              "aria-label": "Folder actions",
              "aria-haspopup": "menu",
              onclick: (event) => this.core?.list.path && this.folderPane.folderMenu(this.core.list.path, /** @type {HTMLElement} */ (event.currentTarget)),
            },
            icon(ICONS.more),
          ),
        ),
        this.tree.element,
      ),
      h(
        "section",
        { class: "list-pane", "aria-label": "Message list" },
        h(
          "div",
          { class: "list-head" },
          h("div", { class: "list-title" }, this.folderTitle, this.folderCount),
          h("div", { class: "list-controls" }, this.sortSelect, this.orderButton, this.threadButton),
        ),
        this.searchStatus,
        this.progress,
        this.grid.element,
      ),
      this.reader.root,
    );
    this.shell = h(
      "div",
      { class: "app", "data-signed-in": "false", "data-view": "list" },
      this.signInForm.element,
      mail,
      this.composeForm.element,
      this.toasts.element,
      this.layer,
    );
    shadow.append(this.shell);
    this.listen(shadow);
    new ResizeObserver(() => {
      this.shell.classList.toggle("narrow", this.shell.clientWidth < NARROW_PX);
    }).observe(this.shell);
  }

  /** @param {string} label @param {string} paths @param {(event: MouseEvent) => void} action */
  actionButton(label, paths, action) {
    return h("button", { type: "button", class: "ghost", "aria-label": label, title: label, disabled: true, onclick: action }, icon(paths), h("span", { class: "label" }, label));
  }

  /** @param {ShadowRoot} shadow */
  listen(shadow) {
    shadow.addEventListener("sign-in", (event) => this.signing.signIn(/** @type {CustomEvent} */ (event).detail));
    shadow.addEventListener("open-folder", (event) => this.folderPane.openFolder(/** @type {CustomEvent} */ (event).detail.path, /** @type {CustomEvent} */ (event).detail.focusList));
    shadow.addEventListener("folder-menu", (event) => {
      const { path, x, y } = /** @type {CustomEvent} */ (event).detail;
      this.folderPane.folderMenu(path, { x, y });
    });
    shadow.addEventListener("drop-messages", (event) => {
      const { path, uids, copy } = /** @type {CustomEvent} */ (event).detail;
      this.actions.act(copy ? "Copying the messages" : "Moving the messages", () => this.core?.moveMessages(uids, path, { copy }));
    });
    shadow.addEventListener("select-row", (event) => this.listPane.rowClicked(/** @type {CustomEvent} */ (event).detail));
    shadow.addEventListener("open-row", (event) => this.reading.openMessage(/** @type {CustomEvent} */ (event).detail.uid, true));
    shadow.addEventListener("toggle-flag", (event) => this.actions.toggleFlag([/** @type {CustomEvent} */ (event).detail.uid]));
    shadow.addEventListener("toggle-read", (event) => this.actions.toggleRead([/** @type {CustomEvent} */ (event).detail.uid]));
    shadow.addEventListener("allow-remote", (event) => this.reading.allowRemote(/** @type {CustomEvent} */ (event).detail.uid));
    shadow.addEventListener("download-part", (event) => this.reading.download(/** @type {CustomEvent} */ (event).detail));
    shadow.addEventListener("view-source", (event) => this.reading.viewSource(/** @type {CustomEvent} */ (event).detail.uid));
    shadow.addEventListener("close-reader", () => this.reading.closeReader());
    shadow.addEventListener("compose", (event) => this.composing.open(/** @type {CustomEvent} */ (event).detail.kind));
    shadow.addEventListener("compose-change", (event) => this.composing.changed(/** @type {CustomEvent} */ (event).detail));
    shadow.addEventListener("compose-send", (event) => this.composing.send(/** @type {CustomEvent} */ (event).detail));
    shadow.addEventListener("compose-save", (event) => this.composing.save(/** @type {CustomEvent} */ (event).detail));
    shadow.addEventListener("compose-close", (event) => this.composing.close(/** @type {CustomEvent} */ (event).detail));
    shadow.addEventListener("compose-discard", () => this.composing.discard());
    shadow.addEventListener("compose-identity", (event) => this.composing.editIdentity(/** @type {CustomEvent} */ (event).detail));
    shadow.addEventListener("keydown", (event) => this.keyboard.keydown(/** @type {KeyboardEvent} */ (event)));
    this.searchInput.addEventListener("input", () => {
      if (this.searchInput.value === "" && this.core?.list.query) this.listPane.clearSearch();
    });
  }

  /** @param {"folders" | "list" | "message"} view */
  setView(view) {
    this.view = view;
    this.shell.dataset.view = view;
  }

  /** @param {string} state */
  connectionChanged(state) {
    if (state === "reconnecting" || state === "connecting") {
      this.banner.hidden = false;
      this.banner.textContent = "The connection to the mail server was lost. Reconnecting…";
    } else if (state === "offline") {
      this.banner.hidden = false;
      const { waiting = 0, outbox = 0 } = /** @type {any} */ (this.core?.client) ?? {};
      this.banner.replaceChildren(
        "Offline: showing the mail kept on this device. ",
        waiting ? `${waiting === 1 ? "1 change waits" : `${waiting} changes wait`} for the server. ` : "",
        outbox ? h("button", { type: "button", class: "link", onclick: () => this.composing.showOutbox() }, `${outbox === 1 ? "1 message waits" : `${outbox} messages wait`} in the outbox.`) : "",
        h("button", { type: "button", onclick: () => this.signing.goOnline() }, "Try again"),
      );
    } else if (state === "closed") {
      this.banner.hidden = false;
      this.banner.replaceChildren("The connection to the mail server is closed. ", h("button", { type: "button", onclick: () => this.signing.signOut() }, "Sign in again"));
    } else {
      this.banner.hidden = true;
    }
  }

  /** @param {number | null} unseen */
  unreadChanged(unseen) {
    if (this.hasAttribute("manage-title")) {
      const base = this.getAttribute("title-base") ?? "Webmail";
      document.title = unseen ? `(${unseen}) Inbox — ${base}` : base;
    }
    this.dispatchEvent(new CustomEvent("unreadchange", { detail: unseen }));
  }
}

