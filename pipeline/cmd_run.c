/* lookout run — detect, annotate and publish on a file, camera, RTSP
 * stream or test source.
 *
 * Assembles one GStreamer pipeline:
 *
 *   source ! decode ! videoconvert ! lkdetect [! lkoverlay] ! tee
 *       tee. ! queue ! lkjsonsink                                   (--json)
 *       tee. ! queue ! videoconvert ! x264enc ! mp4mux|matroskamux ! filesink  (--out)
 *
 * and watches it: a progress line on stderr for files (when stderr is a
 * terminal), a summary at the end, and one clear error line with a
 * non-zero exit on failure. On a decoding or source error the elements
 * after the source are sent EOS, so every processed frame's record is
 * written and the annotated file is finalised before exiting. The
 * elements are registered from the linked plugin code: the command works
 * without the plugin installed. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gst/gst.h>
#include <gst/pbutils/pbutils.h>

#include "cli.h"
#include "gstlkdetect.h"
#include "gstlkjsonsink.h"
#include "gstlkoverlay.h"
#include "lkmeta.h"

typedef struct {
    const char *input;
    const char *model, *labels, *device, *classes;
    const char *out, *json;
    double conf;
    int interval;
    int realtime;
    long frames;             /* stop after this many frames; 0: until EOS */
} run_opts;

/* Per-frame figures gathered by pad probes on the streaming thread. */
typedef struct {
    GMutex lock;
    GQueue entered;          /* gint64 µs, one per frame inside the detect..overlay span */
    GArray *latency_ms;      /* per frame, detect sink pad to annotate src pad */
    GArray *inference_ms;    /* inferred frames only */
    GHashTable *per_class;   /* label → count */
    guint64 frames, skipped, detections;
    gint64 first_us, last_us;
    long stop_after;
    gboolean stop_sent;
    GstElement *pipeline;
} run_stats;

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: lookout run INPUT [--model M] [--labels FILE] [--out annotated.mp4|.mkv]\n"
            "                         [--json detections.jsonl|-] [--device N] [--realtime]\n"
            "                         [--conf X] [--interval N] [--classes a,b] [--frames N]\n"
            "\n"
            "INPUT: a video file (replayed as fast as possible; --realtime paces it), a\n"
            "v4l2 camera (/dev/video0 or v4l2:///dev/video0), an rtsp:// URL, or testsrc.\n"
            "Live inputs and --realtime skip frames that arrive while an inference runs\n"
            "(lkdetect drop=newest), so latency stays bounded; skips are in the JSON.\n"
            "--model defaults to the built-in road model; --frames stops after N frames.\n");
}

static int parse_args(int argc, char **argv, run_opts *o)
{
    memset(o, 0, sizeof *o);
    o->conf = -1.0;
    o->interval = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--realtime")) {
            o->realtime = 1;
            continue;
        } else if (a[0] == '-' && a[1] == '-' && !v) {
            fprintf(stderr, "lookout run: %s needs a value\n", a);
            return 2;
        }
        if (!strcmp(a, "--model")) o->model = v;
        else if (!strcmp(a, "--labels")) o->labels = v;
        else if (!strcmp(a, "--device")) o->device = v;
        else if (!strcmp(a, "--classes")) o->classes = v;
        else if (!strcmp(a, "--out")) o->out = v;
        else if (!strcmp(a, "--json")) o->json = v;
        else if (!strcmp(a, "--conf")) o->conf = atof(v);
        else if (!strcmp(a, "--interval")) o->interval = atoi(v);
        else if (!strcmp(a, "--frames")) o->frames = atol(v);
        else if (a[0] == '-' && a[1] == '-') {
            fprintf(stderr, "lookout run: unknown option %s\n", a);
            usage(stderr);
            return 2;
        } else if (!o->input) {
            o->input = a;
            continue;
        } else {
            fprintf(stderr, "lookout run: more than one INPUT (%s, %s)\n", o->input, a);
            return 2;
        }
        i++;
    }
    if (!o->input) {
        usage(stderr);
        return 2;
    }
    if (o->interval < 1 || o->frames < 0 || (o->conf != -1.0 && (o->conf < 0 || o->conf > 1))) {
        fprintf(stderr, "lookout run: --interval must be >= 1, --frames >= 0, --conf in [0, 1]\n");
        return 2;
    }
    if (o->out && !g_str_has_suffix(o->out, ".mp4") && !g_str_has_suffix(o->out, ".mkv")) {
        fprintf(stderr, "lookout run: --out must end in .mp4 or .mkv (%s)\n", o->out);
        return 2;
    }
    return -1;
}

