//! One function per input surface of npc, each calling the library's public
//! entry point for that surface the way the command line does, and checking
//! what must hold for any input. The fuzz targets (`fuzz_targets/`) and the
//! corpus replay in the test suite (`tests/integration/fuzz_corpus.rs`) both
//! call these, so every saved input keeps exercising the same code.
//!
//! Inputs arrive as bytes; npc reads only UTF-8 text, so bytes that are not
//! are read lossily rather than thrown away.

use std::path::Path;

/// Where the ResourceList surface resolves `spec.sources`: a directory that
/// does not exist, so nothing is read from (or written to) the machine.
const NO_ROOT: &str = "/nonexistent/npc-fuzz-root";

fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}

/// NPL text: compile (every stage) and format.
pub fn npl(data: &[u8]) {
    let text = text(data);
    let c = npc::compile_str("fuzz.npl", &text);
    // No output on error.
    assert!(!c.has_errors() || c.policies.is_empty());
    // Every diagnostic points into a file that exists.
    for d in &c.diagnostics {
        assert!(c.sources.get(d.span.file).is_some());
    }
    // Rendered for people, nothing in the input reaches the terminal raw.
    assert_printable(&npc::render::human(&c.diagnostics, &c.sources, false));
    if let Ok(formatted) = npc::format::format(&text) {
        // Formatting is idempotent.
        assert_eq!(
            npc::format::format(&formatted).ok().as_deref(),
            Some(formatted.as_str())
        );
    }
}

/// A kustomization: read as kustomize reads it, then checked for traps.
pub fn kustomization(data: &[u8]) {
    let text = text(data);
    let Ok(value) = npc::kustomize::traps::parse_kustomization(&text, "kustomization.yaml") else {
        return;
    };
    let policies = npc::compile_str("p.npl", "namespace web\nallow web/a -> web/b:80\n").policies;
    for form in [
        npc::kustomize::config::SelectorForm::MatchLabels,
        npc::kustomize::config::SelectorForm::MatchExpressions,
    ] {
        let _ = npc::kustomize::traps::check(&value, "kustomization.yaml", &policies, form);
    }
}

/// A `NetworkPolicyGenerator` configuration file.
pub fn generator_config(data: &[u8]) {
    let _ = npc::kustomize::config::GeneratorConfig::from_yaml(&text(data), "generator.yaml");
}

/// A KRM ResourceList on standard input of `npc kustomize fn`.
pub fn resource_list(data: &[u8]) {
    let outcome = npc::kustomize::krm::run(&text(data), Path::new(NO_ROOT), false);
    // Whatever it prints is YAML that reads back.
    if let Some(output) = outcome.output {
        assert!(
            npc::k8s::yaml::parse_documents(&output).is_ok(),
            "unreadable output:\n{output}"
        );
    }
}

/// Deployed policies for `npc diff --against`: loaded, normalized and compared.
pub fn against(data: &[u8]) {
    let Ok(deployed) = npc::diff::load_str("against.yaml", &text(data)) else {
        return;
    };
    let ours = npc::compile_str("p.npl", "namespace web\nallow web/a -> web/b:80\n").policies;
    let _ = npc::diff::compare(&ours, &deployed, &npc::diff::DiffOptions::default());
}

/// A cluster inventory for `--inventory`.
pub fn inventory(data: &[u8]) {
    let _ = npc::verify::inventory::parse("inventory.yaml", &text(data));
}

/// Manifests as `npc analyze`, `lint` and `import` read them: every name
/// and label that gets through is one the API server accepts, and what is
/// printed for people (diagnostics, the summary, the analysis) carries no
/// control character but line feeds.
pub fn manifests(data: &[u8]) {
    use npc::k8s::names;
    let reading = npc::manifest::load_str(
        "manifests.yaml",
        &text(data),
        &npc::manifest::Options::default(),
    );
    let m = &reading.manifests;
    assert_printable(&npc::render::human(&reading.diagnostics, &m.sources, false));
    assert_printable(&m.summary());
    let labels_ok = |labels: &std::collections::BTreeMap<String, String>| {
        labels
            .iter()
            .all(|(k, v)| names::label_key(k).is_ok() && names::label_value(v).is_ok())
    };
    for ns in &m.namespaces {
        assert!(names::dns1123_label(&ns.name).is_ok(), "{:?}", ns.name);
        assert!(labels_ok(&ns.labels), "{:?}", ns.labels);
    }
    for w in &m.workloads {
        assert!(names::dns1123_label(&w.id.namespace).is_ok(), "{:?}", w.id);
        assert!(names::dns1123_subdomain(&w.id.name).is_ok(), "{:?}", w.id);
        assert!(w.shapes.iter().all(|s| labels_ok(&s.shape.labels)));
    }
    for p in &m.policies {
        assert!(names::dns1123_label(p.namespace()).is_ok(), "{}", p.key());
        assert!(names::policy_name(p.name()).is_ok(), "{}", p.key());
    }
    if reading.has_errors() {
        return;
    }
    if npc::eval::PolicySet::new(m.policy_objects()).is_err() {
        panic!("a policy the reader accepted is refused by the evaluator");
    }
    // Bounded: the analysis is quadratic in the workloads.
    if m.workloads.len() <= 50 {
        let options = npc::analyze::Options {
            focus: None,
            exposure: true,
            families: npc::analyze::IpFamily::Dual,
            ..npc::analyze::Options::default()
        };
        let analysis = npc::analyze::analyze(m, &options);
        assert_printable(&npc::analyze::text::txt(&analysis));
        assert_printable(&npc::analyze::text::md(&analysis));
    }
}

