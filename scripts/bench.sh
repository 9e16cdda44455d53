#!/usr/bin/env bash
# Benchmarks `npc build` on generated programs and prints Markdown tables.
#
# For each size (namespaces x workloads): lines in, policies and bytes out,
# wall time (median and fastest of several runs) and peak RSS of `npc build`
# measured with /usr/bin/time. In the same run: `kubectl kustomize` rendering
# npc's own `--out-dir DIR` output, and `nca --connectivity` over the same policies
# (venv from scripts/venv.sh) with a generated inventory of one pod per
# workload.
#
# Usage: scripts/bench.sh
# Environment:
#   NPC_BENCH_SIZES      namespace counts       (default "45 10 100 1000 10000";
#                        45 namespaces is a program of about 1,000 lines)
#   NPC_BENCH_WORKLOADS  workloads per namespace (default 10)
#   NPC_BENCH_RUNS       runs per size           (default 7; at most 3 above 1,000 namespaces)
#   NPC_BENCH_KUSTOMIZE  sizes to render with kubectl kustomize (default "100 1000")
#   NPC_BENCH_NCA        sizes to check with nca --connectivity (default "10 100")
#   NPC_BENCH_TIMEOUT    seconds before one kustomize or nca run is stopped (default 600)
#   NPC_BENCH_DIR        work directory          (default target/bench)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sizes="${NPC_BENCH_SIZES:-45 10 100 1000 10000}"
workloads="${NPC_BENCH_WORKLOADS:-10}"
runs="${NPC_BENCH_RUNS:-7}"
kustomize_sizes="${NPC_BENCH_KUSTOMIZE:-100 1000}"
nca_sizes="${NPC_BENCH_NCA:-10 100}"
tool_timeout="${NPC_BENCH_TIMEOUT:-600}"
work="${NPC_BENCH_DIR:-$root/target/bench}"
mkdir -p "$work"

log() { echo "bench: $*" >&2; }

# ------------------------------------------------------------------ tools
if [ ! -x /usr/bin/time ]; then
  if [ "$(id -u)" = 0 ]; then
    log "installing GNU time"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time hyperfine >&2 ||
      { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time hyperfine >&2; }
  else
    log "/usr/bin/time is missing (apt-get install time)"; exit 2
  fi
fi

log "building npc and the generator (release)"
(cd "$root" && cargo build --release --quiet --bin npc --example gen)
npc="$root/target/release/npc"
gen="$root/target/release/examples/gen"

contains() { case " $1 " in *" $2 "*) return 0 ;; *) return 1 ;; esac; }

# `measure CMD...`: runs CMD $n times (stdout to /dev/null), prints
# "median_wall_s min_wall_s max_rss_kb median_cpu_s". Wall time is taken
# with $EPOCHREALTIME (time(1) rounds to 10 ms); RSS and user+system CPU
# time come from time(1).
measure() {
  local n="$1"; shift
  local tf="$work/time.txt" walls=() cpus=() rss=0 i t0 t1
  for ((i = 0; i < n; i++)); do
    t0=$EPOCHREALTIME
    /usr/bin/time -f '%M %U %S' -o "$tf" "$@" > /dev/null
    t1=$EPOCHREALTIME
    read -r m u s < <(tail -n 1 "$tf")
    walls+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')")
    cpus+=("$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.2f", u + s }')")
    if [ "$m" -gt "$rss" ]; then rss="$m"; fi
  done
  local cpu
  cpu=$(printf '%s\n' "${cpus[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
  printf '%s\n' "${walls[@]}" | sort -n | awk -v rss="$rss" -v cpu="$cpu" '
    { v[NR] = $1 }
    END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
          printf "%.3f %.3f %d %s\n", m, v[1], rss, cpu }'
}

mb() { awk -v kb="$1" 'BEGIN { printf "%.0f", kb / 1024 }'; }
thousands() { printf "%'d" "$1" 2>/dev/null || printf "%d" "$1"; }

