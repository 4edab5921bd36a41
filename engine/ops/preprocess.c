/* preprocess: a frame's raw bytes → the network input [1, 3, H, W] in one
 * pass per output pixel: colour conversion (packed RGB/BGR/RGBA/BGRx or
 * YUV 4:2:0 with BT.601/709, limited/full range), resize into the
 * placement box with OpenCV's cv2.resize geometry (INTER_LINEAR,
 * INTER_AREA), pad outside the box, channel order and normalisation.
 * The reference below does the same float arithmetic as
 * shaders/preprocess.comp. With `u8` the resize is cv2.resize's on uint8
 * images instead, bit for bit: its coefficient tables (made here, in
 * double as OpenCV makes them, and handed to the shader as a buffer) and
 * its fixed-point or float accumulation, rounded to 8 bits. */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
    int yuv8[6];             /* u8: {y0, cy, rv, gu, gv, bu}, 20 fraction bits */
    float sx, sy;            /* source pixels per box pixel */
    int box[4];
    int mode;                /* u8_mode */
} consts;

/* How the u8 path resizes (cv2.resize's choice for the sizes): off (float
 * path), two-tap fixed point (INTER_LINEAR, and INTER_AREA when an axis
 * grows), area weights in float, or the box average of integer factors. */
enum u8_mode { U8_OFF, U8_LINEAR, U8_AREA, U8_BOX };

static int u8_mode(const lk_preprocess_params *p, const int box[4])
{
    if (!p->u8)
        return U8_OFF;
    double sx = 1.0 / ((double)box[2] / p->src_w), sy = 1.0 / ((double)box[3] / p->src_h);
    if (p->interp != LK_INTERP_AREA || sx < 1.0 || sy < 1.0)
        return U8_LINEAR;
    return fabs(sx - nearbyint(sx)) < DBL_EPSILON && fabs(sy - nearbyint(sy)) < DBL_EPSILON
               ? U8_BOX
               : U8_AREA;
}

