/* conv_transpose2d (ONNX ConvTranspose): stride-2 upsampling (k2, k4 pad 1,
 * k3 pad 1 with output_padding), stride 1 and 3, kernels smaller than the
 * stride (phases no tap reaches), asymmetric kernels, strides and pads,
 * groups (including one channel per group), dilation, every fused
 * activation, with and without bias, run-time weights, channel counts off
 * the kernel's channel blocks, odd shapes with batch > 1; the reference
 * checked against hand-computed values; flops; parameter and shape
 * errors. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static int64_t rand_dim(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(lkt_rand() % (uint32_t)(hi - lo + 1));
}

/* x [n,c,h,w], m output channels, square kernel k, stride s, dilation d,
 * all four pads `pad`, output_padding op, with a bias. */
static lkt_case make_case(int64_t n, int64_t c, int64_t h, int64_t w, int64_t m, int k,
                          int s, int d, int pad, int op, int groups)
{
    lkt_case t;
    memset(&t, 0, sizeof t);
    t.op = LK_OP_CONV_TRANSPOSE2D;
    lk_params_init(LK_OP_CONV_TRANSPOSE2D, &t.p);
    lk_conv_transpose2d_params *p = &t.p.conv_transpose2d;
    p->kernel[0] = p->kernel[1] = k;
    p->stride[0] = p->stride[1] = s;
    p->dilation[0] = p->dilation[1] = d;
    p->pads[0] = p->pads[1] = p->pads[2] = p->pads[3] = pad;
    p->output_padding[0] = p->output_padding[1] = op;
    p->groups = groups;
    t.n_in = 3;
    t.in[0] = lk_shape4(n, c, h, w);
    t.in[1] = lk_shape4(c, m / groups, k, k);
    t.in[2] = lk_shape_make(1, &m);
    t.is_const[1] = t.is_const[2] = 1;
    return t;
}

/* Keeps the weight shape in step with the kernel after edits to p. */
static void fix_weight(lkt_case *t)
{
    const lk_conv_transpose2d_params *p = &t->p.conv_transpose2d;
    t->in[1] = lk_shape4(t->in[0].d[1], t->in[1].d[1], p->kernel[0], p->kernel[1]);
}

static void test_convt_upsample(void **state)
{
    (void)state;
    /* Exact 2x: k2 s2; k4 s2 pad 1; k3 s2 pad 1 output_padding 1. */
    lkt_case t = make_case(2, rand_dim(2, 7), rand_dim(3, 11), rand_dim(3, 11), rand_dim(2, 9),
                           2, 2, 1, 0, 0, 1);
    lkt_check_both(&t);
    t = make_case(2, rand_dim(2, 7), rand_dim(3, 11), rand_dim(3, 11), rand_dim(2, 9), 4, 2, 1, 1,
                  0, 1);
    lkt_check_both(&t);
    t = make_case(2, 5, 7, 9, 6, 3, 2, 1, 1, 1, 1);
    lkt_check_both(&t);
    t = make_case(2, 4, 6, 5, 3, 3, 2, 1, 1, 0, 1); /* the same without */
    lkt_check_both(&t);
}

static void test_convt_strides(void **state)
{
    (void)state;
    lkt_case t = make_case(2, 3, 9, 7, 5, 3, 1, 1, 1, 0, 1);
    lkt_check_both(&t);
    t = make_case(2, 3, 5, 6, 4, 3, 3, 1, 0, 2, 1); /* gaps between taps */
    lkt_check_both(&t);
    t = make_case(2, 3, 5, 6, 4, 5, 3, 1, 2, 1, 1);
    lkt_check_both(&t);
    /* Kernels smaller than the stride: some phases get no tap, only the
     * bias. */
    t = make_case(2, 3, 4, 5, 4, 1, 2, 1, 0, 1, 1);
    lkt_check_both(&t);
    t = make_case(2, 3, 4, 5, 4, 2, 3, 1, 0, 2, 1);
    lkt_check_both(&t);
    /* Per-axis kernel, stride, output_padding; all four pads different. */
    t = make_case(2, 4, 6, 7, 5, 3, 2, 1, 0, 0, 1);
    lk_conv_transpose2d_params *p = &t.p.conv_transpose2d;
    p->kernel[1] = 4;
    p->stride[1] = 3;
    p->output_padding[0] = 1;
    p->output_padding[1] = 2;
    p->pads[0] = 1;
    p->pads[1] = 0;
    p->pads[2] = 2;
    p->pads[3] = 3;
    fix_weight(&t);
    lkt_check_both(&t);
}

static void test_convt_groups(void **state)
{
    (void)state;
    lkt_case t = make_case(2, 6, 7, 5, 4, 3, 2, 1, 1, 1, 2);
    lkt_check_both(&t);
    t = make_case(2, 6, 5, 6, 9, 4, 2, 1, 1, 0, 3);
    lkt_check_both(&t);
    t = make_case(2, 4, 6, 7, 4, 2, 2, 1, 0, 0, 4); /* one channel per group */
    lkt_check_both(&t);
    t = make_case(2, 3, 5, 5, 6, 3, 1, 1, 1, 0, 3); /* channel multiplier 2 */
    lkt_check_both(&t);
}

