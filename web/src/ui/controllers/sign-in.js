// Signing in and out: the server list, sign-in with TLS in the page where the server needs it, refused certificates, and starting the session.

import { certificateDialog, confirmDialog, deviceDialog, unsentWarning } from "../dialogs.js";
import { MailCore } from "../../core/mail-core.js";
import { FIRST_SCREEN_ROWS, MailCache, keptAccounts, rememberFirstScreen, setKept, storageUsed } from "../../core/mail-cache.js";
import { MessageList } from "../../core/message-list.js";
import { OfflineClient, replayChanges } from "../../core/offline-client.js";
import { Selection } from "../../core/selection.js";
import { fetchUpstreams, loadClient, signIn } from "../../core/session.js";
import { UNREACHABLE, actionMessage, signInMessage } from "../../core/errors.js";
import { loadTls, isEndToEnd, PageTls, CERTIFICATE_CODES } from "../../core/page-tls.js";

/** A kept session whose connection has been gone this long goes on with the kept mail. */
const KEPT_AFTER_MS = 5_000;

/** The key of an account's kept mail: "user\nserver". @param {{username: string, host?: string, port?: number}} details @param {string | undefined} upstream */
function accountOf(details, upstream) {
  return `${details.username}\n${upstream ?? `${details.host}:${details.port}`}`;
}

export class SignInController {
  /** @param {import("../app.js").WebmailApp} app */
  constructor(app) {
    this.app = app;
    /**
     * Set while the page shows kept mail because the server is out of reach: how to go online again.
     * @type {{username: string, password: string, remember: boolean, keepMail?: boolean, upstream?: string, host?: string, port?: number} | null}
     */
    this.offline = null;
    globalThis.addEventListener?.("online", () => this.goOnline());
  }



  async prepareSignIn() {
    const remembered = readStorage(USERNAME_KEY);
    const accounts = keptAccounts();
    const kept = Object.keys(accounts).find((account) => account.startsWith(`${remembered}\n`));
    this.app.signInForm.setRemembered(remembered, Boolean(kept));
    // The first screen kept with the account paints now; without one, IndexedDB's
    // rows do (not awaited: the server list and the password field do not wait).
    const entry = kept ? accounts[kept] : null;
    if (entry?.folder && entry.firstScreen?.length) this.showKept(entry.folder, entry.firstScreen);
    else if (kept) this.paintKept(kept).catch(() => {});
    try {
      const list = await fetchUpstreams(this.app.bridgeUrl);
      this.app.servers = list.upstreams;
      this.app.signInForm.setServers(list, this.app.getAttribute("upstream"));
    } catch (error) {
      // Without the list the form still works for the `upstream` attribute, the bridge's
      // only server, or (out of reach) the server whose mail this device keeps.
      const keptServer = kept?.split("\n")[1];
      const upstreams = keptServer && !keptServer.includes(":") ? [{ name: keptServer, label: keptServer }] : [];
      this.app.signInForm.setServers({ upstreams, customServers: false }, this.app.getAttribute("upstream"));
      console.warn("webmail: could not load the server list", error);
    }
    if (!this.app.core) this.app.signInForm.focus();
  }


  /** @param {{username: string, password: string, remember: boolean, keepMail?: boolean, upstream?: string, host?: string, port?: number}} details */
  async signIn(details) {
    this.app.signInForm.setBusy(true);
    const upstream = details.upstream ?? this.app.getAttribute("upstream") ?? undefined;
    /** @type {PageTls | undefined} */
    let pageTls;
    try {
      pageTls = await this.pageTlsFor(upstream, details.host);
      const client = await signIn({ ...details, upstream, bridge: this.app.bridgeUrl, wasmUrl: this.app.wasmUrl, pageTls });
      await this.begin(client, { ...details, upstream }, pageTls);
    } catch (error) {
      const account = accountOf(details, upstream);
      if (!this.app.core && details.keepMail && UNREACHABLE.includes(/** @type {any} */ (error)?.code) && account in keptAccounts()) {
        await this.startOffline(account, { ...details, upstream });
        return;
      }
      this.app.signInForm.setBusy(false);
      this.app.signInForm.showError(signInMessage(/** @type {any} */ (error)));
      if (pageTls && CERTIFICATE_CODES.includes(pageTls.failureCode)) this.certificateRefused(pageTls, upstream ?? "", details, error);
    }
  }

