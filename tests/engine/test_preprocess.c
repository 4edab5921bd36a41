/* preprocess: the reference against hand-computed values (cv2.resize
 * INTER_LINEAR / INTER_AREA results for small rows, BT.601/709 colours,
 * letterbox placement) and against OpenCV's pipeline of each detector
 * family (tools/reference/preprocess_cv2.py: float resize within float
 * precision; the u8 path bit for bit against cv2 on uint8 images, random
 * and real road frames); the GPU kernel against the reference for every
 * pixel format × fit × interpolation × path on random frames of odd sizes
 * with padded strides and gaps between planes, fp32 (u8: bit for bit) and
 * fp16. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "lookout/detector.h"

/* Rows and bytes per row of plane i (0 rows: no such plane). */
static void plane_geometry(int format, int w, int h, int i, int *rows, int *row_bytes)
{
    int cw = (w + 1) / 2, ch = (h + 1) / 2;
    *rows = *row_bytes = 0;
    if (format <= LK_PIXEL_BGR && i == 0)
        *rows = h, *row_bytes = 3 * w;
    else if (format <= LK_PIXEL_BGRX && format > LK_PIXEL_BGR && i == 0)
        *rows = h, *row_bytes = 4 * w;
    else if (format >= LK_PIXEL_NV12 && i == 0)
        *rows = h, *row_bytes = w;
    else if (format == LK_PIXEL_NV12 && i == 1)
        *rows = ch, *row_bytes = 2 * cw;
    else if (format == LK_PIXEL_I420 && i > 0)
        *rows = ch, *row_bytes = cw;
}

static lk_preprocess_params defaults(void)
{
    lk_params q;
    lk_params_init(LK_OP_PREPROCESS, &q);
    return q.preprocess;
}

static lk_status add_node(lk_graph *g, const lk_preprocess_params *p, lk_tensor x, lk_tensor *y,
                          lk_msg *msg)
{
    lk_params q;
    lk_params_init(LK_OP_PREPROCESS, &q);
    q.preprocess = *p;
    return lk_graph_add(g, LK_OP_PREPROCESS, &q, "pre", &x, 1, y, 1, msg);
}

typedef struct frame {
    uint8_t *bytes;          /* padded to a multiple of 4 */
    size_t n;
    lk_preprocess_params p;  /* format, size, offsets and strides set */
} frame;

/* Lays `planes` (tightly packed rows) out with `extra` bytes of garbage
 * after each row and `gap` bytes before each plane. */
static frame layout(int format, int w, int h, uint8_t *const planes[3], int extra, int gap)
{
    frame f;
    size_t n = 0;
    f.p = defaults();
    f.p.format = format;
    f.p.src_w = w;
    f.p.src_h = h;
    for (int i = 0; i < 3; i++) {
        int rows, rb;
        plane_geometry(format, w, h, i, &rows, &rb);
        if (!rows)
            continue;
        f.p.offset[i] = (int64_t)n + gap;
        f.p.stride[i] = rb + extra;
        n = (size_t)(f.p.offset[i] + f.p.stride[i] * rows);
    }
    f.n = n;
    f.bytes = malloc((n + 3) / 4 * 4);
    assert_non_null(f.bytes);
    for (size_t i = 0; i < (n + 3) / 4 * 4; i++)
        f.bytes[i] = (uint8_t)lkt_rand();
    for (int i = 0; i < 3; i++) {
        int rows, rb;
        plane_geometry(format, w, h, i, &rows, &rb);
        for (int r = 0; r < rows; r++)
            memcpy(f.bytes + f.p.offset[i] + (int64_t)r * f.p.stride[i], planes[i] + (size_t)r * rb,
                   (size_t)rb);
    }
    return f;
}

static lk_graph *one_node(const lk_preprocess_params *p, size_t n_bytes, lk_tensor *out)
{
    lk_graph *g;
    lk_tensor x;
    lk_msg msg = {{0}};
    assert_int_equal(lk_graph_new(&g, NULL), LK_OK);
    assert_int_equal(lk_graph_input_raw(g, "frame", n_bytes, &x, NULL), LK_OK);
    if (add_node(g, p, x, out, &msg))
        fail_msg("preprocess refused: %s", msg.text);
    assert_int_equal(lk_graph_output(g, *out, NULL), LK_OK);
    return g;
}

