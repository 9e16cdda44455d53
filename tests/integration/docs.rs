//! The NPL shown in the README compiles and its expectations hold, so the
//! first thing a new user reads stays true.

#[test]
fn readme_npl_blocks_compile() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let blocks: Vec<&str> = readme
        .split("```npl\n")
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap())
        .collect();
    assert!(!blocks.is_empty(), "the README has no NPL example");
    for block in blocks {
        let c = npc::compile_str("README.md", block);
        let text = npc::render::human(&c.diagnostics, &c.sources, false);
        assert!(
            c.diagnostics.is_empty(),
            "README example has diagnostics:\n{text}"
        );
        assert!(!c.policies.is_empty() || !c.cluster_policies.is_empty());
    }
}

/// Every NPL block of the guides about version 2 compiles without an error,
/// its `expect` lines hold, and the warnings the guide shows are the ones it
/// says it shows: `deny egress cluster -> world` is there for W021.
#[test]
fn guide_npl_blocks_compile_and_their_expectations_hold() {
    for guide in ["docs/guardrails.md", "docs/language.md"] {
        let text = std::fs::read_to_string(root().join(guide)).unwrap();
        let blocks: Vec<&str> = text
            .split("```npl\n")
            .skip(1)
            .map(|rest| rest.split("```").next().unwrap())
            .collect();
        assert!(!blocks.is_empty(), "{guide} has no NPL example");
        for block in blocks {
            let c = npc::compile_str(guide, block);
            let shown = npc::render::human(&c.diagnostics, &c.sources, false);
            assert!(
                !c.has_errors(),
                "{guide} example has errors:\n{block}\n{shown}"
            );
            let warned: Vec<&str> = c.diagnostics.iter().map(|d| d.code.id).collect();
            let expected: &[&str] = if block.contains("deny egress cluster -> world")
                && !block.contains("pass cluster -> cluster")
            {
                &["W021"]
            } else {
                &[]
            };
            assert_eq!(warned, expected, "{guide} example:\n{block}\n{shown}");
        }
    }
}

// ------------------------------------------------------------ code tables
//
// The registries of codes are `npc::diagnostic::codes::ALL` (the compiler
// and the manifest reader) and `npc::lint::RULES` (the lint rules). The
// tables of lint rules in the documentation are generated from the latter
// between `<!-- generated: NAME -->` and `<!-- end: NAME -->`: set
// `NPC_UPDATE_DOCS=1` to write them; without it the test fails when a file
// differs from what it would write. The table of the other codes and every
// page's title are checked against the catalogue.

use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The lint rules as rows of a Markdown table linking to `pages`.
fn lint_rows(pages: &str) -> String {
    npc::lint::RULES
        .iter()
        .map(|r| format!("| [{0}]({pages}{0}.md) | {1} |\n", r.code.id, r.description))
        .collect()
}

/// Every generated part of the documentation: file, part name, content.
fn generated_parts() -> Vec<(&'static str, &'static str, String)> {
    vec![
        (
            "docs/errors/README.md",
            "lint-rules",
            format!("| code | finding |\n|---|---|\n{}", lint_rows("")),
        ),
        (
            "docs/analyze.md",
            "lint-rules",
            format!("| code | finding |\n|---|---|\n{}", lint_rows("errors/")),
        ),
    ]
}

/// `text` with the part `name` replaced by `content`, or why it cannot be.
fn with_part(text: &str, name: &str, content: &str) -> Result<String, String> {
    let begin = format!("<!-- generated: {name} -->\n");
    let end = format!("<!-- end: {name} -->");
    let start = text
        .find(&begin)
        .ok_or_else(|| format!("no `{}` marker", begin.trim_end()))?
        + begin.len();
    let stop = text[start..]
        .find(&end)
        .ok_or_else(|| format!("no `{end}` marker"))?
        + start;
    Ok(format!("{}{content}{}", &text[..start], &text[stop..]))
}

