/* The loader's driver: ONNX values by name, the topological order, graph
 * inputs, the node loop (host folding, reference folding of constant
 * subgraphs, op mapping), graph outputs, rewrites and the summary. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_internal.h"

/* Most work spent evaluating one constant node with the reference. */
#define FOLD_FLOPS 2e9

void lk_onnx_opts_init(lk_onnx_opts *o)
{
    memset(o, 0, sizeof *o);
    o->optimize = 1;
    o->max_bytes = (uint64_t)1 << 30;
}

static const char *str(const char *s)
{
    return s ? s : "";
}

lk_status ox_fail(ox_ctx *c, lk_status st, const char *fmt, ...)
{
    char text[sizeof c->msg->text];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (!c->node)
        return lk_fail(c->msg, st, "%s", text);
    const char *dom = str(c->node->domain);
    int custom = *dom && strcmp(dom, "ai.onnx");
    return lk_fail(c->msg, st, "node '%.100s' (%.60s%s%.60s, opset %d): %.300s", c->node_name,
                   custom ? dom : "", custom ? ":" : "", str(c->node->op_type), c->opset, text);
}

/* ------------------------------------------------------------ values */

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u;
    while (*s)
        h = (h ^ (uint8_t)*s++) * 16777619u;
    return h;
}

int ox_find(const ox_ctx *c, const char *name)
{
    if (!name || !*name || !c->n_slots)
        return -1;
    uint32_t mask = (uint32_t)(c->n_slots - 1);
    for (uint32_t h = hash(name) & mask;; h = (h + 1) & mask) {
        int s = c->slots[h];
        if (!s)
            return -1;
        if (!strcmp(c->vals[s - 1].name, name))
            return s - 1;
    }
}

/* Adds a value; -1 when the name exists already. */
static int add_value(ox_ctx *c, const char *name, int producer)
{
    uint32_t h = hash(name) & (uint32_t)(c->n_slots - 1);
    while (c->slots[h]) {
        if (!strcmp(c->vals[c->slots[h] - 1].name, name))
            return -1;
        h = (h + 1) & (uint32_t)(c->n_slots - 1);
    }
    ox_value *v = &c->vals[c->n_vals];
    memset(v, 0, sizeof *v);
    v->name = name;
    v->t = -1;
    v->producer = producer;
    c->slots[h] = ++c->n_vals;
    return c->n_vals - 1;
}

ox_value *ox_arg(ox_ctx *c, int i)
{
    return i >= 0 && i < (int)c->node->n_input && c->args[i] >= 0 ? &c->vals[c->args[i]] : NULL;
}

int ox_n_args(const ox_ctx *c)
{
    return (int)c->node->n_input;
}

int ox_all_const(ox_ctx *c)
{
    for (int i = 0; i < ox_n_args(c); i++) {
        ox_value *v = ox_arg(c, i);
        if (v && v->kind != OX_CONST)
            return 0;
    }
    return 1;
}

lk_shape ox_shape(ox_ctx *c, const ox_value *v)
{
    lk_shape s;
    memset(&s, 0, sizeof s);
    if (v->kind == OX_RUNTIME)
        lk_graph_shape(c->g, v->t, &s);
    else
        s = lk_shape_make(v->c.rank, v->c.d);
    return s;
}

lk_status ox_lk(ox_ctx *c, ox_value *v, lk_tensor *t)
{
    lk_msg m;
    if (v->kind == OX_RUNTIME || (v->t >= 0 && !c->folding)) {
        *t = v->t;
        return LK_OK;
    }
    if (v->c.n == 0)
        return ox_fail(c, LK_ERR_UNSUPPORTED, "constant '%.100s' is empty", v->name);
    /* The graph's copy counts against the same cap as host tensors. */
    uint64_t bytes = (uint64_t)v->c.n * sizeof(float);
    if (bytes > c->host_cap - c->host_bytes || c->host_bytes > c->host_cap)
        return ox_fail(c, LK_ERR_NO_MEMORY, "constants need more than %llu bytes (8 x the model "
                       "file + 64 MiB, at most lk_onnx_opts.max_bytes)",
                       (unsigned long long)c->host_cap);
    c->host_bytes += bytes;
    lk_shape s = lk_shape_make(v->c.rank, v->c.d);
    float *f = v->c.v.f;
    if (v->c.dtype == OX_I64) {
        f = malloc((size_t)v->c.n * sizeof *f);
        if (!f)
            return ox_fail(c, LK_ERR_NO_MEMORY, "out of memory");
        for (int64_t i = 0; i < v->c.n; i++)
            f[i] = (float)v->c.v.i[i];
    }
    lk_status st = lk_graph_constant(c->g, v->name, &s, f, t, &m);
    if (f != v->c.v.f)
        free(f);
    if (st)
        return ox_fail(c, st, "constant '%.100s': %.300s", v->name, m.text);
    if (!c->folding)
        v->t = *t;
    return LK_OK;
}

