//! Status codes and the error type of failed calls.

use std::ffi::CStr;
use std::fmt;

use embedding_sys as sys;

/// Status code of a failed call (the C `emb_status`, never `EMB_OK`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Status {
    /// A bad size, a too small or too large buffer, or an overflowing size.
    InvalidArgument,
    /// A token id or token-type id outside the rows of its table.
    IdOutOfRange,
    /// A position outside `[0, context_length)`.
    PositionOutOfRange,
    /// Memory allocation failed.
    OutOfMemory,
    /// A valid value that this library version does not implement.
    Unsupported,
    /// The operation would modify a borrowed or memory-mapped table.
    ReadOnly,
    /// An operating-system call failed; see [`Error::os_error`].
    Io,
    /// A weights file is malformed.
    Format,
    /// A requested tensor is not in the weights file.
    NotFound,
    /// Tensor shapes disagree.
    ShapeMismatch,
    /// A code newer than this binding.
    Other(i32),
}

impl Status {
    /// Converts a C status value; `None` for `EMB_OK`.
    pub fn from_raw(raw: sys::emb_status) -> Option<Status> {
        Some(match raw {
            sys::EMB_OK => return None,
            sys::EMB_ERR_INVALID_ARGUMENT => Status::InvalidArgument,
            sys::EMB_ERR_ID_OUT_OF_RANGE => Status::IdOutOfRange,
            sys::EMB_ERR_POSITION_OUT_OF_RANGE => Status::PositionOutOfRange,
            sys::EMB_ERR_OUT_OF_MEMORY => Status::OutOfMemory,
            sys::EMB_ERR_UNSUPPORTED => Status::Unsupported,
            sys::EMB_ERR_READ_ONLY => Status::ReadOnly,
            sys::EMB_ERR_IO => Status::Io,
            sys::EMB_ERR_FORMAT => Status::Format,
            sys::EMB_ERR_NOT_FOUND => Status::NotFound,
            sys::EMB_ERR_SHAPE_MISMATCH => Status::ShapeMismatch,
            other => Status::Other(other),
        })
    }

    /// Returns the C status value.
    pub fn raw(self) -> sys::emb_status {
        match self {
            Status::InvalidArgument => sys::EMB_ERR_INVALID_ARGUMENT,
            Status::IdOutOfRange => sys::EMB_ERR_ID_OUT_OF_RANGE,
            Status::PositionOutOfRange => sys::EMB_ERR_POSITION_OUT_OF_RANGE,
            Status::OutOfMemory => sys::EMB_ERR_OUT_OF_MEMORY,
            Status::Unsupported => sys::EMB_ERR_UNSUPPORTED,
            Status::ReadOnly => sys::EMB_ERR_READ_ONLY,
            Status::Io => sys::EMB_ERR_IO,
            Status::Format => sys::EMB_ERR_FORMAT,
            Status::NotFound => sys::EMB_ERR_NOT_FOUND,
            Status::ShapeMismatch => sys::EMB_ERR_SHAPE_MISMATCH,
            Status::Other(raw) => raw,
        }
    }

    /// Returns the library's static English description of the status.
    pub fn description(self) -> &'static str {
        // SAFETY: emb_status_message returns a static NUL-terminated string
        // for every value, never NULL.
        let text = unsafe { CStr::from_ptr(sys::emb_status_message(self.raw())) };
        text.to_str().unwrap_or("unknown status")
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.description())
    }
}

/// A failed call: its status, the library's message and, where the library
/// reported them, the offending element and the valid range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    status: Status,
    message: String,
    index: Option<(i64, i64, i64)>,
    value: Option<i64>,
    range: Option<(i64, i64)>,
    os_error: Option<i32>,
}

impl Error {
    /// Builds an error detected by this binding before calling the library.
    pub(crate) fn new(status: Status, message: String) -> Error {
        Error {
            status,
            message,
            index: None,
            value: None,
            range: None,
            os_error: None,
        }
    }

    pub(crate) fn from_native(raw_status: sys::emb_status, err: &sys::emb_error) -> Error {
        let status = Status::from_raw(raw_status).unwrap_or(Status::Other(raw_status));
        // SAFETY: the library always NUL-terminates message inside the array
        // (emb_error_init zeroes it and messages are truncated to fit).
        let message = unsafe { CStr::from_ptr(err.message.as_ptr()) }
            .to_string_lossy()
            .into_owned();
        let has = |bit: u32| err.fields & bit != 0;
        Error {
            status,
            message: if message.is_empty() {
                status.description().to_string()
            } else {
                message
            },
            index: if has(sys::EMB_ERROR_HAS_INDEX) {
                Some((err.index, err.batch_index, err.seq_index))
            } else {
                None
            },
            value: if has(sys::EMB_ERROR_HAS_VALUE) {
                Some(err.value)
            } else {
                None
            },
            range: if has(sys::EMB_ERROR_HAS_RANGE) {
                Some((err.range_begin, err.range_end))
            } else {
                None
            },
            os_error: if has(sys::EMB_ERROR_HAS_OS_ERROR) {
                Some(err.os_error)
            } else {
                None
            },
        }
    }

    /// Returns the status code.
    pub fn status(&self) -> Status {
        self.status
    }

    /// Returns the English detail, e.g. "token id 99 at flat index 4 (batch 1,
    /// position 1) is outside [0, 16)".
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Returns the flat index of the offending element of the input array.
    pub fn index(&self) -> Option<i64> {
        self.index.map(|(flat, _, _)| flat)
    }

    /// Returns the row `b` of the offending element.
    pub fn batch_index(&self) -> Option<i64> {
        self.index.map(|(_, batch, _)| batch)
    }

    /// Returns the column `t` of the offending element.
    pub fn seq_index(&self) -> Option<i64> {
        self.index.map(|(_, _, seq)| seq)
    }

    /// Returns the offending value.
    pub fn value(&self) -> Option<i64> {
        self.value
    }

    /// Returns the valid range `[begin, end)` that the value missed.
    pub fn range(&self) -> Option<(i64, i64)> {
        self.range
    }

    /// Returns `errno` of a failed system call (with [`Status::Io`]).
    pub fn os_error(&self) -> Option<i32> {
        self.os_error
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status, self.message)
    }
}

impl std::error::Error for Error {}

/// Creates a C error struct prepared with `emb_error_init`.
pub(crate) fn new_native_error() -> sys::emb_error {
    // SAFETY: every field of emb_error is an integer or a byte array, so the
    // all-zero value is valid; emb_error_init then sets struct_size.
    let mut err: sys::emb_error = unsafe { std::mem::zeroed() };
    unsafe { sys::emb_error_init(&mut err) };
    err
}

/// Runs one fallible C call with a fresh error struct.
pub(crate) fn call<F>(function: F) -> Result<(), Error>
where
    F: FnOnce(*mut sys::emb_error) -> sys::emb_status,
{
    let mut err = new_native_error();
    let status = function(&mut err);
    if status == sys::EMB_OK {
        Ok(())
    } else {
        Err(Error::from_native(status, &err))
    }
}

/// Builds an InvalidArgument error for this binding's own checks.
pub(crate) fn invalid(message: String) -> Error {
    Error::new(Status::InvalidArgument, message)
}
