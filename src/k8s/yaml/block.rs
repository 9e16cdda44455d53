//! The block layout of the YAML writer: where each value goes, written as
//! the values come ([`BlockWriter`]). The layout is libyaml's block style
//! (what `serde_yaml` writes): two-space indentation, sequences in mappings
//! not indented, `{}` and `[]` for empty collections, multi-line strings as
//! literal blocks, keys longer than 128 bytes written `? key`. Every scalar
//! is quoted by the rules of [`super::write`].

use super::write::{literal_allowed, write_float, write_literal, write_simple_key, write_str};
use crate::k8s::object::{push_int, push_spaces, ObjectWriter};

/// A collection being written.
#[derive(Clone, Copy, Debug)]
enum Frame {
    /// Keys at column `col`; `inline` while the first key is still to come
    /// and goes on the line of a `- ` or `? ` already written.
    Map { col: usize, inline: bool },
    /// Items (`- `) at column `col`.
    Seq { col: usize, inline: bool },
    /// `{}` or `[]`, already written.
    Empty,
    /// The key after `? ` at column `col`.
    ComplexKey { col: usize },
}

/// Where the next value goes.
#[derive(Clone, Copy, Debug)]
enum Slot {
    /// The document itself.
    Top,
    /// After `key:` (keys at column `col`).
    Value(usize),
    /// After `- ` or `? `, nested lines at column `col`.
    Item(usize),
}

/// Writes one YAML document into a string, value by value (see
/// [`ObjectWriter`]); every string is quoted as [`super::style`] decides.
pub struct BlockWriter<'o> {
    out: &'o mut String,
    frames: Vec<Frame>,
    /// The column of the keys of the mapping whose key was written last.
    key_col: usize,
    /// A tag for the next value (`!tag`, without the `!`).
    tag: Option<String>,
}

impl<'o> BlockWriter<'o> {
    /// A writer of one document appended to `out`; the document ends with
    /// a line break once its outermost value is written.
    pub fn new(out: &'o mut String) -> Self {
        BlockWriter {
            out,
            // Deeper than a NetworkPolicy nests: the frames never grow.
            frames: Vec::with_capacity(16),
            key_col: 0,
            tag: None,
        }
    }

    /// The place of the next value, and whether a tag was written before
    /// it; in a sequence, writes its `- `.
    fn slot(&mut self) -> (Slot, bool) {
        let slot = match self.frames.last_mut() {
            None => Slot::Top,
            Some(Frame::Map { .. }) => Slot::Value(self.key_col),
            Some(Frame::Seq { col, inline }) => {
                let col = *col;
                if !std::mem::take(inline) {
                    push_spaces(self.out, col);
                }
                self.out.push_str("- ");
                Slot::Item(col + 2)
            }
            Some(Frame::ComplexKey { col }) => Slot::Item(*col + 2),
            // Nothing goes into an empty collection.
            Some(Frame::Empty) => Slot::Top,
        };
        let Some(tag) = self.tag.take() else {
            return (slot, false);
        };
        if matches!(slot, Slot::Value(_)) {
            self.out.push(' ');
        }
        self.out.push('!');
        self.out.push_str(&tag);
        (slot, true)
    }

    /// Opens a collection of `len` entries in the next slot; `map` tells
    /// which kind.
    fn open(&mut self, len: usize, map: bool) {
        let (slot, tagged) = self.slot();
        if len == 0 {
            let empty = if map { "{}\n" } else { "[]\n" };
            match slot {
                Slot::Value(_) => self.out.push(' '),
                Slot::Item(_) | Slot::Top if tagged => self.out.push(' '),
                Slot::Item(_) | Slot::Top => {}
            }
            self.out.push_str(empty);
            self.frames.push(Frame::Empty);
            return;
        }
        let (col, inline) = match slot {
            Slot::Top => (0, false),
            // A sequence in a mapping is not indented further.
            Slot::Value(col) if map => (col + 2, false),
            Slot::Value(col) => (col, false),
            Slot::Item(col) => (col, !tagged),
        };
        if !inline && !matches!(slot, Slot::Top if !tagged) {
            self.out.push('\n');
        }
        self.frames.push(if map {
            Frame::Map { col, inline }
        } else {
            Frame::Seq { col, inline }
        });
    }

