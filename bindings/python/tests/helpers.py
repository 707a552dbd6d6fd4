"""Reference computations and assertions shared by the binding tests."""

import numpy as np


def reference_forward(token, position, ids, start=0, scale=None,
                      position_ids=None, token_type=None,
                      token_type_ids=None):
    """Compute the forward pass with NumPy float32 arithmetic.

    Each element is one float32 multiply (with a scale) and float32 adds in
    the order of the C contract, so results must match bit for bit.
    """
    ids = np.asarray(ids)
    rows = token[ids]
    if scale is not None:
        rows = np.float32(scale) * rows
    if position is not None:
        if position_ids is not None:
            rows = rows + position[np.asarray(position_ids)]
        else:
            seq_len = ids.shape[-1]
            rows = rows + position[start:start + seq_len]
    if token_type_ids is not None:
        rows = rows + token_type[np.asarray(token_type_ids)]
    return rows.astype(np.float32)


def random_tables(rng, vocab_size, dim, context_length):
    token = rng.standard_normal((vocab_size, dim), dtype=np.float32)
    position = rng.standard_normal((context_length, dim), dtype=np.float32)
    return token, position


def assert_bitwise_equal(actual, expected):
    """Assert identical float32 bits and report the worst element."""
    assert actual.shape == expected.shape
    assert actual.dtype == np.float32
    assert expected.dtype == np.float32
    same = actual.view(np.uint32) == expected.view(np.uint32)
    if not same.all():
        diff = np.abs(actual.astype(np.float64) - expected.astype(np.float64))
        worst = np.unravel_index(np.argmax(diff), diff.shape)
        raise AssertionError(
            "%d of %d elements differ; worst at %s: %r != %r" %
            ((~same).sum(), same.size, worst, actual[worst], expected[worst]))
