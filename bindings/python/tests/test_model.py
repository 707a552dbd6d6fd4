"""Model construction, options, lifetime, table views, rows and resizing."""

import gc
import weakref

import numpy as np
import pytest

import embedding
from helpers import assert_bitwise_equal, random_tables, reference_forward


def test_model_cannot_be_constructed_directly():
    with pytest.raises(TypeError, match="Model.zeros"):
        embedding.Model()


def test_zeros_shapes_and_values():
    with embedding.Model.zeros(11, 5, 7) as model:
        assert model.vocab_size == 11
        assert model.dim == 5
        assert model.context_length == 7
        assert model.token_type_count == 0
        assert model.position_kind == "learned"
        assert model.num_threads >= 1
        assert model.token_table.shape == (11, 5)
        assert model.position_table.shape == (7, 5)
        assert model.token_type_table is None
        assert not model.token_table.any()
        assert not model.forward([[1, 2, 3]]).any()


def test_normal_is_seeded():
    first = embedding.Model.normal(50, 8, 4, seed=3, stddev=0.5)
    second = embedding.Model.normal(80, 8, 9, seed=3, stddev=0.5)
    other = embedding.Model.normal(50, 8, 4, seed=4, stddev=0.5)
    # Row r depends on (seed, table, row, column) only, not on the shapes.
    assert_bitwise_equal(first.token_table, second.token_table[:50])
    assert_bitwise_equal(first.position_table, second.position_table[:4])
    assert not np.array_equal(first.token_table, other.token_table)
    table = np.array(second.token_table)
    assert abs(table.mean()) < 0.1
    assert 0.4 < table.std() < 0.6


def test_normal_mean_and_num_threads():
    with embedding.Model.normal(400, 16, 2, seed=1, mean=5.0, stddev=0.1,
                                num_threads=3) as model:
        assert model.num_threads == 3
        assert 4.9 < float(np.mean(model.token_table)) < 5.1


def test_token_types_from_normal():
    with embedding.Model.normal(4, 3, 2, token_type_count=2) as model:
        assert model.token_type_count == 2
        assert model.token_type_table.shape == (2, 3)


def test_option_type_errors():
    with pytest.raises(TypeError, match="vocab_size"):
        embedding.Model.zeros(10.0, 4, 4)
    with pytest.raises(TypeError, match="bool"):
        embedding.Model.zeros(True, 4, 4)
    with pytest.raises(OverflowError, match="dim"):
        embedding.Model.zeros(10, 1 << 64, 4)
    with pytest.raises(OverflowError, match="seed"):
        embedding.Model.normal(10, 4, 4, seed=-1)
    with pytest.raises(OverflowError, match="num_threads"):
        embedding.Model.zeros(10, 4, 4, num_threads=1 << 31)
    with pytest.raises(ValueError, match="'learned', 'sinusoidal', 'none'"):
        embedding.Model.zeros(10, 4, 4, position="rotary")
    with pytest.raises(ValueError, match="kernel"):
        embedding.Model.zeros(10, 4, 4, kernel="gpu")
    with pytest.raises(ValueError, match="sinusoid_layout"):
        embedding.Model.zeros(10, 4, 4, sinusoid_layout="mixed")
    with pytest.raises(OverflowError, match="scale"):
        embedding.Model.zeros(10, 4, 4, scale=1e39)
    with pytest.raises(TypeError, match="stddev"):
        embedding.Model.normal(10, 4, 4, stddev="0.1")


@pytest.mark.parametrize("arguments, options, message", [
    ((0, 4, 4), {}, "vocab_size"),
    ((10, -1, 4), {}, "dim"),
    ((10, 4, 0), {}, "context_length"),
    ((10, 4, 4), {"position": "none"}, "context_length"),
    ((10, 4, 4), {"padding_id": 10}, "padding_id"),
    ((10, 4, 4), {"scale": float("nan")}, "scale"),
    ((10, 4, 4), {"sinusoid_base": 0.0, "position": "sinusoidal"},
     "sinusoid_base"),
    ((10, 4, 4), {"token_type_count": -1}, "token_type_count"),
    ((10, 4, 4), {"num_threads": -2}, "num_threads"),
])
def test_invalid_options_raise_library_error(arguments, options, message):
    with pytest.raises(embedding.InvalidArgumentError, match=message) as err:
        embedding.Model.zeros(*arguments, **options)
    assert isinstance(err.value, ValueError)
    assert err.value.status == embedding.Status.INVALID_ARGUMENT


def test_padding_id_error_details():
    with pytest.raises(embedding.InvalidArgumentError) as caught:
        embedding.Model.zeros(10, 4, 4, padding_id=12)
    assert caught.value.value == 12
    assert caught.value.range == (0, 10)


def test_normal_rejects_negative_stddev():
    with pytest.raises(embedding.InvalidArgumentError, match="stddev"):
        embedding.Model.normal(10, 4, 4, stddev=-1.0)


