/* matmul: numpy matmul. A [..., M, K] · B [..., K, N] with the batch dims
 * broadcast; a 1-D A is a row [1, K] whose M axis is dropped from the
 * output, a 1-D B a column [K, 1] whose N axis is dropped. B may be a
 * constant (weights) or a runtime tensor (attention). A fused activation
 * follows.
 *
 * Also home of lk_matmul_record, the driver of shaders/matmul.comp shared
 * with gemm: it takes one strided problem, repacks a constant B for vec4
 * loads, picks the orientation (Y or Yᵀ) and the register-block shape,
 * and records the dispatch. */
#include <stdlib.h>
#include <string.h>

#include "op.h"

#define BLOCK_TN 32       /* columns per workgroup (see block_tm for rows) */

/* The operand layout of a matmul node, numpy rules applied. */
typedef struct mm_geom {
    int64_t m, n, k;
    int64_t batch;                 /* product of the broadcast batch dims */
    int nb;                        /* number of batch dims */
    int64_t bd[LK_MAX_DIMS];       /* broadcast batch dims */
    int64_t sa[LK_MAX_DIMS];       /* A's batch strides (0 where broadcast) */
    int64_t sb[LK_MAX_DIMS];
} mm_geom;

/* Batch strides of operand s (matrix dims excluded) right-aligned against
 * the nb output batch dims; 0 where s repeats. */
static void batch_strides(const lk_shape *s, int nb, int64_t *st)
{
    int sb = s->rank > 2 ? s->rank - 2 : 0;
    int64_t stride = s->rank >= 2 ? s->d[s->rank - 1] * s->d[s->rank - 2] : 0;
    for (int i = nb - 1; i >= 0; i--) {
        int j = i - (nb - sb);
        st[i] = j >= 0 && s->d[j] != 1 ? stride : 0;
        if (j >= 0)
            stride *= s->d[j];
    }
}

static lk_status mm_geometry(const lk_shape *a, const lk_shape *b, mm_geom *g, lk_shape *out,
                             lk_msg *msg)
{
    char sa[96], sb[96];
    if (a->rank < 1 || b->rank < 1)
        return lk_fail(msg, LK_ERR_SHAPE, "operands must have rank >= 1, got %s and %s",
                       lk_shape_str(a, sa, sizeof sa), lk_shape_str(b, sb, sizeof sb));
    memset(g, 0, sizeof *g);
    g->m = a->rank == 1 ? 1 : a->d[a->rank - 2];
    g->k = a->d[a->rank - 1];
    int64_t kb = b->rank == 1 ? b->d[0] : b->d[b->rank - 2];
    g->n = b->rank == 1 ? 1 : b->d[b->rank - 1];
    if (g->k != kb)
        return lk_fail(msg, LK_ERR_SHAPE, "inner dimensions differ: A %s has K=%lld, B %s has K=%lld",
                       lk_shape_str(a, sa, sizeof sa), (long long)g->k,
                       lk_shape_str(b, sb, sizeof sb), (long long)kb);
    int na = a->rank > 2 ? a->rank - 2 : 0, nbb = b->rank > 2 ? b->rank - 2 : 0;
    g->nb = na > nbb ? na : nbb;
    g->batch = 1;
    for (int i = 0; i < g->nb; i++) {
        int ia = i - (g->nb - na), ib = i - (g->nb - nbb);
        int64_t da = ia >= 0 ? a->d[ia] : 1, db = ib >= 0 ? b->d[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return lk_fail(msg, LK_ERR_SHAPE,
                           "batch dimensions of A %s and B %s are not broadcastable "
                           "(batch axis %d: %lld vs %lld)",
                           lk_shape_str(a, sa, sizeof sa), lk_shape_str(b, sb, sizeof sb), i,
                           (long long)da, (long long)db);
        g->bd[i] = da == 1 ? db : da;
        g->batch *= g->bd[i];
    }
    batch_strides(a, g->nb, g->sa);
    batch_strides(b, g->nb, g->sb);
    if (out) {
        out->rank = g->nb;
        memcpy(out->d, g->bd, (size_t)g->nb * sizeof *g->bd);
        if (a->rank > 1)
            out->d[out->rank++] = g->m;
        if (b->rank > 1)
            out->d[out->rank++] = g->n;
    }
    return LK_OK;
}

/* Element offsets of A's and B's matrices for output batch z. */
static void batch_offsets(const mm_geom *g, int64_t z, int64_t *oa, int64_t *ob)
{
    *oa = *ob = 0;
    for (int i = g->nb - 1; i >= 0; i--) {
        int64_t c = z % g->bd[i];
        z /= g->bd[i];
        *oa += c * g->sa[i];
        *ob += c * g->sb[i];
    }
}

static lk_status matmul_infer(const lk_node *n, const lk_shape *in, lk_shape *out, lk_msg *msg)
{
    if ((unsigned)n->p.matmul.act.kind >= LK_ACT_COUNT)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "unknown activation %d", (int)n->p.matmul.act.kind);
    mm_geom g;
    return mm_geometry(&in[0], &in[1], &g, &out[0], msg);
}

