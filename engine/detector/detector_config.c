/* What a detector model is: loads the network (ONNX or darknet) and
 * resolves its family, input size, pre-processing and labels from the
 * caller's options, the model's `lookout.*` metadata, the sidecar file and,
 * for the family, the output shapes. The first source that names a key
 * wins; family defaults fill the rest (from each family's reference code,
 * see ../shared/assets/SOURCES.md). */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detector_internal.h"
#include "graph.h"
#include "lookout/onnx.h"

enum { K_FAMILY, K_INPUT, K_RESIZE, K_INTERP, K_CHANNELS, K_SCALE, K_MEAN, K_STD, K_PAD,
       K_LABELS, K_YOLOV1, K_COUNT };
static const char *const key_names[K_COUNT] = {"family", "input", "resize", "interp", "channels",
                                               "scale", "mean", "std", "pad", "labels", "yolov1"};

static const char *const family_names[LK_FAMILY_COUNT] = {"auto", "yolox", "ultralytics",
                                                          "fastestdet", "darknet", "yolov1"};
#define KNOWN_FAMILIES "yolox, ultralytics, fastestdet, darknet, yolov1"

const char *lk_family_name(lk_family f)
{
    return (unsigned)f < LK_FAMILY_COUNT ? family_names[f] : "unknown";
}

const char *lk_pixel_format_name(lk_pixel_format f)
{
    static const char *const names[LK_PIXEL_COUNT] = {"RGB", "BGR", "RGBA", "BGRx", "NV12", "I420"};
    return (unsigned)f < LK_PIXEL_COUNT ? names[f] : "unknown";
}

/* Key values and where each came from (for messages). */
typedef struct settings {
    char *val[K_COUNT];
    char where[K_COUNT][300];
} settings;

static void settings_free(settings *s)
{
    for (int k = 0; k < K_COUNT; k++)
        free(s->val[k]);
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
    return s;
}

/* Records key = value unless an earlier source set it. An unknown key is
 * an error in a sidecar (a typo) but not in metadata, where exporters keep
 * descriptive keys of their own (lookout.name, lookout.model_card). */
static lk_status put(settings *s, const char *key, const char *value, const char *where,
                     int strict, lk_msg *msg)
{
    for (int k = 0; k < K_COUNT; k++) {
        if (strcmp(key, key_names[k]))
            continue;
        if (s->val[k])
            return LK_OK;
        s->val[k] = strdup(value);
        if (!s->val[k])
            return lk_fail(msg, LK_ERR_NO_MEMORY, "detector: out of memory");
        snprintf(s->where[k], sizeof s->where[k], "%s", where);
        return LK_OK;
    }
    if (!strict)
        return LK_OK;
    return lk_fail(msg, LK_ERR_FORMAT, "%s: unknown key '%.40s' (known: family, input, resize, "
                   "interp, channels, scale, mean, std, pad, labels, yolov1)", where, key);
}

static lk_status read_text(const char *path, char **out, size_t *len, lk_msg *msg)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;
    *out = NULL;
    if (!f)
        return lk_fail(msg, LK_ERR_IO, "%s: %s", path, strerror(errno));
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *p = cap > ((size_t)64 << 20) ? NULL : realloc(buf, cap);
            if (!p) {
                free(buf);
                fclose(f);
                return lk_fail(msg, LK_ERR_NO_MEMORY, "%s: too large or out of memory", path);
            }
            buf = p;
        }
        size_t got = fread(buf + n, 1, 4096, f);
        n += got;
        if (got < 4096)
            break;
    }
    fclose(f);
    buf[n] = 0;
    *out = buf;
    if (len)
        *len = n;
    return LK_OK;
}

