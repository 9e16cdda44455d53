//! Lowering of pest pairs to the AST: one small function per grammar rule.

use pest::iterators::{Pair, Pairs};

use super::ast::*;
use super::Rule;
use crate::diagnostic::{codes, Diagnostic};
use crate::source::{FileId, Span, Spanned};

type Result<T> = std::result::Result<T, Box<Diagnostic>>;

/// Every pair lowered by `f`, in a vector of exactly their number (a
/// program holds many short lists).
fn each<'i, T>(
    pairs: Pairs<'i, Rule>,
    mut f: impl FnMut(Pair<'i, Rule>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut out = Vec::with_capacity(pairs.len());
    for p in pairs {
        out.push(f(p)?);
    }
    Ok(out)
}

#[derive(Clone, Copy)]
pub(super) struct Lower {
    pub file: FileId,
    /// Where the parsed text starts in the file: statements parsed one by
    /// one after a syntax error are parsed from the middle of the file.
    pub base: usize,
    /// Whether the statements are in a namespace block, where a dotted bare
    /// word is a workload name unless it ends in a dot.
    pub in_block: bool,
    /// Whether the text may hold a comment: false when it has no `#` at
    /// all, and no pair's span need be searched for one.
    pub comments: bool,
}

impl Lower {
    /// The pair's span without the trailing blanks and comment that an
    /// unmatched optional part leaves inside it.
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        let mut end = s.end();
        // Most pairs end in a token: with no blank at the end and no
        // comment anywhere, nothing follows the last inner pair but the
        // rest of a token, which stays (as below, at a lower price).
        let text = s.as_str();
        let blank_end = text.ends_with([' ', '\t', '\r']);
        let comment = self.comments && text.contains('#');
        if !blank_end && !comment {
            return Span::new(self.file, self.base + s.start(), self.base + end);
        }
        if let Some(last) = pair.clone().into_inner().next_back() {
            let inner_end = last.as_span().end();
            let tail = s.as_str().get(inner_end - s.start()..).unwrap_or("");
            let tail = tail.trim_start_matches([' ', '\t', '\r']);
            if tail.is_empty() || tail.starts_with('#') {
                end = inner_end;
            }
        }
        Span::new(self.file, self.base + s.start(), self.base + end)
    }

    fn spanned<T>(&self, pair: &Pair<'_, Rule>, node: T) -> Spanned<T> {
        Spanned::new(node, self.span(pair))
    }

    /// The text of a token: an atomic rule, which holds no whitespace (so
    /// its span needs no trimming).
    fn text(&self, pair: &Pair<'_, Rule>) -> Spanned<String> {
        let s = pair.as_span();
        Spanned::new(
            s.as_str().to_string(),
            Span::new(self.file, self.base + s.start(), self.base + s.end()),
        )
    }

    /// The parse tree did not have the shape the grammar promises.
    pub fn malformed(&self, span: Span, rule: &str) -> Box<Diagnostic> {
        Box::new(
            Diagnostic::new(
                codes::SYNTAX,
                span,
                format!("internal error: malformed parse tree for {rule}"),
            )
            .with_help("please report this with the input that caused it"),
        )
    }

    fn next<'i>(
        &self,
        pairs: &mut impl Iterator<Item = Pair<'i, Rule>>,
        parent: Span,
        rule: &str,
    ) -> Result<Pair<'i, Rule>> {
        pairs.next().ok_or_else(|| self.malformed(parent, rule))
    }

    pub fn file(&self, mut pairs: Pairs<'_, Rule>) -> Result<File> {
        let file = pairs
            .next()
            .ok_or_else(|| self.malformed(Span::new(self.file, 0, 0), "file"))?;
        let statements = self.statements(file.into_inner())?;
        Ok(File { statements })
    }

    /// `statement_run`: the statements it holds.
    pub fn statement_run(&self, mut pairs: Pairs<'_, Rule>) -> Result<Vec<Spanned<Statement>>> {
        let run = pairs.next().ok_or_else(|| {
            self.malformed(Span::new(self.file, self.base, self.base), "statement")
        })?;
        self.statements(run.into_inner())
    }

    /// `statement_line` (or `tier_statement_line`): the one statement it holds.
    pub fn statement_line(&self, mut pairs: Pairs<'_, Rule>) -> Result<Spanned<Statement>> {
        let line = pairs.next().ok_or_else(|| {
            self.malformed(Span::new(self.file, self.base, self.base), "statement")
        })?;
        let span = self.span(&line);
        let statement = self.next(&mut line.into_inner(), span, "statement")?;
        self.statement(statement)
    }

    /// `namespace_header`: a declaration whose body the caller fills in.
    pub fn namespace_header(&self, mut pairs: Pairs<'_, Rule>) -> Result<NamespaceDecl> {
        let header = pairs.next().ok_or_else(|| {
            self.malformed(Span::new(self.file, self.base, self.base), "namespace")
        })?;
        let mut decl = self.namespace_decl(header)?;
        decl.body = Some(Vec::new());
        Ok(decl)
    }

    /// `tier_header`: a tier block without its body, which recovery
    /// parses statement by statement.
    pub fn tier_header(&self, mut pairs: Pairs<'_, Rule>) -> Result<TierDecl> {
        let header = pairs
            .next()
            .ok_or_else(|| self.malformed(Span::new(self.file, self.base, self.base), "tier"))?;
        let span = self.span(&header);
        let name = self.next(&mut header.into_inner(), span, "tier")?;
        Ok(TierDecl {
            tier: self.tier_name(&name),
            body: Vec::new(),
        })
    }

    fn tier_name(&self, pair: &Pair<'_, Rule>) -> Spanned<Tier> {
        let tier = if pair.as_str().starts_with("admin") {
            Tier::Admin
        } else {
            Tier::Baseline
        };
        self.spanned(pair, tier)
    }

    fn tier_decl(&self, pair: Pair<'_, Rule>) -> Result<TierDecl> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let name = self.next(&mut inner, span, "tier")?;
        let block = self.next(&mut inner, span, "tier")?;
        Ok(TierDecl {
            tier: self.tier_name(&name),
            body: self.statements(block.into_inner())?,
        })
    }

    fn tier_rule(&self, pair: Pair<'_, Rule>) -> Result<TierRule> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner().filter(|p| p.as_rule() != Rule::arrow);
        let action = self.next(&mut inner, span, "tier statement")?;
        let action = self.spanned(
            &action,
            match action.as_str() {
                a if a.starts_with("accept") => Action::Accept,
                a if a.starts_with("pass") => Action::Pass,
                _ => Action::Deny,
            },
        );
        let mut next = self.next(&mut inner, span, "tier statement")?;
        let mut side = None;
        if next.as_rule() == Rule::tier_side {
            let dir = if next.as_str().starts_with("ingress") {
                Direction::Ingress
            } else {
                Direction::Egress
            };
            side = Some(self.spanned(&next, dir));
            next = self.next(&mut inner, span, "tier statement")?;
        }
        let destinations = self.next(&mut inner, span, "tier statement")?;
        Ok(TierRule {
            action,
            side,
            sources: self.targets(next)?,
            destinations: self.targets(destinations)?,
        })
    }

    /// `query`: two endpoints.
    pub fn query(&self, mut pairs: Pairs<'_, Rule>) -> Result<Query> {
        let query = pairs
            .next()
            .ok_or_else(|| self.malformed(Span::new(self.file, self.base, self.base), "query"))?;
        let span = self.span(&query);
        let mut inner = query
            .into_inner()
            .filter(|p| !matches!(p.as_rule(), Rule::arrow | Rule::EOI));
        let source = self.target(self.next(&mut inner, span, "query")?)?;
        let destination = self.target(self.next(&mut inner, span, "query")?)?;
        Ok(Query {
            source,
            destination,
        })
    }

    fn statements(&self, pairs: Pairs<'_, Rule>) -> Result<Vec<Spanned<Statement>>> {
        let mut out = Vec::with_capacity(pairs.len());
        for p in pairs.filter(|p| p.as_rule() != Rule::EOI) {
            out.push(self.statement(p)?);
        }
        Ok(out)
    }

    fn statement(&self, pair: Pair<'_, Rule>) -> Result<Spanned<Statement>> {
        let span = self.span(&pair);
        let stmt = match pair.as_rule() {
            Rule::namespace_decl | Rule::nested_namespace => {
                Statement::Namespace(Box::new(self.namespace_decl(pair)?))
            }
            Rule::tier_decl => Statement::Tier(Box::new(self.tier_decl(pair)?)),
            Rule::tier_rule => Statement::TierRule(Box::new(self.tier_rule(pair)?)),
            Rule::let_stmt => Statement::Let(Box::new(self.let_stmt(pair)?)),
            Rule::allow_stmt => Statement::Allow(self.allow_stmt(pair)?),
            Rule::deny_stmt => Statement::Deny,
            Rule::expect_stmt => Statement::Expect(Box::new(self.expect_stmt(pair)?)),
            Rule::dns_stmt => Statement::Dns(self.dns_stmt(pair)?),
            Rule::scrape_stmt => Statement::Scrape(Box::new(self.scrape_stmt(pair)?)),
            Rule::set_stmt => Statement::Set(Box::new(self.set_stmt(pair)?)),
            Rule::include_stmt => Statement::Include(self.include_stmt(pair)?),
            Rule::isolate_stmt => Statement::Isolate(Box::new(self.isolate_stmt(pair)?)),
            Rule::no_stmt => Statement::No(self.no_stmt(pair)?),
            _ => return Err(self.malformed(span, "statement")),
        };
        Ok(Spanned::new(stmt, span))
    }

    fn namespace_decl(&self, pair: Pair<'_, Rule>) -> Result<NamespaceDecl> {
        let span = self.span(&pair);
        let mut inner = pair
            .into_inner()
            .filter(|p| p.as_rule() != Rule::kw_namespace);
        // `namespace_header` ends in the `{` of its block, which is no pair.
        let name = inner
            .next()
            .ok_or_else(|| self.malformed(span, "namespace"))?;
        let mut decl = NamespaceDecl {
            name: self.text(&name),
            labels: None,
            body: None,
        };
        for p in inner {
            match p.as_rule() {
                Rule::kw_labels => {}
                Rule::label_set => decl.labels = Some(self.label_set(p)?),
                Rule::block => {
                    let inner = Lower {
                        in_block: true,
                        ..*self
                    };
                    decl.body = Some(inner.statements(p.into_inner())?);
                }
                _ => return Err(self.malformed(span, "namespace")),
            }
        }
        Ok(decl)
    }

    fn isolate_stmt(&self, pair: Pair<'_, Rule>) -> Result<Isolate> {
        let mut dirs = Vec::new();
        let mut none = false;
        let mut only = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::kw_none => none = true,
                Rule::isolate_only => {
                    let span = self.span(&p);
                    let mut sets = Vec::new();
                    for s in p.into_inner().filter(|s| s.as_rule() == Rule::only_set) {
                        sets.push(self.only_set(s)?);
                    }
                    only = Some(Spanned::new(sets, span));
                }
                Rule::direction => {
                    let dir = if p.as_str().starts_with("ingress") {
                        Direction::Ingress
                    } else {
                        Direction::Egress
                    };
                    dirs.push(self.spanned(&p, dir));
                }
                _ => {}
            }
        }
        let directions = if none {
            IsolateDirections::None
        } else {
            IsolateDirections::Directions(dirs)
        };
        Ok(Isolate { directions, only })
    }

    /// A pod set after `only`: an alias or workload name, or a label set.
    fn only_set(&self, pair: Pair<'_, Rule>) -> Result<Spanned<PodPart>> {
        let span = self.span(&pair);
        let inner = self.next(&mut pair.into_inner(), span, "pod set")?;
        let part = match inner.as_rule() {
            Rule::label_set => PodPart::Labels(self.label_set(inner)?.node),
            Rule::string => PodPart::Name(self.string(inner)?.node),
            _ => PodPart::Name(inner.as_str().to_string()),
        };
        Ok(Spanned::new(part, span))
    }

    fn no_stmt(&self, pair: Pair<'_, Rule>) -> Result<Spanned<Carveout>> {
        let span = self.span(&pair);
        let kw = pair
            .into_inner()
            .find(|p| matches!(p.as_rule(), Rule::kw_dns | Rule::kw_scrape))
            .ok_or_else(|| self.malformed(span, "no"))?;
        let what = if kw.as_rule() == Rule::kw_dns {
            Carveout::Dns
        } else {
            Carveout::Scrape
        };
        Ok(self.spanned(&kw, what))
    }

    fn let_stmt(&self, pair: Pair<'_, Rule>) -> Result<Let> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner().skip(1);
        let name = self.next(&mut inner, span, "let")?;
        let targets = self.next(&mut inner, span, "let")?;
        Ok(Let {
            name: self.text(&name),
            targets: self.targets(targets)?,
        })
    }

    fn allow_stmt(&self, pair: Pair<'_, Rule>) -> Result<Allow> {
        let span = self.span(&pair);
        let mut inner = pair
            .into_inner()
            .filter(|p| p.as_rule() != Rule::arrow)
            .skip(1);
        let sources = self.next(&mut inner, span, "allow")?;
        let destinations = self.next(&mut inner, span, "allow")?;
        Ok(Allow {
            sources: self.targets(sources)?,
            destinations: self.targets(destinations)?,
        })
    }

    fn expect_stmt(&self, pair: Pair<'_, Rule>) -> Result<Expect> {
        let span = self.span(&pair);
        let mut inner = pair
            .into_inner()
            .filter(|p| p.as_rule() != Rule::arrow)
            .skip(1);
        let verdict = self.next(&mut inner, span, "expect")?;
        let source = self.next(&mut inner, span, "expect")?;
        let destination = self.next(&mut inner, span, "expect")?;
        let v = if verdict.as_str().starts_with("allow") {
            Verdict::Allow
        } else {
            Verdict::Deny
        };
        Ok(Expect {
            verdict: self.spanned(&verdict, v),
            source: self.target(source)?,
            destination: self.target(destination)?,
        })
    }

    fn dns_stmt(&self, pair: Pair<'_, Rule>) -> Result<Dns> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner().skip(1);
        let what = self.next(&mut inner, span, "dns")?;
        if what.as_rule() == Rule::kw_none {
            return Ok(Dns::None);
        }
        Ok(Dns::Servers(self.targets(what)?))
    }

    fn scrape_stmt(&self, pair: Pair<'_, Rule>) -> Result<Scrape> {
        let span = self.span(&pair);
        let mut inner = pair
            .into_inner()
            .filter(|p| p.as_rule() != Rule::arrow)
            .skip(1);
        let source = self.next(&mut inner, span, "scrape")?;
        let pods = self.next(&mut inner, span, "scrape")?;
        let ports = inner.next().map(|p| self.ports(p)).transpose()?;
        Ok(Scrape {
            source: self.target(source)?,
            pods: self.pod_set(pods)?,
            ports,
        })
    }

    fn pod_set(&self, pair: Pair<'_, Rule>) -> Result<Spanned<PodPart>> {
        let span = self.span(&pair);
        let inner = self.next(&mut pair.into_inner(), span, "pod set")?;
        let part = match inner.as_rule() {
            Rule::star => PodPart::Any,
            _ => PodPart::Labels(self.label_set(inner)?.node),
        };
        Ok(Spanned::new(part, span))
    }

    fn set_stmt(&self, pair: Pair<'_, Rule>) -> Result<Set> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner().skip(1);
        let key = self.next(&mut inner, span, "set")?;
        let value = self.next(&mut inner, span, "set")?;
        let value_span = self.span(&value);
        let v = self.next(&mut value.into_inner(), value_span, "set")?;
        let text = if v.as_rule() == Rule::string {
            self.string(v)?
        } else {
            self.text(&v)
        };
        Ok(Set {
            key: self.text(&key),
            value: text,
        })
    }

    fn include_stmt(&self, pair: Pair<'_, Rule>) -> Result<Spanned<String>> {
        let span = self.span(&pair);
        let s = self.next(&mut pair.into_inner().skip(1), span, "include")?;
        self.string(s)
    }

    /// A quoted string: its unescaped contents, spanned over the quotes.
    fn string(&self, pair: Pair<'_, Rule>) -> Result<Spanned<String>> {
        let span = self.span(&pair);
        let inner = self.next(&mut pair.into_inner(), span, "string")?;
        let mut out = String::new();
        let mut escaped = false;
        for c in inner.as_str().chars() {
            if escaped || c != '\\' {
                out.push(c);
                escaped = false;
            } else {
                escaped = true;
            }
        }
        Ok(Spanned::new(out, span))
    }

    fn targets(&self, pair: Pair<'_, Rule>) -> Result<Vec<Spanned<Target>>> {
        each(pair.into_inner(), |p| self.target(p))
    }

    fn target(&self, pair: Pair<'_, Rule>) -> Result<Spanned<Target>> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let endpoint = self.endpoint(self.next(&mut inner, span, "target")?)?;
        let ports = inner.next().map(|p| self.ports(p)).transpose()?;
        Ok(Spanned::new(Target { endpoint, ports }, span))
    }

    fn endpoint(&self, pair: Pair<'_, Rule>) -> Result<Spanned<Endpoint>> {
        let span = self.span(&pair);
        let ep = match pair.as_rule() {
            Rule::world => Endpoint::World,
            Rule::cluster => Endpoint::Cluster,
            Rule::alias => {
                let name = self.next(&mut pair.into_inner(), span, "alias")?;
                let text = name.as_str();
                let dotted = text.contains('.');
                if dotted && (!self.in_block || text.ends_with('.')) {
                    Endpoint::Name(text.to_string())
                } else {
                    Endpoint::Alias(text.to_string())
                }
            }
            Rule::dns_pattern => Endpoint::Name(pair.as_str().to_string()),
            Rule::local_pods => {
                let set = self.next(&mut pair.into_inner(), span, "label set")?;
                Endpoint::LocalPods(self.label_set(set)?.node)
            }
            Rule::pod_endpoint => {
                let mut inner = pair.into_inner();
                let ns = self.next(&mut inner, span, "endpoint")?;
                let pods = self.next(&mut inner, span, "endpoint")?;
                Endpoint::Pods {
                    namespace: self.namespace_part(ns)?,
                    pods: self.pod_part(pods)?,
                }
            }
            Rule::ip_endpoint => {
                let mut cidrs = pair
                    .into_inner()
                    .filter(|p| p.as_rule() == Rule::cidr)
                    .map(|p| self.text(&p));
                let cidr = cidrs.next().ok_or_else(|| self.malformed(span, "CIDR"))?;
                Endpoint::Ip {
                    cidr,
                    except: cidrs.collect(),
                }
            }
            _ => return Err(self.malformed(span, "endpoint")),
        };
        Ok(Spanned::new(ep, span))
    }

    fn namespace_part(&self, pair: Pair<'_, Rule>) -> Result<Spanned<NamespacePart>> {
        let span = self.span(&pair);
        let inner = self.next(&mut pair.into_inner(), span, "namespace")?;
        let part = match inner.as_rule() {
            Rule::star => NamespacePart::Any,
            Rule::label_set => NamespacePart::Labels(self.label_set(inner)?.node),
            _ => NamespacePart::Name(inner.as_str().to_string()),
        };
        Ok(Spanned::new(part, span))
    }

    fn pod_part(&self, pair: Pair<'_, Rule>) -> Result<Spanned<PodPart>> {
        let span = self.span(&pair);
        let inner = self.next(&mut pair.into_inner(), span, "workload")?;
        let part = match inner.as_rule() {
            Rule::star => PodPart::Any,
            Rule::label_set => PodPart::Labels(self.label_set(inner)?.node),
            Rule::string => PodPart::Name(self.string(inner)?.node),
            _ => PodPart::Name(inner.as_str().to_string()),
        };
        Ok(Spanned::new(part, span))
    }

    fn label_set(&self, pair: Pair<'_, Rule>) -> Result<Spanned<LabelSet>> {
        let span = self.span(&pair);
        let entries = each(pair.into_inner(), |p| self.label_entry(p))?;
        Ok(Spanned::new(LabelSet { entries }, span))
    }

    fn label_entry(&self, pair: Pair<'_, Rule>) -> Result<Spanned<LabelEntry>> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let mut inner = pair
            .into_inner()
            .filter(|p| !matches!(p.as_rule(), Rule::kw_in | Rule::kw_notin));
        let key = self.text(&self.next(&mut inner, span, "label")?);
        let op = match rule {
            Rule::label_eq => LabelOp::Eq(self.label_value(self.next(&mut inner, span, "label")?)?),
            Rule::label_neq => {
                LabelOp::NotEq(self.label_value(self.next(&mut inner, span, "label")?)?)
            }
            Rule::label_in => LabelOp::In(self.value_list(self.next(&mut inner, span, "label")?)?),
            Rule::label_notin => {
                LabelOp::NotIn(self.value_list(self.next(&mut inner, span, "label")?)?)
            }
            Rule::label_exists => LabelOp::Exists,
            Rule::label_not_exists => LabelOp::NotExists,
            _ => return Err(self.malformed(span, "label")),
        };
        Ok(Spanned::new(LabelEntry { key, op }, span))
    }

    fn value_list(&self, pair: Pair<'_, Rule>) -> Result<Vec<Spanned<String>>> {
        each(pair.into_inner(), |p| self.label_value(p))
    }

    fn label_value(&self, pair: Pair<'_, Rule>) -> Result<Spanned<String>> {
        let span = self.span(&pair);
        let inner = self.next(&mut pair.into_inner(), span, "label value")?;
        if inner.as_rule() == Rule::string {
            self.string(inner)
        } else {
            Ok(self.text(&inner))
        }
    }

    fn ports(&self, pair: Pair<'_, Rule>) -> Result<Spanned<Vec<Spanned<Port>>>> {
        let span = self.span(&pair);
        let inner = self.next(&mut pair.into_inner(), span, "ports")?;
        let ports = if inner.as_rule() == Rule::port_set {
            each(inner.into_inner(), |p| self.port(p))?
        } else {
            vec![self.port(inner)?]
        };
        Ok(Spanned::new(ports, span))
    }

    fn port(&self, pair: Pair<'_, Rule>) -> Result<Spanned<Port>> {
        let span = self.span(&pair);
        let mut inner = pair.into_inner();
        let value = self.next(&mut inner, span, "port")?;
        let protocol = inner.next().map(|p| self.text(&p));
        let value = match value.as_rule() {
            Rule::port_range => {
                let vspan = self.span(&value);
                let mut nums = value.into_inner();
                let lo = self.text(&self.next(&mut nums, vspan, "port range")?);
                let hi = self.text(&self.next(&mut nums, vspan, "port range")?);
                PortValue::Range(Box::new((lo, hi)))
            }
            Rule::port_number => PortValue::Number(self.text(&value)),
            _ => PortValue::Named(self.text(&value)),
        };
        Ok(Spanned::new(Port { value, protocol }, span))
    }
}
