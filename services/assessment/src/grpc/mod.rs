//! The assessment gRPC service. The town office (and county) plans, records and edits the
//! rubric; units read recorded inspections of the estates they serve; residents have no access.

pub mod convert;

use crate::model::*;
use crate::outbox::Outbox;
use crate::rubric;
use crate::scoring::Sources;
use crate::store::AssessmentStore;
use std::sync::Arc;
use tonic::{Request, Response, Status};
use wuguan_platform::db::now_ms;
use wuguan_platform::error::{ServiceResult, rpc as ok};
use wuguan_platform::fields::{id as id_field, required_enum};
use wuguan_platform::identity::TokenVerifier;
use wuguan_platform::paging::Page;
use wuguan_platform::{ErrorCode, Principal, Role, ServiceError};
use wuguan_proto::assessment::v1 as pb;
use wuguan_proto::assessment::v1::assessment_service_server::{AssessmentService, AssessmentServiceServer};
use wuguan_registry_client::{FactsError, RegistryClient};

pub const SERVICE_NAMES: &[&str] = &["wuguan.assessment.v1.AssessmentService"];

const SUPERVISORS: &[Role] = &[Role::TownOffice, Role::County];
const READERS: &[Role] = &[
    Role::TownOffice,
    Role::County,
    Role::Community,
    Role::PropertyCompany,
    Role::Police,
    Role::UrbanManagement,
    Role::Service,
];
const MAX_FINDINGS: usize = 100;

pub struct AssessmentGrpc<S> {
    store: Arc<S>,
    verifier: TokenVerifier,
    registry: Arc<RegistryClient>,
    outbox: Outbox<S>,
}

impl<S> Clone for AssessmentGrpc<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            verifier: self.verifier.clone(),
            registry: self.registry.clone(),
            outbox: self.outbox.clone(),
        }
    }
}

type Rpc<T> = Result<Response<T>, Status>;
fn date_field(field: &str, v: &str) -> ServiceResult<chrono::NaiveDate> {
    wuguan_platform::fields::date(field, v)
}

fn optional_date(field: &str, v: &str) -> ServiceResult<Option<String>> {
    if v.trim().is_empty() { Ok(None) } else { date_field(field, v).map(|d| Some(d.to_string())) }
}

impl<S: AssessmentStore> AssessmentGrpc<S> {
    pub fn new(store: Arc<S>, verifier: TokenVerifier, registry: Arc<RegistryClient>, outbox: Outbox<S>) -> Self {
        Self { store, verifier, registry, outbox }
    }

    pub fn routes(self, max_message_bytes: usize) -> tonic::service::Routes {
        tonic::service::Routes::new(AssessmentServiceServer::new(self).max_decoding_message_size(max_message_bytes))
    }

    fn principal<T>(&self, req: &Request<T>) -> ServiceResult<Principal> {
        self.verifier.verify_metadata(req.metadata())
    }

    async fn estate(&self, town: &str, estate_id: &str) -> ServiceResult<wuguan_registry_client::EstateFacts> {
        let id = id_field("estate_id", estate_id)?;
        match self.registry.estate_facts(&id).await {
            Ok(f) if f.town == town => Ok(f),
            Ok(_) | Err(FactsError::NotFound) => Err(ServiceError::invalid("estate_id", "no such estate in this town")),
            Err(FactsError::Unavailable(_)) => {
                Err(ServiceError::new(ErrorCode::Unavailable, "the registry is unavailable; try again shortly"))
            }
        }
    }

