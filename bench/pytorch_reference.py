#!/usr/bin/python3
"""PyTorch peer of bench/Bert.Benchmarks: the same BERT shapes, batches and thread count, timed the same way.

Run with Debian's PyTorch (apt-get install python3-torch libopenblas0-openmp):
  /usr/bin/python3 bench/pytorch_reference.py --shape base --mode infer --batch 16 --seq 128 --threads 2
  /usr/bin/python3 bench/pytorch_reference.py --shape small --mode knbc-epoch   (or knbc-infer; the real KNBC ids)
Prints one JSON object per case on its own line, with the keys the C# benchmark prints
(shape, mode, dtype, batch, seq, threads, seq_per_s (median), peak_rss_mb, and per-phase times for train).
The model is a plain-PyTorch BERT (post-LN, exact-erf GELU, Hugging Face parameter layout), random weights.
"""
import argparse
import json
import math
import os
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

SHAPES = {
    "tiny": dict(vocab=15, hidden=4, layers=2, heads=4, inter=4 * 4, positions=512),
    "small": dict(vocab=32000, hidden=256, layers=4, heads=4, inter=1024, positions=512),
    "minilm": dict(vocab=30522, hidden=384, layers=6, heads=12, inter=1536, positions=512),
    "base": dict(vocab=32000, hidden=768, layers=12, heads=12, inter=3072, positions=512),
}


class Layer(nn.Module):
    def __init__(self, h, heads, inter, eps=1e-12):
        super().__init__()
        self.heads = heads
        self.query, self.key, self.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)
        self.attn_out, self.attn_ln = nn.Linear(h, h), nn.LayerNorm(h, eps=eps)
        self.inter, self.out, self.out_ln = nn.Linear(h, inter), nn.Linear(inter, h), nn.LayerNorm(h, eps=eps)
        self.drop = nn.Dropout(0.1)

    def forward(self, x, mask):
        b, t, h = x.shape
        hs = h // self.heads
        q = self.query(x).view(b, t, self.heads, hs).transpose(1, 2)  # (B, nh, T, hs)
        k = self.key(x).view(b, t, self.heads, hs).transpose(1, 2)
        v = self.value(x).view(b, t, self.heads, hs).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hs) + mask  # (B, nh, T, T)
        att = self.drop(att.softmax(-1))
        y = (att @ v).transpose(1, 2).reshape(b, t, h)
        x = self.attn_ln(x + self.drop(self.attn_out(y)))
        return self.out_ln(x + self.drop(self.out(F.gelu(self.inter(x)))))


class Bert(nn.Module):
    def __init__(self, s, num_labels=4):
        super().__init__()
        h = s["hidden"]
        self.word, self.pos, self.types = nn.Embedding(s["vocab"], h), nn.Embedding(s["positions"], h), nn.Embedding(2, h)
        self.ln, self.drop = nn.LayerNorm(h, eps=1e-12), nn.Dropout(0.1)
        self.layers = nn.ModuleList([Layer(h, s["heads"], s["inter"]) for _ in range(s["layers"])])
        self.pooler, self.classifier = nn.Linear(h, h), nn.Linear(h, num_labels)

    def forward(self, ids, types, mask):
        t = ids.shape[1]
        pos = torch.arange(t).unsqueeze(0)
        x = self.drop(self.ln(self.word(ids) + self.pos(pos) + self.types(types)))
        add = (1.0 - mask[:, None, None, :].to(x.dtype)) * torch.finfo(x.dtype).min
        for layer in self.layers:
            x = layer(x, add)
        pooled = torch.tanh(self.pooler(x[:, 0]))
        return x, self.classifier(pooled)


CLS, SEP, PAD = 4, 5, 3  # wiki-ja's ids


def read_knbc(path):
    """[CLS] ids [SEP] of every KNBC sentence (spm_encode ids of wiki-ja), as bench/Bert.Benchmarks/KnbcBench.cs reads them."""
    out = []
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line:
            out.append([CLS] + [int(x) for x in line.split("\t")[-1].split()][:510] + [SEP])
    return out


def knbc_batches(sentences, batch, train):
    """The same batches as KnbcBench.cs: position (i * 7919) % n, windows of 50 batches sorted by (length, index);
    inference: all sentences longest first (ties by index)."""
    n = len(sentences)
    if train:
        order = [(i * 7919) % n for i in range(n)]
        assert len(set(order)) == n
        batches = []
        for w in range(0, n, batch * 50):
            window = sorted(order[w:w + batch * 50], key=lambda i: (len(sentences[i]), i))
            batches += [window[s:s + batch] for s in range(0, len(window), batch)]
        return batches
    order = sorted(range(n), key=lambda i: (-len(sentences[i]), i))
    return [order[s:s + batch] for s in range(0, n, batch)]


