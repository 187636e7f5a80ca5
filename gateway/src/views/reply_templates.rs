//! Reply templates (答复规范) as JSON: per category, the headings a unit's reply to the reporter
//! must fill.

use crate::views::complaints::instant;
use crate::vocab::{label, name};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use wuguan_proto::dispatch::v1 as pb;
use wuguan_proto::vocab::dispatch::Category;

#[derive(Serialize, ToSchema)]
pub struct ReplyTemplateView {
    #[schema(value_type = Category)]
    pub category: &'static str,
    pub category_label: &'static str,
    /// The headings a reply must fill, each on its own line followed by "：" and what it says.
    pub headings: Vec<String>,
    /// What the office asks of the writer.
    pub guidance: String,
    /// False: the built-in template.
    pub customised: bool,
    pub updated_at: Option<String>,
    pub updated_by: Option<String>,
}

impl From<pb::ReplyTemplate> for ReplyTemplateView {
    fn from(t: pb::ReplyTemplate) -> Self {
        ReplyTemplateView {
            category: name::<Category>(t.category),
            category_label: label::<Category>(t.category),
            headings: t.headings,
            guidance: t.guidance,
            customised: t.customised,
            updated_at: instant(t.updated_at_ms),
            updated_by: Some(t.updated_by).filter(|b| !b.is_empty()),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ReplyTemplateList {
    pub items: Vec<ReplyTemplateView>,
}

/// One category's template as the town office sets it.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyTemplateInput {
    /// 1 to 8 headings, each 1 to 20 characters without a colon, e.g. ["办理结果", "办理依据"].
    pub headings: Vec<String>,
    #[serde(default)]
    pub guidance: String,
}
