/* Real detections against an independent pipeline: for every road image of
 * the shared footage and every 10th frame of its clips,
 * tools/reference/detect_reference.py stored the frame (PPM, RGB) and the
 * detections of OpenCV DNN with the model's published pre/post-processing
 * (score > 0.25, per-class NMS at 0.45, boxes clipped to the frame). Lookout's
 * detector runs on the same frames (LK_PIXEL_RGB, score threshold 0.25, IoU
 * 0.45) and, per frame:
 *   - every reference box with score >= 0.3 has a Lookout box of the same
 *     class at IoU >= 0.9 with |score difference| <= 0.02;
 *   - every Lookout box with score > 0.35 has a reference box (any score)
 *     of the same class at IoU >= 0.9; others are extras, which fail.
 * Prints per model: frames, reference boxes, matched, worst IoU and score
 * difference of the matches, extras and the time per frame.
 *
 * Usage: test_real_detections MODEL (yolox_nano | fastestdet |
 * yolo-fastest-1.1). LOOKOUT_SHARED names the shared directory and
 * LOOKOUT_DETECT_REF the script's output (both set by meson); without them
 * the test is skipped, or fails under CI=true. LOOKOUT_REAL_FRAMES=N checks
 * N frames spread evenly over the set (a local shortcut; the count is
 * printed). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conformance.h"
#include "lookout/detector.h"
#include "ppm.h"

#define REF_MIN 0.3f        /* reference boxes that must be found */
#define EXTRA_MIN 0.35f     /* Lookout boxes that must be in the reference */
#define IOU_MIN 0.9
#define SCORE_TOL 0.02
#define SCORE_THR 0.25f     /* both pipelines' output threshold */
#define NMS_IOU 0.45f

static const char *model_name;

typedef struct ref_box {
    int frame;
    int cls;
    float score, x1, y1, x2, y2;
} ref_box;

typedef struct ref_set {
    char model_path[512];
    int n_frames;
    char **frames;           /* "NNNNN.ppm" */
    char **sources;          /* footage path or clip#frame */
    ref_box *boxes;          /* sorted by frame (as written) */
    int n_boxes;
} ref_set;

static void ref_free(ref_set *r)
{
    for (int i = 0; i < r->n_frames; i++) {
        free(r->frames[i]);
        free(r->sources[i]);
    }
    free(r->frames);
    free(r->sources);
    free(r->boxes);
}

static int frame_index(const ref_set *r, const char *ppm)
{
    /* Frames are numbered NNNNN.ppm in order. */
    int i = atoi(ppm);
    return i >= 0 && i < r->n_frames && !strcmp(r->frames[i], ppm) ? i : -1;
}

static void ref_read(const char *dir, const char *model, ref_set *r)
{
    char path[1200], line[1400];
    memset(r, 0, sizeof *r);
    snprintf(path, sizeof path, "%s/frames.txt", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("%s missing (detect_reference.py did not run?)", path);
    int cap = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        char *sp = strchr(line, ' ');
        if (!sp)
            fail_msg("%s: bad line '%s'", path, line);
        *sp++ = 0;
        if (r->n_frames == cap) {
            cap = cap ? 2 * cap : 1024;
            r->frames = realloc(r->frames, (size_t)cap * sizeof *r->frames);
            r->sources = realloc(r->sources, (size_t)cap * sizeof *r->sources);
            assert_true(r->frames && r->sources);
        }
        r->frames[r->n_frames] = strdup(line);
        r->sources[r->n_frames++] = strdup(sp);
    }
    fclose(f);

    snprintf(path, sizeof path, "%s/%s.txt", dir, model);
    if (!(f = fopen(path, "r")))
        fail_msg("%s missing", path);
    cap = 0;
    if (!fgets(line, sizeof line, f) || strncmp(line, "model ", 6))
        fail_msg("%s: no model line", path);
    line[strcspn(line, "\n")] = 0;
    snprintf(r->model_path, sizeof r->model_path, "%s", line + 6);
    while (fgets(line, sizeof line, f)) {
        char ppm[64], name[64];
        ref_box b;
        if (sscanf(line, "%63s %63s %d %f %f %f %f %f", ppm, name, &b.cls, &b.score, &b.x1,
                   &b.y1, &b.x2, &b.y2) != 8 || strcmp(name, model) ||
            (b.frame = frame_index(r, ppm)) < 0)
            fail_msg("%s: bad line '%s'", path, line);
        if (r->n_boxes == cap) {
            cap = cap ? 2 * cap : 4096;
            r->boxes = realloc(r->boxes, (size_t)cap * sizeof *r->boxes);
            assert_non_null(r->boxes);
        }
        r->boxes[r->n_boxes++] = b;
    }
    fclose(f);
    if (!r->n_frames)
        fail_msg("%s/frames.txt: no frames", dir);
}