    /// The rows a principal may read: all for the office, the county and county-wide services;
    /// for a unit, those about estates it serves.
    async fn served<T>(&self, p: &Principal, rows: Vec<T>, estate_of: impl Fn(&T) -> &str) -> Vec<T> {
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            if self.serves(p, estate_of(&row)).await {
                out.push(row);
            }
        }
        out
    }

    /// Whether a unit principal serves the estate (its community or property company unit, or a
    /// town-wide unit such as the police).
    async fn serves(&self, p: &Principal, estate_id: &str) -> bool {
        if p.is_one_of(SUPERVISORS) || (p.role == Role::Service && p.unit.is_none()) {
            return true;
        }
        let Some(unit) = &p.unit else { return false };
        match self.registry.estate_facts(estate_id).await {
            Ok(f) => f.units.iter().any(|u| u.unit_id == *unit),
            Err(_) => false,
        }
    }

    /// The town a request is about, if the caller may see it (see `RegistryClient::town_scope`).
    async fn town_scope(&self, p: &Principal, town: &str) -> ServiceResult<String> {
        self.registry.town_scope(p, town).await
    }

    fn sources(&self) -> Sources<'_, S> {
        Sources {
            store: self.store.as_ref(),
            registry: &self.registry,
            dispatch: &self.outbox.dispatch,
            token: &self.outbox.token,
        }
    }

    async fn record_incident_for(&self, p: &Principal, r: pb::RecordIncidentRequest) -> ServiceResult<pb::Incident> {
        p.require(SUPERVISORS)?;
        let town = self.town_scope(p, &r.town).await?;
        let date = date_field("date", &r.date)?;
        if date > chrono::Utc::now().date_naive() + chrono::Duration::days(1) {
            return Err(ServiceError::invalid("date", "an incident cannot be recorded for a future date"));
        }
        let description = r.description.trim();
        if description.is_empty() || description.chars().count() > 2000 {
            return Err(ServiceError::invalid("description", "description is required (at most 2000 characters)"));
        }
        let key = r.idempotency_key.trim().to_owned();
        if key.len() > 128 {
            return Err(ServiceError::invalid("idempotency_key", "idempotency_key must be at most 128 characters"));
        }
        let facts = self.estate(&town, &r.estate_id).await?;
        let incident = Incident {
            id: new_id(),
            town: town.clone(),
            estate_id: facts.estate_id,
            estate_name: facts.estate_name,
            date: date.to_string(),
            description: description.to_owned(),
            recorded_by: p.subject.clone(),
            created_at_ms: now_ms(),
        };
        let scope = format!("{town}/{}/incident", p.subject);
        let stored =
            self.store.record_incident(&incident, (!key.is_empty()).then_some((scope.as_str(), key.as_str()))).await?;
        Ok(convert::incident(stored))
    }

    async fn rubric_in_force(&self, town: &str) -> ServiceResult<Rubric> {
        Ok(self.store.current_rubric(town).await?.unwrap_or_else(|| rubric::default_rubric(town)))
    }

    async fn record(&self, p: &Principal, r: pb::RecordInspectionRequest) -> ServiceResult<pb::Inspection> {
        p.require(SUPERVISORS)?;
        let town = self.town_scope(p, &r.town).await?;
        let date = date_field("date", &r.date)?;
        let today = chrono::Utc::now().date_naive();
        if date > today + chrono::Duration::days(1) {
            return Err(ServiceError::invalid("date", "an inspection cannot be recorded for a future date"));
        }
        let kind = required_enum::<InspectionKind>("kind", r.kind)?;
        let focus = required_enum::<InspectionFocus>("focus", r.focus)?;
        if r.findings.len() > MAX_FINDINGS {
            return Err(ServiceError::invalid("findings", format!("at most {MAX_FINDINGS} findings per inspection")));
        }
        let plan_id = if r.plan_id.trim().is_empty() { None } else { Some(id_field("plan_id", &r.plan_id)?) };
        let key = r.idempotency_key.trim().to_owned();
        if key.len() > 128 {
            return Err(ServiceError::invalid("idempotency_key", "idempotency_key must be at most 128 characters"));
        }
        let rubric = self.rubric_in_force(&town).await?;
        let given: Vec<ItemScore> =
            r.item_scores.iter().map(|s| ItemScore { item: s.item.clone(), score: s.score }).collect();
        let finding_items: Vec<(String, usize)> =
            r.findings.iter().enumerate().map(|(i, f)| (f.item.clone(), i)).collect();
        let (item_scores, total, deductions) = rubric::score(&rubric, &given, &finding_items)?;
        let mut findings = Vec::with_capacity(r.findings.len());
        for (i, (f, deduction)) in r.findings.iter().zip(deductions).enumerate() {
            let description = f.description.trim();
            if description.is_empty() || description.chars().count() > 2000 {
                return Err(ServiceError::invalid(
                    format!("findings[{i}].description"),
                    "description is required (at most 2000 characters)",
                ));
            }
            let category = convert::category_name(&format!("findings[{i}].category"), f.category)?;
            findings.push(Finding {
                id: new_id(),
                item: f.item.clone(),
                description: description.to_owned(),
                category,
                open_ticket: f.open_ticket,
                deduction,
                delivery: if f.open_ticket { Delivery::Pending } else { Delivery::None },
                ticket_id: None,
                delivery_error: String::new(),
            });
        }
        let facts = self.estate(&town, &r.estate_id).await?;
        // A follow-up checks on the inspection its plan follows, or the estate's last one with
        // findings.
        let planned_follows = match &plan_id {
            Some(id) => self.store.get_plan(id).await?.filter(|p| p.town == town).and_then(|p| p.follows),
            None => None,
        };
        let follow_up_of = match (planned_follows, focus) {
            (Some(id), _) => Some(id),
            (None, InspectionFocus::FollowUp) => crate::follow_up::previous_with_findings(
                self.store.as_ref(),
                &town,
                &facts.estate_id,
                &date.to_string(),
            )
            .await?
            .map(|i| i.id),
            (None, _) => None,
        };
        let inspection = Inspection {
            id: new_id(),
            town: town.clone(),
            estate_id: facts.estate_id.clone(),
            estate_name: facts.estate_name.clone(),
            date: date.to_string(),
            kind,
            focus,
            inspector: p.subject.clone(),
            rubric_version: rubric.version,
            item_scores,
            total_score: total,
            grade: rubric.grade(total).to_owned(),
            plan_id,
            created_at_ms: now_ms(),
            findings,
            follow_up_of,
        };
        // Open findings bring the estate back next week (跟踪督查).
        let follow_up = (!inspection.findings.is_empty()).then(|| Plan {
            id: new_id(),
            town: town.clone(),
            estate_id: inspection.estate_id.clone(),
            date: (date + chrono::Duration::days(7)).to_string(),
            kind: InspectionKind::Open,
            focus: InspectionFocus::FollowUp,
            planned_by: "system".into(),
            inspection_id: None,
            reason: format!("跟踪 {} 督查发现的 {} 个问题", inspection.date, inspection.findings.len()),
            follows: Some(inspection.id.clone()),
        });
        let scope = format!("{town}/{}", p.subject);
        let stored = self
            .store
            .record_inspection(
                &inspection,
                follow_up.as_ref(),
                (!key.is_empty()).then_some((scope.as_str(), key.as_str())),
            )
            .await?;
        // Try to hand the findings to dispatch now; if it is down the outbox keeps trying.
        if stored.findings.iter().any(|f| f.delivery == Delivery::Pending) {
            let _ = tokio::time::timeout(std::time::Duration::from_secs(5), self.outbox.deliver_pending()).await;
            self.outbox.wake.notify_one();
        }
        let fresh = self.store.get_inspection(&stored.id).await?.unwrap_or(stored);
        Ok(convert::inspection(fresh))
    }
}

