//! One way to say things across commands: every flag spelling means one
//! thing in every command (checked through clap's own description of the
//! command line), `-o` is the output format wherever a command has formats,
//! help is coloured only for terminals, the exit codes are the ones the
//! table in docs/cli.md gives, and `--error-format json|sarif|github` puts
//! exactly one document of that format on stderr.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use crate::support::npc::{command, npc, npc_with_stdin, root, stderr, stdout};

/// Spellings kept for one release with a deprecation warning, which mean
/// something else than the same spelling elsewhere: (command, spelling).
const DEPRECATED: &[(&str, &str)] = &[
    ("npc graph", "--namespace"),
    ("npc import", "-o"),
    ("npc import", "--output"),
];

#[derive(Debug)]
struct Flag {
    command: String,
    spelling: String,
    meaning: String,
    hidden: bool,
    has_formats: bool,
    long: Option<String>,
}

fn flags() -> Vec<Flag> {
    fn walk(cmd: &clap::Command, path: &str, out: &mut Vec<Flag>) {
        for arg in cmd.get_arguments() {
            if arg.is_positional() {
                continue;
            }
            let takes_value = arg.get_action().takes_values();
            let values: Vec<String> = arg
                .get_value_names()
                .unwrap_or_default()
                .iter()
                .map(ToString::to_string)
                .collect();
            // clap's own -h says "(see more with '--help')" where a
            // command has long help: the same flag all the same.
            let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
            let help = help.split(" (see ").next().unwrap_or_default().to_string();
            let meaning = format!(
                "{} {}",
                help,
                if takes_value {
                    format!("<{}>", values.join(" "))
                } else {
                    "(switch)".to_string()
                }
            );
            let mut spellings = Vec::new();
            if let Some(s) = arg.get_short() {
                spellings.push(format!("-{s}"));
            }
            for s in arg.get_all_short_aliases().unwrap_or_default() {
                spellings.push(format!("-{s}"));
            }
            if let Some(l) = arg.get_long() {
                spellings.push(format!("--{l}"));
            }
            for l in arg.get_all_aliases().unwrap_or_default() {
                spellings.push(format!("--{l}"));
            }
            for spelling in spellings {
                out.push(Flag {
                    command: path.to_string(),
                    spelling,
                    meaning: meaning.clone(),
                    hidden: arg.is_hide_set(),
                    has_formats: takes_value && !arg.get_possible_values().is_empty(),
                    long: arg.get_long().map(str::to_string),
                });
            }
        }
        for sub in cmd.get_subcommands() {
            walk(sub, &format!("{path} {}", sub.get_name()), out);
        }
    }
    let mut cmd = npc::cli::command();
    cmd.build();
    let mut out = Vec::new();
    walk(&cmd, "npc", &mut out);
    out
}

#[test]
fn every_flag_spelling_means_one_thing() {
    let flags = flags();
    assert!(
        flags.len() > 50,
        "the walk found the flags: {}",
        flags.len()
    );
    let mut meanings: BTreeMap<&str, BTreeMap<&str, Vec<&str>>> = BTreeMap::new();
    for f in &flags {
        if DEPRECATED.contains(&(f.command.as_str(), f.spelling.as_str())) {
            assert!(
                f.hidden,
                "{} {}: a deprecated spelling is hidden",
                f.command, f.spelling
            );
            assert!(
                f.meaning.starts_with("deprecated"),
                "{} {}: its help says it is deprecated: {}",
                f.command,
                f.spelling,
                f.meaning
            );
            continue;
        }
        meanings
            .entry(&f.spelling)
            .or_default()
            .entry(&f.meaning)
            .or_default()
            .push(&f.command);
    }
    let mut clashes = Vec::new();
    for (spelling, by_meaning) in &meanings {
        if by_meaning.len() > 1 {
            let list: Vec<String> = by_meaning
                .iter()
                .map(|(m, cmds)| format!("    {m}  [{}]", cmds.join(", ")))
                .collect();
            clashes.push(format!("{spelling}:\n{}", list.join("\n")));
        }
    }
    assert!(
        clashes.is_empty(),
        "the same spelling means different things:\n{}",
        clashes.join("\n")
    );
}

