#!/usr/bin/python3
"""Draw forward bandwidth against batch size from bench/compare.py's sweep.

Reads the JSON written by `bench/compare.py --sweep-json FILE` and draws, for
libembedding (fused kernel), PyTorch F.embedding + add, PyTorch preallocated,
NumPy and memcpy of the same byte count, the bandwidth in GB/s (3 * B * T * D
* 4 bytes per call over the median time) against the batch size. Needs
python3-matplotlib (Debian package); renders without a display (Agg).
"""

import argparse
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend is set first)

SERIES = [
    ("libembedding_s", "libembedding (fused)", "C0", "o", "-"),
    ("torch_prealloc_s", "PyTorch index_select(out=) + add_", "C1", "s", "-"),
    ("torch_s", "PyTorch F.embedding + add", "C3", "v", "-"),
    ("numpy_s", "NumPy tok[ids] + pos", "C2", "^", "-"),
    ("memcpy_s", "memcpy of the same byte count", "k", None, "--"),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sweep", help="sweep JSON from bench/compare.py")
    parser.add_argument("--output", default="docs/benchmark_bandwidth.png",
                        help="PNG to write (default: %(default)s)")
    parser.add_argument("--title", default=None,
                        help="plot title (default: built from the data)")
    args = parser.parse_args()

    with open(args.sweep) as f:
        points = json.load(f)["points"]
    if not points:
        print("plot.py: %s has no sweep points" % args.sweep, file=sys.stderr)
        return 1
    points.sort(key=lambda p: p["batch"])
    first = points[0]

    figure, axes = plt.subplots(figsize=(7.5, 4.5), dpi=120)
    for key, label, color, marker, style in SERIES:
        xs = [p["batch"] for p in points if key in p]
        ys = [p["bytes"] / p[key] * 1e-9 for p in points if key in p]
        if xs:
            axes.plot(xs, ys, label=label, color=color, marker=marker,
                      linestyle=style)
    axes.set_xscale("log", base=2)
    axes.set_xticks([p["batch"] for p in points])
    axes.set_xticklabels([str(p["batch"]) for p in points])
    axes.set_xlabel("batch size B (T = %d, D = %d)" %
                    (first["seq_len"], first["dim"]))
    axes.set_ylabel("GB/s (3 x B x T x D x 4 bytes / median time)")
    axes.set_ylim(bottom=0)
    axes.set_title(args.title or
                   "Embedding forward bandwidth, %d threads" %
                   first["threads"])
    axes.grid(True, alpha=0.3)
    axes.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(args.output)
    print("wrote %s" % args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
