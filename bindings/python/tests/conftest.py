"""Shared fixtures of the Python binding tests.

The tests run against whatever libembedding the package loads (see
embedding._native); tests/bindings_python_test.sh points it at a freshly
installed prefix.
"""

import numpy as np
import pytest

import embedding
from helpers import random_tables


@pytest.fixture
def rng():
    return np.random.default_rng(20240601)


@pytest.fixture
def small_model(rng):
    """A copied 16 x 8 token table and 12 x 8 position table."""
    token, position = random_tables(rng, 16, 8, 12)
    with embedding.Model.from_arrays(token, position) as model:
        yield model, token, position
