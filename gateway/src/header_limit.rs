//! Bounds on a request's headers, checked before routing: a caller's oversized credentials are
//! refused here (431 with the usual JSON error body) and never forwarded. Forwarded, a bearer
//! token of 16 KB made a service refuse the call (431, which came back as 500), and one of
//! 100 KB broke the HTTP/2 connection the gateway shares with that service, failing other
//! people's requests in flight on it.

use crate::error::ApiError;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// All headers together (names, values and separators), far above what a browser sends.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// One credential header (`Authorization` or `Cookie`): wuguan's tokens are well under 1 KB.
pub const MAX_CREDENTIAL_BYTES: usize = 4 * 1024;

fn too_large(field: &str, message: &str) -> Response {
    let mut response = ApiError::invalid(field, message).into_response();
    *response.status_mut() = http::StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE;
    response
}

pub async fn bound_headers(req: Request, next: Next) -> Response {
    let headers = req.headers();
    for (name, field) in [(http::header::AUTHORIZATION, "authorization"), (http::header::COOKIE, "cookie")] {
        let bytes: usize = headers.get_all(&name).iter().map(|v| v.len()).sum();
        if bytes > MAX_CREDENTIAL_BYTES {
            return too_large(field, &format!("the {field} header must be at most {MAX_CREDENTIAL_BYTES} bytes"));
        }
    }
    let total: usize = headers.iter().map(|(name, value)| name.as_str().len() + value.len() + 4).sum();
    if total > MAX_HEADER_BYTES {
        return too_large("headers", &format!("request headers must be at most {MAX_HEADER_BYTES} bytes in all"));
    }
    next.run(req).await
}