static void matmul_reference(const lk_node *n, const lk_shape *in, const float *const *x,
                             const lk_shape *out, float *const *y)
{
    (void)out;
    mm_geom g;
    mm_geometry(&in[0], &in[1], &g, NULL, NULL);
    /* A 1-D B is a column: stride 1 down K; otherwise a row-major [K,N]. */
    int64_t bk = in[1].rank == 1 ? 1 : g.n;
    for (int64_t z = 0; z < g.batch; z++) {
        int64_t oa, ob;
        batch_offsets(&g, z, &oa, &ob);
        const float *a = x[0] + oa, *b = x[1] + ob;
        float *yz = y[0] + z * g.m * g.n;
        for (int64_t i = 0; i < g.m; i++)
            for (int64_t j = 0; j < g.n; j++) {
                double s = 0.0;
                for (int64_t t = 0; t < g.k; t++)
                    s += (double)a[i * g.k + t] * b[t * bk + j];
                yz[i * g.n + j] = lk_activation_apply(&n->p.matmul.act, (float)s);
            }
    }
}

/* Register block: lanes of a CPU rasterizer (subgroups of 4-16) take
 * 4 rows each; GPU subgroups (32, 64) take 2 so that TM·TN accumulators
 * fit the register file. Measured on lavapipe (2 cores, 8 lanes), 4 × 32
 * beat 4 × 16 and 6 × 16 by 10-15% at 1024³. */
static uint32_t block_tm(uint32_t s)
{
    return s <= 16 ? 4 : 2;
}

/* Rows per lane and columns per workgroup for an m × n output: the full
 * block, or, when the last block would be mostly empty, blocks evened out
 * over the matrix (m = 33 with 32-row blocks gives two of 17). */
static uint32_t tile_rows(int64_t m, uint32_t s)
{
    uint64_t blocks = lk_div_up(m, (uint64_t)block_tm(s) * s);
    return lk_div_up(lk_div_up(m, blocks), s);
}

static uint32_t tile_cols(int64_t n)
{
    uint64_t blocks = lk_div_up(n, BLOCK_TN);
    return lk_div_up(n, blocks);
}

/* Outputs computed, padding included, for an m × n output. */
static uint64_t padded(int64_t m, int64_t n, uint32_t s)
{
    uint64_t rows = (uint64_t)tile_rows(m, s) * s, cols = tile_cols(n);
    return lk_div_up(m, rows) * rows * (lk_div_up(n, cols) * cols);
}

/* A constant B (weights) not already k-contiguous with rows 4-aligned is
 * repacked at compile time as [matrix][n][kp], kp = K rounded up to 4
 * (zero padded), so the kernel reads it with vec4 loads: 30% faster on
 * lavapipe for ONNX MatMul's [K,N] weights. B's strides and its batch
 * offsets in off (matrices K·N apart) are rewritten. Returns the aux
 * buffer, -1 when B stays as it is, -2 when out of memory. */