static size_t out_count(const lk_preprocess_params *p)
{
    return (size_t)3 * (size_t)p->dst_w * (size_t)p->dst_h;
}

/* The reference output of p on the frame (caller frees). */
static float *reference(const lk_preprocess_params *p, const frame *f)
{
    lk_tensor y;
    lk_graph *g = one_node(p, f->n, &y);
    float *ref = malloc(out_count(p) * sizeof *ref);
    assert_non_null(ref);
    const float *in[1] = {(const float *)f->bytes};
    assert_int_equal(lk_graph_run_reference(g, in, &ref, NULL), LK_OK);
    lk_graph_free(g);
    return ref;
}

/* The device at both precisions, activations poisoned, against ref; the
 * u8 path's 8-bit values must come out bit for bit at fp32. */
static void check_device(const lk_preprocess_params *p, const frame *f, const float *ref,
                         const char *what)
{
    lk_context *ctx = lkt_context();
    lk_tensor y;
    lk_graph *g = one_node(p, f->n, &y);
    size_t n = out_count(p);
    float *got = malloc(n * sizeof *got);
    assert_non_null(got);
    for (int prec = 0; prec <= lk_context_device(ctx)->fp16_storage; prec++) {
        lk_net_opts o;
        lk_net *net;
        lk_msg msg = {{0}};
        lk_net_opts_init(&o);
        o.precision = prec ? LK_FP16 : LK_FP32;
        o.poison = 1;
        if (lk_net_new(ctx, g, &o, &net, &msg))
            fail_msg("%s: %s", what, msg.text);
        const float *in[1] = {(const float *)f->bytes};
        assert_int_equal(lk_net_run(net, in, &got, &msg), LK_OK);
        double e = lkt_error(got, ref, n), tol = prec ? LKT_TOL_FP16 : LKT_TOL_FP32;
        if (!(e <= tol))
            fail_msg("%s %s: error %.3g > %.3g", what, prec ? "fp16" : "fp32", e, tol);
        for (size_t i = 0; p->u8 && !prec && i < n; i++)
            if (memcmp(&got[i], &ref[i], sizeof *got))
                fail_msg("%s u8 fp32: element %zu is %.9g, the reference %.9g", what, i,
                         (double)got[i], (double)ref[i]);
        lk_net_free(net);
    }
    free(got);
    lk_graph_free(g);
}

/* A one-row gray RGB frame through the reference, output on the 0..255 scale. */
static void expect_row(const uint8_t *vals, int w, int dst_w, lk_interp interp, const float *want)
{
    uint8_t rgb[64 * 3];
    uint8_t *planes[3] = {rgb, NULL, NULL};
    for (int i = 0; i < w; i++)
        rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = vals[i];
    frame f = layout(LK_PIXEL_RGB, w, 1, planes, 0, 0);
    f.p.dst_w = dst_w;
    f.p.dst_h = 1;
    f.p.fit = LK_FIT_STRETCH;
    f.p.interp = interp;
    float *ref = reference(&f.p, &f);
    for (int i = 0; i < dst_w; i++)
        for (int c = 0; c < 3; c++)
            if (fabsf(ref[c * dst_w + i] - want[i]) > 1e-3f)
                fail_msg("%s %d→%d: pixel %d channel %d is %g, want %g",
                         interp ? "area" : "bilinear", w, dst_w, i, c, ref[c * dst_w + i], want[i]);
    check_device(&f.p, &f, ref, "row");
    free(ref);
    free(f.bytes);
}

/* Values cv2.resize gives on float rows (python3 -c "import cv2, numpy as
 * np; cv2.resize(np.float32([[...]]), (n, 1), interpolation=...)"). */
static void test_opencv_geometry(void **state)
{
    (void)state;
    const uint8_t r4[] = {0, 100, 200, 255};
    expect_row(r4, 4, 2, LK_INTERP_BILINEAR, (const float[]){50, 227.5f});
    expect_row(r4, 4, 2, LK_INTERP_AREA, (const float[]){50, 227.5f});
    const uint8_t r2[] = {0, 100};
    expect_row(r2, 2, 4, LK_INTERP_BILINEAR, (const float[]){0, 25, 75, 100});
    expect_row(r2, 2, 4, LK_INTERP_AREA, (const float[]){0, 0, 100, 100});
    const uint8_t r5[] = {10, 20, 30, 40, 50};
    expect_row(r5, 5, 2, LK_INTERP_AREA, (const float[]){18, 42});
    const uint8_t r7[] = {10, 20, 30, 40, 50, 60, 70};
    expect_row(r7, 7, 3, LK_INTERP_AREA, (const float[]){120.0f / 7, 40, 440.0f / 7});
    expect_row(r7, 7, 3, LK_INTERP_BILINEAR, (const float[]){50.0f / 3, 40, 190.0f / 3});
    const uint8_t r3[] = {0, 90, 200};
    expect_row(r3, 3, 7, LK_INTERP_AREA, (const float[]){0, 0, 60, 90, 380.0f / 3, 200, 200});
}

