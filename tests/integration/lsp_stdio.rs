//! `npc lsp` driven over stdio as an editor would: the handshake, diagnostics
//! as a file is opened and edited (across an include read from an unsaved
//! buffer), hover, definition, references, rename, completion, quick fixes,
//! formatting, symbols, code lenses, shutdown and exit. Positions are UTF-16,
//! and the program has non-ASCII comments before the positions asked about.

use std::process::{Command, Stdio};

use crate::support::lsp_client::Client;
use serde_json::{json, Value};

const POLICIES: &str = "\
# Politique réseau — café ☕ (non-ASCII on purpose)
namespace web
namespace payments labels {pci=true}
include \"aliases.npl\"

allow web/frontend -> api:8080  # ☕☕ after the statement
allow api -> db:5432
";

const ALIASES: &str = "\
let api = payments/api-server
let db = payments/postgres
";

fn uri(dir: &std::path::Path, name: &str) -> String {
    lsp_types::Url::from_file_path(dir.join(name))
        .unwrap()
        .to_string()
}

fn codes(diags: &[Value]) -> Vec<String> {
    diags
        .iter()
        .map(|d| d["code"].as_str().unwrap_or("").to_string())
        .collect()
}

#[test]
fn an_editor_session_over_stdio() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("policies.npl"), POLICIES).unwrap();
    std::fs::write(dir.path().join("aliases.npl"), ALIASES).unwrap();
    let main = uri(dir.path(), "policies.npl");
    let aliases = uri(dir.path(), "aliases.npl");

    let mut child = Command::new(env!("CARGO_BIN_EXE_npc"))
        .arg("lsp")
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut client = Client::over_pipes(child.stdin.take().unwrap(), child.stdout.take().unwrap());

    // The handshake: UTF-16 is all this client offers.
    let root = lsp_types::Url::from_directory_path(dir.path())
        .unwrap()
        .to_string();
    let init = client.initialize(&root, &["utf-16"]);
    let caps = &init["capabilities"];
    assert_eq!(caps["positionEncoding"], "utf-16");
    assert_eq!(caps["textDocumentSync"]["change"], 2, "incremental sync");
    for cap in [
        "hoverProvider",
        "definitionProvider",
        "referencesProvider",
        "documentFormattingProvider",
        "documentSymbolProvider",
    ] {
        assert_eq!(caps[cap], true, "{cap}");
    }
    assert_eq!(caps["renameProvider"]["prepareProvider"], true);
    assert_eq!(init["serverInfo"]["name"], "npc");

    // Opening the root checks the whole program: both files, no problem.
    client.open(&main, POLICIES);
    assert_eq!(client.diagnostics(&main), Vec::<Value>::new());
    assert_eq!(client.diagnostics(&aliases), Vec::<Value>::new());

    // Hover on `api` (line 5, after a line of non-ASCII text): the alias and
    // what it selects, as the emitted YAML says it.
    let hover = client.at("textDocument/hover", &main, 5, 23).unwrap();
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("let api = payments/api-server"), "{text}");
    assert!(
        text.contains("kubernetes.io/metadata.name: payments"),
        "{text}"
    );
    assert!(text.contains("app: api-server"), "{text}");
    assert!(
        text.contains("managed: `payments` (isolated: ingress and egress)"),
        "{text}"
    );
    assert_eq!(
        hover["range"],
        json!({"start": {"line": 5, "character": 22}, "end": {"line": 5, "character": 25}})
    );

    // Hover on the statement keyword: the policies it contributes to.
    let hover = client.at("textDocument/hover", &main, 5, 2).unwrap();
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("contributes to 2 NetworkPolicies"), "{text}");
    assert!(
        text.contains("`payments/api-server`: ingress rules"),
        "{text}"
    );
    assert!(text.contains("`web/frontend`: egress rules"), "{text}");

    // Definition of `api`: the `let` in the included file.
    let def = client.at("textDocument/definition", &main, 5, 23).unwrap();
    assert_eq!(def["uri"], aliases.as_str());
    assert_eq!(
        def["range"],
        json!({"start": {"line": 0, "character": 4}, "end": {"line": 0, "character": 7}})
    );
    // Definition on the path of an `include`: the included file.
    let def = client.at("textDocument/definition", &main, 3, 12).unwrap();
    assert_eq!(def["uri"], aliases.as_str());
    assert_eq!(def["range"]["start"], json!({"line": 0, "character": 0}));
    // Definition of a namespace: its declaration.
    let def = client.at("textDocument/definition", &main, 5, 7).unwrap();
    assert_eq!(def["uri"], main.as_str());
    assert_eq!(def["range"]["start"], json!({"line": 1, "character": 10}));

    // References of `api`, with the declaration: one per file position.
    let refs = client
        .request(
            "textDocument/references",
            json!({
                "textDocument": {"uri": main},
                "position": {"line": 6, "character": 7},
                "context": {"includeDeclaration": true},
            }),
        )
        .unwrap();
    let mut found: Vec<(String, u64)> = refs
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["uri"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string(),
                l["range"]["start"]["line"].as_u64().unwrap(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        vec![
            ("aliases.npl".to_string(), 0),
            ("policies.npl".to_string(), 5),
            ("policies.npl".to_string(), 6)
        ]
    );

    // Rename refuses a collision, and renames every use otherwise.
    let refused = client
        .request(
            "textDocument/rename",
            json!({"textDocument": {"uri": main}, "position": {"line": 6, "character": 7}, "newName": "db"}),
        )
        .unwrap_err();
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("`db` is already an alias"),
        "{refused}"
    );
    let edit = client
        .request(
            "textDocument/rename",
            json!({"textDocument": {"uri": main}, "position": {"line": 6, "character": 7}, "newName": "gateway"}),
        )
        .unwrap();
    assert_eq!(edit["changes"][&main].as_array().unwrap().len(), 2);
    assert_eq!(edit["changes"][&aliases][0]["newText"], "gateway");

    // Completion at the start of a new statement, then after `allow `.
    client.change(&main, 2, (7, 0), (7, 0), "allow ");
    let items = client.at("textDocument/completion", &main, 7, 6).unwrap();
    let labels: Vec<&str> = items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["label"].as_str().unwrap())
        .collect();
    for want in ["api", "db", "web/", "payments/", "world", "cluster"] {
        assert!(labels.contains(&want), "{want} missing from {labels:?}");
    }
    assert!(!labels.contains(&"namespace"), "{labels:?}");
    // The incomplete statement is a syntax error.
    assert_eq!(codes(&client.diagnostics(&main)), vec!["E001"]);
    client.change(&main, 3, (7, 0), (7, 6), "");
    assert_eq!(client.diagnostics(&main), Vec::<Value>::new());

    // An edit that introduces an error: `api` becomes `apx` on line 5.
    client.change(&main, 4, (5, 24), (5, 25), "x");
    let diags = client.diagnostics(&main);
    assert_eq!(codes(&diags), vec!["E002"]);
    let d = &diags[0];
    assert_eq!(d["severity"], 1);
    assert_eq!(d["source"], "npc");
    assert_eq!(
        d["range"],
        json!({"start": {"line": 5, "character": 22}, "end": {"line": 5, "character": 25}})
    );
    let message = d["message"].as_str().unwrap();
    assert!(message.starts_with("unknown alias `apx`"), "{message}");
    assert!(message.contains("help: did you mean `api`?"), "{message}");
    assert!(
        d["codeDescription"]["href"]
            .as_str()
            .unwrap()
            .ends_with("docs/errors/E002.md"),
        "{d}"
    );

    // Its quick fix puts `api` back.
    let actions = client
        .request(
            "textDocument/codeAction",
            json!({
                "textDocument": {"uri": main},
                "range": d["range"],
                "context": {"diagnostics": [d]},
            }),
        )
        .unwrap();
    let action = &actions[0];
    assert_eq!(action["title"], "replace with `api`");
    assert_eq!(action["kind"], "quickfix");
    assert_eq!(action["diagnostics"][0]["code"], "E002");
    let fix = &action["edit"]["changes"][&main][0];
    assert_eq!(fix["newText"], "api");
    assert_eq!(fix["range"], d["range"]);
    client.change(&main, 5, (5, 22), (5, 25), "api");
    assert_eq!(client.diagnostics(&main), Vec::<Value>::new());

    // Includes are read from unsaved buffers: renaming `db` in the open,
    // unsaved aliases.npl breaks its use in policies.npl.
    client.open(&aliases, ALIASES);
    client.change(&aliases, 2, (1, 4), (1, 6), "database");
    let diags = client.diagnostics(&main);
    assert_eq!(codes(&diags), vec!["E002"]);
    assert!(diags[0]["message"]
        .as_str()
        .unwrap()
        .contains("unknown alias `db`"));
    assert_eq!(
        diags[0]["range"]["start"],
        json!({"line": 6, "character": 13})
    );
    client.change(&aliases, 3, (1, 4), (1, 12), "db");
    assert_eq!(client.diagnostics(&main), Vec::<Value>::new());

    // Formatting: one edit with the canonical text.
    client.change(&main, 6, (6, 9), (6, 10), "   ");
    let edits = client
        .request(
            "textDocument/formatting",
            json!({"textDocument": {"uri": main}, "options": {"tabSize": 2, "insertSpaces": true}}),
        )
        .unwrap();
    let edits = edits.as_array().unwrap();
    assert_eq!(edits.len(), 1);
    assert_eq!(
        edits[0]["newText"].as_str().unwrap(),
        npc::format::format(POLICIES).unwrap()
    );

    // The outline: namespaces and statements (comments left out).
    let symbols = client
        .request(
            "textDocument/documentSymbol",
            json!({"textDocument": {"uri": main}}),
        )
        .unwrap();
    let names: Vec<&str> = symbols
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec![
            "web",
            "payments",
            "allow web/frontend -> api:8080",
            "allow api -> db:5432"
        ]
    );
    assert_eq!(symbols[0]["detail"], "2 policies");

    // Code lenses: the policies each statement produces.
    let lenses = client
        .request(
            "textDocument/codeLens",
            json!({"textDocument": {"uri": main}}),
        )
        .unwrap();
    let titles: Vec<&str> = lenses
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["command"]["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        vec![
            "2 policies: web/allow-dns, web/default-deny",
            "2 policies: payments/allow-dns, payments/default-deny",
            "2 policies: payments/api-server, web/frontend",
            "2 policies: payments/api-server, payments/postgres",
        ]
    );

    // Shutdown, then exit: the process ends with status 0.
    assert_eq!(
        client.request("shutdown", Value::Null).unwrap(),
        Value::Null
    );
    client.notify("exit", Value::Null);
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
}

