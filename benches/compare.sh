#!/usr/bin/env bash
# Side-by-side with the Python and Node.js SDKs on this machine, through ../shared/bench (same
# workload, same loopback stub in a network namespace, SDK pinned to CPU 0, stub to CPU 1).
#   benches/compare.sh [RUNS=3]        (as root: with_stub.sh uses unshare -n)
# Writes target/compare/raw.jsonl and prints the median of each configuration.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-3}"
SCRATCH=target/compare
mkdir -p "$SCRATCH"
# ../shared is read-only: work on a copy, with the conformance artifacts where make_artifacts.py looks.
rm -rf "$SCRATCH/bench" "$SCRATCH/conformance"
cp -r ../shared/bench "$SCRATCH/bench"
cp -r ../shared/conformance "$SCRATCH/conformance"
chmod -R u+w "$SCRATCH"
BENCH="$SCRATCH/bench"
[ -d "$BENCH/.venv" ] || (cd "$BENCH" && ./setup.sh >/dev/null)
ART=/tmp/adobe-target-artifacts
python3 "$BENCH/make_artifacts.py" "$ART" 500 >/dev/null
# The SDK as built by default, and built remote-only (`--no-default-features`), as a
# server-side service would build it.
cargo build --release -p adobe-target-peer-bench
cp target/release/peer_bench "$SCRATCH/peer_bench"
cargo build --release -p adobe-target-peer-bench --no-default-features
cp target/release/peer_bench "$SCRATCH/peer_bench_remote_only"
RUST="$PWD/$SCRATCH/peer_bench"
REMOTE_ONLY="$PWD/$SCRATCH/peer_bench_remote_only"
RAW="$SCRATCH/raw.jsonl"
: > "$RAW"
run() { (cd "$BENCH" && timeout 180 ./with_stub.sh "$@" 2>>../stderr.log | tail -n 1 | tee -a "../raw.jsonl"); }
for r in $(seq "$RUNS"); do
  echo "== round $r" >&2
  for sdk in "$RUST ondevice" "node ondevice_node.js" ".venv/bin/python ondevice_py.py"; do
    run $sdk --artifact $ART/AB_SIMPLE.json --notify off --n 5000 --warmup 500 --max-seconds 30
    run $sdk --artifact $ART/AB_SIMPLE.json --notify stub --n 5000 --warmup 500 --max-seconds 30
    run $sdk --artifact $ART/COLD_500.json --notify off --n 5000 --warmup 50 --max-seconds 20
    run $sdk --artifact $ART/HOT_500.json --notify off --n 5000 --warmup 5 --max-seconds 20
  done
  # A remote run takes seconds, and a process's peak RSS at 64 in flight moves by a few tenths
  # of a MB from run to run (which connection buffers happen to be live at once): every SDK's
  # remote cases run three times a round, so their medians are over 3 × RUNS runs.
  for _ in 1 2 3; do
    for rust in "$RUST" "$REMOTE_ONLY"; do
      run "$rust" remote --conc 1 --n 2000 --max-seconds 60
      run "$rust" remote --conc 64 --n 2000 --max-seconds 60
      # The floor: the same exchange with reqwest alone, in the same binary, no SDK in between.
      run "$rust" http --conc 64 --n 2000 --max-seconds 60
    done
    run node remote_node.js --conc 1 --n 2000 --max-seconds 60
    run node remote_node.js --conc 64 --n 2000 --max-seconds 60
    run .venv/bin/python remote_py.py --mode seq --n 2000 --conc 64 --max-seconds 60
    run .venv/bin/python remote_py.py --mode to_thread --n 2000 --conc 64 --max-seconds 60
  done
done
python3 - "$RAW" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
groups = {}
for r in rows:
    key = (r["sdk"], r["mode"], r.get("artifact", ""), r.get("notify", ""), r.get("in_flight", ""))
    groups.setdefault(key, []).append(r)
print("| sdk | mode | artifact | notify | in flight | calls or req/s | p50 µs | p99 µs | peak RSS MB (min–max) | runs |")
print("|---|---|---|---|---:|---:|---:|---:|---:|---:|")
for key in sorted(groups):
    g = groups[key]
    med = lambda k: statistics.median(x[k] for x in g if k in x)
    rate = med("calls_per_s") if "calls_per_s" in g[0] else med("req_per_s")
    print(f"| {key[0]} | {key[1]} | {key[2]} | {key[3]} | {key[4]} | {rate:.0f} | {med('p50_us'):.0f} | {med('p99_us'):.0f} | {med('peak_rss_mb'):.1f} ({min(x['peak_rss_mb'] for x in g):.1f}–{max(x['peak_rss_mb'] for x in g):.1f}) | {len(g)} |")
PY
