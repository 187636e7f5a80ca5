//! Taking in a complaint and routing it — the application logic behind `SubmitComplaint`,
//! `ReassignTicket` and the routing rules — shared by the gRPC adapter, the escalation sweep
//! (which routes what came in while the registry was away) and the demo loader.

use crate::calendar::{WorkCalendar, YearCalendar};
use crate::group_commit::GroupCommit;
use crate::model::*;
use crate::registry_client::{FactsError, RegistryClient};
use crate::reply::ReplyTemplate;
use crate::routing;
use crate::store::{DispatchStore, IntakeKey, NewTicket};
use sha2::{Digest, Sha256};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wuguan_platform::db::now_ms;
use wuguan_platform::error::ServiceResult;
use wuguan_platform::{ErrorCode, Principal, Role, ServiceError};

const MAX_DESCRIPTION_CHARS: usize = 2000;
const MAX_REPORTER_NAME_CHARS: usize = 50;
const MAX_IDEMPOTENCY_KEY_LEN: usize = 128;
/// How far back the town office and systems may date a complaint they enter late.
const MAX_BACKDATE_MS: i64 = 366 * DAY_MS;
/// Roles that may set a complaint's source and back-date it (they enter what others reported).
const INTAKE_CLERKS: &[Role] = &[Role::TownOffice, Role::County, Role::Service];

/// Routing overrides and the working calendar per town, read on every intake: cached briefly. A
/// change made on this replica applies at once; other replicas pick it up within
/// `RULES_FRESH_FOR`.
const RULES_FRESH_FOR: Duration = Duration::from_secs(10);

/// What routing a town's complaint needs besides the estate: its rules and its calendar.
#[derive(Clone)]
struct TownRules {
    overrides: Vec<RoutingRule>,
    calendar: Arc<WorkCalendar>,
}

/// Town → (its rules, when they were read).
type RulesCache = std::collections::HashMap<String, (TownRules, Instant)>;

/// A complaint as a caller sends it, before validation (the fields of `SubmitComplaintRequest`).
#[derive(Debug, Clone, Default)]
pub struct Submission {
    /// The town asked for; empty means the caller's own.
    pub town: String,
    pub estate_id: String,
    pub category: Option<Category>,
    pub source: Option<Source>,
    pub description: String,
    pub reporter_name: String,
    pub reporter_phone: String,
    pub anonymous: bool,
    /// 0: now. Otherwise when the town office or a system says it was reported.
    pub reported_at_ms: i64,
    pub idempotency_key: String,
}

pub struct Dispatcher<S> {
    store: Arc<S>,
    registry: Arc<RegistryClient>,
    rules: Arc<Mutex<RulesCache>>,
    intake: Arc<GroupCommit>,
}

impl<S> Clone for Dispatcher<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            registry: self.registry.clone(),
            rules: self.rules.clone(),
            intake: self.intake.clone(),
        }
    }
}

impl<S: DispatchStore> Dispatcher<S> {
    /// Starts the intake writers (see `group_commit`): call within the Tokio runtime.
    pub fn new(store: Arc<S>, registry: Arc<RegistryClient>) -> Self {
        let intake = Arc::new(GroupCommit::start(store.clone()));
        Self { store, registry, rules: Default::default(), intake }
    }

    pub fn store(&self) -> &S {
        &self.store
    }

    pub fn shared_store(&self) -> Arc<S> {
        self.store.clone()
    }

    pub fn registry(&self) -> &RegistryClient {
        &self.registry
    }

