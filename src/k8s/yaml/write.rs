//! Block YAML that every reader agrees on, written value by value.
//!
//! Kubernetes manifests are read by YAML 1.2 libraries (serde_yaml, go-yaml
//! v3) and by YAML 1.1 ones (kubectl's sigs.k8s.io/yaml on go-yaml v2,
//! PyYAML, and so every Python tool). A plain `on`, `yes`, `1_000`, `1:20` or
//! `2024-01-15` is a string in YAML 1.2 and a boolean, number or timestamp in
//! YAML 1.1, so a label value written that way selects nothing, or is
//! rejected, depending on who reads it. This writer decides the style of
//! every string when it writes it: plain only where both families read the
//! same string back, else single-quoted, else double-quoted with escapes.
//!
//! The layout follows libyaml's block style (what `serde_yaml` writes):
//! two-space indentation, sequences in mappings not indented, `{}` and `[]`
//! for empty collections, no line folding.

use std::fmt::Write as _;

use super::block::BlockWriter;
use crate::k8s::object::{push_spaces, ObjectWriter};

/// A YAML value to write. Strings borrow from the caller.
#[derive(Clone, Debug, PartialEq)]
pub enum Node<'a> {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(&'a str),
    Seq(Vec<Node<'a>>),
    Map(Vec<(Node<'a>, Node<'a>)>),
    /// `!tag value` (the tag without its `!`)
    Tagged(String, Box<Node<'a>>),
}

impl<'a> Node<'a> {
    /// A mapping with string keys.
    pub fn map(entries: Vec<(&'a str, Node<'a>)>) -> Node<'a> {
        Node::Map(
            entries
                .into_iter()
                .map(|(k, v)| (Node::Str(k), v))
                .collect(),
        )
    }

    /// A number as JSON and YAML values give it: integer first, then float.
    fn number(i: Option<i64>, u: Option<u64>, f: Option<f64>) -> Node<'a> {
        match (i, u, f) {
            (Some(i), _, _) => Node::Int(i128::from(i)),
            (None, Some(u), _) => Node::Int(i128::from(u)),
            (None, None, Some(f)) => Node::Float(f),
            (None, None, None) => Node::Null,
        }
    }

    /// A JSON value (as serde serializes API objects), keys in its order.
    pub fn from_json(value: &'a serde_json::Value) -> Node<'a> {
        use serde_json::Value;
        match value {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(*b),
            Value::Number(n) => Node::number(n.as_i64(), n.as_u64(), n.as_f64()),
            Value::String(s) => Node::Str(s),
            Value::Array(items) => Node::Seq(items.iter().map(Node::from_json).collect()),
            Value::Object(map) => Node::Map(
                map.iter()
                    .map(|(k, v)| (Node::Str(k), Node::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// A YAML value as `serde_yaml` read it (aliases already expanded),
    /// keys in document order.
    pub fn from_yaml(value: &'a serde_yaml::Value) -> Node<'a> {
        use serde_yaml::Value;
        match value {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(*b),
            Value::Number(n) => Node::number(n.as_i64(), n.as_u64(), n.as_f64()),
            Value::String(s) => Node::Str(s),
            Value::Sequence(items) => Node::Seq(items.iter().map(Node::from_yaml).collect()),
            Value::Mapping(map) => Node::Map(
                map.iter()
                    .map(|(k, v)| (Node::from_yaml(k), Node::from_yaml(v)))
                    .collect(),
            ),
            Value::Tagged(tagged) => {
                let tag = tagged.tag.to_string();
                Node::Tagged(
                    tag.trim_start_matches('!').to_string(),
                    Box::new(Node::from_yaml(&tagged.value)),
                )
            }
        }
    }
}

/// Appends `node` as one YAML document (without `---`), ending in a newline.
pub fn write_document(out: &mut String, node: &Node<'_>) {
    write_node(&mut BlockWriter::new(out), node);
}

/// A whole document as a string.
pub fn to_string(node: &Node<'_>) -> String {
    let mut out = String::new();
    write_document(&mut out, node);
    out
}

/// Writes `node` as the next value of `w`.
pub fn write_node(w: &mut BlockWriter<'_>, node: &Node<'_>) {
    match node {
        Node::Null => w.null(),
        Node::Bool(b) => w.bool(*b),
        Node::Int(n) => match i64::try_from(*n) {
            Ok(n) => w.int(n),
            Err(_) => w.int128(*n),
        },
        Node::Float(f) => w.float(*f),
        Node::Str(s) => w.str(s),
        Node::Seq(items) => {
            w.seq(items.len());
            for item in items {
                write_node(w, item);
            }
            w.end();
        }
        Node::Map(entries) => {
            w.map(entries.len());
            for (key, value) in entries {
                match key {
                    Node::Str(s) => w.key(s),
                    Node::Null | Node::Bool(_) | Node::Int(_) | Node::Float(_) => {
                        w.key_inline(|out| write_inline(out, key));
                    }
                    _ => {
                        w.complex_key();
                        write_node(w, key);
                        w.end_complex_key();
                    }
                }
                write_node(w, value);
            }
            w.end();
        }
        Node::Tagged(tag, inner) => {
            w.tag(tag);
            write_node(w, inner);
        }
    }
}

/// Longer keys are not simple keys for libyaml: they are written `? key`.
const MAX_SIMPLE_KEY: usize = 128;

/// Whether a multi-line string is written as a literal block (`|`), as
/// libyaml does: only `\n` line breaks, no special characters, no spaces
/// before a line break or at the very end.
pub(super) fn literal_allowed(s: &str) -> bool {
    if !s.contains('\n') || s.contains(['\r', '\u{85}', '\u{2028}', '\u{2029}']) {
        return false;
    }
    let analysis = analyze(s);
    analysis.block_allowed
}

/// `|` with libyaml's indentation and chomping indicators, then the lines
/// at column `col` (empty lines without indentation).
pub(super) fn write_literal(out: &mut String, s: &str, col: usize) {
    out.push('|');
    if s.starts_with([' ', '\n']) {
        out.push('2');
    }
    let content = match s.strip_suffix('\n') {
        None => {
            out.push('-');
            s
        }
        Some(rest) if rest.is_empty() || rest.ends_with('\n') => {
            out.push('+');
            rest
        }
        Some(rest) => rest,
    };
    out.push('\n');
    for line in content.split('\n') {
        if !line.is_empty() {
            push_spaces(out, col);
            out.push_str(line);
        }
        out.push('\n');
    }
}

/// A scalar key (or a scalar or empty collection in general), inline.
fn write_inline(out: &mut String, node: &Node<'_>) {
    match node {
        Node::Null => out.push_str("null"),
        Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Node::Int(n) => {
            let _ = write!(out, "{n}");
        }
        Node::Float(f) => write_float(out, *f),
        Node::Str(s) => write_str(out, s),
        Node::Seq(_) => out.push_str("[]"),
        Node::Map(_) => out.push_str("{}"),
        Node::Tagged(tag, inner) => {
            out.push('!');
            out.push_str(tag);
            out.push(' ');
            write_inline(out, inner);
        }
    }
}

/// A float both YAML families read as a float: a `.` in the mantissa and a
/// signed exponent (YAML 1.1 requires both).
pub(super) fn write_float(out: &mut String, f: f64) {
    if f.is_nan() {
        out.push_str(".nan");
    } else if f.is_infinite() {
        out.push_str(if f > 0.0 { ".inf" } else { "-.inf" });
    } else {
        let text = format!("{f:?}");
        match text.split_once('e') {
            Some((mantissa, exponent)) => {
                out.push_str(mantissa);
                if !mantissa.contains('.') {
                    out.push_str(".0");
                }
                out.push('e');
                if !exponent.starts_with('-') {
                    out.push('+');
                }
                out.push_str(exponent);
            }
            None => out.push_str(&text),
        }
    }
}

/// How a string is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
}

/// The style this writer uses for `s`: plain where every reader gets `s`
/// back, single-quoted where that suffices, double-quoted with escapes for
/// line breaks and characters that cannot appear as they are.
pub fn style(s: &str) -> Style {
    // Names, label keys and values: a letter, then letters, digits and
    // `._/-` only. Nothing in them is an indicator, a space or special, so
    // the analysis below would allow them plain; only the words of
    // `resolves_to_non_string` need quotes.
    // (Those words have at most five letters.)
    if plain_word(s) {
        return Style::Plain;
    }
    // Text of a few safe characters (a source annotation, an address):
    // the analysis would allow it plain and single-quoted.
    if plain_text(s) {
        return if resolves_to_non_string(s) {
            Style::SingleQuoted
        } else {
            Style::Plain
        };
    }
    analysed_style(s)
}

/// The style of libyaml's full analysis (and the readers' resolution of
/// plain scalars), without [`style`]'s shortcuts.
fn analysed_style(s: &str) -> Style {
    let analysis = analyze(s);
    if analysis.plain_allowed && !resolves_to_non_string(s) {
        Style::Plain
    } else if analysis.single_quoted_allowed {
        Style::SingleQuoted
    } else {
        Style::DoubleQuoted
    }
}

/// A simple word that every reader reads as a string: written plain.
fn plain_word(s: &str) -> bool {
    simple_word(s) && (s.len() > 5 || !resolves_to_non_string(s))
}

/// Appends `s` as a mapping key (`key`, quoted as [`style`] decides) if
/// it is a simple key; false, with nothing written, if it must be written
/// `? key`.
pub(super) fn write_simple_key(out: &mut String, s: &str) -> bool {
    if s.len() > MAX_SIMPLE_KEY {
        return false;
    }
    if plain_word(s) {
        out.push_str(s);
        return true;
    }
    if s.bytes().any(|b| b == b'\n' || b == b'\r') {
        return false;
    }
    write_str(out, s);
    true
}

/// Whether [`write_simple_key`] writes `s` as it is, without quotes.
pub(super) fn plain_key(s: &str) -> bool {
    s.len() <= MAX_SIMPLE_KEY && plain_word(s)
}

/// A letter or digit, then letters, digits, spaces and `._/-,;:=+`, where
/// no `:` is followed by a space or ends the text and no space ends it:
/// nothing libyaml's analysis counts as an indicator, a space at an end,
/// a line break or special (no `#` at all).
fn plain_text(s: &str) -> bool {
    let b = s.as_bytes();
    b.first().is_some_and(u8::is_ascii_alphanumeric)
        && b.iter().all(|c| TEXT_BYTE[usize::from(*c)])
        && !b.ends_with(b" ")
        && !b.ends_with(b":")
        && !b.windows(2).any(|w| w == b": ")
}

/// The bytes of [`plain_text`].
const TEXT_BYTE: [bool; 256] = {
    let mut table = WORD_BYTE;
    table[b' ' as usize] = true;
    table[b',' as usize] = true;
    table[b';' as usize] = true;
    table[b':' as usize] = true;
    table[b'=' as usize] = true;
    table[b'+' as usize] = true;
    table
};

/// A letter, then only letters, digits, `.`, `_`, `/` and `-`.
fn simple_word(s: &str) -> bool {
    let b = s.as_bytes();
    b.first().is_some_and(u8::is_ascii_alphabetic) && b.iter().all(|c| WORD_BYTE[usize::from(*c)])
}

/// The bytes of a simple word after its first: one lookup each (every
/// name, key and value written is tested).
const WORD_BYTE: [bool; 256] = crate::k8s::object::byte_set(
    // `-./` are adjacent.
    &[
        (b'0', b'9'),
        (b'A', b'Z'),
        (b'a', b'z'),
        (b'-', b'/'),
        (b'_', b'_'),
    ],
    &[],
);

/// Appends `s` as a scalar in the style [`style`] chooses.
pub fn write_str(out: &mut String, s: &str) {
    match style(s) {
        Style::Plain => out.push_str(s),
        Style::SingleQuoted => {
            out.push('\'');
            for c in s.chars() {
                if c == '\'' {
                    out.push_str("''");
                } else {
                    out.push(c);
                }
            }
            out.push('\'');
        }
        Style::DoubleQuoted => write_double_quoted(out, s),
    }
}

fn write_double_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if printable(c) => out.push(c),
            c if u32::from(c) <= 0xFF => {
                let _ = write!(out, "\\x{:02X}", u32::from(c));
            }
            c if u32::from(c) <= 0xFFFF => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => {
                let _ = write!(out, "\\U{:08X}", u32::from(c));
            }
        }
    }
    out.push('"');
}

/// Characters libyaml writes as they are (its `IS_PRINTABLE`).
fn printable(c: char) -> bool {
    matches!(u32::from(c), 0x0A | 0x20..=0x7E | 0xA0..=0xD7FF | 0xE000..=0xFFFD) && c != '\u{FEFF}'
}

struct ScalarStyles {
    plain_allowed: bool,
    single_quoted_allowed: bool,
    /// A literal block (`|`) can hold it.
    block_allowed: bool,
}

/// libyaml's scalar analysis for block context: whether the text can be
/// written plain or single-quoted at all (indicators, spaces at the ends,
/// line breaks, special characters).
fn analyze(s: &str) -> ScalarStyles {
    if s.is_empty() {
        return ScalarStyles {
            plain_allowed: false,
            single_quoted_allowed: true,
            block_allowed: false,
        };
    }
    let mut indicators = s.starts_with("---") || s.starts_with("...");
    let mut line_breaks = false;
    let mut special = false;
    let (mut leading_space, mut trailing_space) = (false, false);
    let (mut leading_break, mut trailing_break) = (false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut previous_space, mut previous_break) = (false, false);
    let mut preceded_by_blank = true;
    let bytes = s.as_bytes();
    let mut first = true;
    for (i, c) in s.char_indices() {
        // Blanks are ASCII: the next byte tells.
        let next = bytes.get(i + c.len_utf8()).copied();
        let last = next.is_none();
        let followed_by_blank = matches!(next, None | Some(b' ' | b'\t' | b'\n' | b'\r'));
        if first {
            if matches!(
                c,
                '#' | ','
                    | '['
                    | ']'
                    | '{'
                    | '}'
                    | '&'
                    | '*'
                    | '!'
                    | '|'
                    | '>'
                    | '\''
                    | '"'
                    | '%'
                    | '@'
                    | '`'
            ) {
                indicators = true;
            }
            if matches!(c, '?' | ':' | '-') && followed_by_blank {
                indicators = true;
            }
        } else {
            if c == ':' && followed_by_blank {
                indicators = true;
            }
            if c == '#' && preceded_by_blank {
                indicators = true;
            }
        }
        if !printable(c) {
            special = true;
        }
        let is_break = matches!(c, '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}');
        if is_break {
            line_breaks = true;
        }
        if c == ' ' {
            leading_space |= first;
            trailing_space |= last;
            break_space |= previous_break;
            previous_space = true;
            previous_break = false;
        } else if is_break {
            leading_break |= first;
            trailing_break |= last;
            space_break |= previous_space;
            previous_break = true;
            previous_space = false;
        } else {
            previous_space = false;
            previous_break = false;
        }
        preceded_by_blank = matches!(c, ' ' | '\t') || is_break;
        first = false;
    }
    let ends = leading_space || trailing_space || leading_break || trailing_break;
    ScalarStyles {
        plain_allowed: !(indicators || ends || line_breaks || special || break_space),
        single_quoted_allowed: !(special || space_break || break_space || line_breaks),
        block_allowed: !(special || space_break || trailing_space),
    }
}

/// Whether some YAML reader resolves the plain scalar `s` to something other
/// than the string `s`: YAML 1.2 core (null, booleans, numbers, as
/// `serde_yaml` reads them) or YAML 1.1 (also `yes`/`no`/`on`/`off`/`y`/`n`,
/// numbers with `_`, base 60, timestamps, the merge key `<<` and `=`).
pub fn resolves_to_non_string(s: &str) -> bool {
    // (These words have at most five letters: see `style`.)
    if matches!(
        s,
        "" | "~"
            | "null"
            | "Null"
            | "NULL"
            | "true"
            | "True"
            | "TRUE"
            | "false"
            | "False"
            | "FALSE"
            | "y"
            | "Y"
            | "yes"
            | "Yes"
            | "YES"
            | "n"
            | "N"
            | "no"
            | "No"
            | "NO"
            | "on"
            | "On"
            | "ON"
            | "off"
            | "Off"
            | "OFF"
            | "="
            | "<<"
    ) {
        return true;
    }
    let Some(first) = s.chars().next() else {
        return true;
    };
    if !(first.is_ascii_digit() || matches!(first, '+' | '-' | '.')) {
        return false;
    }
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    // Decimal and float forms, with YAML 1.1's `_` separators; also what
    // Go's ParseFloat takes (`+inf`, `1e5`, `0x1p-2`).
    let numeric = if s.contains('_') {
        s.chars()
            .filter(|c| *c != '_')
            .collect::<String>()
            .parse::<f64>()
            .is_ok()
    } else {
        s.parse::<f64>().is_ok()
    };
    if numeric {
        return true;
    }
    if matches!(
        unsigned,
        ".inf" | ".Inf" | ".INF" | ".nan" | ".NaN" | ".NAN" | "inf" | "Inf" | "INF" | "infinity"
    ) {
        return true;
    }
    // Integers in base 2, 8 and 16 (`0b1_0`, `0o17`, `0x_1F`), and octal
    // with a leading zero (`0777`).
    let based = ["0x", "0X", "0o", "0O", "0b", "0B"].iter().any(|p| {
        unsigned
            .strip_prefix(p)
            .is_some_and(|r| !r.is_empty() && r.chars().all(|c| c.is_ascii_hexdigit() || c == '_'))
    });
    if based
        || (unsigned.len() > 1
            && unsigned.starts_with('0')
            && unsigned.chars().all(|c| c.is_ascii_digit() || c == '_'))
    {
        return true;
    }
    sexagesimal(unsigned) || timestamp(s)
}

/// `1:20`, `190:20:30.15`: YAML 1.1 base-60 integers and floats.
fn sexagesimal(s: &str) -> bool {
    let (whole, fraction) = match s.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (s, None),
    };
    let mut parts = whole.split(':');
    let head_ok = parts.next().is_some_and(|h| {
        h.starts_with(|c: char| c.is_ascii_digit())
            && h.chars().all(|c| c.is_ascii_digit() || c == '_')
    });
    let mut tail = 0;
    let tail_ok = parts.all(|p| {
        tail += 1;
        (1..=2).contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit())
    });
    let fraction_ok = fraction.is_none_or(|f| f.chars().all(|c| c.is_ascii_digit() || c == '_'));
    head_ok && tail > 0 && tail_ok && fraction_ok
}

