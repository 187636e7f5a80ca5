//! Returns by category and unit (退单分析) as JSON: which categories units send back, and how
//! often the town office upheld the return — a routing rule that keeps sending a category to
//! the wrong party shows here.

use crate::vocab::{label, name};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use wuguan_proto::dispatch::v1 as pb;
use wuguan_proto::vocab::common::UnitType;
use wuguan_proto::vocab::dispatch::Category;

#[derive(Serialize, ToSchema)]
pub struct ReturnTallyView {
    #[schema(value_type = Category)]
    pub category: &'static str,
    pub category_label: &'static str,
    pub unit_id: String,
    pub unit_name: String,
    #[schema(value_type = UnitType)]
    pub unit_type: &'static str,
    /// Returned by the unit in the period (退单).
    pub returns: u32,
    /// Sent back to the unit by the town office (退单不予认可).
    pub overruled: u32,
    /// Returns that stood (re-routed or still waiting): the routing rule's misses.
    pub upheld: u32,
}

impl From<pb::ReturnTally> for ReturnTallyView {
    fn from(r: pb::ReturnTally) -> Self {
        ReturnTallyView {
            category: name::<Category>(r.category),
            category_label: label::<Category>(r.category),
            unit_type: name::<UnitType>(r.unit_type),
            unit_id: r.unit_id,
            unit_name: r.unit_name,
            upheld: r.returns.saturating_sub(r.overruled),
            returns: r.returns,
            overruled: r.overruled,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ReturnsView {
    pub town: String,
    #[schema(format = Date)]
    pub from: String,
    #[schema(format = Date)]
    pub to: String,
    /// Most returns first.
    pub items: Vec<ReturnTallyView>,
}

/// A reason the town offers for returning a ticket (退单原因).
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnReasonView {
    /// A built-in `ReturnReason` name, or the town's own code (2–40 of `a-z 0-9 _`).
    pub code: String,
    /// The contract's label for a built-in reason (ignored when sent); the town's for its own.
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub built_in: bool,
    pub active: bool,
}

impl From<pb::TownReturnReason> for ReturnReasonView {
    fn from(r: pb::TownReturnReason) -> Self {
        ReturnReasonView { code: r.code, label: r.label, built_in: r.built_in, active: r.active }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ReturnReasonList {
    pub items: Vec<ReturnReasonView>,
    /// False: the built-in list.
    pub customised: bool,
}

/// The town's whole list, in order.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnReasonsInput {
    pub reasons: Vec<ReturnReasonView>,
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReturnsQuery {
    /// YYYY-MM-DD, local, inclusive; 90 days before `to` when left out.
    #[param(format = Date)]
    pub from: Option<String>,
    /// YYYY-MM-DD, local, inclusive; today when left out.
    #[param(format = Date)]
    pub to: Option<String>,
}
