/* pad: every mode on ranks 1..5 (2 and 4 most), symmetric, asymmetric and
 * negative (cropping) pads, wrap pads longer than the axis, batch > 1 and
 * odd sizes; reference values against numpy.pad results; the errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static int64_t rand_dim(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(lkt_rand() % (uint32_t)(hi - lo + 1));
}

static lkt_case make_case(lk_pad_mode mode, lk_shape x, const int64_t *pads)
{
    lkt_case c;
    memset(&c, 0, sizeof c);
    c.op = LK_OP_PAD;
    lk_params_init(LK_OP_PAD, &c.p);
    c.p.pad.mode = mode;
    c.p.pad.value = mode == LK_PAD_ZERO ? 0.75f : 0.0f;
    memcpy(c.p.pad.pads, pads, (size_t)(2 * x.rank) * sizeof *pads);
    c.n_in = 1;
    c.in[0] = x;
    return c;
}

static void check_modes(lk_shape x, const int64_t *pads)
{
    for (int m = 0; m <= LK_PAD_CIRCULAR; m++) {
        lkt_case c = make_case((lk_pad_mode)m, x, pads);
        lkt_check_both(&c);
    }
}

static void test_pad_rank4(void **state)
{
    (void)state;
    /* C >= 3, H, W >= 5 keep every reflect pad below the cropped length. */
    lk_shape x = lk_shape4(rand_dim(2, 3), rand_dim(3, 5), rand_dim(5, 13), rand_dim(5, 13));
    const int64_t same[8] = {0, 0, 1, 1, 0, 0, 1, 1};     /* 3x3 conv "same" */
    const int64_t asym[8] = {0, 0, 0, 2, 0, 0, 3, 1};
    const int64_t crop[8] = {0, 0, -1, 2, 0, 0, 1, -2};
    const int64_t chan[8] = {0, 2, 0, 0, 0, 1, 0, 0};     /* channels only */
    const int64_t all[8] = {1, 1, 2, 3, 1, 0, 3, 2};
    check_modes(x, same);
    check_modes(x, asym);
    check_modes(x, crop);
    check_modes(x, chan);
    check_modes(x, all);
}

static void test_pad_rank2(void **state)
{
    (void)state;
    const int64_t d[2] = {rand_dim(6, 17), rand_dim(6, 17)}; /* reflect-safe */
    lk_shape x = lk_shape_make(2, d);
    const int64_t sym[4] = {2, 3, 2, 3};
    const int64_t asym[4] = {0, 3, 1, 0};
    const int64_t crop[4] = {-2, 1, 3, -3};
    check_modes(x, sym);
    check_modes(x, asym);
    check_modes(x, crop);
}

static void test_pad_other_ranks(void **state)
{
    (void)state;
    const int64_t d1[1] = {rand_dim(3, 30)}, p1[2] = {2, 1};
    check_modes(lk_shape_make(1, d1), p1);
    const int64_t d3[3] = {2, rand_dim(3, 9), rand_dim(3, 9)}, p3[6] = {0, 1, 2, 1, 0, 2};
    check_modes(lk_shape_make(3, d3), p3);
    const int64_t d5[5] = {2, 3, 4, 3, 5}, p5[10] = {0, 1, 0, 2, 1, 1, 0, 1, 2, 0};
    check_modes(lk_shape_make(5, d5), p5);
    /* Axes that become length 1 by cropping, and no padding at all. */
    const int64_t d4[4] = {2, 3, 5, 4}, p4[8] = {0, -2, 0, 1, 0, 0, -4, 1};
    check_modes(lk_shape_make(4, d4), p4);
    const int64_t none[8] = {0};
    check_modes(lk_shape_make(4, d4), none);
    /* Unpadded axes on both sides of one cropped to length 1 must not
     * merge across it. */
    const int64_t p4b[8] = {0, -1, 0, 1, 0, -1, 0, 0};
    check_modes(lk_shape_make(4, d4), p4b);
}

static void test_pad_wrap_long(void **state)
{
    (void)state;
    /* Wrap and edge may pad past the axis length (reflect may not). */
    const int64_t d[2] = {3, 2}, pads[4] = {5, 7, 4, 3};
    lkt_case c = make_case(LK_PAD_CIRCULAR, lk_shape_make(2, d), pads);
    lkt_check_both(&c);
    c.p.pad.mode = LK_PAD_REPLICATE;
    lkt_check_both(&c);
    c.p.pad.mode = LK_PAD_ZERO;
    lkt_check_both(&c);
}

