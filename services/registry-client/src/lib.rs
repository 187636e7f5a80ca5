//! The registry as its clients inside wuguan need it (dispatch routes with it, assessment scores
//! with it): estate facts and units over gRPC with the calling service's own token, cached so
//! that a registry that is briefly down does not stop intake or scoring. A crate of its own, so
//! the shared platform knows no service.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tonic::transport::Channel;
use wuguan_platform::error::ServiceResult;
use wuguan_platform::revocation::{FeedCursor, FeedPage, RevocationFeed};
use wuguan_platform::{ErrorCode, Principal, ServiceError};
use wuguan_proto::registry::v1 as rpb;
use wuguan_proto::registry::v1::account_service_client::AccountServiceClient;
use wuguan_proto::registry::v1::registry_service_client::RegistryServiceClient;
use wuguan_proto::vocab::common::UnitType;
use wuguan_proto::vocab::registry::ManagementMode;

/// How long cached facts are used without asking again.
const FRESH_FOR: Duration = Duration::from_secs(300);
const CALL_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug)]
pub enum FactsError {
    /// The registry says there is no such estate (or unit).
    NotFound,
    /// The registry could not be asked and nothing is cached.
    Unavailable(String),
}

pub struct RegistryClient {
    channel: Channel,
    token: String,
    estates: Mutex<HashMap<String, (EstateFacts, Instant)>>,
    /// Town code → county code.
    towns: Mutex<HashMap<String, String>>,
}

/// The services' verifiers keep their revocations in step with the registry through this.
impl RevocationFeed for RegistryClient {
    fn changes_from(&self, cursor: &FeedCursor) -> impl std::future::Future<Output = ServiceResult<FeedPage>> + Send {
        self.revocation_page(cursor)
    }
}

/// The snake_case name of a wire unit type ("unspecified" for none the contract defines).
fn unit_type_name(v: i32) -> &'static str {
    match UnitType::from_wire(v) {
        Ok(Some(t)) => t.as_str(),
        _ => "unspecified",
    }
}

/// The snake_case name of a wire management mode (an unset one reads as none).
fn mode_name(v: i32) -> &'static str {
    match ManagementMode::from_wire(v) {
        Ok(Some(m)) => m.as_str(),
        _ => ManagementMode::None.as_str(),
    }
}

impl RegistryClient {
    pub fn new(channel: Channel, token: String) -> Self {
        Self { channel, token, estates: Mutex::new(HashMap::new()), towns: Mutex::new(HashMap::new()) }
    }

    fn request<T>(&self, message: T) -> tonic::Request<T> {
        let mut req = tonic::Request::new(message);
        req.set_timeout(CALL_TIMEOUT);
        if let Ok(v) = format!("Bearer {}", self.token).parse() {
            req.metadata_mut().insert("authorization", v);
        }
        wuguan_platform::telemetry::inject_current_context(req.metadata_mut());
        req
    }

    fn cached(&self, estate_id: &str, fresh_only: bool) -> Option<EstateFacts> {
        let cache = self.estates.lock().unwrap_or_else(|e| e.into_inner());
        cache.get(estate_id).filter(|(_, at)| !fresh_only || at.elapsed() < FRESH_FOR).map(|(f, _)| f.clone())
    }

    pub async fn estate_facts(&self, estate_id: &str) -> Result<EstateFacts, FactsError> {
        if let Some(f) = self.cached(estate_id, true) {
            return Ok(f);
        }
        let req = self.request(rpb::GetByIdRequest { id: estate_id.to_owned() });
        match RegistryServiceClient::new(self.channel.clone()).get_estate_routing_facts(req).await {
            Ok(resp) => {
                let f = resp.into_inner();
                let facts = EstateFacts {
                    estate_id: f.estate_id,
                    estate_name: f.estate_name,
                    town: f.town,
                    county: f.county,
                    community_id: f.community_id,
                    property_company_id: (!f.property_company_id.is_empty()).then_some(f.property_company_id),
                    management_mode: mode_name(f.management_mode).to_owned(),
                    units: f
                        .units
                        .into_iter()
                        .map(|u| UnitContact {
                            unit_id: u.unit_id,
                            unit_type: unit_type_name(u.unit_type).to_owned(),
                            unit_name: u.unit_name,
                            person_id: u.person_id,
                            person_name: u.person_name,
                        })
                        .collect(),
                };
                self.estates
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(estate_id.to_owned(), (facts.clone(), Instant::now()));
                Ok(facts)
            }
            Err(status) if matches!(status.code(), tonic::Code::NotFound | tonic::Code::InvalidArgument) => {
                Err(FactsError::NotFound)
            }
            Err(status) => {
                tracing::warn!(code = ?status.code(), message = status.message(), "registry unavailable for estate facts");
                // Stale facts are better than no routing.
                self.cached(estate_id, false).ok_or_else(|| FactsError::Unavailable(status.message().to_owned()))
            }
        }
    }

    /// Ids of every estate of a town (for the demo loader).
    pub async fn estate_ids(&self, town: &str) -> Result<Vec<String>, FactsError> {
        Ok(self.estates(town).await?.into_iter().map(|e| e.id).collect())
    }

    /// A page of the registry's revocation feed (see `wuguan_platform::revocation`).
    async fn revocation_page(&self, cursor: &FeedCursor) -> ServiceResult<FeedPage> {
        let req = self.request(rpb::ListRevocationsRequest {
            changed_since_ms: cursor.changed_at_ms,
            after_key: cursor.key.clone(),
        });
        let resp = AccountServiceClient::new(self.channel.clone())
            .list_revocations(req)
            .await
            .map_err(|s| ServiceError::from_status(&s))?
            .into_inner();
        Ok(FeedPage::from_rows(
            resp.revocations.into_iter().map(|r| (r.key, r.min_version, r.changed_at_ms)),
            resp.more,
        ))
    }

