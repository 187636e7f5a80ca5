//! The default rubric (考核细则) and scoring. Modelled on published municipal schemes: eight
//! areas, 100 points, per-finding deductions; 90+ excellent, 80+ good, 60+ pass, below fail.

use crate::model::*;
use wuguan_platform::ServiceError;
use wuguan_platform::error::ServiceResult;

pub fn default_rubric(town: &str) -> Rubric {
    let item = |code: &str, area: &str, name: &str, max: f64, deduct: f64| RubricItem {
        code: code.into(),
        area: area.into(),
        name: name.into(),
        max_points: max,
        deduction_per_finding: deduct,
    };
    let deduct = |item: &str, metric: DispatchMetric, points: f64| DispatchDeduction {
        item: item.into(),
        metric: metric.as_str().into(),
        points,
    };
    let veto = |condition: VetoCondition, threshold: u32| Veto { condition: condition.as_str().into(), threshold };
    Rubric {
        town: town.to_owned(),
        version: 0,
        items: vec![
            item("sanitation.public_areas", "sanitation", "保洁：公共区域整洁", 8.0, 1.0),
            item("sanitation.garbage", "sanitation", "保洁：垃圾日产日清", 6.0, 2.0),
            item("sanitation.drains", "sanitation", "保洁：沟渠管道畅通", 4.0, 1.0),
            item("security.guards", "security", "安保：人防（门岗巡逻）", 8.0, 2.0),
            item("security.cameras_access", "security", "安保：技防（监控门禁）", 8.0, 2.0),
            item("security.fences_gates", "security", "安保：物防（围墙大门）", 6.0, 2.0),
            item("maintenance.facilities", "maintenance", "维修：公共设施完好", 12.0, 2.0),
            item("maintenance.lifts", "maintenance", "维修：电梯二次供水", 6.0, 2.0),
            item("greening", "greening", "绿化养护", 8.0, 1.0),
            item("fire_safety", "fire_safety", "消防安全", 10.0, 5.0),
            item("records", "records", "台账资料", 6.0, 1.0),
            item("complaint_handling", "complaint_handling", "诉求办理", 10.0, 2.0),
            item("owner_satisfaction", "owner_satisfaction", "业主满意度", 8.0, 2.0),
        ],
        bands: GradeBands { excellent: 90.0, good: 80.0, pass: 60.0 },
        dispatch_deductions: vec![
            deduct("complaint_handling", DispatchMetric::OverdueTicket, 2.0),
            deduct("complaint_handling", DispatchMetric::LateResponse, 1.0),
            deduct("complaint_handling", DispatchMetric::CountyEscalation, 3.0),
            deduct("owner_satisfaction", DispatchMetric::NotSatisfied, 2.0),
            deduct("owner_satisfaction", DispatchMetric::RepeatComplaint, 1.0),
        ],
        vetoes: vec![
            veto(VetoCondition::OverdueTickets, 3),
            veto(VetoCondition::CountyEscalations, 2),
            veto(VetoCondition::MajorIncidents, 1),
        ],
        league: default_league(),
        created_by: "default".into(),
        created_at_ms: 0,
    }
}

/// The league table's built-in rules: the five quality indicators of hotline league tables
/// (Yulin's 红黑榜 ranks units on these and volume), on-time completion weighed most; at least
/// five tickets in the month to be ranked.
pub fn default_league() -> LeagueRules {
    let w = |indicator: LeagueIndicator, weight: f64| LeagueWeight { indicator: indicator.as_str().into(), weight };
    LeagueRules {
        min_tickets: 5,
        weights: vec![
            w(LeagueIndicator::TimelySignFor, 20.0),
            w(LeagueIndicator::Return, 15.0),
            w(LeagueIndicator::OnTime, 30.0),
            w(LeagueIndicator::Redo, 15.0),
            w(LeagueIndicator::Satisfaction, 20.0),
        ],
    }
}

