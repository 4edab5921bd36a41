/* liblookout — CNN inference on Vulkan compute, in plain C11.
 *
 * Layering (Kompute style): an lk_context owns the backend device; an
 * lk_graph is a backend-neutral description of a network (tensors + nodes);
 * lk_net_new() compiles a graph for a context: plans activation memory,
 * uploads weights once and records every dispatch into one command buffer;
 * lk_net_run() then only writes inputs, submits and waits.
 *
 * Every fallible function returns an lk_status and, when msg is not NULL,
 * fills it with a one-line explanation naming the op or object at fault.
 * The library never exits or aborts the process.
 */
#ifndef LOOKOUT_H
#define LOOKOUT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lk_status {
    LK_OK = 0,
    LK_ERR_INVALID_ARG,  /* a parameter is out of range or NULL */
    LK_ERR_SHAPE,        /* tensor shapes are inconsistent */
    LK_ERR_UNSUPPORTED,  /* valid request this build/device cannot do */
    LK_ERR_NO_DEVICE,    /* no Vulkan loader, driver or matching device */
    LK_ERR_BACKEND,      /* the backend (Vulkan) reported a failure */
    LK_ERR_NO_MEMORY,    /* host or device allocation failed */
    LK_ERR_IO,           /* a file could not be read or written */
    LK_ERR_FORMAT,       /* a file's contents are malformed */
    LK_ERR_NOT_READY,    /* asynchronous work has not finished yet */
} lk_status;

/* A status explanation, filled by any function given a non-NULL pointer. */
typedef struct lk_msg {
    char text[512];
} lk_msg;

const char *lk_status_str(lk_status s);

/* ---------------------------------------------------------------- devices */

typedef enum lk_device_type {
    LK_DEVICE_DISCRETE = 0,
    LK_DEVICE_INTEGRATED,
    LK_DEVICE_VIRTUAL,
    LK_DEVICE_CPU,
    LK_DEVICE_OTHER,
} lk_device_type;

typedef struct lk_device_info {
    int index;                 /* position in the enumeration */
    char name[256];
    lk_device_type type;
    char driver[128];          /* driver name and version */
    uint32_t api_version;      /* packed Vulkan version */
    uint32_t subgroup_size;
    int subgroup_shuffle;      /* compute shaders may use subgroupShuffle */
    int subgroup_control;      /* a compute workgroup can be made whole subgroups
                                  of subgroup_size (VK_EXT_subgroup_size_control) */
    int fp16_storage;          /* 16-bit storage buffers supported */
    int timestamps;            /* compute queue supports timestamp queries */
    uint64_t device_memory;    /* largest device-local heap, bytes */
} lk_device_info;

const char *lk_device_type_str(lk_device_type t);

/* Lists devices into infos (up to cap); *count gets the number found.
 * *chosen gets the index lk_context_new would pick for `select`
 * (NULL or "" means the LOOKOUT_DEVICE environment variable, then the
 * preference discrete > integrated > virtual > CPU). */
lk_status lk_device_list(lk_device_info *infos, int cap, int *count,
                         const char *select, int *chosen, lk_msg *msg);

/* ---------------------------------------------------------------- context */

typedef struct lk_context lk_context;

typedef struct lk_context_opts {
    /* Device index ("1") or case-insensitive name substring ("llvmpipe");
     * NULL or "" → $LOOKOUT_DEVICE, then the type preference. */
    const char *device;
    /* 1: enable VK_LAYER_KHRONOS_validation; 0: off; -1: from the
     * LOOKOUT_VALIDATION environment variable (the default). */
    int validation;
    /* Pipeline-cache file; NULL → $LOOKOUT_CACHE_DIR or
     * $XDG_CACHE_HOME/lookout or ~/.cache/lookout; "" disables it. */
    const char *pipeline_cache;
} lk_context_opts;