lk_status ox_add(ox_ctx *c, lk_op op, const lk_params *p, const char *suffix,
                 const lk_tensor *in, int n_in, lk_tensor *out, int n_out)
{
    char name[200], label[260];
    lk_msg m;
    snprintf(name, sizeof name, suffix ? "%s/%s" : "%s", c->node_name, suffix);
    lk_status st = lk_graph_add(c->g, op, p, name, in, n_in, out, n_out, &m);
    if (!st)
        return LK_OK;
    /* lk_graph_add names its op and node: the prefix here says it better. */
    snprintf(label, sizeof label, "%s %s: ", lk_op_name(op), name);
    const char *text = strncmp(m.text, label, strlen(label)) ? m.text : m.text + strlen(label);
    return ox_fail(c, st == LK_ERR_INVALID_ARG ? LK_ERR_FORMAT : st, "%s", text);
}

static void rename_tensor(lk_graph *g, lk_tensor t, const char *name)
{
    char *copy = strdup(name);
    if (copy) {
        free(g->tensors[t].name);
        g->tensors[t].name = copy;
    }
}

lk_status ox_out(ox_ctx *c, int i, lk_tensor t)
{
    if (i >= (int)c->node->n_output)
        return ox_fail(c, LK_ERR_FORMAT, "has %zu outputs, needs %d", c->node->n_output, i + 1);
    if (c->folding) {
        if (i < LK_MAX_NODE_OUTPUTS)
            c->fold_out[i] = t;
        return LK_OK;
    }
    int vi = ox_find(c, c->node->output[i]);
    if (vi < 0)
        return LK_OK; /* an unnamed optional output */
    c->vals[vi].kind = OX_RUNTIME;
    c->vals[vi].t = t;
    /* Tensors made for this node carry the model's names. */
    if (t >= c->first_tensor && c->g->tensors[t].kind == LK_TENSOR_ACT)
        rename_tensor(c->g, t, c->vals[vi].name);
    return LK_OK;
}

lk_status ox_out_const(ox_ctx *c, int i, ox_tensor *t)
{
    int vi = i < (int)c->node->n_output ? ox_find(c, c->node->output[i]) : -1;
    if (vi < 0) {
        ox_tensor_free(t);
        return i < (int)c->node->n_output ? LK_OK
                                          : ox_fail(c, LK_ERR_FORMAT, "has no output %d", i);
    }
    c->vals[vi].kind = OX_CONST;
    c->vals[vi].c = *t;
    t->owned = 0;
    return LK_OK;
}

lk_status ox_param(ox_ctx *c, int i, const char *what, const ox_tensor **t)
{
    ox_value *v = ox_arg(c, i);
    *t = NULL;
    if (!v)
        return LK_OK;
    if (v->kind != OX_CONST)
        return ox_fail(c, LK_ERR_UNSUPPORTED,
                       "%s (input %d, '%.100s') is computed at run time; only a constant %s is "
                       "supported", what, i, v->name, what);
    *t = &v->c;
    return LK_OK;
}

lk_status ox_param_ints(ox_ctx *c, int i, const char *what, int64_t *v, int cap, int *n)
{
    const ox_tensor *t;
    lk_status st = ox_param(c, i, what, &t);
    *n = -1;
    if (st || !t)
        return st;
    if (t->rank > 1 || t->n > cap)
        return ox_fail(c, LK_ERR_UNSUPPORTED, "%s has shape %s (at most %d values)", what,
                       ox_dims_str(t->rank, t->d, (char[160]){0}, 160), cap);
    for (int64_t k = 0; k < t->n; k++) {
        if (t->dtype == OX_F32 && (t->v.f[k] != (float)(int64_t)t->v.f[k]))
            return ox_fail(c, LK_ERR_FORMAT, "%s value %g is not an integer", what,
                           (double)t->v.f[k]);
        v[k] = t->dtype == OX_I64 ? t->v.i[k] : (int64_t)t->v.f[k];
    }
    *n = (int)t->n;
    return LK_OK;
}

/* ------------------------------------------------------ graph inputs */

