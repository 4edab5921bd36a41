/* gemm: every trans_a/trans_b combination, alpha/beta, each broadcast form
 * of C (absent, scalar, [N], [1], [M,1], [1,N], [M,N]), constant weights
 * in both layouts, fused activations, and the parameter and shape
 * errors. */
#include <stdio.h>
#include <string.h>

#include "harness.h"

/* op(A) [m,k], op(B) [k,n]; c_rank < 0 means no C input. */
static lkt_case gemm_case(int64_t m, int64_t n, int64_t k, int ta, int tb, lk_shape c_shape)
{
    lkt_case c;
    memset(&c, 0, sizeof c);
    c.op = LK_OP_GEMM;
    lk_params_init(LK_OP_GEMM, &c.p);
    c.p.gemm.trans_a = ta;
    c.p.gemm.trans_b = tb;
    const int64_t a[] = {ta ? k : m, ta ? m : k}, b[] = {tb ? n : k, tb ? k : n};
    c.in[0] = lk_shape_make(2, a);
    c.in[1] = lk_shape_make(2, b);
    c.n_in = c_shape.rank >= 0 ? 3 : 2;
    c.in[2] = c_shape;
    return c;
}

static lk_shape no_c(void)
{
    lk_shape s;
    memset(&s, 0, sizeof s);
    s.rank = -1;
    return s;
}

static lk_shape shp(int rank, int64_t d0, int64_t d1)
{
    const int64_t d[] = {d0, d1};
    return lk_shape_make(rank, d);
}

static void test_gemm_transposes(void **state)
{
    (void)state;
    for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
            /* both orientations of the kernel: M > N and M < N */
            lkt_case c = gemm_case(33, 65, 17, ta, tb, shp(1, 65, 0));
            lkt_check_both(&c);
            c = gemm_case(70, 21, 36, ta, tb, no_c());
            lkt_check_both(&c);
        }
}

static void test_gemm_alpha_beta(void **state)
{
    (void)state;
    lkt_case c = gemm_case(19, 23, 11, 0, 1, shp(2, 19, 23));
    c.p.gemm.alpha = 0.5f;
    c.p.gemm.beta = -2.0f;
    lkt_check_both(&c);
    c.p.gemm.alpha = -1.25f;
    c.p.gemm.beta = 0.0f;
    lkt_check_both(&c);
    c = gemm_case(19, 23, 11, 1, 0, no_c());
    c.p.gemm.alpha = 3.0f;
    lkt_check_both(&c);
}

static void test_gemm_c_broadcast(void **state)
{
    (void)state;
    /* M > N and M < N: the kernel's transposed orientation swaps C's
     * strides too. */
    for (int o = 0; o < 2; o++) {
        const int64_t m = o ? 34 : 21, n = o ? 21 : 34, k = 15;
        const lk_shape forms[] = {
            shp(0, 0, 0),  /* scalar */
            shp(1, n, 0),  /* [N] */
            shp(1, 1, 0),  /* [1] */
            shp(2, m, 1),  /* [M,1] */
            shp(2, 1, n),  /* [1,N] */
            shp(2, 1, 1),  /* [1,1] */
            shp(2, m, n),  /* [M,N] */
        };
        for (size_t i = 0; i < sizeof forms / sizeof *forms; i++) {
            lkt_case c = gemm_case(m, n, k, (int)(i % 2), (int)(i / 2 % 2), forms[i]);
            c.p.gemm.beta = 0.75f;
            c.is_const[2] = (int)(i % 3 == 0);
            lkt_check_both(&c);
        }
    }
}

static void test_gemm_fc_layer(void **state)
{
    (void)state;
    /* ONNX's usual fully connected layer: transB weights, bias [N], ReLU;
     * batch 1 (GEMV) and batch 3. */
    for (int64_t batch = 1; batch <= 3; batch += 2) {
        lkt_case c = gemm_case(batch, 100, 128, 0, 1, shp(1, 100, 0));
        c.is_const[1] = c.is_const[2] = 1;
        c.p.gemm.act.kind = LK_ACT_RELU;
        lkt_check_both(&c);
    }
    lkt_case c = gemm_case(4, 37, 20, 1, 1, shp(2, 1, 37));
    c.is_const[1] = c.is_const[2] = 1;
    c.p.gemm.act.kind = LK_ACT_HARDSWISH;
    lkt_check_both(&c);
    /* constant weights in each layout, K odd: every one is repacked */
    for (int tb = 0; tb < 2; tb++) {
        c = gemm_case(6, 30, 13, 0, tb, no_c());
        c.is_const[1] = 1;
        lkt_check_both(&c);
        c = gemm_case(40, 7, 13, 1, tb, shp(2, 40, 1));
        c.is_const[1] = 1;
        lkt_check_both(&c);
    }
}

static void test_gemm_random(void **state)
{
    (void)state;
    for (int iter = 0; iter < 6; iter++) {
        int64_t m = 1 + lkt_rand() % 70, n = 1 + lkt_rand() % 70, k = 1 + lkt_rand() % 60;
        int ta = (int)(lkt_rand() % 2), tb = (int)(lkt_rand() % 2);
        print_message("gemm m=%lld n=%lld k=%lld trans %d %d\n", (long long)m, (long long)n,
                      (long long)k, ta, tb);
        lkt_case c = gemm_case(m, n, k, ta, tb, shp(2, m, n));
        c.p.gemm.alpha = lkt_uniform(-2.0f, 2.0f);
        c.p.gemm.beta = lkt_uniform(-2.0f, 2.0f);
        lkt_check_both(&c);
    }
}

static void test_gemm_errors(void **state)
{
    (void)state;
    lkt_case c = gemm_case(4, 5, 6, 0, 0, no_c());
    c.in[1].d[0] = 7;
    lkt_expect_error(&c, LK_ERR_SHAPE, "inner dimensions differ");

    c = gemm_case(4, 5, 6, 1, 0, no_c());
    c.in[0].d[0] = 3; /* A [3,4] transposed gives K=3 */
    lkt_expect_error(&c, LK_ERR_SHAPE, "transposed");

    c = gemm_case(4, 5, 6, 0, 0, shp(2, 5, 4)); /* C [N,M] */
    lkt_expect_error(&c, LK_ERR_SHAPE, "C [5,4] is not broadcastable to [M,N] = [4,5]");

    c = gemm_case(4, 5, 6, 0, 0, shp(1, 4, 0)); /* C [M] */
    lkt_expect_error(&c, LK_ERR_SHAPE, "not broadcastable");

    const int64_t d3[] = {1, 4, 5};
    c = gemm_case(4, 5, 6, 0, 0, lk_shape_make(3, d3));
    lkt_expect_error(&c, LK_ERR_SHAPE, "not broadcastable");

    c = gemm_case(4, 5, 6, 0, 0, no_c());
    const int64_t a3[] = {1, 4, 6};
    c.in[0] = lk_shape_make(3, a3);
    lkt_expect_error(&c, LK_ERR_SHAPE, "must both be 2-D");

    c = gemm_case(4, 5, 6, 0, 0, no_c());
    c.p.gemm.trans_a = 2;
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "trans_a");

    c = gemm_case(4, 5, 6, 0, 0, no_c());
    c.p.gemm.act.kind = (lk_act)-1;
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "activation");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gemm_transposes),
        cmocka_unit_test(test_gemm_alpha_beta),
        cmocka_unit_test(test_gemm_c_broadcast),
        cmocka_unit_test(test_gemm_fc_layer),
        cmocka_unit_test(test_gemm_random),
        cmocka_unit_test(test_gemm_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
