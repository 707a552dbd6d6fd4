"""Finding libembedding at import: search order, ABI check, bad libraries.

Each case imports the package in a fresh interpreter with a changed
environment, because the library is loaded once per process.
"""

import os
import shutil
import subprocess
import sys

import pytest

import embedding

PACKAGE_PARENT = os.path.dirname(os.path.dirname(embedding.__file__))
PROBE = "import embedding; print(embedding.library_path)"


def run_import(env_changes):
    env = dict(os.environ)
    for name, value in env_changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    env["PYTHONPATH"] = PACKAGE_PARENT
    return subprocess.run([sys.executable, "-c", PROBE], env=env,
                          capture_output=True, text=True, timeout=120)


def loaded_libdir():
    path = embedding.library_path
    if not os.path.isabs(path):
        pytest.skip("the library was found by name (%s), so its directory "
                    "is unknown" % path)
    return os.path.dirname(os.path.realpath(path))


def compile_library(tmp_path, name, source):
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to build a stand-in library")
    c_file = tmp_path / (name + ".c")
    c_file.write_text(source)
    library = tmp_path / (name + ".so")
    subprocess.run([compiler, "-shared", "-fPIC", "-o", str(library),
                    str(c_file)], check=True)
    return str(library)


def test_explicit_path_that_does_not_exist():
    result = run_import({"EMBEDDING_LIBRARY": "/nonexistent/libembedding.so.1"})
    assert result.returncode != 0
    assert "ImportError" in result.stderr
    assert "EMBEDDING_LIBRARY" in result.stderr
    assert "/nonexistent/libembedding.so.1" in result.stderr


def test_explicit_path_is_used():
    libdir = loaded_libdir()
    path = os.path.join(libdir, "libembedding.so.1")
    result = run_import({"EMBEDDING_LIBRARY": path})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == path


def test_found_through_pkg_config():
    probe = subprocess.run(["pkg-config", "--variable=libdir", "embedding"],
                           capture_output=True, text=True)
    if probe.returncode != 0 or not probe.stdout.strip():
        pytest.skip("pkg-config does not know embedding here "
                    "(PKG_CONFIG_PATH=%r)" % os.environ.get("PKG_CONFIG_PATH"))
    libdir = probe.stdout.strip()
    result = run_import({"EMBEDDING_LIBRARY": None, "LD_LIBRARY_PATH": None})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == os.path.join(libdir, "libembedding.so.1")


def test_found_through_loader_path(tmp_path):
    libdir = loaded_libdir()
    empty = tmp_path / "no-pkgconfig"
    empty.mkdir()
    # PKG_CONFIG_LIBDIR replaces pkg-config's default directories, so only
    # the dynamic loader's search remains.
    result = run_import({"EMBEDDING_LIBRARY": None,
                         "PKG_CONFIG_PATH": str(empty),
                         "PKG_CONFIG_LIBDIR": str(empty),
                         "LD_LIBRARY_PATH": libdir})
    assert result.returncode == 0, result.stderr
    assert "libembedding.so" in result.stdout


def test_other_abi_version_is_rejected(tmp_path):
    library = compile_library(
        tmp_path, "libfake_abi",
        "unsigned int emb_abi_version(void) { return 2; }\n")
    result = run_import({"EMBEDDING_LIBRARY": library})
    assert result.returncode != 0
    assert "ImportError" in result.stderr
    assert "ABI version 2" in result.stderr
    assert "needs ABI version 1" in result.stderr


def test_library_without_abi_function_is_rejected(tmp_path):
    library = compile_library(tmp_path, "libnot_embedding",
                              "int unrelated(void) { return 0; }\n")
    result = run_import({"EMBEDDING_LIBRARY": library})
    assert result.returncode != 0
    assert "is not libembedding" in result.stderr


def test_incomplete_library_is_rejected(tmp_path):
    library = compile_library(
        tmp_path, "libpartial",
        "unsigned int emb_abi_version(void) { return 1; }\n")
    result = run_import({"EMBEDDING_LIBRARY": library})
    assert result.returncode != 0
    assert "does not export emb_" in result.stderr
