//! The server's state and main loop: buffers follow the client's
//! notifications; programs are re-checked once the queue of notifications
//! is drained (so a burst of keystrokes costs one check) and before any
//! request is answered; diagnostics are published for every file of each
//! re-checked program.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use crossbeam_channel::TryRecvError;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types as lsp;
use lsp_types::notification::Notification as _;

use super::analysis::{self, Analysis};
use super::convert::Spans;
use super::position::Encoding;
use super::workspace::{uri_path, Document, Workspace};

pub struct Server<'c> {
    pub connection: &'c Connection,
    pub encoding: Encoding,
    pub workspace: Workspace,
    /// The analysis of each program, by root file.
    pub analyses: HashMap<PathBuf, Analysis>,
    /// Files changed since the last check.
    dirty: BTreeSet<PathBuf>,
    /// Files whose last published diagnostics were not empty.
    published: HashSet<PathBuf>,
}

impl<'c> Server<'c> {
    pub fn new(connection: &'c Connection, encoding: Encoding, workspace: Workspace) -> Self {
        Server {
            connection,
            encoding,
            workspace,
            analyses: HashMap::new(),
            dirty: BTreeSet::new(),
            published: HashSet::new(),
        }
    }

    /// Serves until `shutdown` and `exit`, or until the client goes away.
    pub fn run(&mut self) -> Result<(), String> {
        loop {
            let message = if self.dirty.is_empty() {
                match self.connection.receiver.recv() {
                    Ok(m) => m,
                    Err(_) => return Ok(()),
                }
            } else {
                match self.connection.receiver.try_recv() {
                    Ok(m) => m,
                    Err(TryRecvError::Empty) => {
                        self.check();
                        continue;
                    }
                    Err(TryRecvError::Disconnected) => return Ok(()),
                }
            };
            match message {
                Message::Request(req) => {
                    if self
                        .connection
                        .handle_shutdown(&req)
                        .map_err(|e| e.to_string())?
                    {
                        return Ok(());
                    }
                    self.check();
                    let response = self.respond(req);
                    self.send(response.into());
                }
                Message::Notification(n) if n.method == lsp::notification::Exit::METHOD => {
                    return Ok(());
                }
                Message::Notification(n) => self.notification(n),
                Message::Response(_) => {}
            }
        }
    }

    pub fn send(&self, message: Message) {
        // A closed channel means the client is gone; the loop ends on its own.
        let _ = self.connection.sender.send(message);
    }

    /// Answers a request; a panic in the compiler becomes an error response.
    fn respond(&mut self, req: Request) -> Response {
        let id = req.id.clone();
        let method = req.method.clone();
        match catch_unwind(AssertUnwindSafe(|| self.request(req))) {
            Ok(response) => response,
            Err(_) => Response::new_err(
                id,
                ErrorCode::InternalError as i32,
                format!("npc failed while answering `{method}`; please report this with the file"),
            ),
        }
    }

