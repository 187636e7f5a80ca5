//! Printable Chinese pages rendered on the server (A4, no scripts, no external assets): the
//! county's written report and the monthly bulletin.

use crate::views::complaints::ComplaintView;
use crate::vocab::label_of_name;
use crate::written_report::WrittenReport;
use wuguan_proto::vocab::assessment::{Grade, RubricArea, Standing, SubjectType};
use wuguan_proto::vocab::dispatch::{Category, Status};

/// Escapes text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// An RFC 3339 instant from a view as the town's local time to the minute.
fn local_minute_of(rfc3339: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(rfc3339)
        .map(|d| wuguan_platform::local_time::local_minute(d.timestamp_millis()))
        .unwrap_or_default()
}

/// The rows of one list of the written report, numbered from `first`.
fn report_rows(tickets: &[ComplaintView], first: usize, none: &str) -> String {
    let mut rows = String::new();
    for (i, t) in tickets.iter().enumerate() {
        let a = t.assignment.as_ref();
        let deadline = a.and_then(|a| a.deadline.clone()).unwrap_or_default();
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            first + i,
            escape(&t.tracking_code),
            escape(&t.estate_name),
            label_of_name::<Category>(t.category),
            escape(&t.description),
            escape(&t.reached_county_at.as_deref().map(local_minute_of).unwrap_or_default()),
            escape(&local_minute_of(&deadline)),
            escape(a.map(|a| a.measures.as_str()).filter(|m| !m.is_empty()).unwrap_or("（待制定）")),
            escape(&a.map(|a| format!("{} / {}", a.unit_name, a.person.name)).unwrap_or_default()),
            label_of_name::<Status>(t.status),
        ));
    }
    if tickets.is_empty() {
        rows.push_str(&format!("<tr><td colspan=\"10\">{none}</td></tr>\n"));
    }
    rows
}

