/* conv2d: random odd shapes with batch > 1 through both kernels (implicit
 * GEMM; depthwise, with channel multipliers): 1x1, 3x3 stride 1 and 2,
 * 5x5, 7x7 depthwise, dilation, groups 2 and 4, asymmetric kernels,
 * strides and pads, every padding mode, every fused activation, with and
 * without bias, constant (repacked) and run-time weights, tile edges
 * (channel and pixel counts off the register blocks), rows read and
 * written by fours, a layer big enough for the CPU's large register
 * blocks, the YOLO stem; the reference checked against hand-computed
 * values; flops; parameter and shape errors. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static int64_t rand_dim(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(lkt_rand() % (uint32_t)(hi - lo + 1));
}

/* x [n,c,h,w], m output channels, square kernel k, stride s, dilation d,
 * all four pads `pad`, with a bias. */
static lkt_case make_case(int64_t n, int64_t c, int64_t h, int64_t w, int64_t m, int k,
                          int s, int d, int pad, int groups)
{
    lkt_case t;
    memset(&t, 0, sizeof t);
    t.op = LK_OP_CONV2D;
    lk_params_init(LK_OP_CONV2D, &t.p);
    lk_conv2d_params *p = &t.p.conv2d;
    p->kernel[0] = p->kernel[1] = k;
    p->stride[0] = p->stride[1] = s;
    p->dilation[0] = p->dilation[1] = d;
    p->pads[0] = p->pads[1] = p->pads[2] = p->pads[3] = pad;
    p->groups = groups;
    t.n_in = 3;
    t.in[0] = lk_shape4(n, c, h, w);
    t.in[1] = lk_shape4(m, c / groups, k, k);
    t.in[2] = lk_shape_make(1, &m);
    t.is_const[1] = t.is_const[2] = 1;
    return t;
}

/* Keeps the weight shape in step with the kernel after edits to p. */
static void fix_weight(lkt_case *t)
{
    const lk_conv2d_params *p = &t->p.conv2d;
    t->in[1] = lk_shape4(t->in[1].d[0], t->in[0].d[1] / p->groups, p->kernel[0], p->kernel[1]);
}

/* Pointwise convs run on the matmul kernel: every activation, no bias,
 * run-time weights, batch 3 and odd sizes. */
static void test_conv2d_pointwise(void **state)
{
    (void)state;
    for (int a = 0; a < LK_ACT_COUNT; a++) {
        lkt_case t = make_case(3, 7, 5, 9, 13, 1, 1, 1, 0, 1);
        t.p.conv2d.act.kind = (lk_act)a;
        t.p.conv2d.act.alpha = a == LK_ACT_CLIP ? -0.5f : 0.2f;
        t.p.conv2d.act.beta = a == LK_ACT_CLIP ? 0.5f : 0.5f;
        lkt_check_both(&t);
    }
    lkt_case t = make_case(2, 33, 4, 5, 6, 1, 1, 1, 0, 1);
    t.n_in = 2;
    lkt_check_both(&t);
    t.is_const[1] = 0;
    lkt_check_both(&t);
}

static void test_conv2d_gemm_shapes(void **state)
{
    (void)state;
    static const int ks[4][3] = {{1, 1, 0}, {3, 1, 1}, {3, 2, 1}, {5, 1, 2}}; /* k, s, pad */
    for (int i = 0; i < 4; i++) {
        lkt_case t = make_case(2, rand_dim(2, 9), rand_dim(5, 19), rand_dim(5, 19),
                               rand_dim(3, 21), ks[i][0], ks[i][1], 1, ks[i][2], 1);
        lkt_check_both(&t);
    }
    /* Unpadded 3x3 and 5x5 stride 2 on odd sizes. */
    lkt_case t = make_case(2, 5, 17, 13, 12, 3, 1, 1, 0, 1);
    lkt_check_both(&t);
    t = make_case(2, 3, 15, 21, 7, 5, 2, 1, 0, 1);
    lkt_check_both(&t);
}

/* Channel and pixel counts that do not fill the register blocks, many K
 * passes, single-pixel and single-column outputs. */
