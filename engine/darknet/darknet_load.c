/* Darknet models into an lk_graph: one layer per cfg section after [net],
 * numbered from 0 as darknet numbers them (route and shortcut refer to
 * those numbers), weights read in cfg order from the .weights file.
 *
 * Layer semantics follow darknet (AlexeyAB's fork, which Yolo-Fastest and
 * OpenCV's importer follow):
 *   convolutional  pad=1 means size/2 on every side (it overrides padding=);
 *                  out = (in + 2·pad − size) / stride + 1; with
 *                  batch_normalize the bias comes after the normalisation
 *                  (x − mean) / sqrt(var + 1e-6) · scale (darknet's forward
 *                  pass and OpenCV's importer; 1e-5 is only in darknet's
 *                  backward pass), which the graph expresses as conv →
 *                  batchnorm → activation for lk_graph_optimize to fold;
 *   maxpool        padding (default size−1) in total, padding/2 before and
 *                  the rest after; padded taps never win;
 *   route          channel concatenation; with groups, the group_id-th
 *                  channel slice of each input;
 *   shortcut       previous layer + the `from` layer, then the activation;
 *   upsample       nearest, every pixel repeated stride times each way.
 * Weights file: int32 major, minor, revision, then `seen` as uint64 when
 * major·10 + minor ≥ 2 (and both < 1000), else uint32; then per
 * convolutional layer bias[n], [scale[n], mean[n], var[n]], weights
 * [n, c/groups, size, size], float32 little-endian. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "darknet_internal.h"
#include "lookout/darknet.h"

#define DN_BN_EPSILON 1e-6f
#define DN_MAX_SIDE 16384
#define DN_MAX_CHANNELS 65536
#define DN_MAX_ELEMENTS (INT64_C(1) << 28)   /* per layer output */
#define DN_MAX_ROUTE 64

typedef struct dn_layer {
    lk_tensor t;
    int64_t c, h, w;
    int is_yolo;
} dn_layer;

typedef struct loader {
    dn_cfg cfg;
    const char *wname;
    lk_graph *g;
    lk_darknet_info *info;
    lk_msg *msg;
    const unsigned char *wp; /* weights cursor */
    size_t w_left;           /* bytes after the cursor */
    float *tmp;              /* aligned copy of the values being read */
    size_t tmp_cap;
    dn_layer *layers;
    int n_layers;
    dn_section *s;           /* section being built */
    int idx;                 /* its layer number */
    dn_layer in;             /* what the previous layer produced */
} loader;

static const char *const ACT_NAMES =
    "linear, leaky, relu, relu6, logistic, tanh, mish, swish";

