/* lookout bench — times single ops on YOLO-typical shapes: kernel time
 * from GPU timestamps (wall time where the device has none), GFLOP/s for
 * compute-bound ops, GB/s for memory-bound ones, and the plain-C reference
 * on the same shape beside it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lookout/lookout.h"

typedef struct bench_case {
    const char *name;
    lk_op op;
    int n_in;
    lk_shape in[3];
    int is_const[3];
    void (*params)(lk_params *p);
    int bandwidth;           /* report GB/s instead of GFLOP/s */
} bench_case;

static void conv3x3s2(lk_params *p)
{
    lk_params_init(LK_OP_CONV2D, p);
    p->conv2d.kernel[0] = p->conv2d.kernel[1] = 3;
    p->conv2d.stride[0] = p->conv2d.stride[1] = 2;
    for (int i = 0; i < 4; i++)
        p->conv2d.pads[i] = 1;
    p->conv2d.act.kind = LK_ACT_SILU;
}

static void conv3x3(lk_params *p)
{
    conv3x3s2(p);
    p->conv2d.stride[0] = p->conv2d.stride[1] = 1;
}

static void conv1x1(lk_params *p)
{
    lk_params_init(LK_OP_CONV2D, p);
    p->conv2d.act.kind = LK_ACT_SILU;
}

static void dw7x7(lk_params *p)
{
    lk_params_init(LK_OP_CONV2D, p);
    p->conv2d.kernel[0] = p->conv2d.kernel[1] = 7;
    for (int i = 0; i < 4; i++)
        p->conv2d.pads[i] = 3;
    p->conv2d.groups = 128;
}

static void dw3x3(lk_params *p)
{
    conv3x3(p);
    p->conv2d.groups = 64;
}

static void matmul(lk_params *p) { lk_params_init(LK_OP_MATMUL, p); }

static void maxpool5(lk_params *p)
{
    lk_params_init(LK_OP_POOL2D, p);
    p->pool2d.kind = LK_POOL_MAX;
    p->pool2d.kernel[0] = p->pool2d.kernel[1] = 5;
    for (int i = 0; i < 4; i++)
        p->pool2d.pads[i] = 2;
}

static void add(lk_params *p)
{
    lk_params_init(LK_OP_BINARY, p);
    p->binary.kind = LK_BIN_ADD;
}

static void silu(lk_params *p)
{
    lk_params_init(LK_OP_UNARY, p);
    p->unary.act.kind = LK_ACT_SILU;
}

static void upsample(lk_params *p)
{
    lk_params_init(LK_OP_RESIZE, p);
    p->resize.mode = LK_RESIZE_NEAREST;
    p->resize.coord = LK_COORD_ASYMMETRIC;
    p->resize.nearest = LK_NEAREST_FLOOR;
    p->resize.scale[0] = p->resize.scale[1] = 2.0f;
}

static void softmax(lk_params *p) { lk_params_init(LK_OP_SOFTMAX, p); }

static void concat(lk_params *p)
{
    lk_params_init(LK_OP_CONCAT, p);
    p->axis.axis = 1;
}

#define S4(n, c, h, w) {4, {n, c, h, w}}
#define S3(a, b, c) {3, {a, b, c}}
#define S2(a, b) {2, {a, b}}
#define S1(a) {1, {a}}

