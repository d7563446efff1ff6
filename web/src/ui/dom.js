// A small DOM builder: templates are plain functions returning elements, and
// text always goes in as text nodes, never as HTML.

/**
 * Creates an element. `attrs` keys starting with "on" add listeners, `class`
 * and `dataset`/`style` objects are applied, `true`/`false` toggle boolean
 * attributes, null/undefined skip; children may be strings, nodes or arrays.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, any> | null} [attrs]
 * @param {...any} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs, ...children) {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") element.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(element.dataset, value);
    else if (key === "style" && typeof value === "object") Object.assign(element.style, value);
    else if (key === "html") throw new Error("h(): raw HTML is not supported");
    else element.setAttribute(key, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

/** @param {Element | DocumentFragment} parent @param {any[]} children */
function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.append(child instanceof Node ? child : String(child));
  }
}

/**
 * An inline SVG icon from path data; hidden from screen readers (buttons carry names).
 * @param {string} paths one or more `d` values separated by "|"
 */
export function icon(paths) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("class", "icon");
  for (const d of paths.split("|")) {
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}

/**
 * Dispatches a verb-named event that bubbles up to the app.
 * @param {EventTarget} from
 * @param {string} type
 * @param {unknown} [detail]
 */
export function emit(from, type, detail) {
  from.dispatchEvent(new CustomEvent(type, { detail, bubbles: true }));
}