static lk_status add_input(ox_ctx *c, const Onnx__ValueInfoProto *vi, int first, int *overridden)
{
    const char *name = str(vi->name);
    const Onnx__TypeProto *tp = vi->type;
    lk_shape s;
    lk_tensor t;
    lk_msg m;

    if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type)
        return ox_fail(c, LK_ERR_UNSUPPORTED, "input '%.100s' is not a tensor", name);
    if (tp->tensor_type->elem_type != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT)
        return ox_fail(c, LK_ERR_UNSUPPORTED, "input '%.100s' has element type %d; only float "
                       "inputs are supported", name, tp->tensor_type->elem_type);
    const Onnx__TensorShapeProto *sp = tp->tensor_type->shape;
    if (!sp)
        return ox_fail(c, LK_ERR_UNSUPPORTED, "input '%.100s' has no shape", name);
    if (sp->n_dim > LK_MAX_DIMS)
        return ox_fail(c, LK_ERR_UNSUPPORTED, "input '%.100s' has rank %zu (at most %d)", name,
                       sp->n_dim, LK_MAX_DIMS);
    memset(&s, 0, sizeof s);
    s.rank = (int)sp->n_dim;
    for (int i = 0; i < s.rank; i++) {
        const Onnx__TensorShapeProto__Dimension *d = sp->dim[i];
        int is_value = d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        int64_t v = is_value ? d->dim_value : -1;
        int64_t want = -1;
        if (i == 0)
            want = c->opts->batch > 0 ? c->opts->batch : v > 0 ? v : 1;
        if (first && s.rank == 4 && i >= 2 && c->opts->input_hw[i - 2] > 0)
            want = c->opts->input_hw[i - 2];
        if (want < 0 && v <= 0)
            return ox_fail(c, LK_ERR_UNSUPPORTED,
                           "input '%.100s' dimension %d is symbolic ('%.60s'): %s", name, i,
                           d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM
                               ? str(d->dim_param) : "?",
                           first && s.rank == 4 && i >= 2 ? "set lk_onnx_opts.input_hw"
                                                          : "only batch and spatial sizes may be");
        s.d[i] = want >= 0 ? want : v;
        *overridden |= s.d[i] != v;
    }
    lk_status st = lk_graph_input(c->g, name, &s, &t, &m);
    if (st)
        return ox_fail(c, st, "input '%.100s': %.300s", name, m.text);
    int k = ox_find(c, name);
    c->vals[k].kind = OX_RUNTIME;
    c->vals[k].t = t;
    return LK_OK;
}

/* ----------------------------------------------------- order of nodes */

static int producer_of(ox_ctx *c, const char *name)
{
    int v = ox_find(c, name);
    return v >= 0 ? c->vals[v].producer : -1;
}

/* Kahn's algorithm; the file's order when it is already topological. */
static lk_status topo_order(ox_ctx *c, int *order)
{
    const Onnx__GraphProto *gp = c->graph;
    int n = (int)gp->n_node, sorted = 1, done = 0, head = 0;
    for (int i = 0; i < n && sorted; i++)
        for (size_t j = 0; j < gp->node[i]->n_input; j++)
            sorted &= producer_of(c, gp->node[i]->input[j]) < i;
    if (sorted) {
        for (int i = 0; i < n; i++)
            order[i] = i;
        return LK_OK;
    }
    int *indeg = calloc((size_t)n, sizeof *indeg), *start = calloc((size_t)n + 1, sizeof *start);
    int *edges = NULL, n_edges = 0;
    lk_status st = LK_OK;
    if (!indeg || !start)
        goto oom;
    for (int i = 0; i < n; i++)
        for (size_t j = 0; j < gp->node[i]->n_input; j++) {
            int p = producer_of(c, gp->node[i]->input[j]);
            if (p >= 0) {
                indeg[i]++;
                start[p + 1]++;
                n_edges++;
            }
        }
    for (int i = 0; i < n; i++)
        start[i + 1] += start[i];
    edges = malloc((size_t)(n_edges ? n_edges : 1) * sizeof *edges);
    int *fill = calloc((size_t)n + 1, sizeof *fill);
    if (!edges || !fill) {
        free(fill);
        goto oom;
    }
    for (int i = 0; i < n; i++)
        for (size_t j = 0; j < gp->node[i]->n_input; j++) {
            int p = producer_of(c, gp->node[i]->input[j]);
            if (p >= 0)
                edges[start[p] + fill[p]++] = i;
        }
    free(fill);
    for (int i = 0; i < n; i++)
        if (!indeg[i])
            order[done++] = i;
    for (; head < done; head++)
        for (int e = start[order[head]]; e < start[order[head] + 1]; e++)
            if (!--indeg[edges[e]])
                order[done++] = edges[e];
    if (done < n) {
        int i = 0;
        while (!indeg[i])
            i++;
        st = ox_fail(c, LK_ERR_FORMAT, "the graph has a cycle through node '%.100s' (%.60s)",
                     gp->node[i]->name && *gp->node[i]->name ? gp->node[i]->name : "?",
                     str(gp->node[i]->op_type));
    }
    free(indeg);
    free(start);
    free(edges);
    return st;
oom:
    free(indeg);
    free(start);
    free(edges);
    return ox_fail(c, LK_ERR_NO_MEMORY, "out of memory");
}

