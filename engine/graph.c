/* Graph construction, shape helpers and the reference executor. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "ops/op.h"

/* Caps that keep a hostile or mistaken graph from exhausting memory. */
#define LK_MAX_TENSORS (1 << 20)
#define LK_MAX_ELEMENTS ((int64_t)1 << 34)

int lk_axis_norm(int axis, int rank)
{
    if (axis < 0)
        axis += rank;
    return (axis >= 0 && axis < rank) ? axis : -1;
}

int64_t lk_shape_numel(const lk_shape *s)
{
    int64_t n = 1;
    for (int i = 0; i < s->rank; i++)
        n *= s->d[i];
    return n;
}

lk_shape lk_shape_make(int rank, const int64_t *dims)
{
    lk_shape s;
    memset(&s, 0, sizeof s);
    s.rank = rank < 0 ? 0 : rank > LK_MAX_DIMS ? LK_MAX_DIMS : rank;
    for (int i = 0; i < s.rank; i++)
        s.d[i] = dims[i];
    return s;
}

lk_shape lk_shape4(int64_t n, int64_t c, int64_t h, int64_t w)
{
    const int64_t d[4] = {n, c, h, w};
    return lk_shape_make(4, d);
}

void lk_shape_strides(const lk_shape *s, int64_t *strides)
{
    int64_t st = 1;
    for (int i = s->rank - 1; i >= 0; i--) {
        strides[i] = st;
        st *= s->d[i];
    }
}

int lk_shape_eq(const lk_shape *a, const lk_shape *b)
{
    if (a->rank != b->rank)
        return 0;
    for (int i = 0; i < a->rank; i++)
        if (a->d[i] != b->d[i])
            return 0;
    return 1;
}

const char *lk_shape_str(const lk_shape *s, char *buf, size_t n)
{
    size_t used = 0;
    used += (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < s->rank && used < n; i++)
        used += (size_t)snprintf(buf + used, n - used, i ? ",%lld" : "%lld", (long long)s->d[i]);
    if (used < n)
        snprintf(buf + used, n - used, "]");
    return buf;
}

/* Rejects negative dims and element counts past the cap. */
static lk_status check_shape(const lk_shape *s, const char *what, lk_msg *msg)
{
    if (s->rank < 0 || s->rank > LK_MAX_DIMS)
        return lk_fail(msg, LK_ERR_SHAPE, "%s: rank %d outside 0..%d", what, s->rank, LK_MAX_DIMS);
    int64_t n = 1;
    for (int i = 0; i < s->rank; i++) {
        if (s->d[i] <= 0)
            return lk_fail(msg, LK_ERR_SHAPE, "%s: dimension %d is %lld", what, i, (long long)s->d[i]);
        if (s->d[i] > LK_MAX_ELEMENTS / n)
            return lk_fail(msg, LK_ERR_SHAPE, "%s: more than %lld elements", what, (long long)LK_MAX_ELEMENTS);
        n *= s->d[i];
    }
    return LK_OK;
}

lk_status lk_graph_new(lk_graph **out, lk_msg *msg)
{
    *out = calloc(1, sizeof **out);
    return *out ? LK_OK : lk_fail(msg, LK_ERR_NO_MEMORY, "graph: out of memory");
}

void lk_graph_free(lk_graph *g)
{
    if (!g)
        return;
    for (int i = 0; i < g->n_tensors; i++) {
        free(g->tensors[i].name);
        free(g->tensors[i].data);
    }
    for (int i = 0; i < g->n_nodes; i++) {
        free(g->nodes[i].name);
        free(g->nodes[i].indices);
    }
    free(g->tensors);
    free(g->nodes);
    free(g->inputs);
    free(g->outputs);
    free(g);
}

static int grow(void **arr, int *cap, int need, size_t elem)
{
    if (need <= *cap)
        return 1;
    int ncap = *cap ? *cap * 2 : 16;
    while (ncap < need)
        ncap *= 2;
    void *p = realloc(*arr, (size_t)ncap * elem);
    if (!p)
        return 0;
    memset((char *)p + (size_t)*cap * elem, 0, (size_t)(ncap - *cap) * elem);
    *arr = p;
    *cap = ncap;
    return 1;
}

