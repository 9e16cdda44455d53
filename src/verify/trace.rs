//! Traces of a verdict: per side, whether it is isolated, which emitted
//! policies and rules decided it, and the `.npl` lines those came from.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::emit::Provenance;
use crate::eval::{Endpoint, PolicyName, Side, Step, TierMatch};
use crate::ir::{Origin, OriginKind, Program};
pub use crate::k8s::Direction;
use crate::regions::representative::peer_covers;
use crate::source::{SourceMap, Span};

/// The side of a connection a direction decides: `the source's egress`,
/// `the destination's ingress`.
pub fn owner(direction: Direction) -> &'static str {
    match direction {
        Direction::Egress => "the source's egress",
        Direction::Ingress => "the destination's ingress",
    }
}

/// One emitted policy, with the `.npl` lines it came from.
#[derive(Clone, Debug, Serialize)]
pub struct PolicyTrace {
    pub policy: String,
    pub lines: Vec<String>,
    #[serde(skip)]
    pub spans: Vec<Span>,
}

/// One emitted rule that matched, with the `.npl` lines it came from.
#[derive(Clone, Debug, Serialize)]
pub struct RuleTrace {
    pub policy: String,
    pub direction: Direction,
    /// Index into `spec.ingress` / `spec.egress`.
    pub rule: usize,
    pub lines: Vec<String>,
    /// `allow`, `dns`, `dns-server`, `scrape`.
    pub origins: Vec<&'static str>,
    #[serde(skip)]
    pub spans: Vec<Span>,
}

/// The decision of one side.
#[derive(Clone, Debug, Serialize)]
pub struct SideTrace {
    pub direction: Direction,
    /// Whether policies can apply at all (false for an address).
    pub applies: bool,
    pub isolated: bool,
    pub allowed: bool,
    pub isolated_by: Vec<PolicyTrace>,
    pub allowed_by: Vec<RuleTrace>,
    /// With tier blocks: which step decided (`admin`, `network-policies`,
    /// `baseline`, `default`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step: Option<&'static str>,
    /// With tier blocks: the tier rules that matched (an admin rule that
    /// decided or passed, a baseline rule that decided).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tiers: Vec<TierTrace>,
}

/// A rule of a cluster policy that matched, with the tier statement it
/// came from.
#[derive(Clone, Debug, Serialize)]
pub struct TierTrace {
    /// `admin`, `baseline`.
    pub tier: &'static str,
    /// The object's name.
    pub policy: String,
    pub priority: i32,
    pub direction: Direction,
    pub rule: usize,
    /// `accept`, `deny`, `pass`.
    pub action: &'static str,
    pub lines: Vec<String>,
    /// Inserted by npc before a `deny` so that DNS keeps working.
    pub dns: bool,
    #[serde(skip)]
    pub spans: Vec<Span>,
}

/// The name of a step, as traces write it.
pub fn step_name(step: Step) -> &'static str {
    match step {
        Step::Admin => "admin",
        Step::NetworkPolicies => "network-policies",
        Step::Baseline => "baseline",
        Step::Default => "default",
    }
}

fn kind(k: OriginKind) -> &'static str {
    match k {
        OriginKind::Allow => "allow",
        OriginKind::Dns => "dns",
        OriginKind::DnsServer => "dns-server",
        OriginKind::Scrape => "scrape",
        OriginKind::Namespace => "namespace",
    }
}

/// Builds traces from verdicts.
pub struct Tracer<'a> {
    pub program: &'a Program,
    pub provenance: &'a Provenance,
    pub sources: &'a SourceMap,
}

