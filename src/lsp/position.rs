//! Positions: npc's byte offsets to the protocol's line/character pairs and
//! back, counting characters in UTF-8 or UTF-16 code units as negotiated.
//!
//! Out-of-range positions from the client are clamped, never trusted: a line
//! past the end means the end of the text, a character past the end of its
//! line means the end of that line, and a position inside a character means
//! the start of that character.

use lsp_types::{Position, PositionEncodingKind, Range};

/// How the `character` of a position counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

impl Encoding {
    /// UTF-8 when the client offers it (no conversion at all), else UTF-16,
    /// the protocol's default that every client supports.
    pub fn negotiate(offered: Option<&[PositionEncodingKind]>) -> Encoding {
        match offered {
            Some(kinds) if kinds.contains(&PositionEncodingKind::UTF8) => Encoding::Utf8,
            _ => Encoding::Utf16,
        }
    }

    pub fn kind(self) -> PositionEncodingKind {
        match self {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        }
    }
}

/// Where the lines of one text start. Lines end at `\n`, `\r\n` or a lone `\r`.
#[derive(Clone, Debug)]
pub struct LineIndex {
    /// Byte offset of the start of each line; the first is 0. Four bytes
    /// each: a buffer of line breaks costs four times its size, not eight.
    /// (Texts are at most 64 MiB; a larger offset saturates.)
    starts: Vec<u32>,
    len: usize,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        let at = |i: usize| u32::try_from(i).unwrap_or(u32::MAX);
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\n' => starts.push(at(i + 1)),
                b'\r' if bytes.get(i + 1) != Some(&b'\n') => starts.push(at(i + 1)),
                _ => {}
            }
            i += 1;
        }
        LineIndex {
            starts,
            len: text.len(),
        }
    }

    /// The byte offset where line `line` starts.
    fn start(&self, line: usize) -> Option<usize> {
        self.starts.get(line).map(|s| *s as usize)
    }

    /// The byte range of line `line` without its terminator.
    fn line_range(&self, text: &str, line: usize) -> (usize, usize) {
        let start = self.start(line).unwrap_or(self.len);
        let mut end = self.start(line + 1).unwrap_or(self.len);
        let bytes = text.as_bytes();
        if end > start && bytes.get(end - 1) == Some(&b'\n') {
            end -= 1;
        }
        if end > start && bytes.get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        (start, end)
    }

    /// The position of a byte offset (clamped to the text, moved back to a
    /// character boundary).
    pub fn position(&self, text: &str, offset: usize, encoding: Encoding) -> Position {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let key = u32::try_from(offset).unwrap_or(u32::MAX);
        let line = match self.starts.binary_search(&key) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let (start, end) = self.line_range(text, line);
        let prefix = text.get(start..offset.min(end)).unwrap_or("");
        let character = match encoding {
            Encoding::Utf8 => prefix.len(),
            Encoding::Utf16 => prefix.chars().map(char::len_utf16).sum(),
        };
        Position::new(to_u32(line), to_u32(character))
    }

    /// The byte offset of a position, clamped as the module explains.
    pub fn offset(&self, text: &str, position: Position, encoding: Encoding) -> usize {
        let line = position.line as usize;
        if line >= self.starts.len() {
            return text.len();
        }
        let (start, end) = self.line_range(text, line);
        let want = position.character as usize;
        let line_text = text.get(start..end).unwrap_or("");
        let mut units = 0;
        for (i, c) in line_text.char_indices() {
            if units >= want {
                return start + i;
            }
            units += match encoding {
                Encoding::Utf8 => c.len_utf8(),
                Encoding::Utf16 => c.len_utf16(),
            };
            if units > want {
                // Inside this character: its start.
                return start + i;
            }
        }
        end
    }

    pub fn range(&self, text: &str, start: usize, end: usize, encoding: Encoding) -> Range {
        Range::new(
            self.position(text, start, encoding),
            self.position(text, end.max(start), encoding),
        )
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(text: &str, encoding: Encoding) {
        let index = LineIndex::new(text);
        for (offset, _) in text.char_indices().chain([(text.len(), ' ')]) {
            let pos = index.position(text, offset, encoding);
            assert_eq!(
                index.offset(text, pos, encoding),
                offset,
                "{text:?} at {offset}"
            );
        }
    }

    #[test]
    fn ascii_offsets_are_columns() {
        let text = "namespace web\nallow web/a -> web/b\n";
        let index = LineIndex::new(text);
        assert_eq!(
            index.position(text, 20, Encoding::Utf16),
            Position::new(1, 6)
        );
        assert_eq!(index.offset(text, Position::new(1, 6), Encoding::Utf8), 20);
        roundtrip(text, Encoding::Utf8);
        roundtrip(text, Encoding::Utf16);
    }

    #[test]
    fn utf16_counts_code_units_not_bytes() {
        // `é` is 2 bytes and 1 UTF-16 unit; `𝄞` is 4 bytes and 2 units.
        let text = "# é𝄞\nlet x = web/a # ü\n";
        let index = LineIndex::new(text);
        let after_clef = "# é𝄞".len();
        assert_eq!(
            index.position(text, after_clef, Encoding::Utf16),
            Position::new(0, 5)
        );
        assert_eq!(
            index.position(text, after_clef, Encoding::Utf8),
            Position::new(0, 8)
        );
        assert_eq!(
            index.offset(text, Position::new(0, 5), Encoding::Utf16),
            after_clef
        );
        // A position inside the surrogate pair means the character's start.
        assert_eq!(
            index.offset(text, Position::new(0, 4), Encoding::Utf16),
            "# é".len()
        );
        roundtrip(text, Encoding::Utf8);
        roundtrip(text, Encoding::Utf16);
    }

    #[test]
    fn out_of_range_positions_are_clamped() {
        let text = "ab\r\ncd";
        let index = LineIndex::new(text);
        assert_eq!(index.offset(text, Position::new(0, 99), Encoding::Utf16), 2);
        assert_eq!(index.offset(text, Position::new(9, 0), Encoding::Utf16), 6);
        assert_eq!(
            index.position(text, 3, Encoding::Utf16),
            Position::new(0, 2)
        );
        assert_eq!(
            index.position(text, 99, Encoding::Utf8),
            Position::new(1, 2)
        );
        // An offset inside a character is moved back to its start.
        let text = "é";
        let index = LineIndex::new(text);
        assert_eq!(index.position(text, 1, Encoding::Utf8), Position::new(0, 0));
    }

    #[test]
    fn lone_carriage_returns_end_lines() {
        let text = "a\rb\nc";
        let index = LineIndex::new(text);
        assert_eq!(index.position(text, 2, Encoding::Utf8), Position::new(1, 0));
        assert_eq!(index.position(text, 4, Encoding::Utf8), Position::new(2, 0));
        roundtrip(text, Encoding::Utf16);
    }

    #[test]
    fn utf8_is_chosen_only_when_offered() {
        assert_eq!(Encoding::negotiate(None), Encoding::Utf16);
        assert_eq!(
            Encoding::negotiate(Some(&[PositionEncodingKind::UTF16])),
            Encoding::Utf16
        );
        assert_eq!(
            Encoding::negotiate(Some(&[
                PositionEncodingKind::UTF16,
                PositionEncodingKind::UTF8
            ])),
            Encoding::Utf8
        );
    }
}
