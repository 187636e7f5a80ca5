//! The ticket board (a unit's queue sorted by deadline) and the ticket page with the four fixes,
//! the timeline and the actions the role may take, each form checked against the session's CSRF
//! token and sent as the API's own call.

use super::common::*;
use super::session::Session;
use crate::AppState;
use crate::error::ApiError;
use crate::ticket_action::TicketAction;
use crate::vocab::{event_text_zh, label, wire};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use wuguan_platform::{Principal, Role};
use wuguan_proto::dispatch::v1 as dpb;
use wuguan_proto::registry::v1 as rpb;
use wuguan_proto::vocab::dispatch::{Category, Status};

// --- the board -------------------------------------------------------------------------

pub(super) struct Row {
    pub(super) id: String,
    pub(super) code: String,
    pub(super) estate: String,
    pub(super) category: &'static str,
    pub(super) description: String,
    pub(super) unit: String,
    pub(super) status: &'static str,
    pub(super) level: u32,
    pub(super) level_label: &'static str,
    pub(super) overdue: bool,
    pub(super) time_left: String,
}

pub(super) fn row(t: &dpb::Ticket, now: i64) -> Row {
    let a = t.assignment.as_ref();
    let state = deadline_state(t, now);
    Row {
        id: t.id.clone(),
        code: t.tracking_code.clone(),
        estate: t.estate_name.clone(),
        category: label::<Category>(t.category),
        description: excerpt(&t.description, 40),
        unit: a.map(|a| a.unit_name.clone()).unwrap_or_else(|| "待分派".to_owned()),
        status: label::<Status>(t.status),
        level: t.level,
        level_label: level_label(t.level),
        overdue: state.late,
        time_left: state.text,
    }
}

#[derive(Template)]
#[template(path = "console/tickets.html")]
struct BoardPage {
    nav: Option<Nav>,
    towns: Vec<(String, String, bool)>,
    heading: String,
    statuses: Vec<(&'static str, &'static str)>,
    filter_status: String,
    filter_overdue: bool,
    filter_open: bool,
    filter_level: String,
    rows: Vec<Row>,
    next_page: Option<String>,
}

#[derive(serde::Deserialize, Default)]
pub struct BoardQuery {
    town: Option<String>,
    status: Option<String>,
    overdue: Option<bool>,
    open_only: Option<bool>,
    /// 1: supervised by the town office and above; 2: the county's.
    level: Option<String>,
    page_token: Option<String>,
}

/// The board's status filter: open statuses first, in the contract's order.
fn statuses() -> Vec<Status> {
    let mut all = Status::ALL.to_vec();
    all.sort_by_key(|s| !s.is_open());
    all
}

