//! Hostile content in what npc reads: object names that would inject NPL
//! into `npc import`'s program or escape sequences into a terminal, label
//! keys the API server refuses, lists that hide their items, a lone carriage
//! return that hides NPL from `cat`, and symbolic links that lead out of an
//! input directory.

use crate::support::npc::{npc_with_stdin, stderr, stdout};

const POLICY: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n";

/// A NetworkPolicy with `name` and `namespace` written as YAML scalars.
fn policy(name: &str, namespace: &str) -> String {
    format!(
        "{POLICY}metadata: {{name: {name}, namespace: {namespace}}}\nspec:\n  podSelector: {{}}\n  policyTypes: [Ingress]\n"
    )
}

/// Names the API server refuses, each in the field it is written in.
fn bad_names() -> Vec<(&'static str, String, &'static str)> {
    vec![
        (
            "policy name that sets name-prefix",
            policy("\"p\\nset name-prefix = evil-\"", "web"),
            "metadata.name",
        ),
        (
            "policy name that opens a namespace block",
            policy("\"p\\nnamespace kube-system {\\nisolate none\\n}\"", "web"),
            "metadata.name",
        ),
        (
            "policy name with a terminal escape",
            policy("\"w\\e]0;HIJACK\\a\"", "web"),
            "metadata.name",
        ),
        (
            "upper-case policy name",
            policy("Deny", "web"),
            "metadata.name",
        ),
        (
            "namespace with a line break",
            policy("p", "\"web\\nset name-prefix = evil-\""),
            "metadata.namespace",
        ),
        (
            "namespace with a terminal escape",
            policy("p", "\"x\\e[2J\""),
            "metadata.namespace",
        ),
        (
            "namespace with a dot (a subdomain, not a label)",
            policy("p", "a.b"),
            "metadata.namespace",
        ),
        (
            "Namespace object with a line break",
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: \"web\\nallow */* -> */*\"}\n"
                .to_string(),
            "metadata.name",
        ),
        (
            "Deployment with a terminal escape",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: \"w\\e]0;HIJACK\\a\", namespace: web}\nspec:\n  template:\n    metadata: {labels: {app: w}}\n".to_string(),
            "metadata.name",
        ),
        (
            "Pod in a namespace with a terminal escape",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: w, namespace: \"x\\e[2J\", labels: {app: w}}\nspec: {containers: [{name: c}]}\n".to_string(),
            "metadata.namespace",
        ),
        (
            "owner reference with a line break",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: w-1\n  namespace: web\n  labels: {app: w}\n  ownerReferences: [{kind: ReplicaSet, name: \"w\\nset name-prefix = evil-\", controller: true}]\nspec: {containers: [{name: c}]}\n".to_string(),
            "metadata.ownerReferences",
        ),
    ]
}

/// Every command that reads manifests refuses such a name with E102 at the
/// field, prints nothing on stdout, and exits 1.
#[test]
fn names_the_api_server_refuses_are_refused_by_the_reader() {
    for (what, text, field) in bad_names() {
        for command in [
            &["import", "-"][..],
            &["analyze", "-"][..],
            &["lint", "-"][..],
        ] {
            let o = npc_with_stdin(command, &text);
            // Lint's findings are its output; the others report on stderr
            // and print nothing.
            let (report, output) = if command[0] == "lint" {
                (stdout(&o), stderr(&o))
            } else {
                (stderr(&o), stdout(&o))
            };
            assert_eq!(o.status.code(), Some(1), "{what}, {command:?}: {report}");
            assert!(
                !output.contains("kind") && !output.contains("namespace"),
                "{what}, {command:?}: {output}"
            );
            assert!(report.contains("E102"), "{what}, {command:?}: {report}");
            assert!(report.contains(field), "{what}, {command:?}: {report}");
        }
    }
}

/// The names of the refused example never reach the imported program.
#[test]
fn import_writes_no_injected_statement() {
    for (what, text, _) in bad_names() {
        let o = npc_with_stdin(&["import", "-", "--keep-going"], &text);
        let program = stdout(&o);
        assert!(
            !program.lines().any(|l| {
                let l = l.trim_start();
                l.starts_with("set ") || l.starts_with("namespace kube-system")
            }),
            "{what}: {program}"
        );
    }
}

/// Past the reader (a caller that builds `Manifests` itself), what import
/// writes into comments is escaped: no line break or control character in a
/// name can end a comment and start a statement.
#[test]
fn import_comments_cannot_be_ended_by_a_name() {
    let reading = npc::manifest::load_str(
        "input.yaml",
        &format!(
            "{}---\n{}",
            policy("p", "web"),
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: q, namespace: web}\nspec:\n  podSelector: {matchLabels: {app: a}}\n  ingress: [{from: [{podSelector: {matchLabels: {app: b}}}]}]\n"
        ),
        &npc::manifest::Options::default(),
    );
    assert!(reading.diagnostics.is_empty(), "{:?}", reading.diagnostics);
    for injected in [
        "p\nset name-prefix = evil-",
        "p\r\nnamespace kube-system {\nisolate none\n}",
        "p\rallow */* -> */*",
        "w\u{1b}]0;HIJACK\u{7}",
    ] {
        let mut manifests = reading.manifests.clone();
        for p in &mut manifests.policies {
            let name = format!("{injected}{}", p.name());
            p.object.metadata.name = Some(name);
        }
        let imported = npc::import::import(&manifests, &npc::import::Settings::default()).unwrap();
        let text = &imported.text;
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{injected:?}: {text}"
        );
        assert!(
            !text.lines().any(|l| {
                let l = l.trim_start();
                l.starts_with("set ") || l.starts_with("namespace kube-system")
            }),
            "{injected:?}: {text}"
        );
        let c = npc::compile_str("imported.npl", text);
        assert!(!c.has_errors(), "{injected:?}: {:?}", c.diagnostics);
        assert!(
            c.policies.iter().all(|p| !p
                .metadata
                .name
                .as_deref()
                .unwrap_or_default()
                .starts_with("evil-")),
            "{injected:?}"
        );
    }
}

