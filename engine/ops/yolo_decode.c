/* yolo_decode: a raw detector output → candidate rows {x1, y1, x2, y2,
 * score, class} in network-input pixels, one per anchor point / anchor /
 * box. Families and formulas: lk_yolo_decode_params in lookout.h; the GPU
 * kernel is shaders/yolo_decode.comp, one invocation per row. Input 1 is
 * the per-frame parameter tensor (only the score threshold is used here). */
#include <math.h>
#include <string.h>

#include "op.h"

#define WG 64

/* Where a family's values sit in the input, worked out from the shape. */
typedef struct layout {
    int64_t nc, rows;
    int64_t gw, gh;          /* fastestdet, darknet; yolov1: S, S */
    int64_t na;              /* darknet anchors; yolov1 boxes per cell */
    int64_t lw[3], lrows[3]; /* yolox: width and rows of the stride 8/16/32 grids */
} layout;

static const char *family_name(int f)
{
    static const char *const names[] = {"?", "yolox", "ultralytics", "fastestdet", "darknet", "yolov1"};
    return f >= LK_YOLO_YOLOX && f <= LK_YOLO_YOLOV1 ? names[f] : "unknown";
}

static lk_status layout_of(const lk_yolo_decode_params *p, const lk_shape *s, layout *L, lk_msg *msg)
{
    char b[96];
    int64_t ch = 0;
    memset(L, 0, sizeof *L);
    lk_shape_str(s, b, sizeof b);
    if (p->input_h <= 0 || p->input_w <= 0)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "input size %dx%d", p->input_h, p->input_w);
    if (s->rank < 2 || s->d[0] != 1)
        return lk_fail(msg, LK_ERR_SHAPE, "%s output %s: want batch 1", family_name(p->family), b);
    switch (p->family) {
    case LK_YOLO_YOLOX:
        if (s->rank != 3)
            return lk_fail(msg, LK_ERR_SHAPE, "yolox output %s: want [1, N, 5+C]", b);
        for (int l = 0, st = 8; l < 3; l++, st *= 2) {
            L->lw[l] = (p->input_w + st - 1) / st;
            L->lrows[l] = L->lw[l] * ((p->input_h + st - 1) / st);
            L->rows += L->lrows[l];
        }
        if (s->d[1] != L->rows)
            return lk_fail(msg, LK_ERR_SHAPE,
                           "yolox output %s: %lld rows, but a %dx%d input has %lld anchor points "
                           "at strides 8, 16, 32", b, (long long)s->d[1], p->input_h, p->input_w,
                           (long long)L->rows);
        L->nc = s->d[2] - 5;
        break;
    case LK_YOLO_ULTRALYTICS:
        if (s->rank != 3)
            return lk_fail(msg, LK_ERR_SHAPE, "ultralytics output %s: want [1, 4+C, N]", b);
        L->nc = s->d[1] - 4;
        L->rows = s->d[2];
        break;
    case LK_YOLO_FASTESTDET:
        if (s->rank != 4)
            return lk_fail(msg, LK_ERR_SHAPE, "fastestdet output %s: want [1, 5+C, H, W]", b);
        L->nc = s->d[1] - 5;
        L->gh = s->d[2];
        L->gw = s->d[3];
        L->rows = L->gh * L->gw;
        break;
    case LK_YOLO_DARKNET:
        if (s->rank != 4)
            return lk_fail(msg, LK_ERR_SHAPE, "darknet output %s: want [1, A*(5+C), H, W]", b);
        if (p->n_anchors < 1 || p->n_anchors > LK_YOLO_MAX_ANCHORS)
            return lk_fail(msg, LK_ERR_INVALID_ARG, "darknet: %d anchors (1..%d)", p->n_anchors,
                           LK_YOLO_MAX_ANCHORS);
        for (int a = 0; a < 2 * p->n_anchors; a++)
            if (!(p->anchors[a] > 0.0f) || isinf(p->anchors[a]))
                return lk_fail(msg, LK_ERR_INVALID_ARG, "darknet: anchor %d is %g", a / 2,
                               (double)p->anchors[a]);
        if (!(p->scale_x_y >= 0.0f) || isinf(p->scale_x_y))
            return lk_fail(msg, LK_ERR_INVALID_ARG, "darknet: scale_x_y %g", (double)p->scale_x_y);
        if (s->d[1] % p->n_anchors)
            return lk_fail(msg, LK_ERR_SHAPE, "darknet output %s: %lld channels for %d anchors", b,
                           (long long)s->d[1], p->n_anchors);
        L->na = p->n_anchors;
        L->nc = s->d[1] / p->n_anchors - 5;
        L->gh = s->d[2];
        L->gw = s->d[3];
        L->rows = L->na * L->gh * L->gw;
        break;
    case LK_YOLO_YOLOV1:
        if (p->boxes_b < 1)
            return lk_fail(msg, LK_ERR_INVALID_ARG, "yolov1: %d boxes per cell", p->boxes_b);
        L->na = p->boxes_b;
        if (s->rank == 4 && s->d[1] == s->d[2] && (p->grid_s == 0 || p->grid_s == s->d[1])) {
            L->gw = L->gh = s->d[1];
            ch = s->d[3];
        } else if (s->rank == 2 && p->grid_s > 0 && s->d[1] % ((int64_t)p->grid_s * p->grid_s) == 0) {
            L->gw = L->gh = p->grid_s;
            ch = s->d[1] / ((int64_t)p->grid_s * p->grid_s);
        } else {
            return lk_fail(msg, LK_ERR_SHAPE,
                           "yolov1 output %s: want [1, S, S, B*5+C] or [1, S*S*(B*5+C)] (S = %d)",
                           b, p->grid_s);
        }
        L->nc = ch - 5 * L->na;
        L->rows = L->gh * L->gw * L->na;
        break;
    default:
        return lk_fail(msg, LK_ERR_INVALID_ARG,
                       "family %d: want yolox, ultralytics, fastestdet, darknet or yolov1 (1..5)",
                       p->family);
    }
    if (L->nc < 1)
        return lk_fail(msg, LK_ERR_SHAPE, "%s output %s leaves no class channels",
                       family_name(p->family), b);
    if (p->n_classes && p->n_classes != L->nc)
        return lk_fail(msg, LK_ERR_SHAPE, "%s output %s holds %lld classes, not %d",
                       family_name(p->family), b, (long long)L->nc, p->n_classes);
    if (p->filter && L->nc > 32 * LK_YOLO_FILTER_WORDS)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "class filter with %lld classes (at most %d)",
                       (long long)L->nc, 32 * LK_YOLO_FILTER_WORDS);
    if (L->rows < 1 || lk_shape_numel(s) > INT32_MAX || L->rows * 6 > INT32_MAX)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "%s output %s: size beyond 32-bit indexing",
                       family_name(p->family), b);
    return LK_OK;
}