    /// Validates a complaint, routes it to its unit and stores it with its first events. A
    /// retry with the same idempotency key returns the first ticket.
    pub async fn submit(&self, p: &Principal, s: Submission) -> ServiceResult<Ticket> {
        // A county principal submits only for its own county's towns (the registry says which).
        let town = self.registry.town_scope(p, &s.town).await?;
        let estate_id = wuguan_platform::fields::id("estate_id", &s.estate_id)?;
        let category = s.category.ok_or_else(|| ServiceError::invalid("category", "category is required"))?;
        let source = source_for(p, s.source)?;
        let description = s.description.trim().to_owned();
        if description.is_empty() {
            return Err(ServiceError::invalid("description", "description is required"));
        }
        if description.chars().count() > MAX_DESCRIPTION_CHARS {
            return Err(ServiceError::invalid(
                "description",
                format!("description must be at most {MAX_DESCRIPTION_CHARS} characters"),
            ));
        }
        let reporter = reporter(&s)?;
        let now = now_ms();
        let reported_at = reported_at(p, s.reported_at_ms, now)?;
        let intake_key = intake_key(p, &town, &estate_id, category, source, &description, &reporter, &s)?;

        let complaint = Complaint {
            town: town.clone(),
            county: p.county.clone(),
            estate_id: estate_id.clone(),
            estate_name: String::new(),
            category,
            source,
            description,
            reporter,
            // Nobody can later act as the reporter of an anonymous web submission.
            submitted_by: if wuguan_platform::identity::is_anonymous(&p.subject) {
                String::new()
            } else {
                p.subject.clone()
            },
            reported_at_ms: reported_at,
        };
        let mut ticket = Ticket::received(complaint, now);
        let mut events =
            vec![TicketEvent::new(&ticket, TicketAction::Submit, None, &p.subject, reported_at, source.label_zh())];
        match self.registry.estate_facts(&estate_id).await {
            Ok(facts) => {
                if facts.town != town {
                    return Err(ServiceError::invalid("estate_id", "no such estate in this town"));
                }
                ticket.estate_name = facts.estate_name.clone();
                if !facts.county.is_empty() {
                    ticket.county = facts.county.clone();
                }
                events.extend(self.route_ticket(&mut ticket, &facts, reported_at).await?);
            }
            Err(FactsError::NotFound) => return Err(ServiceError::invalid("estate_id", "no such estate in this town")),
            // Accepted all the same: the sweep routes it when the registry is back.
            Err(FactsError::Unavailable(why)) => {
                tracing::warn!(%why, "registry unavailable: ticket kept for routing later")
            }
        }
        // Written with whatever else is being submitted (group commit); the repeat lookup runs
        // in the same transaction, so a burst's first complaint is the one the rest repeat.
        let item =
            NewTicket { ticket, events, key: intake_key, repeats_since_ms: Some(reported_at - REPEAT_WINDOW_MS) };
        self.intake.insert(item).await
    }

    /// Routes a ticket that has no assignment yet; returns the events that record it.
    pub async fn route_ticket(
        &self,
        t: &mut Ticket,
        facts: &routing::EstateFacts,
        now: i64,
    ) -> ServiceResult<Vec<TicketEvent>> {
        let (rule, calendar) = self.rule_for(&t.town, t.category).await?;
        let Some(routed) = routing::route(&rule, facts, &calendar, now) else {
            // Not even a town office unit: leave it received for the office to assign by hand.
            return Ok(Vec::new());
        };
        let from = t.status;
        t.status = Status::Assigned;
        t.level = t.level.max(routed.level);
        if t.level >= 1 && t.escalated_l1_at_ms.is_none() {
            t.escalated_l1_at_ms = Some(now);
        }
        if t.level >= 2 && t.escalated_l2_at_ms.is_none() {
            t.escalated_l2_at_ms = Some(now);
        }
        t.county_report |= routed.county_report;
        let note = format!("→ {}（{}）", routed.assignment.unit_name, routed.assignment.person_name);
        let mut remarks = Vec::new();
        if let Some(unit_type) = routed.missing_unit {
            remarks.push(Remark { code: EventRemark::NoUnitOfType, unit_type: Some(unit_type) });
        }
        if routed.county_report {
            remarks.push(Remark::of(EventRemark::CountyMatter));
        }
        t.assignment = Some(routed.assignment);
        Ok(vec![TicketEvent::new(t, TicketAction::Assign, Some(from), "system", now, &note).with_remarks(remarks)])
    }

