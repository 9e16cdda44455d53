//! Running the `npc` binary, the one way every test does it.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// The repository root: tests name examples and fixtures relative to it.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A command for the `npc` binary, run in the repository root, without the
/// caller's `NO_COLOR`.
pub fn command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_npc"));
    c.current_dir(root()).env_remove("NO_COLOR");
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