pub async fn tickets(State(s): State<AppState>, session: Session, Query(q): Query<BoardQuery>) -> Response {
    let p = &session.principal;
    let town = match town_of_page(&s, &session, q.town.as_deref()).await {
        Ok(town) => town,
        Err(refused) => return refused,
    };
    let status = q.status.clone().filter(|s| Status::ALL.iter().any(|v| v.as_str() == s));
    let level = q.level.as_deref().filter(|l| matches!(*l, "1" | "2"));
    let req = dpb::ListTicketsRequest {
        town: town.clone(),
        status: status.as_deref().map(|v| wire::<Status>("status", v).unwrap_or(0)).unwrap_or(0),
        overdue: q.overdue.filter(|o| *o),
        open_only: q.open_only.unwrap_or(false),
        level: level.and_then(|l| l.parse().ok()),
        page: Some(wuguan_proto::common::v1::PageRequest {
            page_size: 100,
            page_token: q.page_token.clone().unwrap_or_default(),
        }),
        ..Default::default()
    };
    let resp = match s.upstreams.dispatch().list_tickets(s.upstreams.request(&bearer(&session), req)).await {
        Ok(r) => r.into_inner(),
        Err(e) => return refused(&ApiError::from(e), "/console"),
    };
    let now = now_ms();
    let unit_queue = matches!(p.role, Role::Community | Role::PropertyCompany | Role::Police | Role::UrbanManagement);
    let mut tickets = resp.tickets;
    if unit_queue {
        // A unit works by deadline: the most urgent first, done ones last.
        tickets
            .sort_by_key(|t| (!is_open(t.status), t.assignment.as_ref().map(|a| a.resolve_by_ms).unwrap_or(i64::MAX)));
    }
    let next = resp.page.unwrap_or_default().next_page_token;
    let next_page = (!next.is_empty()).then(|| {
        let mut url = form_urlencoded::Serializer::new(String::from("/console/tickets?"));
        url.append_pair("town", &town).append_pair("page_token", &next);
        if let Some(st) = &status {
            url.append_pair("status", st);
        }
        if let Some(l) = level {
            url.append_pair("level", l);
        }
        if q.overdue == Some(true) {
            url.append_pair("overdue", "true");
        }
        if q.open_only == Some(true) {
            url.append_pair("open_only", "true");
        }
        url.finish()
    });
    page(BoardPage {
        nav: nav(&session),
        towns: town_choices(&s, &session, &town).await,
        heading: if unit_queue { "我的待办".to_owned() } else { "诉求台账".to_owned() },
        statuses: statuses().into_iter().map(|s| (s.as_str(), s.label_zh())).collect(),
        filter_status: status.unwrap_or_default(),
        filter_overdue: q.overdue.unwrap_or(false),
        filter_open: q.open_only.unwrap_or(false),
        filter_level: level.unwrap_or_default().to_owned(),
        rows: tickets.iter().map(|t| row(t, now)).collect(),
        next_page,
    })
}

pub struct Detail {
    id: String,
    code: String,
    estate: String,
    category: &'static str,
    description: String,
    status: &'static str,
    level: u32,
    level_label: &'static str,
    overdue: bool,
    overdue_tag: &'static str,
    unit: String,
    person: String,
    deadline: String,
    time_left: String,
    /// The unit's pending extension request, as the page says it (empty for none).
    extension: String,
    /// 签收: signed when, or by when it must be, or that it is late.
    sign: String,
    sign_late: bool,
    measures: String,
    reporter: String,
    /// The open ticket this one seems to repeat (merge target), if flagged and not merged.
    repeat_of: String,
    /// The unit's reply to the reporter (答复), once resolved.
    reply: String,
    /// 回访: by when, or that it is late (empty until resolved).
    callback: String,
    callback_late: bool,
    redo_count: u32,
    /// When the unit was warned its time was running out (empty: not warned).
    warned: String,
}

