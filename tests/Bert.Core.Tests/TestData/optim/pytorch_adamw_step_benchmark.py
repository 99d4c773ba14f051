# Times one torch.optim.AdamW step (PyTorch 1.13, Debian python3-torch) on BERT-base-sized parameters,
# the peer figure for AdamWarmupBenchmarks (issue 8: the C# step must take at most PyTorch's time).
#
#   /usr/bin/python3 tests/Bert.Core.Tests/TestData/optim/pytorch_adamw_step_benchmark.py [--threads 2] [--steps 10]
#
# Shapes: BERT-base with a 32000-piece vocabulary (wiki-ja) plus a 4-class head: 201 tensors,
# 110.6M floats (the same list as BertBaseShapes in AdamWarmupBenchmarks.cs). Random gradients, fp32.
# Prints one JSON line per variant with the median and minimum step time in seconds.
import argparse
import json
import statistics
import time

import torch


def bert_base_shapes(vocab=32000, hidden=768, layers=12, intermediate=3072, positions=512, types=2, classes=4):
    shapes = [(vocab, hidden), (positions, hidden), (types, hidden), (hidden,), (hidden,)]
    for _ in range(layers):
        for _ in range(4):  # query, key, value, attention output dense
            shapes += [(hidden, hidden), (hidden,)]
        shapes += [(hidden,), (hidden,)]  # attention LayerNorm
        shapes += [(intermediate, hidden), (intermediate,), (hidden, intermediate), (hidden,)]
        shapes += [(hidden,), (hidden,)]  # output LayerNorm
    shapes += [(hidden, hidden), (hidden,), (classes, hidden), (classes,)]
    return shapes


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=10)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    shapes = bert_base_shapes()
    params = [torch.nn.Parameter(torch.randn(*s) * 0.02) for s in shapes]
    for p in params:
        p.grad = torch.randn_like(p) * 1e-3
    numel = sum(p.numel() for p in params)
    for foreach in (False, True):
        opt = torch.optim.AdamW(params, lr=1e-4, betas=(0.9, 0.999), eps=1e-7, weight_decay=0.01, foreach=foreach)
        opt.step()  # allocates the state
        times = []
        for _ in range(args.steps):
            start = time.perf_counter()
            opt.step()
            times.append(time.perf_counter() - start)
        print(json.dumps({
            "impl": "torch.optim.AdamW", "torch": torch.__version__, "foreach": foreach,
            "threads": args.threads, "tensors": len(params), "elements": numel,
            "median_s": round(statistics.median(times), 4), "min_s": round(min(times), 4),
        }))


if __name__ == "__main__":
    main()
