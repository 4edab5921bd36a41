/* global_pool: max and average over the spatial axes of random odd
 * [N,C,H,W] (batch > 1), planes smaller and larger than a workgroup,
 * 1x1 planes, ranks 3 and 5, more planes than one dispatch row holds,
 * and the errors. */
#include <string.h>

#include "harness.h"

static int64_t rand_dim(int64_t lo, int64_t hi)
{
    return lo + (int64_t)(lkt_rand() % (uint32_t)(hi - lo + 1));
}

static lkt_case make_case(lk_pool_kind kind, lk_shape x)
{
    lkt_case c;
    memset(&c, 0, sizeof c);
    c.op = LK_OP_GLOBAL_POOL;
    lk_params_init(LK_OP_GLOBAL_POOL, &c.p);
    c.p.global_pool.kind = kind;
    c.n_in = 1;
    c.in[0] = x;
    return c;
}

static void check_kinds(lk_shape x)
{
    lkt_case c = make_case(LK_POOL_MAX, x);
    lkt_check_both(&c);
    c = make_case(LK_POOL_AVG, x);
    lkt_check_both(&c);
}

static void test_global_pool_random(void **state)
{
    (void)state;
    for (int i = 0; i < 4; i++)
        check_kinds(lk_shape4(rand_dim(2, 3), rand_dim(1, 9), rand_dim(1, 23), rand_dim(1, 23)));
}

static void test_global_pool_plane_sizes(void **state)
{
    (void)state;
    /* 1, below 64, between workgroup sizes, several passes of 256. */
    check_kinds(lk_shape4(2, 5, 1, 1));
    check_kinds(lk_shape4(2, 3, 7, 9));
    check_kinds(lk_shape4(3, 2, 11, 13));
    check_kinds(lk_shape4(2, 3, 40, 41));
}

static void test_global_pool_ranks(void **state)
{
    (void)state;
    const int64_t d3[3] = {2, 5, rand_dim(1, 300)};
    check_kinds(lk_shape_make(3, d3));
    const int64_t d5[5] = {2, 3, rand_dim(1, 5), rand_dim(1, 7), rand_dim(1, 9)};
    check_kinds(lk_shape_make(5, d5));
}

static void test_global_pool_many_planes(void **state)
{
    (void)state;
    /* More (n, c) planes than the 65535 workgroups of one dispatch row. */
    check_kinds(lk_shape4(2, 40001, 1, 2));
}

static void test_global_pool_errors(void **state)
{
    (void)state;
    const int64_t d2[2] = {2, 8};
    lkt_case c = make_case(LK_POOL_AVG, lk_shape_make(2, d2));
    lkt_expect_error(&c, LK_ERR_SHAPE, "input [2,8] has no spatial axes (needs rank >= 3)");
    c = make_case((lk_pool_kind)3, lk_shape4(1, 2, 3, 3));
    lkt_expect_error(&c, LK_ERR_INVALID_ARG, "unknown pool kind 3");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_global_pool_random),
        cmocka_unit_test(test_global_pool_plane_sizes),
        cmocka_unit_test(test_global_pool_ranks),
        cmocka_unit_test(test_global_pool_many_planes),
        cmocka_unit_test(test_global_pool_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
