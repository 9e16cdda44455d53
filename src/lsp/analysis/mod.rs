//! The adapter between the language server and the compiler: program text in;
//! problems, symbols, hovers, definitions, completions and fixes out. It is
//! the only part of `lsp` that calls the compiler. Results are plain data in
//! byte offsets of files named by path; the protocol layer converts them.
//!
//! One [`CheckedProgram`] is one program: a root file and everything it includes,
//! with included files read through [`Files`] (the editor's open buffers
//! before the disk).

mod complete;
mod fixes;
mod hover;
mod includes;
mod index;
mod navigate;
mod policies;
mod symbols;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::diagnostic::{codes, Diagnostic, Severity};
use crate::emit::Provenance;
use crate::ir;
use crate::load::Input;
use crate::source::{FileId, SourceMap, Span, Spanned};
use crate::syntax::{ast, ParseCache};

pub use complete::{Completion, CompletionKind};
pub use fixes::Fix;
pub use includes::included_paths;
pub use symbols::{Symbol, SymbolKind};

/// Where the program's files come from.
pub trait Files {
    /// The text of a file by canonical path: an open buffer, else the disk.
    fn read(&self, path: &Path) -> Result<String, crate::files::ReadError>;
}

/// A byte range in a file of the program.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct FileSpan {
    pub path: PathBuf,
    pub start: usize,
    pub end: usize,
}

/// A diagnostic, ready for an editor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub span: FileSpan,
    pub code: &'static str,
    pub error: bool,
    /// The message, the text at the primary span, notes and help, one per line.
    pub message: String,
    /// Secondary spans with their text.
    pub related: Vec<(FileSpan, String)>,
}

/// A text replacement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub span: FileSpan,
    pub text: String,
}

/// Hover text (Markdown) for a span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hover {
    pub span: FileSpan,
    pub markdown: String,
}

/// The NetworkPolicies one statement contributes to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementPolicies {
    pub span: FileSpan,
    /// `namespace/name`, sorted.
    pub policies: Vec<String>,
}

/// One compiled program.
pub struct CheckedProgram {
    root: PathBuf,
    sources: SourceMap,
    /// Canonical path of each file, by `FileId`.
    paths: Vec<Option<PathBuf>>,
    diagnostics: Vec<Diagnostic>,
    /// Every statement of every file, includes spliced in place.
    statements: Vec<Spanned<ast::Statement>>,
    /// The resolved program: complete, with carve-outs, when resolution
    /// found no error; else what resolved.
    program: Option<ir::Program>,
    /// The origins of every emitted policy, when layout and emission
    /// reported no error.
    provenance: Provenance,
    /// What each statement contributes to the emitted policies, read from
    /// `provenance` when first asked (publishing diagnostics needs none).
    contributions: OnceLock<policies::Contributions>,
    /// The cluster-scoped objects of the tier blocks, when emitted.
    cluster: Vec<crate::k8s::cluster_policy::ClusterObject>,
    /// What every name written in the statements refers to (resolution's
    /// side table), for `index`.
    names: crate::resolve::Names,
    /// The index of names, built from `statements` and `names` when first
    /// asked (publishing diagnostics needs none).
    index: OnceLock<index::Index>,
    /// Files included by files with syntax errors, read for completion only.
    unparsed: Vec<String>,
}

/// Compiles the program rooted at `root` (a canonical path), naming the
/// root file `name` in messages.
pub fn analyze(root: &Path, name: &str, files: &dyn Files) -> CheckedProgram {
    // Never cancelled, so never empty.
    analyze_until(root, name, files, &|| false).unwrap_or_else(|| CheckedProgram::empty(root))
}

/// [`analyze`], abandoned (`None`) as soon as `cancelled` says so: it is
/// asked between the stages, and between the namespaces of generation.
pub fn analyze_until(
    root: &Path,
    name: &str,
    files: &dyn Files,
    cancelled: &dyn Fn() -> bool,
) -> Option<CheckedProgram> {
    analyze_cached(root, name, files, cancelled, &mut Cache::default())
}

