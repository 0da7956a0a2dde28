//! Origins (`scheme://host[:port]`) and allowlist patterns with `*.` wildcards.

use std::fmt;
use url::Url;

/// A concrete origin: scheme, lower-case host and port (defaulted from the scheme).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    pub scheme: String,
    pub host: String,
    pub port: u16,
}

impl Origin {
    /// The origin of an http(s) URL.
    pub fn of(url: &Url) -> Result<Origin, String> {
        let scheme = url.scheme();
        if scheme != "http" && scheme != "https" {
            return Err(format!("scheme `{scheme}` is not allowed (only http and https)"));
        }
        let host = url.host_str().ok_or_else(|| "the URL has no host".to_string())?;
        let port = url.port_or_known_default().ok_or_else(|| "the URL has no port".to_string())?;
        Ok(Origin { scheme: scheme.into(), host: host.trim_matches(['[', ']']).to_ascii_lowercase(), port })
    }

    /// The origin named by a config value: a URL, or `host[:port]` meaning https.
    pub fn from_config_value(value: &str) -> Result<Origin, String> {
        let value = value.trim();
        let with_scheme = if value.contains("://") { value.to_string() } else { format!("https://{value}") };
        // The value may be sensitive: the error names the problem only.
        let url = Url::parse(&with_scheme).map_err(|e| format!("not a URL or host ({e})"))?;
        Origin::of(&url)
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        write!(f, "{}://{host}:{}", self.scheme, self.port)
    }
}

/// An allowlist entry: `scheme://host[:port]`, where the host may start with `*.` to match any
/// subdomain (not the bare domain). A missing port means the scheme's default port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginPattern {
    scheme: String,
    host: HostPattern,
    port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Exact(String),
    /// `*.suffix`: stored with its leading dot.
    Subdomains(String),
}

impl OriginPattern {
    /// Parse `scheme://host[:port]` or `scheme://*.domain[:port]`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (scheme, rest) = text
            .split_once("://")
            .ok_or_else(|| format!("`{text}` is not an origin: expected scheme://host[:port]"))?;
        let scheme = scheme.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "https" => 443,
            "http" => 80,
            other => return Err(format!("`{text}`: scheme `{other}` is not allowed (only http and https)")),
        };
        let rest = rest.trim_end_matches('/');
        if rest.contains(['/', '?', '#', '@']) {
            return Err(format!("`{text}` is not an origin: no path, query or user info allowed"));
        }
        let parse_port = |p: &str| p.parse::<u16>().map_err(|_| format!("`{text}`: `{p}` is not a port"));
        let (host, port) = match rest.strip_prefix('[') {
            Some(v6) => match v6.split_once(']') {
                Some((h, "")) => (h, default_port),
                Some((h, p)) => (h, parse_port(p.trim_start_matches(':'))?),
                None => return Err(format!("`{text}`: unclosed `[`")),
            },
            None => match rest.rsplit_once(':') {
                Some((h, p)) => (h, parse_port(p)?),
                None => (rest, default_port),
            },
        };
        let host = host.trim_matches(['[', ']']).to_ascii_lowercase();
        let host = match host.strip_prefix("*.") {
            Some(domain) if !domain.is_empty() && !domain.contains('*') => {
                HostPattern::Subdomains(format!(".{domain}"))
            }
            _ if host.is_empty() || host.contains('*') => {
                return Err(format!("`{text}`: a wildcard may only be a leading `*.`"));
            }
            _ => HostPattern::Exact(host),
        };
        Ok(OriginPattern { scheme, host, port })
    }

    /// An exact pattern for one origin.
    pub fn exact(origin: &Origin) -> Self {
        OriginPattern {
            scheme: origin.scheme.clone(),
            host: HostPattern::Exact(origin.host.clone()),
            port: origin.port,
        }
    }

    /// Whether the pattern names one host (no wildcard).
    pub fn is_exact(&self) -> bool {
        matches!(self.host, HostPattern::Exact(_))
    }

    /// Whether the origin matches.
    pub fn matches(&self, origin: &Origin) -> bool {
        self.scheme == origin.scheme
            && self.port == origin.port
            && match &self.host {
                HostPattern::Exact(h) => *h == origin.host,
                HostPattern::Subdomains(suffix) => origin.host.ends_with(suffix.as_str()),
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(url: &str) -> Origin {
        Origin::of(&Url::parse(url).unwrap()).unwrap()
    }

    #[test]
    fn wildcards_match_subdomains_only() {
        let p = OriginPattern::parse("https://*.amazonaws.com").unwrap();
        assert!(p.matches(&origin("https://sts.amazonaws.com/")));
        assert!(p.matches(&origin("https://s3.eu-west-1.amazonaws.com:443/x")));
        assert!(!p.matches(&origin("https://amazonaws.com/")));
        assert!(!p.matches(&origin("https://evilamazonaws.com/")));
        assert!(!p.matches(&origin("http://sts.amazonaws.com/")));
        assert!(!p.matches(&origin("https://sts.amazonaws.com:8443/")));
    }

    #[test]
    fn ports_default_from_the_scheme() {
        let p = OriginPattern::parse("http://127.0.0.1:5000").unwrap();
        assert!(p.matches(&origin("http://127.0.0.1:5000/v2/")));
        assert!(!p.matches(&origin("http://127.0.0.1/v2/")));
        assert!(OriginPattern::parse("https://[::1]:8443").unwrap().matches(&origin("https://[::1]:8443/")));
    }

    #[test]
    fn malformed_patterns_are_refused_with_a_reason() {
        for (bad, why) in [
            ("example.com", "expected scheme://host"),
            ("ftp://example.com", "only http and https"),
            ("https://ex*ample.com", "leading `*.`"),
            ("https://example.com/path", "no path"),
            ("https://example.com:http", "not a port"),
        ] {
            let err = OriginPattern::parse(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn config_values_without_scheme_mean_https() {
        assert_eq!(
            Origin::from_config_value("registry.example.com:5000").unwrap().to_string(),
            "https://registry.example.com:5000"
        );
        assert_eq!(Origin::from_config_value("http://127.0.0.1:5000/").unwrap().to_string(), "http://127.0.0.1:5000");
    }
}
