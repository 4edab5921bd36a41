/* pad: ONNX Pad on any rank: constant (value), reflect, edge and wrap.
 * pads are ONNX-ordered [begin_0 .. begin_{r-1}, end_0 .. end_{r-1}];
 * negative pads crop. As in onnxruntime, cropping happens first and the
 * positive pads then reflect, replicate or wrap the cropped tensor.
 *
 * Every output coordinate along an axis maps to one source coordinate (or
 * to the pad value) independently of the other axes. The host builds that
 * map once per axis, already multiplied by the input stride, and the kernel
 * sums one table entry per axis; -1 marks the constant. */
#include <stdint.h>
#include <stdlib.h>

#include "op.h"

#define WG 256

/* Source coordinate of output coordinate o along an axis of length len
 * with pads b (begin) and e (end); -1 for the constant. */
static int64_t source_index(lk_pad_mode mode, int64_t o, int64_t len, int64_t b, int64_t e)
{
    int64_t c0 = b < 0 ? -b : 0;                       /* cropped at the begin */
    int64_t kept = len - c0 - (e < 0 ? -e : 0);         /* length after cropping */
    int64_t j = o - (b > 0 ? b : 0);                   /* coordinate in the kept part */
    if (j < 0 || j >= kept) {
        switch (mode) {
        case LK_PAD_REFLECT: j = j < 0 ? -j : 2 * (kept - 1) - j; break;
        case LK_PAD_REPLICATE: j = j < 0 ? 0 : kept - 1; break;
        case LK_PAD_CIRCULAR: j = ((j % kept) + kept) % kept; break;
        default: return -1;
        }
    }
    return c0 + j;
}

static lk_status pad_infer(const lk_node *n, const lk_shape *in, lk_shape *out, lk_msg *msg)
{
    const lk_pad_params *p = &n->p.pad;
    int r = in[0].rank;
    if ((unsigned)p->mode > LK_PAD_CIRCULAR)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "unknown pad mode %d", (int)p->mode);
    if (r < 1)
        return lk_fail(msg, LK_ERR_SHAPE, "cannot pad a scalar (rank 0)");
    out[0] = in[0];
    for (int i = 0; i < r; i++) {
        int64_t len = in[0].d[i], b = p->pads[i], e = p->pads[r + i];
        /* Bounded so the sums below cannot overflow; the graph caps the
         * output's element count anyway. */
        const int64_t limit = (int64_t)1 << 40;
        if (b < -limit || b > limit || e < -limit || e > limit)
            return lk_fail(msg, LK_ERR_INVALID_ARG, "pads %lld, %lld on axis %d are out of range",
                           (long long)b, (long long)e, i);
        int64_t kept = len - (b < 0 ? -b : 0) - (e < 0 ? -e : 0);
        if (kept < 1)
            return lk_fail(msg, LK_ERR_SHAPE,
                           "zero-size output: axis %d of length %lld cropped by %lld, %lld",
                           i, (long long)len, (long long)b, (long long)e);
        if (p->mode == LK_PAD_REFLECT && (b >= kept || e >= kept))
            return lk_fail(msg, LK_ERR_INVALID_ARG,
                           "reflect pad too large: axis %d pads %lld, %lld need to be below its length %lld",
                           i, (long long)b, (long long)e, (long long)kept);
        out[0].d[i] = len + b + e;
    }
    return LK_OK;
}

static void pad_reference(const lk_node *n, const lk_shape *in, const float *const *x,
                          const lk_shape *out, float *const *y)
{
    const lk_pad_params *p = &n->p.pad;
    int r = in[0].rank;
    int64_t st[LK_MAX_DIMS];
    lk_shape_strides(&in[0], st);
    int64_t count = lk_shape_numel(&out[0]);
    for (int64_t i = 0; i < count; i++) {
        int64_t rem = i, src = 0;
        for (int a = r - 1; a >= 0 && src >= 0; a--) {
            int64_t o = rem % out[0].d[a];
            rem /= out[0].d[a];
            int64_t s = source_index(p->mode, o, in[0].d[a], p->pads[a], p->pads[r + a]);
            src = s < 0 ? -1 : src + s * st[a];
        }
        y[0][i] = src < 0 ? p->value : x[0][src];
    }
}

