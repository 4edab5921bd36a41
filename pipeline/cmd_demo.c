/* lookout demo — the main job until the detector lands: builds a small
 * CNN (strided conv, depthwise, pointwise, pooling, a residual add, a
 * classifier head) with seeded random weights, runs it on the chosen
 * device, checks it against the plain-C reference and prints timing, the
 * memory plan and a per-op profile. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lookout/lookout.h"

static uint32_t rng = 12345u;

static float urand(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (float)(rng >> 8) / 16777216.0f * 2.0f - 1.0f;
}

/* A constant of the given shape, He-style scaled so activations stay O(1). */
static lk_tensor weight(lk_graph *g, const char *name, lk_shape s, int fan_in)
{
    size_t n = (size_t)lk_shape_numel(&s);
    float *w = malloc(n * sizeof *w);
    lk_tensor t = -1;
    if (!w)
        return -1;
    for (size_t i = 0; i < n; i++)
        w[i] = urand() * sqrtf(3.0f / (float)fan_in);
    if (lk_graph_constant(g, name, &s, w, &t, NULL))
        t = -1;
    free(w);
    return t;
}

static lk_status conv(lk_graph *g, const char *name, lk_tensor x, int cin, int cout, int k,
                      int stride, int groups, lk_act act, lk_tensor *y, lk_msg *msg)
{
    lk_params p;
    lk_params_init(LK_OP_CONV2D, &p);
    p.conv2d.kernel[0] = p.conv2d.kernel[1] = k;
    p.conv2d.stride[0] = p.conv2d.stride[1] = stride;
    for (int i = 0; i < 4; i++)
        p.conv2d.pads[i] = k / 2;
    p.conv2d.groups = groups;
    p.conv2d.act.kind = act;
    char wn[64], bn[64];
    snprintf(wn, sizeof wn, "%s.weight", name);
    snprintf(bn, sizeof bn, "%s.bias", name);
    lk_tensor in[3] = {x, weight(g, wn, lk_shape4(cout, cin / groups, k, k), cin / groups * k * k),
                       weight(g, bn, lk_shape_make(1, (int64_t[]){cout}), 16)};
    return lk_graph_add(g, LK_OP_CONV2D, &p, name, in, 3, y, 1, msg);
}

static lk_status build(lk_graph *g, int size, lk_msg *msg)
{
    lk_tensor x, a, b, c, d, e, f, h, logits, prob;
    lk_params p;
    lk_status st;
    lk_shape in = lk_shape4(1, 3, size, size);

    if ((st = lk_graph_input(g, "image", &in, &x, msg)) ||
        (st = conv(g, "stem", x, 3, 16, 3, 2, 1, LK_ACT_SILU, &a, msg)) ||
        (st = conv(g, "dw", a, 16, 16, 3, 1, 16, LK_ACT_RELU, &b, msg)) ||
        (st = conv(g, "pw", b, 16, 32, 1, 1, 1, LK_ACT_SILU, &c, msg)))
        return st;
    lk_params_init(LK_OP_POOL2D, &p);
    p.pool2d.kind = LK_POOL_MAX;
    p.pool2d.kernel[0] = p.pool2d.kernel[1] = 2;
    p.pool2d.stride[0] = p.pool2d.stride[1] = 2;
    if ((st = lk_graph_add(g, LK_OP_POOL2D, &p, "pool", &c, 1, &d, 1, msg)) ||
        (st = conv(g, "res", d, 32, 32, 3, 1, 1, LK_ACT_NONE, &e, msg)))
        return st;
    lk_params_init(LK_OP_BINARY, &p);
    p.binary.kind = LK_BIN_ADD;
    if ((st = lk_graph_add(g, LK_OP_BINARY, &p, "add", (lk_tensor[]){d, e}, 2, &f, 1, msg)))
        return st;
    lk_params_init(LK_OP_GLOBAL_POOL, &p);
    p.global_pool.kind = LK_POOL_AVG;
    if ((st = lk_graph_add(g, LK_OP_GLOBAL_POOL, &p, "gap", &f, 1, &h, 1, msg)))
        return st;
    lk_params_init(LK_OP_RESHAPE, &p);
    p.reshape.shape = lk_shape_make(2, (int64_t[]){1, 32});
    if ((st = lk_graph_add(g, LK_OP_RESHAPE, &p, "flatten", &h, 1, &h, 1, msg)))
        return st;
    lk_params_init(LK_OP_GEMM, &p);
    p.gemm.trans_b = 1;
    lk_tensor fc[3] = {h, weight(g, "fc.weight", lk_shape_make(2, (int64_t[]){10, 32}), 32),
                       weight(g, "fc.bias", lk_shape_make(1, (int64_t[]){10}), 16)};
    if ((st = lk_graph_add(g, LK_OP_GEMM, &p, "fc", fc, 3, &logits, 1, msg)))
        return st;
    lk_params_init(LK_OP_SOFTMAX, &p);
    if ((st = lk_graph_add(g, LK_OP_SOFTMAX, &p, "softmax", &logits, 1, &prob, 1, msg)))
        return st;
    return lk_graph_output(g, prob, msg);
}

