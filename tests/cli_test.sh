#!/usr/bin/env bash
# ctest-labels: cli
# End-to-end test of embedding-cli. It runs the default demo, and checks .npy
# output with NumPy against properties that a wrong forward pass breaks:
# positions, --start, closed-form sinusoids, zero tables, scale, padding,
# explicit position ids, token types, .npy input, kernels and seeds. Every
# kind of bad input must give a non-zero exit, a one-line message naming the
# file, line and value, and no output file. Usage: cli_test.sh BUILD_DIR
set -uo pipefail

build_dir=${1:?usage: cli_test.sh BUILD_DIR}
cli="$(cd "$build_dir" && pwd)/tools/embedding-cli"
python=/usr/bin/python3
if [[ ! -x "$cli" ]]; then
  echo "FAIL: $cli is missing; configure with -DEMB_BUILD_TOOLS=ON" >&2
  exit 1
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
cd "$scratch" || exit 1

passed=0
failed=0
pass() { passed=$((passed + 1)); }
fail() { echo "FAIL: $*" >&2; failed=$((failed + 1)); }

# NumPy checks; each prints what differed and exits 1 on failure.
cat >check.py <<'PYTHON'
import sys
import numpy as np

def load(path, shape=None):
    array = np.load(path)
    if array.dtype != np.dtype('<f4'):
        sys.exit(f"{path}: dtype {array.dtype}, expected float32")
    if shape is not None and array.shape != tuple(shape):
        sys.exit(f"{path}: shape {array.shape}, expected {tuple(shape)}")
    return array

def worst(name, expected, actual, tolerance):
    diff = np.abs(expected.astype(np.float64) - actual.astype(np.float64))
    index = np.unravel_index(np.argmax(diff), diff.shape)
    if diff[index] > tolerance:
        sys.exit(f"{name}: max |difference| {diff[index]:.3g} > {tolerance} "
                 f"at {index}: expected {expected[index]!r}, got {actual[index]!r}")

def read_ids(path):
    rows = [line.split() for line in open(path)
            if line.strip() and not line.lstrip().startswith('#')]
    return np.array(rows, dtype=np.int64)

def sinusoid_table(context, dim, base, layout):
    table = np.zeros((context, dim), dtype=np.float64)
    half = (dim + 1) // 2
    for pos in range(context):
        for col in range(dim):
            if layout == 'interleaved':
                pair, use_sin = col // 2, col % 2 == 0
            else:
                pair, use_sin = (col, True) if col < half else (col - half, False)
            angle = pos * base ** (-2.0 * pair / dim)
            table[pos, col] = np.sin(angle) if use_sin else np.cos(angle)
    return table

def check_shape(path, *shape):
    load(path, [int(s) for s in shape])

def check_consistent(path, ids_path, start):
    """Rows with the same id and position are identical; rows that differ in
    id or in position differ."""
    out = load(path)
    ids = read_ids(ids_path)
    if out.shape[:2] != ids.shape:
        sys.exit(f"{path}: shape {out.shape} does not match ids {ids.shape}")
    start = int(start)
    batch, seq_len = ids.shape
    for b in range(batch):
        for t in range(seq_len):
            for b2 in range(batch):
                for t2 in range(seq_len):
                    same_key = ids[b, t] == ids[b2, t2] and t == t2
                    equal = np.array_equal(out[b, t], out[b2, t2])
                    if same_key != equal:
                        sys.exit(f"{path}: rows [{b},{t}] (id {ids[b, t]}, "
                                 f"position {start + t}) and [{b2},{t2}] (id "
                                 f"{ids[b2, t2]}, position {start + t2}) are "
                                 f"{'equal' if equal else 'different'}")

def check_row_equal(path_a, index_a, path_b, index_b):
    a = load(path_a)[tuple(int(i) for i in index_a.split(','))]
    b = load(path_b)[tuple(int(i) for i in index_b.split(','))]
    if not np.array_equal(a, b):
        worst(f"{path_a}[{index_a}] vs {path_b}[{index_b}]", a, b, 0.0)