void lk_context_opts_init(lk_context_opts *o);
lk_status lk_context_new(const lk_context_opts *opts, lk_context **out, lk_msg *msg);
void lk_context_free(lk_context *ctx);
const lk_device_info *lk_context_device(const lk_context *ctx);
/* Validation messages (warnings and errors) seen since creation. */
uint64_t lk_context_validation_errors(const lk_context *ctx);

/* ---------------------------------------------------------------- graph */

#define LK_MAX_DIMS 8

typedef struct lk_shape {
    int rank;
    int64_t d[LK_MAX_DIMS];
} lk_shape;

typedef enum lk_op {
    LK_OP_CONV2D = 0,
    LK_OP_CONV_TRANSPOSE2D,
    LK_OP_POOL2D,
    LK_OP_GLOBAL_POOL,
    LK_OP_UNARY,
    LK_OP_BINARY,
    LK_OP_CONCAT,
    LK_OP_SPLIT,
    LK_OP_SLICE,
    LK_OP_GATHER,
    LK_OP_TRANSPOSE,
    LK_OP_RESHAPE,
    LK_OP_RESIZE,
    LK_OP_MATMUL,
    LK_OP_GEMM,
    LK_OP_SOFTMAX,
    LK_OP_LAYERNORM,
    LK_OP_BATCHNORM,
    LK_OP_PAD,
    LK_OP_YOLO_DECODE,
    LK_OP_NMS,
    LK_OP_AREA_ATTENTION,
    LK_OP_PREPROCESS,
    LK_OP_COUNT
} lk_op;

typedef enum lk_act {
    LK_ACT_NONE = 0,
    LK_ACT_RELU,
    LK_ACT_LEAKY_RELU,   /* alpha */
    LK_ACT_SILU,
    LK_ACT_SIGMOID,
    LK_ACT_TANH,
    LK_ACT_HARDSWISH,
    LK_ACT_HARDSIGMOID,  /* alpha, beta */
    LK_ACT_GELU,
    LK_ACT_MISH,
    LK_ACT_CLIP,         /* min = alpha, max = beta (ReLU6: 0, 6) */
    LK_ACT_COUNT
} lk_act;

/* An activation with its parameters, fusable into conv / gemm. */
typedef struct lk_activation {
    lk_act kind;
    float alpha, beta;
} lk_activation;

typedef enum lk_pad_mode {
    LK_PAD_ZERO = 0,     /* constant (value) */
    LK_PAD_REFLECT,      /* mirror without repeating the edge */
    LK_PAD_REPLICATE,    /* edge */
    LK_PAD_CIRCULAR,     /* wrap */
} lk_pad_mode;

/* conv2d: inputs X [N,C,H,W], W [M, C/groups, kh, kw], optional B [M]. */
typedef struct lk_conv2d_params {
    int kernel[2];           /* kh, kw */
    int stride[2];
    int dilation[2];
    int pads[4];             /* top, left, bottom, right */
    int groups;
    lk_pad_mode pad_mode;
    float pad_value;         /* for LK_PAD_ZERO */
    lk_activation act;       /* fused after bias */
} lk_conv2d_params;

/* conv_transpose2d: X [N,C,H,W], W [C, M/groups, kh, kw], optional B [M]. */
typedef struct lk_conv_transpose2d_params {
    int kernel[2];
    int stride[2];
    int dilation[2];
    int pads[4];             /* top, left, bottom, right */
    int output_padding[2];
    int groups;
    lk_activation act;
} lk_conv_transpose2d_params;

typedef enum lk_pool_kind { LK_POOL_MAX = 0, LK_POOL_AVG } lk_pool_kind;

typedef struct lk_pool2d_params {
    lk_pool_kind kind;
    int kernel[2];
    int stride[2];
    int dilation[2];
    int pads[4];             /* top, left, bottom, right */
    int ceil_mode;
    int count_include_pad;   /* average only */
} lk_pool2d_params;

