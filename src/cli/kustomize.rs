//! `npc kustomize`: npc as a kustomize generator plugin (`install`, `generate`)
//! and as a KRM function (`fn`).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use super::{usage_error, DiagnosticArgs, ExitCode};
use crate::emit::output;
use crate::kustomize::config::{GeneratorConfig, API_VERSION, KIND};
use crate::kustomize::{generate, krm, traps};
use crate::load::io_reason;

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
    /// The directory `spec.sources` are relative to (kustomize runs the plugin there)
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
    /// Fail on warnings, as `spec.warningsAsErrors: true` does
    #[arg(long)]
    pub deny_warnings: bool,
}

pub fn run(args: &KustomizeArgs) -> ExitCode {
    match &args.command {
        KustomizeCommand::Install(a) => install(a),
        KustomizeCommand::Generate(a) => run_generate(a),
        KustomizeCommand::Fn(a) => run_fn(a),
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

fn install(args: &InstallArgs) -> ExitCode {
    let Some(home) = plugin_home(args.plugin_home.as_deref()) else {
        return usage_error(
            "cannot tell where kustomize looks for plugins: neither KUSTOMIZE_PLUGIN_HOME, XDG_CONFIG_HOME nor HOME is set\n  = help: pass `--plugin-home DIR`",
        );
    };
    let exe = match std::env::current_exe().and_then(std::fs::canonicalize) {
        Ok(p) => p,
        Err(e) => {
            return usage_error(&format!(
                "cannot find the npc executable: {}",
                io_reason(&e)
            ))
        }
    };
    let dir = home.join(API_VERSION).join(KIND.to_lowercase());
    let path = dir.join(KIND);
    let script = format!(
        "#!/bin/sh\n# Installed by `npc kustomize install`: kustomize runs this for `{API_VERSION}` `{KIND}`\n# with the generator config file as its first argument.\nexec {} kustomize generate \"$@\"\n",
        shell_quote(&exe.to_string_lossy())
    );
    if let Err(e) = std::fs::create_dir_all(&dir) {
        return usage_error(&format!(
            "cannot create `{}`: {}",
            dir.display(),
            io_reason(&e)
        ));
    }
    if let Err(e) = std::fs::write(&path, script) {
        return usage_error(&format!(
            "cannot write `{}`: {}",
            path.display(),
            io_reason(&e)
        ));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Err(e) = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)) {
            return usage_error(&format!(
                "cannot make `{}` executable: {}",
                path.display(),
                io_reason(&e)
            ));
        }
    }
    println!("{}", path.display());
    let env_hint = if args.plugin_home.is_some() {
        format!(
            "KUSTOMIZE_PLUGIN_HOME={} ",
            shell_quote(&home.to_string_lossy())
        )
    } else {
        String::new()
    };
    eprintln!("render with: {env_hint}kubectl kustomize --enable-alpha-plugins DIR");
    ExitCode::Ok
}

fn run_generate(args: &GenerateArgs) -> ExitCode {
    let text = match std::fs::read_to_string(&args.config) {
        Ok(t) => t,
        Err(e) => {
            return usage_error(&format!(
                "cannot read `{}`: {}",
                args.config.display(),
                io_reason(&e)
            ))
        }
    };
    let config = match GeneratorConfig::from_yaml(&text) {
        Ok(c) => c,
        Err(p) => {
            eprintln!("{p}");
            return ExitCode::Usage;
        }
    };
    let generated = match generate(&config, &args.root) {
        Ok(g) => g,
        Err(p) => {
            eprintln!("{p}");
            return ExitCode::Usage;
        }
    };
    let c = &generated.compilation;
    let mut diagnostics = args.diagnostics.clone();
    diagnostics.deny_warnings |= config.warnings_as_errors;
    if diagnostics.report(&c.diagnostics, &c.sources) {
        return ExitCode::Failed;
    }
    if let Some((file, kustomization)) = traps::read_kustomization(&args.root) {
        let problems = traps::check(
            &kustomization,
            &file,
            &generated.policies,
            config.selector_form,
        );
        for p in &problems {
            eprintln!("{p}");
        }
        if !problems.is_empty() {
            return ExitCode::Failed;
        }
    }
    match output::to_yaml(&generated.policies) {
        Ok(text) => {
            print!("{text}");
            ExitCode::Ok
        }
        Err(e) => usage_error(&format!("cannot serialize the policies: {e}")),
    }
}

fn run_fn(args: &FnArgs) -> ExitCode {
    let mut input = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut input) {
        return usage_error(&format!("cannot read standard input: {}", io_reason(&e)));
    }
    let outcome = krm::run(&input, &args.root, args.deny_warnings);
    eprint!("{}", outcome.stderr);
    let Some(text) = outcome.output else {
        return ExitCode::Usage;
    };
    if std::io::stdout().write_all(text.as_bytes()).is_err() {
        return ExitCode::Usage;
    }
    if outcome.failed {
        ExitCode::Failed
    } else {
        ExitCode::Ok
    }
}
