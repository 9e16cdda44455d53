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

pub mod carveouts;
pub mod cli;
pub mod diagnostic;
pub mod diff;
pub mod emit;
pub mod eval;
pub mod files;
pub mod fmt;
pub mod ir;
pub mod k8s;
pub mod kustomize;
pub mod layout;
pub mod load;
pub mod render;
pub mod resolve;
pub mod source;
pub mod syntax;
pub mod verify;

use k8s_openapi::api::networking::v1::NetworkPolicy;

use diagnostic::Diagnostic;
use load::Input;
use source::SourceMap;

/// Everything one compilation produced. The outputs of a stage are present
/// only if every stage before it finished without errors.
#[derive(Debug, Default)]
pub struct Compilation {
    pub sources: SourceMap,
    /// The resolved program, with carve-outs applied.
    pub program: Option<ir::Program>,
    pub policies: Vec<NetworkPolicy>,
    /// The `.npl` origins of every emitted rule.
    pub provenance: emit::Provenance,
    /// In source order.
    pub diagnostics: Vec<Diagnostic>,
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Compiles one or more root files (each with its includes) as one program.
pub fn compile(inputs: Vec<Input>) -> Compilation {
    let loaded = load::load(inputs);
    let mut diags = loaded.diagnostics;
    let mut out = Compilation {
        sources: loaded.sources,
        ..Compilation::default()
    };
    if loaded.syntax_errors {
        out.diagnostics = diags.sorted();
        return out;
    }
    let (mut program, resolve_diags) = resolve::resolve(&loaded.statements);
    diags.extend(resolve_diags);
    if diags.has_errors() {
        out.diagnostics = diags.sorted();
        return out;
    }
    carveouts::apply(&mut program);
    let (layout, layout_diags) = layout::layout(&program);
    diags.extend(layout_diags);
    let (policies, provenance, emit_diags) = emit::emit(&layout, &program.settings, &out.sources);
    diags.extend(emit_diags);
    // The layout is not needed past emission; free it before verification.
    drop(layout);
    if !diags.has_errors() {
        diags.extend(verify::expectations(
            &program,
            &policies,
            &provenance,
            &out.sources,
        ));
    }
    out.program = Some(program);
    if !diags.has_errors() {
        out.policies = policies;
        out.provenance = provenance;
    }
    out.diagnostics = diags.sorted();
    out
}

/// Compiles a program held in memory (includes resolve against the working directory).
pub fn compile_str(name: &str, text: &str) -> Compilation {
    compile(vec![Input::from_str(name, text)])
}
