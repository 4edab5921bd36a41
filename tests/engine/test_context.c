/* Device enumeration and choice, missing drivers, the pipeline cache. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"

static void test_list_and_choose(void **state)
{
    (void)state;
    lk_device_info infos[16];
    int n = 0, chosen = -1;
    lkt_context();
    assert_int_equal(lk_device_list(infos, 16, &n, NULL, &chosen, NULL), LK_OK);
    assert_true(n >= 1);
    assert_true(chosen >= 0 && chosen < n);
    /* The preference order: no device of a better type than the chosen. */
    for (int i = 0; i < n && i < 16; i++)
        if (infos[i].type == LK_DEVICE_DISCRETE)
            assert_int_equal(infos[chosen].type, LK_DEVICE_DISCRETE);
    /* By index and by a name substring in another case. */
    char sel[260];
    snprintf(sel, sizeof sel, "%d", n - 1);
    assert_int_equal(lk_device_list(infos, 16, &n, sel, &chosen, NULL), LK_OK);
    assert_int_equal(chosen, n - 1);
    snprintf(sel, sizeof sel, "%.5s", infos[0].name);
    for (char *c = sel; *c; c++)
        *c = (char)(*c >= 'a' && *c <= 'z' ? *c - 32 : *c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
    assert_int_equal(lk_device_list(infos, 16, &n, sel, &chosen, NULL), LK_OK);
    assert_true(strncasecmp(infos[chosen].name, sel, strlen(sel)) == 0);
}

static void test_bad_selection(void **state)
{
    (void)state;
    lk_context_opts o;
    lk_context *ctx = NULL;
    lk_msg msg = {{0}};
    lkt_context();
    lk_context_opts_init(&o);
    o.device = "no-such-gpu-xyz";
    assert_int_equal(lk_context_new(&o, &ctx, &msg), LK_ERR_NO_DEVICE);
    assert_null(ctx);
    assert_non_null(strstr(msg.text, "no-such-gpu-xyz"));
    o.device = "99";
    assert_int_equal(lk_context_new(&o, &ctx, &msg), LK_ERR_NO_DEVICE);
    assert_non_null(strstr(msg.text, "index 99"));
    /* The environment variable is used when the option is empty. */
    setenv("LOOKOUT_DEVICE", "no-such-gpu-env", 1);
    o.device = NULL;
    assert_int_equal(lk_context_new(&o, &ctx, &msg), LK_ERR_NO_DEVICE);
    assert_non_null(strstr(msg.text, "no-such-gpu-env"));
    unsetenv("LOOKOUT_DEVICE");
}

/* With the loader pointed at a driver manifest that does not exist there
 * is no device at all: a status and a message, not a crash. */
static void test_no_driver(void **state)
{
    (void)state;
    lk_device_info infos[4];
    int n = -1, chosen;
    lk_msg msg = {{0}};
    lk_context *ctx = NULL;
    lkt_context();
    setenv("VK_ICD_FILENAMES", "/nonexistent/lookout-test-icd.json", 1);
    setenv("VK_DRIVER_FILES", "/nonexistent/lookout-test-icd.json", 1);
    lk_status st = lk_device_list(infos, 4, &n, NULL, &chosen, &msg);
    assert_int_equal(st, LK_ERR_NO_DEVICE);
    print_message("without a driver: %s\n", msg.text);
    assert_true(strstr(msg.text, "driver") || strstr(msg.text, "device"));
    assert_int_equal(lk_context_new(NULL, &ctx, &msg), LK_ERR_NO_DEVICE);
    assert_null(ctx);
    unsetenv("VK_ICD_FILENAMES");
    unsetenv("VK_DRIVER_FILES");
}

static void test_pipeline_cache_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/lookout-cache-XXXXXX", path[300];
    lk_context_opts o;
    lk_context *ctx;
    lk_graph *g;
    lk_net *net;
    lk_tensor x, y;
    lk_params p;
    lk_shape s = lk_shape4(1, 2, 3, 4);
    struct stat sb;
    lkt_context();
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/pipelines.bin", dir);
    lk_context_opts_init(&o);
    o.pipeline_cache = path;
    assert_int_equal(lk_context_new(&o, &ctx, NULL), LK_OK);
    assert_int_equal(lk_graph_new(&g, NULL), LK_OK);
    assert_int_equal(lk_graph_input(g, "x", &s, &x, NULL), LK_OK);
    lk_params_init(LK_OP_UNARY, &p);
    p.unary.act.kind = LK_ACT_SIGMOID;
    assert_int_equal(lk_graph_add(g, LK_OP_UNARY, &p, NULL, &x, 1, &y, 1, NULL), LK_OK);
    assert_int_equal(lk_graph_output(g, y, NULL), LK_OK);
    assert_int_equal(lk_net_new(ctx, g, NULL, &net, NULL), LK_OK);
    lk_net_free(net);
    lk_context_free(ctx);
    assert_int_equal(stat(path, &sb), 0);
    assert_true(sb.st_size > 0);
    /* A corrupt cache is ignored, not fatal. */
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs("not a pipeline cache", fp);
    fclose(fp);
    assert_int_equal(lk_context_new(&o, &ctx, NULL), LK_OK);
    assert_int_equal(lk_net_new(ctx, g, NULL, &net, NULL), LK_OK);
    lk_net_free(net);
    lk_context_free(ctx);
    lk_graph_free(g);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_list_and_choose),
        cmocka_unit_test(test_bad_selection),
        cmocka_unit_test(test_no_driver),
        cmocka_unit_test(test_pipeline_cache_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
