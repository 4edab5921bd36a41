/* reshape: 0 (copy) and -1 (inferred) dims, flatten/squeeze/unsqueeze
 * shapes on random odd sizes with batch > 1. The output is a view of the
 * graph input, so the net has to read it back from the input's memory;
 * views of views feeding a kernel are checked in a small graph. Errors:
 * element count mismatch, two -1, a 0 past the input rank. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h" /* lk_shape_eq */
#include "harness.h"

static int64_t rand_dim(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(lkt_rand() % (uint32_t)(hi - lo + 1));
}

static lkt_case make_case(const lk_shape *in, int rank, const int64_t *target)
{
    lkt_case c;
    memset(&c, 0, sizeof c);
    c.op = LK_OP_RESHAPE;
    lk_params_init(LK_OP_RESHAPE, &c.p);
    c.n_in = 1;
    c.in[0] = *in;
    c.p.reshape.shape = lk_shape_make(rank, target);
    return c;
}

/* The shape the graph infers for c. */
static lk_shape inferred(const lkt_case *c)
{
    lk_graph *g = NULL;
    lk_tensor t, out;
    lk_shape s;
    lk_msg msg;
    assert_int_equal(lk_graph_new(&g, &msg), LK_OK);
    assert_int_equal(lk_graph_input(g, "x", &c->in[0], &t, &msg), LK_OK);
    assert_int_equal(lk_graph_add(g, c->op, &c->p, "r", &t, 1, &out, 1, &msg), LK_OK);
    lk_graph_shape(g, out, &s);
    lk_graph_free(g);
    return s;
}

static void expect_shape(const lkt_case *c, int rank, const int64_t *want)
{
    lk_shape s = inferred(c), w = lk_shape_make(rank, want);
    char a[128], b[128];
    if (!lk_shape_eq(&s, &w))
        fail_msg("reshape to %s gave %s, expected %s",
                 lk_shape_str(&c->p.reshape.shape, a, sizeof a), lk_shape_str(&s, b, sizeof b),
                 lk_shape_str(&w, a, sizeof a));
}

static void test_reshape_shapes(void **state)
{
    (void)state;
    int64_t n = rand_dim(2, 3), ch = rand_dim(1, 4) * 2 + 1, h = rand_dim(3, 9), w = rand_dim(3, 9) | 1;
    const lk_shape s = lk_shape4(n, ch, h, w);
    struct { int rank; int64_t t[LK_MAX_DIMS]; int want_rank; int64_t want[LK_MAX_DIMS]; } cases[] = {
        {2, {0, -1}, 2, {n, ch * h * w}},               /* Flatten(axis=1) */
        {3, {0, 0, -1}, 3, {n, ch, h * w}},
        {2, {-1, w}, 2, {n * ch * h, w}},
        {6, {n, 1, ch, h, w, 1}, 6, {n, 1, ch, h, w, 1}}, /* Unsqueeze */
        {5, {0, 0, 0, 0, 1}, 5, {n, ch, h, w, 1}},
        {1, {-1}, 1, {n * ch * h * w}},
        {4, {0, h, -1, 0}, 4, {n, h, ch, w}},         /* same count, dims moved */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lkt_case c = make_case(&s, cases[i].rank, cases[i].t);
        expect_shape(&c, cases[i].want_rank, cases[i].want);
        lkt_check_both(&c);
    }
}

static void test_reshape_squeeze(void **state)
{
    (void)state;
    const int64_t in[5] = {1, 7, 1, 5, 1}, t[2] = {7, 5}, one[3] = {1, 1, 1};
    lk_shape s = lk_shape_make(5, in);
    lkt_case c = make_case(&s, 2, t);
    expect_shape(&c, 2, t);
    lkt_check_both(&c);
    /* Down to a scalar. */
    s = lk_shape_make(3, one);
    c = make_case(&s, 0, NULL);
    expect_shape(&c, 0, NULL);
    lkt_check_both(&c);
}


static void test_reshape_view_chain(void **state)
{
    (void)state;
    /* x -> reshape -> reshape -> transpose, with both views also outputs:
     * views of views read by a kernel and read back from input memory. */
    const lk_shape s = lk_shape4(3, 5, 4, 7);
    const int64_t t1[3] = {0, -1, 7}, t2[4] = {3, 5, 2, -1};
    lk_graph *g = NULL;
    lk_tensor x, r1, r2, tr;
    lk_params p1, p2, pt;
    lk_shape outs[3];
    lk_msg msg;
    lk_params_init(LK_OP_RESHAPE, &p1);
    lk_params_init(LK_OP_RESHAPE, &p2);
    lk_params_init(LK_OP_TRANSPOSE, &pt);
    p1.reshape.shape = lk_shape_make(3, t1);
    p2.reshape.shape = lk_shape_make(4, t2);
    const int perm[4] = {0, 3, 1, 2};
    memcpy(pt.transpose.perm, perm, sizeof perm);
    assert_int_equal(lk_graph_new(&g, &msg), LK_OK);
    assert_int_equal(lk_graph_input(g, "x", &s, &x, &msg), LK_OK);
    assert_int_equal(lk_graph_add(g, LK_OP_RESHAPE, &p1, "r1", &x, 1, &r1, 1, &msg), LK_OK);
    assert_int_equal(lk_graph_add(g, LK_OP_RESHAPE, &p2, "r2", &r1, 1, &r2, 1, &msg), LK_OK);
    assert_int_equal(lk_graph_add(g, LK_OP_TRANSPOSE, &pt, "t", &r2, 1, &tr, 1, &msg), LK_OK);
    assert_int_equal(lk_graph_output(g, tr, &msg), LK_OK);
    assert_int_equal(lk_graph_output(g, r2, &msg), LK_OK);
    assert_int_equal(lk_graph_output(g, r1, &msg), LK_OK);
    lk_graph_shape(g, tr, &outs[0]);
    lk_graph_shape(g, r2, &outs[1]);
    lk_graph_shape(g, r1, &outs[2]);
    lkt_check_graph(g, NULL, NULL);
    lk_graph_free(g);
}

static void test_reshape_errors(void **state)
{
    (void)state;
    const int64_t in[3] = {2, 3, 4};
    const lk_shape s = lk_shape_make(3, in);
    const int64_t bad_count[2] = {5, 5}, two_infer[3] = {-1, 2, -1}, zero_past[4] = {0, 0, 0, 0},
                  negative[2] = {4, -2}, indivisible[2] = {5, -1};
    lkt_case c = make_case(&s, 2, bad_count);
    lkt_expect_error(&c, LK_ERR_SHAPE, "cannot reshape [2,3,4] (24 elements) to [5,5]");
    c = make_case(&s, 2, indivisible);
    lkt_expect_error(&c, LK_ERR_SHAPE, "cannot reshape [2,3,4] (24 elements) to [5,-1]");
    c = make_case(&s, 3, two_infer);
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "shape [-1,2,-1] has more than one -1");
    c = make_case(&s, 4, zero_past);
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "shape[3] is 0 (copy) but the input [2,3,4] has rank 3");
    c = make_case(&s, 2, negative);
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "shape[1] is -2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reshape_shapes),
        cmocka_unit_test(test_reshape_squeeze),
        cmocka_unit_test(test_reshape_view_chain),
        cmocka_unit_test(test_reshape_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
