//! Request dispatch: each request's parameters to the adapter's question and
//! its answer back to protocol types.

use std::path::PathBuf;

use lsp_server::{ErrorCode, Request, RequestId, Response};
use lsp_types as lsp;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::analysis::{self, CheckedProgram};
use super::convert::{self, Spans};
use super::server::Server;
use super::workspace::{uri_path, Document};

/// Why a request got no answer.
enum Failure {
    /// The parameters do not have the request's shape.
    BadParams(String),
    /// The request was understood and refused (a rename collision).
    Refused(String),
}

type Answer = Result<serde_json::Value, Failure>;

fn params<P: DeserializeOwned>(req: &Request) -> Result<P, Failure> {
    serde_json::from_value(req.params.clone())
        .map_err(|e| Failure::BadParams(format!("invalid parameters for `{}`: {e}", req.method)))
}

fn json(value: impl Serialize) -> Answer {
    Ok(serde_json::to_value(value).unwrap_or(serde_json::Value::Null))
}

/// The buffer, its path and the analysis of its program.
struct Target<'a> {
    path: PathBuf,
    doc: &'a Document,
    analysis: &'a CheckedProgram,
}

impl Server<'_> {
    pub(super) fn request(&mut self, req: Request) -> Response {
        use lsp::request::*;
        let id: RequestId = req.id.clone();
        let answer = match req.method.as_str() {
            HoverRequest::METHOD => self.hover(&req),
            GotoDefinition::METHOD => self.definition(&req),
            References::METHOD => self.references(&req),
            PrepareRenameRequest::METHOD => self.prepare_rename(&req),
            Rename::METHOD => self.rename(&req),
            Completion::METHOD => self.completion(&req),
            Formatting::METHOD => self.formatting(&req),
            CodeActionRequest::METHOD => self.code_actions(&req),
            DocumentSymbolRequest::METHOD => self.symbols(&req),
            CodeLensRequest::METHOD => self.code_lenses(&req),
            _ => {
                return Response::new_err(
                    id,
                    ErrorCode::MethodNotFound as i32,
                    format!("npc does not answer `{}`", req.method),
                )
            }
        };
        match answer {
            Ok(value) => Response::new_ok(id, value),
            Err(Failure::BadParams(m)) => Response::new_err(id, ErrorCode::InvalidParams as i32, m),
            Err(Failure::Refused(m)) => Response::new_err(id, ErrorCode::RequestFailed as i32, m),
        }
    }

    fn target(&self, uri: &lsp::Url) -> Option<Target<'_>> {
        let path = uri_path(uri)?;
        let doc = self.workspace.docs.get(&path)?;
        let analysis = self.analysis(&path)?;
        Some(Target {
            path,
            doc,
            analysis,
        })
    }

    fn offset(&self, doc: &Document, position: lsp::Position) -> usize {
        doc.lines.offset(&doc.text, position, self.encoding)
    }

    fn spans<'a>(&'a self, analysis: &'a CheckedProgram) -> Spans<'a> {
        Spans::new(&self.workspace, analysis, self.encoding)
    }

    fn hover(&self, req: &Request) -> Answer {
        let p: lsp::HoverParams = params(req)?;
        let at = &p.text_document_position_params;
        let Some(t) = self.target(&at.text_document.uri) else {
            return json(());
        };
        let offset = self.offset(t.doc, at.position);
        let Some(hover) = t.analysis.hover(&t.path, offset) else {
            return json(());
        };
        json(lsp::Hover {
            contents: lsp::HoverContents::Markup(lsp::MarkupContent {
                kind: lsp::MarkupKind::Markdown,
                value: hover.markdown,
            }),
            range: self.spans(t.analysis).range(&hover.span),
        })
    }

    fn definition(&self, req: &Request) -> Answer {
        let p: lsp::GotoDefinitionParams = params(req)?;
        let at = &p.text_document_position_params;
        let Some(t) = self.target(&at.text_document.uri) else {
            return json(());
        };
        let offset = self.offset(t.doc, at.position);
        match t
            .analysis
            .definition(&t.path, offset)
            .and_then(|span| self.spans(t.analysis).location(&span))
        {
            Some(location) => json(lsp::GotoDefinitionResponse::Scalar(location)),
            None => json(()),
        }
    }

    fn references(&self, req: &Request) -> Answer {
        let p: lsp::ReferenceParams = params(req)?;
        let at = &p.text_document_position;
        let Some(t) = self.target(&at.text_document.uri) else {
            return json(());
        };
        let offset = self.offset(t.doc, at.position);
        let mut spans = self.spans(t.analysis);
        let locations: Vec<lsp::Location> = t
            .analysis
            .references(&t.path, offset, p.context.include_declaration)
            .iter()
            .filter_map(|s| spans.location(s))
            .collect();
        json(locations)
    }

    fn prepare_rename(&self, req: &Request) -> Answer {
        let p: lsp::TextDocumentPositionParams = params(req)?;
        let Some(t) = self.target(&p.text_document.uri) else {
            return json(());
        };
        let offset = self.offset(t.doc, p.position);
        let Some((span, name)) = t.analysis.rename_target(&t.path, offset) else {
            return Err(Failure::Refused(
                "only aliases and namespaces can be renamed".to_string(),
            ));
        };
        match self.spans(t.analysis).range(&span) {
            Some(range) => json(lsp::PrepareRenameResponse::RangeWithPlaceholder {
                range,
                placeholder: name,
            }),
            None => json(()),
        }
    }

    fn rename(&self, req: &Request) -> Answer {
        let p: lsp::RenameParams = params(req)?;
        let at = &p.text_document_position;
        let Some(t) = self.target(&at.text_document.uri) else {
            return json(());
        };
        let offset = self.offset(t.doc, at.position);
        let edits = t
            .analysis
            .rename(&t.path, offset, &p.new_name)
            .map_err(Failure::Refused)?;
        json(self.spans(t.analysis).edits(&edits))
    }

    fn completion(&self, req: &Request) -> Answer {
        let p: lsp::CompletionParams = params(req)?;
        let at = &p.text_document_position;
        let Some(t) = self.target(&at.text_document.uri) else {
            return json(());
        };
        let offset = self.offset(t.doc, at.position);
        let ((start, end), items) = t.analysis.completions(&t.doc.text, offset);
        let range = t.doc.lines.range(&t.doc.text, start, end, self.encoding);
        let items: Vec<lsp::CompletionItem> = items
            .into_iter()
            .map(|c| lsp::CompletionItem {
                label: c.label,
                kind: Some(convert::completion_kind(c.kind)),
                detail: c.detail,
                text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit::new(
                    range, c.insert,
                ))),
                ..lsp::CompletionItem::default()
            })
            .collect();
        json(lsp::CompletionResponse::Array(items))
    }

    fn formatting(&self, req: &Request) -> Answer {
        let p: lsp::DocumentFormattingParams = params(req)?;
        let Some(path) = uri_path(&p.text_document.uri) else {
            return json(());
        };
        let Some(doc) = self.workspace.docs.get(&path) else {
            return json(());
        };
        // A file with syntax errors is left as it is, like `npc fmt` does.
        let Some(formatted) = analysis::format(&doc.text) else {
            return json(());
        };
        if formatted == *doc.text {
            return json(Vec::<lsp::TextEdit>::new());
        }
        let whole = doc.lines.range(&doc.text, 0, doc.text.len(), self.encoding);
        json(vec![lsp::TextEdit::new(whole, formatted)])
    }

    fn code_actions(&self, req: &Request) -> Answer {
        let p: lsp::CodeActionParams = params(req)?;
        let Some(t) = self.target(&p.text_document.uri) else {
            return json(());
        };
        let start = self.offset(t.doc, p.range.start);
        let end = self.offset(t.doc, p.range.end);
        let mut spans = self.spans(t.analysis);
        let actions: Vec<lsp::CodeActionOrCommand> = t
            .analysis
            .fixes(&t.path, start, end)
            .into_iter()
            .map(|fix| {
                let diagnostics = spans.range(&fix.diagnostic).map(|range| {
                    // The client's own diagnostic, matched by code and range.
                    p.context
                        .diagnostics
                        .iter()
                        .filter(|d| {
                            d.range == range
                                && d.code == Some(lsp::NumberOrString::String(fix.code.to_string()))
                        })
                        .cloned()
                        .collect::<Vec<_>>()
                });
                lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
                    title: fix.title,
                    kind: Some(lsp::CodeActionKind::QUICKFIX),
                    diagnostics: diagnostics.filter(|d| !d.is_empty()),
                    edit: Some(spans.edits(&fix.edits)),
                    is_preferred: fix.preferred.then_some(true),
                    ..lsp::CodeAction::default()
                })
            })
            .collect();
        json(actions)
    }

    fn symbols(&self, req: &Request) -> Answer {
        let p: lsp::DocumentSymbolParams = params(req)?;
        let Some(t) = self.target(&p.text_document.uri) else {
            return json(());
        };
        let mut spans = self.spans(t.analysis);
        let symbols: Vec<lsp::DocumentSymbol> = t
            .analysis
            .symbols(&t.path)
            .iter()
            .filter_map(|s| spans.symbol(s))
            .collect();
        json(lsp::DocumentSymbolResponse::Nested(symbols))
    }

    fn code_lenses(&self, req: &Request) -> Answer {
        let p: lsp::CodeLensParams = params(req)?;
        let Some(t) = self.target(&p.text_document.uri) else {
            return json(());
        };
        let mut spans = self.spans(t.analysis);
        let lenses: Vec<lsp::CodeLens> = t
            .analysis
            .statement_policies(&t.path)
            .into_iter()
            .filter_map(|s| {
                let mut range = spans.range(&s.span)?;
                range.end = range.start;
                Some(lsp::CodeLens {
                    range,
                    command: Some(lsp::Command {
                        title: policy_title(&s.policies),
                        // Nothing to run: the lens is information.
                        command: String::new(),
                        arguments: None,
                    }),
                    data: None,
                })
            })
            .collect();
        json(lenses)
    }
}

/// `2 policies: web/frontend, payments/api-server`
pub fn policy_title(policies: &[String]) -> String {
    const SHOWN: usize = 4;
    match policies.len() {
        0 => "no policy".to_string(),
        n => {
            let mut names: Vec<&str> = policies.iter().take(SHOWN).map(String::as_str).collect();
            if n > SHOWN {
                names.push("…");
            }
            format!(
                "{n} polic{}: {}",
                if n == 1 { "y" } else { "ies" },
                names.join(", ")
            )
        }
    }
}
