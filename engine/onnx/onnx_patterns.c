/* Multi-node patterns found before mapping, so their interior is never
 * built:
 *   GELU  x·0.5·(1 + erf(x/√2))  — Div(x,√2) or Mul(x,1/√2) → Erf → Add 1 →
 *         Mul x → Mul 0.5, or with Mul(x,0.5) as the other factor (opsets up
 *         to 17 can only spell it so; the engine has no Erf kernel);
 *   Mish  x·tanh(softplus(x));
 *   area attention (YOLOv12, as tools/yolov12/yolov12.py exports it), from
 *         the qkv projection Q [B, 3·nh·d, H, W] to the result [B, nh·d, H, W]:
 *           Reshape(Q, [B, nh, 3d, a, L]) → Transpose(0,3,1,2,4) →
 *           Split(axis 3, d each) → q, k, v;
 *           Transpose(q, last two) → MatMul k → Mul (or Div) scale →
 *           Softmax(last) → Transpose(last two) → MatMul(v, ·) →
 *           Transpose(0,2,3,1,4) → Reshape [B, nh·d, H, W] (H·W = a·L)
 *         becomes one area_attention node (no tokens×tokens matrix); the
 *         Split stays for v's own path (the position perceiver).
 *         lk_onnx_opts.no_fuse_attention keeps the chain as it is.
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

/* The values of a constant int64 vector (an initializer or a Constant
 * node's tensor), at most cap of them; -1 when not such a constant. */
static int const_ints(ox_ctx *c, int v, int64_t *out, int cap)
{
    if (v < 0)
        return -1;
    if (c->vals[v].kind == OX_CONST) {
        const ox_tensor *t = &c->vals[v].c;
        if (t->dtype != OX_I64 || t->rank != 1 || t->n > cap)
            return -1;
        for (int64_t i = 0; i < t->n; i++)
            out[i] = t->v.i[i];
        return (int)t->n;
    }
    const Onnx__NodeProto *n = node_at(c, c->vals[v].producer);
    const Onnx__AttributeProto *a = is_op(n, "Constant", 0) ? ox_attr(n, "value") : NULL;
    const Onnx__TensorProto *t = a ? a->t : NULL;
    if (!t || t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__INT64 || t->n_dims != 1)
        return -1;
    if (t->n_int64_data) {
        if (t->n_int64_data > (size_t)cap)
            return -1;
        memcpy(out, t->int64_data, t->n_int64_data * sizeof *out);
        return (int)t->n_int64_data;
    }
    if (!t->has_raw_data || t->raw_data.len % 8 || t->raw_data.len / 8 > (size_t)cap)
        return -1;
    for (size_t i = 0; i < t->raw_data.len / 8; i++) {
        uint64_t u = 0;
        for (int b = 7; b >= 0; b--)
            u = u << 8 | t->raw_data.data[i * 8 + (size_t)b];
        out[i] = (int64_t)u;
    }
    return (int)(t->raw_data.len / 8);
}

static int has_perm(const Onnx__NodeProto *n, const int64_t *want, int rank)
{
    const int64_t *v;
    if (!is_op(n, "Transpose", 1) || ox_attr_ints(n, "perm", &v) != rank)
        return 0;
    return !memcmp(v, want, (size_t)rank * sizeof *v);
}

/* The producer of value v when v is its only output used once, else -1. */
static int single_use_producer(ox_ctx *c, int v)
{
    return v >= 0 && c->vals[v].uses == 1 ? c->vals[v].producer : -1;
}

static int in_of(ox_ctx *c, int node, int i)
{
    const Onnx__NodeProto *n = c->graph->node[node];
    return (size_t)i < n->n_input ? ox_find(c, n->input[i]) : -1;
}

