//! The model handle: creation, loading and saving, table access and the
//! forward pass.
//!
//! Shapes use B = batch, T = seq_len, V = vocab_size, C = context_length
//! and D = dim; every array is row-major.

use std::convert::TryFrom;
use std::ffi::CString;
use std::os::raw::c_char;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::ptr::{self, NonNull};

use embedding_sys as sys;

use crate::error::{call, invalid, Error, Status};
use crate::options::{LoadMode, LoadOptions, ModelOptions, PositionKind, Table};

/// Token, position and optional token-type tables with a forward pass.
///
/// `Model` is `Send` and `Sync`: the C library allows any number of
/// concurrent forward calls and reads on one handle, and the calls that
/// need the handle alone ([`Model::write_row`], [`Model::resize_vocab`],
/// drop) take `&mut self` or `self`.
pub struct Model {
    raw: NonNull<sys::emb_model>,
}

// SAFETY: the handle has no thread affinity, and every &self method maps to
// a C function documented as thread-safe (forward, getters, read_row,
// table_data, save). Mutation goes through &mut self.
unsafe impl Send for Model {}
unsafe impl Sync for Model {}

impl Drop for Model {
    fn drop(&mut self) {
        // SAFETY: raw came from emb_model_create or the loader and is
        // destroyed exactly once, with no borrow of its tables left.
        unsafe { sys::emb_model_destroy(self.raw.as_ptr()) }
    }
}

/// Fails unless the loaded library has the ABI version this crate was
/// written for.
fn check_abi() -> Result<(), Error> {
    // SAFETY: no arguments, no preconditions.
    let abi = unsafe { sys::emb_abi_version() };
    if abi == sys::EMB_ABI_VERSION {
        Ok(())
    } else {
        Err(Error::new(
            Status::Unsupported,
            format!(
                "the loaded libembedding has ABI version {}, but this crate needs ABI \
                 version {} (libembedding.so.{})",
                abi,
                sys::EMB_ABI_VERSION,
                sys::EMB_ABI_VERSION
            ),
        ))
    }
}

pub(crate) fn to_i64(name: &str, value: usize) -> Result<i64, Error> {
    i64::try_from(value).map_err(|_| invalid(format!("{} {} does not fit int64", name, value)))
}

fn product(name: &str, factors: &[usize]) -> Result<usize, Error> {
    factors
        .iter()
        .try_fold(1usize, |acc, &factor| acc.checked_mul(factor))
        .ok_or_else(|| invalid(format!("{} {:?} overflows usize", name, factors)))
}

fn check_len(name: &str, actual: usize, expected: usize) -> Result<(), Error> {
    if actual == expected {
        Ok(())
    } else {
        Err(invalid(format!(
            "{} holds {} elements but {} are expected",
            name, actual, expected
        )))
    }
}

/// Element count of a [rows, dim] table, or None when the C library will
/// reject the shape anyway (a negative or overflowing size).
fn table_len(rows: i64, dim: i64) -> Option<usize> {
    if rows < 0 || dim < 0 {
        return None;
    }
    rows.checked_mul(dim).and_then(|n| usize::try_from(n).ok())
}

fn c_string(name: &str, value: &str) -> Result<CString, Error> {
    CString::new(value).map_err(|_| invalid(format!("{} {:?} contains a NUL byte", name, value)))
}

fn c_path(path: &Path) -> Result<CString, Error> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| invalid(format!("path {:?} contains a NUL byte", path)))
}

/// The C forward functions of one id type.
#[allow(clippy::too_many_arguments)]
trait IdType: Copy {
    /// # Safety
    /// As emb_forward_i32 / emb_forward_i64.
    unsafe fn forward(
        model: *const sys::emb_model,
        ids: *const Self,
        batch: i64,
        seq_len: i64,
        start: i64,
        out: *mut f32,
        out_count: i64,
        err: *mut sys::emb_error,
    ) -> sys::emb_status;

    /// # Safety
    /// As emb_forward_ex_i32 / emb_forward_ex_i64.
    unsafe fn forward_ex(
        model: *const sys::emb_model,
        ids: *const Self,
        position_ids: *const Self,
        token_type_ids: *const Self,
        batch: i64,
        seq_len: i64,
        start: i64,
        out: *mut f32,
        out_count: i64,
        err: *mut sys::emb_error,
    ) -> sys::emb_status;
}

