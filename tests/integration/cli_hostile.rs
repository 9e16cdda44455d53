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
