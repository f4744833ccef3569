//! The sealing contract: a store keeps a variable's value as the ciphertext it is
//! handed and gives it back byte for byte; the service opens it; a byte altered in the
//! store fails that customer's read, named, and no other customer's.

use anyhow::ensure;
use serde_json::json;
use stickycalls_domain::calls::StartCallError;
use stickycalls_domain::ports::{Clock, CustomerStore};
use stickycalls_domain::variables::VariableWrite;

use super::{StorageFactory, World, ani_start, test_tenant};

/// A variable is stored sealed, read back in clear, and a tampered one is caught.
pub async fn variables_are_stored_sealed_and_tampering_is_caught<F: StorageFactory>(
    factory: &F,
) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let t = test_tenant();
    w.grant(&t.id, 10).await?;
    let first = w.start(&t, ani_start("s1", "+14155550101")).await?;
    let end = json!({"call_id": "s1", "variables": {"address": "4 Elm Street"}});
    w.end(&t, end).await?;
    w.start(&t, ani_start("s2", "+14155550102")).await?;
    let end = json!({"call_id": "s2", "variables": {"address": "9 Oak Road"}});
    w.end(&t, end).await?;

    let raw = w
        .store
        .customer_records(&t.id, std::slice::from_ref(&first.customer_ref))
        .await?;
    let stored = raw[0].variables["address"].clone();
    ensure!(
        stored.value.starts_with("sc1.") && !stored.value.contains("Elm"),
        "the store holds a ciphertext"
    );
    let again = w.start(&t, ani_start("s3", "+14155550101")).await?;
    ensure!(
        again.variables["address"].value == "4 Elm Street",
        "read back in clear"
    );

    let mut altered = stored.clone();
    let at = altered.value.len() - 5;
    let flipped = if &altered.value[at..=at] == "A" {
        "B"
    } else {
        "A"
    };
    altered.value.replace_range(at..=at, flipped);
    let write = VariableWrite::Set {
        key: "address".into(),
        variable: altered,
    };
    w.store
        .write_variables(&t.id, &first.customer_ref, vec![write], w.clock.now())
        .await?;
    match w.start(&t, ani_start("s4", "+14155550101")).await {
        Err(StartCallError::Store(e)) => {
            let said = format!("{e:#}");
            ensure!(
                said.contains("did not open") && said.contains("address"),
                "{said}"
            );
        }
        other => anyhow::bail!("a tampered value was served: {other:?}"),
    }
    let fine = w.start(&t, ani_start("s5", "+14155550102")).await?;
    ensure!(
        fine.variables["address"].value == "9 Oak Road",
        "other customers are read"
    );
    Ok(())
}
