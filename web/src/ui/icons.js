// Icon path data (24×24, stroked), drawn for this project.

export const ICONS = {
  inbox: "M3 13h5l2 3h4l2-3h5|M5 5h14l2 8v6H3v-6z",
  drafts: "M4 20h4L19 9l-4-4L4 16z|M13.5 6.5l4 4",
  sent: "M3 11l18-8-8 18-2-8z|M11 13l10-10",
  archive: "M3 4h18v4H3z|M5 8v12h14V8|M10 12h4",
  junk: "M12 3l9 16H3z|M12 10v4|M12 17v.5",
  trash: "M4 7h16|M9 7V4h6v3|M6 7l1 13h10l1-13",
  folder: "M3 6h6l2 2h10v11H3z",
  all: "M4 6h16|M4 12h16|M4 18h16",
  flagged: "M5 21V4|M5 4h12l-2 4 2 4H5",
  star: "M12 3l2.8 5.8 6.2.9-4.5 4.4 1 6.2L12 17.4 6.5 20.3l1-6.2L3 9.7l6.2-.9z",
  paperclip: "M8 12.5l6.5-6.5a3.5 3.5 0 015 5L11 19.5a5.5 5.5 0 01-8-8L10 4.5",
  chevron: "M9 6l6 6-6 6",
  back: "M15 6l-6 6 6 6",
  menu: "M4 6h16|M4 12h16|M4 18h16",
  search: "M10.5 17a6.5 6.5 0 110-13 6.5 6.5 0 010 13z|M15.5 15.5L21 21",
  close: "M6 6l12 12|M18 6L6 18",
  plus: "M12 5v14|M5 12h14",
  more: "M5 12h.01|M12 12h.01|M19 12h.01",
  read: "M3 8l9 6 9-6|M3 8v11h18V8|M3 8l9-5 9 5",
  unread: "M3 6h18v13H3z|M3 6l9 7 9-7",
  move: "M3 6h6l2 2h10v11H3z|M10 13h6|M13 10l3 3-3 3",
  copy: "M8 8h11v12H8z|M5 16V4h11",
  download: "M12 4v11|M7 10l5 5 5-5|M5 20h14",
  source: "M8 8l-4 4 4 4|M16 8l4 4-4 4|M13.5 5l-3 14",
  keyboard: "M3 7h18v11H3z|M7 11h.01|M11 11h.01|M15 11h.01|M8 15h8",
  signout: "M15 4h4v16h-4|M10 8l-4 4 4 4|M6 12h10",
  lock: "M5 11h14v10H5z|M8 11V7a4 4 0 018 0v4|M12 15v2",
  thread: "M4 6h10|M8 12h12|M8 18h12|M4 6v12",
  sort: "M7 4v16|M3 16l4 4 4-4|M17 20V4|M13 8l4-4 4 4",
  compose: "M4 20h4L19 9l-4-4L4 16z|M13.5 6.5l4 4|M14 20h6",
  reply: "M10 8L5 12l5 4|M5 12h9a5 5 0 015 5v2",
  replyAll: "M8 8l-5 4 5 4|M13 8l-5 4 5 4|M8 12h7a5 5 0 015 5v2",
  forward: "M14 8l5 4-5 4|M19 12h-9a5 5 0 00-5 5v2",
};

const FOLDER_ICONS = new Map([
  ["\\Inbox", ICONS.inbox],
  ["\\Drafts", ICONS.drafts],
  ["\\Sent", ICONS.sent],
  ["\\Archive", ICONS.archive],
  ["\\Junk", ICONS.junk],
  ["\\Trash", ICONS.trash],
  ["\\All", ICONS.all],
  ["\\Flagged", ICONS.flagged],
]);

/** The icon of a folder by its special use. @param {string | null} role */
export function folderIcon(role) {
  return (role && FOLDER_ICONS.get(role)) || ICONS.folder;
}