static void read_ppm(const char *path, uint8_t **rgb, int *w, int *h)
{
    char err[512];
    if (ppm_read(path, rgb, w, h, err, sizeof err))
        fail_msg("%s", err);
}

static double iou(float ax1, float ay1, float ax2, float ay2, float bx1, float by1, float bx2,
                  float by2)
{
    double iw = fmin(ax2, bx2) - fmax(ax1, bx1), ih = fmin(ay2, by2) - fmax(ay1, by1);
    double inter = iw > 0 && ih > 0 ? iw * ih : 0.0;
    double u = fmax(ax2 - ax1, 0.0) * fmax(ay2 - ay1, 0.0) +
               fmax(bx2 - bx1, 0.0) * fmax(by2 - by1, 0.0) - inter;
    return u > 0 ? inter / u : 0.0;
}

typedef struct stats {
    int frames, ref_boxes, matched, extras;
    double worst_iou, worst_diff;
    int shown;
} stats;

static void compare_frame(const ref_set *r, const ref_box *rb, int nr, const lk_detections *d,
                          int fi, stats *s)
{
    for (int i = 0; i < nr; i++) {
        if (rb[i].score < REF_MIN)
            continue;
        s->ref_boxes++;
        double best_iou = 0.0, diff = INFINITY;
        int ok = 0;
        for (int j = 0; j < d->count; j++) {
            const lk_detection *l = &d->items[j];
            if (l->class_id != rb[i].cls)
                continue;
            double v = iou(rb[i].x1, rb[i].y1, rb[i].x2, rb[i].y2, l->x1, l->y1, l->x2, l->y2);
            double dv = fabs((double)l->score - rb[i].score);
            if (v >= IOU_MIN && dv <= SCORE_TOL)
                ok = 1;
            if (v > best_iou) {
                best_iou = v;
                diff = dv;
            }
        }
        if (ok) {
            s->matched++;
            s->worst_iou = fmin(s->worst_iou, best_iou);
            s->worst_diff = fmax(s->worst_diff, diff);
        } else if (s->shown++ < 20) {
            printf("  %s (%s): reference class %d %.3f [%.1f %.1f %.1f %.1f] unmatched "
                   "(best same-class IoU %.3f, score difference %.3f)\n", r->frames[fi],
                   r->sources[fi], rb[i].cls, (double)rb[i].score, (double)rb[i].x1,
                   (double)rb[i].y1, (double)rb[i].x2, (double)rb[i].y2, best_iou, diff);
        }
    }
    for (int j = 0; j < d->count; j++) {
        const lk_detection *l = &d->items[j];
        if (l->score <= EXTRA_MIN)
            continue;
        double best = 0.0;
        for (int i = 0; i < nr; i++)
            if (rb[i].cls == l->class_id)
                best = fmax(best, iou(rb[i].x1, rb[i].y1, rb[i].x2, rb[i].y2, l->x1, l->y1,
                                      l->x2, l->y2));
        if (best < IOU_MIN) {
            s->extras++;
            if (s->shown++ < 20)
                printf("  %s (%s): extra Lookout box class %d %.3f [%.1f %.1f %.1f %.1f] "
                       "(best same-class reference IoU %.3f)\n", r->frames[fi], r->sources[fi],
                       l->class_id, (double)l->score, (double)l->x1, (double)l->y1,
                       (double)l->x2, (double)l->y2, best);
        }
    }
}

