package embedding

/*
#include <embedding/embedding.h>
*/
import "C"

import (
	"math"
	"unsafe"
)

func checkMask(mask []byte, batch, seqLen, positions int) error {
	if batch < 0 || seqLen < 0 {
		return invalidArgument("batch %d and seqLen %d must not be negative", batch, seqLen)
	}
	if seqLen != 0 && batch > math.MaxInt/seqLen {
		return invalidArgument("batch %d x seqLen %d overflows int", batch, seqLen)
	}
	if count := batch * seqLen; len(mask) != count || positions != count {
		return invalidArgument("mask holds %d and positions %d elements but %d x %d = %d are expected",
			len(mask), positions, batch, seqLen, count)
	}
	return nil
}

func bytePtr(values []byte) *C.uint8_t {
	if len(values) == 0 {
		return nil
	}
	return (*C.uint8_t)(unsafe.Pointer(&values[0]))
}

// PositionsFromMaskInt32 writes position ids for a left-padded batch from
// its [batch, seqLen] attention mask of 0 (padding) and 1 (real token): the
// k-th real token of a row gets start + k, padding gets 0.
func PositionsFromMaskInt32(mask []byte, batch, seqLen, start int, positions []int32) error {
	if err := checkMask(mask, batch, seqLen, len(positions)); err != nil {
		return err
	}
	cerr := newCError()
	status := C.emb_positions_from_mask_i32(bytePtr(mask), C.int64_t(batch), C.int64_t(seqLen),
		C.int64_t(start), int32Ptr(positions), C.int64_t(len(positions)), &cerr)
	return fromC(status, &cerr)
}

// PositionsFromMaskInt64 is PositionsFromMaskInt32 with int64 positions.
func PositionsFromMaskInt64(mask []byte, batch, seqLen, start int, positions []int64) error {
	if err := checkMask(mask, batch, seqLen, len(positions)); err != nil {
		return err
	}
	cerr := newCError()
	status := C.emb_positions_from_mask_i64(bytePtr(mask), C.int64_t(batch), C.int64_t(seqLen),
		C.int64_t(start), int64Ptr(positions), C.int64_t(len(positions)), &cerr)
	return fromC(status, &cerr)
}