/// The quick fixes a diagnostic carries, from a server in this process.
fn fixes(text: &str) -> Vec<(String, String, Value)> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fix.npl");
    std::fs::write(&path, text).unwrap();
    let uri = lsp_types::Url::from_file_path(&path).unwrap().to_string();
    let (server, client_side) = lsp_server::Connection::memory();
    let thread = std::thread::spawn(move || npc::lsp::serve(&server));
    let mut client = Client::over_channels(client_side.sender, client_side.receiver);
    client.initialize("file:///nonexistent-workspace/", &["utf-8"]);
    client.open(&uri, text);
    let diags = client.diagnostics(&uri);
    let mut out = Vec::new();
    for d in &diags {
        let actions = client
            .request(
                "textDocument/codeAction",
                json!({"textDocument": {"uri": uri}, "range": d["range"], "context": {"diagnostics": [d]}}),
            )
            .unwrap();
        for a in actions.as_array().unwrap() {
            let edit = a["edit"]["changes"][&uri][0].clone();
            out.push((
                d["code"].as_str().unwrap().to_string(),
                a["title"].as_str().unwrap().to_string(),
                edit,
            ));
        }
    }
    client.request("shutdown", Value::Null).unwrap();
    client.notify("exit", Value::Null);
    thread.join().unwrap().unwrap();
    out
}

