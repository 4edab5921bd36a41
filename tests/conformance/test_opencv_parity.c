/* Real pretrained detectors against OpenCV's DNN module: for every road
 * image of the shared footage, tools/reference/opencv_raw_outputs.py stored
 * the preprocessed input tensor and OpenCV's raw output; the same tensors
 * go through Lookout (loaded with lk_onnx_load, compiled once, run per
 * image on the Vulkan device) and each raw output must match at normalised
 * error ≤ 1e-3. Prints images checked, the worst error and timings.
 *
 * LOOKOUT_SHARED names the shared directory (the models), LOOKOUT_OPENCV_RAW
 * the script's output directory; both are set by meson. Without the shared
 * directory the suite is skipped, or fails under CI=true.
 * LOOKOUT_PARITY_IMAGES=N checks only the first N images (a local shortcut;
 * the count is printed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conformance.h"
#include "lookout/onnx.h"

typedef struct raw_index {
    char model[256];
    lk_shape in, out;
    float div;
    int n_images;
    char **images;
} raw_index;

static void index_free(raw_index *ix)
{
    for (int i = 0; i < ix->n_images; i++)
        free(ix->images[i]);
    free(ix->images);
}

static void parse_dims(char *rest, lk_shape *s)
{
    char *tok;
    s->rank = 0;
    while ((tok = strtok(rest, " ")) && s->rank < LK_MAX_DIMS) {
        s->d[s->rank++] = strtoll(tok, NULL, 10);
        rest = NULL;
    }
}

/* Reads <raw>/<name>.txt (format: tools/reference/opencv_raw_outputs.py). */
static void index_read(const char *raw, const char *name, raw_index *ix)
{
    char path[1100], line[1024];
    memset(ix, 0, sizeof *ix);
    snprintf(path, sizeof path, "%s/%s.txt", raw, name);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("%s missing (opencv_raw_outputs.py did not run?)", path);
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        char *sp = strchr(line, ' ');
        if (!sp)
            continue;
        *sp++ = 0;
        if (!strcmp(line, "model")) {
            snprintf(ix->model, sizeof ix->model, "%s", sp);
        } else if (!strcmp(line, "input")) {
            parse_dims(sp, &ix->in);
        } else if (!strcmp(line, "output")) {
            parse_dims(sp, &ix->out);
        } else if (!strcmp(line, "div")) {
            ix->div = strtof(sp, NULL);
        } else if (!strcmp(line, "images")) {
            int n = atoi(sp);
            ix->images = calloc((size_t)n + 1, sizeof *ix->images);
            assert_non_null(ix->images);
            while (ix->n_images < n && fgets(line, sizeof line, f)) {
                line[strcspn(line, "\n")] = 0;
                ix->images[ix->n_images++] = strdup(line);
            }
            if (ix->n_images != n)
                fail_msg("%s: %d of %d image names", path, ix->n_images, n);
        }
    }
    fclose(f);
    if (!ix->model[0] || !ix->in.rank || !ix->out.rank || !(ix->div > 0) || !ix->n_images)
        fail_msg("%s: incomplete index", path);
}

static FILE *open_data(const char *raw, const char *name, const char *ext, size_t expect)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/%s.%s", raw, name, ext);
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("%s missing", path);
    if (fseek(f, 0, SEEK_END) || (size_t)ftell(f) != expect)
        fail_msg("%s: %ld bytes, expected %zu", path, ftell(f), expect);
    rewind(f);
    return f;
}

