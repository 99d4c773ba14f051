# Regenerate (from the repository root):
#   /usr/bin/python3 tests/Bert.Classification.Tests/TestData/metrics/make_metrics_goldens.py
#
# Writes classification-report goldens made by scikit-learn (Debian python3-sklearn) and McNemar
# p-values made by scipy.stats.binomtest, for ClassificationReportTests and McNemarTestTests.
# Each case: y_true, y_pred, labels (or null), sklearn's classification_report(output_dict=True)
# with the default zero_division ("warn" = 0.0), its text with digits=2 and 4, confusion_matrix.
# Seeded (numpy RandomState), so re-running writes identical files.
import json
import os
import warnings

import numpy as np
import scipy
import scipy.stats
import sklearn
from sklearn.metrics import classification_report, confusion_matrix

HERE = os.path.dirname(os.path.abspath(__file__))


def noisy_predictions(rng, y_true, labels, accuracy):
    y_pred = []
    for t in y_true:
        if rng.rand() < accuracy:
            y_pred.append(t)
        else:
            others = [l for l in labels if l != t]
            y_pred.append(others[rng.randint(len(others))])
    return y_pred


def case(name, y_true, y_pred, labels=None):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report = classification_report(y_true, y_pred, labels=labels, output_dict=True)
        text2 = classification_report(y_true, y_pred, labels=labels, digits=2)
        text4 = classification_report(y_true, y_pred, labels=labels, digits=4)
        cm = confusion_matrix(y_true, y_pred, labels=labels)
    cm_labels = list(labels) if labels is not None else sorted(set(y_true) | set(y_pred))
    return {
        "name": name,
        "y_true": list(y_true),
        "y_pred": list(y_pred),
        "labels": list(labels) if labels is not None else None,
        "report": report,
        "text_digits2": text2,
        "text_digits4": text4,
        "confusion_matrix": cm.tolist(),
        "confusion_matrix_labels": cm_labels,
        "warning_count": len(caught),
    }


def main():
    rng = np.random.RandomState(20261125)
    cases = []

    # 1. KNBC-like: 4 Japanese topics, 419 test sentences in KNBC's proportions, ~82% accurate.
    ja = ["グルメ", "携帯電話", "京都", "スポーツ"]
    y_true = [ja[i] for i in rng.choice(4, size=419, p=[888 / 4186, 1278 / 4186, 1498 / 4186, 522 / 4186])]
    cases.append(case("knbc_japanese_419", y_true, noisy_predictions(rng, y_true, ja, 0.82)))

    # 2. Zero division: class "c" never predicted, class "d" predicted but never true.
    y_true = list(rng.choice(["a", "b", "c"], size=60))
    y_pred = [("d" if rng.rand() < 0.1 else (t if rng.rand() < 0.7 else "a")) for t in y_true]
    y_pred = ["a" if p == "c" else p for p in y_pred]
    cases.append(case("zero_division", y_true, y_pred))

    # 3. Label subset (not sorted): micro avg instead of accuracy.
    five = ["apple", "banana", "cherry", "date", "elder"]
    y_true = list(rng.choice(five, size=200))
    y_pred = noisy_predictions(rng, y_true, five, 0.6)
    cases.append(case("label_subset", y_true, y_pred, labels=["date", "banana", "apple"]))

    # 4. Labels superset: an unobserved label listed, so micro avg is shown (equal to accuracy).
    y_true = list(rng.choice(["x", "y", "z"], size=50))
    y_pred = noisy_predictions(rng, y_true, ["x", "y", "z"], 0.7)
    cases.append(case("label_superset", y_true, y_pred, labels=["x", "y", "z", "w"]))

    # 5. Binary.
    y_true = list(rng.choice(["neg", "pos"], size=150, p=[0.7, 0.3]))
    y_pred = noisy_predictions(rng, y_true, ["neg", "pos"], 0.85)
    cases.append(case("binary", y_true, y_pred))

    # 6. Many classes with a long name (wider than "weighted avg").
    many = ["class_%02d" % i for i in range(24)] + ["a_rather_long_label_name"]
    y_true = list(rng.choice(many, size=1000))
    y_pred = noisy_predictions(rng, y_true, many, 0.5)
    cases.append(case("many_classes", y_true, y_pred))

    # 7. Hand-sized case, all predictions right for one class, values like 1/8 that test rounding ties.
    y_true = ["a"] * 8 + ["b"] * 8 + ["c"] * 4
    y_pred = ["a"] * 7 + ["b"] + ["b"] * 5 + ["a"] * 3 + ["c", "c", "a", "b"]
    cases.append(case("hand_small", y_true, y_pred))

    # 8. Rounding ties at digits=2: precision 0.125, 0.375, 0.625, 0.875 (exact binary fractions).
    y_true = ["p"] * 8 + ["q"] * 8 + ["r"] * 8
    y_pred = ["p"] * 1 + ["q"] * 7 + ["q"] * 3 + ["r"] * 5 + ["r"] * 5 + ["p"] * 3
    cases.append(case("rounding_ties", y_true, y_pred))

    with open(os.path.join(HERE, "classification_report_goldens.json"), "w", encoding="utf-8") as f:
        json.dump({"sklearn": sklearn.__version__, "cases": cases}, f, ensure_ascii=False, indent=1)

    # McNemar's exact test: two-sided exact binomial test on the discordant pairs (b, c), p = 0.5.
    pairs = [(0, 0), (0, 1), (1, 0), (3, 10), (10, 3), (5, 5), (12, 20), (25, 12), (40, 60), (100, 70), (0, 25), (210, 180)]
    mcnemar = [{"b": b, "c": c, "p_value": float(scipy.stats.binomtest(b, b + c, 0.5).pvalue) if b + c > 0 else 1.0}
               for b, c in pairs]
    # Paired predictions on the KNBC-like case: classifier A (82%) and B (84%).
    y_true = cases[0]["y_true"]
    pred_a = cases[0]["y_pred"]
    pred_b = noisy_predictions(rng, y_true, ja, 0.84)
    b = sum(1 for t, x, y in zip(y_true, pred_a, pred_b) if x == t and y != t)
    c = sum(1 for t, x, y in zip(y_true, pred_a, pred_b) if x != t and y == t)
    paired = {"y_true": y_true, "pred_a": pred_a, "pred_b": pred_b, "b": b, "c": c,
              "p_value": float(scipy.stats.binomtest(b, b + c, 0.5).pvalue)}
    with open(os.path.join(HERE, "mcnemar_goldens.json"), "w", encoding="utf-8") as f:
        json.dump({"scipy": scipy.__version__, "pairs": mcnemar, "paired": paired}, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
