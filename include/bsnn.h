/* bsnn.h — C ABI of bsnn, a training engine for bidirectionally self-normalizing deep
 * networks (orthogonal / row-normalized weights + Gaussian-Poincaré normalized
 * activations). Link with `pkg-config --cflags --libs bsnn` (libbsnn.so).
 *
 * Conventions (all functions):
 *  - Fallible calls return bsnn_status; BSNN_OK is 0. Results go through out-pointers
 *    (a single one is named `out`); on failure outputs are left unchanged.
 *  - On failure a sentence naming the argument, the expected and the actual value is
 *    stored per thread: bsnn_last_error(). Successful calls leave it untouched, as do
 *    bsnn_status_string, bsnn_last_error, the version/feature getters,
 *    bsnn_builtin_count/bsnn_builtin_name, bsnn_blas_threads and every *_free.
 *  - Handles are opaque. Each *_create or *_load pairs with a *_free; *_free(NULL) is a
 *    no-op. A freed or foreign handle passed to any call is detected and rejected with
 *    BSNN_E_INVALID_ARGUMENT (unless its address was reused by a new handle of the
 *    same type).
 *  - Bulk data lives in caller-owned buffers (float row-major, with explicit counts);
 *    the library copies what it needs and keeps no caller pointer past the call unless
 *    stated. Strings returned by the library are copied into caller buffers
 *    (`buffer`, `capacity`, `out_length`): pass buffer NULL and capacity 0 to query
 *    the length (without the terminating NUL).
 *  - Threads: distinct handles may be used from distinct threads at once; one handle
 *    must not be used from two threads at once, except bsnn_model_predict and
 *    bsnn_model_evaluate on a model that no trainer is updating meanwhile, and the
 *    read-only activation calls (evaluate, constants, names). No global init is needed.
 *  - One change at a time per network: bsnn_trainer_step, bsnn_trainer_fit(_arrays),
 *    bsnn_model_set_weights and bsnn_model_set_bias on one network (through any handle
 *    or trainer) run one at a time; one that starts while another runs — from another
 *    thread, or from a progress callback of the running fit — returns WRONG_STATE and
 *    changes nothing. Several trainers may share a network and train it in turn.
 *    Prediction from another thread during training is not detected: don't.
 *  - bsnn never changes OpenBLAS's process-wide thread count by itself (creating,
 *    loading or training a model leaves it as the host set it); only
 *    bsnn_blas_set_threads and the environment (BSNN_NUM_THREADS) do.
 *  - Config structs passed in (bsnn_model_config, bsnn_training_config,
 *    bsnn_probe_config, bsnn_csv_options) start with `size`, the caller's sizeof. Fill
 *    one with its *_init_defaults(&c, sizeof c): init writes exactly `size` bytes and
 *    every call that reads the struct reads only `size` bytes, so fields appended in later
 *    versions keep their defaults for programs built against an older header. Sizes below
 *    the struct's 0.1 size, or above the library's own sizeof (a header newer than the
 *    library), are INVALID_ARGUMENT. Structs the library writes (bsnn_*_info,
 *    bsnn_evaluation, bsnn_step_result, bsnn_trainer_state, bsnn_gpn_constants) are
 *    frozen: later versions add functions, not fields.
 *  - Defaults are the engine's, the same through C, Python and the CLI: the activation
 *    is GPN-normalized (BSNN_GPN_DEFAULT) unless gpn_root is BSNN_GPN_NONE, and `epochs`
 *    is always the total number of completed epochs to reach.
 *  - Paths (`path`, `directory`, `library`, `*_path`) are NUL-terminated bytes and need
 *    not be UTF-8; other strings (names, signatures) must be UTF-8.
 *  - Nothing aborts, unwinds or prints on bad input.
 * Every function is available since 0.1 unless stated otherwise. */
#ifndef BSNN_H
#define BSNN_H

#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32)
#define BSNN_API __declspec(dllimport)
#else
#define BSNN_API __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- version */

#define BSNN_VERSION_MAJOR 0
#define BSNN_VERSION_MINOR 1
#define BSNN_VERSION_PATCH 0
#define BSNN_VERSION_STRING "0.1.0"
/* MAJOR*10000 + MINOR*100 + PATCH. */
#define BSNN_VERSION_NUMBER (BSNN_VERSION_MAJOR * 10000 + BSNN_VERSION_MINOR * 100 + BSNN_VERSION_PATCH)
/* True when the header is at least version major.minor.patch. */
#define BSNN_VERSION_CHECK(major, minor, patch) \
    (BSNN_VERSION_NUMBER >= ((major) * 10000 + (minor) * 100 + (patch)))
/* Changes only when the ABI breaks; compare with bsnn_abi_version() at run time.
 * 2: the *_init_defaults functions take the caller's struct size and return a status;
 *    bsnn_trainer_fit's `epochs` is the total to reach.
 * 3: bsnn_trainer_fit_arrays takes optional validation arrays.
 * New enum values (marked "Added in ABI 3") do not change the number: a program built
 * against an older header never passes them, and a library that lacks one rejects it
 * with BSNN_E_INVALID_ARGUMENT. */
#define BSNN_ABI_VERSION 3

/* The library's version string, e.g. "0.1.0"; static, never NULL. Since 0.1. */
BSNN_API const char *bsnn_version(void);
/* The library's BSNN_VERSION_NUMBER (compare with the header's). Since 0.1. */
BSNN_API uint32_t bsnn_version_number(void);
/* The library's BSNN_ABI_VERSION; a program should refuse to run on a mismatch. Since 0.1. */
BSNN_API uint32_t bsnn_abi_version(void);

#define BSNN_FEATURE_PLUGINS 1u       /* activation plugins (bsnn_plugin.h) */
#define BSNN_FEATURE_FFI 2u           /* foreign functions through libffi */
#define BSNN_FEATURE_THREADED_BLAS 4u /* OpenBLAS can run products on several threads (as openblas_get_parallel reports) */
/* Bitmask of BSNN_FEATURE_* compiled into this library. Since 0.1. */
BSNN_API uint32_t bsnn_features(void);

/* ---------------------------------------------------------------- status */

/* New codes may be appended; treat unknown values as generic failures. */
typedef enum bsnn_status {
    BSNN_OK = 0,
    BSNN_E_INVALID_ARGUMENT = 1, /* NULL pointer, bad size, unknown name, freed handle */
    BSNN_E_SHAPE_MISMATCH = 2,   /* counts that do not fit the model / data */
    BSNN_E_IO = 3,               /* file cannot be read or written */
    BSNN_E_FORMAT = 4,           /* file content is malformed */
    BSNN_E_PLUGIN = 5,           /* plugin / foreign library failed to load or misbehaved */
    BSNN_E_NUMERIC = 6,          /* NaN/Inf data, divergence, degenerate activation */
    BSNN_E_OUT_OF_MEMORY = 7,
    BSNN_E_WRONG_STATE = 8,      /* call not valid in the object's current state */
    BSNN_E_CANCELLED = 9,        /* a callback asked to stop */
    BSNN_E_INTERNAL = 10         /* a bug in bsnn: please report */
} bsnn_status;

/* A static one-phrase description of `status` ("invalid argument"); never NULL,
 * "unknown status" for unknown values. Thread-safe. Since 0.1. */
BSNN_API const char *bsnn_status_string(bsnn_status status);
/* The calling thread's message of its last failing call ("" if none); never NULL, owned
 * by the library, valid until the next failing call on this thread. Since 0.1. */
BSNN_API const char *bsnn_last_error(void);

/* ---------------------------------------------------------------- handles */

typedef struct bsnn_activation bsnn_activation;
typedef struct bsnn_model bsnn_model;
typedef struct bsnn_trainer bsnn_trainer;
typedef struct bsnn_dataset bsnn_dataset;
typedef struct bsnn_probe bsnn_probe;
typedef struct bsnn_plugin bsnn_plugin;

