//! Every response the HTTP tests receive is checked against the gateway's OpenAPI document: the
//! operation is documented, its status is one the document lists, and a JSON body validates
//! against the listed schema (formats such as `date-time` included). A route served but not
//! documented, or a view that drifted from its schema, fails the test that met it.

use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// The documented path template a request path matches, preferring literal segments over
/// parameters (`/complaints/{id}/accept` over a hypothetical `/complaints/{id}/{action}`).
pub fn template_of(doc: &Value, path: &str) -> Option<String> {
    let path = path.split('?').next().unwrap_or(path);
    let segments: Vec<&str> = path.split('/').collect();
    doc["paths"]
        .as_object()?
        .keys()
        .filter_map(|template| {
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                return None;
            }
            let mut literal = 0;
            for (p, s) in parts.iter().zip(&segments) {
                if p.starts_with('{') && p.ends_with('}') {
                    if s.is_empty() {
                        return None;
                    }
                } else if p == s {
                    literal += 1;
                } else {
                    return None;
                }
            }
            Some((literal, template.clone()))
        })
        .max()
        .map(|(_, t)| t)
}

/// Panics unless the response is one the document describes.
pub fn response_is_documented(method: &str, path: &str, status: u16, json_body: Option<&Value>) {
    if !(path.starts_with("/api/v1/") || path.starts_with("/healthz")) {
        return;
    }
    let doc = wuguan_gateway::openapi::document();
    let Some(template) = template_of(doc, path) else {
        // A test of an unknown route: the gateway's JSON 404 is what it must answer.
        assert_eq!(status, 404, "{method} {path} answered {status} but no documented path matches it");
        return;
    };
    let method = method.to_ascii_lowercase();
    let Some(operation) = doc["paths"][&template].get(&method) else {
        assert!((400..500).contains(&status), "{method} {path} answered {status} but {template} documents no {method}");
        return;
    };
    let responses = &operation["responses"];
    let listed = [status.to_string(), format!("{}XX", status / 100)];
    let Some(key) = listed.iter().find(|k| responses.get(k.as_str()).is_some()) else {
        panic!("{method} {template} answered {status}, which the document does not list");
    };
    let Some(body) = json_body else { return };
    let Some(schema) = responses[key.as_str()]["content"]["application/json"].get("schema") else {
        panic!("{method} {template} answered JSON with {status}, for which the document lists no JSON body");
    };
    let validator = validator_for(&format!("{method} {template} {key}"), schema, doc);
    let errors: Vec<String> =
        validator.iter_errors(body).map(|e| format!("{} at {}", e, e.instance_path())).take(5).collect();
    assert!(errors.is_empty(), "{method} {path} ({status}) does not match its schema: {errors:#?}\nbody: {body}");
}

/// Compiled once per operation and status; the schema's `$ref`s resolve into the document's
/// components, carried along under the same pointer.
fn validator_for(key: &str, schema: &Value, doc: &Value) -> Arc<jsonschema::Validator> {
    static CACHE: OnceLock<Mutex<HashMap<String, Arc<jsonschema::Validator>>>> = OnceLock::new();
    let mut cache = CACHE.get_or_init(Default::default).lock().unwrap();
    cache
        .entry(key.to_owned())
        .or_insert_with(|| {
            let mut root = schema.clone();
            if !root.is_object() {
                root = json!({});
            }
            root["components"] = doc["components"].clone();
            Arc::new(
                jsonschema::options()
                    .should_validate_formats(true)
                    .build(&root)
                    .unwrap_or_else(|e| panic!("schema of {key} does not compile: {e}")),
            )
        })
        .clone()
}
