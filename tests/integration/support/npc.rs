//! Running the `npc` binary, the one way every test does it.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// The repository root: tests name examples and fixtures relative to it.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A command for the `npc` binary, run in the repository root, without the
/// caller's colour settings (`NO_COLOR`, `CLICOLOR`, `CLICOLOR_FORCE`).
pub fn command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_npc"));
    c.current_dir(root())
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE");
    c
}

/// Runs npc with `args` and waits for it.
pub fn npc(args: &[&str]) -> Output {
    command().args(args).output().unwrap()
}

/// Runs npc with `input` on its standard input.
pub fn npc_with_stdin(args: &[&str], input: &str) -> Output {
    run_with_stdin(command().args(args), input)
}

/// Runs a prepared command with `input` on its standard input.
pub fn run_with_stdin(command: &mut Command, input: &str) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A process that exits early closes its stdin: not the test's concern.
    let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    child.wait_with_output().unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs a prepared command with stdout and stderr captured, killing it after
/// `seconds`: `None` means it was still running (a hang, for a test that
/// guards against one).
pub fn run_with_timeout(command: &mut Command, seconds: u64) -> Option<Output> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Drain the pipes while waiting, so a chatty child cannot block on them.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = std::io::Read::read_to_end(&mut out, &mut b);
        b
    });
    let err_reader = std::thread::spawn(move || {
        let mut b = Vec::new();
        let _ = std::io::Read::read_to_end(&mut err, &mut b);
        b
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(Output {
                status,
                stdout: out_reader.join().unwrap(),
                stderr: err_reader.join().unwrap(),
            });
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// A program of `n` namespaces with a few rules each: megabytes of output.
pub fn big_program(n: usize) -> String {
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!(
            "namespace ns{i}\nallow ns{i}/a -> ns{i}/b:{{80, 443}}\nallow ns{i}/b -> world:443\n"
        ));
    }
    text
}
