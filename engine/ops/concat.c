/* concat: joins 1..8 inputs of equal rank along an axis (ONNX Concat).
 * Each input is one strided copy into its slab of the output; the copies
 * write disjoint parts, so they need no ordering between them. */
#include "strided_copy.h"

static lk_status concat_infer(const lk_node *n, const lk_shape *in, lk_shape *out, lk_msg *msg)
{
    int rank = in[0].rank;
    int axis = lk_axis_norm(n->p.axis.axis, rank);
    if (axis < 0)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "axis %d out of range for rank %d",
                       n->p.axis.axis, rank);
    out[0] = in[0];
    for (int i = 1; i < n->n_in; i++) {
        if (in[i].rank != rank)
            return lk_fail(msg, LK_ERR_SHAPE, "concat input %d has rank %d, expected %d",
                           i, in[i].rank, rank);
        for (int d = 0; d < rank; d++)
            if (d != axis && in[i].d[d] != in[0].d[d])
                return lk_fail(msg, LK_ERR_SHAPE, "concat input %d dim %d is %lld, expected %lld",
                               i, d, (long long)in[i].d[d], (long long)in[0].d[d]);
        out[0].d[axis] += in[i].d[axis];
    }
    return LK_OK;
}

/* The copy of input i into its slab of the output. */
static void input_copy(const lk_node *n, const lk_shape *in, const lk_shape *out, int i,
                       lk_strided_copy *c)
{
    int axis = lk_axis_norm(n->p.axis.axis, out->rank);
    int64_t offset = 0;
    for (int j = 0; j < i; j++)
        offset += in[j].d[axis];
    lk_strided_copy_init(c, &in[i]);
    lk_shape_strides(out, c->out_stride);
    c->out_base = offset * c->out_stride[axis];
}

static void concat_reference(const lk_node *n, const lk_shape *in, const float *const *x,
                             const lk_shape *out, float *const *y)
{
    for (int i = 0; i < n->n_in; i++) {
        lk_strided_copy c;
        input_copy(n, in, &out[0], i, &c);
        lk_strided_copy_ref(&c, x[i], y[0]);
    }
}

static lk_status concat_gpu(const lk_node *n, const lk_shape *in, const lk_shape *out,
                            lk_kernels *k, lk_msg *msg)
{
    for (int i = 0; i < n->n_in; i++) {
        lk_strided_copy c;
        input_copy(n, in, &out[0], i, &c);
        lk_status st = lk_strided_copy_gpu(&c, LK_BIND_IN(i), LK_BIND_OUT(0), k, msg);
        if (st)
            return st;
    }
    return LK_OK;
}

const lk_op_class lk_op_concat = {
    .name = "concat",
    .min_inputs = 1,
    .max_inputs = LK_MAX_NODE_INPUTS,
    .infer = concat_infer,
    .reference = concat_reference,
    .gpu = concat_gpu,
};
