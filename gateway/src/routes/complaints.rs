//! Complaints over HTTP: submit (signed in, or anonymously), read, act on, track by code,
//! routing rules, statistics, the supervision view and the written report to the county.

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Bearer, IdempotencyKey, JsonBody, QueryParams, parse_json};
use crate::ticket_action::{self, TicketAction};
use crate::views::Page;
use crate::views::complaints::*;
use crate::vocab::{name, wire};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use std::time::Duration;
use wuguan_platform::{ErrorCode, Principal, Role};
use wuguan_proto::dispatch::v1 as pb;
use wuguan_proto::vocab::dispatch::{Category, LimitUnit, RouteTarget, Satisfaction, Source, Status, SupervisionCheck};

const DAY_MS: i64 = 24 * 3600 * 1000;

/// Local midnight (Asia/Shanghai) of a YYYY-MM-DD date, in epoch ms.
fn local_day_start(field: &str, s: &str) -> Result<i64, ApiError> {
    let d = wuguan_platform::fields::date(field, s).map_err(ApiError)?;
    Ok(wuguan_platform::local_time::day_start_ms(d))
}

/// The caller's town: from the token unless the caller is county-wide.
fn caller_town(state: &AppState, bearer: &Bearer, town: Option<String>) -> ApiResult<String> {
    if let Some(t) = town.filter(|t| !t.trim().is_empty()) {
        return Ok(t);
    }
    let token = bearer.0.as_deref().ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated, "missing bearer token"))?;
    let p = state.verifier.verify(token)?;
    p.town.ok_or_else(|| ApiError::invalid("town", "town is required for county accounts"))
}

#[utoipa::path(
    post,
    path = "/api/v1/complaints",
    operation_id = "submit_complaint",
    tag = "complaints",
    summary = "Submit a complaint (no sign-in needed; Idempotency-Key honoured)",
    request_body = SubmitInput,
    responses((status = 201, description = "success", body = ComplaintView)),
    security((), ("bearer" = [])),
)]
pub async fn submit(
    State(s): State<AppState>,
    bearer: Bearer,
    IdempotencyKey(key): IdempotencyKey,
    caller: crate::public_limit::AnonymousCaller,
    JsonBody(input): JsonBody<SubmitInput>,
) -> ApiResult<(StatusCode, Json<ComplaintView>)> {
    let category = wire::<Category>("category", &input.category)?;
    let source = input.source.as_deref().map(|v| wire::<Source>("source", v)).transpose()?.unwrap_or(0);
    // On the wire 0 means "not given": an instant at or before 1970 is refused, not taken as now.
    let reported_at_ms = match input.reported_at.as_deref().map(|v| parse_instant("reported_at", v)).transpose()? {
        Some(ms) if ms <= 0 => {
            return Err(ApiError::invalid(
                "reported_at",
                "reported_at must be within the last year and not in the future",
            ));
        }
        given => given.unwrap_or(0),
    };
    // A resident may submit without signing in: the gateway vouches for a one-off anonymous
    // principal of that town, who can follow the complaint only by its tracking code.
    let bearer = match bearer.0 {
        Some(_) => bearer,
        None => {
            let town = input.town.trim().to_owned();
            if town.is_empty() {
                return Err(ApiError::invalid("town", "town is required"));
            }
            let principal = Principal {
                subject: caller.0,
                role: Role::Resident,
                town: Some(town),
                county: String::new(),
                unit: None,
                estate: None,
            };
            let token = s
                .signer
                .sign(&principal, Duration::from_secs(60))
                .map_err(|e| ApiError(wuguan_platform::ServiceError::internal(e)))?;
            Bearer(Some(token))
        }
    };
    let req = pb::SubmitComplaintRequest {
        town: input.town,
        estate_id: input.estate_id,
        category,
        source,
        description: input.description,
        reporter_name: input.reporter_name,
        reporter_phone: input.reporter_phone,
        anonymous: input.anonymous,
        idempotency_key: key,
        reported_at_ms,
    };
    let ticket = s.upstreams.dispatch().submit_complaint(s.upstreams.request(&bearer, req)).await?.into_inner();
    Ok((StatusCode::CREATED, Json(ticket.into())))
}

