/* gather: scalar, 1-D and 2-D indices (negative ones too) on every axis
 * (negative too) of a random 4-D tensor with batch > 1 and odd dims; the
 * reference against a direct index map; the ShuffleNet-v2 channel
 * shuffle (reshape, transpose, reshape, axis-0 gathers) as a graph; and
 * out-of-range indices and bad parameters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h" /* lk_shape_strides */
#include "harness.h"

static int64_t rand_range(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(lkt_rand() % (uint32_t)(hi - lo + 1));
}

/* Random indices for an axis of size dim, about a third negative. */
static void rand_indices(int64_t *idx, int n, int64_t dim)
{
    for (int j = 0; j < n; j++) {
        idx[j] = rand_range(0, dim - 1);
        if (lkt_rand() % 3 == 0)
            idx[j] -= dim;
    }
}

static lkt_case make_case(const lk_shape *in, int axis, const int64_t *idx,
                          int irank, const int64_t *idims)
{
    lkt_case c;
    memset(&c, 0, sizeof c);
    c.op = LK_OP_GATHER;
    lk_params_init(LK_OP_GATHER, &c.p);
    c.n_in = 1;
    c.in[0] = *in;
    c.p.gather.axis = axis;
    c.p.gather.indices_shape = lk_shape_make(irank, idims);
    c.p.gather.n_indices = (int)lk_shape_numel(&c.p.gather.indices_shape);
    c.p.gather.indices = idx;
    return c;
}

/* Checks the C reference with x = 0, 1, 2, ... against the definition
 * out[o..., j..., i...] = x[o..., idx[j], i...]. */
static void check_reference(const lkt_case *c)
{
    const lk_gather_params *p = &c->p.gather;
    const lk_shape *in = &c->in[0];
    int axis = p->axis < 0 ? p->axis + in->rank : p->axis;
    lk_graph *g = NULL;
    lk_tensor t, out;
    lk_shape os;
    lk_msg msg;
    int64_t n = lk_shape_numel(in), strides[LK_MAX_DIMS];
    float *x = malloc((size_t)n * sizeof(float));
    for (int64_t e = 0; e < n; e++)
        x[e] = (float)e;
    assert_int_equal(lk_graph_new(&g, &msg), LK_OK);
    assert_int_equal(lk_graph_input(g, "x", in, &t, &msg), LK_OK);
    assert_int_equal(lk_graph_add(g, LK_OP_GATHER, &c->p, "g", &t, 1, &out, 1, &msg), LK_OK);
    assert_int_equal(lk_graph_output(g, out, &msg), LK_OK);
    lk_graph_shape(g, out, &os);
    int irank = p->indices_shape.rank;
    assert_int_equal(os.rank, in->rank - 1 + irank);
    float *y = malloc((size_t)lk_shape_numel(&os) * sizeof(float));
    const float *ins[1] = {x};
    assert_int_equal(lk_graph_run_reference(g, ins, &y, &msg), LK_OK);
    lk_shape_strides(in, strides);
    for (int64_t o = 0; o < lk_shape_numel(&os); o++) {
        int64_t coord[LK_MAX_DIMS], rest = o, src = 0, j = 0;
        for (int d = os.rank - 1; d >= 0; d--) {
            coord[d] = rest % os.d[d];
            rest /= os.d[d];
        }
        for (int d = 0; d < irank; d++)
            j = j * p->indices_shape.d[d] + coord[axis + d];
        int64_t idx = p->indices[j] < 0 ? p->indices[j] + in->d[axis] : p->indices[j];
        for (int d = 0; d < in->rank; d++)
            src += strides[d] * (d < axis ? coord[d] : d == axis ? idx : coord[d - 1 + irank]);
        assert_int_equal((int64_t)y[o], src);
    }
    free(x);
    free(y);
    lk_graph_free(g);
}

static void test_gather_axes(void **state)
{
    (void)state;
    const lk_shape s = lk_shape4(rand_range(2, 3), rand_range(3, 9) | 1, rand_range(4, 9),
                                 rand_range(5, 13) | 1);
    for (int axis = -4; axis < 4; axis++) {
        int a = axis < 0 ? axis + 4 : axis;
        int64_t idx[12];
        const int64_t d1[1] = {5}, d2[2] = {3, 4};
        rand_indices(idx, 12, s.d[a]);
        /* Scalar index: the axis disappears. */
        lkt_case c = make_case(&s, axis, idx, 0, NULL);
        check_reference(&c);
        lkt_check_both(&c);
        c = make_case(&s, axis, idx, 1, d1);
        check_reference(&c);
        lkt_check_both(&c);
        c = make_case(&s, axis, idx, 2, d2);
        check_reference(&c);
        lkt_check_both(&c);
    }
}

static void test_gather_embedding(void **state)
{
    (void)state;
    /* A constant 2-D table gathered by a 2-D index tensor (an embedding
     * lookup). */
    const int64_t d[2] = {50, 17}, id[2] = {3, 7};
    const lk_shape s = lk_shape_make(2, d);
    int64_t idx[21];
    rand_indices(idx, 21, 50);
    lkt_case c = make_case(&s, 0, idx, 2, id);
    c.is_const[0] = 1;
    check_reference(&c);
    lkt_check_both(&c);
    /* One element of a vector: a rank-0 output. */
    const int64_t dv[1] = {13}, last = -1;
    const lk_shape v = lk_shape_make(1, dv);
    c = make_case(&v, 0, &last, 0, NULL);
    check_reference(&c);
    lkt_check_both(&c);
}


