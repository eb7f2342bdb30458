/* fuzz-model.c — libFuzzer target: any byte string must load, prepare and run (or be refused
 * with a message) without crashing, hanging, leaking or tripping a sanitizer.
 *
 * Each input goes through the whole public lifecycle: load from memory under a 256 MiB memory
 * cap → give dynamic input dims small values → prepare → when the tensors are small enough to
 * run quickly, run once on deterministic inputs → for models with dynamic inputs, a second
 * shape, prepare and run again (re-prepare drops folded constants and plans anew) → destroy.
 * The API contract is checked too: every failure has a status in range and a message (a
 * silent refusal is a bug), a failed load writes no model, a prepared model has concrete
 * output shapes.
 *
 * Build with tests/fuzz/build-fuzzers.sh (clang, libFuzzer) or link replay-main.c instead of
 * libFuzzer to replay files under gcc's sanitizers.
 */
#include <cnn/cnn.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Keep one execution well under the fuzzer's per-input timeout. */
#define FUZZ_MAX_MEMORY (UINT64_C (256) << 20)
#define FUZZ_MAX_INPUT_ELEMENTS (UINT64_C (1) << 20)
#define FUZZ_MAX_OUTPUT_ELEMENTS (UINT64_C (1) << 24)
#define FUZZ_MAX_MACS (UINT64_C (1) << 24)

/* Dims given to dynamic inputs: first prepare, then re-prepare. */
static const int64_t fuzz_batch[2] = { 1, 2 };
static const int64_t fuzz_dim[2] = { 8, 5 };

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);
const char *__ubsan_default_options (void);

/* Any undefined behaviour is a finding, however the target is run (UBSAN_OPTIONS still
 * overrides): without this the combined ASan+UBSan runtime reports and carries on. */
const char *
__ubsan_default_options (void)
{
  return "halt_on_error=1:print_stacktrace=1";
}

/* A failure must say why: the library promises a message on every non-OK status. */
static void
fuzz_check_failure (const char *what, cnn_status status, const cnn_error *err)
{
  if (status <= CNN_STATUS_OK || status >= CNN_STATUS_COUNT) {
    fprintf (stderr, "fuzz-model: %s returned impossible status %d\n", what, (int) status);
    abort ();
  }
  if (err->message[0] == '\0') {
    fprintf (stderr, "fuzz-model: %s failed (%s) without a message\n", what,
        cnn_status_string (status));
    abort ();
  }
  if (memchr (err->message, '\0', sizeof err->message) == NULL) {
    fprintf (stderr, "fuzz-model: %s left an unterminated message\n", what);
    abort ();
  }
}

static bool
fuzz_elements (const cnn_tensor_info *info, uint64_t limit, uint64_t *count)
{
  uint64_t n = 1;

  if (info->rank < 0 || info->rank > CNN_MAX_RANK)
    return false;
  for (int d = 0; d < info->rank; d++) {
    if (info->dims[d] < 0)
      return false;
    if (info->dims[d] > 0 && n > limit / (uint64_t) info->dims[d])
      return false;
    n *= (uint64_t) info->dims[d];
  }
  if (n > limit)
    return false;
  *count = n;
  return true;
}

/* Small values that are valid indices and axes for most ops (Gather, Slice, Expand, ...). */
static void
fuzz_fill (void *buf, cnn_dtype dtype, uint64_t count)
{
  for (uint64_t i = 0; i < count; i++) {
    switch (dtype) {
      case CNN_DTYPE_FLOAT32:
        ((float *) buf)[i] = sinf ((float) i);
        break;
      case CNN_DTYPE_INT64:
        ((int64_t *) buf)[i] = (int64_t) (i % 2);
        break;
      case CNN_DTYPE_INT32:
        ((int32_t *) buf)[i] = (int32_t) (i % 2);
        break;
      case CNN_DTYPE_BOOL:
        ((uint8_t *) buf)[i] = (uint8_t) (i & 1);
        break;
      default:
        break;
    }
  }
}

/* Dynamic dims get small values (fuzz_batch / fuzz_dim [pass]); an input without a declared
 * shape gets [batch, 3, dim, dim]. A refusal is fine: prepare reports what is still missing.
 * Pass 0 records in `dynamic` (n_inputs * CNN_MAX_RANK) which dims were free, because
 * input_info reports the dims set since. Returns whether any input had a free dim. */
static bool
fuzz_fix_shapes (cnn_model *model, int pass, bool *dynamic)
{
  size_t n_inputs = cnn_model_input_count (model);
  bool any = false;

  for (size_t i = 0; i < n_inputs; i++) {
    cnn_tensor_info info;
    int64_t dims[CNN_MAX_RANK];
    bool *free_dim = dynamic + i * CNN_MAX_RANK;
    bool changed = false;
    cnn_error err = { { 0 } };
    cnn_status status;

    if (cnn_model_input_info (model, i, &info) != CNN_STATUS_OK)
      abort ();   /* index is in range: must succeed */
    if (info.rank > CNN_MAX_RANK) {
      fprintf (stderr, "fuzz-model: input %zu has rank %d\n", i, info.rank);
      abort ();
    }
    if (info.rank < 0) {
      info.rank = 4;
      for (int d = 0; d < 4; d++) {
        info.dims[d] = -1;
        free_dim[d] = d != 1;
      }
      info.dims[1] = 3;
    }
    for (int d = 0; d < info.rank; d++) {
      dims[d] = info.dims[d];
      if (pass == 0 && dims[d] < 0)
        free_dim[d] = true;
      if (free_dim[d]) {
        dims[d] = d == 0 ? fuzz_batch[pass] : fuzz_dim[pass];
        changed = true;
      }
    }
    if (!changed)
      continue;
    any = true;
    status = cnn_model_set_input_shape (model, i, info.rank, dims, &err);
    if (status != CNN_STATUS_OK)
      fuzz_check_failure ("cnn_model_set_input_shape", status, &err);
  }
  return any;
}