#[utoipa::path(
    get,
    path = "/api/v1/complaints/{id}",
    operation_id = "get_complaint",
    tag = "complaints",
    summary = "One complaint with its timeline",
    params(("id" = String, Path, description = "the record's id")),
    responses((status = 200, description = "success", body = ComplaintView)),
)]
pub async fn get(State(s): State<AppState>, bearer: Bearer, Path(id): Path<String>) -> ApiResult<Json<ComplaintView>> {
    let t = s.upstreams.dispatch().get_ticket(s.upstreams.request(&bearer, pb::GetTicketRequest { id })).await?;
    Ok(Json(t.into_inner().into()))
}

fn list_request(town: String, q: ListQuery) -> ApiResult<pb::ListTicketsRequest> {
    Ok(pb::ListTicketsRequest {
        town,
        status: q.status.as_deref().map(|v| wire::<Status>("status", v)).transpose()?.unwrap_or(0),
        category: q.category.as_deref().map(|v| wire::<Category>("category", v)).transpose()?.unwrap_or(0),
        estate_id: q.estate_id.unwrap_or_default(),
        unit_id: q.unit_id.unwrap_or_default(),
        level: q.level,
        overdue: q.overdue,
        source: q.source.as_deref().map(|v| wire::<Source>("source", v)).transpose()?.unwrap_or(0),
        from_ms: q.from.as_deref().map(|v| local_day_start("from", v)).transpose()?.unwrap_or(0),
        to_ms: q.to.as_deref().map(|v| local_day_start("to", v).map(|d| d + DAY_MS)).transpose()?.unwrap_or(0),
        open_only: q.open_only,
        possible_repeats: q.possible_repeats,
        page: Some(wuguan_proto::common::v1::PageRequest {
            page_size: q.page_size.unwrap_or(0),
            page_token: q.page_token.unwrap_or_default(),
        }),
        ..Default::default()
    })
}

#[utoipa::path(
    get,
    path = "/api/v1/complaints",
    operation_id = "list_complaints",
    tag = "complaints",
    summary = "List complaints the caller may see (filters, paginated)",
    params(ListQuery),
    responses((status = 200, description = "success", body = Page<ComplaintView>)),
)]
pub async fn list(
    State(s): State<AppState>,
    bearer: Bearer,
    QueryParams(mut q): QueryParams<ListQuery>,
) -> ApiResult<Json<Page<ComplaintView>>> {
    let town = caller_town(&s, &bearer, q.town.take())?;
    let req = list_request(town, q)?;
    let resp = s.upstreams.dispatch().list_tickets(s.upstreams.request(&bearer, req)).await?.into_inner();
    Ok(Json(Page::new(resp.tickets.into_iter().map(ComplaintView::from).collect(), resp.page)))
}

/// Reads an action's JSON body as [`TicketAction`] (the console's forms read the same type)
/// and sends it to dispatch.
async fn act(s: &AppState, bearer: &Bearer, id: String, action: &str, body: &[u8]) -> ApiResult<Json<ComplaintView>> {
    let action = TicketAction::from_json(action, body)?;
    Ok(Json(action.send(s, bearer, id).await?.into()))
}

/// One operation per ticket action, so each documents its own body: handler, path,
/// operationId, summary, body type (in `ticket_action`).
macro_rules! ticket_actions {
    ($($name:ident $path:tt $operation:tt $summary:tt $body:ident;)*) => {$(
        #[utoipa::path(
            post,
            path = $path,
            operation_id = $operation,
            tag = "complaints",
            summary = $summary,
            params(("id" = String, Path, description = "the record's id")),
            request_body = ticket_action::$body,
            responses((status = 200, description = "the complaint after the action", body = ComplaintView)),
        )]
        pub async fn $name(
            State(s): State<AppState>,
            bearer: Bearer,
            Path(id): Path<String>,
            body: Bytes,
        ) -> ApiResult<Json<ComplaintView>> {
            act(&s, &bearer, id, stringify!($name), &body).await
        }
    )*};
}

