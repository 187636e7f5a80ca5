//! Authentication before anything else: an operation that needs a bearer token (the OpenAPI
//! document's security says which: every one but sign-in, the town directory, the vocabulary,
//! tracking and rating by code, health and the document itself, and submitting a complaint,
//! where it is optional) answers 401 to a request without one before its query or body is
//! read — a caller who is not signed in learns nothing from which of its inputs are wrong.

use crate::error::ApiError;
use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::collections::HashSet;
use std::sync::OnceLock;
use wuguan_platform::ErrorCode;

/// "METHOD /path/{template}" of every documented operation that needs a token (routes outside
/// the document, such as `/livez`, need none).
fn secured_operations() -> &'static HashSet<String> {
    static SECURED: OnceLock<HashSet<String>> = OnceLock::new();
    SECURED.get_or_init(|| {
        let doc = crate::openapi::document();
        let mut secured = HashSet::new();
        for (path, operations) in doc["paths"].as_object().into_iter().flatten() {
            for (method, op) in operations.as_object().into_iter().flatten() {
                // An empty list (no security) or an empty requirement among others (optional).
                let open_to_all = op["security"].as_array().is_some_and(|reqs| {
                    reqs.is_empty() || reqs.iter().any(|r| r.as_object().is_some_and(|o| o.is_empty()))
                });
                if !open_to_all {
                    secured.insert(format!("{} {path}", method.to_ascii_uppercase()));
                }
            }
        }
        secured
    })
}

pub async fn require(matched: Option<MatchedPath>, req: Request, next: Next) -> Response {
    if let Some(path) = matched
        && !req.headers().contains_key(http::header::AUTHORIZATION)
        && secured_operations().contains(&format!("{} {}", req.method(), path.as_str()))
    {
        return ApiError::new(ErrorCode::Unauthenticated, "sign in first: this operation needs a bearer token")
            .into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_secured_operations_are_the_documented_ones() {
        let secured = super::secured_operations();
        for op in ["POST /api/v1/auth/login", "POST /api/v1/complaints", "GET /api/v1/track/{code}", "GET /healthz"] {
            assert!(!secured.contains(op), "{op} needs no token");
        }
        assert!(secured.contains("GET /api/v1/towns/{town}/stats/complaints"));
        assert!(secured.contains("POST /api/v1/auth/logout"));
        assert!(secured.contains("POST /api/v1/towns/{town}/estates/import"));
    }
}
