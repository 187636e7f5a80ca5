//! The dispatch gRPC service. Handlers authenticate, scope to what the caller may see (another
//! town's or another unit's ticket is NOT_FOUND), validate, and delegate the lifecycle to
//! `lifecycle.rs` and storage to the store.

pub mod convert;
mod privacy;

use crate::access::{self, STAFF, can_see, can_see_phone};
use crate::calendar;
use crate::intake::{Dispatcher, Submission};
use crate::lifecycle::{self, Action};
use crate::model::*;
use crate::reply::ReplyTemplate;
use crate::return_reasons;
use crate::routing;
use crate::stats;
use crate::store::DispatchStore;
use std::sync::Arc;
use tonic::{Request, Response, Status as GrpcStatus};
use wuguan_platform::db::now_ms;
use wuguan_platform::error::{ServiceResult, rpc as ok};
use wuguan_platform::fields::{id as id_field, optional_enum};
use wuguan_platform::identity::TokenVerifier;
use wuguan_platform::paging::Page;
use wuguan_platform::{ErrorCode, Principal, Role, ServiceError};
use wuguan_proto::dispatch::v1 as pb;
use wuguan_proto::dispatch::v1::dispatch_service_server::{DispatchService, DispatchServiceServer};
use wuguan_proto::vocab::common::UnitType;

pub const SERVICE_NAMES: &[&str] = &["wuguan.dispatch.v1.DispatchService"];

/// The actor recorded when the reporter rates a fix by tracking code.
const REPORTER_BY_CODE: &str = "reporter (tracking code)";

/// The tonic adapter: authenticates, converts messages, and calls the application types.
pub struct DispatchGrpc<S> {
    store: Arc<S>,
    dispatcher: Dispatcher<S>,
    verifier: TokenVerifier,
    /// Turns true when the server stops; long-lived streams end on it.
    stopping: tokio::sync::watch::Receiver<bool>,
}

impl<S> Clone for DispatchGrpc<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            dispatcher: self.dispatcher.clone(),
            verifier: self.verifier.clone(),
            stopping: self.stopping.clone(),
        }
    }
}

type Rpc<T> = Result<Response<T>, GrpcStatus>;

impl<S: DispatchStore> DispatchGrpc<S> {
    pub fn new(
        dispatcher: Dispatcher<S>,
        verifier: TokenVerifier,
        stopping: tokio::sync::watch::Receiver<bool>,
    ) -> Self {
        Self { store: dispatcher.shared_store(), dispatcher, verifier, stopping }
    }

    pub fn routes(self, max_message_bytes: usize) -> tonic::service::Routes {
        tonic::service::Routes::new(DispatchServiceServer::new(self).max_decoding_message_size(max_message_bytes))
    }

    fn principal<T>(&self, req: &Request<T>) -> ServiceResult<Principal> {
        self.verifier.verify_metadata(req.metadata())
    }

    /// The town a request names, if the caller may act in it: a county principal's reach is
    /// the registry's towns of its county (`RegistryClient::town_scope`).
    async fn town_scope(&self, p: &Principal, town: &str) -> ServiceResult<String> {
        self.dispatcher.registry().town_scope(p, town).await
    }

    /// The ticket, if the principal may see it; NOT_FOUND otherwise.
    async fn visible_ticket(&self, p: &Principal, id: &str) -> ServiceResult<Ticket> {
        let id = id_field("id", id)?;
        match self.store.get_ticket(&id).await? {
            Some(t) if can_see(p, &t) => Ok(t),
            _ => Err(ServiceError::not_found("ticket")),
        }
    }

    /// A ticket in a list or in the answer to an action: the reporter's number masked except
    /// to the reporter (in full only on the ticket's own page, where reads are recorded:
    /// `view_in_full`).
    fn view(&self, p: &Principal, t: Ticket, timeline: Vec<TicketEvent>) -> pb::Ticket {
        let show = t.submitted_by == p.subject;
        convert::ticket(t, show, now_ms(), timeline)
    }

