#!/usr/bin/env bash
# ctest-labels: bindings;no-sanitizer
# Rust binding test: installs the build in $1 into a temporary prefix and
# runs `cargo test --offline` on a copy of the bindings/rust workspace,
# which finds the installed libembedding through pkg-config.
set -euo pipefail

build_dir=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
source_dir=$(cd "$(dirname "$0")/.." && pwd)

cargo=$(command -v cargo || true)
if [[ -z "$cargo" && -x "$HOME/.cargo/bin/cargo" ]]; then
    cargo="$HOME/.cargo/bin/cargo"
fi
if [[ -z "$cargo" ]]; then
    echo "bindings_rust_test: cargo not found (run tools/install-deps --all)" >&2
    exit 1
fi
export PATH="$(dirname "$cargo"):$PATH"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cmake --install "$build_dir" --prefix "$tmp/prefix" >/dev/null
library=$(find "$tmp/prefix" -name libembedding.so.1 | head -n 1)
if [[ -z "$library" ]]; then
    echo "bindings_rust_test: libembedding.so.1 is not in the installed prefix" >&2
    exit 1
fi
libdir=$(dirname "$library")

# Building a copy keeps target/ and Cargo.lock out of the source tree.
cp -r "$source_dir/bindings/rust" "$tmp/workspace"
rm -rf "$tmp/workspace/target" "$tmp/workspace/Cargo.lock"

export PKG_CONFIG_PATH="$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export EMBEDDING_LIBRARY="$library"
export CARGO_TARGET_DIR="$tmp/target"
export CARGO_TERM_COLOR=never

echo "bindings_rust_test: $("$cargo" --version), library $library"
status=0
(cd "$tmp/workspace" && "$cargo" test --offline --workspace) >"$tmp/cargo.log" 2>&1 \
    || status=$?
cat "$tmp/cargo.log"

passed=$(awk '/^test result:/ { sum += $4 } END { print sum + 0 }' "$tmp/cargo.log")
failed=$(awk '/^test result:/ { sum += $6 } END { print sum + 0 }' "$tmp/cargo.log")
echo "rust: $passed passed, $failed failed"
if [[ $status -ne 0 ]]; then
    echo "bindings_rust_test: cargo test failed with exit status $status" >&2
    exit "$status"
fi
if [[ $passed -eq 0 ]]; then
    echo "bindings_rust_test: cargo test ran no test" >&2
    exit 1
fi
