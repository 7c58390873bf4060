/*
 * Size-class object allocation over whole pages: pure logic, host-tested
 * (tests/unit/test_slab.c).  See mm/slab.h for the design.
 */
#include "mm/slab.h"

#include <stdbool.h>

#define PAGE_OFFSET_MASK (PAGE_SIZE - 1)
#define USED_WORD_BITS   64

/* Fibonacci hashing: multiplying the page number by 2^64 divided by the golden
 * ratio and keeping the top bits spreads neighbouring pages over the buckets. */
#define HASH_MULTIPLIER 0x9e3779b97f4a7c15ull
#define HASH_BITS       8
_Static_assert(SLAB_HASH_BUCKETS == 1u << HASH_BITS, "bucket count must match HASH_BITS");

static size_t object_size(unsigned class_index)
{
    return (size_t)1 << (SLAB_MIN_SHIFT + class_index);
}

static size_t objects_per_page(unsigned class_index)
{
    return PAGE_SIZE >> (SLAB_MIN_SHIFT + class_index);
}

static unsigned class_for(size_t size)
{
    unsigned c = 0;

    while (object_size(c) < size)
        c++;
    return c;
}

static size_t pages_for(size_t size)
{
    return size / PAGE_SIZE + (size % PAGE_SIZE != 0);
}

/* ---- the page descriptors' hash table, keyed by page address ---- */

static size_t bucket_of(uintptr_t base)
{
    return (size_t)((((uint64_t)base >> PAGE_SHIFT) * HASH_MULTIPLIER) >> (64 - HASH_BITS));
}

static void hash_insert(struct slab_heap *heap, struct slab_page *page)
{
    struct slab_page **head = &heap->buckets[bucket_of(page->base)];

    page->hash_next = *head;
    *head = page;
}

static void hash_remove(struct slab_heap *heap, struct slab_page *page)
{
    struct slab_page **link = &heap->buckets[bucket_of(page->base)];

    while (*link != page)
        link = &(*link)->hash_next;
    *link = page->hash_next;
}

static struct slab_page *hash_find(const struct slab_heap *heap, uintptr_t base)
{
    struct slab_page *page = heap->buckets[bucket_of(base)];

    while (page != NULL && page->base != base)
        page = page->hash_next;
    return page;
}

/* ---- each class's list of pages with a free object ---- */

static void partial_push(struct slab_heap *heap, struct slab_page *page)
{
    struct slab_page **head = &heap->partial[page->class_index];

    page->prev = NULL;
    page->next = *head;
    if (*head != NULL)
        (*head)->prev = page;
    *head = page;
}

static void partial_remove(struct slab_heap *heap, struct slab_page *page)
{
    if (page->prev != NULL)
        page->prev->next = page->next;
    else
        heap->partial[page->class_index] = page->next;
    if (page->next != NULL)
        page->next->prev = page->prev;
    page->prev = page->next = NULL;
}

static bool is_only_partial(const struct slab_heap *heap, const struct slab_page *page)
{
    return heap->partial[page->class_index] == page && page->next == NULL;
}

/* ---- descriptors, cut from pages of their own that are never returned ---- */

static bool add_spare_descriptors(struct slab_heap *heap)
{
    struct slab_page *d = slab_get_pages(1);

    if (d == NULL)
        return false;
    heap->pages_held++;
    for (size_t i = 0; i < PAGE_SIZE / sizeof(*d); i++) {
        d[i].hash_next = heap->spare_descriptors;
        heap->spare_descriptors = &d[i];
    }
    return true;
}

static struct slab_page *take_descriptor(struct slab_heap *heap)
{
    if (heap->spare_descriptors == NULL && !add_spare_descriptors(heap))
        return NULL;

    struct slab_page *d = heap->spare_descriptors;
    heap->spare_descriptors = d->hash_next;
    return d;
}

static void give_back_descriptor(struct slab_heap *heap, struct slab_page *d)
{
    d->hash_next = heap->spare_descriptors;
    heap->spare_descriptors = d;
}