    /// The assignment a reassignment to `unit_id` makes: its contact (or the named person) and
    /// fresh deadlines by the category's rule; co-handlers stay.
    pub async fn reassignment(
        &self,
        t: &Ticket,
        unit_id: &str,
        person_id: Option<String>,
        now: i64,
    ) -> ServiceResult<Assignment> {
        let contact = match self.registry.unit_contact(&t.town, unit_id).await {
            Ok(c) => c,
            Err(FactsError::NotFound) => return Err(ServiceError::invalid("unit_id", "no such unit in this town")),
            Err(FactsError::Unavailable(_)) => {
                return Err(ServiceError::new(
                    ErrorCode::Unavailable,
                    "the registry is unavailable; try again shortly",
                ));
            }
        };
        let (person_id, person_name) = match person_id {
            None => (contact.person_id, contact.person_name),
            Some(id) => (id, String::new()),
        };
        let (rule, calendar) = self.rule_for(&t.town, t.category).await?;
        Ok(Assignment {
            unit_type: contact.unit_type,
            unit_id: contact.unit_id,
            unit_name: contact.unit_name,
            person_id,
            person_name,
            respond_by_ms: calendar.deadline(now, rule.response),
            resolve_by_ms: calendar.deadline(now, rule.resolution),
            measures: String::new(),
            co_handler_unit_ids: t.assignment.as_ref().map(|a| a.co_handler_unit_ids.clone()).unwrap_or_default(),
            // A new unit signs for it anew.
            sign_by_ms: calendar.deadline(now, rule.sign),
            signed_at_ms: None,
            assigned_at_ms: now,
            return_by_ms: calendar.deadline(now, routing::RETURN_WINDOW),
        })
    }

    /// Stores a town's rule for a category; intake on this replica uses it at once.
    pub async fn set_routing_rule(&self, rule: &RoutingRule, by: &str) -> ServiceResult<()> {
        self.store.set_routing_rule(rule, by).await?;
        self.rules.lock().unwrap_or_else(|e| e.into_inner()).remove(&rule.town);
        Ok(())
    }

    /// Stores one year of a town's calendar; deadlines on this replica count by it at once.
    pub async fn set_calendar_year(&self, calendar: &YearCalendar) -> ServiceResult<()> {
        self.store.set_calendar_year(calendar).await?;
        self.rules.lock().unwrap_or_else(|e| e.into_inner()).remove(&calendar.town);
        Ok(())
    }

    /// What resolving a ticket now takes: the town's reply template for its category, and when
    /// the callback to the reporter falls due by the town's calendar.
    pub async fn resolution_terms(&self, t: &Ticket, now: i64) -> ServiceResult<(ReplyTemplate, i64)> {
        let template = self
            .store
            .reply_templates(&t.town)
            .await?
            .into_iter()
            .find(|r| r.category == t.category)
            .unwrap_or_else(|| ReplyTemplate::built_in(&t.town, t.category));
        let calendar = self.town_rules(&t.town).await?.calendar;
        Ok((template, calendar.deadline(now, routing::CALLBACK_WINDOW)))
    }

    /// The category's rule in the town, and the calendar its limits count by.
    async fn rule_for(&self, town: &str, category: Category) -> ServiceResult<(RoutingRule, Arc<WorkCalendar>)> {
        let rules = self.town_rules(town).await?;
        let rule = rules
            .overrides
            .into_iter()
            .find(|r| r.category == category)
            .unwrap_or_else(|| routing::default_rule(town, category));
        Ok((rule, rules.calendar))
    }

