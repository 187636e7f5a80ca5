//! JSON shapes of sign-in: the credentials, the token and who it belongs to.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use wuguan_proto::vocab::common::Role;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginInput {
    pub username: String,
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenView {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
}

#[derive(Serialize, ToSchema)]
pub struct MeView {
    pub username: String,
    #[schema(value_type = Role)]
    pub role: &'static str,
    pub town: Option<String>,
    pub county: String,
    pub unit_id: Option<String>,
    /// An owner representative's estate.
    pub estate_id: Option<String>,
    /// The account's display name.
    pub display_name: Option<String>,
}
