use proptest::prelude::*;
use time::macros::datetime;

use super::*;
use crate::identity::{Ani, AniPolicy, RawHints};

pub(super) fn now() -> Timestamp {
    Timestamp::new(datetime!(2026-02-06 15:30:00 UTC))
}

pub(super) fn cust(name: &str) -> CustomerRef {
    CustomerRef::from_trusted(name)
}

pub(super) fn hints(
    ani: Option<&str>, external: &[(&str, &str)], customer_ref: Option<&str>,
) -> IdentityHints {
    IdentityHints::parse(
        RawHints {
            ani: ani.map(str::to_owned),
            dnis: None,
            external_ids: external
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).into()))
                .collect(),
            customer_ref: customer_ref.map(str::to_owned),
        },
        &AniPolicy::default(),
        "identity_hints",
    )
    .unwrap()
}

/// Evidence builder: who is on the number, who the external ids point at, history.
#[derive(Default)]
pub(super) struct Seen(pub(super) Evidence);

impl Seen {
    pub(super) fn on_ani(mut self, customer: &str, remembered: Option<LineType>) -> Self {
        self.0.ani_links.push(AniLink {
            customer: cust(customer),
            line_type: remembered,
            linked_at: now() - Duration::days(10),
            confirmed: None,
        });
        self.0.activity.entry(cust(customer)).or_default();
        self
    }
    pub(super) fn external(mut self, namespace: &str, customer: &str) -> Self {
        self.0
            .external_matches
            .push((namespace.to_owned(), cust(customer)));
        self.0.activity.entry(cust(customer)).or_default();
        self
    }
    pub(super) fn named(mut self, customer: &str) -> Self {
        self.0.named_customer = Some(cust(customer));
        self.0.activity.entry(cust(customer)).or_default();
        self
    }
    pub(super) fn last_call(mut self, customer: &str, ago: Duration) -> Self {
        self.0
            .activity
            .entry(cust(customer))
            .or_default()
            .last_call_at = Some(now() - ago);
        self
    }
    pub(super) fn open_intent(mut self, customer: &str, ago: Duration) -> Self {
        self.0
            .activity
            .entry(cust(customer))
            .or_default()
            .last_open_intent_at = Some(now() - ago);
        self
    }
}

fn run(h: &IdentityHints, line: Option<LineType>, seen: &Seen) -> IdentityDecision {
    score(h, telco(line), &seen.0, &IdentityPolicy::default(), now())
}

pub(super) fn telco(line_type: Option<LineType>) -> Telco {
    Telco {
        line_type,
        ..Telco::default()
    }
}

fn with_weights(weights: ScoringWeights) -> IdentityPolicy {
    IdentityPolicy {
        weights,
        ..IdentityPolicy::default()
    }
}

pub(super) fn ani_only() -> IdentityHints {
    hints(Some("+14155551234"), &[], None)
}

struct Row {
    name: &'static str,
    hints: IdentityHints,
    line: Option<LineType>,
    seen: Seen,
    confidence: u8,
    sources: &'static [&'static str],
    customer: Option<&'static str>,
}

fn check(rows: Vec<Row>) {
    for row in rows {
        let d = run(&row.hints, row.line, &row.seen);
        assert_eq!(d.confidence.hundredths(), row.confidence, "{}", row.name);
        assert_eq!(d.sources, row.sources, "{}", row.name);
        assert_eq!(
            d.candidate.map(|c| c.customer),
            row.customer.map(cust),
            "{}",
            row.name
        );
    }
}