static lk_status yolo_decode_infer(const lk_node *n, const lk_shape *in, lk_shape *out, lk_msg *msg)
{
    layout L;
    lk_status st = layout_of(&n->p.yolo_decode, &in[0], &L, msg);
    if (st)
        return st;
    if (lk_shape_numel(&in[1]) < 4)
        return lk_fail(msg, LK_ERR_SHAPE, "parameter input: want 4 floats, got %lld",
                       (long long)lk_shape_numel(&in[1]));
    out[0] = lk_shape_make(2, (int64_t[]){L.rows, 6});
    return LK_OK;
}

static float sigm(float v)
{
    return 1.0f / (1.0f + expf(-v));
}

static void best_class(const float *x, int64_t step, int64_t nc, float *best, int64_t *cls)
{
    *best = x[0];
    *cls = 0;
    for (int64_t c = 1; c < nc; c++)
        if (x[c * step] > *best) {
            *best = x[c * step];
            *cls = c;
        }
}

static void yolo_decode_reference(const lk_node *n, const lk_shape *in, const float *const *x,
                                  const lk_shape *out, float *const *y)
{
    (void)out;
    const lk_yolo_decode_params *p = &n->p.yolo_decode;
    const float *v = x[0];
    float thr = x[1][0], in_w = (float)p->input_w, in_h = (float)p->input_h;
    float sxy = p->scale_x_y > 0.0f ? p->scale_x_y : 1.0f;
    layout L;
    layout_of(p, &in[0], &L, NULL);
    for (int64_t r = 0; r < L.rows; r++) {
        float cx, cy, w, h, score, best;
        int64_t cls;
        if (p->family == LK_YOLO_YOLOX) {
            int l = r < L.lrows[0] ? 0 : r < L.lrows[0] + L.lrows[1] ? 1 : 2;
            int64_t local = r - (l > 0 ? L.lrows[0] : 0) - (l > 1 ? L.lrows[1] : 0);
            float s = (float)(8 << l);
            const float *b = v + r * (5 + L.nc);
            cx = (b[0] + (float)(local % L.lw[l])) * s;
            cy = (b[1] + (float)(local / L.lw[l])) * s;
            w = expf(b[2]) * s;
            h = expf(b[3]) * s;
            best_class(b + 5, 1, L.nc, &best, &cls);
            score = b[4] * best;
        } else if (p->family == LK_YOLO_ULTRALYTICS) {
            int64_t N = L.rows;
            cx = v[r];
            cy = v[N + r];
            w = v[2 * N + r];
            h = v[3 * N + r];
            best_class(v + 4 * N + r, N, L.nc, &best, &cls);
            score = best;
        } else if (p->family == LK_YOLO_FASTESTDET) {
            int64_t hw = L.gh * L.gw;
            cx = ((float)(r % L.gw) + tanhf(v[hw + r])) / (float)L.gw * in_w;
            cy = ((float)(r / L.gw) + tanhf(v[2 * hw + r])) / (float)L.gh * in_h;
            w = sigm(v[3 * hw + r]) * in_w;
            h = sigm(v[4 * hw + r]) * in_h;
            best_class(v + 5 * hw + r, hw, L.nc, &best, &cls);
            score = powf(fmaxf(v[r], 0.0f), 0.6f) * powf(fmaxf(best, 0.0f), 0.4f);
        } else if (p->family == LK_YOLO_DARKNET) {
            int64_t hw = L.gh * L.gw, a = r / hw, cell = r % hw;
            const float *b = v + a * (5 + L.nc) * hw + cell;
            float off = (sxy - 1.0f) * 0.5f;
            cx = (sigm(b[0]) * sxy - off + (float)(cell % L.gw)) / (float)L.gw * in_w;
            cy = (sigm(b[hw]) * sxy - off + (float)(cell / L.gw)) / (float)L.gh * in_h;
            w = expf(b[2 * hw]) * p->anchors[2 * a];
            h = expf(b[3 * hw]) * p->anchors[2 * a + 1];
            best_class(b + 5 * hw, hw, L.nc, &best, &cls);
            score = sigm(b[4 * hw]) * sigm(best);
        } else {
            int64_t cell = r / L.na, stride = 5 * L.na + L.nc;
            const float *b = v + cell * stride + (r % L.na) * 5;
            cx = ((float)(cell % L.gw) + b[0]) / (float)L.gw * in_w;
            cy = ((float)(cell / L.gw) + b[1]) / (float)L.gh * in_h;
            w = b[2] * in_w;
            h = b[3] * in_h;
            best_class(v + cell * stride + 5 * L.na, 1, L.nc, &best, &cls);
            score = b[4] * best;
        }
        int kept = score > thr;
        if (p->filter)
            kept = kept && ((p->keep[cls / 32] >> (cls % 32)) & 1u);
        float *o = y[0] + r * 6;
        o[0] = cx - 0.5f * w;
        o[1] = cy - 0.5f * h;
        o[2] = cx + 0.5f * w;
        o[3] = cy + 0.5f * h;
        o[4] = kept ? score : -1.0f;
        o[5] = (float)cls;
    }
}

