"""Position ids of left-padded batches from their attention masks."""

import ctypes

import numpy as np

from . import _checks, _native
from ._handle import check, new_error

_lib = _native.lib


def positions_from_mask(mask, start=0, dtype=np.int64):
    """Return position ids for a left-padded batch from its attention mask.

    mask is a bool or uint8 array [B, T] or [T] of 0 (padding) and 1 (real
    token). The k-th real token of a row gets position start + k, padding
    gets 0. dtype is np.int32 or np.int64; the result has mask's shape.
    """
    if not isinstance(mask, np.ndarray):
        raise TypeError("mask must be a numpy.ndarray of bool or uint8, got "
                        "%s" % type(mask).__name__)
    if mask.dtype not in (np.dtype(np.bool_), np.dtype(np.uint8)):
        raise TypeError("mask must have dtype bool or uint8, got %s" %
                        mask.dtype)
    if mask.ndim not in (1, 2):
        raise ValueError("mask must have shape [seq_len] or [batch, seq_len],"
                         " got shape %s" % (mask.shape,))
    dtype = np.dtype(dtype)
    if dtype not in _checks.ID_DTYPES:
        raise TypeError("dtype must be np.int32 or np.int64, got %s" % dtype)
    start = _checks.integer("start", start)
    mask = np.ascontiguousarray(mask).view(np.uint8)
    batch, seq_len = (1,) + mask.shape if mask.ndim == 1 else mask.shape

    positions = np.empty(mask.shape, dtype=dtype)
    function = (_lib.emb_positions_from_mask_i64 if dtype == np.int64
                else _lib.emb_positions_from_mask_i32)
    error = new_error()
    check(function(mask.ctypes.data, batch, seq_len, start,
                    positions.ctypes.data, positions.size,
                    ctypes.byref(error)), error)
    return positions
