//! The gRPC side of reporters' personal information (`crate::privacy`): the phone number in
//! full only on a ticket's own page, each such read recorded; the record read by the town
//! office; erasure at the reporter's request; the town's retention period.

use super::*;
use crate::privacy::{self, PersonalDataRead, PrivacySettings};

/// Who may read the record of reads and erase a reporter's data: the town office (and the
/// county, over its towns, for the record and the settings).
const PRIVACY_OFFICERS: &[Role] = &[Role::TownOffice, Role::County];

impl<S: DispatchStore> DispatchGrpc<S> {
    /// A ticket as its own page shows it: the phone number in full to those who need it, each
    /// read of someone else's number recorded first (a read that cannot be recorded shows it
    /// masked).
    pub(super) async fn view_in_full(&self, p: &Principal, t: Ticket, timeline: Vec<TicketEvent>) -> pb::Ticket {
        let mut show = can_see_phone(p, &t);
        if show && privacy::is_recorded_read(p, &t) {
            let read = PersonalDataRead::of(p, &t, "ticket", now_ms());
            if let Err(e) = self.store.record_personal_data_read(&read).await {
                tracing::warn!(error = %e, ticket = %t.id, "a phone read could not be recorded: shown masked");
                show = false;
            }
        }
        convert::ticket(t, show, now_ms(), timeline)
    }

    pub(super) async fn personal_data_reads(
        &self,
        p: &Principal,
        r: &pb::ListPersonalDataReadsRequest,
    ) -> ServiceResult<pb::ListPersonalDataReadsResponse> {
        p.require(PRIVACY_OFFICERS)?;
        let town = self.town_scope(p, &r.town).await?;
        let ticket_id = if r.ticket_id.trim().is_empty() { None } else { Some(id_field("ticket_id", &r.ticket_id)?) };
        let page = Page::from_request(r.page.as_ref())?;
        let mut rows = self.store.list_personal_data_reads(&town, ticket_id.as_deref(), &page).await?;
        let page = page.finish(&mut rows, |r| r.id.clone());
        Ok(pb::ListPersonalDataReadsResponse {
            reads: rows
                .into_iter()
                .map(|r| pb::PersonalDataRead {
                    ticket_id: r.ticket_id,
                    reader: r.reader,
                    role: r.role.to_wire() as i32,
                    channel: r.channel.to_owned(),
                    at_ms: r.at_ms,
                })
                .collect(),
            page: Some(page),
        })
    }

    pub(super) async fn erase_at_request(
        &self,
        p: &Principal,
        r: &pb::ErasePersonalDataRequest,
    ) -> ServiceResult<pb::Ticket> {
        p.require(&[Role::TownOffice])?;
        let reason = r.reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(ServiceError::invalid("reason", "reason is required (at most 500 characters)"));
        }
        wuguan_platform::fields::visible_text("reason", reason)?;
        let t = self.visible_ticket(p, &r.id).await?;
        let note = format!("应报告人要求删除姓名和电话：{reason}");
        let Some((next, event)) = privacy::erased(&t, &p.subject, &note, now_ms()) else {
            return Err(ServiceError::invalid("id", "this ticket holds no reporter's name or number"));
        };
        let saved = self.store.save_transition(t.version, &next, &[event]).await?;
        tracing::info!(ticket = %t.id, by = %p.subject, "reporter's personal data erased at their request");
        Ok(self.view(p, saved, Vec::new()))
    }

    pub(super) async fn privacy_settings_of(&self, p: &Principal, town: &str) -> ServiceResult<pb::PrivacySettings> {
        let town = self.town_scope(p, town).await?;
        Ok(settings_pb(PrivacySettings::or_default(&town, self.store.privacy_settings(&town).await?)))
    }

    pub(super) async fn set_privacy(
        &self,
        p: &Principal,
        r: &pb::PrivacySettings,
    ) -> ServiceResult<pb::PrivacySettings> {
        p.require(PRIVACY_OFFICERS)?;
        let town = self.town_scope(p, &r.town).await?;
        let settings = PrivacySettings {
            town,
            retention_days: PrivacySettings::checked_days(r.retention_days)?,
            updated_by: p.subject.clone(),
            updated_at_ms: now_ms(),
        };
        self.store.set_privacy_settings(&settings).await?;
        Ok(settings_pb(settings))
    }
}

fn settings_pb(s: PrivacySettings) -> pb::PrivacySettings {
    pb::PrivacySettings {
        town: s.town,
        retention_days: s.retention_days,
        updated_by: s.updated_by,
        updated_at_ms: s.updated_at_ms,
    }
}
