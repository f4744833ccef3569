//! The payment sequence: each step from what the store found, and that it ends.

use super::*;
use crate::credits::EntryKind;
use crate::credits::ledger_tests::{POLICY, terms, ts};
use crate::tenant::{AccountId, Environment};
use crate::webhooks::EventType;

fn tenant() -> TenantId {
    TenantId {
        account: AccountId(uuid::Uuid::from_u128(9)),
        environment: Environment::Prod,
    }
}

fn one() -> Charge {
    Charge { credits: 1 }
}

fn now() -> Timestamp {
    ts("2026-01-10T00:00:00.000Z")
}

/// An account opened on 2026-01-01 with `allowance` and `top_up` credits left.
fn account(allowance: u64, allowance_left: u64, top_up: u64) -> CreditAccount {
    let mut a =
        CreditAccount::open(&terms("starter", allowance), ts("2026-01-01T00:00:00.000Z")).account;
    a.allowance_left = allowance_left;
    a.top_up = top_up;
    a
}

fn block(allowance: u64, top_up: u64) -> Block {
    Block {
        period_start: ts("2026-01-01T00:00:00.000Z"),
        allowance_left: allowance,
        top_up,
    }
}

#[test]
fn a_locked_stripe_that_can_pay_pays_and_counts_every_block() {
    let id = CallId::from_trusted("c1");
    let mut payment = Payment::new(tenant(), one(), &id, &POLICY, now());
    let stored = account(1_000, 900, 0);
    let all = [(0_u8, block(10, 0)), (1, block(5, 0))];
    let step = payment.next(Found::Stripe {
        own: Some(all[0]),
        account: Some(&stored),
        all: &all,
    });
    let Step::Pay(paid) = step else {
        panic!("{step:?}")
    };
    // 900 in the account, 9 and 5 in the blocks.
    assert_eq!(paid.credits_left, 914);
    let Writes::Stripe { stripe, entry } = paid.writes else {
        panic!("{:?}", paid.writes)
    };
    assert_eq!(stripe, (0, block(9, 0)));
    assert_eq!(entry.kind, EntryKind::Debit);
    assert_eq!(entry.call_id, Some(id.clone()));
}

#[test]
fn a_start_without_a_stripe_while_the_tenant_has_room_for_more_gathers_everything() {
    let id = CallId::from_trusted("c4");
    let stored = account(1_000, 900, 0);
    let all = [(0_u8, block(3, 0))];
    let mut payment = Payment::new(tenant(), one(), &id, &POLICY, now());
    let step = payment.next(Found::Stripe {
        own: None,
        account: Some(&stored),
        all: &all,
    });
    assert!(matches!(step, Step::LockAccount), "{step:?}");
    let step = payment.next(Found::Account {
        account: Some(stored.clone()),
        all: &all,
    });
    assert!(matches!(step, Step::GatherAll), "{step:?}");
    let step = payment.next(Found::Everything {
        account: Some(stored),
        held: &all,
    });
    let Step::Pay(paid) = step else {
        panic!("{step:?}")
    };
    assert_eq!(paid.credits_left, 902);
}

#[test]
fn an_empty_or_missing_stripe_asks_for_the_account_which_pays_and_sets_a_block_aside() {
    let id = CallId::from_trusted("c2");
    let stored = account(1_000, 900, 0);
    // Every stripe the tenant may have exists: one without a lock pays from the account.
    let mut all: Vec<(u16, Block)> = (0..STRIPES).map(|s| (s, block(0, 0))).collect();
    all[1].1 = block(5, 0);
    for own in [Some(all[0]), None] {
        let mut payment = Payment::new(tenant(), one(), &id, &POLICY, now());
        let step = payment.next(Found::Stripe {
            own,
            account: Some(&stored),
            all: &all,
        });
        assert!(matches!(step, Step::LockAccount), "{step:?}");
        let step = payment.next(Found::Account {
            account: Some(stored.clone()),
            all: &all,
        });
        let Step::Pay(paid) = step else {
            panic!("{step:?}")
        };
        // One credit spent of 905.
        assert_eq!(paid.credits_left, 904, "{own:?}");
        let Writes::Account { change, set_aside } = paid.writes else {
            panic!("{:?}", paid.writes)
        };
        assert_eq!(
            change.entries.last().map(|e| e.kind),
            Some(EntryKind::Debit)
        );
        match own {
            // Its stripe gets a fresh block from the account.
            Some(_) => {
                let (stripe, fresh) = set_aside.unwrap();
                assert_eq!(stripe, 0);
                assert!(fresh.balance().total() > 0, "{fresh:?}");
                assert_eq!(
                    change.account.balance().total() + fresh.balance().total() + 5,
                    904
                );
            }
            None => assert!(set_aside.is_none()),
        }
    }
}

