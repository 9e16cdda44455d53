//! Every lint code has a page, a positive case that reports it and a
//! negative case that does not; the output of both is snapshotted.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::npc::{npc, root, stderr, stdout};

fn cases() -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(root().join("tests/data/lint"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    out.sort();
    out
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root()).unwrap().display().to_string()
}

fn snapshot(name: &str, text: &str) {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.set_snapshot_path("../snapshots");
    settings.bind(|| insta::assert_snapshot!(name, text));
}

/// The JSON findings of `npc lint PATH`.
pub fn findings(path: &str, extra: &[&str]) -> Vec<Value> {
    let mut args = vec!["lint", path, "-o", "json"];
    args.extend(extra);
    let out = npc(&args);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        stderr(&out)
    );
    serde_json::from_slice::<Vec<Value>>(&out.stdout).unwrap()
}

/// `npc lint --help` lists every rule of the registry with its name, and
/// `npc --help` the range of their codes.
#[test]
fn help_lists_the_registered_rules() {
    let help = stdout(&npc(&["lint", "--help"]));
    for r in npc::lint::RULES {
        let line = help
            .lines()
            .find(|l| l.starts_with(&format!("  {}  ", r.code.id)))
            .unwrap_or_else(|| panic!("{} is not in:\n{help}", r.code.id));
        assert!(
            help.contains(&format!("[{}]", r.name)),
            "{} ({line}) has no name in:\n{help}",
            r.code.id
        );
    }
    let first = npc::lint::RULES[0].code.id;
    let last = npc::lint::RULES.last().unwrap().code.id;
    assert!(stdout(&npc(&["--help"])).contains(&format!("({first}-{last})")));
}

#[test]
fn every_lint_code_has_a_page_and_both_cases() {
    for code in npc::lint::codes() {
        let page = root().join("docs/errors").join(format!("{}.md", code.id));
        assert!(page.exists(), "{} has no page", code.id);
        for kind in ["positive", "negative"] {
            let case = root().join(format!("tests/data/lint/{}-{kind}.yaml", code.id));
            assert!(case.exists(), "{} has no {kind} case", code.id);
        }
    }
}

#[test]
fn positive_cases_report_their_code_and_negative_cases_do_not() {
    for case in cases() {
        let name = case.file_stem().unwrap().to_string_lossy().into_owned();
        let (code, kind) = name.split_once('-').unwrap();
        let found = findings(&relative(&case), &[]);
        let codes: Vec<&str> = found.iter().map(|d| d["code"].as_str().unwrap()).collect();
        match kind {
            "positive" => assert!(
                codes.contains(&code),
                "{name} does not report {code}: {codes:?}"
            ),
            "negative" => assert!(codes.is_empty(), "{name} reports {codes:?}"),
            other => panic!("unexpected case kind {other}"),
        }
        for d in &found {
            let message = d["message"].as_str().unwrap();
            let first = message.chars().next().unwrap();
            assert!(
                !first.is_uppercase(),
                "{name}: message starts upper-case: {message}"
            );
            assert!(
                !message.ends_with('.'),
                "{name}: message ends with a period: {message}"
            );
            assert!(d["help"].is_string(), "{name}: {} has no help", d["code"]);
            assert!(d["location"]["line"].as_u64().unwrap() > 0);
            assert!(d["location"]["file"].as_str().unwrap().ends_with(".yaml"));
        }
    }
}

#[test]
fn case_outputs_are_snapshotted() {
    for case in cases() {
        let name = case.file_stem().unwrap().to_string_lossy().into_owned();
        let human = npc(&["lint", &relative(&case), "--color", "never"]);
        snapshot(&format!("lint-{name}"), &stdout(&human));
        let json = npc(&["lint", &relative(&case), "-o", "json"]);
        snapshot(&format!("lint-{name}-json"), &stdout(&json));
    }
}

