/* Preloaded into bsnn-bench to count malloc/calloc/realloc calls, so the benchmark can
 * show that a training step in steady state allocates nothing:
 *   cc -shared -fPIC -O2 -o malloc_count.so benchmarks/malloc_count.c -ldl
 *   LD_PRELOAD=./malloc_count.so .build/release/bsnn-bench ... */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>
#include <stdatomic.h>

static _Atomic uint64_t calls;
static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static int (*real_posix_memalign)(void **, size_t, size_t);

uint64_t bsnn_bench_malloc_calls(void) { return atomic_load(&calls); }

void *malloc(size_t n) {
    if (!real_malloc) real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
    atomic_fetch_add(&calls, 1);
    return real_malloc(n);
}

/* dlsym itself may calloc before real_calloc is known: serve that from a static pool. */
static char pool[4096];
static size_t pool_used;
void *calloc(size_t a, size_t b) {
    if (!real_calloc) {
        static int resolving;
        if (resolving) {
            void *p = pool + pool_used;
            pool_used += (a * b + 15) & ~(size_t)15;
            return p;
        }
        resolving = 1;
        real_calloc = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
        resolving = 0;
    }
    atomic_fetch_add(&calls, 1);
    return real_calloc(a, b);
}

void *realloc(void *p, size_t n) {
    if (!real_realloc) real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
    atomic_fetch_add(&calls, 1);
    return real_realloc(p, n);
}

int posix_memalign(void **out, size_t align, size_t n) {
    if (!real_posix_memalign) real_posix_memalign = (int (*)(void **, size_t, size_t))dlsym(RTLD_NEXT, "posix_memalign");
    atomic_fetch_add(&calls, 1);
    return real_posix_memalign(out, align, n);
}
