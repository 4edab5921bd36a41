/* Loading ONNX models into an lk_graph.
 *
 * The file is parsed with protobuf-c (onnx.proto from Debian's libonnx-dev,
 * compiled by protoc-c at build time). Shapes are fixed at load time (batch
 * and spatial sizes; optionally overridden), exporter shape arithmetic is
 * constant-folded, and the graph is rewritten (Conv+BatchNorm folding,
 * Conv+activation fusion including SiLU exported as Sigmoid+Mul, Pad merged
 * into Conv/Pool, cancelling transposes removed). A model the engine cannot
 * run exactly as defined is refused with a message naming the op, the node
 * and the opset. Model files are untrusted input: every length, shape, index
 * and size is checked and allocations are capped. */
#ifndef LOOKOUT_ONNX_H
#define LOOKOUT_ONNX_H

#include "lookout/lookout.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lk_onnx_opts {
    /* Override of the first graph input's spatial size (H, W); 0 keeps the
     * model's. Dynamic (symbolic) dims without an override are refused. */
    int input_hw[2];
    int batch;               /* override of the batch dim; 0 keeps (or 1 if symbolic) */
    int optimize;            /* apply rewrites (default 1 via lk_onnx_opts_init) */
    uint64_t max_bytes;      /* refuse files/tensors larger than this (default 1 GiB) */
    /* 1: keep YOLOv12 area attention as the exported MatMul/Softmax chain
     * instead of one fused area_attention node (for checking the fusion). */
    int no_fuse_attention;
} lk_onnx_opts;

typedef struct lk_onnx_info {
    int64_t ir_version;
    int64_t opset;           /* default-domain opset */
    char producer[64];
    int nodes_before;        /* ONNX nodes in the file */
    int nodes_after;         /* lk nodes after folding and rewrites */
    int64_t parameters;      /* initializer values actually used */
    /* Op histograms: ONNX op types in the file, lk ops after rewriting. */
    int n_onnx_ops;
    struct { char op[32]; int count; } onnx_ops[64];
    int lk_op_count[LK_OP_COUNT];
} lk_onnx_info;

void lk_onnx_opts_init(lk_onnx_opts *o);
/* Loads path into a new graph whose inputs and outputs are the model's
 * (in model order, names kept). info may be NULL. */
lk_status lk_onnx_load(const char *path, const lk_onnx_opts *opts, lk_graph **out,
                       lk_onnx_info *info, lk_msg *msg);
/* The same from bytes in memory (used by the fuzzer and tests). */
lk_status lk_onnx_load_buffer(const void *data, size_t size, const lk_onnx_opts *opts,
                              lk_graph **out, lk_onnx_info *info, lk_msg *msg);

/* The model's metadata_props (string key/value pairs, in file order).
 * *props is one malloc'd block holding the *n entries and their strings:
 * free() it. A model without metadata gives *n = 0 (and *props NULL). */
typedef struct lk_onnx_prop {
    const char *key, *value;
} lk_onnx_prop;
lk_status lk_onnx_metadata(const char *path, lk_onnx_prop **props, int *n, lk_msg *msg);

/* Reads a serialized TensorProto (the backend tests' input_N.pb and
 * output_N.pb) as fp32 (float, double, int32/64, uint8, bool converted);
 * *data is malloc'd. name (may be NULL) receives the tensor's name. */
lk_status lk_onnx_read_tensor(const char *path, float **data, lk_shape *shape,
                              char *name, size_t name_cap, lk_msg *msg);

#ifdef __cplusplus
}
#endif
#endif
