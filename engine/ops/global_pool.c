/* global_pool: max or average over every spatial axis of [N,C,...] (rank
 * >= 3), keeping them as size 1: [N,C,H,W] -> [N,C,1,1]. One workgroup
 * reduces one (n, c) plane in shared memory. */
#include <math.h>
#include <stdint.h>

#include "op.h"


static lk_status global_pool_infer(const lk_node *n, const lk_shape *in, lk_shape *out,
                                   lk_msg *msg)
{
    lk_pool_kind kind = n->p.global_pool.kind;
    if (kind != LK_POOL_MAX && kind != LK_POOL_AVG)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "unknown pool kind %d", (int)kind);
    if (in[0].rank < 3) {
        char s[96];
        return lk_fail(msg, LK_ERR_SHAPE, "input %s has no spatial axes (needs rank >= 3)",
                       lk_shape_str(&in[0], s, sizeof s));
    }
    out[0] = in[0];
    for (int i = 2; i < in[0].rank; i++)
        out[0].d[i] = 1;
    return LK_OK;
}

static void global_pool_reference(const lk_node *n, const lk_shape *in, const float *const *x,
                                  const lk_shape *out, float *const *y)
{
    int64_t planes = lk_shape_numel(&out[0]);
    int64_t size = lk_shape_numel(&in[0]) / planes;
    for (int64_t pl = 0; pl < planes; pl++) {
        const float *src = x[0] + pl * size;
        double sum = 0.0;
        float mx = -INFINITY;
        for (int64_t i = 0; i < size; i++) {
            sum += src[i];
            mx = src[i] > mx ? src[i] : mx;
        }
        y[0][pl] = n->p.global_pool.kind == LK_POOL_MAX ? mx : (float)(sum / (double)size);
    }
}

static lk_status global_pool_gpu(const lk_node *n, const lk_shape *in, const lk_shape *out,
                                 lk_kernels *k, lk_msg *msg)
{
    int64_t planes = lk_shape_numel(&out[0]);
    int64_t size = lk_shape_numel(&in[0]) / planes;
    if (lk_shape_numel(&in[0]) > INT32_MAX)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "input beyond 32-bit indexing");
    /* Small planes get a smaller workgroup so few lanes idle. */
    uint32_t wg = size <= 64 ? 64 : size <= 128 ? 128 : 256;
    lk_dispatch d;
    lk_dispatch_init(&d, LK_SH_global_pool);
    lk_dispatch_spec(&d, wg);
    lk_dispatch_spec(&d, (uint32_t)n->p.global_pool.kind);
    lk_dispatch_push(&d, (uint32_t)planes);
    lk_dispatch_push(&d, (uint32_t)size);
    lk_dispatch_bind(&d, LK_BIND_IN(0));
    lk_dispatch_bind(&d, LK_BIND_OUT(0));
    lk_dispatch_grid(&d, planes);
    return lk_kernels_dispatch(k, &d, msg);
}

static double global_pool_flops(const lk_node *n, const lk_shape *in, const lk_shape *out)
{
    (void)n; (void)out;
    return (double)lk_shape_numel(&in[0]);
}

const lk_op_class lk_op_global_pool = {
    .name = "global_pool",
    .min_inputs = 1,
    .max_inputs = 1,
    .infer = global_pool_infer,
    .reference = global_pool_reference,
    .gpu = global_pool_gpu,
    .flops = global_pool_flops,
};
