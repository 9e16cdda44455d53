//! npc — the NetworkPolicy compiler.
//!
//! ```text
//!  .npl text ──load/syntax──▶ AST ──resolve──▶ IR ──carveouts──▶ IR ──layout──▶ Layout ──emit──▶ NetworkPolicy ──output──▶ YAML / JSON
//!             (pest, spans)        (names,        (DNS, scrape)       (both sides,         (k8s-openapi)
//!                                   defaults)                          merged rules)        │
//!                                                                              verify ◀───┘ (`expect` lines → E029)
//! ```
//!
//! Every stage collects diagnostics (`diagnostic`) instead of stopping at the
//! first problem; `render` is the one place they are printed. See
//! `ARCHITECTURE.md` for the stage table and invariants.

// pest is built without its `std` feature (see `syntax`), and the parser
// it derives names `::alloc::boxed::Box`.
extern crate alloc;

pub mod analyze;
pub mod carveouts;
pub mod cli;
pub mod diagnostic;
pub mod diff;
pub mod emit;
pub mod error;
pub mod eval;
pub mod files;
pub mod format;
pub mod graph;
pub mod hashing;
pub mod import;
pub mod ir;
pub mod k8s;
pub mod kustomize;
pub mod layout;
pub mod lint;
pub mod load;
pub mod lsp;
pub mod manifest;
pub mod recheck;
pub mod regions;
pub mod render;
pub mod resolve;
pub mod source;
pub mod syntax;
#[cfg(test)]
mod testing;
pub mod verify;

use k8s_openapi::api::networking::v1::NetworkPolicy;

pub use k8s::cilium::CiliumNetworkPolicy;

use diagnostic::{Diagnostic, Diagnostics};
use load::{Input, Loaded};
use source::SourceMap;

/// Everything one compilation produced: what each stage made of the
/// program, also when it has errors (the language server and `npc graph`
/// show a broken program too). Only `policies` is output, and it is empty
/// whenever any error was reported.
#[derive(Default)]
pub struct Compilation {
    pub sources: SourceMap,
    /// Every statement as parsed, included files spliced in; statements
    /// with syntax errors are `Statement::Invalid`. Empty for
    /// [`compile_to`].
    pub statements: Vec<source::Spanned<syntax::ast::Statement>>,
    /// What every name written in the statements refers to (resolution's
    /// side table). Empty for [`compile_to`].
    pub names: resolve::Names,
    /// The resolved program: complete, with carve-outs, when resolution
    /// found no error; else what resolved (the statements in error left
    /// out, no carve-outs).
    pub program: Option<ir::Program>,
    /// The program's global names, for queries resolved against it later.
    pub scope: Option<resolve::Scope>,
    /// The emitted policies, when no stage reported an error.
    pub policies: Vec<NetworkPolicy>,
    /// The cluster-scoped objects of the tier blocks (`admin` first, each
    /// tier by priority), when no stage reported an error. Output before
    /// `policies`.
    pub cluster_policies: Vec<k8s::cluster_policy::ClusterObject>,
    /// The emitted CiliumNetworkPolicies (DNS names, `set cni = cilium`),
    /// when no stage reported an error; sorted by namespace, then name.
    pub cilium: Vec<CiliumNetworkPolicy>,
    /// The policies of a program whose only errors are failing `expect`
    /// lines (E029): what it allows, for tools that show the failures
    /// (`npc graph`). Never output.
    pub unverified: Vec<NetworkPolicy>,
    /// The cluster-scoped objects of such a program. Never output.
    pub unverified_cluster: Vec<k8s::cluster_policy::ClusterObject>,
    /// The same for CiliumNetworkPolicies.
    pub unverified_cilium: Vec<CiliumNetworkPolicy>,
    /// The `.npl` origins of every emitted rule, when layout and emission
    /// reported no error (also when an `expect` line then failed).
    pub provenance: emit::Provenance,
    /// In source order.
    pub diagnostics: Vec<Diagnostic>,
}

impl std::fmt::Debug for Compilation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compilation")
            .field("program", &self.program)
            .field("policies", &self.policies.len())
            .field("cilium", &self.cilium.len())
            .field("diagnostics", &self.diagnostics)
            .finish_non_exhaustive()
    }
}

impl Compilation {
    /// The emitted objects (or, when the only errors are failing `expect`
    /// lines, the unverified ones) indexed for evaluation: NetworkPolicies
    /// and CiliumNetworkPolicies together.
    pub fn policy_set(&self) -> Result<eval::PolicySet, eval::PolicyErrors> {
        let (policies, cilium) = if self.policies.is_empty() && self.cilium.is_empty() {
            (&self.unverified, &self.unverified_cilium)
        } else {
            (&self.policies, &self.cilium)
        };
        let mut set = eval::PolicySet::from_slice(policies)?;
        set.extend_cilium(cilium)?;
        Ok(set)
    }

    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Whether every stage up to emission finished without an error: the
    /// only errors, if any, are failing `expect` lines.
    pub fn emitted(&self) -> bool {
        self.diagnostics
            .iter()
            .filter(|d| d.is_error())
            .all(|d| d.code == diagnostic::codes::EXPECTATION_FAILED)
    }
}