/* Fails with the current section's location in front of the text. */
static lk_status fail_at(loader *L, lk_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static lk_status fail_at(loader *L, lk_status st, const char *fmt, ...)
{
    char text[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    return lk_fail(L->msg, st, "%.200s:%d: [%.30s] (layer %d): %.280s", L->cfg.name,
                   L->s->line, L->s->type, L->idx, text);
}

/* An error from the graph API, placed at the current section. */
static lk_status graph_err(loader *L, lk_status st, const lk_msg *inner)
{
    return fail_at(L, st, "%s", inner->text);
}

/* The next float32 values of the weights file, as many as shape holds, as
 * a new constant; nonneg: negative values are refused (variances). */
static lk_status read_const(loader *L, const char *what, int nonneg, const lk_shape *shape,
                            lk_tensor *out)
{
    int64_t n = lk_shape_numel(shape);
    lk_msg m;
    if ((uint64_t)n > L->w_left / sizeof(float))
        return fail_at(L, LK_ERR_FORMAT,
                       "%.200s ends %s: %s needs %lld values, %zu bytes are left (the weights "
                       "do not match the cfg, or the file is truncated)", L->wname,
                       L->w_left ? "early" : "here", what, (long long)n, L->w_left);
    if ((size_t)n > L->tmp_cap) {
        float *t = realloc(L->tmp, (size_t)n * sizeof *t);
        if (!t)
            return fail_at(L, LK_ERR_NO_MEMORY, "out of memory");
        L->tmp = t;
        L->tmp_cap = (size_t)n;
    }
    memcpy(L->tmp, L->wp, (size_t)n * sizeof(float));
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(L->tmp[i]) || (nonneg && L->tmp[i] < 0.0f))
            return fail_at(L, LK_ERR_FORMAT, "%.200s: %s value %lld is %g (%s)", L->wname, what,
                           (long long)i, (double)L->tmp[i],
                           nonneg ? "must be finite and >= 0" : "must be finite");
    L->wp += (size_t)n * sizeof(float);
    L->w_left -= (size_t)n * sizeof(float);
    L->info->parameters += n;
    lk_status st = lk_graph_constant(L->g, NULL, shape, L->tmp, out, &m);
    return st ? graph_err(L, st, &m) : LK_OK;
}

static lk_status add_node(loader *L, lk_op op, const lk_params *p, const char *kind,
                          const lk_tensor *in, int n_in, lk_tensor *out)
{
    char name[48];
    lk_msg m;
    snprintf(name, sizeof name, "%s_%d", kind, L->idx);
    lk_status st = lk_graph_add(L->g, op, p, name, in, n_in, out, 1, &m);
    return st ? graph_err(L, st, &m) : LK_OK;
}

/* Darknet activation name → lk_activation. */
static lk_status parse_act(loader *L, lk_activation *a)
{
    const char *v = dn_get_str(L->s, "activation");
    *a = (lk_activation){LK_ACT_NONE, 0.0f, 0.0f};
    if (!v || !strcmp(v, "linear"))
        return LK_OK;
    if (!strcmp(v, "leaky"))
        *a = (lk_activation){LK_ACT_LEAKY_RELU, 0.1f, 0.0f};
    else if (!strcmp(v, "relu"))
        a->kind = LK_ACT_RELU;
    else if (!strcmp(v, "relu6"))
        *a = (lk_activation){LK_ACT_CLIP, 0.0f, 6.0f};
    else if (!strcmp(v, "logistic"))
        a->kind = LK_ACT_SIGMOID;
    else if (!strcmp(v, "tanh"))
        a->kind = LK_ACT_TANH;
    else if (!strcmp(v, "mish"))
        a->kind = LK_ACT_MISH;
    else if (!strcmp(v, "swish"))
        a->kind = LK_ACT_SILU;
    else
        return fail_at(L, LK_ERR_UNSUPPORTED, "activation '%.40s' is not supported (%s)", v,
                       ACT_NAMES);
    return LK_OK;
}

static lk_status apply_act(loader *L, const lk_activation *a, lk_tensor x, lk_tensor *out)
{
    lk_params p;
    if (a->kind == LK_ACT_NONE) {
        *out = x;
        return LK_OK;
    }
    lk_params_init(LK_OP_UNARY, &p);
    p.unary.act = *a;
    return add_node(L, LK_OP_UNARY, &p, "act", &x, 1, out);
}

/* Options that must be absent or 0: features the loader does not run. */
static lk_status require_zero(loader *L, const char *const *keys)
{
    for (; *keys; keys++) {
        int v;
        lk_status st = dn_get_int(&L->cfg, L->s, *keys, 0, -1000000, 1000000, &v, L->msg);
        if (st)
            return st;
        if (v)
            return fail_at(L, LK_ERR_UNSUPPORTED, "%s=%d is not supported", *keys, v);
    }
    return LK_OK;
}

/* Layer number `v` of a route/shortcut as darknet resolves it. */
static lk_status resolve_layer(loader *L, int v, const dn_layer **out)
{
    int j = v < 0 ? L->idx + v : v;
    if (j < 0 || j >= L->idx)
        return fail_at(L, LK_ERR_FORMAT, "refers to layer %d, which is not an earlier layer", v);
    if (L->layers[j].is_yolo)
        return fail_at(L, LK_ERR_UNSUPPORTED,
                       "refers to layer %d, a [yolo] layer (its decoded output is not in the "
                       "graph)", j);
    *out = &L->layers[j];
    return LK_OK;
}

static lk_status check_size(loader *L, dn_layer *o)
{
    if (o->c < 1 || o->h < 1 || o->w < 1 || o->c > DN_MAX_CHANNELS ||
        o->h > DN_MAX_SIDE || o->w > DN_MAX_SIDE || o->c * o->h * o->w > DN_MAX_ELEMENTS)
        return fail_at(L, LK_ERR_SHAPE, "output %lldx%lldx%lld (CxHxW) is empty or too large",
                       (long long)o->c, (long long)o->h, (long long)o->w);
    return LK_OK;
}

static lk_status build_conv(loader *L, dn_layer *o)
{
    static const char *const zero[] = {"binary", "xnor", "antialiasing", "deform", "flipped",
                                       "dontload", "dontloadscales", "share_index", NULL};
    static const char *const train[] = {"stopbackward", "train_only_bn", "learning_rate", NULL};
    dn_cfg *c = &L->cfg;
    dn_section *s = L->s;
    int filters, size, stride, sx, sy, pad, padding, groups, dilation, bn;
    lk_activation act;
    lk_status st;

    if ((st = dn_get_int(c, s, "filters", 1, 1, DN_MAX_CHANNELS, &filters, L->msg)) ||
        (st = dn_get_int(c, s, "size", 1, 1, 127, &size, L->msg)) ||
        (st = dn_get_int(c, s, "stride", 1, 1, 1024, &stride, L->msg)) ||
        (st = dn_get_int(c, s, "stride_x", stride, 1, 1024, &sx, L->msg)) ||
        (st = dn_get_int(c, s, "stride_y", stride, 1, 1024, &sy, L->msg)) ||
        (st = dn_get_int(c, s, "pad", 0, 0, 1, &pad, L->msg)) ||
        (st = dn_get_int(c, s, "padding", 0, 0, 1024, &padding, L->msg)) ||
        (st = dn_get_int(c, s, "groups", 1, 1, DN_MAX_CHANNELS, &groups, L->msg)) ||
        (st = dn_get_int(c, s, "dilation", 1, 1, 1024, &dilation, L->msg)) ||
        (st = dn_get_int(c, s, "batch_normalize", 0, 0, 1, &bn, L->msg)) ||
        (st = parse_act(L, &act)) || (st = require_zero(L, zero)))
        return st;
    dn_ignore(s, train);
    if (dilation != 1 && size > 1)
        return fail_at(L, LK_ERR_UNSUPPORTED, "dilation=%d is not supported", dilation);
    if (pad)
        padding = size / 2;
    if (L->in.c % groups || filters % groups)
        return fail_at(L, LK_ERR_SHAPE, "groups=%d does not divide the %lld input channels "
                       "and %d filters", groups, (long long)L->in.c, filters);
    if (L->in.h + 2 * padding < size || L->in.w + 2 * padding < size)
        return fail_at(L, LK_ERR_SHAPE, "size=%d is larger than the padded input %lldx%lld",
                       size, (long long)(L->in.h + 2 * padding),
                       (long long)(L->in.w + 2 * padding));
    o->c = filters;
    o->h = (L->in.h + 2 * padding - size) / sy + 1;
    o->w = (L->in.w + 2 * padding - size) / sx + 1;
    if ((st = check_size(L, o)))
        return st;

    int64_t n = filters;
    lk_shape vec = lk_shape_make(1, &n);
    lk_shape ws = lk_shape4(filters, L->in.c / groups, size, size);
    lk_tensor bias, scale = -1, mean = -1, var = -1, w, y;
    if ((st = read_const(L, "bias", 0, &vec, &bias)))
        return st;
    if (bn && ((st = read_const(L, "batch-norm scale", 0, &vec, &scale)) ||
               (st = read_const(L, "batch-norm mean", 0, &vec, &mean)) ||
               (st = read_const(L, "batch-norm variance", 1, &vec, &var))))
        return st;
    if ((st = read_const(L, "weights", 0, &ws, &w)))
        return st;

    lk_params p;
    lk_params_init(LK_OP_CONV2D, &p);
    p.conv2d.kernel[0] = p.conv2d.kernel[1] = size;
    p.conv2d.stride[0] = sy;
    p.conv2d.stride[1] = sx;
    for (int i = 0; i < 4; i++)
        p.conv2d.pads[i] = padding;
    p.conv2d.groups = groups;
    lk_tensor cin[3] = {L->in.t, w, bias};
    if ((st = add_node(L, LK_OP_CONV2D, &p, "conv", cin, bn ? 2 : 3, &y)))
        return st;
    if (bn) {
        lk_tensor bin[5] = {y, scale, bias, mean, var};
        lk_params_init(LK_OP_BATCHNORM, &p);
        p.norm.axis = 1;
        p.norm.epsilon = DN_BN_EPSILON;
        if ((st = add_node(L, LK_OP_BATCHNORM, &p, "bn", bin, 5, &y)))
            return st;
    }
    return apply_act(L, &act, y, &o->t);
}

static lk_status build_maxpool(loader *L, dn_layer *o)
{
    static const char *const zero[] = {"maxpool_depth", "antialiasing", NULL};
    dn_cfg *c = &L->cfg;
    dn_section *s = L->s;
    int size, stride, sx, sy, padding;
    lk_status st;

    if ((st = dn_get_int(c, s, "stride", 1, 1, 1024, &stride, L->msg)) ||
        (st = dn_get_int(c, s, "stride_x", stride, 1, 1024, &sx, L->msg)) ||
        (st = dn_get_int(c, s, "stride_y", stride, 1, 1024, &sy, L->msg)) ||
        (st = dn_get_int(c, s, "size", stride, 1, 127, &size, L->msg)) ||
        (st = dn_get_int(c, s, "padding", size - 1, 0, 1024, &padding, L->msg)) ||
        (st = require_zero(L, zero)))
        return st;
    if (L->in.h + padding < size || L->in.w + padding < size)
        return fail_at(L, LK_ERR_SHAPE, "size=%d is larger than the padded input", size);
    o->c = L->in.c;
    o->h = (L->in.h + padding - size) / sy + 1;
    o->w = (L->in.w + padding - size) / sx + 1;
    if ((st = check_size(L, o)))
        return st;

    lk_params p;
    lk_params_init(LK_OP_POOL2D, &p);
    p.pool2d.kind = LK_POOL_MAX;
    p.pool2d.kernel[0] = p.pool2d.kernel[1] = size;
    p.pool2d.stride[0] = sy;
    p.pool2d.stride[1] = sx;
    p.pool2d.pads[0] = p.pool2d.pads[1] = padding / 2;
    p.pool2d.pads[2] = p.pool2d.pads[3] = padding - padding / 2;
    return add_node(L, LK_OP_POOL2D, &p, "pool", &L->in.t, 1, &o->t);
}

static lk_status build_route(loader *L, dn_layer *o)
{
    dn_cfg *c = &L->cfg;
    dn_section *s = L->s;
    int ids[DN_MAX_ROUTE], n, groups, gid;
    lk_tensor parts[DN_MAX_ROUTE];
    lk_status st;

    if ((st = dn_get_ints(c, s, "layers", -1000000, 1000000, ids, DN_MAX_ROUTE, &n, L->msg)) ||
        (st = dn_get_int(c, s, "groups", 1, 1, DN_MAX_CHANNELS, &groups, L->msg)) ||
        (st = dn_get_int(c, s, "group_id", 0, 0, groups - 1, &gid, L->msg)))
        return st;
    if (!n)
        return fail_at(L, LK_ERR_FORMAT, "layers= is missing");
    o->c = 0;
    for (int i = 0; i < n; i++) {
        const dn_layer *src;
        if ((st = resolve_layer(L, ids[i], &src)))
            return st;
        if (i && (src->h != o->h || src->w != o->w))
            return fail_at(L, LK_ERR_SHAPE, "layer %d is %lldx%lld, layer %d is %lldx%lld "
                           "(HxW must match)", ids[0], (long long)o->h, (long long)o->w,
                           ids[i], (long long)src->h, (long long)src->w);
        if (src->c % groups)
            return fail_at(L, LK_ERR_SHAPE, "groups=%d does not divide the %lld channels of "
                           "layer %d", groups, (long long)src->c, ids[i]);
        o->h = src->h;
        o->w = src->w;
        o->c += src->c / groups;
        parts[i] = src->t;
        if (groups > 1) {
            lk_params p;
            lk_params_init(LK_OP_SLICE, &p);
            p.slice.n = 1;
            p.slice.axes[0] = 1;
            p.slice.starts[0] = src->c / groups * gid;
            p.slice.ends[0] = src->c / groups * (gid + 1);
            p.slice.steps[0] = 1;
            if ((st = add_node(L, LK_OP_SLICE, &p, "group", &src->t, 1, &parts[i])))
                return st;
        }
    }
    if ((st = check_size(L, o)))
        return st;
    /* One concat takes at most LK_MAX_NODE_INPUTS: chain them, each
     * result the first input of the next. */
    lk_tensor acc = parts[0];
    for (int i = 1; i < n;) {
        lk_tensor in[LK_MAX_NODE_INPUTS];
        int k = 0;
        in[k++] = acc;
        while (i < n && k < LK_MAX_NODE_INPUTS)
            in[k++] = parts[i++];
        lk_params p;
        lk_params_init(LK_OP_CONCAT, &p);
        p.axis.axis = 1;
        if ((st = add_node(L, LK_OP_CONCAT, &p, "route", in, k, &acc)))
            return st;
    }
    o->t = acc;
    return LK_OK;
}

static lk_status build_shortcut(loader *L, dn_layer *o)
{
    dn_section *s = L->s;
    int from[2], n;
    const dn_layer *src;
    lk_activation act;
    lk_status st;

    if ((st = dn_get_ints(&L->cfg, s, "from", -1000000, 1000000, from, 2, &n, L->msg)))
        return st;
    if (n != 1)
        return fail_at(L, LK_ERR_UNSUPPORTED, "from= must name exactly one layer");
    static const char *const none_only[] = {"weights_type", "weights_normalization", NULL};
    for (const char *const *k = none_only; *k; k++) {
        const char *v = dn_get_str(s, *k);
        if (v && strcmp(v, "none"))
            return fail_at(L, LK_ERR_UNSUPPORTED, "%s=%.40s is not supported", *k, v);
    }
    if ((st = resolve_layer(L, from[0], &src)) || (st = parse_act(L, &act)))
        return st;
    if (src->c != L->in.c || src->h != L->in.h || src->w != L->in.w)
        return fail_at(L, LK_ERR_UNSUPPORTED,
                       "layer %d is %lldx%lldx%lld, the previous layer %lldx%lldx%lld: "
                       "shortcuts between different shapes are not supported", from[0],
                       (long long)src->c, (long long)src->h, (long long)src->w,
                       (long long)L->in.c, (long long)L->in.h, (long long)L->in.w);
    *o = L->in;
    lk_params p;
    lk_params_init(LK_OP_BINARY, &p);
    p.binary.kind = LK_BIN_ADD;
    lk_tensor in[2] = {L->in.t, src->t}, y;
    if ((st = add_node(L, LK_OP_BINARY, &p, "shortcut", in, 2, &y)))
        return st;
    return apply_act(L, &act, y, &o->t);
}

static lk_status build_upsample(loader *L, dn_layer *o)
{
    int stride;
    float scale;
    lk_status st;
    if ((st = dn_get_int(&L->cfg, L->s, "stride", 2, 1, 64, &stride, L->msg)) ||
        (st = dn_get_float(&L->cfg, L->s, "scale", 1.0f, -1e6f, 1e6f, &scale, L->msg)))
        return st;
    if (scale != 1.0f)
        return fail_at(L, LK_ERR_UNSUPPORTED, "scale=%g is not supported", (double)scale);
    *o = L->in;
    o->h *= stride;
    o->w *= stride;
    if ((st = check_size(L, o)))
        return st;
    lk_params p;
    lk_params_init(LK_OP_RESIZE, &p);
    p.resize.mode = LK_RESIZE_NEAREST;
    p.resize.coord = LK_COORD_ASYMMETRIC;
    p.resize.nearest = LK_NEAREST_FLOOR;
    p.resize.out_size[0] = (int)o->h;
    p.resize.out_size[1] = (int)o->w;
    p.resize.scale[0] = p.resize.scale[1] = (float)stride;
    return add_node(L, LK_OP_RESIZE, &p, "upsample", &L->in.t, 1, &o->t);
}

static lk_status build_yolo(loader *L, dn_layer *o)
{
    static const char *const train[] = {
        "jitter", "ignore_thresh", "truth_thresh", "random", "iou_thresh", "cls_normalizer",
        "iou_normalizer", "obj_normalizer", "max_delta", "iou_loss", "nms_kind", "beta_nms",
        "resize", "focal_loss", "label_smooth_eps", "objectness_smooth", "counters_per_class",
        "max", "map", "track_history_size", "sim_thresh", "dets_for_track", "dets_for_show",
        "track_ciou_norm", "embedding_layer", "delta_normalizer", NULL};
    static const char *const zero[] = {"new_coords", NULL};
    dn_cfg *c = &L->cfg;
    dn_section *s = L->s;
    int mask[LK_DARKNET_MAX_ANCHORS], n_mask, num, classes, n_anchors;
    float anchors[2 * 64], sxy;
    lk_status st;

    if ((st = dn_get_int(c, s, "num", 1, 1, 64, &num, L->msg)) ||
        (st = dn_get_int(c, s, "classes", 20, 1, 100000, &classes, L->msg)) ||
        (st = dn_get_ints(c, s, "mask", 0, num - 1, mask, LK_DARKNET_MAX_ANCHORS, &n_mask,
                          L->msg)) ||
        (st = dn_get_floats(c, s, "anchors", 0.0f, 1e6f, anchors, 2 * 64, &n_anchors,
                            L->msg)) ||
        (st = dn_get_float(c, s, "scale_x_y", 1.0f, 0.0f, 100.0f, &sxy, L->msg)) ||
        (st = require_zero(L, zero)))
        return st;
    dn_ignore(s, train);
    if (!n_mask) {
        if (num > LK_DARKNET_MAX_ANCHORS)
            return fail_at(L, LK_ERR_UNSUPPORTED, "num=%d anchors without a mask (at most %d "
                           "per head)", num, LK_DARKNET_MAX_ANCHORS);
        for (n_mask = 0; n_mask < num; n_mask++)
            mask[n_mask] = n_mask;
    }
    if (n_anchors < 2 * num)
        return fail_at(L, LK_ERR_FORMAT, "anchors= has %d values, num=%d needs %d", n_anchors,
                       num, 2 * num);
    if (L->idx < 1)
        return fail_at(L, LK_ERR_FORMAT, "a [yolo] layer needs a layer before it");
    if (L->in.c != (int64_t)n_mask * (5 + classes))
        return fail_at(L, LK_ERR_SHAPE, "the layer before has %lld channels; %d anchors x "
                       "(5 + %d classes) needs %lld", (long long)L->in.c, n_mask, classes,
                       (long long)n_mask * (5 + classes));
    lk_darknet_info *info = L->info;
    if (info->n_heads >= LK_DARKNET_MAX_HEADS)
        return fail_at(L, LK_ERR_UNSUPPORTED, "more than %d [yolo] layers",
                       LK_DARKNET_MAX_HEADS);
    lk_darknet_head *h = &info->heads[info->n_heads];
    lk_msg m;
    if ((st = lk_graph_output(L->g, L->in.t, &m)))
        return graph_err(L, st, &m);
    h->output = info->n_heads++;
    h->grid_h = (int)L->in.h;
    h->grid_w = (int)L->in.w;
    h->n_anchors = n_mask;
    for (int i = 0; i < n_mask; i++) {
        h->anchors[i][0] = anchors[2 * mask[i]];
        h->anchors[i][1] = anchors[2 * mask[i] + 1];
    }
    h->classes = classes;
    h->scale_x_y = sxy;
    *o = L->in;
    o->is_yolo = 1;
    return LK_OK;
}

static lk_status build_net(loader *L, const lk_darknet_opts *o)
{
    dn_section *s = &L->cfg.sections[0];
    int w, h, c;
    lk_status st;
    L->s = s;
    L->idx = -1;
    if (strcmp(s->type, "net") && strcmp(s->type, "network"))
        return fail_at(L, LK_ERR_FORMAT, "the first section must be [net]");
    if ((st = dn_get_int(&L->cfg, s, "width", 0, 1, DN_MAX_SIDE, &w, L->msg)) ||
        (st = dn_get_int(&L->cfg, s, "height", 0, 1, DN_MAX_SIDE, &h, L->msg)) ||
        (st = dn_get_int(&L->cfg, s, "channels", 0, 1, 64, &c, L->msg)))
        return st;
    if (o->input_hw[0] > 0 || o->input_hw[1] > 0) {
        if (o->input_hw[0] < 1 || o->input_hw[1] < 1 || o->input_hw[0] > DN_MAX_SIDE ||
            o->input_hw[1] > DN_MAX_SIDE)
            return lk_fail(L->msg, LK_ERR_INVALID_ARG, "darknet: input size override %dx%d "
                           "out of range", o->input_hw[0], o->input_hw[1]);
        h = o->input_hw[0];
        w = o->input_hw[1];
    }
    if (!w || !h || !c)
        return fail_at(L, LK_ERR_FORMAT, "width, height and channels are required");
    L->info->input_h = h;
    L->info->input_w = w;
    L->info->input_c = c;
    lk_shape in = lk_shape4(1, c, h, w);
    lk_msg m;
    if ((st = lk_graph_input(L->g, "input", &in, &L->in.t, &m)))
        return graph_err(L, st, &m);
    L->in.c = c;
    L->in.h = h;
    L->in.w = w;
    return LK_OK;
}

static lk_status build_layers(loader *L)
{
    static const char *const dropout_keys[] = {"probability", "dropblock", "dropblock_size_rel",
                                               "dropblock_size_abs", NULL};
    lk_status st;
    L->layers = calloc((size_t)L->cfg.n_sections, sizeof *L->layers);
    if (!L->layers)
        return lk_fail(L->msg, LK_ERR_NO_MEMORY, "darknet: out of memory");
    for (int i = 1; i < L->cfg.n_sections; i++) {
        dn_section *s = &L->cfg.sections[i];
        dn_layer o = {0};
        const char *t = s->type;
        L->s = s;
        L->idx = i - 1;
        if (!strcmp(t, "convolutional") || !strcmp(t, "conv")) {
            st = build_conv(L, &o);
        } else if (!strcmp(t, "maxpool") || !strcmp(t, "max")) {
            st = build_maxpool(L, &o);
        } else if (!strcmp(t, "route")) {
            st = build_route(L, &o);
        } else if (!strcmp(t, "shortcut")) {
            st = build_shortcut(L, &o);
        } else if (!strcmp(t, "upsample")) {
            st = build_upsample(L, &o);
        } else if (!strcmp(t, "dropout")) {
            dn_ignore(s, dropout_keys);
            o = L->in;
            o.is_yolo = 0;
            st = LK_OK;
        } else if (!strcmp(t, "yolo")) {
            st = build_yolo(L, &o);
        } else {
            return fail_at(L, LK_ERR_UNSUPPORTED,
                           "section not supported (Lookout reads [net], [convolutional], "
                           "[maxpool], [route], [shortcut], [upsample], [dropout], [yolo])");
        }
        if (st || (st = dn_check_all_used(&L->cfg, s, L->msg)))
            return st;
        L->layers[L->n_layers++] = o;
        L->in = o;
    }
    L->info->n_layers = L->n_layers;
    if (!L->info->n_heads)
        return lk_fail(L->msg, LK_ERR_FORMAT, "%.200s: no [yolo] layer (Lookout loads darknet "
                       "detectors; their outputs are the [yolo] inputs)", L->cfg.name);
    return LK_OK;
}

static lk_status read_header(loader *L)
{
    int32_t v[3];
    if (L->w_left < sizeof v)
        return lk_fail(L->msg, LK_ERR_FORMAT, "%.200s: %zu bytes, shorter than the header",
                       L->wname, L->w_left);
    memcpy(v, L->wp, sizeof v);
    int64_t major = v[0], minor = v[1];
    size_t seen = major * 10 + minor >= 2 && major < 1000 && minor < 1000 ? 8 : 4;
    if (L->w_left < sizeof v + seen)
        return lk_fail(L->msg, LK_ERR_FORMAT, "%.200s: %zu bytes, shorter than the header",
                       L->wname, L->w_left);
    for (int i = 0; i < 3; i++)
        L->info->version[i] = v[i];
    L->wp += sizeof v + seen;
    L->w_left -= sizeof v + seen;
    return LK_OK;
}

void lk_darknet_opts_init(lk_darknet_opts *o)
{
    memset(o, 0, sizeof *o);
    o->optimize = 1;
    o->max_bytes = UINT64_C(1) << 30;
}

static lk_status load(const char *cfg_name, const char *cfg, size_t cfg_size,
                      const char *w_name, const void *weights, size_t w_size,
                      const lk_darknet_opts *opts, lk_graph **out, lk_darknet_info *info,
                      lk_msg *msg)
{
    lk_darknet_opts def;
    lk_darknet_info local;
    loader L;
    lk_status st;

    if (!opts) {
        lk_darknet_opts_init(&def);
        opts = &def;
    }
    info = info ? info : &local;
    memset(info, 0, sizeof *info);
    memset(&L, 0, sizeof L);
    if (!out || !cfg || (!weights && w_size))
        return lk_fail(msg, LK_ERR_INVALID_ARG, "darknet: NULL argument");
    *out = NULL;
    L.wname = w_name;
    L.info = info;
    L.msg = msg;
    L.wp = weights;
    L.w_left = w_size;
    if ((st = dn_cfg_parse(&L.cfg, cfg_name, cfg, cfg_size, msg)))
        return st;
    if ((st = lk_graph_new(&L.g, msg)) || (st = read_header(&L)) ||
        (st = build_net(&L, opts)) || (st = build_layers(&L)))
        goto fail;
    if (L.w_left) {
        st = lk_fail(msg, LK_ERR_FORMAT, "%.200s: %zu bytes left after the last layer's "
                     "weights: the weights do not match %.200s", w_name, L.w_left, cfg_name);
        goto fail;
    }
    if (opts->optimize && (st = lk_graph_optimize(L.g, NULL, msg)))
        goto fail;
    *out = L.g;
    L.g = NULL;
fail:
    lk_graph_free(L.g);
    free(L.layers);
    free(L.tmp);
    dn_cfg_free(&L.cfg);
    return st;
}

lk_status lk_darknet_load_buffer(const char *cfg, size_t cfg_size, const void *weights,
                                 size_t weights_size, const lk_darknet_opts *opts,
                                 lk_graph **out, lk_darknet_info *info, lk_msg *msg)
{
    return load("cfg", cfg, cfg_size, "weights", weights, weights_size, opts, out, info, msg);
}

static lk_status read_all(const char *path, uint64_t max, char **data, size_t *size,
                          lk_msg *msg)
{
    FILE *f = fopen(path, "rb");
    long n = -1;
    *data = NULL;
    if (!f)
        return lk_fail(msg, LK_ERR_IO, "%.300s: %s", path, strerror(errno));
    if (fseek(f, 0, SEEK_END) == 0)
        n = ftell(f);
    if (n < 0 || fseek(f, 0, SEEK_SET)) {
        fclose(f);
        return lk_fail(msg, LK_ERR_IO, "%.300s: cannot seek (not a regular file?)", path);
    }
    if ((uint64_t)n > max) {
        fclose(f);
        return lk_fail(msg, LK_ERR_FORMAT, "%.300s: %ld bytes, over the %llu-byte limit", path,
                       n, (unsigned long long)max);
    }
    *data = malloc((size_t)n + 1);
    if (!*data) {
        fclose(f);
        return lk_fail(msg, LK_ERR_NO_MEMORY, "%.300s: out of memory for %ld bytes", path, n);
    }
    if (fread(*data, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(*data);
        *data = NULL;
        return lk_fail(msg, LK_ERR_IO, "%.300s: read error", path);
    }
    fclose(f);
    *size = (size_t)n;
    return LK_OK;
}

lk_status lk_darknet_load(const char *cfg_path, const char *weights_path,
                          const lk_darknet_opts *opts, lk_graph **out, lk_darknet_info *info,
                          lk_msg *msg)
{
    lk_darknet_opts def;
    char *cfg = NULL, *w = NULL, *wpath = NULL;
    size_t cfg_size = 0, w_size = 0;
    lk_status st;

    if (!cfg_path || !out)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "darknet: NULL argument");
    if (!opts) {
        lk_darknet_opts_init(&def);
        opts = &def;
    }
    if (!weights_path) {
        size_t n = strlen(cfg_path);
        wpath = malloc(n + sizeof ".weights");
        if (!wpath)
            return lk_fail(msg, LK_ERR_NO_MEMORY, "darknet: out of memory");
        memcpy(wpath, cfg_path, n + 1);
        if (n > 4 && !strcmp(cfg_path + n - 4, ".cfg"))
            wpath[n - 4] = 0;
        strcat(wpath, ".weights");
        weights_path = wpath;
    }
    if (!(st = read_all(cfg_path, opts->max_bytes, &cfg, &cfg_size, msg)) &&
        !(st = read_all(weights_path, opts->max_bytes, &w, &w_size, msg)))
        st = load(cfg_path, cfg, cfg_size, weights_path, w, w_size, opts, out, info, msg);
    free(cfg);
    free(w);
    free(wpath);
    return st;
}