/* ---------------------------------------------------------------- activations */

/* Which root b± of the GPN equations; BSNN_GPN_NONE = the plain function. */
typedef enum bsnn_gpn_root {
    BSNN_GPN_NONE = 0,
    BSNN_GPN_B_PLUS = 1,  /* a·φ+b has non-negative mean ("b+") */
    BSNN_GPN_B_MINUS = 2, /* non-positive mean ("b-") */
    BSNN_GPN_DEFAULT = 3  /* the paper's Table-1 choice: b- for "gelu", b+ for every other
                           * function (an input only: handles report the root it chose) */
} bsnn_gpn_root;

/* Where an activation's base function comes from (bsnn_activation_source). */
typedef enum bsnn_activation_kind {
    BSNN_SOURCE_BUILTIN = 0,  /* one of bsnn_builtin_activation_name's functions */
    BSNN_SOURCE_PLUGIN = 1,   /* a plugin library (bsnn_plugin.h) */
    BSNN_SOURCE_FOREIGN = 2,  /* a C function through libffi (bsnn_activation_create_foreign) */
    BSNN_SOURCE_CALLBACK = 3  /* a host callback (bsnn_activation_create_callback) */
} bsnn_activation_kind;

/* GPN constants and Gaussian moments E over x ~ N(0,1) of the base function φ. */
typedef struct bsnn_gpn_constants {
    double a, b_plus, b_minus;
    double mean;                   /* E[φ] */
    double mean_square;            /* E[φ²] */
    double derivative_mean_square; /* E[φ'²] */
} bsnn_gpn_constants;

/* A user activation: φ(x) or φ'(x), called with the user_data given at creation. */
typedef double (*bsnn_scalar_fn)(double x, void *user_data);

/* Number of builtin activations. Since 0.1. */
BSNN_API size_t bsnn_builtin_count(void);
/* Name of builtin `index` (static string), or NULL when index >= bsnn_builtin_count(). Since 0.1. */
BSNN_API const char *bsnn_builtin_name(size_t index);

/* Creates a builtin activation (plain, not normalized) by `name`; `param_names` /
 * `param_values` (both NULL when param_count is 0) override its defaults. Errors:
 * INVALID_ARGUMENT (unknown name or parameter, non-finite value). Free with
 * bsnn_activation_free. Since 0.1. */
BSNN_API bsnn_status bsnn_activation_create_builtin(const char *name, const char *const *param_names,
                                                    const double *param_values, size_t param_count,
                                                    bsnn_activation **out);
/* Loads the plugin at `path` and creates its activation `name` with parameter overrides;
 * the activation keeps the plugin library loaded. Errors: PLUGIN, INVALID_ARGUMENT. Since 0.1. */
BSNN_API bsnn_status bsnn_activation_create_plugin(const char *path, const char *name,
                                                   const char *const *param_names,
                                                   const double *param_values, size_t param_count,
                                                   bsnn_activation **out);
/* A plain C function `symbol` of `library` (dlopen name or path) with `signature` such as
 * "double(double)" or "double(double,double)"; `bound` holds the values of the
 * arguments after x (bound_count = arguments - 1). The function is called in this
 * process: a symbol that is not such a function (a data symbol like libc.so.6:environ)
 * crashes the host; validate untrusted ones with bsnn_foreign_validate_isolated first.
 * Errors: INVALID_ARGUMENT, PLUGIN. Since 0.1. */
BSNN_API bsnn_status bsnn_activation_create_foreign(const char *library, const char *symbol,
                                                    const char *signature, const double *bound,
                                                    size_t bound_count, bsnn_activation **out);
/* An activation computed by `function(x, user_data)` and, if non-NULL,
 * `derivative(x, user_data)` (else differentiated numerically). The callbacks are called
 * on whichever thread evaluates the activation (possibly several at once if you share
 * it), must not call back into bsnn, and `user_data` must stay valid until the
 * activation and every model made from it are freed. Such models cannot be saved
 * (bsnn_model_save: WRONG_STATE). Errors: INVALID_ARGUMENT, NUMERIC (non-finite output). Since 0.1. */
BSNN_API bsnn_status bsnn_activation_create_callback(const char *name, bsnn_scalar_fn function,
                                                     bsnn_scalar_fn derivative, void *user_data,
                                                     bsnn_activation **out);
/* A new activation a·φ+b, the GPN normalization of `activation`'s base φ with `root`
 * (BSNN_GPN_DEFAULT: the default root; BSNN_GPN_NONE gives the plain φ back). Errors: INVALID_ARGUMENT, NUMERIC (degenerate
 * or divergent moments). Since 0.1. */
BSNN_API bsnn_status bsnn_activation_normalize(const bsnn_activation *activation, bsnn_gpn_root root,
                                               bsnn_activation **out);
/* Frees an activation; models made from it keep their own copy. NULL: no-op. Since 0.1. */
BSNN_API void bsnn_activation_free(bsnn_activation *activation);
/* GPN constants and moments of the base φ (computed by quadrature; ~ms). Errors: NUMERIC. Since 0.1. */
BSNN_API bsnn_status bsnn_activation_constants(const bsnn_activation *activation, bsnn_gpn_constants *out);
/* The root this handle is normalized with (BSNN_GPN_NONE for a plain φ). Since 0.1. */
BSNN_API bsnn_status bsnn_activation_root(const bsnn_activation *activation, bsnn_gpn_root *out);
/* The base function's name (e.g. "tanh"), copied into `buffer`. Since 0.1. */
BSNN_API bsnn_status bsnn_activation_name(const bsnn_activation *activation, char *buffer,
                                          size_t capacity, size_t *out_length);
/* Where the base function comes from (a bsnn_activation_kind) into `out`: exporters
 * can rebuild builtins only. Errors: INVALID_ARGUMENT. Thread-safe. Since 0.1. */
BSNN_API bsnn_status bsnn_activation_source(const bsnn_activation *activation, int32_t *out);
/* Number of named parameters of the base function. Since 0.1. */
BSNN_API bsnn_status bsnn_activation_param_count(const bsnn_activation *activation, size_t *out);
/* Parameter `index`: its name into `buffer` and its value into `value` (may be NULL). Since 0.1. */
BSNN_API bsnn_status bsnn_activation_param(const bsnn_activation *activation, size_t index, char *buffer,
                                           size_t capacity, size_t *out_length, double *value);
/* For i < count: value[i] = ψ(x[i]) and, if `derivative` is non-NULL, derivative[i] =
 * ψ'(x[i]), where ψ is this handle's function (a·φ+b when normalized). `value` may
 * equal `x`. Errors: INVALID_ARGUMENT (NULL buffers, count 0). Since 0.1. */
BSNN_API bsnn_status bsnn_activation_evaluate(const bsnn_activation *activation, const float *x,
                                              size_t count, float *value, float *derivative);

/* ---------------------------------------------------------------- plugins */

/* Loads an activation plugin (see bsnn_plugin.h). Errors: PLUGIN (with the loader's
 * reason), INVALID_ARGUMENT. Free with bsnn_plugin_free. Since 0.1. */
BSNN_API bsnn_status bsnn_plugin_load(const char *path, bsnn_plugin **out);
/* Releases the handle; activations made from it keep the library loaded. NULL: no-op. Since 0.1. */
BSNN_API void bsnn_plugin_free(bsnn_plugin *plugin);
/* The plugin's declared name, copied into `buffer`. Since 0.1. */
BSNN_API bsnn_status bsnn_plugin_name(const bsnn_plugin *plugin, char *buffer, size_t capacity,
                                      size_t *out_length);
