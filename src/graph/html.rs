//! The graph as one self-contained HTML page: the model as JSON, the
//! script that lays it out and draws it as SVG, and the styles, all inline.
//! Nothing is fetched: a Content-Security-Policy forbids every network
//! access.

use super::Graph;

const STYLE: &str = include_str!("html/report.css");
const SCRIPT: &str = include_str!("html/report.js");

/// Escapes text for HTML element content and attribute values.
pub(crate) fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON that can stand inside a `<script>` element: `<`, `>`, `&` and the
/// line separators U+2028/U+2029 as `\u` escapes (they occur only inside
/// strings, where the escape means the same character).
pub(crate) fn script_json(g: &Graph) -> String {
    let json = serde_json::to_string(g).unwrap_or_else(|_| "{}".to_string());
    let mut out = String::with_capacity(json.len() + 64);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// Renders the page.
pub fn render(g: &Graph) -> String {
    let title = escape_html(&format!("{}: {}", g.of.command(), g.title));
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
<meta name=\"generator\" content=\"npc graph\">\n\
<title>{title}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n\
<div id=\"app\">\n\
<header id=\"bar\"><h1>{title}</h1>\n\
<label>namespace <select id=\"ns-filter\"><option value=\"\">all namespaces</option></select></label>\n\
<label>find <input id=\"find\" list=\"node-ids\" placeholder=\"ns/name\" autocomplete=\"off\"></label><datalist id=\"node-ids\"></datalist>\n\
<label title=\"one line per pair of namespaces\"><input type=\"checkbox\" id=\"grouped\"> by namespace</label>\n\
{expect_toggle}<button id=\"zoom-in\" title=\"zoom in\">+</button><button id=\"zoom-out\" title=\"zoom out\">−</button><button id=\"fit\" title=\"fit to window\">fit</button>\n\
</header>\n\
<main id=\"stage\"><svg id=\"canvas\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" aria-label=\"connectivity graph\"></svg></main>\n\
<aside id=\"panel\" aria-live=\"polite\"></aside>\n\
</div>\n\
<script type=\"application/json\" id=\"npc-graph\">{json}</script>\n\
<script>\n{SCRIPT}</script>\n</body>\n</html>\n",
        json = script_json(g),
        // Manifests have no `expect` lines.
        expect_toggle = match g.of {
            super::Source::Program => {
                "<label><input type=\"checkbox\" id=\"show-expect\" checked> expectations</label>\n"
            }
            super::Source::Manifests => "",
        },
    )
}
