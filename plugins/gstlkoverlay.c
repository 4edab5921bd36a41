/* lkoverlay — draws detections onto video frames, in place.
 *
 * SECTION:element-lkoverlay
 *
 * For every GstVideoRegionOfInterestMeta on a frame (as lkdetect or DL
 * Streamer's gvadetect attach them) it draws the box and a filled tag with
 * the label and score, in a colour chosen by class id (by label for ROIs
 * without one). Line width and text size follow the frame height so the
 * result reads on 720p and 1080p. Works on RGB, BGR, RGBA, BGRx, NV12 and
 * I420 without converting.
 *
 * Example:
 * |[
 * gst-launch-1.0 filesrc location=drive.mp4 ! decodebin ! videoconvert ! \
 *     lkdetect model=yolox_nano.onnx ! lkoverlay ! videoconvert ! autovideosink
 * ]|
 */
#include "gstlkoverlay.h"

#include <stdio.h>

#include "lkdraw.h"
#include "lkmeta.h"

GST_DEBUG_CATEGORY_STATIC (gst_lk_overlay_debug);
#define GST_CAT_DEFAULT gst_lk_overlay_debug

enum
{
  PROP_0,
  PROP_THICKNESS,
  PROP_SHOW_LABELS,
};

#define DEFAULT_PROP_THICKNESS 0
#define DEFAULT_PROP_SHOW_LABELS TRUE

#define LK_OVERLAY_CAPS GST_VIDEO_CAPS_MAKE ("{ RGB, BGR, RGBA, BGRx, NV12, I420 }")

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (LK_OVERLAY_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (LK_OVERLAY_CAPS));

G_DEFINE_TYPE (GstLkOverlay, gst_lk_overlay, GST_TYPE_VIDEO_FILTER);
GST_ELEMENT_REGISTER_DEFINE (lkoverlay, "lkoverlay", GST_RANK_NONE,
    GST_TYPE_LK_OVERLAY);

static void gst_lk_overlay_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_lk_overlay_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static GstFlowReturn gst_lk_overlay_transform_frame_ip (GstVideoFilter *
    filter, GstVideoFrame * frame);

/* Distinct, saturated colours; class ids wrap around. */
static const guint8 palette[][3] = {
  {255, 56, 56}, {255, 157, 151}, {255, 112, 31}, {255, 178, 29},
  {207, 210, 49}, {72, 249, 10}, {146, 204, 23}, {61, 219, 134},
  {26, 147, 52}, {0, 212, 187}, {44, 153, 168}, {0, 194, 255},
  {52, 69, 147}, {100, 115, 255}, {0, 24, 236}, {132, 56, 255},
  {82, 0, 133}, {203, 56, 255}, {255, 149, 200}, {255, 55, 199},
};