typedef struct lk_global_pool_params {
    lk_pool_kind kind;       /* over H and W of [N,C,H,W], keeps dims */
} lk_global_pool_params;

typedef struct lk_unary_params {
    lk_activation act;
} lk_unary_params;

typedef enum lk_binary_kind {
    LK_BIN_ADD = 0, LK_BIN_SUB, LK_BIN_MUL, LK_BIN_DIV, LK_BIN_POW, LK_BIN_COUNT
} lk_binary_kind;

typedef struct lk_binary_params {
    lk_binary_kind kind;     /* numpy broadcasting of the two inputs */
} lk_binary_params;

typedef struct lk_axis_params {
    int axis;                /* concat, softmax; negative counts from the end */
} lk_axis_params;

typedef struct lk_split_params {
    int axis;
    int n;                   /* number of outputs */
    int64_t sizes[16];       /* size of each output along axis */
} lk_split_params;

typedef struct lk_slice_params {
    int n;                   /* number of sliced axes */
    int axes[LK_MAX_DIMS];
    int64_t starts[LK_MAX_DIMS];
    int64_t ends[LK_MAX_DIMS];   /* ONNX clamping semantics */
    int64_t steps[LK_MAX_DIMS];
} lk_slice_params;

/* gather: X and a constant index tensor (int64 values stored as float-free
 * host data in the params, so no device index buffer is needed). */
typedef struct lk_gather_params {
    int axis;
    int n_indices;
    const int64_t *indices;  /* copied by lk_graph_add */
    lk_shape indices_shape;  /* rank 0 for a scalar index */
} lk_gather_params;

typedef struct lk_transpose_params {
    int perm[LK_MAX_DIMS];   /* rank entries */
} lk_transpose_params;

typedef struct lk_reshape_params {
    lk_shape shape;          /* 0 copies the input dim, -1 is inferred */
} lk_reshape_params;

typedef enum lk_resize_mode { LK_RESIZE_NEAREST = 0, LK_RESIZE_LINEAR } lk_resize_mode;

typedef enum lk_coord_mode {
    LK_COORD_HALF_PIXEL = 0,
    LK_COORD_ASYMMETRIC,
    LK_COORD_ALIGN_CORNERS,
    LK_COORD_PYTORCH_HALF_PIXEL,
    LK_COORD_TF_HALF_PIXEL_FOR_NN,
} lk_coord_mode;

typedef enum lk_nearest_mode {
    LK_NEAREST_ROUND_PREFER_FLOOR = 0,
    LK_NEAREST_ROUND_PREFER_CEIL,
    LK_NEAREST_FLOOR,
    LK_NEAREST_CEIL,
} lk_nearest_mode;

/* resize: scales the last two axes of [N,C,H,W] (ONNX Resize). */
typedef struct lk_resize_params {
    lk_resize_mode mode;
    lk_coord_mode coord;
    lk_nearest_mode nearest;
    int out_size[2];         /* H, W; 0 → computed from scale */
    float scale[2];          /* H, W scale factors, used in coordinates */
} lk_resize_params;

/* matmul: numpy matmul with batch broadcasting, A [...,M,K] B [...,K,N]. */
typedef struct lk_matmul_params {
    lk_activation act;
} lk_matmul_params;

/* gemm: Y = alpha·op(A)·op(B) + beta·C, A and B 2-D, C broadcast to [M,N]. */
typedef struct lk_gemm_params {
    int trans_a, trans_b;
    float alpha, beta;
    lk_activation act;
} lk_gemm_params;

typedef struct lk_norm_params {
    int axis;                /* layernorm: first normalised axis */
    float epsilon;
} lk_norm_params;

typedef struct lk_pad_params {
    lk_pad_mode mode;
    float value;
    int64_t pads[2 * LK_MAX_DIMS];  /* ONNX order: begins then ends */
} lk_pad_params;

