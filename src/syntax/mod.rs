//! Syntax: the pest grammar (`grammar/npl.pest`) and its lowering to the AST.
//! pest types never leave this module.
//!
//! Parsing never fails: [`parse`] always returns a tree. A file that parses
//! is parsed and lowered a run of top-level statements at a time (pest
//! holds a token per matched rule until a parse ends, so a whole large file
//! at once held forty bytes per byte of text); otherwise it is parsed
//! statement by statement, each syntax error is reported, the statement it
//! is in becomes [`ast::Statement::Invalid`], and parsing resumes at the
//! next line. A namespace block with an error inside keeps every statement
//! of its body that parsed. Later stages run on what parsed, so one run
//! reports a syntax error on line 2 and an unknown alias on line 9.

pub mod ast;
mod incremental;
mod lower;
mod names;
pub mod tokens;
pub use names::{
    BLOCK_KEYWORDS, BLOCK_ONLY_KEYWORDS, CARVEOUTS, CNI_VALUES, ISOLATE_ONLY, ISOLATE_WORDS,
    KEYWORDS, PROTOCOLS, SETTINGS, STATEMENT_KEYWORDS, TIER_ACTIONS, TIER_BLOCK_KEYWORDS,
    TIER_KEYWORDS, VERDICTS,
};

use pest::Parser as _;

use crate::diagnostic::{codes, Diagnostic, Diagnostics};
use crate::source::{FileId, Span, Spanned};

pub use incremental::ParseCache;
pub use names::rule_name;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/npl.pest"]
pub(crate) struct NplParser;

/// At most this many syntax errors are reported for one file; parsing goes
/// on after that, silently.
const MAX_SYNTAX_ERRORS: usize = 10;

/// Parses one file into a tree and the syntax errors found.
pub fn parse(file: FileId, text: &str) -> (ast::File, Diagnostics) {
    let mut diags = Diagnostics::default();
    match parse_runs(file, text) {
        Ok(statements) => return (ast::File { statements }, diags),
        // A run that parsed but could not be lowered, reported; then the
        // file is parsed statement by statement, as after a syntax error.
        Err(Some(d)) => diags.push(*d),
        Err(None) => {}
    }
    let mut recovery = Recovery {
        file,
        text,
        diags,
        reported: 0,
        work: 0,
        budget: RECOVERY_WORK_PER_BYTE * text.len() + RECOVERY_WORK_MIN,
    };
    let (statements, _) = recovery.items(0, Context::Top);
    (ast::File { statements }, recovery.diags)
}

/// A file without syntax errors, parsed and lowered a run of top-level
/// statements at a time (`statement_run`): the same tree as parsing `file`
/// at once, with pest's token queue as long as one run instead of the
/// whole file. Stops at the first run that does not parse (`Err(None)`:
/// neither does the file as a whole) or does not lower (its diagnostic).
fn parse_runs(
    file: FileId,
    text: &str,
) -> Result<Vec<Spanned<ast::Statement>>, Option<Box<Diagnostic>>> {
    let mut statements = Vec::new();
    let mut pos = skip_trivia(text, 0);
    while let Some(rest) = text.get(pos..).filter(|rest| !rest.is_empty()) {
        let pairs = NplParser::parse(Rule::statement_run, rest).map_err(|_| None)?;
        let end = pairs
            .peek()
            .map_or(text.len(), |run| pos + run.as_span().end());
        let lower = lower::Lower {
            file,
            base: pos,
            in_block: false,
            comments: text.get(pos..end).is_none_or(|run| run.contains('#')),
        };
        statements.extend(lower.statement_run(pairs).map_err(Some)?);
        pos = skip_trivia(text, end);
    }
    Ok(statements)
}

/// Recovery parses statement by statement; a broken statement can make the
/// parser scan far ahead (an unclosed block), so the total text scanned is
/// bounded, keeping recovery linear in the size of the file.
const RECOVERY_WORK_PER_BYTE: usize = 8;
const RECOVERY_WORK_MIN: usize = 1 << 16;

