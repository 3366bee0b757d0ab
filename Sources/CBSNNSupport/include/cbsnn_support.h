#ifndef CBSNN_SUPPORT_H
#define CBSNN_SUPPORT_H
/* The public header is the one copy of every type the Swift layer translates; this
 * relative include makes Swift see exactly what C callers see. */
#include "../../../include/bsnn.h"

/* Internal to libbsnn.so (hidden visibility): the Swift layer stores a failing call's
 * message here; bsnn_last_error reads it. */
__attribute__((visibility("hidden"))) void cbsnn_set_error_bytes(const uint8_t *bytes, size_t count);

#endif
