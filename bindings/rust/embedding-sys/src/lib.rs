//! Raw declarations of the libembedding C API, ABI version 1
//! (`include/embedding/embedding.h`).
//!
//! Every item keeps its C name and layout. The `embedding` crate wraps them
//! in a safe API; use this crate directly only for what that one lacks.
//! The build script links `libembedding.so` through pkg-config.

#![allow(non_camel_case_types)]

use std::os::raw::c_char;

pub const EMB_VERSION_MAJOR: u32 = 1;
pub const EMB_VERSION_MINOR: u32 = 0;
pub const EMB_VERSION_PATCH: u32 = 0;
pub const EMB_ABI_VERSION: u32 = 1;

pub type emb_status = i32;

pub const EMB_OK: emb_status = 0;
pub const EMB_ERR_INVALID_ARGUMENT: emb_status = 1;
pub const EMB_ERR_ID_OUT_OF_RANGE: emb_status = 2;
pub const EMB_ERR_POSITION_OUT_OF_RANGE: emb_status = 3;
pub const EMB_ERR_OUT_OF_MEMORY: emb_status = 4;
pub const EMB_ERR_UNSUPPORTED: emb_status = 5;
pub const EMB_ERR_READ_ONLY: emb_status = 6;
pub const EMB_ERR_IO: emb_status = 7;
pub const EMB_ERR_FORMAT: emb_status = 8;
pub const EMB_ERR_NOT_FOUND: emb_status = 9;
pub const EMB_ERR_SHAPE_MISMATCH: emb_status = 10;

pub const EMB_ERROR_HAS_INDEX: u32 = 1 << 0;
pub const EMB_ERROR_HAS_VALUE: u32 = 1 << 1;
pub const EMB_ERROR_HAS_RANGE: u32 = 1 << 2;
pub const EMB_ERROR_HAS_OS_ERROR: u32 = 1 << 3;

pub const EMB_ERROR_MESSAGE_SIZE: usize = 512;

pub const EMB_INIT_ZEROS: i32 = 0;
pub const EMB_INIT_NORMAL: i32 = 1;
pub const EMB_INIT_COPY: i32 = 2;
pub const EMB_INIT_BORROW: i32 = 3;

pub const EMB_DTYPE_F32: i32 = 0;
pub const EMB_DTYPE_F16: i32 = 1;
pub const EMB_DTYPE_BF16: i32 = 2;

pub const EMB_POSITION_LEARNED: i32 = 0;
pub const EMB_POSITION_SINUSOIDAL: i32 = 1;
pub const EMB_POSITION_NONE: i32 = 2;

pub const EMB_SINUSOID_INTERLEAVED: i32 = 0;
pub const EMB_SINUSOID_SPLIT: i32 = 1;

pub const EMB_KERNEL_AUTO: i32 = 0;
pub const EMB_KERNEL_REFERENCE: i32 = 1;
pub const EMB_KERNEL_BLAS: i32 = 2;
pub const EMB_KERNEL_FUSED: i32 = 3;

pub const EMB_TABLE_TOKEN: i32 = 0;
pub const EMB_TABLE_POSITION: i32 = 1;
pub const EMB_TABLE_TOKEN_TYPE: i32 = 2;

pub const EMB_LOAD_COPY: i32 = 0;
pub const EMB_LOAD_MMAP: i32 = 1;

pub const EMB_SAFETENSORS_MAX_HEADER: u32 = 100 * 1024 * 1024;

/// Details of a failed call (`struct emb_error`). Prepare with
/// [`emb_error_init`].
#[repr(C)]
#[derive(Clone, Copy)]
pub struct emb_error {
    pub struct_size: u32,
    pub status: emb_status,
    pub fields: u32,
    pub os_error: i32,
    pub index: i64,
    pub batch_index: i64,
    pub seq_index: i64,
    pub value: i64,
    pub range_begin: i64,
    pub range_end: i64,
    pub message: [c_char; EMB_ERROR_MESSAGE_SIZE],
}

/// Options of [`emb_model_create`] (`struct emb_model_options`). Fill with
/// [`emb_model_options_init`] first.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct emb_model_options {
    pub struct_size: u32,
    pub init: i32,
    pub vocab_size: i64,
    pub dim: i64,
    pub context_length: i64,
    pub seed: u64,
    pub mean: f64,
    pub stddev: f64,
    pub token_data: *const f32,
    pub position_data: *const f32,
    pub token_type_data: *const f32,
    pub storage_dtype: i32,
    pub position_kind: i32,
    pub sinusoid_base: f64,
    pub sinusoid_layout: i32,
    pub has_padding_id: i32,
    pub padding_id: i64,
    pub has_scale: i32,
    pub scale: f32,
    pub token_type_count: i64,
    pub num_threads: i32,
    pub kernel: i32,
}

/// Options of [`emb_model_load_safetensors`] (`struct emb_load_options`).
/// Fill with [`emb_load_options_init`] first.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct emb_load_options {
    pub struct_size: u32,
    pub mode: i32,
    pub token_tensor: *const c_char,
    pub position_tensor: *const c_char,
    pub no_position_tensor: i32,
    pub num_threads: i32,
    pub kernel: i32,
}

