/* matmul: odd sizes in both orientations of the kernel (it computes Yᵀ
 * when M is the smaller side), batches with and without broadcasting,
 * 1-D operands, constant B, fused activations, the vec4 and scalar load
 * paths, random shapes, and the shape errors. */
#include <stdio.h>
#include <string.h>

#include "harness.h"

static lk_shape shape(int rank, const int64_t *d)
{
    return lk_shape_make(rank, d);
}

static lkt_case mm_case(lk_shape a, lk_shape b)
{
    lkt_case c;
    memset(&c, 0, sizeof c);
    c.op = LK_OP_MATMUL;
    lk_params_init(LK_OP_MATMUL, &c.p);
    c.n_in = 2;
    c.in[0] = a;
    c.in[1] = b;
    return c;
}

static void check(const int64_t *da, int ra, const int64_t *db, int rb, int b_const)
{
    lkt_case c = mm_case(shape(ra, da), shape(rb, db));
    c.is_const[1] = b_const;
    lkt_check_both(&c);
}

/* Runs the reference of one matmul node on given data. */
static void reference(lk_shape sa, const float *a, lk_shape sb, const float *b, float *y)
{
    lkt_case c = mm_case(sa, sb);
    lk_graph *g;
    lk_tensor t[2], out;
    lk_msg msg;
    assert_int_equal(lk_graph_new(&g, &msg), LK_OK);
    assert_int_equal(lk_graph_input(g, "a", &c.in[0], &t[0], &msg), LK_OK);
    assert_int_equal(lk_graph_input(g, "b", &c.in[1], &t[1], &msg), LK_OK);
    assert_int_equal(lk_graph_add(g, LK_OP_MATMUL, &c.p, "mm", t, 2, &out, 1, &msg), LK_OK);
    assert_int_equal(lk_graph_output(g, out, &msg), LK_OK);
    const float *ins[2] = {a, b};
    float *outs[1] = {y};
    assert_int_equal(lk_graph_run_reference(g, ins, outs, &msg), LK_OK);
    lk_graph_free(g);
}

/* The reference itself against numpy's rules written out by hand. */
static void test_matmul_reference_semantics(void **state)
{
    (void)state;
    float a[12], b[18], y[24];
    for (int i = 0; i < 12; i++)
        a[i] = (float)(i + 1);
    for (int i = 0; i < 18; i++)
        b[i] = (float)(i % 7) - 3.0f;
    /* [2,1,2,3] x [3,3,2] -> [2,3,2,2]: Y[i,j] = A[i,0] · B[j] */
    const int64_t da[] = {2, 1, 2, 3}, db[] = {3, 3, 2};
    reference(shape(4, da), a, shape(3, db), b, y);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            for (int r = 0; r < 2; r++)
                for (int q = 0; q < 2; q++) {
                    float s = 0.0f;
                    for (int t = 0; t < 3; t++)
                        s += a[i * 6 + r * 3 + t] * b[j * 6 + t * 2 + q];
                    assert_float_equal(y[((i * 3 + j) * 2 + r) * 2 + q], s, 1e-5f);
                }
    /* [3] x [3,3,2] -> [3,2]: Y[j] = a · B[j] */
    const int64_t dk[] = {3};
    reference(shape(1, dk), a, shape(3, db), b, y);
    for (int j = 0; j < 3; j++)
        for (int q = 0; q < 2; q++) {
            float s = 0.0f;
            for (int t = 0; t < 3; t++)
                s += a[t] * b[j * 6 + t * 2 + q];
            assert_float_equal(y[j * 2 + q], s, 1e-5f);
        }
    /* [2,2,3] x [3] -> [2,2]: Y[i,r] = A[i,r] · b */
    const int64_t dm[] = {2, 2, 3};
    reference(shape(3, dm), a, shape(1, dk), b, y);
    for (int r = 0; r < 4; r++) {
        float s = 0.0f;
        for (int t = 0; t < 3; t++)
            s += a[r * 3 + t] * b[t];
        assert_float_equal(y[r], s, 1e-5f);
    }
}

