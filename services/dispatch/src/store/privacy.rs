//! SQL for reporters' personal information (`PrivacyStore`): the read record, each town's
//! retention period and the closed tickets past it.

use super::PrivacyStore;
use super::sql::{PgStore, SqliteStore, TICKET_COLUMNS, TicketRow, corrupt};
use crate::model::Ticket;
use crate::privacy::{PersonalDataRead, PrivacySettings, RETENTION_DAYS};
use sqlx::FromRow;
use wuguan_platform::Role;
use wuguan_platform::error::{ServiceError, ServiceResult};
use wuguan_platform::paging::Page;

#[derive(FromRow)]
struct ReadRow {
    id: String,
    town: String,
    ticket_id: String,
    reader: String,
    role: String,
    channel: String,
    at_ms: i64,
}

impl TryFrom<ReadRow> for PersonalDataRead {
    type Error = ServiceError;
    fn try_from(r: ReadRow) -> ServiceResult<Self> {
        Ok(PersonalDataRead {
            role: Role::parse(&r.role).ok_or_else(|| corrupt("personal_data_reads.role", &r.role))?,
            channel: match r.channel.as_str() {
                "watch" => "watch",
                "ticket" => "ticket",
                other => return Err(corrupt("personal_data_reads.channel", other)),
            },
            id: r.id,
            town: r.town,
            ticket_id: r.ticket_id,
            reader: r.reader,
            at_ms: r.at_ms,
        })
    }
}

const DAY_MS: i64 = 24 * 3600 * 1000;

macro_rules! privacy_store {
    ($store:ident, $db:ty) => {
        impl PrivacyStore for $store {
            wuguan_platform::db_spans! { $db;
            async fn record_personal_data_read(&self, r: &PersonalDataRead) -> ServiceResult<()> {
                sqlx::query(
                    "INSERT INTO personal_data_reads (id, town, ticket_id, reader, role, channel, at_ms) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(&r.id)
                .bind(&r.town)
                .bind(&r.ticket_id)
                .bind(&r.reader)
                .bind(r.role.as_str())
                .bind(r.channel)
                .bind(r.at_ms)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn list_personal_data_reads(
                &self,
                town: &str,
                ticket_id: Option<&str>,
                page: &Page,
            ) -> ServiceResult<Vec<PersonalDataRead>> {
                let mut q = sqlx::QueryBuilder::<$db>::new(
                    "SELECT id, town, ticket_id, reader, role, channel, at_ms FROM personal_data_reads WHERE town = ",
                );
                q.push_bind(town.to_owned());
                if let Some(ticket_id) = ticket_id {
                    q.push(" AND ticket_id = ").push_bind(ticket_id.to_owned());
                }
                if let Some(after) = &page.after {
                    q.push(" AND id < ").push_bind(after.clone());
                }
                q.push(" ORDER BY id DESC LIMIT ").push_bind(page.fetch_limit());
                let rows: Vec<ReadRow> = q.build_query_as().fetch_all(&self.pool).await?;
                rows.into_iter().map(PersonalDataRead::try_from).collect()
            }

            async fn privacy_settings(&self, town: &str) -> ServiceResult<Option<PrivacySettings>> {
                let row: Option<(String, i64, String, i64)> = sqlx::query_as(
                    "SELECT town, retention_days, updated_by, updated_at FROM privacy_settings WHERE town = $1",
                )
                .bind(town)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(|(town, days, updated_by, updated_at_ms)| PrivacySettings {
                    town,
                    retention_days: u32::try_from(days).unwrap_or(crate::privacy::DEFAULT_RETENTION_DAYS),
                    updated_by,
                    updated_at_ms,
                }))
            }

            async fn set_privacy_settings(&self, s: &PrivacySettings) -> ServiceResult<()> {
                sqlx::query(
                    "INSERT INTO privacy_settings (town, retention_days, updated_by, updated_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (town) DO UPDATE SET retention_days = excluded.retention_days, \
                     updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                )
                .bind(&s.town)
                .bind(i64::from(s.retention_days))
                .bind(&s.updated_by)
                .bind(s.updated_at_ms)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn tickets_past_retention(&self, now_ms: i64, default_days: u32, limit: i64) -> ServiceResult<Vec<Ticket>> {
                // Through tickets_personal_data_kept: only closed tickets still holding data, and
                // of those only ones older than the shortest period a town may set.
                let mut q = sqlx::QueryBuilder::<$db>::new("SELECT ");
                q.push(TICKET_COLUMNS.replace(", ", ", t.").replacen("id", "t.id", 1));
                q.push(" FROM tickets t LEFT JOIN privacy_settings p ON p.town = t.town \
                          WHERE t.status = 'closed' AND (t.reporter_name <> '' OR t.reporter_phone <> '') AND t.updated_at < ");
                q.push_bind(now_ms - i64::from(*RETENTION_DAYS.start()) * DAY_MS);
                q.push(" AND t.updated_at < ").push_bind(now_ms).push(" - COALESCE(p.retention_days, ");
                q.push_bind(i64::from(default_days)).push(") * ").push_bind(DAY_MS);
                q.push(" ORDER BY t.updated_at LIMIT ").push_bind(limit);
                let rows: Vec<TicketRow> = q.build_query_as().fetch_all(&self.pool).await?;
                rows.into_iter().map(Ticket::try_from).collect()
            }
            }
        }
    };
}

privacy_store!(SqliteStore, sqlx::Sqlite);
privacy_store!(PgStore, sqlx::Postgres);
