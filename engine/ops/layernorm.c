/* layernorm: ONNX LayerNormalization. X is normalised over its trailing
 * dims from `axis` (negative counts from the end): y = (x - mean) /
 * sqrt(var + epsilon) · Scale + Bias, Scale and the optional Bias
 * unidirectionally broadcast over the normalised dims. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "op.h"

#define WG 256

/* rows = product of the dims before axis, len = product from axis on. */
static void rows_of(const lk_shape *s, int axis, int64_t *rows, int64_t *len)
{
    *rows = *len = 1;
    for (int i = 0; i < s->rank; i++)
        *(i < axis ? rows : len) *= s->d[i];
}

/* Element of p (right-aligned against the normalised dims x[axis..]) used
 * at flat position j of a row. */
static int64_t param_index(const lk_shape *x, int axis, const lk_shape *p, int64_t j)
{
    int64_t idx = 0, stride = 1;
    for (int i = x->rank - 1, q = p->rank - 1; i >= axis; i--, q--) {
        int64_t c = j % x->d[i];
        j /= x->d[i];
        if (q >= 0 && p->d[q] != 1)
            idx += c * stride;
        if (q >= 0)
            stride *= p->d[q];
    }
    return idx;
}

static int has_bias(const lk_node *n, const lk_shape *in)
{
    return n->n_in > 2 && in[2].rank >= 0;
}

static lk_status check_param(const lk_shape *x, int axis, const lk_shape *p, const char *what,
                             lk_msg *msg)
{
    int ok = p->rank <= x->rank - axis;
    for (int q = p->rank - 1, i = x->rank - 1; ok && q >= 0; q--, i--)
        ok = p->d[q] == 1 || p->d[q] == x->d[i];
    if (!ok) {
        char sp[96], sx[96];
        lk_shape norm = lk_shape_make(x->rank - axis, x->d + axis);
        return lk_fail(msg, LK_ERR_SHAPE, "%s %s is not broadcastable to the normalised dims %s",
                       what, lk_shape_str(p, sp, sizeof sp), lk_shape_str(&norm, sx, sizeof sx));
    }
    return LK_OK;
}

static lk_status layernorm_infer(const lk_node *n, const lk_shape *in, lk_shape *out, lk_msg *msg)
{
    const lk_norm_params *p = &n->p.norm;
    int axis = lk_axis_norm(p->axis, in[0].rank);
    if (axis < 0) {
        char s[96];
        return lk_fail(msg, LK_ERR_INVALID_ARG, "axis %d out of range for input %s", p->axis,
                       lk_shape_str(&in[0], s, sizeof s));
    }
    if (!(p->epsilon >= 0.0f) || isinf(p->epsilon))
        return lk_fail(msg, LK_ERR_INVALID_ARG, "epsilon %g must be finite and >= 0",
                       (double)p->epsilon);
    lk_status st = check_param(&in[0], axis, &in[1], "Scale", msg);
    if (!st && has_bias(n, in))
        st = check_param(&in[0], axis, &in[2], "Bias", msg);
    if (st)
        return st;
    out[0] = in[0];
    return LK_OK;
}

static void layernorm_reference(const lk_node *n, const lk_shape *in, const float *const *x,
                                const lk_shape *out, float *const *y)
{
    (void)out;
    int axis = lk_axis_norm(n->p.norm.axis, in[0].rank);
    int64_t rows, len;
    rows_of(&in[0], axis, &rows, &len);
    for (int64_t r = 0; r < rows; r++) {
        const float *src = x[0] + r * len;
        double mean = 0.0, var = 0.0;
        for (int64_t j = 0; j < len; j++)
            mean += src[j];
        mean /= (double)len;
        for (int64_t j = 0; j < len; j++)
            var += (src[j] - mean) * (src[j] - mean);
        var /= (double)len;
        double rstd = 1.0 / sqrt(var + n->p.norm.epsilon);
        for (int64_t j = 0; j < len; j++) {
            double v = (src[j] - mean) * rstd * x[1][param_index(&in[0], axis, &in[1], j)];
            if (has_bias(n, in))
                v += x[2][param_index(&in[0], axis, &in[2], j)];
            y[0][r * len + j] = (float)v;
        }
    }
}

/* An index table for a parameter that broadcasts (fewer elements than a
 * row); -1 when it is read directly, -2 when out of memory. */
static int index_table(lk_kernels *k, const lk_shape *x, int axis, const lk_shape *p, int64_t len)
{
    if (lk_shape_numel(p) == len)
        return -1;
    int32_t *idx = malloc((size_t)len * sizeof *idx);
    if (!idx)
        return -2;
    for (int64_t j = 0; j < len; j++)
        idx[j] = (int32_t)param_index(x, axis, p, j);
    int aux = lk_kernels_aux_i32(k, idx, (size_t)len);
    free(idx);
    return aux;
}

static lk_status layernorm_gpu(const lk_node *n, const lk_shape *in, const lk_shape *out,
                               lk_kernels *k, lk_msg *msg)
{
    (void)out;
    if (lk_shape_numel(&in[0]) > INT32_MAX)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "input beyond 32-bit indexing");
    int axis = lk_axis_norm(n->p.norm.axis, in[0].rank);
    int bias = has_bias(n, in);
    int64_t rows, len;
    rows_of(&in[0], axis, &rows, &len);
    int s_idx = index_table(k, &in[0], axis, &in[1], len);
    int b_idx = bias ? index_table(k, &in[0], axis, &in[2], len) : -1;
    if (s_idx == -2 || b_idx == -2)
        return lk_fail(msg, LK_ERR_NO_MEMORY, "index table: out of memory");
    uint32_t t = lk_row_threads(k, rows, len);
    uint32_t groups = lk_div_up(rows, WG / t);

    lk_dispatch d;
    lk_dispatch_init(&d, LK_SH_layernorm);
    lk_dispatch_spec(&d, WG);
    lk_dispatch_spec(&d, t);
    lk_dispatch_spec(&d, (uint32_t)bias);
    lk_dispatch_spec(&d, s_idx >= 0);
    lk_dispatch_spec(&d, b_idx >= 0);
    lk_dispatch_specf(&d, n->p.norm.epsilon);
    lk_dispatch_push(&d, (uint32_t)rows);
    lk_dispatch_push(&d, (uint32_t)len);
    /* Unread bindings (no Bias, no index table) repeat X. */
    lk_dispatch_bind(&d, LK_BIND_IN(0));
    lk_dispatch_bind(&d, LK_BIND_IN(1));
    lk_dispatch_bind(&d, LK_BIND_IN(bias ? 2 : 0));
    lk_dispatch_bind(&d, s_idx >= 0 ? LK_BIND_AUX(s_idx) : LK_BIND_IN(0));
    lk_dispatch_bind(&d, b_idx >= 0 ? LK_BIND_AUX(b_idx) : LK_BIND_IN(0));
    lk_dispatch_bind(&d, LK_BIND_OUT(0));
    lk_dispatch_grid(&d, groups);
    return lk_kernels_dispatch(k, &d, msg);
}

static double layernorm_flops(const lk_node *n, const lk_shape *in, const lk_shape *out)
{
    (void)n; (void)out;
    return 8.0 * (double)lk_shape_numel(&in[0]); /* sums, normalise, scale, shift */
}

const lk_op_class lk_op_layernorm = {
    .name = "layernorm",
    .min_inputs = 2,
    .max_inputs = 3,
    .infer = layernorm_infer,
    .reference = layernorm_reference,
    .gpu = layernorm_gpu,
    .flops = layernorm_flops,
};
