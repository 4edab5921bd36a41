/* The detector: one net per in-flight slot, built for the frame geometry
 * it sees (format, size, YUV colorimetry) as
 *
 *   frame (raw) → preprocess → model → yolo_decode per head (→ concat) → nms
 *
 * with a second raw input carrying {score, iou, max_detections, 0}, so
 * thresholds change between frames without a rebuild. The host packs the
 * frame's rows (one memcpy per row, no per-pixel work), submits, and maps
 * the at most max_detections boxes back to frame pixels. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "detector_internal.h"
#include "graph.h"

typedef struct slot {
    lk_net *net;             /* owned; NULL until the first frame */
    lk_preprocess_params pp; /* the geometry the net was built for */
    int box[4];              /* the frame's placement in the network input */
    size_t frame_bytes;      /* packed frame, padded to 4 */
    uint32_t *frame;         /* owned */
    float *out;              /* owned: [1 + max_det, 6] */
    int busy;
    uint64_t ticket;
    double upload_ms;
    struct timespec submitted;
} slot;

struct lk_detector {
    lk_context *ctx;         /* owned */
    lk_det_model m;
    lk_precision precision;
    int profile;
    float params[4];         /* score, iou, max detections, unused */
    int max_det;             /* nms capacity (opts.max_detections at creation) */
    int pre_nms_topk, class_agnostic;
    int filter;              /* class filter in keep */
    uint32_t keep[LK_YOLO_FILTER_WORDS];
    slot *slots;
    int n_slots;
    uint64_t next_ticket;
    int last_slot;           /* slot of the last collected frame, for profiles */
};

static double ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) * 1e-6;
}

void lk_detector_opts_init(lk_detector_opts *o)
{
    memset(o, 0, sizeof *o);
    o->precision = LK_FP32;
    o->score_threshold = 0.25f;
    o->iou_threshold = 0.45f;
    o->max_detections = 100;
    o->pre_nms_topk = 1000;
    o->in_flight = 2;
}

void lk_detections_clear(lk_detections *d)
{
    if (!d)
        return;
    free(d->items);
    memset(d, 0, sizeof *d);
}

static lk_status check_thresholds(float score, float iou, int max_det, int cap, lk_msg *msg)
{
    if (!(score >= 0.0f && score <= 1.0f) || !(iou >= 0.0f && iou <= 1.0f))
        return lk_fail(msg, LK_ERR_INVALID_ARG, "detector: score threshold %g and IoU threshold "
                       "%g must be within 0..1", (double)score, (double)iou);
    if (max_det < 1 || max_det > cap)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "detector: max detections %d outside 1..%d (the "
                       "capacity set at creation)", max_det, cap);
    return LK_OK;
}