/* Sidecar: `key = value` lines, '#' comments. */
static lk_status read_sidecar(const char *path, settings *s, lk_msg *msg)
{
    char *text, *line, *save = NULL, where[300];
    lk_status st = read_text(path, &text, NULL, msg);
    int ln = 0;
    if (st)
        return st;
    for (line = strtok_r(text, "\n", &save); line && !st; line = strtok_r(NULL, "\n", &save)) {
        ln++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = 0;
        char *l = trim(line);
        if (!*l)
            continue;
        char *eq = strchr(l, '=');
        snprintf(where, sizeof where, "%.250s:%d", path, ln);
        if (!eq) {
            st = lk_fail(msg, LK_ERR_FORMAT, "%s: expected `key = value`", where);
            break;
        }
        *eq = 0;
        st = put(s, trim(l), trim(eq + 1), where, 1, msg);
    }
    free(text);
    return st;
}

static lk_status read_metadata(const char *path, settings *s, lk_msg *msg)
{
    lk_onnx_prop *props;
    int n;
    char where[300];
    lk_status st = lk_onnx_metadata(path, &props, &n, msg);
    for (int i = 0; i < n && !st; i++) {
        if (strncmp(props[i].key, "lookout.", 8))
            continue;
        snprintf(where, sizeof where, "%.200s: metadata %.60s", path, props[i].key);
        st = put(s, props[i].key + 8, props[i].value, where, 0, msg);
    }
    free(props);
    return st;
}

static int file_exists(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f)
        fclose(f);
    return f != NULL;
}

/* "dir/model.onnx" → "dir/model" + suffix (the extension replaced). */
static char *with_suffix(const char *path, const char *suffix)
{
    const char *slash = strrchr(path, '/'), *dot = strrchr(path, '.');
    size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - path) : strlen(path);
    char *out = malloc(stem + strlen(suffix) + 1);
    if (out) {
        memcpy(out, path, stem);
        strcpy(out + stem, suffix);
    }
    return out;
}

/* A path relative to the model's folder (absolute paths stay). */
static char *beside(const char *model, const char *rel)
{
    const char *slash = strrchr(model, '/');
    size_t dir = rel[0] == '/' || !slash ? 0 : (size_t)(slash - model) + 1;
    char *out = malloc(dir + strlen(rel) + 1);
    if (out) {
        memcpy(out, model, dir);
        strcpy(out + dir, rel);
    }
    return out;
}

static int parse_floats(const char *s, float *v, int n)
{
    for (int i = 0; i < n; i++) {
        char *end;
        while (*s == ',' || isspace((unsigned char)*s))
            s++;
        v[i] = strtof(s, &end);
        if (end == s || !isfinite(v[i]))
            return 0;
        s = end;
    }
    while (*s == ',' || isspace((unsigned char)*s))
        s++;
    return *s == 0;
}

static int parse_pair(const char *s, const char *seps, int *a, int *b)
{
    char *end;
    long x = strtol(s, &end, 10), y;
    if (end == s || !*end || !strchr(seps, *end))
        return 0;
    s = end + 1;
    y = strtol(s, &end, 10);
    if (end == s || *trim(end) || x < 1 || y < 1 || x > 16384 || y > 16384)
        return 0;
    *a = (int)x;
    *b = (int)y;
    return 1;
}

static lk_status bad_value(const settings *s, int k, const char *want, lk_msg *msg)
{
    return lk_fail(msg, LK_ERR_FORMAT, "%s: %s = '%.60s': want %s", s->where[k], key_names[k],
                   s->val[k], want);
}

/* ---------------------------------------------------------------- labels */

static lk_status labels_from_lines(char *text, const char *what, int n_classes, char ***out,
                                   lk_msg *msg)
{
    int n = 0;
    char **names = calloc((size_t)n_classes + 1, sizeof *names);
    if (!names)
        return lk_fail(msg, LK_ERR_NO_MEMORY, "detector: out of memory");
    for (char *p = text; *p;) {
        char *nl = strchr(p, '\n'), *next = nl ? nl + 1 : p + strlen(p);
        if (nl)
            *nl = 0;
        size_t len = strlen(p);
        if (len && p[len - 1] == '\r')
            p[--len] = 0;
        /* A final empty line (the file ends with a newline) is not a name. */
        if (!(len == 0 && *next == 0)) {
            if (n < n_classes && !(names[n] = strdup(p)))
                break;
            n++;
        }
        p = next;
    }
    if (n != n_classes) {
        for (int i = 0; i < n_classes; i++)
            free(names[i]);
        free(names);
        return lk_fail(msg, LK_ERR_FORMAT, "labels %s has %d names, the model has %d classes",
                       what, n, n_classes);
    }
    *out = names;
    return LK_OK;
}

