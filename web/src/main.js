// The embeddable entry point: defines <webmail-app>. Load it as a module:
//   <script type="module" src="https://mail.example.org/webmail-app.js"></script>
//   <webmail-app bridge="wss://mail.example.org/ws"></webmail-app>

import { WebmailApp } from "./ui/app.js";

export { WebmailApp };

if (!customElements.get("webmail-app")) customElements.define("webmail-app", WebmailApp);
