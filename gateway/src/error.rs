//! HTTP errors: `{"error":{"code","message","field"}}` with the status from the shared table
//! in `wuguan_platform::error`, so a gRPC status and its HTTP response always agree.

use axum::Json;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use wuguan_platform::{ErrorCode, ServiceError};

#[derive(Debug)]
pub struct ApiError(pub ServiceError);

pub type ApiResult<T> = Result<T, ApiError>;

/// Every error's body; the OpenAPI document names it `Error`.
#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = Error)]
pub struct Body<'a> {
    pub error: Detail<'a>,
}

#[derive(Serialize, utoipa::ToSchema)]
#[schema(as = ErrorDetail)]
pub struct Detail<'a> {
    /// The error code, e.g. `invalid_argument`, `not_found`, `permission_denied`.
    pub code: &'a str,
    pub message: &'a str,
    /// The same for people, in Chinese (what the console shows).
    pub message_zh: String,
    /// The request field (or query parameter) at fault, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'a str>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        let body = Body {
            error: Detail {
                code: e.code.as_str(),
                message: &e.message,
                message_zh: crate::error_zh::message_zh(&e),
                field: e.field.as_deref(),
            },
        };
        let mut response = (e.code.http_status(), Json(body)).into_response();
        // Overload and brief outages: tell well-behaved clients when to come back.
        if matches!(e.code, ErrorCode::ResourceExhausted | ErrorCode::Unavailable) {
            response.headers_mut().insert(http::header::RETRY_AFTER, http::HeaderValue::from_static("1"));
        }
        response
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        ApiError(e)
    }
}

impl From<tonic::Status> for ApiError {
    fn from(status: tonic::Status) -> Self {
        if status.code() == tonic::Code::Unavailable || status.code() == tonic::Code::Unknown {
            tracing::warn!(code = ?status.code(), message = status.message(), "upstream call failed");
        }
        ApiError(ServiceError::from_status(&status))
    }
}

impl ApiError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError(ServiceError::invalid(field, message))
    }

    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError(ServiceError::new(code, message))
    }

    /// The same error naming `json` where the service named `wire`: for a body field whose
    /// JSON name differs from the gRPC field it becomes (`deadline` → `resolve_by_ms`).
    pub fn renamed(mut self, wire: &str, json: &str) -> Self {
        if self.0.field.as_deref() == Some(wire) {
            self.0.field = Some(json.to_owned());
            self.0.message = self.0.message.replacen(wire, json, 1);
        }
        self
    }
}

/// JSON 404 for paths that match no route.
pub async fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such route")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overload_is_503_with_retry_after_and_a_json_body() {
        let response = ApiError::from(tonic::Status::resource_exhausted("busy")).into_response();
        assert_eq!(response.status(), http::StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[http::header::RETRY_AFTER], "1");
        assert!(response.headers()[http::header::CONTENT_TYPE].to_str().unwrap().starts_with("application/json"));
    }
}