/* A JSON array of strings (metadata lookout.labels), as lines. */
static lk_status labels_from_json(const char *json, const char *what, int n_classes, char ***out,
                                  lk_msg *msg)
{
    size_t len = strlen(json);
    char *lines = malloc(len + 1), *o = lines;
    const char *p = json;
    lk_status st;
    if (!lines)
        return lk_fail(msg, LK_ERR_NO_MEMORY, "detector: out of memory");
    while (isspace((unsigned char)*p))
        p++;
    if (*p++ != '[')
        goto bad;
    for (int first = 1;; first = 0) {
        while (isspace((unsigned char)*p))
            p++;
        if (*p == ']' && first)
            break;
        if (*p++ != '"')
            goto bad;
        for (; *p != '"'; p++) {
            if (!*p || *p == '\n')
                goto bad;
            if (*p == '\\') {
                p++;
                if (*p != '"' && *p != '\\' && *p != '/')
                    goto bad;
            }
            *o++ = *p;
        }
        *o++ = '\n';
        p++;
        while (isspace((unsigned char)*p))
            p++;
        if (*p == ']')
            break;
        if (*p++ != ',')
            goto bad;
    }
    *o = 0;
    st = labels_from_lines(lines, what, n_classes, out, msg);
    free(lines);
    return st;
bad:
    free(lines);
    return lk_fail(msg, LK_ERR_FORMAT, "labels %s: not a JSON array of strings", what);
}

static lk_status load_labels(const char *path, int n_classes, char ***out, lk_msg *msg)
{
    char *text;
    lk_status st = read_text(path, &text, NULL, msg);
    if (st) {
        lk_msg why = {{0}};
        if (msg)
            why = *msg;
        return lk_fail(msg, st, "labels file %.480s", why.text);
    }
    st = labels_from_lines(text, path, n_classes, out, msg);
    free(text);
    return st;
}

/* ----------------------------------------------------------- families */

/* Rows of YOLOX-style outputs: the stride 8, 16 and 32 grids. */
static int64_t anchor_points(int h, int w)
{
    int64_t n = 0;
    for (int s = 8; s <= 32; s *= 2)
        n += (int64_t)((h + s - 1) / s) * ((w + s - 1) / s);
    return n;
}

static lk_family family_from_shapes(const lk_graph *g, int h, int w)
{
    lk_shape s;
    if (lk_graph_n_outputs(g) != 1)
        return LK_FAMILY_AUTO;
    lk_graph_shape(g, lk_graph_output_tensor(g, 0), &s);
    int64_t n = anchor_points(h, w);
    if (s.rank == 3 && s.d[0] == 1 && s.d[1] == n && s.d[2] > 5)
        return LK_FAMILY_YOLOX;
    if (s.rank == 3 && s.d[0] == 1 && s.d[2] == n && s.d[1] > 4)
        return LK_FAMILY_ULTRALYTICS;
    if (s.rank == 4 && s.d[0] == 1 && s.d[1] > 5 && s.d[2] == h / 16 && s.d[3] == w / 16)
        return LK_FAMILY_FASTESTDET;
    return LK_FAMILY_AUTO;
}

static const char *outputs_str(const lk_graph *g, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = 0;
    for (int i = 0; i < lk_graph_n_outputs(g) && used + 2 < cap; i++) {
        lk_shape s;
        char b[96];
        lk_graph_shape(g, lk_graph_output_tensor(g, i), &s);
        used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? ", " : "",
                                 lk_shape_str(&s, b, sizeof b));
    }
    return buf;
}

