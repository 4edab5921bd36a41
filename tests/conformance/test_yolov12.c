/* YOLOv12-N (tools/yolov12/yolov12.py, seeded random weights) against
 * PyTorch at 640x640 and 384x640: tools/reference/yolov12_reference.py
 * exports the model with an input and PyTorch's raw output [1, 84, N].
 * Each size is loaded twice, with the area attention fused into
 * area_attention nodes and unfused (lk_onnx_opts.no_fuse_attention: the
 * exported MatMul/Softmax chain), run on the Vulkan device, and compared:
 *   - the fused graph has the architecture's attention blocks (4 at P4
 *     with 4 areas and 2 heads, 4 at P5 with 1 area and 4 heads, head dim
 *     32) and no MatMul, and only the DFL's Softmax is left;
 *   - box rows and score rows each at normalised error <= 1e-3;
 *   - the final detections (score threshold, greedy per-class NMS, both
 *     implemented here) on PyTorch's and Lookout's outputs are the same
 *     boxes: same class, IoU > 0.99. The thresholds come from meta.txt,
 *     chosen by the script clear of every score and pairwise IoU.
 * Two single attention blocks check the pattern itself: aattn_odd (3 heads,
 * 2 areas of 70 tokens on a 10x14 map) fuses into one node; aattn_shared
 * (its softmax feeds two nodes) must stay unfused; both match
 * PyTorch either way.
 *
 * LOOKOUT_YOLOV12 names the directory (set by meson) holding the script's
 * stamp, yolov12.txt, and the exports in yolov12/. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conformance.h"
#include "graph.h"
#include "lookout/onnx.h"

#define BOX_ROWS 4
#define MAX_DETS 4096

typedef struct config {
    char name[64], dir[1024];
    int fused;
} config;

#define MAX_CONFIGS 16

static config configs[MAX_CONFIGS];
static int n_configs;

typedef struct det {
    float x1, y1, x2, y2, score;
    int cls;
} det;

typedef struct meta {
    lk_shape in, out;
    int attention;           /* area_attention nodes of the fused load */
    int detector;            /* has score and iou thresholds */
    double score, iou;
} meta;

static int read_meta(const char *dir, meta *m)
{
    char path[1100], line[256];
    int got = 0, thresholds = 0;
    memset(m, 0, sizeof *m);
    snprintf(path, sizeof path, "%s/meta.txt", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f)) {
        char *tok = strtok(line, " \n");
        lk_shape *s = !tok ? NULL : !strcmp(tok, "input") ? &m->in : !strcmp(tok, "output") ? &m->out : NULL;
        if (s) {
            s->rank = 0;
            while ((tok = strtok(NULL, " \n")) && s->rank < LK_MAX_DIMS)
                s->d[s->rank++] = strtoll(tok, NULL, 10);
            got++;
        } else if (tok && !strcmp(tok, "attention") && (tok = strtok(NULL, " \n"))) {
            m->attention = atoi(tok);
            got++;
        } else if (tok && !strcmp(tok, "score") && (tok = strtok(NULL, " \n"))) {
            m->score = strtod(tok, NULL);
            thresholds++;
        } else if (tok && !strcmp(tok, "iou") && (tok = strtok(NULL, " \n"))) {
            m->iou = strtod(tok, NULL);
            thresholds++;
        }
    }
    fclose(f);
    m->detector = thresholds == 2;
    return got == 3 && (thresholds == 0 || m->detector) && (!m->detector || m->out.rank == 3);
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

static double iou(const det *a, const det *b)
{
    double iw = fmin(a->x2, b->x2) - fmax(a->x1, b->x1);
    double ih = fmin(a->y2, b->y2) - fmax(a->y1, b->y1);
    if (iw <= 0 || ih <= 0)
        return 0.0;
    double inter = iw * ih;
    double area_a = (a->x2 - a->x1) * (a->y2 - a->y1), area_b = (b->x2 - b->x1) * (b->y2 - b->y1);
    return inter / (area_a + area_b - inter);
}

static int by_score(const void *pa, const void *pb)
{
    const det *a = pa, *b = pb;
    return a->score < b->score ? 1 : a->score > b->score ? -1 : 0;
}

