/* Drawing into mapped video frames of every format the elements accept
 * (packed RGB/BGR/RGBA/BGRx and planar or semi-planar 4:2:0 YUV), one
 * component at a time through GstVideoFormatInfo, so no format has its own
 * code path. Chroma is written per subsampled sample. */
#ifndef LK_GST_DRAW_H
#define LK_GST_DRAW_H

#include <gst/video/video.h>

G_BEGIN_DECLS

typedef struct {
  int w, h;                     /* cell size in pixels */
  int advance;                  /* pen advance per character */
  const char *const *rows;      /* 95 glyphs (ASCII 32..126) of h rows of w hex digits */
} lk_font;

/* A colour as the frame stores it: R,G,B or Y,U,V in component order. */
typedef struct {
  guint8 c[3];
} LkColor;

LkColor lk_color_for_frame (const GstVideoFrame * frame, guint8 r, guint8 g,
    guint8 b);

/* The font drawn on a frame of this height: readable at 720p and 1080p. */
const lk_font *lk_font_for_height (int height);
int lk_text_width (const lk_font * font, const char *text);

/* Rectangles are [x0, x1) x [y0, y1), clipped to the frame. */
void lk_draw_fill (GstVideoFrame * frame, int x0, int y0, int x1, int y1,
    LkColor col);
void lk_draw_box (GstVideoFrame * frame, int x0, int y0, int x1, int y1,
    int thickness, LkColor col);
/* Blends text with its top-left corner at (x, y); characters outside
 * ASCII 32..126 draw as '?'. */
void lk_draw_text (GstVideoFrame * frame, const lk_font * font, int x, int y,
    const char *text, LkColor col);

G_END_DECLS

#endif
