/* unary: every activation kind on random odd shapes (ranks 0..5, batch > 1)
 * over ranges that reach each branch (large |x| for the exponentials),
 * element counts around the vec4 tail, parameterised kinds with several
 * parameters, and the parameter errors. */
#include <string.h>

#include "harness.h"

static int64_t rand_dim(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(lkt_rand() % (uint32_t)(hi - lo + 1));
}

static lkt_case make_case(lk_act kind, float alpha, float beta)
{
    lkt_case c;
    memset(&c, 0, sizeof c);
    c.op = LK_OP_UNARY;
    lk_params_init(LK_OP_UNARY, &c.p);
    c.p.unary.act.kind = kind;
    c.p.unary.act.alpha = alpha;
    c.p.unary.act.beta = beta;
    c.n_in = 1;
    c.in[0] = lk_shape4(rand_dim(2, 3), rand_dim(1, 7), rand_dim(1, 13), rand_dim(1, 15));
    c.lo = -8.0f;
    c.hi = 8.0f;
    return c;
}

/* Parameters typical of each kind (ONNX defaults where there are some). */
static lkt_case kind_case(lk_act kind)
{
    switch (kind) {
    case LK_ACT_LEAKY_RELU: return make_case(kind, 0.1f, 0.0f);
    case LK_ACT_HARDSIGMOID: return make_case(kind, 0.2f, 0.5f);
    case LK_ACT_CLIP: return make_case(kind, 0.0f, 6.0f); /* ReLU6 */
    default: return make_case(kind, 0.0f, 0.0f);
    }
}

static void test_unary_every_kind(void **state)
{
    (void)state;
    for (int k = 0; k < LK_ACT_COUNT; k++) {
        lkt_case c = kind_case((lk_act)k);
        lkt_check_both(&c);
    }
}

static void test_unary_large_inputs(void **state)
{
    (void)state;
    /* Saturation and overflow branches: exp(-x) overflows for x < -89,
     * mish switches to x past 20, tanh/sigmoid saturate. */
    for (int k = 0; k < LK_ACT_COUNT; k++) {
        lkt_case c = kind_case((lk_act)k);
        c.lo = -120.0f;
        c.hi = 120.0f;
        lkt_check_both(&c);
    }
}

static void test_unary_small_inputs(void **state)
{
    (void)state;
    /* Near zero, where sign changes and the erf / log1p approximations
     * matter most relative to the output. */
    for (int k = 0; k < LK_ACT_COUNT; k++) {
        lkt_case c = kind_case((lk_act)k);
        c.lo = -0.05f;
        c.hi = 0.05f;
        lkt_check_both(&c);
    }
}

/* Negative tails where GELU and Mish are tiny: normalised by the largest
 * (tiny) value, any cancellation in the kernel shows. */
static void test_unary_negative_tails(void **state)
{
    (void)state;
    const lk_act kinds[] = {LK_ACT_GELU, LK_ACT_MISH, LK_ACT_SILU, LK_ACT_SIGMOID};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        lkt_case c = kind_case(kinds[i]);
        c.lo = -9.0f;
        c.hi = -3.0f;
        c.precision = LK_FP32;
        lkt_check(&c);
    }
}

static void test_unary_parameters(void **state)
{
    (void)state;
    static const float leaky[] = {0.01f, 0.3f, -0.5f, 2.0f};
    for (int i = 0; i < 4; i++) {
        lkt_case c = make_case(LK_ACT_LEAKY_RELU, leaky[i], 0.0f);
        lkt_check_both(&c);
    }
    static const float hs[][2] = {{1.0f / 6.0f, 0.5f}, {0.5f, -0.25f}, {-0.3f, 0.7f}};
    for (int i = 0; i < 3; i++) {
        lkt_case c = make_case(LK_ACT_HARDSIGMOID, hs[i][0], hs[i][1]);
        lkt_check_both(&c);
    }
    static const float clip[][2] = {{-1.5f, 2.5f}, {-3.0f, -1.0f}, {0.5f, 0.5f}, {-100.0f, 100.0f}};
    for (int i = 0; i < 4; i++) {
        lkt_case c = make_case(LK_ACT_CLIP, clip[i][0], clip[i][1]);
        lkt_check_both(&c);
    }
}

static void test_unary_sizes(void **state)
{
    (void)state;
    /* Around the vec4 body / scalar tail split, other ranks, a scalar, and
     * enough elements for many workgroups. */
    static const int64_t counts[] = {1, 2, 3, 4, 5, 7, 8, 1023, 1025, 4097, 300007};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        lkt_case c = kind_case(LK_ACT_SILU);
        c.in[0] = lk_shape_make(1, &counts[i]);
        lkt_check_both(&c);
    }
    /* A single element is compared against itself alone, so it takes a
     * kind without a cancelling tail (see activation.glsl's GELU / Mish
     * for x << 0). */
    lkt_case c = kind_case(LK_ACT_SIGMOID);
    c.in[0].rank = 0;
    lkt_check_both(&c);
    const int64_t d5[] = {3, 1, 5, 3, 7};
    c.in[0] = lk_shape_make(5, d5);
    c.p.unary.act.kind = LK_ACT_GELU;
    lkt_check_both(&c);
    const int64_t d2[] = {2, 37};
    c.in[0] = lk_shape_make(2, d2);
    c.p.unary.act.kind = LK_ACT_MISH;
    lkt_check_both(&c);
}

static void test_unary_errors(void **state)
{
    (void)state;
    lkt_case c = make_case(LK_ACT_COUNT, 0.0f, 0.0f);
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "unknown activation kind 11");
    c = make_case(LK_ACT_CLIP, 2.0f, 1.0f);
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "clip min 2 is above max 1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unary_every_kind),
        cmocka_unit_test(test_unary_large_inputs),
        cmocka_unit_test(test_unary_small_inputs),
        cmocka_unit_test(test_unary_negative_tails),
        cmocka_unit_test(test_unary_parameters),
        cmocka_unit_test(test_unary_sizes),
        cmocka_unit_test(test_unary_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