/// Opaque model handle (`emb_model`).
#[repr(C)]
pub struct emb_model {
    _opaque: [u8; 0],
    // Not Send, not Sync, not Unpin: only pointers to it are used.
    _marker: std::marker::PhantomData<(*mut u8, std::marker::PhantomPinned)>,
}

// Sizes on LP64 targets, computed from the header's field list; the layout
// test compares every offset with what the C compiler reports.
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<emb_error>() == 576);
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<emb_model_options>() == 136);
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<emb_load_options>() == 40);

extern "C" {
    pub fn emb_version_number() -> u32;
    pub fn emb_version_string() -> *const c_char;
    pub fn emb_abi_version() -> u32;

    pub fn emb_status_message(status: emb_status) -> *const c_char;
    pub fn emb_error_init(err: *mut emb_error);

    pub fn emb_model_options_init(options: *mut emb_model_options);
    pub fn emb_model_create(
        options: *const emb_model_options,
        out_model: *mut *mut emb_model,
        err: *mut emb_error,
    ) -> emb_status;
    pub fn emb_model_destroy(model: *mut emb_model);

    pub fn emb_model_vocab_size(model: *const emb_model) -> i64;
    pub fn emb_model_dim(model: *const emb_model) -> i64;
    pub fn emb_model_context_length(model: *const emb_model) -> i64;
    pub fn emb_model_token_type_count(model: *const emb_model) -> i64;
    pub fn emb_model_position_kind(model: *const emb_model) -> i32;
    pub fn emb_model_num_threads(model: *const emb_model) -> i32;
    pub fn emb_model_table_data(model: *const emb_model, table: i32) -> *const f32;
    pub fn emb_model_table_rows(model: *const emb_model, table: i32) -> i64;
    pub fn emb_model_read_row(
        model: *const emb_model,
        table: i32,
        row: i64,
        dst: *mut f32,
        dst_count: i64,
        err: *mut emb_error,
    ) -> emb_status;
    pub fn emb_model_write_row(
        model: *mut emb_model,
        table: i32,
        row: i64,
        src: *const f32,
        src_count: i64,
        err: *mut emb_error,
    ) -> emb_status;
    pub fn emb_model_resize_vocab(
        model: *mut emb_model,
        new_vocab_size: i64,
        err: *mut emb_error,
    ) -> emb_status;

    pub fn emb_output_count(
        model: *const emb_model,
        batch: i64,
        seq_len: i64,
        out_count: *mut i64,
        err: *mut emb_error,
    ) -> emb_status;
    pub fn emb_forward_i32(
        model: *const emb_model,
        ids: *const i32,
        batch: i64,
        seq_len: i64,
        start: i64,
        out: *mut f32,
        out_count: i64,
        err: *mut emb_error,
    ) -> emb_status;
    pub fn emb_forward_i64(
        model: *const emb_model,
        ids: *const i64,
        batch: i64,
        seq_len: i64,
        start: i64,
        out: *mut f32,
        out_count: i64,
        err: *mut emb_error,
    ) -> emb_status;
    pub fn emb_forward_ex_i32(
        model: *const emb_model,
        ids: *const i32,
        position_ids: *const i32,
        token_type_ids: *const i32,
        batch: i64,
        seq_len: i64,
        start: i64,
        out: *mut f32,
        out_count: i64,
        err: *mut emb_error,
    ) -> emb_status;
    pub fn emb_forward_ex_i64(
        model: *const emb_model,
        ids: *const i64,
        position_ids: *const i64,
        token_type_ids: *const i64,
        batch: i64,
        seq_len: i64,
        start: i64,
        out: *mut f32,
        out_count: i64,
        err: *mut emb_error,
    ) -> emb_status;
    pub fn emb_positions_from_mask_i32(
        mask: *const u8,
        batch: i64,
        seq_len: i64,
        start: i64,
        positions: *mut i32,
        positions_count: i64,
        err: *mut emb_error,
    ) -> emb_status;
    pub fn emb_positions_from_mask_i64(
        mask: *const u8,
        batch: i64,
        seq_len: i64,
        start: i64,
        positions: *mut i64,
        positions_count: i64,
        err: *mut emb_error,
    ) -> emb_status;

    pub fn emb_buffer_alloc(
        count: i64,
        out_buffer: *mut *mut f32,
        err: *mut emb_error,
    ) -> emb_status;
    pub fn emb_buffer_free(buffer: *mut f32);

    pub fn emb_load_options_init(options: *mut emb_load_options);
    pub fn emb_model_load_safetensors(
        path: *const c_char,
        options: *const emb_load_options,
        out_model: *mut *mut emb_model,
        err: *mut emb_error,
    ) -> emb_status;
    pub fn emb_model_save_safetensors(
        model: *const emb_model,
        path: *const c_char,
        metadata_keys: *const *const c_char,
        metadata_values: *const *const c_char,
        metadata_count: i64,
        err: *mut emb_error,
    ) -> emb_status;
}
