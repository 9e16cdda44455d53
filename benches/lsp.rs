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

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
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

/// The program, and the byte range of a port number in its middle.
fn program() -> (String, usize) {
    let text = npc_gen::generate(NAMESPACES, WORKLOADS, 1);
    assert!(text.lines().count() >= 1000);
    let middle = text.len() / 2;
    let at = text[middle..].find(":80").map(|i| middle + i + 1).unwrap();
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

fn did_change(c: &mut Criterion) {
    let (text, at) = program();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policies.npl");
    std::fs::write(&path, &text).unwrap();
    let uri = lsp_types::Url::from_file_path(&path).unwrap().to_string();
    let line = text[..at].matches('\n').count() as u32;
    let ch = (at - text[..at].rfind('\n').map_or(0, |i| i + 1)) as u32;

    let (server, client) = Connection::memory();
    let thread = std::thread::spawn(move || npc::lsp::serve(&server));
    let mut id = 0;
    let mut request = |method: &str, params: serde_json::Value| {
        id += 1;
        client
            .sender
            .send(Request::new(RequestId::from(id), method.to_string(), params).into())
            .unwrap();
        let mut published = 0;
        loop {
            match client.receiver.recv().unwrap() {
                Message::Response(r) if r.id == RequestId::from(id) => return published,
                Message::Notification(n) if n.method == "textDocument/publishDiagnostics" => {
                    published += 1
                }
                _ => {}
            }
        }
    };
    request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {}}),
    );
    let notify = |method: &str, params: serde_json::Value| {
        client
            .sender
            .send(Notification::new(method.to_string(), params).into())
            .unwrap();
    };
    notify("initialized", json!({}));
    notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "npl", "version": 1, "text": text}}),
    );
    assert_eq!(request("npc/sync", json!(null)), 1);
    let mut version = 1;
    c.bench_function("lsp/didChange", |b| {
        b.iter(|| {
            version += 1;
            let port = if version % 2 == 0 { "81" } else { "80" };
            notify(
                "textDocument/didChange",
                json!({
                    "textDocument": {"uri": uri, "version": version},
                    "contentChanges": [{
                        "range": {"start": {"line": line, "character": ch},
                                  "end": {"line": line, "character": ch + 2}},
                        "text": port,
                    }],
                }),
            );
            // The answer comes after the re-check and its diagnostics.
            assert_eq!(request("npc/sync", json!(null)), 1);
        })
    });
    request("shutdown", json!(null));
    notify("exit", json!(null));
    thread.join().unwrap().unwrap();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .measurement_time(Duration::from_secs(6))
        .warm_up_time(Duration::from_secs(2));
    targets = analyze, did_change
}
criterion_main!(benches);
