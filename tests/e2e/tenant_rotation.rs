//! A tenant's data key rotation (issue 27): `stickycalls keys rotate-tenant` re-seals
//! every value of one environment under new customer keys while a node serves starts,
//! ends and reads without one failed request; afterwards the dump holds only values
//! of the new generation, and a backup taken before the rotation, restored with the
//! same master key and keyring, no longer opens (the old keys are destroyed).

use std::sync::Arc;

use serde_json::json;
use tokio::process::Command;

use crate::rotation::{finished, under_load};
use crate::sealing::{pg_program, remember, restore, run};
use crate::support::Server;

/// Whether `dump` holds a value sealed under a first-generation key (`sc1.` then the
/// base64 body, where a later generation has its number and a dot first).
fn holds_first_generation(dump: &str) -> bool {
    dump.match_indices("sc1.").any(|(at, _)| {
        let body = &dump[at + 4..];
        let mark = body
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.'))
            .map_or(body, |end| &body[..end]);
        // A sealed value's body is at least a nonce and a tag (`sc1.%` in a partial
        // index's definition is not one).
        mark.len() >= 40 && !mark.contains('.')
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenants_data_keys_rotate_under_load_and_shred_older_backups() {
    let s = Server::start().await;
    let early = remember(&s, "t0", "+14155550141", "Birch-Way-12").await;
    let backup =
        String::from_utf8(run(&pg_program("pg_dump"), &["--no-owner", &s.db_url]).await).unwrap();
    assert!(holds_first_generation(&backup));
    let node = Arc::new(
        s.another_with(&[
            ("STICKYCALLS_BILLING", "off"),
            ("STICKYCALLS_RATE_LIMITS", "free=1000000/60"),
        ])
        .await,
    );
    let rotate = || {
        Command::new(env!("CARGO_BIN_EXE_stickycalls"))
            .args([
                "keys",
                "rotate-tenant",
                "--account",
                &s.keys.account_id,
                "--env",
                "test",
            ])
            .env("STICKYCALLS_DATABASE_URL", &s.db_url)
            .output()
    };
    let (done, made) = finished("tenant rotation", under_load(node.clone(), rotate).await);
    assert_eq!(done["generation"], 2, "{done}");
    assert_eq!(done["unreadable"], 0, "{done}");
    assert!(
        done["variables"].as_u64().unwrap() >= 5 && done["keys_destroyed"].as_u64().unwrap() >= 5,
        "the values written before the rotation were re-sealed, their keys destroyed: {done}"
    );

    // Everything reads as it was written.
    let view = node
        .get_ok(&format!("/v1/customers/{early}"), &s.keys.test)
        .await;
    assert_eq!(view["variables"]["address"]["value"], "Birch-Way-12");
    assert_eq!(view["phones"][0]["number"], "+14155550141");
    assert_eq!(view["external_ids"][0]["value"], "CRM-Birch-Way-12");
    for customer in made.iter().filter(|c| !c.is_empty()) {
        let view = node
            .get_ok(&format!("/v1/customers/{customer}"), &s.keys.test)
            .await;
        assert!(
            view["variables"]["plan"]["value"]
                .as_str()
                .is_some_and(|v| v.starts_with("gold-")),
            "{customer}: {view}"
        );
    }
    // The caller is found by number: lookups did not change.
    let found = node
        .get_ok("/v1/customers?ani=%2B14155550141", &s.keys.test)
        .await;
    assert_eq!(found["customers"][0]["customer_ref"], early.as_str());
    let dump =
        String::from_utf8(run(&pg_program("pg_dump"), &["--no-owner", &s.db_url]).await).unwrap();
    assert!(
        dump.contains("sc1.2."),
        "the dump holds the re-sealed values"
    );
    assert!(
        !holds_first_generation(&dump),
        "no value is left under a first-generation key"
    );

    // The backup from before the rotation, restored elsewhere with the same master key
    // and keyring: its values were sealed under keys that no longer exist.
    let (restored, _copy) = restore(&s, &backup).await;
    let view = restored
        .get_ok(&format!("/v1/customers/{early}"), &s.keys.test)
        .await;
    assert_eq!(
        (&view["variables"], &view["phones"], &view["external_ids"]),
        (&json!({}), &json!([]), &json!([])),
        "the backup's values are unreadable"
    );
}
