//! Re-parsing after an edit: only the top-level statements (a namespace
//! block is one) that the edit touched are parsed again; the statements
//! before them are kept, those after them are kept with their spans moved.
//!
//! The result is what [`super::parse`] gives for the new text, or nothing
//! (and the caller parses the whole file). It is only tried between two
//! texts that both parse as a whole, where the grammar is a sequence of
//! statements separated by line breaks or `;` (`file`):
//!
//! - a statement's parse depends on its own text and on what follows it up
//!   to the next separator (an optional part is tried there and fails), so
//!   a statement whose text and following blanks, comments and separator
//!   lie before the first changed byte parses as before;
//! - a statement that starts after the last changed byte parses as before,
//!   at its new position, if the text before it ends in a separator;
//! - the statements in between are parsed again as a `file` of their own,
//!   which holds the separators around them.
//!
//! The reuse is checked against a whole parse on random edits of the
//! corpus programs (`tests/integration/lsp_incremental.rs`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use pest::Parser as _;

use super::{ast, lower, NplParser, Rule};
use crate::diagnostic::Diagnostics;
use crate::source::{FileId, Span, Spanned};

/// The most files whose last parse is kept.
const MAX_CACHED_FILES: usize = 256;

/// The last parse without syntax errors of each file, by canonical path.
#[derive(Default)]
pub struct ParseCache {
    files: HashMap<PathBuf, Parsed>,
    /// How many parses re-used a previous one, in part or whole.
    reused: usize,
}

/// A text that parsed without syntax errors, and its statements.
struct Parsed {
    file: FileId,
    text: String,
    statements: Vec<Spanned<ast::Statement>>,
}

impl ParseCache {
    /// Parses `text`, the file `path` of a program with id `file`: what
    /// [`super::parse`] gives, re-using the previous parse of the file
    /// where the edit allows it.
    pub fn parse(&mut self, path: &Path, file: FileId, text: &str) -> (ast::File, Diagnostics) {
        if let Some(prev) = self.files.get_mut(path) {
            if (prev.text == text && prev.file == file) || reparse(prev, file, text) {
                self.reused += 1;
                let statements = prev.statements.clone();
                return (ast::File { statements }, Diagnostics::default());
            }
        }
        let (ast, diags) = super::parse(file, text);
        if diags.is_empty() {
            if self.files.len() >= MAX_CACHED_FILES && !self.files.contains_key(path) {
                self.files.clear();
            }
            self.files.insert(
                path.to_path_buf(),
                Parsed {
                    file,
                    text: text.to_string(),
                    statements: ast.statements.clone(),
                },
            );
        }
        // A text with syntax errors keeps the last clean parse: the next
        // clean text is compared with it.
        (ast, diags)
    }

    /// How many parses re-used a previous parse (tests and traces).
    pub fn reused(&self) -> usize {
        self.reused
    }
}

