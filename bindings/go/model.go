package embedding

/*
#include <stdlib.h>
#include <embedding/embedding.h>

// emb_model_create with the table pointers passed as arguments, so the
// options struct handed over by Go holds no Go pointer (cgo forbids Go
// memory that contains Go pointers).
static emb_status create_model(emb_model_options options, const float *token,
                               const float *position,
                               const float *token_type, emb_model **out,
                               emb_error *err)
{
    options.token_data = token;
    options.position_data = position;
    options.token_type_data = token_type;
    return emb_model_create(&options, out, err);
}
*/
import "C"

import (
	"runtime"
	"sort"
	"sync"
	"unsafe"
)

// PositionKind selects how positions enter the embedding.
type PositionKind int32

const (
	// PositionLearned is a learned [C, D] table (GPT-2, GPT-3).
	PositionLearned PositionKind = C.EMB_POSITION_LEARNED
	// PositionSinusoidal is the fixed sin/cos table of "Attention Is All
	// You Need".
	PositionSinusoidal PositionKind = C.EMB_POSITION_SINUSOIDAL
	// PositionNone has no table: ContextLength must be 0 and start is
	// ignored.
	PositionNone PositionKind = C.EMB_POSITION_NONE
)

// SinusoidLayout is the column layout of a sinusoidal table.
type SinusoidLayout int32

const (
	// SinusoidInterleaved puts sin, cos, sin, cos, ... in the columns.
	SinusoidInterleaved SinusoidLayout = C.EMB_SINUSOID_INTERLEAVED
	// SinusoidSplit puts all sines first, then all cosines.
	SinusoidSplit SinusoidLayout = C.EMB_SINUSOID_SPLIT
)

// Kernel selects the forward implementation; all give identical bits.
type Kernel int32

const (
	KernelAuto      Kernel = C.EMB_KERNEL_AUTO      // fastest on this CPU
	KernelReference Kernel = C.EMB_KERNEL_REFERENCE // plain C loop
	KernelBLAS      Kernel = C.EMB_KERNEL_BLAS      // OpenBLAS calls
	KernelFused     Kernel = C.EMB_KERNEL_FUSED     // one SIMD pass
)

// Table selects one of a model's tables.
type Table int32

const (
	TableToken     Table = C.EMB_TABLE_TOKEN      // [V, D]
	TablePosition  Table = C.EMB_TABLE_POSITION   // [C, D]
	TableTokenType Table = C.EMB_TABLE_TOKEN_TYPE // [token types, D]
)

// Options are the shapes and settings of a new model. The zero value of
// every setting is the library default.
type Options struct {
	VocabSize     int64 // rows V of the token table
	Dim           int64 // columns D of every table
	ContextLength int64 // rows C of the position table (0 with PositionNone)

	Positions      PositionKind   // default PositionLearned
	SinusoidBase   float64        // 0 means the default 10000
	SinusoidLayout SinusoidLayout // default SinusoidInterleaved

	HasPaddingID bool  // PaddingID is set
	PaddingID    int64 // token id whose row generated tables keep at zero

	HasScale bool    // Scale is set
	Scale    float32 // factor multiplied into token rows, e.g. sqrt(D)

	TokenTypes int64  // rows of the token-type table; 0 = none
	Threads    int    // worker threads of large calls; 0 = online CPUs
	Kernel     Kernel // default KernelAuto
}

func (o *Options) toC(init C.int32_t) C.emb_model_options {
	var raw C.emb_model_options
	C.emb_model_options_init(&raw)
	raw.init = init
	raw.vocab_size = C.int64_t(o.VocabSize)
	raw.dim = C.int64_t(o.Dim)
	raw.context_length = C.int64_t(o.ContextLength)
	raw.position_kind = C.int32_t(o.Positions)
	if o.SinusoidBase != 0 {
		raw.sinusoid_base = C.double(o.SinusoidBase)
	}
	raw.sinusoid_layout = C.int32_t(o.SinusoidLayout)
	if o.HasPaddingID {
		raw.has_padding_id = 1
		raw.padding_id = C.int64_t(o.PaddingID)
	}
	if o.HasScale {
		raw.has_scale = 1
		raw.scale = C.float(o.Scale)
	}
	raw.token_type_count = C.int64_t(o.TokenTypes)
	raw.num_threads = C.int32_t(clampThreads(o.Threads))
	raw.kernel = C.int32_t(o.Kernel)
	return raw
}

// Model owns a libembedding model handle. Release it with Close; a
// finalizer releases a Model that is garbage collected without Close.
type Model struct {
	// mu is held shared by calls that only read the handle and exclusively
	// by WriteRow, ResizeVocab and Close, as the C contract requires.
	mu  sync.RWMutex
	raw *C.emb_model
}