impl Tracer<'_> {
    fn lines(&self, spans: &[Span]) -> Vec<String> {
        let mut seen = BTreeSet::new();
        spans
            .iter()
            .filter(|s| seen.insert((s.file, self.line(**s))))
            .map(|s| self.sources.location(*s))
            .collect()
    }

    fn line(&self, span: Span) -> usize {
        self.sources
            .get(span.file)
            .map_or(0, |f| f.line_of(span.start()))
    }

    /// A selecting policy; a default-deny names the namespace declaration.
    fn policy(&self, id: &PolicyName) -> PolicyTrace {
        let spans: Vec<Span> = self
            .provenance
            .of(id)
            .map(|o| {
                o.policy
                    .iter()
                    .filter(|o| o.kind == OriginKind::Namespace)
                    .map(|o| o.span)
                    .collect()
            })
            .unwrap_or_default();
        PolicyTrace {
            policy: id.to_string(),
            lines: self.lines(&spans),
            spans,
        }
    }

    /// The origins of an emitted rule that cover this connection (a merged
    /// rule can carry several `allow` lines); all of them if none does.
    fn origins(&self, origins: &[Origin], src: &Endpoint, dst: &Endpoint) -> Vec<Origin> {
        let covering: Vec<Origin> = origins
            .iter()
            .copied()
            .filter(|o| {
                self.program.rules.iter().any(|r| {
                    r.origin == *o
                        && r.sources.iter().any(|p| peer_covers(p, src))
                        && r.destinations.iter().any(|(p, _)| peer_covers(p, dst))
                })
            })
            .collect();
        if covering.is_empty() {
            origins.to_vec()
        } else {
            covering
        }
    }

    /// The trace of one side of a verdict between `src` and `dst`.
    pub fn side(
        &self,
        side: &Side,
        direction: Direction,
        src: &Endpoint,
        dst: &Endpoint,
    ) -> SideTrace {
        let owner = match direction {
            Direction::Egress => src,
            Direction::Ingress => dst,
        };
        let mut allowed_by: Vec<RuleTrace> = Vec::new();
        for m in &side.matched {
            if allowed_by
                .iter()
                .any(|r| r.policy == m.policy.to_string() && r.rule == m.rule)
            {
                continue;
            }
            let origins = self
                .provenance
                .of(&m.policy)
                .and_then(|o| match direction {
                    Direction::Egress => o.egress.get(m.rule),
                    Direction::Ingress => o.ingress.get(m.rule),
                })
                .map(|o| self.origins(o, src, dst))
                .unwrap_or_default();
            let spans: Vec<Span> = origins.iter().map(|o| o.span).collect();
            let mut kinds: Vec<&'static str> = origins.iter().map(|o| kind(o.kind)).collect();
            kinds.dedup();
            allowed_by.push(RuleTrace {
                policy: m.policy.to_string(),
                direction,
                rule: m.rule,
                lines: self.lines(&spans),
                origins: kinds,
                spans,
            });
        }
        let tiered = !self.program.tiers.is_empty();
        SideTrace {
            direction,
            applies: matches!(owner, Endpoint::Pod(_)),
            isolated: side.isolated,
            allowed: side.allowed,
            isolated_by: side.selecting.iter().map(|id| self.policy(id)).collect(),
            allowed_by,
            step: tiered.then(|| step_name(side.step)),
            tiers: side
                .admin
                .iter()
                .chain(&side.baseline)
                .map(|m| self.tier(m))
                .collect(),
        }
    }

    /// A tier rule that matched, with its statement's lines.
    pub fn tier(&self, m: &TierMatch) -> TierTrace {
        let origin = self
            .provenance
            .cluster
            .objects
            .get(&m.policy)
            .and_then(|o| o.rules(m.direction).get(m.rule))
            .copied();
        let spans: Vec<Span> = origin.iter().map(|o| o.span).collect();
        TierTrace {
            tier: m.tier.as_str(),
            policy: m.policy.clone(),
            priority: m.priority,
            direction: m.direction,
            rule: m.rule,
            action: m.action.as_str(),
            lines: self.lines(&spans),
            dns: origin.is_some_and(|o| o.dns),
            spans,
        }
    }
}