/// Parses an `npc explain` query, `SRC -> DST[:PORTS]`, held in `file`.
pub fn parse_query(file: FileId, text: &str) -> Result<ast::Query, Box<Diagnostic>> {
    match NplParser::parse(Rule::query, text) {
        Ok(pairs) => (lower::Lower {
            file,
            base: 0,
            in_block: false,
            comments: true,
        })
        .query(pairs),
        Err(e) => {
            let (mut diag, _) = syntax_diagnostic(file, text, 0, &e, Context::Top);
            diag.message = diag.message.replace("end of file", "the end of the query");
            diag.primary = diag
                .primary
                .map(|p| p.replace("end of file", "the end of the query"));
            // The help is the query's form; the file's edits do not apply.
            diag.suggestions.clear();
            diag.help = Some(
                "a query is one connection, `SRC -> DST[:PORTS]`, with endpoints written as in an `expect` line (e.g. `web/frontend -> payments/api:8080`)"
                    .to_string(),
            );
            Err(Box::new(diag))
        }
    }
}

/// Where recovery parses statements: what a statement may be there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Context {
    Top,
    /// A namespace block's body.
    Namespace,
    /// A tier block's body: `accept|deny|pass ...` and `no dns`.
    Tier,
}

impl Context {
    fn in_block(self) -> bool {
        self != Context::Top
    }

    /// The rule one statement of this context is parsed with.
    fn line_rule(self) -> Rule {
        match self {
            Context::Tier => Rule::tier_statement_line,
            Context::Top | Context::Namespace => Rule::statement_line,
        }
    }
}

/// Statement-by-statement parsing of a file with syntax errors.
struct Recovery<'t> {
    file: FileId,
    text: &'t str,
    diags: Diagnostics,
    reported: usize,
    /// Bytes the parser has scanned so far, and the most it may scan.
    work: usize,
    budget: usize,
}