/// `2024-01-15`, `2001-12-14t21:59:43.10-05:00`: YAML 1.1 timestamps. Any
/// text that starts with a date and then ends or continues with a time
/// separator counts.
fn timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits = |from: usize, to: usize| {
        b.get(from..to)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit))
    };
    if !(digits(0, 4) && b.get(4) == Some(&b'-')) {
        return false;
    }
    let mut i = 5;
    for part in 0..2 {
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() && i - start < 2 {
            i += 1;
        }
        if i == start {
            return false;
        }
        if part == 0 {
            if b.get(i) != Some(&b'-') {
                return false;
            }
            i += 1;
        }
    }
    matches!(b.get(i), None | Some(b'T' | b't' | b' ' | b'\t'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(s: &str) -> String {
        let mut out = String::new();
        write_str(&mut out, s);
        out
    }

    #[test]
    fn simple_words_take_the_full_analysis_style() {
        let mut words: Vec<String> = [
            "app",
            "kubernetes.io/metadata.name",
            "TCP",
            "y",
            "Y",
            "yes",
            "No",
            "on",
            "OFF",
            "true",
            "Null",
            "a-",
            "a.",
            "a/",
            "a_",
            "x--y",
            "inf",
            "nan",
            "e1",
            "a.b/c_d-e",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // Every two-character word over a small alphabet.
        let alphabet = ['a', 'n', 'o', 'y', 'Y', 'N', '0', '.', '_', '/', '-'];
        for a in alphabet {
            for b in alphabet {
                words.push(format!("{a}{b}"));
            }
        }
        for w in &words {
            if simple_word(w) {
                assert_eq!(style(w), analysed_style(w), "{w}");
            }
        }
    }

    #[test]
    fn plain_text_takes_the_full_analysis_style() {
        // Every text of up to four characters over the fast path's bytes
        // and the indicators next to them; and longer texts as written.
        let alphabet = [
            'a', 'y', '1', '0', '.', '-', ' ', ':', ',', ';', '=', '+', '/', '#', '\t', '?', '\'',
        ];
        let mut texts = vec![String::new()];
        let mut tested = 0;
        for _ in 0..4 {
            let mut longer = Vec::new();
            for t in &texts {
                for c in alphabet {
                    longer.push(format!("{t}{c}"));
                }
            }
            for t in &longer {
                if plain_text(t) {
                    tested += 1;
                    assert_eq!(style(t), analysed_style(t), "{t:?}");
                }
            }
            texts = longer;
        }
        assert!(tested > 1_000, "{tested}");
        for t in [
            "x.npl:12, 14-20; y.npl:3",
            "policies.npl:3",
            "10.0.0.0/8",
            "1:2",
            "a: b",
            "a :b",
            "12:30:00",
            "1e3",
            "0x1F",
            "+1",
            "a=b,c=d",
        ] {
            let fast = plain_text(t).then(|| style(t));
            if let Some(style) = fast {
                assert_eq!(style, analysed_style(t), "{t:?}");
            }
        }
    }

    #[test]
    fn plain_where_every_reader_agrees() {
        for s in [
            "app",
            "TCP",
            "kube-system",
            "app.kubernetes.io/name",
            "a:b",
            "x.npl:12, y.npl:3",
            "a b",
            "10.0.0.0/8",
            "::/0",
            "2001:db8::/32",
            "1.2.3",
            "10.0.0.1",
            "v1.2",
            "inf",
            "nan",
            "é",
            "2001-12-1x",
        ] {
            assert_eq!(style(s), Style::Plain, "{s}");
        }
    }

    #[test]
    fn quoted_where_some_reader_would_not_read_a_string() {
        for s in [
            "",
            "true",
            "NULL",
            "~",
            "yes",
            "on",
            "Off",
            "y",
            "N",
            "=",
            "<<",
            "8080",
            "0777",
            "-1",
            "+1",
            "1_000",
            "1.5",
            ".5",
            "1e5",
            "+inf",
            ".inf",
            "-.Inf",
            ".NaN",
            "0x1F",
            "0x_1F",
            "0b101",
            "0o17",
            "1:20",
            "190:20:30.15",
            "2024-01-15",
            "2001-12-14",
            "2001-12-14t21:59:43.10-05:00",
            "2001-12-14 21:59:43.10 -5",
            "2002-1-1",
        ] {
            assert_ne!(style(s), Style::Plain, "{s}");
        }
    }

    #[test]
    fn quoting_styles() {
        assert_eq!(written("a: b"), "'a: b'");
        assert_eq!(written("it's"), "it's");
        assert_eq!(written("'x'"), "'''x'''");
        assert_eq!(written("-a"), "-a");
        assert_eq!(written("- a"), "'- a'");
        assert_eq!(written(" a"), "' a'");
        assert_eq!(written("a #b"), "'a #b'");
        assert_eq!(written("a\nb"), "\"a\\nb\"");
        assert_eq!(written("a\rb"), "\"a\\rb\"");
        assert_eq!(written("a\tb"), "\"a\\tb\"");
        assert_eq!(written("\u{FEFF}x"), "\"\\uFEFFx\"");
        assert_eq!(written("😀"), "\"\\U0001F600\"");
    }

    /// Every scalar written plain or single-quoted reads back as the same
    /// string through `serde_yaml`, and plain ones exactly as it writes them.
    #[test]
    fn agrees_with_serde_yaml() {
        let cases = [
            "app",
            "a b",
            "x:y",
            "-a",
            "a,b",
            "[a",
            "a]",
            "{",
            "a}",
            "*a",
            "&a",
            "!a",
            "%a",
            "@a",
            "`a",
            "?a",
            "? a",
            ":a",
            "a:",
            "a #b",
            "a#b",
            "#a",
            "|a",
            ">a",
            "\"a",
            "'a",
            "---a",
            "...",
            "a\tb",
            "é",
            "a\u{85}b",
            "1.2.3",
            "10.0.0.1",
            "1:2",
            "yes",
            "on",
            "2024-01-15",
            "a\nb",
            "a\n",
            "\n",
            " ",
            "a  b",
            "\\",
            "a\\b",
        ];
        for s in cases {
            let yaml = format!("k: {}\n", written(s));
            let back: std::collections::BTreeMap<String, String> =
                serde_yaml::from_str(&yaml).unwrap_or_else(|e| panic!("{s:?}: {yaml}: {e}"));
            assert_eq!(back["k"], s, "{yaml}");
            if style(s) == Style::Plain {
                assert_eq!(
                    serde_yaml::to_string(&s).unwrap(),
                    format!("{s}\n"),
                    "{s:?}"
                );
            }
        }
    }

    #[test]
    fn documents() {
        let node = Node::map(vec![
            ("a", Node::Str("x")),
            ("empty", Node::Map(vec![])),
            (
                "list",
                Node::Seq(vec![
                    Node::map(vec![("b", Node::Int(1)), ("c", Node::Seq(vec![]))]),
                    Node::Str("on"),
                ]),
            ),
            (
                "nested",
                Node::Seq(vec![Node::Seq(vec![Node::Bool(true), Node::Null])]),
            ),
            ("f", Node::Float(1e300)),
        ]);
        assert_eq!(
            to_string(&node),
            "a: x\nempty: {}\nlist:\n- b: 1\n  c: []\n- 'on'\nnested:\n- - true\n  - null\nf: 1.0e+300\n"
        );
        let back: serde_yaml::Value = serde_yaml::from_str(&to_string(&node)).unwrap();
        assert_eq!(back["list"][1].as_str(), Some("on"));
    }

    /// Multi-line strings are literal blocks, as `serde_yaml` writes them,
    /// and read back unchanged.
    #[test]
    fn literal_blocks() {
        for s in [
            "a\nb", "a\nb\n", "a\n\n", "\n", " a\nb", "\na", "a\n\nb\n", "a \nb", "a\tb\nc", "a\n ",
        ] {
            let node = Node::map(vec![
                ("k", Node::Map(vec![(Node::Str("v"), Node::Str(s))])),
                ("l", Node::Seq(vec![Node::Str(s)])),
            ]);
            let text = to_string(&node);
            let serde_text =
                serde_yaml::to_string(&serde_yaml::from_str::<serde_yaml::Value>(&text).unwrap())
                    .unwrap();
            assert_eq!(text, serde_text, "{s:?}");
            let back: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
            assert_eq!(back["k"]["v"].as_str(), Some(s), "{s:?}: {text}");
            assert_eq!(back["l"][0].as_str(), Some(s), "{s:?}: {text}");
        }
    }

    #[test]
    fn long_keys_are_complex_keys() {
        let key = "k".repeat(129);
        let node = Node::map(vec![(key.as_str(), Node::Str("v"))]);
        let text = to_string(&node);
        assert!(text.starts_with("? kkk"), "{text}");
        let back: std::collections::BTreeMap<String, String> = serde_yaml::from_str(&text).unwrap();
        assert_eq!(back[&key], "v");
    }
}