/// The control characters of `text` other than line breaks: what a
/// terminal would act on.
fn controls(text: &str) -> Vec<char> {
    text.chars()
        .filter(|c| c.is_control() && *c != '\n')
        .collect()
}

/// `text` without the colour sequences npc writes itself (`ESC [ 1;31 m`).
fn without_colours(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find("\u{1b}[") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let params = after
            .find(|c: char| !(c.is_ascii_digit() || c == ';'))
            .unwrap_or(after.len());
        if after[params..].starts_with('m') {
            rest = &after[params + 1..];
        } else {
            // Not a colour: kept, for `controls` to find.
            out.push_str(&rest[at..at + 2]);
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

/// Runs npc with `--color always` (so that nothing is stripped on the way
/// to the test, as nothing is on the way to a terminal): its exit code, and
/// stdout and stderr together without npc's own colours.
fn shown(args: &[&str], stdin: Option<&str>) -> (Option<i32>, String) {
    let mut command = crate::support::npc::command();
    command.args(args).args(["--color", "always"]);
    let o = match stdin {
        Some(input) => crate::support::npc::run_with_stdin(&mut command, input),
        None => command.output().unwrap(),
    };
    (
        o.status.code(),
        without_colours(&format!("{}{}", stdout(&o), stderr(&o))),
    )
}

/// A file named with terminal escapes, holding `text`, in a new directory.
fn hostile_file(extension: &str, text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir
        .path()
        .join(format!("w\u{1b}]0;HIJACK\u{7}x\u{1b}[2J.{extension}"));
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

/// A diagnostic shows the escapes in the line it echoes, and in the file's
/// name, as visible text: never raw, never silently dropped.
#[test]
fn diagnostics_show_control_characters_escaped() {
    let text = "namespace Web # \u{1b}]0;HIJACK\u{7}\u{1b}[2J\n";
    let (dir, path) = hostile_file("npl", text);
    for target in [path.as_path(), dir.path()] {
        let (code, err) = shown(&["build", target.to_str().unwrap()], None);
        assert_eq!(code, Some(1), "{err}");
        assert!(controls(&err).is_empty(), "{target:?}: {err:?}");
        // The echoed line shows where the escapes are.
        assert!(err.contains("# ␛]0;HIJACK␇␛[2J"), "{target:?}: {err}");
        assert!(
            err.contains("w\\u{1b}]0;HIJACK\\u{7}x\\u{1b}[2J.npl"),
            "{target:?}: {err}"
        );
    }
}

/// `npc explain` names `.npl` files in its traces.
#[test]
fn explain_escapes_file_names() {
    let (_dir, path) = hostile_file("npl", "namespace web\nallow web/a -> web/b:80\n");
    let (code, out) = shown(
        &["explain", path.to_str().unwrap(), "web/a -> web/b:80"],
        None,
    );
    assert_eq!(code, Some(0), "{out}");
    assert!(controls(&out).is_empty(), "{out:?}");
    assert!(out.contains("\\u{1b}[2J.npl:2"), "{out}");
}

/// Errors outside a file's text (a path that cannot be read) and the
/// summary of what was read (kinds npc skips) escape what they echo.
#[test]
fn errors_and_summaries_escape_what_they_echo() {
    let (code, err) = shown(&["analyze", "nope\u{1b}]0;HIJACK\u{7}.yaml"], None);
    assert_eq!(code, Some(2), "{err}");
    assert!(controls(&err).is_empty(), "{err:?}");
    assert!(err.contains("nope\\u{1b}]0;HIJACK\\u{7}.yaml"), "{err}");
    for command in [
        &["analyze", "-"][..],
        &["import", "-"][..],
        &["lint", "-"][..],
    ] {
        let (code, all) = shown(
            command,
            Some("apiVersion: v1\nkind: \"Config\\e]0;HIJACK\\a\"\nmetadata: {name: x}\n"),
        );
        assert_eq!(code, Some(0), "{command:?}: {all}");
        assert!(controls(&all).is_empty(), "{command:?}: {all:?}");
        assert!(
            all.contains("Config\\u{1b}]0;HIJACK\\u{7}"),
            "{command:?}: {all}"
        );
    }
}

/// Lint's findings name the file, in every format.
#[test]
fn lint_escapes_file_names_in_every_format() {
    let positive = crate::support::npc::root().join("tests/data/lint/L003-positive.yaml");
    let (dir, _) = hostile_file("yaml", &std::fs::read_to_string(positive).unwrap());
    for format in ["human", "github", "json", "sarif"] {
        let (_, all) = shown(
            &["lint", dir.path().to_str().unwrap(), "--format", format],
            None,
        );
        assert!(all.contains("L003"), "{format}: {all}");
        assert!(controls(&all).is_empty(), "{format}: {all:?}");
    }
}

/// `npc diff` lists what it ignored, by kind.
#[test]
fn diff_escapes_the_kinds_it_ignores() {
    let dir = tempfile::tempdir().unwrap();
    let program = dir.path().join("p.npl");
    std::fs::write(&program, "namespace web\n").unwrap();
    let deployed = dir.path().join("deployed.yaml");
    std::fs::write(
        &deployed,
        "apiVersion: v1\nkind: \"Config\\e]0;HIJACK\\a\"\nmetadata: {name: x, namespace: web}\n",
    )
    .unwrap();
    let (_, all) = shown(
        &[
            "diff",
            program.to_str().unwrap(),
            "--against",
            deployed.to_str().unwrap(),
        ],
        None,
    );
    assert!(all.contains("Config"), "{all}");
    assert!(controls(&all).is_empty(), "{all:?}");
}

/// Every text format of `npc analyze` escapes names, whatever a caller of
/// the library put in the manifests (the reader lets no such name in).
#[test]
fn analyze_text_formats_escape_names() {
    let reading = npc::manifest::load_str(
        "input.yaml",
        &format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: w, namespace: x}}\nspec:\n  template:\n    metadata: {{labels: {{app: w}}}}\n---\n{POLICY}metadata: {{name: p, namespace: x}}\nspec:\n  podSelector: {{}}\n  policyTypes: [Egress]\n  egress: [{{to: [{{ipBlock: {{cidr: 10.0.0.0/8}}}}]}}]\n"
        ),
        &npc::manifest::Options::default(),
    );
    assert!(reading.diagnostics.is_empty(), "{:?}", reading.diagnostics);
    let mut manifests = reading.manifests;
    for w in &mut manifests.workloads {
        w.id.name = "w\u{1b}]0;HIJACK\u{7}".to_string();
        w.id.namespace = "x\u{1b}[2J".to_string();
    }
    let analysis = npc::analyze::analyze(
        &manifests,
        &npc::analyze::Options {
            focus: None,
            exposure: true,
            ..npc::analyze::Options::default()
        },
    );
    assert!(analysis.exposure.as_ref().is_some_and(|e| !e.is_empty()));
    for (format, text) in [
        ("txt", npc::analyze::text::txt(&analysis)),
        ("csv", npc::analyze::text::csv(&analysis)),
        ("md", npc::analyze::text::md(&analysis)),
    ] {
        assert!(text.contains("HIJACK"), "{format}: {text}");
        assert!(controls(&text).is_empty(), "{format}: {text:?}");
    }
}

