//! The registry's gRPC services: `RegistryService` (the ledger) and `AccountService`.
//! Every handler authenticates the caller, scopes the request to a town the caller may see
//! (another town's record is NOT_FOUND, so its existence is not revealed) and checks the role.

pub mod convert;

use crate::model::*;
use crate::store::{ImportRow, RegistryStore, WriteContext};
use std::sync::Arc;
use tonic::{Request, Response, Status};
use wuguan_platform::error::ServiceResult;
use wuguan_platform::fields::optional_enum;
use wuguan_platform::identity::TokenVerifier;
use wuguan_platform::paging::Page;
use wuguan_platform::{Principal, Role, ServiceError};
use wuguan_proto::registry::v1 as pb;
use wuguan_proto::registry::v1::account_service_server::{AccountService, AccountServiceServer};
use wuguan_proto::registry::v1::registry_service_server::{RegistryService, RegistryServiceServer};

/// Roles that edit the ledger.
const LEDGER_EDITORS: &[Role] = &[Role::TownOffice, Role::County];
/// Roles that see responsible persons' phone numbers unmasked.
const SEES_PHONES: &[Role] = &[
    Role::TownOffice,
    Role::County,
    Role::Community,
    Role::PropertyCompany,
    Role::Police,
    Role::UrbanManagement,
    Role::Service,
];
/// Largest CSV accepted by an import.
pub const MAX_IMPORT_BYTES: usize = 4 * 1024 * 1024;

pub struct RegistryGrpc<S> {
    store: Arc<S>,
    verifier: TokenVerifier,
}

impl<S> Clone for RegistryGrpc<S> {
    fn clone(&self) -> Self {
        Self { store: self.store.clone(), verifier: self.verifier.clone() }
    }
}

/// Fully qualified service names, for health checking.
pub const SERVICE_NAMES: &[&str] = &["wuguan.registry.v1.RegistryService", "wuguan.registry.v1.AccountService"];

impl<S: RegistryStore> RegistryGrpc<S> {
    pub fn new(store: Arc<S>, verifier: TokenVerifier) -> Self {
        Self { store, verifier }
    }

    pub fn routes(self, max_message_bytes: usize) -> tonic::service::Routes {
        tonic::service::Routes::new(
            RegistryServiceServer::new(self.clone()).max_decoding_message_size(max_message_bytes),
        )
        .add_service(AccountServiceServer::new(self).max_decoding_message_size(max_message_bytes))
    }

    fn principal<T>(&self, req: &Request<T>) -> ServiceResult<Principal> {
        self.verifier.verify_metadata(req.metadata())
    }

    /// The town, if the principal may see it; NOT_FOUND otherwise.
    async fn visible_town(&self, p: &Principal, code: &str) -> ServiceResult<Town> {
        let code = code.trim();
        if code.is_empty() {
            return Err(ServiceError::invalid("town", "town is required"));
        }
        match self.store.get_town(code).await? {
            Some(t) if p.can_see_town(&t.code, &t.county) => Ok(t),
            _ => Err(ServiceError::not_found("town")),
        }
    }

    async fn visible_estate(&self, p: &Principal, id: &str) -> ServiceResult<Estate> {
        let estate = self.store.get_estate(id.trim()).await?.ok_or_else(|| ServiceError::not_found("estate"))?;
        self.visible_town(p, &estate.town).await.map_err(|_| ServiceError::not_found("estate"))?;
        Ok(estate)
    }

    fn ctx(p: &Principal, idempotency_key: &str) -> ServiceResult<WriteContext> {
        let key = idempotency_key.trim();
        if key.len() > 128 {
            return Err(ServiceError::invalid("idempotency_key", "idempotency_key must be at most 128 characters"));
        }
        Ok(WriteContext { actor: p.subject.clone(), idempotency_key: (!key.is_empty()).then(|| key.to_owned()) })
    }

    /// Checks that the estate's community and property company exist in its town.
    async fn check_estate_refs(&self, town: &str, d: &EstateData) -> ServiceResult<()> {
        match self.store.get_community(&d.community_id).await? {
            Some(c) if c.town == town => {}
            _ => {
                return Err(ServiceError::invalid("community_id", "no such community in this town"));
            }
        }
        if let Some(pc) = &d.property_company_id {
            match self.store.get_property_company(pc).await? {
                Some(c) if c.town == town => {}
                _ => {
                    return Err(ServiceError::invalid("property_company_id", "no such property company in this town"));
                }
            }
        }
        Ok(())
    }

