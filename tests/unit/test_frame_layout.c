#include "mm/frame_layout.c"
#include "mm/frame_pool.c"

#include <stdbool.h>

#include "tests/unit/unit.h"

#define KIB(x) ((uint64_t)(x) << 10)
#define MIB(x) ((uint64_t)(x) << 20)
#define GIB(x) ((uint64_t)(x) << 30)

static struct boot_info *new_info(void)
{
    return calloc(1, sizeof(struct boot_info));
}

static void add_mmap(struct boot_info *bi, uint64_t base, uint64_t length, uint32_t type)
{
    bi->mmap[bi->mmap_count++] = (struct boot_mmap_entry){ base, length, type };
}

static void add_module(struct boot_info *bi, uint64_t start, uint64_t end)
{
    bi->modules[bi->module_count].start = start;
    bi->modules[bi->module_count].end = end;
    bi->module_count++;
}

static void add_reserved(struct boot_info *bi, uint64_t start, uint64_t end)
{
    bi->reserved[bi->reserved_count++] = (struct boot_range){ start, end };
}

static const struct boot_range no_kernel = { 0, 0 };

/* ---- the rules, restated as brute force over single frames and spots ---- */

static bool overlaps(uint64_t start, uint64_t end, uint64_t s, uint64_t e)
{
    return s < end && start < e;
}

static bool touches_forbidden(const struct boot_info *bi, struct boot_range kernel,
                              uint64_t start, uint64_t end)
{
    if (overlaps(start, end, 0, MIB(1)) || overlaps(start, end, kernel.start, kernel.end))
        return true;
    for (size_t i = 0; i < bi->module_count; i++)
        if (overlaps(start, end, bi->modules[i].start, bi->modules[i].end))
            return true;
    for (size_t i = 0; i < bi->reserved_count; i++)
        if (overlaps(start, end, bi->reserved[i].start, bi->reserved[i].end))
            return true;
    for (size_t i = 0; i < bi->mmap_count; i++) {
        const struct boot_mmap_entry *e = &bi->mmap[i];
        if (e->type != BOOT_MEM_AVAILABLE &&
            overlaps(start, end, e->base, e->base + e->length))
            return true;
    }
    return false;
}

static bool inside_one_available(const struct boot_info *bi, uint64_t start, uint64_t end)
{
    for (size_t i = 0; i < bi->mmap_count; i++) {
        const struct boot_mmap_entry *e = &bi->mmap[i];
        if (e->type == BOOT_MEM_AVAILABLE && start >= e->base && end <= e->base + e->length)
            return true;
    }
    return false;
}

