/* pool2d: max or average pooling over [N,C,H,W] with kernel, stride,
 * dilation, asymmetric pads and ceil_mode (ONNX MaxPool / AveragePool).
 *
 * Padded positions never enter a max. An average divides by the number of
 * taps inside the input (count_include_pad = 0) or inside the padded
 * extent (count_include_pad = 1, as ONNX and PyTorch: a ceil_mode window
 * hanging past the end padding does not count the overhang). A window that
 * sees no input element (possible only with dilation) yields 0. */
#include <math.h>
#include <stdint.h>

#include "op.h"

#define WG 256

/* Output length along one axis; 0 when no window fits. */
static int64_t pool_len(int64_t in, int k, int s, int d, int pb, int pe, int ceil_mode)
{
    int64_t span = in + pb + pe - ((int64_t)(k - 1) * d + 1);
    if (span < 0)
        return 0;
    int64_t len = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
    /* ONNX/PyTorch: the last window must start inside the input or the
     * begin padding, never in the end padding alone. */
    if (ceil_mode && (len - 1) * s >= in + pb)
        len--;
    return len;
}

static lk_status pool2d_infer(const lk_node *n, const lk_shape *in, lk_shape *out, lk_msg *msg)
{
    const lk_pool2d_params *p = &n->p.pool2d;
    static const char *const axis[2] = {"height", "width"};
    if (p->kind != LK_POOL_MAX && p->kind != LK_POOL_AVG)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "unknown pool kind %d", (int)p->kind);
    if (in[0].rank != 4) {
        char s[96];
        return lk_fail(msg, LK_ERR_SHAPE, "input %s is not [N,C,H,W]",
                       lk_shape_str(&in[0], s, sizeof s));
    }
    out[0] = in[0];
    for (int a = 0; a < 2; a++) {
        int k = p->kernel[a], s = p->stride[a], d = p->dilation[a];
        int pb = p->pads[a], pe = p->pads[a + 2];
        if (k < 1 || s < 1 || d < 1)
            return lk_fail(msg, LK_ERR_INVALID_ARG,
                           "bad kernel: %s kernel %d, stride %d, dilation %d (each must be >= 1)",
                           axis[a], k, s, d);
        int64_t extent = (int64_t)(k - 1) * d + 1;
        if (pb < 0 || pe < 0 || pb >= extent || pe >= extent)
            return lk_fail(msg, LK_ERR_INVALID_ARG,
                           "%s pads %d, %d must be in 0..%lld (smaller than the kernel extent)",
                           axis[a], pb, pe, (long long)extent - 1);
        int64_t len = pool_len(in[0].d[2 + a], k, s, d, pb, pe, p->ceil_mode);
        if (len < 1)
            return lk_fail(msg, LK_ERR_SHAPE,
                           "zero-size output: %s %lld with pads %d+%d is smaller than the kernel extent %lld",
                           axis[a], (long long)in[0].d[2 + a], pb, pe, (long long)extent);
        out[0].d[2 + a] = len;
    }
    return LK_OK;
}

static void pool2d_reference(const lk_node *n, const lk_shape *in, const float *const *x,
                             const lk_shape *out, float *const *y)
{
    const lk_pool2d_params *p = &n->p.pool2d;
    int64_t H = in[0].d[2], W = in[0].d[3], OH = out[0].d[2], OW = out[0].d[3];
    int64_t planes = in[0].d[0] * in[0].d[1];
    for (int64_t pl = 0; pl < planes; pl++) {
        const float *src = x[0] + pl * H * W;
        float *dst = y[0] + pl * OH * OW;
        for (int64_t oh = 0; oh < OH; oh++) {
            for (int64_t ow = 0; ow < OW; ow++) {
                int64_t h0 = oh * p->stride[0] - p->pads[0];
                int64_t w0 = ow * p->stride[1] - p->pads[1];
                double sum = 0.0;
                float mx = -INFINITY;
                int64_t inside = 0, padded_h = 0, padded_w = 0;
                for (int kh = 0; kh < p->kernel[0]; kh++) {
                    int64_t h = h0 + (int64_t)kh * p->dilation[0];
                    padded_h += h >= -p->pads[0] && h < H + p->pads[2];
                }
                for (int kw = 0; kw < p->kernel[1]; kw++) {
                    int64_t w = w0 + (int64_t)kw * p->dilation[1];
                    padded_w += w >= -p->pads[1] && w < W + p->pads[3];
                }
                for (int kh = 0; kh < p->kernel[0]; kh++) {
                    int64_t h = h0 + (int64_t)kh * p->dilation[0];
                    if (h < 0 || h >= H)
                        continue;
                    for (int kw = 0; kw < p->kernel[1]; kw++) {
                        int64_t w = w0 + (int64_t)kw * p->dilation[1];
                        if (w < 0 || w >= W)
                            continue;
                        float v = src[h * W + w];
                        sum += v;
                        mx = v > mx ? v : mx;
                        inside++;
                    }
                }
                float r = 0.0f;
                if (inside > 0 && p->kind == LK_POOL_MAX)
                    r = mx;
                else if (inside > 0)
                    r = (float)(sum / (double)(p->count_include_pad ? padded_h * padded_w : inside));
                dst[oh * OW + ow] = r;
            }
        }
    }
}

static lk_status pool2d_gpu(const lk_node *n, const lk_shape *in, const lk_shape *out,
                            lk_kernels *k, lk_msg *msg)
{
    const lk_pool2d_params *p = &n->p.pool2d;
    int64_t count = lk_shape_numel(&out[0]);
    if (count > INT32_MAX || lk_shape_numel(&in[0]) > INT32_MAX)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "tensors beyond 32-bit indexing");
    lk_dispatch d;
    lk_dispatch_init(&d, LK_SH_pool2d);
    lk_dispatch_spec(&d, (uint32_t)p->kind);
    lk_dispatch_spec(&d, (uint32_t)(p->kind == LK_POOL_AVG && p->count_include_pad));
    for (int a = 0; a < 2; a++) {
        lk_dispatch_spec(&d, (uint32_t)p->kernel[a]);
        lk_dispatch_spec(&d, (uint32_t)p->stride[a]);
        lk_dispatch_spec(&d, (uint32_t)p->dilation[a]);
        lk_dispatch_spec(&d, (uint32_t)p->pads[a]);
        lk_dispatch_spec(&d, (uint32_t)p->pads[a + 2]);
        lk_dispatch_spec(&d, (uint32_t)in[0].d[2 + a]);
        lk_dispatch_spec(&d, (uint32_t)out[0].d[2 + a]);
    }
    lk_dispatch_push(&d, (uint32_t)count);
    lk_dispatch_bind(&d, LK_BIND_IN(0));
    lk_dispatch_bind(&d, LK_BIND_OUT(0));
    uint32_t groups = lk_div_up((uint64_t)count, WG);
    lk_dispatch_grid(&d, groups);
    return lk_kernels_dispatch(k, &d, msg);
}

static double pool2d_flops(const lk_node *n, const lk_shape *in, const lk_shape *out)
{
    (void)in;
    const lk_pool2d_params *p = &n->p.pool2d;
    return (double)lk_shape_numel(&out[0]) * p->kernel[0] * p->kernel[1];
}

const lk_op_class lk_op_pool2d = {
    .name = "pool2d",
    .min_inputs = 1,
    .max_inputs = 1,
    .infer = pool2d_infer,
    .reference = pool2d_reference,
    .gpu = pool2d_gpu,
    .flops = pool2d_flops,
};
