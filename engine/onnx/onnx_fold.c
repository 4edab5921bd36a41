/* Host evaluation of nodes whose inputs are constants: the shape
 * arithmetic exporters emit (Shape → Gather → Unsqueeze → Concat →
 * Reshape, constant Slice parameters, ConstantOfShape, Range, Where...).
 * int64 stays int64; float follows the lk reference's fp32 arithmetic. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "onnx_internal.h"

static size_t esize(const ox_tensor *t)
{
    return t->dtype == OX_F32 ? 4 : 8;
}

static int64_t numel(int rank, const int64_t *d)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= d[i];
    return n;
}

/* Offset of flat output index i walking dims d with the given strides. */
static int64_t offset_of(int64_t i, int rank, const int64_t *d, const int64_t *stride)
{
    int64_t off = 0;
    for (int k = rank - 1; k >= 0; k--) {
        off += (i % d[k]) * stride[k];
        i /= d[k];
    }
    return off;
}

/* Strides of t seen from an output of `rank` dims d (numpy broadcast: 0
 * where t repeats). */
static void broadcast_strides(const ox_tensor *t, int rank, const int64_t *d, int64_t *st)
{
    int64_t s = 1;
    for (int k = rank - 1; k >= 0; k--) {
        int j = k - (rank - t->rank);
        st[k] = j >= 0 && t->d[j] == d[k] && d[k] != 1 ? s : 0;
        if (j >= 0)
            s *= t->d[j];
    }
}

/* Numpy broadcast of a and b into rank/d (a may alias the output dims). */
static lk_status broadcast(ox_ctx *c, const ox_tensor *a, const ox_tensor *b, int *rank, int64_t *d)
{
    int r = a->rank > b->rank ? a->rank : b->rank;
    for (int k = 0; k < r; k++) {
        int ja = k - (r - a->rank), jb = k - (r - b->rank);
        int64_t x = ja >= 0 ? a->d[ja] : 1, y = jb >= 0 ? b->d[jb] : 1;
        if (x != y && x != 1 && y != 1) {
            char s1[160], s2[160];
            return ox_fail(c, LK_ERR_SHAPE, "shapes %s and %s are not broadcastable",
                           ox_dims_str(a->rank, a->d, s1, sizeof s1),
                           ox_dims_str(b->rank, b->d, s2, sizeof s2));
        }
        d[k] = x == 1 ? y : x;
    }
    *rank = r;
    return LK_OK;
}

static lk_status need_const(ox_ctx *c)
{
    for (int i = 0; i < ox_n_args(c); i++) {
        ox_value *v = ox_arg(c, i);
        if (v && v->kind != OX_CONST)
            return ox_fail(c, LK_ERR_UNSUPPORTED, "input %d ('%.100s') is computed at run time; "
                           "only constant inputs are supported here", i, v->name);
    }
    return LK_OK;
}

/* A constant input by position, required. */
static lk_status input(ox_ctx *c, int i, const ox_tensor **t)
{
    ox_value *v = ox_arg(c, i);
    *t = v ? &v->c : NULL;
    return v ? LK_OK : ox_fail(c, LK_ERR_FORMAT, "input %d is missing", i);
}

static lk_status scalar(ox_ctx *c, int i, const char *what, const ox_tensor **t)
{
    lk_status st = input(c, i, t);
    if (!st && (*t)->n != 1)
        return ox_fail(c, LK_ERR_FORMAT, "%s must hold one value, not %lld", what,
                       (long long)(*t)->n);
    return st;
}