/// Label keys and values the API server refuses, and `List`s whose items
/// are not a list: each an error at its field (E102, or E103 in a
/// NetworkPolicy's selectors), in every command that reads manifests,
/// never skipped and never left for a later stage to trip over.
#[test]
fn invalid_labels_and_lists_are_located_errors() {
    let deployment = |labels: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d, namespace: a}}\nspec:\n  template:\n    metadata: {{labels: {labels}}}\n"
        )
    };
    let selecting = |selector: &str| {
        format!(
            "{POLICY}metadata: {{name: p, namespace: a}}\nspec:\n  podSelector: {selector}\n  policyTypes: [Ingress]\n"
        )
    };
    let peer = |peer: &str| {
        format!(
            "{POLICY}metadata: {{name: p, namespace: a}}\nspec:\n  podSelector: {{}}\n  ingress: [{{from: [{peer}]}}]\n"
        )
    };
    let cases: Vec<(&str, String, &str, &str)> = vec![
        (
            "empty label key",
            deployment("{\"\": x}"),
            "E102",
            "spec.template.metadata.labels",
        ),
        (
            "label key with two slashes",
            deployment("{a/b/c: x}"),
            "E102",
            "spec.template.metadata.labels",
        ),
        (
            "label value with a space",
            deployment("{app: \"a b\"}"),
            "E102",
            "spec.template.metadata.labels",
        ),
        (
            "Namespace label key",
            "apiVersion: v1\nkind: Namespace\nmetadata: {name: a, labels: {\"-team\": x}}\n"
                .to_string(),
            "E102",
            "metadata.labels",
        ),
        (
            "Pod label value too long",
            format!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: p, namespace: a, labels: {{app: {}}}}}\nspec: {{containers: [{{name: c}}]}}\n",
                "x".repeat(64)
            ),
            "E102",
            "metadata.labels",
        ),
        (
            "empty key in a podSelector",
            selecting("{matchLabels: {\"\": x}}"),
            "E103",
            "spec.podSelector",
        ),
        (
            "key with two slashes in a podSelector",
            selecting("{matchLabels: {a/b/c: x}}"),
            "E103",
            "spec.podSelector",
        ),
        (
            "invalid value in a podSelector",
            selecting("{matchLabels: {app: \"x\\ny\"}}"),
            "E103",
            "spec.podSelector",
        ),
        (
            "empty key in an expression",
            selecting("{matchExpressions: [{key: \"\", operator: Exists}]}"),
            "E103",
            "spec.podSelector.matchExpressions[0]",
        ),
        (
            "missing key in an expression",
            selecting("{matchExpressions: [{operator: Exists}]}"),
            "E10",
            "spec.podSelector.matchExpressions[0]",
        ),
        (
            "invalid value in an expression",
            selecting("{matchExpressions: [{key: app, operator: In, values: [\"-a\"]}]}"),
            "E103",
            "spec.podSelector.matchExpressions[0]",
        ),
        (
            "invalid key in a namespaceSelector",
            peer("{namespaceSelector: {matchLabels: {a/b/c: x}}}"),
            "E103",
            "spec.ingress[0].from[0].namespaceSelector",
        ),
        (
            "List whose items are a mapping",
            "apiVersion: v1\nkind: List\nitems:\n  deny: {apiVersion: networking.k8s.io/v1, kind: NetworkPolicy, metadata: {name: deny, namespace: a}, spec: {podSelector: {}}}\n".to_string(),
            "E102",
            "items",
        ),
        (
            "typed list whose items are a scalar",
            "apiVersion: v1\nkind: PodList\nitems: 3\n".to_string(),
            "E102",
            "items",
        ),
    ];
    for (what, text, code, field) in cases {
        for command in [
            &["analyze", "-"][..],
            &["import", "-"][..],
            &["lint", "-"][..],
        ] {
            let o = npc_with_stdin(command, &text);
            let all = format!("{}{}", stdout(&o), stderr(&o));
            assert_eq!(o.status.code(), Some(1), "{what}, {command:?}: {all}");
            assert!(all.contains(code), "{what}, {command:?}: {all}");
            assert!(all.contains(field), "{what}, {command:?}: {all}");
            assert!(!all.contains("please report"), "{what}, {command:?}: {all}");
        }
    }
}

