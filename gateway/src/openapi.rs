//! The OpenAPI document served at `/api/v1/openapi.json`, derived from the handlers'
//! `#[utoipa::path]` attributes and the view types' `ToSchema`. [`api_routes`] registers every
//! operation once; the same registration yields both the router and the document, so a route
//! cannot be served undocumented or documented unserved.

use crate::AppState;
use crate::routes::{
    assessments, auth, bulletins, calendar, complaints, digest, health, inspections, ledger, privacy, reply_templates,
    returns, rubric, service_tokens,
};
use crate::vocab;
use serde_json::{Value, json};
use std::sync::OnceLock;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Every operation of the API except the CSV import, which has its own body limit.
pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(openapi_json))
        .routes(routes!(auth::login))
        .routes(routes!(auth::me))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::refresh))
        .routes(routes!(service_tokens::create_service_token, service_tokens::list_service_tokens))
        .routes(routes!(service_tokens::revoke_service_token))
        .routes(routes!(ledger::change_password))
        .routes(routes!(ledger::reset_password))
        .routes(routes!(ledger::disable_account))
        .routes(routes!(ledger::enable_account))
        .routes(routes!(ledger::list_towns))
        .routes(routes!(ledger::create_town))
        .routes(routes!(ledger::town_directory))
        .routes(routes!(ledger::get_town))
        .routes(routes!(ledger::summary))
        .routes(routes!(ledger::coverage))
        .routes(routes!(ledger::list_estates))
        .routes(routes!(ledger::create_estate))
        .routes(routes!(ledger::export_estates))
        .routes(routes!(ledger::get_estate))
        .routes(routes!(ledger::update_estate))
        .routes(routes!(ledger::estate_changes))
        .routes(routes!(ledger::routing_facts))
        .routes(routes!(ledger::list_communities))
        .routes(routes!(ledger::create_community))
        .routes(routes!(ledger::get_community))
        .routes(routes!(ledger::list_property_companies))
        .routes(routes!(ledger::create_property_company))
        .routes(routes!(ledger::get_property_company))
        .routes(routes!(ledger::list_units))
        .routes(routes!(ledger::create_unit))
        .routes(routes!(ledger::get_unit))
        .routes(routes!(ledger::list_persons))
        .routes(routes!(ledger::create_person))
        .routes(routes!(ledger::update_person))
        .routes(routes!(ledger::remove_person))
        .routes(routes!(ledger::designate_person))
        .routes(routes!(ledger::list_accounts))
        .routes(routes!(ledger::create_account))
        .routes(routes!(complaints::submit))
        .routes(routes!(complaints::list))
        .routes(routes!(complaints::get))
        .routes(routes!(complaints::sign))
        .routes(routes!(complaints::accept))
        .routes(routes!(complaints::reject))
        .routes(routes!(complaints::overrule_return))
        .routes(routes!(complaints::reassign))
        .routes(routes!(complaints::erase_personal_data))
        .routes(routes!(privacy::reads))
        .routes(routes!(privacy::get_privacy, privacy::set_privacy))
        .routes(routes!(complaints::extend))
        .routes(routes!(complaints::request_extension))
        .routes(routes!(complaints::decide_extension))
        .routes(routes!(complaints::progress))
        .routes(routes!(complaints::resolve))
        .routes(routes!(complaints::verify))
        .routes(routes!(complaints::reopen))
        .routes(routes!(complaints::escalate))
        .routes(routes!(complaints::merge))
        .routes(routes!(complaints::track))
        .routes(routes!(complaints::rate))
        .routes(routes!(complaints::list_rules))
        .routes(routes!(complaints::set_rule))
        .routes(routes!(calendar::get_calendar, calendar::set_calendar))
        .routes(routes!(reply_templates::list_reply_templates))
        .routes(routes!(reply_templates::set_reply_template))
        .routes(routes!(returns::get_returns))
        .routes(routes!(returns::list_return_reasons, returns::set_return_reasons))
        .routes(routes!(digest::get_digest))
        .routes(routes!(complaints::stats))
        .routes(routes!(complaints::supervision))
        .routes(routes!(complaints::county_report))
        .routes(routes!(inspections::record))
        .routes(routes!(inspections::list))
        .routes(routes!(inspections::get))
        .routes(routes!(inspections::inspection_checks))
        .routes(routes!(inspections::plan_checks))
        .routes(routes!(inspections::plan))
        .routes(routes!(inspections::list_plans))
        .routes(routes!(rubric::get_rubric))
        .routes(routes!(rubric::put_rubric))
        .routes(routes!(bulletins::get_bulletin))
        .routes(routes!(bulletins::publish_bulletin))
        .routes(routes!(assessments::get_assessment))
        .routes(routes!(assessments::record_incident))
        .routes(routes!(assessments::list_incidents))
        .routes(routes!(health::healthz))
        .routes(routes!(vocab::vocabulary))
}

/// The CSV import: a larger body than JSON requests are allowed.
pub fn import_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(ledger::import_estates))
}

#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    operation_id = "get_openapi",
    tag = "ops",
    summary = "This document (public)",
    responses((status = 200, description = "the OpenAPI 3.1 document", body = serde_json::Value)),
    security(),
)]
pub async fn openapi_json() -> axum::Json<&'static Value> {
    axum::Json(document())
}

/// The document, built once.
pub fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let (_, api) = api_routes().merge(import_routes()).split_for_parts();
        finish(serde_json::to_value(api).expect("an OpenAPI document serialises"))
    })
}

/// What the handlers' attributes do not say: the title, the bearer scheme (required unless an
/// operation says otherwise), and the error body every operation may answer with.
fn finish(mut doc: Value) -> Value {
    use utoipa::{PartialSchema, ToSchema};
    doc["info"] = json!({
        "title": "wuguan (物管) API",
        "version": env!("CARGO_PKG_VERSION"),
        "description": "Town property-management supervision. Lists take page_size (capped at 500) and \
            page_token and answer next_page_token (null on the last page); enum fields hold the names \
            listed in their schemas (GET /api/v1/vocabulary gives each name's Chinese label); errors \
            are the Error schema, naming the field at fault.",
    });
    let mut schemas = vec![(crate::error::Body::name().into_owned(), crate::error::Body::schema())];
    crate::error::Body::schemas(&mut schemas);
    let components = &mut doc["components"];
    for (name, schema) in schemas {
        components["schemas"][name] = serde_json::to_value(schema).expect("a schema serialises");
    }
    components["securitySchemes"] = json!({"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}});
    doc["security"] = json!([{"bearer": []}]);
    let error = json!({"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}});
    if let Some(paths) = doc["paths"].as_object_mut() {
        for operation in paths.values_mut().filter_map(Value::as_object_mut).flat_map(|p| p.values_mut()) {
            let mut client = error.clone();
            client["description"] = json!("the request was refused; error.field names the field at fault");
            let mut server = error.clone();
            server["description"] = json!("busy or a service is unavailable (Retry-After), or an internal error");
            operation["responses"]["4XX"] = client;
            operation["responses"]["5XX"] = server;
        }
    }
    doc
}
