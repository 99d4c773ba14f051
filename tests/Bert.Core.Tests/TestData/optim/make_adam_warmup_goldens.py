# Golden trajectories of keras-bert's AdamWarmup, from an independent NumPy implementation (float64 arithmetic).
#
#   /usr/bin/python3 tests/Bert.Core.Tests/TestData/optim/make_adam_warmup_goldens.py > tests/Bert.Core.Tests/TestData/optim/adam_warmup_goldens.json
#
# The update is written from keras-bert's keras_bert/optimizers/warmup.py (get_updates) and warmup_v2.py, with the
# additions this project specifies (exclusion-list weight decay, skipped parameters, global-norm clipping):
#   t = 1, 2, ...
#   lr_s = lr * t / W                                   if t <= W
#        = min_lr + (lr - min_lr) * (1 - min(t, D) / D)  otherwise
#   lr_t = lr_s * sqrt(1 - b2^t) / (1 - b1^t)
#   m = b1 m + (1 - b1) g ;  v = b2 v + (1 - b2) g^2 ;  amsgrad: vhat = max(vhat, v) replaces v below
#   u = m / (sqrt(v) + eps)  (+ wd * theta for parameters whose name contains no excluded substring)
#   theta = theta - lr_t * u
# Clipping (max_grad_norm): norm = sqrt(sum of g^2 over all parameters that have a gradient this step);
# g *= max_grad_norm / (norm + 1e-6) when that factor is below 1 (torch.nn.utils.clip_grad_norm_).
# A parameter without a gradient in a step (head.sometimes.weight when t % 3 == 0) is skipped: theta, m, v, vhat kept.
#
# Problem: 7 parameters, initial values and gradients given by formulas (below, and repeated in the JSON), both
# rounded to float32 so that the C# side (float32) starts from the same numbers and sees the same gradients. The
# arithmetic here is float64; the C# optimizer runs in float32, so it is compared with a float32-sized tolerance.
# head.tiny.weight has gradients of about 1e-6, where eps = 1e-7 is not negligible: the epsilon placement shows.
import json
import math
import sys

import numpy as np

PARAMETERS = [
    # name, shape, gradient scale
    ("encoder.dense.weight", (3, 4), 1.0),
    ("encoder.dense.bias", (4,), 1.0),
    ("encoder.LayerNorm.weight", (4,), 1.0),
    ("encoder.LayerNorm.bias", (4,), 1.0),
    ("encoder.big.weight", (7, 9), 0.5),
    ("head.tiny.weight", (2, 3), 1e-6),
    ("head.sometimes.weight", (5,), 1.0),
]
SOMETIMES = "head.sometimes.weight"
INIT_FORMULA = "float32((1 if name contains 'LayerNorm.weight' else 0) + 0.8 * sin(0.9 * k + 1.1 * j + 0.5)), k = flat index, j = parameter index"
GRAD_FORMULA = ("float32(scale_j * (sin(0.37 * t + 0.61 * k + 1.3 * j) + 0.3 * cos(0.11 * t * (k + 1)))); "
                "none for head.sometimes.weight when t % 3 == 0")
BERT_NO_DECAY = ["bias", "LayerNorm"]
SNAPSHOTS = [1, 2, 10, 100]


def f32(x):
    return float(np.float32(x))


def initial(j, name, shape):
    n = int(np.prod(shape))
    offset = 1.0 if "LayerNorm.weight" in name else 0.0
    return np.array([f32(offset + 0.8 * math.sin(0.9 * k + 1.1 * j + 0.5)) for k in range(n)], dtype=np.float64)


def gradient(j, name, shape, scale, t):
    if name == SOMETIMES and t % 3 == 0:
        return None
    n = int(np.prod(shape))
    return np.array([f32(scale * (math.sin(0.37 * t + 0.61 * k + 1.3 * j) + 0.3 * math.cos(0.11 * t * (k + 1))))
                     for k in range(n)], dtype=np.float64)


def schedule(t, lr, warmup, decay, min_lr):
    if t <= warmup:
        return lr * t / warmup
    return min_lr + (lr - min_lr) * (1.0 - min(t, decay) / decay)


