//! Adding and editing an estate in the ledger from the console: one form for both, every field
//! of the ledger (figures, management, owners' committee, creation target, security provision).
//! The registry validates; a refusal comes back on the form with the field named in Chinese and
//! the clerk's input kept.

use super::common::*;
use super::session::Session;
use crate::AppState;
use crate::error::ApiError;
use crate::vocab::{Vocabulary, choices};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use wuguan_platform::Role;
use wuguan_proto::common::v1::PageRequest;
use wuguan_proto::registry::v1 as rpb;
use wuguan_proto::vocab::registry::{EstateTarget, ManagementMode, OwnersCommittee};

/// The form's values as typed, so a refused form comes back as the clerk left it.
#[derive(Default)]
pub struct Values {
    name: String,
    address: String,
    community_id: String,
    planned_floor_area_m2: String,
    built_floor_area_m2: String,
    designed_households: String,
    occupied_households: String,
    residents: String,
    is_old_estate: bool,
    management_mode: String,
    property_company_id: String,
    owners_committee: String,
    target: String,
    guards: String,
    cameras: String,
    access_control: bool,
    fences_and_gates: bool,
    version: String,
}

/// The Chinese label of a ledger field, for messages that name it (one table: `error_zh`).
pub(super) fn field_zh(field: &str) -> &str {
    crate::error_zh::ledger_field_label(field).unwrap_or(field)
}

impl Values {
    fn of(e: &rpb::Estate) -> Values {
        let sec = e.security.unwrap_or_default();
        Values {
            name: e.name.clone(),
            address: e.address.clone(),
            community_id: e.community_id.clone(),
            planned_floor_area_m2: e.planned_floor_area_m2.to_string(),
            built_floor_area_m2: e.built_floor_area_m2.to_string(),
            designed_households: e.designed_households.to_string(),
            occupied_households: e.occupied_households.to_string(),
            residents: e.residents.to_string(),
            is_old_estate: e.is_old_estate,
            management_mode: chosen(e.management_mode, ManagementMode::None),
            property_company_id: e.property_company_id.clone(),
            owners_committee: chosen(e.owners_committee, OwnersCommittee::None),
            target: chosen(e.target, EstateTarget::None),
            guards: sec.guards.to_string(),
            cameras: sec.cameras.to_string(),
            access_control: sec.access_control,
            fences_and_gates: sec.fences_and_gates,
            version: e.version.to_string(),
        }
    }

    fn posted(f: &HashMap<String, String>) -> Values {
        let text = |k: &str| f.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
        let checked = |k: &str| f.get(k).is_some_and(|v| v == "true");
        Values {
            name: text("name"),
            address: text("address"),
            community_id: text("community_id"),
            planned_floor_area_m2: text("planned_floor_area_m2"),
            built_floor_area_m2: text("built_floor_area_m2"),
            designed_households: text("designed_households"),
            occupied_households: text("occupied_households"),
            residents: text("residents"),
            is_old_estate: checked("is_old_estate"),
            management_mode: text("management_mode"),
            property_company_id: text("property_company_id"),
            owners_committee: text("owners_committee"),
            target: text("target"),
            guards: text("guards"),
            cameras: text("cameras"),
            access_control: checked("access_control"),
            fences_and_gates: checked("fences_and_gates"),
            version: text("version"),
        }
    }

    /// The registry's fields, or the first value that is not a whole number, by field.
    fn to_pb(&self) -> Result<rpb::EstateFields, (&'static str, String)> {
        fn whole<T: std::str::FromStr>(field: &'static str, v: &str) -> Result<T, (&'static str, String)> {
            v.parse().map_err(|_| (field, format!("{}请填写不小于 0 的整数。", field_zh(field))))
        }
        let company = self.management_mode == "property_company";
        Ok(rpb::EstateFields {
            community_id: Some(self.community_id.clone()),
            name: Some(self.name.clone()),
            address: Some(self.address.clone()),
            planned_floor_area_m2: Some(whole("planned_floor_area_m2", &self.planned_floor_area_m2)?),
            built_floor_area_m2: Some(whole("built_floor_area_m2", &self.built_floor_area_m2)?),
            designed_households: Some(whole("designed_households", &self.designed_households)?),
            occupied_households: Some(whole("occupied_households", &self.occupied_households)?),
            residents: Some(whole("residents", &self.residents)?),
            is_old_estate: Some(self.is_old_estate),
            management_mode: Some(choice_wire(&self.management_mode, ManagementMode::None)),
            // Switching away from a company clears it: send none rather than an old choice.
            property_company_id: company.then(|| self.property_company_id.clone()),
            owners_committee: Some(choice_wire(&self.owners_committee, OwnersCommittee::None)),
            target: Some(choice_wire(&self.target, EstateTarget::None)),
            guards: Some(whole("guards", &self.guards)?),
            cameras: Some(whole("cameras", &self.cameras)?),
            access_control: Some(self.access_control),
            fences_and_gates: Some(self.fences_and_gates),
        })
    }
}