def test_huge_table_raises_out_of_memory():
    # 2^40 x 2^10 floats is 4 PiB: more than any address space holds, but
    # its byte count still fits size_t, so the allocation itself fails.
    with pytest.raises(embedding.OutOfMemoryError) as caught:
        embedding.Model.zeros(1 << 40, 1 << 10, 1)
    assert isinstance(caught.value, MemoryError)


def test_overflowing_table_raises_invalid_argument():
    with pytest.raises(embedding.InvalidArgumentError, match="overflows"):
        embedding.Model.zeros(1 << 62, 1 << 10, 1)


def test_close_is_idempotent_and_later_calls_raise(small_model):
    model, _, _ = small_model
    model.close()
    model.close()
    assert model.closed
    assert "closed" in repr(model)
    for call in (lambda: model.forward([1]), lambda: model.vocab_size,
                 lambda: model.token_table, lambda: model.read_row("token", 0),
                 lambda: model.resize_vocab(3), lambda: model.__enter__()):
        with pytest.raises(ValueError, match="closed"):
            call()


def test_context_manager_closes():
    with embedding.Model.zeros(3, 2, 2) as model:
        assert not model.closed
        assert "vocab_size=3" in repr(model)
    assert model.closed


def test_handle_released_after_close_and_gc():
    model = embedding.Model.zeros(3, 2, 2)
    handle = weakref.ref(model._handle)
    model.close()
    gc.collect()
    assert handle() is None


def test_table_view_keeps_model_alive(rng):
    token, position = random_tables(rng, 6, 3, 2)
    model = embedding.Model.from_arrays(token, position)
    view = model.token_table
    handle = weakref.ref(model._handle)
    del model
    gc.collect()
    assert handle() is not None
    assert_bitwise_equal(np.array(view), token)
    del view
    gc.collect()
    assert handle() is None


def test_view_survives_close(rng):
    token, position = random_tables(rng, 6, 3, 2)
    model = embedding.Model.from_arrays(token, position)
    view = model.position_table[1:]
    model.close()
    assert_bitwise_equal(np.array(view), position[1:])


def test_table_views_are_read_only(small_model):
    model, token, _ = small_model
    view = model.token_table
    assert not view.flags.writeable
    with pytest.raises(ValueError):
        view[0, 0] = 1.0
    with pytest.raises(ValueError):
        view.flags.writeable = True
    assert_bitwise_equal(np.array(view), token)


def test_from_arrays_copy_is_independent(rng):
    token, position = random_tables(rng, 6, 3, 4)
    with embedding.Model.from_arrays(token, position) as model:
        original = token.copy()
        token[:] = 0
        assert_bitwise_equal(np.array(model.token_table), original)
        assert model.token_table.ctypes.data != token.ctypes.data


def test_from_arrays_copy_accepts_strided(rng):
    token, position = random_tables(rng, 6, 8, 4)
    with embedding.Model.from_arrays(token[:, ::2], position[:, ::2]) as m:
        assert_bitwise_equal(np.array(m.token_table), token[:, ::2].copy())


def test_from_arrays_borrow_uses_caller_memory(rng):
    token, position = random_tables(rng, 6, 3, 4)
    model = embedding.Model.from_arrays(token, position, copy=False)
    assert model.token_table.ctypes.data == token.ctypes.data
    token_ref = weakref.ref(token.base if token.base is not None else token)
    ids = np.array([[5, 0]], dtype=np.int32)
    expected = reference_forward(token.copy(), position.copy(), ids)
    del token, position
    gc.collect()
    # The model keeps references to the arrays, so they are alive and read.
    assert token_ref() is not None
    assert_bitwise_equal(model.forward(ids), expected)
    with pytest.raises(embedding.ReadOnlyError, match="borrowed") as caught:
        model.write_row("token", 0, np.zeros(3, dtype=np.float32))
    assert caught.value.status == embedding.Status.READ_ONLY
    with pytest.raises(embedding.ReadOnlyError):
        model.resize_vocab(10)
    # The traceback's frames reference the handle too.
    del caught
    model.close()
    gc.collect()
    assert token_ref() is None


def test_from_arrays_borrow_requirements(rng):
    token, position = random_tables(rng, 6, 8, 4)
    with pytest.raises(ValueError, match="C-contiguous"):
        embedding.Model.from_arrays(token[:, ::2], position[:, ::2],
                                    copy=False)
    with pytest.raises(ValueError, match="C-contiguous"):
        embedding.Model.from_arrays(np.asfortranarray(token), position,
                                    copy=False)