/* Number of activations the plugin declares. Since 0.1. */
BSNN_API bsnn_status bsnn_plugin_activation_count(const bsnn_plugin *plugin, size_t *out);
/* Name of the plugin's activation `index`. Since 0.1. */
BSNN_API bsnn_status bsnn_plugin_activation_name(const bsnn_plugin *plugin, size_t index, char *buffer,
                                                 size_t capacity, size_t *out_length);
/* Number of parameters of the plugin's activation `index`. Since 0.1. */
BSNN_API bsnn_status bsnn_plugin_param_count(const bsnn_plugin *plugin, size_t index, size_t *out);
/* Parameter `param` of activation `index`: name into `buffer`, default into
 * `default_value` (may be NULL). Since 0.1. */
BSNN_API bsnn_status bsnn_plugin_param(const bsnn_plugin *plugin, size_t index, size_t param,
                                       char *buffer, size_t capacity, size_t *out_length,
                                       double *default_value);
/* Creates the plugin's activation `name` with parameter overrides (plain, not
 * normalized). Errors: INVALID_ARGUMENT, PLUGIN. Since 0.1. */
BSNN_API bsnn_status bsnn_plugin_create_activation(const bsnn_plugin *plugin, const char *name,
                                                   const char *const *param_names,
                                                   const double *param_values, size_t param_count,
                                                   bsnn_activation **out);

/* Validates an untrusted plugin without risking the calling process: a forked child
 * loads `path`, creates activation `name` with parameter overrides (as in
 * bsnn_activation_create_plugin; both NULL when param_count is 0), evaluates it on
 * the validation grid and the GPN quadrature nodes, and sends back its constants,
 * which go to `out` (may be NULL). A child that dies on a signal gives PLUGIN with
 * "crashed with SIGSEGV" (or the signal's name) in bsnn_last_error(), also in a host
 * that ignores SIGCHLD; one still running after `timeout_ms` milliseconds (1..86400000),
 * even with its output closed, is killed with its whole process group (what the plugin
 * forked) and gives PLUGIN with "timed out after N s"; one that exits early gives PLUGIN
 * with "without a result". The call returns shortly after the timeout at the latest
 * (the child is polled every 10 ms). Stdio is flushed before the fork. Thread-safe. An invalid plugin gives the same status as bsnn_plugin_load /
 * bsnn_activation_normalize would. Only this check is protected: a plugin that passes
 * and later crashes inside bsnn_plugin_load, training or prediction takes the process
 * down (a signal cannot be recovered from in-process). Since 0.1. */
BSNN_API bsnn_status bsnn_plugin_validate_isolated(const char *path, const char *name,
                                                   const char *const *param_names,
                                                   const double *param_values, size_t param_count,
                                                   uint32_t timeout_ms, bsnn_gpn_constants *out);
/* bsnn_plugin_validate_isolated for a foreign function: a forked child creates it as
 * bsnn_activation_create_foreign would, evaluates it on the validation grid and the GPN
 * quadrature nodes and sends back its constants (`out` may be NULL). Same crash,
 * time-out and error reporting; thread-safe. Since 0.1. */
BSNN_API bsnn_status bsnn_foreign_validate_isolated(const char *library, const char *symbol,
                                                    const char *signature, const double *bound,
                                                    size_t bound_count, uint32_t timeout_ms,
                                                    bsnn_gpn_constants *out);

/* ---------------------------------------------------------------- datasets */

/* A loader fits the scaling on the data it loads, which is right for a training set; a
 * test set must be mapped with the training set's statistics: load it with
 * BSNN_SCALING_NONE and pass it to bsnn_dataset_scale with bsnn_dataset_scaling of the
 * training set (Fashion-MNIST's STANDARDIZE does this by itself). */
typedef enum bsnn_scaling {
    BSNN_SCALING_NONE = 0,
    BSNN_SCALING_UNIT_INTERVAL = 1, /* bytes / 255, else per-feature min-max (default) */
    BSNN_SCALING_STANDARDIZE = 2    /* per feature to mean 0, standard deviation 1 */
} bsnn_scaling;

typedef enum bsnn_split { BSNN_SPLIT_TRAIN = 0, BSNN_SPLIT_TEST = 1 } bsnn_split;

typedef enum bsnn_csv_header {
    BSNN_CSV_HEADER_AUTO = 0,
    BSNN_CSV_HEADER_PRESENT = 1,
    BSNN_CSV_HEADER_ABSENT = 2
} bsnn_csv_header;

typedef struct bsnn_csv_options {
    size_t size;          /* sizeof(bsnn_csv_options) */
    int32_t label_column; /* negative counts from the end (-1 = last); default 0 */
    int32_t header;       /* bsnn_csv_header; default AUTO */
    char delimiter;       /* default ',' */
    int32_t regression;   /* 0: integer class labels (default); 1: one float target */
    size_t class_count;   /* 0: largest label + 1 (default) */
} bsnn_csv_options;

typedef struct bsnn_dataset_info {
    size_t count, feature_count;
    size_t class_count;  /* 0 for regression data */
    size_t target_count; /* 0 for classification data */
} bsnn_dataset_info;

/* Fills the first `size` bytes of `options` (pass sizeof *options) with defaults and
 * sets options->size = size. Errors: INVALID_ARGUMENT (NULL, size out of range). Since 0.1
 * (size argument and status since ABI 2). */
BSNN_API bsnn_status bsnn_csv_options_init_defaults(bsnn_csv_options *options, size_t size);
/* Classification data copied from `features` (count × feature_count floats) and
 * `labels` (count values in 0..class_count-1). Errors: INVALID_ARGUMENT, SHAPE_MISMATCH,
 * NUMERIC (a NaN or infinite feature, naming its sample; since 0.2). Since 0.1. */
BSNN_API bsnn_status bsnn_dataset_create(const float *features, const int32_t *labels, size_t count,
                                         size_t feature_count, size_t class_count, bsnn_dataset **out);
/* Regression data copied from `features` and `targets` (count × target_count floats).
 * Errors as bsnn_dataset_create (NUMERIC also for targets). Since 0.1. */
BSNN_API bsnn_status bsnn_dataset_create_regression(const float *features, const float *targets,
                                                    size_t count, size_t feature_count,
                                                    size_t target_count, bsnn_dataset **out);
/* IDX image + label files (optionally .gz); `limit` 0 keeps all samples. Errors: IO, FORMAT. Since 0.1. */
BSNN_API bsnn_status bsnn_dataset_load_idx(const char *images_path, const char *labels_path, size_t limit,
                                           bsnn_scaling scaling, bsnn_dataset **out);
/* A Fashion-MNIST split from `directory` (NULL: /usr/share/datasets/fashion-mnist);
 * `limit` 0 keeps all. STANDARDIZE uses the statistics of the whole training split for
 * either split and any limit (the test images never contribute). Errors: IO, FORMAT. Since 0.1. */
BSNN_API bsnn_status bsnn_dataset_load_fashion_mnist(const char *directory, bsnn_split split, size_t limit,
                                                     bsnn_scaling scaling, bsnn_dataset **out);
/* A numeric CSV file; `options` NULL means defaults. Errors: IO, FORMAT, INVALID_ARGUMENT. Since 0.1. */
BSNN_API bsnn_status bsnn_dataset_load_csv(const char *path, const bsnn_csv_options *options,
                                           bsnn_dataset **out);
