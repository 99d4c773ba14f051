#!/usr/bin/python3
# Independent reference for BertForPreTrainingTests: the masked-LM and next-sentence logits of the keras-bert test
# checkpoint's pretraining heads (cls/predictions/*, cls/seq_relationship/*), computed with PyTorch 1.13 (Debian)
# from the fixture's own expected_outputs.json (sequence and pooled outputs of an independent BERT implementation)
# and the head weights read by the pure-Python tensor-bundle parser of ../tf/dump_tf_golden.py (CRC-checked).
#   MLM: logits = LayerNorm(gelu_erf(h @ kernel + bias)) @ word_embeddings.T + output_bias   (tied decoder)
#   NSP: logits = pooled @ output_weights.T + output_bias                                    (weights already (2, H))
#
# Regenerate (from the repository root, with the shared fixtures in ../shared):
#   /usr/bin/python3 tests/Bert.Core.Tests/TestData/pretraining/make_heads_golden.py \
#       ../shared/fixtures/keras-bert-tiny \
#       tests/Bert.Core.Tests/TestData/pretraining/keras-bert-tiny-heads-golden.json
import importlib.util
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("tfbundle", os.path.join(HERE, "..", "tf", "dump_tf_golden.py"))
tfb = importlib.util.module_from_spec(spec)
spec.loader.exec_module(tfb)


def read_bundle(prefix):
    index = open(prefix + ".index", "rb").read()
    footer = index[-48:]
    assert struct.unpack_from("<Q", footer, 40)[0] == 0xDB4775248B80FB57
    _, p = tfb.varint(footer, 0)
    _, p = tfb.varint(footer, p)
    idx_off, p = tfb.varint(footer, p)
    idx_size, p = tfb.varint(footer, p)
    entries = []
    for _, handle in tfb.read_block(index, idx_off, idx_size):
        off, q = tfb.varint(handle, 0)
        size, q = tfb.varint(handle, q)
        entries.extend(tfb.read_block(index, off, size))
    num_shards = dict(tfb.fields(entries[0][1])).get(1, 0)
    out = {}
    for key, value in entries[1:]:
        d = dict(tfb.fields(value))
        shape = [dict(tfb.fields(dim)).get(1, 0) for num, dim in tfb.fields(d.get(2, b"")) if num == 2]
        _, np_type = tfb.DTYPES[d[1]]
        with open("%s.data-%05d-of-%05d" % (prefix, d.get(3, 0), num_shards), "rb") as fh:
            fh.seek(d.get(4, 0))
            raw = fh.read(d.get(5, 0))
        assert tfb.mask(tfb.crc32c(raw)) == d[6], key
        out[key.decode()] = torch.from_numpy(np.frombuffer(raw, dtype=np_type).reshape(shape).copy())
    return out


def main(folder, out_path):
    w = read_bundle(os.path.join(folder, "bert_model.ckpt"))
    expected = json.load(open(os.path.join(folder, "expected_outputs.json")))
    emb = w["bert/embeddings/word_embeddings"]
    result = {"input_ids": expected["input_ids"], "token_type_ids": expected["token_type_ids"],
              "attention_mask": expected["attention_mask"], "mlm_logits": [], "nsp_logits": []}
    for b, mask in enumerate(expected["attention_mask"]):
        n = sum(mask)
        h = torch.tensor([expected["sequence_output"][b][t] for t in range(n)], dtype=torch.float32)
        x = F.gelu(h @ w["cls/predictions/transform/dense/kernel"] + w["cls/predictions/transform/dense/bias"])
        x = F.layer_norm(x, (x.shape[-1],), w["cls/predictions/transform/LayerNorm/gamma"],
                         w["cls/predictions/transform/LayerNorm/beta"], eps=1e-12)
        logits = x @ emb.t() + w["cls/predictions/output_bias"]
        pooled = torch.tensor(expected["pooled_output"][b], dtype=torch.float32)
        nsp = pooled @ w["cls/seq_relationship/output_weights"].t() + w["cls/seq_relationship/output_bias"]
        result["mlm_logits"].append([[float(v) for v in row] for row in logits])
        result["nsp_logits"].append([float(v) for v in nsp])
    with open(out_path, "w") as fh:
        json.dump(result, fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