    /// The county a town belongs to (cached: towns do not move).
    pub async fn town_county(&self, town: &str) -> Result<String, FactsError> {
        if let Some(county) = self.towns.lock().unwrap_or_else(|e| e.into_inner()).get(town) {
            return Ok(county.clone());
        }
        let req = self.request(rpb::GetTownRequest { town: town.to_owned() });
        match RegistryServiceClient::new(self.channel.clone()).get_town(req).await {
            Ok(resp) => {
                let county = resp.into_inner().county;
                self.towns.lock().unwrap_or_else(|e| e.into_inner()).insert(town.to_owned(), county.clone());
                Ok(county)
            }
            Err(s) if matches!(s.code(), tonic::Code::NotFound | tonic::Code::InvalidArgument) => {
                Err(FactsError::NotFound)
            }
            Err(s) => Err(FactsError::Unavailable(s.message().to_owned())),
        }
    }

    /// The town a request is about, if the caller may act in it: its own town, or for a principal
    /// of a whole county (county staff, a county-wide service) a town the registry places in that
    /// county. Another county's town and a town that does not exist are NOT_FOUND alike; without
    /// the registry (and nothing cached) UNAVAILABLE.
    pub async fn town_scope(&self, p: &Principal, town: &str) -> ServiceResult<String> {
        let town = p.town_scope(town)?;
        if p.town.is_some() {
            return Ok(town);
        }
        match self.town_county(&town).await {
            Ok(county) if county == p.county => Ok(town),
            Ok(_) | Err(FactsError::NotFound) => Err(ServiceError::not_found("town")),
            Err(FactsError::Unavailable(_)) => {
                Err(ServiceError::new(ErrorCode::Unavailable, "the registry is unavailable; try again shortly"))
            }
        }
    }

    /// Property-management coverage of the town's old estates, as recorded now.
    pub async fn coverage(&self, town: &str) -> Result<rpb::Coverage, FactsError> {
        let req = self.request(rpb::GetCoverageRequest { town: town.to_owned() });
        match RegistryServiceClient::new(self.channel.clone()).get_coverage(req).await {
            Ok(resp) => Ok(resp.into_inner()),
            Err(s) if s.code() == tonic::Code::NotFound => Err(FactsError::NotFound),
            Err(s) => Err(FactsError::Unavailable(s.message().to_owned())),
        }
    }

    /// Every estate of a town, as the registry lists them.
    pub async fn estates(&self, town: &str) -> Result<Vec<rpb::Estate>, FactsError> {
        let mut client = RegistryServiceClient::new(self.channel.clone());
        let mut ids = Vec::new();
        let mut page_token = String::new();
        loop {
            let req = self.request(rpb::ListEstatesRequest {
                town: town.to_owned(),
                page: Some(wuguan_proto::common::v1::PageRequest { page_size: 500, page_token: page_token.clone() }),
                ..Default::default()
            });
            let resp = client
                .list_estates(req)
                .await
                .map_err(|s| FactsError::Unavailable(s.message().to_owned()))?
                .into_inner();
            ids.extend(resp.estates);
            page_token = resp.page.unwrap_or_default().next_page_token;
            if page_token.is_empty() {
                return Ok(ids);
            }
        }
    }

    /// A unit of `town` with its designated person, for reassignment.
    pub async fn unit_contact(&self, town: &str, unit_id: &str) -> Result<UnitContact, FactsError> {
        let mut client = RegistryServiceClient::new(self.channel.clone());
        let unit = match client.get_unit(self.request(rpb::GetByIdRequest { id: unit_id.to_owned() })).await {
            Ok(u) => u.into_inner(),
            Err(s) if matches!(s.code(), tonic::Code::NotFound | tonic::Code::InvalidArgument) => {
                return Err(FactsError::NotFound);
            }
            Err(s) => return Err(FactsError::Unavailable(s.message().to_owned())),
        };
        if unit.town != town {
            return Err(FactsError::NotFound);
        }
        let persons = client
            .list_persons(self.request(rpb::ListPersonsRequest {
                town: town.to_owned(),
                unit_id: unit_id.to_owned(),
                page: None,
            }))
            .await
            .map_err(|s| FactsError::Unavailable(s.message().to_owned()))?
            .into_inner()
            .persons;
        let person = persons.iter().find(|p| p.designated).or(persons.first());
        Ok(UnitContact {
            unit_id: unit.id,
            unit_type: unit_type_name(unit.unit_type).to_owned(),
            unit_name: unit.name,
            person_id: person.map(|p| p.id.clone()).unwrap_or_default(),
            person_name: person.map(|p| p.name.clone()).unwrap_or_default(),
        })
    }
}

/// A unit that can be assigned, with its designated person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitContact {
    pub unit_id: String,
    pub unit_type: String,
    pub unit_name: String,
    pub person_id: String,
    pub person_name: String,
}

/// What routing needs to know about an estate (from the registry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EstateFacts {
    pub estate_id: String,
    pub estate_name: String,
    pub town: String,
    pub county: String,
    pub community_id: String,
    pub property_company_id: Option<String>,
    /// `property_company`, `self_governed` or `none`.
    pub management_mode: String,
    pub units: Vec<UnitContact>,
}

impl EstateFacts {
    /// The estate's (or the town's) unit of this type, if any.
    pub fn unit_of_type(&self, unit_type: &str) -> Option<&UnitContact> {
        self.units.iter().find(|u| u.unit_type == unit_type)
    }
}
