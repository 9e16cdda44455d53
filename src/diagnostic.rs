//! Diagnostics as plain data: every stage reports problems through these.
//! Rendering (human or JSON) lives in `render`.
//!
//! A diagnostic whose help names an exact edit carries that edit as a
//! [`Suggestion`], set where the problem is found: the language server's
//! quick fixes and the machine-readable formats read it, never the help's
//! wording.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::source::{FileId, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

/// A stable diagnostic code with its one-line summary. Each code has a page
/// under `docs/errors/`. The compiler's and the manifest reader's codes are
/// the catalogue below; the lint rules' (`L`) are defined beside their
/// checks (`lint::RULES`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Code {
    pub id: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
}

macro_rules! codes {
    ($($name:ident = $id:literal, $sev:ident, $summary:literal;)*) => {
        $(pub const $name: Code = Code { id: $id, severity: Severity::$sev, summary: $summary };)*
        /// Every code, for documentation and tests.
        pub const ALL: &[Code] = &[$($name),*];
    };
}

/// The catalogue of diagnostic codes.
pub mod codes {
    use super::{Code, Severity};
    codes! {
        SYNTAX = "E001", Error, "syntax error";
        UNKNOWN_ALIAS = "E002", Error, "unknown alias";
        INVALID_NAMESPACE = "E003", Error, "invalid namespace name";
        INVALID_LABEL_KEY = "E004", Error, "invalid label key";
        INVALID_LABEL_VALUE = "E005", Error, "invalid label value";
        PORT_OUT_OF_RANGE = "E006", Error, "port out of range";
        REVERSED_RANGE = "E007", Error, "reversed port range";
        INVALID_NAMED_PORT = "E008", Error, "invalid named port";
        UNKNOWN_PROTOCOL = "E009", Error, "unknown protocol";
        INVALID_CIDR = "E010", Error, "invalid CIDR";
        EXCEPT_OUTSIDE_CIDR = "E011", Error, "`except` range outside its CIDR";
        DUPLICATE_NAMESPACE = "E012", Error, "namespace declared twice";
        DUPLICATE_ALIAS = "E013", Error, "alias defined twice";
        ALIAS_PORT_CONFLICT = "E014", Error, "ports given twice";
        SOURCE_PORTS = "E015", Error, "ports on a source";
        INCLUDE_OUTSIDE_ROOT = "E016", Error, "include outside the root directory";
        INCLUDE_TWICE = "E017", Error, "file included twice";
        INCLUDE_UNREADABLE = "E018", Error, "cannot read included file";
        DENY_STATEMENT = "E019", Error, "`deny` is not a statement";
        MISPLACED_STATEMENT = "E020", Error, "statement not allowed here";
        UNKNOWN_SETTING = "E021", Error, "unknown setting";
        DUPLICATE_SETTING = "E022", Error, "setting given twice";
        DUPLICATE_DNS = "E023", Error, "more than one `dns` statement";
        INVALID_SETTING = "E024", Error, "invalid setting value";
        INVALID_ALIAS_NAME = "E025", Error, "invalid alias name";
        CONTRADICTORY_LABELS = "E026", Error, "label set can never match";
        INVALID_POLICY_NAME = "E027", Error, "invalid policy name";
        DUPLICATE_ISOLATE = "E028", Error, "isolation given twice";
        EXPECTATION_FAILED = "E029", Error, "expectation failed";
        INVALID_EXPECT = "E030", Error, "invalid expectation";
        ALIAS_EXPANSION = "E031", Error, "aliases expand to too many endpoints";
        POLICY_TOO_LARGE = "E032", Error, "policy too large to divide";
        TOO_MANY_PEERS = "E033", Error, "policies would hold too many peers";
        FILE_TOO_LARGE = "E034", Error, "file too large to check";
        ISOLATE_NONE_BESIDE = "E035", Error, "`isolate none` beside another `isolate`";
        ISOLATE_NONE_ONLY = "E036", Error, "`isolate none` with `only`";
        ONLY_NOT_POD_SET = "E037", Error, "pod set of `only` that is not pods of the namespace";
        TIER_ADDRESS_SOURCE = "E040", Error, "address as the source of a tier statement";
        PASS_IN_BASELINE = "E041", Error, "`pass` in a `baseline` block";
        TIER_INGRESS_TO_ADDRESS = "E042", Error, "ingress side of a tier statement toward an address";
        TIER_NAMED_PORT = "E043", Error, "named port the cluster policy API cannot express";
        DUPLICATE_TIER = "E044", Error, "tier block given twice";
        PRIORITIES_EXHAUSTED = "E045", Error, "cluster policies need more priorities than the range holds";
        BASELINE_TOO_WIDE = "E046", Error, "baseline does not fit one BaselineAdminNetworkPolicy";
        NAME_MISPLACED = "E050", Error, "DNS name where only pods or addresses can be";
        INVALID_DNS_NAME = "E051", Error, "invalid DNS name";
        NAME_NEEDS_CNI = "E052", Error, "DNS name without `set cni = cilium`";
        NAME_WITHOUT_DNS = "E053", Error, "DNS name with `dns none`";
        NAMED_PORT_TO_NAME = "E054", Error, "named port toward a DNS name";
        NO_DNS = "W001", Warning, "DNS carve-out turned off";
        ALLOW_WITHOUT_RULE = "W002", Warning, "`allow` produces no rule";
        ROUTING_LABEL = "W003", Warning, "selector on a routing label";
        DNS_NONE = "W004", Warning, "DNS carve-out turned off everywhere";
        NAMED_PORT_TO_IP = "W005", Warning, "named port toward an IP block";
        SELECTS_NO_POD = "W006", Warning, "endpoint matches no pod in the inventory";
        NAMESPACE_LABELS_DIFFER = "W007", Warning, "namespace labels differ from the cluster";
        HOST_NETWORK_POD = "W008", Warning, "pod on the host network";
        UNDECLARED_NAMED_PORT = "W009", Warning, "named port declared by no pod";
        NAMESPACE_TYPO = "W010", Warning, "undeclared namespace close to a declared one";
        SYSTEM_NAMESPACE = "W011", Warning, "a system namespace is managed";
        EVERY_POD_IS_DNS = "W012", Warning, "every pod is a DNS server";
        BARE_NAME_IS_GLOBAL = "W013", Warning, "a bare name in a block selects every pod";
        LONE_CARRIAGE_RETURN = "W014", Warning, "carriage return not followed by a line feed";
        MORE_NOT_SHOWN = "W015", Warning, "more diagnostics in the file than are shown";
        TIER_CONTRADICTS_ALLOW = "W020", Warning, "a tier statement denies what an `allow` allows";
        TIER_PRIVATE_RANGE = "W021", Warning, "tier statement toward addresses pods may have";
        TIER_NO_DNS = "W022", Warning, "DNS statements turned off in a tier block";
        DOTTED_WORKLOAD = "W023", Warning, "workload name that reads as a DNS name";
        NAME_SOURCE_OPEN = "W024", Warning, "DNS name allowed from pods whose egress is open";
        DNS_ADDRESS_WITH_NAMES = "W025", Warning, "DNS server address with DNS names";
        MANIFEST_SYNTAX = "E101", Error, "malformed YAML or JSON manifest";
        MANIFEST_FIELD = "E102", Error, "invalid field in a Kubernetes object";
        MANIFEST_POLICY = "E103", Error, "invalid NetworkPolicy";
        UNCONVERTIBLE = "E104", Error, "policies NPL cannot express exactly";
        UNREAD_POLICY_KIND = "E105", Error, "policy kind the readers do not model yet";
        UNREAD_POLICY_FIELD = "E106", Error, "cluster or Cilium policy the readers cannot evaluate";
        DUPLICATE_OBJECT = "W101", Warning, "object defined twice";
        UNKNOWN_FIELD = "W102", Warning, "unknown field ignored";
        INCOMPLETE_OWNER = "W103", Warning, "owner reference without `kind` or `name`";
        IGNORED_VALUE = "W104", Warning, "container port or pod IP that cannot be used";
    }
}