lk_status lk_detector_new(const char *path, const lk_detector_opts *opts, lk_detector **out,
                          lk_msg *msg)
{
    lk_detector_opts defaults;
    lk_detector *d = NULL;
    lk_status st;

    if (!out)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "detector: no output pointer");
    *out = NULL;
    if (!opts) {
        lk_detector_opts_init(&defaults);
        opts = &defaults;
    }
    if (opts->max_detections < 1 || opts->max_detections > 65536 || opts->pre_nms_topk < 0 ||
        opts->pre_nms_topk > LK_NMS_MAX_TOPK || opts->in_flight < 1 || opts->in_flight > 16 ||
        opts->n_classes < 0 || (opts->n_classes && !opts->classes))
        return lk_fail(msg, LK_ERR_INVALID_ARG, "detector: max_detections %d (1..65536), "
                       "pre_nms_topk %d (0..%d), in_flight %d (1..16), %d filter classes",
                       opts->max_detections, opts->pre_nms_topk, LK_NMS_MAX_TOPK,
                       opts->in_flight, opts->n_classes);
    st = check_thresholds(opts->score_threshold, opts->iou_threshold, opts->max_detections,
                          opts->max_detections, msg);
    if (st)
        return st;
    d = calloc(1, sizeof *d);
    if (!d)
        return lk_fail(msg, LK_ERR_NO_MEMORY, "detector: out of memory");
    st = lk_det_model_load(path, opts, &d->m, msg);
    if (st)
        goto fail;
    for (int i = 0; i < opts->n_classes; i++) {
        int c = opts->classes[i];
        if (c < 0 || c >= d->m.n_classes || c >= 32 * LK_YOLO_FILTER_WORDS) {
            st = lk_fail(msg, LK_ERR_INVALID_ARG, "detector: filter class %d outside 0..%d", c,
                         (d->m.n_classes < 32 * LK_YOLO_FILTER_WORDS ? d->m.n_classes
                                                                     : 32 * LK_YOLO_FILTER_WORDS) - 1);
            goto fail;
        }
        d->keep[c / 32] |= 1u << (c % 32);
        d->filter = 1;
    }
    d->precision = opts->precision;
    d->profile = opts->profile;
    d->max_det = opts->max_detections;
    d->pre_nms_topk = opts->pre_nms_topk;
    d->class_agnostic = opts->class_agnostic != 0;
    d->params[0] = opts->score_threshold;
    d->params[1] = opts->iou_threshold;
    d->params[2] = (float)opts->max_detections;
    d->last_slot = -1;
    d->n_slots = opts->in_flight;
    d->slots = calloc((size_t)d->n_slots, sizeof *d->slots);
    if (!d->slots) {
        st = lk_fail(msg, LK_ERR_NO_MEMORY, "detector: out of memory");
        goto fail;
    }
    for (int i = 0; i < d->n_slots; i++) {
        d->slots[i].out = malloc(((size_t)d->max_det + 1) * 6 * sizeof(float));
        if (!d->slots[i].out) {
            st = lk_fail(msg, LK_ERR_NO_MEMORY, "detector: out of memory");
            goto fail;
        }
    }
    lk_context_opts co;
    lk_context_opts_init(&co);
    co.device = opts->device;
    co.validation = opts->validation ? 1 : -1;
    st = lk_context_new(&co, &d->ctx, msg);
    if (st)
        goto fail;
    *out = d;
    return LK_OK;

fail:
    lk_detector_free(d);
    return st;
}

void lk_detector_free(lk_detector *d)
{
    if (!d)
        return;
    for (int i = 0; d->slots && i < d->n_slots; i++) {
        lk_net_free(d->slots[i].net);
        free(d->slots[i].frame);
        free(d->slots[i].out);
    }
    free(d->slots);
    lk_context_free(d->ctx);
    lk_det_model_free(&d->m);
    free(d);
}

void lk_detector_get_info(const lk_detector *d, lk_detector_info *info)
{
    memset(info, 0, sizeof *info);
    info->family = d->m.family;
    info->input_h = d->m.input_h;
    info->input_w = d->m.input_w;
    info->n_classes = d->m.n_classes;
    info->labels = (const char *const *)d->m.labels;
    info->device = lk_context_device(d->ctx)->name;
    info->flops = lk_graph_flops(d->m.g);
}

lk_status lk_detector_set_thresholds(lk_detector *d, float score, float iou, int max_detections,
                                     lk_msg *msg)
{
    lk_status st = check_thresholds(score, iou, max_detections, d->max_det, msg);
    if (st)
        return st;
    d->params[0] = score;
    d->params[1] = iou;
    d->params[2] = (float)max_detections;
    return LK_OK;
}

/* ------------------------------------------------------------- frames */

static lk_status check_frame(const lk_frame *f, lk_msg *msg)
{
    if (!f)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "detector: no frame");
    if ((unsigned)f->format >= LK_PIXEL_COUNT)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "detector: pixel format %d is not supported "
                       "(RGB, BGR, RGBA, BGRx, NV12, I420)", (int)f->format);
    if (f->width <= 0 || f->height <= 0 || f->width > 32768 || f->height > 32768)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "detector: %s frame of %dx%d pixels (want "
                       "1..32768 each way)", lk_pixel_format_name(f->format), f->width, f->height);
    for (int i = 0; i < 3; i++) {
        int64_t rows, row_bytes;
        lk_preprocess_plane(f->format, f->width, f->height, i, &rows, &row_bytes);
        if (!rows)
            continue;
        if (!f->planes[i])
            return lk_fail(msg, LK_ERR_INVALID_ARG, "detector: %s frame: plane %d is NULL",
                           lk_pixel_format_name(f->format), i);
        if ((int64_t)f->strides[i] < row_bytes)
            return lk_fail(msg, LK_ERR_INVALID_ARG, "detector: inconsistent %s frame %dx%d: "
                           "plane %d stride %zu is less than a row (%lld bytes)",
                           lk_pixel_format_name(f->format), f->width, f->height, i, f->strides[i],
                           (long long)row_bytes);
    }
    return LK_OK;
}