/* Detector post-processing. yolo_decode and nms read and write 32-bit
 * tensors at every net precision ("wide": lk_graph_input_raw inputs or
 * these ops' outputs). Input 1 of both is the per-frame parameter tensor,
 * four floats {score_threshold, iou_threshold, max_detections, unused}
 * (lk_graph_input_raw with 16 bytes), so thresholds change without a
 * rebuild. Boxes are rows {x1, y1, x2, y2, score, class id}. */

/* Output families of yolo_decode, numbered as detector.h's lk_family.
 * Input 0 is one raw network output (C classes, input H×W pixels):
 *  YOLOX        [1, N, 5+C]: x, y, w, h, obj, C classes (obj and classes
 *               already sigmoided). Rows are the cells of the stride 8, 16
 *               and 32 grids (ceil(H/s) × ceil(W/s), row-major) in that
 *               order; centre = (v + cell) · s, size = exp(v) · s,
 *               score = obj · max class.
 *  ULTRALYTICS  [1, 4+C, N]: cx, cy, w, h in input pixels, then C class
 *               scores; score = max class.
 *  FASTESTDET   [1, 5+C, Gh, Gw]: obj (sigmoided), x, y, w, h, C classes
 *               (softmaxed); centre = (cell + tanh(v)) / G · input size,
 *               size = sigmoid(v) · input size, score = obj^0.6 · max^0.4.
 *               Rows are the cells, row-major.
 *  DARKNET      [1, A·(5+C), Gh, Gw], the input of a [yolo] layer: per
 *               anchor tx, ty, tw, th, obj, C classes, all raw;
 *               centre = (sigmoid(t) · sxy − (sxy − 1)/2 + cell) / G ·
 *               input size, size = exp(t) · anchor, score = sigmoid(obj) ·
 *               sigmoid(max class). Row (a · Gh + y) · Gw + x.
 *  YOLOV1       [1, S, S, B·5+C], or the same bytes as [1, S·S·(B·5+C)]:
 *               per cell B boxes of x, y (offsets in the cell, 0..1), w, h
 *               (fractions of the image, no square root), conf, then C
 *               class probabilities; nothing is activated here.
 *               centre = (cell + v) / S · input size, size = v · input
 *               size, score = conf · max class. Row (y · S + x) · B + b.
 *               (Darknet's [detection] layer orders the same values
 *               differently — all classes, then all confs, then boxes — and
 *               is not this layout.) */
typedef enum lk_yolo_family {
    LK_YOLO_YOLOX = 1,
    LK_YOLO_ULTRALYTICS,
    LK_YOLO_FASTESTDET,
    LK_YOLO_DARKNET,
    LK_YOLO_YOLOV1,
} lk_yolo_family;

#define LK_YOLO_MAX_ANCHORS 16
#define LK_YOLO_FILTER_WORDS 64  /* the class filter covers ids < 2048 */

/* yolo_decode: output [N, 6] (wide), x1, y1, x2, y2 in network-input
 * pixels, score, class id; every row is written. The class is the best of
 * all classes (first on ties); a row whose score is not above the score
 * threshold, or whose class is filtered out, gets score -1 (so score
 * thresholds below -1 keep them: use thresholds >= 0). */
typedef struct lk_yolo_decode_params {
    int family;              /* lk_yolo_family */
    int n_classes;           /* C; 0: from the input shape */
    int input_h, input_w;    /* network input size, pixels */
    int n_anchors;           /* darknet: anchors of this head (A) */
    float anchors[2 * LK_YOLO_MAX_ANCHORS]; /* darknet: w, h pairs, input pixels */
    float scale_x_y;         /* darknet: sxy; 0 means 1 (plain YOLOv3) */
    int grid_s, boxes_b;     /* yolov1: S (0: from a [1,S,S,X] shape) and B */
    int filter;              /* 1: keep only the classes set in keep */
    uint32_t keep[LK_YOLO_FILTER_WORDS]; /* class c: bit c % 32 of word c / 32 */
} lk_yolo_decode_params;

