"""Python binding of libembedding, the input-embedding library.

    import numpy as np
    import embedding

    with embedding.Model.normal(50257, 768, 1024, seed=1) as model:
        out = model.forward(np.array([[464, 3797, 3332]], dtype=np.int32))

The binding is pure Python over ctypes and loads libembedding.so.1 at import
(see embedding._native for the search order and EMBEDDING_LIBRARY).
"""

from . import _native
from .errors import (
    EmbeddingError,
    EmbeddingIOError,
    FormatError,
    IdOutOfRangeError,
    InvalidArgumentError,
    OutOfMemoryError,
    PositionOutOfRangeError,
    ReadOnlyError,
    ShapeMismatchError,
    Status,
    TensorNotFoundError,
    UnsupportedError,
    status_message,
)
from .model import Model
from .positions import positions_from_mask

__version__ = "1.0.0"

#: Path or name of the libembedding that was loaded.
library_path = _native.library_path
#: Version string of the loaded library, e.g. "1.0.0".
library_version = _native.lib.emb_version_string().decode("ascii")
#: ABI version of the loaded library (always ABI_VERSION after import).
library_abi_version = _native.lib.emb_abi_version()
ABI_VERSION = _native.ABI_VERSION

__all__ = [
    "ABI_VERSION",
    "EmbeddingError",
    "EmbeddingIOError",
    "FormatError",
    "IdOutOfRangeError",
    "InvalidArgumentError",
    "Model",
    "OutOfMemoryError",
    "PositionOutOfRangeError",
    "ReadOnlyError",
    "ShapeMismatchError",
    "Status",
    "TensorNotFoundError",
    "UnsupportedError",
    "library_abi_version",
    "library_path",
    "library_version",
    "positions_from_mask",
    "status_message",
]