def check_identical(path_a, path_b):
    a, b = load(path_a), load(path_b)
    if a.shape != b.shape:
        sys.exit(f"shapes differ: {path_a} {a.shape}, {path_b} {b.shape}")
    if not np.array_equal(a, b):
        worst(f"{path_a} vs {path_b}", a, b, 0.0)

def check_different(path_a, path_b):
    if np.array_equal(load(path_a), load(path_b)):
        sys.exit(f"{path_a} and {path_b} are identical, expected a difference")

def check_sinusoid(path, context, dim, base, layout):
    out = load(path)
    expected = sinusoid_table(int(context), int(dim), float(base), layout)
    if out.shape != (1, int(context), int(dim)):
        sys.exit(f"{path}: shape {out.shape}, expected (1, {context}, {dim})")
    worst(f"{path} vs closed-form {layout} sinusoids", expected, out[0], 1e-6)

def check_zeros(path):
    out = load(path)
    if np.any(out != 0):
        index = np.unravel_index(np.argmax(out != 0), out.shape)
        sys.exit(f"{path}: element {index} is {out[index]!r}, expected 0")

def check_scaled(path_scaled, path_plain, factor):
    scaled, plain = load(path_scaled), load(path_plain)
    expected = (plain * np.float32(factor)).astype(np.float32)
    if not np.array_equal(scaled, expected):
        worst(f"{path_scaled} vs {factor} x {path_plain}", expected, scaled, 0.0)
    if not np.any(plain != 0):
        sys.exit(f"{path_plain} is all zeros, so the check proves nothing")

def check_type_offsets(path_typed, path_plain, types_path):
    """out_typed - out_plain is one row per token-type id."""
    typed, plain = load(path_typed), load(path_plain)
    types = read_ids(types_path)
    added = typed.astype(np.float64) - plain.astype(np.float64)
    rows = {}
    for (b, t), type_id in np.ndenumerate(types):
        if type_id in rows:
            worst(f"type row {type_id} at [{b},{t}]", rows[type_id], added[b, t], 1e-6)
        else:
            rows[type_id] = added[b, t]
    keys = sorted(rows)
    if len(keys) < 2 or np.allclose(rows[keys[0]], rows[keys[1]]):
        sys.exit(f"token types {keys} add the same row")

def check_nonzero(path, index):
    row = load(path)[tuple(int(i) for i in index.split(','))]
    if not np.any(row != 0):
        sys.exit(f"{path}[{index}] is all zeros")

def make_npy_ids(path, values, dtype, shape):
    np.save(path, np.array([int(v) for v in values.split(',')],
                           dtype=dtype).reshape([int(s) for s in shape.split(',')]))

def save_array(path, dtype, shape, order):
    count = int(np.prod([int(s) for s in shape.split(',')]))
    array = (np.arange(count) % 4).astype(dtype).reshape([int(s) for s in shape.split(',')])
    np.save(path, np.asfortranarray(array) if order == 'F' else array)

commands = {name[len('check_'):]: function for name, function in globals().items()
            if name.startswith('check_')}
commands['npy_ids'] = make_npy_ids
commands['save'] = save_array
commands[sys.argv[1]](*sys.argv[2:])
PYTHON

# check NAME COMMAND ARGS...: runs a check.py command and records the result.
check() {
  local name=$1 message
  shift
  if message=$("$python" check.py "$@" 2>&1); then
    pass
  else
    fail "$name: $message"
  fi
}

# run_ok NAME ARGS...: runs the CLI and expects exit status 0.
run_ok() {
  local name=$1
  shift
  if "$cli" --quiet --repeat 1 "$@" >stdout.txt 2>stderr.txt; then
    pass
    return 0
  fi
  fail "$name: exit status $? for embedding-cli $*: $(cat stderr.txt)"
  return 1
}

