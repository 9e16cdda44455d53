//! Human names for grammar rules (for syntax errors) and the language's keywords (for errors, resolution, completion and import).

use super::Rule;
use crate::diagnostic::Applicability;

/// Words that start statements or have a meaning of their own.
pub const KEYWORDS: &[&str] = &[
    "namespace",
    "labels",
    "isolate",
    "ingress",
    "egress",
    "none",
    "let",
    "allow",
    "expect",
    "deny",
    "dns",
    "scrape",
    "set",
    "include",
    "no",
    "world",
    "cluster",
    "except",
    "in",
    "notin",
];

/// The keywords that start a statement, at the top level or in a block.
pub const STATEMENT_KEYWORDS: &[&str] = &[
    "namespace",
    "let",
    "allow",
    "expect",
    "dns",
    "scrape",
    "set",
    "include",
];

/// The keywords that start a statement only inside a `namespace` block.
pub const BLOCK_ONLY_KEYWORDS: &[&str] = &["isolate", "no"];

/// The keywords that start a statement a `namespace` block may hold.
pub const BLOCK_KEYWORDS: &[&str] = &["isolate", "no", "let", "allow", "expect"];

/// What `isolate` takes: directions, or `none`.
pub const ISOLATE_WORDS: &[&str] = &["ingress", "egress", "none"];

/// The word after `isolate`'s directions that limits them to some pods
/// (`isolate ingress only db`): a keyword only there.
pub const ISOLATE_ONLY: &str = "only";

/// The carve-outs `no` turns off.
pub const CARVEOUTS: &[&str] = &["dns", "scrape"];

/// The words that open a tier block at the top level (`admin { ... }`).
/// They are keywords only there: elsewhere they are names.
pub const TIER_KEYWORDS: &[&str] = &["admin", "baseline"];

/// The actions that start a statement in a tier block.
pub const TIER_ACTIONS: &[&str] = &["accept", "deny", "pass"];

/// The keywords that start a statement a tier block may hold.
pub const TIER_BLOCK_KEYWORDS: &[&str] = &["accept", "deny", "pass", "no"];

/// The verdicts of `expect`.
pub const VERDICTS: &[&str] = &["allow", "deny"];

/// The protocols a port may name (`53/udp`); `tcp` is the default and
/// `any` is all three.
pub const PROTOCOLS: &[&str] = &["tcp", "udp", "sctp", "any"];

/// The settings `set` takes.
pub const SETTINGS: &[&str] = &[
    "workload-label",
    "name-prefix",
    "cluster-policy-api",
    "cluster-policy-priorities",
    "cni",
];

/// The values of `set cni`: `generic` (standard NetworkPolicy only, the
/// default) and `cilium` (DNS names as CiliumNetworkPolicy).
pub const CNI_VALUES: &[&str] = &["generic", "cilium"];

