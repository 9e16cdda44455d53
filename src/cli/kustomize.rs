//! `npc kustomize`: npc as a kustomize generator plugin (`install`, `generate`)
//! and as a KRM function (`fn`).

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use super::{finish, print, DiagnosticArgs, Exit, Outcome, Reporter, Stop};
use crate::emit::output;
use crate::error::{io_reason, Error};
use crate::files::{self, MAX_MANIFEST_BYTES};
use crate::kustomize::config::{GeneratorConfig, API_VERSION, KIND};
use crate::kustomize::{generate, krm, traps};

pub const AFTER_HELP: &str = "\
Examples:
  npc kustomize install                          # once: register the generator plugin
  kubectl kustomize --enable-alpha-plugins DIR   # render a kustomization that lists a generator
  kpt fn eval --exec 'npc kustomize fn' --fn-config generator.yaml DIR

A generator config (listed under `generators:` in kustomization.yaml):
  apiVersion: npc.dev/v1alpha1
  kind: NetworkPolicyGenerator
  metadata: {name: network-policies}
  spec:
    sources: [policies.npl]        # relative to the kustomization directory
    warningsAsErrors: true         # optional
    selectorForm: matchExpressions # optional: immune to commonLabels

Exit codes:
  0  success
  1  the program has errors (or warnings with warningsAsErrors), or a
     kustomization setting would change what the policies allow
  2  usage, configuration or I/O error

See docs/kustomize.md for the kustomization settings that break NetworkPolicies.";

#[derive(Args, Debug)]
pub struct KustomizeArgs {
    #[command(subcommand)]
    pub command: KustomizeCommand,
}

#[derive(Subcommand, Debug)]
pub enum KustomizeCommand {
    /// Install the exec plugin wrapper that kustomize runs for `NetworkPolicyGenerator`
    Install(InstallArgs),
    /// Generate the policies of a generator config file (what kustomize runs)
    Generate(GenerateArgs),
    /// Run as a KRM function: ResourceList on stdin, ResourceList on stdout
    Fn(FnArgs),
}

#[derive(Args, Debug)]
pub struct InstallArgs {
    /// The kustomize plugin directory [default: $KUSTOMIZE_PLUGIN_HOME, else
    /// $XDG_CONFIG_HOME/kustomize/plugin, else ~/.config/kustomize/plugin]
    #[arg(long, value_name = "DIR")]
    pub plugin_home: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct GenerateArgs {
    /// The generator config file (kustomize passes a temporary copy)
    #[arg(value_name = "CONFIG")]
    pub config: PathBuf,
    /// The directory `spec.sources` are relative to
    ///
    /// Kustomize runs the plugin there.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub root: PathBuf,
    #[command(flatten)]
    pub diagnostics: DiagnosticArgs,
}

#[derive(Args, Debug)]
pub struct FnArgs {
    /// The directory `spec.sources` are relative to
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub root: PathBuf,
    /// Treat warnings as errors (exit code 1)
    ///
    /// As `spec.warningsAsErrors: true` does.
    #[arg(long)]
    pub deny_warnings: bool,
}

pub fn run(args: &KustomizeArgs) -> Exit {
    match &args.command {
        KustomizeCommand::Install(a) => {
            let mut reporter = Reporter::plain();
            let outcome = install(a, &mut reporter);
            finish(reporter, outcome)
        }
        KustomizeCommand::Generate(a) => {
            let mut reporter = Reporter::new(&a.diagnostics);
            let outcome = run_generate(a, &mut reporter);
            finish(reporter, outcome)
        }
        KustomizeCommand::Fn(a) => {
            let mut reporter = Reporter::plain();
            let outcome = run_fn(a, &mut reporter);
            finish(reporter, outcome)
        }
    }
}

/// Where kustomize looks for plugins, in its order.
fn plugin_home(explicit: Option<&Path>) -> Option<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    explicit
        .map(Path::to_path_buf)
        .or_else(|| env("KUSTOMIZE_PLUGIN_HOME"))
        .or_else(|| env("XDG_CONFIG_HOME").map(|d| d.join("kustomize").join("plugin")))
        .or_else(|| env("HOME").map(|d| d.join(".config").join("kustomize").join("plugin")))
}