/* A new data set with the first min(n, count) samples. Since 0.1. */
BSNN_API bsnn_status bsnn_dataset_prefix(const bsnn_dataset *dataset, size_t n, bsnn_dataset **out);
/* NULL: no-op. Since 0.1. */
BSNN_API void bsnn_dataset_free(bsnn_dataset *dataset);
/* Sizes of the data set. Since 0.1. */
BSNN_API bsnn_status bsnn_dataset_info_get(const bsnn_dataset *dataset, bsnn_dataset_info *out);
/* Copies all features (exactly count × feature_count floats) into `buffer`. Since 0.1. */
BSNN_API bsnn_status bsnn_dataset_features(const bsnn_dataset *dataset, float *buffer, size_t capacity);
/* Copies all labels (exactly count values; classification data only) into `buffer`. Since 0.1. */
BSNN_API bsnn_status bsnn_dataset_labels(const bsnn_dataset *dataset, int32_t *buffer, size_t capacity);
/* The map x' = (x − offsets[j]) × scales[j] the data set's features went through:
 * *out_method gets its bsnn_scaling (BSNN_SCALING_NONE for features as given: offsets 0,
 * scales 1); `offsets`, `scales` (each NULL or exactly feature_count floats) get the
 * statistics. Since ABI 2. */
BSNN_API bsnn_status bsnn_dataset_scaling(const bsnn_dataset *dataset, int32_t *out_method, float *offsets,
                                          float *scales, size_t count);
/* A new data set: `dataset` (unscaled) with its features mapped by `offsets`/`scales`
 * (count = feature_count floats each, e.g. from bsnn_dataset_scaling of the training set)
 * and recorded as `method`. Errors: SHAPE_MISMATCH, WRONG_STATE (already scaled),
 * INVALID_ARGUMENT (method NONE, non-finite values, zero scale). Since ABI 2. */
BSNN_API bsnn_status bsnn_dataset_scale(const bsnn_dataset *dataset, int32_t method, const float *offsets,
                                        const float *scales, size_t count, bsnn_dataset **out);
/* Maps caller features in place: features[i·count + j] = (features[i·count + j] −
 * offsets[j]) × scales[j] (features_count a positive multiple of count), the same
 * arithmetic as the loaders, e.g. with bsnn_model_scaling before bsnn_model_predict on raw
 * features. Thread-safe. Since ABI 2. */
BSNN_API bsnn_status bsnn_scale_features(const float *offsets, const float *scales, size_t count, float *features,
                                         size_t features_count);

/* ---------------------------------------------------------------- models */

typedef enum bsnn_constraint {
    BSNN_CONSTRAINT_NONE = 0,
    BSNN_CONSTRAINT_ROW_NORM = 1,  /* W = diag(1/‖vᵢ‖)V (default; the paper's relaxation) */
    BSNN_CONSTRAINT_ORTHOGONAL = 2 /* QR retraction after each update */
} bsnn_constraint;

typedef enum bsnn_init {
    BSNN_INIT_ORTHOGONAL = 0, /* default */
    BSNN_INIT_XAVIER = 1,
    BSNN_INIT_HE = 2
} bsnn_init;

/* Normalization of every activated layer's pre-activation, between the bias and φ (not
 * the output layer). Training (step, fit, probe) normalizes with the batch's statistics,
 * predict and evaluate with BATCH's running statistics (LAYER is the same in both).
 * Added in ABI 3 (0.2). */
typedef enum bsnn_norm {
    BSNN_NORM_NONE = 0,  /* default */
    BSNN_NORM_BATCH = 1, /* per unit over the batch; a training batch needs >= 2 samples */
    BSNN_NORM_LAYER = 2  /* per sample over the units */
} bsnn_norm;

typedef enum bsnn_loss {
    BSNN_LOSS_CROSS_ENTROPY = 0,
    BSNN_LOSS_MSE = 1,
    BSNN_LOSS_BINARY_LOGISTIC = 2,
    BSNN_LOSS_HUBER = 3
} bsnn_loss;

typedef struct bsnn_model_config {
    size_t size; /* sizeof(bsnn_model_config) */
    size_t inputs, width, depth, outputs; /* depth = square hidden layers (may be 0) */
    /* Borrowed for the call. Plain handles are normalized with `gpn_root`; a handle from
     * bsnn_activation_normalize is used as is and `gpn_root` must equal its root or be
     * BSNN_GPN_DEFAULT. */
    const bsnn_activation *activation;
    int32_t gpn_root;   /* bsnn_gpn_root; default BSNN_GPN_DEFAULT (NONE: plain φ) */
    int32_t constraint; /* bsnn_constraint; default ROW_NORM */
    int32_t init;       /* bsnn_init; default ORTHOGONAL */
    int32_t bias;       /* non-zero: biases on every layer (default 1) */
    uint64_t seed;      /* weight initialization seed (default 0) */
    /* Since ABI 2: the feature scaling the model records and saves (normally the training
     * set's, from bsnn_dataset_scaling); BSNN_SCALING_NONE (default) records none. It does
     * not change what predict computes: callers map raw features with bsnn_scale_features.
     * Offsets and scales: `inputs` floats each, borrowed for the call. */
    int32_t scaling;
    const float *scaling_offsets, *scaling_scales;
    /* Added in ABI 3 (0.2): bsnn_norm (default NONE); the running statistics' momentum m
     * of BATCH, r ← (1−m)·r + m·batch, in [0, 1] (default 0.1); ε of 1/√(σ²+ε), > 0
     * (default 1e-5). Bad values: INVALID_ARGUMENT. */
    int32_t norm;
    double norm_momentum;
    double norm_epsilon;
    /* Added in ABI 3 (0.2): residual links on the square hidden layers 1...depth (not the
     * input or output layer), x' = x + residual_scale·ψ(W x + b); non-zero: on (default 0;
     * with depth 0 there is no such layer and it changes nothing). */
    int32_t residual;
    /* Added in ABI 3 (0.2): α of the residual links: a finite fixed scale (default 1;
     * 1/sqrt(depth) keeps the backward signal bounded at any depth, while 1 lets the
     * signals grow with depth), or NaN = learnable, one α per layer initialized to 0
     * (ReZero) and trained like a bias. ±Inf: INVALID_ARGUMENT. */
    double residual_scale;
    /* Added in ABI 3 (0.2): inverted-dropout probability on every hidden activation (after
     * φ, before the residual add) in [0, 1), applied by training steps only, never by
     * predict or evaluate; masks are seeded from the training seed. Default 0. */
    double dropout;
} bsnn_model_config;

typedef struct bsnn_model_info {
    size_t inputs, width, depth, outputs;
    size_t layer_count;     /* depth + 2 */
    size_t parameter_count; /* trainable floats */
    int32_t bias;
    int32_t gpn_root;       /* bsnn_gpn_root of the activation */
} bsnn_model_info;

typedef struct bsnn_evaluation {
    double loss;
    double accuracy; /* 0 for regression data */
    size_t count;
} bsnn_evaluation;

/* Fills the first `size` bytes of `config` (pass sizeof *config) with defaults (sizes 0,
 * activation NULL) and sets config->size = size. Errors: INVALID_ARGUMENT (NULL, size
 * out of range). Since 0.1 (size argument and status since ABI 2). */
BSNN_API bsnn_status bsnn_model_config_init_defaults(bsnn_model_config *config, size_t size);
/* Creates and initializes a network. Errors: INVALID_ARGUMENT (size field, zero sizes,
 * enums, activation), NUMERIC, OUT_OF_MEMORY. Free with bsnn_model_free. Since 0.1. */
BSNN_API bsnn_status bsnn_model_create(const bsnn_model_config *config, bsnn_model **out);
/* Releases this handle. Models are reference-counted: a trainer (or another handle from
 * bsnn_trainer_model) using the same network keeps it alive. NULL: no-op. Since 0.1. */
BSNN_API void bsnn_model_free(bsnn_model *model);
/* Shape and counts. Since 0.1. */
BSNN_API bsnn_status bsnn_model_info_get(const bsnn_model *model, bsnn_model_info *out);
/* The model's normalization: bsnn_norm into *out_norm, its momentum and epsilon into
 * the optional (NULL: skipped) doubles. Errors: INVALID_ARGUMENT (NULL model or out_norm).
 * Thread-safe. Added in ABI 3 (0.2). */
