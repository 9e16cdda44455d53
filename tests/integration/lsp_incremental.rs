//! The language server re-parses only what an edit touched
//! (`syntax::ParseCache`) and compiles again only the policies an edit
//! changed (`npc::recheck`): random edit sequences over the corpus
//! programs, where every parse through the cache must equal a whole parse
//! of the same text, and every check through it (diagnostics, symbols,
//! hovers, definitions, references, completions, policies, code actions)
//! must equal a check without it.

use std::path::{Path, PathBuf};

use npc::lsp::analysis::Cache;
use npc::lsp::analysis::{self, Files};
use npc::source::FileId;
use npc::syntax::{self, ParseCache};

use crate::support::Rng;

/// Every `.npl` file of the corpus, and two generated programs.
fn corpus() -> Vec<(PathBuf, String)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<(PathBuf, String)> = crate::support::corpus_programs()
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            (std::fs::canonicalize(&path).unwrap(), text)
        })
        .collect();
    for seed in [1, 2] {
        files.push((
            root.join(format!("generated-{seed}.npl")),
            npc_gen::generate(4, 4, seed),
        ));
    }
    files
}

/// What edits insert: mostly what keeps a program valid, some that breaks it.
const PIECES: &[&str] = &[
    "0",
    "1",
    "8",
    "a",
    "-",
    ".",
    " ",
    "\n",
    "\n\n",
    ";",
    "# note",
    "\\\n",
    ",",
    "web",
    "/",
    ":",
    ":80",
    "{",
    "}",
    "\"",
    "->",
    "allow a/b -> c/d:80\n",
    "let x = a/b\n",
    "namespace n\n",
    "expect allow a/b -> c/d:80\n",
    "namespace n {\n  allow a -> b\n}\n",
    "\r\n",
    "é",
    "}\n",
    "set name-prefix = team-a-\n",
    "set workload-label = app.kubernetes.io/name\n",
    "set cni = cilium\n",
    "namespace n labels {team=t0, tier=edge}\n",
];

/// Edits that change what a statement means and keep it valid: an
/// expectation flipped, a namespace's labels, an alias, a port, an
/// isolation, a setting.
const SWAPS: &[(&str, &str)] = &[
    ("expect allow", "expect deny "),
    ("expect deny ", "expect allow"),
    ("expect deny", "expect allow"),
    ("tier=edge", "tier=data"),
    ("tier=backend", "tier=edge"),
    ("tier=data", "tier=backend"),
    ("team=t0", "team=t1"),
    ("team=t1", "team=t0"),
    ("isolate ingress", "isolate egress"),
    ("isolate egress", "isolate ingress, egress"),
    ("let corp = 10.0.0.0/8", "let corp = 10.0.0.0/9"),
    (
        "let status = platform/status:80",
        "let status = platform/status:81",
    ),
    (":8080", ":8081"),
    // An allowed port, or the port of an expectation about it.
    ("/web:8080", "/web:9090"),
    ("/api:{8080, grpc}", "/api:grpc"),
    (":{8080, grpc}", ":8080"),
    ("9000-9010", "9000-9011"),
    ("world:443", "world:80"),
    ("set cni = cilium", "set cni = calico"),
    ("set name-prefix = ", "set name-prefix = x"),
    ("labels {", "labels {zone=z1, "),
    ("/gateway", "/web"),
];

/// The nearest char boundary at or before `at`.
fn boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// One random edit of `text`; every tenth goes back to `original`.
fn edit(rng: &mut Rng, text: &str, original: &str) -> String {
    let at = boundary(text, rng.below(text.len() + 1));
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
    match rng.below(12) {
        0 => original.to_string(),
        10 | 11 => {
            // One occurrence of a swap's text, picked at random, replaced.
            let (from, to) = SWAPS[rng.below(SWAPS.len())];
            let sites: Vec<usize> = text.match_indices(from).map(|(i, _)| i).collect();
            match sites.get(rng.below(sites.len().max(1))) {
                Some(&i) => format!("{}{}{}", &text[..i], to, &text[i + from.len()..]),
                None => text.to_string(),
            }
        }
        1 => {
            // A digit changed where there is one (a port, an address).
            let digits: Vec<usize> = text
                .char_indices()
                .filter(|(_, c)| c.is_ascii_digit())
                .map(|(i, _)| i)
                .collect();
            match digits.get(rng.below(digits.len().max(1))) {
                Some(&i) => format!("{}{}{}", &text[..i], rng.below(10), &text[i + 1..]),
                None => text.to_string(),
            }
        }
        2 => format!("{}{}", &text[..line_start], &text[line_end..]),
        3 => format!(
            "{}{}{}",
            &text[..line_end],
            &text[line_start..line_end],
            &text[line_end..]
        ),
        4 => {
            let end = boundary(text, at + rng.below(4));
            format!("{}{}", &text[..at], &text[end..])
        }
        _ => {
            let piece = PIECES[rng.below(PIECES.len())];
            format!("{}{}{}", &text[..at], piece, &text[at..])
        }
    }
}

