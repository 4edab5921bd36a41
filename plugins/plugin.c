/* The "lookout" GStreamer plugin: registers its elements. */
#include <gst/gst.h>

#include "gstlkdetect.h"
#include "gstlkjsonsink.h"
#include "gstlkoverlay.h"

static gboolean
plugin_init (GstPlugin * plugin)
{
  gboolean ret = FALSE;

  ret |= GST_ELEMENT_REGISTER (lkdetect, plugin);
  ret |= GST_ELEMENT_REGISTER (lkoverlay, plugin);
  ret |= GST_ELEMENT_REGISTER (lkjsonsink, plugin);
  return ret;
}

GST_PLUGIN_DEFINE (GST_VERSION_MAJOR, GST_VERSION_MINOR, lookout,
    "Lookout real-time object detection on Vulkan: lkdetect, lkoverlay, "
    "lkjsonsink", plugin_init, LK_VERSION, "MIT", "Lookout", LK_ORIGIN)