// ------------------------------------------------------------------ stages

/// Stage 1 (syntax, load): reads and parses the root files and splices their
/// includes in. Never fails: statements with syntax errors are reported and
/// the rest is kept.
pub fn load(inputs: Vec<Input>) -> Loaded {
    load::load(inputs)
}

/// Stage 2 (resolve, carve-outs): names resolved, values validated, the DNS
/// and scrape carve-outs added. Runs on whatever parsed; the carve-outs are
/// added only to a program without errors.
pub fn resolve(loaded: &Loaded) -> resolve::Resolution {
    with_carveouts(resolve::resolve(&loaded.statements))
}

/// The carve-outs added to a program resolved without errors.
fn with_carveouts(mut resolution: resolve::Resolution) -> resolve::Resolution {
    if !resolution.diagnostics.has_errors() {
        carveouts::apply(&mut resolution.program);
    }
    resolution
}

/// Stage 3 (layout, emit): the NetworkPolicy objects of a resolved program,
/// and the CiliumNetworkPolicies of its DNS names.
pub fn generate(program: &ir::Program, sources: &SourceMap) -> emit::Emitted {
    let (layout, layout_diags) = layout::layout(program);
    let mut emitted = emit::emit(layout, &program.settings, sources);
    emitted.diagnostics.extend(layout_diags);
    emitted.diagnostics.extend(emit::cilium::warnings(program));
    for ns in program.namespaces.values() {
        let cilium = emit::cilium::emit_namespace(program, ns, sources);
        emitted.diagnostics.extend(cilium.diagnostics);
        for (name, origins) in cilium.provenance {
            emitted
                .provenance
                .cilium
                .insert((ns.name.clone(), name), origins);
        }
        emitted.cilium.extend(cilium.policies);
    }
    emitted
}

/// Stage 3 for the tier blocks: the cluster-scoped objects of a resolved
/// program (ClusterNetworkPolicy, or v1alpha1 AdminNetworkPolicy and
/// BaselineAdminNetworkPolicy).
pub fn generate_cluster(
    program: &ir::Program,
    sources: &SourceMap,
) -> emit::cluster::ClusterEmitted {
    emit::cluster::emit_cluster(program, sources)
}

/// Stage 4 (verify): every `expect` line checked against the emitted policies.
pub fn verify(program: &ir::Program, emitted: &emit::Emitted, sources: &SourceMap) -> Diagnostics {
    verify::expectations(
        program,
        &emitted.policies,
        &emitted.cilium,
        &emitted.provenance,
        sources,
    )
}

/// Stages 1–3: a program's policies, with the `expect` lines left unchecked
/// (`npc explain` asks its own question).
pub fn compile_unverified(inputs: Vec<Input>) -> Compilation {
    collect(inputs, false)
}

/// Every stage: compiles one or more root files (each with its includes) as
/// one program.
pub fn compile(inputs: Vec<Input>) -> Compilation {
    collect(inputs, true)
}

/// Every stage, with included files read through `read` (an editor's open
/// buffers before the disk). Keeps everything the language server shows:
/// the statements, the side table of names, the program and provenance.
pub fn compile_with(inputs: Vec<Input>, read: load::ReadFile<'_>) -> Compilation {
    compile_until(load::load_with(inputs, read), &|| false).unwrap_or_default()
}

/// [`compile_with`] for a program already loaded, abandoned (`None`) as
/// soon as `cancelled` says so: it is asked between the stages and before
/// each namespace (the language server drops a check when a newer edit
/// arrives).
pub fn compile_until(loaded: Loaded, cancelled: &dyn Fn() -> bool) -> Option<Compilation> {
    compile_rechecking(loaded, cancelled, None)
}

/// [`compile_until`], taking from `recheck` what an earlier check of the
/// same program compiled and is still the same (see [`recheck`]) and
/// leaving there what this one compiled. The result is the same as without.
pub fn compile_rechecking(
    loaded: Loaded,
    cancelled: &dyn Fn() -> bool,
    recheck: Option<&mut recheck::Recheck>,
) -> Option<Compilation> {
    let options = Options {
        check_expectations: true,
        keep_scope: false,
        keep_syntax: true,
        keep_provenance: true,
        cancelled: Some(cancelled),
        recheck,
    };
    match compose(loaded, options, &mut |_, _, _| Ok(())) {
        Ok(c) => Some(c),
        Err(Halt::Cancelled) => None,
        Err(Halt::Sink(_)) => Some(Compilation::default()),
    }
}

