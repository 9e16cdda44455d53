//! From the adapter's results (byte spans in files by path) to protocol types.

use std::collections::HashMap;
use std::path::Path;

use lsp_types as lsp;
use lsp_types::Url;

use super::analysis::{self, CheckedProgram, CompletionKind, FileSpan, Problem, SymbolKind};
use super::position::{Encoding, LineIndex};
use super::workspace::Workspace;

/// Where each code's page lives, relative to the repository root. Links
/// point into the repository named in `Cargo.toml` (`repository`), else into
/// the source tree npc was built from, when that still has the pages.
const ERROR_PAGES: &str = "docs/errors";

/// The page that explains a diagnostic code.
pub fn error_page(code: &str) -> Option<Url> {
    let repository = env!("CARGO_PKG_REPOSITORY").trim_end_matches('/');
    if !repository.is_empty() {
        return Url::parse(&format!("{repository}/blob/main/{ERROR_PAGES}/{code}.md")).ok();
    }
    let page = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(ERROR_PAGES)
        .join(format!("{code}.md"));
    page.is_file()
        .then(|| Url::from_file_path(&page).ok())
        .flatten()
}

/// Converts spans of one analysis to protocol ranges, with the line index of
/// each file's current text.
pub struct Spans<'a> {
    pub workspace: &'a Workspace,
    pub analysis: &'a CheckedProgram,
    pub encoding: Encoding,
    cache: HashMap<&'a Path, LineIndex>,
}

impl<'a> Spans<'a> {
    pub fn new(workspace: &'a Workspace, analysis: &'a CheckedProgram, encoding: Encoding) -> Self {
        Spans {
            workspace,
            analysis,
            encoding,
            cache: HashMap::new(),
        }
    }

    pub fn range(&mut self, span: &FileSpan) -> Option<lsp::Range> {
        if let Some(doc) = self.workspace.docs.get(&span.path) {
            return Some(
                doc.lines
                    .range(&doc.text, span.start, span.end, self.encoding),
            );
        }
        let text = self.analysis.text(&span.path)?;
        let path: &'a Path = self.analysis.files().find(|p| *p == span.path)?;
        let lines = self
            .cache
            .entry(path)
            .or_insert_with(|| LineIndex::new(text));
        Some(lines.range(text, span.start, span.end, self.encoding))
    }

    pub fn location(&mut self, span: &FileSpan) -> Option<lsp::Location> {
        Some(lsp::Location::new(
            self.workspace.uri(&span.path)?,
            self.range(span)?,
        ))
    }

    pub fn diagnostic(&mut self, p: &Problem) -> Option<lsp::Diagnostic> {
        let related: Vec<lsp::DiagnosticRelatedInformation> = p
            .related
            .iter()
            .filter_map(|(span, message)| {
                Some(lsp::DiagnosticRelatedInformation {
                    location: self.location(span)?,
                    message: message.clone(),
                })
            })
            .collect();
        Some(lsp::Diagnostic {
            range: self.range(&p.span)?,
            severity: Some(if p.error {
                lsp::DiagnosticSeverity::ERROR
            } else {
                lsp::DiagnosticSeverity::WARNING
            }),
            code: Some(lsp::NumberOrString::String(p.code.to_string())),
            code_description: error_page(p.code).map(|href| lsp::CodeDescription { href }),
            source: Some("npc".to_string()),
            message: p.message.clone(),
            related_information: (!related.is_empty()).then_some(related),
            tags: None,
            data: None,
        })
    }

    pub fn edits(&mut self, edits: &[analysis::Edit]) -> lsp::WorkspaceEdit {
        let mut changes: HashMap<Url, Vec<lsp::TextEdit>> = HashMap::new();
        for e in edits {
            let (Some(uri), Some(range)) = (self.workspace.uri(&e.span.path), self.range(&e.span))
            else {
                continue;
            };
            changes
                .entry(uri)
                .or_default()
                .push(lsp::TextEdit::new(range, e.text.clone()));
        }
        lsp::WorkspaceEdit::new(changes)
    }

    #[allow(deprecated)] // `deprecated` is a required field of the protocol type
    pub fn symbol(&mut self, s: &analysis::Symbol) -> Option<lsp::DocumentSymbol> {
        Some(lsp::DocumentSymbol {
            name: s.name.clone(),
            detail: s.detail.clone(),
            kind: match s.kind {
                SymbolKind::Namespace => lsp::SymbolKind::NAMESPACE,
                SymbolKind::Alias => lsp::SymbolKind::VARIABLE,
                SymbolKind::Rule => lsp::SymbolKind::EVENT,
                SymbolKind::Expectation => lsp::SymbolKind::BOOLEAN,
                SymbolKind::Setting => lsp::SymbolKind::PROPERTY,
                SymbolKind::Include => lsp::SymbolKind::FILE,
            },
            tags: None,
            deprecated: None,
            range: self.range(&s.span)?,
            selection_range: self.range(&s.selection)?,
            children: Some(s.children.iter().filter_map(|c| self.symbol(c)).collect()),
        })
    }
}

pub fn completion_kind(kind: CompletionKind) -> lsp::CompletionItemKind {
    match kind {
        CompletionKind::Keyword => lsp::CompletionItemKind::KEYWORD,
        CompletionKind::Namespace => lsp::CompletionItemKind::MODULE,
        CompletionKind::Alias => lsp::CompletionItemKind::VARIABLE,
        CompletionKind::Workload => lsp::CompletionItemKind::CLASS,
        CompletionKind::LabelKey => lsp::CompletionItemKind::PROPERTY,
        CompletionKind::LabelValue => lsp::CompletionItemKind::VALUE,
        CompletionKind::Protocol => lsp::CompletionItemKind::ENUM_MEMBER,
        CompletionKind::Setting => lsp::CompletionItemKind::PROPERTY,
    }
}
