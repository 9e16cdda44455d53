//! The `npc` binary: everything lives in the library's `cli` module.

/// jemalloc: fewer instructions per allocation than the C library's
/// malloc at about the same peak memory (see Cargo.toml).
#[cfg(any(target_os = "linux", target_os = "macos"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(npc::cli::run() as u8)
}
