// <webmail-app>: the whole webmail in one custom element with a shadow root,
// so it can be dropped into any page without styles leaking either way.
// It wires the headless core (../core) to the components in this folder:
// data flows down into them, their verb-named events come back up here.

import { h, icon } from "./dom.js";
import { ICONS } from "./icons.js";
import { SignInForm } from "./sign-in.js";
import { FolderTree } from "./folder-tree.js";
import { MessageGrid } from "./message-grid.js";
import { Reader } from "./reader.js";
import { Toasts } from "./toast.js";
import { confirmDialog, nameDialog, shortcutsDialog, sourceDialog, certificateDialog, openMenu, closeMenus, setLayer } from "./dialogs.js";
import { commandFor, SHORTCUTS } from "./shortcuts.js";
import { MailCore, plural } from "../core/mail-core.js";
import { loadClient, fetchUpstreams, signIn } from "../core/session.js";
import { signInMessage, actionMessage } from "../core/errors.js";
import { loadTls, isEndToEnd, PageTls, CERTIFICATE_CODES } from "../core/page-tls.js";
import { safeDocument } from "../core/message-html.js";
import { invalidFolderName } from "../core/folders.js";
import { count } from "../core/format.js";
import { styles } from "./styles.js";

const USERNAME_KEY = "webmail.username";
/** Certificate fingerprints the user chose to trust, by upstream (where the operator allows it). */
const ACCEPTED_CERTIFICATES_KEY = "webmail.accepted-certificates";
/** Opening follows the keyboard after this pause, so holding j does not fetch every message. */
const FOLLOW_MS = 120;
/** Narrower than this, one pane shows at a time. */
const NARROW_PX = 700;

/** "Received" (UID order) first: it is known from SELECT, so a huge folder shows at once. */
const SORTS = [
  ["uid", "Received"],
  ["date", "Date"],
  ["from", "Sender"],
  ["subject", "Subject"],
  ["size", "Size"],
];
const SEARCH_FIELDS = [
  ["text", "All"],
  ["from", "From"],
  ["to", "To"],
  ["subject", "Subject"],
  ["body", "Body"],
];

