//! The assessment's tally as one SQL statement: the per-day counts (`ticket_day_counts`, kept by
//! triggers as tickets change, migration 0005) for the whole local days of the period, corrected
//! for the tickets whose deadlines are still ahead, plus the tickets themselves for the parts of
//! a day at either end. A year costs at most 365 × (estate, category, unit) summary rows and
//! the tickets with a future deadline, not a scan of the year.

use wuguan_platform::local_time::{day_number, day_number_start_ms};

/// The latest of a ticket's two deadlines, as the backend's `tickets_deadline` index has it
/// (the planner uses the index only for the identical expression), and the tickets read
/// through that index.
pub(super) trait DeadlineSql {
    const LATEST_DEADLINE: &'static str;
    const TICKETS_BY_DEADLINE: &'static str;
}

impl DeadlineSql for sqlx::Sqlite {
    const LATEST_DEADLINE: &'static str = "MAX(COALESCE(respond_by, -1), COALESCE(resolve_by, -1))";
    // Without statistics SQLite may read the period through (town, created_at) instead: every
    // ticket of the year, to find the few with a deadline ahead.
    const TICKETS_BY_DEADLINE: &'static str = "tickets INDEXED BY tickets_deadline";
}

impl DeadlineSql for sqlx::Postgres {
    const LATEST_DEADLINE: &'static str = "GREATEST(respond_by, resolve_by)";
    const TICKETS_BY_DEADLINE: &'static str = "tickets";
}

/// (unit, estate) pairs one tally returns at most: far above any town's count.
const MAX_TALLY_GROUPS: i64 = 100_000;

const DONE: &str = "status IN ('resolved', 'verified', 'closed')";