/// [`compose`] keeping every policy (when the program has no error).
fn collect(inputs: Vec<Input>, check_expectations: bool) -> Compilation {
    let mut policies = Vec::new();
    let mut cilium = Vec::new();
    let options = Options {
        check_expectations,
        keep_scope: true,
        keep_syntax: true,
        keep_provenance: true,
        cancelled: None,
        recheck: None,
    };
    let composed = compose(load(inputs), options, &mut |_, emitted, names| {
        policies.extend_from_slice(emitted);
        cilium.extend_from_slice(names);
        Ok(())
    });
    let mut out = finish(composed);
    if !out.has_errors() {
        out.policies = policies;
        out.cilium = cilium;
    } else if out.emitted() {
        out.unverified = policies;
        out.unverified_cilium = cilium;
        out.unverified_cluster = std::mem::take(&mut out.cluster_policies);
    } else {
        out.cluster_policies.clear();
    }
    out
}

/// A composition whose sink never fails and that is never cancelled.
fn finish(composed: Result<Compilation, Halt>) -> Compilation {
    composed.unwrap_or_default()
}

/// Receives one namespace's policies (namespace name, NetworkPolicies and
/// CiliumNetworkPolicies, each sorted by name); an error stops the
/// compilation.
pub type NamespaceSink<'a> =
    dyn FnMut(&str, &[NetworkPolicy], &[CiliumNetworkPolicy]) -> Result<(), String> + 'a;

/// Every stage, one namespace at a time, for `npc build`: each namespace's
/// policies go to `sink` as soon as they are emitted and are freed after it
/// returns; the `expect` lines are checked against the policies as indexed
/// for evaluation. So a build holds the program, one namespace's objects and
/// what the sink keeps, never every object at once. The compilation returned
/// has no `policies` and no `provenance`. The sink must not publish what it receives before the
/// compilation is known to have no errors: a later namespace or a failed
/// expectation can still report one. A sink error stops the compilation.
pub fn compile_to(inputs: Vec<Input>, sink: &mut NamespaceSink<'_>) -> Result<Compilation, String> {
    let options = Options {
        check_expectations: true,
        // `npc build` asks no queries and navigates no names: the global
        // names, the statements and the origins of the rules (beyond what
        // the expectations need) are not kept.
        keep_scope: false,
        keep_syntax: false,
        keep_provenance: false,
        cancelled: None,
        recheck: None,
    };
    let mut out = compose(load(inputs), options, sink).map_err(|halt| match halt {
        Halt::Sink(e) => e,
        Halt::Cancelled => "cancelled".to_string(),
    })?;
    if out.has_errors() {
        out.cluster_policies.clear();
    }
    Ok(out)
}

/// What a composition of the stages keeps and does.
struct Options<'a> {
    check_expectations: bool,
    keep_scope: bool,
    /// Keep the statements and the side table of names.
    keep_syntax: bool,
    /// Keep the origins of every rule (else only when `expect` lines need them).
    keep_provenance: bool,
    /// Asked between the stages and before each namespace: stop now.
    cancelled: Option<&'a dyn Fn() -> bool>,
    /// What the last check of the same program compiled (the language
    /// server's), to take from and to fill.
    recheck: Option<&'a mut recheck::Recheck>,
}

impl Options<'_> {
    fn check_cancelled(&self) -> Result<(), Halt> {
        match self.cancelled {
            Some(cancelled) if cancelled() => Err(Halt::Cancelled),
            _ => Ok(()),
        }
    }
}

/// Why a composition stopped before its end.
enum Halt {
    /// The sink failed.
    Sink(String),
    /// The caller asked to stop.
    Cancelled,
}

