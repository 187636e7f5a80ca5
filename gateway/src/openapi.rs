//! The OpenAPI document served at `/api/v1/openapi.json`. Operations are listed once here;
//! a test checks that every listed operation is routed.

use crate::vocab::Vocabulary;
use serde_json::{Value, json};
use wuguan_proto::vocab::assessment::{DispatchMetric, RubricArea, VetoCondition};
use wuguan_proto::vocab::common::{Role, UnitType};
use wuguan_proto::vocab::dispatch::{Category, RouteTarget, Satisfaction, Source};
use wuguan_proto::vocab::registry::{EstateTarget, ManagementMode, OwnersCommittee};

/// (method, path, tag, summary, request body schema or "", success status)
pub const OPERATIONS: &[(&str, &str, &str, &str, &str, u16)] = &[
    ("post", "/api/v1/auth/login", "auth", "Sign in; returns a bearer token", "Login", 200),
    ("get", "/api/v1/me", "auth", "Who the token belongs to", "", 200),
    ("post", "/api/v1/me/password", "auth", "Change one's own password", "ChangePassword", 200),
    (
        "post",
        "/api/v1/accounts/{username}/password",
        "ledger",
        "Set a new password for an account of the town (town office) or county (county)",
        "ResetPassword",
        200,
    ),
    ("post", "/api/v1/accounts/{username}/disable", "ledger", "Stop an account (town office, county)", "", 200),
    ("post", "/api/v1/accounts/{username}/enable", "ledger", "Restart a stopped account", "", 200),
    ("get", "/api/v1/towns", "ledger", "Towns the caller may see", "", 200),
    ("post", "/api/v1/towns", "ledger", "Add a town to the county (county)", "Town", 201),
    (
        "get",
        "/api/v1/vocabulary",
        "ops",
        "Every enum of the contracts: number, name and Chinese label (public)",
        "",
        200,
    ),
    ("get", "/api/v1/directory/towns", "ledger", "Every town's code and name (public, for residents)", "", 200),
    ("get", "/api/v1/towns/{town}", "ledger", "One town", "", 200),
    ("get", "/api/v1/towns/{town}/summary", "ledger", "Totals over the town's estates", "", 200),
    ("get", "/api/v1/towns/{town}/coverage", "ledger", "Property-management coverage of old estates", "", 200),
    ("get", "/api/v1/towns/{town}/estates", "ledger", "List estates (filters, paginated)", "", 200),
    ("post", "/api/v1/towns/{town}/estates", "ledger", "Create an estate (Idempotency-Key honoured)", "Estate", 201),
    ("post", "/api/v1/towns/{town}/estates/import", "ledger", "Import estates from CSV (all or nothing)", "Csv", 200),
    ("get", "/api/v1/towns/{town}/estates/export", "ledger", "Export the estate ledger as CSV", "", 200),
    ("get", "/api/v1/estates/{id}", "ledger", "One estate", "", 200),
    ("patch", "/api/v1/estates/{id}", "ledger", "Change an estate's fields", "Estate", 200),
    ("get", "/api/v1/estates/{id}/changes", "ledger", "The estate's change history", "", 200),
    ("get", "/api/v1/estates/{id}/routing", "ledger", "Units a complaint about the estate goes to", "", 200),
    ("get", "/api/v1/towns/{town}/communities", "ledger", "List neighbourhood committees", "", 200),
    ("post", "/api/v1/towns/{town}/communities", "ledger", "Create a neighbourhood committee", "Community", 201),
    ("get", "/api/v1/communities/{id}", "ledger", "One neighbourhood committee", "", 200),
    ("get", "/api/v1/towns/{town}/property-companies", "ledger", "List property companies", "", 200),
    ("post", "/api/v1/towns/{town}/property-companies", "ledger", "Create a property company", "PropertyCompany", 201),
    ("get", "/api/v1/property-companies/{id}", "ledger", "One property company", "", 200),
    ("get", "/api/v1/towns/{town}/units", "ledger", "List responsible units", "", 200),
    ("post", "/api/v1/towns/{town}/units", "ledger", "Create a responsible unit", "Unit", 201),
    ("get", "/api/v1/units/{id}", "ledger", "One responsible unit", "", 200),
    ("get", "/api/v1/towns/{town}/persons", "ledger", "List responsible persons", "", 200),
    ("post", "/api/v1/towns/{town}/persons", "ledger", "Create a responsible person", "Person", 201),
    ("patch", "/api/v1/persons/{id}", "ledger", "Correct a person's name, title or phone", "PersonChange", 200),
    ("delete", "/api/v1/persons/{id}", "ledger", "Remove a person (not the designated one)", "", 204),
    (
        "post",
        "/api/v1/persons/{id}/designate",
        "ledger",
        "Make a person their unit's designated person (town office)",
        "",
        200,
    ),
    ("get", "/api/v1/towns/{town}/accounts", "accounts", "List the town's accounts", "", 200),
    ("post", "/api/v1/towns/{town}/accounts", "accounts", "Create an account", "Account", 201),
    (
        "post",
        "/api/v1/complaints",
        "complaints",
        "Submit a complaint (no sign-in needed; Idempotency-Key honoured)",
        "Complaint",
        201,
    ),
    ("get", "/api/v1/complaints", "complaints", "List complaints the caller may see (filters, paginated)", "", 200),
    ("get", "/api/v1/complaints/{id}", "complaints", "One complaint with its timeline", "", 200),
    ("post", "/api/v1/complaints/{id}/accept", "complaints", "Accept with planned measures", "Measures", 200),
    (
        "post",
        "/api/v1/complaints/{id}/reject",
        "complaints",
        "Reject with a reason (back to the town office)",
        "Reason",
        200,
    ),
    (
        "post",
        "/api/v1/complaints/{id}/reassign",
        "complaints",
        "Reassign to another unit (town office)",
        "Reassign",
        200,
    ),
    ("post", "/api/v1/complaints/{id}/extend", "complaints", "Extend the deadline (town office)", "Extend", 200),
    ("post", "/api/v1/complaints/{id}/progress", "complaints", "Add a progress note", "Note", 200),
    ("post", "/api/v1/complaints/{id}/resolve", "complaints", "Resolve with the measures taken", "Resolve", 200),
    ("post", "/api/v1/complaints/{id}/verify", "complaints", "Rate the fix; not satisfied reopens", "Verify", 200),
    ("post", "/api/v1/complaints/{id}/reopen", "complaints", "Reopen with a reason", "Reason", 200),
    ("post", "/api/v1/complaints/{id}/escalate", "complaints", "Escalate one level (town office, county)", "Note", 200),
    (
        "post",
        "/api/v1/complaints/{id}/merge",
        "complaints",
        "Merge a repeat into the complaint it repeats (town office)",
        "Merge",
        200,
    ),
    (
        "get",
        "/api/v1/track/{code}",
        "complaints",
        "Follow a complaint by tracking code (public, no personal data)",
        "",
        200,
    ),
    (
        "post",
        "/api/v1/track/{code}/rate",
        "complaints",
        "The reporter confirms or disputes the fix by tracking code (public); not satisfied reopens",
        "Verify",
        200,
    ),
    ("get", "/api/v1/towns/{town}/routing-rules", "complaints", "Routing rules (五方联动) in force", "", 200),
    ("put", "/api/v1/towns/{town}/routing-rules/{category}", "complaints", "Override one category's rule", "Rule", 200),
    (
        "get",
        "/api/v1/towns/{town}/stats/complaints",
        "complaints",
        "Counts, three rates, period-on-period and year-on-year change",
        "",
        200,
    ),
    ("get", "/api/v1/towns/{town}/supervision", "complaints", "Open and recent tickets by the four checks", "", 200),
    (
        "get",
        "/api/v1/towns/{town}/county-report",
        "complaints",
        "Level-2 tickets of a period with their four fixes",
        "",
        200,
    ),
    (
        "post",
        "/api/v1/towns/{town}/inspections",
        "assessment",
        "Record an inspection; findings with open_ticket become complaints",
        "Inspection",
        201,
    ),
    (
        "get",
        "/api/v1/towns/{town}/inspections",
        "assessment",
        "List inspections (estate_id, from, to; paginated)",
        "",
        200,
    ),
    ("get", "/api/v1/inspections/{id}", "assessment", "One inspection with its findings and their tickets", "", 200),
    (
        "get",
        "/api/v1/inspections/{id}/checks",
        "assessment",
        "The four checks (四查) of a follow-up inspection",
        "",
        200,
    ),
    (
        "get",
        "/api/v1/inspection-plans/{id}/checks",
        "assessment",
        "The four checks (四查) for a follow-up plan",
        "",
        200,
    ),
    ("post", "/api/v1/towns/{town}/inspection-plans", "assessment", "Plan an inspection (town office)", "Plan", 201),
    ("get", "/api/v1/towns/{town}/inspection-plans", "assessment", "The inspection plan (from, to)", "", 200),
    ("get", "/api/v1/towns/{town}/rubric", "assessment", "The rubric in force", "", 200),
    ("put", "/api/v1/towns/{town}/rubric", "assessment", "Edit the rubric: a new version", "Rubric", 200),
    (
        "get",
        "/api/v1/towns/{town}/bulletins/{month}",
        "assessment",
        "The month's bulletin: published, or a draft for the office (format=html: printable page)",
        "",
        200,
    ),
    (
        "post",
        "/api/v1/towns/{town}/bulletins/{month}/publish",
        "assessment",
        "Publish the month's bulletin (a new immutable version)",
        "",
        201,
    ),
    (
        "get",
        "/api/v1/towns/{town}/assessments/{year}",
        "assessment",
        "Half-year (period=h1|h2) or annual assessment with disqualified subjects",
        "",
        200,
    ),
    (
        "post",
        "/api/v1/towns/{town}/incidents",
        "assessment",
        "Record a major security incident (veto)",
        "Incident",
        201,
    ),
    ("get", "/api/v1/towns/{town}/incidents", "assessment", "Recorded incidents (from, to)", "", 200),
    ("get", "/healthz", "ops", "200 when every upstream service is serving", "", 200),
];