    async fn do_import(
        &self,
        p: &Principal,
        req: pb::ImportEstatesRequest,
    ) -> ServiceResult<pb::ImportEstatesResponse> {
        let town = self.visible_town(p, &req.town).await?;
        p.require(LEDGER_EDITORS)?;
        if req.csv.len() > MAX_IMPORT_BYTES {
            return Err(ServiceError::invalid("csv", format!("csv must be at most {MAX_IMPORT_BYTES} bytes")));
        }
        let parsed = crate::csv_io::parse(&req.csv)?;
        let mut errors = parsed.errors;
        let communities = self.all_communities(&town.code).await?;
        let companies = self.all_companies(&town.code).await?;
        let existing = self.store.all_estates(&town.code).await?;
        let mut rows = Vec::new();
        let mut seen_names = std::collections::HashSet::new();
        for row in parsed.rows {
            match crate::csv_io::resolve(&row, &communities, &companies, &existing) {
                Ok(r) => {
                    if !seen_names.insert(r.data.name.clone()) {
                        errors.push(pb::RowError {
                            line: row.line,
                            field: "name".into(),
                            message: "estate appears twice in this file".into(),
                        });
                    } else {
                        rows.push(r);
                    }
                }
                Err(e) => {
                    errors.push(pb::RowError { line: row.line, field: e.field.unwrap_or_default(), message: e.message })
                }
            }
        }
        if !errors.is_empty() {
            errors.sort_by_key(|e| e.line);
            return Ok(pb::ImportEstatesResponse { created: 0, updated: 0, errors });
        }
        let created = rows.iter().filter(|r| r.existing.is_none()).count() as u32;
        let updated = rows.iter().filter(|r| r.existing.as_ref().is_some_and(|e| e.data != r.data)).count() as u32;
        if req.dry_run {
            return Ok(pb::ImportEstatesResponse { created, updated, errors });
        }
        let rows: Vec<ImportRow> = rows;
        let (created, updated) = self.store.import_estates(&town.code, &rows, &Self::ctx(p, "")?).await?;
        Ok(pb::ImportEstatesResponse { created, updated, errors })
    }

    async fn all_communities(&self, town: &str) -> ServiceResult<Vec<Community>> {
        all_pages(|page| async move { self.store.list_communities(town, &page).await }, |c: &Community| c.id.clone())
            .await
    }

    async fn all_companies(&self, town: &str) -> ServiceResult<Vec<PropertyCompany>> {
        all_pages(
            |page| async move { self.store.list_property_companies(town, &page).await },
            |c: &PropertyCompany| c.id.clone(),
        )
        .await
    }
}

/// Every row of a paginated list, page by page.
async fn all_pages<T, F, Fut>(fetch: F, id_of: impl Fn(&T) -> String) -> ServiceResult<Vec<T>>
where
    F: Fn(Page) -> Fut,
    Fut: std::future::Future<Output = ServiceResult<Vec<T>>>,
{
    let mut out = Vec::new();
    let mut page = Page::first(wuguan_platform::paging::MAX_PAGE_SIZE);
    loop {
        let mut rows = fetch(page.clone()).await?;
        let next = page.finish(&mut rows, &id_of).next_page_token;
        out.extend(rows);
        if next.is_empty() {
            return Ok(out);
        }
        page.after = Some(next);
    }
}

type Rpc<T> = Result<Response<T>, Status>;

fn ok<T>(r: ServiceResult<T>) -> Rpc<T> {
    r.map(Response::new).map_err(Status::from)
}

#[tonic::async_trait]
impl<S: RegistryStore> RegistryService for RegistryGrpc<S> {
    async fn list_towns(&self, req: Request<pb::ListTownsRequest>) -> Rpc<pb::ListTownsResponse> {
        ok(async {
            let p = self.principal(&req)?;
            let towns = self.store.list_towns().await?;
            Ok(pb::ListTownsResponse {
                towns: towns.into_iter().filter(|t| p.can_see_town(&t.code, &t.county)).map(convert::town).collect(),
            })
        }
        .await)
    }

    async fn list_town_directory(&self, _req: Request<pb::ListTownsRequest>) -> Rpc<pb::ListTownsResponse> {
        ok(async {
            Ok(pb::ListTownsResponse { towns: self.store.list_towns().await?.into_iter().map(convert::town).collect() })
        }
        .await)
    }

