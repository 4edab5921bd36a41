/* resize: every coordinate mode with every nearest mode and bilinear,
 * up and down, integer and fractional scales, sizes with the scale derived
 * from them, batch > 1 and odd sizes; reference values of the ONNX
 * backend tests; the parameter errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static int64_t rand_dim(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(lkt_rand() % (uint32_t)(hi - lo + 1));
}

static lkt_case make_case(lk_resize_mode mode, lk_coord_mode coord, lk_nearest_mode nearest,
                          lk_shape x, int oh, int ow, float sh, float sw)
{
    lkt_case c;
    memset(&c, 0, sizeof c);
    c.op = LK_OP_RESIZE;
    lk_params_init(LK_OP_RESIZE, &c.p);
    lk_resize_params *p = &c.p.resize;
    p->mode = mode;
    p->coord = coord;
    p->nearest = nearest;
    p->out_size[0] = oh;
    p->out_size[1] = ow;
    p->scale[0] = sh;
    p->scale[1] = sw;
    c.n_in = 1;
    c.in[0] = x;
    return c;
}

/* Scales (sizes 0) and sizes (scales 0): up, down, fractional, mixed.
 * Inputs are at least 2x2, so every scale here leaves an output. */
static const struct { int oh, ow; float sh, sw; } geometries[] = {
    {0, 0, 2.0f, 2.0f},
    {0, 0, 0.5f, 0.5f},
    {0, 0, 1.7f, 0.6f},
    {0, 0, 3.0f, 1.0f},
    {11, 5, 0.0f, 0.0f},
    {3, 17, 0.0f, 0.0f},
};
#define N_GEOMETRIES (sizeof geometries / sizeof geometries[0])

static void check_geometries(lk_resize_mode mode, lk_coord_mode coord, lk_nearest_mode nearest)
{
    for (size_t g = 0; g < N_GEOMETRIES; g++) {
        lk_shape x = lk_shape4(2, rand_dim(1, 3), rand_dim(2, 9), rand_dim(2, 9));
        lkt_case c = make_case(mode, coord, nearest, x, geometries[g].oh, geometries[g].ow,
                               geometries[g].sh, geometries[g].sw);
        lkt_check_both(&c);
    }
}

static void test_resize_nearest(void **state)
{
    (void)state;
    for (int coord = 0; coord <= LK_COORD_TF_HALF_PIXEL_FOR_NN; coord++)
        for (int nm = 0; nm <= LK_NEAREST_CEIL; nm++)
            check_geometries(LK_RESIZE_NEAREST, (lk_coord_mode)coord, (lk_nearest_mode)nm);
}

static void test_resize_linear(void **state)
{
    (void)state;
    for (int coord = 0; coord <= LK_COORD_PYTORCH_HALF_PIXEL; coord++)
        check_geometries(LK_RESIZE_LINEAR, (lk_coord_mode)coord, LK_NEAREST_ROUND_PREFER_FLOOR);
}

static void test_resize_shapes(void **state)
{
    (void)state;
    /* Rank 2 and 3 resize their last two axes; a 1x1 output; the YOLO
     * upsample (nearest x2, asymmetric) at a realistic size. */
    const int64_t d2[2] = {5, 7}, d3[3] = {3, 4, 6};
    lkt_case c = make_case(LK_RESIZE_LINEAR, LK_COORD_HALF_PIXEL, 0, lk_shape_make(2, d2),
                           0, 0, 1.5f, 2.5f);
    lkt_check_both(&c);
    c = make_case(LK_RESIZE_NEAREST, LK_COORD_ASYMMETRIC, LK_NEAREST_FLOOR, lk_shape_make(3, d3),
                  0, 0, 2.0f, 0.5f);
    lkt_check_both(&c);
    c = make_case(LK_RESIZE_LINEAR, LK_COORD_ALIGN_CORNERS, 0, lk_shape4(2, 3, 5, 4), 1, 1, 0, 0);
    lkt_check_both(&c);
    c = make_case(LK_RESIZE_LINEAR, LK_COORD_PYTORCH_HALF_PIXEL, 0, lk_shape4(2, 3, 5, 4),
                  1, 1, 0, 0);
    lkt_check_both(&c);
    c = make_case(LK_RESIZE_NEAREST, LK_COORD_ASYMMETRIC, LK_NEAREST_FLOOR,
                  lk_shape4(1, 32, 20, 20), 0, 0, 2.0f, 2.0f);
    lkt_check_both(&c);
    /* Size and scale both given: the size shapes, the scale maps. */
    c = make_case(LK_RESIZE_LINEAR, LK_COORD_HALF_PIXEL, 0, lk_shape4(2, 2, 3, 5), 7, 9,
                  2.0f, 1.5f);
    lkt_check_both(&c);
}

