//! Responsible units and persons (责任单位与责任人) in the console, for the town office: each unit
//! with its designated person — whom new tickets name under 定责任人 — and its other people; add a
//! person (optionally designated at once) or designate another. Staff change; the ledger of who
//! answers for what must follow them.

use super::common::*;
use super::session::Session;
use crate::AppState;
use crate::error::ApiError;
use crate::vocab::{label, parse};
use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use wuguan_proto::common::v1::PageRequest;
use wuguan_proto::registry::v1 as rpb;
use wuguan_proto::vocab::common::UnitType;

pub struct UnitBlock {
    id: String,
    kind: &'static str,
    name: String,
    /// (id, name, title, phone, designated).
    persons: Vec<(String, String, String, String, bool)>,
}

#[derive(Template)]
#[template(path = "console/units.html")]
struct UnitsPage {
    nav: Option<Nav>,
    town: String,
    towns: Vec<(String, String, bool)>,
    unit_types: [(&'static str, &'static str); 6],
    csrf: String,
    units: Vec<UnitBlock>,
    error: Option<String>,
    notice: Option<String>,
}

/// Every page of a list, up to a bound a town never reaches.
async fn all_persons(s: &AppState, session: &Session, town: &str) -> Result<Vec<rpb::Person>, ApiError> {
    let mut out = Vec::new();
    let mut token = String::new();
    for _ in 0..20 {
        let req = rpb::ListPersonsRequest {
            town: town.to_owned(),
            unit_id: String::new(),
            page: Some(PageRequest { page_size: 500, page_token: token }),
        };
        let r = s.upstreams.registry().list_persons(s.upstreams.request(&bearer(session), req)).await?.into_inner();
        out.extend(r.persons);
        token = r.page.unwrap_or_default().next_page_token;
        if token.is_empty() {
            break;
        }
    }
    Ok(out)
}

/// The units a town creates itself; communities and property companies bring their own.
const TOWN_UNIT_TYPES: [UnitType; 6] = [
    UnitType::TownOffice,
    UnitType::Police,
    UnitType::UrbanManagement,
    UnitType::ConstructionBureau,
    UnitType::OwnerReps,
    UnitType::Developer,
];

async fn render(
    s: &AppState,
    session: &Session,
    town: &str,
    error: Option<String>,
    notice: Option<String>,
) -> Response {
    let town = town.to_owned();
    let req = rpb::ListUnitsRequest {
        town: town.clone(),
        page: Some(PageRequest { page_size: 500, page_token: String::new() }),
        ..Default::default()
    };
    let units = match s.upstreams.registry().list_units(s.upstreams.request(&bearer(session), req)).await {
        Ok(r) => r.into_inner().units,
        Err(e) => return refused(&ApiError::from(e), "/console"),
    };
    let persons = match all_persons(s, session, &town).await {
        Ok(p) => p,
        Err(e) => return refused(&e, "/console"),
    };
    let mut blocks: Vec<UnitBlock> = units
        .into_iter()
        .map(|u| {
            let mut people: Vec<_> = persons
                .iter()
                .filter(|p| p.unit_id == u.id)
                .map(|p| (p.id.clone(), p.name.clone(), p.title.clone(), p.phone.clone(), p.designated))
                .collect();
            // The designated person first.
            people.sort_by_key(|p| !p.4);
            UnitBlock { id: u.id, kind: label::<UnitType>(u.unit_type), name: u.name, persons: people }
        })
        .collect();
    blocks.sort_by(|a, b| a.kind.cmp(b.kind).then(a.name.cmp(&b.name)));
    let view = UnitsPage {
        nav: nav(session),
        towns: town_choices(s, session, &town).await,
        town,
        unit_types: TOWN_UNIT_TYPES.map(|t| (t.as_str(), t.label_zh())),
        csrf: session.csrf.clone(),
        units: blocks,
        notice,
        error,
    };
    if view.error.is_some() { unprocessable(page(view)) } else { page(view) }
}

/// What the registry's refusal of a person's details means, in Chinese.
fn person_refusal(e: &ApiError) -> String {
    match e.0.field.as_deref() {
        Some("name") => "请填写姓名（不超过 100 字）。".to_owned(),
        Some("phone") => "电话号码格式不正确。".to_owned(),
        Some("title") => "职务不超过 500 字。".to_owned(),
        Some("unit_id") => "没有这个责任单位。".to_owned(),
        _ => say(e),
    }
}

/// Back to the page (of the same town), saying what was done.
fn done(town: &str, what: &str, name: &str) -> Response {
    let mut url = form_urlencoded::Serializer::new(String::from("/console/units?"));
    url.append_pair("town", town).append_pair(what, name);
    Redirect::to(&url.finish()).into_response()
}

/// One submitted form, one write, however often it is resent.
fn form_key(body: &Bytes) -> String {
    format!("console-{}", &super::session::csrf_for(&String::from_utf8_lossy(body))[..48])
}

#[derive(serde::Deserialize, Default)]
pub struct DoneQuery {
    town: Option<String>,
    added: Option<String>,
    designated: Option<String>,
    unit: Option<String>,
    updated: Option<String>,
    removed: Option<String>,
}

