//! The JSON shapes of the HTTP API, one file per area, shared by the API's handlers and the
//! console: snake_case fields and enum values, converted from and to the services' messages.

pub mod assessments;
pub mod auth;
pub mod calendar;
pub mod complaints;
pub mod digest;
pub mod inspections;
pub mod ledger;
pub mod privacy;
pub mod reply_templates;
pub mod returns;
pub mod rubric;
pub mod service_tokens;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use wuguan_proto::common::v1 as common;

/// Every list: one page of items and the token for the next (null on the last page).
#[derive(Serialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_page_token: Option<String>,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, page: Option<common::PageResponse>) -> Self {
        let next = page.map(|p| p.next_page_token).filter(|t| !t.is_empty());
        Page { items, next_page_token: next }
    }
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    pub page_size: Option<u32>,
    pub page_token: Option<String>,
}

impl PageQuery {
    pub fn to_pb(&self) -> Option<common::PageRequest> {
        Some(common::PageRequest {
            page_size: self.page_size.unwrap_or(0),
            page_token: self.page_token.clone().unwrap_or_default(),
        })
    }
}
