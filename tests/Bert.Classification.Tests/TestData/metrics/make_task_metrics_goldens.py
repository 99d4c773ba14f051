# Regenerate (from the repository root):
#   /usr/bin/python3 tests/Bert.Classification.Tests/TestData/metrics/make_task_metrics_goldens.py
#
# Writes goldens for MultiLabelReportTests and RegressionReportTests (Debian python3-sklearn 1.2, python3-scipy 1.10):
#  - multilabel_report_goldens.json: label sets, sklearn's classification_report on the indicator matrix
#    (MultiLabelBinarizer with the given label order; output_dict=True and the text with digits=2 and 4, default
#    zero_division), accuracy_score (subset accuracy) and hamming_loss;
#  - regression_report_goldens.json: values, mean_squared_error, mean_absolute_error, r2_score,
#    scipy.stats.pearsonr and scipy.stats.spearmanr (NaN written as null).
# Seeded (numpy RandomState), so re-running writes identical files.
import json
import math
import os
import warnings

import numpy as np
import scipy
import scipy.stats
import sklearn
from sklearn.metrics import (accuracy_score, classification_report, hamming_loss, mean_absolute_error,
                             mean_squared_error, r2_score)
from sklearn.preprocessing import MultiLabelBinarizer

HERE = os.path.dirname(os.path.abspath(__file__))


def multilabel_case(name, labels, y_true, y_pred):
    mlb = MultiLabelBinarizer(classes=labels)
    t = mlb.fit_transform(y_true)
    p = mlb.transform(y_pred)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = classification_report(t, p, target_names=labels, output_dict=True)
        text2 = classification_report(t, p, target_names=labels, digits=2)
        text4 = classification_report(t, p, target_names=labels, digits=4)
    return {
        "name": name,
        "labels": labels,
        "y_true": [list(s) for s in y_true],
        "y_pred": [list(s) for s in y_pred],
        "report": report,
        "text_digits2": text2,
        "text_digits4": text4,
        "subset_accuracy": float(accuracy_score(t, p)),
        "hamming_loss": float(hamming_loss(t, p)),
    }


def noisy_sets(rng, y_true, labels, flip):
    out = []
    for s in y_true:
        out.append([l for l in labels if (l in s) != (rng.rand() < flip)])
    return out


def nan_to_none(x):
    x = float(x)
    return None if math.isnan(x) else x


def regression_case(name, y_true, y_pred):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pearson = scipy.stats.pearsonr(y_true, y_pred)[0]
        spearman = scipy.stats.spearmanr(y_true, y_pred)[0]
    return {
        "name": name,
        "y_true": [float(v) for v in y_true],
        "y_pred": [float(v) for v in y_pred],
        "mse": float(mean_squared_error(y_true, y_pred)),
        "mae": float(mean_absolute_error(y_true, y_pred)),
        "r2": float(r2_score(y_true, y_pred)),
        "pearson": nan_to_none(pearson),
        "spearman": nan_to_none(spearman),
    }


def main():
    rng = np.random.RandomState(20261130)

    ml = []
    # 1. KNBC-like: a topic plus evaluation types, Japanese labels, ~10% of decisions flipped.
    labels = ["グルメ", "携帯電話", "京都", "スポーツ", "批評＋", "メリット＋", "感情−"]
    y_true = []
    for _ in range(300):
        s = [labels[rng.randint(4)]] + [l for l in labels[4:] if rng.rand() < 0.3]
        y_true.append(s)
    ml.append(multilabel_case("knbc_like", labels, y_true, noisy_sets(rng, y_true, labels, 0.1)))
    # 2. Zero division: "c" never predicted, "d" never true, samples with empty true and/or predicted sets.
    labels = ["a", "b", "c", "d"]
    y_true = [["a"], ["a", "b"], [], ["c"], ["b", "c"], [], ["a"], ["b"]]
    y_pred = [["a"], ["b"], [], [], ["b", "d"], ["d"], [], ["a", "b"]]
    ml.append(multilabel_case("zero_division", labels, y_true, y_pred))
    # 3. Random sets over many labels, some long names.
    labels = ["label_%02d" % i for i in range(12)] + ["a_rather_long_label_name"]
    y_true = [[l for l in labels if rng.rand() < 0.2] for _ in range(500)]
    ml.append(multilabel_case("many_labels", labels, y_true, noisy_sets(rng, y_true, labels, 0.15)))
    # 4. Exact predictions.
    labels = ["x", "y", "z"]
    y_true = [["x"], ["y", "z"], ["x", "y", "z"], ["z"]]
    ml.append(multilabel_case("exact", labels, y_true, [list(s) for s in y_true]))
    with open(os.path.join(HERE, "multilabel_report_goldens.json"), "w", encoding="utf-8") as f:
        json.dump({"sklearn": sklearn.__version__, "cases": ml}, f, ensure_ascii=False, indent=1)

    rg = []
    # 1. Continuous values with noise.
    t = rng.normal(2.5, 1.2, size=200)
    rg.append(regression_case("continuous", t, t + rng.normal(0, 0.6, size=200)))
    # 2. Integer scores with many ties on both sides (Spearman's average ranks).
    t = rng.randint(0, 6, size=150).astype(float)
    rg.append(regression_case("ties", t, np.clip(np.round(t + rng.normal(0, 1.0, size=150)), 0, 5)))
    # 3. Anti-correlated, negative values.
    t = rng.uniform(-10, 10, size=60)
    rg.append(regression_case("negative", t, -0.5 * t + rng.normal(0, 2, size=60)))
    # 4. Constant truth (R2 0 with errors; correlations undefined).
    rg.append(regression_case("constant_truth", np.full(10, 3.0), np.linspace(2, 4, 10)))
    # 5. Perfect predictions.
    t = np.array([0.5, 1.5, 1.5, 3.25, -2.0])
    rg.append(regression_case("perfect", t, t.copy()))
    # 6. Constant predictions, and constants whose inexact mean leaves a non-zero sum of squares (SciPy tests x == x[0]).
    rg.append(regression_case("constant_prediction", np.array([1.0, 2.0, 3.0]), np.full(3, 0.1)))
    rg.append(regression_case("constant_both_inexact_mean", np.full(3, 0.1), np.full(3, 0.1)))
    rg.append(regression_case("constant_truth_inexact_mean", np.full(3, 0.1), np.array([0.3, 0.2, 0.1])))
    # 7. Magnitudes where squares underflow, or products of sums of squares overflow (SciPy scales its norms).
    t = rng.normal(0, 1, size=20)
    p = t + rng.normal(0, 0.5, size=20)
    rg.append(regression_case("tiny", t * 1e-200, p * 1e-200))
    rg.append(regression_case("huge", t * 1e150, p * 1e150))
    # 8. Two samples (SciPy returns the product of the signs).
    rg.append(regression_case("two_samples", np.array([1.0, 2.0]), np.array([5.0, 4.5])))
    with open(os.path.join(HERE, "regression_report_goldens.json"), "w", encoding="utf-8") as f:
        json.dump({"sklearn": sklearn.__version__, "scipy": scipy.__version__, "cases": rg}, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