/* Runs c (data given) through the C reference and compares with want. */
static void expect_reference(lkt_case *c, int64_t oh, int64_t ow, const float *want)
{
    lk_shape s = c->in[0];
    s.d[2] = oh;
    s.d[3] = ow;
    lkt_expect_reference(c, &s, want);
    lkt_check_both(c);
}

static void test_resize_reference_values(void **state)
{
    (void)state;
    float iota[16];
    for (int i = 0; i < 16; i++)
        iota[i] = (float)(i + 1);
    lkt_case c;

    /* resize_upsample_scales_nearest: [[1,2],[3,4]] by 2 x 3. */
    c = make_case(LK_RESIZE_NEAREST, LK_COORD_HALF_PIXEL, LK_NEAREST_ROUND_PREFER_FLOOR,
                  lk_shape4(1, 1, 2, 2), 0, 0, 2.0f, 3.0f);
    c.data[0] = iota;
    const float up_nearest[24] = {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2,
                                  3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4};
    expect_reference(&c, 4, 6, up_nearest);

    /* resize_downsample_scales_nearest and _linear: 2x4 by 0.6. */
    c = make_case(LK_RESIZE_NEAREST, LK_COORD_HALF_PIXEL, LK_NEAREST_ROUND_PREFER_FLOOR,
                  lk_shape4(1, 1, 2, 4), 0, 0, 0.6f, 0.6f);
    c.data[0] = iota;
    const float down_nearest[2] = {1, 3};
    expect_reference(&c, 1, 2, down_nearest);
    c.p.resize.mode = LK_RESIZE_LINEAR;
    const float down_linear[2] = {2.6666665f, 4.3333331f};
    expect_reference(&c, 1, 2, down_linear);

    /* resize_upsample_scales_linear_align_corners: [[1,2],[3,4]] by 2. */
    c = make_case(LK_RESIZE_LINEAR, LK_COORD_ALIGN_CORNERS, 0, lk_shape4(1, 1, 2, 2),
                  0, 0, 2.0f, 2.0f);
    c.data[0] = iota;
    const float t = 1.0f / 3.0f;
    const float up_ac[16] = {1, 1 + t, 1 + 2 * t, 2, 1 + 2 * t, 2, 2 + t, 2 + 2 * t,
                             2 + t, 2 + 2 * t, 3, 3 + t, 3, 3 + t, 3 + 2 * t, 4};
    expect_reference(&c, 4, 4, up_ac);

    /* resize_upsample_sizes_nearest_floor_align_corners, first two rows. */
    c = make_case(LK_RESIZE_NEAREST, LK_COORD_ALIGN_CORNERS, LK_NEAREST_FLOOR,
                  lk_shape4(1, 1, 4, 4), 2, 8, 0, 0);
    c.data[0] = iota;
    const float floor_ac[16] = {1, 1, 1, 2, 2, 3, 3, 4, 13, 13, 13, 14, 14, 15, 15, 16};
    expect_reference(&c, 2, 8, floor_ac);

    /* resize_upsample_sizes_nearest_round_prefer_ceil_asymmetric, row 0
     * (4 -> 8: coordinates x/2, .5 goes up, the last clamps). */
    c = make_case(LK_RESIZE_NEAREST, LK_COORD_ASYMMETRIC, LK_NEAREST_ROUND_PREFER_CEIL,
                  lk_shape4(1, 1, 1, 4), 1, 8, 0, 0);
    c.data[0] = iota;
    const float ceil_asym[8] = {1, 2, 2, 3, 3, 4, 4, 4};
    expect_reference(&c, 1, 8, ceil_asym);
    c.p.resize.nearest = LK_NEAREST_CEIL;
    expect_reference(&c, 1, 8, ceil_asym);
    c.p.resize.nearest = LK_NEAREST_ROUND_PREFER_FLOOR;
    const float floor_asym[8] = {1, 1, 2, 2, 3, 3, 4, 4};
    expect_reference(&c, 1, 8, floor_asym);

    /* resize_downsample_sizes_nearest_tf_half_pixel_for_nn: 4x4 -> 3x2. */
    c = make_case(LK_RESIZE_NEAREST, LK_COORD_TF_HALF_PIXEL_FOR_NN, LK_NEAREST_ROUND_PREFER_FLOOR,
                  lk_shape4(1, 1, 4, 4), 3, 2, 0, 0);
    c.data[0] = iota;
    const float tf_nn[6] = {6, 8, 10, 12, 14, 16};
    expect_reference(&c, 3, 2, tf_nn);

    /* To 1x1: pytorch_half_pixel and align_corners take coordinate 0,
     * half_pixel the centre. */
    c = make_case(LK_RESIZE_LINEAR, LK_COORD_PYTORCH_HALF_PIXEL, 0, lk_shape4(1, 1, 2, 2),
                  1, 1, 0, 0);
    c.data[0] = iota;
    const float corner[1] = {1}, centre[1] = {2.5f};
    expect_reference(&c, 1, 1, corner);
    c.p.resize.coord = LK_COORD_ALIGN_CORNERS;
    expect_reference(&c, 1, 1, corner);
    c.p.resize.coord = LK_COORD_HALF_PIXEL;
    expect_reference(&c, 1, 1, centre);
}

