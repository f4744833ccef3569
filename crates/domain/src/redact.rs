//! What `Debug` may show of personal data: a value's size, never the value. Types that
//! hold a phone number, a variable value, an external id, an email, a client-chosen
//! customer ref or a key's hash print through these, so a `{:?}` in a log line or a
//! panic message leaks none of them.

use std::collections::BTreeMap;
use std::fmt;

/// Shows a text as `<N chars>`.
pub struct Redacted<'a>(pub &'a str);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} chars>", self.0.chars().count())
    }
}

/// Shows an optional text as `Some(<N chars>)` or `None`.
pub fn opt(text: &Option<String>) -> Option<Redacted<'_>> {
    text.as_deref().map(Redacted)
}

/// Shows a map's keys with each value as `<N chars>`.
pub struct RedactedValues<'a, V>(pub &'a BTreeMap<String, V>);

impl<V: fmt::Display> fmt::Debug for RedactedValues<'_, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                self.0
                    .iter()
                    .map(|(k, v)| (k, format!("<{} chars>", v.to_string().chars().count()))),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::accounts::{NewAccount, NewKey};
    use crate::calls::{EndCall, RawEndCall, RawStartCall, StartCall};
    use crate::credits::PlanTerms;
    use crate::customers::ExternalIdLink;
    use crate::idempotency::StoredResponse;
    use crate::identity::CustomerRef;
    use crate::tenant::{AccountId, Environment, TenantPolicy};
    use crate::timestamp::Timestamp;

    const PHONE: &str = "+14155557788";
    const VALUE: &str = "private note: door code";
    const CRM: &str = "C-88442211";
    const REF: &str = "CRM-5550001";
    const EMAIL: &str = "zoe@example.com";
    const TOKEN: &str = "sk_test_0123456789abcdef_0123456789abcdef";

    /// No secret or personal value, and no run of five digits (a number's middle). The
    /// public ids below are chosen without digits, so any digit run is a leak.
    fn assert_clean(debug: &str) {
        for secret in [
            PHONE,
            "4155557788",
            VALUE,
            CRM,
            REF,
            EMAIL,
            TOKEN,
            "$argon2id",
        ] {
            assert!(!debug.contains(secret), "{secret} in {debug}");
        }
        let mut run = 0;
        for c in debug.chars() {
            run = if c.is_ascii_digit() { run + 1 } else { 0 };
            assert!(run < 5, "a digit run in {debug}");
        }
    }

    #[test]
    fn debug_output_holds_no_personal_data_or_secret() {
        let now = Timestamp::from_unix_millis(0).unwrap();
        let policy = TenantPolicy::default();
        let hints = json!({"ani": PHONE, "dnis": PHONE, "external_ids": {"crm": CRM},
            "customer_ref": REF});
        let start: RawStartCall =
            serde_json::from_value(json!({"call_id": "c1", "identity_hints": hints})).unwrap();
        let end: RawEndCall = serde_json::from_value(json!({"call_id": "c1",
            "customer_ref": REF, "variables": {"note": VALUE, "phone": PHONE},
            "identity_hints": hints}))
        .unwrap();
        assert_clean(&format!("{start:?}"));
        assert_clean(&format!("{end:?}"));
        let start = StartCall::parse(start, &policy).unwrap();
        let end = EndCall::parse(end, &policy, now).unwrap();
        assert_clean(&format!("{start:?}"));
        assert_clean(&format!("{end:?}"));
        assert_clean(&format!("{:?}", CustomerRef::from_trusted(REF)));
        let link = ExternalIdLink {
            namespace: "crm".into(),
            value: CRM.into(),
            linked_at: now,
            sealed: None,
        };
        assert_clean(&format!("{link:?}"));
        let key = NewKey {
            lookup_id: "abcdefabcdefabcd".into(),
            environment: Environment::Test,
            hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            last4: "cdef".into(),
            name: "default".into(),
        };
        let account = NewAccount {
            id: AccountId(uuid::Uuid::from_u128(
                0xaaaa_aaaa_aaaa_aaaa_aaaa_aaaa_aaaa_aaaa,
            )),
            name: "Acme".into(),
            email: Some(EMAIL.into()),
            keys: vec![key],
            plan: PlanTerms {
                plan: "free".into(),
                allowance: 100,
            },
            created_at: now,
        };
        assert_clean(&format!("{account:?}"));
        let response = StoredResponse {
            status: 200,
            body: format!("{{\"variables\": {{\"note\": \"{VALUE}\"}}, \"ani\": \"{PHONE}\"}}"),
            customer: Some(CustomerRef::from_trusted(REF)),
        };
        assert_clean(&format!("{response:?}"));
    }
}
