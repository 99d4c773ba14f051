# Regenerate (from the repository root; Debian's python3-torch, PyTorch 1.13):
#   /usr/bin/python3 tests/Bert.Core.Tests/TestData/torchbin/make_torchbin_goldens.py
#
# Writes, next to this script, torch.save files with every stride layout a real checkpoint has, and what PyTorch
# reads from them (for Bert.Core.Checkpoints.PyTorchCheckpointReader):
#   views.bin + views.expected.safetensors      float32 tensors saved as views: Hugging Face's TF->PyTorch conversion
#                                               (torch.from_numpy(np.transpose(kernel))), Fortran-order numpy arrays,
#                                               .t(), permute, slices with a storage offset and steps, a diagonal, an
#                                               expand (stride 0), several tensors sharing one storage, and a
#                                               Parameter (pickled through torch._utils._rebuild_parameter)
#   dtypes.bin + dtypes.expected.safetensors    float16/bfloat16/float64/int64/int32/int16/int8/uint8/bool tensors,
#                                               contiguous and transposed, special floats (nan, inf, -0, subnormals),
#                                               0-d and empty tensors (one an empty slice with an offset)
#   tiny-sharded/                               the tiny-gelu_new BERT of ../model (same weights, read from its
#                                               model.safetensors) as Hugging Face's TF conversion saves it: "bert."
#                                               names, Linear weights as transposed views of TF kernels, the
#                                               position_ids buffer as arange().expand(), sharded into two .bin files
#                                               with pytorch_model.bin.index.json
#   views-protocol4.bin                         views.bin's state saved with pickle protocol 4 (same expected values)
#   mixed.bin + mixed.expected.safetensors      a checkpoint with a tensor and entries that are not tensors (int, str,
#                                               float, a nested dict) which the reader reports and leaves out
#   crafted-tensor-with-state.bin (+ .expected.safetensors)
#                                               a tensor pickled as PyTorch 2 does when it has Python attributes
#                                               (torch._tensor._rebuild_from_type_v2), made by hand as below
#   legacy.bin                                  the pre-1.6 (non-zip) torch.save format, to be refused clearly
#   bad-short-storage.bin, bad-negative-stride.bin, bad-huge-expand.bin, bad-global-os-system.bin
#                                               hand-made torch.save zips (pickle + zipfile, the layout torch writes):
#                                               a tensor reaching past its storage, a negative stride, a 6-element
#                                               storage expanded (stride 0) to 2^25 elements (PyTorch makes a view; a
#                                               contiguous copy would be 128 MB, refused), and a pickle that calls
#                                               os.system (PyTorch's weights_only loader refuses it too)
# The *.expected.safetensors hold the values torch.load returns (made contiguous), written by the small writer below
# (struct + json, no safetensors package), so the tests compare bit for bit.
import collections
import io
import json
import os
import pickle
import struct
import zipfile

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
MODEL = os.path.join(HERE, "..", "model", "tiny-gelu_new")

ST_NAMES = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16",
            torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8", torch.uint8: "U8",
            torch.bool: "BOOL"}
ST_TYPES = {v: k for k, v in ST_NAMES.items()}


def raw_bytes(t):
    """The little-endian bytes of a tensor's values in row-major order."""
    t = t.detach().contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    a = t.numpy()
    return a.astype(a.dtype.newbyteorder("<")).tobytes()