pub struct Action {
    action: &'static str,
    label: &'static str,
    /// (field name, label, input kind: textarea | satisfaction | an `<input type>`).
    fields: Vec<(&'static str, &'static str, &'static str)>,
}

#[derive(Template)]
#[template(path = "console/ticket.html")]
struct TicketPage {
    nav: Option<Nav>,
    t: Detail,
    actions: Vec<Action>,
    csrf: String,
    timeline: Vec<(String, String, &'static str, String)>,
    /// The town's units (id, name) to reassign to; empty unless the role may reassign.
    units: Vec<(String, String)>,
    /// The reasons the town offers for returning a ticket (code, label), the switched-on ones.
    return_reasons: Vec<(String, String)>,
    /// The resolve form's reply, pre-filled with the category's template headings, and what the
    /// office asks of it (答复规范); empty unless the unit may resolve.
    reply_skeleton: String,
    reply_guidance: String,
    error: Option<String>,
    notice: Option<String>,
}

/// Not signed for past its sign-for limit while the unit still has it.
fn sign_late(a: &dpb::Assignment, status: i32, now_ms: i64) -> bool {
    let waiting = matches!(dpb::Status::try_from(status), Ok(dpb::Status::Assigned | dpb::Status::Reopened));
    waiting && a.signed_at_ms == 0 && a.sign_by_ms != 0 && a.sign_by_ms < now_ms
}

/// 签收 as the ticket page says it.
fn sign_text(a: &dpb::Assignment, now_ms: i64) -> String {
    match (a.signed_at_ms, a.sign_by_ms) {
        (0, 0) => "—".to_owned(),
        (0, by) if by < now_ms => format!("未签收，已超过签收时限 {}", local_time(by)),
        (0, by) => format!("待签收，时限 {}", local_time(by)),
        (at, by) if by != 0 && at > by => format!("{} 签收（超过时限 {}）", local_time(at), local_time(by)),
        (at, _) => format!("{} 已签收", local_time(at)),
    }
}

/// What the signed-in role may do with the ticket now (the services decide again on submit).
fn actions_for(p: &Principal, t: &dpb::Ticket) -> Vec<Action> {
    let status = dpb::Status::try_from(t.status).unwrap_or(dpb::Status::Unspecified);
    let own = t.assignment.as_ref().is_some_and(|a| p.unit.as_deref() == Some(a.unit_id.as_str()));
    let a = |action, label, fields| Action { action, label, fields };
    let mut out = Vec::new();
    let unit = matches!(p.role, Role::Community | Role::PropertyCompany | Role::Police | Role::UrbanManagement);
    if unit && own {
        if matches!(status, dpb::Status::Assigned | dpb::Status::Reopened) {
            if t.assignment.as_ref().is_some_and(|a| a.signed_at_ms == 0) {
                out.push(a("sign", "签收", vec![]));
            }
            out.push(a("accept", "接单（定措施）", vec![("measures", "整改措施", "textarea")]));
            out.push(a(
                "reject",
                "退单",
                vec![("reason_code", "退单原因", "return_reason"), ("reason", "说明", "textarea")],
            ));
        }
        if matches!(status, dpb::Status::Assigned | dpb::Status::Accepted | dpb::Status::Reopened)
            && t.pending_extension.is_none()
        {
            out.push(a(
                "request_extension",
                "申请延期",
                vec![("deadline", "申请延至", "datetime-local"), ("reason", "延期理由", "textarea")],
            ));
        }
        if status == dpb::Status::Accepted {
            out.push(a("progress", "进展", vec![("note", "办理进展", "textarea")]));
            out.push(a(
                "resolve",
                "办结",
                vec![("measures_taken", "已采取的措施", "textarea"), ("reply", "答复反映人", "reply")],
            ));
        }
    }
    // A co-handler (owner representatives on owners'-committee matters) reports what it did.
    let co_handler =
        t.assignment.as_ref().is_some_and(|a| p.unit.as_ref().is_some_and(|u| a.co_handler_unit_ids.contains(u)));
    if co_handler && !own && is_open(t.status) {
        out.push(a("progress", "协办进展", vec![("note", "协办情况", "textarea")]));
    }
    if matches!(p.role, Role::TownOffice | Role::County) {
        if status == dpb::Status::Rejected && t.assignment.is_some() {
            out.push(a("overrule_return", "退单不予认可（退回原单位）", vec![("note", "审定意见", "textarea")]));
        }
        if t.pending_extension.is_some() {
            out.push(a("approve_extension", "批准延期", vec![("note", "审批意见", "note")]));
            out.push(a("refuse_extension", "不予延期", vec![("note", "不予延期的理由", "textarea")]));
        }
        if status == dpb::Status::Resolved {
            out.push(a(
                "verify",
                "核实",
                vec![("satisfaction", "群众评价", "satisfaction"), ("note", "核实情况", "textarea")],
            ));
        }
        if is_open(t.status) {
            out.push(a(
                "extend",
                "延期",
                vec![("deadline", "新的办结时限", "datetime-local"), ("note", "延期原因", "textarea")],
            ));
            out.push(a("escalate", "升级督办", vec![("note", "升级原因", "textarea")]));
            if t.assignment.is_none() {
                out.push(a("reassign", "派单", vec![("unit_id", "派给", "unit"), ("note", "派单说明", "textarea")]));
            } else {
                out.push(a("reassign", "改派", vec![("unit_id", "改派给", "unit"), ("note", "改派原因", "textarea")]));
            }
            if p.role == Role::TownOffice && !t.possible_repeat_of.is_empty() && t.merged_into.is_empty() {
                out.push(a("merge", "合并重复（并入原诉求）", vec![("into", "", "repeat"), ("note", "说明", "note")]));
            }
        }
        if matches!(status, dpb::Status::Resolved | dpb::Status::Verified) {
            out.push(a("reopen", "重新办理", vec![("reason", "原因", "textarea")]));
        }
    }
    // The reporter asked for their name and number to be deleted (PIPL).
    let holds_personal_data = t.reporter.as_ref().is_some_and(|r| !r.name.is_empty() || !r.phone.is_empty());
    if p.role == Role::TownOffice && holds_personal_data {
        out.push(a(
            "erase_personal_data",
            "删除反映人个人信息（应本人要求）",
            vec![("reason", "本人要求的方式和时间", "textarea")],
        ));
    }
    out
}

async fn render_ticket(
    s: &AppState,
    session: &Session,
    id: &str,
    error: Option<String>,
    notice: Option<String>,
) -> Response {
    let req = s.upstreams.request(&bearer(session), dpb::GetTicketRequest { id: id.to_owned() });
    let t = match s.upstreams.dispatch().get_ticket(req).await {
        Ok(t) => t.into_inner(),
        Err(e) => return refused(&ApiError::from(e), "/console/tickets"),
    };
    let now = now_ms();
    let a = t.assignment.as_ref();
    let state = deadline_state(&t, now);
    let reporter = t
        .reporter
        .as_ref()
        .map(|r| if r.anonymous { "匿名".to_owned() } else { format!("{} {}", r.name, r.phone).trim().to_owned() });
    let detail = Detail {
        id: t.id.clone(),
        code: t.tracking_code.clone(),
        estate: t.estate_name.clone(),
        category: label::<Category>(t.category),
        description: t.description.clone(),
        status: label::<Status>(t.status),
        level: t.level,
        level_label: level_label(t.level),
        overdue: state.late,
        overdue_tag: state.tag,
        unit: a.map(|a| a.unit_name.clone()).unwrap_or_else(|| "待分派".to_owned()),
        person: a.map(|a| a.person_name.clone()).filter(|n| !n.is_empty()).unwrap_or_else(|| "—".to_owned()),
        deadline: a.map(|a| local_time(a.resolve_by_ms)).unwrap_or_else(|| "—".to_owned()),
        time_left: state.text,
        sign: a.map(|a| sign_text(a, now)).unwrap_or_else(|| "—".to_owned()),
        extension: t
            .pending_extension
            .as_ref()
            .map(|r| {
                format!("申请延至 {}（{}）：{}", local_time(r.resolve_by_ms), local_time(r.requested_at_ms), r.reason)
            })
            .unwrap_or_default(),
        sign_late: a.is_some_and(|a| sign_late(a, t.status, now)),
        measures: a
            .map(|a| a.measures.clone())
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| "（接单时制定）".to_owned()),
        reporter: reporter.unwrap_or_default(),
        repeat_of: if t.merged_into.is_empty() { t.possible_repeat_of.clone() } else { String::new() },
        reply: t.reply.clone(),
        callback: match t.callback_by_ms {
            0 => String::new(),
            by if t.callback_overdue => format!("回访超时（时限 {}），请镇物管办尽快回访", local_time(by)),
            by if t.status == i32::from(dpb::Status::Resolved) => format!("待回访，时限 {}", local_time(by)),
            _ => "已回访".to_owned(),
        },
        callback_late: t.callback_overdue,
        redo_count: t.redo_count,
        warned: if t.warned_at_ms == 0 {
            String::new()
        } else {
            format!("{} 已临期预警", local_time(t.warned_at_ms))
        },
    };
    let timeline = t
        .timeline
        .iter()
        .map(|e| (local_time(e.at_ms), action_zh(&e.action).to_owned(), label::<Status>(e.to_status), event_text_zh(e)))
        .collect();
    let actions = actions_for(&session.principal, &t);
    let mut units = Vec::new();
    if actions.iter().any(|a| a.action == "reassign") {
        let req = rpb::ListUnitsRequest {
            town: t.town.clone(),
            page: Some(wuguan_proto::common::v1::PageRequest { page_size: 200, page_token: String::new() }),
            ..Default::default()
        };
        if let Ok(r) = s.upstreams.registry().list_units(s.upstreams.request(&bearer(session), req)).await {
            units = r.into_inner().units.into_iter().map(|u| (u.id, u.name)).collect();
        }
    }
    let mut return_reasons = Vec::new();
    if actions.iter().any(|a| a.action == "reject") {
        let req = s.upstreams.request(&bearer(session), dpb::ListReturnReasonsRequest { town: t.town.clone() });
        if let Ok(r) = s.upstreams.dispatch().list_return_reasons(req).await {
            return_reasons =
                r.into_inner().reasons.into_iter().filter(|r| r.active).map(|r| (r.code, r.label)).collect();
        }
    }
    let (mut reply_skeleton, mut reply_guidance) = (String::new(), String::new());
    if actions.iter().any(|a| a.action == "resolve") {
        let req = s.upstreams.request(&bearer(session), dpb::ListReplyTemplatesRequest { town: t.town.clone() });
        if let Ok(r) = s.upstreams.dispatch().list_reply_templates(req).await
            && let Some(template) = r.into_inner().templates.into_iter().find(|r| r.category == t.category)
        {
            // One line per heading for the unit to write after.
            reply_skeleton = template.headings.iter().map(|h| format!("{h}：")).collect::<Vec<_>>().join("\n");
            reply_guidance = template.guidance;
        }
    }
    page(TicketPage {
        nav: nav(session),
        actions,
        units,
        reply_skeleton,
        reply_guidance,
        return_reasons,
        t: detail,
        csrf: session.csrf.clone(),
        timeline,
        error,
        notice,
    })
}

#[derive(serde::Deserialize, Default)]
pub struct DoneQuery {
    done: Option<String>,
}

pub async fn ticket(
    State(s): State<AppState>,
    session: Session,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Response {
    let notice = q.done.map(|_| "已提交。".to_owned());
    render_ticket(&s, &session, &id, None, notice).await
}

/// A form's action on a ticket: checked against the session's CSRF token, read into the same
/// typed action the API's `POST /complaints/{id}/{action}` reads, and sent the same way.
pub async fn act(
    State(s): State<AppState>,
    session: Session,
    Path((id, action)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let Some(mut f) = signed_form(&session, &body) else { return forbidden_form() };
    // Forms outside the ticket page (the supervision view's merge) say where to go back to.
    let back = match f.remove("return").as_deref() {
        Some("supervision") => format!("/console/supervision?done={action}#repeats"),
        _ => format!("/console/tickets/{id}?done={action}"),
    };
    if matches!(action.as_str(), "extend" | "request_extension")
        && let Some(d) = f.get_mut("deadline")
    {
        // <input type="datetime-local"> gives local time without a zone: the town's is UTC+8.
        *d = format!("{}:00+08:00", d.trim());
    }
    let result = match TicketAction::from_form(&action, &f) {
        Ok(action) => action.send(&s, &bearer(&session), id.clone()).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Redirect::to(&back).into_response(),
        Err(e) => refused_form(render_ticket(&s, &session, &id, Some(say(&e)), None).await, &e),
    }
}
