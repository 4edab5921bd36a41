/* Activation memory planning: every buffer that is not a weight gets an
 * offset in one arena so that buffers whose lifetimes overlap never share
 * bytes, and the arena stays close to the largest live set. Backend-neutral:
 * it only sees sizes and step ranges. */
#ifndef LK_PLAN_H
#define LK_PLAN_H

#include <stdint.h>

#include "lookout/lookout.h"

typedef struct lk_plan_item {
    uint64_t bytes;
    int first, last;     /* steps during which the buffer is live, inclusive */
    uint64_t offset;     /* filled by lk_plan_build */
} lk_plan_item;

typedef struct lk_plan_stats {
    uint64_t arena_bytes;      /* end of the highest placed buffer */
    uint64_t naive_bytes;      /* sum of all buffers */
    uint64_t peak_live_bytes;  /* largest total of buffers live at one step */
} lk_plan_stats;

/* Places items (greedy by size, lowest free offset that does not collide
 * with an already placed buffer of overlapping lifetime); offsets are
 * multiples of align. */
lk_status lk_plan_build(lk_plan_item *items, int n, uint64_t align, lk_plan_stats *stats,
                        lk_msg *msg);

#endif
