"""Locate libembedding.so.1, check its ABI and declare its C functions.

The library is searched for in this order:

1. the path in the environment variable EMBEDDING_LIBRARY;
2. ``libembedding.so.1`` in the directory that
   ``pkg-config --variable=libdir embedding`` prints;
3. the dynamic loader's own search (``ctypes.util.find_library``, then
   ``libembedding.so.1``, which honours LD_LIBRARY_PATH).

Every function gets explicit argtypes and restype, so ctypes never guesses
an int where the C side expects a pointer or an int64_t. Calls go through
ctypes.CDLL, which releases the GIL for the duration of each C call.
"""

import ctypes
import ctypes.util
import os
import subprocess

ABI_VERSION = 1
SONAME = "libembedding.so.1"
ERROR_MESSAGE_SIZE = 512

# Status codes (emb_status), from include/embedding/embedding.h.
OK = 0
ERR_INVALID_ARGUMENT = 1
ERR_ID_OUT_OF_RANGE = 2
ERR_POSITION_OUT_OF_RANGE = 3
ERR_OUT_OF_MEMORY = 4
ERR_UNSUPPORTED = 5
ERR_READ_ONLY = 6
ERR_IO = 7
ERR_FORMAT = 8
ERR_NOT_FOUND = 9
ERR_SHAPE_MISMATCH = 10

# Bits of emb_error.fields.
ERROR_HAS_INDEX = 1 << 0
ERROR_HAS_VALUE = 1 << 1
ERROR_HAS_RANGE = 1 << 2
ERROR_HAS_OS_ERROR = 1 << 3

INIT_ZEROS = 0
INIT_NORMAL = 1
INIT_COPY = 2
INIT_BORROW = 3

POSITION_KINDS = {"learned": 0, "sinusoidal": 1, "none": 2}
SINUSOID_LAYOUTS = {"interleaved": 0, "split": 1}
KERNELS = {"auto": 0, "reference": 1, "blas": 2, "fused": 3}
TABLES = {"token": 0, "position": 1, "token_type": 2}

LOAD_COPY = 0
LOAD_MMAP = 1


class Error(ctypes.Structure):
    """Mirror of struct emb_error (576 bytes on LP64)."""

    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("status", ctypes.c_int32),
        ("fields", ctypes.c_uint32),
        ("os_error", ctypes.c_int32),
        ("index", ctypes.c_int64),
        ("batch_index", ctypes.c_int64),
        ("seq_index", ctypes.c_int64),
        ("value", ctypes.c_int64),
        ("range_begin", ctypes.c_int64),
        ("range_end", ctypes.c_int64),
        ("message", ctypes.c_char * ERROR_MESSAGE_SIZE),
    ]


class ModelOptions(ctypes.Structure):
    """Mirror of struct emb_model_options (136 bytes on LP64)."""

    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("init", ctypes.c_int32),
        ("vocab_size", ctypes.c_int64),
        ("dim", ctypes.c_int64),
        ("context_length", ctypes.c_int64),
        ("seed", ctypes.c_uint64),
        ("mean", ctypes.c_double),
        ("stddev", ctypes.c_double),
        ("token_data", ctypes.c_void_p),
        ("position_data", ctypes.c_void_p),
        ("token_type_data", ctypes.c_void_p),
        ("storage_dtype", ctypes.c_int32),
        ("position_kind", ctypes.c_int32),
        ("sinusoid_base", ctypes.c_double),
        ("sinusoid_layout", ctypes.c_int32),
        ("has_padding_id", ctypes.c_int32),
        ("padding_id", ctypes.c_int64),
        ("has_scale", ctypes.c_int32),
        ("scale", ctypes.c_float),
        ("token_type_count", ctypes.c_int64),
        ("num_threads", ctypes.c_int32),
        ("kernel", ctypes.c_int32),
    ]


class LoadOptions(ctypes.Structure):
    """Mirror of struct emb_load_options (40 bytes on LP64)."""

    _fields_ = [
        ("struct_size", ctypes.c_uint32),
        ("mode", ctypes.c_int32),
        ("token_tensor", ctypes.c_char_p),
        ("position_tensor", ctypes.c_char_p),
        ("no_position_tensor", ctypes.c_int32),
        ("num_threads", ctypes.c_int32),
        ("kernel", ctypes.c_int32),
    ]


_status = ctypes.c_int32
_model_p = ctypes.c_void_p
_ptr = ctypes.c_void_p
_i32 = ctypes.c_int32
_i64 = ctypes.c_int64
_error_p = ctypes.POINTER(Error)

