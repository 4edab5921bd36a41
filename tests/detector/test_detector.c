/* The detector API. Error paths on generated files (an ONNX model written
 * with the protobuf-c structs, sidecars, labels files) and bad frames; then
 * YOLOX-Nano from ../shared/assets on the Udacity test1.jpg road image (as
 * PPM, converted by ffmpeg at build time): the two cars of SOURCES.md, the
 * same detections from all six pixel formats (YUV made here by a plain-C
 * BT.601 conversion), padded strides, sync vs async, several frame sizes
 * through one detector, the class filter, thresholds between frames, fp16. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "lookout/detector.h"
#include "lookout/onnx.h"
#include "onnx.pb-c.h"
#include "ppm.h"

/* ----------------------------------------------------------- helpers */

static void need(const char *what, const char *path)
{
    FILE *f = path ? fopen(path, "rb") : NULL;
    if (f) {
        fclose(f);
        return;
    }
    const char *ci = getenv("CI");
    print_message("skipping: missing %s (%s)\n", what, path ? path : "path not set");
    if (ci && !strcmp(ci, "true"))
        fail_msg("CI=true requires %s", what);
    skip();
}

static const char *shared(const char *rel)
{
    static char buf[4][1024];
    static int k;
    const char *root = getenv("LOOKOUT_SHARED");
    if (!root)
        return NULL;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/assets/%s", root, rel);
    return buf[k];
}

#define YOLOX "models/yolox_nano/yolox_nano.onnx"
#define COCO "models/yolox_nano/coco_classes.txt"

static char tmpdir[256];

