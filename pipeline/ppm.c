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

int ppm_read_stream(FILE *f, uint8_t **rgb, int *width, int *height,
                    char *err, size_t err_cap)
{
    uint8_t *data = NULL;
    long w, h, maxval;
    if (fgetc(f) != 'P' || fgetc(f) != '6') {
        snprintf(err, err_cap, "not a binary PPM (P6)");
        goto fail;
    }
    w = header_int(f);
    h = header_int(f);
    maxval = header_int(f);
    if (w <= 0 || h <= 0 || w > 16384 || h > 16384 || maxval != 255) {
        snprintf(err, err_cap, "bad PPM header (size %ldx%ld, maxval %ld)", w, h, maxval);
        goto fail;
    }
    size_t n = (size_t)w * (size_t)h * 3;
    data = malloc(n);
    if (!data) {
        snprintf(err, err_cap, "out of memory");
        goto fail;
    }
    if (fread(data, 1, n, f) != n) {
        snprintf(err, err_cap, "truncated pixel data");
        goto fail;
    }
    *rgb = data;
    *width = (int)w;
    *height = (int)h;
    return 0;

fail:
    free(data);
    return -1;
}

int ppm_read(const char *path, uint8_t **rgb, int *width, int *height, char *err,
             size_t err_cap)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, err_cap, "%s: cannot open", path);
        return -1;
    }
    char why[256];
    int r = ppm_read_stream(f, rgb, width, height, why, sizeof why);
    fclose(f);
    if (r)
        snprintf(err, err_cap, "%s: %s", path, why);
    return r;
}
