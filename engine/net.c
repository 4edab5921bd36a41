/* Compiling a graph into a runnable net: collects each op's kernel
 * descriptions, plans the activation arena from tensor lifetimes and hands
 * the result to the backend. Nothing here knows about Vulkan. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"

struct lk_net {
    lk_context *ctx;         /* never owned */
    lk_net_opts opts;
    lk_exec ex;              /* owns its arrays; ex.g is NULL after build */
    lk_vk_net *vk;           /* owned */
    int n_nodes;
    char **node_names, **node_ops; /* owned, for profiles */
    double *node_flops;
    int n_in, n_out;
    char **in_names, **out_names;  /* owned */
    lk_shape *in_shapes, *out_shapes;
    lk_mem_report mem;
};

uint16_t lk_f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    uint32_t sign = (x >> 16) & 0x8000u, exp = (x >> 23) & 0xffu, man = x & 0x7fffffu;
    if (exp == 0xffu)
        return (uint16_t)(sign | 0x7c00u | (man ? 0x200u : 0));
    int e = (int)exp - 127 + 15;
    if (e >= 31)
        return (uint16_t)(sign | 0x7c00u);
    if (e <= 0) {
        if (e < -10)
            return (uint16_t)sign;
        man |= 0x800000u;
        uint32_t shift = (uint32_t)(14 - e);
        uint32_t half = man >> shift, rem = man & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1u)))
            half++;
        return (uint16_t)(sign | half);
    }
    uint32_t half = sign | ((uint32_t)e << 10) | (man >> 13), rem = man & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (half & 1u)))
        half++; /* may carry into the exponent, which rounds correctly */
    return (uint16_t)half;
}

float lk_f16_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, man = h & 0x3ffu, x;
    if (exp == 0) {
        float v = ldexpf((float)man, -24);
        return sign ? -v : v;
    }
    if (exp == 31)
        x = sign | 0x7f800000u | (man << 13);
    else
        x = sign | ((exp + 112) << 23) | (man << 13);
    float f;
    memcpy(&f, &x, sizeof f);
    return f;
}

/* ------------------------------------------------- kernels (op → backend) */

const lk_device_info *lk_kernels_device(const lk_kernels *k)
{
    return k->dev;
}

int lk_kernels_fp16(const lk_kernels *k)
{
    return k->ex->precision == LK_FP16 && !k->ex->g->nodes[k->node].wide;
}

const float *lk_kernels_const_data(const lk_kernels *k, int input)
{
    const lk_node *n = &k->ex->g->nodes[k->node];
    if (input < 0 || input >= n->n_in || n->in[input] < 0)
        return NULL;
    int t = k->ex->root[n->in[input]];
    return k->ex->g->tensors[t].kind == LK_TENSOR_CONST ? k->ex->g->tensors[t].data : NULL;
}

static int add_aux(lk_kernels *k, const void *data, size_t count, int is_int)
{
    lk_exec *ex = k->ex;
    lk_exec_aux *a = realloc(ex->aux, (size_t)(ex->n_aux + 1) * sizeof *a);
    void *copy = malloc(count ? count * 4 : 4);
    if (!a || !copy) {
        if (a)
            ex->aux = a;
        free(copy);
        k->err = LK_ERR_NO_MEMORY;
        return 0;
    }
    ex->aux = a;
    memcpy(copy, data, count * 4);
    /* A wide node's float constants stay 32-bit like its tensors. */
    a[ex->n_aux] = (lk_exec_aux){copy, count, is_int || ex->g->nodes[k->node].wide};
    return ex->n_aux++ - k->aux_base;
}

int lk_kernels_aux_f32(lk_kernels *k, const float *data, size_t count)
{
    return add_aux(k, data, count, 0);
}

int lk_kernels_aux_i32(lk_kernels *k, const int32_t *data, size_t count)
{
    return add_aux(k, data, count, 1);
}

