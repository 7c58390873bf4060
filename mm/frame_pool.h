/*
 * The physical frame allocator's bookkeeping (mm/frame_pool.c): pure logic over
 * a caller-supplied bitmap, one bit per 4 KiB frame starting at frame 0.
 * A set bit means "not free" (allocated, reserved, or never usable), so a fresh
 * pool hands out nothing until add_free_range() says where memory is.
 *
 * All addresses are physical byte addresses; frame n is [n * PAGE_SIZE, (n+1) *
 * PAGE_SIZE).  Frame 0 is never free, so 0 can mean "no frame".
 */
#ifndef KEEL_MM_FRAME_POOL_H
#define KEEL_MM_FRAME_POOL_H

#include <stddef.h>
#include <stdint.h>

#include "mm/paging.h"

#define FRAME_POOL_WORD_BITS 64

struct frame_pool {
    uint64_t *bitmap;           /* bit (n % 64) of word n / 64: frame n is not free */
    size_t frame_count;         /* frames [0, frame_count) are covered */
    size_t word_count;
    size_t free_frames;
    size_t usable_frames;       /* free or handed out: everything not reserved */
    /* No word below this index has a free bit, so every search starts here:
     * allocation stays first-fit while skipping the full low part of memory. */
    size_t first_free_word;
};

enum frame_pool_status {
    FRAME_POOL_OK = 0,
    FRAME_POOL_DOUBLE_FREE = -1,    /* a frame in the range is already free */
    FRAME_POOL_BAD_ADDRESS = -2,    /* unaligned, frame 0, empty, or past the pool */
};

/* Bytes of bitmap a pool of frame_count frames needs (whole 64-bit words). */
size_t frame_pool_bitmap_bytes(size_t frame_count);

/* Marks every frame not free.  bitmap holds frame_pool_bitmap_bytes(frame_count)
 * bytes, 8-byte aligned, and stays owned by the pool. */
void frame_pool_init(struct frame_pool *pool, uint64_t *bitmap, size_t frame_count);

/* Frees the whole frames inside [start, end): start is rounded up and end down
 * to a frame boundary.  Parts past the pool and frame 0 are ignored.  Adding
 * an already free frame is harmless (memory maps may overlap). */
void frame_pool_add_free_range(struct frame_pool *pool, uint64_t start, uint64_t end);

/* Takes every frame touching [start, end) out of the pool (start rounded down,
 * end up).  Meant for setup, before allocation: a reserved frame that was
 * handed out stays counted as usable. */
void frame_pool_reserve_range(struct frame_pool *pool, uint64_t start, uint64_t end);

/* The lowest free frame's address, now marked used; 0 if none is free. */
uint64_t frame_pool_alloc(struct frame_pool *pool);

/* The lowest run of count free frames whose first frame number is a multiple
 * of align_frames (a power of two), now marked used; 0 if there is none or the
 * request is malformed (count 0, align_frames not a power of two).
 * Time is linear in the bitmap's words plus the free runs crossed, never
 * count times the frames searched. */
uint64_t frame_pool_alloc_contig(struct frame_pool *pool, size_t count, size_t align_frames);

/* Returns frames to the pool.  Nothing changes unless every frame of the range
 * was in use: FRAME_POOL_DOUBLE_FREE or FRAME_POOL_BAD_ADDRESS otherwise. */
int frame_pool_free(struct frame_pool *pool, uint64_t phys);
int frame_pool_free_contig(struct frame_pool *pool, uint64_t phys, size_t count);

size_t frame_pool_free_count(const struct frame_pool *pool);
size_t frame_pool_total_count(const struct frame_pool *pool);

#endif
