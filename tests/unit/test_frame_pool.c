#include "mm/frame_pool.c"

#include <stdbool.h>
#include <time.h>

#include "tests/unit/unit.h"

#define KIB(x) ((uint64_t)(x) << 10)
#define MIB(x) ((uint64_t)(x) << 20)
#define GIB(x) ((uint64_t)(x) << 30)
#define FRAME(n) ((uint64_t)(n) * PAGE_SIZE)

/* A pool over a heap bitmap, so ASan sees any access past its end. */
struct test_pool {
    struct frame_pool pool;
    uint64_t *bitmap;
};

static struct frame_pool *make_pool(struct test_pool *t, size_t frames)
{
    size_t bytes = frame_pool_bitmap_bytes(frames);

    t->bitmap = malloc(bytes ? bytes : 1);
    frame_pool_init(&t->pool, t->bitmap, frames);
    return &t->pool;
}

static void drop_pool(struct test_pool *t)
{
    free(t->bitmap);
}

static bool frame_is_free(const struct frame_pool *p, size_t frame)
{
    return !((p->bitmap[frame / 64] >> (frame % 64)) & 1);
}

static size_t count_free_bits(const struct frame_pool *p)
{
    size_t n = 0;
    for (size_t f = 0; f < p->frame_count; f++)
        n += frame_is_free(p, f);
    return n;
}

TEST(bitmap_bytes_are_whole_words)
{
    CHECK_EQ_U(frame_pool_bitmap_bytes(0), 0);
    CHECK_EQ_U(frame_pool_bitmap_bytes(1), 8);
    CHECK_EQ_U(frame_pool_bitmap_bytes(64), 8);
    CHECK_EQ_U(frame_pool_bitmap_bytes(65), 16);
    CHECK_EQ_U(frame_pool_bitmap_bytes(GIB(16) / PAGE_SIZE), KIB(512));
}

TEST(fresh_pool_has_nothing_free)
{
    struct test_pool t;
    struct frame_pool *p = make_pool(&t, 100);

    CHECK_EQ_U(frame_pool_free_count(p), 0);
    CHECK_EQ_U(frame_pool_total_count(p), 0);
    CHECK_EQ_U(frame_pool_alloc(p), 0);
    CHECK_EQ_U(frame_pool_alloc_contig(p, 1, 1), 0);
    CHECK_EQ_U(count_free_bits(p), 0);
    drop_pool(&t);
}

TEST(add_free_range_rounds_inward)
{
    struct test_pool t;
    struct frame_pool *p = make_pool(&t, 64);

    /* Frame 1 is only partly covered, frames 2..4 fully, frame 5 partly. */
    frame_pool_add_free_range(p, 0x1001, 0x5fff);
    CHECK_EQ_U(frame_pool_free_count(p), 3);
    CHECK_EQ_U(frame_pool_total_count(p), 3);
    CHECK_EQ_U(frame_pool_alloc(p), 0x2000);
    CHECK_EQ_U(frame_pool_alloc(p), 0x3000);
    CHECK_EQ_U(frame_pool_alloc(p), 0x4000);
    CHECK_EQ_U(frame_pool_alloc(p), 0);
    CHECK_EQ_U(frame_pool_free_count(p), 0);
    CHECK_EQ_U(frame_pool_total_count(p), 3);
    drop_pool(&t);
}

TEST(range_smaller_than_a_frame_adds_nothing)
{
    struct test_pool t;
    struct frame_pool *p = make_pool(&t, 64);

    frame_pool_add_free_range(p, 0x1800, 0x2800);
    frame_pool_add_free_range(p, 0x5000, 0x5000);
    frame_pool_add_free_range(p, 0x9000, 0x8000);
    CHECK_EQ_U(frame_pool_free_count(p), 0);
    CHECK_EQ_U(count_free_bits(p), 0);
    drop_pool(&t);
}

TEST(frame_zero_is_never_free)
{
    struct test_pool t;
    struct frame_pool *p = make_pool(&t, 64);

    frame_pool_add_free_range(p, 0, FRAME(4));
    CHECK_EQ_U(frame_pool_free_count(p), 3);
    CHECK(!frame_is_free(p, 0));
    CHECK_EQ_U(frame_pool_alloc(p), FRAME(1));
    CHECK_EQ_I(frame_pool_free(p, 0), FRAME_POOL_BAD_ADDRESS);
    CHECK(!frame_is_free(p, 0));
    drop_pool(&t);
}