/// What a user calls the thing a rule matches.
pub fn rule_name(rule: Rule) -> &'static str {
    match rule {
        Rule::EOI => "end of file",
        Rule::file | Rule::statement_run | Rule::statement | Rule::statement_line => "a statement",
        Rule::namespace_header | Rule::nested_namespace => "`namespace`",
        Rule::tier_header | Rule::tier_decl | Rule::tier_name => "`admin` or `baseline`",
        Rule::kw_admin => "`admin`",
        Rule::kw_baseline => "`baseline`",
        Rule::tier_block => "a `{` block",
        Rule::tier_statement_line | Rule::tier_statement | Rule::tier_rule | Rule::tier_action => {
            "`accept`, `deny` or `pass`"
        }
        Rule::kw_accept => "`accept`",
        Rule::kw_pass => "`pass`",
        Rule::tier_side => "`ingress` or `egress`",
        Rule::block_statement => "a statement",
        Rule::end_of_statement => "the end of the statement (a new line or `;`)",
        Rule::query => "a query `SRC -> DST[:PORTS]`",
        Rule::namespace_decl | Rule::kw_namespace => "`namespace`",
        Rule::let_stmt | Rule::kw_let => "`let`",
        Rule::allow_stmt | Rule::kw_allow => "`allow`",
        Rule::deny_stmt | Rule::kw_deny => "`deny`",
        Rule::expect_stmt | Rule::kw_expect => "`expect`",
        Rule::dns_stmt | Rule::kw_dns => "`dns`",
        Rule::scrape_stmt | Rule::kw_scrape => "`scrape`",
        Rule::set_stmt | Rule::kw_set => "`set`",
        Rule::include_stmt | Rule::kw_include => "`include`",
        Rule::isolate_stmt | Rule::kw_isolate => "`isolate`",
        Rule::no_stmt | Rule::kw_no => "`no`",
        Rule::kw_labels => "`labels`",
        Rule::kw_ingress => "`ingress`",
        Rule::kw_egress => "`egress`",
        Rule::direction => "`ingress` or `egress`",
        Rule::kw_none => "`none`",
        Rule::kw_only => "`only`",
        Rule::isolate_only => "`only` and pod sets",
        Rule::only_set => "a pod set (a workload or alias name, or `{labels}`)",
        Rule::kw_world | Rule::world => "`world`",
        Rule::kw_cluster | Rule::cluster => "`cluster`",
        Rule::kw_except => "`except`",
        Rule::kw_in => "`in`",
        Rule::kw_notin => "`notin`",
        Rule::verdict => "`allow` or `deny`",
        Rule::arrow => "`->`",
        Rule::block => "a `{` block",
        Rule::source_list | Rule::target_list | Rule::target => "an endpoint",
        Rule::pod_endpoint => "an endpoint (`namespace/workload`)",
        Rule::alias => "an alias",
        Rule::dns_pattern => "a DNS name pattern (`*.example.com`)",
        Rule::local_pods => "a label set",
        Rule::namespace_part => "a namespace (`name`, `*` or `{labels}`)",
        Rule::pod_part => "a workload (`name`, `*` or `{labels}`)",
        Rule::pod_set => "`*` or a label set",
        Rule::star => "`*`",
        Rule::ip_endpoint | Rule::cidr | Rule::ipv4_cidr | Rule::ipv4 => "an IP address or CIDR",
        Rule::ipv6_cidr | Rule::ipv6 => "an IPv6 CIDR in brackets",
        Rule::prefix_len => "a prefix length",
        Rule::label_set => "a label set `{key=value, ...}`",
        Rule::label_eq
        | Rule::label_neq
        | Rule::label_in
        | Rule::label_notin
        | Rule::label_exists
        | Rule::label_not_exists => "a label requirement",
        Rule::label_key => "a label key",
        Rule::label_value | Rule::bare_value => "a label value",
        Rule::value_list => "a value list `(a, b)`",
        Rule::ports => "`:` and ports",
        Rule::port_set => "a port set `{80, 443}`",
        Rule::port | Rule::port_number | Rule::port_range | Rule::range_start => "a port",
        Rule::port_name => "a port name",
        Rule::protocol => "a protocol (`tcp`, `udp`, `sctp`, `any`)",
        Rule::name => "a name",
        Rule::setting_value => "a setting value",
        Rule::string | Rule::string_inner => "a quoted string",
        Rule::sep | Rule::lnl | Rule::nl => "a new line",
        Rule::WHITESPACE | Rule::word_char => "a character",
        Rule::endpoint => "an endpoint",
        Rule::label_entry => "a label requirement",
    }
}