/// A tier rule as a note names it: `the admin statement (shop.npl:4)
/// denies it (`admin-cluster` egress rule 0)`.
pub fn tier_rule(t: &TierTrace) -> String {
    let what = if t.dns {
        "the DNS statement npc inserted before the `deny`".to_string()
    } else {
        format!("the {} statement", t.tier)
    };
    let verb = match t.action {
        "accept" => "accepts",
        "deny" => "denies",
        _ => "passes",
    };
    format!(
        "{what}{} {verb} it (`{}` {} rule {})",
        at(&t.lines),
        t.policy,
        t.direction.as_str(),
        t.rule
    )
}

fn list(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn at(lines: &[String]) -> String {
    if lines.is_empty() {
        String::new()
    } else {
        format!(" ({})", lines.join(", "))
    }
}

/// One line describing a side: `the source's egress: isolated by
/// `web/default-deny` (shop.npl:7); allowed by `web/frontend` egress rule 0 (shop.npl:16)`.
/// With tier blocks, the step that decided comes first.
pub fn describe(t: &SideTrace, traffic: &str) -> String {
    let head = owner(t.direction);
    if t.applies {
        if let Some(step) = t.step {
            let admin = t.tiers.iter().find(|r| r.tier == "admin");
            let baseline = t.tiers.iter().find(|r| r.tier == "baseline");
            match (step, admin, baseline) {
                ("admin", Some(r), _) => return format!("{head}: {}", tier_rule(r)),
                ("baseline", _, Some(r)) => {
                    let passed = admin.map_or(String::new(), |a| format!("{}; ", tier_rule(a)));
                    return format!(
                        "{head}: {passed}not isolated by any NetworkPolicy, so the baseline decides: {}",
                        tier_rule(r)
                    );
                }
                ("default", _, _) => {
                    let passed = admin.map_or(String::new(), |a| format!("{}; ", tier_rule(a)));
                    return format!(
                        "{head}: {passed}not isolated (no policy selects it for {}) and no baseline statement applies, so allowed",
                        t.direction.as_str()
                    );
                }
                _ => {
                    if let Some(a) = admin {
                        let rest = describe_policies(t, traffic, head);
                        let rest = rest
                            .strip_prefix(&format!("{head}: "))
                            .unwrap_or(&rest)
                            .to_string();
                        return format!("{head}: {}; {rest}", tier_rule(a));
                    }
                }
            }
        }
    }
    describe_policies(t, traffic, head)
}

/// [`describe`] by the NetworkPolicies alone.
fn describe_policies(t: &SideTrace, traffic: &str, head: &str) -> String {
    if !t.applies {
        let who = match t.direction {
            Direction::Egress => "the source",
            Direction::Ingress => "the destination",
        };
        return format!("{head}: {who} is an address, which no policy selects");
    }
    if !t.isolated {
        return format!(
            "{head}: not isolated (no policy selects it for {}), so allowed",
            t.direction.as_str()
        );
    }
    let by: Vec<String> = t.isolated_by.iter().map(|p| p.policy.clone()).collect();
    let by_lines: Vec<String> = t.isolated_by.iter().flat_map(|p| p.lines.clone()).collect();
    let mut uniq = BTreeSet::new();
    let by_lines: Vec<String> = by_lines
        .into_iter()
        .filter(|l| uniq.insert(l.clone()))
        .collect();
    if t.allowed_by.is_empty() {
        return format!(
            "{head}: isolated by {}{}; no {} rule allows {traffic}",
            list(&by),
            at(&by_lines),
            t.direction.as_str()
        );
    }
    let rules: Vec<String> = t
        .allowed_by
        .iter()
        .map(|r| {
            format!(
                "`{}` {} rule {}{}",
                r.policy,
                r.direction.as_str(),
                r.rule,
                at(&r.lines)
            )
        })
        .collect();
    format!(
        "{head}: isolated by {}; allowed by {}",
        list(&by),
        rules.join(", ")
    )
}