    async fn create_town(&self, req: Request<pb::CreateTownRequest>) -> Rpc<pb::Town> {
        ok(async {
            let p = self.principal(&req)?;
            p.require(&[Role::County])?;
            let r = req.into_inner();
            let code = r.code.trim().to_owned();
            if !crate::setup::valid_code(&code) {
                return Err(ServiceError::invalid("code", "code must be 2–32 lower-case letters, digits, '-' or '_'"));
            }
            if self.store.get_town(&code).await?.is_some() {
                return Err(ServiceError::already_exists("code", "a town with this code exists"));
            }
            let town = Town {
                code: code.clone(),
                name: crate::validate::name("name", &r.name)?,
                county: p.county.clone(),
                county_name: String::new(),
                time_zone: "Asia/Shanghai".to_owned(),
            };
            self.store.upsert_town(&town).await?;
            let created = self.store.get_town(&code).await?.ok_or_else(|| ServiceError::not_found("town"))?;
            tracing::info!(town = %code, by = %p.subject, "town created");
            Ok(convert::town(created))
        }
        .await)
    }

    async fn get_town(&self, req: Request<pb::GetTownRequest>) -> Rpc<pb::Town> {
        ok(async {
            let p = self.principal(&req)?;
            Ok(convert::town(self.visible_town(&p, &req.get_ref().town).await?))
        }
        .await)
    }

    async fn get_town_summary(&self, req: Request<pb::GetTownSummaryRequest>) -> Rpc<pb::TownSummary> {
        ok(async {
            let p = self.principal(&req)?;
            let town = self.visible_town(&p, &req.get_ref().town).await?;
            let estates = self.store.all_estates(&town.code).await?;
            let communities = self.store.count_communities(&town.code).await?;
            let companies = self.store.count_property_companies(&town.code).await?;
            Ok(convert::summary(TownSummary::over(&town.code, &estates, communities, companies)))
        }
        .await)
    }

    async fn get_coverage(&self, req: Request<pb::GetCoverageRequest>) -> Rpc<pb::Coverage> {
        ok(async {
            let p = self.principal(&req)?;
            let town = self.visible_town(&p, &req.get_ref().town).await?;
            let estates = self.store.all_estates(&town.code).await?;
            Ok(convert::coverage(Coverage::over(&town.code, &estates)))
        }
        .await)
    }

    async fn list_communities(&self, req: Request<pb::ListCommunitiesRequest>) -> Rpc<pb::ListCommunitiesResponse> {
        ok(async {
            let p = self.principal(&req)?;
            let r = req.get_ref();
            let town = self.visible_town(&p, &r.town).await?;
            let page = Page::from_request(r.page.as_ref())?;
            let mut rows = self.store.list_communities(&town.code, &page).await?;
            let page = page.finish(&mut rows, |c| c.id.clone());
            Ok(pb::ListCommunitiesResponse {
                communities: rows.into_iter().map(convert::community).collect(),
                page: Some(page),
            })
        }
        .await)
    }

    async fn get_community(&self, req: Request<pb::GetByIdRequest>) -> Rpc<pb::Community> {
        ok(async {
            let p = self.principal(&req)?;
            let c = self
                .store
                .get_community(req.get_ref().id.trim())
                .await?
                .ok_or_else(|| ServiceError::not_found("community"))?;
            self.visible_town(&p, &c.town).await.map_err(|_| ServiceError::not_found("community"))?;
            Ok(convert::community(c))
        }
        .await)
    }

    async fn create_community(&self, req: Request<pb::CreateCommunityRequest>) -> Rpc<pb::Community> {
        ok(async {
            let p = self.principal(&req)?;
            let r = req.get_ref();
            let town = self.visible_town(&p, &r.town).await?;
            p.require(LEDGER_EDITORS)?;
            let c = Community {
                id: new_id(),
                town: town.code,
                name: crate::validate::name("name", &r.name)?,
                party_secretary: crate::validate::text("party_secretary", &r.party_secretary)?,
                unit_id: new_id(),
                version: 1,
            };
            Ok(convert::community(self.store.create_community(&c, &Self::ctx(&p, &r.idempotency_key)?).await?))
        }
        .await)
    }

    async fn list_property_companies(
        &self,
        req: Request<pb::ListPropertyCompaniesRequest>,
    ) -> Rpc<pb::ListPropertyCompaniesResponse> {
        ok(async {
            let p = self.principal(&req)?;
            let r = req.get_ref();
            let town = self.visible_town(&p, &r.town).await?;
            let page = Page::from_request(r.page.as_ref())?;
            let mut rows = self.store.list_property_companies(&town.code, &page).await?;
            let page = page.finish(&mut rows, |c| c.id.clone());
            Ok(pb::ListPropertyCompaniesResponse {
                property_companies: rows.into_iter().map(convert::property_company).collect(),
                page: Some(page),
            })
        }
        .await)
    }

