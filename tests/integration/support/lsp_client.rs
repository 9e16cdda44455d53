//! A minimal language-server client for tests: sends requests and
//! notifications, and waits (with a timeout) for responses and published
//! diagnostics. Messages are framed by `lsp_server::Message`.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::rc::Rc;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};
use lsp_server::{Message, Notification, Request, RequestId};
use serde_json::{json, Value};

pub const TIMEOUT: Duration = Duration::from_secs(20);

/// For a test whose server checks programs of many megabytes (a debug
/// build on a busy machine): a guard against a hang, not a measure.
pub const LONG_TIMEOUT: Duration = Duration::from_secs(300);

/// The client's side of a connection: whatever carries the messages.
pub struct Client {
    send: Box<dyn FnMut(Message)>,
    /// Writes bytes as they are (a client of a process only).
    raw: Option<RawSend>,
    receive: Receiver<Message>,
    /// Error responses without an id (to messages the server could not read).
    orphans: Option<Receiver<Value>>,
    next_id: i32,
    /// How long to wait for anything before failing (a hang).
    pub timeout: Duration,
    /// Notifications that arrived while waiting for something else.
    pub notifications: VecDeque<Notification>,
}

/// Writes bytes to a server process as they are.
type RawSend = Box<dyn FnMut(&[u8])>;

/// Reads one framed message as JSON; `None` at the end or on a framing error.
fn read_frame(input: &mut impl BufRead) -> Option<Value> {
    let mut length = None;
    loop {
        let mut line = String::new();
        if input.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse::<usize>().ok();
            }
        }
    }
    let mut body = vec![0; length?];
    input.read_exact(&mut body).ok()?;
    serde_json::from_slice(&body).ok()
}

impl Client {
    /// A client over channels (an in-process server).
    pub fn over_channels(sender: Sender<Message>, receiver: Receiver<Message>) -> Client {
        Client {
            send: Box::new(move |m| {
                let _ = sender.send(m);
            }),
            raw: None,
            receive: receiver,
            orphans: None,
            next_id: 1,
            timeout: TIMEOUT,
            notifications: VecDeque::new(),
        }
    }

    /// A client of a child process's stdin and stdout.
    pub fn over_pipes(
        stdin: std::process::ChildStdin,
        stdout: std::process::ChildStdout,
    ) -> Client {
        let (tx, rx) = crossbeam_channel::unbounded();
        let (orphan_tx, orphan_rx) = crossbeam_channel::unbounded();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(v) = read_frame(&mut reader) {
                // JSON-RPC answers a message it cannot read with `"id": null`,
                // which no `lsp_server::Message` holds.
                let sent = if v.get("id") == Some(&Value::Null) {
                    orphan_tx.send(v).is_ok()
                } else {
                    match serde_json::from_value::<Message>(v) {
                        Ok(m) => tx.send(m).is_ok(),
                        Err(_) => false,
                    }
                };
                if !sent {
                    break;
                }
            }
        });
        let stdin = Rc::new(RefCell::new(stdin));
        let raw_stdin = Rc::clone(&stdin);
        Client {
            send: Box::new(move |m: Message| {
                let mut stdin = stdin.borrow_mut();
                let _ = m.write(&mut *stdin);
                let _ = stdin.flush();
            }),
            raw: Some(Box::new(move |bytes: &[u8]| {
                let mut stdin = raw_stdin.borrow_mut();
                let _ = stdin.write_all(bytes);
                let _ = stdin.flush();
            })),
            receive: rx,
            orphans: Some(orphan_rx),
            next_id: 1,
            timeout: TIMEOUT,
            notifications: VecDeque::new(),
        }
    }

    /// Writes bytes to the server as they are (a client of a process only).
    pub fn send_raw(&mut self, bytes: &[u8]) {
        let raw = self.raw.as_mut().expect("raw bytes go to a process");
        raw(bytes);
    }

    /// The next error response without an id. Panics on timeout.
    pub fn orphan(&mut self) -> Value {
        let orphans = self.orphans.as_ref().expect("a client of a process");
        orphans
            .recv_timeout(self.timeout)
            .unwrap_or_else(|_| panic!("no error response without an id within {:?}", self.timeout))
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
        self.response(id, method)
    }

    /// Waits for the response to request `id` (sent as `method`).
    pub fn response(&mut self, id: i32, method: &str) -> Result<Value, Value> {
        loop {
            let m = self
                .receive
                .recv_timeout(self.timeout)
                .unwrap_or_else(|_| panic!("no response to `{method}` within {:?}", self.timeout));
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

    /// Waits for a notification `method` whose params satisfy `test`; the
    /// notifications that arrive before it are kept. Panics on timeout.
    pub fn wait_for(&mut self, method: &str, test: impl Fn(&Value) -> bool) -> Value {
        if let Some(n) = self
            .notifications
            .iter()
            .find(|n| n.method == method && test(&n.params))
        {
            return n.params.clone();
        }
        loop {
            let m = self
                .receive
                .recv_timeout(self.timeout)
                .unwrap_or_else(|_| panic!("no `{method}` within {:?}", self.timeout));
            match m {
                Message::Notification(n) => {
                    let hit = n.method == method && test(&n.params);
                    let params = n.params.clone();
                    self.notifications.push_back(n);
                    if hit {
                        return params;
                    }
                }
                other => panic!("unexpected while waiting for `{method}`: {other:?}"),
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
