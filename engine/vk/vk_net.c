/* Realises a compiled net on Vulkan: weights uploaded once, one planned
 * activation arena, pipelines from the embedded SPIR-V (through the
 * pipeline cache), one descriptor set per dispatch, and a single command
 * buffer recorded at build time and resubmitted for every run. */
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "vk_internal.h"

enum { BUF_ARENA = 0, BUF_WEIGHTS, BUF_STAGING, BUF_COUNT };

typedef struct pipeline {
    lk_shader_id shader;
    int f16;                   /* the fp16-storage variant */
    uint32_t spec[LK_MAX_SPEC];
    int n_spec, n_bind, n_push, full_subgroups;
    VkPipeline pipe;
    VkPipelineLayout layout;   /* owned by the layout table, not here */
} pipeline;

typedef struct range {
    int buf;
    uint64_t lo, hi;
    int write;
} range;

struct lk_vk_net {
    lk_context *ctx;           /* never owned */
    lk_precision precision;
    size_t elem_size;
    lk_vk_buffer buf[BUF_COUNT];
    VkShaderModule modules[LK_SH_COUNT][2]; /* fp32, fp16 variants */
    VkDescriptorSetLayout set_layouts[LK_MAX_BINDINGS + 1];
    VkPipelineLayout layouts[LK_MAX_BINDINGS + 1][LK_MAX_PUSH_WORDS + 1];
    pipeline *pipes;
    int n_pipes;
    VkDescriptorPool pool;
    VkCommandBuffer cmd;
    VkFence fence;
    VkQueryPool queries;       /* n_nodes + 1 timestamps, when profiling */
    int n_nodes;
    int in_flight;
    int has_profile;
    uint64_t *stamps;
    /* Where each net input / output lives in the staging buffer. */
    int n_in, n_out;
    uint64_t *in_staging, *out_staging, *in_count, *out_count;
    /* Hazard tracking while recording. */
    range *pending;
    int n_pending, cap_pending;
};

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) / a * a;
}

static void full_barrier(lk_vk_net *vn, VkPipelineStageFlags dst_stage, VkAccessFlags dst_access)
{
    VkMemoryBarrier mb = {.sType = VK_STRUCTURE_TYPE_MEMORY_BARRIER,
                          .srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT,
                          .dstAccessMask = dst_access};
    vn->ctx->vk.vkCmdPipelineBarrier(vn->cmd,
                                     VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                                     dst_stage, 0, 1, &mb, 0, NULL, 0, NULL);
    vn->n_pending = 0;
}

static void compute_barrier(lk_vk_net *vn)
{
    full_barrier(vn, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                 VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT |
                     VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT);
}

/* A barrier is needed when this access touches bytes an unbarriered
 * earlier access wrote (RAW, WAW) or, for a write, read (WAR). */
static int conflicts(const lk_vk_net *vn, const range *r)
{
    for (int i = 0; i < vn->n_pending; i++) {
        const range *p = &vn->pending[i];
        if (p->buf == r->buf && p->lo < r->hi && r->lo < p->hi && (p->write || r->write))
            return 1;
    }
    return 0;
}

static int track(lk_vk_net *vn, const range *r)
{
    if (vn->n_pending == vn->cap_pending) {
        int cap = vn->cap_pending ? vn->cap_pending * 2 : 64;
        range *p = realloc(vn->pending, (size_t)cap * sizeof *p);
        if (!p)
            return 0;
        vn->pending = p;
        vn->cap_pending = cap;
    }
    vn->pending[vn->n_pending++] = *r;
    return 1;
}

