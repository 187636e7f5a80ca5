//! JSON shapes of reporters' personal information: the record of phone-number reads and the
//! town's retention period.

use super::complaints::instant;
use crate::vocab::name;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use wuguan_proto::dispatch::v1 as pb;
use wuguan_proto::vocab::common::Role;

#[derive(Serialize, ToSchema)]
pub struct PersonalDataReadView {
    pub ticket_id: String,
    /// The account or system that read the number in full.
    pub reader: String,
    #[schema(value_type = Role)]
    pub role: &'static str,
    /// `ticket` (the ticket's page or `GET /complaints/{id}`) or `watch` (a system's stream).
    pub channel: String,
    pub at: Option<String>,
}

impl From<pb::PersonalDataRead> for PersonalDataReadView {
    fn from(r: pb::PersonalDataRead) -> Self {
        PersonalDataReadView {
            role: name::<Role>(r.role),
            at: instant(r.at_ms),
            ticket_id: r.ticket_id,
            reader: r.reader,
            channel: r.channel,
        }
    }
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PersonalDataReadsQuery {
    /// One complaint's reads only.
    pub ticket_id: Option<String>,
    pub page_size: Option<u32>,
    pub page_token: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct PrivacyView {
    pub town: String,
    /// Days after closing that reporters' names and numbers are kept; then a job deletes them.
    pub retention_days: u32,
    pub updated_by: Option<String>,
    pub updated_at: Option<String>,
}

impl From<pb::PrivacySettings> for PrivacyView {
    fn from(s: pb::PrivacySettings) -> Self {
        PrivacyView {
            town: s.town,
            retention_days: s.retention_days,
            updated_by: (!s.updated_by.is_empty()).then_some(s.updated_by),
            updated_at: instant(s.updated_at_ms),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrivacyInput {
    /// 30 to 3650 days after closing.
    pub retention_days: u32,
}
