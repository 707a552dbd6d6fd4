// Package embedding is the Go binding of libembedding, the input embeddings
// of transformer language models:
//
//	out[b, t, :] = token[ids[b, t], :] + position[start + t, :]
//
// It links libembedding.so.1 through cgo and pkg-config (set
// PKG_CONFIG_PATH to <prefix>/lib/pkgconfig for a non-system install) and
// checks the library's ABI version whenever a model is created.
//
// Shapes use B = batch, T = seqLen, V = vocab size, C = context length and
// D = dim; every array is row-major.
//
// Errors are values: a failed call returns an *Error carrying the status,
// the library's message and, for a bad id or position, the offending
// element. Compare statuses with errors.Is(err, embedding.StatusIDOutOfRange)
// or read the details with errors.As.
//
// A *Model may be used from many goroutines at once: forward calls and
// reads run concurrently, while WriteRow, ResizeVocab and Close wait for
// them and run alone. The C library keeps no pointer to Go memory after a
// call returns.
package embedding

/*
#cgo pkg-config: embedding
#include <embedding/embedding.h>
*/
import "C"

import "fmt"

// ABIVersion is the libembedding ABI version this package is written for.
const ABIVersion = 1

// LibraryVersion returns the version string of the loaded library, e.g.
// "1.0.0".
func LibraryVersion() string {
	return C.GoString(C.emb_version_string())
}

// LibraryVersionNumber returns major*10000 + minor*100 + patch of the
// loaded library.
func LibraryVersionNumber() int {
	return int(C.emb_version_number())
}

// LibraryABIVersion returns the ABI version of the loaded library.
func LibraryABIVersion() int {
	return int(C.emb_abi_version())
}

// checkABI fails unless the loaded library has ABI version ABIVersion.
func checkABI() error {
	if abi := LibraryABIVersion(); abi != ABIVersion {
		return &Error{
			Status: StatusUnsupported,
			Message: fmt.Sprintf("the loaded libembedding has ABI version %d, "+
				"but this package needs ABI version %d (libembedding.so.%d)",
				abi, ABIVersion, ABIVersion),
		}
	}
	return nil
}
