#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static lk_context *shared_ctx;
static uint32_t rng_state;
static int rng_ready;

/* At exit: a validation message anywhere in the executable (also from tests
 * that do not go through lkt_check) fails it, whatever cmocka counted. */
static void release_context(void)
{
    uint64_t n = lk_context_validation_errors(shared_ctx);
    lk_context_free(shared_ctx);
    shared_ctx = NULL;
    if (n) {
        fprintf(stderr, "%llu Vulkan validation message(s) during this run\n", (unsigned long long)n);
        _exit(1);
    }
}

lk_context *lkt_context(void)
{
    static int tried;
    lk_msg msg = {{0}};
    if (!shared_ctx && !tried) {
        tried = 1;
        lk_status st = lk_context_new(NULL, &shared_ctx, &msg);
        if (st) {
            const char *ci = getenv("CI");
            print_message("no Vulkan device: %s\n", msg.text);
            if (ci && !strcmp(ci, "true"))
                fail_msg("CI=true requires a Vulkan device (lavapipe): %s", msg.text);
        } else {
            print_message("device: %s (%s)\n", lk_context_device(shared_ctx)->name,
                          lk_context_device(shared_ctx)->driver);
            atexit(release_context);
        }
    }
    if (!shared_ctx)
        skip();
    return shared_ctx;
}

uint32_t lkt_rand(void)
{
    if (!rng_ready) {
        const char *env = getenv("LOOKOUT_TEST_SEED");
        rng_state = env && *env ? (uint32_t)strtoul(env, NULL, 10) : (uint32_t)time(NULL);
        print_message("seed: LOOKOUT_TEST_SEED=%u\n", rng_state);
        if (!rng_state)
            rng_state = 1;
        rng_ready = 1;
    }
    /* xorshift32: small, seedable, good enough for test data. */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

float lkt_uniform(float lo, float hi)
{
    return lo + (hi - lo) * (float)((lkt_rand() >> 8) * (1.0 / 16777216.0));
}

void lkt_fill(float *x, size_t n, float lo, float hi)
{
    for (size_t i = 0; i < n; i++)
        x[i] = lkt_uniform(lo, hi);
}

double lkt_error(const float *got, const float *ref, size_t n)
{
    double max_diff = 0.0, max_ref = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(got[i]) != isnan(ref[i]) || isinf(got[i]) != isinf(ref[i]))
            return INFINITY;
        if (isnan(ref[i]) || isinf(ref[i]))
            continue; /* both non-finite alike: the reference defines it so */
        double d = fabs((double)got[i] - (double)ref[i]);
        if (d > max_diff)
            max_diff = d;
        if (fabs((double)ref[i]) > max_ref)
            max_ref = fabs((double)ref[i]);
    }
    return max_ref > 0.0 ? max_diff / max_ref : max_diff;
}

typedef struct built {
    lk_graph *g;
    lk_tensor out[16];
    float *data[8];
    int n_inputs;
    const float *inputs[8];
} built;

static void built_free(built *b)
{
    lk_graph_free(b->g);
    for (int i = 0; i < 8; i++)
        free(b->data[i]);
}

/* Returns the status of lk_graph_add; graph inputs/constants always build. */
static lk_status build(const lkt_case *c, built *b, lk_msg *msg)
{
    lk_tensor in[8];
    memset(b, 0, sizeof *b);
    assert_int_equal(lk_graph_new(&b->g, msg), LK_OK);
    for (int i = 0; i < c->n_in; i++) {
        if (c->in[i].rank < 0) {
            in[i] = -1; /* absent optional input */
            continue;
        }
        size_t n = (size_t)lk_shape_numel(&c->in[i]);
        b->data[i] = malloc(n * sizeof(float) + 1);
        assert_non_null(b->data[i]);
        if (c->data[i])
            memcpy(b->data[i], c->data[i], n * sizeof(float));
        else if (c->lo == 0.0f && c->hi == 0.0f)
            lkt_fill(b->data[i], n, -1.0f, 1.0f);
        else
            lkt_fill(b->data[i], n, c->lo, c->hi);
        char name[16];
        snprintf(name, sizeof name, "in%d", i);
        if (c->is_const[i]) {
            assert_int_equal(lk_graph_constant(b->g, name, &c->in[i], b->data[i], &in[i], msg), LK_OK);
        } else {
            assert_int_equal(lk_graph_input(b->g, name, &c->in[i], &in[i], msg), LK_OK);
            b->inputs[b->n_inputs++] = b->data[i];
        }
    }
    int n_out = c->n_out ? c->n_out : 1;
    return lk_graph_add(b->g, c->op, &c->p, "node", in, c->n_in, b->out, n_out, msg);
}

