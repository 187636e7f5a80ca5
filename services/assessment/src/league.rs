//! The monthly league table of responsible units (红黑榜): each unit's month as dispatch counts
//! it (`TallyUnitWork`), its five rates (`wuguan_platform::rates::of_unit_work`), a score
//! weighed by the rubric's league rules, the ranked units in order with the best named on the
//! red list and the worst on the black list. Units with too few tickets are listed, not ranked.

use crate::model::{LeagueIndicator, LeagueRules, LeagueStanding};
use crate::scoring::round1;
use wuguan_platform::rates::{LeagueRates, of_unit_work};
use wuguan_proto::assessment::v1 as pb;
use wuguan_proto::dispatch::v1 as dpb;

/// How many units each list names at most.
const LIST_LENGTH: usize = 3;

/// An indicator in its good direction, as a percentage; `None` when the unit has no value.
fn good_percent(rates: &LeagueRates, indicator: LeagueIndicator) -> Option<f64> {
    match indicator {
        LeagueIndicator::TimelySignFor => rates.timely_sign_for.map(|r| r * 100.0),
        LeagueIndicator::Return => rates.returns.map(|r| (1.0 - r) * 100.0),
        LeagueIndicator::OnTime => rates.on_time.map(|r| r * 100.0),
        LeagueIndicator::Redo => rates.redo.map(|r| (1.0 - r) * 100.0),
        LeagueIndicator::Satisfaction => rates.satisfaction.map(|r| r * 100.0),
        LeagueIndicator::Volume => None,
    }
}

/// The weighted score of the indicators the unit has a value for; `None` when it has none.
pub fn score(rates: &LeagueRates, rules: &LeagueRules) -> Option<f64> {
    let (mut points, mut weights) = (0.0, 0.0);
    for w in &rules.weights {
        let Some(indicator) = LeagueIndicator::parse(&w.indicator) else { continue };
        if let Some(value) = good_percent(rates, indicator) {
            points += w.weight * value;
            weights += w.weight;
        }
    }
    (weights > 0.0).then(|| round1(points / weights))
}

/// The table: ranked units best first (red list at the top, black list at the bottom), then
/// the units with too few tickets, busiest first.
pub fn table(work: Vec<dpb::UnitWork>, rules: &LeagueRules) -> Vec<pb::LeagueRow> {
    let (mut ranked, mut unranked): (Vec<pb::LeagueRow>, Vec<pb::LeagueRow>) = work
        .into_iter()
        .map(|w| {
            let rates = of_unit_work(&w);
            let eligible = w.dispatched >= rules.min_tickets.max(1);
            pb::LeagueRow {
                score: if eligible { score(&rates, rules) } else { None },
                unit_id: w.unit_id,
                unit_name: w.unit_name,
                unit_type: w.unit_type,
                tickets: w.dispatched,
                timely_sign_for_rate: rates.timely_sign_for,
                return_rate: rates.returns,
                on_time_rate: rates.on_time,
                redo_rate: rates.redo,
                satisfaction_rate: rates.satisfaction,
                returned: w.returned,
                redone: w.redone,
                extension_requests: w.extension_requests,
                rank: 0,
                standing: i32::from(LeagueStanding::Unranked),
            }
        })
        .partition(|r| r.score.is_some());
    ranked.sort_by(|a, b| {
        b.score.unwrap_or(0.0).total_cmp(&a.score.unwrap_or(0.0)).then_with(|| a.unit_name.cmp(&b.unit_name))
    });
    let listed = LIST_LENGTH.min(ranked.len() / 2);
    let n = ranked.len();
    for (i, r) in ranked.iter_mut().enumerate() {
        r.rank = i as u32 + 1;
        r.standing = if i < listed {
            i32::from(LeagueStanding::Red)
        } else if i >= n - listed {
            i32::from(LeagueStanding::Black)
        } else {
            0
        };
    }
    unranked.sort_by(|a, b| b.tickets.cmp(&a.tickets).then_with(|| a.unit_name.cmp(&b.unit_name)));
    ranked.extend(unranked);
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rubric::default_league;

    fn unit(id: &str, dispatched: u32, on_time: (u32, u32), returned: u32) -> dpb::UnitWork {
        dpb::UnitWork {
            unit_id: id.into(),
            unit_name: format!("{id}单位"),
            dispatched,
            returned,
            resolution_due: on_time.1,
            resolved_in_time: on_time.0,
            ..Default::default()
        }
    }

    #[test]
    fn scores_weigh_only_the_indicators_a_unit_has() {
        let rules = default_league();
        // On time 3 of 4 (75) and no returns of 8 (100): (30 × 75 + 15 × 100) / 45.
        let rates = of_unit_work(&unit("a", 8, (3, 4), 0));
        assert_eq!(score(&rates, &rules), Some(83.3));
        assert_eq!(score(&of_unit_work(&dpb::UnitWork::default()), &rules), None);
    }

    #[test]
    fn the_best_go_red_the_worst_black_and_small_units_are_not_ranked() {
        let rules = default_league();
        let work = vec![
            unit("a", 10, (10, 10), 0),
            unit("b", 10, (5, 10), 0),
            unit("c", 10, (8, 10), 2),
            unit("d", 10, (9, 10), 0),
            unit("few", 4, (4, 4), 0),
        ];
        let rows = table(work, &rules);
        let order: Vec<(&str, u32, i32)> = rows.iter().map(|r| (r.unit_id.as_str(), r.rank, r.standing)).collect();
        let (red, black, unranked) =
            (i32::from(LeagueStanding::Red), i32::from(LeagueStanding::Black), i32::from(LeagueStanding::Unranked));
        assert_eq!(order, vec![("a", 1, red), ("d", 2, red), ("c", 3, black), ("b", 4, black), ("few", 0, unranked)]);
        assert_eq!(rows[4].score, None, "listed with its figures, not scored");
        assert_eq!(rows[4].on_time_rate, Some(1.0));
    }
}
