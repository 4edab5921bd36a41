/* batchnorm: batch 2 with odd and vec4-friendly spatial sizes, constant
 * parameters (folded on the host) and runtime ones (computed per element),
 * ranks 2 to 5, another channel axis, and the shape and parameter
 * errors. */
#include <string.h>

#include "harness.h"

#define MAX_C 64

static float var_data[MAX_C];

/* X of shape d (rank r) with channel axis `axis`; runtime parameters
 * unless `constant`. var is positive (given), the rest random. */
static lkt_case bn_case(int r, const int64_t *d, int axis, int constant)
{
    lkt_case c;
    memset(&c, 0, sizeof c);
    c.op = LK_OP_BATCHNORM;
    lk_params_init(LK_OP_BATCHNORM, &c.p);
    c.p.norm.axis = axis;
    c.n_in = 5;
    c.in[0] = lk_shape_make(r, d);
    int64_t ch = d[axis < 0 ? axis + r : axis];
    for (int i = 1; i < 5; i++) {
        c.in[i] = lk_shape_make(1, &ch);
        c.is_const[i] = constant;
    }
    lkt_fill(var_data, MAX_C, 0.05f, 2.0f);
    c.data[4] = var_data;
    c.lo = -2.0f;
    c.hi = 2.0f;
    return c;
}

static void test_batchnorm_images(void **state)
{
    (void)state;
    const int64_t odd[] = {2, 5, 9, 7}, even[] = {2, 6, 8, 12};
    for (int constant = 0; constant < 2; constant++) {
        lkt_case c = bn_case(4, odd, 1, constant);
        lkt_check_both(&c);
        c = bn_case(4, even, 1, constant);
        lkt_check_both(&c);
    }
}

static void test_batchnorm_ranks(void **state)
{
    (void)state;
    const int64_t d2[] = {3, 17}, d3[] = {2, 7, 33}, d5[] = {2, 3, 4, 5, 3};
    lkt_case c = bn_case(2, d2, 1, 1);
    lkt_check_both(&c);
    c = bn_case(3, d3, 1, 0);
    lkt_check_both(&c);
    c = bn_case(5, d5, 1, 1);
    lkt_check_both(&c);
    /* channels last: [N, L, C] */
    const int64_t nlc[] = {2, 10, 12};
    c = bn_case(3, nlc, -1, 1);
    lkt_check_both(&c);
}

static void test_batchnorm_epsilon(void **state)
{
    (void)state;
    const int64_t d[] = {2, 4, 6, 5};
    lkt_case c = bn_case(4, d, 1, 0);
    c.p.norm.epsilon = 0.5f;
    lkt_check_both(&c);
    c = bn_case(4, d, 1, 1);
    c.p.norm.epsilon = 0.0f;
    lkt_check_both(&c);
}

static void test_batchnorm_errors(void **state)
{
    (void)state;
    const int64_t d[] = {2, 3, 4, 4};
    lkt_case c = bn_case(4, d, 1, 1);
    c.in[2].d[0] = 4;
    lkt_expect_error(&c, LK_ERR_SHAPE, "B [4] must be [C] = [3]");
    c = bn_case(4, d, 1, 0);
    const int64_t two[] = {3, 1};
    c.in[4] = lk_shape_make(2, two);
    lkt_expect_error(&c, LK_ERR_SHAPE, "var [3,1] must be [C]");
    c = bn_case(4, d, 1, 0);
    c.in[1].d[0] = 2;
    lkt_expect_error(&c, LK_ERR_SHAPE, "scale");
    c = bn_case(4, d, 1, 0);
    c.p.norm.axis = 4;
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "channel axis 4 out of range");
    c = bn_case(4, d, 1, 0);
    c.p.norm.epsilon = -1.0f;
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "epsilon");
    const int64_t d1[] = {3};
    c = bn_case(1, d1, 0, 0);
    lkt_expect_error(&c, LK_ERR_SHAPE, "rank >= 2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batchnorm_images),
        cmocka_unit_test(test_batchnorm_ranks),
        cmocka_unit_test(test_batchnorm_epsilon),
        cmocka_unit_test(test_batchnorm_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