/// "a, b or c" from the rules pest expected, without repeats.
pub fn describe_expected(rules: &[Rule]) -> String {
    let mut names: Vec<&str> = Vec::new();
    for r in rules {
        let n = rule_name(*r);
        if !names.contains(&n) {
            names.push(n);
        }
    }
    // Statement keywords are many; name them once as "a statement".
    let statement_kw = [
        "`admin` or `baseline`",
        "`admin`",
        "`baseline`",
        "`namespace`",
        "`let`",
        "`allow`",
        "`deny`",
        "`expect`",
        "`dns`",
        "`scrape`",
        "`set`",
        "`include`",
        "`isolate`",
        "`no`",
    ];
    if names.iter().filter(|n| statement_kw.contains(n)).count() > 3 {
        names.retain(|n| !statement_kw.contains(n));
        names.insert(0, "a statement");
    }
    match names.len() {
        0 => "something else".to_string(),
        1 => names[0].to_string(),
        _ => {
            let (last, rest) = names.split_last().map_or((&"", &[][..]), |(l, r)| (l, r));
            format!("{} or {}", rest.join(", "), last)
        }
    }
}

/// The help for a syntax error, with the edit it names when it names one.
pub struct Hint {
    pub help: String,
    pub fix: Option<HintFix>,
}

/// An exact edit a hint names: replace `start..end` (byte offsets in the
/// file) with `text`.
pub struct HintFix {
    pub title: String,
    pub start: usize,
    pub end: usize,
    pub text: String,
    pub applicability: Applicability,
}

impl Hint {
    fn help(help: impl Into<String>) -> Hint {
        Hint {
            help: help.into(),
            fix: None,
        }
    }

    fn with_fix(
        mut self,
        range: std::ops::Range<usize>,
        text: impl Into<String>,
        applicability: Applicability,
    ) -> Hint {
        let text = text.into();
        self.fix = Some(HintFix {
            title: format!("write `{text}`"),
            start: range.start,
            end: range.end,
            text,
            applicability,
        });
        self
    }
}

/// The arrows of other languages that mean `->` (same direction).
const OTHER_ARROWS: &[&str] = &["=>", "-->", "->>", "→", "⇒"];

/// The longest port (range) a fix rewrites; anything longer is no port.
const MAX_PORT_TEXT: usize = 11;

/// The part of a syntax error's line a hint reads: the line (from
/// `line_start`), the statement before the error (trimmed), the rest of the
/// line from the error at `at`, and the token found there.
struct Context<'a> {
    line: &'a str,
    line_start: usize,
    before: &'a str,
    rest: &'a str,
    at: usize,
    found: &'a str,
}