macro_rules! impl_id_type {
    ($type:ty, $forward:ident, $forward_ex:ident) => {
        #[allow(clippy::too_many_arguments)]
        impl IdType for $type {
            unsafe fn forward(
                model: *const sys::emb_model,
                ids: *const $type,
                batch: i64,
                seq_len: i64,
                start: i64,
                out: *mut f32,
                out_count: i64,
                err: *mut sys::emb_error,
            ) -> sys::emb_status {
                sys::$forward(model, ids, batch, seq_len, start, out, out_count, err)
            }

            unsafe fn forward_ex(
                model: *const sys::emb_model,
                ids: *const $type,
                position_ids: *const $type,
                token_type_ids: *const $type,
                batch: i64,
                seq_len: i64,
                start: i64,
                out: *mut f32,
                out_count: i64,
                err: *mut sys::emb_error,
            ) -> sys::emb_status {
                sys::$forward_ex(
                    model,
                    ids,
                    position_ids,
                    token_type_ids,
                    batch,
                    seq_len,
                    start,
                    out,
                    out_count,
                    err,
                )
            }
        }
    };
}

impl_id_type!(i32, emb_forward_i32, emb_forward_ex_i32);
impl_id_type!(i64, emb_forward_i64, emb_forward_ex_i64);

fn optional_ptr<T>(slice: Option<&[T]>) -> *const T {
    slice.map_or(ptr::null(), |s| s.as_ptr())
}

impl Model {
    fn create(options: &sys::emb_model_options) -> Result<Model, Error> {
        check_abi()?;
        let mut raw: *mut sys::emb_model = ptr::null_mut();
        // SAFETY: options is a complete struct prepared by
        // emb_model_options_init; its data pointers, when set, point to
        // slices whose lengths the caller checked against the shapes.
        call(|err| unsafe { sys::emb_model_create(options, &mut raw, err) })?;
        NonNull::new(raw)
            .map(|raw| Model { raw })
            .ok_or_else(|| invalid("emb_model_create returned no handle".to_string()))
    }

    /// Creates a model whose tables are zeros (sinusoidal positions are
    /// computed).
    pub fn zeros(options: &ModelOptions) -> Result<Model, Error> {
        let mut raw = options.raw;
        raw.init = sys::EMB_INIT_ZEROS;
        Model::create(&raw)
    }

    /// Creates a model with seeded N(mean, stddev²) tables. Each value is a
    /// pure function of (seed, table, row, column), identical on every
    /// machine and thread count.
    pub fn normal(
        options: &ModelOptions,
        seed: u64,
        mean: f64,
        stddev: f64,
    ) -> Result<Model, Error> {
        let mut raw = options.raw;
        raw.init = sys::EMB_INIT_NORMAL;
        raw.seed = seed;
        raw.mean = mean;
        raw.stddev = stddev;
        Model::create(&raw)
    }

    /// Creates a model from copies of row-major tables: `token` is [V, D],
    /// `position` [C, D] (required with learned positions, else `None`) and
    /// `token_type` [N, D] with N = the options' token-type count (or
    /// `None` when it is 0). The slices may be dropped afterwards.
    pub fn from_tables(
        options: &ModelOptions,
        token: &[f32],
        position: Option<&[f32]>,
        token_type: Option<&[f32]>,
    ) -> Result<Model, Error> {
        let dim = options.dim();
        if let Some(len) = table_len(options.vocab_size(), dim) {
            check_len("token table", token.len(), len)?;
        }
        match (options.is_learned(), position) {
            (true, None) => {
                return Err(invalid(
                    "learned positions need a position table".to_string(),
                ))
            }
            (false, Some(_)) => {
                return Err(invalid(
                    "a position table was given but the position kind is not learned".to_string(),
                ))
            }
            (true, Some(table)) => {
                if let Some(len) = table_len(options.context_length(), dim) {
                    check_len("position table", table.len(), len)?;
                }
            }
            (false, None) => {}
        }
        match (options.token_type_count(), token_type) {
            (0, Some(_)) => {
                return Err(invalid(
                    "a token-type table was given but the token-type count is 0".to_string(),
                ))
            }
            (count, None) if count > 0 => {
                return Err(invalid(format!(
                    "token-type count {} needs a token-type table",
                    count
                )))
            }
            (count, Some(table)) => {
                if let Some(len) = table_len(count, dim) {
                    check_len("token-type table", table.len(), len)?;
                }
            }
            _ => {}
        }

        let mut raw = options.raw;
        raw.init = sys::EMB_INIT_COPY;
        raw.token_data = token.as_ptr();
        raw.position_data = optional_ptr(position);
        raw.token_type_data = optional_ptr(token_type);
        Model::create(&raw)
    }

