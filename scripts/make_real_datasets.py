#!/usr/bin/python3
"""Writes scikit-learn's bundled real datasets as CSV for the real-data gallery.

Run with Debian's Python and scikit-learn (python3-sklearn):

    /usr/bin/python3 scripts/make_real_datasets.py

It writes examples/scenarios/data/real/{iris,wine,breast_cancer,digits,diabetes}.csv: a header row, the
feature columns under their scikit-learn names (spaces and slashes become underscores), then the target
column `target` (class indices 0..C-1, or the diabetes progression value). Nothing is shuffled or
sampled: the rows are exactly those of `sklearn.datasets.load_*`, in their order, so a scenario's own
transforms and split say everything that was done to them. One scaling is applied, the one every digits
tutorial applies first: digits' pixel counts 0..16 are divided by 16 (`X / 16.0`), so they lie in [0, 1].
Values are written with repr() (round-trip exact float64), integers without a decimal point.
The outputs are committed, so nothing else needs Python.
"""
import csv
import os

import sklearn
from sklearn import datasets

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "scenarios", "data", "real")

LOADERS = {
    "iris": datasets.load_iris,
    "wine": datasets.load_wine,
    "breast_cancer": datasets.load_breast_cancer,
    "digits": datasets.load_digits,
    "diabetes": datasets.load_diabetes,
}


def column_name(name):
    return "".join(c if c.isalnum() else "_" for c in str(name)).strip("_")


def cell(v):
    f = float(v)
    return str(int(f)) if f.is_integer() else repr(f)


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, load in LOADERS.items():
        bunch = load()
        x, y = bunch.data, bunch.target
        if name == "digits":
            x = x / 16.0
        names = [column_name(n) for n in bunch.feature_names]
        path = os.path.join(OUT, name + ".csv")
        with open(path, "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(names + ["target"])
            for row, t in zip(x, y):
                w.writerow([cell(v) for v in row] + [cell(t)])
        print(f"{path}: {x.shape[0]} rows, {x.shape[1]} features (scikit-learn {sklearn.__version__})")


if __name__ == "__main__":
    main()
