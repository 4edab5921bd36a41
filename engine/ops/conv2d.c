/* conv2d: X [N,C,H,W] * W [M, C/groups, kh, kw] (+ B [M]) → Y [N,M,Ho,Wo],
 * with stride, dilation, groups, asymmetric pads in four padding modes and
 * a fused activation.
 *
 * The GPU runs it as an implicit GEMM per group (rows: output channels,
 * columns: output pixels of the whole batch, K: C/groups·kh·kw), tiled
 * through shared memory and register-blocked; depthwise convolutions
 * (one input channel per group) get a spatially tiled kernel instead.
 * Padding is resolved in the kernels' input addressing, so no padded copy
 * of the input is ever made. The weights are read in their graph layout:
 * gpu() sees shapes only, so it cannot repack them. */
#include <stdint.h>

#include "op.h"

#define MAX_GROUPS 65535u     /* Vulkan's guaranteed maxComputeWorkGroupCount */
#define SHARED_FLOATS 4096    /* 16 KiB: Vulkan's guaranteed shared memory */

typedef struct conv_geom {
    int64_t n, c, h, w;       /* input */
    int64_t m, ho, wo;        /* output */
    int64_t cg, mg;           /* channels per group, in and out */
} conv_geom;

static conv_geom geom(const lk_shape *in, const lk_shape *out, int groups)
{
    conv_geom g = {
        .n = in[0].d[0], .c = in[0].d[1], .h = in[0].d[2], .w = in[0].d[3],
        .m = out[0].d[1], .ho = out[0].d[2], .wo = out[0].d[3],
    };
    g.cg = g.c / groups;
    g.mg = g.m / groups;
    return g;
}

static int has_bias(const lk_node *n)
{
    return n->n_in > 2 && n->in[2] >= 0;
}

static lk_status conv2d_infer(const lk_node *n, const lk_shape *in, lk_shape *out, lk_msg *msg)
{
    const lk_conv2d_params *p = &n->p.conv2d;
    static const char *const axis[2] = {"height", "width"};
    char s[96], t[96];

    if (in[0].rank != 4)
        return lk_fail(msg, LK_ERR_SHAPE, "input %s is not [N,C,H,W]",
                       lk_shape_str(&in[0], s, sizeof s));
    if (in[1].rank != 4)
        return lk_fail(msg, LK_ERR_SHAPE, "weight %s is not [M,C/groups,kh,kw]",
                       lk_shape_str(&in[1], s, sizeof s));
    if (p->groups < 1)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "groups %d must be >= 1", p->groups);
    if ((unsigned)p->pad_mode > LK_PAD_CIRCULAR)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "unknown padding mode %d", (int)p->pad_mode);
    if ((unsigned)p->act.kind >= LK_ACT_COUNT)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "unknown activation %d", (int)p->act.kind);

    int64_t c = in[0].d[1], m = in[1].d[0];
    if (c % p->groups)
        return lk_fail(msg, LK_ERR_SHAPE, "input channels %lld not divisible by groups %d",
                       (long long)c, p->groups);
    if (m % p->groups)
        return lk_fail(msg, LK_ERR_SHAPE, "output channels %lld not divisible by groups %d",
                       (long long)m, p->groups);
    for (int a = 0; a < 2; a++)
        if (p->kernel[a] < 1 || p->stride[a] < 1 || p->dilation[a] < 1)
            return lk_fail(msg, LK_ERR_INVALID_ARG,
                           "%s kernel %d, stride %d, dilation %d: each must be >= 1",
                           axis[a], p->kernel[a], p->stride[a], p->dilation[a]);
    lk_shape want = lk_shape4(m, c / p->groups, p->kernel[0], p->kernel[1]);
    if (!lk_shape_eq(&in[1], &want))
        return lk_fail(msg, LK_ERR_SHAPE, "weight shape %s does not match [M,C/groups,kh,kw] = %s",
                       lk_shape_str(&in[1], s, sizeof s), lk_shape_str(&want, t, sizeof t));
    if (n->n_in > 2 && in[2].rank >= 0 && (in[2].rank != 1 || in[2].d[0] != m))
        return lk_fail(msg, LK_ERR_SHAPE, "bias shape %s is not [%lld]",
                       lk_shape_str(&in[2], s, sizeof s), (long long)m);

    out[0] = lk_shape4(in[0].d[0], m, 1, 1);
    for (int a = 0; a < 2; a++) {
        int pb = p->pads[a], pe = p->pads[a + 2];
        int64_t size = in[0].d[2 + a];
        if (pb < 0 || pe < 0)
            return lk_fail(msg, LK_ERR_INVALID_ARG, "%s pads %d, %d must be >= 0", axis[a], pb, pe);
        /* Both modes mirror or wrap once; PyTorch has the same limits. */
        if (p->pad_mode == LK_PAD_REFLECT && (pb >= size || pe >= size))
            return lk_fail(msg, LK_ERR_INVALID_ARG,
                           "reflect %s pads %d, %d must be smaller than the input %s %lld",
                           axis[a], pb, pe, axis[a], (long long)size);
        if (p->pad_mode == LK_PAD_CIRCULAR && (pb > size || pe > size))
            return lk_fail(msg, LK_ERR_INVALID_ARG,
                           "circular %s pads %d, %d must not exceed the input %s %lld",
                           axis[a], pb, pe, axis[a], (long long)size);
        int64_t extent = (int64_t)(p->kernel[a] - 1) * p->dilation[a] + 1;
        int64_t span = size + pb + pe - extent;
        if (span < 0)
            return lk_fail(msg, LK_ERR_SHAPE,
                           "zero-size output: input %s %lld with pads %d+%d is smaller than the kernel extent %lld",
                           axis[a], (long long)size, pb, pe, (long long)extent);
        out[0].d[2 + a] = span / p->stride[a] + 1;
    }
    return LK_OK;
}