/// Hints for mistakes that have one likely fix, checked before the general
/// form of the statement.
fn specific_hint(cx: &Context<'_>) -> Option<Hint> {
    let Context {
        line,
        before,
        rest,
        found,
        at,
        ..
    } = *cx;
    let code = line.split(" #").next().unwrap_or(line);
    // Names are ASCII (Kubernetes names are).
    if let Some(c) = code.chars().find(|c| !c.is_ascii() && c.is_alphabetic()) {
        let word: String = code
            .split(|ch: char| ch.is_whitespace() || "{}(),:=/".contains(ch))
            .find(|w| w.contains(c))
            .unwrap_or("")
            .to_string();
        return Some(Hint::help(format!(
            "names, labels and values are ASCII, as Kubernetes requires: `{c}` in `{word}` is not allowed"
        )));
    }
    // A URL where a DNS name is meant: `https://api.stripe.com/v1`.
    if let Some(hint) = url_hint(cx) {
        return Some(hint);
    }
    // `api.*.example.com`: `*` only as a pattern's first label.
    if found == "*" && before.ends_with('.') {
        return Some(Hint::help(
            "in a DNS name pattern `*` stands alone as the first label, for exactly one label: `*.example.com`",
        ));
    }
    // Arrows in other spellings.
    let arrow_like = ["=>", "<-", "→", "⇒", "->>", "-->"];
    if arrow_like
        .iter()
        .any(|a| found == *a || rest.starts_with(a))
        || (found == "to" && !before.is_empty())
        || found.starts_with('→')
    {
        let hint = Hint::help("connections are written with `->`: `allow SRC -> DST`");
        // `<-` points the other way: no edit says what was meant.
        let fix = OTHER_ARROWS
            .iter()
            .find(|a| rest.starts_with(*a))
            .map(|a| (a.len(), Applicability::MachineApplicable))
            .or_else(|| {
                (found == "to" && !before.is_empty())
                    .then_some((found.len(), Applicability::MaybeIncorrect))
            });
        return Some(match fix {
            Some((len, applicability)) => hint.with_fix(at..at + len, "->", applicability),
            None => hint,
        });
    }
    // `udp/53`: the protocol after the port.
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    let number = digits(found);
    let range = found
        .split_once('-')
        .is_some_and(|(a, b)| digits(a) && digits(b));
    if number || range {
        if let Some(p) = PROTOCOLS
            .iter()
            .find(|p| before.ends_with(&format!("{p}/")))
        {
            let hint = Hint::help(format!(
                "the protocol follows the port: write `{found}/{p}`"
            ));
            if found.len() > MAX_PORT_TEXT {
                return Some(hint);
            }
            return Some(hint.with_fix(
                at.saturating_sub(p.len() + 1)..at + found.len(),
                format!("{found}/{p}"),
                Applicability::MachineApplicable,
            ));
        }
    }
    if number {
        // `:80 443`: several ports are a set.
        let after_port = before.rsplit_once(':').is_some_and(|(_, p)| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '/' || c == '-')
        });
        if after_port {
            let first = before.rsplit_once(':').map_or("", |(_, p)| p);
            let hint = Hint::help(format!(
                "several ports are written as a set: `:{{{first}, {found}}}`"
            ));
            let colon = cx
                .line
                .get(..at.saturating_sub(cx.line_start))
                .and_then(|b| b.rfind(':'))
                .map(|i| cx.line_start + i);
            return Some(match colon {
                Some(colon) if found.len() <= MAX_PORT_TEXT => hint.with_fix(
                    colon..at + found.len(),
                    format!(":{{{first}, {found}}}"),
                    Applicability::MachineApplicable,
                ),
                _ => hint,
            });
        }
    }
    // An IPv6 address without brackets.
    let word_at = code
        .split(|ch: char| ch.is_whitespace() || ch == ',')
        .find(|w| {
            w.matches(':').count() >= 2
                && w.chars()
                    .all(|c| c.is_ascii_hexdigit() || ":./".contains(c))
        });
    if let Some(addr) = word_at {
        let cidr =
            addr.trim_end_matches(|c: char| c == ':' || c.is_ascii_digit() && !addr.contains('/'));
        let cidr = match addr.rsplit_once('/') {
            Some((a, p)) => format!("{a}/{}", p.split(':').next().unwrap_or(p)),
            None => cidr.to_string(),
        };
        let hint = Hint::help(format!(
            "IPv6 addresses are written in brackets: `[{cidr}]`"
        ));
        // Brackets around the address as written (a port after it kept),
        // when the hint's block is how the address starts.
        let port = addr
            .strip_prefix(cidr.as_str())
            .filter(|_| addr.contains('/'));
        let port = if cidr == addr { Some("") } else { port };
        let written = port.and_then(|port| Some((word_start(code, addr)?, port)));
        return Some(match written {
            Some((i, port)) => hint.with_fix(
                cx.line_start + i..cx.line_start + i + addr.len(),
                format!("[{cidr}]{port}"),
                Applicability::MachineApplicable,
            ),
            None => hint,
        });
    }
    // A label value with a space: `{team=platform eng}`.
    if before.ends_with('=') || before.ends_with("!=") {
        let value: Vec<&str> = rest
            .split(['}', ',', ')'])
            .next()
            .unwrap_or("")
            .split_whitespace()
            .collect();
        if value.len() > 1 {
            return Some(Hint::help(format!(
                "label values cannot contain spaces: `{}` is not a value; write `{}`",
                value.join(" "),
                value.join("-")
            )));
        }
    }
    None
}

