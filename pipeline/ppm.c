#include "ppm.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

/* Next header integer, skipping whitespace and '#' comments; -1 on error. */
static long header_int(FILE *f)
{
    int c = fgetc(f);
    for (;;) {
        while (c != EOF && isspace(c))
            c = fgetc(f);
        if (c != '#')
            break;
        while (c != EOF && c != '\n')
            c = fgetc(f);
    }
    long v = 0;
    int digits = 0;
    while (c != EOF && isdigit(c) && v < 1000000) {
        v = v * 10 + (c - '0');
        digits++;
        c = fgetc(f);
    }
    /* One whitespace byte ends the header's last field. */
    return digits && (c == EOF || isspace(c)) ? v : -1;
}

int ppm_read(const char *path, uint8_t **rgb, int *width, int *height, char *err,
             size_t err_cap)
{
    uint8_t *data = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_cap, "%s: cannot open", path);
        return -1;
    }
    long w, h, maxval;
    if (fgetc(f) != 'P' || fgetc(f) != '6') {
        snprintf(err, err_cap, "%s: not a binary PPM (P6)", path);
        goto fail;
    }
    w = header_int(f);
    h = header_int(f);
    maxval = header_int(f);
    if (w <= 0 || h <= 0 || w > 16384 || h > 16384 || maxval != 255) {
        snprintf(err, err_cap, "%s: bad PPM header (size %ldx%ld, maxval %ld)", path, w, h,
                 maxval);
        goto fail;
    }
    size_t n = (size_t)w * (size_t)h * 3;
    data = malloc(n);
    if (!data) {
        snprintf(err, err_cap, "%s: out of memory", path);
        goto fail;
    }
    if (fread(data, 1, n, f) != n) {
        snprintf(err, err_cap, "%s: truncated pixel data", path);
        goto fail;
    }
    fclose(f);
    *rgb = data;
    *width = (int)w;
    *height = (int)h;
    return 0;

fail:
    free(data);
    fclose(f);
    return -1;
}
