/* The compiled net: a multi-op graph end to end against the reference,
 * asynchronous submit/wait, views as outputs, profiling and misuse. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* x → conv3x3+SiLU → maxpool → (split in two) → concat(b, a) → add x' → out */
static lk_graph *small_cnn(int batch, lk_tensor *out)
{
    lk_graph *g;
    lk_tensor x, w, b, c, m, parts[2], cat, sum;
    lk_params p;
    lk_shape xs = lk_shape4(batch, 3, 17, 23), ws = lk_shape4(8, 3, 3, 3);
    lk_shape bs = lk_shape_make(1, (int64_t[]){8});
    float wd[8 * 3 * 3 * 3], bd[8];
    lkt_fill(wd, 216, -0.5f, 0.5f);
    lkt_fill(bd, 8, -0.5f, 0.5f);
    assert_int_equal(lk_graph_new(&g, NULL), LK_OK);
    assert_int_equal(lk_graph_input(g, "x", &xs, &x, NULL), LK_OK);
    assert_int_equal(lk_graph_constant(g, "w", &ws, wd, &w, NULL), LK_OK);
    assert_int_equal(lk_graph_constant(g, "b", &bs, bd, &b, NULL), LK_OK);
    lk_params_init(LK_OP_CONV2D, &p);
    p.conv2d.kernel[0] = p.conv2d.kernel[1] = 3;
    for (int i = 0; i < 4; i++)
        p.conv2d.pads[i] = 1;
    p.conv2d.act.kind = LK_ACT_SILU;
    assert_int_equal(lk_graph_add(g, LK_OP_CONV2D, &p, "conv", (lk_tensor[]){x, w, b}, 3, &c, 1, NULL), LK_OK);
    lk_params_init(LK_OP_POOL2D, &p);
    p.pool2d.kernel[0] = p.pool2d.kernel[1] = 2;
    p.pool2d.stride[0] = p.pool2d.stride[1] = 2;
    p.pool2d.ceil_mode = 1;
    assert_int_equal(lk_graph_add(g, LK_OP_POOL2D, &p, "pool", &c, 1, &m, 1, NULL), LK_OK);
    lk_params_init(LK_OP_SPLIT, &p);
    p.split.axis = 1;
    p.split.n = 2;
    p.split.sizes[0] = 3;
    p.split.sizes[1] = 5;
    assert_int_equal(lk_graph_add(g, LK_OP_SPLIT, &p, "split", &m, 1, parts, 2, NULL), LK_OK);
    lk_params_init(LK_OP_CONCAT, &p);
    p.axis.axis = 1;
    assert_int_equal(lk_graph_add(g, LK_OP_CONCAT, &p, "concat", (lk_tensor[]){parts[1], parts[0]}, 2, &cat, 1, NULL), LK_OK);
    lk_params_init(LK_OP_BINARY, &p);
    p.binary.kind = LK_BIN_MUL;
    assert_int_equal(lk_graph_add(g, LK_OP_BINARY, &p, "mul", (lk_tensor[]){cat, m}, 2, &sum, 1, NULL), LK_OK);
    assert_int_equal(lk_graph_output(g, sum, NULL), LK_OK);
    *out = sum;
    return g;
}

static void run_and_compare(lk_net *net, lk_graph *g, lk_tensor out, int async)
{
    lk_shape xs = lk_net_input_shape(net, 0), ys;
    lk_graph_shape(g, out, &ys);
    size_t nx = (size_t)lk_shape_numel(&xs), ny = (size_t)lk_shape_numel(&ys);
    float *x = malloc(nx * sizeof *x), *y = malloc(ny * sizeof *y), *r = malloc(ny * sizeof *r);
    lk_msg msg = {{0}};
    assert_non_null(x);
    assert_non_null(y);
    assert_non_null(r);
    lkt_fill(x, nx, -2.0f, 2.0f);
    const float *in[1] = {x};
    assert_int_equal(lk_graph_run_reference(g, in, &r, &msg), LK_OK);
    if (async) {
        assert_int_equal(lk_net_submit(net, in, &msg), LK_OK);
        /* A second submit while one is in flight is refused. */
        assert_int_equal(lk_net_submit(net, in, &msg), LK_ERR_INVALID_ARG);
        lk_status st;
        while ((st = lk_net_wait(net, 0, &y, &msg)) == LK_ERR_NOT_READY)
            ;
        assert_int_equal(st, LK_OK);
    } else {
        assert_int_equal(lk_net_run(net, in, &y, &msg), LK_OK);
    }
    double e = lkt_error(y, r, ny);
    if (!(e <= LKT_TOL_FP32))
        fail_msg("net output error %.3g", e);
    free(x);
    free(y);
    free(r);
}

