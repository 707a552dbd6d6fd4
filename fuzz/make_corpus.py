#!/usr/bin/python3
"""Write the seed corpus of the safetensors fuzzer into fuzz/corpus/.

Seeds are small: valid files that load (F32, F16, BF16, long names, extra
tensors, metadata, a token-type table, no position table) and files that
break one rule each, so that the fuzzer starts next to every branch of the
validator. Standard library only. Files named regression-* in the corpus
are inputs that once crashed and are kept, not written here.

Usage: fuzz/make_corpus.py [CORPUS_DIR]   (default: fuzz/corpus beside this)
"""

import json
import os
import struct
import sys


def pack(header, data=b"", pad_to=8):
    """Return file bytes: length prefix, header (dict or raw bytes) padded
    with spaces to a multiple of pad_to bytes, then the data."""
    text = header if isinstance(header, bytes) else json.dumps(
        header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((-len(text)) % pad_to)
    return struct.pack("<Q", len(text)) + text + data


def floats(*values):
    return struct.pack("<%df" % len(values), *values)


def halves(*bits):
    return struct.pack("<%dH" % len(bits), *bits)


def tensor(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


def seeds():
    token = floats(1.0, -2.0, 0.5, 3.0)
    position = floats(10.0, 20.0)
    yield "valid_f32", pack({
        "wte.weight": tensor("F32", [2, 2], 0, 16),
        "wpe.weight": tensor("F32", [1, 2], 16, 24)}, token + position)
    yield "valid_f32_aligned", pack({
        "wte.weight": tensor("F32", [4, 16], 0, 256),
        "wpe.weight": tensor("F32", [1, 16], 256, 320)},
        floats(*range(64)) + floats(*range(16)), pad_to=64)
    yield "valid_f16_subnormal_nan", pack({
        "wte.weight": tensor("F16", [3, 2], 0, 12),
        "wpe.weight": tensor("BF16", [1, 2], 12, 16)},
        halves(0x0001, 0x03FF, 0x7C01, 0xFC00, 0x8000, 0x3C00) +
        halves(0x7F81, 0x0001))
    yield "valid_prefixed_metadata", pack({
        "__metadata__": {"format": "pt"},
        "transformer.wte.weight": tensor("F32", [2, 2], 0, 16),
        "transformer.wpe.weight": tensor("F32", [1, 2], 16, 24),
        "transformer.h.0.attn.bias": tensor("BOOL", [1, 1, 2, 2], 24, 28),
        "step": tensor("I64", [], 28, 36)},
        token + position + bytes([1, 0, 1, 1]) + struct.pack("<q", 3))
    yield "valid_token_types", pack({
        "wte.weight": tensor("F32", [2, 2], 0, 16),
        "wpe.weight": tensor("F32", [1, 2], 16, 24),
        "wtt.weight": tensor("F32", [1, 2], 24, 32)},
        token + position + floats(7.0, 8.0))
    yield "valid_no_position", pack({
        "wte.weight": tensor("F32", [2, 2], 0, 16)}, token)
    yield "valid_escapes", pack(
        b'{"w\\u0074e.weight":{"dtype":"F32","shape":[2,2],'
        b'"data_offsets":[0,16]},"wpe.weight":{"dtype":"F32",'
        b'"shape":[1,2],"data_offsets":[16,24]},"__metadata__":'
        b'{"k\\ud83d\\ude00":"\\"v\\"\\n"}}', token + position)
    yield "valid_empty_tensor", pack({
        "empty": tensor("F32", [0, 4294967296, 4294967296], 0, 0),
        "wte.weight": tensor("F32", [2, 2], 0, 16),
        "wpe.weight": tensor("F32", [1, 2], 16, 24)}, token + position)

    yield "bad_zip", b"PK\x03\x04\x14\x00\x00\x08\x08\x00archive/data.pkl"
    yield "bad_huge_length", struct.pack("<Q", 1 << 63)
    yield "bad_short", b"\x02\x00\x00"
    yield "bad_overflow_shape", pack({
        "t": tensor("U8", [4294967296, 4294967296], 0, 0)})
    yield "bad_overlap", pack({
        "a": tensor("U8", [8], 0, 8), "b": tensor("U8", [8], 4, 12)},
        bytes(12))
    yield "bad_hole", pack({
        "a": tensor("U8", [4], 0, 4), "b": tensor("U8", [4], 8, 12)},
        bytes(12))
    yield "bad_truncated", pack({
        "wte.weight": tensor("F32", [2, 2], 0, 16),
        "wpe.weight": tensor("F32", [1, 2], 16, 24)}, token + position[:7])
    yield "bad_dims_disagree", pack({
        "wte.weight": tensor("F32", [2, 2], 0, 16),
        "wpe.weight": tensor("F32", [1, 3], 16, 28)},
        token + floats(1.0, 2.0, 3.0))
    yield "bad_duplicate", pack(
        b'{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},'
        b'"a":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}', bytes(2))
    yield "bad_nul_name", pack(
        b'{"a\\u0000":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}',
        bytes(1))
    yield "bad_utf8", pack(b'{"\xc0\xaf":1}')
    yield "bad_deep", pack(b'{"__metadata__":' + b"[" * 80 + b"]" * 80 +
                           b"}")
    yield "bad_numbers", pack(
        b'{"t":{"dtype":"U8","shape":[1e2,-0,01],"data_offsets":[0,1.5]}}')


def main():
    fuzz_dir = os.path.dirname(os.path.abspath(__file__))
    out_dir = (sys.argv[1] if len(sys.argv) > 1
               else os.path.join(fuzz_dir, "corpus"))
    os.makedirs(out_dir, exist_ok=True)
    for name, contents in seeds():
        with open(os.path.join(out_dir, "seed-" + name), "wb") as out:
            out.write(contents)
    return 0


if __name__ == "__main__":
    sys.exit(main())
