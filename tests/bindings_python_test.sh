#!/usr/bin/env bash
# ctest-labels: bindings;no-sanitizer
# Python binding test: installs the build in $1 into a temporary prefix,
# installs bindings/python from a copy with pip (offline, no build
# isolation, Debian's setuptools) into a temporary directory, and runs its
# pytest suite with /usr/bin/python3 against the installed libembedding.
set -euo pipefail

build_dir=$(cd "${1:?usage: $0 BUILD_DIR}" && pwd)
source_dir=$(cd "$(dirname "$0")/.." && pwd)
python=${EMB_PYTHON:-/usr/bin/python3}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

cmake --install "$build_dir" --prefix "$tmp/prefix" >/dev/null
library=$(find "$tmp/prefix" -name libembedding.so.1 | head -n 1)
if [[ -z "$library" ]]; then
    echo "bindings_python_test: libembedding.so.1 is not in the installed prefix" >&2
    exit 1
fi
libdir=$(dirname "$library")

# pip builds in the source tree it is given, so give it a copy.
cp -r "$source_dir/bindings/python" "$tmp/package"
rm -rf "$tmp/package/build" "$tmp/package"/*.egg-info
"$python" -m pip install --quiet --no-index --no-deps --no-build-isolation \
    --disable-pip-version-check --no-cache-dir --root-user-action=ignore \
    --target "$tmp/site" "$tmp/package"

export PYTHONPATH="$tmp/site"
export PYTHONDONTWRITEBYTECODE=1
export EMBEDDING_LIBRARY="$library"
export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export PKG_CONFIG_PATH="$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
if [[ -x "$tmp/prefix/bin/embedding-cli" ]]; then
    export EMBEDDING_CLI="$tmp/prefix/bin/embedding-cli"
elif [[ -x "$build_dir/tools/embedding-cli" ]]; then
    export EMBEDDING_CLI="$build_dir/tools/embedding-cli"
fi
export EMB_TEST_DATA="${EMB_TEST_DATA:-$source_dir/tests/data}"

# Run from the temporary directory so that the installed package, not the
# source tree, is the one imported.
cd "$tmp"
"$python" -c 'import embedding, sys
print("bindings_python_test: package", embedding.__file__)
print("bindings_python_test: library", embedding.library_path,
      embedding.library_version)
sys.exit(0 if embedding.__file__.startswith(sys.argv[1]) else 1)' "$tmp/site"

status=0
"$python" -m pytest -q -rs -p no:cacheprovider \
    "$source_dir/bindings/python/tests" || status=$?
if [[ $status -ne 0 ]]; then
    echo "bindings_python_test: pytest failed with exit status $status" >&2
    exit "$status"
fi