static char *dup_name(const char *name, const char *prefix, int id)
{
    char buf[64];
    if (!name || !*name) {
        snprintf(buf, sizeof buf, "%s%d", prefix, id);
        name = buf;
    }
    return strdup(name);
}

static lk_status new_tensor(lk_graph *g, const char *name, const lk_shape *shape,
                            lk_tensor_kind kind, int *id, lk_msg *msg)
{
    if (g->n_tensors >= LK_MAX_TENSORS)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "graph: more than %d tensors", LK_MAX_TENSORS);
    if (!grow((void **)&g->tensors, &g->cap_tensors, g->n_tensors + 1, sizeof *g->tensors))
        return lk_fail(msg, LK_ERR_NO_MEMORY, "graph: out of memory");
    lk_tensor_info *t = &g->tensors[g->n_tensors];
    memset(t, 0, sizeof *t);
    t->name = dup_name(name, "t", g->n_tensors);
    if (!t->name)
        return lk_fail(msg, LK_ERR_NO_MEMORY, "graph: out of memory");
    t->shape = *shape;
    t->kind = kind;
    t->producer = -1;
    t->view_of = -1;
    *id = g->n_tensors++;
    return LK_OK;
}

static lk_status append_id(int **arr, int *n, int id, lk_msg *msg)
{
    int *p = realloc(*arr, (size_t)(*n + 1) * sizeof *p);
    if (!p)
        return lk_fail(msg, LK_ERR_NO_MEMORY, "graph: out of memory");
    p[(*n)++] = id;
    *arr = p;
    return LK_OK;
}

lk_status lk_graph_input(lk_graph *g, const char *name, const lk_shape *shape,
                         lk_tensor *out, lk_msg *msg)
{
    lk_status st = check_shape(shape, name ? name : "input", msg);
    if (st)
        return st;
    st = new_tensor(g, name, shape, LK_TENSOR_INPUT, out, msg);
    if (st)
        return st;
    return append_id(&g->inputs, &g->n_inputs, *out, msg);
}

lk_status lk_graph_input_raw(lk_graph *g, const char *name, size_t n_bytes,
                             lk_tensor *out, lk_msg *msg)
{
    if (n_bytes == 0 || n_bytes / 4 >= (size_t)LK_MAX_ELEMENTS)
        return lk_fail(msg, LK_ERR_SHAPE, "raw input %s: %zu bytes", name ? name : "", n_bytes);
    lk_shape s = lk_shape_make(1, (int64_t[]){(int64_t)((n_bytes + 3) / 4)});
    lk_status st = lk_graph_input(g, name, &s, out, msg);
    if (!st)
        g->tensors[*out].wide = 1;
    return st;
}

lk_status lk_graph_constant(lk_graph *g, const char *name, const lk_shape *shape,
                            const float *data, lk_tensor *out, lk_msg *msg)
{
    lk_status st = check_shape(shape, name ? name : "constant", msg);
    if (st)
        return st;
    if (!data)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "constant %s: no data", name ? name : "");
    size_t bytes = (size_t)lk_shape_numel(shape) * sizeof(float);
    float *copy = malloc(bytes ? bytes : 1);
    if (!copy)
        return lk_fail(msg, LK_ERR_NO_MEMORY, "constant %s: out of memory", name ? name : "");
    memcpy(copy, data, bytes);
    st = new_tensor(g, name, shape, LK_TENSOR_CONST, out, msg);
    if (st) {
        free(copy);
        return st;
    }
    g->tensors[*out].data = copy;
    return LK_OK;
}

/* Ops whose kernels only move elements: given wide inputs they move 32-bit
 * words (the backend runs their fp32 kernels), so candidates of several
 * detector heads can be concatenated. */
static int moves_elements(lk_op op)
{
    return op == LK_OP_CONCAT || op == LK_OP_SPLIT || op == LK_OP_SLICE || op == LK_OP_TRANSPOSE;
}

