//! A minimal language-server client for tests: sends requests and
//! notifications, and waits (with a timeout) for responses and published
//! diagnostics. Messages are framed by `lsp_server::Message`.

use std::collections::VecDeque;
use std::io::{BufReader, Write};
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};
use lsp_server::{Message, Notification, Request, RequestId};
use serde_json::{json, Value};

pub const TIMEOUT: Duration = Duration::from_secs(20);

/// The client's side of a connection: whatever carries the messages.
pub struct Client {
    send: Box<dyn FnMut(Message)>,
    receive: Receiver<Message>,
    next_id: i32,
    /// Notifications that arrived while waiting for something else.
    pub notifications: VecDeque<Notification>,
}

impl Client {
    /// A client over channels (an in-process server).
    pub fn over_channels(sender: Sender<Message>, receiver: Receiver<Message>) -> Client {
        Client {
            send: Box::new(move |m| {
                let _ = sender.send(m);
            }),
            receive: receiver,
            next_id: 1,
            notifications: VecDeque::new(),
        }
    }

    /// A client of a child process's stdin and stdout.
    pub fn over_pipes(
        mut stdin: std::process::ChildStdin,
        stdout: std::process::ChildStdout,
    ) -> Client {
        let (tx, rx) = crossbeam_channel::unbounded();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Ok(Some(m)) = Message::read(&mut reader) {
                if tx.send(m).is_err() {
                    break;
                }
            }
        });
        Client {
            send: Box::new(move |m: Message| {
                let _ = m.write(&mut stdin);
                let _ = stdin.flush();
            }),
            receive: rx,
            next_id: 1,
            notifications: VecDeque::new(),
        }
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        (self.send)(Notification::new(method.to_string(), params).into());
    }

    /// Sends a request and waits for its response: `Ok(result)` or
    /// `Err(error object)`. Panics on timeout.
    pub fn request(&mut self, method: &str, params: Value) -> Result<Value, Value> {
        let id = self.next_id;
        self.next_id += 1;
        (self.send)(Request::new(RequestId::from(id), method.to_string(), params).into());
        loop {
            let m = self
                .receive
                .recv_timeout(TIMEOUT)
                .unwrap_or_else(|_| panic!("no response to `{method}` within {TIMEOUT:?}"));
            match m {
                Message::Response(r) if r.id == RequestId::from(id) => {
                    return r
                        .response_result
                        .map_err(|e| json!({"code": e.code, "message": e.message}));
                }
                Message::Notification(n) => self.notifications.push_back(n),
                Message::Request(r) => panic!("unexpected request from the server: {r:?}"),
                Message::Response(r) => panic!("response to an unknown request: {r:?}"),
            }
        }
    }

    /// The diagnostics last published for `uri` once the server has
    /// handled everything sent so far (a request is answered only after the
    /// check of earlier changes). Panics if none were published since the
    /// last call.
    pub fn diagnostics(&mut self, uri: &str) -> Vec<Value> {
        // Any request will do; the server checks before it answers.
        let _ = self.request("npc/sync", Value::Null);
        let mut last = None;
        self.notifications.retain(|n| {
            let hit = n.method == "textDocument/publishDiagnostics" && n.params["uri"] == uri;
            if hit {
                last = Some(
                    n.params["diagnostics"]
                        .as_array()
                        .cloned()
                        .unwrap_or_default(),
                );
            }
            !hit
        });
        last.unwrap_or_else(|| panic!("no diagnostics published for {uri}"))
    }

    pub fn initialize(&mut self, root_uri: &str, encodings: &[&str]) -> Value {
        let result = self
            .request(
                "initialize",
                json!({
                    "processId": null,
                    "rootUri": root_uri,
                    "capabilities": {"general": {"positionEncodings": encodings}},
                }),
            )
            .expect("initialize");
        self.notify("initialized", json!({}));
        result
    }

    pub fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "npl", "version": 1, "text": text}}),
        );
    }

    /// Replaces `range` ([line, character] pairs) with `text`.
    pub fn change(
        &mut self,
        uri: &str,
        version: i32,
        start: (u32, u32),
        end: (u32, u32),
        text: &str,
    ) {
        self.notify(
            "textDocument/didChange",
            json!({
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{
                    "range": {
                        "start": {"line": start.0, "character": start.1},
                        "end": {"line": end.0, "character": end.1},
                    },
                    "text": text,
                }],
            }),
        );
    }

    /// `textDocument/...` request at a position.
    pub fn at(
        &mut self,
        method: &str,
        uri: &str,
        line: u32,
        character: u32,
    ) -> Result<Value, Value> {
        self.request(
            method,
            json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}),
        )
    }
}
