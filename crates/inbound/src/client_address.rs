//! The client's address, for the per-address signup limit and its replay binding.
//! Behind a reverse proxy every request comes from the proxy, so the address the
//! proxy saw is read from `X-Forwarded-For`, but only when the request came from a
//! proxy the operator trusts (`STICKYCALLS_TRUSTED_PROXIES`): anyone else could write
//! that header to dodge the limit. The list is walked from the right (the entry the
//! nearest proxy appended) past every trusted hop; the first untrusted address is the
//! client.

use std::net::IpAddr;

use actix_web::HttpRequest;
use ipnet::IpNet;

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses `10.0.0.0/8,127.0.0.1,::1`: addresses or networks, comma-separated.
    pub fn parse(text: &str) -> Result<Self, String> {
        text.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        format!("`{s}` is neither an IP address nor a network (10.0.0.0/8)")
                    })
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client's address: the peer's, unless the peer is a trusted proxy.
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let hops = forwarded_for
            .iter()
            .flat_map(|h| h.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        let mut client = peer;
        for hop in hops.into_iter().rev() {
            let Ok(ip) = hop.parse::<IpAddr>() else {
                // A malformed entry ends what can be believed: the last good hop stands.
                break;
            };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }

    /// The request's client address (none for a request without a peer, as in tests).
    pub fn of(&self, req: &HttpRequest) -> Option<IpAddr> {
        let peer = req.peer_addr()?.ip();
        let headers: Vec<&str> = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .collect();
        Some(self.client(peer, &headers))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_a_trusted_proxy_is_believed() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client(ip("203.0.113.9"), &["198.51.100.1"]),
            ip("203.0.113.9")
        );
        let proxies = TrustedProxies::parse("10.0.0.0/8, 127.0.0.1").unwrap();
        // A client that writes the header itself gains nothing.
        assert_eq!(
            proxies.client(ip("203.0.113.9"), &["198.51.100.1"]),
            ip("203.0.113.9")
        );
        // Through the proxy: the address the proxy appended.
        assert_eq!(
            proxies.client(ip("127.0.0.1"), &["198.51.100.7"]),
            ip("198.51.100.7")
        );
        // A forged entry on the left is skipped: the rightmost untrusted hop is the client.
        assert_eq!(
            proxies.client(ip("10.0.0.2"), &["6.6.6.6, 198.51.100.7", "10.0.0.3"]),
            ip("198.51.100.7")
        );
        // No header, or garbage: the proxy's own address (all its clients share a limit).
        assert_eq!(proxies.client(ip("10.0.0.2"), &[]), ip("10.0.0.2"));
        assert_eq!(
            proxies.client(ip("10.0.0.2"), &["not-an-ip"]),
            ip("10.0.0.2")
        );
        // IPv4 over an IPv6 socket is the same proxy.
        assert_eq!(
            proxies.client(ip("::ffff:127.0.0.1"), &["198.51.100.7"]),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn a_bad_entry_is_named() {
        assert!(TrustedProxies::parse("10.0.0.0/8,::1,192.0.2.1").is_ok());
        let e = TrustedProxies::parse("10.0.0.0/8,proxy.local").unwrap_err();
        assert!(e.contains("proxy.local"), "{e}");
    }
}