/// Where each code's page lives, relative to the repository root.
pub const PAGES: &str = "docs/errors";

impl Code {
    /// The page that explains the code (relative to the repository root).
    pub fn page(&self) -> String {
        format!("{PAGES}/{}.md", self.id)
    }
}

/// How sure a suggested edit is to be what was meant (rustc's
/// applicability; ruff's safe and unsafe fixes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Applicability {
    /// Only re-spells what was written (letter case, order, an arrow): a
    /// tool may apply it without asking. Safe.
    MachineApplicable,
    /// A likely reading, not a certain one (a did-you-mean name, one of
    /// several remedies): offered, applied only when asked. Unsafe.
    MaybeIncorrect,
}

impl Applicability {
    /// `safe` or `unsafe`, as the JSON format writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Applicability::MachineApplicable => "safe",
            Applicability::MaybeIncorrect => "unsafe",
        }
    }
}

/// A replacement of the text at `span` (empty for an insertion).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub span: Span,
    pub text: String,
}

/// An edit the help names, as data: its title (`write `udp``), the
/// replacements, and how sure it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suggestion {
    pub title: String,
    pub edits: Vec<Edit>,
    pub applicability: Applicability,
}

/// A secondary location with a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Secondary {
    pub span: Span,
    pub message: String,
}

