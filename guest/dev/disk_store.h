/*
 * A VM's disk as a store of 512-byte sectors over an image in host memory
 * (guest/dev/disk_store.c): pure logic, host-tested.
 *
 * Two modes:
 * - DISK_STORE_COPY_ON_WRITE: the image is only ever read.  The first write
 *   to a 4 KiB chunk of the disk gives that chunk an overlay page (a copy of
 *   the image's chunk, then the write on top); later reads and writes of the
 *   chunk use the overlay.  Overlay pages are found through a radix tree of
 *   4 KiB tables (512 pointers each), as deep as the image needs: one level
 *   up to 2 MiB, two up to 1 GiB, three up to 512 GiB.  Every page, table
 *   or overlay, comes from the caller's alloc_page callback, one at a time,
 *   when first needed; nothing is ever freed, so writes persist for as long
 *   as the store does (a guest reboot keeps them).
 *   Cost for a 1 GiB image: nothing up front (the struct below); after a
 *   write, 4 KiB per distinct 4 KiB chunk written, plus one 4 KiB table per
 *   2 MiB region touched and one root table: a fully rewritten 1 GiB image
 *   holds 262144 overlay pages (1 GiB) and 513 tables (2052 KiB).
 * - DISK_STORE_READ_WRITE: writes go straight into the image.
 *
 * Every access is bounds-checked against the image: a request that does not
 * lie wholly inside it fails and touches nothing.
 */
#ifndef KEEL_GUEST_DEV_DISK_STORE_H
#define KEEL_GUEST_DEV_DISK_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DISK_SECTOR_SIZE        512u
#define DISK_STORE_PAGE_SIZE    4096u
#define DISK_STORE_CHUNK_SECTORS (DISK_STORE_PAGE_SIZE / DISK_SECTOR_SIZE)

enum disk_store_mode {
    DISK_STORE_COPY_ON_WRITE,
    DISK_STORE_READ_WRITE,
};

/* Returns one writable page of DISK_STORE_PAGE_SIZE bytes, aligned to its
 * size, whose contents do not matter (the store initialises it); NULL when
 * memory ran out.  The store never gives a page back. */
typedef void *(*disk_store_alloc_page_fn)(void *ctx);

struct disk_store_stats {
    uint64_t sectors_read;
    uint64_t sectors_written;
    uint64_t flushes;
    uint64_t overlay_pages;     /* copy-on-write data pages in use */
    uint64_t table_pages;       /* pages of the overlay tables */
};

struct disk_store {
    uint8_t *image;
    uint64_t size;              /* bytes: a nonzero multiple of DISK_SECTOR_SIZE */
    uint64_t sectors;
    enum disk_store_mode mode;
    disk_store_alloc_page_fn alloc_page;
    void *alloc_ctx;
    void *root;                 /* top overlay table; NULL until the first write */
    unsigned levels;            /* table levels above the overlay pages */
    struct disk_store_stats stats;
};

/*
 * Sets up `store` over image[0, size).  For DISK_STORE_COPY_ON_WRITE,
 * alloc_page is required and the image may be read-only memory; for
 * DISK_STORE_READ_WRITE it is not used (may be NULL).  Returns 0, or -1 with
 * the reason in err (a size that is zero or not a multiple of 512, no
 * image, no allocator).
 */
int disk_store_init(struct disk_store *store, void *image, uint64_t size,
                    enum disk_store_mode mode, disk_store_alloc_page_fn alloc_page,
                    void *alloc_ctx, char *err, size_t errlen);

/* True when sectors [lba, lba + count) all lie inside the disk. */
bool disk_store_range_ok(const struct disk_store *store, uint64_t lba, uint64_t count);

/*
 * Copy count sectors starting at lba to/from buf (count * 512 bytes).
 * Return 0, or -1 when the range is not inside the disk (nothing is
 * touched) or, for a copy-on-write write, when a page could not be
 * allocated (then the disk's contents are unchanged).  count 0 succeeds.
 */
int disk_store_read_sectors(struct disk_store *store, uint64_t lba, uint64_t count, void *buf);
int disk_store_write_sectors(struct disk_store *store, uint64_t lba, uint64_t count,
                             const void *buf);

/* Writes already reach the store's memory, so there is nothing to flush; the
 * call is counted in the statistics.  Returns 0. */
int disk_store_flush(struct disk_store *store);

static inline uint64_t disk_store_sectors(const struct disk_store *store)
{
    return store->sectors;
}

#endif
