//! Where each field of a YAML document was written: byte spans by path.
//!
//! The values npc reads come from the bounded reader (`k8s::yaml::read`),
//! which keeps no positions. This module runs a second, position-aware
//! parser (`saphyr-parser`, events with markers) over the same text and
//! records a tree of spans per document, which findings use to point at
//! `spec.ingress[0].from[1]`. Positions only locate messages: when the two
//! parsers disagree (a different number of documents), the caller falls
//! back to the start of the document; semantics never depend on them.
//!
//! The caller runs it only on text that the bounded reader accepted (depth
//! checked, size bounded); aliases are recorded where they are written,
//! never expanded.

use saphyr_parser::{Event, Parser};

/// The spans of one document's nodes (or of one object inside it).
#[derive(Clone, Debug, Default)]
pub struct FieldSpans {
    nodes: Vec<Node>,
}

#[derive(Clone, Debug)]
struct Node {
    /// Byte offset where the node starts: its key for a mapping entry.
    start: usize,
    /// Byte offset after its last character.
    end: usize,
    /// The end of the node's first line (clamped to `end`).
    head_end: usize,
    children: Children,
}

#[derive(Clone, Debug)]
enum Children {
    Leaf,
    Map(Vec<(String, usize)>),
    Seq(Vec<usize>),
}

/// One step of a field path: `spec`, `[0]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

/// Splits `spec.ingress[0].from` into steps; keys may contain `/` and `-`
/// but not `.` or `[` (label keys with dots are addressed by their parent).
fn steps(path: &str) -> Vec<Step<'_>> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            out.push(Step::Key(key));
        }
        while let Some(inner) = rest.strip_prefix('[') {
            let Some(close) = inner.find(']') else { break };
            if let Ok(i) = inner[..close].parse() {
                out.push(Step::Index(i));
            }
            rest = &inner[close + 1..];
        }
    }
    out
}

impl FieldSpans {
    /// The same spans, `offset` bytes further into the text.
    pub fn shifted(mut self, offset: usize) -> FieldSpans {
        for node in &mut self.nodes {
            node.start += offset;
            node.end += offset;
            node.head_end += offset;
        }
        self
    }

    /// The whole node: `(start, end)` byte offsets; `None` when empty.
    pub fn root(&self) -> Option<(usize, usize)> {
        self.nodes.first().map(|n| (n.start, n.end))
    }

    fn find(&self, path: &str) -> Option<(usize, bool)> {
        let mut at = 0;
        self.nodes.first()?;
        let mut exact = true;
        for step in steps(path) {
            let next = match (&self.nodes[at].children, step) {
                (Children::Map(entries), Step::Key(k)) => {
                    entries.iter().find(|(key, _)| key == k).map(|(_, n)| *n)
                }
                (Children::Seq(items), Step::Index(i)) => items.get(i).copied(),
                _ => None,
            };
            match next {
                Some(n) => at = n,
                None => {
                    exact = false;
                    break;
                }
            }
        }
        Some((at, exact))
    }

    /// The first line of the node at `path` (`spec.ingress[0].from[1]`), or
    /// of its deepest ancestor that exists; `None` when there are no spans.
    pub fn locate(&self, path: &str) -> Option<(usize, usize)> {
        self.find(path).map(|(n, _)| {
            let node = &self.nodes[n];
            (node.start, node.head_end)
        })
    }

    /// Like [`FieldSpans::locate`], but only when the field itself exists.
    pub fn locate_exact(&self, path: &str) -> Option<(usize, usize)> {
        match self.find(path) {
            Some((n, true)) => Some((self.nodes[n].start, self.nodes[n].head_end)),
            _ => None,
        }
    }

    /// The whole node at `path` (all its lines), if it exists.
    pub fn extent(&self, path: &str) -> Option<(usize, usize)> {
        match self.find(path) {
            Some((n, true)) => Some((self.nodes[n].start, self.nodes[n].end)),
            _ => None,
        }
    }

    /// A copy of the subtree at `path` (an item of a `List`), without the
    /// `managedFields` and `status` of the object, which nothing locates.
    pub fn subtree(&self, path: &str) -> FieldSpans {
        let Some((root, true)) = self.find(path) else {
            return FieldSpans::default();
        };
        let mut out = FieldSpans::default();
        // (node in self, parent in out and key or index, depth)
        let mut queue = vec![(root, None::<(usize, Option<String>)>, 0usize)];
        while let Some((n, parent, depth)) = queue.pop() {
            let node = &self.nodes[n];
            let id = out.nodes.len();
            out.nodes.push(Node {
                children: match node.children {
                    Children::Leaf => Children::Leaf,
                    Children::Map(_) => Children::Map(Vec::new()),
                    Children::Seq(_) => Children::Seq(Vec::new()),
                },
                ..*node
            });
            match (parent, &mut out.nodes) {
                (Some((p, Some(key))), nodes) => {
                    if let Children::Map(entries) = &mut nodes[p].children {
                        entries.push((key, id));
                    }
                }
                (Some((p, None)), nodes) => {
                    if let Children::Seq(items) = &mut nodes[p].children {
                        items.push(id);
                    }
                }
                (None, _) => {}
            }
            match &node.children {
                Children::Leaf => {}
                Children::Map(entries) => {
                    // Reversed: the stack pops them in order.
                    for (key, child) in entries.iter().rev() {
                        let skip = key == "managedFields" || (depth == 0 && key == "status");
                        if !skip {
                            queue.push((*child, Some((id, Some(key.clone()))), depth + 1));
                        }
                    }
                }
                Children::Seq(items) => {
                    for child in items.iter().rev() {
                        queue.push((*child, Some((id, None)), depth + 1));
                    }
                }
            }
        }
        out
    }
}