static void test_letterbox_box(void **state)
{
    (void)state;
    lk_preprocess_params p = defaults();
    int box[4];
    p.src_w = 1280, p.src_h = 720, p.dst_w = 416, p.dst_h = 416;
    p.fit = LK_FIT_LETTERBOX;  /* YOLOX: int(720 · 0.325) rows at the top */
    lk_preprocess_box(&p, box);
    assert_memory_equal(box, ((int[]){0, 0, 416, 234}), sizeof box);
    p.fit = LK_FIT_LETTERBOX_CENTER;
    p.dst_w = p.dst_h = 640;
    lk_preprocess_box(&p, box);
    assert_memory_equal(box, ((int[]){0, 140, 640, 360}), sizeof box);
    p.src_w = 1000, p.src_h = 563;  /* 563 · 0.64 = 360.32 → 360 */
    lk_preprocess_box(&p, box);
    assert_memory_equal(box, ((int[]){0, 140, 640, 360}), sizeof box);
    p.src_w = 300, p.src_h = 1001;  /* 300 · 640/1001 = 191.8 → 192, (640 − 192) / 2 */
    lk_preprocess_box(&p, box);
    assert_memory_equal(box, ((int[]){224, 0, 192, 640}), sizeof box);
    p.fit = LK_FIT_STRETCH;
    lk_preprocess_box(&p, box);
    assert_memory_equal(box, ((int[]){0, 0, 640, 640}), sizeof box);

    /* Pad outside the box, normalised like pixels: 2x1 white into 4x4. */
    uint8_t white[6] = {255, 255, 255, 255, 255, 255};
    uint8_t *planes[3] = {white, NULL, NULL};
    frame f = layout(LK_PIXEL_RGB, 2, 1, planes, 0, 0);
    f.p.dst_w = f.p.dst_h = 4;
    f.p.fit = LK_FIT_LETTERBOX_CENTER;
    f.p.scale = 1.0f / 255.0f;
    f.p.mean[1] = 0.5f;
    f.p.std[1] = 0.25f;
    float *ref = reference(&f.p, &f);
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++) {
                float v = (y == 1 || y == 2) ? 1.0f : 114.0f / 255.0f;
                float want = c == 1 ? (v - 0.5f) / 0.25f : v;
                assert_float_equal(ref[c * 16 + y * 4 + x], want, 1e-5);
            }
    check_device(&f.p, &f, ref, "pad");
    free(ref);
    free(f.bytes);
}

/* One 2x2 NV12 / I420 block through the reference: a known colour. */
static void expect_yuv(int bt709, int full, int y, int u, int v, const float rgb[3])
{
    for (int format = LK_PIXEL_NV12; format <= LK_PIXEL_I420; format++) {
        uint8_t luma[4] = {(uint8_t)y, (uint8_t)y, (uint8_t)y, (uint8_t)y};
        uint8_t uv[2] = {(uint8_t)u, (uint8_t)v}, uu[1] = {(uint8_t)u}, vv[1] = {(uint8_t)v};
        uint8_t *planes[3] = {luma, format == LK_PIXEL_NV12 ? uv : uu, vv};
        frame f = layout(format, 2, 2, planes, 3, 5);
        f.p.dst_w = f.p.dst_h = 2;
        f.p.fit = LK_FIT_STRETCH;
        f.p.bt709 = bt709;
        f.p.full_range = full;
        float *ref = reference(&f.p, &f);
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < 4; i++)
                if (fabsf(ref[c * 4 + i] - rgb[c]) > 1.5f)
                    fail_msg("%s %s %s Y%d U%d V%d: channel %d is %g, want %g",
                             format == LK_PIXEL_NV12 ? "NV12" : "I420", bt709 ? "709" : "601",
                             full ? "full" : "limited", y, u, v, c, ref[c * 4 + i], rgb[c]);
        free(ref);
        free(f.bytes);
    }
}