/* Compiles g at `prec` with poisoned activations, runs it twice (the second
 * run reuses the recorded command buffer from a freshly poisoned arena) and
 * compares every output with ref. Returns the worst normalised error. */
static double run_compare(const lk_graph *g, const float *const *inputs, float *const *ref,
                          lk_precision prec, const char *what)
{
    lk_context *ctx = lkt_context();
    lk_msg msg = {{0}};
    lk_net *net = NULL;
    lk_net_opts opts;
    int n_out = lk_graph_n_outputs(g);
    float *got[16] = {0};
    double worst = 0.0, tol = prec == LK_FP16 ? LKT_TOL_FP16 : LKT_TOL_FP32;

    lk_net_opts_init(&opts);
    opts.precision = prec;
    opts.poison = 1;
    if (lk_net_new(ctx, g, &opts, &net, &msg))
        fail_msg("%s: lk_net_new: %s", what, msg.text);
    for (int i = 0; i < n_out; i++) {
        lk_shape s;
        lk_graph_shape(g, lk_graph_output_tensor(g, i), &s);
        got[i] = malloc((size_t)lk_shape_numel(&s) * sizeof(float) + 1);
        assert_non_null(got[i]);
    }
    for (int run = 0; run < 2; run++) {
        if (lk_net_run(net, inputs, got, &msg))
            fail_msg("%s: lk_net_run: %s", what, msg.text);
        for (int i = 0; i < n_out; i++) {
            lk_shape s;
            char buf[96];
            lk_graph_shape(g, lk_graph_output_tensor(g, i), &s);
            size_t n = (size_t)lk_shape_numel(&s);
            double e = lkt_error(got[i], ref[i], n);
            if (e > worst)
                worst = e;
            if (!(e <= tol)) {
                size_t bad = 0;
                for (size_t j = 0; j < n; j++)
                    if (isnan(got[i][j]) || fabsf(got[i][j] - ref[i][j]) > tol * fabsf(ref[i][j]) + 1e-6f) {
                        bad = j;
                        break;
                    }
                fail_msg("%s %s output %d %s: error %.3g > %.0e (element %zu: got %g, want %g)",
                         what, prec == LK_FP16 ? "fp16" : "fp32", i,
                         lk_shape_str(&s, buf, sizeof buf), e, tol, bad, (double)got[i][bad],
                         (double)ref[i][bad]);
            }
        }
    }
    lk_net_free(net);
    for (int i = 0; i < n_out; i++)
        free(got[i]);
    /* With LOOKOUT_VALIDATION=1 any validation message fails the test. */
    if (lk_context_validation_errors(ctx))
        fail_msg("%s: %llu Vulkan validation message(s), see stderr", what,
                 (unsigned long long)lk_context_validation_errors(ctx));
    return worst;
}

/* Reference outputs of g, one malloc'd array per output. */
static void reference(const lk_graph *g, const float *const *inputs, float **ref)
{
    lk_msg msg = {{0}};
    for (int i = 0; i < lk_graph_n_outputs(g); i++) {
        lk_shape s;
        lk_graph_shape(g, lk_graph_output_tensor(g, i), &s);
        ref[i] = malloc((size_t)lk_shape_numel(&s) * sizeof(float) + 1);
        assert_non_null(ref[i]);
    }
    if (lk_graph_run_reference(g, inputs, ref, &msg))
        fail_msg("reference: %s", msg.text);
}

double lkt_check(const lkt_case *c)
{
    lk_msg msg = {{0}};
    built b;
    int n_out = c->n_out ? c->n_out : 1;
    float *ref[16] = {0};

    lkt_context();
    if (build(c, &b, &msg))
        fail_msg("%s: graph refused: %s", lk_op_name(c->op), msg.text);
    for (int i = 0; i < n_out; i++)
        assert_int_equal(lk_graph_output(b.g, b.out[i], &msg), LK_OK);
    reference(b.g, b.inputs, ref);
    double worst = run_compare(b.g, b.inputs, ref, c->precision, lk_op_name(c->op));
    for (int i = 0; i < n_out; i++)
        free(ref[i]);
    built_free(&b);
    return worst;
}

