#!/usr/bin/env bash
# Smoke test of embedding-bench: runs it in --quick mode (small shapes, a few
# calls) and checks that it exits 0, prints a result line for every case,
# thread count and kernel, reports zero heap allocations per forward call,
# and writes valid JSON. Timings are not checked. Usage: bench_quick_test.sh
# BUILD_DIR
# ctest-labels: bench;no-sanitizer
set -euo pipefail

build_dir=${1:?usage: bench_quick_test.sh BUILD_DIR}
bench="$build_dir/bench/embedding-bench"
if [[ ! -x "$bench" ]]; then
  echo "FAIL: $bench is missing; configure with -DEMB_BUILD_BENCH=ON" >&2
  exit 1
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

"$bench" --quick --json "$scratch/bench.json" >"$scratch/out.txt"
cat "$scratch/out.txt"

cpus=$(getconf _NPROCESSORS_ONLN)
thread_counts=(1)
[[ "$cpus" -gt 1 ]] && thread_counts+=("$cpus")

failures=0
for case_name in gpt2_batch gpt3_width decode_step; do
  for threads in "${thread_counts[@]}"; do
    for kernel in fused blas reference; do
      # A result line: case, threads, kernel, then the numbers, ending with
      # the heap allocations per call and "yes" (equal to the reference).
      line=$(grep -E "^$case_name +$threads +$kernel " "$scratch/out.txt" || true)
      if [[ -z "$line" ]]; then
        echo "FAIL: no result line for $case_name, $threads threads, $kernel" >&2
        failures=$((failures + 1))
        continue
      fi
      if [[ "$line" != *" yes" ]]; then
        echo "FAIL: $case_name/$threads/$kernel output differs from the reference kernel" >&2
        failures=$((failures + 1))
      fi
      allocations=$(awk '{print $(NF-1)}' <<<"$line")
      if [[ "$allocations" != "0.00" ]]; then
        echo "FAIL: $case_name/$threads/$kernel made $allocations heap allocations per call" >&2
        failures=$((failures + 1))
      fi
    done
  done
done

if ! grep -q "^Batch sweep" "$scratch/out.txt"; then
  echo "FAIL: the batch sweep is missing" >&2
  failures=$((failures + 1))
fi

if command -v python3 >/dev/null 2>&1; then
  if ! python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); assert len(d["results"]) == int(sys.argv[2]), len(d["results"]); assert d["sweep"]' \
      "$scratch/bench.json" $((3 * ${#thread_counts[@]} * 3)); then
    echo "FAIL: $scratch/bench.json is not the expected JSON" >&2
    failures=$((failures + 1))
  fi
fi

if [[ "$failures" -ne 0 ]]; then
  echo "bench_quick_test: $failures check(s) failed" >&2
  exit 1
fi
echo "bench_quick_test: every case, thread count and kernel printed"