static void test_graph_end_to_end(void **state)
{
    (void)state;
    lk_context *ctx = lkt_context();
    lk_tensor out;
    lk_graph *g = small_cnn(2, &out);
    lk_net *net;
    lk_net_opts o;
    lk_net_opts_init(&o);
    o.poison = 1;
    o.profile = 1;
    lk_msg msg = {{0}};
    if (lk_net_new(ctx, g, &o, &net, &msg))
        fail_msg("%s", msg.text);
    for (int i = 0; i < 3; i++)
        run_and_compare(net, g, out, i == 1);
    if (lk_context_device(ctx)->timestamps) {
        lk_profile_entry e[8];
        int n = lk_net_profile(net, e, 8);
        assert_int_equal(n, 5);
        assert_string_equal(e[0].op, "conv2d");
        assert_true(e[0].flops > 0);
        for (int i = 0; i < n; i++)
            assert_true(e[i].ms >= 0.0);
    }
    lk_net_free(net);
    lk_graph_free(g);
}

/* The graph can be freed once compiled: the net keeps what it needs. */
static void test_graph_freed_after_compile(void **state)
{
    (void)state;
    lk_context *ctx = lkt_context();
    lk_tensor out;
    lk_graph *g = small_cnn(1, &out), *g2 = small_cnn(1, &out);
    lk_net *net;
    assert_int_equal(lk_net_new(ctx, g, NULL, &net, NULL), LK_OK);
    lk_graph_free(g);
    assert_string_equal(lk_net_input_name(net, 0), "x");
    lk_shape s = lk_net_output_shape(net, 0);
    assert_int_equal(s.rank, 4);
    assert_int_equal(s.d[2], 9);
    lk_net_free(net);
    lk_graph_free(g2);
}

/* A reshape of the input returned as an output: a view, no kernel. */
static void test_view_output(void **state)
{
    (void)state;
    lk_context *ctx = lkt_context();
    lk_graph *g;
    lk_tensor x, v;
    lk_params p;
    lk_net *net;
    lk_shape s = lk_shape4(2, 3, 4, 5);
    float in[120], out[120];
    assert_int_equal(lk_graph_new(&g, NULL), LK_OK);
    assert_int_equal(lk_graph_input(g, "x", &s, &x, NULL), LK_OK);
    lk_params_init(LK_OP_RESHAPE, &p);
    p.reshape.shape = lk_shape_make(2, (int64_t[]){6, -1});
    assert_int_equal(lk_graph_add(g, LK_OP_RESHAPE, &p, NULL, &x, 1, &v, 1, NULL), LK_OK);
    assert_int_equal(lk_graph_output(g, v, NULL), LK_OK);
    assert_int_equal(lk_net_new(ctx, g, NULL, &net, NULL), LK_OK);
    lkt_fill(in, 120, -1, 1);
    const float *ins[1] = {in};
    float *outs[1] = {out};
    assert_int_equal(lk_net_run(net, ins, outs, NULL), LK_OK);
    assert_memory_equal(in, out, sizeof in);
    lk_net_free(net);
    lk_graph_free(g);
}

/* A raw input of odd byte length next to an ordinary input: in an fp16 net
 * its bytes pass through a view, and through a concat with another raw
 * input, to the outputs bit for bit (values fp16 cannot hold, NaN
 * payloads), while the other input is still converted. A kernel that reads
 * net-precision values refuses the raw tensor, and so does a concat mixing
 * the two kinds. */