func wrap(raw *C.emb_model) *Model {
	m := &Model{raw: raw}
	runtime.SetFinalizer(m, (*Model).Close)
	return m
}

func create(raw C.emb_model_options, token, position, tokenType []float32) (*Model, error) {
	if err := checkABI(); err != nil {
		return nil, err
	}
	var handle *C.emb_model
	cerr := newCError()
	status := C.create_model(raw, floatPtr(token), floatPtr(position),
		floatPtr(tokenType), &handle, &cerr)
	if err := fromC(status, &cerr); err != nil {
		return nil, err
	}
	return wrap(handle), nil
}

// NewZeros creates a model whose tables are zeros (a sinusoidal position
// table is computed).
func NewZeros(opts Options) (*Model, error) {
	return create(opts.toC(C.EMB_INIT_ZEROS), nil, nil, nil)
}

// NewNormal creates a model with seeded N(mean, stddev^2) tables. Each
// value is a pure function of (seed, table, row, column), identical on
// every machine and thread count.
func NewNormal(opts Options, seed uint64, mean, stddev float64) (*Model, error) {
	raw := opts.toC(C.EMB_INIT_NORMAL)
	raw.seed = C.uint64_t(seed)
	raw.mean = C.double(mean)
	raw.stddev = C.double(stddev)
	return create(raw, nil, nil, nil)
}

// tableLen returns rows*dim, or -1 when the library rejects the shape
// anyway (negative or overflowing).
func tableLen(rows, dim int64) int64 {
	if rows < 0 || dim < 0 || (dim > 0 && rows > (1<<62)/dim) {
		return -1
	}
	return rows * dim
}

func checkTable(name string, table []float32, rows, dim int64) error {
	if want := tableLen(rows, dim); want >= 0 && int64(len(table)) != want {
		return invalidArgument("%s holds %d floats but %d x %d = %d are expected",
			name, len(table), rows, dim, want)
	}
	return nil
}

// NewFromTables creates a model from copies of row-major tables: token is
// [V, D], position [C, D] (required with PositionLearned, else nil) and
// tokenType [TokenTypes, D] (nil when TokenTypes is 0). The slices may be
// reused once it returns.
func NewFromTables(opts Options, token, position, tokenType []float32) (*Model, error) {
	if err := checkTable("token table", token, opts.VocabSize, opts.Dim); err != nil {
		return nil, err
	}
	learned := opts.Positions == PositionLearned
	switch {
	case learned && position == nil:
		return nil, invalidArgument("learned positions need a position table")
	case !learned && position != nil:
		return nil, invalidArgument("a position table was given but the position kind is not learned")
	case learned:
		if err := checkTable("position table", position, opts.ContextLength, opts.Dim); err != nil {
			return nil, err
		}
	}
	switch {
	case opts.TokenTypes == 0 && tokenType != nil:
		return nil, invalidArgument("a token-type table was given but TokenTypes is 0")
	case opts.TokenTypes > 0 && tokenType == nil:
		return nil, invalidArgument("TokenTypes %d needs a token-type table", opts.TokenTypes)
	case tokenType != nil:
		if err := checkTable("token-type table", tokenType, opts.TokenTypes, opts.Dim); err != nil {
			return nil, err
		}
	}
	return create(opts.toC(C.EMB_INIT_COPY), token, position, tokenType)
}

// Close releases the model. Calling it again does nothing; every other
// method then returns ErrClosed (or zero for the shape getters).
func (m *Model) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.raw != nil {
		C.emb_model_destroy(m.raw)
		m.raw = nil
		runtime.SetFinalizer(m, nil)
	}
	return nil
}

// getInt64 runs a shape getter under the shared lock; 0 after Close.
func (m *Model) getInt64(getter func(*C.emb_model) int64) int64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.raw == nil {
		return 0
	}
	return getter(m.raw)
}

// VocabSize returns the rows V of the token table.
func (m *Model) VocabSize() int {
	return int(m.getInt64(func(r *C.emb_model) int64 { return int64(C.emb_model_vocab_size(r)) }))
}

// Dim returns the columns D of every table.
func (m *Model) Dim() int {
	return int(m.getInt64(func(r *C.emb_model) int64 { return int64(C.emb_model_dim(r)) }))
}

// ContextLength returns the rows C of the position table (0 without one).
func (m *Model) ContextLength() int {
	return int(m.getInt64(func(r *C.emb_model) int64 { return int64(C.emb_model_context_length(r)) }))
}

