//! Standard output that cannot be written: a closed pipe (`npc build | head
//! -c1`) ends the run quietly with exit 0; any other write error (`>
//! /dev/full`) is an I/O error with a message and exit 2. Never a panic.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::npc::{command, stderr};

/// Every command that prints on stdout, run in `dir`, with what it reads on stdin.
fn printing_commands(dir: &Path) -> Vec<(Vec<String>, String)> {
    let big = dir.join("big.npl");
    std::fs::write(&big, crate::support::npc::big_program(300)).unwrap();
    let big = big.to_str().unwrap().to_string();
    let deployed = dir.join("deployed.yaml");
    std::fs::write(&deployed, "").unwrap();
    let config = dir.join("gen.yaml");
    std::fs::write(
        &config,
        "apiVersion: npc.dev/v1alpha1\nkind: NetworkPolicyGenerator\nmetadata: {name: x}\nspec:\n  sources: [big.npl]\n",
    )
    .unwrap();
    let resource_list = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: []\nfunctionConfig:\n  apiVersion: npc.dev/v1alpha1\n  kind: NetworkPolicyGenerator\n  metadata: {name: x}\n  spec: {sources: [big.npl]}\n".to_string();
    let s = |v: &[&str]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    vec![
        (s(&["build", &big]), String::new()),
        (s(&["build", &big, "-o", "json"]), String::new()),
        (s(&["check", &big]), String::new()),
        (s(&["explain", &big, "ns1/a -> ns1/b:80"]), String::new()),
        (
            s(&["explain", &big, "ns1/a -> ns1/b:80", "-o", "json"]),
            String::new(),
        ),
        (s(&["fmt", "-"]), std::fs::read_to_string(&big).unwrap()),
        (
            s(&["diff", &big, "--against", deployed.to_str().unwrap()]),
            String::new(),
        ),
        (
            s(&[
                "diff",
                &big,
                "--against",
                deployed.to_str().unwrap(),
                "-o",
                "json",
            ]),
            String::new(),
        ),
        (
            s(&["kustomize", "generate", config.to_str().unwrap()]),
            String::new(),
        ),
        (s(&["kustomize", "fn"]), resource_list),
        (s(&["--help"]), String::new()),
        (s(&["completions", "bash"]), String::new()),
        (s(&["man"]), String::new()),
    ]
}

fn spawn(dir: &Path, args: &[String], stdout: Stdio) -> std::process::Child {
    command()
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(stdout)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn feed(child: &mut std::process::Child, input: &str) {
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_string();
    std::thread::spawn(move || {
        let _ = std::io::Write::write_all(&mut stdin, input.as_bytes());
    });
}

#[test]
fn a_closed_pipe_ends_the_run_quietly() {
    let tmp = tempfile::tempdir().unwrap();
    for (args, input) in printing_commands(tmp.path()) {
        // The reading end is closed before npc writes anything.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let mut child = spawn(tmp.path(), &args, Stdio::from(writer));
        feed(&mut child, &input);
        let o = child.wait_with_output().unwrap();
        let err = stderr(&o);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        // A diff finds differences (1); everything else succeeds.
        let expected = if args[0] == "diff" { [0, 1] } else { [0, 0] };
        assert!(
            expected.contains(&o.status.code().unwrap()),
            "{args:?}: exit {:?}: {err}",
            o.status.code()
        );
        assert!(!err.contains("error"), "{args:?}: {err}");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_an_io_error() {
    let tmp = tempfile::tempdir().unwrap();
    for (args, input) in printing_commands(tmp.path()) {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let mut child = spawn(tmp.path(), &args, Stdio::from(full));
        feed(&mut child, &input);
        let o = child.wait_with_output().unwrap();
        let err = stderr(&o);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains("cannot write to standard output"),
            "{args:?}: {err}"
        );
    }
}

/// Diagnostics go to stderr; a stderr that cannot be written is no reason
/// to panic either.
#[cfg(target_os = "linux")]
#[test]
fn an_unwritable_stderr_does_not_panic() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_npc"))
        .args(["build", "tests/cases/err/E006-port-range.npl"])
        .current_dir(crate::support::npc::root())
        .stderr(Stdio::from(full))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
}