void lkt_check_graph(const lk_graph *g, const float *const *inputs, float *const *ref_out)
{
    int n_in = lk_graph_n_inputs(g), n_out = lk_graph_n_outputs(g);
    float *x[16] = {0}, *ref[16] = {0};
    const float *in[16];
    lk_context *ctx = lkt_context();

    assert_true(n_in <= 16 && n_out <= 16);
    for (int i = 0; i < n_in; i++) {
        if (inputs) {
            in[i] = inputs[i];
            continue;
        }
        lk_shape s;
        lk_graph_shape(g, lk_graph_input_tensor(g, i), &s);
        x[i] = malloc((size_t)lk_shape_numel(&s) * sizeof(float) + 1);
        assert_non_null(x[i]);
        lkt_fill(x[i], (size_t)lk_shape_numel(&s), -1.0f, 1.0f);
        in[i] = x[i];
    }
    reference(g, in, ref);
    run_compare(g, in, ref, LK_FP32, "graph");
    if (lk_context_device(ctx)->fp16_storage)
        run_compare(g, in, ref, LK_FP16, "graph");
    for (int i = 0; i < n_out; i++) {
        if (ref_out) {
            lk_shape s;
            lk_graph_shape(g, lk_graph_output_tensor(g, i), &s);
            memcpy(ref_out[i], ref[i], (size_t)lk_shape_numel(&s) * sizeof(float));
        }
        free(ref[i]);
    }
    for (int i = 0; i < n_in; i++)
        free(x[i]);
}

void lkt_expect_reference(const lkt_case *c, const lk_shape *want_shape, const float *want)
{
    lk_msg msg = {{0}};
    built b;
    lk_shape os;
    float *ref[1] = {0};
    char got_s[96], want_s[96];

    if (build(c, &b, &msg))
        fail_msg("%s: graph refused: %s", lk_op_name(c->op), msg.text);
    assert_int_equal(lk_graph_output(b.g, b.out[0], &msg), LK_OK);
    lk_graph_shape(b.g, b.out[0], &os);
    if (!lk_shape_eq(&os, want_shape))
        fail_msg("%s: output shape %s, want %s", lk_op_name(c->op),
                 lk_shape_str(&os, got_s, sizeof got_s), lk_shape_str(want_shape, want_s, sizeof want_s));
    reference(b.g, b.inputs, ref);
    for (int64_t i = 0; i < lk_shape_numel(&os); i++)
        if (fabsf(ref[0][i] - want[i]) > 1e-5f * fmaxf(1.0f, fabsf(want[i])))
            fail_msg("%s reference element %lld: got %g, want %g", lk_op_name(c->op), (long long)i,
                     (double)ref[0][i], (double)want[i]);
    free(ref[0]);
    built_free(&b);
}

void lkt_check_both(lkt_case *c)
{
    lk_precision saved = c->precision;
    c->precision = LK_FP32;
    lkt_check(c);
    if (lk_context_device(lkt_context())->fp16_storage) {
        c->precision = LK_FP16;
        lkt_check(c);
    }
    c->precision = saved;
}

double lkt_flops(const lkt_case *c)
{
    lk_msg msg = {{0}};
    built b;
    if (build(c, &b, &msg))
        fail_msg("%s: graph refused: %s", lk_op_name(c->op), msg.text);
    double f = lk_graph_flops(b.g);
    built_free(&b);
    return f;
}

void lkt_expect_error(const lkt_case *c, lk_status status, const char *needle)
{
    lk_msg msg = {{0}};
    built b;
    lk_status st = build(c, &b, &msg);
    if (st != status)
        fail_msg("%s: expected status %s, got %s (%s)", lk_op_name(c->op), lk_status_str(status),
                 lk_status_str(st), msg.text);
    if (needle && !strstr(msg.text, needle))
        fail_msg("%s: message \"%s\" does not mention \"%s\"", lk_op_name(c->op), msg.text, needle);
    built_free(&b);
}
