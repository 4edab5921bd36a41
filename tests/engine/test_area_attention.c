/* area_attention: the flash-style kernel against the plain softmax
 * reference on YOLOv12's shapes (4 areas at P4, 1 at P5, head dim 32),
 * token counts that fill neither a key tile nor a query tile, one token
 * per area, several batches and head dims, large scores that overflow
 * exp() without the running max; the reference against hand-computed
 * values and against the unfused chain of engine ops that YOLOv12's ONNX
 * export spells (Reshape, Transpose, Split, MatMul, Mul, Softmax, MatMul,
 * Transpose, Reshape); FLOPs; the parameter and shape errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static lkt_case attn_case(int64_t b, int heads, int head_dim, int areas, int64_t h, int64_t w)
{
    lkt_case c;
    memset(&c, 0, sizeof c);
    c.op = LK_OP_AREA_ATTENTION;
    lk_params_init(LK_OP_AREA_ATTENTION, &c.p);
    c.p.area_attention.heads = heads;
    c.p.area_attention.head_dim = head_dim;
    c.p.area_attention.areas = areas;
    c.p.area_attention.scale = 1.0f / sqrtf((float)head_dim);
    c.n_in = 1;
    c.in[0] = lk_shape4(b, 3LL * heads * head_dim, h, w);
    c.lo = -2.0f;
    c.hi = 2.0f;
    return c;
}

static void test_area_attention_yolov12(void **state)
{
    (void)state;
    /* YOLOv12-N at 640x640: P4 40x40 (2 heads, 4 strips), P5 20x20 (4 heads);
     * at 384x640: P4 24x40, P5 12x20. */
    lkt_case c = attn_case(1, 2, 32, 4, 40, 40);
    lkt_check_both(&c);
    c = attn_case(1, 4, 32, 1, 20, 20);
    lkt_check_both(&c);
    c = attn_case(1, 2, 32, 4, 24, 40);
    lkt_check_both(&c);
    c = attn_case(1, 4, 32, 1, 12, 20);
    lkt_check_both(&c);
}

static void test_area_attention_odd_sizes(void **state)
{
    (void)state;
    /* 7x9 = 63 tokens, one area (neither tile size divides); 3 areas of 33
     * (one key past a tile); 5x13 in 5 areas of 13 (shorter than a tile);
     * batch 3 with head dim 8; head dim 1; one token per area. */
    lkt_case c = attn_case(1, 3, 32, 1, 7, 9);
    lkt_check_both(&c);
    c = attn_case(2, 1, 16, 3, 9, 11);
    lkt_check_both(&c);
    c = attn_case(1, 2, 24, 5, 5, 13);
    lkt_check_both(&c);
    c = attn_case(3, 2, 8, 2, 10, 7);
    lkt_check_both(&c);
    c = attn_case(1, 3, 1, 1, 6, 6);
    lkt_check_both(&c);
    c = attn_case(2, 2, 4, 6, 2, 3);
    lkt_check_both(&c);
}

static void test_area_attention_wide_heads(void **state)
{
    (void)state;
    /* head dims 64 (ViT-B) and the largest the kernel holds, 128 */
    lkt_case c = attn_case(1, 2, 64, 2, 12, 10);
    lkt_check_both(&c);
    c = attn_case(1, 1, 128, 1, 9, 9);
    lkt_check_both(&c);
}

static void test_area_attention_large_scores(void **state)
{
    (void)state;
    /* Scores up to 32 · 36 / √32 ≈ 200: exp() overflows fp32 unless the
     * running max is subtracted and rescaled as it grows. fp32 storage only
     * (fp16 rounding of such inputs moves the scores by more than the
     * fp16 tolerance). */
    lkt_case c = attn_case(1, 2, 32, 2, 16, 16);
    c.lo = -6.0f;
    c.hi = 6.0f;
    c.precision = LK_FP32;
    lkt_check(&c);
}