/// The stages in order, one namespace at a time from layout on; each
/// stage runs only if no stage before it reported an error, and what each
/// made is kept (see [`Compilation`]).
fn compose(
    loaded: Loaded,
    mut options: Options<'_>,
    sink: &mut NamespaceSink<'_>,
) -> Result<Compilation, Halt> {
    options.check_cancelled()?;
    let Loaded {
        sources,
        statements,
        diagnostics: mut diags,
        ..
    } = loaded;
    // Without the statements to keep, each is freed once resolved.
    let (resolution, statements) = if options.keep_syntax {
        (with_carveouts(resolve::resolve(&statements)), statements)
    } else {
        (
            with_carveouts(resolve::resolve_owned(statements)),
            Vec::new(),
        )
    };
    diags.extend(resolution.diagnostics);
    let mut out = Compilation {
        sources,
        scope: options.keep_scope.then_some(resolution.scope),
        ..Compilation::default()
    };
    let program = resolution.program;
    if diags.has_errors() {
        out.program = Some(program);
        if options.keep_syntax {
            out.statements = statements;
            out.names = resolution.names;
        }
        out.diagnostics = diags.sorted();
        return Ok(out);
    }
    options.check_cancelled()?;
    let (mut plan, layout_diags) = layout::Plan::new(&program);
    diags.extend(emit::cilium::warnings(&program));
    for d in layout_diags {
        diags.push(resolve::with_declarations(
            d,
            &resolution.declarations,
            &resolution.names,
            &out.sources,
        ));
    }
    if options.keep_syntax {
        out.statements = statements;
        out.names = resolution.names;
    }
    if diags.has_errors() {
        // The program is too large to lay out (E033).
        out.program = Some(program);
        out.diagnostics = diags.sorted();
        return Ok(out);
    }
    // Tier statements are checked against the `allow` lines (W020) even
    // without `expect` lines.
    let tiers = !program.tiers.is_empty();
    let check = options.check_expectations && (!program.expectations.is_empty() || tiers);
    let mut set = eval::PolicySet::default();
    let mut index = regions::Index::default();
    let mut provenance = emit::Provenance::default();
    let mut unevaluable = None;
    let mut cluster = Vec::new();
    // With a recheck, the objects are gathered and indexed after the loop,
    // in the same order, re-using what the last check built from the same
    // objects (see `recheck`).
    let mut gathered = match options.recheck {
        Some(_) if check => Some(recheck::Objects::default()),
        _ => None,
    };
    if tiers {
        let emitted = generate_cluster(&program, &out.sources);
        diags.extend(emitted.diagnostics);
        if let Some(gathered) = &mut gathered {
            gathered.cluster = Some(emitted.objects.clone());
        } else if check {
            if let Err(e) = set.add_cluster(&emitted.objects) {
                unevaluable = Some(e.to_string());
            }
            index.add_cluster(&emitted.objects);
        }
        provenance.cluster = emitted.provenance;
        cluster = emitted.objects;
    }
    for ns in program.namespaces.values() {
        options.check_cancelled()?;
        let namespace = plan.namespace(ns);
        let emitted = emit::emit_namespace(
            namespace,
            &program.settings,
            &out.sources,
            emit::split::MAX_OBJECT_BYTES,
        );
        diags.extend(emitted.diagnostics);
        let names = emit::cilium::emit_namespace(&program, ns, &out.sources);
        diags.extend(names.diagnostics);
        if diags.has_errors() {
            continue;
        }
        if !emitted.policies.is_empty() || !names.policies.is_empty() {
            sink(&ns.name, &emitted.policies, &names.policies).map_err(Halt::Sink)?;
        }
        if check || options.keep_provenance {
            provenance.policies.extend(emitted.provenance.policies);
            for (name, origins) in names.provenance {
                provenance.cilium.insert((ns.name.clone(), name), origins);
            }
        }
        if let Some(gathered) = &mut gathered {
            gathered
                .namespaces
                .push((ns.name.clone(), emitted.policies, names.policies));
        } else if check {
            let first = set.view_count();
            if let Err(e) = set.extend_from_slice(&emitted.policies) {
                unevaluable = Some(e.to_string());
            }
            if let Err(e) = set.extend_cilium(&names.policies) {
                unevaluable = Some(e.to_string());
            }
            index.add(set.views_after(first));
        }
    }
    drop(plan);
    options.check_cancelled()?;
    // The set and index taken from (and, after the check, given back to)
    // the recheck, when there is one; the program has no error so far.
    let mut built = None;
    if let (Some(gathered), Some(recheck), false) =
        (gathered, options.recheck.as_deref_mut(), diags.has_errors())
    {
        let b = recheck.build(gathered);
        set = b.set;
        index = b.index;
        unevaluable = b.unevaluable;
        built = Some(b.keys);
    }
    if !diags.has_errors() {
        if check {
            match &unevaluable {
                Some(why) => {
                    for x in &program.expectations {
                        diags.push(verify::unevaluable(x.span, why));
                    }
                }
                None => {
                    diags.extend(verify::expectations_in(
                        &program,
                        &set,
                        &index,
                        &provenance,
                        &out.sources,
                    ));
                    if tiers {
                        diags.extend(verify::contradictions(
                            &program,
                            &set,
                            &index,
                            &provenance,
                            &out.sources,
                        ));
                    }
                }
            }
        }
        out.provenance = provenance;
        out.cluster_policies = cluster;
    }
    if let (Some(keys), Some(recheck)) = (built, options.recheck.as_deref_mut()) {
        recheck.keep(keys, set, index, unevaluable);
    }
    out.program = Some(program);
    out.diagnostics = diags.sorted();
    Ok(out)
}

/// Compiles a program held in memory (includes resolve against the working directory).
pub fn compile_str(name: &str, text: &str) -> Compilation {
    compile(vec![Input::from_str(name, text)])
}
