/* yolo_decode: every family on random raw outputs and on values in the
 * ranges real models produce, GPU against the C reference at both storage
 * precisions (inputs pre-rounded to fp16 for the fp16 net, so both see the
 * same values), with poisoned outputs (every row must be written); score
 * thresholds and the class filter; hand-computed rows per family from the
 * formulas in ../shared/assets/SOURCES.md and lookout.h; shape errors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "exec.h" /* lk_f32_to_f16, lk_f16_to_f32 */

#define BOX_TOL 1e-4   /* of the input size */
#define SCORE_TOL 1e-4

typedef struct decoded {
    float *rows;       /* [n, 6] */
    int64_t n;
} decoded;

/* One yolo_decode node: raw output `s` at net precision, 16-byte params. */
static lk_graph *decode_graph(const lk_yolo_decode_params *p, const lk_shape *s, int64_t *rows)
{
    lk_graph *g = NULL;
    lk_msg msg = {{0}};
    lk_tensor in[2], out;
    lk_params prm;
    lk_shape os;
    assert_int_equal(lk_graph_new(&g, &msg), LK_OK);
    assert_int_equal(lk_graph_input(g, "raw", s, &in[0], &msg), LK_OK);
    assert_int_equal(lk_graph_input_raw(g, "params", 16, &in[1], &msg), LK_OK);
    prm.yolo_decode = *p;
    if (lk_graph_add(g, LK_OP_YOLO_DECODE, &prm, "decode", in, 2, &out, 1, &msg))
        fail_msg("yolo_decode refused: %s", msg.text);
    assert_int_equal(lk_graph_output(g, out, &msg), LK_OK);
    lk_graph_shape(g, out, &os);
    assert_int_equal(os.rank, 2);
    assert_int_equal(os.d[1], 6);
    *rows = os.d[0];
    return g;
}

static decoded run_ref(const lk_graph *g, int64_t rows, const float *data, float thr)
{
    lk_msg msg = {{0}};
    float prm[4] = {thr, 0.45f, 100.0f, 0.0f};
    decoded d = {malloc((size_t)rows * 6 * sizeof(float)), rows};
    const float *in[2] = {data, prm};
    assert_non_null(d.rows);
    if (lk_graph_run_reference(g, in, &d.rows, &msg))
        fail_msg("reference: %s", msg.text);
    return d;
}

static decoded run_gpu(const lk_graph *g, int64_t rows, const float *data, float thr,
                       lk_precision prec)
{
    lk_msg msg = {{0}};
    lk_net *net = NULL;
    lk_net_opts o;
    float prm[4] = {thr, 0.45f, 100.0f, 0.0f};
    decoded d = {malloc((size_t)rows * 6 * sizeof(float)), rows};
    const float *in[2] = {data, prm};
    assert_non_null(d.rows);
    lk_net_opts_init(&o);
    o.precision = prec;
    o.poison = 1;
    if (lk_net_new(lkt_context(), g, &o, &net, &msg))
        fail_msg("lk_net_new: %s", msg.text);
    if (lk_net_run(net, in, &d.rows, &msg))
        fail_msg("lk_net_run: %s", msg.text);
    lk_net_free(net);
    return d;
}

/* got vs want row by row; all = the reference without a threshold, so a
 * row kept on one side only must score within SCORE_TOL of thr. */
static void compare(const decoded *got, const decoded *want, const decoded *all, float thr,
                    float size, const char *what)
{
    for (int64_t r = 0; r < want->n; r++) {
        const float *g = got->rows + r * 6, *w = want->rows + r * 6;
        for (int c = 0; c < 6; c++)
            if (isnan(g[c]))
                fail_msg("%s: row %lld column %d not written", what, (long long)r, c);
        if (g[5] != w[5])
            fail_msg("%s: row %lld class %g, want %g", what, (long long)r, (double)g[5], (double)w[5]);
        for (int c = 0; c < 4; c++)
            if (fabsf(g[c] - w[c]) > BOX_TOL * (size + fabsf(w[c])))
                fail_msg("%s: row %lld coordinate %d: %.7g, want %.7g", what, (long long)r, c,
                         (double)g[c], (double)w[c]);
        if ((g[4] == -1.0f) != (w[4] == -1.0f)) {
            if (fabsf(all->rows[r * 6 + 4] - thr) > SCORE_TOL)
                fail_msg("%s: row %lld score %.7g, want %.7g (threshold %g)", what, (long long)r,
                         (double)g[4], (double)w[4], (double)thr);
        } else if (fabsf(g[4] - w[4]) > SCORE_TOL) {
            fail_msg("%s: row %lld score %.7g, want %.7g", what, (long long)r, (double)g[4],
                     (double)w[4]);
        }
    }
}

