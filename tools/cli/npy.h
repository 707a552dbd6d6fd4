/*
 * NumPy .npy files: a reader for integer id arrays and an atomic writer for
 * float32 arrays. Format: the magic "\x93NUMPY", a version, a little-endian
 * header length, then a Python dict literal with 'descr', 'fortran_order'
 * and 'shape', then the raw array data.
 */
#ifndef EMB_CLI_NPY_H
#define EMB_CLI_NPY_H

#include <stdint.h>

#include "ids.h"

/* Reads an .npy file of ids into *out (lines and labels stay NULL), which
 * the caller releases with ids_free. Accepts format versions 1.0 to 3.0,
 * dtype int32 or int64 little-endian ('<i4', '<i8'), C order, and shape
 * [seq_len] (one sequence) or [batch, seq_len] with at least one id. The
 * data must fill the file exactly. On failure prints one line naming the
 * file and the rule broken and returns CLI_EXIT_DATA; returns CLI_CONTINUE
 * on success. */
int npy_read_ids(const char *path, id_sequences *out);

/* Writes `data`, a C-order float32 array of `rank` dimensions given by
 * `shape`, to `path` as an .npy version 1.0 file ('<f4').
 *
 * The file is written to a temporary file in the same directory, flushed to
 * disk and renamed over `path`, so `path` is either left as it was or contains
 * the complete array. As with emb_model_save_safetensors, `path` must be
 * missing or a regular file, and a replaced file keeps its permission bits.
 * A directory, FIFO, device or socket at `path` is rejected before
 * anything is written. A symbolic link to a regular file is replaced by the new file,
 * and the file it pointed to is left unchanged. On failure the temporary
 * file is removed (or never created), one line naming `path` is printed
 * and CLI_EXIT_DATA is returned; returns CLI_CONTINUE on success. */
int npy_write_f32(const char *path, const float *data, const int64_t *shape,
                  int rank);

#endif /* EMB_CLI_NPY_H */