  /**
   * Signed in: the session starts (in place of the kept mail shown while offline).
   * @param {import("../../../pkg/client_wasm.js").ImapClient} client
   * @param {{username: string, password: string, remember: boolean, keepMail?: boolean, upstream?: string, host?: string, port?: number}} details
   * @param {PageTls | undefined} pageTls
   */
  async begin(client, details, pageTls) {
    const { upstream } = details;
    const previous = this.app.core;
    if (previous) {
      this.app.core = null;
      await previous.close();
    }
    this.app.pageTls = pageTls;
    this.app.credentials = { username: details.username, password: details.password, upstream, host: details.host, port: details.port };
    this.app.composeButton.hidden = !this.app.composing.submission;
    this.showSecurity();
    if (details.remember) writeStorage(USERNAME_KEY, details.username);
    else removeStorage(USERNAME_KEY);
    this.app.signInForm.reset();
    const refresh = Number(this.app.getAttribute("refresh-seconds"));
    const core = new MailCore(client, refresh > 0 ? { countsIntervalMs: refresh * 1000 } : {});
    core.cache = await this.deviceCache(accountOf(details, upstream), Boolean(details.keepMail));
    // Unticked at sign-in, the mail is kept only for its outbox: once that is empty, it leaves the device.
    const removeWhenSent = details.keepMail ? null : core.cache;
    const server = this.app.servers.find((entry) => entry.name === upstream);
    if (core.cache && server) await core.cache.saveServer(server);
    if (core.cache) await this.replay(client, core.cache);
    await this.start(core);
    // Not awaited: the mailbox is usable while the outbox goes.
    this.app.composing
      .sendOutbox(core)
      .then(async () => {
        if (removeWhenSent && this.app.core === core && core.cache === removeWhenSent && !(await removeWhenSent.outgoing()).length) {
          await this.removeDeviceMail(removeWhenSent.account);
          this.app.toasts.show({ text: "The mail on this device was removed, as asked at sign-in." }, () => {});
        }
      })
      .catch((error) => this.app.toasts.show({ text: actionMessage("Sending the outbox", error), error: true }, () => {}));
  }

  /**
   * Gives the server what was changed offline (in an earlier visit too), and says how it went.
   * @param {import("../../../pkg/client_wasm.js").ImapClient} client
   * @param {MailCache} cache
   */
  async replay(client, cache) {
    try {
      const { applied, dropped } = await replayChanges(client, cache);
      if (!applied && !dropped) return;
      const done = applied ? `Changes made offline reached the server (${applied === 1 ? "1 message" : `${applied} messages`}).` : "";
      const lost = dropped ? ` ${dropped === 1 ? "1 change was" : `${dropped} changes were`} dropped: the message is no longer on the server.` : "";
      this.app.toasts.show({ text: `${done}${lost}`.trim(), error: dropped > 0 }, () => {});
    } catch (error) {
      this.app.toasts.show({ text: actionMessage("Applying the changes made offline", error), error: true }, () => {});
    }
  }

