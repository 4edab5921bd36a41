/* conv2d: X [N,C,H,W] * W [M, C/groups, kh, kw] (+ B [M]) → Y [N,M,Ho,Wo],
 * with stride, dilation, groups, asymmetric pads in four padding modes and
 * a fused activation.
 *
 * The GPU runs it as an implicit GEMM per group (rows: output channels,
 * columns: output pixels of the whole batch, K: C/groups·kh·kw), tiled
 * through shared memory and register-blocked; depthwise convolutions
 * (one input channel per group) get a spatially tiled kernel instead.
 * Padding is resolved in the kernels' input addressing, so no padded copy
 * of the input is ever made. Constant weights are repacked at compile time
 * into the order the GEMM kernel stages them; weights computed at run time
 * are read in their graph layout. */
#include <stdint.h>
#include <stdlib.h>

#include "op.h"

#define BIG_LAYER (1 << 22)   /* multiply-adds from which big register blocks pay */
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
    const float *bias = lk_node_has_input(n, 2) ? x[2] : NULL;

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
    lk_dispatch_spec(d, (uint32_t)lk_node_has_input(n, 2));
    lk_dispatch_spec(d, (uint32_t)p->act.kind);
    lk_dispatch_specf(d, p->act.alpha);
    lk_dispatch_specf(d, p->act.beta);
}

static void bind_all(lk_dispatch *d, const lk_node *n, int weights)
{
    lk_dispatch_bind(d, LK_BIND_IN(0));
    lk_dispatch_bind(d, weights);
    /* Without a bias the weights stand in; the kernel never reads them. */
    lk_dispatch_bind(d, lk_node_has_input(n, 2) ? LK_BIND_IN(2) : weights);
    lk_dispatch_bind(d, LK_BIND_OUT(0));
}

/* Lanes the kernels' shuffles rely on: no more than the device has. */
static uint32_t subgroup_lanes(const lk_device_info *dev)
{
    uint32_t sg = dev->subgroup_size >= 4 ? dev->subgroup_size : 4;
    return sg > 16 ? 16 : sg;
}

/* Smallest workgroup: whole subgroups of the device (the dispatches ask
 * for full subgroups), and at least 32 invocations. */
static uint32_t min_workgroup(const lk_device_info *dev)
{
    return dev->subgroup_size > 32 ? dev->subgroup_size : 32;
}

/* Repacks constant weights as the GEMM kernel stages them, so a pass's
 * tile is one contiguous run: [group][channel block][pass][tap][RM], a
 * pass being `br` kernel rows (c, ky) of kw taps, zero past the group's
 * channels and past K. Returns the aux buffer, -1 without memory, -2 when
 * the padded copy would outgrow 32-bit indexing. */
static int pack_gemm_weights(lk_kernels *k, const float *w, const conv_geom *g, int groups,
                             int kh, int kw, uint32_t rm, uint32_t br)
{
    int64_t K = g->cg * kh * kw, taps = (int64_t)br * kw;
    int64_t blocks = (g->mg + rm - 1) / rm, passes = (g->cg * kh + br - 1) / br;
    int64_t count = groups * blocks * passes * taps * rm;
    if (count > INT32_MAX)
        return -2;
    float *p = calloc((size_t)count, sizeof *p);
    if (!p)
        return -1;
    float *o = p;
    for (int64_t gi = 0; gi < groups; gi++)
    for (int64_t b = 0; b < blocks; b++)
    for (int64_t pass = 0; pass < passes; pass++)
    for (int64_t tap = 0; tap < taps; tap++)
    for (int64_t i = 0; i < rm; i++, o++) {
        int64_t m = b * rm + i, kk = pass * taps + tap;
        if (m < g->mg && kk < K)
            *o = w[(gi * g->mg + m) * K + kk];
    }
    int aux = lk_kernels_aux_f32(k, p, (size_t)count);
    free(p);
    return aux;
}

/* Implicit GEMM. A workgroup computes RM output channels x WG row blocks
 * of RN neighbouring pixels of one group. CPUs (lavapipe) want big
 * register blocks, as spilled accumulators stay in L1, GPUs blocks that
 * fit the register file; small layers take a smaller block, which
 * compiles in half the time (lavapipe compiles at first use) and leaves
 * fewer lanes idle. */