/// The written report as a printable page (A4 landscape): the period's new county matters, then
/// those carried over from earlier reports that are still open.
pub fn county_report(report: &WrittenReport) -> String {
    let rows = report_rows(report.tickets, 1, "本期无新上报县级协调解决的问题。");
    let carried = report_rows(report.carried_over, 1, "无前期结转未办结的问题。");
    format!(
        r#"<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>
<style>
@page {{ size: A4 landscape; margin: 15mm; }}
body {{ font-family: "Noto Serif CJK SC", "Songti SC", serif; font-size: 12pt; color: #000; }}
h1 {{ text-align: center; font-size: 18pt; }}
h2 {{ font-size: 14pt; }}
p.meta {{ text-align: center; }}
table {{ width: 100%; border-collapse: collapse; }}
th, td {{ border: 1px solid #000; padding: 4px 6px; vertical-align: top; }}
th {{ background: #eee; }}
</style></head>
<body>
<h1>{title}</h1>
<p class="meta">{number}</p>
<p class="meta">报送单位：{town}物管办　　期间：{from} 至 {to}　　本期 {count} 件、结转 {carried_count} 件　　报送日期：{issued}</p>
<p>以下问题应由县建设局、开发商等县级部门协调解决，按照“定时间、定措施、定责任单位、定责任人”的要求，现书面报告如下：</p>
<h2>一、本期上报县级的问题（{count} 件）</h2>
<table>
<thead>{head}</thead>
<tbody>
{rows}</tbody>
</table>
<h2>二、前期结转、期末仍未办结的问题（{carried_count} 件）</h2>
<table>
<thead>{head}</thead>
<tbody>
{carried}</tbody>
</table>
</body></html>
"#,
        title = escape(&report.title()),
        number = escape(&report.number()),
        town = escape(report.town_name),
        from = report.from,
        to = report.to,
        issued = report.issued.format("%Y年%-m月%-d日"),
        count = report.tickets.len(),
        carried_count = report.carried_over.len(),
        head = "<tr><th>序号</th><th>编号</th><th>小区</th><th>类别</th><th>问题</th><th>上报县级时间</th><th>定时间（办结时限）</th><th>定措施</th><th>定责任单位 / 责任人</th><th>状态</th></tr>",
    )
}

/// A score's change from the previous month: ↑1.5, ↓2.0, 持平, or — when there was none.
pub(crate) fn change_zh(change: Option<f64>) -> String {
    match change {
        Some(c) if c > 0.0 => format!("↑{c:.1}"),
        Some(c) if c < 0.0 => format!("↓{:.1}", -c),
        Some(_) => "持平".to_owned(),
        None => "—".to_owned(),
    }
}

/// A ranking's `standing` (best / worst within its kind) as the bulletin prints it; nothing
/// for the rest.
pub(crate) fn standing_zh(standing: &str) -> &'static str {
    Standing::parse(standing).map_or("", Standing::label_zh)
}

/// A whole number as people read it, with thousands separators: 4,770,000.
pub fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A rate as people read it: "93.3%", or "—" when there was nothing to count (never 0.0 %).
pub(crate) fn percent(r: Option<f64>) -> String {
    r.map_or_else(|| "—".to_owned(), |r| format!("{:.1}%", r * 100.0))
}

/// The league table (红黑榜) as people read it, for the printable bulletin and the console:
/// the column headings (the indicators' labels from the contract) and one row of cells per unit.
pub(crate) fn league_table(
    league: &[crate::views::assessments::LeagueRowView],
) -> (Vec<&'static str>, Vec<Vec<String>>) {
    use wuguan_proto::vocab::assessment::LeagueIndicator as I;
    let headers = vec![
        "名次",
        "责任单位",
        I::Volume.label_zh(),
        I::TimelySignFor.label_zh(),
        I::Return.label_zh(),
        I::OnTime.label_zh(),
        I::Redo.label_zh(),
        I::Satisfaction.label_zh(),
        "得分",
        "榜单",
    ];
    let rows = league
        .iter()
        .map(|r| {
            vec![
                if r.rank == 0 { "—".to_owned() } else { r.rank.to_string() },
                r.unit_name.clone(),
                r.tickets.to_string(),
                percent(r.timely_sign_for_rate),
                percent(r.return_rate),
                percent(r.on_time_rate),
                percent(r.redo_rate),
                percent(r.satisfaction_rate),
                r.score.map_or_else(|| "—".to_owned(), |s| format!("{s:.1}")),
                r.standing_label.unwrap_or("").to_owned(),
            ]
        })
        .collect();
    (headers, rows)
}

/// The units named on one list (red or black), in rank order.
pub(crate) fn league_list(league: &[crate::views::assessments::LeagueRowView], standing: &str) -> String {
    league.iter().filter(|r| r.standing == Some(standing)).map(|r| r.unit_name.as_str()).collect::<Vec<_>>().join("、")
}

/// 五、红黑榜: the units' league table, the red and black lists named first.
fn league_section(league: &[crate::views::assessments::LeagueRowView]) -> String {
    use std::fmt::Write;
    let mut out = String::from("<h2>五、责任单位红黑榜</h2>\n");
    if league.is_empty() {
        out.push_str("<p>本月无派单。</p>\n");
        return out;
    }
    let red = league_list(league, "red");
    if !red.is_empty() {
        let _ = writeln!(out, "<p>红榜：{}。黑榜：{}。</p>", escape(&red), escape(&league_list(league, "black")));
    }
    let (headers, rows) = league_table(league);
    out.push_str("<table><thead><tr>");
    for h in headers {
        let _ = write!(out, "<th>{h}</th>");
    }
    out.push_str("</tr></thead><tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{}</td>", escape(&cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
    out
}

/// 每月一通报: the month's bulletin as a printable page (A4 portrait).
pub fn bulletin(town_name: &str, b: &crate::views::assessments::BulletinView) -> String {
    use std::fmt::Write;
    let (year, month) = b.month.split_once('-').unwrap_or((&b.month, ""));
    let month_number = month.trim_start_matches('0');
    let title = format!("{town_name}{year}年{month_number}月物业管理工作通报");
    let edition =
        if b.status == "published" { format!("第 {} 版", b.version) } else { "草稿（未发布）".to_owned() };
    let mut body = String::new();

    let findings: u32 = b.findings.iter().map(|f| f.findings).sum();
    let tickets: u32 = b.findings.iter().map(|f| f.tickets).sum();
    let _ = write!(
        body,
        "<h2>一、督查情况</h2>\n<p>本月共开展督查 {} 次，发现问题 {findings} 个，其中 {tickets} 个已转为诉求派单办理。</p>\n",
        b.inspections
    );
    if !b.findings.is_empty() {
        body.push_str("<table><thead><tr><th>领域</th><th>发现问题</th><th>派单</th></tr></thead><tbody>\n");
        for f in &b.findings {
            let _ = writeln!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                label_of_name::<RubricArea>(&f.area),
                f.findings,
                f.tickets
            );
        }
        body.push_str("</tbody></table>\n");
    }

    body.push_str("<h2>二、考核排名</h2>\n");
    for kind in ["estate", "property_company", "neighbourhood_committee", "unit"] {
        let ranked: Vec<_> = b.rankings.iter().filter(|r| r.subject_type == kind).collect();
        if ranked.is_empty() {
            continue;
        }
        let _ = writeln!(body, "<h3>{}排名</h3>", label_of_name::<SubjectType>(kind));
        body.push_str(
            "<table><thead><tr><th>名次</th><th>名称</th><th>得分</th><th>等级</th><th>较上月</th><th>备注</th></tr></thead><tbody>\n",
        );
        for r in ranked {
            let change = change_zh(r.change);
            let note = standing_zh(r.standing.as_deref().unwrap_or(""));
            let _ = writeln!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{:.1}</td><td>{}</td><td>{change}</td><td>{note}</td></tr>",
                r.rank,
                escape(&r.name),
                r.score,
                label_of_name::<Grade>(&r.grade)
            );
        }
        body.push_str("</tbody></table>\n");
    }

    body.push_str("<h2>三、通报批评</h2>\n");
    if b.named_units.is_empty() {
        body.push_str("<p>本月无超期或升级督办的诉求。</p>\n");
    } else {
        body.push_str(
            "<table><thead><tr><th>责任单位</th><th>超期未办（件）</th><th>升级督办（件）</th></tr></thead><tbody>\n",
        );
        for u in &b.named_units {
            let _ = writeln!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&u.unit_name),
                u.overdue,
                u.escalated
            );
        }
        body.push_str("</tbody></table>\n");
    }

    body.push_str("<h2>四、诉求办理“三率”</h2>\n");
    body.push_str(
        "<table><thead><tr><th>责任单位</th><th>诉求（件）</th><th>及时响应率</th><th>办结率</th><th>满意率</th></tr></thead><tbody>\n",
    );
    if b.unit_rates.is_empty() {
        body.push_str("<tr><td colspan=\"5\">本月无诉求。</td></tr>\n");
    }
    for u in &b.unit_rates {
        let _ = writeln!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&u.unit_name),
            u.tickets,
            percent(u.response_rate),
            percent(u.resolution_rate),
            percent(u.satisfaction_rate)
        );
    }
    body.push_str("</tbody></table>\n");

    body.push_str(&league_section(&b.league));

    if let Some(period) = &b.assessment_period {
        let name = if period == "h1" { "半年" } else { "全年" };
        let _ = writeln!(body, "<h2>六、{name}考核不合格单位</h2>");
        if b.disqualified.is_empty() {
            body.push_str("<p>本期考核无不合格单位。</p>\n");
        } else {
            body.push_str("<p>以下单位考核不合格，取消当年评优资格；小区及其物业公司同时取消精品小区评选资格。</p>\n");
            body.push_str(
                "<table><thead><tr><th>类别</th><th>名称</th><th>得分</th><th>原因</th><th>责任人</th></tr></thead><tbody>\n",
            );
            for d in &b.disqualified {
                let _ = writeln!(
                    body,
                    "<tr><td>{}</td><td>{}</td><td>{:.1}</td><td>{}</td><td>{}</td></tr>",
                    label_of_name::<SubjectType>(&d.subject_type),
                    escape(&d.name),
                    d.score,
                    escape(&d.reasons.join("；")),
                    escape(&d.responsible_person)
                );
            }
            body.push_str("</tbody></table>\n");
        }
    }

    format!(
        r#"<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>
<style>
@page {{ size: A4; margin: 18mm; }}
body {{ font-family: "Noto Serif CJK SC", "Songti SC", serif; font-size: 12pt; color: #000; }}
h1 {{ text-align: center; font-size: 18pt; }}
h2 {{ font-size: 14pt; }}
h2 {{ font-size: 14pt; margin-top: 1.2em; }}
h3 {{ font-size: 12pt; }}
p.meta {{ text-align: center; }}
table {{ width: 100%; border-collapse: collapse; margin-bottom: 0.8em; }}
th, td {{ border: 1px solid #000; padding: 3px 6px; }}
th {{ background: #eee; }}
</style></head>
<body>
<h1>{title}</h1>
<p class="meta">{town}物管办　　{edition}</p>
{body}</body></html>
"#,
        title = escape(&title),
        town = escape(town_name),
        edition = escape(&edition),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup() {
        assert_eq!(super::escape("<b>\"x\" & 'y'</b>"), "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;");
    }
}

#[cfg(test)]
mod report_tests {
    use crate::written_report::WrittenReport;

    #[test]
    fn numbers_for_people_are_grouped_by_thousands() {
        assert_eq!(super::grouped(0), "0");
        assert_eq!(super::grouped(999), "999");
        assert_eq!(super::grouped(1000), "1,000");
        assert_eq!(super::grouped(237_205), "237,205");
        assert_eq!(super::grouped(4_770_000), "4,770,000");
        assert_eq!(super::grouped(-12_345), "-12,345");
    }
    use chrono::NaiveDate;

    fn number(from: (i32, u32, u32), to: (i32, u32, u32)) -> String {
        let d = |(y, m, d)| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        WrittenReport {
            town_name: "众兴镇", from: d(from), to: d(to), issued: d(to), tickets: &[], carried_over: &[]
        }
        .number()
    }

    #[test]
    fn every_period_has_its_own_document_number() {
        assert_eq!(number((2026, 12, 1), (2026, 12, 31)), "众兴镇物管办报〔2026〕1201-1231号");
        // The same days a year apart, and a period reaching back into the previous year.
        assert_ne!(number((2025, 12, 1), (2026, 12, 31)), number((2026, 12, 1), (2026, 12, 31)));
        assert_eq!(number((2025, 12, 1), (2026, 1, 31)), "众兴镇物管办报〔2026〕20251201-0131号");
    }
}
