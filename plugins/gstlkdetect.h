/* lkdetect: runs a Lookout detector on video frames and attaches the
 * detections as metadata. */
#ifndef GST_LK_DETECT_H
#define GST_LK_DETECT_H

#include <gst/base/gstbasetransform.h>
#include <gst/video/video.h>

#include "lookout/detector.h"

G_BEGIN_DECLS

typedef enum {
  LK_DROP_NONE = 0,     /* every (Nth) frame is inferred; upstream waits */
  LK_DROP_NEWEST,       /* frames arriving while an inference runs pass skipped */
} LkDropPolicy;

#define GST_TYPE_LK_DETECT (gst_lk_detect_get_type ())
G_DECLARE_FINAL_TYPE (GstLkDetect, gst_lk_detect, GST, LK_DETECT,
    GstBaseTransform)

struct _GstLkDetect
{
  GstBaseTransform parent;

  /* properties, under the object lock */
  gchar *model;                 /* NULL: the built-in model */
  gchar *labels;
  gchar *device;
  gchar *classes;               /* comma-separated names or ids; NULL: all */
  gfloat conf_threshold, iou_threshold;
  guint max_detections;
  guint interval;
  LkDropPolicy drop;
  gboolean rebuild;             /* model, labels, device or classes changed */
  gboolean thresholds_changed;
  guint64 frames_processed, frames_skipped;   /* read-only properties */

  /* streaming state */
  lk_detector *det;             /* owned */
  GstVideoInfo info;
  lk_pixel_format format;
  guint64 frame_count;
  GQueue pending;               /* LkPending, oldest first */
  guint outstanding;            /* pending frames submitted and not collected */
  gdouble mean_ms;              /* running mean inference time */
  GstClockTime reported_latency;
};

GST_ELEMENT_REGISTER_DECLARE (lkdetect);

G_END_DECLS

#endif