static void make_consts(const lk_preprocess_params *p, consts *c)
{
    for (int i = 0; i < 3; i++) {
        c->a[i] = p->scale / p->std[i];
        c->b[i] = -p->mean[i] / p->std[i];
    }
    double kr = p->bt709 ? 0.2126 : 0.299, kb = p->bt709 ? 0.0722 : 0.114, kg = 1.0 - kr - kb;
    double ky = p->full_range ? 1.0 : 255.0 / 219.0, kc = p->full_range ? 1.0 : 255.0 / 224.0;
    double k[6] = {p->full_range ? 0.0 : 16.0, ky, 2.0 * (1.0 - kr) * kc,
                   2.0 * kb * (1.0 - kb) / kg * kc, 2.0 * kr * (1.0 - kr) / kg * kc,
                   2.0 * (1.0 - kb) * kc};
    /* cv2.cvtColor's own rounded BT.601 limited-range constants, so frames
     * match it; the other matrices by the same rule. */
    static const int cv2_601[6] = {16, 1220542, 1673527, 409993, 852492, 2116026};
    c->yuv[0] = (float)k[1];
    c->yuv[1] = (float)k[0];
    for (int i = 2; i < 6; i++)
        c->yuv[i] = (float)k[i];
    for (int i = 0; i < 6; i++)
        c->yuv8[i] = !p->bt709 && !p->full_range ? cv2_601[i]
                   : i == 0                      ? (int)k[0]
                                                 : (int)lround(k[i] * 1048576.0);
    lk_preprocess_box(p, c->box);
    c->sx = (float)((double)p->src_w / c->box[2]);
    c->sy = (float)((double)p->src_h / c->box[3]);
    c->mode = u8_mode(p, c->box);
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

/* The bytes of pixel (x, y): q = {R, G, B} of a packed frame (returns
 * 1) or {Y, U, V} of a 4:2:0 one, chroma from its 2×2 block (returns 0). */
static int pixel_at(const lk_preprocess_params *p, const uint8_t *b, int x, int y, int q[3])
{
    const int64_t *o = p->offset, *s = p->stride;
    if (p->format <= LK_PIXEL_BGRX) {
        int bpp = p->format <= LK_PIXEL_BGR ? 3 : 4;
        int swap = p->format == LK_PIXEL_BGR || p->format == LK_PIXEL_BGRX;
        const uint8_t *px = b + o[0] + y * s[0] + (int64_t)x * bpp;
        for (int ch = 0; ch < 3; ch++)
            q[ch] = px[swap ? 2 - ch : ch];
        return 1;
    }
    int cx = x / 2, cy = y / 2;
    q[0] = b[o[0] + y * s[0] + x];
    if (p->format == LK_PIXEL_NV12) {
        q[1] = b[o[1] + cy * s[1] + 2 * cx];
        q[2] = b[o[1] + cy * s[1] + 2 * cx + 1];
    } else {
        q[1] = b[o[1] + cy * s[1] + cx];
        q[2] = b[o[2] + cy * s[2] + cx];
    }
    return 0;
}

/* Channel ch (0 R, 1 G, 2 B) of pixel (x, y) on 0..255, YUV converted in float. */
static float rgb_at(const lk_preprocess_params *p, const consts *c, const uint8_t *b, int x, int y,
                    int ch)
{
    int q[3];
    if (pixel_at(p, b, x, y, q))
        return (float)q[ch];
    float yy = c->yuv[0] * ((float)q[0] - c->yuv[1]), U = (float)q[1] - 128.0f,
          V = (float)q[2] - 128.0f;
    float v = ch == 0 ? yy + c->yuv[2] * V
            : ch == 1 ? yy - c->yuv[3] * U - c->yuv[4] * V
                      : yy + c->yuv[5] * U;
    return v < 0.0f ? 0.0f : v > 255.0f ? 255.0f : v;
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

/* ------------------------------------------- 8-bit path (cv2 on uint8) */

/* Channel ch (0 R, 1 G, 2 B) of pixel (x, y) as 8 bits; YUV as
 * cv2.cvtColor converts it (fixed point, 20 fraction bits). */
static int rgb8_at(const lk_preprocess_params *p, const consts *c, const uint8_t *b, int x, int y,
                   int ch)
{
    int q[3];
    if (pixel_at(p, b, x, y, q))
        return q[ch];
    const int *k = c->yuv8;
    int U = q[1] - 128, V = q[2] - 128;
    int v = (q[0] > k[0] ? q[0] - k[0] : 0) * k[1] + (1 << 19);
    v += ch == 0 ? k[2] * V : ch == 1 ? -k[3] * U - k[4] * V : k[5] * U;
    return v < 0 ? 0 : v >= 256 << 20 ? 255 : v >> 20;
}

/* cv2.resize's two-tap coefficients for 8-bit images along one axis:
 * t = {first, second source index, weights in 1/2048}. inv is box/src as
 * OpenCV holds it. The horizontal axis clamps the position at the edges;
 * the vertical one only clamps the rows, keeping the weights. */
static void taps8(int d, double inv, int size, int area, int horizontal, int t[4])
{
    double scale = 1.0 / inv;
    float f;
    int s;
    if (!area) {
        f = (float)((d + 0.5) * scale - 0.5);
        s = (int)floorf(f);
        f -= (float)s;
    } else {
        s = (int)floor(d * scale);
        f = (float)((d + 1) - (s + 1) * inv);
        f = f <= 0.0f ? 0.0f : f - floorf(f);
    }
    if (horizontal && s < 0)
        s = 0, f = 0.0f;
    if (horizontal && s >= size - 1)
        s = size - 1, f = 0.0f;
    t[0] = s < 0 ? 0 : s > size - 1 ? size - 1 : s;
    t[1] = s + 1 < 0 ? 0 : s + 1 > size - 1 ? size - 1 : s + 1;
    t[2] = (int)nearbyintf((1.0f - f) * 2048.0f);
    t[3] = (int)nearbyintf(f * 2048.0f);
}

/* cv2's computeResizeAreaTab for output pixel d, in double as OpenCV
 * computes it: sources first .. first + count − 1, weight of source i is
 * head (i < a), mid (i < b) or tail. */
typedef struct area8 {
    int first, count, a, b;
    float head, mid, tail;
} area8;

static area8 area8_of(int d, double inv, int size)
{
    area8 s;
    double scale = 1.0 / inv, f1 = d * scale, f2 = f1 + scale;
    double cw = fmin(scale, size - f1);
    s.a = (int)ceil(f1);
    s.b = (int)floor(f2);
    if (s.b > size - 1)
        s.b = size - 1;
    if (s.a > s.b)
        s.a = s.b;
    s.first = s.a - f1 > 1e-3 ? s.a - 1 : s.a;
    s.count = (f2 - s.b > 1e-3 ? s.b + 1 : s.b) - s.first;
    s.head = (float)((s.a - f1) / cw);
    s.mid = (float)(1.0 / cw);
    s.tail = (float)(fmin(fmin(f2 - s.b, 1.0), cw) / cw);
    return s;
}

static float area8_weight(const area8 *s, int i)
{
    return i < s->a ? s->head : i < s->b ? s->mid : s->tail;
}

static int sample8(const lk_preprocess_params *p, const consts *c, const uint8_t *b, int dx, int dy,
                   int ch)
{
    double ix = (double)c->box[2] / p->src_w, iy = (double)c->box[3] / p->src_h;
    if (c->mode == U8_LINEAR) {
        int tx[4], ty[4], h[2];
        taps8(dx, ix, p->src_w, p->interp == LK_INTERP_AREA, 1, tx);
        taps8(dy, iy, p->src_h, p->interp == LK_INTERP_AREA, 0, ty);
        for (int k = 0; k < 2; k++)
            h[k] = rgb8_at(p, c, b, tx[0], ty[k], ch) * tx[2] +
                   rgb8_at(p, c, b, tx[1], ty[k], ch) * tx[3];
        /* OpenCV's SIMD rounding (16-bit high products); its scalar
         * formula is not what runs. */
        int v = ((((h[0] >> 4) * ty[2]) >> 16) + (((h[1] >> 4) * ty[3]) >> 16) + 2) >> 2;
        return v > 255 ? 255 : v;
    }
    if (c->mode == U8_BOX) {
        int kx = p->src_w / c->box[2], ky = p->src_h / c->box[3], sum = 0;
        for (int y = dy * ky; y < (dy + 1) * ky; y++)
            for (int x = dx * kx; x < (dx + 1) * kx; x++)
                sum += rgb8_at(p, c, b, x, y, ch);
        /* 2×2 is OpenCV's SIMD (round half up), the rest float, half to even. */
        if (kx == 2 && ky == 2)
            return (sum + 2) >> 2;
        return (int)nearbyintf((float)sum * (1.0f / (float)(kx * ky)));
    }
    area8 ax = area8_of(dx, ix, p->src_w), ay = area8_of(dy, iy, p->src_h);
    float acc = 0.0f;
    for (int y = ay.first; y < ay.first + ay.count; y++) {
        float row = 0.0f;
        for (int x = ax.first; x < ax.first + ax.count; x++)
            row += (float)rgb8_at(p, c, b, x, y, ch) * area8_weight(&ax, x);
        acc += area8_weight(&ay, y) * row;
    }
    float v = nearbyintf(acc);
    return v < 0.0f ? 0 : v > 255.0f ? 255 : (int)v;
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
                float v = !inside  ? p->pad
                        : c.mode ? (float)sample8(p, &c, bytes, dx, dy, ch)
                                 : sample(p, &c, bytes, dx, dy, ch);
                y[0][oc * plane + (int64_t)oy * p->dst_w + ox] = c.a[oc] * v + c.b[oc];
            }
        }
}

