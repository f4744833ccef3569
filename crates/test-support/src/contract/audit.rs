//! The contract of the audit trail: every line reads back as it was added, newest
//! first, each account sees only its own, filters narrow, and pages follow each other
//! without a line lost or shown twice.

use anyhow::ensure;
use stickycalls_domain::audit::{
    Actor, AuditAction, AuditCursor, AuditEntry, AuditFilter, AuditObject, Outcome,
};
use stickycalls_domain::ports::{AuditStore, Clock};
use stickycalls_domain::tenant::AccountId;
use time::Duration;

use super::{StorageFactory, World};

fn line(
    w_now: stickycalls_domain::Timestamp, n: i64, actor: Actor, action: AuditAction,
) -> AuditEntry {
    AuditEntry {
        at: stickycalls_domain::Timestamp::from(w_now.get() + Duration::seconds(n)),
        actor,
        action,
        object: Some(AuditObject::id(format!("object-{n}"))),
        address: Some(format!("192.0.2.{n}").parse().expect("an address")),
        outcome: if n % 3 == 0 {
            Outcome::Refused("forbidden".into())
        } else {
            Outcome::Succeeded
        },
    }
}

/// A line the operator's command line adds at the Unix epoch (an adapter's own tests
/// use it to try changing its table).
pub fn operator_line() -> AuditEntry {
    AuditEntry {
        at: stickycalls_domain::Timestamp::from(time::OffsetDateTime::UNIX_EPOCH),
        actor: Actor::Operator,
        action: AuditAction::CreditsGranted,
        object: None,
        address: Some("2001:db8::1".parse().expect("an address")),
        outcome: Outcome::Succeeded,
    }
}

/// Seven lines by a person, a key and the operator on one account, one on another;
/// read back whole, newest first, filtered, and in pages of two.
pub async fn audit_lines_read_back_newest_first_per_account<F: StorageFactory>(
    factory: &F,
) -> anyhow::Result<()> {
    let w = World::new(factory).await?;
    let (mine, other) = (
        AccountId(uuid::Uuid::from_u128(71)),
        AccountId(uuid::Uuid::from_u128(72)),
    );
    let ana = Actor::Person {
        id: uuid::Uuid::from_u128(9),
        email: "ana@example.com".into(),
    };
    let key = Actor::Key("key_00000000000000a1".into());
    let now = w.clock.now();
    let plan = [
        (ana.clone(), AuditAction::SignedIn),
        (key.clone(), AuditAction::KeyCreated),
        (ana.clone(), AuditAction::SettingsChanged),
        (Actor::Operator, AuditAction::CreditsGranted),
        (key.clone(), AuditAction::KeyRevoked),
        (ana.clone(), AuditAction::CustomerErased),
        (ana.clone(), AuditAction::KeyCreated),
    ];
    let mut added = Vec::new();
    for (n, (actor, action)) in (1..).zip(plan) {
        let mut entry = line(now, n, actor, action);
        if action == AuditAction::CustomerErased {
            entry.object = Some(AuditObject::customer("CRM-77 Jane"));
        }
        let position = w.store.append_audit(&mine, &entry).await?;
        added.push((position, entry));
        // Another account's line between each of ours.
        w.store
            .append_audit(
                &other,
                &line(now, n, Actor::Operator, AuditAction::PlanChanged),
            )
            .await?;
    }
    ensure!(
        added.windows(2).all(|p| p[0].0 < p[1].0),
        "positions not increasing: {:?}",
        added.iter().map(|(p, _)| *p).collect::<Vec<_>>()
    );

    let all = w
        .store
        .list_audit(&mine, &AuditFilter::default(), None, 100)
        .await?;
    let newest_first: Vec<_> = added.iter().rev().cloned().collect();
    ensure!(all == newest_first, "read back {all:?}");

    let theirs = w
        .store
        .list_audit(&other, &AuditFilter::default(), None, 100)
        .await?;
    ensure!(
        theirs.len() == 7
            && theirs
                .iter()
                .all(|(_, e)| e.action == AuditAction::PlanChanged),
        "{theirs:?}"
    );
    let nobody = AccountId(uuid::Uuid::from_u128(73));
    ensure!(
        w.store
            .list_audit(&nobody, &AuditFilter::default(), None, 100)
            .await?
            .is_empty()
    );

    // Filters: by action, by actor, by time (since inclusive, until exclusive), together.
    let by = |filter: AuditFilter| {
        let store = w.store.clone();
        async move {
            let lines = store.list_audit(&mine, &filter, None, 100).await?;
            anyhow::Ok(
                lines
                    .into_iter()
                    .map(|(p, _)| p)
                    .collect::<Vec<AuditCursor>>(),
            )
        }
    };
    let positions = |picks: &[usize]| picks.iter().rev().map(|i| added[*i].0).collect::<Vec<_>>();
    let created = AuditFilter {
        action: Some(AuditAction::KeyCreated),
        ..AuditFilter::default()
    };
    ensure!(by(created).await? == positions(&[1, 6]), "by action");
    let anas = AuditFilter {
        actor: Some("ana@example.com".into()),
        ..AuditFilter::default()
    };
    ensure!(
        by(anas.clone()).await? == positions(&[0, 2, 5, 6]),
        "by actor"
    );
    let window = AuditFilter {
        since: Some(added[2].1.at),
        until: Some(added[5].1.at),
        ..AuditFilter::default()
    };
    ensure!(by(window).await? == positions(&[2, 3, 4]), "by time");
    let both = AuditFilter {
        since: Some(added[3].1.at),
        ..anas
    };
    ensure!(by(both).await? == positions(&[5, 6]), "by actor and time");

    // Pages of two, each after the last line of the one before: every line once.
    let mut paged = Vec::new();
    let mut before = None;
    loop {
        let page = w
            .store
            .list_audit(&mine, &AuditFilter::default(), before, 2)
            .await?;
        ensure!(page.len() <= 2, "a page of {}", page.len());
        let Some((last, _)) = page.last() else { break };
        before = Some(*last);
        paged.extend(page);
    }
    ensure!(paged == newest_first, "paged {paged:?}");
    Ok(())
}
