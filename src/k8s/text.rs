//! Text from outside, made safe to show: a name, a label, a kind or a line
//! of a file printed on a terminal or written into a comment never carries
//! a control character that a terminal (`ESC [ 2 J`, `ESC ] 0 ;` titles) or
//! a reader (a line break that ends a comment) would act on.

use std::borrow::Cow;

/// `text` with every control character (Unicode `Cc`: C0, DEL and C1)
/// written as an escape: `\n`, `\r`, `\t`, `\0`, else `\u{1b}`. Nothing
/// else changes, and text without one is returned as it is.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_nothing_else() {
        assert!(matches!(escape_controls("web/api-1"), Cow::Borrowed(_)));
        assert_eq!(escape_controls("naïve ✓ `x`\\"), "naïve ✓ `x`\\");
        assert_eq!(
            escape_controls("w\u{1b}]0;HIJACK\u{7}"),
            "w\\u{1b}]0;HIJACK\\u{7}"
        );
        assert_eq!(escape_controls("a\nb\r\tc\0"), "a\\nb\\r\\tc\\0");
        assert_eq!(
            escape_controls("\u{7f}\u{85}\u{9b}"),
            "\\u{7f}\\u{85}\\u{9b}"
        );
        let escaped = escape_controls("x\u{1b}[2J\u{9b}2J");
        assert!(!escaped.chars().any(char::is_control), "{escaped}");
    }
}