/* ------------------------------------------------------------ nodes */

static int is_tail(const ox_ctx *c, int i)
{
    return c->fuse_act[i] != LK_ACT_NONE || c->fuse_attn[i].heads > 0;
}

static lk_status map_fused(ox_ctx *c)
{
    if (c->fuse_attn[c->node_index].heads > 0)
        return ox_map_area_attention(c);
    return ox_map_activation(c, &c->vals[c->fuse_x[c->node_index]], c->fuse_act[c->node_index]);
}

/* Runs a node whose inputs are all constants through the reference in a
 * scratch graph: the mapping is the same code that builds the model. */
static lk_status fold_reference(ox_ctx *c, ox_mapper fn)
{
    lk_graph *main_g = c->g, *tmp;
    int n_out = (int)c->node->n_output;
    ox_tensor outs[LK_MAX_NODE_OUTPUTS];
    float *bufs[LK_MAX_NODE_OUTPUTS];
    lk_status st = lk_graph_new(&tmp, c->msg);
    lk_msg m;

    if (st)
        return st;
    if (n_out > LK_MAX_NODE_OUTPUTS)
        n_out = LK_MAX_NODE_OUTPUTS;
    memset(outs, 0, sizeof outs);
    for (int i = 0; i < LK_MAX_NODE_OUTPUTS; i++)
        c->fold_out[i] = -1;
    c->g = tmp;
    c->folding = 1;
    st = fn(c);
    c->g = main_g;
    c->folding = 0;
    for (int i = 0; !st && i < n_out; i++)
        if (c->fold_out[i] >= 0 && tmp->tensors[c->fold_out[i]].kind == LK_TENSOR_ACT &&
            (st = lk_graph_output(tmp, c->fold_out[i], c->msg)))
            break;
    for (int k = 0; !st && k < tmp->n_outputs; k++) {
        const lk_shape *s = &tmp->tensors[tmp->outputs[k]].shape;
        st = ox_tensor_alloc(c, &outs[k], OX_F32, s->rank, s->d);
        bufs[k] = outs[k].v.f;
    }
    /* The plain-C reference is slow: a model must not make loading a
     * denial of service. */
    if (!st && lk_graph_flops(tmp) > FOLD_FLOPS)
        st = ox_fail(c, LK_ERR_UNSUPPORTED, "evaluating its constant inputs would take %.3g "
                     "GFLOP at load time", lk_graph_flops(tmp) * 1e-9);
    if (!st && tmp->n_outputs && (st = lk_graph_run_reference(tmp, NULL, bufs, &m)))
        st = ox_fail(c, st, "evaluating constants: %.300s", m.text);
    /* Each output gets its own copy: two may be the same scratch tensor. */
    for (int i = 0; !st && i < n_out; i++) {
        lk_tensor t = c->fold_out[i];
        if (t < 0)
            continue;
        const lk_tensor_info *ti = &tmp->tensors[t];
        const float *src = ti->data; /* a constant of the scratch graph */
        for (int k = 0; k < tmp->n_outputs; k++)
            if (tmp->outputs[k] == t)
                src = outs[k].v.f;
        ox_tensor r;
        if (!(st = ox_tensor_alloc(c, &r, OX_F32, ti->shape.rank, ti->shape.d))) {
            memcpy(r.v.f, src, (size_t)r.n * sizeof(float));
            st = ox_out_const(c, i, &r);
        }
    }
    for (int k = 0; k < LK_MAX_NODE_OUTPUTS; k++)
        ox_tensor_free(&outs[k]);
    lk_graph_free(tmp);
    return st;
}

static lk_status map_node(ox_ctx *c)
{
    const Onnx__NodeProto *n = c->node;
    const char *dom = str(n->domain);
    int host = 0, since = 0;
    if (*dom && strcmp(dom, "ai.onnx"))
        return ox_fail(c, LK_ERR_UNSUPPORTED, "operator domain '%.60s' is not supported", dom);
    int fused = is_tail(c, c->node_index);
    ox_mapper fn = fused ? map_fused : ox_find_mapper(str(n->op_type), &host, &since);
    if (!fn)
        return ox_fail(c, LK_ERR_UNSUPPORTED, "operator '%.60s' is not supported", str(n->op_type));
    if (c->opset < since)
        return ox_fail(c, LK_ERR_UNSUPPORTED, "the definition before opset %d is not supported",
                       since);
    int all_const = fused ? c->vals[c->fuse_x[c->node_index]].kind == OX_CONST : ox_all_const(c);
    if (all_const && !host && n->n_input)
        return fold_reference(c, fn);
    return fn(c);
}

