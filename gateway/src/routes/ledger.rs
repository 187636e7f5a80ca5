//! The ledger (台账) over HTTP: towns, summaries, coverage, estates, communities, property
//! companies, units, persons, accounts, CSV import and export. Each handler is a thin
//! translation to one registry RPC; the registry authorises and validates.

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Bearer, IdempotencyKey, JsonBody, QueryParams, body_bytes};
use crate::views::ledger::*;
use crate::views::{Page, PageQuery};
use crate::vocab::wire;
use axum::Json;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use wuguan_platform::ErrorCode;
use wuguan_proto::registry::v1 as pb;
use wuguan_proto::vocab::common::UnitType;
use wuguan_proto::vocab::registry::{EstateTarget, ManagementMode};

#[utoipa::path(
    get,
    path = "/api/v1/towns",
    operation_id = "list_towns",
    tag = "ledger",
    summary = "Towns the caller may see",
    responses((status = 200, description = "success", body = TownList)),
)]
pub async fn list_towns(State(s): State<AppState>, bearer: Bearer) -> ApiResult<Json<TownList>> {
    let resp = s.upstreams.registry().list_towns(s.upstreams.request(&bearer, pb::ListTownsRequest {})).await?;
    Ok(Json(TownList { items: resp.into_inner().towns.into_iter().map(TownView::from).collect() }))
}

/// Public: the towns a resident may report to, without signing in.
#[utoipa::path(
    get,
    path = "/api/v1/directory/towns",
    operation_id = "town_directory",
    tag = "ledger",
    summary = "Every town's code and name (public, for residents)",
    responses((status = 200, description = "success", body = TownList)),
    security(),
)]
pub async fn town_directory(State(s): State<AppState>) -> ApiResult<Json<TownList>> {
    let req = s.upstreams.request(&Bearer(None), pb::ListTownsRequest {});
    let resp = s.upstreams.registry().list_town_directory(req).await?;
    Ok(Json(TownList { items: resp.into_inner().towns.into_iter().map(TownView::from).collect() }))
}

/// `POST /towns`: the county adds a town.
#[utoipa::path(
    post,
    path = "/api/v1/towns",
    operation_id = "create_town",
    tag = "ledger",
    summary = "Add a town to the county (county)",
    request_body = TownInput,
    responses((status = 201, description = "success", body = TownView)),
)]
pub async fn create_town(
    State(s): State<AppState>,
    bearer: Bearer,
    JsonBody(input): JsonBody<TownInput>,
) -> ApiResult<(StatusCode, Json<TownView>)> {
    let req = pb::CreateTownRequest { code: input.code, name: input.name };
    let resp = s.upstreams.registry().create_town(s.upstreams.request(&bearer, req)).await?;
    Ok((StatusCode::CREATED, Json(resp.into_inner().into())))
}

#[utoipa::path(
    get,
    path = "/api/v1/towns/{town}",
    operation_id = "get_town",
    tag = "ledger",
    summary = "One town",
    params(("town" = String, Path, description = "town code, e.g. zhongxing")),
    responses((status = 200, description = "success", body = TownView)),
)]
pub async fn get_town(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(town): Path<String>,
) -> ApiResult<Json<TownView>> {
    let resp = s.upstreams.registry().get_town(s.upstreams.request(&bearer, pb::GetTownRequest { town })).await?;
    Ok(Json(resp.into_inner().into()))
}

#[utoipa::path(
    get,
    path = "/api/v1/towns/{town}/summary",
    operation_id = "get_town_summary",
    tag = "ledger",
    summary = "Totals over the town's estates",
    params(("town" = String, Path, description = "town code, e.g. zhongxing")),
    responses((status = 200, description = "success", body = SummaryView)),
)]
pub async fn summary(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(town): Path<String>,
) -> ApiResult<Json<SummaryView>> {
    let resp = s
        .upstreams
        .registry()
        .get_town_summary(s.upstreams.request(&bearer, pb::GetTownSummaryRequest { town }))
        .await?;
    Ok(Json(resp.into_inner().into()))
}

