"""Concurrent use of one Model from many Python threads."""

import threading

import numpy as np

import embedding
from helpers import random_tables, reference_forward

THREADS = 8
ROUNDS = 40


def run_threads(target, count):
    failures = []

    def guarded(index):
        try:
            target(index)
        except BaseException as exc:  # reported by the main thread
            failures.append((index, exc))

    threads = [threading.Thread(target=guarded, args=(i,))
               for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures


def test_forward_from_eight_threads(rng):
    token, position = random_tables(rng, 500, 64, 96)
    model = embedding.Model.from_arrays(token, position, num_threads=2)
    seeds = rng.integers(0, 1 << 32, size=THREADS)

    def work(index):
        local = np.random.default_rng(int(seeds[index]))
        out = np.empty((4, 32, 64), dtype=np.float32)
        for _ in range(ROUNDS):
            dtype = np.int32 if local.integers(2) else np.int64
            ids = local.integers(0, 500, size=(4, 32)).astype(dtype)
            start = int(local.integers(0, 96 - 32 + 1))
            model.forward(ids, start=start, out=out)
            expected = reference_forward(token, position, ids, start)
            if not np.array_equal(out.view(np.uint32),
                                  expected.view(np.uint32)):
                raise AssertionError("thread %d: wrong result at start %d" %
                                     (index, start))

    run_threads(work, THREADS)
    model.close()


def test_large_forward_from_threads(rng):
    # Outputs above 1 MiB take the library's multi-threaded path.
    token, position = random_tables(rng, 2000, 256, 512)
    model = embedding.Model.from_arrays(token, position)
    ids = rng.integers(0, 2000, size=(4, 512)).astype(np.int64)
    expected = reference_forward(token, position, ids)

    def work(index):
        for _ in range(3):
            out = model.forward(ids)
            if not np.array_equal(out, expected):
                raise AssertionError("thread %d: wrong result" % index)

    run_threads(work, 4)


def test_write_row_never_interleaves_with_forward():
    dim = 4096
    model = embedding.Model.zeros(4, dim, 1)
    stop = threading.Event()

    def writer(index):
        try:
            for value in range(1, 200):
                row = np.full(dim, value, dtype=np.float32)
                model.write_row("token", 2, row)
        finally:
            stop.set()

    def reader(index):
        ids = np.array([2], dtype=np.int32)
        while not stop.is_set():
            out = model.forward(ids)
            # A row written while this forward copied it would mix values.
            if not (out == out[0, 0]).all():
                raise AssertionError("forward saw a half-written row")

    def role(index):
        (writer if index == 0 else reader)(index)

    run_threads(role, 4)
    assert (model.read_row("token", 2) == 199).all()


def test_close_while_other_threads_forward(rng):
    token, position = random_tables(rng, 100, 32, 64)
    model = embedding.Model.from_arrays(token, position)
    ids = rng.integers(0, 100, size=(2, 64)).astype(np.int32)
    expected = reference_forward(token, position, ids)
    started = threading.Barrier(5)

    def work(index):
        started.wait()
        if index == 0:
            model.close()
            return
        for _ in range(50):
            try:
                out = model.forward(ids)
            except ValueError as exc:
                assert "closed" in str(exc)
                return
            assert np.array_equal(out, expected)

    run_threads(work, 5)
    assert model.closed
