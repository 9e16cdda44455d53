//! The one place diagnostics and errors are printed: for people (ariadne),
//! as JSON, as a SARIF 2.1.0 log, or as GitHub workflow annotations.
//!
//! Every machine-readable form is built from [`Record`]s: one shape for a
//! [`Diagnostic`] (with its code and source position) and for an
//! [`Error`] (usage, I/O, configuration; with a file and position where
//! known), so a consumer reads both the same way.

use std::ops::Range;

use ariadne::{Color, Config, IndexType, Label, Report, ReportKind};
use serde::Serialize;

use std::collections::BTreeMap;

use crate::diagnostic::{Diagnostic, Severity};
use crate::error::Error;
use crate::k8s::{control_pictures, escape_controls, escape_controls_in_lines};
use crate::source::{FileId, SourceMap, Span};

/// Renders diagnostics for a terminal (or plain text without `color`).
/// What came from outside is never printed raw: messages, notes, help and
/// file names have their control characters escaped, and echoed lines show
/// them as pictures (`k8s::text`), so no input can drive the terminal.
pub fn human(diags: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    let mut out = Vec::new();
    // One cache for all: each file is prepared once, when first shown.
    let mut shown = Shown {
        sources,
        files: BTreeMap::new(),
    };
    for d in diags {
        if touches_long_line(d, sources) {
            render_without_source(d, sources, &mut out);
        } else {
            render_one(d, color, &mut shown, &mut out);
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The files of one rendering as ariadne shows them: the text with control
/// characters as pictures, the name escaped. A picture is one character
/// but several bytes, so ariadne counts characters, and spans (in bytes of
/// the text as read) are converted with the character offset of each line.
struct Shown<'a> {
    sources: &'a SourceMap,
    files: BTreeMap<FileId, ShownFile>,
}

struct ShownFile {
    source: ariadne::Source<String>,
    /// The character offset of the start of each line of the text as read.
    line_chars: Vec<usize>,
}

impl Shown<'_> {
    fn file(&mut self, id: FileId) -> Option<&ShownFile> {
        let f = self.sources.get(id)?;
        Some(self.files.entry(id).or_insert_with(|| {
            let mut line_chars = vec![0];
            let mut chars = 0;
            for c in f.text.chars() {
                chars += 1;
                if c == '\n' {
                    line_chars.push(chars);
                }
            }
            ShownFile {
                source: ariadne::Source::from(control_pictures(&f.text).into_owned()),
                line_chars,
            }
        }))
    }

    /// A span as ariadne takes it: its file and a range of characters.
    fn span(&mut self, span: Span) -> (FileId, Range<usize>) {
        let bytes = range(self.sources, span);
        let Some(f) = self.sources.get(span.file) else {
            return (span.file, bytes);
        };
        let chars = |shown: &ShownFile, offset: usize| {
            let line = f.line_of(offset);
            shown.line_chars.get(line - 1).copied().unwrap_or(0) + f.column_of(offset) - 1
        };
        match self.file(span.file) {
            Some(shown) => (
                span.file,
                chars(shown, bytes.start)..chars(shown, bytes.end),
            ),
            None => (span.file, bytes),
        }
    }
}

impl ariadne::Cache<FileId> for Shown<'_> {
    type Storage = String;

    fn fetch(&mut self, id: &FileId) -> Result<&ariadne::Source<String>, impl std::fmt::Debug> {
        self.file(*id).map(|f| &f.source).ok_or("no such source")
    }

    fn display<'b>(&self, id: &'b FileId) -> Option<impl std::fmt::Display + 'b> {
        self.sources
            .get(*id)
            .map(|f| escape_controls(&f.name).into_owned())
    }
}

/// Lines longer than this are not shown (a 10 MB line would be printed
/// whole, and underlined): the diagnostic names the place instead.
const MAX_SHOWN_LINE: usize = 1_000;

fn touches_long_line(d: &Diagnostic, sources: &SourceMap) -> bool {
    std::iter::once(d.span)
        .chain(d.secondary.iter().map(|l| l.span))
        .any(|span| {
            sources.get(span.file).is_some_and(|f| {
                let start = span.start().min(f.text.len());
                let line_start = f.text[..start].rfind('\n').map_or(0, |i| i + 1);
                let line_end = f.text[start..]
                    .find('\n')
                    .map_or(f.text.len(), |i| start + i);
                line_end - line_start > MAX_SHOWN_LINE
            })
        })
}

