// Builds the UI into web/dist/: the bundled <webmail-app> (webmail-app.js),
// the page, and the wasm package from web/pkg/ (scripts/build-wasm.sh makes it).
// Prints gzip sizes of everything a first load fetches.
import { build } from "esbuild";
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, existsSync, writeFileSync } from "node:fs";
import { gzipSync, brotliCompressSync, constants } from "node:zlib";
import { createHash } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";

const WEB = path.dirname(fileURLToPath(import.meta.url));
const DIST = path.join(WEB, "dist");
const PKG = path.join(WEB, "pkg");

if (!existsSync(path.join(PKG, "client_wasm_bg.wasm"))) {
  console.error("build-web: web/pkg/ is missing; run scripts/build-wasm.sh first");
  process.exit(1);
}
rmSync(DIST, { recursive: true, force: true });
mkdirSync(DIST, { recursive: true });

await build({
  entryPoints: [path.join(WEB, "src/main.js")],
  bundle: true,
  format: "esm",
  target: ["chrome111", "firefox115", "safari16.4"],
  minify: true,
  legalComments: "eof",
  sourcemap: "linked",
  loader: { ".css": "text" },
  outfile: path.join(DIST, "webmail-app.js"),
  logLevel: "warning",
});
// The IMAP side of compose for pages with their own UI (saveDraft, loadDraft,
// afterSend): a module of its own, importable from the bridge.
await build({
  entryPoints: [path.join(WEB, "src/core/drafts.js")],
  bundle: true,
  format: "esm",
  target: ["chrome111", "firefox115", "safari16.4"],
  outfile: path.join(DIST, "drafts.js"),
  logLevel: "warning",
});
for (const file of ["index.html", "page.js", "favicon.svg", "manifest.webmanifest"]) cpSync(path.join(WEB, file), path.join(DIST, file));
cpSync(PKG, path.join(DIST, "pkg"), { recursive: true });

// The service worker keeps these, per version: everything the app runs, the
// modules it loads later included, so a page never meets a wasm of another build.
const SHELL = ["index.html", "page.js", "webmail-app.js", "favicon.svg", "manifest.webmanifest", "pkg/client_wasm_bg.wasm"];
for (const name of ["client_tls", "client_compose"]) {
  if (existsSync(path.join(DIST, `pkg/${name}.js`))) SHELL.push(`pkg/${name}.js`, `pkg/${name}_bg.wasm`);
}
const version = createHash("sha256");
for (const file of SHELL) version.update(file).update(readFileSync(path.join(DIST, file)));
writeFileSync(
  path.join(DIST, "sw.js"),
  readFileSync(path.join(WEB, "sw.js"), "utf8")
    .replace('"__VERSION__"', JSON.stringify(version.digest("hex").slice(0, 16)))
    .replace("__SHELL__", JSON.stringify(SHELL)),
);

// Precompressed copies at the highest levels: the bridge serves them as they
// are (no compression work per request), brotli to browsers that take it.
const COMPRESSIBLE = /\.(html|js|mjs|wasm|svg|css|map|json|ts)$/;
const compress = (dir) => {
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) compress(file);
    else if (COMPRESSIBLE.test(name)) {
      const bytes = readFileSync(file);
      writeFileSync(`${file}.gz`, gzipSync(bytes, { level: 9 }));
      writeFileSync(`${file}.br`, brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }));
    }
  }
};
compress(DIST);

const firstLoad = ["index.html", "page.js", "webmail-app.js", "pkg/client_wasm_bg.wasm", "favicon.svg"];
let total = 0;
let totalBr = 0;
for (const file of firstLoad) {
  const size = (suffix) => statSync(path.join(DIST, file + suffix)).size;
  total += size(".gz");
  totalBr += size(".br");
  console.log(`build-web: ${file.padEnd(24)} ${String(size("")).padStart(8)} bytes, ${String(size(".gz")).padStart(7)} gzip, ${String(size(".br")).padStart(7)} brotli`);
}
console.log(`build-web: first load ${total} bytes gzip (${(total / 1024).toFixed(1)} KiB), ${totalBr} brotli (${(totalBr / 1024).toFixed(1)} KiB)`);

// Modules fetched when first needed: TLS in the page (end-to-end upstreams) and
// compose (the first "New message"; its goal is 60 KiB gzip).
for (const [name, what] of [["client_tls", "TLS add-on (end-to-end upstreams only)"], ["client_compose", "compose module (first New message)"]]) {
  const addOn = [`pkg/${name}.js`, `pkg/${name}_bg.wasm`].filter((file) => existsSync(path.join(DIST, file)));
  if (addOn.length) {
    const gz = addOn.reduce((sum, file) => sum + statSync(path.join(DIST, `${file}.gz`)).size, 0);
    console.log(`build-web: ${what} ${gz} bytes gzip (${(gz / 1024).toFixed(1)} KiB)`);
  }
}
