/* nms: the ONNX backend NonMaxSuppression cases (libonnx-testdata), and
 * random boxes full of score ties, identical, zero-area and flipped boxes,
 * class-aware and agnostic, 1 to 6000 candidates, top-k below the
 * candidate count and max_det below the survivors. The GPU output must be
 * identical (same boxes, same order, same bits) to the op's C reference
 * and to this file's own brute force: repeatedly take the best remaining
 * candidate, drop everything it suppresses. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"
#include "lookout/onnx.h"

typedef struct nms_run {
    float *out;        /* [1 + max_det, 6] */
    int max_det;
} nms_run;

/* raw candidates [6N] → reshape [N, 6] → nms; params are 16 raw bytes. */
static lk_graph *nms_graph(const lk_nms_params *p, int64_t n)
{
    lk_graph *g = NULL;
    lk_msg msg = {{0}};
    lk_tensor raw, in[2], out;
    lk_params rp, np;
    assert_int_equal(lk_graph_new(&g, &msg), LK_OK);
    assert_int_equal(lk_graph_input_raw(g, "candidates", (size_t)n * 24, &raw, &msg), LK_OK);
    assert_int_equal(lk_graph_input_raw(g, "params", 16, &in[1], &msg), LK_OK);
    lk_params_init(LK_OP_RESHAPE, &rp);
    rp.reshape.shape = lk_shape_make(2, (int64_t[]){n, 6});
    assert_int_equal(lk_graph_add(g, LK_OP_RESHAPE, &rp, "rows", &raw, 1, &in[0], 1, &msg), LK_OK);
    np.nms = *p;
    if (lk_graph_add(g, LK_OP_NMS, &np, "nms", in, 2, &out, 1, &msg))
        fail_msg("nms refused: %s", msg.text);
    assert_int_equal(lk_graph_output(g, out, &msg), LK_OK);
    return g;
}

static float *new_out(const lk_nms_params *p)
{
    float *o = malloc((size_t)(1 + p->max_det) * 6 * sizeof(float));
    assert_non_null(o);
    return o;
}

/* ------------------------------------------------------- brute force */

static float lo(float a, float b) { return a < b ? a : b; }
static float hi(float a, float b) { return a > b ? a : b; }

/* lookout.h's rule: intersection > iou_threshold · union, zero-area boxes
 * never take part, corners in either order. */
static int suppress(const float *a, const float *b, float iou, int agnostic)
{
    if (!agnostic && a[5] != b[5])
        return 0;
    float aw = hi(a[0], a[2]) - lo(a[0], a[2]), ah = hi(a[1], a[3]) - lo(a[1], a[3]);
    float bw = hi(b[0], b[2]) - lo(b[0], b[2]), bh = hi(b[1], b[3]) - lo(b[1], b[3]);
    float area_a = aw * ah, area_b = bw * bh;
    if (area_a <= 0.0f || area_b <= 0.0f)
        return 0;
    float iw = lo(hi(a[0], a[2]), hi(b[0], b[2])) - hi(lo(a[0], a[2]), lo(b[0], b[2]));
    float ih = lo(hi(a[1], a[3]), hi(b[1], b[3])) - hi(lo(a[1], a[3]), lo(b[1], b[3]));
    float inter = hi(iw, 0.0f) * hi(ih, 0.0f);
    float uni = area_a + area_b - inter;
    return inter > iou * uni;
}

/* a before b: higher score, then lower row */
static int better(const float *c, int64_t a, int64_t b)
{
    return c[a * 6 + 4] > c[b * 6 + 4] || (c[a * 6 + 4] == c[b * 6 + 4] && a < b);
}

/* Fills out like the op: row 0 {count, above}, kept rows, zeros. Also
 * returns the kept candidate rows in idx (may be NULL). */
