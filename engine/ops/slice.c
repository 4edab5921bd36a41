/* slice: ONNX Slice with constant starts/ends/axes/steps. Negative starts
 * and ends count from the end, out-of-range values clamp (so INT64_MAX or
 * INT64_MIN mean "to the end"), steps may be negative, axes not listed are
 * kept whole. Output element i along an axis reads input start + i·step,
 * which is a strided copy. */
#include "strided_copy.h"

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Effective start and step of every input axis and the output shape;
 * msg may be NULL once infer has accepted the node. */
static lk_status resolve(const lk_slice_params *p, const lk_shape *in, int64_t *start,
                         int64_t *step, lk_shape *out, lk_msg *msg)
{
    int seen[LK_MAX_DIMS] = {0};
    if (p->n < 0 || p->n > in->rank)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "%d sliced axes for rank %d", p->n, in->rank);
    *out = *in;
    for (int d = 0; d < in->rank; d++) {
        start[d] = 0;
        step[d] = 1;
    }
    for (int i = 0; i < p->n; i++) {
        int a = lk_axis_norm(p->axes[i], in->rank);
        if (a < 0)
            return lk_fail(msg, LK_ERR_INVALID_ARG, "axis %d out of range for rank %d",
                           p->axes[i], in->rank);
        if (seen[a]++)
            return lk_fail(msg, LK_ERR_INVALID_ARG, "axis %d is sliced twice", p->axes[i]);
        if (p->steps[i] == 0)
            return lk_fail(msg, LK_ERR_INVALID_ARG, "step 0 on axis %d", p->axes[i]);
        int64_t dim = in->d[a];
        /* A step past the dim takes at most one element either way; the
         * clamp keeps step·stride from overflowing. */
        int64_t s = clamp64(p->steps[i], -dim, dim);
        int64_t b = p->starts[i] < 0 ? p->starts[i] + dim : p->starts[i];
        int64_t e = p->ends[i] < 0 ? p->ends[i] + dim : p->ends[i];
        int64_t count;
        if (s > 0) {
            b = clamp64(b, 0, dim);
            e = clamp64(e, 0, dim);
            count = e > b ? (e - b + s - 1) / s : 0;
        } else {
            b = clamp64(b, 0, dim - 1);
            e = clamp64(e, -1, dim - 1);
            count = b > e ? (b - e - s - 1) / -s : 0;
        }
        if (count == 0)
            return lk_fail(msg, LK_ERR_SHAPE, "axis %d is empty after slicing [%lld:%lld:%lld] of %lld",
                           p->axes[i], (long long)p->starts[i], (long long)p->ends[i],
                           (long long)p->steps[i], (long long)dim);
        start[a] = b;
        step[a] = s;
        out->d[a] = count;
    }
    return LK_OK;
}

static lk_status slice_infer(const lk_node *n, const lk_shape *in, lk_shape *out, lk_msg *msg)
{
    int64_t start[LK_MAX_DIMS], step[LK_MAX_DIMS];
    return resolve(&n->p.slice, &in[0], start, step, &out[0], msg);
}

static void slice_copy(const lk_node *n, const lk_shape *in, lk_strided_copy *c)
{
    int64_t start[LK_MAX_DIMS], step[LK_MAX_DIMS], in_stride[LK_MAX_DIMS];
    lk_shape out;
    resolve(&n->p.slice, in, start, step, &out, NULL);
    lk_strided_copy_init(c, &out);
    lk_shape_strides(in, in_stride);
    for (int d = 0; d < in->rank; d++) {
        c->in_stride[d] = step[d] * in_stride[d];
        c->in_base += start[d] * in_stride[d];
    }
}

static void slice_reference(const lk_node *n, const lk_shape *in, const float *const *x,
                            const lk_shape *out, float *const *y)
{
    (void)out;
    lk_strided_copy c;
    slice_copy(n, &in[0], &c);
    lk_strided_copy_ref(&c, x[0], y[0]);
}

static lk_status slice_gpu(const lk_node *n, const lk_shape *in, const lk_shape *out,
                           lk_kernels *k, lk_msg *msg)
{
    (void)out;
    lk_strided_copy c;
    slice_copy(n, &in[0], &c);
    return lk_strided_copy_gpu(&c, LK_BIND_IN(0), LK_BIND_OUT(0), k, msg);
}

const lk_op_class lk_op_slice = {
    .name = "slice",
    .min_inputs = 1,
    .max_inputs = 1,
    .infer = slice_infer,
    .reference = slice_reference,
    .gpu = slice_gpu,
};