/* A value quoted for gst_parse_launch. */
static void append_quoted(GString *s, const char *v)
{
    g_string_append_c(s, '"');
    for (; *v; v++) {
        if (*v == '"' || *v == '\\')
            g_string_append_c(s, '\\');
        g_string_append_c(s, *v);
    }
    g_string_append_c(s, '"');
}

/* The source part of the pipeline for INPUT; *live says whether it is a
 * live source. NULL with a message when INPUT cannot be used. */
static gchar *source_description(const run_opts *o, int *live, gchar **source_name)
{
    const char *in = o->input;
    GString *s = g_string_new(NULL);
    GError *err = NULL;

    *live = 1;
    if (!strcmp(in, "testsrc")) {
        g_string_printf(s, "videotestsrc is-live=true pattern=ball num-buffers=%ld ! "
                           "video/x-raw,width=1280,height=720,framerate=30/1",
                        o->frames ? o->frames : 150);
        *source_name = g_strdup("testsrc");
    } else if (g_str_has_prefix(in, "/dev/video") || g_str_has_prefix(in, "v4l2://")) {
        const char *dev = g_str_has_prefix(in, "v4l2://") ? in + strlen("v4l2://") : in;
        if (!g_file_test(dev, G_FILE_TEST_EXISTS)) {
            fprintf(stderr, "lookout: %s: no such camera device\n", dev);
            goto fail;
        }
        g_string_append(s, "v4l2src device=");
        append_quoted(s, dev);
        g_string_append(s, " ! decodebin");
        *source_name = g_strdup_printf("v4l2://%s", dev);
    } else if (gst_uri_is_valid(in) && !g_str_has_prefix(in, "file:")) {
        g_string_append(s, "uridecodebin uri=");
        append_quoted(s, in);
        *source_name = g_strdup(in);
    } else {
        gchar *uri;
        if (g_str_has_prefix(in, "file:"))
            uri = g_strdup(in);
        else if (!g_file_test(in, G_FILE_TEST_IS_REGULAR)) {
            fprintf(stderr, "lookout: %s: no such file\n", in);
            goto fail;
        } else if (!(uri = gst_filename_to_uri(in, &err))) {
            fprintf(stderr, "lookout: %s: %s\n", in, err->message);
            g_error_free(err);
            goto fail;
        }
        g_string_append(s, "uridecodebin uri=");
        append_quoted(s, uri);
        *source_name = uri;
        *live = 0;
    }
    return g_string_free(s, FALSE);

fail:
    g_string_free(s, TRUE);
    return NULL;
}

static gchar *pipeline_description(const run_opts *o, const char *source, int live,
                                   const char *source_name)
{
    GString *s = g_string_new(source);
    int paced = live || o->realtime;
    const char *sync = o->realtime ? "true" : "false";

    g_string_append(s, " ! videoconvert ! lkdetect name=det");
    if (o->model) {
        g_string_append(s, " model=");
        append_quoted(s, o->model);
    }
    if (o->labels) {
        g_string_append(s, " labels=");
        append_quoted(s, o->labels);
    }
    if (o->device) {
        g_string_append(s, " device=");
        append_quoted(s, o->device);
    }
    if (o->classes) {
        g_string_append(s, " classes=");
        append_quoted(s, o->classes);
    }
    if (o->conf >= 0)
        g_string_append_printf(s, " conf-threshold=%g", o->conf);
    g_string_append_printf(s, " interval=%d drop=%s", o->interval, paced ? "newest" : "none");
    if (o->out)
        g_string_append(s, " ! lkoverlay name=annotate");
    g_string_append(s, " ! tee name=t");
    if (o->json) {
        /* Unbounded: while the encoder branch prerolls (x264enc holds its
         * lookahead) this branch must not block the tee. Once playing,
         * writing records is far faster than encoding, so it stays short. */
        g_string_append_printf(s, " t. ! queue max-size-buffers=0 max-size-bytes=0"
                                  " max-size-time=0 ! lkjsonsink name=json sync=%s source=",
                               sync);
        append_quoted(s, source_name);
        if (strcmp(o->json, "-")) {
            g_string_append(s, " location=");
            append_quoted(s, o->json);
        }
    }
    if (o->out) {
        int mkv = g_str_has_suffix(o->out, ".mkv");
        g_string_append_printf(s, " t. ! queue ! videoconvert ! x264enc speed-preset=veryfast%s"
                                  " ! %s ! filesink sync=%s location=",
                               live ? " tune=zerolatency" : "", mkv ? "matroskamux" : "mp4mux",
                               sync);
        append_quoted(s, o->out);
    }
    if (!o->json && !o->out)
        g_string_append_printf(s, " t. ! queue ! fakesink sync=%s", sync);
    return g_string_free(s, FALSE);
}