#[test]
fn dash_o_is_the_format_and_out_file_the_file() {
    let flags = flags();
    let commands: BTreeSet<&str> = flags.iter().map(|f| f.command.as_str()).collect();
    let mut with_formats = 0;
    for cmd in commands {
        let of = |s: &str| {
            flags
                .iter()
                .find(|f| f.command == cmd && f.spelling == s && !f.hidden)
        };
        if let Some(o) = of("-o") {
            with_formats += 1;
            assert!(o.has_formats, "{cmd}: -o lists its formats");
            assert_eq!(o.long.as_deref(), Some("output"), "{cmd}: -o is --output");
            assert!(o.meaning.contains("<FORMAT>"), "{cmd}: {}", o.meaning);
            assert!(of("--out-file").is_some(), "{cmd}: files are --out-file");
        }
        // A format chosen by another name than -o is not the way.
        if let Some(f) = of("--format") {
            panic!("{cmd}: --format is visible: {}", f.meaning);
        }
    }
    assert!(
        with_formats >= 6,
        "build, explain, diff, graph, analyze, lint"
    );
}

fn has_ansi(bytes: &[u8]) -> bool {
    bytes.contains(&0x1b)
}

#[test]
fn formats_are_chosen_with_dash_o_in_every_command() {
    let o = npc(&["graph", "examples/shop.npl", "-o", "html"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("<!DOCTYPE html>"), "HTML on stdout");
    let o = npc(&[
        "analyze",
        "tests/data/manifests/recipes/deny-all.yaml",
        "-o",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap();
    let o = npc(&["lint", "tests/data/lint/L001-positive.yaml", "-o", "sarif"]);
    let log: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(log["version"], "2.1.0");
    // The old spelling still works, with a warning.
    let o = npc(&[
        "lint",
        "tests/data/lint/L001-positive.yaml",
        "--format",
        "json",
    ]);
    serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap();
    assert!(
        stderr(&o).contains("`--format` is deprecated") && stderr(&o).contains("-o json"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn dash_o_with_a_file_name_gets_a_hint_naming_out_file() {
    let tmp = tempfile::tempdir().unwrap();
    let src = root().join("examples/shop.npl");
    for cmd in ["explain", "diff", "analyze", "lint", "build"] {
        let o = command()
            .args([cmd, src.to_str().unwrap(), "-o", "report.txt"])
            .current_dir(tmp.path())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{cmd}");
        let err = stderr(&o);
        assert!(
            err.contains("`report.txt` is not an output format"),
            "{cmd}: {err}"
        );
        assert!(err.contains("--out-file report.txt"), "{cmd}: {err}");
        assert!(!tmp.path().join("report.txt").exists());
    }
    // graph and import used to write files with -o: for one release they
    // still do, with a warning.
    let o = command()
        .args(["graph", src.to_str().unwrap(), "-o", "shop.dot"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("--out-file shop.dot"), "{}", stderr(&o));
    assert!(std::fs::read_to_string(tmp.path().join("shop.dot"))
        .unwrap()
        .starts_with("digraph"));
    // -o html is the format: no file named `html`.
    let o = command()
        .args(["graph", src.to_str().unwrap(), "-o", "html"])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(!tmp.path().join("html").exists());
    // --out-file writes the file, nothing on stdout.
    let o = command()
        .args([
            "graph",
            src.to_str().unwrap(),
            "-o",
            "html",
            "--out-file",
            "shop.html",
        ])
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
    assert!(std::fs::read_to_string(tmp.path().join("shop.html"))
        .unwrap()
        .starts_with("<!DOCTYPE html>"));
}

#[test]
fn completions_offer_the_formats() {
    let script = stdout(&npc(&["completions", "bash"]));
    for formats in [
        "yaml json",
        "human json",
        "dot mermaid html",
        "txt json csv md dot mermaid html",
        "human json sarif github",
    ] {
        assert!(
            script.contains(&format!("compgen -W \"{formats}\"")),
            "bash completes `-o` with {formats}"
        );
    }
}

/// Runs npc in a pseudo-terminal (util-linux `script`): its output as the
/// terminal shows it.
fn in_terminal(args: &str, env: &[(&str, &str)]) -> Vec<u8> {
    let bin = env!("CARGO_BIN_EXE_npc");
    let mut c = Command::new("script");
    c.args(["-q", "-e", "-c", &format!("{bin} {args}"), "/dev/null"])
        .current_dir(root())
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE")
        .env("TERM", "xterm-256color");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap().stdout
}

#[test]
fn help_is_coloured_only_for_terminals() {
    // Piped: never coloured, whatever the command.
    for args in [
        vec!["help", "diff"],
        vec!["--help"],
        vec!["diff", "--help"],
        vec!["build", "-h"],
    ] {
        let o = npc(&args);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        assert!(!has_ansi(&o.stdout), "{args:?} piped");
    }
    let forced = |env: &[(&str, &str)], args: &[&str]| {
        let mut c = command();
        c.args(args);
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    };
    assert!(has_ansi(
        &forced(&[("CLICOLOR_FORCE", "1")], &["help", "diff"]).stdout
    ));
    assert!(!has_ansi(
        &forced(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")], &["--help"]).stdout
    ));
    assert!(!has_ansi(
        &forced(
            &[("CLICOLOR_FORCE", "1")],
            &["diff", "--help", "--color", "never"]
        )
        .stdout
    ));
    assert!(has_ansi(
        &forced(&[], &["diff", "--help", "--color", "always"]).stdout
    ));
    // A terminal: coloured, unless NO_COLOR, TERM=dumb or --color never.
    assert!(has_ansi(&in_terminal("help diff", &[])));
    assert!(!has_ansi(&in_terminal("help diff", &[("NO_COLOR", "1")])));
    assert!(!has_ansi(&in_terminal("help diff", &[("TERM", "dumb")])));
    // CI machines set CI, which alone lets a stream colour a dumb terminal.
    assert!(!has_ansi(&in_terminal(
        "help diff",
        &[("TERM", "dumb"), ("CI", "true")]
    )));
    assert!(!has_ansi(&in_terminal("diff --help --color never", &[])));
    // Usage errors too.
    let o = npc(&["build", "--no-such-flag"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!has_ansi(&o.stderr), "{}", stderr(&o));
    assert!(has_ansi(&in_terminal("build --no-such-flag", &[])));
    assert!(!has_ansi(&in_terminal(
        "build --no-such-flag",
        &[("NO_COLOR", "1")]
    )));
}

/// The exit-code table of docs/cli.md: command → code → meaning.
fn exit_table() -> BTreeMap<String, BTreeMap<u8, String>> {
    let doc = std::fs::read_to_string(root().join("docs/cli.md")).unwrap();
    let section = doc
        .split("\n## Exit codes\n")
        .nth(1)
        .expect("docs/cli.md has an `## Exit codes` section");
    let mut table = BTreeMap::new();
    let mut header: Vec<u8> = Vec::new();
    for line in section.lines().take_while(|l| !l.starts_with("## ")) {
        if !line.starts_with('|') {
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        if cells[0] == "command" {
            header = cells[1..].iter().map(|c| c.parse().unwrap()).collect();
            continue;
        }
        if cells[0].starts_with("---") {
            continue;
        }
        let name = cells[0].trim_matches('`').to_string();
        let codes: BTreeMap<u8, String> = header
            .iter()
            .zip(&cells[1..])
            .filter(|(_, meaning)| **meaning != "—")
            .map(|(c, m)| (*c, m.to_string()))
            .collect();
        table.insert(name, codes);
    }
    table
}

/// The codes `npc help CMD` lists under "Exit codes:".
fn codes_in_help(cmd: &[&str]) -> BTreeSet<u8> {
    let mut args = vec!["help"];
    args.extend(cmd);
    let text = stdout(&npc(&args));
    let section = text
        .split("Exit codes:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("npc help {cmd:?} lists its exit codes"));
    section
        .lines()
        .take_while(|l| l.is_empty() || l.starts_with(' '))
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect()
}

/// One way to reach each exit code of each command.
fn scenarios() -> Vec<(&'static str, Vec<&'static str>, Option<&'static str>, u8)> {
    let shop = "examples/shop.npl";
    vec![
        ("build", vec!["build", shop], None, 0),
        ("build", vec!["build", "tests/cases/err/E002-unknown-alias.npl"], None, 1),
        ("build", vec!["build", "no/such.npl"], None, 2),
        ("check", vec!["check", shop], None, 0),
        ("check", vec!["check", "tests/cases/err/E029-one-side.npl"], None, 1),
        ("check", vec!["check", shop, "--inventory", "no/such.yaml"], None, 2),
        ("explain", vec!["explain", shop, "web/frontend -> payments/api-server:8080"], None, 0),
        ("explain", vec!["explain", shop, "web/frontend -> nosuch:8080"], None, 1),
        ("explain", vec!["explain", "no/such.npl", "web/a -> web/b"], None, 2),
        ("diff", vec!["diff", shop, "--against", "examples/shop.yaml"], None, 0),
        ("diff", vec!["diff", shop, "--against", "tests/data/diff/desired.yaml"], None, 1),
        ("diff", vec!["diff", "tests/cases/err/E002-unknown-alias.npl", "--against", "examples/shop.yaml"], None, 2),
        ("graph", vec!["graph", shop], None, 0),
        ("graph", vec!["graph", "tests/cases/err/E002-unknown-alias.npl"], None, 1),
        ("graph", vec!["graph", shop, "--focus", "nosuch/x"], None, 2),
        ("import", vec!["import", "tests/data/manifests/recipes/allow-from-namespace.yaml"], None, 0),
        ("import", vec!["import", "tests/data/import/both-sides-differ.yaml"], None, 1),
        ("import", vec!["import", "no/such.yaml"], None, 2),
        ("fmt", vec!["fmt", "--check", shop], None, 0),
        ("fmt", vec!["fmt", "--check", "tests/cases/err/E001-arrow.npl"], None, 1),
        ("fmt", vec!["fmt", "no/such.npl"], None, 2),
        ("lint", vec!["lint", "tests/data/lint/L001-negative.yaml"], None, 0),
        ("lint", vec!["lint", "tests/data/lint/L001-positive.yaml", "--deny", "L001"], None, 1),
        ("lint", vec!["lint", "no/such.yaml"], None, 2),
        ("analyze", vec!["analyze", "tests/data/manifests/recipes/deny-all.yaml"], None, 0),
        ("analyze", vec!["analyze", "-"], Some("kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: x}\nspec: {podSelector: 7}\n"), 1),
        ("analyze", vec!["analyze", "no/such.yaml"], None, 2),
        ("kustomize", vec!["kustomize", "generate", "examples/kustomize/base/generator.yaml", "--root", "examples/kustomize/base"], None, 0),
        ("kustomize", vec!["kustomize", "generate", "tests/data/kustomize/syntax-error/generator.yaml", "--root", "tests/data/kustomize/syntax-error"], None, 1),
        ("kustomize", vec!["kustomize", "generate", "no/such.yaml"], None, 2),
        ("lsp", vec!["lsp"], Some("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"shutdown\"}"), 2),
        ("completions", vec!["completions", "bash"], None, 0),
        ("completions", vec!["completions", "tcsh"], None, 2),
        ("man", vec!["man", "build"], None, 0),
        ("man", vec!["man", "nosuch"], None, 2),
    ]
}

#[test]
fn exit_codes_are_the_ones_the_table_gives() {
    let table = exit_table();
    let commands: BTreeSet<String> = npc::cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect();
    let documented: BTreeSet<String> = table.keys().cloned().collect();
    assert_eq!(documented, commands, "one row per command in docs/cli.md");
    let mut seen: BTreeMap<&str, BTreeSet<u8>> = BTreeMap::new();
    for (cmd, args, input, expected) in scenarios() {
        let o = match input {
            Some(text) => npc_with_stdin(&args, text),
            None => npc(&args),
        };
        let code = o.status.code().unwrap() as u8;
        assert_eq!(code, expected, "npc {args:?}: {}", stderr(&o));
        assert!(
            table[cmd].contains_key(&code),
            "npc {args:?} exits {code}, which docs/cli.md does not give for `{cmd}`"
        );
        seen.entry(cmd).or_default().insert(code);
    }
    for (cmd, codes) in &table {
        let listed: BTreeSet<u8> = codes.keys().copied().collect();
        let name: Vec<&str> = if cmd == "kustomize" {
            vec!["kustomize"]
        } else {
            vec![cmd.as_str()]
        };
        assert_eq!(
            codes_in_help(&name),
            listed,
            "`npc help {cmd}` lists the codes of docs/cli.md"
        );
        if cmd == "lsp" {
            continue; // 0 needs a whole LSP session: tests/integration/lsp_stdio.rs
        }
        assert_eq!(
            seen.get(cmd.as_str()).cloned().unwrap_or_default(),
            listed,
            "every code docs/cli.md gives for `{cmd}` is reached by a scenario"
        );
    }
}

/// Exactly one JSON value (a SARIF log is one) in `bytes`.
fn one_json_document(bytes: &[u8]) -> Result<serde_json::Value, String> {
    let mut values = serde_json::Deserializer::from_slice(bytes).into_iter::<serde_json::Value>();
    let first = values
        .next()
        .ok_or("nothing")?
        .map_err(|e| format!("not JSON: {e}"))?;
    match values.next() {
        None => Ok(first),
        Some(more) => Err(format!("more than one document: then {more:?}")),
    }
}

fn failures() -> Vec<(Vec<&'static str>, Option<&'static str>)> {
    let mut out: Vec<_> = scenarios()
        .into_iter()
        .filter(|(cmd, _, _, code)| *code != 0 && !matches!(*cmd, "lsp" | "completions" | "man"))
        .map(|(_, args, input, _)| (args, input))
        .collect();
    // What else prints something for people on stderr.
    out.extend([
        (vec!["lint", "tests/data/lint/L001-positive.yaml"], None),
        (
            vec!["analyze", "tests/data/manifests/recipes/deny-all.yaml"],
            None,
        ),
        (
            vec![
                "import",
                "tests/data/manifests/recipes/allow-from-namespace.yaml",
            ],
            None,
        ),
        (
            vec!["fmt", "--check", "tests/cases/ok/syntax-forms.npl"],
            None,
        ),
        (vec!["build", "examples/shop.npl", "--format", "json"], None),
        (
            vec![
                "build",
                "examples/shop.npl",
                "--out-dir",
                "target/no-such-dir-for-npc-check",
                "--check",
            ],
            None,
        ),
        (vec!["build", "--no-such-flag"], None),
        (vec!["analyze", "-"], Some("kind: NetworkPolicy\n: :\n")),
    ]);
    out
}

#[test]
fn machine_error_formats_are_one_document_on_stderr() {
    for (args, input) in failures() {
        for format in ["json", "sarif", "github"] {
            let mut all = args.clone();
            all.extend(["--error-format", format]);
            let o = match input {
                Some(text) => npc_with_stdin(&all, text),
                None => npc(&all),
            };
            let err = stderr(&o);
            match format {
                "github" => {
                    for line in err.lines() {
                        assert!(
                            line.starts_with("::error ") || line.starts_with("::warning "),
                            "npc {all:?}: every stderr line is an annotation: {err}"
                        );
                    }
                }
                _ => {
                    let doc = one_json_document(&o.stderr)
                        .unwrap_or_else(|e| panic!("npc {all:?}: {e}:\n{err}"));
                    if format == "sarif" {
                        assert_eq!(doc["version"], "2.1.0", "npc {all:?}");
                    } else {
                        assert!(doc.is_array(), "npc {all:?}");
                    }
                }
            }
        }
    }
}

/// `npc explain` with the query first names the order.
#[test]
fn explain_with_the_query_first_says_so() {
    let o = npc(&[
        "explain",
        "web/frontend -> app/api:8080",
        "examples/shop.npl",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("npc explain FILE... QUERY"), "{err}");
}