#[test]
fn a_parse_through_the_cache_is_a_whole_parse() {
    let path = Path::new("/incremental/p.npl");
    let mut reused = 0;
    let mut parses = 0;
    for (i, (_, original)) in corpus().iter().enumerate() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (i as u64 + 1));
        for _ in 0..4 {
            let mut cache = ParseCache::default();
            let mut text = original.clone();
            for step in 0..40 {
                let file = FileId(0);
                let (got, got_diags) = cache.parse(path, file, &text);
                let (want, want_diags) = syntax::parse(file, &text);
                assert_eq!(got, want, "step {step} of file {i}:\n{text}");
                assert_eq!(
                    format!("{got_diags:?}"),
                    format!("{want_diags:?}"),
                    "step {step} of file {i}:\n{text}"
                );
                parses += 1;
                text = edit(&mut rng, &text, original);
            }
            reused += cache.reused();
        }
    }
    // The test is about re-use: a good part of the parses must re-use one.
    // (Many corpus files are syntax-error cases, and a broken text is
    // parsed whole until an edit mends it.)
    assert!(reused * 6 > parses, "{reused} of {parses} parses re-used");
}

/// The root file from the edited text, included files from the disk.
struct Buffer<'a> {
    path: &'a Path,
    text: &'a str,
}

impl Files for Buffer<'_> {
    fn read(&self, path: &Path) -> Result<String, npc::files::ReadError> {
        if path == self.path {
            Ok(self.text.to_string())
        } else {
            npc::files::read_text(path, npc::files::MAX_SOURCE_BYTES)
        }
    }
}

/// Everything the server answers from a check, at some offsets.
fn answers(check: &analysis::CheckedProgram, path: &Path, text: &str) -> Vec<String> {
    let problems = check.problems(path);
    let mut out = vec![
        format!("{problems:?}"),
        format!("{:?}", check.symbols(path)),
        format!("{:?}", check.statement_policies(path)),
        format!("{:?}", check.compiled()),
    ];
    for p in &problems {
        out.push(format!("{:?}", check.fixes(path, p.span.start, p.span.end)));
    }
    let step = (text.len() / 25).max(1);
    for at in (0..=text.len()).step_by(step) {
        out.push(format!("{at} {:?}", check.hover(path, at)));
        out.push(format!("{at} {:?}", check.definition(path, at)));
        out.push(format!("{at} {:?}", check.references(path, at, true)));
        out.push(format!("{at} {:?}", check.rename_target(path, at)));
        if text.is_char_boundary(at) {
            out.push(format!("{at} {:?}", check.completions(text, at)));
        }
    }
    out
}

#[test]
fn a_check_through_the_cache_is_a_whole_check() {
    let mut reused = 0;
    let (mut policies_reused, mut policies_compiled, mut wholes) = (0, 0, 0);
    let never = || false;
    for (i, (path, original)) in corpus().iter().enumerate() {
        let mut rng = Rng(0x2545_f491_4f6c_dd1d ^ (i as u64 + 1));
        let mut cache = Cache::default();
        let mut text = original.clone();
        let name = "p.npl";
        // The generated programs (many namespaces, `expect` lines) get
        // longer sequences: they are what the re-use of compiled policies
        // is for.
        let steps = if path.starts_with(env!("CARGO_MANIFEST_DIR")) && !path.exists() {
            40
        } else {
            8
        };
        for step in 0..steps {
            let files = Buffer { path, text: &text };
            let cached = analysis::analyze_cached(path, name, &files, &never, &mut cache).unwrap();
            let whole = analysis::analyze(path, name, &files);
            assert_eq!(
                answers(&cached, path, &text),
                answers(&whole, path, &text),
                "step {step} of {}:\n{text}",
                path.display()
            );
            text = edit(&mut rng, &text, original);
        }
        reused += cache.parses.reused();
        let (r, c, w) = cache.recheck.counts();
        policies_reused += r;
        policies_compiled += c;
        wholes += w;
    }
    assert!(reused > 100, "{reused} checks re-used a parse");
    // Most policies of a re-check are re-used: an edit changes a few (the
    // count of compiled ones includes every first check).
    let counts = format!(
        "{policies_reused} policies re-used, {policies_compiled} compiled, {wholes} sets re-used whole"
    );
    println!("{counts}");
    assert!(policies_reused > policies_compiled, "{counts}");
    // Edits that change no policy (an expectation, a comment) re-use the
    // whole set and index.
    assert!(wholes > 20, "{counts}");
}
