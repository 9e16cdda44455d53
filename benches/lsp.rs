//! Language-server responsiveness: re-checking a 1,000-line program after one
//! edit (`npc-gen`, 45 namespaces × 10 workloads, 1,010 lines).
//!
//! ```text
//! cargo bench --bench lsp
//! ```
//!
//! - `lsp/analyze`: the adapter alone: the whole program compiled and
//!   checked from the edited text, names indexed.
//! - `lsp/didChange`: the server in this process: one `didChange` (a port
//!   number edited), then a request; the answer comes after the re-check
//!   and after the diagnostics are published.
//!
//! Instruction counts: with `NPC_LSP_EDITS=N` set, the binary makes N such
//! edits through the server and exits, without criterion, so that
//! `valgrind --tool=callgrind` of N = 5 and N = 1 differ by four re-checks.
//! The edit is in an `expect` line (no policy changes); with
//! `NPC_LSP_EDIT=allow` it is in an `allow` line (one namespace's policies
//! change):
//!
//! ```text
//! cargo bench --bench lsp --no-run   # prints the binary's path
//! NPC_LSP_EDITS=5 valgrind --tool=callgrind target/release/deps/lsp-HASH
//! ```

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

/// The allocator of the `npc` binary (src/main.rs), so that the numbers are
/// the binary's.
#[cfg(any(target_os = "linux", target_os = "macos"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, Criterion};
use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::json;

use npc::lsp::analysis::{self, Files};

const NAMESPACES: usize = 45;
const WORKLOADS: usize = 10;

struct Buffer {
    path: PathBuf,
    text: String,
}

impl Files for Buffer {
    fn read(&self, path: &Path) -> Result<String, npc::files::ReadError> {
        if path == self.path {
            Ok(self.text.clone())
        } else {
            Err(npc::files::ReadError::io(
                &path.display().to_string(),
                &std::io::ErrorKind::NotFound.into(),
            ))
        }
    }
}

/// The program, and the byte range of a port number in its middle: in the
/// first such line (an `expect` line), or with `NPC_LSP_EDIT=allow` in the
/// first `allow` line with one (which changes a policy).
fn program() -> (String, usize) {
    let text = npc_gen::generate(NAMESPACES, WORKLOADS, 1);
    assert!(text.lines().count() >= 1000);
    let middle = text.len() / 2;
    let allow = std::env::var("NPC_LSP_EDIT").is_ok_and(|e| e == "allow");
    let at = text[middle..]
        .match_indices(":80")
        .map(|(i, _)| middle + i)
        .find(|&i| {
            let line = text[..i].rfind('\n').map_or(0, |l| l + 1);
            !allow || text[line..].starts_with("allow ")
        })
        .map(|i| i + 1)
        .unwrap();
    (text, at)
}

fn analyze(c: &mut Criterion) {
    let (text, at) = program();
    let path = PathBuf::from("/bench/policies.npl");
    // Two texts that differ in one port; alternate so nothing can be reused.
    let edited = format!("{}81{}", &text[..at], &text[at + 2..]);
    let buffers = [
        Buffer {
            path: path.clone(),
            text: text.clone(),
        },
        Buffer {
            path: path.clone(),
            text: edited,
        },
    ];
    let check = analysis::analyze(&path, "policies.npl", &buffers[0]);
    assert!(check.compiled(), "{:?}", check.problems(&path));
    let mut i = 0;
    c.bench_function("lsp/analyze", |b| {
        b.iter(|| {
            i += 1;
            black_box(analysis::analyze(&path, "policies.npl", &buffers[i % 2]))
        })
    });
}

/// The server on a thread of this process, with the program open.
struct Session {
    client: Connection,
    thread: std::thread::JoinHandle<Result<(), String>>,
    uri: String,
    line: u32,
    ch: u32,
    id: i32,
    version: i32,
    _dir: tempfile::TempDir,
}

impl Session {
    fn start() -> Session {
        let (text, at) = program();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("policies.npl");
        std::fs::write(&path, &text).unwrap();
        let uri = lsp_types::Url::from_file_path(&path).unwrap().to_string();
        let line = text[..at].matches('\n').count() as u32;
        let ch = (at - text[..at].rfind('\n').map_or(0, |i| i + 1)) as u32;
        let (server, client) = Connection::memory();
        let thread = std::thread::spawn(move || npc::lsp::serve(&server));
        let mut session = Session {
            client,
            thread,
            uri,
            line,
            ch,
            id: 0,
            version: 1,
            _dir: dir,
        };
        session.request(
            "initialize",
            json!({"processId": null, "rootUri": null, "capabilities": {}}),
        );
        session.notify("initialized", json!({}));
        let uri = session.uri.clone();
        session.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "npl", "version": 1, "text": text}}),
        );
        assert_eq!(session.request("npc/sync", json!(null)), 1);
        session
    }

    /// Sends a request; returns how many diagnostics were published before
    /// its answer.
    fn request(&mut self, method: &str, params: serde_json::Value) -> usize {
        self.id += 1;
        let id = self.id;
        self.client
            .sender
            .send(Request::new(RequestId::from(id), method.to_string(), params).into())
            .unwrap();
        let mut published = 0;
        loop {
            match self.client.receiver.recv().unwrap() {
                Message::Response(r) if r.id == RequestId::from(id) => return published,
                Message::Notification(n) if n.method == "textDocument/publishDiagnostics" => {
                    published += 1
                }
                _ => {}
            }
        }
    }

    fn notify(&self, method: &str, params: serde_json::Value) {
        self.client
            .sender
            .send(Notification::new(method.to_string(), params).into())
            .unwrap();
    }

    /// One edit of the port number, and the answer that follows its check.
    fn edit(&mut self) {
        self.version += 1;
        let port = if self.version % 2 == 0 { "81" } else { "80" };
        let (line, ch) = (self.line, self.ch);
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": self.uri, "version": self.version},
                "contentChanges": [{
                    "range": {"start": {"line": line, "character": ch},
                              "end": {"line": line, "character": ch + 2}},
                    "text": port,
                }],
            }),
        );
        // The answer comes after the re-check and its diagnostics.
        assert_eq!(self.request("npc/sync", json!(null)), 1);
    }

    fn stop(mut self) {
        self.request("shutdown", json!(null));
        self.notify("exit", json!(null));
        self.thread.join().unwrap().unwrap();
    }
}

fn did_change(c: &mut Criterion) {
    let mut session = Session::start();
    c.bench_function("lsp/didChange", |b| b.iter(|| session.edit()));
    session.stop();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .measurement_time(Duration::from_secs(6))
        .warm_up_time(Duration::from_secs(2));
    targets = analyze, did_change
}

fn main() {
    if let Ok(edits) = std::env::var("NPC_LSP_EDITS") {
        let mut session = Session::start();
        for _ in 0..edits.parse::<usize>().unwrap() {
            session.edit();
        }
        session.stop();
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