#[test]
fn quick_fixes_from_diagnostics() {
    let f = fixes("namespace web\nallow web/a -> web/b:udp/53\n");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(
        (f[0].0.as_str(), f[0].1.as_str()),
        ("E001", "write `53/udp`")
    );
    assert_eq!(f[0].2["newText"], "53/udp");
    assert_eq!(
        f[0].2["range"]["start"],
        json!({"line": 1, "character": 21})
    );
    assert_eq!(f[0].2["range"]["end"], json!({"line": 1, "character": 27}));

    let f = fixes("namespace web\nallow web/a -> web/b:80-70\n");
    assert_eq!(
        (f[0].0.as_str(), f[0].1.as_str()),
        ("E007", "write `70-80`")
    );

    let f = fixes("namespace web\nlet frontend = web/frontend\nallow frontnd -> web/api:80\n");
    assert_eq!(
        (f[0].0.as_str(), f[0].1.as_str()),
        ("E002", "replace with `frontend`")
    );

    // An `allow` between undeclared namespaces produces no rule: declare them.
    let f = fixes("namespace web\n\nallow other/a -> third/b:80\n");
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(
        (f[0].0.as_str(), f[0].1.as_str()),
        ("W002", "declare namespace `other`, `third`")
    );
    assert_eq!(f[0].2["newText"], "namespace other\nnamespace third\n");
    assert_eq!(f[0].2["range"]["start"], json!({"line": 1, "character": 0}));
}