static GstPadProbeReturn on_enter(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    run_stats *st = data;
    gint64 now = g_get_monotonic_time();
    (void)pad;
    (void)info;

    g_mutex_lock(&st->lock);
    g_queue_push_tail(&st->entered, (gpointer)(intptr_t)now);
    if (!st->first_us)
        st->first_us = now;
    g_mutex_unlock(&st->lock);
    return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn on_leave(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
    run_stats *st = data;
    GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
    LkFrameMeta *fm = lk_buffer_get_frame_meta(buf);
    gint64 now = g_get_monotonic_time();
    gpointer state = NULL;
    GstMeta *meta;
    gboolean stop = FALSE;
    (void)pad;

    g_mutex_lock(&st->lock);
    if (st->stop_after && st->frames >= (guint64)st->stop_after) {
        /* Frames already inside lkdetect when --frames was reached. */
        g_mutex_unlock(&st->lock);
        return GST_PAD_PROBE_DROP;
    }
    if (!g_queue_is_empty(&st->entered)) {
        double ms = (now - (gint64)(intptr_t)g_queue_pop_head(&st->entered)) / 1000.0;
        g_array_append_val(st->latency_ms, ms);
    }
    st->frames++;
    st->last_us = now;
    if (fm && fm->skip != LK_SKIP_NONE)
        st->skipped++;
    else if (fm)
        g_array_append_val(st->inference_ms, fm->inference_ms);
    while ((meta = gst_buffer_iterate_meta_filtered(buf, &state,
                                                    GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
        const char *label = g_quark_to_string(((GstVideoRegionOfInterestMeta *)meta)->roi_type);
        gpointer n = g_hash_table_lookup(st->per_class, label);
        g_hash_table_insert(st->per_class, g_strdup(label), GINT_TO_POINTER(GPOINTER_TO_INT(n) + 1));
        st->detections++;
    }
    if (st->stop_after && st->frames >= (guint64)st->stop_after && !st->stop_sent) {
        st->stop_sent = TRUE;
        stop = TRUE;
    }
    g_mutex_unlock(&st->lock);
    if (stop)
        /* The EOS goes in from the application thread (see run_pipeline). */
        gst_element_post_message(st->pipeline,
                                 gst_message_new_application(GST_OBJECT(st->pipeline),
                                                             gst_structure_new_empty("lk-stop")));
    return GST_PAD_PROBE_OK;
}

/* Sends EOS into lkdetect, so everything after it drains and finishes its
 * files even though the source has stopped. */
static void eos_after_source(GstElement *pipeline)
{
    GstElement *det = gst_bin_get_by_name(GST_BIN(pipeline), "det");
    GstPad *pad = gst_element_get_static_pad(det, "sink");

    gst_pad_send_event(pad, gst_event_new_eos());
    gst_object_unref(pad);
    gst_object_unref(det);
}

static void progress(run_stats *st, GstElement *pipeline, int tty)
{
    static gint64 last;
    gint64 now = g_get_monotonic_time(), dur = 0;
    guint64 frames;
    double fps;

    if (!tty || now - last < 250000)
        return;
    last = now;
    g_mutex_lock(&st->lock);
    frames = st->frames;
    fps = st->last_us > st->first_us ? frames * 1e6 / (st->last_us - st->first_us) : 0.0;
    g_mutex_unlock(&st->lock);

    GstElement *det = gst_bin_get_by_name(GST_BIN(pipeline), "det");
    GstPad *pad = gst_element_get_static_pad(det, "src");
    GstCaps *caps = gst_pad_get_current_caps(pad);
    int fn = 0, fd = 1;
    guint64 total = 0;
    if (caps && gst_structure_get_fraction(gst_caps_get_structure(caps, 0), "framerate", &fn, &fd)
        && fn > 0 && gst_element_query_duration(pipeline, GST_FORMAT_TIME, &dur) && dur > 0)
        total = gst_util_uint64_scale_round((guint64)dur, (guint64)fn, (guint64)fd * GST_SECOND);
    if (caps)
        gst_caps_unref(caps);
    gst_object_unref(pad);
    gst_object_unref(det);

    if (total > 0) {
        int width = 30, done = frames >= total ? width : (int)(frames * width / total);
        double eta = fps > 0 && total > frames ? (total - frames) / fps : 0;
        fprintf(stderr, "\r[%.*s%*s] %" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT " frames  %5.1f fps"
                        "  ETA %d:%02d ", done, "##############################", width - done, "",
                frames, total, fps, (int)eta / 60, (int)eta % 60);
    } else {
        fprintf(stderr, "\r%" G_GUINT64_FORMAT " frames  %5.1f fps ", frames, fps);
    }
    fflush(stderr);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double mean_of(const GArray *a)
{
    double s = 0;
    for (guint i = 0; i < a->len; i++)
        s += g_array_index(a, double, i);
    return a->len ? s / a->len : 0.0;
}

/* Most frequent class first, then by name. */
static gint by_count(gconstpointer a, gconstpointer b, gpointer table)
{
    int na = GPOINTER_TO_INT(g_hash_table_lookup(table, a));
    int nb = GPOINTER_TO_INT(g_hash_table_lookup(table, b));
    return na != nb ? nb - na : strcmp(a, b);
}

static void summary(run_stats *st, const run_opts *o)
{
    double secs = st->last_us > st->first_us ? (st->last_us - st->first_us) / 1e6 : 0.0;
    GList *keys = g_list_sort_with_data(g_hash_table_get_keys(st->per_class), by_count,
                                        st->per_class);
    double p95 = 0.0;

    if (st->latency_ms->len) {
        g_array_sort(st->latency_ms, cmp_double);
        p95 = g_array_index(st->latency_ms, double,
                            (guint)((st->latency_ms->len - 1) * 0.95 + 0.5));
    }
    fprintf(stderr, "lookout run: %" G_GUINT64_FORMAT " frames in %.2f s (%.1f fps): %"
                    G_GUINT64_FORMAT " processed, %" G_GUINT64_FORMAT " skipped\n",
            st->frames, secs, secs > 0 ? st->frames / secs : 0.0,
            st->frames - st->skipped, st->skipped);
    fprintf(stderr, "  detections: %" G_GUINT64_FORMAT, st->detections);
    for (GList *k = keys; k; k = k->next)
        fprintf(stderr, "%s%s %d", k == keys ? " (" : ", ", (const char *)k->data,
                GPOINTER_TO_INT(g_hash_table_lookup(st->per_class, k->data)));
    fprintf(stderr, "%s\n", keys ? ")" : "");
    fprintf(stderr, "  per-frame latency: mean %.1f ms, p95 %.1f ms; inference mean %.1f ms\n",
            mean_of(st->latency_ms), p95, mean_of(st->inference_ms));
    if (o->json && strcmp(o->json, "-"))
        fprintf(stderr, "  detections written to %s\n", o->json);
    if (o->out)
        fprintf(stderr, "  annotated video written to %s\n", o->out);
    g_list_free(keys);
}

/* One line for an error message from the pipeline. */
static void report_error(GstMessage *m, const run_opts *o, const GstMessage *missing)
{
    GError *err = NULL;
    gchar *dbg = NULL;

    gst_message_parse_error(m, &err, &dbg);
    if (missing) {
        gchar *what = gst_missing_plugin_message_get_description((GstMessage *)missing);
        fprintf(stderr, "lookout: %s: unsupported format: %s is not installed\n",
                o->input, what);
        g_free(what);
    } else if (GST_IS_ELEMENT(GST_MESSAGE_SRC(m)) &&
               GST_IS_LK_DETECT(GST_MESSAGE_SRC(m))) {
        fprintf(stderr, "lookout: %s\n", err->message);
    } else {
        fprintf(stderr, "lookout: %s: %s\n", o->input, err->message);
    }
    g_error_free(err);
    g_free(dbg);
}

/* Runs to EOS or the first error; returns the exit code. */
static int run_pipeline(GstElement *pipeline, run_stats *st, const run_opts *o, int live)
{
    GstBus *bus = gst_element_get_bus(pipeline);
    GstMessage *missing = NULL;
    int rc = 0, draining = 0, reported = 0, tty = !live && isatty(STDERR_FILENO);
    gint64 drain_deadline = 0;

    if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        /* The element that failed has posted why. */
        GstMessage *m = gst_bus_timed_pop_filtered(bus, GST_SECOND, GST_MESSAGE_ERROR);
        if (m) {
            report_error(m, o, missing);
            gst_message_unref(m);
        } else {
            fprintf(stderr, "lookout: %s: the pipeline could not start\n", o->input);
        }
        rc = 1;
        goto done;
    }
    for (;;) {
        GstMessage *m = gst_bus_timed_pop(bus, 100 * GST_MSECOND);
        if (interrupted && !draining) {
            fprintf(stderr, "\nlookout: interrupted, finishing the files\n");
            eos_after_source(pipeline);
            draining = 1;
            drain_deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
        }
        if (draining && g_get_monotonic_time() > drain_deadline) {
            fprintf(stderr, "lookout: the pipeline did not finish in 10 s after EOS\n");
            rc = 1;
            break;
        }
        progress(st, pipeline, tty);
        if (!m)
            continue;
        switch (GST_MESSAGE_TYPE(m)) {
        case GST_MESSAGE_EOS:
            gst_message_unref(m);
            goto done;
        case GST_MESSAGE_APPLICATION:
            if (!draining) {
                eos_after_source(pipeline);
                draining = 1;
                drain_deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
            }
            break;
        case GST_MESSAGE_ELEMENT:
            if (gst_is_missing_plugin_message(m) && !missing)
                missing = gst_message_ref(m);
            break;
        case GST_MESSAGE_ERROR:
            if (tty)
                fputc('\n', stderr);
            if (!reported)
                report_error(m, o, missing);
            reported = 1;
            rc = 1;
            /* Errors after lkdetect (or in it) end the run; a source or
             * decoder error lets the rest finish what it has. */
            if (draining || !st->frames || GST_IS_LK_DETECT(GST_MESSAGE_SRC(m))) {
                gst_message_unref(m);
                goto done;
            }
            eos_after_source(pipeline);
            draining = 1;
            drain_deadline = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
            break;
        default:
            break;
        }
        gst_message_unref(m);
    }
done:
    if (tty)
        fputc('\n', stderr);
    gst_element_set_state(pipeline, GST_STATE_NULL);
    if (missing)
        gst_message_unref(missing);
    gst_object_unref(bus);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    run_opts o;
    run_stats st = {0};
    GstElement *pipeline = NULL;
    GError *err = NULL;
    gchar *source = NULL, *desc = NULL, *source_name = NULL;
    int live = 0, rc = parse_args(argc, argv, &o);

    if (rc >= 0)
        return rc;
    rc = 1;
    gst_init(NULL, NULL);
    if (!GST_ELEMENT_REGISTER(lkdetect, NULL) || !GST_ELEMENT_REGISTER(lkoverlay, NULL) ||
        !GST_ELEMENT_REGISTER(lkjsonsink, NULL)) {
        fprintf(stderr, "lookout: could not register the GStreamer elements\n");
        return 1;
    }
    if (!(source = source_description(&o, &live, &source_name)))
        goto fail;
    desc = pipeline_description(&o, source, live, source_name);
    pipeline = gst_parse_launch(desc, &err);
    if (!pipeline || err) {
        fprintf(stderr, "lookout: could not build the pipeline: %s\n",
                err ? err->message : "unknown error");
        goto fail;
    }

    g_mutex_init(&st.lock);
    g_queue_init(&st.entered);
    st.latency_ms = g_array_new(FALSE, FALSE, sizeof(double));
    st.inference_ms = g_array_new(FALSE, FALSE, sizeof(double));
    st.per_class = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    st.pipeline = pipeline;
    st.stop_after = strcmp(o.input, "testsrc") ? o.frames : 0;

    GstElement *det = gst_bin_get_by_name(GST_BIN(pipeline), "det");
    GstElement *last = o.out ? gst_bin_get_by_name(GST_BIN(pipeline), "annotate")
                             : gst_object_ref(det);
    GstPad *in = gst_element_get_static_pad(det, "sink");
    GstPad *out = gst_element_get_static_pad(last, "src");
    gst_pad_add_probe(in, GST_PAD_PROBE_TYPE_BUFFER, on_enter, &st, NULL);
    gst_pad_add_probe(out, GST_PAD_PROBE_TYPE_BUFFER, on_leave, &st, NULL);
    gst_object_unref(in);
    gst_object_unref(out);
    gst_object_unref(last);
    gst_object_unref(det);

    signal(SIGINT, on_sigint);
    rc = run_pipeline(pipeline, &st, &o, live);
    signal(SIGINT, SIG_DFL);
    if (st.frames || !rc)
        summary(&st, &o);

    g_array_free(st.latency_ms, TRUE);
    g_array_free(st.inference_ms, TRUE);
    g_hash_table_destroy(st.per_class);
    g_queue_clear(&st.entered);
    g_mutex_clear(&st.lock);
fail:
    if (pipeline)
        gst_object_unref(pipeline);
    if (err)
        g_error_free(err);
    g_free(source);
    g_free(desc);
    g_free(source_name);
    return rc;
}
