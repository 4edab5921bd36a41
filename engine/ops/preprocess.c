/* preprocess: a frame's raw bytes → the network input [1, 3, H, W] in one
 * pass per output pixel: colour conversion (packed RGB/BGR/RGBA/BGRx or
 * YUV 4:2:0 with BT.601/709, limited/full range), resize into the
 * placement box with OpenCV's cv2.resize geometry (INTER_LINEAR,
 * INTER_AREA), pad outside the box, channel order and normalisation.
 * The reference below does the same float arithmetic as
 * shaders/preprocess.comp. */
#include <math.h>
#include <stdint.h>

#include "lookout/detector.h"
#include "op.h"

#define MAX_SRC 32768
#define MAX_DST 16384

void lk_preprocess_plane(int format, int w, int h, int i, int64_t *rows, int64_t *row_bytes)
{
    int64_t cw = (w + 1) / 2, ch = (h + 1) / 2;
    *rows = *row_bytes = 0;
    switch (format) {
    case LK_PIXEL_RGB:
    case LK_PIXEL_BGR:
        if (i == 0)
            *rows = h, *row_bytes = 3 * (int64_t)w;
        break;
    case LK_PIXEL_RGBA:
    case LK_PIXEL_BGRX:
        if (i == 0)
            *rows = h, *row_bytes = 4 * (int64_t)w;
        break;
    case LK_PIXEL_NV12:
        if (i == 0)
            *rows = h, *row_bytes = w;
        else if (i == 1)
            *rows = ch, *row_bytes = 2 * cw;
        break;
    case LK_PIXEL_I420:
        if (i == 0)
            *rows = h, *row_bytes = w;
        else
            *rows = ch, *row_bytes = cw;
        break;
    default:
        break;
    }
}

void lk_preprocess_box(const lk_preprocess_params *p, int box[4])
{
    box[0] = box[1] = 0;
    box[2] = p->dst_w;
    box[3] = p->dst_h;
    if (p->fit == LK_FIT_STRETCH || p->src_w <= 0 || p->src_h <= 0)
        return;
    double r = fmin((double)p->dst_h / p->src_h, (double)p->dst_w / p->src_w);
    double w = p->src_w * r, h = p->src_h * r;
    /* YOLOX truncates (int(w·r)); Ultralytics rounds half to even (round()). */
    w = p->fit == LK_FIT_LETTERBOX ? floor(w) : nearbyint(w);
    h = p->fit == LK_FIT_LETTERBOX ? floor(h) : nearbyint(h);
    box[2] = w < 1 ? 1 : w > p->dst_w ? p->dst_w : (int)w;
    box[3] = h < 1 ? 1 : h > p->dst_h ? p->dst_h : (int)h;
    if (p->fit == LK_FIT_LETTERBOX_CENTER) {
        box[0] = (p->dst_w - box[2]) / 2;
        box[1] = (p->dst_h - box[3]) / 2;
    }
}

/* Constants both implementations use: per-channel affine a·v + b (in
 * output channel order) and the YUV→RGB matrix {ky, y0, rv, gu, gv, bu}
 * with the chroma range folded in. */
typedef struct consts {
    float a[3], b[3];
    float yuv[6];
    float sx, sy;            /* source pixels per box pixel */
    int box[4];
} consts;

static void make_consts(const lk_preprocess_params *p, consts *c)
{
    for (int i = 0; i < 3; i++) {
        c->a[i] = p->scale / p->std[i];
        c->b[i] = -p->mean[i] / p->std[i];
    }
    double kr = p->bt709 ? 0.2126 : 0.299, kb = p->bt709 ? 0.0722 : 0.114, kg = 1.0 - kr - kb;
    double ky = p->full_range ? 1.0 : 255.0 / 219.0, kc = p->full_range ? 1.0 : 255.0 / 224.0;
    c->yuv[0] = (float)ky;
    c->yuv[1] = p->full_range ? 0.0f : 16.0f;
    c->yuv[2] = (float)(2.0 * (1.0 - kr) * kc);
    c->yuv[3] = (float)(2.0 * kb * (1.0 - kb) / kg * kc);
    c->yuv[4] = (float)(2.0 * kr * (1.0 - kr) / kg * kc);
    c->yuv[5] = (float)(2.0 * (1.0 - kb) * kc);
    lk_preprocess_box(p, c->box);
    c->sx = (float)((double)p->src_w / c->box[2]);
    c->sy = (float)((double)p->src_h / c->box[3]);
}