#[derive(Template)]
#[template(path = "console/estate_form.html")]
struct FormPage {
    nav: Option<Nav>,
    /// The estate edited; empty when adding one.
    id: String,
    v: Values,
    csrf: String,
    communities: Vec<(String, String)>,
    companies: Vec<(String, String)>,
    modes: Vec<(&'static str, &'static str)>,
    committees: Vec<(&'static str, &'static str)>,
    targets: Vec<(&'static str, &'static str)>,
    error: Option<String>,
    /// The field the error is about, to mark it.
    error_field: String,
}

/// A form sent back: the field to mark (or ""), what to correct, and the status to answer with.
type Refusal = (&'static str, String, StatusCode);

async fn render(s: &AppState, session: &Session, id: &str, v: Values, error: Option<Refusal>) -> Response {
    let b = bearer(session);
    let town = session.principal.town.clone().unwrap_or_default();
    let page_req = || Some(PageRequest { page_size: 500, page_token: String::new() });
    let req = rpb::ListCommunitiesRequest { town: town.clone(), page: page_req() };
    let communities = match s.upstreams.registry().list_communities(s.upstreams.request(&b, req)).await {
        Ok(r) => r.into_inner().communities.into_iter().map(|c| (c.id, c.name)).collect(),
        Err(e) => return refused(&ApiError::from(e), "/console/estates"),
    };
    let req = rpb::ListPropertyCompaniesRequest { town, page: page_req() };
    let companies = match s.upstreams.registry().list_property_companies(s.upstreams.request(&b, req)).await {
        Ok(r) => r.into_inner().property_companies.into_iter().map(|c| (c.id, c.name)).collect(),
        Err(e) => return refused(&ApiError::from(e), "/console/estates"),
    };
    let (error_field, error, status) = match error {
        Some((field, message, status)) => (field.to_owned(), Some(message), Some(status)),
        None => (String::new(), None, None),
    };
    let response = page(FormPage {
        nav: nav(session),
        id: id.to_owned(),
        v,
        csrf: session.csrf.clone(),
        communities,
        companies,
        modes: choices::<ManagementMode>(),
        committees: choices::<OwnersCommittee>(),
        targets: choices::<EstateTarget>(),
        error,
        error_field,
    });
    match status {
        Some(status) => (status, response).into_response(),
        None => response,
    }
}

fn office_only(session: &Session) -> Option<Response> {
    (session.principal.role != Role::TownOffice)
        .then(|| refusal(StatusCode::FORBIDDEN, "小区台账由镇物管办维护。", "/console/estates"))
}

/// What the registry's refusal means for the form: the field, a message naming it, and the
/// status the API answers the same refusal with (422 for a field to correct).
fn form_refusal(e: tonic::Status) -> Refusal {
    let e = ApiError::from(e);
    let status = form_status(&e);
    match e.0.code {
        wuguan_platform::ErrorCode::Aborted | wuguan_platform::ErrorCode::FailedPrecondition => {
            ("", "保存前该小区已被他人修改，请返回重新打开后再改。".to_owned(), status)
        }
        wuguan_platform::ErrorCode::InvalidArgument => {
            let field = e.0.field.clone().unwrap_or_default();
            let marked = FIELDS.iter().find(|k| **k == field).copied().unwrap_or("");
            (marked, crate::error_zh::ledger_message_zh(&field, &e.0.message), status)
        }
        _ => ("", say(&e), status),
    }
}

/// A value the console itself could not read (before asking the registry): a field to correct.
fn unreadable((field, message): (&'static str, String)) -> Refusal {
    (field, message, StatusCode::UNPROCESSABLE_ENTITY)
}

const FIELDS: [&str; 17] = [
    "name",
    "address",
    "community_id",
    "planned_floor_area_m2",
    "built_floor_area_m2",
    "designed_households",
    "occupied_households",
    "residents",
    "is_old_estate",
    "management_mode",
    "property_company_id",
    "owners_committee",
    "target",
    "guards",
    "cameras",
    "access_control",
    "fences_and_gates",
];

pub async fn new_form(State(s): State<AppState>, session: Session) -> Response {
    if let Some(refused) = office_only(&session) {
        return refused;
    }
    let v = Values {
        management_mode: "property_company".into(),
        owners_committee: "none".into(),
        target: "none".into(),
        guards: "0".into(),
        cameras: "0".into(),
        ..Values::default()
    };
    render(&s, &session, "", v, None).await
}

pub async fn create(State(s): State<AppState>, session: Session, body: Bytes) -> Response {
    if let Some(refused) = office_only(&session) {
        return refused;
    }
    let Some(f) = signed_form(&session, &body) else { return forbidden_form() };
    let v = Values::posted(&f);
    let fields = match v.to_pb() {
        Ok(fields) => fields,
        Err(error) => return render(&s, &session, "", v, Some(unreadable(error))).await,
    };
    let req = rpb::CreateEstateRequest {
        town: session.principal.town.clone().unwrap_or_default(),
        estate: Some(fields),
        // One estate per submitted form, however often it is resent.
        idempotency_key: format!("console-{}", super::session::csrf_for(&String::from_utf8_lossy(&body))),
    };
    match s.upstreams.registry().create_estate(s.upstreams.request(&bearer(&session), req)).await {
        Ok(e) => Redirect::to(&format!("/console/estates/{}?saved=1", e.into_inner().id)).into_response(),
        Err(e) => render(&s, &session, "", v, Some(form_refusal(e))).await,
    }
}

pub async fn edit_form(State(s): State<AppState>, session: Session, Path(id): Path<String>) -> Response {
    if let Some(refused) = office_only(&session) {
        return refused;
    }
    let req = s.upstreams.request(&bearer(&session), rpb::GetByIdRequest { id: id.clone() });
    match s.upstreams.registry().get_estate(req).await {
        Ok(e) => render(&s, &session, &id, Values::of(&e.into_inner()), None).await,
        Err(e) => refused(&ApiError::from(e), "/console/estates"),
    }
}

pub async fn update(State(s): State<AppState>, session: Session, Path(id): Path<String>, body: Bytes) -> Response {
    if let Some(refused) = office_only(&session) {
        return refused;
    }
    let Some(f) = signed_form(&session, &body) else { return forbidden_form() };
    let v = Values::posted(&f);
    let fields = match v.to_pb() {
        Ok(fields) => fields,
        Err(error) => return render(&s, &session, &id, v, Some(unreadable(error))).await,
    };
    // The version the clerk opened: someone else's save in between is not overwritten.
    let expected_version = v.version.parse().unwrap_or(0);
    let req = rpb::UpdateEstateRequest { id: id.clone(), estate: Some(fields), expected_version };
    match s.upstreams.registry().update_estate(s.upstreams.request(&bearer(&session), req)).await {
        Ok(_) => Redirect::to(&format!("/console/estates/{id}?saved=1")).into_response(),
        Err(e) => render(&s, &session, &id, v, Some(form_refusal(e))).await,
    }
}

/// The name of the value a select shows as chosen; `default` where the estate has none.
fn chosen<E: Vocabulary>(wire: i32, default: E) -> String {
    E::from_wire(wire).ok().flatten().unwrap_or(default).as_str().to_owned()
}

/// The wire value of a select's choice; `default` for a choice the contract lacks.
fn choice_wire<E: Vocabulary + Into<i32>>(name: &str, default: E) -> i32 {
    E::ALL.iter().copied().find(|v| v.as_str() == name).unwrap_or(default).into()
}
