/* ONNX ops (default domain, opsets up to 17) mapped onto lk ops. A
 * mapper reads the node's attributes and constant parameter inputs,
 * refuses what the engine cannot compute exactly as ONNX defines it, and
 * emits one or a few lk nodes. Mappers marked `host` below also evaluate
 * all-constant inputs themselves (shape arithmetic, int64 included). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_internal.h"

#define MAX_WINDOW 65535 /* kernel, stride, dilation and pad sizes */

static int is(const ox_ctx *c, const char *op)
{
    return !strcmp(c->node->op_type, op);
}

static lk_status need(ox_ctx *c, int i, ox_value **v)
{
    *v = ox_arg(c, i);
    return *v ? LK_OK : ox_fail(c, LK_ERR_FORMAT, "required input %d is missing", i);
}

/* Emits one node whose single output is the ONNX node's output 0. */
static lk_status emit1(ox_ctx *c, lk_op op, const lk_params *p, const lk_tensor *in, int n_in)
{
    lk_tensor y;
    lk_status st = ox_add(c, op, p, NULL, in, n_in, &y, 1);
    return st ? st : ox_out(c, 0, y);
}

/* Inputs 0..n-1 as graph tensors (absent optional ones as -1). */
static lk_status tensors(ox_ctx *c, int n, lk_tensor *t)
{
    for (int i = 0; i < n; i++) {
        ox_value *v = ox_arg(c, i);
        lk_status st;
        t[i] = -1;
        if (v && (st = ox_lk(c, v, &t[i])))
            return st;
    }
    return LK_OK;
}

/* An optional int attribute constrained to [lo, hi]. */
static lk_status int_attr(ox_ctx *c, const char *name, int64_t def, int64_t lo, int64_t hi,
                          int64_t *v)
{
    *v = ox_attr_int(c->node, name, def);
    if (*v < lo || *v > hi)
        return ox_fail(c, LK_ERR_FORMAT, "attribute %s = %lld is outside %lld..%lld", name,
                       (long long)*v, (long long)lo, (long long)hi);
    return LK_OK;
}

/* An optional ints attribute of exactly n values in [lo, hi]. */
static lk_status ints_attr(ox_ctx *c, const char *name, int n, int lo, int hi, int *out)
{
    const int64_t *v;
    int k = ox_attr_ints(c->node, name, &v);
    if (k < 0)
        return LK_OK;
    if (k != n)
        return ox_fail(c, LK_ERR_FORMAT, "attribute %s has %d values, expected %d", name, k, n);
    for (int i = 0; i < n; i++) {
        if (v[i] < lo || v[i] > hi)
            return ox_fail(c, LK_ERR_UNSUPPORTED, "attribute %s value %lld is outside %d..%d",
                           name, (long long)v[i], lo, hi);
        out[i] = (int)v[i];
    }
    return LK_OK;
}

static int64_t prod(const int64_t *d, int from, int to)
{
    int64_t n = 1;
    for (int i = from; i < to; i++)
        n *= d[i];
    return n;
}

/* The value unchanged (Identity, Dropout, a float Cast, an unbounded Clip). */
static lk_status pass_through(ox_ctx *c, ox_value *x)
{
    if (x->kind == OX_CONST) {
        ox_tensor t = x->c;
        t.owned = 0;
        return ox_out_const(c, 0, &t);
    }
    return ox_out(c, 0, x->t);
}

/* ------------------------------------------------------- activations */

static lk_status emit_act(ox_ctx *c, ox_value *x, const lk_activation *a)
{
    lk_params p;
    lk_tensor t;
    lk_status st = ox_lk(c, x, &t);
    if (st)
        return st;
    lk_params_init(LK_OP_UNARY, &p);
    p.unary.act = *a;
    return emit1(c, LK_OP_UNARY, &p, &t, 1);
}

lk_status ox_map_activation(ox_ctx *c, ox_value *x, lk_act kind)
{
    lk_activation a = {kind, 0.0f, 0.0f};
    return emit_act(c, x, &a);
}

static lk_status map_act(ox_ctx *c)
{
    static const struct { const char *op; lk_act act; } acts[] = {
        {"Relu", LK_ACT_RELU}, {"LeakyRelu", LK_ACT_LEAKY_RELU}, {"Sigmoid", LK_ACT_SIGMOID},
        {"Tanh", LK_ACT_TANH}, {"HardSwish", LK_ACT_HARDSWISH}, {"HardSigmoid", LK_ACT_HARDSIGMOID},
    };
    lk_activation a = {LK_ACT_NONE, 0.0f, 0.0f};
    ox_value *x;
    lk_status st = need(c, 0, &x);
    if (st)
        return st;
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++)
        if (is(c, acts[i].op))
            a.kind = acts[i].act;
    if (a.kind == LK_ACT_LEAKY_RELU)
        a.alpha = ox_attr_float(c->node, "alpha", 0.01f);
    if (a.kind == LK_ACT_HARDSIGMOID) {
        a.alpha = ox_attr_float(c->node, "alpha", 0.2f);
        a.beta = ox_attr_float(c->node, "beta", 0.5f);
    }
    return emit_act(c, x, &a);
}

static lk_status map_clip(ox_ctx *c)
{
    lk_activation a = {LK_ACT_CLIP, -INFINITY, INFINITY};
    ox_value *x;
    lk_status st = need(c, 0, &x);
    if (st)
        return st;
    if (c->opset < 11) {
        a.alpha = ox_attr_float(c->node, "min", -INFINITY);
        a.beta = ox_attr_float(c->node, "max", INFINITY);
    } else {
        for (int i = 1; i <= 2; i++) {
            const ox_tensor *t;
            if ((st = ox_param(c, i, i == 1 ? "min" : "max", &t)))
                return st;
            if (t && t->n != 1)
                return ox_fail(c, LK_ERR_FORMAT, "%s must be a scalar", i == 1 ? "min" : "max");
            if (t)
                *(i == 1 ? &a.alpha : &a.beta) = (float)ox_tensor_get(t, 0);
        }
    }
    if (!(a.alpha <= a.beta))
        return ox_fail(c, LK_ERR_UNSUPPORTED, "min %g is not below max %g", (double)a.alpha,
                       (double)a.beta);
    if (isinf(a.alpha) && isinf(a.beta))
        return pass_through(c, x);
    return emit_act(c, x, &a);
}

/* --------------------------------------------------------- elementwise */

static lk_status map_binary(ox_ctx *c)
{
    static const char *const names[LK_BIN_COUNT] = {"Add", "Sub", "Mul", "Div", "Pow"};
    ox_value *a, *b;
    lk_tensor t[2];
    lk_params p;
    lk_status st;
    if ((st = need(c, 0, &a)) || (st = need(c, 1, &b)))
        return st;
    if (!is(c, "Pow") && a->kind == OX_CONST && b->kind == OX_CONST)
        return ox_fold_binary(c, c->node->op_type);
    lk_params_init(LK_OP_BINARY, &p);
    for (int k = 0; k < LK_BIN_COUNT; k++)
        if (is(c, names[k]))
            p.binary.kind = (lk_binary_kind)k;
    if ((st = tensors(c, 2, t)))
        return st;
    return emit1(c, LK_OP_BINARY, &p, t, 2);
}