# expect_error NAME STATUS PATTERN ARGS...: the CLI must exit with STATUS,
# print exactly one line on stderr that contains PATTERN (a fixed string),
# and leave no out.npy or temporary file behind.
expect_error() {
  local name=$1 expected_status=$2 pattern=$3 status lines
  shift 3
  rm -f out.npy
  "$cli" --quiet --repeat 1 --output out.npy "$@" >stdout.txt 2>stderr.txt
  status=$?
  lines=$(wc -l <stderr.txt)
  if [[ $status -ne $expected_status ]]; then
    fail "$name: exit status $status, expected $expected_status; stderr: $(cat stderr.txt)"
  elif [[ $lines -ne 1 ]]; then
    fail "$name: $lines lines on stderr, expected 1: $(cat stderr.txt)"
  elif ! grep -qF -- "$pattern" stderr.txt; then
    fail "$name: stderr lacks '$pattern': $(cat stderr.txt)"
  elif [[ -e out.npy ]] || compgen -G 'out.npy.tmp-*' >/dev/null; then
    fail "$name: an output file was left behind: $(ls out.npy*)"
  else
    pass
  fi
}

small=(--vocab 8 --dim 5 --context 6)

# --- Default run: the demo on the GPT-2 token ids ---------------------------
if "$cli" --repeat 1 >demo.txt 2>demo_err.txt; then
  pass
  for expected in "token 50257 x 768" "learned positions 1024 x 768" \
                  "token rows   cosine 1.000000" "input rows   cosine" \
                  '"Alice a tué Bob" vs "Bob a tué Alice"' "M tokens/s" "GB/s"; do
    if grep -qF -- "$expected" demo.txt; then pass; else
      fail "default run: output lacks '$expected':"; cat demo.txt >&2
    fi
  done
  # The recurring token's input rows must differ (cosine below 0.99).
  cosine=$(grep -F "input rows   cosine" demo.txt | head -1 | awk '{print $4}')
  if "$python" -c "import sys; sys.exit(not float('$cosine') < 0.99)" 2>/dev/null; then
    pass
  else
    fail "default run: input-row cosine of the recurring token is '$cosine', expected < 0.99"
  fi
else
  fail "default run: exit status $?: $(cat demo_err.txt)"
fi
if [[ -s demo_err.txt ]]; then fail "default run wrote to stderr: $(cat demo_err.txt)"; else pass; fi

# --- --ids and --output: shape, dtype, self-consistency ---------------------
cat >ids.txt <<'EOF'
# three sequences of four ids
1 2 3 1
3 2 1 1

	0 1 2 3
EOF
if run_ok "ids to npy" "${small[@]}" --ids ids.txt --output out.npy; then
  check "ids to npy shape" shape out.npy 3 4 5
  check "ids to npy consistency" consistent out.npy ids.txt 0
fi
run_ok "ids from stdin" "${small[@]}" --ids - --output stdin.npy <ids.txt &&
  check "stdin equals file" identical stdin.npy out.npy

# --start 2 on one id equals position 2 of a full run.
echo "4 5 6 7" >full.txt
echo "6" >one.txt
run_ok "full run" "${small[@]}" --ids full.txt --output full.npy &&
run_ok "start 2" "${small[@]}" --ids one.txt --start 2 --output start.npy &&
  check "start 2 equals row 2" row_equal start.npy 0,0 full.npy 0,2
run_ok "start 1 batch" "${small[@]}" --ids ids.txt --start 1 --output start1.npy &&
  check "start 1 consistency" consistent start1.npy ids.txt 1

# Explicit position ids 3 2 1 0 reverse the position rows of one token.
echo "5 5 5 5" >same.txt
echo "3 2 1 0" >reversed.txt
if run_ok "same id" "${small[@]}" --ids same.txt --output same.npy &&
   run_ok "position ids" "${small[@]}" --ids same.txt --position-ids reversed.txt \
          --output reversed.npy; then
  for t in 0 1 2 3; do
    check "position id $((3 - t)) at $t" row_equal reversed.npy 0,$t same.npy 0,$((3 - t))
  done
