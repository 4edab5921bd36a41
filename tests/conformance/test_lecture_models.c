/* The lecture's architectures (LeNet-5 … EfficientNet-B0, a small ViT)
 * against PyTorch: tools/reference/export_lecture_models.py exports each
 * with seeded random weights plus an input and PyTorch's output; each is
 * loaded with lk_onnx_load, run on the Vulkan device and compared at
 * normalised error ≤ 1e-3. One cmocka test per model, then a table
 * (model, parameters, FLOPs, error, milliseconds per run).
 *
 * LOOKOUT_LECTURE_MODELS names the directory (set by meson) holding the
 * script's index, lecture-models.txt, and the models in lecture-models/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conformance.h"
#include "lookout/onnx.h"

#define MAX_MODELS 32
#define TIMED_RUNS 3

typedef struct model {
    char name[64], label[96], dir[1024];
    int ran;
    int64_t params;
    double flops, err, ms;
    char status[160];
} model;

static model models[MAX_MODELS];
static int n_models;

/* "input 1 3 64 64" / "output 1 1000" from shapes.txt. */
static int read_shape(const char *dir, const char *key, lk_shape *s)
{
    char path[1100], line[256];
    snprintf(path, sizeof path, "%s/shapes.txt", dir);
    FILE *f = fopen(path, "r");
    int found = 0;
    if (!f)
        return 0;
    while (!found && fgets(line, sizeof line, f)) {
        char *tok = strtok(line, " \n");
        if (!tok || strcmp(tok, key))
            continue;
        s->rank = 0;
        while ((tok = strtok(NULL, " \n")) && s->rank < LK_MAX_DIMS)
            s->d[s->rank++] = strtoll(tok, NULL, 10);
        found = 1;
    }
    fclose(f);
    return found;
}

static float *read_floats(const char *dir, const char *file, size_t n)
{
    char path[1100];
    size_t size = 0;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    float *x = lkc_read_file(path, &size);
    if (x && size != n * sizeof(float)) {
        free(x);
        x = NULL;
    }
    if (!x)
        fail_msg("%s: missing or not %zu floats", path, n);
    return x;
}

static void test_model(void **state)
{
    model *m = *state;
    lk_context *ctx = lkt_context();
    lk_onnx_opts o;
    lk_onnx_info info;
    lk_graph *g = NULL;
    lk_net *net = NULL;
    lk_net_opts no;
    lk_msg msg = {{0}};
    lk_shape xs, ys;
    char path[1100], a[96], b[96], c[96], d[96];

    snprintf(m->status, sizeof m->status, "not run");
    if (!read_shape(m->dir, "input", &xs) || !read_shape(m->dir, "output", &ys))
        fail_msg("%s: no shapes.txt", m->dir);
    snprintf(path, sizeof path, "%s/model.onnx", m->dir);
    lk_onnx_opts_init(&o);
    lk_status st = lk_onnx_load(path, &o, &g, &info, &msg);
    if (st) {
        snprintf(m->status, sizeof m->status, "load: %s", lk_status_str(st));
        fail_msg("%s: load: %s: %s", m->name, lk_status_str(st), msg.text);
    }
    m->params = info.parameters;
    m->flops = lk_graph_flops(g);
    lk_net_opts_init(&no);
    no.poison = 1;
    st = lk_net_new(ctx, g, &no, &net, &msg);
    lk_graph_free(g);
    if (st) {
        snprintf(m->status, sizeof m->status, "compile: %s", lk_status_str(st));
        fail_msg("%s: compile: %s: %s", m->name, lk_status_str(st), msg.text);
    }
    lk_shape nx = lk_net_input_shape(net, 0), ny = lk_net_output_shape(net, 0);
    if (lk_net_n_inputs(net) != 1 || lk_net_n_outputs(net) != 1 ||
        lk_shape_numel(&nx) != lk_shape_numel(&xs) || lk_shape_numel(&ny) != lk_shape_numel(&ys)) {
        snprintf(m->status, sizeof m->status, "interface");
        lk_net_free(net);
        fail_msg("%s: net has %d inputs %s, %d outputs %s; PyTorch %s -> %s", m->name,
                 lk_net_n_inputs(net), lk_shape_str(&nx, a, sizeof a), lk_net_n_outputs(net),
                 lk_shape_str(&ny, b, sizeof b), lk_shape_str(&xs, c, sizeof c),
                 lk_shape_str(&ys, d, sizeof d));
    }
    size_t n_out = (size_t)lk_shape_numel(&ys);
    float *x = read_floats(m->dir, "input.bin", (size_t)lk_shape_numel(&xs));
    float *expect = read_floats(m->dir, "output.bin", n_out);
    float *y = malloc(n_out * sizeof *y);
    assert_non_null(y);
    const float *in[1] = {x};
    m->ms = 1e30;
    for (int r = 0; r <= TIMED_RUNS && st == LK_OK; r++) {  /* run 0 warms up */
        double t0 = lkc_now_ms();
        st = lk_net_run(net, in, &y, &msg);
        double t = lkc_now_ms() - t0;
        if (r > 0 && t < m->ms)
            m->ms = t;
    }
    lk_net_free(net);
    if (st == LK_OK) {
        m->err = lkt_error(y, expect, n_out);
        m->ran = 1;
        snprintf(m->status, sizeof m->status, m->err <= LKC_TOL_MODEL ? "ok" : "MISMATCH");
    } else {
        snprintf(m->status, sizeof m->status, "run: %s", lk_status_str(st));
    }
    free(x);
    free(y);
    free(expect);
    if (st)
        fail_msg("%s: run: %s", m->name, msg.text);
    if (!(m->err <= LKC_TOL_MODEL))
        fail_msg("%s: normalised error %.3g > %.0e", m->name, m->err, LKC_TOL_MODEL);
}

