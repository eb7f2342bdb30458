/* cnn.h — gst-cnn core: load an ONNX image classifier and run it on the CPU.
 *
 *     cnn_model *model;
 *     cnn_error err;
 *     if (cnn_model_load_file ("mobilenetv2.onnx", NULL, &model, &err) != CNN_STATUS_OK) {
 *       fprintf (stderr, "%s\n", err.message);
 *       return 1;
 *     }
 *     int64_t dims[4] = { 1, 3, 224, 224 };
 *     cnn_model_set_input_shape (model, 0, 4, dims, &err);  // only needed for dynamic dims
 *     cnn_model_prepare (model, &err);       // shapes, folding, fusion, weight packing, memory plan
 *     const void *inputs[1] = { image };     // float32 NCHW, caller-owned
 *     void *outputs[1] = { scores };         // caller-owned, sized from cnn_model_output_info
 *     cnn_model_run (model, inputs, outputs, &err);
 *     cnn_model_destroy (model);
 *
 * Lifecycle: load (parse and check) → set_input_shape (optional) → prepare (everything that
 * depends on shapes; may be called again after new input shapes) → run (any number of times,
 * allocates nothing) → destroy. A model runs one inference at a time: use one cnn_model per
 * thread that runs concurrently.
 *
 * Every fallible call returns a cnn_status (CNN_STATUS_OK = 0) and, when `err` is not NULL,
 * fills err->message with a sentence naming the file, node and op involved. Out-parameters are
 * written only on success. Nothing here exits or aborts on bad input.
 */
#ifndef CNN_CNN_H
#define CNN_CNN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(CNN_BUILDING_LIBRARY) && defined(__GNUC__)
#define CNN_API __attribute__ ((visibility ("default")))
#else
#define CNN_API
#endif

#define CNN_MAX_RANK 8
#define CNN_MAX_THREADS 256

typedef enum cnn_status {
  CNN_STATUS_OK = 0,
  CNN_STATUS_INVALID_ARGUMENT,  /* a caller passed something impossible */
  CNN_STATUS_IO_ERROR,          /* file could not be read */
  CNN_STATUS_PARSE_ERROR,       /* bytes are not a valid ONNX protobuf */
  CNN_STATUS_INVALID_MODEL,     /* protobuf is fine but the graph is inconsistent */
  CNN_STATUS_UNSUPPORTED,       /* valid ONNX we do not implement (op, attribute, type) */
  CNN_STATUS_SHAPE_MISMATCH,    /* input shape does not fit the model */
  CNN_STATUS_LIMIT_EXCEEDED,    /* model asks for more than the configured limits */
  CNN_STATUS_OUT_OF_MEMORY,
  CNN_STATUS_NOT_PREPARED,      /* run or query before cnn_model_prepare */
  CNN_STATUS_COUNT
} cnn_status;

typedef struct cnn_error {
  char message[512];
} cnn_error;

/* A short constant name for a status, e.g. "unsupported". */
CNN_API const char *cnn_status_string (cnn_status status);

typedef enum cnn_dtype {
  CNN_DTYPE_UNDEFINED = 0,
  CNN_DTYPE_FLOAT32,
  CNN_DTYPE_INT64,
  CNN_DTYPE_INT32,
  CNN_DTYPE_BOOL,
  CNN_DTYPE_UINT8,              /* images fed raw (0-255), cast to float inside the model */
  CNN_DTYPE_COUNT
} cnn_dtype;

CNN_API const char *cnn_dtype_string (cnn_dtype dtype);
CNN_API size_t cnn_dtype_size (cnn_dtype dtype);
/* The ONNX op types the library runs (default domain): index 0, 1, … until NULL. */
CNN_API const char *cnn_op_name (size_t index);

/* What this process computes on, for benchmarks and bug reports (static strings): the CPU —
 * brand, family/model, the instruction sets the kernels use — and the kernels OpenBLAS runs
 * (this loads OpenBLAS if nothing has yet; "not loaded" if it cannot be found). */