static void test_area_attention_reference(void **state)
{
    (void)state;
    /* One head of dim 1, 2 areas of 2 tokens, scale 1:
     *   area 0: q = (1, 0), k = (0, ln 3), v = (4, 8)
     *     token 0: softmax(0, ln 3) = (1/4, 3/4) → 1 + 6 = 7
     *     token 1: softmax(0, 0) → 6
     *   area 1: q = (ln 2, 0), k = (1, 0), v = (2, -2)
     *     token 2: softmax(ln 2, 0) = (2/3, 1/3) → 2/3
     *     token 3: → 0 */
    lkt_case c = attn_case(1, 1, 1, 2, 2, 2);
    c.p.area_attention.scale = 1.0f;
    const float x[12] = {1, 0, logf(2.0f), 0, 0, logf(3.0f), 1, 0, 4, 8, 2, -2};
    const float want[4] = {7, 6, 2.0f / 3.0f, 0};
    c.data[0] = x;
    lk_shape s = lk_shape4(1, 1, 2, 2);
    lkt_expect_reference(&c, &s, want);
    /* the scale multiplies the scores: 0.5 · ln 9 = ln 3 as above */
    const float x2[12] = {2, 0, 2 * logf(2.0f), 0, 0, logf(3.0f), 1, 0, 4, 8, 2, -2};
    c.p.area_attention.scale = 0.5f;
    c.data[0] = x2;
    lkt_expect_reference(&c, &s, want);
}

static lk_tensor add1(lk_graph *g, lk_op op, const lk_params *p, lk_tensor x)
{
    lk_tensor y;
    lk_msg msg = {{0}};
    if (lk_graph_add(g, op, p, NULL, &x, 1, &y, 1, &msg))
        fail_msg("%s: %s", lk_op_name(op), msg.text);
    return y;
}

/* The attention as the ONNX export spells it, from qkv x [1, 3·nh·d, h, w]. */
static lk_tensor unfused_chain(lk_graph *g, lk_tensor x, int nh, int d, int areas, int64_t h,
                               int64_t w, float scale)
{
    static const int swap[5] = {0, 1, 2, 4, 3};
    lk_params p;
    lk_tensor qkv[3], t, sc, y;
    lk_msg msg = {{0}};
    lk_shape one = {0, {0}};
    lk_params_init(LK_OP_RESHAPE, &p);
    p.reshape.shape = lk_shape_make(5, (const int64_t[]){1, nh, 3 * d, areas, h * w / areas});
    t = add1(g, LK_OP_RESHAPE, &p, x);
    lk_params_init(LK_OP_TRANSPOSE, &p);
    memcpy(p.transpose.perm, (const int[]){0, 3, 1, 2, 4}, 5 * sizeof(int));
    t = add1(g, LK_OP_TRANSPOSE, &p, t);
    lk_params_init(LK_OP_SPLIT, &p);
    p.split.axis = 3;
    p.split.n = 3;
    p.split.sizes[0] = p.split.sizes[1] = p.split.sizes[2] = d;
    assert_int_equal(lk_graph_add(g, LK_OP_SPLIT, &p, NULL, &t, 1, qkv, 3, &msg), LK_OK);
    lk_params_init(LK_OP_TRANSPOSE, &p);
    memcpy(p.transpose.perm, swap, sizeof swap);
    t = add1(g, LK_OP_TRANSPOSE, &p, qkv[0]);
    lk_params_init(LK_OP_MATMUL, &p);
    lk_tensor mm[2] = {t, qkv[1]};
    assert_int_equal(lk_graph_add(g, LK_OP_MATMUL, &p, NULL, mm, 2, &t, 1, &msg), LK_OK);
    assert_int_equal(lk_graph_constant(g, "scale", &one, &scale, &sc, &msg), LK_OK);
    lk_params_init(LK_OP_BINARY, &p);
    p.binary.kind = LK_BIN_MUL;
    lk_tensor mu[2] = {t, sc};
    assert_int_equal(lk_graph_add(g, LK_OP_BINARY, &p, NULL, mu, 2, &t, 1, &msg), LK_OK);
    lk_params_init(LK_OP_SOFTMAX, &p);
    t = add1(g, LK_OP_SOFTMAX, &p, t);
    lk_params_init(LK_OP_TRANSPOSE, &p);
    memcpy(p.transpose.perm, swap, sizeof swap);
    t = add1(g, LK_OP_TRANSPOSE, &p, t);
    lk_params_init(LK_OP_MATMUL, &p);
    lk_tensor pv[2] = {qkv[2], t};
    assert_int_equal(lk_graph_add(g, LK_OP_MATMUL, &p, NULL, pv, 2, &t, 1, &msg), LK_OK);
    lk_params_init(LK_OP_TRANSPOSE, &p);
    memcpy(p.transpose.perm, (const int[]){0, 2, 3, 1, 4}, 5 * sizeof(int));
    t = add1(g, LK_OP_TRANSPOSE, &p, t);
    lk_params_init(LK_OP_RESHAPE, &p);
    p.reshape.shape = lk_shape4(1, (int64_t)nh * d, h, w);
    y = add1(g, LK_OP_RESHAPE, &p, t);
    return y;
}