impl<'t> Recovery<'t> {
    /// Parses `rule` on the statement that starts at `pos` (see [`extent`]),
    /// counting the text handed to the parser against the budget; `None`
    /// when the budget is spent.
    fn attempt(
        &mut self,
        rule: Rule,
        pos: usize,
    ) -> Option<Result<pest::iterators::Pairs<'t, Rule>, pest::error::Error<Rule>>> {
        if self.work > self.budget {
            return None;
        }
        let window = self.text.get(pos..extent(self.text, pos))?;
        // pest locates an error by scanning from the end of its input, so
        // the input is one statement, never the rest of the file.
        self.work += window.len();
        Some(NplParser::parse(rule, window))
    }

    /// Statements from `pos` to the end of the file, or (in a block) to the
    /// `}` that closes it; returns them and where they end.
    fn items(&mut self, mut pos: usize, context: Context) -> (Vec<Spanned<ast::Statement>>, usize) {
        let in_block = context.in_block();
        let mut statements = Vec::new();
        loop {
            pos = skip_trivia(self.text, pos);
            let Some(rest) = self.text.get(pos..) else {
                return (statements, self.text.len());
            };
            if rest.is_empty() || (in_block && rest.starts_with('}')) {
                return (statements, pos);
            }
            if self.work > self.budget {
                self.report(
                    Diagnostic::new(
                        codes::SYNTAX,
                        Span::new(self.file, pos, pos),
                        "too many syntax errors: the rest of the file is not checked",
                    )
                    .with_primary("parsing stopped here")
                    .with_help("fix the errors above and run npc again"),
                );
                let end = self.text.len();
                statements.push(Spanned::new(
                    ast::Statement::Invalid(Box::default()),
                    Span::new(self.file, pos, end),
                ));
                return (statements, end);
            }
            if let Some((stmt, end)) = self.statement_at(pos, context) {
                statements.push(stmt);
                pos = end;
                continue;
            }
            // Blocks do not nest: a namespace inside a block is an error,
            // and never a reason to recurse.
            if let Some((stmt, end)) = (!in_block).then(|| self.block_at(pos)).flatten() {
                statements.push(stmt);
                pos = end;
                continue;
            }
            // The statement does not parse: report it and go on after it.
            // (A statement that parses but could not be lowered was
            // reported by `statement_at`.)
            let at = match self.attempt(context.line_rule(), pos) {
                Some(Err(error)) => {
                    let (diag, at) = syntax_diagnostic(self.file, self.text, pos, &error, context);
                    self.report(diag);
                    at
                }
                Some(Ok(_)) | None => pos,
            };
            let end = resume_point(self.text, pos, at, in_block);
            statements.push(Spanned::new(
                ast::Statement::Invalid(Box::new(invalid(self.file, self.text, pos))),
                Span::new(self.file, pos, end.max(pos)),
            ));
            pos = end;
        }
    }

    fn report(&mut self, diag: Diagnostic) {
        self.reported += 1;
        if self.reported <= MAX_SYNTAX_ERRORS {
            self.diags.push(diag);
        }
    }

    /// One whole statement at `pos`, and where it ends.
    fn statement_at(
        &mut self,
        pos: usize,
        context: Context,
    ) -> Option<(Spanned<ast::Statement>, usize)> {
        let pairs = self.attempt(context.line_rule(), pos)?.ok()?;
        let lower = lower::Lower {
            file: self.file,
            base: pos,
            // A dotted bare word in a namespace block is a workload.
            in_block: context == Context::Namespace,
            comments: true,
        };
        match lower.statement_line(pairs) {
            Ok(stmt) => {
                let end = stmt.span.end();
                Some((stmt, end))
            }
            Err(d) => {
                self.report(*d);
                None
            }
        }
    }

    /// A namespace or tier block with errors inside: its header, every
    /// statement of its body that parses, and its closing `}`.
    fn block_at(&mut self, pos: usize) -> Option<(Spanned<ast::Statement>, usize)> {
        let lower = lower::Lower {
            file: self.file,
            base: pos,
            in_block: false,
            comments: true,
        };
        let (header_end, kind) = match self.attempt(Rule::namespace_header, pos)? {
            Ok(pairs) => {
                let end = pos + pairs.clone().next()?.as_span().end();
                (
                    end,
                    BlockKind::Namespace(lower.namespace_header(pairs).ok()?),
                )
            }
            Err(_) => {
                let pairs = self.attempt(Rule::tier_header, pos)?.ok()?;
                let end = pos + pairs.clone().next()?.as_span().end();
                (end, BlockKind::Tier(lower.tier_header(pairs).ok()?))
            }
        };
        let (statement, context) = match kind {
            BlockKind::Namespace(decl) => (
                ast::Statement::Namespace(Box::new(decl)),
                Context::Namespace,
            ),
            BlockKind::Tier(decl) => (ast::Statement::Tier(Box::new(decl)), Context::Tier),
        };
        let (body, end) = self.items(header_end, context);
        let statement = match statement {
            ast::Statement::Namespace(mut decl) => {
                decl.body = Some(body);
                ast::Statement::Namespace(decl)
            }
            ast::Statement::Tier(mut decl) => {
                decl.body = body;
                ast::Statement::Tier(decl)
            }
            other => other,
        };
        let end = if self.text.get(end..).is_some_and(|r| r.starts_with('}')) {
            end + 1
        } else {
            let at = self.text.len();
            self.report(
                Diagnostic::new(
                    codes::SYNTAX,
                    Span::new(self.file, pos, header_end),
                    "this `{` block is never closed",
                )
                .with_primary("opened here")
                .with_help(match context {
                    Context::Tier => "end the tier block with `}` on a line of its own",
                    _ => "end the namespace block with `}` on a line of its own",
                }),
            );
            at
        };
        Some((Spanned::new(statement, Span::new(self.file, pos, end)), end))
    }
}

/// The head of a block recovery parses statement by statement.
enum BlockKind {
    Namespace(ast::NamespaceDecl),
    Tier(ast::TierDecl),
}

