/* Darknet .cfg text: `[section]` headers and `key=value` lines. As darknet
 * reads it, all whitespace inside a line is dropped and lines starting with
 * '#' or ';' are comments. Stricter than darknet: a value must parse in
 * full (darknet's atoi reads "3x" as 3), a key may appear once per section,
 * and text before the first section or a line without '=' is an error. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "darknet_internal.h"

#define MAX_OPTS_PER_SECTION 256

static lk_status at(const dn_cfg *c, int line, lk_msg *msg, const char *what)
{
    return lk_fail(msg, LK_ERR_FORMAT, "%.200s:%d: %.250s", c->name, line, what);
}

void dn_cfg_free(dn_cfg *c)
{
    free(c->text);
    free(c->sections);
    free(c->opts);
    memset(c, 0, sizeof *c);
}

/* Removes every space, tab and CR of [p, end) in place; returns the new end. */
static char *squeeze(char *p, char *end)
{
    char *w = p;
    for (char *r = p; r < end; r++)
        if (*r != ' ' && *r != '\t' && *r != '\r' && *r != '\v' && *r != '\f')
            *w++ = *r;
    return w;
}

lk_status dn_cfg_parse(dn_cfg *c, const char *name, const char *text, size_t size, lk_msg *msg)
{
    lk_status st = LK_OK;
    size_t n_lines = 1;

    memset(c, 0, sizeof *c);
    c->name = name;
    if (memchr(text, 0, size))
        return lk_fail(msg, LK_ERR_FORMAT, "%.200s: NUL byte in the text (not a darknet cfg)",
                       name);
    for (size_t i = 0; i < size; i++)
        n_lines += text[i] == '\n';
    if (n_lines > 1000000)
        return lk_fail(msg, LK_ERR_FORMAT, "%.200s: %zu lines is too many for a cfg", name,
                       n_lines);
    c->text = malloc(size + 1);
    c->sections = calloc(n_lines, sizeof *c->sections);
    c->opts = calloc(n_lines, sizeof *c->opts);
    if (!c->text || !c->sections || !c->opts) {
        st = lk_fail(msg, LK_ERR_NO_MEMORY, "%.200s: out of memory", name);
        goto fail;
    }
    memcpy(c->text, text, size);
    c->text[size] = 0;

    char *p = c->text, *end = c->text + size;
    for (int line = 1; p <= end; line++) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *le = nl ? nl : end;
        char *e = squeeze(p, le);
        *e = 0;
        if (p == e || *p == '#' || *p == ';') {
            /* blank or comment */
        } else if (*p == '[') {
            if (e[-1] != ']' || e - p < 3) {
                st = at(c, line, msg, "section header without a closing ']' or name");
                goto fail;
            }
            e[-1] = 0;
            dn_section *s = &c->sections[c->n_sections++];
            s->type = p + 1;
            s->line = line;
            s->opts = c->opts + c->n_opts;
        } else {
            char *eq = strchr(p, '=');
            if (!c->n_sections) {
                st = at(c, line, msg, "option before the first [section]");
                goto fail;
            }
            if (!eq || eq == p) {
                st = at(c, line, msg, "expected key=value");
                goto fail;
            }
            *eq = 0;
            dn_section *s = &c->sections[c->n_sections - 1];
            for (int i = 0; i < s->n_opts; i++)
                if (!strcmp(s->opts[i].key, p)) {
                    char b[300];
                    snprintf(b, sizeof b, "[%.40s]: key '%.40s' repeated (first at line %d)",
                             s->type, p, s->opts[i].line);
                    st = at(c, line, msg, b);
                    goto fail;
                }
            if (s->n_opts >= MAX_OPTS_PER_SECTION) {
                st = at(c, line, msg, "more than 256 options in one section");
                goto fail;
            }
            dn_option *o = &c->opts[c->n_opts++];
            s->n_opts++;
            o->key = p;
            o->value = eq + 1;
            o->line = line;
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    if (c->n_sections)
        return LK_OK;
    st = lk_fail(msg, LK_ERR_FORMAT, "%.200s: no [sections] (not a darknet cfg)", name);
fail:
    dn_cfg_free(c);
    return st;
}

static dn_option *find(dn_section *s, const char *key)
{
    for (int i = 0; i < s->n_opts; i++)
        if (!strcmp(s->opts[i].key, key)) {
            s->opts[i].used = 1;
            return &s->opts[i];
        }
    return NULL;
}

static lk_status bad_value(const dn_cfg *c, const dn_section *s, const dn_option *o,
                           const char *want, lk_msg *msg)
{
    return lk_fail(msg, LK_ERR_FORMAT, "%.200s:%d: [%.40s] %.40s=%.40s: expected %.100s",
                   c->name, o->line, s->type, o->key, o->value, want);
}

/* Parses one integer from [p, end); 0 on success. */
static int parse_int(const char *p, const char *end, int lo, int hi, int *out)
{
    char buf[32], *e;
    size_t n = (size_t)(end - p);
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, p, n);
    buf[n] = 0;
    errno = 0;
    long v = strtol(buf, &e, 10);
    if (*e || errno || v < lo || v > hi)
        return -1;
    *out = (int)v;
    return 0;
}