TEST(ranges_past_the_pool_are_cut)
{
    struct test_pool t;
    struct frame_pool *p = make_pool(&t, 70);   /* last word part padding */

    frame_pool_add_free_range(p, FRAME(60), FRAME(1000));
    CHECK_EQ_U(frame_pool_free_count(p), 10);
    /* Padding bits past frame 69 must stay set. */
    CHECK_EQ_U(p->bitmap[1] >> 6, UINT64_MAX >> 6);
    frame_pool_reserve_range(p, FRAME(65), UINT64_MAX);
    CHECK_EQ_U(frame_pool_free_count(p), 5);
    CHECK_EQ_U(frame_pool_alloc_contig(p, 5, 1), FRAME(60));
    CHECK_EQ_U(frame_pool_alloc(p), 0);
    drop_pool(&t);
}

TEST(overlapping_adds_count_once)
{
    struct test_pool t;
    struct frame_pool *p = make_pool(&t, 256);

    frame_pool_add_free_range(p, FRAME(10), FRAME(50));
    frame_pool_add_free_range(p, FRAME(40), FRAME(80));
    frame_pool_add_free_range(p, FRAME(20), FRAME(30));
    CHECK_EQ_U(frame_pool_free_count(p), 70);
    CHECK_EQ_U(frame_pool_total_count(p), 70);
    CHECK_EQ_U(count_free_bits(p), 70);
    drop_pool(&t);
}

TEST(reserve_rounds_outward)
{
    struct test_pool t;
    struct frame_pool *p = make_pool(&t, 256);

    frame_pool_add_free_range(p, 0, MIB(1));
    CHECK_EQ_U(frame_pool_free_count(p), 255);
    /* Touches frames 2 and 3 only partly: both go. */
    frame_pool_reserve_range(p, 0x2800, 0x3001);
    CHECK_EQ_U(frame_pool_free_count(p), 253);
    CHECK_EQ_U(frame_pool_total_count(p), 253);
    CHECK(!frame_is_free(p, 2));
    CHECK(!frame_is_free(p, 3));
    CHECK(frame_is_free(p, 4));
    CHECK_EQ_U(frame_pool_alloc(p), FRAME(1));
    CHECK_EQ_U(frame_pool_alloc(p), FRAME(4));
    drop_pool(&t);
}

TEST(overlapping_reserves_count_exactly)
{
    struct test_pool t;
    struct frame_pool *p = make_pool(&t, 1024);

    frame_pool_add_free_range(p, FRAME(100), FRAME(900));
    frame_pool_reserve_range(p, FRAME(150), FRAME(250));
    frame_pool_reserve_range(p, FRAME(200), FRAME(300));     /* overlaps the first */
    frame_pool_reserve_range(p, FRAME(220), FRAME(230));     /* inside both */
    frame_pool_reserve_range(p, FRAME(50), FRAME(120));      /* starts in a hole */
    frame_pool_reserve_range(p, FRAME(880), FRAME(2000));    /* ends past the pool */
    /* Free: [120,150) + [300,880) */
    CHECK_EQ_U(frame_pool_free_count(p), 30 + 580);
    CHECK_EQ_U(frame_pool_total_count(p), 30 + 580);
    CHECK_EQ_U(count_free_bits(p), 30 + 580);
    for (size_t f = 0; f < 1024; f++) {
        bool expect = (f >= 120 && f < 150) || (f >= 300 && f < 880);
        if (frame_is_free(p, f) != expect)
            UNIT_FAIL("frame %zu free=%d, expected %d", f, frame_is_free(p, f), expect);
    }
    drop_pool(&t);
}

