/* The op interface. Each op lives in engine/ops/<stem>.c with:
 *   infer     — checks parameters and input shapes, computes output shapes;
 *   reference — the plain-C definition the GPU kernels are tested against;
 *   gpu       — describes the op's compute dispatches (shader, specialization
 *               and push constants, bindings, group counts) for a GPU
 *               backend. It never touches Vulkan: the backend turns the
 *               description into pipelines and recorded commands;
 *   flops     — work of one forward pass, for profiles and benches.
 * Graph code, planning and tests only see this table. */
#ifndef LK_OP_H
#define LK_OP_H

#include "graph.h"
#include "lk_shaders.h"  /* generated: lk_shader_id, one per shader variant */

/* Binding references used in dispatch descriptions. */
#define LK_BIND_IN(i) (i)              /* node input i */
#define LK_BIND_OUT(i) (64 + (i))      /* node output i */
#define LK_BIND_AUX(i) (128 + (i))     /* constant buffer added by the op */
#define LK_BIND_SCRATCH(i) (192 + (i)) /* per-node temporary buffer */

#define LK_MAX_SPEC 24
#define LK_MAX_PUSH_WORDS 32           /* 128 bytes: the Vulkan minimum */
#define LK_MAX_BINDINGS 8

typedef struct lk_dispatch {
    lk_shader_id shader;
    uint32_t spec[LK_MAX_SPEC];        /* constant_id i = spec[i] */
    int n_spec;
    uint32_t push[LK_MAX_PUSH_WORDS];  /* push-constant block, 32-bit words */
    int n_push;
    int bind[LK_MAX_BINDINGS];         /* binding i = LK_BIND_* reference */
    int n_bind;
    uint32_t groups[3];                /* workgroup counts */
    /* The shader relies on its workgroup being whole subgroups of the
     * device's subgroup_size (e.g. shuffles across a workgroup). */
    int full_subgroups;
} lk_dispatch;

/* What a GPU backend offers to an op's gpu() while compiling. */
typedef struct lk_kernels lk_kernels;

const lk_device_info *lk_kernels_device(const lk_kernels *k);
/* 1 when tensors are stored as fp16 (arithmetic stays fp32). */
int lk_kernels_fp16(const lk_kernels *k);
/* The data of node input i when it is a graph constant (weights), else
 * NULL; lets gpu() repack weights at compile time. */
const float *lk_kernels_const_data(const lk_kernels *k, int input);
/* Adds a constant buffer of floats (stored at the net's precision) and
 * returns its index for LK_BIND_AUX; data is copied. */
int lk_kernels_aux_f32(lk_kernels *k, const float *data, size_t count);
/* Adds a constant buffer of 32-bit integers (never converted). */
int lk_kernels_aux_i32(lk_kernels *k, const int32_t *data, size_t count);
/* Adds a temporary buffer of `count` elements (at the net's precision)
 * that lives for this node only; returns its index for LK_BIND_SCRATCH. */
int lk_kernels_scratch(lk_kernels *k, size_t count);
/* Same with 32-bit elements at every precision (counters, bitmasks). */
int lk_kernels_scratch_wide(lk_kernels *k, size_t count);
/* Appends a dispatch; dispatches of one node run in order, with barriers
 * inserted by the backend where one reads what another wrote. */
lk_status lk_kernels_dispatch(lk_kernels *k, const lk_dispatch *d, lk_msg *msg);

/* Helpers for building dispatch descriptions. */
void lk_dispatch_init(lk_dispatch *d, lk_shader_id shader);
void lk_dispatch_spec(lk_dispatch *d, uint32_t v);      /* next constant_id */
void lk_dispatch_specf(lk_dispatch *d, float v);
void lk_dispatch_push(lk_dispatch *d, uint32_t v);      /* next push word */
void lk_dispatch_pushf(lk_dispatch *d, float v);
void lk_dispatch_bind(lk_dispatch *d, int ref);         /* next binding */
/* Vulkan's guaranteed maxComputeWorkGroupCount per dimension. */
#define LK_MAX_GROUPS 65535u
/* Sets a 1-D grid of `groups` workgroups capped at LK_MAX_GROUPS, for
 * shaders that loop with a grid stride over whatever the cap leaves. */
