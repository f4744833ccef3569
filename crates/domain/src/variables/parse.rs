//! Reading the `variables` object of a request.

use serde_json::{Map, Value};

use super::{
    MAX_KEY_LEN, MAX_SOURCE_LEN, MAX_VALUE_LEN, StoredVariable, Ttl, VariableWrite,
    looks_like_card_number,
};
use crate::error::{Issue, Issues, RefusalKind, ValidationError};
use crate::text::{TextKind, is_storable, loose_text, refusal};
use crate::timestamp::Timestamp;

/// Reads every entry of a request's `variables`, written at `now`:
/// `"key": "text"`, a number or boolean (stored as its text), `null` (delete), or
/// `{"value": ..., "ttl_seconds": N, "source": "..."}`. Every offending key is named;
/// one bad entry refuses the whole request.
pub fn parse_variables(
    variables: &Map<String, Value>, now: Timestamp,
) -> Result<Vec<VariableWrite>, ValidationError> {
    let mut issues = Issues::default();
    let mut writes = Vec::with_capacity(variables.len());
    for (key, raw) in variables {
        if let Some(write) = issues.take(parse_one(key, raw, now)) {
            writes.push(write);
        }
    }
    issues.finish()?;
    Ok(writes)
}

/// A JSON number that is a whole, non-negative number: `90` or `90.0` (JSON Schema's
/// `integer`, and what some JSON writers emit for every number).
fn whole_number(value: &Value) -> Option<u64> {
    value.as_u64().or_else(|| {
        value
            .as_f64()
            .filter(|f| f.fract() == 0.0 && (0.0..=u64::MAX as f64).contains(f))
            .map(|f| f as u64)
    })
}

fn parse_one(key: &str, raw: &Value, now: Timestamp) -> Result<VariableWrite, ValidationError> {
    let refuse = |sub: Option<&str>, message: String| {
        let mut path = vec!["variables", key];
        path.extend(sub);
        ValidationError::single(
            RefusalKind::InvalidRequest,
            Issue::at_segments(&path, message),
        )
    };
    if key.is_empty() || key.chars().count() > MAX_KEY_LEN {
        return Err(refuse(
            None,
            format!("keys must be 1 to {MAX_KEY_LEN} characters"),
        ));
    }
    if !is_storable(key, TextKind::Line) {
        return Err(refuse(None, format!("keys {}", refusal(TextKind::Line))));
    }
    let (value, ttl, source) = match raw {
        Value::Object(object) => {
            let Some(value) = object.get("value") else {
                return Err(refuse(None, "an object variable needs a `value`".into()));
            };
            let ttl = match object.get("ttl_seconds") {
                None | Some(Value::Null) => Ttl::DEFAULT,
                Some(v) => whole_number(v).and_then(Ttl::from_seconds).ok_or_else(|| {
                    refuse(
                        Some("ttl_seconds"),
                        format!(
                            "must be a whole number of seconds from {} to {}",
                            Ttl::MIN_SECONDS,
                            Ttl::MAX_SECONDS
                        ),
                    )
                })?,
            };
            let source = match object.get("source") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) if !is_storable(s, TextKind::Multiline) => {
                    return Err(refuse(Some("source"), refusal(TextKind::Multiline).into()));
                }
                Some(Value::String(s)) if s.chars().count() <= MAX_SOURCE_LEN => Some(s.clone()),
                Some(_) => {
                    return Err(refuse(
                        Some("source"),
                        format!("must be text of at most {MAX_SOURCE_LEN} characters"),
                    ));
                }
            };
            (value, ttl, source)
        }
        other => (other, Ttl::DEFAULT, None),
    };
    let text = match loose_text(value) {
        Some(Some(text)) => text,
        Some(None) => {
            return Ok(VariableWrite::Delete {
                key: key.to_owned(),
            });
        }
        None => {
            return Err(refuse(
                None,
                "values are text, numbers, booleans or null".into(),
            ));
        }
    };
    if !is_storable(&text, TextKind::Multiline) {
        return Err(refuse(None, refusal(TextKind::Multiline).into()));
    }
    if text.chars().count() > MAX_VALUE_LEN {
        return Err(refuse(
            None,
            format!("values are at most {MAX_VALUE_LEN} characters"),
        ));
    }
    if looks_like_card_number(&text) {
        return Err(ValidationError::single(
            RefusalKind::SensitiveData,
            Issue::at_segments(
                &["variables", key],
                "looks like a payment card number, which must not be stored",
            ),
        ));
    }
    Ok(VariableWrite::Set {
        key: key.to_owned(),
        variable: StoredVariable {
            value: text,
            source,
            ttl,
            expires_at: ttl.expires_at(now),
        },
    })
}
