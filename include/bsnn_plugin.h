/*
 * bsnn_plugin.h — the activation plugin ABI of bsnn.
 *
 * A plugin is a shared library that bsnn loads at run time (dlopen) to obtain one or
 * more scalar activation functions φ. bsnn then normalizes each one to
 * Gaussian–Poincaré form (E[φ(x)²] = E[φ'(x)²] = 1 for x ~ N(0,1)) by quadrature, so
 * the plugin only supplies the raw function.
 *
 * This header is self-contained C11 and is all a plugin author needs. A plugin does
 * NOT link against libbsnn and never calls the host.
 *
 * ------------------------------------------------------------------------------------
 * MINIMAL PLUGIN
 *
 *     #include <math.h>
 *     #include "bsnn_plugin.h"
 *
 *     static double softsign(double x, const double *p) { (void)p; return x / (1 + fabs(x)); }
 *
 *     static const bsnn_plugin_activation acts[] = {{
 *         .struct_size = sizeof(bsnn_plugin_activation),
 *         .flags = BSNN_PLUGIN_PURE | BSNN_PLUGIN_THREAD_SAFE,
 *         .name = "softsign", .description = "x / (1 + |x|)",
 *         .function = softsign,
 *     }};
 *     static const bsnn_plugin_descriptor desc = {
 *         .abi_major = BSNN_PLUGIN_ABI_MAJOR, .abi_minor = BSNN_PLUGIN_ABI_MINOR,
 *         .struct_size = sizeof(bsnn_plugin_descriptor),
 *         .activation_struct_size = sizeof(bsnn_plugin_activation),
 *         .name = "mine", .version = "1.0.0",
 *         .activation_count = 1, .activations = acts,
 *     };
 *     BSNN_PLUGIN_EXPORT const bsnn_plugin_descriptor *bsnn_plugin_entry(uint32_t host) {
 *         if (BSNN_PLUGIN_VERSION_MAJOR_OF(host) != BSNN_PLUGIN_ABI_MAJOR) return NULL;
 *         return &desc;
 *     }
 *
 * Build:  cc -shared -fPIC -O2 -o libmine.so mine.c -lm
 *
 * ------------------------------------------------------------------------------------
 * VERSION RULE
 *
 * The ABI version is a (major, minor) pair.
 *  - major: must be equal in host and plugin; the host rejects any other major.
 *  - minor: a new minor only APPENDS fields at the end of the structs below and may
 *    define new flag bits. Every struct therefore starts with (or carries) its own size
 *    in bytes. The host reads min(plugin size, host size) bytes of each struct and
 *    treats fields beyond the plugin's size as zero/NULL. A plugin built against a newer
 *    minor header than the host's is accepted (its extra fields are ignored), and so is
 *    one built against an older minor. Unknown flag bits are ignored.
 *  - struct sizes smaller than the ABI 1.0 size of the struct are rejected.
 *
 * ------------------------------------------------------------------------------------
 * WHAT THE HOST CALLS, AND WHEN
 *
 *  1. Load: dlopen(path, RTLD_NOW | RTLD_LOCAL) with the path exactly as the user gave
 *     it (no search path), then dlsym("bsnn_plugin_entry") and one call
 *     bsnn_plugin_entry(BSNN_PLUGIN_ABI_VERSION of the host). Return NULL if you cannot
 *     serve that host (e.g. a different major); the host reports "entry returned NULL".
 *     Loading the same file twice calls the entry again; return the same descriptor.
 *  2. Validation: the host reads the descriptor, copies its strings and numbers, then
 *     for each activation the user instantiates evaluates `function` (and `derivative`,
 *     `forward_f32`, `derivative_f32` when present) on a grid over [-14, 14] plus the
 *     breakpoints, and rejects the activation if any value is NaN or ±Inf, or if the
 *     supplied derivative / float forms disagree with the function (see ACCURACY).
 *  3. Normalization: quadrature calls `function` and `derivative` in double precision,
 *     a few thousand times, with x anywhere in roughly [-40, 40].
 *  4. Training / inference: the host calls `forward_f32` / `derivative_f32` (or, when
 *     they are NULL, `function` / `derivative` element by element) on whole batches.
 *  5. Unload: dlclose when nothing made from the library is referenced any more.
 *
 * In every call:
 *  - `params` points to param_count doubles holding the values the user chose (the
 *    defaults for omitted ones), in the order of `param_names`. It is never NULL (when
 *    param_count is 0 it points to unused storage) and stays valid during the call only.
 *  - For the *_f32 forms, x and the output never overlap, n ≥ 1, and the pointers are
 *    valid for n floats during the call only. No alignment beyond float's is promised.
 *
 * ------------------------------------------------------------------------------------
 * LIFETIME
 *
 * The descriptor returned by the entry, its activation array, and every string, array
 * and function they point to must stay valid and unchanged until the library is
 * unloaded — in practice: make them `static const`. The host never writes to or frees
 * any of them. Nothing is allocated by the plugin on the host's behalf.
 *
 * ------------------------------------------------------------------------------------
 * THREADS
 *
 * With BSNN_PLUGIN_THREAD_SAFE set on an activation, the host may call its functions
 * from several threads at once. Without it, the host serializes all calls into that
 * plugin library image (one lock per image, shared by every load of the same file,
 * since the loads share the library's globals), which costs speed.
 *
 * ------------------------------------------------------------------------------------
 * ACCURACY
 *
 *  - `function` is the reference: compute it in double precision, as accurately as
 *    practical (a few ulps).
 *  - `derivative`, when given, must be φ' to about 1e-10 relative accuracy. The host
 *    compares it with central differences away from breakpoints and rejects it if the
 *    two differ by more than 1e-5·(1 + |φ'(x)|). When NULL, the host differentiates
 *    `function` numerically (Richardson-extrapolated central differences, about 1e-10
 *    relative for smooth φ away from breakpoints; the average slope within 1e-3 of a
 *    kink), which is slower on the training path.
 *  - `forward_f32` / `derivative_f32` must agree with `function` / φ' to float
 *    accuracy: |y − φ(x)| ≤ 1e-5·(1 + |φ(x)|). The host checks this on the grid.
 *  - `breakpoints` list the points where φ is not differentiable (0 for ReLU); the
 *    quadrature splits there. Omitting a kink costs accuracy in the GPN constants.
 */
