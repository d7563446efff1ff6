//! The plaintext before the handshake for STARTTLS upstreams: the exchange in
//! `webmail_wire::starttls` (the same one the bridge runs), done here so the
//! page's base module carries no STARTTLS code at all; it loads this module
//! for end-to-end upstreams anyway.

use webmail_wire::starttls::{ImapDialogue, Progress, SmtpDialogue, StartTls, StartTlsError};

/// How EHLO names the page before TLS: it has no name of its own, and the real
/// EHLO follows over TLS, where nobody on the path can read or change it.
const SMTP_CLIENT_NAME: &str = "[127.0.0.1]";
/// The tag of the page's own IMAP STARTTLS command.
const IMAP_TAG: &str = "tls0";

/// The exchange for one protocol.
#[derive(Debug)]
pub enum Prelude {
    /// IMAP: greeting, `tls0 STARTTLS`, its OK.
    Imap(StartTls<ImapDialogue>),
    /// SMTP submission: greeting, EHLO, STARTTLS, its 220.
    Smtp(StartTls<SmtpDialogue>),
}

impl Prelude {
    /// The exchange for `"imap"` or `"smtp"`.
    pub fn new(protocol: &str) -> Option<Self> {
        match protocol {
            "imap" => Some(Self::Imap(StartTls::imap(IMAP_TAG))),
            "smtp" => Some(Self::Smtp(StartTls::smtp(SMTP_CLIENT_NAME))),
            _ => None,
        }
    }

    /// Takes bytes from the server (see `StartTls::handle_input`).
    pub fn handle_input(&mut self, bytes: &[u8]) -> Result<Progress, StartTlsError> {
        match self {
            Self::Imap(exchange) => exchange.handle_input(bytes),
            Self::Smtp(exchange) => exchange.handle_input(bytes),
        }
    }

    /// Bytes to send now (the STARTTLS command, SMTP's EHLO).
    pub fn take_outgoing(&mut self) -> Vec<u8> {
        match self {
            Self::Imap(exchange) => exchange.take_outgoing(),
            Self::Smtp(exchange) => exchange.take_outgoing(),
        }
    }
}

/// The `code` a failed exchange carries to the page: the server talks nonsense
/// (`PROTOCOL_ERROR`), closed (`CONNECTION_LOST`), or will not upgrade, or
/// someone tampered with the upgrade (`STARTTLS_REFUSED`, a TLS failure).
pub fn error_code(error: &StartTlsError) -> &'static str {
    match error {
        StartTlsError::Closed => "CONNECTION_LOST",
        StartTlsError::LongLine
        | StartTlsError::NoAnswer
        | StartTlsError::Unexpected(_)
        | StartTlsError::NotImap(_)
        | StartTlsError::NotSmtp(_) => "PROTOCOL_ERROR",
        _ => "STARTTLS_REFUSED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_protocol_runs_its_own_exchange() {
        let mut imap = Prelude::new("imap").unwrap();
        assert_eq!(imap.handle_input(b"* OK ready\r\n"), Ok(Progress::NeedMore));
        assert_eq!(imap.take_outgoing(), b"tls0 STARTTLS\r\n");
        let mut smtp = Prelude::new("smtp").unwrap();
        assert_eq!(smtp.handle_input(b"220 ready\r\n"), Ok(Progress::NeedMore));
        assert_eq!(smtp.take_outgoing(), b"EHLO [127.0.0.1]\r\n");
        assert!(Prelude::new("pop3").is_none());
        let refused = smtp.handle_input(b"250 mail.example.org\r\n").unwrap_err();
        assert_eq!(error_code(&refused), "STARTTLS_REFUSED");
    }
}
