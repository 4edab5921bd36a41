/* Memory planner: random lifetimes, checked for overlap and bounds, and a
 * real graph whose plan must beat allocating every tensor separately. */
#include <string.h>

#include "harness.h"
#include "plan.h"

static void check_plan(lk_plan_item *items, int n, uint64_t align)
{
    lk_plan_stats st;
    lk_msg msg = {{0}};
    assert_int_equal(lk_plan_build(items, n, align, &st, &msg), LK_OK);
    for (int i = 0; i < n; i++) {
        assert_int_equal(items[i].offset % align, 0);
        assert_true(items[i].offset + items[i].bytes <= st.arena_bytes);
        for (int j = i + 1; j < n; j++) {
            int live_together = items[i].first <= items[j].last && items[j].first <= items[i].last;
            int share = items[i].offset < items[j].offset + items[j].bytes &&
                        items[j].offset < items[i].offset + items[i].bytes;
            if (live_together && share && items[i].bytes && items[j].bytes)
                fail_msg("buffers %d [%d,%d] and %d [%d,%d] overlap in memory", i, items[i].first,
                         items[i].last, j, items[j].first, items[j].last);
        }
    }
    assert_true(st.arena_bytes <= st.naive_bytes);
    assert_true(st.arena_bytes >= st.peak_live_bytes);
}

static void test_random_lifetimes(void **state)
{
    (void)state;
    for (int round = 0; round < 200; round++) {
        lk_plan_item items[64];
        int n = 1 + (int)(lkt_rand() % 64), steps = 1 + (int)(lkt_rand() % 40);
        for (int i = 0; i < n; i++) {
            int a = (int)(lkt_rand() % (uint32_t)steps), b = (int)(lkt_rand() % (uint32_t)steps);
            items[i].first = a < b ? a : b;
            items[i].last = a < b ? b : a;
            items[i].bytes = 1 + lkt_rand() % 100000;
        }
        check_plan(items, n, 256);
    }
}

/* A chain a→b→c→… only ever has two tensors live: the plan is two slots. */
static void test_chain_reuses_memory(void **state)
{
    (void)state;
    lk_plan_item items[20];
    lk_plan_stats st;
    for (int i = 0; i < 20; i++)
        items[i] = (lk_plan_item){1000, i, i + 1, 0};
    assert_int_equal(lk_plan_build(items, 20, 256, &st, NULL), LK_OK);
    assert_int_equal(st.naive_bytes, 20 * 1024);
    assert_int_equal(st.peak_live_bytes, 2 * 1024);
    assert_int_equal(st.arena_bytes, 2 * 1024);
}

static void test_bad_lifetime(void **state)
{
    (void)state;
    lk_plan_item item = {100, 5, 2, 0};
    lk_plan_stats st;
    lk_msg msg = {{0}};
    assert_int_equal(lk_plan_build(&item, 1, 256, &st, &msg), LK_ERR_INVALID_ARG);
    assert_non_null(strstr(msg.text, "lifetime"));
}

/* A real net: ten chained ops; planned arena well under the naive sum. */
static void test_net_plan(void **state)
{
    (void)state;
    lk_context *ctx = lkt_context();
    lk_graph *g;
    lk_tensor t, next;
    lk_params p;
    lk_net *net;
    lk_mem_report mem;
    lk_shape s = lk_shape4(1, 8, 32, 32);
    assert_int_equal(lk_graph_new(&g, NULL), LK_OK);
    assert_int_equal(lk_graph_input(g, "x", &s, &t, NULL), LK_OK);
    lk_params_init(LK_OP_UNARY, &p);
    p.unary.act.kind = LK_ACT_RELU;
    for (int i = 0; i < 10; i++) {
        assert_int_equal(lk_graph_add(g, LK_OP_UNARY, &p, NULL, &t, 1, &next, 1, NULL), LK_OK);
        t = next;
    }
    assert_int_equal(lk_graph_output(g, t, NULL), LK_OK);
    assert_int_equal(lk_net_new(ctx, g, NULL, &net, NULL), LK_OK);
    lk_net_memory(net, &mem);
    print_message("chain of 10: arena %llu bytes, naive %llu, peak live %llu\n",
                  (unsigned long long)mem.arena_bytes, (unsigned long long)mem.naive_bytes,
                  (unsigned long long)mem.peak_live_bytes);
    assert_true(mem.arena_bytes <= mem.naive_bytes / 4);
    assert_true(mem.arena_bytes >= mem.peak_live_bytes);
    lk_net_free(net);
    lk_graph_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_lifetimes),
        cmocka_unit_test(test_chain_reuses_memory),
        cmocka_unit_test(test_bad_lifetime),
        cmocka_unit_test(test_net_plan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
