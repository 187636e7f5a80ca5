//! HTTP routes under `/api/v1`, one file per area.

pub mod assessments;
pub mod auth;
pub mod bulletins;
pub mod calendar;
pub mod complaints;
pub mod digest;
pub mod health;
pub mod inspections;
pub mod ledger;
pub mod privacy;
pub mod reply_templates;
pub mod returns;
pub mod rubric;
pub mod service_tokens;