    async fn submit(&self, p: &Principal, r: pb::SubmitComplaintRequest) -> ServiceResult<pb::Ticket> {
        let submission = Submission {
            town: r.town,
            estate_id: r.estate_id,
            category: optional_enum::<Category>("category", r.category)?,
            source: optional_enum::<Source>("source", r.source)?,
            description: r.description,
            reporter_name: r.reporter_name,
            reporter_phone: r.reporter_phone,
            anonymous: r.anonymous,
            reported_at_ms: r.reported_at_ms,
            idempotency_key: r.idempotency_key,
        };
        let stored = self.dispatcher.submit(p, submission).await?;
        Ok(self.view(p, stored, Vec::new()))
    }

    async fn ticket_by_code(&self, code: &str) -> ServiceResult<Ticket> {
        let code = code.trim().to_ascii_uppercase();
        if code.len() != 10 || !code.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(ServiceError::invalid("tracking_code", "a tracking code has 10 letters and digits"));
        }
        self.store.find_by_tracking_code(&code).await?.ok_or_else(|| ServiceError::not_found("ticket"))
    }

    /// What the public sees of a ticket: status and timeline, no personal data.
    async fn tracked(&self, t: Ticket) -> ServiceResult<pb::TrackedTicket> {
        let timeline = self.store.timeline(&t.id).await?;
        Ok(pb::TrackedTicket {
            tracking_code: t.tracking_code,
            category: i32::from(t.category),
            estate_name: t.estate_name,
            status: i32::from(t.status),
            level: t.level,
            unit_name: t.assignment.as_ref().map(|a| a.unit_name.clone()).unwrap_or_default(),
            resolve_by_ms: t.assignment.as_ref().map(|a| a.resolve_by_ms).unwrap_or(0),
            satisfaction: t.satisfaction.map(i32::from).unwrap_or(0),
            created_at_ms: t.created_at_ms,
            // Written for the reporter to read.
            reply: t.reply,
            // Actions and times only: who did it and what they wrote stay inside.
            timeline: timeline
                .into_iter()
                // The unit's reminder is between it and the office.
                .filter(|e| e.action != TicketAction::Warn.as_str())
                .map(|e| pb::TicketEvent { actor: String::new(), note: String::new(), ..convert::event(e) })
                .collect(),
        })
    }

    async fn act(&self, p: &Principal, id: &str, action: Action) -> ServiceResult<pb::Ticket> {
        let t = self.visible_ticket(p, id).await?;
        self.apply_to(p, &t, action, now_ms()).await
    }

    /// Applies `action` to a ticket the principal sees (for actions that need the ticket to be
    /// built: its town's rules, a new assignment) and stores the transition.
    async fn apply_to(&self, p: &Principal, t: &Ticket, action: Action, now: i64) -> ServiceResult<pb::Ticket> {
        let (next, events) = lifecycle::apply(t, action, p, now)?;
        let saved = self.store.save_transition(t.version, &next, &events).await?;
        Ok(self.view(p, saved, Vec::new()))
    }

    async fn list(&self, p: &Principal, r: pb::ListTicketsRequest) -> ServiceResult<pb::ListTicketsResponse> {
        let town = self.town_scope(p, &r.town).await?;
        let page = Page::from_request(r.page.as_ref())?;
        let opt_id = |field: &str, v: &str| -> ServiceResult<Option<String>> {
            if v.trim().is_empty() { Ok(None) } else { id_field(field, v).map(Some) }
        };
        let mut filter = TicketFilter {
            status: optional_enum::<Status>("status", r.status)?,
            category: optional_enum::<Category>("category", r.category)?,
            estate_id: opt_id("estate_id", &r.estate_id)?,
            unit_id: opt_id("unit_id", &r.unit_id)?,
            level: r.level,
            source: optional_enum::<Source>("source", r.source)?,
            from_ms: (r.from_ms != 0).then_some(r.from_ms),
            to_ms: (r.to_ms != 0).then_some(r.to_ms),
            open_only: r.open_only,
            submitted_by: None,
            possible_repeats: r.possible_repeats,
            reached_county_from_ms: (r.reached_county_from_ms != 0).then_some(r.reached_county_from_ms),
            reached_county_to_ms: (r.reached_county_to_ms != 0).then_some(r.reached_county_to_ms),
            open_at_ms: (r.open_at_ms != 0).then_some(r.open_at_ms),
            overdue: r.overdue,
            due_before_ms: (r.due_before_ms != 0).then_some(r.due_before_ms),
            now_ms: now_ms(),
        };
        if filter.level.is_some_and(|l| l > MAX_LEVEL) {
            return Err(ServiceError::invalid("level", "level must be 0, 1 or 2"));
        }
        // Scope the list to what the caller may see, so pages hold only visible rows.
        access::scope_list(p, &mut filter)?;
        let mut rows = self.store.list_tickets(&town, &filter, &page).await?;
        let page_resp = page.finish(&mut rows, |t| t.id.clone());
        let tickets = rows.into_iter().filter(|t| can_see(p, t)).map(|t| self.view(p, t, Vec::new())).collect();
        Ok(pb::ListTicketsResponse { tickets, page: Some(page_resp) })
    }

    async fn stats(&self, p: &Principal, r: pb::GetComplaintStatsRequest) -> ServiceResult<pb::ComplaintStats> {
        p.require(STAFF)?;
        let town = self.town_scope(p, &r.town).await?;
        let period = stats::Period::parse(&r.from_date, &r.to_date)?;
        let filter = TicketFilter {
            category: optional_enum::<Category>("category", r.category)?,
            estate_id: if r.estate_id.trim().is_empty() { None } else { Some(id_field("estate_id", &r.estate_id)?) },
            unit_id: if r.unit_id.trim().is_empty() { None } else { Some(id_field("unit_id", &r.unit_id)?) },
            ..Default::default()
        };
        let load = |period: stats::Period| {
            let (from, to) = period.range_ms();
            let filter = filter.clone();
            let town = town.clone();
            async move { self.store.tickets_created_between(&town, &filter, from, to).await }
        };
        let visible = |tickets: Vec<Ticket>| -> Vec<Ticket> {
            tickets.into_iter().filter(|t| p.role != Role::County || t.county == p.county).collect()
        };
        let current = visible(load(period).await?);
        let previous = visible(load(period.previous()).await?).len() as u32;
        let previous_year = visible(load(period.previous_year()).await?).len() as u32;
        let rates = stats::rates(&current, now_ms());
        Ok(pb::ComplaintStats {
            town,
            from_date: period.from.to_string(),
            to_date: period.to.to_string(),
            count: rates.count,
            previous_period_count: previous,
            previous_year_count: previous_year,
            pop_change_pct: stats::change_pct(rates.count, previous),
            yoy_change_pct: stats::change_pct(rates.count, previous_year),
            response_rate: rates.rates.response,
            resolution_rate: rates.rates.resolution,
            satisfaction_rate: rates.rates.satisfaction,
            response_pending: rates.rates.response_pending,
            resolution_pending: rates.rates.resolution_pending,
            overdue: rates.overdue,
            escalated_level_1: rates.escalated_level_1,
            escalated_level_2: rates.escalated_level_2,
        })
    }
}