static void test_conv2d_tile_edges(void **state)
{
    (void)state;
    static const int64_t ms[5] = {1, 5, 33, 47, 70};
    for (int i = 0; i < 5; i++) {
        lkt_case t = make_case(2, 3, 9, 11, ms[i], 3, 1, 1, 1, 1);
        lkt_check_both(&t);
    }
    lkt_case t = make_case(1, 70, 6, 7, 40, 3, 1, 1, 1, 1); /* K = 630 */
    lkt_check_both(&t);
    t = make_case(2, 2, 1, 1, 9, 1, 1, 1, 0, 1);
    lkt_check_both(&t);
    t = make_case(3, 4, 3, 3, 6, 3, 1, 1, 0, 1); /* one output pixel per image */
    lkt_check_both(&t);
    t = make_case(2, 4, 23, 1, 6, 3, 1, 1, 1, 1); /* a column */
    t.p.conv2d.kernel[1] = 1;
    t.p.conv2d.pads[1] = t.p.conv2d.pads[3] = 0;
    fix_weight(&t);
    lkt_check_both(&t);
    t = make_case(1, 3, 2, 41, 8, 1, 1, 1, 0, 1); /* a long row */
    lkt_check_both(&t);
}

/* Rows without horizontal padding, stride 1 and widths that are multiples
 * of 4 are read (and, when the output width is too, written) by fours. */
static void test_conv2d_vector_rows(void **state)
{
    (void)state;
    lkt_case t = make_case(2, 6, 5, 12, 37, 1, 1, 1, 0, 1);
    lkt_check_both(&t);
    t = make_case(2, 8, 3, 4, 8, 1, 1, 1, 0, 2);
    lkt_check_both(&t);
    static const lk_pad_mode modes[2] = {LK_PAD_ZERO, LK_PAD_REFLECT};
    for (int i = 0; i < 2; i++) {
        t = make_case(2, 5, 9, 16, 7, 3, 1, 1, 0, 1);
        t.p.conv2d.pads[0] = 1;
        t.p.conv2d.pads[2] = 2;
        t.p.conv2d.pad_mode = modes[i];
        t.p.conv2d.pad_value = 0.5f;
        lkt_check_both(&t);
    }
    t = make_case(2, 3, 6, 20, 6, 5, 1, 1, 0, 1); /* 3 taps at dilation 2 span 5 columns */
    t.p.conv2d.kernel[1] = 3;
    t.p.conv2d.dilation[1] = 2;
    fix_weight(&t);
    lkt_check_both(&t);
}

/* A layer big enough for the large register blocks of CPU devices. */
static void test_conv2d_large(void **state)
{
    (void)state;
    lkt_case t = make_case(1, 32, 24, 23, 64, 3, 1, 1, 1, 1);
    lkt_check_both(&t);
}

static void test_conv2d_depthwise(void **state)
{
    (void)state;
    int64_t c = rand_dim(3, 12);
    lkt_case t = make_case(2, c, rand_dim(9, 30), rand_dim(9, 30), c, 3, 1, 1, 1, (int)c);
    lkt_check_both(&t);
    t = make_case(2, c, rand_dim(9, 30), rand_dim(9, 30), c, 3, 2, 1, 1, (int)c);
    lkt_check_both(&t);
    t = make_case(2, 6, 19, 23, 6, 7, 1, 1, 3, 6);
    lkt_check_both(&t);
    t = make_case(2, 5, 21, 17, 5, 5, 2, 1, 2, 5);
    lkt_check_both(&t);
    /* Channel multipliers 2 and 3: output m reads input channel m / k. */
    t = make_case(2, 4, 13, 11, 8, 3, 1, 1, 1, 4);
    lkt_check_both(&t);
    t = make_case(2, 3, 10, 12, 9, 5, 2, 1, 2, 3);
    lkt_check_both(&t);
    /* Output rows of whole fours: written by fours. */
    t = make_case(2, 3, 12, 16, 3, 3, 1, 1, 1, 3);
    lkt_check_both(&t);
    /* Tiny planes and a single input channel (groups == C == 1). */
    t = make_case(2, 4, 3, 2, 4, 3, 1, 1, 1, 4);
    lkt_check_both(&t);
    t = make_case(2, 1, 15, 13, 3, 3, 1, 1, 1, 1);
    lkt_check_both(&t);
    /* A large plane: several workgroups per plane. */
    t = make_case(1, 2, 70, 75, 2, 3, 1, 1, 1, 2);
    lkt_check_both(&t);
}