/* The frame's pre-processing for this model: planes packed back to back. */
static void frame_params(const lk_detector *d, const lk_frame *f, lk_preprocess_params *p,
                         size_t *bytes)
{
    lk_params q;
    int64_t off = 0;
    lk_params_init(LK_OP_PREPROCESS, &q);
    *p = q.preprocess;
    p->format = f->format;
    p->src_w = f->width;
    p->src_h = f->height;
    for (int i = 0; i < 3; i++) {
        int64_t rows, row_bytes;
        lk_preprocess_plane(f->format, f->width, f->height, i, &rows, &row_bytes);
        p->offset[i] = rows ? off : 0;
        p->stride[i] = row_bytes;
        off += rows * row_bytes;
    }
    *bytes = (size_t)(off + 3) / 4 * 4;
    p->dst_w = d->m.input_w;
    p->dst_h = d->m.input_h;
    p->fit = d->m.fit;
    p->interp = d->m.interp;
    p->bgr = d->m.bgr;
    p->scale = d->m.scale;
    memcpy(p->mean, d->m.mean, sizeof p->mean);
    memcpy(p->std, d->m.std, sizeof p->std);
    p->pad = d->m.pad;
    /* Every family's published pipeline resizes the 8-bit frame with
     * cv2.resize (blobFromImage too), so its rounding is part of the model. */
    p->u8 = 1;
    p->bt709 = f->bt709 != 0;
    p->full_range = f->full_range != 0;
}

static void decode_params(const lk_detector *d, int head, lk_params *q)
{
    lk_yolo_decode_params *p = &q->yolo_decode;
    lk_params_init(LK_OP_YOLO_DECODE, q);
    p->family = (int)d->m.family;  /* lk_yolo_family numbers lk_family */
    p->n_classes = d->m.n_classes;
    p->input_h = d->m.input_h;
    p->input_w = d->m.input_w;
    if (d->m.family == LK_FAMILY_DARKNET) {
        const lk_darknet_head *h = &d->m.dk.heads[head];
        p->n_anchors = h->n_anchors;
        for (int a = 0; a < h->n_anchors && a < LK_YOLO_MAX_ANCHORS; a++) {
            p->anchors[2 * a] = h->anchors[a][0];
            p->anchors[2 * a + 1] = h->anchors[a][1];
        }
        p->scale_x_y = h->scale_x_y;
    }
    p->grid_s = d->m.grid_s;
    p->boxes_b = d->m.boxes_b;
    p->filter = d->filter;
    memcpy(p->keep, d->keep, sizeof p->keep);
}