    /// Loads a model from a safetensors file (F32, F16 or BF16 tensors).
    pub fn load<P: AsRef<Path>>(path: P, options: &LoadOptions) -> Result<Model, Error> {
        check_abi()?;
        let path = c_path(path.as_ref())?;
        let token_tensor = match &options.token_tensor {
            Some(name) => Some(c_string("token tensor name", name)?),
            None => None,
        };
        let position_tensor = match &options.position_tensor {
            Some(name) => Some(c_string("position tensor name", name)?),
            None => None,
        };

        // SAFETY: zero is valid for every field; init sets the defaults.
        let mut raw: sys::emb_load_options = unsafe { std::mem::zeroed() };
        unsafe { sys::emb_load_options_init(&mut raw) };
        raw.mode = match options.mode {
            LoadMode::Copy => sys::EMB_LOAD_COPY,
            LoadMode::Mmap => sys::EMB_LOAD_MMAP,
        };
        raw.token_tensor = token_tensor.as_ref().map_or(ptr::null(), |s| s.as_ptr());
        raw.position_tensor = position_tensor.as_ref().map_or(ptr::null(), |s| s.as_ptr());
        raw.no_position_tensor = options.no_position_tensor as i32;
        raw.num_threads = options.num_threads;
        raw.kernel = options.kernel.raw();

        let mut model: *mut sys::emb_model = ptr::null_mut();
        // SAFETY: the strings outlive the call; the library keeps none of
        // the pointers.
        call(|err| unsafe {
            sys::emb_model_load_safetensors(path.as_ptr(), &raw, &mut model, err)
        })?;
        NonNull::new(model)
            .map(|raw| Model { raw })
            .ok_or_else(|| invalid("emb_model_load_safetensors returned no handle".to_string()))
    }

    /// Writes the tables to a safetensors file atomically (a temporary
    /// file renamed over `path`), with `metadata` key-value pairs stored
    /// under "__metadata__".
    pub fn save<P: AsRef<Path>>(&self, path: P, metadata: &[(&str, &str)]) -> Result<(), Error> {
        let path = c_path(path.as_ref())?;
        let mut keys = Vec::with_capacity(metadata.len());
        let mut values = Vec::with_capacity(metadata.len());
        for (key, value) in metadata {
            keys.push(c_string("metadata key", key)?);
            values.push(c_string("metadata value", value)?);
        }
        let key_ptrs: Vec<*const c_char> = keys.iter().map(|s| s.as_ptr()).collect();
        let value_ptrs: Vec<*const c_char> = values.iter().map(|s| s.as_ptr()).collect();
        let count = to_i64("metadata count", metadata.len())?;
        // SAFETY: both pointer arrays hold `count` NUL-terminated strings
        // that outlive the call.
        call(|err| unsafe {
            sys::emb_model_save_safetensors(
                self.raw.as_ptr(),
                path.as_ptr(),
                key_ptrs.as_ptr(),
                value_ptrs.as_ptr(),
                count,
                err,
            )
        })
    }

    /// Returns the rows V of the token table.
    pub fn vocab_size(&self) -> usize {
        // SAFETY (all getters): the handle is valid while self lives.
        unsafe { sys::emb_model_vocab_size(self.raw.as_ptr()) as usize }
    }

    /// Returns the columns D of every table.
    pub fn dim(&self) -> usize {
        unsafe { sys::emb_model_dim(self.raw.as_ptr()) as usize }
    }

    /// Returns the rows C of the position table (0 without one).
    pub fn context_length(&self) -> usize {
        unsafe { sys::emb_model_context_length(self.raw.as_ptr()) as usize }
    }