static int64_t kept_rows(const decoded *d)
{
    int64_t n = 0;
    for (int64_t r = 0; r < d->n; r++)
        n += d->rows[r * 6 + 4] != -1.0f;
    return n;
}

/* GPU vs reference at both precisions for each threshold. */
static void check(const lk_yolo_decode_params *p, const lk_shape *s, const float *data,
                  const float *thrs, int n_thr, const char *what)
{
    int64_t rows, n = lk_shape_numel(s);
    lk_graph *g = decode_graph(p, s, &rows);
    float *r16 = malloc((size_t)n * sizeof(float));
    float size = (float)(p->input_w > p->input_h ? p->input_w : p->input_h);
    assert_non_null(r16);
    for (int64_t i = 0; i < n; i++)
        r16[i] = lk_f16_to_f32(lk_f32_to_f16(data[i]));
    for (int pi = 0; pi < 2; pi++) {
        lk_precision prec = pi ? LK_FP16 : LK_FP32;
        const float *x = pi ? r16 : data;
        if (prec == LK_FP16 && !lk_context_device(lkt_context())->fp16_storage)
            continue;
        decoded all = run_ref(g, rows, x, -2.0f);
        for (int t = 0; t < n_thr; t++) {
            char label[160];
            snprintf(label, sizeof label, "%s %s thr %g", what, pi ? "fp16" : "fp32", (double)thrs[t]);
            decoded want = run_ref(g, rows, x, thrs[t]);
            decoded got = run_gpu(g, rows, x, thrs[t], prec);
            compare(&got, &want, &all, thrs[t], size, label);
            if (t == 0 && pi == 0)
                print_message("%s: %lld rows, %lld above %g\n", what, (long long)rows,
                              (long long)kept_rows(&want), (double)thrs[t]);
            free(want.rows);
            free(got.rows);
        }
        free(all.rows);
    }
    free(r16);
    lk_graph_free(g);
}

static const float thresholds[] = {0.25f, 0.0f, 0.6f, 1.5f};
#define N_THR (int)(sizeof thresholds / sizeof thresholds[0])

static lk_yolo_decode_params params(int family, int h, int w)
{
    lk_params p;
    lk_params_init(LK_OP_YOLO_DECODE, &p);
    p.yolo_decode.family = family;
    p.yolo_decode.input_h = h;
    p.yolo_decode.input_w = w;
    return p.yolo_decode;
}

static float *alloc_data(const lk_shape *s)
{
    float *x = malloc((size_t)lk_shape_numel(s) * sizeof(float));
    assert_non_null(x);
    return x;
}

/* ------------------------------------------------ realistic value ranges */

/* YOLOX rows: offsets, log sizes, sigmoided obj and classes. */
static void fill_yolox(float *x, int64_t rows, int64_t nc)
{
    for (int64_t r = 0; r < rows; r++) {
        float *v = x + r * (5 + nc);
        v[0] = lkt_uniform(-0.5f, 1.5f);
        v[1] = lkt_uniform(-0.5f, 1.5f);
        v[2] = lkt_uniform(-1.0f, 3.0f);
        v[3] = lkt_uniform(-1.0f, 3.0f);
        float u = lkt_uniform(0.0f, 1.0f);
        v[4] = u * u * u * u; /* objectness: mostly background */
        for (int64_t c = 5; c < 5 + nc; c++)
            v[c] = lkt_uniform(0.0f, 1.0f);
    }
}