static void test_real_detections(void **state)
{
    (void)state;
    const char *shared = lkc_require_dir("LOOKOUT_SHARED", "the shared assets directory");
    const char *dir = lkc_require_dir("LOOKOUT_DETECT_REF", "the reference detections "
                                      "(tools/reference/detect_reference.py, python3-opencv)");
    const char *limit = getenv("LOOKOUT_REAL_FRAMES");
    ref_set r;
    lk_detector_opts o;
    lk_detector *det = NULL;
    lk_detector_info info;
    lk_msg msg = {{0}};
    char path[1400];

    ref_read(dir, model_name, &r);
    snprintf(path, sizeof path, "%s/assets/models/%s", shared, r.model_path);
    lk_detector_opts_init(&o);
    o.score_threshold = SCORE_THR;
    o.iou_threshold = NMS_IOU;
    o.max_detections = 300;
    double t0 = lkc_now_ms();
    lk_status st = lk_detector_new(path, &o, &det, &msg);
    if (st == LK_ERR_NO_DEVICE) {
        const char *ci = getenv("CI");
        if (ci && !strcmp(ci, "true"))
            fail_msg("CI=true requires a Vulkan device: %s", msg.text);
        print_message("SKIPPED: no Vulkan device: %s\n", msg.text);
        ref_free(&r);
        skip();
    }
    if (st)
        fail_msg("%s: %s", path, msg.text);
    lk_detector_get_info(det, &info);
    double t_new = lkc_now_ms() - t0;

    int step = 1;
    if (limit && atoi(limit) > 0 && atoi(limit) < r.n_frames)
        step = (r.n_frames + atoi(limit) - 1) / atoi(limit);
    stats s = {0, 0, 0, 0, 1.0, 0.0, 0};
    double t_run = 0.0, up = 0.0, gpu = 0.0, back = 0.0;
    int bi = 0;
    for (int fi = 0; fi < r.n_frames; fi++) {
        int b0 = bi;
        while (bi < r.n_boxes && r.boxes[bi].frame == fi)
            bi++;
        if (fi % step)
            continue;
        uint8_t *rgb;
        lk_frame fr;
        lk_detections d = {0};
        snprintf(path, sizeof path, "%s/frames/%s", dir, r.frames[fi]);
        memset(&fr, 0, sizeof fr);
        fr.format = LK_PIXEL_RGB;
        read_ppm(path, &rgb, &fr.width, &fr.height);
        fr.planes[0] = rgb;
        fr.strides[0] = (size_t)fr.width * 3;
        double t = lkc_now_ms();
        if ((st = lk_detector_run(det, &fr, &d, &msg)))
            fail_msg("%s (%s): %s", r.frames[fi], r.sources[fi], msg.text);
        t_run += lkc_now_ms() - t;
        up += d.upload_ms;
        gpu += d.gpu_ms;
        back += d.readback_ms;
        compare_frame(&r, r.boxes + b0, bi - b0, &d, fi, &s);
        s.frames++;
        lk_detections_clear(&d);
        free(rgb);
    }
    if (bi != r.n_boxes)
        fail_msg("%s: detections out of frame order", model_name);
    printf("%s on %s: %d of %d frames%s, %d reference boxes >= %.2f, %d matched "
           "(worst IoU %.3f, worst score difference %.4f), %d extra Lookout boxes > %.2f; "
           "detector %d classes at %dx%d, created in %.0f ms, %.1f ms/frame "
           "(upload %.1f, device %.1f, readback %.1f)\n",
           model_name, info.device, s.frames, r.n_frames,
           step > 1 ? " (LOOKOUT_REAL_FRAMES)" : "", s.ref_boxes, (double)REF_MIN, s.matched,
           s.matched ? s.worst_iou : 0.0, s.worst_diff, s.extras, (double)EXTRA_MIN,
           info.n_classes, info.input_h, info.input_w, t_new, t_run / s.frames,
           up / s.frames, gpu / s.frames, back / s.frames);
    lk_detector_free(det);
    ref_free(&r);
    if (s.matched != s.ref_boxes || s.extras)
        fail_msg("%s: %d of %d reference boxes unmatched, %d extras", model_name,
                 s.ref_boxes - s.matched, s.ref_boxes, s.extras);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s yolox_nano | fastestdet | yolo-fastest-1.1\n", argv[0]);
        return 2;
    }
    model_name = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_detections),
    };
    return cmocka_run_group_tests_name(model_name, tests, NULL, NULL);
}
