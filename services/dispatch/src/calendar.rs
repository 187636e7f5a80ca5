//! The town's working calendar (工作日历): which local dates are working days — Monday to Friday,
//! less the public holidays, plus the make-up working days (调休上班) — and a working day's office
//! hours. Time limits in working hours or working days count office time on working days only,
//! so a "5 working days" deadline spanning the National Day holiday lands where the calendar
//! says, and one spanning a make-up Saturday counts that Saturday.

mod national;

use crate::model::*;
use chrono::{Datelike, NaiveDate, Weekday};
use std::collections::HashMap;
use wuguan_platform::ServiceError;
use wuguan_platform::error::ServiceResult;
use wuguan_platform::local_time::{day_start_ms, local_date};
use wuguan_platform::time_limit::DEFAULT_OFFICE_HOURS;

/// A date that differs from an ordinary week.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarDay {
    pub date: NaiveDate,
    pub kind: DayKind,
    /// The holiday it belongs to, e.g. 国庆节.
    pub name: String,
}

/// A working day's office hours, in minutes after local midnight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OfficeHours {
    pub start_minute: u32,
    pub end_minute: u32,
}

impl OfficeHours {
    /// 08:30–17:30, the hours a town office keeps.
    pub const DEFAULT: OfficeHours =
        OfficeHours { start_minute: DEFAULT_OFFICE_HOURS.0, end_minute: DEFAULT_OFFICE_HOURS.1 };
}

/// One year of a town's calendar, as the town set it or as built in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearCalendar {
    pub town: String,
    pub year: i32,
    /// In date order, each date once.
    pub days: Vec<CalendarDay>,
    pub office: OfficeHours,
    pub source: CalendarSource,
    /// When and by whom the town set it (0 and empty when built in).
    pub updated_at_ms: i64,
    pub updated_by: String,
}

/// The most days one year may list: the published schedules have about 40.
const MAX_DAYS_PER_YEAR: usize = 80;
const MAX_NAME_CHARS: usize = 20;
/// Years a calendar may be set for: around the present, not arbitrary ones.
pub use wuguan_platform::fields::YEARS;