impl<S: DispatchStore> DispatchGrpc<S> {
    async fn tally(&self, p: &Principal, r: pb::TallyTicketsRequest) -> ServiceResult<pb::TallyTicketsResponse> {
        p.require(&[Role::County, Role::TownOffice, Role::Service])?;
        let town = self.town_scope(p, &r.town).await?;
        let period = stats::Period::parse(&r.from_date, &r.to_date)?;
        let county = (p.role == Role::County).then_some(p.county.as_str());
        let rows = self.store.tally(&town, county, period.range_ms(), now_ms()).await?;
        let (units, estates) = sum_tallies(rows);
        Ok(pb::TallyTicketsResponse {
            town,
            from_date: period.from.to_string(),
            to_date: period.to.to_string(),
            units: units.into_iter().map(convert::tally).collect(),
            estates: estates.into_iter().map(convert::tally).collect(),
        })
    }

    async fn unit_work(&self, p: &Principal, r: pb::TallyUnitWorkRequest) -> ServiceResult<pb::TallyUnitWorkResponse> {
        p.require(&[Role::County, Role::TownOffice, Role::Service])?;
        let town = self.town_scope(p, &r.town).await?;
        let period = stats::Period::parse(&r.from_date, &r.to_date)?;
        let county = (p.role == Role::County).then_some(p.county.as_str());
        let units = self.store.unit_work(&town, county, period.range_ms(), now_ms()).await?;
        Ok(pb::TallyUnitWorkResponse {
            town,
            from_date: period.from.to_string(),
            to_date: period.to.to_string(),
            units: units.into_iter().map(convert::unit_work).collect(),
        })
    }
}

