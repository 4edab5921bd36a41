/* slice: ONNX semantics (negative starts/ends, clamping, INT64_MAX/MIN
 * ends, negative steps, omitted and negative axes) on random odd shapes
 * with batch > 1. The C reference is checked against an independent
 * enumeration of the ONNX rules; the GPU against the reference. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h" /* lk_shape_strides, lk_shape_eq */
#include "harness.h"

static int64_t rand_range(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(lkt_rand() % (uint32_t)(hi - lo + 1));
}

/* Indices one axis keeps, enumerated as the ONNX Slice text states it:
 * negatives count from the end, then starts clamp to [0, len] ([0, len-1]
 * for negative steps) and ends to [0, len] ([-1, len-1]). (Python's rule
 * differs only for a negative step starting before -len, where ONNX still
 * takes element 0, as onnxruntime does.) Returns the count. */
static int64_t onnx_indices(int64_t len, int64_t start, int64_t end, int64_t step,
                            int64_t *idx)
{
    if (start < 0)
        start += len;
    if (end < 0)
        end += len;
    int64_t start_hi = step < 0 ? len - 1 : len;
    int64_t end_lo = step < 0 ? -1 : 0, end_hi = step < 0 ? len - 1 : len;
    start = start < 0 ? 0 : start > start_hi ? start_hi : start;
    end = end < end_lo ? end_lo : end > end_hi ? end_hi : end;
    int64_t n = 0;
    for (int64_t i = start; step > 0 ? i < end : i > end; i += step) {
        idx[n++] = i;
        if (step > len || step < -len)
            break; /* one element; avoids overflowing i */
    }
    return n;
}

/* The expected output (values are input flat indices) and shape;
 * returns 0 when some axis ends up empty. */
static int expected(const lk_shape *in, const lk_slice_params *p, lk_shape *out, float **y)
{
    static int64_t idx[LK_MAX_DIMS][64];
    int64_t strides[LK_MAX_DIMS];
    lk_shape_strides(in, strides);
    *out = *in;
    for (int d = 0; d < in->rank; d++)
        for (int64_t i = 0; i < in->d[d]; i++)
            idx[d][i] = i;
    for (int i = 0; i < p->n; i++) {
        int a = p->axes[i] < 0 ? p->axes[i] + in->rank : p->axes[i];
        out->d[a] = onnx_indices(in->d[a], p->starts[i], p->ends[i], p->steps[i], idx[a]);
        if (out->d[a] == 0)
            return 0;
    }
    int64_t total = lk_shape_numel(out);
    *y = malloc((size_t)total * sizeof(float));
    for (int64_t o = 0; o < total; o++) {
        int64_t rest = o, src = 0;
        for (int d = in->rank - 1; d >= 0; d--) {
            src += idx[d][rest % out->d[d]] * strides[d];
            rest /= out->d[d];
        }
        (*y)[o] = (float)src;
    }
    return 1;
}

static lkt_case make_case(const lk_shape *in)
{
    lkt_case c;
    memset(&c, 0, sizeof c);
    c.op = LK_OP_SLICE;
    lk_params_init(LK_OP_SLICE, &c.p);
    c.n_in = 1;
    c.in[0] = *in;
    return c;
}

/* Checks the reference against `expected`, then the GPU against the
 * reference; an empty result must be refused instead. */
static void check_slice(lkt_case *c)
{
    lk_shape want;
    float *ref = NULL;
    if (!expected(&c->in[0], &c->p.slice, &want, &ref)) {
        lkt_expect_error(c, LK_ERR_SHAPE, "is empty after slicing");
        return;
    }
    lk_graph *g = NULL;
    lk_tensor t, out;
    lk_shape got;
    lk_msg msg;
    int64_t n = lk_shape_numel(&c->in[0]);
    float *x = malloc((size_t)n * sizeof(float));
    for (int64_t e = 0; e < n; e++)
        x[e] = (float)e;
    assert_int_equal(lk_graph_new(&g, &msg), LK_OK);
    assert_int_equal(lk_graph_input(g, "x", &c->in[0], &t, &msg), LK_OK);
    assert_int_equal(lk_graph_add(g, LK_OP_SLICE, &c->p, "s", &t, 1, &out, 1, &msg), LK_OK);
    assert_int_equal(lk_graph_output(g, out, &msg), LK_OK);
    lk_graph_shape(g, out, &got);
    assert_true(lk_shape_eq(&got, &want));
    float *y = malloc((size_t)lk_shape_numel(&want) * sizeof(float));
    const float *ins[1] = {x};
    assert_int_equal(lk_graph_run_reference(g, ins, &y, &msg), LK_OK);
    assert_memory_equal(y, ref, (size_t)lk_shape_numel(&want) * sizeof(float));
    free(x);
    free(y);
    free(ref);
    lk_graph_free(g);
    lkt_check_both(c);
}

