// The app's styles: one CSS file per component, adopted by the shadow root.
// Constructed style sheets need no 'unsafe-inline' in the embedding page's CSP.

import theme from "./theme.css";
import app from "./app.css";
import signIn from "./sign-in.css";
import folderTree from "./folder-tree.css";
import messageGrid from "./message-grid.css";
import reader from "./reader.css";
import dialogs from "./dialogs.css";
import toast from "./toast.css";
import compose from "./compose.css";

let sheet = /** @type {CSSStyleSheet | null} */ (null);

/** The shared sheet, built on first use. */
export function styles() {
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync([theme, app, signIn, folderTree, messageGrid, reader, dialogs, toast, compose].join("\n"));
  }
  return sheet;
}