static void test_yuv_colours(void **state)
{
    (void)state;
    /* cv2.cvtColor(COLOR_YUV2RGB_NV12) gives 255,255,255 / 0,0,0 / 254,0,0. */
    expect_yuv(0, 0, 235, 128, 128, (const float[]){255, 255, 255});
    expect_yuv(0, 0, 16, 128, 128, (const float[]){0, 0, 0});
    expect_yuv(0, 0, 81, 90, 240, (const float[]){255, 0, 0});
    /* Rec. 709 limited: 100% red is Y 63, Cb 102, Cr 240; green Y 173, Cb 42, Cr 26. */
    expect_yuv(1, 0, 63, 102, 240, (const float[]){255, 0, 0});
    expect_yuv(1, 0, 173, 42, 26, (const float[]){0, 255, 0});
    /* Full range (JPEG): red is Y 76, Cb 85, Cr 255; 601 blue Y 29, Cb 255, Cr 107. */
    expect_yuv(0, 1, 76, 85, 255, (const float[]){255, 0, 0});
    expect_yuv(0, 1, 29, 255, 107, (const float[]){0, 0, 255});
    /* 709 full: mid grey stays grey. */
    expect_yuv(1, 1, 128, 128, 128, (const float[]){128, 128, 128});
}

static int rand_in(int lo, int hi)
{
    return lo + (int)(lkt_rand() % (uint32_t)(hi - lo + 1));
}

/* Every format × fit × interpolation × float/u8 path, both channel
 * orders, on random frames: padded strides and gaps give the same
 * reference result as the tight layout, and the device matches the
 * reference. */
static void test_device_matches_reference(void **state)
{
    (void)state;
    static const char *const fmt_names[] = {"RGB", "BGR", "RGBA", "BGRx", "NV12", "I420"};
    int n_case = 0;
    for (int format = 0; format < LK_PIXEL_COUNT; format++)
        for (int fit = 0; fit <= LK_FIT_STRETCH; fit++)
            for (int interp = 0; interp <= LK_INTERP_AREA; interp++)
            for (int u8 = 0; u8 <= 1; u8++) {
                int w = rand_in(3, 64), h = rand_in(3, 48);
                /* Alternate shrinking (area's main use) and enlarging. */
                int dst_w = (n_case & 1) ? rand_in(w + 1, w + 20) : rand_in(2, w);
                int dst_h = (n_case & 1) ? rand_in(h + 1, h + 20) : rand_in(2, h);
                uint8_t *planes[3] = {NULL, NULL, NULL};
                for (int i = 0; i < 3; i++) {
                    int rows, rb;
                    plane_geometry(format, w, h, i, &rows, &rb);
                    planes[i] = malloc((size_t)rows * (size_t)rb + 1);
                    assert_non_null(planes[i]);
                    for (int j = 0; j < rows * rb; j++)
                        planes[i][j] = (uint8_t)lkt_rand();
                }
                frame tight = layout(format, w, h, planes, 0, 0);
                frame f = layout(format, w, h, planes, rand_in(1, 13), rand_in(1, 7));
                lk_preprocess_params *p[2] = {&tight.p, &f.p};
                float scale = lkt_uniform(0.002f, 0.02f), mean[3], stdv[3];
                for (int c = 0; c < 3; c++) {
                    mean[c] = lkt_uniform(-1.0f, 1.0f);
                    stdv[c] = lkt_uniform(0.2f, 2.0f);
                }
                float pad = (float)rand_in(0, 255);
                int bgr = n_case % 3 == 0, bt709 = (n_case >> 1) & 1, full = (n_case >> 2) & 1;
                for (int k = 0; k < 2; k++) {
                    p[k]->dst_w = dst_w;
                    p[k]->dst_h = dst_h;
                    p[k]->fit = (lk_fit)fit;
                    p[k]->interp = (lk_interp)interp;
                    p[k]->bgr = bgr;
                    p[k]->scale = scale;
                    memcpy(p[k]->mean, mean, sizeof mean);
                    memcpy(p[k]->std, stdv, sizeof stdv);
                    p[k]->pad = pad;
                    p[k]->bt709 = bt709;
                    p[k]->full_range = full;
                    p[k]->u8 = u8;
                }
                char what[160];
                snprintf(what, sizeof what, "%s %dx%d → %dx%d fit %d %s%s%s", fmt_names[format], w,
                         h, dst_w, dst_h, fit, interp ? "area" : "bilinear", bgr ? " bgr" : "",
                         u8 ? " u8" : "");
                float *ref_tight = reference(&tight.p, &tight), *ref = reference(&f.p, &f);
                if (memcmp(ref_tight, ref, out_count(&f.p) * sizeof *ref))
                    fail_msg("%s: strides and gaps change the result", what);
                check_device(&f.p, &f, ref, what);
                free(ref_tight);
                free(ref);
                free(tight.bytes);
                free(f.bytes);
                for (int i = 0; i < 3; i++)
                    free(planes[i]);
                n_case++;
            }
}