static lk_status preprocess_infer(const lk_node *n, const lk_shape *in, lk_shape *out, lk_msg *msg)
{
    const lk_preprocess_params *p = &n->p.preprocess;
    if (in[0].rank != 1)
        return lk_fail(msg, LK_ERR_SHAPE, "input must be a raw byte tensor (rank 1), got rank %d",
                       in[0].rank);
    if (p->format < 0 || p->format >= LK_PIXEL_COUNT)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "pixel format %d unknown", p->format);
    if (p->src_w < 1 || p->src_h < 1 || p->src_w > MAX_SRC || p->src_h > MAX_SRC)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "frame size %dx%d outside 1..%d", p->src_w,
                       p->src_h, MAX_SRC);
    if (p->dst_w < 1 || p->dst_h < 1 || p->dst_w > MAX_DST || p->dst_h > MAX_DST)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "output size %dx%d outside 1..%d", p->dst_w,
                       p->dst_h, MAX_DST);
    if ((unsigned)p->fit > LK_FIT_STRETCH || (unsigned)p->interp > LK_INTERP_AREA)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "fit %d / interp %d unknown", (int)p->fit,
                       (int)p->interp);
    for (int c = 0; c < 3; c++)
        if (!isfinite(p->mean[c]) || !isfinite(p->std[c]) || p->std[c] == 0.0f)
            return lk_fail(msg, LK_ERR_INVALID_ARG, "mean/std of channel %d: %g / %g", c,
                           (double)p->mean[c], (double)p->std[c]);
    if (!isfinite(p->scale) || !isfinite(p->pad))
        return lk_fail(msg, LK_ERR_INVALID_ARG, "scale %g / pad %g not finite", (double)p->scale,
                       (double)p->pad);
    for (int i = 0; i < 3; i++) {
        int64_t rows, row_bytes;
        lk_preprocess_plane(p->format, p->src_w, p->src_h, i, &rows, &row_bytes);
        if (!rows)
            continue;
        if (p->offset[i] < 0 || p->stride[i] < row_bytes || p->stride[i] > ((int64_t)1 << 40))
            return lk_fail(msg, LK_ERR_INVALID_ARG,
                           "plane %d: offset %lld, stride %lld (a row is %lld bytes)", i,
                           (long long)p->offset[i], (long long)p->stride[i], (long long)row_bytes);
        int64_t end = p->offset[i] + p->stride[i] * (rows - 1) + row_bytes;
        if (end > in[0].d[0] * 4)
            return lk_fail(msg, LK_ERR_SHAPE, "plane %d ends at byte %lld, the input has %lld",
                           i, (long long)end, (long long)(in[0].d[0] * 4));
    }
    out[0] = lk_shape4(1, 3, p->dst_h, p->dst_w);
    return LK_OK;
}

/* ---------------------------------------------------------- reference */

static float rgb_at(const lk_preprocess_params *p, const consts *c, const uint8_t *b, int x, int y,
                    int ch)
{
    const int64_t *o = p->offset, *s = p->stride;
    switch (p->format) {
    case LK_PIXEL_RGB:
    case LK_PIXEL_BGR:
    case LK_PIXEL_RGBA:
    case LK_PIXEL_BGRX: {
        int bpp = p->format <= LK_PIXEL_BGR ? 3 : 4;
        int swap = p->format == LK_PIXEL_BGR || p->format == LK_PIXEL_BGRX;
        return b[o[0] + y * s[0] + (int64_t)x * bpp + (swap ? 2 - ch : ch)];
    }
    default: {
        float Y = b[o[0] + y * s[0] + x], U, V;
        int cx = x / 2, cy = y / 2;
        if (p->format == LK_PIXEL_NV12) {
            U = b[o[1] + cy * s[1] + 2 * cx];
            V = b[o[1] + cy * s[1] + 2 * cx + 1];
        } else {
            U = b[o[1] + cy * s[1] + cx];
            V = b[o[2] + cy * s[2] + cx];
        }
        float yy = c->yuv[0] * (Y - c->yuv[1]);
        U -= 128.0f;
        V -= 128.0f;
        float v = ch == 0 ? yy + c->yuv[2] * V
                : ch == 1 ? yy - c->yuv[3] * U - c->yuv[4] * V
                          : yy + c->yuv[5] * U;
        return v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v;
    }
    }
}

