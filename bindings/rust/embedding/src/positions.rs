//! Position ids of left-padded batches from their attention masks.

use embedding_sys as sys;

use crate::error::{call, invalid, Error};
use crate::model::to_i64;

fn check_shape<T>(mask: &[u8], batch: usize, seq_len: usize, positions: &[T]) -> Result<(), Error> {
    let count = batch.checked_mul(seq_len).ok_or_else(|| {
        invalid(format!(
            "mask of {} x {} elements overflows usize",
            batch, seq_len
        ))
    })?;
    if mask.len() != count || positions.len() != count {
        return Err(invalid(format!(
            "mask holds {} and positions {} elements, but {} x {} = {} are expected",
            mask.len(),
            positions.len(),
            batch,
            seq_len,
            count
        )));
    }
    Ok(())
}

/// Writes int32 position ids for a [batch, seq_len] attention mask of 0
/// (padding) and 1 (real token): the k-th real token of a row gets
/// `start + k`, padding gets 0. `positions` has the mask's length.
pub fn positions_from_mask_i32(
    mask: &[u8],
    batch: usize,
    seq_len: usize,
    start: usize,
    positions: &mut [i32],
) -> Result<(), Error> {
    check_shape(mask, batch, seq_len, positions)?;
    let (b, t, s) = (
        to_i64("batch", batch)?,
        to_i64("seq_len", seq_len)?,
        to_i64("start", start)?,
    );
    let count = to_i64("positions length", positions.len())?;
    // SAFETY: both slices hold batch * seq_len elements.
    call(|err| unsafe {
        sys::emb_positions_from_mask_i32(mask.as_ptr(), b, t, s, positions.as_mut_ptr(), count, err)
    })
}

/// [`positions_from_mask_i32`] with int64 positions.
pub fn positions_from_mask_i64(
    mask: &[u8],
    batch: usize,
    seq_len: usize,
    start: usize,
    positions: &mut [i64],
) -> Result<(), Error> {
    check_shape(mask, batch, seq_len, positions)?;
    let (b, t, s) = (
        to_i64("batch", batch)?,
        to_i64("seq_len", seq_len)?,
        to_i64("start", start)?,
    );
    let count = to_i64("positions length", positions.len())?;
    // SAFETY: both slices hold batch * seq_len elements.
    call(|err| unsafe {
        sys::emb_positions_from_mask_i64(mask.as_ptr(), b, t, s, positions.as_mut_ptr(), count, err)
    })
}