static void test_gather_channel_shuffle(void **state)
{
    (void)state;
    /* ShuffleNet-v2 as exported to ONNX: x [N,2C,H,W] -> Reshape [N*C,2,H*W]
     * -> Transpose [1,0,2] -> Reshape [2,-1,C,H,W] -> Gather(axis 0) of 0
     * and of 1. Branch b takes channels 2c+b, in the original sample. */
    const int64_t n = 2, ch = 29, h = 7, w = 5;
    const lk_shape s = lk_shape4(n, 2 * ch, h, w);
    const int64_t t1[3] = {n * ch, 2, h * w}, t2[5] = {2, -1, ch, h, w};
    const int perm[3] = {1, 0, 2};
    const int64_t zero = 0, one = 1;
    lk_graph *g = NULL;
    lk_tensor x, r1, tr, r2, b[2];
    lk_params p;
    lk_shape outs[2];
    lk_msg msg;
    assert_int_equal(lk_graph_new(&g, &msg), LK_OK);
    assert_int_equal(lk_graph_input(g, "x", &s, &x, &msg), LK_OK);
    lk_params_init(LK_OP_RESHAPE, &p);
    p.reshape.shape = lk_shape_make(3, t1);
    assert_int_equal(lk_graph_add(g, LK_OP_RESHAPE, &p, "r1", &x, 1, &r1, 1, &msg), LK_OK);
    lk_params_init(LK_OP_TRANSPOSE, &p);
    memcpy(p.transpose.perm, perm, sizeof perm);
    assert_int_equal(lk_graph_add(g, LK_OP_TRANSPOSE, &p, "t", &r1, 1, &tr, 1, &msg), LK_OK);
    lk_params_init(LK_OP_RESHAPE, &p);
    p.reshape.shape = lk_shape_make(5, t2);
    assert_int_equal(lk_graph_add(g, LK_OP_RESHAPE, &p, "r2", &tr, 1, &r2, 1, &msg), LK_OK);
    for (int i = 0; i < 2; i++) {
        lk_params_init(LK_OP_GATHER, &p);
        p.gather.n_indices = 1;
        p.gather.indices = i ? &one : &zero;
        assert_int_equal(lk_graph_add(g, LK_OP_GATHER, &p, i ? "g1" : "g0", &r2, 1, &b[i], 1,
                                      &msg), LK_OK);
        assert_int_equal(lk_graph_output(g, b[i], &msg), LK_OK);
        lk_graph_shape(g, b[i], &outs[i]);
        assert_int_equal(outs[i].rank, 4);
        assert_int_equal(outs[i].d[1], ch);
    }

    size_t total = (size_t)lk_shape_numel(&s), half = total / 2;
    float *xv = malloc(total * sizeof(float)), *ref[2] = {malloc(half * sizeof(float)),
                                                          malloc(half * sizeof(float))};
    for (size_t e = 0; e < total; e++)
        xv[e] = (float)e;
    const float *ins[1] = {xv};
    lkt_check_graph(g, ins, ref);
    for (int bi = 0; bi < 2; bi++)
        for (size_t e = 0; e < half; e++) {
            int64_t q = (int64_t)e, sp = q % (h * w), c = (q / (h * w)) % ch, ni = q / (h * w * ch);
            int64_t src = ((ni * 2 * ch) + 2 * c + bi) * h * w + sp;
            assert_int_equal((int64_t)ref[bi][e], src);
        }
    free(xv);
    free(ref[0]);
    free(ref[1]);
    lk_graph_free(g);
}

static void test_gather_errors(void **state)
{
    (void)state;
    const lk_shape s = lk_shape4(2, 3, 5, 7);
    const int64_t bad_hi[3] = {0, 5, 2}, bad_lo[2] = {-6, 0}, d3[1] = {3}, d2[1] = {2};
    lkt_case c = make_case(&s, 2, bad_hi, 1, d3);
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "index 5 (position 1) out of range for axis 2 of size 5");
    c = make_case(&s, -2, bad_lo, 1, d2);
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "index -6 (position 0) out of range for axis 2 of size 5");
    c = make_case(&s, 4, bad_lo + 1, 0, NULL);
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "axis 4 out of range for rank 4");
    c = make_case(&s, 1, bad_hi, 1, d3);
    c.p.gather.n_indices = 2;
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "2 indices for an indices shape of 3 elements");
    /* 4 - 1 + 6 dims > 8 */
    const int64_t d6[6] = {1, 1, 1, 1, 1, 1};
    c = make_case(&s, 0, bad_hi, 6, d6);
    lkt_expect_error(&c, LK_ERR_SHAPE, "output rank 9 exceeds 8");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gather_axes),
        cmocka_unit_test(test_gather_embedding),
        cmocka_unit_test(test_gather_channel_shuffle),
        cmocka_unit_test(test_gather_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
