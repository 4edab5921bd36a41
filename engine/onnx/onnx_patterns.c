/* Activations that opsets up to 17 can only spell as several nodes, found
 * before mapping so their interior is never built (the engine has no Erf
 * or Softplus kernel):
 *   GELU  x·0.5·(1 + erf(x/√2))  — Div(x,√2) or Mul(x,1/√2) → Erf → Add 1 →
 *         Mul x → Mul 0.5, or with Mul(x,0.5) as the other factor;
 *   Mish  x·tanh(softplus(x)).
 * Every interior value must feed only the next node of the pattern. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_internal.h"

static const Onnx__NodeProto *node_at(ox_ctx *c, int i)
{
    return i >= 0 ? c->graph->node[i] : NULL;
}

static int is_op(const Onnx__NodeProto *n, const char *op, size_t n_in)
{
    const char *d = n ? n->domain : NULL;
    return n && n->op_type && !strcmp(n->op_type, op) && n->n_input == n_in && n->n_output == 1 &&
           (!d || !*d || !strcmp(d, "ai.onnx"));
}

/* The only consumer of value v (node index), or -1. */
static int sole_consumer(ox_ctx *c, const int *consumer, int v)
{
    return v >= 0 && c->vals[v].uses == 1 ? consumer[v] : -1;
}

/* A one-element constant: an initializer or a Constant node's value. */
static int scalar(ox_ctx *c, int v, double *out)
{
    if (v < 0)
        return 0;
    if (c->vals[v].kind == OX_CONST) {
        if (c->vals[v].c.n != 1)
            return 0;
        *out = ox_tensor_get(&c->vals[v].c, 0);
        return 1;
    }
    const Onnx__NodeProto *n = node_at(c, c->vals[v].producer);
    if (!is_op(n, "Constant", 0))
        return 0;
    const Onnx__AttributeProto *a = ox_attr(n, "value");
    int is_float = a && a->t && a->t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT;
    if (is_float && a->t->n_float_data == 1) {
        *out = a->t->float_data[0];
        return 1;
    }
    if (is_float && a->t->has_raw_data && a->t->raw_data.len == 4) {
        float f;
        memcpy(&f, a->t->raw_data.data, 4);
        *out = f;
        return 1;
    }
    a = ox_attr(n, "value_float");
    if (a && a->has_f) {
        *out = a->f;
        return 1;
    }
    return 0;
}

static int near(double v, double want)
{
    return fabs(v - want) <= 1e-4 * fabs(want);
}

/* Of a two-input node: the input that is not `v`, -1 when v is not an input. */
static int other_input(ox_ctx *c, const Onnx__NodeProto *n, int v)
{
    int a = ox_find(c, n->input[0]), b = ox_find(c, n->input[1]);
    return a == v ? b : b == v ? a : -1;
}

/* x when n is x·k (or x/(1/k)) for the constant k; -1 otherwise. */
static int scaled_input(ox_ctx *c, const Onnx__NodeProto *n, double k)
{
    double s;
    int a = ox_find(c, n->input[0]), b = ox_find(c, n->input[1]);
    if (is_op(n, "Div", 2))
        return scalar(c, b, &s) && near(s, 1.0 / k) ? a : -1;
    if (!is_op(n, "Mul", 2))
        return -1;
    return scalar(c, b, &s) && near(s, k) ? a : scalar(c, a, &s) && near(s, k) ? b : -1;
}

static int out_of(ox_ctx *c, int node)
{
    return ox_find(c, c->graph->node[node]->output[0]);
}

static void mark(ox_ctx *c, int tail, lk_act act, int x, const int *interior, int n)
{
    for (int i = 0; i < n; i++)
        if (c->skip[interior[i]])
            return;
    if (c->skip[tail] || c->fuse_act[tail] != LK_ACT_NONE)
        return;
    for (int i = 0; i < n; i++)
        c->skip[interior[i]] = 1;
    c->fuse_act[tail] = act;
    c->fuse_x[tail] = x;
}

static void gelu_at(ox_ctx *c, const int *consumer, int e)
{
    double s;
    int a = ox_find(c, c->graph->node[e]->input[0]);
    int p = a >= 0 && c->vals[a].uses == 1 ? c->vals[a].producer : -1;
    const Onnx__NodeProto *pn = node_at(c, p);
    int x = pn && pn->n_input == 2 ? scaled_input(c, pn, 0.70710678118654752) : -1;
    int add = sole_consumer(c, consumer, out_of(c, e));
    if (x < 0 || !is_op(node_at(c, add), "Add", 2) ||
        !scalar(c, other_input(c, c->graph->node[add], out_of(c, e)), &s) || !near(s, 1.0))
        return;
    int m1 = sole_consumer(c, consumer, out_of(c, add));
    if (!is_op(node_at(c, m1), "Mul", 2))
        return;
    int o = other_input(c, c->graph->node[m1], out_of(c, add));
    if (o == x) { /* (x · (1 + erf)) · 0.5 */
        int m2 = sole_consumer(c, consumer, out_of(c, m1));
        if (is_op(node_at(c, m2), "Mul", 2) &&
            scalar(c, other_input(c, c->graph->node[m2], out_of(c, m1)), &s) && near(s, 0.5))
            mark(c, m2, LK_ACT_GELU, x, (int[]){p, e, add, m1}, 4);
        return;
    }
    int h = o >= 0 && c->vals[o].uses == 1 ? c->vals[o].producer : -1;
    if (is_op(node_at(c, h), "Mul", 2) && scaled_input(c, c->graph->node[h], 0.5) == x)
        mark(c, m1, LK_ACT_GELU, x, (int[]){p, e, add, h}, 4); /* (x · 0.5) · (1 + erf) */
}

static void mish_at(ox_ctx *c, const int *consumer, int sp)
{
    int x = ox_find(c, c->graph->node[sp]->input[0]);
    int th = sole_consumer(c, consumer, out_of(c, sp));
    if (x < 0 || !is_op(node_at(c, th), "Tanh", 1))
        return;
    int m = sole_consumer(c, consumer, out_of(c, th));
    if (is_op(node_at(c, m), "Mul", 2) && other_input(c, c->graph->node[m], out_of(c, th)) == x)
        mark(c, m, LK_ACT_MISH, x, (int[]){sp, th}, 2);
}

void ox_find_patterns(ox_ctx *c, const int *order, int n)
{
    int *consumer = malloc((size_t)(c->n_vals + 1) * sizeof *consumer);
    if (!consumer)
        return; /* the patterns are an optimisation: map node by node */
    for (int v = 0; v < c->n_vals; v++)
        consumer[v] = -1;
    for (int i = 0; i < n; i++)
        for (size_t j = 0; j < c->graph->node[i]->n_input; j++) {
            int v = ox_find(c, c->graph->node[i]->input[j]);
            if (v >= 0)
                consumer[v] = i;
        }
    for (int k = 0; k < n; k++) {
        int i = order[k];
        if (is_op(c->graph->node[i], "Erf", 1))
            gelu_at(c, consumer, i);
        else if (is_op(c->graph->node[i], "Softplus", 1))
            mish_at(c, consumer, i);
    }
    free(consumer);
}