/* Maps a padded coordinate into [0, size); -1 for a constant-padded tap. */
static int64_t pad_index(int64_t i, int64_t size, lk_pad_mode mode)
{
    if (i >= 0 && i < size)
        return i;
    switch (mode) {
    case LK_PAD_REFLECT: return i < 0 ? -i : 2 * size - 2 - i;
    case LK_PAD_REPLICATE: return i < 0 ? 0 : size - 1;
    case LK_PAD_CIRCULAR: return i < 0 ? i + size : i - size;
    default: return -1;
    }
}

static void conv2d_reference(const lk_node *n, const lk_shape *in, const float *const *x,
                             const lk_shape *out, float *const *y)
{
    const lk_conv2d_params *p = &n->p.conv2d;
    conv_geom g = geom(in, out, p->groups);
    int kh = p->kernel[0], kw = p->kernel[1];
    const float *bias = has_bias(n) ? x[2] : NULL;

    for (int64_t b = 0; b < g.n; b++)
    for (int64_t m = 0; m < g.m; m++) {
        const float *wm = x[1] + m * g.cg * kh * kw;
        const float *xg = x[0] + (b * g.c + m / g.mg * g.cg) * g.h * g.w;
        float *ym = y[0] + (b * g.m + m) * g.ho * g.wo;
        for (int64_t oy = 0; oy < g.ho; oy++)
        for (int64_t ox = 0; ox < g.wo; ox++) {
            double acc = bias ? bias[m] : 0.0;
            for (int64_t c = 0; c < g.cg; c++)
            for (int ky = 0; ky < kh; ky++) {
                int64_t iy = pad_index(oy * p->stride[0] - p->pads[0] + (int64_t)ky * p->dilation[0],
                                       g.h, p->pad_mode);
                for (int kx = 0; kx < kw; kx++) {
                    int64_t ix = pad_index(ox * p->stride[1] - p->pads[1] + (int64_t)kx * p->dilation[1],
                                           g.w, p->pad_mode);
                    float v = iy < 0 || ix < 0 ? p->pad_value : xg[(c * g.h + iy) * g.w + ix];
                    acc += (double)wm[(c * kh + ky) * kw + kx] * v;
                }
            }
            ym[oy * g.wo + ox] = lk_activation_apply(&p->act, (float)acc);
        }
    }
}

/* Specialization constants 0..17, shared by both kernels (their tiling
 * constants follow): the geometry, so index arithmetic folds, padding,
 * bias and activation. */