/// `allow api -> https://api.stripe.com/v1`: a DNS name is written alone,
/// with the port (the scheme's default when the URL has none).
fn url_hint(cx: &Context<'_>) -> Option<Hint> {
    let Context {
        line,
        line_start,
        at,
        ..
    } = *cx;
    let col = at.checked_sub(line_start)?;
    let head = line.get(..col)?;
    let scheme = ["https:", "http:"]
        .into_iter()
        .find(|s| head.ends_with(s) && line.get(col..).is_some_and(|r| r.starts_with("//")))?;
    let start = col - scheme.len();
    if head[..start]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_ascii_alphanumeric())
    {
        return None;
    }
    let url_end = line[start..]
        .find(|c: char| c.is_whitespace() || c == ',' || c == '#')
        .map_or(line.len(), |i| start + i);
    let url = &line[start..url_end];
    let rest = &url[scheme.len() + 2..];
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()) => (h, p),
        _ => (authority, if scheme == "https:" { "443" } else { "80" }),
    };
    let valid_host = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-');
    let help = "a DNS name is written without a scheme or a path: `NAME:PORT` (`api.stripe.com:443`); npc allows connections to the name, not URLs";
    if !valid_host {
        return Some(Hint::help(help));
    }
    let text = format!("{host}:{port}");
    let mut hint = Hint::help(format!("{help}: write `{text}`"));
    hint.fix = Some(HintFix {
        title: format!("write `{text}`"),
        start: line_start + start,
        end: line_start + url_end,
        text,
        applicability: Applicability::MaybeIncorrect,
    });
    Some(hint)
}

/// Where `word` starts in `line` as a whole word (between blanks or commas).
fn word_start(line: &str, word: &str) -> Option<usize> {
    let is_break = |c: char| c.is_whitespace() || c == ',';
    line.match_indices(word).map(|(i, _)| i).find(|&i| {
        let before = line.get(..i).and_then(|b| b.chars().next_back());
        let after = line.get(i + word.len()..).and_then(|a| a.chars().next());
        before.is_none_or(is_break) && after.is_none_or(is_break)
    })
}

/// Where a syntax error is: what a statement there may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    Top,
    Namespace,
    Tier,
}

/// Hints about the statements of version 2 and where they belong.
fn tier_hint(cx: &Context<'_>, place: Place) -> Option<Hint> {
    let Context { before, found, .. } = *cx;
    let at_start = before.is_empty();
    let tier_word = TIER_KEYWORDS.contains(&found);
    match place {
        Place::Namespace if at_start && tier_word => Some(Hint::help(format!(
            "`{found} {{ ... }}` is written at the top level, not inside a `namespace` block"
        ))),
        Place::Top if at_start && tier_word => Some(Hint::help(format!(
            "`{found}` opens a block: write `{found} {{` and, on the lines after it, statements such as `deny SRC -> DST`, then `}}`"
        ))),
        Place::Top if TIER_KEYWORDS.contains(&before) => Some(Hint::help(format!(
            "`{before}` opens a block: write `{before} {{` and, on the lines after it, statements such as `deny SRC -> DST`, then `}}`"
        ))),
        Place::Top | Place::Namespace if at_start && ["accept", "pass"].contains(&found) => {
            Some(Hint::help(format!(
                "`{found}` is a statement of a tier block: write it inside `admin {{ ... }}`{}",
                if found == "pass" {
                    ""
                } else {
                    " or `baseline { ... }`"
                }
            )))
        }
        Place::Tier if at_start && !found.is_empty() && !TIER_BLOCK_KEYWORDS.contains(&found) => {
            let mut hint = Hint::help(
                "a tier block holds ordered `accept`, `deny` and `pass` statements (`deny SRC -> DST[:PORTS]`) and `no dns`",
            );
            if let Some(best) =
                crate::diagnostic::closest(found, TIER_BLOCK_KEYWORDS.iter().copied())
            {
                hint.fix = Some(HintFix {
                    title: format!("replace with `{best}`"),
                    start: cx.at,
                    end: cx.at + found.len(),
                    text: best.to_string(),
                    applicability: Applicability::MaybeIncorrect,
                });
                hint.help = format!("did you mean `{best}`? {}", hint.help);
            }
            Some(hint)
        }
        Place::Tier if !at_start => {
            let keyword = before.split_whitespace().next().unwrap_or("");
            TIER_ACTIONS.contains(&keyword).then(|| {
                Hint::help(format!(
                    "write `{keyword} [ingress|egress] SRC[, SRC] -> DST[:PORTS][, DST[:PORTS]]`, e.g. `{keyword} cluster -> kube-system/*`"
                ))
            })
        }
        _ => None,
    }
}

