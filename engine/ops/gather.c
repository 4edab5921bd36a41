/* gather: ONNX Gather with constant indices. Viewing the data as
 * [outer, axis, inner], out[o, j, i] = data[o, idx[j], i] with j running
 * over the flattened indices; out shape = data[:axis] + indices_shape +
 * data[axis+1:], so a scalar index (rank 0) removes the axis. */
#include <stdlib.h>

#include "op.h"

#define WG_SIZE 256   /* invocations per workgroup */
#define ELEMS 4       /* elements per invocation, WG_SIZE apart (coalesced) */

static lk_status gather_infer(const lk_node *n, const lk_shape *in, lk_shape *out, lk_msg *msg)
{
    const lk_gather_params *p = &n->p.gather;
    const lk_shape *is = &p->indices_shape;
    int axis = lk_axis_norm(p->axis, in[0].rank);
    if (axis < 0)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "axis %d out of range for rank %d",
                       p->axis, in[0].rank);
    if (is->rank < 0 || is->rank > LK_MAX_DIMS)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "indices rank %d outside 0..%d", is->rank,
                       LK_MAX_DIMS);
    for (int d = 0; d < is->rank; d++)
        if (is->d[d] <= 0)
            return lk_fail(msg, LK_ERR_INVALID_ARG, "indices dim %d is %lld", d,
                           (long long)is->d[d]);
    if (lk_shape_numel(is) != p->n_indices)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "%d indices for an indices shape of %lld elements",
                       p->n_indices, (long long)lk_shape_numel(is));
    if (in[0].rank - 1 + is->rank > LK_MAX_DIMS)
        return lk_fail(msg, LK_ERR_SHAPE, "output rank %d exceeds %d", in[0].rank - 1 + is->rank,
                       LK_MAX_DIMS);
    int64_t dim = in[0].d[axis];
    for (int j = 0; j < p->n_indices; j++)
        if (p->indices[j] < -dim || p->indices[j] >= dim)
            return lk_fail(msg, LK_ERR_INVALID_ARG, "index %lld (position %d) out of range "
                           "for axis %d of size %lld", (long long)p->indices[j], j, axis,
                           (long long)dim);
    out[0].rank = in[0].rank - 1 + is->rank;
    int o = 0;
    for (int d = 0; d < axis; d++)
        out[0].d[o++] = in[0].d[d];
    for (int d = 0; d < is->rank; d++)
        out[0].d[o++] = is->d[d];
    for (int d = axis + 1; d < in[0].rank; d++)
        out[0].d[o++] = in[0].d[d];
    return LK_OK;
}

/* The data as [outer, axis dim, inner]. */
static void split_dims(const lk_node *n, const lk_shape *in, int64_t *outer, int64_t *dim,
                       int64_t *inner)
{
    int axis = lk_axis_norm(n->p.gather.axis, in->rank);
    *outer = *inner = 1;
    for (int d = 0; d < axis; d++)
        *outer *= in->d[d];
    for (int d = axis + 1; d < in->rank; d++)
        *inner *= in->d[d];
    *dim = in->d[axis];
}

static void gather_reference(const lk_node *n, const lk_shape *in, const float *const *x,
                             const lk_shape *out, float *const *y)
{
    (void)out;
    int64_t outer, dim, inner, ni = n->p.gather.n_indices;
    split_dims(n, &in[0], &outer, &dim, &inner);
    float *dst = y[0];
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < ni; j++) {
            int64_t idx = n->p.gather.indices[j];
            const float *src = x[0] + (o * dim + (idx < 0 ? idx + dim : idx)) * inner;
            for (int64_t i = 0; i < inner; i++)
                *dst++ = src[i];
        }
}

static lk_status gather_gpu(const lk_node *n, const lk_shape *in, const lk_shape *out,
                            lk_kernels *k, lk_msg *msg)
{
    int64_t outer, dim, inner, ni = n->p.gather.n_indices;
    int64_t total = lk_shape_numel(&out[0]);
    split_dims(n, &in[0], &outer, &dim, &inner);
    /* The kernel indexes with 32-bit integers. */
    if (total > INT32_MAX || lk_shape_numel(&in[0]) > INT32_MAX)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "gather of %lld elements exceeds the 32-bit "
                       "index range", (long long)total);

    int32_t *table = malloc((size_t)ni * sizeof *table);
    if (!table)
        return lk_fail(msg, LK_ERR_NO_MEMORY, "gather: out of memory");
    for (int64_t j = 0; j < ni; j++) {
        int64_t idx = n->p.gather.indices[j];
        table[j] = (int32_t)(idx < 0 ? idx + dim : idx);
    }
    int aux = lk_kernels_aux_i32(k, table, (size_t)ni);
    free(table);

    lk_dispatch d;
    lk_dispatch_init(&d, LK_SH_gather);
    lk_dispatch_spec(&d, WG_SIZE);
    lk_dispatch_spec(&d, ELEMS);
    lk_dispatch_push(&d, (uint32_t)total);
    lk_dispatch_push(&d, (uint32_t)ni);
    lk_dispatch_push(&d, (uint32_t)inner);
    lk_dispatch_push(&d, (uint32_t)dim);
    lk_dispatch_bind(&d, LK_BIND_IN(0));
    lk_dispatch_bind(&d, LK_BIND_AUX(aux));
    lk_dispatch_bind(&d, LK_BIND_OUT(0));
    uint32_t groups = lk_div_up((uint64_t)total, (uint64_t)WG_SIZE * ELEMS);
    lk_dispatch_grid(&d, groups);
    d.groups[1] = lk_div_up(groups, d.groups[0]);
    return lk_kernels_dispatch(k, &d, msg);
}

const lk_op_class lk_op_gather = {
    .name = "gather",
    .min_inputs = 1,
    .max_inputs = 1,
    .infer = gather_infer,
    .reference = gather_reference,
    .gpu = gather_gpu,
};
