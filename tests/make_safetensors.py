#!/usr/bin/python3
"""Write safetensors files with GPT-2-shaped embedding tables, independently
of libembedding, for the C loader to read back; and verify a file that
libembedding wrote.

Uses only the standard library and NumPy (not the safetensors package), so
the files come from a second implementation of the format.

  make_safetensors.py write OUT_DIR [--gpt2-full]

For each case, writes:

  CASE.safetensors      the weights file
  CASE.token.f32        expected token table, raw little-endian float32
  CASE.position.f32     expected position table, raw little-endian float32

and one line per case to OUT_DIR/manifest.txt:

  CASE TOKEN_NAME POSITION_NAME V C D TOKEN_MAPPED POSITION_MAPPED

where a name is "-" when the loader's default names should find the tensor,
and *_MAPPED is 1 when the tensor is F32 with 64-byte aligned file offset
(so EMB_LOAD_MMAP must use it in place), else 0. --gpt2-full adds the case
gpt2_full with the true GPT-2 small shape (V 50257, C 1024, D 768, F32:
about 160 MB, plus 160 MB of expected values).

Expected float32 values come from NumPy: float16 through astype(float32),
bfloat16 by placing the 16 stored bits above 16 zero bits.

  make_safetensors.py verify FILE TOKEN_F32 POSITION_F32 [--metadata JSON]

Checks a file written by emb_model_save_safetensors: the layout rules of
the format, a data buffer starting 64-byte aligned, F32 tensors wte.weight
and wpe.weight equal bit for bit to the raw expected tables, and (with
--metadata) __metadata__ equal to the given JSON object. Exits with 1 and a
list of problems otherwise.
"""

import argparse
import json
import os
import struct
import sys

import numpy as np

ALIGNMENT = 64


def special_float32_bits():
    """Bit patterns that a lossy or value-based copy would change."""
    return np.array([
        0x00000000, 0x80000000,              # +0, -0
        0x00000001, 0x807FFFFF,              # subnormals
        0x7F800000, 0xFF800000,              # infinities
        0x7FC00000, 0x7F800001,              # quiet NaN, signaling NaN
        0xFFBFFFFF, 0x7F7FFFFF,              # NaN with payload, max float
    ], dtype=np.uint32)


def random_table(rng, rows, dim, with_specials):
    table = (rng.standard_normal((rows, dim), dtype=np.float32) *
             np.float32(0.02))
    if with_specials:
        specials = special_float32_bits().view(np.float32)
        flat = table.reshape(-1)
        flat[:specials.size] = specials
    return table


def all_float16(rows, dim, rng):
    """A table holding every float16 bit pattern once (rows * dim must be
    at least 65536), the rest random."""
    values = np.empty(rows * dim, dtype=np.uint16)
    values[:65536] = np.arange(65536, dtype=np.uint32).astype(np.uint16)
    values[65536:] = rng.integers(0, 65536, size=values.size - 65536,
                                  dtype=np.uint16)
    rng.shuffle(values)
    return values.reshape(rows, dim)


def widen_bfloat16(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32)


class Tensor:
    def __init__(self, name, dtype, shape, payload):
        self.name = name
        self.dtype = dtype
        self.shape = list(shape)
        self.payload = payload  # bytes, little-endian


def write_file(path, tensors, data_order, key_order, data_start_mod,
               metadata=None, indent=None):
    """Write tensors with data in data_order and header keys in key_order.
    The header is padded with spaces so the data buffer starts at a file
    offset congruent to data_start_mod modulo 64. Returns the data buffer's
    file offset and each tensor's begin offset."""
    offsets = {}
    position = 0
    for name in data_order:
        size = len(tensors[name].payload)
        offsets[name] = (position, position + size)
        position += size

    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    for name in key_order:
        t = tensors[name]
        header[name] = {"dtype": t.dtype, "shape": t.shape,
                        "data_offsets": list(offsets[name])}
    text = json.dumps(header, indent=indent).encode("utf-8")
    padding = (data_start_mod - (8 + len(text))) % ALIGNMENT
    text += b" " * padding

    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(text)))
        out.write(text)
        for name in data_order:
            out.write(tensors[name].payload)
    return 8 + len(text), offsets


