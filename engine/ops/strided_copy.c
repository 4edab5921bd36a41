/* Strided copy: C reference and dispatch of shaders/strided_copy.comp. */
#include <string.h>

#include "strided_copy.h"

#define WG_SIZE 256   /* invocations per workgroup */
#define ELEMS 4       /* elements per invocation, WG_SIZE apart (coalesced) */

void lk_strided_copy_init(lk_strided_copy *c, const lk_shape *shape)
{
    memset(c, 0, sizeof *c);
    c->rank = shape->rank;
    for (int d = 0; d < shape->rank; d++)
        c->size[d] = shape->d[d];
    lk_shape_strides(shape, c->in_stride);
    lk_shape_strides(shape, c->out_stride);
}

void lk_strided_copy_ref(const lk_strided_copy *c, const float *x, float *y)
{
    int64_t coord[LK_MAX_DIMS] = {0};
    int64_t total = 1;
    for (int d = 0; d < c->rank; d++)
        total *= c->size[d];
    for (int64_t i = 0; i < total; i++) {
        int64_t src = c->in_base, dst = c->out_base;
        for (int d = 0; d < c->rank; d++) {
            src += coord[d] * c->in_stride[d];
            dst += coord[d] * c->out_stride[d];
        }
        y[dst] = x[src];
        for (int d = c->rank - 1; d >= 0 && ++coord[d] == c->size[d]; d--)
            coord[d] = 0;
    }
}

/* Drops unit dims and fuses neighbours that are contiguous on both sides,
 * so concat/split/slice become 2-3 dims and the kernel divides less. */
static lk_strided_copy simplify(const lk_strided_copy *c)
{
    lk_strided_copy s;
    memset(&s, 0, sizeof s);
    s.in_base = c->in_base;
    s.out_base = c->out_base;
    for (int d = 0; d < c->rank; d++) {
        if (c->size[d] == 1)
            continue;
        int r = s.rank - 1;
        if (r >= 0 && s.in_stride[r] == c->in_stride[d] * c->size[d] &&
            s.out_stride[r] == c->out_stride[d] * c->size[d]) {
            s.size[r] *= c->size[d];
            s.in_stride[r] = c->in_stride[d];
            s.out_stride[r] = c->out_stride[d];
            continue;
        }
        s.size[s.rank] = c->size[d];
        s.in_stride[s.rank] = c->in_stride[d];
        s.out_stride[s.rank] = c->out_stride[d];
        s.rank++;
    }
    if (s.rank == 0) {
        s.rank = 1;
        s.size[0] = 1;
    }
    return s;
}

/* Lowest and highest offset the copy touches on one side. */
static void offset_range(const lk_strided_copy *c, int64_t base, const int64_t *stride,
                         int64_t *lo, int64_t *hi)
{
    *lo = *hi = base;
    for (int d = 0; d < c->rank; d++) {
        int64_t span = (c->size[d] - 1) * stride[d];
        if (span < 0)
            *lo += span;
        else
            *hi += span;
    }
}

lk_status lk_strided_copy_gpu(const lk_strided_copy *c, int in_ref, int out_ref,
                              lk_kernels *k, lk_msg *msg)
{
    lk_strided_copy s = simplify(c);
    int64_t total = 1, in_lo, in_hi, out_lo, out_hi;
    for (int d = 0; d < s.rank; d++)
        total *= s.size[d];
    offset_range(&s, s.in_base, s.in_stride, &in_lo, &in_hi);
    offset_range(&s, s.out_base, s.out_stride, &out_lo, &out_hi);
    /* The kernel indexes with 32-bit integers. */
    if (in_lo < 0 || out_lo < 0 || in_hi > INT32_MAX || out_hi > INT32_MAX || total > INT32_MAX)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "copy of %lld elements reaches offset %lld, "
                       "past the 32-bit index range", (long long)total,
                       (long long)(in_hi > out_hi ? in_hi : out_hi));

    lk_dispatch d;
    lk_dispatch_init(&d, LK_SH_strided_copy);
    lk_dispatch_spec(&d, WG_SIZE);
    lk_dispatch_spec(&d, (uint32_t)s.rank);
    lk_dispatch_spec(&d, ELEMS);
    for (int i = 0; i < LK_MAX_DIMS; i++)
        lk_dispatch_push(&d, (uint32_t)(i < s.rank ? s.size[i] : 1));
    for (int i = 0; i < LK_MAX_DIMS; i++)
        lk_dispatch_push(&d, (uint32_t)(int32_t)(i < s.rank ? s.in_stride[i] : 0));
    for (int i = 0; i < LK_MAX_DIMS; i++)
        lk_dispatch_push(&d, (uint32_t)(int32_t)(i < s.rank ? s.out_stride[i] : 0));
    lk_dispatch_push(&d, (uint32_t)s.in_base);
    lk_dispatch_push(&d, (uint32_t)s.out_base);
    lk_dispatch_push(&d, (uint32_t)total);
    lk_dispatch_bind(&d, in_ref);
    lk_dispatch_bind(&d, out_ref);
    uint32_t groups = lk_div_up((uint64_t)total, (uint64_t)WG_SIZE * ELEMS);
    lk_dispatch_grid(&d, groups);
    d.groups[1] = lk_div_up(groups, d.groups[0]);
    return lk_kernels_dispatch(k, &d, msg);
}