/// What the checks of one program keep for the next check: the last parse
/// of each file (only the statements an edit touched are parsed again) and
/// the policies as compiled for the `expect` check (only those an edit
/// changed are compiled again).
#[derive(Default)]
pub struct Cache {
    pub parses: ParseCache,
    pub recheck: crate::recheck::Recheck,
}

/// [`analyze_until`] through `cache`, which holds the last parse of each
/// file of the program and its compiled policies: after an edit only the
/// statements it touched are parsed again, and only the policies it changed
/// are compiled again. The result is the same as without the cache.
pub fn analyze_cached(
    root: &Path,
    name: &str,
    files: &dyn Files,
    cancelled: &dyn Fn() -> bool,
    cache: &mut Cache,
) -> Option<CheckedProgram> {
    let (text, unreadable) = match files.read(root) {
        Ok(text) => (text, None),
        Err(e) => (String::new(), Some(e)),
    };
    let input = Input {
        name: name.to_string(),
        path: Some(root.to_path_buf()),
        text,
    };
    let read = |p: &Path| files.read(p);
    let mut loaded = crate::load::load_cached(vec![input], &read, &mut cache.parses);
    if let Some(e) = unreadable {
        loaded
            .diagnostics
            .push(root_unreadable(&loaded.sources, name, &e));
    }
    // The compiler's own composition of the stages: it keeps the
    // statements, the side table of names and the program also when the
    // program has errors.
    let c = crate::compile_rechecking(loaded, cancelled, Some(&mut cache.recheck))?;
    let paths = c.sources.files().map(|(_, f)| f.path.clone()).collect();
    let syntax_errors = c.diagnostics.iter().any(|d| d.code == codes::SYNTAX);
    let unparsed = if syntax_errors {
        unparsed_includes(&c.sources, files)
    } else {
        Vec::new()
    };
    Some(CheckedProgram {
        root: root.to_path_buf(),
        sources: c.sources,
        paths,
        diagnostics: c.diagnostics,
        statements: c.statements,
        program: c.program,
        contributions: OnceLock::new(),
        provenance: c.provenance,
        cluster: c.cluster_policies,
        names: c.names,
        index: OnceLock::new(),
        unparsed,
    })
}

/// E034 at the start of a root file whose text cannot be read (a buffer
/// past the size limit).
fn root_unreadable(sources: &SourceMap, name: &str, e: &crate::files::ReadError) -> Diagnostic {
    let file = sources.files().next().map_or(FileId(0), |(id, _)| id);
    let reason = e.reason.to_string();
    Diagnostic::new(
        crate::diagnostic::codes::FILE_TOO_LARGE,
        Span::new(file, 0, 0),
        format!("`{name}` is not checked: {reason}"),
    )
    .with_primary("the whole file")
    .with_note(format!(
        "npc reads at most {} MiB from one file, as `npc build` does",
        crate::files::MAX_SOURCE_BYTES >> 20
    ))
    .with_help("split the program into files joined with `include`")
}

/// The most files read to complete names when a file does not parse.
const MAX_UNPARSED_INCLUDES: usize = 100;

/// The texts of the files that files with syntax errors include: the loader
/// skips them, but completion still wants their names.
fn unparsed_includes(sources: &SourceMap, files: &dyn Files) -> Vec<String> {
    let mut seen: Vec<PathBuf> = sources
        .files()
        .filter_map(|(_, f)| f.path.clone())
        .collect();
    let mut queue: Vec<(PathBuf, String)> = sources
        .files()
        .filter_map(|(_, f)| Some((f.path.clone()?, f.text.clone())))
        .collect();
    let mut out = Vec::new();
    while let Some((path, text)) = queue.pop() {
        let dir = path.parent().unwrap_or(Path::new("/"));
        for inc in included_paths(&text, dir) {
            let inc = std::fs::canonicalize(&inc).unwrap_or(inc);
            if seen.contains(&inc) || out.len() >= MAX_UNPARSED_INCLUDES {
                continue;
            }
            seen.push(inc.clone());
            if let Ok(t) = files.read(&inc) {
                out.push(t.clone());
                queue.push((inc, t));
            }
        }
    }
    out
}

