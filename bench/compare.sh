#!/usr/bin/env bash
# Runs Bert.NET's benchmark and the PyTorch reference on the same cases, interleaved (A B A B ...), and prints
# the ratio Bert.NET / PyTorch of sequences per second and of peak memory per case.
#   bench/compare.sh [rounds] [cases...]      case = shape:mode:dtype, e.g. base:infer:fp32 small:train:fp32
# Needs Debian's python3-torch and libopenblas0-openmp (without it PyTorch runs a reference BLAS, 40x slower).
# Run it on a quiet machine: libtorch's OpenMP threads spin, so other load distorts both sides.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; shift || true
cases=("$@"); [ ${#cases[@]} -gt 0 ] || cases=(small:infer:fp32 small:train:fp32 base:infer:fp32 base:train:fp32 base:infer:bf16)
threads=${THREADS:-2}; batch=${BATCH:-16}; seq=${SEQ:-128}; iterations=${ITERATIONS:-5}
dotnet build bench/Bert.Benchmarks -c Release -v q -nologo >/dev/null
bench="dotnet bench/Bert.Benchmarks/bin/Release/net10.0/linux-x64/Bert.Benchmarks.dll"
out=$(mktemp)
for ((r = 1; r <= rounds; r++)); do
  for c in "${cases[@]}"; do
    IFS=: read -r shape mode dtype <<<"$c"
    args=(--shape "$shape" --mode "$mode" --dtype "$dtype" --batch "$batch" --seq "$seq" --threads "$threads" --iterations "$iterations")
    $bench "${args[@]}" 2>/dev/null | tail -n 1 >>"$out"
    /usr/bin/python3 bench/pytorch_reference.py "${args[@]}" | tail -n 1 >>"$out"
  done
done
/usr/bin/python3 - "$out" <<'PY'
import json, statistics, sys, platform, os
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
print(f"machine: {cpu}, {os.cpu_count()} cores; medians over rounds")
print(f"{'case':<22}{'Bert.NET seq/s':>15}{'PyTorch seq/s':>15}{'ratio':>8}{'Bert.NET MB':>13}{'PyTorch MB':>12}{'mem ratio':>10}")
keys = sorted({(r['shape'], r['mode'], r['dtype']) for r in rows})
for k in keys:
    ours = [r for r in rows if (r['shape'], r['mode'], r['dtype']) == k and r.get('impl') == 'bert.net']
    peer = [r for r in rows if (r['shape'], r['mode'], r['dtype']) == k and r.get('impl') == 'pytorch']
    if not ours or not peer: continue
    a = statistics.median(r['seq_per_s'] for r in ours); b = statistics.median(r['seq_per_s'] for r in peer)
    ma = statistics.median(r['peak_rss_mb'] for r in ours); mb = statistics.median(r['peak_rss_mb'] for r in peer)
    print(f"{':'.join(k):<22}{a:>15.2f}{b:>15.2f}{a / b:>8.2f}{ma:>13.0f}{mb:>12.0f}{ma / mb:>10.2f}")
PY
rm -f "$out"
