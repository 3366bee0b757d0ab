/* softclip — a parameterized soft clip, φ(x) = c·tanh(x/c), c > 0 (default 2).
 *
 * Shows every optional part of the ABI: a parameter, the analytic derivative
 * φ'(x) = 1 − tanh²(x/c), and vectorized float forms.
 *
 * Build:  cc -shared -fPIC -O2 -I../../include -o libsoftclip.so softclip.c -lm
 */
#include <math.h>
#include "bsnn_plugin.h"

static double softclip(double x, const double *p) { return p[0] * tanh(x / p[0]); }

static double softclip_derivative(double x, const double *p) {
    double t = tanh(x / p[0]);
    return 1.0 - t * t;
}

/* Float loops are what training calls; per-element function pointer calls vanish. */
static void softclip_f32(const float *x, float *y, size_t n, const double *p) {
    float c = (float)p[0], inv = 1.0f / c;
    for (size_t i = 0; i < n; i++) y[i] = c * tanhf(x[i] * inv);
}

static void softclip_derivative_f32(const float *x, float *y, size_t n, const double *p) {
    float inv = 1.0f / (float)p[0];
    for (size_t i = 0; i < n; i++) {
        float t = tanhf(x[i] * inv);
        y[i] = 1.0f - t * t;
    }
}

static const char *const softclip_param_names[] = {"c"};
static const double softclip_param_defaults[] = {2.0};

static const bsnn_plugin_activation activations[] = {{
    .struct_size = sizeof(bsnn_plugin_activation),
    .flags = BSNN_PLUGIN_PURE | BSNN_PLUGIN_THREAD_SAFE | BSNN_PLUGIN_HAS_DERIVATIVE |
             BSNN_PLUGIN_HAS_VECTORIZED,
    .name = "softclip",
    .description = "c*tanh(x/c): identity near 0, saturating at +-c",
    .function = softclip,
    .derivative = softclip_derivative,
    .forward_f32 = softclip_f32,
    .derivative_f32 = softclip_derivative_f32,
    .param_count = 1,
    .param_names = softclip_param_names,
    .param_defaults = softclip_param_defaults,
}};

static const bsnn_plugin_descriptor descriptor = {
    .abi_major = BSNN_PLUGIN_ABI_MAJOR,
    .abi_minor = BSNN_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(bsnn_plugin_descriptor),
    .activation_struct_size = sizeof(bsnn_plugin_activation),
    .name = "softclip",
    .version = "1.0.0",
    .activation_count = sizeof activations / sizeof activations[0],
    .activations = activations,
};

BSNN_PLUGIN_EXPORT const bsnn_plugin_descriptor *bsnn_plugin_entry(uint32_t host_abi_version) {
    if (BSNN_PLUGIN_VERSION_MAJOR_OF(host_abi_version) != BSNN_PLUGIN_ABI_MAJOR) return NULL;
    return &descriptor;
}
