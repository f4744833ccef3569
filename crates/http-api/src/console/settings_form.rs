//! The identity settings document as an HTML form and back: every leaf of the JSON
//! document `GET /v1/settings/identity` answers becomes a field named by its path
//! (`weights.ani_mobile`): numbers as number inputs, booleans as checkboxes, string
//! lists as one value per line. A posted form is rebuilt on the current document's
//! shape and validated exactly like a `PUT`, so the form can never accept what the API
//! refuses; the fields at fault are shown where they are.

use maud::{Markup, html};
use serde_json::{Map, Value};

use crate::error::IssueBody;

/// Each leaf's dotted path and value, in the document's order.
fn leaves(prefix: &str, value: &Value, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                leaves(&path, v, out);
            }
        }
        other => out.push((prefix.to_owned(), other.clone())),
    }
}

/// The document rebuilt on `shape` from posted `(name, value)` pairs: an unchecked box
/// is `false`, a list is one entry per non-blank line, a number that does not read as
/// one is kept as text (the validation names it).
pub(crate) fn document(shape: &Value, posted: &[(String, String)]) -> Value {
    fn rebuild(prefix: &str, shape: &Value, posted: &[(String, String)]) -> Value {
        let sent = || {
            posted
                .iter()
                .find(|(name, _)| name == prefix)
                .map(|(_, v)| v.as_str())
        };
        match shape {
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(key, v)| {
                        let path = if prefix.is_empty() {
                            key.clone()
                        } else {
                            format!("{prefix}.{key}")
                        };
                        (key.clone(), rebuild(&path, v, posted))
                    })
                    .collect::<Map<String, Value>>(),
            ),
            Value::Bool(_) => Value::Bool(sent().is_some()),
            Value::Array(_) => Value::Array(
                sent()
                    .unwrap_or("")
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(|l| Value::String(l.to_owned()))
                    .collect(),
            ),
            Value::Number(_) => {
                let text = sent().unwrap_or("").trim();
                text.parse::<f64>()
                    .ok()
                    .and_then(serde_json::Number::from_f64)
                    .map_or_else(|| Value::String(text.to_owned()), Value::Number)
            }
            _ => sent().map_or(Value::Null, |t| Value::String(t.trim().to_owned())),
        }
    }
    rebuild("", shape, posted)
}

fn field_id(path: &str) -> String {
    format!("setting-{}", path.replace('.', "-"))
}

fn field(path: &str, value: &Value, errors: &[&IssueBody]) -> Markup {
    let id = field_id(path);
    let label = path.rsplit('.').next().unwrap_or(path).replace('_', " ");
    let error_id = format!("{id}-error");
    let described = (!errors.is_empty()).then_some(error_id.as_str());
    let invalid = (!errors.is_empty()).then_some("true");
    html! {
        div.field {
            @match value {
                Value::Bool(on) => {
                    label.check for=(id) {
                        input #(id) type="checkbox" name=(path) value="on" checked[*on]
                            aria-describedby=[described] aria-invalid=[invalid];
                        (label)
                    }
                },
                Value::Array(items) => {
                    label for=(id) { (label) " (one per line)" }
                    textarea #(id) name=(path) aria-describedby=[described] aria-invalid=[invalid] {
                        @for i in items { (i.as_str().unwrap_or_default()) "\n" }
                    }
                },
                Value::Number(n) => {
                    label for=(id) { (label) }
                    input #(id) type="number" step="0.01" min="0" max="1" name=(path) value=(n)
                        aria-describedby=[described] aria-invalid=[invalid];
                },
                other => {
                    label for=(id) { (label) }
                    input #(id) type="text" name=(path) value=(other.as_str().unwrap_or_default())
                        aria-describedby=[described] aria-invalid=[invalid];
                },
            }
            @if !errors.is_empty() {
                p.field-error id=(error_id) {
                    @for e in errors { (e.message) " " }
                }
            }
        }
    }
}

/// Fields under one top-level object (`None`: top-level fields).
type Group = (Option<String>, Vec<(String, Value)>);

/// The fields of `document`, grouped by their top-level object, with `issues` shown
/// under the fields they name.
pub(crate) fn fields(document: &Value, issues: &[IssueBody]) -> Markup {
    let mut all = Vec::new();
    leaves("", document, &mut all);
    let errors_of = |path: &str| -> Vec<&IssueBody> {
        issues
            .iter()
            .filter(|i| {
                let at = i.path.join(".");
                at == path || at.starts_with(&format!("{path}."))
            })
            .collect()
    };
    let group_of = |path: &str| path.split_once('.').map(|(g, _)| g.to_owned());
    let mut groups: Vec<Group> = Vec::new();
    for (path, value) in all {
        let group = group_of(&path);
        match groups.last_mut() {
            Some((g, items)) if *g == group => items.push((path, value)),
            _ => groups.push((group, vec![(path, value)])),
        }
    }
    html! {
        @for (group, items) in &groups {
            @match group {
                Some(name) => fieldset {
                    legend { (name.replace('_', " ")) }
                    @for (path, value) in items { (field(path, value, &errors_of(path))) }
                },
                None => @for (path, value) in items { (field(path, value, &errors_of(path))) },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn posted(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn a_form_is_rebuilt_on_the_documents_shape() {
        let shape = json!({
            "default_region": "US",
            "withheld_anis": ["anonymous"],
            "weights": {"ani_mobile": 0.5, "external_id": 0.4},
            "attestation_policy": {"a_allows_reuse_alone": true, "b_allows_reuse_alone": false},
            "learning": false
        });
        let sent = posted(&[
            ("default_region", " GB "),
            ("withheld_anis", "anonymous\r\n\r\n private \n"),
            ("weights.ani_mobile", "0.55"),
            ("weights.external_id", "lots"),
            ("attestation_policy.b_allows_reuse_alone", "on"),
            ("learning", "on"),
        ]);
        assert_eq!(
            document(&shape, &sent),
            json!({
                "default_region": "GB",
                "withheld_anis": ["anonymous", "private"],
                "weights": {"ani_mobile": 0.55, "external_id": "lots"},
                "attestation_policy": {"a_allows_reuse_alone": false, "b_allows_reuse_alone": true},
                "learning": true
            })
        );
    }

    #[test]
    fn issues_are_shown_at_their_fields() {
        let doc = json!({"weights": {"ani_mobile": 2.0}, "withheld_anis": ["a", ""]});
        let issues = [
            IssueBody {
                path: vec!["weights".into(), "ani_mobile".into()],
                message: "must be from 0 to 1".into(),
            },
            IssueBody {
                path: vec!["withheld_anis".into(), "1".into()],
                message: "must not be blank".into(),
            },
        ];
        let html = fields(&doc, &issues).into_string();
        assert!(
            html.contains(r#"id="setting-weights-ani_mobile-error""#),
            "{html}"
        );
        assert!(html.contains("must be from 0 to 1"));
        assert!(
            html.contains(r#"id="setting-withheld_anis-error""#),
            "{html}"
        );
        assert!(html.contains("<legend>weights</legend>"));
    }
}
