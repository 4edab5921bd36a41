/* layernorm: normalising the last one, two and three dims of batched odd
 * shapes, long rows (one workgroup per row), Scale and Bias given in full
 * or broadcast (scalar, [W] over [H,W], [1,W]), no Bias, constant and
 * runtime parameters, and the parameter errors. */
#include <string.h>

#include "harness.h"

/* X of shape d (rank r) normalised from axis; Scale ps, Bias pb (rank -1:
 * absent). */
static lkt_case ln_case(int r, const int64_t *d, int axis, lk_shape ps, lk_shape pb)
{
    lkt_case c;
    memset(&c, 0, sizeof c);
    c.op = LK_OP_LAYERNORM;
    lk_params_init(LK_OP_LAYERNORM, &c.p);
    c.p.norm.axis = axis;
    c.n_in = pb.rank >= 0 ? 3 : 2;
    c.in[0] = lk_shape_make(r, d);
    c.in[1] = ps;
    c.in[2] = pb;
    return c;
}

/* The trailing dims of d from axis (a parameter given in full). */
static lk_shape tail(int r, const int64_t *d, int axis)
{
    return lk_shape_make(r - axis, d + axis);
}

static lk_shape dims(int r, int64_t a, int64_t b)
{
    const int64_t d[] = {a, b};
    return lk_shape_make(r, d);
}

static lk_shape absent(void)
{
    lk_shape s;
    memset(&s, 0, sizeof s);
    s.rank = -1;
    return s;
}

static void test_layernorm_last_dims(void **state)
{
    (void)state;
    const int64_t d[] = {2, 5, 7, 33};
    for (int axis = 1; axis <= 3; axis++) {
        lkt_case c = ln_case(4, d, axis, tail(4, d, axis), tail(4, d, axis));
        lkt_check_both(&c);
        c = ln_case(4, d, axis - 4, tail(4, d, axis), tail(4, d, axis)); /* negative axis */
        c.is_const[1] = c.is_const[2] = 1;
        lkt_check_both(&c);
    }
}

static void test_layernorm_transformer(void **state)
{
    (void)state;
    /* [batch, tokens, channels] over channels, with a wider spread and an
     * offset mean (the shifted sums must stay accurate) */
    const int64_t d[] = {2, 49, 96};
    lkt_case c = ln_case(3, d, -1, tail(3, d, 2), tail(3, d, 2));
    c.is_const[1] = c.is_const[2] = 1;
    c.lo = 3.0f;
    c.hi = 9.0f;
    lkt_check_both(&c);
}

static void test_layernorm_long_rows(void **state)
{
    (void)state;
    const int64_t d[] = {3, 5000}, d2[] = {2, 3, 40, 50};
    lkt_case c = ln_case(2, d, 1, tail(2, d, 1), tail(2, d, 1));
    lkt_check_both(&c);
    c = ln_case(4, d2, 1, tail(4, d2, 1), absent());
    lkt_check_both(&c);
}

static void test_layernorm_broadcast_params(void **state)
{
    (void)state;
    const int64_t d[] = {2, 3, 9, 11};
    /* scalar Scale, [W] Bias over [H,W] */
    lkt_case c = ln_case(4, d, 2, lk_shape_make(0, d), dims(1, 11, 0));
    lkt_check_both(&c);
    /* [1,W] Scale, [H,1] Bias */
    c = ln_case(4, d, 2, dims(2, 1, 11), dims(2, 9, 1));
    c.is_const[1] = 1;
    lkt_check_both(&c);
    /* [W] Scale over [C,H,W], no Bias */
    c = ln_case(4, d, 1, dims(1, 11, 0), absent());
    lkt_check_both(&c);
}

static void test_layernorm_no_bias(void **state)
{
    (void)state;
    const int64_t d[] = {4, 17};
    lkt_case c = ln_case(2, d, -1, tail(2, d, 1), absent());
    lkt_check_both(&c);
    const int64_t d1[] = {1};
    c = ln_case(1, d1, 0, tail(1, d1, 0), absent()); /* one element: y = 0 */
    lkt_check_both(&c);
}

static void test_layernorm_errors(void **state)
{
    (void)state;
    const int64_t d[] = {2, 3, 4};
    lkt_case c = ln_case(3, d, 3, dims(1, 4, 0), absent());
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "axis 3 out of range");
    c = ln_case(3, d, -4, dims(1, 4, 0), absent());
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "axis -4");
    c = ln_case(3, d, -1, dims(1, 3, 0), absent());
    lkt_expect_error(&c, LK_ERR_SHAPE, "Scale [3] is not broadcastable to the normalised dims [4]");
    c = ln_case(3, d, -1, dims(1, 4, 0), dims(2, 3, 4));
    lkt_expect_error(&c, LK_ERR_SHAPE, "Bias [3,4] is not broadcastable");
    c = ln_case(3, d, 1, dims(2, 4, 3), absent());
    lkt_expect_error(&c, LK_ERR_SHAPE, "Scale [4,3]");
    c = ln_case(3, d, -1, dims(1, 4, 0), absent());
    c.p.norm.epsilon = -1e-5f;
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "epsilon");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layernorm_last_dims),
        cmocka_unit_test(test_layernorm_transformer),
        cmocka_unit_test(test_layernorm_long_rows),
        cmocka_unit_test(test_layernorm_broadcast_params),
        cmocka_unit_test(test_layernorm_no_bias),
        cmocka_unit_test(test_layernorm_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
