//! The server's capability list, with the checks the engine and API make.

/// Capabilities as announced, matched case-insensitively.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    list: Vec<String>,
}

impl Capabilities {
    /// From an announced list.
    pub fn new(list: Vec<String>) -> Self {
        Self { list }
    }

    /// True when the list is known (after a greeting code or a CAPABILITY response).
    pub fn is_known(&self) -> bool {
        !self.list.is_empty()
    }

    /// The list as announced.
    pub fn list(&self) -> &[String] {
        &self.list
    }

    /// Whether `name` (e.g. `"IDLE"`, `"AUTH=PLAIN"`) is announced.
    pub fn has(&self, name: &str) -> bool {
        self.list.iter().any(|capability| capability.eq_ignore_ascii_case(name))
    }

    /// Whether any capability starts with `prefix` (e.g. `"THREAD="`).
    pub fn has_prefix(&self, prefix: &str) -> bool {
        self.list.iter().any(|capability| {
            capability.len() >= prefix.len() && capability[..prefix.len()].eq_ignore_ascii_case(prefix)
        })
    }

    /// The SASL mechanisms offered (`AUTH=` entries), upper-cased.
    pub fn auth_mechanisms(&self) -> Vec<String> {
        self.list
            .iter()
            .filter_map(|capability| {
                let (key, value) = capability.split_once('=')?;
                key.eq_ignore_ascii_case("AUTH").then(|| value.to_ascii_uppercase())
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_is_case_insensitive_and_exact() {
        let caps = Capabilities::new(vec![
            "IMAP4rev1".into(),
            "Auth=Plain".into(),
            "COMPRESS".into(),
            "THREAD=REFS".into(),
        ]);
        assert!(caps.has("imap4rev1"));
        assert!(!caps.has("COMPRESS=DEFLATE"), "maddy's bare COMPRESS is not DEFLATE");
        assert!(caps.has_prefix("thread="));
        assert_eq!(caps.auth_mechanisms(), vec!["PLAIN"]);
    }
}
