//! The server's state and main loop: buffers follow the client's
//! notifications; programs are re-checked on one worker thread (kept for
//! the server's life) once the queue of notifications is drained (so a
//! burst of keystrokes costs one check), and a check still running when a
//! newer edit of its program arrives is abandoned (the compiler is asked
//! to stop between stages) and its result dropped. Requests are answered
//! after the check of the edits before them; diagnostics are published for
//! every file of each re-checked program, with the version of the buffer
//! they were computed from.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

use crossbeam_channel::{select, unbounded, Receiver, Sender, TryRecvError};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types as lsp;
use lsp_types::notification::Notification as _;

use super::analysis::{self, CheckedProgram};
use super::convert::Spans;
use super::position::Encoding;
use super::workspace::{uri_path, Buffers, Document, Workspace, MAX_OPEN_BYTES};

/// The most requests that wait for a check; past that the client is not
/// read until the check is done (its pipe holds the rest).
const MAX_WAITING: usize = 1_000;

pub struct Server<'c> {
    pub connection: &'c Connection,
    pub encoding: Encoding,
    pub workspace: Workspace,
    /// The analysis of each program, by root file.
    pub analyses: HashMap<PathBuf, CheckedProgram>,
    /// Files changed since the last check started.
    dirty: BTreeSet<PathBuf>,
    /// Files whose last published diagnostics were not empty.
    published: HashSet<PathBuf>,
    /// Whether the client asked for `$/logTrace` notifications.
    trace: bool,
    /// The check on the worker thread, if one runs.
    running: Option<Running>,
    /// Requests that wait for the check of the edits sent before them.
    waiting: VecDeque<Request>,
    /// The thread that checks programs.
    worker: Worker,
}

/// The most programs whose caches are kept for re-checks.
const MAX_CACHED_PROGRAMS: usize = 16;

/// What the last check of each program keeps, by root: a re-check parses
/// again only the statements an edit touched and compiles again only the
/// policies it changed. Held by the worker thread, the only one that
/// checks.
#[derive(Default)]
struct Caches(HashMap<PathBuf, analysis::Cache>);

impl Caches {
    /// The cache of one program (parses, compiled policies), taken out
    /// while it is checked.
    fn take(&mut self, root: &Path) -> analysis::Cache {
        self.0.remove(root).unwrap_or_default()
    }

    /// Puts a program's cache back after a check that ended normally.
    fn keep(&mut self, root: PathBuf, cache: analysis::Cache) {
        if self.0.len() >= MAX_CACHED_PROGRAMS {
            self.0.clear();
        }
        self.0.insert(root, cache);
    }
}

/// A check of some programs on the worker thread.
struct Running {
    /// The roots being checked, with their names in messages.
    roots: BTreeMap<PathBuf, String>,
    /// Files changed since the check started: an analysis that read one is
    /// stale, and dropped.
    changed: BTreeSet<PathBuf>,
    /// Set to ask the check to stop.
    cancel: Arc<AtomicBool>,
    /// One message per root, then the end of the channel.
    results: Receiver<Checked>,
    /// The version of each open buffer when the check started.
    versions: HashMap<PathBuf, i32>,
}

/// What the worker says about one root.
enum Checked {
    Done(PathBuf, Box<CheckedProgram>),
    /// Stopped when asked to.
    Cancelled(PathBuf),
    /// The compiler panicked.
    Failed(PathBuf),
}

/// One check: the programs to check, what they read, and where the results go.
struct Job {
    roots: Vec<(PathBuf, String)>,
    buffers: Buffers,
    cancel: Arc<AtomicBool>,
    /// Dropped at the end of the job: the server then knows the check ended.
    results: Sender<Checked>,
}

/// The worker thread, started at the first check and kept: every check
/// runs on the same thread, one at a time, so the memory one check frees is
/// where the next one allocates (the allocator keeps freed memory by
/// thread; a thread per check faulted in fresh pages every edit).
#[derive(Default)]
struct Worker {
    jobs: Option<Sender<Job>>,
}