static lk_status gpu_gemm(const lk_node *n, const conv_geom *g, lk_kernels *k, lk_msg *msg)
{
    const lk_conv2d_params *p = &n->p.conv2d;
    const lk_device_info *dev = lk_kernels_device(k);
    int64_t macs = g->n * g->m * g->ho * g->wo * g->cg * p->kernel[0] * p->kernel[1];
    int big = dev->type == LK_DEVICE_CPU && macs >= BIG_LAYER;
    uint32_t wg = big ? 128 : 64, rm = big ? 32 : 16, rn = 4, br = 2;
    uint32_t sg = subgroup_lanes(dev);

    while (rm > 4 && rm / 2 >= (uint32_t)g->mg)
        rm /= 2;
    while (rn > 1 && rn / 2 >= (uint32_t)g->wo)
        rn /= 2;
    /* The weight tile is read in whole subgroup-wide vec4 reads. */
    while ((br * (uint32_t)p->kernel[1] * rm / 4) % sg)
        br *= 2;
    int64_t blocks = g->n * g->ho * lk_div_up((uint64_t)g->wo, rn);
    while (wg / 2 >= min_workgroup(dev) && (uint64_t)blocks * 2 <= wg)
        wg /= 2;
    if (wg < min_workgroup(dev))
        wg = min_workgroup(dev);
    if (lk_div_up((uint64_t)blocks, wg) > LK_MAX_GROUPS || lk_div_up((uint64_t)g->mg, rm) > LK_MAX_GROUPS ||
        (uint64_t)p->groups > LK_MAX_GROUPS)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "output of %lld pixels x %lld channels is too large",
                       (long long)(g->n * g->ho * g->wo), (long long)g->mg);

    /* Weights computed at run time are read in their graph layout. */
    const float *w = lk_kernels_const_data(k, 1);
    int weights = LK_BIND_IN(1), packed = 0;
    if (w) {
        int aux = pack_gemm_weights(k, w, g, p->groups, p->kernel[0], p->kernel[1], rm, br);
        if (aux == -1)
            return lk_fail(msg, LK_ERR_NO_MEMORY, "out of memory repacking the weights");
        if (aux >= 0)
            weights = LK_BIND_AUX(aux), packed = 1;
    }
    int vec = p->pads[1] == 0 && p->pads[3] == 0 && p->stride[1] == 1 && g->w % 4 == 0 && rn % 4 == 0;

    lk_dispatch d;
    lk_dispatch_init(&d, LK_SH_conv2d);
    spec_common(&d, n, g);
    lk_dispatch_spec(&d, wg);
    lk_dispatch_spec(&d, sg);
    lk_dispatch_spec(&d, rm);
    lk_dispatch_spec(&d, rn);
    lk_dispatch_spec(&d, br);
    lk_dispatch_spec(&d, (uint32_t)vec | (packed ? 2u : 0u));
    d.full_subgroups = 1;
    lk_dispatch_push(&d, (uint32_t)g->cg);
    lk_dispatch_push(&d, (uint32_t)g->mg);
    lk_dispatch_push(&d, (uint32_t)blocks);
    lk_dispatch_push(&d, (uint32_t)g->c);
    lk_dispatch_push(&d, (uint32_t)g->m);
    bind_all(&d, n, weights);
    d.groups[0] = lk_div_up((uint64_t)blocks, wg);
    d.groups[1] = lk_div_up((uint64_t)g->mg, rm);
    d.groups[2] = (uint32_t)n->p.conv2d.groups;
    return lk_kernels_dispatch(k, &d, msg);
}

/* Depthwise tile: WG_X x WG_Y invocations of RX x RY outputs each, in a
 * one-dimensional workgroup (lavapipe fills subgroups along x only) of
 * whole subgroups. */
typedef struct dw_tile {
    uint32_t wg_x, wg_y, rx, ry;
} dw_tile;

static int64_t dw_window(const lk_conv2d_params *p, const dw_tile *t)
{
    int64_t ih = (int64_t)(t->wg_y * t->ry - 1) * p->stride[0] +
                 (int64_t)(p->kernel[0] - 1) * p->dilation[0] + 1;
    int64_t iw = (int64_t)(t->wg_x * t->rx - 1) * p->stride[1] +
                 (int64_t)(p->kernel[1] - 1) * p->dilation[1] + 1;
    return ih * ((iw + 6) / 4 * 4); /* rows padded as the kernel does */
}

/* Picks a tile whose input window fits in shared memory, shrunk towards
 * the output size so small planes waste few lanes; 0 when none fits (huge
 * dilated kernels), leaving the layer to the GEMM kernel. */
static int dw_pick(const lk_conv2d_params *p, const conv_geom *g, uint32_t min_wg, dw_tile *t)
{
    *t = (dw_tile){16, 8, 4, 2};
    while (t->rx > 1 && (int64_t)(t->rx / 2) >= g->wo)
        t->rx /= 2;
    while (t->ry > 1 && (int64_t)(t->ry / 2) >= g->ho)
        t->ry /= 2;
    while (t->wg_x > 1 && (int64_t)(t->wg_x / 2 * t->rx) >= g->wo)
        t->wg_x /= 2, t->wg_y *= 2;
    while (t->wg_x * t->wg_y / 2 >= min_wg && (int64_t)(t->wg_y / 2 * t->ry) >= g->ho)
        t->wg_y /= 2;
    while (dw_window(p, t) > SHARED_FLOATS && (t->rx > 1 || t->ry > 1)) {
        if (t->ry > 1)
            t->ry /= 2;
        else
            t->rx /= 2;
    }
    return dw_window(p, t) <= SHARED_FLOATS;
}