lk_status ox_fold_constant(ox_ctx *c)
{
    const Onnx__NodeProto *n = c->node;
    const Onnx__AttributeProto *a;
    ox_tensor t;
    lk_status st;

    if ((a = ox_attr(n, "value")) && a->t) {
        if ((st = ox_tensor_decode(c, a->t, &t, "value")))
            return st;
    } else if ((a = ox_attr(n, "value_float")) && a->has_f) {
        if ((st = ox_tensor_alloc(c, &t, OX_F32, 0, NULL)))
            return st;
        t.v.f[0] = a->f;
    } else if ((a = ox_attr(n, "value_int")) && a->has_i) {
        if ((st = ox_tensor_alloc(c, &t, OX_I64, 0, NULL)))
            return st;
        t.v.i[0] = a->i;
    } else if ((a = ox_attr(n, "value_floats"))) {
        int64_t len = (int64_t)a->n_floats;
        if ((st = ox_tensor_alloc(c, &t, OX_F32, 1, &len)))
            return st;
        if (len)
            memcpy(t.v.f, a->floats, (size_t)len * sizeof(float));
    } else if ((a = ox_attr(n, "value_ints"))) {
        int64_t len = (int64_t)a->n_ints;
        if ((st = ox_tensor_alloc(c, &t, OX_I64, 1, &len)))
            return st;
        if (len)
            memcpy(t.v.i, a->ints, (size_t)len * sizeof(int64_t));
    } else if (ox_attr(n, "sparse_value") || ox_attr(n, "value_string") ||
               ox_attr(n, "value_strings")) {
        return ox_fail(c, LK_ERR_UNSUPPORTED, "sparse and string constants are not supported");
    } else {
        return ox_fail(c, LK_ERR_FORMAT, "has no value attribute");
    }
    return ox_out_const(c, 0, &t);
}

lk_status ox_fold_shape(ox_ctx *c)
{
    ox_value *x = ox_arg(c, 0);
    ox_tensor t;
    lk_status st;
    if (!x)
        return ox_fail(c, LK_ERR_FORMAT, "input 0 is missing");
    lk_shape s = ox_shape(c, x);
    int64_t b = ox_attr_int(c->node, "start", 0), e = ox_attr_int(c->node, "end", s.rank);
    b = b < 0 ? b + s.rank : b;
    e = e < 0 ? e + s.rank : e;
    b = b < 0 ? 0 : b > s.rank ? s.rank : b;
    e = e < 0 ? 0 : e > s.rank ? s.rank : e;
    int64_t len = e > b ? e - b : 0;
    if ((st = ox_tensor_alloc(c, &t, OX_I64, 1, &len)))
        return st;
    for (int64_t i = 0; i < len; i++)
        t.v.i[i] = s.d[b + i];
    return ox_out_const(c, 0, &t);
}

lk_status ox_fold_size(ox_ctx *c)
{
    ox_value *x = ox_arg(c, 0);
    ox_tensor t;
    lk_status st;
    if (!x)
        return ox_fail(c, LK_ERR_FORMAT, "input 0 is missing");
    lk_shape s = ox_shape(c, x);
    if ((st = ox_tensor_alloc(c, &t, OX_I64, 0, NULL)))
        return st;
    t.v.i[0] = numel(s.rank, s.d);
    return ox_out_const(c, 0, &t);
}

lk_status ox_fold_constant_of_shape(ox_ctx *c)
{
    int64_t d[LK_MAX_DIMS];
    int rank;
    ox_tensor t, val;
    lk_status st;
    const Onnx__AttributeProto *a = ox_attr(c->node, "value");

    if ((st = need_const(c)) || (st = ox_param_ints(c, 0, "shape", d, LK_MAX_DIMS, &rank)))
        return st;
    if (rank < 0)
        return ox_fail(c, LK_ERR_FORMAT, "input 0 is missing");
    memset(&val, 0, sizeof val);
    if (a && a->t && (st = ox_tensor_decode(c, a->t, &val, "value")))
        return st;
    if (a && a->t && val.n != 1) {
        ox_tensor_free(&val);
        return ox_fail(c, LK_ERR_FORMAT, "value must hold one element");
    }
    if (!(st = ox_tensor_alloc(c, &t, a && a->t ? val.dtype : OX_F32, rank, d)))
        for (int64_t i = 0; i < t.n; i++) {
            if (t.dtype == OX_F32)
                t.v.f[i] = a && a->t ? val.v.f[0] : 0.0f;
            else
                t.v.i[i] = val.v.i[0];
        }
    ox_tensor_free(&val);
    return st ? st : ox_out_const(c, 0, &t);
}

