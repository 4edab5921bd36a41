/* lkdetect with YOLOX-Nano from the shared assets: caps in every format with
 * the cars of test1.jpg where OpenCV DNN finds them (SOURCES.md reference
 * detections), the per-frame record, property changes while streaming
 * (thresholds, max-detections, classes, interval, model), drop=newest
 * skipping and counting, latency queries, refusal of other formats, model
 * errors; and frames of a real clip giving exactly what lk_detector_run
 * gives for the same frames. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <glib/gstdio.h>
#include <gst/check/gstharness.h>

#include "gstlkdetect.h"
#include "lkmeta.h"
#include "lkt_gst.h"

static char yolox[4096], labels[4096], fastestdet[4096], test1[4096], clip[4096];

/* OpenCV DNN 4.6 on test1.jpg with YOLOX-Nano (SOURCES.md, section 1). */
static const struct {
    double score, box[4];
} cars[2] = {{0.884, {1050, 404, 1275, 508}}, {0.822, {813, 408, 943, 493}}};

static int have_assets(void)
{
    const char *shared = lkt_shared();
    if (!shared) {
        printf("SKIP: ../shared/assets not found (LOOKOUT_SHARED); lkdetect needs its models\n");
        return 0;
    }
    g_snprintf(yolox, sizeof yolox, "%s/assets/models/yolox_nano/yolox_nano.onnx", shared);
    g_snprintf(labels, sizeof labels, "%s/assets/models/yolox_nano/coco_classes.txt", shared);
    g_snprintf(fastestdet, sizeof fastestdet, "%s/assets/models/fastestdet/FastestDet.onnx", shared);
    g_snprintf(test1, sizeof test1,
               "%s/assets/footage/udacity-vehicle-detection/test_images/test1.jpg", shared);
    g_snprintf(clip, sizeof clip, "%s/assets/footage/udacity-vehicle-detection/test_video.mp4",
               shared);
    return 1;
}

/* Decodes up to n frames of a file through GStreamer into `format`. */
static GPtrArray *decode(const char *path, const char *format, int n, GstCaps **caps)
{
    gchar *desc = g_strdup_printf("filesrc location=\"%s\" ! decodebin ! videoconvert ! "
                                  "video/x-raw,format=%s ! appsink name=out sync=false",
                                  path, format);
    GstElement *p = gst_parse_launch(desc, NULL);
    GstElement *sink = gst_bin_get_by_name(GST_BIN(p), "out");
    GPtrArray *frames = g_ptr_array_new_with_free_func((GDestroyNotify)gst_buffer_unref);
    GstSample *s;

    assert_non_null(p);
    gst_element_set_state(p, GST_STATE_PLAYING);
    *caps = NULL;
    while ((int)frames->len < n) {
        g_signal_emit_by_name(sink, "pull-sample", &s);
        if (!s)
            break;
        if (!*caps)
            *caps = gst_caps_ref(gst_sample_get_caps(s));
        g_ptr_array_add(frames, gst_buffer_ref(gst_sample_get_buffer(s)));
        gst_sample_unref(s);
    }
    gst_element_set_state(p, GST_STATE_NULL);
    gst_object_unref(sink);
    gst_object_unref(p);
    g_free(desc);
    assert_true(frames->len > 0 && *caps);
    return frames;
}

static GstHarness *detector(const char *model)
{
    GstElement *e = gst_element_factory_make("lkdetect", NULL);
    g_object_set(e, "model", model, "labels", model == yolox ? labels : NULL, NULL);
    GstHarness *h = gst_harness_new_with_element(e, "sink", "src");
    gst_object_unref(e);
    return h;
}

typedef struct {
    int n;
    LkDetection d[64];
} dets;

static LkFrameMeta *read_frame(GstBuffer *b, dets *out)
{
    gpointer state = NULL;
    GstMeta *m;

    out->n = 0;
    while ((m = gst_buffer_iterate_meta_filtered(b, &state,
                                                 GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE)) &&
           out->n < 64)
        lk_detection_from_roi((GstVideoRegionOfInterestMeta *)m, 1280, 720, &out->d[out->n++]);
    return lk_buffer_get_frame_meta(b);
}

