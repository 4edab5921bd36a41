/* lkjsonsink — writes detections as JSON Lines, one record per frame.
 *
 * SECTION:element-lkjsonsink
 *
 * Every frame that reaches the sink gives one line (the record is written
 * and flushed before the next frame, so an error or a crash later in the
 * stream loses none):
 *
 * |[
 * {"frame":0,"pts":0,"timestamp":0,"timestamp_seconds":0,"source":"file:///d.mp4",
 *  "resolution":{"width":1280,"height":720},"inference_ms":154.2,"skipped":false,
 *  "skip_reason":null,"skipped_total":0,
 *  "objects":[{"detection":{"bounding_box":{"x_min":0.82,"y_min":0.56,"x_max":0.99,
 *  "y_max":0.71},"confidence":0.88,"label":"car","label_id":2},"roi_type":"car",
 *  "x":1050,"y":404,"w":225,"h":104}]}
 * ]|
 *
 * (one line in the file). "objects", "detection", "bounding_box",
 * "confidence", "label", "label_id", "roi_type", x/y/w/h, "resolution",
 * "source" and "timestamp" (stream time, ns) are named and nested as DL
 * Streamer's gvametaconvert writes them. The frame fields come from
 * lkdetect's per-frame record; without one, "frame" counts the sink's
 * frames and the inference fields are null.
 *
 * Example:
 * |[
 * gst-launch-1.0 filesrc location=drive.mp4 ! decodebin ! videoconvert ! \
 *     lkdetect model=yolox_nano.onnx ! lkjsonsink location=drive.jsonl
 * ]|
 */
#include "gstlkjsonsink.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include "lkmeta.h"

GST_DEBUG_CATEGORY_STATIC (gst_lk_json_sink_debug);
#define GST_CAT_DEFAULT gst_lk_json_sink_debug

enum
{
  PROP_0,
  PROP_LOCATION,
  PROP_SOURCE,
};

#define DEFAULT_PROP_LOCATION NULL
#define DEFAULT_PROP_SOURCE NULL

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS ("video/x-raw(ANY)"));

G_DEFINE_TYPE (GstLkJsonSink, gst_lk_json_sink, GST_TYPE_BASE_SINK);
GST_ELEMENT_REGISTER_DEFINE (lkjsonsink, "lkjsonsink", GST_RANK_NONE,
    GST_TYPE_LK_JSON_SINK);

static void gst_lk_json_sink_finalize (GObject * object);
static void gst_lk_json_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_lk_json_sink_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static gboolean gst_lk_json_sink_start (GstBaseSink * sink);
static gboolean gst_lk_json_sink_stop (GstBaseSink * sink);
static gboolean gst_lk_json_sink_set_caps (GstBaseSink * sink, GstCaps * caps);
static gboolean gst_lk_json_sink_event (GstBaseSink * sink, GstEvent * event);
static GstFlowReturn gst_lk_json_sink_render (GstBaseSink * sink,
    GstBuffer * buffer);

static void
gst_lk_json_sink_class_init (GstLkJsonSinkClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseSinkClass *sink_class = GST_BASE_SINK_CLASS (klass);

  gobject_class->finalize = gst_lk_json_sink_finalize;
  gobject_class->set_property = gst_lk_json_sink_set_property;
  gobject_class->get_property = gst_lk_json_sink_get_property;

  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "File to write the JSON Lines to (unset or \"-\": stdout)",
          DEFAULT_PROP_LOCATION,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_SOURCE,
      g_param_spec_string ("source", "Source",
          "Source name written in each record (unset: the URI upstream "
          "answers with, else empty)", DEFAULT_PROP_SOURCE,
          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
          GST_PARAM_MUTABLE_READY));

  gst_element_class_set_static_metadata (element_class,
      "Lookout JSON Lines sink", "Sink/Metadata",
      "Writes one JSON record per frame with its detections, DL Streamer "
      "gvametaconvert field names (example: ... ! lkdetect ! lkjsonsink "
      "location=out.jsonl)", "Lookout project");
  gst_element_class_add_static_pad_template (element_class, &sink_template);

  sink_class->start = GST_DEBUG_FUNCPTR (gst_lk_json_sink_start);
  sink_class->stop = GST_DEBUG_FUNCPTR (gst_lk_json_sink_stop);
  sink_class->set_caps = GST_DEBUG_FUNCPTR (gst_lk_json_sink_set_caps);
  sink_class->event = GST_DEBUG_FUNCPTR (gst_lk_json_sink_event);
  sink_class->render = GST_DEBUG_FUNCPTR (gst_lk_json_sink_render);

  GST_DEBUG_CATEGORY_INIT (gst_lk_json_sink_debug, "lkjsonsink", 0,
      "Lookout JSON Lines sink");
}