/// What a broken statement seems to define: `let NAME` or `namespace NAME`.
fn invalid(file: FileId, text: &str, pos: usize) -> ast::Invalid {
    let line = text.get(pos..).unwrap_or("");
    let line = &line[..line.find(['\n', ';']).unwrap_or(line.len())];
    let mut words = line.split_whitespace();
    let keyword = words.next();
    let name = words.next().map(|w| {
        w.split(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
            .next()
            .unwrap_or("")
    });
    let named = |w: &str| {
        let start = pos + line.find(w).unwrap_or(0);
        Spanned::new(w.to_string(), Span::new(file, start, start + w.len()))
    };
    match (keyword, name) {
        (Some("let"), Some(n)) if !n.is_empty() => ast::Invalid {
            alias: Some(named(n)),
            namespace: None,
        },
        (Some("namespace"), Some(n)) if !n.is_empty() => ast::Invalid {
            alias: None,
            namespace: Some(named(n)),
        },
        _ => ast::Invalid::default(),
    }
}

/// Where the statement starting at `pos` can end at the latest: the first
/// line break or `;` outside braces (label and port sets may span lines, a
/// block spans to its `}`), or a `}` that closes an enclosing block.
fn extent(text: &str, pos: usize) -> usize {
    let bytes = text.as_bytes();
    let mut depth: usize = 0;
    let mut i = pos;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                // A string ends at its closing quote or the end of the line.
                i += 1;
                while let Some(&c) = bytes.get(i) {
                    match c {
                        b'\\' => i += 1,
                        b'"' | b'\n' => break,
                        _ => {}
                    }
                    i += 1;
                }
                if bytes.get(i) == Some(&b'\n') {
                    continue;
                }
            }
            b'#' => {
                i += text[i..].find('\n').unwrap_or(text.len() - i);
                continue;
            }
            b'\\' if bytes.get(i + 1) == Some(&b'\n') => i += 1,
            b'{' | b'(' => depth += 1,
            b'}' | b')' if depth == 0 => return i,
            b'}' | b')' => depth -= 1,
            b'\n' | b';' if depth == 0 => return i,
            _ => {}
        }
        i += 1;
    }
    text.len()
}

/// Skips blanks, line breaks, `;`, comments and line continuations.
fn skip_trivia(text: &str, mut pos: usize) -> usize {
    let bytes = text.as_bytes();
    while let Some(&b) = bytes.get(pos) {
        match b {
            b' ' | b'\t' | b'\r' | b'\n' | b';' => pos += 1,
            b'\\' if bytes.get(pos + 1) == Some(&b'\n') => pos += 2,
            b'\\' if bytes.get(pos + 1..pos + 3) == Some(b"\r\n") => pos += 3,
            b'#' => pos += text[pos..].find('\n').unwrap_or(text.len() - pos),
            _ => break,
        }
    }
    pos
}

/// Where parsing resumes after a statement at `start` failed at `at`: the
/// next line. When the broken statement is the head of a block (its line
/// ends in `{`), the whole block is skipped, so its body is not mistaken for
/// top-level statements. In a block, a `}` ends the search.
fn resume_point(text: &str, start: usize, at: usize, in_block: bool) -> usize {
    let line_end = |from: usize| text[from..].find('\n').map_or(text.len(), |i| from + i);
    let end = line_end(at.max(start).min(text.len()));
    let line = &text[start..end];
    let opens_block = line
        .split(" #")
        .next()
        .is_some_and(|code| code.trim_end().ends_with('{'));
    let mut pos = (end + 1).min(text.len());
    if opens_block {
        let mut depth = unbalanced_braces(line);
        while depth > 0 && pos < text.len() {
            let next = line_end(pos);
            depth += unbalanced_braces(&text[pos..next]);
            pos = (next + 1).min(text.len());
        }
    } else if in_block && unbalanced_braces(line) < 0 {
        // The broken line also closed the block: resume at its `}`.
        if let Some(i) = line.rfind('}') {
            return start + i;
        }
    }
    pos
}

/// `{` minus `}` on a line, outside comments and quoted strings.
fn unbalanced_braces(line: &str) -> isize {
    let mut depth = 0;
    let mut quoted = false;
    let mut escaped = false;
    for c in line.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '#' if !quoted => break,
            '{' if !quoted => depth += 1,
            '}' if !quoted => depth -= 1,
            _ => {}
        }
    }
    depth
}