lk_status ox_fold_range(ox_ctx *c)
{
    const ox_tensor *s, *l, *dl;
    ox_tensor t;
    lk_status st;
    if ((st = need_const(c)) || (st = scalar(c, 0, "start", &s)) ||
        (st = scalar(c, 1, "limit", &l)) || (st = scalar(c, 2, "delta", &dl)))
        return st;
    double a = ox_tensor_get(s, 0), b = ox_tensor_get(l, 0), d = ox_tensor_get(dl, 0);
    if (d == 0.0 || !isfinite(a) || !isfinite(b) || !isfinite(d))
        return ox_fail(c, LK_ERR_FORMAT, "range %g..%g step %g", a, b, d);
    double cnt = ceil((b - a) / d);
    int64_t n = cnt > 0 ? (cnt > 1e15 ? (int64_t)1e15 : (int64_t)cnt) : 0;
    if ((st = ox_tensor_alloc(c, &t, s->dtype, 1, &n)))
        return st;
    for (int64_t i = 0; i < n; i++) {
        if (t.dtype == OX_F32)
            t.v.f[i] = (float)(a + (double)i * d);
        else
            t.v.i[i] = s->v.i[0] + i * dl->v.i[0];
    }
    return ox_out_const(c, 0, &t);
}

lk_status ox_fold_cast(ox_ctx *c, int to)
{
    const ox_tensor *x;
    ox_tensor t;
    lk_status st;
    int is_float = to == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT ||
                   to == ONNX__TENSOR_PROTO__DATA_TYPE__DOUBLE ||
                   to == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16;
    int is_int = to >= ONNX__TENSOR_PROTO__DATA_TYPE__UINT8 &&
                 to <= ONNX__TENSOR_PROTO__DATA_TYPE__UINT64 &&
                 to != ONNX__TENSOR_PROTO__DATA_TYPE__STRING && !is_float;
    if ((st = input(c, 0, &x)))
        return st;
    if (!is_float && !is_int)
        return ox_fail(c, LK_ERR_UNSUPPORTED, "cast to data type %d is not supported", to);
    if ((st = ox_tensor_alloc(c, &t, is_float ? OX_F32 : OX_I64, x->rank, x->d)))
        return st;
    for (int64_t i = 0; i < t.n; i++) {
        double v = ox_tensor_get(x, i);
        if (to == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT16)
            t.v.f[i] = lk_f16_to_f32(lk_f32_to_f16((float)v));
        else if (is_float)
            t.v.f[i] = (float)v;
        else if (to == ONNX__TENSOR_PROTO__DATA_TYPE__BOOL)
            t.v.i[i] = v != 0.0;
        else if (x->dtype == OX_I64)
            t.v.i[i] = x->v.i[i];
        else /* truncation, saturated (C leaves out-of-range conversions undefined) */
            t.v.i[i] = isnan(v) ? 0 : v >= 0x1p63 ? INT64_MAX : v < -0x1p63 ? INT64_MIN : (int64_t)v;
    }
    return ox_out_const(c, 0, &t);
}

static double arith(const char *op, double a, double b)
{
    switch (op[0]) {
    case 'A': return a + b;
    case 'S': return a - b;
    case 'M': return a * b;
    case 'D': return a / b;
    case 'E': return a == b;
    case 'L': return a < b;
    default: return a > b; /* Greater */
    }
}