def knbc_inputs(sentences, rows, multiple):
    t = min(512, (max(len(sentences[i]) for i in rows) + multiple - 1) // multiple * multiple)
    ids = torch.full((len(rows), t), PAD, dtype=torch.long)
    mask = torch.zeros((len(rows), t), dtype=torch.long)
    for r, i in enumerate(rows):
        ids[r, :len(sentences[i])] = torch.tensor(sentences[i])
        mask[r, :len(sentences[i])] = 1
    return ids, torch.zeros_like(ids), mask


def run_knbc(a, model):
    import os
    path = a.knbc_ids or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "models", "wiki-ja", "knbc-spm_encode-ids.tsv")
    sentences = read_knbc(path)
    train = a.mode == "knbc-epoch"
    batches = knbc_batches(sentences, a.batch, train)
    prepared = [(rows,) + knbc_inputs(sentences, rows, a.pad_multiple) for rows in batches]
    if train:
        model.train()
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, eps=1e-7, weight_decay=0.0)

        def step(rows, ids, types, mask):
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.dtype == "bf16"):
                _, logits = model(ids, types, mask)
                loss = F.cross_entropy(logits.float(), torch.tensor([i % 4 for i in rows]))
            loss.item()
            loss.backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
        for p in prepared[:a.warmup * 5]:
            step(*p)
        t0 = time.perf_counter()
        for p in prepared:
            step(*p)
        seconds = time.perf_counter() - t0
    else:
        model.eval()
        if a.dtype == "bf16":
            model = model.to(torch.bfloat16)
        times = []
        with torch.inference_mode():
            for p in prepared[:a.warmup * 5]:
                model(*p[1:])
            for _ in range(a.iterations):
                t0 = time.perf_counter()
                for p in prepared:
                    model(*p[1:])[1].sum().item()
                times.append(time.perf_counter() - t0)
        seconds = statistics.median(times)
    print(json.dumps(dict(impl="pytorch", torch=torch.__version__, shape=a.shape, mode=a.mode, dtype=a.dtype, batch=a.batch,
                          seq=-1, threads=a.threads, sentences=len(sentences), seconds_median=seconds,
                          seq_per_s=len(sentences) / seconds, peak_rss_mb=round(peak_rss_mb(), 1),
                          omp_wait_policy=os.environ.get("OMP_WAIT_POLICY", "unset"))))


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shape", default="small", choices=SHAPES)
    ap.add_argument("--mode", default="infer", choices=["infer", "train", "knbc-epoch", "knbc-infer"])
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dtype", default="fp32", choices=["fp32", "bf16"])
    ap.add_argument("--iterations", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--knbc-ids", default=None, help="knbc-spm_encode-ids.tsv (default: ../shared/models/wiki-ja/)")
    ap.add_argument("--pad-multiple", type=int, default=8)
    ap.add_argument("--kernel", default=None, help="ignored (Bert.NET's option, accepted so both take the same arguments)")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    s = SHAPES[a.shape]
    model = Bert(s)
    if a.mode.startswith("knbc"):
        return run_knbc(a, model)
    ids = torch.randint(0, s["vocab"], (a.batch, a.seq))
    types = torch.zeros_like(ids)
    mask = torch.ones_like(ids)
    labels = torch.randint(0, 4, (a.batch,))
    times, fwd, bwd, opt = [], [], [], []
    if a.mode == "infer":
        model.eval()
        if a.dtype == "bf16":
            model = model.to(torch.bfloat16)
        with torch.inference_mode():
            for i in range(a.warmup + a.iterations):
                t0 = time.perf_counter()
                model(ids, types, mask)
                if i >= a.warmup:
                    times.append(time.perf_counter() - t0)
    else:
        model.train()
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, eps=1e-7, weight_decay=0.0)
        for i in range(a.warmup + a.iterations):
            t0 = time.perf_counter()
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=a.dtype == "bf16"):
                _, logits = model(ids, types, mask)
                loss = F.cross_entropy(logits.float(), labels)
            t1 = time.perf_counter()
            loss.backward()
            t2 = time.perf_counter()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            t3 = time.perf_counter()
            if i >= a.warmup:
                times.append(t3 - t0); fwd.append(t1 - t0); bwd.append(t2 - t1); opt.append(t3 - t2)
    med = statistics.median(times)
    out = dict(impl="pytorch", torch=torch.__version__, shape=a.shape, mode=a.mode, dtype=a.dtype, batch=a.batch,
               seq=a.seq, threads=a.threads, iterations=a.iterations, seconds_median=med,
               seq_per_s=a.batch / med, peak_rss_mb=round(peak_rss_mb(), 1),
               omp_wait_policy=os.environ.get("OMP_WAIT_POLICY", "unset"))
    if a.mode == "train":
        out.update(forward_s=statistics.median(fwd), backward_s=statistics.median(bwd), optimizer_s=statistics.median(opt))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
