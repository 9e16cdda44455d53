//! End to end through the `npc` binary: exit codes, output, files written.

use crate::support::npc::{npc, npc_with_stdin, root, stderr, stdout};
use std::path::{Path, PathBuf};

#[test]
fn build_prints_the_checked_in_output() {
    let o = npc(&["build", "examples/shop.npl"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let golden = std::fs::read_to_string(root().join("examples/shop.yaml")).unwrap();
    assert_eq!(stdout(&o), golden);
    assert!(
        stderr(&o).is_empty(),
        "no diagnostics expected: {}",
        stderr(&o)
    );
}

#[test]
fn build_reads_stdin() {
    let o = npc_with_stdin(&["build", "-"], "namespace web\nallow web/a -> web/b:80\n");
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("name: a\n"));
    assert!(stdout(&o).contains("npc.dev/source: <stdin>:2"));
}

#[test]
fn json_format_is_a_list() {
    let o = npc(&["build", "examples/shop.npl", "-o", "json"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["kind"], "List");
    assert!(v["items"].as_array().unwrap().len() > 5);
    assert_eq!(v["items"][0]["kind"], "NetworkPolicy");
}

#[test]
fn compile_errors_exit_1_with_located_diagnostics() {
    let o = npc(&[
        "build",
        "tests/cases/err/E006-port-range.npl",
        "--color",
        "never",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).is_empty(), "no partial output on errors");
    let err = stderr(&o);
    assert!(
        err.contains("[E006] Error: port `0` is out of range"),
        "{err}"
    );
    assert!(
        err.contains("tests/cases/err/E006-port-range.npl:2:23"),
        "{err}"
    );
    assert!(!err.contains('\u{1b}'), "no colour with --color never");
}

#[test]
fn json_diagnostics() {
    let o = npc(&[
        "build",
        "tests/cases/err/E002-unknown-alias.npl",
        "--error-format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stderr(&o)).unwrap();
    let d = &v[0];
    assert_eq!(d["code"], "E002");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["location"]["line"], 3);
    assert_eq!(d["location"]["column"], 7);
    assert_eq!(d["help"], "did you mean `frontend`?");
}

#[test]
fn warnings_keep_exit_0_unless_denied() {
    let o = npc(&[
        "build",
        "tests/cases/err/W003-routing-label.npl",
        "--color",
        "never",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("W003"));
    assert!(!stdout(&o).is_empty());
    let o = npc(&[
        "build",
        "tests/cases/err/W003-routing-label.npl",
        "--deny-warnings",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).is_empty());
}

#[test]
fn usage_and_io_errors_exit_2() {
    let o = npc(&["build", "does/not/exist.npl"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot read `does/not/exist.npl`: no such file"),
        "{}",
        stderr(&o)
    );
    assert_eq!(npc(&["build"]).status.code(), Some(2));
    assert_eq!(npc(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        npc(&["build", "examples/shop.npl", "-o", "xml"])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn help_and_version() {
    let o = npc(&["--version"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).starts_with("npc "));
    let o = npc(&["build", "--help"]);
    assert_eq!(o.status.code(), Some(0));
    let help = stdout(&o);
    assert!(
        help.contains("Examples:") && help.contains("Exit codes:"),
        "{help}"
    );
}

fn copy_example(dir: &Path) -> PathBuf {
    let src = dir.join("shop.npl");
    std::fs::copy(root().join("examples/shop.npl"), &src).unwrap();
    src
}

#[test]
fn output_directory_has_a_file_per_namespace_and_a_kustomization() {
    let tmp = tempfile::tempdir().unwrap();
    let src = copy_example(tmp.path());
    let out = tmp.path().join("out");
    let o = npc(&[
        "build",
        src.to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "kustomization.yaml",
            "monitoring.netpol.yaml",
            "payments.netpol.yaml",
            "web.netpol.yaml"
        ]
    );
    let k = std::fs::read_to_string(out.join("kustomization.yaml")).unwrap();
    assert!(
        k.contains("- monitoring.netpol.yaml\n- payments.netpol.yaml\n- web.netpol.yaml\n"),
        "{k}"
    );
    let web = std::fs::read_to_string(out.join("web.netpol.yaml")).unwrap();
    assert!(web.contains("namespace: web") && !web.contains("namespace: payments"));

    // Up to date: --check passes; after an edit it fails and names the file.
    let o = npc(&[
        "build",
        src.to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
        "--check",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = std::fs::read_to_string(&src)
        .unwrap()
        .replace("api:8080", "api:{8080, 8081}");
    std::fs::write(&src, text).unwrap();
    let o = npc(&[
        "build",
        src.to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
        "--check",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("changed:") && stderr(&o).contains("web.netpol.yaml"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_failed_build_leaves_the_output_directory_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let src = copy_example(tmp.path());
    let out = tmp.path().join("out");
    assert_eq!(
        npc(&[
            "build",
            src.to_str().unwrap(),
            "--out-dir",
            out.to_str().unwrap()
        ])
        .status
        .code(),
        Some(0)
    );
    let before = std::fs::read_to_string(out.join("payments.netpol.yaml")).unwrap();
    std::fs::write(
        &src,
        "namespace payments\nallow payments/a -> payments/b:99999\n",
    )
    .unwrap();
    let o = npc(&[
        "build",
        src.to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(out.join("payments.netpol.yaml")).unwrap(),
        before
    );
    assert!(out.join("web.netpol.yaml").exists());
}

#[test]
fn stale_generated_files_are_removed_and_foreign_files_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("p.npl");
    std::fs::write(&src, "namespace a\nnamespace b\n").unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("notes.yaml"), "kind: ConfigMap\n").unwrap();
    assert_eq!(
        npc(&[
            "build",
            src.to_str().unwrap(),
            "--out-dir",
            out.to_str().unwrap()
        ])
        .status
        .code(),
        Some(0)
    );
    assert!(out.join("b.netpol.yaml").exists());
    std::fs::write(&src, "namespace a\n").unwrap();
    assert_eq!(
        npc(&[
            "build",
            src.to_str().unwrap(),
            "--out-dir",
            out.to_str().unwrap()
        ])
        .status
        .code(),
        Some(0)
    );
    assert!(
        !out.join("b.netpol.yaml").exists(),
        "b.netpol.yaml is stale and generated: removed"
    );
    assert!(
        out.join("notes.yaml").exists(),
        "files npc did not write stay"
    );
    // A foreign file where npc would write is never overwritten.
    std::fs::write(out.join("a.netpol.yaml"), "kind: ConfigMap\n").unwrap();
    let o = npc(&[
        "build",
        src.to_str().unwrap(),
        "--out-dir",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("was not written by npc"));
    assert_eq!(
        std::fs::read_to_string(out.join("a.netpol.yaml")).unwrap(),
        "kind: ConfigMap\n"
    );
}

#[test]
fn several_files_compile_as_one_program() {
    let tmp = tempfile::tempdir().unwrap();
    let a = tmp.path().join("a.npl");
    let b = tmp.path().join("b.npl");
    std::fs::write(&a, "namespace web\nlet api = web/api\n").unwrap();
    std::fs::write(&b, "allow web/frontend -> api:8080\n").unwrap();
    let o = npc(&["build", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("b.npl:1"));
}

#[test]
fn diff_against_own_output_is_clean_and_a_change_exits_1() {
    let tmp = tempfile::tempdir().unwrap();
    let live = tmp.path().join("live.yaml");
    std::fs::write(&live, stdout(&npc(&["build", "examples/shop.npl"]))).unwrap();
    let o = npc(&[
        "diff",
        "examples/shop.npl",
        "--against",
        live.to_str().unwrap(),
        "--color",
        "never",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).starts_with("0 to add, 0 to remove, 0 to change, 13 unchanged"),
        "{}",
        stdout(&o)
    );

    let changed = std::fs::read_to_string(&live)
        .unwrap()
        .replace("port: 5432", "port: 5433");
    std::fs::write(&live, changed).unwrap();
    let o = npc(&[
        "diff",
        "examples/shop.npl",
        "--against",
        live.to_str().unwrap(),
        "--color",
        "never",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("-    - port: 5433") && out.contains("+    - port: 5432"),
        "{out}"
    );
    assert!(!out.contains('\u{1b}'));

    let o = npc(&[
        "diff",
        "examples/shop.npl",
        "--against",
        live.to_str().unwrap(),
        "-o",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["changed"].as_array().unwrap().len(), 2);
}

#[test]
fn diff_reads_deployed_policies_from_stdin() {
    let yaml = stdout(&npc(&["build", "examples/shop.npl", "-o", "json"]));
    let o = npc_with_stdin(&["diff", "examples/shop.npl", "--against", "-"], &yaml);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn diff_errors_exit_2() {
    let o = npc(&[
        "diff",
        "tests/cases/err/E006-port-range.npl",
        "--against",
        "examples/shop.yaml",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let o = npc(&["diff", "examples/shop.npl", "--against", "no/such/dir"]);
    assert_eq!(o.status.code(), Some(2));
    let o = npc(&[
        "diff",
        "examples/shop.npl",
        "--against",
        "examples/shop.npl",
    ]);
    assert_eq!(o.status.code(), Some(2), "NPL is not YAML: {}", stderr(&o));
}

#[test]
fn fmt_rewrites_checks_and_leaves_broken_files_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let messy = tmp.path().join("messy.npl");
    std::fs::write(
        &messy,
        "namespace web;allow   web/a->web/b:{443,80}  # why\n",
    )
    .unwrap();
    let o = npc(&["fmt", "--check", messy.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("messy.npl"));
    let o = npc(&["fmt", messy.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(&messy).unwrap(),
        "namespace web\nallow web/a -> web/b:{80, 443}  # why\n"
    );
    assert_eq!(
        npc(&["fmt", "--check", messy.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );

    let broken = tmp.path().join("broken.npl");
    std::fs::write(&broken, "allow web/a ->\n").unwrap();
    let o = npc(&["fmt", broken.to_str().unwrap(), "--color", "never"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("E001"));
    assert_eq!(
        std::fs::read_to_string(&broken).unwrap(),
        "allow web/a ->\n"
    );
}
