//! The stdio transport: `lsp_server` messages over stdin and stdout, with the
//! size of each incoming message bounded before it is read into memory.
//! (`lsp_server::Connection::stdio` allocates whatever `Content-Length` says,
//! and ends the connection on the first message it cannot parse.)
//!
//! A message that cannot be used is answered and skipped, never the end of
//! the session: a body that is not JSON gets a JSON-RPC parse error
//! (-32700), JSON that is not a message an invalid-request error (-32600,
//! with the request's id when it has one), a body over
//! [`MAX_MESSAGE_BYTES`] is read past without being kept, and a header
//! that makes no sense (a bad or missing `Content-Length`, a line too long)
//! is skipped up to the next `Content-Length` header. A lone UTF-16
//! surrogate escape (`"\ud800"`), which JSON allows and Rust strings cannot
//! hold, is read as U+FFFD, as are bytes that are not UTF-8. No reply
//! repeats the message's content.

use std::borrow::Cow;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::thread;

use crossbeam_channel::{bounded, select, Receiver, Sender};
use lsp_server::{Connection, ErrorCode, Message, RequestId};

/// The largest message accepted from the client.
pub const MAX_MESSAGE_BYTES: usize = 64 << 20;
/// The longest header line, and the most header lines, of one message.
const MAX_HEADER_LINE: usize = 1024;
const MAX_HEADERS: usize = 16;
/// The header that starts a message, as the skipping of a broken one
/// looks for it (case-insensitively).
const LENGTH_HEADER: &[u8] = b"content-length:";

/// The reader and writer threads of a stdio connection.
pub struct IoThreads {
    reader: thread::JoinHandle<io::Result<()>>,
    writer: thread::JoinHandle<io::Result<()>>,
}

impl IoThreads {
    /// Waits for both threads; the first I/O error, if any.
    pub fn join(self) -> io::Result<()> {
        let reader = self
            .reader
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the reader thread stopped")));
        let writer = self
            .writer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the writer thread stopped")));
        reader.and(writer)
    }
}

/// A connection over this process's stdin and stdout.
pub fn stdio() -> io::Result<(Connection, IoThreads)> {
    let (to_server, from_client) = bounded::<Message>(0);
    let (to_client, from_server) = bounded::<Message>(0);
    // Replies the reader owes for messages it could not pass on; bounded,
    // so a client that sends junk and reads nothing stops being read.
    let (replies, owed) = bounded::<String>(64);
    let reader = thread::Builder::new()
        .name("lsp-reader".to_string())
        .spawn(move || {
            read_loop(
                &mut BufReader::new(io::stdin().lock()),
                &to_server,
                &replies,
            )
        })?;
    let writer = thread::Builder::new()
        .name("lsp-writer".to_string())
        .spawn(move || write_loop(&mut io::stdout().lock(), &from_server, &owed))?;
    Ok((
        Connection {
            sender: to_client,
            receiver: from_client,
        },
        IoThreads { reader, writer },
    ))
}

fn read_loop(
    input: &mut impl BufRead,
    to_server: &Sender<Message>,
    replies: &Sender<String>,
) -> io::Result<()> {
    let mut reader = Reader::new(input);
    while let Some(incoming) = reader.read()? {
        match incoming {
            Incoming::Message(message) => {
                let exit = matches!(&message, Message::Notification(n) if n.method == "exit");
                if to_server.send(message).is_err() || exit {
                    break;
                }
            }
            Incoming::Refused(refusal) => {
                // The writer is gone only when the server is.
                if replies.send(refusal.reply()).is_err() {
                    break;
                }
            }
        }
    }
    Ok(())
}

