/* Detector: frames in, boxes out.
 *
 * lk_detector_new() loads a model (ONNX, or darknet .cfg with its .weights
 * beside it), works out its family and pre/post-processing (ONNX metadata,
 * a sidecar file, or the output shapes when unambiguous), and builds one
 * net per in-flight slot whose graph is
 *
 *   frame bytes --preprocess--> network --yolo_decode--> nms --> detections
 *
 * so colour conversion, letterbox/stretch resize, normalisation, decoding,
 * score threshold, top-k and class-aware NMS all run on the device and only
 * the final detections are read back. A frame of a new size or format
 * rebuilds the slot's nets (streams keep one size, so this happens once).
 *
 * Sidecar file: MODEL.lookout (beside the model, or opts.sidecar), lines of
 * `key = value`, '#' comments; the keys are those of the ONNX metadata
 * below without the "lookout." prefix:
 *   family      yolox | ultralytics | fastestdet | darknet | yolov1
 *   input       HxW (network input size; default: the model's)
 *   resize      letterbox | letterbox-center | stretch
 *   interp      bilinear | area
 *   channels    rgb | bgr
 *   scale       multiplier applied to 0..255 pixel values (e.g. 0.0039215686)
 *   mean        three values subtracted after scaling (optional)
 *   std         three values divided after mean (optional)
 *   pad         letterbox fill value on the 0..255 scale (default 114)
 *   labels      path to a labels file (one name per line), relative to the model
 *   yolov1      S,B (grid size and boxes per cell) for family yolov1
 * In ONNX the same keys are metadata_props named lookout.<key>, and
 * lookout.labels may instead hold a JSON array of names. */
#ifndef LOOKOUT_DETECTOR_H
#define LOOKOUT_DETECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "lookout/lookout.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum lk_pixel_format {
    LK_PIXEL_RGB = 0,        /* packed 24-bit R,G,B */
    LK_PIXEL_BGR,            /* packed 24-bit B,G,R */
    LK_PIXEL_RGBA,           /* packed 32-bit R,G,B,A */
    LK_PIXEL_BGRX,           /* packed 32-bit B,G,R,x (GStreamer BGRx) */
    LK_PIXEL_NV12,           /* Y plane + interleaved UV plane, 4:2:0 */
    LK_PIXEL_I420,           /* Y, U, V planes, 4:2:0 */
    LK_PIXEL_COUNT
} lk_pixel_format;

const char *lk_pixel_format_name(lk_pixel_format f);

/* A frame in host memory. Planes and strides (bytes per row) as in
 * GstVideoFrame; packed formats use plane 0 only. Chroma of NV12/I420 is
 * BT.601 limited range, as decoders produce for SD/HD streams unless told
 * otherwise; see colorimetry. */
typedef struct lk_frame {
    lk_pixel_format format;
    int width, height;
    const uint8_t *planes[3];
    size_t strides[3];
    int bt709;               /* YUV matrix: 0 = BT.601, 1 = BT.709 */
    int full_range;          /* YUV range: 0 = limited (16-235), 1 = full */
} lk_frame;

typedef enum lk_family {
    LK_FAMILY_AUTO = 0,
    LK_FAMILY_YOLOX,         /* [1, N, 5+C]: xy offsets, log wh, obj, classes */
    LK_FAMILY_ULTRALYTICS,   /* [1, 4+C, N]: cx, cy, w, h (input px), classes */
    LK_FAMILY_FASTESTDET,    /* [1, 5+C, H, W]: obj, tanh xy, sigmoid wh, softmax classes */
    LK_FAMILY_DARKNET,       /* YOLOv3-style heads [1, A·(5+C), H, W] with anchors */
    LK_FAMILY_YOLOV1,        /* [1, S, S, B·5+C] grid, or the same values as
                                [1, S·S·(B·5+C)]: per cell B × (x, y, w, h, conf)
                                then C class probabilities (lookout.h,
                                lk_yolo_decode_params; not darknet's
                                [detection] order) */
    LK_FAMILY_COUNT
} lk_family;

const char *lk_family_name(lk_family f);

typedef struct lk_detection {
    int class_id;
    const char *label;       /* owned by the detector; valid until it is freed */
    float score;
    float x1, y1, x2, y2;    /* frame pixels, clipped to the frame */
} lk_detection;

typedef struct lk_detections {
    int count;
    lk_detection *items;     /* count entries; owned by the caller's struct:
                                free with lk_detections_clear */
    int candidates;          /* boxes above the score threshold before NMS */
    double upload_ms, gpu_ms, readback_ms; /* host-timed phases of this frame */
} lk_detections;

void lk_detections_clear(lk_detections *d);

typedef struct lk_detector_opts {
    const char *device;      /* index or name substring; NULL: LOOKOUT_DEVICE / best */
    lk_precision precision;  /* default LK_FP32 */
    lk_family family;        /* LK_FAMILY_AUTO: metadata, sidecar, then shapes */
    const char *sidecar;     /* NULL: MODEL.lookout when it exists */
    const char *labels;      /* labels file overriding the model's; NULL keeps */
    float score_threshold;   /* default 0.25 */
    float iou_threshold;     /* default 0.45 */
    int max_detections;      /* default 100 */
    int pre_nms_topk;        /* candidates kept for NMS, default 1000 */
    const int *classes;      /* class filter (ids); NULL = all */
    int n_classes;
    int class_agnostic;      /* 1: NMS across classes */
    int in_flight;           /* slots for lk_detector_submit, default 2 */
    int validation;          /* Vulkan validation layers */
    int profile;             /* per-node device timestamps */
} lk_detector_opts;

void lk_detector_opts_init(lk_detector_opts *o);

typedef struct lk_detector lk_detector;

/* path: .onnx, or a darknet .cfg with the .weights of the same stem. */
lk_status lk_detector_new(const char *path, const lk_detector_opts *opts,
                          lk_detector **out, lk_msg *msg);
void lk_detector_free(lk_detector *d);

/* What the detector resolved from the model. */
typedef struct lk_detector_info {
    lk_family family;
    int input_h, input_w;
    int n_classes;
    const char *const *labels;  /* n_classes names */
    const char *device;         /* device name */
    double flops;               /* network FLOPs per frame */
} lk_detector_info;
void lk_detector_get_info(const lk_detector *d, lk_detector_info *info);

/* Changes thresholds between frames (no rebuild). */
lk_status lk_detector_set_thresholds(lk_detector *d, float score, float iou,
                                     int max_detections, lk_msg *msg);

/* Synchronous: one frame → its detections. */
lk_status lk_detector_run(lk_detector *d, const lk_frame *frame, lk_detections *out,
                          lk_msg *msg);

/* Asynchronous: submit copies the frame and starts it on a free slot,
 * returning a ticket; LK_ERR_NOT_READY when every slot is busy. collect
 * waits up to timeout_ns for that ticket (0 polls: LK_ERR_NOT_READY). */
lk_status lk_detector_submit(lk_detector *d, const lk_frame *frame, uint64_t *ticket,
                             lk_msg *msg);
lk_status lk_detector_collect(lk_detector *d, uint64_t ticket, uint64_t timeout_ns,
                              lk_detections *out, lk_msg *msg);

/* Per-node device profile of the last frame (opts.profile): fills up to cap
 * entries (op "preprocess", the network's ops, "yolo_decode", "nms") and
 * returns the number of nodes; print writes it as a table to a FILE*. */
int lk_detector_profile(const lk_detector *d, lk_profile_entry *entries, int cap);
void lk_detector_profile_print(const lk_detector *d, void *file);

#ifdef __cplusplus
}
#endif
#endif
