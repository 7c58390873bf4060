/*
 * Host tests for guest/dev/disk_store.c.
 *
 * Copy-on-write images live in memory mapped read-only, so any write to one
 * faults at once; they are also compared with a pristine copy.  Big images
 * are sparse anonymous mappings (MAP_NORESERVE): only the pages a test
 * touches exist.  Pages handed to the store are filled with garbage first,
 * to show that the store initialises every page it takes.
 */
#define _DEFAULT_SOURCE         /* mmap's MAP_ANONYMOUS under -std=c11 */

#include "tests/unit/unit.h"

#include <stdbool.h>
#include <sys/mman.h>

#include "lib/format.c"
#include "guest/dev/disk_store.c"

#define SECTOR DISK_SECTOR_SIZE
#define GARBAGE 0xcc

/* ------------------------------------------------------------- fixtures */

struct page_pool {
    void *pages[8192];
    size_t used;
    size_t limit;               /* allocations allowed; then NULL */
    size_t calls;
};

static void *pool_alloc(void *ctx)
{
    struct page_pool *pool = ctx;
    pool->calls++;
    if (pool->used >= pool->limit || pool->used >= sizeof(pool->pages) / sizeof(pool->pages[0]))
        return NULL;
    void *page = aligned_alloc(DISK_STORE_PAGE_SIZE, DISK_STORE_PAGE_SIZE);
    if (!page)
        return NULL;
    memset(page, GARBAGE, DISK_STORE_PAGE_SIZE);
    pool->pages[pool->used++] = page;
    return page;
}

static struct page_pool *pool_new(size_t limit)
{
    struct page_pool *pool = calloc(1, sizeof(*pool));
    pool->limit = limit;
    return pool;
}

static void pool_free(struct page_pool *pool)
{
    for (size_t i = 0; i < pool->used; i++)
        free(pool->pages[i]);
    free(pool);
}

static uint8_t pattern_byte(uint64_t lba, size_t offset)
{
    return (uint8_t)(lba * 31 + offset * 7 + (lba >> 8) * 13 + 1);
}

static void fill_pattern(uint8_t *image, uint64_t sectors)
{
    for (uint64_t s = 0; s < sectors; s++)
        for (size_t j = 0; j < SECTOR; j++)
            image[s * SECTOR + j] = pattern_byte(s, j);
}

/* An image in its own mapping, filled with the pattern; read-only when asked. */
static uint8_t *map_image(uint64_t size, bool read_only)
{
    uint8_t *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    fill_pattern(p, size / SECTOR);
    if (read_only)
        mprotect(p, size, PROT_READ);
    return p;
}

/* A sparse image: zeros, pages made only where touched. */
static uint8_t *map_sparse(uint64_t size)
{
    uint8_t *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void fill_buf(uint8_t *buf, size_t sectors, uint8_t seed)
{
    for (size_t i = 0; i < sectors * SECTOR; i++)
        buf[i] = (uint8_t)(seed + i * 3 + (i >> 9));
}

static struct disk_store cow_store(uint8_t *image, uint64_t size, struct page_pool *pool)
{
    struct disk_store s;
    char err[128];
    int rc = disk_store_init(&s, image, size, DISK_STORE_COPY_ON_WRITE, pool_alloc, pool, err,
                             sizeof(err));
    if (rc != 0)
        printf("    disk_store_init: %s\n", err);
    return s;
}

/* ----------------------------------------------------------------- init */

TEST(init_refuses_sizes_that_are_not_whole_sectors)
{
    static uint8_t image[4096];
    struct disk_store s;
    char err[128];
    const uint64_t bad[] = { 0, 1, 511, 513, 1000, 4095 };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        CHECK_EQ_I(disk_store_init(&s, image, bad[i], DISK_STORE_READ_WRITE, NULL, NULL, err,
                                   sizeof(err)),
                   -1);
        CHECK(strstr(err, "multiple of 512") != NULL);
    }
    CHECK_EQ_I(disk_store_init(&s, image, 1000, DISK_STORE_READ_WRITE, NULL, NULL, err,
                               sizeof(err)),
               -1);
    CHECK_STR(err, "disk image size 1000 bytes is not a nonzero multiple of 512");
    CHECK_EQ_I(disk_store_init(&s, image, 512, DISK_STORE_READ_WRITE, NULL, NULL, err,
                               sizeof(err)),
               0);
    CHECK_EQ_U(disk_store_sectors(&s), 1);
    CHECK_EQ_I(disk_store_init(&s, image, 4096, DISK_STORE_READ_WRITE, NULL, NULL, err,
                               sizeof(err)),
               0);
    CHECK_EQ_U(disk_store_sectors(&s), 8);
}

