//! `npc fmt`: the canonical layout of NPL source, comments kept.
//!
//! The file is parsed with [`crate::syntax::parse`]; each statement is
//! printed again from its AST ([`print`]), and the comments, which the
//! grammar skips, are found in the text ([`comments`]) and put back around
//! the statements by position ([`layout`]). A statement with a comment inside
//! it (a multi-line label set, say) is kept as written: a comment is never
//! dropped.

mod comments;
mod layout;
mod print;

use crate::diagnostic::Diagnostics;
use crate::source::FileId;
use crate::syntax;

/// Formats one NPL file. On syntax errors, returns the diagnostics (against
/// `FileId(0)`) and the caller leaves the file untouched.
pub fn format(text: &str) -> Result<String, Diagnostics> {
    // A byte-order mark is not part of the program: the formatted text has none.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let (ast, diagnostics) = syntax::parse(FileId(0), text);
    if diagnostics.has_errors() {
        return Err(diagnostics);
    }
    let mut printer = layout::Printer::new(text, comments::find_comments(text));
    printer.list(&ast.statements, 0..text.len(), 0, None);
    Ok(printer.finish())
}