static void test_convt_dilation(void **state)
{
    (void)state;
    lkt_case t = make_case(2, 3, 6, 7, 4, 3, 1, 2, 1, 0, 1);
    lkt_check_both(&t);
    t = make_case(2, 3, 5, 6, 4, 3, 2, 2, 2, 1, 1);
    lkt_check_both(&t);
    t = make_case(2, 2, 5, 4, 3, 2, 2, 3, 0, 2, 1); /* output_padding below dilation */
    lkt_check_both(&t);
}

static void test_convt_channel_blocks(void **state)
{
    (void)state;
    static const int64_t ms[4] = {1, 5, 7, 13};
    for (int i = 0; i < 4; i++) {
        lkt_case t = make_case(2, 3, 5, 6, ms[i], 3, 2, 1, 1, 1, 1);
        lkt_check_both(&t);
    }
    lkt_case t = make_case(1, 2, 1, 1, 3, 3, 2, 1, 0, 0, 1); /* a single input pixel */
    lkt_check_both(&t);
    t = make_case(1, 2, 9, 1, 3, 1, 1, 1, 0, 0, 1); /* 1x1, stride 1: a plain 1x1 conv */
    lkt_check_both(&t);
}

static void test_convt_activations(void **state)
{
    (void)state;
    for (int a = 0; a < LK_ACT_COUNT; a++) {
        lkt_case t = make_case(2, 4, 4, 5, 3, 3, 2, 1, 1, 1, 1);
        lk_activation *act = &t.p.conv_transpose2d.act;
        act->kind = (lk_act)a;
        act->alpha = a == LK_ACT_HARDSIGMOID ? 0.2f : a == LK_ACT_CLIP ? -0.3f : 0.1f;
        act->beta = a == LK_ACT_HARDSIGMOID ? 0.5f : 0.4f;
        lkt_check_both(&t);
    }
}

static void test_convt_no_bias(void **state)
{
    (void)state;
    lkt_case t = make_case(2, 3, 5, 6, 4, 4, 2, 1, 1, 0, 1);
    t.n_in = 2;
    lkt_check_both(&t);
    t.n_in = 3;
    t.in[2].rank = -1;
    lkt_check_both(&t);
}

/* Weights and bias computed at run time rather than graph constants. */
static void test_convt_runtime_weights(void **state)
{
    (void)state;
    lkt_case t = make_case(2, 4, 5, 6, 6, 3, 2, 1, 1, 1, 2);
    t.is_const[1] = t.is_const[2] = 0;
    lkt_check_both(&t);
}

static void test_convt_reference_values(void **state)
{
    (void)state;
    /* Row [1, 2] with kernel [1, 10, 100]: stride 2 places copies at 0
     * and 2, overlapping at 2: [1, 10, 102, 20, 200]. */
    const float row[2] = {1, 2}, k3[3] = {1, 10, 100}, bias[1] = {0.5f};
    lkt_case c = make_case(1, 1, 1, 2, 1, 1, 2, 1, 0, 0, 1);
    c.n_in = 2;
    c.p.conv_transpose2d.kernel[1] = 3;
    fix_weight(&c);
    c.data[0] = row;
    c.data[1] = k3;
    lk_shape s15 = lk_shape4(1, 1, 1, 5);
    const float plain[5] = {1, 10, 102, 20, 200};
    lkt_expect_reference(&c, &s15, plain);
    /* Pads crop the ends; output_padding 1 adds a column only the bias
     * reaches. */
    c.p.conv_transpose2d.pads[1] = 1;
    c.p.conv_transpose2d.output_padding[1] = 1;
    c.n_in = 3;
    c.in[2] = lk_shape_make(1, (const int64_t[]){1});
    c.data[2] = bias;
    const float cropped[5] = {10.5f, 102.5f, 20.5f, 200.5f, 0.5f};
    lkt_expect_reference(&c, &s15, cropped);
    /* Dilation 2, stride 1: taps at 0, 2, 4 of each input. */
    c = make_case(1, 1, 1, 2, 1, 1, 1, 2, 0, 0, 1);
    c.n_in = 2;
    c.p.conv_transpose2d.kernel[1] = 3;
    c.p.conv_transpose2d.dilation[0] = 1;
    fix_weight(&c);
    c.data[0] = row;
    c.data[1] = k3;
    lk_shape s16 = lk_shape4(1, 1, 1, 6);
    const float dilated[6] = {1, 2, 10, 20, 100, 200};
    lkt_expect_reference(&c, &s16, dilated);

    /* Two groups of one channel, two outputs each: W [2,2,1,1]. */
    const float planes[2] = {1, 10}, w4[4] = {1, 2, 3, 4};
    c = make_case(1, 2, 1, 1, 4, 1, 1, 1, 0, 0, 2);
    c.n_in = 2;
    c.data[0] = planes;
    c.data[1] = w4;
    lk_shape s41 = lk_shape4(1, 4, 1, 1);
    const float grouped[4] = {1, 2, 30, 40};
    lkt_expect_reference(&c, &s41, grouped);
}