/// Converts the parser's character indices to byte offsets, moving forward
/// (events arrive in text order) and restarting only when asked to go back.
struct Offsets<'t> {
    text: &'t str,
    ascii: bool,
    chars: usize,
    bytes: usize,
}

impl Offsets<'_> {
    fn byte(&mut self, char_index: usize) -> usize {
        if self.ascii {
            return char_index.min(self.text.len());
        }
        if char_index < self.chars {
            self.chars = 0;
            self.bytes = 0;
        }
        let mut it = self.text[self.bytes..].char_indices();
        while self.chars < char_index {
            match it.next() {
                Some((_, c)) => {
                    self.bytes += c.len_utf8();
                    self.chars += 1;
                }
                None => break,
            }
        }
        self.bytes
    }
}

enum Frame {
    Map {
        node: usize,
        key: Option<(String, usize)>,
    },
    Seq {
        node: usize,
    },
    /// A collection used as a mapping key: its content is not recorded.
    Key {
        depth: usize,
        start: usize,
    },
}

struct Builder<'t> {
    text: &'t str,
    spans: FieldSpans,
    stack: Vec<Frame>,
    /// The end of the last scalar or flow collection seen.
    last_end: usize,
}

impl Builder<'_> {
    fn head_end(&self, start: usize, end: usize) -> usize {
        let line_end = self.text[start.min(self.text.len())..]
            .find('\n')
            .map_or(self.text.len(), |i| start + i);
        let head = line_end.min(end).max(start);
        // Trim trailing blanks of the line.
        let trimmed = self.text[start..head].trim_end().len();
        start + trimmed
    }

    /// Creates a node for a value that starts at `start`; a mapping entry
    /// starts at its key instead. Returns `None` inside a key collection.
    fn open(&mut self, start: usize, children: Children) -> Option<usize> {
        let id = self.spans.nodes.len();
        let mut node_start = start;
        match self.stack.last_mut() {
            Some(Frame::Key { .. }) => return None,
            Some(Frame::Map { node, key }) => {
                let (name, key_start) = key.take().unwrap_or_default();
                node_start = key_start.min(start);
                let parent = *node;
                if let Children::Map(entries) = &mut self.spans.nodes[parent].children {
                    entries.push((name, id));
                }
            }
            Some(Frame::Seq { node }) => {
                let parent = *node;
                if let Children::Seq(items) = &mut self.spans.nodes[parent].children {
                    items.push(id);
                }
            }
            None => {}
        }
        self.spans.nodes.push(Node {
            start: node_start,
            end: start,
            head_end: start,
            children,
        });
        Some(id)
    }

    fn close(&mut self, id: usize, end: usize) {
        let start = self.spans.nodes[id].start;
        let end = end.max(start);
        let head_end = self.head_end(start, end);
        let node = &mut self.spans.nodes[id];
        node.end = end;
        node.head_end = head_end;
    }

    fn scalar(&mut self, text: String, start: usize, end: usize) {
        self.last_end = end;
        match self.stack.last_mut() {
            Some(Frame::Key { .. }) => {}
            Some(Frame::Map {
                key: key @ None, ..
            }) => *key = Some((text, start)),
            _ => {
                if let Some(id) = self.open(start, Children::Leaf) {
                    self.close(id, end);
                }
            }
        }
    }

    fn start_collection(&mut self, start: usize, map: bool) {
        if let Some(Frame::Key { depth, .. }) = self.stack.last_mut() {
            *depth += 1;
            return;
        }
        if let Some(Frame::Map { key: None, .. }) = self.stack.last() {
            self.stack.push(Frame::Key { depth: 0, start });
            return;
        }
        let children = if map {
            Children::Map(Vec::new())
        } else {
            Children::Seq(Vec::new())
        };
        if let Some(node) = self.open(start, children) {
            self.stack.push(if map {
                Frame::Map { node, key: None }
            } else {
                Frame::Seq { node }
            });
        }
    }

    /// `flow_end` is the end of a `]`/`}`; block collections end at their
    /// last content.
    fn end_collection(&mut self, flow_end: Option<usize>) {
        if let Some(end) = flow_end {
            self.last_end = end;
        }
        match self.stack.pop() {
            Some(Frame::Key { depth: 0, start }) => {
                if let Some(Frame::Map { key, .. }) = self.stack.last_mut() {
                    *key = Some((String::new(), start));
                }
            }
            Some(Frame::Key { depth, start }) => self.stack.push(Frame::Key {
                depth: depth - 1,
                start,
            }),
            Some(Frame::Map { node, .. } | Frame::Seq { node }) => {
                let end = self.last_end;
                self.close(node, end);
            }
            None => {}
        }
    }
}