/* Sum of the layers' multiply-accumulates, saturating; runs that would take minutes are not
 * interesting to a fuzzer that checks memory safety. */
static uint64_t
fuzz_total_macs (const cnn_model *model)
{
  uint64_t total = 0;
  size_t n = cnn_model_layer_count (model);

  for (size_t i = 0; i < n; i++) {
    cnn_layer_info layer;
    if (cnn_model_layer_info (model, i, &layer) != CNN_STATUS_OK)
      abort ();   /* index is in range: must succeed */
    if (layer.macs > UINT64_MAX - total)
      return UINT64_MAX;
    total += layer.macs;
  }
  return total;
}

static void
fuzz_run (cnn_model *model)
{
  size_t n_inputs = cnn_model_input_count (model);
  size_t n_outputs = cnn_model_output_count (model);
  void **inputs = calloc (n_inputs + 1, sizeof *inputs);
  void **outputs = calloc (n_outputs + 1, sizeof *outputs);
  uint64_t total_inputs = 0;
  cnn_error err = { { 0 } };
  cnn_status status;

  if (inputs == NULL || outputs == NULL)
    goto done;
  if (fuzz_total_macs (model) > FUZZ_MAX_MACS)
    goto done;

  for (size_t i = 0; i < n_inputs; i++) {
    cnn_tensor_info info;
    uint64_t count;
    size_t esize;

    if (cnn_model_input_info (model, i, &info) != CNN_STATUS_OK)
      abort ();
    esize = cnn_dtype_size (info.dtype);
    if (esize == 0 || !fuzz_elements (&info, FUZZ_MAX_INPUT_ELEMENTS, &count))
      goto done;
    total_inputs += count;
    if (total_inputs > FUZZ_MAX_INPUT_ELEMENTS)
      goto done;
    /* One spare element so a zero-sized tensor still has a distinct, valid pointer. */
    if ((inputs[i] = malloc ((count + 1) * esize)) == NULL)
      goto done;
    fuzz_fill (inputs[i], info.dtype, count);
  }

  for (size_t i = 0; i < n_outputs; i++) {
    cnn_tensor_info info;
    uint64_t count;
    size_t esize;

    if (cnn_model_output_info (model, i, &info) != CNN_STATUS_OK)
      abort ();
    esize = cnn_dtype_size (info.dtype);
    /* After a successful prepare every output shape must be concrete. */
    if (esize == 0 || info.rank < 0) {
      fprintf (stderr, "fuzz-model: output %zu has no dtype or rank after prepare\n", i);
      abort ();
    }
    for (int d = 0; d < info.rank; d++)
      if (info.dims[d] < 0) {
        fprintf (stderr, "fuzz-model: output %zu dim %d is dynamic after prepare\n", i, d);
        abort ();
      }
    if (!fuzz_elements (&info, FUZZ_MAX_OUTPUT_ELEMENTS, &count))
      goto done;
    if ((outputs[i] = malloc ((count + 1) * esize)) == NULL)
      goto done;
  }

  status = cnn_model_run (model, (const void *const *) inputs, (void *const *) outputs, &err);
  if (status != CNN_STATUS_OK)
    fuzz_check_failure ("cnn_model_run", status, &err);

done:
  if (inputs != NULL)
    for (size_t i = 0; i < n_inputs; i++)
      free (inputs[i]);
  if (outputs != NULL)
    for (size_t i = 0; i < n_outputs; i++)
      free (outputs[i]);
  free (inputs);
  free (outputs);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  cnn_options options = cnn_options_default ();
  cnn_model *model = NULL;
  bool *dynamic = NULL;
  cnn_error err = { { 0 } };
  cnn_status status;

  options.threads = 1;
  options.max_memory_bytes = FUZZ_MAX_MEMORY;

  status = cnn_model_load_memory (data, size, "fuzz.onnx", &options, &model, &err);
  if (status != CNN_STATUS_OK) {
    fuzz_check_failure ("cnn_model_load_memory", status, &err);
    if (model != NULL) {
      fprintf (stderr, "fuzz-model: load failed but wrote the model out-parameter\n");
      abort ();
    }
    return 0;
  }

  dynamic = calloc (cnn_model_input_count (model) * CNN_MAX_RANK + 1, sizeof *dynamic);
  for (int pass = 0; pass < 2 && dynamic != NULL; pass++) {
    if (!fuzz_fix_shapes (model, pass, dynamic) && pass > 0)
      break;
    memset (&err, 0, sizeof err);
    status = cnn_model_prepare (model, &err);
    if (status != CNN_STATUS_OK) {
      fuzz_check_failure ("cnn_model_prepare", status, &err);
      break;
    }
    fuzz_run (model);
  }

  free (dynamic);
  cnn_model_destroy (model);
  return 0;
}
