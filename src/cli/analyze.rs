//! `npc analyze`: the connectivity that existing manifests allow, between
//! workloads and external address ranges.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::flags::{self, Formats, FORMAT_DEPRECATED_HELP, OUTPUT_HELP, OUT_FILE_HELP};
use super::{DiagnosticArgs, Exit, Outcome, Reporter, Stop};
use crate::analyze::{self, text, Conventions, IpFamily};
use crate::diagnostic::{Code, Severity};
use crate::error::Error;
use crate::graph;
use crate::manifest::{self, Manifests};

pub const AFTER_HELP: &str = "\
Examples:
  npc analyze deploy/                                  # a directory of manifests
  kubectl get deploy,netpol,ns -A -o yaml | npc analyze -
  npc analyze deploy/ --focus payments/api-server --exposure
  npc analyze dump.yaml --focus-namespace payments --ip-family dual
  npc analyze tests/ --compat netpol-analyzer          # its lines, to compare
  npc analyze deploy/ -o json > connectivity.json
  npc analyze deploy/ -o dot | dot -Tsvg > deploy.svg
  npc analyze deploy/ -o html --out-file deploy.html    # opens offline

Each line is `src => dst : conn`, where an endpoint is a workload
(`ns/name[Kind]`), an external address range (`a.b.c.d-e.f.g.h[External]`,
one line per range of the same connections) or a DNS name of a
CiliumNetworkPolicy's `toFQDNs` (`api.stripe.com[Name]`), and conn is `All
Connections` or `TCP 80,8080-8090,UDP 53`. Cluster policies
(ClusterNetworkPolicy, AdminNetworkPolicy, BaselineAdminNetworkPolicy) decide
each side with the NetworkPolicies in four steps: admin, NetworkPolicies if
they isolate the pod, baseline, allowed. A policy that cannot be modelled is
refused (E105, E106), never skipped. IPv6 ranges are shown when the input mentions
IPv6 (--ip-family chooses); ipBlocks match the pods whose `status.podIPs`
they cover. `--compat netpol-analyzer` prints what netpol-analyzer's `list`
prints, to compare the two (docs/analyze.md lists every difference). Pods are reported as their owner (Deployment,
StatefulSet, ...); self-connections are left out. Files are `*.yaml`,
`*.yml` and `*.json`, read recursively below directories (a symbolic link
is followed only to a file inside the directory; one that leads out is
skipped with a note); objects without a namespace are in `default` (or -n).
Names and labels are checked as the API server checks them (E102, E103). The dot, mermaid and html formats draw
what `npc graph` draws for programs: workloads grouped by namespace, address
ranges, and an edge for every allowed connection some policy decides (between
two sides no policy isolates, everything is allowed and nothing is drawn);
a drawing holds at most 50,000 connections (draw one workload's with
--focus, or list them all as text). See docs/analyze.md.

Exit codes:
  0  the analysis was printed (warnings may have been printed)
  1  a manifest is malformed (nothing printed; --keep-going skips it)
  2  usage or I/O error, or more connections than a drawing holds";

/// The address families `--ip-family` shows.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpFamilyArg {
    /// IPv4 ranges only
    Ipv4,
    /// IPv6 ranges only
    Ipv6,
    /// Both
    Dual,
}

/// `--compat TOOL`: another tool's conventions.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompatArg {
    /// np-guard netpol-analyzer's `list` (docs/analyze.md has the table)
    NetpolAnalyzer,
}

/// How manifests are read, shared with `npc lint`.
#[derive(Args, Debug, Clone)]
pub struct ManifestArgs {
    /// The namespace of objects that name none, as kubectl's -n
    #[arg(
        short = 'n',
        long = "namespace",
        value_name = "NS",
        default_value = "default"
    )]
    pub namespace: String,
    /// Report malformed documents and objects as warnings and go on without them
    #[arg(long)]
    pub keep_going: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnalyzeFormat {
    /// `src => dst : conn` lines
    Txt,
    /// The same as data (docs/analyze.md)
    Json,
    /// `src,dst,conn`
    Csv,
    /// A Markdown table
    Md,
    /// A Graphviz picture (`| dot -Tsvg`), as `npc graph` draws programs
    Dot,
    /// A Mermaid flowchart
    Mermaid,
    /// One self-contained HTML page: pan, zoom, filter, click for rules
    Html,
}

#[derive(Args, Debug)]
pub struct AnalyzeArgs {
    /// Manifest files or directories; `-` reads stdin
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    #[arg(short = 'o', long = "output", value_name = "FORMAT", help = OUTPUT_HELP,
          default_value = "txt", value_parser = Formats::<AnalyzeFormat>::default())]
    pub output: AnalyzeFormat,
    #[arg(long, value_name = "FORMAT", hide = true, help = FORMAT_DEPRECATED_HELP,
          conflicts_with = "output", value_parser = Formats::<AnalyzeFormat>::default())]
    pub format: Option<AnalyzeFormat>,
    #[arg(long, value_name = "FILE", help = OUT_FILE_HELP)]
    pub out_file: Option<PathBuf>,
    /// Only the connections of this endpoint, e.g. `web/frontend`
    ///
    /// A workload of the input, as `namespace/name`.
    #[arg(long, value_name = "ENDPOINT")]
    pub focus: Option<String>,
    /// Only the connections of the endpoints in this namespace (repeatable)
    #[arg(long, value_name = "NS")]
    pub focus_namespace: Vec<String>,
    /// Also list the selectors each workload's policies open it to
    #[arg(long)]
    pub exposure: bool,
    /// The address families of external ranges
    ///
    /// By default IPv6 ranges are shown only when the input mentions IPv6
    /// (an IPv6 ipBlock or pod IP); a note on stderr says when they are not.
    #[arg(long, value_enum, value_name = "FAMILY")]
    pub ip_family: Option<IpFamilyArg>,
    /// Follow another tool's conventions, to compare the two side by side
    ///
    /// `netpol-analyzer`: IPv4 only, host-network pods as ordinary
    /// workloads, ipBlocks never matching pods, pods named after their
    /// controller, sources split at every ingress ipBlock and destinations
    /// at every egress ipBlock. See docs/analyze.md for every difference.
    #[arg(long, value_enum, value_name = "TOOL")]
    pub compat: Option<CompatArg>,
    #[command(flatten)]
    pub input: ManifestArgs,
    #[command(flatten)]
    pub diagnostics: DiagnosticArgs,
}

/// Reads the manifests (locating every field when `field_positions`).
/// With `--keep-going` errors become warnings, returned for the caller to
/// report.
pub fn load(
    paths: &[PathBuf],
    input: &ManifestArgs,
    field_positions: bool,
) -> Result<manifest::Reading, Stop> {
    load_named(paths, input, field_positions, manifest::Naming::Npc)
}

/// [`load`], with pods named after their owners as `naming` says.
pub fn load_named(
    paths: &[PathBuf],
    input: &ManifestArgs,
    field_positions: bool,
    naming: manifest::Naming,
) -> Result<manifest::Reading, Stop> {
    let options = manifest::Options {
        default_namespace: input.namespace.clone(),
        field_positions,
        naming,
    };
    let mut loaded = manifest::load(paths, &options)?;
    if input.keep_going {
        for d in &mut loaded.diagnostics {
            d.code = Code {
                severity: Severity::Warning,
                ..d.code
            };
        }
    }
    Ok(loaded)
}

/// Reads the manifests and reports their diagnostics; stops when one is an
/// error. For people, the summary of what was read follows on stderr.
pub fn read(
    paths: &[PathBuf],
    input: &ManifestArgs,
    field_positions: bool,
    reporter: &mut Reporter,
) -> Result<manifest::Reading, Stop> {
    read_named(
        paths,
        input,
        field_positions,
        manifest::Naming::Npc,
        reporter,
    )
}

/// [`read`], with pods named after their owners as `naming` says.
pub fn read_named(
    paths: &[PathBuf],
    input: &ManifestArgs,
    field_positions: bool,
    naming: manifest::Naming,
    reporter: &mut Reporter,
) -> Result<manifest::Reading, Stop> {
    let loaded = load_named(paths, input, field_positions, naming)?;
    reporter.note(&loaded.manifests.notes());
    if reporter.diagnostics(&loaded.diagnostics, &loaded.manifests.sources) {
        return Err(Stop::Exit(Exit::Failed));
    }
    reporter.note(&format!("{}\n", loaded.manifests.summary()));
    Ok(loaded)
}

/// `ns/name` of `--focus`, which must name a workload of the input.
fn focus(text: &str, manifests: &Manifests) -> Result<(String, String), Stop> {
    let Some((ns, name)) = text.split_once('/') else {
        return Err(Stop::Error(
            Error::usage(format!("`--focus {text}` is not `namespace/name`")).with_help(
                "name a workload as `namespace/name`, e.g. `--focus payments/api-server`",
            ),
        ));
    };
    let known = manifests
        .workloads
        .iter()
        .any(|w| w.id.namespace == ns && w.id.name == name);
    if !known {
        let names: Vec<String> = manifests
            .workloads
            .iter()
            .map(|w| format!("{}/{}", w.id.namespace, w.id.name))
            .collect();
        let hint = crate::diagnostic::closest(text, names.iter().map(String::as_str))
            .map_or_else(String::new, |c| format!(" (did you mean `{c}`?)"));
        return Err(Stop::Error(
            Error::usage(format!("no workload `{text}` in the input{hint}"))
                .with_help("`npc analyze PATH` without --focus lists every workload"),
        ));
    }
    Ok((ns.to_owned(), name.to_owned()))
}

/// `--focus-namespace NS`, which must be a namespace of the input.
fn focus_namespace(ns: &str, manifests: &Manifests) -> Result<String, Stop> {
    if manifests.namespace(ns).is_some() {
        return Ok(ns.to_owned());
    }
    let hint = crate::diagnostic::closest(ns, manifests.namespaces.iter().map(|n| n.name.as_str()))
        .map_or_else(String::new, |c| format!(" (did you mean `{c}`?)"));
    Err(Stop::Error(
        Error::usage(format!("no namespace `{ns}` in the input{hint}")).with_help(
            "`npc analyze PATH` without --focus-namespace lists every namespace's workloads",
        ),
    ))
}

pub fn run(args: &AnalyzeArgs, reporter: &mut Reporter) -> Outcome {
    // Connectivity needs no field positions (diagnostics get them anyway).
    let format = flags::format(args.output, args.format, reporter);
    let compat = args.compat == Some(CompatArg::NetpolAnalyzer);
    let naming = if compat {
        manifest::Naming::NetpolAnalyzer
    } else {
        manifest::Naming::Npc
    };
    let loaded = read_named(&args.paths, &args.input, false, naming, reporter)?;
    let manifests = &loaded.manifests;
    if args.exposure
        && matches!(
            format,
            AnalyzeFormat::Dot | AnalyzeFormat::Mermaid | AnalyzeFormat::Html
        )
    {
        return Err(Stop::Error(
            Error::usage("--exposure is listed in text formats only, not drawn")
                .with_help("use `-o txt`, `json`, `csv` or `md` with --exposure"),
        ));
    }
    let focus = args
        .focus
        .as_deref()
        .map(|f| focus(f, manifests))
        .transpose()?;
    let focus_namespaces = args
        .focus_namespace
        .iter()
        .map(|ns| focus_namespace(ns, manifests))
        .collect::<Result<Vec<_>, _>>()?;
    let families = match args.ip_family {
        Some(IpFamilyArg::Ipv4) => IpFamily::V4,
        Some(IpFamilyArg::Ipv6) => IpFamily::V6,
        Some(IpFamilyArg::Dual) => IpFamily::Dual,
        None if compat || !manifests.ipv6 => IpFamily::V4,
        None => IpFamily::Dual,
    };
    let options = analyze::Options {
        focus,
        focus_namespaces,
        exposure: args.exposure,
        families,
        conventions: if compat {
            Conventions::NetpolAnalyzer
        } else {
            Conventions::Npc
        },
    };
    let analysis = analyze::analyze(manifests, &options);
    let picture = || {
        let title: Vec<String> = args.paths.iter().map(|p| p.display().to_string()).collect();
        graph::manifests::from_analysis(&analysis, manifests, &title.join(" ")).map_err(|e| {
            Stop::Error(Error::usage(e.to_string()).with_help(
                "draw the connections of one workload with `--focus NS/NAME`, or list them all with `-o txt` or `-o json`",
            ))
        })
    };
    let text = match format {
        AnalyzeFormat::Txt => text::txt(&analysis),
        AnalyzeFormat::Json => text::json(&analysis),
        AnalyzeFormat::Csv => text::csv(&analysis),
        AnalyzeFormat::Md => text::md(&analysis),
        AnalyzeFormat::Dot => graph::dot::render(&picture()?),
        AnalyzeFormat::Mermaid => graph::mermaid::render(&picture()?),
        AnalyzeFormat::Html => graph::html::render(&picture()?),
    };
    flags::emit(&text, args.out_file.as_deref())?;
    if !analysis.host_network.is_empty() {
        let names: Vec<String> = analysis
            .host_network
            .iter()
            .map(ToString::to_string)
            .collect();
        reporter.note(&format!(
            "note: left out {} on the host network (NetworkPolicy does not apply to them): {}\n",
            if names.len() == 1 {
                "a workload"
            } else {
                "workloads"
            },
            names.join(", ")
        ));
    }
    if args.ip_family.is_none() && !compat && !manifests.ipv6 {
        reporter.note(
            "note: IPv6 ranges are not shown: the input has no IPv6 ipBlock or pod IP (--ip-family dual shows them)\n",
        );
    }
    if !compat {
        let blocks = analyze::blocks_on_unknown_pods(manifests);
        if !blocks.is_empty() {
            reporter.note(&format!(
                "note: ipBlocks {} may cover pod addresses, which the input does not give (`status.podIPs` of a cluster dump): they match no pod here, and pod-to-pod traffic through them depends on the pods' IPs\n",
                blocks.join(", ")
            ));
        }
    }
    Ok(Exit::Ok)
}