/// A diagnostic without source lines: code, message, place, notes, help.
fn render_without_source(d: &Diagnostic, sources: &SourceMap, out: &mut Vec<u8>) {
    let kind = match d.severity() {
        Severity::Error => "Error",
        Severity::Warning => "Warning",
    };
    let place = |span: Span| {
        sources.get(span.file).map_or_else(
            || "<unknown>".to_string(),
            |f| {
                format!(
                    "{}:{}:{}",
                    escape_controls(&f.name),
                    f.line_of(span.start()),
                    f.column_of(span.start())
                )
            },
        )
    };
    let e = |text: &str| escape_controls_in_lines(text).into_owned();
    let mut text = format!(
        "[{}] {kind}: {}\n   ╭─[ {} ]\n",
        d.code.id,
        e(&d.message),
        place(d.span)
    );
    if let Some(p) = &d.primary {
        text.push_str(&format!("   │ {} (the line is too long to show)\n", e(p)));
    }
    for l in &d.secondary {
        text.push_str(&format!("   │ {}: {}\n", place(l.span), e(&l.message)));
    }
    for n in &d.notes {
        text.push_str(&format!("   │ Note: {}\n", e(n)));
    }
    if let Some(h) = &d.help {
        text.push_str(&format!("   │ Help: {}\n", e(h)));
    }
    text.push_str("───╯\n");
    out.extend_from_slice(text.as_bytes());
}

fn file_name(sources: &SourceMap, span: Span) -> String {
    sources
        .get(span.file)
        .map_or_else(|| "<unknown>".to_string(), |f| f.name.clone())
}

fn range(sources: &SourceMap, span: Span) -> Range<usize> {
    let len = sources.get(span.file).map_or(0, |f| f.text.len());
    let start = span.start().min(len);
    start..span.end().clamp(start, len)
}

fn render_one(d: &Diagnostic, color: bool, shown: &mut Shown<'_>, out: &mut Vec<u8>) {
    let (kind, primary) = match d.severity() {
        Severity::Error => (ReportKind::Error, Color::Red),
        Severity::Warning => (ReportKind::Warning, Color::Yellow),
    };
    let e = |text: &str| escape_controls_in_lines(text).into_owned();
    let mut report = Report::build(kind, shown.span(d.span))
        .with_config(
            Config::default()
                .with_color(color)
                .with_index_type(IndexType::Char),
        )
        .with_code(d.code.id)
        .with_message(e(&d.message));
    let mut label = Label::new(shown.span(d.span)).with_color(primary);
    if let Some(text) = &d.primary {
        label = label.with_message(e(text));
    }
    report = report.with_label(label);
    for l in &d.secondary {
        report = report.with_label(
            Label::new(shown.span(l.span))
                .with_message(e(&l.message))
                .with_color(Color::Blue),
        );
    }
    for n in &d.notes {
        report = report.with_note(e(n));
    }
    if let Some(h) = &d.help {
        report = report.with_help(e(h));
    }
    if report.finish().write(&mut *shown, &mut *out).is_err() {
        out.extend_from_slice(format!("{}: {}\n", d.code.id, e(&d.message)).as_bytes());
    }
}

/// A location in JSON output: 1-based line and column (in characters);
/// `null` where not known (errors outside NPL text).
#[derive(Clone, Debug, Serialize)]
pub struct JsonLocation {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub end_line: Option<usize>,
    pub end_column: Option<usize>,
}

#[derive(Clone, Debug, Serialize)]
pub struct JsonLabel {
    pub location: JsonLocation,
    pub message: String,
}

/// A replacement in the JSON output: the text at `location` becomes `text`
/// (an empty location is an insertion).
#[derive(Clone, Debug, Serialize)]
pub struct JsonEdit {
    pub location: JsonLocation,
    pub text: String,
}

/// An edit the help names (a diagnostic's suggestion): what it does, whether
/// a tool may apply it without asking (`safe`) or only when asked
/// (`unsafe`), and its replacements.
#[derive(Clone, Debug, Serialize)]
pub struct JsonFix {
    pub message: String,
    pub applicability: &'static str,
    pub edits: Vec<JsonEdit>,
}