static void test_raw_input_wide(void **state)
{
    (void)state;
    lk_context *ctx = lkt_context();
    int fp16 = lk_context_device(ctx)->fp16_storage;
    for (int prec = 0; prec <= fp16; prec++) {
        lk_graph *g;
        lk_tensor raw, raw2, x, v, y, bad, cat;
        lk_params p;
        lk_msg msg = {{0}};
        lk_shape xs = lk_shape4(1, 2, 3, 5);
        assert_int_equal(lk_graph_new(&g, NULL), LK_OK);
        assert_int_equal(lk_graph_input(g, "x", &xs, &x, NULL), LK_OK);
        assert_int_equal(lk_graph_input_raw(g, "frame", 13, &raw, NULL), LK_OK);
        lk_shape rs;
        assert_int_equal(lk_graph_shape(g, raw, &rs), LK_OK);
        assert_int_equal(rs.rank, 1);
        assert_int_equal(rs.d[0], 4);
        lk_params_init(LK_OP_UNARY, &p);
        p.unary.act.kind = LK_ACT_RELU;
        assert_int_equal(lk_graph_add(g, LK_OP_UNARY, &p, "relu_raw", &raw, 1, &bad, 1, &msg),
                         LK_ERR_INVALID_ARG);
        assert_non_null(strstr(msg.text, "32-bit"));
        assert_int_equal(lk_graph_add(g, LK_OP_UNARY, &p, "relu", &x, 1, &y, 1, NULL), LK_OK);
        assert_int_equal(lk_graph_input_raw(g, "more", 8, &raw2, NULL), LK_OK);
        lk_params_init(LK_OP_CONCAT, &p);
        lk_tensor mixed[2] = {raw2, lk_graph_input_tensor(g, 0)};
        lk_shape flat = lk_shape_make(1, (int64_t[]){30});
        lk_tensor xflat;
        lk_params q;
        lk_params_init(LK_OP_RESHAPE, &q);
        q.reshape.shape = flat;
        assert_int_equal(lk_graph_add(g, LK_OP_RESHAPE, &q, "xflat", &mixed[1], 1, &xflat, 1, NULL), LK_OK);
        mixed[1] = xflat;
        assert_int_equal(lk_graph_add(g, LK_OP_CONCAT, &p, "mixed", mixed, 2, &bad, 1, &msg),
                         LK_ERR_INVALID_ARG);
        assert_non_null(strstr(msg.text, "mixes"));
        assert_int_equal(lk_graph_add(g, LK_OP_CONCAT, &p, "cat", (lk_tensor[]){raw2, raw}, 2, &cat, 1, &msg), LK_OK);
        lk_params_init(LK_OP_RESHAPE, &p);
        p.reshape.shape = lk_shape_make(2, (int64_t[]){2, 2});
        assert_int_equal(lk_graph_add(g, LK_OP_RESHAPE, &p, "view", &raw, 1, &v, 1, NULL), LK_OK);
        assert_int_equal(lk_graph_output(g, y, NULL), LK_OK);
        assert_int_equal(lk_graph_output(g, v, NULL), LK_OK);
        assert_int_equal(lk_graph_output(g, cat, NULL), LK_OK);

        lk_net_opts o;
        lk_net *net;
        lk_net_opts_init(&o);
        o.precision = prec ? LK_FP16 : LK_FP32;
        o.poison = 1;
        assert_int_equal(lk_net_new(ctx, g, &o, &net, &msg), LK_OK);
        union { uint8_t b[16]; float f[4]; } in, out;
        const uint32_t words[3] = {0x3f800347u /* 1.0001 */, 0x7fc12345u /* NaN payload */,
                                   0x4b000001u /* 8388609 */};
        memcpy(in.b, words, sizeof words);
        in.b[12] = 0xa5; /* the 13th byte; the rest is padding */
        in.b[13] = in.b[14] = in.b[15] = 0;
        float xd[30], yd[30], ref[30];
        union { uint8_t b[8]; float f[2]; } in2 = {{0xff, 0xff, 0x7f, 0x7f, 1, 0, 0, 0}};
        union { uint8_t b[24]; float f[6]; } both;
        lkt_fill(xd, 30, -2, 2);
        const float *ins[3] = {xd, in.f, in2.f};
        float *outs[3] = {yd, out.f, both.f};
        memset(out.b, 0, sizeof out.b);
        assert_int_equal(lk_net_run(net, ins, outs, &msg), LK_OK);
        assert_memory_equal(in.b, out.b, 13);
        assert_memory_equal(in2.b, both.b, 8);
        assert_memory_equal(in.b, both.b + 8, 13);
        for (int i = 0; i < 30; i++)
            ref[i] = xd[i] > 0 ? xd[i] : 0;
        double e = lkt_error(yd, ref, 30);
        if (!(e <= (prec ? LKT_TOL_FP16 : LKT_TOL_FP32)))
            fail_msg("%s: relu beside a raw input: error %.3g", prec ? "fp16" : "fp32", e);
        /* The reference executor takes the same words unchanged. */
        float rref[30], rout[4], rboth[6];
        float *routs[3] = {rref, rout, rboth};
        assert_int_equal(lk_graph_run_reference(g, ins, routs, NULL), LK_OK);
        assert_memory_equal(in.b, rout, 13);
        lk_net_free(net);
        lk_graph_free(g);
    }
}