#[tonic::async_trait]
impl<S: DispatchStore> DispatchService for DispatchGrpc<S> {
    type WatchTicketsStream = tokio_stream::wrappers::ReceiverStream<Result<pb::TicketChange, GrpcStatus>>;

    async fn watch_tickets(&self, req: Request<pb::WatchTicketsRequest>) -> Rpc<Self::WatchTicketsStream> {
        ok(async {
            let p = self.principal(&req)?;
            p.require(STAFF)?;
            let r = req.into_inner();
            let town = self.town_scope(&p, &r.town).await?;
            let unit_type = optional_enum::<UnitType>("unit_type", r.unit_type)?.map(UnitType::as_str);
            // A unit's own account follows its own unit's tickets only.
            let unit_id = access::own_unit(&p)?;
            let cursor = if r.after_event_id.trim().is_empty() {
                crate::watch::cursor_at(now_ms() as u64)
            } else {
                id_field("after_event_id", &r.after_event_id)?
            };
            let rx = crate::watch::spawn(
                self.store.clone(),
                self.stopping.clone(),
                p,
                crate::watch::WatchFilter { town, unit_type, unit_id },
                cursor,
            );
            Ok(tokio_stream::wrappers::ReceiverStream::new(rx))
        }
        .await)
    }

    async fn submit_complaint(&self, req: Request<pb::SubmitComplaintRequest>) -> Rpc<pb::Ticket> {
        ok(async {
            let p = self.principal(&req)?;
            self.submit(&p, req.into_inner()).await
        }
        .await)
    }

    async fn get_ticket(&self, req: Request<pb::GetTicketRequest>) -> Rpc<pb::Ticket> {
        ok(async {
            let p = self.principal(&req)?;
            let t = self.visible_ticket(&p, &req.get_ref().id).await?;
            let timeline = self.store.timeline(&t.id).await?;
            Ok(self.view_in_full(&p, t, timeline).await)
        }
        .await)
    }

    async fn list_personal_data_reads(
        &self,
        req: Request<pb::ListPersonalDataReadsRequest>,
    ) -> Rpc<pb::ListPersonalDataReadsResponse> {
        ok(async {
            let p = self.principal(&req)?;
            self.personal_data_reads(&p, req.get_ref()).await
        }
        .await)
    }

    async fn erase_personal_data(&self, req: Request<pb::ErasePersonalDataRequest>) -> Rpc<pb::Ticket> {
        ok(async {
            let p = self.principal(&req)?;
            self.erase_at_request(&p, req.get_ref()).await
        }
        .await)
    }

    async fn get_privacy_settings(&self, req: Request<pb::GetPrivacySettingsRequest>) -> Rpc<pb::PrivacySettings> {
        ok(async {
            let p = self.principal(&req)?;
            self.privacy_settings_of(&p, &req.get_ref().town).await
        }
        .await)
    }

    async fn set_privacy_settings(&self, req: Request<pb::PrivacySettings>) -> Rpc<pb::PrivacySettings> {
        ok(async {
            let p = self.principal(&req)?;
            self.set_privacy(&p, req.get_ref()).await
        }
        .await)
    }

    async fn list_tickets(&self, req: Request<pb::ListTicketsRequest>) -> Rpc<pb::ListTicketsResponse> {
        ok(async {
            let p = self.principal(&req)?;
            self.list(&p, req.into_inner()).await
        }
        .await)
    }

    async fn track_ticket(&self, req: Request<pb::TrackTicketRequest>) -> Rpc<pb::TrackedTicket> {
        ok(async {
            let t = self.ticket_by_code(&req.get_ref().tracking_code).await?;
            self.tracked(t).await
        }
        .await)
    }

