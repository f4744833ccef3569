//! The JSON Schema of each request field, built from the domain's own limits, so that
//! the served OpenAPI document accepts exactly what the server accepts: a generator
//! that follows the document gets no 400, and one that breaks it gets nothing but 4xx
//! (`make fuzz-api` checks both ways). Patterns are ECMA-262 regular expressions with
//! explicit character lists, read the same by every engine.

use std::borrow::Cow;

use serde_json::json;
use stickycalls_domain::accounts::{MAX_ACCOUNT_NAME, MAX_EMAIL};
use stickycalls_domain::calls::CallId;
use stickycalls_domain::identity::{Attestation, CustomerRef, IdentityHints};
use stickycalls_domain::intents::IntentName;
use stickycalls_domain::keys::MAX_KEY_NAME;
use stickycalls_domain::variables::{MAX_KEY_LEN, MAX_SOURCE_LEN, MAX_VALUE_LEN, Ttl};
use stickycalls_domain::webhooks::target::MAX_URL_LEN;
use stickycalls_domain::webhooks::url_grammar;
use stickycalls_domain::webhooks::{EventType, MAX_DESCRIPTION};
use utoipa::openapi::extensions::Extensions;
use utoipa::openapi::schema::{
    AdditionalProperties, AnyOfBuilder, ArrayBuilder, ObjectBuilder, Schema, SchemaFormat,
    SchemaType, Type,
};
use utoipa::openapi::{KnownFormat, RefOr};
use utoipa::{PartialSchema, ToSchema};

/// What `char::is_whitespace` calls white space (Unicode `White_Space`).
pub const WHITESPACE: &str =
    r"\u0009-\u000d\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
/// Text of one line: no C0 control character (`text::TextKind::Line`).
pub const LINE: &str = r"^[^\u0000-\u001f]*$";
/// Free-form text: tab and line breaks allowed (`text::TextKind::Multiline`).
pub const MULTILINE: &str = r"^[^\u0000-\u0008\u000b\u000c\u000e-\u001f]*$";
/// No control character at all (`char::is_control`: C0, DEL and C1).
pub const NO_CONTROL: &str = r"^[^\u0000-\u001f\u007f-\u009f]*$";

fn blank() -> String {
    format!("^[{WHITESPACE}]*$")
}

pub fn not_blank() -> String {
    format!("[^{WHITESPACE}]")
}

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn any_of(items: impl IntoIterator<Item = Schema>, description: &str) -> RefOr<Schema> {
    let mut any = AnyOfBuilder::new().description(Some(description));
    for item in items {
        any = any.item(item);
    }
    RefOr::T(any.into())
}

fn null() -> Schema {
    ObjectBuilder::new().schema_type(Type::Null).into()
}

/// Text of `kind`'s pattern, at most `max` characters, and not blank.
fn required_text(pattern: &str, max: usize) -> Schema {
    utoipa::openapi::schema::AllOfBuilder::new()
        .item(string().pattern(Some(pattern)).max_length(Some(max)))
        .item(string().pattern(Some(not_blank())))
        .into()
}

/// Text where a blank value means "not given" (what IVR templates send).
fn optional_text(pattern: &str, max: usize, description: &str) -> RefOr<Schema> {
    any_of(
        [
            string().pattern(Some(pattern)).max_length(Some(max)).into(),
            null(),
        ],
        description,
    )
}

macro_rules! field_schema {
    ($(#[doc = $doc:literal] $name:ident => $schema:expr;)*) => {$(
        #[doc = $doc]
        #[derive(Debug)]
        pub struct $name;
        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                $schema
            }
        }
        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    )*};
}