static const char *tmp_file(const char *name, const char *text)
{
    static char path[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(path[k], sizeof path[k], "%s/%s", tmpdir, name);
    FILE *f = fopen(path[k], "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path[k];
}

/* A one-node ONNX model (Relu on [1, 3, 8, 8]) with optional metadata. */
static const char *relu_model(const char *name, const char *meta_key, const char *meta_value)
{
    Onnx__ModelProto m = ONNX__MODEL_PROTO__INIT;
    Onnx__GraphProto g = ONNX__GRAPH_PROTO__INIT;
    Onnx__NodeProto n = ONNX__NODE_PROTO__INIT;
    Onnx__OperatorSetIdProto ops = ONNX__OPERATOR_SET_ID_PROTO__INIT;
    Onnx__ValueInfoProto vi[2] = {ONNX__VALUE_INFO_PROTO__INIT, ONNX__VALUE_INFO_PROTO__INIT};
    Onnx__TypeProto tp = ONNX__TYPE_PROTO__INIT;
    Onnx__TypeProto__Tensor tt = ONNX__TYPE_PROTO__TENSOR__INIT;
    Onnx__TensorShapeProto sp = ONNX__TENSOR_SHAPE_PROTO__INIT;
    Onnx__TensorShapeProto__Dimension dims[4];
    Onnx__TensorShapeProto__Dimension *dp[4];
    Onnx__StringStringEntryProto kv = ONNX__STRING_STRING_ENTRY_PROTO__INIT;
    Onnx__StringStringEntryProto *kvp[1] = {&kv};
    const int64_t d[4] = {1, 3, 8, 8};
    for (int i = 0; i < 4; i++) {
        onnx__tensor_shape_proto__dimension__init(&dims[i]);
        dims[i].value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        dims[i].dim_value = d[i];
        dp[i] = &dims[i];
    }
    sp.n_dim = 4;
    sp.dim = dp;
    tt.has_elem_type = 1;
    tt.elem_type = ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    tt.shape = &sp;
    tp.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp.tensor_type = &tt;
    vi[0].name = "x";
    vi[0].type = &tp;
    vi[1].name = "y";
    vi[1].type = &tp;
    Onnx__ValueInfoProto *in[1] = {&vi[0]}, *out[1] = {&vi[1]};
    char *nin[1] = {"x"}, *nout[1] = {"y"};
    n.op_type = "Relu";
    n.n_input = 1;
    n.input = nin;
    n.n_output = 1;
    n.output = nout;
    Onnx__NodeProto *np[1] = {&n};
    g.name = "relu";
    g.n_node = 1;
    g.node = np;
    g.n_input = 1;
    g.input = in;
    g.n_output = 1;
    g.output = out;
    ops.domain = "";
    ops.has_version = 1;
    ops.version = 11;
    Onnx__OperatorSetIdProto *opp[1] = {&ops};
    m.has_ir_version = 1;
    m.ir_version = 7;
    m.n_opset_import = 1;
    m.opset_import = opp;
    m.graph = &g;
    if (meta_key) {
        kv.key = (char *)meta_key;
        kv.value = (char *)meta_value;
        m.n_metadata_props = 1;
        m.metadata_props = kvp;
    }
    static char path[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(path[k], sizeof path[k], "%s/%s", tmpdir, name);
    size_t len = onnx__model_proto__get_packed_size(&m);
    uint8_t *buf = malloc(len);
    assert_non_null(buf);
    onnx__model_proto__pack(&m, buf);
    FILE *f = fopen(path[k], "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(buf, 1, len, f), len);
    fclose(f);
    free(buf);
    return path[k];
}

static void expect_new_error(const char *path, const lk_detector_opts *o, lk_status want,
                             const char *needle)
{
    lk_detector *d = NULL;
    lk_msg msg = {{0}};
    lk_status st = lk_detector_new(path, o, &d, &msg);
    if (st != want || !strstr(msg.text, needle))
        fail_msg("lk_detector_new(%s): status %d (want %d), \"%s\" (want \"%s\")", path, st, want,
                 msg.text, needle);
    assert_null(d);
}

typedef struct image {
    int w, h;
    uint8_t *rgb;
} image;

static image read_ppm(const char *path)
{
    image im = {0, 0, NULL};
    char err[512];
    if (ppm_read(path, &im.rgb, &im.w, &im.h, err, sizeof err))
        fail_msg("%s", err);
    return im;
}

static image load_test1(void)
{
    const char *ppm = getenv("LOOKOUT_TEST1_PPM");
    need("YOLOX-Nano", shared(YOLOX));
    need("test1.jpg as PPM (needs ffmpeg at build time)", ppm);
    return read_ppm(ppm);
}

static lk_frame rgb_frame(const image *im)
{
    lk_frame f;
    memset(&f, 0, sizeof f);
    f.format = LK_PIXEL_RGB;
    f.width = im->w;
    f.height = im->h;
    f.planes[0] = im->rgb;
    f.strides[0] = (size_t)im->w * 3;
    return f;
}

/* The frame in another format; *buf (caller frees) holds its planes.
 * YUV is BT.601 limited range, chroma averaged over each 2x2 block. */
static lk_frame convert(const image *im, lk_pixel_format fmt, uint8_t **buf)
{
    int w = im->w, h = im->h, cw = (w + 1) / 2, ch = (h + 1) / 2;
    lk_frame f;
    memset(&f, 0, sizeof f);
    f.format = fmt;
    f.width = w;
    f.height = h;
    *buf = malloc((size_t)w * h * 4 + 16);
    assert_non_null(*buf);
    uint8_t *o = *buf;
    if (fmt <= LK_PIXEL_BGRX) {
        int bpp = fmt <= LK_PIXEL_BGR ? 3 : 4, swap = fmt == LK_PIXEL_BGR || fmt == LK_PIXEL_BGRX;
        for (int i = 0; i < w * h; i++) {
            const uint8_t *p = im->rgb + 3 * i;
            for (int c = 0; c < 3; c++)
                o[bpp * i + c] = p[swap ? 2 - c : c];
            if (bpp == 4)
                o[bpp * i + 3] = 0x5a;
        }
        f.planes[0] = o;
        f.strides[0] = (size_t)w * bpp;
        return f;
    }
    uint8_t *y = o, *u = o + (size_t)w * h, *v = u + (size_t)cw * ch;
    for (int i = 0; i < w * h; i++) {
        const uint8_t *p = im->rgb + 3 * i;
        y[i] = (uint8_t)lrint(16.0 + (65.481 * p[0] + 128.553 * p[1] + 24.966 * p[2]) / 255.0);
    }
    for (int by = 0; by < ch; by++)
        for (int bx = 0; bx < cw; bx++) {
            double r = 0, g = 0, b = 0;
            int n = 0;
            for (int dy = 0; dy < 2 && 2 * by + dy < h; dy++)
                for (int dx = 0; dx < 2 && 2 * bx + dx < w; dx++, n++) {
                    const uint8_t *p = im->rgb + 3 * ((size_t)(2 * by + dy) * w + 2 * bx + dx);
                    r += p[0], g += p[1], b += p[2];
                }
            r /= n, g /= n, b /= n;
            uint8_t U = (uint8_t)lrint(128.0 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255.0);
            uint8_t V = (uint8_t)lrint(128.0 + (112.0 * r - 93.786 * g - 18.214 * b) / 255.0);
            if (fmt == LK_PIXEL_NV12) {
                u[2 * (by * cw + bx)] = U;
                u[2 * (by * cw + bx) + 1] = V;
            } else {
                u[by * cw + bx] = U;
                v[by * cw + bx] = V;
            }
        }
    f.planes[0] = y;
    f.strides[0] = (size_t)w;
    f.planes[1] = u;
    f.strides[1] = fmt == LK_PIXEL_NV12 ? (size_t)cw * 2 : (size_t)cw;
    f.planes[2] = fmt == LK_PIXEL_I420 ? v : NULL;
    f.strides[2] = fmt == LK_PIXEL_I420 ? (size_t)cw : 0;
    return f;
}

static double iou(const lk_detection *a, const float *b)
{
    double iw = fmin(a->x2, b[2]) - fmax(a->x1, b[0]), ih = fmin(a->y2, b[3]) - fmax(a->y1, b[1]);
    if (iw <= 0 || ih <= 0)
        return 0;
    double inter = iw * ih;
    return inter / ((a->x2 - a->x1) * (a->y2 - a->y1) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

static void print_dets(const char *what, const lk_detections *r)
{
    print_message("%s: %d detections (%d candidates)\n", what, r->count, r->candidates);
    for (int i = 0; i < r->count; i++)
        print_message("  %s %.3f [%.0f,%.0f,%.0f,%.0f]\n", r->items[i].label, r->items[i].score,
                      r->items[i].x1, r->items[i].y1, r->items[i].x2, r->items[i].y2);
}

/* Boxes {x1, y1, x2, y2, score} of class car that r must contain. */
static void expect_cars(const char *what, const lk_detections *r, double scale,
                        const float (*cars)[5], int n)
{
    for (int c = 0; c < n; c++) {
        float box[4];
        for (int k = 0; k < 4; k++)
            box[k] = (float)(cars[c][k] * scale);
        int found = 0;
        for (int i = 0; i < r->count && !found; i++)
            found = r->items[i].class_id == 2 && !strcmp(r->items[i].label, "car") &&
                    iou(&r->items[i], box) > 0.8 && fabsf(r->items[i].score - cars[c][4]) < 0.08f;
        if (!found) {
            print_dets(what, r);
            fail_msg("%s: the car at [%.0f,%.0f,%.0f,%.0f] (score %.3f) was not found", what,
                     box[0], box[1], box[2], box[3], cars[c][4]);
        }
    }
}

/* The two cars SOURCES.md lists for YOLOX-Nano on test1.jpg (OpenCV DNN). */
static void expect_two_cars(const char *what, const lk_detections *r, double scale)
{
    static const float cars[2][5] = {{1050, 404, 1275, 508, 0.884f}, {813, 408, 943, 493, 0.822f}};
    expect_cars(what, r, scale, cars, 2);
}

/* Same classes, boxes within max_px, scores within ds, same order. */
static void expect_same(const char *what, const lk_detections *a, const lk_detections *b,
                        float max_px, float ds)
{
    int ok = a->count == b->count;
    for (int i = 0; ok && i < a->count; i++) {
        const lk_detection *p = &a->items[i], *q = &b->items[i];
        ok = p->class_id == q->class_id && fabsf(p->score - q->score) <= ds &&
             fabsf(p->x1 - q->x1) <= max_px && fabsf(p->y1 - q->y1) <= max_px &&
             fabsf(p->x2 - q->x2) <= max_px && fabsf(p->y2 - q->y2) <= max_px;
    }
    if (!ok) {
        print_dets("reference", a);
        print_dets(what, b);
        fail_msg("%s: detections differ", what);
    }
}

static lk_detector *yolox(float score, int in_flight, lk_precision prec)
{
    lk_detector_opts o;
    lk_detector *d = NULL;
    lk_msg msg = {{0}};
    lk_detector_opts_init(&o);
    o.labels = shared(COCO);
    o.score_threshold = score;
    o.in_flight = in_flight;
    o.precision = prec;
    if (lk_detector_new(shared(YOLOX), &o, &d, &msg))
        fail_msg("%s", msg.text);
    return d;
}

static lk_detections run(lk_detector *d, const lk_frame *f)
{
    lk_detections r;
    lk_msg msg = {{0}};
    memset(&r, 0, sizeof r);
    if (lk_detector_run(d, f, &r, &msg))
        fail_msg("run: %s", msg.text);
    return r;
}

/* ------------------------------------------------------------ errors */

static void test_model_errors(void **state)
{
    (void)state;
    lk_detector_opts o;
    lk_detector_opts_init(&o);
    expect_new_error("/nonexistent/model.onnx", &o, LK_ERR_IO, "/nonexistent/model.onnx");
    expect_new_error(tmp_file("notes.txt", "hello\n"), &o, LK_ERR_UNSUPPORTED, "not a model file");
    /* Outputs that fit no family: the message lists the known ones. */
    expect_new_error(relu_model("relu.onnx", NULL, NULL), &o, LK_ERR_UNSUPPORTED,
                     "known families: yolox, ultralytics, fastestdet, darknet, yolov1");
    expect_new_error(relu_model("relu2.onnx", NULL, NULL), &o, LK_ERR_UNSUPPORTED,
                     "cannot tell the model family");
    /* Metadata names the family; the outputs do not fit it. */
    const char *meta = relu_model("relu_meta.onnx", "lookout.family", "yolox");
    lk_onnx_prop *props;
    int n;
    assert_int_equal(lk_onnx_metadata(meta, &props, &n, NULL), LK_OK);
    assert_int_equal(n, 1);
    assert_string_equal(props[0].key, "lookout.family");
    assert_string_equal(props[0].value, "yolox");
    free(props);
    expect_new_error(meta, &o, LK_ERR_SHAPE, "does not fit family yolox");
    expect_new_error(relu_model("relu_bad.onnx", "lookout.family", "yolo9000"), &o,
                     LK_ERR_UNSUPPORTED, "family 'yolo9000' unknown; known families: yolox");
    /* Descriptive metadata keys of other tools are not settings. */
    expect_new_error(relu_model("relu_key.onnx", "lookout.name", "relu"), &o, LK_ERR_UNSUPPORTED,
                     "cannot tell the model family");
    /* A model without metadata has none. */
    assert_int_equal(lk_onnx_metadata(relu_model("relu3.onnx", NULL, NULL), &props, &n, NULL), LK_OK);
    assert_int_equal(n, 0);
    assert_null(props);
    o.family = (lk_family)42;
    expect_new_error(meta, &o, LK_ERR_INVALID_ARG, "known families");

    /* The rest need a real model. */
    need("YOLOX-Nano", shared(YOLOX));
    lk_detector_opts_init(&o);
    o.sidecar = tmp_file("bad.lookout", "# test\nfamily = yolox\nresize = sideways\n");
    expect_new_error(shared(YOLOX), &o, LK_ERR_FORMAT, "bad.lookout:3: resize = 'sideways'");
    o.sidecar = tmp_file("typo.lookout", "famliy = yolox\n");
    expect_new_error(shared(YOLOX), &o, LK_ERR_FORMAT, "typo.lookout:1: unknown key 'famliy'");
    o.sidecar = tmp_file("bad2.lookout", "family yolox\n");
    expect_new_error(shared(YOLOX), &o, LK_ERR_FORMAT, "bad2.lookout:1: expected `key = value`");
    o.sidecar = "/nonexistent/x.lookout";
    expect_new_error(shared(YOLOX), &o, LK_ERR_IO, "/nonexistent/x.lookout");
    o.sidecar = NULL;
    o.labels = tmp_file("three.txt", "car\nbus\ntruck\n");
    expect_new_error(shared(YOLOX), &o, LK_ERR_FORMAT, "has 3 names, the model has 80 classes");
    o.labels = "/nonexistent/labels.txt";
    expect_new_error(shared(YOLOX), &o, LK_ERR_IO, "labels file /nonexistent/labels.txt");
    o.labels = NULL;
    o.sidecar = tmp_file("json.lookout", "labels = [\"a\", \"b\"]\n");
    expect_new_error(shared(YOLOX), &o, LK_ERR_FORMAT, "has 2 names, the model has 80 classes");
    o.sidecar = NULL;
    o.classes = (const int[]){2, 80};
    o.n_classes = 2;
    expect_new_error(shared(YOLOX), &o, LK_ERR_INVALID_ARG, "filter class 80 outside 0..79");
    o.n_classes = 0;
    o.score_threshold = 1.5f;
    expect_new_error(shared(YOLOX), &o, LK_ERR_INVALID_ARG, "within 0..1");
}

static void test_frame_errors(void **state)
{
    (void)state;
    need("YOLOX-Nano", shared(YOLOX));
    lk_detector *d = yolox(0.3f, 1, LK_FP32);
    lk_detections r;
    lk_msg msg = {{0}};
    uint8_t px[64 * 3] = {0};
    lk_frame f;
    memset(&f, 0, sizeof f);
    memset(&r, 0, sizeof r);
    f.format = (lk_pixel_format)17;
    f.width = f.height = 8;
    f.planes[0] = px;
    f.strides[0] = 24;
    assert_int_equal(lk_detector_run(d, &f, &r, &msg), LK_ERR_UNSUPPORTED);
    assert_non_null(strstr(msg.text, "pixel format 17 is not supported"));
    f.format = LK_PIXEL_RGB;
    f.width = 0;
    assert_int_equal(lk_detector_run(d, &f, &r, &msg), LK_ERR_INVALID_ARG);
    assert_non_null(strstr(msg.text, "frame of 0x8 pixels"));
    f.width = 8;
    f.strides[0] = 23;
    assert_int_equal(lk_detector_run(d, &f, &r, &msg), LK_ERR_INVALID_ARG);
    assert_non_null(strstr(msg.text, "stride 23 is less than a row (24 bytes)"));
    f.format = LK_PIXEL_NV12;
    f.strides[0] = 8;
    assert_int_equal(lk_detector_run(d, &f, &r, &msg), LK_ERR_INVALID_ARG);
    assert_non_null(strstr(msg.text, "plane 1 is NULL"));
    assert_int_equal(lk_detector_run(d, NULL, &r, &msg), LK_ERR_INVALID_ARG);
    assert_int_equal(lk_detector_collect(d, 99, 0, &r, &msg), LK_ERR_INVALID_ARG);
    assert_non_null(strstr(msg.text, "ticket 99"));
    assert_int_equal(lk_detector_set_thresholds(d, 0.5f, 0.5f, 101, &msg), LK_ERR_INVALID_ARG);
    assert_non_null(strstr(msg.text, "capacity"));
    lk_detector_free(d);
}

/* -------------------------------------------------------- real image */

static void test_two_cars(void **state)
{
    (void)state;
    image im = load_test1();
    lk_detector *d = yolox(0.3f, 1, LK_FP32);
    lk_detector_info info;
    lk_detector_get_info(d, &info);
    assert_int_equal(info.family, LK_FAMILY_YOLOX);
    assert_int_equal(info.input_h, 416);
    assert_int_equal(info.input_w, 416);
    assert_int_equal(info.n_classes, 80);
    assert_string_equal(info.labels[2], "car");
    assert_true(info.flops > 1e8);
    lk_frame f = rgb_frame(&im);
    lk_detections r = run(d, &f);
    print_dets("RGB", &r);
    expect_two_cars("RGB", &r, 1.0);
    for (int i = 0; i < r.count; i++) {
        assert_true(r.items[i].x1 >= 0 && r.items[i].x2 <= im.w && r.items[i].x1 < r.items[i].x2);
        assert_true(r.items[i].y1 >= 0 && r.items[i].y2 <= im.h && r.items[i].y1 < r.items[i].y2);
        assert_true(r.items[i].score >= 0.3f);
    }
    assert_true(r.candidates >= r.count);

    /* Every pixel format: packed ones carry the same bytes (identical
     * results), YUV ones lose a little in the conversion. */
    for (int fmt = LK_PIXEL_BGR; fmt < LK_PIXEL_COUNT; fmt++) {
        uint8_t *buf;
        lk_frame g = convert(&im, (lk_pixel_format)fmt, &buf);
        lk_detections q = run(d, &g);
        if (fmt <= LK_PIXEL_BGRX)
            expect_same(lk_pixel_format_name((lk_pixel_format)fmt), &r, &q, 0.0f, 0.0f);
        else
            expect_two_cars(lk_pixel_format_name((lk_pixel_format)fmt), &q, 1.0);
        lk_detections_clear(&q);
        free(buf);
    }

    /* Padded strides give the same result. */
    size_t stride = (size_t)im.w * 3 + 77;
    uint8_t *padded = malloc(stride * im.h);
    assert_non_null(padded);
    for (int y = 0; y < im.h; y++) {
        memcpy(padded + y * stride, im.rgb + (size_t)y * im.w * 3, (size_t)im.w * 3);
        memset(padded + y * stride + (size_t)im.w * 3, 0xee, 77);
    }
    f.planes[0] = padded;
    f.strides[0] = stride;
    lk_detections q = run(d, &f);
    expect_same("padded stride", &r, &q, 0.0f, 0.0f);
    lk_detections_clear(&q);
    free(padded);

    /* Class filter: persons only finds no car; cars only keeps them. */
    lk_detector_free(d);
    lk_detector_opts o;
    lk_detector_opts_init(&o);
    o.labels = shared(COCO);
    o.score_threshold = 0.3f;
    o.classes = (const int[]){0};
    o.n_classes = 1;
    o.in_flight = 1;
    lk_msg msg = {{0}};
    if (lk_detector_new(shared(YOLOX), &o, &d, &msg))
        fail_msg("%s", msg.text);
    f = rgb_frame(&im);
    q = run(d, &f);
    for (int i = 0; i < q.count; i++)
        assert_int_equal(q.items[i].class_id, 0);
    lk_detections_clear(&q);
    lk_detector_free(d);
    o.classes = (const int[]){2, 7};
    o.n_classes = 2;
    if (lk_detector_new(shared(YOLOX), &o, &d, &msg))
        fail_msg("%s", msg.text);
    q = run(d, &f);
    expect_two_cars("cars and trucks only", &q, 1.0);
    for (int i = 0; i < q.count; i++)
        assert_true(q.items[i].class_id == 2 || q.items[i].class_id == 7);
    lk_detections_clear(&q);

    /* Thresholds between frames, no rebuild. */
    assert_int_equal(lk_detector_set_thresholds(d, 0.9f, 0.45f, 100, &msg), LK_OK);
    q = run(d, &f);
    assert_int_equal(q.count, 0);
    lk_detections_clear(&q);
    assert_int_equal(lk_detector_set_thresholds(d, 0.3f, 0.45f, 1, &msg), LK_OK);
    q = run(d, &f);
    assert_int_equal(q.count, 1);
    assert_true(fabsf(q.items[0].score - 0.884f) < 0.08f);
    lk_detections_clear(&q);
    lk_detector_free(d);
    lk_detections_clear(&r);
    free(im.rgb);
}

/* Two slots: submit two frames, collect in reverse order; the same as run. */
static void test_async_and_sizes(void **state)
{
    (void)state;
    image im = load_test1();
    lk_detector *d = yolox(0.3f, 2, LK_FP32);
    lk_msg msg = {{0}};
    lk_frame f = rgb_frame(&im);
    lk_detections sync = run(d, &f), a, b;
    uint64_t t1, t2, t3;
    assert_int_equal(lk_detector_submit(d, &f, &t1, &msg), LK_OK);
    assert_int_equal(lk_detector_submit(d, &f, &t2, &msg), LK_OK);
    assert_int_equal(lk_detector_submit(d, &f, &t3, &msg), LK_ERR_NOT_READY);
    assert_true(t1 != t2);
    lk_status st;
    while ((st = lk_detector_collect(d, t2, 0, &b, &msg)) == LK_ERR_NOT_READY)
        ;
    assert_int_equal(st, LK_OK);
    assert_int_equal(lk_detector_collect(d, t1, UINT64_MAX, &a, &msg), LK_OK);
    expect_same("async first", &sync, &a, 0.0f, 0.0f);
    expect_same("async second", &sync, &b, 0.0f, 0.0f);
    assert_int_equal(lk_detector_collect(d, t1, 0, &a, &msg), LK_ERR_INVALID_ARG);
    lk_detections_clear(&a);
    lk_detections_clear(&b);

    /* Smaller frames through the same detector: half size (every other
     * pixel), then an odd-sized crop, then the original again. */
    image half = {im.w / 2, im.h / 2, malloc((size_t)im.w * im.h)};
    assert_non_null(half.rgb);
    for (int y = 0; y < half.h; y++)
        for (int x = 0; x < half.w; x++)
            memcpy(half.rgb + 3 * ((size_t)y * half.w + x), im.rgb + 3 * ((size_t)2 * y * im.w + 2 * x), 3);
    lk_frame h = rgb_frame(&half);
    a = run(d, &h);
    expect_two_cars("half size", &a, 0.5);
    lk_detections_clear(&a);
    lk_frame crop = rgb_frame(&im);
    crop.width = 1279;
    crop.height = 601;
    a = run(d, &crop);
    for (int i = 0; i < a.count; i++)
        assert_true(a.items[i].x2 <= 1279.0f && a.items[i].y2 <= 601.0f);
    expect_two_cars("1279x601 crop", &a, 1.0);
    lk_detections_clear(&a);
    a = run(d, &f);
    expect_same("original size again", &sync, &a, 0.0f, 0.0f);
    lk_detections_clear(&a);
    lk_detections_clear(&sync);
    lk_detector_free(d);
    free(half.rgb);
    free(im.rgb);
}

static void test_fp16(void **state)
{
    (void)state;
    image im = load_test1();
    if (!lk_context_device(lkt_context())->fp16_storage) {
        print_message("skipping: the device has no 16-bit storage\n");
        free(im.rgb);
        skip();
    }
    lk_detector *d = yolox(0.3f, 1, LK_FP16);
    lk_frame f = rgb_frame(&im);
    lk_detections r = run(d, &f);
    print_dets("fp16", &r);
    expect_two_cars("fp16", &r, 1.0);
    lk_detections_clear(&r);
    lk_detector_free(d);
    free(im.rgb);
}

/* The other families' defaults, resolved from the shapes (FastestDet: BGR,
 * stretch, area) and the .cfg (Yolo-Fastest: two [yolo] heads whose
 * candidates are concatenated on the device, also in an fp16 net). */
static void test_other_families(void **state)
{
    (void)state;
    static const float fastest[2][5] = {{1038, 404, 1279, 511, 0.875f}, {828, 415, 937, 493, 0.831f}};
    static const float yf[4][5] = {{1081, 410, 1253, 512, 0.894f}, {821, 408, 944, 489, 0.742f},
                                   {632, 400, 708, 421, 0.426f}, {55, 444, 148, 469, 0.373f}};
    const char *fd = shared("models/fastestdet/FastestDet.onnx");
    const char *cfg = shared("models/yolo-fastest-1.1/yolo-fastest-1.1.cfg");
    need("FastestDet", fd);
    need("Yolo-Fastest 1.1", cfg);
    image im = load_test1();
    lk_frame f = rgb_frame(&im);
    lk_detector_opts o;
    lk_detector *d;
    lk_detector_info info;
    lk_msg msg = {{0}};
    lk_detector_opts_init(&o);
    o.in_flight = 1;
    o.labels = shared("models/fastestdet/coco.names");
    o.score_threshold = 0.5f;
    if (lk_detector_new(fd, &o, &d, &msg))
        fail_msg("%s", msg.text);
    lk_detector_get_info(d, &info);
    assert_int_equal(info.family, LK_FAMILY_FASTESTDET);
    lk_detections r = run(d, &f);
    expect_cars("FastestDet", &r, 1.0, fastest, 2);
    lk_detections_clear(&r);
    lk_detector_free(d);

    o.labels = shared("models/yolo-fastest-1.1/coco.names");
    o.score_threshold = 0.3f;
    int fp16 = lk_context_device(lkt_context())->fp16_storage;
    for (int prec = 0; prec <= fp16; prec++) {
        o.precision = prec ? LK_FP16 : LK_FP32;
        if (lk_detector_new(cfg, &o, &d, &msg))
            fail_msg("%s", msg.text);
        lk_detector_get_info(d, &info);
        assert_int_equal(info.family, LK_FAMILY_DARKNET);
        assert_int_equal(info.input_w, 320);
        r = run(d, &f);
        expect_cars(prec ? "Yolo-Fastest fp16" : "Yolo-Fastest", &r, 1.0, yf, 4);
        lk_detections_clear(&r);
        lk_detector_free(d);
    }
    free(im.rgb);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/lk_test_detector.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_model_errors),
        cmocka_unit_test(test_frame_errors),
        cmocka_unit_test(test_two_cars),
        cmocka_unit_test(test_async_and_sizes),
        cmocka_unit_test(test_fp16),
        cmocka_unit_test(test_other_families),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