CNN_API const char *cnn_cpu_description (void);
CNN_API const char *cnn_blas_core (void);

/* Writes dims as "[1,3,224,224]", with "?" for a dynamic (-1) dim and "[unknown]" for rank -1. */
CNN_API void cnn_format_dims (char *buf, size_t size, int rank, const int64_t *dims);

/* How convolutions multiply. BF16: weights and inputs rounded to bfloat16 (8 significant
 * bits), products summed in fp32 (AVX512_BF16's vdpbf16ps); bias, residuals, activations and
 * every other op stay fp32. On CPUs without AVX512_BF16 the model runs in fp32:
 * cnn_model_precision says what runs. */
typedef enum cnn_precision {
  CNN_PRECISION_FP32 = 0,
  CNN_PRECISION_BF16,
  CNN_PRECISION_COUNT
} cnn_precision;

typedef struct cnn_options {
  int threads;                  /* worker threads, 0 to CNN_MAX_THREADS; 0 = number of CPUs */
  uint64_t max_memory_bytes;    /* cap on weights + activations; 0 = default (4 GiB) */
  uint64_t max_file_bytes;      /* cap on the model file size; 0 = default (2 GiB) */
  cnn_precision precision;      /* default CNN_PRECISION_FP32 */
} cnn_options;

CNN_API cnn_options cnn_options_default (void);

typedef struct cnn_model cnn_model;

/* Loading parses and checks the graph; `options` may be NULL for defaults. */
CNN_API cnn_status cnn_model_load_file (const char *path, const cnn_options *options,
    cnn_model **model, cnn_error *err);
/* `name` is used in messages (e.g. the original file name); the bytes are copied. */
CNN_API cnn_status cnn_model_load_memory (const void *data, size_t size, const char *name,
    const cnn_options *options, cnn_model **model, cnn_error *err);
CNN_API void cnn_model_destroy (cnn_model *model);

typedef struct cnn_tensor_info {
  const char *name;
  cnn_dtype dtype;
  int rank;
  int64_t dims[CNN_MAX_RANK];           /* -1 where still dynamic */
  const char *dim_names[CNN_MAX_RANK];  /* symbolic name of a dynamic dim, else NULL */
} cnn_tensor_info;

/* Graph inputs exclude initializers. Output shapes are concrete after prepare. */
CNN_API size_t cnn_model_input_count (const cnn_model *model);
CNN_API size_t cnn_model_output_count (const cnn_model *model);
CNN_API cnn_status cnn_model_input_info (const cnn_model *model, size_t index,
    cnn_tensor_info *info);
CNN_API cnn_status cnn_model_output_info (const cnn_model *model, size_t index,
    cnn_tensor_info *info);

/* Fixes the shape of input `index` (dynamic dims, or a new size where the model allows it). */
CNN_API cnn_status cnn_model_set_input_shape (cnn_model *model, size_t index, int rank,
    const int64_t *dims, cnn_error *err);

/* Fixes the value of input `index` before prepare, for inputs that decide shapes (Reshape's
 * shape, Split's sizes, axes, pads given as graph inputs): prepare then folds what depends on
 * it, as if the file held it as a constant. dtype must be the input's; dims fix its shape as
 * cnn_model_set_input_shape does. The bytes are copied. Run uses the stored value
 * (inputs[index] may be NULL there); cnn_model_set_input_shape on the input forgets it. */
CNN_API cnn_status cnn_model_set_input_value (cnn_model *model, size_t index, cnn_dtype dtype,
    int rank, const int64_t *dims, const void *data, cnn_error *err);

/* Worker threads used by run (0: one per online CPU). A prepared model is planned again for
 * the new count and stays runnable; on failure it keeps its previous threads and plan. */
