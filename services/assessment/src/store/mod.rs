//! Assessment storage behind one trait, SQLite and Postgres implementations in `sql.rs`.

mod sql;

pub use sql::{PgStore, SqliteStore};

use crate::model::*;
use std::future::Future;
use wuguan_platform::error::ServiceResult;
use wuguan_platform::paging::Page;

pub trait AssessmentStore: Send + Sync + 'static {
    /// The newest stored version for the town, if it ever edited its rubric.
    fn current_rubric(&self, town: &str) -> impl Future<Output = ServiceResult<Option<Rubric>>> + Send;
    fn rubric_version(&self, town: &str, version: i64) -> impl Future<Output = ServiceResult<Option<Rubric>>> + Send;
    /// Stores `rubric` as the next version (its `version` field is ignored) and returns it.
    fn insert_rubric(&self, rubric: &Rubric) -> impl Future<Output = ServiceResult<Rubric>> + Send;

    fn insert_plan(&self, plan: &Plan) -> impl Future<Output = ServiceResult<()>> + Send;
    fn get_plan(&self, id: &str) -> impl Future<Output = ServiceResult<Option<Plan>>> + Send;
    /// Plans between two dates (inclusive, either may be absent); unannounced plans only when
    /// `with_unannounced`.
    fn list_plans(
        &self,
        town: &str,
        from: Option<&str>,
        to: Option<&str>,
        with_unannounced: bool,
        page: &Page,
    ) -> impl Future<Output = ServiceResult<Vec<Plan>>> + Send;

    /// Records the inspection, its findings (the outbox), marks its plan done and adds the
    /// follow-up plan, in one transaction. With a key, a retry returns the first inspection.
    fn record_inspection(
        &self,
        inspection: &Inspection,
        follow_up: Option<&Plan>,
        key: Option<(&str, &str)>,
    ) -> impl Future<Output = ServiceResult<Inspection>> + Send;
    fn get_inspection(&self, id: &str) -> impl Future<Output = ServiceResult<Option<Inspection>>> + Send;
    fn list_inspections(
        &self,
        town: &str,
        estate_id: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
        page: &Page,
    ) -> impl Future<Output = ServiceResult<Vec<Inspection>>> + Send;

    /// Records a major security incident; with a key, a retry returns the first record.
    fn record_incident(
        &self,
        incident: &Incident,
        key: Option<(&str, &str)>,
    ) -> impl Future<Output = ServiceResult<Incident>> + Send;
    /// Incidents between two dates (inclusive, either may be absent), in id order.
    fn list_incidents(
        &self,
        town: &str,
        from: Option<&str>,
        to: Option<&str>,
        page: &Page,
    ) -> impl Future<Output = ServiceResult<Vec<Incident>>> + Send;

    /// The newest published bulletin of a month (encoded), if any.
    fn latest_bulletin(&self, town: &str, month: &str) -> impl Future<Output = ServiceResult<Option<Vec<u8>>>> + Send;
    fn next_bulletin_version(&self, town: &str, month: &str) -> impl Future<Output = ServiceResult<i64>> + Send;
    /// Stores a published version; ABORTED if that version was published meanwhile.
    fn insert_bulletin(
        &self,
        town: &str,
        month: &str,
        version: i64,
        body: &[u8],
        published_by: &str,
        published_at_ms: i64,
    ) -> impl Future<Output = ServiceResult<()>> + Send;

    /// How many findings wait for their ticket (the outbox backlog).
    fn count_pending_findings(&self) -> impl Future<Output = ServiceResult<i64>> + Send;
    /// Findings whose ticket dispatch does not have yet, oldest first.
    fn pending_findings(&self, limit: i64) -> impl Future<Output = ServiceResult<Vec<PendingFinding>>> + Send;
    fn mark_delivered(&self, finding_id: &str, ticket_id: &str) -> impl Future<Output = ServiceResult<()>> + Send;
    /// Records a failed attempt; `give_up` when dispatch refused the finding for good.
    fn mark_attempt_failed(
        &self,
        finding_id: &str,
        error: &str,
        give_up: bool,
    ) -> impl Future<Output = ServiceResult<()>> + Send;
}
