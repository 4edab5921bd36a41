/* LkFrameMeta registration and the "detection" ROI param helpers. */
#include "lkmeta.h"

static gboolean
lk_frame_meta_init (GstMeta * meta, gpointer params, GstBuffer * buffer)
{
  LkFrameMeta *m = (LkFrameMeta *) meta;

  m->frame = 0;
  m->skip = LK_SKIP_NONE;
  m->inference_ms = 0.0;
  m->skipped_total = 0;
  return TRUE;
}

/* The record describes the frame, not its bytes: copies and scaled or
 * converted versions of the frame keep it. */
static gboolean
lk_frame_meta_transform (GstBuffer * dest, GstMeta * meta, GstBuffer * src,
    GQuark type, gpointer data)
{
  LkFrameMeta *s = (LkFrameMeta *) meta, *d;

  d = lk_buffer_add_frame_meta (dest);
  if (!d)
    return FALSE;
  d->frame = s->frame;
  d->skip = s->skip;
  d->inference_ms = s->inference_ms;
  d->skipped_total = s->skipped_total;
  return TRUE;
}

GType
lk_frame_meta_api_get_type (void)
{
  static GType type;
  static const gchar *tags[] = { NULL };

  if (g_once_init_enter (&type)) {
    GType t = gst_meta_api_type_register ("LkFrameMetaAPI", tags);
    g_once_init_leave (&type, t);
  }
  return type;
}

const GstMetaInfo *
lk_frame_meta_get_info (void)
{
  static const GstMetaInfo *info;

  if (g_once_init_enter ((GstMetaInfo **) & info)) {
    const GstMetaInfo *mi = gst_meta_register (LK_FRAME_META_API_TYPE,
        "LkFrameMeta", sizeof (LkFrameMeta), lk_frame_meta_init, NULL,
        lk_frame_meta_transform);
    g_once_init_leave ((GstMetaInfo **) & info, (GstMetaInfo *) mi);
  }
  return info;
}

LkFrameMeta *
lk_buffer_add_frame_meta (GstBuffer * buffer)
{
  return (LkFrameMeta *) gst_buffer_add_meta (buffer, LK_FRAME_META_INFO,
      NULL);
}

const gchar *
lk_skip_reason_name (LkSkipReason r)
{
  switch (r) {
    case LK_SKIP_NONE:
      return "none";
    case LK_SKIP_INTERVAL:
      return "interval";
    case LK_SKIP_BUSY:
      return "busy";
  }
  return "unknown";
}

static gint
clamp_px (gdouble v, gint limit)
{
  gint p = (gint) (v + 0.5);

  return CLAMP (p, 0, limit);
}

GstVideoRegionOfInterestMeta *
lk_buffer_add_detection (GstBuffer * buffer, const LkDetection * det,
    gint width, gint height)
{
  GstVideoRegionOfInterestMeta *roi;
  gint x0 = clamp_px (det->x_min * width, width);
  gint y0 = clamp_px (det->y_min * height, height);
  gint x1 = clamp_px (det->x_max * width, width);
  gint y1 = clamp_px (det->y_max * height, height);

  roi = gst_buffer_add_video_region_of_interest_meta (buffer, det->label,
      x0, y0, MAX (x1 - x0, 0), MAX (y1 - y0, 0));
  if (!roi)
    return NULL;
  gst_video_region_of_interest_meta_add_param (roi,
      gst_structure_new ("detection",
          "label", G_TYPE_STRING, det->label,
          "label_id", G_TYPE_INT, det->label_id,
          "confidence", G_TYPE_DOUBLE, det->confidence,
          "x_min", G_TYPE_DOUBLE, det->x_min,
          "y_min", G_TYPE_DOUBLE, det->y_min,
          "x_max", G_TYPE_DOUBLE, det->x_max,
          "y_max", G_TYPE_DOUBLE, det->y_max, NULL));
  return roi;
}

void
lk_detection_from_roi (const GstVideoRegionOfInterestMeta * roi, gint width,
    gint height, LkDetection * det)
{
  GstStructure *s = gst_video_region_of_interest_meta_get_param (
      (GstVideoRegionOfInterestMeta *) roi, "detection");
  const gchar *label = NULL;

  det->label = g_quark_to_string (roi->roi_type);
  det->label_id = -1;
  det->confidence = 0.0;
  det->x_min = width > 0 ? (gdouble) roi->x / width : 0.0;
  det->y_min = height > 0 ? (gdouble) roi->y / height : 0.0;
  det->x_max = width > 0 ? (gdouble) (roi->x + roi->w) / width : 0.0;
  det->y_max = height > 0 ? (gdouble) (roi->y + roi->h) / height : 0.0;
  if (!s)
    return;
  label = gst_structure_get_string (s, "label");
  if (label)
    det->label = label;
  gst_structure_get_int (s, "label_id", &det->label_id);
  gst_structure_get_double (s, "confidence", &det->confidence);
  gst_structure_get_double (s, "x_min", &det->x_min);
  gst_structure_get_double (s, "y_min", &det->y_min);
  gst_structure_get_double (s, "x_max", &det->x_max);
  gst_structure_get_double (s, "y_max", &det->y_max);
}
