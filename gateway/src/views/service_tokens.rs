//! JSON shapes of service tokens: what the county (or a town office) mints for another
//! department's system, lists and revokes.

use super::complaints::instant;
use crate::vocab::name;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use wuguan_proto::registry::v1 as pb;
use wuguan_proto::vocab::common::Role;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceTokenInput {
    /// The calling system, e.g. `hotline-12345`: 3–64 letters, digits, '.', '_' or '-'.
    pub name: String,
    /// The town the system acts in.
    pub town: String,
    /// The responsible unit it acts for, if any (e.g. the police station's unit id).
    #[serde(default)]
    pub unit_id: String,
    /// Lifetime in days, 1–366 (default 90).
    #[serde(default)]
    pub days: u32,
}

#[derive(Serialize, ToSchema)]
pub struct ServiceTokenView {
    pub id: String,
    pub name: String,
    #[schema(value_type = Role)]
    pub role: &'static str,
    pub town: Option<String>,
    pub county: String,
    pub unit_id: Option<String>,
    pub created_by: String,
    pub created_at: Option<String>,
    pub expires_at: Option<String>,
    /// Null while the token is in force.
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
}

impl From<pb::ServiceToken> for ServiceTokenView {
    fn from(t: pb::ServiceToken) -> Self {
        let some = |s: String| (!s.is_empty()).then_some(s);
        ServiceTokenView {
            role: name::<Role>(t.role),
            town: some(t.town),
            unit_id: some(t.unit_id),
            revoked_by: some(t.revoked_by),
            created_at: instant(t.created_at_ms),
            expires_at: instant(t.expires_at_ms),
            revoked_at: instant(t.revoked_at_ms),
            id: t.id,
            name: t.name,
            county: t.county,
            created_by: t.created_by,
        }
    }
}

/// A new service token: the token itself is shown this once and never stored.
#[derive(Serialize, ToSchema)]
pub struct CreatedServiceTokenView {
    pub access_token: String,
    pub token_type: &'static str,
    pub service_token: ServiceTokenView,
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ServiceTokensQuery {
    /// One town's tokens (a county sees every town's by default).
    pub town: Option<String>,
    pub page_size: Option<u32>,
    pub page_token: Option<String>,
}