#[test]
fn every_row_of_the_weight_table() {
    use LineType::*;
    let ani_row = |name, line: Option<LineType>, confidence, source| Row {
        name,
        hints: ani_only(),
        line,
        seen: Seen::default().on_ani("a", None),
        confidence,
        sources: source,
        customer: Some("a"),
    };
    let history = |name, seen: Seen, confidence, sources| Row {
        name,
        hints: ani_only(),
        line: Some(Mobile),
        seen,
        confidence,
        sources,
        customer: Some("a"),
    };
    check(vec![
        ani_row("mobile", Some(Mobile), 50, &["ani:mobile"]),
        ani_row("unknown (no telco data)", None, 45, &["ani:unknown"]),
        ani_row("telco says unknown", Some(Unknown), 45, &["ani:unknown"]),
        ani_row("landline", Some(Landline), 40, &["ani:landline"]),
        ani_row("voip", Some(Voip), 30, &["ani:voip"]),
        ani_row("toll_free", Some(TollFree), 20, &["ani:toll_free"]),
        Row {
            name: "external id only",
            hints: hints(None, &[("crm_id", "crm_12345")], None),
            line: None,
            seen: Seen::default().external("crm_id", "a"),
            confidence: 40,
            sources: &["external_id"],
            customer: Some("a"),
        },
        history(
            "recency 1 day (edge)",
            Seen::default()
                .on_ani("a", None)
                .last_call("a", Duration::days(1)),
            55,
            &["ani:mobile", "recency:1day"],
        ),
        history(
            "recency 7 days (edge)",
            Seen::default()
                .on_ani("a", None)
                .last_call("a", Duration::days(7)),
            53,
            &["ani:mobile", "recency:7day"],
        ),
        history(
            "recency 30 days (edge)",
            Seen::default()
                .on_ani("a", None)
                .last_call("a", Duration::days(30)),
            51,
            &["ani:mobile", "recency:30day"],
        ),
        history(
            "older than 30 days adds nothing",
            Seen::default()
                .on_ani("a", None)
                .last_call("a", Duration::days(30) + Duration::seconds(1)),
            50,
            &["ani:mobile"],
        ),
        history(
            "open intent within 7 days",
            Seen::default()
                .on_ani("a", None)
                .open_intent("a", Duration::days(7)),
            55,
            &["ani:mobile", "intent:open"],
        ),
        history(
            "open intent older than 7 days adds nothing",
            Seen::default()
                .on_ani("a", None)
                .open_intent("a", Duration::days(8)),
            50,
            &["ani:mobile"],
        ),
        Row {
            name: "customer_ref names an existing customer",
            hints: hints(None, &[], Some("cust_a")),
            line: None,
            seen: Seen::default().named("cust_a"),
            confidence: 90,
            sources: &["customer_ref"],
            customer: Some("cust_a"),
        },
    ]);
}

#[test]
fn every_figure_in_the_seeds() {
    use LineType::*;
    let crm = [("crm_id", "crm_12345"), ("account_number", "ACC-789")];
    check(vec![
        Row {
            name: "new caller: 0.0",
            hints: ani_only(),
            line: None,
            seen: Seen::default(),
            confidence: 0,
            sources: &[],
            customer: None,
        },
        Row {
            name: "mobile only: 0.5",
            hints: ani_only(),
            line: Some(Mobile),
            seen: Seen::default().on_ani("a", None),
            confidence: 50,
            sources: &["ani:mobile"],
            customer: Some("a"),
        },
        Row {
            name: "mobile + external id: 0.9",
            hints: hints(Some("+14155551234"), &crm, None),
            line: Some(Mobile),
            seen: Seen::default()
                .on_ani("a", None)
                .external("crm_id", "a")
                .external("account_number", "a"),
            confidence: 90,
            sources: &["ani:mobile", "external_id"],
            customer: Some("a"),
        },
        Row {
            name: "mobile + external id + recency:1day: 0.95",
            hints: hints(Some("+14155551234"), &crm[..1], None),
            line: Some(Mobile),
            seen: Seen::default()
                .on_ani("a", None)
                .external("crm_id", "a")
                .last_call("a", Duration::hours(3)),
            confidence: 95,
            sources: &["ani:mobile", "external_id", "recency:1day"],
            customer: Some("a"),
        },
        Row {
            name: "ANI-only repeat call the same day, no telco data: 0.5",
            hints: ani_only(),
            line: None,
            seen: Seen::default()
                .on_ani("a", None)
                .last_call("a", Duration::minutes(5)),
            confidence: 50,
            sources: &["ani:unknown", "recency:1day"],
            customer: Some("a"),
        },
    ]);
}