/// The most tickets a month's minimum may ask for.
const MAX_MIN_TICKETS: u32 = 1000;

/// Checks league rules: weights 0 to 100 on scored indicators (not volume), each at most once,
/// some weight in all.
pub fn validate_league(league: &LeagueRules) -> ServiceResult<()> {
    if league.min_tickets > MAX_MIN_TICKETS {
        return Err(ServiceError::invalid(
            "rules.league.min_tickets",
            format!("min_tickets must be at most {MAX_MIN_TICKETS}"),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, w) in league.weights.iter().enumerate() {
        let field = |f: &str| format!("rules.league.weights[{i}].{f}");
        if !LeagueIndicator::parse(&w.indicator).is_some_and(LeagueIndicator::is_scored) {
            let names: Vec<_> = LeagueIndicator::ALL.iter().filter(|l| l.is_scored()).map(|l| l.as_str()).collect();
            return Err(ServiceError::invalid(
                field("indicator"),
                format!("indicator must be one of {}", names.join(", ")),
            ));
        }
        if !seen.insert(w.indicator.as_str()) {
            return Err(ServiceError::invalid(field("indicator"), "the same indicator appears twice"));
        }
        if !(0.0..=100.0).contains(&w.weight) {
            return Err(ServiceError::invalid(field("weight"), "weight must be 0..=100"));
        }
    }
    if league.weights.iter().map(|w| w.weight).sum::<f64>() <= 0.0 {
        return Err(ServiceError::invalid("rules.league.weights", "the weights must add up to more than 0"));
    }
    Ok(())
}

const MAX_ITEMS: usize = 100;

/// Checks a rubric's dispatch deductions and vetoes against its items.
pub fn validate_rules(items: &[RubricItem], deductions: &[DispatchDeduction], vetoes: &[Veto]) -> ServiceResult<()> {
    if deductions.len() > MAX_ITEMS {
        return Err(ServiceError::invalid("rules.dispatch_deductions", format!("at most {MAX_ITEMS} deductions")));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, d) in deductions.iter().enumerate() {
        let field = |f: &str| format!("rules.dispatch_deductions[{i}].{f}");
        let Some(item) = items.iter().find(|it| it.code == d.item) else {
            return Err(ServiceError::invalid(field("item"), format!("no item {:?} in the rubric", d.item)));
        };
        if DispatchMetric::parse(&d.metric).is_none() {
            let names: Vec<_> = DispatchMetric::ALL.iter().map(|m| m.as_str()).collect();
            return Err(ServiceError::invalid(field("metric"), format!("metric must be one of {}", names.join(", "))));
        }
        if !seen.insert((d.item.as_str(), d.metric.as_str())) {
            return Err(ServiceError::invalid(field("metric"), "the same item and metric appear twice"));
        }
        if !(d.points > 0.0 && d.points <= item.max_points) {
            return Err(ServiceError::invalid(
                field("points"),
                format!("points must be above 0 and at most {}", item.max_points),
            ));
        }
    }
    let mut seen = std::collections::HashSet::new();
    for (i, v) in vetoes.iter().enumerate() {
        let field = |f: &str| format!("rules.vetoes[{i}].{f}");
        if VetoCondition::parse(&v.condition).is_none() {
            let names: Vec<_> = VetoCondition::ALL.iter().map(|c| c.as_str()).collect();
            return Err(ServiceError::invalid(
                field("condition"),
                format!("condition must be one of {}", names.join(", ")),
            ));
        }
        if !seen.insert(v.condition.as_str()) {
            return Err(ServiceError::invalid(field("condition"), "a condition appears twice"));
        }
        if !(1..=1000).contains(&v.threshold) {
            return Err(ServiceError::invalid(field("threshold"), "threshold must be 1 to 1000"));
        }
    }
    Ok(())
}

/// Checks a rubric a town office submits.
pub fn validate(items: &[RubricItem], bands: &GradeBands) -> ServiceResult<()> {
    if items.is_empty() || items.len() > MAX_ITEMS {
        return Err(ServiceError::invalid("items", format!("a rubric has 1 to {MAX_ITEMS} items")));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, item) in items.iter().enumerate() {
        let field = |f: &str| format!("items[{i}].{f}");
        let code_ok = !item.code.is_empty()
            && item.code.len() <= 64
            && item.code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.');
        if !code_ok {
            return Err(ServiceError::invalid(field("code"), "code is lower-case letters, digits, '_' and '.'"));
        }
        if !seen.insert(item.code.as_str()) {
            return Err(ServiceError::invalid(field("code"), format!("item {} appears twice", item.code)));
        }
        if item.name.trim().is_empty() || item.name.chars().count() > 100 {
            return Err(ServiceError::invalid(field("name"), "name is required (at most 100 characters)"));
        }
        if item.area.trim().is_empty() {
            return Err(ServiceError::invalid(field("area"), "area is required"));
        }
        if !(item.max_points > 0.0 && item.max_points <= 100.0) {
            return Err(ServiceError::invalid(field("max_points"), "max_points must be above 0 and at most 100"));
        }
        if !(item.deduction_per_finding >= 0.0 && item.deduction_per_finding <= item.max_points) {
            return Err(ServiceError::invalid(
                field("deduction_per_finding"),
                "deduction_per_finding must be 0..=max_points",
            ));
        }
    }
    if !(bands.pass > 0.0 && bands.pass <= bands.good && bands.good <= bands.excellent) {
        return Err(ServiceError::invalid("bands", "bands must satisfy 0 < pass ≤ good ≤ excellent"));
    }
    let total: f64 = items.iter().map(|i| i.max_points).sum();
    if bands.excellent > total {
        return Err(ServiceError::invalid(
            "bands.excellent",
            format!("excellent must not exceed the rubric's {total} points"),
        ));
    }
    Ok(())
}

/// Scores every item by one rule, so no finding counts twice:
/// - an item the inspector scored by hand keeps that score — it already weighs what they found,
///   so findings against it are recorded (and dispatched) with no further deduction;
/// - an item not scored by hand starts at full marks and loses the item's per-finding deduction
///   for each finding against it, never below zero.
///
/// Returns (item scores, total, each finding's deduction as it counted).
pub fn score(
    rubric: &Rubric,
    given: &[ItemScore],
    findings: &[(String, usize)],
) -> ServiceResult<(Vec<ItemScore>, f64, Vec<f64>)> {
    for (i, g) in given.iter().enumerate() {
        let item = rubric.item(&g.item).ok_or_else(|| {
            ServiceError::invalid(format!("item_scores[{i}].item"), format!("no item {:?} in the rubric", g.item))
        })?;
        if !(g.score >= 0.0 && g.score <= item.max_points) {
            return Err(ServiceError::invalid(
                format!("item_scores[{i}].score"),
                format!("{} scores 0..={}", item.code, item.max_points),
            ));
        }
    }
    let scored_by_hand = |code: &str| given.iter().any(|g| g.item == code);
    let mut deductions = Vec::with_capacity(findings.len());
    for (item_code, index) in findings {
        let item = rubric.item(item_code).ok_or_else(|| {
            ServiceError::invalid(format!("findings[{index}].item"), format!("no item {item_code:?} in the rubric"))
        })?;
        deductions.push(if scored_by_hand(item_code) { 0.0 } else { item.deduction_per_finding });
    }
    let mut scores = Vec::with_capacity(rubric.items.len());
    for item in &rubric.items {
        let score = match given.iter().find(|g| g.item == item.code) {
            Some(g) => g.score,
            None => {
                let deducted: f64 =
                    findings.iter().zip(&deductions).filter(|((code, _), _)| *code == item.code).map(|(_, d)| *d).sum();
                (item.max_points - deducted).max(0.0)
            }
        };
        scores.push(ItemScore { item: item.code.clone(), score });
    }
    let total = (scores.iter().map(|s| s.score).sum::<f64>() * 10.0).round() / 10.0;
    Ok((scores, total, deductions))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_rubric_is_out_of_100_and_valid() {
        let r = default_rubric("t");
        assert_eq!(r.total_points(), 100.0);
        validate(&r.items, &r.bands).unwrap();
        validate_rules(&r.items, &r.dispatch_deductions, &r.vetoes).unwrap();
        assert_eq!(r.veto(VetoCondition::OverdueTickets), Some(3));
        assert_eq!(r.grade(95.0), "excellent");
        assert_eq!(r.grade(85.0), "good");
        assert_eq!(r.grade(60.0), "pass");
        assert_eq!(r.grade(59.9), "fail");
    }

    #[test]
    fn findings_deduct_from_their_item_never_below_zero() {
        let r = default_rubric("t");
        let given = vec![ItemScore { item: "greening".into(), score: 6.0 }];
        let findings =
            vec![("fire_safety".to_owned(), 0), ("fire_safety".to_owned(), 1), ("fire_safety".to_owned(), 2)];
        let (scores, total, deductions) = score(&r, &given, &findings).unwrap();
        assert_eq!(deductions, vec![5.0, 5.0, 5.0]);
        assert_eq!(scores.iter().find(|s| s.item == "fire_safety").unwrap().score, 0.0);
        assert_eq!(total, 100.0 - 2.0 - 10.0);
    }

    #[test]
    fn a_hand_scored_item_is_not_deducted_again_for_its_findings() {
        let r = default_rubric("t");
        let fire = r.item("fire_safety").unwrap().clone();
        // The inspector marked fire safety down to 6 for the blocked exit they also recorded.
        let given = vec![ItemScore { item: "fire_safety".into(), score: 6.0 }];
        let findings = vec![("fire_safety".to_owned(), 0), ("greening".to_owned(), 1)];
        let (scores, total, deductions) = score(&r, &given, &findings).unwrap();
        let of = |code: &str| scores.iter().find(|s| s.item == code).unwrap().score;
        assert_eq!(of("fire_safety"), 6.0, "the given score stands, not 6 − {}", fire.deduction_per_finding);
        let greening = r.item("greening").unwrap();
        assert_eq!(of("greening"), greening.max_points - greening.deduction_per_finding);
        assert_eq!(deductions, vec![0.0, greening.deduction_per_finding]);
        let expected = r.total_points() - (fire.max_points - 6.0) - greening.deduction_per_finding;
        assert_eq!(total, (expected * 10.0).round() / 10.0);
    }

    #[test]
    fn bad_scores_name_the_field() {
        let r = default_rubric("t");
        let err = score(&r, &[ItemScore { item: "greening".into(), score: 9.0 }], &[]).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("item_scores[0].score"));
        let err = score(&r, &[], &[("nope".into(), 3)]).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("findings[3].item"));
        let mut items = r.items.clone();
        items[1].code = items[0].code.clone();
        assert_eq!(validate(&items, &r.bands).unwrap_err().field.as_deref(), Some("items[1].code"));
        let mut deductions = r.dispatch_deductions.clone();
        deductions[1].metric = "weather".into();
        let err = validate_rules(&r.items, &deductions, &r.vetoes).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("rules.dispatch_deductions[1].metric"));
        deductions[1].metric = "late_response".into();
        deductions[1].item = "nope".into();
        let err = validate_rules(&r.items, &deductions, &r.vetoes).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("rules.dispatch_deductions[1].item"));
        let mut vetoes = r.vetoes.clone();
        vetoes[2].threshold = 0;
        let err = validate_rules(&r.items, &r.dispatch_deductions, &vetoes).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("rules.vetoes[2].threshold"));
    }
}