void lk_dispatch_grid(lk_dispatch *d, uint64_t groups);
static inline uint32_t lk_div_up(uint64_t a, uint64_t b) { return (uint32_t)((a + b - 1) / b); }

/* 1 when the node's optional input i is present. */
static inline int lk_node_has_input(const lk_node *n, int i)
{
    return n->n_in > i && n->in[i] >= 0;
}

/* Shared by ops that run on one kernel (defined in the op named). */

/* matmul.c: records matmul.comp for Y[z] = act(alpha·A[z]·B[z] + beta·C),
 * Y [batch, M, N] contiguous (y_t: stored transposed, [batch, N, M]), A node
 * input 0, B input 1. dims = {M, N, K}; st = {a_sm, a_sk, b_sk, b_sn, c_sm,
 * c_sn}, element strides (C's 0 on broadcast axes); off holds the (A, B)
 * element offsets of each of the `batch` matrices; c_input is the node
 * input holding C, or -1. */
lk_status lk_matmul_record(lk_kernels *k, const int64_t dims[3], const int64_t st[6],
                           const int32_t *off, int64_t batch, int c_input, float alpha,
                           float beta, const lk_activation *act, int y_t, lk_msg *msg);

/* softmax.c: invocations per row (a power of two <= 256) for row-reduction
 * kernels (softmax, layernorm). */
uint32_t lk_row_threads(lk_kernels *k, int64_t rows, int64_t len);

typedef struct lk_op_class {
    const char *name;
    int min_inputs, max_inputs;        /* optional inputs may be -1 */
    int view;                          /* output 0 aliases input 0: no kernel */
    /* Bitmasks of inputs read / outputs written as 32-bit words at every
     * precision (float or uint, never SFLOAT): raw bytes, counts, boxes. */
    unsigned wide_in, wide_out;
    lk_status (*infer)(const lk_node *n, const lk_shape *in, lk_shape *out, lk_msg *msg);
    void (*reference)(const lk_node *n, const lk_shape *in, const float *const *x,
                      const lk_shape *out, float *const *y);
    lk_status (*gpu)(const lk_node *n, const lk_shape *in, const lk_shape *out,
                     lk_kernels *k, lk_msg *msg);
    double (*flops)(const lk_node *n, const lk_shape *in, const lk_shape *out);
} lk_op_class;

const lk_op_class *lk_op_class_get(lk_op op);

/* Activation shared by every op that fuses one (C reference side). The
 * GLSL side is shaders/activation.glsl with the same numbering. */
float lk_activation_apply(const lk_activation *a, float x);

/* The class of each op; defined in engine/ops/<stem>.c. */
extern const lk_op_class lk_op_conv2d;
extern const lk_op_class lk_op_conv_transpose2d;
extern const lk_op_class lk_op_pool2d;
extern const lk_op_class lk_op_global_pool;
extern const lk_op_class lk_op_unary;
extern const lk_op_class lk_op_binary;
extern const lk_op_class lk_op_concat;
extern const lk_op_class lk_op_split;
extern const lk_op_class lk_op_slice;
extern const lk_op_class lk_op_gather;
extern const lk_op_class lk_op_transpose;
extern const lk_op_class lk_op_reshape;
extern const lk_op_class lk_op_resize;
extern const lk_op_class lk_op_matmul;
extern const lk_op_class lk_op_gemm;
extern const lk_op_class lk_op_softmax;
extern const lk_op_class lk_op_layernorm;
extern const lk_op_class lk_op_batchnorm;
extern const lk_op_class lk_op_pad;
extern const lk_op_class lk_op_yolo_decode;
extern const lk_op_class lk_op_nms;
extern const lk_op_class lk_op_area_attention;
extern const lk_op_class lk_op_preprocess;

#endif
