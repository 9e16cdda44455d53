//! Inputs npc reads, assumed written by an attacker: only regular files and
//! standard input, bounded in size; YAML bounded in depth; inventories and
//! ResourceLists that are not what they claim are errors.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::npc::{command, run_with_stdin, run_with_timeout, stderr, stdout};

/// Runs with a watchdog: a hang fails the test instead of the suite.
fn bounded(cmd: &mut Command, what: &str) -> Output {
    run_with_timeout(cmd, 30).unwrap_or_else(|| panic!("{what}: npc hung"))
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().unwrap().success();
    assert!(ok, "mkfifo {}", path.display());
}

const GENERATOR: &str = "apiVersion: npc.dev/v1alpha1\nkind: NetworkPolicyGenerator\nmetadata: {name: x}\nspec:\n  sources: [p.npl]\n";

/// Every surface that reads a file, given a FIFO: refused at once, exit 2
/// for inputs (1 with a diagnostic for an include), naming the file.
#[cfg(unix)]
#[test]
fn fifos_are_refused_everywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    mkfifo(&dir.join("pipe"));
    write(&dir.join("main.npl"), "namespace web\ninclude \"pipe\"\n");
    write(&dir.join("p.npl"), "namespace web\n");
    write(
        &dir.join("gen.yaml"),
        &GENERATOR.replace("[p.npl]", "[pipe]"),
    );
    let cases: Vec<(&str, Vec<&str>, i32)> = vec![
        ("include", vec!["build", "main.npl"], 1),
        ("input", vec!["build", "pipe"], 2),
        ("check input", vec!["check", "pipe"], 2),
        ("fmt input", vec!["fmt", "pipe"], 2),
        (
            "inventory",
            vec!["check", "p.npl", "--inventory", "pipe"],
            2,
        ),
        ("against", vec!["diff", "p.npl", "--against", "pipe"], 2),
        (
            "generator source",
            vec!["kustomize", "generate", "gen.yaml"],
            2,
        ),
        ("generator config", vec!["kustomize", "generate", "pipe"], 2),
    ];
    for (what, args, code) in cases {
        let o = bounded(command().args(&args).current_dir(dir), what);
        assert_eq!(o.status.code(), Some(code), "{what}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("not a regular file"),
            "{what}: {}",
            stderr(&o)
        );
        assert!(stderr(&o).contains("pipe"), "{what}: {}", stderr(&o));
    }
}

#[cfg(unix)]
#[test]
fn devices_are_refused() {
    for args in [
        vec!["build", "/dev/urandom"],
        vec!["build", "/dev/zero"],
        vec!["check", "examples/shop.npl", "--inventory", "/dev/zero"],
        vec!["diff", "examples/shop.npl", "--against", "/dev/urandom"],
    ] {
        let o = bounded(command().args(&args), &args.join(" "));
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("not a regular file"),
            "{args:?}: {}",
            stderr(&o)
        );
    }
}

/// `npc build -` on an endless stream stops at the size limit.
#[test]
fn standard_input_is_bounded() {
    let mut child = command()
        .args(["build", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let chunk = "# padding padding padding padding padding padding\n".repeat(20_000);
        // Stops when npc closes its end.
        while std::io::Write::write_all(&mut stdin, chunk.as_bytes()).is_ok() {}
    });
    let o = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("larger than"), "{}", stderr(&o));
}

fn deep(n: usize) -> String {
    format!("{}{}", "[".repeat(n), "]".repeat(n))
}

