#!/usr/bin/env python3
# Hostile-input campaign (issue 20) against the BUILT bert CLI, on seeds not used by the seeded fuzz tests.
# Command line (build once, copy the CLI so later builds do not change it mid-campaign, then run chunks of at most
# ~3 minutes under the shared lock, releasing it between chunks; a chunk resumes where the previous one stopped):
#   dotnet build samples/Bert.Cli -c Release && cp -r samples/Bert.Cli/bin/Release/net10.0/linux-x64/. /tmp/hostile2-cli/
#   flock /tmp/bert-dotnet.lock python3 tests/Bert.Core.Tests/Reliability/tools/hostile_campaign.py \
#       --cli /tmp/hostile2-cli/bert.dll --repo . --shared ../shared --work /tmp/hostile2 --budget 150
#   (repeat until it prints "done"), then: python3 .../hostile_campaign.py --work /tmp/hostile2 --summary
# Each case makes hostile files from the repository's fixtures (a safetensors model, pytorch_model.bin, the keras-bert
# TF bundle, configs, SentencePiece models, vocab.txt, a Hugging Face classifier folder, an ONNX serving folder, CSV /
# TSV / JSON-lines data, extract input) or hostile file-system situations (SIGKILL during save, two runs on one
# --output, a device node or a symlink as output), runs the CLI under /usr/bin/time -v with a 60 s limit, and records
# one JSON line in WORK/results.jsonl. A finding is: a stack trace, a run over 60 s or 500 MB RSS, an exit 0 with NaN
# or on a file that must be refused, a failure that is not one 'error:' line, a device node replaced, a save that does
# not load after a kill, a lost or mixed run, a raw .NET message ("Could not find a part of the path"); and, read
# from the cases, a tokenizer_class that names no BERT tokenizer, a label misspelt by a space, a one-example label
# without a warning. Side files of a folder (serving.json, tokenizer_config.json, TF 'checkpoint', MeCab dicrc) and
# standard input are also given as /dev/zero.
import argparse, json, os, random, re, shutil, signal, stat, struct, subprocess, sys, time

SEED = 20_2611  # not a seed of the fuzz tests (those use 1-14)
TEXT = "京都の紅葉を見に行きました。\n今日はラーメンを食べた\n\n吾輩は猫である\n"
SENTENCES = ["京都の紅葉を見に行きました。", "清水寺はとても混んでいた。", "嵐山の竹林を散歩した。", "金閣寺の写真を撮った。",
             "ラーメンを食べに行った。", "このお店の餃子は美味しい。", "寿司屋でマグロを頼んだ。", "カレーが辛すぎた。"]


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("--cli"); p.add_argument("--repo", default="."); p.add_argument("--shared", default="../shared")
    p.add_argument("--work", required=True); p.add_argument("--budget", type=float, default=170)
    p.add_argument("--summary", action="store_true")
    return p.parse_args()


# ---------- running the CLI ----------
def run(a, argv, stdin=None, timeout=60, raw=False):
    cmd = ["/usr/bin/time", "-v"] + (argv if raw else ["dotnet", a.cli] + argv)
    env = dict(os.environ, OMP_WAIT_POLICY="PASSIVE", DOTNET_CLI_TELEMETRY_OPTOUT="1")
    t0 = time.time()
    try:
        p = subprocess.run(cmd, input=stdin, capture_output=True, timeout=timeout, cwd=a.work, env=env)
        rc, out, err = p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        rc, out, err = "timeout", (e.stdout or b"").decode("utf-8", "replace"), (e.stderr or b"").decode("utf-8", "replace")
    el = time.time() - t0
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    rss = int(m.group(1)) // 1024 if m else None
    err = err[:err.find("\tCommand being timed")] if "\tCommand being timed" in err else err
    err = re.sub(r"Command (exited with non-zero status|terminated by signal) \d+\n?", "", err)
    return {"argv": argv, "rc": rc, "elapsed": round(el, 2), "rss_mb": rss, "stdout": out[-600:], "stderr": err[-1500:]}


