/* reshape: ONNX Reshape (allowzero = 0): a 0 copies the input dim at the
 * same position, one -1 is inferred from the element count. Also serves
 * Flatten, Squeeze and Unsqueeze. Row-major data does not move, so the
 * output is a view of the input: no kernel and no copy on the GPU. */
#include <string.h>

#include "op.h"

static lk_status reshape_infer(const lk_node *n, const lk_shape *in, lk_shape *out, lk_msg *msg)
{
    const lk_shape *want = &n->p.reshape.shape;
    int64_t numel = lk_shape_numel(&in[0]), known = 1;
    int infer_at = -1;
    char a[160], b[160];

    if (want->rank < 0 || want->rank > LK_MAX_DIMS)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "target rank %d outside 0..%d", want->rank,
                       LK_MAX_DIMS);
    out[0] = *want;
    for (int i = 0; i < want->rank; i++) {
        int64_t v = want->d[i];
        if (v == 0) {
            if (i >= in[0].rank)
                return lk_fail(msg, LK_ERR_INVALID_ARG, "shape[%d] is 0 (copy) but the input %s "
                               "has rank %d", i, lk_shape_str(&in[0], a, sizeof a), in[0].rank);
            v = out[0].d[i] = in[0].d[i];
        } else if (v == -1) {
            if (infer_at >= 0)
                return lk_fail(msg, LK_ERR_INVALID_ARG, "shape %s has more than one -1",
                               lk_shape_str(want, a, sizeof a));
            infer_at = i;
            continue;
        } else if (v < 0) {
            return lk_fail(msg, LK_ERR_INVALID_ARG, "shape[%d] is %lld", i, (long long)v);
        }
        /* Past numel it can only mismatch; saturating avoids overflow. */
        known = v > numel / known ? numel + 1 : known * v;
    }
    if (infer_at >= 0) {
        if (known > numel || numel % known != 0)
            return lk_fail(msg, LK_ERR_SHAPE, "cannot reshape %s (%lld elements) to %s",
                           lk_shape_str(&in[0], a, sizeof a), (long long)numel,
                           lk_shape_str(want, b, sizeof b));
        out[0].d[infer_at] = numel / known;
    } else if (known != numel) {
        return lk_fail(msg, LK_ERR_SHAPE, "cannot reshape %s (%lld elements) to %s",
                       lk_shape_str(&in[0], a, sizeof a), (long long)numel,
                       lk_shape_str(want, b, sizeof b));
    }
    return LK_OK;
}

static void reshape_reference(const lk_node *n, const lk_shape *in, const float *const *x,
                              const lk_shape *out, float *const *y)
{
    (void)n;
    (void)out;
    memcpy(y[0], x[0], (size_t)lk_shape_numel(&in[0]) * sizeof(float));
}

const lk_op_class lk_op_reshape = {
    .name = "reshape",
    .min_inputs = 1,
    .max_inputs = 1,
    .view = 1,
    .infer = reshape_infer,
    .reference = reshape_reference,
    /* no gpu(): the backend skips view ops */
};
