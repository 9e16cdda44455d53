//! The language server never fails on intermediate text: random edits of the
//! corpus files, sent as a sequence of `didChange` notifications to a server
//! running in this process, each followed by a random request that must be
//! answered, and never with an internal error.

use lsp_server::Connection;
use proptest::prelude::*;
use serde_json::{json, Value};

use crate::support::lsp_client::Client;

/// What an edit inserts: pieces of NPL, partial tokens, non-ASCII text.
const PIECES: &[&str] = &[
    "",
    " ",
    "\n",
    "\r\n",
    "\t",
    ";",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    ":",
    "/",
    "=",
    "!=",
    "->",
    "-",
    ">",
    "*",
    "#",
    "\"",
    "\\",
    "allow ",
    "let ",
    "namespace ",
    "expect ",
    "deny ",
    "dns ",
    "scrape ",
    "set ",
    "include ",
    "isolate ",
    "no ",
    "world",
    "cluster",
    "except ",
    "in ",
    "notin ",
    "labels ",
    "ingress",
    "egress",
    "none",
    "web",
    "web/",
    "web/api",
    "{team=ops}",
    "api:8080",
    ":53/udp",
    "udp/53",
    "80-70",
    "10.0.0.0/8",
    "[2001:db8::/32]",
    "é",
    "☕",
    "𝄞",
    "\u{feff}",
    "include \"x.npl\"",
    "workload-label",
    "99999999999",
];

#[derive(Clone, Debug)]
struct Edit {
    start: (u32, u32),
    end: (u32, u32),
    text: String,
}

fn edit() -> impl Strategy<Value = Edit> {
    (
        (0u32..60, 0u32..90),
        (0u32..3, 0u32..40),
        prop::collection::vec(prop::sample::select(PIECES), 0..4),
    )
        .prop_map(|((line, ch), (dl, dc), pieces)| Edit {
            start: (line, ch),
            end: (line + dl, if dl == 0 { ch + dc } else { dc }),
            text: pieces.concat(),
        })
}

const REQUESTS: &[&str] = &[
    "textDocument/hover",
    "textDocument/definition",
    "textDocument/references",
    "textDocument/prepareRename",
    "textDocument/rename",
    "textDocument/completion",
    "textDocument/formatting",
    "textDocument/codeAction",
    "textDocument/documentSymbol",
    "textDocument/codeLens",
];

fn ask(client: &mut Client, uri: &str, method: &str, line: u32, ch: u32) -> Result<Value, Value> {
    let doc = json!({"uri": uri});
    let pos = json!({"line": line, "character": ch});
    let params = match method {
        "textDocument/references" => json!({
            "textDocument": doc, "position": pos, "context": {"includeDeclaration": true}
        }),
        "textDocument/rename" => {
            json!({"textDocument": doc, "position": pos, "newName": "renamed"})
        }
        "textDocument/formatting" => json!({
            "textDocument": doc, "options": {"tabSize": 2, "insertSpaces": true}
        }),
        "textDocument/codeAction" => json!({
            "textDocument": doc,
            "range": {"start": {"line": 0, "character": 0}, "end": pos},
            "context": {"diagnostics": []},
        }),
        "textDocument/documentSymbol" | "textDocument/codeLens" => json!({"textDocument": doc}),
        _ => json!({"textDocument": doc, "position": pos}),
    };
    client.request(method, params)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("NPC_LSP_EDIT_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(48),
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_request_is_answered_after_every_edit(
        file in any::<prop::sample::Index>(),
        utf8 in any::<bool>(),
        steps in prop::collection::vec(
            (edit(), prop::sample::select(REQUESTS), 0u32..60, 0u32..90),
            1..24,
        ),
    ) {
        let files = crate::support::corpus_programs();
        let path = file.get(&files);
        let text = std::fs::read_to_string(path).unwrap();
        let uri = lsp_types::Url::from_file_path(path).unwrap().to_string();

        let (server_side, client_side) = Connection::memory();
        let server = std::thread::spawn(move || npc::lsp::serve(&server_side));
        let mut client = Client::over_channels(client_side.sender, client_side.receiver);
        let encodings: &[&str] = if utf8 { &["utf-8", "utf-16"] } else { &["utf-16"] };
        client.initialize("file:///nonexistent-workspace/", encodings);
        client.open(&uri, &text);

        for (version, (e, method, line, ch)) in steps.iter().enumerate() {
            client.change(&uri, version as i32 + 2, e.start, e.end, &e.text);
            match ask(&mut client, &uri, method, *line, *ch) {
                Ok(_) => {}
                // A refused rename is an answer; an internal error is a failure.
                Err(error) => prop_assert_ne!(
                    error["code"].as_i64(), Some(-32603),
                    "`{}` after {:?} on {}: {}", method, e, path.display(), error
                ),
            }
        }
        prop_assert_eq!(client.request("shutdown", Value::Null), Ok(Value::Null));
        client.notify("exit", Value::Null);
        prop_assert_eq!(server.join().unwrap(), Ok(()));
    }
}
