/* Box and text drawing for lkoverlay; see lkdraw.h. */
#include "lkdraw.h"

#include <string.h>

#include "lkfont_data.h"

LkColor
lk_color_for_frame (const GstVideoFrame * frame, guint8 r, guint8 g, guint8 b)
{
  LkColor col = { {r, g, b} };
  const GstVideoInfo *info = &frame->info;
  gdouble kr, kb, y, u, v, ys = 219.0, cs = 224.0, yo = 16.0;

  if (!GST_VIDEO_INFO_IS_YUV (info))
    return col;
  /* The frame's own matrix and range, BT.601 when it names none. */
  if (!gst_video_color_matrix_get_Kr_Kb (info->colorimetry.matrix, &kr, &kb)) {
    kr = 0.299;
    kb = 0.114;
  }
  if (info->colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255) {
    ys = 255.0;
    cs = 255.0;
    yo = 0.0;
  }
  y = (kr * r + (1.0 - kr - kb) * g + kb * b) / 255.0;
  u = (b / 255.0 - y) / (2.0 * (1.0 - kb));
  v = (r / 255.0 - y) / (2.0 * (1.0 - kr));
  col.c[0] = (guint8) CLAMP (yo + ys * y + 0.5, 0, 255);
  col.c[1] = (guint8) CLAMP (128.0 + cs * u + 0.5, 0, 255);
  col.c[2] = (guint8) CLAMP (128.0 + cs * v + 0.5, 0, 255);
  return col;
}

const lk_font *
lk_font_for_height (int height)
{
  return height < 900 ? &lk_font_15 : &lk_font_22;
}

int
lk_text_width (const lk_font * font, const char *text)
{
  int n = (int) strlen (text);

  return n > 0 ? (n - 1) * font->advance + font->w : 0;
}

void
lk_draw_fill (GstVideoFrame * frame, int x0, int y0, int x1, int y1,
    LkColor col)
{
  const GstVideoFormatInfo *finfo = frame->info.finfo;
  int fw = GST_VIDEO_FRAME_WIDTH (frame), fh = GST_VIDEO_FRAME_HEIGHT (frame);

  x0 = CLAMP (x0, 0, fw);
  x1 = CLAMP (x1, 0, fw);
  y0 = CLAMP (y0, 0, fh);
  y1 = CLAMP (y1, 0, fh);
  if (x0 >= x1 || y0 >= y1)
    return;
  for (int c = 0; c < 3; c++) {
    int ws = GST_VIDEO_FORMAT_INFO_W_SUB (finfo, c);
    int hs = GST_VIDEO_FORMAT_INFO_H_SUB (finfo, c);
    guint8 *data = GST_VIDEO_FRAME_COMP_DATA (frame, c);
    int stride = GST_VIDEO_FRAME_COMP_STRIDE (frame, c);
    int ps = GST_VIDEO_FRAME_COMP_PSTRIDE (frame, c);
    int sx1 = (x1 + (1 << ws) - 1) >> ws, sy1 = (y1 + (1 << hs) - 1) >> hs;

    for (int y = y0 >> hs; y < sy1; y++) {
      guint8 *p = data + (gsize) y * stride + (gsize) (x0 >> ws) * ps;
      for (int x = x0 >> ws; x < sx1; x++, p += ps)
        *p = col.c[c];
    }
  }
}

void
lk_draw_box (GstVideoFrame * frame, int x0, int y0, int x1, int y1,
    int thickness, LkColor col)
{
  lk_draw_fill (frame, x0, y0, x1, y0 + thickness, col);
  lk_draw_fill (frame, x0, y1 - thickness, x1, y1, col);
  lk_draw_fill (frame, x0, y0, x0 + thickness, y1, col);
  lk_draw_fill (frame, x1 - thickness, y0, x1, y1, col);
}

/* Coverage 0..15 of the glyph pixel (gx, gy). */
static int
glyph_alpha (const lk_font * font, int ch, int gx, int gy)
{
  char d;

  if (gx < 0 || gy < 0 || gx >= font->w || gy >= font->h)
    return 0;
  d = font->rows[(ch - 32) * font->h + gy][gx];
  if (d == '.')
    return 0;
  return d <= '9' ? d - '0' : d - 'a' + 10;
}

static void
draw_char (GstVideoFrame * frame, const lk_font * font, int ox, int oy, int ch,
    LkColor col)
{
  const GstVideoFormatInfo *finfo = frame->info.finfo;
  int fw = GST_VIDEO_FRAME_WIDTH (frame), fh = GST_VIDEO_FRAME_HEIGHT (frame);

  for (int c = 0; c < 3; c++) {
    int ws = GST_VIDEO_FORMAT_INFO_W_SUB (finfo, c);
    int hs = GST_VIDEO_FORMAT_INFO_H_SUB (finfo, c);
    guint8 *data = GST_VIDEO_FRAME_COMP_DATA (frame, c);
    int stride = GST_VIDEO_FRAME_COMP_STRIDE (frame, c);
    int ps = GST_VIDEO_FRAME_COMP_PSTRIDE (frame, c);
    int x0 = MAX (ox, 0), y0 = MAX (oy, 0);
    int x1 = MIN (ox + font->w, fw), y1 = MIN (oy + font->h, fh);

    if (x0 >= x1 || y0 >= y1)
      return;
    for (int y = y0 >> hs; y < (y1 + (1 << hs) - 1) >> hs; y++) {
      for (int x = x0 >> ws; x < (x1 + (1 << ws) - 1) >> ws; x++) {
        /* A subsampled sample takes the strongest coverage it spans, so
         * thin strokes keep their colour in 4:2:0. */
        int a = 0;
        for (int dy = 0; dy < (1 << hs); dy++)
          for (int dx = 0; dx < (1 << ws); dx++)
            a = MAX (a, glyph_alpha (font, ch, (x << ws) + dx - ox,
                    (y << hs) + dy - oy));
        if (a) {
          guint8 *p = data + (gsize) y * stride + (gsize) x * ps;
          *p = (guint8) ((*p * (15 - a) + col.c[c] * a + 7) / 15);
        }
      }
    }
  }
}

void
lk_draw_text (GstVideoFrame * frame, const lk_font * font, int x, int y,
    const char *text, LkColor col)
{
  for (const char *s = text; *s; s++, x += font->advance) {
    int ch = (unsigned char) *s;
    draw_char (frame, font, x, y, ch >= 32 && ch <= 126 ? ch : '?', col);
  }
}