/// Re-parses `prev` into the parse of `text`, in place; `false` (and
/// `prev` untouched) when the edit is not one it can re-parse in part.
fn reparse(prev: &mut Parsed, file: FileId, text: &str) -> bool {
    if prev.file != file {
        return false;
    }
    let head = prev
        .text
        .bytes()
        .zip(text.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    reparse_at(prev, file, text, head)
}

/// [`reparse`] with the first `head` bytes of both texts equal.
fn reparse_at(prev: &mut Parsed, file: FileId, text: &str, head: usize) -> bool {
    let old = prev.text.as_str();
    let most = old.len().min(text.len()) - head;
    let same_tail = old
        .bytes()
        .rev()
        .zip(text.bytes().rev())
        .take(most)
        .take_while(|(a, b)| a == b)
        .count();
    let old_changed_end = old.len() - same_tail;
    // Statements kept as they are: each followed by a separator before the
    // first changed byte.
    let kept = prev
        .statements
        .iter()
        .take_while(|s| {
            s.span.end() <= head && separator_after(old, s.span.end()).is_some_and(|q| q < head)
        })
        .count();
    // Statements kept at a new position: starting after the last changed byte.
    let moved = kept
        + prev.statements[kept..]
            .iter()
            .position(|s| s.span.start() >= old_changed_end)
            .unwrap_or(prev.statements.len() - kept);
    let from = match kept {
        0 => 0,
        n => prev.statements[n - 1].span.end(),
    };
    let old_to = prev
        .statements
        .get(moved)
        .map_or(old.len(), |s| s.span.start());
    let Some(to) = (old_to + text.len()).checked_sub(old.len()) else {
        return false;
    };
    let Some(window) = text.get(from..to) else {
        return false;
    };
    let Ok(pairs) = NplParser::parse(Rule::file, window) else {
        return false;
    };
    let lower = lower::Lower {
        file,
        base: from,
        in_block: false,
        comments: true,
    };
    let Ok(parsed) = lower.file(pairs) else {
        return false;
    };
    // The text between the last re-parsed statement and the next kept one
    // must separate them, and must not end in a comment (which would run
    // on into the kept statement).
    if moved < prev.statements.len() {
        let gap_start = parsed.statements.last().map_or(from, |s| s.span.end());
        let needs_separator = kept > 0 || !parsed.statements.is_empty();
        match gap(text, gap_start, to) {
            Some(separated) if separated || !needs_separator => {}
            _ => return false,
        }
    }
    let mut after = prev.statements.split_off(moved);
    prev.statements.truncate(kept);
    for s in &mut after {
        shift(s, old_to, to);
    }
    prev.statements.extend(parsed.statements);
    prev.statements.append(&mut after);
    prev.text = text.to_string();
    true
}

/// Where the first separator (`\n`, `;`) after `pos` is, when only blanks,
/// comments and line continuations lie between: what the grammar skips
/// between tokens. `None` when something else (or the end) comes first.
fn separator_after(text: &str, mut pos: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    loop {
        match *bytes.get(pos)? {
            b' ' | b'\t' | b'\r' => pos += 1,
            b'\n' | b';' => return Some(pos),
            b'\\' => match (bytes.get(pos + 1), bytes.get(pos + 2)) {
                (Some(b'\n'), _) => pos += 2,
                (Some(b'\r'), Some(b'\n')) => pos += 3,
                _ => return None,
            },
            b'#' => pos += text.get(pos..)?.find('\n')?,
            _ => return None,
        }
    }
}

/// Whether `text[from..to]` is blanks, comments, line continuations and
/// separators whose last comment ends before `to`; if so, whether it holds
/// a separator.
fn gap(text: &str, from: usize, to: usize) -> Option<bool> {
    let bytes = text.as_bytes();
    let mut pos = from;
    let mut separated = false;
    while pos < to {
        match *bytes.get(pos)? {
            b' ' | b'\t' | b'\r' => pos += 1,
            b'\n' | b';' => {
                separated = true;
                pos += 1;
            }
            b'\\' => match (bytes.get(pos + 1), bytes.get(pos + 2)) {
                (Some(b'\n'), _) => pos += 2,
                (Some(b'\r'), Some(b'\n')) => pos += 3,
                _ => return None,
            },
            b'#' => pos += text.get(pos..to)?.find('\n')?,
            _ => return None,
        }
    }
    (pos == to).then_some(separated)
}

/// Moves every span of a statement from after `old` to after `new`.
fn shift(stmt: &mut Spanned<ast::Statement>, old: usize, new: usize) {
    let mut s = Shift { old, new };
    s.statement(stmt);
}

struct Shift {
    old: usize,
    new: usize,
}

impl Shift {
    fn span(&self, span: &mut Span) {
        let shift = |at: usize| at - self.old.min(at) + self.new;
        *span = Span::new(span.file, shift(span.start()), shift(span.end()));
    }

    fn spanned<T>(&self, s: &mut Spanned<T>) {
        self.span(&mut s.span);
    }

    fn statement(&mut self, stmt: &mut Spanned<ast::Statement>) {
        use ast::Statement as S;
        self.span(&mut stmt.span);
        match &mut stmt.node {
            S::Namespace(d) => {
                self.spanned(&mut d.name);
                if let Some(l) = &mut d.labels {
                    self.spanned(l);
                    self.labels(&mut l.node);
                }
                for s in d.body.iter_mut().flatten() {
                    self.statement(s);
                }
            }
            S::Tier(d) => {
                self.spanned(&mut d.tier);
                for s in &mut d.body {
                    self.statement(s);
                }
            }
            S::TierRule(r) => {
                self.spanned(&mut r.action);
                if let Some(side) = &mut r.side {
                    self.spanned(side);
                }
                self.targets(&mut r.sources);
                self.targets(&mut r.destinations);
            }
            S::Let(l) => {
                self.spanned(&mut l.name);
                self.targets(&mut l.targets);
            }
            S::Allow(a) => {
                self.targets(&mut a.sources);
                self.targets(&mut a.destinations);
            }
            S::Deny => {}
            S::Expect(e) => {
                self.spanned(&mut e.verdict);
                self.target(&mut e.source);
                self.target(&mut e.destination);
            }
            S::Dns(ast::Dns::None) => {}
            S::Dns(ast::Dns::Servers(t)) => self.targets(t),
            S::Scrape(s) => {
                self.target(&mut s.source);
                self.pod_part(&mut s.pods);
                self.ports(&mut s.ports);
            }
            S::Set(s) => {
                self.spanned(&mut s.key);
                self.spanned(&mut s.value);
            }
            S::Include(p) => self.spanned(p),
            S::Isolate(i) => {
                if let ast::IsolateDirections::Directions(d) = &mut i.directions {
                    for d in d {
                        self.spanned(d);
                    }
                }
                if let Some(only) = &mut i.only {
                    self.spanned(only);
                    for p in &mut only.node {
                        self.pod_part(p);
                    }
                }
            }
            S::No(c) => self.spanned(c),
            S::Invalid(i) => {
                for n in [&mut i.alias, &mut i.namespace].into_iter().flatten() {
                    self.spanned(n);
                }
            }
        }
    }

    fn targets(&self, targets: &mut [Spanned<ast::Target>]) {
        for t in targets {
            self.target(t);
        }
    }

    fn target(&self, t: &mut Spanned<ast::Target>) {
        use ast::Endpoint as E;
        self.spanned(t);
        self.spanned(&mut t.node.endpoint);
        match &mut t.node.endpoint.node {
            E::Pods { namespace, pods } => {
                self.spanned(namespace);
                if let ast::NamespacePart::Labels(l) = &mut namespace.node {
                    self.labels(l);
                }
                self.pod_part(pods);
            }
            E::Ip { cidr, except } => {
                self.spanned(cidr);
                for e in except {
                    self.spanned(e);
                }
            }
            E::LocalPods(l) => self.labels(l),
            E::World | E::Cluster | E::Alias(_) | E::Name(_) => {}
        }
        self.ports(&mut t.node.ports);
    }

    fn pod_part(&self, p: &mut Spanned<ast::PodPart>) {
        self.spanned(p);
        if let ast::PodPart::Labels(l) = &mut p.node {
            self.labels(l);
        }
    }

    fn labels(&self, l: &mut ast::LabelSet) {
        for e in &mut l.entries {
            self.spanned(e);
            self.spanned(&mut e.node.key);
            match &mut e.node.op {
                ast::LabelOp::Eq(v) | ast::LabelOp::NotEq(v) => self.spanned(v),
                ast::LabelOp::In(vs) | ast::LabelOp::NotIn(vs) => {
                    for v in vs {
                        self.spanned(v);
                    }
                }
                ast::LabelOp::Exists | ast::LabelOp::NotExists => {}
            }
        }
    }

    fn ports(&self, ports: &mut Option<Spanned<Vec<Spanned<ast::Port>>>>) {
        let Some(ports) = ports else {
            return;
        };
        self.spanned(ports);
        for p in &mut ports.node {
            self.spanned(p);
            if let Some(proto) = &mut p.node.protocol {
                self.spanned(proto);
            }
            match &mut p.node.value {
                ast::PortValue::Number(n) | ast::PortValue::Named(n) => self.spanned(n),
                ast::PortValue::Range(range) => {
                    self.spanned(&mut range.0);
                    self.spanned(&mut range.1);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(old: &str, new: &str) -> bool {
        let file = FileId(0);
        let mut cache = ParseCache::default();
        let path = Path::new("/p.npl");
        let (_, d) = cache.parse(path, file, old);
        assert!(d.is_empty(), "{old}");
        let reused = cache
            .files
            .get_mut(path)
            .is_some_and(|prev| reparse(prev, file, new));
        let mut fresh = ParseCache::default();
        let (a, da) = cache.parse(path, file, new);
        let (b, db) = fresh.parse(path, file, new);
        assert_eq!(a, b);
        assert_eq!(format!("{da:?}"), format!("{db:?}"));
        reused
    }

    #[test]
    fn an_edit_inside_one_statement_reparses_it_alone() {
        let old = "allow a/b -> c/d:80\nallow e/f -> g/h:80\nallow i/j -> k/l:80\n";
        assert!(check(
            old,
            "allow a/b -> c/d:80\nallow e/f -> g/h:8080\nallow i/j -> k/l:80\n"
        ));
        assert!(check(
            old,
            "allow a/b -> c/d:80\nallow e/f -> g/h:8\nallow i/j -> k/l:80\n"
        ));
        assert!(check(old, "allow a/b -> c/d:80\n\nallow i/j -> k/l:80\n"));
        assert!(check(
            old,
            "# x\nallow a/b -> c/d:80\nallow e/f -> g/h:80\nallow i/j -> k/l:80\n"
        ));
    }

    #[test]
    fn an_edit_that_joins_statements_is_parsed_whole() {
        let old = "allow a/b -> c/d:80\nallow e/f -> g/h:80\n";
        // The line break removed: a syntax error, never a re-use.
        assert!(!check(old, "allow a/b -> c/d:80allow e/f -> g/h:80\n"));
        // A continuation makes the next line part of the first statement.
        check(
            "allow a/b -> c/d\nallow e/f -> g/h:80\n",
            "allow a/b -> c/d \\\n:80\nallow e/f -> g/h:80\n",
        );
        check(
            "allow a/b -> c/d\nallow e/f -> g/h:80\n",
            "allow a/b -> c/d # c\\\n:80\nallow e/f -> g/h:80\n",
        );
        // A comment typed before a statement comments it out.
        assert!(!check(
            "allow a/b -> c/d\n\nallow e/f -> g/h:80\n",
            "allow a/b -> c/d\n# xallow e/f -> g/h:80\n",
        ));
    }

    #[test]
    fn spans_after_the_edit_move() {
        let old = "namespace a {\n  allow b -> c:80\n}\nnamespace d {\n  allow {x=y} -> e:{80, 90/udp}\n}\n";
        assert!(check(old, "namespace a {\n  allow b -> c:8080\n}\nnamespace d {\n  allow {x=y} -> e:{80, 90/udp}\n}\n"));
        assert!(check(old, "namespace a {\n  allow b -> c:8\n}\nnamespace d {\n  allow {x=y} -> e:{80, 90/udp}\n}\n"));
    }
}
