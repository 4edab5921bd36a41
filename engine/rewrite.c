/* Graph rewrites that keep what the graph computes and make it cheaper.
 * Each is local and guarded so that it applies only where the result is
 * the same computation (up to fp32 rounding), never through a tensor that
 * is a graph output or that something else also reads:
 *   - batch norm folded into the convolution before it;
 *   - x·sigmoid(x) → SiLU and x·hardsigmoid(x) (1/6, 1/2) → HardSwish;
 *   - an activation fused into the conv, conv-transpose, gemm or matmul
 *     before it;
 *   - a Pad merged into the convolution or pooling after it;
 *   - transpose → softmax → inverse transpose: softmax on the original axis;
 *   - transposes composed, and dropped when they cancel;
 *   - reshape chains collapsed, reshapes to the same shape dropped;
 *   - nodes whose results nothing reads removed.
 * Nodes are marked dead (n_out = 0) while passes run and compacted at the
 * end, keeping the survivors in their topological order. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "ops/op.h"

typedef struct rw {
    lk_graph *g;
    int *uses;               /* per tensor: inputs of live nodes reading it */
    int *reader;             /* per tensor: a node reading it (the only one when uses is 1) */
    int *repl;               /* per tensor: the tensor its readers move to, or itself */
    int cap;                 /* entries in the arrays above */
    int removed;
} rw;

static int live(const lk_node *n)
{
    return n->n_out > 0;
}

/* Sizes the per-tensor arrays to the graph (rewrites add constants). */
static lk_status track(rw *r, lk_msg *msg)
{
    int n = r->g->n_tensors;
    if (n <= r->cap)
        return LK_OK;
    int *u = realloc(r->uses, (size_t)n * sizeof *u);
    if (u)
        r->uses = u;
    int *d = realloc(r->reader, (size_t)n * sizeof *d);
    if (d)
        r->reader = d;
    int *p = realloc(r->repl, (size_t)n * sizeof *p);
    if (p)
        r->repl = p;
    if (!u || !d || !p)
        return lk_fail(msg, LK_ERR_NO_MEMORY, "optimize: out of memory");
    for (int t = r->cap; t < n; t++) {
        r->uses[t] = 0;
        r->reader[t] = -1;
        r->repl[t] = t;
    }
    r->cap = n;
    return LK_OK;
}

static lk_status count_uses(rw *r, lk_msg *msg)
{
    lk_graph *g = r->g;
    lk_status st = track(r, msg);
    if (st)
        return st;
    for (int i = 0; i < g->n_nodes; i++)
        for (int j = 0; j < g->nodes[i].n_in; j++)
            if (g->nodes[i].in[j] >= 0) {
                r->uses[g->nodes[i].in[j]]++;
                r->reader[g->nodes[i].in[j]] = i;
            }
    return LK_OK;
}

static int is_const(const lk_graph *g, int t)
{
    return t >= 0 && g->tensors[t].kind == LK_TENSOR_CONST && g->tensors[t].view_of < 0;
}

/* The producer of t when it is a live node of the given op, else NULL. */
static lk_node *made_by(rw *r, int t, lk_op op)
{
    int p = t >= 0 ? r->g->tensors[t].producer : -1;
    return p >= 0 && r->g->nodes[p].op == op && live(&r->g->nodes[p]) ? &r->g->nodes[p] : NULL;
}

/* t is read by exactly one node input and is no graph output. */
static int private_to_one(rw *r, int t)
{
    return r->uses[t] == 1 && !r->g->tensors[t].is_output;
}

static int reads(const lk_node *n, int t)
{
    for (int j = 0; j < n->n_in; j++)
        if (n->in[j] == t)
            return 1;
    return 0;
}

/* The only live node reading t when t is private to one, else NULL. */
static lk_node *sole_reader(rw *r, int t)
{
    lk_graph *g = r->g;
    if (!private_to_one(r, t))
        return NULL;
    int i = r->reader[t];
    if (i >= 0 && live(&g->nodes[i]) && reads(&g->nodes[i], t))
        return &g->nodes[i];
    for (i = 0; i < g->n_nodes; i++) /* the recorded reader has gone since */
        if (live(&g->nodes[i]) && reads(&g->nodes[i], t))
            return &r->g->nodes[r->reader[t] = i];
    return NULL;
}

static void set_input(rw *r, lk_node *n, int j, int t)
{
    if (n->in[j] >= 0)
        r->uses[n->in[j]]--;
    n->in[j] = t;
    if (t >= 0) {
        r->uses[t]++;
        r->reader[t] = (int)(n - r->g->nodes);
    }
}