/// 200 KB of `[[[[…` on every YAML surface fails fast with a message.
#[test]
fn deeply_nested_yaml_fails_fast_everywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let nested = deep(100_000);
    write(&dir.join("deep.yaml"), &nested);
    write(&dir.join("p.npl"), "namespace web\n");
    write(
        &dir.join("gen.yaml"),
        &format!("{GENERATOR}  extra: {nested}\n"),
    );
    let k = dir.join("k");
    std::fs::create_dir(&k).unwrap();
    write(&k.join("p.npl"), "namespace web\n");
    write(&k.join("gen.yaml"), GENERATOR);
    write(
        &k.join("kustomization.yaml"),
        &format!("generators: [gen.yaml]\nx: {nested}\n"),
    );
    let cases: Vec<(&str, Vec<&str>, &Path)> = vec![
        (
            "against",
            vec!["diff", "p.npl", "--against", "deep.yaml"],
            dir,
        ),
        (
            "inventory",
            vec!["check", "p.npl", "--inventory", "deep.yaml"],
            dir,
        ),
        (
            "semantic inventory",
            vec![
                "diff",
                "p.npl",
                "--against",
                "deep.yaml",
                "--semantic",
                "--inventory",
                "deep.yaml",
            ],
            dir,
        ),
        (
            "generator config",
            vec!["kustomize", "generate", "gen.yaml"],
            dir,
        ),
        (
            "kustomization",
            vec!["kustomize", "generate", "gen.yaml"],
            &k,
        ),
    ];
    for (what, args, cwd) in cases {
        let o = bounded(command().args(&args).current_dir(cwd), what);
        assert_eq!(o.status.code(), Some(2), "{what}: {}", stderr(&o));
        assert!(stderr(&o).contains("nesting"), "{what}: {}", stderr(&o));
    }
    for (what, input) in [
        ("ResourceList", nested.clone()),
        (
            "ResourceList item",
            format!(
                "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- {nested}\n"
            ),
        ),
    ] {
        let o = run_with_stdin(command().args(["kustomize", "fn"]).current_dir(dir), &input);
        assert_eq!(o.status.code(), Some(2), "{what}: {}", stderr(&o));
        assert!(stderr(&o).contains("nesting"), "{what}: {}", stderr(&o));
    }
    let o = run_with_stdin(
        command()
            .args(["diff", "p.npl", "--against", "-"])
            .current_dir(dir),
        &nested,
    );
    assert_eq!(o.status.code(), Some(2), "stdin: {}", stderr(&o));
    assert!(stderr(&o).contains("nesting"), "stdin: {}", stderr(&o));
}

/// Inventories that hold no namespace and no pod are errors, not "0 pods".
#[test]
fn empty_or_foreign_inventories_are_errors() {
    let tmp = tempfile::tempdir().unwrap();
    for (what, text) in [
        ("empty", ""),
        ("comment only", "# nothing\n"),
        ("null", "null\n"),
        ("ConfigMap", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"),
        (
            "List of Secrets",
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: s, namespace: web}\n",
        ),
        ("empty List", "apiVersion: v1\nkind: List\nitems: []\n"),
    ] {
        let path = tmp.path().join("inv.yaml");
        write(&path, text);
        let o = command()
            .args(["check", "examples/shop.npl", "--inventory"])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{what}: {}", stderr(&o));
        assert!(stdout(&o).is_empty(), "{what}: {}", stdout(&o));
        assert!(
            stderr(&o).contains("no namespaces and no pods"),
            "{what}: {}",
            stderr(&o)
        );
    }
}

#[test]
fn a_resource_list_whose_items_is_not_a_list_is_an_error() {
    for items in ["5", "{a: 1}", "hello"] {
        let input = format!(
            "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems: {items}\nfunctionConfig:\n  apiVersion: npc.dev/v1alpha1\n  kind: NetworkPolicyGenerator\n  metadata: {{name: x}}\n  spec: {{source: \"namespace web\\n\"}}\n"
        );
        let o = run_with_stdin(command().args(["kustomize", "fn"]), &input);
        assert_eq!(o.status.code(), Some(2), "items: {items}: {}", stderr(&o));
        assert!(stdout(&o).is_empty(), "items: {items}: {}", stdout(&o));
        assert!(stderr(&o).contains("`items`"), "{}", stderr(&o));
    }
}
