/* softmax: opset-13 semantics, exp(x - max) / sum along one axis (negative
 * counts from the end), numerically stable. The tensor is seen as [outer,
 * len, inner]; see shaders/softmax.comp for how rows map to invocations.
 * Also home of lk_row_threads, shared with layernorm. */
#include <math.h>
#include <stdint.h>

#include "op.h"

#define WG 256

/* len = size of the axis, inner = product of the dims after it. */
static void rows_of(const lk_shape *s, int axis, int64_t *outer, int64_t *len, int64_t *inner)
{
    *outer = *inner = 1;
    for (int i = 0; i < axis; i++)
        *outer *= s->d[i];
    *len = s->d[axis];
    for (int i = axis + 1; i < s->rank; i++)
        *inner *= s->d[i];
}

/* Invocations per row (a power of two) for row-reduction kernels
 * (softmax, layernorm): rows longer than 16 elements are shared out until
 * rows · T invocations keep the device busy. On a CPU device (lavapipe) a
 * workgroup barrier costs more than walking a row alone, so T stays 1
 * unless there are only a few rows: measured 4x faster for attention's
 * [16,400,400] than T = 32. */
uint32_t lk_row_threads(lk_kernels *k, int64_t rows, int64_t len)
{
    int64_t busy = lk_kernels_device(k)->type == LK_DEVICE_CPU ? 64 : 65536;
    uint32_t t = 1;
    while (t < WG && (int64_t)t * 16 <= len && rows * t < busy)
        t *= 2;
    return t;
}

static lk_status softmax_infer(const lk_node *n, const lk_shape *in, lk_shape *out, lk_msg *msg)
{
    if (lk_axis_norm(n->p.axis.axis, in[0].rank) < 0) {
        char s[96];
        return lk_fail(msg, LK_ERR_INVALID_ARG, "axis %d out of range for input %s", n->p.axis.axis,
                       lk_shape_str(&in[0], s, sizeof s));
    }
    out[0] = in[0];
    return LK_OK;
}

static void softmax_reference(const lk_node *n, const lk_shape *in, const float *const *x,
                              const lk_shape *out, float *const *y)
{
    (void)out;
    int64_t outer, len, inner;
    rows_of(&in[0], lk_axis_norm(n->p.axis.axis, in[0].rank), &outer, &len, &inner);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < inner; j++) {
            const float *src = x[0] + o * len * inner + j;
            float *dst = y[0] + o * len * inner + j;
            float mx = -INFINITY;
            for (int64_t i = 0; i < len; i++)
                mx = src[i * inner] > mx ? src[i * inner] : mx;
            double sum = 0.0;
            for (int64_t i = 0; i < len; i++)
                sum += exp((double)src[i * inner] - mx);
            for (int64_t i = 0; i < len; i++)
                dst[i * inner] = (float)(exp((double)src[i * inner] - mx) / sum);
        }
}

static lk_status softmax_gpu(const lk_node *n, const lk_shape *in, const lk_shape *out,
                             lk_kernels *k, lk_msg *msg)
{
    (void)out;
    if (lk_shape_numel(&in[0]) > INT32_MAX)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "input beyond 32-bit indexing");
    int64_t outer, len, inner;
    rows_of(&in[0], lk_axis_norm(n->p.axis.axis, in[0].rank), &outer, &len, &inner);
    int64_t rows = outer * inner;
    uint32_t t = lk_row_threads(k, rows, len);
    uint32_t groups = lk_div_up(rows, WG / t);

    lk_dispatch d;
    lk_dispatch_init(&d, LK_SH_softmax);
    lk_dispatch_spec(&d, WG);
    lk_dispatch_spec(&d, t);
    lk_dispatch_push(&d, (uint32_t)rows);
    lk_dispatch_push(&d, (uint32_t)len);
    lk_dispatch_push(&d, (uint32_t)inner);
    lk_dispatch_bind(&d, LK_BIND_IN(0));
    lk_dispatch_bind(&d, LK_BIND_OUT(0));
    lk_dispatch_grid(&d, groups);
    return lk_kernels_dispatch(k, &d, msg);
}

static double softmax_flops(const lk_node *n, const lk_shape *in, const lk_shape *out)
{
    (void)n; (void)out;
    return 5.0 * (double)lk_shape_numel(&in[0]); /* max, sub, exp, sum, scale */
}

const lk_op_class lk_op_softmax = {
    .name = "softmax",
    .min_inputs = 1,
    .max_inputs = 1,
    .infer = softmax_infer,
    .reference = softmax_reference,
    .gpu = softmax_gpu,
    .flops = softmax_flops,
};
