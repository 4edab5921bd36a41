/* conv_transpose2d (ONNX ConvTranspose): X [N,C,H,W], W [C, M/groups, kh, kw],
 * optional B [M] → Y [N,M,Ho,Wo] with
 *   Ho = (H-1)·stride - pad_top - pad_bottom + dilation·(kh-1) + output_padding + 1
 * and a fused activation. Input (iy, ix) scatters W[c, m, ky, kx]·x into
 * output (iy·stride - pad_top + ky·dilation, ...); the kernel gathers that
 * sum per output instead, so no output element is written twice. It works
 * one output phase (oy, ox mod stride) per workgroup: there the
 * contributing taps form a fixed sub-kernel, a plain stride-1 correlation. */
#include <stdint.h>

#include "op.h"

static lk_status convt_infer(const lk_node *n, const lk_shape *in, lk_shape *out, lk_msg *msg)
{
    const lk_conv_transpose2d_params *p = &n->p.conv_transpose2d;
    static const char *const axis[2] = {"height", "width"};
    char s[96], t[96];

    if (in[0].rank != 4)
        return lk_fail(msg, LK_ERR_SHAPE, "input %s is not [N,C,H,W]",
                       lk_shape_str(&in[0], s, sizeof s));
    if (in[1].rank != 4)
        return lk_fail(msg, LK_ERR_SHAPE, "weight %s is not [C,M/groups,kh,kw]",
                       lk_shape_str(&in[1], s, sizeof s));
    if (p->groups < 1)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "groups %d must be >= 1", p->groups);
    if ((unsigned)p->act.kind >= LK_ACT_COUNT)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "unknown activation %d", (int)p->act.kind);

    int64_t c = in[0].d[1], m = in[1].d[1] * p->groups;
    if (c % p->groups)
        return lk_fail(msg, LK_ERR_SHAPE, "input channels %lld not divisible by groups %d",
                       (long long)c, p->groups);
    for (int a = 0; a < 2; a++)
        if (p->kernel[a] < 1 || p->stride[a] < 1 || p->dilation[a] < 1)
            return lk_fail(msg, LK_ERR_INVALID_ARG,
                           "%s kernel %d, stride %d, dilation %d: each must be >= 1",
                           axis[a], p->kernel[a], p->stride[a], p->dilation[a]);
    lk_shape want = lk_shape4(c, in[1].d[1], p->kernel[0], p->kernel[1]);
    if (in[1].d[1] < 1 || !lk_shape_eq(&in[1], &want))
        return lk_fail(msg, LK_ERR_SHAPE, "weight shape %s does not match [C,M/groups,kh,kw] = %s",
                       lk_shape_str(&in[1], s, sizeof s), lk_shape_str(&want, t, sizeof t));
    if (n->n_in > 2 && in[2].rank >= 0 && (in[2].rank != 1 || in[2].d[0] != m))
        return lk_fail(msg, LK_ERR_SHAPE, "bias shape %s is not [%lld]",
                       lk_shape_str(&in[2], s, sizeof s), (long long)m);

    out[0] = lk_shape4(in[0].d[0], m, 1, 1);
    for (int a = 0; a < 2; a++) {
        int pb = p->pads[a], pe = p->pads[a + 2], op = p->output_padding[a];
        if (pb < 0 || pe < 0)
            return lk_fail(msg, LK_ERR_INVALID_ARG, "%s pads %d, %d must be >= 0", axis[a], pb, pe);
        /* PyTorch's rule: a larger output_padding would add rows no tap reaches. */
        int lim = p->stride[a] > p->dilation[a] ? p->stride[a] : p->dilation[a];
        if (op < 0 || op >= lim)
            return lk_fail(msg, LK_ERR_INVALID_ARG,
                           "%s output_padding %d must be in 0..%d (below stride or dilation)",
                           axis[a], op, lim - 1);
        int64_t len = (in[0].d[2 + a] - 1) * p->stride[a] - pb - pe +
                      (int64_t)(p->kernel[a] - 1) * p->dilation[a] + op + 1;
        if (len < 1)
            return lk_fail(msg, LK_ERR_SHAPE, "zero-size output: %s %lld after pads %d+%d",
                           axis[a], (long long)len, pb, pe);
        out[0].d[2 + a] = len;
    }
    return LK_OK;
}

