//! The `npc` binary: everything lives in the library's `cli` module.

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(npc::cli::run() as u8)
}