static int repack_b(lk_kernels *k, int64_t n, int64_t kk, int64_t *b_sk, int64_t *b_sn,
                    int32_t *off, int64_t batch)
{
    const float *b = lk_kernels_const_data(k, 1);
    if (!b || (*b_sk == 1 && *b_sn % 4 == 0))
        return -1;
    int64_t kp = (kk + 3) / 4 * 4, nmat = 0;
    for (int64_t z = 0; z < batch; z++)
        if (off[2 * z + 1] / (kk * n) + 1 > nmat)
            nmat = off[2 * z + 1] / (kk * n) + 1;
    if (nmat * n * kp > INT32_MAX)
        return -1;
    float *p = calloc((size_t)(nmat * n * kp), sizeof *p);
    if (!p)
        return -2;
    for (int64_t mat = 0; mat < nmat; mat++)
        for (int64_t j = 0; j < n; j++)
            for (int64_t t = 0; t < kk; t++)
                p[(mat * n + j) * kp + t] = b[mat * kk * n + t * *b_sk + j * *b_sn];
    int aux = lk_kernels_aux_f32(k, p, (size_t)(nmat * n * kp));
    free(p);
    for (int64_t z = 0; z < batch; z++)
        off[2 * z + 1] = (int32_t)(off[2 * z + 1] / (kk * n) * n * kp);
    *b_sk = 1;
    *b_sn = kp;
    return aux;
}

/* Declared in op.h; B's batch matrices lie K·N apart in off. */
lk_status lk_matmul_record(lk_kernels *k, const int64_t dims[3], const int64_t st[6],
                           const int32_t *off, int64_t batch, int c_input, float alpha,
                           float beta, const lk_activation *act, int y_t, lk_msg *msg)
{
    int64_t m = dims[0], n = dims[1], kk = dims[2];
    int64_t a_sm = st[0], a_sk = st[1], b_sk = st[2], b_sn = st[3], c_sm = st[4], c_sn = st[5];
    int64_t y_sm = y_t ? 1 : n, y_sn = y_t ? m : 1;
    int bind_a = LK_BIND_IN(0), bind_b = LK_BIND_IN(1);
    const lk_device_info *dev = lk_kernels_device(k);
    uint32_t s = dev->subgroup_size;
    if (!dev->subgroup_shuffle || s < 1 || s > 128)
        return lk_fail(msg, LK_ERR_UNSUPPORTED,
                       "matmul: device %s has no subgroup shuffle in compute shaders "
                       "(subgroup size %u)", dev->name, s);

    /* The kernel reads (A, B) offsets of matrix z at 2z, 2z + 1. */
    int32_t *o = malloc((size_t)batch * 2 * sizeof *o);
    if (!o)
        return lk_fail(msg, LK_ERR_NO_MEMORY, "matmul: out of memory");
    memcpy(o, off, (size_t)batch * 2 * sizeof *o);
    int packed = repack_b(k, n, kk, &b_sk, &b_sn, o, batch);
    if (packed == -2) {
        free(o);
        return lk_fail(msg, LK_ERR_NO_MEMORY, "matmul: out of memory");
    }
    if (packed >= 0)
        bind_b = LK_BIND_AUX(packed);

    /* A workgroup computes (tm·S) × tn outputs; when the transposed
     * problem Yᵀ = Bᵀ·Aᵀ pads less (a GEMV such as a classifier head with
     * M = 1), compute that instead. */
    if (padded(n, m, s) < padded(m, n, s)) {
        int64_t t;
        t = m, m = n, n = t;
        t = a_sm, a_sm = b_sn, b_sn = t;
        t = a_sk, a_sk = b_sk, b_sk = t;
        t = c_sm, c_sm = c_sn, c_sn = t;
        t = y_sm, y_sm = y_sn, y_sn = t;
        int b = bind_a;
        bind_a = bind_b, bind_b = b;
        for (int64_t z = 0; z < batch; z++) {
            int32_t w = o[2 * z];
            o[2 * z] = o[2 * z + 1], o[2 * z + 1] = w;
        }
    }
    uint32_t tm = tile_rows(m, s), tn = tile_cols(n);
    uint64_t gx = lk_div_up(n, tn), gy = lk_div_up(m, (uint64_t)tm * s);

    /* vec4 loads along k need the operand k-contiguous with every row
     * starting on a multiple of 4 elements (bindings start 256-aligned). */
    int a_vec = a_sk == 1 && a_sm % 4 == 0, b_vec = b_sk == 1 && b_sn % 4 == 0;
    for (int64_t z = 0; z < batch; z++) {
        a_vec &= o[2 * z] % 4 == 0;
        b_vec &= o[2 * z + 1] % 4 == 0;
    }
    int aux = lk_kernels_aux_i32(k, o, (size_t)batch * 2);
    free(o);
    if (gx > LK_MAX_GROUPS || gy > LK_MAX_GROUPS || batch > (int64_t)LK_MAX_GROUPS)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "%lld matrices of %lld x %lld exceed the dispatch limits",
                       (long long)batch, (long long)dims[0], (long long)dims[1]);

    lk_dispatch d;
    lk_dispatch_init(&d, LK_SH_matmul);
    d.full_subgroups = 1;
    lk_dispatch_spec(&d, s);
    lk_dispatch_spec(&d, tm);
    lk_dispatch_spec(&d, tn);
    lk_dispatch_spec(&d, (uint32_t)a_vec);
    lk_dispatch_spec(&d, (uint32_t)b_vec);
    lk_dispatch_spec(&d, c_input >= 0);
    lk_dispatch_specf(&d, alpha);
    lk_dispatch_specf(&d, beta);
    lk_dispatch_spec(&d, (uint32_t)act->kind);
    lk_dispatch_specf(&d, act->alpha);
    lk_dispatch_specf(&d, act->beta);
    const int64_t push[] = {m, n, kk, a_sm, a_sk, b_sk, b_sn, c_sm, c_sn, y_sm, y_sn,
                            dims[0] * dims[1]};
    for (size_t i = 0; i < sizeof push / sizeof *push; i++)
        lk_dispatch_push(&d, (uint32_t)push[i]);
    lk_dispatch_bind(&d, bind_a);
    lk_dispatch_bind(&d, bind_b);
    lk_dispatch_bind(&d, LK_BIND_AUX(aux));
    lk_dispatch_bind(&d, LK_BIND_IN(c_input >= 0 ? c_input : 0)); /* unread without C */
    lk_dispatch_bind(&d, LK_BIND_OUT(0));
    d.groups[0] = (uint32_t)gx;
    d.groups[1] = (uint32_t)gy;
    d.groups[2] = (uint32_t)batch;
    return lk_kernels_dispatch(k, &d, msg);
}

