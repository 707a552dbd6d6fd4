package embedding

/*
#include <stdlib.h>
*/
import "C"

import (
	"strings"
	"unsafe"
)

// floatPtr returns a C pointer to the first element, or NULL for an empty
// slice (the library accepts NULL whenever the element count is 0).
func floatPtr(values []float32) *C.float {
	if len(values) == 0 {
		return nil
	}
	return (*C.float)(unsafe.Pointer(&values[0]))
}

func int32Ptr(values []int32) *C.int32_t {
	if len(values) == 0 {
		return nil
	}
	return (*C.int32_t)(unsafe.Pointer(&values[0]))
}

func int64Ptr(values []int64) *C.int64_t {
	if len(values) == 0 {
		return nil
	}
	return (*C.int64_t)(unsafe.Pointer(&values[0]))
}

// cString copies s into C memory; the caller frees it with C.free.
func cString(name, s string) (*C.char, error) {
	if strings.IndexByte(s, 0) >= 0 {
		return nil, invalidArgument("%s %q contains a NUL byte", name, s)
	}
	return C.CString(s), nil
}

// cStringArray allocates a zeroed C array of count char pointers, seen from
// Go as a slice.
func cStringArray(count int) []*C.char {
	size := count
	if size == 0 {
		size = 1
	}
	memory := C.calloc(C.size_t(size), C.size_t(unsafe.Sizeof((*C.char)(nil))))
	return unsafe.Slice((**C.char)(memory), size)[:count]
}

// freeStringArray frees the strings of an array from cStringArray, then
// the array.
func freeStringArray(array []*C.char, count int) {
	for _, s := range array[:count] {
		C.free(unsafe.Pointer(s))
	}
	C.free(unsafe.Pointer(arrayPtr(array)))
}

// arrayPtr returns the C array behind a slice from cStringArray, which
// always has a capacity of at least 1.
func arrayPtr(array []*C.char) **C.char {
	return (**C.char)(unsafe.Pointer(&array[:cap(array)][0]))
}
