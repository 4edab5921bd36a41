/* Shared test harness: one-node graphs run on the Vulkan device and through
 * the plain-C reference, compared by normalised error. Include after
 * <cmocka.h>'s prerequisites (stdarg, stddef, setjmp, stdint). */
#ifndef LKT_HARNESS_H
#define LKT_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "lookout/lookout.h"

/* Tolerances from the test plan: max|gpu−ref| / max|ref|. */
#define LKT_TOL_FP32 1e-4
#define LKT_TOL_FP16 1e-2

typedef struct lkt_case {
    lk_op op;
    lk_params p;
    int n_in;
    lk_shape in[8];
    int is_const[8];          /* 1: a weight (graph constant), 0: graph input */
    const float *data[8];     /* NULL: uniform random in [lo, hi] */
    float lo, hi;             /* default (0, 0) means [-1, 1] */
    int n_out;                /* default 1 */
    lk_precision precision;
} lkt_case;

/* The shared context on the default device (the first call creates it).
 * Without a device the test is skipped, unless CI=true, where it fails. */
lk_context *lkt_context(void);
/* Seeded RNG: LOOKOUT_TEST_SEED or the time; the seed is printed once. */
uint32_t lkt_rand(void);
float lkt_uniform(float lo, float hi);
void lkt_fill(float *x, size_t n, float lo, float hi);
/* Normalised error max|a−b| / max|ref| (NaN anywhere → +inf). */
double lkt_error(const float *got, const float *ref, size_t n);
/* Builds, runs and compares; fails the cmocka test on a mismatch or an
 * unwritten (poisoned) element. Returns the worst normalised error. */
double lkt_check(const lkt_case *c);
/* Runs a whole graph on the device (fp32, and fp16 where supported, with
 * poisoned activations) and through the reference on the same inputs —
 * `inputs`, or random values in [-1, 1] when NULL — comparing every output.
 * ref (may be NULL) receives the reference outputs in caller-sized arrays. */
void lkt_check_graph(const lk_graph *g, const float *const *inputs, float *const *ref);
/* Runs the case's reference on its given data and compares with
 * hand-computed values; the output shape must be want_shape. */
void lkt_expect_reference(const lkt_case *c, const lk_shape *want_shape, const float *want);
/* FLOPs of the case's one-node graph (lk_graph_flops). */
double lkt_flops(const lkt_case *c);
/* Same at both precisions (fp16 skipped when the device has no 16-bit
 * storage). */
void lkt_check_both(lkt_case *c);
/* Expects lk_graph_add to refuse the case with `status`, and the message
 * to contain `needle`. */
void lkt_expect_error(const lkt_case *c, lk_status status, const char *needle);

#endif