/* Class count from the output shape(s), checking the family's layout. */
static lk_status classes_of(lk_det_model *m, lk_msg *msg)
{
    const lk_graph *g = m->g;
    lk_shape s;
    char b[256];
    int64_t c = 0;
    if (m->family == LK_FAMILY_DARKNET) {
        c = m->dk.n_heads ? m->dk.heads[0].classes : 0;
        for (int i = 1; i < m->dk.n_heads; i++)
            if (m->dk.heads[i].classes != c)
                return lk_fail(msg, LK_ERR_FORMAT, "darknet heads disagree on the class count");
    } else {
        if (lk_graph_n_outputs(g) != 1)
            return lk_fail(msg, LK_ERR_UNSUPPORTED, "family %s expects one output, the model has "
                           "%d (%s)", lk_family_name(m->family), lk_graph_n_outputs(g),
                           outputs_str(g, b, sizeof b));
        lk_graph_shape(g, lk_graph_output_tensor(g, 0), &s);
        if (m->family == LK_FAMILY_YOLOX && s.rank == 3)
            c = s.d[2] - 5;
        else if (m->family == LK_FAMILY_ULTRALYTICS && s.rank == 3)
            c = s.d[1] - 4;
        else if (m->family == LK_FAMILY_FASTESTDET && s.rank == 4)
            c = s.d[1] - 5;
        else if (m->family == LK_FAMILY_YOLOV1 && s.rank == 4) {
            if (!m->grid_s)
                m->grid_s = (int)s.d[1];
            c = s.d[3] - 5 * (int64_t)m->boxes_b;
        } else if (m->family == LK_FAMILY_YOLOV1 && s.rank == 2 && m->grid_s) {
            int64_t cells = (int64_t)m->grid_s * m->grid_s;
            c = s.d[1] % cells ? 0 : s.d[1] / cells - 5 * (int64_t)m->boxes_b;
        }
    }
    if (c < 1 || c > 65536)
        return lk_fail(msg, LK_ERR_SHAPE, "output %s does not fit family %s%s",
                       outputs_str(g, b, sizeof b), lk_family_name(m->family),
                       m->family == LK_FAMILY_YOLOV1 ? " (set yolov1 = S,B)" : "");
    m->n_classes = (int)c;
    return LK_OK;
}

static void family_defaults(lk_det_model *m)
{
    int yolox = m->family == LK_FAMILY_YOLOX;
    m->bgr = yolox || m->family == LK_FAMILY_FASTESTDET;
    m->scale = yolox ? 1.0f : 1.0f / 255.0f;
    m->fit = yolox ? LK_FIT_LETTERBOX
           : m->family == LK_FAMILY_ULTRALYTICS ? LK_FIT_LETTERBOX_CENTER : LK_FIT_STRETCH;
    m->interp = m->family == LK_FAMILY_FASTESTDET ? LK_INTERP_AREA : LK_INTERP_BILINEAR;
    m->pad = 114.0f;
    for (int c = 0; c < 3; c++) {
        m->mean[c] = 0.0f;
        m->std[c] = 1.0f;
    }
}

