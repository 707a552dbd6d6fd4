package embedding

/*
#include <stdlib.h>
#include <embedding/embedding.h>
*/
import "C"

import "unsafe"

// LoadOptions are the settings of Load; the zero value is the default.
type LoadOptions struct {
	// Mmap maps the file read-only and uses aligned F32 tensors in place.
	// The file must then not be modified or truncated while the model
	// exists, and its tables are read-only.
	Mmap bool
	// TokenTensor names the token tensor; "" tries "wte.weight", then
	// "transformer.wte.weight".
	TokenTensor string
	// PositionTensor names the position tensor; "" tries "wpe.weight",
	// then "transformer.wpe.weight".
	PositionTensor string
	// NoPositionTensor loads a file without positions (PositionNone).
	NoPositionTensor bool
	Threads          int    // worker threads of large calls; 0 = online CPUs
	Kernel           Kernel // default KernelAuto
}

// Load creates a model from a safetensors file (F32, F16 or BF16 tensors;
// F16 and BF16 are widened exactly to float32).
func Load(path string, opts LoadOptions) (*Model, error) {
	if err := checkABI(); err != nil {
		return nil, err
	}
	cpath, err := cString("path", path)
	if err != nil {
		return nil, err
	}
	defer C.free(unsafe.Pointer(cpath))

	var raw C.emb_load_options
	C.emb_load_options_init(&raw)
	if opts.Mmap {
		raw.mode = C.EMB_LOAD_MMAP
	}
	// The struct is Go memory, so its string fields point to C memory.
	if opts.TokenTensor != "" {
		if raw.token_tensor, err = cString("token tensor name", opts.TokenTensor); err != nil {
			return nil, err
		}
		defer C.free(unsafe.Pointer(raw.token_tensor))
	}
	if opts.PositionTensor != "" {
		if raw.position_tensor, err = cString("position tensor name", opts.PositionTensor); err != nil {
			return nil, err
		}
		defer C.free(unsafe.Pointer(raw.position_tensor))
	}
	if opts.NoPositionTensor {
		raw.no_position_tensor = 1
	}
	raw.num_threads = C.int32_t(clampThreads(opts.Threads))
	raw.kernel = C.int32_t(opts.Kernel)

	var handle *C.emb_model
	cerr := newCError()
	status := C.emb_model_load_safetensors(cpath, &raw, &handle, &cerr)
	if err := fromC(status, &cerr); err != nil {
		return nil, err
	}
	return wrap(handle), nil
}
