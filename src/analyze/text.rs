//! An [`Analysis`] as text: the `src => dst : conn` lines that users of
//! netpol-analyzer's `list` read, CSV, Markdown, and JSON. Every field of
//! the text formats has its control characters escaped (`k8s::text`): no
//! name can write to the terminal or start a line of its own.

use super::{Analysis, Exposure};
use crate::k8s::escape_controls;

/// A field of a text format, escaped.
fn field(text: impl ToString) -> String {
    escape_controls(&text.to_string()).into_owned()
}

/// `src => dst : conn` per line, then the exposure sections when computed.
pub fn txt(analysis: &Analysis) -> String {
    let mut out = String::new();
    for c in &analysis.connections {
        out.push_str(&format!(
            "{} => {} : {}\n",
            field(&c.src),
            field(&c.dst),
            field(c.conn.text(analysis.conventions))
        ));
    }
    if let Some(exposure) = &analysis.exposure {
        out.push_str("\nExposure Analysis Result:\nEgress Exposure:\n");
        for e in exposure.iter().filter(|e| e.direction == "egress") {
            out.push_str(&format!(
                "{} => {} : {}\n",
                field(&e.workload),
                field(&e.peer.0),
                exposure_conn(e)
            ));
        }
        out.push_str("\nIngress Exposure:\n");
        for e in exposure.iter().filter(|e| e.direction == "ingress") {
            out.push_str(&format!(
                "{} <= {} : {}\n",
                field(&e.workload),
                field(&e.peer.0),
                exposure_conn(e)
            ));
        }
    }
    out
}

fn exposure_conn(e: &Exposure) -> String {
    let mut text = if e.conn.0.is_empty() {
        String::new()
    } else {
        e.conn.to_string()
    };
    if !e.named_ports.is_empty() {
        if !text.is_empty() {
            text.push(',');
        }
        text.push_str(&format!("named {}", e.named_ports.join(",")));
    }
    field(text)
}

/// A CSV field, escaped, and quoted when it holds a comma or a quote.
fn csv_field(text: &str) -> String {
    let text = field(text);
    if text.contains([',', '"']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// `src,dst,conn` with a header line.
pub fn csv(analysis: &Analysis) -> String {
    let mut out = String::from("src,dst,conn\n");
    for c in &analysis.connections {
        out.push_str(&format!(
            "{},{},{}\n",
            csv_field(&c.src.to_string()),
            csv_field(&c.dst.to_string()),
            csv_field(&c.conn.text(analysis.conventions))
        ));
    }
    out
}

/// A Markdown table; `|` in cells is escaped.
pub fn md(analysis: &Analysis) -> String {
    let cell = |text: String| field(text).replace('|', "\\|");
    let mut out = String::from("| src | dst | conn |\n|-----|-----|------|\n");
    for c in &analysis.connections {
        out.push_str(&format!(
            "| {} | {} | {} |\n",
            cell(c.src.to_string()),
            cell(c.dst.to_string()),
            cell(c.conn.text(analysis.conventions))
        ));
    }
    if let Some(exposure) = &analysis.exposure {
        out.push_str(
            "\n## Exposure\n\n| workload | direction | peer | conn |\n|-----|-----|-----|------|\n",
        );
        for e in exposure {
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                cell(e.workload.to_string()),
                e.direction,
                cell(e.peer.0.clone()),
                cell(exposure_conn(e))
            ));
        }
    }
    out
}

/// The analysis as pretty JSON (see `docs/analyze.md` for the schema).
pub fn json(analysis: &Analysis) -> String {
    let mut text = serde_json::to_string_pretty(analysis).unwrap_or_else(|_| "{}".to_owned());
    text.push('\n');
    text
}