#[tonic::async_trait]
impl<S: AssessmentStore> AssessmentService for AssessmentGrpc<S> {
    async fn plan_inspection(&self, req: Request<pb::PlanInspectionRequest>) -> Rpc<pb::PlannedInspection> {
        ok(async {
            let p = self.principal(&req)?;
            p.require(SUPERVISORS)?;
            let r = req.into_inner();
            let town = self.town_scope(&p, &r.town).await?;
            let date = date_field("date", &r.date)?;
            let kind = required_enum::<InspectionKind>("kind", r.kind)?;
            let focus = required_enum::<InspectionFocus>("focus", r.focus)?;
            let facts = self.estate(&town, &r.estate_id).await?;
            let follows = if focus == InspectionFocus::FollowUp {
                crate::follow_up::previous_with_findings(
                    self.store.as_ref(),
                    &town,
                    &facts.estate_id,
                    &date.to_string(),
                )
                .await?
                .map(|i| i.id)
            } else {
                None
            };
            let plan = Plan {
                id: new_id(),
                town,
                estate_id: facts.estate_id,
                date: date.to_string(),
                kind,
                focus,
                planned_by: p.subject.clone(),
                inspection_id: None,
                reason: String::new(),
                follows,
            };
            self.store.insert_plan(&plan).await?;
            Ok(convert::plan(plan))
        }
        .await)
    }

