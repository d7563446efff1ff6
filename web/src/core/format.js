// Display formatting shared by the list and the reader: dates, sizes, addresses.

/**
 * A short date for a list row: the time today, the day and month this year,
 * the full date otherwise.
 * @param {string | null} iso
 * @param {Date} [now]
 */
export function shortDate(iso, now = new Date()) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  if (date.toDateString() === now.toDateString()) {
    return date.toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
  }
  if (date.getFullYear() === now.getFullYear()) {
    return date.toLocaleDateString(undefined, { month: "short", day: "numeric" });
  }
  return date.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

/** The full date and time for the reading pane. @param {string | null} iso */
export function longDate(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleString(undefined, { dateStyle: "full", timeStyle: "short" });
}

/** Bytes as "532 B", "14 KB", "3.2 MB". @param {number} bytes */
export function byteSize(bytes) {
  if (!Number.isFinite(bytes) || bytes < 0) return "";
  if (bytes < 1000) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/**
 * One address for display: the name when there is one, else the address.
 * @param {{name: string | null, address: string | null} | undefined} address
 */
export function addressName(address) {
  if (!address) return "";
  return (address.name || address.address || "").trim();
}

/**
 * An address with both parts, "Alice <alice@example.org>".
 * @param {{name: string | null, address: string | null}} address
 */
export function fullAddress(address) {
  const name = (address.name || "").trim();
  const mail = (address.address || "").trim();
  if (name && mail && name !== mail) return `${name} <${mail}>`;
  return name || mail;
}

/** A list of addresses, comma separated. @param {{name: string | null, address: string | null}[]} list */
export function addressList(list) {
  return (list || []).map(fullAddress).filter(Boolean).join(", ");
}

/** Thousands separators for counts. @param {number} count */
export function count(count) {
  return count.toLocaleString();
}