static void
gst_lk_json_sink_init (GstLkJsonSink * self)
{
  self->location = g_strdup (DEFAULT_PROP_LOCATION);
  self->source = g_strdup (DEFAULT_PROP_SOURCE);
  self->line = g_string_sized_new (1024);
  gst_video_info_init (&self->info);
  /* A record writer: as fast as frames come, not paced by the clock. */
  gst_base_sink_set_sync (GST_BASE_SINK (self), FALSE);
}

static void
gst_lk_json_sink_finalize (GObject * object)
{
  GstLkJsonSink *self = GST_LK_JSON_SINK (object);

  g_free (self->location);
  g_free (self->source);
  g_free (self->source_name);
  g_string_free (self->line, TRUE);
  G_OBJECT_CLASS (gst_lk_json_sink_parent_class)->finalize (object);
}

static void
gst_lk_json_sink_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstLkJsonSink *self = GST_LK_JSON_SINK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_free (self->location);
      self->location = g_value_dup_string (value);
      break;
    case PROP_SOURCE:
      g_free (self->source);
      self->source = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_lk_json_sink_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstLkJsonSink *self = GST_LK_JSON_SINK (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_value_set_string (value, self->location);
      break;
    case PROP_SOURCE:
      g_value_set_string (value, self->source);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static gboolean
gst_lk_json_sink_start (GstBaseSink * sink)
{
  GstLkJsonSink *self = GST_LK_JSON_SINK (sink);
  gchar *location;

  GST_OBJECT_LOCK (self);
  location = g_strdup (self->location);
  GST_OBJECT_UNLOCK (self);

  self->records = 0;
  g_clear_pointer (&self->source_name, g_free);
  if (!location || !*location || !strcmp (location, "-"))
    self->file = stdout;
  else if (!(self->file = fopen (location, "w")))
    goto open_failed;
  g_free (location);
  return TRUE;

  /* ERRORS */
open_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, OPEN_WRITE,
        ("Could not open \"%s\" for writing: %s", location,
            g_strerror (errno)), (NULL));
    g_free (location);
    return FALSE;
  }
}

static gboolean
gst_lk_json_sink_stop (GstBaseSink * sink)
{
  GstLkJsonSink *self = GST_LK_JSON_SINK (sink);

  if (self->file && self->file != stdout)
    fclose (self->file);
  else if (self->file)
    fflush (self->file);
  self->file = NULL;
  return TRUE;
}

static gboolean
gst_lk_json_sink_set_caps (GstBaseSink * sink, GstCaps * caps)
{
  GstLkJsonSink *self = GST_LK_JSON_SINK (sink);

  if (!gst_video_info_from_caps (&self->info, caps)) {
    GST_ELEMENT_ERROR (self, STREAM, FORMAT, (NULL),
        ("Invalid video caps %" GST_PTR_FORMAT, caps));
    return FALSE;
  }
  return TRUE;
}

static gboolean
gst_lk_json_sink_event (GstBaseSink * sink, GstEvent * event)
{
  GstLkJsonSink *self = GST_LK_JSON_SINK (sink);

  /* Every record is out before EOS is acknowledged. */
  if (GST_EVENT_TYPE (event) == GST_EVENT_EOS && self->file)
    fflush (self->file);
  return GST_BASE_SINK_CLASS (gst_lk_json_sink_parent_class)->event (sink,
      event);
}

static void
json_string (GString * s, const gchar * str)
{
  g_string_append_c (s, '"');
  for (const guchar * p = (const guchar *) (str ? str : ""); *p; p++) {
    if (*p == '"' || *p == '\\')
      g_string_append_printf (s, "\\%c", *p);
    else if (*p < 0x20)
      g_string_append_printf (s, "\\u%04x", *p);
    else
      g_string_append_c (s, (gchar) * p);
  }
  g_string_append_c (s, '"');
}

static void
json_double (GString * s, gdouble v)
{
  gchar buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (v)) {
    g_string_append (s, "null");
    return;
  }
  g_string_append (s, g_ascii_formatd (buf, sizeof buf, "%.6g", v));
}

static void
json_clock_time (GString * s, GstClockTime t)
{
  if (GST_CLOCK_TIME_IS_VALID (t))
    g_string_append_printf (s, "%" G_GUINT64_FORMAT, (guint64) t);
  else
    g_string_append (s, "null");
}

static gchar *
resolve_source (GstLkJsonSink * self)
{
  GstQuery *query;
  gchar *name = NULL;

  GST_OBJECT_LOCK (self);
  name = g_strdup (self->source);
  GST_OBJECT_UNLOCK (self);
  if (name)
    return name;
  query = gst_query_new_uri ();
  if (gst_pad_peer_query (GST_BASE_SINK_PAD (self), query))
    gst_query_parse_uri (query, &name);
  gst_query_unref (query);
  return name ? name : g_strdup ("");
}

