//! Charts as SVG drawn by the server: no script, no library, nothing from another host.
//! Each chart is an image with a title and a description for screen readers; the
//! figures it draws are also in a table next to it. SVG elements are always closed
//! (`{}`): in HTML an unclosed `<line>` would hold the elements after it.

use maud::{Markup, html};
use stickycalls_domain::credits::DailyUsage;
use stickycalls_domain::identity::Bin;

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 200.0;
const LEFT: f64 = 40.0;
const BOTTOM: f64 = 24.0;
const TOP: f64 = 8.0;

fn plot_height() -> f64 {
    HEIGHT - BOTTOM - TOP
}

fn px(x: f64) -> String {
    format!("{x:.1}")
}

/// The frame of a bar chart over `days`: axes, the y scale's top label, first and last
/// day under the x axis.
fn frame(days: &[DailyUsage], top_label: &str) -> Markup {
    let (first, last) = (days.first().map(|d| d.day), days.last().map(|d| d.day));
    html! {
        line.axis x1=(px(LEFT)) y1=(px(TOP)) x2=(px(LEFT)) y2=(px(HEIGHT - BOTTOM)) {}
        line.axis x1=(px(LEFT)) y1=(px(HEIGHT - BOTTOM)) x2=(px(WIDTH)) y2=(px(HEIGHT - BOTTOM)) {}
        text x=(px(LEFT - 4.0)) y=(px(TOP + 10.0)) text-anchor="end" { (top_label) }
        text x=(px(LEFT - 4.0)) y=(px(HEIGHT - BOTTOM)) text-anchor="end" { "0" }
        @if let Some(day) = first { text x=(px(LEFT)) y=(px(HEIGHT - 6.0)) { (day) } }
        @if let Some(day) = last { text x=(px(WIDTH)) y=(px(HEIGHT - 6.0)) text-anchor="end" { (day) } }
    }
}

fn slot(days: &[DailyUsage]) -> f64 {
    (WIDTH - LEFT) / days.len().max(1) as f64
}

/// Starts per day, billable (dark) over free (light).
pub(crate) fn starts(id: &str, days: &[DailyUsage]) -> Markup {
    let most = days
        .iter()
        .map(|d| d.calls_started)
        .max()
        .unwrap_or(0)
        .max(1);
    let scale = plot_height() / most as f64;
    let step = slot(days);
    let total: u64 = days.iter().map(|d| d.calls_started).sum();
    html! {
        svg.chart id=(id) viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img"
            aria-labelledby=(format!("{id}-title {id}-desc")) {
            title id=(format!("{id}-title")) { "Starts per day" }
            desc id=(format!("{id}-desc")) {
                (total) " starts over " (days.len()) " days, at most " (most) " in a day."
            }
            (frame(days, &most.to_string()))
            @for (i, d) in days.iter().enumerate() {
                @let x = LEFT + step * i as f64 + step * 0.15;
                @let free = d.calls_started.saturating_sub(d.billable) as f64 * scale;
                @let billable = d.billable as f64 * scale;
                @let base = HEIGHT - BOTTOM;
                g {
                    title { (d.day) ": " (d.calls_started) " starts, " (d.billable) " billable" }
                    rect x=(px(x)) y=(px(base - billable)) width=(px(step * 0.7)) height=(px(billable)) fill="#0b5cad" {}
                    rect x=(px(x)) y=(px(base - billable - free)) width=(px(step * 0.7)) height=(px(free)) fill="#7fb2e5" {}
                }
            }
        }
    }
}

/// The share of starts at 0.7 or more, per day.
pub(crate) fn match_rate(id: &str, days: &[DailyUsage]) -> Markup {
    let step = slot(days);
    html! {
        svg.chart id=(id) viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img"
            aria-labelledby=(format!("{id}-title {id}-desc")) {
            title id=(format!("{id}-title")) { "Match rate per day" }
            desc id=(format!("{id}-desc")) {
                "Share of each day's starts with a confidence of 0.7 or more, from 0 to 100 %."
            }
            (frame(days, "100 %"))
            @for (i, d) in days.iter().enumerate() {
                @let rate = d.confident_rate();
                @let h = rate * plot_height();
                g {
                    title { (d.day) ": " (format!("{:.1} %", rate * 100.0)) }
                    rect x=(px(LEFT + step * i as f64 + step * 0.15)) y=(px(HEIGHT - BOTTOM - h))
                        width=(px(step * 0.7)) height=(px(h)) fill="#1a7f37" {}
                }
            }
        }
    }
}

/// The calibration plot: each bin's share of right candidates against its confidence;
/// the diagonal is perfect calibration.
pub(crate) fn calibration(id: &str, bins: &[Bin]) -> Markup {
    let size = 320.0;
    let (left, bottom, top) = (40.0, 30.0, 10.0);
    let span = size - left - 10.0;
    let x_of = |c: f64| left + c * span;
    let y_of = |s: f64| size - bottom - s * (size - bottom - top);
    html! {
        svg.chart.square id=(id) viewBox=(format!("0 0 {size} {size}")) role="img"
            aria-labelledby=(format!("{id}-title {id}-desc")) {
            title id=(format!("{id}-title")) { "Calibration" }
            desc id=(format!("{id}-desc")) {
                "For each tenth of confidence, the share of confirmed calls whose candidate was "
                "the caller. Points on the diagonal are perfectly calibrated."
            }
            line.axis x1=(px(left)) y1=(px(top)) x2=(px(left)) y2=(px(size - bottom)) {}
            line.axis x1=(px(left)) y1=(px(size - bottom)) x2=(px(size - 10.0)) y2=(px(size - bottom)) {}
            line x1=(px(x_of(0.0))) y1=(px(y_of(0.0))) x2=(px(x_of(1.0))) y2=(px(y_of(1.0)))
                stroke="#8c959f" stroke-dasharray="4 4" {}
            text x=(px(left - 4.0)) y=(px(top + 10.0)) text-anchor="end" { "1" }
            text x=(px(left - 4.0)) y=(px(size - bottom)) text-anchor="end" { "0" }
            text x=(px(x_of(1.0))) y=(px(size - 8.0)) text-anchor="end" { "confidence 1" }
            text x=(px(left)) y=(px(size - 8.0)) { "0" }
            @for b in bins.iter().filter(|b| b.calls > 0) {
                @let mid = (b.from + b.to) / 2.0;
                @let share = b.correct as f64 / b.calls as f64;
                circle cx=(px(x_of(mid))) cy=(px(y_of(share))) r="6" fill="#0b5cad" {
                    title {
                        (format!("{:.1}–{:.1}", b.from, b.to)) ": " (b.correct) " right of "
                        (b.calls) " confirmed"
                    }
                }
            }
        }
    }
}
