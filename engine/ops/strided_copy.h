/* Strided copy: the one data-movement kernel behind concat, split, slice
 * and transpose. Each is an affine index map: for every coordinate c of
 * an iteration space of `rank` dims,
 *     y[out_base + Σ c_d·out_stride_d] = x[in_base + Σ c_d·in_stride_d].
 * Strides may be negative (slice with negative steps). The same
 * description drives the C reference loop and the GPU dispatch
 * (shaders/strided_copy.comp), so the two cannot disagree on layout. */
#ifndef LK_STRIDED_COPY_H
#define LK_STRIDED_COPY_H

#include "op.h"

typedef struct lk_strided_copy {
    int rank;
    int64_t size[LK_MAX_DIMS];        /* iteration space */
    int64_t in_stride[LK_MAX_DIMS];   /* elements, per iteration dim */
    int64_t out_stride[LK_MAX_DIMS];
    int64_t in_base, out_base;        /* element offsets of coordinate 0 */
} lk_strided_copy;

/* A plain copy of `shape`: both sides contiguous row-major, bases 0.
 * Ops then adjust the side that is not contiguous. */
void lk_strided_copy_init(lk_strided_copy *c, const lk_shape *shape);
/* The C reference of the copy. */
void lk_strided_copy_ref(const lk_strided_copy *c, const float *x, float *y);
/* Appends the dispatch reading binding `in_ref` and writing `out_ref`
 * (LK_BIND_* references). */
lk_status lk_strided_copy_gpu(const lk_strided_copy *c, int in_ref, int out_ref,
                              lk_kernels *k, lk_msg *msg);

#endif