#[utoipa::path(
    get,
    path = "/api/v1/towns/{town}/coverage",
    operation_id = "get_coverage",
    tag = "ledger",
    summary = "Property-management coverage of old estates",
    params(("town" = String, Path, description = "town code, e.g. zhongxing")),
    responses((status = 200, description = "success", body = CoverageView)),
)]
pub async fn coverage(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(town): Path<String>,
) -> ApiResult<Json<CoverageView>> {
    let resp =
        s.upstreams.registry().get_coverage(s.upstreams.request(&bearer, pb::GetCoverageRequest { town })).await?;
    Ok(Json(resp.into_inner().into()))
}

#[utoipa::path(
    get,
    path = "/api/v1/towns/{town}/estates",
    operation_id = "list_estates",
    tag = "ledger",
    summary = "List estates (filters, paginated)",
    params(("town" = String, Path, description = "town code, e.g. zhongxing"), EstateQuery),
    responses((status = 200, description = "success", body = Page<EstateView>)),
)]
pub async fn list_estates(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(town): Path<String>,
    QueryParams(q): QueryParams<EstateQuery>,
) -> ApiResult<Json<Page<EstateView>>> {
    let req = pb::ListEstatesRequest {
        town,
        community_id: q.community_id.unwrap_or_default(),
        property_company_id: q.property_company_id.unwrap_or_default(),
        management_mode: q
            .management_mode
            .as_deref()
            .map(|m| wire::<ManagementMode>("management_mode", m))
            .transpose()?
            .unwrap_or(0),
        is_old_estate: q.is_old_estate,
        target: q.target.as_deref().map(|t| wire::<EstateTarget>("target", t)).transpose()?.unwrap_or(0),
        name_contains: q.q.unwrap_or_default(),
        page: PageQuery { page_size: q.page_size, page_token: q.page_token }.to_pb(),
    };
    let resp = s.upstreams.registry().list_estates(s.upstreams.request(&bearer, req)).await?.into_inner();
    Ok(Json(Page::new(resp.estates.into_iter().map(EstateView::from).collect(), resp.page)))
}

#[utoipa::path(
    post,
    path = "/api/v1/towns/{town}/estates",
    operation_id = "create_estate",
    tag = "ledger",
    summary = "Create an estate (Idempotency-Key honoured)",
    params(("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key returns the first result"), ("town" = String, Path, description = "town code, e.g. zhongxing")),
    request_body = EstateInput,
    responses((status = 201, description = "success", body = EstateView)),
)]
pub async fn create_estate(
    State(s): State<AppState>,
    bearer: Bearer,
    IdempotencyKey(key): IdempotencyKey,
    Path(town): Path<String>,
    JsonBody(input): JsonBody<EstateInput>,
) -> ApiResult<(StatusCode, Json<EstateView>)> {
    if input.expected_version.is_some() {
        return Err(ApiError::invalid("expected_version", "expected_version applies to PATCH only"));
    }
    let req = pb::CreateEstateRequest { town, estate: Some(input.to_pb()?), idempotency_key: key };
    let resp = s.upstreams.registry().create_estate(s.upstreams.request(&bearer, req)).await?;
    Ok((StatusCode::CREATED, Json(resp.into_inner().into())))
}

#[utoipa::path(
    get,
    path = "/api/v1/estates/{id}",
    operation_id = "get_estate",
    tag = "ledger",
    summary = "One estate",
    params(("id" = String, Path, description = "the record's id")),
    responses((status = 200, description = "success", body = EstateView)),
)]
pub async fn get_estate(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
) -> ApiResult<Json<EstateView>> {
    let resp = s.upstreams.registry().get_estate(s.upstreams.request(&bearer, pb::GetByIdRequest { id })).await?;
    Ok(Json(resp.into_inner().into()))
}

#[utoipa::path(
    patch,
    path = "/api/v1/estates/{id}",
    operation_id = "update_estate",
    tag = "ledger",
    summary = "Change an estate's fields (expected_version: 409 if changed meanwhile)",
    params(("id" = String, Path, description = "the record's id")),
    request_body = EstateInput,
    responses((status = 200, description = "success", body = EstateView)),
)]
pub async fn update_estate(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<EstateInput>,
) -> ApiResult<Json<EstateView>> {
    let req = pb::UpdateEstateRequest {
        id,
        estate: Some(input.to_pb()?),
        expected_version: input.expected_version.unwrap_or(0),
    };
    let resp = s.upstreams.registry().update_estate(s.upstreams.request(&bearer, req)).await?;
    Ok(Json(resp.into_inner().into()))
}

