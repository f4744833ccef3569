//! Name resolution for deliveries: the addresses a host resolves to are checked before
//! any connection is made, and the connection goes to those very addresses (a second,
//! different answer from DNS cannot slip a private address in).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use stickycalls_domain::webhooks::target::all_public;

/// Resolves with the system's resolver and refuses a host with any private address.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PublicOnly {
    pub allow_private: bool,
}

/// Why a host was refused.
#[derive(Debug)]
struct Refused(String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// The addresses `host` resolves to.
pub(crate) async fn lookup(host: &str, port: u16) -> Vec<IpAddr> {
    match tokio::net::lookup_host((host, port)).await {
        Ok(found) => found.map(|a| a.ip()).collect(),
        Err(_) => Vec::new(),
    }
}

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let allow_private = self.allow_private;
        Box::pin(async move {
            let addresses = lookup(name.as_str(), 0).await;
            if addresses.is_empty() {
                return Err(Box::new(Refused("the host does not resolve".into())) as _);
            }
            if !allow_private && !all_public(&addresses) {
                return Err(
                    Box::new(Refused("the host resolves to a private address".into())) as _,
                );
            }
            let addrs: Addrs = Box::new(
                addresses
                    .into_iter()
                    .map(|ip| SocketAddr::new(ip, 0))
                    .collect::<Vec<_>>()
                    .into_iter(),
            );
            Ok(addrs)
        })
    }
}

/// The resolver for a client.
pub(crate) fn public_only(allow_private: bool) -> Arc<PublicOnly> {
    Arc::new(PublicOnly { allow_private })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolve(allow_private: bool, host: &str) -> Result<Vec<IpAddr>, String> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let name: Name = host.parse().unwrap();
        runtime
            .block_on(PublicOnly { allow_private }.resolve(name))
            .map(|addrs| addrs.map(|a| a.ip()).collect())
            .map_err(|e| e.to_string())
    }

    /// A name that resolves to a private address is refused at delivery time, before
    /// any connection; the operator's switch lets it through to exactly those addresses.
    #[test]
    fn a_name_resolving_to_a_private_address_is_refused() {
        let refused = resolve(false, "localhost").unwrap_err();
        assert!(refused.contains("private address"), "{refused}");
        let allowed = resolve(true, "localhost").unwrap();
        assert!(
            !allowed.is_empty() && allowed.iter().all(|ip| ip.is_loopback()),
            "{allowed:?}"
        );
        let unknown = resolve(false, "no-such-host.invalid").unwrap_err();
        assert!(unknown.contains("does not resolve"), "{unknown}");
    }
}