impl Worker {
    /// Hands `job` to the thread, starting one if none runs (or the last
    /// one is gone); false when no thread can be started.
    fn run(&mut self, job: Job) -> bool {
        let job = match &self.jobs {
            Some(jobs) => match jobs.send(job) {
                Ok(()) => return true,
                Err(returned) => returned.0,
            },
            None => job,
        };
        let (jobs, queue) = unbounded::<Job>();
        let started = thread::Builder::new()
            .name("lsp-check".to_string())
            .spawn(move || {
                let mut caches = Caches::default();
                for job in queue {
                    check(job, &mut caches);
                }
            });
        if started.is_err() || jobs.send(job).is_err() {
            self.jobs = None;
            return false;
        }
        self.jobs = Some(jobs);
        true
    }
}

/// Checks a job's programs in turn, each with its cache, until done or
/// cancelled; one message per program.
fn check(job: Job, caches: &mut Caches) {
    let Job {
        roots,
        buffers,
        cancel,
        results,
    } = job;
    let cancelled = || cancel.load(Ordering::Relaxed);
    for (root, name) in roots {
        let mut cache = caches.take(&root);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            analysis::analyze_cached(&root, &name, &buffers, &cancelled, &mut cache)
        }));
        // After a panic the cache is dropped, not trusted.
        if outcome.is_ok() {
            caches.keep(root.clone(), cache);
        }
        let checked = match outcome {
            Ok(Some(a)) => Checked::Done(root, Box::new(a)),
            Ok(None) => Checked::Cancelled(root),
            Err(_) => Checked::Failed(root),
        };
        if results.send(checked).is_err() {
            return;
        }
    }
}

impl<'c> Server<'c> {
    pub fn new(
        connection: &'c Connection,
        encoding: Encoding,
        workspace: Workspace,
        trace: bool,
    ) -> Self {
        Server {
            connection,
            encoding,
            workspace,
            analyses: HashMap::new(),
            dirty: BTreeSet::new(),
            published: HashSet::new(),
            trace,
            running: None,
            waiting: VecDeque::new(),
            worker: Worker::default(),
        }
    }

