//! 书面报告: the written report of matters that need the county (level 2), for county leaders.
//! Which tickets it holds is decided here, once, for the API and the console.

use crate::AppState;
use crate::error::ApiResult;
use crate::extract::Bearer;
use crate::views::complaints::ComplaintView;
use wuguan_proto::dispatch::v1 as pb;

/// A report holds at most this many pages of 500 in each list; a longer period should be split.
const MAX_PAGES: usize = 4;

/// 书面报告: a town's level-2 tickets of a period with their four fixes, for county leaders.
pub struct WrittenReport<'a> {
    /// The town's name (众兴镇), not its code: the report is sent by 众兴镇物管办.
    pub town_name: &'a str,
    pub from: chrono::NaiveDate,
    pub to: chrono::NaiveDate,
    /// The day it is issued (the town's local date).
    pub issued: chrono::NaiveDate,
    /// Matters that reached the county within the period.
    pub tickets: &'a [ComplaintView],
    /// Matters that reached the county before the period and were still open at its end
    /// (结转): without them a matter that stays open would fall out of every later report.
    pub carried_over: &'a [ComplaintView],
}

impl WrittenReport<'_> {
    pub fn title(&self) -> String {
        format!("关于{}至{}需县级协调解决问题的书面报告", self.from, self.to)
    }

    /// The document number (文号): the office, the year and the period it covers, so the same
    /// period always carries the same number and two periods never share one.
    pub fn number(&self) -> String {
        format!("{}物管办报〔{}〕{}号", self.town_name, self.to.format("%Y"), self.period_code())
    }

    fn period_code(&self) -> String {
        // A period that starts in an earlier year says so, or it would share the number of the
        // same days within `to`'s year.
        let from = if self.from.format("%Y").to_string() == self.to.format("%Y").to_string() {
            self.from.format("%m%d").to_string()
        } else {
            self.from.format("%Y%m%d").to_string()
        };
        format!("{from}-{}", self.to.format("%m%d"))
    }
}

/// The tickets of a town's report for `[from_ms, to_ms)`: those that reached level 2 within the
/// period, whenever they were received, and those carried over from before it.
pub struct ReportTickets {
    pub town_name: String,
    pub reached: Vec<ComplaintView>,
    pub carried_over: Vec<ComplaintView>,
}

pub async fn load(s: &AppState, bearer: &Bearer, town: &str, from_ms: i64, to_ms: i64) -> ApiResult<ReportTickets> {
    let town_name = s
        .upstreams
        .registry()
        .get_town(s.upstreams.request(bearer, wuguan_proto::registry::v1::GetTownRequest { town: town.to_owned() }))
        .await?
        .into_inner()
        .name;
    let base = pb::ListTicketsRequest { town: town.to_owned(), level: Some(2), ..Default::default() };
    let oldest_first = |mut v: Vec<pb::Ticket>| {
        v.sort_by_key(|t| (t.reached_county_at_ms, t.id.clone()));
        v.into_iter().map(ComplaintView::from).collect::<Vec<_>>()
    };
    let reached = s
        .upstreams
        .tickets_where(
            bearer,
            pb::ListTicketsRequest { reached_county_from_ms: from_ms, reached_county_to_ms: to_ms, ..base.clone() },
            MAX_PAGES,
        )
        .await?;
    let carried_over = s
        .upstreams
        .tickets_where(
            bearer,
            pb::ListTicketsRequest { reached_county_to_ms: from_ms, open_at_ms: to_ms, ..base },
            MAX_PAGES,
        )
        .await?;
    Ok(ReportTickets { town_name, reached: oldest_first(reached), carried_over: oldest_first(carried_over) })
}