static lk_status run_nodes(ox_ctx *c, const int *order)
{
    const Onnx__GraphProto *gp = c->graph;
    for (int k = 0; k < (int)gp->n_node; k++) {
        int i = order[k];
        const Onnx__NodeProto *n = gp->node[i];
        c->node = n;
        c->node_index = i;
        if (n->name && *n->name)
            snprintf(c->node_name, sizeof c->node_name, "%s", n->name);
        else
            snprintf(c->node_name, sizeof c->node_name, "%.60s_%d", str(n->op_type), i);
        if (c->skip[i])
            continue;
        if (n->n_input > (size_t)c->cap_args) {
            int *a = realloc(c->args, n->n_input * sizeof *a);
            if (!a)
                return ox_fail(c, LK_ERR_NO_MEMORY, "out of memory");
            c->args = a;
            c->cap_args = (int)n->n_input;
        }
        /* A pattern tail reads only its x; its own inputs are skipped. */
        int fused = is_tail(c, i);
        for (size_t j = 0; j < n->n_input; j++) {
            c->args[j] = ox_find(c, n->input[j]);
            if (!fused && c->args[j] >= 0 && c->vals[c->args[j]].kind == OX_UNDEFINED)
                return ox_fail(c, LK_ERR_UNSUPPORTED, "input '%.100s' was not computed",
                               n->input[j]);
        }
        c->first_tensor = c->g->n_tensors;
        lk_status st = map_node(c);
        if (st)
            return st;
        for (size_t j = 0; j < n->n_output; j++) {
            int v = ox_find(c, n->output[j]);
            if (v >= 0 && c->vals[v].kind == OX_UNDEFINED && c->vals[v].uses)
                return ox_fail(c, LK_ERR_UNSUPPORTED, "output %zu ('%.100s') is not supported", j,
                               n->output[j]);
        }
    }
    c->node = NULL;
    return LK_OK;
}

/* ------------------------------------------------------- the model */

/* Values for initializers, graph inputs and node outputs; a name defined
 * twice is an error. */
static lk_status index_values(ox_ctx *c)
{
    const Onnx__GraphProto *gp = c->graph;
    uint64_t total = gp->n_initializer + gp->n_input;
    for (size_t i = 0; i < gp->n_node; i++)
        total += gp->node[i]->n_output;
    if (total > (1u << 26) || gp->n_node > (1u << 24))
        return ox_fail(c, LK_ERR_UNSUPPORTED, "%llu values: too many", (unsigned long long)total);
    c->n_slots = 16;
    while ((uint64_t)c->n_slots < 2 * total)
        c->n_slots *= 2;
    c->vals = calloc((size_t)total + 1, sizeof *c->vals);
    c->slots = calloc((size_t)c->n_slots, sizeof *c->slots);
    c->skip = calloc(gp->n_node + 1, 1);
    c->fuse_act = calloc(gp->n_node + 1, sizeof *c->fuse_act);
    c->fuse_x = calloc(gp->n_node + 1, sizeof *c->fuse_x);
    c->fuse_attn = calloc(gp->n_node + 1, sizeof *c->fuse_attn);
    if (!c->vals || !c->slots || !c->skip || !c->fuse_act || !c->fuse_x || !c->fuse_attn)
        return ox_fail(c, LK_ERR_NO_MEMORY, "out of memory");

    if (gp->n_sparse_initializer)
        return ox_fail(c, LK_ERR_UNSUPPORTED, "sparse initializers are not supported");
    for (size_t i = 0; i < gp->n_initializer; i++) {
        const Onnx__TensorProto *tp = gp->initializer[i];
        if (!tp->name || !*tp->name)
            return ox_fail(c, LK_ERR_FORMAT, "initializer %zu has no name", i);
        int v = add_value(c, tp->name, -1);
        if (v < 0)
            return ox_fail(c, LK_ERR_FORMAT, "initializer '%.100s' is defined twice", tp->name);
        lk_status st = ox_tensor_decode(c, tp, &c->vals[v].c, tp->name);
        if (st)
            return st;
        c->vals[v].kind = OX_CONST;
    }
    for (size_t i = 0; i < gp->n_input; i++) {
        const char *name = gp->input[i]->name;
        if (!name || !*name)
            return ox_fail(c, LK_ERR_FORMAT, "graph input %zu has no name", i);
        int v = ox_find(c, name);
        if (v >= 0 && c->vals[v].kind == OX_CONST)
            continue; /* an initializer listed as input (IR < 4): a constant */
        if (add_value(c, name, -1) < 0)
            return ox_fail(c, LK_ERR_FORMAT, "graph input '%.100s' is listed twice", name);
    }
    for (size_t i = 0; i < gp->n_node; i++) {
        const Onnx__NodeProto *n = gp->node[i];
        for (size_t j = 0; j < n->n_output; j++) {
            if (!n->output[j] || !*n->output[j])
                continue;
            if (add_value(c, n->output[j], (int)i) < 0) {
                int p = producer_of(c, n->output[j]);
                c->node = n;
                snprintf(c->node_name, sizeof c->node_name, "%s", str(n->name));
                return ox_fail(c, LK_ERR_FORMAT, "output '%.100s' is also %s%.100s%s",
                               n->output[j],
                               p >= 0 ? "produced by node '" : "a graph input or initializer",
                               p >= 0 ? str(gp->node[p]->name) : "", p >= 0 ? "'" : "");
            }
        }
    }
    for (size_t i = 0; i < gp->n_node; i++) {
        const Onnx__NodeProto *n = gp->node[i];
        for (size_t j = 0; j < n->n_input; j++) {
            if (!n->input[j] || !*n->input[j])
                continue;
            int v = ox_find(c, n->input[j]);
            if (v < 0) {
                c->node = n;
                snprintf(c->node_name, sizeof c->node_name, "%s", str(n->name));
                return ox_fail(c, LK_ERR_FORMAT, "input '%.100s' is not produced by any node and "
                               "is not a graph input or initializer", n->input[j]);
            }
            c->vals[v].uses++;
        }
    }
    for (size_t i = 0; i < gp->n_output; i++) {
        int v = ox_find(c, gp->output[i]->name);
        if (v < 0)
            return ox_fail(c, LK_ERR_FORMAT, "graph output '%.100s' is not produced by any node",
                           str(gp->output[i]->name));
        c->vals[v].uses++;
    }
    return LK_OK;
}