static uint64_t oracle_place(const struct boot_info *bi, struct boot_range kernel,
                             size_t bytes, uint64_t space)
{
    uint64_t size = (bytes + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    for (uint64_t a = PAGE_SIZE; a + size <= space && a + size <= GIB(4); a += PAGE_SIZE)
        if (inside_one_available(bi, a, a + size) && !touches_forbidden(bi, kernel, a, a + size))
            return a;
    return 0;
}

static bool oracle_usable(const struct boot_info *bi, struct boot_range kernel,
                          struct boot_range bitmap, uint64_t frame)
{
    uint64_t a = frame * PAGE_SIZE;
    return inside_one_available(bi, a, a + PAGE_SIZE) &&
           !touches_forbidden(bi, kernel, a, a + PAGE_SIZE) &&
           !overlaps(a, a + PAGE_SIZE, bitmap.start, bitmap.end);
}

/* Builds the pool as frame.c does and compares every frame with the oracle. */
static void check_pool_matches_oracle(const struct boot_info *bi, struct boot_range kernel,
                                      struct boot_range bitmap)
{
    size_t frames = frame_layout_frame_count(bi);
    uint64_t *words = malloc(frame_pool_bitmap_bytes(frames) + 8);
    struct frame_pool pool;
    size_t expect = 0, wrong = 0;

    frame_pool_init(&pool, words, frames);
    frame_layout_fill_pool(&pool, bi, kernel, bitmap);
    for (size_t f = 0; f < frames; f++) {
        bool want = oracle_usable(bi, kernel, bitmap, f);
        bool got = !((words[f / 64] >> (f % 64)) & 1);
        expect += want;
        if (want != got && wrong++ < 5)
            UNIT_FAIL("frame %#zx: usable %d, pool says %d", f, want, got);
    }
    CHECK_EQ_U(frame_pool_free_count(&pool), expect);
    CHECK_EQ_U(frame_pool_total_count(&pool), expect);
    free(words);
}

/* ---- frame count ---- */

TEST(frame_count_reaches_the_highest_available_byte)
{
    struct boot_info *bi = new_info();

    add_mmap(bi, MIB(1), MIB(511) + 0x800, BOOT_MEM_AVAILABLE);     /* ends unaligned */
    add_mmap(bi, 0, KIB(639), BOOT_MEM_AVAILABLE);
    add_mmap(bi, GIB(3), GIB(1), BOOT_MEM_RESERVED);               /* higher, not RAM */
    add_mmap(bi, GIB(64), 0, BOOT_MEM_AVAILABLE);                  /* empty */
    CHECK_EQ_U(frame_layout_frame_count(bi), MIB(512) / PAGE_SIZE);

    add_mmap(bi, GIB(4), GIB(12), BOOT_MEM_AVAILABLE);
    CHECK_EQ_U(frame_layout_frame_count(bi), GIB(16) / PAGE_SIZE);
    free(bi);
}

TEST(frame_count_is_zero_without_available_memory)
{
    struct boot_info *bi = new_info();

    CHECK_EQ_U(frame_layout_frame_count(bi), 0);
    add_mmap(bi, 0, GIB(2), BOOT_MEM_ACPI_NVS);
    add_mmap(bi, GIB(2), GIB(2), 7);
    CHECK_EQ_U(frame_layout_frame_count(bi), 0);
    free(bi);
}

TEST(frame_count_survives_an_entry_that_wraps)
{
    struct boot_info *bi = new_info();

    add_mmap(bi, GIB(8), UINT64_MAX - MIB(1), BOOT_MEM_AVAILABLE);
    CHECK_EQ_U(frame_layout_frame_count(bi), FRAME_PHYS_LIMIT / PAGE_SIZE);
    free(bi);
}

TEST(counts_past_the_arrays_are_clamped)
{
    struct boot_info *bi = new_info();

    add_mmap(bi, MIB(1), MIB(63), BOOT_MEM_AVAILABLE);
    bi->mmap_count = BOOT_MAX_MMAP + 1000;
    bi->module_count = BOOT_MAX_MODULES + 5;
    bi->reserved_count = SIZE_MAX;
    /* The other entries are zero: empty, type 0 (reserved); ASan checks the
     * walks stay inside the arrays. */
    CHECK_EQ_U(frame_layout_frame_count(bi), MIB(64) / PAGE_SIZE);
    CHECK_EQ_U(frame_layout_place_bitmap(bi, no_kernel, 100), MIB(1));
    free(bi);
}

/* ---- bitmap placement ---- */

TEST(bitmap_goes_right_after_the_kernel)
{
    struct boot_info *bi = new_info();
    struct boot_range kernel = { MIB(1), MIB(3) + 0x123 };

    add_mmap(bi, 0, KIB(639), BOOT_MEM_AVAILABLE);
    add_mmap(bi, MIB(1), MIB(63), BOOT_MEM_AVAILABLE);
    CHECK_EQ_U(frame_layout_place_bitmap(bi, kernel, KIB(4)), MIB(3) + PAGE_SIZE);
    free(bi);
}

TEST(bitmap_never_goes_in_the_first_mib)
{
    struct boot_info *bi = new_info();

    add_mmap(bi, 0x1000, KIB(600), BOOT_MEM_AVAILABLE);
    CHECK_EQ_U(frame_layout_place_bitmap(bi, no_kernel, 8), 0);
    add_mmap(bi, KIB(960), MIB(2), BOOT_MEM_AVAILABLE);   /* straddles 1 MiB */
    CHECK_EQ_U(frame_layout_place_bitmap(bi, no_kernel, KIB(8)), MIB(1));
    free(bi);
}

TEST(bitmap_skips_modules_reserved_ranges_and_other_entries)
{
    struct boot_info *bi = new_info();
    struct boot_range kernel = { MIB(1), MIB(2) };

    add_mmap(bi, MIB(1), MIB(127), BOOT_MEM_AVAILABLE);
    add_module(bi, MIB(2), MIB(2) + 0x10);                   /* one byte of a frame */
    add_reserved(bi, MIB(2) + KIB(12), MIB(2) + KIB(13));
    add_module(bi, MIB(2) + KIB(20), MIB(3));
    add_mmap(bi, MIB(3) + KIB(16), KIB(4), BOOT_MEM_ACPI_RECLAIMABLE);
    add_reserved(bi, MIB(4), MIB(5));
    add_reserved(bi, MIB(4) + KIB(512), MIB(6) + 1);          /* overlaps the one before */

    /* Gaps: [2M+4K, 2M+12K) 8 KiB, [2M+16K, 2M+20K) 4 KiB, [3M, 3M+16K) 16 KiB,
     * [3M+20K, 4M), then [6M+4K, ...). */
    CHECK_EQ_U(frame_layout_place_bitmap(bi, kernel, KIB(4)), MIB(2) + KIB(4));
    CHECK_EQ_U(frame_layout_place_bitmap(bi, kernel, KIB(5)), MIB(2) + KIB(4));
    CHECK_EQ_U(frame_layout_place_bitmap(bi, kernel, KIB(9)), MIB(3));
    CHECK_EQ_U(frame_layout_place_bitmap(bi, kernel, KIB(16)), MIB(3));
    CHECK_EQ_U(frame_layout_place_bitmap(bi, kernel, KIB(17)), MIB(3) + KIB(20));
    CHECK_EQ_U(frame_layout_place_bitmap(bi, kernel, MIB(1)), MIB(6) + KIB(4));
    free(bi);
}

TEST(bitmap_takes_the_lowest_spot_of_an_unsorted_map)
{
    struct boot_info *bi = new_info();

    add_mmap(bi, MIB(64), MIB(64), BOOT_MEM_AVAILABLE);
    add_mmap(bi, MIB(16), MIB(1), BOOT_MEM_AVAILABLE);
    add_mmap(bi, MIB(8), MIB(1), BOOT_MEM_AVAILABLE);
    CHECK_EQ_U(frame_layout_place_bitmap(bi, no_kernel, KIB(512)), MIB(8));
    CHECK_EQ_U(frame_layout_place_bitmap(bi, no_kernel, MIB(2)), MIB(64));
    free(bi);
}

TEST(bitmap_stays_below_4_gib)
{
    struct boot_info *bi = new_info();

    add_mmap(bi, GIB(4) - KIB(8), GIB(1), BOOT_MEM_AVAILABLE);
    CHECK_EQ_U(frame_layout_place_bitmap(bi, no_kernel, KIB(8)), GIB(4) - KIB(8));
    CHECK_EQ_U(frame_layout_place_bitmap(bi, no_kernel, KIB(12)), 0);
    add_mmap(bi, GIB(8), GIB(8), BOOT_MEM_AVAILABLE);
    CHECK_EQ_U(frame_layout_place_bitmap(bi, no_kernel, KIB(12)), 0);
    add_mmap(bi, GIB(2), MIB(1), BOOT_MEM_AVAILABLE);
    CHECK_EQ_U(frame_layout_place_bitmap(bi, no_kernel, KIB(12)), GIB(2));
    free(bi);
}

TEST(bitmap_does_not_fit_anywhere)
{
    struct boot_info *bi = new_info();

    add_mmap(bi, MIB(1), MIB(1), BOOT_MEM_AVAILABLE);
    add_reserved(bi, MIB(1) + KIB(512), MIB(1) + KIB(516));
    CHECK_EQ_U(frame_layout_place_bitmap(bi, no_kernel, KIB(600)), 0);
    CHECK_EQ_U(frame_layout_place_bitmap(bi, no_kernel, SIZE_MAX), 0);
    CHECK_EQ_U(frame_layout_place_bitmap(bi, no_kernel, KIB(512)), MIB(1));
    free(bi);
}

TEST(bitmap_skips_a_range_that_reaches_the_top_of_memory)
{
    struct boot_info *bi = new_info();

    add_mmap(bi, MIB(1), MIB(15), BOOT_MEM_AVAILABLE);
    add_reserved(bi, MIB(2), UINT64_MAX);
    CHECK_EQ_U(frame_layout_place_bitmap(bi, no_kernel, KIB(4)), MIB(1));
    CHECK_EQ_U(frame_layout_place_bitmap(bi, no_kernel, MIB(1) + 1), 0);
    free(bi);
}

/* ---- filling the pool ---- */

TEST(pool_gets_available_memory_minus_everything_forbidden)
{
    struct boot_info *bi = new_info();
    struct boot_range kernel = { MIB(1), MIB(2) + 0x800 };
    struct boot_range bitmap = { MIB(3), MIB(3) + KIB(8) };

    add_mmap(bi, 0, KIB(639), BOOT_MEM_AVAILABLE);
    add_mmap(bi, KIB(639), KIB(1), BOOT_MEM_RESERVED);
    add_mmap(bi, MIB(1), MIB(31), BOOT_MEM_AVAILABLE);
    add_mmap(bi, MIB(8), MIB(1), BOOT_MEM_RESERVED);        /* overlaps available */
    add_mmap(bi, MIB(40), MIB(8) + 0x200, BOOT_MEM_AVAILABLE);
    add_module(bi, MIB(4) + 0x100, MIB(5) - 0x100);
    add_reserved(bi, MIB(6) - 1, MIB(6) + 1);
    add_reserved(bi, MIB(20), MIB(44));                     /* across a hole */

    check_pool_matches_oracle(bi, kernel, bitmap);

    size_t frames = frame_layout_frame_count(bi);
    uint64_t *words = malloc(frame_pool_bitmap_bytes(frames));
    struct frame_pool pool;
    frame_pool_init(&pool, words, frames);
    frame_layout_fill_pool(&pool, bi, kernel, bitmap);
    /* [2M+4K,3M) 255 + [3M+8K,4M) 254 + [5M,6M-4K) 255 + [6M+4K,8M) 511
     * + [9M,20M) 2816 + [44M,48M) 1024 */
    CHECK_EQ_U(frame_pool_total_count(&pool), 255 + 254 + 255 + 511 + 2816 + 1024);
    CHECK_EQ_U(frame_pool_alloc(&pool), MIB(2) + KIB(4));
    free(words);
    free(bi);
}

TEST(reserved_entry_wins_whatever_the_order)
{
    struct boot_info *bi = new_info();

    add_mmap(bi, MIB(2), MIB(1), BOOT_MEM_BAD);
    add_mmap(bi, MIB(1), MIB(3), BOOT_MEM_AVAILABLE);
    add_mmap(bi, MIB(2) + KIB(512), MIB(2), BOOT_MEM_AVAILABLE);

    size_t frames = frame_layout_frame_count(bi);
    uint64_t *words = malloc(frame_pool_bitmap_bytes(frames));
    struct frame_pool pool;
    frame_pool_init(&pool, words, frames);
    frame_layout_fill_pool(&pool, bi, no_kernel, no_kernel);
    CHECK_EQ_U(frame_pool_total_count(&pool), (MIB(1) + MIB(1) + KIB(512)) / PAGE_SIZE);
    CHECK_EQ_U(frame_pool_alloc_contig(&pool, 256, 1), MIB(1));
    CHECK_EQ_U(frame_pool_alloc_contig(&pool, 256, 1), MIB(3));
    free(words);
    free(bi);
}

TEST(empty_map_gives_an_empty_pool)
{
    struct boot_info *bi = new_info();
    uint64_t word;
    struct frame_pool pool;

    frame_pool_init(&pool, &word, frame_layout_frame_count(bi));
    frame_layout_fill_pool(&pool, bi, no_kernel, no_kernel);
    CHECK_EQ_U(frame_pool_total_count(&pool), 0);
    CHECK_EQ_U(frame_pool_alloc(&pool), 0);
    free(bi);
}

/* ---- random maps against the brute-force rules ---- */

static uint32_t rng_state = 0x2545f491;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* An address in [0, space), page aligned half the time. */
static uint64_t random_addr(uint64_t space)
{
    uint64_t a = ((uint64_t)rng() << 16 ^ rng()) % space;
    return rng() & 1 ? a & ~(PAGE_SIZE - 1) : a;
}

static uint64_t random_length(uint64_t max)
{
    return 1 + ((uint64_t)rng() << 16 ^ rng()) % max;
}

TEST(random_maps_follow_the_rules)
{
    const uint64_t space = MIB(24);
    int placed = 0;

    for (int round = 0; round < 120; round++) {
        struct boot_info *bi = new_info();
        for (int i = 1 + rng() % 4; i > 0; i--)
            add_mmap(bi, random_addr(space), random_length(MIB(12)), BOOT_MEM_AVAILABLE);
        for (int i = rng() % 3; i > 0; i--)
            add_mmap(bi, random_addr(space), random_length(MIB(1)), 2 + rng() % 4);
        for (int i = rng() % 4; i > 0; i--) {
            uint64_t s = random_addr(space);
            add_module(bi, s, s + random_length(KIB(700)));
        }
        for (int i = rng() % 6; i > 0; i--) {
            uint64_t s = random_addr(space);
            add_reserved(bi, s, s + random_length(KIB(100)));
        }
        uint64_t ks = random_addr(MIB(4));
        struct boot_range kernel = { ks, ks + random_length(MIB(2)) };
        size_t bytes = (size_t)random_length(rng() % 4 ? KIB(96) : MIB(10));

        uint64_t want = oracle_place(bi, kernel, bytes, space + MIB(12));
        uint64_t got = frame_layout_place_bitmap(bi, kernel, bytes);
        if (got != want)
            UNIT_FAIL("round %d: bitmap of %zu bytes at %#llx, expected %#llx", round, bytes,
                      (unsigned long long)got, (unsigned long long)want);
        placed += got != 0;

        struct boot_range bitmap = { got, got + PAGE_ALIGN_UP((uint64_t)bytes) };
        check_pool_matches_oracle(bi, kernel, bitmap);
        free(bi);
    }
    /* Both outcomes must be common enough to be tested. */
    CHECK(placed > 60 && placed < 115);
}
