//! One file into YAML documents: values from the bounded reader, spans from
//! the position index, and an error per malformed document after which
//! reading resumes at the next `---` line.

use serde_yaml::Value;

use super::positions::{self, FieldSpans};
use crate::diagnostic::{codes, Diagnostic};
use crate::k8s::yaml::{parse_documents, ReadError};
use crate::source::{FileId, Span};

/// One document of a file.
#[derive(Clone, Debug)]
pub struct Document {
    pub file: FileId,
    /// 1-based index in the file.
    pub index: usize,
    pub value: Value,
    /// Offsets into the whole file; empty when positions are unknown.
    pub spans: FieldSpans,
    /// Byte offset of the document's first line (the fallback location).
    pub start: usize,
}

/// The documents of `text`, with the spans of their fields when
/// `positions`; every malformed document adds an E101 diagnostic and is
/// left out.
pub fn parse(
    file: FileId,
    text: &str,
    positions: bool,
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<Document> {
    let mut out = Vec::new();
    let mut offset = 0;
    let mut before = 0; // documents in the segments already read
    loop {
        let segment = &text[offset..];
        // The rest parses whole, as YAML or else as JSON.
        let parsed = parse_documents(segment).or_else(|error| as_json(segment).ok_or(error));
        match parsed {
            Ok(values) => {
                push_segment(
                    file,
                    text,
                    (offset, text.len()),
                    values,
                    before,
                    positions,
                    &mut out,
                );
                break;
            }
            Err(error) => {
                let chunks = chunks(segment);
                // The failing chunk: the one holding the error position (an
                // error at a `---` line belongs to the document it ends),
                // else the document the parser counted.
                let bad = match error.line {
                    Some(line) => {
                        let column = error.column.unwrap_or(1).saturating_sub(1);
                        let at = line_offset(segment, line) + column;
                        chunks.iter().rposition(|c| c.0 < at).unwrap_or(0)
                    }
                    None => error
                        .document
                        .saturating_sub(1)
                        .min(chunks.len().saturating_sub(1)),
                };
                let (bad_start, bad_end) = chunks.get(bad).copied().unwrap_or((0, segment.len()));
                // The documents before it parse on their own.
                let prefix = &segment[..bad_start];
                let mut good = 0;
                if !prefix.trim().is_empty() {
                    if let Ok(values) = parse_documents(prefix) {
                        good = values.len();
                        let range = (offset, offset + bad_start);
                        push_segment(file, text, range, values, before, positions, &mut out);
                    }
                }
                let index = before + good + 1;
                let chunk = (bad_start, bad_end);
                diagnostics.push(syntax_error(file, text, offset, index, &error, chunk));
                before = index;
                if bad_end == 0 || bad_end >= segment.len() {
                    break;
                }
                offset += bad_end;
            }
        }
    }
    out
}

/// Adds the documents of one segment that parsed, with their spans when
/// the position index agrees on the number of documents.
fn push_segment(
    file: FileId,
    text: &str,
    (offset, end): (usize, usize),
    values: Vec<Value>,
    before: usize,
    positions: bool,
    out: &mut Vec<Document>,
) {
    let segment = &text[offset..end];
    let body_offset = offset + (segment.len() - segment.trim_start_matches('\u{feff}').len());
    let body = &text[body_offset..end];
    let spans = positions
        .then(|| positions::documents(body))
        .flatten()
        .filter(|docs| docs.len() == values.len())
        .map(|docs| {
            docs.into_iter()
                .map(|d| d.shifted(body_offset))
                .collect::<Vec<_>>()
        });
    let starts = chunks(body);
    for (i, value) in values.into_iter().enumerate() {
        let spans = spans
            .as_ref()
            .and_then(|s| s.get(i).cloned())
            .unwrap_or_default();
        let start = spans
            .root()
            .map(|(s, _)| s)
            .or_else(|| starts.get(i).map(|c| body_offset + c.0))
            .unwrap_or(body_offset);
        out.push(Document {
            file,
            index: before + i + 1,
            value,
            spans,
            start,
        });
    }
}

/// JSON that the YAML reader refused (tabs, for instance): one document.
fn as_json(text: &str) -> Option<Vec<Value>> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return None;
    }
    // serde_json stops at 128 levels of nesting with an error.
    let json: serde_json::Value = serde_json::from_str(trimmed).ok()?;
    serde_yaml::to_value(json).ok().map(|v| vec![v])
}