/**
 * Attributes: `bridge` (the bridge's WebSocket URL; default: `/ws` of this
 * page's origin), `upstream` (a configured server; hides the server choice),
 * `wasm` (URL of `client_wasm_bg.wasm`; default: next to this script),
 * `manage-title` (put the unread count in the tab title), `refresh-seconds`
 * (how often counts of folders other than the open one are refreshed; default 30).
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
    /** Messages whose remote content the reader allowed, by "folder\0uid". */
    this.remoteAllowed = new Set();
    /** Blob URLs of the open message's inline images, revoked when it closes. */
    this.blobUrls = [];
    this.followTimer = undefined;
    /** The bridge's servers, from /api/upstreams. @type {{name: string, label: string, tls: string, endToEnd?: any}[]} */
    this.servers = [];
    /** TLS in the page for this session's end-to-end upstream, if any. @type {PageTls | undefined} */
    this.pageTls = undefined;
    this.view = "list";
    this.built = false;
  }

  connectedCallback() {
    if (!this.built) this.build();
    loadClient(this.wasmUrl).catch((error) => this.signInForm.showError(`The mail client could not load: ${error.message}`));
    this.prepareSignIn();
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
      h("select", { "aria-label": "Sort by", onchange: () => this.sortChanged() }, SORTS.map(([value, label]) => h("option", { value }, label)))
    );
    this.orderButton = h("button", { type: "button", class: "ghost", "aria-label": "Newest first", "aria-pressed": "true", onclick: () => this.orderToggled() }, icon(ICONS.sort));
    this.threadButton = h(
      "button",
      { type: "button", class: "ghost", "aria-label": "Conversations", title: "Conversations", "aria-pressed": "false", onclick: () => this.threadToggled() },
      icon(ICONS.thread),
      h("span", { class: "label" }, "Conversations"),
    );
    this.folderTitle = h("h2", { class: "folder-title" });
    this.folderCount = h("span", { class: "folder-count" });
    this.progress = h("div", { class: "progress", role: "progressbar", "aria-label": "Loading messages", hidden: true });
    this.searchStatus = h("div", { class: "search-status", hidden: true });
    this.banner = h("div", { class: "banner", role: "status", hidden: true });
    this.actionButtons = {
      read: this.actionButton("Mark as read", ICONS.read, () => this.command("mark-read")),
      unread: this.actionButton("Mark as unread", ICONS.unread, () => this.command("mark-unread")),
      flag: this.actionButton("Flag", ICONS.star, () => this.command("flag")),
      delete: this.actionButton("Delete", ICONS.trash, () => this.command("delete")),
      archive: this.actionButton("Archive", ICONS.archive, () => this.command("archive")),
      move: this.actionButton("Move to", ICONS.move, (event) => this.folderPicker(/** @type {HTMLElement} */ (event.currentTarget), false)),
      copy: this.actionButton("Copy to", ICONS.copy, (event) => this.folderPicker(/** @type {HTMLElement} */ (event.currentTarget), true)),
    };
    this.actionButtons.move.setAttribute("aria-haspopup", "menu");
    this.actionButtons.copy.setAttribute("aria-haspopup", "menu");
    this.selectionCount = h("span", { class: "selection-count", "aria-live": "polite" });
    this.secureBadge = h(
      "button",
      { type: "button", class: "ghost secure-badge", hidden: true, onclick: () => this.showCertificate() },
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
        h(
          "form",
          { class: "search", role: "search", onsubmit: (event) => this.searchSubmitted(event) },
          icon(ICONS.search),
          this.searchInput,
          this.searchField,
        ),
        h("button", { type: "button", class: "ghost shortcuts-button", "aria-label": "Keyboard shortcuts", title: "Keyboard shortcuts", onclick: () => this.command("help") }, icon(ICONS.keyboard)),
        h("button", { type: "button", class: "ghost", "aria-label": "Sign out", title: "Sign out", onclick: () => this.signOut() }, icon(ICONS.signout), h("span", { class: "label" }, "Sign out")),
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
          h("button", { type: "button", class: "ghost", "aria-label": "New folder", onclick: () => this.createFolder(null) }, icon(ICONS.plus)),
          h(
            "button",
            {
              type: "button",
              class: "ghost",
              "aria-label": "Folder actions",
              "aria-haspopup": "menu",
              onclick: (event) => this.core?.list.path && this.folderMenu(this.core.list.path, /** @type {HTMLElement} */ (event.currentTarget)),
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
    this.shell = h("div", { class: "app", "data-signed-in": "false", "data-view": "list" }, this.signInForm.element, mail, this.toasts.element, this.layer);
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
    shadow.addEventListener("sign-in", (event) => this.signIn(/** @type {CustomEvent} */ (event).detail));
    shadow.addEventListener("open-folder", (event) => this.openFolder(/** @type {CustomEvent} */ (event).detail.path, /** @type {CustomEvent} */ (event).detail.focusList));
    shadow.addEventListener("folder-menu", (event) => {
      const { path, x, y } = /** @type {CustomEvent} */ (event).detail;
      this.folderMenu(path, { x, y });
    });
    shadow.addEventListener("drop-messages", (event) => {
      const { path, uids, copy } = /** @type {CustomEvent} */ (event).detail;
      this.act(copy ? "Copying the messages" : "Moving the messages", () => this.core?.moveMessages(uids, path, { copy }));
    });
    shadow.addEventListener("select-row", (event) => this.rowClicked(/** @type {CustomEvent} */ (event).detail));
    shadow.addEventListener("open-row", (event) => this.openMessage(/** @type {CustomEvent} */ (event).detail.uid, true));
    shadow.addEventListener("toggle-flag", (event) => this.toggleFlag([/** @type {CustomEvent} */ (event).detail.uid]));
    shadow.addEventListener("toggle-read", (event) => this.toggleRead([/** @type {CustomEvent} */ (event).detail.uid]));
    shadow.addEventListener("allow-remote", (event) => this.allowRemote(/** @type {CustomEvent} */ (event).detail.uid));
    shadow.addEventListener("download-part", (event) => this.download(/** @type {CustomEvent} */ (event).detail));
    shadow.addEventListener("view-source", (event) => this.viewSource(/** @type {CustomEvent} */ (event).detail.uid));
    shadow.addEventListener("close-reader", () => this.closeReader());
    shadow.addEventListener("keydown", (event) => this.keydown(/** @type {KeyboardEvent} */ (event)));
    this.searchInput.addEventListener("input", () => {
      if (this.searchInput.value === "" && this.core?.list.query) this.clearSearch();
    });
  }

  // ------------------------------------------------------------------ sign-in

  async prepareSignIn() {
    this.signInForm.setRemembered(readStorage(USERNAME_KEY));
    try {
      const list = await fetchUpstreams(this.bridgeUrl);
      this.servers = list.upstreams;
      this.signInForm.setServers(list, this.getAttribute("upstream"));
    } catch (error) {
      // Without the list the form still works for the `upstream` attribute or the bridge's only server.
      this.signInForm.setServers({ upstreams: [], customServers: false }, this.getAttribute("upstream"));
      console.warn("webmail: could not load the server list", error);
    }
    if (!this.core) this.signInForm.focus();
  }

  /** @param {{username: string, password: string, remember: boolean, upstream?: string, host?: string, port?: number}} details */
  async signIn(details) {
    this.signInForm.setBusy(true);
    const upstream = details.upstream ?? this.getAttribute("upstream") ?? undefined;
    /** @type {PageTls | undefined} */
    let pageTls;
    try {
      pageTls = await this.pageTlsFor(upstream, details.host);
      const client = await signIn({ ...details, upstream, bridge: this.bridgeUrl, wasmUrl: this.wasmUrl, pageTls });
      this.pageTls = pageTls;
      this.showSecurity();
      if (details.remember) writeStorage(USERNAME_KEY, details.username);
      else removeStorage(USERNAME_KEY);
      this.signInForm.reset();
      const refresh = Number(this.getAttribute("refresh-seconds"));
      await this.start(new MailCore(client, refresh > 0 ? { countsIntervalMs: refresh * 1000 } : {}));
    } catch (error) {
      this.signInForm.setBusy(false);
      this.signInForm.showError(signInMessage(/** @type {any} */ (error)));
      if (pageTls && CERTIFICATE_CODES.includes(pageTls.failureCode)) this.certificateRefused(pageTls, upstream ?? "", details, error);
    }
  }

  /**
   * TLS in the page for an end-to-end upstream (loading the TLS module on first use), or undefined.
   * @param {string | undefined} upstream
   * @param {string | undefined} host a server the user typed
   */
  async pageTlsFor(upstream, host) {
    const servers = this.servers;
    const server = upstream ? servers.find((entry) => entry.name === upstream) : !host && servers.length === 1 ? servers[0] : undefined;
    if (!server || !isEndToEnd(server) || !server.endToEnd) return undefined;
    const module = await loadTls(this.wasmUrl);
    return new PageTls(module, server.endToEnd, acceptedCertificates()[server.name] ?? []);
  }

  /**
   * Explains a refused certificate; offers to trust it where the operator allows.
   * @param {PageTls} pageTls @param {string} upstream @param {any} details @param {any} error
   */
  certificateRefused(pageTls, upstream, details, error) {
    const certificate = pageTls.certificate;
    const trust =
      pageTls.exceptionsAllowed && certificate
        ? () => {
            const accepted = acceptedCertificates();
            accepted[upstream] = [...new Set([...(accepted[upstream] ?? []), certificate.sha256])];
            writeStorage(ACCEPTED_CERTIFICATES_KEY, JSON.stringify(accepted));
            this.signIn(details);
          }
        : null;
    this.signInForm.showCertificateProblem(error?.message ?? "The certificate was not accepted.", certificate, trust);
  }

  /** The lock in the top bar: where TLS ends for this session. */
  showSecurity() {
    const pageTls = this.pageTls;
    this.secureBadge.hidden = !pageTls;
    if (pageTls) {
      const label = `End-to-end encrypted to ${pageTls.info.serverName}`;
      this.secureBadge.setAttribute("aria-label", label);
      this.secureBadge.title = label;
    }
  }

  showCertificate() {
    const pageTls = this.pageTls;
    const certificate = pageTls?.certificate;
    if (pageTls && certificate) certificateDialog(pageTls.info.serverName, certificate, pageTls.protocol);
  }

  /** @param {MailCore} core */
  async start(core) {
    this.core = core;
    this.grid.attach(core.list, core.selection);
    core.addEventListener("folders", () => {
      this.tree.update(core.tree, core.list.path);
      this.updateFolderCount();
    });
    core.addEventListener("folder", () => this.folderChanged());
    core.addEventListener("notice", (event) => this.toasts.show(/** @type {CustomEvent} */ (event).detail, (error) => this.failed("Undoing", error)));
    core.addEventListener("announce", (event) => this.toasts.announce(/** @type {CustomEvent} */ (event).detail));
    core.addEventListener("unread", (event) => this.unreadChanged(/** @type {CustomEvent} */ (event).detail));
    core.addEventListener("state", (event) => this.connectionChanged(/** @type {CustomEvent} */ (event).detail));
    core.list.addEventListener("loading", () => {
      this.progress.hidden = !core.list.loading;
    });
    core.list.addEventListener("change", () => {
      this.updateToolbar();
      this.updateFolderCount();
    });
    core.list.addEventListener("rows", () => this.updateToolbar());
    this.shell.dataset.signedIn = "true";
    this.dispatchEvent(new CustomEvent("signedin"));
    await core.refreshFolders();
    const inbox = core.special("\\Inbox") ?? core.folders.find((folder) => folder.selectable);
    if (inbox) await this.openFolder(inbox.path, true);
  }

  async signOut() {
    const core = this.core;
    this.core = null;
    this.closeReader();
    this.remoteAllowed.clear();
    this.shell.dataset.signedIn = "false";
    this.unreadChanged(null);
    this.pageTls = undefined;
    this.showSecurity();
    await core?.close();
    this.dispatchEvent(new CustomEvent("signedout"));
    this.signInForm.reset();
    this.signInForm.focus();
  }

  // ------------------------------------------------------------------ folders

  /** @param {string} path @param {boolean} [focusList] */
  async openFolder(path, focusList = false) {
    const core = this.core;
    if (!core) return;
    this.closeReader();
    this.searchInput.value = "";
    this.searchStatus.hidden = true;
    this.grid.scrollToTop();
    this.setView("list");
    try {
      await core.openFolder(path);
      if (focusList) this.grid.element.focus({ preventScroll: true });
    } catch (error) {
      this.failed(`Opening ${core.folder(path)?.name ?? path}`, error);
    }
  }

  folderChanged() {
    const core = this.core;
    if (!core) return;
    const folder = core.list.path ? core.folder(core.list.path) : null;
    this.folderTitle.textContent = folder?.name ?? "";
    this.updateFolderCount();
    this.grid.setEmptyText(folder ? `${folder.name} is empty` : "No messages");
    this.tree.update(core.tree, core.list.path);
    this.updateToolbar();
  }

  /** "1,234 messages, 12 unread" for the open folder, from the freshest counts. */
  updateFolderCount() {
    const core = this.core;
    if (!core?.info) {
      this.folderCount.textContent = "";
      return;
    }
    const folder = core.list.path ? core.folder(core.list.path) : null;
    const total = core.list.query || core.list.loading ? (folder?.total ?? core.info.exists) : core.list.length;
    const unseen = folder?.unseen ?? core.info.unseen;
    this.folderCount.textContent = `${plural(total, "message")}${unseen ? `, ${count(unseen)} unread` : ""}`;
  }

  /**
   * @param {string} path
   * @param {{x: number, y: number} | HTMLElement} at
   */
  folderMenu(path, at) {
    const core = this.core;
    const folder = core?.folder(path);
    if (!core || !folder) return;
    const inbox = folder.role === "\\Inbox";
    const emptiable = folder.role === "\\Trash" || folder.role === "\\Junk";
    openMenu(
      at,
      [
        { label: "Open", action: () => this.openFolder(path, true), disabled: !folder.selectable },
        { label: "Mark all as read", action: () => this.act("Marking the folder read", () => core.markFolderRead(path)), disabled: !folder.selectable },
        { label: "New subfolder…", action: () => this.createFolder(path) },
        { label: "Rename…", action: () => this.renameFolder(path), disabled: inbox },
        emptiable ? { label: `Empty ${folder.name}…`, action: () => this.emptyFolder(path), danger: true } : null,
        { label: "Delete folder…", action: () => this.deleteFolder(path), disabled: inbox, danger: true },
      ].filter((item) => item !== null),
      `Actions for ${folder.name}`,
    );
  }

  /** @param {string | null} parent */
  async createFolder(parent) {
    const core = this.core;
    if (!core) return;
    const options = [{ value: "", label: "Top level" }, ...core.folders.map((folder) => ({ value: folder.path, label: `${"  ".repeat(folder.depth)}${folder.name}` }))];
    const answer = await nameDialog({
      title: "New folder",
      label: "Folder name",
      confirm: "Create",
      validate: (name) => invalidFolderName(name, core.delimiter),
      choices: { label: "Inside", options },
    });
    if (!answer) return;
    const chosen = parent ?? answer.choice;
    await this.act("Creating the folder", () => core.createFolder(answer.value, chosen || null));
  }

  /** @param {string} path */
  async renameFolder(path) {
    const core = this.core;
    const folder = core?.folder(path);
    if (!core || !folder) return;
    const answer = await nameDialog({ title: `Rename ${folder.name}`, label: "New name", value: folder.name, confirm: "Rename", validate: (name) => invalidFolderName(name, core.delimiter) });
    if (!answer || answer.value === folder.name) return;
    await this.act("Renaming the folder", () => core.renameFolder(path, answer.value));
  }

  /** @param {string} path */
  async deleteFolder(path) {
    const core = this.core;
    const folder = core?.folder(path);
    if (!core || !folder) return;
    const messages = folder.total ? ` and the ${plural(folder.total, "message")} in it` : "";
    const sub = folder.children.length ? `, its ${plural(folder.children.length, "subfolder")}` : "";
    const ok = await confirmDialog({ title: `Delete ${folder.name}?`, text: `This deletes the folder “${folder.name}”${sub}${messages}. It cannot be undone.`, confirm: "Delete folder" });
    if (ok) await this.act("Deleting the folder", () => core.deleteFolder(path));
  }

  /** @param {string} path */
  async emptyFolder(path) {
    const core = this.core;
    const folder = core?.folder(path);
    if (!core || !folder) return;
    const what = folder.total === null ? "All messages" : `All ${plural(folder.total, "message")}`;
    const ok = await confirmDialog({
      title: `Empty ${folder.name}?`,
      text: `${what} in ${folder.name} will be deleted for good. This cannot be undone.`,
      confirm: `Empty ${folder.name}`,
    });
    if (ok) {
      this.closeReader();
      await this.act(`Emptying ${folder.name}`, () => core.emptyFolder(path));
    }
  }

  // ------------------------------------------------------------------ the list

  /** @param {{uid: number, toggle?: boolean, range?: boolean, quiet?: boolean}} detail */
  rowClicked({ uid, toggle = false, range = false, quiet = false }) {
    const core = this.core;
    if (!core) return;
    core.selection.click(core.list, uid, { toggle, range });
    this.grid.refresh();
    this.updateToolbar();
    if (quiet) return;
    if (!toggle && !range) this.openMessage(uid, true);
    this.grid.element.focus({ preventScroll: true });
  }

  updateToolbar() {
    const core = this.core;
    if (!core) return;
    core.selection.retain(core.list);
    const uids = [...core.selection.selected];
    const none = uids.length === 0;
    for (const button of Object.values(this.actionButtons)) button.toggleAttribute("disabled", none);
    const flagged = !none && uids.every((uid) => core.list.summary(uid)?.flags.includes("\\Flagged"));
    const label = flagged ? "Unflag" : "Flag";
    this.actionButtons.flag.setAttribute("aria-label", label);
    this.actionButtons.flag.title = label;
    this.actionButtons.flag.querySelector(".label")?.replaceChildren(label);
    this.actionButtons.flag.setAttribute("aria-pressed", String(flagged));
    this.selectionCount.textContent = uids.length > 1 ? `${count(uids.length)} selected` : "";
  }

  sortChanged() {
    const core = this.core;
    if (!core) return;
    const reverse = this.orderButton.getAttribute("aria-pressed") === "true";
    this.grid.scrollToTop();
    this.act("Sorting", () => core.list.sortBy({ sort: /** @type {any} */ (this.sortSelect.value), reverse }));
  }

  orderToggled() {
    const reverse = this.orderButton.getAttribute("aria-pressed") !== "true";
    this.orderButton.setAttribute("aria-pressed", String(reverse));
    this.orderButton.setAttribute("aria-label", reverse ? "Newest first" : "Oldest first");
    this.orderButton.title = reverse ? "Newest first" : "Oldest first";
    this.sortChanged();
  }

  threadToggled() {
    const core = this.core;
    if (!core) return;
    const threaded = this.threadButton.getAttribute("aria-pressed") !== "true";
    this.threadButton.setAttribute("aria-pressed", String(threaded));
    this.sortSelect.disabled = threaded;
    this.grid.scrollToTop();
    this.act("Grouping conversations", () => core.list.setThreaded(threaded));
  }

  /** @param {SubmitEvent} event */
  async searchSubmitted(event) {
    event.preventDefault();
    const core = this.core;
    const text = this.searchInput.value.trim();
    if (!core) return;
    if (!text) return this.clearSearch();
    const field = this.searchField.value;
    const label = SEARCH_FIELDS.find(([value]) => value === field)?.[1] ?? "All";
    this.closeReader();
    core.selection.clear();
    this.grid.scrollToTop();
    await this.act("Searching", async () => {
      await core.list.search({ [field]: text });
      this.searchStatus.hidden = false;
      this.searchStatus.replaceChildren(
        h("span", { role: "status" }, `${plural(core.list.length, "result")} for “${text}”${field === "text" ? "" : ` in ${label}`}`),
        h("button", { type: "button", class: "ghost", onclick: () => this.clearSearch() }, "Clear search"),
      );
    });
  }

  async clearSearch() {
    const core = this.core;
    this.searchInput.value = "";
    this.searchStatus.hidden = true;
    if (core?.list.query) {
      this.grid.scrollToTop();
      await this.act("Clearing the search", () => core.list.search(null));
    }
  }

  // ------------------------------------------------------------------ reading

  /** @param {number} uid @param {boolean} show switch to the message on narrow screens */
  async openMessage(uid, show) {
    const core = this.core;
    if (!core) return;
    clearTimeout(this.followTimer);
    if (show) this.setView("message");
    this.revokeBlobs();
    this.reader.loading(uid);
    const path = core.list.path;
    try {
      const message = await core.openMessage(uid);
      if (this.reader.uid !== uid || core.list.path !== path) return;
      let html = null;
      if (message.html) {
        const cidUrls = await this.inlineImages(uid, message);
        html = safeDocument(message.html, { allowRemote: this.remoteAllowed.has(`${path}\0${uid}`), cidUrls });
      }
      if (this.reader.uid !== uid) return;
      this.reader.show(message, html);
    } catch (error) {
      if (this.reader.uid === uid) this.reader.failed(actionMessage("Opening the message", error));
    }
  }

  /**
   * Blob URLs for the images the HTML shows by `cid:`.
   * @param {number} uid
   * @param {import("../../pkg/client_wasm.js").Message} message
   */
  async inlineImages(uid, message) {
    const core = this.core;
    /** @type {Map<string, string>} */
    const urls = new Map();
    if (!core || !message.html) return urls;
    const wanted = message.attachments.filter((part) => part.contentId && part.contentType.startsWith("image/") && message.html?.includes(part.contentId));
    await Promise.all(
      wanted.map(async (part) => {
        try {
          const bytes = await core.client.fetchPart(uid, part.partId, undefined);
          const url = URL.createObjectURL(new Blob([blobPart(bytes)], { type: part.contentType }));
          this.blobUrls.push(url);
          urls.set(/** @type {string} */ (part.contentId), url);
        } catch {
          // A missing inline image leaves a gap; the rest of the message still shows.
        }
      }),
    );
    return urls;
  }

  revokeBlobs() {
    for (const url of this.blobUrls.splice(0)) URL.revokeObjectURL(url);
  }

  closeReader() {
    clearTimeout(this.followTimer);
    this.revokeBlobs();
    this.reader.clear();
    if (this.view === "message") this.setView("list");
  }

  /** @param {number} uid */
  allowRemote(uid) {
    const path = this.core?.list.path;
    if (!path) return;
    this.remoteAllowed.add(`${path}\0${uid}`);
    this.openMessage(uid, false);
  }

  /** @param {{uid: number, partId: string, filename: string, contentType: string}} detail */
  async download({ uid, partId, filename, contentType }) {
    const core = this.core;
    if (!core) return;
    try {
      this.reader.progress(partId, 0, 1);
      const bytes = await core.client.fetchPart(uid, partId, { onProgress: (loaded, total) => this.reader.progress(partId, loaded, total) });
      this.reader.progress(partId, 1, 1);
      save(new Blob([blobPart(bytes)], { type: contentType || "application/octet-stream" }), filename);
    } catch (error) {
      this.reader.progress(partId, 1, 1);
      this.failed(`Downloading ${filename}`, error);
    }
  }

  /** @param {number} uid */
  async viewSource(uid) {
    const core = this.core;
    if (!core) return;
    try {
      const raw = await core.client.fetchRaw(uid);
      const subject = core.list.summary(uid)?.envelope.subject ?? "message";
      await sourceDialog(subject, raw, () => save(new Blob([blobPart(raw)], { type: "message/rfc822" }), `${subject.replace(/[\\/:*?"<>|\u0000-\u001f]+/g, "_").slice(0, 80) || "message"}.eml`));
    } catch (error) {
      this.failed("Loading the message source", error);
    }
  }

  // ------------------------------------------------------------------ actions

  /** The selected UIDs in display order. */
  selected() {
    const core = this.core;
    return core ? core.selection.ordered(core.list) : [];
  }

  /** @param {string} name */
  async command(name) {
    const core = this.core;
    if (!core && name !== "help" && name !== "escape") return;
    switch (name) {
      case "next":
      case "previous":
      case "extend-next":
      case "extend-previous":
        return this.moveFocus(name.endsWith("next") ? 1 : -1, name.startsWith("extend"));
      case "open": {
        const uid = core?.selection.focus;
        if (uid !== null && uid !== undefined) this.openMessage(uid, true);
        return;
      }
      case "delete":
        return this.deleteSelected();
      case "archive":
        return this.withSelection("Archiving", (uids) => core?.archive(uids));
      case "flag":
        return this.toggleFlag(this.selected());
      case "read":
        return this.toggleRead(this.selected());
      case "mark-read":
        return this.withSelection("Marking as read", (uids) => core?.setFlag(uids, "\\Seen", true));
      case "mark-unread":
        return this.withSelection("Marking as unread", (uids) => core?.setFlag(uids, "\\Seen", false));
      case "select-all":
        if (core) {
          core.selection.all(core.list);
          this.grid.refresh();
          this.updateToolbar();
        }
        return;
      case "search":
        this.searchInput.focus();
        this.searchInput.select();
        return;
      case "help":
        return shortcutsDialog(SHORTCUTS);
      case "escape":
        return this.escape();
      default:
    }
  }

  /** @param {number} delta @param {boolean} extend */
  moveFocus(delta, extend) {
    const core = this.core;
    if (!core) return;
    const uid = core.selection.move(core.list, delta, { extend });
    if (uid === null) return;
    this.grid.scrollToIndex(core.list.indexOf(uid));
    this.grid.refresh();
    this.updateToolbar();
    this.grid.element.focus({ preventScroll: true });
    clearTimeout(this.followTimer);
    // On wide screens the reading pane follows the cursor; on narrow ones Enter opens.
    if (!extend && !this.shell.classList.contains("narrow")) {
      this.followTimer = setTimeout(() => this.openMessage(uid, false), FOLLOW_MS);
    }
  }

  escape() {
    if (this.layer.querySelector(".menu")) return closeMenus();
    if (this.core?.list.query || this.searchInput.value) return this.clearSearch();
    if (this.reader.uid !== null) return this.closeReader();
    if (this.view === "folders") this.setView("list");
  }

  async deleteSelected() {
    const core = this.core;
    const uids = this.selected();
    if (!core || uids.length === 0) return;
    const { permanent } = core.deletePlan();
    if (permanent) {
      const ok = await confirmDialog({
        title: `Delete ${plural(uids.length, "message")} for good?`,
        text: `${uids.length === 1 ? "This message" : "These messages"} will be removed from the server. This cannot be undone.`,
        confirm: "Delete for good",
      });
      if (!ok) return;
    }
    await this.withSelection("Deleting", (list) => core.deleteMessages(list));
  }

  /** @param {number[]} uids */
  async toggleFlag(uids) {
    const core = this.core;
    if (!core || uids.length === 0) return;
    const flagged = uids.every((uid) => core.list.summary(uid)?.flags.includes("\\Flagged"));
    await this.act(flagged ? "Removing the flag" : "Flagging", () => core.setFlag(uids, "\\Flagged", !flagged));
    this.updateToolbar();
  }

  /** @param {number[]} uids */
  async toggleRead(uids) {
    const core = this.core;
    if (!core || uids.length === 0) return;
    const read = uids.every((uid) => core.list.summary(uid)?.flags.includes("\\Seen"));
    await this.act(read ? "Marking as unread" : "Marking as read", () => core.setFlag(uids, "\\Seen", !read));
  }

  /**
   * Runs an action on the selection, then selects the row that took the first
   * removed row's place, as mail clients do after a delete.
   * @param {string} what
   * @param {(uids: number[]) => Promise<unknown> | undefined} action
   */
  async withSelection(what, action) {
    const core = this.core;
    const uids = this.selected();
    if (!core || uids.length === 0) return;
    const firstIndex = Math.min(...uids.map((uid) => core.list.indexOf(uid)));
    const wasOpen = this.reader.uid !== null && uids.includes(this.reader.uid);
    const ok = await this.act(what, () => action(uids));
    if (!ok || core.list.indexOf(uids[0]) !== -1) return;
    if (wasOpen) this.closeReader();
    const next = core.list.uids[Math.min(firstIndex, core.list.length - 1)];
    if (next === undefined) return;
    core.selection.click(core.list, next);
    this.grid.scrollToIndex(core.list.indexOf(next));
    this.grid.refresh();
    this.updateToolbar();
    if (wasOpen && !this.shell.classList.contains("narrow")) this.openMessage(next, false);
  }

  /**
   * @param {HTMLElement} anchor
   * @param {boolean} copy
   */
  folderPicker(anchor, copy) {
    const core = this.core;
    if (!core || this.selected().length === 0) return;
    openMenu(
      anchor,
      core.folders.map((folder) => ({
        label: folder.name,
        depth: folder.depth,
        disabled: !folder.selectable || folder.path === core.list.path,
        action: () => this.withSelection(copy ? "Copying" : "Moving", (uids) => core.moveMessages(uids, folder.path, { copy })),
      })),
      copy ? "Copy to folder" : "Move to folder",
    );
  }

  /**
   * Runs an action, reporting a failure as a notice. Returns whether it worked.
   * @param {string} what e.g. "Moving the messages"
   * @param {() => Promise<unknown> | undefined} action
   */
  async act(what, action) {
    try {
      await action();
      return true;
    } catch (error) {
      this.failed(what, error);
      return false;
    }
  }

  /** @param {string} what @param {unknown} error */
  failed(what, error) {
    this.toasts.show({ text: actionMessage(what, /** @type {any} */ (error)), error: true }, () => {});
  }

  // ------------------------------------------------------------------ page

  /** @param {KeyboardEvent} event */
  keydown(event) {
    if (this.shell.dataset.signedIn !== "true") return;
    const target = /** @type {Element} */ (event.composedPath()[0]);
    const typing = target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
    if (target.closest?.("[role=tree], [role=menu], dialog") && event.key !== "?" && event.key !== "/") return;
    const command = commandFor(event, { typing });
    if (!command) return;
    // Arrow keys and Enter belong to buttons and links that have focus.
    const onControl = target instanceof HTMLButtonElement || target instanceof HTMLAnchorElement;
    if (onControl && ["open", "next", "previous", "extend-next", "extend-previous"].includes(command) && !["j", "k", "o"].includes(event.key)) return;
    if (typing && command === "escape" && target !== this.searchInput) return;
    event.preventDefault();
    this.command(command);
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
    } else if (state === "closed") {
      this.banner.hidden = false;
      this.banner.replaceChildren("The connection to the mail server is closed. ", h("button", { type: "button", onclick: () => this.signOut() }, "Sign in again"));
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

/** Saves a blob as a download. @param {Blob} blob @param {string} filename */
function save(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: filename, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** @returns {Record<string, string[]>} */
function acceptedCertificates() {
  try {
    const parsed = JSON.parse(readStorage(ACCEPTED_CERTIFICATES_KEY) ?? "{}");
    return parsed && typeof parsed === "object" ? parsed : {};
  } catch {
    return {};
  }
}

/** @param {string} key */
function readStorage(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

/** @param {string} key @param {string} value */
function writeStorage(key, value) {
  try {
    localStorage.setItem(key, value);
  } catch {
    // Private mode or storage disabled: the username is simply not remembered.
  }
}

/** @param {string} key */
function removeStorage(key) {
  try {
    localStorage.removeItem(key);
  } catch {
    // Nothing was stored.
  }
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
