"""Mapping of every C status code to its exception class and details."""

import errno

import pytest

import embedding
from embedding import _native, errors

CASES = [
    (embedding.Status.INVALID_ARGUMENT, embedding.InvalidArgumentError,
     ValueError),
    (embedding.Status.ID_OUT_OF_RANGE, embedding.IdOutOfRangeError,
     IndexError),
    (embedding.Status.POSITION_OUT_OF_RANGE,
     embedding.PositionOutOfRangeError, IndexError),
    (embedding.Status.OUT_OF_MEMORY, embedding.OutOfMemoryError, MemoryError),
    (embedding.Status.UNSUPPORTED, embedding.UnsupportedError, ValueError),
    (embedding.Status.READ_ONLY, embedding.ReadOnlyError,
     embedding.EmbeddingError),
    (embedding.Status.IO, embedding.EmbeddingIOError, OSError),
    (embedding.Status.FORMAT, embedding.FormatError, ValueError),
    (embedding.Status.NOT_FOUND, embedding.TensorNotFoundError, LookupError),
    (embedding.Status.SHAPE_MISMATCH, embedding.ShapeMismatchError,
     ValueError),
]


def native_error(status, message=b"", fields=0, **values):
    error = _native.Error()
    _native.lib.emb_error_init(error)
    error.status = status
    error.fields = fields
    error.message = message
    for name, value in values.items():
        setattr(error, name, value)
    return error


def test_status_values_match_header():
    assert [int(s) for s in embedding.Status] == list(range(11))


@pytest.mark.parametrize("status, cls, builtin", CASES)
def test_status_maps_to_class(status, cls, builtin):
    error = errors.from_native(int(status), native_error(status, b"detail"))
    assert type(error) is cls
    assert isinstance(error, embedding.EmbeddingError)
    assert isinstance(error, builtin)
    assert error.status is status
    assert str(error) == "detail"
    assert status.name in repr(error)
    assert error.index is None
    assert error.value is None
    assert error.range is None
    assert error.os_error is None


@pytest.mark.parametrize("status, cls, builtin", CASES)
def test_empty_message_uses_status_message(status, cls, builtin):
    error = errors.from_native(int(status), native_error(status))
    assert str(error) == embedding.status_message(int(status))
    assert str(error) != "unknown status"


def test_element_details():
    fields = (_native.ERROR_HAS_INDEX | _native.ERROR_HAS_VALUE |
              _native.ERROR_HAS_RANGE)
    error = errors.from_native(2, native_error(
        2, b"bad id", fields, index=7, batch_index=1, seq_index=3, value=-4,
        range_begin=0, range_end=50))
    assert (error.index, error.batch_index, error.seq_index) == (7, 1, 3)
    assert error.value == -4
    assert error.range == (0, 50)


def test_os_error_details():
    error = errors.from_native(7, native_error(
        7, b"cannot open /x", _native.ERROR_HAS_OS_ERROR,
        os_error=errno.ENOENT))
    assert error.os_error == errno.ENOENT
    assert error.errno == errno.ENOENT
    assert str(error) == "cannot open /x"


def test_unknown_status_gives_base_class():
    error = errors.from_native(99, native_error(99))
    assert type(error) is embedding.EmbeddingError
    assert error.status == 99
    assert str(error) == "unknown status"


def test_exceptions_can_be_raised_and_caught():
    with pytest.raises(IndexError):
        raise errors.from_native(3, native_error(3, b"position"))
