#!/usr/bin/env bash
# The steps of the GitHub Action (action.yml), one per subcommand, with the
# inputs in INPUT_* variables (never interpolated into the script), so that
# scripts/test-packaging.sh runs them as a workflow would.
#
#   action.sh install   cargo install this checkout; its bin dir goes to
#                       $GITHUB_PATH (CARGO_INSTALL_ROOT chooses where)
#   action.sh check     npc check $INPUT_FILES [--inventory $INPUT_INVENTORY],
#                       failures as workflow annotations
#   action.sh lint      npc lint $INPUT_MANIFESTS $INPUT_LINT_ARGS -o sarif
#                       --out-file $INPUT_SARIF_FILE; `sarif-file=` to
#                       $GITHUB_OUTPUT
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Space-separated inputs as words (paths with spaces are not supported).
words() {
  local -n out="$1"
  read -r -a out <<<"${2:-}"
}

case "${1:-}" in
  install)
    cargo install --locked --quiet --path "$root"
    bin="${CARGO_INSTALL_ROOT:-${CARGO_HOME:-$HOME/.cargo}}/bin"
    if [ -n "${GITHUB_PATH:-}" ]; then
      echo "$bin" >>"$GITHUB_PATH"
    fi
    "$bin/npc" --version
    ;;
  check)
    words files "${INPUT_FILES:-}"
    if [ "${#files[@]}" -eq 0 ]; then
      echo "error: no NPL files given (input \`files\`)" >&2
      exit 2
    fi
    args=(check "${files[@]}")
    if [ -n "${INPUT_INVENTORY:-}" ]; then
      args+=(--inventory "$INPUT_INVENTORY")
    fi
    # The summary for the log; the failures as annotations on the lines.
    npc "${args[@]}" --error-format github
    ;;
  lint)
    words manifests "${INPUT_MANIFESTS:-}"
    words extra "${INPUT_LINT_ARGS:-}"
    if [ "${#manifests[@]}" -eq 0 ]; then
      echo "error: no manifests given (input \`manifests\`)" >&2
      exit 2
    fi
    sarif="${INPUT_SARIF_FILE:-npc.sarif}"
    rc=0
    npc lint "${manifests[@]}" "${extra[@]}" -o sarif --out-file "$sarif" --error-format github || rc=$?
    # The log is written whenever the manifests could be read (exit 0 or
    # 1): upload it even when a finding fails the step.
    if [ -n "${GITHUB_OUTPUT:-}" ] && [ -f "$sarif" ]; then
      echo "sarif-file=$sarif" >>"$GITHUB_OUTPUT"
    fi
    exit "$rc"
    ;;
  *)
    echo "usage: $0 install|check|lint" >&2
    exit 2
    ;;
esac