/* frame → preprocess → model → decode (per head) → concat → nms. */
static lk_status build_graph(const lk_detector *d, const lk_preprocess_params *pp, size_t bytes,
                             lk_graph **out, lk_msg *msg)
{
    lk_graph *g = NULL;
    lk_tensor frame, prm, x, heads[LK_DARKNET_MAX_HEADS], cands[LK_DARKNET_MAX_HEADS], all, det;
    lk_params q;
    int n_heads = lk_graph_n_outputs(d->m.g);
    lk_status st;

    if (n_heads > LK_DARKNET_MAX_HEADS)
        return lk_fail(msg, LK_ERR_UNSUPPORTED, "detector: %d outputs (at most %d)", n_heads,
                       LK_DARKNET_MAX_HEADS);
    if ((st = lk_graph_new(&g, msg)))
        return st;
    lk_params_init(LK_OP_PREPROCESS, &q);
    q.preprocess = *pp;
    if ((st = lk_graph_input_raw(g, "frame", bytes, &frame, msg)) ||
        (st = lk_graph_input_raw(g, "params", sizeof d->params, &prm, msg)) ||
        (st = lk_graph_add(g, LK_OP_PREPROCESS, &q, "preprocess", &frame, 1, &x, 1, msg)) ||
        (st = lk_graph_splice(g, d->m.g, &x, heads, msg)))
        goto fail;
    for (int i = 0; i < n_heads; i++) {
        /* darknet heads are matched to graph outputs by the loader's index. */
        int h = i;
        if (d->m.family == LK_FAMILY_DARKNET)
            for (h = 0; h < d->m.dk.n_heads && d->m.dk.heads[h].output != i; h++)
                ;
        if (h >= (d->m.family == LK_FAMILY_DARKNET ? d->m.dk.n_heads : n_heads)) {
            st = lk_fail(msg, LK_ERR_FORMAT, "detector: output %d belongs to no [yolo] head", i);
            goto fail;
        }
        char name[32];
        snprintf(name, sizeof name, "decode%d", i);
        decode_params(d, h, &q);
        if ((st = lk_graph_add(g, LK_OP_YOLO_DECODE, &q, name, (lk_tensor[]){heads[i], prm}, 2,
                               &cands[i], 1, msg)))
            goto fail;
    }
    all = cands[0];
    if (n_heads > 1) {
        lk_params_init(LK_OP_CONCAT, &q);
        q.axis.axis = 0;
        if ((st = lk_graph_add(g, LK_OP_CONCAT, &q, "candidates", cands, n_heads, &all, 1, msg)))
            goto fail;
    }
    lk_params_init(LK_OP_NMS, &q);
    q.nms.max_det = d->max_det;
    q.nms.pre_nms_topk = d->pre_nms_topk;
    q.nms.class_agnostic = d->class_agnostic;
    if ((st = lk_graph_add(g, LK_OP_NMS, &q, "nms", (lk_tensor[]){all, prm}, 2, &det, 1, msg)) ||
        (st = lk_graph_output(g, det, msg)))
        goto fail;
    *out = g;
    return LK_OK;

fail:
    lk_graph_free(g);
    return st;
}

static int same_geometry(const lk_preprocess_params *a, const lk_preprocess_params *b)
{
    return a->format == b->format && a->src_w == b->src_w && a->src_h == b->src_h &&
           a->bt709 == b->bt709 && a->full_range == b->full_range;
}

/* (Re)builds the slot's net when the frame geometry changed. */
static lk_status prepare_slot(lk_detector *d, slot *s, const lk_frame *f, lk_msg *msg)
{
    lk_preprocess_params pp;
    size_t bytes;
    lk_graph *g = NULL;
    frame_params(d, f, &pp, &bytes);
    if (s->net && same_geometry(&pp, &s->pp))
        return LK_OK;
    lk_net_free(s->net);
    s->net = NULL;
    free(s->frame);
    s->frame = malloc(bytes);
    if (!s->frame)
        return lk_fail(msg, LK_ERR_NO_MEMORY, "detector: out of memory for a %dx%d frame",
                       f->width, f->height);
    s->frame_bytes = bytes;
    lk_status st = build_graph(d, &pp, bytes, &g, msg);
    if (!st) {
        lk_net_opts o;
        lk_net_opts_init(&o);
        o.precision = d->precision;
        o.profile = d->profile;
        st = lk_net_new(d->ctx, g, &o, &s->net, msg);
    }
    lk_graph_free(g);
    if (st)
        return st;
    s->pp = pp;
    lk_preprocess_box(&pp, s->box);
    return LK_OK;
}

static void pack_frame(const lk_frame *f, const lk_preprocess_params *pp, uint8_t *dst, size_t n)
{
    size_t end = 0;
    for (int i = 0; i < 3; i++) {
        int64_t rows, row_bytes;
        lk_preprocess_plane(f->format, f->width, f->height, i, &rows, &row_bytes);
        for (int64_t r = 0; r < rows; r++)
            memcpy(dst + pp->offset[i] + r * row_bytes, f->planes[i] + (size_t)r * f->strides[i],
                   (size_t)row_bytes);
        if (rows)
            end = (size_t)(pp->offset[i] + rows * row_bytes);
    }
    memset(dst + end, 0, n - end);
}

lk_status lk_detector_submit(lk_detector *d, const lk_frame *frame, uint64_t *ticket, lk_msg *msg)
{
    struct timespec t0;
    slot *s = NULL;
    lk_status st = check_frame(frame, msg);
    if (st)
        return st;
    for (int i = 0; i < d->n_slots && !s; i++)
        if (!d->slots[i].busy)
            s = &d->slots[i];
    if (!s)
        return lk_fail(msg, LK_ERR_NOT_READY, "detector: all %d slots are busy; collect a frame "
                       "first", d->n_slots);
    if ((st = prepare_slot(d, s, frame, msg)))
        return st;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pack_frame(frame, &s->pp, (uint8_t *)s->frame, s->frame_bytes);
    const float *in[2] = {(const float *)s->frame, d->params};
    if ((st = lk_net_submit(s->net, in, msg)))
        return st;
    s->upload_ms = ms_since(&t0);
    clock_gettime(CLOCK_MONOTONIC, &s->submitted);
    s->busy = 1;
    s->ticket = ++d->next_ticket;
    if (ticket)
        *ticket = s->ticket;
    return LK_OK;
}

