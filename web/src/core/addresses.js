// Addresses as people type them and as they are remembered: an RFC 5322
// address-list reader forgiving enough for typing (quoted names with commas,
// comments, groups, a trailing entry not finished yet), and the correspondents
// this device has seen, ranked for autocomplete.

/** @typedef {{name?: string | null, address: string}} Mailbox */

/**
 * Splits an address list at its top-level commas and semicolons; a group's
 * name ("Team: a@x, b@y;") is dropped and its members kept. The last entry is
 * `open` when nothing ended it yet (the user is still typing it).
 * @param {string} text
 * @returns {{entries: string[], open: string}}
 */
export function splitAddressList(text) {
  const entries = [];
  let current = "";
  let quoted = false;
  let angle = false;
  let comment = 0;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (quoted) {
      current += char;
      if (char === "\\" && index + 1 < text.length) current += text[++index];
      else if (char === '"') quoted = false;
    } else if (comment) {
      current += char;
      if (char === "\\" && index + 1 < text.length) current += text[++index];
      else if (char === "(") comment++;
      else if (char === ")") comment--;
    } else if (char === '"') {
      quoted = true;
      current += char;
    } else if (char === "(") {
      comment = 1;
      current += char;
    } else if (char === "<") {
      angle = true;
      current += char;
    } else if (char === ">") {
      angle = false;
      current += char;
    } else if (!angle && (char === "," || char === ";")) {
      if (current.trim()) entries.push(current.trim());
      current = "";
    } else if (!angle && char === ":") {
      // The group's display name: the members that follow are what counts.
      current = "";
    } else {
      current += char;
    }
  }
  return { entries, open: current.trim() };
}