#[utoipa::path(
    get,
    path = "/api/v1/estates/{id}/changes",
    operation_id = "list_estate_changes",
    tag = "ledger",
    summary = "The estate's change history",
    params(("id" = String, Path, description = "the record's id"), PageQuery),
    responses((status = 200, description = "success", body = Page<EstateChangeView>)),
)]
pub async fn estate_changes(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(estate_id): Path<String>,
    QueryParams(q): QueryParams<PageQuery>,
) -> ApiResult<Json<Page<EstateChangeView>>> {
    let req = pb::ListEstateChangesRequest { estate_id, page: q.to_pb() };
    let resp = s.upstreams.registry().list_estate_changes(s.upstreams.request(&bearer, req)).await?.into_inner();
    Ok(Json(Page::new(resp.changes.into_iter().map(EstateChangeView::from).collect(), resp.page)))
}

#[utoipa::path(
    get,
    path = "/api/v1/estates/{id}/routing",
    operation_id = "get_routing_facts",
    tag = "ledger",
    summary = "Units a complaint about the estate goes to",
    params(("id" = String, Path, description = "the record's id")),
    responses((status = 200, description = "success", body = RoutingFactsView)),
)]
pub async fn routing_facts(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
) -> ApiResult<Json<RoutingFactsView>> {
    let resp = s
        .upstreams
        .registry()
        .get_estate_routing_facts(s.upstreams.request(&bearer, pb::GetByIdRequest { id }))
        .await?;
    Ok(Json(resp.into_inner().into()))
}

#[utoipa::path(
    get,
    path = "/api/v1/towns/{town}/communities",
    operation_id = "list_communities",
    tag = "ledger",
    summary = "List neighbourhood committees",
    params(("town" = String, Path, description = "town code, e.g. zhongxing"), PageQuery),
    responses((status = 200, description = "success", body = Page<CommunityView>)),
)]
pub async fn list_communities(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(town): Path<String>,
    QueryParams(q): QueryParams<PageQuery>,
) -> ApiResult<Json<Page<CommunityView>>> {
    let req = pb::ListCommunitiesRequest { town, page: q.to_pb() };
    let resp = s.upstreams.registry().list_communities(s.upstreams.request(&bearer, req)).await?.into_inner();
    Ok(Json(Page::new(resp.communities.into_iter().map(CommunityView::from).collect(), resp.page)))
}

#[utoipa::path(
    get,
    path = "/api/v1/communities/{id}",
    operation_id = "get_community",
    tag = "ledger",
    summary = "One neighbourhood committee",
    params(("id" = String, Path, description = "the record's id")),
    responses((status = 200, description = "success", body = CommunityView)),
)]
pub async fn get_community(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
) -> ApiResult<Json<CommunityView>> {
    let resp = s.upstreams.registry().get_community(s.upstreams.request(&bearer, pb::GetByIdRequest { id })).await?;
    Ok(Json(resp.into_inner().into()))
}

#[utoipa::path(
    post,
    path = "/api/v1/towns/{town}/communities",
    operation_id = "create_community",
    tag = "ledger",
    summary = "Create a neighbourhood committee",
    params(("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key returns the first result"), ("town" = String, Path, description = "town code, e.g. zhongxing")),
    request_body = CommunityInput,
    responses((status = 201, description = "success", body = CommunityView)),
)]
pub async fn create_community(
    State(s): State<AppState>,
    bearer: Bearer,
    IdempotencyKey(key): IdempotencyKey,
    Path(town): Path<String>,
    JsonBody(input): JsonBody<CommunityInput>,
) -> ApiResult<(StatusCode, Json<CommunityView>)> {
    let req = pb::CreateCommunityRequest {
        town,
        name: input.name,
        party_secretary: input.party_secretary,
        idempotency_key: key,
    };
    let resp = s.upstreams.registry().create_community(s.upstreams.request(&bearer, req)).await?;
    Ok((StatusCode::CREATED, Json(resp.into_inner().into())))
}

