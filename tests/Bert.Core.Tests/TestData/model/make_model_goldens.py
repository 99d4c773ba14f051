# Regenerate (from the repository root):
#   /usr/bin/python3 tests/Bert.Core.Tests/TestData/model/make_model_goldens.py
#
# Writes, next to this script, an independent reference for Bert.Core.Modeling.BertModel:
#   tiny-<variant>/config.json + model.safetensors   random tiny BERTs (Hugging Face names), bytes written by hand
#                                                     (struct + json, no safetensors package), float32
#   tiny-<variant>/expected_outputs.json             inputs (with padding) and sequence/pooled outputs of EVERY
#                                                     position, computed here in float64 with plain torch ops
#                                                     (embedding lookup, matmul, softmax, LayerNorm written out)
#   tiny-gelu_new-bin/config.json + pytorch_model.bin the gelu_new weights saved by torch.save (zip pickle), with the
#                                                     "bert." prefix and an old-style embeddings.position_ids buffer
#   dtypes.safetensors + dtypes.json                  F32, F16, BF16, I64, I32 tensors and their exact values
#
# Check that Python reads what Bert.NET writes (BertCheckpointLoader.SaveHuggingFace of the tiny-gelu model):
#   /usr/bin/python3 tests/Bert.Core.Tests/TestData/model/make_model_goldens.py --verify FOLDER
# parses FOLDER/model.safetensors with the reader below (no safetensors package), runs the float64 reference on
# tiny-gelu's inputs and prints the largest difference from tiny-gelu/expected_outputs.json.
# Variants: gelu (exact erf), gelu_new (tanh approximation, eps 1e-12), relu (layer_norm_eps 1e-5, names with the
# "bert." prefix of BertForPreTraining, plus a cls.* head that a BertModel must skip).
import json
import math
import os
import struct

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))

DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64", torch.int32: "I32"}


def tensor_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    return t.numpy().astype(t.numpy().dtype.newbyteorder("<")).tobytes()


def write_safetensors(path, tensors, metadata=None):
    header, blobs, offset = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        b = tensor_bytes(t)
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def layer_norm(x, w, b, eps):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * w + b


def activation(name, x):
    if name == "gelu":
        return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))
    if name == "gelu_new":
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))
    if name == "relu":
        return torch.clamp(x, min=0.0)
    raise ValueError(name)


