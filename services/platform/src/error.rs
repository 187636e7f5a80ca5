//! One error vocabulary for every service and the gateway. Each [`ErrorCode`] maps to exactly
//! one gRPC code and one HTTP status, in the table in [`ErrorCode::grpc_code`] /
//! [`ErrorCode::http_status`]; the gateway turns a gRPC status back into the same code.

use tonic::metadata::MetadataValue;

/// Metadata key that carries the offending request field, so a gRPC client and the gateway can
/// name it without parsing the message.
pub const FIELD_METADATA_KEY: &str = "wuguan-error-field";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidArgument,
    Unauthenticated,
    PermissionDenied,
    NotFound,
    AlreadyExists,
    FailedPrecondition,
    Aborted,
    ResourceExhausted,
    PayloadTooLarge,
    Unavailable,
    DeadlineExceeded,
    Internal,
}

impl ErrorCode {
    /// The snake_case code in JSON error bodies.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidArgument => "invalid_argument",
            Self::Unauthenticated => "unauthenticated",
            Self::PermissionDenied => "permission_denied",
            Self::NotFound => "not_found",
            Self::AlreadyExists => "already_exists",
            Self::FailedPrecondition => "failed_precondition",
            Self::Aborted => "aborted",
            Self::ResourceExhausted => "resource_exhausted",
            Self::PayloadTooLarge => "payload_too_large",
            Self::Unavailable => "unavailable",
            Self::DeadlineExceeded => "deadline_exceeded",
            Self::Internal => "internal",
        }
    }

    pub fn grpc_code(self) -> tonic::Code {
        match self {
            Self::InvalidArgument => tonic::Code::InvalidArgument,
            Self::Unauthenticated => tonic::Code::Unauthenticated,
            Self::PermissionDenied => tonic::Code::PermissionDenied,
            Self::NotFound => tonic::Code::NotFound,
            Self::AlreadyExists => tonic::Code::AlreadyExists,
            Self::FailedPrecondition => tonic::Code::FailedPrecondition,
            Self::Aborted => tonic::Code::Aborted,
            Self::ResourceExhausted => tonic::Code::ResourceExhausted,
            Self::PayloadTooLarge => tonic::Code::OutOfRange,
            Self::Unavailable => tonic::Code::Unavailable,
            Self::DeadlineExceeded => tonic::Code::DeadlineExceeded,
            Self::Internal => tonic::Code::Internal,
        }
    }

    pub fn http_status(self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            Self::InvalidArgument => S::BAD_REQUEST,
            Self::Unauthenticated => S::UNAUTHORIZED,
            Self::PermissionDenied => S::FORBIDDEN,
            Self::NotFound => S::NOT_FOUND,
            Self::AlreadyExists => S::CONFLICT,
            Self::FailedPrecondition => S::CONFLICT,
            Self::Aborted => S::CONFLICT,
            Self::ResourceExhausted => S::SERVICE_UNAVAILABLE,
            Self::PayloadTooLarge => S::PAYLOAD_TOO_LARGE,
            Self::Unavailable => S::SERVICE_UNAVAILABLE,
            Self::DeadlineExceeded => S::GATEWAY_TIMEOUT,
            Self::Internal => S::INTERNAL_SERVER_ERROR,
        }
    }

    /// The inverse of [`ErrorCode::grpc_code`], for the gateway and clients.
    pub fn from_grpc(code: tonic::Code) -> Self {
        use tonic::Code as C;
        match code {
            C::InvalidArgument => Self::InvalidArgument,
            C::Unauthenticated => Self::Unauthenticated,
            C::PermissionDenied => Self::PermissionDenied,
            C::NotFound => Self::NotFound,
            C::AlreadyExists => Self::AlreadyExists,
            C::FailedPrecondition => Self::FailedPrecondition,
            C::Aborted => Self::Aborted,
            C::ResourceExhausted => Self::ResourceExhausted,
            C::OutOfRange => Self::PayloadTooLarge,
            C::Unavailable | C::Cancelled => Self::Unavailable,
            C::DeadlineExceeded => Self::DeadlineExceeded,
            _ => Self::Internal,
        }
    }
}

/// An error a service returns to its caller. Internal causes are logged where they occur and
/// never put into the message.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}: {message}", code.as_str())]
pub struct ServiceError {
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<String>,
}