#[utoipa::path(
    get,
    path = "/api/v1/towns/{town}/property-companies",
    operation_id = "list_property_companies",
    tag = "ledger",
    summary = "List property companies",
    params(("town" = String, Path, description = "town code, e.g. zhongxing"), PageQuery),
    responses((status = 200, description = "success", body = Page<PropertyCompanyView>)),
)]
pub async fn list_property_companies(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(town): Path<String>,
    QueryParams(q): QueryParams<PageQuery>,
) -> ApiResult<Json<Page<PropertyCompanyView>>> {
    let req = pb::ListPropertyCompaniesRequest { town, page: q.to_pb() };
    let resp = s.upstreams.registry().list_property_companies(s.upstreams.request(&bearer, req)).await?.into_inner();
    Ok(Json(Page::new(resp.property_companies.into_iter().map(PropertyCompanyView::from).collect(), resp.page)))
}

#[utoipa::path(
    get,
    path = "/api/v1/property-companies/{id}",
    operation_id = "get_property_company",
    tag = "ledger",
    summary = "One property company",
    params(("id" = String, Path, description = "the record's id")),
    responses((status = 200, description = "success", body = PropertyCompanyView)),
)]
pub async fn get_property_company(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
) -> ApiResult<Json<PropertyCompanyView>> {
    let resp =
        s.upstreams.registry().get_property_company(s.upstreams.request(&bearer, pb::GetByIdRequest { id })).await?;
    Ok(Json(resp.into_inner().into()))
}

#[utoipa::path(
    post,
    path = "/api/v1/towns/{town}/property-companies",
    operation_id = "create_property_company",
    tag = "ledger",
    summary = "Create a property company",
    params(("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key returns the first result"), ("town" = String, Path, description = "town code, e.g. zhongxing")),
    request_body = PropertyCompanyInput,
    responses((status = 201, description = "success", body = PropertyCompanyView)),
)]
pub async fn create_property_company(
    State(s): State<AppState>,
    bearer: Bearer,
    IdempotencyKey(key): IdempotencyKey,
    Path(town): Path<String>,
    JsonBody(input): JsonBody<PropertyCompanyInput>,
) -> ApiResult<(StatusCode, Json<PropertyCompanyView>)> {
    let req = pb::CreatePropertyCompanyRequest {
        town,
        name: input.name,
        contact_person: input.contact_person,
        contact_phone: input.contact_phone,
        idempotency_key: key,
    };
    let resp = s.upstreams.registry().create_property_company(s.upstreams.request(&bearer, req)).await?;
    Ok((StatusCode::CREATED, Json(resp.into_inner().into())))
}

#[utoipa::path(
    get,
    path = "/api/v1/towns/{town}/units",
    operation_id = "list_units",
    tag = "ledger",
    summary = "List responsible units",
    params(("town" = String, Path, description = "town code, e.g. zhongxing"), UnitQuery),
    responses((status = 200, description = "success", body = Page<UnitView>)),
)]
pub async fn list_units(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(town): Path<String>,
    QueryParams(q): QueryParams<UnitQuery>,
) -> ApiResult<Json<Page<UnitView>>> {
    let unit_type = q.unit_type.as_deref().map(|t| wire::<UnitType>("unit_type", t)).transpose()?;
    let req = pb::ListUnitsRequest {
        town,
        unit_type: unit_type.unwrap_or(0),
        page: PageQuery { page_size: q.page_size, page_token: q.page_token }.to_pb(),
    };
    let resp = s.upstreams.registry().list_units(s.upstreams.request(&bearer, req)).await?.into_inner();
    Ok(Json(Page::new(resp.units.into_iter().map(UnitView::from).collect(), resp.page)))
}

#[utoipa::path(
    get,
    path = "/api/v1/units/{id}",
    operation_id = "get_unit",
    tag = "ledger",
    summary = "One responsible unit",
    params(("id" = String, Path, description = "the record's id")),
    responses((status = 200, description = "success", body = UnitView)),
)]
pub async fn get_unit(State(s): State<AppState>, bearer: Bearer, Path(id): Path<String>) -> ApiResult<Json<UnitView>> {
    let resp = s.upstreams.registry().get_unit(s.upstreams.request(&bearer, pb::GetByIdRequest { id })).await?;
    Ok(Json(resp.into_inner().into()))
}