    async fn rate_ticket(&self, req: Request<pb::RateTicketRequest>) -> Rpc<pb::TrackedTicket> {
        ok(async {
            let r = req.into_inner();
            let satisfaction = optional_enum::<Satisfaction>("satisfaction", r.satisfaction)?
                .ok_or_else(|| ServiceError::invalid("satisfaction", "satisfaction is required"))?;
            let t = self.ticket_by_code(&r.tracking_code).await?;
            // Whoever holds the code is the reporter; the timeline says so, not who they are.
            let reporter = Principal {
                subject: REPORTER_BY_CODE.to_owned(),
                role: Role::Resident,
                town: Some(t.town.clone()),
                county: t.county.clone(),
                unit: None,
                estate: None,
            };
            let (next, events) =
                lifecycle::apply(&t, Action::Rate { satisfaction, note: r.note }, &reporter, now_ms())?;
            let saved = self.store.save_transition(t.version, &next, &events).await?;
            self.tracked(saved).await
        }
        .await)
    }

    async fn sign_ticket(&self, req: Request<pb::SignTicketRequest>) -> Rpc<pb::Ticket> {
        ok(async {
            let p = self.principal(&req)?;
            self.act(&p, &req.get_ref().id, Action::Sign).await
        }
        .await)
    }

    async fn accept_ticket(&self, req: Request<pb::AcceptTicketRequest>) -> Rpc<pb::Ticket> {
        ok(async {
            let p = self.principal(&req)?;
            let r = req.into_inner();
            self.act(&p, &r.id, Action::Accept { measures: r.measures }).await
        }
        .await)
    }

    async fn reject_ticket(&self, req: Request<pb::RejectTicketRequest>) -> Rpc<pb::Ticket> {
        ok(async {
            let p = self.principal(&req)?;
            let r = req.into_inner();
            let reason_code = optional_enum::<ReturnReason>("reason_code", r.reason_code)?;
            let t = self.visible_ticket(&p, &r.id).await?;
            let offered = self.store.return_reasons(&t.town).await?;
            let reason_label = return_reasons::label_of(&offered, reason_code, &r.town_reason_code)?;
            self.apply_to(&p, &t, Action::Reject { reason_label, reason: r.reason }, now_ms()).await
        }
        .await)
    }

    async fn overrule_return(&self, req: Request<pb::OverruleReturnRequest>) -> Rpc<pb::Ticket> {
        ok(async {
            let p = self.principal(&req)?;
            let r = req.into_inner();
            self.act(&p, &r.id, Action::OverruleReturn { note: r.note }).await
        }
        .await)
    }

    async fn reassign_ticket(&self, req: Request<pb::ReassignTicketRequest>) -> Rpc<pb::Ticket> {
        ok(async {
            let p = self.principal(&req)?;
            let r = req.into_inner();
            p.require(&[Role::TownOffice, Role::County])?;
            let t = self.visible_ticket(&p, &r.id).await?;
            let unit_id = id_field("unit_id", &r.unit_id)?;
            let person_id =
                if r.person_id.trim().is_empty() { None } else { Some(id_field("person_id", &r.person_id)?) };
            let now = now_ms();
            let assignment = self.dispatcher.reassignment(&t, &unit_id, person_id, now).await?;
            self.apply_to(&p, &t, Action::Reassign { assignment: Box::new(assignment), note: r.note }, now).await
        }
        .await)
    }

    async fn extend_deadline(&self, req: Request<pb::ExtendDeadlineRequest>) -> Rpc<pb::Ticket> {
        ok(async {
            let p = self.principal(&req)?;
            let r = req.into_inner();
            self.act(&p, &r.id, Action::Extend { resolve_by_ms: r.resolve_by_ms, note: r.note }).await
        }
        .await)
    }

    async fn request_extension(&self, req: Request<pb::RequestExtensionRequest>) -> Rpc<pb::Ticket> {
        ok(async {
            let p = self.principal(&req)?;
            let r = req.into_inner();
            self.act(&p, &r.id, Action::RequestExtension { resolve_by_ms: r.resolve_by_ms, reason: r.reason }).await
        }
        .await)
    }

    async fn decide_extension(&self, req: Request<pb::DecideExtensionRequest>) -> Rpc<pb::Ticket> {
        ok(async {
            let p = self.principal(&req)?;
            let r = req.into_inner();
            self.act(&p, &r.id, Action::DecideExtension { approve: r.approve, note: r.note }).await
        }
        .await)
    }