static lk_status apply_settings(lk_det_model *m, const settings *s, lk_msg *msg)
{
    const char *v;
    if ((v = s->val[K_RESIZE])) {
        if (!strcmp(v, "letterbox"))
            m->fit = LK_FIT_LETTERBOX;
        else if (!strcmp(v, "letterbox-center"))
            m->fit = LK_FIT_LETTERBOX_CENTER;
        else if (!strcmp(v, "stretch"))
            m->fit = LK_FIT_STRETCH;
        else
            return bad_value(s, K_RESIZE, "letterbox, letterbox-center or stretch", msg);
    }
    if ((v = s->val[K_INTERP])) {
        if (!strcmp(v, "bilinear") || !strcmp(v, "area"))
            m->interp = !strcmp(v, "area") ? LK_INTERP_AREA : LK_INTERP_BILINEAR;
        else
            return bad_value(s, K_INTERP, "bilinear or area", msg);
    }
    if ((v = s->val[K_CHANNELS])) {
        if (!strcmp(v, "rgb") || !strcmp(v, "bgr"))
            m->bgr = !strcmp(v, "bgr");
        else
            return bad_value(s, K_CHANNELS, "rgb or bgr", msg);
    }
    if (s->val[K_SCALE] && (!parse_floats(s->val[K_SCALE], &m->scale, 1) || m->scale == 0.0f))
        return bad_value(s, K_SCALE, "a non-zero number", msg);
    if (s->val[K_MEAN] && !parse_floats(s->val[K_MEAN], m->mean, 3))
        return bad_value(s, K_MEAN, "three numbers", msg);
    if (s->val[K_STD] && (!parse_floats(s->val[K_STD], m->std, 3) || !m->std[0] || !m->std[1] ||
                          !m->std[2]))
        return bad_value(s, K_STD, "three non-zero numbers", msg);
    if (s->val[K_PAD] && !parse_floats(s->val[K_PAD], &m->pad, 1))
        return bad_value(s, K_PAD, "a number (0..255 scale)", msg);
    return LK_OK;
}

static lk_status parse_family(const char *name, lk_family *f)
{
    for (int i = 1; i < LK_FAMILY_COUNT; i++)
        if (!strcmp(name, family_names[i])) {
            *f = (lk_family)i;
            return LK_OK;
        }
    return LK_ERR_UNSUPPORTED;
}

/* ---------------------------------------------------------------- load */

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

void lk_det_model_free(lk_det_model *m)
{
    if (m->labels)
        for (int i = 0; i < m->n_classes; i++)
            free(m->labels[i]);
    free(m->labels);
    lk_graph_free(m->g);
    memset(m, 0, sizeof *m);
}

