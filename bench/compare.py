#!/usr/bin/python3
"""Compare libembedding with NumPy and PyTorch on the embedding-bench cases.

One invocation runs build/bench/embedding-bench --json, then the same cases
(same shapes, same token ids, same thread counts, same number of timed calls)
through

  NumPy            tok[ids] + pos[start:start + T]
  PyTorch          F.embedding(ids, tok) + pos[start:start + T]
  PyTorch prealloc torch.index_select(tok, 0, ids, out=out); out.add_(pos)

and prints the medians side by side with the ratios of each baseline's time
to libembedding's (above 1 means libembedding is faster) and libembedding's
bandwidth as a fraction of the memcpy bandwidth measured by embedding-bench
in its own process. It also writes the batch-size sweep that bench/plot.py
draws.

Each baseline runs in its own child process, so one library's thread pool and
memory do not disturb the next. NumPy's child runs without OPENBLAS_CORETYPE
and OPENBLAS_L2_SIZE, which slow NumPy down on this kind of VM when set.
NumPy's indexing is single-threaded, so its time is measured once per case
and shown for every thread count.

Needs python3-numpy and python3-torch (Debian packages).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NUMPY_ENV_DROPPED = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
IDLE_SLEEP_S = 0.1

# Targets of docs/benchmarks.md: (case, what, comparison, bound).
TARGETS = [
    ("gpt2_batch", "PyTorch time / libembedding time", ">=", 3.5),
    ("gpt2_batch", "PyTorch prealloc time / libembedding time", ">=", 1.5),
    ("gpt3_width", "PyTorch time / libembedding time", ">=", 7.0),
    ("gpt3_width", "PyTorch prealloc time / libembedding time", ">=", 2.0),
    ("gpt3_width", "libembedding bandwidth / memcpy bandwidth", ">=", 0.9),
    ("decode_step", "libembedding time / PyTorch time", "<=", 0.4),
    ("decode_step", "first call after 100 ms idle / median", "<=", 3.0),
]


# --------------------------------------------------------------------------
# Inputs shared by every child: the ids of embedding-bench and cheap tables.
# --------------------------------------------------------------------------

def splitmix64_ids(seed, count, vocab):
    """Return the token ids of embedding-bench's fill_ids as int64 values."""
    import numpy as np

    mask = np.uint64(0xFFFFFFFFFFFFFFFF)
    steps = np.arange(1, count + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = (np.uint64(seed) + steps * np.uint64(0x9E3779B97F4A7C15)) & mask
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
        ids = ((z >> np.uint64(32)) * np.uint64(vocab)) >> np.uint64(32)
    return ids.astype(np.int64)


def make_table(rows, dim, seed):
    """Return a [rows, dim] float32 table with every page written.

    A 1024-row random block is tiled over the table: writing at memcpy speed
    matters for the 2.5 GB GPT-3 table, and the values do not change the
    timing. np.zeros would leave pages unwritten, and reads of those all hit
    the kernel's shared zero page, which would fake the bandwidth.
    """
    import numpy as np

    table = np.empty((rows, dim), dtype=np.float32)
    block = np.random.default_rng(seed).standard_normal(
        (min(rows, 1024), dim), dtype=np.float32)
    for begin in range(0, rows, block.shape[0]):
        end = min(rows, begin + block.shape[0])
        table[begin:end] = block[:end - begin]
    return table


def time_calls(call, reps, warmup=3):
    """Return the list of wall times, in seconds, of `reps` calls."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(reps):
        begin = time.perf_counter()
        call()
        samples.append(time.perf_counter() - begin)
    return samples


def time_after_idle(call, trials):
    """Return wall times of calls that each follow IDLE_SLEEP_S of sleep."""
    samples = []
    for _ in range(trials):
        time.sleep(IDLE_SLEEP_S)
        begin = time.perf_counter()
        call()
        samples.append(time.perf_counter() - begin)
    return samples


def summary(samples):
    return {"median_s": statistics.median(samples), "min_s": min(samples),
            "max_s": max(samples)}


# --------------------------------------------------------------------------
# Child processes
# --------------------------------------------------------------------------

def numpy_calls(tok, pos, ids, start, seq_len):
    def plain():
        return tok[ids] + pos[start:start + seq_len]
    return {"numpy": plain}


def torch_calls(tok, pos, ids, start, seq_len):
    import torch
    import torch.nn.functional as F

    tok_t = torch.from_numpy(tok)
    pos_t = torch.from_numpy(pos)
    ids_t = torch.from_numpy(ids)
    flat_ids = ids_t.reshape(-1)
    batch = ids.shape[0]
    out = torch.empty((batch, seq_len, tok.shape[1]), dtype=torch.float32)
    out_rows = out.view(-1, tok.shape[1])
    pos_rows = pos_t[start:start + seq_len]

    def plain():
        return F.embedding(ids_t, tok_t) + pos_rows

    def preallocated():
        torch.index_select(tok_t, 0, flat_ids, out=out_rows)
        out.add_(pos_rows)
        return out

    out.zero_()
    return {"torch": plain, "torch_prealloc": preallocated}


def run_child(kind, spec):
    """Measure every case and sweep point of `spec` with NumPy or PyTorch."""
    import numpy as np

    if kind == "torch":
        import torch
        make_calls = torch_calls
    else:
        make_calls = numpy_calls
    results = []
    sweep = []

    def set_threads(threads):
        if kind == "torch":
            torch.set_num_threads(threads)

    for case in spec["cases"]:
        tok = make_table(case["vocab"], case["dim"], 1)
        pos = make_table(case["context"], case["dim"], 2)
        ids = splitmix64_ids(spec["ids_seed"], case["batch"] * case["seq_len"],
                             case["vocab"]).reshape(case["batch"],
                                                    case["seq_len"])
        calls = make_calls(tok, pos, ids, case["start"], case["seq_len"])
        # NumPy does not use threads here: one measurement serves all.
        thread_counts = case["threads"] if kind == "torch" else [1]
        for threads in thread_counts:
            set_threads(threads)
            for name, call in calls.items():
                samples = time_calls(call, case["reps"])
                idle = time_after_idle(call, case["idle_trials"])
                results.append({"case": case["case"], "threads": threads,
                                "baseline": name, "time": summary(samples),
                                "idle_first_call": summary(idle)})
        del tok, pos, calls

    if spec["sweep"]:
        point = spec["sweep"][0]
        max_batch = max(p["batch"] for p in spec["sweep"])
        tok = make_table(spec["sweep_vocab"], point["dim"], 1)
        pos = make_table(spec["sweep_context"], point["dim"], 2)
        all_ids = splitmix64_ids(spec["ids_seed"],
                                 max_batch * point["seq_len"],
                                 spec["sweep_vocab"]).reshape(
                                     max_batch, point["seq_len"])
        for point in spec["sweep"]:
            ids = np.ascontiguousarray(all_ids[:point["batch"]])
            calls = make_calls(tok, pos, ids, 0, point["seq_len"])
            set_threads(point["threads"])
            for name, call in calls.items():
                samples = time_calls(call, spec["sweep_reps"])
                sweep.append({"batch": point["batch"], "baseline": name,
                              "threads": point["threads"],
                              "time": summary(samples)})
    return {"results": results, "sweep": sweep}


def spawn_child(kind, spec):
    env = dict(os.environ)
    if kind == "numpy":
        for name in NUMPY_ENV_DROPPED:
            env.pop(name, None)
    with tempfile.TemporaryDirectory() as scratch:
        spec_path = os.path.join(scratch, "spec.json")
        out_path = os.path.join(scratch, "out.json")
        with open(spec_path, "w") as f:
            json.dump(spec, f)
        subprocess.run([sys.executable, os.path.abspath(__file__),
                        "--child", kind, "--child-spec", spec_path,
                        "--child-out", out_path], env=env, check=True)
        with open(out_path) as f:
            return json.load(f)


# --------------------------------------------------------------------------
# Parent: run everything, print the comparison, write the sweep.
# --------------------------------------------------------------------------

def run_bench(args):
    with tempfile.TemporaryDirectory() as scratch:
        json_path = os.path.join(scratch, "bench.json")
        command = [args.bench, "--json", json_path]
        if args.quick:
            command.append("--quick")
        print("$ " + " ".join(command), flush=True)
        subprocess.run(command, check=True)
        with open(json_path) as f:
            return json.load(f)


def make_spec(bench):
    cases = {}
    for r in bench["results"]:
        case = cases.setdefault(r["case"], {
            "case": r["case"], "vocab": r["vocab"], "dim": r["dim"],
            "context": r["context"], "batch": r["batch"],
            "seq_len": r["seq_len"], "start": r["start"], "reps": r["reps"],
            "idle_trials": r["idle_trials"], "threads": []})
        if r["threads"] not in case["threads"]:
            case["threads"].append(r["threads"])
    first = next(iter(cases.values()), None)
    return {
        "ids_seed": bench["ids_seed"],
        "cases": list(cases.values()),
        "sweep": [{"batch": p["batch"], "seq_len": p["seq_len"],
                   "dim": p["dim"], "threads": p["threads"]}
                  for p in bench["sweep"]],
        # The sweep reuses the GPT-2 shape of the first case.
        "sweep_vocab": first["vocab"] if first else 0,
        "sweep_context": first["context"] if first else 0,
        "sweep_reps": 20 if not bench["quick"] else 3,
    }


def format_time(seconds):
    if seconds < 1e-3:
        return "%.1f us" % (seconds * 1e6)
    return "%.3f ms" % (seconds * 1e3)


def lookup(rows, **keys):
    for row in rows:
        if all(row.get(k) == v for k, v in keys.items()):
            return row
    return None


def compare(bench, baselines):
    """Return one row per (case, threads) with times and ratios."""
    table = []
    for r in bench["results"]:
        if r["kernel"] != "fused":
            continue
        lib = r["time"]["median_s"]
        row = {"case": r["case"], "threads": r["threads"],
               "libembedding_s": lib,
               "memcpy_s": r["memcpy_time"]["median_s"],
               "libembedding_idle_s": r["idle_first_call"]["median_s"],
               "bandwidth_gbs": r["bytes"] / lib * 1e-9,
               "vs_memcpy": r["memcpy_time"]["median_s"] / lib}
        blas = lookup(bench["results"], case=r["case"], threads=r["threads"],
                      kernel="blas")
        if blas:
            row["blas_s"] = blas["time"]["median_s"]
        for name in ("numpy", "torch", "torch_prealloc"):
            threads = 1 if name == "numpy" else r["threads"]
            other = lookup(baselines, case=r["case"], threads=threads,
                           baseline=name)
            if other:
                row[name + "_s"] = other["time"]["median_s"]
                row[name + "_idle_s"] = other["idle_first_call"]["median_s"]
                row[name + "_ratio"] = other["time"]["median_s"] / lib
        table.append(row)
    return table


def print_comparison(table):
    columns = [("libemb", "libembedding_s"), ("blas", "blas_s"),
               ("memcpy", "memcpy_s"), ("numpy", "numpy_s"),
               ("torch", "torch_s"), ("prealloc", "torch_prealloc_s")]
    print("\nMedian time per call (libemb = fused kernel; memcpy of the same "
          "byte count):")
    print("%-12s %3s " % ("case", "thr") +
          " ".join("%11s" % name for name, _ in columns) +
          "  %7s %7s %7s %7s" % ("np/lib", "pt/lib", "pre/lib", "lib/cpy"))
    for row in table:
        cells = [format_time(row[key]) if key in row else "-"
                 for _, key in columns]
        ratios = ["%7.2f" % row[k] if k in row else "%7s" % "-"
                  for k in ("numpy_ratio", "torch_ratio",
                            "torch_prealloc_ratio", "vs_memcpy")]
        print("%-12s %3d " % (row["case"], row["threads"]) +
              " ".join("%11s" % c for c in cells) + "  " + " ".join(ratios))


def check_targets(table, bench):
    """Print each target of TARGETS at the highest thread count."""
    max_threads = max(row["threads"] for row in table)
    print("\nTargets at %d threads (one run):" % max_threads)
    verdicts = []
    for case, what, comparison, bound in TARGETS:
        row = lookup(table, case=case, threads=max_threads)
        if row is None:
            continue
        if what.startswith("PyTorch prealloc"):
            value = row.get("torch_prealloc_ratio")
        elif what.startswith("PyTorch"):
            value = row.get("torch_ratio")
        elif what.startswith("libembedding bandwidth"):
            value = row["vs_memcpy"]
        elif what.startswith("libembedding time"):
            value = 1 / row["torch_ratio"] if "torch_ratio" in row else None
        else:
            value = row["libembedding_idle_s"] / row["libembedding_s"]
        if value is None:
            continue
        met = value >= bound if comparison == ">=" else value <= bound
        verdicts.append({"case": case, "what": what, "value": value,
                         "target": "%s %g" % (comparison, bound), "met": met})
        print("  %-12s %-44s %7.2f  target %s %-4g %s" %
              (case, what, value, comparison, bound, "met" if met else
               "MISSED"))
    allocations = max(r["allocations_per_call"] for r in bench["results"])
    print("  heap allocations per forward call (max over runs): %g" %
          allocations)
    for m in bench["memory"]:
        print("  %-12s table RSS / (V*D*4 + C*D*4): %.4f (THP %.0f%%)" %
              (m["case"], m["resident_growth_bytes"] / m["table_bytes"],
               100.0 * m["anon_huge_growth_bytes"] / m["table_bytes"]))
    return verdicts


def sweep_data(bench, baselines):
    points = []
    for p in bench["sweep"]:
        entry = {"batch": p["batch"], "seq_len": p["seq_len"],
                 "dim": p["dim"], "threads": p["threads"], "bytes": p["bytes"],
                 "libembedding_s": p["time"]["median_s"],
                 "memcpy_s": p["memcpy_time"]["median_s"]}
        for name in ("numpy", "torch", "torch_prealloc"):
            other = lookup(baselines, batch=p["batch"], baseline=name)
            if other:
                entry[name + "_s"] = other["time"]["median_s"]
        points.append(entry)
    return points


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bench", default=os.path.join(
        REPO, "build", "bench", "embedding-bench"),
        help="embedding-bench program (default: build/bench/embedding-bench)")
    parser.add_argument("--quick", action="store_true",
                        help="small shapes and few calls (a smoke test)")
    parser.add_argument("--json", metavar="FILE",
                        help="write every measurement and ratio to FILE")
    parser.add_argument("--sweep-json", metavar="FILE",
                        default="benchmark_sweep.json",
                        help="where to write the sweep for bench/plot.py "
                             "(default: %(default)s)")
    parser.add_argument("--skip-numpy", action="store_true")
    parser.add_argument("--skip-torch", action="store_true")
    parser.add_argument("--child", choices=("numpy", "torch"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--child-spec", help=argparse.SUPPRESS)
    parser.add_argument("--child-out", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        with open(args.child_spec) as f:
            spec = json.load(f)
        with open(args.child_out, "w") as f:
            json.dump(run_child(args.child, spec), f)
        return 0

    bench = run_bench(args)
    spec = make_spec(bench)
    baselines = {"results": [], "sweep": []}
    for kind, skip in (("numpy", args.skip_numpy), ("torch", args.skip_torch)):
        if skip:
            continue
        print("running the %s baseline" % kind, flush=True)
        child = spawn_child(kind, spec)
        baselines["results"] += child["results"]
        baselines["sweep"] += child["sweep"]

    table = compare(bench, baselines["results"])
    print_comparison(table)
    verdicts = check_targets(table, bench)
    sweep = sweep_data(bench, baselines["sweep"])
    with open(args.sweep_json, "w") as f:
        json.dump({"case": "gpt2 shape, batch sweep", "points": sweep}, f,
                  indent=1)
    print("\nsweep written to %s" % args.sweep_json)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"bench": bench, "baselines": baselines,
                       "comparison": table, "targets": verdicts}, f, indent=1)
        print("all results written to %s" % args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
