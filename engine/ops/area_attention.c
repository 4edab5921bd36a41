/* area_attention: YOLOv12's area attention from the qkv projection to the
 * attention result, as one op (see lk_area_attention_params). The GPU
 * kernel streams key tiles through an online softmax (flash-attention
 * style), so no tokens×tokens score matrix exists; the reference computes
 * the plain softmax, in two passes over the keys. */
#include <inttypes.h>
#include <math.h>
#include <stdint.h>

#include "op.h"

#define MAX_HEAD_DIM 128 /* the kernel keeps q, k, v and the output row in registers */

static lk_status area_attention_infer(const lk_node *n, const lk_shape *in, lk_shape *out,
                                      lk_msg *msg)
{
    const lk_area_attention_params *p = &n->p.area_attention;
    char s[96];
    if (p->heads < 1 || p->head_dim < 1 || p->areas < 1)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "heads %d, head_dim %d, areas %d: each must be >= 1",
                       p->heads, p->head_dim, p->areas);
    if (p->head_dim > MAX_HEAD_DIM)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "head_dim %d: at most %d", p->head_dim,
                       MAX_HEAD_DIM);
    if (!isfinite(p->scale))
        return lk_fail(msg, LK_ERR_INVALID_ARG, "scale is not finite");
    if (in[0].rank != 4)
        return lk_fail(msg, LK_ERR_SHAPE, "input %s is not [B, 3C, H, W]",
                       lk_shape_str(&in[0], s, sizeof s));
    int64_t c = (int64_t)p->heads * p->head_dim;
    if (in[0].d[1] != 3 * c)
        return lk_fail(msg, LK_ERR_SHAPE, "input %s: %" PRId64 " channels, want 3 x %d heads x %d",
                       lk_shape_str(&in[0], s, sizeof s), in[0].d[1], p->heads, p->head_dim);
    int64_t tokens = in[0].d[2] * in[0].d[3];
    if (tokens == 0 || tokens % p->areas)
        return lk_fail(msg, LK_ERR_SHAPE, "input %s: %" PRId64 " tokens do not split into %d areas",
                       lk_shape_str(&in[0], s, sizeof s), tokens, p->areas);
    out[0] = in[0];
    out[0].d[1] = c;
    return LK_OK;
}

static void area_attention_reference(const lk_node *n, const lk_shape *in, const float *const *x,
                                     const lk_shape *out, float *const *y)
{
    (void)out;
    const lk_area_attention_params *p = &n->p.area_attention;
    int64_t d = p->head_dim, tokens = in[0].d[2] * in[0].d[3], len = tokens / p->areas;
    for (int64_t b = 0; b < in[0].d[0]; b++)
        for (int64_t h = 0; h < p->heads; h++) {
            const float *q = x[0] + (b * 3 * p->heads + 3 * h) * d * tokens;
            const float *k = q + d * tokens, *v = k + d * tokens;
            float *o = y[0] + (b * p->heads + h) * d * tokens;
            for (int64_t i = 0; i < tokens; i++) {
                int64_t first = i / len * len;
                double mx = -INFINITY;
                for (int64_t j = first; j < first + len; j++) {
                    double s = 0.0;
                    for (int64_t e = 0; e < d; e++)
                        s += (double)q[e * tokens + i] * k[e * tokens + j];
                    mx = fmax(mx, s * p->scale);
                }
                double sum = 0.0, acc[MAX_HEAD_DIM] = {0};
                for (int64_t j = first; j < first + len; j++) {
                    double s = 0.0;
                    for (int64_t e = 0; e < d; e++)
                        s += (double)q[e * tokens + i] * k[e * tokens + j];
                    double w = exp(s * p->scale - mx);
                    sum += w;
                    for (int64_t e = 0; e < d; e++)
                        acc[e] += w * v[e * tokens + j];
                }
                for (int64_t e = 0; e < d; e++)
                    o[e * tokens + i] = (float)(acc[e] / sum);
            }
        }
}

static lk_status area_attention_gpu(const lk_node *n, const lk_shape *in, const lk_shape *out,
                                    lk_kernels *k, lk_msg *msg)
{
    (void)out;
    const lk_area_attention_params *p = &n->p.area_attention;
    const lk_device_info *dev = lk_kernels_device(k);
    uint32_t s = dev->subgroup_size;
    if (!dev->subgroup_shuffle || s < 1 || s > 128)
        return lk_fail(msg, LK_ERR_UNSUPPORTED,
                       "area_attention: device %s has no subgroup shuffle in compute shaders "
                       "(subgroup size %u)", dev->name, s);
    if (lk_shape_numel(&in[0]) > INT32_MAX)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "input beyond 32-bit indexing");
    int64_t tokens = in[0].d[2] * in[0].d[3], len = tokens / p->areas;
    uint64_t tiles = lk_div_up(len, s); /* one query per lane, a subgroup per workgroup */
    uint64_t groups = (uint64_t)in[0].d[0] * p->heads * p->areas * tiles;
    if (groups > UINT32_MAX)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "%llu query tiles: beyond 32-bit indexing",
                       (unsigned long long)groups);

    lk_dispatch d;
    lk_dispatch_init(&d, LK_SH_area_attention);
    d.full_subgroups = 1;
    lk_dispatch_spec(&d, s);
    lk_dispatch_spec(&d, (uint32_t)p->head_dim);
    lk_dispatch_specf(&d, p->scale);
    lk_dispatch_push(&d, (uint32_t)groups);
    lk_dispatch_push(&d, (uint32_t)tiles);
    lk_dispatch_push(&d, (uint32_t)p->areas);
    lk_dispatch_push(&d, (uint32_t)p->heads);
    lk_dispatch_push(&d, (uint32_t)len);
    lk_dispatch_bind(&d, LK_BIND_IN(0));
    lk_dispatch_bind(&d, LK_BIND_OUT(0));
    lk_dispatch_grid(&d, groups);
    return lk_kernels_dispatch(k, &d, msg);
}

static double area_attention_flops(const lk_node *n, const lk_shape *in, const lk_shape *out)
{
    (void)out;
    const lk_area_attention_params *p = &n->p.area_attention;
    double tokens = (double)(in[0].d[2] * in[0].d[3]), len = tokens / p->areas;
    /* q·k and p·v multiply-adds, plus about 5 for each softmax entry */
    return (double)in[0].d[0] * p->heads * tokens * len * (4.0 * p->head_dim + 5.0);
}

const lk_op_class lk_op_area_attention = {
    .name = "area_attention",
    .min_inputs = 1,
    .max_inputs = 1,
    .infer = area_attention_infer,
    .reference = area_attention_reference,
    .gpu = area_attention_gpu,
    .flops = area_attention_flops,
};