# name: (restype, argtypes) for every function of the ABI 1 header.
PROTOTYPES = {
    "emb_version_number": (ctypes.c_uint32, []),
    "emb_version_string": (ctypes.c_char_p, []),
    "emb_abi_version": (ctypes.c_uint32, []),
    "emb_status_message": (ctypes.c_char_p, [_status]),
    "emb_error_init": (None, [_error_p]),
    "emb_model_options_init": (None, [ctypes.POINTER(ModelOptions)]),
    "emb_model_create": (
        _status,
        [ctypes.POINTER(ModelOptions), ctypes.POINTER(_model_p), _error_p],
    ),
    "emb_model_destroy": (None, [_model_p]),
    "emb_model_vocab_size": (_i64, [_model_p]),
    "emb_model_dim": (_i64, [_model_p]),
    "emb_model_context_length": (_i64, [_model_p]),
    "emb_model_token_type_count": (_i64, [_model_p]),
    "emb_model_position_kind": (_i32, [_model_p]),
    "emb_model_num_threads": (_i32, [_model_p]),
    "emb_model_table_data": (_ptr, [_model_p, _i32]),
    "emb_model_table_rows": (_i64, [_model_p, _i32]),
    "emb_model_read_row": (
        _status, [_model_p, _i32, _i64, _ptr, _i64, _error_p]),
    "emb_model_write_row": (
        _status, [_model_p, _i32, _i64, _ptr, _i64, _error_p]),
    "emb_model_resize_vocab": (_status, [_model_p, _i64, _error_p]),
    "emb_output_count": (
        _status, [_model_p, _i64, _i64, ctypes.POINTER(_i64), _error_p]),
    "emb_forward_i32": (
        _status, [_model_p, _ptr, _i64, _i64, _i64, _ptr, _i64, _error_p]),
    "emb_forward_i64": (
        _status, [_model_p, _ptr, _i64, _i64, _i64, _ptr, _i64, _error_p]),
    "emb_forward_ex_i32": (
        _status,
        [_model_p, _ptr, _ptr, _ptr, _i64, _i64, _i64, _ptr, _i64, _error_p],
    ),
    "emb_forward_ex_i64": (
        _status,
        [_model_p, _ptr, _ptr, _ptr, _i64, _i64, _i64, _ptr, _i64, _error_p],
    ),
    "emb_positions_from_mask_i32": (
        _status, [_ptr, _i64, _i64, _i64, _ptr, _i64, _error_p]),
    "emb_positions_from_mask_i64": (
        _status, [_ptr, _i64, _i64, _i64, _ptr, _i64, _error_p]),
    "emb_buffer_alloc": (
        _status, [_i64, ctypes.POINTER(ctypes.c_void_p), _error_p]),
    "emb_buffer_free": (None, [_ptr]),
    "emb_load_options_init": (None, [ctypes.POINTER(LoadOptions)]),
    "emb_model_load_safetensors": (
        _status,
        [ctypes.c_char_p, ctypes.POINTER(LoadOptions),
         ctypes.POINTER(_model_p), _error_p],
    ),
    "emb_model_save_safetensors": (
        _status,
        [_model_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_char_p),
         ctypes.POINTER(ctypes.c_char_p), _i64, _error_p],
    ),
}


def _pkg_config_libdir():
    """Return the libdir that pkg-config reports for embedding, or None."""
    try:
        result = subprocess.run(
            ["pkg-config", "--variable=libdir", "embedding"],
            capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    libdir = result.stdout.strip()
    if result.returncode != 0 or not libdir:
        return None
    return libdir


def _candidates():
    """Yield (description, path or name) pairs in search order."""
    explicit = os.environ.get("EMBEDDING_LIBRARY")
    if explicit:
        # An explicit path is final: falling back would hide a typo.
        yield "EMBEDDING_LIBRARY", explicit
        return
    libdir = _pkg_config_libdir()
    if libdir is not None:
        path = os.path.join(libdir, SONAME)
        if os.path.exists(path):
            yield "pkg-config libdir", path
    found = ctypes.util.find_library("embedding")
    if found:
        yield "ctypes.util.find_library", found
    yield "dynamic loader search", SONAME


def _open_library():
    """Load the first library candidate that dlopen accepts."""
    failures = []
    for source, name in _candidates():
        try:
            return ctypes.CDLL(name), name
        except OSError as exc:
            failures.append("%s (%s): %s" % (name, source, exc))
    raise ImportError(
        "cannot load libembedding: tried " + "; ".join(failures) +
        ". Set EMBEDDING_LIBRARY to the path of libembedding.so.1, or add "
        "its install prefix to PKG_CONFIG_PATH or LD_LIBRARY_PATH.")


def _declare(lib, path):
    """Set argtypes and restype of every function, checking that it exists."""
    for name, (restype, argtypes) in PROTOTYPES.items():
        try:
            function = getattr(lib, name)
        except AttributeError:
            raise ImportError(
                "%s does not export %s, which ABI version %d requires; "
                "install a complete libembedding build" %
                (path, name, ABI_VERSION)) from None
        function.restype = restype
        function.argtypes = argtypes


def load():
    """Return (library, path) after checking the ABI version."""
    lib, path = _open_library()
    try:
        abi = lib.emb_abi_version
    except AttributeError:
        raise ImportError(
            "%s is not libembedding: it has no emb_abi_version" % path
        ) from None
    abi.restype = ctypes.c_uint32
    abi.argtypes = []
    found = abi()
    if found != ABI_VERSION:
        raise ImportError(
            "%s has ABI version %d, but this binding needs ABI version %d "
            "(libembedding.so.%d); install a matching libembedding or point "
            "EMBEDDING_LIBRARY at one" % (path, found, ABI_VERSION,
                                          ABI_VERSION))
    _declare(lib, path)
    return lib, path


lib, library_path = load()