BSNN_API bsnn_status bsnn_model_normalization(const bsnn_model *model, int32_t *out_norm, double *out_momentum,
                                              double *out_epsilon);
/* Number of trainable floats (γ and β of normalized layers included). Since 0.1. */
BSNN_API bsnn_status bsnn_model_parameter_count(const bsnn_model *model, size_t *out);
/* Layer `layer` (0 = input layer ... depth+1 = output layer) is outputs × inputs. Since 0.1. */
BSNN_API bsnn_status bsnn_model_layer_shape(const bsnn_model *model, size_t layer, size_t *out_outputs,
                                            size_t *out_inputs);
/* Copies the layer's stored weights (V for row-normalized layers; row-major, exactly
 * outputs × inputs floats) into `buffer`. Errors: INVALID_ARGUMENT, SHAPE_MISMATCH. Since 0.1. */
BSNN_API bsnn_status bsnn_model_get_weights(const bsnn_model *model, size_t layer, float *buffer,
                                            size_t count);
/* Replaces the layer's stored weights from `values` (exactly outputs × inputs finite
 * floats; for row-normalized layers every row with a non-zero, finite norm). All
 * checks precede any write: on failure the layer is bit-identical to before. Errors:
 * SHAPE_MISMATCH, NUMERIC (naming the value or row), WRONG_STATE while the network is
 * being trained. Since 0.1. */
BSNN_API bsnn_status bsnn_model_set_weights(bsnn_model *model, size_t layer, const float *values,
                                            size_t count);
/* Copies the layer's bias (exactly `outputs` floats). Errors: WRONG_STATE without biases. Since 0.1. */
BSNN_API bsnn_status bsnn_model_get_bias(const bsnn_model *model, size_t layer, float *buffer, size_t count);
/* Copies the weight the layer applies (W = diag(1/‖vᵢ‖)·V for row-normalized layers, the
 * stored weight otherwise; row-major, exactly outputs × inputs floats) into `buffer`.
 * Errors: INVALID_ARGUMENT, SHAPE_MISMATCH. Since 0.1. */
BSNN_API bsnn_status bsnn_model_get_effective_weights(const bsnn_model *model, size_t layer, float *buffer,
                                                      size_t count);
/* A new handle (caller frees with bsnn_activation_free) of the activation the model's
 * hidden layers apply: scale·φ+shift as trained, its root reported by
 * bsnn_activation_root. Errors: INVALID_ARGUMENT. Since 0.1. */
BSNN_API bsnn_status bsnn_model_activation(const bsnn_model *model, bsnn_activation **out);
/* Replaces the layer's bias (exactly `outputs` finite floats). Errors: WRONG_STATE
 * without biases or while the network is being trained. Since 0.1. */
BSNN_API bsnn_status bsnn_model_set_bias(bsnn_model *model, size_t layer, const float *values, size_t count);
/* Logits for `count` samples: `features` holds count × inputs floats (features_count),
 * `output` receives count × outputs floats (output_count). Safe from several threads
 * at once on one model while nothing trains it; each call uses its own two buffers of
 * min(count, 256) × max(width, outputs) floats, never a training workspace. Since 0.1. */
BSNN_API bsnn_status bsnn_model_predict(const bsnn_model *model, const float *features, size_t features_count,
                                        size_t count, float *output, size_t output_count);
/* Mean loss and accuracy over `data`. Errors: SHAPE_MISMATCH (feature/class counts).
 * Like predict, it needs only two chunk-sized buffers. Since 0.1. */
BSNN_API bsnn_status bsnn_model_evaluate(const bsnn_model *model, const bsnn_dataset *data, bsnn_loss loss,
                                         bsnn_evaluation *out);
/* The feature scaling the model records (from its config or its file), as
 * bsnn_dataset_scaling does with count = inputs. Since ABI 2. */
BSNN_API bsnn_status bsnn_model_scaling(const bsnn_model *model, int32_t *out_method, float *offsets, float *scales,
                                        size_t count);
/* The model's residual and dropout settings as bsnn_model_config holds them (from its
 * config or its file): residual 0/1, residual_scale (NaN = learnable), dropout. Any out
 * pointer may be NULL. Added in ABI 3 (0.2). */
BSNN_API bsnn_status bsnn_model_get_regularization(const bsnn_model *model, int32_t *out_residual,
                                                   double *out_residual_scale, double *out_dropout);
/* The residual scale α of layer `layer` (1...depth of a model with residual links) as
 * trained (learnable) or configured (fixed). Errors: INVALID_ARGUMENT (layer),
 * WRONG_STATE for a layer without a residual link. Added in ABI 3 (0.2). */
BSNN_API bsnn_status bsnn_model_get_residual_scale(const bsnn_model *model, size_t layer, float *out);
/* Frees the training workspaces cached on the network (each layer's input and
 * activation derivative for the batch size). bsnn_trainer_fit and
 * bsnn_trainer_fit_arrays free them when they return; a loop of bsnn_trainer_step keeps
 * them (steps then allocate nothing) until this call; the next step allocates them
 * again. Errors: WRONG_STATE while the network is being trained. Since ABI 3. */
BSNN_API bsnn_status bsnn_model_release_workspace(bsnn_model *model);
/* Writes the model (safetensors + metadata) atomically to `path`. Errors: IO. Since 0.1. */
BSNN_API bsnn_status bsnn_model_save(const bsnn_model *model, const char *path);
/* Flags of bsnn_model_load / bsnn_checkpoint_load, OR-ed together (0: the safe default). */
typedef enum bsnn_load_flags {
    BSNN_LOAD_ALLOW_PLUGINS = 1, /* re-load plugin/foreign activations: runs code from the paths the file names */
    BSNN_LOAD_UNVERIFIED = 2     /* accept a file without a bsnn checksum (another tool's or bsnn 0.1's) */
} bsnn_load_flags;

/* Loads a model file (must be a regular file). `flags`: bsnn_load_flags bits, others give
 * INVALID_ARGUMENT. Errors: IO, FORMAT (any damaged file, naming the key; no checksum and
 * no UNVERIFIED), PLUGIN (plugin activation without ALLOW_PLUGINS). Since 0.1. */
BSNN_API bsnn_status bsnn_model_load(const char *path, int32_t flags, bsnn_model **out);

/* ---------------------------------------------------------------- training */

typedef enum bsnn_optimizer {
    BSNN_OPTIMIZER_SGD = 0,
    BSNN_OPTIMIZER_MOMENTUM = 1, /* default */
    BSNN_OPTIMIZER_NESTEROV = 2,
    BSNN_OPTIMIZER_ADAM = 3,
    /* v = beta2*v + (1-beta2)*g^2; p -= lr*g/(sqrt(v)+epsilon). Reuses beta2 (default
     * 0.999; PyTorch's alpha is 0.99) and epsilon. Added in ABI 3. */
    BSNN_OPTIMIZER_RMSPROP = 4,
    /* v += g^2; p -= lr*g/(sqrt(v)+epsilon). Reuses epsilon (default 1e-8; PyTorch's is
     * 1e-10). Added in ABI 3. */
    BSNN_OPTIMIZER_ADAGRAD = 5
} bsnn_optimizer;

typedef enum bsnn_schedule {
    BSNN_SCHEDULE_CONSTANT = 0, /* default */
    BSNN_SCHEDULE_STEP = 1,     /* × schedule_factor every schedule_steps steps */
    BSNN_SCHEDULE_COSINE = 2    /* half-cosine to schedule_factor over schedule_steps */
} bsnn_schedule;

