/* lookout detect IMAGE [--model M] [--json]: runs a detector (by default the
 * built-in model) on one image and prints its detections, for people and
 * for other tools. PPM (P6) is read
 * directly; any other image goes through ffmpeg (`ffmpeg -i IMAGE -f
 * image2pipe -c:v ppm -`), which must then be on PATH. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lookout/detector.h"
#include "ppm.h"

#define MAX_CLASSES 256

typedef struct image {
    int w, h;
    uint8_t *rgb;
} image;

/* One reader for the file and for ffmpeg's pipe. */
static int read_ppm(FILE *f, image *im, char *err, size_t cap)
{
    im->rgb = NULL;
    return ppm_read_stream(f, &im->rgb, &im->w, &im->h, err, cap);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

static int load_image(const char *path, image *im, char *err, size_t cap)
{
    FILE *f;
    int r;
    if (ends_with(path, ".ppm") || ends_with(path, ".PPM")) {
        if (!(f = fopen(path, "rb"))) {
            snprintf(err, cap, "cannot open");
            return -1;
        }
        r = read_ppm(f, im, err, cap);
        fclose(f);
        return r;
    }
    if (!(f = fopen(path, "rb"))) {
        snprintf(err, cap, "cannot open");
        return -1;
    }
    fclose(f);
    /* The path goes to the shell single-quoted; a quote in it is refused. */
    if (strchr(path, '\'')) {
        snprintf(err, cap, "a path with a single quote cannot be passed to ffmpeg");
        return -1;
    }
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "ffmpeg -loglevel error -i '%s' -frames:v 1 -f image2pipe -c:v ppm -",
             path);
    if (!(f = popen(cmd, "r"))) {
        snprintf(err, cap, "cannot run ffmpeg");
        return -1;
    }
    r = read_ppm(f, im, err, cap);
    if (pclose(f) != 0 && !r) {
        free(im->rgb);
        im->rgb = NULL;
        r = -1;
    }
    if (r)
        snprintf(err, cap, "ffmpeg could not decode it (is ffmpeg installed? PPM is read "
                 "without it)");
    return r;
}

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: lookout detect IMAGE [--model MODEL] [options]\n"
            "  IMAGE             a PPM (P6), or any image ffmpeg decodes (JPEG, PNG, ...)\n"
            "  --model PATH      .onnx, or a darknet .cfg with its .weights beside it\n"
            "                    (default: the built-in model, " LK_MODEL_INSTALLED "\n"
            "                    or " LK_MODEL_SOURCE ")\n"
            "  --json            one JSON object instead of text\n"
            "  --score T         score threshold (default 0.25)\n"
            "  --iou T           NMS IoU threshold (default 0.45)\n"
            "  --max N           maximum detections (default 100)\n"
            "  --classes A,B,..  keep only these class ids\n"
            "  --agnostic        NMS across classes\n"
            "  --labels FILE     class names, one per line\n"
            "  --family NAME     yolox | ultralytics | fastestdet | darknet | yolov1\n"
            "  --sidecar FILE    settings file (default: MODEL with .lookout)\n"
            "  --device SEL      device index or name substring\n"
            "  --fp16            fp16 storage\n"
            "  --profile         per-node device times after the detections\n");
}

/* A JSON string literal (labels and paths may hold quotes). */
static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            printf("\\u%04x", *s);
        else
            putchar(*s);
    }
    putchar('"');
}

