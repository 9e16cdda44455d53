//! `npc check` and `npc explain` through the binary: exit codes, output
//! streams, and the "no output on error" rule for `npc build`.

use std::path::PathBuf;

use crate::support::npc::npc;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn failing_program() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p.npl");
    std::fs::write(
        &path,
        "namespace web\nallow web/a -> web/b:80\nexpect deny web/a -> web/b:80\n",
    )
    .unwrap();
    (dir, path)
}

#[test]
fn check_passes_on_every_example_with_a_summary() {
    for (file, summary) in [
        ("examples/shop.npl", "4 expectations hold, 13 policies\n"),
        ("examples/ports.npl", "5 expectations hold, 11 policies\n"),
        (
            "examples/multi-team.npl",
            "4 expectations hold, 20 policies\n",
        ),
        (
            "examples/nodelocal-dns.npl",
            "6 expectations hold, 10 policies\n",
        ),
    ] {
        let o = npc(&["check", file]);
        assert_eq!(o.status.code(), Some(0), "{file}: {}", text(&o.stderr));
        assert_eq!(text(&o.stdout), summary, "{file}");
    }
}

#[test]
fn a_failed_expectation_fails_build_and_check_without_output() {
    let (_dir, path) = failing_program();
    let path = path.to_str().unwrap();
    for cmd in ["build", "check"] {
        let o = npc(&[cmd, path]);
        assert_eq!(o.status.code(), Some(1), "{cmd}");
        assert_eq!(text(&o.stdout), "", "{cmd} prints nothing on stdout");
        assert!(
            text(&o.stderr).contains("[E029]"),
            "{cmd}: {}",
            text(&o.stderr)
        );
    }
    let o = npc(&["check", path, "--error-format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stderr).unwrap();
    assert_eq!(v[0]["code"], "E029");
    assert_eq!(v[0]["location"]["line"], 3);
}

#[test]
fn usage_and_io_errors_exit_2() {
    assert_eq!(npc(&["check", "missing.npl"]).status.code(), Some(2));
    assert_eq!(npc(&["check"]).status.code(), Some(2));
    let o = npc(&["check", "examples/shop.npl", "--inventory", "missing.yaml"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("cannot read `missing.yaml`"));
    assert_eq!(
        npc(&["explain", "examples/shop.npl"]).status.code(),
        Some(2)
    );
}

#[test]
fn explain_exits_0_whatever_the_verdict_and_1_for_a_bad_query() {
    let o = npc(&[
        "explain",
        "examples/shop.npl",
        "web/frontend -> payments/postgres-primary:5432",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o.stdout).starts_with("web/frontend -> payments/postgres-primary:5432: denied\n"));
    let o = npc(&["explain", "examples/shop.npl", "web/frontend -> nope:80"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(text(&o.stdout), "");
    assert!(
        text(&o.stderr).contains("[E002] Error: unknown alias `nope`"),
        "{}",
        text(&o.stderr)
    );
    let o = npc(&["explain", "examples/shop.npl", "web/frontend => api"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("[E001]"), "{}", text(&o.stderr));
}

#[test]
fn explain_works_when_an_expectation_of_the_program_fails() {
    let (_dir, path) = failing_program();
    let o = npc(&["explain", path.to_str().unwrap(), "web/a -> web/b:80"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).starts_with("web/a -> web/b:80: allowed\n"));
}