/* A 1920x1080 NV12 frame into 416x416 by area, the detector's big case. */
static void test_full_hd(void **state)
{
    (void)state;
    int w = 1920, h = 1080;
    uint8_t *luma = malloc((size_t)w * h), *uv = malloc((size_t)w * h / 2);
    assert_non_null(luma);
    assert_non_null(uv);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            luma[y * w + x] = (uint8_t)((x * 7 + y * 3 + (int)(lkt_rand() % 16)) & 0xff);
    for (int i = 0; i < w * h / 2; i++)
        uv[i] = (uint8_t)lkt_rand();
    uint8_t *planes[3] = {luma, uv, NULL};
    frame f = layout(LK_PIXEL_NV12, w, h, planes, 64, 0);
    f.p.dst_w = f.p.dst_h = 416;
    f.p.fit = LK_FIT_LETTERBOX;
    f.p.interp = LK_INTERP_AREA;
    f.p.bgr = 1;
    float *ref = reference(&f.p, &f);
    check_device(&f.p, &f, ref, "NV12 1920x1080 → 416x416 area");
    free(ref);
    free(f.bytes);
    free(luma);
    free(uv);
}

/* OpenCV's pre-processing of each detector family (index written by
 * tools/reference/preprocess_cv2.py): the reference within the case's
 * tolerance (0 for the u8 path: bit for bit), the device like it. */
static void test_opencv_pipelines(void **state)
{
    (void)state;
    const char *index = getenv("LOOKOUT_PREPROCESS_CV2"), *ci = getenv("CI");
    FILE *fi = index ? fopen(index, "r") : NULL;
    if (!fi) {
        print_message("skipping: no OpenCV reference (LOOKOUT_PREPROCESS_CV2=%s; needs "
                      "python3-opencv at build time)\n", index ? index : "");
        if (ci && !strcmp(ci, "true"))
            fail_msg("CI=true requires the OpenCV reference");
        skip();
    }
    char name[64], path[1024];
    int fmt, w, h, dw, dh, fit, interp, bgr, u8, n_case = 0, n_real = 0;
    float scale, pad, tol;
    while (fscanf(fi, "%63s %d %d %d %d %d %d %d %d %f %f %f %d %1023s", name, &fmt, &w, &h, &dw,
                  &dh, &fit, &interp, &bgr, &scale, &pad, &tol, &u8, path) == 14) {
        int cw = (w + 1) / 2, ch = (h + 1) / 2;
        size_t raw = fmt <= LK_PIXEL_BGR ? (size_t)w * h * 3 : (size_t)w * h + 2 * (size_t)cw * ch;
        size_t n_out = (size_t)3 * dw * dh;
        uint8_t *bytes = malloc((raw + 3) / 4 * 4);
        float *want = malloc(n_out * sizeof *want);
        assert_non_null(bytes);
        assert_non_null(want);
        FILE *f = fopen(path, "rb");
        if (!f)
            fail_msg("%s: cannot open %s", name, path);
        assert_int_equal(fread(bytes, 1, raw, f), raw);
        assert_int_equal(fread(want, sizeof *want, n_out, f), n_out);
        fclose(f);
        frame fr = {bytes, raw, defaults()};
        lk_preprocess_params *p = &fr.p;
        uint8_t *planes[3] = {bytes, bytes + (size_t)w * h,
                              bytes + (size_t)w * h + (size_t)cw * ch};
        p->format = fmt;
        p->src_w = w;
        p->src_h = h;
        for (int i = 0; i < 3; i++) {
            int rows, rb;
            plane_geometry(fmt, w, h, i, &rows, &rb);
            p->offset[i] = rows ? planes[i] - bytes : 0;
            p->stride[i] = rb;
        }
        p->dst_w = dw;
        p->dst_h = dh;
        p->fit = (lk_fit)fit;
        p->interp = (lk_interp)interp;
        p->bgr = bgr;
        p->scale = scale;
        p->pad = pad;
        p->u8 = u8;
        float *ref = reference(p, &fr);
        double worst = 0;
        size_t n_off = 0;
        for (size_t i = 0; i < n_out; i++) {
            double e = fabs((double)ref[i] - want[i]);
            n_off += e > 0;
            worst = e <= worst ? worst : e;  /* NaN (unwritten) sticks */
        }
        print_message("%-22s max |reference - cv2| = %.3g (tolerance %.3g), %zu of %zu differ\n",
                      name, worst, (double)tol, n_off, n_out);
        if (!(worst <= tol))
            fail_msg("%s: the reference differs from OpenCV by %.3g", name, worst);
        check_device(p, &fr, ref, name);
        free(ref);
        free(bytes);
        free(want);
        n_case++;
        n_real += !strncmp(name, "real", 4);
    }
    fclose(fi);
    if (n_case - n_real < 39)
        fail_msg("%s: %d synthetic cases, expected 39", index, n_case - n_real);
    if (!n_real) {
        print_message("no real frames (the script found no shared footage)\n");
        if (ci && !strcmp(ci, "true"))
            fail_msg("CI=true requires the real frames (../shared/assets/footage)");
    }
}