static lk_status map_compare(ox_ctx *c)
{
    return ox_fold_binary(c, c->node->op_type);
}

static lk_status map_host_unary(ox_ctx *c)
{
    return ox_fold_unary(c, c->node->op_type);
}

/* ---------------------------------------------------- shape and views */

static lk_status map_constant(ox_ctx *c) { return ox_fold_constant(c); }
static lk_status map_shape(ox_ctx *c) { return ox_fold_shape(c); }
static lk_status map_size(ox_ctx *c) { return ox_fold_size(c); }
static lk_status map_constant_of_shape(ox_ctx *c) { return ox_fold_constant_of_shape(c); }
static lk_status map_range(ox_ctx *c) { return ox_fold_range(c); }
static lk_status map_where(ox_ctx *c) { return ox_fold_where(c); }
static lk_status map_expand(ox_ctx *c) { return ox_fold_expand(c); }

static lk_status map_identity(ox_ctx *c)
{
    ox_value *x;
    const ox_tensor *mode;
    lk_status st = need(c, 0, &x);
    if (!st && is(c, "Dropout") && c->opset < 7 && ox_attr_int(c->node, "is_test", 0) != 1)
        return ox_fail(c, LK_ERR_UNSUPPORTED, "is_test = 0 (training) is not supported");
    if (!st && is(c, "Dropout") && c->opset >= 12 &&
        !(st = ox_param(c, 2, "training_mode", &mode)) && mode && mode->n == 1 &&
        ox_tensor_get(mode, 0) != 0.0)
        return ox_fail(c, LK_ERR_UNSUPPORTED, "training mode is not supported");
    return st ? st : pass_through(c, x);
}

