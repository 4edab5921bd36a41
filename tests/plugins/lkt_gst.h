/* Helpers for the plugin suites: frames of every format the elements take,
 * filled with a solid colour, and component reads. Include after cmocka's
 * prerequisites. */
#ifndef LKT_GST_H
#define LKT_GST_H

#include <gst/gst.h>
#include <gst/video/video.h>

/* The formats lkdetect and lkoverlay accept. */
extern const char *const lkt_formats[6];

/* Caps string for FORMAT at WxH, BT.601 limited range for YUV. */
gchar *lkt_caps_str(const char *format, int w, int h);
/* A frame of the caps, filled with (r, g, b) converted as BT.601 limited. */
GstBuffer *lkt_frame_new(const GstVideoInfo *info, guint8 r, guint8 g, guint8 b);
/* (r, g, b) as the frame stores it, computed independently of the plugin. */
void lkt_expected(const GstVideoInfo *info, guint8 r, guint8 g, guint8 b, guint8 out[3]);
/* The three components at pixel (x, y) (chroma from its 4:2:0 sample). */
void lkt_pixel(const GstVideoInfo *info, GstBuffer *buf, int x, int y, guint8 out[3]);

/* Where ../shared is (LOOKOUT_SHARED, set by meson); NULL when absent, in
 * which case the test skips, or fails under CI=true. */
const char *lkt_shared(void);

#endif