impl ServiceError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), field: None }
    }

    /// A bad value in a named request field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { code: ErrorCode::InvalidArgument, message: message.into(), field: Some(field.into()) }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, format!("{} not found", what.into()))
    }

    pub fn permission_denied(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::PermissionDenied, message)
    }

    pub fn unauthenticated(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthenticated, message)
    }

    pub fn already_exists(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { code: ErrorCode::AlreadyExists, message: message.into(), field: Some(field.into()) }
    }

    /// Logs the cause and returns an opaque internal error.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(ErrorCode::Internal, "internal error")
    }

    /// Reads an error back from a gRPC status (the gateway's side of the table).
    pub fn from_status(status: &tonic::Status) -> Self {
        let field = status.metadata().get(FIELD_METADATA_KEY).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let code = match status.code() {
            // The transport lost the call (the service died, the connection reset): whether it
            // took effect is unknown, so it is a retry-later, not an internal error.
            tonic::Code::Unknown if is_transport_failure(status) => ErrorCode::Unavailable,
            code => ErrorCode::from_grpc(code),
        };
        let message = match code {
            ErrorCode::Internal => "internal error".to_owned(),
            ErrorCode::Unavailable if status.code() == tonic::Code::Unknown => {
                "the service could not be reached; retry shortly (with the same idempotency key)".to_owned()
            }
            _ => status.message().to_owned(),
        };
        Self { code, message, field }
    }
}

/// Whether a status without a code of its own came from the transport rather than a handler.
fn is_transport_failure(status: &tonic::Status) -> bool {
    let message = status.message();
    std::error::Error::source(status).is_some()
        || message.starts_with("transport error")
        || message.contains("connection")
        || message.contains("broken pipe")
}

/// Postgres SQLSTATEs of a lost or refused connection: class 08, and the server shutting down
/// or starting up (57P01-57P03).
fn is_connection_state(code: &str) -> bool {
    code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03")
}

impl From<ServiceError> for tonic::Status {
    fn from(err: ServiceError) -> Self {
        let mut status = tonic::Status::new(err.code.grpc_code(), err.message);
        if let Some(field) = err.field
            && let Ok(value) = MetadataValue::try_from(field.as_str())
        {
            status.metadata_mut().insert(FIELD_METADATA_KEY, value);
        }
        status
    }
}

impl From<sqlx::Error> for ServiceError {
    fn from(err: sqlx::Error) -> Self {
        match &err {
            sqlx::Error::RowNotFound => Self::new(ErrorCode::NotFound, "not found"),
            sqlx::Error::PoolTimedOut => {
                tracing::warn!("database pool timed out");
                Self::new(ErrorCode::Unavailable, "database busy, retry later")
            }
            // The database went away mid-call (restart, network): a commit may or may not have
            // happened, so the caller retries with the same idempotency key.
            sqlx::Error::Io(_) | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => {
                tracing::warn!(error = %err, "database unreachable");
                Self::new(ErrorCode::Unavailable, "the database is unreachable; retry shortly")
            }
            sqlx::Error::Database(db) if db.code().is_some_and(|c| is_connection_state(&c)) => {
                tracing::warn!(error = %err, "database connection lost");
                Self::new(ErrorCode::Unavailable, "the database is unreachable; retry shortly")
            }
            _ => Self::internal(err),
        }
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;

/// A handler's result as a gRPC response.
pub fn rpc<T>(result: ServiceResult<T>) -> Result<tonic::Response<T>, tonic::Status> {
    result.map(tonic::Response::new).map_err(tonic::Status::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_survives_the_round_trip_through_grpc() {
        let status: tonic::Status = ServiceError::invalid("name", "must not be empty").into();
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        let back = ServiceError::from_status(&status);
        assert_eq!(back.code, ErrorCode::InvalidArgument);
        assert_eq!(back.field.as_deref(), Some("name"));
        assert_eq!(back.code.http_status(), http::StatusCode::BAD_REQUEST);
    }

    #[test]
    fn lost_connections_are_retry_later_not_internal() {
        for status in [tonic::Status::unknown("transport error"), tonic::Status::unknown("connection reset by peer")] {
            assert_eq!(ServiceError::from_status(&status).code, ErrorCode::Unavailable, "{status:?}");
        }
        assert_eq!(ServiceError::from_status(&tonic::Status::unknown("boom")).code, ErrorCode::Internal);
        let reset = sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        assert_eq!(ServiceError::from(reset).code, ErrorCode::Unavailable);
        assert_eq!(ServiceError::from(sqlx::Error::PoolClosed).code, ErrorCode::Unavailable);
        assert!(super::is_connection_state("08006") && super::is_connection_state("57P01"));
        assert!(!super::is_connection_state("23505"), "a unique violation is not a lost connection");
        assert_eq!(ErrorCode::Unavailable.http_status(), http::StatusCode::SERVICE_UNAVAILABLE);
    }

    #[test]
    fn internal_messages_are_not_passed_on() {
        let status = tonic::Status::internal("connection refused to 10.0.0.3");
        assert_eq!(ServiceError::from_status(&status).message, "internal error");
    }
}