TEST(multi_region_map_with_holes_hands_out_each_frame_once)
{
    static const struct { uint64_t start, end; } regions[] = {
        { 0x1000, 0x9f000 },
        { MIB(1) + 0x123, MIB(3) - 1 },
        { MIB(5), MIB(5) + FRAME(3) },
        { MIB(7) + 0xfff, MIB(8) },
    };
    struct test_pool t;
    size_t frames = MIB(8) / PAGE_SIZE;
    struct frame_pool *p = make_pool(&t, frames);
    bool *seen = calloc(frames, 1);
    size_t expect = 0;

    for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++) {
        frame_pool_add_free_range(p, regions[i].start, regions[i].end);
        expect += frame_round_down(regions[i].end) - frame_round_up(regions[i].start);
    }
    CHECK_EQ_U(frame_pool_free_count(p), expect);

    size_t got = 0;
    uint64_t last = 0;
    for (uint64_t a; (a = frame_pool_alloc(p)) != 0; got++) {
        bool inside = false;
        for (size_t i = 0; i < sizeof(regions) / sizeof(regions[0]); i++)
            inside |= a >= regions[i].start && a + PAGE_SIZE <= regions[i].end;
        if (!inside || seen[a / PAGE_SIZE] || a <= last)
            UNIT_FAIL("bad frame %#llx", (unsigned long long)a);
        seen[a / PAGE_SIZE] = true;
        last = a;
    }
    CHECK_EQ_U(got, expect);
    CHECK_EQ_U(frame_pool_free_count(p), 0);
    CHECK_EQ_U(frame_pool_total_count(p), expect);
    free(seen);
    drop_pool(&t);
}

TEST(freed_low_frame_is_reused_first)
{
    struct test_pool t;
    struct frame_pool *p = make_pool(&t, 512);

    frame_pool_add_free_range(p, FRAME(1), FRAME(512));
    for (int i = 0; i < 300; i++)
        frame_pool_alloc(p);
    CHECK_EQ_I(frame_pool_free(p, FRAME(7)), FRAME_POOL_OK);
    CHECK_EQ_I(frame_pool_free(p, FRAME(130)), FRAME_POOL_OK);
    CHECK_EQ_U(frame_pool_alloc(p), FRAME(7));
    CHECK_EQ_U(frame_pool_alloc(p), FRAME(130));
    CHECK_EQ_U(frame_pool_alloc(p), FRAME(301));
    drop_pool(&t);
}

TEST(contig_takes_the_first_run_that_fits)
{
    struct test_pool t;
    struct frame_pool *p = make_pool(&t, 1024);

    frame_pool_add_free_range(p, FRAME(10), FRAME(14));      /* 4 frames */
    frame_pool_add_free_range(p, FRAME(20), FRAME(28));      /* 8 */
    frame_pool_add_free_range(p, FRAME(60), FRAME(200));     /* 140, crosses words */
    CHECK_EQ_U(frame_pool_alloc_contig(p, 5, 1), FRAME(20));
    CHECK_EQ_U(frame_pool_alloc_contig(p, 4, 1), FRAME(10));
    CHECK_EQ_U(frame_pool_alloc_contig(p, 4, 1), FRAME(60));
    CHECK_EQ_U(frame_pool_alloc_contig(p, 100, 1), FRAME(64));
    CHECK_EQ_U(frame_pool_alloc_contig(p, 3, 1), FRAME(25));
    CHECK_EQ_U(frame_pool_free_count(p), 4 + 8 + 140 - 5 - 4 - 4 - 100 - 3);
    CHECK_EQ_U(count_free_bits(p), frame_pool_free_count(p));
    drop_pool(&t);
}