pub async fn units(State(s): State<AppState>, session: Session, Query(q): Query<DoneQuery>) -> Response {
    if let Some(refused) = managers_only(&session, "责任单位与责任人") {
        return refused;
    }
    let town = match town_of_page(&s, &session, q.town.as_deref()).await {
        Ok(town) => town,
        Err(refused) => return refused,
    };
    let notice = if let Some(name) = q.added {
        Some(format!("已添加 {name}。"))
    } else if let Some(name) = q.updated {
        Some(format!("{name} 的信息已更新。"))
    } else if let Some(name) = q.removed {
        Some(format!("{name} 已移除。"))
    } else if let Some(name) = q.designated {
        Some(format!("{name} 已设为责任人，此后新派的诉求由其负责（各服务缓存的单位信息至多 5 分钟后更新）。"))
    } else {
        q.unit.map(|name| format!("已新增责任单位 {name}，请为其添加责任人。"))
    };
    render(&s, &session, &town, None, notice).await
}

pub async fn add_unit(State(s): State<AppState>, session: Session, body: Bytes) -> Response {
    if let Some(refused) = managers_only(&session, "责任单位与责任人") {
        return refused;
    }
    let Some(f) = signed_form(&session, &body) else { return forbidden_form() };
    let town = posted_town(&session, &f);
    let field = |k: &str| f.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let Ok(unit_type) = parse::<UnitType>("unit_type", &field("unit_type")) else {
        return render(&s, &session, &town, Some("请选择单位类型。".to_owned()), None).await;
    };
    let req = rpb::CreateUnitRequest {
        town: town.clone(),
        unit_type: i32::from(unit_type),
        name: field("name"),
        idempotency_key: form_key(&body),
    };
    match s.upstreams.registry().create_unit(s.upstreams.request(&bearer(&session), req)).await {
        Ok(u) => done(&town, "unit", &u.into_inner().name),
        Err(e) => {
            let e = ApiError::from(e);
            let message = match (e.0.code, e.0.field.as_deref()) {
                (wuguan_platform::ErrorCode::AlreadyExists, _) => "本镇已有同名单位。".to_owned(),
                (_, Some("name")) => "请填写单位名称（不超过 100 字）。".to_owned(),
                _ => say(&e),
            };
            render(&s, &session, &town, Some(message), None).await
        }
    }
}

pub async fn add_person(State(s): State<AppState>, session: Session, body: Bytes) -> Response {
    if let Some(refused) = managers_only(&session, "责任单位与责任人") {
        return refused;
    }
    let Some(f) = signed_form(&session, &body) else { return forbidden_form() };
    let town = posted_town(&session, &f);
    let field = |k: &str| f.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let req = rpb::CreatePersonRequest {
        town: town.clone(),
        unit_id: field("unit_id"),
        name: field("name"),
        title: field("title"),
        phone: field("phone"),
        designated: field("designated") == "true",
        idempotency_key: form_key(&body),
    };
    match s.upstreams.registry().create_person(s.upstreams.request(&bearer(&session), req)).await {
        Ok(p) => done(&town, "added", &p.into_inner().name),
        Err(e) => render(&s, &session, &town, Some(person_refusal(&ApiError::from(e))), None).await,
    }
}

pub async fn designate(State(s): State<AppState>, session: Session, body: Bytes) -> Response {
    if let Some(refused) = managers_only(&session, "责任单位与责任人") {
        return refused;
    }
    let Some(f) = signed_form(&session, &body) else { return forbidden_form() };
    let town = posted_town(&session, &f);
    let id = f.get("person_id").cloned().unwrap_or_default();
    let req = s.upstreams.request(&bearer(&session), rpb::DesignatePersonRequest { id });
    match s.upstreams.registry().designate_person(req).await {
        Ok(p) => done(&town, "designated", &p.into_inner().name),
        Err(e) => render(&s, &session, &town, Some(say(&ApiError::from(e))), None).await,
    }
}

/// Corrects a person's name, title or phone.
pub async fn update_person(State(s): State<AppState>, session: Session, body: Bytes) -> Response {
    if let Some(refused) = managers_only(&session, "责任单位与责任人") {
        return refused;
    }
    let Some(f) = signed_form(&session, &body) else { return forbidden_form() };
    let town = posted_town(&session, &f);
    let field = |k: &str| f.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let req = rpb::UpdatePersonRequest {
        id: field("person_id"),
        name: field("name"),
        title: field("title"),
        phone: field("phone"),
    };
    match s.upstreams.registry().update_person(s.upstreams.request(&bearer(&session), req)).await {
        Ok(p) => done(&town, "updated", &p.into_inner().name),
        Err(e) => render(&s, &session, &town, Some(person_refusal(&ApiError::from(e))), None).await,
    }
}

/// Removes someone who left (never the designated person: designate another first).
pub async fn remove_person(State(s): State<AppState>, session: Session, body: Bytes) -> Response {
    if let Some(refused) = managers_only(&session, "责任单位与责任人") {
        return refused;
    }
    let Some(f) = signed_form(&session, &body) else { return forbidden_form() };
    let town = posted_town(&session, &f);
    let id = f.get("person_id").cloned().unwrap_or_default();
    let name = f.get("name").cloned().unwrap_or_default();
    let req = s.upstreams.request(&bearer(&session), rpb::RemovePersonRequest { id });
    match s.upstreams.registry().remove_person(req).await {
        Ok(_) => done(&town, "removed", &name),
        Err(e) if e.code() == tonic::Code::FailedPrecondition => {
            render(&s, &session, &town, Some("责任人不能直接移除，请先将其他人设为责任人。".to_owned()), None).await
        }
        Err(e) => render(&s, &session, &town, Some(say(&ApiError::from(e))), None).await,
    }
}