/* nms: input 0 candidates [N, 6] (wide), output [1 + max_det, 6] (wide):
 * row 0 = {count, candidates above the score threshold, 0, 0, 0, 0}, rows
 * 1..count the kept boxes by score descending (ties: lower candidate row
 * first), the rest zero. Greedy NMS over the pre_nms_topk best candidates
 * with score > score_threshold: a kept box removes every later one of the
 * same class (any class when class_agnostic) whose IoU with it is above
 * iou_threshold, computed as intersection > iou_threshold · union. Corners
 * may come in either order; a box of zero area never suppresses nor is
 * suppressed. At most min(max_det, max_detections of the frame) are kept. */
#define LK_NMS_MAX_TOPK 16384
typedef struct lk_nms_params {
    int max_det;             /* output capacity, >= 1 */
    int pre_nms_topk;        /* 1..LK_NMS_MAX_TOPK; 0: min(N, LK_NMS_MAX_TOPK) */
    int class_agnostic;
} lk_nms_params;

/* preprocess: input 0 a raw frame (lk_graph_input_raw) holding every plane
 * at its byte offset; output [1, 3, dst_h, dst_w], in one dispatch: colour
 * conversion, resize into the placement box (letterbox or stretch) with
 * OpenCV's geometry, pad outside it, channel order, then per output channel
 * c: (v · scale − mean[c]) / std[c], v being 0..255. Chroma of 4:2:0
 * formats is taken from the 2×2 block's sample (as cv2.cvtColor does). */
typedef enum lk_fit {
    LK_FIT_LETTERBOX = 0,    /* keep aspect, image at the top-left (YOLOX):
                                size floor(src · r) */
    LK_FIT_LETTERBOX_CENTER, /* keep aspect, centred (Ultralytics):
                                size round(src · r), offset (dst − size) / 2 */
    LK_FIT_STRETCH,          /* fill dst, aspect not kept */
} lk_fit;

typedef enum lk_interp {
    LK_INTERP_BILINEAR = 0,  /* cv2.INTER_LINEAR: half-pixel centres, edges clamped */
    LK_INTERP_AREA,          /* cv2.INTER_AREA: pixel-area average when shrinking */
} lk_interp;

typedef struct lk_preprocess_params {
    int format;              /* lk_pixel_format of detector.h */
    int src_w, src_h;
    int64_t offset[3];       /* byte offset of each plane in the raw input */
    int64_t stride[3];       /* bytes per row of each plane */
    int dst_w, dst_h;
    lk_fit fit;
    lk_interp interp;
    int bgr;                 /* 1: output channels B, G, R; 0: R, G, B */
    float scale;             /* default 1 */
    float mean[3], std[3];   /* per output channel; default 0 and 1 */
    float pad;               /* letterbox fill, 0..255 scale (default 114) */
    int bt709, full_range;   /* YUV matrix and range */
    int u8;                  /* 1: resize as cv2.resize does on uint8 images,
                                bit for bit (fixed-point bilinear, area
                                weights, results rounded to 0..255), YUV first
                                converted to 8-bit RGB per pixel as
                                cv2.cvtColor does; 0: float resize */
} lk_preprocess_params;

/* The box {x, y, w, h} of the network input that the frame is resized
 * into, for the params' fit; detections map back through it. */
void lk_preprocess_box(const lk_preprocess_params *p, int box[4]);
/* Rows and bytes per row of plane i (0..2) of a w×h frame in `format`
 * without row padding; 0 rows: the format has no such plane. */
void lk_preprocess_plane(int format, int w, int h, int i, int64_t *rows, int64_t *row_bytes);

/* area_attention (YOLOv12's area attention, fused): X [B, 3·heads·head_dim,
 * H, W] is the qkv projection. The H·W tokens (row-major) split into
 * `areas` equal runs of consecutive tokens (horizontal strips when H
 * divides); within each run and per head, out = softmax(scale · qᵀk) v.
 * Channel h·3·head_dim + j of X is q[j] of head h, then k, then v; output
 * [B, heads·head_dim, H, W], channel h·head_dim + j. */
