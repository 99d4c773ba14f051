# Regenerate (from the repository root):
#   /usr/bin/python3 tests/Bert.Core.Tests/TestData/mixed/make_mixed_linear_goldens.py > tests/Bert.Core.Tests/TestData/mixed/mixed_linear_goldens.json
#
# The reference for BertLinear's mixed precision (ComputeType = BFloat16 with float32 weights): PyTorch's own
# autocast (torch.autocast("cpu", dtype=torch.bfloat16), PyTorch 1.13 from Debian's python3-torch) around
# torch.nn.functional.linear, forward and backward. Inputs, weight, bias and the upstream gradient are float32 values
# given by formulas below (and stored in the JSON), so the C# side starts from exactly the same numbers. Stored:
# the forward output (autocast returns bfloat16; stored as the float32 it widens to, exactly), and the float32
# gradients autograd delivers to the float32 input, weight and bias.
import json
import math

import torch


def values(count, scale, phase):
    # Deterministic, sign-varying, not bfloat16-representable (so the casts matter), rounded to float32.
    return torch.tensor([scale * math.sin(0.37 * i + phase) * (1.0 + 0.013 * (i % 17)) for i in range(count)], dtype=torch.float32)


def case(name, rows, cols, inputs, outputs, bias=True):
    x = values(rows * cols * inputs, 1.3, 0.1).reshape(rows, cols, inputs).requires_grad_(True)
    w = values(outputs * inputs, 0.25, 0.7).reshape(outputs, inputs).requires_grad_(True)
    b = values(outputs, 0.5, 1.9).requires_grad_(True) if bias else None
    g = values(rows * cols * outputs, 0.8, 2.3).reshape(rows, cols, outputs)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y = torch.nn.functional.linear(x, w, b)
    assert y.dtype == torch.bfloat16
    (y.float() * g).sum().backward()
    out = {
        "name": name, "rows": rows, "cols": cols, "in": inputs, "out": outputs,
        "x": x.detach().flatten().tolist(), "weight": w.detach().flatten().tolist(),
        "bias": b.detach().flatten().tolist() if bias else None, "upstream": g.flatten().tolist(),
        "y": y.float().detach().flatten().tolist(),
        "grad_x": x.grad.flatten().tolist(), "grad_weight": w.grad.flatten().tolist(),
        "grad_bias": b.grad.flatten().tolist() if bias else None,
    }
    return out


print(json.dumps({
    "torch": torch.__version__,
    "cases": [case("small", 2, 5, 24, 40), case("no-bias", 3, 4, 32, 16, bias=False), case("wide", 1, 6, 64, 48)],
}))
