#!/usr/bin/env bash
# The whole test suite, as CI runs it. Installs what it needs itself: the
# Python venv with nca and kubernetes-validate (scripts/venv.sh), the
# editor tooling (scripts/test-editors.sh), and Chromium, Graphviz and the
# browser test's npm packages (scripts/test-graph.sh), and pre-commit in a
# venv of its own (scripts/test-packaging.sh).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n==> %s\n' "$*"; }

step "format"
cargo fmt --all --check

step "lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "python tools (nca, kubernetes-validate)"
scripts/venv.sh >/dev/null

step "tests"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test --locked --all-targets 2>&1 | tee "$log"
rust_passed=$(grep -Eo 'test result: ok\. [0-9]+ passed' "$log" | awk '{s += $4} END {print s + 0}')

step "examples compile to their checked-in output"
cargo build --locked --release --quiet
for src in examples/*.npl; do
  ./target/release/npc build "$src" --deny-warnings | diff -u "${src%.npl}.yaml" - \
    || { echo "error: ${src%.npl}.yaml is stale" >&2; exit 1; }
done

step "examples and test cases are formatted"
# E001 cases do not parse; syntax-forms.npl keeps non-canonical syntax on
# purpose, and the W014 case a lone carriage return (the formatter would end
# the line there). Editor fixtures and test data are left as written.
git ls-files 'examples/*.npl' 'tests/cases/*.npl' \
  | grep -v -e '^tests/cases/err/E001-' -e '^tests/cases/ok/syntax-forms.npl$' \
    -e '^tests/cases/err/W014-lone-carriage-return.npl$' \
  | xargs ./target/release/npc fmt --check

editors_passed=0
if [ -x scripts/test-editors.sh ]; then
  step "editor grammars"
  scripts/test-editors.sh 2>&1 | tee "$log"
  editors_passed=$(grep -Eo 'editors: [0-9]+ passed' "$log" | awk '{s += $2} END {print s + 0}')
fi

graph_passed=0
if [ -x scripts/test-graph.sh ]; then
  step "graph: Graphviz renders, the HTML report in Chromium, Mermaid"
  scripts/test-graph.sh 2>&1 | tee "$log"
  graph_passed=$(grep -Eo 'graph: [0-9]+ passed' "$log" | awk '{s += $2} END {print s + 0}')
fi

packaging_passed=0
if [ -x scripts/test-packaging.sh ]; then
  step "packaging: the crate, pre-commit hooks, the GitHub Action"
  scripts/test-packaging.sh 2>&1 | tee "$log"
  packaging_passed=$(grep -Eo 'packaging: [0-9]+ passed' "$log" | awk '{s += $2} END {print s + 0}')
fi

step "all checks passed"
echo "rust tests: $rust_passed passed, editor checks: $editors_passed passed, graph checks: $graph_passed passed, packaging checks: $packaging_passed passed"
echo "all: $((rust_passed + editors_passed + graph_passed + packaging_passed)) passed, 0 failed"
