//! Deciding one `expect` line between concrete endpoints, and the E029
//! diagnostic when it does not hold.

use super::describe;
use super::trace::{self, Direction, SideTrace, Tracer};
use crate::diagnostic::{codes, Diagnostic};
use crate::eval::{Endpoint, PolicySet, PortSet, Protocol};
use crate::ir::{Expectation, PortNumber, Ports};
use crate::regions::representative::Representative;

/// Why an expectation does not hold between two endpoints.
#[derive(Clone, Debug)]
pub struct Failure {
    /// A (protocol, port) whose verdict differs from the expectation.
    pub witness: Option<(Protocol, u16)>,
    /// Everything allowed between the two endpoints.
    pub allowed: PortSet,
    /// Named ports the destination does not declare (`expect allow` fails).
    pub unresolved: Vec<String>,
}

/// The (protocol, port) pairs an expectation is about, resolved against the
/// destination; named ports the destination does not declare are listed apart.
pub fn required(ports: Option<&Ports>, dst: &Endpoint) -> (PortSet, Vec<String>) {
    let Some(Ports::Only(list)) = ports else {
        return (PortSet::full(), Vec::new());
    };
    let mut set = PortSet::empty();
    let mut unresolved = Vec::new();
    for p in list {
        let proto = p.protocol;
        match &p.number {
            PortNumber::Single(n) => set.insert(proto, *n, *n),
            PortNumber::Range(a, b) => set.insert(proto, *a, *b),
            PortNumber::Named(name) => {
                let number = match dst {
                    Endpoint::Pod(pod) => pod.resolve_port(name, proto),
                    Endpoint::Ip(_) | Endpoint::Name { .. } => None,
                };
                match number {
                    Some(n) => set.insert(proto, n, n),
                    None => unresolved.push(format!("{name}/{proto}")),
                }
            }
        }
    }
    (set, unresolved)
}

/// Whether `e` holds from `src` to `dst`, exactly over every port it names.
pub fn decide(e: &Expectation, set: &PolicySet, src: &Endpoint, dst: &Endpoint) -> Option<Failure> {
    let allowed = set.allowed_ports(src, dst);
    let (required, unresolved) = required(e.ports.as_ref(), dst);
    let wrong = if e.allow {
        required.difference(&allowed)
    } else {
        required.intersection(&allowed)
    };
    let unresolved = if e.allow { unresolved } else { Vec::new() };
    if wrong.is_empty() && unresolved.is_empty() {
        return None;
    }
    Some(Failure {
        witness: describe::first(&wrong),
        allowed,
        unresolved,
    })
}

/// A port as NPL writes it after `:` (`5432`, `53/udp`).
fn npl_port(protocol: Protocol, number: u16) -> String {
    match protocol {
        Protocol::Tcp => number.to_string(),
        Protocol::Udp => format!("{number}/udp"),
        Protocol::Sctp => format!("{number}/sctp"),
    }
}

/// One port of an `expect` line as NPL writes it (`8000-8100`, `metrics/udp`).
fn npl_ports(p: &crate::ir::Port) -> String {
    let number = match &p.number {
        PortNumber::Single(n) => n.to_string(),
        PortNumber::Range(a, b) => format!("{a}-{b}"),
        PortNumber::Named(name) => name.clone(),
    };
    match p.protocol {
        crate::k8s::Protocol::Tcp => number,
        other => format!("{number}/{}", other.as_str().to_lowercase()),
    }
}

/// Checks expectations and builds their diagnostics.
pub struct Checker<'a> {
    pub set: &'a PolicySet,
    pub tracer: Tracer<'a>,
}

