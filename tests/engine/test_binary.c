/* binary: every op over broadcast patterns ([2,3,4,5]+[5], [2,1,4,1]*[3,1,5],
 * scalars of rank 0 and 1 on either side, equal odd shapes, rank 1 against
 * rank 4, per-channel, constant operands), pow on negative bases with
 * integer exponents, reference values against hand-computed broadcasts,
 * and the shape / parameter errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static int64_t rand_dim(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(lkt_rand() % (uint32_t)(hi - lo + 1));
}

static lkt_case make_case(lk_binary_kind kind, lk_shape a, lk_shape b)
{
    lkt_case c;
    memset(&c, 0, sizeof c);
    c.op = LK_OP_BINARY;
    lk_params_init(LK_OP_BINARY, &c.p);
    c.p.binary.kind = kind;
    c.n_in = 2;
    c.in[0] = a;
    c.in[1] = b;
    return c;
}

static lk_shape shp(int rank, int64_t d0, int64_t d1, int64_t d2, int64_t d3)
{
    const int64_t d[4] = {d0, d1, d2, d3};
    return lk_shape_make(rank, d);
}

/* Runs c at both precisions with operands that keep every output element
 * well conditioned, since a tensor of few elements is judged by its own
 * largest value: sums of a in ±[1, 2] and b in [-0.5, 0.5] never cancel;
 * divisors stay in ±[0.5, 2.5]; pow takes bases in [0.1, 2.1]. */
static void check_op(lkt_case *c)
{
    float *data[2] = {NULL, NULL};
    lk_binary_kind k = c->p.binary.kind;
    for (int i = 0; i < 2; i++) {
        size_t n = (size_t)lk_shape_numel(&c->in[i]);
        data[i] = malloc(n * sizeof(float));
        assert_non_null(data[i]);
        lkt_fill(data[i], n, -2.0f, 2.0f);
        for (size_t j = 0; j < n; j++) {
            float v = data[i][j];
            if ((k == LK_BIN_ADD || k == LK_BIN_SUB) && i == 0)
                data[i][j] = v < 0.0f ? v * 0.5f - 1.0f : v * 0.5f + 1.0f;
            else if (k == LK_BIN_ADD || k == LK_BIN_SUB)
                data[i][j] = v * 0.25f;
            else if (k == LK_BIN_DIV && i == 1)
                data[i][j] = v < 0.0f ? v - 0.5f : v + 0.5f;
            else if (k == LK_BIN_POW && i == 0)
                data[i][j] = fabsf(v) + 0.1f;
        }
        c->data[i] = data[i];
    }
    lkt_check_both(c);
    for (int i = 0; i < 2; i++) {
        c->data[i] = NULL;
        free(data[i]);
    }
}

/* Every op on the pattern, and on the pattern with the operands swapped. */
static void check_all_ops(lk_shape a, lk_shape b, int const_a, int const_b)
{
    for (int k = 0; k < LK_BIN_COUNT; k++) {
        lkt_case c = make_case((lk_binary_kind)k, a, b);
        c.is_const[0] = const_a;
        c.is_const[1] = const_b;
        check_op(&c);
        c = make_case((lk_binary_kind)k, b, a);
        c.is_const[0] = const_b;
        c.is_const[1] = const_a;
        check_op(&c);
    }
}

static void test_binary_trailing_axis(void **state)
{
    (void)state;
    check_all_ops(shp(4, 2, 3, 4, 5), shp(1, 5, 0, 0, 0), 0, 0);
}

static void test_binary_both_broadcast(void **state)
{
    (void)state;
    /* Both inputs broadcast along different axes, different ranks. */
    check_all_ops(shp(4, 2, 1, 4, 1), shp(3, 3, 1, 5, 0), 0, 0);
    check_all_ops(shp(3, 1, 7, 1, 0), shp(3, 5, 1, 3, 0), 0, 0);
}

