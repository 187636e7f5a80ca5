//! `RegistryService`: the ledger — towns, communities, property companies, units and their
//! persons, estates (with their change log, CSV import and export) and routing facts.

use super::*;
use crate::store::ImportRow;

impl<S: RegistryStore> RegistryGrpc<S> {
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

impl<S: RegistryStore> RegistryGrpc<S> {
    /// The person `id` if `p` may edit the ledger of their town; another town's people are as
    /// absent as unknown ones.
    async fn editable_person(&self, p: &Principal, id: &str) -> ServiceResult<Person> {
        p.require(LEDGER_EDITORS)?;
        let person = self.store.get_person(id.trim()).await?.ok_or_else(|| ServiceError::not_found("person"))?;
        self.visible_town(p, &person.town).await.map_err(|_| ServiceError::not_found("person"))?;
        Ok(person)
    }
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
