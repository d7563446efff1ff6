// Message HTML made inert: sanitized with DOMPurify, every remote load removed
// until the reader allows it, `cid:` images pointed at local blobs, and wrapped
// in a document whose own Content-Security-Policy blocks whatever slips past.
// The result goes into an iframe sandboxed without scripts (see ui/reader.js).

import createDOMPurify from "dompurify";

/** Attributes that load something when the document renders. */
const RESOURCE_ATTRIBUTES = ["src", "background", "poster", "lowsrc", "dynsrc", "data", "xlink:href", "action", "formaction", "cite", "longdesc"];
/** Schemes a link may keep; anything else (javascript:, data:, file:...) is dropped. */
const LINK = /^(?:https?:|mailto:|tel:|#)/i;
const REMOTE = /^(?:https?:)?\/\//i;
const INLINE_IMAGE = /^data:image\/(?:png|gif|jpe?g|webp|bmp|avif);/i;

/** What the document itself allows: nothing remote, unless the reader asked for it. */
function policy(allowRemote) {
  const remote = allowRemote ? " https: http:" : "";
  return `default-src 'none'; img-src data: blob:${remote}; style-src 'unsafe-inline'${remote}; font-src data:${remote}; media-src 'none'; form-action 'none'; base-uri 'none'`;
}

/** Base styles of the message document: readable, and never wider than the pane without a scrollbar. */
const FRAME_STYLE =
  "html{color-scheme:light;overflow-x:auto}body{margin:0;padding:12px 16px;font:15px/1.5 system-ui,sans-serif;color:#1d1d1f;background:#fff;overflow-wrap:break-word}img{max-width:100%;height:auto}pre{white-space:pre-wrap}blockquote{margin:0 0 0 .5em;padding-left:.8em;border-left:3px solid #c7c7cc;color:#555}";

/**
 * @typedef {object} SafeDocument
 * @property {string} srcdoc the document for the iframe's `srcdoc`
 * @property {number} blocked how many remote loads were removed
 */

let purifier = null;

/** One DOMPurify instance for the page, with hooks reading `current`. */
function instance() {
  if (purifier) return purifier;
  purifier = createDOMPurify(window);
  purifier.addHook("uponSanitizeElement", (node, data) => {
    if (data.tagName === "style" && node.textContent) node.textContent = rewriteCss(node.textContent);
  });
  purifier.addHook("afterSanitizeAttributes", (node) => {
    for (const name of RESOURCE_ATTRIBUTES) {
      if (!node.hasAttribute(name)) continue;
      const value = resource(node.getAttribute(name) ?? "");
      if (value === null) node.removeAttribute(name);
      else node.setAttribute(name, value);
    }
    if (node.hasAttribute("srcset")) {
      const kept = srcset(node.getAttribute("srcset") ?? "");
      if (kept) node.setAttribute("srcset", kept);
      else node.removeAttribute("srcset");
    }
    if (node.hasAttribute("style")) node.setAttribute("style", rewriteCss(node.getAttribute("style") ?? ""));
    if (node.hasAttribute("href")) {
      const href = (node.getAttribute("href") ?? "").trim();
      if (node.localName === "a" || node.localName === "area") {
        if (!LINK.test(href)) node.removeAttribute("href");
        else if (!href.startsWith("#")) {
          node.setAttribute("target", "_blank");
          node.setAttribute("rel", "noopener noreferrer");
        }
      } else {
        node.removeAttribute("href");
      }
    }
    node.removeAttribute("ping");
  });
  return purifier;
}

/** The state of the sanitization in progress (DOMPurify hooks are global). */
let current = { allowRemote: false, cidUrls: new Map(), blocked: 0 };

/**
 * A resource URL as it may stay, or null to drop it: `cid:` → its blob, inline
 * images kept, remote URLs only when allowed, anything else (relative URLs
 * that would hit the bridge, other schemes) dropped.
 * @param {string} raw
 */
function resource(raw) {
  const url = raw.trim();
  if (/^cid:/i.test(url)) {
    let id = url.slice(4);
    try {
      id = decodeURIComponent(id);
    } catch {
      // Not percent-encoded: use it as written.
    }
    return current.cidUrls.get(id.replace(/^<|>$/g, "")) ?? null;
  }
  if (INLINE_IMAGE.test(url) || /^blob:/i.test(url)) return url;
  if (REMOTE.test(url)) {
    if (current.allowRemote) return url.startsWith("//") ? `https:${url}` : url;
    current.blocked += 1;
    return null;
  }
  return null;
}

/** A `srcset` with only the candidates that may load. @param {string} value */
function srcset(value) {
  return value
    .split(/,(?=\s*\S)/)
    .map((candidate) => {
      const [url, ...descriptor] = candidate.trim().split(/\s+/);
      const kept = resource(url ?? "");
      return kept === null ? null : [kept, ...descriptor].join(" ");
    })
    .filter(Boolean)
    .join(", ");
}

/** CSS with escapes undone, so `\75 rl(` cannot hide a `url(` from the rewrite below. @param {string} css */
function unescapeCss(css) {
  return css.replace(/\\([0-9a-f]{1,6})\s?|\\(.)/gi, (_, hex, char) => {
    if (char !== undefined) return char;
    const code = Number.parseInt(hex, 16);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : "\ufffd";
  });
}

/**
 * CSS with every `url()`, `image-set()` and `@import` run through `resource`.
 * @param {string} css
 */
export function rewriteCss(css) {
  const text = unescapeCss(css);
  return text
    .replace(/@import\s+[^;]*;?/gi, (rule) => {
      if (/(?:https?:)?\/\//i.test(rule) && !current.allowRemote) current.blocked += 1;
      return "";
    })
    .replace(/(?:-webkit-)?image-set\(([^)]*)\)/gi, (whole, inner) => {
      const remote = /["'](?:https?:)?\/\//i.test(inner);
      if (remote && !current.allowRemote) {
        current.blocked += 1;
        return "none";
      }
      return whole;
    })
    .replace(/url\(\s*(["']?)([^"')]*)\1\s*\)/gi, (_, __, url) => {
      const kept = resource(url);
      return kept === null ? "none" : `url("${kept.replace(/["\\\n]/g, "")}")`;
    });
}

/**
 * Makes a message's HTML safe to show.
 * @param {string} html as the message has it
 * @param {{allowRemote?: boolean, cidUrls?: Map<string, string>}} [options]
 *   `cidUrls` maps Content-IDs (without angle brackets) to blob URLs
 * @returns {SafeDocument}
 */
export function safeDocument(html, { allowRemote = false, cidUrls = new Map() } = {}) {
  const purify = instance();
  current = { allowRemote, cidUrls, blocked: 0 };
  /** @type {HTMLElement} */
  const root = purify.sanitize(html, {
    WHOLE_DOCUMENT: true,
    RETURN_DOM: true,
    USE_PROFILES: { html: true },
    FORBID_TAGS: ["form", "input", "button", "select", "option", "textarea", "base", "link", "meta", "iframe", "frame", "frameset", "object", "embed", "applet", "video", "audio", "source", "track", "portal", "noscript", "template", "dialog"],
    FORBID_ATTR: ["ping", "autofocus", "tabindex", "accesskey", "contenteditable"],
    ADD_ATTR: ["target"],
    ALLOW_DATA_ATTR: false,
    ALLOW_UNKNOWN_PROTOCOLS: false,
    SANITIZE_DOM: true,
    SANITIZE_NAMED_PROPS: true,
  });
  const blocked = current.blocked;
  current = { allowRemote: false, cidUrls: new Map(), blocked: 0 };
  const document = root.ownerDocument;
  let head = root.querySelector("head");
  if (!head) {
    head = document.createElement("head");
    root.prepend(head);
  }
  const meta = document.createElement("meta");
  meta.setAttribute("http-equiv", "Content-Security-Policy");
  meta.setAttribute("content", policy(allowRemote));
  const charset = document.createElement("meta");
  charset.setAttribute("charset", "utf-8");
  const style = document.createElement("style");
  style.textContent = FRAME_STYLE;
  head.prepend(meta, charset, style);
  return { srcdoc: `<!doctype html>${root.outerHTML}`, blocked };
}
