/* lookout bench --model M — per-frame time of a whole detector, split into
 * the phases a frame goes through: upload (host copy into the staging
 * buffer), pre-processing, network and post-processing (device timestamps
 * of the preprocess node, the model's nodes, and the decode + NMS nodes),
 * readback (host). Medians over the runs. tools/bench/detector_bench.py runs
 * it beside OpenCV DNN and PyTorch and prints the combined table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lookout/detector.h"
#include "ppm.h"

enum { PH_UPLOAD, PH_PRE, PH_NET, PH_POST, PH_READ, PH_WALL, PH_COUNT };
static const char *const phase_names[PH_COUNT] = {"upload", "pre", "net", "post",
                                                  "readback", "total"};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* Splits the last frame's device profile into pre / network / post. */
static void profile_phases(const lk_detector *d, lk_profile_entry *e, int cap, double *pre,
                           double *net, double *post)
{
    int n = lk_detector_profile(d, e, cap);
    *pre = *net = *post = 0;
    for (int i = 0; i < n && i < cap; i++) {
        if (!strcmp(e[i].op, "preprocess"))
            *pre += e[i].ms;
        else if (!strcmp(e[i].op, "yolo_decode") || !strcmp(e[i].op, "nms"))
            *post += e[i].ms;
        else
            *net += e[i].ms;
    }
}

static void usage(FILE *fp)
{
    fprintf(fp, "usage: lookout bench --model MODEL --image FRAME.ppm [--runs N] [--fp16]\n"
                "                     [--device INDEX|NAME]\n"
                "times the detector per frame: upload, pre-processing, network,\n"
                "post-processing (decode + NMS) and readback, medians over N runs\n");
}

int cmd_bench_detector(int argc, char **argv)
{
    const char *model = NULL, *image = NULL;
    int runs = 20, rc = 1;
    uint8_t *rgb = NULL;
    double *t[PH_COUNT] = {0};
    lk_profile_entry *prof = NULL;
    lk_detector *det = NULL;
    lk_detections dets = {0};
    lk_detector_opts opts;
    lk_detector_opts_init(&opts);
    opts.profile = 1;
    opts.in_flight = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--model") && i + 1 < argc)
            model = argv[++i];
        else if (!strcmp(argv[i], "--image") && i + 1 < argc)
            image = argv[++i];
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--device") && i + 1 < argc)
            opts.device = argv[++i];
        else if (!strcmp(argv[i], "--fp16"))
            opts.precision = LK_FP16;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!model || !image || runs < 1) {
        usage(stderr);
        return 2;
    }

    char err[512];
    int w, h;
    if (ppm_read(image, &rgb, &w, &h, err, sizeof err)) {
        fprintf(stderr, "lookout bench: %s\n", err);
        goto fail;
    }
    lk_msg msg;
    if (lk_detector_new(model, &opts, &det, &msg)) {
        fprintf(stderr, "lookout bench: %s\n", msg.text);
        goto fail;
    }
    lk_frame frame = {.format = LK_PIXEL_RGB, .width = w, .height = h};
    frame.planes[0] = rgb;
    frame.strides[0] = (size_t)w * 3;

    enum { MAX_NODES = 4096 };
    prof = calloc(MAX_NODES, sizeof *prof);
    for (int p = 0; p < PH_COUNT; p++)
        t[p] = calloc((size_t)runs, sizeof(double));
    if (!prof || !t[PH_COUNT - 1]) {
        fprintf(stderr, "lookout bench: out of memory\n");
        goto fail;
    }
    /* Warm-up: pipeline creation, first-use allocations, clocks. */
    for (int i = 0; i < 3; i++)
        if (lk_detector_run(det, &frame, &dets, &msg)) {
            fprintf(stderr, "lookout bench: %s\n", msg.text);
            goto fail;
        }
    for (int r = 0; r < runs; r++) {
        double t0 = cli_now_ms();
        if (lk_detector_run(det, &frame, &dets, &msg)) {
            fprintf(stderr, "lookout bench: %s\n", msg.text);
            goto fail;
        }
        t[PH_WALL][r] = cli_now_ms() - t0;
        t[PH_UPLOAD][r] = dets.upload_ms;
        t[PH_READ][r] = dets.readback_ms;
        profile_phases(det, prof, MAX_NODES, &t[PH_PRE][r], &t[PH_NET][r], &t[PH_POST][r]);
    }

    lk_detector_info info;
    lk_detector_get_info(det, &info);
    printf("model: %s (%s, input %dx%d, %.2f GFLOPs), frame %dx%d, device: %s, %s storage, "
           "median of %d runs\n",
           model, lk_family_name(info.family), info.input_h, info.input_w, info.flops * 1e-9, w,
           h, info.device, opts.precision == LK_FP16 ? "fp16" : "fp32", runs);
    printf("detections: %d\n\n", dets.count);
    for (int p = 0; p < PH_COUNT; p++)
        printf("%10s", phase_names[p]);
    printf("   (ms)\n");
    double med[PH_COUNT];
    for (int p = 0; p < PH_COUNT; p++) {
        med[p] = median(t[p], runs);
        printf("%10.3f", med[p]);
    }
    printf("\n");
    /* One parseable line for tools/bench/detector_bench.py. */
    printf("BENCH");
    for (int p = 0; p < PH_COUNT; p++)
        printf(" %s=%.4f", phase_names[p], med[p]);
    printf(" gflops=%.4f detections=%d\n", info.flops * 1e-9, dets.count);
    rc = 0;

fail:
    lk_detections_clear(&dets);
    lk_detector_free(det);
    for (int p = 0; p < PH_COUNT; p++)
        free(t[p]);
    free(prof);
    free(rgb);
    return rc;
}