  /**
   * The server is out of reach: the mail this device keeps, read-only, until
   * the connection returns ("Try again", or the browser going online).
   * @param {string} account
   * @param {{username: string, password: string, remember: boolean, keepMail?: boolean, upstream?: string, host?: string, port?: number}} details
   */
  async startOffline(account, details) {
    await loadClient(this.app.wasmUrl);
    const cache = await MailCache.open(account);
    const offlineClient = new OfflineClient(cache);
    const core = new MailCore(/** @type {any} */ (offlineClient));
    core.cache = cache;
    this.offline = details;
    // Whether (and how) this server sends, as the bridge said when last online: offline, mail written waits in the outbox.
    const server = await cache.server().catch(() => undefined);
    if (server && !this.app.servers.some((entry) => entry.name === server.name)) this.app.servers = [...this.app.servers, server];
    // In memory only, to sign in again once the server is back.
    this.app.credentials = { username: details.username, password: details.password, upstream: details.upstream, host: details.host, port: details.port };
    this.app.keptAccount = account;
    this.app.deviceButton.hidden = false;
    this.app.composeButton.hidden = !this.app.composing.submission;
    this.app.signInForm.reset();
    await this.start(core);
    await offlineClient.countWaiting();
    this.app.connectionChanged("offline");
  }

  /**
   * The connection of a session that keeps mail here is gone: the kept mail
   * takes over, as at a sign-in with the server out of reach, until it is back.
   * @param {MailCore} core
   */
  async goOffline(core) {
    const credentials = this.app.credentials;
    if (this.app.core !== core || !core.cache || !credentials) return;
    const account = core.cache.account;
    this.app.core = null;
    this.app.reading.closeReader();
    // Not awaited: the logout ends the reconnecting, whenever the client gets to it.
    core.close().catch(() => {});
    await this.startOffline(account, { ...credentials, remember: readStorage(USERNAME_KEY) === credentials.username, keepMail: true });
  }

  /** Offline: tries the server again; stays offline (saying so) while it is out of reach. */
  async goOnline() {
    const details = this.offline;
    if (!details) return;
    try {
      const pageTls = await this.pageTlsFor(details.upstream, details.host);
      const client = await signIn({ ...details, bridge: this.app.bridgeUrl, wasmUrl: this.app.wasmUrl, pageTls });
      if (this.offline !== details) {
        await client.logout().catch(() => {});
        return;
      }
      this.offline = null;
      await this.begin(client, details, pageTls);
      this.app.connectionChanged("ready");
      this.app.toasts.show({ text: "Back online." }, () => {});
    } catch {
      if (this.offline === details) this.app.toasts.show({ text: "Still offline: the mail server cannot be reached." }, () => {});
    }
  }


  /**
   * TLS in the page for an end-to-end upstream (loading the TLS module on first use), or undefined.
   * @param {string | undefined} upstream
   * @param {string | undefined} host a server the user typed
   */
  async pageTlsFor(upstream, host) {
    const servers = this.app.servers;
    const server = upstream ? servers.find((entry) => entry.name === upstream) : !host && servers.length === 1 ? servers[0] : undefined;
    if (!server || !isEndToEnd(server) || !server.endToEnd) return undefined;
    const module = await loadTls(this.app.wasmUrl);
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
    this.app.signInForm.showCertificateProblem(error?.message ?? "The certificate was not accepted.", certificate, trust);
  }


  /** The lock in the top bar: where TLS ends for this session. */
  showSecurity() {
    const pageTls = this.app.pageTls;
    this.app.secureBadge.hidden = !pageTls;
    if (pageTls) {
      const label = `End-to-end encrypted to ${pageTls.info.serverName}`;
      this.app.secureBadge.setAttribute("aria-label", label);
      this.app.secureBadge.title = label;
    }
  }


  showCertificate() {
    const pageTls = this.app.pageTls;
    const certificate = pageTls?.certificate;
    if (pageTls && certificate) certificateDialog(pageTls.info.serverName, certificate, pageTls.protocol);
  }