def float_tensor(name, dtype, values):
    if dtype == "F32":
        payload = values.astype("<f4").tobytes()
    else:  # F16 or BF16: values are uint16 bit patterns
        payload = values.astype("<u2").tobytes()
    return Tensor(name, dtype, values.shape, payload)


def expected_float32(dtype, values):
    if dtype == "F32":
        return values.astype(np.float32)
    if dtype == "F16":
        return values.view(np.float16).astype(np.float32)
    return widen_bfloat16(values)


def table_values(rng, dtype, rows, dim):
    if dtype == "F32":
        return random_table(rng, rows, dim, with_specials=True)
    if dtype == "F16" and rows * dim >= 65536:
        return all_float16(rows, dim, rng)
    if dtype == "F16":
        return (rng.standard_normal((rows, dim)) * 0.02).astype(
            np.float16).view(np.uint16)
    # BF16: every pattern too, when the table is big enough.
    if rows * dim >= 65536:
        return all_float16(rows, dim, rng)
    return rng.integers(0, 65536, size=(rows, dim), dtype=np.uint16)


def extra_tensors(rng):
    """Tensors the loader must validate and ignore."""
    return [
        Tensor("h.0.attn.bias", "BOOL", [1, 1, 4, 4],
               np.tril(np.ones((4, 4), dtype=np.uint8)).tobytes()),
        Tensor("h.0.ln_1.weight", "F64", [3],
               np.array([1.0, -2.5, 3.25], dtype="<f8").tobytes()),
        Tensor("lm_head.step", "I64", [], struct.pack("<q", -7)),
        Tensor("h.0.mlp.empty", "F32", [0, 768], b""),
        Tensor("h.0.attn.u8", "U8", [5], bytes(range(5))),
    ]


def write_case(out_dir, manifest, case, spec, rng):
    rows_v, rows_c, dim = spec["shape"]
    prefix = spec.get("prefix", "")
    token_name = prefix + "wte.weight"
    position_name = prefix + "wpe.weight"

    token_values = table_values(rng, spec["token_dtype"], rows_v, dim)
    position_values = table_values(rng, spec["position_dtype"], rows_c, dim)
    tensors = {
        token_name: float_tensor(token_name, spec["token_dtype"],
                                 token_values),
        position_name: float_tensor(position_name, spec["position_dtype"],
                                    position_values),
    }
    if spec.get("extras"):
        for t in extra_tensors(rng):
            tensors[t.name] = t

    names = list(tensors)
    data_order = spec.get("data_order", names)
    data_order = [n if n in tensors else prefix + n for n in data_order]
    data_order += [n for n in names if n not in data_order]
    key_order = sorted(names) if spec.get("sorted_keys") else list(
        reversed(names))

    path = os.path.join(out_dir, case + ".safetensors")
    data_start, offsets = write_file(
        path, tensors, data_order, key_order, spec.get("data_start_mod", 0),
        metadata=spec.get("metadata"), indent=spec.get("indent"))

    expected_float32(spec["token_dtype"], token_values).astype("<f4").tofile(
        os.path.join(out_dir, case + ".token.f32"))
    expected_float32(spec["position_dtype"], position_values).astype(
        "<f4").tofile(os.path.join(out_dir, case + ".position.f32"))

    def mapped(name, dtype):
        aligned = (data_start + offsets[name][0]) % ALIGNMENT == 0
        return 1 if dtype == "F32" and aligned else 0

    requested = spec.get("request_names", False)
    manifest.write("%s %s %s %d %d %d %d %d\n" % (
        case,
        token_name if requested else "-",
        position_name if requested else "-",
        rows_v, rows_c, dim,
        mapped(token_name, spec["token_dtype"]),
        mapped(position_name, spec["position_dtype"])))


