//! The source's three rates, defined once for every figure people read (the statistics API, the
//! console, the bulletin, the assessment's scores).
//!
//! A ticket counts for or against a rate only once it is due: against the response rate when
//! its response deadline has passed unmet, against the resolution rate when its resolution
//! deadline has passed and it is not resolved. Until then it is *pending* and only counted as
//! such. A rate with nothing to count is `None` ("—" on a page, null in JSON), never 0 %.

use wuguan_proto::dispatch::v1::{TicketTally, UnitWork};

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

/// A unit's month on the league table (红黑榜), each rate `None` when nothing counts yet.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LeagueRates {
    /// 及时签收率: signed for within the limit, of the tickets whose sign-for is due (signed, or
    /// past the limit), among the period's tickets the unit holds.
    pub timely_sign_for: Option<f64>,
    /// 回退率: returns the unit made in the period, of the tickets dispatched to it then.
    pub returns: Option<f64>,
    /// 按期办结率: resolved by the deadline, of the tickets whose resolution is due (resolved, or
    /// past the deadline), among the period's tickets the unit holds.
    pub on_time: Option<f64>,
    /// 重办率: redos in the period (a dissatisfied reporter or the office sent a resolved ticket
    /// back), of the unit's resolutions in the period.
    pub redo: Option<f64>,
    /// 满意率: satisfied or basically satisfied, of the rated tickets among the period's tickets.
    pub satisfaction: Option<f64>,
}

pub fn of_unit_work(w: &UnitWork) -> LeagueRates {
    LeagueRates {
        timely_sign_for: ratio(w.signed_in_time, w.sign_due),
        returns: ratio(w.returned, w.dispatched),
        on_time: ratio(w.resolved_in_time, w.resolution_due),
        redo: ratio(w.redone, w.resolved),
        satisfaction: ratio(w.satisfied, w.rated),
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

    #[test]
    fn league_rates_have_their_own_bases() {
        let w = UnitWork {
            dispatched: 8,
            returned: 2,
            resolved: 5,
            redone: 1,
            sign_due: 6,
            signed_in_time: 3,
            resolution_due: 4,
            resolved_in_time: 4,
            rated: 0,
            ..Default::default()
        };
        let r = of_unit_work(&w);
        assert_eq!(
            (r.timely_sign_for, r.returns, r.on_time, r.redo, r.satisfaction),
            (Some(0.5), Some(0.25), Some(1.0), Some(0.2), None)
        );
    }
}
