/* lkoverlay: caps in every format, boxes and tags where the ROI metas say,
 * in the class colour, nothing else touched; sizes for 720p and 1080p;
 * property changes while streaming; refusal of other formats. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <gst/check/gstharness.h>

#include "gstlkoverlay.h"
#include "lkmeta.h"
#include "lkt_gst.h"

/* lkoverlay's colour for class 2 (its palette is fixed: that is the
 * contract with users who learn the colours). */
static const guint8 car_rgb[3] = {255, 112, 31};

typedef struct {
    GstHarness *h;
    GstVideoInfo info;
} overlay;

static void overlay_open(overlay *o, const char *format, int w, int h)
{
    gchar *caps = lkt_caps_str(format, w, h);
    GstCaps *c = gst_caps_from_string(caps);

    o->h = gst_harness_new("lkoverlay");
    gst_harness_set_src_caps_str(o->h, caps);
    assert_true(gst_video_info_from_caps(&o->info, c));
    gst_caps_unref(c);
    g_free(caps);
}

/* Pushes a black frame with one detection of class 2 at the normalised box
 * and returns the drawn frame. */
static GstBuffer *overlay_run(overlay *o, double x0, double y0, double x1, double y1)
{
    GstBuffer *in = lkt_frame_new(&o->info, 0, 0, 0);
    LkDetection det = {.label = "car", .label_id = 2, .confidence = 0.875,
                       .x_min = x0, .y_min = y0, .x_max = x1, .y_max = y1};

    assert_non_null(lk_buffer_add_detection(in, &det, GST_VIDEO_INFO_WIDTH(&o->info),
                                            GST_VIDEO_INFO_HEIGHT(&o->info)));
    assert_int_equal(gst_harness_push(o->h, in), GST_FLOW_OK);
    GstBuffer *out = gst_harness_pull(o->h);
    assert_non_null(out);
    return out;
}

static void expect_px(overlay *o, GstBuffer *b, int x, int y, const guint8 rgb[3])
{
    guint8 got[3], want[3];

    lkt_pixel(&o->info, b, x, y, got);
    lkt_expected(&o->info, rgb[0], rgb[1], rgb[2], want);
    for (int c = 0; c < 3; c++)
        if (abs((int)got[c] - (int)want[c]) > 1)
            fail_msg("%s pixel (%d,%d) comp %d: got %u, want %u",
                     GST_VIDEO_INFO_NAME(&o->info), x, y, c, got[c], want[c]);
}

static const guint8 black[3] = {0, 0, 0};

/* Pixels of the rectangle [x0,x1)x[y0,y1) that differ from colour rgb. */
static int count_not(overlay *o, GstBuffer *b, int x0, int y0, int x1, int y1, const guint8 rgb[3])
{
    guint8 got[3], want[3];
    int n = 0;

    lkt_expected(&o->info, rgb[0], rgb[1], rgb[2], want);
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            lkt_pixel(&o->info, b, x, y, got);
            n += got[0] != want[0];
        }
    return n;
}

static void check_frame(overlay *o, int thick, int tag_h)
{
    int w = GST_VIDEO_INFO_WIDTH(&o->info), h = GST_VIDEO_INFO_HEIGHT(&o->info);
    int x0 = w / 4, y0 = h / 4, x1 = w / 2, y1 = h / 2;
    GstBuffer *b = overlay_run(o, 0.25, 0.25, 0.5, 0.5);

    /* The four edges, `thick` wide, in the class colour. */
    for (int t = 0; t < thick; t++) {
        expect_px(o, b, (x0 + x1) / 2, y0 + t, car_rgb);
        expect_px(o, b, (x0 + x1) / 2, y1 - 1 - t, car_rgb);
        expect_px(o, b, x0 + t, (y0 + y1) / 2, car_rgb);
        expect_px(o, b, x1 - 1 - t, (y0 + y1) / 2, car_rgb);
    }
    /* Inside and outside untouched (checked on even offsets so 4:2:0
     * chroma samples lie wholly on one side). */
    expect_px(o, b, (x0 + x1) / 2, y0 + thick + 2, black);
    expect_px(o, b, x0 + thick + 2, (y0 + y1) / 2, black);
    expect_px(o, b, (x0 + x1) / 2, y1 + 2, black);
    expect_px(o, b, x1 + 2, (y0 + y1) / 2, black);
    expect_px(o, b, 4, 4, black);
    expect_px(o, b, w - 4, h - 4, black);
    /* The tag sits on the box: tag_h rows of class colour with text in
     * it; the row above it is untouched. */
    expect_px(o, b, x0 + 1, y0 - tag_h, car_rgb);
    expect_px(o, b, x0 + 1, y0 - 1, car_rgb);
    expect_px(o, b, x0 + 1, y0 - tag_h - 2, black);
    int ink = count_not(o, b, x0, y0 - tag_h, x0 + 12 * tag_h / 2, y0, car_rgb);
    if (ink < tag_h * 4)
        fail_msg("%s: only %d text pixels in the tag", GST_VIDEO_INFO_NAME(&o->info), ink);
    /* Nothing drawn beyond the tag's text: "car 0.88" is 8 characters. */
    assert_int_equal(count_not(o, b, x0 + 8 * tag_h, y0 - tag_h, x1, y0 - 2, black), 0);
    gst_buffer_unref(b);
}