/// A string field holding one of an enum's names; the Chinese labels are in the description.
fn enum_schema<E: Vocabulary>() -> Value {
    let labels: Vec<String> = E::ALL.iter().map(|v| format!("{} {}", v.as_str(), v.label_zh())).collect();
    json!({"type": "string", "enum": E::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>(), "description": labels.join("; ")})
}

fn request_schema(name: &str) -> Value {
    match name {
        "Login" => json!({"type": "object", "required": ["username", "password"],
            "properties": {"username": {"type": "string"}, "password": {"type": "string"}}}),
        "Estate" => json!({"type": "object", "additionalProperties": false, "properties": {
            "community_id": {"type": "string"}, "name": {"type": "string"}, "address": {"type": "string"},
            "planned_floor_area_m2": {"type": "integer", "minimum": 0},
            "built_floor_area_m2": {"type": "integer", "minimum": 0},
            "designed_households": {"type": "integer", "minimum": 0},
            "occupied_households": {"type": "integer", "minimum": 0},
            "residents": {"type": "integer", "minimum": 0},
            "is_old_estate": {"type": "boolean"},
            "management_mode": enum_schema::<ManagementMode>(),
            "property_company_id": {"type": "string"},
            "owners_committee": enum_schema::<OwnersCommittee>(),
            "target": enum_schema::<EstateTarget>(),
            "security": {"type": "object", "properties": {
                "guards": {"type": "integer"}, "cameras": {"type": "integer"},
                "access_control": {"type": "boolean"}, "fences_and_gates": {"type": "boolean"}}},
            "expected_version": {"type": "integer"}}}),
        "Community" => json!({"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string"}, "party_secretary": {"type": "string"}}}),
        "PropertyCompany" => json!({"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string"}, "contact_person": {"type": "string"}, "contact_phone": {"type": "string"}}}),
        "Unit" => json!({"type": "object", "required": ["unit_type", "name"], "properties": {
            "unit_type": enum_schema::<UnitType>(),
            "name": {"type": "string"}}}),
        "Person" => json!({"type": "object", "required": ["unit_id", "name"], "properties": {
            "unit_id": {"type": "string"}, "name": {"type": "string"}, "title": {"type": "string"},
            "phone": {"type": "string"}, "designated": {"type": "boolean"}}}),
        "Account" => {
            json!({"type": "object", "required": ["username", "password", "role"], "properties": {
            "username": {"type": "string"}, "password": {"type": "string", "minLength": 8},
            "role": enum_schema::<Role>(), "unit_id": {"type": "string"}, "display_name": {"type": "string"}}})
        }
        "Complaint" => {
            json!({"type": "object", "required": ["town", "estate_id", "category", "description"], "properties": {
            "town": {"type": "string"}, "estate_id": {"type": "string"},
            "category": enum_schema::<Category>(),
            "source": enum_schema::<Source>(),
            "description": {"type": "string", "maxLength": 2000}, "reporter_name": {"type": "string"},
            "reporter_phone": {"type": "string"}, "anonymous": {"type": "boolean"},
            "reported_at": {"type": "string", "format": "date-time"}}})
        }
        "Measures" => {
            json!({"type": "object", "required": ["measures"], "properties": {"measures": {"type": "string"}}})
        }
        "Reason" => json!({"type": "object", "required": ["reason"], "properties": {"reason": {"type": "string"}}}),
        "Note" => json!({"type": "object", "required": ["note"], "properties": {"note": {"type": "string"}}}),
        "Reassign" => json!({"type": "object", "required": ["unit_id"], "properties": {
            "unit_id": {"type": "string"}, "person_id": {"type": "string"}, "note": {"type": "string"}}}),
        "Extend" => json!({"type": "object", "required": ["deadline", "note"], "properties": {
            "deadline": {"type": "string", "format": "date-time"}, "note": {"type": "string"}}}),
        "Resolve" => {
            json!({"type": "object", "required": ["measures_taken"], "properties": {"measures_taken": {"type": "string"}}})
        }
        "Town" => json!({"type": "object", "required": ["code", "name"], "properties": {
            "code": {"type": "string", "pattern": "^[a-z0-9_-]{2,32}$"}, "name": {"type": "string"}}}),
        "PersonChange" => json!({"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string"}, "title": {"type": "string"}, "phone": {"type": "string"}}}),
        "ChangePassword" => json!({"type": "object", "required": ["current_password", "new_password"], "properties": {
            "current_password": {"type": "string"}, "new_password": {"type": "string", "minLength": 8}}}),
        "ResetPassword" => json!({"type": "object", "required": ["new_password"], "properties": {
            "new_password": {"type": "string", "minLength": 8}}}),
        "Verify" => json!({"type": "object", "required": ["satisfaction"], "properties": {
            "satisfaction": enum_schema::<Satisfaction>(), "note": {"type": "string"}}}),
        "Merge" => {
            json!({"type": "object", "required": ["into"], "properties": {"into": {"type": "string"}, "note": {"type": "string"}}})
        }
        "Rule" => {
            json!({"type": "object", "required": ["target", "response_minutes", "resolution_minutes"], "properties": {
            "target": enum_schema::<RouteTarget>(),
            "response_minutes": {"type": "integer"}, "resolution_minutes": {"type": "integer"},
            "initial_level": {"type": "integer", "maximum": 2}, "owner_reps_co_handle": {"type": "boolean"}}})
        }
        "Incident" => json!({"type": "object", "required": ["estate_id", "date", "description"],
            "additionalProperties": false, "properties": {
            "estate_id": {"type": "string"}, "date": {"type": "string", "format": "date"},
            "description": {"type": "string", "maxLength": 2000}}}),
        "Rubric" => json!({"type": "object", "required": ["items", "bands"], "additionalProperties": false,
            "properties": {
            "items": {"type": "array", "items": {"type": "object", "properties": {
                "code": {"type": "string"}, "area": enum_schema::<RubricArea>(), "name": {"type": "string"},
                "max_points": {"type": "number"}, "deduction_per_finding": {"type": "number"}}}},
            "bands": {"type": "object", "properties": {
                "excellent": {"type": "number"}, "good": {"type": "number"}, "pass": {"type": "number"}}},
            "rules": {"type": "object", "description": "absent: keep the current version's", "properties": {
                "dispatch_deductions": {"type": "array", "items": {"type": "object", "properties": {
                    "item": {"type": "string"},
                    "metric": enum_schema::<DispatchMetric>(),
                    "points": {"type": "number"}}}},
                "vetoes": {"type": "array", "items": {"type": "object", "properties": {
                    "condition": enum_schema::<VetoCondition>(),
                    "threshold": {"type": "integer", "minimum": 1}}}}}}}}),
        _ => json!({}),
    }
}

pub fn document() -> Value {
    let mut paths = serde_json::Map::new();
    for (method, path, tag, summary, body, status) in OPERATIONS {
        let params: Vec<Value> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        let mut op = json!({
            "tags": [tag],
            "summary": summary,
            "parameters": params,
            "responses": {
                status.to_string(): {"description": "success"},
                "4XX": {"description": "error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }
        });
        if *body == "Csv" {
            op["requestBody"] = json!({"required": true, "content": {"text/csv": {"schema": {"type": "string"}}}});
        } else if !body.is_empty() {
            op["requestBody"] =
                json!({"required": true, "content": {"application/json": {"schema": request_schema(body)}}});
        }
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[*method] = op;
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "wuguan (物管) API", "version": env!("CARGO_PKG_VERSION"),
                 "description": "Town property-management supervision. Lists take page_size (capped at 500) and page_token; errors are {\"error\":{\"code\",\"message\",\"field\"}}."},
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "schemas": {"Error": {"type": "object", "properties": {"error": {"type": "object", "properties": {
                "code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": "string"}}}}}}
        },
        "security": [{"bearer": []}],
        "paths": paths,
    })
}
