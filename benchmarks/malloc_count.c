/* Preloaded into bsnn-bench and tests/c/test_steady_allocation to count malloc, calloc,
 * realloc and posix_memalign calls, so they can show that a training step in steady
 * state allocates nothing. Calls made from inside libopenblas are counted apart as well:
 * OpenBLAS 0.3.21's threaded level-3 driver allocates its job array on every threaded
 * product (Debian builds it with MAX_THREADS=64, which puts that array on the heap),
 * which bsnn cannot change.
 *   cc -shared -fPIC -O2 -o malloc_count.so benchmarks/malloc_count.c -ldl
 *   LD_PRELOAD=./malloc_count.so .build/release/bsnn-bench ... */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <stdint.h>
#include <stdatomic.h>
#include <string.h>

static _Atomic uint64_t calls, openblas_calls;
static _Thread_local int classifying;

/* Whether the caller at `ret` lies in libopenblas (dladdr does not allocate; the guard
 * keeps a nested call from recursing anyway). */
static void count(void *ret) {
    atomic_fetch_add(&calls, 1);
    if (classifying) return;
    classifying = 1;
    Dl_info info;
    if (dladdr(ret, &info) && info.dli_fname && strstr(info.dli_fname, "libopenblas"))
        atomic_fetch_add(&openblas_calls, 1);
    classifying = 0;
}
static void *(*real_malloc)(size_t);
static void *(*real_calloc)(size_t, size_t);
static void *(*real_realloc)(void *, size_t);
static int (*real_posix_memalign)(void **, size_t, size_t);

uint64_t bsnn_bench_malloc_calls(void) { return atomic_load(&calls); }
uint64_t bsnn_bench_malloc_calls_from_openblas(void) { return atomic_load(&openblas_calls); }

void *malloc(size_t n) {
    if (!real_malloc) real_malloc = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
    count(__builtin_return_address(0));
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
    count(__builtin_return_address(0));
    return real_calloc(a, b);
}

void *realloc(void *p, size_t n) {
    if (!real_realloc) real_realloc = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
    count(__builtin_return_address(0));
    return real_realloc(p, n);
}

int posix_memalign(void **out, size_t align, size_t n) {
    if (!real_posix_memalign) real_posix_memalign = (int (*)(void **, size_t, size_t))dlsym(RTLD_NEXT, "posix_memalign");
    count(__builtin_return_address(0));
    return real_posix_memalign(out, align, n);
}
