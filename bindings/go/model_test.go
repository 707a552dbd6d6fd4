package embedding

import (
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"
)

func TestThreadCountsSaturate(t *testing.T) {
	cases := []struct{ in, want int }{
		{1<<32 + 3, math.MaxInt32}, {-(1 << 40), math.MinInt32}, {7, 7}, {-2, -2}, {0, 0},
	}
	for _, c := range cases {
		if got := clampThreads(c.in); got != c.want {
			t.Errorf("clampThreads(%d) = %d, want %d", c.in, got, c.want)
		}
	}
	// 2^32 + 3 once wrapped to 3 threads; now it reaches the library's cap.
	model, err := NewZeros(Options{VocabSize: 2, Dim: 2, ContextLength: 2, Threads: 1<<32 + 3})
	if err != nil {
		t.Fatal(err)
	}
	defer model.Close()
	if model.Threads() == 3 {
		t.Fatalf("a thread count of 2^32 + 3 wrapped to 3")
	}
}

func TestZerosShapes(t *testing.T) {
	model, err := NewZeros(Options{VocabSize: 11, Dim: 5, ContextLength: 7})
	if err != nil {
		t.Fatal(err)
	}
	defer model.Close()
	if model.VocabSize() != 11 || model.Dim() != 5 || model.ContextLength() != 7 {
		t.Fatalf("shape %d x %d, context %d", model.VocabSize(), model.Dim(), model.ContextLength())
	}
	if model.TokenTypes() != 0 || model.Positions() != PositionLearned || model.Threads() < 1 {
		t.Fatalf("token types %d, positions %d, threads %d", model.TokenTypes(), model.Positions(), model.Threads())
	}
	if len(model.TableData(TableToken)) != 55 || len(model.TableData(TablePosition)) != 35 {
		t.Fatal("wrong table sizes")
	}
	if model.TableData(TableTokenType) != nil {
		t.Fatal("unexpected token-type table")
	}
	out, err := model.Embed([]int32{1, 2, 3}, 1, 3, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range out {
		if v != 0 {
			t.Fatalf("zeros model gave %v", v)
		}
	}
}

func TestNormalSeededAndShapeIndependent(t *testing.T) {
	small, err := NewNormal(Options{VocabSize: 50, Dim: 8, ContextLength: 4}, 3, 0, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	defer small.Close()
	large, err := NewNormal(Options{VocabSize: 80, Dim: 8, ContextLength: 9}, 3, 0, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	defer large.Close()
	assertBitsEqual(t, small.TableData(TableToken), large.TableData(TableToken)[:50*8])
	assertBitsEqual(t, small.TableData(TablePosition), large.TableData(TablePosition)[:4*8])
}

func TestInvalidOptions(t *testing.T) {
	cases := []struct {
		options Options
		word    string
	}{
		{Options{VocabSize: 0, Dim: 4, ContextLength: 4}, "vocab_size"},
		{Options{VocabSize: 10, Dim: -1, ContextLength: 4}, "dim"},
		{Options{VocabSize: 10, Dim: 4, ContextLength: 0}, "context_length"},
		{Options{VocabSize: 10, Dim: 4, ContextLength: 4, Positions: PositionNone}, "context_length"},
		{Options{VocabSize: 10, Dim: 4, ContextLength: 4, HasPaddingID: true, PaddingID: 10}, "padding_id"},
		{Options{VocabSize: 10, Dim: 4, ContextLength: 4, HasScale: true, Scale: float32(math.Inf(1))}, "scale"},
		{Options{VocabSize: 10, Dim: 4, ContextLength: 4, TokenTypes: -1}, "token_type_count"},
		{Options{VocabSize: 10, Dim: 4, ContextLength: 4, Threads: -2}, "num_threads"},
		{Options{VocabSize: 10, Dim: 4, ContextLength: 4, Positions: PositionSinusoidal, SinusoidBase: -1}, "sinusoid_base"},
	}
	for _, c := range cases {
		_, err := NewZeros(c.options)
		e := requireError(t, err, StatusInvalidArgument)
		if !strings.Contains(e.Message, c.word) {
			t.Errorf("message %q does not name %s", e.Message, c.word)
		}
	}
	_, err := NewZeros(Options{VocabSize: 10, Dim: 4, ContextLength: 4, Kernel: 9})
	requireError(t, err, StatusUnsupported)
	_, err = NewNormal(Options{VocabSize: 10, Dim: 4, ContextLength: 4}, 0, 0, -1)
	requireError(t, err, StatusInvalidArgument)
}

func TestHugeTableOutOfMemory(t *testing.T) {
	// 2^40 x 2^10 floats (4 PiB) fits size_t but no address space.
	_, err := NewZeros(Options{VocabSize: 1 << 40, Dim: 1 << 10, ContextLength: 1})
	requireError(t, err, StatusOutOfMemory)
}

func TestFromTablesChecksLengths(t *testing.T) {
	token := make([]float32, 6*3)
	position := make([]float32, 4*3)
	options := Options{VocabSize: 6, Dim: 3, ContextLength: 4}
	_, err := NewFromTables(options, token[1:], position, nil)
	if e := requireError(t, err, StatusInvalidArgument); !strings.Contains(e.Message, "token table") {
		t.Errorf("message %q", e.Message)
	}
	_, err = NewFromTables(options, token, position[1:], nil)
	requireError(t, err, StatusInvalidArgument)
	_, err = NewFromTables(options, token, nil, nil)
	requireError(t, err, StatusInvalidArgument)
	_, err = NewFromTables(options, token, position, position)
	requireError(t, err, StatusInvalidArgument)
	typed := options
	typed.TokenTypes = 2
	_, err = NewFromTables(typed, token, position, nil)
	requireError(t, err, StatusInvalidArgument)
	_, err = NewFromTables(typed, token, position, make([]float32, 5))
	requireError(t, err, StatusInvalidArgument)
	sinusoidal := options
	sinusoidal.Positions = PositionSinusoidal
	_, err = NewFromTables(sinusoidal, token, position, nil)
	requireError(t, err, StatusInvalidArgument)
	model, err := NewFromTables(sinusoidal, token, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	model.Close()
}

func TestFromTablesCopies(t *testing.T) {
	token := make([]float32, 12)
	for i := range token {
		token[i] = float32(i)
	}
	model, err := NewFromTables(Options{VocabSize: 4, Dim: 3, ContextLength: 2}, token, make([]float32, 6), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer model.Close()
	want := append([]float32{}, token...)
	for i := range token {
		token[i] = -1
	}
	assertBitsEqual(t, model.TableData(TableToken), want)
}

func TestSinusoidalTable(t *testing.T) {
	model, err := NewZeros(Options{VocabSize: 5, Dim: 4, ContextLength: 3, Positions: PositionSinusoidal,
		SinusoidBase: 100, SinusoidLayout: SinusoidSplit})
	if err != nil {
		t.Fatal(err)
	}
	defer model.Close()
	table := model.TableData(TablePosition)
	angle := 2 * math.Pow(100, -2.0/4)
	if table[2*4+1] != float32(math.Sin(angle)) || table[2*4+3] != float32(math.Cos(angle)) {
		t.Fatalf("row 2 is %v", table[8:12])
	}
}

func TestReadAndWriteRows(t *testing.T) {
	r := rng(21)
	model, token, position := smallModel(t, &r)
	row := make([]float32, smallDim)
	if err := model.ReadRow(TableToken, 5, row); err != nil {
		t.Fatal(err)
	}
	assertBitsEqual(t, row, token[5*smallDim:6*smallDim])
	if err := model.ReadRow(TablePosition, 11, row); err != nil {
		t.Fatal(err)
	}
	assertBitsEqual(t, row, position[11*smallDim:])

	values := r.floats(smallDim)
	if err := model.WriteRow(TableToken, 5, values); err != nil {
		t.Fatal(err)
	}
	if err := model.ReadRow(TableToken, 5, row); err != nil {
		t.Fatal(err)
	}
	assertBitsEqual(t, row, values)

	if e := requireError(t, model.ReadRow(TableToken, 16, row), StatusIDOutOfRange); e.Value != 16 {
		t.Errorf("value %d", e.Value)
	}
	requireError(t, model.ReadRow(TableTokenType, 0, row), StatusInvalidArgument)
	requireError(t, model.WriteRow(TableToken, 0, values[1:]), StatusInvalidArgument)
	requireError(t, model.ReadRow(TableToken, 0, row[1:]), StatusInvalidArgument)
	requireError(t, model.WriteRow(TablePosition, -1, values), StatusIDOutOfRange)
}

func TestResizeVocab(t *testing.T) {
	model, err := NewNormal(Options{VocabSize: 10, Dim: 4, ContextLength: 3}, 9, 0, 0.02)
	if err != nil {
		t.Fatal(err)
	}
	defer model.Close()
	kept := model.TableData(TableToken)
	if err := model.ResizeVocab(25); err != nil {
		t.Fatal(err)
	}
	fresh, err := NewNormal(Options{VocabSize: 25, Dim: 4, ContextLength: 3}, 9, 0, 0.02)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	assertBitsEqual(t, model.TableData(TableToken), fresh.TableData(TableToken))
	if err := model.ResizeVocab(4); err != nil {
		t.Fatal(err)
	}
	assertBitsEqual(t, model.TableData(TableToken), kept[:16])
	_, err = model.Embed([]int32{4}, 1, 1, 0)
	requireError(t, err, StatusIDOutOfRange)
	requireError(t, model.ResizeVocab(0), StatusInvalidArgument)
}

func TestCloseIsIdempotent(t *testing.T) {
	model, err := NewZeros(Options{VocabSize: 3, Dim: 2, ContextLength: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := model.Close(); err != nil {
		t.Fatal(err)
	}
	if err := model.Close(); err != nil {
		t.Fatal(err)
	}
	if err := model.ForwardInt32([]int32{1}, 1, 1, 0, make([]float32, 2)); !errors.Is(err, ErrClosed) {
		t.Fatalf("forward after Close returned %v", err)
	}
	for name, err := range map[string]error{
		"WriteRow":    model.WriteRow(TableToken, 0, []float32{1, 2}),
		"ReadRow":     model.ReadRow(TableToken, 0, []float32{1, 2}),
		"ResizeVocab": model.ResizeVocab(5),
		"Save":        model.Save(t.TempDir()+"/x.safetensors", nil),
	} {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close returned %v", name, err)
		}
	}
	if _, err := model.OutputCount(1, 1); !errors.Is(err, ErrClosed) {
		t.Errorf("OutputCount after Close returned %v", err)
	}
	if model.VocabSize() != 0 || model.TableData(TableToken) != nil {
		t.Error("getters after Close should return zero values")
	}
}

func TestFinalizerReleasesUnclosedModels(t *testing.T) {
	// Many unreachable 4 MiB models: without the finalizer their C memory
	// would never be freed. The test checks that collecting them is safe.
	for i := 0; i < 20; i++ {
		if _, err := NewZeros(Options{VocabSize: 1024, Dim: 1024, ContextLength: 1}); err != nil {
			t.Fatal(err)
		}
		runtime.GC()
	}
}

func TestOutputCount(t *testing.T) {
	r := rng(22)
	model, _, _ := smallModel(t, &r)
	count, err := model.OutputCount(3, 5)
	if err != nil || count != 3*5*smallDim {
		t.Fatalf("OutputCount = %d, %v", count, err)
	}
	_, err = model.OutputCount(-1, 5)
	requireError(t, err, StatusInvalidArgument)
}

func TestVersions(t *testing.T) {
	if LibraryABIVersion() != ABIVersion {
		t.Fatalf("ABI %d", LibraryABIVersion())
	}
	if LibraryVersionNumber()/10000 != 1 || strings.Count(LibraryVersion(), ".") != 2 {
		t.Fatalf("version %q (%d)", LibraryVersion(), LibraryVersionNumber())
	}
}

func TestStatusStrings(t *testing.T) {
	for status := StatusInvalidArgument; status <= StatusShapeMismatch; status++ {
		if status.String() == "unknown status" {
			t.Errorf("status %d has no message", status)
		}
	}
	if Status(77).String() != "unknown status" {
		t.Error("status 77 should be unknown")
	}
	var err error = &Error{Status: StatusFormat, Message: "bad header"}
	if !errors.Is(err, StatusFormat) || errors.Is(err, StatusIO) {
		t.Error("errors.Is does not compare statuses")
	}
}
