/* binary: add, sub, mul, div, pow of two tensors with numpy (multidirectional)
 * broadcasting, ranks up to LK_MAX_DIMS; either input may be a constant.
 *
 * The GPU kernel sees the broadcast collapsed at compile time: axes where
 * the output is 1 vanish and neighbours that both inputs walk contiguously
 * (or both repeat) merge, so [2,3,4,5]+[5] becomes [24,5] and a per-channel
 * [N,C,H,W]*[1,C,1,1] becomes [N,C,H·W]. The collapsed output dims are
 * specialization constants (index arithmetic by constants); the input
 * strides (0 where broadcast) are push constants. One collapsed axis with
 * unit or zero strides (equal shapes, or one side a scalar) takes a vec4
 * path. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "op.h"

#define WG 256

/* Dim `i` of s seen right-aligned against `rank` axes (1 where absent). */
static int64_t aligned_dim(const lk_shape *s, int rank, int i)
{
    int j = i - (rank - s->rank);
    return j >= 0 ? s->d[j] : 1;
}

/* Strides of s walked along the `rank` axes of the output: 0 on broadcast
 * axes. */
static void broadcast_strides(const lk_shape *s, const lk_shape *out, int64_t *st)
{
    int64_t own[LK_MAX_DIMS];
    lk_shape_strides(s, own);
    for (int i = 0; i < out->rank; i++) {
        int j = i - (out->rank - s->rank);
        st[i] = j >= 0 && s->d[j] != 1 ? own[j] : 0;
    }
}

static lk_status binary_infer(const lk_node *n, const lk_shape *in, lk_shape *out, lk_msg *msg)
{
    if ((unsigned)n->p.binary.kind >= LK_BIN_COUNT)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "unknown binary kind %d", (int)n->p.binary.kind);
    int rank = in[0].rank > in[1].rank ? in[0].rank : in[1].rank;
    out[0].rank = rank;
    for (int i = 0; i < rank; i++) {
        int64_t a = aligned_dim(&in[0], rank, i), b = aligned_dim(&in[1], rank, i);
        if (a != b && a != 1 && b != 1) {
            char sa[96], sb[96];
            return lk_fail(msg, LK_ERR_SHAPE,
                           "shapes %s and %s are not broadcastable (axis %d: %lld vs %lld)",
                           lk_shape_str(&in[0], sa, sizeof sa), lk_shape_str(&in[1], sb, sizeof sb),
                           i, (long long)a, (long long)b);
        }
        out[0].d[i] = a == 1 ? b : a;
    }
    return LK_OK;
}

static float apply(lk_binary_kind kind, float a, float b)
{
    switch (kind) {
    case LK_BIN_ADD: return a + b;
    case LK_BIN_SUB: return a - b;
    case LK_BIN_MUL: return a * b;
    case LK_BIN_DIV: return a / b;
    default: return powf(a, b);
    }
}

static void binary_reference(const lk_node *n, const lk_shape *in, const float *const *x,
                             const lk_shape *out, float *const *y)
{
    int64_t sa[LK_MAX_DIMS], sb[LK_MAX_DIMS];
    broadcast_strides(&in[0], &out[0], sa);
    broadcast_strides(&in[1], &out[0], sb);
    int64_t count = lk_shape_numel(&out[0]);
    for (int64_t i = 0; i < count; i++) {
        int64_t r = i, ia = 0, ib = 0;
        for (int k = out[0].rank - 1; k >= 0; k--) {
            int64_t c = r % out[0].d[k];
            r /= out[0].d[k];
            ia += c * sa[k];
            ib += c * sb[k];
        }
        y[0][i] = apply(n->p.binary.kind, x[0][ia], x[1][ib]);
    }
}

static lk_status binary_gpu(const lk_node *n, const lk_shape *in, const lk_shape *out,
                            lk_kernels *k, lk_msg *msg)
{
    int64_t count = lk_shape_numel(&out[0]);
    if (count > INT32_MAX)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "%lld elements exceed 32-bit indexing",
                       (long long)count);
    int64_t sa[LK_MAX_DIMS], sb[LK_MAX_DIMS];
    broadcast_strides(&in[0], &out[0], sa);
    broadcast_strides(&in[1], &out[0], sb);

    /* Collapse: drop unit axes, merge an axis into its outer neighbour when
     * both inputs step across the pair as across one axis. */
    int64_t dim[LK_MAX_DIMS], ca[LK_MAX_DIMS], cb[LK_MAX_DIMS];
    int m = 0;
    for (int i = 0; i < out[0].rank; i++) {
        int64_t d = out[0].d[i];
        if (d == 1)
            continue;
        if (m > 0 && ca[m - 1] == sa[i] * d && cb[m - 1] == sb[i] * d) {
            dim[m - 1] *= d;
        } else {
            dim[m] = d;
            m++;
        }
        ca[m - 1] = sa[i];
        cb[m - 1] = sb[i];
    }
    if (m == 0) {
        dim[0] = 1;
        ca[0] = cb[0] = 0;
        m = 1;
    }
    int vec = m == 1 && ca[0] <= 1 && cb[0] <= 1;

    lk_dispatch d;
    lk_dispatch_init(&d, LK_SH_binary);
    lk_dispatch_spec(&d, (uint32_t)n->p.binary.kind);
    lk_dispatch_spec(&d, (uint32_t)vec);
    /* Right-aligned into LK_MAX_DIMS slots; unused outer slots are size 1
     * with stride 0, which the specialised shader folds away. */
    int lead = LK_MAX_DIMS - m;
    for (int i = 0; i < LK_MAX_DIMS; i++)
        lk_dispatch_spec(&d, i < lead ? 1u : (uint32_t)dim[i - lead]);
    lk_dispatch_push(&d, (uint32_t)count);
    for (int i = 0; i < LK_MAX_DIMS; i++)
        lk_dispatch_push(&d, i < lead ? 0u : (uint32_t)ca[i - lead]);
    for (int i = 0; i < LK_MAX_DIMS; i++)
        lk_dispatch_push(&d, i < lead ? 0u : (uint32_t)cb[i - lead]);
    lk_dispatch_bind(&d, LK_BIND_IN(0));
    lk_dispatch_bind(&d, LK_BIND_IN(1));
    lk_dispatch_bind(&d, LK_BIND_OUT(0));
    /* About four elements per invocation (one vec4, or four strided
     * scalars through the grid-stride loop). */
    uint32_t groups = lk_div_up((uint64_t)count, 4 * WG);
    lk_dispatch_grid(&d, groups);
    return lk_kernels_dispatch(k, &d, msg);
}

static double binary_flops(const lk_node *n, const lk_shape *in, const lk_shape *out)
{
    (void)n; (void)in;
    return (double)lk_shape_numel(&out[0]);
}

const lk_op_class lk_op_binary = {
    .name = "binary",
    .min_inputs = 2,
    .max_inputs = 2,
    .infer = binary_infer,
    .reference = binary_reference,
    .gpu = binary_gpu,
    .flops = binary_flops,
};
