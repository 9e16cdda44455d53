#!/usr/bin/env bash
# Benchmarks `npc build` on generated programs and prints Markdown tables.
#
# For each program (shape, namespaces x workloads; generator: npc-gen in
# benches/gen/): lines in, policies and bytes out, the largest object, wall
# time (median and fastest of several runs), CPU time and peak RSS of
# `npc build`, measured with `/usr/bin/time -v`. In the same run:
#   - the cdk8s-plus comparison: `scripts/bench-cdk8s/synth.js` (cdk8s-plus-32,
#     installed with `npm ci` into a temporary directory) synthesizes the
#     intent of `npc-gen --shape cdk8s`; the script first checks with
#     `npc diff --semantic` that both tools' policies allow the same flows,
#     then measures both the same way;
#   - `kubectl kustomize` rendering npc's own `--out-dir DIR` output;
#   - `nca --connectivity` over the same policies (venv from scripts/venv.sh)
#     with a generated inventory of one pod per workload.
# Last, the issue-15 targets, each marked met or not.
#
# Usage: scripts/bench.sh
# Environment:
#   NPC_BENCH_SIZES      mixed-shape namespace counts (default "45 10 100 1000 10000";
#                        45 namespaces is a program of about 1,000 lines)
#   NPC_BENCH_FANOUT     fan-out-shape namespace counts (default "1000")
#   NPC_BENCH_CDK8S      cdk8s-shape namespace counts, compared with cdk8s-plus
#                        (default "1000"; empty to skip, as without npm)
#   NPC_BENCH_WORKLOADS  workloads per namespace (default 10)
#   NPC_BENCH_RUNS       runs per program (default 7; at most 3 above 1,000
#                        namespaces and for cdk8s-plus)
#   NPC_BENCH_KUSTOMIZE  mixed sizes to render with kubectl kustomize (default "100 1000")
#   NPC_BENCH_NCA        mixed sizes to check with nca --connectivity (default "10 100")
#   NPC_BENCH_TIMEOUT    seconds before one tool run is stopped (default 600)
#   NPC_BENCH_ANALYZE    namespaces of generated manifests for npc analyze / lint,
#                        10 workloads and 10 policies each (default "100": 1,000
#                        workloads and 1,000 NetworkPolicies; "" skips)
#   NPC_BENCH_ANALYZE_NCA  those sizes also checked with nca --connectivity -r on
#                        the same directory (default "10 100")
#   NPC_BENCH_DIR        work directory (default target/bench)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sizes="${NPC_BENCH_SIZES-45 10 100 1000 10000}"
fanout_sizes="${NPC_BENCH_FANOUT-1000}"
cdk8s_sizes="${NPC_BENCH_CDK8S-1000}"
workloads="${NPC_BENCH_WORKLOADS:-10}"
runs="${NPC_BENCH_RUNS:-7}"
kustomize_sizes="${NPC_BENCH_KUSTOMIZE-100 1000}"
nca_sizes="${NPC_BENCH_NCA-10 100}"
tool_timeout="${NPC_BENCH_TIMEOUT:-600}"
analyze_sizes="${NPC_BENCH_ANALYZE-100}"
analyze_nca_sizes="${NPC_BENCH_ANALYZE_NCA-10 100}"
work="${NPC_BENCH_DIR:-$root/target/bench}"
mkdir -p "$work"

log() { echo "bench: $*" >&2; }

# ------------------------------------------------------------------ tools
if [ ! -x /usr/bin/time ]; then
  if [ "$(id -u)" = 0 ]; then
    log "installing GNU time"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >&2 ||
      { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >&2; }
  else
    log "/usr/bin/time is missing (apt-get install time)"; exit 2
  fi
fi

log "building npc and the generator (release)"
(cd "$root" && cargo build --release --quiet -p npc-netpol --bin npc -p npc-gen --bin npc-gen)
npc="$root/target/release/npc"
gen="$root/target/release/npc-gen"
(cd "$root" && cargo build --release --quiet -p npc-netpol --example gen_manifests)
gen_manifests="$root/target/release/examples/gen_manifests"

contains() { case " $1 " in *" $2 "*) return 0 ;; *) return 1 ;; esac; }

