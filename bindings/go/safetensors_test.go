package embedding

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

type tensor struct {
	name  string
	dtype string
	shape []int
	data  []byte
}

// writeSafetensors writes an 8-byte header length, the JSON header and the
// tensor data.
func writeSafetensors(t *testing.T, path string, tensors []tensor) {
	t.Helper()
	header := map[string]interface{}{}
	offset := 0
	for _, tensor := range tensors {
		header[tensor.name] = map[string]interface{}{
			"dtype": tensor.dtype, "shape": tensor.shape,
			"data_offsets": []int{offset, offset + len(tensor.data)},
		}
		offset += len(tensor.data)
	}
	encoded, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	file := binary.LittleEndian.AppendUint64(nil, uint64(len(encoded)))
	file = append(file, encoded...)
	for _, tensor := range tensors {
		file = append(file, tensor.data...)
	}
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
}

func float32Bytes(values []float32) []byte {
	out := make([]byte, 0, 4*len(values))
	for _, v := range values {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
	}
	return out
}

func readHeader(t *testing.T, path string) map[string]json.RawMessage {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	length := binary.LittleEndian.Uint64(data[:8])
	var header map[string]json.RawMessage
	if err := json.Unmarshal(data[8:8+length], &header); err != nil {
		t.Fatal(err)
	}
	return header
}

func TestSaveAndLoadRoundTrip(t *testing.T) {
	r := rng(41)
	token := r.floats(40 * 16)
	position := r.floats(10 * 16)
	model, err := NewFromTables(Options{VocabSize: 40, Dim: 16, ContextLength: 10}, token, position, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer model.Close()
	path := filepath.Join(t.TempDir(), "model.safetensors")
	if err := model.Save(path, map[string]string{"format": "pt", "note": "caf\u00e9"}); err != nil {
		t.Fatal(err)
	}
	var metadata map[string]string
	if err := json.Unmarshal(readHeader(t, path)["__metadata__"], &metadata); err != nil {
		t.Fatal(err)
	}
	if metadata["note"] != "caf\u00e9" || metadata["format"] != "pt" {
		t.Fatalf("metadata %v", metadata)
	}

	loaded, err := Load(path, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer loaded.Close()
	if loaded.VocabSize() != 40 || loaded.Dim() != 16 || loaded.ContextLength() != 10 {
		t.Fatal("wrong shapes after loading")
	}
	assertBitsEqual(t, loaded.TableData(TableToken), token)
	assertBitsEqual(t, loaded.TableData(TablePosition), position)
	ids := []int32{1, 39, 0, 7}
	want, _ := model.Embed(ids, 2, 2, 3)
	got, err := loaded.Embed(ids, 2, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	assertBitsEqual(t, got, want)
	if err := loaded.WriteRow(TableToken, 0, make([]float32, 16)); err != nil {
		t.Fatalf("a copied load should be writable: %v", err)
	}
}

func TestMmapLoadIsReadOnly(t *testing.T) {
	r := rng(42)
	token := r.floats(64 * 16)
	position := r.floats(8 * 16)
	model, err := NewFromTables(Options{VocabSize: 64, Dim: 16, ContextLength: 8}, token, position, nil)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "mapped.safetensors")
	if err := model.Save(path, nil); err != nil {
		t.Fatal(err)
	}
	model.Close()

	mapped, err := Load(path, LoadOptions{Mmap: true, Threads: 1, Kernel: KernelReference})
	if err != nil {
		t.Fatal(err)
	}
	defer mapped.Close()
	if mapped.Threads() != 1 {
		t.Fatalf("threads %d", mapped.Threads())
	}
	assertBitsEqual(t, mapped.TableData(TableToken), token)
	requireError(t, mapped.WriteRow(TableToken, 1, make([]float32, 16)), StatusReadOnly)
	requireError(t, mapped.ResizeVocab(80), StatusReadOnly)
}

func TestLoadNamedTensorWithoutPositions(t *testing.T) {
	token := make([]float32, 24)
	for i := range token {
		token[i] = float32(i) / 2
	}
	path := filepath.Join(t.TempDir(), "named.safetensors")
	writeSafetensors(t, path, []tensor{{"encoder.embed", "F32", []int{6, 4}, float32Bytes(token)}})
	model, err := Load(path, LoadOptions{TokenTensor: "encoder.embed", NoPositionTensor: true})
	if err != nil {
		t.Fatal(err)
	}
	defer model.Close()
	if model.Positions() != PositionNone {
		t.Fatalf("positions %d", model.Positions())
	}
	assertBitsEqual(t, model.TableData(TableToken), token)
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "absent.safetensors")
	_, err := Load(missing, LoadOptions{})
	e := requireError(t, err, StatusIO)
	if e.OSError != syscall.ENOENT || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OS error %v", e.OSError)
	}
	if !strings.Contains(e.Message, "absent.safetensors") {
		t.Errorf("message %q", e.Message)
	}

	garbage := filepath.Join(dir, "garbage.safetensors")
	data := binary.LittleEndian.AppendUint64(nil, 6)
	if err := os.WriteFile(garbage, append(data, "{nope}"...), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(garbage, LoadOptions{})
	requireError(t, err, StatusFormat)

	good := filepath.Join(dir, "good.safetensors")
	model, err := NewZeros(Options{VocabSize: 6, Dim: 4, ContextLength: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer model.Close()
	if err := model.Save(good, nil); err != nil {
		t.Fatal(err)
	}
	_, err = Load(good, LoadOptions{TokenTensor: "lm_head.weight"})
	if e := requireError(t, err, StatusNotFound); !strings.Contains(e.Message, "wte.weight") {
		t.Errorf("message %q", e.Message)
	}

	mismatch := filepath.Join(dir, "mismatch.safetensors")
	writeSafetensors(t, mismatch, []tensor{
		{"wte.weight", "F32", []int{4, 3}, float32Bytes(make([]float32, 12))},
		{"wpe.weight", "F32", []int{2, 5}, float32Bytes(make([]float32, 10))},
	})
	_, err = Load(mismatch, LoadOptions{})
	requireError(t, err, StatusShapeMismatch)

	_, err = Load(good, LoadOptions{PositionTensor: "a\x00b"})
	requireError(t, err, StatusInvalidArgument)
	_, err = Load("bad\x00path", LoadOptions{})
	requireError(t, err, StatusInvalidArgument)
}

func TestSaveErrors(t *testing.T) {
	dir := t.TempDir()
	model, err := NewZeros(Options{VocabSize: 3, Dim: 2, ContextLength: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer model.Close()
	err = model.Save(filepath.Join(dir, "missing", "x.safetensors"), nil)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("save into a missing directory returned %v", err)
	}
	requireError(t, err, StatusIO)
	requireError(t, model.Save(filepath.Join(dir, "x.safetensors"), map[string]string{"a\x00b": "c"}),
		StatusInvalidArgument)
	requireError(t, model.Save(filepath.Join(dir, "x.safetensors"), map[string]string{"a": "c\x00"}),
		StatusInvalidArgument)
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("failed saves left files: %v", fmt.Sprint(entries))
	}
}
