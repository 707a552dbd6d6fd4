"""Bit-for-bit agreement with PyTorch's embedding lookup plus positions."""

import numpy as np
import pytest

import embedding
from helpers import assert_bitwise_equal, random_tables

torch = pytest.importorskip("torch")
F = torch.nn.functional


@pytest.mark.parametrize("vocab_size, dim, context_length, batch, seq_len", [
    (50, 8, 16, 1, 1),
    (1000, 64, 128, 3, 17),
    (5000, 768, 64, 2, 64),
    (257, 33, 40, 4, 40),
])
@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_matches_torch_embedding(rng, vocab_size, dim, context_length, batch,
                                 seq_len, dtype):
    token, position = random_tables(rng, vocab_size, dim, context_length)
    ids = rng.integers(0, vocab_size, size=(batch, seq_len)).astype(dtype)
    start = int(rng.integers(0, context_length - seq_len + 1))

    with embedding.Model.from_arrays(token, position) as model:
        out = model.forward(ids, start=start)

    expected = (F.embedding(torch.from_numpy(ids), torch.from_numpy(token)) +
                torch.from_numpy(position[start:start + seq_len]))
    assert_bitwise_equal(out, expected.numpy())


def test_matches_torch_modules_with_scale(rng):
    torch.manual_seed(5)
    token_module = torch.nn.Embedding(300, 48)
    position_module = torch.nn.Embedding(32, 48)
    ids = torch.randint(0, 300, (3, 20))
    scale = 48 ** 0.5

    with torch.no_grad():
        expected = (token_module(ids) * scale +
                    position_module(torch.arange(5, 25)))
        token = token_module.weight.numpy()
        position = position_module.weight.numpy()
        with embedding.Model.from_arrays(token, position, copy=False,
                                         scale=scale) as model:
            out = model.forward(ids.numpy(), start=5)
    assert_bitwise_equal(out, expected.numpy())


def test_accepts_torch_tensor_ids(rng):
    token, position = random_tables(rng, 20, 4, 8)
    ids = torch.tensor([[1, 2, 3]])
    with embedding.Model.from_arrays(token, position) as model:
        out = model.forward(ids)
    expected = F.embedding(ids, torch.from_numpy(token)) + \
        torch.from_numpy(position[:3])
    assert_bitwise_equal(out, expected.numpy())


def test_torch_float_ids_rejected(rng):
    token, position = random_tables(rng, 20, 4, 8)
    with embedding.Model.from_arrays(token, position) as model:
        with pytest.raises(TypeError, match="float32"):
            model.forward(torch.tensor([[1.0, 2.0]]))
