#!/usr/bin/env bash
# Tests npc where teams run checks, outside of cargo:
#   - the crate: `cargo package --list` ships the compiler and nothing of
#     the fuzz corpora, test data, editors or benchmarks, and
#     `cargo publish --dry-run` packages and builds it;
#   - the pre-commit hooks (.pre-commit-hooks.yaml), with pre-commit from
#     PyPI in a venv of its own (target/packaging-venv): `pre-commit
#     try-repo . npc-check --files examples/shop.npl`, and each hook passing
#     and failing in a scratch repository;
#   - the GitHub Action's steps (action.yml runs scripts/action.sh): install,
#     check with annotations, lint into a SARIF log.
#
# Installs what it needs itself. pre-commit builds npc with `cargo install`
# into a target directory of its own (target/packaging/target, kept between
# runs): a build of another copy of the package in this checkout's target/
# would leave cargo's fingerprints pointing at that copy's files, and later
# builds here would be taken as fresh. For the same reason the dry run of
# `cargo publish` does not build the package here (--no-verify); a full
# `cargo publish --dry-run` is for a release, with its own target directory.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/target/packaging"
venv="$root/target/packaging-venv"

# shellcheck source=lib/checks.sh
source "$root/scripts/lib/checks.sh"

cd "$root"
mkdir -p "$out"
export PRE_COMMIT_HOME="$out/pre-commit-home"
hook_target="$out/target"

setup_pre_commit() {
  if [ ! -x "$venv/bin/pre-commit" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check pre-commit==4.7.0
  fi
}

# ------------------------------------------------------------------ crate
package_list() {
  cargo package --list --allow-dirty --quiet 2>/dev/null > "$out/package-list.txt"
  local bad
  bad="$(grep -Ev '^(src/.*\.(rs|css|js)|grammar/npl\.pest|build\.rs|Cargo\.toml|Cargo\.toml\.orig|Cargo\.lock|README\.md|LICENSE|\.cargo_vcs_info\.json)$' "$out/package-list.txt" || true)"
  if [ -n "$bad" ]; then
    echo "the package would ship files outside the compiler:"
    echo "$bad"
    return 1
  fi
  for need in src/main.rs src/lib.rs src/graph/html/report.js grammar/npl.pest LICENSE Cargo.lock; do
    grep -qx "$need" "$out/package-list.txt" || { echo "missing from the package: $need"; return 1; }
  done
}

publish_dry_run() {
  cargo publish --dry-run --allow-dirty --locked --no-verify 2>&1 | tail -5
  test "${PIPESTATUS[0]}" -eq 0
}

# ------------------------------------------------------------------ pre-commit
try_repo_check() {
  CARGO_TARGET_DIR="$hook_target" "$venv/bin/pre-commit" try-repo "$root" npc-check --files examples/shop.npl
}

# A scratch repository whose .pre-commit-config.yaml uses every hook of this
# checkout's HEAD (the hooks file as committed).
scratch_repo() {
  local dir="$1"
  rm -rf "$dir"
  mkdir -p "$dir/policies"
  git -C "$dir" init -q
  cp examples/shop.npl "$dir/policies/shop.npl"
  cat > "$dir/.pre-commit-config.yaml" <<YAML
repos:
  - repo: $root
    rev: $(git -C "$root" rev-parse HEAD)
    hooks:
      - id: npc-fmt
      - id: npc-check
      - id: npc-build-check
        args: [policies/, --out-dir, deploy/netpol]
YAML
  (cd "$dir" && "$root/target/release/npc" build policies/ --out-dir deploy/netpol)
  git -C "$dir" add -A
}

hooks_pass_and_fail() {
  local dir="$out/scratch" rc
  scratch_repo "$dir"
  cd "$dir"
  CARGO_TARGET_DIR="$hook_target" "$venv/bin/pre-commit" run --all-files
  # Unformatted, failing expectation, stale output: each hook fails.
  printf 'allow   web/frontend->payments/api-server:9999\n' >> policies/shop.npl
  printf 'expect deny web/frontend -> payments/api-server:9999\n' >> policies/shop.npl
  git add -A
  rc=0
  CARGO_TARGET_DIR="$hook_target" "$venv/bin/pre-commit" run --all-files > "$out/hooks-failing.log" 2>&1 || rc=$?
  if [ "$rc" -eq 0 ]; then
    cat "$out/hooks-failing.log"
    echo "the hooks passed a broken program"
    return 1
  fi
  for hook in 'npc fmt --check' 'npc check' 'npc build --check'; do
    if ! grep -Eq "^${hook}\.+Failed" "$out/hooks-failing.log"; then
      cat "$out/hooks-failing.log"
      echo "hook \`$hook\` did not fail"
      return 1
    fi
  done
}

# ------------------------------------------------------------------ action
action_steps() {
  local dir="$out/action" rc
  rm -rf "$dir"
  mkdir -p "$dir/home"
  : > "$dir/github-path"
  : > "$dir/github-output"
  # `cargo install --path` of this checkout: its own target/ holds the
  # release build already (same package, same profile), so nothing is built again.
  CARGO_TARGET_DIR="$root/target" CARGO_INSTALL_ROOT="$dir/home" GITHUB_PATH="$dir/github-path" scripts/action.sh install
  grep -qx "$dir/home/bin" "$dir/github-path"
  export PATH="$dir/home/bin:$PATH"
  # check: passes on the shop example, annotates a failing expectation.
  INPUT_FILES="examples/shop.npl" scripts/action.sh check
  rc=0
  INPUT_FILES="tests/cases/err/E029-one-side.npl" scripts/action.sh check 2> "$dir/annotations" || rc=$?
  [ "$rc" -eq 1 ] || { echo "check of a failing program exited $rc"; return 1; }
  grep -q '^::error file=tests/cases/err/E029-one-side.npl,line=' "$dir/annotations"
  # lint: a SARIF log, even when a finding is an error.
  rc=0
  INPUT_MANIFESTS="tests/data/lint/L001-positive.yaml" INPUT_LINT_ARGS="--deny L001" \
    INPUT_SARIF_FILE="$dir/npc.sarif" GITHUB_OUTPUT="$dir/github-output" \
    scripts/action.sh lint || rc=$?
  [ "$rc" -eq 1 ] || { echo "lint with --deny exited $rc"; return 1; }
  grep -qx "sarif-file=$dir/npc.sarif" "$dir/github-output"
  python3 - "$dir/npc.sarif" <<'PY'
import json, sys
log = json.load(open(sys.argv[1]))
assert log["version"] == "2.1.0", log["version"]
results = log["runs"][0]["results"]
assert any(r["ruleId"] == "L001" and r["level"] == "error" for r in results), results
PY
  # The action runs exactly these steps.
  grep -q 'scripts/action.sh" install' action.yml
  grep -q 'scripts/action.sh" check' action.yml
  grep -q 'scripts/action.sh" lint' action.yml
}

setup_pre_commit
cargo build --locked --release --quiet
check "cargo package ships the compiler only" package_list
check "cargo publish --dry-run" publish_dry_run
check "pre-commit try-repo . npc-check --files examples/shop.npl" try_repo_check
check "pre-commit hooks pass a good program and fail a broken one" hooks_pass_and_fail
check "GitHub Action: install, check, lint to SARIF" action_steps
checks_summary packaging
