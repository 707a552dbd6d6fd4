"""Ownership of a C model handle, error conversion and the handle lock.

Handle owns one emb_model pointer and destroys it when the last Python
reference goes, so a close() that races with a running call or a live table
view cannot free memory that is still read. ReadWriteLock lets many calls
read a handle at once while write_row and resize_vocab get it alone, as the
C contract requires.
"""

import contextlib
import ctypes
import threading
import weakref

from . import _native
from .errors import from_native

_lib = _native.lib


def new_error():
    error = _native.Error()
    _lib.emb_error_init(ctypes.byref(error))
    return error


def check(status, error):
    if status != _native.OK:
        raise from_native(status, error)


def _destroy(pointer, borrowed):
    # `borrowed` is an argument only to keep the caller's arrays alive until
    # the handle that reads them is gone.
    del borrowed
    _lib.emb_model_destroy(pointer)


class Handle:
    """Owner of one emb_model pointer, destroyed with the last reference."""

    __slots__ = ("pointer", "borrowed", "views", "__weakref__")

    def __init__(self, pointer, borrowed):
        self.pointer = pointer
        self.borrowed = tuple(borrowed)
        # Weak references to the buffers behind token-table views, so that
        # resize_vocab can refuse to free memory that a view still shows.
        self.views = []
        finalizer = weakref.finalize(self, _destroy, pointer, self.borrowed)
        # At interpreter exit the process releases the memory anyway, and a
        # view still referenced by a module global must not dangle.
        finalizer.atexit = False

    def live_token_views(self):
        self.views = [ref for ref in self.views if ref() is not None]
        return len(self.views)


class ReadWriteLock:
    """Many shared holders or one exclusive holder; waiting writers first."""

    def __init__(self):
        self._condition = threading.Condition(threading.Lock())
        self._readers = 0
        self._writer = False
        self._waiting_writers = 0

    @contextlib.contextmanager
    def shared(self):
        with self._condition:
            while self._writer or self._waiting_writers:
                self._condition.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._condition:
                self._readers -= 1
                if self._readers == 0:
                    self._condition.notify_all()

    @contextlib.contextmanager
    def exclusive(self):
        with self._condition:
            self._waiting_writers += 1
            try:
                while self._writer or self._readers:
                    self._condition.wait()
            finally:
                self._waiting_writers -= 1
            self._writer = True
        try:
            yield
        finally:
            with self._condition:
                self._writer = False
                self._condition.notify_all()