#[test]
fn credits_parked_elsewhere_gather_everything_which_pays_or_refuses_and_says_so() {
    let id = CallId::from_trusted("c3");
    // The account has nothing left; another stripe holds the last credit.
    let stored = account(100, 0, 0);
    let all = [(0_u8, block(0, 0)), (1, block(1, 0))];
    let mut payment = Payment::new(tenant(), one(), &id, &POLICY, now());
    let step = payment.next(Found::Stripe {
        own: Some(all[0]),
        account: Some(&stored),
        all: &all,
    });
    assert!(matches!(step, Step::LockAccount), "{step:?}");
    let step = payment.next(Found::Account {
        account: Some(stored.clone()),
        all: &all,
    });
    assert!(matches!(step, Step::GatherAll), "{step:?}");
    let step = payment.next(Found::Everything {
        account: Some(stored.clone()),
        held: &all,
    });
    let Step::Pay(paid) = step else {
        panic!("{step:?}")
    };
    assert_eq!(paid.credits_left, 0);
    let Writes::Gathered {
        change,
        held,
        events,
    } = paid.writes
    else {
        panic!("{:?}", paid.writes)
    };
    assert_eq!(change.account.balance().total(), 0);
    assert_eq!(held, all.to_vec());
    assert!(
        events.iter().any(|e| e.kind == EventType::CreditsExhausted),
        "{events:?}"
    );

    // Nothing anywhere: refused once everything is held, nothing to write.
    let empty = [(0_u8, block(0, 0))];
    let mut payment = Payment::new(tenant(), one(), &id, &POLICY, now());
    let step = payment.next(Found::Everything {
        account: Some(stored),
        held: &empty,
    });
    let Step::Refuse(refused) = step else {
        panic!("{step:?}")
    };
    assert_eq!((refused.needed, refused.available), (1, 0));
    let step = payment.next(Found::Everything {
        account: None,
        held: &empty,
    });
    assert!(matches!(step, Step::Refuse(_)), "{step:?}");
}

#[test]
fn from_the_read_each_stripe_that_can_pay_offers_what_step_one_would_write_with_it() {
    let id = CallId::from_trusted("c5");
    let stored = account(1_000, 900, 0);
    let all = [
        (0_u8, block(10, 0)),
        (1, block(0, 0)),
        (2, block(0, 4)),
        (3, block(5, 0)),
    ];
    let payment = Payment::new(tenant(), one(), &id, &POLICY, now());
    let offers = payment.from_read(Some(&stored), &all);
    // The empty stripe cannot pay; every other one can, once each.
    let mut offered: Vec<u8> = offers.iter().map(|o| o.read.0).collect();
    offered.sort_unstable();
    assert_eq!(offered, [0, 2, 3]);
    for offer in &offers {
        // The same decision as step 1 with that stripe locked.
        let mut stepped = Payment::new(tenant(), one(), &id, &POLICY, now());
        let Step::Pay(paid) = stepped.next(Found::Stripe {
            own: Some(offer.read),
            account: Some(&stored),
            all: &all,
        }) else {
            panic!("step 1 did not pay from {:?}", offer.read)
        };
        assert_eq!(offer.paid.credits_left, paid.credits_left);
        assert_eq!(offer.paid.credits_left, 918);
        let (
            Writes::Stripe { stripe, entry },
            Writes::Stripe {
                stripe: s1,
                entry: e1,
            },
        ) = (&offer.paid.writes, &paid.writes)
        else {
            panic!("{:?}", offer.paid.writes)
        };
        assert_eq!((stripe, entry), (s1, e1));
        assert_eq!(stripe.0, offer.read.0);
        assert_eq!(
            stripe.1.balance().total() + 1,
            offer.read.1.balance().total()
        );
        // What it takes leaves that block after.
        assert_eq!(offer.taken.from(&offer.read.1), Some(stripe.1));
    }
}

#[test]
fn from_the_read_nothing_is_offered_without_an_account_or_a_block_of_this_period() {
    let id = CallId::from_trusted("c6");
    let all = [(0_u8, block(10, 0))];
    let payment = Payment::new(tenant(), one(), &id, &POLICY, now());
    assert!(payment.from_read(None, &all).is_empty());
    // A month later the block's allowance belongs to a period that is over.
    let later = Payment::new(
        tenant(),
        one(),
        &id,
        &POLICY,
        ts("2026-02-10T00:00:00.000Z"),
    );
    assert!(
        later
            .from_read(Some(&account(1_000, 900, 0)), &all)
            .is_empty()
    );
    assert!(
        payment
            .from_read(Some(&account(1_000, 900, 0)), &[])
            .is_empty()
    );
}

#[test]
fn starts_at_once_begin_their_offers_on_different_stripes() {
    let stored = account(1_000, 900, 0);
    let all: Vec<(u16, Block)> = (0..STRIPES).map(|s| (s, block(10, 0))).collect();
    let firsts: std::collections::BTreeSet<u16> = (0..64)
        .map(|n| {
            let id = CallId::from_trusted(format!("call-{n}"));
            let payment = Payment::new(tenant(), one(), &id, &POLICY, now());
            let offers = payment.from_read(Some(&stored), &all);
            // Every stripe offered, going round from the first.
            assert_eq!(offers.len(), all.len());
            let first = offers[0].read.0;
            for (i, offer) in offers.iter().enumerate() {
                assert_eq!(offer.read.0, (first + i as u16) % STRIPES);
            }
            // The same call id begins on the same stripe every time.
            assert_eq!(payment.from_read(Some(&stored), &all)[0].read.0, first);
            first
        })
        .collect();
    assert!(firsts.len() >= 8, "64 starts began on only {firsts:?}");
}