/// Formats one file, or `None` when it has syntax errors.
pub fn format(text: &str) -> Option<String> {
    crate::format::format(text).ok()
}

impl CheckedProgram {
    /// A program of no file.
    fn empty(root: &Path) -> CheckedProgram {
        CheckedProgram {
            root: root.to_path_buf(),
            sources: SourceMap::default(),
            paths: Vec::new(),
            diagnostics: Vec::new(),
            statements: Vec::new(),
            program: None,
            provenance: Provenance::default(),
            cluster: Vec::new(),
            contributions: OnceLock::new(),
            names: crate::resolve::Names::default(),
            index: OnceLock::new(),
            unparsed: Vec::new(),
        }
    }

    /// The index of names (built on first use).
    fn index(&self) -> &index::Index {
        self.index
            .get_or_init(|| index::Index::build(&self.statements, &self.names))
    }

    /// What each statement contributes to the policies (read on first use).
    fn contributions(&self) -> &policies::Contributions {
        self.contributions
            .get_or_init(|| policies::contributions(&self.provenance))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Every file of the program, root first.
    pub fn files(&self) -> impl Iterator<Item = &Path> {
        self.paths.iter().filter_map(|p| p.as_deref())
    }

    /// The text of a file as the program was compiled from it.
    pub fn text(&self, path: &Path) -> Option<&str> {
        let id = self.file_id(path)?;
        self.sources.get(id).map(|f| f.text.as_str())
    }

    fn file_id(&self, path: &Path) -> Option<FileId> {
        self.paths
            .iter()
            .position(|p| p.as_deref() == Some(path))
            .and_then(|i| u32::try_from(i).ok())
            .map(FileId)
    }

    fn file_span(&self, span: Span) -> Option<FileSpan> {
        let path = self.paths.get(span.file.0 as usize)?.clone()?;
        let len = self.sources.get(span.file).map_or(0, |f| f.text.len());
        let start = span.start().min(len);
        Some(FileSpan {
            path,
            start,
            end: span.end().clamp(start, len),
        })
    }

    /// The problems found in one file of the program.
    pub fn problems(&self, path: &Path) -> Vec<Problem> {
        let Some(id) = self.file_id(path) else {
            return Vec::new();
        };
        self.diagnostics
            .iter()
            .filter(|d| d.span.file == id)
            .filter_map(|d| self.problem(d))
            .collect()
    }

    fn problem(&self, d: &Diagnostic) -> Option<Problem> {
        let mut message = d.message.clone();
        if let Some(label) = d.primary.as_deref().filter(|l| !d.message.contains(l)) {
            message.push('\n');
            message.push_str(label);
        }
        for note in &d.notes {
            message.push_str("\nnote: ");
            message.push_str(note);
        }
        if let Some(help) = &d.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        Some(Problem {
            span: self.file_span(d.span)?,
            code: d.code.id,
            error: d.severity() == Severity::Error,
            message,
            related: d
                .secondary
                .iter()
                .filter_map(|l| Some((self.file_span(l.span)?, l.message.clone())))
                .collect(),
        })
    }

    /// Whether the program compiled without errors.
    pub fn compiled(&self) -> bool {
        !self.diagnostics.iter().any(Diagnostic::is_error)
    }

    fn offset_span(&self, path: &Path, offset: usize) -> Option<Span> {
        Some(Span::new(self.file_id(path)?, offset, offset))
    }
}

/// Whether `span` contains `at` (same file, inclusive end, so that a cursor
/// just after a name is on it).
fn covers(span: Span, at: Span) -> bool {
    span.file == at.file && span.start() <= at.start() && at.start() <= span.end()
}
