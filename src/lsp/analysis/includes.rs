//! The files a file includes, read from its text even when it does not parse,
//! so that the server can find which program an open file belongs to.

use std::path::{Path, PathBuf};

/// The paths of the `include "..."` statements of `text`, joined to `dir`
/// (the including file's directory). Only `include` at the start of a line
/// (after blanks) or after `;` is seen; escapes in the path are honoured.
pub fn included_paths(text: &str, dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for line in text.lines() {
        for stmt in line.split(';') {
            let Some(rest) = stmt.trim_start().strip_prefix("include") else {
                continue;
            };
            let Some(rest) = rest.trim_start().strip_prefix('"') else {
                continue;
            };
            let mut path = String::new();
            let mut chars = rest.chars();
            let mut closed = false;
            while let Some(c) = chars.next() {
                match c {
                    '"' => {
                        closed = true;
                        break;
                    }
                    '\\' => path.extend(chars.next()),
                    c => path.push(c),
                }
            }
            if closed && !path.is_empty() {
                out.push(dir.join(path));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_includes() {
        let text = "# include \"not.npl\"\ninclude \"teams/a.npl\"\nnamespace x; include \"b.npl\"\ninclude \"open";
        assert_eq!(
            included_paths(text, Path::new("/p")),
            vec![PathBuf::from("/p/teams/a.npl"), PathBuf::from("/p/b.npl")]
        );
    }
}
