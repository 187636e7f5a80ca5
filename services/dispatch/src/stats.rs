//! Complaint statistics: the three rates (response, resolution, satisfaction), overdue and
//! escalation counts, and change against the previous period and the same period a year ago.
//! Dates are local dates in the town's time zone (Asia/Shanghai, UTC+8 all year).

use crate::model::*;
use chrono::{Datelike, NaiveDate};
use wuguan_platform::ServiceError;
use wuguan_platform::error::ServiceResult;

/// The longest period one query may cover.
pub const MAX_PERIOD_DAYS: i64 = 366 * 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    /// Inclusive.
    pub to: NaiveDate,
}

fn parse_date(field: &str, s: &str) -> ServiceResult<NaiveDate> {
    wuguan_platform::fields::date(field, s)
}

pub use wuguan_platform::local_time::{day_start_ms, local_date};

impl Period {
    pub fn parse(from: &str, to: &str) -> ServiceResult<Period> {
        let from = parse_date("from", from)?;
        let to = parse_date("to", to)?;
        if to < from {
            return Err(ServiceError::invalid("to", "to must not be before from"));
        }
        if (to - from).num_days() >= MAX_PERIOD_DAYS {
            return Err(ServiceError::invalid("to", format!("a period may cover at most {MAX_PERIOD_DAYS} days")));
        }
        Ok(Period { from, to })
    }

    /// [start, end) in epoch milliseconds.
    pub fn range_ms(&self) -> (i64, i64) {
        (day_start_ms(self.from), day_start_ms(self.to) + DAY_MS)
    }

    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// The same number of days just before.
    pub fn previous(&self) -> Period {
        let days = chrono::Duration::days(self.days());
        Period { from: self.from - days, to: self.to - days }
    }

    /// The same dates a year earlier (29 February becomes 28 February).
    pub fn previous_year(&self) -> Period {
        let back = |d: NaiveDate| {
            d.with_year(d.year() - 1).unwrap_or_else(|| NaiveDate::from_ymd_opt(d.year() - 1, 2, 28).unwrap_or(d))
        };
        Period { from: back(self.from), to: back(self.to) }
    }
}

/// Change from `base` to `current` in percent, to one decimal; None when the base is zero.
pub fn change_pct(current: u32, base: u32) -> Option<f64> {
    (base > 0).then(|| ((f64::from(current) - f64::from(base)) / f64::from(base) * 1000.0).round() / 10.0)
}

/// A period's figures. The three rates are defined once, in `wuguan_platform::rates`, over the
/// same counts the database aggregates for the assessment (`TallyTickets`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Rates {
    pub count: u32,
    pub rates: wuguan_platform::rates::Rates,
    pub overdue: u32,
    pub escalated_level_1: u32,
    pub escalated_level_2: u32,
}

/// What `TallyTickets` counts in SQL, counted over tickets in memory: the two must agree.
fn tally(tickets: &[Ticket], now_ms: i64) -> wuguan_proto::dispatch::v1::TicketTally {
    let mut t = wuguan_proto::dispatch::v1::TicketTally { tickets: tickets.len() as u32, ..Default::default() };
    for ticket in tickets {
        let done = ticket.status.is_done();
        if let Some(a) = &ticket.assignment {
            match ticket.responded_at_ms {
                Some(at) if at <= a.respond_by_ms => t.responded_in_time += 1,
                Some(_) => t.late_responses += 1,
                None if a.respond_by_ms < now_ms => t.late_responses += 1,
                None => {}
            }
            if done || a.resolve_by_ms < now_ms {
                t.resolution_due += 1;
            }
        } else if done {
            t.resolution_due += 1;
        }
        t.resolved += u32::from(done);
        if let Some(s) = ticket.satisfaction {
            t.rated += 1;
            t.satisfied += u32::from(s != Satisfaction::NotSatisfied);
        }
    }
    t
}

pub fn rates(tickets: &[Ticket], now_ms: i64) -> Rates {
    Rates {
        count: tickets.len() as u32,
        rates: wuguan_platform::rates::of_tally(&tally(tickets, now_ms)),
        overdue: tickets.iter().filter(|t| t.is_overdue(now_ms)).count() as u32,
        escalated_level_1: tickets.iter().filter(|t| t.level >= 1).count() as u32,
        escalated_level_2: tickets.iter().filter(|t| t.level >= 2).count() as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_source_figure() {
        // 26 holiday security cases last year, 10 this year: 下降61.5%.
        assert_eq!(change_pct(10, 26), Some(-61.5));
        assert_eq!(change_pct(5, 0), None);
        assert_eq!(change_pct(12, 10), Some(20.0));
    }

    #[test]
    fn periods_are_local_days() {
        let p = Period::parse("2025-10-01", "2025-10-08").unwrap();
        assert_eq!(p.days(), 8);
        let (start, end) = p.range_ms();
        // 2025-10-01T00:00+08:00 is 2025-09-30T16:00Z.
        assert_eq!(start, 1_759_248_000_000);
        assert_eq!(end - start, 8 * DAY_MS);
        assert_eq!(local_date(start), p.from);
        assert_eq!(local_date(start - 1), NaiveDate::from_ymd_opt(2025, 9, 30).unwrap());
        assert_eq!(p.previous_year(), Period::parse("2024-10-01", "2024-10-08").unwrap());
        assert_eq!(p.previous(), Period::parse("2025-09-23", "2025-09-30").unwrap());
        let leap = Period::parse("2024-02-29", "2024-02-29").unwrap();
        assert_eq!(leap.previous_year().from, NaiveDate::from_ymd_opt(2023, 2, 28).unwrap());
    }

    #[test]
    fn bad_dates_name_the_field() {
        assert_eq!(Period::parse("2025-13-01", "2025-10-08").unwrap_err().field.as_deref(), Some("from"));
        assert_eq!(Period::parse("2025-10-08", "2025-10-01").unwrap_err().field.as_deref(), Some("to"));
        assert_eq!(Period::parse("2020-01-01", "2025-10-01").unwrap_err().field.as_deref(), Some("to"));
    }
}