/// One diagnostic or error, in the one shape every machine-readable format
/// is built from (and the JSON format prints as is).
#[derive(Clone, Debug, Serialize)]
pub struct Record {
    /// The diagnostic code (`E002`), or `null` for an error outside NPL text.
    pub code: Option<&'static str>,
    /// `diagnostic`, or the kind of error: `usage`, `io`, `config`, `kustomization`.
    pub kind: &'static str,
    pub severity: &'static str,
    pub message: String,
    pub location: Option<JsonLocation>,
    /// Text at the primary location.
    pub label: Option<String>,
    /// Other locations that explain the problem.
    pub labels: Vec<JsonLabel>,
    pub notes: Vec<String>,
    pub help: Option<String>,
    /// The edits the help names, when it names some (SARIF `fixes`).
    pub fixes: Vec<JsonFix>,
    /// The one-line summary of the code or kind (SARIF rules).
    #[serde(skip)]
    pub summary: &'static str,
}

impl Record {
    /// The SARIF rule id and GitHub title: the code, else the kind.
    pub fn rule(&self) -> &'static str {
        self.code.unwrap_or(self.kind)
    }
}

fn location(sources: &SourceMap, span: Span) -> JsonLocation {
    let (line, column, end_line, end_column) = match sources.get(span.file) {
        Some(f) => (
            Some(f.line_of(span.start())),
            Some(f.column_of(span.start())),
            Some(f.line_of(span.end())),
            Some(f.column_of(span.end())),
        ),
        None => (None, None, None, None),
    };
    JsonLocation {
        file: file_name(sources, span),
        line,
        column,
        end_line,
        end_column,
    }
}

/// Diagnostics as records, located in `sources`.
pub fn records(diags: &[Diagnostic], sources: &SourceMap) -> Vec<Record> {
    diags
        .iter()
        .map(|d| Record {
            code: Some(d.code.id),
            kind: "diagnostic",
            severity: match d.severity() {
                Severity::Error => "error",
                Severity::Warning => "warning",
            },
            message: d.message.clone(),
            location: Some(location(sources, d.span)),
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
            fixes: d
                .suggestions
                .iter()
                .map(|s| JsonFix {
                    message: s.title.clone(),
                    applicability: s.applicability.as_str(),
                    edits: s
                        .edits
                        .iter()
                        .map(|e| JsonEdit {
                            location: location(sources, e.span),
                            text: e.text.clone(),
                        })
                        .collect(),
                })
                .collect(),
            summary: d.code.summary,
        })
        .collect()
}

/// An error as a record.
pub fn error_record(e: &Error) -> Record {
    record_of(e, "error")
}

/// A warning about the command line (a deprecated spelling) as a record.
pub fn warning_record(e: &Error) -> Record {
    record_of(e, "warning")
}

fn record_of(e: &Error, severity: &'static str) -> Record {
    Record {
        code: None,
        kind: e.kind.id(),
        severity,
        message: e.message.clone(),
        location: e.location.as_ref().map(|l| JsonLocation {
            file: l.file.clone(),
            line: l.line,
            column: l.column,
            end_line: l.line,
            end_column: l.column,
        }),
        label: None,
        labels: Vec::new(),
        notes: Vec::new(),
        help: e.help.clone(),
        fixes: Vec::new(),
        summary: e.kind.summary(),
    }
}

/// Records as a JSON array, one object each, for editors and CI bots.
pub fn json_records(records: &[Record]) -> String {
    let mut s = serde_json::to_string_pretty(records).unwrap_or_else(|_| "[]".to_string());
    s.push('\n');
    s
}

/// Diagnostics as a JSON array.
pub fn json(diags: &[Diagnostic], sources: &SourceMap) -> String {
    json_records(&records(diags, sources))
}

/// An error for people: `error: message`, where it is, and the help.
pub fn human_error(e: &Error, color: bool) -> String {
    human_record(e, "error", "\x1b[1;31m", color)
}

/// A warning about the command line for people: `warning: message` and the help.
pub fn human_warning(e: &Error, color: bool) -> String {
    human_record(e, "warning", "\x1b[1;33m", color)
}