/* Node n now produces `out` in place of its own output 0, which dies. */
static void take_output(rw *r, lk_node *n, int out)
{
    lk_graph *g = r->g;
    int old = n->out[0];
    g->tensors[old].producer = -1;
    g->tensors[old].dead = 1;
    n->out[0] = out;
    g->tensors[out].producer = (int)(n - g->nodes);
}

/* Marks a node dead; outputs it still produces die with it. */
static void kill(rw *r, lk_node *n)
{
    lk_graph *g = r->g;
    int idx = (int)(n - g->nodes);
    for (int j = 0; j < n->n_in; j++)
        if (n->in[j] >= 0)
            r->uses[n->in[j]]--;
    for (int j = 0; j < n->n_out; j++)
        if (g->tensors[n->out[j]].producer == idx) {
            g->tensors[n->out[j]].producer = -1;
            g->tensors[n->out[j]].dead = 1;
        }
    n->n_in = 0;
    n->n_out = 0;
    r->removed++;
}

/* Every reader of `from` is to read `to` instead: recorded here, applied
 * to each node as a pass reaches it (refresh) and to all at its end
 * (apply_redirects), so a long chain costs linear time. */
static void redirect(rw *r, int from, int to)
{
    r->repl[from] = to;
}

static int resolve(rw *r, int t)
{
    int root = t;
    while (r->repl[root] != root)
        root = r->repl[root];
    while (r->repl[t] != root) { /* path compression */
        int next = r->repl[t];
        r->repl[t] = root;
        t = next;
    }
    return root;
}

static void refresh(rw *r, lk_node *n)
{
    for (int j = 0; j < n->n_in; j++)
        if (n->in[j] >= 0 && r->repl[n->in[j]] != n->in[j])
            set_input(r, n, j, resolve(r, n->in[j]));
}

/* Views of a redirected tensor alias its replacement's memory. */
static void apply_redirects(rw *r)
{
    lk_graph *g = r->g;
    for (int i = 0; i < g->n_nodes; i++)
        if (live(&g->nodes[i]))
            refresh(r, &g->nodes[i]);
    for (int t = 0; t < g->n_tensors; t++) {
        int v = g->tensors[t].view_of;
        if (v >= 0 && r->repl[v] != v) {
            int to = resolve(r, v);
            g->tensors[t].view_of = g->tensors[to].view_of >= 0 ? g->tensors[to].view_of : to;
        }
    }
}

static int root_is_act(const lk_graph *g, int t)
{
    int root = g->tensors[t].view_of >= 0 ? g->tensors[t].view_of : t;
    return g->tensors[root].kind == LK_TENSOR_ACT;
}

/* --------------------------------------------------- batch norm folding */

/* Folded weight and bias of a conv followed by batch norm, as new
 * constants (the originals may be shared). */
static lk_status fold_one(lk_graph *g, const lk_node *conv, const lk_node *bn, lk_tensor *tw,
                          lk_tensor *tb, lk_msg *msg)
{
    const lk_tensor_info *w = &g->tensors[conv->in[1]];
    int64_t m = w->shape.d[0], per = lk_shape_numel(&w->shape) / m;
    const float *scale = g->tensors[bn->in[1]].data, *beta = g->tensors[bn->in[2]].data;
    const float *mean = g->tensors[bn->in[3]].data, *var = g->tensors[bn->in[4]].data;
    const float *bias = conv->n_in > 2 && conv->in[2] >= 0 ? g->tensors[conv->in[2]].data : NULL;
    float *nw = malloc((size_t)(m * per) * sizeof *nw), *nb = malloc((size_t)m * sizeof *nb);
    lk_shape bs = lk_shape_make(1, &m), ws = w->shape;
    lk_status st = LK_OK;

    if (!nw || !nb) {
        st = lk_fail(msg, LK_ERR_NO_MEMORY, "batchnorm folding: out of memory");
        goto fail;
    }
    for (int64_t o = 0; o < m; o++) {
        double s = scale[o] / sqrt((double)var[o] + bn->p.norm.epsilon);
        for (int64_t i = 0; i < per; i++)
            nw[o * per + i] = (float)(w->data[o * per + i] * s);
        nb[o] = (float)(((bias ? bias[o] : 0.0) - mean[o]) * s + beta[o]);
    }
    if (!(st = lk_graph_constant(g, NULL, &ws, nw, tw, msg)))
        st = lk_graph_constant(g, NULL, &bs, nb, tb, msg);
fail:
    free(nw);
    free(nb);
    return st;
}

