//! `npc completions SHELL`: a completion script for the shell, on stdout.

use clap::Args;

use super::{print, Exit, Outcome};

pub const AFTER_HELP: &str = "\
Examples:
  npc completions bash > ~/.local/share/bash-completion/completions/npc
  npc completions zsh > \"${fpath[1]}/_npc\"
  npc completions fish > ~/.config/fish/completions/npc.fish

Exit codes:
  0  success
  2  usage or I/O error";

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

pub fn run(args: &CompletionsArgs) -> Outcome {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut super::command(), "npc", &mut script);
    print(&String::from_utf8_lossy(&script))?;
    Ok(Exit::Ok)
}