static int print_table(void **state)
{
    (void)state;
    printf("\n%-34s %10s %9s %10s %10s  %s\n", "model (vs PyTorch)", "params", "GFLOPs", "error",
           "ms/run", "status");
    for (int i = 0; i < n_models; i++) {
        const model *m = &models[i];
        if (m->ran)
            printf("%-34s %10lld %9.3f %10.2e %10.1f  %s\n", m->label, (long long)m->params,
                   m->flops / 1e9, m->err, m->ms, m->status);
        else
            printf("%-34s %10s %9s %10s %10s  %s\n", m->label, "-", "-", "-", "-", m->status);
    }
    return 0;
}

static void test_no_models(void **state)
{
    (void)state;
    const char *dir = lkc_require_dir("LOOKOUT_LECTURE_MODELS", "the exported lecture models");
    fail_msg("%s/lecture-models.txt lists no model (did export_lecture_models.py run?)", dir);
}

int main(void)
{
    const char *dir = getenv("LOOKOUT_LECTURE_MODELS");
    struct CMUnitTest tests[MAX_MODELS];
    char line[256], index[1100];
    snprintf(index, sizeof index, "%s/lecture-models.txt", dir ? dir : ".");
    FILE *f = dir ? fopen(index, "r") : NULL;
    if (f) {
        while (n_models < MAX_MODELS && fgets(line, sizeof line, f)) {
            model *m = &models[n_models];
            char *label = strchr(line, ' ');
            line[strcspn(line, "\n")] = 0;
            if (!label || label == line)
                continue;
            *label++ = 0;
            snprintf(m->name, sizeof m->name, "%s", line);
            snprintf(m->label, sizeof m->label, "%s", label);
            snprintf(m->dir, sizeof m->dir, "%s/lecture-models/%s", dir, line);
            tests[n_models] = (struct CMUnitTest)cmocka_unit_test_prestate(test_model, m);
            tests[n_models].name = m->name;
            n_models++;
        }
        fclose(f);
    }
    if (!n_models) {
        tests[0] = (struct CMUnitTest)cmocka_unit_test(test_no_models);
        return _cmocka_run_group_tests("lecture_models", tests, 1, NULL, NULL);
    }
    return _cmocka_run_group_tests("lecture_models", tests, (size_t)n_models, NULL, print_table);
}
