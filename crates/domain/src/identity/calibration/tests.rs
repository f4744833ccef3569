use super::*;

fn judged(h: u8, verdict: Option<(bool, bool, bool)>, calls: u64) -> JudgedCalls {
    JudgedCalls {
        confidence: Confidence::from_hundredths(h),
        sources: vec!["ani:mobile".into()],
        verdict: verdict.map(|(reused, correct, returning)| Verdict {
            reused,
            correct,
            returning,
        }),
        calls,
    }
}

#[test]
fn a_verdict_reads_back_from_its_code() {
    for reused in [false, true] {
        for correct in [false, true] {
            for returning in [false, true] {
                let v = Verdict {
                    reused,
                    correct,
                    returning,
                };
                assert_eq!(Verdict::from_code(&v.code()), Ok(v));
            }
        }
    }
    assert_eq!(
        Verdict {
            reused: true,
            correct: true,
            returning: true
        }
        .code(),
        "reuse/right/returning"
    );
    for bad in [
        "",
        "reuse/right",
        "reuse/right/returning/x",
        "yes/right/new",
    ] {
        assert!(Verdict::from_code(bad).is_err(), "{bad}");
    }
}

#[test]
fn no_calls_give_empty_bins_and_no_scores() {
    let c = calibrate(&[]);
    assert_eq!((c.calls, c.confirmed), (0, 0));
    assert_eq!(c.bins.len(), 10);
    assert_eq!((c.bins[0].from, c.bins[9].to), (0.0, 1.0));
    assert!(c.bins.iter().all(|b| b.calls == 0));
    assert_eq!(c.brier, None);
    assert_eq!(c.reuse.precision, None);
    assert_eq!(c.reuse.recall, None);
}

#[test]
fn confirmed_calls_fall_in_their_bins_and_score() {
    let c = calibrate(&[
        // 8 reused at 0.95, 7 right; 2 unconfirmed at 0.95
        judged(95, Some((true, true, true)), 7),
        judged(95, Some((true, false, true)), 1),
        judged(95, None, 2),
        // 4 confirmed at 0.35, 1 right, 3 returning
        judged(35, Some((false, true, true)), 1),
        judged(35, Some((false, false, true)), 2),
        judged(35, Some((false, false, false)), 1),
        // a new caller, confirmed new; 1 confirmed at exactly 1.0
        judged(0, Some((false, false, false)), 3),
        judged(100, Some((true, true, true)), 1),
    ]);
    assert_eq!(c.calls, 18);
    assert_eq!(c.confirmed, 16);
    let bin = |i: usize| (c.bins[i].calls, c.bins[i].correct);
    assert_eq!(bin(9), (9, 8), "1.0 falls in the last bin");
    assert_eq!(bin(3), (4, 1));
    assert_eq!(bin(0), (3, 0));
    assert_eq!(c.bins.iter().map(|b| b.calls).sum::<u64>(), c.confirmed);
    let expected_brier = (7.0 * 0.05f64.powi(2)
        + 0.95f64.powi(2)
        + 0.65f64.powi(2)
        + 3.0 * 0.35f64.powi(2)
        + 0.0
        + 0.0)
        / 16.0;
    assert!(
        (c.brier.unwrap() - expected_brier).abs() < 1e-6,
        "{:?}",
        c.brier
    );
    // reuse: 9 confirmed, 8 right; returning: 8 + 1 + 3 = 12 (incl. the 1.0 one)
    assert_eq!(c.reuse.precision, Some(0.888889));
    assert_eq!(c.reuse.recall, Some(0.666667));
}

#[test]
fn a_stored_group_reads_back_and_a_bad_verdict_is_corruption() {
    let group = JudgedCalls::from_stored(
        55,
        vec!["external_id".into()],
        Some("reuse/wrong/returning"),
        3,
    )
    .unwrap();
    assert_eq!(group.confidence.hundredths(), 55);
    assert_eq!(group.calls, 3);
    assert_eq!(
        group.verdict,
        Some(Verdict {
            reused: true,
            correct: false,
            returning: true
        })
    );
    assert_eq!(
        JudgedCalls::from_stored(0, vec![], None, 1)
            .unwrap()
            .verdict,
        None
    );
    assert!(JudgedCalls::from_stored(10, vec![], Some("maybe"), 1).is_err());
}
