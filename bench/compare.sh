#!/usr/bin/env bash
# Runs Bert.NET's benchmark against its peers on the same cases, interleaved (A B A B ...), and prints the ratios
# with the CPU's name: PyTorch (bench/pytorch_reference.py) for model cases, ONNX Runtime for the onnx case.
#   bench/compare.sh [rounds] [cases...]      case = shape:mode:dtype, e.g. base:infer:fp32 small:knbc-epoch:fp32 minilm:onnx:fp32
# Modes: infer and train (batch x seq, random ids), knbc-epoch and knbc-infer (all KNBC sentences, their real ids and
# lengths, batch 16, bucketed, padded to a multiple of 8), onnx (pretrained MiniLM vs ONNX Runtime at batch 1, 16 and
# the KNBC length mix). The KNBC cases read ../shared/models/wiki-ja/knbc-spm_encode-ids.tsv.
# Needs Debian's python3-torch and libopenblas0-openmp (without it PyTorch runs a reference BLAS, 40x slower).
# Run it on a quiet machine: libtorch's OpenMP threads spin, so other load distorts both sides. It runs with the
# environment's OMP_WAIT_POLICY (the header prints it): unset is libgomp's default (spin a while, then sleep), what an
# application gets; PASSIVE (the tests set it) makes every operation wake a sleeping OpenMP thread, which cost
# Bert.NET's single-batch MiniLM inference about 10% on a 2-core Zen 3 (26.0-26.9 against 29.0-29.1 sequences/s),
# while ONNX Runtime's own thread pool spins either way. The default cases take
# about 8 minutes per round on a 2-core Zen 3 (3 rounds: 24 minutes, 2026-11-30).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; shift || true
cases=("$@")
[ ${#cases[@]} -gt 0 ] || cases=(small:infer:fp32 small:train:fp32 base:infer:fp32 base:train:fp32 small:knbc-infer:fp32 small:knbc-epoch:fp32 minilm:onnx:fp32)
threads=${THREADS:-2}; batch=${BATCH:-16}; seq=${SEQ:-128}; iterations=${ITERATIONS:-5}
dotnet build bench/Bert.Benchmarks -c Release -v q -nologo >/dev/null
# OpenBLAS picks its kernels by CPU model, and Debian's 0.3.21 falls back to Prescott (SSE3) on a model newer than it
# knows: on an Intel Xeon of family 6, model 207 (AVX-512, avx512_bf16) PyTorch's products then ran at 61 against
# 235 GFLOP/s. Unless the caller chose a core, the peer gets the newest one this CPU's instructions allow.
if [ -z "${OPENBLAS_CORETYPE:-}" ]; then
  core=$(OPENBLAS_VERBOSE=2 /usr/bin/python3 -c 'import torch; torch.ones(8, 8) @ torch.ones(8, 8)' 2>&1 | sed -n 's/^Core: //p' | head -n 1)
  if [ "$core" = Prescott ]; then
    case " $(grep -m 1 '^flags' /proc/cpuinfo) " in
      *" avx512_bf16 "*) export OPENBLAS_CORETYPE=Cooperlake ;;
      *" avx512f "*) export OPENBLAS_CORETYPE=SkylakeX ;;
      *" avx2 "*) export OPENBLAS_CORETYPE=Haswell ;;
    esac
  fi
fi
export OPENBLAS_CORE_NOTE="${OPENBLAS_CORETYPE:-chosen by OpenBLAS}"
bench="dotnet bench/Bert.Benchmarks/bin/Release/net10.0/linux-x64/Bert.Benchmarks.dll"
out=$(mktemp)
for ((r = 1; r <= rounds; r++)); do
  for c in "${cases[@]}"; do
    IFS=: read -r shape mode dtype <<<"$c"
    args=(--shape "$shape" --mode "$mode" --dtype "$dtype" --batch "$batch" --seq "$seq" --threads "$threads" --iterations "$iterations")
    # A KNBC inference pass takes ~7 s and identical passes differ by up to 20% on a shared VM: each side reports the
    # median of 3 passes in one process (both scripts take the median of --iterations). An epoch trains, so it runs once.
    case "$mode" in knbc-infer) args+=(--iterations 3 --warmup 1) ;; knbc-epoch) args+=(--iterations 1 --warmup 1) ;; esac
    if [ "$mode" = onnx ]; then
      $bench "${args[@]}" 2>/dev/null | awk '!seen[$0]++' >>"$out"   # one line per batch case (the last is repeated)
    else
      $bench "${args[@]}" 2>/dev/null | tail -n 1 >>"$out"
      /usr/bin/python3 bench/pytorch_reference.py "${args[@]}" | tail -n 1 >>"$out"
    fi
  done
done
/usr/bin/python3 - "$out" <<'PY'
import json, statistics, sys, os, datetime
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
flags = next((l.split(":", 1)[1].split() for l in open("/proc/cpuinfo") if l.startswith("flags")), [])
fam = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("cpu family")), "?")
isa = "avx512_bf16" if "avx512_bf16" in flags else "avx512" if "avx512f" in flags else "avx2" if "avx2" in flags else "sse"
print(f"machine: {cpu} (family {fam}, {isa}), {os.cpu_count()} cores; {datetime.date.today()}; medians over rounds; "
      f"OMP_WAIT_POLICY {os.environ.get('OMP_WAIT_POLICY', 'unset')}; PyTorch's OpenBLAS core: {os.environ.get('OPENBLAS_CORE_NOTE', '?')}")
print(f"{'case':<30}{'Bert.NET seq/s':>15}{'peer seq/s':>12}{'peer':>9}{'ratio':>7}{'GFLOP/s':>9}{'of peak':>8}{'MB':>7}{'peer MB':>8}")
med = statistics.median
def key(r):
    k = (r["shape"], r["mode"], r["dtype"])
    return k + ((r["batch"], r.get("lengths", "")),) if r["mode"] == "onnx" else k
for k in sorted({key(r) for r in rows}, key=str):
    ours = [r for r in rows if key(r) == k and r.get("impl") == "bert.net"]
    if not ours: continue
    a = med(r["seq_per_s"] for r in ours)
    gf = med(r.get("gflops", 0) for r in ours); peak = med(r.get("matmul_peak_gflops", 0) or 1 for r in ours)
    ma = med(r["peak_rss_mb"] for r in ours)
    if k[1] == "onnx":
        b = med(r["ort_seq_per_s"] for r in ours)
        name = f"{k[0]}:onnx b{k[3][0]}{' knbc' if 'KNBC' in k[3][1] else ''}"
        print(f"{name:<30}{a:>15.2f}{b:>12.2f}{'ORT':>9}{a / b:>7.2f}{gf:>9.1f}{gf / peak:>8.0%}{ma:>7.0f}{'':>8}")
        continue
    peer = [r for r in rows if (r["shape"], r["mode"], r["dtype"]) == k and r.get("impl") == "pytorch"]
    if not peer: continue
    b = med(r["seq_per_s"] for r in peer); mb = med(r["peak_rss_mb"] for r in peer)
    print(f"{':'.join(k):<30}{a:>15.2f}{b:>12.2f}{'PyTorch':>9}{a / b:>7.2f}{gf:>9.1f}{gf / peak:>8.0%}{ma:>7.0f}{mb:>8.0f}")
PY
rm -f "$out"
