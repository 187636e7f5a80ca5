//! Revocation: the tokens that stopped counting before they expire.
//!
//! Tokens are verified by every service on its own (other departments call services directly),
//! so ending a session cannot be a matter of one process forgetting it. The registry keeps the
//! authority — per account a token version (every sign-in token carries the version it was
//! issued at; a password change, a reset, stopping the account or signing out raises it) and
//! the ids of service tokens the county revoked — and publishes it as a feed of changes. Every
//! verifier holds a [`Revocations`] snapshot that [`keep_in_sync`] refreshes from that feed
//! every second, so a revoked token fails on every service and replica within about a second,
//! at the cost of a hash look-up per request (no call to the registry on the request path).
//!
//! Accounts appear in the feed only by [`subject_key`], a hash of the username: the feed tells a
//! caller nothing about who changed a password.
//!
//! While the registry cannot be reached the snapshot stays as it was (a registry outage must
//! not stop intake); `wuguan_revocations_sync_failures_total` counts the failed attempts.

use crate::error::ServiceResult;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// How often a verifier asks for changes.
pub const SYNC_EVERY: Duration = Duration::from_secs(1);

/// How far back each sync reads again: a change stamped with its writer's clock may commit a
/// little later than it is stamped (and replicas' clocks differ a little), so re-reading the
/// last half minute cannot miss one. Applying a change twice is harmless.
pub const SYNC_OVERLAP_MS: i64 = 30_000;

/// Changes per page of the feed.
pub const FEED_PAGE: usize = 1000;

/// The key an account's token version is published under: a hash of its username.
pub fn subject_key(username: &str) -> String {
    let digest = Sha256::new().chain_update(b"wuguan-account:").chain_update(username.as_bytes()).finalize();
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// One change the feed reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revocation {
    /// Sign-in tokens of the account (by [`subject_key`]) issued below this version are void.
    Account { subject_key: String, min_version: u64 },
    /// The service token with this id is void.
    ServiceToken { id: String },
}

/// A page of the feed, ordered by (changed_at, key); `next` is where the following page starts
/// when this one was full.
#[derive(Debug, Clone, Default)]
pub struct FeedPage {
    pub changes: Vec<Revocation>,
    pub next: Option<FeedCursor>,
}

/// A position in the feed: changes stamped after `changed_at_ms`, or at it with a key after `key`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedCursor {
    pub changed_at_ms: i64,
    pub key: String,
}

impl FeedPage {
    /// A page from the feed's rows (key, min_version, changed_at_ms) in feed order; `full` when
    /// the page held as many rows as were asked for, so more may follow.
    pub fn from_rows(rows: impl IntoIterator<Item = (String, u64, i64)>, full: bool) -> Self {
        let mut changes = Vec::new();
        let mut last = None;
        for (key, min_version, changed_at_ms) in rows {
            if let Some(change) = Revocation::from_key(&key, min_version) {
                changes.push(change);
            }
            last = Some(FeedCursor { changed_at_ms, key });
        }
        FeedPage { changes, next: if full { last } else { None } }
    }
}

impl Revocation {
    /// The change a feed key stands for: "a:" and a subject key, or "t:" and a token id.
    pub fn from_key(key: &str, min_version: u64) -> Option<Self> {
        if let Some(subject_key) = key.strip_prefix("a:") {
            Some(Revocation::Account { subject_key: subject_key.to_owned(), min_version })
        } else {
            key.strip_prefix("t:").map(|id| Revocation::ServiceToken { id: id.to_owned() })
        }
    }
}

/// Where revocations come from: the registry's store (in the registry) or its gRPC feed.
pub trait RevocationFeed: Send + Sync + 'static {
    fn changes_from(&self, cursor: &FeedCursor) -> impl Future<Output = ServiceResult<FeedPage>> + Send;
}

impl<F: RevocationFeed> RevocationFeed for Arc<F> {
    fn changes_from(&self, cursor: &FeedCursor) -> impl Future<Output = ServiceResult<FeedPage>> + Send {
        F::changes_from(self, cursor)
    }
}

#[derive(Default)]
struct Snapshot {
    account_versions: HashMap<String, u64>,
    revoked_tokens: HashSet<String>,
}

/// The revocations a verifier knows; shared by every clone of the verifier.
#[derive(Clone, Default)]
pub struct Revocations {
    snapshot: Arc<RwLock<Snapshot>>,
}

impl Revocations {
    pub fn apply(&self, changes: impl IntoIterator<Item = Revocation>) {
        let mut s = self.snapshot.write().unwrap_or_else(|e| e.into_inner());
        for change in changes {
            match change {
                Revocation::Account { subject_key, min_version } => {
                    let v = s.account_versions.entry(subject_key).or_default();
                    *v = (*v).max(min_version);
                }
                Revocation::ServiceToken { id } => {
                    s.revoked_tokens.insert(id);
                }
            }
        }
    }

