#ifndef BSNN_CFFI_SHIM_H
#define BSNN_CFFI_SHIM_H
#include <ffi.h>

/* libffi's type descriptors are mutable C globals; handing out their addresses from C
 * gives Swift stable pointers without touching global mutable state from Swift. */
static inline ffi_type *bsnn_ffi_type_double(void) { return &ffi_type_double; }
static inline ffi_type *bsnn_ffi_type_float(void) { return &ffi_type_float; }
static inline ffi_abi bsnn_ffi_default_abi(void) { return FFI_DEFAULT_ABI; }
#endif
