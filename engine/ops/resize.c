/* resize: ONNX Resize (nearest or bilinear) on the last two axes.
 *
 * Each output row and column maps to source indices and a weight that
 * depend on that coordinate alone, so they are computed once on the host
 * — by the same function the reference uses — and handed to the kernel
 * as an i32 table: for every output row then every output column,
 * {i0, i1, bits of the float weight of i1}. Both sides therefore agree
 * exactly on ties such as round_prefer_floor at .5. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "op.h"

#define WG 256

typedef struct tap {
    int32_t i0, i1;          /* source indices, clamped to the input */
    float w;                 /* weight of i1; 0 for nearest */
} tap;

/* The coordinate transformation of the ONNX spec. */
static double source_coord(lk_coord_mode mode, int64_t x, double scale,
                           int64_t in_len, int64_t out_len)
{
    switch (mode) {
    case LK_COORD_ASYMMETRIC: return (double)x / scale;
    case LK_COORD_ALIGN_CORNERS:
        return out_len == 1 ? 0.0 : (double)x * (double)(in_len - 1) / (double)(out_len - 1);
    case LK_COORD_PYTORCH_HALF_PIXEL:
        return out_len > 1 ? ((double)x + 0.5) / scale - 0.5 : 0.0;
    case LK_COORD_TF_HALF_PIXEL_FOR_NN: return ((double)x + 0.5) / scale;
    default: return ((double)x + 0.5) / scale - 0.5;     /* half_pixel */
    }
}

static int64_t clamp_index(int64_t i, int64_t len)
{
    return i < 0 ? 0 : i >= len ? len - 1 : i;
}

static tap make_tap(const lk_resize_params *p, double scale, int64_t x, int64_t in_len,
                    int64_t out_len)
{
    double c = source_coord(p->coord, x, scale, in_len, out_len);
    double f = floor(c), frac = c - f;
    tap t;
    if (p->mode == LK_RESIZE_LINEAR) {
        t.i0 = (int32_t)clamp_index((int64_t)f, in_len);
        t.i1 = (int32_t)clamp_index((int64_t)f + 1, in_len);
        t.w = (float)frac;
        return t;
    }
    int up;                  /* 1: take ceil(c), 0: floor(c) */
    switch (p->nearest) {
    case LK_NEAREST_ROUND_PREFER_CEIL: up = frac >= 0.5; break;
    case LK_NEAREST_FLOOR: up = 0; break;
    case LK_NEAREST_CEIL: up = frac > 0.0; break;
    default: up = frac > 0.5; break;                   /* round_prefer_floor */
    }
    t.i0 = t.i1 = (int32_t)clamp_index((int64_t)f + up, in_len);
    t.w = 0.0f;
    return t;
}

/* Output coordinate x along axis a (0: height, 1: width) to its source.
 * A scale left 0 is out/in, as ONNX derives it from sizes. */
static tap axis_tap(const lk_resize_params *p, const lk_shape *in, const lk_shape *out,
                    int a, int64_t x)
{
    int64_t il = in->d[in->rank - 2 + a], ol = out->d[out->rank - 2 + a];
    double scale = p->scale[a] > 0.0f ? (double)p->scale[a] : (double)ol / (double)il;
    return make_tap(p, scale, x, il, ol);
}

static lk_status resize_infer(const lk_node *n, const lk_shape *in, lk_shape *out, lk_msg *msg)
{
    const lk_resize_params *p = &n->p.resize;
    static const char *const axis[2] = {"height", "width"};
    if (p->mode != LK_RESIZE_NEAREST && p->mode != LK_RESIZE_LINEAR)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "unknown resize mode %d", (int)p->mode);
    if ((unsigned)p->coord > LK_COORD_TF_HALF_PIXEL_FOR_NN)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "unknown coordinate mode %d", (int)p->coord);
    if ((unsigned)p->nearest > LK_NEAREST_CEIL)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "unknown nearest mode %d", (int)p->nearest);
    if (in[0].rank < 2) {
        char s[96];
        return lk_fail(msg, LK_ERR_SHAPE, "input %s has fewer than two axes",
                       lk_shape_str(&in[0], s, sizeof s));
    }
    out[0] = in[0];
    for (int a = 0; a < 2; a++) {
        int64_t len = in[0].d[in[0].rank - 2 + a];
        float s = p->scale[a];
        if (p->out_size[a] < 0 || !(s >= 0.0f) || isinf(s) || (p->out_size[a] == 0 && s == 0.0f))
            return lk_fail(msg, LK_ERR_INVALID_ARG,
                           "%s: out_size %d and scale %g (need a size >= 1 or a scale > 0)",
                           axis[a], p->out_size[a], (double)s);
        double o = p->out_size[a] ? p->out_size[a] : floor((double)len * s);
        if (o < 1.0)
            return lk_fail(msg, LK_ERR_SHAPE, "zero-size output: %s %lld * scale %g < 1",
                           axis[a], (long long)len, (double)s);
        if (o > INT32_MAX)
            return lk_fail(msg, LK_ERR_SHAPE, "%s %lld * scale %g is too large",
                           axis[a], (long long)len, (double)s);
        out[0].d[in[0].rank - 2 + a] = (int64_t)o;
    }
    return LK_OK;
}

