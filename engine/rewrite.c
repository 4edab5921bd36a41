/* Graph rewrites that keep what the graph computes and make it cheaper. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"

static int count_consumers(const lk_graph *g, int t)
{
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++)
        for (int j = 0; j < g->nodes[i].n_in; j++)
            n += g->nodes[i].in[j] == t;
    return n;
}

static int is_const(const lk_graph *g, int t)
{
    return t >= 0 && g->tensors[t].kind == LK_TENSOR_CONST && g->tensors[t].view_of < 0;
}

/* Replaces the data of a conv's weight (and bias) with folded values. The
 * originals may be shared, so new constants are added. */
static lk_status fold_one(lk_graph *g, lk_node *conv, const lk_node *bn, lk_msg *msg)
{
    const lk_tensor_info *w = &g->tensors[conv->in[1]];
    int64_t m = w->shape.d[0], per = lk_shape_numel(&w->shape) / m;
    const float *scale = g->tensors[bn->in[1]].data, *beta = g->tensors[bn->in[2]].data;
    const float *mean = g->tensors[bn->in[3]].data, *var = g->tensors[bn->in[4]].data;
    const float *bias = conv->n_in > 2 && conv->in[2] >= 0 ? g->tensors[conv->in[2]].data : NULL;
    float *nw = malloc((size_t)(m * per) * sizeof *nw), *nb = malloc((size_t)m * sizeof *nb);
    lk_shape bs = lk_shape_make(1, &m), ws = w->shape;
    lk_tensor tw, tb;
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
    if ((st = lk_graph_constant(g, NULL, &ws, nw, &tw, msg)) ||
        (st = lk_graph_constant(g, NULL, &bs, nb, &tb, msg)))
        goto fail;
    conv->in[1] = tw;
    conv->in[2] = tb;
    conv->n_in = 3;
fail:
    free(nw);
    free(nb);
    return st;
}

lk_status lk_graph_optimize(lk_graph *g, int *n_rewrites, lk_msg *msg)
{
    int removed = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        lk_node *bn = &g->nodes[i];
        if (bn->op != LK_OP_BATCHNORM || bn->in[0] < 0)
            continue;
        int t = bn->in[0], c = g->tensors[t].producer;
        if (c < 0 || g->nodes[c].op != LK_OP_CONV2D || g->tensors[t].is_output ||
            g->nodes[c].p.conv2d.act.kind != LK_ACT_NONE || count_consumers(g, t) != 1 ||
            !is_const(g, g->nodes[c].in[1]) ||
            (g->nodes[c].n_in > 2 && g->nodes[c].in[2] >= 0 && !is_const(g, g->nodes[c].in[2])))
            continue;
        int params_const = 1;
        for (int j = 1; j < 5; j++)
            params_const &= is_const(g, bn->in[j]);
        if (!params_const)
            continue;
        /* fold_one may grow the tensor array; node pointers stay valid. */
        lk_status st = fold_one(g, &g->nodes[c], &g->nodes[i], msg);
        if (st)
            return st;
        /* The conv now produces the batch norm's output tensor. */
        int out = g->nodes[i].out[0];
        g->nodes[c].out[0] = out;
        g->tensors[out].producer = c;
        g->tensors[t].dead = 1;
        g->tensors[t].producer = -1;
        free(g->nodes[i].name);
        free(g->nodes[i].indices);
        memmove(&g->nodes[i], &g->nodes[i + 1], (size_t)(g->n_nodes - i - 1) * sizeof *g->nodes);
        g->n_nodes--;
        for (int k = 0; k < g->n_tensors; k++)
            if (g->tensors[k].producer > i)
                g->tensors[k].producer--;
        removed++;
        i--;
    }
    if (n_rewrites)
        *n_rewrites = removed;
    return LK_OK;
}

int lk_graph_n_nodes(const lk_graph *g)
{
    return g->n_nodes;
}
