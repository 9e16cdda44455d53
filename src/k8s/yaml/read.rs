//! Reading multi-document YAML that someone else wrote, with bounds.
//!
//! The YAML parser underneath is fine with ordinary input but takes
//! quadratic time on deeply nested flow collections (`[[[[…` of 200 KB took
//! 40 s) and its document iterator keeps yielding the same error forever.
//! So the text is scanned for its nesting depth first (linear, cheap), the
//! parser stops at the first error, and alias expansion is bounded by the
//! parser itself. Merge keys (`<<`) are resolved as kubectl and kustomize
//! resolve them (see [`resolve_merge_keys`]). The caller bounds the size of
//! the text.

use std::fmt;

use serde_yaml::{Mapping, Value};

/// The deepest nesting accepted; the parser's own limit is 128 and
/// Kubernetes objects stay far below both.
pub const MAX_DEPTH: usize = 100;

/// Why a YAML text could not be read, located where the parser can say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError {
    /// 1-based index of the document in the stream.
    pub document: usize,
    /// 1-based line and column in the whole text.
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(l), Some(c)) => write!(f, "line {l} column {c}: {}", self.message),
            (Some(l), None) => write!(f, "line {l}: {}", self.message),
            _ => write!(f, "document {}: {}", self.document, self.message),
        }
    }
}

/// Parses every document of `text` (empty documents are `Value::Null`), with
/// merge keys resolved.
pub fn parse_documents(text: &str) -> Result<Vec<Value>, ReadError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some((line, column)) = too_deep(text) {
        return Err(ReadError {
            document: 1,
            line: Some(line),
            column: Some(column),
            message: format!("nesting deeper than {MAX_DEPTH} levels"),
        });
    }
    let mut out = Vec::new();
    for (i, document) in serde_yaml::Deserializer::from_str(text).enumerate() {
        let mut value = <Value as serde::Deserialize>::deserialize(document)
            .map_err(|e| read_error(i + 1, &e))?;
        resolve_merge_keys(&mut value).map_err(|message| ReadError {
            document: i + 1,
            line: None,
            column: None,
            message,
        })?;
        out.push(value);
    }
    Ok(out)
}

/// Resolves merge keys (`<<`) as kubectl and kustomize read them (go-yaml
/// v2, under `sigs.k8s.io/yaml`), to any depth:
///
/// * a mapping's entries apply in order, each replacing what came before:
///   a key written after a merge key replaces the merged entry, and a merge
///   key written after a key replaces it (`namespace: ""` then
///   `<<: {namespace: prod}` is `prod`);
/// * of a list of merged mappings (`<<: [*a, *b]`), the earlier wins;
/// * a merged mapping's own merge keys are resolved first, so
///   `<<: {<<: {namespace: prod}}` is `namespace: prod`, and so is an
///   anchor on such a mapping used under another key.
///
/// A merge key whose value is not a mapping or a list of mappings is an
/// error, as it is to kubectl. Aliases are already expanded (bounded by the
/// parser), so the work is linear in the size of the value.
pub fn resolve_merge_keys(value: &mut Value) -> Result<(), String> {
    match value {
        Value::Mapping(map) => {
            // Children first: a merged mapping arrives resolved.
            for v in map.values_mut() {
                resolve_merge_keys(v)?;
            }
            if map.contains_key("<<") {
                let entries = std::mem::take(map);
                for (k, v) in entries {
                    if k.as_str() == Some("<<") {
                        merge_into(map, v)?;
                    } else {
                        map.insert(k, v);
                    }
                }
            }
        }
        Value::Sequence(items) => {
            for item in items {
                resolve_merge_keys(item)?;
            }
        }
        Value::Tagged(tagged) => resolve_merge_keys(&mut tagged.value)?,
        _ => {}
    }
    Ok(())
}

/// Applies a resolved merge key's value to `map`, entry by entry.
fn merge_into(map: &mut Mapping, merged: Value) -> Result<(), String> {
    const WANT: &str = "a merge key (`<<`) takes a mapping or a list of mappings";
    match untagged_map(merged) {
        Value::Mapping(entries) => {
            for (k, v) in entries {
                map.insert(k, v);
            }
        }
        Value::Sequence(list) => {
            // Applied last to first: the earlier mapping wins.
            for item in list.into_iter().rev() {
                match untagged_map(item) {
                    Value::Mapping(entries) => {
                        for (k, v) in entries {
                            map.insert(k, v);
                        }
                    }
                    _ => return Err(format!("{WANT}; the list holds something else")),
                }
            }
        }
        _ => return Err(WANT.to_string()),
    }
    Ok(())
}