static lk_status iarith(ox_ctx *c, const char *op, int64_t a, int64_t b, int64_t *r)
{
    switch (op[0]) {
    case 'A': *r = (int64_t)((uint64_t)a + (uint64_t)b); return LK_OK;
    case 'S': *r = (int64_t)((uint64_t)a - (uint64_t)b); return LK_OK;
    case 'M': *r = (int64_t)((uint64_t)a * (uint64_t)b); return LK_OK;
    case 'D':
        if (b == 0 || (a == INT64_MIN && b == -1))
            return ox_fail(c, LK_ERR_FORMAT, "integer division %lld / %lld", (long long)a,
                           (long long)b);
        *r = a / b;
        return LK_OK;
    case 'E': *r = a == b; return LK_OK;
    case 'L': *r = a < b; return LK_OK;
    default: *r = a > b; return LK_OK;
    }
}

lk_status ox_fold_binary(ox_ctx *c, const char *op)
{
    const ox_tensor *a, *b;
    int64_t d[LK_MAX_DIMS], sa[LK_MAX_DIMS], sb[LK_MAX_DIMS];
    int rank;
    ox_tensor t;
    lk_status st;
    if ((st = need_const(c)) || (st = input(c, 0, &a)) || (st = input(c, 1, &b)) ||
        (st = broadcast(c, a, b, &rank, d)))
        return st;
    int compare = op[0] == 'E' || op[0] == 'L' || op[0] == 'G';
    int ints = a->dtype == OX_I64 && b->dtype == OX_I64;
    if ((st = ox_tensor_alloc(c, &t, ints || compare ? OX_I64 : OX_F32, rank, d)))
        return st;
    broadcast_strides(a, rank, d, sa);
    broadcast_strides(b, rank, d, sb);
    for (int64_t i = 0; i < t.n; i++) {
        int64_t ia = offset_of(i, rank, d, sa), ib = offset_of(i, rank, d, sb);
        if (ints) {
            if ((st = iarith(c, op, a->v.i[ia], b->v.i[ib], &t.v.i[i]))) {
                ox_tensor_free(&t);
                return st;
            }
        } else if (compare) {
            t.v.i[i] = (int64_t)arith(op, ox_tensor_get(a, ia), ox_tensor_get(b, ib));
        } else {
            /* fp32 arithmetic, as the lk binary op computes it */
            float x = (float)ox_tensor_get(a, ia), y = (float)ox_tensor_get(b, ib);
            t.v.f[i] = op[0] == 'A' ? x + y : op[0] == 'S' ? x - y : op[0] == 'M' ? x * y : x / y;
        }
    }
    return ox_out_const(c, 0, &t);
}

lk_status ox_fold_where(ox_ctx *c)
{
    const ox_tensor *k, *a, *b;
    int64_t d[LK_MAX_DIMS], sk[LK_MAX_DIMS], sa[LK_MAX_DIMS], sb[LK_MAX_DIMS];
    int rank;
    ox_tensor t, tmp;
    lk_status st;
    if ((st = need_const(c)) || (st = input(c, 0, &k)) || (st = input(c, 1, &a)) ||
        (st = input(c, 2, &b)) || (st = broadcast(c, k, a, &rank, d)))
        return st;
    memset(&tmp, 0, sizeof tmp);
    tmp.rank = rank;
    memcpy(tmp.d, d, sizeof d);
    if ((st = broadcast(c, &tmp, b, &rank, d)))
        return st;
    ox_dtype dt = a->dtype == OX_I64 && b->dtype == OX_I64 ? OX_I64 : OX_F32;
    if ((st = ox_tensor_alloc(c, &t, dt, rank, d)))
        return st;
    broadcast_strides(k, rank, d, sk);
    broadcast_strides(a, rank, d, sa);
    broadcast_strides(b, rank, d, sb);
    for (int64_t i = 0; i < t.n; i++) {
        int pick = ox_tensor_get(k, offset_of(i, rank, d, sk)) != 0.0;
        const ox_tensor *src = pick ? a : b;
        int64_t j = offset_of(i, rank, d, pick ? sa : sb);
        if (dt == OX_I64)
            t.v.i[i] = src->v.i[j];
        else
            t.v.f[i] = (float)ox_tensor_get(src, j);
    }
    return ox_out_const(c, 0, &t);
}