static void convt_reference(const lk_node *n, const lk_shape *in, const float *const *x,
                            const lk_shape *out, float *const *y)
{
    const lk_conv_transpose2d_params *p = &n->p.conv_transpose2d;
    int64_t N = in[0].d[0], C = in[0].d[1], H = in[0].d[2], W = in[0].d[3];
    int64_t M = out[0].d[1], OH = out[0].d[2], OW = out[0].d[3];
    int64_t cg = C / p->groups, mg = M / p->groups;
    int kh = p->kernel[0], kw = p->kernel[1];
    const float *bias = lk_node_has_input(n, 2) ? x[2] : NULL;

    /* Scatter form, the textbook definition (the kernel gathers),
     * accumulating in the output itself. */
    for (int64_t b = 0; b < N; b++)
    for (int64_t m = 0; m < M; m++) {
        int64_t g = m / mg;
        float *acc = y[0] + (b * M + m) * OH * OW;
        for (int64_t i = 0; i < OH * OW; i++)
            acc[i] = bias ? bias[m] : 0.0f;
        for (int64_t c = g * cg; c < (g + 1) * cg; c++) {
            const float *xp = x[0] + (b * C + c) * H * W;
            const float *wp = x[1] + (c * mg + m % mg) * kh * kw;
            for (int64_t iy = 0; iy < H; iy++)
            for (int64_t ix = 0; ix < W; ix++)
            for (int ky = 0; ky < kh; ky++) {
                int64_t oy = iy * p->stride[0] - p->pads[0] + (int64_t)ky * p->dilation[0];
                if (oy < 0 || oy >= OH)
                    continue;
                for (int kx = 0; kx < kw; kx++) {
                    int64_t ox = ix * p->stride[1] - p->pads[1] + (int64_t)kx * p->dilation[1];
                    if (ox >= 0 && ox < OW)
                        acc[oy * OW + ox] += xp[iy * W + ix] * wp[ky * kw + kx];
                }
            }
        }
        for (int64_t i = 0; i < OH * OW; i++)
            acc[i] = lk_activation_apply(&p->act, acc[i]);
    }
}

static int gcd(int a, int b)
{
    while (b) {
        int t = a % b;
        a = b;
        b = t;
    }
    return a;
}

/* One workgroup per output phase (oy mod stride, ox mod stride), each
 * invocation RM channels x RN neighbouring outputs of a phase row; see
 * shaders/conv_transpose2d.comp. */
