/* Loading darknet models (.cfg + .weights) into an lk_graph.
 *
 * Supported sections: [net], [convolutional] (batch_normalize, filters,
 * size, stride / stride_x / stride_y, pad / padding, groups, activation
 * linear | leaky | relu | relu6 | logistic | tanh | mish | swish),
 * [maxpool] (darknet's padding: size-1 in total by default, the odd pixel at
 * the end), [route] (layers, groups, group_id), [shortcut] (one `from`,
 * unweighted), [upsample] (nearest), [dropout] (identity at inference) and
 * [yolo]. Any other section, or a key that would change what the network
 * computes and that the loader does not implement, is refused with a message
 * naming the file, the line and the section. Keys used only in training are
 * ignored.
 *
 * The graph has one input [1, channels, height, width] (RGB, 0..1, as
 * darknet feeds it) and one output per [yolo] section, in cfg order: the raw
 * map of the layer feeding it, [1, A·(5+C), h, w] with A = the masked
 * anchors (x, y, w, h, objectness, C classes per anchor, before any
 * sigmoid). Batch norm is folded into the convolutions and activations are
 * fused (lk_graph_optimize).
 *
 * Files are untrusted input: every number is range-checked, the weights file
 * must hold exactly the values the cfg asks for, and allocations are capped
 * by max_bytes. */
#ifndef LOOKOUT_DARKNET_H
#define LOOKOUT_DARKNET_H

#include "lookout/lookout.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LK_DARKNET_MAX_HEADS 8
#define LK_DARKNET_MAX_ANCHORS 16   /* per head */

typedef struct lk_darknet_opts {
    int input_hw[2];         /* H, W override of [net] height/width; 0 keeps */
    int optimize;            /* fold batch norm, fuse activations (default 1) */
    uint64_t max_bytes;      /* refuse files larger than this (default 1 GiB) */
} lk_darknet_opts;

/* One [yolo] head, in graph-output order. */
typedef struct lk_darknet_head {
    int output;              /* graph output index */
    int grid_h, grid_w;      /* spatial size of the raw map */
    int n_anchors;           /* masked anchors used by this head */
    float anchors[LK_DARKNET_MAX_ANCHORS][2];  /* w, h in network input pixels */
    int classes;
    float scale_x_y;         /* 1 = plain sigmoid offsets */
} lk_darknet_head;

typedef struct lk_darknet_info {
    int input_h, input_w, input_c;
    int n_layers;            /* sections after [net] */
    int64_t parameters;      /* float values read from the weights file */
    int version[3];          /* weights header: major, minor, revision */
    int n_heads;
    lk_darknet_head heads[LK_DARKNET_MAX_HEADS];
} lk_darknet_info;

void lk_darknet_opts_init(lk_darknet_opts *o);
/* Loads cfg_path with weights_path (NULL: the cfg's path with .weights in
 * place of .cfg). opts and info may be NULL. */
lk_status lk_darknet_load(const char *cfg_path, const char *weights_path,
                          const lk_darknet_opts *opts, lk_graph **out,
                          lk_darknet_info *info, lk_msg *msg);
/* The same from memory (tests, fuzzing); messages name "cfg" and "weights". */
lk_status lk_darknet_load_buffer(const char *cfg, size_t cfg_size, const void *weights,
                                 size_t weights_size, const lk_darknet_opts *opts,
                                 lk_graph **out, lk_darknet_info *info, lk_msg *msg);

#ifdef __cplusplus
}
#endif
#endif
