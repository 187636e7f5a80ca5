//! wuguan registry (台账): the ledger of towns, neighbourhood committees, estates, property
//! companies, responsible units and persons, and the accounts people sign in with.

pub mod csv_io;
pub mod demo;
pub mod grpc;
pub mod model;
pub mod password;
pub mod revocations;
pub mod server;
pub mod setup;
pub mod store;
pub mod validate;

pub use grpc::RegistryGrpc;