static lk_status convt_gpu(const lk_node *n, const lk_shape *in, const lk_shape *out,
                           lk_kernels *k, lk_msg *msg)
{
    const lk_conv_transpose2d_params *p = &n->p.conv_transpose2d;
    const lk_device_info *dev = lk_kernels_device(k);
    int64_t C = in[0].d[1], M = out[0].d[1], OH = out[0].d[2], OW = out[0].d[3];
    int64_t cg = C / p->groups, mg = M / p->groups;
    uint32_t wg = 64, rm = 16, rn = 4;
    /* Lanes the shuffles rely on, no more than the device has; whole
     * subgroups per workgroup. */
    uint32_t sg = dev->subgroup_size >= 4 ? dev->subgroup_size : 4;
    uint32_t min_wg = dev->subgroup_size > 32 ? dev->subgroup_size : 32;
    if (sg > 16)
        sg = 16;
    if (!dev->subgroup_shuffle)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "device %s has no subgroup shuffle in compute shaders",
                       dev->name);
    if (lk_shape_numel(&in[0]) > INT32_MAX || lk_shape_numel(&in[1]) > INT32_MAX ||
        lk_shape_numel(&out[0]) > INT32_MAX)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "tensors beyond 32-bit indexing");

    /* Small layers would leave most of the block idle. */
    uint64_t njx = lk_div_up((uint64_t)OW, (uint64_t)p->stride[1]);
    while (rm > 1 && rm / 2 >= (uint64_t)mg)
        rm /= 2;
    while (rn > 1 && rn / 2 >= njx)
        rn /= 2;
    uint64_t blocks = (uint64_t)in[0].d[0] * lk_div_up((uint64_t)OH, (uint64_t)p->stride[0]) *
                      lk_div_up(njx, rn);
    while (wg / 2 >= min_wg && blocks * 2 <= wg)
        wg /= 2;
    if (wg < min_wg)
        wg = min_wg;
    uint64_t z = (uint64_t)p->groups * (uint64_t)p->stride[0] * (uint64_t)p->stride[1];
    if (z > LK_MAX_GROUPS || lk_div_up(blocks, wg) > LK_MAX_GROUPS || lk_div_up((uint64_t)mg, rm) > LK_MAX_GROUPS)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "output %lldx%lld with %lld channels is too large",
                       (long long)OH, (long long)OW, (long long)M);

    lk_dispatch d;
    lk_dispatch_init(&d, LK_SH_conv_transpose2d);
    lk_dispatch_spec(&d, wg);
    lk_dispatch_spec(&d, sg);
    lk_dispatch_spec(&d, rm);
    lk_dispatch_spec(&d, rn);
    lk_dispatch_spec(&d, (uint32_t)in[0].d[2]);
    lk_dispatch_spec(&d, (uint32_t)in[0].d[3]);
    lk_dispatch_spec(&d, (uint32_t)OH);
    lk_dispatch_spec(&d, (uint32_t)OW);
    for (int a = 0; a < 2; a++) {
        lk_dispatch_spec(&d, (uint32_t)p->kernel[a]);
        lk_dispatch_spec(&d, (uint32_t)p->stride[a]);
        lk_dispatch_spec(&d, (uint32_t)p->dilation[a]);
        lk_dispatch_spec(&d, (uint32_t)p->pads[a]);
    }
    for (int a = 0; a < 2; a++)
        lk_dispatch_spec(&d, (uint32_t)(p->stride[a] / gcd(p->stride[a], p->dilation[a])));
    lk_dispatch_spec(&d, (uint32_t)lk_node_has_input(n, 2));
    lk_dispatch_spec(&d, (uint32_t)p->act.kind);
    lk_dispatch_specf(&d, p->act.alpha);
    lk_dispatch_specf(&d, p->act.beta);
    d.full_subgroups = 1;
    lk_dispatch_push(&d, (uint32_t)cg);
    lk_dispatch_push(&d, (uint32_t)mg);
    lk_dispatch_push(&d, (uint32_t)blocks);
    lk_dispatch_push(&d, (uint32_t)C);
    lk_dispatch_push(&d, (uint32_t)M);
    lk_dispatch_bind(&d, LK_BIND_IN(0));
    lk_dispatch_bind(&d, LK_BIND_IN(1));
    /* Without a bias the weights stand in; the kernel never reads them. */
    lk_dispatch_bind(&d, lk_node_has_input(n, 2) ? LK_BIND_IN(2) : LK_BIND_IN(1));
    lk_dispatch_bind(&d, LK_BIND_OUT(0));
    d.groups[0] = lk_div_up(blocks, wg);
    d.groups[1] = lk_div_up((uint64_t)mg, rm);
    d.groups[2] = (uint32_t)z;
    return lk_kernels_dispatch(k, &d, msg);
}

static double convt_flops(const lk_node *n, const lk_shape *in, const lk_shape *out)
{
    (void)n;
    (void)out;
    /* Every input element meets every tap of its group's output channels. */
    return 2.0 * (double)lk_shape_numel(&in[0]) * (double)(lk_shape_numel(&in[1]) / in[1].d[0]);
}

const lk_op_class lk_op_conv_transpose2d = {
    .name = "conv_transpose2d",
    .min_inputs = 2,
    .max_inputs = 3,
    .infer = convt_infer,
    .reference = convt_reference,
    .gpu = convt_gpu,
    .flops = convt_flops,
};
