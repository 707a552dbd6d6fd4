"""Argument checks and conversions done before any C call.

The C library trusts the sizes it is given, so every array handed to it is
checked here for dtype, shape, layout and alignment. Integers are range
checked because ctypes would silently wrap an out-of-range Python int.
"""

import math
import operator

import numpy as np

INT32_RANGE = (-(1 << 31), (1 << 31) - 1)
INT64_RANGE = (-(1 << 63), (1 << 63) - 1)
UINT64_RANGE = (0, (1 << 64) - 1)

ID_DTYPES = (np.dtype(np.int32), np.dtype(np.int64))


def integer(name, value, bounds=INT64_RANGE):
    """Return value as a Python int inside bounds (both ends included)."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError("%s must be an integer, got bool" % name)
    try:
        number = operator.index(value)
    except TypeError:
        raise TypeError("%s must be an integer, got %s" %
                        (name, type(value).__name__)) from None
    if not bounds[0] <= number <= bounds[1]:
        raise OverflowError("%s = %d is outside [%d, %d]" %
                            (name, number, bounds[0], bounds[1]))
    return number


def real(name, value):
    """Return value as a Python float."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (int, float, np.integer, np.floating)):
        raise TypeError("%s must be a real number, got %s" %
                        (name, type(value).__name__))
    return float(value)


def float32(name, value):
    """Return value as a float that fits float32 without overflowing."""
    number = real(name, value)
    with np.errstate(over="ignore"):
        narrowed = float(np.float32(number))
    if math.isfinite(number) and not math.isfinite(narrowed):
        raise OverflowError("%s = %r overflows float32" % (name, number))
    return number


def choice(name, value, choices):
    """Return the C constant for a string option such as kernel='blas'."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError("%s must be one of %s, got %r" %
                         (name, ", ".join(repr(c) for c in choices), value))
    return choices[value]


def _describe(dtype):
    if dtype.kind == "b":
        return "bool"
    if dtype.byteorder not in ("=", "|") and dtype.newbyteorder("=") in (
            ID_DTYPES + (np.dtype(np.float32),)):
        return "%s (non-native byte order)" % dtype.str
    return str(dtype)


def ids_array(name, value):
    """Return an int32 or int64 C-contiguous array of rank 1 or 2.

    NumPy arrays are used as they are, without a copy or a cast. Other
    sequences (lists, tuples, objects with __array__) go through
    np.asarray, and an empty list becomes an empty int64 array.
    """
    if isinstance(value, np.ndarray):
        array = value
    else:
        array = np.asarray(value)
        if array.size == 0 and array.dtype == np.float64:
            array = np.zeros(array.shape, dtype=np.int64)
    if array.dtype not in ID_DTYPES or array.dtype.byteorder == ">":
        raise TypeError(
            "%s must have dtype int32 or int64, got %s; convert explicitly "
            "(e.g. %s.astype(np.int64)) after checking the values are token "
            "ids" % (name, _describe(array.dtype), name))
    if array.ndim not in (1, 2):
        raise ValueError("%s must have shape [seq_len] or [batch, seq_len], "
                         "got shape %s" % (name, array.shape))
    if not array.flags.c_contiguous:
        raise ValueError("%s must be C-contiguous; pass "
                         "np.ascontiguousarray(%s)" % (name, name))
    if not array.flags.aligned:
        raise ValueError("%s is not aligned to its dtype; pass a copy "
                         "(%s.copy())" % (name, name))
    return array


def companion_ids(name, value, ids):
    """Check position or token-type ids against the token ids they go with.

    They must have the same dtype and shape as ids, because the C call
    takes all three as one integer type. None stays None.
    """
    if value is None:
        return None
    array = ids_array(name, value)
    if array.dtype != ids.dtype:
        raise TypeError("%s has dtype %s but ids has dtype %s; both must "
                        "have the same dtype" % (name, array.dtype, ids.dtype))
    if array.shape != ids.shape:
        raise ValueError("%s has shape %s but ids has shape %s; both must "
                         "have the same shape" % (name, array.shape,
                                                  ids.shape))
    return array


def output_array(out, shape):
    """Check a caller's output array: float32, exact shape, writable."""
    if not isinstance(out, np.ndarray):
        raise TypeError("out must be a numpy.ndarray, got %s" %
                        type(out).__name__)
    if out.dtype != np.float32 or out.dtype.byteorder == ">":
        raise TypeError("out must have dtype float32, got %s" %
                        _describe(out.dtype))
    if out.shape != shape:
        raise ValueError("out has shape %s but this call writes shape %s" %
                         (out.shape, shape))
    if not out.flags.c_contiguous:
        raise ValueError("out must be C-contiguous")
    if not out.flags.writeable:
        raise ValueError("out is read-only")
    if not out.flags.aligned:
        raise ValueError("out is not aligned to float32")
    return out


def float_table(name, value, copy):
    """Check a 2-D float32 table given to Model.from_arrays.

    With copy=True any strides are accepted (a contiguous copy is made if
    needed, never a dtype cast). With copy=False the array is used in place
    and must already be C-contiguous and aligned.
    """
    if not isinstance(value, np.ndarray):
        raise TypeError("%s must be a numpy.ndarray of float32, got %s" %
                        (name, type(value).__name__))
    if value.dtype != np.float32 or value.dtype.byteorder == ">":
        raise TypeError("%s must have dtype float32, got %s; convert it with "
                        "%s.astype(np.float32)" %
                        (name, _describe(value.dtype), name))
    if value.ndim != 2:
        raise ValueError("%s must have shape [rows, dim], got shape %s" %
                         (name, value.shape))
    if copy:
        return np.ascontiguousarray(value)
    if not value.flags.c_contiguous:
        raise ValueError("%s must be C-contiguous to be borrowed "
                         "(copy=False); pass np.ascontiguousarray(%s) or "
                         "use copy=True" % (name, name))
    if not value.flags.aligned:
        raise ValueError("%s is not aligned to float32 and cannot be "
                         "borrowed; use copy=True" % name)
    return value


def row_values(values, dim):
    """Check the values of Model.write_row: float32, shape [dim]."""
    if not isinstance(values, np.ndarray):
        raise TypeError("values must be a numpy.ndarray of float32, got %s" %
                        type(values).__name__)
    if values.dtype != np.float32 or values.dtype.byteorder == ">":
        raise TypeError("values must have dtype float32, got %s; convert it "
                        "with values.astype(np.float32)" %
                        _describe(values.dtype))
    if values.shape != (dim,):
        raise ValueError("values must have shape (%d,), got %s" %
                         (dim, values.shape))
    return np.ascontiguousarray(values)