static void test_matmul_odd(void **state)
{
    (void)state;
    const int64_t a[] = {33, 17}, b[] = {17, 65};  /* Yᵀ orientation */
    check(a, 2, b, 2, 0);
    const int64_t a2[] = {65, 17}, b2[] = {17, 33}; /* Y orientation */
    check(a2, 2, b2, 2, 0);
    const int64_t a3[] = {1, 1}, b3[] = {1, 1};
    check(a3, 2, b3, 2, 0);
    const int64_t a4[] = {7, 3}, b4[] = {3, 5};
    check(a4, 2, b4, 2, 0);
}

static void test_matmul_vec_paths(void **state)
{
    (void)state;
    /* K a multiple of 4 takes the vec4 loads for k-contiguous A; odd
     * matrix sizes in a batch misalign every other matrix (scalar path). */
    const int64_t a[] = {70, 64}, b[] = {64, 40};
    check(a, 2, b, 2, 0);
    const int64_t a2[] = {3, 37, 12}, b2[] = {3, 12, 19};
    check(a2, 3, b2, 3, 0);
    const int64_t a3[] = {3, 37, 13}, b3[] = {3, 13, 19};
    check(a3, 3, b3, 3, 0);
}

static void test_matmul_batch(void **state)
{
    (void)state;
    const int64_t a[] = {3, 33, 17}, b[] = {3, 17, 65};
    check(a, 3, b, 3, 0);
    /* [2,3,M,K] x [K,N]: B shared by every batch */
    const int64_t a2[] = {2, 3, 19, 21}, b2[] = {21, 35};
    check(a2, 4, b2, 2, 0);
    /* [1,M,K] x [4,K,N]: A shared */
    const int64_t a3[] = {1, 45, 9}, b3[] = {4, 9, 23};
    check(a3, 3, b3, 3, 0);
    /* [2,1,M,K] x [3,K,N] -> [2,3,M,N]: both broadcast */
    const int64_t a4[] = {2, 1, 10, 6}, b4[] = {3, 6, 11};
    check(a4, 4, b4, 3, 0);
    /* attention scores Q·Kᵀ with a runtime B */
    const int64_t a5[] = {2, 4, 33, 16}, b5[] = {2, 4, 16, 33};
    check(a5, 4, b5, 4, 0);
}

static void test_matmul_1d(void **state)
{
    (void)state;
    const int64_t k[] = {29}, kn[] = {29, 40}, mk[] = {40, 29}, bkn[] = {2, 29, 13},
                  bmk[] = {2, 3, 11, 29};
    check(k, 1, kn, 2, 0);   /* [K] x [K,N] -> [N] */
    check(mk, 2, k, 1, 0);   /* [M,K] x [K] -> [M] */
    /* [K] x [K] -> scalar, fp32 only: one output is one cancelling sum, so
     * its error relative to itself is unbounded once the inputs are rounded
     * to fp16 (the other shapes normalise by their largest output). */
    lkt_case dot = mm_case(shape(1, k), shape(1, k));
    lkt_check(&dot);
    check(k, 1, bkn, 3, 0);  /* [K] x [2,K,N] -> [2,N] */
    check(bmk, 4, k, 1, 1);  /* [2,3,M,K] x [K] -> [2,3,M] */

    lkt_case c = mm_case(shape(1, k), shape(1, k));
    lk_graph *g;
    lk_tensor t[2], out;
    lk_msg msg;
    float data[29] = {0};
    assert_int_equal(lk_graph_new(&g, &msg), LK_OK);
    assert_int_equal(lk_graph_input(g, "a", &c.in[0], &t[0], &msg), LK_OK);
    assert_int_equal(lk_graph_constant(g, "b", &c.in[1], data, &t[1], &msg), LK_OK);
    assert_int_equal(lk_graph_add(g, LK_OP_MATMUL, &c.p, "dot", t, 2, &out, 1, &msg), LK_OK);
    lk_shape s;
    lk_graph_shape(g, out, &s);
    assert_int_equal(s.rank, 0);
    lk_graph_free(g);
}