/* Two-tap position along one axis (cv2's resize coefficient tables):
 * half-pixel centres for bilinear; INTER_AREA when enlarging an axis. */
static void linear_tap(int d, float scale, int size, int area, int *i0, float *f)
{
    float t;
    if (!area) {
        t = ((float)d + 0.5f) * scale - 0.5f;
        *i0 = (int)floorf(t);
        t -= (float)*i0;
    } else {
        *i0 = (int)floorf((float)d * scale);
        t = (float)(d + 1) - (float)(*i0 + 1) / scale;
        t = t <= 0.0f ? 0.0f : t - floorf(t);
    }
    if (*i0 < 0)
        *i0 = 0, t = 0.0f;
    if (*i0 >= size - 1)
        *i0 = size - 1, t = 0.0f;
    *f = t;
}

/* Source range [first, last] and weights of output pixel d when shrinking
 * (cv2's computeResizeAreaTab): partial cells at both ends. */
typedef struct area_span {
    int first, last, a, b;
    float head, mid, tail;
} area_span;

static area_span area_of(int d, float scale, int size)
{
    area_span s;
    float f1 = (float)d * scale, f2 = f1 + scale;
    float cw = fminf(scale, (float)size - f1);
    s.a = (int)ceilf(f1);
    s.b = (int)floorf(f2);
    if (s.b > size - 1)
        s.b = size - 1;
    if (s.a > s.b)
        s.a = s.b;
    s.first = (float)s.a - f1 > 1e-3f ? s.a - 1 : s.a;
    s.last = f2 - (float)s.b > 1e-3f ? s.b : s.b - 1;
    s.head = ((float)s.a - f1) / cw;
    s.mid = 1.0f / cw;
    s.tail = fminf(fminf(f2 - (float)s.b, 1.0f), cw) / cw;
    return s;
}

static float area_weight(const area_span *s, int i)
{
    return i < s->a ? s->head : i < s->b ? s->mid : s->tail;
}

static float sample(const lk_preprocess_params *p, const consts *c, const uint8_t *b, int dx, int dy,
                    int ch)
{
    if (p->interp == LK_INTERP_AREA && c->sx >= 1.0f && c->sy >= 1.0f) {
        area_span ax = area_of(dx, c->sx, p->src_w), ay = area_of(dy, c->sy, p->src_h);
        float acc = 0.0f;
        for (int y = ay.first; y <= ay.last; y++) {
            float row = 0.0f;
            for (int x = ax.first; x <= ax.last; x++)
                row += area_weight(&ax, x) * rgb_at(p, c, b, x, y, ch);
            acc += area_weight(&ay, y) * row;
        }
        return acc;
    }
    int area = p->interp == LK_INTERP_AREA, x0, y0;
    float fx, fy;
    linear_tap(dx, c->sx, p->src_w, area, &x0, &fx);
    linear_tap(dy, c->sy, p->src_h, area, &y0, &fy);
    int x1 = x0 + 1 < p->src_w ? x0 + 1 : x0, y1 = y0 + 1 < p->src_h ? y0 + 1 : y0;
    float r0 = (1.0f - fx) * rgb_at(p, c, b, x0, y0, ch) + fx * rgb_at(p, c, b, x1, y0, ch);
    float r1 = (1.0f - fx) * rgb_at(p, c, b, x0, y1, ch) + fx * rgb_at(p, c, b, x1, y1, ch);
    return (1.0f - fy) * r0 + fy * r1;
}

