//! Request bodies: at most 64 KiB of JSON, any content type accepted, and typed with a
//! path to the offending field when a value has the wrong type.

use actix_web::error::JsonPayloadError;
use actix_web::http::StatusCode;
use actix_web::web::JsonConfig;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::MAX_BODY_BYTES;
use crate::error::ApiError;

/// The extractor settings: limit, lenient content type, JSON errors.
pub fn json_config() -> JsonConfig {
    JsonConfig::default()
        .limit(MAX_BODY_BYTES)
        .content_type_required(false)
        .error_handler(|error, _req| payload_error(error).into())
}

fn payload_error(error: JsonPayloadError) -> ApiError {
    match error {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("The body is over {} KiB", MAX_BODY_BYTES / 1024),
            )
        }
        JsonPayloadError::Payload(actix_web::error::PayloadError::Io(e))
            if e.kind() == std::io::ErrorKind::TimedOut =>
        {
            ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "request_timeout",
                "The body did not arrive in time; the connection is closed",
            )
        }
        JsonPayloadError::Deserialize(e) => {
            ApiError::invalid(Vec::new(), format!("The body is not valid JSON: {e}"))
        }
        other => ApiError::invalid(Vec::new(), format!("The body cannot be read: {other}")),
    }
}

/// Reads an optional nested object (`telco`, `identity_hints`) from a JSON object only,
/// or `null`. Serde's derived structs also accept an array of their fields in order
/// (`"telco": [null, null]`), which no document allows; this refuses it as the wrong
/// type, and still names the inner field at fault (`telco.line_type`).
pub fn object_only<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    struct OnlyObject<T>(std::marker::PhantomData<T>);

    impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for OnlyObject<T> {
        type Value = Option<T>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object")
        }

        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            T::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Some)
        }
    }

    deserializer.deserialize_option(OnlyObject(std::marker::PhantomData))
}

/// Types a JSON body, naming the field at fault.
pub fn typed<T: DeserializeOwned>(value: &Value) -> Result<T, ApiError> {
    if !value.is_object() {
        return Err(ApiError::invalid(
            Vec::new(),
            "The body must be a JSON object",
        ));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e
            .path()
            .iter()
            .map(|segment| match segment {
                serde_path_to_error::Segment::Seq { index } => index.to_string(),
                serde_path_to_error::Segment::Map { key } => key.clone(),
                serde_path_to_error::Segment::Enum { variant } => variant.clone(),
                serde_path_to_error::Segment::Unknown => "?".to_owned(),
            })
            .collect();
        ApiError::invalid(path, without_values(&e.into_inner().to_string()))
    })
}

/// A serde message without the values it quotes (`invalid type: string "+1415...",
/// expected a boolean` becomes `invalid type: string, expected a boolean`): an error
/// body is logged and may be stored for an `Idempotency-Key`, and must not hold what
/// the client sent.
fn without_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut quote = None;
    for c in message.chars() {
        match quote {
            Some(open) if c == open => quote = None,
            Some(_) => {}
            None if c == '"' || c == '`' || c == '\'' => {
                quote = Some(c);
                if out.ends_with(' ') {
                    out.pop();
                }
            }
            None => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::dto::{EndRequest, StartRequest};

    fn message(e: ApiError) -> String {
        serde_json::to_string(&e.body()).unwrap()
    }

    #[test]
    fn a_wrongly_typed_value_is_named_by_its_path_not_echoed() {
        let wrong = typed::<StartRequest>(&json!({"call_id": 14155557788u64})).unwrap_err();
        let shown = message(wrong);
        assert!(!shown.contains("14155557788"), "{shown}");
        assert!(
            shown.contains("invalid type: integer, expected a string"),
            "{shown}"
        );
        let wrong = typed::<EndRequest>(&json!({"call_id": "c", "intent_is_open": "+14155557788"}))
            .unwrap_err();
        let shown = message(wrong);
        assert!(!shown.contains("4155557788"), "{shown}");
        assert!(shown.contains("intent_is_open"), "{shown}");
    }

    /// Serde would read a struct from an array of its fields; a nested object must be
    /// an object (or null), and an inner field is still named.
    #[test]
    fn a_nested_object_sent_as_an_array_is_the_wrong_type() {
        let path = |e: ApiError| {
            serde_json::to_value(e.body()).unwrap()["details"]["issues"][0]["path"].clone()
        };
        let cases = [
            json!({"call_id": "c", "telco": [null, null]}),
            json!({"call_id": "c", "identity_hints": [null, null, null, null]}),
        ];
        for body in cases {
            let field = body
                .as_object()
                .unwrap()
                .keys()
                .find(|k| *k != "call_id")
                .cloned();
            let start = typed::<StartRequest>(&body).unwrap_err();
            assert_eq!(path(start), json!([field.clone().unwrap()]), "{body}");
            let end = typed::<EndRequest>(&body).unwrap_err();
            assert_eq!(path(end), json!([field.unwrap()]), "{body}");
        }
        let inner =
            typed::<StartRequest>(&json!({"call_id": "c", "telco": {"line_type": 5}})).unwrap_err();
        assert_eq!(path(inner), json!(["telco", "line_type"]));
        assert!(typed::<StartRequest>(&json!({"call_id": "c", "telco": null})).is_ok());
        assert!(typed::<StartRequest>(&json!({"call_id": "c"})).is_ok());
        assert!(typed::<EndRequest>(&json!({"call_id": "c", "identity_hints": {}})).is_ok());
    }
}