static lk_status matmul_gpu(const lk_node *n, const lk_shape *in, const lk_shape *out,
                            lk_kernels *k, lk_msg *msg)
{
    mm_geom g;
    lk_status st = mm_geometry(&in[0], &in[1], &g, NULL, msg);
    if (st)
        return st;
    if (lk_shape_numel(&in[0]) > INT32_MAX || lk_shape_numel(&in[1]) > INT32_MAX ||
        lk_shape_numel(&out[0]) > INT32_MAX)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "operands beyond 32-bit indexing");
    if (g.batch > (int64_t)LK_MAX_GROUPS)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "%lld batches exceed the dispatch limit",
                       (long long)g.batch);
    int32_t *off = malloc((size_t)g.batch * 2 * sizeof *off);
    if (!off)
        return lk_fail(msg, LK_ERR_NO_MEMORY, "batch offsets: out of memory");
    for (int64_t z = 0; z < g.batch; z++) {
        int64_t oa, ob;
        batch_offsets(&g, z, &oa, &ob);
        off[2 * z] = (int32_t)oa;
        off[2 * z + 1] = (int32_t)ob;
    }
    const int64_t dims[3] = {g.m, g.n, g.k};
    /* A 1-D B is a column: unit stride down K. */
    const int64_t strides[6] = {g.k, 1, in[1].rank == 1 ? 1 : g.n, 1, 0, 0};
    st = lk_matmul_record(k, dims, strides, off, g.batch, -1, 1.0f, 0.0f, &n->p.matmul.act, 0,
                          msg);
    free(off);
    return st;
}

static double matmul_flops(const lk_node *n, const lk_shape *in, const lk_shape *out)
{
    (void)n; (void)out;
    mm_geom g;
    if (mm_geometry(&in[0], &in[1], &g, NULL, NULL))
        return 0.0;
    return 2.0 * (double)g.batch * (double)g.m * (double)g.n * (double)g.k;
}

const lk_op_class lk_op_matmul = {
    .name = "matmul",
    .min_inputs = 2,
    .max_inputs = 2,
    .infer = matmul_infer,
    .reference = matmul_reference,
    .gpu = matmul_gpu,
    .flops = matmul_flops,
};
