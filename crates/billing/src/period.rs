//! Monthly billing periods counted from an anchor instant.

use stickycalls_domain::Timestamp;
use stickycalls_domain::credits::Period;
use time::{Date, Month, OffsetDateTime};

/// `anchor` moved `months` months on, its day clamped to the month's length (an
/// account anchored on 31 January renews on 28 or 29 February, then 31 March).
fn months_after(anchor: OffsetDateTime, months: i64) -> OffsetDateTime {
    let total = i64::from(anchor.year()) * 12 + i64::from(anchor.month() as u8) - 1 + months;
    let year = total.div_euclid(12) as i32;
    let month = Month::try_from((total.rem_euclid(12) + 1) as u8).unwrap_or(Month::January);
    let day = anchor.day().min(time::util::days_in_month(month, year));
    let date = Date::from_calendar_date(year, month, day).unwrap_or(anchor.date());
    anchor.replace_date(date)
}

/// The monthly period containing `now` for an account anchored at `anchor`. Before
/// the anchor, the first period.
pub fn monthly(anchor: Timestamp, now: Timestamp) -> Period {
    let a = anchor.get();
    let n = now.get();
    let mut months = (i64::from(n.year()) - i64::from(a.year())) * 12
        + (i64::from(n.month() as u8) - i64::from(a.month() as u8));
    months = months.max(0);
    // The calendar guess may be one month ahead (day or time of day not reached).
    while months > 0 && months_after(a, months) > n {
        months -= 1;
    }
    Period {
        start: Timestamp::new(months_after(a, months)),
        end: Timestamp::new(months_after(a, months + 1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    #[test]
    fn periods_follow_the_anchor_day() {
        let anchor = ts("2026-01-15T10:00:00.000Z");
        let p = monthly(anchor, ts("2026-03-20T00:00:00.000Z"));
        assert_eq!(
            (p.start, p.end),
            (
                ts("2026-03-15T10:00:00.000Z"),
                ts("2026-04-15T10:00:00.000Z")
            )
        );
        let edge = monthly(anchor, ts("2026-03-15T09:59:59.999Z"));
        assert_eq!(edge.start, ts("2026-02-15T10:00:00.000Z"));
        let on = monthly(anchor, ts("2026-03-15T10:00:00.000Z"));
        assert_eq!(on.start, ts("2026-03-15T10:00:00.000Z"));
    }

    #[test]
    fn month_ends_are_clamped() {
        let anchor = ts("2026-01-31T00:00:00.000Z");
        let feb = monthly(anchor, ts("2026-03-01T00:00:00.000Z"));
        assert_eq!(
            (feb.start, feb.end),
            (
                ts("2026-02-28T00:00:00.000Z"),
                ts("2026-03-31T00:00:00.000Z")
            )
        );
        let leap = monthly(
            ts("2028-01-31T00:00:00.000Z"),
            ts("2028-02-29T12:00:00.000Z"),
        );
        assert_eq!(leap.start, ts("2028-02-29T00:00:00.000Z"));
    }

    #[test]
    fn across_years_and_before_the_anchor() {
        let anchor = ts("2025-11-30T00:00:00.000Z");
        assert_eq!(
            monthly(anchor, ts("2026-01-05T00:00:00.000Z")).start,
            ts("2025-12-30T00:00:00.000Z")
        );
        assert_eq!(
            monthly(anchor, ts("2025-01-01T00:00:00.000Z")).start,
            anchor
        );
    }

    proptest::proptest! {
        #[test]
        fn the_period_always_contains_now(anchor_days in 0i64..3000, offset_minutes in 0i64..(5 * 365 * 1440)) {
            let anchor = ts("2024-01-01T00:00:00.000Z") + time::Duration::days(anchor_days);
            let now = anchor + time::Duration::minutes(offset_minutes);
            let p = monthly(anchor, now);
            proptest::prop_assert!(p.contains(now));
            proptest::prop_assert!(p.end - p.start >= time::Duration::days(28) && p.end - p.start <= time::Duration::days(31));
        }
    }
}