typedef enum bsnn_update_mode {
    BSNN_UPDATE_CHECKED = 0, /* default: a diverging step never changes the model */
    BSNN_UPDATE_FUSED = 1    /* faster; see the engine's UpdateMode */
} bsnn_update_mode;

/* What early stopping watches after each epoch. Added in ABI 3 (0.2). */
typedef enum bsnn_monitor {
    BSNN_MONITOR_VALIDATION_LOSS = 0,    /* default; an improvement is a lower loss */
    BSNN_MONITOR_VALIDATION_ACCURACY = 1 /* an improvement is a higher accuracy */
} bsnn_monitor;

typedef struct bsnn_training_config {
    size_t size;          /* sizeof(bsnn_training_config) */
    size_t batch_size;    /* default 64 */
    int32_t loss;         /* bsnn_loss; default CROSS_ENTROPY */
    int32_t optimizer;    /* bsnn_optimizer; default MOMENTUM */
    double learning_rate; /* default 0.01 */
    double momentum;      /* default 0.9 */
    double beta1, beta2, epsilon; /* Adam; defaults 0.9, 0.999, 1e-8 (RMSProp: beta2,
                                   * epsilon; AdaGrad: epsilon) */
    double weight_decay;  /* decoupled; default 0 */
    int32_t schedule;     /* bsnn_schedule; default CONSTANT */
    size_t schedule_steps;
    double schedule_factor;
    uint64_t seed;        /* shuffling seed; default 0 */
    int32_t shuffle;      /* default 1 */
    int32_t update_mode;  /* bsnn_update_mode; default CHECKED */
    /* Added in ABI 3 (0.2). Global L2 norm bound on all parameters' gradients (every
     * weight gradient as the optimizer sees it, every bias): above it every gradient is
     * scaled by exactly clip_grad_norm/norm before the optimizer. 0 (default): off;
     * negative or non-finite: INVALID_ARGUMENT. With it on, FUSED steps run the CHECKED
     * two-pass path (the norm is needed before any layer is updated). */
    double clip_grad_norm;
    /* Added in ABI 3 (0.2). Early stopping: fit stops after this many epochs in a row
     * without improvement of `early_stopping_monitor` (by more than
     * `early_stopping_min_delta`, >= 0) and restores the parameters of the best epoch.
     * 0 (default): off. Needs a validation set (fit without one: INVALID_ARGUMENT). The
     * rule is saved in checkpoints; the best-so-far is not (a resumed fit starts afresh). */
    size_t early_stopping_patience;
    int32_t early_stopping_monitor;   /* bsnn_monitor; default VALIDATION_LOSS */
    double early_stopping_min_delta;  /* default 0 */
    /* Added in ABI 3 (0.2). Record per-layer signal statistics every this many optimizer
     * steps (global steps 0, N, 2N, …; bsnn_trainer_monitor_*); 0 (default): off, no
     * cost. Weights are bit-identical with it on or off; not saved in checkpoints. */
    size_t monitor_every;
} bsnn_training_config;

/* What the training monitor records per activated layer l (0…depth), on the step's batch
 * before its update (definitions in docs/MONITOR.md). */
typedef enum bsnn_signal {
    BSNN_SIGNAL_X_NORM = 0,     /* mean ‖x⁽ˡ⁺¹⁾‖/√width, the layer's output */
    BSNN_SIGNAL_Y_NORM = 1,     /* mean ‖∂E/∂h⁽ˡ⁾‖ */
    BSNN_SIGNAL_GRAD_NORM = 2,  /* ‖∂E/∂W⁽ˡ⁾‖_F of the minibatch */
    BSNN_SIGNAL_DERIV_MEAN = 3, /* mean of a·φ'(h) */
    BSNN_SIGNAL_DERIV_STD = 4,  /* standard deviation of a·φ'(h) */
    BSNN_SIGNAL_SATURATED = 5,  /* fraction of units with |a·φ'(h)| < 0.01 */
    BSNN_SIGNAL_COSINE = 6      /* mean cosine similarity between the batch's samples */
} bsnn_signal;

/* Why a monitor record counts as a signal collapse (docs/MONITOR.md). */
typedef enum bsnn_collapse {
    BSNN_COLLAPSE_NONE = 0,
    BSNN_COLLAPSE_NON_FINITE = 1,     /* a norm or gate statistic is NaN/Inf; value: the layer */
    BSNN_COLLAPSE_GRADIENT_RATIO = 2, /* max/min of ‖∂E/∂W‖ over layers > 1e4; value: the ratio */
    BSNN_COLLAPSE_SIMILARITY = 3      /* last hidden layer's cosine similarity > 0.999; value: it */
} bsnn_collapse;

typedef enum bsnn_phase { BSNN_PHASE_STEP = 0, BSNN_PHASE_EPOCH_END = 1 } bsnn_phase;

/* What a progress callback sees; valid only during the callback. */
typedef struct bsnn_progress {
    size_t size; /* sizeof(bsnn_progress) of the library; fields may be appended */
    int32_t phase; /* bsnn_phase */
    size_t epoch, epochs, step_in_epoch, steps_per_epoch, global_step;
    double loss, accuracy; /* last batch (STEP) or epoch means (EPOCH_END) */
    double samples_per_second;
    int32_t has_validation; /* EPOCH_END with a validation set */
    double validation_loss, validation_accuracy;
    /* Added in ABI 3 (0.2): the step's global gradient norm before clipping (STEP with
     * clip_grad_norm on; NaN otherwise) and whether that step clipped (0/1). */
    double gradient_norm;
    int32_t gradient_clipped;
} bsnn_progress;

/* Called on the thread that called fit after every step and every epoch; return
 * non-zero to cancel (fit then returns BSNN_E_CANCELLED, the model keeps the weights
 * after that step). Must not use the trainer or its model. */
typedef int (*bsnn_progress_fn)(const bsnn_progress *progress, void *user_data);

typedef struct bsnn_step_result {
    double loss;
    size_t correct, count;
} bsnn_step_result;

typedef struct bsnn_trainer_state {
    size_t epoch;         /* epochs completed */
    size_t step_in_epoch; /* steps done in the current epoch */
    size_t global_step;   /* optimizer steps */
} bsnn_trainer_state;

/* Fills the first `size` bytes of `config` (pass sizeof *config) with defaults and sets
 * config->size = size. Errors: INVALID_ARGUMENT (NULL, size out of range). Since 0.1
 * (size argument and status since ABI 2). */
BSNN_API bsnn_status bsnn_training_config_init_defaults(bsnn_training_config *config, size_t size);
/* Writes the preset `name` ("paper": the paper's SGD, momentum 0.5, lr 1e-4; "deep":
 * residual links with α = 1/sqrt(depth), Adam lr 1e-3, no clipping; values in bsnn train --help) for a
 * net of `depth` square hidden layers into `model` (residual, residual_scale) and
 * `training` (optimizer, learning_rate, momentum, clip_grad_norm); other fields are kept,
 * so fields set afterwards override the preset. Both structs must come from
 * *_init_defaults and hold the ABI 3 fields; either may be NULL. Errors: INVALID_ARGUMENT
 * (unknown name, NULL name, size), nothing written then. Reentrant. Added in ABI 3 (0.2). */
BSNN_API bsnn_status bsnn_recipe_apply(const char *name, size_t depth, bsnn_model_config *model,
                                       bsnn_training_config *training);
/* A trainer for `model` (which it references: the model handle may be freed first and
 * the network stays alive while the trainer does; training changes what every handle to
 * that network predicts). `config` NULL means defaults. Since 0.1. */
BSNN_API bsnn_status bsnn_trainer_create(bsnn_model *model, const bsnn_training_config *config,
                                         bsnn_trainer **out);