#[test]
fn untitled_buffers_are_checked() {
    let (server, client_side) = lsp_server::Connection::memory();
    let thread = std::thread::spawn(move || npc::lsp::serve(&server));
    let mut client = Client::over_channels(client_side.sender, client_side.receiver);
    client.initialize("file:///nonexistent-workspace/", &["utf-16"]);
    let uri = "untitled:Untitled-1";
    client.open(uri, "namespace web\nallow web/a -> ap:80\n");
    let diags = client.diagnostics(uri);
    assert_eq!(codes(&diags), vec!["E002"]);
    let hover = client.at("textDocument/hover", uri, 1, 8).unwrap();
    assert!(hover["contents"]["value"]
        .as_str()
        .unwrap()
        .contains("namespace** `web`"));
    client.request("shutdown", Value::Null).unwrap();
    client.notify("exit", Value::Null);
    thread.join().unwrap().unwrap();
}

#[test]
fn hover_resolves_endpoints_as_the_compiler_does() {
    let (server, client_side) = lsp_server::Connection::memory();
    let thread = std::thread::spawn(move || npc::lsp::serve(&server));
    let mut client = Client::over_channels(client_side.sender, client_side.receiver);
    client.initialize("file:///nonexistent-workspace/", &["utf-8"]);
    let uri = "untitled:blocks";
    let text = "\
namespace data
let db = data/postgres
namespace web labels {team=ops} {
  allow frontend -> db:5432, cache
}
allow {team=ops}/* -> 10.0.0.0/8 except 10.1.0.0/16
set workload-label = app.kubernetes.io/name
";
    client.open(uri, text);
    assert_eq!(client.diagnostics(uri), Vec::<Value>::new());
    let hover = |client: &mut Client, line, ch| {
        client.at("textDocument/hover", uri, line, ch).unwrap()["contents"]["value"]
            .as_str()
            .unwrap()
            .to_string()
    };
    // A bare name in a block: a workload of the block's namespace, on the
    // workload label the program sets (after the statement, too).
    let h = hover(&mut client, 3, 9);
    assert!(h.contains("kubernetes.io/metadata.name: web"), "{h}");
    assert!(h.contains("app.kubernetes.io/name: frontend"), "{h}");
    let h = hover(&mut client, 3, 30);
    assert!(h.contains("app.kubernetes.io/name: cache"), "{h}");
    // `db` is the global alias, not a workload of `web`.
    let h = hover(&mut client, 3, 21);
    assert!(h.contains("let db = data/postgres"), "{h}");
    assert!(h.contains("kubernetes.io/metadata.name: data"), "{h}");
    assert!(h.contains("app.kubernetes.io/name: postgres"), "{h}");
    // A namespace label set reaches the managed namespaces whose labels match.
    let h = hover(&mut client, 5, 8);
    assert!(h.contains("team: ops"), "{h}");
    assert!(h.contains("managed namespaces it reaches: `web`"), "{h}");
    // An address block with an exception.
    let h = hover(&mut client, 5, 25);
    assert!(h.contains("cidr: 10.0.0.0/8"), "{h}");
    assert!(h.contains("- 10.1.0.0/16"), "{h}");
    client.request("shutdown", Value::Null).unwrap();
    client.notify("exit", Value::Null);
    thread.join().unwrap().unwrap();
}

/// The code actions `npc lsp` (the binary, over stdio) offers for each
/// diagnostic of `text`: (code, title, isPreferred, the edit).
fn stdio_fixes(text: &str) -> Vec<(String, String, Value, Value)> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fix.npl"), text).unwrap();
    let file = uri(dir.path(), "fix.npl");
    let mut child = Command::new(env!("CARGO_BIN_EXE_npc"))
        .arg("lsp")
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut client = Client::over_pipes(child.stdin.take().unwrap(), child.stdout.take().unwrap());
    let root = lsp_types::Url::from_directory_path(dir.path())
        .unwrap()
        .to_string();
    client.initialize(&root, &["utf-16"]);
    client.open(&file, text);
    let mut out = Vec::new();
    for d in client.diagnostics(&file) {
        let actions = client
            .request(
                "textDocument/codeAction",
                json!({"textDocument": {"uri": file}, "range": d["range"], "context": {"diagnostics": [d]}}),
            )
            .unwrap();
        for a in actions.as_array().unwrap() {
            assert_eq!(a["kind"], "quickfix", "{a}");
            assert_eq!(a["diagnostics"][0]["code"], d["code"], "{a}");
            out.push((
                d["code"].as_str().unwrap().to_string(),
                a["title"].as_str().unwrap().to_string(),
                a["isPreferred"].clone(),
                a["edit"]["changes"][&file][0].clone(),
            ));
        }
    }
    client.request("shutdown", Value::Null).unwrap();
    client.notify("exit", Value::Null);
    assert!(child.wait().unwrap().success());
    out
}

/// W010 (a namespace one edit away from a declared one) and E009 (a
/// protocol in upper case) name their exact edit in the help: the client
/// gets it as a code action. The case fix is certain (preferred); the
/// namespace is a guess, offered but not preferred.
#[test]
fn namespace_typo_and_protocol_case_have_code_actions() {
    let f = stdio_fixes("namespace payments\nnamespace web\nallow web/a -> paymets/api:8080\n");
    assert_eq!(f.len(), 1, "{f:?}");
    let (code, title, preferred, edit) = &f[0];
    assert_eq!(
        (code.as_str(), title.as_str()),
        ("W010", "replace with `payments`")
    );
    assert_ne!(*preferred, json!(true), "a guessed name is not preferred");
    assert_eq!(edit["newText"], "payments");
    assert_eq!(
        edit["range"],
        json!({"start": {"line": 2, "character": 15}, "end": {"line": 2, "character": 22}})
    );

    let f = stdio_fixes("namespace web\nallow web/a -> web/b:53/UDP\n");
    assert_eq!(f.len(), 1, "{f:?}");
    let (code, title, preferred, edit) = &f[0];
    assert_eq!((code.as_str(), title.as_str()), ("E009", "write `udp`"));
    assert_eq!(*preferred, json!(true));
    assert_eq!(edit["newText"], "udp");
    assert_eq!(
        edit["range"],
        json!({"start": {"line": 1, "character": 24}, "end": {"line": 1, "character": 27}})
    );
}

fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
    out.extend_from_slice(body);
    out
}

/// A message the server cannot read is answered with a JSON-RPC error (or
/// skipped) and the session goes on: a body that is not JSON, JSON that is
/// no message, a bad `Content-Length`, a message over the size limit; a
/// lone surrogate escape in a document's text is read as U+FFFD. No reply
/// and nothing on stderr repeats the message.
#[test]
fn malformed_messages_do_not_end_the_session() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_npc"))
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
        text
    });
    let mut client = Client::over_pipes(child.stdin.take().unwrap(), child.stdout.take().unwrap());
    client.initialize("file:///nonexistent-workspace/", &["utf-8"]);
    let secret = "secret-payload";

    client.send_raw(&frame(format!("{{not json {secret}").as_bytes()));
    let reply = client.orphan();
    assert_eq!(reply["error"]["code"], -32700, "{reply}");
    assert!(!reply.to_string().contains(secret), "{reply}");

    client.send_raw(b"Content-Length: abc\r\n\r\n{}");
    assert_eq!(client.orphan()["error"]["code"], -32700);

    let limit = npc::lsp::MAX_MESSAGE_BYTES;
    let mut huge = format!("Content-Length: {}\r\n\r\n", limit + 1).into_bytes();
    huge.resize(huge.len() + limit + 1, b' ');
    client.send_raw(&huge);
    drop(huge);
    let reply = client.orphan();
    assert_eq!(reply["error"]["code"], -32600, "{reply}");

    // JSON that is no message: a request's id is answered.
    client.send_raw(&frame(br#"{"jsonrpc":"2.0","id":99,"method":5}"#));
    let refused = client.response(99, "an invalid request").unwrap_err();
    assert_eq!(refused["code"], -32600, "{refused}");

    // A lone surrogate escape (JSON allows it, Rust strings cannot hold it).
    let uri = "untitled:surrogate";
    let open = format!(
        r#"{{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{{"textDocument":{{"uri":"{uri}","languageId":"npl","version":1,"text":"namespace   web # \ud800 {secret}\n"}}}}}}"#
    );
    client.send_raw(&frame(open.as_bytes()));
    assert_eq!(client.diagnostics(uri), Vec::<Value>::new());
    let edits = client
        .request(
            "textDocument/formatting",
            json!({"textDocument": {"uri": uri}, "options": {"tabSize": 2, "insertSpaces": true}}),
        )
        .unwrap();
    assert_eq!(
        edits[0]["newText"],
        format!("namespace web  # \u{fffd} {secret}\n")
    );

    assert_eq!(
        client.request("shutdown", Value::Null).unwrap(),
        Value::Null
    );
    client.notify("exit", Value::Null);
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    let stderr = stderr.join().unwrap();
    assert!(!stderr.contains(secret), "{stderr}");
}

/// Hover knows `isolate ... only`: the namespace lists its pod sets, the
/// `isolate` keyword says what it isolates, and an alias used as a pod set
/// is the alias.
#[test]
fn hover_knows_isolate_only() {
    let (server, client_side) = lsp_server::Connection::memory();
    let thread = std::thread::spawn(move || npc::lsp::serve(&server));
    let mut client = Client::over_channels(client_side.sender, client_side.receiver);
    client.initialize("file:///nonexistent-workspace/", &["utf-8"]);
    let uri = "untitled:only";
    let text = "\
namespace data {
  let primary = postgres
  isolate ingress only primary, {tier=backend}
  isolate egress
}
";
    client.open(uri, text);
    assert_eq!(client.diagnostics(uri), Vec::<Value>::new());
    let hover = |client: &mut Client, line, ch| {
        client.at("textDocument/hover", uri, line, ch).unwrap()["contents"]["value"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let h = hover(&mut client, 0, 12);
    assert!(
        h.contains("ingress of `primary`, `{tier=backend}` only; egress of every pod"),
        "{h}"
    );
    assert!(h.contains("`default-deny-primary`"), "{h}");
    let h = hover(&mut client, 2, 4);
    assert!(h.contains("of the listed pod sets only"), "{h}");
    let h = hover(&mut client, 2, 24);
    assert!(h.contains("let primary = postgres"), "{h}");
    client.request("shutdown", Value::Null).unwrap();
    client.notify("exit", Value::Null);
    thread.join().unwrap().unwrap();
}
