/* lkdetect — object detection on video frames with a Lookout detector.
 *
 * SECTION:element-lkdetect
 *
 * Runs the detector (ONNX or darknet model; colour conversion, resize,
 * decoding and NMS on the Vulkan device) on each frame and attaches one
 * GstVideoRegionOfInterestMeta per detection, roi_type = the label, with a
 * "detection" param (label, label_id, confidence, normalised x_min, y_min,
 * x_max, y_max) as DL Streamer's gvadetect does. Every frame, inferred or
 * not, also gets an LkFrameMeta: frame number, whether and why it was
 * skipped, and the inference time. Frames are not modified.
 *
 * interval=N infers every Nth frame; the others pass with no detections and
 * skipped=interval (as gvadetect's inference-interval). For live sources,
 * drop=newest keeps latency bounded: a frame arriving while an inference
 * runs passes without one (skipped=busy) instead of queueing behind it.
 * The element adds its inference time to latency queries.
 *
 * Example:
 * |[
 * gst-launch-1.0 filesrc location=drive.mp4 ! decodebin ! videoconvert ! \
 *     lkdetect model=yolox_nano.onnx labels=coco_classes.txt ! lkoverlay ! \
 *     videoconvert ! x264enc ! mp4mux ! filesink location=annotated.mp4
 * ]|
 */
#include "gstlkdetect.h"

#include <stdlib.h>
#include <string.h>

#include "lkmeta.h"

GST_DEBUG_CATEGORY_STATIC (gst_lk_detect_debug);
#define GST_CAT_DEFAULT gst_lk_detect_debug

enum
{
  PROP_0,
  PROP_MODEL,
  PROP_LABELS,
  PROP_DEVICE,
  PROP_CONF_THRESHOLD,
  PROP_IOU_THRESHOLD,
  PROP_MAX_DETECTIONS,
  PROP_CLASSES,
  PROP_INTERVAL,
  PROP_DROP,
  PROP_FRAMES_PROCESSED,
  PROP_FRAMES_SKIPPED,
};

#define DEFAULT_PROP_MODEL NULL
#define DEFAULT_PROP_LABELS NULL
#define DEFAULT_PROP_DEVICE NULL
#define DEFAULT_PROP_CONF_THRESHOLD 0.25f
#define DEFAULT_PROP_IOU_THRESHOLD 0.45f
#define DEFAULT_PROP_MAX_DETECTIONS 100
#define DEFAULT_PROP_CLASSES NULL
#define DEFAULT_PROP_INTERVAL 1
#define DEFAULT_PROP_DROP LK_DROP_NONE

/* Frames in flight on the device when nothing is dropped: the next frame's
 * upload overlaps the current one's compute. */
#define LK_DETECT_IN_FLIGHT 2

#define LK_DETECT_CAPS GST_VIDEO_CAPS_MAKE ("{ RGB, BGR, RGBA, BGRx, NV12, I420 }")

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK, GST_PAD_ALWAYS, GST_STATIC_CAPS (LK_DETECT_CAPS));
static GstStaticPadTemplate src_template = GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS (LK_DETECT_CAPS));

typedef struct
{
  GstBuffer *buffer;            /* owned */
  guint64 frame;
  LkSkipReason skip;
  guint64 skipped_total;
  gboolean submitted;
  guint64 ticket;
  gint64 submit_us;
} LkPending;

#define GST_TYPE_LK_DROP_POLICY (gst_lk_drop_policy_get_type ())
static GType
gst_lk_drop_policy_get_type (void)
{
  static GType type;
  static const GEnumValue values[] = {
    {LK_DROP_NONE, "Infer every frame (or every interval-th); upstream waits",
        "none"},
    {LK_DROP_NEWEST, "Frames arriving while an inference runs pass without "
          "one, marked skipped (bounded latency for live sources)", "newest"},
    {0, NULL, NULL},
  };

  if (g_once_init_enter (&type)) {
    GType t = g_enum_register_static ("GstLkDropPolicy", values);
    g_once_init_leave (&type, t);
  }
  return type;
}

G_DEFINE_TYPE (GstLkDetect, gst_lk_detect, GST_TYPE_BASE_TRANSFORM);
GST_ELEMENT_REGISTER_DEFINE (lkdetect, "lkdetect", GST_RANK_NONE,
    GST_TYPE_LK_DETECT);

