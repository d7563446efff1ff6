// Loads the wasm client and reports its version; the full UI builds on this.
import init, { version } from "./pkg/client_wasm.js";

const status = document.getElementById("status");
try {
  await init();
  status.textContent = `Mail client ${version()} loaded.`;
  document.documentElement.dataset.clientReady = "true";
} catch (error) {
  status.textContent = `The mail client could not load: ${error.message}`;
}