static lk_status yolo_decode_gpu(const lk_node *n, const lk_shape *in, const lk_shape *out,
                                 lk_kernels *k, lk_msg *msg)
{
    (void)out;
    const lk_yolo_decode_params *p = &n->p.yolo_decode;
    layout L;
    lk_status st = layout_of(p, &in[0], &L, msg);
    if (st)
        return st;
    /* keep-mask words, then anchors as float bits (never rounded to fp16) */
    int32_t tab[LK_YOLO_FILTER_WORDS + 2 * LK_YOLO_MAX_ANCHORS + 1];
    uint32_t kw = p->filter ? (uint32_t)((L.nc + 31) / 32) : 0, nt = kw;
    memcpy(tab, p->keep, kw * sizeof tab[0]);
    if (p->family == LK_YOLO_DARKNET) {
        memcpy(tab + nt, p->anchors, 2 * (size_t)L.na * sizeof tab[0]);
        nt += 2 * (uint32_t)L.na;
    }
    if (!nt)
        tab[nt++] = 0; /* a binding needs a buffer */
    int aux = lk_kernels_aux_i32(k, tab, nt);

    lk_dispatch d;
    lk_dispatch_init(&d, LK_SH_yolo_decode);
    lk_dispatch_spec(&d, WG);
    lk_dispatch_spec(&d, (uint32_t)p->family);
    lk_dispatch_spec(&d, (uint32_t)L.nc);
    lk_dispatch_spec(&d, (uint32_t)L.rows);
    lk_dispatch_specf(&d, (float)p->input_w);
    lk_dispatch_specf(&d, (float)p->input_h);
    lk_dispatch_spec(&d, (uint32_t)L.gw);
    lk_dispatch_spec(&d, (uint32_t)L.gh);
    lk_dispatch_spec(&d, (uint32_t)(L.na ? L.na : 1));
    lk_dispatch_specf(&d, p->scale_x_y > 0.0f ? p->scale_x_y : 1.0f);
    lk_dispatch_spec(&d, kw);
    for (int l = 0; l < 3; l++)
        lk_dispatch_spec(&d, (uint32_t)(L.lw[l] ? L.lw[l] : 1));
    lk_dispatch_spec(&d, (uint32_t)L.lrows[0]);
    lk_dispatch_spec(&d, (uint32_t)(L.lrows[0] + L.lrows[1]));
    lk_dispatch_bind(&d, LK_BIND_IN(0));
    lk_dispatch_bind(&d, LK_BIND_IN(1));
    lk_dispatch_bind(&d, LK_BIND_OUT(0));
    lk_dispatch_bind(&d, LK_BIND_AUX(aux));
    lk_dispatch_grid(&d, lk_div_up((uint64_t)L.rows, WG));
    return lk_kernels_dispatch(k, &d, msg);
}

static double yolo_decode_flops(const lk_node *n, const lk_shape *in, const lk_shape *out)
{
    (void)n; (void)out;
    return 2.0 * (double)lk_shape_numel(&in[0]); /* a compare per class, box arithmetic */
}

const lk_op_class lk_op_yolo_decode = {
    .name = "yolo_decode",
    .min_inputs = 2,
    .max_inputs = 2,
    .wide_in = 1u << 1,
    .wide_out = 1u << 0,
    .infer = yolo_decode_infer,
    .reference = yolo_decode_reference,
    .gpu = yolo_decode_gpu,
    .flops = yolo_decode_flops,
};