static void gst_lk_detect_finalize (GObject * object);
static void gst_lk_detect_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec);
static void gst_lk_detect_get_property (GObject * object, guint prop_id,
    GValue * value, GParamSpec * pspec);
static gboolean gst_lk_detect_start (GstBaseTransform * trans);
static gboolean gst_lk_detect_stop (GstBaseTransform * trans);
static gboolean gst_lk_detect_set_caps (GstBaseTransform * trans,
    GstCaps * incaps, GstCaps * outcaps);
static gboolean gst_lk_detect_sink_event (GstBaseTransform * trans,
    GstEvent * event);
static gboolean gst_lk_detect_query (GstBaseTransform * trans,
    GstPadDirection direction, GstQuery * query);
static GstFlowReturn gst_lk_detect_submit_input_buffer (GstBaseTransform *
    trans, gboolean is_discont, GstBuffer * input);
static GstFlowReturn gst_lk_detect_generate_output (GstBaseTransform * trans,
    GstBuffer ** outbuf);

static void
gst_lk_detect_class_init (GstLkDetectClass * klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstBaseTransformClass *trans_class = GST_BASE_TRANSFORM_CLASS (klass);
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS;

  gobject_class->finalize = gst_lk_detect_finalize;
  gobject_class->set_property = gst_lk_detect_set_property;
  gobject_class->get_property = gst_lk_detect_get_property;

  g_object_class_install_property (gobject_class, PROP_MODEL,
      g_param_spec_string ("model", "Model",
          "Detector model: .onnx, or darknet .cfg with its .weights beside "
          "it (unset: the built-in road model). Changing it while playing "
          "reloads at the next frame", DEFAULT_PROP_MODEL,
          rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_LABELS,
      g_param_spec_string ("labels", "Labels",
          "Labels file, one class name per line, overriding the model's",
          DEFAULT_PROP_LABELS, rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_DEVICE,
      g_param_spec_string ("device", "Device",
          "Vulkan device: index or case-insensitive name substring (unset: "
          "LOOKOUT_DEVICE, else the best device)", DEFAULT_PROP_DEVICE,
          rw | GST_PARAM_MUTABLE_READY));
  g_object_class_install_property (gobject_class, PROP_CONF_THRESHOLD,
      g_param_spec_float ("conf-threshold", "Confidence threshold",
          "Minimum detection score", 0.0f, 1.0f, DEFAULT_PROP_CONF_THRESHOLD,
          rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_IOU_THRESHOLD,
      g_param_spec_float ("iou-threshold", "IoU threshold",
          "Non-maximum suppression overlap threshold", 0.0f, 1.0f,
          DEFAULT_PROP_IOU_THRESHOLD, rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_MAX_DETECTIONS,
      g_param_spec_uint ("max-detections", "Maximum detections",
          "Most detections per frame (at most the value when the detector "
          "was built)", 1, 1000, DEFAULT_PROP_MAX_DETECTIONS,
          rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_CLASSES,
      g_param_spec_string ("classes", "Classes",
          "Only detect these classes: comma-separated labels or class ids, "
          "e.g. \"car,truck,person\" (unset: all)", DEFAULT_PROP_CLASSES,
          rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_INTERVAL,
      g_param_spec_uint ("interval", "Interval",
          "Run the detector on every Nth frame; the others pass marked "
          "skipped", 1, G_MAXUINT, DEFAULT_PROP_INTERVAL,
          rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_DROP,
      g_param_spec_enum ("drop", "Drop policy",
          "What to do with frames that arrive while an inference is running",
          GST_TYPE_LK_DROP_POLICY, DEFAULT_PROP_DROP,
          rw | GST_PARAM_MUTABLE_PLAYING));
  g_object_class_install_property (gobject_class, PROP_FRAMES_PROCESSED,
      g_param_spec_uint64 ("frames-processed", "Frames processed",
          "Frames the detector ran on", 0, G_MAXUINT64, 0,
          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));
  g_object_class_install_property (gobject_class, PROP_FRAMES_SKIPPED,
      g_param_spec_uint64 ("frames-skipped", "Frames skipped",
          "Frames passed without inference (interval or drop policy)",
          0, G_MAXUINT64, 0, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS));

  gst_element_class_set_static_metadata (element_class,
      "Lookout object detector", "Filter/Analyzer/Video",
      "Detects objects with a Lookout (Vulkan) detector and attaches them as "
      "region-of-interest metadata (example: decodebin ! videoconvert ! "
      "lkdetect model=yolox_nano.onnx ! lkoverlay ! ...)", "Lookout project");
  gst_element_class_add_static_pad_template (element_class, &sink_template);
  gst_element_class_add_static_pad_template (element_class, &src_template);

  trans_class->start = GST_DEBUG_FUNCPTR (gst_lk_detect_start);
  trans_class->stop = GST_DEBUG_FUNCPTR (gst_lk_detect_stop);
  trans_class->set_caps = GST_DEBUG_FUNCPTR (gst_lk_detect_set_caps);
  trans_class->sink_event = GST_DEBUG_FUNCPTR (gst_lk_detect_sink_event);
  trans_class->query = GST_DEBUG_FUNCPTR (gst_lk_detect_query);
  trans_class->submit_input_buffer =
      GST_DEBUG_FUNCPTR (gst_lk_detect_submit_input_buffer);
  trans_class->generate_output =
      GST_DEBUG_FUNCPTR (gst_lk_detect_generate_output);
  trans_class->passthrough_on_same_caps = FALSE;

  gst_type_mark_as_plugin_api (GST_TYPE_LK_DROP_POLICY, 0);
  GST_DEBUG_CATEGORY_INIT (gst_lk_detect_debug, "lkdetect", 0,
      "Lookout object detector");
}

static void
gst_lk_detect_init (GstLkDetect * self)
{
  self->conf_threshold = DEFAULT_PROP_CONF_THRESHOLD;
  self->iou_threshold = DEFAULT_PROP_IOU_THRESHOLD;
  self->max_detections = DEFAULT_PROP_MAX_DETECTIONS;
  self->interval = DEFAULT_PROP_INTERVAL;
  self->drop = DEFAULT_PROP_DROP;
  self->reported_latency = 0;
  g_queue_init (&self->pending);
  gst_video_info_init (&self->info);
  /* Frames pass unchanged; only metadata is added. */
  gst_base_transform_set_in_place (GST_BASE_TRANSFORM (self), TRUE);
}

static void
gst_lk_detect_finalize (GObject * object)
{
  GstLkDetect *self = GST_LK_DETECT (object);

  g_free (self->model);
  g_free (self->labels);
  g_free (self->device);
  g_free (self->classes);
  G_OBJECT_CLASS (gst_lk_detect_parent_class)->finalize (object);
}

static void
gst_lk_detect_set_property (GObject * object, guint prop_id,
    const GValue * value, GParamSpec * pspec)
{
  GstLkDetect *self = GST_LK_DETECT (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_free (self->model);
      self->model = g_value_dup_string (value);
      self->rebuild = TRUE;
      break;
    case PROP_LABELS:
      g_free (self->labels);
      self->labels = g_value_dup_string (value);
      self->rebuild = TRUE;
      break;
    case PROP_DEVICE:
      g_free (self->device);
      self->device = g_value_dup_string (value);
      self->rebuild = TRUE;
      break;
    case PROP_CLASSES:
      g_free (self->classes);
      self->classes = g_value_dup_string (value);
      self->rebuild = TRUE;
      break;
    case PROP_CONF_THRESHOLD:
      self->conf_threshold = g_value_get_float (value);
      self->thresholds_changed = TRUE;
      break;
    case PROP_IOU_THRESHOLD:
      self->iou_threshold = g_value_get_float (value);
      self->thresholds_changed = TRUE;
      break;
    case PROP_MAX_DETECTIONS:
      self->max_detections = g_value_get_uint (value);
      self->thresholds_changed = TRUE;
      break;
    case PROP_INTERVAL:
      self->interval = g_value_get_uint (value);
      break;
    case PROP_DROP:
      self->drop = g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_lk_detect_get_property (GObject * object, guint prop_id, GValue * value,
    GParamSpec * pspec)
{
  GstLkDetect *self = GST_LK_DETECT (object);

  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_MODEL:
      g_value_set_string (value, self->model);
      break;
    case PROP_LABELS:
      g_value_set_string (value, self->labels);
      break;
    case PROP_DEVICE:
      g_value_set_string (value, self->device);
      break;
    case PROP_CLASSES:
      g_value_set_string (value, self->classes);
      break;
    case PROP_CONF_THRESHOLD:
      g_value_set_float (value, self->conf_threshold);
      break;
    case PROP_IOU_THRESHOLD:
      g_value_set_float (value, self->iou_threshold);
      break;
    case PROP_MAX_DETECTIONS:
      g_value_set_uint (value, self->max_detections);
      break;
    case PROP_INTERVAL:
      g_value_set_uint (value, self->interval);
      break;
    case PROP_DROP:
      g_value_set_enum (value, self->drop);
      break;
    case PROP_FRAMES_PROCESSED:
      g_value_set_uint64 (value, self->frames_processed);
      break;
    case PROP_FRAMES_SKIPPED:
      g_value_set_uint64 (value, self->frames_skipped);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

/* The installed road model, else the source tree's (running from the build
 * tree); NULL when neither exists. */
static const gchar *
builtin_model (void)
{
  static const gchar *const paths[] = { LK_MODEL_INSTALLED, LK_MODEL_SOURCE };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    if (g_file_test (paths[i], G_FILE_TEST_IS_REGULAR))
      return paths[i];
  return NULL;
}

/* Class names or ids in spec to ids of the model's classes. */
static gboolean
resolve_classes (const gchar * spec, const lk_detector_info * info,
    GArray * ids, GString * err)
{
  gchar **tokens = g_strsplit (spec, ",", -1);
  gboolean ok = TRUE;

  for (gchar ** t = tokens; *t && ok; t++) {
    gchar *name = g_strstrip (*t), *end = NULL;
    gint64 id;
    gint found = -1;

    if (!*name)
      continue;
    id = g_ascii_strtoll (name, &end, 10);
    if (end && !*end) {
      if (id >= 0 && id < info->n_classes)
        found = (gint) id;
    } else {
      for (gint c = 0; c < info->n_classes && found < 0; c++)
        if (info->labels && info->labels[c]
            && !g_ascii_strcasecmp (info->labels[c], name))
          found = c;
    }
    if (found < 0) {
      g_string_printf (err, "unknown class \"%s\" in classes=\"%s\" (the "
          "model has %d classes; names come from its labels)", name, spec,
          info->n_classes);
      ok = FALSE;
    } else {
      g_array_append_val (ids, found);
    }
  }
  g_strfreev (tokens);
  return ok;
}

/* Builds the detector from the current properties; NULL with the error
 * posted on failure. */
static lk_detector *
create_detector (GstLkDetect * self)
{
  lk_detector_opts opts;
  lk_detector *det = NULL;
  lk_detector_info info;
  lk_msg msg = { {0} };
  lk_status st;
  gchar *model, *labels, *device, *classes;
  const gchar *path;
  GArray *ids = g_array_new (FALSE, FALSE, sizeof (gint));
  GString *err = g_string_new (NULL);

  GST_OBJECT_LOCK (self);
  model = g_strdup (self->model);
  labels = g_strdup (self->labels);
  device = g_strdup (self->device);
  classes = g_strdup (self->classes);
  lk_detector_opts_init (&opts);
  opts.score_threshold = self->conf_threshold;
  opts.iou_threshold = self->iou_threshold;
  opts.max_detections = (int) self->max_detections;
  self->rebuild = FALSE;
  self->thresholds_changed = FALSE;
  GST_OBJECT_UNLOCK (self);

  path = model && *model ? model : builtin_model ();
  if (!path)
    goto no_model;
  opts.device = device && *device ? device : NULL;
  opts.labels = labels && *labels ? labels : NULL;
  opts.in_flight = LK_DETECT_IN_FLIGHT;

  st = lk_detector_new (path, &opts, &det, &msg);
  if (st)
    goto load_failed;
  if (classes && *classes) {
    /* Names need the model's labels: build once to read them, then again
     * with the filter, which runs on the device. */
    lk_detector_get_info (det, &info);
    if (!resolve_classes (classes, &info, ids, err))
      goto bad_classes;
    lk_detector_free (det);
    det = NULL;
    opts.classes = (const int *) ids->data;
    opts.n_classes = (int) ids->len;
    st = lk_detector_new (path, &opts, &det, &msg);
    if (st)
      goto load_failed;
  }
  lk_detector_get_info (det, &info);
  GST_INFO_OBJECT (self, "model %s: family %s, input %dx%d, %d classes, on %s",
      path, lk_family_name (info.family), info.input_w, info.input_h,
      info.n_classes, info.device);

done:
  g_free (model);
  g_free (labels);
  g_free (device);
  g_free (classes);
  g_array_free (ids, TRUE);
  g_string_free (err, TRUE);
  return det;

  /* ERRORS */
no_model:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, NOT_FOUND,
        ("No model given and the built-in model is not installed (looked for "
            "%s and %s); give a model (the model property, lookout run --model)",
            LK_MODEL_INSTALLED,
            LK_MODEL_SOURCE), (NULL));
    goto done;
  }
load_failed:
  {
    if (st == LK_ERR_IO)
      GST_ELEMENT_ERROR (self, RESOURCE, OPEN_READ,
          ("Could not load model \"%s\": %s", path, msg.text), (NULL));
    else
      GST_ELEMENT_ERROR (self, LIBRARY, INIT,
          ("Could not set up the detector for \"%s\": %s (%s)", path,
              msg.text, lk_status_str (st)), (NULL));
    goto done;
  }
bad_classes:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS, ("%s", err->str), (NULL));
    lk_detector_free (det);
    det = NULL;
    goto done;
  }
}

static gboolean
gst_lk_detect_start (GstBaseTransform * trans)
{
  GstLkDetect *self = GST_LK_DETECT (trans);

  self->frame_count = 0;
  self->outstanding = 0;
  self->mean_ms = 0.0;
  self->reported_latency = 0;
  GST_OBJECT_LOCK (self);
  self->frames_processed = 0;
  self->frames_skipped = 0;
  GST_OBJECT_UNLOCK (self);
  /* Load now so a bad model or a missing device fails the state change. */
  self->det = create_detector (self);
  return self->det != NULL;
}

/* Waits for pending inferences and drops their frames (flush, stop). */
static void
discard_pending (GstLkDetect * self)
{
  LkPending *p;

  while ((p = g_queue_pop_head (&self->pending))) {
    if (p->submitted) {
      lk_detections dets = { 0 };
      lk_detector_collect (self->det, p->ticket, G_MAXUINT64, &dets, NULL);
      lk_detections_clear (&dets);
    }
    gst_buffer_unref (p->buffer);
    g_free (p);
  }
  self->outstanding = 0;
}

static gboolean
gst_lk_detect_stop (GstBaseTransform * trans)
{
  GstLkDetect *self = GST_LK_DETECT (trans);

  discard_pending (self);
  g_clear_pointer (&self->det, lk_detector_free);
  return TRUE;
}

static gboolean
gst_lk_detect_set_caps (GstBaseTransform * trans, GstCaps * incaps,
    GstCaps * outcaps)
{
  GstLkDetect *self = GST_LK_DETECT (trans);

  if (!gst_video_info_from_caps (&self->info, incaps))
    goto invalid_caps;
  switch (GST_VIDEO_INFO_FORMAT (&self->info)) {
    case GST_VIDEO_FORMAT_RGB:
      self->format = LK_PIXEL_RGB;
      break;
    case GST_VIDEO_FORMAT_BGR:
      self->format = LK_PIXEL_BGR;
      break;
    case GST_VIDEO_FORMAT_RGBA:
      self->format = LK_PIXEL_RGBA;
      break;
    case GST_VIDEO_FORMAT_BGRx:
      self->format = LK_PIXEL_BGRX;
      break;
    case GST_VIDEO_FORMAT_NV12:
      self->format = LK_PIXEL_NV12;
      break;
    case GST_VIDEO_FORMAT_I420:
      self->format = LK_PIXEL_I420;
      break;
    default:
      goto invalid_caps;
  }
  return TRUE;

  /* ERRORS */
invalid_caps:
  {
    GST_ERROR_OBJECT (self, "unsupported caps %" GST_PTR_FORMAT, incaps);
    return FALSE;
  }
}

static lk_status
submit_frame (GstLkDetect * self, GstBuffer * buffer, guint64 * ticket,
    lk_msg * msg)
{
  GstVideoFrame vf;
  lk_frame f = { 0 };
  lk_status st;

  if (!gst_video_frame_map (&vf, &self->info, buffer, GST_MAP_READ)) {
    g_snprintf (msg->text, sizeof msg->text, "could not map the frame");
    return LK_ERR_INVALID_ARG;
  }
  f.format = self->format;
  f.width = GST_VIDEO_FRAME_WIDTH (&vf);
  f.height = GST_VIDEO_FRAME_HEIGHT (&vf);
  for (guint i = 0; i < GST_VIDEO_FRAME_N_PLANES (&vf) && i < 3; i++) {
    f.planes[i] = GST_VIDEO_FRAME_PLANE_DATA (&vf, i);
    f.strides[i] = (size_t) GST_VIDEO_FRAME_PLANE_STRIDE (&vf, i);
  }
  f.bt709 = self->info.colorimetry.matrix == GST_VIDEO_COLOR_MATRIX_BT709;
  f.full_range = self->info.colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255;
  /* submit copies the frame, so the buffer is free again right after. */
  st = lk_detector_submit (self->det, &f, ticket, msg);
  gst_video_frame_unmap (&vf);
  return st;
}

static void
attach_detections (GstLkDetect * self, GstBuffer * buffer,
    const lk_detections * dets)
{
  gint w = GST_VIDEO_INFO_WIDTH (&self->info);
  gint h = GST_VIDEO_INFO_HEIGHT (&self->info);

  for (int i = 0; i < dets->count; i++) {
    const lk_detection *d = &dets->items[i];
    LkDetection det = {
      .label = d->label, .label_id = d->class_id, .confidence = d->score,
      .x_min = (gdouble) d->x1 / w, .y_min = (gdouble) d->y1 / h,
      .x_max = (gdouble) d->x2 / w, .y_max = (gdouble) d->y2 / h,
    };
    GstVideoRegionOfInterestMeta *roi =
        lk_buffer_add_detection (buffer, &det, w, h);
    roi->id = i;
  }
}

/* Frames in flight before the oldest must be waited for. */
static guint
max_outstanding (LkDropPolicy drop)
{
  return drop == LK_DROP_NEWEST ? 1 : LK_DETECT_IN_FLIGHT;
}

/* Tells the pipeline when the inference time, and with it this element's
 * latency, has moved by more than a quarter. */
static void
update_latency (GstLkDetect * self, gdouble ms)
{
  GstClockTime lat;
  gboolean post;

  self->mean_ms = self->frames_processed <= 1 ? ms :
      self->mean_ms + (ms - self->mean_ms) / 16.0;
  lat = (GstClockTime) (self->mean_ms * GST_MSECOND);
  GST_OBJECT_LOCK (self);
  post = lat > self->reported_latency * 5 / 4
      || lat < self->reported_latency * 3 / 4;
  if (post)
    self->reported_latency = lat;
  GST_OBJECT_UNLOCK (self);
  if (post)
    gst_element_post_message (GST_ELEMENT (self),
        gst_message_new_latency (GST_OBJECT (self)));
}

/* Finishes the oldest pending frame into *outbuf when it is ready (or
 * when wait is set); *outbuf stays NULL otherwise. */
static GstFlowReturn
finish_head (GstLkDetect * self, gboolean wait, GstBuffer ** outbuf)
{
  LkPending *p = g_queue_peek_head (&self->pending);
  lk_detections dets = { 0 };
  lk_msg msg = { {0} };
  lk_status st;
  LkFrameMeta *fm;
  GstBuffer *buf;
  gdouble ms = 0.0;

  *outbuf = NULL;
  if (!p)
    return GST_FLOW_OK;
  if (p->submitted) {
    st = lk_detector_collect (self->det, p->ticket, wait ? G_MAXUINT64 : 0,
        &dets, &msg);
    if (st == LK_ERR_NOT_READY && !wait)
      return GST_FLOW_OK;
    if (st)
      goto inference_failed;
    ms = dets.upload_ms + dets.gpu_ms + dets.readback_ms;
    if (ms <= 0.0)
      ms = (g_get_monotonic_time () - p->submit_us) / 1000.0;
    self->outstanding--;
  }
  g_queue_pop_head (&self->pending);
  buf = gst_buffer_make_writable (p->buffer);
  if (p->submitted)
    attach_detections (self, buf, &dets);
  fm = lk_buffer_add_frame_meta (buf);
  fm->frame = p->frame;
  fm->skip = p->skip;
  fm->inference_ms = ms;
  fm->skipped_total = p->skipped_total;
  if (p->submitted) {
    GST_OBJECT_LOCK (self);
    self->frames_processed++;
    GST_OBJECT_UNLOCK (self);
    update_latency (self, ms);
  }
  GST_LOG_OBJECT (self, "frame %" G_GUINT64_FORMAT ": %d detections, %s, "
      "%.1f ms", p->frame, dets.count, lk_skip_reason_name (p->skip), ms);
  lk_detections_clear (&dets);
  g_free (p);
  *outbuf = buf;
  return GST_FLOW_OK;

  /* ERRORS */
inference_failed:
  {
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("Detection failed on frame %" G_GUINT64_FORMAT ": %s", p->frame,
            msg.text), (NULL));
    lk_detections_clear (&dets);
    return GST_FLOW_ERROR;
  }
}

/* Pushes every pending frame downstream, waiting for its inference: before
 * serialized events (so they stay behind the frames that preceded them)
 * and before the detector is rebuilt. */
static GstFlowReturn
drain (GstLkDetect * self)
{
  GstBaseTransform *trans = GST_BASE_TRANSFORM (self);
  GstFlowReturn ret = GST_FLOW_OK;
  GstBuffer *buf;

  while (!g_queue_is_empty (&self->pending)) {
    ret = finish_head (self, TRUE, &buf);
    if (ret != GST_FLOW_OK)
      break;
    ret = gst_pad_push (GST_BASE_TRANSFORM_SRC_PAD (trans), buf);
    if (ret != GST_FLOW_OK)
      break;
  }
  if (ret != GST_FLOW_OK)
    discard_pending (self);
  return ret;
}

static gboolean
gst_lk_detect_sink_event (GstBaseTransform * trans, GstEvent * event)
{
  GstLkDetect *self = GST_LK_DETECT (trans);

  if (GST_EVENT_TYPE (event) == GST_EVENT_FLUSH_STOP)
    discard_pending (self);
  else if (GST_EVENT_IS_SERIALIZED (event))
    drain (self);
  return GST_BASE_TRANSFORM_CLASS (gst_lk_detect_parent_class)->sink_event
      (trans, event);
}

static gboolean
gst_lk_detect_query (GstBaseTransform * trans, GstPadDirection direction,
    GstQuery * query)
{
  GstLkDetect *self = GST_LK_DETECT (trans);
  gboolean live;
  GstClockTime min, max, ours;
  guint depth;

  if (GST_QUERY_TYPE (query) != GST_QUERY_LATENCY || direction != GST_PAD_SRC)
    return GST_BASE_TRANSFORM_CLASS (gst_lk_detect_parent_class)->query
        (trans, direction, query);
  if (!gst_pad_peer_query (GST_BASE_TRANSFORM_SINK_PAD (trans), query))
    return FALSE;
  gst_query_parse_latency (query, &live, &min, &max);
  /* A frame leaves once its inference and the ones queued before it are
   * done. */
  GST_OBJECT_LOCK (self);
  depth = max_outstanding (self->drop);
  ours = self->reported_latency * depth;
  GST_OBJECT_UNLOCK (self);
  min += ours;
  if (GST_CLOCK_TIME_IS_VALID (max))
    max += ours;
  GST_DEBUG_OBJECT (self, "latency: ours %" GST_TIME_FORMAT ", total min %"
      GST_TIME_FORMAT, GST_TIME_ARGS (ours), GST_TIME_ARGS (min));
  gst_query_set_latency (query, live, min, max);
  return TRUE;
}

static GstFlowReturn
gst_lk_detect_submit_input_buffer (GstBaseTransform * trans,
    gboolean is_discont, GstBuffer * input)
{
  GstLkDetect *self = GST_LK_DETECT (trans);
  LkPending *p;
  lk_msg msg = { {0} };
  lk_status st;
  gboolean rebuild, thresholds;
  gfloat conf, iou;
  guint max_det, interval;
  LkDropPolicy drop;
  GstFlowReturn ret;

  GST_OBJECT_LOCK (self);
  rebuild = self->rebuild;
  thresholds = self->thresholds_changed;
  self->thresholds_changed = FALSE;
  conf = self->conf_threshold;
  iou = self->iou_threshold;
  max_det = self->max_detections;
  interval = self->interval;
  drop = self->drop;
  GST_OBJECT_UNLOCK (self);

  if (rebuild) {
    ret = drain (self);
    if (ret != GST_FLOW_OK)
      goto drop_input;
    g_clear_pointer (&self->det, lk_detector_free);
    if (!(self->det = create_detector (self))) {
      ret = GST_FLOW_ERROR;
      goto drop_input;
    }
  } else if (thresholds) {
    st = lk_detector_set_thresholds (self->det, conf, iou, (int) max_det,
        &msg);
    if (st)
      goto bad_thresholds;
  }

  /* A result that is already in frees the device for this frame. */
  while (drop == LK_DROP_NEWEST && self->outstanding > 0) {
    GstBuffer *out;
    ret = finish_head (self, FALSE, &out);
    if (ret == GST_FLOW_OK && out)
      ret = gst_pad_push (GST_BASE_TRANSFORM_SRC_PAD (trans), out);
    if (ret != GST_FLOW_OK)
      goto drop_input;
    if (!out)
      break;
  }

  p = g_new0 (LkPending, 1);
  p->buffer = input;
  p->frame = self->frame_count++;
  if (p->frame % interval != 0)
    p->skip = LK_SKIP_INTERVAL;
  else if (drop == LK_DROP_NEWEST && self->outstanding > 0)
    p->skip = LK_SKIP_BUSY;
  if (p->skip == LK_SKIP_NONE) {
    /* drop=none: keep at most the in-flight frames on the device; wait for
     * the oldest before starting another. */
    while (self->outstanding >= max_outstanding (drop)) {
      GstBuffer *out;
      ret = finish_head (self, TRUE, &out);
      if (ret == GST_FLOW_OK && out)
        ret = gst_pad_push (GST_BASE_TRANSFORM_SRC_PAD (trans), out);
      if (ret != GST_FLOW_OK) {
        gst_buffer_unref (input);
        g_free (p);
        return ret;
      }
    }
    p->submit_us = g_get_monotonic_time ();
    st = submit_frame (self, input, &p->ticket, &msg);
    if (st) {
      g_free (p);
      goto submit_failed;
    }
    p->submitted = TRUE;
    self->outstanding++;
  } else {
    GST_OBJECT_LOCK (self);
    self->frames_skipped++;
    GST_OBJECT_UNLOCK (self);
  }
  p->skipped_total = self->frames_skipped;
  g_queue_push_tail (&self->pending, p);
  return GST_FLOW_OK;

  /* ERRORS */
drop_input:
  {
    gst_buffer_unref (input);
    return ret;
  }
bad_thresholds:
  {
    GST_ELEMENT_ERROR (self, RESOURCE, SETTINGS,
        ("Could not change thresholds: %s", msg.text), (NULL));
    gst_buffer_unref (input);
    return GST_FLOW_ERROR;
  }
submit_failed:
  {
    GST_ELEMENT_ERROR (self, STREAM, FAILED,
        ("Could not start detection on a %dx%d %s frame: %s",
            GST_VIDEO_INFO_WIDTH (&self->info),
            GST_VIDEO_INFO_HEIGHT (&self->info),
            GST_VIDEO_INFO_NAME (&self->info), msg.text), (NULL));
    gst_buffer_unref (input);
    return GST_FLOW_ERROR;
  }
}

static GstFlowReturn
gst_lk_detect_generate_output (GstBaseTransform * trans, GstBuffer ** outbuf)
{
  GstLkDetect *self = GST_LK_DETECT (trans);
  LkPending *p = g_queue_peek_head (&self->pending);
  LkDropPolicy drop;

  *outbuf = NULL;
  if (!p)
    return GST_FLOW_OK;
  GST_OBJECT_LOCK (self);
  drop = self->drop;
  GST_OBJECT_UNLOCK (self);
  /* drop=none waits for each result in turn once the device is full;
   * drop=newest never blocks the stream: unfinished work stays queued and
   * later frames pass it skipped. A skipped head goes out at once. */
  return finish_head (self, drop == LK_DROP_NONE
      && self->outstanding >= max_outstanding (drop), outbuf);
}
