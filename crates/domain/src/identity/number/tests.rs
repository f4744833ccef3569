use time::Duration;
use time::macros::datetime;

use super::*;
use crate::identity::CustomerRef;

fn t(minutes: i64) -> Timestamp {
    Timestamp::new(datetime!(2026-03-01 09:00:00 UTC)) + Duration::minutes(minutes)
}

fn link(
    customer: &str, linked: i64, confirmed: Option<(i64, i64, Option<Attestation>)>,
) -> AniLink {
    AniLink {
        customer: CustomerRef::from_trusted(customer),
        line_type: None,
        linked_at: t(linked),
        // A link confirmed without attestation remembers when (its latest such call).
        confirmed: confirmed.map(|(first, last, attestation)| Confirmed {
            first_at: t(first),
            last_at: t(last),
            attestation,
            unattested_at: attested(attestation).is_none().then(|| t(last)),
            // Confirmed once, or twice (first and last), with it.
            attested_run: if vouches(attestation) {
                1 + u32::from(last > first)
            } else {
                0
            },
        }),
    }
}

/// Who still earns on `links` for a call with `call`'s attestation at `now`, under the
/// default policy.
fn earning(
    links: &[AniLink], line_type: Option<LineType>, call: Option<Attestation>, now: Timestamp,
) -> Vec<&str> {
    active_links(links, line_type, call, now, &NumberPolicy::default())
        .iter()
        .map(|l| l.customer.as_str())
        .collect()
}

const A: Option<Attestation> = Some(Attestation::A);
const C: Option<Attestation> = Some(Attestation::C);

#[test]
fn a_mobile_whose_confirmations_moved_to_someone_new_was_recycled() {
    let links = [
        link("old_owner", 0, Some((0, 50, A))),
        link("new_owner", 60, Some((60, 70, A))),
    ];
    let mobile = Some(LineType::Mobile);
    assert_eq!(earning(&links, mobile, A, t(100)), ["new_owner"]);
    // The old owner confirmed again since: both use it, it is shared.
    let links = [
        link("old_owner", 0, Some((0, 80, A))),
        link("new_owner", 60, Some((60, 70, A))),
    ];
    assert_eq!(
        earning(&links, mobile, A, t(100)),
        ["old_owner", "new_owner"]
    );
}

#[test]
fn a_one_off_on_a_mobile_fades_once_the_owner_is_confirmed_again() {
    let mobile = Some(LineType::Mobile);
    // The owner (confirmed many times) lent the phone once; then called again.
    let links = [
        link("owner", 0, Some((0, 40, None))),
        link("friend", 50, Some((50, 50, None))),
    ];
    assert_eq!(earning(&links, mobile, None, t(60)), ["owner", "friend"]);
    let links = [
        link("owner", 0, Some((0, 70, None))),
        link("friend", 50, Some((50, 50, None))),
    ];
    assert_eq!(earning(&links, mobile, None, t(80)), ["owner"]);
    // Two people who both use it, each confirmed again and again, share it.
    let links = [
        link("one", 0, Some((0, 70, None))),
        link("two", 10, Some((10, 60, None))),
    ];
    assert_eq!(earning(&links, mobile, None, t(80)), ["one", "two"]);
}

#[test]
fn a_dormant_owner_gives_way_to_whoever_was_confirmed_since() {
    let day = 24 * 60;
    let links = [
        link("old", 0, Some((0, 10, None))),
        link("new", 200 * day, Some((200 * day, 200 * day, None))),
    ];
    let now = t(200 * day + 60);
    assert_eq!(earning(&links, Some(LineType::Mobile), None, now), ["new"]);
}

/// A recycled mobile's new owner whose calls arrive without attestation is not weak
/// because the dormant old owner's were attested A.
#[test]
fn a_dormant_owners_attestations_make_nobody_weak() {
    let day = 24 * 60;
    let links = [
        link("old", 0, Some((0, 10 * day, A))),
        link("new", 200 * day, Some((200 * day, 200 * day, None))),
    ];
    let now = t(201 * day);
    assert_eq!(earning(&links, Some(LineType::Mobile), None, now), ["new"]);
    // While the old owner is not dormant, an unattested one-off beside them is weak.
    let links = [
        link("old", 0, Some((0, 190 * day, A))),
        link("new", 200 * day, Some((200 * day, 200 * day, None))),
    ];
    assert_eq!(earning(&links, Some(LineType::Mobile), None, now), ["old"]);
}

#[test]
fn a_household_landline_keeps_everyone() {
    let links = [
        link("ann", 0, Some((0, 50, A))),
        link("ben", 60, Some((60, 70, A))),
    ];
    for shared in [Some(LineType::Landline), Some(LineType::Voip), None] {
        assert_eq!(
            earning(&links, shared, A, t(100)),
            ["ann", "ben"],
            "{shared:?}"
        );
    }
}