/* Marks the model's outputs, in order and under their names; an output
 * that is not a fresh node result gets a copy of its own. */
static lk_status add_outputs(ox_ctx *c, int overridden)
{
    const Onnx__GraphProto *gp = c->graph;
    lk_status st;
    if (!gp->n_output)
        return ox_fail(c, LK_ERR_FORMAT, "the graph has no outputs");
    for (size_t i = 0; i < gp->n_output; i++) {
        const char *name = gp->output[i]->name;
        ox_value *v = &c->vals[ox_find(c, name)];
        if (v->kind != OX_RUNTIME)
            return ox_fail(c, LK_ERR_UNSUPPORTED, "graph output '%.100s' is a constant: it does "
                           "not depend on any input", name);
        lk_tensor t = v->t;
        const lk_tensor_info *ti = &c->g->tensors[t];
        if (ti->kind != LK_TENSOR_ACT || ti->is_output) {
            lk_params p;
            lk_msg m;
            lk_params_init(LK_OP_UNARY, &p);
            if ((st = lk_graph_add(c->g, LK_OP_UNARY, &p, name, &v->t, 1, &t, 1, &m)))
                return ox_fail(c, st, "graph output '%.100s': %.300s", name, m.text);
        }
        rename_tensor(c->g, t, name);
        if ((st = lk_graph_output(c->g, t, c->msg)))
            return st;
        /* Declared static sizes must match what the graph computes. */
        const Onnx__TypeProto *tp = gp->output[i]->type;
        const Onnx__TensorShapeProto *sp =
            tp && tp->value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE && tp->tensor_type
                ? tp->tensor_type->shape : NULL;
        const lk_shape *s = &c->g->tensors[t].shape;
        int bad = sp && !overridden && (int)sp->n_dim != s->rank;
        for (int d = 0; sp && !overridden && !bad && d < s->rank; d++)
            bad = sp->dim[d]->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
                  sp->dim[d]->dim_value > 0 && sp->dim[d]->dim_value != s->d[d];
        if (bad) {
            int64_t dd[LK_MAX_DIMS] = {0};
            for (size_t d = 0; d < sp->n_dim && d < LK_MAX_DIMS; d++)
                dd[d] = sp->dim[d]->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
                            ? sp->dim[d]->dim_value : -1;
            char a[160], b[160];
            return ox_fail(c, LK_ERR_SHAPE, "graph output '%.100s' is declared %s%s but computes %s",
                           name, ox_dims_str(sp->n_dim < LK_MAX_DIMS ? (int)sp->n_dim : LK_MAX_DIMS,
                                             dd, a, sizeof a),
                           sp->n_dim > LK_MAX_DIMS ? "..." : "", lk_shape_str(s, b, sizeof b));
        }
    }
    return LK_OK;
}

