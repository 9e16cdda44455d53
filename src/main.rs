//! The `npc` binary: everything lives in the library's `cli` module.

/// A build allocates millions of small objects (strings and map nodes of
/// the program, the layout and the policies); mimalloc serves them faster
/// than the system allocator (see BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(npc::cli::run() as u8)
}
