package embedding

/*
#include <embedding/embedding.h>
*/
import "C"

import (
	"math"
	"runtime"
)

// checkShape checks the slice lengths of a forward call against
// [batch, seqLen] and the model's dim.
func checkShape(batch, seqLen, dim, ids, positionIDs, tokenTypeIDs, out int, hasPositions, hasTypes bool) error {
	if batch < 0 || seqLen < 0 {
		return invalidArgument("batch %d and seqLen %d must not be negative", batch, seqLen)
	}
	if seqLen != 0 && batch > math.MaxInt/seqLen {
		return invalidArgument("batch %d x seqLen %d overflows int", batch, seqLen)
	}
	count := batch * seqLen
	if dim != 0 && count > math.MaxInt/dim {
		return invalidArgument("output of %d x %d x %d floats overflows int", batch, seqLen, dim)
	}
	if ids != count {
		return invalidArgument("ids holds %d elements but %d x %d = %d are expected", ids, batch, seqLen, count)
	}
	if hasPositions && positionIDs != count {
		return invalidArgument("position ids hold %d elements but %d are expected", positionIDs, count)
	}
	if hasTypes && tokenTypeIDs != count {
		return invalidArgument("token-type ids hold %d elements but %d are expected", tokenTypeIDs, count)
	}
	if out != count*dim {
		return invalidArgument("out holds %d floats but %d x %d x %d = %d are expected",
			out, batch, seqLen, dim, count*dim)
	}
	return nil
}

// ForwardInt32 computes out[b, t, :] = token[ids[b, t], :] +
// position[start + t, :] for int32 ids [batch, seqLen]; out must hold
// exactly batch*seqLen*Dim() floats. On error out is unchanged.
func (m *Model) ForwardInt32(ids []int32, batch, seqLen, start int, out []float32) error {
	return m.ForwardExInt32(ids, nil, nil, batch, seqLen, start, out)
}

// ForwardInt64 is ForwardInt32 for int64 ids.
func (m *Model) ForwardInt64(ids []int64, batch, seqLen, start int, out []float32) error {
	return m.ForwardExInt64(ids, nil, nil, batch, seqLen, start, out)
}

// ForwardExInt32 is ForwardInt32 with optional explicit position ids (then
// start must be 0) and token-type ids, both [batch, seqLen]; pass nil for
// either to leave it out.
func (m *Model) ForwardExInt32(ids, positionIDs, tokenTypeIDs []int32, batch, seqLen, start int, out []float32) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.raw == nil {
		return ErrClosed
	}
	dim := int(C.emb_model_dim(m.raw))
	if err := checkShape(batch, seqLen, dim, len(ids), len(positionIDs), len(tokenTypeIDs), len(out),
		positionIDs != nil, tokenTypeIDs != nil); err != nil {
		return err
	}

	cerr := newCError()
	var status C.emb_status
	if positionIDs == nil && tokenTypeIDs == nil {
		status = C.emb_forward_i32(m.raw, int32Ptr(ids), C.int64_t(batch), C.int64_t(seqLen),
			C.int64_t(start), floatPtr(out), C.int64_t(len(out)), &cerr)
	} else {
		status = C.emb_forward_ex_i32(m.raw, int32Ptr(ids), int32Ptr(positionIDs),
			int32Ptr(tokenTypeIDs), C.int64_t(batch), C.int64_t(seqLen), C.int64_t(start),
			floatPtr(out), C.int64_t(len(out)), &cerr)
	}
	runtime.KeepAlive(m)
	return fromC(status, &cerr)
}

// ForwardExInt64 is ForwardExInt32 for int64 ids.
func (m *Model) ForwardExInt64(ids, positionIDs, tokenTypeIDs []int64, batch, seqLen, start int, out []float32) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.raw == nil {
		return ErrClosed
	}
	dim := int(C.emb_model_dim(m.raw))
	if err := checkShape(batch, seqLen, dim, len(ids), len(positionIDs), len(tokenTypeIDs), len(out),
		positionIDs != nil, tokenTypeIDs != nil); err != nil {
		return err
	}

	cerr := newCError()
	var status C.emb_status
	if positionIDs == nil && tokenTypeIDs == nil {
		status = C.emb_forward_i64(m.raw, int64Ptr(ids), C.int64_t(batch), C.int64_t(seqLen),
			C.int64_t(start), floatPtr(out), C.int64_t(len(out)), &cerr)
	} else {
		status = C.emb_forward_ex_i64(m.raw, int64Ptr(ids), int64Ptr(positionIDs),
			int64Ptr(tokenTypeIDs), C.int64_t(batch), C.int64_t(seqLen), C.int64_t(start),
			floatPtr(out), C.int64_t(len(out)), &cerr)
	}
	runtime.KeepAlive(m)
	return fromC(status, &cerr)
}

// Embed is ForwardInt32 into a new slice of batch*seqLen*Dim() floats.
func (m *Model) Embed(ids []int32, batch, seqLen, start int) ([]float32, error) {
	dim := m.Dim()
	if batch < 0 || seqLen < 0 || (seqLen != 0 && batch > math.MaxInt/seqLen) ||
		(dim != 0 && batch*seqLen > math.MaxInt/dim) {
		return nil, invalidArgument("batch %d and seqLen %d give no valid output size", batch, seqLen)
	}
	// Check the ids before allocating, so a wrong shape is an error and not
	// an allocation of batch*seqLen*dim floats that the runtime cannot make.
	if len(ids) != batch*seqLen {
		return nil, invalidArgument("ids holds %d elements but batch %d x seqLen %d = %d are expected",
			len(ids), batch, seqLen, batch*seqLen)
	}
	out := make([]float32, batch*seqLen*dim)
	if err := m.ForwardInt32(ids, batch, seqLen, start, out); err != nil {
		return nil, err
	}
	return out, nil
}
