/* lkjsonsink: one JSON line per frame with the gvametaconvert-compatible
 * fields, parsed back with json-glib (an independent parser); records are
 * complete at EOS; labels are escaped; records without lkdetect's frame
 * meta; an unwritable location fails the state change. */
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
#include <json-glib/json-glib.h>

#include "gstlkjsonsink.h"
#include "lkmeta.h"
#include "lkt_gst.h"

typedef struct {
    GstHarness *h;
    gchar *path;
    GstVideoInfo info;
} sink;

static void sink_open(sink *s, const char *source)
{
    GstElement *e = gst_element_factory_make("lkjsonsink", NULL);
    GstCaps *caps = gst_caps_from_string("video/x-raw,format=NV12,width=1280,height=720,"
                                         "framerate=25/1");
    int fd = g_file_open_tmp("lkjsonsink-XXXXXX.jsonl", &s->path, NULL);

    assert_true(fd >= 0);
    close(fd);
    g_object_set(e, "location", s->path, NULL);
    if (source)
        g_object_set(e, "source", source, NULL);
    s->h = gst_harness_new_with_element(e, "sink", NULL);
    gst_object_unref(e);
    gst_harness_set_src_caps(s->h, gst_caps_ref(caps));
    assert_true(gst_video_info_from_caps(&s->info, caps));
    gst_caps_unref(caps);
}

/* Ends the stream and returns the file's lines (NULL-terminated). */
static gchar **sink_close(sink *s, int *n)
{
    gchar *text = NULL;
    gsize len = 0;

    assert_true(gst_harness_push_event(s->h, gst_event_new_eos()));
    /* The file is complete once EOS has gone through, before teardown. */
    assert_true(g_file_get_contents(s->path, &text, &len, NULL));
    gst_harness_teardown(s->h);
    g_unlink(s->path);
    g_free(s->path);
    assert_true(len > 0 && text[len - 1] == '\n');
    text[len - 1] = '\0';
    gchar **lines = g_strsplit(text, "\n", -1);
    g_free(text);
    *n = (int)g_strv_length(lines);
    return lines;
}

static JsonObject *parse(JsonParser *p, const char *line)
{
    GError *err = NULL;
    if (!json_parser_load_from_data(p, line, -1, &err))
        fail_msg("not JSON: %s: %s", err->message, line);
    JsonNode *root = json_parser_get_root(p);
    assert_int_equal(JSON_NODE_TYPE(root), JSON_NODE_OBJECT);
    return json_node_get_object(root);
}

static GstBuffer *frame(sink *s, guint64 n, LkSkipReason skip, double ms, guint64 skipped)
{
    GstBuffer *b = lkt_frame_new(&s->info, 0, 0, 0);
    LkFrameMeta *fm = lk_buffer_add_frame_meta(b);

    GST_BUFFER_PTS(b) = n * 40 * GST_MSECOND;
    GST_BUFFER_DURATION(b) = 40 * GST_MSECOND;
    fm->frame = n;
    fm->skip = skip;
    fm->inference_ms = ms;
    fm->skipped_total = skipped;
    return b;
}

static void test_records(void **state)
{
    sink s;
    (void)state;

    sink_open(&s, "file:///clips/drive.mp4");
    for (guint64 i = 0; i < 6; i++) {
        GstBuffer *b = frame(&s, i, i % 2 ? LK_SKIP_INTERVAL : LK_SKIP_NONE, i % 2 ? 0 : 150.5,
                             (i + 1) / 2);
        if (i % 2 == 0) {
            LkDetection car = {"car", 2, 0.875, 0.25, 0.5, 0.5, 0.75};
            LkDetection person = {"person", 0, 0.5, 0.0, 0.0, 0.1, 0.2};
            lk_buffer_add_detection(b, &car, 1280, 720);
            if (i == 4)
                lk_buffer_add_detection(b, &person, 1280, 720);
        }
        assert_int_equal(gst_harness_push(s.h, b), GST_FLOW_OK);
    }
    int n;
    gchar **lines = sink_close(&s, &n);
    assert_int_equal(n, 6);
    JsonParser *p = json_parser_new();
    for (int i = 0; i < n; i++) {
        JsonObject *o = parse(p, lines[i]);
        assert_int_equal(json_object_get_int_member(o, "frame"), i);
        assert_int_equal(json_object_get_int_member(o, "pts"), i * 40000000LL);
        assert_int_equal(json_object_get_int_member(o, "timestamp"), i * 40000000LL);
        assert_true(fabs(json_object_get_double_member(o, "timestamp_seconds") - i * 0.04) < 1e-9);
        assert_string_equal(json_object_get_string_member(o, "source"), "file:///clips/drive.mp4");
        JsonObject *res = json_object_get_object_member(o, "resolution");
        assert_int_equal(json_object_get_int_member(res, "width"), 1280);
        assert_int_equal(json_object_get_int_member(res, "height"), 720);
        assert_int_equal(json_object_get_boolean_member(o, "skipped"), i % 2);
        assert_int_equal(json_object_get_int_member(o, "skipped_total"), (i + 1) / 2);
        JsonArray *objs = json_object_get_array_member(o, "objects");
        if (i % 2) {
            assert_true(json_object_get_null_member(o, "inference_ms"));
            assert_string_equal(json_object_get_string_member(o, "skip_reason"), "interval");
            assert_int_equal(json_array_get_length(objs), 0);
            continue;
        }
        assert_true(fabs(json_object_get_double_member(o, "inference_ms") - 150.5) < 1e-6);
        assert_true(json_object_get_null_member(o, "skip_reason"));
        assert_int_equal(json_array_get_length(objs), i == 4 ? 2 : 1);
        JsonObject *car = json_array_get_object_element(objs, 0);
        JsonObject *det = json_object_get_object_member(car, "detection");
        JsonObject *bb = json_object_get_object_member(det, "bounding_box");
        assert_string_equal(json_object_get_string_member(det, "label"), "car");
        assert_int_equal(json_object_get_int_member(det, "label_id"), 2);
        assert_true(fabs(json_object_get_double_member(det, "confidence") - 0.875) < 1e-6);
        assert_true(fabs(json_object_get_double_member(bb, "x_min") - 0.25) < 1e-6);
        assert_true(fabs(json_object_get_double_member(bb, "y_min") - 0.5) < 1e-6);
        assert_true(fabs(json_object_get_double_member(bb, "x_max") - 0.5) < 1e-6);
        assert_true(fabs(json_object_get_double_member(bb, "y_max") - 0.75) < 1e-6);
        assert_string_equal(json_object_get_string_member(car, "roi_type"), "car");
        assert_int_equal(json_object_get_int_member(car, "x"), 320);
        assert_int_equal(json_object_get_int_member(car, "y"), 360);
        assert_int_equal(json_object_get_int_member(car, "w"), 320);
        assert_int_equal(json_object_get_int_member(car, "h"), 180);
        if (i == 4) {
            JsonObject *per = json_array_get_object_element(objs, 1);
            assert_int_equal(json_object_get_int_member(per, "w"), 128);
            assert_int_equal(json_object_get_int_member(per, "h"), 144);
        }
    }
    g_object_unref(p);
    g_strfreev(lines);
}

