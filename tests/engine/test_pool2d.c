/* pool2d: SPP-style k5/9/13 stride-1 "same" max pooling, k3 s2 pad 1,
 * ceil_mode with and without pads (including the dropped last window),
 * dilation 2, asymmetric pads, count_include_pad 0/1, on odd shapes with
 * batch > 1; reference values checked against hand-computed ONNX/PyTorch
 * results; parameter and shape errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static int64_t rand_dim(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(lkt_rand() % (uint32_t)(hi - lo + 1));
}

/* Square kernel k, stride s, dilation d, pads (t, l, b, r). */
static lkt_case make_case(lk_pool_kind kind, lk_shape x, int k, int s, int d,
                          int t, int l, int b, int r)
{
    lkt_case c;
    memset(&c, 0, sizeof c);
    c.op = LK_OP_POOL2D;
    lk_params_init(LK_OP_POOL2D, &c.p);
    lk_pool2d_params *p = &c.p.pool2d;
    p->kind = kind;
    p->kernel[0] = p->kernel[1] = k;
    p->stride[0] = p->stride[1] = s;
    p->dilation[0] = p->dilation[1] = d;
    p->pads[0] = t;
    p->pads[1] = l;
    p->pads[2] = b;
    p->pads[3] = r;
    c.n_in = 1;
    c.in[0] = x;
    return c;
}

static lk_shape rand_image(int64_t lo, int64_t hi)
{
    return lk_shape4(rand_dim(2, 3), rand_dim(1, 5), rand_dim(lo, hi), rand_dim(lo, hi));
}

/* Max, and average with and without the padding counted. */
static void check_kinds(lkt_case c)
{
    c.p.pool2d.kind = LK_POOL_MAX;
    lkt_check_both(&c);
    c.p.pool2d.kind = LK_POOL_AVG;
    for (int inc = 0; inc < 2; inc++) {
        c.p.pool2d.count_include_pad = inc;
        lkt_check_both(&c);
    }
}

static void test_pool2d_spp(void **state)
{
    (void)state;
    static const int ks[3] = {5, 9, 13};
    lk_shape x = lk_shape4(2, 4, 20, 17);
    for (int i = 0; i < 3; i++) {
        int h = ks[i] / 2;
        lkt_case c = make_case(LK_POOL_MAX, x, ks[i], 1, 1, h, h, h, h);
        lkt_check_both(&c);
    }
}

static void test_pool2d_k3s2(void **state)
{
    (void)state;
    check_kinds(make_case(LK_POOL_MAX, rand_image(5, 24), 3, 2, 1, 1, 1, 1, 1));
    check_kinds(make_case(LK_POOL_MAX, rand_image(5, 24), 2, 2, 1, 0, 0, 0, 0));
    check_kinds(make_case(LK_POOL_MAX, rand_image(5, 24), 2, 3, 1, 0, 0, 0, 0)); /* gaps */
    check_kinds(make_case(LK_POOL_MAX, rand_image(3, 9), 1, 1, 1, 0, 0, 0, 0));
}

static void test_pool2d_ceil_mode(void **state)
{
    (void)state;
    for (int i = 0; i < 3; i++) {
        lkt_case c = make_case(LK_POOL_MAX, rand_image(4, 21), 3, 2, 1, 0, 0, 0, 0);
        c.p.pool2d.ceil_mode = 1;
        check_kinds(c);
        c = make_case(LK_POOL_MAX, rand_image(4, 21), 3, 2, 1, 1, 1, 1, 1);
        c.p.pool2d.ceil_mode = 1;
        check_kinds(c);
        c = make_case(LK_POOL_MAX, rand_image(4, 21), 2, 2, 1, 0, 0, 1, 1);
        c.p.pool2d.ceil_mode = 1;
        check_kinds(c);
    }
}

static void test_pool2d_dilation(void **state)
{
    (void)state;
    check_kinds(make_case(LK_POOL_MAX, rand_image(6, 19), 3, 1, 2, 2, 2, 2, 2));
    check_kinds(make_case(LK_POOL_MAX, rand_image(6, 19), 2, 2, 2, 1, 0, 0, 1));
    lkt_case c = make_case(LK_POOL_MAX, rand_image(6, 19), 3, 2, 2, 1, 2, 3, 0);
    c.p.pool2d.ceil_mode = 1;
    check_kinds(c);
}

