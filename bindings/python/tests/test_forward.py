"""Model.forward: shapes, dtypes, out arrays, options and every input error."""

import math

import numpy as np
import pytest

import embedding
from helpers import assert_bitwise_equal, random_tables, reference_forward


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_forward_batch_matches_reference(small_model, rng, dtype):
    model, token, position = small_model
    ids = rng.integers(0, 16, size=(3, 5)).astype(dtype)
    out = model.forward(ids, start=2)
    assert out.shape == (3, 5, 8)
    assert out.dtype == np.float32
    assert_bitwise_equal(out, reference_forward(token, position, ids, 2))


def test_forward_1d_ids_give_2d_output(small_model):
    model, token, position = small_model
    ids = np.array([4, 0, 15], dtype=np.int64)
    out = model.forward(ids)
    assert out.shape == (3, 8)
    assert_bitwise_equal(out, reference_forward(token, position, ids))


def test_forward_call_alias(small_model):
    model, token, position = small_model
    ids = np.array([[1, 2]], dtype=np.int32)
    assert_bitwise_equal(model(ids), model.forward(ids))


def test_forward_accepts_lists(small_model):
    model, token, position = small_model
    out = model.forward([[1, 2, 3], [4, 5, 6]])
    assert out.shape == (2, 3, 8)
    expected = reference_forward(token, position, [[1, 2, 3], [4, 5, 6]])
    assert_bitwise_equal(out, expected)


def test_forward_empty_list(small_model):
    model, _, _ = small_model
    assert model.forward([]).shape == (0, 8)


@pytest.mark.parametrize("shape", [(0, 4), (3, 0), (0,)])
def test_forward_empty_arrays(small_model, shape):
    model, _, _ = small_model
    out = model.forward(np.zeros(shape, dtype=np.int32))
    assert out.shape == shape + (8,)


def test_forward_writes_into_out(small_model, rng):
    model, token, position = small_model
    ids = rng.integers(0, 16, size=(2, 4)).astype(np.int32)
    out = np.empty((2, 4, 8), dtype=np.float32)
    result = model.forward(ids, start=1, out=out)
    assert result is out
    assert_bitwise_equal(out, reference_forward(token, position, ids, 1))


def test_forward_into_allocated_output(small_model, rng):
    model, token, position = small_model
    ids = rng.integers(0, 16, size=(2, 3)).astype(np.int64)
    out = model.allocate_output(ids.shape)
    assert out.shape == (2, 3, 8)
    assert out.ctypes.data % 64 == 0
    model.forward(ids, out=out)
    assert_bitwise_equal(out, reference_forward(token, position, ids))
    assert model.allocate_output((0, 5)).shape == (0, 5, 8)


def test_forward_last_position(small_model):
    model, token, position = small_model
    out = model.forward(np.array([[3, 4]], dtype=np.int32), start=10)
    assert_bitwise_equal(out[0, 1], token[4] + position[11])


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.bool_, np.int8,
                                   np.int16, np.uint8, np.uint16, np.uint32,
                                   np.uint64])
def test_forward_rejects_dtype(small_model, dtype):
    model, _, _ = small_model
    ids = np.zeros((1, 3), dtype=dtype)
    with pytest.raises(TypeError, match="int32 or int64"):
        model.forward(ids)


def test_forward_rejects_big_endian_ids(small_model):
    model, _, _ = small_model
    ids = np.zeros((1, 3), dtype=">i8")
    with pytest.raises(TypeError, match="non-native byte order"):
        model.forward(ids)


def test_forward_rejects_float_list(small_model):
    model, _, _ = small_model
    with pytest.raises(TypeError, match="float64"):
        model.forward([1.0, 2.5])


def test_forward_rejects_bool_list(small_model):
    model, _, _ = small_model
    with pytest.raises(TypeError, match="bool"):
        model.forward([True, False])