/* ---------------------------------------------------------------- GPU */

/* The u8 path's coefficient table for the shader: {y part's start, 1/area
 * bits (box)}, then per box column and then per box row the two-tap
 * {s0, s1, w0, w1}, or the area span {first, count, weights' start} with
 * the weights (float bits, one per source) after both. NULL: no memory. */
static int32_t *u8_table(const lk_preprocess_params *p, const consts *c, size_t *n)
{
    double inv[2] = {(double)c->box[2] / p->src_w, (double)c->box[3] / p->src_h};
    int dst[2] = {c->box[2], c->box[3]}, src[2] = {p->src_w, p->src_h};
    int per = c->mode == U8_LINEAR ? 4 : 3;
    size_t weights = 0, head = 2 + (size_t)per * (size_t)(dst[0] + dst[1]);
    if (c->mode == U8_AREA)
        for (int a = 0; a < 2; a++)
            for (int d = 0; d < dst[a]; d++)
                weights += (size_t)area8_of(d, inv[a], src[a]).count;
    int32_t *t = calloc(head + weights, sizeof *t);
    if (!t)
        return NULL;
    float inv_area = 1.0f / (float)((p->src_w / c->box[2]) * (p->src_h / c->box[3]));
    memcpy(&t[1], &inv_area, sizeof inv_area);
    t[0] = 2 + per * dst[0];
    size_t at = 2, w = head;
    for (int a = 0; a < 2; a++)
        for (int d = 0; d < dst[a]; d++, at += (size_t)per) {
            if (c->mode == U8_LINEAR) {
                int tap[4];
                taps8(d, inv[a], src[a], p->interp == LK_INTERP_AREA, a == 0, tap);
                memcpy(&t[at], tap, sizeof tap);
            } else if (c->mode == U8_AREA) {
                area8 s = area8_of(d, inv[a], src[a]);
                t[at] = s.first;
                t[at + 1] = s.count;
                t[at + 2] = (int32_t)w;
                for (int i = s.first; i < s.first + s.count; i++, w++) {
                    float f = area8_weight(&s, i);
                    memcpy(&t[w], &f, sizeof f);
                }
            }
        }
    *n = head + weights;
    return t;
}


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
    lk_dispatch_spec(&d, (uint32_t)c.mode);
    for (int i = 0; i < 6; i++)
        lk_dispatch_spec(&d, (uint32_t)c.yuv8[i]);
    /* The float path reads no table but the shader declares the binding. */
    int32_t none = 0, *tab = &none;
    size_t n_tab = 1;
    if (c.mode && !(tab = u8_table(p, &c, &n_tab)))
        return lk_fail(msg, LK_ERR_NO_MEMORY, "no memory for the resize table");
    int aux = lk_kernels_aux_i32(k, tab, n_tab);
    if (tab != &none)
        free(tab);
    lk_dispatch_bind(&d, LK_BIND_IN(0));
    lk_dispatch_bind(&d, LK_BIND_OUT(0));
    lk_dispatch_bind(&d, LK_BIND_AUX(aux));
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