static double iou(const double a[4], const double b[4])
{
    double iw = fmin(a[2], b[2]) - fmax(a[0], b[0]), ih = fmin(a[3], b[3]) - fmax(a[1], b[1]);
    if (iw <= 0 || ih <= 0)
        return 0;
    double inter = iw * ih;
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

/* Both reference cars found (IoU >= 0.75, score within 0.06), labelled. */
static void expect_cars(const dets *d, const char *what)
{
    for (int c = 0; c < 2; c++) {
        double best = 0, score = 0;
        for (int i = 0; i < d->n; i++) {
            double px[4] = {d->d[i].x_min * 1280, d->d[i].y_min * 720, d->d[i].x_max * 1280,
                            d->d[i].y_max * 720};
            double v = iou(px, cars[c].box);
            if (v > best && !strcmp(d->d[i].label, "car") && d->d[i].label_id == 2)
                best = v, score = d->d[i].confidence;
        }
        if (best < 0.75 || fabs(score - cars[c].score) > 0.06)
            fail_msg("%s: car %d: best IoU %.3f, score %.3f (OpenCV %.3f)", what, c, best, score,
                     cars[c].score);
    }
}

static GstBuffer *run1(GstHarness *h, GstBuffer *in)
{
    assert_int_equal(gst_harness_push(h, gst_buffer_ref(in)), GST_FLOW_OK);
    /* drop=none keeps up to two frames on the device: a second push or EOS
     * releases the first. */
    GstBuffer *out = gst_harness_try_pull(h);
    if (!out) {
        assert_true(gst_harness_push_event(h, gst_event_new_gap(0, 0)));
        out = gst_harness_pull(h);
    }
    assert_non_null(out);
    return out;
}

static void test_formats(void **state)
{
    (void)state;
    if (!have_assets())
        skip();
    GstHarness *h = detector(yolox);
    for (int f = 0; f < 6; f++) {
        GstCaps *caps;
        GPtrArray *frames = decode(test1, lkt_formats[f], 1, &caps);
        gst_harness_set_src_caps(h, caps);
        GstBuffer *out = run1(h, frames->pdata[0]);
        dets d;
        LkFrameMeta *fm = read_frame(out, &d);
        assert_non_null(fm);
        assert_int_equal(fm->frame, f);
        assert_int_equal(fm->skip, LK_SKIP_NONE);
        assert_true(fm->inference_ms > 0);
        expect_cars(&d, lkt_formats[f]);
        printf("%-5s %d detections, %.1f ms\n", lkt_formats[f], d.n, fm->inference_ms);
        gst_buffer_unref(out);
        g_ptr_array_unref(frames);
    }
    gst_harness_teardown(h);
}

static void test_properties_mid_stream(void **state)
{
    (void)state;
    if (!have_assets())
        skip();
    GstCaps *caps;
    GPtrArray *frames = decode(test1, "I420", 1, &caps);
    GstBuffer *in = frames->pdata[0];
    GstHarness *h = detector(yolox);
    gst_harness_set_src_caps(h, caps);
    dets d;
    GstBuffer *out;

    out = run1(h, in);
    read_frame(out, &d);
    int all = d.n;
    assert_true(all >= 2);
    gst_buffer_unref(out);

    g_object_set(h->element, "conf-threshold", 0.95f, NULL);
    out = run1(h, in);
    read_frame(out, &d);
    assert_int_equal(d.n, 0);
    gst_buffer_unref(out);

    g_object_set(h->element, "conf-threshold", 0.25f, "max-detections", 1, NULL);
    out = run1(h, in);
    read_frame(out, &d);
    assert_int_equal(d.n, 1);
    assert_true(fabs(d.d[0].confidence - cars[0].score) < 0.06);
    gst_buffer_unref(out);

    g_object_set(h->element, "max-detections", 100, "classes", "person,traffic light", NULL);
    out = run1(h, in);
    read_frame(out, &d);
    for (int i = 0; i < d.n; i++)
        assert_true(d.d[i].label_id == 0 || d.d[i].label_id == 9);
    assert_true(d.n < all);
    gst_buffer_unref(out);

    g_object_set(h->element, "classes", "2", NULL);
    out = run1(h, in);
    read_frame(out, &d);
    expect_cars(&d, "classes=2");
    for (int i = 0; i < d.n; i++)
        assert_int_equal(d.d[i].label_id, 2);
    gst_buffer_unref(out);

    g_object_set(h->element, "classes", NULL, "interval", 3, NULL);
    for (int i = 0; i < 6; i++) {
        out = run1(h, in);
        LkFrameMeta *fm = read_frame(out, &d);
        assert_int_equal(fm->frame, 5 + i);
        if (fm->frame % 3) {
            assert_int_equal(fm->skip, LK_SKIP_INTERVAL);
            assert_int_equal(d.n, 0);
        } else {
            assert_int_equal(fm->skip, LK_SKIP_NONE);
            expect_cars(&d, "interval=3");
        }
        gst_buffer_unref(out);
    }
    guint64 processed, skipped;
    g_object_get(h->element, "frames-processed", &processed, "frames-skipped", &skipped, NULL);
    assert_int_equal(processed, 7);
    assert_int_equal(skipped, 4);

    /* Another model while playing: FastestDet (stretch resize, its own
     * decoding) still finds the cars; without labels they are "class2". */
    g_object_set(h->element, "interval", 1, "model", fastestdet, "labels", NULL, NULL);
    out = run1(h, in);
    read_frame(out, &d);
    int found = 0;
    for (int i = 0; i < d.n; i++)
        found += d.d[i].label_id == 2 && !strcmp(d.d[i].label, "class2");
    assert_true(found >= 2);
    gst_buffer_unref(out);

    gst_harness_teardown(h);
    g_ptr_array_unref(frames);
}

/* Thresholds and interval changed from another thread while frames
 * stream: every frame still comes out once, in order, with its record. */
static void test_property_stress(void **state)
{
    (void)state;
    if (!have_assets())
        skip();
    GstCaps *caps;
    GPtrArray *frames = decode(test1, "NV12", 1, &caps);
    GstHarness *h = detector(yolox);
    gst_harness_set_src_caps(h, caps);
    GValue conf = G_VALUE_INIT, interval = G_VALUE_INIT;
    g_value_init(&conf, G_TYPE_FLOAT);
    g_value_set_float(&conf, 0.5f);
    g_value_init(&interval, G_TYPE_UINT);
    g_value_set_uint(&interval, 2);
    GstHarnessThread *t1 = gst_harness_stress_property_start(h, "conf-threshold", &conf);
    GstHarnessThread *t2 = gst_harness_stress_property_start(h, "interval", &interval);
    for (int i = 0; i < 8; i++)
        assert_int_equal(gst_harness_push(h, gst_buffer_ref(frames->pdata[0])), GST_FLOW_OK);
    assert_true(gst_harness_push_event(h, gst_event_new_eos()));
    for (int i = 0; i < 8; i++) {
        GstBuffer *out = gst_harness_pull(h);
        dets d;
        LkFrameMeta *fm = read_frame(out, &d);
        assert_non_null(fm);
        assert_int_equal(fm->frame, i);
        if (fm->skip == LK_SKIP_NONE)
            expect_cars(&d, "stress");
        gst_buffer_unref(out);
    }
    assert_true(gst_harness_stress_thread_stop(t1) > 0);
    assert_true(gst_harness_stress_thread_stop(t2) > 0);
    gst_harness_teardown(h);
    g_ptr_array_unref(frames);
}

/* drop=newest: frames pushed while an inference runs pass at once, skipped
 * and counted; order and count are kept; EOS flushes the one in flight. */
static void test_drop_newest(void **state)
{
    (void)state;
    if (!have_assets())
        skip();
    GstCaps *caps;
    GPtrArray *frames = decode(test1, "NV12", 1, &caps);
    GstHarness *h = detector(yolox);
    g_object_set(h->element, "drop", LK_DROP_NEWEST, NULL);
    gst_harness_set_src_caps(h, caps);
    for (int i = 0; i < 8; i++) {
        GstBuffer *b = gst_buffer_copy(frames->pdata[0]);
        GST_BUFFER_PTS(b) = i * 40 * GST_MSECOND;
        assert_int_equal(gst_harness_push(h, b), GST_FLOW_OK);
    }
    assert_true(gst_harness_push_event(h, gst_event_new_eos()));
    int skipped = 0, inferred = 0;
    for (int i = 0; i < 8; i++) {
        GstBuffer *out = gst_harness_pull(h);
        dets d;
        LkFrameMeta *fm = read_frame(out, &d);
        assert_int_equal(fm->frame, i);
        assert_int_equal(GST_BUFFER_PTS(out), i * 40 * GST_MSECOND);
        if (fm->skip == LK_SKIP_BUSY) {
            skipped++;
            assert_int_equal(d.n, 0);
        } else {
            inferred++;
            expect_cars(&d, "drop=newest");
        }
        assert_int_equal(fm->skipped_total, skipped);
        gst_buffer_unref(out);
    }
    /* Eight pushes take far less than one inference on any device here. */
    assert_true(inferred >= 1 && skipped >= 1);
    guint64 n;
    g_object_get(h->element, "frames-skipped", &n, NULL);
    assert_int_equal(n, skipped);
    printf("drop=newest: %d inferred, %d skipped\n", inferred, skipped);
    gst_harness_teardown(h);
    g_ptr_array_unref(frames);
}

static void test_latency_query(void **state)
{
    (void)state;
    if (!have_assets())
        skip();
    GstCaps *caps;
    GPtrArray *frames = decode(test1, "RGB", 1, &caps);
    GstHarness *h = detector(yolox);
    gst_harness_set_src_caps(h, caps);
    gst_harness_set_upstream_latency(h, 10 * GST_MSECOND);
    GstBuffer *out = run1(h, frames->pdata[0]);
    LkFrameMeta *fm = lk_buffer_get_frame_meta(out);
    GstClockTime inf = (GstClockTime)(fm->inference_ms * GST_MSECOND);
    gst_buffer_unref(out);
    /* Upstream's 10 ms plus the inference time of the frames in flight. */
    GstClockTime lat = gst_harness_query_latency(h);
    printf("latency %.1f ms (inference %.1f ms)\n", lat / 1e6, inf / 1e6);
    assert_true(lat >= 10 * GST_MSECOND + inf * 3 / 4);
    gst_harness_teardown(h);
    g_ptr_array_unref(frames);
}

static void test_refuses_other_formats(void **state)
{
    (void)state;
    if (!have_assets())
        skip();
    GstHarness *h = detector(yolox);
    gst_harness_set_src_caps_str(h, "video/x-raw,format=GRAY8,width=64,height=64,framerate=25/1");
    assert_int_equal(gst_harness_push(h, gst_buffer_new_allocate(NULL, 64 * 64, NULL)),
                     GST_FLOW_NOT_NEGOTIATED);
    gst_harness_teardown(h);
}

/* A missing or malformed model fails the state change with a message that
 * names it, and nothing crashes. */
static void test_model_errors(void **state)
{
    (void)state;
    gchar *bad = NULL;
    int fd = g_file_open_tmp("lkdetect-XXXXXX.onnx", &bad, NULL);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "not a model\n", 12), 12);
    close(fd);
    const char *models[] = {"/nonexistent/model.onnx", bad};
    for (int i = 0; i < 2; i++) {
        gchar *desc = g_strdup_printf("videotestsrc num-buffers=1 ! lkdetect model=\"%s\" ! "
                                      "fakesink", models[i]);
        GstElement *p = gst_parse_launch(desc, NULL);
        assert_int_equal(gst_element_set_state(p, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
        GstMessage *m = gst_bus_timed_pop_filtered(GST_ELEMENT_BUS(p), 5 * GST_SECOND,
                                                   GST_MESSAGE_ERROR);
        assert_non_null(m);
        GError *err = NULL;
        gst_message_parse_error(m, &err, NULL);
        printf("%s\n", err->message);
        assert_non_null(strstr(err->message, models[i]));
        g_error_free(err);
        gst_message_unref(m);
        gst_element_set_state(p, GST_STATE_NULL);
        gst_object_unref(p);
        g_free(desc);
    }
    g_unlink(bad);
    g_free(bad);
}

/* The element adds nothing and loses nothing: its detections on frames of
 * a real clip are exactly lk_detector_run's on the same frames. */
static void test_matches_detector(void **state)
{
    (void)state;
    if (!have_assets())
        skip();
    GstCaps *caps;
    GPtrArray *frames = decode(clip, "I420", 6, &caps);
    GstVideoInfo info;
    assert_true(gst_video_info_from_caps(&info, caps));
    GstHarness *h = detector(yolox);
    gst_harness_set_src_caps(h, gst_caps_ref(caps));
    for (guint i = 0; i < frames->len; i++)
        assert_int_equal(gst_harness_push(h, gst_buffer_ref(frames->pdata[i])), GST_FLOW_OK);
    assert_true(gst_harness_push_event(h, gst_event_new_eos()));

    lk_detector_opts o;
    lk_detector *det;
    lk_msg msg = {{0}};
    lk_detector_opts_init(&o);
    o.labels = labels;
    if (lk_detector_new(yolox, &o, &det, &msg))
        fail_msg("lk_detector_new: %s", msg.text);
    int total = 0;
    for (guint i = 0; i < frames->len; i++) {
        GstBuffer *out = gst_harness_pull(h);
        dets d;
        read_frame(out, &d);
        GstVideoFrame vf;
        assert_true(gst_video_frame_map(&vf, &info, frames->pdata[i], GST_MAP_READ));
        lk_frame f = {.format = LK_PIXEL_I420, .width = 1280, .height = 720, .bt709 = 0};
        for (int p = 0; p < 3; p++) {
            f.planes[p] = GST_VIDEO_FRAME_PLANE_DATA(&vf, p);
            f.strides[p] = (size_t)GST_VIDEO_FRAME_PLANE_STRIDE(&vf, p);
        }
        f.bt709 = info.colorimetry.matrix == GST_VIDEO_COLOR_MATRIX_BT709;
        f.full_range = info.colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255;
        lk_detections ref = {0};
        if (lk_detector_run(det, &f, &ref, &msg))
            fail_msg("lk_detector_run: %s", msg.text);
        gst_video_frame_unmap(&vf);
        assert_int_equal(d.n, ref.count);
        for (int k = 0; k < ref.count; k++) {
            const lk_detection *r = &ref.items[k];
            assert_int_equal(d.d[k].label_id, r->class_id);
            assert_string_equal(d.d[k].label, r->label);
            assert_true(fabs(d.d[k].confidence - r->score) < 1e-6);
            assert_true(fabs(d.d[k].x_min * 1280 - r->x1) < 1e-3);
            assert_true(fabs(d.d[k].y_min * 720 - r->y1) < 1e-3);
            assert_true(fabs(d.d[k].x_max * 1280 - r->x2) < 1e-3);
            assert_true(fabs(d.d[k].y_max * 720 - r->y2) < 1e-3);
        }
        total += ref.count;
        lk_detections_clear(&ref);
        gst_buffer_unref(out);
    }
    printf("clip: %u frames, %d detections, identical to lk_detector_run\n", frames->len, total);
    assert_true(total > 0);
    lk_detector_free(det);
    gst_harness_teardown(h);
    gst_caps_unref(caps);
    g_ptr_array_unref(frames);
}

int main(void)
{
    gst_init(NULL, NULL);
    GST_ELEMENT_REGISTER(lkdetect, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_properties_mid_stream),
        cmocka_unit_test(test_property_stress),
        cmocka_unit_test(test_drop_newest),
        cmocka_unit_test(test_latency_query),
        cmocka_unit_test(test_refuses_other_formats),
        cmocka_unit_test(test_model_errors),
        cmocka_unit_test(test_matches_detector),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