fn syntax_diagnostic(
    file: FileId,
    text: &str,
    offset: usize,
    error: &pest::error::Error<Rule>,
    context: Context,
) -> (Diagnostic, usize) {
    let at = offset
        + match error.location {
            pest::error::InputLocation::Pos(p) => p,
            pest::error::InputLocation::Span((s, _)) => s,
        };
    let at = at.min(text.len());
    let found = found_token(text, at);
    let expected = match &error.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => {
            names::describe_expected(positives)
        }
        pest::error::ErrorVariant::CustomError { message } => {
            // The parser's own limits (nesting too deep).
            let diag = Diagnostic::new(
                codes::SYNTAX,
                Span::new(file, at, at),
                format!("the parser stopped here: {message}"),
            )
            .with_primary("nested too deeply")
            .with_help("namespace blocks do not nest; close each block with `}` before the next `namespace`");
            return (diag, at);
        }
    };
    // The span covers the token, but not more than an echo's worth of it.
    let shown = found
        .char_indices()
        .nth(crate::diagnostic::MAX_ECHO)
        .map_or(found.len(), |(i, _)| i);
    let end = (at + shown.max(1)).min(text.len().max(at));
    let span = Span::new(file, at, end.max(at));
    let found_text = if found.is_empty() {
        if at >= text.len() {
            "end of file".to_string()
        } else {
            "end of line".to_string()
        }
    } else if found == "\r" {
        "a carriage return without a line feed".to_string()
    } else {
        format!("`{found}`")
    };
    let mut diag = Diagnostic::new(
        codes::SYNTAX,
        span,
        format!("expected {expected}, found {found_text}"),
    )
    .with_primary(format!("expected {expected}"));
    let place = match context {
        Context::Top => names::Place::Top,
        Context::Namespace => names::Place::Namespace,
        Context::Tier => names::Place::Tier,
    };
    if let Some(hint) = names::hint(text, at, &found, place) {
        diag = diag.with_help(hint.help);
        if let Some(fix) = hint.fix {
            diag = diag.with_suggestion(
                fix.title,
                Span::new(file, fix.start, fix.end),
                fix.text,
                fix.applicability,
            );
        }
    }
    (diag, at)
}

/// The token at `at`, for "found ..." in syntax errors.
fn found_token(text: &str, at: usize) -> String {
    let rest = text.get(at..).unwrap_or("");
    let first = rest.chars().next();
    match first {
        None | Some('\n') => String::new(),
        Some(c) if c.is_alphanumeric() || c == '_' || c == '-' || c == '.' => rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
            .collect(),
        Some('-') if rest.starts_with("->") => "->".to_string(),
        Some(c) => c.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tree of a file parsed at once with `file`, as before runs.
    fn whole(text: &str) -> Option<ast::File> {
        let pairs = NplParser::parse(Rule::file, text).ok()?;
        (lower::Lower {
            file: FileId(0),
            base: 0,
            in_block: false,
            comments: true,
        })
        .file(pairs)
        .ok()
    }

    fn runs(text: &str) -> Option<ast::File> {
        parse_runs(FileId(0), text)
            .ok()
            .map(|statements| ast::File { statements })
    }

    /// Every program in the repository parses run by run to the tree it
    /// parses to at once, and fails run by run where it fails at once.
    #[test]
    fn runs_parse_as_the_whole_file() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut dirs = vec![root.join("examples"), root.join("tests")];
        let mut seen = 0;
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "npl") {
                    let Ok(text) = std::fs::read_to_string(&path) else {
                        continue;
                    };
                    assert_eq!(runs(&text), whole(&text), "{}", path.display());
                    seen += 1;
                }
            }
        }
        assert!(seen > 50, "only {seen} programs found");
    }

    #[test]
    fn runs_cover_separators_comments_and_long_files() {
        let mut long = String::new();
        for i in 0..200 {
            long.push_str(&format!("allow a/w{i} -> b/x:{}  # {i}\n", 1000 + i));
        }
        let cases = [
            "",
            "\n\n# only a comment",
            "allow a/b -> c/d",
            "allow a/b -> c/d;allow c/d -> e/f;;",
            "allow a/b -> c/d \\\n  , e/f\nallow x/y -> z/w",
            "allow a/b -> c/d \\\r\n  , e/f\r\nallow x/y -> z/w\r\n",
            "namespace a {\n  allow w -> b/x:80\n}\nnamespace b labels {team=x,\n  tier=y}\n",
            "allow a/b -> c/d # trailing; comment\n\n\tallow e/f -> g/h:{80,\n443}",
            // Not programs: both must refuse them.
            "allow a/b -> c/d allow e/f -> g/h",
            "allow a/b -> c/d\n}",
            "namespace a {\n allow w -> b/x\n",
            "allow a/b -> c/d\n\\",
            long.as_str(),
        ];
        for (i, text) in cases.into_iter().enumerate() {
            assert_eq!(runs(text), whole(text), "{text:?}");
            assert_eq!(runs(text).is_some(), !(8..12).contains(&i), "{text:?}");
        }
        assert_eq!(runs(&long).map(|f| f.statements.len()), Some(200));
    }
}