def test_from_arrays_errors(rng):
    token, position = random_tables(rng, 6, 3, 4)
    with pytest.raises(TypeError, match="float32"):
        embedding.Model.from_arrays(token.astype(np.float64), position)
    with pytest.raises(TypeError, match="numpy.ndarray"):
        embedding.Model.from_arrays(token.tolist(), position)
    with pytest.raises(ValueError, match="shape"):
        embedding.Model.from_arrays(token.reshape(-1), position)
    with pytest.raises(ValueError, match="columns"):
        embedding.Model.from_arrays(token, position[:, :2].copy())
    with pytest.raises(ValueError, match="required"):
        embedding.Model.from_arrays(token)
    with pytest.raises(ValueError, match="must be None"):
        embedding.Model.from_arrays(token, position,
                                    position_kind="sinusoidal")
    with pytest.raises(ValueError, match="context_length"):
        embedding.Model.from_arrays(token, position_kind="sinusoidal")
    with pytest.raises(ValueError, match="disagrees"):
        embedding.Model.from_arrays(token, position, context_length=5)
    with pytest.raises(ValueError, match="columns"):
        embedding.Model.from_arrays(token, position,
                                    token_type=np.zeros((2, 4), np.float32))
    with pytest.raises(embedding.InvalidArgumentError, match="vocab_size"):
        embedding.Model.from_arrays(np.zeros((0, 3), np.float32), position)


def test_from_arrays_sinusoidal(rng):
    token, _ = random_tables(rng, 6, 4, 1)
    with embedding.Model.from_arrays(token, position_kind="sinusoidal",
                                     context_length=5) as model:
        assert model.position_kind == "sinusoidal"
        assert model.position_table.shape == (5, 4)


def test_read_and_write_row(small_model, rng):
    model, token, position = small_model
    assert_bitwise_equal(model.read_row("token", 5), token[5])
    assert_bitwise_equal(model.read_row("position", 11), position[11])
    values = rng.standard_normal(8, dtype=np.float32)
    model.write_row("token", 5, values)
    assert_bitwise_equal(model.read_row("token", 5), values)
    out = model.forward(np.array([5], dtype=np.int32), start=2)
    assert_bitwise_equal(out[0], values + position[2])


def test_row_errors(small_model):
    model, _, _ = small_model
    with pytest.raises(embedding.IdOutOfRangeError) as caught:
        model.read_row("token", 16)
    assert caught.value.value == 16
    assert caught.value.range == (0, 16)
    with pytest.raises(embedding.IdOutOfRangeError):
        model.write_row("position", -1, np.zeros(8, dtype=np.float32))
    with pytest.raises(embedding.InvalidArgumentError, match="absent"):
        model.read_row("token_type", 0)
    with pytest.raises(ValueError, match="table"):
        model.read_row("segment", 0)
    with pytest.raises(TypeError, match="float32"):
        model.write_row("token", 0, np.zeros(8))
    with pytest.raises(ValueError, match=r"\(8,\)"):
        model.write_row("token", 0, np.zeros(7, dtype=np.float32))


def test_resize_vocab_keeps_rows():
    with embedding.Model.normal(10, 4, 3, seed=9) as model:
        kept = np.array(model.token_table)
        model.resize_vocab(25)
        assert model.vocab_size == 25
        with embedding.Model.normal(25, 4, 3, seed=9) as fresh:
            assert_bitwise_equal(np.array(model.token_table),
                                 np.array(fresh.token_table))
        model.resize_vocab(4)
        assert_bitwise_equal(np.array(model.token_table), kept[:4])
        assert model.forward([3]).shape == (1, 4)
        with pytest.raises(embedding.IdOutOfRangeError):
            model.forward([4])
        with pytest.raises(embedding.InvalidArgumentError, match="positive"):
            model.resize_vocab(0)


def test_resize_vocab_refuses_while_view_alive():
    with embedding.Model.zeros(10, 4, 3) as model:
        view = model.token_table[2:]
        with pytest.raises(BufferError, match="view"):
            model.resize_vocab(20)
        assert model.vocab_size == 10
        # Views of the position table do not block a token-table resize.
        positions = model.position_table
        del view
        gc.collect()
        model.resize_vocab(20)
        assert model.vocab_size == 20
        assert positions.shape == (3, 4)


def test_resize_vocab_padding_rule():
    with embedding.Model.zeros(10, 4, 3, padding_id=8) as model:
        with pytest.raises(embedding.InvalidArgumentError, match="padding"):
            model.resize_vocab(8)


def test_output_count(small_model):
    model, _, _ = small_model
    assert model.output_count(3, 5) == 3 * 5 * 8
    with pytest.raises(embedding.InvalidArgumentError, match="negative"):
        model.output_count(-1, 5)
    with pytest.raises(embedding.InvalidArgumentError, match="overflows"):
        model.output_count(1 << 40, 1 << 22)


def test_versions():
    assert embedding.library_abi_version == embedding.ABI_VERSION == 1
    assert embedding.library_version.count(".") == 2
    assert embedding.__version__.split(".")[0] == "1"