    /// A scalar written on the current line, then the line break.
    fn scalar(&mut self, text: impl FnOnce(&mut String)) {
        let (slot, tagged) = self.slot();
        if tagged || matches!(slot, Slot::Value(_)) {
            self.out.push(' ');
        }
        text(self.out);
        self.out.push('\n');
    }

    /// The start of a mapping entry: indentation (unless the key follows a
    /// `- ` or `? `); returns the column of the keys.
    fn entry(&mut self) -> usize {
        match self.frames.last_mut() {
            Some(Frame::Map { col, inline }) => {
                let col = *col;
                if !std::mem::take(inline) {
                    push_spaces(self.out, col);
                }
                self.key_col = col;
                col
            }
            _ => 0,
        }
    }

    /// A key that is a scalar other than a string (`1:`, `true:`), as
    /// written inline.
    pub fn key_inline(&mut self, text: impl FnOnce(&mut String)) {
        self.entry();
        text(self.out);
        self.out.push(':');
    }

    /// A key that is not a simple key: `? `, then the key written as the
    /// next value (at any depth), then [`BlockWriter::end_complex_key`].
    pub fn complex_key(&mut self) {
        let col = self.entry();
        self.complex_key_at(col);
    }

    fn complex_key_at(&mut self, col: usize) {
        self.out.push_str("? ");
        self.frames.push(Frame::ComplexKey { col });
    }

    /// The `:` after a complex key, on a line of its own.
    pub fn end_complex_key(&mut self) {
        if let Some(Frame::ComplexKey { col }) = self.frames.pop() {
            push_spaces(self.out, col);
            self.out.push(':');
            self.key_col = col;
        }
    }

    /// Tags the next value (`!tag value`).
    pub fn tag(&mut self, tag: &str) {
        self.tag = Some(tag.to_string());
    }

    pub fn float(&mut self, f: f64) {
        self.scalar(|out| write_float(out, f));
    }
}

impl ObjectWriter for BlockWriter<'_> {
    fn map(&mut self, len: usize) {
        self.open(len, true);
    }

    fn seq(&mut self, len: usize) {
        self.open(len, false);
    }

    fn end(&mut self) {
        self.frames.pop();
    }

    fn key(&mut self, key: &str) {
        let col = self.entry();
        if write_simple_key(self.out, key) {
            self.out.push(':');
        } else {
            self.complex_key_at(col);
            self.str(key);
            self.end_complex_key();
        }
    }

    fn field(&mut self, name: &'static str) {
        // A field name is a plain word, which `key` writes as it is.
        debug_assert!(super::write::plain_key(name), "{name}");
        self.entry();
        self.out.push_str(name);
        self.out.push(':');
    }

    fn str(&mut self, s: &str) {
        let tagged = self.tag.is_some();
        if tagged || !literal_allowed(s) {
            self.scalar(|out| write_str(out, s));
            return;
        }
        match self.slot().0 {
            Slot::Top => write_literal(self.out, s, 2),
            Slot::Value(col) => {
                self.out.push(' ');
                write_literal(self.out, s, col + 2);
            }
            Slot::Item(col) => write_literal(self.out, s, col),
        }
    }

    fn int(&mut self, n: i64) {
        self.scalar(|out| push_int(out, i128::from(n)));
    }

    fn bool(&mut self, b: bool) {
        self.scalar(|out| out.push_str(if b { "true" } else { "false" }));
    }

    fn null(&mut self) {
        self.scalar(|out| out.push_str("null"));
    }
}

impl BlockWriter<'_> {
    /// An integer beyond `i64` (YAML numbers read as `u64`).
    pub fn int128(&mut self, n: i128) {
        self.scalar(|out| push_int(out, n));
    }
}

#[cfg(test)]
mod tests {
    use crate::k8s::yaml::{to_string, Node};
    use serde_yaml::{Mapping, Value};

    use crate::testing::Rng;

    /// Strings that `serde_yaml` writes in the same style as this writer
    /// (words that no YAML reader takes for another type, and literal
    /// blocks).
    const STRINGS: &[&str] = &[
        "a",
        "web",
        "kubernetes.io/metadata.name",
        "x-y_z.1",
        "a\nb",
        "a\nb\n",
        " a\nb",
        "a\n\n",
    ];

