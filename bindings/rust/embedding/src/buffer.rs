//! Output buffers allocated the way the library allocates its tables.

use std::ops::{Deref, DerefMut};
use std::ptr::NonNull;

use embedding_sys as sys;

use crate::error::{call, Error};
use crate::model::to_i64;

/// A float buffer from `emb_buffer_alloc`: 64-byte aligned, with
/// transparent huge pages advised from 4 MiB on. It is zero-filled at
/// allocation, which also takes the first-touch page faults once; reuse it
/// across forward calls.
pub struct OutputBuffer {
    data: NonNull<f32>,
    len: usize,
}

// SAFETY: the buffer is plain memory owned by this value.
unsafe impl Send for OutputBuffer {}
unsafe impl Sync for OutputBuffer {}

impl OutputBuffer {
    /// Allocates `len` floats (`len` > 0).
    pub fn new(len: usize) -> Result<OutputBuffer, Error> {
        let count = to_i64("buffer length", len)?;
        let mut data: *mut f32 = std::ptr::null_mut();
        call(|err| unsafe { sys::emb_buffer_alloc(count, &mut data, err) })?;
        let data = NonNull::new(data).expect("emb_buffer_alloc succeeded without a buffer");
        // SAFETY: the allocation has room for len floats, and zeroing initialises them
        // before any slice is formed.
        unsafe { std::ptr::write_bytes(data.as_ptr(), 0, len) };
        Ok(OutputBuffer { data, len })
    }
}

impl Deref for OutputBuffer {
    type Target = [f32];

    fn deref(&self) -> &[f32] {
        // SAFETY: len initialised floats owned by self.
        unsafe { std::slice::from_raw_parts(self.data.as_ptr(), self.len) }
    }
}

impl DerefMut for OutputBuffer {
    fn deref_mut(&mut self) -> &mut [f32] {
        // SAFETY: as in deref, and &mut self makes the borrow unique.
        unsafe { std::slice::from_raw_parts_mut(self.data.as_ptr(), self.len) }
    }
}

impl std::fmt::Debug for OutputBuffer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputBuffer")
            .field("len", &self.len)
            .finish()
    }
}

impl Drop for OutputBuffer {
    fn drop(&mut self) {
        // SAFETY: data came from emb_buffer_alloc and is freed once.
        unsafe { sys::emb_buffer_free(self.data.as_ptr()) }
    }
}