static void test_binary_scalars(void **state)
{
    (void)state;
    lk_shape x = shp(4, rand_dim(2, 3), rand_dim(1, 5), rand_dim(1, 9), rand_dim(1, 11));
    check_all_ops(x, shp(0, 0, 0, 0, 0), 0, 0);        /* rank 0 */
    check_all_ops(x, shp(1, 1, 0, 0, 0), 0, 1);        /* [1], constant */
    check_all_ops(x, shp(4, 1, 1, 1, 1), 1, 0);        /* [1,1,1,1] */
    check_all_ops(shp(0, 0, 0, 0, 0), shp(0, 0, 0, 0, 0), 0, 0);
}

static void test_binary_equal_shapes(void **state)
{
    (void)state;
    lk_shape x = shp(4, rand_dim(2, 3), rand_dim(1, 7), rand_dim(1, 13), rand_dim(1, 15));
    check_all_ops(x, x, 0, 0);
    check_all_ops(x, x, 0, 1);
    /* Element counts around the vec4 body / scalar tail split. */
    for (int64_t n = 1; n <= 9; n++)
        check_all_ops(shp(1, n, 0, 0, 0), shp(1, n, 0, 0, 0), 0, 0);
    check_all_ops(shp(2, 3, 100003, 0, 0), shp(2, 3, 100003, 0, 0), 0, 0);
}

static void test_binary_rank1_vs_rank4(void **state)
{
    (void)state;
    int64_t w = rand_dim(2, 9);
    check_all_ops(shp(1, w, 0, 0, 0), shp(4, 2, 3, 5, w), 0, 0);
    check_all_ops(shp(1, w, 0, 0, 0), shp(4, 2, 3, 5, w), 1, 0);
}

static void test_binary_per_channel(void **state)
{
    (void)state;
    int64_t ch = rand_dim(3, 9);
    lk_shape x = shp(4, 2, ch, rand_dim(1, 13), rand_dim(1, 13));
    check_all_ops(x, shp(4, 1, ch, 1, 1), 0, 1);
    check_all_ops(x, shp(3, ch, 1, 1, 0), 0, 1);
    check_all_ops(x, shp(4, 2, ch, 1, 1), 0, 0);       /* per (n, c) */
}

static void test_binary_high_rank(void **state)
{
    (void)state;
    /* Rank 8 with broadcasts that do not collapse much. */
    const int64_t a[8] = {2, 1, 3, 1, 2, 1, 3, 2};
    const int64_t b[8] = {1, 2, 1, 3, 1, 2, 1, 2};
    const int64_t c7[7] = {4, 3, 1, 2, 1, 1, 2};
    check_all_ops(lk_shape_make(8, a), lk_shape_make(8, b), 0, 0);
    check_all_ops(lk_shape_make(8, a), lk_shape_make(7, c7), 0, 0);
}

static void test_binary_pow_negative_bases(void **state)
{
    (void)state;
    /* C powf: a negative base with an integer exponent keeps the sign of
     * odd powers, with a fractional one it is NaN; 0 to a positive power
     * is 0, to a negative one +inf; anything to 0 is 1. */
    enum { N = 60 };
    float a[N], b[N];
    for (int i = 0; i < N; i++) {
        float mag = 0.5f + 2.5f * (float)(i % 10) / 9.0f;
        a[i] = i % 3 == 0 ? mag : -mag;
        b[i] = (float)(i % 7 - 3);                     /* -3 .. 3 */
    }
    a[5] = 0.0f;
    b[5] = 2.0f;
    a[11] = -0.0f;
    b[11] = 3.0f;
    a[17] = 0.0f;                                      /* +inf */
    b[17] = -1.0f;
    a[23] = -2.0f;                                     /* NaN */
    b[23] = 0.5f;
    lkt_case c = make_case(LK_BIN_POW, shp(1, N, 0, 0, 0), shp(1, N, 0, 0, 0));
    c.data[0] = a;
    c.data[1] = b;
    lkt_check_both(&c);

    /* x^2 and x^3 with a constant scalar exponent, as exported models do. */
    const float two = 2.0f, three = 3.0f;
    c = make_case(LK_BIN_POW, shp(4, 2, 3, 5, 7), shp(0, 0, 0, 0, 0));
    c.is_const[1] = 1;
    c.lo = -3.0f;
    c.hi = 3.0f;
    c.data[1] = &two;
    lkt_check_both(&c);
    c.data[1] = &three;
    lkt_check_both(&c);
}