field_schema! {
    /// A call's id.
    CallIdText => RefOr::T(
        string()
            .description(Some("Your id for the call: 1 to 128 characters, no control characters."))
            .min_length(Some(1))
            .max_length(Some(CallId::MAX_LEN))
            .pattern(Some(NO_CONTROL))
            .into(),
    );
    /// A customer reference, as a path segment.
    CustomerRefText => RefOr::T(
        string()
            .description(Some("A customer reference."))
            .pattern(Some(customer_ref_pattern()))
            .into(),
    );
    /// A customer reference in a body: blank means not given.
    OptionalCustomerRef => any_of(
        [
            string().pattern(Some(customer_ref_pattern())).into(),
            string().pattern(Some(blank())).into(),
            null(),
        ],
        "Your own reference for the caller (`[A-Za-z0-9_.:-]{1,128}`); blank: not given.",
    );
    /// A caller's number.
    AniText => any_of(
        [string().format(Some(SchemaFormat::Custom("ani".into()))).into(), null()],
        "The caller's number, E.164 preferred (`+14155551234`); a national number is read in \
         the tenant's region. Blank or a withheld marker (`anonymous`, `private`, \
         `restricted`, `unknown`...) means withheld.",
    );
    /// A phone number to search for.
    PhoneText => RefOr::T(
        string()
            .description(Some("A phone number, E.164 or national (read in the tenant's region)."))
            .format(Some(SchemaFormat::Custom("phone".into())))
            .min_length(Some(1))
            .into(),
    );
    /// A dialled number.
    DnisText => optional_text(
        LINE,
        IdentityHints::MAX_DNIS_LEN,
        "The dialled number (kept with the call, never scored); blank: not given.",
    );
    /// CRM ids.
    ExternalIdsMap => any_of(
        [
            ObjectBuilder::new()
                .max_properties(Some(IdentityHints::MAX_EXTERNAL_IDS))
                .property_names(Some(
                    string()
                        .min_length(Some(1))
                        .max_length(Some(IdentityHints::MAX_NAMESPACE_LEN))
                        .pattern(Some(LINE)),
                ))
                .additional_properties(Some(AdditionalProperties::RefOr(any_of(
                    [
                        string()
                            .max_length(Some(IdentityHints::MAX_EXTERNAL_ID_LEN))
                            .pattern(Some(LINE))
                            .into(),
                        ObjectBuilder::new().schema_type(Type::Number).into(),
                        ObjectBuilder::new().schema_type(Type::Boolean).into(),
                        null(),
                    ],
                    "The id: text, or a number or boolean read as its text; blank or null: not given.",
                ))))
                .into(),
            null(),
        ],
        "CRM ids, namespace -> value (at most 20).",
    );
    /// What an end says about its intent.
    IntentText => any_of(
        [
            string().pattern(Some(LINE)).max_length(Some(IntentName::MAX_LEN)).into(),
            string().pattern(Some(blank())).into(),
            null(),
        ],
        "What the call was about (`billing_inquiry`); blank: not given.",
    );
    /// `intent_status`.
    IntentStatusText => any_of(
        [
            string().enum_values(Some(["open", "resolved", "closed", "abandoned"])).into(),
            string().pattern(Some(blank())).into(),
            null(),
        ],
        "`open`, `resolved`, `closed` or `abandoned`; blank: not given.",
    );
    /// `telco.line_type`.
    LineTypeText => any_of(
        [
            string()
                .enum_values(Some(["mobile", "landline", "voip", "toll_free", "unknown"]))
                .into(),
            null(),
        ],
        "The line type from telco data.",
    );
    /// `telco.attestation`: any text (a value nobody documents reads as not attested).
    AttestationText => any_of(
        [
            string()
                .examples(Attestation::spellings().take(12))
                .into(),
            null(),
        ],
        "STIR/SHAKEN attestation: `A`, `B`, `C`, `failed`, `none`, or a platform's verstat \
         (Twilio's `StirVerstat` such as `TN-Validation-Passed-A-Diverted`, `NULL`; Telnyx's \
         and Bandwidth's `verstat`), in any case; blank: not given. A value nobody documents \
         is read as not attested and shown in `identity.signals` as \
         `attestation:unrecognized`; it never refuses the call.",
    );
    /// `attestation_policy.carrier` of the identity settings.
    CarrierText => any_of(
        [
            string()
                .enum_values(Some(stickycalls_domain::identity::Carrier::NAMES))
                .into(),
            string().pattern(Some(blank())).into(),
            null(),
        ],
        "The carrier that verifies the tenant's calls, when a start does not say: `telnyx` \
         (a bare `TN-Validation-Passed` is then A), `bandwidth` or `twilio`; blank or null: \
         none.",
    );
    /// The variables of an end.
    VariablesMap => any_of(
        [
            ObjectBuilder::new()
                .property_names(Some(variable_key()))
                .additional_properties(Some(AdditionalProperties::RefOr(any_of(
                    [variable_value(true), null()],
                    "A value (null, or an object whose value is null, deletes the variable).",
                ))))
                .into(),
            null(),
        ],
        "Variables: `\"key\": value`, `null` (delete), or `{\"value\", \"ttl_seconds\", \
         \"source\"}`. At most 100 live per customer; values that look like payment card \
         numbers are refused (`sensitive_data_rejected`).",
    );
    /// The body of `PUT .../variables/{key}`.
    VariableBody => RefOr::T(variable_value(false));
    /// A variable's key, as a path segment.
    VariableKeyText => RefOr::T(variable_key().into());
    /// A key's label.
    KeyNameText => RefOr::T(required_text(NO_CONTROL, MAX_KEY_NAME));
    /// An environment.
    EnvironmentText => any_of(
        [string().enum_values(Some(["test", "prod"])).into(), null()],
        "`test` or `prod`: the calling key's own (the default).",
    );
    /// An account's name.
    AccountNameText => RefOr::T(required_text(NO_CONTROL, MAX_ACCOUNT_NAME));
    /// A webhook endpoint's URL.
    WebhookUrlText => RefOr::T(
        string()
            .description(Some(
                "An `http` or `https` URL reaching a public address (private, loopback, \
                 link-local and metadata addresses are refused unless the operator allows them).",
            ))
            .format(Some(SchemaFormat::Custom("webhook-url".into())))
            .min_length(Some(1))
            .max_length(Some(MAX_URL_LEN))
            .pattern(Some(url_grammar::pattern()))
            .into(),
    );
    /// The event types an endpoint is sent.
    WebhookEventsList => RefOr::T(
        ArrayBuilder::new()
            .items(string().enum_values(Some(EventType::ALL.map(EventType::as_str))))
            .min_items(Some(1))
            .description(Some("The event types to send (at least one; repeats are ignored)."))
            .into(),
    );
    /// A webhook endpoint's note.
    WebhookDescriptionText => any_of(
        [
            string().pattern(Some(NO_CONTROL)).max_length(Some(MAX_DESCRIPTION)).into(),
            null(),
        ],
        "A note for you (at most 256 characters).",
    );
    /// A contact address.
    EmailText => RefOr::T(
        string()
            .description(Some("A contact address (`name@example.com`)."))
            .max_length(Some(MAX_EMAIL))
            .pattern(Some(email_pattern()))
            .into(),
    );
    /// The query of a customer search: exactly one of two filters.
    CustomerLookupQuery => RefOr::T(
        ObjectBuilder::new()
            .property("ani", PhoneText::schema())
            .property(
                "external_id",
                string()
                    .description(Some("`namespace:value`, e.g. `crm:C-1042`."))
                    .pattern(Some(r"^[^:\u0000-\u001f]+:[^\u0000-\u001f]+$")),
            )
            .extensions(Some(Extensions::from_iter([(
                "oneOf",
                json!([{"required": ["ani"]}, {"required": ["external_id"]}]),
            )])))
            .into(),
    );
    /// A day.
    DayText => RefOr::T(
        string()
            .description(Some("A UTC day, `YYYY-MM-DD`."))
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
            .into(),
    );
}