/// What one ticket adds to each count (1 or 0) when asked at `now`, by the summary's column
/// names. At `now` = i64::MAX these are the summary's own "every deadline passed" counts.
fn ticket_counts(now: i64) -> [(&'static str, String); 12] {
    let open = super::sql::OPEN_STATUSES;
    [
        ("tickets", "TRUE".into()),
        ("responded_in_time", "responded_at IS NOT NULL AND responded_at <= respond_by".into()),
        ("resolved", DONE.into()),
        ("resolution_due", format!("{DONE} OR resolve_by < {now}")),
        ("rated", "satisfaction IS NOT NULL".into()),
        ("satisfied", "satisfaction IN ('satisfied', 'basically_satisfied')".into()),
        ("not_satisfied", "satisfaction = 'not_satisfied'".into()),
        (
            "overdue",
            format!(
                "status IN {open} AND unit_id IS NOT NULL AND ((responded_at IS NULL AND respond_by < {now}) \
                 OR resolve_by < {now})"
            ),
        ),
        ("late_responses", format!("responded_at > respond_by OR (responded_at IS NULL AND respond_by < {now})")),
        ("escalated", "level >= 1".into()),
        ("raised_to_county", "level >= 2 AND category NOT IN ('building_quality', 'missing_facilities')".into()),
        ("repeats", "repeat_of IS NOT NULL".into()),
    ]
    .map(|(name, condition)| {
        (name, if condition == "1" { condition } else { format!("CASE WHEN {condition} THEN 1 ELSE 0 END") })
    })
}

/// Per-ticket rows in the summary's shape, each count `column(as at now, as once passed)`.
fn ticket_rows(column: impl Fn(&str, &str) -> String, now: i64, from: &str, where_: &str) -> String {
    let select: Vec<String> = ticket_counts(now)
        .into_iter()
        .zip(ticket_counts(i64::MAX))
        .map(|((name, at_now), (_, passed))| format!("{} AS {name}", column(&at_now, &passed)))
        .collect();
    format!(
        "SELECT COALESCE(unit_id, '') AS unit_key, unit_name, unit_type, person_name, estate_id, estate_name, {} \
         FROM {from} WHERE {where_} AND merged_into IS NULL",
        select.join(", ")
    )
}

/// The tally of the town's tickets created in [from_ms, to_ms) as asked at `now`, grouped by
/// unit and estate. Binds: $1 the town, $2 the county when `by_county`. Instants are formatted
/// in: they are integers the service computed, and the statement is planned per call anyway (a
/// cached plan would not see the period's size).
pub(super) fn tally_sql<DB: DeadlineSql>(by_county: bool, (from_ms, to_ms): (i64, i64), now: i64) -> String {
    let scope = if by_county { "town = $1 AND county = $2" } else { "town = $1" };
    // Whole local days inside the period, from the summary; the rest from the tickets.
    let (first_day, end_day) = (day_number(from_ms - 1) + 1, day_number(to_ms));
    let mut parts = Vec::new();
    let mut edges = vec![(from_ms, to_ms)];
    if first_day < end_day {
        let (whole_from, whole_to) = (day_number_start_ms(first_day), day_number_start_ms(end_day));
        edges = vec![(from_ms, whole_from), (whole_to, to_ms)];
        let names: Vec<&str> = ticket_counts(now).iter().map(|(name, _)| *name).collect();
        parts.push(format!(
            "SELECT unit_key, unit_name, unit_type, person_name, estate_id, estate_name, {} FROM ticket_day_counts \
             WHERE {scope} AND day >= {first_day} AND day < {end_day}",
            names.join(", ")
        ));
        // The summary counts every deadline as passed: for the tickets with one still ahead,
        // take that off and put what they count now on.
        let ahead = format!(
            "{scope} AND {} >= {now} AND created_at >= {whole_from} AND created_at < {whole_to}",
            DB::LATEST_DEADLINE
        );
        let corrected = |at_now: &str, passed: &str| format!("({at_now}) - ({passed})");
        parts.push(ticket_rows(corrected, now, DB::TICKETS_BY_DEADLINE, &ahead));
    }
    for (from, to) in edges.into_iter().filter(|(from, to)| from < to) {
        let within = format!("{scope} AND created_at >= {from} AND created_at < {to}");
        parts.push(ticket_rows(|at_now, _| at_now.to_owned(), now, "tickets", &within));
    }
    let sums: Vec<String> =
        ticket_counts(now).iter().map(|(name, _)| format!("CAST(SUM({name}) AS BIGINT) AS {name}")).collect();
    // Grouped on the two ids only: with the names as keys too, Postgres estimates too many
    // groups and sorts every row on six text columns.
    format!(
        "SELECT NULLIF(unit_key, '') AS unit_id, MAX(unit_name) AS unit_name, MAX(unit_type) AS unit_type, \
         MAX(person_name) AS person_name, estate_id, MAX(estate_name) AS estate_name, {} \
         FROM ({}) AS parts GROUP BY unit_key, estate_id HAVING SUM(tickets) > 0 LIMIT {MAX_TALLY_GROUPS}",
        sums.join(", "),
        parts.join(" UNION ALL ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_days_come_from_the_summary_and_the_ends_from_the_tickets() {
        let day = day_number_start_ms(20_000);
        let year = tally_sql::<sqlx::Sqlite>(false, (day, day + 365 * 86_400_000), day);
        assert!(year.contains("FROM ticket_day_counts WHERE town = $1 AND day >= 20000 AND day < 20365"), "{year}");
        assert_eq!(year.matches("FROM tickets").count(), 1, "only the deadlines still ahead: {year}");
        assert!(year.contains("FROM tickets INDEXED BY tickets_deadline WHERE"), "{year}");
        let ragged = tally_sql::<sqlx::Postgres>(true, (day - 5, day + 86_400_000 + 5), day);
        assert!(ragged.contains("day >= 20000 AND day < 20001"), "{ragged}");
        assert_eq!(ragged.matches("FROM tickets").count(), 3, "two ends and the deadlines ahead: {ragged}");
        let hour = tally_sql::<sqlx::Postgres>(true, (day, day + 3_600_000), day);
        assert!(!hour.contains("ticket_day_counts"), "{hour}");
    }
}