static void spec_common(lk_dispatch *d, const lk_node *n, const conv_geom *g)
{
    const lk_conv2d_params *p = &n->p.conv2d;
    lk_dispatch_spec(d, (uint32_t)g->h);
    lk_dispatch_spec(d, (uint32_t)g->w);
    lk_dispatch_spec(d, (uint32_t)g->ho);
    lk_dispatch_spec(d, (uint32_t)g->wo);
    for (int a = 0; a < 2; a++) {
        lk_dispatch_spec(d, (uint32_t)p->kernel[a]);
        lk_dispatch_spec(d, (uint32_t)p->stride[a]);
        lk_dispatch_spec(d, (uint32_t)p->dilation[a]);
        lk_dispatch_spec(d, (uint32_t)p->pads[a]);
    }
    lk_dispatch_spec(d, (uint32_t)p->pad_mode);
    lk_dispatch_specf(d, p->pad_value);
    lk_dispatch_spec(d, (uint32_t)has_bias(n));
    lk_dispatch_spec(d, (uint32_t)p->act.kind);
    lk_dispatch_specf(d, p->act.alpha);
    lk_dispatch_specf(d, p->act.beta);
}

static void bind_all(lk_dispatch *d, const lk_node *n)
{
    lk_dispatch_bind(d, LK_BIND_IN(0));
    lk_dispatch_bind(d, LK_BIND_IN(1));
    /* Without a bias the weights stand in; the kernel never reads them. */
    lk_dispatch_bind(d, has_bias(n) ? LK_BIND_IN(2) : LK_BIND_IN(1));
    lk_dispatch_bind(d, LK_BIND_OUT(0));
}

/* Implicit GEMM. A workgroup computes RM output channels x WG row blocks
 * of RN neighbouring pixels of one group; K is walked one kernel row
 * (c, ky) at a time, BR rows per shared-memory pass. Every invocation works
 * on the same channels, so a weight is wanted by all lanes at once: the
 * weight tile is staged in shared memory and handed round with subgroup
 * shuffles. That suits CPUs (lavapipe runs invocations as SIMD lanes,
 * where lane-varying loads are costly) as well as GPUs. */
static lk_status gpu_gemm(const lk_node *n, const conv_geom *g, lk_kernels *k, lk_msg *msg)
{
    const lk_device_info *dev = lk_kernels_device(k);
    const int kw = n->p.conv2d.kernel[1];
    uint32_t wg = 64, rm = 16, rn = 4, br = 2;
    /* Lanes the shuffles rely on: at least RM/4, at most what the device has. */
    uint32_t sg = dev && dev->subgroup_size >= 4 ? dev->subgroup_size : 4;
    if (sg > 16)
        sg = 16;
    /* Narrow groups would leave most rows of the tile idle. */
    while (rm > 4 && rm / 2 >= (uint32_t)g->mg)
        rm /= 2;
    while (rn > 1 && rn / 2 >= (uint32_t)g->wo)
        rn /= 2;
    /* Whole subgroup-wide reads per pass. */
    while ((br * (uint32_t)kw * rm / 4) % sg)
        br *= 2;
    int64_t blocks = g->n * g->ho * lk_div_up((uint64_t)g->wo, rn);

    if (lk_div_up((uint64_t)blocks, wg) > MAX_GROUPS || lk_div_up((uint64_t)g->mg, rm) > MAX_GROUPS)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "output of %lld pixels x %lld channels is too large",
                       (long long)(blocks * rn), (long long)g->mg);
    lk_dispatch d;
    lk_dispatch_init(&d, LK_SH_conv2d);
    spec_common(&d, n, g);
    lk_dispatch_spec(&d, wg);
    lk_dispatch_spec(&d, sg);
    lk_dispatch_spec(&d, rm);
    lk_dispatch_spec(&d, rn);
    lk_dispatch_spec(&d, br);
    lk_dispatch_push(&d, (uint32_t)g->cg);
    lk_dispatch_push(&d, (uint32_t)g->mg);
    lk_dispatch_push(&d, (uint32_t)blocks);
    lk_dispatch_push(&d, (uint32_t)g->c);
    lk_dispatch_push(&d, (uint32_t)g->m);
    bind_all(&d, n);
    d.groups[0] = lk_div_up((uint64_t)blocks, wg);
    d.groups[1] = lk_div_up((uint64_t)g->mg, rm);
    d.groups[2] = (uint32_t)n->p.conv2d.groups;
    return lk_kernels_dispatch(k, &d, msg);
}

