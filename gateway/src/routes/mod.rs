//! HTTP routes under `/api/v1`, one file per area.

pub mod auth;
pub mod complaints;
pub mod health;
pub mod inspections;
pub mod ledger;