static void preprocess_reference(const lk_node *n, const lk_shape *in, const float *const *x,
                                 const lk_shape *out, float *const *y)
{
    (void)in;
    (void)out;
    const lk_preprocess_params *p = &n->p.preprocess;
    const uint8_t *bytes = (const uint8_t *)x[0];
    consts c;
    make_consts(p, &c);
    int64_t plane = (int64_t)p->dst_w * p->dst_h;
    for (int oy = 0; oy < p->dst_h; oy++)
        for (int ox = 0; ox < p->dst_w; ox++) {
            int dx = ox - c.box[0], dy = oy - c.box[1];
            int inside = dx >= 0 && dx < c.box[2] && dy >= 0 && dy < c.box[3];
            for (int oc = 0; oc < 3; oc++) {
                int ch = p->bgr ? 2 - oc : oc;
                float v = inside ? sample(p, &c, bytes, dx, dy, ch) : p->pad;
                y[0][oc * plane + (int64_t)oy * p->dst_w + ox] = c.a[oc] * v + c.b[oc];
            }
        }
}

/* ---------------------------------------------------------------- GPU */

static lk_status preprocess_gpu(const lk_node *n, const lk_shape *in, const lk_shape *out,
                                lk_kernels *k, lk_msg *msg)
{
    (void)out;
    const lk_preprocess_params *p = &n->p.preprocess;
    if (in[0].d[0] > UINT32_MAX / 4)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "frame of %lld bytes beyond 32-bit addressing",
                       (long long)(in[0].d[0] * 4));
    consts c;
    make_consts(p, &c);
    lk_dispatch d;
    lk_dispatch_init(&d, LK_SH_preprocess);
    lk_dispatch_spec(&d, (uint32_t)p->format);
    lk_dispatch_spec(&d, (uint32_t)p->interp);
    lk_dispatch_spec(&d, (uint32_t)(p->bgr != 0));
    for (int i = 0; i < 3; i++)
        lk_dispatch_specf(&d, c.a[i]);
    for (int i = 0; i < 3; i++)
        lk_dispatch_specf(&d, c.b[i]);
    lk_dispatch_specf(&d, p->pad);
    for (int i = 0; i < 6; i++)
        lk_dispatch_specf(&d, c.yuv[i]);
    lk_dispatch_push(&d, (uint32_t)p->src_w);
    lk_dispatch_push(&d, (uint32_t)p->src_h);
    for (int i = 0; i < 3; i++)
        lk_dispatch_push(&d, (uint32_t)p->offset[i]);
    for (int i = 0; i < 3; i++)
        lk_dispatch_push(&d, (uint32_t)p->stride[i]);
    lk_dispatch_push(&d, (uint32_t)p->dst_w);
    lk_dispatch_push(&d, (uint32_t)p->dst_h);
    for (int i = 0; i < 4; i++)
        lk_dispatch_push(&d, (uint32_t)c.box[i]);
    lk_dispatch_pushf(&d, c.sx);
    lk_dispatch_pushf(&d, c.sy);
    lk_dispatch_bind(&d, LK_BIND_IN(0));
    lk_dispatch_bind(&d, LK_BIND_OUT(0));
    d.groups[0] = lk_div_up((uint64_t)p->dst_w, 16);
    d.groups[1] = lk_div_up((uint64_t)p->dst_h, 16);
    d.groups[2] = 1;
    return lk_kernels_dispatch(k, &d, msg);
}

static double preprocess_flops(const lk_node *n, const lk_shape *in, const lk_shape *out)
{
    (void)in;
    const lk_preprocess_params *p = &n->p.preprocess;
    consts c;
    make_consts(p, &c);
    double taps = 4.0;
    if (p->interp == LK_INTERP_AREA && c.sx >= 1.0f && c.sy >= 1.0f)
        taps = (ceil(c.sx) + 1.0) * (ceil(c.sy) + 1.0);
    return (double)lk_shape_numel(&out[0]) * (2.0 * taps + 2.0);
}

const lk_op_class lk_op_preprocess = {
    .name = "preprocess",
    .min_inputs = 1,
    .max_inputs = 1,
    .wide_in = 1u << 0,
    .infer = preprocess_infer,
    .reference = preprocess_reference,
    .gpu = preprocess_gpu,
    .flops = preprocess_flops,
};
