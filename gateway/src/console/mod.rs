//! The web console (控制台) in Chinese, rendered on the server (askama templates, checked at
//! compile time) and served by the gateway under `/console`, same origin as `/api/v1`, with no
//! external assets. Every page calls the services with the signed-in user's own token, so it
//! shows exactly what the API would show that user (phone numbers masked alike).
//!
//! This first slice: sign-in and sign-out; the home page by role (the town office's dashboard
//! with today's counts, the three rates this month against last, eight weeks of complaints by
//! category as an SVG chart and the estates with the most open problems); the ticket board and
//! a unit's queue sorted by deadline; the ticket page with the four fixes, the timeline and the
//! actions the role may take; a resident's complaint form and tracking by code.

mod accounts;
mod assessments;
mod auth;
mod bulletins;
mod calendar;
mod chart;
mod common;
mod county;
mod digest;
mod estate_form;
mod estate_import;
mod estates;
mod home;
mod inspections;
mod public;
mod reply_templates;
mod routing;
mod rubric;
pub mod session;
mod supervision;
mod tickets;
mod units;

use crate::AppState;
use axum::Router;
use axum::routing::{get, post};

const CSS: &str = include_str!("../../static/console.css");

pub fn router() -> Router<AppState> {
    Router::new()
        // A person who opens the gateway's address in a browser lands on the console.
        .route("/", get(|| async { axum::response::Redirect::to("/console") }))
        .route("/console", get(home::home))
        .route("/console/login", get(auth::login_form).post(auth::login))
        .route("/console/logout", post(auth::logout))
        .route("/console/password", get(accounts::password_form).post(accounts::change_password))
        .route("/console/accounts", get(accounts::accounts).post(accounts::create))
        .route("/console/accounts/reset", post(accounts::reset))
        .route("/console/accounts/stop", post(accounts::stop_or_restart))
        .route("/console/service-tokens", post(accounts::mint_service_token))
        .route("/console/service-tokens/revoke", post(accounts::revoke_service_token))
        .route("/console/units", get(units::units).post(units::add_unit))
        .route("/console/units/persons", post(units::add_person))
        .route("/console/units/persons/update", post(units::update_person))
        .route("/console/units/persons/remove", post(units::remove_person))
        .route("/console/units/designate", post(units::designate))
        .route("/console/tickets", get(tickets::tickets))
        .route("/console/tickets/{id}", get(tickets::ticket))
        .route("/console/tickets/{id}/{action}", post(tickets::act))
        .route("/console/supervision", get(supervision::supervision))
        .route("/console/report", get(county::report))
        .route("/console/towns", post(county::create_town))
        .route("/console/estates", get(estates::estates))
        .route("/console/estates/export", get(estates::export))
        .route("/console/estates/new", get(estate_form::new_form).post(estate_form::create))
        .route(
            "/console/estates/import",
            get(estate_import::import_form)
                .post(estate_import::import)
                .layer(axum::extract::DefaultBodyLimit::max(crate::MAX_IMPORT_BODY_BYTES)),
        )
        .route("/console/estates/{id}", get(estates::estate))
        .route("/console/estates/{id}/edit", get(estate_form::edit_form).post(estate_form::update))
        .route("/console/inspections", get(inspections::inspections).post(inspections::record))
        .route("/console/inspections/plan", post(inspections::plan))
        .route("/console/inspections/checks", get(inspections::checks))
        .route("/console/assessments", get(assessments::assessment))
        .route("/console/rubric", get(rubric::rubric).post(rubric::save))
        .route("/console/routing", get(routing::routing).post(routing::save))
        .route("/console/calendar", get(calendar::calendar).post(calendar::save))
        .route("/console/reply-templates", get(reply_templates::reply_templates).post(reply_templates::save))
        .route("/console/return-reasons", post(routing::save_reasons))
        .route("/console/digest", get(digest::digest))
        .route("/console/bulletins", get(bulletins::bulletin))
        .route("/console/bulletins/{month}/publish", post(bulletins::publish))
        .route("/console/bulletins/{month}/print", get(bulletins::print))
        .route("/console/submit", get(public::submit_form).post(public::submit))
        .route("/console/track", get(public::track))
        .route("/console/track/rate", post(public::rate))
        .route(
            "/console/static/console.css",
            get(|| async { ([(http::header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS) }),
        )
}

#[cfg(test)]
mod tests {
    /// A page's title block is text: markup put there by mistake lands in the browser's tab,
    /// not on the page.
    #[test]
    fn every_title_block_is_text_only() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates/console");
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            if let Some(rest) = text.split("{% block title %}").nth(1) {
                let title = rest.split("{% endblock %}").next().unwrap();
                assert!(!title.contains('<'), "{}: {title}", path.display());
            }
        }
    }
}
