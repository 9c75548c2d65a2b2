"""Reads a safetensors file with numpy alone and prints its tensors as JSON.

Usage: python3 read_safetensors.py FILE

Output: {"metadata": {...}, "tensors": {name: {"dtype", "shape", "values"}}}, where "values" is
the flat row-major list of each element as Python's repr of a float64 ("0.1", "nan", "-inf",
"-0.0"), which is exact, so the caller can compare values bit for bit (NaN payloads aside).
Used by the interop test; it deliberately does not use the safetensors package.
"""

import json
import struct
import sys

import numpy as np

DTYPES = {"F64": "<f8", "F32": "<f4"}


def main(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n].decode("utf-8"))
    buffer = data[8 + n :]
    out = {"metadata": header.pop("__metadata__", {}), "tensors": {}}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        array = np.frombuffer(buffer[begin:end], dtype=DTYPES[info["dtype"]]).reshape(info["shape"])
        out["tensors"][name] = {
            "dtype": info["dtype"],
            "shape": list(array.shape),
            "values": [repr(float(x)) for x in array.astype(np.float64).ravel()],
        }
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