static lk_status fold_batchnorm(rw *r, lk_msg *msg)
{
    lk_graph *g = r->g;
    for (int i = 0; i < g->n_nodes; i++) {
        lk_node *bn = &g->nodes[i];
        if (bn->op != LK_OP_BATCHNORM || !live(bn) || bn->in[0] < 0)
            continue;
        int t = bn->in[0];
        lk_node *conv = made_by(r, t, LK_OP_CONV2D);
        if (!conv || !private_to_one(r, t) || conv->p.conv2d.act.kind != LK_ACT_NONE ||
            !is_const(g, conv->in[1]) ||
            (conv->n_in > 2 && conv->in[2] >= 0 && !is_const(g, conv->in[2])))
            continue;
        int params_const = 1;
        for (int j = 1; j < 5; j++)
            params_const &= is_const(g, bn->in[j]);
        if (!params_const)
            continue;
        /* New constants grow the tensor array; node pointers stay valid. */
        lk_tensor tw, tb;
        lk_status st = fold_one(g, conv, bn, &tw, &tb, msg);
        if (st || (st = track(r, msg)))
            return st;
        if (conv->n_in < 3) {
            conv->in[2] = -1;
            conv->n_in = 3;
        }
        set_input(r, conv, 1, tw);
        set_input(r, conv, 2, tb);
        take_output(r, conv, bn->out[0]);
        kill(r, bn);
    }
    return LK_OK;
}

/* ------------------------------------------------ activations */

/* x·f(x) where f is unary u reading x: the activation x·f(x) is, or NONE. */
static lk_act gated(const lk_node *u)
{
    const lk_activation *a = &u->p.unary.act;
    if (a->kind == LK_ACT_SIGMOID)
        return LK_ACT_SILU;
    if (a->kind == LK_ACT_HARDSIGMOID && fabsf(a->alpha - 1.0f / 6.0f) < 1e-6f && a->beta == 0.5f)
        return LK_ACT_HARDSWISH;
    return LK_ACT_NONE;
}

static void fuse_gates(rw *r)
{
    lk_graph *g = r->g;
    for (int i = 0; i < g->n_nodes; i++) {
        lk_node *m = &g->nodes[i];
        if (m->op != LK_OP_BINARY || !live(m) || m->p.binary.kind != LK_BIN_MUL)
            continue;
        for (int side = 0; side < 2; side++) {
            int s = m->in[side], x = m->in[1 - side];
            lk_node *u = made_by(r, s, LK_OP_UNARY);
            lk_act act = u ? gated(u) : LK_ACT_NONE;
            if (act == LK_ACT_NONE || u->in[0] != x || !private_to_one(r, s) ||
                !lk_shape_eq(&g->tensors[x].shape, &g->tensors[m->out[0]].shape))
                continue;
            u->p.unary.act = (lk_activation){act, 0.0f, 0.0f};
            take_output(r, u, m->out[0]);
            kill(r, m);
            break;
        }
    }
}

static lk_activation *fused_act(lk_node *n)
{
    switch (n->op) {
    case LK_OP_CONV2D: return &n->p.conv2d.act;
    case LK_OP_CONV_TRANSPOSE2D: return &n->p.conv_transpose2d.act;
    case LK_OP_GEMM: return &n->p.gemm.act;
    case LK_OP_MATMUL: return &n->p.matmul.act;
    default: return NULL;
    }
}

static void fuse_activations(rw *r)
{
    lk_graph *g = r->g;
    for (int i = 0; i < g->n_nodes; i++) {
        lk_node *u = &g->nodes[i];
        if (u->op != LK_OP_UNARY || !live(u) || u->p.unary.act.kind == LK_ACT_NONE)
            continue;
        int t = u->in[0], p = g->tensors[t].producer;
        lk_activation *a = p >= 0 && live(&g->nodes[p]) ? fused_act(&g->nodes[p]) : NULL;
        if (!a || a->kind != LK_ACT_NONE || !private_to_one(r, t))
            continue;
        *a = u->p.unary.act;
        take_output(r, &g->nodes[p], u->out[0]);
        kill(r, u);
    }
}

/* ------------------------------------------------------- pads */

static int zero_pads(const int *pads)
{
    return !pads[0] && !pads[1] && !pads[2] && !pads[3];
}