/// A value tagged `!!map` as the mapping it is; anything else unchanged.
fn untagged_map(value: Value) -> Value {
    match value {
        Value::Tagged(tagged)
            if matches!(
                tagged.tag.to_string().as_str(),
                "!!map" | "tag:yaml.org,2002:map"
            ) && tagged.value.is_mapping() =>
        {
            tagged.value
        }
        other => other,
    }
}

fn read_error(document: usize, e: &serde_yaml::Error) -> ReadError {
    let mut message = e.to_string();
    // The parser appends "at line L column C"; the error carries them apart.
    if let Some(at) = message.find(" at line ") {
        message.truncate(at);
    }
    ReadError {
        document,
        line: e.location().map(|l| l.line()),
        column: e.location().map(|l| l.column()),
        message,
    }
}

/// Where the nesting first exceeds [`MAX_DEPTH`] (1-based line and column),
/// counting flow collections (`[`, `{`) and block nesting by indentation.
/// Quoted scalars, comments and block scalars (`|`, `>`) are skipped; a `[`
/// inside a plain scalar counts, which can only make the scan stricter than
/// the parser, never laxer, and no real manifest comes near the limit.
fn too_deep(text: &str) -> Option<(usize, usize)> {
    let mut flow: usize = 0;
    // Indentation of the line that opened a block scalar, while inside it.
    let mut block_scalar: Option<usize> = None;
    for (n, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let content = &line[indent..];
        if let Some(opener) = block_scalar {
            if content.is_empty() || indent > opener {
                continue;
            }
            block_scalar = None;
        }
        // Block nesting: each level needs at least one more column, and a
        // compact `- - -` adds one level per dash.
        let dashes = content
            .as_bytes()
            .chunks(2)
            .take_while(|c| c == b"- " || c == b"-")
            .count();
        if flow == 0 && indent / 2 + dashes > MAX_DEPTH {
            return Some((n + 1, indent + 1));
        }
        let mut quote: Option<char> = None;
        let mut escaped = false;
        let mut previous = ' ';
        let mut last_significant = ' ';
        for (col, c) in content.char_indices() {
            match quote {
                Some('"') if escaped => escaped = false,
                Some('"') if c == '\\' => escaped = true,
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None => match c {
                    '#' if previous == ' ' || previous == '\t' => break,
                    '"' | '\'' if matches!(previous, ' ' | '\t' | '[' | '{' | ',' | ':' | '-') => {
                        quote = Some(c)
                    }
                    '[' | '{' => {
                        flow += 1;
                        if flow > MAX_DEPTH {
                            return Some((n + 1, indent + col + 1));
                        }
                    }
                    ']' | '}' => flow = flow.saturating_sub(1),
                    _ => {}
                },
            }
            if !c.is_whitespace() {
                last_significant = c;
            }
            previous = c;
        }
        // `key: |`, `- >-`, `key: |2+`: the following, more indented lines
        // are the scalar's text.
        let trimmed = content.split(" #").next().unwrap_or("").trim_end();
        let header = trimmed.trim_end_matches(|c: char| c.is_ascii_digit() || c == '+' || c == '-');
        if quote.is_none()
            && flow == 0
            && matches!(last_significant, '|' | '>' | '+' | '-' | '0'..='9')
            && (header.ends_with(" |") || header.ends_with(" >") || header == "|" || header == ">")
        {
            block_scalar = Some(indent);
        }
    }
    None
}