/// `'...'` quoting for a POSIX shell.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn install(args: &InstallArgs, reporter: &mut Reporter) -> Outcome {
    let Some(home) = plugin_home(args.plugin_home.as_deref()) else {
        return Err(Error::usage(
            "cannot tell where kustomize looks for plugins: neither KUSTOMIZE_PLUGIN_HOME, XDG_CONFIG_HOME nor HOME is set",
        )
        .with_help("pass `--plugin-home DIR`")
        .into());
    };
    let exe = std::env::current_exe()
        .and_then(std::fs::canonicalize)
        .map_err(|e| Error::io(format!("cannot find the npc executable: {}", io_reason(&e))))?;
    let dir = home.join(API_VERSION).join(KIND.to_lowercase());
    let path = dir.join(KIND);
    let script = format!(
        "#!/bin/sh\n# Installed by `npc kustomize install`: kustomize runs this for `{API_VERSION}` `{KIND}`\n# with the generator config file as its first argument.\nexec {} kustomize generate \"$@\"\n",
        shell_quote(&exe.to_string_lossy())
    );
    std::fs::create_dir_all(&dir).map_err(|e| {
        Error::io(format!(
            "cannot create `{}`: {}",
            dir.display(),
            io_reason(&e)
        ))
    })?;
    // A symlink at the wrapper's path is replaced, never written through.
    files::write_file(&path, &script, Some(0o755))?;
    print(&format!("{}\n", path.display()))?;
    let env_hint = if args.plugin_home.is_some() {
        format!(
            "KUSTOMIZE_PLUGIN_HOME={} ",
            shell_quote(&home.to_string_lossy())
        )
    } else {
        String::new()
    };
    reporter.note(&format!(
        "render with: {env_hint}kubectl kustomize --enable-alpha-plugins DIR\n"
    ));
    Ok(Exit::Ok)
}

fn run_generate(args: &GenerateArgs, reporter: &mut Reporter) -> Outcome {
    let name = args.config.display().to_string();
    let text = files::read_text(&args.config, MAX_MANIFEST_BYTES)?;
    let config = GeneratorConfig::from_yaml(&text, &name)?;
    // The kustomization first: one npc cannot read is refused before any work.
    let kustomization = traps::read_kustomization(&args.root)?;
    let generated = generate(&config, &args.root)?;
    let c = &generated.compilation;
    reporter.deny_warnings(config.warnings_as_errors);
    if reporter.diagnostics(&c.diagnostics, &c.sources) {
        return Err(Stop::Exit(Exit::Failed));
    }
    if let Some((file, kustomization)) = kustomization {
        let mut problems = traps::check_with_cilium(
            &kustomization,
            &file,
            &generated.policies,
            &generated.cilium,
            config.selector_form,
        )?;
        problems.extend(traps::check_cluster(
            &kustomization,
            &file,
            &generated.cluster,
        )?);
        if let Some((last, others)) = problems.split_last() {
            for p in others {
                reporter.error(p);
            }
            return Err(last.clone().into());
        }
    }
    let text = output::render_all(
        &generated.cluster,
        &generated.policies,
        &generated.cilium,
        output::Format::Yaml,
    )
    .map_err(|e| Error::io(format!("cannot serialize the policies: {e}")))?;
    print(&text)?;
    Ok(Exit::Ok)
}

fn run_fn(args: &FnArgs, reporter: &mut Reporter) -> Outcome {
    let input = files::read_stdin(MAX_MANIFEST_BYTES)?;
    let outcome = krm::run(&input, &args.root, args.deny_warnings);
    reporter.diagnostics(&outcome.diagnostics, &outcome.sources);
    let Some(text) = outcome.output else {
        // Not a ResourceList: nothing to print, the errors say why.
        if let Some((last, others)) = outcome.errors.split_last() {
            for e in others {
                reporter.error(e);
            }
            return Err(last.clone().into());
        }
        return Err(Stop::Exit(Exit::Usage));
    };
    for e in &outcome.errors {
        reporter.error(e);
    }
    print(&text)?;
    Ok(if outcome.failed {
        Exit::Failed
    } else {
        Exit::Ok
    })
}
