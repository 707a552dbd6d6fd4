package embedding

import (
	"math"
	"strings"
	"testing"
)

func TestForwardInt32MatchesReference(t *testing.T) {
	r := rng(1)
	model, token, position := smallModel(t, &r)
	ids := r.ids(3*5, smallVocab)
	out := make([]float32, 3*5*smallDim)
	if err := model.ForwardInt32(ids, 3, 5, 2, out); err != nil {
		t.Fatal(err)
	}
	assertBitsEqual(t, out, referenceForward(token, position, smallDim, widen(ids), 5, 2))
}

func TestForwardInt64MatchesReference(t *testing.T) {
	r := rng(2)
	model, token, position := smallModel(t, &r)
	ids := widen(r.ids(2*7, smallVocab))
	out := make([]float32, 2*7*smallDim)
	if err := model.ForwardInt64(ids, 2, 7, 5, out); err != nil {
		t.Fatal(err)
	}
	assertBitsEqual(t, out, referenceForward(token, position, smallDim, ids, 7, 5))
}

func TestEmbedAllocates(t *testing.T) {
	r := rng(3)
	model, token, position := smallModel(t, &r)
	out, err := model.Embed([]int32{4, 0, 15}, 1, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	assertBitsEqual(t, out, referenceForward(token, position, smallDim, []int64{4, 0, 15}, 3, 0))
}

func TestEmbedRejectsShapeBeforeAllocating(t *testing.T) {
	r := rng(31)
	model, _, _ := smallModel(t, &r)
	ids := []int32{1, 2, 3, 4}
	// Shapes whose output the runtime could not allocate (a fatal error in
	// Go) or whose length does not fit an int slice.
	for _, batch := range []int{1 << 38, 1 << 50} {
		out, err := model.Embed(ids, batch, 1, 0)
		requireError(t, err, StatusInvalidArgument)
		if out != nil {
			t.Fatalf("batch %d: got an output of %d floats", batch, len(out))
		}
	}
}

func TestForwardEmptyBatch(t *testing.T) {
	r := rng(4)
	model, _, _ := smallModel(t, &r)
	if err := model.ForwardInt32(nil, 0, 5, 0, nil); err != nil {
		t.Fatal(err)
	}
	if err := model.ForwardInt64([]int64{}, 3, 0, 0, []float32{}); err != nil {
		t.Fatal(err)
	}
}

func TestBadIDReportsElement(t *testing.T) {
	r := rng(5)
	model, _, _ := smallModel(t, &r)
	out := make([]float32, 2*3*smallDim)
	for i := range out {
		out[i] = 7.25
	}
	err := model.ForwardInt32([]int32{1, 2, 3, 4, 99, -1}, 2, 3, 0, out)
	e := requireError(t, err, StatusIDOutOfRange)
	if !e.HasIndex || e.Index != 4 || e.BatchIndex != 1 || e.SeqIndex != 1 {
		t.Errorf("index details %+v", e)
	}
	if !e.HasValue || e.Value != 99 {
		t.Errorf("value %d (HasValue %v)", e.Value, e.HasValue)
	}
	if !e.HasRange || e.RangeBegin != 0 || e.RangeEnd != smallVocab {
		t.Errorf("range [%d, %d)", e.RangeBegin, e.RangeEnd)
	}
	if e.OSError != 0 || e.Unwrap() != nil {
		t.Errorf("unexpected OS error %v", e.OSError)
	}
	if !strings.HasPrefix(err.Error(), "embedding: id out of range: ") {
		t.Errorf("message %q does not start with one prefix and the status", err.Error())
	}
	if !strings.Contains(err.Error(), "99") {
		t.Errorf("message %q does not name the value", err.Error())
	}
	for i, v := range out {
		if v != 7.25 {
			t.Fatalf("out[%d] changed to %v", i, v)
		}
	}
}

func TestNegativeIDInt64(t *testing.T) {
	r := rng(6)
	model, _, _ := smallModel(t, &r)
	err := model.ForwardInt64([]int64{0, -2}, 1, 2, 0, make([]float32, 2*smallDim))
	if e := requireError(t, err, StatusIDOutOfRange); e.Value != -2 {
		t.Errorf("value %d", e.Value)
	}
}

func TestPositionPastContext(t *testing.T) {
	r := rng(7)
	model, _, _ := smallModel(t, &r)
	err := model.ForwardInt32([]int32{1, 2, 3}, 1, 3, 10, make([]float32, 3*smallDim))
	e := requireError(t, err, StatusPositionOutOfRange)
	if e.Value != smallContext || e.RangeEnd != smallContext {
		t.Errorf("value %d range end %d", e.Value, e.RangeEnd)
	}
	err = model.ForwardInt32([]int32{1}, 1, 1, -1, make([]float32, smallDim))
	if e := requireError(t, err, StatusPositionOutOfRange); e.Value != -1 {
		t.Errorf("value %d", e.Value)
	}
}

func TestSliceLengthsChecked(t *testing.T) {
	r := rng(8)
	model, _, _ := smallModel(t, &r)
	out := make([]float32, 2*3*smallDim)
	err := model.ForwardInt32([]int32{1, 2, 3}, 2, 3, 0, out)
	if e := requireError(t, err, StatusInvalidArgument); !strings.Contains(e.Message, "ids") {
		t.Errorf("message %q", e.Message)
	}
	err = model.ForwardInt32([]int32{1, 2, 3, 4, 5, 6}, 2, 3, 0, out[1:])
	if e := requireError(t, err, StatusInvalidArgument); !strings.Contains(e.Message, "out") {
		t.Errorf("message %q", e.Message)
	}
	requireError(t, model.ForwardInt32(nil, -1, 3, 0, nil), StatusInvalidArgument)
	requireError(t, model.ForwardInt32(nil, math.MaxInt, 3, 0, nil), StatusInvalidArgument)
	_, err = model.Embed(nil, -1, 2, 0)
	requireError(t, err, StatusInvalidArgument)
}

func TestPositionAndTokenTypeIDs(t *testing.T) {
	r := rng(9)
	token := r.floats(10 * 4)
	position := r.floats(8 * 4)
	types := r.floats(2 * 4)
	model, err := NewFromTables(Options{VocabSize: 10, Dim: 4, ContextLength: 8, TokenTypes: 2},
		token, position, types)
	if err != nil {
		t.Fatal(err)
	}
	defer model.Close()
	if model.TokenTypes() != 2 {
		t.Fatalf("TokenTypes %d", model.TokenTypes())
	}

	ids := []int64{3, 9, 0, 1}
	positionIDs := []int64{0, 0, 5, 7}
	typeIDs := []int64{1, 0, 1, 1}
	out := make([]float32, 4*4)
	if err := model.ForwardExInt64(ids, positionIDs, typeIDs, 2, 2, 0, out); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 4; i++ {
		for j := 0; j < 4; j++ {
			want := token[ids[i]*4+int64(j)] + position[positionIDs[i]*4+int64(j)] + types[typeIDs[i]*4+int64(j)]
			if math.Float32bits(out[i*4+j]) != math.Float32bits(want) {
				t.Fatalf("out[%d][%d] = %v, expected %v", i, j, out[i*4+j], want)
			}
		}
	}

	requireError(t, model.ForwardExInt64(ids, positionIDs, nil, 2, 2, 1, out), StatusInvalidArgument)
	err = model.ForwardExInt32([]int32{1, 2}, []int32{0, 8}, nil, 1, 2, 0, out[:8])
	if e := requireError(t, err, StatusPositionOutOfRange); e.Index != 1 {
		t.Errorf("index %d", e.Index)
	}
	requireError(t, model.ForwardExInt32([]int32{1, 2}, nil, []int32{0, 2}, 1, 2, 0, out[:8]),
		StatusIDOutOfRange)
	requireError(t, model.ForwardExInt32([]int32{1, 2}, nil, []int32{0}, 1, 2, 0, out[:8]),
		StatusInvalidArgument)
}

func TestScaleAndPadding(t *testing.T) {
	model, err := NewNormal(Options{VocabSize: 20, Dim: 16, ContextLength: 4,
		HasPaddingID: true, PaddingID: 3, HasScale: true, Scale: 4}, 7, 0, 0.02)
	if err != nil {
		t.Fatal(err)
	}
	defer model.Close()
	token := model.TableData(TableToken)
	position := model.TableData(TablePosition)
	for _, v := range token[3*16 : 4*16] {
		if v != 0 {
			t.Fatalf("padding row holds %v", v)
		}
	}
	out, err := model.Embed([]int32{3, 19}, 1, 2, 1)
	if err != nil {
		t.Fatal(err)
	}
	for j := 0; j < 16; j++ {
		want := 4*token[19*16+j] + position[2*16+j]
		if math.Float32bits(out[16+j]) != math.Float32bits(want) {
			t.Fatalf("column %d: %v != %v", j, out[16+j], want)
		}
	}
}

func TestNoPositionsIgnoreStart(t *testing.T) {
	token := make([]float32, 6*4)
	for i := range token {
		token[i] = float32(i)
	}
	model, err := NewFromTables(Options{VocabSize: 6, Dim: 4, Positions: PositionNone}, token, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer model.Close()
	if model.Positions() != PositionNone || model.TableData(TablePosition) != nil {
		t.Fatal("expected no position table")
	}
	out, err := model.Embed([]int32{5, 1}, 1, 2, 1000)
	if err != nil {
		t.Fatal(err)
	}
	assertBitsEqual(t, out, append(append([]float32{}, token[20:24]...), token[4:8]...))
}

func TestEveryKernelIdentical(t *testing.T) {
	r := rng(10)
	token := r.floats(30 * 20)
	position := r.floats(9 * 20)
	ids := r.ids(3*7, 30)
	var first []float32
	for _, kernel := range []Kernel{KernelAuto, KernelReference, KernelBLAS, KernelFused} {
		model, err := NewFromTables(Options{VocabSize: 30, Dim: 20, ContextLength: 9, Kernel: kernel, Threads: 2},
			token, position, nil)
		if err != nil {
			t.Fatal(err)
		}
		out, err := model.Embed(ids, 3, 7, 2)
		model.Close()
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = out
			assertBitsEqual(t, out, referenceForward(token, position, 20, widen(ids), 7, 2))
		} else {
			assertBitsEqual(t, out, first)
		}
	}
}

func TestPositionsFromMask(t *testing.T) {
	mask := []byte{0, 0, 1, 1, 1, 1, 1, 1}
	positions := make([]int64, 8)
	if err := PositionsFromMaskInt64(mask, 2, 4, 3, positions); err != nil {
		t.Fatal(err)
	}
	want := []int64{0, 0, 3, 4, 3, 4, 5, 6}
	for i := range want {
		if positions[i] != want[i] {
			t.Fatalf("positions %v, expected %v", positions, want)
		}
	}
	narrow := make([]int32, 8)
	if err := PositionsFromMaskInt32(mask, 2, 4, 0, narrow); err != nil {
		t.Fatal(err)
	}
	if narrow[3] != 1 || narrow[7] != 3 {
		t.Fatalf("positions %v", narrow)
	}
	err := PositionsFromMaskInt32([]byte{1, 2}, 1, 2, 0, narrow[:2])
	if e := requireError(t, err, StatusInvalidArgument); e.Index != 1 || e.Value != 2 {
		t.Errorf("details %+v", e)
	}
	requireError(t, PositionsFromMaskInt32([]byte{1, 1}, 1, 2, 0, narrow[:3]), StatusInvalidArgument)
	requireError(t, PositionsFromMaskInt32([]byte{1, 1}, 1, 2, math.MaxInt32, narrow[:2]),
		StatusPositionOutOfRange)
}