static void test_resize_errors(void **state)
{
    (void)state;
    lk_shape x = lk_shape4(2, 3, 4, 5);
    lkt_case c = make_case(LK_RESIZE_NEAREST, 0, 0, x, 0, 0, 0.2f, 1.0f);
    lkt_expect_error(&c, LK_ERR_SHAPE, "zero-size output: height 4 * scale 0.2 < 1");
    c = make_case(LK_RESIZE_NEAREST, 0, 0, x, 0, 0, 2.0f, 1e30f);
    lkt_expect_error(&c, LK_ERR_SHAPE, "width 5 * scale 1e+30 is too large");
    c = make_case(LK_RESIZE_NEAREST, 0, 0, x, 4, 0, 0.0f, 0.0f);
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "width: out_size 0 and scale 0 (need a size >= 1 or a scale > 0)");
    c = make_case(LK_RESIZE_NEAREST, 0, 0, x, 0, 0, -2.0f, 2.0f);
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "height: out_size 0 and scale -2");
    c = make_case(LK_RESIZE_NEAREST, 0, 0, x, -3, 4, 0.0f, 0.0f);
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "height: out_size -3");
    c = make_case((lk_resize_mode)2, 0, 0, x, 4, 4, 0, 0);
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "unknown resize mode 2");
    c = make_case(LK_RESIZE_LINEAR, (lk_coord_mode)9, 0, x, 4, 4, 0, 0);
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "unknown coordinate mode 9");
    c = make_case(LK_RESIZE_NEAREST, 0, (lk_nearest_mode)4, x, 4, 4, 0, 0);
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "unknown nearest mode 4");
    const int64_t d1[1] = {8};
    c = make_case(LK_RESIZE_NEAREST, 0, 0, lk_shape_make(1, d1), 4, 4, 0, 0);
    lkt_expect_error(&c, LK_ERR_SHAPE, "input [8] has fewer than two axes");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resize_nearest),
        cmocka_unit_test(test_resize_linear),
        cmocka_unit_test(test_resize_shapes),
        cmocka_unit_test(test_resize_reference_values),
        cmocka_unit_test(test_resize_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