#[test]
fn seed_figures_give_the_seed_levels() {
    let d = run(
        &ani_only(),
        None,
        &Seen::default()
            .on_ani("a", None)
            .last_call("a", Duration::minutes(5)),
    );
    assert_eq!(
        (d.level(), d.recommendation()),
        (Level::Medium, Recommendation::Reuse)
    );
    let d = run(&ani_only(), None, &Seen::default());
    assert_eq!(
        (d.level(), d.recommendation()),
        (Level::Low, Recommendation::Ignore)
    );
}

#[test]
fn remembered_line_type_counts_without_telco_data() {
    let seen = Seen::default().on_ani("a", Some(LineType::Mobile));
    let d = run(&ani_only(), None, &seen);
    assert_eq!(
        (d.confidence.hundredths(), d.sources.as_slice()),
        (50, &["ani:mobile".to_owned()][..])
    );
    // Fresh telco data wins over the remembered type; "unknown" never overrides it.
    let d = run(&ani_only(), Some(LineType::Voip), &seen);
    assert_eq!(d.confidence.hundredths(), 30);
    let d = run(&ani_only(), Some(LineType::Unknown), &seen);
    assert_eq!(d.confidence.hundredths(), 50);
}

#[test]
fn shared_number_divides_the_ani_weight_and_picks_the_most_recent() {
    let seen = Seen::default()
        .on_ani("older", None)
        .on_ani("newer", None)
        .last_call("older", Duration::days(20))
        .last_call("newer", Duration::days(3));
    let d = run(&ani_only(), Some(LineType::Mobile), &seen);
    assert_eq!(d.candidate.clone().unwrap().customer, cust("newer"));
    // 0.5 / 2 + recency:7day 0.03
    assert_eq!(d.confidence.hundredths(), 28);
    assert_eq!(d.sources, ["ani:shared", "recency:7day"]);
    // Two people are plausible: both are offered and the agent is asked to confirm.
    assert_eq!(d.recommendation(), Recommendation::Confirm);
    let offered: Vec<&str> = d
        .explanation
        .candidates
        .iter()
        .map(|o| o.customer.as_str())
        .collect();
    assert_eq!(offered, ["newer", "older"]);

    let three = Seen::default()
        .on_ani("x", None)
        .on_ani("y", None)
        .on_ani("z", None)
        .last_call("y", Duration::hours(1));
    let d = run(&ani_only(), Some(LineType::Landline), &three);
    assert_eq!(d.candidate.clone().unwrap().customer, cust("y"));
    // 0.4 / 3 = 0.1333 + 0.05 = 0.18
    assert_eq!(d.confidence.hundredths(), 18);
}

#[test]
fn external_id_beats_ani_on_conflict() {
    let seen = Seen::default()
        .on_ani("by_phone", None)
        .external("crm_id", "by_crm")
        .last_call("by_phone", Duration::hours(1));
    let d = run(
        &hints(Some("+14155551234"), &[("crm_id", "1")], None),
        Some(LineType::Mobile),
        &seen,
    );
    assert_eq!(d.candidate.clone().unwrap().customer, cust("by_crm"));
    assert_eq!(d.sources, ["conflict:ani", "external_id"]);
    assert_eq!(d.confidence.hundredths(), 40);
}

#[test]
fn customer_ref_hint_wins_and_reports_conflicts() {
    let seen = Seen::default()
        .named("cust_named")
        .on_ani("someone_else", None)
        .external("crm_id", "a_third");
    let d = run(
        &hints(Some("+14155551234"), &[("crm_id", "1")], Some("cust_named")),
        None,
        &seen,
    );
    assert_eq!(d.candidate.clone().unwrap().customer, cust("cust_named"));
    assert_eq!(
        d.sources,
        ["conflict:ani", "conflict:external_id", "customer_ref"]
    );
    assert_eq!(d.confidence.hundredths(), 90);

    let agreeing = Seen::default()
        .named("cust_named")
        .on_ani("cust_named", None);
    let d = run(
        &hints(Some("+14155551234"), &[], Some("cust_named")),
        None,
        &agreeing,
    );
    assert_eq!(d.confidence, Confidence::ONE);
    assert_eq!(d.sources, ["ani:unknown", "customer_ref"]);
}

