/* Exit 0 if PATH loads as a bsnn model (or checkpoint with --checkpoint), else prints
 * the error and exits 1. Used by the crash-safety test. */
#include <bsnn.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc < 2) return 64;
    int checkpoint = argc > 2 && strcmp(argv[2], "--checkpoint") == 0;
    if (checkpoint) {
        bsnn_trainer *t = NULL;
        if (bsnn_checkpoint_load(argv[1], 0, &t) != BSNN_OK) {
            fprintf(stderr, "%s\n", bsnn_last_error());
            return 1;
        }
        bsnn_trainer_free(t);
    } else {
        bsnn_model *m = NULL;
        if (bsnn_model_load(argv[1], 0, &m) != BSNN_OK) {
            fprintf(stderr, "%s\n", bsnn_last_error());
            return 1;
        }
        bsnn_model_free(m);
    }
    return 0;
}