static void brute_force(const float *c, int64_t n, const lk_nms_params *p, const float prm[4],
                        float *out, int64_t *idx)
{
    int64_t above = 0, topk = p->pre_nms_topk ? p->pre_nms_topk : LK_NMS_MAX_TOPK, count = 0;
    int64_t maxd = prm[2] >= 1.0f ? (int64_t)prm[2] : 0;
    unsigned char *state = calloc((size_t)n, 1); /* 1 in the top-k, 2 taken or removed */
    assert_non_null(state);
    if (maxd > p->max_det)
        maxd = p->max_det;
    memset(out, 0, (size_t)(1 + p->max_det) * 6 * sizeof(float));
    for (int64_t i = 0; i < n; i++)
        above += c[i * 6 + 4] > prm[0];
    for (int64_t k = 0; k < topk; k++) { /* the top-k, one pick at a time */
        int64_t best = -1;
        for (int64_t i = 0; i < n; i++)
            if (!state[i] && c[i * 6 + 4] > prm[0] && (best < 0 || better(c, i, best)))
                best = i;
        if (best < 0)
            break;
        state[best] = 1;
    }
    while (count < maxd) {
        int64_t best = -1;
        for (int64_t i = 0; i < n; i++)
            if (state[i] == 1 && (best < 0 || better(c, i, best)))
                best = i;
        if (best < 0)
            break;
        state[best] = 2;
        memcpy(out + (1 + count) * 6, c + best * 6, 6 * sizeof(float));
        if (idx)
            idx[count] = best;
        count++;
        for (int64_t i = 0; i < n; i++)
            if (state[i] == 1 && suppress(c + best * 6, c + i * 6, prm[1], p->class_agnostic))
                state[i] = 2;
    }
    out[0] = (float)count;
    out[1] = (float)above;
    free(state);
}

/* ------------------------------------------------------------ running */

static void run_ref(const lk_graph *g, const float *cand, const float prm[4], float *out)
{
    lk_msg msg = {{0}};
    const float *in[2] = {cand, prm};
    if (lk_graph_run_reference(g, in, &out, &msg))
        fail_msg("reference: %s", msg.text);
}

static lk_net *compile(const lk_graph *g, lk_precision prec)
{
    lk_msg msg = {{0}};
    lk_net *net = NULL;
    lk_net_opts o;
    lk_net_opts_init(&o);
    o.precision = prec;
    o.poison = 1;
    if (lk_net_new(lkt_context(), g, &o, &net, &msg))
        fail_msg("lk_net_new: %s", msg.text);
    return net;
}

static void run_net(lk_net *net, const float *cand, const float prm[4], float *out)
{
    lk_msg msg = {{0}};
    const float *in[2] = {cand, prm};
    if (lk_net_run(net, in, &out, &msg))
        fail_msg("lk_net_run: %s", msg.text);
}

static void expect_same(const float *got, const float *want, int max_det, const char *what,
                        const char *side)
{
    for (int64_t i = 0; i < (int64_t)(1 + max_det) * 6; i++)
        if (memcmp(&got[i], &want[i], sizeof(float)))
            fail_msg("%s: %s row %lld column %lld: %.9g, want %.9g (count %g, want %g)", what, side,
                     (long long)(i / 6), (long long)(i % 6), (double)got[i], (double)want[i],
                     (double)got[0], (double)want[0]);
}

/* Brute force, the reference and the device at both precisions (the op
 * is 32-bit throughout, so both must be exact). Several parameter sets
 * run on one compiled net. Returns the last count. */
static int check(const lk_nms_params *p, const float *cand, int64_t n, const float (*prm)[4],
                 int n_prm, const char *what)
{
    lk_graph *g = nms_graph(p, n);
    float *want = new_out(p), *ref = new_out(p), *got = new_out(p);
    lk_net *net[2] = {compile(g, LK_FP32), NULL};
    int count = 0;
    if (lk_context_device(lkt_context())->fp16_storage)
        net[1] = compile(g, LK_FP16);
    for (int k = 0; k < n_prm; k++) {
        char label[200];
        snprintf(label, sizeof label, "%s (score > %g, iou %g, max %g)", what, (double)prm[k][0],
                 (double)prm[k][1], (double)prm[k][2]);
        brute_force(cand, n, p, prm[k], want, NULL);
        run_ref(g, cand, prm[k], ref);
        expect_same(ref, want, p->max_det, label, "reference");
        for (int i = 0; i < 2 && net[i]; i++) {
            run_net(net[i], cand, prm[k], got);
            expect_same(got, want, p->max_det, label, i ? "fp16 net" : "fp32 net");
        }
        count = (int)want[0];
    }
    lk_net_free(net[0]);
    lk_net_free(net[1]);
    free(want);
    free(ref);
    free(got);
    lk_graph_free(g);
    return count;
}

