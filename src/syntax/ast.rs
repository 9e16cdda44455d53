//! The NPL abstract syntax tree: what was written, with spans, nothing resolved.

pub use crate::k8s::cluster_policy::{Action, Tier};
pub use crate::k8s::Direction;
use crate::source::Spanned;

pub type Name = Spanned<String>;

/// One parsed file.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct File {
    pub statements: Vec<Spanned<Statement>>,
}

/// Every variant larger than an `allow` (two vectors) is boxed: a large
/// program's list of statements is its largest vector, and `allow`s are
/// most of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Statement {
    Namespace(Box<NamespaceDecl>),
    /// `admin { ... }` / `baseline { ... }`
    Tier(Box<TierDecl>),
    /// `accept|deny|pass [ingress|egress] SRC -> DST`, in a tier block.
    TierRule(Box<TierRule>),
    Let(Box<Let>),
    Allow(Allow),
    /// `deny ...`: not part of the language; kept to explain why.
    Deny,
    Expect(Box<Expect>),
    Dns(Dns),
    Scrape(Box<Scrape>),
    Set(Box<Set>),
    Include(Spanned<String>),
    Isolate(Box<Isolate>),
    /// `no dns` / `no scrape`
    No(Spanned<Carveout>),
    /// A statement with a syntax error (already reported). What it seems
    /// to define is kept so that later uses do not report it again.
    Invalid(Box<Invalid>),
}

/// What a statement that did not parse was about to define.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Invalid {
    /// `let NAME ...`
    pub alias: Option<Name>,
    /// `namespace NAME ...`
    pub namespace: Option<Name>,
}

/// An `npc explain` query: `SRC -> DST[:PORTS]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    pub source: Spanned<Target>,
    pub destination: Spanned<Target>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Carveout {
    Dns,
    Scrape,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NamespaceDecl {
    pub name: Name,
    pub labels: Option<Spanned<LabelSet>>,
    /// `None` when the declaration has no `{ ... }` block.
    pub body: Option<Vec<Spanned<Statement>>>,
}

/// A tier block: its statements in written order (`TierRule`s, `no dns`,
/// and statements with syntax errors).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TierDecl {
    pub tier: Spanned<Tier>,
    pub body: Vec<Spanned<Statement>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TierRule {
    pub action: Spanned<Action>,
    /// `ingress` or `egress` when written: the statement applies to that
    /// side only.
    pub side: Option<Spanned<Direction>>,
    pub sources: Vec<Spanned<Target>>,
    pub destinations: Vec<Spanned<Target>>,
}

/// `isolate none`, `isolate DIRS` or `isolate DIRS only PODSET {, PODSET}`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Isolate {
    pub directions: IsolateDirections,
    /// `only PODSET {, PODSET}`, spanned from `only` to the last set.
    pub only: Option<Spanned<Vec<Spanned<PodPart>>>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IsolateDirections {
    None,
    Directions(Vec<Spanned<Direction>>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Let {
    pub name: Name,
    pub targets: Vec<Spanned<Target>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allow {
    pub sources: Vec<Spanned<Target>>,
    pub destinations: Vec<Spanned<Target>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    Deny,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expect {
    pub verdict: Spanned<Verdict>,
    pub source: Spanned<Target>,
    pub destination: Spanned<Target>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dns {
    None,
    Servers(Vec<Spanned<Target>>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scrape {
    pub source: Spanned<Target>,
    pub pods: Spanned<PodPart>,
    pub ports: Option<Spanned<Vec<Spanned<Port>>>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Set {
    pub key: Name,
    pub value: Spanned<String>,
}

/// An endpoint with the ports written after it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub endpoint: Spanned<Endpoint>,
    pub ports: Option<Spanned<Vec<Spanned<Port>>>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// `ns/pods`
    Pods {
        namespace: Spanned<NamespacePart>,
        pods: Spanned<PodPart>,
    },
    /// `10.0.0.0/8 except (...)`, `[2001:db8::/32]`
    Ip {
        cidr: Spanned<String>,
        except: Vec<Spanned<String>>,
    },
    World,
    Cluster,
    /// A bare name: an alias, or a pod of the enclosing namespace block.
    Alias(String),
    /// A bare label set: pods of the enclosing namespace block.
    LocalPods(LabelSet),
    /// A DNS name or pattern, as written (`api.stripe.com`,
    /// `api.stripe.com.`, `*.s3.amazonaws.com`): a dotted bare word outside
    /// namespace blocks, a word that ends in a dot, or a `*.` pattern.
    /// Inside a block a dotted bare word without the dot stays a workload
    /// name (`Alias`), as in v1.
    Name(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NamespacePart {
    Any,
    Name(String),
    Labels(LabelSet),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PodPart {
    Any,
    Name(String),
    Labels(LabelSet),
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct LabelSet {
    pub entries: Vec<Spanned<LabelEntry>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelEntry {
    pub key: Spanned<String>,
    pub op: LabelOp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LabelOp {
    Eq(Spanned<String>),
    NotEq(Spanned<String>),
    In(Vec<Spanned<String>>),
    NotIn(Vec<Spanned<String>>),
    Exists,
    NotExists,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Port {
    pub value: PortValue,
    /// The protocol as written (`udp`), validated during resolution.
    pub protocol: Option<Spanned<String>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortValue {
    /// Kept as text so that out-of-range numbers get a located diagnostic.
    Number(Spanned<String>),
    /// First and last, out of line: ranges are rare, and a port is in
    /// most targets.
    Range(Box<(Spanned<String>, Spanned<String>)>),
    Named(Spanned<String>),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Spanned;

    /// A statement is the size of an `allow` (two vectors); a port holds a
    /// range's two texts out of line; a span is three 32-bit numbers.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn statements_and_ports_stay_small() {
        assert_eq!(std::mem::size_of::<crate::source::Span>(), 12);
        assert_eq!(std::mem::size_of::<Statement>(), 48);
        assert_eq!(std::mem::size_of::<Spanned<Statement>>(), 64);
        assert_eq!(std::mem::size_of::<Port>(), 88);
        assert_eq!(std::mem::size_of::<Spanned<Target>>(), 168);
    }
}
