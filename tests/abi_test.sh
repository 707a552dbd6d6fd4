#!/usr/bin/env bash
# ABI checks of the built shared library against the public header:
#   - the dynamic symbol table defines exactly the functions the header
#     declares with EMB_API (parsed from the header, so a function missing
#     on either side fails), plus the version node, and nothing else;
#   - every symbol carries the version EMBEDDING_1.0 (@@EMBEDDING_1.0);
#   - the SONAME is libembedding.so.1;
#   - the header compiles on its own as C99 and as C++ with warnings as
#     errors, and uses no `long`, BLAS types or variadic functions.
# Usage: abi_test.sh BUILD_DIR
set -euo pipefail

build_dir=${1:?usage: abi_test.sh BUILD_DIR}
source_dir=${EMB_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
header="$source_dir/include/embedding/embedding.h"
library="$build_dir/src/libembedding.so"
version_node=EMBEDDING_1.0
soname=libembedding.so.1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

failures=0
passes=0
pass() {
  passes=$((passes + 1))
  echo "ok: $1"
}
fail() {
  failures=$((failures + 1))
  echo "FAIL: $1"
}

[[ -f "$header" ]] || { echo "FAIL: header $header not found"; exit 1; }
[[ -e "$library" ]] || { echo "FAIL: library $library not found"; exit 1; }

# The header without comments, on one line, so a declaration split over
# several lines still parses and words in comments do not count.
perl -0pe 's{/\*.*?\*/}{ }gs; s{//[^\n]*}{ }g' "$header" | tr '\n' ' ' \
  > "$work/header_code.txt"

# Each EMB_API declaration runs up to its first '('; the function name is
# the last identifier before it.
grep -oE 'EMB_API[^;(]*\(' "$work/header_code.txt" \
  | sed -E 's/.*[^A-Za-z0-9_]([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*\($/\1/' \
  | sort > "$work/header_functions.txt"
declared=$(grep -oE 'EMB_API' "$work/header_code.txt" | wc -l)
parsed=$(wc -l < "$work/header_functions.txt")
if [[ "$parsed" -eq 0 || "$parsed" -ne "$declared" ]]; then
  fail "parsed $parsed function names from $declared EMB_API declarations"
else
  pass "header declares $parsed EMB_API functions"
fi
if grep -qvE '^emb_[a-z0-9_]+$' "$work/header_functions.txt"; then
  fail "EMB_API names outside the emb_ prefix:" \
       "$(grep -vE '^emb_[a-z0-9_]+$' "$work/header_functions.txt" | tr '\n' ' ')"
else
  pass "every EMB_API function has the emb_ prefix"
fi

# Dynamic symbols defined by the library: "address type name@@version".
nm -D --defined-only "$library" > "$work/nm.txt"
awk '{print $NF}' "$work/nm.txt" > "$work/symbols.txt"

if grep -qxF "$version_node" "$work/symbols.txt"; then
  pass "version node $version_node is defined"
else
  fail "version node $version_node is not defined"
fi

grep -vxF "$version_node" "$work/symbols.txt" > "$work/versioned.txt" || true
unversioned=$(grep -vE "@@${version_node}\$" "$work/versioned.txt" || true)
if [[ -n "$unversioned" ]]; then
  fail "symbols without @@$version_node: $(echo "$unversioned" | tr '\n' ' ')"
else
  pass "every symbol carries @@$version_node"
fi

sed -E 's/@.*$//' "$work/versioned.txt" | sort > "$work/exported.txt"
missing=$(comm -23 "$work/header_functions.txt" "$work/exported.txt")
extra=$(comm -13 "$work/header_functions.txt" "$work/exported.txt")
if [[ -n "$missing" ]]; then
  fail "declared in the header but not exported: $(echo "$missing" | tr '\n' ' ')"
else
  pass "every header function is exported"
fi
if [[ -n "$extra" ]]; then
  fail "exported but not declared in the header: $(echo "$extra" | tr '\n' ' ')"
else
  pass "nothing is exported beyond the header"
fi

leaked=$(grep -E '^(cblas_|openblas|omp_|GOMP_|__kmpc|emb_fail|emb_kernel|emb_table_|emb_check_|emb_aligned_|emb_fill_)' \
  "$work/exported.txt" || true)
if [[ -n "$leaked" ]]; then
  fail "BLAS, OpenMP or internal helper symbols are exported: $(echo "$leaked" | tr '\n' ' ')"
else
  pass "no BLAS, OpenMP or internal helper symbols are exported"
fi

actual_soname=$(readelf -d "$library" | sed -nE 's/.*\(SONAME\).*\[(.*)\].*/\1/p')
if [[ "$actual_soname" == "$soname" ]]; then
  pass "SONAME is $soname"
else
  fail "SONAME is '$actual_soname', expected $soname"
fi

# The header on its own: C99 (and C11) with pedantic warnings as errors.
printf '#include "embedding/embedding.h"\nint main(void) { return 0; }\n' \
  > "$work/standalone.c"
for standard in c99 c11; do
  if gcc -std="$standard" -Wall -Wextra -Werror -pedantic -fsyntax-only \
       -I "$source_dir/include" "$work/standalone.c" 2> "$work/gcc.log"; then
    pass "header compiles alone with gcc -std=$standard -pedantic -Werror"
  else
    fail "header does not compile with gcc -std=$standard: $(cat "$work/gcc.log")"
  fi
done
if command -v g++ > /dev/null 2>&1; then
  cp "$work/standalone.c" "$work/standalone.cpp"
  if g++ -std=c++11 -Wall -Wextra -Werror -pedantic -fsyntax-only \
       -I "$source_dir/include" "$work/standalone.cpp" 2> "$work/gxx.log"; then
    pass "header compiles alone with g++ -std=c++11 -pedantic -Werror"
  else
    fail "header does not compile as C++: $(cat "$work/gxx.log")"
  fi
else
  echo "skip: g++ not found, C++ compile of the header not checked"
fi

# Types whose size differs between platforms or that tie callers to BLAS,
# and variadic functions, which FFI callers such as cgo cannot call.
for word in long blasint; do
  if grep -qw "$word" "$work/header_code.txt"; then
    fail "header code uses '$word'"
  else
    pass "header code does not use '$word'"
  fi
done
if grep -qF 'cblas.h' "$header"; then
  fail "header mentions cblas.h"
else
  pass "header does not include cblas.h"
fi
if grep -qF '...' "$work/header_code.txt"; then
  fail "header code declares a variadic function ('...')"
else
  pass "header declares no variadic function"
fi

echo "$passes passed, $failures failed"
[[ "$failures" -eq 0 ]]