    async fn add_progress(&self, req: Request<pb::AddProgressRequest>) -> Rpc<pb::Ticket> {
        ok(async {
            let p = self.principal(&req)?;
            let r = req.into_inner();
            self.act(&p, &r.id, Action::Progress { note: r.note }).await
        }
        .await)
    }

    async fn resolve_ticket(&self, req: Request<pb::ResolveTicketRequest>) -> Rpc<pb::Ticket> {
        ok(async {
            let p = self.principal(&req)?;
            let r = req.into_inner();
            let t = self.visible_ticket(&p, &r.id).await?;
            let now = now_ms();
            let (template, callback_by_ms) = self.dispatcher.resolution_terms(&t, now).await?;
            let action = Action::Resolve {
                measures_taken: r.measures_taken,
                reply: r.reply,
                template: Box::new(template),
                callback_by_ms,
            };
            self.apply_to(&p, &t, action, now).await
        }
        .await)
    }

    async fn verify_ticket(&self, req: Request<pb::VerifyTicketRequest>) -> Rpc<pb::Ticket> {
        ok(async {
            let p = self.principal(&req)?;
            let r = req.into_inner();
            let satisfaction = optional_enum::<Satisfaction>("satisfaction", r.satisfaction)?
                .ok_or_else(|| ServiceError::invalid("satisfaction", "satisfaction is required"))?;
            self.act(&p, &r.id, Action::Verify { satisfaction, note: r.note }).await
        }
        .await)
    }

    async fn reopen_ticket(&self, req: Request<pb::ReopenTicketRequest>) -> Rpc<pb::Ticket> {
        ok(async {
            let p = self.principal(&req)?;
            let r = req.into_inner();
            self.act(&p, &r.id, Action::Reopen { reason: r.reason }).await
        }
        .await)
    }

    async fn escalate_ticket(&self, req: Request<pb::EscalateTicketRequest>) -> Rpc<pb::Ticket> {
        ok(async {
            let p = self.principal(&req)?;
            let r = req.into_inner();
            self.act(&p, &r.id, Action::Escalate { note: r.note }).await
        }
        .await)
    }

    async fn merge_ticket(&self, req: Request<pb::MergeTicketRequest>) -> Rpc<pb::Ticket> {
        ok(async {
            let p = self.principal(&req)?;
            p.require(&[Role::TownOffice, Role::County])?;
            let r = req.into_inner();
            let repeat = self.visible_ticket(&p, &r.id).await?;
            let into_id = id_field("into_id", &r.into_id)?;
            if into_id == repeat.id {
                return Err(ServiceError::invalid("into_id", "a ticket cannot be merged into itself"));
            }
            let original = match self.store.get_ticket(&into_id).await? {
                Some(t) if can_see(&p, &t) && t.town == repeat.town => t,
                _ => return Err(ServiceError::invalid("into_id", "no such ticket in this town")),
            };
            if original.merged_into.is_some() {
                return Err(ServiceError::invalid("into_id", "that ticket was itself merged into another"));
            }
            if repeat.merged_into.is_some() || !repeat.status.is_open() {
                return Err(ServiceError::new(ErrorCode::FailedPrecondition, "only an open ticket can be merged"));
            }
            let note = r.note.trim();
            if note.chars().count() > 2000 {
                return Err(ServiceError::invalid("note", "note must be at most 2000 characters"));
            }
            let now = now_ms();
            let mut closed = repeat.clone();
            closed.status = Status::Closed;
            closed.merged_into = Some(original.id.clone());
            closed.updated_at_ms = now;
            let closing = TicketEvent::new(
                &closed,
                TicketAction::Merge,
                Some(repeat.status),
                &p.subject,
                now,
                &format!(
                    "并入 {}{}",
                    original.tracking_code,
                    if note.is_empty() { String::new() } else { format!(": {note}") }
                ),
            );
            let mut kept = original.clone();
            kept.updated_at_ms = now;
            let absorbing = TicketEvent::new(
                &kept,
                TicketAction::Merge,
                Some(kept.status),
                &p.subject,
                now,
                &format!("合并重复诉求 {}", repeat.tracking_code),
            );
            self.store
                .save_transitions(&[
                    (repeat.version, closed.clone(), vec![closing]),
                    (original.version, kept, vec![absorbing]),
                ])
                .await?;
            Ok(self.view(&p, Ticket { version: repeat.version + 1, ..closed }, Vec::new()))
        }
        .await)
    }