def reference_forward(w, cfg, ids, types, mask):
    """Hugging Face BertModel's arithmetic in float64, written out op by op."""
    w = {k: v.double() for k, v in w.items()}
    eps, nh = cfg["layer_norm_eps"], cfg["num_attention_heads"]
    B, T = ids.shape
    H = cfg["hidden_size"]
    hs = H // nh
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:T][None] \
        + w["embeddings.token_type_embeddings.weight"][types]
    x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps)
    additive = (1.0 - mask[:, None, None, :].double()) * -1e9  # (B, 1, 1, T)
    for i in range(cfg["num_hidden_layers"]):
        p = "encoder.layer.%d." % i

        def lin(name, v):
            return v @ w[p + name + ".weight"].T + w[p + name + ".bias"]

        def heads(v):
            return v.view(B, T, nh, hs).transpose(1, 2)

        q, k, v = heads(lin("attention.self.query", x)), heads(lin("attention.self.key", x)), heads(lin("attention.self.value", x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(hs) + additive
        ctx = (torch.softmax(scores, -1) @ v).transpose(1, 2).reshape(B, T, H)
        a = layer_norm(lin("attention.output.dense", ctx) + x, w[p + "attention.output.LayerNorm.weight"],
                       w[p + "attention.output.LayerNorm.bias"], eps)
        inter = activation(cfg["hidden_act"], lin("intermediate.dense", a))
        x = layer_norm(lin("output.dense", inter) + a, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], eps)
    pooled = torch.tanh(x[:, 0] @ w["pooler.dense.weight"].T + w["pooler.dense.bias"])
    return x, pooled


def random_weights(cfg, g):
    H, I = cfg["hidden_size"], cfg["intermediate_size"]
    w = {}

    def n(*shape, std=0.3):
        return torch.randn(*shape, generator=g) * std

    w["embeddings.word_embeddings.weight"] = n(cfg["vocab_size"], H, std=1.0)
    w["embeddings.position_embeddings.weight"] = n(cfg["max_position_embeddings"], H, std=1.0)
    w["embeddings.token_type_embeddings.weight"] = n(cfg["type_vocab_size"], H, std=1.0)
    w["embeddings.LayerNorm.weight"] = 1.0 + n(H, std=0.1)
    w["embeddings.LayerNorm.bias"] = n(H, std=0.1)
    for i in range(cfg["num_hidden_layers"]):
        p = "encoder.layer.%d." % i
        for name in ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"]:
            w[p + name + ".weight"] = n(H, H, std=0.5)
            w[p + name + ".bias"] = n(H, std=0.1)
        w[p + "attention.output.LayerNorm.weight"] = 1.0 + n(H, std=0.1)
        w[p + "attention.output.LayerNorm.bias"] = n(H, std=0.1)
        w[p + "intermediate.dense.weight"] = n(I, H, std=0.5)
        w[p + "intermediate.dense.bias"] = n(I, std=0.1)
        w[p + "output.dense.weight"] = n(H, I, std=0.3)
        w[p + "output.dense.bias"] = n(H, std=0.1)
        w[p + "output.LayerNorm.weight"] = 1.0 + n(H, std=0.1)
        w[p + "output.LayerNorm.bias"] = n(H, std=0.1)
    w["pooler.dense.weight"] = n(H, H, std=0.5)
    w["pooler.dense.bias"] = n(H, std=0.1)
    return w


def make_variant(name, hidden_act, eps, prefix, seed):
    cfg = {
        "vocab_size": 23, "hidden_size": 8, "num_hidden_layers": 2, "num_attention_heads": 2,
        "intermediate_size": 12, "hidden_act": hidden_act, "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1, "max_position_embeddings": 10, "type_vocab_size": 3,
        "initializer_range": 0.02, "layer_norm_eps": eps, "model_type": "bert",
    }
    g = torch.Generator().manual_seed(seed)
    w = random_weights(cfg, g)
    ids = torch.tensor([[2, 7, 0, 19, 22, 5, 3, 1, 1], [2, 11, 12, 3, 0, 0, 0, 0, 0], [2, 0, 0, 0, 9, 3, 14, 15, 3]])
    types = torch.tensor([[0, 0, 0, 0, 0, 0, 0, 0, 0], [0, 1, 1, 2, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 1, 1, 1]])
    mask = torch.tensor([[1, 1, 1, 1, 1, 1, 1, 0, 0], [1, 1, 1, 1, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1, 1, 1, 1]])
    seq, pooled = reference_forward(w, cfg, ids, types, mask)
    folder = os.path.join(HERE, "tiny-" + name)
    os.makedirs(folder, exist_ok=True)
    stored = {prefix + k: v for k, v in w.items()}
    if prefix:
        stored["cls.seq_relationship.weight"] = torch.randn(2, cfg["hidden_size"], generator=g)
        stored["cls.seq_relationship.bias"] = torch.zeros(2)
    write_safetensors(os.path.join(folder, "model.safetensors"), stored, {"format": "pt"})
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
    if name == "gelu_new":
        bin_folder = folder + "-bin"
        os.makedirs(bin_folder, exist_ok=True)
        state = {"bert." + k: v.clone() for k, v in w.items()}
        state["bert.embeddings.position_ids"] = torch.arange(cfg["max_position_embeddings"]).unsqueeze(0)
        torch.save(state, os.path.join(bin_folder, "pytorch_model.bin"))
        with open(os.path.join(bin_folder, "config.json"), "w") as f:
            json.dump(cfg, f, indent=2)
    with open(os.path.join(folder, "expected_outputs.json"), "w") as f:
        json.dump({
            "about": "float64 reference forward (plain torch ops) of model.safetensors; every position, padding included",
            "input_ids": ids.tolist(), "token_type_ids": types.tolist(), "attention_mask": mask.tolist(),
            "sequence_output": [[[round(float(v), 9) for v in tok] for tok in row] for row in seq],
            "pooled_output": [[round(float(v), 9) for v in row] for row in pooled],
        }, f)


def make_dtypes():
    values = [0.0, 1.0, -2.5, 3.140625, 65504.0, -0.0001220703125, 1e-3, 7.0]
    tensors = {
        "f32": torch.tensor(values, dtype=torch.float32).view(2, 4),
        "f16": torch.tensor(values, dtype=torch.float16).view(4, 2),
        "bf16": torch.tensor(values, dtype=torch.bfloat16).view(8),
        "i64": torch.tensor([0, -1, 2 ** 40, -(2 ** 62), 7, 9], dtype=torch.int64).view(3, 2),
        "i32": torch.tensor([[1, -2, 2 ** 31 - 1], [-(2 ** 31), 5, 6]], dtype=torch.int32),
        "scalar": torch.tensor(0.25, dtype=torch.float32),
        "empty": torch.zeros(0, 3, dtype=torch.float32),
    }
    write_safetensors(os.path.join(HERE, "dtypes.safetensors"), tensors, {"format": "pt", "written_by": "make_model_goldens.py"})
    with open(os.path.join(HERE, "dtypes.json"), "w") as f:
        json.dump({k: {"shape": list(t.shape), "values": [float(v) if t.is_floating_point() else int(v) for v in t.float().flatten().tolist()]
                       if t.is_floating_point() else [int(v) for v in t.flatten().tolist()]} for k, t in tensors.items()}, f, indent=1)


NP_DTYPES = {"F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "F64": "<f8"}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        arr = np.frombuffer(data[8 + n + b:8 + n + end], dtype=NP_DTYPES[e["dtype"]]).reshape(e["shape"])
        out[name] = torch.from_numpy(arr.astype(np.float32))
    return out, header.get("__metadata__", {})


def verify(folder):
    weights, meta = read_safetensors(os.path.join(folder, "model.safetensors"))
    with open(os.path.join(folder, "config.json")) as f:
        cfg = json.load(f)
    with open(os.path.join(HERE, "tiny-gelu", "expected_outputs.json")) as f:
        expected = json.load(f)
    seq, pooled = reference_forward(weights, cfg, torch.tensor(expected["input_ids"]),
                                    torch.tensor(expected["token_type_ids"]), torch.tensor(expected["attention_mask"]))
    ds = (seq - torch.tensor(expected["sequence_output"], dtype=torch.float64)).abs().max().item()
    dp = (pooled - torch.tensor(expected["pooled_output"], dtype=torch.float64)).abs().max().item()
    print("metadata", meta, "model_type", cfg.get("model_type"), "tensors", len(weights))
    print("max |diff| sequence %.3g pooled %.3g" % (ds, dp))


if __name__ == "__main__":
    import sys
    if len(sys.argv) == 3 and sys.argv[1] == "--verify":
        verify(sys.argv[2])
        sys.exit(0)
    make_variant("gelu", "gelu", 1e-12, "", 1)
    make_variant("gelu_new", "gelu_new", 1e-12, "", 2)
    make_variant("relu", "relu", 1e-5, "bert.", 3)
    make_dtypes()