/// Writes the server's messages and the reader's replies until the server
/// closes its side.
fn write_loop(
    output: &mut impl Write,
    from_server: &Receiver<Message>,
    owed: &Receiver<String>,
) -> io::Result<()> {
    let mut reader_open = true;
    loop {
        if !reader_open {
            match from_server.recv() {
                Ok(message) => message.write(output)?,
                Err(_) => return Ok(()),
            }
            continue;
        }
        select! {
            recv(from_server) -> message => match message {
                Ok(message) => message.write(output)?,
                Err(_) => return Ok(()),
            },
            recv(owed) -> reply => match reply {
                Ok(text) => write_frame(output, &text)?,
                Err(_) => reader_open = false,
            },
        }
    }
}

/// One framed message, as `lsp_server` frames its own.
fn write_frame(output: &mut impl Write, body: &str) -> io::Result<()> {
    write!(output, "Content-Length: {}\r\n\r\n", body.len())?;
    output.write_all(body.as_bytes())?;
    output.flush()
}

/// What was read from the client.
#[derive(Debug)]
pub enum Incoming {
    Message(Message),
    /// A message that cannot be used: skipped, with an error reply.
    Refused(Refusal),
}

/// Why a message was skipped, as the JSON-RPC error that answers it.
#[derive(Debug)]
pub struct Refusal {
    /// The request's id, when the message was JSON with one.
    pub id: Option<RequestId>,
    pub code: ErrorCode,
    pub message: String,
}

impl Refusal {
    fn new(code: ErrorCode, message: impl Into<String>) -> Refusal {
        Refusal {
            id: None,
            code,
            message: message.into(),
        }
    }

    /// The error response (`"id": null` when the id is not known).
    pub fn reply(&self) -> String {
        let id = self
            .id
            .as_ref()
            .and_then(|id| serde_json::to_value(id).ok())
            .unwrap_or(serde_json::Value::Null);
        serde_json::json!({
            "jsonrpc": "2.0",
            "id": id,
            "error": {"code": self.code as i32, "message": self.message},
        })
        .to_string()
    }
}

/// The headers of one message: its length, or why it has none.
enum Header {
    Length(usize),
    /// The input ended before any header.
    End,
    /// Not a header this reader can frame a message by.
    Broken(String),
}

/// Reads framed messages from the client.
pub struct Reader<R> {
    input: R,
    /// After a broken header: skip to the next `Content-Length` header
    /// before reading the next message.
    skipping: bool,
}

impl<R: BufRead> Reader<R> {
    pub fn new(input: R) -> Reader<R> {
        Reader {
            input,
            skipping: false,
        }
    }

    /// The next message; `None` at the end of the input. Errors are I/O
    /// errors, and the input ending inside a message; a message that cannot
    /// be used is [`Incoming::Refused`], and reading goes on after it.
    pub fn read(&mut self) -> io::Result<Option<Incoming>> {
        let prefix: &[u8] = if std::mem::take(&mut self.skipping) {
            if !skip_to_length_header(&mut self.input)? {
                return Ok(None);
            }
            LENGTH_HEADER
        } else {
            b""
        };
        match read_header(&mut self.input, prefix)? {
            Header::End => Ok(None),
            Header::Broken(why) => {
                self.skipping = true;
                Ok(Some(Incoming::Refused(Refusal::new(
                    ErrorCode::ParseError,
                    format!("{why}; the input up to the next `Content-Length` header is skipped"),
                ))))
            }
            Header::Length(n) => read_body(&mut self.input, n).map(Some),
        }
    }
}

fn ended(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::UnexpectedEof,
        format!("the input ended inside {what}"),
    )
}

/// A header value for a message: at most 20 characters of it.
fn clipped(value: &str) -> String {
    match value.char_indices().nth(20) {
        Some((cut, _)) => format!("{}…", &value[..cut]),
        None => value.to_string(),
    }
}