lk_status ox_fold_unary(ox_ctx *c, const char *op)
{
    static const char *const names[] = {"Neg", "Abs", "Floor", "Ceil", "Sqrt", "Not"};
    enum { NEG, ABS, FLOOR, CEIL, SQRT, NOT } k = NEG;
    const ox_tensor *x;
    ox_tensor t;
    lk_status st;
    for (int i = 0; i < 6; i++)
        if (!strcmp(op, names[i]))
            k = i;
    if ((st = need_const(c)) || (st = input(c, 0, &x)))
        return st;
    if ((st = ox_tensor_alloc(c, &t, k == NOT ? OX_I64 : x->dtype, x->rank, x->d)))
        return st;
    for (int64_t i = 0; i < t.n; i++) {
        if (t.dtype == OX_I64) {
            int64_t v = x->dtype == OX_I64 ? x->v.i[i] : (int64_t)(x->v.f[i] != 0.0f);
            uint64_t neg = 0 - (uint64_t)v; /* wraps like the hardware */
            t.v.i[i] = k == NOT ? !v : k == NEG || (k == ABS && v < 0) ? (int64_t)neg
                       : k == SQRT ? (int64_t)sqrt((double)v) : v;
        } else {
            float v = x->v.f[i];
            t.v.f[i] = k == NEG ? -v : k == ABS ? fabsf(v) : k == FLOOR ? floorf(v)
                       : k == CEIL ? ceilf(v) : sqrtf(v);
        }
    }
    return ox_out_const(c, 0, &t);
}

lk_status ox_fold_concat(ox_ctx *c, int axis)
{
    const ox_tensor *first = NULL;
    ox_dtype dt = OX_I64;
    int64_t d[LK_MAX_DIMS];
    ox_tensor t;
    lk_status st;
    for (int i = 0; i < ox_n_args(c); i++) {
        ox_value *v = ox_arg(c, i);
        if (!v)
            continue;
        if (!first)
            first = &v->c;
        if (v->c.dtype == OX_F32)
            dt = OX_F32;
    }
    if (!first)
        return ox_fail(c, LK_ERR_FORMAT, "has no inputs");
    int rank = first->rank, a = lk_axis_norm(axis, rank);
    if (a < 0)
        return ox_fail(c, LK_ERR_FORMAT, "axis %d out of range for rank %d", axis, rank);
    memcpy(d, first->d, sizeof d);
    d[a] = 0;
    for (int i = 0; i < ox_n_args(c); i++) {
        ox_value *v = ox_arg(c, i);
        if (!v)
            continue;
        for (int k = 0; k < rank; k++)
            if (v->c.rank != rank || (k != a && v->c.d[k] != d[k])) {
                char s1[160], s2[160];
                return ox_fail(c, LK_ERR_SHAPE, "input %d %s does not match input 0 %s", i,
                               ox_dims_str(v->c.rank, v->c.d, s1, sizeof s1),
                               ox_dims_str(first->rank, first->d, s2, sizeof s2));
            }
        d[a] += v->c.d[a];
    }
    if ((st = ox_tensor_alloc(c, &t, dt, rank, d)))
        return st;
    int64_t outer = numel(a, d), inner = numel(rank - a - 1, d + a + 1), pos = 0;
    for (int i = 0; i < ox_n_args(c); i++) {
        ox_value *v = ox_arg(c, i);
        if (!v)
            continue;
        int64_t len = v->c.d[a];
        for (int64_t o = 0; o < outer; o++)
            for (int64_t j = 0; j < len * inner; j++) {
                int64_t src = o * len * inner + j, dst = (o * d[a] + pos) * inner + j;
                if (dt == OX_I64)
                    t.v.i[dst] = v->c.v.i[src];
                else
                    t.v.f[dst] = (float)ox_tensor_get(&v->c, src);
            }
        pos += len;
    }
    return ox_out_const(c, 0, &t);
}