TEST(contig_honours_alignment)
{
    struct test_pool t;
    struct frame_pool *p = make_pool(&t, MIB(16) / PAGE_SIZE);

    frame_pool_add_free_range(p, MIB(1), MIB(16));
    /* 2 MiB pages: 512 frames aligned to 512. */
    CHECK_EQ_U(frame_pool_alloc_contig(p, 512, 512), MIB(2));
    CHECK_EQ_U(frame_pool_alloc_contig(p, 1, 512), MIB(4));
    /* The gap in front of 2 MiB is still there for unaligned requests. */
    CHECK_EQ_U(frame_pool_alloc_contig(p, 256, 1), MIB(1));
    /* Everything below 4 MiB + 1 frame is now taken. */
    CHECK_EQ_U(frame_pool_alloc_contig(p, 3, 4), MIB(4) + FRAME(4));
    CHECK_EQ_U(frame_pool_alloc_contig(p, 2, 2), MIB(4) + FRAME(2));
    /* A used frame inside an aligned candidate pushes to the next one. */
    frame_pool_reserve_range(p, MIB(6) + FRAME(300), MIB(6) + FRAME(301));
    CHECK_EQ_U(frame_pool_alloc_contig(p, 512, 512), MIB(8));
    uint64_t a = frame_pool_alloc_contig(p, 16, 16);
    CHECK_EQ_U(a % FRAME(16), 0);
    CHECK_EQ_U(a, MIB(4) + FRAME(16));
    CHECK_EQ_U(frame_pool_alloc(p), MIB(4) + FRAME(1));
    CHECK_EQ_U(frame_pool_alloc(p), MIB(4) + FRAME(7));
    drop_pool(&t);
}

TEST(contig_rejects_malformed_requests)
{
    struct test_pool t;
    struct frame_pool *p = make_pool(&t, 256);

    frame_pool_add_free_range(p, FRAME(1), FRAME(256));
    CHECK_EQ_U(frame_pool_alloc_contig(p, 0, 1), 0);
    CHECK_EQ_U(frame_pool_alloc_contig(p, 1, 0), 0);
    CHECK_EQ_U(frame_pool_alloc_contig(p, 1, 3), 0);
    CHECK_EQ_U(frame_pool_alloc_contig(p, 1, 256), 0);     /* only frame 0 qualifies */
    CHECK_EQ_U(frame_pool_alloc_contig(p, 1, (size_t)1 << 63), 0);
    CHECK_EQ_U(frame_pool_alloc_contig(p, SIZE_MAX, 1), 0);
    CHECK_EQ_U(frame_pool_free_count(p), 255);
    CHECK_EQ_U(frame_pool_alloc_contig(p, 1, 128), FRAME(128));
    drop_pool(&t);
}

TEST(exhaustion_returns_zero_and_changes_nothing)
{
    struct test_pool t;
    struct frame_pool *p = make_pool(&t, 256);

    frame_pool_add_free_range(p, FRAME(1), FRAME(100));
    frame_pool_add_free_range(p, FRAME(101), FRAME(200));
    CHECK_EQ_U(frame_pool_alloc_contig(p, 100, 1), 0);       /* 198 free, no run of 100 */
    CHECK_EQ_U(frame_pool_alloc_contig(p, 128, 64), 0);      /* 64 has 100 inside, 128 200 */
    CHECK_EQ_U(frame_pool_free_count(p), 198);
    CHECK_EQ_U(count_free_bits(p), 198);
    CHECK_EQ_U(frame_pool_alloc_contig(p, 99, 1), FRAME(1));
    CHECK_EQ_U(frame_pool_alloc_contig(p, 99, 1), FRAME(101));
    CHECK_EQ_U(frame_pool_alloc(p), 0);
    CHECK_EQ_U(frame_pool_alloc_contig(p, 1, 1), 0);
    CHECK_EQ_U(frame_pool_free_count(p), 0);
    CHECK_EQ_I(frame_pool_free_contig(p, FRAME(101), 99), FRAME_POOL_OK);
    CHECK_EQ_U(frame_pool_alloc(p), FRAME(101));
    drop_pool(&t);
}

TEST(double_free_is_detected)
{
    struct test_pool t;
    struct frame_pool *p = make_pool(&t, 256);

    frame_pool_add_free_range(p, FRAME(1), FRAME(256));
    uint64_t a = frame_pool_alloc(p);
    CHECK_EQ_I(frame_pool_free(p, a), FRAME_POOL_OK);
    CHECK_EQ_U(frame_pool_free_count(p), 255);
    CHECK_EQ_I(frame_pool_free(p, a), FRAME_POOL_DOUBLE_FREE);
    CHECK_EQ_U(frame_pool_free_count(p), 255);
    /* Never handed out at all. */
    CHECK_EQ_I(frame_pool_free(p, FRAME(200)), FRAME_POOL_DOUBLE_FREE);
    drop_pool(&t);
}

