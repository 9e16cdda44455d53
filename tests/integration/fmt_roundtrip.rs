//! `npc fmt` keeps meaning and is idempotent: over the corpus (every `.npl`
//! under `examples/` and `tests/cases/`) and over generated programs.

use std::path::{Path, PathBuf};

use npc::source::{FileId, Spanned};
use npc::syntax::ast::*;
use proptest::prelude::*;

// ------------------------------------------------------------ the invariants

/// The AST with everything fmt is allowed to change put in a canonical
/// form: label set entries sorted (with `in`/`notin` values sorted and
/// deduplicated) and port sets sorted and deduplicated.
fn canonical_ast(text: &str) -> File {
    let (mut ast, diags) = npc::syntax::parse(FileId(0), text);
    assert!(!diags.has_errors(), "does not parse: {diags:?}\n{text}");
    ast.statements.iter_mut().for_each(canon_statement);
    ast
}

fn canon_statement(s: &mut Spanned<Statement>) {
    match &mut s.node {
        Statement::Namespace(ns) => {
            if let Some(labels) = &mut ns.labels {
                canon_label_set(&mut labels.node);
            }
            ns.body.iter_mut().flatten().for_each(canon_statement);
        }
        Statement::Let(l) => l.targets.iter_mut().for_each(canon_target),
        Statement::Allow(a) => {
            a.sources.iter_mut().for_each(canon_target);
            a.destinations.iter_mut().for_each(canon_target);
        }
        Statement::Expect(e) => {
            canon_target(&mut e.source);
            canon_target(&mut e.destination);
        }
        Statement::Dns(Dns::Servers(servers)) => servers.iter_mut().for_each(canon_target),
        Statement::Scrape(sc) => {
            canon_target(&mut sc.source);
            if let PodPart::Labels(set) = &mut sc.pods.node {
                canon_label_set(set);
            }
            if let Some(ports) = &mut sc.ports {
                canon_port_set(ports);
            }
        }
        _ => {}
    }
}

fn canon_target(t: &mut Spanned<Target>) {
    match &mut t.node.endpoint.node {
        Endpoint::Pods { namespace, pods } => {
            if let NamespacePart::Labels(set) = &mut namespace.node {
                canon_label_set(set);
            }
            if let PodPart::Labels(set) = &mut pods.node {
                canon_label_set(set);
            }
        }
        Endpoint::LocalPods(set) => canon_label_set(set),
        _ => {}
    }
    if let Some(ports) = &mut t.node.ports {
        canon_port_set(ports);
    }
}

fn canon_label_set(set: &mut LabelSet) {
    for entry in &mut set.entries {
        if let LabelOp::In(values) | LabelOp::NotIn(values) = &mut entry.node.op {
            values.sort_by(|a, b| a.node.cmp(&b.node));
            values.dedup();
        }
    }
    set.entries.sort_by_key(|e| {
        let (rank, values) = match &e.op {
            LabelOp::Eq(v) => (0, vec![v.node.clone()]),
            LabelOp::NotEq(v) => (1, vec![v.node.clone()]),
            LabelOp::In(vs) => (2, vs.iter().map(|v| v.node.clone()).collect()),
            LabelOp::NotIn(vs) => (3, vs.iter().map(|v| v.node.clone()).collect()),
            LabelOp::Exists => (4, vec![]),
            LabelOp::NotExists => (5, vec![]),
        };
        (e.key.node.clone(), rank, values)
    });
}

fn canon_port_set(ports: &mut Spanned<Vec<Spanned<Port>>>) {
    let key = |p: &Spanned<Port>| {
        let value = match &p.value {
            PortValue::Number(n) => (0, vec![n.node.clone()]),
            PortValue::Range(range) => (1, vec![range.0.node.clone(), range.1.node.clone()]),
            PortValue::Named(n) => (2, vec![n.node.clone()]),
        };
        (value, p.protocol.as_ref().map(|s| s.node.clone()))
    };
    ports.node.sort_by_key(key);
    ports.node.dedup();
}

/// What a program compiles to, without the source-line annotation (fmt
/// moves lines): the policies, or the set of diagnostic codes (fmt drops
/// duplicate set members, so a duplicated bad value is reported once).
fn compiled(text: &str) -> Result<String, std::collections::BTreeSet<&'static str>> {
    let c = npc::compile_str("fmt.npl", text);
    if c.has_errors() {
        return Err(c.diagnostics.iter().map(|d| d.code.id).collect());
    }
    let mut policies = c.policies.clone();
    for p in &mut policies {
        p.metadata.annotations = None;
    }
    Ok(npc::emit::output::to_yaml(&policies).unwrap())
}

