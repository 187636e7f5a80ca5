//! The gateway verifies the console's session cookies and some tokens itself, so it keeps the
//! registry's revocations like every service does (`wuguan_platform::revocation`). It asks
//! with a token of its own, signed fresh for each call: the gateway holds the signing key.

use crate::Upstreams;
use std::time::Duration;
use wuguan_platform::error::{ServiceError, ServiceResult};
use wuguan_platform::identity::TokenSigner;
use wuguan_platform::revocation::{FeedCursor, FeedPage, RevocationFeed};
use wuguan_platform::{Principal, Role};
use wuguan_proto::registry::v1 as pb;

pub struct GatewayFeed {
    pub upstreams: Upstreams,
    pub signer: TokenSigner,
}

/// The gateway's own identity for the registry, signed fresh for each call: a machine's (no
/// sign-in version), which the registry trusts to say which client a sign-in comes from.
pub fn gateway_token(signer: &TokenSigner) -> ServiceResult<crate::extract::Bearer> {
    let gateway = Principal {
        subject: "wuguan-gateway".into(),
        role: Role::County,
        town: None,
        county: String::new(),
        unit: None,
        estate: None,
    };
    let token = signer.sign(&gateway, Duration::from_secs(300)).map_err(ServiceError::internal)?;
    Ok(crate::extract::Bearer(Some(token)))
}

impl RevocationFeed for GatewayFeed {
    async fn changes_from(&self, cursor: &FeedCursor) -> ServiceResult<FeedPage> {
        let req = self.upstreams.request(
            &gateway_token(&self.signer)?,
            pb::ListRevocationsRequest { changed_since_ms: cursor.changed_at_ms, after_key: cursor.key.clone() },
        );
        let resp = self
            .upstreams
            .accounts()
            .list_revocations(req)
            .await
            .map_err(|s| ServiceError::from_status(&s))?
            .into_inner();
        Ok(FeedPage::from_rows(
            resp.revocations.into_iter().map(|r| (r.key, r.min_version, r.changed_at_ms)),
            resp.more,
        ))
    }
}
