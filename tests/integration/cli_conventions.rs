//! What every CLI has: `-o` as in kubectl, shell completions and a man page,
//! machine-readable errors of every kind (JSON, SARIF 2.1.0 checked against
//! the official schema, GitHub annotations), directories as input, colour
//! that follows the environment, the commit in `--version`, and a diff from
//! `fmt --check`.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::npc::{command, npc, stderr, stdout};

fn in_dir(dir: &Path, args: &[&str]) -> Output {
    command().args(args).current_dir(dir).output().unwrap()
}

#[test]
fn dash_o_selects_the_format_as_in_kubectl() {
    let o = npc(&["build", "examples/shop.npl", "-o", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["kind"], "List");
    for args in [
        vec!["build", "examples/shop.npl", "--output", "yaml"],
        vec!["build", "examples/shop.npl", "--format", "yaml"],
        vec!["build", "examples/shop.npl", "-o", "yaml"],
    ] {
        let o = npc(&args);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        assert_eq!(
            stdout(&o),
            std::fs::read_to_string("examples/shop.yaml").unwrap()
        );
    }
}

#[test]
fn dash_o_with_a_directory_is_refused_with_a_hint() {
    let tmp = tempfile::tempdir().unwrap();
    let src = crate::support::npc::root().join("examples/shop.npl");
    let o = in_dir(
        tmp.path(),
        &["build", src.to_str().unwrap(), "-o", "deploy/netpol"],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("`deploy/netpol` is not an output format"),
        "{err}"
    );
    assert!(err.contains("--out-dir deploy/netpol"), "{err}");
    assert!(!tmp.path().join("deploy").exists(), "no directory created");
    // `-o json` never creates a directory named `json`.
    let o = in_dir(tmp.path(), &["build", src.to_str().unwrap(), "-o", "json"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(!tmp.path().join("json").exists());
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = npc(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}: {}", stderr(&o));
        let script = stdout(&o);
        assert!(
            script.contains("npc") && script.contains("build") && script.contains("out-dir"),
            "{shell}"
        );
    }
    // The bash script is valid bash.
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("npc.bash");
    std::fs::write(&path, stdout(&npc(&["completions", "bash"]))).unwrap();
    let ok = Command::new("bash").arg("-n").arg(&path).status().unwrap();
    assert!(ok.success());
    assert_eq!(npc(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn man_pages_for_npc_and_each_command() {
    let o = npc(&["man"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = stdout(&o);
    assert!(
        page.starts_with(".ie") || page.contains(".TH npc"),
        "{page}"
    );
    assert!(page.contains("NetworkPolicy"));
    let o = npc(&["man", "build"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = stdout(&o);
    assert!(page.contains(".TH npc-build"), "{page}");
    assert!(page.contains("out\\-dir"), "{page}");
    let o = npc(&["man", "frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("`frobnicate` is not an npc command"));
}

/// The JSON records of stderr.
fn json_records(o: &Output) -> Vec<serde_json::Value> {
    serde_json::from_slice::<Vec<serde_json::Value>>(&o.stderr)
        .unwrap_or_else(|e| panic!("not a JSON array ({e}): {}", stderr(o)))
}

#[test]
fn json_errors_for_io_and_usage_have_the_diagnostic_shape() {
    let diagnostic = &json_records(&npc(&[
        "build",
        "tests/cases/err/E002-unknown-alias.npl",
        "--error-format",
        "json",
    ]))[0];
    let mut keys: Vec<&String> = diagnostic.as_object().unwrap().keys().collect();
    keys.sort();
    for (what, args, kind) in [
        (
            "missing file",
            vec!["build", "no/such.npl", "--error-format", "json"],
            "io",
        ),
        (
            "unknown flag",
            vec!["build", "x.npl", "--frobnicate", "--error-format=json"],
            "usage",
        ),
        (
            "bad -o",
            vec!["build", "x.npl", "-o", "dir", "--error-format", "json"],
            "usage",
        ),
        (
            "bad inventory",
            vec![
                "check",
                "examples/shop.npl",
                "--inventory",
                "examples/shop.npl",
                "--error-format",
                "json",
            ],
            "config",
        ),
    ] {
        let o = npc(&args);
        assert_eq!(o.status.code(), Some(2), "{what}: {}", stderr(&o));
        let records = json_records(&o);
        assert_eq!(records.len(), 1, "{what}");
        let r = &records[0];
        let mut k: Vec<&String> = r.as_object().unwrap().keys().collect();
        k.sort();
        assert_eq!(k, keys, "{what}: one shape");
        assert_eq!(r["kind"], kind, "{what}");
        assert_eq!(r["code"], serde_json::Value::Null, "{what}");
        assert_eq!(r["severity"], "error", "{what}");
    }
    // A success still prints an (empty) array.
    let o = npc(&["build", "examples/shop.npl", "--error-format", "json"]);
    assert_eq!(json_records(&o).len(), 0);
}

/// Validates SARIF text against the official 2.1.0 schema with Python's
/// `jsonschema` from the test venv; `false` when the venv is skipped.
pub fn validate_sarif(text: &str) -> bool {
    let Some(bin) = crate::support::nca::venv_bin() else {
        return false;
    };
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("log.sarif");
    std::fs::write(&log, text).unwrap();
    let schema = crate::support::npc::root().join("tests/data/sarif/sarif-2.1.0-rtm.5.json");
    let o = Command::new(bin.join("python"))
        .args([
            "-c",
            "import json, sys, jsonschema\n\
             schema = json.load(open(sys.argv[1]))\n\
             log = json.load(open(sys.argv[2]))\n\
             jsonschema.Draft4Validator.check_schema(schema)\n\
             errors = list(jsonschema.Draft4Validator(schema).iter_errors(log))\n\
             for e in errors: print(list(e.absolute_path), e.message)\n\
             sys.exit(1 if errors else 0)",
        ])
        .arg(&schema)
        .arg(&log)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "SARIF does not validate:\n{}{}\n{text}",
        stdout(&o),
        stderr(&o)
    );
    true
}

#[test]
fn sarif_validates_against_the_schema() {
    let tmp = tempfile::tempdir().unwrap();
    // Errors with secondary locations, warnings, a file name that needs
    // encoding, and an error without a source position.
    let src = tmp.path().join("my policies.npl");
    std::fs::write(
        &src,
        "namespace web\nlet api = web/api:8080\nallow web/a -> api:9090\nallow web/b -> nope:1\n",
    )
    .unwrap();
    let o = command()
        .args(["build", "my policies.npl", "--error-format", "sarif"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let log: serde_json::Value = serde_json::from_slice(&o.stderr).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(results.len() >= 2, "{log}");
    assert_eq!(results[0]["ruleId"], "E014");
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "my%20policies.npl"
    );
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        3
    );
    // E014's help names an edit: removing the ports given again.
    let change = &results[0]["fixes"][0]["artifactChanges"][0];
    assert_eq!(change["artifactLocation"]["uri"], "my%20policies.npl");
    assert_eq!(change["replacements"][0]["insertedContent"]["text"], "");
    let checked = validate_sarif(&stdout_of_stderr(&o));
    let o = npc(&[
        "build",
        "tests/cases/err/W003-routing-label.npl",
        "--error-format",
        "sarif",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let log: serde_json::Value = serde_json::from_slice(&o.stderr).unwrap();
    assert_eq!(log["runs"][0]["results"][0]["level"], "warning");
    validate_sarif(&stdout_of_stderr(&o));
    let o = npc(&["build", "no/such.npl", "--error-format", "sarif"]);
    assert_eq!(o.status.code(), Some(2));
    let log: serde_json::Value = serde_json::from_slice(&o.stderr).unwrap();
    assert_eq!(log["runs"][0]["results"][0]["ruleId"], "io");
    validate_sarif(&stdout_of_stderr(&o));
    let o = npc(&["build", "examples/shop.npl", "--error-format", "sarif"]);
    validate_sarif(&stdout_of_stderr(&o));
    if !checked {
        eprintln!("NPC_SKIP_NCA=1: SARIF not validated against the schema");
    }
}

fn stdout_of_stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

#[test]
fn github_annotations() {
    let o = npc(&[
        "build",
        "tests/cases/err/E002-unknown-alias.npl",
        "--error-format",
        "github",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.starts_with("::error file=tests/cases/err/E002-unknown-alias.npl,line=3,col=7,"),
        "{err}"
    );
    assert!(err.contains("title=E002 unknown alias::"), "{err}");
    assert_eq!(err.lines().count(), 1, "one line per diagnostic: {err}");
    let o = npc(&[
        "build",
        "tests/cases/err/W003-routing-label.npl",
        "--error-format",
        "github",
    ]);
    assert!(stderr(&o).starts_with("::warning file="), "{}", stderr(&o));
    let o = npc(&["build", "no/such.npl", "--error-format", "github"]);
    assert!(
        stderr(&o).starts_with("::error file=no/such.npl,title=io "),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_directory_stands_for_its_npl_files_sorted() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("policies");
    std::fs::create_dir_all(dir.join("teams")).unwrap();
    std::fs::write(dir.join("base.npl"), "namespace web\nlet api = web/api\n").unwrap();
    std::fs::write(dir.join("teams/shop.npl"), "allow web/a -> api:80\n").unwrap();
    std::fs::write(dir.join("notes.txt"), "not npl").unwrap();
    let by_dir = in_dir(tmp.path(), &["build", "policies"]);
    assert_eq!(by_dir.status.code(), Some(0), "{}", stderr(&by_dir));
    let by_files = in_dir(
        tmp.path(),
        &["build", "policies/base.npl", "policies/teams/shop.npl"],
    );
    assert_eq!(stdout(&by_dir), stdout(&by_files));
    assert!(stdout(&by_dir).contains("policies/teams/shop.npl:1"));
    let o = in_dir(tmp.path(), &["check", "policies"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let o = in_dir(tmp.path(), &["build", "empty"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("holds no `.npl` file"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn colour_follows_the_flag_and_the_environment() {
    let ansi = |o: &Output| o.stderr.contains(&0x1b);
    let run = |env: &[(&str, &str)], extra: &[&str]| {
        let mut c = command();
        c.args(["build", "tests/cases/err/E002-unknown-alias.npl"])
            .args(extra);
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    };
    // Not a terminal: no colour, unless forced.
    assert!(!ansi(&run(&[], &[])));
    assert!(ansi(&run(&[("CLICOLOR_FORCE", "1")], &[])));
    assert!(!ansi(&run(
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")],
        &[]
    )));
    assert!(ansi(&run(&[], &["--color", "always"])));
    assert!(!ansi(&run(
        &[("CLICOLOR_FORCE", "1")],
        &["--color", "never"]
    )));
    // The text is the same with and without colour.
    let plain = stderr(&run(&[], &["--color", "never"]));
    let coloured = stderr(&run(&[], &["--color", "always"]));
    let stripped = strip_ansi(&coloured);
    assert_eq!(stripped, plain);
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn version_names_the_commit() {
    let o = npc(&["--version"]);
    assert_eq!(o.status.code(), Some(0));
    let version = stdout(&o);
    let line = version.trim_end();
    let expected = format!("npc {}", env!("CARGO_PKG_VERSION"));
    assert!(line.starts_with(&expected), "{line}");
    let commit = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(crate::support::npc::root())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    match commit {
        Some(commit) => assert_eq!(line, format!("{expected} ({commit})")),
        None => assert_eq!(line, expected),
    }
}

#[test]
fn fmt_check_shows_a_unified_diff() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("p.npl");
    std::fs::write(&path, "namespace web\nallow   web/a->web/b:{443,80}\n").unwrap();
    let o = in_dir(tmp.path(), &["fmt", "--check", "p.npl"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout(&o),
        "--- a/p.npl\n+++ b/p.npl\n@@ -1,2 +1,2 @@\n namespace web\n-allow   web/a->web/b:{443,80}\n+allow web/a -> web/b:{80, 443}\n"
    );
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "namespace web\nallow   web/a->web/b:{443,80}\n",
        "--check writes nothing"
    );
}

/// The edits a help names are in the JSON (`fixes`, with whether a tool
/// may apply them unasked) and in SARIF results (`fixes`, validated above
/// and here).
#[test]
fn json_and_sarif_carry_the_fixes_the_help_names() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("p.npl"),
        "namespace web\nallow web/a -> web/b:53/UDP\nallow web/a -> web/c:90-80\n",
    )
    .unwrap();
    let run = |format: &str| {
        command()
            .args(["build", "p.npl", "--error-format", format])
            .current_dir(tmp.path())
            .output()
            .unwrap()
    };
    let o = run("json");
    assert_eq!(o.status.code(), Some(1));
    let records: serde_json::Value = serde_json::from_slice(&o.stderr).unwrap();
    let fixes: Vec<(&str, &str, &str)> = records
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let fix = &r["fixes"][0];
            (
                r["code"].as_str().unwrap(),
                fix["applicability"].as_str().unwrap(),
                fix["edits"][0]["text"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(fixes, [("E009", "safe", "udp"), ("E007", "safe", "80-90")]);
    assert_eq!(
        records[0]["fixes"][0]["edits"][0]["location"],
        serde_json::json!({"file": "p.npl", "line": 2, "column": 25, "end_line": 2, "end_column": 28})
    );
    let o = run("sarif");
    let log: serde_json::Value = serde_json::from_slice(&o.stderr).unwrap();
    let replacement =
        &log["runs"][0]["results"][0]["fixes"][0]["artifactChanges"][0]["replacements"][0];
    assert_eq!(replacement["insertedContent"]["text"], "udp");
    assert_eq!(replacement["deletedRegion"]["startColumn"], 25);
    assert_eq!(replacement["deletedRegion"]["endColumn"], 28);
    validate_sarif(&stdout_of_stderr(&o));
}
