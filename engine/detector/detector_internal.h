/* Detector internals: what detector_config.c resolves about a model
 * (family, input size, pre-processing, labels) for detector.c to build
 * its nets from. */
#ifndef LK_DETECTOR_INTERNAL_H
#define LK_DETECTOR_INTERNAL_H

#include "lookout/darknet.h"
#include "lookout/detector.h"

typedef struct lk_det_model {
    lk_graph *g;             /* owned: the network, input [1, 3, H, W], raw outputs */
    lk_family family;
    int input_h, input_w;
    int n_classes;
    char **labels;           /* owned: n_classes names */
    /* Pre-processing (lk_preprocess_params without the frame geometry). */
    lk_fit fit;
    lk_interp interp;
    int bgr;
    float scale, mean[3], std[3], pad;
    int grid_s, boxes_b;     /* yolov1 */
    lk_darknet_info dk;      /* darknet heads, family darknet only */
} lk_det_model;

/* Loads the model at path and resolves everything above from (in order)
 * opts, ONNX metadata, the sidecar file and the output shapes. */
lk_status lk_det_model_load(const char *path, const lk_detector_opts *opts, lk_det_model *m,
                            lk_msg *msg);
void lk_det_model_free(lk_det_model *m);

#endif
