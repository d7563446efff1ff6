// The app shell's service worker: the page, its script, the wasm modules and
// the icons, kept per version so a page and its wasm always come from the same
// build. Mail never passes through here: the WebSocket, /api/ and everything
// else go to the network untouched.
//
// web/build.mjs writes VERSION (a hash of the shell's bytes) and SHELL.
const VERSION = "__VERSION__";
const SHELL = __SHELL__;
const PREFIX = "webmail-shell-";
const CACHE = PREFIX + VERSION;

self.addEventListener("install", (event) => {
  // `reload`: straight from the bridge, never from the HTTP cache of an older build.
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL.map((file) => new Request(file, { cache: "reload" })))));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  const scope = new URL(self.registration.scope);
  if (url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return;
  let file = url.pathname.slice(scope.pathname.length);
  if (request.mode === "navigate" && (file === "" || file === "index.html")) file = "index.html";
  if (!SHELL.includes(file)) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      // The bridge varies its files on Origin for embedding pages; the shell is this origin's alone.
      return (await cache.match(file, { ignoreVary: true })) ?? fetch(request);
    })(),
  );
});
