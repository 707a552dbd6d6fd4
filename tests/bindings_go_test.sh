#!/usr/bin/env bash
# ctest-labels: bindings;no-sanitizer
# Go binding test: installs the build in $1 into a temporary prefix and runs
# `go test` on bindings/go, which finds the installed libembedding through
# cgo's pkg-config directive. No module proxy is used (GOPROXY=off), cgo's
# strict pointer checks are on (GODEBUG=cgocheck=2) and the race detector
# watches the concurrent tests.
set -euo pipefail

build_dir=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
source_dir=$(cd "$(dirname "$0")/.." && pwd)

if ! command -v go >/dev/null 2>&1; then
    echo "bindings_go_test: go not found (run tools/install-deps --all)" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

cmake --install "$build_dir" --prefix "$tmp/prefix" >/dev/null
library=$(find "$tmp/prefix" -name libembedding.so.1 | head -n 1)
if [[ -z "$library" ]]; then
    echo "bindings_go_test: libembedding.so.1 is not in the installed prefix" >&2
    exit 1
fi
libdir=$(dirname "$library")

export PKG_CONFIG_PATH="$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export EMBEDDING_LIBRARY="$library"
export GOPROXY=off GOFLAGS=-mod=readonly GO111MODULE=on GOTOOLCHAIN=local
export GOCACHE="$tmp/gocache" GOPATH="$tmp/gopath" GODEBUG=cgocheck=2
export CGO_ENABLED=1

echo "bindings_go_test: $(go version), library $library"
status=0
(cd "$source_dir/bindings/go" && go test -count=1 -v -race ./...) >"$tmp/go.log" 2>&1 \
    || status=$?
cat "$tmp/go.log"

passed=$(grep -c -- '^--- PASS' "$tmp/go.log" || true)
failed=$(grep -c -- '^--- FAIL' "$tmp/go.log" || true)
echo "go: $passed passed, $failed failed"
if [[ $status -ne 0 ]]; then
    echo "bindings_go_test: go test failed with exit status $status" >&2
    exit "$status"
fi
if [[ $passed -eq 0 ]]; then
    echo "bindings_go_test: go test ran no test" >&2
    exit 1
fi