/* ------------------------------------------------------ random boxes */

/* Boxes on a coarse grid (many equal edges), scores from 11 levels (many
 * ties), some exact duplicates of earlier rows, some zero-area boxes, some
 * with flipped corners, classes 0..n_cls-1. */
static float *random_boxes(int64_t n, int n_cls)
{
    float *c = malloc((size_t)n * 6 * sizeof(float) + 1);
    assert_non_null(c);
    for (int64_t i = 0; i < n; i++) {
        float *r = c + i * 6;
        uint32_t kind = lkt_rand() % 16;
        if (kind == 0 && i > 0) {
            memcpy(r, c + (int64_t)(lkt_rand() % (uint32_t)i) * 6, 6 * sizeof(float));
            continue;
        }
        float x = (float)(lkt_rand() % 40) * 8.0f, y = (float)(lkt_rand() % 30) * 8.0f;
        float w = (float)(1 + lkt_rand() % 12) * 8.0f, h = (float)(1 + lkt_rand() % 12) * 8.0f;
        if (kind == 1)
            w = 0.0f;                             /* zero width */
        if (kind == 2)
            h = 0.0f;
        if (kind == 3)
            x += lkt_uniform(0.0f, 1.0f);          /* off-grid edges too */
        r[0] = x;
        r[1] = y;
        r[2] = x + w;
        r[3] = y + h;
        if (kind == 4) {                          /* flipped corners */
            r[0] = x + w;
            r[2] = x;
        }
        r[4] = (float)(lkt_rand() % 11) / 10.0f;
        r[5] = (float)(lkt_rand() % (uint32_t)n_cls);
    }
    return c;
}

static const float prm_set[][4] = {
    {0.25f, 0.45f, 1000.0f, 0.0f},
    {0.0f, 0.5f, 1000.0f, 0.0f},
    {-1.0f, 0.0f, 1000.0f, 0.0f},   /* every box; any overlap suppresses */
    {0.55f, 0.9f, 1000.0f, 0.0f},
    {0.25f, 0.45f, 3.0f, 0.0f},     /* per-frame max below the capacity */
    {0.25f, 0.45f, 0.0f, 0.0f},     /* no detections wanted */
    {2.0f, 0.45f, 100.0f, 0.0f},    /* nothing above the threshold */
};
#define N_PRM (int)(sizeof prm_set / sizeof prm_set[0])

static void test_random(void **state)
{
    (void)state;
    const int64_t sizes[] = {1, 2, 7, 33, 100, 257, 1000, 2500};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
        for (int agnostic = 0; agnostic < 2; agnostic++) {
            int64_t n = sizes[s];
            float *c = random_boxes(n, 4);
            lk_nms_params p = {.max_det = 1000, .pre_nms_topk = 0, .class_agnostic = agnostic};
            char what[96];
            snprintf(what, sizeof what, "N=%lld %s", (long long)n, agnostic ? "agnostic" : "per class");
            check(&p, c, n, prm_set, N_PRM, what);
            free(c);
        }
}

static void test_topk_and_max_det(void **state)
{
    (void)state;
    int64_t n = 3000;
    float *c = random_boxes(n, 3);
    /* top-k far below the candidates; capacity below the survivors */
    const lk_nms_params ps[] = {{.max_det = 1000, .pre_nms_topk = 50},
                                {.max_det = 1000, .pre_nms_topk = 1, .class_agnostic = 1},
                                {.max_det = 5, .pre_nms_topk = 1000},
                                {.max_det = 1, .pre_nms_topk = 0, .class_agnostic = 1},
                                {.max_det = 300, .pre_nms_topk = 100}};
    for (size_t i = 0; i < sizeof ps / sizeof *ps; i++) {
        char what[96];
        snprintf(what, sizeof what, "N=%lld topk %d max_det %d", (long long)n, ps[i].pre_nms_topk,
                 ps[i].max_det);
        int count = check(&ps[i], c, n, prm_set, 2, what);
        print_message("%s: %d kept\n", what, count);
    }
    free(c);
}