static lk_status map_cast(ox_ctx *c)
{
    ox_value *x;
    lk_status st = need(c, 0, &x);
    const Onnx__AttributeProto *to = ox_attr(c->node, "to");
    if (st)
        return st;
    if (!to || !to->has_i)
        return ox_fail(c, LK_ERR_FORMAT, "has no 'to' attribute");
    if (x->kind == OX_CONST)
        return ox_fold_cast(c, (int)to->i);
    if (to->i != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
        return ox_fail(c, LK_ERR_UNSUPPORTED, "casting a run-time tensor to data type %lld: only "
                       "float tensors exist at run time", (long long)to->i);
    return pass_through(c, x);
}

/* x seen with another shape: a host alias for constants, a view otherwise. */
static lk_status reshape_to(ox_ctx *c, ox_value *x, int rank, const int64_t *d)
{
    lk_params p;
    lk_tensor t;
    lk_status st;
    if (rank > LK_MAX_DIMS)
        return ox_fail(c, LK_ERR_UNSUPPORTED, "result rank %d exceeds %d", rank, LK_MAX_DIMS);
    if (x->kind == OX_CONST) {
        ox_tensor r = x->c;
        if (prod(d, 0, rank) != r.n)
            return ox_fail(c, LK_ERR_SHAPE, "cannot reshape %s to %s",
                           ox_dims_str(r.rank, r.d, (char[160]){0}, 160),
                           ox_dims_str(rank, d, (char[160]){0}, 160));
        r.owned = 0;
        r.rank = rank;
        memcpy(r.d, d, (size_t)rank * sizeof *d);
        return ox_out_const(c, 0, &r);
    }
    if ((st = ox_lk(c, x, &t)))
        return st;
    lk_params_init(LK_OP_RESHAPE, &p);
    p.reshape.shape = lk_shape_make(rank, d);
    return emit1(c, LK_OP_RESHAPE, &p, &t, 1);
}

static lk_status map_reshape(ox_ctx *c)
{
    ox_value *x;
    int64_t spec[LK_MAX_DIMS], d[LK_MAX_DIMS], known = 1;
    int n, infer = -1;
    lk_status st;
    if ((st = need(c, 0, &x)) || (st = ox_param_ints(c, 1, "shape", spec, LK_MAX_DIMS, &n)))
        return st;
    if (n < 0)
        return ox_fail(c, LK_ERR_FORMAT, "required input 1 (shape) is missing");
    lk_shape xs = ox_shape(c, x);
    int64_t total = lk_shape_numel(&xs);
    int allowzero = c->opset >= 14 && ox_attr_int(c->node, "allowzero", 0) != 0;
    for (int i = 0; i < n; i++) {
        d[i] = spec[i];
        if (spec[i] == 0 && allowzero)
            return ox_fail(c, LK_ERR_UNSUPPORTED, "allowzero = 1 with a 0 in the shape");
        if (spec[i] == 0) {
            if (i >= xs.rank)
                return ox_fail(c, LK_ERR_FORMAT, "shape[%d] copies a dim the input lacks", i);
            d[i] = xs.d[i];
        } else if (spec[i] == -1) {
            if (infer >= 0)
                return ox_fail(c, LK_ERR_FORMAT, "shape has more than one -1");
            infer = i;
            continue;
        } else if (spec[i] < 0) {
            return ox_fail(c, LK_ERR_FORMAT, "shape[%d] is %lld", i, (long long)spec[i]);
        }
        known = known && d[i] > total / known ? total + 1 : known * d[i];
    }
    if (infer >= 0)
        d[infer] = known && total % known == 0 ? total / known : -1;
    if ((infer >= 0 && d[infer] < 0) || (infer < 0 && known != total))
        return ox_fail(c, LK_ERR_SHAPE, "cannot reshape %s to %s",
                       lk_shape_str(&xs, (char[160]){0}, 160),
                       ox_dims_str(n, spec, (char[160]){0}, 160));
    return reshape_to(c, x, n, d);
}

static lk_status map_flatten(ox_ctx *c)
{
    ox_value *x;
    int64_t axis, d[2];
    lk_status st = need(c, 0, &x);
    if (st)
        return st;
    lk_shape xs = ox_shape(c, x);
    if ((st = int_attr(c, "axis", 1, -xs.rank, xs.rank, &axis)))
        return st;
    if (axis < 0)
        axis += xs.rank;
    d[0] = prod(xs.d, 0, (int)axis);
    d[1] = prod(xs.d, (int)axis, xs.rank);
    return reshape_to(c, x, 2, d);
}

/* Axes from the attribute (before opset 13) or input 1. */
static lk_status axes_of(ox_ctx *c, int64_t *axes, int *n)
{
    if (c->opset >= 13)
        return ox_param_ints(c, 1, "axes", axes, LK_MAX_DIMS, n);
    const int64_t *v;
    *n = ox_attr_ints(c->node, "axes", &v);
    if (*n > LK_MAX_DIMS)
        return ox_fail(c, LK_ERR_UNSUPPORTED, "%d axes (at most %d)", *n, LK_MAX_DIMS);
    if (*n > 0)
        memcpy(axes, v, (size_t)*n * sizeof *v);
    return LK_OK;
}

static lk_status map_squeeze(ox_ctx *c)
{
    ox_value *x;
    int64_t axes[LK_MAX_DIMS], d[LK_MAX_DIMS];
    int n, drop[LK_MAX_DIMS] = {0}, rank = 0;
    lk_status st;
    if ((st = need(c, 0, &x)) || (st = axes_of(c, axes, &n)))
        return st;
    lk_shape xs = ox_shape(c, x);
    for (int i = 0; i < n; i++) {
        int a = axes[i] >= -xs.rank && axes[i] < xs.rank ? lk_axis_norm((int)axes[i], xs.rank) : -1;
        if (a < 0 || xs.d[a] != 1)
            return ox_fail(c, LK_ERR_FORMAT, "cannot squeeze axis %lld of %s", (long long)axes[i],
                           lk_shape_str(&xs, (char[160]){0}, 160));
        drop[a] = 1;
    }
    for (int i = 0; i < xs.rank; i++)
        if (!(n < 0 ? xs.d[i] == 1 : drop[i]))
            d[rank++] = xs.d[i];
    return reshape_to(c, x, rank, d);
}

static lk_status map_unsqueeze(ox_ctx *c)
{
    ox_value *x;
    int64_t axes[LK_MAX_DIMS], d[LK_MAX_DIMS];
    int n, ins[LK_MAX_DIMS] = {0};
    lk_status st;
    if ((st = need(c, 0, &x)) || (st = axes_of(c, axes, &n)))
        return st;
    lk_shape xs = ox_shape(c, x);
    if (n < 0)
        return ox_fail(c, LK_ERR_FORMAT, "has no axes");
    int rank = xs.rank + n;
    if (rank > LK_MAX_DIMS)
        return ox_fail(c, LK_ERR_UNSUPPORTED, "result rank %d exceeds %d", rank, LK_MAX_DIMS);
    for (int i = 0; i < n; i++) {
        int a = axes[i] >= -rank && axes[i] < rank ? lk_axis_norm((int)axes[i], rank) : -1;
        if (a < 0 || ins[a]++)
            return ox_fail(c, LK_ERR_FORMAT, "axis %lld is out of range or repeated",
                           (long long)axes[i]);
    }
    for (int i = 0, j = 0; i < rank; i++)
        d[i] = ins[i] ? 1 : xs.d[j++];
    return reshape_to(c, x, rank, d);
}

static lk_status map_transpose(ox_ctx *c)
{
    ox_value *x;
    int perm[LK_MAX_DIMS], seen[LK_MAX_DIMS] = {0};
    const int64_t *v;
    lk_status st = need(c, 0, &x);
    if (st)
        return st;
    lk_shape xs = ox_shape(c, x);
    int n = ox_attr_ints(c->node, "perm", &v);
    if (n >= 0 && n != xs.rank)
        return ox_fail(c, LK_ERR_FORMAT, "perm has %d entries for rank %d", n, xs.rank);
    for (int i = 0; i < xs.rank; i++) {
        perm[i] = n < 0 ? xs.rank - 1 - i : v[i] >= 0 && v[i] < xs.rank ? (int)v[i] : 0;
        if (n >= 0 && (v[i] < 0 || v[i] >= xs.rank || seen[perm[i]]++))
            return ox_fail(c, LK_ERR_FORMAT, "perm is not a permutation of 0..%d", xs.rank - 1);
    }
    if (x->kind == OX_CONST) {
        int64_t d[LK_MAX_DIMS], own[LK_MAX_DIMS], stride[LK_MAX_DIMS];
        lk_shape_strides(&xs, own);
        for (int i = 0; i < xs.rank; i++) {
            d[i] = xs.d[perm[i]];
            stride[i] = own[perm[i]];
        }
        return ox_fold_strided(c, &x->c, xs.rank, d, stride, 0);
    }
    lk_params p;
    lk_tensor t;
    lk_params_init(LK_OP_TRANSPOSE, &p);
    memcpy(p.transpose.perm, perm, sizeof perm);
    if ((st = ox_lk(c, x, &t)))
        return st;
    return emit1(c, LK_OP_TRANSPOSE, &p, &t, 1);
}

/* ------------------------------------------ concat, split, slice, gather */

static lk_status map_concat(ox_ctx *c)
{
    const Onnx__AttributeProto *ax = ox_attr(c->node, "axis");
    lk_tensor *in, acc = -1;
    int n = 0, done = 0, part = 0;
    lk_status st = LK_OK;
    if (!ax || !ax->has_i || ax->i < -LK_MAX_DIMS || ax->i >= LK_MAX_DIMS)
        return ox_fail(c, LK_ERR_FORMAT, "needs an axis attribute in -%d..%d", LK_MAX_DIMS,
                       LK_MAX_DIMS - 1);
    if (ox_all_const(c))
        return ox_fold_concat(c, (int)ax->i);
    in = malloc((size_t)ox_n_args(c) * sizeof *in);
    if (!in)
        return ox_fail(c, LK_ERR_NO_MEMORY, "out of memory");
    for (int i = 0; !st && i < ox_n_args(c); i++) {
        ox_value *v = ox_arg(c, i);
        if (v && !(v->kind == OX_CONST && v->c.n == 0)) /* empty parts add nothing */
            st = ox_lk(c, v, &in[n++]);
    }
    /* At most LK_MAX_NODE_INPUTS per node: longer lists are chained. */
    while (!st && done < n) {
        lk_tensor grp[LK_MAX_NODE_INPUTS];
        int k = 0;
        if (acc >= 0)
            grp[k++] = acc;
        while (k < LK_MAX_NODE_INPUTS && done < n)
            grp[k++] = in[done++];
        if (k == 1) {
            acc = grp[0];
            break;
        }
        lk_params p;
        char suffix[32];
        lk_params_init(LK_OP_CONCAT, &p);
        p.axis.axis = (int)ax->i;
        snprintf(suffix, sizeof suffix, "part%d", part++);
        st = ox_add(c, LK_OP_CONCAT, &p, done < n ? suffix : NULL, grp, k, &acc, 1);
    }
    free(in);
    if (!st && acc < 0)
        return ox_fail(c, LK_ERR_FORMAT, "has no non-empty inputs");
    return st ? st : ox_out(c, 0, acc);
}

static lk_status map_split(ox_ctx *c)
{
    ox_value *x;
    int n = (int)c->node->n_output, cnt = -1;
    int64_t axis, sizes[LK_MAX_NODE_OUTPUTS];
    lk_tensor t, outs[LK_MAX_NODE_OUTPUTS];
    lk_params p;
    lk_status st;
    if ((st = need(c, 0, &x)) ||
        (st = int_attr(c, "axis", 0, -LK_MAX_DIMS, LK_MAX_DIMS - 1, &axis)))
        return st;
    if (n < 1 || n > LK_MAX_NODE_OUTPUTS)
        return ox_fail(c, LK_ERR_UNSUPPORTED, "%d outputs (at most %d)", n, LK_MAX_NODE_OUTPUTS);
    if (c->opset >= 13) {
        if ((st = ox_param_ints(c, 1, "split", sizes, LK_MAX_NODE_OUTPUTS, &cnt)))
            return st;
    } else {
        const int64_t *v;
        cnt = ox_attr_ints(c->node, "split", &v);
        for (int i = 0; i < cnt && i < LK_MAX_NODE_OUTPUTS; i++)
            sizes[i] = v[i];
    }
    if (cnt >= 0 && cnt != n)
        return ox_fail(c, LK_ERR_FORMAT, "%d split sizes for %d outputs", cnt, n);
    lk_params_init(LK_OP_SPLIT, &p);
    p.split.axis = (int)axis;
    p.split.n = n;
    for (int i = 0; i < cnt; i++) {
        if (sizes[i] <= 0) /* lk reads all-zero sizes as equal parts */
            return ox_fail(c, LK_ERR_UNSUPPORTED, "split size %d is %lld", i, (long long)sizes[i]);
        if (sizes[i] > INT32_MAX)
            return ox_fail(c, LK_ERR_FORMAT, "split size %d is %lld", i, (long long)sizes[i]);
        p.split.sizes[i] = sizes[i];
    }
    if ((st = ox_lk(c, x, &t)) || (st = ox_add(c, LK_OP_SPLIT, &p, NULL, &t, 1, outs, n)))
        return st;
    for (int i = 0; !st && i < n; i++)
        st = ox_out(c, i, outs[i]);
    return st;
}

static lk_status slice_params(ox_ctx *c, int rank, lk_slice_params *sp)
{
    int64_t v[4][LK_MAX_DIMS];
    int n[4] = {-1, -1, -1, -1};
    static const char *const what[4] = {"starts", "ends", "axes", "steps"};
    lk_status st;
    for (int k = 0; k < 4; k++) {
        if (c->opset >= 10) {
            if ((st = ox_param_ints(c, k + 1, what[k], v[k], LK_MAX_DIMS, &n[k])))
                return st;
        } else if (k < 3) {
            const int64_t *a;
            n[k] = ox_attr_ints(c->node, what[k], &a);
            if (n[k] > LK_MAX_DIMS)
                return ox_fail(c, LK_ERR_FORMAT, "%s has %d values", what[k], n[k]);
            if (n[k] > 0)
                memcpy(v[k], a, (size_t)n[k] * sizeof *a);
        }
    }
    if (n[0] < 0 || n[1] < 0)
        return ox_fail(c, LK_ERR_FORMAT, "needs starts and ends");
    if (n[0] != n[1] || (n[2] >= 0 && n[2] != n[0]) || (n[3] >= 0 && n[3] != n[0]))
        return ox_fail(c, LK_ERR_FORMAT, "starts, ends, axes and steps differ in length");
    int seen[LK_MAX_DIMS] = {0};
    sp->n = n[0];
    for (int i = 0; i < n[0]; i++) {
        int64_t a = n[2] >= 0 ? v[2][i] : i;
        int an = a >= -rank && a < rank ? lk_axis_norm((int)a, rank) : -1;
        if (an < 0 || seen[an]++)
            return ox_fail(c, LK_ERR_FORMAT, "axis %lld is out of range or repeated", (long long)a);
        sp->axes[i] = an;
        sp->starts[i] = v[0][i];
        sp->ends[i] = v[1][i];
        sp->steps[i] = n[3] >= 0 ? v[3][i] : 1;
        if (!sp->steps[i])
            return ox_fail(c, LK_ERR_FORMAT, "step 0 on axis %lld", (long long)a);
    }
    return LK_OK;
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Where ONNX Slice reads, with clamped bounds: the result dims d, the
 * input strides of the result's axes and the first element read. */
static void slice_view(const lk_shape *xs, const lk_slice_params *sp, int64_t *d, int64_t *stride,
                       int64_t *base)
{
    int64_t own[LK_MAX_DIMS];
    memcpy(d, xs->d, sizeof xs->d);
    lk_shape_strides(xs, own);
    memcpy(stride, own, sizeof own);
    *base = 0;
    for (int i = 0; i < sp->n; i++) {
        int a = sp->axes[i];
        int64_t dim = xs->d[a], cnt;
        if (!dim)
            continue;
        int64_t s = clamp64(sp->steps[i], -dim, dim);
        int64_t b = sp->starts[i] < 0 ? sp->starts[i] + dim : sp->starts[i];
        int64_t e = sp->ends[i] < 0 ? sp->ends[i] + dim : sp->ends[i];
        if (s > 0) {
            b = clamp64(b, 0, dim);
            e = clamp64(e, 0, dim);
            cnt = e > b ? (e - b + s - 1) / s : 0;
        } else {
            b = clamp64(b, 0, dim - 1);
            e = clamp64(e, -1, dim - 1);
            cnt = b > e ? (b - e - s - 1) / -s : 0;
        }
        d[a] = cnt;
        stride[a] = own[a] * s;
        *base += b * own[a];
    }
}

static lk_status map_slice(ox_ctx *c)
{
    ox_value *x;
    lk_params p;
    lk_tensor t;
    int64_t d[LK_MAX_DIMS], stride[LK_MAX_DIMS], base;
    lk_status st = need(c, 0, &x);
    if (st)
        return st;
    lk_shape xs = ox_shape(c, x);
    lk_params_init(LK_OP_SLICE, &p);
    if ((st = slice_params(c, xs.rank, &p.slice)))
        return st;
    slice_view(&xs, &p.slice, d, stride, &base);
    if (x->kind == OX_CONST)
        return ox_fold_strided(c, &x->c, xs.rank, d, stride, base);
    for (int i = 0; i < xs.rank; i++)
        if (!d[i])
            return ox_fail(c, LK_ERR_UNSUPPORTED, "the result is empty (axis %d); tensors "
                           "computed at run time cannot be", i);
    if ((st = ox_lk(c, x, &t)))
        return st;
    return emit1(c, LK_OP_SLICE, &p, &t, 1);
}

static lk_status map_gather(ox_ctx *c)
{
    ox_value *x, *idx;
    const ox_tensor *it;
    int64_t axis;
    lk_params p;
    lk_tensor t;
    lk_status st;
    if ((st = need(c, 0, &x)) || (st = need(c, 1, &idx)) ||
        (st = int_attr(c, "axis", 0, -LK_MAX_DIMS, LK_MAX_DIMS - 1, &axis)))
        return st;
    if (ox_all_const(c))
        return ox_fold_gather(c, (int)axis);
    if ((st = ox_param(c, 1, "indices", &it)))
        return st;
    if (it->dtype != OX_I64)
        return ox_fail(c, LK_ERR_FORMAT, "indices are not integers");
    if (it->n < 1 || it->n > INT32_MAX)
        return ox_fail(c, LK_ERR_UNSUPPORTED, "%lld indices", (long long)it->n);
    lk_params_init(LK_OP_GATHER, &p);
    p.gather.axis = (int)axis;
    p.gather.n_indices = (int)it->n;
    p.gather.indices = it->v.i;
    p.gather.indices_shape = lk_shape_make(it->rank, it->d);
    if ((st = ox_lk(c, x, &t)))
        return st;
    return emit1(c, LK_OP_GATHER, &p, &t, 1);
}

/* --------------------------------------------------- convolution, pools */

/* Strides, dilations and pads of a 2-D window, auto_pad resolved. */
static lk_status window(ox_ctx *c, const lk_shape *xs, const int kernel[2], int stride[2],
                        int dil[2], int pads[4])
{
    char ap[32];
    lk_status st;
    stride[0] = stride[1] = dil[0] = dil[1] = 1;
    memset(pads, 0, 4 * sizeof *pads);
    if ((st = ints_attr(c, "strides", 2, 1, MAX_WINDOW, stride)) ||
        (st = ints_attr(c, "dilations", 2, 1, MAX_WINDOW, dil)) ||
        (st = ints_attr(c, "pads", 4, 0, MAX_WINDOW, pads)))
        return st;
    ox_attr_str(c->node, "auto_pad", "NOTSET", ap, sizeof ap);
    if (!strcmp(ap, "VALID")) {
        memset(pads, 0, 4 * sizeof *pads);
    } else if (!strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER")) {
        for (int a = 0; a < 2; a++) {
            int64_t in = xs->d[2 + a], out = (in + stride[a] - 1) / stride[a];
            int64_t total = (out - 1) * stride[a] + (int64_t)(kernel[a] - 1) * dil[a] + 1 - in;
            total = total < 0 ? 0 : total;
            if (total > 2 * MAX_WINDOW)
                return ox_fail(c, LK_ERR_UNSUPPORTED, "auto_pad needs %lld pads", (long long)total);
            pads[a] = (int)(ap[5] == 'U' ? total / 2 : total - total / 2);
            pads[a + 2] = (int)total - pads[a];
        }
    } else if (strcmp(ap, "NOTSET")) {
        return ox_fail(c, LK_ERR_FORMAT, "auto_pad '%s' is not an ONNX value", ap);
    }
    return LK_OK;
}

/* Kernel size from the weight dims, checked against kernel_shape. */
static lk_status conv_kernel(ox_ctx *c, const lk_shape *xs, const lk_shape *ws, int kernel[2])
{
    int ks[2] = {0, 0};
    if (xs->rank != 4 || ws->rank != 4)
        return ox_fail(c, LK_ERR_UNSUPPORTED, "only 2-D convolution is supported (input %s, "
                       "weight %s)", lk_shape_str(xs, (char[160]){0}, 160),
                       lk_shape_str(ws, (char[160]){0}, 160));
    lk_status st = ints_attr(c, "kernel_shape", 2, 1, MAX_WINDOW, ks);
    for (int a = 0; !st && a < 2; a++) {
        if (ws->d[2 + a] > MAX_WINDOW || (ks[a] && ks[a] != ws->d[2 + a]))
            return ox_fail(c, LK_ERR_FORMAT, "kernel_shape does not match the weight %s",
                           lk_shape_str(ws, (char[160]){0}, 160));
        kernel[a] = (int)ws->d[2 + a];
    }
    return st;
}

static lk_status map_conv(ox_ctx *c)
{
    ox_value *x, *w;
    lk_params p;
    lk_tensor t[3];
    int64_t group;
    lk_status st;
    if ((st = need(c, 0, &x)) || (st = need(c, 1, &w)))
        return st;
    lk_shape xs = ox_shape(c, x), ws = ox_shape(c, w);
    lk_params_init(LK_OP_CONV2D, &p);
    lk_conv2d_params *q = &p.conv2d;
    if ((st = conv_kernel(c, &xs, &ws, q->kernel)) ||
        (st = int_attr(c, "group", 1, 1, INT32_MAX, &group)) ||
        (st = window(c, &xs, q->kernel, q->stride, q->dilation, q->pads)) ||
        (st = tensors(c, 3, t)))
        return st;
    q->groups = (int)group;
    return emit1(c, LK_OP_CONV2D, &p, t, t[2] >= 0 ? 3 : 2);
}

static lk_status map_conv_transpose(ox_ctx *c)
{
    ox_value *x, *w;
    lk_params p;
    lk_tensor t[3];
    int64_t group;
    int oshape[4] = {0, 0, 0, 0};
    const int64_t *v;
    char ap[32];
    lk_status st;
    if ((st = need(c, 0, &x)) || (st = need(c, 1, &w)))
        return st;
    lk_shape xs = ox_shape(c, x), ws = ox_shape(c, w);
    lk_params_init(LK_OP_CONV_TRANSPOSE2D, &p);
    lk_conv_transpose2d_params *q = &p.conv_transpose2d;
    if ((st = conv_kernel(c, &xs, &ws, q->kernel)) ||
        (st = int_attr(c, "group", 1, 1, INT32_MAX, &group)) ||
        (st = ints_attr(c, "strides", 2, 1, MAX_WINDOW, q->stride)) ||
        (st = ints_attr(c, "dilations", 2, 1, MAX_WINDOW, q->dilation)) ||
        (st = ints_attr(c, "pads", 4, 0, MAX_WINDOW, q->pads)) ||
        (st = ints_attr(c, "output_padding", 2, 0, MAX_WINDOW, q->output_padding)))
        return st;
    q->groups = (int)group;
    /* output_shape (spatial, or the full rank) and auto_pad set the pads. */
    int n = ox_attr_ints(c->node, "output_shape", &v);
    if (n >= 0 && n != 2 && n != 4)
        return ox_fail(c, LK_ERR_FORMAT, "output_shape has %d values", n);
    if ((st = ints_attr(c, "output_shape", n, 1, INT32_MAX, oshape)))
        return st;
    ox_attr_str(c->node, "auto_pad", "NOTSET", ap, sizeof ap);
    int same = !strcmp(ap, "SAME_UPPER") || !strcmp(ap, "SAME_LOWER");
    if (!same && strcmp(ap, "NOTSET") && strcmp(ap, "VALID"))
        return ox_fail(c, LK_ERR_FORMAT, "auto_pad '%s' is not an ONNX value", ap);
    if (!strcmp(ap, "VALID"))
        memset(q->pads, 0, sizeof q->pads);
    for (int a = 0; (n > 0 || same) && a < 2; a++) {
        int64_t in = xs.d[2 + a];
        int64_t target = n > 0 ? oshape[n - 2 + a] : in * q->stride[a];
        int64_t total = q->stride[a] * (in - 1) + q->output_padding[a] +
                        (int64_t)(q->kernel[a] - 1) * q->dilation[a] + 1 - target;
        if (total < -MAX_WINDOW || total > 2 * MAX_WINDOW)
            return ox_fail(c, LK_ERR_UNSUPPORTED, "output size %lld needs pads %lld",
                           (long long)target, (long long)total);
        /* ONNX splits with floor division; a negative end pad adds rows no
         * tap reaches, which is what output_padding does. */
        int64_t half = total >= 0 ? total / 2 : -((1 - total) / 2);
        int64_t head = !strcmp(ap, "SAME_UPPER") ? half : total - half, tail = total - head;
        if (head < 0)
            return ox_fail(c, LK_ERR_UNSUPPORTED, "output size %lld needs a negative begin pad",
                           (long long)target);
        if (tail < 0) {
            q->output_padding[a] += (int)-tail;
            tail = 0;
        }
        q->pads[a] = (int)head;
        q->pads[a + 2] = (int)tail;
    }
    if ((st = tensors(c, 3, t)))
        return st;
    return emit1(c, LK_OP_CONV_TRANSPOSE2D, &p, t, t[2] >= 0 ? 3 : 2);
}

static lk_status map_pool(ox_ctx *c)
{
    ox_value *x;
    lk_params p;
    lk_tensor t;
    int64_t ceil_mode, cip;
    lk_status st = need(c, 0, &x);
    if (st)
        return st;
    lk_shape xs = ox_shape(c, x);
    if (xs.rank != 4)
        return ox_fail(c, LK_ERR_UNSUPPORTED, "only 2-D pooling is supported (input %s)",
                       lk_shape_str(&xs, (char[160]){0}, 160));
    lk_params_init(LK_OP_POOL2D, &p);
    lk_pool2d_params *q = &p.pool2d;
    q->kind = is(c, "MaxPool") ? LK_POOL_MAX : LK_POOL_AVG;
    q->kernel[0] = 0;
    if ((st = ints_attr(c, "kernel_shape", 2, 1, MAX_WINDOW, q->kernel)))
        return st;
    if (!q->kernel[0])
        return ox_fail(c, LK_ERR_FORMAT, "needs kernel_shape with 2 values");
    if ((st = window(c, &xs, q->kernel, q->stride, q->dilation, q->pads)) ||
        (st = int_attr(c, "ceil_mode", 0, 0, 1, &ceil_mode)) ||
        (st = int_attr(c, "count_include_pad", 0, 0, 1, &cip)) || (st = ox_lk(c, x, &t)))
        return st;
    q->ceil_mode = (int)ceil_mode;
    q->count_include_pad = (int)cip;
    return emit1(c, LK_OP_POOL2D, &p, &t, 1);
}

static lk_status map_global_pool(ox_ctx *c)
{
    lk_params p;
    lk_tensor t;
    lk_status st = tensors(c, 1, &t);
    if (st)
        return st;
    if (t < 0)
        return ox_fail(c, LK_ERR_FORMAT, "required input 0 is missing");
    lk_params_init(LK_OP_GLOBAL_POOL, &p);
    p.global_pool.kind = is(c, "GlobalMaxPool") ? LK_POOL_MAX : LK_POOL_AVG;
    return emit1(c, LK_OP_GLOBAL_POOL, &p, &t, 1);
}

/* ReduceMean / ReduceMax over every axis after the channels: a global pool. */
static lk_status map_reduce(ox_ctx *c)
{
    ox_value *x;
    const int64_t *v;
    int seen[LK_MAX_DIMS] = {0};
    int64_t keep;
    lk_status st;
    if ((st = need(c, 0, &x)) || (st = int_attr(c, "keepdims", 1, 0, 1, &keep)))
        return st;
    lk_shape xs = ox_shape(c, x);
    int n = ox_attr_ints(c->node, "axes", &v), ok = xs.rank >= 3 && n == xs.rank - 2;
    for (int i = 0; ok && i < n; i++) {
        int a = v[i] >= -xs.rank && v[i] < xs.rank ? lk_axis_norm((int)v[i], xs.rank) : -1;
        ok = a >= 2 && !seen[a]++;
    }
    if (!ok)
        return ox_fail(c, LK_ERR_UNSUPPORTED, "only a reduction over every axis after the "
                       "channels (axes 2..%d) is supported", xs.rank - 1);
    lk_params p;
    lk_tensor t;
    if ((st = ox_lk(c, x, &t)))
        return st;
    lk_params_init(LK_OP_GLOBAL_POOL, &p);
    p.global_pool.kind = is(c, "ReduceMax") ? LK_POOL_MAX : LK_POOL_AVG;
    if (keep)
        return emit1(c, LK_OP_GLOBAL_POOL, &p, &t, 1);
    if ((st = ox_add(c, LK_OP_GLOBAL_POOL, &p, "pool", &t, 1, &t, 1)))
        return st;
    lk_params_init(LK_OP_RESHAPE, &p);
    p.reshape.shape = lk_shape_make(2, xs.d);
    return emit1(c, LK_OP_RESHAPE, &p, &t, 1);
}

/* Sum of any number of inputs: a chain of broadcasting adds. */
static lk_status map_sum(ox_ctx *c)
{
    lk_params p;
    lk_tensor acc = -1;
    lk_status st = LK_OK;
    lk_params_init(LK_OP_BINARY, &p);
    p.binary.kind = LK_BIN_ADD;
    for (int i = 0; !st && i < ox_n_args(c); i++) {
        ox_value *v = ox_arg(c, i);
        lk_tensor t;
        char suffix[32];
        if (!v || (st = ox_lk(c, v, &t)))
            continue;
        if (acc < 0) {
            acc = t;
            continue;
        }
        lk_tensor in[2] = {acc, t};
        snprintf(suffix, sizeof suffix, "add%d", i);
        st = ox_add(c, LK_OP_BINARY, &p, i + 1 < ox_n_args(c) ? suffix : NULL, in, 2, &acc, 1);
    }
    if (!st && acc < 0)
        return ox_fail(c, LK_ERR_FORMAT, "has no inputs");
    return st ? st : ox_out(c, 0, acc);
}

/* ------------------------------------------------------------- resize */

static int lookup(const char *s, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(s, names[i]))
            return i;
    return -1;
}

static lk_status map_resize(ox_ctx *c)
{
    static const char *const coords[] = {"half_pixel", "asymmetric", "align_corners",
                                         "pytorch_half_pixel", "tf_half_pixel_for_nn"};
    static const char *const nearests[] = {"round_prefer_floor", "round_prefer_ceil", "floor",
                                           "ceil"};
    ox_value *x;
    lk_params p;
    lk_tensor t;
    char mode[32], coord[32] = "asymmetric", nearest[32];
    float scales[LK_MAX_DIMS];
    int64_t sizes[LK_MAX_DIMS];
    int ns = -1, nz = -1, upsample = is(c, "Upsample"), v11 = !upsample && c->opset >= 11;
    lk_status st = need(c, 0, &x);
    if (st)
        return st;
    lk_shape xs = ox_shape(c, x);
    int r = xs.rank;
    lk_params_init(LK_OP_RESIZE, &p);
    lk_resize_params *q = &p.resize;

    ox_attr_str(c->node, "mode", "nearest", mode, sizeof mode);
    if (!strcmp(mode, "linear") || (upsample && !strcmp(mode, "bilinear")))
        q->mode = LK_RESIZE_LINEAR;
    else if (!strcmp(mode, "cubic"))
        return ox_fail(c, LK_ERR_UNSUPPORTED, "mode 'cubic' is not supported");
    else if (strcmp(mode, "nearest"))
        return ox_fail(c, LK_ERR_FORMAT, "unknown mode '%s'", mode);
    /* Before opset 11 coordinates are asymmetric and nearest floors. */
    q->coord = LK_COORD_ASYMMETRIC;
    q->nearest = LK_NEAREST_FLOOR;
    if (v11) {
        ox_attr_str(c->node, "coordinate_transformation_mode", "half_pixel", coord, sizeof coord);
        ox_attr_str(c->node, "nearest_mode", "round_prefer_floor", nearest, sizeof nearest);
        int k = lookup(coord, coords, 5), m = lookup(nearest, nearests, 4);
        if (!strcmp(coord, "tf_crop_and_resize"))
            return ox_fail(c, LK_ERR_UNSUPPORTED, "coordinate mode 'tf_crop_and_resize' is not "
                           "supported");
        if (k < 0 || m < 0)
            return ox_fail(c, LK_ERR_FORMAT, "unknown coordinate mode '%s' or nearest mode '%s'",
                           coord, nearest);
        q->coord = (lk_coord_mode)k;
        q->nearest = (lk_nearest_mode)m;
    }

    if (upsample && c->opset < 9) {
        const float *v;
        ns = ox_attr_floats(c->node, "scales", &v);
        if (ns > LK_MAX_DIMS)
            return ox_fail(c, LK_ERR_FORMAT, "%d scales", ns);
        for (int i = 0; i < ns; i++)
            scales[i] = v[i];
    } else {
        const ox_tensor *s;
        if ((st = ox_param(c, v11 ? 2 : 1, "scales", &s)))
            return st;
        if (s && s->n > LK_MAX_DIMS)
            return ox_fail(c, LK_ERR_FORMAT, "%lld scales", (long long)s->n);
        ns = s && s->n ? (int)s->n : -1; /* opset 11 passes an empty tensor with sizes */
        for (int i = 0; i < ns; i++)
            scales[i] = (float)ox_tensor_get(s, i);
    }
    if (v11 && (st = ox_param_ints(c, 3, "sizes", sizes, LK_MAX_DIMS, &nz)))
        return st;
    if ((ns > 0) == (nz > 0))
        return ox_fail(c, LK_ERR_FORMAT, "needs exactly one of scales and sizes");
    if ((ns > 0 ? ns : nz) != r)
        return ox_fail(c, LK_ERR_FORMAT, "%d %s for an input of rank %d", ns > 0 ? ns : nz,
                       ns > 0 ? "scales" : "sizes", r);
    for (int i = 0; i < r; i++) {
        int lead = i < r - 2;
        if (ns > 0 && !(scales[i] > 0.0f && isfinite(scales[i])))
            return ox_fail(c, LK_ERR_FORMAT, "scale %g on axis %d", (double)scales[i], i);
        if (nz > 0 && (sizes[i] < 1 || sizes[i] > INT32_MAX))
            return ox_fail(c, LK_ERR_FORMAT, "size %lld on axis %d", (long long)sizes[i], i);
        if (lead && (ns > 0 ? scales[i] != 1.0f : sizes[i] != xs.d[i]))
            return ox_fail(c, LK_ERR_UNSUPPORTED, "only the last two axes can be resized "
                           "(axis %d changes)", i);
        if (lead)
            continue;
        if (nz > 0) {
            q->out_size[i - (r - 2)] = (int)sizes[i];
            continue;
        }
        /* The engine measures these modes by the whole output length, ONNX
         * by in·scale: they differ when that is fractional. */
        double len = (double)xs.d[i] * scales[i];
        if (len != floor(len) && (q->coord == LK_COORD_ALIGN_CORNERS ||
                                  (q->coord == LK_COORD_PYTORCH_HALF_PIXEL && len < 2.0)))
            return ox_fail(c, LK_ERR_UNSUPPORTED, "scale %g gives a fractional length %g on axis "
                           "%d, which '%s' measures differently", (double)scales[i], len, i, coord);
        q->scale[i - (r - 2)] = scales[i];
        if (!v11 && q->mode == LK_RESIZE_NEAREST && scales[i] < 1.0f)
            return ox_fail(c, LK_ERR_UNSUPPORTED, "nearest downsampling before opset 11");
    }
    if ((st = ox_lk(c, x, &t)))
        return st;
    return emit1(c, LK_OP_RESIZE, &p, &t, 1);
}

/* --------------------------------------------------- matmul and friends */

static lk_status map_matmul(ox_ctx *c)
{
    lk_params p;
    lk_tensor t[2];
    lk_status st = tensors(c, 2, t);
    if (st)
        return st;
    if (t[0] < 0 || t[1] < 0)
        return ox_fail(c, LK_ERR_FORMAT, "needs inputs A and B");
    lk_params_init(LK_OP_MATMUL, &p);
    return emit1(c, LK_OP_MATMUL, &p, t, 2);
}

static lk_status map_gemm(ox_ctx *c)
{
    lk_params p;
    lk_tensor t[3];
    int64_t ta, tb;
    lk_status st;
    if ((st = tensors(c, 3, t)) || (st = int_attr(c, "transA", 0, 0, 1, &ta)) ||
        (st = int_attr(c, "transB", 0, 0, 1, &tb)))
        return st;
    if (t[0] < 0 || t[1] < 0)
        return ox_fail(c, LK_ERR_FORMAT, "needs inputs A and B");
    lk_params_init(LK_OP_GEMM, &p);
    p.gemm.trans_a = (int)ta;
    p.gemm.trans_b = (int)tb;
    p.gemm.alpha = ox_attr_float(c->node, "alpha", 1.0f);
    p.gemm.beta = ox_attr_float(c->node, "beta", 1.0f);
    return emit1(c, LK_OP_GEMM, &p, t, t[2] >= 0 ? 3 : 2);
}

static lk_status map_softmax(ox_ctx *c)
{
    ox_value *x;
    lk_params p;
    lk_tensor t;
    int64_t axis;
    lk_status st = need(c, 0, &x);
    if (st)
        return st;
    lk_shape xs = ox_shape(c, x);
    if ((st = int_attr(c, "axis", c->opset < 13 ? 1 : -1, -xs.rank, xs.rank - 1, &axis)) ||
        (st = ox_lk(c, x, &t)))
        return st;
    int a = lk_axis_norm((int)axis, xs.rank);
    lk_params_init(LK_OP_SOFTMAX, &p);
    p.axis.axis = a;
    if (c->opset >= 13 || a == xs.rank - 1)
        return emit1(c, LK_OP_SOFTMAX, &p, &t, 1);
    /* Before opset 13: softmax of the input flattened to 2-D at axis. */
    lk_params r;
    int64_t d[2] = {prod(xs.d, 0, a), prod(xs.d, a, xs.rank)};
    lk_params_init(LK_OP_RESHAPE, &r);
    r.reshape.shape = lk_shape_make(2, d);
    p.axis.axis = 1;
    if ((st = ox_add(c, LK_OP_RESHAPE, &r, "flatten", &t, 1, &t, 1)) ||
        (st = ox_add(c, LK_OP_SOFTMAX, &p, "softmax", &t, 1, &t, 1)))
        return st;
    r.reshape.shape = xs;
    return emit1(c, LK_OP_RESHAPE, &r, &t, 1);
}

static lk_status map_layernorm(ox_ctx *c)
{
    lk_params p;
    lk_tensor t[3];
    int64_t axis;
    lk_status st;
    if ((st = tensors(c, 3, t)) || (st = int_attr(c, "axis", -1, -LK_MAX_DIMS, LK_MAX_DIMS, &axis)))
        return st;
    if (t[0] < 0 || t[1] < 0)
        return ox_fail(c, LK_ERR_FORMAT, "needs inputs X and Scale");
    lk_params_init(LK_OP_LAYERNORM, &p);
    p.norm.axis = (int)axis;
    p.norm.epsilon = ox_attr_float(c->node, "epsilon", 1e-5f);
    return emit1(c, LK_OP_LAYERNORM, &p, t, t[2] >= 0 ? 3 : 2);
}

static lk_status map_batchnorm(ox_ctx *c)
{
    lk_params p;
    lk_tensor t[5];
    lk_status st;
    if (c->opset < 7 && ox_attr_int(c->node, "is_test", 0) != 1)
        return ox_fail(c, LK_ERR_UNSUPPORTED, "is_test = 0 (training) is not supported");
    if (c->opset < 9 && ox_attr_int(c->node, "spatial", 1) != 1)
        return ox_fail(c, LK_ERR_UNSUPPORTED, "spatial = 0 is not supported");
    if (ox_attr_int(c->node, "training_mode", 0) != 0)
        return ox_fail(c, LK_ERR_UNSUPPORTED, "training mode is not supported");
    if ((st = tensors(c, 5, t)))
        return st;
    for (int i = 0; i < 5; i++)
        if (t[i] < 0)
            return ox_fail(c, LK_ERR_FORMAT, "required input %d is missing", i);
    lk_params_init(LK_OP_BATCHNORM, &p);
    p.norm.epsilon = ox_attr_float(c->node, "epsilon", 1e-5f);
    return emit1(c, LK_OP_BATCHNORM, &p, t, 5);
}

static lk_status map_pad(ox_ctx *c)
{
    static const char *const modes[] = {"constant", "reflect", "edge"};
    static const lk_pad_mode lk_modes[] = {LK_PAD_ZERO, LK_PAD_REFLECT, LK_PAD_REPLICATE};
    ox_value *x;
    lk_params p;
    lk_tensor t;
    char mode[32];
    int n;
    lk_status st = need(c, 0, &x);
    if (st)
        return st;
    lk_shape xs = ox_shape(c, x);
    lk_params_init(LK_OP_PAD, &p);
    if (c->opset < 11) {
        const int64_t *v;
        n = ox_attr_ints(c->node, "pads", &v);
        if (n > 2 * LK_MAX_DIMS)
            return ox_fail(c, LK_ERR_FORMAT, "%d pads", n);
        for (int i = 0; i < n; i++)
            p.pad.pads[i] = v[i];
        p.pad.value = ox_attr_float(c->node, "value", 0.0f);
    } else {
        const ox_tensor *v;
        if ((st = ox_param_ints(c, 1, "pads", p.pad.pads, 2 * LK_MAX_DIMS, &n)) ||
            (st = ox_param(c, 2, "constant_value", &v)))
            return st;
        if (v && v->n > 1)
            return ox_fail(c, LK_ERR_FORMAT, "constant_value must be a scalar");
        if (v && v->n == 1)
            p.pad.value = (float)ox_tensor_get(v, 0);
    }
    if (n != 2 * xs.rank)
        return ox_fail(c, LK_ERR_FORMAT, "%d pads for rank %d", n, xs.rank);
    for (int i = 0; i < n; i++)
        if (p.pad.pads[i] < -INT32_MAX || p.pad.pads[i] > INT32_MAX)
            return ox_fail(c, LK_ERR_FORMAT, "pad %d is %lld", i, (long long)p.pad.pads[i]);
    ox_attr_str(c->node, "mode", "constant", mode, sizeof mode);
    int m = lookup(mode, modes, 3);
    if (m < 0)
        return ox_fail(c, LK_ERR_UNSUPPORTED, "mode '%s' is not supported", mode);
    p.pad.mode = lk_modes[m];
    if ((st = ox_lk(c, x, &t)))
        return st;
    return emit1(c, LK_OP_PAD, &p, &t, 1);
}

/* ------------------------------------------------------------- table */

/* since: the oldest opset whose definition of the op the mapper follows
 * (older ones carried attributes such as consumed_inputs, is_test or
 * broadcast that change the meaning); later changes are handled by opset. */
static const struct {
    const char *op;
    ox_mapper fn;
    int host;
    int since;
} table[] = {
    {"Abs", map_host_unary, 1, 6},
    {"Add", map_binary, 1, 7},
    {"AveragePool", map_pool, 0, 1},
    {"BatchNormalization", map_batchnorm, 0, 6},
    {"Cast", map_cast, 1, 6},
    {"Ceil", map_host_unary, 1, 6},
    {"Clip", map_clip, 0, 6},
    {"Concat", map_concat, 1, 4},
    {"Constant", map_constant, 1, 1},
    {"ConstantOfShape", map_constant_of_shape, 1, 9},
    {"Conv", map_conv, 0, 1},
    {"ConvTranspose", map_conv_transpose, 0, 1},
    {"Div", map_binary, 1, 7},
    {"Dropout", map_identity, 1, 6},
    {"Equal", map_compare, 1, 7},
    {"Expand", map_expand, 1, 8},
    {"Flatten", map_flatten, 1, 1},
    {"Floor", map_host_unary, 1, 6},
    {"Gather", map_gather, 1, 1},
    {"Gemm", map_gemm, 0, 7},
    {"GlobalAveragePool", map_global_pool, 0, 1},
    {"GlobalMaxPool", map_global_pool, 0, 1},
    {"Greater", map_compare, 1, 7},
    {"HardSigmoid", map_act, 0, 6},
    {"HardSwish", map_act, 0, 14},
    {"Identity", map_identity, 1, 1},
    {"LayerNormalization", map_layernorm, 0, 17},
    {"LeakyRelu", map_act, 0, 6},
    {"Less", map_compare, 1, 7},
    {"MatMul", map_matmul, 0, 1},
    {"MaxPool", map_pool, 0, 1},
    {"Mul", map_binary, 1, 7},
    {"Neg", map_host_unary, 1, 6},
    {"Not", map_host_unary, 1, 1},
    {"Pad", map_pad, 0, 2},
    {"Pow", map_binary, 0, 7},
    {"Range", map_range, 1, 11},
    {"ReduceMax", map_reduce, 0, 1},
    {"ReduceMean", map_reduce, 0, 1},
    {"Relu", map_act, 0, 6},
    {"Reshape", map_reshape, 1, 5},
    {"Resize", map_resize, 0, 10},
    {"Shape", map_shape, 1, 1},
    {"Sigmoid", map_act, 0, 6},
    {"Size", map_size, 1, 1},
    {"Slice", map_slice, 1, 1},
    {"Softmax", map_softmax, 0, 1},
    {"Split", map_split, 0, 2},
    {"Sqrt", map_host_unary, 1, 6},
    {"Squeeze", map_squeeze, 1, 1},
    {"Sub", map_binary, 1, 7},
    {"Sum", map_sum, 0, 6},
    {"Tanh", map_act, 0, 6},
    {"Transpose", map_transpose, 1, 1},
    {"Unsqueeze", map_unsqueeze, 1, 1},
    {"Upsample", map_resize, 0, 7},
    {"Where", map_where, 1, 9},
};

ox_mapper ox_find_mapper(const char *op_type, int *host, int *since)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (!strcmp(table[i].op, op_type)) {
            *host = table[i].host;
            *since = table[i].since;
            return table[i].fn;
        }
    return NULL;
}