/* Runs c through the C reference only and compares with `want`. */
static void expect_reference(const lkt_case *c, const float *want, int64_t n_want)
{
    lk_graph *g = NULL;
    lk_msg msg;
    lk_tensor t[2], out;
    lk_shape os;
    assert_int_equal(lk_graph_new(&g, &msg), LK_OK);
    for (int i = 0; i < 2; i++)
        assert_int_equal(lk_graph_input(g, i ? "b" : "a", &c->in[i], &t[i], &msg), LK_OK);
    assert_int_equal(lk_graph_add(g, c->op, &c->p, "node", t, 2, &out, 1, &msg), LK_OK);
    assert_int_equal(lk_graph_output(g, out, &msg), LK_OK);
    lk_graph_shape(g, out, &os);
    assert_int_equal(lk_shape_numel(&os), n_want);
    float *y = malloc((size_t)n_want * sizeof(float));
    assert_non_null(y);
    assert_int_equal(lk_graph_run_reference(g, (const float *const *)c->data, &y, &msg), LK_OK);
    for (int64_t i = 0; i < n_want; i++)
        if (fabsf(y[i] - want[i]) > 1e-6f * fmaxf(1.0f, fabsf(want[i])))
            fail_msg("element %lld: got %g, want %g", (long long)i, (double)y[i], (double)want[i]);
    free(y);
    lk_graph_free(g);
}

static void test_binary_reference_values(void **state)
{
    (void)state;
    /* [2,1,3] - [2,1]: out[i][j][k] = a[i][0][k] - b[j][0]. */
    const float a[6] = {1, 2, 3, 4, 5, 6}, b[2] = {10, 20};
    const float want[12] = {-9, -8, -7, -19, -18, -17, -6, -5, -4, -16, -15, -14};
    lkt_case c = make_case(LK_BIN_SUB, shp(3, 2, 1, 3, 0), shp(2, 2, 1, 0, 0));
    c.data[0] = a;
    c.data[1] = b;
    expect_reference(&c, want, 12);
    lkt_check_both(&c);

    const float pa[4] = {-2, -2, 4, 0}, pb[4] = {3, -2, 0.5f, 0};
    const float pw[4] = {-8, 0.25f, 2, 1};
    c = make_case(LK_BIN_POW, shp(1, 4, 0, 0, 0), shp(1, 4, 0, 0, 0));
    c.data[0] = pa;
    c.data[1] = pb;
    expect_reference(&c, pw, 4);
    lkt_check_both(&c);
}

static void test_binary_errors(void **state)
{
    (void)state;
    lkt_case c = make_case(LK_BIN_ADD, shp(2, 2, 3, 0, 0), shp(1, 4, 0, 0, 0));
    lkt_expect_error(&c, LK_ERR_SHAPE, "shapes [2,3] and [4] are not broadcastable (axis 1: 3 vs 4)");
    c = make_case(LK_BIN_MUL, shp(4, 2, 3, 4, 5), shp(3, 2, 4, 5, 0));
    lkt_expect_error(&c, LK_ERR_SHAPE, "not broadcastable (axis 1: 3 vs 2)");
    c = make_case(LK_BIN_COUNT, shp(1, 3, 0, 0, 0), shp(1, 3, 0, 0, 0));
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "unknown binary kind 5");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_binary_trailing_axis),
        cmocka_unit_test(test_binary_both_broadcast),
        cmocka_unit_test(test_binary_scalars),
        cmocka_unit_test(test_binary_equal_shapes),
        cmocka_unit_test(test_binary_rank1_vs_rank4),
        cmocka_unit_test(test_binary_per_channel),
        cmocka_unit_test(test_binary_high_rank),
        cmocka_unit_test(test_binary_pow_negative_bases),
        cmocka_unit_test(test_binary_reference_values),
        cmocka_unit_test(test_binary_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