static const bench_case cases[] = {
    {"conv 3x3 s2 3->16 @640", LK_OP_CONV2D, 3, {S4(1, 3, 640, 640), S4(16, 3, 3, 3), S1(16)}, {0, 1, 1}, conv3x3s2, 0},
    {"conv 3x3 64->64 @80", LK_OP_CONV2D, 3, {S4(1, 64, 80, 80), S4(64, 64, 3, 3), S1(64)}, {0, 1, 1}, conv3x3, 0},
    {"conv 1x1 128->256 @40", LK_OP_CONV2D, 3, {S4(1, 128, 40, 40), S4(256, 128, 1, 1), S1(256)}, {0, 1, 1}, conv1x1, 0},
    {"dwconv 3x3 64 @80", LK_OP_CONV2D, 3, {S4(1, 64, 80, 80), S4(64, 1, 3, 3), S1(64)}, {0, 1, 1}, dw3x3, 0},
    {"dwconv 7x7 128 @40", LK_OP_CONV2D, 3, {S4(1, 128, 40, 40), S4(128, 1, 7, 7), S1(128)}, {0, 1, 1}, dw7x7, 0},
    {"matmul 1024^3", LK_OP_MATMUL, 2, {S2(1024, 1024), S2(1024, 1024)}, {0, 1}, matmul, 0},
    {"matmul attn 4x400x32x400", LK_OP_MATMUL, 2, {S3(4, 400, 32), S3(4, 32, 400)}, {0, 0}, matmul, 0},
    {"maxpool 5x5 s1 256 @20", LK_OP_POOL2D, 1, {S4(1, 256, 20, 20)}, {0}, maxpool5, 1},
    {"add 64x80x80", LK_OP_BINARY, 2, {S4(1, 64, 80, 80), S4(1, 64, 80, 80)}, {0, 0}, add, 1},
    {"silu 64x80x80", LK_OP_UNARY, 1, {S4(1, 64, 80, 80)}, {0}, silu, 1},
    {"upsample x2 128 @20", LK_OP_RESIZE, 1, {S4(1, 128, 20, 20)}, {0}, upsample, 1},
    {"concat 2x64 @80", LK_OP_CONCAT, 2, {S4(1, 64, 80, 80), S4(1, 64, 80, 80)}, {0, 0}, concat, 1},
    {"softmax 4x400x400", LK_OP_SOFTMAX, 1, {S3(4, 400, 400)}, {0}, softmax, 1},
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Runs one case; fills kernel and reference milliseconds and bytes moved. */
static lk_status run_case(lk_context *ctx, const bench_case *c, lk_precision prec, int runs,
                          double *gpu_ms, double *ref_ms, double *flops, double *bytes, lk_msg *msg)
{
    lk_graph *g = NULL;
    lk_net *net = NULL;
    lk_net_opts opts;
    lk_params p;
    lk_tensor in[3], out;
    float *data[3] = {0}, *y = NULL, *yref = NULL;
    const float *inputs[3];
    int n_inputs = 0;
    double *times = calloc((size_t)runs, sizeof *times);
    lk_status st = lk_graph_new(&g, msg);

    if (st || !times)
        goto fail;
    c->params(&p);
    *bytes = 0;
    for (int i = 0; i < c->n_in; i++) {
        size_t n = (size_t)lk_shape_numel(&c->in[i]);
        data[i] = malloc(n * sizeof(float));
        if (!data[i]) {
            st = LK_ERR_NO_MEMORY;
            goto fail;
        }
        for (size_t j = 0; j < n; j++)
            data[i][j] = (float)((j * 2654435761u) % 1000) / 1000.0f - 0.5f;
        *bytes += (double)n * (prec == LK_FP16 ? 2 : 4);
        st = c->is_const[i] ? lk_graph_constant(g, NULL, &c->in[i], data[i], &in[i], msg)
                            : lk_graph_input(g, NULL, &c->in[i], &in[i], msg);
        if (st)
            goto fail;
        if (!c->is_const[i])
            inputs[n_inputs++] = data[i];
    }
    if ((st = lk_graph_add(g, c->op, &p, c->name, in, c->n_in, &out, 1, msg)) ||
        (st = lk_graph_output(g, out, msg)))
        goto fail;
    lk_shape os;
    lk_graph_shape(g, out, &os);
    *bytes += (double)lk_shape_numel(&os) * (prec == LK_FP16 ? 2 : 4);
    *flops = lk_graph_flops(g);
    y = malloc((size_t)lk_shape_numel(&os) * sizeof *y);
    yref = malloc((size_t)lk_shape_numel(&os) * sizeof *yref);
    if (!y || !yref) {
        st = LK_ERR_NO_MEMORY;
        goto fail;
    }
    lk_net_opts_init(&opts);
    opts.precision = prec;
    opts.profile = 1;
    if ((st = lk_net_new(ctx, g, &opts, &net, msg)) || (st = lk_net_run(net, inputs, &y, msg)))
        goto fail;
    for (int r = 0; r < runs; r++) {
        lk_profile_entry e;
        double t0 = cli_now_ms();
        if ((st = lk_net_run(net, inputs, &y, msg)))
            goto fail;
        times[r] = lk_net_profile(net, &e, 1) ? e.ms : cli_now_ms() - t0;
    }
    qsort(times, (size_t)runs, sizeof *times, cmp_double);
    *gpu_ms = times[runs / 2];
    double t0 = cli_now_ms();
    if ((st = lk_graph_run_reference(g, inputs, &yref, msg)))
        goto fail;
    *ref_ms = cli_now_ms() - t0;

fail:
    lk_net_free(net);
    lk_graph_free(g);
    for (int i = 0; i < 3; i++)
        free(data[i]);
    free(y);
    free(yref);
    free(times);
    return st;
}

/* Detector post-processing as the detector runs it: an Ultralytics-style
 * [1, 84, 8400] output decoded and NMS'd (top-k 1000, 100 detections) in
 * one net, only the [101, 6] result read back. Synthetic data: background
 * scores below 0.05, one anchor point in twenty a hit, hits in clusters
 * of overlapping boxes of one class. gpu_ms sums the two nodes' kernel
 * times, wall_ms is a whole lk_net_run (upload, submit, readback). */
static lk_status run_post(lk_context *ctx, lk_precision prec, int runs, float thr, double *gpu_ms,
                          double *wall_ms, double *ref_ms, int *above, lk_msg *msg)
{
    enum { N = 8400, NC = 80 };
    lk_graph *g = NULL;
    lk_net *net = NULL;
    lk_net_opts opts;
    lk_params dp, np;
    lk_tensor in[2], cand, det;
    lk_shape s = {3, {1, 4 + NC, N}};
    float prm[4] = {thr, 0.45f, 100.0f, 0.0f}, *x = malloc((size_t)(4 + NC) * N * sizeof *x);
    float *y = malloc(101 * 6 * sizeof *y), *yref = malloc(101 * 6 * sizeof *yref);
    double *times = calloc((size_t)runs * 2, sizeof *times);
    const float *inputs[2] = {x, prm};
    lk_status st = lk_graph_new(&g, msg);

    if (!st && (!x || !y || !yref || !times))
        st = LK_ERR_NO_MEMORY;
    if (st)
        goto fail;
    for (int r = 0; r < N; r++) {
        int hit = r % 20 == 0, cluster = r / 100;
        float jitter = (float)(r % 7) * 2.0f;
        x[r] = hit ? (float)(cluster * 53 % 600) + 20.0f + jitter : (float)(r * 37 % 640);
        x[N + r] = hit ? (float)(cluster * 97 % 600) + 20.0f - jitter : (float)(r * 91 % 640);
        x[2 * N + r] = hit ? 60.0f + jitter : (float)(8 + r % 200);
        x[3 * N + r] = hit ? 90.0f - jitter : (float)(8 + r * 7 % 200);
        for (int c = 0; c < NC; c++)
            x[(4 + c) * N + r] = hit && c == cluster % NC ? 0.3f + (float)(r % 70) / 100.0f
                                                           : (float)((r + c) % 5) / 100.0f;
    }
    lk_params_init(LK_OP_YOLO_DECODE, &dp);
    dp.yolo_decode.family = LK_YOLO_ULTRALYTICS;
    dp.yolo_decode.input_h = dp.yolo_decode.input_w = 640;
    lk_params_init(LK_OP_NMS, &np);
    if ((st = lk_graph_input(g, "output0", &s, &in[0], msg)) ||
        (st = lk_graph_input_raw(g, "params", sizeof prm, &in[1], msg)) ||
        (st = lk_graph_add(g, LK_OP_YOLO_DECODE, &dp, "decode", in, 2, &cand, 1, msg)) ||
        (st = lk_graph_add(g, LK_OP_NMS, &np, "nms", (lk_tensor[]){cand, in[1]}, 2, &det, 1, msg)) ||
        (st = lk_graph_output(g, det, msg)))
        goto fail;
    lk_net_opts_init(&opts);
    opts.precision = prec;
    opts.profile = 1;
    if ((st = lk_net_new(ctx, g, &opts, &net, msg)) || (st = lk_net_run(net, inputs, &y, msg)))
        goto fail;
    for (int r = 0; r < runs; r++) {
        lk_profile_entry e[2];
        double t0 = cli_now_ms();
        if ((st = lk_net_run(net, inputs, &y, msg)))
            goto fail;
        times[runs + r] = cli_now_ms() - t0;
        times[r] = lk_net_profile(net, e, 2) == 2 ? e[0].ms + e[1].ms : times[runs + r];
    }
    qsort(times, (size_t)runs, sizeof *times, cmp_double);
    qsort(times + runs, (size_t)runs, sizeof *times, cmp_double);
    *gpu_ms = times[runs / 2];
    *wall_ms = times[runs + runs / 2];
    double t0 = cli_now_ms();
    if ((st = lk_graph_run_reference(g, inputs, &yref, msg)))
        goto fail;
    *ref_ms = cli_now_ms() - t0;
    *above = (int)y[1];
    /* fp16 storage rounds the network output first, so only fp32 must match */
    if (prec == LK_FP32 && memcmp(y, yref, 101 * 6 * sizeof *y)) {
        snprintf(msg->text, sizeof msg->text, "device and C reference results differ");
        st = LK_ERR_BACKEND;
    }

fail:
    lk_net_free(net);
    lk_graph_free(g);
    free(x);
    free(y);
    free(yref);
    free(times);
    return st;
}

/* Area attention (filter "attention"): YOLOv12-N's blocks from the qkv
 * projection to the result, fused (one area_attention node) and as the
 * ONNX export spells it (Reshape, Transpose, Split, MatMul, Mul, Softmax,
 * MatMul, Transpose, Reshape; what lk_onnx_opts.no_fuse_attention loads):
 * kernel time summed over the nodes, and the peak of live activations. */
typedef struct attention_case {
    const char *name;
    int heads, areas, h, w;
} attention_case;

static const attention_case attention_cases[] = {
    {"P4 640x640: 40x40, 2 heads, 4 areas", 2, 4, 40, 40},
    {"P5 640x640: 20x20, 4 heads, 1 area", 4, 1, 20, 20},
    {"P4 384x640: 24x40, 2 heads, 4 areas", 2, 4, 24, 40},
    {"P5 384x640: 12x20, 4 heads, 1 area", 4, 1, 12, 20},
};

#define ATTN_D 32

static lk_status add1(lk_graph *g, lk_op op, const lk_params *p, lk_tensor x, lk_tensor *y,
                      lk_msg *msg)
{
    return lk_graph_add(g, op, p, NULL, &x, 1, y, 1, msg);
}

static lk_status attention_graph(const attention_case *c, int fused, lk_graph **out, lk_msg *msg)
{
    int64_t ch = (int64_t)c->heads * ATTN_D, len = (int64_t)c->h * c->w / c->areas;
    lk_shape xs = lk_shape4(1, 3 * ch, c->h, c->w);
    lk_params p;
    lk_tensor x, t, qkv[3], a, y, sc;
    lk_graph *g = NULL;
    lk_status st = lk_graph_new(&g, msg);
    if (st || (st = lk_graph_input(g, "qkv", &xs, &x, msg)))
        goto fail;
    if (fused) {
        lk_params_init(LK_OP_AREA_ATTENTION, &p);
        p.area_attention = (lk_area_attention_params){c->heads, ATTN_D, c->areas,
                                                      1.0f / sqrtf((float)ATTN_D)};
        if ((st = add1(g, LK_OP_AREA_ATTENTION, &p, x, &y, msg)))
            goto fail;
    } else {
        const int swap[5] = {0, 1, 2, 4, 3};
        float scale = 1.0f / sqrtf((float)ATTN_D);
        lk_shape one = {0, {0}};
        lk_params_init(LK_OP_RESHAPE, &p);
        p.reshape.shape = lk_shape_make(5, (const int64_t[]){1, c->heads, 3 * ATTN_D, c->areas, len});
        if ((st = add1(g, LK_OP_RESHAPE, &p, x, &t, msg)))
            goto fail;
        lk_params_init(LK_OP_TRANSPOSE, &p);
        memcpy(p.transpose.perm, (const int[]){0, 3, 1, 2, 4}, 5 * sizeof(int));
        if ((st = add1(g, LK_OP_TRANSPOSE, &p, t, &a, msg)))
            goto fail;
        lk_params_init(LK_OP_SPLIT, &p);
        p.split.axis = 3;
        p.split.n = 3;
        p.split.sizes[0] = p.split.sizes[1] = p.split.sizes[2] = ATTN_D;
        if ((st = lk_graph_add(g, LK_OP_SPLIT, &p, NULL, &a, 1, qkv, 3, msg)))
            goto fail;
        lk_params_init(LK_OP_TRANSPOSE, &p);
        memcpy(p.transpose.perm, swap, 5 * sizeof(int));
        if ((st = add1(g, LK_OP_TRANSPOSE, &p, qkv[0], &t, msg)))
            goto fail;
        lk_params_init(LK_OP_MATMUL, &p);
        lk_tensor mm[2] = {t, qkv[1]};
        if ((st = lk_graph_add(g, LK_OP_MATMUL, &p, NULL, mm, 2, &a, 1, msg)) ||
            (st = lk_graph_constant(g, "scale", &one, &scale, &sc, msg)))
            goto fail;
        lk_params_init(LK_OP_BINARY, &p);
        p.binary.kind = LK_BIN_MUL;
        lk_tensor mu[2] = {a, sc};
        if ((st = lk_graph_add(g, LK_OP_BINARY, &p, NULL, mu, 2, &t, 1, msg)))
            goto fail;
        lk_params_init(LK_OP_SOFTMAX, &p);
        if ((st = add1(g, LK_OP_SOFTMAX, &p, t, &a, msg)))
            goto fail;
        lk_params_init(LK_OP_TRANSPOSE, &p);
        memcpy(p.transpose.perm, swap, 5 * sizeof(int));
        if ((st = add1(g, LK_OP_TRANSPOSE, &p, a, &t, msg)))
            goto fail;
        lk_params_init(LK_OP_MATMUL, &p);
        lk_tensor pv[2] = {qkv[2], t};
        if ((st = lk_graph_add(g, LK_OP_MATMUL, &p, NULL, pv, 2, &a, 1, msg)))
            goto fail;
        lk_params_init(LK_OP_TRANSPOSE, &p);
        memcpy(p.transpose.perm, (const int[]){0, 2, 3, 1, 4}, 5 * sizeof(int));
        if ((st = add1(g, LK_OP_TRANSPOSE, &p, a, &t, msg)))
            goto fail;
        lk_params_init(LK_OP_RESHAPE, &p);
        p.reshape.shape = lk_shape4(1, ch, c->h, c->w);
        if ((st = add1(g, LK_OP_RESHAPE, &p, t, &y, msg)))
            goto fail;
    }
    if ((st = lk_graph_output(g, y, msg)))
        goto fail;
    *out = g;
    return LK_OK;

fail:
    lk_graph_free(g);
    return st;
}

/* Median over runs of the summed node times, and the planned peak. */
static lk_status attention_run(lk_context *ctx, const attention_case *c, int fused,
                               lk_precision prec, int runs, double *ms, double *peak_mib,
                               lk_msg *msg)
{
    lk_graph *g = NULL;
    lk_net *net = NULL;
    lk_net_opts opts;
    lk_mem_report mem;
    lk_profile_entry e[32];
    int64_t n = (int64_t)3 * c->heads * ATTN_D * c->h * c->w;
    int64_t n_out = (int64_t)c->heads * ATTN_D * c->h * c->w;
    float *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n_out * sizeof *y);
    double *times = calloc((size_t)runs, sizeof *times);
    lk_status st = LK_ERR_NO_MEMORY;

    if (!x || !y || !times)
        goto fail;
    for (int64_t i = 0; i < n; i++)
        x[i] = (float)((i * 2654435761u) % 1000) / 500.0f - 1.0f;
    if ((st = attention_graph(c, fused, &g, msg)))
        goto fail;
    lk_net_opts_init(&opts);
    opts.precision = prec;
    opts.profile = 1;
    const float *in[1] = {x};
    if ((st = lk_net_new(ctx, g, &opts, &net, msg)) || (st = lk_net_run(net, in, &y, msg)))
        goto fail;
    for (int r = 0; r < runs; r++) {
        double t0 = cli_now_ms();
        if ((st = lk_net_run(net, in, &y, msg)))
            goto fail;
        int k = lk_net_profile(net, e, 32);
        times[r] = k ? 0.0 : cli_now_ms() - t0;
        for (int i = 0; i < k; i++)
            times[r] += e[i].ms;
    }
    qsort(times, (size_t)runs, sizeof *times, cmp_double);
    *ms = times[runs / 2];
    lk_net_memory(net, &mem);
    *peak_mib = (double)mem.peak_live_bytes / (1 << 20);

fail:
    lk_net_free(net);
    lk_graph_free(g);
    free(x);
    free(y);
    free(times);
    return st;
}