#ifndef BSNN_PLUGIN_H
#define BSNN_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ABI version of this header. */
#define BSNN_PLUGIN_ABI_MAJOR 1u
#define BSNN_PLUGIN_ABI_MINOR 0u
/* The packed version passed to the entry point: major in the high 16 bits. */
#define BSNN_PLUGIN_ABI_VERSION ((BSNN_PLUGIN_ABI_MAJOR << 16) | BSNN_PLUGIN_ABI_MINOR)
#define BSNN_PLUGIN_VERSION_MAJOR_OF(v) (((uint32_t)(v)) >> 16)
#define BSNN_PLUGIN_VERSION_MINOR_OF(v) (((uint32_t)(v)) & 0xFFFFu)

/* The one symbol the host looks up. */
#define BSNN_PLUGIN_ENTRY_NAME "bsnn_plugin_entry"

/* Marks the entry point as exported even under -fvisibility=hidden. */
#if defined(_WIN32)
#define BSNN_PLUGIN_EXPORT __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#define BSNN_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define BSNN_PLUGIN_EXPORT
#endif

/* Activation flags (bsnn_plugin_activation.flags). Unknown bits are ignored. */

/* REQUIRED. φ depends only on (x, params): no side effects, same result every call.
 * The GPN constants are computed once from a few thousand samples; a function without
 * this promise cannot be normalized, so the host rejects an activation lacking it. */
