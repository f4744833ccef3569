//! The request bodies the load generator sends, one JSON body per line (oha picks a
//! line at random for each request). The numbers and ids point into the data set of
//! `sql/dataset.sql`: customer `i` is `cust_b<i>`, on [`customer_number`] and `crm:C<i>`.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::json;

/// The kinds of traffic the harness sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Traffic {
    /// Returning callers giving their number and CRM id: the caller is recognised
    /// (`reuse`), the cheapest and most common start, and the one pgbench replays.
    Returning,
    /// What a contact center sees: 60 % returning with number and CRM id, 15 % returning
    /// with the number only, 5 % on a shared household line, 20 % new callers.
    Mixed,
    /// Ends of past calls, with variables and an intent.
    Ends,
    /// New callers only (a number and a CRM id never seen): every start creates a
    /// customer and is billed, so every one takes the tenant's credit row.
    New,
}

/// Where the data set's seven-digit local numbers start: NANP exchanges begin with 2-9,
/// so `+1 212 2xx xxxx` is a number as New York's 212 area assigns them. Numbers
/// with an exchange starting 0 or 1 are not valid in any of the 25 regions sharing +1, and
/// reading one (the phonenumber crate trying each region) costs about three times a
/// valid one's: the bench's callers call from valid numbers, as real callers do.
const LOCAL: u64 = 2_000_000;

/// Customer `i`'s number (`i` up to 8 million).
pub fn customer_number(i: u64) -> String {
    format!("+1212{}", LOCAL + i)
}

/// The household line shared by customers `i - i % 50 ..`: `i`'s on the 213 area.
pub fn household_number(i: u64) -> String {
    format!("+1213{}", LOCAL + i)
}

/// A number the data set has never seen (the 646 area).
fn unseen_number(rng: &mut fastrand::Rng) -> String {
    format!("+1646{}", rng.u64(LOCAL..10_000_000))
}

fn start(call_id: String, hints: serde_json::Value) -> serde_json::Value {
    json!({"call_id": call_id, "identity_hints": hints})
}

/// A caller the data set has never seen: a number outside it and a fresh CRM id.
fn new_caller(call_id: String, tag: &str, n: usize, rng: &mut fastrand::Rng) -> serde_json::Value {
    start(
        call_id,
        json!({
            "ani": unseen_number(rng),
            "external_ids": {"crm": format!("N{tag}{n}")}
        }),
    )
}

fn body(traffic: Traffic, n: usize, tag: &str, customers: u64, rng: &mut fastrand::Rng) -> String {
    let i = rng.u64(1..=customers);
    let call_id = format!("{tag}-{n}");
    let value = match traffic {
        Traffic::Returning => start(
            call_id,
            json!({"ani": customer_number(i), "external_ids": {"crm": format!("C{i}")}}),
        ),
        Traffic::Mixed => match rng.u8(0..100) {
            0..60 => start(
                call_id,
                json!({"ani": customer_number(i), "external_ids": {"crm": format!("C{i}")}}),
            ),
            60..75 => start(
                call_id,
                json!({"ani": customer_number(i), "line_type": "mobile"}),
            ),
            75..80 => {
                let shared = i - i % 50;
                start(call_id, json!({"ani": household_number(shared)}))
            }
            _ => new_caller(call_id, tag, n, rng),
        },
        Traffic::New => new_caller(call_id, tag, n, rng),
        Traffic::Ends => {
            // The same customer always gets the same end, so a body drawn twice is a
            // retry (answered from the first), never a conflicting second end.
            let status = if i.is_multiple_of(2) {
                "resolved"
            } else {
                "open"
            };
            json!({
                "call_id": format!("hist-{i}-1"),
                "customer_ref": format!("cust_b{i}"),
                "intent": "billing_dispute",
                "intent_status": status,
                "variables": {
                    "last_agent": format!("agent-{}", i % 50),
                    "resolution": "Explained the charge; refund pending",
                    "callback_window": {"value": "evening", "ttl_seconds": 86_400}
                }
            })
        }
    };
    value.to_string()
}

/// Writes `lines` bodies of `traffic` to `path`. `tag` makes call ids unique per phase.
pub fn write_lines(
    path: &Path, traffic: Traffic, lines: usize, tag: &str, customers: u64, seed: u64,
) -> anyhow::Result<()> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut out = String::with_capacity(lines * 160);
    for n in 0..lines {
        let _ = writeln!(out, "{}", body(traffic, n, tag, customers, &mut rng));
    }
    std::fs::write(path, out)?;
    Ok(())
}