def write_safetensors(path, tensors):
    header, offset, blobs = {"__metadata__": {"format": "pt"}}, 0, []
    for name, t in tensors.items():
        b = raw_bytes(t)
        header[name] = {"dtype": ST_NAMES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    out = collections.OrderedDict()
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        dtype = ST_TYPES[e["dtype"]]
        raw = bytearray(data[8 + n + b:8 + n + end])
        if dtype == torch.bfloat16:
            t = torch.frombuffer(raw, dtype=torch.int16).view(torch.bfloat16)
        else:
            t = torch.frombuffer(raw, dtype=dtype)
        out[name] = t.reshape(e["shape"]).clone()
    return out


def save_with_expected(name, state, must_be_views, protocol=2):
    """torch.saves state, reads it back with torch.load and writes what PyTorch read as the expected values."""
    path = os.path.join(HERE, name + ".bin")
    torch.save(state, path, pickle_protocol=protocol)
    loaded = torch.load(path)
    assert list(loaded) == list(state)
    for k, v in state.items():
        assert loaded[k].dtype == v.dtype and loaded[k].shape == v.shape, k
        assert torch.equal(loaded[k], v) or (v.is_floating_point() and torch.equal(loaded[k].isnan(), v.isnan())), k
        assert loaded[k].stride() == v.stride() and loaded[k].storage_offset() == v.storage_offset(), k
    for k in must_be_views:
        assert not loaded[k].is_contiguous() or loaded[k].storage_offset() > 0, k + " must be saved as a view"
    write_safetensors(os.path.join(HERE, name + ".expected.safetensors"),
                      collections.OrderedDict((k, v.contiguous()) for k, v in loaded.items()))
    for k, v in loaded.items():
        print(f"  {name}.bin {k}: {v.dtype} size {tuple(v.shape)} stride {v.stride()} offset {v.storage_offset()}")


def make_views(g):
    base = torch.randn(6, 7, generator=g)
    kernel = torch.randn(5, 3, generator=g).numpy()  # a TF kernel, (in, out)
    cube = torch.randn(2, 3, 4, generator=g)
    square = torch.randn(4, 4, generator=g)
    state = collections.OrderedDict()
    state["hf_transposed_kernel"] = torch.from_numpy(np.transpose(kernel))  # (out, in), stride (1, 3)
    state["fortran_3d"] = torch.from_numpy(np.asfortranarray(torch.randn(2, 3, 4, generator=g).numpy()))
    state["t_view"] = torch.randn(4, 6, generator=g).t()
    state["permuted"] = cube.permute(2, 0, 1)
    state["diagonal"] = square.diagonal()
    state["expanded"] = torch.randn(4, generator=g).expand(3, 4)
    state["base"] = base  # the following share base's storage
    state["slice_offset"] = base[2:5, 1:4]
    state["stepped"] = base[::2, 1::3]
    state["row"] = base[1]
    state["flat_window"] = base.view(-1)[10:20]
    state["offset_transposed"] = base[1:, 2:].t()
    state["last_element"] = base.view(-1)[-1:]
    state["parameter"] = torch.nn.Parameter(torch.randn(3, 2, generator=g))  # pickled through _rebuild_parameter
    views = ["hf_transposed_kernel", "fortran_3d", "t_view", "permuted", "diagonal", "expanded", "slice_offset",
             "stepped", "row", "flat_window", "offset_transposed", "last_element"]
    save_with_expected("views", state, views)
    # The same state with pickle protocol 4 (FRAME, SHORT_BINUNICODE, MEMOIZE opcodes); expected values are identical.
    torch.save(state, os.path.join(HERE, "views-protocol4.bin"), pickle_protocol=4)
    assert all(torch.equal(v, state[k]) for k, v in torch.load(os.path.join(HERE, "views-protocol4.bin")).items())


def make_dtypes(g):
    floats = torch.tensor([[0.0, -0.0, 1.5, -2.25], [float("nan"), float("inf"), -float("inf"), 1e-40],
                           [3.0e38, -1.0e-3, 65504.0, 6.0e-8]], dtype=torch.float64)
    ints = torch.tensor([[0, 1, -1, 127], [-128, 100, -100, 55], [7, -7, 42, -42]], dtype=torch.int64)
    state = collections.OrderedDict()
    for dtype in [torch.float16, torch.bfloat16, torch.float32, torch.float64]:
        t = floats.to(dtype)
        state[str(dtype)[6:]] = t
        state[str(dtype)[6:] + ".t"] = t.t()
    big = torch.tensor([[2**62, -2**62 - 5], [2**40 + 1, -1]], dtype=torch.int64)
    state["int64.big.t"] = big.t()
    for dtype in [torch.int64, torch.int32, torch.int16, torch.int8]:
        t = ints.to(dtype)
        state[str(dtype)[6:]] = t
        state[str(dtype)[6:] + ".t"] = t.t()
    state["uint8.t"] = (ints.abs() * 2).to(torch.uint8).t()
    state["bool.t"] = (ints > 0).t()
    state["scalar_float64"] = torch.tensor(3.25, dtype=torch.float64)
    state["scalar_int64"] = torch.tensor(-7, dtype=torch.int64)
    state["empty_0x4"] = torch.empty(0, 4)
    state["empty_2x0x3"] = torch.zeros(2, 0, 3, dtype=torch.float16)
    base = torch.randn(6, 7, generator=g)
    state["empty_slice_with_offset"] = base[3:3]
    state["base_of_empty_slice"] = base
    save_with_expected("dtypes", state, ["float16.t", "bfloat16.t", "int8.t", "uint8.t", "bool.t", "int64.big.t"])


def make_sharded():
    weights = read_safetensors(os.path.join(MODEL, "model.safetensors"))
    config = json.load(open(os.path.join(MODEL, "config.json")))
    state = collections.OrderedDict()
    for name, w in weights.items():
        if w.dim() == 2 and "embeddings" not in name:
            kernel = np.ascontiguousarray(w.numpy().T)  # what TensorFlow stores: (in, out)
            state["bert." + name] = torch.from_numpy(np.transpose(kernel))  # modeling_bert.load_tf_weights_in_bert
        elif w.dim() == 2:
            state["bert." + name] = torch.from_numpy(np.asfortranarray(w.numpy()))
        else:
            state["bert." + name] = w
    state["bert.embeddings.position_ids"] = torch.arange(config["max_position_embeddings"]).expand((1, -1))
    folder = os.path.join(HERE, "tiny-sharded")
    os.makedirs(folder, exist_ok=True)
    names = list(state)
    shards = [names[: len(names) // 2], names[len(names) // 2:]]
    weight_map, total = {}, 0
    for i, shard in enumerate(shards):
        file = f"pytorch_model-{i + 1:05d}-of-{len(shards):05d}.bin"
        torch.save(collections.OrderedDict((k, state[k]) for k in shard), os.path.join(folder, file))
        loaded = torch.load(os.path.join(folder, file))
        for k in shard:
            assert torch.equal(loaded[k], state[k]) and loaded[k].stride() == state[k].stride(), k
            weight_map[k] = file
            total += state[k].numel() * state[k].element_size()
    with open(os.path.join(folder, "pytorch_model.bin.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    print(f"  tiny-sharded: {len(names)} tensors in 2 shards; "
          f"{sum(not state[k].is_contiguous() for k in names)} saved as non-contiguous views")


class FakeStorage:
    def __init__(self, key, numel, storage_type=torch.FloatStorage):
        self.key, self.numel, self.storage_type = key, numel, storage_type


class FakeTensor:
    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, size, stride, False, collections.OrderedDict())

    def __reduce__(self):
        return torch._utils._rebuild_tensor_v2, self.args


class FakeTensorWithState(FakeTensor):
    """How PyTorch 2 pickles a tensor that carries Python attributes."""

    def __reduce__(self):
        return torch._tensor._rebuild_from_type_v2, (torch._utils._rebuild_tensor_v2, torch.Tensor, self.args, {"note": "x"})


class Evil:
    def __reduce__(self):
        return os.system, ("touch /tmp/bert-torchbin-pwned",)


class FakePickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, FakeStorage):
            return "storage", obj.storage_type, obj.key, "cpu", obj.numel
        return None


def write_crafted(name, state, storages):
    """A torch.save zip made by hand: <name>/data.pkl (protocol 2, persistent ids as torch writes them), data, version."""
    buffer = io.BytesIO()
    FakePickler(buffer, protocol=2).dump(state)
    path = os.path.join(HERE, name + ".bin")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as z:
        entries = [(name + "/data.pkl", buffer.getvalue())]
        entries += [(f"{name}/data/{key}", data) for key, data in storages.items()]
        entries += [(name + "/version", b"3\n")]
        for entry, data in entries:
            z.writestr(zipfile.ZipInfo(entry, date_time=(1980, 1, 1, 0, 0, 0)), data)  # reproducible bytes
    return path


def make_bad():
    six = struct.pack("<6f", *range(6))
    # The crafting itself is checked: the same layout within bounds loads in PyTorch.
    good = write_crafted("crafted-good", {"w": FakeTensor(FakeStorage("0", 6), 1, (2, 2), (1, 2))}, {"0": six})
    assert torch.equal(torch.load(good)["w"], torch.tensor([[1.0, 3.0], [2.0, 4.0]]))
    os.remove(good)
    state = write_crafted("crafted-tensor-with-state", {"w": FakeTensorWithState(FakeStorage("0", 6), 1, (2, 2), (1, 2))},
                          {"0": six})
    loaded = torch.load(state)["w"]
    assert torch.equal(loaded, torch.tensor([[1.0, 3.0], [2.0, 4.0]]))
    write_safetensors(os.path.join(HERE, "crafted-tensor-with-state.expected.safetensors"), {"w": loaded})
    short = write_crafted("bad-short-storage", {"w": FakeTensor(FakeStorage("0", 6), 0, (3, 3), (3, 1))}, {"0": six})
    try:
        torch.load(short)
        raise AssertionError("PyTorch loaded a tensor past its storage")
    except RuntimeError as e:
        print("  bad-short-storage.bin: torch.load says:", str(e).splitlines()[0])
    negative = write_crafted("bad-negative-stride", {"w": FakeTensor(FakeStorage("0", 6), 5, (6,), (-1,))}, {"0": six})
    try:
        print("  bad-negative-stride.bin: torch.load gives", torch.load(negative)["w"].tolist())
    except RuntimeError as e:
        print("  bad-negative-stride.bin: torch.load says:", str(e).splitlines()[0])
    huge = write_crafted("bad-huge-expand", {"w": FakeTensor(FakeStorage("0", 6), 0, (1 << 25,), (0,))}, {"0": six})
    print("  bad-huge-expand.bin: torch.load gives a", tuple(torch.load(huge)["w"].shape), "view of 6 elements")
    evil = write_crafted("bad-global-os-system", collections.OrderedDict(
        [("w", FakeTensor(FakeStorage("0", 6), 0, (6,), (1,))), ("x", Evil())]), {"0": six})
    try:
        torch.load(evil, weights_only=True)  # never without weights_only: that would run the command
        raise AssertionError("weights_only loaded os.system")
    except pickle.UnpicklingError as e:
        print("  bad-global-os-system.bin: torch.load(weights_only=True) says:", str(e).splitlines()[0][:100])


def make_mixed(g):
    """A checkpoint that is more than a state dict: entries that are not tensors are left out by the reader."""
    path = os.path.join(HERE, "mixed.bin")
    weight = torch.randn(2, 3, generator=g)
    torch.save({"weight": weight, "epoch": 3, "note": "hello", "nested": {"inner": weight}, "lr": 0.5}, path)
    write_safetensors(os.path.join(HERE, "mixed.expected.safetensors"), {"weight": torch.load(path)["weight"]})


def make_legacy():
    path = os.path.join(HERE, "legacy.bin")
    torch.save({"w": torch.arange(3.0)}, path, _use_new_zipfile_serialization=False)
    assert not zipfile.is_zipfile(path)


if __name__ == "__main__":
    print("torch", torch.__version__)
    generator = torch.Generator().manual_seed(14)
    make_views(generator)
    make_dtypes(generator)
    make_mixed(generator)
    make_sharded()
    make_legacy()
    make_bad()