static int parse_float(const char *p, const char *end, float lo, float hi, float *out)
{
    char buf[48], *e;
    size_t n = (size_t)(end - p);
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, p, n);
    buf[n] = 0;
    errno = 0;
    double v = strtod(buf, &e);
    if (*e || errno || !isfinite(v) || !(v >= lo && v <= hi))
        return -1;
    *out = (float)v;
    return 0;
}

lk_status dn_get_int(const dn_cfg *c, dn_section *s, const char *key, int def, int lo, int hi,
                     int *out, lk_msg *msg)
{
    dn_option *o = find(s, key);
    char want[64];
    *out = def;
    if (!o)
        return LK_OK;
    snprintf(want, sizeof want, "an integer in %d..%d", lo, hi);
    if (parse_int(o->value, o->value + strlen(o->value), lo, hi, out))
        return bad_value(c, s, o, want, msg);
    return LK_OK;
}

lk_status dn_get_float(const dn_cfg *c, dn_section *s, const char *key, float def, float lo,
                       float hi, float *out, lk_msg *msg)
{
    dn_option *o = find(s, key);
    char want[64];
    *out = def;
    if (!o)
        return LK_OK;
    snprintf(want, sizeof want, "a number in %g..%g", (double)lo, (double)hi);
    if (parse_float(o->value, o->value + strlen(o->value), lo, hi, out))
        return bad_value(c, s, o, want, msg);
    return LK_OK;
}

/* Splits the value on commas, calling parse_int or parse_float per item. */
static lk_status get_list(const dn_cfg *c, dn_section *s, const char *key, int is_float,
                          double lo, double hi, void *out, int cap, int *n, lk_msg *msg)
{
    dn_option *o = find(s, key);
    char want[96];
    *n = 0;
    if (!o)
        return LK_OK;
    snprintf(want, sizeof want, "at most %d comma-separated %s in %g..%g", cap,
             is_float ? "numbers" : "integers", lo, hi);
    const char *p = o->value;
    for (;;) {
        const char *comma = strchr(p, ',');
        const char *e = comma ? comma : p + strlen(p);
        int bad = *n >= cap;
        if (!bad && is_float)
            bad = parse_float(p, e, (float)lo, (float)hi, (float *)out + *n);
        else if (!bad)
            bad = parse_int(p, e, (int)lo, (int)hi, (int *)out + *n);
        if (bad)
            return bad_value(c, s, o, want, msg);
        (*n)++;
        if (!comma)
            return LK_OK;
        p = comma + 1;
    }
}

lk_status dn_get_ints(const dn_cfg *c, dn_section *s, const char *key, int lo, int hi,
                      int *out, int cap, int *n, lk_msg *msg)
{
    return get_list(c, s, key, 0, lo, hi, out, cap, n, msg);
}

lk_status dn_get_floats(const dn_cfg *c, dn_section *s, const char *key, float lo, float hi,
                        float *out, int cap, int *n, lk_msg *msg)
{
    return get_list(c, s, key, 1, lo, hi, out, cap, n, msg);
}

const char *dn_get_str(dn_section *s, const char *key)
{
    dn_option *o = find(s, key);
    return o ? o->value : NULL;
}

void dn_ignore(dn_section *s, const char *const *keys)
{
    for (; *keys; keys++)
        find(s, *keys);
}

lk_status dn_check_all_used(const dn_cfg *c, const dn_section *s, lk_msg *msg)
{
    for (int i = 0; i < s->n_opts; i++)
        if (!s->opts[i].used)
            return lk_fail(msg, LK_ERR_UNSUPPORTED,
                           "%.200s:%d: [%.40s] option '%.40s' is not supported by Lookout's "
                           "darknet loader", c->name, s->opts[i].line, s->type, s->opts[i].key);
    return LK_OK;
}
