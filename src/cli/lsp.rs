//! `npc lsp`: the language server, on stdin and stdout.

use clap::Args;

use super::{Exit, Outcome, Stop};
use crate::error::Error;

pub const AFTER_HELP: &str = "\
Editors start this command themselves; you do not run it by hand.

  VS Code   the NPL extension (editors/vscode) runs `npc lsp`;
            the setting `npl.server.path` names another binary
  Neovim    put editors/vim on the runtimepath: plugin/npl.lua starts
            `npc lsp` for *.npl files
  Helix     editors/helix/languages.toml

The server reports diagnostics as you type (for every open file of a
program, with includes read from unsaved buffers), hover, go to definition,
references and rename of aliases and namespaces, completion, formatting,
quick fixes, an outline, and a lens with the policies each statement
produces. See editors/README.md.

Exit codes:
  0  the client shut the server down
  2  the connection failed (malformed or oversized message, closed pipe)";

#[derive(Args, Debug)]
pub struct LspArgs {
    /// Speak over stdin and stdout (the default and only transport)
    #[arg(long, hide = true)]
    pub stdio: bool,
}

pub fn run(_args: &LspArgs) -> Outcome {
    crate::lsp::run_stdio()
        .map(|()| Exit::Ok)
        .map_err(|e| Stop::Error(Error::io(e)))
}