/** local@domain: a dot-atom or quoted local part, a dot-atom domain or an address literal; never a control character. */
const ADDRESS = /^(?:[^\s@<>()[\]\\,;:"\0-\x1f\x7f]+|"(?:[^"\\\0-\x1f\x7f]|\\[^\0-\x1f\x7f])*")@(?:[^\s@<>()[\]\\,;:"\0-\x1f\x7f]+|\[[^\][\\\s\0-\x1f\x7f]*\])$/;

/** Whether `address` is something a server can be asked to deliver to. @param {string} address */
export function isAddress(address) {
  return ADDRESS.test(address) && !/\.\.|^\.|\.@|@\.|\.$/.test(address.replace(/"(?:[^"\\]|\\.)*"/, "q"));
}

/** Drops RFC 5322 comments ("(work)") outside quoted strings. @param {string} text */
function withoutComments(text) {
  let out = "";
  let quoted = false;
  let comment = 0;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (comment) {
      if (char === "\\") index++;
      else if (char === "(") comment++;
      else if (char === ")") comment--;
      continue;
    }
    if (char === '"' && text[index - 1] !== "\\") quoted = !quoted;
    if (char === "(" && !quoted) {
      comment = 1;
      continue;
    }
    out += char;
  }
  return out;
}

/**
 * One entry of an address list: `Name <address>`, `"Doe, John" <address>` or a bare address.
 * @param {string} entry
 * @returns {Mailbox | null} null when it holds no deliverable address
 */
export function parseMailbox(entry) {
  const text = withoutComments(entry).trim();
  const angle = /^(.*)<([^<>]*)>$/s.exec(text);
  const address = (angle ? angle[2] : text).trim();
  if (!isAddress(address)) return null;
  let name = angle ? angle[1].trim() : "";
  const quotedName = /^"((?:[^"\\]|\\.)*)"$/s.exec(name);
  if (quotedName) name = quotedName[1].replace(/\\(.)/g, "$1");
  return { name: name || null, address };
}

/**
 * Parses what a user types in an address field: "Bob <bob@x.org>, carol@x.org".
 * @param {string} text
 * @returns {{mailboxes: Mailbox[], invalid: string[]}}
 */
export function parseAddresses(text) {
  const { entries, open } = splitAddressList(text);
  /** @type {Mailbox[]} */
  const mailboxes = [];
  const invalid = [];
  for (const entry of open ? [...entries, open] : entries) {
    const mailbox = parseMailbox(entry);
    if (mailbox) mailboxes.push(mailbox);
    else invalid.push(entry);
  }
  return { mailboxes, invalid };
}

/**
 * The addresses of a message's header (`{ name, address }`, the address null
 * for a group's name) as mailboxes, those without an address left out.
 * @param {{name: string | null, address: string | null}[]} list
 * @returns {Mailbox[]}
 */
export function mailboxesOf(list) {
  return list.flatMap((entry) => (entry.address ? [{ name: entry.name, address: entry.address }] : []));
}

/** A name as a header shows it: quoted when it holds a separator. @param {string} name */
function displayName(name) {
  return /[,;:"<>()@\\]/.test(name) ? `"${name.replace(/["\\]/g, "\\$&")}"` : name;
}

/** @param {Mailbox[]} list */
export function formatAddresses(list) {
  return list.map((entry) => (entry.name ? `${displayName(entry.name)} <${entry.address}>` : entry.address)).join(", ");
}

/** Half-life of a sighting's weight: a correspondent of last month outranks one of last year. */
const HALF_LIFE_MS = 30 * 24 * 3600 * 1000;
/** Scores are kept relative to this instant so they stay finite numbers. */
const EPOCH_MS = Date.UTC(2020, 0, 1);
/** Addresses kept per user; the lowest ranked go first. */
const KEEP = 2000;

/**
 * @typedef {{name: string | null, address: string, score: number}} Correspondent
 * @typedef {Pick<Storage, "getItem" | "setItem" | "removeItem">} KeyValueStore
 */

/**
 * The people this device has seen the user write to or hear from, for the
 * address fields' suggestions: ranked by frequency and recency together (each
 * sighting weighs 2^(age / 30 days) less), kept in this browser only.
 */
export class Correspondents {
  /**
   * @param {string} user whose correspondents (one list per signed-in user)
   * @param {KeyValueStore | null} storage null keeps them for this page only
   */
  constructor(user, storage) {
    this.key = `webmail.correspondents:${user.toLowerCase()}`;
    this.storage = storage;
    /** @type {Map<string, Correspondent>} by lower-cased address */
    this.byAddress = new Map();
    /** Messages already counted in this page: rows are fetched again as the user scrolls. */
    this.counted = new Set();
    /** @type {ReturnType<typeof setTimeout> | null} */
    this.pendingSave = null;
    try {
      const saved = JSON.parse(storage?.getItem(this.key) ?? "[]");
      for (const entry of Array.isArray(saved) ? saved : []) {
        if (typeof entry?.address === "string" && typeof entry.score === "number") this.byAddress.set(entry.address.toLowerCase(), entry);
      }
    } catch {
      // An unreadable list starts again; it only ranks suggestions.
    }
  }

  /**
   * Counts the people of one message (or one sent message).
   * @param {Mailbox[]} people
   * @param {{weight?: number, date?: number, key?: string}} [sighting] `weight` 1 for a message read,
   *   more for one the user sent; `date` when it was written (ms); `key` counts each message once
   */
  seen(people, { weight = 1, date = Date.now(), key } = {}) {
    if (key !== undefined) {
      if (this.counted.has(key)) return;
      this.counted.add(key);
    }
    const when = Math.min(Number.isFinite(date) ? date : Date.now(), Date.now());
    const gain = weight * 2 ** ((when - EPOCH_MS) / HALF_LIFE_MS);
    for (const person of people) {
      if (!person?.address || !isAddress(person.address)) continue;
      const id = person.address.toLowerCase();
      const known = this.byAddress.get(id);
      if (known) {
        known.score += gain;
        if (person.name) known.name = person.name;
      } else {
        this.byAddress.set(id, { name: person.name || null, address: person.address, score: gain });
      }
    }
    this.scheduleSave();
  }

  /**
   * The best matches for what is being typed: the address or a word of the
   * name starts with it.
   * @param {string} typed
   * @param {{limit?: number, except?: Iterable<string>}} [options] `except`: addresses already chosen
   * @returns {Mailbox[]}
   */
  suggest(typed, { limit = 8, except = [] } = {}) {
    const needle = typed.trim().toLowerCase();
    if (!needle) return [];
    const skip = new Set([...except].map((address) => address.toLowerCase()));
    const matches = [];
    for (const [id, entry] of this.byAddress) {
      if (skip.has(id)) continue;
      const words = (entry.name ?? "").toLowerCase().split(/[\s"'.,()-]+/);
      if (id.startsWith(needle) || (entry.name ?? "").toLowerCase().startsWith(needle) || words.some((word) => word.startsWith(needle))) matches.push(entry);
    }
    matches.sort((a, b) => b.score - a.score);
    return matches.slice(0, limit).map(({ name, address }) => ({ name, address }));
  }

  scheduleSave() {
    if (!this.storage || this.pendingSave) return;
    this.pendingSave = setTimeout(() => this.save(), 1000);
  }

  /** Removes the list from storage; from now on it lives in this page only. */
  forget() {
    if (this.pendingSave) clearTimeout(this.pendingSave);
    this.pendingSave = null;
    try {
      this.storage?.removeItem(this.key);
    } catch {
      // Nothing was stored.
    }
    this.storage = null;
  }

  /** Writes the list now (the page may be closing). */
  save() {
    if (this.pendingSave) clearTimeout(this.pendingSave);
    this.pendingSave = null;
    const kept = [...this.byAddress.values()].sort((a, b) => b.score - a.score).slice(0, KEEP);
    try {
      this.storage?.setItem(this.key, JSON.stringify(kept));
    } catch {
      // Storage full or refused: suggestions still work for this page.
    }
  }
}