static void resize_reference(const lk_node *n, const lk_shape *in, const float *const *x,
                             const lk_shape *out, float *const *y)
{
    int r = in[0].rank;
    int64_t ih = in[0].d[r - 2], iw = in[0].d[r - 1], oh = out[0].d[r - 2], ow = out[0].d[r - 1];
    int64_t planes = lk_shape_numel(&in[0]) / (ih * iw);
    for (int64_t pl = 0; pl < planes; pl++) {
        const float *src = x[0] + pl * ih * iw;
        float *dst = y[0] + pl * oh * ow;
        for (int64_t i = 0; i < oh; i++) {
            tap ty = axis_tap(&n->p.resize, &in[0], &out[0], 0, i);
            const float *r0 = src + ty.i0 * iw, *r1 = src + ty.i1 * iw;
            for (int64_t j = 0; j < ow; j++) {
                tap tx = axis_tap(&n->p.resize, &in[0], &out[0], 1, j);
                float top = (1.0f - tx.w) * r0[tx.i0] + tx.w * r0[tx.i1];
                float bot = (1.0f - tx.w) * r1[tx.i0] + tx.w * r1[tx.i1];
                dst[i * ow + j] = (1.0f - ty.w) * top + ty.w * bot;
            }
        }
    }
}

static lk_status resize_gpu(const lk_node *n, const lk_shape *in, const lk_shape *out,
                            lk_kernels *k, lk_msg *msg)
{
    int r = in[0].rank;
    int64_t count = lk_shape_numel(&out[0]);
    if (count > INT32_MAX || lk_shape_numel(&in[0]) > INT32_MAX)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "tensors beyond 32-bit indexing");
    int64_t oh = out[0].d[r - 2], ow = out[0].d[r - 1];
    int32_t *table = malloc((size_t)(oh + ow) * 3 * sizeof *table);
    if (!table)
        return lk_fail(msg, LK_ERR_NO_MEMORY, "out of memory for the tap table");
    for (int64_t i = 0; i < oh + ow; i++) {
        tap t = i < oh ? axis_tap(&n->p.resize, &in[0], &out[0], 0, i)
                       : axis_tap(&n->p.resize, &in[0], &out[0], 1, i - oh);
        table[3 * i] = t.i0;
        table[3 * i + 1] = t.i1;
        memcpy(&table[3 * i + 2], &t.w, sizeof t.w);
    }
    int aux = lk_kernels_aux_i32(k, table, (size_t)(oh + ow) * 3);
    free(table);

    lk_dispatch d;
    lk_dispatch_init(&d, LK_SH_resize);
    lk_dispatch_spec(&d, (uint32_t)(n->p.resize.mode == LK_RESIZE_LINEAR));
    lk_dispatch_spec(&d, (uint32_t)in[0].d[r - 1]);
    lk_dispatch_spec(&d, (uint32_t)(in[0].d[r - 2] * in[0].d[r - 1]));
    lk_dispatch_spec(&d, (uint32_t)oh);
    lk_dispatch_spec(&d, (uint32_t)ow);
    lk_dispatch_push(&d, (uint32_t)count);
    lk_dispatch_bind(&d, LK_BIND_IN(0));
    lk_dispatch_bind(&d, LK_BIND_OUT(0));
    lk_dispatch_bind(&d, LK_BIND_AUX(aux));
    uint32_t groups = lk_div_up((uint64_t)count, WG);
    lk_dispatch_grid(&d, groups);
    return lk_kernels_dispatch(k, &d, msg);
}

static double resize_flops(const lk_node *n, const lk_shape *in, const lk_shape *out)
{
    (void)in;
    /* Bilinear: one per tap, four per output; nearest is a copy. */
    return n->p.resize.mode == LK_RESIZE_LINEAR ? 4.0 * (double)lk_shape_numel(&out[0]) : 0.0;
}

const lk_op_class lk_op_resize = {
    .name = "resize",
    .min_inputs = 1,
    .max_inputs = 1,
    .infer = resize_infer,
    .reference = resize_reference,
    .gpu = resize_gpu,
    .flops = resize_flops,
};