/// The rules of `calls/end` that join two fields, as JSON Schema: a status (or
/// `intent_is_open`) needs an intent, and the two must not contradict each other.
/// utoipa's schema types cannot spell `if`/`not`, so they are set as raw keywords.
pub fn end_request_rules() -> Extensions {
    let given_status = json!({"anyOf": [
        {"required": ["intent_status"], "properties": {"intent_status": {"type": "string", "pattern": not_blank()}}},
        {"required": ["intent_is_open"], "properties": {"intent_is_open": {"type": "boolean"}}},
    ]});
    let contradiction = |statuses: [&str; 2], open: bool| {
        json!({
            "required": ["intent_status", "intent_is_open"],
            "properties": {"intent_status": {"enum": statuses}, "intent_is_open": {"const": open}},
        })
    };
    Extensions::from_iter([(
        "allOf",
        json!([
            {
                "if": given_status,
                "then": {"required": ["intent"], "properties": {"intent": {"type": "string", "pattern": not_blank()}}},
            },
            {"not": {"anyOf": [
                contradiction(["open", "abandoned"], false),
                contradiction(["resolved", "closed"], true),
            ]}},
        ]),
    )])
}

fn customer_ref_pattern() -> String {
    format!("^[A-Za-z0-9_.:-]{{1,{}}}$", CustomerRef::MAX_LEN)
}