    async fn get_property_company(&self, req: Request<pb::GetByIdRequest>) -> Rpc<pb::PropertyCompany> {
        ok(async {
            let p = self.principal(&req)?;
            let c = self
                .store
                .get_property_company(req.get_ref().id.trim())
                .await?
                .ok_or_else(|| ServiceError::not_found("property company"))?;
            self.visible_town(&p, &c.town).await.map_err(|_| ServiceError::not_found("property company"))?;
            Ok(convert::property_company(c))
        }
        .await)
    }

    async fn create_property_company(
        &self,
        req: Request<pb::CreatePropertyCompanyRequest>,
    ) -> Rpc<pb::PropertyCompany> {
        ok(async {
            let p = self.principal(&req)?;
            let r = req.get_ref();
            let town = self.visible_town(&p, &r.town).await?;
            p.require(LEDGER_EDITORS)?;
            let c = PropertyCompany {
                id: new_id(),
                town: town.code,
                name: crate::validate::name("name", &r.name)?,
                contact_person: crate::validate::text("contact_person", &r.contact_person)?,
                contact_phone: crate::validate::phone("contact_phone", &r.contact_phone)?,
                unit_id: new_id(),
                version: 1,
            };
            Ok(convert::property_company(
                self.store.create_property_company(&c, &Self::ctx(&p, &r.idempotency_key)?).await?,
            ))
        }
        .await)
    }

    async fn list_units(&self, req: Request<pb::ListUnitsRequest>) -> Rpc<pb::ListUnitsResponse> {
        ok(async {
            let p = self.principal(&req)?;
            let r = req.get_ref();
            let town = self.visible_town(&p, &r.town).await?;
            let unit_type = optional_enum::<UnitType>("unit_type", r.unit_type)?;
            let page = Page::from_request(r.page.as_ref())?;
            let mut rows = self.store.list_units(&town.code, unit_type, &page).await?;
            let page = page.finish(&mut rows, |u| u.id.clone());
            Ok(pb::ListUnitsResponse { units: rows.into_iter().map(convert::unit).collect(), page: Some(page) })
        }
        .await)
    }

    async fn get_unit(&self, req: Request<pb::GetByIdRequest>) -> Rpc<pb::Unit> {
        ok(async {
            let p = self.principal(&req)?;
            let u =
                self.store.get_unit(req.get_ref().id.trim()).await?.ok_or_else(|| ServiceError::not_found("unit"))?;
            self.visible_town(&p, &u.town).await.map_err(|_| ServiceError::not_found("unit"))?;
            Ok(convert::unit(u))
        }
        .await)
    }

    async fn create_unit(&self, req: Request<pb::CreateUnitRequest>) -> Rpc<pb::Unit> {
        ok(async {
            let p = self.principal(&req)?;
            let r = req.get_ref();
            let town = self.visible_town(&p, &r.town).await?;
            p.require(LEDGER_EDITORS)?;
            let unit_type = optional_enum::<UnitType>("unit_type", r.unit_type)?
                .ok_or_else(|| ServiceError::invalid("unit_type", "unit_type is required"))?;
            if matches!(unit_type, UnitType::Community | UnitType::PropertyCompany) {
                return Err(ServiceError::invalid(
                    "unit_type",
                    "community and property-company units are created with their community or company",
                ));
            }
            let u = Unit {
                id: new_id(),
                town: town.code,
                unit_type,
                name: crate::validate::name("name", &r.name)?,
                ref_id: None,
            };
            Ok(convert::unit(self.store.create_unit(&u, &Self::ctx(&p, &r.idempotency_key)?).await?))
        }
        .await)
    }

    async fn list_persons(&self, req: Request<pb::ListPersonsRequest>) -> Rpc<pb::ListPersonsResponse> {
        ok(async {
            let p = self.principal(&req)?;
            let r = req.get_ref();
            let town = self.visible_town(&p, &r.town).await?;
            let page = Page::from_request(r.page.as_ref())?;
            let unit = convert::opt(&r.unit_id);
            let mut rows = self.store.list_persons(&town.code, unit.as_deref(), &page).await?;
            let page = page.finish(&mut rows, |u| u.id.clone());
            let show = p.is_one_of(SEES_PHONES);
            Ok(pb::ListPersonsResponse {
                persons: rows.into_iter().map(|x| convert::person(x, show)).collect(),
                page: Some(page),
            })
        }
        .await)
    }

