//! The AI agents' system prompts at `/v1/prompts/{claude,chatgpt,generic}`: how an
//! agent uses the start answer and saves at the end. The texts live in `docs/prompts/`
//! and are embedded in the binary; anyone may read them (no key).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use stickycalls_inbound::error::ApiError;

/// A prompt: its name in the path, media type and text.
pub(crate) struct Prompt {
    pub name: &'static str,
    pub media_type: &'static str,
    pub text: &'static str,
}

/// Every prompt served.
pub(crate) const PROMPTS: [Prompt; 3] = [
    Prompt {
        name: "claude",
        media_type: "application/xml; charset=utf-8",
        text: include_str!("../../../docs/prompts/claude.xml"),
    },
    Prompt {
        name: "chatgpt",
        media_type: "text/markdown; charset=utf-8",
        text: include_str!("../../../docs/prompts/chatgpt.md"),
    },
    Prompt {
        name: "generic",
        media_type: "text/plain; charset=utf-8",
        text: include_str!("../../../docs/prompts/generic.txt"),
    },
];

/// `GET /v1/prompts/{name}`.
pub(crate) async fn serve(name: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let prompt = PROMPTS
        .iter()
        .find(|p| p.name == name.as_str())
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "prompt_not_found",
                "No such prompt: claude, chatgpt or generic",
            )
        })?;
    Ok(HttpResponse::Ok()
        .content_type(prompt.media_type)
        .body(prompt.text))
}

/// A system prompt for an AI agent using Sticky Calls: how to act on the start answer
/// (greet with context only on `reuse`, confirm on `confirm`, never reveal another
/// person's data, ask one question built from the candidates' hints) and what to save
/// at the end. `claude` is XML, `chatgpt` Markdown, `generic` plain text. No key needed.
#[utoipa::path(get, path = "/v1/prompts/{name}", security(()),
    params(("name" = String, Path, description = "claude, chatgpt or generic",
        pattern = "^(claude|chatgpt|generic)$")),
    responses(
        (status = 200, description = "The prompt", content(
            (String = "application/xml"), (String = "text/markdown"), (String = "text/plain"))),
        (status = 404, description = "`prompt_not_found`", body = stickycalls_inbound::error::ErrorBody),
))]
#[allow(dead_code)]
pub(crate) fn prompt_doc() {}

#[cfg(test)]
mod tests {
    use super::PROMPTS;

    /// Each prompt states the rules the issue asks of an agent.
    #[test]
    fn every_prompt_says_the_same_rules() {
        for prompt in PROMPTS {
            for rule in [
                "reuse",
                "confirm",
                "ignore",
                "candidates",
                "hint",
                "customer_ref",
                "call_id",
                "intent_status",
                "never",
            ] {
                assert!(
                    prompt.text.to_lowercase().contains(rule),
                    "{} lacks {rule}",
                    prompt.name
                );
            }
        }
    }
}