/* [4 + C, N] (cx, cy, w, h, class scores) → kept boxes by score. */
static int detect(const float *y, int64_t classes, int64_t n, double score_thr, double iou_thr,
                  det *out)
{
    int cand = 0, kept = 0;
    det *c = malloc(MAX_DETS * sizeof *c);
    assert_non_null(c);
    for (int64_t i = 0; i < n; i++) {
        int best = 0;
        for (int64_t k = 1; k < classes; k++)
            if (y[(BOX_ROWS + k) * n + i] > y[(BOX_ROWS + best) * n + i])
                best = (int)k;
        float s = y[(BOX_ROWS + best) * n + i];
        if (s <= score_thr)
            continue;
        if (cand == MAX_DETS)
            fail_msg("more than %d candidates above score %g", MAX_DETS, score_thr);
        float cx = y[i], cy = y[n + i], w = y[2 * n + i], h = y[3 * n + i];
        c[cand++] = (det){cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, s, best};
    }
    qsort(c, (size_t)cand, sizeof *c, by_score);
    for (int i = 0; i < cand; i++) {
        int keep = 1;
        for (int j = 0; j < kept && keep; j++)
            keep = out[j].cls != c[i].cls || iou(&out[j], &c[i]) <= iou_thr;
        if (keep)
            out[kept++] = c[i];
    }
    free(c);
    return kept;
}

/* Max |got − exp| / max |exp| over rows [r0, r1) of [rows, n]. */
static double rows_error(const float *got, const float *exp, int64_t r0, int64_t r1, int64_t n)
{
    return lkt_error(got + r0 * n, exp + r0 * n, (size_t)((r1 - r0) * n));
}

/* The detector: 4 P4 nodes (4 areas, 2 heads), 4 P5 (1 area, 4 heads),
 * no MatMul, only the DFL's Softmax. A block: the node count of meta.txt. */
static void check_attention_nodes(const config *c, const meta *m, const lk_graph *g,
                                  const lk_onnx_info *info)
{
    int p4 = 0, p5 = 0, total = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const lk_node *n = &g->nodes[i];
        if (n->op != LK_OP_AREA_ATTENTION)
            continue;
        const lk_area_attention_params *p = &n->p.area_attention;
        assert_int_equal(p->head_dim, 32);
        assert_true(fabsf(p->scale - 1.0f / sqrtf(32.0f)) < 1e-6f);
        total++;
        if (p->areas == 4 && p->heads == 2)
            p4++;
        else if (p->areas == 1 && p->heads == 4)
            p5++;
        else if (m->detector)
            fail_msg("%s: area_attention node '%s' with %d areas, %d heads", c->name, n->name,
                     p->areas, p->heads);
    }
    int want = c->fused ? m->attention : 0;
    if (total != want)
        fail_msg("%s: %d area_attention nodes, want %d", c->name, total, want);
    if (!m->detector)
        return;
    if (c->fused) {
        if (p4 != 4 || p5 != 4 || info->lk_op_count[LK_OP_SOFTMAX] != 1 ||
            info->lk_op_count[LK_OP_MATMUL] != 0)
            fail_msg("%s: %d P4 and %d P5 attention nodes (want 4 and 4), %d softmax (want the "
                     "DFL's 1), %d matmul", c->name, p4, p5, info->lk_op_count[LK_OP_SOFTMAX],
                     info->lk_op_count[LK_OP_MATMUL]);
    } else if (info->lk_op_count[LK_OP_SOFTMAX] != 9 || info->lk_op_count[LK_OP_MATMUL] != 16) {
        fail_msg("%s: unfused graph has %d softmax, %d matmul (want 9, 16)", c->name,
                 info->lk_op_count[LK_OP_SOFTMAX], info->lk_op_count[LK_OP_MATMUL]);
    }
}

