"""Exceptions raised for failed libembedding calls, one class per status.

Each class also derives from the built-in exception that Python code would
catch for the same problem, so ``except IndexError`` catches a token id out
of range and ``except OSError`` catches a failed file operation.
"""

import enum

from . import _native


class Status(enum.IntEnum):
    """Status codes of the C API (emb_status). Values never change."""

    OK = _native.OK
    INVALID_ARGUMENT = _native.ERR_INVALID_ARGUMENT
    ID_OUT_OF_RANGE = _native.ERR_ID_OUT_OF_RANGE
    POSITION_OUT_OF_RANGE = _native.ERR_POSITION_OUT_OF_RANGE
    OUT_OF_MEMORY = _native.ERR_OUT_OF_MEMORY
    UNSUPPORTED = _native.ERR_UNSUPPORTED
    READ_ONLY = _native.ERR_READ_ONLY
    IO = _native.ERR_IO
    FORMAT = _native.ERR_FORMAT
    NOT_FOUND = _native.ERR_NOT_FOUND
    SHAPE_MISMATCH = _native.ERR_SHAPE_MISMATCH


class EmbeddingError(Exception):
    """A libembedding call failed.

    Attributes mirror struct emb_error. A detail the library did not report
    is None:

    status       the Status (an int for codes newer than this binding)
    message      the library's English detail
    index        flat index of the offending element of the input array
    batch_index  its row b
    seq_index    its column t
    value        the offending value
    range        the valid range as (begin, end), end excluded
    os_error     errno of a failed system call
    """

    def __init__(self, status, message, index=None, batch_index=None,
                 seq_index=None, value=None, range=None, os_error=None):
        super().__init__(message)
        try:
            self.status = Status(status)
        except ValueError:
            self.status = status
        self.message = message
        self.index = index
        self.batch_index = batch_index
        self.seq_index = seq_index
        self.value = value
        self.range = range
        self.os_error = os_error

    def __str__(self):
        return self.message

    def __repr__(self):
        return "%s(status=%r, message=%r)" % (
            type(self).__name__, self.status, self.message)


class InvalidArgumentError(EmbeddingError, ValueError):
    """A NULL pointer, bad size, too small buffer or overflowing size."""


class IdOutOfRangeError(EmbeddingError, IndexError):
    """A token id or token-type id outside the rows of its table."""


class PositionOutOfRangeError(EmbeddingError, IndexError):
    """A position outside [0, context_length)."""


class OutOfMemoryError(EmbeddingError, MemoryError):
    """The library could not allocate memory."""


class UnsupportedError(EmbeddingError, ValueError):
    """A valid value that this library version does not implement."""


class ReadOnlyError(EmbeddingError):
    """The operation would modify a borrowed or memory-mapped table."""


class EmbeddingIOError(EmbeddingError, OSError):
    """An operating-system call failed, and ``errno`` is its error number."""

    def __init__(self, *args, **kwargs):
        EmbeddingError.__init__(self, *args, **kwargs)
        self.errno = self.os_error
        self.strerror = self.message


class FormatError(EmbeddingError, ValueError):
    """A weights file is malformed."""


class TensorNotFoundError(EmbeddingError, LookupError):
    """A requested tensor is not in the weights file."""


class ShapeMismatchError(EmbeddingError, ValueError):
    """Tensor shapes disagree."""


_CLASSES = {
    Status.INVALID_ARGUMENT: InvalidArgumentError,
    Status.ID_OUT_OF_RANGE: IdOutOfRangeError,
    Status.POSITION_OUT_OF_RANGE: PositionOutOfRangeError,
    Status.OUT_OF_MEMORY: OutOfMemoryError,
    Status.UNSUPPORTED: UnsupportedError,
    Status.READ_ONLY: ReadOnlyError,
    Status.IO: EmbeddingIOError,
    Status.FORMAT: FormatError,
    Status.NOT_FOUND: TensorNotFoundError,
    Status.SHAPE_MISMATCH: ShapeMismatchError,
}


def status_message(status):
    """Return the library's static description of a status code."""
    return _native.lib.emb_status_message(status).decode("utf-8")


def from_native(status, error):
    """Build the exception for a failed call from its emb_error struct."""
    message = error.message.decode("utf-8", errors="replace")
    if not message:
        message = status_message(status)
    details = {}
    if error.fields & _native.ERROR_HAS_INDEX:
        details["index"] = error.index
        details["batch_index"] = error.batch_index
        details["seq_index"] = error.seq_index
    if error.fields & _native.ERROR_HAS_VALUE:
        details["value"] = error.value
    if error.fields & _native.ERROR_HAS_RANGE:
        details["range"] = (error.range_begin, error.range_end)
    if error.fields & _native.ERROR_HAS_OS_ERROR:
        details["os_error"] = error.os_error
    cls = _CLASSES.get(status, EmbeddingError)
    return cls(status, message, **details)