/* Whether the node with params q and input 0 `x` infers its current output shape. */
static int same_output(rw *r, const lk_node *n, const lk_params *q, int x)
{
    const lk_graph *g = r->g;
    lk_node tmp = *n;
    lk_shape in[LK_MAX_NODE_INPUTS], out[LK_MAX_NODE_OUTPUTS];
    tmp.p = *q;
    tmp.in[0] = x;
    for (int j = 0; j < tmp.n_in; j++) {
        memset(&in[j], 0, sizeof in[j]);
        if (tmp.in[j] >= 0)
            in[j] = g->tensors[tmp.in[j]].shape;
        else
            in[j].rank = -1;
    }
    memset(out, 0, sizeof out);
    return lk_op_class_get(n->op)->infer(&tmp, in, out, NULL) == LK_OK &&
           lk_shape_eq(&out[0], &g->tensors[n->out[0]].shape);
}

/* Pad feeding only a conv or pool: its spatial pads join the window's.
 * Exact where the window sees the same values: a conv pads with any mode
 * (when it pads nothing itself, or pads zeros with the same value); an
 * average pool with zeros when it counts pads as taps; a max pool with
 * -inf (dilation 1 keeps every window on at least one input element). */
static void merge_pads(rw *r)
{
    lk_graph *g = r->g;
    for (int i = 0; i < g->n_nodes; i++) {
        lk_node *pd = &g->nodes[i];
        if (pd->op != LK_OP_PAD || !live(pd))
            continue;
        const lk_pad_params *pp = &pd->p.pad;
        int x = pd->in[0], t = pd->out[0];
        const int64_t *b = pp->pads;
        if (g->tensors[x].shape.rank != 4 || !private_to_one(r, t) || b[0] || b[1] || b[4] ||
            b[5])
            continue;
        int add[4] = {0, 0, 0, 0}, ok = 1;
        for (int k = 0; k < 4; k++) {
            int64_t v = b[k < 2 ? 2 + k : 4 + k];  /* top, left, bottom, right */
            ok &= v >= 0 && v <= 65535;
            add[k] = (int)v;
        }
        lk_node *c = sole_reader(r, t);
        if (!ok || !c || c->in[0] != t)
            continue;
        lk_params q = c->p;
        int *pads;
        if (c->op == LK_OP_CONV2D) {
            lk_conv2d_params *cp = &q.conv2d;
            pads = cp->pads;
            if (zero_pads(cp->pads)) {
                cp->pad_mode = pp->mode;
                cp->pad_value = pp->value;
            } else if (cp->pad_mode != LK_PAD_ZERO || pp->mode != LK_PAD_ZERO ||
                       cp->pad_value != pp->value) {
                continue;
            }
        } else if (c->op == LK_OP_POOL2D && pp->mode == LK_PAD_ZERO) {
            lk_pool2d_params *pl = &q.pool2d;
            pads = pl->pads;
            if (pl->kind == LK_POOL_AVG) {
                if (pp->value != 0.0f || (!pl->count_include_pad && !zero_pads(pl->pads)))
                    continue;
                pl->count_include_pad = 1;
            } else if (!(pp->value <= -FLT_MAX) || pl->dilation[0] != 1 || pl->dilation[1] != 1) {
                continue;
            }
        } else {
            continue;
        }
        for (int k = 0; k < 4; k++)
            pads[k] += add[k];
        if (!same_output(r, c, &q, x))
            continue;
        c->p = q;
        set_input(r, c, 0, x);
        kill(r, pd);
    }
}

/* ------------------------------------------------ transposes, reshapes */

static int is_identity(const int *perm, int rank)
{
    for (int i = 0; i < rank; i++)
        if (perm[i] != i)
            return 0;
    return 1;
}

/* transpose(p) → softmax(axis a) → transpose back: softmax on axis p[a]. */
static void softmax_in_place(rw *r)
{
    lk_graph *g = r->g;
    for (int i = 0; i < g->n_nodes; i++) {
        lk_node *s = &g->nodes[i];
        if (s->op != LK_OP_SOFTMAX || !live(s))
            continue;
        int t1 = s->in[0], t2 = s->out[0], rank = g->tensors[t1].shape.rank;
        lk_node *a = made_by(r, t1, LK_OP_TRANSPOSE);
        lk_node *b = sole_reader(r, t2);
        if (!a || !b || b->op != LK_OP_TRANSPOSE || !private_to_one(r, t1))
            continue;
        int q[LK_MAX_DIMS];
        for (int k = 0; k < rank; k++)
            q[k] = a->p.transpose.perm[b->p.transpose.perm[k]];
        if (!is_identity(q, rank))
            continue;
        s->p.axis.axis = a->p.transpose.perm[lk_axis_norm(s->p.axis.axis, rank)];
        set_input(r, s, 0, a->in[0]);
        take_output(r, s, b->out[0]);
        kill(r, a);
        kill(r, b);
    }
}