/// A lone carriage return hides the text before it from `cat`: the build
/// warns (W014) and points at it, shown as `␍`.
#[test]
fn a_lone_carriage_return_is_a_warning_that_shows_it() {
    let (code, all) = shown(
        &["build", "tests/cases/err/W014-lone-carriage-return.npl"],
        None,
    );
    assert_eq!(code, Some(0), "{all}");
    assert!(all.contains("W014"), "{all}");
    assert!(all.contains("allow */* -> web/db:5432␍# (removed"), "{all}");
    assert!(controls(&all).is_empty(), "{all:?}");
    // Line endings of either kind are no such thing.
    for text in [
        "namespace web\r\nallow web/a -> web/b\r\n",
        "namespace web\n",
    ] {
        let o = npc_with_stdin(&["build", "-"], text);
        assert!(o.status.success(), "{}", stderr(&o));
        assert!(!stderr(&o).contains("W014"), "{text:?}: {}", stderr(&o));
    }
    let o = npc_with_stdin(&["build", "-", "--deny-warnings"], "namespace web\r");
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
}

/// An input directory with a symbolic link to a secret outside it
/// (`in/leak.yaml -> ../outside/secret.yaml`, which is not even a
/// manifest: its line would be echoed by E101) and one to a file inside it
/// (`in/inner.yaml -> sub/real.txt`, read as before).
fn linked_directory() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    std::fs::create_dir_all(root.join("outside")).unwrap();
    std::fs::create_dir_all(root.join("in/sub")).unwrap();
    std::fs::write(root.join("outside/secret.yaml"), "password: hunter2: x\n").unwrap();
    std::fs::write(
        root.join("outside/secret.npl"),
        "namespace hunter2\nallow */* -> hunter2/*\n",
    )
    .unwrap();
    std::fs::write(
        root.join("in/sub/real.txt"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: inner, namespace: web}\nspec:\n  template:\n    metadata: {labels: {app: inner}}\n",
    )
    .unwrap();
    std::fs::write(root.join("in/main.npl"), "namespace web\n").unwrap();
    std::os::unix::fs::symlink("../outside/secret.yaml", root.join("in/leak.yaml")).unwrap();
    std::os::unix::fs::symlink("sub/real.txt", root.join("in/inner.yaml")).unwrap();
    std::os::unix::fs::symlink("../outside/secret.npl", root.join("in/leak.npl")).unwrap();
    // A link to a link that leads out, and a link to the directory above.
    std::os::unix::fs::symlink("../leak.yaml", root.join("in/sub/chain.yaml")).unwrap();
    std::os::unix::fs::symlink("..", root.join("in/up")).unwrap();
    tmp
}