static int add_scratch(lk_kernels *k, size_t count, int wide)
{
    lk_exec *ex = k->ex;
    size_t *c = realloc(ex->scratch_count, (size_t)(ex->n_scratch + 1) * sizeof *c);
    if (c)
        ex->scratch_count = c;
    unsigned char *w = realloc(ex->scratch_wide, (size_t)(ex->n_scratch + 1));
    if (w)
        ex->scratch_wide = w;
    if (!c || !w) {
        k->err = LK_ERR_NO_MEMORY;
        return 0;
    }
    c[ex->n_scratch] = count;
    w[ex->n_scratch] = (unsigned char)(wide || ex->g->nodes[k->node].wide);
    return ex->n_scratch++ - k->scratch_base;
}

int lk_kernels_scratch(lk_kernels *k, size_t count)
{
    return add_scratch(k, count, 0);
}

int lk_kernels_scratch_wide(lk_kernels *k, size_t count)
{
    return add_scratch(k, count, 1);
}

lk_status lk_kernels_dispatch(lk_kernels *k, const lk_dispatch *d, lk_msg *msg)
{
    lk_exec *ex = k->ex;
    const lk_node *n = &ex->g->nodes[k->node];
    if (d->n_spec > LK_MAX_SPEC || d->n_push > LK_MAX_PUSH_WORDS || d->n_bind > LK_MAX_BINDINGS)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "%s: dispatch exceeds spec/push/binding limits",
                       n->name);
    if ((unsigned)d->shader >= LK_SH_COUNT)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "%s: unknown shader %d", n->name, (int)d->shader);
    for (int i = 0; i < d->n_bind; i++) {
        int r = d->bind[i];
        int ok = (r >= LK_BIND_IN(0) && r < LK_BIND_OUT(0) && r < n->n_in && n->in[r] >= 0) ||
                 (r >= LK_BIND_OUT(0) && r < LK_BIND_AUX(0) && r - LK_BIND_OUT(0) < n->n_out) ||
                 (r >= LK_BIND_AUX(0) && r < LK_BIND_SCRATCH(0) &&
                  k->aux_base + r - LK_BIND_AUX(0) < ex->n_aux) ||
                 (r >= LK_BIND_SCRATCH(0) && k->scratch_base + r - LK_BIND_SCRATCH(0) < ex->n_scratch);
        if (!ok)
            return lk_fail(msg, LK_ERR_INVALID_ARG, "%s: binding %d refers to nothing (%d)",
                           n->name, i, r);
    }
    if (!d->groups[0] || !d->groups[1] || !d->groups[2])
        return LK_OK; /* empty work */
    lk_exec_dispatch *a = realloc(ex->disp, (size_t)(ex->n_disp + 1) * sizeof *a);
    if (!a)
        return lk_fail(msg, LK_ERR_NO_MEMORY, "%s: out of memory", n->name);
    ex->disp = a;
    a[ex->n_disp++] = (lk_exec_dispatch){*d, k->node, k->aux_base, k->scratch_base};
    return LK_OK;
}

/* ------------------------------------------------------------- compile */

static void exec_free(lk_exec *ex)
{
    for (int i = 0; i < ex->n_aux; i++)
        free(ex->aux[i].data);
    free(ex->aux);
    free(ex->disp);
    free(ex->scratch_count);
    free(ex->scratch_wide);
    free(ex->scratch_offset);
    free(ex->root);
    free(ex->offset);
    memset(ex, 0, sizeof *ex);
}

static void node_shapes(const lk_graph *g, const lk_node *n, lk_shape *in, lk_shape *out)
{
    for (int i = 0; i < n->n_in; i++) {
        memset(&in[i], 0, sizeof in[i]);
        if (n->in[i] >= 0)
            in[i] = g->tensors[n->in[i]].shape;
        else
            in[i].rank = -1;
    }
    for (int i = 0; i < n->n_out; i++)
        out[i] = g->tensors[n->out[i]].shape;
}

/* Lifetimes: step 0 is the input upload, node i runs at step i + 1 and the
 * output readback is step n_nodes + 1. A view keeps its root alive. */
