//! A time limit (定时间) as a town writes it: an amount of minutes, hours, days (elapsed), or of
//! working hours or working days (office time on working days, by the town's calendar, which
//! dispatch keeps). Shared so that every form checks a limit the way dispatch does.

use crate::ServiceError;
use crate::error::ServiceResult;
use crate::fields::optional_enum;
use wuguan_proto::vocab::dispatch::LimitUnit;

/// A working day's office hours unless a town sets its own: 08:30–17:30, as minutes after
/// local midnight.
pub const DEFAULT_OFFICE_HOURS: (u32, u32) = (8 * 60 + 30, 17 * 60 + 30);

/// A time limit: an amount of its unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeLimit {
    pub amount: u32,
    pub unit: LimitUnit,
}

impl TimeLimit {
    pub const fn minutes(amount: u32) -> TimeLimit {
        TimeLimit { amount, unit: LimitUnit::Minutes }
    }

    pub const fn hours(amount: u32) -> TimeLimit {
        TimeLimit { amount, unit: LimitUnit::Hours }
    }

    pub const fn days(amount: u32) -> TimeLimit {
        TimeLimit { amount, unit: LimitUnit::Days }
    }

    /// The limit's length in minutes on an ordinary working week (a working day is the
    /// default office day), to compare limits of different units: a rule's resolution limit is
    /// never shorter than its response limit.
    pub fn nominal_minutes(self) -> u64 {
        let per = match self.unit {
            LimitUnit::Minutes => 1,
            LimitUnit::Hours | LimitUnit::WorkingHours => 60,
            LimitUnit::Days => 24 * 60,
            LimitUnit::WorkingDays => u64::from(DEFAULT_OFFICE_HOURS.1 - DEFAULT_OFFICE_HOURS.0),
        };
        u64::from(self.amount) * per
    }

    /// The most each unit allows: about a quarter of a year.
    pub fn max_amount(unit: LimitUnit) -> u32 {
        match unit {
            LimitUnit::Minutes => 90 * 24 * 60,
            LimitUnit::Hours => 90 * 24,
            LimitUnit::Days => 90,
            LimitUnit::WorkingHours => 60 * 9,
            LimitUnit::WorkingDays => 60,
        }
    }

    /// A limit from the wire: `{prefix}_amount` of `{prefix}_unit` (unspecified: minutes, what
    /// the amounts always were), 1 up to the unit's most.
    pub fn from_wire(prefix: &str, amount: u32, unit: i32) -> ServiceResult<TimeLimit> {
        let unit = optional_enum::<LimitUnit>(&format!("{prefix}_unit"), unit)?.unwrap_or(LimitUnit::Minutes);
        let max = TimeLimit::max_amount(unit);
        if amount == 0 || amount > max {
            return Err(ServiceError::invalid(
                format!("{prefix}_amount"),
                format!("{prefix}_amount must be 1..={max} {}", unit.as_str()),
            ));
        }
        Ok(TimeLimit { amount, unit })
    }

    /// A rule's two limits: resolving never has less time than responding.
    pub fn response_then_resolution(response: TimeLimit, resolution: TimeLimit) -> ServiceResult<()> {
        if resolution.nominal_minutes() < response.nominal_minutes() {
            return Err(ServiceError::invalid(
                "resolution_amount",
                "the resolution limit must be at least as long as the response limit",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_are_checked_and_compared_across_units() {
        assert_eq!(TimeLimit::from_wire("response", 2, 0).unwrap(), TimeLimit::minutes(2));
        let e = TimeLimit::from_wire("response", 61, i32::from(LimitUnit::WorkingDays)).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("response_amount"));
        assert_eq!(TimeLimit::from_wire("resolution", 1, 99).unwrap_err().field.as_deref(), Some("resolution_unit"));
        // One working day (9 office hours) is longer than 8 hours and shorter than 10.
        let day = TimeLimit { amount: 1, unit: LimitUnit::WorkingDays };
        assert!(TimeLimit::response_then_resolution(TimeLimit::hours(8), day).is_ok());
        assert!(TimeLimit::response_then_resolution(TimeLimit::hours(10), day).is_err());
    }
}