    async fn create_person(&self, req: Request<pb::CreatePersonRequest>) -> Rpc<pb::Person> {
        ok(async {
            let p = self.principal(&req)?;
            let r = req.get_ref();
            let town = self.visible_town(&p, &r.town).await?;
            p.require(LEDGER_EDITORS)?;
            match self.store.get_unit(r.unit_id.trim()).await? {
                Some(u) if u.town == town.code => {}
                _ => {
                    return Err(ServiceError::invalid("unit_id", "no such unit in this town"));
                }
            }
            let person = Person {
                id: new_id(),
                town: town.code,
                unit_id: r.unit_id.trim().to_owned(),
                name: crate::validate::name("name", &r.name)?,
                title: crate::validate::text("title", &r.title)?,
                phone: crate::validate::phone("phone", &r.phone)?,
                designated: r.designated,
            };
            Ok(convert::person(self.store.create_person(&person, &Self::ctx(&p, &r.idempotency_key)?).await?, true))
        }
        .await)
    }

    async fn designate_person(&self, req: Request<pb::DesignatePersonRequest>) -> Rpc<pb::Person> {
        ok(async {
            let p = self.principal(&req)?;
            let person = self.editable_person(&p, &req.get_ref().id).await?;
            Ok(convert::person(self.store.designate_person(&person).await?, true))
        }
        .await)
    }

    async fn update_person(&self, req: Request<pb::UpdatePersonRequest>) -> Rpc<pb::Person> {
        ok(async {
            let p = self.principal(&req)?;
            let r = req.get_ref();
            let person = self.editable_person(&p, &r.id).await?;
            let updated = Person {
                name: crate::validate::name("name", &r.name)?,
                title: crate::validate::text("title", &r.title)?,
                phone: crate::validate::phone("phone", &r.phone)?,
                ..person
            };
            Ok(convert::person(self.store.update_person(&updated).await?, true))
        }
        .await)
    }

    async fn remove_person(&self, req: Request<pb::RemovePersonRequest>) -> Rpc<pb::RemovePersonResponse> {
        ok(async {
            let p = self.principal(&req)?;
            let person = self.editable_person(&p, &req.get_ref().id).await?;
            if person.designated || !self.store.remove_person(&person.id).await? {
                return Err(ServiceError::new(
                    wuguan_platform::ErrorCode::FailedPrecondition,
                    "the unit's designated person cannot be removed; designate another first",
                ));
            }
            Ok(pb::RemovePersonResponse {})
        }
        .await)
    }

    async fn list_estates(&self, req: Request<pb::ListEstatesRequest>) -> Rpc<pb::ListEstatesResponse> {
        ok(async {
            let p = self.principal(&req)?;
            let r = req.get_ref();
            let town = self.visible_town(&p, &r.town).await?;
            let page = Page::from_request(r.page.as_ref())?;
            let name_contains = convert::opt(&r.name_contains);
            if name_contains.as_ref().is_some_and(|n| n.chars().count() > 100) {
                return Err(ServiceError::invalid("name_contains", "name_contains must be at most 100 characters"));
            }
            let filter = EstateFilter {
                community_id: convert::opt(&r.community_id),
                property_company_id: convert::opt(&r.property_company_id),
                management_mode: optional_enum::<ManagementMode>("management_mode", r.management_mode)?,
                is_old_estate: r.is_old_estate,
                target: optional_enum::<EstateTarget>("target", r.target)?,
                name_contains,
            };
            let mut rows = self.store.list_estates(&town.code, &filter, &page).await?;
            let page = page.finish(&mut rows, |e| e.id.clone());
            Ok(pb::ListEstatesResponse { estates: rows.into_iter().map(convert::estate).collect(), page: Some(page) })
        }
        .await)
    }

    async fn get_estate(&self, req: Request<pb::GetByIdRequest>) -> Rpc<pb::Estate> {
        ok(async {
            let p = self.principal(&req)?;
            Ok(convert::estate(self.visible_estate(&p, &req.get_ref().id).await?))
        }
        .await)
    }

    async fn create_estate(&self, req: Request<pb::CreateEstateRequest>) -> Rpc<pb::Estate> {
        ok(async {
            let p = self.principal(&req)?;
            let r = req.into_inner();
            let town = self.visible_town(&p, &r.town).await?;
            p.require(LEDGER_EDITORS)?;
            let data = crate::validate::apply_estate_patch(None, &convert::estate_patch(r.estate)?)?;
            self.check_estate_refs(&town.code, &data).await?;
            Ok(convert::estate(self.store.create_estate(&town.code, &data, &Self::ctx(&p, &r.idempotency_key)?).await?))
        }
        .await)
    }