/// White space and control characters, which no address holds.
fn email_pattern() -> String {
    let bad = r"\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
    format!("^[^@{bad}]+@[^{bad}]*\\.[^{bad}]*$")
}

fn variable_key() -> ObjectBuilder {
    string()
        .min_length(Some(1))
        .max_length(Some(MAX_KEY_LEN))
        .pattern(Some(LINE))
}

/// A variable's value: text, a number or boolean (stored as text), or an object with
/// its TTL and source, whose value may be null (a deletion) where `deletes`.
fn variable_value(deletes: bool) -> Schema {
    let scalar = || {
        [
            string()
                .max_length(Some(MAX_VALUE_LEN))
                .pattern(Some(MULTILINE))
                .into(),
            ObjectBuilder::new().schema_type(Type::Number).into(),
            ObjectBuilder::new().schema_type(Type::Boolean).into(),
        ]
    };
    let mut value = AnyOfBuilder::new();
    for item in scalar().into_iter().chain(deletes.then(null)) {
        value = value.item(item);
    }
    let object = ObjectBuilder::new()
        .property("value", value)
        .property(
            "ttl_seconds",
            ObjectBuilder::new()
                .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
                .minimum(Some(Ttl::MIN_SECONDS))
                .maximum(Some(Ttl::MAX_SECONDS)),
        )
        .property(
            "source",
            ObjectBuilder::new()
                .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
                .max_length(Some(MAX_SOURCE_LEN))
                .pattern(Some(MULTILINE)),
        )
        .required("value");
    let mut any = AnyOfBuilder::new().description(Some(
        "Text (tab and line breaks allowed), a number or boolean (stored as text), or \
         `{\"value\": ..., \"ttl_seconds\": 60 to 7776000 (default 30 days), \"source\": \"...\"}`.",
    ));
    for item in scalar() {
        any = any.item(item);
    }
    any.item(object).into()
}

#[cfg(test)]
mod tests {
    use regex::Regex;
    use stickycalls_domain::text::{TextKind, is_storable};

    use super::*;

    /// Every character up to U+3100 (past every white space and control character):
    /// the patterns say what the domain's rules say.
    #[test]
    fn the_patterns_are_the_domains_rules() {
        let line = Regex::new(LINE).unwrap();
        let multiline = Regex::new(MULTILINE).unwrap();
        let no_control = Regex::new(NO_CONTROL).unwrap();
        let blank = Regex::new(&blank()).unwrap();
        for c in (0..0x3100).filter_map(char::from_u32) {
            let text = format!("a{c}b");
            assert_eq!(
                line.is_match(&text),
                is_storable(&text, TextKind::Line),
                "{c:?}"
            );
            assert_eq!(
                multiline.is_match(&text),
                is_storable(&text, TextKind::Multiline),
                "{c:?}"
            );
            assert_eq!(no_control.is_match(&text), !c.is_control(), "{c:?}");
            assert_eq!(blank.is_match(&c.to_string()), c.is_whitespace(), "{c:?}");
        }
        let email = Regex::new(&email_pattern()).unwrap();
        for ok in ["a@b.c", "name+tag@example.co.uk", "é@ü.de"] {
            assert!(email.is_match(ok), "{ok}");
        }
        for bad in ["a@b", "@b.c", "a b@c.d", "a@b.c\n", "a\u{85}@b.c", " a@b.c"] {
            assert!(!email.is_match(bad), "{bad:?}");
        }
    }
}
