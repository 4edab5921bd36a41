/* Graph rewrites: batch norm folded into the preceding conv (and the
 * activation after it fused) computes what the unrewritten graph's
 * reference computes, with fewer nodes. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static lk_graph *conv_bn(int act_on_conv, int share_conv_output, lk_tensor *out)
{
    lk_graph *g;
    lk_tensor x, w, b, c, y, prm[4], extra;
    lk_params p;
    lk_shape xs = lk_shape4(2, 5, 9, 11), ws = lk_shape4(6, 5, 3, 3);
    lk_shape cs = lk_shape_make(1, (int64_t[]){6});
    float wd[6 * 5 * 9], bd[6], pd[4][6];
    lkt_fill(wd, sizeof wd / sizeof wd[0], -0.5f, 0.5f);
    lkt_fill(bd, 6, -0.5f, 0.5f);
    lkt_fill(pd[0], 6, 0.5f, 1.5f);   /* scale */
    lkt_fill(pd[1], 6, -0.5f, 0.5f);  /* B */
    lkt_fill(pd[2], 6, -0.5f, 0.5f);  /* mean */
    lkt_fill(pd[3], 6, 0.1f, 2.0f);   /* var */
    assert_int_equal(lk_graph_new(&g, NULL), LK_OK);
    assert_int_equal(lk_graph_input(g, "x", &xs, &x, NULL), LK_OK);
    assert_int_equal(lk_graph_constant(g, "w", &ws, wd, &w, NULL), LK_OK);
    assert_int_equal(lk_graph_constant(g, "b", &cs, bd, &b, NULL), LK_OK);
    for (int i = 0; i < 4; i++)
        assert_int_equal(lk_graph_constant(g, NULL, &cs, pd[i], &prm[i], NULL), LK_OK);
    lk_params_init(LK_OP_CONV2D, &p);
    p.conv2d.kernel[0] = p.conv2d.kernel[1] = 3;
    p.conv2d.pads[0] = p.conv2d.pads[2] = 1;
    if (act_on_conv)
        p.conv2d.act.kind = LK_ACT_RELU;
    assert_int_equal(lk_graph_add(g, LK_OP_CONV2D, &p, "conv", (lk_tensor[]){x, w, b}, 3, &c, 1, NULL), LK_OK);
    lk_params_init(LK_OP_BATCHNORM, &p);
    assert_int_equal(lk_graph_add(g, LK_OP_BATCHNORM, &p, "bn",
                                  (lk_tensor[]){c, prm[0], prm[1], prm[2], prm[3]}, 5, &y, 1, NULL), LK_OK);
    lk_params_init(LK_OP_UNARY, &p);
    p.unary.act.kind = LK_ACT_SILU;
    assert_int_equal(lk_graph_add(g, LK_OP_UNARY, &p, "silu", &y, 1, out, 1, NULL), LK_OK);
    assert_int_equal(lk_graph_output(g, *out, NULL), LK_OK);
    if (share_conv_output) {
        lk_params_init(LK_OP_UNARY, &p);
        assert_int_equal(lk_graph_add(g, LK_OP_UNARY, &p, "tap", &c, 1, &extra, 1, NULL), LK_OK);
        assert_int_equal(lk_graph_output(g, extra, NULL), LK_OK);
    }
    return g;
}

static void test_fold(void **state)
{
    (void)state;
    lk_context *ctx = lkt_context();
    lk_tensor out;
    lk_graph *g = conv_bn(0, 0, &out);
    size_t nx = 2 * 5 * 9 * 11, ny = 2 * 6 * 9 * 9;
    float *x = malloc(nx * sizeof *x), *ref = malloc(ny * sizeof *ref), *got = malloc(ny * sizeof *got);
    int n = -1;
    lk_net *net;
    assert_non_null(x);
    assert_non_null(ref);
    assert_non_null(got);
    lkt_fill(x, nx, -1, 1);
    const float *in[1] = {x};
    /* Reference of the graph as written, before any rewrite. */
    assert_int_equal(lk_graph_run_reference(g, in, &ref, NULL), LK_OK);
    assert_int_equal(lk_graph_n_nodes(g), 3);
    assert_int_equal(lk_graph_optimize(g, &n, NULL), LK_OK);
    /* The batch norm folds into the conv, then the SiLU fuses into it. */
    assert_int_equal(n, 2);
    assert_int_equal(lk_graph_n_nodes(g), 1);
    lk_net_opts o;
    lk_net_opts_init(&o);
    o.poison = 1;
    assert_int_equal(lk_net_new(ctx, g, &o, &net, NULL), LK_OK);
    assert_int_equal(lk_net_run(net, in, &got, NULL), LK_OK);
    double e = lkt_error(got, ref, ny);
    print_message("folded conv+bn vs unfolded reference: %.2e\n", e);
    assert_true(e <= LKT_TOL_FP32);
    lk_net_free(net);
    lk_graph_free(g);
    free(x);
    free(ref);
    free(got);
}

/* Not folded when the conv applies an activation or its output is used
 * elsewhere: folding would change what the graph computes. */
static void test_no_fold(void **state)
{
    (void)state;
    lk_tensor out;
    int n = -1;
    lk_graph *g = conv_bn(1, 0, &out);
    assert_int_equal(lk_graph_optimize(g, &n, NULL), LK_OK);
    assert_int_equal(n, 0);
    lk_graph_free(g);
    g = conv_bn(0, 1, &out);
    assert_int_equal(lk_graph_optimize(g, &n, NULL), LK_OK);
    assert_int_equal(n, 0);
    lk_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold),
        cmocka_unit_test(test_no_fold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