static lk_status build(ox_ctx *c)
{
    const Onnx__GraphProto *gp = c->graph;
    int overridden = 0, first = 1;
    lk_status st = index_values(c);
    if (st)
        return st;
    for (size_t i = 0; i < gp->n_input; i++) {
        int v = ox_find(c, gp->input[i]->name);
        if (c->vals[v].kind == OX_CONST)
            continue;
        if ((st = add_input(c, gp->input[i], first, &overridden)))
            return st;
        first = 0;
    }
    int *order = malloc((gp->n_node + 1) * sizeof *order);
    if (!order)
        return ox_fail(c, LK_ERR_NO_MEMORY, "out of memory");
    if (!(st = topo_order(c, order))) {
        ox_find_patterns(c, order, (int)gp->n_node);
        st = run_nodes(c, order);
    }
    free(order);
    return st ? st : add_outputs(c, overridden);
}

static void summarize_model(const Onnx__ModelProto *m, int opset, lk_onnx_info *info)
{
    info->ir_version = m->has_ir_version ? m->ir_version : 0;
    info->opset = opset;
    snprintf(info->producer, sizeof info->producer, "%s%s%s", str(m->producer_name),
             m->producer_version && *m->producer_version ? " " : "", str(m->producer_version));
    if (!m->graph)
        return;
    info->nodes_before = (int)m->graph->n_node;
    for (size_t i = 0; i < m->graph->n_node; i++) {
        const char *op = str(m->graph->node[i]->op_type);
        int k = 0;
        size_t cap = sizeof info->onnx_ops[0].op - 1;
        while (k < info->n_onnx_ops && strncmp(info->onnx_ops[k].op, op, cap))
            k++;
        if (k == info->n_onnx_ops) {
            if (k == (int)(sizeof info->onnx_ops / sizeof info->onnx_ops[0]))
                continue;
            snprintf(info->onnx_ops[k].op, sizeof info->onnx_ops[k].op, "%s", op);
            info->n_onnx_ops++;
        }
        info->onnx_ops[k].count++;
    }
}

static void summarize_graph(const lk_graph *g, lk_onnx_info *info)
{
    char *seen = calloc((size_t)g->n_tensors + 1, 1);
    info->nodes_after = g->n_nodes;
    for (int i = 0; i < g->n_nodes; i++) {
        const lk_node *n = &g->nodes[i];
        info->lk_op_count[n->op]++;
        for (int j = 0; seen && j < n->n_in; j++) {
            int t = n->in[j];
            if (t < 0)
                continue;
            if (g->tensors[t].view_of >= 0)
                t = g->tensors[t].view_of;
            if (g->tensors[t].kind == LK_TENSOR_CONST && !seen[t]++)
                info->parameters += lk_shape_numel(&g->tensors[t].shape);
        }
    }
    free(seen);
}

static int default_opset(const Onnx__ModelProto *m)
{
    for (size_t i = 0; i < m->n_opset_import; i++) {
        const char *d = str(m->opset_import[i]->domain);
        if ((!*d || !strcmp(d, "ai.onnx")) && m->opset_import[i]->has_version)
            return m->opset_import[i]->version > 1000 ? 1000 : (int)m->opset_import[i]->version;
    }
    return -1;
}

