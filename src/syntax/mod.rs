//! Syntax: the pest grammar (`grammar/npl.pest`) and its lowering to the AST.
//! pest types never leave this module.

pub mod ast;
mod lower;
mod names;

use pest::Parser as _;

use crate::diagnostic::{codes, Diagnostic, Diagnostics};
use crate::source::{FileId, Span};

pub use names::rule_name;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/npl.pest"]
pub(crate) struct NplParser;

/// At most this many syntax errors are reported for one file.
const MAX_SYNTAX_ERRORS: usize = 10;

/// Parses one file. On syntax errors the file's AST is `None` and every
/// syntax error found (by resuming at the next line) is reported.
pub fn parse(file: FileId, text: &str) -> (Option<ast::File>, Diagnostics) {
    let mut diags = Diagnostics::default();
    match NplParser::parse(Rule::file, text) {
        Ok(pairs) => {
            let lowered = lower::Lower { file }.file(pairs);
            match lowered {
                Ok(ast) => (Some(ast), diags),
                Err(d) => {
                    diags.push(*d);
                    (None, diags)
                }
            }
        }
        Err(first) => {
            let mut offset = 0;
            let mut error = first;
            loop {
                let (diag, at) = syntax_diagnostic(file, text, offset, &error);
                diags.push(diag);
                if diags.len() >= MAX_SYNTAX_ERRORS {
                    break;
                }
                let Some(next) = resume_point(text, at) else {
                    break;
                };
                offset = next;
                match NplParser::parse(Rule::file, &text[offset..]) {
                    Ok(_) => break,
                    Err(e) => error = e,
                }
            }
            (None, diags)
        }
    }
}

/// The start of the first line after `at` that could begin a statement:
/// blank lines and lines holding only a closing brace are skipped.
fn resume_point(text: &str, at: usize) -> Option<usize> {
    let mut pos = at;
    loop {
        let nl = text.get(pos..)?.find('\n')?;
        pos += nl + 1;
        let line_end = text[pos..].find('\n').map_or(text.len(), |i| pos + i);
        let line = text[pos..line_end].trim();
        if !(line.is_empty() || line.starts_with('#') || line.chars().all(|c| c == '}')) {
            return Some(pos);
        }
    }
}

fn syntax_diagnostic(
    file: FileId,
    text: &str,
    offset: usize,
    error: &pest::error::Error<Rule>,
) -> (Diagnostic, usize) {
    let at = offset
        + match error.location {
            pest::error::InputLocation::Pos(p) => p,
            pest::error::InputLocation::Span((s, _)) => s,
        };
    let found = found_token(text, at);
    let expected = match &error.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => {
            names::describe_expected(positives)
        }
        pest::error::ErrorVariant::CustomError { message } => message.clone(),
    };
    let end = (at + found.len().max(1)).min(text.len().max(at));
    let span = Span::new(file, at, end.max(at));
    let found_text = if found.is_empty() {
        if at >= text.len() {
            "end of file".to_string()
        } else {
            "end of line".to_string()
        }
    } else {
        format!("`{found}`")
    };
    let mut diag = Diagnostic::new(
        codes::SYNTAX,
        span,
        format!("expected {expected}, found {found_text}"),
    )
    .with_primary(format!("expected {expected}"));
    if let Some(help) = names::hint(text, at, &found) {
        diag = diag.with_help(help);
    }
    (diag, at)
}

/// The token at `at`, for "found ..." in syntax errors.
fn found_token(text: &str, at: usize) -> String {
    let rest = text.get(at..).unwrap_or("");
    let first = rest.chars().next();
    match first {
        None | Some('\n') | Some('\r') => String::new(),
        Some(c) if c.is_alphanumeric() || c == '_' || c == '-' || c == '.' => rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
            .collect(),
        Some('-') if rest.starts_with("->") => "->".to_string(),
        Some(c) => c.to_string(),
    }
}
