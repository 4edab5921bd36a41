/* nms: candidate rows {x1, y1, x2, y2, score, class} → the kept boxes,
 * best first (semantics: lk_nms_params in lookout.h). The reference is
 * the classic serial greedy loop; the GPU (shaders/nms.comp) compacts,
 * radix-selects the top-k, ranks them by counting, builds the K×K
 * suppression bitmask in parallel and lets one workgroup walk it, with
 * identical results. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"

#define WG 256
#define MAX_DET_CAP 65536

static int64_t topk_of(const lk_nms_params *p, int64_t n)
{
    int64_t k = p->pre_nms_topk ? p->pre_nms_topk : LK_NMS_MAX_TOPK;
    return k < n ? k : n;
}

static lk_status nms_infer(const lk_node *n, const lk_shape *in, lk_shape *out, lk_msg *msg)
{
    const lk_nms_params *p = &n->p.nms;
    char b[96];
    if (in[0].rank != 2 || in[0].d[1] != 6 || in[0].d[0] < 1)
        return lk_fail(msg, LK_ERR_SHAPE, "candidates %s: want [N, 6]",
                       lk_shape_str(&in[0], b, sizeof b));
    if (in[0].d[0] > INT32_MAX / 8)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "%lld candidates: beyond 32-bit indexing",
                       (long long)in[0].d[0]);
    if (lk_shape_numel(&in[1]) < 4)
        return lk_fail(msg, LK_ERR_SHAPE, "parameter input: want 4 floats, got %lld",
                       (long long)lk_shape_numel(&in[1]));
    if (p->max_det < 1 || p->max_det > MAX_DET_CAP)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "max_det %d (1..%d)", p->max_det, MAX_DET_CAP);
    if (p->pre_nms_topk < 0 || p->pre_nms_topk > LK_NMS_MAX_TOPK)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "pre_nms_topk %d (0..%d)", p->pre_nms_topk,
                       LK_NMS_MAX_TOPK);
    out[0] = lk_shape_make(2, (int64_t[]){1 + (int64_t)p->max_det, 6});
    return LK_OK;
}

/* GLSL's min and max, operand order included, so both sides agree. */
static float min_(float x, float y) { return y < x ? y : x; }
static float max_(float x, float y) { return x < y ? y : x; }

/* 1 when box a (kept earlier) removes box b; mirrors NMS_MASK. */
static int suppresses(const float *a, const float *b, float thr, int agnostic)
{
    if (!agnostic && a[5] != b[5])
        return 0;
    float ax1 = min_(a[0], a[2]), ay1 = min_(a[1], a[3]), ax2 = max_(a[0], a[2]), ay2 = max_(a[1], a[3]);
    float bx1 = min_(b[0], b[2]), by1 = min_(b[1], b[3]), bx2 = max_(b[0], b[2]), by2 = max_(b[1], b[3]);
    float area_a = (ax2 - ax1) * (ay2 - ay1), area_b = (bx2 - bx1) * (by2 - by1);
    if (!(area_a > 0.0f) || !(area_b > 0.0f))
        return 0;
    float iw = max_(min_(ax2, bx2) - max_(ax1, bx1), 0.0f);
    float ih = max_(min_(ay2, by2) - max_(ay1, by1), 0.0f);
    float inter = iw * ih;
    float uni = area_a + area_b - inter;
    return inter > thr * uni;
}

typedef struct ranked {
    float score;
    int64_t row;
} ranked;

static int by_rank(const void *pa, const void *pb)
{
    const ranked *a = pa, *b = pb;
    if (a->score != b->score)
        return a->score > b->score ? -1 : 1;
    return (a->row > b->row) - (a->row < b->row);
}

