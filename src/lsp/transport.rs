//! The stdio transport: `lsp_server` messages over stdin and stdout, with the
//! size of each incoming message bounded before it is read into memory.
//! (`lsp_server::Connection::stdio` allocates whatever `Content-Length` says.)

use std::io::{self, BufRead, BufReader, Cursor, Read, Write};
use std::thread;

use crossbeam_channel::{bounded, Receiver, Sender};
use lsp_server::{Connection, Message};

/// The largest message accepted from the client.
pub const MAX_MESSAGE_BYTES: usize = 64 << 20;
/// The longest header line, and the most header lines, of one message.
const MAX_HEADER_LINE: usize = 1024;
const MAX_HEADERS: usize = 16;

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
    let reader = thread::Builder::new()
        .name("lsp-reader".to_string())
        .spawn(move || read_loop(&mut BufReader::new(io::stdin().lock()), &to_server))?;
    let writer = thread::Builder::new()
        .name("lsp-writer".to_string())
        .spawn(move || write_loop(&mut io::stdout().lock(), &from_server))?;
    Ok((
        Connection {
            sender: to_client,
            receiver: from_client,
        },
        IoThreads { reader, writer },
    ))
}

fn read_loop(input: &mut impl BufRead, to_server: &Sender<Message>) -> io::Result<()> {
    while let Some(message) = read_message(input)? {
        let exit = matches!(&message, Message::Notification(n) if n.method == "exit");
        if to_server.send(message).is_err() || exit {
            break;
        }
    }
    Ok(())
}

fn write_loop(output: &mut impl Write, from_server: &Receiver<Message>) -> io::Result<()> {
    for message in from_server {
        message.write(output)?;
    }
    Ok(())
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// Reads one framed message; `None` at the end of the input.
pub fn read_message(input: &mut impl BufRead) -> io::Result<Option<Message>> {
    let mut length = None;
    let mut headers = 0;
    loop {
        let mut line = Vec::new();
        let n = input
            .by_ref()
            .take(MAX_HEADER_LINE as u64)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            return if headers == 0 {
                Ok(None)
            } else {
                Err(invalid(
                    "the input ended inside a message header".to_string(),
                ))
            };
        }
        if !line.ends_with(b"\r\n") {
            return Err(invalid(
                "a message header line is malformed or too long".to_string(),
            ));
        }
        headers += 1;
        if headers > MAX_HEADERS {
            return Err(invalid("a message has too many header lines".to_string()));
        }
        let line = String::from_utf8_lossy(&line[..line.len() - 2]).into_owned();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                let n: usize = value
                    .trim()
                    .parse()
                    .map_err(|_| invalid(format!("bad Content-Length `{}`", value.trim())))?;
                length = Some(n);
            }
        }
    }
    let length = length.ok_or_else(|| invalid("a message has no Content-Length".to_string()))?;
    if length > MAX_MESSAGE_BYTES {
        return Err(invalid(format!(
            "a message of {length} bytes is larger than the limit of {MAX_MESSAGE_BYTES}"
        )));
    }
    let mut body = vec![0; length];
    input.read_exact(&mut body)?;
    // Hand the checked message to `lsp_server`, which parses the JSON.
    let mut framed = format!("Content-Length: {length}\r\n\r\n").into_bytes();
    framed.extend_from_slice(&body);
    Message::read(&mut Cursor::new(framed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_framed_messages() {
        let body = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
        let text = format!(
            "Content-Length: {}\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{body}",
            body.len()
        );
        let mut input = Cursor::new(text.into_bytes());
        let msg = read_message(&mut input).unwrap();
        assert!(matches!(msg, Some(Message::Notification(n)) if n.method == "initialized"));
        assert!(read_message(&mut input).unwrap().is_none());
    }

    #[test]
    fn refuses_oversized_and_malformed_messages() {
        let huge = format!("Content-Length: {}\r\n\r\n", usize::MAX);
        assert!(read_message(&mut Cursor::new(huge.into_bytes())).is_err());
        let long_header = format!("X-{}: y\r\n\r\n", "a".repeat(5000));
        assert!(read_message(&mut Cursor::new(long_header.into_bytes())).is_err());
        let no_length = "Content-Type: x\r\n\r\n{}".to_string();
        assert!(read_message(&mut Cursor::new(no_length.into_bytes())).is_err());
    }
}
