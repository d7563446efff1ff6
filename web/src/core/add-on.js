// The wasm modules a page fetches only when first needed (TLS in the page,
// compose), each next to the base client's wasm. Not imported by name: the
// bundler leaves them alone and the browser fetches them on demand.

/** @type {Map<string, Promise<any>>} */
const loading = new Map();

/**
 * Loads `pkg/NAME.js` and its `NAME_bg.wasm` once per page.
 * @param {string} name e.g. "client_tls"
 * @param {URL | string} wasmUrl where `client_wasm_bg.wasm` is served
 */
export function loadAddOn(name, wasmUrl) {
  const js = new URL(`${name}.js`, wasmUrl).href;
  if (!loading.has(js)) {
    const wasm = new URL(`${name}_bg.wasm`, wasmUrl);
    const started = import(/* webpackIgnore: true */ js).then(async (module) => {
      await module.default({ module_or_path: wasm });
      return module;
    });
    started.catch(() => loading.delete(js));
    loading.set(js, started);
  }
  return /** @type {Promise<any>} */ (loading.get(js));
}
