#include "mm/slab.c"

#include <stdbool.h>

#include "tests/unit/unit.h"

/* ---- the page source: aligned heap blocks, each one tracked ---- */

#define MAX_BLOCKS 8192
#define SOURCE_MAX_PAGES 4096

static struct {
    void *p;
    size_t count;
} blocks[MAX_BLOCKS];
static size_t block_count;
static size_t pages_out;
static long pages_left = -1;    /* < 0: no limit */

void *slab_get_pages(size_t count)
{
    if (count > SOURCE_MAX_PAGES || block_count == MAX_BLOCKS)
        return NULL;
    if (pages_left >= 0) {
        if ((size_t)pages_left < count)
            return NULL;
        pages_left -= (long)count;
    }
    void *p = aligned_alloc(PAGE_SIZE, count * PAGE_SIZE);
    memset(p, 0xa5, count * PAGE_SIZE);     /* the slab must not rely on zeroes */
    blocks[block_count].p = p;
    blocks[block_count].count = count;
    block_count++;
    pages_out += count;
    return p;
}

void slab_put_pages(void *pages, size_t count)
{
    for (size_t i = 0; i < block_count; i++) {
        if (blocks[i].p == pages) {
            if (blocks[i].count != count)
                UNIT_FAIL("%p returned as %zu pages, was %zu", pages, count, blocks[i].count);
            free(pages);
            pages_out -= blocks[i].count;
            blocks[i] = blocks[--block_count];
            return;
        }
    }
    UNIT_FAIL("%p returned but never handed out", pages);
}

/* A fresh heap and page source for each test. */
static struct slab_heap *fresh_heap(void)
{
    static struct slab_heap heap;

    for (size_t i = 0; i < block_count; i++)
        free(blocks[i].p);
    block_count = 0;
    pages_out = 0;
    pages_left = -1;
    memset(&heap, 0, sizeof(heap));
    return &heap;
}

static const struct slab_page *page_of(const struct slab_heap *heap, const void *p)
{
    return hash_find(heap, (uintptr_t)p & ~(uintptr_t)PAGE_OFFSET_MASK);
}

static size_t spare_count(const struct slab_heap *heap)
{
    size_t n = 0;
    for (const struct slab_page *d = heap->spare_descriptors; d != NULL; d = d->hash_next)
        n++;
    return n;
}

static const size_t descriptors_per_page = PAGE_SIZE / sizeof(struct slab_page);

/* ---- sizes and classes ---- */

TEST(sizes_round_up_to_a_power_of_two_class)
{
    static const struct { size_t size, object; } cases[] = {
        { 0, 16 }, { 1, 16 }, { 16, 16 }, { 17, 32 }, { 32, 32 }, { 33, 64 },
        { 100, 128 }, { 255, 256 }, { 256, 256 }, { 513, 1024 }, { 1024, 1024 },
        { 1025, 2048 }, { 2048, 2048 },
    };
    struct slab_heap *heap = fresh_heap();

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *a = slab_alloc(heap, cases[i].size);
        char *b = slab_alloc(heap, cases[i].size);
        const struct slab_page *page = page_of(heap, a);
        CHECK(page != NULL);
        if (page == NULL)
            continue;
        CHECK_EQ_U(object_size(page->class_index), cases[i].object);
        /* Same page, neighbouring objects. */
        CHECK_EQ_U(b - a, cases[i].object);
    }
}

TEST(two_2048_byte_objects_share_a_page)
{
    struct slab_heap *heap = fresh_heap();

    char *a = slab_alloc(heap, 2048);
    size_t held = heap->pages_held;
    char *b = slab_alloc(heap, 2000);
    CHECK_EQ_U(heap->pages_held, held);
    CHECK_EQ_U((uintptr_t)a % PAGE_SIZE, 0);
    CHECK_EQ_U(b, a + 2048);
    char *c = slab_alloc(heap, 1500);
    CHECK_EQ_U(heap->pages_held, held + 1);
    CHECK(page_of(heap, c) != page_of(heap, a));
}

