//! What the first start on an empty store prints, once: the local account, its two
//! keys (only their hashes are stored, so this is the only time they are shown), the
//! URL, and a first call ready to paste. The prod key is printed only to a
//! terminal: a service manager or container runtime keeps stdout in its logs, and a
//! live key must not sit there (the test key opens only the sandbox environment).

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

/// The welcome block; `terminal` says whether stdout is one (then the prod key is shown).
pub(crate) fn welcome(opened: &OpenedAccount, address: SocketAddr, terminal: bool) -> String {
    let url = local_url(address);
    let test = opened.test_key.expose();
    let id = opened.id;
    let prod = if terminal {
        opened.prod_key.expose().to_owned()
    } else {
        format!(
            "not shown (stdout is not a terminal, and logs keep it): make one with \
             `stickycalls keys create --account {id} --env prod`"
        )
    };
    format!(
        "created a local account (its keys are shown only now: store them)
  account:  {id}
  test key: {test}
  prod key: {prod}
  url:      {url}
try a first call (a new caller, confidence 0.0):
curl -s -X POST {url}/v1/calls/start -H 'Authorization: Bearer {test}' \\
  -H 'Content-Type: application/json' -d '{{\"call_id\":\"test_001\",\"identity_hints\":{{\"ani\":\"+14155559999\"}}}}'
more: `stickycalls accounts list`, `stickycalls keys --help`, {url}/docs"
    )
}

#[cfg(test)]
mod tests {
    use stickycalls_domain::credits::PlanTerms;
    use stickycalls_domain::secret::Secret;
    use stickycalls_domain::tenant::AccountId;

    use super::*;

    fn opened() -> OpenedAccount {
        OpenedAccount {
            id: AccountId(uuid::Uuid::from_u128(7)),
            plan: PlanTerms {
                plan: "free".into(),
                allowance: 100,
            },
            test_key: Secret::new("sk_test_0123456789abcdef_secret"),
            prod_key: Secret::new("sk_prod_0123456789abcdef_secret"),
        }
    }

    #[test]
    fn a_terminal_sees_both_keys_and_a_log_only_the_test_key() {
        let address = "127.0.0.1:8080".parse().unwrap();
        let shown = welcome(&opened(), address, true);
        assert!(
            shown.contains("account:  00000000-0000-0000-0000-000000000007"),
            "{shown}"
        );
        assert!(
            shown.contains("test key: sk_test_0123456789abcdef_secret"),
            "{shown}"
        );
        assert!(
            shown.contains("prod key: sk_prod_0123456789abcdef_secret"),
            "{shown}"
        );
        assert!(
            shown.contains("curl -s -X POST http://127.0.0.1:8080/v1/calls/start"),
            "{shown}"
        );
        let logged = welcome(&opened(), address, false);
        assert!(!logged.contains("sk_prod_"), "{logged}");
        assert!(
            logged
                .contains("keys create --account 00000000-0000-0000-0000-000000000007 --env prod")
        );
        assert!(logged.contains("test key: sk_test_0123456789abcdef_secret"));
    }

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