  /** @param {MailCore} core */
  async start(core) {
    this.app.core = core;
    this.app.grid.attach(core.list, core.selection);
    core.addEventListener("folders", () => {
      this.app.tree.update(core.tree, core.list.path);
      this.app.folderPane.updateFolderCount();
    });
    core.addEventListener("folder", () => this.app.folderPane.folderChanged());
    core.addEventListener("notice", (event) => this.app.toasts.show(/** @type {CustomEvent} */ (event).detail, (error) => this.app.actions.failed("Undoing", error)));
    core.addEventListener("announce", (event) => this.app.toasts.announce(/** @type {CustomEvent} */ (event).detail));
    core.addEventListener("unread", (event) => this.app.unreadChanged(/** @type {CustomEvent} */ (event).detail));
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let lost;
    core.addEventListener("state", (event) => {
      const state = /** @type {CustomEvent} */ (event).detail;
      this.app.connectionChanged(state);
      if (!core.cache) return;
      // A blip reconnects in place; a connection gone for a while, or for good, leaves the kept mail.
      clearTimeout(lost);
      if (state === "closed") this.goOffline(core);
      else if (state === "reconnecting" || state === "connecting") lost = setTimeout(() => this.goOffline(core), KEPT_AFTER_MS);
    });
    core.list.addEventListener("loading", () => {
      this.app.progress.hidden = !core.list.loading;
    });
    core.list.addEventListener("change", () => {
      this.app.listPane.updateToolbar();
      this.app.folderPane.updateFolderCount();
    });
    core.list.addEventListener("rows", () => this.app.listPane.updateToolbar());
    if (this.app.credentials) this.app.composing.watch(core, this.app.credentials.username, core.cache !== null);
    if (core.cache) this.keepFirstScreen(core, core.cache.account);
    this.app.shell.dataset.signedIn = "true";
    this.app.dispatchEvent(new CustomEvent("signedin"));
    await core.refreshFolders();
    // A kept device goes on where it was (the rows painted before signing in stay).
    const last = core.cache ? keptAccounts()[core.cache.account]?.folder : null;
    const lastFolder = last ? core.folder(last) : null;
    const first = (lastFolder?.selectable ? lastFolder : null) ?? core.special("\\Inbox") ?? core.folders.find((folder) => folder.selectable);
    if (first) await this.app.folderPane.openFolder(first.path, true);
    await this.app.composing.offerRestore();
  }


  /**
   * The account's mail on this device when the user keeps it there (asking the
   * browser not to evict it), or null; unticked, whatever was kept is removed,
   * unless its outbox still holds mail written offline (kept until it is sent).
   * @param {string} account user and server
   * @param {boolean} keep
   * @returns {Promise<MailCache | null>}
   */
  async deviceCache(account, keep) {
    this.app.keptAccount = null;
    this.app.deviceButton.hidden = true;
    if (!keep) {
      if (!(account in keptAccounts())) return null;
      const unsent = await MailCache.open(account)
        .then((cache) => cache.outgoing().finally(() => cache.close()))
        .then((entries) => entries.length, () => 0);
      if (!unsent) {
        await MailCache.remove(account).catch(() => {});
        return null;
      }
      // Written offline, not on the server yet: removing the mail now would lose them.
      this.app.toasts.show({ text: `${unsent === 1 ? "A message written offline waits" : `${unsent} messages written offline wait`} for the server: the mail on this device is kept until then.` }, () => {});
    }
    setKept(account, true);
    await navigator.storage?.persist?.().catch(() => false);
    try {
      const cache = await MailCache.open(account, () => {
        this.app.toasts.show({ text: "This device's storage is full or unavailable: mail is no longer kept on it. Everything still works from the server.", error: true }, () => {});
      });
      this.app.keptAccount = account;
      this.app.deviceButton.hidden = false;
      return cache;
    } catch {
      this.app.toasts.show({ text: "This browser does not let the webmail keep mail on this device.", error: true }, () => {});
      return null;
    }
  }

  /**
   * A kept device, before signing in: the last open folder's newest rows from
   * the device, under the sign-in form, without the wasm client or a socket.
   * @param {string} account
   */
  async paintKept(account) {
    const path = keptAccounts()[account]?.folder;
    if (!path) return;
    // Rows the background fill kept are decoded by the wasm client.
    await loadClient(this.app.wasmUrl);
    const cache = await MailCache.open(account);
    try {
      const kept = await cache.newestRows(path, FIRST_SCREEN_ROWS);
      if (kept?.rows.length && !this.app.core) this.showKept(path, kept.rows);
    } finally {
      cache.close();
    }
  }

