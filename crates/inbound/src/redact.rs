//! Wire types that carry phone numbers, variable values, external ids, emails or keys
//! print as `Name { .. }` under `Debug`: a `{:?}` in a log line or a panic shows none
//! of it.

/// Implements `Debug` as `Name { .. }` for each type.
#[macro_export]
macro_rules! opaque_debug {
    ($($name:ident),+ $(,)?) => {
        $(
            impl std::fmt::Debug for $name {
                fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.debug_struct(stringify!($name)).finish_non_exhaustive()
                }
            }
        )+
    };
}

pub use crate::opaque_debug;

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::dto::{EndRequest, StartRequest};

    #[test]
    fn request_bodies_print_nothing_personal() {
        let start: StartRequest = serde_json::from_value(json!({"call_id": "c1",
            "identity_hints": {"ani": "+14155557788", "external_ids": {"crm": "C-88442211"}}}))
        .unwrap();
        let end: EndRequest = serde_json::from_value(json!({"call_id": "c1",
            "customer_ref": "CRM-5550001", "variables": {"note": "door code 4711"}}))
        .unwrap();
        for shown in [format!("{start:?}"), format!("{end:?}")] {
            for personal in ["4155557788", "88442211", "5550001", "4711"] {
                assert!(!shown.contains(personal), "{personal} in {shown}");
            }
        }
    }
}