def run(case):
    o = case["options"]
    lr, warmup, decay, min_lr = o["learning_rate"], o["warmup_steps"], o["decay_steps"], o["min_learning_rate"]
    b1, b2, eps, wd = o["beta1"], o["beta2"], o["epsilon"], o["weight_decay"]
    amsgrad, max_norm, exclusions = o["amsgrad"], o["max_grad_norm"], o["weight_decay_exclusions"]
    theta = [initial(j, n, s) for j, (n, s, _) in enumerate(PARAMETERS)]
    m = [np.zeros_like(x) for x in theta]
    v = [np.zeros_like(x) for x in theta]
    vhat = [np.zeros_like(x) for x in theta]
    decays = [not any(e in n for e in exclusions) for n, _, _ in PARAMETERS]
    snapshots = []
    for t in range(1, max(SNAPSHOTS) + 1):
        grads = [gradient(j, n, s, sc, t) for j, (n, s, sc) in enumerate(PARAMETERS)]
        norm = None
        if max_norm is not None:
            norm = math.sqrt(sum(float(np.sum(g * g)) for g in grads if g is not None))
            factor = max_norm / (norm + 1e-6)
            if factor < 1:
                grads = [None if g is None else g * factor for g in grads]
        lr_s = schedule(t, lr, warmup, decay, min_lr)
        lr_t = lr_s * math.sqrt(1.0 - b2 ** t) / (1.0 - b1 ** t)
        for j in range(len(theta)):
            g = grads[j]
            if g is None:
                continue
            m[j] = b1 * m[j] + (1.0 - b1) * g
            v[j] = b2 * v[j] + (1.0 - b2) * g * g
            if amsgrad:
                vhat[j] = np.maximum(vhat[j], v[j])
                u = m[j] / (np.sqrt(vhat[j]) + eps)
            else:
                u = m[j] / (np.sqrt(v[j]) + eps)
            if wd > 0 and decays[j]:
                u = u + wd * theta[j]
            theta[j] = theta[j] - lr_t * u
        if t in SNAPSHOTS:
            snapshots.append({
                "step": t,
                "learning_rate": lr_s,
                "grad_norm": norm,
                "parameters": {n: [float(x) for x in theta[j]] for j, (n, _, _) in enumerate(PARAMETERS)},
            })
    return {"name": case["name"], "options": o, "snapshots": snapshots}


def options(**overrides):
    o = {"learning_rate": 0.05, "warmup_steps": 10, "decay_steps": 120, "min_learning_rate": 0.0,
         "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-7, "weight_decay": 0.0,
         "weight_decay_exclusions": BERT_NO_DECAY, "amsgrad": False, "max_grad_norm": None}
    o.update(overrides)
    return o


CASES = [
    {"name": "warmup_then_decay", "options": options()},
    {"name": "weight_decay_bert_exclusions", "options": options(weight_decay=0.1)},
    {"name": "weight_decay_everything", "options": options(weight_decay=0.1, weight_decay_exclusions=[])},
    {"name": "amsgrad", "options": options(amsgrad=True)},
    {"name": "amsgrad_weight_decay", "options": options(amsgrad=True, weight_decay=0.1)},
    {"name": "min_lr_past_decay_end", "options": options(warmup_steps=5, decay_steps=60, min_learning_rate=0.01)},
    {"name": "no_warmup", "options": options(warmup_steps=0, decay_steps=100)},
    {"name": "warmup_longer_than_decay", "options": options(warmup_steps=20, decay_steps=15, min_learning_rate=0.005)},
    {"name": "clip_global_norm", "options": options(max_grad_norm=0.5, weight_decay=0.1)},
    {"name": "large_epsilon", "options": options(epsilon=1e-3, beta1=0.8, beta2=0.99)},
]


def main():
    result = {
        "generator": "tests/Bert.Core.Tests/TestData/optim/make_adam_warmup_goldens.py",
        "arithmetic": "float64 (NumPy " + np.__version__ + "); initial values and gradients rounded to float32",
        "initial_formula": INIT_FORMULA,
        "gradient_formula": GRAD_FORMULA,
        "parameters": [{"name": n, "shape": list(s), "gradient_scale": sc, "initial": [float(x) for x in initial(j, n, s)]}
                       for j, (n, s, sc) in enumerate(PARAMETERS)],
        "cases": [run(c) for c in CASES],
    }
    json.dump(result, sys.stdout, indent=None, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