#define BSNN_PLUGIN_PURE (1u << 0)
/* Every function of this activation may be called from several threads at once. */
#define BSNN_PLUGIN_THREAD_SAFE (1u << 1)
/* Informational: `derivative` is non-NULL. If set while `derivative` is NULL, the host
 * rejects the activation (the descriptor contradicts itself). */
#define BSNN_PLUGIN_HAS_DERIVATIVE (1u << 2)
/* Informational: `forward_f32` is non-NULL. Same contradiction rule. */
#define BSNN_PLUGIN_HAS_VECTORIZED (1u << 3)

/* φ(x) or φ'(x) for one x in double precision. */
typedef double (*bsnn_plugin_scalar_fn)(double x, const double *params);
/* y[i] = φ(x[i]) (or φ'(x[i])) for i < n, in float. */
typedef void (*bsnn_plugin_batch_fn)(const float *x, float *y, size_t n, const double *params);

/* One activation function. ABI 1.0 fields; later minors append after `breakpoints`. */
typedef struct bsnn_plugin_activation {
    /* sizeof(bsnn_plugin_activation) as compiled by the plugin; must equal the
     * descriptor's activation_struct_size. */
    uint32_t struct_size;
    /* BSNN_PLUGIN_* bits; BSNN_PLUGIN_PURE is required. */
    uint32_t flags;
    /* Unique within the plugin, non-empty, NUL-terminated UTF-8. Saved models refer to
     * the activation by this name, so never rename it. Required. */
    const char *name;
    /* One line for listings. May be NULL. */
    const char *description;
    /* φ(x). Required. */
    bsnn_plugin_scalar_fn function;
    /* φ'(x). Optional (NULL: numeric differentiation by the host). */
    bsnn_plugin_scalar_fn derivative;
    /* Vectorized float φ. Optional (NULL: the host loops over `function`). */
    bsnn_plugin_batch_fn forward_f32;
    /* Vectorized float φ'. Optional (NULL: the host loops over `derivative`). */
    bsnn_plugin_batch_fn derivative_f32;
    /* Parameters: names (unique, non-empty) and finite defaults, param_count each.
     * Both arrays must be non-NULL when param_count > 0. */
    size_t param_count;
    const char *const *param_names;
    const double *param_defaults;
    /* Points where φ is not differentiable, finite, any order. Non-NULL when
     * breakpoint_count > 0. Breakpoints do not depend on params in ABI 1.0. */
    size_t breakpoint_count;
    const double *breakpoints;
} bsnn_plugin_activation;

/* What the entry point returns. ABI 1.0 fields; later minors append after
 * `activations`. */
typedef struct bsnn_plugin_descriptor {
    /* BSNN_PLUGIN_ABI_MAJOR / _MINOR of the header the plugin was compiled with. */
    uint32_t abi_major;
    uint32_t abi_minor;
    /* sizeof(bsnn_plugin_descriptor) as compiled by the plugin. */
    uint32_t struct_size;
    /* sizeof(bsnn_plugin_activation) as compiled by the plugin: the stride of
     * `activations`, which lets a host of another minor walk the array. */
    uint32_t activation_struct_size;
    /* Plugin name (non-empty) and free-form version string (may be NULL). */
    const char *name;
    const char *version;
    /* activation_count ≥ 1 activations, contiguous, stride activation_struct_size. */
    size_t activation_count;
    const bsnn_plugin_activation *activations;
} bsnn_plugin_descriptor;

/* The entry point every plugin exports. `host_abi_version` is the host's
 * BSNN_PLUGIN_ABI_VERSION. Returns a pointer to a static descriptor, or NULL when the
 * plugin cannot work with that host. May be called more than once. */
typedef const bsnn_plugin_descriptor *(*bsnn_plugin_entry_fn)(uint32_t host_abi_version);

BSNN_PLUGIN_EXPORT const bsnn_plugin_descriptor *bsnn_plugin_entry(uint32_t host_abi_version);

#ifdef __cplusplus
}
#endif

#endif /* BSNN_PLUGIN_H */
