//! Local dates of the towns (Asia/Shanghai, UTC+8 all year, no daylight saving): people speak in
//! local dates, the stores keep instants in epoch milliseconds.

use chrono::NaiveDate;

const UTC_OFFSET_MS: i64 = 8 * 3_600_000;
const DAY_MS: i64 = 86_400_000;

/// The local day an instant falls on, numbered from 1970-01-01 (local). Dispatch's per-day
/// counts (migration 0005_day_counts) key their rows by the same number, written there as
/// `(created_at + 28800000) / 86400000`.
pub fn day_number(ms: i64) -> i64 {
    (ms + UTC_OFFSET_MS).div_euclid(DAY_MS)
}

/// Local midnight starting day number `n`.
pub fn day_number_start_ms(n: i64) -> i64 {
    n * DAY_MS - UTC_OFFSET_MS
}

/// Local midnight of `d` as epoch milliseconds.
pub fn day_start_ms(d: NaiveDate) -> i64 {
    d.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_millis()).unwrap_or(0) - UTC_OFFSET_MS
}

/// The local date of an instant.
pub fn local_date(ms: i64) -> NaiveDate {
    chrono::DateTime::from_timestamp_millis(ms + UTC_OFFSET_MS).map(|d| d.date_naive()).unwrap_or_default()
}

/// An instant as people read it: the town's local date and time to the minute, e.g.
/// "2026-12-13 18:32" (no zone: every time shown is the town's).
pub fn local_minute(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms + UTC_OFFSET_MS)
        .map(|d| d.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// Today's local date.
pub fn today() -> NaiveDate {
    local_date(crate::db::now_ms())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_midnight_is_16_00_utc_the_day_before() {
        let d = NaiveDate::from_ymd_opt(2025, 10, 1).unwrap();
        assert_eq!(day_start_ms(d), 1_759_248_000_000);
        assert_eq!(local_date(day_start_ms(d)), d);
        assert_eq!(local_date(day_start_ms(d) - 1), NaiveDate::from_ymd_opt(2025, 9, 30).unwrap());
        let n = day_number(day_start_ms(d));
        assert_eq!((day_number_start_ms(n), day_number(day_start_ms(d) - 1)), (day_start_ms(d), n - 1));
    }

    #[test]
    fn a_utc_instant_reads_in_the_towns_time() {
        // 2026-12-13T10:32:36Z is 18:32 in Shanghai.
        assert_eq!(local_minute(1_797_157_956_000), "2026-12-13 18:32");
    }
}