/// One problem found in the program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub message: String,
    pub span: Span,
    /// Text shown at the primary span.
    pub primary: Option<String>,
    /// Other places that explain the problem.
    pub secondary: Vec<Secondary>,
    pub notes: Vec<String>,
    pub help: Option<String>,
    /// The edits the help names, most likely first.
    pub suggestions: Vec<Suggestion>,
}

/// A backticked part of a message (user input, or syntax shown as an
/// example) longer than this is cut to [`MAX_ECHO`] characters and `…`: a
/// 10 MB identifier is not repeated whole.
const CLIP_ABOVE: usize = 100;
pub const MAX_ECHO: usize = 60;

/// `text` with every backticked part longer than [`CLIP_ABOVE`] characters cut.
fn clip(text: String) -> String {
    if text.len() <= CLIP_ABOVE {
        return text;
    }
    let mut out = String::with_capacity(text.len().min(4 * MAX_ECHO));
    let mut parts = text.split('`');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for (i, part) in parts.enumerate() {
        out.push('`');
        // Odd parts (0-based after the first) are inside backticks.
        match part.char_indices().nth(MAX_ECHO) {
            Some((cut, _)) if i % 2 == 0 && part.chars().count() > CLIP_ABOVE => {
                out.push_str(&part[..cut]);
                out.push('…');
            }
            _ => out.push_str(part),
        }
    }
    out
}

impl Diagnostic {
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            message: clip(message.into()),
            span,
            primary: None,
            secondary: Vec::new(),
            notes: Vec::new(),
            help: None,
            suggestions: Vec::new(),
        }
    }

    pub fn severity(&self) -> Severity {
        self.code.severity
    }

    pub fn is_error(&self) -> bool {
        self.code.severity == Severity::Error
    }

    pub fn with_primary(mut self, text: impl Into<String>) -> Self {
        self.primary = Some(clip(text.into()));
        self
    }

    pub fn with_secondary(mut self, span: Span, text: impl Into<String>) -> Self {
        self.secondary.push(Secondary {
            span,
            message: clip(text.into()),
        });
        self
    }

    pub fn with_note(mut self, text: impl Into<String>) -> Self {
        self.notes.push(clip(text.into()));
        self
    }

    pub fn with_help(mut self, text: impl Into<String>) -> Self {
        self.help = Some(clip(text.into()));
        self
    }

    /// Adds a one-edit suggestion: replace `span` with `text`.
    pub fn with_suggestion(
        mut self,
        title: impl Into<String>,
        span: Span,
        text: impl Into<String>,
        applicability: Applicability,
    ) -> Self {
        self.suggestions.push(Suggestion {
            title: clip(title.into()),
            edits: vec![Edit {
                span,
                text: text.into(),
            }],
            applicability,
        });
        self
    }
}

/// The most diagnostics kept (and shown) per file. The rest are counted,
/// and said in one last diagnostic of the file ([`codes::MORE_NOT_SHOWN`]):
/// a file with 400,000 broken lines is not 400,000 reports, in memory, on a
/// terminal or in an editor. Errors are kept before warnings.
pub const MAX_PER_FILE: usize = 100;

/// What was kept of one file's diagnostics, and what was left out.
#[derive(Clone, Copy, Debug, Default)]
struct FileCount {
    kept_errors: usize,
    kept_warnings: usize,
    omitted_errors: usize,
    omitted_warnings: usize,
    /// The first position left out, where the summary points.
    first_omitted: Option<Span>,
}

impl FileCount {
    fn omit(&mut self, d: &Diagnostic) {
        match d.severity() {
            Severity::Error => self.omitted_errors += 1,
            Severity::Warning => self.omitted_warnings += 1,
        }
        self.omit_at(d.span);
    }

    fn omit_at(&mut self, span: Span) {
        if self.first_omitted.is_none_or(|f| span.start() < f.start()) {
            self.first_omitted = Some(span);
        }
    }

    fn omitted(&self) -> usize {
        self.omitted_errors + self.omitted_warnings
    }

    /// `900 more errors and 3 more warnings in this file are not shown`.
    fn summary(&self) -> Option<Diagnostic> {
        let span = self.first_omitted?;
        if self.omitted() == 0 {
            return None;
        }
        let count = |n: usize, what: &str| {
            let s = if n == 1 { "" } else { "s" };
            format!("{n} more {what}{s}")
        };
        let mut parts = Vec::new();
        if self.omitted_errors > 0 {
            parts.push(count(self.omitted_errors, "error"));
        }
        if self.omitted_warnings > 0 {
            parts.push(count(self.omitted_warnings, "warning"));
        }
        Some(
            Diagnostic::new(
                codes::MORE_NOT_SHOWN,
                span,
                format!("{} in this file are not shown", parts.join(" and ")),
            )
            .with_primary("the first one not shown")
            .with_help(format!(
                "npc shows at most {MAX_PER_FILE} diagnostics per file, errors first: fix these and check again"
            )),
        )
    }
}