static void test_formats_720p(void **state)
{
    (void)state;
    for (int i = 0; i < 6; i++) {
        overlay o;
        overlay_open(&o, lkt_formats[i], 1280, 720);
        /* 2-pixel lines and an 18-row tag (2.5% of the height) at 720p. */
        check_frame(&o, 2, 18);
        gst_harness_teardown(o.h);
    }
}

static void test_formats_1080p(void **state)
{
    (void)state;
    for (int i = 0; i < 6; i++) {
        overlay o;
        overlay_open(&o, lkt_formats[i], 1920, 1080);
        check_frame(&o, 3, 27);
        gst_harness_teardown(o.h);
    }
}

static void test_properties_mid_stream(void **state)
{
    overlay o;
    (void)state;

    overlay_open(&o, "NV12", 1280, 720);
    check_frame(&o, 2, 18);
    g_object_set(o.h->element, "thickness", 6, "show-labels", FALSE, NULL);
    GstBuffer *b = overlay_run(&o, 0.25, 0.25, 0.5, 0.5);
    expect_px(&o, b, 480, 180 + 5, car_rgb);
    expect_px(&o, b, 480, 180 + 8, black);
    expect_px(&o, b, 321, 170, black); /* no tag */
    gst_buffer_unref(b);
    g_object_set(o.h->element, "thickness", 0, "show-labels", TRUE, NULL);
    check_frame(&o, 2, 18);
    gst_harness_teardown(o.h);
}

/* Boxes touching the frame edges are clipped, not written out of bounds,
 * and the tag moves inside the frame. */
static void test_edges(void **state)
{
    (void)state;
    for (int i = 0; i < 6; i++) {
        overlay o;
        overlay_open(&o, lkt_formats[i], 641, 361);
        GstBuffer *b = overlay_run(&o, -0.1, 0.0, 1.2, 1.0);
        expect_px(&o, b, 320, 0, car_rgb);
        expect_px(&o, b, 320, 359, car_rgb);
        gst_buffer_unref(b);
        gst_harness_teardown(o.h);
    }
}

/* An ROI from another element (no "detection" param) still gets its box. */
static void test_foreign_roi(void **state)
{
    overlay o;
    (void)state;

    overlay_open(&o, "RGB", 640, 360);
    GstBuffer *in = lkt_frame_new(&o.info, 0, 0, 0);
    gst_buffer_add_video_region_of_interest_meta(in, "face", 100, 100, 50, 50);
    assert_int_equal(gst_harness_push(o.h, in), GST_FLOW_OK);
    GstBuffer *b = gst_harness_pull(o.h);
    assert_true(count_not(&o, b, 100, 100, 150, 102, black) == 100);
    assert_int_equal(count_not(&o, b, 104, 104, 146, 146, black), 0);
    gst_buffer_unref(b);
    gst_harness_teardown(o.h);
}

/* Properties changed from another thread while frames stream. */
static void test_property_stress(void **state)
{
    overlay o;
    (void)state;

    overlay_open(&o, "I420", 1280, 720);
    GValue thick = G_VALUE_INIT, labels = G_VALUE_INIT;
    g_value_init(&thick, G_TYPE_UINT);
    g_value_set_uint(&thick, 5);
    g_value_init(&labels, G_TYPE_BOOLEAN);
    g_value_set_boolean(&labels, FALSE);
    GstHarnessThread *t1 = gst_harness_stress_property_start(o.h, "thickness", &thick);
    GstHarnessThread *t2 = gst_harness_stress_property_start(o.h, "show-labels", &labels);
    for (int i = 0; i < 100; i++) {
        GstBuffer *b = overlay_run(&o, 0.25, 0.25, 0.5, 0.5);
        expect_px(&o, b, 480, 181, car_rgb);
        expect_px(&o, b, 4, 4, black);
        gst_buffer_unref(b);
    }
    assert_true(gst_harness_stress_thread_stop(t1) > 0);
    assert_true(gst_harness_stress_thread_stop(t2) > 0);
    gst_harness_teardown(o.h);
}

static void test_refuses_other_formats(void **state)
{
    (void)state;
    const char *other[] = {"GRAY8", "YUY2", "ARGB"};
    for (size_t i = 0; i < G_N_ELEMENTS(other); i++) {
        GstHarness *h = gst_harness_new("lkoverlay");
        gchar *caps = g_strdup_printf("video/x-raw,format=%s,width=64,height=64,framerate=25/1",
                                      other[i]);
        gst_harness_set_src_caps_str(h, caps);
        assert_int_equal(gst_harness_push(h, gst_buffer_new_allocate(NULL, 64 * 64 * 4, NULL)),
                         GST_FLOW_NOT_NEGOTIATED);
        g_free(caps);
        gst_harness_teardown(h);
    }
}

int main(void)
{
    gst_init(NULL, NULL);
    GST_ELEMENT_REGISTER(lkoverlay, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats_720p),
        cmocka_unit_test(test_formats_1080p),
        cmocka_unit_test(test_properties_mid_stream),
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_foreign_roi),
        cmocka_unit_test(test_property_stress),
        cmocka_unit_test(test_refuses_other_formats),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
