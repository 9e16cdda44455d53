//! Text from outside, made safe to show: a name, a label, a kind or a line
//! of a file printed on a terminal or written into a comment never carries
//! a control character that a terminal (`ESC [ 2 J`, `ESC ] 0 ;` titles) or
//! a reader (a line break that ends a comment) would act on: names and
//! messages are escaped ([`escape_controls`]), the lines of a file shown in
//! a snippet get visible pictures ([`control_pictures`]).

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

/// [`escape_controls`] line by line: the line feeds of a text of several
/// lines (a message, a note) stay line feeds, every other control character
/// (a carriage return too) is escaped.
pub fn escape_controls_in_lines(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && c != '\n') {
        return Cow::Borrowed(text);
    }
    let lines: Vec<Cow<'_, str>> = text.split('\n').map(escape_controls).collect();
    Cow::Owned(lines.join("\n"))
}

/// `text` as it is shown in a snippet, each character still one character
/// (positions counted in characters stay right): every control character
/// but a tab, a line feed and the carriage return of a `\r\n` shown as its
/// picture (`␛` for ESC, `␇` for BEL, `␍` for a lone carriage return, `␡`
/// for DEL), a C1 control and the Unicode line and paragraph separators as
/// `�`. Only `\n` then breaks a line, as it does for the NPL grammar and
/// every position npc reports.
pub fn control_pictures(text: &str) -> Cow<'_, str> {
    let shown_as_is = |(i, c): (usize, char)| match c {
        '\t' | '\n' => true,
        '\r' => text[i + 1..].starts_with('\n'),
        '\u{2028}' | '\u{2029}' => false,
        c => !c.is_control(),
    };
    if text.char_indices().all(shown_as_is) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for (i, c) in text.char_indices() {
        if shown_as_is((i, c)) {
            out.push(c);
        } else {
            out.push(match u32::from(c) {
                code @ 0..=0x1f => char::from_u32(0x2400 + code).unwrap_or('\u{fffd}'),
                0x7f => '\u{2421}',
                _ => '\u{fffd}',
            });
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

    #[test]
    fn lines_stay_lines() {
        assert_eq!(
            escape_controls_in_lines("a\u{1b}[2J\nb\r\n"),
            "a\\u{1b}[2J\nb\\r\n"
        );
        assert!(matches!(escape_controls_in_lines("a\nb"), Cow::Borrowed(_)));
    }

    #[test]
    fn pictures_keep_one_character_per_character() {
        assert!(matches!(control_pictures("a\tb\r\nc\n"), Cow::Borrowed(_)));
        for (text, shown) in [
            ("# \u{1b}]0;T\u{7}\u{1b}[2J", "# ␛]0;T␇␛[2J"),
            ("allow x\r# y\r\n", "allow x␍# y\r\n"),
            ("a\u{b}\u{c}\u{7f}\u{85}\u{2028}b\r", "a␋␌␡��b␍"),
            ("\0", "␀"),
        ] {
            assert_eq!(control_pictures(text), shown, "{text:?}");
            assert_eq!(control_pictures(text).chars().count(), text.chars().count());
        }
    }
}