#[utoipa::path(
    post,
    path = "/api/v1/towns/{town}/units",
    operation_id = "create_unit",
    tag = "ledger",
    summary = "Create a responsible unit",
    params(("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key returns the first result"), ("town" = String, Path, description = "town code, e.g. zhongxing")),
    request_body = UnitInput,
    responses((status = 201, description = "success", body = UnitView)),
)]
pub async fn create_unit(
    State(s): State<AppState>,
    bearer: Bearer,
    IdempotencyKey(key): IdempotencyKey,
    Path(town): Path<String>,
    JsonBody(input): JsonBody<UnitInput>,
) -> ApiResult<(StatusCode, Json<UnitView>)> {
    let req = pb::CreateUnitRequest {
        town,
        unit_type: wire::<UnitType>("unit_type", &input.unit_type)?,
        name: input.name,
        idempotency_key: key,
    };
    let resp = s.upstreams.registry().create_unit(s.upstreams.request(&bearer, req)).await?;
    Ok((StatusCode::CREATED, Json(resp.into_inner().into())))
}

#[utoipa::path(
    get,
    path = "/api/v1/towns/{town}/persons",
    operation_id = "list_persons",
    tag = "ledger",
    summary = "List responsible persons",
    params(("town" = String, Path, description = "town code, e.g. zhongxing"), PersonQuery),
    responses((status = 200, description = "success", body = Page<PersonView>)),
)]
pub async fn list_persons(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(town): Path<String>,
    QueryParams(q): QueryParams<PersonQuery>,
) -> ApiResult<Json<Page<PersonView>>> {
    let req = pb::ListPersonsRequest {
        town,
        unit_id: q.unit_id.unwrap_or_default(),
        page: PageQuery { page_size: q.page_size, page_token: q.page_token }.to_pb(),
    };
    let resp = s.upstreams.registry().list_persons(s.upstreams.request(&bearer, req)).await?.into_inner();
    Ok(Json(Page::new(resp.persons.into_iter().map(PersonView::from).collect(), resp.page)))
}

#[utoipa::path(
    post,
    path = "/api/v1/towns/{town}/persons",
    operation_id = "create_person",
    tag = "ledger",
    summary = "Create a responsible person",
    params(("Idempotency-Key" = Option<String>, Header, description = "a retry with the same key returns the first result"), ("town" = String, Path, description = "town code, e.g. zhongxing")),
    request_body = PersonInput,
    responses((status = 201, description = "success", body = PersonView)),
)]
pub async fn create_person(
    State(s): State<AppState>,
    bearer: Bearer,
    IdempotencyKey(key): IdempotencyKey,
    Path(town): Path<String>,
    JsonBody(input): JsonBody<PersonInput>,
) -> ApiResult<(StatusCode, Json<PersonView>)> {
    let req = pb::CreatePersonRequest {
        town,
        unit_id: input.unit_id,
        name: input.name,
        title: input.title,
        phone: input.phone,
        designated: input.designated,
        idempotency_key: key,
    };
    let resp = s.upstreams.registry().create_person(s.upstreams.request(&bearer, req)).await?;
    Ok((StatusCode::CREATED, Json(resp.into_inner().into())))
}

#[utoipa::path(
    get,
    path = "/api/v1/towns/{town}/accounts",
    operation_id = "list_accounts",
    tag = "accounts",
    summary = "List the town's accounts",
    params(("town" = String, Path, description = "town code, e.g. zhongxing"), PageQuery),
    responses((status = 200, description = "success", body = Page<AccountView>)),
)]
pub async fn list_accounts(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(town): Path<String>,
    QueryParams(q): QueryParams<PageQuery>,
) -> ApiResult<Json<Page<AccountView>>> {
    let req = pb::ListAccountsRequest { town, page: q.to_pb() };
    let resp = s.upstreams.accounts().list_accounts(s.upstreams.request(&bearer, req)).await?.into_inner();
    Ok(Json(Page::new(resp.accounts.into_iter().map(AccountView::from).collect(), resp.page)))
}

#[utoipa::path(
    post,
    path = "/api/v1/towns/{town}/accounts",
    operation_id = "create_account",
    tag = "accounts",
    summary = "Create an account",
    params(("town" = String, Path, description = "town code, e.g. zhongxing")),
    request_body = AccountInput,
    responses((status = 201, description = "success", body = AccountView)),
)]
pub async fn create_account(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(town): Path<String>,
    JsonBody(input): JsonBody<AccountInput>,
) -> ApiResult<(StatusCode, Json<AccountView>)> {
    let role = wuguan_platform::Role::parse(&input.role)
        .ok_or_else(|| ApiError::invalid("role", format!("unknown role {:?}", input.role)))?;
    let req = pb::CreateAccountRequest {
        username: input.username,
        password: input.password,
        role: role.to_wire() as i32,
        town,
        unit_id: input.unit_id,
        display_name: input.display_name,
        estate_id: input.estate_id,
    };
    let resp = s.upstreams.accounts().create_account(s.upstreams.request(&bearer, req)).await?;
    Ok((StatusCode::CREATED, Json(resp.into_inner().into())))
}