    /// Serves until `shutdown` and `exit`, or until the client goes away.
    pub fn run(&mut self) -> Result<(), String> {
        loop {
            let message = if let Some(results) = self.running.as_ref().map(|r| r.results.clone()) {
                if self.waiting.len() >= MAX_WAITING {
                    // Enough requests wait: the client is read again once
                    // the check is done.
                    match results.recv() {
                        Ok(checked) => self.checked(checked),
                        Err(_) => self.check_ended(),
                    }
                    continue;
                }
                // A check runs: take messages, and its results as they come.
                select! {
                    recv(self.connection.receiver) -> m => match m {
                        Ok(m) => m,
                        Err(_) => {
                            self.stop_check();
                            return Ok(());
                        }
                    },
                    recv(results) -> checked => {
                        match checked {
                            Ok(checked) => self.checked(checked),
                            Err(_) => self.check_ended(),
                        }
                        continue;
                    },
                }
            } else if !self.dirty.is_empty() {
                match self.connection.receiver.try_recv() {
                    Ok(m) => m,
                    Err(TryRecvError::Empty) => {
                        self.start_check();
                        continue;
                    }
                    Err(TryRecvError::Disconnected) => return Ok(()),
                }
            } else if let Some(req) = self.waiting.pop_front() {
                let response = self.respond(req);
                self.send(response.into());
                continue;
            } else {
                match self.connection.receiver.recv() {
                    Ok(m) => m,
                    Err(_) => return Ok(()),
                }
            };
            match message {
                Message::Request(req) => {
                    if req.method == <lsp::request::Shutdown as lsp::request::Request>::METHOD {
                        self.stop_check();
                    }
                    if self
                        .connection
                        .handle_shutdown(&req)
                        .map_err(|e| e.to_string())?
                    {
                        return Ok(());
                    }
                    self.waiting.push_back(req);
                }
                Message::Notification(n) if n.method == lsp::notification::Exit::METHOD => {
                    self.stop_check();
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
            DidOpenTextDocument, DidSaveTextDocument, SetTrace,
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
                let room = MAX_OPEN_BYTES.saturating_sub(self.workspace.open_bytes(&path));
                let mut doc =
                    Document::new(p.text_document.uri, p.text_document.version, String::new());
                if p.text_document.text.len() > room {
                    doc.drop_text(p.text_document.text.len());
                } else {
                    doc.set_text(p.text_document.text);
                }
                self.workspace.docs.insert(path.clone(), doc);
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
                let room = MAX_OPEN_BYTES.saturating_sub(self.workspace.open_bytes(&path));
                let Some(doc) = self.workspace.docs.get_mut(&path) else {
                    return;
                };
                doc.version = p.text_document.version;
                for change in p.content_changes {
                    apply_change(doc, change, encoding, room);
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
            SetTrace::METHOD => {
                if let Ok(p) = n.extract::<lsp::SetTraceParams>(SetTrace::METHOD) {
                    self.trace = p.value != lsp::TraceValue::Off;
                }
            }
            _ => {}
        }
    }

    /// Notes a changed file; a running check of its program is stopped.
    fn changed(&mut self, path: PathBuf) {
        self.workspace.refresh_includes(&path);
        if let Some(running) = &mut self.running {
            let root = self.workspace.root_of(&path);
            if running.roots.contains_key(&root) {
                running.cancel.store(true, Ordering::Relaxed);
            }
            running.changed.insert(path.clone());
        }
        self.dirty.insert(path);
    }

    /// Starts checking, on the worker thread, every program an open buffer
    /// belongs to that has a changed file (or no analysis yet).
    fn start_check(&mut self) {
        let dirty = std::mem::take(&mut self.dirty);
        let roots: BTreeSet<PathBuf> = self
            .workspace
            .docs
            .keys()
            .map(|p| self.workspace.root_of(p))
            .collect();
        self.analyses.retain(|root, _| roots.contains(root));
        let mut stale: BTreeMap<PathBuf, String> = BTreeMap::new();
        for root in roots {
            let is_stale = match self.analyses.get(&root) {
                None => true,
                Some(a) => a.files().any(|f| dirty.contains(f)) || dirty.contains(&root),
            };
            if is_stale {
                // Freed before the new check, which can then reuse its memory.
                drop(self.analyses.remove(&root));
                let name = self.workspace.display_name(&root);
                stale.insert(root, name);
            }
        }
        if stale.is_empty() {
            self.clear_gone();
            return;
        }
        for name in stale.values() {
            self.log_trace(format!("checking `{name}`"));
        }
        let cancel = Arc::new(AtomicBool::new(false));
        let (sender, results) = unbounded();
        let buffers = self.workspace.buffers();
        let versions = self
            .workspace
            .docs
            .iter()
            .map(|(p, d)| (p.clone(), d.version))
            .collect();
        let job = Job {
            roots: stale.iter().map(|(r, n)| (r.clone(), n.clone())).collect(),
            buffers,
            cancel: Arc::clone(&cancel),
            results: sender,
        };
        if !self.worker.run(job) {
            self.log_error("npc cannot start a thread to check the program");
            return;
        }
        self.running = Some(Running {
            roots: stale,
            changed: BTreeSet::new(),
            cancel,
            results,
            versions,
        });
    }

    /// Takes one root's result: published if nothing it read has changed
    /// since the check started, else dropped.
    fn checked(&mut self, checked: Checked) {
        let Some(running) = &self.running else {
            return;
        };
        match checked {
            Checked::Done(root, analysis) => {
                let name = running.roots.get(&root).cloned().unwrap_or_default();
                let stale = running.changed.contains(&root)
                    || analysis.files().any(|f| running.changed.contains(f));
                if stale {
                    self.log_trace(format!(
                        "dropped the check of `{name}`: a newer edit arrived"
                    ));
                    return;
                }
                self.analyses.insert(root.clone(), *analysis);
                self.log_trace(format!("checked `{name}`"));
                self.publish(&root);
            }
            Checked::Cancelled(root) => {
                let name = running.roots.get(&root).cloned().unwrap_or_default();
                self.log_trace(format!(
                    "dropped the check of `{name}`: a newer edit arrived"
                ));
            }
            Checked::Failed(root) => {
                let name = running.roots.get(&root).cloned().unwrap_or_default();
                self.log_error(&format!(
                    "npc failed while checking `{name}`; please report this with the file"
                ));
            }
        }
    }

    /// The worker is done. A program whose check was dropped has no
    /// analysis, and the edit that dropped it is in `dirty`: the next check
    /// takes it up. Diagnostics of files no program holds any more are
    /// cleared once no check is due.
    fn check_ended(&mut self) {
        self.running = None;
        if self.dirty.is_empty() {
            self.clear_gone();
        }
    }

    /// Stops a running check and waits for the worker to notice.
    fn stop_check(&mut self) {
        if let Some(running) = self.running.take() {
            running.cancel.store(true, Ordering::Relaxed);
            // The worker stops at its next question; its results are dropped.
            for _ in running.results.iter() {}
        }
    }

    /// Clears the diagnostics of files no program holds any more.
    fn clear_gone(&mut self) {
        let mut current: HashSet<&Path> = HashSet::new();
        for a in self.analyses.values() {
            current.extend(a.files());
        }
        let gone: Vec<PathBuf> = self
            .published
            .iter()
            .filter(|p| !current.contains(p.as_path()))
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
        let versions = self.running.as_ref().map(|r| &r.versions);
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
            let version = versions.and_then(|v| v.get(path).copied());
            out.push((path.to_path_buf(), uri, diagnostics, version));
        }
        for (path, uri, diagnostics, version) in out {
            if diagnostics.is_empty() {
                self.published.remove(&path);
            } else {
                self.published.insert(path.clone());
            }
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

    /// A `$/logTrace` line, when the client asked for them.
    fn log_trace(&self, message: String) {
        if self.trace {
            self.notify::<lsp::notification::LogTrace>(lsp::LogTraceParams {
                message,
                verbose: None,
            });
        }
    }

    /// The analysis of the program `path` belongs to.
    pub fn analysis(&self, path: &Path) -> Option<&CheckedProgram> {
        self.analyses.get(&self.workspace.root_of(path))
    }
}

/// Applies one change to a buffer: the whole text, or a range replaced. A
/// buffer that would grow past its limit (or past `room`, what the other
/// buffers leave) loses its text; a range cannot apply to a buffer without
/// its text, and is ignored until a change gives the whole text again.
fn apply_change(
    doc: &mut Document,
    change: lsp::TextDocumentContentChangeEvent,
    encoding: Encoding,
    room: usize,
) {
    match change.range {
        None if change.text.len() > room => doc.drop_text(change.text.len()),
        None => doc.set_text(change.text),
        Some(_) if doc.too_large.is_some() => {}
        Some(range) => {
            let start = doc.lines.offset(&doc.text, range.start, encoding);
            let end = doc.lines.offset(&doc.text, range.end, encoding).max(start);
            let len = doc.text.len() - (end - start) + change.text.len();
            if len > room {
                doc.drop_text(len);
                return;
            }
            let mut text = String::with_capacity(len);
            text.push_str(doc.text.get(..start).unwrap_or(""));
            text.push_str(&change.text);
            text.push_str(doc.text.get(end..).unwrap_or(""));
            doc.set_text(text);
        }
    }
}