    /// Returns the rows of the token-type table (0 without one).
    pub fn token_type_count(&self) -> usize {
        unsafe { sys::emb_model_token_type_count(self.raw.as_ptr()) as usize }
    }

    /// Returns how positions enter the embedding.
    pub fn position_kind(&self) -> PositionKind {
        let raw = unsafe { sys::emb_model_position_kind(self.raw.as_ptr()) };
        PositionKind::from_raw(raw).unwrap_or(PositionKind::None)
    }

    /// Returns the worker threads of large forward calls.
    pub fn num_threads(&self) -> usize {
        unsafe { sys::emb_model_num_threads(self.raw.as_ptr()) as usize }
    }

    /// Borrows the row-major data of a table, or `None` when the model has no such
    /// table. The borrow ends before any `&mut self` call can reallocate it.
    pub fn table(&self, table: Table) -> Option<&[f32]> {
        // SAFETY: the pointer stays valid until destroy or resize_vocab,
        // and both need the model mutably or by value.
        unsafe {
            let data = sys::emb_model_table_data(self.raw.as_ptr(), table.raw());
            if data.is_null() {
                return None;
            }
            let rows = sys::emb_model_table_rows(self.raw.as_ptr(), table.raw()) as usize;
            Some(std::slice::from_raw_parts(data, rows * self.dim()))
        }
    }

    /// Copies row `row` of `table` into `dst`, which must hold exactly D
    /// floats.
    pub fn read_row(&self, table: Table, row: usize, dst: &mut [f32]) -> Result<(), Error> {
        check_len("row buffer", dst.len(), self.dim())?;
        let row = to_i64("row", row)?;
        let count = to_i64("row buffer length", dst.len())?;
        // SAFETY: dst has room for count floats.
        call(|err| unsafe {
            sys::emb_model_read_row(
                self.raw.as_ptr(),
                table.raw(),
                row,
                dst.as_mut_ptr(),
                count,
                err,
            )
        })
    }

    /// Overwrites row `row` of an owned table with `src` (exactly D floats).
    /// Fails with [`Status::ReadOnly`] for a memory-mapped table.
    pub fn write_row(&mut self, table: Table, row: usize, src: &[f32]) -> Result<(), Error> {
        check_len("row values", src.len(), self.dim())?;
        let row = to_i64("row", row)?;
        let count = to_i64("row values length", src.len())?;
        // SAFETY: &mut self gives the exclusive access the C call needs.
        call(|err| unsafe {
            sys::emb_model_write_row(
                self.raw.as_ptr(),
                table.raw(),
                row,
                src.as_ptr(),
                count,
                err,
            )
        })
    }

    /// Changes the number of token rows, keeping the first ones bit for
    /// bit; new rows follow the creation rule (seeded normal or zeros).
    pub fn resize_vocab(&mut self, vocab_size: usize) -> Result<(), Error> {
        let vocab_size = to_i64("vocab size", vocab_size)?;
        // SAFETY: &mut self: no table borrow is alive.
        call(|err| unsafe { sys::emb_model_resize_vocab(self.raw.as_ptr(), vocab_size, err) })
    }

    /// Returns B * T * D, the floats a forward over [batch, seq_len] ids
    /// writes.
    pub fn output_count(&self, batch: usize, seq_len: usize) -> Result<usize, Error> {
        let batch = to_i64("batch", batch)?;
        let seq_len = to_i64("seq_len", seq_len)?;
        let mut count = 0i64;
        call(|err| unsafe {
            sys::emb_output_count(self.raw.as_ptr(), batch, seq_len, &mut count, err)
        })?;
        Ok(count as usize)
    }

