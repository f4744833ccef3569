//! What the first start on an empty store prints, once: the local account, its two
//! keys (only their hashes are stored, so this is the only time they are shown), the
//! URL, and the seeds' first call ready to paste.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use stickycalls_domain::accounts::OpenedAccount;

/// The address a client on this machine reaches: a server on all interfaces
/// (`0.0.0.0`, `::`) is reached on loopback.
pub(crate) fn local_url(address: SocketAddr) -> String {
    let reach = if address.ip().is_unspecified() {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), address.port())
    } else {
        address
    };
    format!("http://{reach}")
}

/// The welcome block.
pub(crate) fn welcome(opened: &OpenedAccount, address: SocketAddr) -> String {
    let url = local_url(address);
    let test = opened.test_key.expose();
    let prod = opened.prod_key.expose();
    let id = opened.id;
    format!(
        "created a local account (its keys are shown only now: store them)
  account:  {id}
  test key: {test}
  prod key: {prod}
  url:      {url}
try the seeds' first call (a new caller, confidence 0.0):
curl -s -X POST {url}/v1/calls/start -H 'Authorization: Bearer {test}' \\
  -H 'Content-Type: application/json' -d '{{\"call_id\":\"test_001\",\"identity_hints\":{{\"ani\":\"+14155559999\"}}}}'
more: `stickycalls accounts list`, `stickycalls keys --help`, {url}/docs"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_interfaces_are_reached_on_loopback() {
        assert_eq!(
            local_url("0.0.0.0:8080".parse().unwrap()),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            local_url("[::]:9000".parse().unwrap()),
            "http://127.0.0.1:9000"
        );
        assert_eq!(
            local_url("10.1.2.3:80".parse().unwrap()),
            "http://10.1.2.3:80"
        );
    }
}
