//! Restoring a session after a reconnect: log in again, re-select, and report
//! what changed while the client was away as ordinary events.

use crate::client::ErrorKind;
use std::collections::BTreeSet;

use super::ops::flags_of;
use super::{Client, ClientError, ClientEvent, ClientState};

/// Messages above this count get no full flag refresh without CONDSTORE.
const FULL_FLAG_REFRESH_LIMIT: usize = 10_000;

/// Runs on a fresh connection; the driver keeps pumping I/O meanwhile.
pub(super) async fn restore(client: Client) {
    let restorer = client.restorer();
    client.inner.borrow_mut().restoring = true;
    let outcome = restore_session(&restorer).await;
    client.inner.borrow_mut().restoring = false;
    match outcome {
        Ok(events) => {
            client.set_state(ClientState::Ready);
            for event in events {
                client.emit(event);
            }
            retry_lost_commands(&client);
        }
        // A login that is now refused will not succeed on the next attempt either.
        Err(error) if error.kind() == ErrorKind::AuthFailed => super::fail_everything(&client, error),
        // Anything else means the new connection failed too; the driver reconnects again.
        Err(_) => {}
    }
}

fn retry_lost_commands(client: &Client) {
    let lost = std::mem::take(&mut client.inner.borrow_mut().to_retry);
    for (command, reply) in lost {
        let client = client.clone();
        client.runtime().spawn(Box::pin(async move {
            let _ = reply.send(client.submit(command).await);
        }));
    }
}

async fn restore_session(client: &Client) -> Result<Vec<ClientEvent>, ClientError> {
    let memory = client.inner.borrow().memory.clone();
    let Some(mechanism) = memory.mechanism else {
        return Ok(Vec::new());
    };
    client.establish(&mechanism).await?;
    let Some((path, read_only)) = memory.selected else {
        return Ok(Vec::new());
    };
    let info = client.reselect(&path, read_only).await?;
    let mut events = Vec::new();
    if memory.uid_validity.is_some_and(|old| old != info.uid_validity) {
        events.push(ClientEvent::UidValidity {
            mailbox: path,
            uid_validity: info.uid_validity,
        });
        return Ok(events);
    }
    let before: BTreeSet<u32> = memory.uids.iter().copied().collect();
    let after: BTreeSet<u32> = client.with_connection(|c| c.selected().map(|s| s.uids().collect()).unwrap_or_default());
    let gone: Vec<u32> = before.difference(&after).copied().collect();
    let new: Vec<u32> = after.difference(&before).copied().collect();
    if !gone.is_empty() {
        events.push(ClientEvent::Expunge {
            mailbox: path.clone(),
            uids: gone,
        });
    }
    if !new.is_empty() {
        events.push(ClientEvent::Exists {
            mailbox: path.clone(),
            count: info.exists,
            uids: new,
        });
    }
    let kept: Vec<u32> = before.intersection(&after).copied().collect();
    let changed_since = memory.highest_modseq.filter(|_| client.has_capability("CONDSTORE"));
    if kept.is_empty() || (changed_since.is_none() && kept.len() > FULL_FLAG_REFRESH_LIMIT) {
        return Ok(events);
    }
    let flags = client
        .submit(flags_of(&kept, changed_since))
        .await
        .map_err(|error| ClientError::from_command(error, None))?;
    for fetch in flags.fetches() {
        if let (Some(uid), Some(flags)) = (fetch.uid, &fetch.flags) {
            events.push(ClientEvent::Flags {
                mailbox: path.clone(),
                uid,
                flags: flags.clone(),
            });
        }
    }
    Ok(events)
}
