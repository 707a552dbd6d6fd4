package embedding

/*
#include <embedding/embedding.h>
*/
import "C"

import (
	"errors"
	"fmt"
	"math"
	"syscall"
)

// Status is a libembedding status code. It implements error, so
// errors.Is(err, StatusIDOutOfRange) reports whether err carries that status.
type Status int32

// Status codes of the C API; values never change.
const (
	StatusOK                 Status = C.EMB_OK
	StatusInvalidArgument    Status = C.EMB_ERR_INVALID_ARGUMENT
	StatusIDOutOfRange       Status = C.EMB_ERR_ID_OUT_OF_RANGE
	StatusPositionOutOfRange Status = C.EMB_ERR_POSITION_OUT_OF_RANGE
	StatusOutOfMemory        Status = C.EMB_ERR_OUT_OF_MEMORY
	StatusUnsupported        Status = C.EMB_ERR_UNSUPPORTED
	StatusReadOnly           Status = C.EMB_ERR_READ_ONLY
	StatusIO                 Status = C.EMB_ERR_IO
	StatusFormat             Status = C.EMB_ERR_FORMAT
	StatusNotFound           Status = C.EMB_ERR_NOT_FOUND
	StatusShapeMismatch      Status = C.EMB_ERR_SHAPE_MISMATCH
)

// String returns the library's English description, e.g. "id out of range".
func (s Status) String() string {
	return C.GoString(C.emb_status_message(C.emb_status(s)))
}

// Error makes a Status usable as a target of errors.Is.
func (s Status) Error() string {
	return "embedding: " + s.String()
}

// ErrClosed is returned by every method of a Model after Close.
var ErrClosed = errors.New("embedding: the model is closed")

// Error is a failed call. The Has* fields tell which details the library
// reported.
type Error struct {
	Status  Status
	Message string // English detail from the library

	HasIndex   bool
	Index      int64 // flat index of the offending input element
	BatchIndex int64 // its row b
	SeqIndex   int64 // its column t

	HasValue bool
	Value    int64 // the offending value

	HasRange   bool
	RangeBegin int64 // the valid range is [RangeBegin, RangeEnd)
	RangeEnd   int64

	// OSError is errno of a failed system call (with StatusIO), else 0.
	OSError syscall.Errno
}

func (e *Error) Error() string {
	return fmt.Sprintf("embedding: %s: %s", e.Status.String(), e.Message)
}

// Is reports whether target is the Status of e.
func (e *Error) Is(target error) bool {
	status, ok := target.(Status)
	return ok && status == e.Status
}

// Unwrap returns the errno of a failed system call, so that
// errors.Is(err, fs.ErrNotExist) works for a missing weights file.
func (e *Error) Unwrap() error {
	if e.OSError != 0 {
		return e.OSError
	}
	return nil
}

func invalidArgument(format string, args ...interface{}) error {
	return &Error{Status: StatusInvalidArgument, Message: fmt.Sprintf(format, args...)}
}

// clampThreads maps a thread count onto int32 without wrapping: values
// above the largest int32 become it (the library caps them further) and
// values below the smallest become it (the library rejects them).
func clampThreads(threads int) int {
	if threads > math.MaxInt32 {
		return math.MaxInt32
	}
	if threads < math.MinInt32 {
		return math.MinInt32
	}
	return threads
}

func newCError() C.emb_error {
	var cerr C.emb_error
	C.emb_error_init(&cerr)
	return cerr
}

// fromC converts the status and error struct of a C call; nil for EMB_OK.
func fromC(status C.emb_status, cerr *C.emb_error) error {
	if status == C.EMB_OK {
		return nil
	}
	e := &Error{
		Status:  Status(status),
		Message: C.GoString(&cerr.message[0]),
	}
	if e.Message == "" {
		e.Message = e.Status.String()
	}
	fields := uint32(cerr.fields)
	if fields&C.EMB_ERROR_HAS_INDEX != 0 {
		e.HasIndex = true
		e.Index = int64(cerr.index)
		e.BatchIndex = int64(cerr.batch_index)
		e.SeqIndex = int64(cerr.seq_index)
	}
	if fields&C.EMB_ERROR_HAS_VALUE != 0 {
		e.HasValue = true
		e.Value = int64(cerr.value)
	}
	if fields&C.EMB_ERROR_HAS_RANGE != 0 {
		e.HasRange = true
		e.RangeBegin = int64(cerr.range_begin)
		e.RangeEnd = int64(cerr.range_end)
	}
	if fields&C.EMB_ERROR_HAS_OS_ERROR != 0 {
		e.OSError = syscall.Errno(cerr.os_error)
	}
	return e
}