static void expect_refused(const lk_preprocess_params *p, size_t n_bytes, lk_status want,
                           const char *needle)
{
    lk_graph *g;
    lk_tensor x, y;
    lk_msg msg = {{0}};
    assert_int_equal(lk_graph_new(&g, NULL), LK_OK);
    assert_int_equal(lk_graph_input_raw(g, "frame", n_bytes, &x, NULL), LK_OK);
    lk_status st = add_node(g, p, x, &y, &msg);
    if (st != want || !strstr(msg.text, needle))
        fail_msg("status %d (want %d), message \"%s\" (want \"%s\")", st, want, msg.text, needle);
    lk_graph_free(g);
}

static void test_errors(void **state)
{
    (void)state;
    lk_preprocess_params p = defaults();
    p.format = LK_PIXEL_RGB;
    p.src_w = 5, p.src_h = 3, p.dst_w = p.dst_h = 8;
    p.stride[0] = 15;
    expect_refused(&p, 44, LK_ERR_SHAPE, "plane 0 ends at byte 45");
    p.stride[0] = 14;
    expect_refused(&p, 64, LK_ERR_INVALID_ARG, "a row is 15 bytes");
    p.stride[0] = 15;
    p.format = LK_PIXEL_COUNT;
    expect_refused(&p, 64, LK_ERR_UNSUPPORTED, "pixel format");
    p.format = LK_PIXEL_NV12;
    p.stride[0] = 5, p.offset[1] = 15, p.stride[1] = 5;
    expect_refused(&p, 64, LK_ERR_INVALID_ARG, "plane 1");  /* UV row is 6 bytes */
    p.stride[1] = 6;
    p.src_w = 0;
    expect_refused(&p, 64, LK_ERR_INVALID_ARG, "frame size 0x3");
    p.src_w = 5;
    p.std[2] = 0.0f;
    expect_refused(&p, 64, LK_ERR_INVALID_ARG, "mean/std of channel 2");

    /* The frame must be a raw input, not net-precision values. */
    lk_graph *g;
    lk_tensor x, y;
    lk_msg msg = {{0}};
    lk_shape s = lk_shape_make(1, (int64_t[]){16});
    p.std[2] = 1.0f;
    assert_int_equal(lk_graph_new(&g, NULL), LK_OK);
    assert_int_equal(lk_graph_input(g, "x", &s, &x, NULL), LK_OK);
    assert_int_equal(add_node(g, &p, x, &y, &msg), LK_ERR_INVALID_ARG);
    assert_non_null(strstr(msg.text, "32-bit"));
    lk_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_opencv_geometry),
        cmocka_unit_test(test_letterbox_box),
        cmocka_unit_test(test_yuv_colours),
        cmocka_unit_test(test_device_matches_reference),
        cmocka_unit_test(test_full_hd),
        cmocka_unit_test(test_opencv_pipelines),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