static void test_pool2d_asymmetric(void **state)
{
    (void)state;
    /* Different kernel, stride and pads per axis. */
    lkt_case c = make_case(LK_POOL_MAX, rand_image(7, 23), 3, 1, 1, 0, 2, 2, 1);
    c.p.pool2d.kernel[1] = 4;
    c.p.pool2d.stride[0] = 2;
    check_kinds(c);
    c.p.pool2d.ceil_mode = 1;
    check_kinds(c);
    /* "same" padding for an even kernel puts the extra pad at the end. */
    c = make_case(LK_POOL_MAX, rand_image(7, 23), 2, 1, 1, 0, 0, 1, 1);
    check_kinds(c);
}


static void test_pool2d_reference_values(void **state)
{
    (void)state;
    float iota[16];
    for (int i = 0; i < 16; i++)
        iota[i] = (float)(i + 1);

    /* ONNX maxpool_2d_ceil / averagepool_2d_ceil: 4x4, k3 s2, ceil. */
    lkt_case c = make_case(LK_POOL_MAX, lk_shape4(1, 1, 4, 4), 3, 2, 1, 0, 0, 0, 0);
    c.p.pool2d.ceil_mode = 1;
    c.data[0] = iota;
    lk_shape s22 = lk_shape4(1, 1, 2, 2);
    const float max_ceil[4] = {11, 12, 15, 16}, avg_ceil[4] = {6, 7.5f, 12, 13.5f};
    lkt_expect_reference(&c, &s22, max_ceil);
    c.p.pool2d.kind = LK_POOL_AVG;
    lkt_expect_reference(&c, &s22, avg_ceil);
    lkt_check_both(&c);

    /* One row [1,2,3,4], k3 s2 pads 1/1, ceil: windows start at -1, 1, 3;
     * the last hangs past the end padding, which it does not count
     * (PyTorch avg_pool1d gives [1, 3, 2] with the padding counted). */
    c = make_case(LK_POOL_AVG, lk_shape4(1, 1, 1, 4), 3, 2, 1, 0, 1, 0, 1);
    c.p.pool2d.kernel[0] = 1;
    c.p.pool2d.ceil_mode = 1;
    c.data[0] = iota;
    lk_shape s13 = lk_shape4(1, 1, 1, 3);
    const float incl[3] = {1, 3, 2}, excl[3] = {1.5f, 3, 4}, mx[3] = {2, 4, 4};
    c.p.pool2d.count_include_pad = 1;
    lkt_expect_reference(&c, &s13, incl);
    lkt_check_both(&c);
    c.p.pool2d.count_include_pad = 0;
    lkt_expect_reference(&c, &s13, excl);
    c.p.pool2d.kind = LK_POOL_MAX;
    lkt_expect_reference(&c, &s13, mx);

    /* Width 4, k2 s2, end pad 1, ceil: a third window would start in the
     * end padding, so there are 2 outputs, not 3. */
    c = make_case(LK_POOL_MAX, lk_shape4(1, 1, 1, 4), 2, 2, 1, 0, 0, 0, 1);
    c.p.pool2d.kernel[0] = 1;
    c.p.pool2d.stride[0] = 1;
    c.p.pool2d.ceil_mode = 1;
    c.data[0] = iota;
    lk_shape s12 = lk_shape4(1, 1, 1, 2);
    const float drop[2] = {2, 4};
    lkt_expect_reference(&c, &s12, drop);

    /* 3x3, k3 s1 pads 1: the corner sees 4 inputs of 9 taps. */
    c = make_case(LK_POOL_AVG, lk_shape4(1, 1, 3, 3), 3, 1, 1, 1, 1, 1, 1);
    c.data[0] = iota;
    lk_shape s33 = lk_shape4(1, 1, 3, 3);
    const float inc3[9] = {12.f / 9, 21.f / 9, 16.f / 9, 27.f / 9, 45.f / 9, 33.f / 9,
                           24.f / 9, 39.f / 9, 28.f / 9};
    const float exc3[9] = {3, 3.5f, 4, 4.5f, 5, 5.5f, 6, 6.5f, 7};
    c.p.pool2d.count_include_pad = 1;
    lkt_expect_reference(&c, &s33, inc3);
    c.p.pool2d.count_include_pad = 0;
    lkt_expect_reference(&c, &s33, exc3);

    /* Dilation 2 along a row of 0..6: taps (0,2,4), (1,3,5), (2,4,6). */
    float row[7];
    for (int i = 0; i < 7; i++)
        row[i] = (float)i;
    c = make_case(LK_POOL_MAX, lk_shape4(1, 1, 1, 7), 3, 1, 2, 0, 0, 0, 0);
    c.p.pool2d.kernel[0] = 1;
    c.data[0] = row;
    const float dmax[3] = {4, 5, 6}, davg[3] = {2, 3, 4};
    lkt_expect_reference(&c, &s13, dmax);
    c.p.pool2d.kind = LK_POOL_AVG;
    lkt_expect_reference(&c, &s13, davg);
}