static void test_yolox(void **state)
{
    (void)state;
    /* 64x96: grids 8x12, 4x6, 2x3; 70x50: ceil grids 9x7, 5x4, 3x2 */
    const int sizes[][3] = {{64, 96, 3}, {70, 50, 1}, {416, 416, 80}};
    for (int i = 0; i < 3; i++) {
        int h = sizes[i][0], w = sizes[i][1], nc = sizes[i][2];
        int64_t rows = 0;
        for (int st = 8; st <= 32; st *= 2)
            rows += (int64_t)((h + st - 1) / st) * ((w + st - 1) / st);
        lk_shape s = lk_shape_make(3, (int64_t[]){1, rows, 5 + nc});
        lk_yolo_decode_params p = params(LK_YOLO_YOLOX, h, w);
        float *x = alloc_data(&s);
        char what[64];
        fill_yolox(x, rows, nc);
        snprintf(what, sizeof what, "yolox %dx%d C=%d", h, w, nc);
        check(&p, &s, x, thresholds, N_THR, what);
        lkt_fill(x, (size_t)lk_shape_numel(&s), -4.0f, 4.0f);
        snprintf(what, sizeof what, "yolox %dx%d C=%d random", h, w, nc);
        check(&p, &s, x, thresholds, 2, what);
        free(x);
    }
}

static void test_ultralytics(void **state)
{
    (void)state;
    const int64_t cases[][2] = {{8400, 80}, {37, 1}, {300, 5}};
    for (int i = 0; i < 3; i++) {
        int64_t n = cases[i][0], nc = cases[i][1];
        lk_shape s = lk_shape_make(3, (int64_t[]){1, 4 + nc, n});
        lk_yolo_decode_params p = params(LK_YOLO_ULTRALYTICS, 640, 640);
        p.n_classes = (int)nc;
        float *x = alloc_data(&s);
        char what[64];
        for (int64_t r = 0; r < n; r++) {
            x[r] = lkt_uniform(0.0f, 640.0f);
            x[n + r] = lkt_uniform(0.0f, 640.0f);
            x[2 * n + r] = lkt_uniform(2.0f, 320.0f);
            x[3 * n + r] = lkt_uniform(2.0f, 320.0f);
            /* as trained heads: background everywhere, one class high on
             * about one anchor point in twenty */
            int64_t hit = lkt_uniform(0.0f, 1.0f) < 0.05f ? (int64_t)(lkt_rand() % nc) : -1;
            for (int64_t c = 0; c < nc; c++)
                x[(4 + c) * n + r] = c == hit ? lkt_uniform(0.2f, 1.0f) : lkt_uniform(0.0f, 0.05f);
        }
        snprintf(what, sizeof what, "ultralytics N=%lld C=%lld", (long long)n, (long long)nc);
        check(&p, &s, x, thresholds, N_THR, what);
        lkt_fill(x, (size_t)lk_shape_numel(&s), -4.0f, 4.0f);
        snprintf(what, sizeof what, "ultralytics N=%lld C=%lld random", (long long)n, (long long)nc);
        check(&p, &s, x, thresholds, 2, what);
        free(x);
    }
}

static void test_fastestdet(void **state)
{
    (void)state;
    const int cases[][5] = {{22, 22, 80, 352, 352}, {3, 5, 2, 48, 80}};
    for (int i = 0; i < 2; i++) {
        int gh = cases[i][0], gw = cases[i][1], nc = cases[i][2];
        int64_t hw = (int64_t)gh * gw;
        lk_shape s = lk_shape4(1, 5 + nc, gh, gw);
        lk_yolo_decode_params p = params(LK_YOLO_FASTESTDET, cases[i][3], cases[i][4]);
        float *x = alloc_data(&s);
        char what[64];
        for (int64_t r = 0; r < hw; r++) {
            double sum = 0.0;
            x[r] = lkt_uniform(0.0f, 1.0f);
            for (int c = 1; c < 5; c++)
                x[c * hw + r] = lkt_uniform(-3.0f, 3.0f);
            for (int c = 0; c < nc; c++)
                sum += x[(5 + c) * hw + r] = expf(lkt_uniform(-3.0f, 3.0f));
            for (int c = 0; c < nc; c++)
                x[(5 + c) * hw + r] = (float)(x[(5 + c) * hw + r] / sum);
        }
        snprintf(what, sizeof what, "fastestdet %dx%d C=%d", gh, gw, nc);
        check(&p, &s, x, thresholds, N_THR, what);
        lkt_fill(x, (size_t)lk_shape_numel(&s), -4.0f, 4.0f);
        snprintf(what, sizeof what, "fastestdet %dx%d C=%d random", gh, gw, nc);
        check(&p, &s, x, thresholds, 2, what);
        free(x);
    }
}

