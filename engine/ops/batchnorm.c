/* batchnorm: ONNX BatchNormalization in inference mode. X [N, C, ...]
 * (channel axis p.norm.axis, 1 by default), scale, B, mean and var each
 * [C]: y = (x - mean) / sqrt(var + epsilon) · scale + B. The standalone
 * kernel; folding into a preceding conv is the graph optimiser's job.
 * Constant parameters (the usual case) are folded here into one
 * multiply-add per element. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "op.h"

#define WG 256

static const char *const param_names[] = {"X", "scale", "B", "mean", "var"};

/* C = dims[axis], inner = product of the dims after it. */
static void channels_of(const lk_shape *s, int axis, int64_t *c, int64_t *inner)
{
    *c = s->d[axis];
    *inner = 1;
    for (int i = axis + 1; i < s->rank; i++)
        *inner *= s->d[i];
}

static lk_status batchnorm_infer(const lk_node *n, const lk_shape *in, lk_shape *out, lk_msg *msg)
{
    const lk_norm_params *p = &n->p.norm;
    char s[96];
    if (in[0].rank < 2)
        return lk_fail(msg, LK_ERR_SHAPE, "X %s needs rank >= 2 ([N,C,...])",
                       lk_shape_str(&in[0], s, sizeof s));
    int axis = lk_axis_norm(p->axis, in[0].rank);
    if (axis < 0)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "channel axis %d out of range for X %s", p->axis,
                       lk_shape_str(&in[0], s, sizeof s));
    if (!(p->epsilon >= 0.0f) || isinf(p->epsilon))
        return lk_fail(msg, LK_ERR_INVALID_ARG, "epsilon %g must be finite and >= 0",
                       (double)p->epsilon);
    int64_t c = in[0].d[axis];
    for (int i = 1; i < 5; i++)
        if (in[i].rank != 1 || in[i].d[0] != c)
            return lk_fail(msg, LK_ERR_SHAPE, "%s %s must be [C] = [%lld]", param_names[i],
                           lk_shape_str(&in[i], s, sizeof s), (long long)c);
    out[0] = in[0];
    return LK_OK;
}

static void batchnorm_reference(const lk_node *n, const lk_shape *in, const float *const *x,
                                const lk_shape *out, float *const *y)
{
    (void)out;
    int64_t c, inner, count = lk_shape_numel(&in[0]);
    channels_of(&in[0], lk_axis_norm(n->p.norm.axis, in[0].rank), &c, &inner);
    for (int64_t i = 0; i < count; i++) {
        int64_t ch = i / inner % c;
        double v = (x[0][i] - (double)x[3][ch]) / sqrt((double)x[4][ch] + n->p.norm.epsilon);
        y[0][i] = (float)(v * x[1][ch] + x[2][ch]);
    }
}

static lk_status batchnorm_gpu(const lk_node *n, const lk_shape *in, const lk_shape *out,
                               lk_kernels *k, lk_msg *msg)
{
    (void)out;
    int64_t c, inner, count = lk_shape_numel(&in[0]);
    if (count > INT32_MAX)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "input beyond 32-bit indexing");
    channels_of(&in[0], lk_axis_norm(n->p.norm.axis, in[0].rank), &c, &inner);

    const float *pv[5];
    int folded = 1;
    for (int i = 1; i < 5; i++) {
        pv[i] = lk_kernels_const_data(k, i);
        folded = folded && pv[i];
    }
    int aux = -1;
    if (folded) {
        float *ab = malloc((size_t)c * 2 * sizeof *ab);
        if (!ab)
            return lk_fail(msg, LK_ERR_NO_MEMORY, "batchnorm: out of memory");
        for (int64_t ch = 0; ch < c; ch++) {
            double a = pv[1][ch] / sqrt((double)pv[4][ch] + n->p.norm.epsilon);
            ab[ch] = (float)a;
            ab[c + ch] = (float)(pv[2][ch] - pv[3][ch] * a);
        }
        aux = lk_kernels_aux_f32(k, ab, (size_t)c * 2);
        free(ab);
    }
    int vec = inner % 4 == 0;

    lk_dispatch d;
    lk_dispatch_init(&d, LK_SH_batchnorm);
    lk_dispatch_spec(&d, (uint32_t)folded);
    lk_dispatch_spec(&d, (uint32_t)vec);
    lk_dispatch_specf(&d, n->p.norm.epsilon);
    lk_dispatch_spec(&d, (uint32_t)inner);
    lk_dispatch_spec(&d, (uint32_t)c);
    lk_dispatch_push(&d, (uint32_t)count);
    lk_dispatch_bind(&d, LK_BIND_IN(0));
    /* Folded: binding 1 holds a and b, the others are unread. */
    lk_dispatch_bind(&d, folded ? LK_BIND_AUX(aux) : LK_BIND_IN(1));
    for (int i = 2; i < 5; i++)
        lk_dispatch_bind(&d, LK_BIND_IN(folded ? 0 : i));
    lk_dispatch_bind(&d, LK_BIND_OUT(0));
    uint32_t groups = lk_div_up((uint64_t)count, (vec ? 4 : 1) * WG);
    lk_dispatch_grid(&d, groups);
    return lk_kernels_dispatch(k, &d, msg);
}

static double batchnorm_flops(const lk_node *n, const lk_shape *in, const lk_shape *out)
{
    (void)n; (void)out;
    return 2.0 * (double)lk_shape_numel(&in[0]);
}

const lk_op_class lk_op_batchnorm = {
    .name = "batchnorm",
    .min_inputs = 5,
    .max_inputs = 5,
    .infer = batchnorm_infer,
    .reference = batchnorm_reference,
    .gpu = batchnorm_gpu,
    .flops = batchnorm_flops,
};