impl Checker<'_> {
    /// Checks `e` for every pair of endpoints; one diagnostic for the first
    /// failing pair, if any.
    pub fn check(
        &self,
        e: &Expectation,
        sources: &[Representative],
        destinations: &[Representative],
    ) -> Option<Diagnostic> {
        let mut first = None;
        let mut failed = 0;
        let mut total = 0;
        for s in sources {
            for d in destinations {
                total += 1;
                if let Some(f) = decide(e, self.set, &s.endpoint, &d.endpoint) {
                    failed += 1;
                    if first.is_none() {
                        first = Some((s, d, f));
                    }
                }
            }
        }
        let (s, d, f) = first?;
        let mut diag = self.diagnostic(e, s, d, &f);
        if total > 1 {
            diag = diag.with_note(format!(
                "it fails for {failed} of the {total} pairs of endpoints checked"
            ));
        }
        Some(diag)
    }

    fn diagnostic(
        &self,
        e: &Expectation,
        s: &Representative,
        d: &Representative,
        f: &Failure,
    ) -> Diagnostic {
        let workload = &self.tracer.program.settings.workload_label;
        let src = describe::peers(&e.sources, workload);
        let dst = describe::peers(&e.destinations, workload);
        let (want, got) = if e.allow {
            ("allowed", "denied")
        } else {
            ("denied", "allowed")
        };
        let single = matches!(&e.ports, Some(Ports::Only(list)) if list.len() == 1
            && list.iter().all(|p| !matches!(p.number, PortNumber::Range(..))));
        let stand_ins = &describe::stand_ins(d, self.tracer.program)[..];
        let message = match (&e.ports, f.witness) {
            (Some(p @ Ports::Only(_)), _) if single => format!(
                "expected `{src}` → `{dst}` on {} to be {want}, but it is {got}",
                describe::ports(p)
            ),
            (Some(p @ Ports::Only(_)), Some((proto, n))) => format!(
                "expected `{src}` → `{dst}` on {} to be {want}, but {} is {got}",
                describe::ports(p),
                describe::port_named(proto, n, stand_ins)
            ),
            (_, Some((proto, n))) => format!(
                "expected `{src}` → `{dst}` to be {want} on every port, but {} is {got}",
                describe::port_named(proto, n, stand_ins)
            ),
            (_, None) => format!(
                "expected `{src}` → `{dst}` on `{}` to be allowed, but the destination does not declare that port",
                f.unresolved.join("`, `")
            ),
        };
        let mut diag = Diagnostic::new(codes::EXPECTATION_FAILED, e.span, message)
            .with_primary("does not hold")
            .with_note(format!(
                "checked from {} to {}",
                s.description(),
                d.description()
            ));
        // A representative's named ports are at numbers npc picked: they
        // are shown by name. An inventory pod's numbers are real.
        if let Endpoint::Pod(pod) = &d.endpoint {
            for p in pod.ports.iter().filter(|p| !stand_ins.contains(p)) {
                diag = diag.with_note(format!(
                    "the destination declares container port `{}` as {} {}",
                    p.name, p.protocol, p.number
                ));
            }
        }
        let allowed = if f.allowed.is_full() || f.allowed.is_empty() {
            describe::port_set(&f.allowed)
        } else {
            describe::port_set_named(&f.allowed, stand_ins)
        };
        diag = diag.with_note(format!("allowed between them: {allowed}"));
        let mut traces: Vec<SideTrace> = Vec::new();
        if let Some((proto, n)) = f.witness {
            let verdict = self.set.evaluate(&s.endpoint, &d.endpoint, proto, n);
            let traffic = describe::port_named(proto, n, stand_ins);
            for (side, dir) in [
                (&verdict.egress, Direction::Egress),
                (&verdict.ingress, Direction::Ingress),
            ] {
                let t = self.tracer.side(side, dir, &s.endpoint, &d.endpoint);
                diag = diag.with_note(trace::describe(&t, &traffic));
                traces.push(t);
            }
        } else {
            diag = diag.with_note(format!(
                "a named port resolves against the destination's container ports; {} declares none named `{}`",
                d.description(),
                f.unresolved.join("`, `")
            ));
        }
        diag = with_trace_labels(diag, &traces, e.allow);
        diag.with_help(help(e, &src, &dst, f, &traces, stand_ins))
    }
}

