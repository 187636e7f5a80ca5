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

/// A page token is the last id of the page and a check of it: a token this list did not give
/// (mistyped, cut short, made up) is refused rather than read as a position — an id-shaped
/// string that is no id would silently start the list over.
fn encode_token(id: &str) -> String {
    format!("{id}.{}", token_check(id))
}

fn token_check(id: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::new().chain_update(b"wuguan-page:").chain_update(id.as_bytes()).finalize();
    digest.iter().take(4).map(|b| format!("{b:02x}")).collect()
}

fn decode_token(token: &str) -> ServiceResult<String> {
    let malformed =
        || ServiceError::invalid("page_token", "page_token is not one this list gave: start again without it");
    // Ids are short and plain; anything else is refused before it reaches a query.
    if token.len() > 80 || !token.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')) {
        return Err(malformed());
    }
    let (id, check) = token.rsplit_once('.').ok_or_else(malformed)?;
    if id.is_empty() || token_check(id) != check {
        return Err(malformed());
    }
    Ok(id.to_owned())
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
        let after = if req.page_token.is_empty() { None } else { Some(decode_token(&req.page_token)?) };
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
            PageResponse { next_page_token: rows.last().map(|r| encode_token(&id_of(r))).unwrap_or_default() }
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
        for made_up in ["zzzz", "b", "b.00000000", "zhongxing.police", ".", "b.", "x' OR 1=1"] {
            let err = Page::from_request(Some(&PageRequest { page_size: 1, page_token: made_up.into() })).unwrap_err();
            assert_eq!(err.field.as_deref(), Some("page_token"), "{made_up}");
        }
        let err = Page::from_request(Some(&PageRequest { page_size: 1, page_token: "x' OR 1=1".into() })).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("page_token"));
    }

    #[test]
    fn finish_sets_token_only_when_more_rows_follow() {
        let page = Page::first(2);
        let mut rows = vec!["a", "b", "c"];
        let resp = page.finish(&mut rows, |s| s.to_string());
        assert_eq!(rows, vec!["a", "b"]);
        assert_eq!(
            Page::from_request(Some(&PageRequest { page_size: 2, page_token: resp.next_page_token }))
                .unwrap()
                .after
                .as_deref(),
            Some("b")
        );
        let mut rows = vec!["a"];
        assert!(page.finish(&mut rows, |s| s.to_string()).next_page_token.is_empty());
    }
}