static void test_conv2d_grouped(void **state)
{
    (void)state;
    lkt_case t = make_case(2, 6, 11, 13, 10, 3, 1, 1, 1, 2);
    lkt_check_both(&t);
    t = make_case(2, 8, 12, 9, 12, 3, 2, 1, 1, 4);
    lkt_check_both(&t);
    t = make_case(2, 16, 7, 7, 36, 1, 1, 1, 0, 4);
    lkt_check_both(&t);
}

static void test_conv2d_dilation(void **state)
{
    (void)state;
    lkt_case t = make_case(2, 4, 17, 15, 6, 3, 1, 2, 2, 1);
    lkt_check_both(&t);
    t = make_case(2, 5, 19, 16, 5, 3, 2, 2, 1, 5); /* depthwise */
    lkt_check_both(&t);
    t = make_case(2, 3, 16, 14, 5, 3, 1, 1, 0, 1);
    t.p.conv2d.dilation[0] = 3; /* per axis */
    lkt_check_both(&t);
    /* A depthwise window too large for shared memory falls back to GEMM. */
    t = make_case(1, 2, 85, 84, 2, 3, 1, 40, 0, 2);
    lkt_check_both(&t);
}

static void test_conv2d_asymmetric(void **state)
{
    (void)state;
    /* Pads (top, left, bottom, right) all different, a 3x5 kernel and
     * strides 2x1, through both kernels. */
    for (int groups = 1; groups <= 4; groups += 3) {
        lkt_case t = make_case(2, 4, 13, 18, groups == 1 ? 7 : 4, 3, 1, 1, 0, groups);
        lk_conv2d_params *p = &t.p.conv2d;
        p->kernel[1] = 5;
        p->stride[0] = 2;
        p->pads[0] = 0;
        p->pads[1] = 2;
        p->pads[2] = 1;
        p->pads[3] = 3;
        fix_weight(&t);
        lkt_check_both(&t);
    }
    /* TF "same" with stride 2 on even sizes: pad only at the end. */
    lkt_case t = make_case(2, 3, 16, 16, 8, 3, 2, 1, 0, 1);
    t.p.conv2d.pads[2] = t.p.conv2d.pads[3] = 1;
    lkt_check_both(&t);
}

static void test_conv2d_pad_modes(void **state)
{
    (void)state;
    static const lk_pad_mode modes[4] = {LK_PAD_ZERO, LK_PAD_REFLECT, LK_PAD_REPLICATE,
                                         LK_PAD_CIRCULAR};
    for (int i = 0; i < 4; i++) {
        /* GEMM, with pads up to the limit of each mode and uneven sides. */
        lkt_case t = make_case(2, 3, 7, 9, 5, 5, 1, 1, 0, 1);
        lk_conv2d_params *p = &t.p.conv2d;
        p->pad_mode = modes[i];
        p->pad_value = 0.75f;
        p->pads[0] = 4;
        p->pads[1] = 1;
        p->pads[2] = 2;
        p->pads[3] = modes[i] == LK_PAD_REFLECT ? 8 : 9;
        p->kernel[1] = 3;
        fix_weight(&t);
        lkt_check_both(&t);
        /* Depthwise, stride 2 and dilation 2. */
        t = make_case(2, 4, 9, 8, 4, 3, 2, 2, 3, 4);
        t.p.conv2d.pad_mode = modes[i];
        t.p.conv2d.pad_value = -1.5f;
        lkt_check_both(&t);
    }
}