// TokenTypes returns the rows of the token-type table (0 without one).
func (m *Model) TokenTypes() int {
	return int(m.getInt64(func(r *C.emb_model) int64 { return int64(C.emb_model_token_type_count(r)) }))
}

// Threads returns the worker threads of large forward calls.
func (m *Model) Threads() int {
	return int(m.getInt64(func(r *C.emb_model) int64 { return int64(C.emb_model_num_threads(r)) }))
}

// Positions returns how positions enter the embedding.
func (m *Model) Positions() PositionKind {
	return PositionKind(m.getInt64(func(r *C.emb_model) int64 { return int64(C.emb_model_position_kind(r)) }))
}

// TableData returns a copy of a table, or nil when the model has no such
// table or is closed. A copy, because the library may free the table
// (ResizeVocab, Close) while a caller still holds the slice.
func (m *Model) TableData(table Table) []float32 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.raw == nil {
		return nil
	}
	data := C.emb_model_table_data(m.raw, C.int32_t(table))
	if data == nil {
		return nil
	}
	count := int64(C.emb_model_table_rows(m.raw, C.int32_t(table))) * int64(C.emb_model_dim(m.raw))
	out := make([]float32, count)
	copy(out, unsafe.Slice((*float32)(unsafe.Pointer(data)), count))
	return out
}

// ReadRow copies row `row` of `table` into dst, which must hold D floats.
func (m *Model) ReadRow(table Table, row int, dst []float32) error {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.raw == nil {
		return ErrClosed
	}
	if len(dst) != int(C.emb_model_dim(m.raw)) {
		return invalidArgument("row buffer holds %d floats but dim is %d", len(dst), int(C.emb_model_dim(m.raw)))
	}
	cerr := newCError()
	status := C.emb_model_read_row(m.raw, C.int32_t(table), C.int64_t(row),
		floatPtr(dst), C.int64_t(len(dst)), &cerr)
	return fromC(status, &cerr)
}

// WriteRow overwrites row `row` of an owned table with src (D floats). It
// waits for running calls on the model and fails with StatusReadOnly for a
// memory-mapped table.
func (m *Model) WriteRow(table Table, row int, src []float32) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.raw == nil {
		return ErrClosed
	}
	if len(src) != int(C.emb_model_dim(m.raw)) {
		return invalidArgument("row values hold %d floats but dim is %d", len(src), int(C.emb_model_dim(m.raw)))
	}
	cerr := newCError()
	status := C.emb_model_write_row(m.raw, C.int32_t(table), C.int64_t(row),
		floatPtr(src), C.int64_t(len(src)), &cerr)
	return fromC(status, &cerr)
}

// ResizeVocab changes the number of token rows, keeping the first rows bit
// for bit; new rows follow the creation rule (seeded normal or zeros).
func (m *Model) ResizeVocab(vocabSize int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.raw == nil {
		return ErrClosed
	}
	cerr := newCError()
	status := C.emb_model_resize_vocab(m.raw, C.int64_t(vocabSize), &cerr)
	return fromC(status, &cerr)
}

// OutputCount returns B * T * D, the floats a forward over [batch, seqLen]
// ids writes.
func (m *Model) OutputCount(batch, seqLen int) (int, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.raw == nil {
		return 0, ErrClosed
	}
	var count C.int64_t
	cerr := newCError()
	status := C.emb_output_count(m.raw, C.int64_t(batch), C.int64_t(seqLen), &count, &cerr)
	if err := fromC(status, &cerr); err != nil {
		return 0, err
	}
	return int(count), nil
}

// Save writes the tables to a safetensors file atomically (a temporary
// file renamed over path), with metadata stored under "__metadata__" in
// sorted key order.
func (m *Model) Save(path string, metadata map[string]string) error {
	cpath, err := cString("path", path)
	if err != nil {
		return err
	}
	defer C.free(unsafe.Pointer(cpath))

	keys := make([]string, 0, len(metadata))
	for key := range metadata {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	// The pointer arrays live in C memory: Go memory passed to C must not
	// hold pointers.
	count := len(keys)
	cKeys := cStringArray(count)
	cValues := cStringArray(count)
	defer freeStringArray(cKeys, count)
	defer freeStringArray(cValues, count)
	for i, key := range keys {
		if cKeys[i], err = cString("metadata key", key); err != nil {
			return err
		}
		if cValues[i], err = cString("metadata value", metadata[key]); err != nil {
			return err
		}
	}

	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.raw == nil {
		return ErrClosed
	}
	cerr := newCError()
	status := C.emb_model_save_safetensors(m.raw, cpath, arrayPtr(cKeys), arrayPtr(cValues),
		C.int64_t(count), &cerr)
	return fromC(status, &cerr)
}