TEST(init_refuses_missing_image_allocator_and_unknown_mode)
{
    static uint8_t image[1024];
    struct disk_store s;
    char err[128];
    CHECK_EQ_I(disk_store_init(&s, NULL, 1024, DISK_STORE_READ_WRITE, NULL, NULL, err,
                               sizeof(err)),
               -1);
    CHECK_STR(err, "no disk image");
    CHECK_EQ_I(disk_store_init(&s, image, 1024, DISK_STORE_COPY_ON_WRITE, NULL, NULL, err,
                               sizeof(err)),
               -1);
    CHECK_STR(err, "copy-on-write disk needs a page allocator");
    CHECK_EQ_I(disk_store_init(&s, image, 1024, (enum disk_store_mode)7, NULL, NULL, err,
                               sizeof(err)),
               -1);
    CHECK(strstr(err, "mode") != NULL);
}

TEST(init_allocates_nothing_and_sizes_the_table_tree)
{
    /* The image is never touched by init: any pointer will do here. */
    static uint8_t dummy[512];
    struct page_pool *pool = pool_new(100);
    struct {
        uint64_t size;
        unsigned levels;
    } cases[] = {
        { 512, 1 },
        { 2ull << 20, 1 },                  /* 512 chunks: one table */
        { (2ull << 20) + 512, 2 },
        { 1ull << 30, 2 },                  /* 512 * 512 chunks */
        { (1ull << 30) + 512, 3 },
        { 512ull << 30, 3 },
        { (512ull << 30) + 512, 4 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct disk_store s = cow_store(dummy, cases[i].size, pool);
        CHECK_EQ_U(s.levels, cases[i].levels);
        CHECK(s.root == NULL);
    }
    CHECK_EQ_U(pool->calls, 0);
    pool_free(pool);
}

/* ------------------------------------------------------ copy-on-write */

TEST(cow_write_reads_back_and_never_touches_the_image)
{
    const uint64_t sectors = 64, size = sectors * SECTOR;
    uint8_t *image = map_image(size, true);
    uint8_t *pristine = malloc(size);
    memcpy(pristine, image, size);
    struct page_pool *pool = pool_new(100);
    struct disk_store s = cow_store(image, size, pool);

    uint8_t data[3 * SECTOR], back[16 * SECTOR];
    fill_buf(data, 3, 0x40);
    /* Sectors 6, 7, 8 straddle chunks 0 and 1. */
    CHECK_EQ_I(disk_store_write_sectors(&s, 6, 3, data), 0);
    CHECK_EQ_I(disk_store_read_sectors(&s, 0, 16, back), 0);
    for (uint64_t lba = 0; lba < 16; lba++) {
        const uint8_t *want = lba >= 6 && lba <= 8 ? data + (lba - 6) * SECTOR
                                                   : pristine + lba * SECTOR;
        CHECK(memcmp(back + lba * SECTOR, want, SECTOR) == 0);
    }
    CHECK(memcmp(image, pristine, size) == 0);
    CHECK_EQ_U(s.stats.overlay_pages, 2);
    CHECK_EQ_U(s.stats.table_pages, 1);
    CHECK_EQ_U(s.stats.sectors_written, 3);
    CHECK_EQ_U(s.stats.sectors_read, 16);

    /* Writing the same chunks again takes no new page. */
    CHECK_EQ_I(disk_store_write_sectors(&s, 7, 1, data), 0);
    CHECK_EQ_U(s.stats.overlay_pages, 2);
    CHECK_EQ_U(pool->used, 3);
    CHECK_EQ_I(disk_store_read_sectors(&s, 7, 1, back), 0);
    CHECK(memcmp(back, data, SECTOR) == 0);

    pool_free(pool);
    free(pristine);
    munmap(image, size);
}

TEST(cow_overlay_page_starts_as_a_copy_of_the_image)
{
    const uint64_t sectors = 16, size = sectors * SECTOR;
    uint8_t *image = map_image(size, true);
    struct page_pool *pool = pool_new(100);
    struct disk_store s = cow_store(image, size, pool);
    uint8_t one[SECTOR], back[SECTOR];
    fill_buf(one, 1, 9);
    CHECK_EQ_I(disk_store_write_sectors(&s, 11, 1, one), 0);
    /* The chunk's other sectors come from its (garbage-filled) overlay
     * page now, so they prove the page was initialised from the image. */
    for (uint64_t lba = 8; lba < 16; lba++) {
        CHECK_EQ_I(disk_store_read_sectors(&s, lba, 1, back), 0);
        if (lba == 11)
            CHECK(memcmp(back, one, SECTOR) == 0);
        else
            CHECK(memcmp(back, image + lba * SECTOR, SECTOR) == 0);
    }
    /* A table page starts empty: a chunk never written is read from the
     * image although the garbage would have made its pointer non-NULL. */
    CHECK_EQ_I(disk_store_read_sectors(&s, 0, 1, back), 0);
    CHECK(memcmp(back, image, SECTOR) == 0);
    pool_free(pool);
    munmap(image, size);
}

TEST(cow_short_last_chunk_copies_only_the_image)
{
    /* 5 sectors: the only chunk is 2560 bytes of image; malloc'd exactly,
     * so ASan catches a 4096-byte copy. */
    const uint64_t sectors = 5, size = sectors * SECTOR;
    uint8_t *image = malloc(size);
    fill_pattern(image, sectors);
    uint8_t *pristine = malloc(size);
    memcpy(pristine, image, size);
    struct page_pool *pool = pool_new(10);
    struct disk_store s = cow_store(image, size, pool);
    uint8_t one[SECTOR], back[5 * SECTOR];
    fill_buf(one, 1, 0x77);
    CHECK_EQ_I(disk_store_write_sectors(&s, 4, 1, one), 0);
    CHECK_EQ_I(disk_store_read_sectors(&s, 0, 5, back), 0);
    CHECK(memcmp(back, pristine, 4 * SECTOR) == 0);
    CHECK(memcmp(back + 4 * SECTOR, one, SECTOR) == 0);
    CHECK(memcmp(image, pristine, size) == 0);
    /* The page's tail beyond the image is zeroed, not left as garbage. */
    const uint8_t *page = overlay_page(&s, 0, false);
    CHECK(page != NULL);
    bool tail_zero = true;
    for (size_t i = size; i < DISK_STORE_PAGE_SIZE; i++)
        tail_zero &= page[i] == 0;
    CHECK(tail_zero);
    pool_free(pool);
    free(pristine);
    free(image);
}

TEST(cow_failed_allocation_leaves_the_disk_unchanged)
{
    const uint64_t sectors = 64, size = sectors * SECTOR;
    uint8_t *image = map_image(size, true);
    /* One table page and one overlay page, then nothing. */
    struct page_pool *pool = pool_new(2);
    struct disk_store s = cow_store(image, size, pool);
    uint8_t data[17 * SECTOR], back[17 * SECTOR];
    fill_buf(data, 17, 0x11);
    /* Sectors 4..20 need chunks 0, 1 and 2. */
    CHECK_EQ_I(disk_store_write_sectors(&s, 4, 17, data), -1);
    CHECK_EQ_U(s.stats.sectors_written, 0);
    CHECK_EQ_I(disk_store_read_sectors(&s, 4, 17, back), 0);
    CHECK(memcmp(back, image + 4 * SECTOR, sizeof(back)) == 0);
    /* With memory again the same write goes through. */
    pool->limit = 10;
    CHECK_EQ_I(disk_store_write_sectors(&s, 4, 17, data), 0);
    CHECK_EQ_I(disk_store_read_sectors(&s, 4, 17, back), 0);
    CHECK(memcmp(back, data, sizeof(back)) == 0);
    CHECK_EQ_U(s.stats.overlay_pages, 3);
    CHECK_EQ_U(s.stats.sectors_written, 17);
    pool_free(pool);
    munmap(image, size);
}

TEST(cow_two_and_three_level_trees_on_big_sparse_images)
{
    /* 1 GiB: two levels.  A write at each end costs a root, two leaf tables
     * and two overlay pages. */
    const uint64_t gib = 1ull << 30;
    uint8_t *image = map_sparse(gib);
    CHECK(image != NULL);
    if (!image)
        return;
    struct page_pool *pool = pool_new(100);
    struct disk_store s = cow_store(image, gib, pool);
    uint8_t data[2 * SECTOR], back[2 * SECTOR];
    fill_buf(data, 2, 0x5a);
    uint64_t last = gib / SECTOR - 1;
    CHECK_EQ_I(disk_store_write_sectors(&s, 0, 1, data), 0);
    CHECK_EQ_I(disk_store_write_sectors(&s, last, 1, data + SECTOR), 0);
    CHECK_EQ_U(s.stats.table_pages, 3);
    CHECK_EQ_U(s.stats.overlay_pages, 2);
    CHECK_EQ_I(disk_store_read_sectors(&s, last, 1, back), 0);
    CHECK(memcmp(back, data + SECTOR, SECTOR) == 0);
    CHECK_EQ_I(disk_store_read_sectors(&s, 0, 1, back), 0);
    CHECK(memcmp(back, data, SECTOR) == 0);
    /* Sector 1 shares chunk 0's page; sector 8 is still the (zero) image. */
    CHECK_EQ_I(disk_store_read_sectors(&s, 8, 1, back), 0);
    CHECK_EQ_U(back[0] | back[SECTOR - 1], 0);
    CHECK_EQ_U(image[last * SECTOR], 0);
    pool_free(pool);
    munmap(image, gib);

    /* One sector more than 1 GiB: three levels, and that last sector lives
     * under the root's second entry. */
    const uint64_t size = gib + SECTOR;
    image = map_sparse(size);
    pool = pool_new(100);
    s = cow_store(image, size, pool);
    CHECK_EQ_U(s.levels, 3);
    CHECK_EQ_I(disk_store_write_sectors(&s, size / SECTOR - 1, 1, data), 0);
    CHECK_EQ_U(s.stats.table_pages, 3);
    CHECK(((void **)s.root)[1] != NULL);
    CHECK(((void **)s.root)[0] == NULL);
    CHECK_EQ_I(disk_store_read_sectors(&s, size / SECTOR - 1, 1, back), 0);
    CHECK(memcmp(back, data, SECTOR) == 0);
    pool_free(pool);
    munmap(image, size);
}

/* ---------------------------------------------------------- read-write */

TEST(rw_writes_go_into_the_image)
{
    const uint64_t sectors = 32, size = sectors * SECTOR;
    uint8_t *image = map_image(size, false);
    struct disk_store s;
    char err[64];
    CHECK_EQ_I(disk_store_init(&s, image, size, DISK_STORE_READ_WRITE, NULL, NULL, err,
                               sizeof(err)),
               0);
    uint8_t data[9 * SECTOR], back[9 * SECTOR];
    fill_buf(data, 9, 0x21);
    CHECK_EQ_I(disk_store_write_sectors(&s, 5, 9, data), 0);
    CHECK(memcmp(image + 5 * SECTOR, data, sizeof(data)) == 0);
    CHECK_EQ_U(image[4 * SECTOR + 17], pattern_byte(4, 17));
    CHECK_EQ_U(image[14 * SECTOR], pattern_byte(14, 0));
    CHECK_EQ_I(disk_store_read_sectors(&s, 5, 9, back), 0);
    CHECK(memcmp(back, data, sizeof(data)) == 0);
    CHECK_EQ_U(s.stats.sectors_written, 9);
    CHECK_EQ_U(s.stats.sectors_read, 9);
    CHECK_EQ_U(s.stats.overlay_pages + s.stats.table_pages, 0);
    munmap(image, size);
}

/* -------------------------------------------------------------- bounds */

TEST(out_of_range_requests_fail_and_touch_nothing)
{
    const uint64_t sectors = 24, size = sectors * SECTOR;
    uint8_t *image = map_image(size, true);
    struct page_pool *pool = pool_new(100);
    struct disk_store s = cow_store(image, size, pool);
    uint8_t buf[4 * SECTOR];
    const struct {
        uint64_t lba, count;
    } bad[] = {
        { sectors, 1 },
        { sectors - 1, 2 },
        { 0, sectors + 1 },
        { UINT64_MAX, 1 },
        { 1, UINT64_MAX },
        { UINT64_MAX - 1, 3 },      /* lba + count wraps to 1 */
        { sectors + 1, 0 },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(buf, 0xee, sizeof(buf));
        CHECK(!disk_store_range_ok(&s, bad[i].lba, bad[i].count));
        CHECK_EQ_I(disk_store_read_sectors(&s, bad[i].lba, bad[i].count, buf), -1);
        CHECK_EQ_U(buf[0] & buf[sizeof(buf) - 1], 0xee);
        CHECK_EQ_I(disk_store_write_sectors(&s, bad[i].lba, bad[i].count, buf), -1);
    }
    CHECK_EQ_U(s.stats.sectors_read + s.stats.sectors_written, 0);
    CHECK_EQ_U(pool->calls, 0);
    /* The edges themselves are fine. */
    CHECK(disk_store_range_ok(&s, sectors - 1, 1));
    CHECK(disk_store_range_ok(&s, 0, sectors));
    CHECK(disk_store_range_ok(&s, sectors, 0));
    CHECK_EQ_I(disk_store_write_sectors(&s, sectors - 1, 1, buf), 0);
    CHECK_EQ_I(disk_store_read_sectors(&s, sectors, 0, buf), 0);
    CHECK_EQ_I(disk_store_write_sectors(&s, 3, 0, buf), 0);
    pool_free(pool);
    munmap(image, size);
}

TEST(flush_is_counted)
{
    static uint8_t image[1024];
    struct disk_store s;
    char err[64];
    disk_store_init(&s, image, sizeof(image), DISK_STORE_READ_WRITE, NULL, NULL, err,
                    sizeof(err));
    CHECK_EQ_U(s.stats.flushes, 0);
    CHECK_EQ_I(disk_store_flush(&s), 0);
    CHECK_EQ_I(disk_store_flush(&s), 0);
    CHECK_EQ_U(s.stats.flushes, 2);
}

/* ---------------------------------------------- against a reference */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Random writes and reads over an image of 3 MiB + 3 sectors (a two-level
 * tree with a short last chunk), checked against a plain array. */
static void run_random_ops(enum disk_store_mode mode)
{
    const uint64_t sectors = (3ull << 20) / SECTOR + 3, size = sectors * SECTOR;
    uint8_t *image = map_image(size, mode == DISK_STORE_COPY_ON_WRITE);
    uint8_t *pristine = malloc(size), *model = malloc(size);
    memcpy(pristine, image, size);
    memcpy(model, image, size);
    struct page_pool *pool = pool_new(8192);
    struct disk_store s;
    char err[64];
    CHECK_EQ_I(disk_store_init(&s, image, size, mode, pool_alloc, pool, err, sizeof(err)), 0);
    static uint8_t buf[40 * SECTOR];
    rng_state = 0x9e3779b97f4a7c15ull + mode;
    bool same = true;
    for (int op = 0; op < 3000; op++) {
        uint64_t count = rng_next() % 40;
        uint64_t lba = rng_next() % (sectors + 4);
        bool ok = lba + count <= sectors;
        if (rng_next() & 1) {
            fill_buf(buf, count, (uint8_t)op);
            int rc = disk_store_write_sectors(&s, lba, count, buf);
            same &= rc == (ok ? 0 : -1);
            if (ok)
                memcpy(model + lba * SECTOR, buf, count * SECTOR);
        } else {
            int rc = disk_store_read_sectors(&s, lba, count, buf);
            same &= rc == (ok ? 0 : -1);
            if (ok)
                same &= memcmp(buf, model + lba * SECTOR, count * SECTOR) == 0;
        }
    }
    CHECK(same);
    /* Read the whole disk back in one go. */
    uint8_t *all = malloc(size);
    CHECK_EQ_I(disk_store_read_sectors(&s, 0, sectors, all), 0);
    CHECK(memcmp(all, model, size) == 0);
    if (mode == DISK_STORE_COPY_ON_WRITE) {
        CHECK(memcmp(image, pristine, size) == 0);
        CHECK(s.stats.overlay_pages > 0);
        CHECK(s.stats.overlay_pages <= (size + 4095) / 4096);
        CHECK_EQ_U(s.stats.overlay_pages + s.stats.table_pages, pool->used);
    } else {
        CHECK(memcmp(image, model, size) == 0);
        CHECK_EQ_U(pool->calls, 0);
    }
    free(all);
    free(model);
    free(pristine);
    pool_free(pool);
    munmap(image, size);
}

TEST(random_ops_match_a_flat_model_copy_on_write)
{
    run_random_ops(DISK_STORE_COPY_ON_WRITE);
}

TEST(random_ops_match_a_flat_model_read_write)
{
    run_random_ops(DISK_STORE_READ_WRITE);
}