    fn value(rng: &mut Rng, depth: usize) -> Value {
        let leaf = depth >= 4 || rng.below(3) == 0;
        match if leaf { rng.below(4) } else { 4 + rng.below(4) } {
            0 => Value::String(STRINGS[rng.below(STRINGS.len())].to_string()),
            1 => Value::Number((rng.below(200_000) as i64 - 100_000).into()),
            2 => Value::Bool(rng.below(2) == 0),
            3 => Value::Null,
            4 | 5 => Value::Sequence((0..rng.below(4)).map(|_| value(rng, depth + 1)).collect()),
            6 => {
                let mut m = Mapping::new();
                for i in 0..rng.below(4) {
                    let (key, complex) = match rng.below(6) {
                        0 => (Value::String("k".repeat(129 + i)), true),
                        1 => (Value::Number((i as i64).into()), false),
                        // An empty collection as a key is written `? []`
                        // here, `[]:` by libyaml, and a tagged sequence
                        // key indented further: not generated.
                        2 => match value(rng, depth + 2) {
                            k @ (Value::Sequence(_) | Value::Mapping(_))
                                if !scalar_or_empty(&k) =>
                            {
                                (k, true)
                            }
                            _ => (Value::String(format!("b{i}")), false),
                        },
                        _ => (
                            Value::String(format!("{}{i}", STRINGS[rng.below(4)])),
                            false,
                        ),
                    };
                    // After a complex key's `:` this writer starts a
                    // collection on the next line, libyaml on the same
                    // one (`written_after_complex_keys` below).
                    let mut v = value(rng, depth + 1);
                    while complex && !scalar_or_empty(&v) {
                        v = value(rng, depth + 1);
                    }
                    m.insert(key, v);
                }
                Value::Mapping(m)
            }
            _ => Value::Tagged(Box::new(serde_yaml::value::TaggedValue {
                tag: serde_yaml::value::Tag::new("t"),
                value: match value(rng, depth + 1) {
                    // One tag per node; a tagged string is written quoted
                    // (`tagged_strings_are_quoted` below), libyaml writes
                    // a multi-line one as a literal block.
                    Value::Tagged(_) | Value::String(_) => Value::String("a".to_string()),
                    v => v,
                },
            })),
        }
    }

    fn scalar_or_empty(v: &Value) -> bool {
        match v {
            Value::Sequence(s) => s.is_empty(),
            Value::Mapping(m) => m.is_empty(),
            Value::Tagged(t) => scalar_or_empty(&t.value),
            _ => true,
        }
    }

    /// The block layout is libyaml's: for values whose scalars both write
    /// alike, the text is `serde_yaml`'s, byte for byte, at any nesting,
    /// with empty collections, tags, long and complex keys and literal
    /// blocks.
    #[test]
    fn layout_is_libyamls() {
        let mut rng = Rng(7);
        let mut compared = 0;
        for _ in 0..3000 {
            let v = value(&mut rng, 0);
            let ours = to_string(&Node::from_yaml(&v));
            // serde_yaml cannot write some tagged documents.
            let Ok(theirs) = serde_yaml::to_string(&v) else {
                continue;
            };
            assert_eq!(ours, theirs, "{v:?}");
            compared += 1;
        }
        assert!(compared > 2500, "{compared}");
    }

    #[test]
    fn written_after_complex_keys() {
        let key = "k".repeat(129);
        let node = Node::map(vec![(
            key.as_str(),
            Node::Seq(vec![Node::Int(1), Node::map(vec![("a", Node::Null)])]),
        )]);
        let text = to_string(&node);
        assert_eq!(text, format!("? {key}\n:\n- 1\n- a: null\n"));
        let back: Value = serde_yaml::from_str(&text).unwrap();
        assert_eq!(
            back,
            serde_yaml::from_str::<Value>(&serde_yaml::to_string(&back).unwrap()).unwrap()
        );
        assert_eq!(back[key.as_str()][1]["a"], Value::Null);
    }

    #[test]
    fn tagged_strings_are_quoted() {
        let node = Node::map(vec![(
            "a",
            Node::Tagged("t".to_string(), Box::new(Node::Str("x\ny"))),
        )]);
        let text = to_string(&node);
        assert_eq!(text, "a: !t \"x\\ny\"\n");
        let back: Value = serde_yaml::from_str(&text).unwrap();
        match &back["a"] {
            Value::Tagged(t) => assert_eq!(t.value.as_str(), Some("x\ny")),
            other => panic!("{other:?}"),
        }
    }
}