static void check_model(const char *name)
{
    const char *shared = lkc_require_dir("LOOKOUT_SHARED", "the shared assets directory");
    const char *raw = lkc_require_dir("LOOKOUT_OPENCV_RAW", "OpenCV's reference outputs "
                                      "(tools/reference/opencv_raw_outputs.py, python3-opencv)");
    const char *limit = getenv("LOOKOUT_PARITY_IMAGES");
    lk_context *ctx = lkt_context();
    raw_index ix;
    char path[1400], a[96];
    lk_onnx_opts o;
    lk_graph *g = NULL;
    lk_net *net = NULL;
    lk_net_opts no;
    lk_msg msg = {{0}};

    index_read(raw, name, &ix);
    size_t n_in = (size_t)lk_shape_numel(&ix.in), n_out = (size_t)lk_shape_numel(&ix.out);
    int n = ix.n_images;
    if (limit && atoi(limit) > 0 && atoi(limit) < n)
        n = atoi(limit);

    snprintf(path, sizeof path, "%s/assets/models/%s", shared, ix.model);
    double t0 = lkc_now_ms();
    lk_onnx_opts_init(&o);
    if (lk_onnx_load(path, &o, &g, NULL, &msg))
        fail_msg("%s: load: %s", path, msg.text);
    lk_net_opts_init(&no);
    lk_status st = lk_net_new(ctx, g, &no, &net, &msg);
    lk_graph_free(g);
    if (st)
        fail_msg("%s: compile: %s", name, msg.text);
    lk_shape ni = lk_net_input_shape(net, 0), nout = lk_net_output_shape(net, 0);
    if (lk_shape_numel(&ni) != (int64_t)n_in || lk_shape_numel(&nout) != (int64_t)n_out)
        fail_msg("%s: net output %s, OpenCV's has %zu values", name,
                 lk_shape_str(&nout, a, sizeof a), n_out);
    double t_compile = lkc_now_ms() - t0;

    FILE *fin = open_data(raw, name, "u8", n_in * (size_t)ix.n_images);
    FILE *fout = open_data(raw, name, "f32", n_out * sizeof(float) * (size_t)ix.n_images);
    uint8_t *u8 = malloc(n_in);
    float *x = malloc(n_in * sizeof *x), *y = malloc(n_out * sizeof *y),
          *expect = malloc(n_out * sizeof *expect);
    double *errs = malloc((size_t)n * sizeof *errs);
    assert_true(u8 && x && y && expect && errs);

    /* Image i+1 is read and converted while image i runs on the device. */
    double t_run = 0.0, worst = 0.0, sum = 0.0;
    int worst_i = 0, n_bad = 0;
    const float *in[1] = {x};
    t0 = lkc_now_ms();
    for (int i = 0; i <= n; i++) {
        if (i > 0) {
            st = lk_net_wait(net, UINT64_MAX, &y, &msg);
            if (st)
                fail_msg("%s: %s: run: %s", name, ix.images[i - 1], msg.text);
            t_run = lkc_now_ms() - t0;
            if (fread(expect, sizeof *expect, n_out, fout) != n_out)
                fail_msg("%s: short read", name);
            double e = lkt_error(y, expect, n_out);
            errs[i - 1] = e;
            sum += e;
            if (!(e <= worst)) {
                worst = e;
                worst_i = i - 1;
            }
            n_bad += !(e <= LKC_TOL_MODEL);
        }
        if (i < n) {
            if (fread(u8, 1, n_in, fin) != n_in)
                fail_msg("%s: short read", name);
            for (size_t k = 0; k < n_in; k++)
                x[k] = (float)u8[k] / ix.div;  /* as the script: fp32 u8 / div */
            if ((st = lk_net_submit(net, in, &msg)))
                fail_msg("%s: %s: submit: %s", name, ix.images[i], msg.text);
        }
    }
    printf("%s vs OpenCV %s: %d of %d images checked%s, worst normalised error %.3g (%s), "
           "mean %.3g; compile %.0f ms, %.0f ms for all images (%.1f ms/image)\n",
           name, lk_context_device(ctx)->name, n, ix.n_images,
           n < ix.n_images ? " (LOOKOUT_PARITY_IMAGES)" : "", worst, ix.images[worst_i],
           sum / n, t_compile, t_run, t_run / n);
    for (int i = 0, shown = 0; i < n && shown < 10; i++)
        if (!(errs[i] <= LKC_TOL_MODEL)) {
            printf("  over tolerance: %s: %.3g\n", ix.images[i], errs[i]);
            shown++;
        }
    fclose(fin);
    fclose(fout);
    free(u8);
    free(x);
    free(y);
    free(expect);
    free(errs);
    lk_net_free(net);
    index_free(&ix);
    if (n_bad)
        fail_msg("%s: %d image(s) over normalised error %.0e", name, n_bad, LKC_TOL_MODEL);
}

static void test_yolox_nano(void **state)
{
    (void)state;
    check_model("yolox_nano");
}

static void test_fastestdet(void **state)
{
    (void)state;
    check_model("fastestdet");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_yolox_nano),
        cmocka_unit_test(test_fastestdet),
    };
    return cmocka_run_group_tests_name("opencv_parity", tests, NULL, NULL);
}
