//! Test harness for the webmail bridge.
//!
//! - [`Dovecot`]: a private Dovecot on loopback, with its own configuration in a
//!   temporary directory, plain IMAP (with STARTTLS) and implicit TLS signed by a
//!   CA generated at start. It never touches the system configuration and leaves
//!   no process behind, even when the test process is killed.
//! - [`Corpus`]: a deterministic mail corpus written straight into Maildir, so
//!   that 50,000 messages load in seconds rather than one APPEND at a time.
//! - [`pki`]: certificate authorities and server certificates for TLS tests.
//!
//! The `testkit` binary exposes the same to JavaScript tests, benchmarks and
//! the demo: `testkit dovecot --messages 300` prints one JSON line describing
//! the server and keeps it running until its standard input closes.
#![forbid(unsafe_code)]

pub mod corpus;
mod dovecot;
pub mod pki;
mod watchdog;

pub use corpus::{Corpus, FolderSummary, GeneratedMessage, Kind};
pub use dovecot::{Dovecot, DovecotBuilder, HarnessError, ServerInfo, User};
