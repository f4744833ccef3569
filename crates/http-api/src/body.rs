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
pub(crate) fn json_config() -> JsonConfig {
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

/// Types a JSON body, naming the field at fault.
pub(crate) fn typed<T: DeserializeOwned>(value: &Value) -> Result<T, ApiError> {
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
}