ticket_actions! {
    sign "/api/v1/complaints/{id}/sign" "sign_complaint" "Sign for an assigned complaint (签收; the assigned unit)" Nothing;
    accept "/api/v1/complaints/{id}/accept" "accept_complaint" "Accept with planned measures" Measures;
    reject "/api/v1/complaints/{id}/reject" "reject_complaint" "Return it (退单) with a reason code and a note, within 2 working days of dispatch (back to the town office)" Return;
    overrule_return "/api/v1/complaints/{id}/overrule-return" "overrule_complaint_return" "Do not accept a return (审定): back to the same unit, deadlines kept (town office, county)" Note;
    reassign "/api/v1/complaints/{id}/reassign" "reassign_complaint" "Reassign to another unit (town office)" Reassign;
    erase_personal_data "/api/v1/complaints/{id}/erase-personal-data" "erase_complaint_personal_data" "Delete the reporter's name and phone number at their request (town office); the timeline records who and why" Reason;
    extend "/api/v1/complaints/{id}/extend" "extend_complaint" "Extend the deadline (town office)" Extend;
    request_extension "/api/v1/complaints/{id}/extension-requests" "request_complaint_extension" "Ask for a later deadline, before the current one (the assigned unit)" ExtensionAsk;
    decide_extension "/api/v1/complaints/{id}/extension-requests/decision" "decide_complaint_extension" "Approve or refuse the pending extension request (town office, county)" ExtensionDecision;
    progress "/api/v1/complaints/{id}/progress" "add_complaint_progress" "Add a progress note" Note;
    resolve "/api/v1/complaints/{id}/resolve" "resolve_complaint" "Resolve with the measures taken" Resolve;
    verify "/api/v1/complaints/{id}/verify" "verify_complaint" "Rate the fix; not satisfied reopens" Verify;
    reopen "/api/v1/complaints/{id}/reopen" "reopen_complaint" "Reopen with a reason" Reason;
    escalate "/api/v1/complaints/{id}/escalate" "escalate_complaint" "Escalate one level (town office, county)" Note;
    merge "/api/v1/complaints/{id}/merge" "merge_complaint" "Merge a repeat into the complaint it repeats (town office)" Merge;
}

/// Public: no sign-in, no personal data.
#[utoipa::path(
    get,
    path = "/api/v1/track/{code}",
    operation_id = "track_complaint",
    tag = "complaints",
    summary = "Follow a complaint by tracking code (public, no personal data)",
    params(("code" = String, Path, description = "tracking code the resident was given")),
    responses((status = 200, description = "success", body = TrackedView)),
    security(),
)]
pub async fn track(State(s): State<AppState>, Path(code): Path<String>) -> ApiResult<Json<TrackedView>> {
    let t = s
        .upstreams
        .dispatch()
        .track_ticket(s.upstreams.request(&Bearer(None), pb::TrackTicketRequest { tracking_code: code }))
        .await?;
    Ok(Json(t.into_inner().into()))
}

/// Public: the reporter confirms or disputes the fix by tracking code, as `verify` does for the
/// signed-in reporter. Not satisfied needs a note and reopens the ticket.
#[utoipa::path(
    post,
    path = "/api/v1/track/{code}/rate",
    operation_id = "rate_complaint",
    tag = "complaints",
    summary = "The reporter confirms or disputes the fix by tracking code (public); not satisfied reopens",
    params(("code" = String, Path, description = "tracking code the resident was given")),
    request_body = ticket_action::Verify,
    responses((status = 200, description = "success", body = TrackedView)),
    security(),
)]
pub async fn rate(State(s): State<AppState>, Path(code): Path<String>, body: Bytes) -> ApiResult<Json<TrackedView>> {
    let b: ticket_action::Verify = parse_json(&body)?;
    let satisfaction = wire::<Satisfaction>("satisfaction", &b.satisfaction)?;
    let req = pb::RateTicketRequest { tracking_code: code, satisfaction, note: b.note };
    let t = s.upstreams.dispatch().rate_ticket(s.upstreams.request(&Bearer(None), req)).await?;
    Ok(Json(t.into_inner().into()))
}

#[utoipa::path(
    get,
    path = "/api/v1/towns/{town}/routing-rules",
    operation_id = "list_routing_rules",
    tag = "complaints",
    summary = "Routing rules (五方联动) in force",
    params(("town" = String, Path, description = "town code, e.g. zhongxing")),
    responses((status = 200, description = "success", body = RuleList)),
)]
pub async fn list_rules(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(town): Path<String>,
) -> ApiResult<Json<RuleList>> {
    let resp = s
        .upstreams
        .dispatch()
        .list_routing_rules(s.upstreams.request(&bearer, pb::ListRoutingRulesRequest { town }))
        .await?
        .into_inner();
    Ok(Json(RuleList { items: resp.rules.into_iter().map(RuleView::from).collect() }))
}