fi

# --- Sinusoidal positions on an all-zero token table: closed form -----------
printf '0 %.0s' $(seq 16) >zeros16.txt; echo >>zeros16.txt
for layout in interleaved split; do
  for dim in 8 7; do
    run_ok "sinusoid $layout $dim" --vocab 2 --dim $dim --context 16 --stddev 0 \
        --positions sinusoidal --sinusoid-layout $layout --ids zeros16.txt \
        --output sin.npy && check "sinusoid $layout dim $dim" sinusoid sin.npy 16 $dim 10000 $layout
  done
done
run_ok "sinusoid base 100" --vocab 2 --dim 6 --context 16 --stddev 0 \
    --positions sinusoidal --sinusoid-base 100 --ids zeros16.txt --output base.npy &&
  check "sinusoid base 100" sinusoid base.npy 16 6 100 interleaved

# --- Zero tables, scale, padding --------------------------------------------
run_ok "no positions zero" --vocab 8 --dim 5 --positions none --stddev 0 \
    --ids ids.txt --output zero.npy && check "positions none, stddev 0" zeros zero.npy
run_ok "unscaled" --vocab 8 --dim 5 --positions none --ids ids.txt --output plain.npy &&
run_ok "scaled" --vocab 8 --dim 5 --positions none --scale 2 --ids ids.txt \
    --output scaled.npy && check "scale 2" scaled scaled.npy plain.npy 2
echo "3 3 1" >pad.txt
run_ok "padding id" --vocab 8 --dim 5 --positions none --padding-id 3 --ids pad.txt \
    --output pad.npy && {
  check "padding row is zero" row_equal pad.npy 0,0 zero.npy 0,0
  check "padding row at 1 is zero" row_equal pad.npy 0,1 zero.npy 0,0
  check "other rows are not zero" nonzero pad.npy 0,2
}

# --- Token types ------------------------------------------------------------
printf '0 1 0 1\n1 1 0 0\n0 0 0 1\n' >types.txt
run_ok "token types" "${small[@]}" --token-types 2 --ids ids.txt \
    --token-type-ids types.txt --output typed.npy &&
run_ok "without types" "${small[@]}" --token-types 2 --ids ids.txt --output untyped.npy &&
  check "token-type rows" type_offsets typed.npy untyped.npy types.txt

# --- Kernels, threads and seeds ---------------------------------------------
run_ok "reference kernel" "${small[@]}" --ids ids.txt --kernel reference --output ref.npy
for kernel in blas fused auto; do
  run_ok "$kernel kernel" "${small[@]}" --ids ids.txt --kernel $kernel --threads 2 \
      --output k.npy && check "$kernel equals reference" identical k.npy ref.npy
done
run_ok "seed 1" "${small[@]}" --ids ids.txt --seed 1 --output seed1.npy &&
  check "seed changes tables" different seed1.npy ref.npy
run_ok "seed 1 again" "${small[@]}" --ids ids.txt --seed 1 --output seed1b.npy &&
  check "seed is reproducible" identical seed1.npy seed1b.npy

# --- .npy ids ---------------------------------------------------------------
"$python" check.py npy_ids ids32.npy 1,2,3,1,3,2,1,1,0,1,2,3 '<i4' 3,4
"$python" check.py npy_ids ids64.npy 1,2,3,1,3,2,1,1,0,1,2,3 '<i8' 3,4
"$python" check.py npy_ids flat.npy 4,5,6,7 '<i8' 4
for name in ids32 ids64; do
  run_ok "npy $name" "${small[@]}" --npy-ids $name.npy --output npy.npy &&
    check "npy $name equals text ids" identical npy.npy ref.npy
done
run_ok "npy 1-D" "${small[@]}" --npy-ids flat.npy --output flat_out.npy &&
  check "1-D npy equals text ids" identical flat_out.npy full.npy
"$python" -c "import numpy as np; np.lib.format.write_array(open('v2.npy', 'wb'),
  np.array([[1, 2, 3, 1], [3, 2, 1, 1], [0, 1, 2, 3]], dtype='<i4'), version=(2, 0))"