TEST(contig_free_with_a_free_frame_inside_changes_nothing)
{
    struct test_pool t;
    struct frame_pool *p = make_pool(&t, 256);

    frame_pool_add_free_range(p, FRAME(1), FRAME(256));
    uint64_t a = frame_pool_alloc_contig(p, 100, 1);
    CHECK_EQ_U(a, FRAME(1));
    CHECK_EQ_I(frame_pool_free(p, FRAME(70)), FRAME_POOL_OK);
    size_t before = frame_pool_free_count(p);
    CHECK_EQ_I(frame_pool_free_contig(p, a, 100), FRAME_POOL_DOUBLE_FREE);
    CHECK_EQ_U(frame_pool_free_count(p), before);
    CHECK_EQ_U(count_free_bits(p), before);
    CHECK(!frame_is_free(p, 1));
    CHECK(!frame_is_free(p, 69));
    /* A range running past the allocation into free frames also fails. */
    CHECK_EQ_I(frame_pool_free_contig(p, FRAME(71), 31), FRAME_POOL_DOUBLE_FREE);
    CHECK_EQ_I(frame_pool_free_contig(p, FRAME(71), 30), FRAME_POOL_OK);
    CHECK_EQ_I(frame_pool_free_contig(p, FRAME(1), 69), FRAME_POOL_OK);
    CHECK_EQ_U(frame_pool_free_count(p), 255);
    drop_pool(&t);
}

TEST(free_rejects_addresses_outside_the_pool)
{
    struct test_pool t;
    struct frame_pool *p = make_pool(&t, 256);

    frame_pool_add_free_range(p, FRAME(1), FRAME(256));
    uint64_t a = frame_pool_alloc(p);
    CHECK_EQ_I(frame_pool_free(p, a + 8), FRAME_POOL_BAD_ADDRESS);
    CHECK_EQ_I(frame_pool_free(p, FRAME(256)), FRAME_POOL_BAD_ADDRESS);
    CHECK_EQ_I(frame_pool_free(p, UINT64_MAX & ~(PAGE_SIZE - 1)), FRAME_POOL_BAD_ADDRESS);
    CHECK_EQ_I(frame_pool_free_contig(p, FRAME(250), 7), FRAME_POOL_BAD_ADDRESS);
    CHECK_EQ_I(frame_pool_free_contig(p, FRAME(250), SIZE_MAX), FRAME_POOL_BAD_ADDRESS);
    CHECK_EQ_I(frame_pool_free_contig(p, a, 0), FRAME_POOL_BAD_ADDRESS);
    CHECK_EQ_U(frame_pool_free_count(p), 254);
    CHECK_EQ_I(frame_pool_free(p, a), FRAME_POOL_OK);
    drop_pool(&t);
}

/* Fragment a pool and check free counts against the bitmap after every step of
 * a deterministic alloc/free mix. */
TEST(counts_stay_exact_under_churn)
{
    struct test_pool t;
    size_t frames = 4096;
    struct frame_pool *p = make_pool(&t, frames);
    uint64_t held[512];
    size_t held_count[512];
    size_t n = 0;
    uint32_t rng = 12345;

    frame_pool_add_free_range(p, FRAME(1), FRAME(frames));
    frame_pool_reserve_range(p, FRAME(1000), FRAME(1100));
    for (int step = 0; step < 3000; step++) {
        rng = rng * 1103515245u + 12345u;
        if (n < 512 && (rng >> 16) % 3 != 0) {
            size_t count = 1 + (rng >> 8) % 40;
            size_t align = (size_t)1 << ((rng >> 4) % 5);
            uint64_t a = frame_pool_alloc_contig(p, count, align);
            if (a != 0) {
                if (a % FRAME(align) != 0)
                    UNIT_FAIL("misaligned %#llx", (unsigned long long)a);
                if (a < FRAME(1100) && a + FRAME(count) > FRAME(1000))
                    UNIT_FAIL("reserved frames handed out at %#llx", (unsigned long long)a);
                held[n] = a;
                held_count[n++] = count;
            }
        } else if (n > 0) {
            size_t i = (rng >> 8) % n;
            CHECK_EQ_I(frame_pool_free_contig(p, held[i], held_count[i]), FRAME_POOL_OK);
            held[i] = held[--n];
            held_count[i] = held_count[n];
        }
        if (count_free_bits(p) != frame_pool_free_count(p)) {
            UNIT_FAIL("step %d: %zu free bits, count says %zu", step, count_free_bits(p),
                      frame_pool_free_count(p));
            break;
        }
    }
    while (n > 0) {
        n--;
        CHECK_EQ_I(frame_pool_free_contig(p, held[n], held_count[n]), FRAME_POOL_OK);
    }
    CHECK_EQ_U(frame_pool_free_count(p), frames - 1 - 100);
    CHECK_EQ_U(frame_pool_total_count(p), frames - 1 - 100);
    drop_pool(&t);
}