typedef struct lk_area_attention_params {
    int heads, head_dim, areas;
    float scale;             /* usually 1/√head_dim */
} lk_area_attention_params;

/* Parameters of any op; use the member named after the op. */
typedef union lk_params {
    lk_conv2d_params conv2d;
    lk_conv_transpose2d_params conv_transpose2d;
    lk_pool2d_params pool2d;
    lk_global_pool_params global_pool;
    lk_unary_params unary;
    lk_binary_params binary;
    lk_axis_params axis;         /* concat, softmax */
    lk_split_params split;
    lk_slice_params slice;
    lk_gather_params gather;
    lk_transpose_params transpose;
    lk_reshape_params reshape;
    lk_resize_params resize;
    lk_matmul_params matmul;
    lk_gemm_params gemm;
    lk_norm_params norm;         /* layernorm, batchnorm */
    lk_pad_params pad;
    lk_yolo_decode_params yolo_decode;
    lk_nms_params nms;
    lk_area_attention_params area_attention;
    lk_preprocess_params preprocess;
} lk_params;

/* Fills p with the op's neutral defaults (stride 1, dilation 1, groups 1...). */
void lk_params_init(lk_op op, lk_params *p);
const char *lk_op_name(lk_op op);
const char *lk_act_name(lk_act a);

typedef struct lk_graph lk_graph;
typedef int lk_tensor;           /* tensor id within a graph, ≥ 0 */

lk_status lk_graph_new(lk_graph **out, lk_msg *msg);
void lk_graph_free(lk_graph *g);
/* A runtime input (fp32). */
lk_status lk_graph_input(lk_graph *g, const char *name, const lk_shape *shape,
                         lk_tensor *out, lk_msg *msg);
/* A runtime input of raw bytes (e.g. a video frame): shape
 * [ceil(n_bytes / 4)], stored as 32-bit words at every precision and never
 * converted. lk_net_run takes its data as a `const float *` pointing at the
 * bytes, readable up to the next multiple of 4. Ops that take such an input
 * declare it; others refuse it. */
lk_status lk_graph_input_raw(lk_graph *g, const char *name, size_t n_bytes,
                             lk_tensor *out, lk_msg *msg);
/* A constant (weights); data is copied. */
lk_status lk_graph_constant(lk_graph *g, const char *name, const lk_shape *shape,
                            const float *data, lk_tensor *out, lk_msg *msg);
/* Appends a node; output shapes are inferred and checked here, so a
 * mismatch is reported naming the node and the problem. */
lk_status lk_graph_add(lk_graph *g, lk_op op, const lk_params *p, const char *name,
                       const lk_tensor *inputs, int n_inputs,
                       lk_tensor *outputs, int n_outputs, lk_msg *msg);
/* Marks a tensor as a network output (read back after each run). */
lk_status lk_graph_output(lk_graph *g, lk_tensor t, lk_msg *msg);

lk_status lk_graph_shape(const lk_graph *g, lk_tensor t, lk_shape *shape);
/* Graph inputs and outputs, in declaration order. */
int lk_graph_n_inputs(const lk_graph *g);
int lk_graph_n_outputs(const lk_graph *g);
lk_tensor lk_graph_input_tensor(const lk_graph *g, int i);
lk_tensor lk_graph_output_tensor(const lk_graph *g, int i);
/* The tensor's name (model names are kept), or NULL for a bad id. */
const char *lk_graph_tensor_name(const lk_graph *g, lk_tensor t);
int64_t lk_shape_numel(const lk_shape *s);
lk_shape lk_shape_make(int rank, const int64_t *dims);
lk_shape lk_shape4(int64_t n, int64_t c, int64_t h, int64_t w);
/* Row-major strides in elements. */
void lk_shape_strides(const lk_shape *s, int64_t *strides);
int lk_shape_eq(const lk_shape *a, const lk_shape *b);
/* Formats "[1,3,224,224]" into buf and returns buf. */
const char *lk_shape_str(const lk_shape *s, char *buf, size_t n);