def test_forward_rejects_non_contiguous(small_model):
    model, _, _ = small_model
    ids = np.zeros((4, 6), dtype=np.int64)[:, ::2]
    with pytest.raises(ValueError, match="C-contiguous"):
        model.forward(ids)


def test_forward_rejects_transposed(small_model):
    model, _, _ = small_model
    ids = np.zeros((4, 6), dtype=np.int32).T
    with pytest.raises(ValueError, match="C-contiguous"):
        model.forward(ids)


@pytest.mark.parametrize("shape", [(), (1, 2, 3)])
def test_forward_rejects_rank(small_model, shape):
    model, _, _ = small_model
    with pytest.raises(ValueError, match=r"\[batch, seq_len\]"):
        model.forward(np.zeros(shape, dtype=np.int32))


def test_forward_rejects_unaligned(small_model):
    model, _, _ = small_model
    raw = np.zeros(4 * 3 + 1, dtype=np.uint8)
    ids = raw[1:].view(np.int32)
    assert not ids.flags.aligned
    with pytest.raises(ValueError, match="aligned"):
        model.forward(ids)


def test_forward_rejects_non_integer_start(small_model):
    model, _, _ = small_model
    with pytest.raises(TypeError, match="start"):
        model.forward([1], start=1.0)
    with pytest.raises(OverflowError, match="start"):
        model.forward([1], start=1 << 63)


def test_forward_out_errors(small_model):
    model, _, _ = small_model
    ids = np.zeros((2, 3), dtype=np.int32)
    with pytest.raises(TypeError, match="numpy.ndarray"):
        model.forward(ids, out=[0.0] * 48)
    with pytest.raises(TypeError, match="float32"):
        model.forward(ids, out=np.empty((2, 3, 8), dtype=np.float64))
    with pytest.raises(ValueError, match="shape"):
        model.forward(ids, out=np.empty((2, 3, 9), dtype=np.float32))
    with pytest.raises(ValueError, match="shape"):
        model.forward(ids, out=np.empty((6, 8), dtype=np.float32))
    with pytest.raises(ValueError, match="C-contiguous"):
        model.forward(ids, out=np.empty((2, 3, 16), np.float32)[:, :, ::2])
    readonly = np.empty((2, 3, 8), dtype=np.float32)
    readonly.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        model.forward(ids, out=readonly)


def test_forward_out_overlapping_ids(small_model):
    model, _, _ = small_model
    # The ids live inside the output buffer, so writing out would clobber
    # them while the kernel still reads them.
    buffer = np.zeros(32, dtype=np.float32)
    out = buffer.reshape(1, 4, 8)
    ids = buffer[:4].view(np.int32).reshape(1, 4)
    with pytest.raises(ValueError, match="overlaps ids"):
        model.forward(ids, out=out)


def test_forward_out_overlapping_borrowed_table(rng):
    token, position = random_tables(rng, 8, 4, 4)
    with embedding.Model.from_arrays(token, position, copy=False) as model:
        out = token[:2].reshape(1, 2, 4)
        with pytest.raises(ValueError, match="borrowed table"):
            model.forward(np.array([[0, 1]], dtype=np.int32), out=out)


def test_bad_id_raises_with_details(small_model):
    model, _, _ = small_model
    ids = np.array([[1, 2, 3], [4, 99, -1]], dtype=np.int64)
    with pytest.raises(embedding.IdOutOfRangeError) as caught:
        model.forward(ids)
    error = caught.value
    assert isinstance(error, IndexError)
    assert isinstance(error, embedding.EmbeddingError)
    assert error.status == embedding.Status.ID_OUT_OF_RANGE
    assert error.index == 4
    assert error.batch_index == 1
    assert error.seq_index == 1
    assert error.value == 99
    assert error.range == (0, 16)
    assert "99" in str(error)
    assert error.os_error is None


