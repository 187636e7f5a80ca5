//! The source's three rates, defined once for every figure people read (the statistics API, the
//! console, the bulletin, the assessment's scores).
//!
//! A ticket counts for or against a rate only once it is due: against the response rate when
//! its response deadline has passed unmet, against the resolution rate when its resolution
//! deadline has passed and it is not resolved. Until then it is *pending* and only counted as
//! such. A rate with nothing to count is `None` ("—" on a page, null in JSON), never 0 %.

use wuguan_proto::dispatch::v1::TicketTally;

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Rates {
    /// Responded in time, of the tickets whose response is due (responded, or past its deadline).
    pub response: Option<f64>,
    /// Resolved, of the tickets whose resolution is due (resolved, or past its deadline).
    pub resolution: Option<f64>,
    /// Satisfied or basically satisfied, of the rated tickets.
    pub satisfaction: Option<f64>,
    /// Tickets whose response is not due yet.
    pub response_pending: u32,
    /// Tickets whose resolution is not due yet.
    pub resolution_pending: u32,
}

/// `n / d` to four decimals; `None` when `d` is zero.
pub fn ratio(n: u32, d: u32) -> Option<f64> {
    (d > 0).then(|| (f64::from(n) / f64::from(d) * 10_000.0).round() / 10_000.0)
}

/// The rates of a tally's counts: what dispatch aggregates in SQL (`TallyTickets`) and what its
/// statistics count in memory both come through here.
pub fn of_tally(t: &TicketTally) -> Rates {
    let response_due = t.responded_in_time + t.late_responses;
    Rates {
        response: ratio(t.responded_in_time, response_due),
        resolution: ratio(t.resolved, t.resolution_due),
        satisfaction: ratio(t.satisfied, t.rated),
        response_pending: t.tickets.saturating_sub(response_due),
        resolution_pending: t.tickets.saturating_sub(t.resolution_due),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tickets_not_yet_due_are_pending_not_failures() {
        // The day new tickets arrive: 30 tickets, 1 answered in time, none past a deadline.
        let t = TicketTally { tickets: 30, responded_in_time: 1, resolution_due: 0, ..Default::default() };
        let r = of_tally(&t);
        assert_eq!(r.response, Some(1.0));
        assert_eq!(r.resolution, None);
        assert_eq!(r.satisfaction, None);
        assert_eq!((r.response_pending, r.resolution_pending), (29, 30));
    }

    #[test]
    fn due_tickets_count_for_and_against() {
        let t = TicketTally {
            tickets: 10,
            responded_in_time: 6,
            late_responses: 2,
            resolved: 3,
            resolution_due: 4,
            rated: 3,
            satisfied: 2,
            ..Default::default()
        };
        let r = of_tally(&t);
        assert_eq!(r.response, Some(0.75));
        assert_eq!(r.resolution, Some(0.75));
        assert_eq!(r.satisfaction, Some(0.6667));
        assert_eq!((r.response_pending, r.resolution_pending), (2, 6));
    }
}