    async fn update_estate(&self, req: Request<pb::UpdateEstateRequest>) -> Rpc<pb::Estate> {
        ok(async {
            let p = self.principal(&req)?;
            let r = req.into_inner();
            let current = self.visible_estate(&p, &r.id).await?;
            p.require(LEDGER_EDITORS)?;
            if r.expected_version < 0 {
                return Err(ServiceError::invalid("expected_version", "expected_version must not be negative"));
            }
            let data = crate::validate::apply_estate_patch(Some(&current.data), &convert::estate_patch(r.estate)?)?;
            self.check_estate_refs(&current.town, &data).await?;
            let expected = if r.expected_version == 0 { current.version } else { r.expected_version };
            Ok(convert::estate(self.store.update_estate(&current.id, expected, &data, &Self::ctx(&p, "")?).await?))
        }
        .await)
    }

    async fn list_estate_changes(
        &self,
        req: Request<pb::ListEstateChangesRequest>,
    ) -> Rpc<pb::ListEstateChangesResponse> {
        ok(async {
            let p = self.principal(&req)?;
            let r = req.get_ref();
            let estate = self.visible_estate(&p, &r.estate_id).await?;
            p.require(LEDGER_EDITORS)?;
            let page = Page::from_request(r.page.as_ref())?;
            let mut rows = self.store.list_estate_changes(&estate.id, &page).await?;
            let page = page.finish(&mut rows, |c| c.id.clone());
            Ok(pb::ListEstateChangesResponse {
                changes: rows.into_iter().map(convert::estate_change).collect(),
                page: Some(page),
            })
        }
        .await)
    }

    async fn get_estate_routing_facts(&self, req: Request<pb::GetByIdRequest>) -> Rpc<pb::EstateRoutingFacts> {
        ok(async {
            let p = self.principal(&req)?;
            let estate = self.visible_estate(&p, &req.get_ref().id).await?;
            let mut units = Vec::new();
            if let Some(c) = self.store.get_community(&estate.data.community_id).await?
                && let Some(contact) = self.store.unit_contact(&c.unit_id).await?
            {
                units.push(convert::unit_contact(contact));
            }
            if let Some(pc_id) = &estate.data.property_company_id
                && let Some(pc) = self.store.get_property_company(pc_id).await?
                && let Some(contact) = self.store.unit_contact(&pc.unit_id).await?
            {
                units.push(convert::unit_contact(contact));
            }
            units.extend(self.store.town_wide_units(&estate.town).await?.into_iter().map(convert::unit_contact));
            let county = self.store.get_town(&estate.town).await?.map(|t| t.county).unwrap_or_default();
            Ok(pb::EstateRoutingFacts {
                county,
                estate_id: estate.id,
                town: estate.town,
                estate_name: estate.data.name,
                community_id: estate.data.community_id,
                property_company_id: estate.data.property_company_id.unwrap_or_default(),
                management_mode: i32::from(estate.data.management_mode),
                is_old_estate: estate.data.is_old_estate,
                units,
            })
        }
        .await)
    }

    async fn import_estates(&self, req: Request<pb::ImportEstatesRequest>) -> Rpc<pb::ImportEstatesResponse> {
        ok(async {
            let p = self.principal(&req)?;
            self.do_import(&p, req.into_inner()).await
        }
        .await)
    }

    async fn export_estates(&self, req: Request<pb::ExportEstatesRequest>) -> Rpc<pb::ExportEstatesResponse> {
        ok(async {
            let p = self.principal(&req)?;
            let town = self.visible_town(&p, &req.get_ref().town).await?;
            let estates = self.store.all_estates(&town.code).await?;
            let communities = self.all_communities(&town.code).await?;
            let companies = self.all_companies(&town.code).await?;
            Ok(pb::ExportEstatesResponse { csv: crate::csv_io::export(&estates, &communities, &companies)? })
        }
        .await)
    }
}

