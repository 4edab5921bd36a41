/* The darknet loader's parsed cfg: sections of key=value options with
 * their line numbers, and typed getters that range-check every value and
 * report the file, line and section of a bad one. */
#ifndef LK_DARKNET_INTERNAL_H
#define LK_DARKNET_INTERNAL_H

#include <stddef.h>

#include "graph.h"

typedef struct dn_option {
    char *key, *value;       /* point into the section's copy of the text */
    int line;
    int used;                /* read by a getter (or known to be training-only) */
} dn_option;

typedef struct dn_section {
    char *type;              /* "convolutional", without brackets */
    int line;
    dn_option *opts;
    int n_opts;
} dn_section;

typedef struct dn_cfg {
    const char *name;        /* the file name used in messages */
    char *text;              /* owned, NUL-separated tokens */
    dn_section *sections;    /* owned */
    int n_sections;
    dn_option *opts;         /* owned; sections point into it */
    int n_opts;
} dn_cfg;

lk_status dn_cfg_parse(dn_cfg *c, const char *name, const char *text, size_t size, lk_msg *msg);
void dn_cfg_free(dn_cfg *c);

/* Getters: absent keys give the default; a present one must parse in full
 * and lie in [lo, hi]. */
lk_status dn_get_int(const dn_cfg *c, dn_section *s, const char *key, int def, int lo, int hi,
                     int *out, lk_msg *msg);
lk_status dn_get_float(const dn_cfg *c, dn_section *s, const char *key, float def, float lo,
                       float hi, float *out, lk_msg *msg);
/* A comma-separated list of at most cap values; *n = 0 when absent. */
lk_status dn_get_ints(const dn_cfg *c, dn_section *s, const char *key, int lo, int hi,
                      int *out, int cap, int *n, lk_msg *msg);
lk_status dn_get_floats(const dn_cfg *c, dn_section *s, const char *key, float lo, float hi,
                        float *out, int cap, int *n, lk_msg *msg);
/* The raw string, or NULL when absent. */
const char *dn_get_str(dn_section *s, const char *key);
/* Marks the listed keys as read (options with no effect on inference). */
void dn_ignore(dn_section *s, const char *const *keys);
/* Refuses the first option no getter read. */
lk_status dn_check_all_used(const dn_cfg *c, const dn_section *s, lk_msg *msg);

#endif