/// The spans of every document of `text`, in order, or `None` when the
/// position-aware parser rejects the text. Offsets are relative to `text`.
pub fn documents(text: &str) -> Option<Vec<FieldSpans>> {
    let mut offsets = Offsets {
        text,
        ascii: text.is_ascii(),
        chars: 0,
        bytes: 0,
    };
    let mut docs = Vec::new();
    let mut builder: Option<Builder<'_>> = None;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.ok()?;
        let start = offsets.byte(span.start.index());
        let end = offsets.byte(span.end.index());
        match event {
            Event::DocumentStart(_) => {
                builder = Some(Builder {
                    text,
                    spans: FieldSpans::default(),
                    stack: Vec::new(),
                    last_end: start,
                });
            }
            Event::DocumentEnd => {
                if let Some(b) = builder.take() {
                    docs.push(b.spans);
                }
            }
            Event::Scalar(value, ..) => {
                if let Some(b) = &mut builder {
                    b.scalar(value.into_owned(), start, end);
                }
            }
            Event::Alias(_) => {
                if let Some(b) = &mut builder {
                    b.scalar(String::new(), start, end);
                }
            }
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                if let Some(b) = &mut builder {
                    b.start_collection(start, matches!(event, Event::MappingStart(..)));
                }
            }
            Event::MappingEnd | Event::SequenceEnd => {
                if let Some(b) = &mut builder {
                    b.end_collection((end > start).then_some(end));
                }
            }
            Event::StreamStart | Event::StreamEnd | Event::Nothing => {}
        }
    }
    Some(docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, span: Option<(usize, usize)>) -> &str {
        let (a, b) = span.unwrap();
        &text[a..b]
    }

    #[test]
    fn paths_split_into_steps() {
        assert_eq!(
            steps("spec.ingress[0].from[12].ipBlock"),
            [
                Step::Key("spec"),
                Step::Key("ingress"),
                Step::Index(0),
                Step::Key("from"),
                Step::Index(12),
                Step::Key("ipBlock")
            ]
        );
        assert_eq!(steps("items[3]"), [Step::Key("items"), Step::Index(3)]);
    }

    #[test]
    fn block_and_flow_fields_are_located() {
        let text = "\
apiVersion: v1
kind: List
items:
- kind: NetworkPolicy
  metadata:
    name: p   # the name
  spec:
    ingress:
    - from:
      - podSelector: {matchLabels: {app: é}}
      - namespaceSelector:
          matchLabels: {team: ops}
      ports: [{port: 53}, {port: 80, protocol: UDP}]
---
{\"kind\": \"Pod\", \"metadata\": {\"name\": \"x\"}}
";
        let docs = documents(text).unwrap();
        assert_eq!(docs.len(), 2);
        let item = docs[0].subtree("items[0]");
        assert_eq!(at(text, item.locate("metadata.name")), "name: p");
        assert_eq!(
            at(text, item.locate("spec.ingress[0].from[0]")),
            "podSelector: {matchLabels: {app: é}}"
        );
        assert_eq!(
            at(text, item.locate("spec.ingress[0].from[1]")),
            "namespaceSelector:"
        );
        assert_eq!(
            at(text, item.extent("spec.ingress[0].from[1]")),
            "namespaceSelector:\n          matchLabels: {team: ops}"
        );
        assert_eq!(
            at(text, item.locate("spec.ingress[0].ports[1].protocol")),
            "protocol: UDP"
        );
        assert_eq!(
            at(text, item.locate("spec.ingress[0].ports[1]")),
            "{port: 80, protocol: UDP}"
        );
        // A missing field falls back to its deepest ancestor.
        assert_eq!(at(text, item.locate("spec.egress[0]")), "spec:");
        assert_eq!(item.locate_exact("spec.egress[0]"), None);
        assert_eq!(at(text, docs[1].locate("metadata.name")), "\"name\": \"x\"");
    }

    #[test]
    fn subtrees_leave_out_managed_fields_and_status() {
        let text = "metadata:\n  name: a\n  managedFields:\n  - manager: kubectl\nstatus:\n  phase: Running\n";
        let docs = documents(text).unwrap();
        assert!(docs[0].locate_exact("metadata.managedFields[0]").is_some());
        let object = docs[0].subtree("");
        assert_eq!(object.locate_exact("metadata.managedFields"), None);
        assert_eq!(object.locate_exact("status"), None);
        assert_eq!(at(text, object.locate("metadata.name")), "name: a");
    }

    #[test]
    fn complex_keys_aliases_and_errors() {
        let text = "a: &x {b: 1}\n? [k, l]\n: v\nc: *x\n";
        let docs = documents(text).unwrap();
        assert_eq!(at(text, docs[0].locate("c")), "c: *x");
        assert_eq!(at(text, docs[0].locate("a.b")), "b: 1");
        assert!(documents("a: [1,\n").is_none());
    }
}