static float clampf(float v, float lo, float hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* The nms rows in network-input pixels → detections in frame pixels. */
static lk_status read_detections(const lk_detector *d, const slot *s, lk_detections *out,
                                 lk_msg *msg)
{
    const float *o = s->out;
    if (!(o[0] >= 0.0f && o[0] <= (float)d->max_det))
        return lk_fail(msg, LK_ERR_BACKEND, "detector: the device returned %g detections",
                       (double)o[0]);
    int n = (int)o[0];
    memset(out, 0, sizeof *out);
    out->candidates = (int)o[1];
    if (!n)
        return LK_OK;
    out->items = calloc((size_t)n, sizeof *out->items);
    if (!out->items)
        return lk_fail(msg, LK_ERR_NO_MEMORY, "detector: out of memory");
    float w = (float)s->pp.src_w, h = (float)s->pp.src_h;
    float sx = w / (float)s->box[2], sy = h / (float)s->box[3];
    for (int i = 0; i < n; i++) {
        const float *r = o + 6 * (i + 1);
        int c = (int)r[5];
        lk_detection *det = &out->items[out->count];
        if (c < 0 || c >= d->m.n_classes)
            continue;
        det->class_id = c;
        det->label = d->m.labels[c];
        det->score = r[4];
        det->x1 = clampf((fminf(r[0], r[2]) - (float)s->box[0]) * sx, 0.0f, w);
        det->y1 = clampf((fminf(r[1], r[3]) - (float)s->box[1]) * sy, 0.0f, h);
        det->x2 = clampf((fmaxf(r[0], r[2]) - (float)s->box[0]) * sx, 0.0f, w);
        det->y2 = clampf((fmaxf(r[1], r[3]) - (float)s->box[1]) * sy, 0.0f, h);
        out->count++;
    }
    return LK_OK;
}

lk_status lk_detector_collect(lk_detector *d, uint64_t ticket, uint64_t timeout_ns,
                              lk_detections *out, lk_msg *msg)
{
    slot *s = NULL;
    struct timespec t0;
    for (int i = 0; i < d->n_slots && !s; i++)
        if (d->slots[i].busy && d->slots[i].ticket == ticket)
            s = &d->slots[i];
    if (!s)
        return lk_fail(msg, LK_ERR_INVALID_ARG, "detector: ticket %llu is not in flight",
                       (unsigned long long)ticket);
    lk_status st = lk_net_wait(s->net, timeout_ns, &s->out, msg);
    if (st == LK_ERR_NOT_READY)
        return st;
    s->busy = 0;
    if (st)
        return st;
    double gpu_ms = ms_since(&s->submitted);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    st = read_detections(d, s, out, msg);
    if (st)
        return st;
    out->upload_ms = s->upload_ms;
    out->gpu_ms = gpu_ms;
    out->readback_ms = ms_since(&t0);
    d->last_slot = (int)(s - d->slots);
    return LK_OK;
}

lk_status lk_detector_run(lk_detector *d, const lk_frame *frame, lk_detections *out, lk_msg *msg)
{
    uint64_t ticket;
    lk_status st = lk_detector_submit(d, frame, &ticket, msg);
    return st ? st : lk_detector_collect(d, ticket, UINT64_MAX, out, msg);
}

int lk_detector_profile(const lk_detector *d, lk_profile_entry *entries, int cap)
{
    return d->last_slot < 0 ? 0 : lk_net_profile(d->slots[d->last_slot].net, entries, cap);
}

void lk_detector_profile_print(const lk_detector *d, void *file)
{
    FILE *fp = file ? file : stdout;
    if (d->last_slot < 0) {
        fprintf(fp, "no profile: run a frame first\n");
        return;
    }
    lk_net_profile_print(d->slots[d->last_slot].net, fp);
}
