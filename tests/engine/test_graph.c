/* Graph construction errors: each refused with a status and a message
 * that names the node and the problem. */
#include <string.h>

#include "harness.h"

static void expect(lk_status got, lk_status want, const lk_msg *msg, const char *needle)
{
    if (got != want)
        fail_msg("expected %s, got %s (%s)", lk_status_str(want), lk_status_str(got), msg->text);
    if (needle && !strstr(msg->text, needle))
        fail_msg("message \"%s\" lacks \"%s\"", msg->text, needle);
}

static void test_construction_errors(void **state)
{
    (void)state;
    lk_graph *g;
    lk_msg msg = {{0}};
    lk_tensor x, y;
    lk_params p;
    lk_shape good = lk_shape4(1, 2, 3, 4), bad = lk_shape4(1, 0, 3, 4);
    assert_int_equal(lk_graph_new(&g, NULL), LK_OK);
    expect(lk_graph_input(g, "zero", &bad, &x, &msg), LK_ERR_SHAPE, &msg, "dimension 1 is 0");
    lk_shape huge = lk_shape4(1 << 20, 1 << 20, 1 << 20, 4);
    expect(lk_graph_input(g, "huge", &huge, &x, &msg), LK_ERR_SHAPE, &msg, "elements");
    expect(lk_graph_constant(g, "nodata", &good, NULL, &x, &msg), LK_ERR_INVALID_ARG, &msg, "no data");
    assert_int_equal(lk_graph_input(g, "x", &good, &x, NULL), LK_OK);
    lk_params_init(LK_OP_UNARY, &p);
    expect(lk_graph_add(g, (lk_op)999, &p, "n", &x, 1, &y, 1, &msg), LK_ERR_INVALID_ARG, &msg, "unknown op");
    expect(lk_graph_add(g, LK_OP_UNARY, &p, "relu1", (lk_tensor[]){x, x}, 2, &y, 1, &msg),
           LK_ERR_INVALID_ARG, &msg, "relu1");
    lk_tensor missing = 1234;
    expect(lk_graph_add(g, LK_OP_UNARY, &p, "dangling", &missing, 1, &y, 1, &msg),
           LK_ERR_INVALID_ARG, &msg, "refers to no tensor");
    expect(lk_graph_output(g, 77, &msg), LK_ERR_INVALID_ARG, &msg, "no tensor");
    lk_params_init(LK_OP_BINARY, &p);
    lk_tensor z;
    lk_shape other = lk_shape4(1, 3, 3, 4);
    assert_int_equal(lk_graph_input(g, "z", &other, &z, NULL), LK_OK);
    expect(lk_graph_add(g, LK_OP_BINARY, &p, "badadd", (lk_tensor[]){x, z}, 2, &y, 1, &msg),
           LK_ERR_SHAPE, &msg, "badadd");
    lk_graph_free(g);
}

static void test_reference_and_flops(void **state)
{
    (void)state;
    lk_graph *g;
    lk_tensor a, b, c;
    lk_params p;
    lk_shape s = lk_shape_make(2, (int64_t[]){3, 4}), t = lk_shape_make(2, (int64_t[]){4, 5});
    float bd[20], ad[12], out[15], want[15];
    lkt_fill(ad, 12, -1, 1);
    lkt_fill(bd, 20, -1, 1);
    assert_int_equal(lk_graph_new(&g, NULL), LK_OK);
    assert_int_equal(lk_graph_input(g, "a", &s, &a, NULL), LK_OK);
    assert_int_equal(lk_graph_constant(g, "b", &t, bd, &b, NULL), LK_OK);
    lk_params_init(LK_OP_MATMUL, &p);
    assert_int_equal(lk_graph_add(g, LK_OP_MATMUL, &p, "mm", (lk_tensor[]){a, b}, 2, &c, 1, NULL), LK_OK);
    assert_int_equal(lk_graph_output(g, c, NULL), LK_OK);
    const float *in[1] = {ad};
    float *o[1] = {out};
    assert_int_equal(lk_graph_run_reference(g, in, o, NULL), LK_OK);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 5; j++) {
            double acc = 0;
            for (int k = 0; k < 4; k++)
                acc += (double)ad[i * 4 + k] * bd[k * 5 + j];
            want[i * 5 + j] = (float)acc;
        }
    assert_true(lkt_error(out, want, 15) < 1e-6);
    assert_true(lk_graph_flops(g) == 2.0 * 3 * 4 * 5);
    lk_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_construction_errors),
        cmocka_unit_test(test_reference_and_flops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