CNN_API cnn_status cnn_model_set_threads (cnn_model *model, int threads, cnn_error *err);
/* Worker threads run uses now (never 0); 0 for NULL. */
CNN_API int cnn_model_threads (const cnn_model *model);
/* The precision convolutions run in: what options.precision asked for, or FP32 where the CPU
 * cannot run BF16. */
CNN_API cnn_precision cnn_model_precision (const cnn_model *model);
/* "fp32", "bf16". */
CNN_API const char *cnn_precision_name (cnn_precision precision);

/* Shape inference, constant folding, graph optimisation, weight packing and memory planning. */
CNN_API cnn_status cnn_model_prepare (cnn_model *model, cnn_error *err);

/* inputs[i] / outputs[i] follow graph order; element types as reported by *_info. */
CNN_API cnn_status cnn_model_run (cnn_model *model, const void *const *inputs,
    void *const *outputs, cnn_error *err);

/* ONNX metadata_props value for `key`, or NULL. Strings live as long as the model. */
CNN_API const char *cnn_model_metadata (const cnn_model *model, const char *key);
/* All metadata_props in file order: index < count; key and value live as long as the model. */
CNN_API size_t cnn_model_metadata_count (const cnn_model *model);
CNN_API cnn_status cnn_model_metadata_entry (const cnn_model *model, size_t index,
    const char **key, const char **value);
/* The default-domain ONNX opset the model was written for (1 for files without one). */
CNN_API int64_t cnn_model_opset (const cnn_model *model);
/* The file name (or memory name) the model was loaded from. */
CNN_API const char *cnn_model_source (const cnn_model *model);

/* Per-layer report of the prepared graph (after fusion), for `cnn inspect` and profiling. */
typedef struct cnn_layer_info {
  const char *name;
  const char *op;               /* ONNX op type, with fused activation e.g. "Conv+Relu" */
  int rank;
  int64_t output_dims[CNN_MAX_RANK];
  uint64_t params;              /* weights and biases this layer owns */
  uint64_t macs;                /* multiply-accumulates per inference */
  int64_t receptive_field[2];   /* height, width in input pixels; 0 if not spatial */
  int64_t jump[2];              /* effective stride in input pixels */
  double time_ms;               /* accumulated run time while profiling, else 0 */
} cnn_layer_info;

CNN_API size_t cnn_model_layer_count (const cnn_model *model);
CNN_API cnn_status cnn_model_layer_info (const cnn_model *model, size_t index,
    cnn_layer_info *info);
/* Bytes of the activation arena planned by prepare (0 before). */
CNN_API uint64_t cnn_model_arena_bytes (const cnn_model *model);
/* Accumulate per-layer time in cnn_layer_info.time_ms during run. Resets the counters. */
CNN_API void cnn_model_set_profiling (cnn_model *model, bool enabled);

/* Class activation maps, for classifiers that end in a feature map A [1, K, H, W] → global
 * average pool → dense layer (Gemm/MatMul, then optionally Softmax), or in A with one
 * channel per class → the pool (SqueezeNet; w is then the identity): the map of class c is
 * M_c(y, x) = Σ_k w[c, k] · A_k(y, x), whose mean is the class's score minus its bias; it
 * shows where the class's evidence lies. Prepare finds the pattern and keeps A intact
 * through the run. Cell (y, x) covers input rows [y·Hin/H, (y+1)·Hin/H) and the columns
 * likewise.
 * cam_info: the map's size after prepare, or CNN_STATUS_UNSUPPORTED with a message saying
 * what the model lacks. cam: after a run, writes the H × W map of class_index (row-major). */
CNN_API cnn_status cnn_model_cam_info (const cnn_model *model, int *height, int *width,
    cnn_error *err);
CNN_API cnn_status cnn_model_cam (const cnn_model *model, int class_index, float *map,
    cnn_error *err);