/* Buffer, byte offset and size a binding reference resolves to. */
static void resolve(const lk_vk_net *vn, const lk_exec *ex, const uint64_t *const_off,
                    const uint64_t *aux_off, const lk_exec_dispatch *ed, int ref, range *r)
{
    const lk_node *n = &ex->g->nodes[ed->node];
    if (ref < LK_BIND_AUX(0)) {
        int t = ref < LK_BIND_OUT(0) ? n->in[ref] : n->out[ref - LK_BIND_OUT(0)];
        int root = ex->root[t];
        int is_const = ex->g->tensors[root].kind == LK_TENSOR_CONST;
        r->buf = is_const ? BUF_WEIGHTS : BUF_ARENA;
        r->lo = is_const ? const_off[root] : ex->offset[root];
        r->hi = r->lo + (uint64_t)lk_shape_numel(&ex->g->tensors[t].shape) *
                            (is_const ? vn->elem_size : lk_exec_elem_size(ex, t));
    } else if (ref < LK_BIND_SCRATCH(0)) {
        const lk_exec_aux *a = &ex->aux[ed->aux_base + ref - LK_BIND_AUX(0)];
        r->buf = BUF_WEIGHTS;
        r->lo = aux_off[ed->aux_base + ref - LK_BIND_AUX(0)];
        r->hi = r->lo + a->count * (a->is_int ? 4 : vn->elem_size);
    } else {
        int s = ed->scratch_base + ref - LK_BIND_SCRATCH(0);
        r->buf = BUF_ARENA;
        r->lo = ex->scratch_offset[s];
        r->hi = r->lo + ex->scratch_count[s] * lk_exec_scratch_elem_size(ex, s);
    }
    if (r->hi == r->lo)
        r->hi = r->lo + 4;
    r->write = (ref >= LK_BIND_OUT(0) && ref < LK_BIND_AUX(0)) || ref >= LK_BIND_SCRATCH(0);
}

static lk_status get_layout(lk_vk_net *vn, int n_bind, int n_push, VkPipelineLayout *out,
                            lk_msg *msg)
{
    lk_context *ctx = vn->ctx;
    lk_status st = LK_OK;
    if (!vn->set_layouts[n_bind]) {
        VkDescriptorSetLayoutBinding b[LK_MAX_BINDINGS];
        for (int i = 0; i < n_bind; i++)
            b[i] = (VkDescriptorSetLayoutBinding){(uint32_t)i, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1,
                                                  VK_SHADER_STAGE_COMPUTE_BIT, NULL};
        VkDescriptorSetLayoutCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO,
                                              .bindingCount = (uint32_t)n_bind, .pBindings = b};
        LK_VK_CHECK(ctx->vk.vkCreateDescriptorSetLayout(ctx->device, &ci, NULL, &vn->set_layouts[n_bind]),
                    "vkCreateDescriptorSetLayout");
    }
    if (!vn->layouts[n_bind][n_push]) {
        VkPushConstantRange pr = {VK_SHADER_STAGE_COMPUTE_BIT, 0, (uint32_t)n_push * 4};
        VkPipelineLayoutCreateInfo ci = {.sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO,
                                         .setLayoutCount = 1,
                                         .pSetLayouts = &vn->set_layouts[n_bind],
                                         .pushConstantRangeCount = n_push ? 1 : 0,
                                         .pPushConstantRanges = &pr};
        LK_VK_CHECK(ctx->vk.vkCreatePipelineLayout(ctx->device, &ci, NULL, &vn->layouts[n_bind][n_push]),
                    "vkCreatePipelineLayout");
    }
    *out = vn->layouts[n_bind][n_push];
fail:
    return st;
}

/* Pipelines are shared by dispatches with the same shader, constants and
 * interface; the context's pipeline cache makes the next start faster. */