#[tonic::async_trait]
impl<S: RegistryStore> AccountService for RegistryGrpc<S> {
    async fn authenticate(&self, req: Request<pb::AuthenticateRequest>) -> Rpc<pb::Account> {
        ok(async {
            let r = req.into_inner();
            let username = r.username.trim().to_owned();
            if username.is_empty() || username.len() > 100 {
                return Err(ServiceError::invalid("username", "username is required"));
            }
            if r.password.is_empty() || r.password.len() > 1024 {
                return Err(ServiceError::invalid("password", "password is required"));
            }
            let found = self.store.find_account(&username).await?;
            let now = wuguan_platform::db::now_ms();
            if found.is_some() {
                let locked_until = self.store.sign_in_locked_until(&username).await?.unwrap_or(0);
                if locked_until > now {
                    return Err(locked(locked_until));
                }
            }
            let (account, hash) = match found {
                Some((a, h)) => (Some(a), h),
                None => (None, crate::password::decoy_hash().to_owned()),
            };
            let password = r.password;
            let verified = tokio::task::spawn_blocking(move || crate::password::verify(&password, &hash))
                .await
                .map_err(ServiceError::internal)?;
            match account {
                // Only someone who knows the password learns that the account was stopped.
                Some(a) if verified && a.disabled => {
                    Err(ServiceError::unauthenticated("this account has been stopped; ask the town office"))
                }
                Some(a) if verified => {
                    self.store.clear_failed_sign_ins(&a.username).await?;
                    Ok(convert::account(a))
                }
                Some(a) => {
                    let lock_until = now + SIGN_IN_LOCK.as_millis() as i64;
                    let locked_until =
                        self.store.record_failed_sign_in(&a.username, MAX_FAILED_SIGN_INS, lock_until).await?;
                    if locked_until > now {
                        tracing::warn!(username = %a.username, "sign-in locked after repeated failures");
                        return Err(locked(locked_until));
                    }
                    Err(ServiceError::unauthenticated("invalid username or password"))
                }
                None => Err(ServiceError::unauthenticated("invalid username or password")),
            }
        }
        .await)
    }

    async fn create_account(&self, req: Request<pb::CreateAccountRequest>) -> Rpc<pb::Account> {
        ok(async {
            let p = self.principal(&req)?;
            let r = req.into_inner();
            p.require(LEDGER_EDITORS)?;
            let role = Role::from_wire(r.role)
                .ok()
                .flatten()
                .ok_or_else(|| ServiceError::invalid("role", "role is required"))?;
            let username = r.username.trim().to_owned();
            if username.len() < 3
                || username.len() > 64
                || !username.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
            {
                return Err(ServiceError::invalid(
                    "username",
                    "username must be 3–64 characters of letters, digits, '.', '_' or '-'",
                ));
            }
            new_password("password", &r.password)?;
            let (town, county) = match role {
                Role::County => {
                    p.require(&[Role::County])?;
                    (None, p.county.clone())
                }
                Role::Service => {
                    return Err(ServiceError::invalid("role", "service principals use tokens from `wuguan token`"));
                }
                _ => {
                    let t = self.visible_town(&p, &r.town).await?;
                    (Some(t.code), t.county)
                }
            };
            let unit_id = convert::opt(&r.unit_id);
            if let Some(u) = &unit_id {
                match self.store.get_unit(u).await? {
                    Some(unit) if Some(&unit.town) == town.as_ref() => {}
                    _ => {
                        return Err(ServiceError::invalid("unit_id", "no such unit in this town"));
                    }
                }
            }
            let estate_id = convert::opt(&r.estate_id);
            if let Some(e) = &estate_id {
                if role != Role::OwnerRep {
                    return Err(ServiceError::invalid(
                        "estate_id",
                        "only an owner representative's account has an estate",
                    ));
                }
                match self.store.get_estate(e).await? {
                    Some(estate) if Some(&estate.town) == town.as_ref() => {}
                    _ => return Err(ServiceError::invalid("estate_id", "no such estate in this town")),
                }
            }
            let hash = hash_password(r.password).await?;
            let account = Account {
                username,
                role,
                town,
                county,
                unit_id,
                estate_id,
                display_name: crate::validate::text("display_name", &r.display_name)?,
                disabled: false,
            };
            Ok(convert::account(self.store.create_account(&account, &hash).await?))
        }
        .await)
    }

    async fn list_accounts(&self, req: Request<pb::ListAccountsRequest>) -> Rpc<pb::ListAccountsResponse> {
        ok(async {
            let p = self.principal(&req)?;
            let r = req.get_ref();
            let town = self.visible_town(&p, &r.town).await?;
            p.require(LEDGER_EDITORS)?;
            let page = Page::from_request(r.page.as_ref())?;
            let mut rows = self.store.list_accounts(&town.code, &page).await?;
            let page = page.finish(&mut rows, |a| a.username.clone());
            Ok(pb::ListAccountsResponse {
                accounts: rows.into_iter().map(convert::account).collect(),
                page: Some(page),
            })
        }
        .await)
    }

