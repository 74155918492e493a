"""Writes scikit-learn's digits (real 8x8 scans of handwritten digits, 1797 rows, offline) as the
image data of the CNN gallery scenarios. Run from the repository root:

    /usr/bin/python3 scripts/make_digits.py

examples/scenarios/data/digits_x.npy: float32 [1797, 8, 8, 1], channels last (Keras), pixels 0..16
as scikit-learn ships them (unscaled on purpose: the scaling scenarios need the raw range).
examples/scenarios/data/digits_y.npy: int64 [1797], the digit 0..9; digits_y_onehot.npy: float32 [1797, 10].
"""
import os

import numpy as np
from sklearn.datasets import load_digits

OUT = os.path.join(os.path.dirname(__file__), "..", "examples", "scenarios", "data")

digits = load_digits()
x = digits.images.astype("<f4").reshape(-1, 8, 8, 1)
y = digits.target.astype("<i8")
assert x.shape == (1797, 8, 8, 1) and x.min() == 0 and x.max() == 16
np.save(os.path.join(OUT, "digits_x.npy"), x)
np.save(os.path.join(OUT, "digits_y.npy"), y)
print(f"digits: {x.shape} pixels {x.min()}..{x.max()}, {np.bincount(y).tolist()} rows per class")
# The same labels one-hot (float32 [1797, 10]), for the categorical losses.
np.save(os.path.join(OUT, "digits_y_onehot.npy"), np.eye(10, dtype="<f4")[y])