/* NULL: no-op. Since 0.1. */
BSNN_API void bsnn_trainer_free(bsnn_trainer *trainer);
/* Replaces hyper-parameters (the optimizer kind cannot change after the first step:
 * WRONG_STATE). Since 0.1. */
BSNN_API bsnn_status bsnn_trainer_set_config(bsnn_trainer *trainer, const bsnn_training_config *config);
/* A new handle to the trainer's network (free it with bsnn_model_free). Since 0.1. */
BSNN_API bsnn_status bsnn_trainer_model(const bsnn_trainer *trainer, bsnn_model **out);
/* Epoch / step counters (restored by bsnn_checkpoint_load). Since 0.1. */
BSNN_API bsnn_status bsnn_trainer_state_get(const bsnn_trainer *trainer, bsnn_trainer_state *out);
/* The global gradient norm before clipping of the trainer's last step and whether it
 * clipped (either pointer may be NULL). *out_norm is NaN when clipping was off for that
 * step (the norm is not measured then) or no step has run. Call from the thread that
 * trains (between steps, or from its progress callback). Added in ABI 3 (0.2). */
BSNN_API bsnn_status bsnn_trainer_last_gradient_norm(const bsnn_trainer *trainer, double *out_norm,
                                                     int32_t *out_clipped);
/* What early stopping did in the trainer's last fit: the best epoch (0-based), whose
 * parameters the model now holds, its monitored value, and whether fit stopped before
 * its last epoch (any pointer may be NULL). Errors: WRONG_STATE when the last fit ran
 * without early stopping or did not complete, or no fit ran. Call from the thread that
 * trains. Added in ABI 3 (0.2). */
BSNN_API bsnn_status bsnn_trainer_early_stopping_result(const bsnn_trainer *trainer, size_t *out_best_epoch,
                                                        double *out_best_value, int32_t *out_stopped_early);
/* The monitor's record count and values per record (depth + 1 layers); either pointer may
 * be NULL. Errors: WRONG_STATE when monitor_every is 0. Call between steps (or from the
 * progress callback) on the thread that trains. Added in ABI 3 (0.2). */
BSNN_API bsnn_status bsnn_trainer_monitor_count(const bsnn_trainer *trainer, size_t *out_records,
                                                size_t *out_layers);
/* Copies quantity `signal` of record `record` (0-based) for every layer into `out`
 * (out_count >= layers doubles) and its global step into `out_step` (may be NULL).
 * Errors: WRONG_STATE (monitor off), INVALID_ARGUMENT (record or signal out of range, out
 * NULL), SHAPE_MISMATCH (out_count < layers); nothing written then. Same thread rule as
 * above. Added in ABI 3 (0.2). */
BSNN_API bsnn_status bsnn_trainer_monitor_values(const bsnn_trainer *trainer, size_t record, int32_t signal,
                                                 double *out, size_t out_count, size_t *out_step);
/* Record `record`'s collapse verdict (bsnn_collapse) and its value; `out_value` may be
 * NULL. Errors as bsnn_trainer_monitor_values. Added in ABI 3 (0.2). */
BSNN_API bsnn_status bsnn_trainer_monitor_collapse(const bsnn_trainer *trainer, size_t record,
                                                   int32_t *out_collapse, double *out_value);
/* Drops the monitor's records (storage kept). Errors: WRONG_STATE (monitor off). Added in
 * ABI 3 (0.2). */
BSNN_API bsnn_status bsnn_trainer_monitor_clear(bsnn_trainer *trainer);
/* One optimizer step on `count` samples: `features` count × inputs floats
 * (features_count), `labels` count classes. `out` may be NULL. Errors: NUMERIC (NaN
 * data or divergence: the model keeps its last good weights), SHAPE_MISMATCH. Since 0.1. */
BSNN_API bsnn_status bsnn_trainer_step(bsnn_trainer *trainer, const float *features, size_t features_count,
                                       const int32_t *labels, size_t count, bsnn_step_result *out);
/* Trains on `data` until `epochs` epochs are completed in total (the trainer's epoch
 * counter, restored by bsnn_checkpoint_load, counts; a part-done epoch is finished
 * first), evaluating `validation` (may be NULL) after each; `progress` may be NULL.
 * With early stopping on it may return BSNN_OK earlier, holding the best epoch's
 * parameters (bsnn_trainer_early_stopping_result). Errors: WRONG_STATE (epochs <=
 * epochs already completed), CANCELLED, NUMERIC, SHAPE_MISMATCH, INVALID_ARGUMENT
 * (early stopping without `validation`). Since 0.1 (`epochs` is the total since ABI 2). */
BSNN_API bsnn_status bsnn_trainer_fit(bsnn_trainer *trainer, const bsnn_dataset *data,
                                      const bsnn_dataset *validation, size_t epochs,
                                      bsnn_progress_fn progress, void *user_data);
/* bsnn_trainer_fit on the caller's arrays, read in place (each minibatch is gathered
 * through the shuffled indices; nothing is copied as a whole): `count` samples of
 * `features` (features_count = count × inputs) with `labels` in 0..outputs-1, and an
 * optional validation set the same way (both validation pointers NULL: none). Same
 * results, bit for bit, as bsnn_trainer_fit on a bsnn_dataset of these samples.
 * Lifetime: every buffer is borrowed for the call only and must stay valid and
 * unchanged until it returns (the progress callback must not write to it). Errors as
 * bsnn_trainer_fit, and SHAPE_MISMATCH / INVALID_ARGUMENT (labels out of range) / NUMERIC
 * (a NaN or infinite feature, naming its sample) before any step. Since 0.1 (validation arrays and no copy since ABI 3). */
BSNN_API bsnn_status bsnn_trainer_fit_arrays(bsnn_trainer *trainer, const float *features,
                                             size_t features_count, const int32_t *labels, size_t count,
                                             const float *validation_features, size_t validation_features_count,
                                             const int32_t *validation_labels, size_t validation_count,
                                             size_t epochs, bsnn_progress_fn progress, void *user_data);
/* ---------------------------------------------------------------- data-parallel training
 * N processes, each with a trainer over the same model (same seed or checkpoint), train
 * one network as one process with the same batch_size would: every step sums each
 * layer's gradient over the processes through the callbacks below (include/bsnn_mpi.h
 * implements them with MPI), and no process changes a weight unless every process's
 * step succeeded. docs/DISTRIBUTED.md has the protocol and its guarantees. */

/* A process's view of its step, as exchanged before anyone applies it: the maximum over
 * the processes decides for all. Added in ABI 3 (0.2). */
typedef enum bsnn_step_status {
    BSNN_STEP_OK = 0,         /* gradients formed and finite */
    BSNN_STEP_NON_FINITE = 1, /* NaN/Inf logits, loss or gradient: every process skips (NUMERIC) */
    BSNN_STEP_FAILED = 2      /* another error: every other process skips (WRONG_STATE) */
} bsnn_step_status;

/* The collective, called on the training thread. Per step: `start` once per bucket
 * (bucket ids depth+1 down to 0 for the layers, as the backward pass forms them, then
 * depth+2 for the step totals), then `agree` once, then `finish` for every bucket in
 * the same order. `start` begins summing `count` floats at `buffer` over all processes
 * in place (it may return before the sum is done; the buffer is untouched until
 * `finish` returns); `finish` waits for that sum; `agree` stores the maximum of every
 * process's `status` in `*agreed`; `all_match_rank_zero` stores 1 in `*all_match` when
 * every process passed the value process 0 passed, else 0, on every process. Each
 * returns 0, or non-zero on failure (the step or call then fails with BSNN_E_IO and the
 * run should end: the other processes cannot be told). Added in ABI 3 (0.2). */
