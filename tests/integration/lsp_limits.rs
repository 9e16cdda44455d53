//! The language server on large and hostile documents: diagnostics capped
//! per file, a stale check dropped when a newer edit arrives, a document
//! that grows past the size limit kept out of memory.

use std::process::{Command, Stdio};

use lsp_server::Connection;
use serde_json::{json, Value};

use crate::support::lsp_client::{Client, LONG_TIMEOUT};

fn codes(diags: &[Value]) -> Vec<String> {
    diags
        .iter()
        .map(|d| d["code"].as_str().unwrap_or("").to_string())
        .collect()
}

/// A server in this process, initialized.
fn in_process() -> (Client, std::thread::JoinHandle<Result<(), String>>) {
    let (server, client_side) = Connection::memory();
    let thread = std::thread::spawn(move || npc::lsp::serve(&server));
    let mut client = Client::over_channels(client_side.sender, client_side.receiver);
    client.initialize("file:///nonexistent-workspace/", &["utf-16"]);
    (client, thread)
}

fn finish(mut client: Client, thread: std::thread::JoinHandle<Result<(), String>>) {
    client.request("shutdown", Value::Null).unwrap();
    client.notify("exit", Value::Null);
    thread.join().unwrap().unwrap();
}

/// An editor gets at most 100 diagnostics per file, then one saying how
/// many more there are.
#[test]
fn diagnostics_are_capped_per_file() {
    let (mut client, thread) = in_process();
    let mut text = String::from("namespace web\n");
    for i in 0..1000 {
        text.push_str(&format!("allow web/a -> nope{i}:80\n"));
    }
    let uri = "untitled:many-errors";
    client.open(uri, &text);
    let diags = client.diagnostics(uri);
    assert_eq!(diags.len(), 101);
    let found = codes(&diags);
    assert!(found[..100].iter().all(|c| c == "E002"), "{found:?}");
    assert_eq!(found[100], "W015");
    let message = diags[100]["message"].as_str().unwrap();
    assert!(message.starts_with("900 more errors"), "{message}");
    finish(client, thread);
}

/// A program large enough that checking it takes a while.
fn large_program(statements: usize) -> String {
    let mut text = String::from("namespace web\n");
    for i in 0..statements {
        text.push_str(&format!("allow web/a{i} -> web/b{i}:8080\n"));
    }
    text
}

/// A check still running when a newer edit of its program arrives is
/// abandoned: its diagnostics are never published, and the newest text is
/// checked. The server says so in its trace (`$/logTrace`, asked for with
/// `trace` in `initialize`), which is also how this test knows the first
/// check has started.
#[test]
fn a_newer_edit_drops_a_stale_check() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_npc"))
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut client = Client::over_pipes(child.stdin.take().unwrap(), child.stdout.take().unwrap());
    client.timeout = LONG_TIMEOUT;
    client
        .request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": null,
                "capabilities": {},
                "trace": "verbose",
            }),
        )
        .unwrap();
    client.notify("initialized", json!({}));

    let uri = "untitled:large";
    client.open(uri, &large_program(30_000));
    let started = client.wait_for("$/logTrace", |p| {
        p["message"].as_str().unwrap_or("").starts_with("checking")
    });
    assert!(
        started["message"].as_str().unwrap().contains("large"),
        "{started}"
    );
    // The whole text replaced while that check runs.
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [{"text": "namespace web\nallow web/a -> nope:80\n"}],
        }),
    );
    let diags = client.diagnostics(uri);
    assert_eq!(codes(&diags), vec!["E002"]);
    // Nothing was published for the first version, and its check was
    // dropped.
    let published: Vec<Value> = client
        .notifications
        .iter()
        .filter(|n| n.method == "textDocument/publishDiagnostics")
        .map(|n| n.params.clone())
        .collect();
    assert!(published.iter().all(|p| p["version"] != 1), "{published:?}");
    let traces: Vec<String> = client
        .notifications
        .iter()
        .filter(|n| n.method == "$/logTrace")
        .map(|n| n.params["message"].as_str().unwrap_or("").to_string())
        .collect();
    assert!(
        traces.iter().any(|t| t.starts_with("dropped the check")),
        "{traces:?}"
    );
    client.request("shutdown", Value::Null).unwrap();
    client.notify("exit", Value::Null);
    assert!(child.wait().unwrap().success());
}

/// The peak resident memory of a running process, in bytes (`VmHWM`).
fn peak_memory(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .unwrap()
        .to_string();
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

/// Edits that grow a document past the source size limit (64 MiB, what
/// `npc build` reads) do not grow the server with it: the text is dropped,
/// the document reported, and the server goes on.
#[test]
fn a_document_past_the_size_limit_is_not_kept() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_npc"))
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut client = Client::over_pipes(child.stdin.take().unwrap(), child.stdout.take().unwrap());
    client.timeout = LONG_TIMEOUT;
    client.initialize("file:///nonexistent-workspace/", &["utf-8"]);
    let uri = "untitled:growing";
    client.open(uri, "namespace web\n");
    // Each edit appends 24 MiB of comment lines at the start: 240 MiB in all.
    let chunk = "# padding padding padding padding padding padding padding padding\n"
        .repeat((24 << 20) / 66);
    for version in 2..12 {
        client.change(uri, version, (0, 0), (0, 0), &chunk);
    }
    let diags = client.diagnostics(uri);
    assert_eq!(codes(&diags), vec!["E034"], "{diags:?}");
    let message = diags[0]["message"].as_str().unwrap();
    assert!(message.contains("larger than"), "{message}");
    // The server holds none of it: far below the 240 MiB of text (and the
    // copies each check of it would make).
    let peak = peak_memory(pid);
    assert!(peak < 600 << 20, "peak {} MiB", peak >> 20);
    // A whole new text is taken again.
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": {"uri": uri, "version": 20},
            "contentChanges": [{"text": "namespace web\nallow web/a -> nope:80\n"}],
        }),
    );
    assert_eq!(codes(&client.diagnostics(uri)), vec!["E002"]);
    client.request("shutdown", Value::Null).unwrap();
    client.notify("exit", Value::Null);
    assert!(child.wait().unwrap().success());
}