/* Runs a [1,4] row [1,2,3,4] padded by (b, e) through the C reference. */
static void expect_row(lk_pad_mode mode, int64_t b, int64_t e, const float *want, int64_t n)
{
    static const float row[4] = {1, 2, 3, 4};
    const int64_t d[2] = {1, 4}, pads[4] = {0, b, 0, e};
    lkt_case c = make_case(mode, lk_shape_make(2, d), pads);
    c.p.pad.value = 7.5f;
    c.data[0] = row;
    lk_graph *g = NULL;
    lk_msg msg;
    lk_tensor t, out;
    lk_shape os;
    assert_int_equal(lk_graph_new(&g, &msg), LK_OK);
    assert_int_equal(lk_graph_input(g, "x", &c.in[0], &t, &msg), LK_OK);
    assert_int_equal(lk_graph_add(g, c.op, &c.p, "node", &t, 1, &out, 1, &msg), LK_OK);
    assert_int_equal(lk_graph_output(g, out, &msg), LK_OK);
    lk_graph_shape(g, out, &os);
    assert_int_equal(os.d[1], n);
    float y[16];
    float *ys = y;
    assert_int_equal(lk_graph_run_reference(g, c.data, &ys, &msg), LK_OK);
    for (int64_t i = 0; i < n; i++)
        if (y[i] != want[i])
            fail_msg("mode %d pads %lld,%lld element %lld: got %g, want %g", (int)mode,
                     (long long)b, (long long)e, (long long)i, (double)y[i], (double)want[i]);
    lk_graph_free(g);
    lkt_check_both(&c);
}

static void test_pad_reference_values(void **state)
{
    (void)state;
    /* numpy.pad([1,2,3,4], (2,3), mode). */
    const float cst[9] = {7.5f, 7.5f, 1, 2, 3, 4, 7.5f, 7.5f, 7.5f};
    const float refl[9] = {3, 2, 1, 2, 3, 4, 3, 2, 1};
    const float edge[9] = {1, 1, 1, 2, 3, 4, 4, 4, 4};
    const float wrap[9] = {3, 4, 1, 2, 3, 4, 1, 2, 3};
    expect_row(LK_PAD_ZERO, 2, 3, cst, 9);
    expect_row(LK_PAD_REFLECT, 2, 3, refl, 9);
    expect_row(LK_PAD_REPLICATE, 2, 3, edge, 9);
    expect_row(LK_PAD_CIRCULAR, 2, 3, wrap, 9);
    /* Crop one at the begin, then pad the kept [2,3,4] by 2 at the end. */
    const float ccst[5] = {2, 3, 4, 7.5f, 7.5f}, crefl[5] = {2, 3, 4, 3, 2};
    const float cedge[5] = {2, 3, 4, 4, 4}, cwrap[5] = {2, 3, 4, 2, 3};
    expect_row(LK_PAD_ZERO, -1, 2, ccst, 5);
    expect_row(LK_PAD_REFLECT, -1, 2, crefl, 5);
    expect_row(LK_PAD_REPLICATE, -1, 2, cedge, 5);
    expect_row(LK_PAD_CIRCULAR, -1, 2, cwrap, 5);
    /* Wrap longer than the row: numpy.pad([1,2,3,4], (6,0), 'wrap'). */
    const float wlong[10] = {3, 4, 1, 2, 3, 4, 1, 2, 3, 4};
    expect_row(LK_PAD_CIRCULAR, 6, 0, wlong, 10);
    /* Crop both ends. */
    const float mid[2] = {2, 3};
    expect_row(LK_PAD_REFLECT, -1, -1, mid, 2);
}

static void test_pad_errors(void **state)
{
    (void)state;
    lk_shape x = lk_shape4(2, 3, 4, 5);
    const int64_t refl[8] = {0, 0, 4, 0, 0, 0, 0, 0};
    lkt_case c = make_case(LK_PAD_REFLECT, x, refl);
    lkt_expect_error(&c, LK_ERR_INVALID_ARG,
                     "reflect pad too large: axis 2 pads 4, 0 need to be below its length 4");
    /* Below the length after cropping. */
    const int64_t refl2[8] = {0, 0, 0, -2, 0, 0, 0, 3};
    c = make_case(LK_PAD_REFLECT, x, refl2);
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "axis 3 pads -2, 3 need to be below its length 3");
    const int64_t gone[8] = {0, -2, 0, 0, 0, -1, 0, 0};
    c = make_case(LK_PAD_ZERO, x, gone);
    lkt_expect_error(&c, LK_ERR_SHAPE, "zero-size output: axis 1 of length 3 cropped by -2, -1");
    c = make_case((lk_pad_mode)4, x, refl);
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "unknown pad mode 4");
    c = make_case(LK_PAD_ZERO, lk_shape_make(0, NULL), refl);
    lkt_expect_error(&c, LK_ERR_SHAPE, "cannot pad a scalar");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pad_rank4),
        cmocka_unit_test(test_pad_rank2),
        cmocka_unit_test(test_pad_other_ranks),
        cmocka_unit_test(test_pad_wrap_long),
        cmocka_unit_test(test_pad_reference_values),
        cmocka_unit_test(test_pad_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