static void test_matmul_const_b(void **state)
{
    (void)state;
    /* A fully connected layer: batch of feature vectors times weights. */
    const int64_t a[] = {5, 96}, b[] = {96, 50};
    check(a, 2, b, 2, 1);
    /* A classifier head on one image (a GEMV). */
    const int64_t a2[] = {1, 256}, b2[] = {256, 1000};
    check(a2, 2, b2, 2, 1);
    const int64_t a3[] = {2, 3, 17, 24}, b3[] = {24, 9};
    check(a3, 4, b3, 2, 1);
    /* batched constant B (repacked per matrix), K not a multiple of 4 */
    const int64_t a4[] = {1, 45, 9}, b4[] = {4, 9, 23};
    check(a4, 3, b4, 3, 1);
    const int64_t a5[] = {2, 1, 10, 6}, b5[] = {3, 6, 11};
    check(a5, 4, b5, 3, 1);
}

static void test_matmul_activation(void **state)
{
    (void)state;
    const lk_act acts[] = {LK_ACT_RELU, LK_ACT_GELU, LK_ACT_CLIP, LK_ACT_LEAKY_RELU};
    for (size_t i = 0; i < sizeof acts / sizeof *acts; i++) {
        const int64_t a[] = {2, 21, 13}, b[] = {13, 30};
        lkt_case c = mm_case(shape(3, a), shape(2, b));
        c.p.matmul.act.kind = acts[i];
        c.p.matmul.act.alpha = acts[i] == LK_ACT_CLIP ? -0.5f : 0.1f;
        c.p.matmul.act.beta = 0.5f;
        lkt_check_both(&c);
    }
}

static void test_matmul_random(void **state)
{
    (void)state;
    for (int iter = 0; iter < 6; iter++) {
        int64_t m = 1 + lkt_rand() % 80, n = 1 + lkt_rand() % 80, k = 1 + lkt_rand() % 70;
        int64_t batch = 1 + lkt_rand() % 3;
        const int64_t a[] = {batch, m, k}, b[] = {k, n};
        print_message("matmul [%lld,%lld,%lld] x [%lld,%lld]\n", (long long)batch, (long long)m,
                      (long long)k, (long long)k, (long long)n);
        check(a, 3, b, 2, (int)(lkt_rand() % 2));
    }
}

static void test_matmul_large(void **state)
{
    (void)state;
    /* Several full blocks in both directions plus edges. */
    const int64_t a[] = {131, 200}, b[] = {200, 77};
    check(a, 2, b, 2, 0);
}

static void test_matmul_errors(void **state)
{
    (void)state;
    const int64_t a[] = {4, 5}, b[] = {6, 7};
    lkt_case c = mm_case(shape(2, a), shape(2, b));
    lkt_expect_error(&c, LK_ERR_SHAPE, "inner dimensions differ");

    const int64_t a2[] = {2, 4, 5}, b2[] = {3, 5, 6};
    c = mm_case(shape(3, a2), shape(3, b2));
    lkt_expect_error(&c, LK_ERR_SHAPE, "not broadcastable");

    const int64_t k[] = {5}, k2[] = {6};
    c = mm_case(shape(1, k), shape(1, k2));
    lkt_expect_error(&c, LK_ERR_SHAPE, "K=5");

    c = mm_case(shape(0, k), shape(1, k));
    lkt_expect_error(&c, LK_ERR_SHAPE, "rank >= 1");

    const int64_t b3[] = {5, 6};
    c = mm_case(shape(2, a), shape(2, b3));
    c.p.matmul.act.kind = LK_ACT_COUNT;
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "activation");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matmul_reference_semantics),
        cmocka_unit_test(test_matmul_odd),
        cmocka_unit_test(test_matmul_vec_paths),
        cmocka_unit_test(test_matmul_batch),
        cmocka_unit_test(test_matmul_1d),
        cmocka_unit_test(test_matmul_const_b),
        cmocka_unit_test(test_matmul_activation),
        cmocka_unit_test(test_matmul_random),
        cmocka_unit_test(test_matmul_large),
        cmocka_unit_test(test_matmul_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