static void test_convt_flops(void **state)
{
    (void)state;
    /* Each input element meets each tap of its group's outputs:
     * 2·N·C·H·W·(M/groups)·kh·kw = 2·2·4·3·5·(6/2)·3·2. */
    lkt_case c = make_case(2, 4, 3, 5, 6, 3, 2, 1, 0, 0, 2);
    c.p.conv_transpose2d.kernel[1] = 2;
    fix_weight(&c);
    c.n_in = 2;
    assert_true(lkt_flops(&c) == 2.0 * 2 * 4 * 3 * 5 * 3 * 3 * 2);
}

static void test_convt_errors(void **state)
{
    (void)state;
    const int64_t d3[3] = {4, 8, 8};
    lkt_case c = make_case(1, 4, 8, 8, 6, 3, 2, 1, 1, 1, 1);
    c.in[0] = lk_shape_make(3, d3);
    lkt_expect_error(&c, LK_ERR_SHAPE, "input [4,8,8] is not [N,C,H,W]");
    c = make_case(1, 4, 8, 8, 6, 3, 2, 1, 1, 1, 1);
    c.in[1] = lk_shape_make(3, d3);
    lkt_expect_error(&c, LK_ERR_SHAPE, "weight [4,8,8] is not [C,M/groups,kh,kw]");
    c = make_case(1, 6, 8, 8, 4, 3, 2, 1, 1, 1, 2);
    c.p.conv_transpose2d.groups = 4;
    lkt_expect_error(&c, LK_ERR_SHAPE, "input channels 6 not divisible by groups 4");
    c = make_case(1, 4, 8, 8, 6, 3, 2, 1, 1, 1, 1);
    c.p.conv_transpose2d.groups = 0;
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "groups 0 must be >= 1");
    c = make_case(1, 4, 8, 8, 6, 3, 2, 1, 1, 1, 1);
    c.in[1].d[0] = 5;
    lkt_expect_error(&c, LK_ERR_SHAPE, "weight shape [5,6,3,3] does not match [C,M/groups,kh,kw] = [4,6,3,3]");
    c = make_case(1, 4, 8, 8, 6, 3, 2, 1, 1, 1, 1);
    c.p.conv_transpose2d.kernel[1] = 2;
    lkt_expect_error(&c, LK_ERR_SHAPE, "= [4,6,3,2]");
    c = make_case(1, 4, 8, 8, 6, 3, 2, 1, 1, 1, 1);
    c.p.conv_transpose2d.stride[0] = 0;
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "height kernel 3, stride 0, dilation 1: each must be >= 1");
    c = make_case(1, 4, 8, 8, 6, 3, 2, 1, 1, 1, 1);
    c.p.conv_transpose2d.dilation[1] = 0;
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "width kernel 3, stride 2, dilation 0");
    c = make_case(1, 4, 8, 8, 6, 3, 2, 1, 1, 1, 1);
    c.p.conv_transpose2d.pads[2] = -1;
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "height pads 1, -1 must be >= 0");
    c = make_case(1, 4, 8, 8, 6, 3, 2, 1, 1, 2, 1);
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "height output_padding 2 must be in 0..1 (below stride or dilation)");
    c = make_case(1, 4, 8, 8, 6, 3, 1, 1, 1, 0, 1);
    c.p.conv_transpose2d.output_padding[1] = -1;
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "width output_padding -1 must be in 0..0");
    c = make_case(1, 4, 1, 8, 6, 2, 1, 1, 1, 0, 1);
    lkt_expect_error(&c, LK_ERR_SHAPE, "zero-size output: height 0 after pads 1+1");
    c = make_case(1, 4, 8, 8, 6, 3, 2, 1, 1, 1, 1);
    c.in[2].d[0] = 4;
    lkt_expect_error(&c, LK_ERR_SHAPE, "bias shape [4] is not [6]");
    c = make_case(1, 4, 8, 8, 6, 3, 2, 1, 1, 1, 1);
    c.p.conv_transpose2d.act.kind = (lk_act)99;
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "unknown activation 99");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_convt_upsample),
        cmocka_unit_test(test_convt_strides),
        cmocka_unit_test(test_convt_groups),
        cmocka_unit_test(test_convt_dilation),
        cmocka_unit_test(test_convt_channel_blocks),
        cmocka_unit_test(test_convt_activations),
        cmocka_unit_test(test_convt_no_bias),
        cmocka_unit_test(test_convt_runtime_weights),
        cmocka_unit_test(test_convt_reference_values),
        cmocka_unit_test(test_convt_flops),
        cmocka_unit_test(test_convt_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