static void test_pool2d_flops(void **state)
{
    (void)state;
    /* One per output element per kernel tap: 2·3·4·3 outputs, 3·2 taps. */
    lkt_case c = make_case(LK_POOL_AVG, lk_shape4(2, 3, 9, 7), 3, 2, 1, 0, 0, 0, 0);
    c.p.pool2d.kernel[1] = 2;
    assert_true(lkt_flops(&c) == 2.0 * 3 * 4 * 3 * 3 * 2);
}

static void test_pool2d_errors(void **state)
{
    (void)state;
    lk_shape x = lk_shape4(2, 3, 8, 8);
    lkt_case c = make_case(LK_POOL_MAX, x, 0, 1, 1, 0, 0, 0, 0);
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "bad kernel: height kernel 0");
    c = make_case(LK_POOL_MAX, x, 3, 0, 1, 0, 0, 0, 0);
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "bad kernel: height kernel 3, stride 0");
    c = make_case(LK_POOL_MAX, x, 3, 1, 1, 0, 0, 0, 0);
    c.p.pool2d.dilation[1] = 0;
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "bad kernel: width kernel 3, stride 1, dilation 0");
    c = make_case(LK_POOL_MAX, x, 3, 1, 1, 0, 3, 0, 0);
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "width pads 3, 0 must be in 0..2");
    c = make_case(LK_POOL_AVG, x, 3, 1, 1, -1, 0, 0, 0);
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "height pads -1, 0 must be in 0..2");
    c = make_case(LK_POOL_MAX, lk_shape4(1, 1, 2, 8), 3, 1, 1, 0, 0, 0, 0);
    lkt_expect_error(&c, LK_ERR_SHAPE, "zero-size output: height 2");
    c = make_case(LK_POOL_MAX, lk_shape4(1, 1, 8, 2), 2, 1, 2, 0, 0, 0, 0);
    lkt_expect_error(&c, LK_ERR_SHAPE, "zero-size output: width 2 with pads 0+0 is smaller than the kernel extent 3");
    const int64_t d3[3] = {2, 8, 8};
    c = make_case(LK_POOL_MAX, lk_shape_make(3, d3), 2, 1, 1, 0, 0, 0, 0);
    lkt_expect_error(&c, LK_ERR_SHAPE, "input [2,8,8] is not [N,C,H,W]");
    c = make_case((lk_pool_kind)7, x, 2, 1, 1, 0, 0, 0, 0);
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "unknown pool kind 7");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pool2d_spp),
        cmocka_unit_test(test_pool2d_k3s2),
        cmocka_unit_test(test_pool2d_ceil_mode),
        cmocka_unit_test(test_pool2d_dilation),
        cmocka_unit_test(test_pool2d_asymmetric),
        cmocka_unit_test(test_pool2d_reference_values),
        cmocka_unit_test(test_pool2d_flops),
        cmocka_unit_test(test_pool2d_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
