// The bridge's own page: the webmail as an installable app. Its service worker
// keeps the app shell (page, script, wasm, icons) so the app starts without a
// connection; pages that embed <webmail-app> load webmail-app.js alone and own
// their service worker, if any.
import "./webmail-app.js";

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("./sw.js").catch((error) => console.warn(`The app cannot work offline: ${error.message}`));
}
