// TLS in the page for end-to-end upstreams: the bridge relays only ciphertext.
// The TLS module (client_tls.js + its wasm, rustls) is fetched only when such an
// upstream is used, so the base client stays small for everyone else.

import { loadAddOn } from "./add-on.js";

/**
 * Loads the TLS module that sits next to the base client's wasm.
 * @param {URL | string} wasmUrl where `client_wasm_bg.wasm` is served
 */
export function loadTls(wasmUrl) {
  return loadAddOn("client_tls", wasmUrl);
}

/**
 * How the page verifies an end-to-end upstream, from `/api/upstreams`.
 * @typedef {{starttls: boolean, serverName: string, extraRootsPem?: string | null,
 *   pinnedSha256: string[], allowCertificateExceptions: boolean}} EndToEndInfo
 */

/** True for upstreams whose TLS runs in the page. */
export function isEndToEnd(/** @type {{tls?: string}} */ upstream) {
  return upstream?.tls === "end-to-end" || upstream?.tls === "end-to-end-starttls";
}

/** Certificate problems the user may be offered to override. */
export const CERTIFICATE_CODES = ["CERT_UNTRUSTED", "CERT_EXPIRED", "CERT_NAME", "CERT_INVALID"];

/**
 * One end-to-end connection's TLS: makes a session per (re)connection and keeps
 * the latest, whose certificate the UI shows.
 */
export class PageTls {
  /**
   * @param {any} module the loaded client_tls.js
   * @param {EndToEndInfo} info
   * @param {string[]} [acceptedFingerprints] SHA-256 fingerprints the user chose to trust
   */
  constructor(module, info, acceptedFingerprints = []) {
    this.module = module;
    this.info = info;
    this.accepted = acceptedFingerprints;
    /** @type {any} */
    this.session = null;
  }

  /** The `endToEnd` option of `ImapClient.connect`. */
  connectOptions() {
    return {
      starttls: this.info.starttls,
      createSession: () => {
        // The previous session belongs to a dropped connection.
        this.session?.free();
        this.session = new this.module.TlsSession(this.info.serverName, {
          extraRootsPem: this.info.extraRootsPem ?? undefined,
          pinnedSha256: [...this.info.pinnedSha256, ...this.accepted],
        });
        return this.session;
      },
    };
  }

  /** What the server presented: `{subject, issuer, sha256, notBefore, notAfter, names}` or null. */
  get certificate() {
    return this.session?.peerCertificate() ?? null;
  }

  /** Why the last handshake failed (`CERT_UNTRUSTED`...), or null. */
  get failureCode() {
    return this.session?.failureCode ?? null;
  }

  /** "TLS 1.3 (TLS_AES_128_GCM_SHA256)" once connected. */
  get protocol() {
    const session = this.session;
    return session?.protocol ? `${session.protocol} (${session.cipherSuite})` : null;
  }

  /** Whether the operator lets users trust a certificate that fails verification. */
  get exceptionsAllowed() {
    return Boolean(this.info.allowCertificateExceptions);
  }
}
