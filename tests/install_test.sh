#!/usr/bin/env bash
# ctest-labels: install;no-sanitizer
# Installs the build into a temporary prefix and builds examples/consumer.c
# against it twice: with the flags from `pkg-config embedding` and through
# the CMake package (find_package(embedding CONFIG) and the imported target
# embedding::embedding). Both programs must run and print the fixture's
# forward output.
# Usage: install_test.sh BUILD_DIR
set -euo pipefail

build_dir=${1:?usage: install_test.sh BUILD_DIR}
source_dir=${EMB_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix="$work/prefix"

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

# The output of the fixture forward: ids [1, 2, 3] from position 0.
expected="embedding 1.0.0
10 11 12
120 121 122
230 231 232"

check_output() {
  local name=$1 output=$2
  if [[ "$output" == "$expected" ]]; then
    pass "$name prints the expected forward output"
  else
    fail "$name printed:
$output
expected:
$expected"
  fi
}

if ! cmake --install "$build_dir" --prefix "$prefix" > "$work/install.log" 2>&1; then
  cat "$work/install.log"
  echo "FAIL: cmake --install failed"
  exit 1
fi
pass "cmake --install into $prefix"

# GNUInstallDirs picks lib or lib/<multiarch> depending on the configured
# prefix, so look the files up instead of assuming a layout.
pc_file=$(find "$prefix" -name embedding.pc -path '*/pkgconfig/*' | head -n 1)
config_file=$(find "$prefix" -name embedding-config.cmake | head -n 1)
library=$(find "$prefix" -name 'libembedding.so.1' | head -n 1)
for file in "$prefix/include/embedding/embedding.h" \
            "$prefix/include/embedding/export.h"; do
  if [[ -f "$file" ]]; then
    pass "installed ${file#"$prefix"/}"
  else
    fail "missing ${file#"$prefix"/}"
  fi
done
[[ -n "$pc_file" ]] && pass "installed ${pc_file#"$prefix"/}" \
                    || fail "no embedding.pc under $prefix"
[[ -n "$config_file" ]] && pass "installed ${config_file#"$prefix"/}" \
                        || fail "no embedding-config.cmake under $prefix"
[[ -n "$library" ]] && pass "installed ${library#"$prefix"/}" \
                    || fail "no libembedding.so.1 under $prefix"
if [[ -z "$pc_file" || -z "$config_file" || -z "$library" ]]; then
  echo "$passes passed, $failures failed"
  exit 1
fi
libdir=$(dirname "$library")
if [[ -L "$libdir/libembedding.so" ]]; then
  pass "libembedding.so is a link for the linker"
else
  fail "libembedding.so link missing in $libdir"
fi

# 1. pkg-config.
export PKG_CONFIG_PATH="$(dirname "$pc_file")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
version=$(pkg-config --modversion embedding)
if [[ "$version" == "1.0.0" ]]; then
  pass "pkg-config reports version $version"
else
  fail "pkg-config reports version '$version', expected 1.0.0"
fi
pc_libdir=$(pkg-config --variable=libdir embedding)
if [[ "$(cd "$pc_libdir" 2>/dev/null && pwd -P)" == "$(cd "$libdir" && pwd -P)" ]]; then
  pass "pkg-config libdir points into the install prefix"
else
  fail "pkg-config libdir is '$pc_libdir', expected $libdir"
fi
# shellcheck disable=SC2046
if gcc -std=c11 -Wall -Werror "$source_dir/examples/consumer.c" \
     -o "$work/consumer_pkgconfig" $(pkg-config --cflags --libs embedding) \
     > "$work/pkgconfig_build.log" 2>&1; then
  pass "consumer builds with pkg-config flags"
  output=$(LD_LIBRARY_PATH="$libdir" "$work/consumer_pkgconfig" 2>&1) \
    || fail "consumer built with pkg-config exited with an error"
  check_output "consumer built with pkg-config" "$output"
else
  fail "consumer does not build with pkg-config flags: $(cat "$work/pkgconfig_build.log")"
fi

# 2. CMake package.
if cmake -S "$source_dir/examples" -B "$work/consumer_build" \
       -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
       > "$work/cmake_configure.log" 2>&1 &&
   cmake --build "$work/consumer_build" > "$work/cmake_build.log" 2>&1; then
  pass "consumer builds with find_package(embedding CONFIG)"
  # The build-tree RPATH points at the installed library.
  output=$("$work/consumer_build/consumer" 2>&1) \
    || fail "consumer built with CMake exited with an error"
  check_output "consumer built with CMake" "$output"
  resolved=$(ldd "$work/consumer_build/consumer" | awk '/libembedding/ {print $3}')
  if [[ "$(readlink -f "$resolved")" == "$(readlink -f "$library")" ]]; then
    pass "consumer built with CMake loads the installed library"
  else
    fail "consumer built with CMake loads '$resolved', expected $library"
  fi
  if grep -q "$prefix" "$work/consumer_build/CMakeCache.txt"; then
    pass "CMake found the package in the install prefix"
  else
    fail "CMake did not use the install prefix"
  fi
else
  fail "consumer does not build with CMake: $(cat "$work/cmake_configure.log" "$work/cmake_build.log" 2>/dev/null)"
fi

echo "$passes passed, $failures failed"
[[ "$failures" -eq 0 ]]