static lk_status get_pipeline(lk_vk_net *vn, const lk_dispatch *d, int f16, const pipeline **out,
                              lk_msg *msg)
{
    lk_context *ctx = vn->ctx;
    lk_status st = LK_OK;
    for (int i = 0; i < vn->n_pipes; i++) {
        const pipeline *p = &vn->pipes[i];
        if (p->shader == d->shader && p->f16 == f16 && p->n_spec == d->n_spec && p->n_bind == d->n_bind &&
            p->n_push == d->n_push && p->full_subgroups == d->full_subgroups &&
            !memcmp(p->spec, d->spec, (size_t)d->n_spec * 4)) {
            *out = p;
            return LK_OK;
        }
    }
    pipeline *arr = realloc(vn->pipes, (size_t)(vn->n_pipes + 1) * sizeof *arr);
    if (!arr)
        return lk_fail(msg, LK_ERR_NO_MEMORY, "pipelines: out of memory");
    vn->pipes = arr;
    pipeline *p = &arr[vn->n_pipes];
    memset(p, 0, sizeof *p);
    p->shader = d->shader;
    p->f16 = f16;
    p->n_spec = d->n_spec;
    p->n_bind = d->n_bind;
    p->n_push = d->n_push;
    p->full_subgroups = d->full_subgroups;
    memcpy(p->spec, d->spec, (size_t)d->n_spec * 4);

    const lk_spirv *spv = lk_shader_spirv(d->shader, f16);
    if (!vn->modules[d->shader][f16]) {
        VkShaderModuleCreateInfo mci = {.sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO,
                                        .codeSize = spv->size, .pCode = spv->code};
        LK_VK_CHECK(ctx->vk.vkCreateShaderModule(ctx->device, &mci, NULL, &vn->modules[d->shader][f16]),
                    "vkCreateShaderModule");
    }
    st = get_layout(vn, d->n_bind, d->n_push, &p->layout, msg);
    if (st)
        return st;
    VkSpecializationMapEntry entries[LK_MAX_SPEC];
    for (int i = 0; i < d->n_spec; i++)
        entries[i] = (VkSpecializationMapEntry){(uint32_t)i, (uint32_t)i * 4, 4};
    VkSpecializationInfo si = {(uint32_t)d->n_spec, entries, (size_t)d->n_spec * 4, p->spec};
    /* Drivers that pick a subgroup size per pipeline (e.g. Intel) must
     * give a kernel that shuffles across its workgroup exactly one size. */
    VkPipelineShaderStageRequiredSubgroupSizeCreateInfoEXT req = {
        .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_REQUIRED_SUBGROUP_SIZE_CREATE_INFO_EXT,
        .requiredSubgroupSize = ctx->info.subgroup_size};
    int control = d->full_subgroups && ctx->info.subgroup_control;
    VkComputePipelineCreateInfo ci = {
        .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
        .stage = {.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                  .pNext = control ? &req : NULL,
                  .flags = control ? VK_PIPELINE_SHADER_STAGE_CREATE_REQUIRE_FULL_SUBGROUPS_BIT_EXT : 0,
                  .stage = VK_SHADER_STAGE_COMPUTE_BIT,
                  .module = vn->modules[d->shader][f16],
                  .pName = "main",
                  .pSpecializationInfo = d->n_spec ? &si : NULL},
        .layout = p->layout,
    };
    VkResult vr = ctx->vk.vkCreateComputePipelines(ctx->device, ctx->cache, 1, &ci, NULL, &p->pipe);
    if (vr != VK_SUCCESS)
        return lk_fail(msg, LK_ERR_BACKEND, "shader %s: vkCreateComputePipelines failed (%d)",
                       spv->name, (int)vr);
    vn->n_pipes++;
    *out = p;
fail:
    return st;
}

/* Records one dispatch: barrier if needed, pipeline, descriptors, push.
 * f16 selects the shader's fp16-storage variant. */
static lk_status record_dispatch(lk_vk_net *vn, const lk_dispatch *d, int f16, const range *ranges,
                                 const VkBuffer *bufs, lk_msg *msg)
{
    lk_context *ctx = vn->ctx;
    const pipeline *p = NULL;
    lk_status st = get_pipeline(vn, d, f16, &p, msg);
    VkDescriptorSet set;
    VkDescriptorBufferInfo info[LK_MAX_BINDINGS];
    VkWriteDescriptorSet w[LK_MAX_BINDINGS];

    if (st)
        return st;
    VkDescriptorSetAllocateInfo ai = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
                                      .descriptorPool = vn->pool, .descriptorSetCount = 1,
                                      .pSetLayouts = &vn->set_layouts[d->n_bind]};
    LK_VK_CHECK(ctx->vk.vkAllocateDescriptorSets(ctx->device, &ai, &set), "vkAllocateDescriptorSets");
    for (int i = 0; i < d->n_bind; i++) {
        info[i] = (VkDescriptorBufferInfo){bufs[i], ranges[i].lo, ranges[i].hi - ranges[i].lo};
        w[i] = (VkWriteDescriptorSet){.sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
                                      .dstSet = set, .dstBinding = (uint32_t)i,
                                      .descriptorCount = 1,
                                      .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
                                      .pBufferInfo = &info[i]};
    }
    ctx->vk.vkUpdateDescriptorSets(ctx->device, (uint32_t)d->n_bind, w, 0, NULL);

    int need = 0;
    for (int i = 0; i < d->n_bind; i++)
        need |= conflicts(vn, &ranges[i]);
    if (need)
        compute_barrier(vn);
    for (int i = 0; i < d->n_bind; i++)
        if (!track(vn, &ranges[i]))
            return lk_fail(msg, LK_ERR_NO_MEMORY, "recording: out of memory");

    ctx->vk.vkCmdBindPipeline(vn->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p->pipe);
    ctx->vk.vkCmdBindDescriptorSets(vn->cmd, VK_PIPELINE_BIND_POINT_COMPUTE, p->layout, 0, 1, &set,
                                    0, NULL);
    if (d->n_push)
        ctx->vk.vkCmdPushConstants(vn->cmd, p->layout, VK_SHADER_STAGE_COMPUTE_BIT, 0,
                                   (uint32_t)d->n_push * 4, d->push);
    ctx->vk.vkCmdDispatch(vn->cmd, d->groups[0], d->groups[1], d->groups[2]);