# `measure N CMD...`: runs CMD N times (stdout to /dev/null) under
# `/usr/bin/time -v`, prints "median_wall_s min_wall_s max_rss_kb
# median_cpu_s". Wall time is taken with $EPOCHREALTIME (time(1) rounds to
# 10 ms); peak RSS and user+system CPU time come from time(1). Fails if a run
# fails.
measure() {
  local n="$1"; shift
  local tf="$work/time.txt" walls=() cpus=() rss=0 i t0 t1 m u s
  for ((i = 0; i < n; i++)); do
    t0=$EPOCHREALTIME
    /usr/bin/time -v -o "$tf" "$@" > /dev/null || return 1
    t1=$EPOCHREALTIME
    m=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$tf")
    u=$(awk -F': ' '/User time \(seconds\)/ { print $2 }' "$tf")
    s=$(awk -F': ' '/System time \(seconds\)/ { print $2 }' "$tf")
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
# Largest document of a multi-document YAML file, in bytes.
largest_object() {
  awk '/^---$/ { if (n > max) max = n; n = 0; next } { n += length($0) + 1 } END { if (n > max) max = n; print max + 0 }' "$1"
}
runs_for() { local r="$runs"; if [ "$1" -gt 1000 ] && [ "$r" -gt 3 ]; then r=3; fi; echo "$r"; }

# Results by key ("mixed-1000" ...): wall median, RSS kB, bytes out.
declare -A wall_of rss_of bytes_of largest_of

# `bench_npc SHAPE N`: one row of the npc table.
npc_rows=()
bench_npc() {
  local shape="$1" n="$2" key="$1-$2"
  local in="$work/$key.npl" out="$work/$key.yaml" inv="$work/inventory-$key"
  "$gen" --shape "$shape" --namespaces "$n" --workloads "$workloads" --inventory "$inv" > "$in"
  "$npc" build "$in" > "$out"
  local lines policies bytes largest r med min rss cpu
  lines=$(wc -l < "$in")
  policies=$(grep -c '^kind: NetworkPolicy' "$out" || true)
  bytes=$(wc -c < "$out")
  largest=$(largest_object "$out")
  r=$(runs_for "$n")
  log "npc build: $shape, $n namespaces x $workloads workloads, $r runs"
  read -r med min rss cpu < <(measure "$r" "$npc" build "$in")
  wall_of[$key]=$med; rss_of[$key]=$rss; bytes_of[$key]=$bytes; largest_of[$key]=$largest
  npc_rows+=("| $shape | $(thousands "$n") × $workloads | $(thousands "$lines") | $(thousands "$policies") | $(thousands "$bytes") | $(thousands "$largest") | $med | $min | $cpu | $(mb "$rss") |")
}

# ------------------------------------------------------------------ npc build
tool_rows=()
venv_bin=""
for n in $sizes; do
  bench_npc mixed "$n"
  key="mixed-$n"
  in="$work/$key.npl"; out="$work/$key.yaml"; inv="$work/inventory-$key"

  if contains "$kustomize_sizes" "$n"; then
    if command -v kubectl > /dev/null; then
      dir="$work/$key-out"
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
    /usr/bin/time -v -o "$work/time.txt" timeout "$tool_timeout" "$venv_bin/nca" --connectivity "$out" \
      --ns_list "$inv/namespaces.yaml" --pod_list "$inv/pods.yaml" \
      -o txt_no_fw_rules --output_endpoints pods > "$ncaout" 2>&1
    status=$?
    set -e
    nw=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$work/time.txt")
    nm=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$work/time.txt")
    # nca exits with the number of queries that "failed"; a connectivity
    # report is not a failure, but a crash prints a traceback.
    if [ "$status" = 124 ]; then note="stopped after ${tool_timeout} s";
    elif grep -q Traceback "$ncaout"; then note="failed, see $ncaout"; else note="exit $status, $(wc -l < "$ncaout") report lines"; fi
    tool_rows+=("| nca --connectivity | $(thousands "$n") × $workloads | $note | $nw | $nw | $(mb "${nm:-0}") |")
  fi
done

for n in $fanout_sizes; do
  bench_npc fan-out "$n"
done

# ------------------------------------------------------------------ cdk8s-plus
cdk8s_rows=()
if [ -n "$cdk8s_sizes" ]; then
  if command -v npm > /dev/null && command -v node > /dev/null; then
    nodedir="$(mktemp -d)"
    trap 'rm -rf "$nodedir"' EXIT
    cp "$root/scripts/bench-cdk8s/package.json" "$root/scripts/bench-cdk8s/package-lock.json" \
      "$root/scripts/bench-cdk8s/synth.js" "$nodedir/"
    log "npm ci (cdk8s, cdk8s-plus-32) into $nodedir"
    (cd "$nodedir" && npm ci --no-audit --no-fund --loglevel=error >&2)
    cdk8s_version=$(cd "$nodedir" && node -p "require('cdk8s-plus-32/package.json').version")

    # Same intent: every flow between the program's endpoints has the same
    # verdict under both tools' policies.
    log "same intent: npc diff --semantic against cdk8s-plus at 12 namespaces"
    "$gen" --shape cdk8s --namespaces 12 --workloads "$workloads" > "$work/cdk8s-check.npl"
    rm -rf "$work/cdk8s-check-out"
    (cd "$nodedir" && node synth.js 12 "$workloads" "$work/cdk8s-check-out")
    if ! "$npc" diff "$work/cdk8s-check.npl" --against "$work/cdk8s-check-out" --semantic > "$work/cdk8s-check.txt"; then
      log "npc and cdk8s-plus policies differ in meaning: see $work/cdk8s-check.txt"; exit 1
    fi
    same=$(head -n 1 "$work/cdk8s-check.txt")

    for n in $cdk8s_sizes; do
      bench_npc cdk8s "$n"
      key="cdk8s-$n"
      r=3
      log "cdk8s-plus synth: $n namespaces x $workloads workloads, $r runs"
      rm -rf "$work/$key-cdk8s"
      read -r cmed cmin crss ccpu < <(cd "$nodedir" && measure "$r" node synth.js "$n" "$workloads" "$work/$key-cdk8s")
      cbytes=$(cat "$work/$key-cdk8s"/*.yaml | wc -c)
      cpolicies=$(cat "$work/$key-cdk8s"/*.yaml | grep -c '^kind: NetworkPolicy' || true)
      wall_of[cdk8s-plus-$n]=$cmed; rss_of[cdk8s-plus-$n]=$crss
      cdk8s_rows+=("| npc build | $(thousands "$n") × $workloads | $(thousands "$(grep -c '^kind: NetworkPolicy' "$work/$key.yaml")") | $(thousands "${bytes_of[$key]}") | ${wall_of[$key]} | $(mb "${rss_of[$key]}") |")
      cdk8s_rows+=("| cdk8s-plus-32 $cdk8s_version synth (node $(node --version)) | $(thousands "$n") × $workloads | $(thousands "$cpolicies") | $(thousands "$cbytes") | $cmed | $(mb "$crss") |")
    done
  else
    log "npm or node not found: skipping the cdk8s-plus comparison"
  fi
fi

# ------------------------------------------------------------------ report
echo
echo "npc $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
echo
echo "| shape | namespaces × workloads | lines in | policies out | bytes out | largest object (bytes) | npc build wall, median (s) | fastest (s) | CPU user+sys, median (s) | peak RSS (MB) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${npc_rows[@]}"
if [ "${#cdk8s_rows[@]}" -gt 0 ]; then
  echo
  echo "Same intent ($same at 12 namespaces):"
  echo
  echo "| tool | namespaces × workloads | policies | bytes out | wall, median of 3+ (s) | peak RSS (MB) |"
  echo "|---|---:|---:|---:|---:|---:|"
  printf '%s\n' "${cdk8s_rows[@]}"
fi
if [ "${#tool_rows[@]}" -gt 0 ]; then
  echo
  echo "| tool | namespaces × workloads | result | wall, median (s) | fastest (s) | peak RSS (MB) |"
  echo "|---|---:|---|---:|---:|---:|"
  printf '%s\n' "${tool_rows[@]}"
fi

# The targets of issue 15, from the medians above.
verdict() { if awk "BEGIN { exit !($1) }"; then echo "met"; else echo "**not met**"; fi; }
echo
echo "| target | measured | met? |"
echo "|---|---|---|"
for n in $cdk8s_sizes; do
  [ -n "${wall_of[cdk8s-plus-$n]:-}" ] || continue
  a=${wall_of[cdk8s-$n]} b=${wall_of[cdk8s-plus-$n]} ra=${rss_of[cdk8s-$n]} rb=${rss_of[cdk8s-plus-$n]}
  speed=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.1f", b / a }')
  mem=$(awk -v a="$ra" -v b="$rb" 'BEGIN { printf "%.2f", a / b }')
  echo "| cdk8s shape, $(thousands "$n") namespaces: ≥ 20× faster than cdk8s-plus | ${a} s vs ${b} s: ${speed}× | $(verdict "$speed >= 20") |"
  echo "| cdk8s shape, $(thousands "$n") namespaces: ≤ 1/4 of cdk8s-plus peak memory | $(mb "$ra") MB vs $(mb "$rb") MB: ${mem} | $(verdict "$mem <= 0.25") |"
done
if [ -n "${wall_of[fan-out-1000]:-}" ]; then
  w=${wall_of[fan-out-1000]} r=$(mb "${rss_of[fan-out-1000]}") b=${bytes_of[fan-out-1000]}
  echo "| fan-out, 1,000 namespaces: ≤ 1.5 s, ≤ 400 MB, output ≤ 60 MB | ${w} s, ${r} MB, $(mb $((b / 1024))) MB out | $(verdict "$w <= 1.5 && $r <= 400 && $b <= 60 * 1024 * 1024") |"
fi
if [ -n "${wall_of[mixed-1000]:-}" ]; then
  w=${wall_of[mixed-1000]} r=$(mb "${rss_of[mixed-1000]}")
  echo "| mixed, 1,000 namespaces: ≤ 0.25 s, ≤ 80 MB | ${w} s, ${r} MB | $(verdict "$w <= 0.25 && $r <= 80") |"
fi
for shape in mixed fan-out; do
  if [ -n "${wall_of[$shape-1000]:-}" ] && [ -n "${wall_of[$shape-10000]:-}" ]; then
    t=$(awk -v a="${wall_of[$shape-1000]}" -v b="${wall_of[$shape-10000]}" 'BEGIN { printf "%.1f", b / a }')
    m=$(awk -v a="${rss_of[$shape-1000]}" -v b="${rss_of[$shape-10000]}" 'BEGIN { printf "%.1f", b / a }')
    echo "| $shape, 1,000 → 10,000 namespaces: time and memory ≤ 11× | time ${t}×, memory ${m}× | $(verdict "$t <= 11 && $m <= 11") |"
  fi
done
largest=0
for key in "${!largest_of[@]}"; do
  if [ "${largest_of[$key]}" -gt "$largest" ]; then largest=${largest_of[$key]}; fi
done
echo "| no object over 128 KiB (131,072 bytes) | largest $(thousands "$largest") bytes | $(verdict "$largest <= 131072") |"
echo
echo "runs per program: $runs (3 above 1,000 namespaces and for cdk8s-plus); nca: 1 run; kustomize: 3 runs (1 from 1,000 namespaces)"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

# ------------------------------------------------------------------ npc analyze / lint
analyze_rows=()
for n in $analyze_sizes; do
  dir="$work/manifests-$n"
  rm -rf "$dir"
  "$gen_manifests" --namespaces "$n" --workloads 10 --policies 10 --out "$dir"
  bytes=$(cat "$dir"/*.yaml "$dir"/*/*.yaml | wc -c)
  log "npc analyze / lint: $n namespaces"
  read -r med min rss cpu < <(measure "$runs" "$npc" analyze "$dir")
  lines=$("$npc" analyze "$dir" 2>/dev/null | wc -l)
  analyze_rows+=("| \`npc analyze DIR\` | $(thousands $((n * 10))) | $(thousands $((n * 10))) | $(thousands "$bytes") | $(thousands "$lines") lines | $med | $min | $cpu | $(mb "$rss") |")
  read -r med min rss cpu < <(measure "$runs" "$npc" lint "$dir" -o json)
  findings=$("$npc" lint "$dir" -o json 2>/dev/null | grep -c '"code"' || true)
  analyze_rows+=("| \`npc lint DIR -o json\` | $(thousands $((n * 10))) | $(thousands $((n * 10))) | $(thousands "$bytes") | $(thousands "$findings") findings | $med | $min | $cpu | $(mb "$rss") |")
  if contains "$analyze_nca_sizes" "$n"; then
    if [ -z "$venv_bin" ]; then
      venv_bin="$(bash "$root/scripts/venv.sh")"
    fi
    log "nca --connectivity -r: $n namespaces"
    ncaout="$work/nca-manifests-$n.txt"
    set +e
    /usr/bin/time -f '%e %M %U %S' -o "$work/time.txt" timeout "$tool_timeout" "$venv_bin/nca" --connectivity -r "$dir" \
      -o txt_no_fw_rules --output_endpoints deployments > "$ncaout" 2>&1
    status=$?
    set -e
    read -r nw nm nu ns < <(tail -n 1 "$work/time.txt") || true
    ncpu=$(awk -v u="${nu:-0}" -v s="${ns:-0}" 'BEGIN { printf "%.2f", u + s }')
    if [ "$status" = 124 ]; then note="stopped after ${tool_timeout} s";
    elif grep -q Traceback "$ncaout"; then note="failed, see $ncaout"; else note="$(grep -c ' => ' "$ncaout" || true) lines"; fi
    analyze_rows+=("| \`nca --connectivity -r DIR\` | $(thousands $((n * 10))) | $(thousands $((n * 10))) | $(thousands "$bytes") | $note | $nw | $nw | $ncpu | $(mb "${nm:-0}") |")
  fi
done
if [ "${#analyze_rows[@]}" -gt 0 ]; then
  echo
  echo "| command | workloads | policies | bytes in | result | wall, median (s) | fastest (s) | CPU user+sys, median (s) | peak RSS (MB) |"
  echo "|---|---:|---:|---:|---|---:|---:|---:|---:|"
  printf '%s\n' "${analyze_rows[@]}"
fi
echo