lk_status lk_graph_add(lk_graph *g, lk_op op, const lk_params *p, const char *name,
                       const lk_tensor *inputs, int n_inputs,
                       lk_tensor *outputs, int n_outputs, lk_msg *msg)
{
    const lk_op_class *cls = lk_op_class_get(op);
    lk_shape in_shapes[LK_MAX_NODE_INPUTS], out_shapes[LK_MAX_NODE_OUTPUTS];
    lk_node node;
    lk_status st;
    char label[160];

    memset(&node, 0, sizeof node);
    snprintf(label, sizeof label, "%s%s%s", cls ? cls->name : "op",
             name ? " " : "", name ? name : "");
    if (!cls)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "graph: unknown op %d", (int)op);
    if (n_inputs < cls->min_inputs || n_inputs > cls->max_inputs || n_inputs > LK_MAX_NODE_INPUTS)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "%s: %d inputs, expected %d..%d", label,
                       n_inputs, cls->min_inputs, cls->max_inputs);
    if (n_outputs < 1 || n_outputs > LK_MAX_NODE_OUTPUTS)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "%s: %d outputs", label, n_outputs);
    int n_wide = 0, n_present = 0;
    for (int i = 0; i < n_inputs; i++)
        if (inputs[i] >= 0 && inputs[i] < g->n_tensors) {
            n_present++;
            n_wide += g->tensors[inputs[i]].wide;
        }
    node.wide = moves_elements(op) && n_wide > 0;
    if (node.wide && n_wide != n_present)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "%s: mixes 32-bit (wide) and net-precision inputs",
                       label);
    for (int i = 0; i < n_inputs; i++) {
        if (inputs[i] < 0 && i >= cls->min_inputs) {
            memset(&in_shapes[i], 0, sizeof in_shapes[i]);
            in_shapes[i].rank = -1; /* absent optional input */
            continue;
        }
        if (inputs[i] < 0 || inputs[i] >= g->n_tensors)
            return lk_fail(msg, LK_ERR_INVALID_ARG, "%s: input %d refers to no tensor", label, i);
        in_shapes[i] = g->tensors[inputs[i]].shape;
        /* A view passes any storage through; a kernel must read what it declares. */
        int wide_in = (cls->wide_in >> i) & 1u;
        if (!cls->view && !node.wide && g->tensors[inputs[i]].wide != wide_in)
            return lk_fail(msg, LK_ERR_INVALID_ARG,
                           "%s: input %d (%s) is %s, the op reads %s", label, i,
                           g->tensors[inputs[i]].name,
                           wide_in ? "at net precision" : "32-bit (raw or wide)",
                           wide_in ? "32-bit words" : "net-precision values");
    }
    node.op = op;
    node.p = *p;
    node.n_in = n_inputs;
    node.n_out = n_outputs;
    memcpy(node.in, inputs, (size_t)n_inputs * sizeof *inputs);
    if (op == LK_OP_GATHER) {
        int64_t ni = p->gather.n_indices;
        if (ni < 1 || ni > LK_MAX_ELEMENTS || !p->gather.indices)
            return lk_fail(msg, LK_ERR_INVALID_ARG, "%s: %lld indices", label, (long long)ni);
        node.indices = malloc((size_t)ni * sizeof *node.indices);
        if (!node.indices)
            return lk_fail(msg, LK_ERR_NO_MEMORY, "%s: out of memory", label);
        memcpy(node.indices, p->gather.indices, (size_t)ni * sizeof *node.indices);
        node.p.gather.indices = node.indices;
    }
    memset(out_shapes, 0, sizeof out_shapes);
    st = cls->infer(&node, in_shapes, out_shapes, msg);
    if (st) {
        /* Prefix the message with the node so the user can find it. */
        if (msg) {
            char tmp[sizeof msg->text];
            memcpy(tmp, msg->text, sizeof tmp);
            lk_fail(msg, st, "%.150s: %.350s", label, tmp);
        }
        goto fail;
    }
    for (int i = 0; i < n_outputs; i++) {
        st = check_shape(&out_shapes[i], label, msg);
        if (st)
            goto fail;
    }
    if (!grow((void **)&g->nodes, &g->cap_nodes, g->n_nodes + 1, sizeof *g->nodes)) {
        st = lk_fail(msg, LK_ERR_NO_MEMORY, "graph: out of memory");
        goto fail;
    }
    node.name = dup_name(name, cls->name, g->n_nodes);
    if (!node.name) {
        st = lk_fail(msg, LK_ERR_NO_MEMORY, "graph: out of memory");
        goto fail;
    }
    for (int i = 0; i < n_outputs; i++) {
        char oname[256];
        snprintf(oname, sizeof oname, "%s:%d", node.name, i);
        st = new_tensor(g, oname, &out_shapes[i], LK_TENSOR_ACT, &node.out[i], msg);
        if (st) {
            free(node.name);
            goto fail;
        }
        g->tensors[node.out[i]].producer = g->n_nodes;
        g->tensors[node.out[i]].wide = node.wide || ((cls->wide_out >> i) & 1u);
        if (cls->view && i == 0) {
            int src = inputs[0];
            while (g->tensors[src].view_of >= 0)
                src = g->tensors[src].view_of;
            /* A view of a constant or input stays a copy-free alias too. */
            g->tensors[node.out[i]].view_of = src;
            g->tensors[node.out[i]].wide = g->tensors[src].wide;
        }
        outputs[i] = node.out[i];
    }
    g->nodes[g->n_nodes++] = node;
    return LK_OK;