run_ok "npy version 2.0" "${small[@]}" --npy-ids v2.npy --output v2_out.npy &&
  check "npy version 2.0 equals text ids" identical v2_out.npy ref.npy

# Windows line endings and trailing blanks parse like plain lines.
printf '1 2 3 1\r\n3 2 1 1 \r\n0 1 2 3\r\n' >crlf.txt
run_ok "CRLF ids" "${small[@]}" --ids crlf.txt --output crlf.npy &&
  check "CRLF equals LF" identical crlf.npy ref.npy

# --- Default run from another data directory --------------------------------
mkdir data
printf '# one two one\n1 2 1\n# two one one\n2 1 1\n' >data/sentences.txt
printf '1 2 3\n3 2 1\n' >data/gpl3_ids.txt
if run_ok "data dir" "${small[@]}" --data-dir data --output demo.npy; then
  check "data dir output" shape demo.npy 2 3 5
fi
# A missing data directory gives one line with the path and the fix.
expect_error "missing data dir" 1 \
    'cannot open no_data/sentences.txt: No such file or directory (the demo reads its ids from no_data; set another directory with --data-dir DIR' \
    "${small[@]}" --data-dir no_data

# --- --help and --quiet -----------------------------------------------------
if "$cli" --help >help.txt 2>&1; then
  pass
  for option in ids npy-ids output vocab dim context seed stddev start threads \
                kernel positions sinusoid-base sinusoid-layout position-ids \
                padding-id scale token-types token-type-ids quiet data-dir repeat; do
    grep -qE -- "--$option( |\$)" help.txt && pass || fail "--help lacks --$option"
  done
else
  fail "--help: exit status $?"
fi
"$cli" --quiet --repeat 1 "${small[@]}" --ids ids.txt >quiet.txt 2>&1
if [[ -s quiet.txt ]]; then fail "--quiet printed: $(cat quiet.txt)"; else pass; fi

# Rates of an output under 1 MiB come with a note that one thread ran it;
# 256 ids of 1024 floats (exactly 1 MiB) get no note.
note="outputs under 1 MiB run on the calling thread"
"$cli" --repeat 1 "${small[@]}" --ids ids.txt >small_run.txt 2>&1
if grep -qF -- "$note" small_run.txt; then pass; else
  fail "small output: stdout lacks '$note': $(cat small_run.txt)"
fi
printf '1 %.0s' $(seq 256) >ids256.txt; echo >>ids256.txt
"$cli" --repeat 1 --vocab 8 --dim 1024 --context 256 --ids ids256.txt >large_run.txt 2>&1
if grep -qF -- "M tokens/s" large_run.txt && ! grep -qF -- "$note" large_run.txt; then
  pass
else
  fail "1 MiB output: expected rates without '$note': $(cat large_run.txt)"
fi

# --- Bad data: exit 1, one line naming file, line and value -----------------
printf '1 2 3\n4 5 6\n7 abc 1\n' >bad_token.txt
expect_error "non-numeric id" 1 'bad_token.txt:3: invalid id "abc"' "${small[@]}" --ids bad_token.txt
printf '1 2\n3 1.5\n' >bad_float.txt
expect_error "fractional id" 1 'bad_float.txt:2: invalid id "1.5"' "${small[@]}" --ids bad_float.txt
printf '1 99999999999999999999\n' >bad_huge.txt
expect_error "id beyond 64 bits" 1 'bad_huge.txt:1: invalid id "99999999999999999999"' \
    "${small[@]}" --ids bad_huge.txt
printf '# header\n1 2 3\n1 2 8\n' >bad_range.txt
expect_error "id out of range" 1 'bad_range.txt:3: token id 8 at index 2 on the line is outside [0, 8)' \
    "${small[@]}" --ids bad_range.txt
