//! TypeScript declarations of every shape the API takes and returns; they are
//! appended to the generated `client_wasm.d.ts`.

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::client::types::{SelectInfo, SyncChanges};

/// What `selectSince` resolves with.
#[derive(Serialize)]
pub(super) struct SelectedSince {
    pub(super) info: SelectInfo,
    pub(super) changes: SyncChanges,
}

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** How to reach the IMAP server through the bridge. */
export interface ConnectOptions {
  /** The bridge's WebSocket endpoint, e.g. `wss://mail.example.org/ws`. */
  url: string;
  /** A configured upstream's name (from `GET /api/upstreams`). */
  upstream?: string;
  /** A server the user typed, where the bridge allows it (with `port`). */
  host?: string;
  port?: number;
  /** Reconnect and resynchronize when the connection drops (default true). */
  reconnect?: boolean;
  /** Sit in IDLE while quiet so changes arrive live (default true). */
  idle?: boolean;
  /** Use COMPRESS=DEFLATE when offered (default false). */
  compress?: boolean;
  /**
   * TLS in the page for an end-to-end upstream (`tls` "end-to-end" or
   * "end-to-end-starttls" in `/api/upstreams`): the bridge then relays only
   * ciphertext. Load `client_tls.js` and pass a factory:
   * `{ createSession: () => new TlsSession(serverName, trust), starttls }`.
   */
  endToEnd?: EndToEndOptions;
}

/** TLS from the page; see `ConnectOptions.endToEnd`. */
export interface EndToEndOptions {
  /** Returns a fresh TLS session (client-tls's `TlsSession`) for each connection and reconnection. */
  createSession: () => {
    receive(ciphertext: Uint8Array): Uint8Array;
    takeOutgoing(): Uint8Array;
    send(plaintext: Uint8Array): void;
    readonly handshakeDone: boolean;
  };
  /** Send STARTTLS in plaintext before the handshake ("end-to-end-starttls"). */
  starttls?: boolean;
}

/** SASL login. */
export interface AuthenticateOptions {
  mechanism: "PLAIN" | "LOGIN" | "XOAUTH2" | "OAUTHBEARER";
  user: string;
  password?: string;
  /** OAuth 2 access token for XOAUTH2 and OAUTHBEARER. */
  token?: string;
}

export type ConnectionState = "connecting" | "ready" | "reconnecting" | "closed";

/** Codes of the `code` property of every rejected promise's `Error`. */
export type ErrorCode =
  | "AUTH_FAILED" | "NO_SUCH_MAILBOX" | "CONNECTION_LOST" | "BRIDGE_REFUSED" | "TLS_FAILED"
  | "TIMEOUT" | "SERVER_ERROR" | "PROTOCOL_ERROR" | "INVALID_ARGUMENT";

/** What every method rejects with. */
export interface ImapError extends Error { code: ErrorCode; }

export interface MailboxStatus {
  messages: number | null;
  unseen: number | null;
  recent: number | null;
  uidNext: number | null;
  uidValidity: number | null;
  highestModseq: number | null;
}

export interface Mailbox {
  /** Last path component, for display. */
  name: string;
  /** Full name, to select it. */
  path: string;
  delimiter: string | null;
  /** LIST attributes as the server sent them. */
  flags: string[];
  /** "\\Inbox" | "\\Sent" | "\\Drafts" | "\\Trash" | "\\Junk" | "\\Archive" | "\\All" | "\\Flagged" | "\\Important" */
  specialUse: string | null;
  subscribed: boolean;
  children: boolean;
  selectable: boolean;
  /** Counts, when the server sends them with the list (LIST-STATUS). */
  status: MailboxStatus | null;
}

export interface SelectInfo {
  path: string;
  exists: number;
  recent: number;
  /** Number of unseen messages. */
  unseen: number;
  uidValidity: number;
  uidNext: number;
  flags: string[];
  permanentFlags: string[];
  highestModseq: number | null;
  readOnly: boolean;
}

/** What the page kept of a mailbox, for `selectSince`. */
export interface Since {
  uidValidity: number;
  /** The HIGHESTMODSEQ the copy is up to date with, where the server has CONDSTORE. */
  highestModseq?: number | null;
  /** The UIDs the copy holds. */
  uids: number[];
}