int cmd_demo(int argc, char **argv)
{
    lk_context_opts copts;
    lk_context *ctx = NULL;
    lk_graph *g = NULL;
    lk_net *net = NULL;
    lk_net_opts nopts;
    lk_msg msg = {{0}};
    lk_mem_report mem;
    int size = 128, runs = 20, rc = 1;
    float *image = NULL, got[10], ref[10];

    lk_context_opts_init(&copts);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--device") && i + 1 < argc) {
            copts.device = argv[++i];
        } else if (!strcmp(argv[i], "--size") && i + 1 < argc) {
            size = atoi(argv[++i]);
        } else {
            fprintf(stderr, "usage: lookout demo [--device INDEX|NAME] [--size PIXELS]\n");
            return !strcmp(argv[i], "--help") ? 0 : 2;
        }
    }
    if (size < 8 || size > 4096) {
        fprintf(stderr, "lookout: --size must be 8..4096\n");
        return 2;
    }
    if (lk_context_new(&copts, &ctx, &msg) || lk_graph_new(&g, &msg) || build(g, size, &msg))
        goto fail;
    lk_net_opts_init(&nopts);
    nopts.profile = 1;
    double t0 = cli_now_ms();
    if (lk_net_new(ctx, g, &nopts, &net, &msg))
        goto fail;
    double compile_ms = cli_now_ms() - t0;

    size_t n = (size_t)3 * size * size;
    image = malloc(n * sizeof *image);
    if (!image) {
        snprintf(msg.text, sizeof msg.text, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < n; i++)
        image[i] = urand();
    const float *inputs[1] = {image};
    float *outputs[1] = {got}, *refs[1] = {ref};
    if (lk_net_run(net, inputs, outputs, &msg) || lk_graph_run_reference(g, inputs, refs, &msg))
        goto fail;
    t0 = cli_now_ms();
    for (int r = 0; r < runs; r++)
        if (lk_net_run(net, inputs, outputs, &msg))
            goto fail;
    double run_ms = (cli_now_ms() - t0) / runs;

    double err = 0.0, mx = 0.0;
    for (int i = 0; i < 10; i++) {
        err = fmax(err, fabs((double)got[i] - ref[i]));
        mx = fmax(mx, fabs((double)ref[i]));
    }
    err /= mx > 0 ? mx : 1.0;
    lk_net_memory(net, &mem);
    const lk_device_info *dev = lk_context_device(ctx);
    printf("device      %s (%s, %s)\n", dev->name, lk_device_type_str(dev->type), dev->driver);
    printf("network     demo CNN, input [1,3,%d,%d], %.1f MFLOP\n", size, size,
           lk_graph_flops(g) / 1e6);
    printf("compile     %.1f ms (pipeline cache makes the next start faster)\n", compile_ms);
    printf("inference   %.3f ms per run (mean of %d)\n", run_ms, runs);
    printf("memory      weights %.1f KiB, activation arena %.1f KiB planned vs %.1f KiB naive "
           "(largest live set %.1f KiB)\n", mem.weight_bytes / 1024.0, mem.arena_bytes / 1024.0,
           mem.naive_bytes / 1024.0, mem.peak_live_bytes / 1024.0);
    printf("output      class probabilities:");
    for (int i = 0; i < 10; i++)
        printf(" %.4f", got[i]);
    printf("\nreference   max normalised error vs plain-C reference: %.2e %s\n\n", err,
           err <= 1e-4 ? "(ok)" : "(MISMATCH)");
    lk_net_profile_print(net, stdout);
    rc = err <= 1e-4 ? 0 : 1;
    goto done;

fail:
    fprintf(stderr, "lookout: %s\n", msg.text);
done:
    free(image);
    lk_net_free(net);
    lk_graph_free(g);
    lk_context_free(ctx);
    return rc;
}
