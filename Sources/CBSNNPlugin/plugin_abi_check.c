/* A C target needs one source file; this one also pins down, at compile time, the
 * ABI 1.0 layout that the Swift loader reads (LP64 sizes). */
#include "CBSNNPlugin.h"

_Static_assert(sizeof(bsnn_plugin_activation) == 96, "ABI 1.0 activation layout changed");
_Static_assert(sizeof(bsnn_plugin_descriptor) == 48, "ABI 1.0 descriptor layout changed");