fail:
    return st;
}

/* Moves `count` values between fp32 staging and the arena: a plain copy at
 * fp32 or for wide tensors, a conversion dispatch when storage is fp16. */
static lk_status record_io(lk_vk_net *vn, int to_arena, uint64_t staging_off, uint64_t arena_off,
                           uint64_t count, int wide, lk_msg *msg)
{
    lk_context *ctx = vn->ctx;
    if (vn->precision == LK_FP32 || wide) {
        VkBufferCopy c = {to_arena ? staging_off : arena_off, to_arena ? arena_off : staging_off,
                          count * 4};
        ctx->vk.vkCmdCopyBuffer(vn->cmd, vn->buf[to_arena ? BUF_STAGING : BUF_ARENA].buf,
                                vn->buf[to_arena ? BUF_ARENA : BUF_STAGING].buf, 1, &c);
        return LK_OK;
    }
    lk_dispatch d;
    range r[2];
    VkBuffer bufs[2];
    lk_dispatch_init(&d, to_arena ? LK_SH_cast_in : LK_SH_cast_out);
    lk_dispatch_bind(&d, 0);
    lk_dispatch_bind(&d, 1);
    lk_dispatch_push(&d, (uint32_t)count);
    d.groups[0] = lk_div_up(count, 256) < 65535 ? lk_div_up(count, 256) : 65535;
    r[0] = (range){BUF_STAGING, staging_off, staging_off + count * 4, 0};
    r[1] = (range){BUF_ARENA, arena_off, arena_off + count * 2, 0};
    if (to_arena)
        r[1].write = 1;
    else {
        range t = r[0];
        r[0] = r[1];
        r[1] = t;
        r[1].write = 1;
    }
    bufs[0] = vn->buf[r[0].buf].buf;
    bufs[1] = vn->buf[r[1].buf].buf;
    if ((r[1].hi - r[1].lo) % 4)
        r[1].hi = align_up(r[1].hi, 4);
    if ((r[0].hi - r[0].lo) % 4)
        r[0].hi = align_up(r[0].hi, 4);
    return record_dispatch(vn, &d, 1, r, bufs, msg);
}

/* Weights and aux buffers in one device buffer, converted to the storage
 * precision once and uploaded through a staging copy. */
