/* split: uneven sizes on every axis (negative too) of random odd shapes,
 * equal parts (sizes all 0), the reference against a direct index map,
 * and the parameter errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static int64_t rand_dim(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(lkt_rand() % (uint32_t)(hi - lo + 1));
}

/* A split of a random rank-`rank` tensor into n uneven parts along axis. */
static lkt_case make_case(int rank, int axis, int n)
{
    lkt_case c;
    memset(&c, 0, sizeof c);
    c.op = LK_OP_SPLIT;
    lk_params_init(LK_OP_SPLIT, &c.p);
    c.p.split.axis = axis;
    c.p.split.n = n;
    c.n_in = 1;
    c.n_out = n;
    int a = axis < 0 ? axis + rank : axis;
    c.in[0].rank = rank;
    for (int d = 0; d < rank; d++)
        c.in[0].d[d] = rand_dim(1, 7);
    if (rank == 4)
        c.in[0].d[0] = rand_dim(2, 3); /* batch > 1 */
    c.in[0].d[a] = 0;
    for (int j = 0; j < n; j++) {
        c.p.split.sizes[j] = rand_dim(1, 6);
        c.in[0].d[a] += c.p.split.sizes[j];
    }
    return c;
}

static void test_split_axes(void **state)
{
    (void)state;
    for (int rank = 1; rank <= 5; rank++)
        for (int axis = -rank; axis < rank; axis++) {
            lkt_case c = make_case(rank, axis, 2 + (rank + axis + 8) % 4);
            lkt_check_both(&c);
        }
}

static void test_split_equal(void **state)
{
    (void)state;
    /* No sizes: equal parts, as ONNX Split without `split`. */
    lkt_case c = make_case(4, 1, 3);
    c.in[0] = lk_shape4(2, 15, 7, 5);
    memset(c.p.split.sizes, 0, sizeof c.p.split.sizes);
    lkt_check_both(&c);
}

static void test_split_many_outputs(void **state)
{
    (void)state;
    lkt_case c = make_case(3, -1, 16);
    lkt_check_both(&c);
}

/* Runs c through the C reference with x = 0, 1, 2, ...; fills y[j]. */
static void iota_reference(const lkt_case *c, float **y, lk_shape *out_shape)
{
    lk_graph *g = NULL;
    lk_tensor t, out[16];
    lk_msg msg;
    int64_t n = lk_shape_numel(&c->in[0]);
    float *x = malloc((size_t)n * sizeof(float));
    for (int64_t e = 0; e < n; e++)
        x[e] = (float)e;
    assert_int_equal(lk_graph_new(&g, &msg), LK_OK);
    assert_int_equal(lk_graph_input(g, "x", &c->in[0], &t, &msg), LK_OK);
    assert_int_equal(lk_graph_add(g, c->op, &c->p, "node", &t, 1, out, c->n_out, &msg), LK_OK);
    for (int j = 0; j < c->n_out; j++) {
        assert_int_equal(lk_graph_output(g, out[j], &msg), LK_OK);
        lk_graph_shape(g, out[j], &out_shape[j]);
        y[j] = malloc((size_t)lk_shape_numel(&out_shape[j]) * sizeof(float));
    }
    const float *ins[1] = {x};
    assert_int_equal(lk_graph_run_reference(g, ins, y, &msg), LK_OK);
    free(x);
    lk_graph_free(g);
}

static void test_split_reference_map(void **state)
{
    (void)state;
    for (int axis = 0; axis < 4; axis++) {
        lkt_case c = make_case(4, axis, 3);
        float *y[16];
        lk_shape os[16];
        iota_reference(&c, y, os);
        int64_t offset = 0;
        for (int j = 0; j < c.n_out; j++) {
            assert_int_equal(os[j].d[axis], c.p.split.sizes[j]);
            for (int64_t o = 0; o < lk_shape_numel(&os[j]); o++) {
                int64_t coord[4], rest = o, src = 0;
                for (int d = 3; d >= 0; d--) {
                    coord[d] = rest % os[j].d[d];
                    rest /= os[j].d[d];
                }
                coord[axis] += offset;
                for (int d = 0; d < 4; d++)
                    src = src * c.in[0].d[d] + coord[d];
                assert_int_equal((int64_t)y[j][o], src);
            }
            offset += c.p.split.sizes[j];
            free(y[j]);
        }
    }
}

static void test_split_errors(void **state)
{
    (void)state;
    lkt_case c = make_case(4, 1, 3);
    c.in[0] = lk_shape4(2, 8, 3, 3);
    c.p.split.sizes[0] = 2;
    c.p.split.sizes[1] = 2;
    c.p.split.sizes[2] = 3;
    lkt_expect_error(&c, LK_ERR_SHAPE, "split sizes sum to 7, axis 1 has size 8");

    c.p.split.sizes[2] = -1;
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "split size 2 is -1");

    memset(c.p.split.sizes, 0, sizeof c.p.split.sizes);
    lkt_expect_error(&c, LK_ERR_SHAPE, "axis 1 of size 8 does not split into 3 equal parts");

    c.p.split.n = 2;
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "n is 2 but the node has 3 outputs");

    c.p.split.n = 3;
    c.p.split.axis = -5;
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "axis -5 out of range for rank 4");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_axes),
        cmocka_unit_test(test_split_equal),
        cmocka_unit_test(test_split_many_outputs),
        cmocka_unit_test(test_split_reference_map),
        cmocka_unit_test(test_split_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