/* Labels are data from a model's labels file: anything must stay valid
 * JSON. Frames without lkdetect's record count on their own. */
static void test_escaping_and_plain_frames(void **state)
{
    sink s;
    (void)state;

    sink_open(&s, "cam \"front\"\\0");
    for (int i = 0; i < 3; i++) {
        GstBuffer *b = lkt_frame_new(&s.info, 0, 0, 0);
        LkDetection d = {"a \"quoted\"\tlabel\n", 7, 0.5, 0.1, 0.1, 0.2, 0.2};
        GST_BUFFER_PTS(b) = i == 1 ? GST_CLOCK_TIME_NONE : (GstClockTime)i * GST_SECOND;
        lk_buffer_add_detection(b, &d, 1280, 720);
        assert_int_equal(gst_harness_push(s.h, b), GST_FLOW_OK);
    }
    int n;
    gchar **lines = sink_close(&s, &n);
    assert_int_equal(n, 3);
    JsonParser *p = json_parser_new();
    for (int i = 0; i < n; i++) {
        JsonObject *o = parse(p, lines[i]);
        assert_int_equal(json_object_get_int_member(o, "frame"), i);
        assert_string_equal(json_object_get_string_member(o, "source"), "cam \"front\"\\0");
        assert_true(json_object_get_null_member(o, "skipped"));
        assert_true(json_object_get_null_member(o, "inference_ms"));
        if (i == 1) {
            assert_true(json_object_get_null_member(o, "pts"));
            assert_true(json_object_get_null_member(o, "timestamp_seconds"));
        }
        JsonObject *obj = json_array_get_object_element(json_object_get_array_member(o, "objects"), 0);
        JsonObject *det = json_object_get_object_member(obj, "detection");
        assert_string_equal(json_object_get_string_member(det, "label"), "a \"quoted\"\tlabel\n");
        assert_int_equal(json_object_get_int_member(det, "label_id"), 7);
    }
    g_object_unref(p);
    g_strfreev(lines);
}

/* Many frames, each on disk before the next arrives (so a later error
 * or crash loses none), and the count is exact at EOS. */
static void test_every_frame_written(void **state)
{
    sink s;
    (void)state;

    sink_open(&s, NULL);
    for (guint64 i = 0; i < 200; i++) {
        assert_int_equal(gst_harness_push(s.h, frame(&s, i, LK_SKIP_NONE, 1.0, 0)), GST_FLOW_OK);
        if (i == 99) {
            gchar *text;
            gsize len;
            assert_true(g_file_get_contents(s.path, &text, &len, NULL));
            int lines = 0;
            for (gsize k = 0; k < len; k++)
                lines += text[k] == '\n';
            assert_int_equal(lines, 100);
            g_free(text);
        }
    }
    int n;
    gchar **lines = sink_close(&s, &n);
    assert_int_equal(n, 200);
    g_strfreev(lines);
}

static void test_unwritable_location(void **state)
{
    (void)state;
    GstElement *pipe = gst_parse_launch(
        "videotestsrc num-buffers=1 ! lkjsonsink location=/nonexistent-dir/x.jsonl", NULL);
    assert_non_null(pipe);
    GstStateChangeReturn r = gst_element_set_state(pipe, GST_STATE_PLAYING);
    GstMessage *m = gst_bus_timed_pop_filtered(GST_ELEMENT_BUS(pipe), 5 * GST_SECOND,
                                               GST_MESSAGE_ERROR);
    assert_int_equal(r, GST_STATE_CHANGE_FAILURE);
    assert_non_null(m);
    GError *err = NULL;
    gst_message_parse_error(m, &err, NULL);
    assert_non_null(strstr(err->message, "/nonexistent-dir/x.jsonl"));
    g_error_free(err);
    gst_message_unref(m);
    gst_element_set_state(pipe, GST_STATE_NULL);
    gst_object_unref(pipe);
}

int main(void)
{
    gst_init(NULL, NULL);
    GST_ELEMENT_REGISTER(lkjsonsink, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records),
        cmocka_unit_test(test_escaping_and_plain_frames),
        cmocka_unit_test(test_every_frame_written),
        cmocka_unit_test(test_unwritable_location),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