TEST(a_page_holds_256_objects_of_16_bytes)
{
    struct slab_heap *heap = fresh_heap();
    char *first = slab_alloc(heap, 16);
    size_t held = heap->pages_held;

    for (int i = 1; i < 256; i++)
        CHECK_EQ_U(slab_alloc(heap, 16), first + 16 * i);
    CHECK_EQ_U(heap->pages_held, held);
    CHECK(heap->partial[0] == NULL);        /* full: off the list */
    char *next = slab_alloc(heap, 1);
    CHECK_EQ_U(heap->pages_held, held + 1);
    CHECK(page_of(heap, next) != page_of(heap, first));
}

TEST(larger_requests_get_whole_pages)
{
    struct slab_heap *heap = fresh_heap();

    void *a = slab_alloc(heap, 2049);
    size_t out = pages_out;
    void *b = slab_alloc(heap, 4096);
    CHECK_EQ_U(pages_out, out + 1);
    void *c = slab_alloc(heap, 4097);
    CHECK_EQ_U(pages_out, out + 3);
    void *d = slab_alloc(heap, 10 * PAGE_SIZE);
    CHECK_EQ_U(pages_out, out + 13);
    CHECK_EQ_U((uintptr_t)a % PAGE_SIZE, 0);
    CHECK_EQ_U((uintptr_t)b % PAGE_SIZE, 0);
    CHECK_EQ_U((uintptr_t)c % PAGE_SIZE, 0);
    CHECK_EQ_U((uintptr_t)d % PAGE_SIZE, 0);
    memset(d, 1, 10 * PAGE_SIZE);           /* ASan: all of it is ours */

    CHECK_EQ_I(slab_free(heap, d), SLAB_OK);
    CHECK_EQ_U(pages_out, out + 3);
    CHECK_EQ_I(slab_free(heap, c), SLAB_OK);
    CHECK_EQ_I(slab_free(heap, b), SLAB_OK);
    CHECK_EQ_I(slab_free(heap, a), SLAB_OK);
    CHECK_EQ_U(pages_out, out - 1);
    CHECK_EQ_U(heap->pages_held, pages_out);
}

/* ---- reuse and page return ---- */

TEST(freed_object_is_reused)
{
    struct slab_heap *heap = fresh_heap();

    char *a = slab_alloc(heap, 64);
    char *b = slab_alloc(heap, 64);
    char *c = slab_alloc(heap, 64);
    CHECK_EQ_I(slab_free(heap, b), SLAB_OK);
    CHECK_EQ_U(slab_alloc(heap, 50), b);
    CHECK_EQ_I(slab_free(heap, a), SLAB_OK);
    CHECK_EQ_U(slab_alloc(heap, 64), a);
    CHECK_EQ_U(slab_alloc(heap, 64), c + 64);
}

TEST(full_page_goes_back_on_the_list_when_an_object_is_freed)
{
    struct slab_heap *heap = fresh_heap();

    char *a = slab_alloc(heap, 2048);
    char *b = slab_alloc(heap, 2048);
    char *c = slab_alloc(heap, 2048);       /* second page */
    CHECK_EQ_I(slab_free(heap, b), SLAB_OK);
    char *d = slab_alloc(heap, 2048);
    char *e = slab_alloc(heap, 2048);
    /* Both free slots get used, in some order, before a third page. */
    CHECK((d == b && e == c + 2048) || (d == c + 2048 && e == b));
    size_t held = heap->pages_held;
    slab_alloc(heap, 2048);
    CHECK_EQ_U(heap->pages_held, held + 1);
    (void)a;
}