    async fn list_planned_inspections(
        &self,
        req: Request<pb::ListPlannedInspectionsRequest>,
    ) -> Rpc<pb::ListPlannedInspectionsResponse> {
        ok(async {
            let p = self.principal(&req)?;
            p.require(READERS)?;
            let r = req.into_inner();
            let town = self.town_scope(&p, &r.town).await?;
            let from = optional_date("from_date", &r.from_date)?;
            let to = optional_date("to_date", &r.to_date)?;
            let page = Page::from_request(r.page.as_ref())?;
            let with_unannounced = p.is_one_of(SUPERVISORS);
            let mut rows =
                self.store.list_plans(&town, from.as_deref(), to.as_deref(), with_unannounced, &page).await?;
            let page = page.finish(&mut rows, |x| x.id.clone());
            let plans = self.served(&p, rows, |plan| &plan.estate_id).await.into_iter().map(convert::plan).collect();
            Ok(pb::ListPlannedInspectionsResponse { plans, page: Some(page) })
        }
        .await)
    }

    async fn record_inspection(&self, req: Request<pb::RecordInspectionRequest>) -> Rpc<pb::Inspection> {
        ok(async {
            let p = self.principal(&req)?;
            self.record(&p, req.into_inner()).await
        }
        .await)
    }

    async fn get_inspection(&self, req: Request<pb::GetInspectionRequest>) -> Rpc<pb::Inspection> {
        ok(async {
            let p = self.principal(&req)?;
            p.require(READERS)?;
            let id = id_field("id", &req.get_ref().id)?;
            let i = match self.store.get_inspection(&id).await? {
                Some(i) if self.town_scope(&p, &i.town).await.is_ok() && self.serves(&p, &i.estate_id).await => i,
                _ => return Err(ServiceError::not_found("inspection")),
            };
            Ok(convert::inspection(i))
        }
        .await)
    }

    async fn list_inspections(&self, req: Request<pb::ListInspectionsRequest>) -> Rpc<pb::ListInspectionsResponse> {
        ok(async {
            let p = self.principal(&req)?;
            p.require(READERS)?;
            let r = req.into_inner();
            let town = self.town_scope(&p, &r.town).await?;
            let estate = if r.estate_id.trim().is_empty() { None } else { Some(id_field("estate_id", &r.estate_id)?) };
            let from = optional_date("from_date", &r.from_date)?;
            let to = optional_date("to_date", &r.to_date)?;
            let page = Page::from_request(r.page.as_ref())?;
            let mut rows =
                self.store.list_inspections(&town, estate.as_deref(), from.as_deref(), to.as_deref(), &page).await?;
            let page = page.finish(&mut rows, |x| x.id.clone());
            let inspections =
                self.served(&p, rows, |i| &i.estate_id).await.into_iter().map(convert::inspection).collect();
            Ok(pb::ListInspectionsResponse { inspections, page: Some(page) })
        }
        .await)
    }

    async fn get_rubric(&self, req: Request<pb::GetRubricRequest>) -> Rpc<pb::Rubric> {
        ok(async {
            let p = self.principal(&req)?;
            p.require(READERS)?;
            let town = self.town_scope(&p, &req.get_ref().town).await?;
            Ok(convert::rubric(self.rubric_in_force(&town).await?))
        }
        .await)
    }

