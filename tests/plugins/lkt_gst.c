/* Helpers for the plugin suites; see lkt_gst.h. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lkt_gst.h"

const char *const lkt_formats[6] = {"RGB", "BGR", "RGBA", "BGRx", "NV12", "I420"};

gchar *lkt_caps_str(const char *format, int w, int h)
{
    return g_strdup_printf("video/x-raw,format=%s,width=%d,height=%d,framerate=25/1,"
                           "colorimetry=%s", format, w, h,
                           (!strcmp(format, "NV12") || !strcmp(format, "I420")) ? "bt601"
                                                                                  : "sRGB");
}

void lkt_expected(const GstVideoInfo *info, guint8 r, guint8 g, guint8 b, guint8 out[3])
{
    if (!GST_VIDEO_INFO_IS_YUV(info)) {
        /* Component order of the format: R, G, B as comps 0..2. */
        out[0] = r, out[1] = g, out[2] = b;
        return;
    }
    /* ITU-R BT.601, limited range (Rec. 601 section 2.5). */
    double y = 16.0 + (65.481 * r + 128.553 * g + 24.966 * b) / 255.0;
    double u = 128.0 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255.0;
    double v = 128.0 + (112.0 * r - 93.786 * g - 18.214 * b) / 255.0;
    out[0] = (guint8)(y + 0.5);
    out[1] = (guint8)(u + 0.5);
    out[2] = (guint8)(v + 0.5);
}

GstBuffer *lkt_frame_new(const GstVideoInfo *info, guint8 r, guint8 g, guint8 b)
{
    GstBuffer *buf = gst_buffer_new_allocate(NULL, GST_VIDEO_INFO_SIZE(info), NULL);
    GstVideoFrame f;
    guint8 col[3];

    lkt_expected(info, r, g, b, col);
    /* Padding bytes (alpha, x) too, so whole-frame comparisons are exact. */
    gst_buffer_memset(buf, 0, 0xff, GST_VIDEO_INFO_SIZE(info));
    assert_true(gst_video_frame_map(&f, (GstVideoInfo *)info, buf, GST_MAP_WRITE));
    for (int c = 0; c < 3; c++) {
        guint8 *data = GST_VIDEO_FRAME_COMP_DATA(&f, c);
        int stride = GST_VIDEO_FRAME_COMP_STRIDE(&f, c), ps = GST_VIDEO_FRAME_COMP_PSTRIDE(&f, c);
        for (int y = 0; y < GST_VIDEO_FRAME_COMP_HEIGHT(&f, c); y++)
            for (int x = 0; x < GST_VIDEO_FRAME_COMP_WIDTH(&f, c); x++)
                data[(size_t)y * stride + (size_t)x * ps] = col[c];
    }
    gst_video_frame_unmap(&f);
    return buf;
}

void lkt_pixel(const GstVideoInfo *info, GstBuffer *buf, int x, int y, guint8 out[3])
{
    GstVideoFrame f;

    assert_true(gst_video_frame_map(&f, (GstVideoInfo *)info, buf, GST_MAP_READ));
    for (int c = 0; c < 3; c++) {
        int ws = GST_VIDEO_FORMAT_INFO_W_SUB(info->finfo, c);
        int hs = GST_VIDEO_FORMAT_INFO_H_SUB(info->finfo, c);
        const guint8 *data = GST_VIDEO_FRAME_COMP_DATA(&f, c);
        out[c] = data[(size_t)(y >> hs) * GST_VIDEO_FRAME_COMP_STRIDE(&f, c) +
                      (size_t)(x >> ws) * GST_VIDEO_FRAME_COMP_PSTRIDE(&f, c)];
    }
    gst_video_frame_unmap(&f);
}

const char *lkt_shared(void)
{
    const char *dir = getenv("LOOKOUT_SHARED");
    const char *ci = getenv("CI");
    static char path[4096];

    if (dir && *dir) {
        g_snprintf(path, sizeof path, "%s/assets/SOURCES.md", dir);
        if (g_file_test(path, G_FILE_TEST_EXISTS))
            return dir;
    }
    if (ci && !strcmp(ci, "true"))
        fail_msg("the shared assets are missing (LOOKOUT_SHARED=%s) and CI=true",
                 dir ? dir : "(unset)");
    return NULL;
}