def test_negative_id_raises(small_model):
    model, _, _ = small_model
    with pytest.raises(embedding.IdOutOfRangeError) as caught:
        model.forward(np.array([0, -2], dtype=np.int32))
    assert caught.value.value == -2
    assert caught.value.index == 1


def test_failed_forward_leaves_out_unchanged(small_model):
    model, _, _ = small_model
    out = np.full((1, 3, 8), 7.25, dtype=np.float32)
    with pytest.raises(embedding.IdOutOfRangeError):
        model.forward(np.array([[1, 2, 16]], dtype=np.int32), out=out)
    assert (out == 7.25).all()
    with pytest.raises(embedding.PositionOutOfRangeError):
        model.forward(np.array([[1, 2, 3]], dtype=np.int32), start=10,
                      out=out)
    assert (out == 7.25).all()


def test_position_past_context_raises(small_model):
    model, _, _ = small_model
    with pytest.raises(embedding.PositionOutOfRangeError) as caught:
        model.forward(np.array([[1, 2, 3]], dtype=np.int32), start=10)
    error = caught.value
    assert isinstance(error, IndexError)
    assert error.value == 12
    assert error.range == (0, 12)


def test_negative_start_raises(small_model):
    model, _, _ = small_model
    with pytest.raises(embedding.PositionOutOfRangeError) as caught:
        model.forward([1, 2], start=-1)
    assert caught.value.value == -1


def test_position_ids(small_model, rng):
    model, token, position = small_model
    ids = rng.integers(0, 16, size=(2, 4))
    position_ids = np.array([[0, 0, 1, 2], [5, 6, 7, 11]], dtype=np.int64)
    out = model.forward(ids, position_ids=position_ids)
    expected = reference_forward(token, position, ids,
                                 position_ids=position_ids)
    assert_bitwise_equal(out, expected)


def test_position_ids_errors(small_model):
    model, _, _ = small_model
    ids = np.zeros((1, 3), dtype=np.int64)
    with pytest.raises(TypeError, match="same dtype"):
        model.forward(ids, position_ids=np.zeros((1, 3), dtype=np.int32))
    with pytest.raises(ValueError, match="same shape"):
        model.forward(ids, position_ids=np.zeros((1, 4), dtype=np.int64))
    with pytest.raises(embedding.InvalidArgumentError, match="start"):
        model.forward(ids, start=1, position_ids=np.zeros_like(ids))
    with pytest.raises(embedding.PositionOutOfRangeError) as caught:
        model.forward(ids, position_ids=np.array([[0, 12, 0]]))
    assert caught.value.index == 1
    assert caught.value.value == 12


def test_positions_from_mask():
    mask = np.array([[0, 0, 1, 1], [1, 1, 1, 1]], dtype=bool)
    positions = embedding.positions_from_mask(mask, start=3)
    assert positions.dtype == np.int64
    assert positions.tolist() == [[0, 0, 3, 4], [3, 4, 5, 6]]
    narrow = embedding.positions_from_mask(mask.astype(np.uint8),
                                           dtype=np.int32)
    assert narrow.dtype == np.int32
    assert narrow.tolist() == [[0, 0, 0, 1], [0, 1, 2, 3]]


def test_positions_from_mask_errors():
    with pytest.raises(embedding.InvalidArgumentError) as caught:
        embedding.positions_from_mask(np.array([[1, 2]], dtype=np.uint8))
    assert caught.value.index == 1
    assert caught.value.value == 2
    with pytest.raises(TypeError, match="bool or uint8"):
        embedding.positions_from_mask(np.ones(3, dtype=np.int32))
    with pytest.raises(TypeError, match="np.int32 or np.int64"):
        embedding.positions_from_mask(np.ones(3, dtype=bool), dtype=np.int16)
    with pytest.raises(embedding.InvalidArgumentError, match="start"):
        embedding.positions_from_mask(np.ones(3, dtype=bool), start=-1)
    with pytest.raises(embedding.PositionOutOfRangeError):
        embedding.positions_from_mask(np.ones(3, dtype=bool),
                                      start=(1 << 31) - 2, dtype=np.int32)