/// Formats `text` and checks idempotence, meaning and compiled output;
/// returns the output.
fn check(text: &str) -> String {
    let once = npc::format::format(text).unwrap_or_else(|d| panic!("fmt failed: {d:?}\n{text}"));
    let twice = npc::format::format(&once)
        .unwrap_or_else(|d| panic!("output does not parse: {d:?}\n{once}"));
    assert_eq!(once, twice, "not idempotent; input:\n{text}");
    assert_eq!(
        canonical_ast(&once),
        canonical_ast(text),
        "meaning changed; input:\n{text}\noutput:\n{once}"
    );
    assert_eq!(
        compiled(&once),
        compiled(text),
        "compiled output changed; input:\n{text}\noutput:\n{once}"
    );
    assert!(once.is_empty() || (once.ends_with('\n') && !once.ends_with("\n\n")));
    assert!(
        once.lines().all(|l| l == l.trim_end()),
        "trailing whitespace"
    );
    once
}

// ------------------------------------------------------------ the corpus

fn npl_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            npl_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "npl") {
            out.push(path);
        }
    }
}

#[test]
fn corpus_formats_idempotently_and_keeps_meaning() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    npl_files(&root.join("examples"), &mut files);
    npl_files(&root.join("tests/cases"), &mut files);
    assert!(!files.is_empty(), "no .npl files found");
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let (_, diags) = npc::syntax::parse(FileId(0), &text);
        if diags.has_errors() {
            // A syntax-error case: fmt must refuse it, not rewrite it.
            assert!(npc::format::format(&text).is_err(), "{}", file.display());
            continue;
        }
        check(&text);
    }
}

// ------------------------------------------------------------ generated programs

fn pick(items: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::sample::select(items).prop_map(str::to_string)
}

fn space() -> impl Strategy<Value = String> {
    pick(&["", " ", "  ", "\t"])
}

fn label_key() -> impl Strategy<Value = String> {
    pick(&[
        "app",
        "tier",
        "team",
        "app.kubernetes.io/name",
        "k8s-app",
        "pci",
    ])
}

fn label_value() -> impl Strategy<Value = String> {
    prop_oneof![
        pick(&["web", "backend", "true", "v1.2", "ops", "in", "none"]),
        pick(&["\"\"", "\"x y\"", "\"a\\\"b\"", "\"web\"", "\"c\\\\d\""]),
    ]
}

fn value_list() -> impl Strategy<Value = String> {
    (prop::collection::vec(label_value(), 1..4), space())
        .prop_map(|(vs, sp)| format!("({})", vs.join(&format!(",{sp}"))))
}

fn label_entry() -> impl Strategy<Value = String> {
    prop_oneof![
        (label_key(), space(), label_value()).prop_map(|(k, s, v)| format!("{k}{s}={s}{v}")),
        (label_key(), label_value()).prop_map(|(k, v)| format!("{k}!={v}")),
        (label_key(), value_list()).prop_map(|(k, l)| format!("{k} in {l}")),
        (label_key(), value_list()).prop_map(|(k, l)| format!("{k} notin {l}")),
        label_key(),
        label_key().prop_map(|k| format!("!{k}")),
    ]
}

/// A label set, sometimes over several lines, sometimes with a comment
/// inside (which makes fmt keep its statement as written).
fn label_set() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(label_entry(), 0..4),
        pick(&[", ", ",", ",\n  ", ", # inside\n  "]),
        any::<bool>(),
    )
        .prop_map(|(entries, sep, trailing_comma)| {
            let comma = if trailing_comma && !entries.is_empty() {
                ","
            } else {
                ""
            };
            format!("{{{}{comma}}}", entries.join(&sep))
        })
}

fn port() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        (1u32..65536).prop_map(|n| n.to_string()),
        (1u32..1000, 0u32..1000).prop_map(|(a, b)| format!("{a}-{}", a + b)),
        pick(&["http", "metrics", "dns-tcp", "443", "80", "53"]),
    ];
    let protocol = prop_oneof![
        Just(String::new()),
        pick(&["/tcp", "/udp", "/sctp", "/any", "/UDP"]),
    ];
    (value, protocol).prop_map(|(v, p)| format!("{v}{p}"))
}

fn ports() -> impl Strategy<Value = String> {
    prop_oneof![
        port().prop_map(|p| format!(":{p}")),
        (prop::collection::vec(port(), 1..5), space(), any::<bool>()).prop_map(
            |(ps, sp, multiline)| {
                let sep = if multiline {
                    ",\n    ".to_string()
                } else {
                    format!(",{sp}")
                };
                format!(":{{{sp}{}{sp}}}", ps.join(&sep))
            }
        ),
    ]
}

fn pod_part() -> impl Strategy<Value = String> {
    prop_oneof![pick(&["*", "api", "frontend", "in", "none"]), label_set()]
}

fn endpoint() -> impl Strategy<Value = String> {
    prop_oneof![
        (pick(&["web", "payments", "kube-system", "*"]), pod_part())
            .prop_map(|(ns, pods)| format!("{ns}/{pods}")),
        (label_set(), pod_part()).prop_map(|(ns, pods)| format!("{ns}/{pods}")),
        pick(&["cluster", "world", "api", "db", "x_1"]),
        pick(&["10.0.0.0/8", "192.0.2.7", "[2001:db8::/32]", "[::1]"]),
        pick(&[
            "10.0.0.0/8 except 10.1.0.0/16",
            "10.0.0.0/8 except (10.1.0.0/16)",
            "10.0.0.0/8 except (10.2.0.0/16, 10.1.0.0/16)",
        ]),
    ]
}