TEST(emptied_page_is_returned_unless_it_is_the_last_with_room)
{
    struct slab_heap *heap = fresh_heap();
    char *objs[3 * 8];

    for (int i = 0; i < 3 * 8; i++)
        objs[i] = slab_alloc(heap, 512);   /* 8 per page: three full pages */
    size_t held = heap->pages_held;

    /* Empty the first page: another page has room, so it goes. */
    slab_free(heap, objs[23]);
    for (int i = 0; i < 8; i++)
        CHECK_EQ_I(slab_free(heap, objs[i]), SLAB_OK);
    CHECK_EQ_U(heap->pages_held, held - 1);
    CHECK(page_of(heap, objs[0]) == NULL);
    CHECK_EQ_I(slab_free(heap, objs[0]), SLAB_NOT_ALLOCATED);

    /* Empty the other two: the last one stays for the next request. */
    for (int i = 8; i < 23; i++)
        CHECK_EQ_I(slab_free(heap, objs[i]), SLAB_OK);
    CHECK_EQ_U(heap->pages_held, held - 2);
    size_t out = pages_out;
    for (int round = 0; round < 100; round++) {
        void *p = slab_alloc(heap, 512);
        CHECK_EQ_I(slab_free(heap, p), SLAB_OK);
    }
    CHECK_EQ_U(pages_out, out);
}

/* ---- bad frees ---- */

TEST(double_free_is_caught_and_changes_nothing)
{
    struct slab_heap *heap = fresh_heap();

    char *a = slab_alloc(heap, 100);
    char *b = slab_alloc(heap, 100);
    CHECK_EQ_I(slab_free(heap, a), SLAB_OK);
    uint16_t in_use = page_of(heap, b)->in_use;
    CHECK_EQ_I(slab_free(heap, a), SLAB_DOUBLE_FREE);
    CHECK_EQ_U(page_of(heap, b)->in_use, in_use);
    /* Never handed out, on a page that is ours. */
    CHECK_EQ_I(slab_free(heap, b + 128 * 5), SLAB_DOUBLE_FREE);
    CHECK_EQ_I(slab_free(heap, b), SLAB_OK);

    char *big = slab_alloc(heap, 3 * PAGE_SIZE);
    CHECK_EQ_I(slab_free(heap, big), SLAB_OK);
    CHECK_EQ_I(slab_free(heap, big), SLAB_NOT_ALLOCATED);
}

TEST(pointers_into_objects_are_caught)
{
    struct slab_heap *heap = fresh_heap();

    char *a = slab_alloc(heap, 256);
    CHECK_EQ_I(slab_free(heap, a + 8), SLAB_INTERIOR);
    CHECK_EQ_I(slab_free(heap, a + 255), SLAB_INTERIOR);
    char *big = slab_alloc(heap, 2 * PAGE_SIZE);
    CHECK_EQ_I(slab_free(heap, big + 16), SLAB_INTERIOR);
    CHECK_EQ_I(slab_free(heap, big + PAGE_SIZE), SLAB_NOT_ALLOCATED);
    CHECK_EQ_I(slab_free(heap, a), SLAB_OK);
    CHECK_EQ_I(slab_free(heap, big), SLAB_OK);
}

TEST(foreign_pointers_are_caught_without_being_read)
{
    struct slab_heap *heap = fresh_heap();
    int on_stack;
    char *from_libc = malloc(64);

    slab_alloc(heap, 32);
    CHECK_EQ_I(slab_free(heap, &on_stack), SLAB_NOT_ALLOCATED);
    CHECK_EQ_I(slab_free(heap, from_libc), SLAB_NOT_ALLOCATED);
    /* A descriptor page is kmalloc's but not an object. */
    CHECK_EQ_I(slab_free(heap, heap->spare_descriptors), SLAB_NOT_ALLOCATED);
    /* ASan would flag a read of this. */
    CHECK_EQ_I(slab_free(heap, (void *)(uintptr_t)0x10), SLAB_NOT_ALLOCATED);
    CHECK_EQ_I(slab_free(heap, NULL), SLAB_OK);
    free(from_libc);
}

/* ---- running out ---- */