def judge(r, must_refuse=False, output_files=()):
    f = []
    if r["rc"] == "timeout" or r["elapsed"] > 60: f.append("over 60 s")
    if r["rss_mb"] and r["rss_mb"] > 500: f.append(f"RSS {r['rss_mb']} MB")
    if "   at " in r["stderr"] or "Unhandled exception" in r["stderr"]: f.append("stack trace")
    if r["rc"] == 0:
        texts = [r["stdout"]] + [open(p, errors="replace").read(2_000_000) for p in output_files if os.path.isfile(p)]
        if any(re.search(r"\bNaN\b|\bInfinity\b", t) for t in texts): f.append("exit 0 with NaN")
        if must_refuse: f.append("inconsistent file accepted")
    elif r["rc"] not in ("timeout",):
        lines = [l for l in r["stderr"].split("\n") if l.strip() and not l.startswith("warning: ")]
        if r["rc"] < 0: f.append(f"killed by signal {-r['rc']}")
        elif not (len(lines) == 1 and lines[0].startswith("error: ")): f.append("not one error line")
        elif "Could not find a part of the path" in lines[0]: f.append("raw .NET message")
    return f


# ---------- mutations ----------
def flip(b, rnd, n=None):
    b = bytearray(b)
    for _ in range(n or 1 + rnd.randrange(4)): b[rnd.randrange(len(b))] ^= 1 << rnd.randrange(8)
    return bytes(b)


def mutate_bytes(b, rnd, i):
    k = i % 3
    if k == 0: return "truncated", b[:rnd.randrange(len(b))]
    if k == 1: return "flipped", flip(b, rnd)
    at = rnd.randrange(len(b)); return "inserted", b[:at] + rnd.randbytes(1 + rnd.randrange(16)) + b[at:]


HOSTILE = [-7, 0, 2**31 - 1, 2**40, 1e300, 3, 0.5, "1", None, [1, 2], "gelu ", "GELU", "", True, 1e-320, 100000, "NaN", 8192]


def mutate_json(obj, rnd, fields=None):
    obj = json.loads(json.dumps(obj))
    keys = fields or list(obj.keys())
    for _ in range(1 + rnd.randrange(2)):
        k = rnd.choice(keys)
        v = rnd.choice(HOSTILE)
        if rnd.random() < 0.15: obj.pop(k, None)
        else: obj[k] = v
    return obj


def spm_piece_count(path):
    b = open(path, "rb").read(); i = n = 0
    def varint():
        nonlocal i
        v = s = 0
        while True:
            c = b[i]; i += 1; v |= (c & 0x7F) << s; s += 7
            if c < 0x80: return v
    while i < len(b):
        key = varint(); field, wt = key >> 3, key & 7
        if wt == 2: ln = varint(); i += ln
        elif wt == 0: varint()
        elif wt == 5: i += 4
        elif wt == 1: i += 8
        if field == 1: n += 1
    return n