    async fn get_bulletin(&self, req: Request<pb::GetBulletinRequest>) -> Rpc<pb::Bulletin> {
        ok(async {
            let p = self.principal(&req)?;
            p.require(READERS)?;
            let r = req.into_inner();
            let town = self.town_scope(&p, &r.town).await?;
            let (first, _) = crate::bulletin::month_bounds(&r.month)?;
            let month = first.format("%Y-%m").to_string();
            if let Some(body) = self.store.latest_bulletin(&town, &month).await? {
                return <pb::Bulletin as prost::Message>::decode(body.as_slice()).map_err(ServiceError::internal);
            }
            // Drafts are for the office; units see what was published, and for them a month
            // not published yet has no bulletin.
            if p.require(SUPERVISORS).is_err() {
                return Err(ServiceError::new(ErrorCode::NotFound, "no bulletin has been published for this month"));
            }
            let rubric = self.rubric_in_force(&town).await?;
            crate::bulletin::compute(&self.sources(), &rubric, &town, &month).await
        }
        .await)
    }

    async fn publish_bulletin(&self, req: Request<pb::PublishBulletinRequest>) -> Rpc<pb::Bulletin> {
        ok(async {
            let p = self.principal(&req)?;
            p.require(SUPERVISORS)?;
            let r = req.into_inner();
            let town = self.town_scope(&p, &r.town).await?;
            let (first, last) = crate::bulletin::month_bounds(&r.month)?;
            if last >= chrono::Utc::now().date_naive() {
                return Err(ServiceError::invalid("month", "only a finished month can be published"));
            }
            let month = first.format("%Y-%m").to_string();
            let rubric = self.rubric_in_force(&town).await?;
            let mut bulletin = crate::bulletin::compute(&self.sources(), &rubric, &town, &month).await?;
            bulletin.version = self.store.next_bulletin_version(&town, &month).await?;
            bulletin.status = "published".into();
            bulletin.published_by = p.subject.clone();
            bulletin.published_at_ms = now_ms();
            let body = prost::Message::encode_to_vec(&bulletin);
            self.store
                .insert_bulletin(&town, &month, bulletin.version, &body, &p.subject, bulletin.published_at_ms)
                .await?;
            Ok(bulletin)
        }
        .await)
    }

    async fn get_assessment(&self, req: Request<pb::GetAssessmentRequest>) -> Rpc<pb::Assessment> {
        ok(async {
            let p = self.principal(&req)?;
            p.require(READERS)?;
            let r = req.into_inner();
            let town = self.town_scope(&p, &r.town).await?;
            let rubric = self.rubric_in_force(&town).await?;
            crate::annual::assess(&self.sources(), &rubric, &town, r.year, r.period.trim()).await
        }
        .await)
    }

    async fn update_rubric(&self, req: Request<pb::UpdateRubricRequest>) -> Rpc<pb::Rubric> {
        ok(async {
            let p = self.principal(&req)?;
            p.require(SUPERVISORS)?;
            let r = req.into_inner();
            let town = self.town_scope(&p, &r.town).await?;
            let items: Vec<RubricItem> = r
                .items
                .into_iter()
                .map(|i| RubricItem {
                    code: i.code.trim().to_owned(),
                    area: i.area.trim().to_owned(),
                    name: i.name.trim().to_owned(),
                    max_points: i.max_points,
                    deduction_per_finding: i.deduction_per_finding,
                })
                .collect();
            let bands = r.bands.ok_or_else(|| ServiceError::invalid("bands", "bands are required"))?;
            let bands = GradeBands { excellent: bands.excellent, good: bands.good, pass: bands.pass };
            rubric::validate(&items, &bands)?;
            let current = self.rubric_in_force(&town).await?;
            // Absent rules (or league rules): keep the current version's.
            let (dispatch_deductions, vetoes, league) = match r.rules {
                Some(mut rules) => {
                    let league = match rules.league.take() {
                        Some(l) => convert::league_from_pb(l)?,
                        None => current.league,
                    };
                    let (deductions, vetoes) = convert::rules_from_pb(rules);
                    (deductions, vetoes, league)
                }
                None => (current.dispatch_deductions, current.vetoes, current.league),
            };
            rubric::validate_rules(&items, &dispatch_deductions, &vetoes)?;
            rubric::validate_league(&league)?;
            let stored = self
                .store
                .insert_rubric(&Rubric {
                    town,
                    version: 0,
                    items,
                    bands,
                    dispatch_deductions,
                    vetoes,
                    league,
                    created_by: p.subject.clone(),
                    created_at_ms: 0,
                })
                .await?;
            Ok(convert::rubric(stored))
        }
        .await)
    }

