# Named checks for the test scripts (sourced, not run): `--update` parsing,
# `check NAME COMMAND...` that counts each result, and `checks_summary
# SUITE` that prints the tally and fails when a check failed.

update=0
case "${1:-}" in
  --update | -u) update=1 ;;
  "") ;;
  *) echo "usage: $0 [--update]" >&2; exit 2 ;;
esac

passed=0
failed=0
failures=()

# Runs one named check in a subshell with errexit on; counts the result.
check() {
  local name="$1"
  shift
  echo "--- $name"
  set +e
  (set -e; "$@")
  local rc=$?
  set -e
  if [ "$rc" -eq 0 ]; then
    passed=$((passed + 1))
    echo "ok: $name"
  else
    failed=$((failed + 1))
    failures+=("$name")
    echo "FAILED: $name"
  fi
}

# `SUITE: N passed, M failed` (scripts/test.sh adds these up); the status
# is that of the whole suite.
checks_summary() {
  if [ "$failed" -gt 0 ]; then
    printf 'failed: %s\n' "${failures[@]}"
  fi
  echo "$1: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