lk_status lk_det_model_load(const char *path, const lk_detector_opts *o, lk_det_model *m,
                            lk_msg *msg)
{
    settings s;
    char *sidecar = NULL, *labels_path = NULL, shapes[256];
    int darknet, hw[2] = {0, 0};
    lk_status st = LK_OK;

    memset(m, 0, sizeof *m);
    memset(&s, 0, sizeof s);
    m->boxes_b = 2;
    if (!path || !*path)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "detector: no model path");
    darknet = ends_with(path, ".cfg");
    if (!file_exists(path))
        return lk_fail(msg, LK_ERR_IO, "%s: %s", path, strerror(errno));
    if (!darknet && !ends_with(path, ".onnx"))
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "%s: not a model file (.onnx, or a darknet "
                       ".cfg with its .weights)", path);
    if (o->family < LK_FAMILY_AUTO || o->family >= LK_FAMILY_COUNT)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "detector: family %d unknown; known families: "
                       KNOWN_FAMILIES, (int)o->family);

    /* Sources in order: metadata, then the sidecar. */
    if (!darknet && (st = read_metadata(path, &s, msg)))
        goto fail;
    sidecar = o->sidecar ? strdup(o->sidecar) : with_suffix(path, ".lookout");
    if (!sidecar) {
        st = lk_fail(msg, LK_ERR_NO_MEMORY, "detector: out of memory");
        goto fail;
    }
    if ((o->sidecar || file_exists(sidecar)) && (st = read_sidecar(sidecar, &s, msg)))
        goto fail;
    if (s.val[K_INPUT] && !parse_pair(s.val[K_INPUT], "xX", &hw[0], &hw[1])) {
        st = bad_value(&s, K_INPUT, "HxW, e.g. 416x416", msg);
        goto fail;
    }

    if (darknet) {
        lk_darknet_opts dopts;
        lk_darknet_opts_init(&dopts);
        dopts.input_hw[0] = hw[0];
        dopts.input_hw[1] = hw[1];
        st = lk_darknet_load(path, NULL, &dopts, &m->g, &m->dk, msg);
    } else {
        lk_onnx_opts oopts;
        lk_onnx_opts_init(&oopts);
        oopts.input_hw[0] = hw[0];
        oopts.input_hw[1] = hw[1];
        st = lk_onnx_load(path, &oopts, &m->g, NULL, msg);
    }
    if (st)
        goto fail;
    lk_shape in;
    lk_graph_shape(m->g, lk_graph_input_tensor(m->g, 0), &in);
    if (lk_graph_n_inputs(m->g) != 1 || in.rank != 4 || in.d[0] != 1 || in.d[1] != 3) {
        char b[96];
        st = lk_fail(msg, LK_ERR_UNSUPPORTED, "%s: input %s; a detector needs one [1, 3, H, W] "
                     "image input", path, lk_shape_str(&in, b, sizeof b));
        goto fail;
    }
    m->input_h = (int)in.d[2];
    m->input_w = (int)in.d[3];

    m->family = o->family;
    if (!m->family && s.val[K_FAMILY] && parse_family(s.val[K_FAMILY], &m->family)) {
        st = lk_fail(msg, LK_ERR_UNSUPPORTED, "%s: family '%.40s' unknown; known families: "
                     KNOWN_FAMILIES, s.where[K_FAMILY], s.val[K_FAMILY]);
        goto fail;
    }
    if (!m->family && darknet)
        m->family = LK_FAMILY_DARKNET;
    if (!m->family)
        m->family = family_from_shapes(m->g, m->input_h, m->input_w);
    if (!m->family) {
        st = lk_fail(msg, LK_ERR_UNSUPPORTED, "%s: cannot tell the model family from its "
                     "outputs (%s); known families: " KNOWN_FAMILIES "; name one with ONNX "
                     "metadata lookout.family, a sidecar %s with `family = ...`, or the "
                     "family option", path, outputs_str(m->g, shapes, sizeof shapes), sidecar);
        goto fail;
    }
    if (m->family == LK_FAMILY_DARKNET && !darknet) {
        st = lk_fail(msg, LK_ERR_UNSUPPORTED, "%s: family darknet needs the .cfg model (its "
                     "anchors come from the [yolo] sections)", path);
        goto fail;
    }
    if (s.val[K_YOLOV1] && !parse_pair(s.val[K_YOLOV1], ",", &m->grid_s, &m->boxes_b)) {
        st = bad_value(&s, K_YOLOV1, "S,B, e.g. 7,2", msg);
        goto fail;
    }
    if ((st = classes_of(m, msg)))
        goto fail;
    family_defaults(m);
    if ((st = apply_settings(m, &s, msg)))
        goto fail;

    if (o->labels) {
        st = load_labels(o->labels, m->n_classes, &m->labels, msg);
    } else if (s.val[K_LABELS] && s.val[K_LABELS][0] == '[') {
        st = labels_from_json(s.val[K_LABELS], s.where[K_LABELS], m->n_classes, &m->labels, msg);
    } else if (s.val[K_LABELS]) {
        labels_path = beside(path, s.val[K_LABELS]);
        st = labels_path ? load_labels(labels_path, m->n_classes, &m->labels, msg)
                         : lk_fail(msg, LK_ERR_NO_MEMORY, "detector: out of memory");
    } else {
        m->labels = calloc((size_t)m->n_classes, sizeof *m->labels);
        for (int i = 0; m->labels && i < m->n_classes; i++) {
            char b[24];
            snprintf(b, sizeof b, "class%d", i);
            if (!(m->labels[i] = strdup(b)))
                break;
        }
        if (!m->labels || !m->labels[m->n_classes - 1])
            st = lk_fail(msg, LK_ERR_NO_MEMORY, "detector: out of memory");
    }

fail:
    settings_free(&s);
    free(sidecar);
    free(labels_path);
    if (st)
        lk_det_model_free(m);
    return st;
}