printf '1 -1 3\n' >bad_negative.txt
expect_error "negative id" 1 'bad_negative.txt:1: token id -1' "${small[@]}" --ids bad_negative.txt
printf '1 2 3\n1 2\n' >ragged.txt
expect_error "ragged lines" 1 'ragged.txt:2: 2 ids, but line 1 has 3' "${small[@]}" --ids ragged.txt
printf '1 +5\n' >bad_plus.txt
expect_error "id with plus sign" 1 'bad_plus.txt:1: invalid id "+5"' "${small[@]}" --ids bad_plus.txt
printf '+0 1 2 3\n' >bad_plus_positions.txt
expect_error "position id with plus sign" 1 'bad_plus_positions.txt:1: invalid id "+0"' \
    "${small[@]}" --ids same.txt --position-ids bad_plus_positions.txt
printf '1 2\n3 \0 4\n' >bad_nul.txt
expect_error "NUL byte" 1 'bad_nul.txt:2: NUL byte' "${small[@]}" --ids bad_nul.txt
printf '1 2\n\x01\n' >bad_control.txt
expect_error "control byte" 1 'bad_control.txt:2: control byte 0x01' "${small[@]}" --ids bad_control.txt
"$python" -c "import sys; sys.stdout.write('0 ' * (2**24 + 1) + '\\n')" >long_line.txt
expect_error "line over 2^24 ids" 1 'long_line.txt:1: more than 16777216 ids on one line' \
    "${small[@]}" --ids long_line.txt
rm -f long_line.txt
# An endless binary stream must be rejected at its first block: the reader
# stops early, so the writer of this 1 MB stream gets a broken pipe.
head -c 1000000 /dev/zero |
  "$cli" --quiet --repeat 1 "${small[@]}" --ids - >stdout.txt 2>stderr.txt
statuses=("${PIPESTATUS[@]}")
if [[ ${statuses[1]} -eq 1 ]] && grep -qF '<stdin>:1: NUL byte' stderr.txt &&
   [[ $(wc -l <stderr.txt) -eq 1 ]]; then pass; else
  fail "NUL stream on stdin: exit status ${statuses[1]}, stderr: $(cat stderr.txt)"
fi
if [[ ${statuses[0]} -ne 0 ]]; then pass; else
  fail "NUL stream on stdin: the CLI read all 1000000 bytes instead of stopping at the first NUL"
fi
printf '# only a comment\n\n' >empty.txt
expect_error "no ids" 1 'empty.txt: no ids found' "${small[@]}" --ids empty.txt
expect_error "missing file" 1 'cannot open missing.txt' "${small[@]}" --ids missing.txt
expect_error "missing npy" 1 'cannot open missing.npy' "${small[@]}" --npy-ids missing.npy
expect_error "npy given as text" 1 'ids32.npy:1: ' "${small[@]}" --ids ids32.npy
expect_error "start past context" 1 'position out of range' "${small[@]}" --ids full.txt --start 3
echo "0 1 2 6" >bad_positions.txt
expect_error "position id out of range" 1 'bad_positions.txt:1: position 6 at index 3' \
    "${small[@]}" --ids same.txt --position-ids bad_positions.txt
echo "0 1" >short_positions.txt
expect_error "position ids shape" 1 'short_positions.txt: 1 x 2 position ids' \
    "${small[@]}" --ids same.txt --position-ids short_positions.txt
printf '0 1 0 1\n1 1 0 2\n0 0 0 1\n' >bad_types.txt
expect_error "token-type id out of range" 1 'bad_types.txt:2: token-type id 2' \
    "${small[@]}" --token-types 2 --ids ids.txt --token-type-ids bad_types.txt
expect_error "demo id out of range" 1 'token id' --vocab 100 --dim 4

