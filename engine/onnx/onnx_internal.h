/* Internals of the ONNX loader, shared by its files:
 *   onnx_model.c    — protobuf parsing under a memory cap, tensors, attributes;
 *   onnx_load.c     — the value table, topological order, the node loop, graph
 *                     inputs and outputs, the public entry points;
 *   onnx_fold.c     — host evaluation of constant (shape arithmetic) nodes;
 *   onnx_ops.c      — ONNX ops mapped onto lk ops;
 *   onnx_patterns.c — multi-node activations (GELU, Mish) found before mapping.
 *
 * Every ONNX value is either a constant held on the host (int64 for shape
 * arithmetic, fp32 for everything else; dims may be 0) or a tensor of the
 * lk graph being built (always fp32). */
#ifndef LK_ONNX_INTERNAL_H
#define LK_ONNX_INTERNAL_H

#include "graph.h"
#include "lookout/onnx.h"
#include "onnx.pb-c.h"

/* Model opsets accepted; each op also has the oldest it follows (onnx_ops.c). */
#define OX_OPSET_MIN 1
#define OX_OPSET_MAX 17

typedef enum ox_dtype { OX_F32 = 0, OX_I64 } ox_dtype;

/* A host tensor. Data is owned only when `owned` (else it borrows from the
 * parsed model or another value, both alive until the load ends). */
typedef struct ox_tensor {
    ox_dtype dtype;
    int rank;
    int64_t d[LK_MAX_DIMS];
    int64_t n;                 /* element count */
    union {
        float *f;
        int64_t *i;
        void *p;
    } v;
    int owned;
} ox_tensor;

typedef enum ox_kind { OX_UNDEFINED = 0, OX_CONST, OX_RUNTIME } ox_kind;

typedef struct ox_value {
    const char *name;          /* never owned: points into the model */
    ox_kind kind;
    ox_tensor c;               /* OX_CONST */
    lk_tensor t;               /* OX_RUNTIME, or the constant's copy in the graph (-1) */
    int producer;              /* ONNX node index, -1 for graph inputs and initializers */
    int uses;                  /* consuming node inputs plus graph outputs */
} ox_value;

/* Memory accounting of one parse: protobuf-c allocations are capped. */
typedef struct ox_pbmem {
    ProtobufCAllocator a;
    uint64_t used, cap;
    int exceeded;
} ox_pbmem;

typedef struct ox_ctx {
    const lk_onnx_opts *opts;
    lk_msg *msg;               /* never NULL: the caller's or `local` */
    lk_msg local;
    Onnx__GraphProto *graph;   /* never owned */
    int opset;                 /* of the default domain */
    lk_graph *g;               /* the graph being built, or a folding scratch graph */
    ox_value *vals;            /* every value, created before the node loop */
    int n_vals;
    int *slots, n_slots;       /* name hash: value index + 1, 0 empty */
    uint64_t host_bytes;       /* host tensor allocations, capped by host_cap */
    uint64_t host_cap;         /* min(opts->max_bytes, 8 × file size + 64 MiB) */
    /* The node being mapped. */
    const Onnx__NodeProto *node;
    int node_index;
    char node_name[160];
    int *args;                 /* value index per input, -1 when absent */
    int cap_args;
    int first_tensor;          /* graph tensors from here on were made by this node */
    /* Folding: the node is mapped into a scratch graph and run there. */
    int folding;
    lk_tensor fold_out[LK_MAX_NODE_OUTPUTS];
    /* Pattern fusion (onnx_patterns.c), per ONNX node. */
    unsigned char *skip;       /* interior of a fused pattern: not mapped */
    lk_act *fuse_act;          /* tail of a pattern: an activation of fuse_x */
    int *fuse_x;               /* value index */
    lk_area_attention_params *fuse_attn; /* heads > 0: tail of an attention chain,
                                            an area_attention of fuse_x */
} ox_ctx;

/* ---- onnx_model.c */
lk_status ox_read_file(const char *path, uint64_t max, void **data, size_t *size, lk_msg *msg);
void ox_pbmem_init(ox_pbmem *m, uint64_t cap);
/* Unpacks a message of descriptor d, rejecting nesting deeper than the
 * schema needs (protobuf-c recurses without a limit). */
lk_status ox_unpack(const ProtobufCMessageDescriptor *d, const void *data, size_t size,
                    ox_pbmem *mem, ProtobufCMessage **out, const char *what, lk_msg *msg);
/* Decodes a TensorProto (raw or typed fields) into a host tensor: float
 * types become OX_F32, integer and bool types OX_I64. */
lk_status ox_tensor_decode(ox_ctx *c, const Onnx__TensorProto *tp, ox_tensor *out,
                           const char *what);
