//! Printable Chinese pages rendered on the server (A4, no scripts, no external assets): the
//! county's written report and the monthly bulletin.

use crate::complaint_views::ComplaintView;

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

pub(crate) fn category_zh(c: &str) -> &'static str {
    match c {
        "security" => "治安",
        "illegal_construction" => "私搭乱建",
        "illegal_renovation" => "违规装修",
        "structural_damage" => "破坏墙体",
        "illegal_stall" => "乱设摊点",
        "sanitation" => "环境卫生",
        "repair" => "维修",
        "property_service" => "物业服务",
        "property_fees" => "物业收费",
        "owners_committee" => "业主委员会",
        "neighbour_dispute" => "邻里纠纷",
        "building_quality" => "房屋质量",
        "missing_facilities" => "配套设施",
        _ => "其他",
    }
}

pub(crate) fn status_zh(s: &str) -> &'static str {
    match s {
        "received" => "已受理",
        "assigned" => "已派单",
        "accepted" => "办理中",
        "resolved" => "已办结",
        "verified" => "已核实",
        "closed" => "已关闭",
        "rejected" => "已退回",
        "reopened" => "重新办理",
        _ => "未知",
    }
}

/// 书面报告: the level-2 tickets of a period with their four fixes, for county leaders.
pub fn county_report(title: &str, town: &str, from: &str, to: &str, tickets: &[ComplaintView]) -> String {
    let mut rows = String::new();
    for (i, t) in tickets.iter().enumerate() {
        let a = t.assignment.as_ref();
        let deadline = a.and_then(|a| a.deadline.clone()).unwrap_or_default();
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            i + 1,
            escape(&t.tracking_code),
            escape(&t.estate_name),
            category_zh(t.category),
            escape(&t.description),
            escape(&deadline.replace('T', " ").replace('Z', " UTC")),
            escape(a.map(|a| a.measures.as_str()).filter(|m| !m.is_empty()).unwrap_or("（待制定）")),
            escape(&a.map(|a| format!("{} / {}", a.unit_name, a.person.name)).unwrap_or_default()),
            status_zh(t.status),
        ));
    }
    if tickets.is_empty() {
        rows.push_str("<tr><td colspan=\"9\">本期无需县级协调解决的问题。</td></tr>\n");
    }
    format!(
        r#"<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>
<style>
@page {{ size: A4 landscape; margin: 15mm; }}
body {{ font-family: "Noto Serif CJK SC", "Songti SC", serif; font-size: 12pt; color: #000; }}
h1 {{ text-align: center; font-size: 18pt; }}
p.meta {{ text-align: center; }}
table {{ width: 100%; border-collapse: collapse; }}
th, td {{ border: 1px solid #000; padding: 4px 6px; vertical-align: top; }}
th {{ background: #eee; }}
</style></head>
<body>
<h1>{title}</h1>
<p class="meta">报送单位：{town}物管办　　期间：{from} 至 {to}　　共 {count} 件</p>
<p>以下问题应由县建设局、开发商等县级部门协调解决，按照“定时间、定措施、定责任单位、定责任人”的要求，现书面报告如下：</p>
<table>
<thead><tr><th>序号</th><th>编号</th><th>小区</th><th>类别</th><th>问题</th><th>定时间（办结时限）</th><th>定措施</th><th>定责任单位 / 责任人</th><th>状态</th></tr></thead>
<tbody>
{rows}</tbody>
</table>
</body></html>
"#,
        title = escape(title),
        town = escape(town),
        from = escape(from),
        to = escape(to),
        count = tickets.len(),
    )
}

pub(crate) fn grade_zh(g: &str) -> &'static str {
    match g {
        "excellent" => "优秀",
        "good" => "良好",
        "pass" => "合格",
        _ => "不合格",
    }
}

pub(crate) fn area_zh(a: &str) -> &'static str {
    match a {
        "sanitation" => "环境卫生",
        "security" => "安全防范",
        "maintenance" => "设施维修",
        "greening" => "绿化养护",
        "fire_safety" => "消防安全",
        "records" => "台账资料",
        "complaint_handling" => "诉求办理",
        "owner_satisfaction" => "业主满意度",
        _ => "其他",
    }
}

pub(crate) fn subject_zh(t: &str) -> &'static str {
    match t {
        "estate" => "小区",
        "property_company" => "物业公司",
        "neighbourhood_committee" => "社区",
        _ => "责任单位",
    }
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

/// A ranking's `standing` (best / worst within its kind) as the bulletin prints it.
pub(crate) fn standing_zh(standing: &str) -> &'static str {
    match standing {
        "best" => "最好",
        "worst" => "最差",
        _ => "",
    }
}

pub(crate) fn percent(r: f64) -> String {
    format!("{:.1}%", r * 100.0)
}

/// 每月一通报: the month's bulletin as a printable page (A4 portrait).
pub fn bulletin(town_name: &str, b: &crate::routes::bulletins::BulletinView) -> String {
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
            let _ =
                writeln!(body, "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", area_zh(&f.area), f.findings, f.tickets);
        }
        body.push_str("</tbody></table>\n");
    }

    body.push_str("<h2>二、考核排名</h2>\n");
    for kind in ["estate", "property_company", "neighbourhood_committee", "unit"] {
        let ranked: Vec<_> = b.rankings.iter().filter(|r| r.subject_type == kind).collect();
        if ranked.is_empty() {
            continue;
        }
        let _ = writeln!(body, "<h3>{}排名</h3>", subject_zh(kind));
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
                grade_zh(&r.grade)
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

    if let Some(period) = &b.assessment_period {
        let name = if period == "h1" { "半年" } else { "全年" };
        let _ = writeln!(body, "<h2>五、{name}考核不合格单位</h2>");
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
                    subject_zh(&d.subject_type),
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
