//! Signing in and out: LOGIN or AUTHENTICATE, the capabilities that follow, LOGOUT.

use crate::client::ErrorKind;
use crate::client::{Client, ClientError};
use crate::engine::Command;
use crate::engine::sasl::{Mechanism, Secret};

impl Client {
    /// Runs any command and returns its raw result: for tools, tests and experts.
    pub async fn execute(&self, command: Command) -> Result<crate::engine::CommandResult, ClientError> {
        self.run(command, None).await
    }

    /// Logs in with a user name and password (LOGIN, or AUTHENTICATE PLAIN where LOGIN is disabled).
    pub async fn login(&self, user: &str, password: &str) -> Result<(), ClientError> {
        let mechanism = Mechanism::Plain {
            user: user.to_owned(),
            password: Secret::new(password),
        };
        self.authenticate(mechanism).await
    }

    /// Logs in with a SASL mechanism (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER).
    pub async fn authenticate(&self, mechanism: Mechanism) -> Result<(), ClientError> {
        self.ready().await?;
        self.establish(&mechanism).await?;
        self.inner.borrow_mut().memory.mechanism = Some(mechanism);
        Ok(())
    }

    /// STARTTLS if useful, authentication, then the extensions worth enabling.
    pub(crate) async fn establish(&self, mechanism: &Mechanism) -> Result<(), ClientError> {
        if !self.has_capability("IMAP4rev1") && !self.has_capability("IMAP4rev2") {
            self.run(Command::Capability, None).await?;
        }
        let can_upgrade = self.inner.borrow().options.starttls && self.transport_can_start_tls();
        if can_upgrade && self.has_capability("STARTTLS") {
            self.run(Command::StartTls, None).await?;
            self.run(Command::Capability, None).await?;
        }
        let command = match mechanism {
            Mechanism::Plain { user, password } if !self.has_capability("LOGINDISABLED") => Command::Login {
                user: user.clone(),
                password: password.clone(),
            },
            other => Command::Authenticate(other.clone()),
        };
        self.command(command).await.map_err(|error| match error {
            crate::engine::CommandError::No(status) | crate::engine::CommandError::Bad(status) => {
                ClientError::new(ErrorKind::AuthFailed, status.text)
            }
            other => ClientError::from_command(other, None),
        })?;
        if !self.has_capability("IMAP4rev1") {
            self.run(Command::Capability, None).await?;
        }
        if self.has_capability("ID") {
            let id = vec![
                ("name".to_owned(), "webmail-bridge".to_owned()),
                ("version".to_owned(), env!("CARGO_PKG_VERSION").to_owned()),
            ];
            // Some servers (163.com) refuse SELECT without ID; others may refuse ID. Ignore its result.
            let _ = self.command(Command::Id(Some(id))).await;
        }
        let mut enable = Vec::new();
        if self.has_capability("QRESYNC") {
            enable.push("QRESYNC".to_owned());
        } else if self.has_capability("CONDSTORE") {
            enable.push("CONDSTORE".to_owned());
        }
        if self.has_capability("UTF8=ACCEPT") {
            enable.push("UTF8=ACCEPT".to_owned());
        }
        if !enable.is_empty() && self.has_capability("ENABLE") {
            self.run(Command::Enable(enable), None).await?;
        }
        let compress = self.inner.borrow().options.compress;
        if compress && self.has_capability("COMPRESS=DEFLATE") {
            self.run(Command::Compress, None).await?;
        }
        let idle = self.inner.borrow().options.idle;
        self.with_connection(|connection| connection.set_idle(idle));
        Ok(())
    }

    pub(super) fn transport_can_start_tls(&self) -> bool {
        self.inner.borrow().transport_can_start_tls
    }

    pub(super) fn utf8(&self) -> bool {
        self.inner.borrow().connection.is_enabled("UTF8=ACCEPT")
    }

    /// Logs out and closes the connection for good.
    pub async fn logout(&self) -> Result<(), ClientError> {
        self.inner.borrow_mut().memory.logged_out = true;
        self.with_connection(|connection| connection.set_idle(false));
        let result = self.run(Command::Logout, None).await;
        self.set_state(crate::client::ClientState::Closed);
        result.map(|_| ())
    }
}