/** What changed in a mailbox since a kept copy. */
export interface SyncChanges {
  /** The UIDVALIDITY changed: drop the copy, every kept UID is meaningless. */
  reset: boolean;
  /** Kept UIDs no longer in the mailbox. */
  vanished: number[];
  /** Kept messages with their flags now (without CONDSTORE: the newest 500 kept ones). */
  flags: { uid: number; flags: string[] }[];
}

export interface SelectedSince {
  info: SelectInfo;
  changes: SyncChanges;
}

export interface Address { name: string | null; address: string | null; }

export interface Envelope {
  /** ISO 8601, UTC. */
  date: string | null;
  subject: string | null;
  from: Address[];
  sender: Address[];
  replyTo: Address[];
  to: Address[];
  cc: Address[];
  bcc: Address[];
  inReplyTo: string | null;
  messageId: string | null;
}

export interface MessageSummary {
  uid: number;
  seq: number;
  flags: string[];
  size: number;
  /** Arrival time, ISO 8601 UTC. */
  internalDate: string | null;
  envelope: Envelope;
  hasAttachments: boolean;
  /** With `{ preview: true }` on a server that has PREVIEW; null otherwise. */
  preview: string | null;
  /** Gmail labels, where the server has them. */
  labels: string[] | null;
}

export interface Attachment {
  /** Pass to `fetchPart`. */
  partId: string;
  filename: string | null;
  contentType: string;
  /** Decoded size in bytes (estimated for base64). */
  size: number;
  /** For `cid:` references in the HTML, without angle brackets. */
  contentId: string | null;
  /** An image the HTML shows, rather than a file to list. */
  inline: boolean;
  encoding: string;
}

export interface Message {
  uid: number;
  /** Every header, decoded, in order. */
  headers: [string, string][];
  subject: string | null;
  from: Address[];
  to: Address[];
  cc: Address[];
  bcc: Address[];
  replyTo: Address[];
  date: string | null;
  messageId: string | null;
  inReplyTo: string | null;
  references: string[];
  text: string | null;
  /** Not sanitized: render only after sanitizing, in a sandboxed frame. */
  html: string | null;
  attachments: Attachment[];
  flags: string[];
}

export interface ThreadTree { uid: number | null; children: ThreadTree[]; }

export interface UidMap {
  uidValidity: number;
  /** [source UID, target UID] pairs. */
  uids: [number, number][];
}

export interface SortOptions {
  sort?: "date" | "arrival" | "uid" | "from" | "to" | "subject" | "size";
  reverse?: boolean;
}

export interface ThreadOptions { algorithm?: "references" | "orderedsubject"; }

export interface FetchSummariesOptions {
  /** Ask for a text preview (PREVIEW); it costs the server a read of each body. */
  preview?: boolean;
}

export interface FetchPartOptions { onProgress?: (loaded: number, total: number) => void; }

export interface AppendOptions {
  flags?: string[];
  /** INTERNALDATE, ISO 8601: `YYYY-MM-DD` or `toISOString()`'s form (a zone offset is kept). */
  date?: string;
  /** Upload progress in bytes of the message, as it leaves the page (large messages go in many WebSocket messages). */
  onProgress?: (sent: number, total: number) => void;
}

/** Every given criterion must hold. Dates are `YYYY-MM-DD`. */
export interface SearchQuery {
  text?: string;
  from?: string;
  to?: string;
  cc?: string;
  subject?: string;
  body?: string;
  since?: string;
  before?: string;
  on?: string;
  seen?: boolean;
  flagged?: boolean;
  answered?: boolean;
  draft?: boolean;
  deleted?: boolean;
  keyword?: string;
  larger?: number;
  smaller?: number;
  or?: SearchQuery[];
  not?: SearchQuery;
}

export type ClientEvent =
  | { type: "exists"; mailbox: string; count: number; uids: number[] }
  | { type: "expunge"; mailbox: string; uids: number[] }
  | { type: "flags"; mailbox: string; uid: number; flags: string[] }
  | { type: "mailboxes" }
  | { type: "state"; state: ConnectionState }
  | { type: "alert"; message: string }
  | { type: "uidvalidity"; mailbox: string; uidValidity: number }
  /** A server response that could not be parsed was skipped; the session goes on. */
  | { type: "badresponse"; bytes: number; reason: string };

export type ClientEventType = ClientEvent["type"];
"#;
