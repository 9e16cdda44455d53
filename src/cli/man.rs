//! `npc man`: the manual page in roff, on stdout; `npc man COMMAND` for one
//! subcommand's page.

use clap::Args;

use super::{print, Exit, Outcome};
use crate::error::Error;

pub const AFTER_HELP: &str = "\
Examples:
  npc man | man -l -                      # read it now
  npc man > /usr/local/share/man/man1/npc.1
  npc man build > npc-build.1

Exit codes:
  0  success
  2  usage or I/O error";

#[derive(Args, Debug)]
pub struct ManArgs {
    /// A subcommand (`build`, `check`, ...) for its own page
    #[arg(value_name = "COMMAND")]
    pub command: Option<String>,
}

pub fn run(args: &ManArgs) -> Outcome {
    let npc = super::command();
    let page = match &args.command {
        None => npc,
        Some(name) => {
            let Some(sub) = npc.find_subcommand(name).cloned() else {
                return Err(Error::usage(format!("`{name}` is not an npc command"))
                    .with_help("run `npc help` for the list of commands")
                    .into());
            };
            let page_name = format!("npc-{name}");
            sub.display_name(page_name)
        }
    };
    let mut roff = Vec::new();
    clap_mangen::Man::new(page)
        .render(&mut roff)
        .map_err(|e| Error::write("the manual page", &e))?;
    print(&String::from_utf8_lossy(&roff))?;
    Ok(Exit::Ok)
}