    async fn list_routing_rules(&self, req: Request<pb::ListRoutingRulesRequest>) -> Rpc<pb::ListRoutingRulesResponse> {
        ok(async {
            let p = self.principal(&req)?;
            p.require(STAFF)?;
            let town = self.town_scope(&p, &req.get_ref().town).await?;
            let overrides = self.store.routing_overrides(&town).await?;
            Ok(pb::ListRoutingRulesResponse {
                rules: routing::effective_rules(&town, &overrides).into_iter().map(convert::rule).collect(),
            })
        }
        .await)
    }

    async fn set_routing_rule(&self, req: Request<pb::SetRoutingRuleRequest>) -> Rpc<pb::RoutingRule> {
        ok(async {
            let p = self.principal(&req)?;
            p.require(&[Role::TownOffice, Role::County])?;
            let r = req.into_inner().rule.ok_or_else(|| ServiceError::invalid("rule", "rule is required"))?;
            let town = self.town_scope(&p, &r.town).await?;
            let category = optional_enum::<Category>("category", r.category)?
                .ok_or_else(|| ServiceError::invalid("category", "category is required"))?;
            let target = optional_enum::<RouteTarget>("target", r.target)?
                .ok_or_else(|| ServiceError::invalid("target", "target is required"))?;
            let response = TimeLimit::from_wire("response", r.response_amount, r.response_unit)?;
            let resolution = TimeLimit::from_wire("resolution", r.resolution_amount, r.resolution_unit)?;
            TimeLimit::response_then_resolution(response, resolution)?;
            // Not given: the category's own.
            let sign = match r.sign_amount {
                0 => routing::default_rule(&town, category).sign,
                amount => TimeLimit::from_wire("sign", amount, r.sign_unit)?,
            };
            if r.initial_level > MAX_LEVEL {
                return Err(ServiceError::invalid("initial_level", "initial_level must be 0, 1 or 2"));
            }
            let rule = RoutingRule {
                town,
                category,
                target,
                response,
                resolution,
                sign,
                initial_level: r.initial_level,
                owner_reps_co_handle: r.owner_reps_co_handle,
                customised: true,
            };
            self.dispatcher.set_routing_rule(&rule, &p.subject).await?;
            Ok(convert::rule(rule))
        }
        .await)
    }

    async fn list_return_reasons(
        &self,
        req: Request<pb::ListReturnReasonsRequest>,
    ) -> Rpc<pb::ListReturnReasonsResponse> {
        ok(async {
            let p = self.principal(&req)?;
            p.require(STAFF)?;
            let town = self.town_scope(&p, &req.get_ref().town).await?;
            let stored = self.store.return_reasons(&town).await?;
            Ok(convert::return_reasons(&stored))
        }
        .await)
    }

    async fn set_return_reasons(
        &self,
        req: Request<pb::SetReturnReasonsRequest>,
    ) -> Rpc<pb::ListReturnReasonsResponse> {
        ok(async {
            let p = self.principal(&req)?;
            p.require(&[Role::TownOffice, Role::County])?;
            let r = req.into_inner();
            let town = self.town_scope(&p, &r.town).await?;
            let reasons = return_reasons::validated(
                r.reasons
                    .into_iter()
                    .map(|r| return_reasons::TownReturnReason {
                        code: r.code,
                        label: r.label,
                        built_in: false,
                        active: r.active,
                    })
                    .collect(),
            )?;
            self.store.set_return_reasons(&town, &reasons, &p.subject, now_ms()).await?;
            Ok(convert::return_reasons(&reasons))
        }
        .await)
    }

    async fn list_reply_templates(
        &self,
        req: Request<pb::ListReplyTemplatesRequest>,
    ) -> Rpc<pb::ListReplyTemplatesResponse> {
        ok(async {
            let p = self.principal(&req)?;
            p.require(STAFF)?;
            let town = self.town_scope(&p, &req.get_ref().town).await?;
            let stored = self.store.reply_templates(&town).await?;
            Ok(pb::ListReplyTemplatesResponse {
                templates: ReplyTemplate::for_every_category(&town, stored)
                    .into_iter()
                    .map(convert::reply_template)
                    .collect(),
            })
        }
        .await)
    }