/* Depthwise (one input channel per group, any channel multiplier): a
 * workgroup computes a TH x TW tile of one output plane from an input
 * window staged in shared memory, each invocation RX neighbouring outputs
 * of a row. Returns LK_ERR_UNSUPPORTED when the window cannot fit. */
static lk_status gpu_depthwise(const lk_node *n, const conv_geom *g, lk_kernels *k, lk_msg *msg)
{
    const lk_conv2d_params *p = &n->p.conv2d;
    uint32_t wg_x = 16, wg_y = 8, rx = 4;
    int64_t ih, iw;

    /* Shrink the tile towards the output size, then until the window fits. */
    while (wg_x > 1 && (int64_t)(wg_x / 2 * rx) >= g->wo)
        wg_x /= 2, wg_y *= 2;
    while (wg_y > 1 && (int64_t)(wg_y / 2) >= g->ho)
        wg_y /= 2;
    for (;;) {
        ih = (int64_t)(wg_y - 1) * p->stride[0] + (int64_t)(p->kernel[0] - 1) * p->dilation[0] + 1;
        iw = (int64_t)(wg_x * rx - 1) * p->stride[1] + (int64_t)(p->kernel[1] - 1) * p->dilation[1] + 1;
        if (ih * iw + (int64_t)p->kernel[0] * p->kernel[1] <= SHARED_FLOATS)
            break;
        if (rx > 1)
            rx /= 2;
        else if (wg_y > 1)
            wg_y /= 2;
        else if (wg_x > 1)
            wg_x /= 2;
        else
            return LK_ERR_UNSUPPORTED;
    }
    int64_t planes = g->n * g->m;
    if (planes > MAX_GROUPS)
        return LK_ERR_UNSUPPORTED;

    lk_dispatch d;
    lk_dispatch_init(&d, LK_SH_conv2d_dw);
    spec_common(&d, n, g);
    lk_dispatch_spec(&d, wg_x);
    lk_dispatch_spec(&d, wg_y);
    lk_dispatch_spec(&d, rx);
    lk_dispatch_spec(&d, (uint32_t)g->mg);
    lk_dispatch_push(&d, (uint32_t)g->c);
    lk_dispatch_push(&d, (uint32_t)g->m);
    bind_all(&d, n);
    d.groups[0] = lk_div_up((uint64_t)g->wo, wg_x * rx);
    d.groups[1] = lk_div_up((uint64_t)g->ho, wg_y);
    d.groups[2] = (uint32_t)planes;
    (void)msg;
    return lk_kernels_dispatch(k, &d, msg);
}

static lk_status conv2d_gpu(const lk_node *n, const lk_shape *in, const lk_shape *out,
                            lk_kernels *k, lk_msg *msg)
{
    conv_geom g = geom(in, out, n->p.conv2d.groups);
    if (lk_shape_numel(&in[0]) > INT32_MAX || lk_shape_numel(&in[1]) > INT32_MAX ||
        lk_shape_numel(&out[0]) > INT32_MAX)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "tensors beyond 32-bit indexing");
    if (g.cg == 1) {
        lk_status st = gpu_depthwise(n, &g, k, msg);
        if (st != LK_ERR_UNSUPPORTED)
            return st;
    }
    return gpu_gemm(n, &g, k, msg);
}

static double conv2d_flops(const lk_node *n, const lk_shape *in, const lk_shape *out)
{
    const lk_conv2d_params *p = &n->p.conv2d;
    return 2.0 * (double)lk_shape_numel(&out[0]) * (double)(in[0].d[1] / p->groups) *
           p->kernel[0] * p->kernel[1];
}

const lk_op_class lk_op_conv2d = {
    .name = "conv2d",
    .min_inputs = 2,
    .max_inputs = 3,
    .infer = conv2d_infer,
    .reference = conv2d_reference,
    .gpu = conv2d_gpu,
    .flops = conv2d_flops,
};
