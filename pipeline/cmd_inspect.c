/* lookout inspect — what an ONNX model holds and what the engine makes of
 * it: metadata, inputs and outputs, op counts in the file and after
 * rewriting, parameters, FLOPs and the planned activation memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lookout/onnx.h"

static void usage(FILE *fp)
{
    fprintf(fp, "usage: lookout inspect MODEL.onnx [--size HxW] [--batch N] [--device INDEX|NAME]\n");
}

static double mib(uint64_t bytes)
{
    return (double)bytes / (1024.0 * 1024.0);
}

static void print_tensors(const lk_graph *g, int n, lk_tensor (*get)(const lk_graph *, int),
                          const char *what)
{
    for (int i = 0; i < n; i++) {
        lk_shape s;
        char buf[160];
        lk_tensor t = get(g, i);
        lk_graph_shape(g, t, &s);
        printf("%-9s %-32s %s\n", i ? "" : what, lk_graph_tensor_name(g, t),
               lk_shape_str(&s, buf, sizeof buf));
    }
}

static void print_onnx_ops(const lk_onnx_info *info)
{
    int done[64] = {0};
    printf("onnx ops  %d nodes:", info->nodes_before);
    /* By count, largest first. */
    for (int k = 0; k < info->n_onnx_ops; k++) {
        int best = -1;
        for (int i = 0; i < info->n_onnx_ops; i++)
            if (!done[i] && (best < 0 || info->onnx_ops[i].count > info->onnx_ops[best].count))
                best = i;
        done[best] = 1;
        printf("%s %s %d", k ? "," : "", info->onnx_ops[best].op, info->onnx_ops[best].count);
    }
    printf("\n");
}

/* Compiles the graph on the default device for its memory plan. */
static void print_memory(const lk_graph *g, const char *device)
{
    lk_context_opts co;
    lk_context *ctx = NULL;
    lk_net *net = NULL;
    lk_mem_report r;
    lk_msg msg = {{0}};

    lk_context_opts_init(&co);
    co.device = device;
    if (lk_context_new(&co, &ctx, &msg)) {
        printf("memory    not planned: no device (%s)\n", msg.text);
        return;
    }
    if (lk_net_new(ctx, g, NULL, &net, &msg)) {
        printf("memory    not planned on %s: %s\n", lk_context_device(ctx)->name, msg.text);
    } else {
        lk_net_memory(net, &r);
        printf("memory    on %s: weights %.2f MiB, activations %.2f MiB planned "
               "(%.2f MiB unplanned, %.2f MiB peak live)\n", lk_context_device(ctx)->name,
               mib(r.weight_bytes), mib(r.arena_bytes), mib(r.naive_bytes), mib(r.peak_live_bytes));
    }
    lk_net_free(net);
    lk_context_free(ctx);
}

int cmd_inspect(int argc, char **argv)
{
    const char *path = NULL, *device = NULL;
    lk_onnx_opts opts;
    lk_onnx_info info;
    lk_graph *g = NULL;
    lk_msg msg = {{0}};

    lk_onnx_opts_init(&opts);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--size") && i + 1 < argc) {
            int h, w;
            char x;
            if (sscanf(argv[++i], "%d%c%d", &h, &x, &w) != 3 || (x != 'x' && x != 'X') || h < 1 ||
                w < 1) {
                fprintf(stderr, "lookout inspect: --size wants HxW, e.g. 320x320\n");
                return 2;
            }
            opts.input_hw[0] = h;
            opts.input_hw[1] = w;
        } else if (!strcmp(argv[i], "--batch") && i + 1 < argc) {
            opts.batch = atoi(argv[++i]);
        } else if (!strcmp(argv[i], "--device") && i + 1 < argc) {
            device = argv[++i];
        } else if (argv[i][0] != '-' && !path) {
            path = argv[i];
        } else {
            usage(!strcmp(argv[i], "--help") ? stdout : stderr);
            return !strcmp(argv[i], "--help") ? 0 : 2;
        }
    }
    if (!path) {
        usage(stderr);
        return 2;
    }
    lk_status st = lk_onnx_load(path, &opts, &g, &info, &msg);
    printf("model     %s\n", path);
    if (info.ir_version || info.nodes_before) {
        printf("format    ONNX IR %lld, opset %lld, producer %s\n", (long long)info.ir_version,
               (long long)info.opset, info.producer[0] ? info.producer : "(none)");
        print_onnx_ops(&info);
    }
    if (st) {
        fprintf(stderr, "lookout inspect: %s\n", msg.text);
        return 1;
    }
    print_tensors(g, lk_graph_n_inputs(g), lk_graph_input_tensor, "inputs");
    print_tensors(g, lk_graph_n_outputs(g), lk_graph_output_tensor, "outputs");
    printf("lk ops    %d nodes after rewriting:", info.nodes_after);
    for (int op = 0, k = 0; op < LK_OP_COUNT; op++)
        if (info.lk_op_count[op])
            printf("%s %s %d", k++ ? "," : "", lk_op_name((lk_op)op), info.lk_op_count[op]);
    printf("\nparams    %lld (%.2f MiB fp32)\n", (long long)info.parameters,
           mib((uint64_t)info.parameters * 4));
    printf("flops     %.3f G per run\n", lk_graph_flops(g) * 1e-9);
    print_memory(g, device);
    lk_graph_free(g);
    return 0;
}
