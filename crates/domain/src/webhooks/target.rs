//! Where a webhook may be sent (SSRF protection): `http` or `https` URLs only, never to
//! loopback, private, link-local, shared (carrier NAT), multicast, reserved or cloud
//! metadata addresses, unless the operator allows private targets
//! (`STICKYCALLS_WEBHOOKS_ALLOW_PRIVATE`). A URL is checked when the endpoint is created
//! and each address it resolves to is checked again before every delivery.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

use crate::error::ValidationError;

/// Longest URL accepted.
pub const MAX_URL_LEN: usize = 2048;

/// A webhook URL that passed the checks that need no DNS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The URL, normalised.
    pub url: Url,
    /// Its host name, or its literal address.
    pub host: String,
    /// Its port (the scheme's when not given).
    pub port: u16,
    /// The literal address, if the URL names one.
    pub address: Option<IpAddr>,
}

fn invalid(message: &str) -> ValidationError {
    ValidationError::invalid("url", message)
}

/// Reads a webhook URL: `http(s)://host[:port]/path`, no user name or password, no
/// fragment. Unless `allow_private`, a literal address or a host named `localhost` must
/// be public.
pub fn parse_target(text: &str, allow_private: bool) -> Result<Target, ValidationError> {
    if text.chars().count() > MAX_URL_LEN {
        return Err(invalid("must be at most 2048 characters"));
    }
    let url = Url::parse(text).map_err(|e| invalid(&format!("is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("must be an http or https URL"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("must not hold a user name or password"));
    }
    if url.fragment().is_some() {
        return Err(invalid("must not have a fragment"));
    }
    let port = url
        .port_or_known_default()
        .ok_or_else(|| invalid("needs a port"))?;
    let (host, address) = match url.host() {
        Some(Host::Ipv4(ip)) => (ip.to_string(), Some(IpAddr::V4(ip))),
        Some(Host::Ipv6(ip)) => (ip.to_string(), Some(IpAddr::V6(ip))),
        Some(Host::Domain(name)) => (name.trim_end_matches('.').to_owned(), None),
        None => return Err(invalid("needs a host")),
    };
    // Last, so the checks above keep their own messages: anything else the parser
    // would take but the grammar does not allow (what the API document states).
    if !super::url_grammar::matches(text) {
        return Err(invalid(
            "must be written as an http or https URL: a host name, an IPv4 address or an \
             [IPv6] address, an optional port, then path and query in URL characters",
        ));
    }
    if !allow_private {
        let local_name = host == "localhost" || host.ends_with(".localhost");
        if local_name || address.is_some_and(|ip| !is_public(ip)) {
            return Err(invalid(REFUSED));
        }
    }
    Ok(Target {
        url,
        host,
        port,
        address,
    })
}

/// Why a private target is refused.
pub const REFUSED: &str = "must reach a public address: loopback, private, link-local and \
metadata addresses are refused (the operator may allow them: STICKYCALLS_WEBHOOKS_ALLOW_PRIVATE)";

/// Whether every address a host resolved to may be reached (none is not).
pub fn all_public(addresses: &[IpAddr]) -> bool {
    !addresses.is_empty() && addresses.iter().all(|ip| is_public(*ip))
}

/// Whether a webhook may reach `ip`.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], bits: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
    (u32::from(ip) & mask) == (u32::from(Ipv4Addr::from(net)) & mask)
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let refused: [([u8; 4], u32); 9] = [
        ([0, 0, 0, 0], 8),       // "this network"
        ([100, 64, 0, 0], 10),   // shared address space (carrier NAT; Alibaba's metadata)
        ([192, 0, 0, 0], 24),    // IETF protocol assignments
        ([192, 0, 2, 0], 24),    // documentation
        ([198, 18, 0, 0], 15),   // benchmarking
        ([198, 51, 100, 0], 24), // documentation
        ([203, 0, 113, 0], 24),  // documentation
        ([240, 0, 0, 0], 4),     // reserved, broadcast
        ([192, 88, 99, 0], 24),  // 6to4 relay anycast (deprecated)
    ];
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // 169.254.0.0/16, with 169.254.169.254 (cloud metadata)
        || ip.is_multicast()
        || ip.is_unspecified()
        || refused.iter().any(|(net, bits)| in_v4(ip, *net, *bits)))
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let segments = ip.segments();
    // NAT64 (64:ff9b::/96) reaches the IPv4 address it embeds.
    if segments[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        let [a, b] = segments[6].to_be_bytes();
        let [c, d] = segments[7].to_be_bytes();
        return is_public_v4(Ipv4Addr::new(a, b, c, d));
    }
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_unique_local() // fc00::/7, with fd00:ec2::254 (AWS metadata)
        || ip.is_unicast_link_local()
        || segments[0] == 0x2001 && segments[1] == 0x0db8 // documentation
        || segments[..5] == [0, 0, 0, 0, 0] // IPv4-compatible (deprecated)
        || segments[0] == 0x2002) // 6to4: reaches an IPv4 address
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_loopback_link_local_and_metadata_addresses_are_refused() {
        for url in [
            "http://127.0.0.1/hook",
            "http://10.1.2.3/",
            "http://172.16.0.1/",
            "http://192.168.1.10:8080/",
            "http://169.254.169.254/latest/meta-data/",
            "http://100.100.100.200/",
            "http://0.0.0.0/",
            "http://[::1]/",
            "http://[fd00:ec2::254]/",
            "http://[fe80::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://localhost:3000/",
            "http://api.localhost/",
        ] {
            let refused = parse_target(url, false).unwrap_err();
            assert_eq!(refused.issues[0].path, ["url"], "{url}");
            assert!(
                parse_target(url, true).is_ok(),
                "allowed by the operator: {url}"
            );
        }
        // An address written as one number or in hex (127.0.0.1 both): refused either
        // way, a URL names its host plainly.
        for url in ["http://2130706433/", "http://0x7f.1/"] {
            assert!(parse_target(url, false).is_err(), "{url}");
            assert!(parse_target(url, true).is_err(), "{url}");
        }
    }

    #[test]
    fn public_http_and_https_urls_pass_and_other_schemes_do_not() {
        let ok = parse_target("https://hooks.example.com/sticky?x=1", false).unwrap();
        assert_eq!(
            (ok.host.as_str(), ok.port, ok.address),
            ("hooks.example.com", 443, None)
        );
        let ip = parse_target("http://93.184.216.34:8080/", false).unwrap();
        assert_eq!(ip.address, Some("93.184.216.34".parse().unwrap()));
        assert!(parse_target("http://[2606:4700::1111]/", false).is_ok());
        for bad in [
            "ftp://example.com/",
            "file:///etc/passwd",
            "gopher://example.com/",
            "https://user:pw@example.com/",
            "https://example.com/#frag",
            "not a url",
        ] {
            assert!(parse_target(bad, true).is_err(), "{bad}");
        }
    }

    #[test]
    fn resolved_addresses_must_all_be_public() {
        let public: IpAddr = "93.184.216.34".parse().unwrap();
        let private: IpAddr = "10.0.0.1".parse().unwrap();
        assert!(all_public(&[public]));
        assert!(
            !all_public(&[public, private]),
            "one private address is enough"
        );
        assert!(!all_public(&[]), "nothing resolved");
    }
}