TEST(running_out_of_pages_returns_null_and_leaks_nothing)
{
    struct slab_heap *heap = fresh_heap();

    pages_left = 0;
    CHECK(slab_alloc(heap, 8) == NULL);
    CHECK_EQ_U(heap->pages_held, 0);

    /* Enough for the descriptor page, not for the object page. */
    pages_left = 1;
    CHECK(slab_alloc(heap, 8) == NULL);
    CHECK_EQ_U(heap->pages_held, 1);
    CHECK_EQ_U(spare_count(heap), descriptors_per_page);
    CHECK(slab_alloc(heap, 3 * PAGE_SIZE) == NULL);
    CHECK_EQ_U(spare_count(heap), descriptors_per_page);

    pages_left = 1;
    void *p = slab_alloc(heap, 8);
    CHECK(p != NULL);
    CHECK_EQ_U(spare_count(heap), descriptors_per_page - 1);
    CHECK_EQ_I(slab_free(heap, p), SLAB_OK);
}

TEST(impossible_sizes_return_null)
{
    struct slab_heap *heap = fresh_heap();

    CHECK(slab_alloc(heap, SIZE_MAX) == NULL);
    CHECK(slab_alloc(heap, SIZE_MAX - PAGE_SIZE + 2) == NULL);
    CHECK(slab_alloc(heap, (SOURCE_MAX_PAGES + 1) * PAGE_SIZE) == NULL);
    CHECK_EQ_U(pages_out, heap->pages_held);
}

/* ---- many objects of mixed sizes ---- */

static uint32_t rng_state = 0x9e3779b9;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

TEST(mixed_sizes_stay_apart_and_all_memory_comes_back)
{
    enum { N = 3000 };
    struct slab_heap *heap = fresh_heap();
    static unsigned char *objs[N];
    static size_t sizes[N];

    for (int i = 0; i < N; i++) {
        sizes[i] = rng() % 4 == 0 ? rng() % (3 * PAGE_SIZE) : rng() % 300;
        objs[i] = slab_alloc(heap, sizes[i]);
        if (objs[i] == NULL) {
            UNIT_FAIL("allocation %d of %zu bytes failed", i, sizes[i]);
            return;
        }
        if ((uintptr_t)objs[i] % 16 != 0 ||
            (sizes[i] > SLAB_MAX_SIZE && (uintptr_t)objs[i] % PAGE_SIZE != 0))
            UNIT_FAIL("%p for %zu bytes is misaligned", (void *)objs[i], sizes[i]);
        memset(objs[i], (unsigned char)i, sizes[i]);
    }
    /* Every object still holds its own pattern: none overlapped another. */
    for (int i = 0; i < N; i++)
        for (size_t j = 0; j < sizes[i]; j++)
            if (objs[i][j] != (unsigned char)i) {
                UNIT_FAIL("object %d byte %zu overwritten", i, j);
                break;
            }

    /* Free in a shuffled order, half first, then allocate again, then the rest. */
    for (int i = N - 1; i > 0; i--) {
        int j = (int)(rng() % (uint32_t)(i + 1));
        unsigned char *p = objs[i];
        objs[i] = objs[j];
        objs[j] = p;
    }
    for (int i = 0; i < N / 2; i++)
        CHECK_EQ_I(slab_free(heap, objs[i]), SLAB_OK);
    for (int i = 0; i < N / 2; i++)
        objs[i] = slab_alloc(heap, rng() % 2500);
    for (int i = 0; i < N; i++)
        CHECK_EQ_I(slab_free(heap, objs[i]), SLAB_OK);

    /* Left: descriptor pages and at most one empty page per class. */
    size_t descriptor_pages = heap->pages_held;
    for (int c = 0; c < SLAB_CLASS_COUNT; c++) {
        const struct slab_page *page = heap->partial[c];
        if (page != NULL) {
            CHECK(page->next == NULL);
            CHECK_EQ_U(page->in_use, 0);
            descriptor_pages--;
        }
    }
    CHECK_EQ_U(pages_out, heap->pages_held);
    CHECK(descriptor_pages >= 1 && descriptor_pages <= N / descriptors_per_page + 1);
    for (size_t b = 0; b < SLAB_HASH_BUCKETS; b++)
        for (const struct slab_page *d = heap->buckets[b]; d != NULL; d = d->hash_next)
            CHECK(d->class_index != SLAB_LARGE && d->in_use == 0);
}