#[test]
fn customer_ref_naming_nobody_is_a_new_customer() {
    let seen = Seen::default().on_ani("a", None);
    let d = run(
        &hints(Some("+14155551234"), &[], Some("cust_new")),
        None,
        &seen,
    );
    assert_eq!(d, IdentityDecision::unknown_caller(vec![]));
}

#[test]
fn withheld_ani_gives_no_signal() {
    let h = hints(Some("anonymous"), &[], None);
    assert_eq!(h.ani, Some(Ani::Withheld));
    // The store finds no ANI links for a withheld number; scoring sees none.
    let d = run(&h, Some(LineType::Mobile), &Seen::default());
    assert_eq!(d, IdentityDecision::unknown_caller(vec![]));
    let h = hints(Some("+266696687"), &[("crm", "1")], None);
    let d = run(&h, None, &Seen::default().external("crm", "a"));
    assert_eq!(d.sources, ["external_id"]);
}

#[test]
fn the_most_voted_customer_wins_among_external_ids() {
    let seen = Seen::default()
        .external("crm", "one")
        .external("account", "two")
        .external("email", "two")
        .last_call("one", Duration::hours(1));
    let d = run(
        &hints(
            None,
            &[("crm", "1"), ("account", "2"), ("email", "3")],
            None,
        ),
        None,
        &seen,
    );
    assert_eq!(d.candidate.clone().unwrap().customer, cust("two"));
}

#[test]
fn weights_are_configurable() {
    let weights = ScoringWeights {
        ani_mobile: 0.7,
        ..ScoringWeights::default()
    };
    let d = score(
        &ani_only(),
        telco(Some(LineType::Mobile)),
        &Seen::default().on_ani("a", None).0,
        &with_weights(weights),
        now(),
    );
    assert_eq!(d.level(), Level::High);
}

fn any_line() -> impl Strategy<Value = Option<LineType>> {
    prop::option::of(prop::sample::select(vec![
        LineType::Mobile,
        LineType::Landline,
        LineType::Voip,
        LineType::TollFree,
        LineType::Unknown,
    ]))
}

proptest! {
    #[test]
    fn confidence_is_always_between_0_and_1(
        on_ani in 0usize..4,
        external in 0usize..3,
        named in any::<bool>(),
        hint_ref in any::<bool>(),
        line in any_line(),
        last_call_hours in prop::option::of(0i64..2000),
        intent_hours in prop::option::of(0i64..400),
        weight in 0.0f64..2.0,
    ) {
        let mut seen = Seen::default();
        for i in 0..on_ani { seen = seen.on_ani(&format!("c{i}"), line); }
        for i in 0..external { seen = seen.external(&format!("ns{i}"), &format!("c{i}")); }
        if named { seen = seen.named("c0"); }
        if let Some(h) = last_call_hours { seen = seen.last_call("c0", Duration::hours(h)); }
        if let Some(h) = intent_hours { seen = seen.open_intent("c0", Duration::hours(h)); }
        let h = hints(Some("+14155551234"), &[], hint_ref.then_some("c0"));
        let weights = ScoringWeights { ani_mobile: weight, external_id: weight, customer_ref: weight, ..ScoringWeights::default() };
        let d = score(&h, telco(line), &seen.0, &with_weights(weights), now());
        prop_assert!(d.confidence.as_f64() >= 0.0 && d.confidence.as_f64() <= 1.0);
        if d.candidate.is_none() {
            prop_assert_eq!(d.confidence, Confidence::ZERO);
            prop_assert!(d.sources.is_empty());
        }
    }

    #[test]
    fn level_and_recommendation_are_monotone(a in 0u8..=100, b in 0u8..=100) {
        let (lo, hi) = (Confidence::from_hundredths(a.min(b)), Confidence::from_hundredths(a.max(b)));
        prop_assert!(lo.level() <= hi.level());
        prop_assert!(lo.recommendation() <= hi.recommendation());
    }

    #[test]
    fn from_sum_stays_in_range(sum in -10.0f64..10.0) {
        let c = Confidence::from_sum(sum);
        prop_assert!(c.as_f64() >= 0.0 && c.as_f64() <= 1.0);
    }
}
