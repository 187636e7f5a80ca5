//! What every wuguan process shares: the error vocabulary, identity (tokens and principals),
//! database connection and migrations, gRPC serving (health, reflection, limits, shutdown),
//! telemetry and paging.

pub mod admin;
pub mod db;
pub mod error;
pub mod fields;
pub mod identity;
pub mod local_time;
pub mod metrics;
pub mod paging;
pub mod privacy;
pub mod rates;
pub mod revocation;
pub mod serving;
pub mod telemetry;
pub mod time_limit;

pub use error::{ErrorCode, ServiceError};
pub use identity::{Principal, Role};
