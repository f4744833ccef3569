//! The identity settings document as an HTML form and back: every leaf of the JSON
//! document `GET /v1/settings/identity` answers becomes a field named by its path
//! (`weights.ani_mobile`): numbers as number inputs, booleans as checkboxes, string
//! lists as one value per line. A posted form is rebuilt on the current document's
//! shape and validated exactly like a `PUT`, so the form can never accept what the API
//! refuses; the fields at fault are shown where they are.

use indexmap::IndexMap;
use maud::{Markup, html};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use stickycalls_inbound::error::IssueBody;

/// A JSON document that keeps its keys in the order they were written (the settings
/// DTO's field order), so the form reads in the documentation's order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub(crate) enum Doc {
    /// An object, its keys in order.
    Object(IndexMap<String, Doc>),
    /// Anything else.
    Leaf(Value),
}

impl Doc {
    /// The document `value` serializes to, in its fields' order.
    pub(crate) fn of<T: Serialize>(value: &T) -> serde_json::Result<Doc> {
        serde_json::from_str(&serde_json::to_string(value)?)
    }

    /// As a plain JSON value (for validation).
    pub(crate) fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// Each leaf's dotted path and value, in the document's order.
fn leaves(prefix: &str, doc: &Doc, out: &mut Vec<(String, Value)>) {
    match doc {
        Doc::Object(map) => {
            for (key, v) in map {
                leaves(&join(prefix, key), v, out);
            }
        }
        Doc::Leaf(value) => out.push((prefix.to_owned(), value.clone())),
    }
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

/// The document rebuilt on `shape` from posted `(name, value)` pairs: an unchecked box
/// is `false`, a list is one entry per non-blank line, a number that does not read as
/// one is kept as text (the validation names it).
pub(crate) fn document(shape: &Doc, posted: &[(String, String)]) -> Doc {
    fn rebuild(prefix: &str, shape: &Doc, posted: &[(String, String)]) -> Doc {
        let sent = || {
            posted
                .iter()
                .find(|(name, _)| name == prefix)
                .map(|(_, v)| v.as_str())
        };
        let leaf = match shape {
            Doc::Object(map) => {
                return Doc::Object(
                    map.iter()
                        .map(|(key, v)| (key.clone(), rebuild(&join(prefix, key), v, posted)))
                        .collect(),
                );
            }
            Doc::Leaf(leaf) => leaf,
        };
        Doc::Leaf(match leaf {
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
        })
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
pub(crate) fn fields(document: &Doc, issues: &[IssueBody]) -> Markup {
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

    fn doc(value: Value) -> Doc {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn a_form_is_rebuilt_on_the_documents_shape() {
        let shape = doc(json!({
            "default_region": "US",
            "withheld_anis": ["anonymous"],
            "weights": {"ani_mobile": 0.5, "external_id": 0.4},
            "attestation_policy": {"a_allows_reuse_alone": true, "b_allows_reuse_alone": false},
            "learning": false
        }));
        let sent = posted(&[
            ("default_region", " GB "),
            ("withheld_anis", "anonymous\r\n\r\n private \n"),
            ("weights.ani_mobile", "0.55"),
            ("weights.external_id", "lots"),
            ("attestation_policy.b_allows_reuse_alone", "on"),
            ("learning", "on"),
        ]);
        assert_eq!(
            document(&shape, &sent).to_value(),
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
    fn fields_keep_the_documents_order() {
        #[derive(Serialize)]
        struct Settings {
            zeta: u8,
            alpha: Inner,
        }
        #[derive(Serialize)]
        struct Inner {
            y: bool,
            b: bool,
        }
        let document = Doc::of(&Settings {
            zeta: 1,
            alpha: Inner { y: true, b: false },
        })
        .unwrap();
        let html = fields(&document, &[]).into_string();
        let at = |name: &str| html.find(&format!("name=\"{name}\"")).unwrap();
        assert!(
            at("zeta") < at("alpha.y") && at("alpha.y") < at("alpha.b"),
            "{html}"
        );
    }

    #[test]
    fn issues_are_shown_at_their_fields() {
        let document = doc(json!({"weights": {"ani_mobile": 2.0}, "withheld_anis": ["a", ""]}));
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
        let html = fields(&document, &issues).into_string();
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
