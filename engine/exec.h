/* A compiled network, backend-neutral part: the kernel descriptions the ops
 * produced, their side buffers and the memory plan. A backend realises it
 * (engine/vk/vk_net.c for Vulkan). */
#ifndef LK_EXEC_H
#define LK_EXEC_H

#include "graph.h"
#include "ops/op.h"
#include "plan.h"

typedef struct lk_exec_dispatch {
    lk_dispatch d;
    int node;
    int aux_base;            /* LK_BIND_AUX(i) → exec aux[aux_base + i] */
    int scratch_base;        /* LK_BIND_SCRATCH(i) → exec scratch[scratch_base + i] */
} lk_exec_dispatch;

typedef struct lk_exec_aux {
    void *data;              /* owned: fp32 values or int32 */
    size_t count;
    int is_int;
} lk_exec_aux;

typedef struct lk_exec {
    const lk_graph *g;
    lk_precision precision;
    size_t elem_size;        /* bytes per stored element */
    uint64_t align;          /* offsets are multiples of this */
    lk_exec_dispatch *disp;
    int n_disp;
    lk_exec_aux *aux;
    int n_aux;
    size_t *scratch_count;   /* elements */
    unsigned char *scratch_wide; /* 1: 4-byte elements at every precision */
    uint64_t *scratch_offset;/* arena bytes */
    int n_scratch;
    int *root;               /* per tensor: tensor whose memory it uses */
    uint64_t *offset;        /* per root tensor in the arena; UINT64_MAX for constants */
    lk_plan_stats stats;
} lk_exec;

/* Bytes of one stored element of tensor t (wide tensors are 32-bit). */
static inline size_t lk_exec_elem_size(const lk_exec *ex, int t)
{
    return ex->g->tensors[ex->root[t]].wide ? 4 : ex->elem_size;
}

static inline size_t lk_exec_scratch_elem_size(const lk_exec *ex, int s)
{
    return ex->scratch_wide[s] ? 4 : ex->elem_size;
}

struct lk_kernels {
    lk_exec *ex;
    const lk_device_info *dev;
    int node;
    int aux_base, scratch_base;
    lk_status err;
};

/* Converts fp32 to IEEE half (round to nearest even). */
uint16_t lk_f32_to_f16(float f);
float lk_f16_to_f32(uint16_t h);

/* The Vulkan realisation: pipelines, buffers, one recorded command buffer. */
typedef struct lk_vk_net lk_vk_net;
lk_status lk_vk_net_new(lk_context *ctx, const lk_exec *ex, const lk_net_opts *opts,
                        lk_vk_net **out, lk_msg *msg);
void lk_vk_net_free(lk_vk_net *vn);
uint64_t lk_vk_net_weight_bytes(const lk_vk_net *vn);
lk_status lk_vk_net_submit(lk_vk_net *vn, const float *const *inputs, lk_msg *msg);
lk_status lk_vk_net_wait(lk_vk_net *vn, uint64_t timeout_ns, float *const *outputs, lk_msg *msg);
/* Per-node GPU milliseconds of the last run; 0 when not profiled. */
int lk_vk_net_node_ms(const lk_vk_net *vn, double *ms, int n_nodes);

#endif