static void test_conv2d_activations(void **state)
{
    (void)state;
    for (int a = 0; a < LK_ACT_COUNT; a++) {
        lkt_case t = make_case(2, 3, 7, 6, 5, 3, 1, 1, 1, 1);
        lk_activation *act = &t.p.conv2d.act;
        act->kind = (lk_act)a;
        act->alpha = a == LK_ACT_HARDSIGMOID ? 0.2f : a == LK_ACT_CLIP ? -0.3f : 0.1f;
        act->beta = a == LK_ACT_HARDSIGMOID ? 0.5f : 0.4f;
        /* 27 taps of values in [-1, 1]: sums spread over about [-5, 5],
         * across every activation's bends. */
        lkt_check_both(&t);
        /* The depthwise kernel fuses it too. */
        t = make_case(2, 3, 7, 6, 3, 3, 1, 1, 1, 3);
        t.p.conv2d.act = *act;
        lkt_check_both(&t);
    }
}

/* Weights computed at run time (not graph constants) are read in their
 * graph layout instead of a repacked copy. */
static void test_conv2d_runtime_weights(void **state)
{
    (void)state;
    lkt_case t = make_case(2, 5, 9, 7, 19, 3, 1, 1, 1, 1);
    t.is_const[1] = 0;
    lkt_check_both(&t);
    t = make_case(2, 8, 6, 12, 12, 1, 1, 1, 0, 2);
    t.is_const[1] = t.is_const[2] = 0;
    lkt_check_both(&t);
    t = make_case(2, 4, 9, 8, 8, 3, 2, 1, 1, 4); /* depthwise */
    t.is_const[1] = 0;
    lkt_check_both(&t);
}

static void test_conv2d_no_bias(void **state)
{
    (void)state;
    /* Bias omitted, or present as an absent optional input. */
    lkt_case t = make_case(2, 5, 9, 7, 6, 3, 1, 1, 1, 1);
    t.n_in = 2;
    lkt_check_both(&t);
    t.n_in = 3;
    t.in[2].rank = -1;
    lkt_check_both(&t);
    t = make_case(2, 5, 9, 7, 5, 3, 1, 1, 1, 5);
    t.n_in = 2;
    lkt_check_both(&t);
}

static void test_conv2d_yolo_stem(void **state)
{
    (void)state;
    /* 3 → 16, 3x3 stride 2 pad 1 with SiLU, on a small image. */
    lkt_case t = make_case(1, 3, 48, 40, 16, 3, 2, 1, 1, 1);
    t.p.conv2d.act.kind = LK_ACT_SILU;
    t.lo = 0.0f;
    t.hi = 1.0f;
    lkt_check_both(&t);
    t.in[0].d[0] = 2;
    lkt_check_both(&t);
}