#[test]
fn the_corpus_is_linted_as_expected() {
    let dir = "tests/data/manifests";
    let codes = |path: &str| -> Vec<String> {
        findings(path, &[])
            .iter()
            .map(|d| d["code"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(codes(&format!("{dir}/recipes/deny-all.yaml")), ["L001"]);
    assert_eq!(codes(&format!("{dir}/recipes/and-vs-or.yaml")), ["L002"]);
    assert_eq!(codes(&format!("{dir}/kubectl-list.yaml")), ["L011"]);
    for clean in [
        "boutique",
        "recipes/allow-dns.yaml",
        "recipes/allow-from-namespace.yaml",
        "recipes/egress-external.yaml",
    ] {
        assert_eq!(
            codes(&format!("{dir}/{clean}")),
            Vec::<String>::new(),
            "{clean}"
        );
    }
}

#[test]
fn deny_allow_and_exit_codes() {
    let case = "tests/data/lint/L001-positive.yaml";
    let out = npc(&["lint", case]);
    assert_eq!(out.status.code(), Some(0), "warnings only");
    assert!(
        stderr(&out).contains("0 errors, 2 warnings"),
        "{}",
        stderr(&out)
    );
    let out = npc(&["lint", case, "--deny", "L001", "--color", "never"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("[L001] Error:"), "{}", stdout(&out));
    let out = npc(&["lint", case, "--allow", "l001"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).is_empty());
    // A rule's name stands for its code.
    let out = npc(&["lint", case, "--deny", "dns-trap", "--color", "never"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("[L001] Error:"), "{}", stdout(&out));
    let out = npc(&["lint", case, "--allow", "dns-trap"]);
    assert!(stdout(&out).is_empty());
    let out = npc(&["lint", case, "--deny-warnings"]);
    assert_eq!(out.status.code(), Some(1));
    let out = npc(&["lint", case, "--deny", "L999"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown lint code `L999`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn malformed_input_stops_lint_unless_keep_going() {
    let dir = tempfile::tempdir().unwrap();
    let case = std::fs::read_to_string(root().join("tests/data/lint/L001-positive.yaml")).unwrap();
    std::fs::write(dir.path().join("a.yaml"), case).unwrap();
    std::fs::write(
        dir.path().join("b.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata: {name: x, labels: {on: yes, n: 1}}\n",
    )
    .unwrap();
    let path = dir.path().to_str().unwrap();
    let found = findings(path, &[]);
    let codes: Vec<&str> = found.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["E102"]);
    let found = findings(path, &["--keep-going"]);
    let codes: Vec<&str> = found.iter().map(|d| d["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["L001", "L001", "E102"]);
    assert_eq!(found[2]["severity"], "warning");
}

#[test]
fn policies_alone_are_linted_through_representatives() {
    // No workload at all: L001 still finds the trap on the pods the
    // policy selects; selection checks (L003-L005) stay quiet.
    let text = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: web}\nspec:\n  podSelector: {matchLabels: {app: api}}\n  policyTypes: [Egress]\n";
    let out = crate::support::npc::npc_with_stdin(&["lint", "-", "-o", "json"], text);
    let found: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["code"], "L001");
    assert!(found[0]["notes"][0]
        .as_str()
        .unwrap()
        .contains("pods selected by `web/deny`"));
}

/// The first ```yaml block after `## Example` on the pages of the
/// manifest-reading codes reports the page's code, and every lint page
/// names its two cases.
#[test]
fn manifest_code_pages_show_what_they_say() {
    for code in [
        "E101", "E102", "E103", "E105", "E106", "W101", "W102", "W103", "W104",
    ] {
        let page = std::fs::read_to_string(root().join(format!("docs/errors/{code}.md"))).unwrap();
        let example = &page[page.find("## Example").unwrap()..];
        let block = example
            .split("```yaml\n")
            .nth(1)
            .unwrap()
            .split("```")
            .next()
            .unwrap();
        let loaded =
            npc::manifest::load_str("example.yaml", block, &npc::manifest::Options::default());
        let codes: Vec<&str> = loaded.diagnostics.iter().map(|d| d.code.id).collect();
        assert_eq!(codes, [code], "{code}: the example reports {codes:?}");
        let shown = example
            .split("```text\n")
            .nth(1)
            .unwrap()
            .lines()
            .next()
            .unwrap();
        assert!(
            shown.ends_with(&loaded.diagnostics[0].message),
            "{code}: the page shows `{shown}`, npc says `{}`",
            loaded.diagnostics[0].message
        );
    }
    for code in npc::lint::codes() {
        let page =
            std::fs::read_to_string(root().join(format!("docs/errors/{}.md", code.id))).unwrap();
        for case in [
            format!("{}-positive.yaml", code.id),
            format!("{}-negative.yaml", code.id),
        ] {
            let short = case.trim_start_matches(code.id).trim_start_matches('-');
            assert!(
                page.contains(&case) || page.contains(&format!("{}-{short}", code.id)),
                "{} does not name {case}",
                code.id
            );
        }
        assert!(
            page.contains("## Reported")
                && page.contains("## Not reported")
                && page.contains("## Fix"),
            "{}",
            code.id
        );
    }
}

/// SARIF of every positive case (findings with secondary locations, notes,
/// denied codes as errors) validates against the SARIF 2.1.0 schema, and
/// GitHub annotations name the file and line of each finding.
#[test]
fn sarif_and_github_annotations() {
    let mut validated = 0;
    for case in cases()
        .iter()
        .filter(|c| c.to_string_lossy().ends_with("-positive.yaml"))
    {
        let path = relative(case);
        let out = npc(&["lint", &path, "-o", "sarif", "--deny", "L001"]);
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "{}",
            stderr(&out)
        );
        let text = stdout(&out);
        let log: Value = serde_json::from_str(&text).unwrap();
        let results = log["runs"][0]["results"].as_array().unwrap();
        let found = findings(&path, &[]);
        assert_eq!(results.len(), found.len(), "{path}");
        for (r, f) in results.iter().zip(&found) {
            assert_eq!(r["ruleId"], f["code"], "{path}");
            let region = &r["locations"][0]["physicalLocation"]["region"];
            assert_eq!(region["startLine"], f["location"]["line"], "{path}");
        }
        if crate::cli_conventions::validate_sarif(&text) {
            validated += 1;
        }
        let github = stdout(&npc(&["lint", &path, "-o", "github"]));
        assert_eq!(
            github.lines().filter(|l| l.starts_with("::")).count(),
            found.len(),
            "{github}"
        );
        for f in &found {
            let at = format!(
                "file={},line={}",
                f["location"]["file"].as_str().unwrap(),
                f["location"]["line"]
            );
            assert!(github.contains(&at), "{github} lacks {at}");
        }
    }
    if crate::support::nca::venv_bin().is_some() {
        assert_eq!(validated, npc::lint::RULES.len());
    }
}

/// The cluster-policy lint pages (L012 on) show complete objects: the first
/// ```yaml block after `## Reported` is linted and reports the page's code
/// and nothing else.
#[test]
fn cluster_policy_lint_pages_report_their_code() {
    let mut checked = 0;
    for code in npc::lint::codes().filter(|c| c.id >= "L012") {
        let page =
            std::fs::read_to_string(root().join(format!("docs/errors/{}.md", code.id))).unwrap();
        let example = &page[page.find("## Reported").unwrap()..];
        let block = example
            .split("```yaml\n")
            .nth(1)
            .unwrap()
            .split("```")
            .next()
            .unwrap();
        let loaded =
            npc::manifest::load_str("example.yaml", block, &npc::manifest::Options::default());
        assert!(
            !loaded.has_errors(),
            "{}: {:?}",
            code.id,
            loaded.diagnostics
        );
        let found: Vec<&str> = npc::lint::lint(&loaded.manifests)
            .iter()
            .map(|d| d.code.id)
            .collect();
        assert_eq!(
            found,
            [code.id],
            "{}: the example reports {found:?}",
            code.id
        );
        checked += 1;
    }
    assert!(checked >= 4);
}
