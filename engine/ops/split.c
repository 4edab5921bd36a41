/* split: cuts the input along an axis into n outputs of the given sizes
 * (ONNX Split). All sizes 0 means n equal parts, as ONNX does without a
 * `split` input. Each output is one strided copy out of its slab. */
#include "strided_copy.h"

/* Size of output j along the axis (infer has checked the parameters). */
static int64_t part_size(const lk_split_params *p, int64_t dim, int j)
{
    for (int i = 0; i < p->n; i++)
        if (p->sizes[i] != 0)
            return p->sizes[j];
    return dim / p->n;
}

static lk_status split_infer(const lk_node *n, const lk_shape *in, lk_shape *out, lk_msg *msg)
{
    const lk_split_params *p = &n->p.split;
    int axis = lk_axis_norm(p->axis, in[0].rank);
    if (axis < 0)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "axis %d out of range for rank %d",
                       p->axis, in[0].rank);
    if (p->n != n->n_out)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "n is %d but the node has %d outputs",
                       p->n, n->n_out);
    int64_t dim = in[0].d[axis], sum = 0;
    int all_zero = 1;
    for (int j = 0; j < p->n; j++) {
        /* Any size past the axis is wrong; checking here also keeps the sum
         * from overflowing. */
        if (p->sizes[j] < 0 || p->sizes[j] > dim)
            return lk_fail(msg, LK_ERR_INVALID_ARG, "split size %d is %lld, axis %d has size %lld",
                           j, (long long)p->sizes[j], axis, (long long)dim);
        all_zero &= p->sizes[j] == 0;
        sum += p->sizes[j];
    }
    if (all_zero && dim % p->n != 0)
        return lk_fail(msg, LK_ERR_SHAPE, "axis %d of size %lld does not split into %d equal parts",
                       axis, (long long)dim, p->n);
    if (!all_zero && sum != dim)
        return lk_fail(msg, LK_ERR_SHAPE, "split sizes sum to %lld, axis %d has size %lld",
                       (long long)sum, axis, (long long)dim);
    for (int j = 0; j < p->n; j++) {
        out[j] = in[0];
        out[j].d[axis] = part_size(p, dim, j);
        if (out[j].d[axis] == 0)
            return lk_fail(msg, LK_ERR_SHAPE, "split output %d is empty", j);
    }
    return LK_OK;
}

/* The copy of output j's slab of the input. */
static void output_copy(const lk_node *n, const lk_shape *in, const lk_shape *out, int j,
                        lk_strided_copy *c)
{
    int axis = lk_axis_norm(n->p.split.axis, in->rank);
    int64_t offset = 0;
    for (int i = 0; i < j; i++)
        offset += out[i].d[axis];
    lk_strided_copy_init(c, &out[j]);
    lk_shape_strides(in, c->in_stride);
    c->in_base = offset * c->in_stride[axis];
}

static void split_reference(const lk_node *n, const lk_shape *in, const float *const *x,
                            const lk_shape *out, float *const *y)
{
    for (int j = 0; j < n->n_out; j++) {
        lk_strided_copy c;
        output_copy(n, &in[0], out, j, &c);
        lk_strided_copy_ref(&c, x[0], y[j]);
    }
}

static lk_status split_gpu(const lk_node *n, const lk_shape *in, const lk_shape *out,
                           lk_kernels *k, lk_msg *msg)
{
    for (int j = 0; j < n->n_out; j++) {
        lk_strided_copy c;
        output_copy(n, &in[0], out, j, &c);
        lk_status st = lk_strided_copy_gpu(&c, LK_BIND_IN(0), LK_BIND_OUT(j), k, msg);
        if (st)
            return st;
    }
    return LK_OK;
}

const lk_op_class lk_op_split = {
    .name = "split",
    .min_inputs = 1,
    .max_inputs = 1,
    .infer = split_infer,
    .reference = split_reference,
    .gpu = split_gpu,
};