lk_status ox_tensor_alloc(ox_ctx *c, ox_tensor *t, ox_dtype dtype, int rank, const int64_t *d);
void ox_tensor_free(ox_tensor *t);
double ox_tensor_get(const ox_tensor *t, int64_t i);
const char *ox_dims_str(int rank, const int64_t *d, char *buf, size_t n);
const Onnx__AttributeProto *ox_attr(const Onnx__NodeProto *n, const char *name);
int64_t ox_attr_int(const Onnx__NodeProto *n, const char *name, int64_t def);
float ox_attr_float(const Onnx__NodeProto *n, const char *name, float def);
/* Copies a string attribute (or def) into buf, truncated. */
const char *ox_attr_str(const Onnx__NodeProto *n, const char *name, const char *def, char *buf,
                        size_t cap);
/* Number of values of an ints / floats attribute (*v into the model), -1 when absent. */
int ox_attr_ints(const Onnx__NodeProto *n, const char *name, const int64_t **v);
int ox_attr_floats(const Onnx__NodeProto *n, const char *name, const float **v);

/* ---- onnx_load.c */
/* Sets msg, prefixed with the current node ("node 'x' (Op, opset N): "). */
lk_status ox_fail(ox_ctx *c, lk_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
int ox_find(const ox_ctx *c, const char *name);
/* Input i of the current node, NULL when absent. */
ox_value *ox_arg(ox_ctx *c, int i);
int ox_n_args(const ox_ctx *c);
/* Shape of a value (a constant's dims as an lk shape). */
lk_shape ox_shape(ox_ctx *c, const ox_value *v);
/* The value as a graph tensor, a constant being copied into the graph. */
lk_status ox_lk(ox_ctx *c, ox_value *v, lk_tensor *t);
/* lk_graph_add for the current node; suffix names extra nodes. */
lk_status ox_add(ox_ctx *c, lk_op op, const lk_params *p, const char *suffix,
                 const lk_tensor *in, int n_in, lk_tensor *out, int n_out);
/* Binds output i of the current node. */
lk_status ox_out(ox_ctx *c, int i, lk_tensor t);
/* Binds output i to a host constant (ownership of t's data moves). */
lk_status ox_out_const(ox_ctx *c, int i, ox_tensor *t);
/* A constant input that parameterises the op (shape, axes, pads...);
 * refused when computed at run time, NULL when absent. */
lk_status ox_param(ox_ctx *c, int i, const char *what, const ox_tensor **t);
/* The same read as integers (at most cap of them) into v; *n gets the count. */
lk_status ox_param_ints(ox_ctx *c, int i, const char *what, int64_t *v, int cap, int *n);
int ox_all_const(ox_ctx *c);

/* ---- onnx_fold.c: handlers for ops that compute on host constants. */
lk_status ox_fold_constant(ox_ctx *c);
lk_status ox_fold_shape(ox_ctx *c);
lk_status ox_fold_size(ox_ctx *c);
lk_status ox_fold_constant_of_shape(ox_ctx *c);
lk_status ox_fold_range(ox_ctx *c);
lk_status ox_fold_cast(ox_ctx *c, int to);
lk_status ox_fold_binary(ox_ctx *c, const char *op);
lk_status ox_fold_where(ox_ctx *c);
lk_status ox_fold_unary(ox_ctx *c, const char *op);
lk_status ox_fold_concat(ox_ctx *c, int axis);
lk_status ox_fold_gather(ox_ctx *c, int axis);
/* Strided views: out[i] = in[base + Σ coord_k · stride_k] (slice, transpose, expand). */
lk_status ox_fold_strided(ox_ctx *c, const ox_tensor *in, int rank, const int64_t *d,
                          const int64_t *stride, int64_t base);
lk_status ox_fold_expand(ox_ctx *c);

/* ---- onnx_ops.c */
typedef lk_status (*ox_mapper)(ox_ctx *c);
/* The mapper of an ONNX op type (default domain), NULL when unknown.
 * *host: the mapper evaluates constant inputs itself; otherwise a node
 * whose inputs are all constants is run by the reference in a scratch
 * graph. *since: the oldest opset the mapper understands. */
ox_mapper ox_find_mapper(const char *op_type, int *host, int *since);
/* The fused activation of a pattern tail (onnx_patterns.c). */
lk_status ox_map_activation(ox_ctx *c, ox_value *x, lk_act act);

/* ---- onnx_patterns.c */
void ox_find_patterns(ox_ctx *c, const int *order, int n);
/* Maps the tail of an area-attention chain (the current node). */
lk_status ox_map_area_attention(ox_ctx *c);

#endif
