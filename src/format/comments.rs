//! Comments in NPL source: the grammar skips them, so the formatter finds them in the text.

/// A `#` comment: from the `#` to the end of its line (newline excluded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Comment {
    pub start: usize,
    pub end: usize,
}

impl Comment {
    /// The comment's text without trailing whitespace.
    pub fn text<'t>(&self, source: &'t str) -> &'t str {
        source.get(self.start..self.end).unwrap_or("").trim_end()
    }
}

/// Every comment in `text`: a `#` outside a double-quoted string starts one.
/// Strings cannot span lines and know two escapes, `\"` and `\\`. Scanning
/// bytes is safe: every byte looked at is ASCII, and UTF-8 continuation
/// bytes never are.
pub(super) fn find_comments(text: &str) -> Vec<Comment> {
    let bytes = text.as_bytes();
    let mut comments = Vec::new();
    let mut in_string = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if in_string => i += 1,
            b'"' => in_string = !in_string,
            b'\n' => in_string = false,
            b'#' if !in_string => {
                let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
                comments.push(Comment { start: i, end });
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    comments
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_in_string_is_not_a_comment() {
        let text = "include \"a#b\\\"#c\"  # real\nset x = y";
        let found = find_comments(text);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].text(text), "# real");
    }

    #[test]
    fn comment_runs_to_end_of_line_only() {
        let text = "a # one\r\nb\n# two";
        let texts: Vec<_> = find_comments(text).iter().map(|c| c.text(text)).collect();
        assert_eq!(texts, ["# one", "# two"]);
    }
}