/// Symbolic links in an input directory are followed only to files inside
/// it; a link that leads out is skipped, and said to be.
#[test]
fn symlinks_out_of_an_input_directory_are_not_followed() {
    let tmp = linked_directory();
    let dir = tmp.path().join("in");
    let dir = dir.to_str().unwrap();
    for command in [vec!["analyze", dir], vec!["lint", dir], vec!["import", dir]] {
        let o = crate::support::npc::command()
            .args(&command)
            .output()
            .unwrap();
        let all = format!("{}{}", stdout(&o), stderr(&o));
        assert_eq!(o.status.code(), Some(0), "{command:?}: {all}");
        assert!(!all.contains("hunter2"), "{command:?}: {all}");
        assert!(
            stderr(&o).contains("leak.yaml") && stderr(&o).contains("chain.yaml"),
            "{command:?}: the skipped links are not named: {}",
            stderr(&o)
        );
        if command[0] == "analyze" {
            assert!(all.contains("web/inner[Deployment]"), "{all}");
        }
    }
    // NPL directories: the linked program is not compiled.
    for command in [vec!["build", dir], vec!["fmt", "--check", dir]] {
        let o = crate::support::npc::command()
            .args(&command)
            .output()
            .unwrap();
        let all = format!("{}{}", stdout(&o), stderr(&o));
        assert_eq!(o.status.code(), Some(0), "{command:?}: {all}");
        assert!(!all.contains("hunter2"), "{command:?}: {all}");
        assert!(stderr(&o).contains("leak.npl"), "{command:?}: {all}");
    }
    // Deployed objects for `npc diff --against` likewise.
    let program = tmp.path().join("in/main.npl");
    let o = crate::support::npc::command()
        .args(["diff", program.to_str().unwrap(), "--against", dir])
        .output()
        .unwrap();
    let all = format!("{}{}", stdout(&o), stderr(&o));
    assert!(!all.contains("hunter2"), "{all}");
    assert!(all.contains("leak.yaml"), "{all}");
}

/// An include that is a link out of the root's directory stays refused
/// (E016): the link is resolved before the check.
#[test]
fn an_include_through_a_link_stays_inside_the_root() {
    let tmp = linked_directory();
    let main = tmp.path().join("in/main.npl");
    std::fs::write(&main, "namespace web\ninclude \"leak.npl\"\n").unwrap();
    let o = crate::support::npc::npc(&["build", main.to_str().unwrap()]);
    let all = format!("{}{}", stdout(&o), stderr(&o));
    assert_eq!(o.status.code(), Some(1), "{all}");
    assert!(all.contains("E016"), "{all}");
    assert!(!all.contains("hunter2/"), "{all}");
}