#[utoipa::path(
    put,
    path = "/api/v1/towns/{town}/routing-rules/{category}",
    operation_id = "set_routing_rule",
    tag = "complaints",
    summary = "Override one category's rule",
    params(("town" = String, Path, description = "town code, e.g. zhongxing"), ("category" = Category, Path, description = "complaint category")),
    request_body = RuleInput,
    responses((status = 200, description = "success", body = RuleView)),
)]
pub async fn set_rule(
    State(s): State<AppState>,
    bearer: Bearer,
    Path((town, category)): Path<(String, String)>,
    JsonBody(input): JsonBody<RuleInput>,
) -> ApiResult<Json<RuleView>> {
    let rule = pb::RoutingRule {
        town,
        category: wire::<Category>("category", &category)?,
        target: wire::<RouteTarget>("target", &input.target)?,
        response_amount: input.response_amount,
        response_unit: input
            .response_unit
            .as_deref()
            .map(|u| wire::<LimitUnit>("response_unit", u))
            .transpose()?
            .unwrap_or(0),
        resolution_amount: input.resolution_amount,
        resolution_unit: input
            .resolution_unit
            .as_deref()
            .map(|u| wire::<LimitUnit>("resolution_unit", u))
            .transpose()?
            .unwrap_or(0),
        sign_amount: input.sign_amount.unwrap_or(0),
        sign_unit: input.sign_unit.as_deref().map(|u| wire::<LimitUnit>("sign_unit", u)).transpose()?.unwrap_or(0),
        initial_level: input.initial_level,
        owner_reps_co_handle: input.owner_reps_co_handle,
        customised: true,
    };
    let resp = s
        .upstreams
        .dispatch()
        .set_routing_rule(s.upstreams.request(&bearer, pb::SetRoutingRuleRequest { rule: Some(rule) }))
        .await?;
    Ok(Json(resp.into_inner().into()))
}

#[utoipa::path(
    get,
    path = "/api/v1/towns/{town}/stats/complaints",
    operation_id = "get_complaint_stats",
    tag = "complaints",
    summary = "Counts, three rates, period-on-period and year-on-year change",
    params(("town" = String, Path, description = "town code, e.g. zhongxing"), StatsQuery),
    responses((status = 200, description = "success", body = StatsView)),
)]
pub async fn stats(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(town): Path<String>,
    QueryParams(q): QueryParams<StatsQuery>,
) -> ApiResult<Json<StatsView>> {
    let req = pb::GetComplaintStatsRequest {
        town,
        category: q.category.as_deref().map(|v| wire::<Category>("category", v)).transpose()?.unwrap_or(0),
        estate_id: q.estate_id.unwrap_or_default(),
        unit_id: q.unit_id.unwrap_or_default(),
        from_date: q.from,
        to_date: q.to,
    };
    let resp = s.upstreams.dispatch().get_complaint_stats(s.upstreams.request(&bearer, req)).await?;
    Ok(Json(resp.into_inner().into()))
}

/// At most this many tickets per group in the supervision view.
const SUPERVISION_GROUP_CAP: usize = 100;

/// One check's tickets: how many, and the first `SUPERVISION_GROUP_CAP` of them.
pub struct Supervised {
    pub key: &'static str,
    pub label: &'static str,
    pub count: usize,
    pub tickets: Vec<pb::Ticket>,
}

