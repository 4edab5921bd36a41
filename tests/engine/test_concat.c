/* concat: every axis (negative too) of random odd shapes with 2..5 inputs,
 * a constant input, the reference against a direct index map, and the
 * shape errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define IOTA_STRIDE 100000 /* input i holds i·IOTA_STRIDE + flat index */

static int64_t rand_dim(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(lkt_rand() % (uint32_t)(hi - lo + 1));
}

/* A case of n inputs of rank `rank` differing only along `axis`. */
static lkt_case make_case(int rank, int axis, int n)
{
    lkt_case c;
    memset(&c, 0, sizeof c);
    c.op = LK_OP_CONCAT;
    lk_params_init(LK_OP_CONCAT, &c.p);
    c.p.axis.axis = axis;
    c.n_in = n;
    int a = axis < 0 ? axis + rank : axis;
    lk_shape base = {0};
    base.rank = rank;
    for (int d = 0; d < rank; d++)
        base.d[d] = rand_dim(1, 7);
    if (rank == 4)
        base.d[0] = rand_dim(2, 3); /* batch > 1 */
    for (int i = 0; i < n; i++) {
        c.in[i] = base;
        c.in[i].d[a] = rand_dim(1, 9);
    }
    return c;
}

static void test_concat_axes(void **state)
{
    (void)state;
    for (int rank = 1; rank <= 5; rank++)
        for (int axis = -rank; axis < rank; axis++) {
            lkt_case c = make_case(rank, axis, 2 + (rank + axis + 8) % 4);
            lkt_check_both(&c);
        }
}

static void test_concat_image_channels(void **state)
{
    (void)state;
    /* The common CNN case: a channel concat of feature maps, 5 inputs. */
    lkt_case c = make_case(4, 1, 5);
    for (int i = 0; i < 5; i++)
        c.in[i] = lk_shape4(2, 3 + 2 * i, 17, 13);
    lkt_check_both(&c);
}

static void test_concat_const_input(void **state)
{
    (void)state;
    lkt_case c = make_case(3, -1, 3);
    c.is_const[1] = 1;
    lkt_check_both(&c);
}

/* Runs c through the C reference with iota inputs; returns output 0. */
static float *iota_reference(const lkt_case *c, lk_shape *out_shape)
{
    lk_graph *g = NULL;
    lk_tensor t[8], out;
    const float *ins[8];
    float *x[8];
    lk_msg msg;
    assert_int_equal(lk_graph_new(&g, &msg), LK_OK);
    for (int i = 0; i < c->n_in; i++) {
        int64_t n = lk_shape_numel(&c->in[i]);
        char name[16];
        snprintf(name, sizeof name, "x%d", i);
        x[i] = malloc((size_t)n * sizeof(float));
        for (int64_t e = 0; e < n; e++)
            x[i][e] = (float)(i * IOTA_STRIDE + e);
        ins[i] = x[i];
        assert_int_equal(lk_graph_input(g, name, &c->in[i], &t[i], &msg), LK_OK);
    }
    assert_int_equal(lk_graph_add(g, c->op, &c->p, "node", t, c->n_in, &out, 1, &msg), LK_OK);
    assert_int_equal(lk_graph_output(g, out, &msg), LK_OK);
    lk_graph_shape(g, out, out_shape);
    float *y = malloc((size_t)lk_shape_numel(out_shape) * sizeof(float));
    assert_int_equal(lk_graph_run_reference(g, ins, &y, &msg), LK_OK);
    for (int i = 0; i < c->n_in; i++)
        free(x[i]);
    lk_graph_free(g);
    return y;
}

static void test_concat_reference_map(void **state)
{
    (void)state;
    for (int axis = 0; axis < 4; axis++) {
        lkt_case c = make_case(4, axis, 4);
        lk_shape os;
        float *y = iota_reference(&c, &os);
        int64_t total = 0;
        for (int i = 0; i < c.n_in; i++)
            total += c.in[i].d[axis];
        assert_int_equal(os.rank, 4);
        assert_int_equal(os.d[axis], total);
        int64_t coord[4] = {0};
        for (int64_t o = 0; o < lk_shape_numel(&os); o++) {
            int64_t rest = o;
            for (int d = 3; d >= 0; d--) {
                coord[d] = rest % os.d[d];
                rest /= os.d[d];
            }
            int i = 0;
            int64_t ac = coord[axis];
            while (ac >= c.in[i].d[axis])
                ac -= c.in[i++].d[axis];
            int64_t src = 0;
            for (int d = 0; d < 4; d++)
                src = src * c.in[i].d[d] + (d == axis ? ac : coord[d]);
            assert_int_equal((int64_t)y[o], i * IOTA_STRIDE + src);
        }
        free(y);
    }
}

static void test_concat_errors(void **state)
{
    (void)state;
    lkt_case c = make_case(4, 2, 3);
    for (int i = 0; i < 3; i++)
        c.in[i] = lk_shape4(2, 4, 3 + i, 5);
    c.in[2].d[1] = 5;
    lkt_expect_error(&c, LK_ERR_SHAPE, "concat input 2 dim 1 is 5, expected 4");

    c.in[2] = lk_shape4(2, 4, 3, 5);
    c.in[1].rank = 3;
    lkt_expect_error(&c, LK_ERR_SHAPE, "concat input 1 has rank 3, expected 4");

    c.in[1].rank = 4;
    c.p.axis.axis = 4;
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "axis 4 out of range for rank 4");
    c.p.axis.axis = -5;
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "axis -5 out of range for rank 4");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_concat_axes),
        cmocka_unit_test(test_concat_image_channels),
        cmocka_unit_test(test_concat_const_input),
        cmocka_unit_test(test_concat_reference_map),
        cmocka_unit_test(test_concat_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
