/* Binary PPM (P6, maxval 255) reading: the image format the tools and tests
 * exchange with the Python reference scripts, so that no image codec is
 * needed outside GStreamer. */
#ifndef LK_PPM_H
#define LK_PPM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Reads path into a malloc'd RGB buffer (width·3 bytes per row). Returns 0,
 * or -1 with a one-line reason in err. */
int ppm_read(const char *path, uint8_t **rgb, int *width, int *height, char *err,
             size_t err_cap);
/* The same from an open stream (a file, or a decoder's pipe); err then
 * holds the reason alone. */
int ppm_read_stream(FILE *f, uint8_t **rgb, int *width, int *height, char *err,
                    size_t err_cap);

#endif
