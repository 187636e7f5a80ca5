//! Keyset pagination shared by every list: ids are time-ordered (UUIDv7), so "after this id" is
//! a stable cursor on both SQLite and Postgres.

use crate::error::{ServiceError, ServiceResult};
use wuguan_proto::common::v1::{PageRequest, PageResponse};

pub const DEFAULT_PAGE_SIZE: u32 = 50;
pub const MAX_PAGE_SIZE: u32 = 500;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Rows to return (already capped).
    pub size: u32,
    /// Return rows whose id is greater than this.
    pub after: Option<String>,
}

impl Page {
    pub fn first(size: u32) -> Self {
        Self { size: size.clamp(1, MAX_PAGE_SIZE), after: None }
    }

    pub fn from_request(req: Option<&PageRequest>) -> ServiceResult<Self> {
        let Some(req) = req else {
            return Ok(Self::first(DEFAULT_PAGE_SIZE));
        };
        let size = if req.page_size == 0 { DEFAULT_PAGE_SIZE } else { req.page_size.min(MAX_PAGE_SIZE) };
        let after = if req.page_token.is_empty() {
            None
        } else {
            // Tokens are ids; reject anything that is not shaped like one instead of querying it.
            if req.page_token.len() > 64
                || !req.page_token.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            {
                return Err(ServiceError::invalid("page_token", "malformed page token"));
            }
            Some(req.page_token.clone())
        };
        Ok(Self { size, after })
    }

    /// Rows to fetch: one more than the page, to know whether another page follows.
    pub fn fetch_limit(&self) -> i64 {
        i64::from(self.size) + 1
    }

    /// Trims the extra row and returns the page response.
    pub fn finish<T>(&self, rows: &mut Vec<T>, id_of: impl Fn(&T) -> String) -> PageResponse {
        if rows.len() > self.size as usize {
            rows.truncate(self.size as usize);
            PageResponse { next_page_token: rows.last().map(id_of).unwrap_or_default() }
        } else {
            PageResponse::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_and_defaults() {
        let p = Page::from_request(Some(&PageRequest { page_size: 100_000, page_token: String::new() })).unwrap();
        assert_eq!(p.size, MAX_PAGE_SIZE);
        let p = Page::from_request(None).unwrap();
        assert_eq!(p.size, DEFAULT_PAGE_SIZE);
        let err = Page::from_request(Some(&PageRequest { page_size: 1, page_token: "x' OR 1=1".into() })).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("page_token"));
    }

    #[test]
    fn finish_sets_token_only_when_more_rows_follow() {
        let page = Page::first(2);
        let mut rows = vec!["a", "b", "c"];
        let resp = page.finish(&mut rows, |s| s.to_string());
        assert_eq!(rows, vec!["a", "b"]);
        assert_eq!(resp.next_page_token, "b");
        let mut rows = vec!["a"];
        assert!(page.finish(&mut rows, |s| s.to_string()).next_page_token.is_empty());
    }
}