/// The documents of a text as byte ranges, split at `---` lines; a
/// leading part with only comments and blank lines belongs to the first.
fn chunks(text: &str) -> Vec<(usize, usize)> {
    let mut starts = vec![0];
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let separator =
            content == "---" || content.starts_with("--- ") || content.starts_with("---\t");
        if separator && at > 0 {
            let previous = &text[*starts.last().unwrap_or(&0)..at];
            let only_comments = previous.lines().all(|l| {
                l.trim().is_empty() || l.trim_start().starts_with('#') || l.trim() == "---"
            });
            if !only_comments {
                starts.push(at);
            }
        }
        at += line.len();
    }
    let mut out = Vec::new();
    for (i, start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(text.len());
        out.push((*start, end));
    }
    out
}

/// Byte offset of a 1-based line.
fn line_offset(text: &str, line: usize) -> usize {
    if line <= 1 {
        return 0;
    }
    text.match_indices('\n')
        .nth(line - 2)
        .map_or(text.len(), |(i, _)| i + 1)
}

/// The error at the parser's position; a position past the document's
/// content (the parser reached the next `---` or the end of the file) moves
/// back to the document's last character, where the unclosed bracket or
/// the missing value usually is.
fn syntax_error(
    file: FileId,
    text: &str,
    offset: usize,
    document: usize,
    error: &ReadError,
    (chunk_start, chunk_end): (usize, usize),
) -> Diagnostic {
    let segment = &text[offset..];
    let content_end = chunk_start
        + segment[chunk_start..chunk_end.min(segment.len())]
            .trim_end()
            .len();
    let at = match error.line {
        Some(line) => {
            let start = line_offset(segment, line);
            let column = error.column.unwrap_or(1).saturating_sub(1);
            let line_text = segment[start..].split('\n').next().unwrap_or("");
            let col_bytes: usize = line_text.chars().take(column).map(char::len_utf8).sum();
            start + col_bytes
        }
        None => chunk_start,
    };
    let at = if at >= content_end && content_end > chunk_start {
        let last = segment[..content_end]
            .chars()
            .next_back()
            .map_or(1, char::len_utf8);
        content_end - last
    } else {
        at
    };
    let at = offset + at;
    let end = (at + 1).min(text.len()).max(at);
    let end = if text.is_char_boundary(end) { end } else { at };
    Diagnostic::new(
        codes::MANIFEST_SYNTAX,
        Span::new(file, at, end),
        format!("document {document} is not valid YAML: {}", error.message),
    )
    .with_primary("here")
    .with_help("fix the document, or pass `--keep-going` to skip it and read the others")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> (Vec<Document>, Vec<Diagnostic>) {
        let mut diags = Vec::new();
        let docs = parse(FileId(0), text, true, &mut diags);
        (docs, diags)
    }

    #[test]
    fn documents_are_numbered_and_located() {
        let text = "# header\n---\na: 1\n---\nb: 2\n";
        let (docs, diags) = parse_str(text);
        assert!(diags.is_empty());
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[1].index, 2);
        assert_eq!(&text[docs[1].start..docs[1].start + 4], "b: 2");
        let (s, e) = docs[1].spans.locate("b").unwrap();
        assert_eq!(&text[s..e], "b: 2");
    }

    #[test]
    fn a_malformed_document_is_skipped_and_reading_resumes() {
        let text = "a: 1\n---\nb: [1,\n---\nc: 3\n---\nd: {\n";
        let (docs, diags) = parse_str(text);
        let kept: Vec<usize> = docs.iter().map(|d| d.index).collect();
        assert_eq!(kept, [1, 3]);
        assert_eq!(diags.len(), 2, "{diags:?}");
        assert!(
            diags[0].message.starts_with("document 2 is not valid YAML"),
            "{}",
            diags[0].message
        );
        assert!(
            diags[1].message.starts_with("document 4 "),
            "{}",
            diags[1].message
        );
        // Spans stay in file offsets after a resumption.
        let (s, e) = docs[1].spans.locate("c").unwrap();
        assert_eq!(&text[s..e], "c: 3");
    }

    #[test]
    fn json_with_tabs_and_a_bom() {
        let text = "\u{feff}{\n\t\"kind\": \"Namespace\",\n\t\"metadata\": {\"name\": \"x\"}\n}\n";
        let (docs, diags) = parse_str(text);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(docs.len(), 1);
        assert_eq!(docs[0].value["metadata"]["name"].as_str(), Some("x"));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_hang() {
        let text = format!("a: 1\n---\n{}\n", "[".repeat(100_000));
        let (docs, diags) = parse_str(&text);
        assert_eq!(docs.len(), 1);
        assert!(diags[0].message.contains("nesting"), "{}", diags[0].message);
    }
}