#[test]
fn generated_code_tables_agree_with_the_lint_registry() {
    let update = std::env::var_os("NPC_UPDATE_DOCS").is_some();
    let mut stale = Vec::new();
    for (file, name, content) in generated_parts() {
        let path = root().join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let expected = with_part(&text, name, &content).unwrap_or_else(|e| panic!("{file}: {e}"));
        if expected == text {
            continue;
        }
        if update {
            std::fs::write(&path, expected).unwrap();
        } else {
            stale.push(format!("{file} ({name})"));
        }
    }
    assert!(
        stale.is_empty(),
        "out of date with npc::lint::RULES: {}; run `NPC_UPDATE_DOCS=1 cargo test --test integration docs::` to regenerate",
        stale.join(", ")
    );
}

/// A stale table is found: the check above can fail.
#[test]
fn a_table_that_disagrees_is_found() {
    let (_, name, content) = generated_parts().remove(0);
    let stale =
        format!("<!-- generated: {name} -->\n| [L001](L001.md) | old |\n<!-- end: {name} -->\n");
    let fresh = with_part(&stale, name, &content).unwrap();
    assert_ne!(fresh, stale);
    assert_eq!(with_part(&fresh, name, &content).unwrap(), fresh);
    assert!(with_part("no markers", name, &content).is_err());
}

/// The rows `| [ID](...) | TEXT |` of a Markdown text, in order.
fn code_rows(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("| [")?;
            let (id, rest) = rest.split_once(']')?;
            let (_, text) = rest.split_once(") | ")?;
            Some((id.to_string(), text.strip_suffix(" |")?.to_string()))
        })
        .collect()
}

#[test]
fn the_code_table_and_every_page_title_agree_with_the_catalogue() {
    let readme = std::fs::read_to_string(root().join("docs/errors/README.md")).unwrap();
    let compiler = &readme[..readme.find("<!-- generated: lint-rules -->").unwrap()];
    let rows = code_rows(compiler);
    let ids: Vec<&str> = rows.iter().map(|(id, _)| id.as_str()).collect();
    let catalogue: Vec<&str> = npc::diagnostic::codes::ALL.iter().map(|c| c.id).collect();
    assert_eq!(ids, catalogue, "docs/errors/README.md lists other codes");
    for ((id, text), code) in rows.iter().zip(npc::diagnostic::codes::ALL) {
        // The summary, optionally followed by where it is reported.
        let ok = text == code.summary
            || text
                .strip_prefix(code.summary)
                .is_some_and(|rest| rest.starts_with(" ("));
        assert!(
            ok,
            "docs/errors/README.md: {id} says `{text}`, the catalogue `{}`",
            code.summary
        );
    }
    let all = npc::diagnostic::codes::ALL
        .iter()
        .copied()
        .chain(npc::lint::codes());
    for code in all {
        let page = std::fs::read_to_string(root().join(code.page())).unwrap();
        let mut lines = page.lines();
        let title = format!("# {}: {}", code.id, code.summary);
        assert_eq!(lines.next(), Some(title.as_str()), "{}", code.page());
        let severity = match code.severity {
            npc::diagnostic::Severity::Error => "*error*",
            npc::diagnostic::Severity::Warning => "*warning*",
        };
        assert!(
            lines.nth(1).is_some_and(|l| l.starts_with(severity)),
            "{}: the line after the title is not `{severity}`",
            code.page()
        );
    }
}

/// Files that may name the range of lint codes: it must end at the last.
fn prose_files() -> Vec<PathBuf> {
    let mut out = vec![root().join("README.md"), root().join("ARCHITECTURE.md")];
    let mut dirs = vec![root().join("docs"), root().join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "md" || e == "rs") {
                out.push(path);
            }
        }
    }
    out
}

#[test]
fn the_range_of_lint_codes_ends_at_the_last_rule() {
    let first = npc::lint::RULES[0].code.id;
    let last = npc::lint::RULES.last().unwrap().code.id;
    let mut wrong = Vec::new();
    for path in prose_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        for dash in ["–", "-"] {
            let from = format!("{first}{dash}");
            for (i, _) in text.match_indices(&from) {
                let end: String = text[i + from.len()..].chars().take(last.len()).collect();
                if end.starts_with('L') && end != last {
                    wrong.push(format!("{}: `{from}{end}`", path.display()));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "the lint codes end at {last}: {}",
        wrong.join(", ")
    );
}