static void
gst_lk_overlay_class_init (GstLkOverlayClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstVideoFilterClass *filter_class = GST_VIDEO_FILTER_CLASS (klass);

  gobject_class->set_property = gst_lk_overlay_set_property;
  gobject_class->get_property = gst_lk_overlay_get_property;

  g_object_class_install_property (gobject_class, PROP_THICKNESS,
      g_param_spec_uint ("thickness", "Thickness",
          "Box line width in pixels (0: the frame height / 360, at least 2)",
          0, 64, DEFAULT_PROP_THICKNESS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_SHOW_LABELS,
      g_param_spec_boolean ("show-labels", "Show labels",
          "Draw a tag with the label and score above each box",
          DEFAULT_PROP_SHOW_LABELS,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_PLAYING));

  gst_element_class_set_static_metadata (element_class,
      "Lookout detection overlay", "Filter/Effect/Video",
      "Draws detected objects' boxes, labels and scores onto the video "
      "(example: ... ! lkdetect ! lkoverlay ! videoconvert ! x264enc ! ...)",
      "Lookout project");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  filter_class->transform_frame_ip =
      GST_DEBUG_FUNCPTR (gst_lk_overlay_transform_frame_ip);

  GST_DEBUG_CATEGORY_INIT (gst_lk_overlay_debug, "lkoverlay", 0,
      "Lookout detection overlay");
}

static void
gst_lk_overlay_init (GstLkOverlay * self)
{
  self->thickness = DEFAULT_PROP_THICKNESS;
  self->show_labels = DEFAULT_PROP_SHOW_LABELS;
}

static void
gst_lk_overlay_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstLkOverlay *self = GST_LK_OVERLAY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_THICKNESS:
      self->thickness = g_value_get_uint (value);
      break;
    case PROP_SHOW_LABELS:
      self->show_labels = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_lk_overlay_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstLkOverlay *self = GST_LK_OVERLAY (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_THICKNESS:
      g_value_set_uint (value, self->thickness);
      break;
    case PROP_SHOW_LABELS:
      g_value_set_boolean (value, self->show_labels);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static const guint8 *
class_rgb (const LkDetection * det)
{
  guint idx = det->label_id >= 0 ? (guint) det->label_id :
      g_str_hash (det->label ? det->label : "");

  return palette[idx % G_N_ELEMENTS (palette)];
}

static void
draw_detection (GstVideoFrame * frame, const LkDetection * det, int thick,
    gboolean show_labels)
{
  int w = GST_VIDEO_FRAME_WIDTH (frame), h = GST_VIDEO_FRAME_HEIGHT (frame);
  int x0 = (int) (det->x_min * w + 0.5), y0 = (int) (det->y_min * h + 0.5);
  int x1 = (int) (det->x_max * w + 0.5), y1 = (int) (det->y_max * h + 0.5);
  const guint8 *rgb = class_rgb (det);
  LkColor col = lk_color_for_frame (frame, rgb[0], rgb[1], rgb[2]);
  /* Text in black or white, whichever contrasts with the tag. */
  gboolean dark = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] > 150.0;
  LkColor ink = lk_color_for_frame (frame, dark ? 0 : 255, dark ? 0 : 255,
      dark ? 0 : 255);
  const lk_font *font = lk_font_for_height (h);
  char text[96];
  int tw, th, pad, ty;

  lk_draw_box (frame, x0, y0, x1, y1, thick, col);
  if (!show_labels)
    return;
  if (det->label_id >= 0)
    g_snprintf (text, sizeof text, "%s %.2f", det->label ? det->label : "?",
        det->confidence);
  else
    g_snprintf (text, sizeof text, "%s", det->label ? det->label : "?");
  pad = font->h / 6;
  tw = lk_text_width (font, text) + 2 * pad;
  th = font->h;
  /* Above the box when there is room, else just inside its top edge. */
  ty = y0 - th >= 0 ? y0 - th : y0;
  if (x0 + tw > w)
    x0 = MAX (w - tw, 0);
  lk_draw_fill (frame, x0, ty, x0 + tw, ty + th, col);
  lk_draw_text (frame, font, x0 + pad, ty, text, ink);
}

static GstFlowReturn
gst_lk_overlay_transform_frame_ip (GstVideoFilter * filter,
    GstVideoFrame * frame)
{
  GstLkOverlay *self = GST_LK_OVERLAY (filter);
  gpointer state = NULL;
  GstMeta *meta;
  guint thick;
  gboolean show_labels;
  int w = GST_VIDEO_FRAME_WIDTH (frame), h = GST_VIDEO_FRAME_HEIGHT (frame);

  GST_OBJECT_LOCK (self);
  thick = self->thickness;
  show_labels = self->show_labels;
  GST_OBJECT_UNLOCK (self);
  if (thick == 0)
    thick = MAX (2, h / 360);

  while ((meta = gst_buffer_iterate_meta_filtered (frame->buffer, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    LkDetection det;

    lk_detection_from_roi ((GstVideoRegionOfInterestMeta *) meta, w, h, &det);
    draw_detection (frame, &det, (int) thick, show_labels);
  }
  return GST_FLOW_OK;
}