static void test_conv2d_reference_values(void **state)
{
    (void)state;
    /* Row [1,2,3,4], a 1x3 kernel picking its left tap, pads 2 each side:
     * the output is the padded row from index -2 to 3. */
    const float row[4] = {1, 2, 3, 4}, pick_left[3] = {1, 0, 0};
    lkt_case c = make_case(1, 1, 1, 4, 1, 1, 1, 1, 0, 1);
    c.n_in = 2;
    c.p.conv2d.kernel[1] = 3;
    c.p.conv2d.pads[1] = c.p.conv2d.pads[3] = 2;
    fix_weight(&c);
    c.data[0] = row;
    c.data[1] = pick_left;
    lk_shape s16 = lk_shape4(1, 1, 1, 6);
    const float zero[6] = {9, 9, 1, 2, 3, 4};          /* pad_value 9 */
    const float reflect[6] = {3, 2, 1, 2, 3, 4};       /* numpy/PyTorch 'reflect' */
    const float replicate[6] = {1, 1, 1, 2, 3, 4};
    const float circular[6] = {3, 4, 1, 2, 3, 4};
    c.p.conv2d.pad_value = 9.0f;
    lkt_expect_reference(&c, &s16, zero);
    c.p.conv2d.pad_mode = LK_PAD_REFLECT;
    lkt_expect_reference(&c, &s16, reflect);
    c.p.conv2d.pad_mode = LK_PAD_REPLICATE;
    lkt_expect_reference(&c, &s16, replicate);
    c.p.conv2d.pad_mode = LK_PAD_CIRCULAR;
    lkt_expect_reference(&c, &s16, circular);

    /* 4x4 iota, 3x3 kernel of ones, stride 2: one window summing 54;
     * padding bottom and right by 1 adds windows at column and row 2. */
    float iota[16], ones[9];
    for (int i = 0; i < 16; i++)
        iota[i] = (float)(i + 1);
    for (int i = 0; i < 9; i++)
        ones[i] = 1.0f;
    c = make_case(1, 1, 4, 4, 1, 3, 2, 1, 0, 1);
    c.n_in = 2;
    c.data[0] = iota;
    c.data[1] = ones;
    lk_shape s11 = lk_shape4(1, 1, 1, 1), s22 = lk_shape4(1, 1, 2, 2);
    const float sum9[1] = {54}, sums[4] = {54, 45, 72, 54};
    lkt_expect_reference(&c, &s11, sum9);
    c.p.conv2d.pads[2] = c.p.conv2d.pads[3] = 1;
    lkt_expect_reference(&c, &s22, sums);
    /* A 2x2 kernel of ones at dilation 3 sees the corners: 1+4+13+16. */
    c = make_case(1, 1, 4, 4, 1, 2, 1, 3, 0, 1);
    c.n_in = 2;
    c.data[0] = iota;
    c.data[1] = ones;
    const float corners[1] = {34};
    lkt_expect_reference(&c, &s11, corners);

    /* Two groups: input planes of 1 and 10, 1x1 weights 2 and 3, bias 0.5
     * and -1; each output sees only its own group's channel. */
    const float planes[2] = {1, 10}, w2[2] = {2, 3}, b2[2] = {0.5f, -1};
    c = make_case(1, 2, 1, 1, 2, 1, 1, 1, 0, 2);
    c.data[0] = planes;
    c.data[1] = w2;
    c.data[2] = b2;
    lk_shape s21 = lk_shape4(1, 2, 1, 1);
    const float grouped[2] = {2.5f, 29};
    lkt_expect_reference(&c, &s21, grouped);
}

static void test_conv2d_flops(void **state)
{
    (void)state;
    /* 2·N·M·Ho·Wo·(C/groups)·kh·kw = 2·2·8·5·4·(6/2)·3·1. */
    lkt_case c = make_case(2, 6, 7, 4, 8, 3, 1, 1, 0, 2);
    c.p.conv2d.kernel[1] = 1;
    fix_weight(&c);
    c.n_in = 2;
    assert_true(lkt_flops(&c) == 2.0 * 2 * 8 * 5 * 4 * 3 * 3 * 1);
}

