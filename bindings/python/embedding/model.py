"""Model: one libembedding model handle and its forward pass over NumPy arrays.

Shapes use B = batch, T = seq_len, V = vocab_size, C = context_length and
D = dim. The forward pass computes out[b, t, :] = scale * token[ids[b, t], :]
+ position[start + t, :] (+ token_type[token_type_ids[b, t], :]).

Lifetime: the C handle belongs to a private Handle object (_handle.py). The
Model, every table view and every in-flight call hold a reference to it, and
the handle is destroyed when the last reference goes. So close() never frees memory
that a running forward or a live table view still reads.

Threading: forward, read_row, the table views and the getters may run in
many threads at once (the C calls release the GIL). write_row and
resize_vocab need the handle alone and wait for running calls to finish.
"""

import ctypes
import os
import weakref

import numpy as np

from . import _checks, _native
from ._handle import Handle, ReadWriteLock, check, new_error

_lib = _native.lib


def _model_options(init, vocab_size, dim, context_length, position,
                   sinusoid_base, sinusoid_layout, padding_id, scale,
                   token_type_count, num_threads, kernel):
    """Fill an emb_model_options struct from Python arguments.

    Only types and integer ranges are checked here. The library checks the
    values (positive sizes, a padding id inside the vocabulary, ...), and
    its messages reach the caller as InvalidArgumentError.
    """
    options = _native.ModelOptions()
    _lib.emb_model_options_init(ctypes.byref(options))
    options.init = init
    options.vocab_size = _checks.integer("vocab_size", vocab_size)
    options.dim = _checks.integer("dim", dim)
    options.context_length = _checks.integer("context_length",
                                             context_length)
    options.position_kind = _checks.choice("position", position,
                                           _native.POSITION_KINDS)
    options.sinusoid_base = _checks.real("sinusoid_base", sinusoid_base)
    options.sinusoid_layout = _checks.choice("sinusoid_layout",
                                             sinusoid_layout,
                                             _native.SINUSOID_LAYOUTS)
    if padding_id is not None:
        options.has_padding_id = 1
        options.padding_id = _checks.integer("padding_id", padding_id)
    if scale is not None:
        options.has_scale = 1
        options.scale = _checks.float32("scale", scale)
    options.token_type_count = _checks.integer("token_type_count",
                                               token_type_count)
    options.num_threads = _checks.integer("num_threads", num_threads,
                                          _checks.INT32_RANGE)
    options.kernel = _checks.choice("kernel", kernel, _native.KERNELS)
    return options


