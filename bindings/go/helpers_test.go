package embedding

import (
	"errors"
	"math"
	"testing"
)

// rng is SplitMix64: enough randomness for test tables and ids.
type rng uint64

func (r *rng) next() uint64 {
	*r += 0x9E3779B97F4A7C15
	z := uint64(*r)
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

func (r *rng) floats(n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(r.next()>>40)/float32(1<<23) - 1
	}
	return out
}

func (r *rng) ids(n, vocab int) []int32 {
	out := make([]int32, n)
	for i := range out {
		out[i] = int32(r.next() % uint64(vocab))
	}
	return out
}

// referenceForward computes token[ids] + position[start + t] in float32.
func referenceForward(token, position []float32, dim int, ids []int64, seqLen, start int) []float32 {
	out := make([]float32, 0, len(ids)*dim)
	for flat, id := range ids {
		t := flat % seqLen
		for j := 0; j < dim; j++ {
			out = append(out, token[int(id)*dim+j]+position[(start+t)*dim+j])
		}
	}
	return out
}

func widen(ids []int32) []int64 {
	out := make([]int64, len(ids))
	for i, id := range ids {
		out[i] = int64(id)
	}
	return out
}

func assertBitsEqual(t *testing.T, actual, expected []float32) {
	t.Helper()
	if len(actual) != len(expected) {
		t.Fatalf("length %d, expected %d", len(actual), len(expected))
	}
	for i := range actual {
		if math.Float32bits(actual[i]) != math.Float32bits(expected[i]) {
			t.Fatalf("element %d: %v != %v", i, actual[i], expected[i])
		}
	}
}

// requireError asserts that err is an *Error with the given status.
func requireError(t *testing.T, err error, status Status) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("expected an *Error with %v, got %v", status, err)
	}
	if e.Status != status {
		t.Fatalf("expected status %v, got %v (%s)", status, e.Status, e.Message)
	}
	if !errors.Is(err, status) {
		t.Fatalf("errors.Is(err, %v) is false", status)
	}
	return e
}

const (
	smallVocab   = 16
	smallDim     = 8
	smallContext = 12
)

func smallModel(t *testing.T, r *rng) (*Model, []float32, []float32) {
	t.Helper()
	token := r.floats(smallVocab * smallDim)
	position := r.floats(smallContext * smallDim)
	model, err := NewFromTables(Options{VocabSize: smallVocab, Dim: smallDim, ContextLength: smallContext},
		token, position, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { model.Close() })
	return model, token, position
}
