/*
 * Frame bitmap bookkeeping: pure logic, host-tested (tests/unit/test_frame_pool.c).
 *
 * Searches walk the bitmap a 64-bit word at a time: a word with every bit set
 * (no free frame) or clear (no used frame) is skipped in one step, so even a
 * pool of many GiB is scanned in a few hundred thousand steps at most.
 */
#include "mm/frame_pool.h"

#include <stdbool.h>

#include "lib/string.h"

#define WORD_ALL_USED UINT64_MAX

static size_t frame_round_down(uint64_t addr)
{
    return (size_t)(addr >> PAGE_SHIFT);
}

static size_t frame_round_up(uint64_t addr)
{
    return frame_round_down(addr) + ((addr & (PAGE_SIZE - 1)) != 0);
}

static bool is_power_of_two(size_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

static size_t align_up(size_t x, size_t align)
{
    return (x + align - 1) & ~(align - 1);
}

/* Bits [lo, hi) of a word, 0 <= lo < hi <= 64. */
static uint64_t word_mask(unsigned lo, unsigned hi)
{
    uint64_t below_hi = hi == FRAME_POOL_WORD_BITS ? WORD_ALL_USED : (1ull << hi) - 1;
    return below_hi & ~((1ull << lo) - 1);
}

/* Written out rather than __builtin_popcountll: without -mpopcnt gcc turns
 * that into a call to libgcc, which keel does not link. */
static unsigned count_bits(uint64_t x)
{
    unsigned n = 0;
    for (; x != 0; x &= x - 1)
        n++;
    return n;
}

static unsigned lowest_set_bit(uint64_t nonzero)
{
    return (unsigned)__builtin_ctzll(nonzero);
}

static size_t word_of(size_t frame)
{
    return frame / FRAME_POOL_WORD_BITS;
}

static unsigned bit_of(size_t frame)
{
    return (unsigned)(frame % FRAME_POOL_WORD_BITS);
}

/* Sets (used) or clears (!used) the bits of frames [first, end) and returns
 * how many of them changed. */
static size_t mark_frames(struct frame_pool *pool, size_t first, size_t end, bool used)
{
    size_t changed = 0;

    while (first < end) {
        size_t word = word_of(first);
        size_t left = end - word * FRAME_POOL_WORD_BITS;
        unsigned hi = left >= FRAME_POOL_WORD_BITS ? FRAME_POOL_WORD_BITS : (unsigned)left;
        uint64_t mask = word_mask(bit_of(first), hi);
        uint64_t old = pool->bitmap[word];
        uint64_t now = used ? old | mask : old & ~mask;

        changed += count_bits(old ^ now);
        pool->bitmap[word] = now;
        first = word * FRAME_POOL_WORD_BITS + hi;
    }
    return changed;
}

static size_t mark_used(struct frame_pool *pool, size_t first, size_t end)
{
    return mark_frames(pool, first, end, true);
}

static size_t mark_free(struct frame_pool *pool, size_t first, size_t end)
{
    return mark_frames(pool, first, end, false);
}

static void note_free_at(struct frame_pool *pool, size_t frame)
{
    if (word_of(frame) < pool->first_free_word)
        pool->first_free_word = word_of(frame);
}

/* The first free frame at or after from, or frame_count.  The padding bits past
 * frame_count in the last word are always set, so they are never found. */
static size_t find_free_from(const struct frame_pool *pool, size_t from)
{
    if (from >= pool->frame_count)
        return pool->frame_count;

    size_t word = word_of(from);
    uint64_t free_bits = ~pool->bitmap[word] & word_mask(bit_of(from), FRAME_POOL_WORD_BITS);

    while (free_bits == 0) {
        if (++word == pool->word_count)
            return pool->frame_count;
        free_bits = ~pool->bitmap[word];
    }
    return word * FRAME_POOL_WORD_BITS + lowest_set_bit(free_bits);
}

/* The first used frame in [from, limit), or limit; from < limit <= frame_count. */
static size_t find_used_from(const struct frame_pool *pool, size_t from, size_t limit)
{
    size_t word = word_of(from);
    uint64_t used_bits = pool->bitmap[word] & word_mask(bit_of(from), FRAME_POOL_WORD_BITS);

    while (used_bits == 0) {
        if (++word * FRAME_POOL_WORD_BITS >= limit)
            return limit;
        used_bits = pool->bitmap[word];
    }
    size_t frame = word * FRAME_POOL_WORD_BITS + lowest_set_bit(used_bits);
    return frame < limit ? frame : limit;
}

/* The lowest free frame (or frame_count); moves first_free_word up to it, since
 * every word below is now known to be full. */
static size_t find_lowest_free(struct frame_pool *pool)
{
    size_t frame = find_free_from(pool, pool->first_free_word * FRAME_POOL_WORD_BITS);

    pool->first_free_word = word_of(frame);
    return frame;
}

size_t frame_pool_bitmap_bytes(size_t frame_count)
{
    size_t words = (frame_count + FRAME_POOL_WORD_BITS - 1) / FRAME_POOL_WORD_BITS;
    return words * sizeof(uint64_t);
}

void frame_pool_init(struct frame_pool *pool, uint64_t *bitmap, size_t frame_count)
{
    pool->bitmap = bitmap;
    pool->frame_count = frame_count;
    pool->word_count = frame_pool_bitmap_bytes(frame_count) / sizeof(uint64_t);
    pool->free_frames = 0;
    pool->usable_frames = 0;
    pool->first_free_word = pool->word_count;
    memset(bitmap, 0xff, pool->word_count * sizeof(uint64_t));
}

void frame_pool_add_free_range(struct frame_pool *pool, uint64_t start, uint64_t end)
{
    size_t first = frame_round_up(start);
    size_t last = frame_round_down(end);

    /* Frame 0 stays used so that 0 can mean "no frame". */
    if (first == 0)
        first = 1;
    if (last > pool->frame_count)
        last = pool->frame_count;
    if (first >= last)
        return;

    size_t freed = mark_free(pool, first, last);
    pool->free_frames += freed;
    pool->usable_frames += freed;
    note_free_at(pool, first);
}

void frame_pool_reserve_range(struct frame_pool *pool, uint64_t start, uint64_t end)
{
    size_t first = frame_round_down(start);
    size_t last = frame_round_up(end);

    if (last > pool->frame_count)
        last = pool->frame_count;
    if (first >= last)
        return;

    size_t taken = mark_used(pool, first, last);
    pool->free_frames -= taken;
    pool->usable_frames -= taken;
}

uint64_t frame_pool_alloc(struct frame_pool *pool)
{
    return frame_pool_alloc_contig(pool, 1, 1);
}

/*
 * First fit: take the lowest free frame, round it up to the alignment, and look
 * for a used frame among the next count.  If there is one, the search resumes
 * just past it, so no frame is examined twice.
 */
uint64_t frame_pool_alloc_contig(struct frame_pool *pool, size_t count, size_t align_frames)
{
    if (count == 0 || !is_power_of_two(align_frames) || count > pool->free_frames)
        return 0;
    /* Only frame 0 is aligned that much, and it is never free; rejecting this
     * here also keeps align_up() below from overflowing. */
    if (align_frames >= pool->frame_count)
        return 0;

    size_t from = find_lowest_free(pool);

    for (;;) {
        size_t start = align_up(find_free_from(pool, from), align_frames);

        if (start >= pool->frame_count || pool->frame_count - start < count)
            return 0;

        size_t used = find_used_from(pool, start, start + count);
        if (used == start + count) {
            mark_used(pool, start, start + count);
            pool->free_frames -= count;
            return (uint64_t)start << PAGE_SHIFT;
        }
        from = used + 1;
    }
}

int frame_pool_free(struct frame_pool *pool, uint64_t phys)
{
    return frame_pool_free_contig(pool, phys, 1);
}

int frame_pool_free_contig(struct frame_pool *pool, uint64_t phys, size_t count)
{
    if ((phys & (PAGE_SIZE - 1)) != 0 || count == 0)
        return FRAME_POOL_BAD_ADDRESS;

    size_t first = frame_round_down(phys);
    if (first == 0 || first >= pool->frame_count || count > pool->frame_count - first)
        return FRAME_POOL_BAD_ADDRESS;
    /* Check the whole range first so a bad call changes nothing. */
    if (find_free_from(pool, first) < first + count)
        return FRAME_POOL_DOUBLE_FREE;

    mark_free(pool, first, first + count);
    pool->free_frames += count;
    note_free_at(pool, first);
    return FRAME_POOL_OK;
}

size_t frame_pool_free_count(const struct frame_pool *pool)
{
    return pool->free_frames;
}

size_t frame_pool_total_count(const struct frame_pool *pool)
{
    return pool->usable_frames;
}