/* Many candidates: every one above the threshold, the top-k at its cap. */
static void test_large(void **state)
{
    (void)state;
    int64_t n = 6000;
    float *c = random_boxes(n, 80);
    lk_nms_params p = {.max_det = 300, .pre_nms_topk = 4000};
    const float prm[][4] = {{-1.0f, 0.45f, 300.0f, 0.0f}, {0.45f, 0.6f, 100.0f, 0.0f}};
    int count = check(&p, c, n, prm, 2, "N=6000 topk 4000");
    print_message("N=6000: %d kept\n", count);
    assert_true(count > 0);
    free(c);
}

/* All boxes identical (one survives, the first), all zero-area (all
 * survive, in row order) and equal scores everywhere. */
static void test_degenerate(void **state)
{
    (void)state;
    int64_t n = 70;
    float *c = malloc((size_t)n * 6 * sizeof(float));
    lk_nms_params p = {.max_det = 100, .pre_nms_topk = 0};
    const float prm[1][4] = {{0.1f, 0.5f, 100.0f, 0.0f}};
    float *out = new_out(&p);
    int64_t idx[100];
    assert_non_null(c);
    for (int64_t i = 0; i < n; i++) {
        const float r[6] = {10, 20, 50, 60, 0.5f, 1};
        memcpy(c + i * 6, r, sizeof r);
    }
    assert_int_equal(check(&p, c, n, prm, 1, "identical"), 1);
    brute_force(c, n, &p, prm[0], out, idx);
    assert_int_equal(idx[0], 0);
    for (int64_t i = 0; i < n; i++)
        c[i * 6 + 2] = c[i * 6 + 0]; /* zero width */
    assert_int_equal(check(&p, c, n, prm, 1, "zero-area"), (int)n);
    brute_force(c, n, &p, prm[0], out, idx);
    for (int64_t i = 0; i < n; i++)
        assert_int_equal(idx[i], i);
    free(out);
    free(c);
}

/* Row 0 and the zero fill, checked by hand on three boxes. */
static void test_layout(void **state)
{
    (void)state;
    const float c[] = {
        0, 0, 10, 10, 0.9f, 0,     /* kept */
        1, 1, 11, 11, 0.8f, 0,     /* IoU 81/119 with row 0: removed */
        1, 1, 11, 11, 0.7f, 1,     /* other class: kept */
        0, 0, 10, 10, 0.1f, 0,     /* below the threshold */
    };
    const float prm[4] = {0.2f, 0.5f, 10.0f, 0.0f};
    lk_nms_params p = {.max_det = 4, .pre_nms_topk = 0};
    const float want[5 * 6] = {2, 3, 0, 0, 0, 0, 0, 0, 10, 10, 0.9f, 0, 1, 1, 11, 11, 0.7f, 1};
    lk_graph *g = nms_graph(&p, 4);
    lk_net *net = compile(g, LK_FP32);
    float *got = new_out(&p);
    run_net(net, c, prm, got);
    expect_same(got, want, p.max_det, "layout", "fp32 net");
    run_ref(g, c, prm, got);
    expect_same(got, want, p.max_det, "layout", "reference");
    free(got);
    lk_net_free(net);
    lk_graph_free(g);
}

/* ------------------------------------------------- ONNX backend cases */

static const char *onnx_dir(void)
{
    const char *d = getenv("LOOKOUT_ONNX_NODE_TESTS"), *ci = getenv("CI");
    struct stat st;
    if (d && *d && !stat(d, &st) && S_ISDIR(st.st_mode))
        return d;
    if (ci && !strcmp(ci, "true"))
        fail_msg("CI=true: the ONNX backend node tests (LOOKOUT_ONNX_NODE_TESTS=%s, Debian "
                 "package libonnx-testdata) are missing", d ? d : "");
    print_message("skipped: no ONNX backend node tests (LOOKOUT_ONNX_NODE_TESTS=%s; install "
                  "libonnx-testdata)\n", d ? d : "");
    skip();
    return NULL;
}