    #[allow(clippy::too_many_arguments)]
    fn run_forward<T: IdType>(
        &self,
        ids: &[T],
        position_ids: Option<&[T]>,
        token_type_ids: Option<&[T]>,
        batch: usize,
        seq_len: usize,
        start: usize,
        out: &mut [f32],
    ) -> Result<(), Error> {
        let count = product("batch x seq_len", &[batch, seq_len])?;
        check_len("ids", ids.len(), count)?;
        if let Some(position_ids) = position_ids {
            check_len("position ids", position_ids.len(), count)?;
        }
        if let Some(token_type_ids) = token_type_ids {
            check_len("token-type ids", token_type_ids.len(), count)?;
        }
        check_len(
            "out",
            out.len(),
            product("batch x seq_len x dim", &[count, self.dim()])?,
        )?;
        let batch = to_i64("batch", batch)?;
        let seq_len = to_i64("seq_len", seq_len)?;
        let start = to_i64("start", start)?;
        let out_count = to_i64("out length", out.len())?;

        // SAFETY: every slice length was checked against the shape above,
        // and the library keeps no pointer after returning.
        call(|err| unsafe {
            if position_ids.is_none() && token_type_ids.is_none() {
                T::forward(
                    self.raw.as_ptr(),
                    ids.as_ptr(),
                    batch,
                    seq_len,
                    start,
                    out.as_mut_ptr(),
                    out_count,
                    err,
                )
            } else {
                T::forward_ex(
                    self.raw.as_ptr(),
                    ids.as_ptr(),
                    optional_ptr(position_ids),
                    optional_ptr(token_type_ids),
                    batch,
                    seq_len,
                    start,
                    out.as_mut_ptr(),
                    out_count,
                    err,
                )
            }
        })
    }

    /// Computes `out[b, t, :] = token[ids[b, t], :] + position[start + t, :]`
    /// for int32 `ids` [batch, seq_len]; `out` must hold exactly
    /// batch * seq_len * dim floats. On error `out` is unchanged.
    pub fn forward(
        &self,
        ids: &[i32],
        batch: usize,
        seq_len: usize,
        start: usize,
        out: &mut [f32],
    ) -> Result<(), Error> {
        self.run_forward(ids, None, None, batch, seq_len, start, out)
    }

    /// [`Model::forward`] for int64 ids.
    pub fn forward_i64(
        &self,
        ids: &[i64],
        batch: usize,
        seq_len: usize,
        start: usize,
        out: &mut [f32],
    ) -> Result<(), Error> {
        self.run_forward(ids, None, None, batch, seq_len, start, out)
    }

    /// [`Model::forward`] with optional explicit position ids (then `start`
    /// must be 0) and token-type ids, both [batch, seq_len].
    #[allow(clippy::too_many_arguments)]
    pub fn forward_ex(
        &self,
        ids: &[i32],
        position_ids: Option<&[i32]>,
        token_type_ids: Option<&[i32]>,
        batch: usize,
        seq_len: usize,
        start: usize,
        out: &mut [f32],
    ) -> Result<(), Error> {
        self.run_forward(
            ids,
            position_ids,
            token_type_ids,
            batch,
            seq_len,
            start,
            out,
        )
    }

    /// [`Model::forward_ex`] for int64 ids.
    #[allow(clippy::too_many_arguments)]
    pub fn forward_ex_i64(
        &self,
        ids: &[i64],
        position_ids: Option<&[i64]>,
        token_type_ids: Option<&[i64]>,
        batch: usize,
        seq_len: usize,
        start: usize,
        out: &mut [f32],
    ) -> Result<(), Error> {
        self.run_forward(
            ids,
            position_ids,
            token_type_ids,
            batch,
            seq_len,
            start,
            out,
        )
    }

    /// [`Model::forward`] into a new vector of batch * seq_len * dim floats.
    pub fn embed(
        &self,
        ids: &[i32],
        batch: usize,
        seq_len: usize,
        start: usize,
    ) -> Result<Vec<f32>, Error> {
        let len = product("batch x seq_len x dim", &[batch, seq_len, self.dim()])?;
        // Check the ids before allocating, so a wrong shape is an error and
        // not an allocation of batch x seq_len x dim floats.
        check_len("ids", ids.len(), product("batch x seq_len", &[batch, seq_len])?)?;
        let mut out: Vec<f32> = Vec::new();
        out.try_reserve_exact(len).map_err(|_| {
            Error::new(
                Status::OutOfMemory,
                format!("cannot allocate {} floats for the output", len),
            )
        })?;
        out.resize(len, 0.0);
        self.forward(ids, batch, seq_len, start, &mut out)?;
        Ok(out)
    }
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("vocab_size", &self.vocab_size())
            .field("dim", &self.dim())
            .field("context_length", &self.context_length())
            .field("position_kind", &self.position_kind())
            .finish()
    }
}