def test_token_type_ids(rng):
    token, position = random_tables(rng, 10, 6, 8)
    token_type = rng.standard_normal((2, 6), dtype=np.float32)
    with embedding.Model.from_arrays(token, position,
                                     token_type=token_type) as model:
        assert model.token_type_count == 2
        ids = rng.integers(0, 10, size=(2, 5)).astype(np.int32)
        types = rng.integers(0, 2, size=(2, 5)).astype(np.int32)
        out = model.forward(ids, start=1, token_type_ids=types)
        expected = reference_forward(token, position, ids, 1,
                                     token_type=token_type,
                                     token_type_ids=types)
        assert_bitwise_equal(out, expected)
        types[1, 2] = 2
        with pytest.raises(embedding.IdOutOfRangeError) as caught:
            model.forward(ids, token_type_ids=types)
        assert caught.value.index == 7


def test_token_type_ids_without_table(small_model):
    model, _, _ = small_model
    with pytest.raises(embedding.InvalidArgumentError, match="token-type"):
        model.forward([1, 2], token_type_ids=[0, 0])


def test_scale_and_padding(rng):
    dim = 16
    with embedding.Model.normal(20, dim, 4, seed=7, padding_id=3,
                                scale=math.sqrt(dim)) as model:
        token = np.array(model.token_table)
        position = np.array(model.position_table)
        assert (token[3] == 0).all()
        ids = np.array([[3, 5, 19]], dtype=np.int32)
        out = model.forward(ids)
        expected = reference_forward(token, position, ids,
                                     scale=math.sqrt(dim))
        assert_bitwise_equal(out, expected)


def test_sinusoidal_positions():
    dim = 6
    with embedding.Model.zeros(5, dim, 10, position="sinusoidal") as model:
        table = model.position_table
        assert table.shape == (10, dim)
        for pos in (0, 3, 9):
            for column in range(dim):
                i = column // 2
                angle = pos * 10000.0 ** (-2.0 * i / dim)
                want = math.sin(angle) if column % 2 == 0 else math.cos(angle)
                assert table[pos, column] == np.float32(want)
        out = model.forward([0, 0], start=3)
        assert_bitwise_equal(out, np.array(table[3:5]))


def test_sinusoidal_split_layout():
    with embedding.Model.zeros(5, 4, 3, position="sinusoidal",
                               sinusoid_layout="split",
                               sinusoid_base=100.0) as model:
        table = model.position_table
        angle = 2 * 100.0 ** (-2.0 * 1 / 4)
        assert table[2, 1] == np.float32(math.sin(angle))
        assert table[2, 3] == np.float32(math.cos(angle))


def test_no_positions(rng):
    token, _ = random_tables(rng, 6, 4, 1)
    with embedding.Model.from_arrays(token, position_kind="none") as model:
        assert model.position_kind == "none"
        assert model.context_length == 0
        assert model.position_table is None
        out = model.forward([[5, 1]], start=1000)
        assert_bitwise_equal(out[0], token[[5, 1]])
        with pytest.raises(embedding.InvalidArgumentError, match="position"):
            model.forward([[5, 1]], position_ids=[[0, 1]])


@pytest.mark.parametrize("kernel", ["auto", "reference", "blas", "fused"])
def test_kernels_identical(rng, kernel):
    token, position = random_tables(rng, 30, 20, 9)
    ids = rng.integers(0, 30, size=(3, 7)).astype(np.int32)
    with embedding.Model.from_arrays(token, position, kernel=kernel,
                                     num_threads=2, scale=0.5) as model:
        out = model.forward(ids, start=2)
        expected = reference_forward(token, position, ids, 2, scale=0.5)
        assert_bitwise_equal(out, expected)