static void test_darknet(void **state)
{
    (void)state;
    /* Yolo-Fastest's two heads at 320x320, then a small scaled head */
    static const float a0[] = {115, 73, 119, 199, 242, 238}, a1[] = {12, 18, 37, 49, 52, 132};
    const struct { int g, na, nc; const float *anchors; float sxy; } cases[] = {
        {10, 3, 80, a0, 1.0f}, {20, 3, 80, a1, 1.0f}, {7, 2, 4, a1, 1.2f}};
    for (int i = 0; i < 3; i++) {
        int g = cases[i].g, na = cases[i].na, nc = cases[i].nc;
        lk_shape s = lk_shape4(1, (int64_t)na * (5 + nc), g, i == 2 ? g + 3 : g);
        lk_yolo_decode_params p = params(LK_YOLO_DARKNET, 320, i == 2 ? 416 : 320);
        p.n_anchors = na;
        memcpy(p.anchors, cases[i].anchors, 2 * (size_t)na * sizeof(float));
        p.scale_x_y = cases[i].sxy;
        float *x = alloc_data(&s);
        char what[64];
        int64_t hw = s.d[2] * s.d[3];
        for (int64_t c = 0; c < s.d[1]; c++)
            for (int64_t j = 0; j < hw; j++)
                x[c * hw + j] = c % (5 + nc) < 4 ? lkt_uniform(-3.0f, 3.0f) : lkt_uniform(-9.0f, 3.0f);
        snprintf(what, sizeof what, "darknet %lldx%lld A=%d C=%d sxy %g", (long long)s.d[2],
                 (long long)s.d[3], na, nc, (double)cases[i].sxy);
        check(&p, &s, x, thresholds, N_THR, what);
        lkt_fill(x, (size_t)lk_shape_numel(&s), -6.0f, 6.0f);
        snprintf(what, sizeof what, "darknet %lldx%lld random", (long long)s.d[2], (long long)s.d[3]);
        check(&p, &s, x, thresholds, 2, what);
        free(x);
    }
}

static void test_yolov1(void **state)
{
    (void)state;
    /* the lecture's VOC head 7x7x(2*5+20), also flat, and a 4x4 B=3 C=1 */
    const struct { int s, b, nc, flat; } cases[] = {{7, 2, 20, 0}, {7, 2, 20, 1}, {4, 3, 1, 0}};
    for (int i = 0; i < 3; i++) {
        int S = cases[i].s, B = cases[i].b, nc = cases[i].nc;
        lk_shape s = cases[i].flat ? lk_shape_make(2, (int64_t[]){1, (int64_t)S * S * (5 * B + nc)})
                                   : lk_shape4(1, S, S, 5 * B + nc);
        lk_yolo_decode_params p = params(LK_YOLO_YOLOV1, 448, 448);
        p.boxes_b = B;
        p.grid_s = cases[i].flat ? S : 0;
        float *x = alloc_data(&s);
        char what[64];
        lkt_fill(x, (size_t)lk_shape_numel(&s), 0.0f, 1.0f);
        snprintf(what, sizeof what, "yolov1 S=%d B=%d C=%d%s", S, B, nc, cases[i].flat ? " flat" : "");
        check(&p, &s, x, thresholds, N_THR, what);
        lkt_fill(x, (size_t)lk_shape_numel(&s), -2.0f, 2.0f);
        snprintf(what, sizeof what, "yolov1 S=%d B=%d random", S, B);
        check(&p, &s, x, thresholds, 2, what);
        free(x);
    }
}

