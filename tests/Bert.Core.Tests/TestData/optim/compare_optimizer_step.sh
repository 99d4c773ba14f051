#!/usr/bin/env bash
# Interleaved peer comparison of one optimizer step on BERT-base shapes (issue 8): PyTorch 1.13's torch.optim.AdamW
# against Bert.Core's AdamWarmup, both with 2 threads, alternating so that load from other processes hits both.
#
#   tests/Bert.Core.Tests/TestData/optim/compare_optimizer_step.sh [rounds]     (from the repository root)
#
# Prints the JSON lines of both sides per round, then the best (minimum) step time of each and their ratio.
set -euo pipefail
rounds="${1:-3}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../../.." && pwd)"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
dotnet build "$root/tests/Bert.Core.Tests" -c Release -v quiet >/dev/null
for ((r = 1; r <= rounds; r++)); do
  /usr/bin/python3 "$here/pytorch_adamw_step_benchmark.py" --threads 2 --steps 15 | tee -a "$log"
  BERT_BENCHMARKS=1 dotnet test "$root/tests/Bert.Core.Tests" -c Release --no-build \
    --filter "FullyQualifiedName~AdamWarmupBenchmarks" --logger "console;verbosity=detailed" \
    | grep -E '"impl"' | sed 's/^ *//' | tee -a "$log"
done
/usr/bin/python3 - "$log" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.startswith("{")]
torch_best = min(r["min_s"] for r in rows if r["impl"] == "torch.optim.AdamW")
torch_default = min(r["min_s"] for r in rows if r["impl"] == "torch.optim.AdamW" and not r["foreach"])
ours = min(r["min_s"] for r in rows if r["impl"] == "AdamWarmup" and r["path"] == "fused kernel" and r["clip"] is None and not r["after_matmul"])
print(f"best step time: torch.optim.AdamW {torch_default:.4f} s (foreach=False, the 1.13 default), "
      f"{torch_best:.4f} s (best of foreach False/True); AdamWarmup {ours:.4f} s; "
      f"ratio AdamWarmup / best PyTorch = {ours / torch_best:.2f}")
PY