static int bench_attention(lk_context *ctx, lk_precision prec, int runs)
{
    lk_msg msg = {{0}};
    int rc = 0;
    printf("\n%-38s %12s %12s %8s %14s %14s\n", "area attention block", "fused ms", "unfused ms",
           "speedup", "fused peak MiB", "unfused peak");
    for (size_t i = 0; i < sizeof attention_cases / sizeof attention_cases[0]; i++) {
        const attention_case *c = &attention_cases[i];
        double ms[2], peak[2];
        lk_status st = LK_OK;
        for (int f = 0; f < 2 && !st; f++)
            st = attention_run(ctx, c, !f, prec, runs, &ms[f], &peak[f], &msg);
        if (st) {
            printf("%-38s failed: %s\n", c->name, msg.text);
            rc = 1;
            continue;
        }
        printf("%-38s %12.3f %12.3f %7.2fx %14.3f %14.3f\n", c->name, ms[0], ms[1],
               ms[1] / ms[0], peak[0], peak[1]);
        fflush(stdout);
    }
    return rc;
}

int cmd_bench(int argc, char **argv)
{
    lk_context_opts copts;
    lk_context *ctx = NULL;
    lk_msg msg = {{0}};
    lk_precision prec = LK_FP32;
    int runs = 10, rc = 0;
    const char *filter = NULL;

    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--model"))
            return cmd_bench_detector(argc, argv);
    lk_context_opts_init(&copts);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--device") && i + 1 < argc)
            copts.device = argv[++i];
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--filter") && i + 1 < argc)
            filter = argv[++i];
        else if (!strcmp(argv[i], "--fp16"))
            prec = LK_FP16;
        else {
            fprintf(stderr, "usage: lookout bench [--device INDEX|NAME] [--runs N] [--fp16] "
                            "[--filter SUBSTRING]\n"
                            "       lookout bench --model MODEL --image FRAME.ppm (see --model --help)\n");
            return !strcmp(argv[i], "--help") ? 0 : 2;
        }
    }
    if (runs < 1)
        runs = 1;
    if (lk_context_new(&copts, &ctx, &msg)) {
        fprintf(stderr, "lookout: %s\n", msg.text);
        return 1;
    }
    const lk_device_info *dev = lk_context_device(ctx);
    printf("device: %s (%s, %s), storage %s, median of %d runs, %s\n\n", dev->name,
           lk_device_type_str(dev->type), dev->driver, prec == LK_FP16 ? "fp16" : "fp32", runs,
           dev->timestamps ? "kernel time from GPU timestamps" : "wall time");
    printf("%-28s %10s %12s %12s %12s %8s\n", "op and shape", "ms", "GFLOP/s", "GB/s",
           "C ref ms", "speedup");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double ms = 0, ref_ms = 0, flops = 0, bytes = 0;
        if (filter && !strstr(cases[i].name, filter))
            continue;
        lk_status st = run_case(ctx, &cases[i], prec, runs, &ms, &ref_ms, &flops, &bytes, &msg);
        if (st) {
            printf("%-28s failed: %s\n", cases[i].name, msg.text);
            rc = 1;
            continue;
        }
        printf("%-28s %10.3f %12.2f %12.2f %12.2f %7.1fx\n", cases[i].name, ms,
               flops / (ms * 1e6), bytes / (ms * 1e6), ref_ms, ref_ms / ms);
        fflush(stdout);
    }
    if (!filter || strstr("decode+nms", filter)) {
        printf("\n%-36s %10s %10s %10s %10s %8s\n", "decode+nms 8400x80 -> 100", "above",
               "kernel ms", "run ms", "C ref ms", "speedup");
        for (int t = 0; t < 2; t++) {
            double ms = 0, wall = 0, ref_ms = 0;
            int above = 0;
            float thr = t ? 0.0f : 0.25f;
            if (run_post(ctx, prec, runs, thr, &ms, &wall, &ref_ms, &above, &msg)) {
                printf("decode+nms failed: %s\n", msg.text);
                rc = 1;
                continue;
            }
            printf("score > %-28.2f %10d %10.3f %10.3f %10.2f %7.1fx\n", (double)thr, above, ms,
                   wall, ref_ms, ref_ms / ms);
        }
    }
    if (filter && strstr("attention", filter))
        rc |= bench_attention(ctx, prec, runs);
    lk_context_free(ctx);
    return rc;
}