/* ---- Builder: assemble a network in code, without ONNX ----------------------------------
 *
 *     cnn_builder *b = cnn_builder_create ("tiny");
 *     int x = cnn_builder_input (b, "input", 1, 28, 28);
 *     x = cnn_builder_conv (b, x, 8, 3, 3, 1, 1, 1, 1, weights, bias, CNN_ACTIVATION_RELU);
 *     x = cnn_builder_global_pool (b, x, CNN_POOL_AVERAGE);
 *     x = cnn_builder_dense (b, x, 10, dense_w, dense_b, CNN_ACTIVATION_NONE);
 *     cnn_builder_output (b, x, "logits");
 *     cnn_builder_finish (b, NULL, &model, &err);   // consumes b
 *
 * Layer calls return the new value id, or -1 after an error; the first error is reported by
 * cnn_builder_finish. Weights are copied.
 */
typedef enum cnn_activation {
  CNN_ACTIVATION_NONE = 0,
  CNN_ACTIVATION_RELU,
  CNN_ACTIVATION_RELU6,
  CNN_ACTIVATION_LEAKY_RELU,    /* alpha */
  CNN_ACTIVATION_ELU,           /* alpha */
  CNN_ACTIVATION_CLIP,          /* alpha = min, beta = max */
  CNN_ACTIVATION_SIGMOID,
  CNN_ACTIVATION_TANH,
  CNN_ACTIVATION_HARD_SIGMOID,  /* alpha, beta */
  CNN_ACTIVATION_HARD_SWISH,
  CNN_ACTIVATION_SILU,          /* x * sigmoid(x), also called Swish */
  CNN_ACTIVATION_COUNT
} cnn_activation;

typedef enum cnn_pool {
  CNN_POOL_MAX = 0,
  CNN_POOL_AVERAGE,
  CNN_POOL_SUM,
  CNN_POOL_COUNT
} cnn_pool;

typedef struct cnn_builder cnn_builder;

CNN_API cnn_builder *cnn_builder_create (const char *name);
CNN_API void cnn_builder_destroy (cnn_builder *builder);
/* An NCHW float input with batch 1. */
CNN_API int cnn_builder_input (cnn_builder *b, const char *name, int64_t channels,
    int64_t height, int64_t width);
/* weights: [out_channels][channels / groups][kernel_h][kernel_w]; bias may be NULL. */
CNN_API int cnn_builder_conv (cnn_builder *b, int x, int64_t out_channels, int64_t kernel_h,
    int64_t kernel_w, int64_t stride, int64_t pad, int64_t dilation, int64_t groups,
    const float *weights, const float *bias, cnn_activation activation);
/* kind is CNN_POOL_MAX or CNN_POOL_AVERAGE (average excludes padding). */
CNN_API int cnn_builder_pool (cnn_builder *b, int x, cnn_pool kind, int64_t kernel,
    int64_t stride, int64_t pad);
/* Reduces H and W to 1x1 and flattens to [1, C]. */
CNN_API int cnn_builder_global_pool (cnn_builder *b, int x, cnn_pool kind);
/* weights: [out_features][in_features] (in_features from x, flattened); bias may be NULL. */
CNN_API int cnn_builder_dense (cnn_builder *b, int x, int64_t out_features,
    const float *weights, const float *bias, cnn_activation activation);
/* alpha / beta as documented on cnn_activation; ignored where unused. */
CNN_API int cnn_builder_activation (cnn_builder *b, int x, cnn_activation activation,
    float alpha, float beta);
CNN_API int cnn_builder_softmax (cnn_builder *b, int x);
CNN_API int cnn_builder_add (cnn_builder *b, int x, int y);
CNN_API int cnn_builder_output (cnn_builder *b, int x, const char *name);
/* Consumes the builder (also on failure). `options` may be NULL. */
CNN_API cnn_status cnn_builder_finish (cnn_builder *b, const cnn_options *options,
    cnn_model **model, cnn_error *err);

#ifdef __cplusplus
}
#endif

#endif /* CNN_CNN_H */