static void nms_reference(const lk_node *n, const lk_shape *in, const float *const *x,
                          const lk_shape *out, float *const *y)
{
    (void)out;
    const lk_nms_params *p = &n->p.nms;
    const float *cand = x[0];
    float thr = x[1][0], iou = x[1][1], md = x[1][2];
    int64_t rows = in[0].d[0], m = 0, count = 0;
    int64_t maxd = md >= 1.0f ? (int64_t)fminf(md, (float)p->max_det) : 0;
    ranked *r = malloc((size_t)rows * sizeof *r);
    unsigned char *removed = calloc((size_t)rows, 1);

    memset(y[0], 0, (size_t)(1 + p->max_det) * 6 * sizeof(float));
    if (!r || !removed)
        goto fail; /* the reference has no error path; an empty result shows */
    for (int64_t i = 0; i < rows; i++)
        if (cand[i * 6 + 4] > thr)
            r[m++] = (ranked){cand[i * 6 + 4], i};
    qsort(r, (size_t)m, sizeof *r, by_rank);
    int64_t k = topk_of(p, m);
    for (int64_t i = 0; i < k && count < maxd; i++) {
        if (removed[i])
            continue;
        const float *a = cand + r[i].row * 6;
        memcpy(y[0] + (1 + count) * 6, a, 6 * sizeof(float));
        count++;
        for (int64_t j = i + 1; j < k; j++)
            if (!removed[j] && suppresses(a, cand + r[j].row * 6, iou, p->class_agnostic))
                removed[j] = 1;
    }
    y[0][0] = (float)count;
    y[0][1] = (float)m;
fail:
    free(r);
    free(removed);
}

static lk_status nms_gpu(const lk_node *n, const lk_shape *in, const lk_shape *out, lk_kernels *k,
                         lk_msg *msg)
{
    (void)out;
    const lk_nms_params *p = &n->p.nms;
    int64_t rows = in[0].d[0], kcap = topk_of(p, rows), wcap = (kcap + 31) / 32;
    int list = LK_BIND_SCRATCH(lk_kernels_scratch_wide(k, (size_t)rows + 1));
    int top = LK_BIND_SCRATCH(lk_kernels_scratch_wide(k, (size_t)rows + 1));
    int sorted = LK_BIND_SCRATCH(lk_kernels_scratch_wide(k, (size_t)kcap * 8));
    int mask = LK_BIND_SCRATCH(lk_kernels_scratch_wide(k, (size_t)(kcap * wcap)));
    static const lk_shader_id stage[6] = {LK_SH_nms_clear, LK_SH_nms_compact, LK_SH_nms_topk,
                                          LK_SH_nms_rank, LK_SH_nms_mask, LK_SH_nms_select};
    const int binds[6][5] = {
        {list, -1},
        {LK_BIND_IN(0), LK_BIND_IN(1), list, -1},
        {LK_BIND_IN(0), list, top, -1},
        {LK_BIND_IN(0), top, sorted, -1},
        {list, sorted, LK_BIND_IN(1), mask, -1},
        {list, sorted, mask, LK_BIND_IN(1), LK_BIND_OUT(0)},
    };
    const uint64_t groups[6] = {1, lk_div_up((uint64_t)rows, WG), 1, lk_div_up((uint64_t)rows, WG),
                                lk_div_up((uint64_t)(kcap * wcap), WG), 1};

    for (int s = 0; s < 6; s++) {
        lk_dispatch d;
        lk_dispatch_init(&d, stage[s]);
        lk_dispatch_spec(&d, WG);
        lk_dispatch_spec(&d, (uint32_t)rows);
        lk_dispatch_spec(&d, (uint32_t)kcap);
        lk_dispatch_spec(&d, (uint32_t)wcap);
        lk_dispatch_spec(&d, (uint32_t)p->max_det);
        lk_dispatch_spec(&d, p->class_agnostic ? 1u : 0u);
        for (int b = 0; b < 5 && binds[s][b] >= 0; b++)
            lk_dispatch_bind(&d, binds[s][b]);
        lk_dispatch_grid(&d, groups[s]);
        lk_status st = lk_kernels_dispatch(k, &d, msg);
        if (st)
            return st;
    }
    return LK_OK;
}

static double nms_flops(const lk_node *n, const lk_shape *in, const lk_shape *out)
{
    (void)out;
    double k = (double)topk_of(&n->p.nms, in[0].d[0]);
    return 20.0 * k * k / 2.0; /* one IoU test per pair of the top-k */
}

const lk_op_class lk_op_nms = {
    .name = "nms",
    .min_inputs = 2,
    .max_inputs = 2,
    .wide_in = (1u << 0) | (1u << 1),
    .wide_out = 1u << 0,
    .infer = nms_infer,
    .reference = nms_reference,
    .gpu = nms_gpu,
    .flops = nms_flops,
};
