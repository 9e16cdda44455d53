#!/usr/bin/env bash
# Runs one cargo-fuzz target for a while, or lists the targets.
#
#   scripts/fuzz.sh                   # list the targets
#   scripts/fuzz.sh TARGET [SECONDS]  # fuzz TARGET (default 60 s); new
#                                     # inputs go into fuzz/corpus/TARGET
#   scripts/fuzz.sh all [SECONDS]     # every target in turn
#
# Needs a nightly toolchain (libFuzzer and the sanitizers); installs
# cargo-fuzz when it is missing. A crash is written to fuzz/artifacts/TARGET/:
# fix it, then copy the input into fuzz/corpus/TARGET/ so that `cargo test`
# (tests/integration/fuzz_corpus.rs) replays it from then on.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

targets=(npl kustomization generator_config resource_list against inventory manifests lsp_framing analyze)

if [ $# -eq 0 ]; then
  printf '%s\n' "${targets[@]}"
  exit 0
fi

if ! rustup toolchain list | grep -q '^nightly'; then
  echo "error: cargo fuzz needs a nightly toolchain: rustup toolchain install nightly" >&2
  exit 2
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

target=$1
seconds=${2:-60}
run() {
  local t=$1
  mkdir -p "fuzz/corpus/$t"
  # The seed corpus is checked in; libFuzzer adds what it finds to it.
  cargo +nightly fuzz run "$t" "fuzz/corpus/$t" -- \
    -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048
}
if [ "$target" = all ]; then
  for t in "${targets[@]}"; do run "$t"; done
else
  run "$target"
fi