lk_status lk_onnx_load_buffer(const void *data, size_t size, const lk_onnx_opts *opts,
                              lk_graph **out, lk_onnx_info *info, lk_msg *msg)
{
    lk_onnx_opts defaults;
    ox_ctx c;
    ox_pbmem mem;
    Onnx__ModelProto *m = NULL;
    lk_status st;

    if (!opts) {
        lk_onnx_opts_init(&defaults);
        opts = &defaults;
    }
    if (info)
        memset(info, 0, sizeof *info);
    if (!out || (!data && size))
        return lk_fail(msg, LK_ERR_INVALID_ARG, "onnx: no data or no output pointer");
    *out = NULL;
    if (opts->batch < 0 || opts->input_hw[0] < 0 || opts->input_hw[1] < 0 || !opts->max_bytes)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "onnx: batch %d, input_hw %dx%d, max_bytes %llu",
                       opts->batch, opts->input_hw[0], opts->input_hw[1],
                       (unsigned long long)opts->max_bytes);
    if (size > opts->max_bytes)
        return lk_fail(msg, LK_ERR_NO_MEMORY, "onnx: model of %zu bytes exceeds the limit of %llu "
                       "(lk_onnx_opts.max_bytes)", size, (unsigned long long)opts->max_bytes);
    memset(&c, 0, sizeof c);
    c.opts = opts;
    c.msg = msg ? msg : &c.local;
    c.node_index = -1;
    /* Decoded and folded constants may outgrow the file only so far: a few
     * bytes of ConstantOfShape must not cost a gigabyte. Real models stay
     * near 2x (weights plus the graph's copy). */
    uint64_t cap = (uint64_t)size * 8 + ((uint64_t)64 << 20);
    c.host_cap = cap < opts->max_bytes ? cap : opts->max_bytes;
    ox_pbmem_init(&mem, opts->max_bytes);
    st = ox_unpack(&onnx__model_proto__descriptor, data ? data : "", size, &mem,
                   (ProtobufCMessage **)&m, "onnx model", c.msg);
    if (st)
        return st;
    c.opset = default_opset(m);
    if (info)
        summarize_model(m, c.opset, info);
    if (!m->graph)
        st = lk_fail(c.msg, LK_ERR_FORMAT, "onnx: the model has no graph");
    else if (c.opset < 0)
        st = lk_fail(c.msg, LK_ERR_UNSUPPORTED, "onnx: the model imports no default-domain opset "
                     "(IR version < 3)");
    else if (c.opset < OX_OPSET_MIN || c.opset > OX_OPSET_MAX)
        st = lk_fail(c.msg, LK_ERR_UNSUPPORTED, "onnx: default-domain opset %d is not supported "
                     "(%d..%d)", c.opset, OX_OPSET_MIN, OX_OPSET_MAX);
    else if (!(st = lk_graph_new(&c.g, c.msg))) {
        c.graph = m->graph;
        st = build(&c);
    }
    if (!st && opts->optimize)
        st = lk_graph_optimize(c.g, NULL, c.msg);
    if (!st && info)
        summarize_graph(c.g, info);

    for (int i = 0; i < c.n_vals; i++)
        ox_tensor_free(&c.vals[i].c);
    free(c.vals);
    free(c.slots);
    free(c.args);
    free(c.skip);
    free(c.fuse_act);
    free(c.fuse_x);
    free(c.fuse_attn);
    protobuf_c_message_free_unpacked(&m->base, &mem.a);
    if (st) {
        lk_graph_free(c.g);
        return st;
    }
    *out = c.g;
    return LK_OK;
}

lk_status lk_onnx_load(const char *path, const lk_onnx_opts *opts, lk_graph **out,
                       lk_onnx_info *info, lk_msg *msg)
{
    lk_onnx_opts defaults;
    void *data;
    size_t size = 0;
    lk_msg local;
    if (!opts) {
        lk_onnx_opts_init(&defaults);
        opts = &defaults;
    }
    if (info)
        memset(info, 0, sizeof *info);
    if (out)
        *out = NULL;
    if (!path)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "onnx: no path");
    lk_status st = ox_read_file(path, opts->max_bytes, &data, &size, msg);
    if (st)
        return st;
    st = lk_onnx_load_buffer(data, size, opts, out, info, &local);
    free(data);
    if (st)
        lk_fail(msg, st, "%.200s: %.300s", path, local.text);
    return st;
}

lk_status lk_onnx_metadata(const char *path, lk_onnx_prop **props, int *n, lk_msg *msg)
{
    lk_onnx_opts o;
    void *data = NULL;
    size_t size = 0, bytes = 0;
    ox_pbmem mem;
    Onnx__ModelProto *m = NULL;
    lk_msg local;
    lk_status st;

    *props = NULL;
    *n = 0;
    if (!path)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "onnx: no path");
    lk_onnx_opts_init(&o);
    st = ox_read_file(path, o.max_bytes, &data, &size, msg);
    if (st)
        return st;
    ox_pbmem_init(&mem, o.max_bytes);
    st = ox_unpack(&onnx__model_proto__descriptor, data, size, &mem, (ProtobufCMessage **)&m,
                   "onnx model", &local);
    if (st) {
        lk_fail(msg, st, "%.200s: %.300s", path, local.text);
        goto fail;
    }
    for (size_t i = 0; i < m->n_metadata_props; i++)
        bytes += sizeof **props + strlen(str(m->metadata_props[i]->key)) +
                 strlen(str(m->metadata_props[i]->value)) + 2;
    if (m->n_metadata_props) {
        lk_onnx_prop *p = malloc(bytes);
        if (!p) {
            st = lk_fail(msg, LK_ERR_NO_MEMORY, "%.200s: metadata: out of memory", path);
            goto fail;
        }
        char *text = (char *)(p + m->n_metadata_props);
        for (size_t i = 0; i < m->n_metadata_props; i++) {
            const char *kv[2] = {str(m->metadata_props[i]->key), str(m->metadata_props[i]->value)};
            for (int j = 0; j < 2; j++) {
                size_t len = strlen(kv[j]) + 1;
                memcpy(text, kv[j], len);
                if (j)
                    p[i].value = text;
                else
                    p[i].key = text;
                text += len;
            }
        }
        *props = p;
        *n = (int)m->n_metadata_props;
    }

fail:
    if (m)
        protobuf_c_message_free_unpacked(&m->base, &mem.a);
    free(data);
    return st;
}
