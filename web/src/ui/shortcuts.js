// Keyboard shortcuts: which command a key press means. Pure, so it is unit tested.

/** Shown by "?" in this order. */
export const SHORTCUTS = /** @type {[string, string][]} */ ([
  ["j ↓", "Next message"],
  ["k ↑", "Previous message"],
  ["Shift+↓ Shift+↑", "Extend the selection"],
  ["Enter o", "Open the message"],
  ["# Delete", "Delete"],
  ["e", "Archive"],
  ["s", "Flag or unflag"],
  ["u", "Mark as read or unread"],
  ["c", "New message"],
  ["r", "Reply (to the open message)"],
  ["a", "Reply to all"],
  ["f", "Forward"],
  ["Ctrl+A", "Select all messages"],
  ["/", "Search"],
  ["?", "Show these shortcuts"],
  ["Esc", "Close the message, the search or a menu"],
]);

/**
 * The command for a key press, or null to let the browser have it.
 * @param {{key: string, ctrlKey?: boolean, metaKey?: boolean, altKey?: boolean, shiftKey?: boolean}} event
 * @param {{typing: boolean}} context `typing` when focus is in a text field
 * @returns {string | null}
 */
export function commandFor(event, { typing }) {
  if (event.key === "Escape") return "escape";
  if (typing || event.altKey) return null;
  const command = event.ctrlKey || event.metaKey;
  if (command) return event.key.toLowerCase() === "a" ? "select-all" : null;
  switch (event.key) {
    case "j":
      return "next";
    case "k":
      return "previous";
    case "ArrowDown":
      return event.shiftKey ? "extend-next" : "next";
    case "ArrowUp":
      return event.shiftKey ? "extend-previous" : "previous";
    case "Enter":
    case "o":
      return "open";
    case "#":
    case "Delete":
      return "delete";
    case "e":
      return "archive";
    case "s":
      return "flag";
    case "u":
      return "read";
    case "c":
      return "compose";
    case "r":
      return "reply";
    case "a":
      return "reply-all";
    case "f":
      return "forward";
    case "/":
      return "search";
    case "?":
      return "help";
    default:
      return null;
  }
}