lk_status ox_fold_gather(ox_ctx *c, int axis)
{
    const ox_tensor *x, *idx;
    int64_t d[LK_MAX_DIMS];
    ox_tensor t;
    lk_status st;
    if ((st = need_const(c)) || (st = input(c, 0, &x)) || (st = input(c, 1, &idx)))
        return st;
    int a = lk_axis_norm(axis, x->rank);
    if (a < 0)
        return ox_fail(c, LK_ERR_FORMAT, "axis %d out of range for rank %d", axis, x->rank);
    if (idx->dtype != OX_I64)
        return ox_fail(c, LK_ERR_FORMAT, "indices are not integers");
    int rank = x->rank - 1 + idx->rank;
    if (rank > LK_MAX_DIMS)
        return ox_fail(c, LK_ERR_UNSUPPORTED, "output rank %d exceeds %d", rank, LK_MAX_DIMS);
    memcpy(d, x->d, (size_t)a * sizeof *d);
    memcpy(d + a, idx->d, (size_t)idx->rank * sizeof *d);
    memcpy(d + a + idx->rank, x->d + a + 1, (size_t)(x->rank - a - 1) * sizeof *d);
    int64_t dim = x->d[a], outer = numel(a, x->d), inner = numel(x->rank - a - 1, x->d + a + 1);
    for (int64_t j = 0; j < idx->n; j++)
        if (idx->v.i[j] < -dim || idx->v.i[j] >= dim)
            return ox_fail(c, LK_ERR_FORMAT, "index %lld out of range for axis %d of size %lld",
                           (long long)idx->v.i[j], a, (long long)dim);
    if ((st = ox_tensor_alloc(c, &t, x->dtype, rank, d)))
        return st;
    size_t es = esize(x);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < idx->n; j++) {
            int64_t k = idx->v.i[j] < 0 ? idx->v.i[j] + dim : idx->v.i[j];
            memcpy((char *)t.v.p + (size_t)((o * idx->n + j) * inner) * es,
                   (const char *)x->v.p + (size_t)((o * dim + k) * inner) * es, (size_t)inner * es);
        }
    return ox_out_const(c, 0, &t);
}

lk_status ox_fold_strided(ox_ctx *c, const ox_tensor *in, int rank, const int64_t *d,
                          const int64_t *stride, int64_t base)
{
    ox_tensor t;
    lk_status st = ox_tensor_alloc(c, &t, in->dtype, rank, d);
    if (st)
        return st;
    size_t es = esize(in);
    for (int64_t i = 0; i < t.n; i++)
        memcpy((char *)t.v.p + (size_t)i * es,
               (const char *)in->v.p + (size_t)(base + offset_of(i, rank, d, stride)) * es, es);
    return ox_out_const(c, 0, &t);
}

lk_status ox_fold_expand(ox_ctx *c)
{
    const ox_tensor *x;
    int64_t shape[LK_MAX_DIMS], d[LK_MAX_DIMS], st_[LK_MAX_DIMS];
    int n, rank;
    ox_tensor s;
    lk_status st;
    if ((st = need_const(c)) || (st = input(c, 0, &x)) ||
        (st = ox_param_ints(c, 1, "shape", shape, LK_MAX_DIMS, &n)))
        return st;
    if (n < 0)
        return ox_fail(c, LK_ERR_FORMAT, "input 1 is missing");
    memset(&s, 0, sizeof s);
    s.rank = n;
    memcpy(s.d, shape, (size_t)n * sizeof *shape);
    if ((st = broadcast(c, x, &s, &rank, d)))
        return st;
    broadcast_strides(x, rank, d, st_);
    return ox_fold_strided(c, x, rank, d, st_, 0);
}