static lk_status plan_memory(lk_exec *ex, const int *scratch_node, lk_msg *msg)
{
    const lk_graph *g = ex->g;
    int nt = g->n_tensors, end = g->n_nodes + 1, n_items = 0;
    int *first = malloc((size_t)nt * sizeof *first), *last = malloc((size_t)nt * sizeof *last);
    int *item_of = malloc((size_t)nt * sizeof *item_of);
    lk_plan_item *items = calloc((size_t)(nt + ex->n_scratch + 1), sizeof *items);
    lk_status st = LK_OK;

    if (!first || !last || !item_of || !items) {
        st = lk_fail(msg, LK_ERR_NO_MEMORY, "memory plan: out of memory");
        goto fail;
    }
    for (int t = 0; t < nt; t++) {
        const lk_tensor_info *ti = &g->tensors[t];
        first[t] = ti->kind == LK_TENSOR_INPUT ? 0 : ti->producer + 1;
        last[t] = ti->is_output ? end : first[t];
    }
    for (int i = 0; i < g->n_nodes; i++)
        for (int j = 0; j < g->nodes[i].n_in; j++) {
            int t = g->nodes[i].in[j];
            if (t >= 0 && last[ex->root[t]] < i + 1)
                last[ex->root[t]] = i + 1;
        }
    for (int t = 0; t < nt; t++) {
        if (ex->root[t] != t && last[t] > last[ex->root[t]])
            last[ex->root[t]] = last[t];
    }
    for (int t = 0; t < nt; t++) {
        item_of[t] = -1;
        if (ex->root[t] != t || g->tensors[t].kind == LK_TENSOR_CONST || g->tensors[t].dead)
            continue;
        items[n_items] = (lk_plan_item){
            (uint64_t)lk_shape_numel(&g->tensors[t].shape) * lk_exec_elem_size(ex, t), first[t],
            last[t], 0};
        item_of[t] = n_items++;
    }
    for (int s = 0; s < ex->n_scratch; s++)
        items[n_items++] = (lk_plan_item){ex->scratch_count[s] * lk_exec_scratch_elem_size(ex, s),
                                          scratch_node[s] + 1, scratch_node[s] + 1, 0};
    st = lk_plan_build(items, n_items, ex->align, &ex->stats, msg);
    if (st)
        goto fail;
    for (int t = 0; t < nt; t++)
        ex->offset[t] = item_of[t] >= 0 ? items[item_of[t]].offset : UINT64_MAX;
    for (int s = 0; s < ex->n_scratch; s++)
        ex->scratch_offset[s] = items[n_items - ex->n_scratch + s].offset;

fail:
    free(first);
    free(last);
    free(item_of);
    free(items);
    return st;
}

void lk_net_opts_init(lk_net_opts *o)
{
    memset(o, 0, sizeof *o);
}

static char *dup_or_empty(const char *s)
{
    return strdup(s ? s : "");
}

