/* transpose: all 24 permutations of a 4-D tensor with batch > 1 and odd
 * dims, attention-style 5-D transposes of [1,4,2,32,100], all 120
 * permutations of a small 5-D tensor, 6-D pixel-shuffle perms, ranks 1-2,
 * the reference against a direct index map, and bad perms. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h" /* lk_shape_strides */
#include "harness.h"

static int64_t rand_dim(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(lkt_rand() % (uint32_t)(hi - lo + 1));
}

static lkt_case make_case(const lk_shape *in, const int *perm)
{
    lkt_case c;
    memset(&c, 0, sizeof c);
    c.op = LK_OP_TRANSPOSE;
    lk_params_init(LK_OP_TRANSPOSE, &c.p);
    c.n_in = 1;
    c.in[0] = *in;
    memcpy(c.p.transpose.perm, perm, (size_t)in->rank * sizeof *perm);
    return c;
}

/* Checks the C reference with x = 0, 1, 2, ...: output element at
 * coordinate u must come from input coordinate v with v[perm[i]] = u[i]. */
static void check_reference(const lkt_case *c)
{
    lk_graph *g = NULL;
    lk_tensor t, out;
    lk_shape os;
    lk_msg msg;
    const lk_shape *in = &c->in[0];
    const int *perm = c->p.transpose.perm;
    int64_t n = lk_shape_numel(in), strides[LK_MAX_DIMS];
    float *x = malloc((size_t)n * sizeof(float)), *y = malloc((size_t)n * sizeof(float));
    for (int64_t e = 0; e < n; e++)
        x[e] = (float)e;
    assert_int_equal(lk_graph_new(&g, &msg), LK_OK);
    assert_int_equal(lk_graph_input(g, "x", in, &t, &msg), LK_OK);
    assert_int_equal(lk_graph_add(g, LK_OP_TRANSPOSE, &c->p, "t", &t, 1, &out, 1, &msg), LK_OK);
    assert_int_equal(lk_graph_output(g, out, &msg), LK_OK);
    lk_graph_shape(g, out, &os);
    const float *ins[1] = {x};
    assert_int_equal(lk_graph_run_reference(g, ins, &y, &msg), LK_OK);
    lk_shape_strides(in, strides);
    for (int i = 0; i < in->rank; i++)
        assert_int_equal(os.d[i], in->d[perm[i]]);
    for (int64_t o = 0; o < n; o++) {
        int64_t rest = o, src = 0;
        for (int i = in->rank - 1; i >= 0; i--) {
            src += (rest % os.d[i]) * strides[perm[i]];
            rest /= os.d[i];
        }
        assert_int_equal((int64_t)y[o], src);
    }
    free(x);
    free(y);
    lk_graph_free(g);
}

/* Calls f on every permutation of 0..rank-1 (Heap's algorithm). */
static void each_perm(int rank, void (*f)(const int *perm, void *arg), void *arg)
{
    int perm[LK_MAX_DIMS], cnt[LK_MAX_DIMS] = {0};
    for (int i = 0; i < rank; i++)
        perm[i] = i;
    f(perm, arg);
    for (int i = 1; i < rank;) {
        if (cnt[i] < i) {
            int j = i % 2 ? cnt[i] : 0, tmp = perm[j];
            perm[j] = perm[i];
            perm[i] = tmp;
            f(perm, arg);
            cnt[i]++;
            i = 1;
        } else {
            cnt[i++] = 0;
        }
    }
}

static void check_gpu_and_reference(const int *perm, void *arg)
{
    lkt_case c = make_case(arg, perm);
    check_reference(&c);
    lkt_check_both(&c);
}

static void test_transpose_4d_all_perms(void **state)
{
    (void)state;
    lk_shape s = lk_shape4(rand_dim(2, 3), rand_dim(3, 9) | 1, rand_dim(2, 9), rand_dim(5, 17) | 1);
    each_perm(4, check_gpu_and_reference, &s);
}

static void test_transpose_5d_all_perms(void **state)
{
    (void)state;
    const int64_t d[5] = {2, 3, 4, 5, 7};
    lk_shape s = lk_shape_make(5, d);
    each_perm(5, check_gpu_and_reference, &s);
}

static void test_transpose_attention(void **state)
{
    (void)state;
    /* [batch, heads, q/k/v, head_dim, tokens] and the moves attention
     * blocks make between head-major and token-major layouts. */
    const int64_t d[5] = {1, 4, 2, 32, 100};
    const lk_shape s = lk_shape_make(5, d);
    static const int perms[][5] = {
        {0, 1, 2, 4, 3}, {0, 2, 1, 4, 3}, {2, 0, 1, 4, 3}, {0, 1, 4, 2, 3},
        {0, 2, 1, 3, 4}, {0, 4, 1, 3, 2}, {4, 3, 2, 1, 0},
    };
    for (size_t i = 0; i < sizeof perms / sizeof perms[0]; i++) {
        lkt_case c = make_case(&s, perms[i]);
        lkt_check_both(&c);
    }
}

static void test_transpose_6d(void **state)
{
    (void)state;
    /* Pixel shuffle / unshuffle and a full reversal. */
    const int64_t d[6] = {2, 3, 2, 5, 3, 7};
    const lk_shape s = lk_shape_make(6, d);
    static const int perms[][6] = {
        {0, 1, 4, 2, 5, 3}, {0, 1, 3, 5, 2, 4}, {5, 4, 3, 2, 1, 0}, {0, 2, 4, 1, 3, 5},
    };
    for (size_t i = 0; i < sizeof perms / sizeof perms[0]; i++) {
        lkt_case c = make_case(&s, perms[i]);
        check_reference(&c);
        lkt_check_both(&c);
    }
}

static void test_transpose_low_rank(void **state)
{
    (void)state;
    const int64_t d1[1] = {37}, d2[2] = {33, 65};
    const lk_shape s1 = lk_shape_make(1, d1), s2 = lk_shape_make(2, d2);
    const int id[1] = {0}, swap[2] = {1, 0};
    lkt_case c = make_case(&s1, id);
    lkt_check_both(&c);
    c = make_case(&s2, swap);
    check_reference(&c);
    lkt_check_both(&c);
}

static void test_transpose_errors(void **state)
{
    (void)state;
    const lk_shape s = lk_shape4(2, 3, 4, 5);
    const int dup[4] = {0, 1, 1, 3}, range[4] = {0, 1, 4, 2}, neg[4] = {0, -1, 2, 3};
    lkt_case c = make_case(&s, dup);
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "perm [0,1,1,3] is not a permutation of 0..3");
    c = make_case(&s, range);
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "perm [0,1,4,2] is not a permutation of 0..3");
    c = make_case(&s, neg);
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "perm [0,-1,2,3] is not a permutation");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transpose_4d_all_perms),
        cmocka_unit_test(test_transpose_5d_all_perms),
        cmocka_unit_test(test_transpose_attention),
        cmocka_unit_test(test_transpose_6d),
        cmocka_unit_test(test_transpose_low_rank),
        cmocka_unit_test(test_transpose_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