# Small GPT-2-shaped cases: vocab and context cut down, D a multiple of 16 as
# in every GPT-2 size, except where a case needs otherwise.
CASES = {
    "gpt2_f32": dict(shape=(2048, 256, 64), token_dtype="F32",
                     position_dtype="F32"),
    "gpt2_f16": dict(shape=(1024, 128, 64), token_dtype="F16",
                     position_dtype="F16"),
    "gpt2_bf16": dict(shape=(1024, 128, 64), token_dtype="BF16",
                      position_dtype="BF16"),
    "gpt2_mixed": dict(shape=(1000, 100, 48), token_dtype="BF16",
                       position_dtype="F32", data_order=["wpe.weight"]),
    "hf_prefixed": dict(shape=(2048, 256, 64), token_dtype="F32",
                        position_dtype="F32", prefix="transformer.",
                        extras=True, metadata={"format": "pt"},
                        sorted_keys=True),
    "named_indent": dict(shape=(300, 40, 32), token_dtype="F32",
                         position_dtype="F16", prefix="model.embed.",
                         request_names=True, indent=2,
                         metadata={"note": "caf\u00e9 \"quoted\"\n"}),
    # Data buffer at file offset 1 (mod 64): every F32 element is
    # misaligned, so the loader must copy with memcpy.
    "unaligned_f32": dict(shape=(2048, 256, 64), token_dtype="F32",
                          position_dtype="F32", data_start_mod=1),
    # Data buffer at file offset 32 (mod 64): 4-byte aligned but not 64.
    "half_aligned_f32": dict(shape=(512, 64, 40), token_dtype="F32",
                             position_dtype="F32", data_start_mod=32),
    # D = 37: the second tensor starts misaligned even with an aligned
    # data buffer.
    "odd_dim_f32": dict(shape=(101, 17, 37), token_dtype="F32",
                        position_dtype="F32"),
}

GPT2_FULL = dict(shape=(50257, 1024, 768), token_dtype="F32",
                 position_dtype="F32", metadata={"format": "pt"})


def verify(path, token_path, position_path, metadata_json):
    """Return a list of problems found in a file written by libembedding."""
    with open(path, "rb") as stream:
        raw = stream.read()
    length = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + length].decode("utf-8"))
    data = raw[8 + length:]
    problems = []

    if (8 + length) % ALIGNMENT != 0:
        problems.append("data buffer starts at byte %d, not a multiple of "
                        "%d" % (8 + length, ALIGNMENT))
    metadata = header.pop("__metadata__", None)
    if metadata_json is not None and metadata != json.loads(metadata_json):
        problems.append("__metadata__ is %r, expected %s" % (metadata,
                                                             metadata_json))

    end = 0
    for (begin, stop), name in sorted((tuple(info["data_offsets"]), name)
                                      for name, info in header.items()):
        if begin != end:
            problems.append("%s begins at %d, previous data ends at %d" %
                            (name, begin, end))
        end = stop
    if end != len(data):
        problems.append("tensors cover %d data bytes of %d" % (end,
                                                              len(data)))

    for name, expected_path in (("wte.weight", token_path),
                                ("wpe.weight", position_path)):
        info = header.get(name)
        if info is None or info["dtype"] != "F32":
            problems.append("%s is missing or not F32: %r" % (name, info))
            continue
        begin, stop = info["data_offsets"]
        actual = np.frombuffer(data[begin:stop], dtype="<u4")
        expected = np.fromfile(expected_path, dtype="<u4")
        rows, dim = info["shape"]
        if actual.size != expected.size or rows * dim != expected.size:
            problems.append("%s has shape %r, %d values expected" %
                            (name, info["shape"], expected.size))
        elif not np.array_equal(actual, expected):
            first = int(np.argmax(actual != expected))
            problems.append("%s element %d has bits 0x%08x, expected 0x%08x"
                            % (name, first, actual[first], expected[first]))
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    write = commands.add_parser("write", help="write the test cases")
    write.add_argument("out_dir")
    write.add_argument("--gpt2-full", action="store_true")
    check = commands.add_parser("verify", help="verify a libembedding file")
    check.add_argument("file")
    check.add_argument("token_f32")
    check.add_argument("position_f32")
    check.add_argument("--metadata")
    args = parser.parse_args()

    if args.command == "verify":
        problems = verify(args.file, args.token_f32, args.position_f32,
                          args.metadata)
        for problem in problems:
            print("%s: %s" % (args.file, problem), file=sys.stderr)
        return 1 if problems else 0

    os.makedirs(args.out_dir, exist_ok=True)
    rng = np.random.default_rng(20240613)
    with open(os.path.join(args.out_dir, "manifest.txt"), "w") as manifest:
        for case, spec in CASES.items():
            write_case(args.out_dir, manifest, case, spec, rng)
        if args.gpt2_full:
            write_case(args.out_dir, manifest, "gpt2_full", GPT2_FULL, rng)
    return 0


if __name__ == "__main__":
    sys.exit(main())