class Model:
    """Token, position and optional token-type tables with a forward pass.

    Create one with Model.zeros, Model.normal, Model.from_arrays or
    Model.load. Use it as a context manager or call close() to release the
    tables early; otherwise they are released when the Model is garbage
    collected.
    """

    def __init__(self, *args, **kwargs):
        raise TypeError("create a Model with Model.zeros, Model.normal, "
                        "Model.from_arrays or Model.load")

    @classmethod
    def _create(cls, options, borrowed=()):
        pointer = ctypes.c_void_p()
        error = new_error()
        check(_lib.emb_model_create(ctypes.byref(options),
                                     ctypes.byref(pointer),
                                     ctypes.byref(error)), error)
        return cls._wrap(pointer.value, borrowed)

    @classmethod
    def _wrap(cls, pointer, borrowed=()):
        model = cls.__new__(cls)
        model._handle = Handle(pointer, borrowed)
        model._lock = ReadWriteLock()
        return model

    # ------------------------------------------------------------------
    # Constructors
    # ------------------------------------------------------------------

    @classmethod
    def zeros(cls, vocab_size, dim, context_length, *, position="learned",
              sinusoid_base=10000.0, sinusoid_layout="interleaved",
              padding_id=None, scale=None, token_type_count=0,
              num_threads=0, kernel="auto"):
        """Create a model whose tables are all zeros.

        vocab_size rows of dim floats make the token table, context_length
        rows the position table (pass 0 with position="none").
        position is "learned", "sinusoidal" (computed, not zeros) or
        "none". padding_id (or None) names a token row that stays zero;
        scale (or None) multiplies token rows, e.g. sqrt(dim).
        token_type_count adds a token-type table of that many rows.
        num_threads is the worker count for large calls (0 = online CPUs);
        kernel is "auto", "reference", "blas" or "fused".
        """
        options = _model_options(
            _native.INIT_ZEROS, vocab_size, dim, context_length, position,
            sinusoid_base, sinusoid_layout, padding_id, scale,
            token_type_count, num_threads, kernel)
        return cls._create(options)

    @classmethod
    def normal(cls, vocab_size, dim, context_length, *, seed=0, mean=0.0,
               stddev=0.02, position="learned", sinusoid_base=10000.0,
               sinusoid_layout="interleaved", padding_id=None, scale=None,
               token_type_count=0, num_threads=0, kernel="auto"):
        """Create a model with seeded N(mean, stddev^2) tables.

        The values are a pure function of (seed, table, row, column): they
        are identical on every machine and thread count, and row r does not
        depend on vocab_size or context_length. Other arguments are those
        of Model.zeros.
        """
        options = _model_options(
            _native.INIT_NORMAL, vocab_size, dim, context_length, position,
            sinusoid_base, sinusoid_layout, padding_id, scale,
            token_type_count, num_threads, kernel)
        options.seed = _checks.integer("seed", seed, _checks.UINT64_RANGE)
        options.mean = _checks.real("mean", mean)
        options.stddev = _checks.real("stddev", stddev)
        return cls._create(options)

    @classmethod
    def from_arrays(cls, token, position=None, *, token_type=None,
                    copy=True, context_length=None, position_kind="learned",
                    sinusoid_base=10000.0, sinusoid_layout="interleaved",
                    padding_id=None, scale=None, num_threads=0,
                    kernel="auto"):
        """Create a model from float32 NumPy tables.

        token is [V, D]. position is [C, D] for position_kind "learned" and
        must be None otherwise; "sinusoidal" then needs context_length.
        token_type is an optional [N, D] table.

        copy=True copies the tables into memory the model owns. copy=False
        uses the arrays in place (they must be C-contiguous float32): the
        model keeps references to them so their memory outlives the handle,
        the model cannot write_row or resize_vocab them, and the caller
        must not change them while the model exists.
        """
        token = _checks.float_table("token", token, copy)
        vocab_size, dim = token.shape
        kind = _checks.choice("position_kind", position_kind,
                              _native.POSITION_KINDS)
        arrays = [token]

        if kind == _native.POSITION_KINDS["learned"]:
            if position is None:
                raise ValueError("position is required with "
                                 "position_kind='learned'")
            position = _checks.float_table("position", position, copy)
            if position.shape[1] != dim:
                raise ValueError("position has %d columns but token has %d" %
                                 (position.shape[1], dim))
            if (context_length is not None and
                    context_length != position.shape[0]):
                raise ValueError("context_length %r disagrees with the %d "
                                 "rows of position" %
                                 (context_length, position.shape[0]))
            context_length = position.shape[0]
            arrays.append(position)
        elif position is not None:
            raise ValueError("position must be None with position_kind=%r, "
                             "which has no learned table" % position_kind)
        elif kind == _native.POSITION_KINDS["none"]:
            context_length = 0 if context_length is None else context_length
        elif context_length is None:
            raise ValueError("position_kind='sinusoidal' needs "
                             "context_length")

        token_type_count = 0
        if token_type is not None:
            token_type = _checks.float_table("token_type", token_type, copy)
            if token_type.shape[1] != dim:
                raise ValueError("token_type has %d columns but token has %d"
                                 % (token_type.shape[1], dim))
            token_type_count = token_type.shape[0]
            arrays.append(token_type)

        init = _native.INIT_COPY if copy else _native.INIT_BORROW
        options = _model_options(
            init, vocab_size, dim, context_length, position_kind,
            sinusoid_base, sinusoid_layout, padding_id, scale,
            token_type_count, num_threads, kernel)
        options.token_data = token.ctypes.data
        if position is not None:
            options.position_data = position.ctypes.data
        if token_type is not None:
            options.token_type_data = token_type.ctypes.data
        # With a copy the arrays only need to live through this call; a
        # borrowing handle keeps them until it is destroyed.
        model = cls._create(options, () if copy else arrays)
        del arrays
        return model

    @classmethod
    def load(cls, path, *, mmap=False, token_tensor=None,
             position_tensor=None, no_position_tensor=False, num_threads=0,
             kernel="auto"):
        """Load a model from a safetensors file.

        F32, F16 and BF16 tensors are accepted (F16 and BF16 are widened to
        float32). Default tensor names are "wte.weight" or
        "transformer.wte.weight" for tokens and "wpe.weight" or
        "transformer.wpe.weight" for positions. no_position_tensor=True
        loads a file without positions (position kind "none").

        mmap=True maps the file read-only and uses aligned F32 tensors in
        place: the file must then not be modified or truncated while the
        model exists, and its tables are read-only.
        """
        options = _native.LoadOptions()
        _lib.emb_load_options_init(ctypes.byref(options))
        options.mode = _native.LOAD_MMAP if mmap else _native.LOAD_COPY
        if token_tensor is not None:
            options.token_tensor = _c_string("token_tensor", token_tensor)
        if position_tensor is not None:
            options.position_tensor = _c_string("position_tensor",
                                                position_tensor)
        options.no_position_tensor = 1 if no_position_tensor else 0
        options.num_threads = _checks.integer("num_threads", num_threads,
                                              _checks.INT32_RANGE)
        options.kernel = _checks.choice("kernel", kernel, _native.KERNELS)

        pointer = ctypes.c_void_p()
        error = new_error()
        check(_lib.emb_model_load_safetensors(
            _c_path(path), ctypes.byref(options), ctypes.byref(pointer),
            ctypes.byref(error)), error)
        return cls._wrap(pointer.value)

    def save(self, path, metadata=None):
        """Write the tables to a safetensors file, atomically.

        metadata is an optional mapping of str to str stored under
        "__metadata__". An existing file at path is replaced only when the
        whole new file was written and flushed.
        """
        items = list((metadata or {}).items())
        keys = (ctypes.c_char_p * max(len(items), 1))()
        values = (ctypes.c_char_p * max(len(items), 1))()
        for i, (key, value) in enumerate(items):
            keys[i] = _c_string("metadata key", key)
            values[i] = _c_string("metadata value", value)
        encoded_path = _c_path(path)

        with self._lock.shared():
            handle = self._open_handle()
            error = new_error()
            check(_lib.emb_model_save_safetensors(
                handle.pointer, encoded_path, keys, values, len(items),
                ctypes.byref(error)), error)

    # ------------------------------------------------------------------
    # Lifetime
    # ------------------------------------------------------------------

    def close(self):
        """Release the model. Calling it again does nothing.

        The C handle is destroyed once no forward call is running and no
        table view from this model is referenced any more.
        """
        self._handle = None

    @property
    def closed(self):
        """True after close()."""
        return self._handle is None

    def __enter__(self):
        self._open_handle()
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.close()

    def __repr__(self):
        if self._handle is None:
            return "<embedding.Model (closed)>"
        return ("<embedding.Model vocab_size=%d dim=%d context_length=%d "
                "position=%r>" % (self.vocab_size, self.dim,
                                  self.context_length, self.position_kind))

    def _open_handle(self):
        handle = self._handle
        if handle is None:
            raise ValueError("the Model is closed; create a new one")
        return handle

    # ------------------------------------------------------------------
    # Shapes and tables
    # ------------------------------------------------------------------

    @property
    def vocab_size(self):
        """Rows V of the token table."""
        return _lib.emb_model_vocab_size(self._open_handle().pointer)

    @property
    def dim(self):
        """Columns D of every table."""
        return _lib.emb_model_dim(self._open_handle().pointer)

    @property
    def context_length(self):
        """Rows C of the position table (0 with position kind "none")."""
        return _lib.emb_model_context_length(self._open_handle().pointer)

    @property
    def token_type_count(self):
        """Rows of the token-type table (0 when there is none)."""
        return _lib.emb_model_token_type_count(self._open_handle().pointer)

    @property
    def position_kind(self):
        """Position kind: "learned", "sinusoidal" or "none"."""
        kind = _lib.emb_model_position_kind(self._open_handle().pointer)
        for name, value in _native.POSITION_KINDS.items():
            if value == kind:
                return name
        return kind

    @property
    def num_threads(self):
        """Worker threads that forward uses for large calls."""
        return _lib.emb_model_num_threads(self._open_handle().pointer)

    @property
    def token_table(self):
        """Read-only [V, D] view of the token table (no copy)."""
        return self._table_view(_native.TABLES["token"])

    @property
    def position_table(self):
        """Read-only [C, D] view of the position table, or None."""
        return self._table_view(_native.TABLES["position"])

    @property
    def token_type_table(self):
        """Read-only view of the token-type table, or None."""
        return self._table_view(_native.TABLES["token_type"])

    def _table_view(self, table):
        with self._lock.shared():
            handle = self._open_handle()
            pointer = _lib.emb_model_table_data(handle.pointer, table)
            if not pointer:
                return None
            rows = _lib.emb_model_table_rows(handle.pointer, table)
            dim = _lib.emb_model_dim(handle.pointer)
            buffer = (ctypes.c_float * (rows * dim)).from_address(pointer)
            # The buffer keeps the handle alive, and every array derived
            # from the view keeps the buffer alive.
            buffer.owner = handle
            if table == _native.TABLES["token"]:
                handle.views.append(weakref.ref(buffer))
        # A read-only memoryview as the base stops callers from turning the
        # WRITEABLE flag back on (memory-mapped tables would fault).
        view = np.frombuffer(memoryview(buffer).toreadonly(),
                             dtype=np.float32)
        return view.reshape(rows, dim)

    def read_row(self, table, row):
        """Return a copy of one row of "token", "position" or "token_type"."""
        selector = _checks.choice("table", table, _native.TABLES)
        row = _checks.integer("row", row)
        with self._lock.shared():
            handle = self._open_handle()
            values = np.empty(_lib.emb_model_dim(handle.pointer),
                              dtype=np.float32)
            error = new_error()
            check(_lib.emb_model_read_row(
                handle.pointer, selector, row, values.ctypes.data,
                values.size, ctypes.byref(error)), error)
        return values

    def write_row(self, table, row, values):
        """Overwrite one row of an owned table with float32 values [D].

        Waits for running calls on this model to finish. Raises
        ReadOnlyError for borrowed or memory-mapped tables.
        """
        selector = _checks.choice("table", table, _native.TABLES)
        row = _checks.integer("row", row)
        with self._lock.exclusive():
            handle = self._open_handle()
            values = _checks.row_values(values,
                                        _lib.emb_model_dim(handle.pointer))
            error = new_error()
            check(_lib.emb_model_write_row(
                handle.pointer, selector, row, values.ctypes.data,
                values.size, ctypes.byref(error)), error)

    def resize_vocab(self, vocab_size):
        """Change the number of token rows, keeping the first rows.

        New rows follow the creation rule (seeded normal or zeros). Raises
        BufferError while a token_table view of this model is referenced,
        because resizing frees the memory the view shows.
        """
        vocab_size = _checks.integer("vocab_size", vocab_size)
        with self._lock.exclusive():
            handle = self._open_handle()
            if handle.live_token_views():
                raise BufferError(
                    "resize_vocab would free the token table that a "
                    "token_table view still shows; delete the views (or "
                    "copy them with np.array) first")
            error = new_error()
            check(_lib.emb_model_resize_vocab(handle.pointer, vocab_size,
                                               ctypes.byref(error)), error)

    # ------------------------------------------------------------------
    # Forward
    # ------------------------------------------------------------------

    def output_count(self, batch, seq_len):
        """Return the number of floats (B * T * D) a forward writes."""
        batch = _checks.integer("batch", batch)
        seq_len = _checks.integer("seq_len", seq_len)
        count = ctypes.c_int64()
        error = new_error()
        handle = self._open_handle()
        check(_lib.emb_output_count(handle.pointer, batch, seq_len,
                                     ctypes.byref(count),
                                     ctypes.byref(error)), error)
        return count.value

    def allocate_output(self, ids_shape):
        """Return an uninitialised float32 array for forward(out=...).

        ids_shape is the shape of the ids ([T] or [B, T]); the result has
        shape ids_shape + (D,). Its memory comes from emb_buffer_alloc:
        64-byte aligned, with transparent huge pages advised from 4 MiB on,
        and freed when the array is garbage collected.
        """
        shape = tuple(_checks.integer("ids_shape", n) for n in ids_shape)
        if len(shape) not in (1, 2):
            raise ValueError("ids_shape must have 1 or 2 dimensions, got %r"
                             % (shape,))
        batch, seq_len = (1,) + shape if len(shape) == 1 else shape
        count = self.output_count(batch, seq_len)
        shape = shape + (self.dim,)
        if count == 0:
            return np.empty(shape, dtype=np.float32)

        pointer = ctypes.c_void_p()
        error = new_error()
        check(_lib.emb_buffer_alloc(count, ctypes.byref(pointer),
                                     ctypes.byref(error)), error)
        buffer = (ctypes.c_float * count).from_address(pointer.value)
        weakref.finalize(buffer, _lib.emb_buffer_free, pointer.value)
        return np.frombuffer(buffer, dtype=np.float32).reshape(shape)

    def forward(self, ids, start=0, out=None, position_ids=None,
                token_type_ids=None):
        """Embed token ids.

        ids is an int32 or int64 array of shape [B, T] or [T]; lists and
        other sequences of ints are converted with np.asarray and must come
        out as int32 or int64. Arrays are never cast: float, bool and other
        integer dtypes raise TypeError. Returns float32 [B, T, D] (or
        [T, D] for 1-D ids), or writes into out, a C-contiguous float32
        array of exactly that shape, and returns it without allocating.

        start is the position of the first column (incremental decoding).
        position_ids (then start must be 0) and token_type_ids are arrays
        with the dtype and shape of ids. A bad id or position raises
        IdOutOfRangeError or PositionOutOfRangeError naming the first
        offending element, and leaves out unchanged.
        """
        ids = _checks.ids_array("ids", ids)
        position_ids = _checks.companion_ids("position_ids", position_ids,
                                             ids)
        token_type_ids = _checks.companion_ids("token_type_ids",
                                               token_type_ids, ids)
        start = _checks.integer("start", start)
        if ids.ndim == 1:
            batch, seq_len = 1, ids.shape[0]
        else:
            batch, seq_len = ids.shape

        with self._lock.shared():
            handle = self._open_handle()
            shape = ids.shape + (_lib.emb_model_dim(handle.pointer),)
            if out is None:
                out = np.empty(shape, dtype=np.float32)
            else:
                _checks.output_array(out, shape)
                _check_no_overlap(out, ids, position_ids, token_type_ids,
                                  handle.borrowed)
            error = new_error()
            wide = ids.dtype == np.int64
            if position_ids is None and token_type_ids is None:
                function = (_lib.emb_forward_i64 if wide
                            else _lib.emb_forward_i32)
                status = function(handle.pointer, ids.ctypes.data, batch,
                                  seq_len, start, out.ctypes.data, out.size,
                                  ctypes.byref(error))
            else:
                function = (_lib.emb_forward_ex_i64 if wide
                            else _lib.emb_forward_ex_i32)
                status = function(handle.pointer, ids.ctypes.data,
                                  _data_or_none(position_ids),
                                  _data_or_none(token_type_ids), batch,
                                  seq_len, start, out.ctypes.data, out.size,
                                  ctypes.byref(error))
            check(status, error)
        return out

    __call__ = forward


def _data_or_none(array):
    return None if array is None else array.ctypes.data


def _check_no_overlap(out, ids, position_ids, token_type_ids, borrowed):
    """Reject an out that shares memory with an input the C call reads.

    Writing out while the kernel still reads overlapping ids could turn
    validated ids into out-of-range reads.
    """
    inputs = [("ids", ids), ("position_ids", position_ids),
              ("token_type_ids", token_type_ids)]
    inputs += [("a borrowed table", table) for table in borrowed]
    for name, array in inputs:
        if array is not None and np.may_share_memory(out, array):
            raise ValueError("out overlaps %s; pass a separate array" % name)


def _c_string(name, value):
    """Encode a str as NUL-terminated UTF-8 for the C API."""
    if not isinstance(value, str):
        raise TypeError("%s must be a str, got %s" %
                        (name, type(value).__name__))
    encoded = value.encode("utf-8")
    if b"\0" in encoded:
        raise ValueError("%s must not contain NUL characters: %r" %
                         (name, value))
    return encoded


def _c_path(path):
    encoded = os.fsencode(path)
    if b"\0" in encoded:
        raise ValueError("path must not contain NUL characters: %r" % path)
    return encoded
