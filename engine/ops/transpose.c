/* transpose: out.d[i] = in.d[perm[i]] (ONNX Transpose with explicit perm).
 * The output is written contiguously and read through the permuted input
 * strides, so the stores of neighbouring invocations coalesce. */
#include <stdio.h>

#include "strided_copy.h"

static lk_status transpose_infer(const lk_node *n, const lk_shape *in, lk_shape *out, lk_msg *msg)
{
    const int *perm = n->p.transpose.perm;
    int seen[LK_MAX_DIMS] = {0};
    out[0] = in[0];
    for (int i = 0; i < in[0].rank; i++) {
        if (perm[i] < 0 || perm[i] >= in[0].rank || seen[perm[i]]++) {
            char buf[128]; /* 8 ints with commas always fit */
            int used = 0;
            for (int j = 0; j < in[0].rank; j++)
                used += snprintf(buf + used, sizeof buf - (size_t)used, j ? ",%d" : "%d", perm[j]);
            return lk_fail(msg, LK_ERR_INVALID_ARG, "perm [%s] is not a permutation of 0..%d",
                           buf, in[0].rank - 1);
        }
        out[0].d[i] = in[0].d[perm[i]];
    }
    return LK_OK;
}

static void transpose_copy(const lk_node *n, const lk_shape *in, const lk_shape *out,
                           lk_strided_copy *c)
{
    int64_t in_stride[LK_MAX_DIMS];
    lk_shape_strides(in, in_stride);
    lk_strided_copy_init(c, out);
    for (int i = 0; i < out->rank; i++)
        c->in_stride[i] = in_stride[n->p.transpose.perm[i]];
}

static void transpose_reference(const lk_node *n, const lk_shape *in, const float *const *x,
                                const lk_shape *out, float *const *y)
{
    lk_strided_copy c;
    transpose_copy(n, &in[0], &out[0], &c);
    lk_strided_copy_ref(&c, x[0], y[0]);
}

static lk_status transpose_gpu(const lk_node *n, const lk_shape *in, const lk_shape *out,
                               lk_kernels *k, lk_msg *msg)
{
    lk_strided_copy c;
    transpose_copy(n, &in[0], &out[0], &c);
    return lk_strided_copy_gpu(&c, LK_BIND_IN(0), LK_BIND_OUT(0), k, msg);
}

const lk_op_class lk_op_transpose = {
    .name = "transpose",
    .min_inputs = 1,
    .max_inputs = 1,
    .infer = transpose_infer,
    .reference = transpose_reference,
    .gpu = transpose_gpu,
};