/// A YAML 1.1 boolean as kubectl and kustomize (go-yaml v2) read one:
/// `true`/`yes`/`on`/`y` and their negations, in the cases YAML 1.1 allows;
/// `None` for anything else.
pub fn yaml11_bool(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.as_str() {
            "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
                Some(true)
            }
            "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False"
            | "FALSE" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_with_merge_keys_and_a_bom() {
        let docs =
            parse_documents("\u{feff}a: 1\n---\n<<: {namespace: prod}\nx: 1\n---\n").unwrap();
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[1]["namespace"].as_str(), Some("prod"));
        assert!(docs[2].is_null());
    }

    fn one(text: &str) -> Value {
        parse_documents(text).unwrap().remove(0)
    }

    #[test]
    fn merge_keys_are_read_as_go_yaml_v2_reads_them() {
        // Nested, in lists, through an anchor under another key.
        for text in [
            "<<: {<<: {namespace: prod}}",
            "<<: [{}, {<<: {namespace: prod}}]",
            "a: &b {<<: &a {namespace: prod}}\n<<: *b",
            "a: &a {namespace: prod}\n<<: [*a]",
            "<<: !!map {namespace: prod}",
        ] {
            let v = one(text);
            assert_eq!(v["namespace"].as_str(), Some("prod"), "{text}: {v:?}");
            assert!(v.get("<<").is_none(), "{text}: {v:?}");
        }
        // In order, each entry replacing what came before.
        assert_eq!(
            one("namespace: ''\n<<: {namespace: prod}")["namespace"],
            "prod"
        );
        assert_eq!(
            one("<<: {namespace: prod}\nnamespace: web")["namespace"],
            "web"
        );
        assert_eq!(one("<<: {<<: {n: a}, n: b}")["n"], "b");
        // The earlier of merged mappings wins.
        assert_eq!(one("<<: [{n: a}, {n: b}]")["n"], "a");
        assert_eq!(one("<<: [{n: a}, {<<: {n: b}}]")["n"], "a");
        // Deep inside a document.
        let v = one("labels:\n- pairs: {env: prod}\n  includeSelectors: false\n  <<: {<<: {includeSelectors: true}}");
        assert_eq!(v["labels"][0]["includeSelectors"], true);
        for text in ["<<: 1", "<<: [1]", "<<: [[{a: b}]]", "<<: !x {a: b}"] {
            let e = parse_documents(text).unwrap_err();
            assert!(e.message.contains("merge key"), "{text}: {e}");
        }
    }

    #[test]
    fn errors_are_located_and_end_the_stream() {
        let e = parse_documents("a: 1\n---\nb: [1,\n").unwrap_err();
        assert_eq!(e.document, 2);
        assert!(e.line.is_some(), "{e}");
        let e = parse_documents("a: 1\na: 2\n").unwrap_err();
        assert!(e.message.contains("duplicate"), "{e}");
    }

    #[test]
    fn deep_nesting_fails_fast() {
        let n = 200_000;
        for text in [
            "[".repeat(n),
            format!("items: {}{}", "[".repeat(n), "]".repeat(n)),
            "{a: ".repeat(n / 4),
            "- ".repeat(n / 2),
        ] {
            // Refused by the depth scan, before the parser (quadratic on
            // such input) sees it.
            let e = parse_documents(&text).unwrap_err();
            assert!(e.message.contains("nesting"), "{e}");
        }
    }

    #[test]
    fn ordinary_nesting_and_brackets_in_strings_pass() {
        let deep_but_fine = format!("{}{}", "[".repeat(50), "]".repeat(50));
        assert!(parse_documents(&deep_but_fine).is_ok());
        let text = format!(
            "a: '{}'\nb: \"{}\"\nc: |\n  {}\n  {}\nd: x # {}\n",
            "[".repeat(500),
            "{".repeat(500),
            "[".repeat(500),
            "{".repeat(500),
            "[".repeat(500)
        );
        let docs = parse_documents(&text).unwrap();
        assert_eq!(docs[0]["a"].as_str().map(str::len), Some(500));
        assert!(docs[0]["c"].as_str().is_some_and(|c| c.contains("{{{")));
    }

    #[test]
    fn yaml_1_1_booleans() {
        for t in ["yes", "on", "Y", "true", "TRUE"] {
            assert_eq!(yaml11_bool(&Value::String(t.into())), Some(true), "{t}");
        }
        for f in ["no", "off", "n", "false"] {
            assert_eq!(yaml11_bool(&Value::String(f.into())), Some(false), "{f}");
        }
        assert_eq!(yaml11_bool(&Value::Bool(true)), Some(true));
        assert_eq!(yaml11_bool(&Value::String("maybe".into())), None);
    }
}
