// Loading the wasm client and signing in through the bridge.

import init, { ImapClient } from "../../pkg/client_wasm.js";

let loading = null;

/**
 * Loads and compiles the wasm client once per page.
 * @param {URL | string} wasmUrl where `client_wasm_bg.wasm` is served
 */
export function loadClient(wasmUrl) {
  loading ??= init({ module_or_path: wasmUrl }).catch((error) => {
    loading = null;
    throw error;
  });
  return loading;
}

/**
 * The bridge's HTTP base for a WebSocket URL: `wss://host/ws` → `https://host/`.
 * @param {string} bridge
 */
export function bridgeBase(bridge) {
  const url = new URL(bridge, globalThis.location?.href);
  url.protocol = url.protocol === "wss:" ? "https:" : url.protocol === "ws:" ? "http:" : url.protocol;
  url.pathname = url.pathname.replace(/ws\/?$/, "");
  url.search = "";
  return url;
}

/**
 * Servers the bridge offers, for the sign-in form.
 * @param {string} bridge the WebSocket URL
 * @returns {Promise<{upstreams: {name: string, label: string, tls: string}[], customServers: boolean}>}
 */
export async function fetchUpstreams(bridge) {
  const response = await fetch(new URL("api/upstreams", bridgeBase(bridge)), { credentials: "omit" });
  if (!response.ok) throw new Error(`the bridge answered ${response.status} for its server list`);
  return response.json();
}

/**
 * Connects through the bridge and logs in; with `pageTls` (end-to-end upstreams)
 * TLS runs in the page and the bridge relays only ciphertext.
 * @param {{bridge: string, upstream?: string, host?: string, port?: number, username: string, password: string,
 *   wasmUrl: URL | string, pageTls?: import("./page-tls.js").PageTls}} options
 * @returns {Promise<ImapClient>}
 */
export async function signIn({ bridge, upstream, host, port, username, password, wasmUrl, pageTls }) {
  await loadClient(wasmUrl);
  const endToEnd = pageTls?.connectOptions();
  const client = await ImapClient.connect({ url: bridge, upstream, host, port, reconnect: true, idle: true, endToEnd });
  try {
    await client.login(username, password);
  } catch (error) {
    await client.logout().catch(() => {});
    client.free();
    throw error;
  }
  return client;
}