# ------------------------------------------------------------------ npc build
npc_rows=()
tool_rows=()
venv_bin=""
for n in $sizes; do
  in="$work/n$n.npl"
  out="$work/n$n.yaml"
  inv="$work/inventory-$n"
  "$gen" --namespaces "$n" --workloads "$workloads" --inventory "$inv" > "$in"
  "$npc" build "$in" > "$out"
  lines=$(wc -l < "$in")
  policies=$(grep -c '^kind: NetworkPolicy' "$out" || true)
  bytes=$(wc -c < "$out")
  r="$runs"
  if [ "$n" -gt 1000 ] && [ "$r" -gt 3 ]; then r=3; fi
  log "npc build: $n namespaces x $workloads workloads, $r runs"
  read -r med min rss cpu < <(measure "$r" "$npc" build "$in")
  npc_rows+=("| $(thousands "$n") × $workloads | $(thousands "$lines") | $(thousands "$policies") | $(thousands "$bytes") | $med | $min | $cpu | $(mb "$rss") |")

  if contains "$kustomize_sizes" "$n"; then
    if command -v kubectl > /dev/null; then
      dir="$work/n$n-out"
      rm -rf "$dir"
      "$npc" build "$in" --out-dir "$dir"
      # kustomize grows faster than linearly: one run for large sizes.
      kr=3
      if [ "$n" -ge 1000 ]; then kr=1; fi
      log "kubectl kustomize: $n namespaces, $kr runs"
      if read -r kmed kmin krss _ < <(measure "$kr" timeout "$tool_timeout" kubectl kustomize "$dir"); then
        rendered=$(kubectl kustomize "$dir" | grep -c '^kind: NetworkPolicy' || true)
        tool_rows+=("| kubectl kustomize (npc --out-dir DIR) | $(thousands "$n") × $workloads | $(thousands "$rendered") policies rendered | $kmed | $kmin | $(mb "$krss") |")
      else
        tool_rows+=("| kubectl kustomize (npc --out-dir DIR) | $(thousands "$n") × $workloads | stopped after ${tool_timeout} s | | | |")
      fi
    else
      tool_rows+=("| kubectl kustomize | $(thousands "$n") × $workloads | kubectl not found | | | |")
    fi
  fi

  if contains "$nca_sizes" "$n"; then
    if [ -z "$venv_bin" ]; then
      venv_bin="$(bash "$root/scripts/venv.sh")"
    fi
    log "nca --connectivity: $n namespaces"
    ncaout="$work/nca-$n.txt"
    set +e
    /usr/bin/time -f '%e %M' -o "$work/time.txt" timeout "$tool_timeout" "$venv_bin/nca" --connectivity "$out" \
      --ns_list "$inv/namespaces.yaml" --pod_list "$inv/pods.yaml" \
      -o txt_no_fw_rules --output_endpoints pods > "$ncaout" 2>&1
    status=$?
    set -e
    read -r nw nm < <(tail -n 1 "$work/time.txt") || true
    # nca exits with the number of queries that "failed"; a connectivity
    # report is not a failure, but a crash prints a traceback.
    if [ "$status" = 124 ]; then note="stopped after ${tool_timeout} s";
    elif grep -q Traceback "$ncaout"; then note="failed, see $ncaout"; else note="exit $status, $(wc -l < "$ncaout") report lines"; fi
    tool_rows+=("| nca --connectivity | $(thousands "$n") × $workloads | $note | $nw | $nw | $(mb "${nm:-0}") |")
  fi
done

echo
echo "| namespaces × workloads | lines in | policies out | bytes out | npc build wall, median (s) | fastest (s) | CPU user+sys, median (s) | peak RSS (MB) |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${npc_rows[@]}"
if [ "${#tool_rows[@]}" -gt 0 ]; then
  echo
  echo "| tool | namespaces × workloads | result | wall, median (s) | fastest (s) | peak RSS (MB) |"
  echo "|---|---:|---|---:|---:|---:|"
  printf '%s\n' "${tool_rows[@]}"
fi
echo
echo "runs per size: $runs (3 above 1,000 namespaces); nca: 1 run; kustomize: 3 runs (1 from 1,000 namespaces)"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