/// Text for people: no control character but line feeds.
fn assert_printable(text: &str) {
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "a control character reaches the terminal: {text:?}"
    );
}

/// The most messages one input is read as (each read consumes input, so
/// this only bounds the work of an input of many tiny frames).
const MAX_LSP_MESSAGES: usize = 10_000;

/// What the language server reads from its client: framed JSON-RPC
/// messages. Reading never stops before the end of the input but on an
/// I/O error (the input ending inside a message); a message read writes
/// and reads back the same; a refused one is answered with a short error
/// response that is itself a readable message, not a parse error.
pub fn lsp_framing(data: &[u8]) {
    use npc::lsp::{Incoming, Reader};
    let mut reader = Reader::new(std::io::Cursor::new(data));
    for _ in 0..MAX_LSP_MESSAGES {
        match reader.read() {
            Ok(None) | Err(_) => return,
            Ok(Some(Incoming::Message(message))) => {
                let mut written = Vec::new();
                message.write(&mut written).expect("a message writes");
                let mut again = Reader::new(std::io::Cursor::new(written.clone()));
                match again.read() {
                    Ok(Some(Incoming::Message(read))) => {
                        let mut rewritten = Vec::new();
                        read.write(&mut rewritten).expect("a message writes");
                        assert_eq!(rewritten, written, "a message reads back the same");
                    }
                    other => panic!("a written message does not read back: {other:?}"),
                }
            }
            Ok(Some(Incoming::Refused(refusal))) => {
                let reply = refusal.reply();
                // Short: no part of the message is repeated.
                assert!(reply.len() < 400, "{reply}");
                let framed = format!("Content-Length: {}\r\n\r\n{reply}", reply.len());
                match Reader::new(std::io::Cursor::new(framed.into_bytes())).read() {
                    // A response without an id is no `lsp_server` message,
                    // but it is JSON.
                    Ok(Some(Incoming::Refused(r))) => {
                        assert_ne!(r.code as i32, -32700, "the reply is not JSON: {reply}")
                    }
                    Ok(Some(Incoming::Message(_))) => {}
                    other => panic!("the reply does not read back: {other:?}"),
                }
            }
        }
    }
}

/// Existing manifests for `npc analyze`: read, analyzed, and drawn in
/// every format. Every edge of a drawing names rules, lines and trace lines
/// that exist; the page's model cannot end its `<script>` element.
pub fn analyze(data: &[u8]) {
    let text = text(data);
    let reading = npc::manifest::load_str("fuzz.yaml", &text, &npc::manifest::Options::default());
    if reading.has_errors() {
        return;
    }
    let manifests = &reading.manifests;
    let analysis = npc::analyze::analyze(manifests, &npc::analyze::Options::default());
    let _ = npc::analyze::text::txt(&analysis);
    let _ = npc::analyze::text::csv(&analysis);
    let _ = npc::analyze::text::md(&analysis);
    let _ = npc::analyze::text::json(&analysis);
    let Ok(g) = npc::graph::manifests::from_analysis(&analysis, manifests, "fuzz.yaml") else {
        return;
    };
    for e in &g.edges {
        let set = g.rule_sets.get(e.rule_set).expect("an edge's rules exist");
        assert!(set.rules.iter().all(|r| g.rules.get(*r).is_some()));
        assert!(e.trace.iter().all(|t| g.traces.get(*t).is_some()));
        assert!(g.node(&e.source).is_some() && g.node(&e.target).is_some());
    }
    let _ = npc::graph::dot::render(&g);
    let _ = npc::graph::mermaid::render(&g);
    let page = npc::graph::html::render(&g);
    assert_eq!(
        page.matches("</script").count(),
        2,
        "a script element ends early"
    );
}

/// One input surface: bytes in, panics on a broken invariant.
pub type Surface = fn(&[u8]);

/// Every surface by name, for the corpus replay.
pub const SURFACES: &[(&str, Surface)] = &[
    ("npl", npl),
    ("kustomization", kustomization),
    ("generator_config", generator_config),
    ("resource_list", resource_list),
    ("against", against),
    ("inventory", inventory),
    ("manifests", manifests),
    ("lsp_framing", lsp_framing),
    ("analyze", analyze),
];
