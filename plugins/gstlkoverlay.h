/* lkoverlay: draws detections (ROI metas) onto the frames. */
#ifndef GST_LK_OVERLAY_H
#define GST_LK_OVERLAY_H

#include <gst/video/gstvideofilter.h>

G_BEGIN_DECLS

#define GST_TYPE_LK_OVERLAY (gst_lk_overlay_get_type ())
G_DECLARE_FINAL_TYPE (GstLkOverlay, gst_lk_overlay, GST, LK_OVERLAY,
    GstVideoFilter)

struct _GstLkOverlay
{
  GstVideoFilter parent;

  /* properties, under the object lock */
  guint thickness;
  gboolean show_labels;
};

GST_ELEMENT_REGISTER_DECLARE (lkoverlay);

G_END_DECLS

#endif