static float *read_pb(const char *dir, const char *name, const char *file, lk_shape *s)
{
    char path[1024];
    float *d = NULL;
    lk_msg msg = {{0}};
    snprintf(path, sizeof path, "%s/%s/test_data_set_0/%s", dir, name, file);
    if (lk_onnx_read_tensor(path, &d, s, NULL, 0, &msg))
        fail_msg("%s: %s", path, msg.text);
    return d;
}

/* One ONNX NonMaxSuppression case: per batch, every (class, box) pair
 * becomes a candidate row c·n + i (center_point_box converted to
 * corners); the class-aware result grouped by class, cut to
 * max_output_boxes_per_class, must be the expected selected_indices.
 * A kept row is traced back to the lowest unused candidate row with the
 * same values, which is the row the tie rule keeps. */
static void onnx_case(const char *dir, const char *name, int center)
{
    lk_shape sb, ss, sm, si, st, so;
    float *boxes = read_pb(dir, name, "input_0.pb", &sb), *scores = read_pb(dir, name, "input_1.pb", &ss);
    float *maxo = read_pb(dir, name, "input_2.pb", &sm), *iou = read_pb(dir, name, "input_3.pb", &si);
    float *sthr = read_pb(dir, name, "input_4.pb", &st), *want = read_pb(dir, name, "output_0.pb", &so);
    int64_t nb = sb.d[0], n = sb.d[1], nc = ss.d[1], rows = nc * n, got_n = 0;
    int64_t per_class = (int64_t)maxo[0];
    lk_nms_params p = {.max_det = (int)rows, .pre_nms_topk = 0};
    float prm[4] = {sthr[0], iou[0], (float)rows, 0.0f};
    float *c = malloc((size_t)rows * 6 * sizeof(float)), *out = new_out(&p), *ref = new_out(&p);
    int64_t *got = malloc((size_t)(nb * rows * 3 + 1) * sizeof *got);
    unsigned char *used = malloc((size_t)rows);
    lk_graph *g = nms_graph(&p, rows);
    lk_net *net = compile(g, LK_FP32);
    assert_true(c && got && used);
    for (int64_t b = 0; b < nb; b++) {
        for (int64_t k = 0; k < nc; k++)
            for (int64_t i = 0; i < n; i++) {
                const float *v = boxes + (b * n + i) * 4;
                float *r = c + (k * n + i) * 6;
                if (center) { /* [xc, yc, w, h] */
                    r[0] = v[0] - v[2] / 2.0f;
                    r[1] = v[1] - v[3] / 2.0f;
                    r[2] = v[0] + v[2] / 2.0f;
                    r[3] = v[1] + v[3] / 2.0f;
                } else {      /* [y1, x1, y2, x2]: the axes' names do not matter to IoU */
                    memcpy(r, v, 4 * sizeof(float));
                }
                r[4] = scores[(b * nc + k) * n + i];
                r[5] = (float)k;
            }
        run_net(net, c, prm, out);
        run_ref(g, c, prm, ref);
        expect_same(out, ref, p.max_det, name, "fp32 net vs reference");
        memset(used, 0, (size_t)rows);
        for (int64_t k = 0; k < nc; k++) {
            int64_t taken = 0;
            for (int64_t d = 0; d < (int64_t)out[0] && taken < per_class; d++) {
                const float *r = out + (1 + d) * 6;
                if (r[5] != (float)k)
                    continue;
                int64_t row = -1;
                for (int64_t j = 0; j < rows && row < 0; j++)
                    if (!used[j] && !memcmp(c + j * 6, r, 6 * sizeof(float)))
                        row = j;
                assert_true(row >= 0);
                used[row] = 1;
                got[got_n * 3] = b;
                got[got_n * 3 + 1] = k;
                got[got_n * 3 + 2] = row - k * n;
                got_n++;
                taken++;
            }
        }
    }
    if (got_n != so.d[0])
        fail_msg("%s: %lld boxes selected, want %lld", name, (long long)got_n, (long long)so.d[0]);
    for (int64_t i = 0; i < got_n * 3; i++)
        if ((float)got[i] != want[i])
            fail_msg("%s: selected_indices[%lld][%lld] = %lld, want %g", name, (long long)(i / 3),
                     (long long)(i % 3), (long long)got[i], (double)want[i]);
    print_message("%s: %lld boxes as expected\n", name, (long long)got_n);
    lk_net_free(net);
    lk_graph_free(g);
    free(boxes); free(scores); free(maxo); free(iou); free(sthr); free(want);
    free(c); free(out); free(ref); free(got); free(used);
}

