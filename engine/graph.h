/* Backend-neutral network description: tensors and nodes in topological
 * order. Shapes are inferred as nodes are added. */
#ifndef LK_GRAPH_H
#define LK_GRAPH_H

#include "lookout/lookout.h"

#define LK_MAX_NODE_INPUTS 8
#define LK_MAX_NODE_OUTPUTS 16

typedef enum lk_tensor_kind {
    LK_TENSOR_INPUT = 0,     /* written by the caller before each run */
    LK_TENSOR_CONST,         /* weights, uploaded once */
    LK_TENSOR_ACT,           /* produced by a node */
} lk_tensor_kind;

typedef struct lk_tensor_info {
    char *name;              /* owned */
    lk_shape shape;
    lk_tensor_kind kind;
    float *data;             /* owned; LK_TENSOR_CONST only */
    int producer;            /* node index, -1 for inputs and constants */
    int view_of;             /* tensor whose memory this one aliases, or -1 */
    int is_output;
    int dead;                /* removed by a rewrite: no producer, no consumer */
    int wide;                /* 32-bit storage at any net precision, never cast
                                (raw input bytes, outputs in an op's wide_out) */
} lk_tensor_info;

typedef struct lk_node {
    lk_op op;
    char *name;              /* owned */
    lk_params p;             /* p.gather.indices points at `indices` */
    int64_t *indices;        /* owned copy of gather indices */
    int in[LK_MAX_NODE_INPUTS];
    int n_in;                /* -1 entries mark absent optional inputs */
    int out[LK_MAX_NODE_OUTPUTS];
    int n_out;
    int wide;                /* a data-movement op on wide tensors: its kernels
                                run on 32-bit storage at every precision */
} lk_node;

struct lk_graph {
    lk_tensor_info *tensors;
    int n_tensors, cap_tensors;
    lk_node *nodes;
    int n_nodes, cap_nodes;
    int *inputs, n_inputs;   /* tensor ids of runtime inputs, in order */
    int *outputs, n_outputs; /* tensor ids of outputs, in order */
};

/* Appends src's nodes, and the constants they read, to dst with src's
 * runtime inputs bound to dst's tensors `inputs` (same shapes, same
 * storage); outputs[i] gets the dst tensor of src's output i. Names are
 * kept. Used to put a model between pre- and post-processing nodes. */
lk_status lk_graph_splice(lk_graph *dst, const lk_graph *src, const lk_tensor *inputs,
                          lk_tensor *outputs, lk_msg *msg);

/* Resolves a (possibly negative) axis against rank; -1 when out of range. */
int lk_axis_norm(int axis, int rank);

/* Sets msg (may be NULL) printf-style and returns status. */
lk_status lk_fail(lk_msg *msg, lk_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif
