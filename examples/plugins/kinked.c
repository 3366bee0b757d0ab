/* kinked — a piecewise-linear hinge with its kink at 0.5:
 *     φ(x) = x            for x < 0.5
 *     φ(x) = 0.5 + s·(x − 0.5)   for x ≥ 0.5,   s = slope (default 0.25)
 *
 * Shows the minimum: only the scalar function, no derivative (bsnn differentiates
 * numerically), and a declared breakpoint so the GPN quadrature splits at the kink.
 *
 * Build:  cc -shared -fPIC -O2 -I../../include -o libkinked.so kinked.c
 */
#include "bsnn_plugin.h"

static double hinge(double x, const double *p) { return x < 0.5 ? x : 0.5 + p[0] * (x - 0.5); }

static const char *const hinge_param_names[] = {"slope"};
static const double hinge_param_defaults[] = {0.25};
static const double hinge_breakpoints[] = {0.5};

static const bsnn_plugin_activation activations[] = {{
    .struct_size = sizeof(bsnn_plugin_activation),
    .flags = BSNN_PLUGIN_PURE | BSNN_PLUGIN_THREAD_SAFE,
    .name = "hinge",
    .description = "identity below 0.5, slope s above",
    .function = hinge,
    .param_count = 1,
    .param_names = hinge_param_names,
    .param_defaults = hinge_param_defaults,
    .breakpoint_count = 1,
    .breakpoints = hinge_breakpoints,
}};

static const bsnn_plugin_descriptor descriptor = {
    .abi_major = BSNN_PLUGIN_ABI_MAJOR,
    .abi_minor = BSNN_PLUGIN_ABI_MINOR,
    .struct_size = sizeof(bsnn_plugin_descriptor),
    .activation_struct_size = sizeof(bsnn_plugin_activation),
    .name = "kinked",
    .version = "1.0.0",
    .activation_count = 1,
    .activations = activations,
};

BSNN_PLUGIN_EXPORT const bsnn_plugin_descriptor *bsnn_plugin_entry(uint32_t host_abi_version) {
    if (BSNN_PLUGIN_VERSION_MAJOR_OF(host_abi_version) != BSNN_PLUGIN_ABI_MAJOR) return NULL;
    return &descriptor;
}