# Rejected .npy files.
"$python" check.py save f32.npy '<f4' 2,3 C
"$python" check.py save big.npy '>i4' 2,3 C
"$python" check.py save fortran.npy '<i8' 2,3 F
"$python" check.py save cube.npy '<i4' 2,2,2 C
"$python" check.py save unsigned.npy '<u4' 2,3 C
expect_error "npy float32" 1 "f32.npy: dtype '<f4' is not supported" "${small[@]}" --npy-ids f32.npy
expect_error "npy big-endian" 1 "big.npy: big-endian dtype '>i4'" "${small[@]}" --npy-ids big.npy
expect_error "npy Fortran order" 1 "fortran.npy: Fortran-order" "${small[@]}" --npy-ids fortran.npy
expect_error "npy 3-D" 1 "cube.npy: shape (2, 2, 2) has 3 dimensions" "${small[@]}" --npy-ids cube.npy
expect_error "npy unsigned" 1 "unsigned.npy: dtype '<u4'" "${small[@]}" --npy-ids unsigned.npy
head -c 100 ids64.npy >truncated.npy
expect_error "npy truncated" 1 "truncated.npy: " "${small[@]}" --npy-ids truncated.npy
head -c 6 ids64.npy >magic_only.npy
expect_error "npy magic only" 1 "magic_only.npy: truncated .npy header" \
    "${small[@]}" --npy-ids magic_only.npy
head -c 8 ids64.npy >magic_version.npy
expect_error "npy magic and version" 1 "magic_version.npy: truncated .npy header" \
    "${small[@]}" --npy-ids magic_version.npy
printf 'NUMPY\x01\x00' >no_magic.npy
expect_error "npy without magic" 1 "no_magic.npy: not an .npy file" \
    "${small[@]}" --npy-ids no_magic.npy
"$python" check.py npy_ids range.npy 1,2,9 '<i4' 3
expect_error "npy id out of range" 1 "range.npy: token id 9 at [0, 2] is outside [0, 8)" \
    "${small[@]}" --npy-ids range.npy

# --- Bad command line: exit 2 -----------------------------------------------
expect_error "vocab not a number" 2 'invalid value "abc" for --vocab' --vocab abc --ids ids.txt
expect_error "vocab trailing text" 2 'invalid value "12x" for --vocab' --vocab 12x --ids ids.txt
expect_error "vocab zero" 2 'invalid value "0" for --vocab' --vocab 0 --ids ids.txt
expect_error "vocab blank" 2 'invalid value " 8" for --vocab' --vocab " 8" --ids ids.txt
expect_error "dim overflow" 2 'invalid value "9223372036854775808" for --dim' \
    --dim 9223372036854775808 --ids ids.txt
expect_error "negative stddev" 2 'invalid value "-1" for --stddev' --stddev -1 --ids ids.txt
expect_error "nan stddev" 2 'invalid value "nan" for --stddev' --stddev nan --ids ids.txt
expect_error "negative seed" 2 'invalid value "-1" for --seed' --seed -1 --ids ids.txt
expect_error "negative threads" 2 'invalid value "-1" for --threads' --threads -1 --ids ids.txt
expect_error "infinite scale" 2 'invalid value "inf" for --scale' --scale inf --ids ids.txt
expect_error "zero base" 2 'invalid value "0" for --sinusoid-base' --sinusoid-base 0 --ids ids.txt
expect_error "unknown kernel" 2 'invalid value "fast" for --kernel' --kernel fast --ids ids.txt
expect_error "unknown positions" 2 'invalid value "rope" for --positions' --positions rope --ids ids.txt
expect_error "zero repeat" 2 'invalid value "0" for --repeat' --repeat 0 --ids ids.txt
expect_error "start with plus sign" 2 'invalid value "+1" for --start' --start +1 --ids ids.txt
expect_error "vocab with plus sign" 2 'invalid value "+8" for --vocab' --vocab +8 --ids ids.txt
expect_error "seed with plus sign" 2 'invalid value "+1" for --seed' --seed +1 --ids ids.txt
expect_error "stddev with plus sign" 2 'invalid value "+1" for --stddev' --stddev +1 --ids ids.txt
expect_error "hex stddev" 2 'invalid value "0x1p-3" for --stddev' --stddev 0x1p-3 --ids ids.txt
run_ok "stddev with exponent" "${small[@]}" --stddev 1e-3 --ids ids.txt
expect_error "unknown option" 2 'unknown option --idz' --idz ids.txt
expect_error "positional argument" 2 'unexpected argument "ids.txt"' ids.txt
expect_error "missing value" 2 'option --ids needs a value' --ids
expect_error "padding outside vocab" 2 '--padding-id 8 is outside [0, 8)' \
    "${small[@]}" --padding-id 8 --ids ids.txt
