#!/usr/bin/env bash
# embedding-cli --weights against NumPy. The independent writer in
# tests/make_safetensors.py writes GPT-2 small tables (token 50257 x 768,
# position 1024 x 768). Embedding the real GPT-2 ids of
# tests/data/gpl3_ids.txt with them must give a .npy output equal bit for
# bit to wte[ids] + wpe[start + t] computed by NumPy in float32. Covers
# copy and --mmap loads, an F16 file with custom tensor names and an
# unaligned data buffer, a file without a position tensor (--positions
# none), a start position, and the CLI's errors for a non-safetensors file
# and for --mmap without --weights.
# Usage: safetensors_cli_test.sh BUILD_DIR
set -euo pipefail

build_dir=${1:?usage: safetensors_cli_test.sh BUILD_DIR}
source_dir=${EMB_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
cli="$build_dir/tools/embedding-cli"
python=${EMB_PYTHON:-/usr/bin/python3}
ids="$source_dir/tests/data/gpl3_ids.txt"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Weights files and a short id file (the first 3 sequences cut to 100 ids,
# for a run at start 900).
"$python" - "$source_dir/tests" "$work" "$ids" <<'EOF'
import os
import sys

import numpy as np

sys.path.insert(0, sys.argv[1])
import make_safetensors as ms

work, ids_path = sys.argv[2], sys.argv[3]
rng = np.random.default_rng(1234)
wte = (rng.standard_normal((50257, 768), dtype=np.float32) *
       np.float32(0.02))
wpe = (rng.standard_normal((1024, 768), dtype=np.float32) *
       np.float32(0.01))
wte.astype("<f4").tofile(os.path.join(work, "wte.f32"))
wpe.astype("<f4").tofile(os.path.join(work, "wpe.f32"))


def write(name, tensors, data_start_mod=0):
    by_name = {t.name: t for t in tensors}
    names = list(by_name)
    ms.write_file(os.path.join(work, name), by_name, names, names,
                  data_start_mod, metadata={"format": "pt"})


write("gpt2_f32.safetensors", [
    ms.float_tensor("wte.weight", "F32", wte),
    ms.float_tensor("wpe.weight", "F32", wpe)])
write("gpt2_nopos.safetensors", [ms.float_tensor("wte.weight", "F32", wte)])
# F16 copies of the same tables. The expected values are their widening.
wte16 = wte.astype(np.float16)
wpe16 = wpe.astype(np.float16)
wte16.astype(np.float32).astype("<f4").tofile(os.path.join(work,
                                                            "wte16.f32"))
wpe16.astype(np.float32).astype("<f4").tofile(os.path.join(work,
                                                            "wpe16.f32"))
write("gpt2_f16.safetensors", [
    ms.float_tensor("model.tok", "F16", wte16.view(np.uint16)),
    ms.float_tensor("model.pos", "F16", wpe16.view(np.uint16))],
    data_start_mod=3)

rows = [line.split() for line in open(ids_path)
        if line.strip() and not line.startswith("#")]
with open(os.path.join(work, "short_ids.txt"), "w") as out:
    for row in rows[:3]:
        out.write(" ".join(row[:100]) + "\n")
EOF

failures=0
passes=0
check() {
  local name=$1 ids_file=$2 output=$3 token=$4 position=$5 start=$6
  if "$python" - "$ids_file" "$output" "$token" "$position" "$start" <<'EOF'
import sys

import numpy as np

ids_path, output_path, token_path, position_path, start = sys.argv[1:6]
ids = np.array([[int(v) for v in line.split()] for line in open(ids_path)
                if line.strip() and not line.startswith("#")],
               dtype=np.int64)
token = np.fromfile(token_path, dtype="<f4").reshape(-1, 768)
expected = token[ids]
if position_path != "-":
    position = np.fromfile(position_path, dtype="<f4").reshape(-1, 768)
    steps = int(start) + np.arange(ids.shape[1])
    expected = expected + position[steps][np.newaxis, :, :]
actual = np.load(output_path)
if actual.dtype != np.float32 or actual.shape != expected.shape:
    sys.exit("output is %s %s, expected float32 %s" %
             (actual.dtype, actual.shape, expected.shape))
differ = actual.view(np.uint32) != expected.astype(np.float32).view(
    np.uint32)
if differ.any():
    first = np.argwhere(differ)[0]
    sys.exit("%d values differ; first at %s: %r, expected %r" %
             (int(differ.sum()), tuple(first), actual[tuple(first)],
              expected[tuple(first)]))
EOF
  then
    passes=$((passes + 1))
    echo "ok: $name"
  else
    failures=$((failures + 1))
    echo "FAILED: $name"
  fi
}

run_cli() {
  local name=$1 status=0
  shift
  "$cli" --quiet --output "$work/$name.npy" "$@" || status=$?
  if [[ $status -ne 0 ]]; then
    echo "FAILED: $name: embedding-cli $* exited with status $status"
    failures=$((failures + 1))
    return 1
  fi
}

if run_cli f32_copy --weights "$work/gpt2_f32.safetensors" --ids "$ids"; then
  check f32_copy "$ids" "$work/f32_copy.npy" "$work/wte.f32" \
    "$work/wpe.f32" 0
fi
if run_cli f32_mmap --weights "$work/gpt2_f32.safetensors" --mmap \
  --threads 2 --ids "$ids"; then
  check f32_mmap "$ids" "$work/f32_mmap.npy" "$work/wte.f32" \
    "$work/wpe.f32" 0
fi
if run_cli f16_named --weights "$work/gpt2_f16.safetensors" --mmap \
  --token-tensor model.tok --position-tensor model.pos --ids "$ids"; then
  check f16_named "$ids" "$work/f16_named.npy" "$work/wte16.f32" \
    "$work/wpe16.f32" 0
fi
if run_cli no_positions --weights "$work/gpt2_nopos.safetensors" \
  --positions none --ids "$ids"; then
  check no_positions "$ids" "$work/no_positions.npy" "$work/wte.f32" - 0
fi
if run_cli start_900 --weights "$work/gpt2_f32.safetensors" \
  --ids "$work/short_ids.txt" --start 900 --kernel reference; then
  check start_900 "$work/short_ids.txt" "$work/start_900.npy" \
    "$work/wte.f32" "$work/wpe.f32" 900
fi

# Errors: a zip file is named as such (exit 1), --mmap alone is a usage
# error (exit 2).
printf 'PK\003\004\024\000\000\010\010\000data.pkl' >"$work/model.pt"
status=0
"$cli" --quiet --weights "$work/model.pt" --ids "$ids" 2>"$work/stderr" ||
  status=$?
if [[ $status -eq 1 ]] &&
  grep -q "does not look like a safetensors file" "$work/stderr"; then
  passes=$((passes + 1))
  echo "ok: zip_rejected"
else
  failures=$((failures + 1))
  echo "FAILED: zip_rejected: status $status, stderr: $(cat "$work/stderr")"
fi
status=0
"$cli" --quiet --mmap --ids "$ids" 2>"$work/stderr" || status=$?
if [[ $status -eq 2 ]] && grep -q -- "--mmap need --weights" "$work/stderr"
then
  passes=$((passes + 1))
  echo "ok: mmap_needs_weights"
else
  failures=$((failures + 1))
  echo "FAILED: mmap_needs_weights: status $status"
fi

echo "$passes passed, $failures failed"
[[ $failures -eq 0 ]]