static void fold_transposes(rw *r)
{
    lk_graph *g = r->g;
    for (int i = 0; i < g->n_nodes; i++) {
        lk_node *t2 = &g->nodes[i];
        if (!live(t2))
            continue;
        refresh(r, t2);
        if (t2->op != LK_OP_TRANSPOSE)
            continue;
        int t = t2->in[0], rank = g->tensors[t].shape.rank;
        lk_node *t1 = made_by(r, t, LK_OP_TRANSPOSE);
        if (t1 && private_to_one(r, t)) {
            int q[LK_MAX_DIMS];
            for (int k = 0; k < rank; k++)
                q[k] = t1->p.transpose.perm[t2->p.transpose.perm[k]];
            memcpy(t2->p.transpose.perm, q, (size_t)rank * sizeof *q);
            set_input(r, t2, 0, t1->in[0]);
            kill(r, t1);
        }
        /* Only onto a node result: views of it may be graph outputs. */
        int out = t2->out[0];
        if (is_identity(t2->p.transpose.perm, rank) && !g->tensors[out].is_output &&
            root_is_act(g, t2->in[0])) {
            redirect(r, out, t2->in[0]);
            kill(r, t2);
        }
    }
}

static void fold_reshapes(rw *r)
{
    lk_graph *g = r->g;
    for (int i = 0; i < g->n_nodes; i++) {
        lk_node *r2 = &g->nodes[i];
        if (!live(r2))
            continue;
        refresh(r, r2);
        if (r2->op != LK_OP_RESHAPE)
            continue;
        int out = r2->out[0];
        lk_node *r1 = made_by(r, r2->in[0], LK_OP_RESHAPE);
        if (r1) {
            int t = r2->in[0];
            r2->p.reshape.shape = g->tensors[out].shape; /* resolved: no 0 or -1 */
            set_input(r, r2, 0, r1->in[0]);
            if (!r->uses[t] && !g->tensors[t].is_output)
                kill(r, r1);
        }
        /* The same memory and shape: readers may read the input itself. */
        if (lk_shape_eq(&g->tensors[out].shape, &g->tensors[r2->in[0]].shape) &&
            !g->tensors[out].is_output) {
            redirect(r, out, r2->in[0]);
            kill(r, r2);
        }
    }
}

/* Backwards, so a chain of unread nodes goes in one sweep. */
static void remove_unread(rw *r)
{
    lk_graph *g = r->g;
    if (!g->n_outputs)
        return;
    for (int i = g->n_nodes - 1; i >= 0; i--) {
        lk_node *n = &g->nodes[i];
        int read = 0;
        for (int j = 0; live(n) && j < n->n_out; j++)
            read |= r->uses[n->out[j]] > 0 || g->tensors[n->out[j]].is_output;
        if (live(n) && !read)
            kill(r, n);
    }
}

/* Drops dead nodes; map has room for every node index. */
static void compact(lk_graph *g, int *map)
{
    int k = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        if (!live(&g->nodes[i])) {
            free(g->nodes[i].name);
            free(g->nodes[i].indices);
            map[i] = -1;
            continue;
        }
        map[i] = k;
        g->nodes[k++] = g->nodes[i];
    }
    g->n_nodes = k;
    for (int t = 0; t < g->n_tensors; t++)
        if (g->tensors[t].producer >= 0)
            g->tensors[t].producer = map[g->tensors[t].producer];
}

lk_status lk_graph_optimize(lk_graph *g, int *n_rewrites, lk_msg *msg)
{
    rw r = {g, NULL, NULL, NULL, 0, 0};
    int *map = malloc((size_t)(g->n_nodes + 1) * sizeof *map);
    lk_status st = map ? count_uses(&r, msg)
                       : lk_fail(msg, LK_ERR_NO_MEMORY, "optimize: out of memory");
    if (!st)
        st = fold_batchnorm(&r, msg);
    if (!st) {
        fuse_gates(&r);
        fuse_activations(&r);
        merge_pads(&r);
        softmax_in_place(&r);
        fold_transposes(&r);
        apply_redirects(&r);
        fold_reshapes(&r);
        apply_redirects(&r);
        remove_unread(&r);
    }
    if (map)
        compact(g, map);
    free(map);
    free(r.uses);
    free(r.reader);
    free(r.repl);
    if (n_rewrites)
        *n_rewrites = r.removed;
    return st;
}

int lk_graph_n_nodes(const lk_graph *g)
{
    return g->n_nodes;
}
