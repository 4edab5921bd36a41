/* Metadata the lookout elements exchange.
 *
 * Detections travel as GstVideoRegionOfInterestMeta, one per object, with
 * roi_type = the label and a "detection" GstStructure param holding
 * label (string), label_id (int), confidence (double) and the box
 * normalised to the frame, x_min, y_min, x_max, y_max (double): the layout
 * Intel's DL Streamer attaches, so its consumers read ours and ours read its.
 *
 * LkFrameMeta records what lkdetect did with each frame, whether or not it
 * ran the detector on it. */
#ifndef LK_GST_META_H
#define LK_GST_META_H

#include <gst/gst.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

typedef enum {
  LK_SKIP_NONE = 0,     /* inference ran on this frame */
  LK_SKIP_INTERVAL,     /* not an Nth frame (the interval property) */
  LK_SKIP_BUSY,         /* arrived while an inference was running (drop=newest) */
} LkSkipReason;

typedef struct {
  GstMeta meta;
  guint64 frame;        /* 0-based count of frames lkdetect has seen */
  LkSkipReason skip;
  gdouble inference_ms; /* submit to result for this frame; 0 when skipped */
  guint64 skipped_total;/* frames skipped so far, this one included */
} LkFrameMeta;

GType lk_frame_meta_api_get_type (void);
const GstMetaInfo *lk_frame_meta_get_info (void);
#define LK_FRAME_META_API_TYPE (lk_frame_meta_api_get_type ())
#define LK_FRAME_META_INFO (lk_frame_meta_get_info ())

LkFrameMeta *lk_buffer_add_frame_meta (GstBuffer * buffer);
#define lk_buffer_get_frame_meta(b) \
  ((LkFrameMeta *) gst_buffer_get_meta ((b), LK_FRAME_META_API_TYPE))

const gchar *lk_skip_reason_name (LkSkipReason r);

/* One detection as the elements read and write it. */
typedef struct {
  const gchar *label;   /* borrowed from the meta or the detector */
  gint label_id;        /* -1 when the ROI carries no detection param */
  gdouble confidence;
  gdouble x_min, y_min, x_max, y_max;   /* normalised to the frame */
} LkDetection;

/* Attaches one ROI meta with its "detection" param; the pixel rectangle is
 * derived from the normalised box and the frame size. */
GstVideoRegionOfInterestMeta *lk_buffer_add_detection (GstBuffer * buffer,
    const LkDetection * det, gint width, gint height);

/* Reads an ROI meta back. ROIs without a "detection" param (from other
 * elements) give their pixel rectangle, label_id -1 and confidence 0. */
void lk_detection_from_roi (const GstVideoRegionOfInterestMeta * roi,
    gint width, gint height, LkDetection * det);

G_END_DECLS

#endif