#[test]
fn unconfirmed_links_are_what_they_always_were() {
    let links = [link("a", 0, None), link("b", 10, None)];
    assert_eq!(
        earning(&links, Some(LineType::Mobile), A, t(100)),
        ["a", "b"]
    );
    assert_eq!(usual_attestation(&links), None);
    assert!(!is_downgrade(&links, None, t(100)));
}

#[test]
fn someone_confirmed_only_on_weaker_calls_does_not_share_the_number() {
    // The owner's calls carry A; a spoofer was confirmed on a call with C.
    let links = [
        link("owner", 0, Some((0, 50, A))),
        link("spoofer", 60, Some((60, 60, C))),
    ];
    assert_eq!(usual_attestation(&links), A);
    for line in [Some(LineType::Mobile), Some(LineType::Landline)] {
        assert_eq!(earning(&links, line, None, t(100)), ["owner"], "{line:?}");
    }
    // Confirmed only on a failed call: weaker than any call but another failed one.
    let failed = Some(Attestation::Failed);
    let links = [link("x", 0, Some((0, 0, failed)))];
    assert!(earning(&links, None, A, t(100)).is_empty());
    assert_eq!(earning(&links, None, failed, t(100)), ["x"]);
}

#[test]
fn someone_seen_only_with_less_than_this_call_is_not_its_subscriber() {
    // A spoofer was the first on the number; the subscriber now calls fully attested.
    let links = [link("spoofer", 0, Some((0, 0, C)))];
    assert!(earning(&links, Some(LineType::Mobile), A, t(100)).is_empty());
    let links = [
        link("spoofer", 0, Some((0, 0, C))),
        link("subscriber", 10, None),
    ];
    assert_eq!(
        earning(&links, Some(LineType::Mobile), A, t(100)),
        ["subscriber"]
    );
    // A call no stronger than what was seen changes nothing.
    assert_eq!(
        earning(&links, Some(LineType::Mobile), C, t(100)),
        ["spoofer", "subscriber"]
    );
}

#[test]
fn links_confirmed_before_attestations_were_sent_stay() {
    let links = [link("known", 0, Some((0, 50, None)))];
    assert_eq!(
        earning(&links, Some(LineType::Mobile), A, t(100)),
        ["known"]
    );
}

#[test]
fn an_unattested_confirmation_on_an_attested_number_does_not_take_it_over() {
    // The owner's calls carry A; someone was confirmed on a call that carried none.
    let links = [
        link("owner", 0, Some((0, 50, A))),
        link("caller", 60, Some((60, 60, None))),
    ];
    for call in [A, None] {
        assert_eq!(
            earning(&links, Some(LineType::Mobile), call, t(100)),
            ["owner"],
            "{call:?}"
        );
    }
}

#[test]
fn a_call_weaker_than_the_numbers_usual_attestation_is_a_downgrade() {
    let mut owner = link("owner", 0, Some((0, 50, A)));
    confirmed_again(&mut owner, 1, i64::from(ATTESTED_RUN), A);
    let links = [owner];
    assert!(!is_downgrade(&links, A, t(20 * 24 * 60)));
    for weaker in [Some(Attestation::B), C, Some(Attestation::None), None] {
        assert!(is_downgrade(&links, weaker, t(20 * 24 * 60)), "{weaker:?}");
    }
    let unattested = [link("owner", 0, Some((0, 50, None)))];
    assert!(!is_downgrade(&unattested, None, t(100)));
    assert!(is_downgrade(&unattested, Some(Attestation::Failed), t(100)));
}

/// On a mobile whose owner's own calls sometimes come without attestation (so a link
/// confirmed without one is not weak there), someone confirmed once without one does
/// not take the number over from an owner confirmed once with one: both stay, and the
/// number alone reuses neither.
#[test]
fn an_unattested_one_off_does_not_take_a_mobile_over() {
    let mut owner = link("owner", 0, Some((0, 10, A)));
    owner.confirmed = Some(Confirmed::after(owner.confirmed, t(10), None));
    owner.confirmed = Some(Confirmed {
        first_at: t(10),
        ..owner.confirmed.unwrap()
    });
    let links = [owner, link("caller", 20, Some((20, 20, None)))];
    assert_eq!(
        earning(&links, Some(LineType::Mobile), None, t(100)),
        ["owner", "caller"]
    );
}

/// `owner` confirmed `times` more times, a day apart from `day`, with `attestation`.
fn confirmed_again(owner: &mut AniLink, day: i64, times: i64, attestation: Option<Attestation>) {
    for n in 0..times {
        owner.confirmed = Some(Confirmed::after(
            owner.confirmed,
            t((day + n) * 24 * 60),
            attestation,
        ));
    }
}

