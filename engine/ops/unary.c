/* unary: one activation (lk_act) applied elementwise, any rank. The kind
 * and its parameters are specialization constants, so each pipeline is a
 * straight-line bandwidth-bound loop over vec4s. */
#include <stdint.h>

#include "op.h"

#define WG 256

static lk_status unary_infer(const lk_node *n, const lk_shape *in, lk_shape *out, lk_msg *msg)
{
    const lk_activation *a = &n->p.unary.act;
    if ((unsigned)a->kind >= LK_ACT_COUNT)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "unknown activation kind %d", (int)a->kind);
    if (a->kind == LK_ACT_CLIP && !(a->alpha <= a->beta))
        return lk_fail(msg, LK_ERR_INVALID_ARG, "clip min %g is above max %g",
                       (double)a->alpha, (double)a->beta);
    out[0] = in[0];
    return LK_OK;
}

static void unary_reference(const lk_node *n, const lk_shape *in, const float *const *x,
                            const lk_shape *out, float *const *y)
{
    (void)out;
    int64_t count = lk_shape_numel(&in[0]);
    for (int64_t i = 0; i < count; i++)
        y[0][i] = lk_activation_apply(&n->p.unary.act, x[0][i]);
}

static lk_status unary_gpu(const lk_node *n, const lk_shape *in, const lk_shape *out,
                           lk_kernels *k, lk_msg *msg)
{
    (void)out;
    const lk_activation *a = &n->p.unary.act;
    int64_t count = lk_shape_numel(&in[0]);
    if (count > INT32_MAX)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "%lld elements exceed 32-bit indexing",
                       (long long)count);
    lk_dispatch d;
    lk_dispatch_init(&d, LK_SH_unary);
    lk_dispatch_spec(&d, (uint32_t)a->kind);
    lk_dispatch_specf(&d, a->alpha);
    lk_dispatch_specf(&d, a->beta);
    lk_dispatch_push(&d, (uint32_t)count);
    lk_dispatch_bind(&d, LK_BIND_IN(0));
    lk_dispatch_bind(&d, LK_BIND_OUT(0));
    /* Four elements per invocation; a grid-stride loop covers the rest. */
    uint32_t groups = lk_div_up((uint64_t)count, 4 * WG);
    lk_dispatch_grid(&d, groups);
    return lk_kernels_dispatch(k, &d, msg);
}

static double unary_flops(const lk_node *n, const lk_shape *in, const lk_shape *out)
{
    (void)n; (void)in;
    return (double)lk_shape_numel(&out[0]);
}

const lk_op_class lk_op_unary = {
    .name = "unary",
    .min_inputs = 1,
    .max_inputs = 1,
    .infer = unary_infer,
    .reference = unary_reference,
    .gpu = unary_gpu,
    .flops = unary_flops,
};