int cmd_detect(int argc, char **argv)
{
    lk_detector_opts o;
    const char *image_path = NULL, *model = NULL;
    int json = 0, classes[MAX_CLASSES], n_classes = 0;
    lk_detector *d = NULL;
    lk_detections r;
    lk_msg msg = {{0}};
    image im = {0, 0, NULL};
    char err[256];
    int rc = 1;

    lk_detector_opts_init(&o);
    o.in_flight = 1;
    memset(&r, 0, sizeof r);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--json")) {
            json = 1, takes = 0;
        } else if (!strcmp(a, "--fp16")) {
            o.precision = LK_FP16, takes = 0;
        } else if (!strcmp(a, "--agnostic")) {
            o.class_agnostic = 1, takes = 0;
        } else if (!strcmp(a, "--profile")) {
            o.profile = 1, takes = 0;
        } else if (a[0] == '-' && a[1] == '-' && !v) {
            fprintf(stderr, "lookout detect: %s needs a value\n", a);
            return 2;
        } else if (!strcmp(a, "--model")) {
            model = v;
        } else if (!strcmp(a, "--score")) {
            o.score_threshold = strtof(v, NULL);
        } else if (!strcmp(a, "--iou")) {
            o.iou_threshold = strtof(v, NULL);
        } else if (!strcmp(a, "--max")) {
            o.max_detections = atoi(v);
        } else if (!strcmp(a, "--labels")) {
            o.labels = v;
        } else if (!strcmp(a, "--sidecar")) {
            o.sidecar = v;
        } else if (!strcmp(a, "--device")) {
            o.device = v;
        } else if (!strcmp(a, "--family")) {
            int f = 1;
            while (f < LK_FAMILY_COUNT && strcmp(v, lk_family_name((lk_family)f)))
                f++;
            if (f == LK_FAMILY_COUNT) {
                fprintf(stderr, "lookout detect: family \"%s\" unknown (yolox, ultralytics, "
                        "fastestdet, darknet, yolov1)\n", v);
                return 2;
            }
            o.family = (lk_family)f;
        } else if (!strcmp(a, "--classes")) {
            for (const char *p = v; *p && n_classes < MAX_CLASSES;) {
                char *end;
                long c = strtol(p, &end, 10);
                if (end == p || c < 0 || c > 65535 || (*end && *end != ',')) {
                    fprintf(stderr, "lookout detect: --classes wants ids like 2,7\n");
                    return 2;
                }
                classes[n_classes++] = (int)c;
                p = *end ? end + 1 : end;
            }
        } else if (a[0] == '-') {
            fprintf(stderr, "lookout detect: unknown option %s\n", a);
            usage(stderr);
            return 2;
        } else {
            image_path = a, takes = 0;
        }
        i += takes;
    }
    if (!image_path) {
        usage(stderr);
        return 2;
    }
    if (!model) {
        static const char *const builtin[] = {LK_MODEL_INSTALLED, LK_MODEL_SOURCE};
        for (int i = 0; i < 2 && !model; i++) {
            FILE *f = fopen(builtin[i], "rb");
            if (f) {
                fclose(f);
                model = builtin[i];
            }
        }
        if (!model) {
            fprintf(stderr, "lookout detect: no --model given and the built-in model is not "
                    "installed (looked for %s and %s)\n", LK_MODEL_INSTALLED, LK_MODEL_SOURCE);
            return 1;
        }
    }
    o.classes = n_classes ? classes : NULL;
    o.n_classes = n_classes;
    if (load_image(image_path, &im, err, sizeof err)) {
        fprintf(stderr, "lookout detect: %s: %s\n", image_path, err);
        return 1;
    }
    if (lk_detector_new(model, &o, &d, &msg)) {
        fprintf(stderr, "lookout detect: %s\n", msg.text);
        goto done;
    }
    lk_frame f;
    memset(&f, 0, sizeof f);
    f.format = LK_PIXEL_RGB;
    f.width = im.w;
    f.height = im.h;
    f.planes[0] = im.rgb;
    f.strides[0] = (size_t)im.w * 3;
    double t0 = cli_now_ms();
    if (lk_detector_run(d, &f, &r, &msg)) {
        fprintf(stderr, "lookout detect: %s\n", msg.text);
        goto done;
    }
    double ms = cli_now_ms() - t0;
    lk_detector_info info;
    lk_detector_get_info(d, &info);
    if (json) {
        printf("{\"image\": ");
        json_str(image_path);
        printf(", \"width\": %d, \"height\": %d, \"model\": ", im.w, im.h);
        json_str(model);
        printf(", \"family\": \"%s\", \"device\": ", lk_family_name(info.family));
        json_str(info.device);
        printf(", \"candidates\": %d, \"detections\": [", r.candidates);
        for (int i = 0; i < r.count; i++) {
            const lk_detection *x = &r.items[i];
            printf("%s{\"class_id\": %d, \"label\": ", i ? ", " : "", x->class_id);
            json_str(x->label);
            printf(", \"score\": %.4f, \"box\": [%.1f, %.1f, %.1f, %.1f]}", x->score, x->x1, x->y1,
                   x->x2, x->y2);
        }
        printf("]}\n");
    } else {
        printf("%s: %dx%d, %s %dx%d on %s, %d candidates, %d detections (%.1f ms, first frame "
               "includes building the net)\n", image_path, im.w, im.h, lk_family_name(info.family),
               info.input_w, info.input_h, info.device, r.candidates, r.count, ms);
        for (int i = 0; i < r.count; i++) {
            const lk_detection *x = &r.items[i];
            printf("  %-16s %2d  %.3f  [%.0f, %.0f, %.0f, %.0f]\n", x->label, x->class_id, x->score,
                   x->x1, x->y1, x->x2, x->y2);
        }
    }
    if (o.profile)
        lk_detector_profile_print(d, stdout);
    rc = 0;

done:
    lk_detections_clear(&r);
    lk_detector_free(d);
    free(im.rgb);
    return rc;
}
