//! Admission control: sessions in total, per client IP, and upgrade rate per IP.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use crate::config::Limits;

/// Entries kept before idle ones are pruned, so a scan of many addresses cannot grow the map.
const PRUNE_ABOVE: usize = 4096;

/// Why a new session was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// `limits.max_connections` sessions are open.
    TooManySessions,
    /// `limits.max_connections_per_ip` sessions are open from this IP.
    TooManyFromIp,
    /// `limits.upgrades_per_minute_per_ip` was exceeded.
    RateLimited,
}

impl Refusal {
    /// Label for metrics and logs.
    pub fn label(self) -> &'static str {
        match self {
            Self::TooManySessions => "max_connections",
            Self::TooManyFromIp => "max_connections_per_ip",
            Self::RateLimited => "rate_limited",
        }
    }
}

#[derive(Debug)]
struct PerIp {
    open: usize,
    tokens: f64,
    refilled: Instant,
}

#[derive(Debug, Default)]
struct State {
    open: usize,
    per_ip: HashMap<IpAddr, PerIp>,
}

/// The client a per-IP limit counts: an IPv4 address (also when written as
/// IPv4-mapped IPv6), or the IPv6 network of `ipv6_prefix` bits around the
/// address, since whoever holds one address of a /64 usually holds all of it.
pub(crate) fn client_key(ip: IpAddr, ipv6_prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => ipnet::Ipv6Net::new(v6, ipv6_prefix.min(128)).map_or(ip, |net| IpAddr::V6(net.trunc().addr())),
        },
    }
}

/// Shared admission state.
#[derive(Debug)]
pub struct Admission {
    max_total: usize,
    max_per_ip: usize,
    ipv6_prefix: u8,
    burst: f64,
    refill_per_second: f64,
    state: Mutex<State>,
}

/// A session's place; dropping it frees the slot.
#[derive(Debug)]
pub struct Permit {
    admission: Arc<Admission>,
    ip: IpAddr,
}

impl Admission {
    /// Admission with the configured limits.
    pub fn new(limits: &Limits) -> Arc<Self> {
        let per_minute = f64::from(limits.upgrades_per_minute_per_ip);
        Arc::new(Self {
            max_total: limits.max_connections,
            max_per_ip: limits.max_connections_per_ip,
            ipv6_prefix: limits.ipv6_client_prefix,
            burst: per_minute,
            refill_per_second: per_minute / 60.0,
            state: Mutex::new(State::default()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Counting stays correct even if a holder panicked: each step is a single update.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Admits a new session from `ip`, or says which limit refuses it.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Permit, Refusal> {
        let ip = client_key(ip, self.ipv6_prefix);
        let now = Instant::now();
        let mut state = self.lock();
        if state.per_ip.len() > PRUNE_ABOVE {
            let (burst, rate) = (self.burst, self.refill_per_second);
            state.per_ip.retain(|_, entry| {
                entry.open > 0 || entry.tokens + now.duration_since(entry.refilled).as_secs_f64() * rate < burst
            });
        }
        let total_open = state.open;
        let entry = state.per_ip.entry(ip).or_insert(PerIp {
            open: 0,
            tokens: self.burst,
            refilled: now,
        });
        entry.tokens =
            (entry.tokens + now.duration_since(entry.refilled).as_secs_f64() * self.refill_per_second).min(self.burst);
        entry.refilled = now;
        if entry.tokens < 1.0 {
            return Err(Refusal::RateLimited);
        }
        entry.tokens -= 1.0;
        if entry.open >= self.max_per_ip {
            return Err(Refusal::TooManyFromIp);
        }
        if total_open >= self.max_total {
            return Err(Refusal::TooManySessions);
        }
        entry.open += 1;
        state.open += 1;
        Ok(Permit {
            admission: self.clone(),
            ip,
        })
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut state = self.admission.lock();
        state.open = state.open.saturating_sub(1);
        if let Some(entry) = state.per_ip.get_mut(&self.ip) {
            entry.open = entry.open.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(total: usize, per_ip: usize, per_minute: u32) -> Limits {
        Limits {
            max_connections: total,
            max_connections_per_ip: per_ip,
            upgrades_per_minute_per_ip: per_minute,
            ..Limits::default()
        }
    }

    #[test]
    fn per_ip_and_total_limits_hold_and_free_on_drop() {
        let admission = Admission::new(&limits(3, 2, 100));
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let first = admission.admit(a).unwrap();
        let _second = admission.admit(a).unwrap();
        assert_eq!(admission.admit(a).unwrap_err(), Refusal::TooManyFromIp);
        let _third = admission.admit(b).unwrap();
        assert_eq!(admission.admit(b).unwrap_err(), Refusal::TooManySessions);
        drop(first);
        assert!(admission.admit(b).is_ok());
    }

    #[test]
    fn upgrade_rate_is_limited_per_ip() {
        let admission = Admission::new(&limits(100, 100, 3));
        let ip: IpAddr = "192.0.2.9".parse().unwrap();
        for _ in 0..3 {
            drop(admission.admit(ip).unwrap());
        }
        assert_eq!(admission.admit(ip).unwrap_err(), Refusal::RateLimited);
        assert!(admission.admit("192.0.2.10".parse().unwrap()).is_ok());
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        let admission = Admission::new(&limits(100, 2, 100));
        let _first = admission.admit("2001:db8:1:2::1".parse().unwrap()).unwrap();
        let _second = admission.admit("2001:db8:1:2:ffff::9".parse().unwrap()).unwrap();
        assert_eq!(
            admission.admit("2001:db8:1:2:abcd::7".parse().unwrap()).unwrap_err(),
            Refusal::TooManyFromIp,
            "another address of the same /64"
        );
        assert!(
            admission.admit("2001:db8:1:3::1".parse().unwrap()).is_ok(),
            "the next /64"
        );
        // An IPv4-mapped address is the IPv4 client it names.
        let _v4 = admission.admit("192.0.2.1".parse().unwrap()).unwrap();
        let _mapped = admission.admit("::ffff:192.0.2.1".parse().unwrap()).unwrap();
        assert_eq!(
            admission.admit("192.0.2.1".parse().unwrap()).unwrap_err(),
            Refusal::TooManyFromIp
        );
    }

    #[test]
    fn the_ipv6_prefix_is_configurable() {
        let admission = Admission::new(&Limits {
            ipv6_client_prefix: 128,
            ..limits(100, 1, 100)
        });
        let _one = admission.admit("2001:db8::1".parse().unwrap()).unwrap();
        assert!(admission.admit("2001:db8::2".parse().unwrap()).is_ok());
        assert_eq!(
            client_key("2001:db8:aa:bb::1".parse().unwrap(), 48),
            "2001:db8:aa::".parse::<IpAddr>().unwrap()
        );
    }
}
