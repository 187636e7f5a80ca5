//! Printable Chinese pages rendered on the server (A4, no scripts, no external assets).

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

fn category_zh(c: &str) -> &'static str {
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

fn status_zh(s: &str) -> &'static str {
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

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_markup() {
        assert_eq!(super::escape("<b>\"x\" & 'y'</b>"), "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;");
    }
}
