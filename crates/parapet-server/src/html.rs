//! Server-rendered HTML: every string from data goes through [`esc`]; the layout; charts as
//! inline SVG (no script, nothing to build).

use std::fmt::Write as _;

/// Escapes text for HTML element content and quoted attribute values.
pub fn esc(s: &str) -> String {
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

/// Escapes a value for a URL query component.
pub fn url_component(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

const STYLE: &str = r#"
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}
header{background:#1b2b3a;color:#fff;padding:.6rem 1.2rem;display:flex;gap:1.2rem;align-items:center}
header a{color:#d7e3f0;text-decoration:none}header a.on{color:#fff;font-weight:600}
header .brand{font-weight:700;color:#fff;margin-right:1rem}
main{padding:1rem 1.2rem;max-width:1400px}
h1{font-size:1.3rem}h2{font-size:1.05rem;margin-top:1.4rem}
table{border-collapse:collapse;background:#fff;font-size:.88rem}
th,td{border:1px solid #dde1e6;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#eef1f4}td.num{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:flex;gap:1rem;flex-wrap:wrap}.card{background:#fff;border:1px solid #dde1e6;padding:.8rem;border-radius:6px}
.sev-critical{color:#fff;background:#8b0000}.sev-high{background:#f4b4b4}.sev-medium{background:#f8dfa6}
.sev-low{background:#dcebd0}.sev-info{background:#e6e9ed}
.pass{background:#cde8c5}.fail{background:#f2b8b5}.none{background:#f0f0f0}
form.inline{display:inline}pre{white-space:pre-wrap;word-break:break-all;background:#fff;border:1px solid #dde1e6;padding:.5rem}
textarea{width:100%;font-family:ui-monospace,monospace}.muted{color:#68717a}.error{color:#8b0000}
"#;

const NAV: &[(&str, &str)] = &[
    ("/", "Overview"),
    ("/findings", "Findings"),
    ("/accounts", "Accounts"),
    ("/posture", "Posture"),
    ("/cost", "Cost"),
    ("/search", "Search"),
    ("/hunt", "Hunt"),
];

/// A whole page: `body` is already HTML.
pub fn page(title: &str, active: &str, csrf: &str, body: &str) -> String {
    let mut nav = String::new();
    for (href, label) in NAV {
        let class = if *href == active { " class=\"on\"" } else { "" };
        let _ = write!(nav, "<a href=\"{href}\"{class}>{label}</a>");
    }
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{} · parapet</title>\
         <meta name=\"csrf-token\" content=\"{}\"><meta name=\"viewport\" content=\"width=device-width\">\
         <style>{STYLE}</style></head><body><header><span class=\"brand\">parapet</span>{nav}</header>\
         <main><h1>{}</h1>{body}</main></body></html>",
        esc(title),
        esc(csrf),
        esc(title)
    )
}

/// A table: headers and rows of already-escaped HTML cells.
pub fn table(id: &str, headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = format!("<table id=\"{}\"><thead><tr>", esc(id));
    for h in headers {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    for r in rows {
        out.push_str("<tr>");
        for c in r {
            out.push_str("<td>");
            out.push_str(c);
            out.push_str("</td>");
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

/// Horizontal bars: one per (label, value), scaled to the largest.
pub fn bar_chart(id: &str, title: &str, bars: &[(String, f64)], unit: &str) -> String {
    let width = 520.0;
    let label_w = 170.0;
    let row = 22.0;
    let height = row * bars.len().max(1) as f64 + 28.0;
    let max = bars.iter().map(|b| b.1).fold(0.0, f64::max).max(1e-9);
    let mut svg = format!(
        "<svg id=\"{}\" class=\"chart\" role=\"img\" aria-label=\"{}\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">\
         <title>{}</title><text x=\"0\" y=\"14\" font-size=\"13\" font-weight=\"600\">{}</text>",
        esc(id),
        esc(title),
        esc(title),
        esc(title)
    );
    for (i, (label, v)) in bars.iter().enumerate() {
        let y = 24.0 + i as f64 * row;
        let w = ((width - label_w - 90.0) * (v / max)).max(0.0);
        let short: String = if label.chars().count() > 24 {
            label.chars().take(23).chain(std::iter::once('…')).collect()
        } else {
            label.clone()
        };
        let _ = write!(
            svg,
            "<text x=\"0\" y=\"{:.1}\" font-size=\"12\">{}</text><rect x=\"{label_w}\" y=\"{:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"#3b6ea5\"><title>{}: {v:.2}{}</title></rect>\
             <text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\">{}{}</text>",
            y + 13.0,
            esc(&short),
            y + 2.0,
            row - 6.0,
            esc(label),
            esc(unit),
            label_w + w + 4.0,
            y + 13.0,
            format_value(*v),
            esc(unit)
        );
    }
    svg.push_str("</svg>");
    svg
}

fn format_value(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e12 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// Lines over a shared x axis (labels), one polyline per series.
pub fn line_chart(id: &str, title: &str, x: &[String], series: &[(String, Vec<f64>)], unit: &str) -> String {
    let (width, height) = (640.0, 220.0);
    let (left, right, top, bottom) = (56.0, 150.0, 24.0, 28.0);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let max = series
        .iter()
        .flat_map(|s| s.1.iter().copied())
        .fold(0.0, f64::max)
        .max(1e-9);
    let n = x.len().max(2) as f64 - 1.0;
    let colors = ["#3b6ea5", "#c0504d", "#6a9f3c", "#8064a2", "#d98c1f", "#2f8f8f"];
    let mut svg = format!(
        "<svg id=\"{}\" class=\"chart\" role=\"img\" aria-label=\"{}\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\">\
         <title>{}</title><text x=\"0\" y=\"14\" font-size=\"13\" font-weight=\"600\">{}</text>\
         <line x1=\"{left}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#999\"/>\
         <text x=\"0\" y=\"{:.1}\" font-size=\"11\">{}{}</text><text x=\"0\" y=\"{:.1}\" font-size=\"11\">0</text>",
        esc(id),
        esc(title),
        esc(title),
        esc(title),
        top + plot_h,
        left + plot_w,
        top + plot_h,
        top + 10.0,
        format_value(max),
        esc(unit),
        top + plot_h
    );
    if let (Some(first), Some(last)) = (x.first(), x.last()) {
        let _ = write!(
            svg,
            "<text x=\"{left}\" y=\"{:.1}\" font-size=\"11\">{}</text><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"end\">{}</text>",
            height - 8.0,
            esc(first),
            left + plot_w,
            height - 8.0,
            esc(last)
        );
    }
    for (i, (name, values)) in series.iter().enumerate() {
        let color = colors[i % colors.len()];
        let points: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(j, v)| {
                format!(
                    "{:.1},{:.1}",
                    left + plot_w * j as f64 / n,
                    top + plot_h - plot_h * (v / max)
                )
            })
            .collect();
        let short: String = name.chars().take(22).collect();
        let _ = write!(
            svg,
            "<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{}\"><title>{}</title></polyline>\
             <rect x=\"{:.1}\" y=\"{:.1}\" width=\"10\" height=\"10\" fill=\"{color}\"/><text x=\"{:.1}\" y=\"{:.1}\" font-size=\"11\">{}</text>",
            points.join(" "),
            esc(name),
            left + plot_w + 10.0,
            top + i as f64 * 16.0,
            left + plot_w + 24.0,
            top + 9.0 + i as f64 * 16.0,
            esc(&short)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_everything_it_shows() {
        assert_eq!(
            esc("<script>alert('x')</script>&\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;"
        );
        let chart = bar_chart("c", "<b>", &[("<img src=x>".into(), 2.0)], "$");
        assert!(!chart.contains("<img"), "{chart}");
        assert!(!chart.contains("<b>"), "{chart}");
        assert_eq!(url_component("a b&c"), "a%20b%26c");
        let lines = line_chart(
            "l",
            "t",
            &["d1".into(), "d2".into()],
            &[("<x>".into(), vec![1.0, 2.0])],
            "",
        );
        assert!(lines.contains("&lt;x&gt;") && !lines.contains("<x>"));
    }
}