lk_status lk_net_new(lk_context *ctx, const lk_graph *g, const lk_net_opts *opts,
                     lk_net **out, lk_msg *msg)
{
    lk_net_opts defaults;
    lk_net *net = NULL;
    lk_exec *ex;
    int *scratch_node = NULL;
    lk_status st = LK_OK;

    *out = NULL;
    if (!opts) {
        lk_net_opts_init(&defaults);
        opts = &defaults;
    }
    if (!ctx || !g)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "net: no context or graph");
    if (g->n_outputs == 0)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "net: the graph has no outputs");
    if (opts->precision == LK_FP16 && !lk_context_device(ctx)->fp16_storage)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "net: device %s has no 16-bit storage buffers",
                       lk_context_device(ctx)->name);
    net = calloc(1, sizeof *net);
    if (!net)
        return lk_fail(msg, LK_ERR_NO_MEMORY, "net: out of memory");
    net->ctx = ctx;
    net->opts = *opts;
    ex = &net->ex;
    ex->g = g;
    ex->precision = opts->precision;
    ex->elem_size = opts->precision == LK_FP16 ? 2 : 4;
    ex->align = 256; /* ≥ every device's minStorageBufferOffsetAlignment */
    ex->root = malloc((size_t)g->n_tensors * sizeof *ex->root);
    ex->offset = malloc((size_t)g->n_tensors * sizeof *ex->offset);
    net->n_nodes = g->n_nodes;
    net->node_names = calloc((size_t)g->n_nodes + 1, sizeof *net->node_names);
    net->node_ops = calloc((size_t)g->n_nodes + 1, sizeof *net->node_ops);
    net->node_flops = calloc((size_t)g->n_nodes + 1, sizeof *net->node_flops);
    if (!ex->root || !ex->offset || !net->node_names || !net->node_ops || !net->node_flops) {
        st = lk_fail(msg, LK_ERR_NO_MEMORY, "net: out of memory");
        goto fail;
    }
    for (int t = 0; t < g->n_tensors; t++)
        ex->root[t] = g->tensors[t].view_of >= 0 ? g->tensors[t].view_of : t;

    for (int i = 0; i < g->n_nodes; i++) {
        const lk_node *n = &g->nodes[i];
        const lk_op_class *cls = lk_op_class_get(n->op);
        lk_shape in[LK_MAX_NODE_INPUTS], o[LK_MAX_NODE_OUTPUTS];
        lk_kernels k = {ex, lk_context_device(ctx), i, ex->n_aux, ex->n_scratch, LK_OK};
        node_shapes(g, n, in, o);
        net->node_names[i] = dup_or_empty(n->name);
        net->node_ops[i] = dup_or_empty(cls->name);
        net->node_flops[i] = cls->flops ? cls->flops(n, in, o) : 0.0;
        if (!net->node_names[i] || !net->node_ops[i]) {
            st = lk_fail(msg, LK_ERR_NO_MEMORY, "net: out of memory");
            goto fail;
        }
        if (cls->view)
            continue;
        if (!cls->gpu) {
            st = lk_fail(msg, LK_ERR_UNSUPPORTED, "%s %s: no GPU kernel", cls->name, n->name);
            goto fail;
        }
        st = cls->gpu(n, in, o, &k, msg);
        if (!st && k.err)
            st = lk_fail(msg, k.err, "%s %s: out of memory describing kernels", cls->name, n->name);
        if (st)
            goto fail;
        int *sn = realloc(scratch_node, (size_t)(ex->n_scratch + 1) * sizeof *sn);
        if (!sn) {
            st = lk_fail(msg, LK_ERR_NO_MEMORY, "net: out of memory");
            goto fail;
        }
        scratch_node = sn;
        for (int s = k.scratch_base; s < ex->n_scratch; s++)
            scratch_node[s] = i;
    }
    ex->scratch_offset = calloc((size_t)ex->n_scratch + 1, sizeof *ex->scratch_offset);
    if (!ex->scratch_offset) {
        st = lk_fail(msg, LK_ERR_NO_MEMORY, "net: out of memory");
        goto fail;
    }
    st = plan_memory(ex, scratch_node, msg);
    if (st)
        goto fail;

    net->n_in = g->n_inputs;
    net->n_out = g->n_outputs;
    net->in_names = calloc((size_t)g->n_inputs + 1, sizeof *net->in_names);
    net->out_names = calloc((size_t)g->n_outputs, sizeof *net->out_names);
    net->in_shapes = calloc((size_t)g->n_inputs + 1, sizeof *net->in_shapes);
    net->out_shapes = calloc((size_t)g->n_outputs, sizeof *net->out_shapes);
    if (!net->in_names || !net->out_names || !net->in_shapes || !net->out_shapes) {
        st = lk_fail(msg, LK_ERR_NO_MEMORY, "net: out of memory");
        goto fail;
    }
    for (int i = 0; i < g->n_inputs; i++) {
        net->in_names[i] = dup_or_empty(g->tensors[g->inputs[i]].name);
        net->in_shapes[i] = g->tensors[g->inputs[i]].shape;
    }
    for (int i = 0; i < g->n_outputs; i++) {
        net->out_names[i] = dup_or_empty(g->tensors[g->outputs[i]].name);
        net->out_shapes[i] = g->tensors[g->outputs[i]].shape;
    }
    net->mem.arena_bytes = ex->stats.arena_bytes;
    net->mem.naive_bytes = ex->stats.naive_bytes;
    net->mem.peak_live_bytes = ex->stats.peak_live_bytes;

    st = lk_vk_net_new(ctx, ex, opts, &net->vk, msg);
    if (st)
        goto fail;
    net->mem.weight_bytes = lk_vk_net_weight_bytes(net->vk);
    /* The backend has uploaded everything it needs from the graph. */
    for (int i = 0; i < ex->n_aux; i++) {
        free(ex->aux[i].data);
        ex->aux[i].data = NULL;
    }
    ex->g = NULL;
    free(scratch_node);
    *out = net;
    return LK_OK;

