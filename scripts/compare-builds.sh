#!/usr/bin/env bash
# Whether two npc binaries write the same bytes: a check for changes that
# must not change any output (speed work). Usage:
#
#   scripts/compare-builds.sh OLD_NPC NEW_NPC
#
# Compares, with `cmp` (stdout and stderr) and the exit code:
# - every example with the new binary (`npc build examples/X.npl
#   --deny-warnings | diff examples/X.yaml -`);
# - generated programs of every shape (mixed, fan-out, cdk8s) at 10 and 100
#   namespaces with seeds 1 and 2 and at 1,000 with seed 1, as YAML and as
#   `-o json`, and at 10 and 100 with `--out-dir` (`diff -r`);
# - the mixed and fan-out programs of 10 namespaces with every `expect`
#   verdict flipped (failing expectations: stderr and exit code).
# Needs `cargo build --release -p npc-gen`. Prints each difference and
# exits 1 if there is one.
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 OLD_NPC NEW_NPC" >&2
  exit 2
fi
old=$(realpath "$1")
new=$(realpath "$2")
root=$(cd "$(dirname "$0")/.." && pwd)
gen="$root/target/release/npc-gen"
[ -x "$gen" ] || { echo "build npc-gen first: cargo build --release -p npc-gen" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
checks=0
diffs=0
differ() {
  echo "differs: $*"
  diffs=$((diffs + 1))
}
same() {
  # same PROGRAM ARGS...: both binaries, stdout, stderr and exit code.
  local p=$1
  shift
  checks=$((checks + 1))
  local a=0 b=0
  "$old" build "$p" "$@" > "$work/old.out" 2> "$work/old.err" || a=$?
  "$new" build "$p" "$@" > "$work/new.out" 2> "$work/new.err" || b=$?
  if ! cmp -s "$work/old.out" "$work/new.out" || ! cmp -s "$work/old.err" "$work/new.err" \
    || [ "$a" != "$b" ]; then
    differ "$(basename "$p") $*"
  fi
}
cd "$root"
for f in examples/*.npl; do
  checks=$((checks + 1))
  "$new" build "$f" --deny-warnings | diff -q "${f%.npl}.yaml" - > /dev/null || differ "$f"
done
cd "$work"
for shape in mixed fan-out cdk8s; do
  for ns in 10 100 1000; do
    for seed in 1 2; do
      if [ "$ns" = 1000 ] && [ "$seed" = 2 ]; then continue; fi
      p="$work/$shape-$ns-$seed.npl"
      "$gen" --shape "$shape" --namespaces "$ns" --workloads 10 --seed "$seed" > "$p"
      same "$p"
      same "$p" -o json
      if [ "$ns" != 1000 ]; then
        checks=$((checks + 1))
        rm -rf "$work/od" "$work/nd"
        "$old" build "$p" --out-dir "$work/od" > /dev/null 2>&1 || true
        "$new" build "$p" --out-dir "$work/nd" > /dev/null 2>&1 || true
        diff -r "$work/od" "$work/nd" > /dev/null || differ "$(basename "$p") --out-dir"
      fi
      if [ "$ns" = 10 ] && [ "$shape" != cdk8s ]; then
        flipped="$work/flipped-$shape-$seed.npl"
        sed -E 's/^( *)expect allow /\1expect XX /; s/^( *)expect deny /\1expect allow /; s/^( *)expect XX /\1expect deny /' \
          "$p" > "$flipped"
        same "$flipped"
        echo "$(basename "$flipped"): $(grep -c 'E029' "$work/old.err" || true) failing expectations reported"
      fi
    done
  done
done
echo "$checks checks, $diffs differences"
[ "$diffs" = 0 ]