static lk_status upload_weights(lk_vk_net *vn, const lk_exec *ex, uint64_t *const_off,
                                uint64_t *aux_off, lk_msg *msg)
{
    lk_context *ctx = vn->ctx;
    const lk_graph *g = ex->g;
    uint64_t total = 0;
    lk_vk_buffer staging = {0};
    lk_status st;

    /* Only constants some dispatch binds: rewrites leave originals behind,
     * and ops that repacked a weight into an aux buffer never read it. */
    for (int t = 0; t < g->n_tensors; t++)
        const_off[t] = UINT64_MAX;
    for (int i = 0; i < ex->n_disp; i++) {
        const lk_node *n = &g->nodes[ex->disp[i].node];
        for (int b = 0; b < ex->disp[i].d.n_bind; b++) {
            int ref = ex->disp[i].d.bind[b];
            if (ref < LK_BIND_OUT(0))
                const_off[ex->root[n->in[ref]]] = 0;
        }
    }
    for (int t = 0; t < g->n_tensors; t++) {
        int used = const_off[t] == 0;
        const_off[t] = UINT64_MAX;
        if (used && g->tensors[t].kind == LK_TENSOR_CONST) {
            const_off[t] = total;
            total = align_up(total + (uint64_t)lk_shape_numel(&g->tensors[t].shape) * vn->elem_size,
                             ex->align);
        }
    }
    for (int i = 0; i < ex->n_aux; i++) {
        aux_off[i] = total;
        total = align_up(total + ex->aux[i].count * (ex->aux[i].is_int ? 4 : vn->elem_size), ex->align);
    }
    st = lk_vk_buffer_new(ctx, total, 0, &vn->buf[BUF_WEIGHTS], msg);
    if (st)
        return st;
    if (!total)
        return LK_OK;
    st = lk_vk_buffer_new(ctx, total, 1, &staging, msg);
    if (st)
        return st;
    uint8_t *dst = staging.map;
    for (int t = 0; t < g->n_tensors; t++) {
        if (const_off[t] == UINT64_MAX)
            continue;
        const float *src = g->tensors[t].data;
        int64_t n = lk_shape_numel(&g->tensors[t].shape);
        if (vn->precision == LK_FP16)
            for (int64_t i = 0; i < n; i++)
                ((uint16_t *)(dst + const_off[t]))[i] = lk_f32_to_f16(src[i]);
        else
            memcpy(dst + const_off[t], src, (size_t)n * 4);
    }
    for (int i = 0; i < ex->n_aux; i++) {
        const lk_exec_aux *a = &ex->aux[i];
        if (vn->precision == LK_FP16 && !a->is_int)
            for (size_t j = 0; j < a->count; j++)
                ((uint16_t *)(dst + aux_off[i]))[j] = lk_f32_to_f16(((const float *)a->data)[j]);
        else
            memcpy(dst + aux_off[i], a->data, a->count * 4);
    }
    lk_vk_buffer_flush(ctx, &staging);
    st = lk_vk_copy_now(ctx, staging.buf, vn->buf[BUF_WEIGHTS].buf, total, msg);
    lk_vk_buffer_free(ctx, &staging);
    return st;
}

static lk_status record(lk_vk_net *vn, const lk_exec *ex, const lk_net_opts *opts,
                        const uint64_t *const_off, const uint64_t *aux_off, lk_msg *msg)
{
    lk_context *ctx = vn->ctx;
    const lk_graph *g = ex->g;
    lk_status st = LK_OK;
    VkCommandBufferBeginInfo bi = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    int di = 0;

    LK_VK_CHECK(ctx->vk.vkBeginCommandBuffer(vn->cmd, &bi), "vkBeginCommandBuffer");
    if (vn->queries)
        ctx->vk.vkCmdResetQueryPool(vn->cmd, vn->queries, 0, (uint32_t)g->n_nodes + 1);
    if (opts->poison) {
        /* NaN in every element: an output the kernels never wrote shows. */
        ctx->vk.vkCmdFillBuffer(vn->cmd, vn->buf[BUF_ARENA].buf, 0, VK_WHOLE_SIZE,
                                vn->precision == LK_FP16 ? 0x7e007e00u : 0x7fc00000u);
        /* Wide tensors get fp32 NaN words; the fills overlap, so order them. */
        if (vn->precision == LK_FP16)
            compute_barrier(vn);
        for (int t = 0; vn->precision == LK_FP16 && t < g->n_tensors; t++)
            if (ex->root[t] == t && g->tensors[t].wide && ex->offset[t] != UINT64_MAX)
                ctx->vk.vkCmdFillBuffer(vn->cmd, vn->buf[BUF_ARENA].buf, ex->offset[t],
                                        (uint64_t)lk_shape_numel(&g->tensors[t].shape) * 4,
                                        0x7fc00000u);
        compute_barrier(vn);
    }
    for (int i = 0; i < vn->n_in; i++) {
        st = record_io(vn, 1, vn->in_staging[i], ex->offset[g->inputs[i]], vn->in_count[i],
                       g->tensors[g->inputs[i]].wide, msg);
        if (st)
            goto fail;
    }
    compute_barrier(vn);
    if (vn->queries)
        ctx->vk.vkCmdWriteTimestamp(vn->cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, vn->queries, 0);
    for (int node = 0; node < g->n_nodes; node++) {
        for (; di < ex->n_disp && ex->disp[di].node == node; di++) {
            const lk_exec_dispatch *ed = &ex->disp[di];
            range r[LK_MAX_BINDINGS];
            VkBuffer bufs[LK_MAX_BINDINGS];
            for (int b = 0; b < ed->d.n_bind; b++) {
                resolve(vn, ex, const_off, aux_off, ed, ed->d.bind[b], &r[b]);
                bufs[b] = vn->buf[r[b].buf].buf;
            }
            int f16 = vn->precision == LK_FP16 && !g->nodes[node].wide;
            st = record_dispatch(vn, &ed->d, f16, r, bufs, msg);
            if (st) {
                char tmp[sizeof msg->text];
                if (msg) {
                    memcpy(tmp, msg->text, sizeof tmp);
                    lk_fail(msg, st, "%s %s: %s", lk_op_name(g->nodes[node].op), g->nodes[node].name, tmp);
                }
                goto fail;
            }
        }
        if (vn->queries)
            ctx->vk.vkCmdWriteTimestamp(vn->cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, vn->queries,
                                        (uint32_t)node + 1);
    }
    compute_barrier(vn);
    for (int i = 0; i < vn->n_out; i++) {
        int root = ex->root[g->outputs[i]];
        if (g->tensors[root].kind == LK_TENSOR_CONST) {
            st = lk_fail(msg, LK_ERR_UNSUPPORTED, "output %s is a view of a constant",
                         g->tensors[g->outputs[i]].name);
            goto fail;
        }
        st = record_io(vn, 0, vn->out_staging[i], ex->offset[root], vn->out_count[i],
                       g->tensors[root].wide, msg);
        if (st)
            goto fail;
    }
    full_barrier(vn, VK_PIPELINE_STAGE_HOST_BIT, VK_ACCESS_HOST_READ_BIT);
    LK_VK_CHECK(ctx->vk.vkEndCommandBuffer(vn->cmd), "vkEndCommandBuffer");
fail:
    return st;
}