static void test_onnx_backend(void **state)
{
    (void)state;
    const char *dir = onnx_dir();
    static const struct { const char *name; int center; } cases[] = {
        {"test_nonmaxsuppression_center_point_box_format", 1},
        {"test_nonmaxsuppression_flipped_coordinates", 0},
        {"test_nonmaxsuppression_identical_boxes", 0},
        {"test_nonmaxsuppression_limit_output_size", 0},
        {"test_nonmaxsuppression_single_box", 0},
        {"test_nonmaxsuppression_suppress_by_IOU", 0},
        {"test_nonmaxsuppression_suppress_by_IOU_and_scores", 0},
        {"test_nonmaxsuppression_two_batches", 0},
        {"test_nonmaxsuppression_two_classes", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        onnx_case(dir, cases[i].name, cases[i].center);
}

/* --------------------------------------------------------------- errors */

static void expect_refused(const lk_nms_params *p, const lk_shape *s, int wide, lk_status want,
                           const char *needle)
{
    lk_graph *g = NULL;
    lk_msg msg = {{0}};
    lk_tensor in[2], out;
    lk_params np;
    assert_int_equal(lk_graph_new(&g, &msg), LK_OK);
    if (wide) {
        lk_tensor raw;
        lk_params rp;
        lk_params_init(LK_OP_RESHAPE, &rp);
        rp.reshape.shape = *s;
        assert_int_equal(lk_graph_input_raw(g, "c", (size_t)lk_shape_numel(s) * 4, &raw, &msg), LK_OK);
        assert_int_equal(lk_graph_add(g, LK_OP_RESHAPE, &rp, "r", &raw, 1, &in[0], 1, &msg), LK_OK);
    } else {
        assert_int_equal(lk_graph_input(g, "c", s, &in[0], &msg), LK_OK);
    }
    assert_int_equal(lk_graph_input_raw(g, "params", 16, &in[1], &msg), LK_OK);
    np.nms = *p;
    lk_status st = lk_graph_add(g, LK_OP_NMS, &np, "nms", in, 2, &out, 1, &msg);
    if (st != want || !strstr(msg.text, needle))
        fail_msg("expected %s mentioning \"%s\", got %s: %s", lk_status_str(want), needle,
                 lk_status_str(st), msg.text);
    lk_graph_free(g);
}

static void test_errors(void **state)
{
    (void)state;
    lk_nms_params p = {.max_det = 100, .pre_nms_topk = 1000};
    lk_shape s = lk_shape_make(2, (int64_t[]){100, 5});
    expect_refused(&p, &s, 1, LK_ERR_SHAPE, "want [N, 6]");
    s.d[1] = 6;
    expect_refused(&p, &s, 0, LK_ERR_INVALID_ARG, "input 0");
    p.max_det = 0;
    expect_refused(&p, &s, 1, LK_ERR_INVALID_ARG, "max_det 0");
    p.max_det = 10;
    p.pre_nms_topk = LK_NMS_MAX_TOPK + 1;
    expect_refused(&p, &s, 1, LK_ERR_INVALID_ARG, "pre_nms_topk");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_degenerate),
        cmocka_unit_test(test_random),
        cmocka_unit_test(test_topk_and_max_det),
        cmocka_unit_test(test_large),
        cmocka_unit_test(test_onnx_backend),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