/* Filter: GPU = reference, and independently: a kept row's class is in
 * the set, and every row is the unfiltered result minus other classes. */
static void test_class_filter(void **state)
{
    (void)state;
    const int keep[] = {0, 2, 7, 79};
    int64_t rows = 3549;
    lk_shape s = lk_shape_make(3, (int64_t[]){1, rows, 85});
    lk_yolo_decode_params p = params(LK_YOLO_YOLOX, 416, 416), pf;
    float *x = alloc_data(&s);
    fill_yolox(x, rows, 80);
    pf = p;
    pf.filter = 1;
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
        pf.keep[keep[i] / 32] |= 1u << (keep[i] % 32);
    check(&pf, &s, x, thresholds, 2, "yolox class filter");

    int64_t r1, r2, n_kept = 0;
    lk_graph *g = decode_graph(&p, &s, &r1), *gf = decode_graph(&pf, &s, &r2);
    decoded all = run_ref(g, r1, x, 0.1f), got = run_gpu(gf, r2, x, 0.1f, LK_FP32);
    for (int64_t r = 0; r < rows; r++) {
        int cls = (int)all.rows[r * 6 + 5], in_set = cls == 0 || cls == 2 || cls == 7 || cls == 79;
        float want = in_set ? all.rows[r * 6 + 4] : -1.0f;
        if (fabsf(got.rows[r * 6 + 4] - want) > SCORE_TOL)
            fail_msg("filter row %lld class %d: score %g, want %g", (long long)r, cls,
                     (double)got.rows[r * 6 + 4], (double)want);
        n_kept += want != -1.0f;
    }
    print_message("filter: %lld of %lld rows kept\n", (long long)n_kept, (long long)rows);
    assert_true(n_kept > 0);
    free(all.rows);
    free(got.rows);
    lk_graph_free(g);
    lk_graph_free(gf);
    free(x);
}

/* ----------------------------------------------------- hand-computed rows */

/* Decodes `data` on the device and by the reference and checks row r of
 * both against a box worked out by hand from the family's formulas. */
static void expect_row(const lk_yolo_decode_params *p, const lk_shape *s, const float *data,
                       int64_t r, const float want[6], const char *what)
{
    int64_t rows;
    lk_graph *g = decode_graph(p, s, &rows);
    decoded ref = run_ref(g, rows, data, 0.05f), got = run_gpu(g, rows, data, 0.05f, LK_FP32);
    for (int side = 0; side < 2; side++) {
        const float *v = (side ? got.rows : ref.rows) + r * 6;
        for (int c = 0; c < 6; c++)
            if (fabsf(v[c] - want[c]) > 1e-4f * fmaxf(1.0f, fabsf(want[c])))
                fail_msg("%s %s row %lld column %d: %.7g, want %.7g", what,
                         side ? "GPU" : "reference", (long long)r, c, (double)v[c], (double)want[c]);
    }
    free(ref.rows);
    free(got.rows);
    lk_graph_free(g);
}

static float logit(float p)
{
    return logf(p / (1.0f - p));
}

