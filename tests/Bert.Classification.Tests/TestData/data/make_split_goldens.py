# Regenerate (from the repository root):
#   /usr/bin/python3 tests/Bert.Classification.Tests/TestData/data/make_split_goldens.py
#
# Writes split_goldens.json for DataSplitTests and Pcg64Tests:
#  - per-class train/test counts of scikit-learn's StratifiedShuffleSplit (the allocation that
#    train_test_split(..., stratify=y) uses, sklearn.model_selection._split._approximate_mode) for
#    several class-count vectors and test fractions. A case is marked "deterministic" when 25 different
#    random_states give the same counts (no random tie-breaking involved); only those are compared
#    count for count (membership always differs: sklearn uses numpy's MT19937, Bert.NET its own PCG64).
#  - raw 64-bit outputs of numpy's PCG64 bit generator (PCG XSL-RR 128/64) from set states, the
#    independent reference for Bert.NET's seeded generator.
import json
import os

import numpy as np
import sklearn
from sklearn.model_selection import StratifiedShuffleSplit, train_test_split

HERE = os.path.dirname(os.path.abspath(__file__))


def counts(class_counts, test_fraction, random_state):
    y = np.repeat(np.arange(len(class_counts)), class_counts)
    x = np.zeros((len(y), 1))
    train, test = next(StratifiedShuffleSplit(n_splits=1, test_size=test_fraction, random_state=random_state).split(x, y))
    return np.bincount(y[train], minlength=len(class_counts)).tolist(), np.bincount(y[test], minlength=len(class_counts)).tolist()


def main():
    cases = []
    vectors = [
        [888, 1278, 1498, 522],  # KNBC
        [57, 79, 91, 22],  # KNBC articles per topic
        [10, 10, 10],
        [5, 7, 11, 13, 17],
        [100, 3],
        [2, 2, 2, 2, 2, 2],
        [333, 1, 1] [:1] + [40, 27],
    ]
    for class_counts in vectors:
        for fraction in [0.1, 0.2, 0.25, 0.3333, 0.5]:
            try:
                results = [counts(class_counts, fraction, rs) for rs in range(25)]
            except ValueError as e:
                cases.append({"class_counts": class_counts, "test_fraction": fraction, "error": str(e)})
                continue
            deterministic = all(r == results[0] for r in results)
            cases.append({"class_counts": class_counts, "test_fraction": fraction,
                          "train_counts": results[0][0], "test_counts": results[0][1],
                          "deterministic": deterministic})

    # train_test_split(stratify=...) on KNBC's 4186 labels with test_size=0.1: the reference run's sizes.
    y = np.repeat(np.arange(4), [888, 1278, 1498, 522])
    tr, te = train_test_split(y, test_size=0.1, stratify=y, random_state=0)
    knbc = {"train": len(tr), "test": len(te), "train_counts": np.bincount(tr).tolist(), "test_counts": np.bincount(te).tolist()}

    pcg = []
    for state, inc in [(0, 1), (0x0123456789ABCDEF_FEDCBA9876543210, 0x5851F42D4C957F2D_14057B7EF767814F | 1),
                       ((1 << 128) - 1, (1 << 127) + 1)]:
        bg = np.random.PCG64()
        bg.state = {"bit_generator": "PCG64", "state": {"state": state, "inc": inc}, "has_uint32": 0, "uinteger": 0}
        pcg.append({"state": str(state), "inc": str(inc), "raw": [str(int(v)) for v in bg.random_raw(8)]})

    with open(os.path.join(HERE, "split_goldens.json"), "w", encoding="utf-8") as f:
        json.dump({"sklearn": sklearn.__version__, "numpy": np.__version__, "stratified": cases,
                   "knbc_train_test_split": knbc, "pcg64": pcg}, f, indent=1)


if __name__ == "__main__":
    main()
