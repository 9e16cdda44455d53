//! JSON written value by value ([`JsonWriter`]), byte for byte as
//! `serde_json::to_string_pretty` writes the same values: two-space
//! indentation, `"key": value`, `{}` and `[]` for empty collections, and
//! serde_json's string escapes.

use crate::k8s::object::{push_int, push_spaces, ObjectWriter};

/// A collection being written: which kind, and whether it has an entry yet.
#[derive(Clone, Copy, Debug)]
struct Frame {
    map: bool,
    written: bool,
}

/// Writes one pretty-printed JSON value into a string.
pub struct JsonWriter<'o> {
    out: &'o mut String,
    frames: Vec<Frame>,
    /// The nesting depth of the writer's first value (a value inside an
    /// enclosing document that the caller writes).
    base: usize,
    /// A key was written; its value comes next.
    after_key: bool,
}

impl<'o> JsonWriter<'o> {
    pub fn new(out: &'o mut String) -> Self {
        Self::at_depth(out, 0)
    }

    /// A writer whose value sits at `depth` levels of nesting (its lines
    /// are indented for that depth); the caller writes what comes before
    /// and after it.
    pub fn at_depth(out: &'o mut String, depth: usize) -> Self {
        JsonWriter {
            out,
            frames: Vec::new(),
            base: depth,
            after_key: false,
        }
    }

    fn depth(&self) -> usize {
        self.base + self.frames.len()
    }

    /// Before a value: the separator and indentation of an array item.
    fn before_value(&mut self) {
        if std::mem::take(&mut self.after_key) {
            return;
        }
        let depth = self.depth();
        if let Some(frame) = self.frames.last_mut() {
            self.out.push_str(if frame.written { ",\n" } else { "\n" });
            frame.written = true;
            push_spaces(self.out, 2 * depth);
        }
    }

    /// Opens a mapping or a sequence (`{}` and `[]` when nothing is
    /// written into it).
    fn open(&mut self, map: bool) {
        self.before_value();
        self.out.push(if map { '{' } else { '[' });
        self.frames.push(Frame {
            map,
            written: false,
        });
    }

    pub fn float(&mut self, f: f64) {
        self.before_value();
        match serde_json::Number::from_f64(f) {
            Some(n) => self.out.push_str(&n.to_string()),
            None => self.out.push_str("null"),
        }
    }

    /// A number as serde_json holds it.
    pub fn number(&mut self, n: &serde_json::Number) {
        self.before_value();
        self.out.push_str(&n.to_string());
    }
}

impl ObjectWriter for JsonWriter<'_> {
    fn map(&mut self, _len: usize) {
        self.open(true);
    }

    fn seq(&mut self, _len: usize) {
        self.open(false);
    }

    fn end(&mut self) {
        let Some(frame) = self.frames.pop() else {
            return;
        };
        if frame.written {
            self.out.push('\n');
            push_spaces(self.out, 2 * self.depth());
        }
        self.out.push(if frame.map { '}' } else { ']' });
    }

    fn key(&mut self, key: &str) {
        self.before_value();
        write_escaped(self.out, key);
        self.out.push_str(": ");
        self.after_key = true;
    }

    fn str(&mut self, s: &str) {
        self.before_value();
        write_escaped(self.out, s);
    }

    fn int(&mut self, n: i64) {
        self.before_value();
        push_int(self.out, i128::from(n));
    }

    fn bool(&mut self, b: bool) {
        self.before_value();
        self.out.push_str(if b { "true" } else { "false" });
    }

    fn null(&mut self) {
        self.before_value();
        self.out.push_str("null");
    }
}

/// Writes a JSON value (as serde_json holds it, keys in its order) as the
/// next value of `w`.
pub fn write_json(w: &mut JsonWriter<'_>, value: &serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Null => w.null(),
        Value::Bool(b) => w.bool(*b),
        Value::Number(n) => w.number(n),
        Value::String(s) => w.str(s),
        Value::Array(items) => {
            w.seq(items.len());
            for item in items {
                write_json(w, item);
            }
            w.end();
        }
        Value::Object(map) => {
            w.map(map.len());
            for (k, v) in map {
                w.key(k);
                write_json(w, v);
            }
            w.end();
        }
    }
}

/// Appends `s` as a JSON string with serde_json's escapes: `"`, `\\`, the
/// short forms `\b \t \n \f \r`, and `\u00XX` for other control characters.
pub fn write_escaped(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\t' => "\\t",
            b'\r' => "\\r",
            0x08 => "\\b",
            0x0C => "\\f",
            0x00..=0x1F => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xF)]));
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pretty(value: &serde_json::Value) -> String {
        let mut out = String::new();
        write_json(&mut JsonWriter::new(&mut out), value);
        out
    }

    #[test]
    fn as_serde_json_writes_it() {
        let values = [
            json!(null),
            json!(1),
            json!("x"),
            json!({}),
            json!([]),
            json!({"a": {}, "b": [], "c": [1, -2, 3.5, true, false, null]}),
            json!({"items": [{"k": "v", "l": [{"m": {"n": []}}]}], "kind": "List"}),
            json!([[], [[]], {"": ""}]),
            json!({"s": "quote \" backslash \\ \n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f} é 😀 </script>"}),
        ];
        for v in values {
            assert_eq!(pretty(&v), serde_json::to_string_pretty(&v).unwrap(), "{v}");
        }
    }

    #[test]
    fn every_byte_is_escaped_as_serde_json_escapes_it() {
        let all: String = (0u8..=0x7F).map(char::from).collect();
        let mut out = String::new();
        write_escaped(&mut out, &all);
        assert_eq!(out, serde_json::to_string(&all).unwrap());
    }

    #[test]
    fn a_value_at_depth_fits_its_enclosing_document() {
        let item = json!({"a": [1, 2], "b": {}});
        let mut out = String::from("{\n  \"items\": [\n    ");
        write_json(&mut JsonWriter::at_depth(&mut out, 2), &item);
        out.push_str("\n  ]\n}");
        let whole = json!({ "items": [item] });
        assert_eq!(out, serde_json::to_string_pretty(&whole).unwrap());
    }
}
