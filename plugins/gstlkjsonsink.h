/* lkjsonsink: one JSON Lines record per frame with its detections. */
#ifndef GST_LK_JSON_SINK_H
#define GST_LK_JSON_SINK_H

#include <stdio.h>

#include <gst/base/gstbasesink.h>
#include <gst/video/video.h>

G_BEGIN_DECLS

#define GST_TYPE_LK_JSON_SINK (gst_lk_json_sink_get_type ())
G_DECLARE_FINAL_TYPE (GstLkJsonSink, gst_lk_json_sink, GST, LK_JSON_SINK,
    GstBaseSink)

struct _GstLkJsonSink
{
  GstBaseSink parent;

  /* properties, under the object lock */
  gchar *location;              /* NULL or "-": stdout */
  gchar *source;                /* NULL: the upstream URI when it answers */

  /* streaming state */
  FILE *file;                   /* owned unless it is stdout */
  GstVideoInfo info;
  gchar *source_name;           /* resolved at the first frame */
  guint64 records;              /* also the frame number without LkFrameMeta */
  GString *line;
};

GST_ELEMENT_REGISTER_DECLARE (lkjsonsink);

G_END_DECLS

#endif