/// A targeted hint for common mistakes at a syntax error.
pub fn hint(text: &str, at: usize, found: &str, place: Place) -> Option<Hint> {
    // The statement starts after the last newline or `;` before the error.
    let at = at.min(text.len());
    let line_start = text[..at].rfind(['\n', ';']).map_or(0, |i| i + 1);
    let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let line = text.get(line_start..line_end).unwrap_or("");
    let before = text.get(line_start..at).unwrap_or("").trim();
    let rest = text.get(at..line_end).unwrap_or("");
    let cx = Context {
        line,
        line_start,
        before,
        rest,
        at,
        found,
    };
    if let Some(h) = specific_hint(&cx) {
        return Some(h);
    }
    if let Some(h) = tier_hint(&cx, place) {
        return Some(h);
    }
    if before.is_empty() && !found.is_empty() {
        let keywords = STATEMENT_KEYWORDS
            .iter()
            .chain(BLOCK_ONLY_KEYWORDS)
            .copied();
        if let Some(best) = crate::diagnostic::closest(found, keywords) {
            let mut hint = Hint::help(format!("did you mean `{best}`?"));
            hint.fix = Some(HintFix {
                title: format!("replace with `{best}`"),
                start: at,
                end: at + found.len(),
                text: best.to_string(),
                applicability: Applicability::MaybeIncorrect,
            });
            return Some(hint);
        }
        return Some(Hint::help(
            "a statement starts with a keyword: `namespace`, `let`, `allow`, `expect`, `dns`, `scrape`, `set` or `include`",
        ));
    }
    if found == "{" && before.starts_with("namespace") {
        return Some(Hint::help(
            "namespace labels are written `namespace NAME labels {k=v} { ... }`",
        ));
    }
    let keyword = before.split_whitespace().next().unwrap_or("");
    let form = match keyword {
        "allow" => "write `allow SRC[, SRC] -> DST[:PORTS][, DST[:PORTS]]`, e.g. `allow web/frontend -> payments/api:8080`",
        "let" => "write `let NAME = ENDPOINT[:PORTS]`, e.g. `let db = payments/postgres:5432`",
        "namespace" => "write `namespace NAME [labels {k=v, ...}] [{ ... }]`, with the `{` on the same line",
        "expect" => "write `expect allow|deny SRC -> DST[:PORT]`",
        "dns" => "write `dns ENDPOINT[, ENDPOINT]` or `dns none`",
        "scrape" => "write `scrape SOURCE -> *[:PORTS]` or `scrape SOURCE -> {k=v}[:PORTS]`",
        "set" => "write `set workload-label = KEY` or `set name-prefix = PREFIX`",
        "include" => "write `include \"relative/path.npl\"`",
        "isolate" => "write `isolate ingress`, `isolate egress`, `isolate ingress, egress` or `isolate none`; to isolate some pods only, `isolate ingress only db, {tier=backend}`",
        "no" => "write `no dns` or `no scrape`",
        _ => "statements end at a newline or `;`; an endpoint is `namespace/workload`, `ns/{k=v}`, a CIDR, `world`, `cluster` or an alias",
    };
    Some(Hint::help(form))
}
