#!/usr/bin/python3
# Independent reference for TensorFlowCheckpointReaderTests: parses a TensorFlow tensor bundle
# (LevelDB-format .index + .data-NNNNN-of-NNNNN) with Python's struct module and numpy only (no TensorFlow),
# and writes every tensor's name, dtype, shape, masked CRC32C and a few values to a small JSON golden.
#
# Regenerate (from the repository root, with the shared fixtures beside it; in a worktree use /work/shared/...):
#   /usr/bin/python3 tests/Bert.Core.Tests/TestData/tf/dump_tf_golden.py \
#       ../shared/fixtures/keras-bert-tiny/bert_model.ckpt \
#       tests/Bert.Core.Tests/TestData/tf/keras-bert-tiny-golden.json
import json
import struct
import sys

import numpy as np

DTYPES = {1: ("float32", "<f4"), 3: ("int32", "<i4"), 9: ("int64", "<i8"), 14: ("bfloat16", "<u2"), 19: ("float16", "<f2")}


def crc32c(data):
    # Bitwise CRC-32C (Castagnoli, reflected polynomial 0x82F63B78); slow but obviously right.
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def mask(crc):
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def varint(buf, pos):
    result, shift = 0, 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos
        shift += 7


def read_block(buf, offset, size):
    contents = buf[offset:offset + size]
    kind = buf[offset + size]
    stored = struct.unpack_from("<I", buf, offset + size + 1)[0]
    assert kind == 0, "compressed block"
    assert stored == mask(crc32c(contents + bytes([kind]))), "block crc"
    num_restarts = struct.unpack_from("<I", contents, len(contents) - 4)[0]
    limit = len(contents) - 4 - 4 * num_restarts
    pos, key, out = 0, b"", []
    while pos < limit:
        shared, pos = varint(contents, pos)
        unshared, pos = varint(contents, pos)
        vlen, pos = varint(contents, pos)
        key = key[:shared] + contents[pos:pos + unshared]
        pos += unshared
        out.append((key, contents[pos:pos + vlen]))
        pos += vlen
    return out


def fields(msg):
    pos, out = 0, []
    while pos < len(msg):
        tag, pos = varint(msg, pos)
        num, wire = tag >> 3, tag & 7
        if wire == 0:
            v, pos = varint(msg, pos)
        elif wire == 2:
            n, pos = varint(msg, pos)
            v = msg[pos:pos + n]
            pos += n
        elif wire == 5:
            v = struct.unpack_from("<I", msg, pos)[0]
            pos += 4
        elif wire == 1:
            v = struct.unpack_from("<Q", msg, pos)[0]
            pos += 8
        else:
            raise ValueError("wire type %d" % wire)
        out.append((num, v))
    return out


def main(prefix, out_path):
    index = open(prefix + ".index", "rb").read()
    footer = index[-48:]
    assert struct.unpack_from("<Q", footer, 40)[0] == 0xDB4775248B80FB57
    _, p = varint(footer, 0)
    _, p = varint(footer, p)
    idx_off, p = varint(footer, p)
    idx_size, p = varint(footer, p)
    entries = []
    for _, handle in read_block(index, idx_off, idx_size):
        off, q = varint(handle, 0)
        size, q = varint(handle, q)
        entries.extend(read_block(index, off, size))
    header = dict(fields(entries[0][1]))
    assert entries[0][0] == b""
    num_shards = header.get(1, 0)
    tensors = []
    for key, value in entries[1:]:
        f = fields(value)
        d = dict(f)
        shape = [dict(fields(dim)).get(1, 0) for num, dim in fields(d.get(2, b"")) if num == 2]
        name, np_type = DTYPES[d[1]]
        shard, offset, size = d.get(3, 0), d.get(4, 0), d.get(5, 0)
        data_path = "%s.data-%05d-of-%05d" % (prefix, shard, num_shards)
        with open(data_path, "rb") as fh:
            fh.seek(offset)
            raw = fh.read(size)
        assert mask(crc32c(raw)) == d[6], key
        values = np.frombuffer(raw, dtype=np_type).reshape(shape)
        flat = values.reshape(-1)
        tensors.append({
            "name": key.decode("utf-8"),
            "dtype": name,
            "shape": shape,
            "shard": shard,
            "offset": offset,
            "size": size,
            "crc32c": d[6],
            "first": [float(x) for x in flat[:6]],
            "sum": float(np.sum(flat.astype(np.float64))),
            # All values for the few tensors a test compares element by element.
            "values": [float(x) for x in flat] if key in FULL else None,
        })
    with open(out_path, "w") as fh:
        json.dump({"num_shards": num_shards, "tensors": tensors}, fh, indent=1)
        fh.write("\n")


FULL = {b"bert/embeddings/word_embeddings", b"bert/encoder/layer_1/attention/self/query/kernel",
        b"bert/pooler/dense/bias", b"cls/seq_relationship/output_weights", b"global_step"}

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
