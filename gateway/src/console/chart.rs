//! Charts drawn on the server as SVG (no chart service, no script): stacked weekly bars.

use crate::printable::escape;
use std::fmt::Write;

const COLOURS: [&str; 8] = ["#0b6e4f", "#2f80ed", "#f2994a", "#eb5757", "#9b51e0", "#27ae60", "#56ccf2", "#828282"];

/// One bar per week, stacked by series; `weeks` are (label, counts in `series` order).
pub fn stacked_bars(title: &str, series: &[String], weeks: &[(String, Vec<u32>)]) -> String {
    let (width, height, left, bottom, top) = (640.0, 260.0, 36.0, 40.0, 16.0);
    let max = weeks.iter().map(|(_, v)| v.iter().sum::<u32>()).max().unwrap_or(0).max(1) as f64;
    let plot_h = height - bottom - top;
    let slot = (width - left - 8.0) / weeks.len().max(1) as f64;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {width} {}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        height + 18.0 * series.len().div_ceil(4) as f64,
        escape(title)
    );
    // Axis with the maximum marked.
    let _ = write!(
        svg,
        r##"<line x1="{left}" y1="{top}" x2="{left}" y2="{}" stroke="#9aa5b1"/><text x="{}" y="{}" font-size="11" text-anchor="end">{}</text><text x="{}" y="{}" font-size="11" text-anchor="end">0</text>"##,
        height - bottom,
        left - 4.0,
        top + 4.0,
        max as u32,
        left - 4.0,
        height - bottom
    );
    for (i, (label, values)) in weeks.iter().enumerate() {
        let x = left + 6.0 + i as f64 * slot;
        let mut y = height - bottom;
        for (k, v) in values.iter().enumerate() {
            if *v == 0 {
                continue;
            }
            let h = f64::from(*v) / max * plot_h;
            y -= h;
            let _ = write!(
                svg,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{:.1}" height="{h:.1}" fill="{}"><title>{} {}: {v}</title></rect>"#,
                slot * 0.7,
                COLOURS[k % COLOURS.len()],
                escape(label),
                escape(series.get(k).map(String::as_str).unwrap_or(""))
            );
        }
        let _ = write!(
            svg,
            r#"<text x="{:.1}" y="{}" font-size="11" text-anchor="middle">{}</text>"#,
            x + slot * 0.35,
            height - bottom + 14.0,
            escape(label)
        );
    }
    for (k, name) in series.iter().enumerate() {
        let (col, row) = (k % 4, k / 4);
        let (x, y) = (left + col as f64 * 150.0, height - 8.0 + row as f64 * 18.0);
        let _ = write!(
            svg,
            r#"<rect x="{x}" y="{}" width="10" height="10" fill="{}"/><text x="{}" y="{y}" font-size="12">{}</text>"#,
            y - 9.0,
            COLOURS[k % COLOURS.len()],
            x + 14.0,
            escape(name)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    #[test]
    fn draws_a_bar_per_week_and_escapes_labels() {
        let svg = super::stacked_bars(
            "近八周",
            &["维修".into(), "<治安>".into()],
            &[("11-02".into(), vec![3, 1]), ("11-09".into(), vec![0, 2])],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<rect").count(), 3 + 2, "three bars and two legend keys: {svg}");
        assert!(svg.contains("&lt;治安&gt;") && !svg.contains("<治安>"));
    }
}