    async fn record_incident(&self, req: Request<pb::RecordIncidentRequest>) -> Rpc<pb::Incident> {
        ok(async {
            let p = self.principal(&req)?;
            self.record_incident_for(&p, req.into_inner()).await
        }
        .await)
    }

    async fn list_incidents(&self, req: Request<pb::ListIncidentsRequest>) -> Rpc<pb::ListIncidentsResponse> {
        ok(async {
            let p = self.principal(&req)?;
            p.require(READERS)?;
            let r = req.into_inner();
            let town = self.town_scope(&p, &r.town).await?;
            let from = optional_date("from_date", &r.from_date)?;
            let to = optional_date("to_date", &r.to_date)?;
            let page = Page::from_request(r.page.as_ref())?;
            let mut rows = self.store.list_incidents(&town, from.as_deref(), to.as_deref(), &page).await?;
            let page = page.finish(&mut rows, |x| x.id.clone());
            let incidents = self.served(&p, rows, |i| &i.estate_id).await.into_iter().map(convert::incident).collect();
            Ok(pb::ListIncidentsResponse { incidents, page: Some(page) })
        }
        .await)
    }

    async fn get_follow_up_checks(&self, req: Request<pb::GetFollowUpChecksRequest>) -> Rpc<pb::FollowUpChecks> {
        ok(async {
            let p = self.principal(&req)?;
            p.require(READERS)?;
            let r = req.into_inner();
            let (plan_id, inspection_id) = (r.plan_id.trim(), r.inspection_id.trim());
            let follows = match (plan_id.is_empty(), inspection_id.is_empty()) {
                (false, true) => {
                    let plan = self.store.get_plan(&id_field("plan_id", plan_id)?).await?;
                    let plan = match plan {
                        // Units do not learn of unannounced visits before they happen.
                        Some(plan)
                            if self.town_scope(&p, &plan.town).await.is_ok()
                                && self.serves(&p, &plan.estate_id).await
                                && (plan.kind == InspectionKind::Open
                                    || plan.inspection_id.is_some()
                                    || p.is_one_of(SUPERVISORS)) =>
                        {
                            plan
                        }
                        _ => return Err(ServiceError::not_found("plan")),
                    };
                    plan.follows
                }
                (true, false) => {
                    let inspection = self.store.get_inspection(&id_field("inspection_id", inspection_id)?).await?;
                    match inspection {
                        Some(i)
                            if self.town_scope(&p, &i.town).await.is_ok() && self.serves(&p, &i.estate_id).await =>
                        {
                            i.follow_up_of
                        }
                        _ => return Err(ServiceError::not_found("inspection")),
                    }
                }
                _ => return Err(ServiceError::invalid("plan_id", "give exactly one of plan_id and inspection_id")),
            };
            let Some(previous) = follows else {
                return Err(ServiceError::new(
                    ErrorCode::FailedPrecondition,
                    "not a follow-up: there is no earlier inspection with findings to check on",
                ));
            };
            let previous =
                self.store.get_inspection(&previous).await?.ok_or_else(|| ServiceError::not_found("inspection"))?;
            crate::follow_up::checks(&self.outbox.dispatch, &self.outbox.token, &previous).await
        }
        .await)
    }
}