static lk_status pad_gpu(const lk_node *n, const lk_shape *in, const lk_shape *out,
                         lk_kernels *k, lk_msg *msg)
{
    const lk_pad_params *p = &n->p.pad;
    int r = in[0].rank;
    int64_t count = lk_shape_numel(&out[0]);
    if (count > INT32_MAX || lk_shape_numel(&in[0]) > INT32_MAX)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "tensors beyond 32-bit indexing");

    /* Axes of output length 1 read one fixed source coordinate (a length-1
     * output cannot be padding): they fold into a base offset. Runs of
     * unpadded axes collapse into one. Each kept axis gets its output
     * length, input length, input stride and pads. */
    int64_t st[LK_MAX_DIMS], dim[LK_MAX_DIMS], len[LK_MAX_DIMS], stride[LK_MAX_DIMS];
    int64_t pb[LK_MAX_DIMS], pe[LK_MAX_DIMS], base = 0;
    lk_shape_strides(&in[0], st);
    int m = 0;
    for (int i = 0; i < r; i++) {
        int64_t b = p->pads[i], e = p->pads[r + i];
        if (out[0].d[i] == 1) {
            base += source_index(p->mode, 0, in[0].d[i], b, e) * st[i];
        } else if (m > 0 && b == 0 && e == 0 && pb[m - 1] == 0 && pe[m - 1] == 0 &&
                   stride[m - 1] == st[i] * in[0].d[i]) {
            dim[m - 1] *= in[0].d[i];
            len[m - 1] *= in[0].d[i];
            stride[m - 1] = st[i];
        } else {
            dim[m] = out[0].d[i];
            len[m] = in[0].d[i];
            stride[m] = st[i];
            pb[m] = b;
            pe[m] = e;
            m++;
        }
    }

    /* Right-aligned into LK_MAX_DIMS axes; the unused outer ones have
     * length 1 and no entries (the specialised shader skips them). */
    int64_t entries = 0;
    for (int i = 0; i < m; i++)
        entries += dim[i];
    int32_t *table = malloc((size_t)(entries ? entries : 1) * sizeof *table);
    if (!table)
        return lk_fail(msg, LK_ERR_NO_MEMORY, "out of memory for the index table");
    int64_t t = 0;
    for (int i = 0; i < m; i++) {
        for (int64_t o = 0; o < dim[i]; o++) {
            int64_t s = source_index(p->mode, o, len[i], pb[i], pe[i]);
            table[t++] = s < 0 ? -1 : (int32_t)(s * stride[i]);
        }
    }
    if (t == 0)
        table[t++] = 0;      /* a buffer cannot be empty */
    int aux = lk_kernels_aux_i32(k, table, (size_t)t);
    free(table);

    lk_dispatch d;
    lk_dispatch_init(&d, LK_SH_pad);
    int lead = LK_MAX_DIMS - m;
    for (int i = 0; i < LK_MAX_DIMS; i++)
        lk_dispatch_spec(&d, i < lead ? 1u : (uint32_t)dim[i - lead]);
    lk_dispatch_push(&d, (uint32_t)count);
    lk_dispatch_pushf(&d, p->value);
    lk_dispatch_push(&d, (uint32_t)base);
    lk_dispatch_bind(&d, LK_BIND_IN(0));
    lk_dispatch_bind(&d, LK_BIND_OUT(0));
    lk_dispatch_bind(&d, LK_BIND_AUX(aux));
    uint32_t groups = lk_div_up((uint64_t)count, WG);
    lk_dispatch_grid(&d, groups);
    return lk_kernels_dispatch(k, &d, msg);
}

const lk_op_class lk_op_pad = {
    .name = "pad",
    .min_inputs = 1,
    .max_inputs = 1,
    .infer = pad_infer,
    .reference = pad_reference,
    .gpu = pad_gpu,
    /* no flops: data movement */
};
