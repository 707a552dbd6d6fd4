//! Safe Rust binding of libembedding, the input embeddings of transformer
//! language models: `out[b, t, :] = token[ids[b, t], :] + position[start + t, :]`.
//!
//! ```no_run
//! use embedding::{Model, ModelOptions};
//!
//! let model = Model::normal(&ModelOptions::new(50257, 768, 1024), 1234, 0.0, 0.02)?;
//! let ids = [464, 3797, 3332, 40, 588, 13];
//! let mut out = vec![0.0f32; 2 * 3 * model.dim()];
//! model.forward(&ids, 2, 3, 0, &mut out)?;
//! # Ok::<(), embedding::Error>(())
//! ```
//!
//! The crate links `libembedding.so.1` found through pkg-config (see the
//! `embedding-sys` build script) and checks its ABI version whenever a
//! model is created. Every failed call returns an [`Error`] with the
//! library's status, message and, for bad ids or positions, the offending
//! element.

mod buffer;
mod error;
mod model;
mod options;
mod positions;

pub use buffer::OutputBuffer;
pub use error::{Error, Status};
pub use model::Model;
pub use options::{
    Kernel, LoadMode, LoadOptions, ModelOptions, PositionKind, SinusoidLayout, Table,
};
pub use positions::{positions_from_mask_i32, positions_from_mask_i64};

/// Version string of the loaded library, e.g. "1.0.0".
pub fn library_version() -> &'static str {
    // SAFETY: emb_version_string returns a static NUL-terminated string.
    let text = unsafe { std::ffi::CStr::from_ptr(embedding_sys::emb_version_string()) };
    text.to_str().unwrap_or("unknown")
}

/// major * 10000 + minor * 100 + patch of the loaded library.
pub fn library_version_number() -> u32 {
    unsafe { embedding_sys::emb_version_number() }
}

/// ABI version of the loaded library; this crate needs 1.
pub fn library_abi_version() -> u32 {
    unsafe { embedding_sys::emb_abi_version() }
}