static void test_area_attention_matches_chain(void **state)
{
    (void)state;
    const struct { int nh, d, areas; int64_t h, w; } cases[] = {
        {2, 32, 4, 8, 10}, {3, 8, 1, 5, 7}, {1, 4, 3, 6, 5},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        lkt_case c = attn_case(1, cases[k].nh, cases[k].d, cases[k].areas, cases[k].h, cases[k].w);
        float scale = c.p.area_attention.scale;
        lk_graph *g = NULL;
        lk_msg msg = {{0}};
        lk_tensor x, y[2];
        assert_int_equal(lk_graph_new(&g, &msg), LK_OK);
        assert_int_equal(lk_graph_input(g, "qkv", &c.in[0], &x, &msg), LK_OK);
        assert_int_equal(lk_graph_add(g, LK_OP_AREA_ATTENTION, &c.p, "fused", &x, 1, &y[0], 1,
                                      &msg), LK_OK);
        y[1] = unfused_chain(g, x, cases[k].nh, cases[k].d, cases[k].areas, cases[k].h,
                             cases[k].w, scale);
        assert_int_equal(lk_graph_output(g, y[0], &msg), LK_OK);
        assert_int_equal(lk_graph_output(g, y[1], &msg), LK_OK);
        size_t n_in = (size_t)lk_shape_numel(&c.in[0]);
        size_t n_out = n_in / 3;
        float *in = malloc(n_in * sizeof *in), *out[2] = {malloc(n_out * sizeof(float)),
                                                          malloc(n_out * sizeof(float))};
        assert_true(in && out[0] && out[1]);
        lkt_fill(in, n_in, -2.0f, 2.0f);
        const float *ins[1] = {in};
        assert_int_equal(lk_graph_run_reference(g, ins, out, &msg), LK_OK);
        double err = lkt_error(out[0], out[1], n_out);
        if (!(err <= 1e-5))
            fail_msg("case %zu: fused reference vs the unfused chain: error %.3g", k, err);
        free(in);
        free(out[0]);
        free(out[1]);
        lk_graph_free(g);
    }
}

static void test_area_attention_flops(void **state)
{
    (void)state;
    /* 2 batches · 3 heads · 24 queries · 12 keys · (4 · 8 + 5) */
    lkt_case c = attn_case(2, 3, 8, 2, 4, 6);
    assert_true(lkt_flops(&c) == 2.0 * 3 * 24 * 12 * (4 * 8 + 5));
}

static void test_area_attention_errors(void **state)
{
    (void)state;
    lkt_case c = attn_case(1, 2, 32, 4, 10, 10);
    c.in[0].d[1] = 190;
    lkt_expect_error(&c, LK_ERR_SHAPE, "want 3 x 2 heads x 32");
    c = attn_case(1, 2, 32, 3, 10, 10);
    lkt_expect_error(&c, LK_ERR_SHAPE, "100 tokens do not split into 3 areas");
    c = attn_case(1, 2, 32, 1, 10, 10);
    c.in[0] = lk_shape_make(3, (const int64_t[]){1, 192, 100});
    lkt_expect_error(&c, LK_ERR_SHAPE, "is not [B, 3C, H, W]");
    c = attn_case(1, 2, 32, 1, 10, 10);
    c.p.area_attention.areas = 0;
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "areas 0");
    c = attn_case(1, 2, 32, 1, 10, 10);
    c.p.area_attention.heads = -1;
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "must be >= 1");
    c = attn_case(1, 1, 160, 1, 4, 4);
    lkt_expect_error(&c, LK_ERR_UNSUPPORTED, "head_dim 160: at most 128");
    c = attn_case(1, 2, 32, 1, 10, 10);
    c.p.area_attention.scale = NAN;
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "scale is not finite");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_area_attention_yolov12),
        cmocka_unit_test(test_area_attention_odd_sizes),
        cmocka_unit_test(test_area_attention_wide_heads),
        cmocka_unit_test(test_area_attention_large_scores),
        cmocka_unit_test(test_area_attention_reference),
        cmocka_unit_test(test_area_attention_matches_chain),
        cmocka_unit_test(test_area_attention_flops),
        cmocka_unit_test(test_area_attention_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
