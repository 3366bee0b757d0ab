/* The per-thread error message of the C ABI. A fixed _Thread_local buffer needs no
 * allocation, no pthread key and no destructor: nothing can leak at thread exit and
 * nothing runs after the library is unloaded. Messages longer than the buffer are cut
 * at a UTF-8 character boundary. */
#include "cbsnn_support.h"
#include <string.h>

#define CBSNN_ERROR_CAPACITY 2048

static _Thread_local char cbsnn_error_text[CBSNN_ERROR_CAPACITY];

void cbsnn_set_error_bytes(const uint8_t *bytes, size_t count) {
    if (bytes == NULL) count = 0;
    if (count > CBSNN_ERROR_CAPACITY - 1) {
        count = CBSNN_ERROR_CAPACITY - 1;
        /* Back up over UTF-8 continuation bytes so the text stays valid. */
        while (count > 0 && (bytes[count] & 0xC0) == 0x80) count--;
    }
    if (count > 0) memcpy(cbsnn_error_text, bytes, count);
    cbsnn_error_text[count] = '\0';
}


__attribute__((visibility("default"))) const char *bsnn_last_error(void) {
    return cbsnn_error_text;
}
