//! wuguan assessment (督查考核): weekly inspections against a versioned rubric; findings become
//! dispatch tickets through an outbox.

pub mod annual;
pub mod bulletin;
pub mod demo;
pub mod follow_up;
pub mod grpc;
pub mod league;
pub mod model;
pub mod outbox;
pub mod rubric;
pub mod scoring;
pub mod server;
pub mod store;
