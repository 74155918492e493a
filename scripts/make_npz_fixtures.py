"""Writes the .npz fixtures of the tests with numpy (np.savez, np.savez_compressed). From the root:

    /usr/bin/python3 scripts/make_npz_fixtures.py

test/fixtures/formats/: blobs.npz (stored) and blobs_compressed.npz (deflated) hold the same 40 rows as
blobs.parquet (scripts/make_parquet_fixtures.mjs computes them from the same formula), so the tests
compare the readers row for row; mixed.npz has several arrays of several dtypes; probs.npz is a
single-array archive for audit --predictions. test/bad_inputs/npz/: a cut archive, bytes that are
no zip, and a zip member that is not valid .npy. The outputs are committed, so CI needs no Python.
"""
import io
import os
import zipfile

import numpy as np

ROOT = os.path.join(os.path.dirname(__file__), "..")
FORMATS = os.path.join(ROOT, "test", "fixtures", "formats")
BAD = os.path.join(ROOT, "test", "bad_inputs", "npz")
os.makedirs(FORMATS, exist_ok=True)
os.makedirs(BAD, exist_ok=True)

i = np.arange(40)
x = np.stack([np.sin(i) * 2 + (i % 2) * 3, np.cos(i * 0.7) - (i % 2) * 2], axis=1)
y = (i % 2).astype(np.int64)
np.savez(os.path.join(FORMATS, "blobs.npz"), x=x, y=y)
np.savez_compressed(os.path.join(FORMATS, "blobs_compressed.npz"), x=x.astype(np.float32), y=y)
np.savez(
    os.path.join(FORMATS, "mixed.npz"),
    features=x.astype(np.float32),
    embeddings=np.ones((40, 3), dtype=np.float16),
    label=y.astype(np.uint8),
)
probs = np.stack([1 - (i % 4) / 4, (i % 4) / 4], axis=1)[:10]
np.savez(os.path.join(FORMATS, "probs.npz"), probs)
np.save(os.path.join(FORMATS, "labels10.npy"), (np.arange(10) % 2).astype(np.int64))

buf = io.BytesIO()
np.savez_compressed(buf, x=x, y=y)
whole = buf.getvalue()
with open(os.path.join(BAD, "truncated.npz"), "wb") as f:
    f.write(whole[: len(whole) // 2])
with open(os.path.join(BAD, "not_zip.npz"), "wb") as f:
    f.write(b"x,y\n1,0\n")
with zipfile.ZipFile(os.path.join(BAD, "bad_member.npz"), "w") as z:
    z.writestr("x.npy", b"not an npy array")
    bio = io.BytesIO()
    np.save(bio, y)
    z.writestr("y.npy", bio.getvalue())
print("wrote", FORMATS, BAD)
