//! Layout of statement lists: one statement per line, indentation, comments and blank lines.

use std::ops::Range;

use super::comments::Comment;
use super::print;
use crate::source::Spanned;
use crate::syntax::ast::{NamespaceDecl, Statement, TierDecl};

const INDENT: &str = "  ";

/// Builds the output lines of one file.
pub(super) struct Printer<'t> {
    text: &'t str,
    comments: Vec<Comment>,
    lines: Vec<String>,
    /// Lines that end in a trailing comment: (line index, byte length of
    /// the code before it). Runs of such lines get their comments aligned.
    trailing: Vec<(usize, usize)>,
}

/// A statement or a comment that is not inside a statement, in source order.
enum Item<'a> {
    Statement(&'a Spanned<Statement>, Range<usize>),
    Comment(Comment),
}

impl<'t> Printer<'t> {
    pub fn new(text: &'t str, comments: Vec<Comment>) -> Self {
        Printer {
            text,
            comments,
            lines: Vec::new(),
            trailing: Vec::new(),
        }
    }

    /// The formatted text: no trailing whitespace, one final newline (none
    /// for an empty file).
    pub fn finish(mut self) -> String {
        self.align_trailing_comments();
        let mut out = String::new();
        for line in &self.lines {
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    /// Trailing comments on consecutive lines start in one column, two
    /// spaces after the longest code of the run (as gofmt does).
    fn align_trailing_comments(&mut self) {
        let mut run: Vec<(usize, usize)> = Vec::new();
        let trailing = std::mem::take(&mut self.trailing);
        for (i, &(line, width)) in trailing.iter().enumerate() {
            run.push((line, width));
            let next_continues = trailing.get(i + 1).is_some_and(|(l, _)| *l == line + 1);
            if !next_continues {
                self.align_run(&run);
                run.clear();
            }
        }
    }

    fn align_run(&mut self, run: &[(usize, usize)]) {
        let column = |line: &str, width: usize| line.get(..width).map_or(0, |c| c.chars().count());
        let Some(widest) = run
            .iter()
            .filter_map(|(l, w)| self.lines.get(*l).map(|line| column(line, *w)))
            .max()
        else {
            return;
        };
        for &(l, w) in run {
            let Some(line) = self.lines.get_mut(l) else {
                continue;
            };
            let (Some(code), Some(comment)) = (line.get(..w), line.get(w..)) else {
                continue;
            };
            let pad = widest - code.chars().count();
            *line = format!("{code}{}{}", " ".repeat(pad), comment);
        }
    }

    /// Lays out the statements of `region` (the file, or a block's inside)
    /// with the comments between them. `opener` is the offset just after a
    /// block's `{`: a comment on that line trails the block's header line.
    pub fn list(
        &mut self,
        statements: &[Spanned<Statement>],
        region: Range<usize>,
        depth: usize,
        opener: Option<usize>,
    ) {
        let mut items: Vec<(usize, Item<'_>)> = statements
            .iter()
            .map(|s| {
                let extent = s.span.start()..self.end_of(s);
                (extent.start, Item::Statement(s, extent))
            })
            .collect();
        let inside = |c: &Comment, items: &[(usize, Item<'_>)]| {
            items.iter().any(|(_, item)| match item {
                Item::Statement(_, extent) => extent.contains(&c.start),
                Item::Comment(_) => false,
            })
        };
        let free: Vec<Comment> = self
            .comments
            .iter()
            .filter(|c| region.contains(&c.start) && !inside(c, &items))
            .copied()
            .collect();
        items.extend(free.into_iter().map(|c| (c.start, Item::Comment(c))));
        items.sort_by_key(|(start, _)| *start);

        let indent = INDENT.repeat(depth);
        let mut prev_end = opener;
        let mut first = true;
        for (start, item) in items {
            if let (Item::Comment(c), Some(end)) = (&item, prev_end) {
                if self.trails(end, c.start) {
                    let index = self.lines.len().saturating_sub(1);
                    if let Some(last) = self.lines.last_mut() {
                        self.trailing.push((index, last.len()));
                        last.push_str("  ");
                        last.push_str(c.text(self.text));
                    }
                    prev_end = Some(c.end);
                    continue;
                }
            }
            if !first && prev_end.is_some_and(|end| self.blank_line_between(end, start)) {
                self.lines.push(String::new());
            }
            first = false;
            match item {
                Item::Comment(c) => {
                    self.lines.push(format!("{indent}{}", c.text(self.text)));
                    prev_end = Some(c.end);
                }
                Item::Statement(s, extent) => {
                    self.statement(s, extent.clone(), depth);
                    prev_end = Some(extent.end);
                }
            }
        }
    }

    fn statement(&mut self, s: &Spanned<Statement>, extent: Range<usize>, depth: usize) {
        let indent = INDENT.repeat(depth);
        let line = match &s.node {
            Statement::Namespace(decl) => {
                if self.namespace(decl, extent.clone(), depth) {
                    return;
                }
                None
            }
            Statement::Tier(decl) => {
                if self.tier(decl, extent.clone(), depth) {
                    return;
                }
                None
            }
            other => print::statement(other),
        };
        match line {
            Some(line) if !self.has_comment(extent.clone()) => {
                self.lines.push(format!("{indent}{line}"));
            }
            _ => self.verbatim(extent, depth),
        }
    }

    /// Lays out a namespace declaration; `false` when its header holds a
    /// comment (or its block cannot be found), so it must stay as written.
    fn namespace(&mut self, decl: &NamespaceDecl, extent: Range<usize>, depth: usize) -> bool {
        let indent = INDENT.repeat(depth);
        let header = print::namespace_header(decl);
        let Some(body) = &decl.body else {
            if self.has_comment(extent) {
                return false;
            }
            self.lines.push(format!("{indent}{header}"));
            return true;
        };
        let Some(open) = self.block_open(decl, extent.clone()) else {
            return false;
        };
        let close = extent.end.saturating_sub(1);
        if self.has_comment(extent.start..open) || self.text.get(close..extent.end) != Some("}") {
            return false;
        }
        if body.is_empty() && !self.has_comment(open..close) {
            self.lines.push(format!("{indent}{header} {{}}"));
            return true;
        }
        self.lines.push(format!("{indent}{header} {{"));
        self.list(body, open + 1..close, depth + 1, Some(open + 1));
        self.lines.push(format!("{indent}}}"));
        true
    }

    /// Lays out a tier block (`admin { ... }`); `false` when its head holds
    /// a comment or its braces cannot be found, so it must stay as written.
    fn tier(&mut self, decl: &TierDecl, extent: Range<usize>, depth: usize) -> bool {
        let indent = INDENT.repeat(depth);
        let header = decl.tier.node.as_str();
        let Some(open) = self.open_after(decl.tier.span.end(), extent.clone()) else {
            return false;
        };
        let close = extent.end.saturating_sub(1);
        if self.has_comment(extent.start..open) || self.text.get(close..extent.end) != Some("}") {
            return false;
        }
        if decl.body.is_empty() && !self.has_comment(open..close) {
            self.lines.push(format!("{indent}{header} {{}}"));
            return true;
        }
        self.lines.push(format!("{indent}{header} {{"));
        self.list(&decl.body, open + 1..close, depth + 1, Some(open + 1));
        self.lines.push(format!("{indent}}}"));
        true
    }

    /// The offset of a block's `{`: the first thing after the header.
    fn block_open(&self, decl: &NamespaceDecl, extent: Range<usize>) -> Option<usize> {
        let header_end = decl
            .labels
            .as_ref()
            .map_or(decl.name.span.end(), |l| l.span.end());
        self.open_after(header_end, extent)
    }

    /// The offset of the `{` that is the first thing after `header_end`.
    fn open_after(&self, header_end: usize, extent: Range<usize>) -> Option<usize> {
        let after = self.text.get(header_end..extent.end)?;
        let skipped = after.len()
            - after
                .trim_start_matches(|c: char| c.is_whitespace() || c == '\\')
                .len();
        let open = header_end + skipped;
        (self.text.get(open..=open) == Some("{")).then_some(open)
    }

    /// The statement as written: first line at the current indentation,
    /// further lines unchanged (trailing whitespace aside).
    fn verbatim(&mut self, extent: Range<usize>, depth: usize) {
        let indent = INDENT.repeat(depth);
        let text = self.text.get(extent).unwrap_or("");
        for (i, line) in text.lines().enumerate() {
            if i == 0 {
                self.lines.push(format!("{indent}{}", line.trim()));
            } else {
                self.lines.push(line.trim_end().to_string());
            }
        }
    }

    /// Where a statement really ends: its span can take in trailing blanks
    /// and a trailing comment, which belong to the layout, not to it.
    fn end_of(&self, s: &Spanned<Statement>) -> usize {
        let start = s.span.start();
        let mut end = s.span.end().min(self.text.len());
        loop {
            let kept = self
                .text
                .get(start..end)
                .unwrap_or("")
                .trim_end_matches(|c: char| c.is_whitespace() || c == '\\' || c == ';');
            end = start + kept.len();
            let tail = self
                .comments
                .iter()
                .find(|c| c.start >= start && c.start < end && c.end >= end);
            match tail {
                Some(c) => end = c.start,
                None => return end,
            }
        }
    }

    fn has_comment(&self, range: Range<usize>) -> bool {
        self.comments.iter().any(|c| range.contains(&c.start))
    }

    /// Whether a comment at `start` is on the line where an item ended at
    /// `end`, with only blanks and `;` between.
    fn trails(&self, end: usize, start: usize) -> bool {
        self.text.get(end..start).is_some_and(|gap| {
            gap.chars()
                .all(|c| c == ';' || (c.is_whitespace() && c != '\n'))
        })
    }

    /// Whether a whole blank line lies between two items.
    fn blank_line_between(&self, end: usize, start: usize) -> bool {
        let gap = self.text.get(end..start).unwrap_or("");
        let lines: Vec<&str> = gap.split('\n').collect();
        lines.len() > 2
            && lines[1..lines.len() - 1]
                .iter()
                .any(|l| l.trim().is_empty())
    }
}
