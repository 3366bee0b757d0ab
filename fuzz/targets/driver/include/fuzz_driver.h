#ifndef BSNN_FUZZ_DRIVER_H
#define BSNN_FUZZ_DRIVER_H
#include <stddef.h>
#include <stdint.h>
/* libFuzzer's entry for programs that keep their own main: SwiftPM renames an
 * executable's main (--defsym main=<module>_main), so libFuzzer's own main is never
 * linked and each fuzz target calls this from its @main instead. */
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
#endif