    async fn town_rules(&self, town: &str) -> ServiceResult<TownRules> {
        if let Some((rules, at)) = self.rules.lock().unwrap_or_else(|e| e.into_inner()).get(town)
            && at.elapsed() < RULES_FRESH_FOR
        {
            return Ok(rules.clone());
        }
        let overrides = self.store.routing_overrides(town).await?;
        let calendar = Arc::new(WorkCalendar::new(town, &self.store.calendar_years(town).await?));
        let rules = TownRules { overrides, calendar };
        self.rules.lock().unwrap_or_else(|e| e.into_inner()).insert(town.to_owned(), (rules.clone(), Instant::now()));
        Ok(rules)
    }
}

/// Where a complaint came from: what the caller's role implies, or what a clerk says.
fn source_for(p: &Principal, asked: Option<Source>) -> ServiceResult<Source> {
    let implied = match p.role {
        Role::Resident => Source::Resident,
        Role::OwnerRep => Source::OwnerRep,
        Role::TownOffice => Source::TownOffice,
        Role::Service => Source::Hotline,
        _ => Source::Department,
    };
    match asked {
        None => Ok(implied),
        Some(s) if s == implied || p.is_one_of(INTAKE_CLERKS) => Ok(s),
        Some(_) => Err(ServiceError::invalid("source", "this caller may not set the source")),
    }
}

fn reporter(s: &Submission) -> ServiceResult<Reporter> {
    if s.anonymous {
        return Ok(Reporter { name: String::new(), phone: String::new(), anonymous: true });
    }
    let name = s.reporter_name.trim().to_owned();
    if name.chars().count() > MAX_REPORTER_NAME_CHARS {
        return Err(ServiceError::invalid(
            "reporter_name",
            format!("reporter_name must be at most {MAX_REPORTER_NAME_CHARS} characters"),
        ));
    }
    let phone = s.reporter_phone.trim().to_owned();
    if !phone.is_empty()
        && (phone.len() < 5 || phone.len() > 20 || !phone.chars().all(|c| c.is_ascii_digit() || c == '-' || c == '+'))
    {
        return Err(ServiceError::invalid("reporter_phone", "reporter_phone must be a phone number"));
    }
    Ok(Reporter { name, phone, anonymous: false })
}

fn reported_at(p: &Principal, asked_ms: i64, now: i64) -> ServiceResult<i64> {
    match asked_ms {
        0 => Ok(now),
        _ if !p.is_one_of(INTAKE_CLERKS) => {
            Err(ServiceError::invalid("reported_at", "only the town office and systems may back-date a complaint"))
        }
        t if t > now + 60_000 || t < now - MAX_BACKDATE_MS => {
            Err(ServiceError::invalid("reported_at", "reported_at must be within the last year and not in the future"))
        }
        t => Ok(t),
    }
}

/// The key a retried submission is recognised by, with a hash of what it said: the same key
/// with a different complaint is refused, not mistaken for the first.
#[allow(clippy::too_many_arguments)]
fn intake_key(
    p: &Principal,
    town: &str,
    estate_id: &str,
    category: Category,
    source: Source,
    description: &str,
    reporter: &Reporter,
    s: &Submission,
) -> ServiceResult<Option<IntakeKey>> {
    let key = s.idempotency_key.trim();
    if key.len() > MAX_IDEMPOTENCY_KEY_LEN {
        return Err(ServiceError::invalid(
            "idempotency_key",
            format!("idempotency_key must be at most {MAX_IDEMPOTENCY_KEY_LEN} characters"),
        ));
    }
    if key.is_empty() {
        if p.role == Role::Service {
            return Err(ServiceError::invalid(
                "idempotency_key",
                "systems must send an idempotency key with every complaint",
            ));
        }
        return Ok(None);
    }
    let mut h = Sha256::new();
    for part in [
        town,
        estate_id,
        category.as_str(),
        source.as_str(),
        description,
        reporter.name.as_str(),
        reporter.phone.as_str(),
        if reporter.anonymous { "1" } else { "0" },
        &s.reported_at_ms.to_string(),
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    let hash: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Ok(Some(IntakeKey { scope: format!("{town}/{}", p.subject), key: key.to_owned(), request_hash: hash }))
}
