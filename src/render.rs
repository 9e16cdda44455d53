//! The one place diagnostics are printed: human-readable (ariadne) or JSON.

use std::ops::Range;

use ariadne::{Color, Config, IndexType, Label, Report, ReportKind};
use serde::Serialize;

use crate::diagnostic::{Diagnostic, Severity};
use crate::source::{SourceMap, Span};

/// Renders diagnostics for a terminal (or plain text without `color`).
pub fn human(diags: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    let mut out = Vec::new();
    for d in diags {
        render_one(d, sources, color, &mut out);
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn file_name(sources: &SourceMap, span: Span) -> String {
    sources
        .get(span.file)
        .map_or_else(|| "<unknown>".to_string(), |f| f.name.clone())
}

fn range(sources: &SourceMap, span: Span) -> Range<usize> {
    let len = sources.get(span.file).map_or(0, |f| f.text.len());
    let start = span.start.min(len);
    start..span.end.clamp(start, len)
}

fn render_one(d: &Diagnostic, sources: &SourceMap, color: bool, out: &mut Vec<u8>) {
    let (kind, primary) = match d.severity() {
        Severity::Error => (ReportKind::Error, Color::Red),
        Severity::Warning => (ReportKind::Warning, Color::Yellow),
    };
    let name = file_name(sources, d.span);
    let mut report = Report::build(kind, (name.clone(), range(sources, d.span)))
        .with_config(
            Config::default()
                .with_color(color)
                .with_index_type(IndexType::Byte),
        )
        .with_code(d.code.id)
        .with_message(&d.message);
    let mut label = Label::new((name, range(sources, d.span))).with_color(primary);
    if let Some(text) = &d.primary {
        label = label.with_message(text);
    }
    report = report.with_label(label);
    for l in &d.secondary {
        report = report.with_label(
            Label::new((file_name(sources, l.span), range(sources, l.span)))
                .with_message(&l.message)
                .with_color(Color::Blue),
        );
    }
    for n in &d.notes {
        report = report.with_note(n);
    }
    if let Some(h) = &d.help {
        report = report.with_help(h);
    }
    let cache = ariadne::sources(
        sources
            .files()
            .map(|(_, f)| (f.name.clone(), f.text.clone())),
    );
    if report.finish().write(cache, &mut *out).is_err() {
        out.extend_from_slice(format!("{}: {}\n", d.code.id, d.message).as_bytes());
    }
}

/// A location in JSON output: 1-based line and column.
#[derive(Serialize)]
struct JsonLocation {
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

#[derive(Serialize)]
struct JsonLabel {
    location: JsonLocation,
    message: String,
}

#[derive(Serialize)]
struct JsonDiagnostic {
    code: &'static str,
    severity: &'static str,
    message: String,
    location: JsonLocation,
    label: Option<String>,
    labels: Vec<JsonLabel>,
    notes: Vec<String>,
    help: Option<String>,
}

fn location(sources: &SourceMap, span: Span) -> JsonLocation {
    let (line, column, end_line, end_column) = match sources.get(span.file) {
        Some(f) => (
            f.line_of(span.start),
            f.column_of(span.start),
            f.line_of(span.end),
            f.column_of(span.end),
        ),
        None => (0, 0, 0, 0),
    };
    JsonLocation {
        file: file_name(sources, span),
        line,
        column,
        end_line,
        end_column,
    }
}

/// Diagnostics as a JSON array, one object each, for editors and CI bots.
pub fn json(diags: &[Diagnostic], sources: &SourceMap) -> String {
    let items: Vec<JsonDiagnostic> = diags
        .iter()
        .map(|d| JsonDiagnostic {
            code: d.code.id,
            severity: match d.severity() {
                Severity::Error => "error",
                Severity::Warning => "warning",
            },
            message: d.message.clone(),
            location: location(sources, d.span),
            label: d.primary.clone(),
            labels: d
                .secondary
                .iter()
                .map(|l| JsonLabel {
                    location: location(sources, l.span),
                    message: l.message.clone(),
                })
                .collect(),
            notes: d.notes.clone(),
            help: d.help.clone(),
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".to_string());
    s.push('\n');
    s
}