    /// Whether a token with these claims was revoked: a service token by its id; a sign-in
    /// token (no id) by its account's version.
    pub fn is_revoked(&self, subject: &str, token_id: Option<&str>, version: Option<u64>) -> bool {
        let s = self.snapshot.read().unwrap_or_else(|e| e.into_inner());
        match token_id {
            Some(id) => s.revoked_tokens.contains(id),
            None if s.account_versions.is_empty() => false,
            None => s.account_versions.get(&subject_key(subject)).is_some_and(|&min| version.unwrap_or(0) < min),
        }
    }
}

/// Reads the whole feed once, then every [`SYNC_EVERY`] what changed since the last read
/// (with [`SYNC_OVERLAP_MS`] of overlap), until `stop` turns true.
pub async fn keep_in_sync<F: RevocationFeed>(
    revocations: Revocations,
    feed: F,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let mut synced_from: i64 = 0;
    let mut first = true;
    loop {
        let started = crate::db::now_ms();
        match sync_once(&revocations, &feed, synced_from).await {
            Ok(()) => {
                if first {
                    tracing::info!("revocations loaded");
                    first = false;
                }
                synced_from = (started - SYNC_OVERLAP_MS).max(0);
            }
            Err(e) => {
                metrics::counter!("wuguan_revocations_sync_failures_total").increment(1);
                tracing::warn!(error = %e, "revocations could not be read; the last known ones still apply");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(SYNC_EVERY) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
    }
}

async fn sync_once<F: RevocationFeed>(revocations: &Revocations, feed: &F, from_ms: i64) -> ServiceResult<()> {
    let mut cursor = FeedCursor { changed_at_ms: from_ms, key: String::new() };
    loop {
        let page = feed.changes_from(&cursor).await?;
        revocations.apply(page.changes);
        match page.next {
            Some(next) if next != cursor => cursor = next,
            _ => return Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_version_voids_older_sign_in_tokens_only() {
        let r = Revocations::default();
        assert!(!r.is_revoked("zhongxing.police", None, Some(0)));
        r.apply([Revocation::Account { subject_key: subject_key("zhongxing.police"), min_version: 2 }]);
        assert!(r.is_revoked("zhongxing.police", None, Some(1)));
        assert!(r.is_revoked("zhongxing.police", None, None), "a token without a version is from before");
        assert!(!r.is_revoked("zhongxing.police", None, Some(2)));
        assert!(!r.is_revoked("zhongxing.community", None, Some(0)));
        // An older change read again (the overlap) never lowers the version.
        r.apply([Revocation::Account { subject_key: subject_key("zhongxing.police"), min_version: 1 }]);
        assert!(r.is_revoked("zhongxing.police", None, Some(1)));
        // A service token is judged by its id alone, even when its name is an account's.
        assert!(!r.is_revoked("zhongxing.police", Some("t1"), None));
        r.apply([Revocation::ServiceToken { id: "t1".into() }]);
        assert!(r.is_revoked("zhongxing.police", Some("t1"), None));
        assert!(!r.is_revoked("zhongxing.police", Some("t2"), None));
    }

    #[test]
    fn the_subject_key_hides_the_username() {
        let k = subject_key("zhongxing.police");
        assert_eq!(k.len(), 32);
        assert!(!k.contains("zhongxing"));
        assert_ne!(k, subject_key("zhongxing.community"));
    }

    struct Pages(Vec<FeedPage>, std::sync::Mutex<Vec<FeedCursor>>);

    impl RevocationFeed for Pages {
        async fn changes_from(&self, cursor: &FeedCursor) -> ServiceResult<FeedPage> {
            let mut asked = self.1.lock().unwrap();
            asked.push(cursor.clone());
            Ok(self.0.get(asked.len() - 1).cloned().unwrap_or_default())
        }
    }

    #[tokio::test]
    async fn a_sync_reads_every_page() {
        let second = FeedCursor { changed_at_ms: 5, key: "a:x".into() };
        let feed = Pages(
            vec![
                FeedPage { changes: vec![Revocation::ServiceToken { id: "t1".into() }], next: Some(second.clone()) },
                FeedPage { changes: vec![Revocation::ServiceToken { id: "t2".into() }], next: None },
            ],
            Default::default(),
        );
        let r = Revocations::default();
        sync_once(&r, &feed, 100).await.unwrap();
        assert!(r.is_revoked("s", Some("t1"), None) && r.is_revoked("s", Some("t2"), None));
        assert_eq!(*feed.1.lock().unwrap(), vec![FeedCursor { changed_at_ms: 100, key: String::new() }, second]);
    }
}