/// Open tickets and those done in the last 30 days, sorted the way the source supervises:
/// done → check the effect; in progress → progress; blocked → the cause; not done → accountability.
/// Also whether more open tickets exist than one view holds. The API and the console both read it.
pub async fn supervised(s: &AppState, bearer: &Bearer, town: &str) -> ApiResult<(Vec<Supervised>, bool)> {
    // The four checks are the town office's and the county's tool. Anyone else would get a
    // "supervision" of only the tickets they may see, which is not what the view claims to be.
    let token = bearer.0.as_deref().ok_or_else(|| ApiError::new(ErrorCode::Unauthenticated, "sign in first"))?;
    s.verifier.verify(token)?.require(&[Role::TownOffice, Role::County, Role::Service])?;
    let mut client = s.upstreams.dispatch();
    let page = |size| Some(wuguan_proto::common::v1::PageRequest { page_size: size, page_token: String::new() });
    let open = client
        .list_tickets(s.upstreams.request(
            bearer,
            pb::ListTicketsRequest { town: town.to_owned(), open_only: true, page: page(500), ..Default::default() },
        ))
        .await?
        .into_inner();
    let now_ms = chrono::Utc::now().timestamp_millis();
    let recent = client
        .list_tickets(s.upstreams.request(
            bearer,
            pb::ListTicketsRequest {
                town: town.to_owned(),
                from_ms: now_ms - 30 * DAY_MS,
                page: page(500),
                ..Default::default()
            },
        ))
        .await?
        .into_inner();
    let truncated = !open.page.unwrap_or_default().next_page_token.is_empty();
    // The four checks in the contract's (the source's) order.
    let mut groups: Vec<Supervised> = SupervisionCheck::ALL
        .iter()
        .map(|c| Supervised { key: c.as_str(), label: c.label_zh(), count: 0, tickets: Vec::new() })
        .collect();
    let mut seen = std::collections::HashSet::new();
    // Done in the period: what was fixed. A repeat merged into another ticket fixed nothing;
    // its original carries the check.
    let done =
        |t: &pb::Ticket| t.merged_into.is_empty() && matches!(Status::from_wire(t.status), Ok(Some(s)) if s.is_done());
    for t in open.tickets.into_iter().chain(recent.tickets.into_iter().filter(done)) {
        if !seen.insert(t.id.clone()) {
            continue;
        }
        if let Some(g) = groups.iter_mut().find(|g| g.key == name::<SupervisionCheck>(t.supervision)) {
            g.count += 1;
            if g.tickets.len() < SUPERVISION_GROUP_CAP {
                g.tickets.push(t);
            }
        }
    }
    Ok((groups, truncated))
}

#[utoipa::path(
    get,
    path = "/api/v1/towns/{town}/supervision",
    operation_id = "get_supervision",
    tag = "complaints",
    summary = "Open and recent tickets by the four checks",
    params(("town" = String, Path, description = "town code, e.g. zhongxing")),
    responses((status = 200, description = "success", body = SupervisionView)),
)]
pub async fn supervision(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(town): Path<String>,
) -> ApiResult<Json<SupervisionView>> {
    let (groups, truncated) = supervised(&s, &bearer, &town).await?;
    let groups = groups
        .into_iter()
        .map(|g| {
            let items = g.tickets.into_iter().map(ComplaintView::from).collect();
            (g.key, SupervisionGroup { label: g.label, count: g.count, items })
        })
        .collect();
    Ok(Json(SupervisionView { town, groups, truncated }))
}

/// The written report (书面报告) to county leaders: every ticket that reached the county (level 2)
/// in the period, whenever it was received, and those carried over still open, with their four
/// fixes.
#[utoipa::path(
    get,
    path = "/api/v1/towns/{town}/county-report",
    operation_id = "get_county_report",
    tag = "complaints",
    summary = "Level-2 tickets of a period with their four fixes (format=html: the written report)",
    params(("town" = String, Path, description = "town code, e.g. zhongxing"), PeriodQuery),
    responses((status = 200, description = "JSON, or with format=html a printable page", content((CountyReport = "application/json"), (String = "text/html")))),
)]
pub async fn county_report(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(town): Path<String>,
    QueryParams(q): QueryParams<PeriodQuery>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let html = match q.format.as_deref() {
        None | Some("json") => false,
        Some("html") => true,
        Some(_) => return Err(ApiError::invalid("format", "format must be json or html")),
    };
    let from_ms = local_day_start("from", &q.from)?;
    let to_ms = local_day_start("to", &q.to)? + DAY_MS;
    if to_ms <= from_ms {
        return Err(ApiError::invalid("to", "to must not be before from"));
    }
    let loaded = crate::written_report::load(&s, &bearer, &town, from_ms, to_ms).await?;
    let day = |ms: i64| wuguan_platform::local_time::local_date(ms);
    let report = crate::written_report::WrittenReport {
        town_name: &loaded.town_name,
        from: day(from_ms),
        to: day(to_ms - DAY_MS),
        issued: wuguan_platform::local_time::today(),
        tickets: &loaded.reached,
        carried_over: &loaded.carried_over,
    };
    if html {
        let page = crate::printable::county_report(&report);
        return Ok(([(http::header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response());
    }
    let (title, number, issued) = (report.title(), report.number(), report.issued.to_string());
    Ok(Json(CountyReport {
        title,
        number,
        issued,
        count: loaded.reached.len(),
        carried_over_count: loaded.carried_over.len(),
        town,
        town_name: loaded.town_name,
        from: q.from,
        to: q.to,
        tickets: loaded.reached,
        carried_over: loaded.carried_over,
    })
    .into_response())
}