/// Whether a diagnostic is the summary of those left out.
fn is_summary(d: &Diagnostic) -> bool {
    d.code == codes::MORE_NOT_SHOWN
}

/// Diagnostics collected by a stage: at most [`MAX_PER_FILE`] per file
/// are kept, the rest counted.
#[derive(Clone, Debug, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
    files: BTreeMap<FileId, FileCount>,
}

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        let count = self.files.entry(d.span.file).or_default();
        if is_summary(&d) {
            // A summary from a list capped before: its counts are in its
            // message, and it stays the file's last word.
            self.items.push(d);
            return;
        }
        if count.kept_errors + count.kept_warnings < MAX_PER_FILE {
            match d.severity() {
                Severity::Error => count.kept_errors += 1,
                Severity::Warning => count.kept_warnings += 1,
            }
            self.items.push(d);
            return;
        }
        if d.is_error() && count.kept_warnings > 0 {
            // An error takes the place of the file's last warning kept.
            let file = d.span.file;
            if let Some(i) = self
                .items
                .iter()
                .rposition(|x| x.span.file == file && !x.is_error() && !is_summary(x))
            {
                let evicted = self.items.remove(i);
                count.kept_warnings -= 1;
                count.kept_errors += 1;
                count.omit(&evicted);
                self.items.push(d);
                return;
            }
        }
        count.omit(&d);
    }

    pub fn extend(&mut self, other: Diagnostics) {
        for (file, c) in &other.files {
            let count = self.files.entry(*file).or_default();
            count.omitted_errors += c.omitted_errors;
            count.omitted_warnings += c.omitted_warnings;
            if let Some(span) = c.first_omitted {
                count.omit_at(span);
            }
        }
        for d in other.items {
            self.push(d);
        }
    }

    /// Whether any error was reported (kept or not).
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
            || self.files.values().any(|c| c.omitted_errors > 0)
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// How many are kept.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    /// Diagnostics in source order (file, then position), errors first at a
    /// tie; the summary of a file's diagnostics left out comes last in it.
    pub fn sorted(mut self) -> Vec<Diagnostic> {
        self.items.sort_by(|a, b| {
            (
                a.span.file,
                is_summary(a),
                a.span.start(),
                a.severity(),
                a.code.id,
            )
                .cmp(&(
                    b.span.file,
                    is_summary(b),
                    b.span.start(),
                    b.severity(),
                    b.code.id,
                ))
        });
        self.items.dedup();
        if self.files.values().all(|c| c.omitted() == 0) {
            return self.items;
        }
        let mut out = Vec::with_capacity(self.items.len() + self.files.len());
        let mut items = self.items.into_iter().peekable();
        for (file, count) in &self.files {
            while let Some(d) = items.next_if(|d| d.span.file <= *file) {
                out.push(d);
            }
            out.extend(count.summary());
        }
        out.extend(items);
        out
    }
}

/// `diags` with at most [`MAX_PER_FILE`] per file and a summary of the
/// rest (in source order then); unchanged when no file has more.
pub fn capped(diags: &[Diagnostic]) -> Cow<'_, [Diagnostic]> {
    let mut per_file: BTreeMap<FileId, usize> = BTreeMap::new();
    for d in diags.iter().filter(|d| !is_summary(d)) {
        *per_file.entry(d.span.file).or_default() += 1;
    }
    if per_file.values().all(|n| *n <= MAX_PER_FILE) {
        return Cow::Borrowed(diags);
    }
    let mut all = Diagnostics::default();
    for d in diags {
        all.push(d.clone());
    }
    Cow::Owned(all.sorted())
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

/// The closest candidate within a small edit distance, for "did you mean".
/// Long names get no suggestion: nobody mistypes a 64-character word, and
/// the distance costs the product of the lengths.
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let len = name.chars().count();
    if len > 64 {
        return None;
    }
    let limit = (len / 3).max(1);
    candidates
        .filter(|c| c.chars().count().abs_diff(len) <= limit)
        .map(|c| (edit_distance(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn echoed_input_is_cut() {
        let long = "x".repeat(10_000);
        let clipped = super::clip(format!("unknown alias `{long}` here, `short`"));
        assert!(clipped.len() < 100, "{clipped}");
        assert!(clipped.ends_with("…` here, `short`"), "{clipped}");
        let fine = "a `b` c".to_string();
        assert_eq!(super::clip(fine.clone()), fine);
    }

    #[test]
    fn did_you_mean() {
        let names = ["api", "db", "frontend"];
        assert_eq!(closest("apj", names.iter().copied()), Some("api"));
        assert_eq!(closest("frontnd", names.iter().copied()), Some("frontend"));
        assert_eq!(closest("zzz", names.iter().copied()), None);
        assert_eq!(closest(&"a".repeat(100), names.iter().copied()), None);
    }
}
