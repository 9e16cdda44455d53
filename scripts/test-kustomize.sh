#!/usr/bin/env bash
# Kustomize integration checks beyond `cargo test`:
#   scripts/test-kustomize.sh         run the kustomize tests (needs kubectl)
#   scripts/test-kustomize.sh bench   time a synthetic program (NS namespaces x
#                                     WL workloads, default 100 x 10) through
#                                     `npc build` and `kubectl kustomize`
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [ "${1:-}" != bench ]; then
  exec cargo test --test integration kustomize
fi

ns_count="${NS:-100}"
wl_count="${WL:-10}"
cargo build --release --quiet
npc="$root/target/release/npc"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Each namespace: WL workloads in a chain w0 -> w1 -> ... plus one call into
# the next namespace, so every workload gets its own policy.
{
  for ((n = 0; n < ns_count; n++)); do echo "namespace ns$n"; done
  for ((n = 0; n < ns_count; n++)); do
    for ((w = 1; w < wl_count; w++)); do
      echo "allow ns$n/w$((w - 1)) -> ns$n/w$w:8080"
    done
    echo "allow ns$n/w$((wl_count - 1)) -> ns$(((n + 1) % ns_count))/w0:8080"
  done
} >"$work/policies.npl"
cat >"$work/generator.yaml" <<'YAML'
apiVersion: npc.dev/v1alpha1
kind: NetworkPolicyGenerator
metadata: {name: bench}
spec: {sources: [policies.npl]}
YAML
printf 'generators:\n- generator.yaml\n' >"$work/kustomization.yaml"
export KUSTOMIZE_PLUGIN_HOME="$work/plugins"
"$npc" kustomize install >/dev/null 2>&1

best() { # best wall time of 3 runs, in seconds
  local best=""
  for _ in 1 2 3; do
    local s e t
    s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc)
    if [ -z "$best" ] || (($(echo "$t < $best" | bc))); then best=$t; fi
  done
  printf '%.2f' "$best"
}

policies=$("$npc" build "$work/policies.npl" | grep -c '^kind: NetworkPolicy$')
echo "program: $ns_count namespaces x $wl_count workloads, $(wc -l <"$work/policies.npl") lines, $policies policies"
echo "npc build policies.npl                       $(best "$npc" build "$work/policies.npl") s"
echo "npc build policies.npl --out-dir DIR         $(best "$npc" build "$work/policies.npl" --out-dir "$work/out") s"
echo "kubectl kustomize (plain, --out-dir DIR)    $(best kubectl kustomize "$work/out") s"
echo "kubectl kustomize --enable-alpha-plugins     $(best kubectl kustomize --enable-alpha-plugins "$work") s"