static void set_axis(lkt_case *c, int i, int axis, int64_t start, int64_t end, int64_t step)
{
    c->p.slice.axes[i] = axis;
    c->p.slice.starts[i] = start;
    c->p.slice.ends[i] = end;
    c->p.slice.steps[i] = step;
    if (c->p.slice.n < i + 1)
        c->p.slice.n = i + 1;
}

static void test_slice_cases(void **state)
{
    (void)state;
    const lk_shape s = lk_shape4(2, 5, 7, 9);
    lkt_case c;

    c = make_case(&s); /* no axes: a plain copy */
    check_slice(&c);

    c = make_case(&s);
    set_axis(&c, 0, 1, 1, -1, 1);
    check_slice(&c);

    c = make_case(&s); /* reverse the last axis */
    set_axis(&c, 0, -1, -1, INT64_MIN, -1);
    check_slice(&c);

    c = make_case(&s); /* YOLOv5 Focus: x[..., ::2, 1::2] */
    set_axis(&c, 0, 2, 0, INT64_MAX, 2);
    set_axis(&c, 1, 3, 1, INT64_MAX, 2);
    check_slice(&c);

    c = make_case(&s); /* huge start with a negative step clamps to the end */
    set_axis(&c, 0, 3, INT64_MAX, INT64_MIN, -2);
    set_axis(&c, 1, 0, INT64_MAX, -100, -1);
    set_axis(&c, 2, -2, -2, 1, -3);
    check_slice(&c);

    c = make_case(&s); /* axes out of order, ends far outside */
    set_axis(&c, 0, 3, -100, 100, 4);
    set_axis(&c, 1, 1, -2, -100, -1);
    check_slice(&c);

    c = make_case(&s); /* a step beyond the dim takes one element */
    set_axis(&c, 0, 2, 3, INT64_MAX, INT64_MAX);
    set_axis(&c, 1, 1, -1, INT64_MIN, INT64_MIN);
    check_slice(&c);

    c = make_case(&s); /* empty: start past end */
    set_axis(&c, 0, 1, 4, 2, 1);
    check_slice(&c);
}

static void test_slice_random(void **state)
{
    (void)state;
    const int64_t extremes[4] = {INT64_MAX, INT64_MIN, INT64_MAX - 1, -INT64_MAX};
    for (int iter = 0; iter < 24; iter++) {
        lk_shape s = {0};
        s.rank = (int)rand_range(1, 5);
        for (int d = 0; d < s.rank; d++)
            s.d[d] = rand_range(1, 9);
        if (s.rank >= 3)
            s.d[0] = rand_range(2, 3);
        lkt_case c = make_case(&s);
        int perm[LK_MAX_DIMS];
        for (int d = 0; d < s.rank; d++)
            perm[d] = d;
        for (int d = s.rank - 1; d > 0; d--) {
            int j = (int)rand_range(0, d), tmp = perm[d];
            perm[d] = perm[j];
            perm[j] = tmp;
        }
        int n = (int)rand_range(1, s.rank);
        for (int i = 0; i < n; i++) {
            int64_t dim = s.d[perm[i]];
            int axis = perm[i] - (lkt_rand() % 2 ? s.rank : 0);
            int64_t step, start, end, idx[16];
            do { /* empty results are covered by test_slice_cases */
                step = rand_range(1, 3) * (lkt_rand() % 2 ? -1 : 1);
                start = lkt_rand() % 5 ? rand_range(-dim - 2, dim + 2) : extremes[lkt_rand() % 4];
                end = lkt_rand() % 3 ? rand_range(-dim - 2, dim + 2) : extremes[lkt_rand() % 4];
            } while (onnx_indices(dim, start, end, step, idx) == 0);
            set_axis(&c, i, axis, start, end, step);
        }
        check_slice(&c);
    }
}

static void test_slice_errors(void **state)
{
    (void)state;
    const lk_shape s = lk_shape4(2, 5, 7, 9);
    lkt_case c = make_case(&s);
    set_axis(&c, 0, 2, 0, 3, 0);
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "step 0 on axis 2");

    c = make_case(&s);
    set_axis(&c, 0, 1, 0, 3, 1);
    set_axis(&c, 1, -3, 0, 3, 1);
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "axis -3 is sliced twice");

    c = make_case(&s);
    set_axis(&c, 0, 4, 0, 3, 1);
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "axis 4 out of range for rank 4");

    c = make_case(&s);
    set_axis(&c, 0, -1, 5, 5, 1);
    lkt_expect_error(&c, LK_ERR_SHAPE, "axis -1 is empty after slicing [5:5:1] of 9");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slice_cases),
        cmocka_unit_test(test_slice_random),
        cmocka_unit_test(test_slice_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