static void test_config(void **state)
{
    const config *c = *state;
    lk_context *ctx = lkt_context();
    lk_onnx_opts o;
    lk_onnx_info info;
    lk_graph *g = NULL;
    lk_net *net = NULL;
    lk_net_opts no;
    lk_msg msg = {{0}};
    meta m;
    char path[1100], a[96], b[96];
    static det want[MAX_DETS], got[MAX_DETS];

    if (!read_meta(c->dir, &m))
        fail_msg("%s: no usable meta.txt", c->dir);
    snprintf(path, sizeof path, "%s/model.onnx", c->dir);
    lk_onnx_opts_init(&o);
    o.no_fuse_attention = !c->fused;
    double t0 = lkc_now_ms();
    lk_status st = lk_onnx_load(path, &o, &g, &info, &msg);
    if (st)
        fail_msg("%s: load: %s: %s", c->name, lk_status_str(st), msg.text);
    check_attention_nodes(c, &m, g, &info);
    lk_net_opts_init(&no);
    no.poison = 1;
    st = lk_net_new(ctx, g, &no, &net, &msg);
    lk_graph_free(g);
    if (st)
        fail_msg("%s: compile: %s: %s", c->name, lk_status_str(st), msg.text);
    lk_shape nx = lk_net_input_shape(net, 0), ny = lk_net_output_shape(net, 0);
    if (!lk_shape_eq(&nx, &m.in) || !lk_shape_eq(&ny, &m.out)) {
        lk_net_free(net);
        fail_msg("%s: net %s -> %s, PyTorch %s -> %s", c->name, lk_shape_str(&nx, a, sizeof a),
                 lk_shape_str(&ny, b, sizeof b), lk_shape_str(&m.in, path, 96),
                 lk_shape_str(&m.out, path + 96, 96));
    }
    double t1 = lkc_now_ms();
    size_t n_out = (size_t)lk_shape_numel(&m.out);
    float *x = read_floats(c->dir, "input.bin", (size_t)lk_shape_numel(&m.in));
    float *expect = read_floats(c->dir, "output.bin", n_out);
    float *y = malloc(n_out * sizeof *y);
    assert_non_null(y);
    const float *in[1] = {x};
    st = lk_net_run(net, in, &y, &msg);
    double t2 = lkc_now_ms();
    lk_net_free(net);
    if (st)
        fail_msg("%s: run: %s", c->name, msg.text);
    if (!m.detector) {
        double err = lkt_error(y, expect, n_out);
        printf("%-22s error %.2e; load+compile %.0f ms, run %.0f ms\n", c->name, err, t1 - t0,
               t2 - t1);
        free(x);
        free(y);
        free(expect);
        if (!(err <= LKC_TOL_MODEL))
            fail_msg("%s: normalised error %.3g > %.0e", c->name, err, LKC_TOL_MODEL);
        return;
    }

    int64_t rows = m.out.d[1], n = m.out.d[2];
    double box_err = rows_error(y, expect, 0, BOX_ROWS, n);
    double score_err = rows_error(y, expect, BOX_ROWS, rows, n);
    int n_want = detect(expect, rows - BOX_ROWS, n, m.score, m.iou, want);
    int n_got = detect(y, rows - BOX_ROWS, n, m.score, m.iou, got);
    printf("%-22s boxes error %.2e, scores error %.2e, %d detections (PyTorch %d); "
           "load+compile %.0f ms, run %.0f ms\n", c->name, box_err, score_err, n_got, n_want,
           t1 - t0, t2 - t1);
    free(x);
    free(y);
    free(expect);
    if (!(box_err <= LKC_TOL_MODEL) || !(score_err <= LKC_TOL_MODEL))
        fail_msg("%s: normalised error boxes %.3g, scores %.3g > %.0e", c->name, box_err,
                 score_err, LKC_TOL_MODEL);
    if (n_want < 5)
        fail_msg("%s: only %d reference detections: the check would prove little", c->name, n_want);
    if (n_got != n_want)
        fail_msg("%s: %d detections, PyTorch's output gives %d", c->name, n_got, n_want);
    for (int i = 0; i < n_want; i++)
        if (got[i].cls != want[i].cls || !(iou(&got[i], &want[i]) > 0.99))
            fail_msg("%s: detection %d: class %d (%.1f %.1f %.1f %.1f), PyTorch class %d "
                     "(%.1f %.1f %.1f %.1f)", c->name, i, got[i].cls, got[i].x1, got[i].y1,
                     got[i].x2, got[i].y2, want[i].cls, want[i].x1, want[i].y1, want[i].x2,
                     want[i].y2);
}

static void test_no_reference(void **state)
{
    (void)state;
    const char *dir = lkc_require_dir("LOOKOUT_YOLOV12", "the YOLOv12 reference exports");
    fail_msg("%s/yolov12.txt lists no export (did yolov12_reference.py run?)", dir);
}

int main(void)
{
    const char *dir = getenv("LOOKOUT_YOLOV12");
    struct CMUnitTest tests[MAX_CONFIGS];
    char line[256], stamp[1100];
    snprintf(stamp, sizeof stamp, "%s/yolov12.txt", dir ? dir : ".");
    FILE *f = dir ? fopen(stamp, "r") : NULL;
    while (f && n_configs + 2 <= MAX_CONFIGS && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (!*line)
            continue;
        for (int fused = 1; fused >= 0; fused--) {
            config *c = &configs[n_configs];
            snprintf(c->name, sizeof c->name, "%.40s %s", line, fused ? "fused" : "unfused");
            snprintf(c->dir, sizeof c->dir, "%s/yolov12/%s", dir, line);
            c->fused = fused;
            tests[n_configs] = (struct CMUnitTest)cmocka_unit_test_prestate(test_config, c);
            tests[n_configs].name = c->name;
            n_configs++;
        }
    }
    if (f)
        fclose(f);
    if (!n_configs) {
        tests[0] = (struct CMUnitTest)cmocka_unit_test(test_no_reference);
        return _cmocka_run_group_tests("yolov12", tests, 1, NULL, NULL);
    }
    return _cmocka_run_group_tests("yolov12", tests, (size_t)n_configs, NULL, NULL);
}
