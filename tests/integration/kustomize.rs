//! npc as a kustomize exec generator plugin, rendered by a real
//! `kubectl kustomize --enable-alpha-plugins` with the plugin installed into a
//! temporary plugin home by `npc kustomize install`.
//!
//! Without kubectl these tests fail, unless `NPC_ALLOW_NO_KUBECTL=1` is set.
//! `NPC_BLESS=1 cargo test --test integration kustomize::` rewrites the golden renders in
//! `examples/kustomize/expected/` (review the diff before committing).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn npc() -> Command {
    crate::support::npc::command()
}

/// A plugin home with the generator installed, or `None` (after a loud
/// message) when kubectl is missing and that is allowed.
struct Kustomize {
    home: tempfile::TempDir,
}

impl Kustomize {
    fn new() -> Option<Kustomize> {
        let found = Command::new("kubectl")
            .args(["version", "--client"])
            .output()
            .is_ok_and(|o| o.status.success());
        if !found {
            let allowed = std::env::var("NPC_ALLOW_NO_KUBECTL").is_ok_and(|v| v == "1");
            // Written to stderr directly: libtest captures `eprintln!` of passing tests.
            let _ = std::io::Write::write_all(
                &mut std::io::stderr(),
                b"\n!!! kubectl not found: the kustomize plugin tests did NOT run;\n\
                  !!! install kubectl (>= 1.27), or set NPC_ALLOW_NO_KUBECTL=1 to accept this\n",
            );
            assert!(
                allowed,
                "kubectl is required for this test (or set NPC_ALLOW_NO_KUBECTL=1)"
            );
            return None;
        }
        let home = tempfile::tempdir().unwrap();
        let out = npc()
            .args(["kustomize", "install", "--plugin-home"])
            .arg(home.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(Kustomize { home })
    }

    fn build(&self, dir: &Path) -> Output {
        Command::new("kubectl")
            .args(["kustomize", "--enable-alpha-plugins"])
            .arg(dir)
            .env("KUSTOMIZE_PLUGIN_HOME", self.home.path())
            .output()
            .unwrap()
    }

    /// Renders `dir`, asserting success and a non-empty result.
    fn render(&self, dir: &Path) -> String {
        let out = self.build(dir);
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(
            out.status.success(),
            "kubectl kustomize {} failed:\n{}",
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        // kubectl kustomize skips what it cannot run (KRM exec functions)
        // with exit 0 and no output: an empty render is a failure.
        assert!(
            stdout.contains("kind: NetworkPolicy"),
            "empty render of {}:\n{stdout}",
            dir.display()
        );
        stdout
    }
}

fn documents(text: &str) -> Vec<serde_yaml::Value> {
    serde_yaml::Deserializer::from_str(text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .collect()
}

fn check_golden(render: &str, golden: &Path) {
    if std::env::var_os("NPC_BLESS").is_some() {
        std::fs::write(golden, render).unwrap();
    }
    let expected = std::fs::read_to_string(golden).unwrap_or_default();
    assert_eq!(
        render,
        expected,
        "render differs from {}; run with NPC_BLESS=1 to update",
        golden.display()
    );
}

fn example(dir: &str) -> PathBuf {
    root().join("examples/kustomize").join(dir)
}

#[test]
fn base_renders_like_npc_build() {
    let Some(k) = Kustomize::new() else { return };
    let render = k.render(&example("base"));
    check_golden(&render, &example("expected/base.yaml"));
    let build = npc()
        .args(["build", "policies.npl"])
        .current_dir(example("base"))
        .output()
        .unwrap();
    assert!(build.status.success());
    let built = documents(std::str::from_utf8(&build.stdout).unwrap());
    assert!(!built.is_empty());
    assert_eq!(documents(&render), built);
}

#[test]
fn overlay_renders_its_golden_output() {
    let Some(k) = Kustomize::new() else { return };
    let render = k.render(&example("overlays/prod"));
    check_golden(&render, &example("expected/overlay-prod.yaml"));
    // The overlay touches metadata only: the specs are the base's.
    let base = documents(&k.render(&example("base")));
    let overlay = documents(&render);
    assert_eq!(base.len(), overlay.len());
    for (b, o) in base.iter().zip(&overlay) {
        assert_eq!(b["spec"], o["spec"]);
    }
}

#[test]
fn syntax_error_fails_the_render_with_the_diagnostic() {
    let Some(k) = Kustomize::new() else { return };
    let out = k.build(&root().join("tests/data/kustomize/syntax-error"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("E001"), "{stderr}");
    assert!(stderr.contains("policies.npl:2"), "{stderr}");
}

fn trap(name: &str) -> PathBuf {
    root().join("tests/data/kustomize/traps").join(name)
}

#[test]
fn kustomization_namespace_that_moves_policies_is_refused() {
    let Some(k) = Kustomize::new() else { return };
    let out = k.build(&trap("namespace"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("sets `namespace: prod`"), "{stderr}");
}

#[test]
fn common_labels_and_include_selectors_are_refused() {
    let Some(k) = Kustomize::new() else { return };
    for (dir, text) in [
        ("common-labels", "sets `commonLabels`"),
        ("include-selectors", "`includeSelectors: true`"),
    ] {
        let out = k.build(&trap(dir));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{dir}");
        assert!(stderr.contains(text), "{dir}: {stderr}");
        assert!(
            stderr.contains("selectorForm: matchExpressions"),
            "{stderr}"
        );
    }
}

#[test]
fn match_expressions_form_is_immune_to_common_labels() {
    let Some(k) = Kustomize::new() else { return };
    let render = k.render(&trap("match-expressions"));
    for doc in documents(&render) {
        // kustomize labelled the objects...
        assert_eq!(doc["metadata"]["labels"]["env"], "prod");
        // ...and left every selector alone.
        let spec = serde_yaml::to_string(&doc["spec"]).unwrap();
        assert!(!spec.contains("env"), "{spec}");
        assert!(!spec.contains("matchLabels"), "{spec}");
    }
}

#[test]
fn install_writes_an_executable_wrapper_for_this_binary() {
    let home = tempfile::tempdir().unwrap();
    let out = npc()
        .args(["kustomize", "install", "--plugin-home"])
        .arg(home.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let path = home
        .path()
        .join("npc.dev/v1alpha1/networkpolicygenerator/NetworkPolicyGenerator");
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        path.display().to_string()
    );
    let script = std::fs::read_to_string(&path).unwrap();
    let exe = std::fs::canonicalize(env!("CARGO_BIN_EXE_npc")).unwrap();
    assert!(script.contains(&format!("'{}' kustomize generate \"$@\"", exe.display())));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o111,
            0o111
        );
    }
}

/// Runs `npc kustomize generate` in `dir` on a config listing `source`.
fn generate_with_source(dir: &Path, source: &str) -> Output {
    let config = format!(
        "apiVersion: npc.dev/v1alpha1\nkind: NetworkPolicyGenerator\nmetadata: {{name: x}}\nspec:\n  sources: [{source:?}]\n"
    );
    let config_path = dir.join("generator.yaml");
    std::fs::write(&config_path, config).unwrap();
    npc()
        .args(["kustomize", "generate"])
        .arg(&config_path)
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn sources_outside_the_kustomization_directory_are_refused() {
    let outer = tempfile::tempdir().unwrap();
    let secret = outer.path().join("secret.npl");
    std::fs::write(&secret, "namespace web\n").unwrap();
    let dir = outer.path().join("kustomization");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("ok.npl"), "namespace web\n").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&secret, dir.join("link.npl")).unwrap();

    let ok = generate_with_source(&dir, "ok.npl");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("kind: NetworkPolicy"));

    let mut cases = vec![
        (secret.display().to_string(), "is an absolute path"),
        (
            "../secret.npl".to_string(),
            "is outside the kustomization directory",
        ),
        (
            "sub/../../secret.npl".to_string(),
            "is outside the kustomization directory",
        ),
    ];
    if cfg!(unix) {
        cases.push((
            "link.npl".to_string(),
            "outside the kustomization directory",
        ));
    }
    for (source, message) in cases {
        let out = generate_with_source(&dir, &source);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{source}: {stderr}");
        assert!(out.stdout.is_empty(), "{source}");
        assert!(stderr.contains(message), "{source}: {stderr}");
        assert!(stderr.contains("help:"), "{source}: {stderr}");
    }
}

#[test]
fn includes_cannot_escape_the_kustomization_directory() {
    let outer = tempfile::tempdir().unwrap();
    std::fs::write(outer.path().join("secret.npl"), "namespace db\n").unwrap();
    let dir = outer.path().join("kustomization");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("main.npl"), "include \"../secret.npl\"\n").unwrap();
    let out = generate_with_source(&dir, "main.npl");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("E016"), "{stderr}");
}