# ---------- one-time setup: a tiny trained classifier and its ONNX folder ----------
def setup(a):
    w = a.work
    fx = os.path.join(w, "fx")
    if os.path.exists(os.path.join(fx, "ready")): return json.load(open(os.path.join(fx, "ready")))
    os.makedirs(fx, exist_ok=True)
    spm = os.path.join(a.repo, "tests/Bert.Tokenization.Tests/TestData/spm/unigram-ja.model")
    vocab = spm_piece_count(spm)
    cfg = {"vocab_size": vocab, "hidden_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 16,
           "hidden_act": "gelu", "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "max_position_embeddings": 64,
           "type_vocab_size": 2, "initializer_range": 0.02, "layer_norm_eps": 1e-12}
    json.dump(cfg, open(os.path.join(fx, "tiny-config.json"), "w"))
    for part, rows in (("train", 48), ("test", 16)):
        d = os.path.join(fx, part); os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "features.csv"), "w") as f:
            f.write(",feature\n" + "".join(f'{i},"{SENTENCES[i % 8]}{i}"\n' for i in range(rows)))
        with open(os.path.join(d, "labels.csv"), "w") as f:
            f.write(",label\n" + "".join(f"{i},{'観光' if i % 8 < 4 else 'グルメ'}\n" for i in range(rows)))
    with open(os.path.join(fx, "data.tsv"), "w") as f:
        f.write("text\tlabel\n" + "".join(f"{SENTENCES[i % 8]}\t{'観光' if i % 8 < 4 else 'グルメ'}\n" for i in range(16)))
    r = run(a, train_args(a, fx, os.path.join(fx, "out")), timeout=300)
    if r["rc"] != 0: sys.exit("setup: training the tiny classifier failed: " + r["stderr"])
    r = run(a, ["export-onnx", "--model", os.path.join(fx, "out", "model"), "--output", os.path.join(fx, "onnx")], timeout=300)
    if r["rc"] != 0: sys.exit("setup: export-onnx failed: " + r["stderr"])
    info = {"spm": spm, "train_seconds": 0}
    t0 = time.time(); run(a, train_args(a, fx, os.path.join(fx, "timing"))); info["train_seconds"] = time.time() - t0
    t0 = time.time(); run(a, ["export-onnx", "--model", os.path.join(fx, "out", "model"), "--output", os.path.join(fx, "timing", "onnx")])
    info["export_seconds"] = time.time() - t0
    shutil.rmtree(os.path.join(fx, "timing"), ignore_errors=True)
    emb = copy_folder(os.path.join(a.repo, "tests/Bert.Core.Tests/TestData/model/tiny-gelu"), os.path.join(fx, "embedder"))
    open(os.path.join(emb, "vocab.txt"), "w").write("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + [f"w{k}" for k in range(18)]) + "\n")
    json.dump(info, open(os.path.join(fx, "ready"), "w"))
    return info


def train_args(a, fx, out, data=None, seed=1):
    data = data or fx
    return ["train", "--train", os.path.join(data, "train"), "--test", os.path.join(data, "test"), "--spm",
            os.path.join(a.repo, "tests/Bert.Tokenization.Tests/TestData/spm/unigram-ja.model"), "--config", os.path.join(fx, "tiny-config.json"),
            "--epochs", "1", "--batch-size", "8", "--threads", "1", "--seed", str(seed), "--output", out]


# ---------- the cases ----------
def cases(a):
    R = lambda *p: os.path.join(a.repo, *p)
    tiny = R("tests/Bert.Core.Tests/TestData/model/tiny-gelu")
    binm = R("tests/Bert.Core.Tests/TestData/model/tiny-gelu_new-bin")
    tf = os.path.join(a.shared, "fixtures/keras-bert-tiny")
    hf = R("tests/Bert.Classification.Tests/TestData/hf-classifier/uncased")
    out = []
    add = lambda fmt, n: out.extend((fmt, i) for i in range(n))
    add("safetensors", 36); add("pytorch_model.bin", 24); add("tf-bundle", 24); add("config.json", 30)
    add("spm", 24); add("vocab.txt", 18); add("tokenizer_config.json", 15); add("hf-classifier", 18)
    add("onnx-folder", 24); add("data", 30); add("extract-input", 24)
    add("dev-zero", 13); add("kill-train", 12); add("kill-export", 6); add("concurrent-train", 2); add("device-output", 3); add("symlink-output", 3)
    return out, dict(tiny=tiny, binm=binm, tf=tf, hf=hf)


def copy_folder(src, dst):
    shutil.rmtree(dst, ignore_errors=True); shutil.copytree(src, dst, symlinks=False); return dst


def do_case(a, fmt, i, P, info):
    rnd = random.Random(f"{SEED}-{fmt}-{i}")
    d = os.path.join(a.work, "case"); shutil.rmtree(d, ignore_errors=True); os.makedirs(d)
    fx = os.path.join(a.work, "fx")
    inp = os.path.join(d, "in.json"); outj = os.path.join(d, "out.json")
    open(inp, "w").write('{"input_ids": [[2, 5, 7, 3]], "attention_mask": [[1, 1, 1, 1]]}')
    runs = []  # (result, must_refuse, output files)

    def go(argv, stdin=None, must=False, files=(), timeout=60):
        r = run(a, argv, stdin, timeout); runs.append((r, must, files)); return r

    if fmt == "safetensors":
        src = open(os.path.join(P["tiny"], "model.safetensors"), "rb").read()
        if i % 4 == 3:  # structural: the header length off by 1-3 with spare padding (the JSON still parses)
            n = struct.unpack("<Q", src[:8])[0]; hdr = src[8:8 + n].rstrip(b" ") + b" " * 16
            kind = "header-length-off"; b = struct.pack("<Q", len(hdr) - 1 - rnd.randrange(3)) + hdr + src[8 + n:]
            must = True
        else:
            kind, b = mutate_bytes(src, rnd, i); must = False
        f = copy_folder(P["tiny"], os.path.join(d, "m")); open(os.path.join(f, "model.safetensors"), "wb").write(b)
        cmd = [["inspect", "--checkpoint", os.path.join(f, "model.safetensors")],
               ["extract", "--checkpoint", f, "--input", inp, "--output", outj]][i % 2]
        go(cmd, must=must, files=[outj])
    elif fmt == "pytorch_model.bin":
        src = open(os.path.join(P["binm"], "pytorch_model.bin"), "rb").read()
        kind, b = mutate_bytes(src, rnd, i)
        f = copy_folder(P["binm"], os.path.join(d, "m")); open(os.path.join(f, "pytorch_model.bin"), "wb").write(b)
        go(["extract", "--checkpoint", f, "--input", inp, "--output", outj], files=[outj])
    elif fmt == "tf-bundle":
        f = copy_folder(P["tf"], os.path.join(d, "tf"))
        which = "bert_model.ckpt.index" if i % 2 == 0 else "bert_model.ckpt.data-00000-of-00001"
        kind, b = mutate_bytes(open(os.path.join(f, which), "rb").read(), rnd, i // 2)
        kind = which.split(".")[-1][:5] + "-" + kind
        open(os.path.join(f, which), "wb").write(b)
        # The index stores a CRC32C of every tensor: a changed data file must be refused, not load other weights.
        # Most of its bytes are adam_m/adam_v that extract never reads, so a changed data file goes through inspect,
        # which checks every tensor's CRC32C.
        must = which.startswith("bert_model.ckpt.data") and kind.endswith("flipped")
        go(["inspect", "--checkpoint", os.path.join(f, "bert_model.ckpt")] if which.startswith("bert_model.ckpt.data") else
           ["extract", "--config", os.path.join(f, "bert_config.json"), "--checkpoint", os.path.join(f, "bert_model.ckpt"),
            "--input", inp, "--output", outj], must=must, files=[outj])
    elif fmt == "config.json":
        base = json.load(open(os.path.join(P["tiny"], "config.json")))
        kind = "hostile-values"
        cfg = mutate_json(base, rnd, [k for k in base if k != "model_type"])
        c = os.path.join(d, "config.json"); json.dump(cfg, open(c, "w"))
        go(["extract", "--config", c, "--checkpoint", os.path.join(P["tiny"], "model.safetensors"), "--input", inp, "--output", outj], files=[outj])
    elif fmt == "spm":
        src_model = [info["spm"], os.path.join(a.repo, "tests/Bert.Tokenization.Tests/TestData/spm/bpe-ja.model")][i % 2]
        kind, b = mutate_bytes(open(src_model, "rb").read(), rnd, i // 2)
        m = os.path.join(d, "x.model"); open(m, "wb").write(b)
        go(["tokenize", "--spm", m], stdin=TEXT.encode())
    elif fmt == "vocab.txt":
        v = open(os.path.join(P["hf"], "vocab.txt"), "rb").read()
        kind, b = mutate_bytes(v, rnd, i)
        m = os.path.join(d, "vocab.txt"); open(m, "wb").write(b)
        go(["tokenize", "--tokenizer", m], stdin=b"hello world unaffable\n")
    elif fmt == "tokenizer_config.json":
        f = copy_folder(P["hf"], os.path.join(d, "m"))
        tc = json.load(open(os.path.join(f, "tokenizer_config.json")))
        must = False
        if i % 3 == 2:
            kind, b = mutate_bytes(open(os.path.join(f, "tokenizer_config.json"), "rb").read(), rnd, i // 3)
            open(os.path.join(f, "tokenizer_config.json"), "wb").write(b)
        else:
            kind = "hostile-values"; m = mutate_json(tc, rnd)
            # A tokenizer_class that is not a string naming a BERT tokenizer must not load as BERT's WordPiece.
            must = m.get("tokenizer_class") not in (None, "BertTokenizer", "BertTokenizerFast")
            json.dump(m, open(os.path.join(f, "tokenizer_config.json"), "w"))
        go(["predict", "--model", f, "hello world"], must=must)
    elif fmt == "hf-classifier":
        f = copy_folder(P["hf"], os.path.join(d, "m"))
        cfg = json.load(open(os.path.join(f, "config.json")))
        k = i % 3
        if k == 0:
            kind = "id2label"; labels = cfg.get("id2label", {"0": "a", "1": "b"})
            choice = rnd.randrange(4)
            if choice == 0: cfg["id2label"] = {str(j): "x" for j in range(len(labels))}  # duplicate names
            elif choice == 1: cfg["id2label"] = {**labels, "0": ""}
            elif choice == 2: cfg["id2label"] = {str(j + 5): v for j, v in enumerate(labels.values())}
            else: cfg["id2label"] = {**labels, str(len(labels)): "extra"}
            must = True
            json.dump(cfg, open(os.path.join(f, "config.json"), "w"))
        elif k == 1:
            kind = "config-values"; must = False
            json.dump(mutate_json(cfg, rnd), open(os.path.join(f, "config.json"), "w"))
        else:
            kind, b = mutate_bytes(open(os.path.join(f, "pytorch_model.bin"), "rb").read(), rnd, i // 3); must = False
            open(os.path.join(f, "pytorch_model.bin"), "wb").write(b)
        go(["predict", "--model", f, "hello world"], must=must)
    elif fmt == "onnx-folder":
        f = copy_folder(os.path.join(fx, "onnx"), os.path.join(d, "onnx"))
        files = sorted(n for n in os.listdir(f) if os.path.getsize(os.path.join(f, n)) > 0)  # not the empty lock file
        target = files[i % len(files)]
        p = os.path.join(f, target)
        if target.endswith(".json") and i % 2 == 0:
            kind = target + ":values"
            try:
                obj = json.load(open(p)); json.dump(mutate_json(obj, rnd) if isinstance(obj, dict) else obj, open(p, "w"))
            except Exception:
                open(p, "wb").write(flip(open(p, "rb").read(), rnd))
        else:
            kind, b = mutate_bytes(open(p, "rb").read(), rnd, i // 2); kind = target + ":" + kind
            open(p, "wb").write(b)
        go(["predict", "--onnx", f, "京都の紅葉を見に行きました"])
    elif fmt == "data":
        k = i % 3
        if k == 0:  # a TSV for evaluate
            lines = open(os.path.join(fx, "data.tsv"), "rb").read()
            kind, b = mutate_bytes(lines, rnd, i // 3); kind = "tsv-" + kind
            p = os.path.join(d, "data.tsv"); open(p, "wb").write(b)
            go(["evaluate", "--model", os.path.join(fx, "out", "model"), "--data", p])
        elif k == 1:  # JSON lines for evaluate, with hostile rows
            rows = [{"text": s, "label": "観光" if j % 8 < 4 else "グルメ"} for j, s in enumerate(SENTENCES * 2)]
            j = rnd.randrange(len(rows)); what = rnd.randrange(5)
            kind = ["label-unknown", "label-space", "text-null", "text-number", "broken-line"][what]
            if what == 0: rows[j]["label"] = "未知"
            elif what == 1: rows[j]["label"] += " "
            elif what == 2: rows[j]["text"] = None
            elif what == 3: rows[j]["text"] = 12
            text = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows)
            if what == 4: text = text[:len(text) // 2 - 5]  # mid-row
            p = os.path.join(d, "data.jsonl"); open(p, "w").write(text)
            # '観光 ' is the classifier's '観光' misspelt, not a new class; a half row is not data.
            go(["evaluate", "--model", os.path.join(fx, "out", "model"), "--data", p], must=what in (1, 4))
        else:  # reference-layout CSV folders for train --epochs 1
            tr = copy_folder(os.path.join(fx, "train"), os.path.join(d, "data", "train")); copy_folder(os.path.join(fx, "test"), os.path.join(d, "data", "test"))
            name = ["features.csv", "labels.csv"][rnd.randrange(2)]
            kind, b = mutate_bytes(open(os.path.join(tr, name), "rb").read(), rnd, i // 3); kind = name + "-" + kind
            open(os.path.join(tr, name), "wb").write(b)
            r = go(train_args(a, fx, os.path.join(d, "out"), data=os.path.join(d, "data")), files=[os.path.join(d, "out", "report.txt")])
            # A mutated label that makes a class of one training example (absent from the test set) must be warned about.
            import csv
            try:
                labels = [row[1] for row in csv.reader(open(os.path.join(tr, "labels.csv"), encoding="utf-8")) if len(row) > 1][1:]
            except Exception:
                labels = []
            single = [l for l in set(labels) if labels.count(l) == 1 and l not in ("観光", "グルメ")]
            if r["rc"] == 0 and single and "warning:" not in r["stderr"]:
                return kind, runs, [f"label {single[0]!r} of one example accepted without a warning"]
    elif fmt == "extract-input":
        base = {"input_ids": [[2, 5, 7, 3], [2, 9, 3, 0]], "token_type_ids": [[0, 0, 0, 0], [0, 0, 0, 0]], "attention_mask": [[1, 1, 1, 1], [1, 1, 1, 0]]}
        if i % 2 == 0:
            kind, b = mutate_bytes(json.dumps(base).encode(), rnd, i // 2)
        else:
            kind = "hostile-values"; o = json.loads(json.dumps(base)); key = rnd.choice(list(o))
            o[key][rnd.randrange(2)][rnd.randrange(4)] = rnd.choice([-1, 23, 2**31, 1.5, None, "3", [1], 10**20])
            b = json.dumps(o).encode()
        open(inp, "wb").write(b)
        go(["extract", "--checkpoint", P["tiny"], "--input", inp, "--output", outj], files=[outj])
    elif fmt == "dev-zero":  # a file of a folder (or standard input) that never ends: refused at a limit, in bounded memory
        kind = ["tokenizer_config.json", "serving.json", "vocab.txt", "config.json", "predict-stdin", "tokenize-stdin",
                "stats-data", "embed-stdin", "onnx-tokenizer_config.json", "special_tokens_map.json",
                "embed-tokenizer_config.json", "tf-checkpoint-state", "mecab-dicrc"][i]
        zero = "/dev/zero"
        if kind in ("tokenizer_config.json", "vocab.txt", "config.json", "special_tokens_map.json"):
            f = copy_folder(P["hf"], os.path.join(d, "m")); os.remove(os.path.join(f, kind)); os.symlink(zero, os.path.join(f, kind))
            go(["predict", "--model", f, "hello"])
        elif kind in ("serving.json", "onnx-tokenizer_config.json"):
            f = copy_folder(os.path.join(fx, "onnx"), os.path.join(d, "onnx")); name = kind.replace("onnx-", "")
            os.remove(os.path.join(f, name)); os.symlink(zero, os.path.join(f, name))
            go(["predict", "--onnx", f, "京都"])
        elif kind == "embed-tokenizer_config.json":
            f = copy_folder(os.path.join(fx, "embedder"), os.path.join(d, "e")); os.symlink(zero, os.path.join(f, "tokenizer_config.json"))
            go(["embed", "--model", f], stdin=b"w1 w2\n")
        elif kind == "tf-checkpoint-state":
            f = copy_folder(P["tf"], os.path.join(d, "tf")); os.symlink(zero, os.path.join(f, "checkpoint"))
            go(["inspect", "--checkpoint", f])
        elif kind == "mecab-dicrc":
            src = "/var/lib/mecab/dic/ipadic-utf8"; f = os.path.join(d, "dic"); os.makedirs(f)
            for n in os.listdir(src): os.symlink(zero if n == "dicrc" else os.path.join(src, n), os.path.join(f, n))
            go(["segment", "--mecab-dicdir", f], stdin="京都に行った\n".encode())
        elif kind == "stats-data":
            go(["stats", "--spm", info["spm"], "--data", zero])
        else:
            cmd = {"predict-stdin": ["predict", "--model", os.path.join(fx, "out", "model")], "tokenize-stdin": ["tokenize", "--spm", info["spm"]],
                   "embed-stdin": ["embed", "--model", os.path.join(fx, "embedder")]}[kind]
            r = run(a, ["sh", "-c", 'exec "$0" "$@" < /dev/zero', "dotnet", a.cli] + cmd, raw=True); runs.append((r, False, ()))
    elif fmt in ("kill-train", "kill-export"):
        o = os.path.join(d, "out")
        kind = "sigkill"
        if fmt == "kill-train":
            first = run(a, train_args(a, fx, o, seed=1)); runs.append((first, False, ()))
            argv = train_args(a, fx, o, seed=2)
        else:
            argv = ["export-onnx", "--model", os.path.join(fx, "out", "model"), "--output", os.path.join(o, "onnx")]
            first = run(a, argv); runs.append((first, False, ()))
        delay = rnd.uniform(0.5, 1.2 * (info["train_seconds"] if fmt == "kill-train" else info["export_seconds"]))
        kind = f"sigkill after {delay:.1f} s"
        p = subprocess.Popen(["dotnet", a.cli] + argv, cwd=a.work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(delay); p.kill(); p.wait()
        # The folder must load (the previous save or the new one), and the next run must not be blocked.
        extra = []
        if fmt == "kill-train":
            go(["predict", "--model", os.path.join(o, "model"), "京都の紅葉"])
            if i % 2 == 1:  # other data of the same size must not resume the killed run's checkpoint
                other = os.path.join(d, "other"); copy_folder(os.path.join(fx, "train"), os.path.join(other, "train"))
                copy_folder(os.path.join(fx, "test"), os.path.join(other, "test"))
                feats = os.path.join(other, "train", "features.csv"); text = open(feats).read(); open(feats, "w").write(text.replace("京都", "大阪"))
                r = go(train_args(a, fx, o, data=other, seed=2), files=[os.path.join(o, "report.txt")])
                if "Resumed" in r["stdout"]: extra.append("resumed another data set's checkpoint")
            else:
                go(train_args(a, fx, o, seed=2), files=[os.path.join(o, "report.txt")])
        else:
            go(["predict", "--onnx", os.path.join(o, "onnx"), "京都の紅葉"])
            go(argv)
        stale = [n for root, dirs, names in os.walk(o) for n in dirs + names if ".tmp" in n]
        if stale: extra.append("stale temporaries: " + ", ".join(stale))
        return kind, runs, extra
    elif fmt == "concurrent-train":
        o = os.path.join(d, "out"); kind = "two trains, one --output"
        ps = [subprocess.Popen(["/usr/bin/time", "-v", "dotnet", a.cli] + train_args(a, fx, o, seed=s), cwd=a.work,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE) for s in (3, 4)]
        res = []
        for s, p in zip((3, 4), ps):
            so, se = p.communicate(timeout=120); se = se.decode("utf-8", "replace")
            se = se[:se.find("\tCommand being timed")] if "\tCommand being timed" in se else se
            se = re.sub(r"Command exited with non-zero status \d+\n?", "", se)
            res.append({"argv": ["train", "--seed", str(s)], "rc": p.returncode, "elapsed": 0, "rss_mb": None, "stdout": so.decode()[-600:], "stderr": se[-1500:]})
        for r in res: runs.append((r, False, ()))
        ok = [r for r in res if r["rc"] == 0]
        extra = []
        if not ok: extra.append("both concurrent runs failed")
        if len(ok) == 2: extra.append("both concurrent runs exited 0 (no lock?)")
        seed = re.search(r"--seed (\d)", " ".join(ok[-1]["argv"])) if ok else None
        rr = go(["predict", "--model", os.path.join(o, "model"), "京都の紅葉"])
        if ok and rr["rc"] != 0: extra.append("the run that exited 0 lost its model")
        return kind, runs, extra
    elif fmt == "device-output":
        dev = os.path.join(d, "null"); os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        kind = ["train", "export-onnx", "extract"][i]
        argv = {"train": train_args(a, fx, dev), "export-onnx": ["export-onnx", "--model", os.path.join(fx, "out", "model"), "--output", dev],
                "extract": ["extract", "--checkpoint", P["tiny"], "--input", inp, "--output", dev]}[kind]
        go(argv)
        st = os.lstat(dev)
        if not stat.S_ISCHR(st.st_mode): return kind, runs, ["device node replaced"]
    elif fmt == "symlink-output":
        real = os.path.join(d, "real"); os.makedirs(real); link = os.path.join(d, "link"); os.symlink(real, link)
        kind = ["train", "export-onnx", "train-dangling"][i]
        if kind == "train": go(train_args(a, fx, link)); go(["predict", "--model", os.path.join(real, "model"), "京都"])
        elif kind == "export-onnx":
            go(["export-onnx", "--model", os.path.join(fx, "out", "model"), "--output", link]); go(["predict", "--onnx", real, "京都"])
        else:
            os.rmdir(real); go(train_args(a, fx, link))
        if not os.path.islink(link): return kind, runs, ["symlink replaced by a folder"]
    return kind, runs, []


def summary(a):
    rows = [json.loads(l) for l in open(os.path.join(a.work, "results.jsonl"))]
    by = {}
    for r in rows:
        s = by.setdefault(r["format"], {"cases": 0, "runs": 0, "refused": 0, "accepted": 0, "findings": 0, "max_s": 0, "max_mb": 0})
        s["cases"] += 1; s["runs"] += len(r["runs"]); s["findings"] += bool(r["findings"])
        for x in r["runs"]:
            s["refused" if x["rc"] != 0 else "accepted"] += 1
            s["max_s"] = max(s["max_s"], x["elapsed"]); s["max_mb"] = max(s["max_mb"], x["rss_mb"] or 0)
    print(f"{'format':24} cases runs refused exit0 findings max_s max_MB")
    for k, s in by.items():
        print(f"{k:24} {s['cases']:5} {s['runs']:4} {s['refused']:7} {s['accepted']:5} {s['findings']:8} {s['max_s']:5.1f} {s['max_mb']:6}")
    print(f"total: {len(rows)} cases, {sum(len(r['runs']) for r in rows)} CLI runs, {sum(bool(r['findings']) for r in rows)} with findings")
    for r in rows:
        if r["findings"]:
            x = next((x for x in r["runs"] if x.get("findings")), r["runs"][-1] if r["runs"] else {})
            print(f"- {r['format']} #{r['case']} ({r['kind']}): {', '.join(r['findings'])} :: {' '.join(map(str, x.get('argv', [])))[:120]}")
            print("    " + (x.get("stderr", "").strip().split("\n")[0][:300]))


def main():
    a = parse()
    a.work = os.path.abspath(a.work); os.makedirs(a.work, exist_ok=True)
    if a.summary: return summary(a)
    a.cli, a.repo, a.shared = os.path.abspath(a.cli), os.path.abspath(a.repo), os.path.abspath(a.shared)
    start = time.time()
    info = setup(a)
    done_path = os.path.join(a.work, "results.jsonl")
    done = set()
    if os.path.exists(done_path):
        done = {(json.loads(l)["format"], json.loads(l)["case"]) for l in open(done_path)}
    all_cases, P = cases(a)
    for fmt, i in all_cases:
        if (fmt, i) in done: continue
        if time.time() - start > a.budget: print(f"budget used: {len(done)}/{len(all_cases)} cases; run again"); return
        kind, runs, extra = do_case(a, fmt, i, P, info)
        findings = list(extra)
        for r, must, files in runs:
            r["findings"] = judge(r, must, files); findings += r["findings"]
        with open(done_path, "a") as f:
            f.write(json.dumps({"format": fmt, "case": i, "kind": kind, "findings": sorted(set(findings)), "runs": [r for r, _, _ in runs]}, ensure_ascii=False) + "\n")
        done.add((fmt, i))
        if findings: print(f"FINDING {fmt} #{i} ({kind}): {sorted(set(findings))}", flush=True)
    print("done")


if __name__ == "__main__":
    main()
