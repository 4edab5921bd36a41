/* softmax: every axis (negative too) of a 4-D batch-2 tensor with odd
 * sizes, long rows (one workgroup per row) and short ones (one invocation
 * per row), large inputs that overflow exp() without the max shift, and
 * the axis errors. */
#include <string.h>

#include "harness.h"

static lkt_case softmax_case(int rank, const int64_t *d, int axis)
{
    lkt_case c;
    memset(&c, 0, sizeof c);
    c.op = LK_OP_SOFTMAX;
    lk_params_init(LK_OP_SOFTMAX, &c.p);
    c.p.axis.axis = axis;
    c.n_in = 1;
    c.in[0] = lk_shape_make(rank, d);
    c.lo = -4.0f;
    c.hi = 4.0f;
    return c;
}

static void test_softmax_each_axis(void **state)
{
    (void)state;
    const int64_t d[] = {2, 7, 5, 33};
    for (int axis = -4; axis < 4; axis++) {
        lkt_case c = softmax_case(4, d, axis);
        lkt_check_both(&c);
    }
}

static void test_softmax_long_rows(void **state)
{
    (void)state;
    /* classifier (1000), attention rows, and rows past 16·256 elements */
    const int64_t d1[] = {3, 1000}, d2[] = {2, 3, 17, 400}, d3[] = {2, 5000};
    lkt_case c = softmax_case(2, d1, -1);
    lkt_check_both(&c);
    c = softmax_case(4, d2, 3);
    lkt_check_both(&c);
    c = softmax_case(2, d3, 1);
    lkt_check_both(&c);
    /* a long strided row: axis 0 of a [1000, 3] tensor */
    const int64_t d4[] = {1000, 3};
    c = softmax_case(2, d4, 0);
    lkt_check_both(&c);
}

static void test_softmax_small(void **state)
{
    (void)state;
    const int64_t d1[] = {1}, d2[] = {5, 1}, d3[] = {3, 2, 1, 4};
    lkt_case c = softmax_case(1, d1, 0);
    lkt_check_both(&c);
    c = softmax_case(2, d2, 1);
    lkt_check_both(&c);
    c = softmax_case(4, d3, 2);
    lkt_check_both(&c);
    c = softmax_case(4, d3, 1);
    lkt_check_both(&c);
}

static void test_softmax_large_values(void **state)
{
    (void)state;
    /* exp(100) overflows fp32: only the max shift keeps this finite.
     * fp32 storage only: fp16 rounds x ~ 100 by 0.03, a 3% change of
     * exp(x), past the fp16 tolerance by construction. */
    const int64_t d[] = {2, 3, 300};
    for (int axis = 1; axis <= 2; axis++) {
        lkt_case c = softmax_case(3, d, axis);
        c.lo = 90.0f;
        c.hi = 110.0f;
        c.precision = LK_FP32;
        lkt_check(&c);
    }
}

static void test_softmax_errors(void **state)
{
    (void)state;
    const int64_t d[] = {2, 3, 4};
    lkt_case c = softmax_case(3, d, 3);
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "axis 3 out of range");
    c = softmax_case(3, d, -4);
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "axis -4");
    c = softmax_case(0, d, 0);
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "out of range");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_softmax_each_axis),
        cmocka_unit_test(test_softmax_long_rows),
        cmocka_unit_test(test_softmax_small),
        cmocka_unit_test(test_softmax_large_values),
        cmocka_unit_test(test_softmax_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