typedef struct bsnn_gradient_exchange {
    size_t size;           /* sizeof(bsnn_gradient_exchange) */
    int32_t process_count; /* >= 1 */
    int32_t rank;          /* 0 .. process_count-1: this process's slice of every global batch */
    void *user_data;       /* passed to every callback; must outlive its use by the trainer */
    int (*start)(void *user_data, int32_t bucket, float *buffer, size_t count);
    int (*finish)(void *user_data, int32_t bucket);
    int (*agree)(void *user_data, int32_t status, int32_t *agreed);
    int (*all_match_rank_zero)(void *user_data, uint64_t value, int32_t *all_match);
} bsnn_gradient_exchange;

/* Makes `trainer` one process of a data-parallel run (`exchange` is copied; NULL returns
 * to single-process training). A collective call: every process makes it at the same
 * point and it verifies, through all_match_rank_zero, that every process holds the same
 * weights, optimizer state, position and configuration. batch_size is then the global
 * batch: bsnn_trainer_fit trains on slice `rank` (batch_size / process_count samples) of
 * every global batch (same shuffled order everywhere; every process passes the whole
 * data set), so a checkpoint resumes on any process count that divides batch_size; every
 * step reports the global batch's loss and counts (a fit whose data differ from process
 * 0's fails with INVALID_ARGUMENT on every process). Errors: INVALID_ARGUMENT (rank out
 * of range, batch_size not a multiple of process_count, monitor_every > 0, a process
 * that differs from process 0), IO (a callback failed), WRONG_STATE (the model is being
 * trained). Added in ABI 3 (0.2). */
BSNN_API bsnn_status bsnn_trainer_set_gradient_exchange(bsnn_trainer *trainer,
                                                        const bsnn_gradient_exchange *exchange);
/* Writes model + optimizer state + position atomically to `path`. Errors: IO. Since 0.1. */
BSNN_API bsnn_status bsnn_checkpoint_save(const bsnn_trainer *trainer, const char *path);
/* Resumes from a checkpoint: a new trainer (with its own model; get it with
 * bsnn_trainer_model). `flags` and errors as in bsnn_model_load. Since 0.1. */
BSNN_API bsnn_status bsnn_checkpoint_load(const char *path, int32_t flags, bsnn_trainer **out);

/* ---------------------------------------------------------------- in-memory files */

/* The exact bytes bsnn_model_save would write, in a new buffer the caller owns and
 * releases with bsnn_buffer_free; *out_size is its length. Errors: WRONG_STATE
 * (closure activation), OUT_OF_MEMORY. Thread-safe while nothing trains the model. Since ABI 2. */
BSNN_API bsnn_status bsnn_model_save_buffer(const bsnn_model *model, void **out_data, size_t *out_size);
/* bsnn_model_load from `size` bytes at `data` (copied; the caller keeps them): the same
 * checksum, validation, `flags` and errors. Since ABI 2. */
BSNN_API bsnn_status bsnn_model_load_buffer(const void *data, size_t size, int32_t flags, bsnn_model **out);
/* The exact bytes bsnn_checkpoint_save would write (model, optimizer state, position),
 * in a new buffer released with bsnn_buffer_free. Not while the trainer trains. Since ABI 2. */
BSNN_API bsnn_status bsnn_checkpoint_save_buffer(const bsnn_trainer *trainer, void **out_data, size_t *out_size);
/* bsnn_checkpoint_load from `size` bytes at `data` (copied): a new trainer with its own
 * model; `flags` and errors as in bsnn_model_load. Since ABI 2. */
BSNN_API bsnn_status bsnn_checkpoint_load_buffer(const void *data, size_t size, int32_t flags, bsnn_trainer **out);
/* Releases a buffer returned by a *_save_buffer call; NULL: no-op. Since ABI 2. */
BSNN_API void bsnn_buffer_free(void *data);

/* ---------------------------------------------------------------- signal probe */

typedef enum bsnn_upstream {
    BSNN_UPSTREAM_GAUSSIAN = 0, /* ∂E/∂x at the top ~ N(0,1) with `seed` (default) */
    BSNN_UPSTREAM_LABELS = 1    /* the gradient of `loss` at `labels` */
} bsnn_upstream;

typedef struct bsnn_probe_config {
    size_t size; /* sizeof(bsnn_probe_config) */
    int32_t upstream; /* bsnn_upstream */
    uint64_t seed;
    const int32_t *labels; /* BSNN_UPSTREAM_LABELS: one per sample (borrowed for the call) */
    size_t label_count;
    int32_t loss;          /* bsnn_loss; default CROSS_ENTROPY */
    size_t histogram_bins; /* default 60 */
} bsnn_probe_config;

typedef enum bsnn_probe_array {
    BSNN_PROBE_FORWARD_NORMS = 0,   /* depth + 2 values: ‖x⁽ˡ⁾‖/√d */
    BSNN_PROBE_BACKWARD_NORMS = 1,  /* depth + 1 values: ‖∂E/∂h⁽ˡ⁾‖ */
    BSNN_PROBE_WEIGHT_GRADIENT_NORMS = 2,       /* depth + 1, per-sample mean */
    BSNN_PROBE_BATCH_WEIGHT_GRADIENT_NORMS = 3, /* depth + 1, minibatch gradient */
    BSNN_PROBE_DERIVATIVE_HISTOGRAM = 4,        /* histogram_bins counts of a·φ'(h) */
    /* Added in ABI 3 (0.2): depth + 1 values ‖∂E/∂x⁽ˡ⁾‖/√width for l = 1 … depth + 1, the
     * backward signal residual links carry (in a residual net ∂E/∂h⁽ˡ⁾ carries α) */
    BSNN_PROBE_INPUT_GRADIENT_NORMS = 5
} bsnn_probe_array;

/* Fills the first `size` bytes of `config` (pass sizeof *config) with defaults and sets
 * config->size = size. Errors: INVALID_ARGUMENT (NULL, size out of range). Since 0.1
 * (size argument and status since ABI 2). */
BSNN_API bsnn_status bsnn_probe_config_init_defaults(bsnn_probe_config *config, size_t size);
/* Runs forward + backward on `count` samples (features_count = count × inputs) without
 * changing weights; `config` NULL means defaults. Free the result with bsnn_probe_free. Since 0.1. */
BSNN_API bsnn_status bsnn_probe_run(const bsnn_model *model, const float *features, size_t features_count,
                                    size_t count, const bsnn_probe_config *config, bsnn_probe **out);
/* NULL: no-op. Since 0.1. */
BSNN_API void bsnn_probe_free(bsnn_probe *probe);
/* Copies array `which` into `buffer` (capacity doubles) and sets *out_count to its
 * length; buffer NULL with capacity 0 only queries the length. Since 0.1. */
BSNN_API bsnn_status bsnn_probe_get(const bsnn_probe *probe, bsnn_probe_array which, double *buffer,
                                    size_t capacity, size_t *out_count);
/* The derivative histogram's range [lower, upper). Since 0.1. */
BSNN_API bsnn_status bsnn_probe_histogram_range(const bsnn_probe *probe, double *out_lower,
                                                double *out_upper);

/* ---------------------------------------------------------------- BLAS */

/* Sets the process-wide number of threads per matrix product (1...4096), shared with
 * anything else in the process using the same OpenBLAS. With 2 or more, each trainer
 * also starts one helper thread (on its first step, parked while idle, joined by
 * bsnn_trainer_free) that updates half of each large layer's weights; results are the
 * same bits as without it. Not while other threads train. Errors: INVALID_ARGUMENT
 * outside 1...4096. Since 0.1. */
BSNN_API bsnn_status bsnn_blas_set_threads(size_t threads);
/* The current number of BLAS threads, as OpenBLAS reports it (reading changes
 * nothing). Since 0.1. */
BSNN_API size_t bsnn_blas_threads(void);

#ifdef __cplusplus
}
#endif

#endif /* BSNN_H */