expect_error "ids and npy ids" 2 'cannot be used together' --ids ids.txt --npy-ids ids32.npy
expect_error "types without table" 2 'set --token-types' --ids ids.txt --token-type-ids types.txt
expect_error "start with position ids" 2 '--start cannot be used with --position-ids' \
    "${small[@]}" --ids same.txt --position-ids reversed.txt --start 1

# --- Output file handling ---------------------------------------------------
echo "previous contents" >keep.npy
"$cli" --quiet "${small[@]}" --ids bad_token.txt --output keep.npy 2>/dev/null
if [[ "$(cat keep.npy)" == "previous contents" ]]; then pass; else
  fail "a failed run changed the existing output file"
fi
"$cli" --quiet "${small[@]}" --ids ids.txt --output no_such_dir/out.npy 2>stderr.txt
status=$?
if [[ $status -eq 1 ]] && grep -qF "no_such_dir/out.npy" stderr.txt; then pass; else
  fail "output in a missing directory: exit status $status, stderr: $(cat stderr.txt)"
fi
# expect_special_output NAME PATH KIND: --output PATH must exit 1 with one
# line saying PATH is not a regular file, leave PATH a KIND (test -KIND) and
# leave no temporary file.
expect_special_output() {
  local name=$1 path=$2 kind=$3 status
  "$cli" --quiet "${small[@]}" --ids ids.txt --output "$path" >stdout.txt 2>stderr.txt
  status=$?
  if [[ $status -ne 1 ]]; then
    fail "$name: exit status $status, expected 1; stderr: $(cat stderr.txt)"
  elif [[ $(wc -l <stderr.txt) -ne 1 ]] ||
       ! grep -qF "cannot write $path: it exists and is not a regular file" stderr.txt; then
    fail "$name: expected one line saying $path is not a regular file: $(cat stderr.txt)"
  elif ! test "-$kind" "$path"; then
    fail "$name: $path was replaced: $(ls -l "$path")"
  elif compgen -G "$path.tmp-*" >/dev/null; then
    fail "$name: temporary files were left: $(ls -d "$path".tmp-*)"
  else
    pass
  fi
}
mkdir out_dir.npy
expect_special_output "output over a directory" out_dir.npy d
mkfifo out_fifo.npy
expect_special_output "output over a FIFO" out_fifo.npy p
ln -s out_fifo.npy link_to_fifo.npy
expect_special_output "output over a link to a FIFO" link_to_fifo.npy p

# As with emb_model_save_safetensors, a symbolic link to a regular file is
# replaced by the new file, and its target is left alone. A replaced file
# keeps its permission bits.
echo "link target" >target.npy
ln -s target.npy link.npy
if run_ok "output over a link" "${small[@]}" --ids ids.txt --output link.npy; then
  if [[ -f link.npy && ! -L link.npy ]]; then pass; else
    fail "output over a link: link.npy is not a regular file: $(ls -l link.npy)"
  fi
  check "output over a link equals a plain run" identical link.npy ref.npy
  if [[ "$(cat target.npy)" == "link target" ]]; then pass; else
    fail "output over a link: the link target was changed"
  fi
fi
cp ref.npy private.npy
chmod 600 private.npy
if run_ok "output over a 0600 file" "${small[@]}" --ids ids.txt --output private.npy; then
  mode=$(stat -c %a private.npy)
  if [[ $mode == 600 ]]; then pass; else
    fail "output over a 0600 file: mode is now $mode"
  fi
fi

echo "cli_test: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
