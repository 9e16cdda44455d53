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
pub mod import;
pub mod ir;
pub mod k8s;
pub mod kustomize;
pub mod layout;
pub mod lint;
pub mod load;
pub mod lsp;
pub mod manifest;
pub mod render;
pub mod resolve;
pub mod source;
pub mod syntax;
pub mod verify;

use k8s_openapi::api::networking::v1::NetworkPolicy;

use diagnostic::{Diagnostic, Diagnostics};
use load::{Input, Loaded};
use source::SourceMap;

/// Everything one compilation produced. The outputs of a stage are present
/// only if every stage before it finished without errors; `policies` are
/// empty whenever any error was reported.
#[derive(Default)]
pub struct Compilation {
    pub sources: SourceMap,
    /// The resolved program, with carve-outs applied.
    pub program: Option<ir::Program>,
    /// The program's global names, for queries resolved against it later.
    pub scope: Option<resolve::Scope>,
    pub policies: Vec<NetworkPolicy>,
    /// The `.npl` origins of every emitted rule.
    pub provenance: emit::Provenance,
    /// In source order.
    pub diagnostics: Vec<Diagnostic>,
}

impl std::fmt::Debug for Compilation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Compilation")
            .field("program", &self.program)
            .field("policies", &self.policies.len())
            .field("diagnostics", &self.diagnostics)
            .finish_non_exhaustive()
    }
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
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
    let mut resolution = resolve::resolve(&loaded.statements);
    if !resolution.diagnostics.has_errors() {
        carveouts::apply(&mut resolution.program);
    }
    resolution
}

/// Stage 3 (layout, emit): the NetworkPolicy objects of a resolved program.
pub fn generate(program: &ir::Program, sources: &SourceMap) -> emit::Emitted {
    let (layout, layout_diags) = layout::layout(program);
    let mut emitted = emit::emit(&layout, &program.settings, sources);
    emitted.diagnostics.extend(layout_diags);
    emitted
}

/// [`generate`], one namespace at a time, abandoned (`None`) as soon as
/// `cancelled` says so (it is asked before each namespace): for the
/// language server, which drops a check when a newer edit arrives.
pub fn generate_until(
    program: &ir::Program,
    sources: &SourceMap,
    cancelled: &dyn Fn() -> bool,
) -> Option<emit::Emitted> {
    let (plan, layout_diags) = layout::Plan::new(program);
    let mut all = emit::Emitted::default();
    let bounded = !layout_diags.has_errors();
    all.diagnostics.extend(layout_diags);
    if !bounded {
        return Some(all);
    }
    for ns in program.namespaces.values() {
        if cancelled() {
            return None;
        }
        let namespace = plan.namespace(ns);
        let one = emit::emit_namespace(
            &namespace,
            &program.settings,
            sources,
            emit::split::MAX_OBJECT_BYTES,
        );
        all.policies.extend(one.policies);
        all.provenance.policies.extend(one.provenance.policies);
        all.diagnostics.extend(one.diagnostics);
    }
    Some(all)
}

/// Stage 4 (verify): every `expect` line checked against the emitted policies.
pub fn verify(program: &ir::Program, emitted: &emit::Emitted, sources: &SourceMap) -> Diagnostics {
    verify::expectations(program, &emitted.policies, &emitted.provenance, sources)
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

/// [`compose`] keeping every policy (when the program has no error).
fn collect(inputs: Vec<Input>, check_expectations: bool) -> Compilation {
    let mut policies = Vec::new();
    let options = Options {
        check_expectations,
        keep_scope: true,
    };
    let composed = compose(inputs, options, &mut |_, emitted| {
        policies.extend_from_slice(emitted);
        Ok(())
    });
    match composed {
        Ok(mut out) => {
            if !out.has_errors() {
                out.policies = policies;
            }
            out
        }
        // The sink above never fails.
        Err(_) => Compilation::default(),
    }
}

/// Receives one namespace's policies (namespace name, policies sorted by
/// name); an error stops the compilation.
pub type NamespaceSink<'a> = dyn FnMut(&str, &[NetworkPolicy]) -> Result<(), String> + 'a;

/// Every stage, one namespace at a time, for `npc build`: each namespace's
/// policies go to `sink` as soon as they are emitted and are freed after it
/// returns; the `expect` lines are checked against the policies as indexed
/// for evaluation. So a build holds the program, one namespace's objects and
/// what the sink keeps, never every object at once. The compilation returned
/// has no `policies`. The sink must not publish what it receives before the
/// compilation is known to have no errors: a later namespace or a failed
/// expectation can still report one. A sink error stops the compilation.
pub fn compile_to(inputs: Vec<Input>, sink: &mut NamespaceSink<'_>) -> Result<Compilation, String> {
    let options = Options {
        check_expectations: true,
        // `npc build` asks no queries: the global names are not kept.
        keep_scope: false,
    };
    compose(inputs, options, sink)
}

/// What a composition of the stages keeps and does.
struct Options {
    check_expectations: bool,
    keep_scope: bool,
}

/// The stages in order, one namespace at a time from layout on; each
/// stage's output is kept only if no stage before it reported an error.
fn compose(
    inputs: Vec<Input>,
    options: Options,
    sink: &mut NamespaceSink<'_>,
) -> Result<Compilation, String> {
    let loaded = load(inputs);
    let resolution = resolve(&loaded);
    let Loaded {
        sources,
        diagnostics: mut diags,
        ..
    } = loaded;
    diags.extend(resolution.diagnostics);
    let mut out = Compilation {
        sources,
        scope: options.keep_scope.then_some(resolution.scope),
        ..Compilation::default()
    };
    if diags.has_errors() {
        out.diagnostics = diags.sorted();
        return Ok(out);
    }
    let program = resolution.program;
    let (plan, layout_diags) = layout::Plan::new(&program);
    diags.extend(layout_diags);
    if diags.has_errors() {
        // The program is too large to lay out (E033).
        out.program = Some(program);
        out.diagnostics = diags.sorted();
        return Ok(out);
    }
    let check = options.check_expectations && !program.expectations.is_empty();
    let mut set = eval::PolicySet::default();
    let mut atoms = verify::regions::Atoms::default();
    let mut provenance = emit::Provenance::default();
    let mut unevaluable = None;
    for ns in program.namespaces.values() {
        let namespace = plan.namespace(ns);
        let emitted = emit::emit_namespace(
            &namespace,
            &program.settings,
            &out.sources,
            emit::split::MAX_OBJECT_BYTES,
        );
        drop(namespace);
        diags.extend(emitted.diagnostics);
        if diags.has_errors() {
            continue;
        }
        if !emitted.policies.is_empty() {
            sink(&ns.name, &emitted.policies)?;
        }
        if check {
            if let Err(e) = set.extend_from_slice(&emitted.policies) {
                unevaluable = Some(e.to_string());
            }
            atoms.add(&emitted.policies);
        }
        provenance.policies.extend(emitted.provenance.policies);
    }
    drop(plan);
    if check && !diags.has_errors() {
        match &unevaluable {
            Some(why) => {
                for x in &program.expectations {
                    diags.push(verify::unevaluable(x.span, why));
                }
            }
            None => diags.extend(verify::expectations_in(
                &program,
                &set,
                &atoms,
                &provenance,
                &out.sources,
            )),
        }
    }
    out.program = Some(program);
    if !diags.has_errors() {
        out.provenance = provenance;
    }
    out.diagnostics = diags.sorted();
    Ok(out)
}

/// Compiles a program held in memory (includes resolve against the working directory).
pub fn compile_str(name: &str, text: &str) -> Compilation {
    compile(vec![Input::from_str(name, text)])
}