static double seconds_since(clock_t start)
{
    return (double)(clock() - start) / CLOCKS_PER_SEC;
}

/*
 * 16 GiB with one used frame every 16 MiB: every free run is one frame short of
 * 16 MiB, except the last 64 MiB.  A search that rechecks count frames at each
 * candidate start would take on the order of 10^10 steps here; resuming past
 * the used frame found, with word-wise scans, takes about 10^5.
 */
TEST(large_pool_contig_search_is_fast)
{
    struct test_pool t;
    size_t frames = GIB(16) / PAGE_SIZE;
    size_t run = MIB(16) / PAGE_SIZE;
    struct frame_pool *p = make_pool(&t, frames);

    frame_pool_add_free_range(p, MIB(1), GIB(16));
    for (uint64_t a = MIB(16) - PAGE_SIZE; a < GIB(16) - MIB(64); a += MIB(16))
        frame_pool_reserve_range(p, a, a + 1);
    size_t free_before = frame_pool_free_count(p);

    clock_t start = clock();
    uint64_t found = 0;
    for (int i = 0; i < 4; i++)
        found = frame_pool_alloc_contig(p, run, 1);
    CHECK_EQ_U(found, GIB(16) - MIB(16));
    CHECK_EQ_U(frame_pool_alloc_contig(p, run, 1), 0);
    CHECK_EQ_U(frame_pool_free_count(p), free_before - 4 * run);
    /* One frame less fits each full 16 MiB stretch (the first is cut by the
     * first MiB). */
    CHECK_EQ_U(frame_pool_alloc_contig(p, run - 1, 1), MIB(16));
    /* CPU time, so a busy machine does not matter: about 0.02 s here, while
     * retrying from each candidate start + 1 with the same word scans takes
     * 0.9 s. */
    double took = seconds_since(start);
    if (took > 0.25)
        UNIT_FAIL("contiguous search over 16 GiB took %.2f s", took);
    drop_pool(&t);
}

TEST(large_pool_allocates_every_frame_one_by_one)
{
    struct test_pool t;
    size_t frames = GIB(16) / PAGE_SIZE;
    struct frame_pool *p = make_pool(&t, frames);

    frame_pool_add_free_range(p, MIB(1), GIB(16));
    CHECK_EQ_U(frame_pool_total_count(p), frames - 256);

    clock_t start = clock();
    uint64_t a, prev = 0;
    size_t n = 0;
    bool ordered = true;
    while ((a = frame_pool_alloc(p)) != 0) {
        ordered &= a == prev + PAGE_SIZE || prev == 0;
        prev = a;
        n++;
    }
    CHECK(ordered);
    CHECK_EQ_U(n, frames - 256);
    CHECK_EQ_U(prev, GIB(16) - PAGE_SIZE);
    CHECK_EQ_U(frame_pool_free_count(p), 0);
    /* An 8 GiB run of 2 MiB alignment in the middle, after freeing it. */
    CHECK_EQ_I(frame_pool_free_contig(p, GIB(4), GIB(8) / PAGE_SIZE), FRAME_POOL_OK);
    CHECK_EQ_U(frame_pool_alloc_contig(p, GIB(8) / PAGE_SIZE, 512), GIB(4));
    double took = seconds_since(start);
    if (took > 2.0)
        UNIT_FAIL("allocating 16 GiB frame by frame took %.2f s", took);
    drop_pool(&t);
}