static void attention_at(ox_ctx *c, const int *consumer, int sm)
{
    static const int64_t swap[5] = {0, 1, 2, 4, 3}, in_perm[5] = {0, 3, 1, 2, 4},
                         out_perm[5] = {0, 2, 3, 1, 4};
    const Onnx__NodeProto *n = c->graph->node[sm];
    int64_t axis = ox_attr_int(n, "axis", c->opset >= 13 ? -1 : 1);
    if (c->opset < 13 || (axis != -1 && axis != 4))
        return;
    /* scores = scale · qᵀk */
    double scale = 1.0, sv;
    int mm1 = single_use_producer(c, in_of(c, sm, 0));
    const Onnx__NodeProto *sn = node_at(c, mm1);
    if (is_op(sn, "Mul", 2) || is_op(sn, "Div", 2)) {
        int a = in_of(c, mm1, 0), b = in_of(c, mm1, 1);
        int x = scalar(c, b, &sv) ? a : is_op(sn, "Mul", 2) && scalar(c, a, &sv) ? b : -1;
        if (x < 0 || sv == 0.0)
            return;
        scale = is_op(sn, "Mul", 2) ? sv : 1.0 / sv;
        mm1 = single_use_producer(c, x);
    } else {
        sn = NULL;
    }
    int scale_node = sn ? c->vals[in_of(c, sm, 0)].producer : -1;
    if (!is_op(node_at(c, mm1), "MatMul", 2))
        return;
    int tq = single_use_producer(c, in_of(c, mm1, 0));
    if (!has_perm(node_at(c, tq), swap, 5))
        return;
    int q = in_of(c, tq, 0), k = in_of(c, mm1, 1);
    int split = q >= 0 ? c->vals[q].producer : -1;
    const Onnx__NodeProto *sp = node_at(c, split);
    if (!sp || !sp->op_type || strcmp(sp->op_type, "Split") || sp->n_output != 3 ||
        ox_find(c, sp->output[0]) != q || ox_find(c, sp->output[1]) != k || c->vals[k].uses != 1)
        return;
    int v = ox_find(c, sp->output[2]);
    int64_t saxis = ox_attr_int(sp, "axis", 0), sizes[3];
    int ns;
    if (c->opset >= 13) {
        ns = sp->n_input > 1 && *sp->input[1] ? const_ints(c, in_of(c, split, 1), sizes, 3) : 0;
    } else {
        const int64_t *a;
        ns = ox_attr_ints(sp, "split", &a);
        for (int i = 0; i < ns && i < 3; i++)
            sizes[i] = a[i];
        ns = ns < 0 ? 0 : ns;
    }
    if (ns < 0 || c->vals[q].uses != 1 || (saxis != 3 && saxis != -2))
        return;
    /* [B, nh, 3d, a, L] from Q */
    int t1 = in_of(c, split, 0) >= 0 ? c->vals[in_of(c, split, 0)].producer : -1;
    if (!has_perm(node_at(c, t1), in_perm, 5) || c->vals[in_of(c, split, 0)].uses != 1)
        return;
    int r1 = single_use_producer(c, in_of(c, t1, 0));
    int64_t qs[5];
    if (!is_op(node_at(c, r1), "Reshape", 2) || const_ints(c, in_of(c, r1, 1), qs, 5) != 5)
        return;
    int x = in_of(c, r1, 0);
    int64_t nh = qs[1], d = qs[2] / 3, areas = qs[3], len = qs[4];
    for (int i = 0; i < 5; i++)
        if (qs[i] <= 0 || qs[i] > INT32_MAX) /* products below stay in range */
            return;
    if (qs[2] % 3 || (ns != 0 && (ns != 3 || sizes[0] != d || sizes[1] != d || sizes[2] != d)))
        return;
    /* softmax(·) v, back to [B, nh·d, H, W] */
    int ta = sole_consumer(c, consumer, out_of(c, sm));
    if (!has_perm(node_at(c, ta), swap, 5))
        return;
    int mm2 = sole_consumer(c, consumer, out_of(c, ta));
    if (!is_op(node_at(c, mm2), "MatMul", 2) || in_of(c, mm2, 0) != v ||
        in_of(c, mm2, 1) != out_of(c, ta))
        return;
    int to = sole_consumer(c, consumer, out_of(c, mm2));
    if (!has_perm(node_at(c, to), out_perm, 5))
        return;
    int ro = sole_consumer(c, consumer, out_of(c, to));
    int64_t os[4];
    if (!is_op(node_at(c, ro), "Reshape", 2) || const_ints(c, in_of(c, ro, 1), os, 4) != 4 ||
        os[0] != qs[0] || os[1] != nh * d || os[2] <= 0 || os[3] <= 0 || os[2] > INT32_MAX ||
        os[3] > INT32_MAX || os[2] * os[3] != areas * len)
        return;

    int interior[7] = {tq, mm1, sm, ta, mm2, to, scale_node};
    int n_int = scale_node >= 0 ? 7 : 6;
    for (int i = 0; i < n_int; i++)
        if (c->skip[interior[i]])
            return;
    if (c->skip[ro] || c->fuse_act[ro] != LK_ACT_NONE || c->fuse_attn[ro].heads)
        return;
    for (int i = 0; i < n_int; i++)
        c->skip[interior[i]] = 1;
    c->fuse_x[ro] = x;
    c->fuse_attn[ro] = (lk_area_attention_params){(int)nh, (int)d, (int)areas, (float)scale};
}

lk_status ox_map_area_attention(ox_ctx *c)
{
    lk_params p;
    lk_tensor in, out;
    lk_shape want, got;
    int64_t os[4];
    int n;
    char a[96], b[96];
    lk_status st = ox_param_ints(c, 1, "shape", os, 4, &n);
    if (st)
        return st;
    if (n != 4)
        return ox_fail(c, LK_ERR_UNSUPPORTED, "area attention: the output shape has %d dims", n);
    lk_params_init(LK_OP_AREA_ATTENTION, &p);
    p.area_attention = c->fuse_attn[c->node_index];
    if ((st = ox_lk(c, &c->vals[c->fuse_x[c->node_index]], &in)))
        return st;
    lk_graph_shape(c->g, in, &got);
    want = lk_shape4(os[0], 3 * os[1], os[2], os[3]);
    if (!lk_shape_eq(&got, &want))
        return ox_fail(c, LK_ERR_UNSUPPORTED, "area attention: qkv is %s, the chain expects %s "
                       "(lk_onnx_opts.no_fuse_attention loads it unfused)",
                       lk_shape_str(&got, a, sizeof a), lk_shape_str(&want, b, sizeof b));
    if ((st = ox_add(c, LK_OP_AREA_ATTENTION, &p, NULL, &in, 1, &out, 1)))
        return st;
    return ox_out(c, 0, out);
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
        else if (is_op(c->graph->node[i], "Softmax", 1) && !c->opts->no_fuse_attention)
            attention_at(c, consumer, i);
    }
    free(consumer);
}