/// `POST /towns/{town}/estates/import` with a `text/csv` body. 200 with counts when written;
/// 400 with every bad row (line and field) when not, and nothing is written.
#[utoipa::path(
    post,
    path = "/api/v1/towns/{town}/estates/import",
    operation_id = "import_estates",
    tag = "ledger",
    summary = "Import estates from CSV (all or nothing; dry_run checks without writing)",
    params(("town" = String, Path, description = "town code, e.g. zhongxing"), ImportQuery),
    request_body(
        description = "the ledger's CSV (UTF-8 or GB18030, a header row of field names or their Chinese labels), sent as text/csv or as a file",
        content((String = "text/csv"), (CsvFile = "application/octet-stream")),
    ),
    responses((status = 200, description = "success", body = ImportView)),
)]
pub async fn import_estates(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(town): Path<String>,
    QueryParams(q): QueryParams<ImportQuery>,
    request: Request,
) -> ApiResult<Response> {
    crate::extract::require_csv(request.headers())?;
    let csv = body_bytes(request, &s).await?;
    let req = pb::ImportEstatesRequest { town, csv: csv.to_vec(), dry_run: q.dry_run };
    let resp = s.upstreams.registry().import_estates(s.upstreams.request(&bearer, req)).await?.into_inner();
    let failed = !resp.errors.is_empty();
    let view = ImportView {
        created: resp.created,
        updated: resp.updated,
        dry_run: q.dry_run,
        errors: resp
            .errors
            .into_iter()
            .map(|e| ImportRowErrorView { line: e.line, field: e.field, message: e.message })
            .collect(),
    };
    if failed {
        let first = &view.errors[0];
        let body = serde_json::json!({
            "error": {
                "code": ErrorCode::InvalidArgument.as_str(),
                "message": format!("line {}: {}", first.line, first.message),
                "field": first.field,
            },
            "errors": view.errors,
        });
        return Ok((StatusCode::BAD_REQUEST, Json(body)).into_response());
    }
    Ok(Json(view).into_response())
}

#[utoipa::path(
    get,
    path = "/api/v1/towns/{town}/estates/export",
    operation_id = "export_estates",
    tag = "ledger",
    summary = "Export the estate ledger as CSV",
    params(("town" = String, Path, description = "town code, e.g. zhongxing")),
    responses((status = 200, description = "the ledger as CSV", body = String, content_type = "text/csv")),
)]
pub async fn export_estates(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(town): Path<String>,
) -> ApiResult<Response> {
    let req = pb::ExportEstatesRequest { town: town.clone() };
    let resp = s.upstreams.registry().export_estates(s.upstreams.request(&bearer, req)).await?.into_inner();
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{town}-estates.csv\"")),
        ],
        resp.csv,
    )
        .into_response())
}

/// `POST /me/password`: the signed-in account changes its own password.
#[utoipa::path(
    post,
    path = "/api/v1/me/password",
    operation_id = "change_password",
    tag = "auth",
    summary = "Change one's own password",
    request_body = ChangePasswordInput,
    responses((status = 200, description = "success", body = AccountView)),
)]
pub async fn change_password(
    State(s): State<AppState>,
    bearer: Bearer,
    JsonBody(input): JsonBody<ChangePasswordInput>,
) -> ApiResult<Json<AccountView>> {
    let req = pb::ChangePasswordRequest { current_password: input.current_password, new_password: input.new_password };
    let resp = s.upstreams.accounts().change_password(s.upstreams.request(&bearer, req)).await?;
    Ok(Json(resp.into_inner().into()))
}

