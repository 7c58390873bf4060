/*
 * kmalloc's bookkeeping (mm/slab.c): pure logic, host-tested.
 *
 * Requests up to SLAB_MAX_SIZE bytes come from pages cut into objects of one
 * power-of-two size class (16, 32, ..., 2048); larger ones get whole pages.
 * Every page kmalloc holds is described by a struct slab_page kept outside
 * the page, in a hash table keyed by the page's address, so:
 *   - objects fill their pages exactly (two 2048-byte objects per page),
 *   - freeing looks the pointer up instead of trusting memory in front of it,
 *     so a pointer kmalloc never returned, one into the middle of an object and
 *     a second free are all caught, and no foreign memory is read to tell.
 *
 * Pages come from two functions the program linked with the slab core
 * provides (mm/kmalloc.c in keel, the test on the host).
 */
#ifndef KEEL_MM_SLAB_H
#define KEEL_MM_SLAB_H

#include <stddef.h>
#include <stdint.h>

#include "mm/paging.h"

#define SLAB_MIN_SHIFT   4                                   /* 16 bytes */
#define SLAB_MAX_SHIFT   11                                  /* 2048 bytes */
#define SLAB_MAX_SIZE    (1u << SLAB_MAX_SHIFT)
#define SLAB_CLASS_COUNT (SLAB_MAX_SHIFT - SLAB_MIN_SHIFT + 1)
#define SLAB_MAX_OBJECTS (PAGE_SIZE >> SLAB_MIN_SHIFT)       /* per page */
#define SLAB_HASH_BUCKETS 256

/* class_index of a page run handed out whole. */
#define SLAB_LARGE 0xffu

struct slab_page {
    struct slab_page *hash_next;
    struct slab_page *prev, *next;  /* the class's pages with a free object */
    uintptr_t base;                 /* address of the (first) page */
    size_t page_count;              /* 1 for a class page */
    uint8_t class_index;            /* object size 16 << class_index, or SLAB_LARGE */
    uint16_t in_use;                /* objects handed out */
    uint64_t used[SLAB_MAX_OBJECTS / 64];   /* bit i: object i is handed out */
};

/* A zero-filled struct slab_heap is an empty heap. */
struct slab_heap {
    struct slab_page *partial[SLAB_CLASS_COUNT];
    struct slab_page *buckets[SLAB_HASH_BUCKETS];
    struct slab_page *spare_descriptors;
    size_t pages_held;              /* from slab_get_pages, descriptor pages included */
};

enum slab_status {
    SLAB_OK = 0,
    SLAB_NOT_ALLOCATED = -1,        /* never handed out, or its page is gone */
    SLAB_DOUBLE_FREE = -2,          /* the object is already free */
    SLAB_INTERIOR = -3,             /* points into an object, not at its start */
};

/* Provided by the program: count page-aligned pages, or NULL when there is no
 * memory; and their return. */
void *slab_get_pages(size_t count);
void slab_put_pages(void *pages, size_t count);

/* At least size bytes (a 0-byte request gets the smallest object), 16-byte
 * aligned, page aligned when size > SLAB_MAX_SIZE; NULL when pages ran out or
 * size cannot be met at all. */
void *slab_alloc(struct slab_heap *heap, size_t size);

/* Returns p's memory (NULL: nothing to do).  On an error nothing changes. */
int slab_free(struct slab_heap *heap, void *p);

#endif