/// Absence is a downgrade only on a number consistently attested: its last
/// [`ATTESTED_RUN`] confirmations in a row carried A or B, none unattested lately; once
/// its genuine calls have arrived without any attestation (recently), absence is
/// ordinary there, while a weaker level still is a downgrade.
#[test]
fn absence_is_a_downgrade_only_where_the_number_is_always_attested() {
    let day = 24 * 60;
    // Attested twice: too short a record to read absence as a sign.
    let mut owner = link("owner", 0, Some((0, 7 * day, A)));
    assert!(!is_downgrade(
        std::slice::from_ref(&owner),
        None,
        t(8 * day)
    ));
    assert!(is_downgrade(std::slice::from_ref(&owner), C, t(8 * day)));
    confirmed_again(&mut owner, 8, i64::from(ATTESTED_RUN) - 3, A);
    assert_eq!(owner.confirmed.unwrap().attested_run, ATTESTED_RUN - 1);
    assert!(!is_downgrade(
        std::slice::from_ref(&owner),
        None,
        t(30 * day)
    ));
    confirmed_again(&mut owner, 20, 1, A);
    assert!(is_downgrade(
        std::slice::from_ref(&owner),
        None,
        t(30 * day)
    ));
    // One of the owner's confirmed calls came without attestation: A is kept, the run
    // starts again.
    confirmed_again(&mut owner, 40, 1, None);
    confirmed_again(&mut owner, 41, 1, A);
    let c = owner.confirmed.unwrap();
    assert_eq!((c.attestation, c.attested_run), (A, 1));
    let links = [owner.clone()];
    for absent in [None, Some(Attestation::None)] {
        assert!(!is_downgrade(&links, absent, t(50 * day)), "{absent:?}");
    }
    assert!(is_downgrade(&links, C, t(50 * day)));
    assert!(is_downgrade(&links, Some(Attestation::Failed), t(50 * day)));
    // A long run since, and the unattested call long past: consistently attested again.
    confirmed_again(&mut owner, 60, i64::from(ATTESTED_RUN), A);
    assert!(!is_downgrade(
        std::slice::from_ref(&owner),
        None,
        t(100 * day)
    ));
    assert!(is_downgrade(&[owner], None, t(140 * day)));
}

/// A mobile confirmed once each for two people (the owner once, then a borrower or a
/// spoof, or a new owner's first call) names neither alone: only an owner confirmed
/// more than once pushes the other aside.
#[test]
fn two_people_confirmed_once_each_on_a_mobile_both_stay() {
    let links = [
        link("first", 0, Some((0, 0, None))),
        link("second", 50, Some((50, 50, None))),
    ];
    assert_eq!(
        earning(&links, Some(LineType::Mobile), None, t(60)),
        ["first", "second"]
    );
    // Once the second is confirmed again, the number has moved to them.
    let links = [
        link("first", 0, Some((0, 0, None))),
        link("second", 50, Some((50, 55, None))),
    ];
    assert_eq!(
        earning(&links, Some(LineType::Mobile), None, t(60)),
        ["second"]
    );
}

/// An unattested confirmation neither erases the attestation a link keeps nor is
/// forgotten by a later attested one.
#[test]
fn a_confirmation_remembers_the_last_attestation_and_the_last_unattested_call() {
    let first = Confirmed::after(None, t(0), A);
    assert_eq!(
        (first.attestation, first.unattested_at, first.attested_run),
        (A, None, 1)
    );
    let second = Confirmed::after(Some(first), t(5), Some(Attestation::B));
    assert_eq!(second.attested_run, 2);
    let absent = Confirmed::after(Some(second), t(10), Some(Attestation::None));
    assert_eq!(
        (absent.attestation, absent.unattested_at),
        (Some(Attestation::B), Some(t(10)))
    );
    assert_eq!(absent.attested_run, 0);
    let again = Confirmed::after(Some(absent), t(20), C);
    assert_eq!((again.attestation, again.unattested_at), (C, Some(t(10))));
    // C does not vouch for the caller: no run.
    assert_eq!(again.attested_run, 0);
}

#[test]
fn the_line_type_belongs_to_the_number() {
    let mut older = link("a", 0, Some((0, 10, None)));
    older.line_type = Some(LineType::Landline);
    let mut newer = link("b", 20, Some((20, 30, None)));
    newer.line_type = Some(LineType::Mobile);
    let unknown = link("c", 40, None);
    assert_eq!(
        remembered_line_type(&[older.clone(), newer.clone(), unknown.clone()]),
        Some(LineType::Mobile)
    );
    assert_eq!(remembered_line_type(&[unknown]), None);
    assert_eq!(remembered_line_type(&[older]), Some(LineType::Landline));
}

#[test]
fn a_confirmation_keeps_the_first_time_and_replaces_the_rest() {
    let first = Confirmed::after(None, t(0), A);
    assert_eq!((first.first_at, first.last_at), (t(0), t(0)));
    let later = Confirmed::after(Some(first), t(30), C);
    assert_eq!(
        (later.first_at, later.last_at, later.attestation),
        (t(0), t(30), C)
    );
}

#[test]
fn strength_orders_the_levels() {
    let order = [
        Some(Attestation::Failed),
        None,
        Some(Attestation::C),
        Some(Attestation::B),
        A,
    ];
    assert!(order.windows(2).all(|w| strength(w[0]) < strength(w[1])));
    assert_eq!(strength(Some(Attestation::None)), strength(None));
}
