"""Writes the .npy files of the bad-input corpus (numpy 2.x). Run from the repository root:

    python3 test/bad_inputs/make_npy.py

Real numpy writes each file, then the broken ones are cut or patched byte by byte, so each holds
exactly the defect its name says and nothing else.
"""
import io
import os

import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "npy")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(8)


def save(name, array, **kw):
    np.save(os.path.join(OUT, name), array, **kw)


def saved_bytes(array):
    buf = io.BytesIO()
    np.save(buf, array)
    return buf.getvalue()


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


x = rng.normal(size=(10, 3)).astype("<f4")
y = (np.arange(10) % 2).astype("<i8")

# Valid companions: 10 rows of features, 10 labels, and 8 labels (a shape that disagrees).
save("x.npy", x)
save("y.npy", y)
save("y_8_rows.npy", y[:8])
# float16 (common for stored activations / predictions): must WORK, widened exactly.
save("x_f2.npy", np.array([[0.5, -1.25, 3.0], [65504.0, 2.0**-24, -0.0]] * 5, dtype="<f2"))

# Broken headers and data.
write("bad_magic.npy", b"x1,x2,y\n0.1,0.2,0\n")  # a CSV renamed to .npy
good = saved_bytes(x)
write("truncated_header.npy", good[:40])  # cut inside the header dict
write("truncated_data.npy", good[: len(good) - 7])  # the last float32 values cut short
save("big_endian.npy", x.astype(">f4"))
save("fortran_order.npy", np.asfortranarray(x))
save("complex.npy", x.astype("<c8"))
save("object.npy", np.array([[1, "a"], [2, "b"]], dtype=object), allow_pickle=True)
save("datetime.npy", np.array(["2024-01-01", "2024-01-02"], dtype="datetime64[D]"))
save("unicode_strings.npy", np.array(["cat", "dog", "cat"]))
save("three_d.npy", rng.normal(size=(2, 3, 4)).astype("<f4"))

# A header that parses as Python but is not a dict: a list where the dict should be.
header = b"['<f4', False, (2, 2)]"
header += b" " * (64 - 10 - len(header) - 1) + b"\n"
write("header_not_dict.npy", b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + b"\x00" * 16)

# An .npz archive (numpy.savez) given where an .npy is expected.
buf = io.BytesIO()
np.savez(buf, x=x, y=y)
write("archive.npy", buf.getvalue())

# Images (issue 14): a PyTorch-layout [N, C, H, W] batch for a channels-last model is a shape error.
save("images_nchw.npy", np.random.default_rng(1408).normal(size=(10, 1, 4, 4)).astype("<f4"))
