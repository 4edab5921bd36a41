#include <stdlib.h>

#include "graph.h"
#include "plan.h"

static uint64_t align_up(uint64_t v, uint64_t a)
{
    return (v + a - 1) / a * a;
}

static int overlaps(const lk_plan_item *a, const lk_plan_item *b)
{
    return a->first <= b->last && b->first <= a->last;
}

typedef struct sort_key {
    uint64_t bytes;
    int first, index;
} sort_key;

/* Larger buffers first, earlier ones first among equals: a stable order. */
static int cmp_keys(const void *pa, const void *pb)
{
    const sort_key *a = pa, *b = pb;
    if (a->bytes != b->bytes)
        return a->bytes < b->bytes ? 1 : -1;
    if (a->first != b->first)
        return a->first - b->first;
    return a->index - b->index;
}

static int cmp_u64_pairs(const void *pa, const void *pb)
{
    const uint64_t *a = pa, *b = pb;
    return a[0] < b[0] ? -1 : a[0] > b[0];
}

lk_status lk_plan_build(lk_plan_item *items, int n, uint64_t align, lk_plan_stats *stats,
                        lk_msg *msg)
{
    sort_key *order = NULL;
    int *placed = NULL;
    uint64_t *busy = NULL;
    lk_status st = LK_OK;
    int n_placed = 0, max_step = 0;

    stats->arena_bytes = stats->naive_bytes = stats->peak_live_bytes = 0;
    if (n <= 0)
        return LK_OK;
    order = malloc((size_t)n * sizeof *order);
    placed = malloc((size_t)n * sizeof *placed);
    busy = malloc((size_t)n * 2 * sizeof *busy);
    if (!order || !placed || !busy) {
        st = lk_fail(msg, LK_ERR_NO_MEMORY, "memory plan: out of memory");
        goto fail;
    }
    for (int i = 0; i < n; i++) {
        if (items[i].first > items[i].last || items[i].first < 0) {
            st = lk_fail(msg, LK_ERR_INVALID_ARG, "memory plan: buffer %d has lifetime %d..%d",
                         i, items[i].first, items[i].last);
            goto fail;
        }
        order[i] = (sort_key){items[i].bytes, items[i].first, i};
        stats->naive_bytes += align_up(items[i].bytes, align);
        if (items[i].last > max_step)
            max_step = items[i].last;
    }
    qsort(order, (size_t)n, sizeof *order, cmp_keys);

    for (int k = 0; k < n; k++) {
        lk_plan_item *it = &items[order[k].index];
        uint64_t size = align_up(it->bytes ? it->bytes : 1, align), off = 0;
        int nb = 0;
        /* Collect [start, end) ranges of placed buffers live at the same
         * time, sorted by start, and take the first gap that fits. */
        for (int j = 0; j < n_placed; j++) {
            const lk_plan_item *o = &items[placed[j]];
            if (overlaps(it, o)) {
                busy[2 * nb] = o->offset;
                busy[2 * nb + 1] = o->offset + align_up(o->bytes ? o->bytes : 1, align);
                nb++;
            }
        }
        qsort(busy, (size_t)nb, 2 * sizeof *busy, cmp_u64_pairs);
        for (int j = 0; j < nb; j++) {
            if (busy[2 * j] >= off + size)
                break;
            if (busy[2 * j + 1] > off)
                off = busy[2 * j + 1];
        }
        it->offset = off;
        placed[n_placed++] = order[k].index;
        if (off + size > stats->arena_bytes)
            stats->arena_bytes = off + size;
    }

    for (int s = 0; s <= max_step; s++) {
        uint64_t live = 0;
        for (int i = 0; i < n; i++)
            if (items[i].first <= s && s <= items[i].last)
                live += align_up(items[i].bytes, align);
        if (live > stats->peak_live_bytes)
            stats->peak_live_bytes = live;
    }

fail:
    free(order);
    free(placed);
    free(busy);
    return st;
}