fn target() -> impl Strategy<Value = String> {
    (endpoint(), prop::option::of(ports()))
        .prop_map(|(e, p)| format!("{e}{}", p.unwrap_or_default()))
}

fn targets() -> impl Strategy<Value = String> {
    (prop::collection::vec(target(), 1..3), space()).prop_map(|(ts, sp)| ts.join(&format!(",{sp}")))
}

fn arrow() -> impl Strategy<Value = String> {
    pick(&[" -> ", "  ->  ", " ->\t"])
}

/// Statements allowed anywhere.
fn common_statement() -> impl Strategy<Value = String> {
    prop_oneof![
        (pick(&["db", "api", "ops_tools"]), space(), targets())
            .prop_map(|(n, s, t)| format!("let {n}{s}={s}{t}")),
        (targets(), arrow(), targets()).prop_map(|(s, a, d)| format!("allow {s}{a}{d}")),
        (
            pick(&["allow", "deny", "deny "]),
            target(),
            arrow(),
            target()
        )
            .prop_map(|(v, s, a, d)| format!("expect {v} {s}{a}{d}")),
    ]
}

fn block_statement() -> impl Strategy<Value = String> {
    prop_oneof![
        pick(&[
            "isolate ingress",
            "isolate egress",
            "isolate ingress, egress",
            "isolate egress,ingress",
            "isolate none",
            "no dns",
            "no scrape",
        ]),
        common_statement(),
    ]
}

fn top_statement() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => common_statement(),
        2 => namespace(),
        1 => (target(), arrow(), prop_oneof![Just("*".to_string()), label_set()], prop::option::of(ports()))
            .prop_map(|(s, a, p, ports)| format!("scrape {s}{a}{p}{}", ports.unwrap_or_default())),
        1 => prop_oneof![Just("dns none".to_string()), targets().prop_map(|t| format!("dns {t}"))],
        1 => pick(&[
            "set workload-label = app.kubernetes.io/name",
            "set workload-label = \"app.kubernetes.io/name\"",
            "set name-prefix = \"\"",
            "set name-prefix=np-",
            "include \"lib/common.npl\"",
            "include \"we#ird \\\"name\\\".npl\"",
            "deny web/a -> web/b",
        ]),
    ]
}

fn namespace() -> impl Strategy<Value = String> {
    let one_line = prop::collection::vec(block_statement(), 0..3).prop_map(|stmts| {
        let joined = stmts.join("; ");
        if joined.contains(['\n', '#']) {
            format!(" {{\n{}\n}}", stmts.join("\n"))
        } else {
            format!(" {{ {joined} }}")
        }
    });
    let multi_line = statement_list(block_statement(), 0..4).prop_map(|b| format!(" {{\n{b}\n}}"));
    (
        pick(&["web", "payments", "monitoring"]),
        prop::option::of(label_set()),
        prop::option::of(prop_oneof![one_line, multi_line]),
    )
        .prop_map(|(name, labels, body)| {
            let labels = labels.map(|l| format!(" labels {l}")).unwrap_or_default();
            format!("namespace {name}{labels}{}", body.unwrap_or_default())
        })
}

/// Statements joined by newlines, `;` and blank lines, with comments on
/// their own lines and after statements, and random indentation.
fn statement_list(
    statement: impl Strategy<Value = String>,
    count: std::ops::Range<usize>,
) -> impl Strategy<Value = String> {
    let item = (
        statement,
        pick(&["", "  ", "\t", "    "]),
        prop_oneof![
            Just(String::new()),
            pick(&["  # trailing", " #tight", "\t# tab #hash"])
        ],
        pick(&[
            "\n",
            "\n",
            "\n\n",
            "\n\n\n",
            "; ",
            ";",
            "\n# own line\n",
            "\n\n# after blank\n",
        ]),
    );
    prop::collection::vec(item, count).prop_map(|items| {
        let mut text = String::new();
        for (stmt, indent, comment, sep) in items {
            text.push_str(&indent);
            text.push_str(&stmt);
            if sep.starts_with(';') {
                text.push_str(&sep);
            } else {
                text.push_str(&comment);
                text.push_str(&sep);
            }
        }
        text
    })
}

fn program() -> impl Strategy<Value = String> {
    (
        pick(&["", "\n\n", "# header\n\n", "  \n"]),
        statement_list(top_statement(), 0..8),
        pick(&["", "\n", "\n\n\n", "   ", "# footer", "\n# footer\n"]),
    )
        .prop_map(|(head, body, tail)| format!("{head}{body}{tail}"))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 400,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn generated_programs_format_idempotently_and_keep_meaning(text in program()) {
        check(&text);
    }
}