static void test_conv2d_errors(void **state)
{
    (void)state;
    lkt_case c = make_case(1, 6, 8, 8, 8, 3, 1, 1, 1, 1);
    const int64_t d3[3] = {6, 8, 8};
    c.in[0] = lk_shape_make(3, d3);
    lkt_expect_error(&c, LK_ERR_SHAPE, "input [6,8,8] is not [N,C,H,W]");
    c = make_case(1, 6, 8, 8, 8, 3, 1, 1, 1, 1);
    c.in[1] = lk_shape_make(3, d3);
    lkt_expect_error(&c, LK_ERR_SHAPE, "weight [6,8,8] is not [M,C/groups,kh,kw]");
    c = make_case(1, 6, 8, 8, 8, 3, 1, 1, 1, 1);
    c.in[1].d[1] = 1; /* as if groups were 6 */
    c.p.conv2d.groups = 4;
    lkt_expect_error(&c, LK_ERR_SHAPE, "input channels 6 not divisible by groups 4");
    c = make_case(1, 8, 8, 8, 6, 3, 1, 1, 1, 4);
    lkt_expect_error(&c, LK_ERR_SHAPE, "output channels 6 not divisible by groups 4");
    c = make_case(1, 6, 8, 8, 8, 3, 1, 1, 1, 1);
    c.p.conv2d.groups = 0;
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "groups 0 must be >= 1");
    c = make_case(1, 6, 8, 8, 8, 3, 1, 1, 1, 2);
    c.in[1].d[1] = 6;
    lkt_expect_error(&c, LK_ERR_SHAPE, "weight shape [8,6,3,3] does not match [M,C/groups,kh,kw] = [8,3,3,3]");
    c = make_case(1, 6, 8, 8, 8, 3, 1, 1, 1, 1);
    c.p.conv2d.kernel[1] = 5;
    lkt_expect_error(&c, LK_ERR_SHAPE, "does not match [M,C/groups,kh,kw] = [8,6,3,5]");
    c = make_case(1, 6, 8, 8, 8, 3, 1, 1, 1, 1);
    c.p.conv2d.kernel[0] = 0;
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "height kernel 0, stride 1, dilation 1: each must be >= 1");
    c = make_case(1, 6, 8, 8, 8, 3, 1, 1, 1, 1);
    c.p.conv2d.stride[1] = 0;
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "width kernel 3, stride 0, dilation 1");
    c = make_case(1, 6, 8, 8, 8, 3, 1, 1, 1, 1);
    c.p.conv2d.dilation[0] = -1;
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "height kernel 3, stride 1, dilation -1");
    c = make_case(1, 6, 8, 8, 8, 3, 1, 1, 1, 1);
    c.p.conv2d.pads[3] = -2;
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "width pads 1, -2 must be >= 0");
    c = make_case(1, 6, 4, 8, 8, 3, 1, 1, 1, 1);
    c.p.conv2d.pad_mode = LK_PAD_REFLECT;
    c.p.conv2d.pads[2] = 4;
    lkt_expect_error(&c, LK_ERR_INVALID_ARG,
                     "reflect height pads 1, 4 must be smaller than the input height 4");
    c = make_case(1, 6, 8, 3, 8, 3, 1, 1, 1, 1);
    c.p.conv2d.pad_mode = LK_PAD_CIRCULAR;
    c.p.conv2d.pads[1] = 4;
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "circular width pads 4, 1 must not exceed the input width 3");
    c = make_case(1, 6, 2, 8, 8, 3, 1, 1, 0, 1);
    lkt_expect_error(&c, LK_ERR_SHAPE,
                     "zero-size output: input height 2 with pads 0+0 is smaller than the kernel extent 3");
    c = make_case(1, 6, 6, 8, 8, 3, 1, 3, 0, 1);
    lkt_expect_error(&c, LK_ERR_SHAPE, "input height 6 with pads 0+0 is smaller than the kernel extent 7");
    c = make_case(1, 6, 8, 8, 8, 3, 1, 1, 1, 1);
    c.in[2].d[0] = 7;
    lkt_expect_error(&c, LK_ERR_SHAPE, "bias shape [7] is not [8]");
    c = make_case(1, 6, 8, 8, 8, 3, 1, 1, 1, 1);
    c.p.conv2d.pad_mode = (lk_pad_mode)9;
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "unknown padding mode 9");
    c = make_case(1, 6, 8, 8, 8, 3, 1, 1, 1, 1);
    c.p.conv2d.act.kind = LK_ACT_COUNT;
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "unknown activation");
    c = make_case(1, 6, 8, 8, 8, 3, 1, 1, 1, 1);
    c.n_in = 1;
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "1 inputs, expected 2..3");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv2d_pointwise),
        cmocka_unit_test(test_conv2d_gemm_shapes),
        cmocka_unit_test(test_conv2d_tile_edges),
        cmocka_unit_test(test_conv2d_vector_rows),
        cmocka_unit_test(test_conv2d_large),
        cmocka_unit_test(test_conv2d_depthwise),
        cmocka_unit_test(test_conv2d_grouped),
        cmocka_unit_test(test_conv2d_dilation),
        cmocka_unit_test(test_conv2d_asymmetric),
        cmocka_unit_test(test_conv2d_pad_modes),
        cmocka_unit_test(test_conv2d_activations),
        cmocka_unit_test(test_conv2d_runtime_weights),
        cmocka_unit_test(test_conv2d_no_bias),
        cmocka_unit_test(test_conv2d_yolo_stem),
        cmocka_unit_test(test_conv2d_reference_values),
        cmocka_unit_test(test_conv2d_flops),
        cmocka_unit_test(test_conv2d_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