static lk_status build(lk_vk_net *vn, const lk_exec *ex, const lk_net_opts *opts, lk_msg *msg);

lk_status lk_vk_net_new(lk_context *ctx, const lk_exec *ex, const lk_net_opts *opts,
                        lk_vk_net **out, lk_msg *msg)
{
    lk_vk_net *vn = calloc(1, sizeof *vn);
    lk_status st;

    *out = NULL;
    if (!vn)
        return lk_fail(msg, LK_ERR_NO_MEMORY, "net: out of memory");
    vn->ctx = ctx;
    pthread_mutex_lock(&ctx->lock);
    st = build(vn, ex, opts, msg);
    pthread_mutex_unlock(&ctx->lock);
    if (st) {
        lk_vk_net_free(vn);
        return st;
    }
    *out = vn;
    return LK_OK;
}

/* Everything but the allocation of vn, with ctx->lock held. */
static lk_status build(lk_vk_net *vn, const lk_exec *ex, const lk_net_opts *opts, lk_msg *msg)
{
    lk_context *ctx = vn->ctx;
    const lk_graph *g = ex->g;
    uint64_t *const_off = NULL, *aux_off = NULL, staging_bytes = 0;
    lk_status st = LK_OK;

    vn->precision = ex->precision;
    vn->elem_size = ex->elem_size;
    vn->n_nodes = g->n_nodes;
    vn->n_in = g->n_inputs;
    vn->n_out = g->n_outputs;
    const_off = malloc((size_t)g->n_tensors * sizeof *const_off);
    aux_off = malloc((size_t)(ex->n_aux + 1) * sizeof *aux_off);
    vn->in_staging = calloc((size_t)vn->n_in + 1, sizeof *vn->in_staging);
    vn->in_count = calloc((size_t)vn->n_in + 1, sizeof *vn->in_count);
    vn->out_staging = calloc((size_t)vn->n_out + 1, sizeof *vn->out_staging);
    vn->out_count = calloc((size_t)vn->n_out + 1, sizeof *vn->out_count);
    if (!const_off || !aux_off || !vn->in_staging || !vn->in_count || !vn->out_staging || !vn->out_count) {
        st = lk_fail(msg, LK_ERR_NO_MEMORY, "net: out of memory");
        goto fail;
    }
    st = upload_weights(vn, ex, const_off, aux_off, msg);
    if (st)
        goto fail;
    st = lk_vk_buffer_new(ctx, ex->stats.arena_bytes, 0, &vn->buf[BUF_ARENA], msg);
    if (st)
        goto fail;
    for (int i = 0; i < vn->n_in; i++) {
        vn->in_count[i] = (uint64_t)lk_shape_numel(&g->tensors[g->inputs[i]].shape);
        vn->in_staging[i] = staging_bytes;
        staging_bytes = align_up(staging_bytes + vn->in_count[i] * 4, ex->align);
    }
    for (int i = 0; i < vn->n_out; i++) {
        vn->out_count[i] = (uint64_t)lk_shape_numel(&g->tensors[g->outputs[i]].shape);
        vn->out_staging[i] = staging_bytes;
        staging_bytes = align_up(staging_bytes + vn->out_count[i] * 4, ex->align);
    }
    st = lk_vk_buffer_new(ctx, staging_bytes, 1, &vn->buf[BUF_STAGING], msg);
    if (st)
        goto fail;

    uint32_t sets = (uint32_t)ex->n_disp + (uint32_t)(vn->n_in + vn->n_out) + 1;
    VkDescriptorPoolSize ps = {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, sets * LK_MAX_BINDINGS};
    VkDescriptorPoolCreateInfo dpi = {.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
                                      .maxSets = sets, .poolSizeCount = 1, .pPoolSizes = &ps};
    LK_VK_CHECK(ctx->vk.vkCreateDescriptorPool(ctx->device, &dpi, NULL, &vn->pool),
                "vkCreateDescriptorPool");
    VkCommandBufferAllocateInfo cai = {.sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
                                       .commandPool = ctx->pool,
                                       .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
                                       .commandBufferCount = 1};
    LK_VK_CHECK(ctx->vk.vkAllocateCommandBuffers(ctx->device, &cai, &vn->cmd),
                "vkAllocateCommandBuffers");
    VkFenceCreateInfo fci = {.sType = VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    LK_VK_CHECK(ctx->vk.vkCreateFence(ctx->device, &fci, NULL, &vn->fence), "vkCreateFence");
    if (opts->profile && ctx->info.timestamps) {
        VkQueryPoolCreateInfo qci = {.sType = VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO,
                                     .queryType = VK_QUERY_TYPE_TIMESTAMP,
                                     .queryCount = (uint32_t)g->n_nodes + 1};
        LK_VK_CHECK(ctx->vk.vkCreateQueryPool(ctx->device, &qci, NULL, &vn->queries),
                    "vkCreateQueryPool");
        vn->stamps = calloc((size_t)g->n_nodes + 1, sizeof *vn->stamps);
        if (!vn->stamps) {
            st = lk_fail(msg, LK_ERR_NO_MEMORY, "net: out of memory");
            goto fail;
        }
    }
    st = record(vn, ex, opts, const_off, aux_off, msg);
    if (st)
        goto fail;
    lk_vk_cache_save(ctx);
fail:
    free(const_off);
    free(aux_off);
    free(vn->pending);
    vn->pending = NULL;
    vn->n_pending = vn->cap_pending = 0;
    return st;
}

void lk_vk_net_free(lk_vk_net *vn)
{
    if (!vn)
        return;
    lk_context *ctx = vn->ctx;
    VkDevice dev = ctx->device;
    if (vn->in_flight)
        ctx->vk.vkWaitForFences(dev, 1, &vn->fence, VK_TRUE, UINT64_MAX);
    pthread_mutex_lock(&ctx->lock);
    for (int i = 0; i < vn->n_pipes; i++)
        ctx->vk.vkDestroyPipeline(dev, vn->pipes[i].pipe, NULL);
    for (int i = 0; i <= LK_MAX_BINDINGS; i++) {
        for (int j = 0; j <= LK_MAX_PUSH_WORDS; j++)
            if (vn->layouts[i][j])
                ctx->vk.vkDestroyPipelineLayout(dev, vn->layouts[i][j], NULL);
        if (vn->set_layouts[i])
            ctx->vk.vkDestroyDescriptorSetLayout(dev, vn->set_layouts[i], NULL);
    }
    for (int i = 0; i < LK_SH_COUNT; i++)
        for (int j = 0; j < 2; j++)
            if (vn->modules[i][j])
                ctx->vk.vkDestroyShaderModule(dev, vn->modules[i][j], NULL);
    if (vn->pool)
        ctx->vk.vkDestroyDescriptorPool(dev, vn->pool, NULL);
    if (vn->cmd)
        ctx->vk.vkFreeCommandBuffers(dev, ctx->pool, 1, &vn->cmd);
    if (vn->fence)
        ctx->vk.vkDestroyFence(dev, vn->fence, NULL);
    if (vn->queries)
        ctx->vk.vkDestroyQueryPool(dev, vn->queries, NULL);
    for (int i = 0; i < BUF_COUNT; i++)
        lk_vk_buffer_free(ctx, &vn->buf[i]);
    pthread_mutex_unlock(&ctx->lock);
    free(vn->pipes);
    free(vn->stamps);
    free(vn->pending);
    free(vn->in_staging);
    free(vn->out_staging);
    free(vn->in_count);
    free(vn->out_count);
    free(vn);
}

lk_status lk_vk_net_submit(lk_vk_net *vn, const float *const *inputs, lk_msg *msg)
{
    lk_context *ctx = vn->ctx;
    lk_status st = LK_OK;
    if (vn->in_flight)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "net: a run is already in flight; wait for it first");
    for (int i = 0; i < vn->n_in; i++) {
        if (!inputs || !inputs[i])
            return lk_fail(msg, LK_ERR_INVALID_ARG, "net: input %d is NULL", i);
        memcpy((uint8_t *)vn->buf[BUF_STAGING].map + vn->in_staging[i], inputs[i],
               vn->in_count[i] * 4);
    }
    lk_vk_buffer_flush(ctx, &vn->buf[BUF_STAGING]);
    LK_VK_CHECK(ctx->vk.vkResetFences(ctx->device, 1, &vn->fence), "vkResetFences");
    VkSubmitInfo si = {.sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1,
                       .pCommandBuffers = &vn->cmd};
    pthread_mutex_lock(&ctx->lock);
    VkResult vr = ctx->vk.vkQueueSubmit(ctx->queue, 1, &si, vn->fence);
    pthread_mutex_unlock(&ctx->lock);
    LK_VK_CHECK(vr, "vkQueueSubmit");
    vn->in_flight = 1;
fail:
    return st;
}