impl YearCalendar {
    /// The year as built in: the State Council's schedule where we have it, weekends only elsewhere.
    pub fn built_in(town: &str, year: i32) -> YearCalendar {
        let schedule = national::SCHEDULES.iter().find(|(y, _)| *y == year);
        let days = schedule
            .map(|(_, days)| {
                days.iter()
                    .filter_map(|&(month, day, kind, name)| {
                        Some(CalendarDay {
                            date: NaiveDate::from_ymd_opt(year, month, day)?,
                            kind,
                            name: name.to_owned(),
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        YearCalendar {
            town: town.to_owned(),
            year,
            days,
            office: OfficeHours::DEFAULT,
            source: if schedule.is_some() { CalendarSource::National } else { CalendarSource::WeekendsOnly },
            updated_at_ms: 0,
            updated_by: String::new(),
        }
    }

    /// A year as a town office sends it, checked field by field: every date in the year and
    /// listed once, a kind for each, make-up working days on weekends only, office hours that
    /// open before they close. The days come back in date order.
    pub fn validated(mut self) -> ServiceResult<YearCalendar> {
        checked_year(self.year)?;
        if self.days.len() > MAX_DAYS_PER_YEAR {
            return Err(ServiceError::invalid("days", format!("a year lists at most {MAX_DAYS_PER_YEAR} days")));
        }
        // Indexes in errors are those of the days as sent.
        for (i, d) in self.days.iter_mut().enumerate() {
            if d.date.year() != self.year {
                return Err(ServiceError::invalid(
                    format!("days[{i}].date"),
                    format!("{} is not in {}", d.date, self.year),
                ));
            }
            if d.kind == DayKind::MakeupWorkday && !matches!(d.date.weekday(), Weekday::Sat | Weekday::Sun) {
                return Err(ServiceError::invalid(
                    format!("days[{i}].kind"),
                    format!("{} is a weekday: only a Saturday or Sunday can be a make-up working day", d.date),
                ));
            }
            d.name = d.name.trim().to_owned();
            if d.name.chars().count() > MAX_NAME_CHARS {
                return Err(ServiceError::invalid(
                    format!("days[{i}].name"),
                    format!("name must be at most {MAX_NAME_CHARS} characters"),
                ));
            }
        }
        self.days.sort_by_key(|d| d.date);
        if let Some(w) = self.days.windows(2).find(|w| w[0].date == w[1].date) {
            return Err(ServiceError::invalid("days", format!("{} is listed twice", w[0].date)));
        }
        let OfficeHours { start_minute, end_minute } = self.office;
        if end_minute > 24 * 60 || start_minute + 60 > end_minute {
            return Err(ServiceError::invalid(
                "office_end",
                "office hours must open at least an hour before they close, within the day",
            ));
        }
        self.source = CalendarSource::Town;
        Ok(self)
    }
}

/// A year a calendar may be read or set for.
pub fn checked_year(year: i32) -> ServiceResult<i32> {
    if YEARS.contains(&year) {
        Ok(year)
    } else {
        Err(ServiceError::invalid("year", format!("year must be within {}..={}", YEARS.start(), YEARS.end())))
    }
}

/// "HH:MM" as minutes after midnight.
pub fn parse_hhmm(field: &str, s: &str) -> ServiceResult<u32> {
    let bad = || ServiceError::invalid(field, format!("{field} must be a time of day as HH:MM"));
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 24 || m > 59 || (h == 24 && m > 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

pub fn format_hhmm(minute: u32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// Working time as a town counts it: the years it set, the built-in schedule for the rest.
#[derive(Debug, Clone)]
pub struct WorkCalendar {
    days: HashMap<NaiveDate, DayKind>,
    office: HashMap<i32, OfficeHours>,
}

/// How far a deadline may be searched for: a limit of 60 working days is under a year.
const MAX_SEARCH_DAYS: u32 = 3 * 366;

impl WorkCalendar {
    /// The town's calendar from the years it has set (`stored`) over the built-in ones.
    pub fn new(town: &str, stored: &[YearCalendar]) -> WorkCalendar {
        let mut years: HashMap<i32, YearCalendar> =
            national::SCHEDULES.iter().map(|(y, _)| (*y, YearCalendar::built_in(town, *y))).collect();
        for y in stored {
            years.insert(y.year, y.clone());
        }
        WorkCalendar {
            days: years.values().flat_map(|y| y.days.iter().map(|d| (d.date, d.kind))).collect(),
            office: years.values().map(|y| (y.year, y.office)).collect(),
        }
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        match self.days.get(&d) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::MakeupWorkday) => true,
            None => !matches!(d.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    fn office_of(&self, d: NaiveDate) -> OfficeHours {
        self.office.get(&d.year()).copied().unwrap_or(OfficeHours::DEFAULT)
    }

    /// When a limit that starts at `from_ms` runs out. Minutes, hours and days are elapsed time
    /// (holidays count like any day); working hours
    /// and working days count office hours on working days only (a working day is one office
    /// day's length), starting from `from_ms` or the next opening after it.
    pub fn deadline(&self, from_ms: i64, limit: TimeLimit) -> i64 {
        let amount = i64::from(limit.amount);
        match limit.unit {
            LimitUnit::Minutes => from_ms + amount * MINUTE_MS,
            LimitUnit::Hours => from_ms + amount * HOUR_MS,
            LimitUnit::Days => from_ms + amount * DAY_MS,
            LimitUnit::WorkingHours => self.add_office_time(from_ms, amount * HOUR_MS),
            LimitUnit::WorkingDays => self.add_office_days(from_ms, limit.amount),
        }
    }

    /// `need_ms` of office time on working days from `from_ms` (or the next opening after it).
    fn add_office_time(&self, from_ms: i64, need_ms: i64) -> i64 {
        let mut day = local_date(from_ms);
        let mut remaining = need_ms;
        for _ in 0..MAX_SEARCH_DAYS {
            if self.is_working_day(day) {
                let (open, close) = self.office_span(day);
                let begin = from_ms.max(open);
                if begin < close {
                    if remaining <= close - begin {
                        return begin + remaining;
                    }
                    remaining -= close - begin;
                }
            }
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
        // Unreachable with the limits allowed; elapsed time rather than no deadline.
        from_ms + remaining
    }

    /// `n` working days of office time. Started during office hours: the same office time of
    /// day on the n-th working day after (each day at its own office hours). Started before an
    /// opening, after a close or on a day off: n whole office days from the next opening, ending
    /// at a close.
    fn add_office_days(&self, from_ms: i64, n: u32) -> i64 {
        let day = local_date(from_ms);
        let (open, close) = self.office_span(day);
        if !self.is_working_day(day) || from_ms >= close {
            return self.office_span(self.nth_working_day_after(day, n)).1;
        }
        if from_ms <= open {
            // Today counts as the first of the n.
            return self.office_span(self.nth_working_day_after(day, n.saturating_sub(1))).1;
        }
        let share = (from_ms - open) as f64 / (close - open) as f64;
        let (open, close) = self.office_span(self.nth_working_day_after(day, n));
        open + (share * (close - open) as f64).round() as i64
    }

    /// The working day `n` working days after `day` (`day` itself for 0).
    fn nth_working_day_after(&self, mut day: NaiveDate, n: u32) -> NaiveDate {
        let mut counted = 0;
        for _ in 0..MAX_SEARCH_DAYS {
            if counted == n {
                break;
            }
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
            if self.is_working_day(day) {
                counted += 1;
            }
        }
        day
    }

    /// When the office opens and closes on `day`, as instants.
    fn office_span(&self, day: NaiveDate) -> (i64, i64) {
        let office = self.office_of(day);
        let midnight = day_start_ms(day);
        (midnight + i64::from(office.start_minute) * MINUTE_MS, midnight + i64::from(office.end_minute) * MINUTE_MS)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wuguan_platform::local_time::local_minute;

    fn at(y: i32, m: u32, d: u32, hh: u32, mm: u32) -> i64 {
        day_start_ms(NaiveDate::from_ymd_opt(y, m, d).unwrap()) + i64::from(hh * 60 + mm) * MINUTE_MS
    }

    fn national() -> WorkCalendar {
        WorkCalendar::new("t", &[])
    }

    #[test]
    fn five_working_days_across_national_day_land_after_the_make_up_saturday() {
        // Wednesday 2026-09-30 10:00: 1-7 October off, Thursday 8th (1), Friday 9th (2),
        // Saturday 10th is a make-up working day (3), Sunday off, Monday 12th (4), Tuesday 13th (5).
        let due = national().deadline(at(2026, 9, 30, 10, 0), TimeLimit { amount: 5, unit: LimitUnit::WorkingDays });
        assert_eq!(local_minute(due), "2026-10-13 10:00");
        // Without the make-up Saturday it would be Wednesday the 14th.
        let mut town = YearCalendar::built_in("t", 2026);
        town.days.retain(|d| d.date != NaiveDate::from_ymd_opt(2026, 10, 10).unwrap());
        let cal = WorkCalendar::new("t", &[town]);
        let due = cal.deadline(at(2026, 9, 30, 10, 0), TimeLimit { amount: 5, unit: LimitUnit::WorkingDays });
        assert_eq!(local_minute(due), "2026-10-14 10:00");
    }

    #[test]
    fn working_hours_count_office_time_only() {
        let cal = national();
        let hour = TimeLimit { amount: 1, unit: LimitUnit::WorkingHours };
        // Friday 17:00: half an hour left that day, the rest on Monday at opening.
        assert_eq!(local_minute(cal.deadline(at(2026, 12, 4, 17, 0), hour)), "2026-12-07 09:00");
        // Reported at night: the clock starts at the next opening.
        assert_eq!(local_minute(cal.deadline(at(2026, 12, 7, 22, 0), hour)), "2026-12-08 09:30");
        // During the day: an hour later.
        assert_eq!(local_minute(cal.deadline(at(2026, 12, 8, 10, 15), hour)), "2026-12-08 11:15");
        // Minutes are elapsed time, holidays or not.
        let two_hours = TimeLimit::minutes(120);
        assert_eq!(local_minute(cal.deadline(at(2026, 10, 1, 23, 0), two_hours)), "2026-10-02 01:00");
    }

    #[test]
    fn a_working_day_reported_off_hours_ends_at_a_close() {
        let cal = national();
        let day = TimeLimit { amount: 1, unit: LimitUnit::WorkingDays };
        // Saturday: the next working day is Monday, one office day ends at its close.
        assert_eq!(local_minute(cal.deadline(at(2026, 12, 5, 11, 0), day)), "2026-12-07 17:30");
        // Before opening on a working day: that office day is the one.
        assert_eq!(local_minute(cal.deadline(at(2026, 12, 8, 7, 0), day)), "2026-12-08 17:30");
        let three = TimeLimit { amount: 3, unit: LimitUnit::WorkingDays };
        assert_eq!(local_minute(cal.deadline(at(2026, 12, 8, 7, 0), three)), "2026-12-10 17:30");
        // After closing on Friday: Monday to Wednesday.
        assert_eq!(local_minute(cal.deadline(at(2026, 12, 4, 18, 0), three)), "2026-12-09 17:30");
        // During the day: the same time of day, three working days on.
        assert_eq!(local_minute(cal.deadline(at(2026, 12, 4, 13, 0), three)), "2026-12-09 13:00");
        // The make-up Sunday 2026-01-04 is a working day; New Year 1-3 January is not.
        assert!(cal.is_working_day(NaiveDate::from_ymd_opt(2026, 1, 4).unwrap()));
        assert!(!cal.is_working_day(NaiveDate::from_ymd_opt(2026, 1, 2).unwrap()));
    }

    #[test]
    fn a_town_year_replaces_the_built_in_one_with_its_own_hours() {
        let mut y = YearCalendar::built_in("t", 2026);
        y.office = OfficeHours { start_minute: 9 * 60, end_minute: 17 * 60 };
        y.days.clear();
        let cal = WorkCalendar::new("t", &[y.validated().unwrap()]);
        // 1 October is an ordinary Thursday for this town now; its office opens at 9.
        assert!(cal.is_working_day(NaiveDate::from_ymd_opt(2026, 10, 1).unwrap()));
        let hour = TimeLimit { amount: 1, unit: LimitUnit::WorkingHours };
        assert_eq!(local_minute(cal.deadline(at(2026, 10, 1, 8, 0), hour)), "2026-10-01 10:00");
        // 2025 keeps the national schedule.
        assert!(!cal.is_working_day(NaiveDate::from_ymd_opt(2025, 10, 1).unwrap()));
    }

    #[test]
    fn a_year_without_a_schedule_counts_weekends_only() {
        let y = YearCalendar::built_in("t", 2031);
        assert_eq!((y.source, y.days.len()), (CalendarSource::WeekendsOnly, 0));
        assert_eq!(YearCalendar::built_in("t", 2026).source, CalendarSource::National);
    }

    #[test]
    fn bad_years_are_refused_naming_the_field() {
        let mut y = YearCalendar::built_in("t", 2026);
        y.days.push(CalendarDay {
            date: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
            kind: DayKind::Holiday,
            name: "元旦".into(),
        });
        assert_eq!(y.validated().unwrap_err().field.as_deref(), Some("days[39].date"));
        let mut y = YearCalendar::built_in("t", 2026);
        // Wednesday 2026-12-09 cannot be a make-up working day.
        y.days.push(CalendarDay {
            date: NaiveDate::from_ymd_opt(2026, 12, 9).unwrap(),
            kind: DayKind::MakeupWorkday,
            name: String::new(),
        });
        assert_eq!(y.validated().unwrap_err().field.as_deref(), Some("days[39].kind"));
        let mut y = YearCalendar::built_in("t", 2026);
        y.days.push(y.days[0].clone());
        assert_eq!(y.validated().unwrap_err().field.as_deref(), Some("days"));
        let mut y = YearCalendar::built_in("t", 2026);
        y.office = OfficeHours { start_minute: 17 * 60, end_minute: 9 * 60 };
        assert_eq!(y.validated().unwrap_err().field.as_deref(), Some("office_end"));
        assert_eq!(parse_hhmm("office_start", "8:3x").unwrap_err().field.as_deref(), Some("office_start"));
        assert_eq!(parse_hhmm("office_start", "08:30").unwrap(), 510);
        assert_eq!(format_hhmm(510), "08:30");
    }
}
