// A server certificate as people check it: who it names, who vouches for it,
// its SHA-256 fingerprint (to compare with what the administrator publishes).

import { h } from "./dom.js";

/**
 * @typedef {{subject: string, issuer: string, sha256: string, notBefore: string | null,
 *   notAfter: string | null, names: string[]}} CertificateInfo
 */

/**
 * The facts of a certificate as a description list.
 * @param {CertificateInfo} certificate
 * @param {string | null} [protocol] e.g. "TLS 1.3 (TLS_AES_128_GCM_SHA256)"
 */
export function certificateDetails(certificate, protocol = null) {
  /** @type {[string, string][]} */
  const rows = [
    ["Subject", certificate.subject],
    ["Issuer", certificate.issuer],
    ["Valid for", certificate.names.join(", ") || "(no names)"],
    ["Valid from", certificate.notBefore ?? "unknown"],
    ["Valid until", certificate.notAfter ?? "unknown"],
    ["SHA-256", certificate.sha256],
  ];
  if (protocol) rows.push(["Connection", protocol]);
  return h(
    "dl",
    { class: "certificate" },
    rows.map(([term, value]) => h("div", null, h("dt", null, term), h("dd", { class: term === "SHA-256" ? "fingerprint" : null }, value))),
  );
}
