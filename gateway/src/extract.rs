//! Request extractors that fail with our JSON error body (naming the field) instead of axum's
//! plain-text rejections.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use wuguan_platform::ErrorCode;

/// A JSON body; unknown fields and wrong types are 400 naming the field.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req.headers().get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(is_json);
        if !is_json {
            return Err(ApiError::new(ErrorCode::InvalidArgument, "Content-Type must be application/json"));
        }
        let bytes = body_bytes(req, state).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// `application/json` (any parameters, any case) or a `+json` type; not `application/json-evil`.
fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = deserialize_json(de)?;
    // One JSON value and nothing after it: trailing bytes are refused, not ignored.
    de.end().map_err(|e| ApiError::invalid("body", format!("invalid request body: {e}")))?;
    Ok(value)
}

fn deserialize_json<'de, T: DeserializeOwned>(
    de: &mut serde_json::Deserializer<serde_json::de::SliceRead<'de>>,
) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let message = inner.to_string();
        // Not JSON at all (a syntax error, a cut-off body): the body is what is wrong, there is
        // no field to name ("?" is serde_path_to_error's unknown position).
        let not_json =
            matches!(inner.classify(), serde_json::error::Category::Syntax | serde_json::error::Category::Eof);
        let field = match named_field(&message) {
            Some(f) => f,
            None if not_json || path == "." || path == "?" => "body".to_owned(),
            None => path,
        };
        ApiError::invalid(&field, format!("invalid request body: {message}"))
    })
}

/// serde reports unknown and missing fields at their parent's path: name the field itself.
pub(crate) fn named_field(message: &str) -> Option<String> {
    ["unknown field `", "missing field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next())
        .map(str::to_owned)
}

/// The raw body, within the route's size limit (413 with a JSON body beyond it).
pub async fn body_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == http::StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(ErrorCode::PayloadTooLarge, "request body is too large")
        } else {
            ApiError::invalid("body", format!("unreadable request body: {}", rejection.body_text()))
        }
    })
}

/// The content types a CSV arrives as: `text/csv` (and `application/csv`), a spreadsheet's
/// export as Windows labels it (`application/vnd.ms-excel`), plain text, or a file's bytes
/// (`application/octet-stream`). Anything else — a JSON body sent to the import by mistake,
/// a form — is 400 naming `content-type` before it is read.
pub fn require_csv(headers: &http::HeaderMap) -> Result<(), ApiError> {
    const CSV_TYPES: [&str; 5] =
        ["text/csv", "application/csv", "application/vnd.ms-excel", "text/plain", "application/octet-stream"];
    let given = headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = given.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if CSV_TYPES.contains(&essence.as_str()) {
        Ok(())
    } else {
        Err(ApiError::invalid("content-type", "send the CSV as text/csv (or application/octet-stream)"))
    }
}

/// Query parameters; a bad value is 400 naming the parameter.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or("");
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de).map(QueryParams).map_err(|err| {
            let path = err.path().to_string();
            let message = err.into_inner().to_string();
            let field = named_field(&message).unwrap_or(path);
            ApiError::invalid(&field, format!("invalid query parameter: {message}"))
        })
    }
}

/// The caller's bearer token, passed on to the services, which verify it.
#[derive(Clone, Default)]
pub struct Bearer(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(http::header::AUTHORIZATION) else {
            return Ok(Bearer(None));
        };
        let value =
            value.to_str().map_err(|_| ApiError::new(ErrorCode::Unauthenticated, "malformed Authorization header"))?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated, "Authorization must be a Bearer token"))?;
        Ok(Bearer(Some(token.trim().to_owned())))
    }
}

/// The `Idempotency-Key` header, if any.
pub struct IdempotencyKey(pub String);

impl<S: Send + Sync> FromRequestParts<S> for IdempotencyKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        match parts.headers.get("idempotency-key") {
            None => Ok(IdempotencyKey(String::new())),
            Some(v) => v
                .to_str()
                .map(|s| IdempotencyKey(s.trim().to_owned()))
                .map_err(|_| ApiError::invalid("Idempotency-Key", "Idempotency-Key must be ASCII")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_json_content_types_pass() {
        for ok in
            ["application/json", "application/json; charset=utf-8", "Application/JSON", "application/merge-patch+json"]
        {
            assert!(is_json(ok), "{ok}");
        }
        for refused in ["application/json-evil", "text/json", "application/jsonp", "text/plain", ""] {
            assert!(!is_json(refused), "{refused}");
        }
    }

    #[test]
    fn trailing_bytes_after_the_body_are_refused() {
        #[derive(serde::Deserialize, Debug)]
        struct Body {
            #[allow(dead_code)]
            name: String,
        }
        assert!(parse_json::<Body>(br#"{"name": "x"}  "#).is_ok(), "whitespace is fine");
        let err = parse_json::<Body>(br#"{"name": "x"} {"name": "y"}"#).unwrap_err();
        assert_eq!(err.0.field.as_deref(), Some("body"));
        assert!(parse_json::<Body>(br#"{"name": "x"}garbage"#).is_err());
    }
}