/// Secondary labels at the lines that decided each side.
fn with_trace_labels(mut diag: Diagnostic, traces: &[SideTrace], allow: bool) -> Diagnostic {
    let mut labels: Vec<(crate::source::Span, Vec<String>)> = Vec::new();
    let mut add = |span, text: String| match labels.iter_mut().find(|(s, _)| *s == span) {
        Some((_, texts)) => {
            if !texts.contains(&text) {
                texts.push(text);
            }
        }
        None => labels.push((span, vec![text])),
    };
    for t in traces {
        let decided = t.tiers.iter().find(|r| {
            matches!(
                (t.step, r.tier),
                (Some("admin"), "admin") | (Some("baseline"), "baseline")
            )
        });
        if let Some(r) = decided {
            let verb = match r.action {
                "accept" => "accepts",
                "deny" => "denies",
                _ => "passes",
            };
            for span in &r.spans {
                add(
                    *span,
                    format!("{verb} {} ({})", trace::owner(t.direction), r.tier),
                );
            }
            continue;
        }
        if !t.allowed_by.is_empty() {
            for r in &t.allowed_by {
                for span in &r.spans {
                    add(*span, format!("allows {}", trace::owner(t.direction)));
                }
            }
        } else if t.isolated && allow {
            for p in &t.isolated_by {
                for span in &p.spans {
                    add(*span, format!("isolates {}", trace::owner(t.direction)));
                }
            }
        }
    }
    for (span, texts) in labels {
        if span != diag.span {
            diag = diag.with_secondary(span, texts.join("; "));
        }
    }
    diag
}

/// The help when a tier statement decided the side that made the
/// expectation fail.
fn tier_help(e: &Expectation, src: &str, dst: &str, traces: &[SideTrace]) -> Option<String> {
    let decisive = traces.iter().find_map(|t| {
        let step = t.step?;
        let rule = t.tiers.iter().find(|r| r.tier == step)?;
        (t.allowed != e.allow).then_some((t, rule))
    })?;
    let (t, rule) = decisive;
    let owner = trace::owner(t.direction);
    Some(match (rule.tier, rule.action) {
        ("admin", "deny") => format!(
            "an admin `deny` comes before every namespace's own policies: put an `accept` (or a `pass`) for `{src}` → `{dst}` before it in the `admin` block, narrow the `deny`, or write `expect deny` if this traffic must stay blocked"
        ),
        ("admin", _) => format!(
            "an admin `accept` allows this past every namespace's own policies: narrow it, put a `deny` for `{src}` → `{dst}` before it, or write `expect allow` if it is intended"
        ),
        (_, "deny") => format!(
            "the baseline decides {owner} because no NetworkPolicy isolates it, and a namespace's own policies override the baseline: declare that namespace (npc then isolates it and writes each `allow` there, e.g. `allow {src} -> {dst}`), or put an `accept` for this traffic before the `deny`"
        ),
        _ => format!(
            "the baseline accepts this because no NetworkPolicy isolates {owner}: declare the namespace (npc then isolates it), put a `deny` before the `accept`, or write `expect allow` if it is intended"
        ),
    })
}

fn help(
    e: &Expectation,
    src: &str,
    dst: &str,
    f: &Failure,
    traces: &[SideTrace],
    stand_ins: &[crate::eval::NamedPort],
) -> String {
    if let Some(help) = tier_help(e, src, dst, traces) {
        return help;
    }
    if !e.allow {
        if traces.iter().all(|t| !t.isolated) {
            return "neither side is isolated: declare the namespaces with `namespace NAME` so that npc isolates them, or write `expect allow` if this traffic is intended".to_string();
        }
        return "remove or narrow every `allow` named above that covers this traffic, or write `expect allow` if it is intended".to_string();
    }
    if !f.unresolved.is_empty() {
        return "declare a container port with that name on the destination pods, or expect a port number".to_string();
    }
    if e.ports.is_none() {
        return format!(
            "an `expect allow` without a port asks for every port and protocol; name the port (`expect allow {src} -> {dst}:PORT`), or allow the destination without ports"
        );
    }
    let port = match &e.ports {
        Some(Ports::Only(list)) if list.len() == 1 => list.iter().map(npl_ports).collect(),
        _ => f.witness.map_or_else(
            || "PORT".to_string(),
            |(p, n)| match stand_ins.iter().find(|s| s.protocol == p && s.number == n) {
                Some(named) if p == Protocol::Tcp => named.name.clone(),
                Some(named) => format!("{}/{}", named.name, p.to_string().to_lowercase()),
                None => npl_port(p, n),
            },
        ),
    };
    format!(
        "add `allow {src} -> {dst}:{port}` (npc writes both sides of it), or write `expect deny` if this traffic must stay blocked"
    )
}