static void
append_object (GString * s, const LkDetection * det,
    const GstVideoRegionOfInterestMeta * roi)
{
  g_string_append (s, "{\"detection\":{\"bounding_box\":{\"x_min\":");
  json_double (s, det->x_min);
  g_string_append (s, ",\"y_min\":");
  json_double (s, det->y_min);
  g_string_append (s, ",\"x_max\":");
  json_double (s, det->x_max);
  g_string_append (s, ",\"y_max\":");
  json_double (s, det->y_max);
  g_string_append (s, "},\"confidence\":");
  json_double (s, det->confidence);
  g_string_append (s, ",\"label\":");
  json_string (s, det->label);
  g_string_append_printf (s, ",\"label_id\":%d},\"roi_type\":", det->label_id);
  json_string (s, g_quark_to_string (roi->roi_type));
  g_string_append_printf (s, ",\"x\":%u,\"y\":%u,\"w\":%u,\"h\":%u}",
      roi->x, roi->y, roi->w, roi->h);
}

static GstFlowReturn
gst_lk_json_sink_render (GstBaseSink * sink, GstBuffer * buffer)
{
  GstLkJsonSink *self = GST_LK_JSON_SINK (sink);
  LkFrameMeta *fm = lk_buffer_get_frame_meta (buffer);
  GString *s = self->line;
  GstClockTime pts = GST_BUFFER_PTS (buffer), stream_time = GST_CLOCK_TIME_NONE;
  gint w = GST_VIDEO_INFO_WIDTH (&self->info);
  gint h = GST_VIDEO_INFO_HEIGHT (&self->info);
  gpointer state = NULL;
  GstMeta *meta;
  gboolean first = TRUE;

  if (!self->source_name)
    self->source_name = resolve_source (self);
  if (GST_CLOCK_TIME_IS_VALID (pts))
    stream_time = gst_segment_to_stream_time (&sink->segment, GST_FORMAT_TIME,
        pts);

  g_string_truncate (s, 0);
  g_string_append_printf (s, "{\"frame\":%" G_GUINT64_FORMAT ",\"pts\":",
      fm ? fm->frame : self->records);
  json_clock_time (s, pts);
  g_string_append (s, ",\"timestamp\":");
  json_clock_time (s, stream_time);
  g_string_append (s, ",\"timestamp_seconds\":");
  if (GST_CLOCK_TIME_IS_VALID (stream_time))
    json_double (s, (gdouble) stream_time / GST_SECOND);
  else
    g_string_append (s, "null");
  g_string_append (s, ",\"source\":");
  json_string (s, self->source_name);
  g_string_append_printf (s, ",\"resolution\":{\"width\":%d,\"height\":%d}",
      w, h);
  if (fm) {
    g_string_append (s, ",\"inference_ms\":");
    if (fm->skip == LK_SKIP_NONE)
      json_double (s, fm->inference_ms);
    else
      g_string_append (s, "null");
    g_string_append_printf (s, ",\"skipped\":%s,\"skip_reason\":",
        fm->skip != LK_SKIP_NONE ? "true" : "false");
    if (fm->skip != LK_SKIP_NONE)
      json_string (s, lk_skip_reason_name (fm->skip));
    else
      g_string_append (s, "null");
    g_string_append_printf (s, ",\"skipped_total\":%" G_GUINT64_FORMAT,
        fm->skipped_total);
  } else {
    g_string_append (s, ",\"inference_ms\":null,\"skipped\":null,"
        "\"skip_reason\":null,\"skipped_total\":null");
  }
  g_string_append (s, ",\"objects\":[");
  while ((meta = gst_buffer_iterate_meta_filtered (buffer, &state,
              GST_VIDEO_REGION_OF_INTEREST_META_API_TYPE))) {
    GstVideoRegionOfInterestMeta *roi = (GstVideoRegionOfInterestMeta *) meta;
    LkDetection det;

    lk_detection_from_roi (roi, w, h, &det);
    if (!first)
      g_string_append_c (s, ',');
    first = FALSE;
    append_object (s, &det, roi);
  }
  g_string_append (s, "]}\n");

  if (fwrite (s->str, 1, s->len, self->file) != s->len
      || fflush (self->file) != 0)
    goto write_failed;
  self->records++;
  return GST_FLOW_OK;

  /* ERRORS */
write_failed:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, WRITE, ("Could not write a record: %s",
            g_strerror (errno)), (NULL));
    return GST_FLOW_ERROR;
  }
}