static void test_hand_computed(void **state)
{
    (void)state;
    {   /* YOLOX 32x32: grids 4x4 (rows 0-15), 2x2 (16-19), 1x1 (20). Row 17
         * is the stride-16 cell x 1, y 0. */
        lk_shape s = lk_shape_make(3, (int64_t[]){1, 21, 7});
        float x[21 * 7] = {0};
        float *v = x + 17 * 7;
        v[0] = 0.5f; v[1] = 0.25f; v[2] = logf(2.0f); v[3] = 0.0f;
        v[4] = 0.8f; v[5] = 0.3f; v[6] = 0.6f;
        /* centre (24, 4), size 32x16, score 0.8 * 0.6 */
        const float want[6] = {8.0f, -4.0f, 40.0f, 12.0f, 0.48f, 1.0f};
        lk_yolo_decode_params p = params(LK_YOLO_YOLOX, 32, 32);
        expect_row(&p, &s, x, 17, want, "yolox");
    }
    {   /* Ultralytics, 3 anchor points, 2 classes: point 1 */
        lk_shape s = lk_shape_make(3, (int64_t[]){1, 6, 3});
        float x[18] = {0};
        x[1] = 100.0f; x[4] = 50.0f; x[7] = 20.0f; x[10] = 40.0f;
        x[13] = 0.7f; x[16] = 0.2f;
        const float want[6] = {90.0f, 30.0f, 110.0f, 70.0f, 0.7f, 0.0f};
        lk_yolo_decode_params p = params(LK_YOLO_ULTRALYTICS, 640, 640);
        expect_row(&p, &s, x, 1, want, "ultralytics");
    }
    {   /* FastestDet 2x4 grid on a 160x80 input, 2 classes: cell (y 1, x 2) */
        lk_shape s = lk_shape4(1, 7, 2, 4);
        float x[7 * 8] = {0};
        int cell = 1 * 4 + 2;
        x[0 * 8 + cell] = 0.64f;
        x[1 * 8 + cell] = atanhf(0.5f);   /* cx = (2 + 0.5) / 4 * 80 = 50 */
        x[2 * 8 + cell] = atanhf(-0.25f); /* cy = (1 - 0.25) / 2 * 160 = 60 */
        x[3 * 8 + cell] = logit(0.25f);   /* w = 0.25 * 80 = 20 */
        x[4 * 8 + cell] = logit(0.5f);    /* h = 0.5 * 160 = 80 */
        x[5 * 8 + cell] = 0.1f;
        x[6 * 8 + cell] = 0.9f;
        float score = powf(0.64f, 0.6f) * powf(0.9f, 0.4f);
        const float want[6] = {40.0f, 20.0f, 60.0f, 100.0f, score, 1.0f};
        lk_yolo_decode_params p = params(LK_YOLO_FASTESTDET, 160, 80);
        expect_row(&p, &s, x, cell, want, "fastestdet");
    }
    {   /* Darknet head 3x3 on 96x96, 2 anchors, 1 class, scale_x_y 1.1:
         * anchor 1, cell (y 2, x 0) is row 1*9 + 6 = 15 */
        lk_shape s = lk_shape4(1, 12, 3, 3);
        float x[12 * 9] = {0};
        int cell = 6, b = 6 * 9 + cell;
        x[b + 0 * 9] = logit(0.75f);  /* cx = (0.75*1.1 - 0.05 + 0) / 3 * 96 = 24.8 */
        x[b + 1 * 9] = logit(0.5f);   /* cy = (0.55 - 0.05 + 2) / 3 * 96 = 80 */
        x[b + 2 * 9] = logf(1.5f);    /* w = 1.5 * 30 = 45 */
        x[b + 3 * 9] = 0.0f;          /* h = 1 * 40 = 40 */
        x[b + 4 * 9] = logit(0.9f);
        x[b + 5 * 9] = logit(0.8f);
        const float want[6] = {2.3f, 60.0f, 47.3f, 100.0f, 0.72f, 0.0f};
        lk_yolo_decode_params p = params(LK_YOLO_DARKNET, 96, 96);
        p.n_anchors = 2;
        p.anchors[0] = 10; p.anchors[1] = 14; p.anchors[2] = 30; p.anchors[3] = 40;
        p.scale_x_y = 1.1f;
        expect_row(&p, &s, x, 15, want, "darknet");
    }
    {   /* YOLOv1 S=2, B=2, C=3 on 100x100: cell (y 1, x 0) box 1 is row 5 */
        lk_shape s = lk_shape4(1, 2, 2, 13);
        float x[4 * 13] = {0};
        float *c = x + 2 * 13;
        c[5] = 0.5f; c[6] = 0.5f; c[7] = 0.2f; c[8] = 0.4f; c[9] = 0.9f;
        c[10] = 0.1f; c[11] = 0.3f; c[12] = 0.6f;
        /* centre (25, 75), size 20x40, score 0.9 * 0.6 */
        const float want[6] = {15.0f, 55.0f, 35.0f, 95.0f, 0.54f, 2.0f};
        lk_yolo_decode_params p = params(LK_YOLO_YOLOV1, 100, 100);
        p.boxes_b = 2;
        expect_row(&p, &s, x, 5, want, "yolov1");
    }
}

