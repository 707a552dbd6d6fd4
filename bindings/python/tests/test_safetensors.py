"""Model.save and Model.load: round trips, memory mapping and file errors."""

import errno
import json
import struct

import numpy as np
import pytest

import embedding
from helpers import assert_bitwise_equal, random_tables


def write_safetensors(path, tensors, metadata=None):
    """Write a safetensors file: 8-byte header length, JSON header, data.

    tensors maps a name to (dtype name, shape, raw bytes).
    """
    header = {}
    offset = 0
    for name, (dtype, shape, data) in tensors.items():
        header[name] = {"dtype": dtype, "shape": list(shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    if metadata is not None:
        header["__metadata__"] = metadata
    encoded = json.dumps(header).encode("utf-8")
    with open(path, "wb") as file:
        file.write(struct.pack("<Q", len(encoded)))
        file.write(encoded)
        for _, _, data in tensors.values():
            file.write(data)


def read_header(path):
    with open(path, "rb") as file:
        (length,) = struct.unpack("<Q", file.read(8))
        return json.loads(file.read(length)), 8 + length


def test_save_and_load_round_trip(tmp_path, rng):
    token, position = random_tables(rng, 40, 12, 10)
    path = tmp_path / "model.safetensors"
    ids = rng.integers(0, 40, size=(2, 6)).astype(np.int32)
    with embedding.Model.from_arrays(token, position) as model:
        model.save(path)
        expected = model.forward(ids, start=3)

    with embedding.Model.load(path) as loaded:
        assert (loaded.vocab_size, loaded.dim, loaded.context_length) == \
            (40, 12, 10)
        assert_bitwise_equal(np.array(loaded.token_table), token)
        assert_bitwise_equal(np.array(loaded.position_table), position)
        assert_bitwise_equal(loaded.forward(ids, start=3), expected)
        # A copied load owns its tables.
        loaded.write_row("token", 0, np.ones(12, dtype=np.float32))


def test_saved_file_layout_and_metadata(tmp_path):
    path = tmp_path / "meta.safetensors"
    metadata = {"format": "pt", "note": "caf\u00e9"}
    # Rows of 16 floats are 64 bytes, so with the header padded every
    # tensor can start 64-byte aligned (the format allows no gaps between
    # tensors, so other shapes can only align the first one).
    with embedding.Model.normal(7, 16, 3, seed=2, token_type_count=2) as m:
        m.save(str(path), metadata=metadata)
    header, data_start = read_header(path)
    assert header["__metadata__"] == metadata
    assert header["wte.weight"]["shape"] == [7, 16]
    assert header["wpe.weight"]["shape"] == [3, 16]
    assert header["wtt.weight"]["shape"] == [2, 16]
    for name in ("wte.weight", "wpe.weight", "wtt.weight"):
        assert header[name]["dtype"] == "F32"
        assert (data_start + header[name]["data_offsets"][0]) % 64 == 0


def test_load_mmap_is_read_only(tmp_path, rng):
    token, position = random_tables(rng, 64, 16, 8)
    path = tmp_path / "mapped.safetensors"
    with embedding.Model.from_arrays(token, position) as model:
        model.save(path)
    with embedding.Model.load(path, mmap=True, num_threads=1,
                              kernel="reference") as mapped:
        assert mapped.num_threads == 1
        assert_bitwise_equal(np.array(mapped.token_table), token)
        with pytest.raises(embedding.ReadOnlyError):
            mapped.write_row("token", 1, np.zeros(16, dtype=np.float32))
        with pytest.raises(embedding.ReadOnlyError):
            mapped.resize_vocab(80)
        assert_bitwise_equal(mapped.forward([[3, 63]])[0],
                             token[[3, 63]] + position[:2])


def test_load_named_tensors_and_no_positions(tmp_path, rng):
    token, _ = random_tables(rng, 6, 4, 1)
    path = tmp_path / "named.safetensors"
    write_safetensors(path, {"encoder.embed": ("F32", token.shape,
                                               token.tobytes())})
    with embedding.Model.load(path, token_tensor="encoder.embed",
                              no_position_tensor=True) as model:
        assert model.position_kind == "none"
        assert_bitwise_equal(np.array(model.token_table), token)


def test_save_without_positions_round_trip(tmp_path, rng):
    token, _ = random_tables(rng, 6, 4, 1)
    path = tmp_path / "nopos.safetensors"
    with embedding.Model.from_arrays(token, position_kind="none") as model:
        model.save(path)
    assert "wpe.weight" not in read_header(path)[0]
    with embedding.Model.load(path, no_position_tensor=True) as loaded:
        assert_bitwise_equal(np.array(loaded.token_table), token)


def test_load_widens_f16(tmp_path, rng):
    token16 = rng.standard_normal((5, 4)).astype(np.float16)
    position16 = rng.standard_normal((3, 4)).astype(np.float16)
    path = tmp_path / "half.safetensors"
    write_safetensors(path, {
        "wte.weight": ("F16", token16.shape, token16.tobytes()),
        "wpe.weight": ("F16", position16.shape, position16.tobytes()),
    })
    with embedding.Model.load(path) as model:
        assert_bitwise_equal(np.array(model.token_table),
                             token16.astype(np.float32))
        assert_bitwise_equal(np.array(model.position_table),
                             position16.astype(np.float32))


def test_load_missing_file(tmp_path):
    path = tmp_path / "absent.safetensors"
    with pytest.raises(embedding.EmbeddingIOError) as caught:
        embedding.Model.load(path)
    error = caught.value
    assert isinstance(error, OSError)
    assert error.errno == errno.ENOENT
    assert error.os_error == errno.ENOENT
    assert str(path) in str(error)


def test_load_malformed_file(tmp_path):
    path = tmp_path / "garbage.safetensors"
    path.write_bytes(struct.pack("<Q", 6) + b"{nope}")
    with pytest.raises(embedding.FormatError) as caught:
        embedding.Model.load(path)
    assert caught.value.status == embedding.Status.FORMAT


def test_load_missing_tensor(tmp_path, rng):
    token, position = random_tables(rng, 6, 4, 3)
    path = tmp_path / "model.safetensors"
    with embedding.Model.from_arrays(token, position) as model:
        model.save(path)
    with pytest.raises(embedding.TensorNotFoundError) as caught:
        embedding.Model.load(path, token_tensor="lm_head.weight")
    assert isinstance(caught.value, LookupError)
    assert "wte.weight" in str(caught.value)


def test_load_shape_mismatch(tmp_path):
    token = np.zeros((4, 3), dtype=np.float32)
    position = np.zeros((2, 5), dtype=np.float32)
    path = tmp_path / "mismatch.safetensors"
    write_safetensors(path, {
        "wte.weight": ("F32", token.shape, token.tobytes()),
        "wpe.weight": ("F32", position.shape, position.tobytes()),
    })
    with pytest.raises(embedding.ShapeMismatchError):
        embedding.Model.load(path)


def test_save_errors(tmp_path):
    with embedding.Model.zeros(3, 2, 2) as model:
        with pytest.raises(embedding.EmbeddingIOError) as caught:
            model.save(tmp_path / "missing-dir" / "x.safetensors")
        assert caught.value.errno == errno.ENOENT
        with pytest.raises(ValueError, match="NUL"):
            model.save(tmp_path / "x.safetensors", metadata={"a\0b": "c"})
        with pytest.raises(TypeError, match="metadata value"):
            model.save(tmp_path / "x.safetensors", metadata={"a": 1})
        with pytest.raises(ValueError, match="NUL"):
            model.save(str(tmp_path) + "/x\0y")


def test_failed_save_leaves_no_files(tmp_path):
    # Renaming the finished file over a non-empty directory fails, so the
    # save must fail after writing its temporary file and remove it.
    target = tmp_path / "occupied"
    target.mkdir()
    (target / "inside.txt").write_text("kept")
    with embedding.Model.zeros(3, 2, 2) as model:
        with pytest.raises(embedding.EmbeddingIOError) as caught:
            model.save(target)
    assert caught.value.errno is not None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["occupied"]
    assert (target / "inside.txt").read_text() == "kept"


def test_load_option_errors(tmp_path):
    with pytest.raises(ValueError, match="kernel"):
        embedding.Model.load(tmp_path / "x", kernel="fastest")
    with pytest.raises(TypeError, match="token_tensor"):
        embedding.Model.load(tmp_path / "x", token_tensor=b"wte")
