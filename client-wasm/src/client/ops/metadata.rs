//! Metadata (RFC 5464): small values the server keeps per mailbox or for the
//! account, such as settings that follow the user from device to device.

use crate::client::{Client, ClientError};
use crate::codec::types::Data;
use crate::engine::Command;

impl Client {
    /// The values of `entries` of `mailbox` (`""` for the account's own); an
    /// entry the server does not hold comes back without a value.
    pub async fn get_metadata(
        &self,
        mailbox: &str,
        entries: &[String],
    ) -> Result<Vec<(String, Option<Vec<u8>>)>, ClientError> {
        let command = Command::GetMetadata {
            mailbox: mailbox.to_owned(),
            entries: entries.to_vec(),
        };
        let result = self.run(command, (!mailbox.is_empty()).then_some(mailbox)).await?;
        let mut found: Vec<(String, Option<Vec<u8>>)> = entries.iter().map(|entry| (entry.clone(), None)).collect();
        for data in result.data {
            let Data::Metadata { entries, .. } = data else { continue };
            for (name, value) in entries {
                if let Some(slot) = found.iter_mut().find(|(entry, _)| entry.eq_ignore_ascii_case(&name)) {
                    slot.1 = value;
                }
            }
        }
        Ok(found)
    }

    /// Sets `entries` of `mailbox` (`""` for the account's own); a `None` value removes one.
    pub async fn set_metadata(
        &self,
        mailbox: &str,
        entries: Vec<(String, Option<Vec<u8>>)>,
    ) -> Result<(), ClientError> {
        let command = Command::SetMetadata {
            mailbox: mailbox.to_owned(),
            entries,
        };
        self.run(command, (!mailbox.is_empty()).then_some(mailbox)).await?;
        Ok(())
    }
}