/// Reads the header lines of one message. `prefix` is the start of its
/// first line, already read.
fn read_header(input: &mut impl BufRead, prefix: &[u8]) -> io::Result<Header> {
    let mut length = None;
    let mut lines = 0;
    loop {
        let mut line = if lines == 0 {
            prefix.to_vec()
        } else {
            Vec::new()
        };
        let n = input
            .by_ref()
            .take(MAX_HEADER_LINE as u64)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            return if line.is_empty() && lines == 0 {
                Ok(Header::End)
            } else {
                Err(ended("a message header"))
            };
        }
        if !line.ends_with(b"\r\n") {
            return Ok(Header::Broken(
                "a message header line is malformed or too long".to_string(),
            ));
        }
        lines += 1;
        if lines > MAX_HEADERS {
            return Ok(Header::Broken(
                "a message has too many header lines".to_string(),
            ));
        }
        let line = String::from_utf8_lossy(&line[..line.len() - 2]).into_owned();
        if line.is_empty() {
            break;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Ok(Header::Broken("a message header has no `:`".to_string()));
        };
        if name.trim().eq_ignore_ascii_case("content-length") {
            match value.trim().parse::<usize>() {
                // A length no client sends is no frame to skip by.
                Ok(n) if n <= MAX_SKIPPED_BYTES => length = Some(n),
                _ => {
                    return Ok(Header::Broken(format!(
                        "bad Content-Length `{}`",
                        clipped(value.trim())
                    )))
                }
            }
        }
    }
    Ok(match length {
        Some(n) => Header::Length(n),
        None => Header::Broken("a message has no Content-Length".to_string()),
    })
}

/// The largest body read past (unread) as too large; a larger
/// `Content-Length` is a broken header.
const MAX_SKIPPED_BYTES: usize = 16 * MAX_MESSAGE_BYTES;

/// Reads up to and including the next `Content-Length:` (in any case);
/// false if the input ends first.
fn skip_to_length_header(input: &mut impl BufRead) -> io::Result<bool> {
    // How much of the header has matched; no proper suffix of it is a
    // prefix, so a mismatch starts over (at this byte, if it is the first).
    let mut matched = 0;
    loop {
        let buf = input.fill_buf()?;
        if buf.is_empty() {
            return Ok(false);
        }
        let mut used = 0;
        let mut found = false;
        for &b in buf {
            used += 1;
            let b = b.to_ascii_lowercase();
            if LENGTH_HEADER.get(matched) == Some(&b) {
                matched += 1;
            } else {
                matched = usize::from(LENGTH_HEADER.first() == Some(&b));
            }
            if matched == LENGTH_HEADER.len() {
                found = true;
                break;
            }
        }
        input.consume(used);
        if found {
            return Ok(true);
        }
    }
}

/// Reads a body of `length` bytes: the message, or why it cannot be one.
fn read_body(input: &mut impl BufRead, length: usize) -> io::Result<Incoming> {
    if length > MAX_MESSAGE_BYTES {
        let skipped = io::copy(&mut input.by_ref().take(length as u64), &mut io::sink())?;
        if skipped < length as u64 {
            return Err(ended("a message"));
        }
        return Ok(Incoming::Refused(Refusal::new(
            ErrorCode::InvalidRequest,
            format!(
                "a message of {length} bytes is larger than the limit of {MAX_MESSAGE_BYTES}; it is skipped"
            ),
        )));
    }
    let mut body = vec![0; length];
    input.read_exact(&mut body).map_err(|e| match e.kind() {
        io::ErrorKind::UnexpectedEof => ended("a message"),
        _ => e,
    })?;
    Ok(parse(body))
}

/// A body as a message: JSON (bytes that are not UTF-8 and lone surrogate
/// escapes read as U+FFFD) of a request, response or notification.
pub fn parse(body: Vec<u8>) -> Incoming {
    let text = match String::from_utf8(body) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    let text = mend_surrogates(&text);
    match serde_json::from_str::<Message>(&text) {
        Ok(message) => Incoming::Message(message),
        // The reason says where, never what: no content is repeated.
        Err(_) => Incoming::Refused(match serde_json::from_str::<serde_json::Value>(&text) {
            Err(e) => Refusal::new(
                ErrorCode::ParseError,
                format!("the message is not JSON: {e}; it is skipped"),
            ),
            Ok(value) => Refusal {
                id: value
                    .get("id")
                    .and_then(|id| serde_json::from_value(id.clone()).ok()),
                ..Refusal::new(
                    ErrorCode::InvalidRequest,
                    "the message is not a JSON-RPC request, response or notification; it is skipped",
                )
            },
        }),
    }
}

