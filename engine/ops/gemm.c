/* gemm: ONNX Gemm, Y = act(alpha·op(A)·op(B) + beta·C) with op() an
 * optional transpose, A and B 2-D and the optional C unidirectionally
 * broadcastable to [M, N] (scalar, [N], [M,1], [1,N], [M,N]).
 *
 * Runs on matmul.comp through lk_matmul_record: the transposes are just
 * strides, C's broadcast is strides of 0. */
#include "op.h"


/* The problem of a gemm node: dims {M, N, K} and strides {a_sm, a_sk,
 * b_sk, b_sn, c_sm, c_sn} in elements. */
static void gemm_layout(const lk_gemm_params *p, const lk_shape *in, int n_in, int64_t dims[3],
                        int64_t st[6])
{
    int64_t m = p->trans_a ? in[0].d[1] : in[0].d[0];
    int64_t k = p->trans_a ? in[0].d[0] : in[0].d[1];
    int64_t n = p->trans_b ? in[1].d[0] : in[1].d[1];
    dims[0] = m, dims[1] = n, dims[2] = k;
    st[0] = p->trans_a ? 1 : k;
    st[1] = p->trans_a ? m : 1;
    st[2] = p->trans_b ? 1 : n;
    st[3] = p->trans_b ? k : 1;
    st[4] = st[5] = 0;
    if (n_in > 2 && in[2].rank > 0) {
        const lk_shape *c = &in[2];
        int64_t cn = c->d[c->rank - 1], cm = c->rank == 2 ? c->d[0] : 1;
        st[4] = cm == 1 ? 0 : cn;
        st[5] = cn == 1 ? 0 : 1;
    }
}

static lk_status gemm_infer(const lk_node *n, const lk_shape *in, lk_shape *out, lk_msg *msg)
{
    const lk_gemm_params *p = &n->p.gemm;
    char sa[96], sb[96];
    if ((p->trans_a != 0 && p->trans_a != 1) || (p->trans_b != 0 && p->trans_b != 1))
        return lk_fail(msg, LK_ERR_INVALID_ARG, "trans_a %d / trans_b %d must be 0 or 1",
                       p->trans_a, p->trans_b);
    if ((unsigned)p->act.kind >= LK_ACT_COUNT)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "unknown activation %d", (int)p->act.kind);
    if (in[0].rank != 2 || in[1].rank != 2)
        return lk_fail(msg, LK_ERR_SHAPE, "A %s and B %s must both be 2-D",
                       lk_shape_str(&in[0], sa, sizeof sa), lk_shape_str(&in[1], sb, sizeof sb));
    int64_t dims[3], st[6];
    gemm_layout(p, in, 2, dims, st);
    int64_t kb = p->trans_b ? in[1].d[1] : in[1].d[0];
    if (dims[2] != kb)
        return lk_fail(msg, LK_ERR_SHAPE,
                       "inner dimensions differ: op(A) of A %s%s has K=%lld, op(B) of B %s%s has K=%lld",
                       lk_shape_str(&in[0], sa, sizeof sa), p->trans_a ? " transposed" : "", (long long)dims[2],
                       lk_shape_str(&in[1], sb, sizeof sb), p->trans_b ? " transposed" : "", (long long)kb);
    if (n->n_in > 2 && in[2].rank >= 0) {
        const lk_shape *c = &in[2];
        int ok = c->rank <= 2;
        if (ok && c->rank >= 1)
            ok = c->d[c->rank - 1] == 1 || c->d[c->rank - 1] == dims[1];
        if (ok && c->rank == 2)
            ok = c->d[0] == 1 || c->d[0] == dims[0];
        if (!ok)
            return lk_fail(msg, LK_ERR_SHAPE, "C %s is not broadcastable to [M,N] = [%lld,%lld]",
                           lk_shape_str(c, sa, sizeof sa), (long long)dims[0], (long long)dims[1]);
    }
    out[0].rank = 2;
    out[0].d[0] = dims[0];
    out[0].d[1] = dims[1];
    return LK_OK;
}

static int has_c(const lk_node *n, const lk_shape *in)
{
    return n->n_in > 2 && in[2].rank >= 0;
}

static void gemm_reference(const lk_node *n, const lk_shape *in, const float *const *x,
                           const lk_shape *out, float *const *y)
{
    (void)out;
    const lk_gemm_params *p = &n->p.gemm;
    int64_t dims[3], st[6];
    gemm_layout(p, in, n->n_in, dims, st);
    for (int64_t i = 0; i < dims[0]; i++)
        for (int64_t j = 0; j < dims[1]; j++) {
            double s = 0.0;
            for (int64_t t = 0; t < dims[2]; t++)
                s += (double)x[0][i * st[0] + t * st[1]] * x[1][t * st[2] + j * st[3]];
            float v = p->alpha * (float)s;
            if (has_c(n, in))
                v += p->beta * x[2][i * st[4] + j * st[5]];
            y[0][i * dims[1] + j] = lk_activation_apply(&p->act, v);
        }
}

static lk_status gemm_gpu(const lk_node *n, const lk_shape *in, const lk_shape *out,
                          lk_kernels *k, lk_msg *msg)
{
    const lk_gemm_params *p = &n->p.gemm;
    if (lk_shape_numel(&in[0]) > INT32_MAX || lk_shape_numel(&in[1]) > INT32_MAX ||
        lk_shape_numel(&out[0]) > INT32_MAX)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "operands beyond 32-bit indexing");
    int64_t dims[3], st[6];
    gemm_layout(p, in, n->n_in, dims, st);
    const int32_t off[2] = {0, 0};
    return lk_matmul_record(k, dims, st, off, 1, has_c(n, in) ? 2 : -1, p->alpha, p->beta,
                            &p->act, 0, msg);
}

static double gemm_flops(const lk_node *n, const lk_shape *in, const lk_shape *out)
{
    int64_t dims[3], st[6];
    (void)out;
    gemm_layout(&n->p.gemm, in, 2, dims, st);
    return 2.0 * (double)dims[0] * (double)dims[1] * (double)dims[2];
}

const lk_op_class lk_op_gemm = {
    .name = "gemm",
    .min_inputs = 2,
    .max_inputs = 3,
    .infer = gemm_infer,
    .reference = gemm_reference,
    .gpu = gemm_gpu,
    .flops = gemm_flops,
};