fail:
    free(node.indices);
    return st;
}

lk_status lk_graph_output(lk_graph *g, lk_tensor t, lk_msg *msg)
{
    if (t < 0 || t >= g->n_tensors)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "graph output: no tensor %d", t);
    if (g->tensors[t].kind != LK_TENSOR_ACT)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "graph output %s: not produced by a node",
                       g->tensors[t].name);
    if (g->tensors[t].is_output)
        return LK_OK;
    g->tensors[t].is_output = 1;
    return append_id(&g->outputs, &g->n_outputs, t, msg);
}

lk_status lk_graph_shape(const lk_graph *g, lk_tensor t, lk_shape *shape)
{
    if (t < 0 || t >= g->n_tensors)
        return LK_ERR_INVALID_ARG;
    *shape = g->tensors[t].shape;
    return LK_OK;
}

int lk_graph_n_inputs(const lk_graph *g) { return g->n_inputs; }
int lk_graph_n_outputs(const lk_graph *g) { return g->n_outputs; }

lk_tensor lk_graph_input_tensor(const lk_graph *g, int i)
{
    return i >= 0 && i < g->n_inputs ? g->inputs[i] : -1;
}

lk_tensor lk_graph_output_tensor(const lk_graph *g, int i)
{
    return i >= 0 && i < g->n_outputs ? g->outputs[i] : -1;
}

const char *lk_graph_tensor_name(const lk_graph *g, lk_tensor t)
{
    return t >= 0 && t < g->n_tensors ? g->tensors[t].name : NULL;
}

static void node_shapes(const lk_graph *g, const lk_node *n, lk_shape *in, lk_shape *out)
{
    for (int i = 0; i < n->n_in; i++) {
        if (n->in[i] >= 0) {
            in[i] = g->tensors[n->in[i]].shape;
        } else {
            memset(&in[i], 0, sizeof in[i]);
            in[i].rank = -1;
        }
    }
    for (int i = 0; i < n->n_out; i++)
        out[i] = g->tensors[n->out[i]].shape;
}

