// Links in plain-text mail: the text split into runs, with web and mail
// addresses marked, so the reader can build DOM nodes without any HTML parsing.

const PATTERN = /\b(?:https?:\/\/|www\.)[^\s<>"]+|\bmailto:[^\s<>"]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+/gi;
/** Punctuation that ends a sentence rather than a URL. */
const TRAILING = /[.,;:!?'")\]}>]+$/;

/**
 * @typedef {{text: string, href?: string}} Run
 */

/**
 * Splits `text` into runs; runs with `href` are links.
 * @param {string} text
 * @returns {Run[]}
 */
export function linkRuns(text) {
  /** @type {Run[]} */
  const runs = [];
  let last = 0;
  for (const match of text.matchAll(PATTERN)) {
    let found = match[0];
    const start = match.index ?? 0;
    const trailing = TRAILING.exec(found);
    // Keep a closing parenthesis that belongs to the URL, as in Wikipedia links.
    if (trailing) {
      let cut = trailing[0];
      if (cut.startsWith(")") && found.includes("(")) cut = cut.slice(1);
      found = found.slice(0, found.length - cut.length);
    }
    if (!found) continue;
    if (start > last) runs.push({ text: text.slice(last, start) });
    let href;
    if (/^www\./i.test(found)) href = `https://${found}`;
    else if (/^(?:https?|mailto):/i.test(found)) href = found;
    else href = `mailto:${found}`;
    runs.push({ text: found, href });
    last = start + found.length;
  }
  if (last < text.length) runs.push({ text: text.slice(last) });
  return runs;
}