lk_status lk_vk_net_wait(lk_vk_net *vn, uint64_t timeout_ns, float *const *outputs, lk_msg *msg)
{
    lk_context *ctx = vn->ctx;
    lk_status st = LK_OK;
    if (!vn->in_flight)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "net: nothing submitted");
    VkResult vr = ctx->vk.vkWaitForFences(ctx->device, 1, &vn->fence, VK_TRUE, timeout_ns);
    if (vr == VK_TIMEOUT)
        return lk_fail(msg, LK_ERR_NOT_READY, "net: run not finished yet");
    vn->in_flight = 0;
    LK_VK_CHECK(vr, "vkWaitForFences");
    lk_vk_buffer_invalidate(ctx, &vn->buf[BUF_STAGING]);
    for (int i = 0; i < vn->n_out; i++)
        if (outputs && outputs[i])
            memcpy(outputs[i], (uint8_t *)vn->buf[BUF_STAGING].map + vn->out_staging[i],
                   vn->out_count[i] * 4);
    if (vn->queries) {
        vr = ctx->vk.vkGetQueryPoolResults(ctx->device, vn->queries, 0, (uint32_t)vn->n_nodes + 1,
                                           ((size_t)vn->n_nodes + 1) * 8, vn->stamps, 8,
                                           VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT);
        vn->has_profile = vr == VK_SUCCESS;
    }
fail:
    return st;
}

uint64_t lk_vk_net_weight_bytes(const lk_vk_net *vn)
{
    return vn->buf[BUF_WEIGHTS].size;
}

int lk_vk_net_node_ms(const lk_vk_net *vn, double *ms, int n_nodes)
{
    if (!vn || !vn->has_profile || n_nodes != vn->n_nodes)
        return 0;
    for (int i = 0; i < n_nodes; i++)
        ms[i] = (double)(vn->stamps[i + 1] - vn->stamps[i]) * vn->ctx->timestamp_period * 1e-6;
    return 1;
}