fail:
    free(scratch_node);
    lk_net_free(net);
    return st;
}

void lk_net_free(lk_net *net)
{
    if (!net)
        return;
    lk_vk_net_free(net->vk);
    exec_free(&net->ex);
    for (int i = 0; i < net->n_nodes; i++) {
        if (net->node_names)
            free(net->node_names[i]);
        if (net->node_ops)
            free(net->node_ops[i]);
    }
    for (int i = 0; i < net->n_in; i++)
        free(net->in_names[i]);
    for (int i = 0; i < net->n_out; i++)
        free(net->out_names[i]);
    free(net->node_names);
    free(net->node_ops);
    free(net->node_flops);
    free(net->in_names);
    free(net->out_names);
    free(net->in_shapes);
    free(net->out_shapes);
    free(net);
}

int lk_net_n_inputs(const lk_net *net) { return net->n_in; }
int lk_net_n_outputs(const lk_net *net) { return net->n_out; }

const char *lk_net_input_name(const lk_net *net, int i)
{
    return i >= 0 && i < net->n_in ? net->in_names[i] : NULL;
}

const char *lk_net_output_name(const lk_net *net, int i)
{
    return i >= 0 && i < net->n_out ? net->out_names[i] : NULL;
}

lk_shape lk_net_input_shape(const lk_net *net, int i)
{
    lk_shape s = {0};
    return i >= 0 && i < net->n_in ? net->in_shapes[i] : s;
}

lk_shape lk_net_output_shape(const lk_net *net, int i)
{
    lk_shape s = {0};
    return i >= 0 && i < net->n_out ? net->out_shapes[i] : s;
}

lk_status lk_net_submit(lk_net *net, const float *const *inputs, lk_msg *msg)
{
    return lk_vk_net_submit(net->vk, inputs, msg);
}

lk_status lk_net_wait(lk_net *net, uint64_t timeout_ns, float *const *outputs, lk_msg *msg)
{
    return lk_vk_net_wait(net->vk, timeout_ns, outputs, msg);
}

lk_status lk_net_run(lk_net *net, const float *const *inputs, float *const *outputs, lk_msg *msg)
{
    lk_status st = lk_net_submit(net, inputs, msg);
    return st ? st : lk_net_wait(net, UINT64_MAX, outputs, msg);
}

void lk_net_memory(const lk_net *net, lk_mem_report *r)
{
    *r = net->mem;
}

int lk_net_profile(const lk_net *net, lk_profile_entry *entries, int cap)
{
    double *ms = calloc((size_t)net->n_nodes + 1, sizeof *ms);
    int n = 0;
    if (!ms || !lk_vk_net_node_ms(net->vk, ms, net->n_nodes)) {
        free(ms);
        return 0;
    }
    for (int i = 0; i < net->n_nodes && n < cap; i++, n++)
        entries[n] = (lk_profile_entry){net->node_names[i], net->node_ops[i], ms[i],
                                        net->node_flops[i]};
    free(ms);
    return n;
}

void lk_net_profile_print(const lk_net *net, void *file)
{
    FILE *fp = file ? file : stdout;
    lk_profile_entry *e = calloc((size_t)net->n_nodes + 1, sizeof *e);
    int n = e ? lk_net_profile(net, e, net->n_nodes) : 0;
    double total = 0.0;
    if (!n) {
        fprintf(fp, "no profile: build the net with opts.profile = 1 on a device with "
                    "timestamp queries, and run it once\n");
        free(e);
        return;
    }
    for (int i = 0; i < n; i++)
        total += e[i].ms;
    fprintf(fp, "%-32s %-16s %10s %7s %10s\n", "node", "op", "ms", "%", "GFLOP/s");
    for (int i = 0; i < n; i++)
        fprintf(fp, "%-32.32s %-16s %10.3f %6.1f%% %10.2f\n", e[i].node, e[i].op, e[i].ms,
                total > 0 ? 100.0 * e[i].ms / total : 0.0,
                e[i].ms > 0 ? e[i].flops / (e[i].ms * 1e6) : 0.0);
    fprintf(fp, "%-32s %-16s %10.3f\n", "total", "", total);
    free(e);
}
