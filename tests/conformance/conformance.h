/* Helpers shared by the conformance suites: files, data directories named by
 * environment variables and a clock (normalised error: lkt_error). Include after
 * tests/engine/harness.h (cmocka and the device context come from there). */
#ifndef LKC_CONFORMANCE_H
#define LKC_CONFORMANCE_H

#include <stddef.h>
#include <stdint.h>

#include "harness.h"

/* The conformance tolerances, as normalised error max|got−exp| / max|exp|. */
#define LKC_TOL_BACKEND 1e-4   /* ONNX backend node tests */
#define LKC_TOL_MODEL 1e-3     /* whole networks vs PyTorch / OpenCV */

/* The whole file, malloc'd (NUL-terminated beyond *size), or NULL. */
void *lkc_read_file(const char *path, size_t *size);
/* The directory named by environment variable `env`, when it exists.
 * Otherwise the test is skipped with a message saying what is missing,
 * except under CI=true, where it fails. */
const char *lkc_require_dir(const char *env, const char *what);
/* Milliseconds on a monotonic clock. */
double lkc_now_ms(void);

#endif