/* --------------------------------------------------------------- errors */

static void expect_refused(const lk_yolo_decode_params *p, const lk_shape *s, int raw_params,
                           lk_status want, const char *needle)
{
    lk_graph *g = NULL;
    lk_msg msg = {{0}};
    lk_tensor in[2], out;
    lk_params prm;
    lk_shape four = lk_shape_make(1, (int64_t[]){4});
    assert_int_equal(lk_graph_new(&g, &msg), LK_OK);
    assert_int_equal(lk_graph_input(g, "raw", s, &in[0], &msg), LK_OK);
    if (raw_params)
        assert_int_equal(lk_graph_input_raw(g, "params", 16, &in[1], &msg), LK_OK);
    else
        assert_int_equal(lk_graph_input(g, "params", &four, &in[1], &msg), LK_OK);
    prm.yolo_decode = *p;
    lk_status st = lk_graph_add(g, LK_OP_YOLO_DECODE, &prm, "decode", in, 2, &out, 1, &msg);
    if (st != want || !strstr(msg.text, needle))
        fail_msg("expected %s mentioning \"%s\", got %s: %s", lk_status_str(want), needle,
                 lk_status_str(st), msg.text);
    lk_graph_free(g);
}

static void test_errors(void **state)
{
    (void)state;
    lk_yolo_decode_params p = params(LK_YOLO_YOLOX, 416, 416);
    lk_shape s = lk_shape_make(3, (int64_t[]){1, 3548, 85});
    expect_refused(&p, &s, 1, LK_ERR_SHAPE, "3549 anchor points");
    s.d[1] = 3549;
    p.n_classes = 20;
    expect_refused(&p, &s, 1, LK_ERR_SHAPE, "holds 80 classes, not 20");
    p.n_classes = 0;
    expect_refused(&p, &s, 0, LK_ERR_INVALID_ARG, "input 1");
    p.family = 9;
    expect_refused(&p, &s, 1, LK_ERR_INVALID_ARG, "family 9");
    p = params(LK_YOLO_DARKNET, 320, 320);
    p.n_anchors = 3;
    for (int i = 0; i < 6; i++)
        p.anchors[i] = 10.0f;
    s = lk_shape4(1, 256, 10, 10);
    expect_refused(&p, &s, 1, LK_ERR_SHAPE, "256 channels for 3 anchors");
    p.n_anchors = 0;
    expect_refused(&p, &s, 1, LK_ERR_INVALID_ARG, "0 anchors");
    p = params(LK_YOLO_ULTRALYTICS, 640, 640);
    s = lk_shape_make(3, (int64_t[]){1, 4, 100});
    expect_refused(&p, &s, 1, LK_ERR_SHAPE, "no class channels");
    s = lk_shape_make(3, (int64_t[]){1, 3004, 10});
    p.filter = 1;
    expect_refused(&p, &s, 1, LK_ERR_UNSUPPORTED, "class filter with 3000 classes");
    p = params(LK_YOLO_YOLOV1, 448, 448);
    s = lk_shape4(1, 7, 7, 30);
    expect_refused(&p, &s, 1, LK_ERR_INVALID_ARG, "0 boxes per cell");
    p.boxes_b = 2;
    s = lk_shape_make(2, (int64_t[]){1, 1470});
    expect_refused(&p, &s, 1, LK_ERR_SHAPE, "[1, S*S*(B*5+C)]");
    p = params(LK_YOLO_FASTESTDET, 0, 352);
    s = lk_shape4(1, 85, 22, 22);
    expect_refused(&p, &s, 1, LK_ERR_INVALID_ARG, "input size 0x352");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yolox),
        cmocka_unit_test(test_ultralytics),
        cmocka_unit_test(test_fastestdet),
        cmocka_unit_test(test_darknet),
        cmocka_unit_test(test_yolov1),
        cmocka_unit_test(test_class_filter),
        cmocka_unit_test(test_hand_computed),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