/// The UTF-16 code unit of the `\uXXXX` escape whose `\` is at `at`.
fn unit_at(text: &[u8], at: usize) -> Option<u16> {
    if text.get(at..at + 2)? != b"\\u" {
        return None;
    }
    let hex = std::str::from_utf8(text.get(at + 2..at + 6)?).ok()?;
    u16::from_str_radix(hex, 16).ok()
}

/// JSON text with every `\uXXXX` escape of a lone surrogate (one not in a
/// high–low pair) replaced by `\ufffd`. Only escapes are looked at: a
/// backslash in JSON text starts an escape, and `\\` is skipped whole.
pub fn mend_surrogates(json: &str) -> Cow<'_, str> {
    let bytes = json.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        let Some(unit) = unit_at(bytes, i) else {
            i += 2;
            continue;
        };
        let lone = match unit {
            0xD800..=0xDBFF => {
                if unit_at(bytes, i + 6).is_some_and(|low| (0xDC00..=0xDFFF).contains(&low)) {
                    i += 12;
                    continue;
                }
                true
            }
            0xDC00..=0xDFFF => true,
            _ => false,
        };
        if lone {
            let o = out.get_or_insert_with(|| String::with_capacity(json.len()));
            // `i` is at a `\` and `copied` after an escape: both on
            // character boundaries.
            o.push_str(json.get(copied..i).unwrap_or(""));
            o.push_str("\\ufffd");
            copied = i + 6;
        }
        i += 6;
    }
    match out {
        None => Cow::Borrowed(json),
        Some(mut o) => {
            o.push_str(json.get(copied..).unwrap_or(""));
            Cow::Owned(o)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    fn read_all(text: &[u8]) -> Vec<Incoming> {
        let mut reader = Reader::new(Cursor::new(text.to_vec()));
        let mut out = Vec::new();
        while let Some(m) = reader.read().unwrap() {
            out.push(m);
        }
        out
    }

    fn method(m: &Incoming) -> Option<&str> {
        match m {
            Incoming::Message(Message::Notification(n)) => Some(&n.method),
            Incoming::Message(Message::Request(r)) => Some(&r.method),
            _ => None,
        }
    }

    fn refusal(m: &Incoming) -> Option<(i32, Option<&RequestId>)> {
        match m {
            Incoming::Refused(r) => Some((r.code as i32, r.id.as_ref())),
            Incoming::Message(_) => None,
        }
    }

    const OK: &str = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;

    #[test]
    fn reads_framed_messages() {
        let text = format!(
            "Content-Length: {}\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{OK}",
            OK.len()
        );
        let all = read_all(text.as_bytes());
        assert_eq!(all.len(), 1);
        assert_eq!(method(&all[0]), Some("initialized"));
    }

    #[test]
    fn a_malformed_message_is_answered_and_skipped() {
        let id_request = r#"{"jsonrpc":"2.0","id":7,"method":5}"#;
        let mut text = String::new();
        text += &frame("{not json");
        text += &frame(OK);
        text += &frame(id_request);
        text += &frame("[1, 2]");
        text += &frame(OK);
        let all = read_all(text.as_bytes());
        assert_eq!(all.len(), 5);
        assert_eq!(refusal(&all[0]), Some((-32700, None)));
        assert_eq!(method(&all[1]), Some("initialized"));
        assert_eq!(refusal(&all[2]), Some((-32600, Some(&RequestId::from(7)))));
        assert_eq!(refusal(&all[3]), Some((-32600, None)));
        assert_eq!(method(&all[4]), Some("initialized"));
        // The reply repeats nothing of the message.
        let Incoming::Refused(r) = &all[0] else {
            panic!()
        };
        assert!(!r.reply().contains("not json"), "{}", r.reply());
        let reply: serde_json::Value = serde_json::from_str(&r.reply()).unwrap();
        assert_eq!(reply["id"], serde_json::Value::Null);
        assert_eq!(reply["error"]["code"], -32700);
    }

    #[test]
    fn broken_headers_skip_to_the_next_message() {
        let cases = [
            "Content-Length: abc\r\n\r\n{}".to_string(),
            "Content-Length: -5\r\n\r\n{}".to_string(),
            format!("Content-Length: {}\r\n\r\n", usize::MAX),
            format!("X-{}: y\r\n\r\n{{}}", "a".repeat(5000)),
            "Content-Type: x\r\n\r\n{}".to_string(),
            "no header at all\n".to_string(),
            format!("{}\r\n", "X: y\r\n".repeat(20)),
        ];
        for case in cases {
            // The body of the next message follows its header without a
            // line break, as clients write them.
            let text = format!("{case}{}{}", frame(OK), frame(OK));
            let all = read_all(text.as_bytes());
            assert_eq!(all.len(), 3, "{case:?}: {all:?}");
            assert_eq!(refusal(&all[0]).map(|r| r.0), Some(-32700), "{case:?}");
            assert_eq!(method(&all[1]), Some("initialized"), "{case:?}");
            assert_eq!(method(&all[2]), Some("initialized"), "{case:?}");
        }
    }

    #[test]
    fn an_oversized_message_is_read_past() {
        let mut text = format!("Content-Length: {}\r\n\r\n", MAX_MESSAGE_BYTES + 1).into_bytes();
        text.resize(text.len() + MAX_MESSAGE_BYTES + 1, b'x');
        text.extend_from_slice(frame(OK).as_bytes());
        let all = read_all(&text);
        assert_eq!(all.len(), 2);
        assert_eq!(refusal(&all[0]), Some((-32600, None)));
        assert_eq!(method(&all[1]), Some("initialized"));
    }

    #[test]
    fn the_input_ending_inside_a_message_is_an_error() {
        let mut reader = Reader::new(Cursor::new(b"Content-Length: 10\r\n\r\n{}".to_vec()));
        assert!(reader.read().is_err());
        let mut reader = Reader::new(Cursor::new(b"Content-Length: 10\r\n".to_vec()));
        assert!(reader.read().is_err());
        assert!(read_all(b"").is_empty());
    }

    #[test]
    fn lone_surrogates_become_replacement_characters() {
        assert_eq!(mend_surrogates(r#""a\ud800b""#), r#""a\ufffdb""#);
        assert_eq!(mend_surrogates(r#""\udc00\ud83d""#), r#""\ufffd\ufffd""#);
        // A pair stays; an escaped backslash is no escape.
        assert_eq!(mend_surrogates(r#""\ud83d\ude00""#), r#""\ud83d\ude00""#);
        assert_eq!(mend_surrogates(r#""\\ud800""#), r#""\\ud800""#);
        assert_eq!(mend_surrogates(r#""é\ud800é""#), r#""é\ufffdé""#);
        let body = r#"{"jsonrpc":"2.0","method":"x","params":{"text":"a\ud800b"}}"#;
        match parse(body.as_bytes().to_vec()) {
            Incoming::Message(Message::Notification(n)) => {
                assert_eq!(n.params["text"], "a\u{fffd}b");
            }
            other => panic!("{other:?}"),
        }
        // Bytes that are not UTF-8, likewise.
        let mut body = br#"{"jsonrpc":"2.0","method":"x","params":{"text":"a"#.to_vec();
        body.extend_from_slice(&[0xff, b'"', b'}', b'}']);
        match parse(body) {
            Incoming::Message(Message::Notification(n)) => {
                assert_eq!(n.params["text"], "a\u{fffd}");
            }
            other => panic!("{other:?}"),
        }
    }
}
