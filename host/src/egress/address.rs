//! Which IP addresses connectors may connect to.

use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Loopback, link-local (incl. cloud metadata at 169.254.169.254), private, shared, unspecified,
/// multicast and documentation ranges are denied unless a CIDR in the policy covers them.
#[derive(Debug, Clone, Default)]
pub struct AddressPolicy {
    allowed: Vec<IpNet>,
}

/// An address the policy refused.
#[derive(Debug, Clone, thiserror::Error)]
#[error(
    "address {ip} is {range} and not allowed (an admin decision: AIRLOCK_EGRESS_ALLOW_CIDRS allows private and loopback ranges, e.g. 10.0.0.0/8)"
)]
pub struct DeniedAddress {
    pub ip: IpAddr,
    pub range: &'static str,
}

impl AddressPolicy {
    /// A policy that additionally allows these ranges (e.g. `127.0.0.0/8` in tests, or an
    /// on-prem registry's subnet).
    pub fn allowing(allowed: Vec<IpNet>) -> Self {
        AddressPolicy { allowed }
    }

    /// Parse a comma-separated CIDR list such as `AIRLOCK_EGRESS_ALLOW_CIDRS`.
    pub fn parse_cidrs(text: &str) -> Result<Vec<IpNet>, String> {
        text.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("`{s}` is not a CIDR range such as 10.0.0.0/8"))
            })
            .collect()
    }

    /// Whether a connection to `ip` may be made.
    pub fn check(&self, ip: IpAddr) -> Result<(), DeniedAddress> {
        let ip = canonical(ip);
        match special_range(ip) {
            Some(range) if !self.allowed.iter().any(|net| net.contains(&ip)) => Err(DeniedAddress { ip, range }),
            _ => Ok(()),
        }
    }
}

/// IPv6 addresses that carry an IPv4 address (mapped `::ffff:a.b.c.d`, compatible `::a.b.c.d`,
/// 6to4 `2002:aabb:ccdd::/48`) are checked as that IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    let IpAddr::V6(v6) = ip else { return ip };
    let s = v6.segments();
    if let Some(v4) = v6.to_ipv4_mapped() {
        return IpAddr::V4(v4);
    }
    if s[..6] == [0; 6] && !(s[6] == 0 && s[7] <= 1) {
        return IpAddr::V4(Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8));
    }
    if s[0] == 0x2002 {
        return IpAddr::V4(Ipv4Addr::new((s[1] >> 8) as u8, s[1] as u8, (s[2] >> 8) as u8, s[2] as u8));
    }
    ip
}

fn special_range(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => special_v4(v4),
        IpAddr::V6(v6) => special_v6(v6),
    }
}

fn special_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, ..] = ip.octets();
    Some(match () {
        _ if ip.is_loopback() => "loopback",
        _ if ip.is_link_local() => "link-local (cloud metadata lives here)",
        _ if ip.is_private() => "private",
        _ if ip.is_unspecified() || a == 0 => "unspecified",
        _ if a == 100 && (64..128).contains(&b) => "shared address space (CGNAT)",
        _ if ip.is_multicast() || ip.is_broadcast() || a >= 240 => "multicast or reserved",
        _ if ip.is_documentation() || (a == 198 && (b == 18 || b == 19)) => "documentation or benchmarking",
        _ if a == 192 && b == 0 && ip.octets()[2] == 0 => "IETF protocol assignments",
        _ => return None,
    })
}

fn special_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let first = ip.segments()[0];
    Some(match () {
        _ if ip.is_loopback() => "loopback",
        _ if ip.is_unspecified() => "unspecified",
        _ if first & 0xffc0 == 0xfe80 => "link-local",
        _ if first & 0xfe00 == 0xfc00 => "private (unique local, incl. fd00:ec2::254 metadata)",
        _ if first & 0xffc0 == 0xfec0 => "site-local",
        _ if first == 0x2001 && ip.segments()[1] == 0 => "Teredo tunnelling",
        _ if ip.is_multicast() => "multicast",
        _ if first == 0x2001 && ip.segments()[1] == 0x0db8 => "documentation",
        _ if first == 0x0064 && ip.segments()[1] == 0xff9b => "NAT64",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_ranges_are_denied_by_default() {
        let policy = AddressPolicy::default();
        for ip in [
            "127.0.0.1",
            "169.254.169.254",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "0.0.0.0",
            "::1",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "100.64.0.1",
            "::127.0.0.1",
            "::a9fe:a9fe",
            "2002:a9fe:a9fe::1",
            "2002:7f00:1::",
            "2001:0:4136:e378::1",
            "192.0.0.170",
            "fec0::1",
        ] {
            let err = policy.check(ip.parse().unwrap()).unwrap_err();
            assert!(err.to_string().contains("not allowed"), "{ip}");
        }
        assert!(policy.check("93.184.216.34".parse().unwrap()).is_ok());
        assert!(policy.check("2606:4700::1111".parse().unwrap()).is_ok());
    }

    #[test]
    fn allowed_cidrs_open_exactly_their_range() {
        let policy = AddressPolicy::allowing(AddressPolicy::parse_cidrs("127.0.0.0/8, 10.0.0.5").unwrap());
        assert!(policy.check("127.0.0.1".parse().unwrap()).is_ok());
        assert!(policy.check("::ffff:127.0.0.1".parse().unwrap()).is_ok());
        assert!(policy.check("10.0.0.5".parse().unwrap()).is_ok());
        assert!(policy.check("10.0.0.6".parse().unwrap()).is_err());
        assert!(policy.check("169.254.169.254".parse().unwrap()).is_err());
        assert!(AddressPolicy::parse_cidrs("10.0.0.0/33").is_err());
    }
}