/* Depthwise (one input channel per group, any channel multiplier): a
 * workgroup computes a tile of one output plane from its input window
 * staged in shared memory. */
static lk_status gpu_depthwise(const lk_node *n, const conv_geom *g, const dw_tile *t,
                               lk_kernels *k, lk_msg *msg)
{
    uint32_t tw = t->wg_x * t->rx, th = t->wg_y * t->ry;
    int64_t planes = g->n * g->m;
    if (planes > LK_MAX_GROUPS || lk_div_up((uint64_t)g->wo, tw) > LK_MAX_GROUPS ||
        lk_div_up((uint64_t)g->ho, th) > LK_MAX_GROUPS)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "output %lld planes of %lldx%lld is too large",
                       (long long)planes, (long long)g->ho, (long long)g->wo);

    lk_dispatch d;
    lk_dispatch_init(&d, LK_SH_conv2d_dw);
    spec_common(&d, n, g);
    lk_dispatch_spec(&d, t->wg_x * t->wg_y);
    lk_dispatch_spec(&d, t->wg_x);
    lk_dispatch_spec(&d, subgroup_lanes(lk_kernels_device(k)));
    lk_dispatch_spec(&d, t->rx);
    lk_dispatch_spec(&d, t->ry);
    d.full_subgroups = 1;
    lk_dispatch_push(&d, (uint32_t)g->c);
    lk_dispatch_push(&d, (uint32_t)g->m);
    lk_dispatch_push(&d, (uint32_t)g->mg);
    bind_all(&d, n, LK_BIND_IN(1));
    d.groups[0] = lk_div_up((uint64_t)g->wo, tw);
    d.groups[1] = lk_div_up((uint64_t)g->ho, th);
    d.groups[2] = (uint32_t)planes;
    return lk_kernels_dispatch(k, &d, msg);
}

/* A pointwise conv (1×1, stride 1, no padding, one group) is a GEMM per
 * image, Y[M,P] = W[M,K]·X[K,P]: run it on the matmul kernel (42 vs 9
 * GFLOP/s on lavapipe for 128→256 at 40×40). The kernel's A and B are node
 * inputs 0 and 1, so it computes Yᵀ[P,M] = Xᵀ·Wᵀ and stores it transposed;
 * the bias is C broadcast along P. */
static int is_pointwise(const lk_conv2d_params *p)
{
    return p->kernel[0] == 1 && p->kernel[1] == 1 && p->stride[0] == 1 && p->stride[1] == 1 &&
           p->groups == 1 && !p->pads[0] && !p->pads[1] && !p->pads[2] && !p->pads[3];
}

static lk_status gpu_pointwise(const lk_node *n, const lk_shape *in, lk_kernels *k, lk_msg *msg)
{
    int64_t batch = in[0].d[0], kk = in[0].d[1], pix = in[0].d[2] * in[0].d[3];
    int64_t m = in[1].d[0];
    const int64_t dims[3] = {pix, m, kk};
    const int64_t st[6] = {1, pix, 1, kk, 0, 1};
    if (batch > (int64_t)LK_MAX_GROUPS)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "%lld images exceed the dispatch limit",
                       (long long)batch);
    int32_t *off = malloc((size_t)batch * 2 * sizeof *off);
    if (!off)
        return lk_fail(msg, LK_ERR_NO_MEMORY, "out of memory");
    for (int64_t z = 0; z < batch; z++) {
        off[2 * z] = (int32_t)(z * kk * pix);
        off[2 * z + 1] = 0;
    }
    int bias = lk_node_has_input(n, 2);
    lk_status st_ = lk_matmul_record(k, dims, st, off, batch, bias ? 2 : -1, 1.0f, bias ? 1.0f : 0.0f,
                                     &n->p.conv2d.act, 1, msg);
    free(off);
    return st_;
}

static lk_status conv2d_gpu(const lk_node *n, const lk_shape *in, const lk_shape *out,
                            lk_kernels *k, lk_msg *msg)
{
    conv_geom g = geom(in, out, n->p.conv2d.groups);
    const lk_device_info *dev = lk_kernels_device(k);
    dw_tile t;
    /* Both kernels hand weights round with subgroup shuffles. */
    if (!dev->subgroup_shuffle)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "device %s has no subgroup shuffle in compute shaders",
                       dev->name);
    if (lk_shape_numel(&in[0]) > INT32_MAX || lk_shape_numel(&in[1]) > INT32_MAX ||
        lk_shape_numel(&out[0]) > INT32_MAX)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "tensors beyond 32-bit indexing");
    if (is_pointwise(&n->p.conv2d))
        return gpu_pointwise(n, in, k, msg);
    if (g.cg == 1 && dw_pick(&n->p.conv2d, &g, min_workgroup(dev), &t))
        return gpu_depthwise(n, &g, &t, k, msg);
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