static void test_misuse(void **state)
{
    (void)state;
    lk_context *ctx = lkt_context();
    lk_graph *g;
    lk_net *net = NULL;
    lk_msg msg = {{0}};
    lk_tensor x;
    lk_shape s = lk_shape4(1, 1, 2, 2);
    assert_int_equal(lk_graph_new(&g, NULL), LK_OK);
    assert_int_equal(lk_graph_input(g, "x", &s, &x, NULL), LK_OK);
    assert_int_equal(lk_net_new(ctx, g, NULL, &net, &msg), LK_ERR_INVALID_ARG);
    assert_non_null(strstr(msg.text, "no outputs"));
    assert_null(net);
    /* An input cannot be an output by itself: it is not produced by a node. */
    assert_int_equal(lk_graph_output(g, x, &msg), LK_ERR_INVALID_ARG);
    lk_graph_free(g);

    lk_tensor out;
    g = small_cnn(1, &out);
    assert_int_equal(lk_net_new(ctx, g, NULL, &net, NULL), LK_OK);
    float y[8 * 9 * 12];
    float *ys[1] = {y};
    assert_int_equal(lk_net_wait(net, 0, ys, &msg), LK_ERR_INVALID_ARG);
    assert_non_null(strstr(msg.text, "nothing submitted"));
    const float *none[1] = {NULL};
    assert_int_equal(lk_net_run(net, none, ys, &msg), LK_ERR_INVALID_ARG);
    lk_net_free(net);
    lk_graph_free(g);
}

/* Two threads compile and run their own nets on one shared context at the
 * same time; the context serialises queue and command-pool use. Threads
 * report back and the main thread asserts (cmocka is not thread-safe). */
typedef struct worker {
    lk_context *ctx;
    const lk_graph *g;
    const float *x;
    float *y;
    lk_status st;
    char msg[512];
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    lk_net *net = NULL;
    lk_msg msg = {{0}};
    const float *in[1] = {w->x};
    w->st = lk_net_new(w->ctx, w->g, NULL, &net, &msg);
    for (int i = 0; i < 5 && !w->st; i++)
        w->st = lk_net_run(net, in, &w->y, &msg);
    lk_net_free(net);
    memcpy(w->msg, msg.text, sizeof w->msg);
    return NULL;
}

static void test_threads_share_context(void **state)
{
    (void)state;
    lk_context *ctx = lkt_context();
    lk_tensor out;
    lk_graph *g[2] = {small_cnn(2, &out), small_cnn(1, &out)};
    worker w[2];
    pthread_t th[2];
    float *ref[2];
    for (int i = 0; i < 2; i++) {
        lk_shape xs, ys;
        lk_graph_shape(g[i], lk_graph_input_tensor(g[i], 0), &xs);
        lk_graph_shape(g[i], lk_graph_output_tensor(g[i], 0), &ys);
        float *x = malloc((size_t)lk_shape_numel(&xs) * sizeof *x);
        assert_non_null(x);
        lkt_fill(x, (size_t)lk_shape_numel(&xs), -1, 1);
        w[i] = (worker){ctx, g[i], x, malloc((size_t)lk_shape_numel(&ys) * sizeof(float)), LK_OK, ""};
        ref[i] = malloc((size_t)lk_shape_numel(&ys) * sizeof(float));
        assert_non_null(w[i].y);
        assert_non_null(ref[i]);
        const float *in[1] = {x};
        assert_int_equal(lk_graph_run_reference(g[i], in, &ref[i], NULL), LK_OK);
    }
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 2; i++) {
        lk_shape ys;
        lk_graph_shape(g[i], lk_graph_output_tensor(g[i], 0), &ys);
        if (w[i].st)
            fail_msg("thread %d: %s", i, w[i].msg);
        assert_true(lkt_error(w[i].y, ref[i], (size_t)lk_shape_numel(&ys)) <= LKT_TOL_FP32);
        free((void *)w[i].x);
        free(w[i].y);
        free(ref[i]);
        lk_graph_free(g[i]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_graph_end_to_end),
        cmocka_unit_test(test_graph_freed_after_compile),
        cmocka_unit_test(test_view_output),
        cmocka_unit_test(test_misuse),
        cmocka_unit_test(test_raw_input_wide),
        cmocka_unit_test(test_threads_share_context),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
