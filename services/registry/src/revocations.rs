//! The registry's own verifier reads revocations straight from its store (the other services
//! read the same rows over gRPC, `ListRevocations`).

use crate::store::RegistryStore;
use std::sync::Arc;
use wuguan_platform::error::ServiceResult;
use wuguan_platform::revocation::{FEED_PAGE, FeedCursor, FeedPage, RevocationFeed};

pub struct StoreFeed<S>(pub Arc<S>);

impl<S: RegistryStore> RevocationFeed for StoreFeed<S> {
    async fn changes_from(&self, cursor: &FeedCursor) -> ServiceResult<FeedPage> {
        let rows = self.0.revocation_feed(cursor, FEED_PAGE).await?;
        let full = rows.len() >= FEED_PAGE;
        Ok(FeedPage::from_rows(rows.into_iter().map(|r| (r.key, r.min_version.max(0) as u64, r.changed_at)), full))
    }
}