lk_status lk_graph_splice(lk_graph *dst, const lk_graph *src, const lk_tensor *inputs,
                          lk_tensor *outputs, lk_msg *msg)
{
    int *map = malloc((size_t)src->n_tensors * sizeof *map + 1);
    lk_status st = LK_OK;
    if (!map)
        return lk_fail(msg, LK_ERR_NO_MEMORY, "graph: out of memory");
    for (int t = 0; t < src->n_tensors; t++)
        map[t] = -1;
    for (int i = 0; i < src->n_inputs; i++) {
        const lk_tensor_info *ti = &src->tensors[src->inputs[i]];
        if (inputs[i] < 0 || inputs[i] >= dst->n_tensors ||
            !lk_shape_eq(&dst->tensors[inputs[i]].shape, &ti->shape) ||
            dst->tensors[inputs[i]].wide != ti->wide) {
            char a[96], b[96];
            st = lk_fail(msg, LK_ERR_SHAPE, "graph input %s %s: bound to a tensor %s", ti->name,
                         lk_shape_str(&ti->shape, a, sizeof a),
                         inputs[i] >= 0 && inputs[i] < dst->n_tensors
                             ? lk_shape_str(&dst->tensors[inputs[i]].shape, b, sizeof b)
                             : "that does not exist");
            goto fail;
        }
        map[src->inputs[i]] = inputs[i];
    }
    for (int i = 0; i < src->n_nodes; i++) {
        const lk_node *n = &src->nodes[i];
        lk_tensor in[LK_MAX_NODE_INPUTS], out[LK_MAX_NODE_OUTPUTS];
        for (int j = 0; j < n->n_in; j++) {
            int t = n->in[j];
            if (t >= 0 && map[t] < 0 && src->tensors[t].kind == LK_TENSOR_CONST) {
                st = lk_graph_constant(dst, src->tensors[t].name, &src->tensors[t].shape,
                                       src->tensors[t].data, &map[t], msg);
                if (st)
                    goto fail;
            }
            in[j] = t < 0 ? -1 : map[t];
        }
        st = lk_graph_add(dst, n->op, &n->p, n->name, in, n->n_in, out, n->n_out, msg);
        if (st)
            goto fail;
        for (int j = 0; j < n->n_out; j++)
            map[n->out[j]] = out[j];
    }
    for (int i = 0; i < src->n_outputs; i++)
        outputs[i] = map[src->outputs[i]];

fail:
    free(map);
    return st;
}

double lk_graph_flops(const lk_graph *g)
{
    double total = 0.0;
    for (int i = 0; i < g->n_nodes; i++) {
        const lk_node *n = &g->nodes[i];
        const lk_op_class *cls = lk_op_class_get(n->op);
        lk_shape in[LK_MAX_NODE_INPUTS], out[LK_MAX_NODE_OUTPUTS];
        node_shapes(g, n, in, out);
        if (cls->flops)
            total += cls->flops(n, in, out);
    }
    return total;
}

lk_status lk_graph_run_reference(const lk_graph *g, const float *const *inputs,
                                 float *const *outputs, lk_msg *msg)
{
    float **buf = calloc((size_t)g->n_tensors, sizeof *buf);
    lk_status st = LK_OK;
    if (!buf)
        return lk_fail(msg, LK_ERR_NO_MEMORY, "reference: out of memory");
    for (int i = 0; i < g->n_inputs; i++)
        buf[g->inputs[i]] = (float *)inputs[i];
    for (int i = 0; i < g->n_tensors; i++)
        if (g->tensors[i].kind == LK_TENSOR_CONST)
            buf[i] = g->tensors[i].data;
    for (int i = 0; i < g->n_nodes; i++) {
        const lk_node *n = &g->nodes[i];
        const lk_op_class *cls = lk_op_class_get(n->op);
        lk_shape in[LK_MAX_NODE_INPUTS], out[LK_MAX_NODE_OUTPUTS];
        const float *x[LK_MAX_NODE_INPUTS];
        float *y[LK_MAX_NODE_OUTPUTS];
        node_shapes(g, n, in, out);
        for (int j = 0; j < n->n_in; j++)
            x[j] = n->in[j] >= 0 ? buf[n->in[j]] : NULL;
        for (int j = 0; j < n->n_out; j++) {
            size_t bytes = (size_t)lk_shape_numel(&out[j]) * sizeof(float);
            buf[n->out[j]] = malloc(bytes ? bytes : 1);
            if (!buf[n->out[j]]) {
                st = lk_fail(msg, LK_ERR_NO_MEMORY, "reference %s: out of memory", n->name);
                goto fail;
            }
            y[j] = buf[n->out[j]];
        }
        cls->reference(n, in, x, out, y);
    }
    for (int i = 0; i < g->n_outputs; i++) {
        int t = g->outputs[i];
        memcpy(outputs[i], buf[t], (size_t)lk_shape_numel(&g->tensors[t].shape) * sizeof(float));
    }

fail:
    for (int i = 0; i < g->n_tensors; i++)
        if (g->tensors[i].kind == LK_TENSOR_ACT)
            free(buf[i]);
    free(buf);
    return st;
}
