//! A town's working calendar (工作日历) as JSON: one year's holidays and make-up working days,
//! and its office hours.

use crate::error::ApiError;
use crate::views::complaints::instant;
use crate::vocab::{label, name, wire};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use wuguan_proto::dispatch::v1 as pb;
use wuguan_proto::vocab::dispatch::{CalendarSource, DayKind};

#[derive(Serialize, ToSchema)]
pub struct CalendarDayView {
    /// YYYY-MM-DD, local.
    #[schema(format = Date)]
    pub date: String,
    #[schema(value_type = DayKind)]
    pub kind: &'static str,
    /// The holiday it belongs to, e.g. 国庆节.
    pub name: String,
}

#[derive(Serialize, ToSchema)]
pub struct CalendarView {
    pub town: String,
    pub year: i32,
    pub days: Vec<CalendarDayView>,
    /// Office hours of a working day, local HH:MM.
    pub office_start: String,
    pub office_end: String,
    #[schema(value_type = CalendarSource)]
    pub source: &'static str,
    /// Where it comes from, in Chinese.
    pub source_label: &'static str,
    pub updated_at: Option<String>,
    pub updated_by: Option<String>,
}

impl From<pb::TownCalendar> for CalendarView {
    fn from(c: pb::TownCalendar) -> Self {
        CalendarView {
            town: c.town,
            year: c.year,
            days: c
                .days
                .into_iter()
                .map(|d| CalendarDayView { date: d.date, kind: name::<DayKind>(d.kind), name: d.name })
                .collect(),
            office_start: c.office_start,
            office_end: c.office_end,
            source: name::<CalendarSource>(c.source),
            source_label: label::<CalendarSource>(c.source),
            updated_at: instant(c.updated_at_ms),
            updated_by: Some(c.updated_by).filter(|b| !b.is_empty()),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarDayInput {
    #[schema(format = Date)]
    pub date: String,
    #[schema(value_type = DayKind)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
}

/// One year as the town office sets it: every holiday and make-up working day of the year (the
/// days given replace the year's), and office hours (08:30–17:30 when left out).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CalendarInput {
    pub year: i32,
    pub days: Vec<CalendarDayInput>,
    #[serde(default)]
    pub office_start: Option<String>,
    #[serde(default)]
    pub office_end: Option<String>,
}

impl CalendarInput {
    pub fn into_pb(self, town: String) -> Result<pb::TownCalendar, ApiError> {
        let mut days = Vec::with_capacity(self.days.len());
        for (i, d) in self.days.into_iter().enumerate() {
            days.push(pb::CalendarDay {
                kind: wire::<DayKind>(&format!("days[{i}].kind"), &d.kind)?,
                date: d.date,
                name: d.name,
            });
        }
        Ok(pb::TownCalendar {
            town,
            year: self.year,
            days,
            office_start: self.office_start.unwrap_or_default(),
            office_end: self.office_end.unwrap_or_default(),
            ..Default::default()
        })
    }
}

#[derive(Deserialize, Default, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CalendarQuery {
    /// The year (this year when left out).
    pub year: Option<i32>,
}