    async fn set_reply_template(&self, req: Request<pb::SetReplyTemplateRequest>) -> Rpc<pb::ReplyTemplate> {
        ok(async {
            let p = self.principal(&req)?;
            p.require(&[Role::TownOffice, Role::County])?;
            let t =
                req.into_inner().template.ok_or_else(|| ServiceError::invalid("template", "template is required"))?;
            let town = self.town_scope(&p, &t.town).await?;
            let category = optional_enum::<Category>("category", t.category)?
                .ok_or_else(|| ServiceError::invalid("category", "category is required"))?;
            let template = ReplyTemplate {
                town,
                category,
                headings: t.headings,
                guidance: t.guidance,
                customised: true,
                updated_by: p.subject.clone(),
                updated_at_ms: now_ms(),
            }
            .validated()?;
            self.store.set_reply_template(&template).await?;
            Ok(convert::reply_template(template))
        }
        .await)
    }

    async fn get_calendar(&self, req: Request<pb::GetCalendarRequest>) -> Rpc<pb::TownCalendar> {
        ok(async {
            let p = self.principal(&req)?;
            p.require(STAFF)?;
            let r = req.into_inner();
            let town = self.town_scope(&p, &r.town).await?;
            let year = match r.year {
                0 => chrono::Datelike::year(&wuguan_platform::local_time::today()),
                y => calendar::checked_year(y)?,
            };
            let stored = self.store.calendar_years(&town).await?;
            let year_calendar = stored
                .into_iter()
                .find(|c| c.year == year)
                .unwrap_or_else(|| calendar::YearCalendar::built_in(&town, year));
            Ok(convert::calendar(year_calendar))
        }
        .await)
    }

    async fn set_calendar(&self, req: Request<pb::SetCalendarRequest>) -> Rpc<pb::TownCalendar> {
        ok(async {
            let p = self.principal(&req)?;
            p.require(&[Role::TownOffice, Role::County])?;
            let c =
                req.into_inner().calendar.ok_or_else(|| ServiceError::invalid("calendar", "calendar is required"))?;
            let town = self.town_scope(&p, &c.town).await?;
            let year_calendar = convert::calendar_from_pb(town, c, &p.subject, now_ms())?.validated()?;
            self.dispatcher.set_calendar_year(&year_calendar).await?;
            Ok(convert::calendar(year_calendar))
        }
        .await)
    }

    async fn get_complaint_stats(&self, req: Request<pb::GetComplaintStatsRequest>) -> Rpc<pb::ComplaintStats> {
        ok(async {
            let p = self.principal(&req)?;
            self.stats(&p, req.into_inner()).await
        }
        .await)
    }

    async fn tally_tickets(&self, req: Request<pb::TallyTicketsRequest>) -> Rpc<pb::TallyTicketsResponse> {
        ok(async {
            let p = self.principal(&req)?;
            self.tally(&p, req.into_inner()).await
        }
        .await)
    }

    async fn tally_returns(&self, req: Request<pb::TallyReturnsRequest>) -> Rpc<pb::TallyReturnsResponse> {
        ok(async {
            let p = self.principal(&req)?;
            p.require(&[Role::County, Role::TownOffice, Role::Service])?;
            let r = req.into_inner();
            let town = self.town_scope(&p, &r.town).await?;
            let period = stats::Period::parse(&r.from_date, &r.to_date)?;
            let county = (p.role == Role::County).then_some(p.county.as_str());
            let returns = self.store.return_counts(&town, county, period.range_ms()).await?;
            Ok(pb::TallyReturnsResponse {
                town,
                from_date: period.from.to_string(),
                to_date: period.to.to_string(),
                returns: returns.into_iter().map(convert::return_tally).collect(),
            })
        }
        .await)
    }

    async fn tally_unit_work(&self, req: Request<pb::TallyUnitWorkRequest>) -> Rpc<pb::TallyUnitWorkResponse> {
        ok(async {
            let p = self.principal(&req)?;
            self.unit_work(&p, req.into_inner()).await
        }
        .await)
    }
}
