//! SSH destinations: `host[:port]` values from an instance's configuration (port 22 unless given).

use std::fmt;

/// A host and port an instance may reach over SSH.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshHost {
    /// Lower-case name or address (IPv6 without brackets).
    pub host: String,
    pub port: u16,
}

impl SshHost {
    /// Parse `host`, `host:port`, `[v6]`, `[v6]:port` or `ssh://host[:port]`. Errors never quote
    /// the value.
    pub fn parse(value: &str) -> Result<SshHost, String> {
        let value = value.trim();
        let rest = value.strip_prefix("ssh://").unwrap_or(value);
        let (host, port) = match rest.strip_prefix('[') {
            Some(v6) => {
                let (host, after) = v6.split_once(']').ok_or("an IPv6 address misses its `]`")?;
                (host, after.strip_prefix(':'))
            }
            None if rest.matches(':').count() > 1 => (rest, None),
            None => match rest.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (rest, None),
            },
        };
        let port = match port {
            Some(p) => p.parse::<u16>().ok().filter(|p| *p != 0).ok_or("the port is not a number from 1 to 65535")?,
            None => 22,
        };
        let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':');
        if host.is_empty() || host.len() > 253 || !host.chars().all(valid) {
            return Err("expected a host name or address, optionally with `:port`".into());
        }
        Ok(SshHost { host: host.to_ascii_lowercase(), port })
    }
}

impl fmt::Display for SshHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.host.contains(':') {
            true => write!(f, "[{}]:{}", self.host, self.port),
            false => write!(f, "{}:{}", self.host, self.port),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_ports_and_addresses() {
        let parsed = |v: &str| SshHost::parse(v).map(|h| h.to_string());
        assert_eq!(parsed("Box.Example.com").unwrap(), "box.example.com:22");
        assert_eq!(parsed("10.0.0.5:2222").unwrap(), "10.0.0.5:2222");
        assert_eq!(parsed("ssh://gpu-1:2200").unwrap(), "gpu-1:2200");
        assert_eq!(parsed("[::1]:2222").unwrap(), "[::1]:2222");
        assert_eq!(parsed("fe80::1").unwrap(), "[fe80::1]:22");
        for bad in ["", "host:0", "host:99999", "two words", "a/b", "[::1", "user@host"] {
            assert!(SshHost::parse(bad).is_err(), "{bad}");
        }
    }
}