/* ---- page runs ---- */

static struct slab_page *new_page_run(struct slab_heap *heap, size_t count, unsigned class_index)
{
    struct slab_page *page = take_descriptor(heap);
    if (page == NULL)
        return NULL;

    void *mem = slab_get_pages(count);
    if (mem == NULL) {
        give_back_descriptor(heap, page);
        return NULL;
    }
    heap->pages_held += count;

    *page = (struct slab_page){
        .base = (uintptr_t)mem,
        .page_count = count,
        .class_index = (uint8_t)class_index,
    };
    hash_insert(heap, page);
    return page;
}

static void release_page_run(struct slab_heap *heap, struct slab_page *page)
{
    hash_remove(heap, page);
    slab_put_pages((void *)page->base, page->page_count);
    heap->pages_held -= page->page_count;
    give_back_descriptor(heap, page);
}

/* ---- objects ---- */

static bool object_is_used(const struct slab_page *page, size_t i)
{
    return (page->used[i / USED_WORD_BITS] >> (i % USED_WORD_BITS)) & 1;
}

static void flip_object(struct slab_page *page, size_t i)
{
    page->used[i / USED_WORD_BITS] ^= 1ull << (i % USED_WORD_BITS);
}

/* The page is on the partial list, so a free object exists, and it comes before
 * the bits past the page's last object. */
static size_t first_free_object(const struct slab_page *page)
{
    size_t w = 0;

    while (page->used[w] == UINT64_MAX)
        w++;
    return w * USED_WORD_BITS + (size_t)__builtin_ctzll(~page->used[w]);
}

static void *alloc_object(struct slab_heap *heap, unsigned class_index)
{
    struct slab_page *page = heap->partial[class_index];

    if (page == NULL) {
        page = new_page_run(heap, 1, class_index);
        if (page == NULL)
            return NULL;
        partial_push(heap, page);
    }

    size_t i = first_free_object(page);
    flip_object(page, i);
    if (++page->in_use == objects_per_page(class_index))
        partial_remove(heap, page);
    return (void *)(page->base + i * object_size(class_index));
}

/* An emptied page goes back unless it is the class's last one with room, so
 * a single object allocated and freed in a loop does not cost a page each time. */
static int free_object(struct slab_heap *heap, struct slab_page *page, uintptr_t addr)
{
    size_t offset = addr - page->base;
    size_t i = offset >> (SLAB_MIN_SHIFT + page->class_index);

    if ((offset & (object_size(page->class_index) - 1)) != 0)
        return SLAB_INTERIOR;
    if (!object_is_used(page, i))
        return SLAB_DOUBLE_FREE;

    flip_object(page, i);
    if (page->in_use-- == objects_per_page(page->class_index))
        partial_push(heap, page);
    if (page->in_use == 0 && !is_only_partial(heap, page)) {
        partial_remove(heap, page);
        release_page_run(heap, page);
    }
    return SLAB_OK;
}

static void *alloc_large(struct slab_heap *heap, size_t size)
{
    struct slab_page *run = new_page_run(heap, pages_for(size), SLAB_LARGE);

    return run != NULL ? (void *)run->base : NULL;
}

void *slab_alloc(struct slab_heap *heap, size_t size)
{
    if (size > SLAB_MAX_SIZE)
        return alloc_large(heap, size);
    return alloc_object(heap, class_for(size));
}

int slab_free(struct slab_heap *heap, void *p)
{
    if (p == NULL)
        return SLAB_OK;

    uintptr_t addr = (uintptr_t)p;
    struct slab_page *page = hash_find(heap, addr & ~(uintptr_t)PAGE_OFFSET_MASK);

    if (page == NULL)
        return SLAB_NOT_ALLOCATED;
    if (page->class_index != SLAB_LARGE)
        return free_object(heap, page, addr);
    if (addr != page->base)
        return SLAB_INTERIOR;
    release_page_run(heap, page);
    return SLAB_OK;
}