    async fn change_password(&self, req: Request<pb::ChangePasswordRequest>) -> Rpc<pb::Account> {
        ok(async {
            let p = self.principal(&req)?;
            let r = req.into_inner();
            let (account, hash) = self
                .store
                .find_account(&p.subject)
                .await?
                .ok_or_else(|| ServiceError::permission_denied("this token belongs to no account"))?;
            if r.current_password.is_empty() || r.current_password.len() > 1024 {
                return Err(ServiceError::invalid("current_password", "current_password is required"));
            }
            new_password("new_password", &r.new_password)?;
            if r.new_password == r.current_password {
                return Err(ServiceError::invalid("new_password", "the new password must differ from the current one"));
            }
            let current = r.current_password;
            let verified = tokio::task::spawn_blocking(move || crate::password::verify(&current, &hash))
                .await
                .map_err(ServiceError::internal)?;
            if !verified {
                return Err(ServiceError::invalid("current_password", "the current password is wrong"));
            }
            let hash = hash_password(r.new_password).await?;
            self.store.set_password_hash(&account.username, &hash).await?;
            tracing::info!(username = %account.username, "password changed");
            Ok(convert::account(account))
        }
        .await)
    }

    async fn reset_password(&self, req: Request<pb::ResetPasswordRequest>) -> Rpc<pb::Account> {
        ok(async {
            let p = self.principal(&req)?;
            let r = req.into_inner();
            let account = self.managed_account(&p, &r.username).await?;
            new_password("new_password", &r.new_password)?;
            let hash = hash_password(r.new_password).await?;
            self.store.set_password_hash(&account.username, &hash).await?;
            tracing::info!(username = %account.username, by = %p.subject, "password reset");
            Ok(convert::account(account))
        }
        .await)
    }

    async fn set_account_disabled(&self, req: Request<pb::SetAccountDisabledRequest>) -> Rpc<pb::Account> {
        ok(async {
            let p = self.principal(&req)?;
            let r = req.into_inner();
            let account = self.managed_account(&p, &r.username).await?;
            if account.username == p.subject {
                return Err(ServiceError::invalid("username", "you cannot stop your own account"));
            }
            self.store.set_account_disabled(&account.username, r.disabled).await?;
            tracing::info!(username = %account.username, disabled = r.disabled, by = %p.subject, "account stopped or restarted");
            Ok(convert::account(Account { disabled: r.disabled, ..account }))
        }
        .await)
    }
}

impl<S: RegistryStore> RegistryGrpc<S> {
    /// The person `id` if `p` may edit the ledger of their town; another town's people are as
    /// absent as unknown ones.
    async fn editable_person(&self, p: &Principal, id: &str) -> ServiceResult<Person> {
        p.require(LEDGER_EDITORS)?;
        let person = self.store.get_person(id.trim()).await?.ok_or_else(|| ServiceError::not_found("person"))?;
        self.visible_town(p, &person.town).await.map_err(|_| ServiceError::not_found("person"))?;
        Ok(person)
    }

    /// The account `username` if `p` may manage it (reset its password, stop it); other towns'
    /// accounts are as absent as unknown ones.
    async fn managed_account(&self, p: &Principal, username: &str) -> ServiceResult<Account> {
        p.require(LEDGER_EDITORS)?;
        match self.store.find_account(username.trim()).await? {
            Some((a, _)) if may_manage(p, &a) => Ok(a),
            _ => Err(ServiceError::not_found("account")),
        }
    }
}

/// Failed sign-ins in a row that lock an account, and for how long: enough for a mistyped
/// password, far too few to guess one.
const MAX_FAILED_SIGN_INS: u32 = 5;
const SIGN_IN_LOCK: std::time::Duration = std::time::Duration::from_secs(15 * 60);

fn locked(until_ms: i64) -> ServiceError {
    let minutes = ((until_ms - wuguan_platform::db::now_ms()) / 60_000 + 1).max(1);
    ServiceError::unauthenticated(format!(
        "too many failed sign-ins: the account is locked for {minutes} more minute(s); the town office can set a new password"
    ))
}

/// A password someone chooses: 8 to 1024 bytes, at least 8 characters.
fn new_password(field: &str, password: &str) -> ServiceResult<()> {
    if password.chars().count() < 8 || password.len() > 1024 {
        return Err(ServiceError::invalid(field, format!("{field} must be at least 8 characters")));
    }
    Ok(())
}

/// Argon2 on the blocking pool: it is deliberately slow.
async fn hash_password(password: String) -> ServiceResult<String> {
    tokio::task::spawn_blocking(move || crate::password::hash(&password))
        .await
        .map_err(ServiceError::internal)?
        .map_err(ServiceError::internal)
}

/// Whether `p` may reset `account`'s password: the town office its own town's accounts; the
/// county every account of its county.
fn may_manage(p: &Principal, account: &Account) -> bool {
    match p.role {
        Role::TownOffice => account.town.is_some() && account.town == p.town && account.role != Role::County,
        Role::County => account.county == p.county,
        _ => false,
    }
}