/// `POST /accounts/{username}/password`: the town office (or county) sets a new password.
#[utoipa::path(
    post,
    path = "/api/v1/accounts/{username}/password",
    operation_id = "reset_password",
    tag = "accounts",
    summary = "Set a new password for an account of the town (town office) or county (county)",
    params(("username" = String, Path, description = "account username")),
    request_body = ResetPasswordInput,
    responses((status = 200, description = "success", body = AccountView)),
)]
pub async fn reset_password(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(username): Path<String>,
    JsonBody(input): JsonBody<ResetPasswordInput>,
) -> ApiResult<Json<AccountView>> {
    let req = pb::ResetPasswordRequest { username, new_password: input.new_password };
    let resp = s.upstreams.accounts().reset_password(s.upstreams.request(&bearer, req)).await?;
    Ok(Json(resp.into_inner().into()))
}

/// `POST /persons/{id}/designate`: the unit's designated person (定责任人) from now on.
#[utoipa::path(
    post,
    path = "/api/v1/persons/{id}/designate",
    operation_id = "designate_person",
    tag = "ledger",
    summary = "Make a person their unit's designated person (town office)",
    params(("id" = String, Path, description = "the record's id")),
    responses((status = 200, description = "success", body = PersonView)),
)]
pub async fn designate_person(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
) -> ApiResult<Json<PersonView>> {
    let resp = s
        .upstreams
        .registry()
        .designate_person(s.upstreams.request(&bearer, pb::DesignatePersonRequest { id }))
        .await?;
    Ok(Json(resp.into_inner().into()))
}

/// `POST /accounts/{username}/disable` and `/enable`: stop or restart an account.
async fn set_account_disabled(
    s: &AppState,
    bearer: &Bearer,
    username: String,
    disabled: bool,
) -> ApiResult<Json<AccountView>> {
    let req = pb::SetAccountDisabledRequest { username, disabled };
    let resp = s.upstreams.accounts().set_account_disabled(s.upstreams.request(bearer, req)).await?;
    Ok(Json(resp.into_inner().into()))
}

#[utoipa::path(
    post,
    path = "/api/v1/accounts/{username}/disable",
    operation_id = "disable_account",
    tag = "accounts",
    summary = "Stop an account (town office, county)",
    params(("username" = String, Path, description = "account username")),
    responses((status = 200, description = "success", body = AccountView)),
)]
pub async fn disable_account(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(username): Path<String>,
) -> ApiResult<Json<AccountView>> {
    set_account_disabled(&s, &bearer, username, true).await
}

#[utoipa::path(
    post,
    path = "/api/v1/accounts/{username}/enable",
    operation_id = "enable_account",
    tag = "accounts",
    summary = "Restart a stopped account",
    params(("username" = String, Path, description = "account username")),
    responses((status = 200, description = "success", body = AccountView)),
)]
pub async fn enable_account(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(username): Path<String>,
) -> ApiResult<Json<AccountView>> {
    set_account_disabled(&s, &bearer, username, false).await
}

/// `PATCH /persons/{id}`: corrects a person's name, title or phone.
#[utoipa::path(
    patch,
    path = "/api/v1/persons/{id}",
    operation_id = "update_person",
    tag = "ledger",
    summary = "Correct a person's name, title or phone",
    params(("id" = String, Path, description = "the record's id")),
    request_body = PersonChange,
    responses((status = 200, description = "success", body = PersonView)),
)]
pub async fn update_person(
    State(s): State<AppState>,
    bearer: Bearer,
    Path(id): Path<String>,
    JsonBody(input): JsonBody<PersonChange>,
) -> ApiResult<Json<PersonView>> {
    let req = pb::UpdatePersonRequest { id, name: input.name, title: input.title, phone: input.phone };
    let resp = s.upstreams.registry().update_person(s.upstreams.request(&bearer, req)).await?;
    Ok(Json(resp.into_inner().into()))
}

/// `DELETE /persons/{id}`: removes someone who left (not the unit's designated person).
#[utoipa::path(
    delete,
    path = "/api/v1/persons/{id}",
    operation_id = "remove_person",
    tag = "ledger",
    summary = "Remove a person (not the designated one)",
    params(("id" = String, Path, description = "the record's id")),
    responses((status = 204, description = "done")),
)]
pub async fn remove_person(State(s): State<AppState>, bearer: Bearer, Path(id): Path<String>) -> ApiResult<StatusCode> {
    s.upstreams.registry().remove_person(s.upstreams.request(&bearer, pb::RemovePersonRequest { id })).await?;
    Ok(StatusCode::NO_CONTENT)
}
