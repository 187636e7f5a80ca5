//! wuguan dispatch (诉求派单): every complaint becomes a ticket routed to one of the five parties
//! (五方联动) with the four fixes, supervised and escalated on two levels (两级督查).

pub mod access;
pub mod calendar;
pub mod group_commit;
pub mod grpc;
pub mod intake;
pub mod lifecycle;
pub mod model;
pub mod privacy;
pub mod reply;
pub mod return_reasons;
pub use wuguan_registry_client as registry_client;
pub mod routing;
pub mod stats;
pub mod store;

pub use wuguan_platform::identity::ANONYMOUS_SUBJECT;
pub mod demo;
pub mod escalation;
pub mod server;
pub mod watch;