fn human_record(e: &Error, what: &str, colour: &'static str, color: bool) -> String {
    let (red, bold, blue, reset) = if color {
        (colour, "\x1b[1m", "\x1b[1;34m", "\x1b[0m")
    } else {
        ("", "", "", "")
    };
    let mut out = format!(
        "{red}{what}{reset}{bold}: {}{reset}\n",
        escape_controls_in_lines(&e.message)
    );
    if let Some(l) = &e.location {
        let file = escape_controls(&l.file);
        let at = match (l.line, l.column) {
            (Some(line), Some(column)) => format!("{file}:{line}:{column}"),
            (Some(line), None) => format!("{file}:{line}"),
            _ => file.into_owned(),
        };
        out.push_str(&format!("  {blue}-->{reset} {at}\n"));
    }
    if let Some(help) = &e.help {
        out.push_str(&format!(
            "  {blue}={reset} {bold}help{reset}: {}\n",
            escape_controls_in_lines(help)
        ));
    }
    out
}

/// The SARIF log's `$schema`.
pub const SARIF_SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Records as a SARIF 2.1.0 log with one run (GitHub code scanning and
/// other CI tools read it). Columns count Unicode code points; paths are
/// relative URI references as given, or `file://` URIs when absolute.
pub fn sarif(records: &[Record]) -> String {
    use serde_json::{json, Value};
    let mut rules: Vec<(&'static str, &'static str)> =
        records.iter().map(|r| (r.rule(), r.summary)).collect();
    rules.sort();
    rules.dedup_by_key(|r| r.0);
    let results: Vec<Value> = records
        .iter()
        .map(|r| {
            let mut text = r.message.clone();
            if let Some(help) = &r.help {
                text.push_str(&format!("\nhelp: {help}"));
            }
            let mut result = json!({
                "ruleId": r.rule(),
                "ruleIndex": rules.iter().position(|(id, _)| *id == r.rule()).unwrap_or(0),
                "level": if r.severity == "warning" { "warning" } else { "error" },
                "message": {"text": text},
            });
            if let Some(l) = &r.location {
                result["locations"] = json!([sarif_location(l, None)]);
            }
            if !r.labels.is_empty() {
                let related: Vec<Value> = r
                    .labels
                    .iter()
                    .enumerate()
                    .map(|(i, l)| sarif_location(&l.location, Some((i, &l.message))))
                    .collect();
                result["relatedLocations"] = Value::Array(related);
            }
            if !r.fixes.is_empty() {
                result["fixes"] = Value::Array(r.fixes.iter().map(sarif_fix).collect());
            }
            result
        })
        .collect();
    let rules: Vec<Value> = rules
        .iter()
        .map(|(id, summary)| {
            let mut rule = json!({"id": id, "shortDescription": {"text": summary}});
            // A lint rule has a name and a description besides (`lint::RULES`).
            if let Some(r) = crate::lint::RULES.iter().find(|r| r.code.id == *id) {
                rule["name"] = json!(r.name);
                rule["fullDescription"] =
                    json!({"text": r.description.replace('`', ""), "markdown": r.description});
            }
            rule
        })
        .collect();
    let log = json!({
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "npc",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    });
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_default();
    s.push('\n');
    s
}

/// A fix as SARIF writes it: one artifact change per file, each
/// replacement a deleted region and the text inserted there.
fn sarif_fix(fix: &JsonFix) -> serde_json::Value {
    use serde_json::json;
    let mut changes: Vec<(&str, Vec<serde_json::Value>)> = Vec::new();
    for edit in &fix.edits {
        let l = &edit.location;
        let mut region = json!({});
        if let (Some(line), Some(column)) = (l.line, l.column) {
            region = json!({"startLine": line, "startColumn": column});
            if let (Some(end_line), Some(end_column)) = (l.end_line, l.end_column) {
                region["endLine"] = json!(end_line);
                region["endColumn"] = json!(end_column);
            }
        }
        let replacement = json!({"deletedRegion": region, "insertedContent": {"text": edit.text}});
        match changes.iter_mut().find(|(file, _)| *file == l.file) {
            Some((_, replacements)) => replacements.push(replacement),
            None => changes.push((&l.file, vec![replacement])),
        }
    }
    let changes: Vec<serde_json::Value> = changes
        .into_iter()
        .map(|(file, replacements)| {
            json!({"artifactLocation": {"uri": file_uri(file)}, "replacements": replacements})
        })
        .collect();
    json!({"description": {"text": fix.message}, "artifactChanges": changes})
}

fn sarif_location(l: &JsonLocation, related: Option<(usize, &str)>) -> serde_json::Value {
    use serde_json::json;
    let mut physical = json!({"artifactLocation": {"uri": file_uri(&l.file)}});
    if let (Some(line), Some(column)) = (l.line, l.column) {
        let mut region = json!({"startLine": line, "startColumn": column});
        if let (Some(end_line), Some(end_column)) = (l.end_line, l.end_column) {
            region["endLine"] = json!(end_line);
            region["endColumn"] = json!(end_column);
        }
        physical["region"] = region;
    }
    let mut location = json!({"physicalLocation": physical});
    if let Some((id, message)) = related {
        location["id"] = json!(id);
        location["message"] = json!({"text": message});
    }
    location
}

/// A path as a URI reference: percent-encoded, `file://` when absolute.
fn file_uri(path: &str) -> String {
    let mut out = String::new();
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Records as GitHub Actions workflow commands, one line each:
/// `::error file=F,line=L,col=C,endLine=…,endColumn=…,title=CODE::message`.
pub fn github(records: &[Record]) -> String {
    let mut out = String::new();
    for r in records {
        let mut props = Vec::new();
        if let Some(l) = &r.location {
            props.push(format!(
                "file={}",
                github_property(&escape_controls(&l.file))
            ));
            if let Some(line) = l.line {
                props.push(format!("line={line}"));
            }
            if let Some(column) = l.column {
                props.push(format!("col={column}"));
            }
            if let Some(end_line) = l.end_line {
                props.push(format!("endLine={end_line}"));
            }
            if let Some(end_column) = l.end_column.filter(|_| l.end_line == l.line) {
                props.push(format!("endColumn={end_column}"));
            }
        }
        props.push(format!(
            "title={}",
            github_property(&format!("{} {}", r.rule(), r.summary))
        ));
        let mut message = escape_controls_in_lines(&r.message).into_owned();
        if let Some(help) = &r.help {
            message.push_str(&format!("\nhelp: {}", escape_controls_in_lines(help)));
        }
        let command = if r.severity == "warning" {
            "warning"
        } else {
            "error"
        };
        out.push_str(&format!(
            "::{command} {}::{}\n",
            props.join(","),
            github_data(&message)
        ));
    }
    out
}

/// Escapes a workflow command's message.
fn github_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value.
fn github_property(s: &str) -> String {
    github_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Error, ErrorKind};

    #[test]
    fn errors_and_diagnostics_share_one_json_shape() {
        let c = crate::compile_str("p.npl", "namespace web\nallow web/a -> nope:80\n");
        let mut all = records(&c.diagnostics, &c.sources);
        all.push(error_record(
            &Error::io("cannot read `x.npl`: no such file").in_file("x.npl"),
        ));
        let v: serde_json::Value = serde_json::from_str(&json_records(&all)).unwrap();
        let keys = |o: &serde_json::Value| {
            let mut k: Vec<String> = o.as_object().unwrap().keys().cloned().collect();
            k.sort();
            k
        };
        assert_eq!(keys(&v[0]), keys(&v[1]));
        assert_eq!(v[0]["code"], "E002");
        assert_eq!(v[1]["code"], serde_json::Value::Null);
        assert_eq!(v[1]["kind"], "io");
        assert_eq!(v[1]["location"]["file"], "x.npl");
        assert_eq!(v[1]["location"]["line"], serde_json::Value::Null);
    }

    #[test]
    fn github_annotations_escape_their_fields() {
        let e = Error::new(ErrorKind::Config, "50% bad\nsecond line")
            .at("a,b:c.yaml", Some(3), Some(7))
            .with_help("fix it");
        assert_eq!(
            github(&[error_record(&e)]),
            "::error file=a%2Cb%3Ac.yaml,line=3,col=7,endLine=3,endColumn=7,title=config invalid configuration or input::50%25 bad%0Asecond line%0Ahelp: fix it\n"
        );
    }

    #[test]
    fn sarif_uris_are_encoded() {
        assert_eq!(file_uri("a b/c.npl"), "a%20b/c.npl");
        assert_eq!(file_uri("/abs/x.npl"), "file:///abs/x.npl");
        assert_eq!(file_uri("<stdin>"), "%3Cstdin%3E");
    }
}