/* Rewrites the graph in place into an equivalent, cheaper one: batch norm
 * folded into the convolution before it (when that conv's output feeds
 * nothing else and carries no activation). *n_rewrites (may be NULL) gets
 * the number of nodes removed. Tensor ids of graph outputs stay valid. */
lk_status lk_graph_optimize(lk_graph *g, int *n_rewrites, lk_msg *msg);
int lk_graph_n_nodes(const lk_graph *g);

/* Runs the whole graph with the plain-C reference ops (slow; for checking).
 * inputs: one array per graph input in declaration order; outputs: one per
 * graph output, each sized to its shape. */
lk_status lk_graph_run_reference(const lk_graph *g, const float *const *inputs,
                                 float *const *outputs, lk_msg *msg);
/* Floating-point operations of one forward pass (multiply-add = 2). */
double lk_graph_flops(const lk_graph *g);

/* ---------------------------------------------------------------- net */

typedef struct lk_net lk_net;

typedef enum lk_precision { LK_FP32 = 0, LK_FP16 } lk_precision;

typedef struct lk_net_opts {
    lk_precision precision;  /* LK_FP16 = fp16 storage, fp32 arithmetic */
    int profile;             /* record per-node timestamps */
    int poison;              /* fill activations with NaN before each run */
} lk_net_opts;

void lk_net_opts_init(lk_net_opts *o);
/* Compiles g for ctx. The graph may be freed afterwards. */
lk_status lk_net_new(lk_context *ctx, const lk_graph *g, const lk_net_opts *opts,
                     lk_net **out, lk_msg *msg);
void lk_net_free(lk_net *net);

int lk_net_n_inputs(const lk_net *net);
int lk_net_n_outputs(const lk_net *net);
const char *lk_net_input_name(const lk_net *net, int i);
const char *lk_net_output_name(const lk_net *net, int i);
lk_shape lk_net_input_shape(const lk_net *net, int i);
lk_shape lk_net_output_shape(const lk_net *net, int i);

/* Synchronous: write inputs, submit, wait, read outputs. */
lk_status lk_net_run(lk_net *net, const float *const *inputs, float *const *outputs,
                     lk_msg *msg);
/* Asynchronous: copy inputs and submit now; collect later. One run may be
 * in flight per net. lk_net_wait with timeout 0 polls (LK_ERR_NOT_READY). */
lk_status lk_net_submit(lk_net *net, const float *const *inputs, lk_msg *msg);
lk_status lk_net_wait(lk_net *net, uint64_t timeout_ns, float *const *outputs,
                      lk_msg *msg);

typedef struct lk_mem_report {
    uint64_t weight_bytes;
    uint64_t arena_bytes;    /* planned activation arena */
    uint64_t naive_bytes;    /* every activation in its own allocation */
    uint64_t peak_live_bytes;/* largest simultaneously live set */
} lk_mem_report;
void lk_net_memory(const lk_net *net, lk_mem_report *r);

/* Profile of the last run (needs opts.profile and device timestamps):
 * per node GPU milliseconds. Returns the number of entries. */
typedef struct lk_profile_entry {
    const char *node;        /* node name */
    const char *op;          /* op name */
    double ms;
    double flops;
} lk_profile_entry;
int lk_net_profile(const lk_net *net, lk_profile_entry *entries, int cap);
/* Prints the profile as a table (to stdout-like FILE*, passed as void*
 * to keep <stdio.h> out of this header). */
void lk_net_profile_print(const lk_net *net, void *file);

#ifdef __cplusplus
}
#endif
#endif