  /**
   * Paints kept rows of `path` under the sign-in form.
   * @param {string} path @param {import("../../../pkg/client_wasm.js").MessageSummary[]} rows
   */
  showKept(path, rows) {
    // It never asks a server: every row it shows is already here.
    const list = new MessageList(/** @type {any} */ (null));
    list.showCached(path, rows);
    this.app.grid.attach(list, new Selection());
    this.app.folderTitle.textContent = path.split(/[/.]/).pop() ?? path;
    this.app.shell.dataset.signedIn = "kept";
    performance.mark("webmail:cached-rows", { detail: path });
  }

  /**
   * Keeps the folder's first screen of rows with the account as they change, so
   * the next visit paints it at once.
   * @param {MailCore} core @param {string} account
   */
  keepFirstScreen(core, account) {
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let pending;
    const keep = () => {
      pending = undefined;
      const list = core.list;
      if (this.app.core !== core || !core.cache || !list.path || list.query) return;
      const rows = list.uids.slice(0, FIRST_SCREEN_ROWS).flatMap((uid) => list.summary(uid) ?? []);
      if (rows.length) rememberFirstScreen(account, list.path, rows);
    };
    const later = () => {
      pending ??= setTimeout(keep, 500);
    };
    core.list.addEventListener("rows", later);
    core.list.addEventListener("change", later);
    // A reload or a closed tab keeps what is on screen now (localStorage writes at once).
    globalThis.addEventListener?.("pagehide", () => this.app.core === core && keep());
  }

  /** Settings for the mail on this device: how much, and removing it. */
  async showDevice() {
    const account = this.app.keptAccount;
    if (!account) return;
    const persisted = Boolean(await navigator.storage?.persisted?.().catch(() => false));
    if (!(await deviceDialog(await storageUsed(), persisted, await this.unsent()))) return;
    await this.removeDeviceMail(account);
    this.app.toasts.show({ text: "The mail on this device was removed. It stays on the server." }, () => {});
  }

  /** Messages in the outbox of the kept mail, which removing it would lose. */
  async unsent() {
    return (await this.app.core?.cache?.outgoing().catch(() => []))?.length ?? 0;
  }

  /** @param {string} account */
  async removeDeviceMail(account) {
    const core = this.app.core;
    if (core?.cache) {
      core.cache.close();
      core.cache = null;
      core.list.store = null;
    }
    await MailCache.remove(account);
    this.app.composing.forgetPeople();
    this.app.keptAccount = null;
    this.app.deviceButton.hidden = true;
  }

  async signOut() {
    this.offline = null;
    const account = this.app.keptAccount;
    const unsent = account ? await this.unsent() : 0;
    if (
      account &&
      (await confirmDialog({
        title: "Remove your mail from this device?",
        text: `This browser keeps a copy of your mail for your next visit. On a shared computer, remove it; Cancel keeps it.${unsent ? ` ${unsentWarning(unsent)}` : ""}`,
        confirm: "Remove",
      }))
    ) {
      await this.removeDeviceMail(account);
    }
    this.app.keptAccount = null;
    this.app.deviceButton.hidden = true;
    const core = this.app.core;
    this.app.core = null;
    this.app.reading.closeReader();
    this.app.remoteAllowed.clear();
    this.app.shell.dataset.signedIn = "false";
    this.app.unreadChanged(null);
    this.app.pageTls = undefined;
    this.showSecurity();
    await this.app.composing.signedOut();
    this.app.credentials = null;
    await core?.close();
    this.app.dispatchEvent(new CustomEvent("signedout"));
    this.app.signInForm.reset();
    this.app.signInForm.focus();
  }
}

const USERNAME_KEY = "webmail.username";



/** Certificate fingerprints the user chose to trust, by upstream (where the operator allows it). */
const ACCEPTED_CERTIFICATES_KEY = "webmail.accepted-certificates";

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
