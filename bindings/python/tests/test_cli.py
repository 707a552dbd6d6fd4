"""The demo sentences give the same embeddings in Python and in embedding-cli.

Both sides build seeded normal GPT-2 small tables (50257 x 768 tokens,
1024 x 768 positions, seed 0, stddev 0.02), so the outputs must be equal
bit for bit. The program is found through the environment variable
EMBEDDING_CLI, or in $EMB_BUILD_DIR/tools/.
"""

import os
import pathlib
import subprocess

import numpy as np
import pytest

import embedding
from helpers import assert_bitwise_equal

REPOSITORY = pathlib.Path(__file__).resolve().parents[3]
TABLE_ARGUMENTS = ["--vocab", "50257", "--dim", "768", "--context", "1024",
                   "--seed", "0", "--stddev", "0.02"]


def find_cli():
    candidates = [os.environ.get("EMBEDDING_CLI")]
    build_dir = os.environ.get("EMB_BUILD_DIR")
    if build_dir:
        candidates.append(os.path.join(build_dir, "tools", "embedding-cli"))
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    pytest.skip("embedding-cli not found: set EMBEDDING_CLI or EMB_BUILD_DIR "
                "(tried %s)" % [c for c in candidates if c])


def demo_sentences():
    data_dir = pathlib.Path(os.environ.get("EMB_TEST_DATA",
                                           REPOSITORY / "tests" / "data"))
    path = data_dir / "sentences.txt"
    if not path.is_file():
        pytest.skip("%s is missing" % path)
    sentences = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            sentences.append([int(token) for token in line.split()])
    assert sentences, "no id lines in %s" % path
    return sentences


@pytest.fixture(scope="module")
def gpt2_model():
    with embedding.Model.normal(50257, 768, 1024, seed=0,
                                stddev=0.02) as model:
        yield model


def test_demo_sentences_match_cli(tmp_path, gpt2_model):
    cli = find_cli()
    for number, ids in enumerate(demo_sentences()):
        ids_file = tmp_path / ("sentence%d.txt" % number)
        ids_file.write_text(" ".join(str(i) for i in ids) + "\n")
        output = tmp_path / ("sentence%d.npy" % number)
        result = subprocess.run(
            [cli, "--ids", str(ids_file), "--output", str(output), "--quiet",
             "--repeat", "1"] + TABLE_ARGUMENTS,
            capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr

        from_cli = np.load(output)
        assert from_cli.shape == (1, len(ids), 768)
        from_python = gpt2_model.forward(np.array([ids], dtype=np.int64))
        assert_bitwise_equal(from_cli, from_python)


def test_cli_start_matches(tmp_path, gpt2_model):
    cli = find_cli()
    ids = demo_sentences()[0]
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text(" ".join(str(i) for i in ids) + "\n")
    output = tmp_path / "out.npy"
    result = subprocess.run(
        [cli, "--ids", str(ids_file), "--output", str(output), "--quiet",
         "--repeat", "1", "--start", "1000"] + TABLE_ARGUMENTS,
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    from_python = gpt2_model.forward(np.array([ids], dtype=np.int32),
                                     start=1000)
    assert_bitwise_equal(np.load(output), from_python)