    fn notification(&mut self, n: Notification) {
        use lsp::notification::{
            DidChangeTextDocument, DidChangeWatchedFiles, DidCloseTextDocument,
            DidOpenTextDocument, DidSaveTextDocument,
        };
        match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let Ok(p) =
                    n.extract::<lsp::DidOpenTextDocumentParams>(DidOpenTextDocument::METHOD)
                else {
                    return;
                };
                let Some(path) = uri_path(&p.text_document.uri) else {
                    return;
                };
                self.workspace.docs.insert(
                    path.clone(),
                    Document::new(p.text_document.uri, p.text_document.text),
                );
                self.changed(path);
            }
            DidChangeTextDocument::METHOD => {
                let Ok(p) =
                    n.extract::<lsp::DidChangeTextDocumentParams>(DidChangeTextDocument::METHOD)
                else {
                    return;
                };
                let Some(path) = uri_path(&p.text_document.uri) else {
                    return;
                };
                let encoding = self.encoding;
                let Some(doc) = self.workspace.docs.get_mut(&path) else {
                    return;
                };
                for change in p.content_changes {
                    apply_change(doc, change, encoding);
                }
                self.changed(path);
            }
            DidSaveTextDocument::METHOD => {
                if let Ok(p) =
                    n.extract::<lsp::DidSaveTextDocumentParams>(DidSaveTextDocument::METHOD)
                {
                    // Programs read open files from their buffers, which a
                    // save does not change; only a file saved unopened is news.
                    if let Some(path) = uri_path(&p.text_document.uri) {
                        if !self.workspace.docs.contains_key(&path) {
                            self.changed(path);
                        }
                    }
                }
            }
            DidCloseTextDocument::METHOD => {
                if let Ok(p) =
                    n.extract::<lsp::DidCloseTextDocumentParams>(DidCloseTextDocument::METHOD)
                {
                    if let Some(path) = uri_path(&p.text_document.uri) {
                        self.workspace.docs.remove(&path);
                        self.changed(path);
                    }
                }
            }
            DidChangeWatchedFiles::METHOD => {
                if let Ok(p) =
                    n.extract::<lsp::DidChangeWatchedFilesParams>(DidChangeWatchedFiles::METHOD)
                {
                    for change in p.changes {
                        if let Some(path) = uri_path(&change.uri) {
                            self.changed(path);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn changed(&mut self, path: PathBuf) {
        self.workspace.refresh_includes(&path);
        self.dirty.insert(path);
    }

    /// Re-checks every program an open buffer belongs to that has a changed
    /// file, and publishes its diagnostics.
    fn check(&mut self) {
        if self.dirty.is_empty() {
            return;
        }
        let dirty = std::mem::take(&mut self.dirty);
        let roots: BTreeSet<PathBuf> = self
            .workspace
            .docs
            .keys()
            .map(|p| self.workspace.root_of(p))
            .collect();
        self.analyses.retain(|root, _| roots.contains(root));
        let mut checked = Vec::new();
        for root in roots {
            let stale = match self.analyses.get(&root) {
                None => true,
                Some(a) => a.files().any(|f| dirty.contains(f)) || dirty.contains(&root),
            };
            if stale {
                // Freed before the new check, which can then reuse its memory.
                drop(self.analyses.remove(&root));
                let name = self.workspace.display_name(&root);
                let workspace = &self.workspace;
                let analysis = catch_unwind(AssertUnwindSafe(|| {
                    analysis::analyze(&root, &name, workspace)
                }));
                match analysis {
                    Ok(a) => {
                        self.analyses.insert(root.clone(), a);
                        checked.push(root);
                    }
                    Err(_) => {
                        self.log_error(&format!(
                            "npc failed while checking `{name}`; please report this with the file"
                        ));
                    }
                }
            }
        }
        let mut current: HashSet<PathBuf> = HashSet::new();
        for a in self.analyses.values() {
            current.extend(a.files().map(Path::to_path_buf));
        }
        for root in &checked {
            self.publish(root);
        }
        let gone: Vec<PathBuf> = self
            .published
            .iter()
            .filter(|p| !current.contains(*p))
            .cloned()
            .collect();
        for path in gone {
            self.published.remove(&path);
            if let Some(uri) = self.workspace.uri(&path) {
                self.notify::<lsp::notification::PublishDiagnostics>(
                    lsp::PublishDiagnosticsParams::new(uri, Vec::new(), None),
                );
            }
        }
    }

    fn publish(&mut self, root: &Path) {
        let Some(analysis) = self.analyses.get(root) else {
            return;
        };
        let mut spans = Spans::new(&self.workspace, analysis, self.encoding);
        let mut out = Vec::new();
        for path in analysis.files() {
            let problems = analysis.problems(path);
            let diagnostics: Vec<lsp::Diagnostic> = problems
                .iter()
                .filter_map(|p| spans.diagnostic(p))
                .collect();
            let Some(uri) = self.workspace.uri(path) else {
                continue;
            };
            out.push((path.to_path_buf(), uri, diagnostics));
        }
        for (path, uri, diagnostics) in out {
            if diagnostics.is_empty() {
                self.published.remove(&path);
            } else {
                self.published.insert(path.clone());
            }
            let version = None;
            self.notify::<lsp::notification::PublishDiagnostics>(
                lsp::PublishDiagnosticsParams::new(uri, diagnostics, version),
            );
        }
    }

    pub fn notify<N: lsp::notification::Notification>(&self, params: N::Params) {
        self.send(Notification::new(N::METHOD.to_string(), params).into());
    }

    fn log_error(&self, message: &str) {
        self.notify::<lsp::notification::LogMessage>(lsp::LogMessageParams {
            typ: lsp::MessageType::ERROR,
            message: message.to_string(),
        });
    }

    /// The analysis of the program `path` belongs to.
    pub fn analysis(&self, path: &Path) -> Option<&Analysis> {
        self.analyses.get(&self.workspace.root_of(path))
    }
}

/// Applies one change to a buffer: the whole text, or a range replaced.
fn apply_change(
    doc: &mut Document,
    change: lsp::TextDocumentContentChangeEvent,
    encoding: Encoding,
) {
    match change.range {
        None => doc.set_text(change.text),
        Some(range) => {
            let start = doc.lines.offset(&doc.text, range.start, encoding);
            let end = doc.lines.offset(&doc.text, range.end, encoding).max(start);
            let mut text = String::with_capacity(doc.text.len() + change.text.len());
            text.push_str(doc.text.get(..start).unwrap_or(""));
            text.push_str(&change.text);
            text.push_str(doc.text.get(end..).unwrap_or(""));
            doc.set_text(text);
        }
    }
}
