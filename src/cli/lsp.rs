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

Checks run while the server keeps reading: a newer edit of a program stops
its running check and drops its result. At most 100 diagnostics are
published per file (then W015), a buffer is kept up to 64 MiB (all buffers
up to 256 MiB; past that, E034), and a message that cannot be read is
answered with a JSON-RPC error and skipped. Set `trace` in the client to
see checks start, end and be dropped.

Exit codes:
  0  the client shut the server down
  2  the connection failed (the input ended inside a message, closed pipe)";

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
