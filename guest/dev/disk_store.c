/*
 * A sector store over a disk image, read-write or copy-on-write (contract and
 * memory costs in guest/dev/disk_store.h).
 *
 * The copy-on-write overlay is a radix tree: each table is one page of
 * pointers indexed by DISK_STORE_INDEX_BITS bits of the chunk number, the
 * lowest table pointing at overlay pages.  Its depth is fixed when the store
 * is set up, so one chunk number always walks the same path.
 */
#include "guest/dev/disk_store.h"

#include "lib/format.h"
#include "lib/string.h"

#define DISK_STORE_TABLE_ENTRIES (DISK_STORE_PAGE_SIZE / sizeof(void *))
#define DISK_STORE_INDEX_BITS    9u
#define DISK_STORE_INDEX_MASK    (DISK_STORE_TABLE_ENTRIES - 1)
#define DISK_STORE_MAX_LEVELS    6u     /* 9 * 6 bits of chunk number cover any 64-bit size */

_Static_assert(DISK_STORE_TABLE_ENTRIES == 1u << DISK_STORE_INDEX_BITS,
               "one overlay table is one page of pointers");
_Static_assert(DISK_STORE_PAGE_SIZE % DISK_SECTOR_SIZE == 0, "a chunk is whole sectors");

static uint64_t chunk_count(uint64_t size)
{
    return (size + DISK_STORE_PAGE_SIZE - 1) / DISK_STORE_PAGE_SIZE;
}

/* The fewest table levels whose fan-out reaches every chunk. */
static unsigned table_levels_for(uint64_t chunks)
{
    unsigned levels = 1;
    uint64_t reach = DISK_STORE_TABLE_ENTRIES;
    while (reach < chunks && levels < DISK_STORE_MAX_LEVELS) {
        levels++;
        reach <<= DISK_STORE_INDEX_BITS;
    }
    return levels;
}

int disk_store_init(struct disk_store *store, void *image, uint64_t size,
                    enum disk_store_mode mode, disk_store_alloc_page_fn alloc_page,
                    void *alloc_ctx, char *err, size_t errlen)
{
    memset(store, 0, sizeof(*store));
    if (!image) {
        ksnprintf(err, errlen, "no disk image");
        return -1;
    }
    if (size == 0 || size % DISK_SECTOR_SIZE != 0) {
        ksnprintf(err, errlen, "disk image size %llu bytes is not a nonzero multiple of %u",
                  (unsigned long long)size, DISK_SECTOR_SIZE);
        return -1;
    }
    if (mode != DISK_STORE_READ_WRITE && mode != DISK_STORE_COPY_ON_WRITE) {
        ksnprintf(err, errlen, "unknown disk store mode %d", (int)mode);
        return -1;
    }
    if (mode == DISK_STORE_COPY_ON_WRITE && !alloc_page) {
        ksnprintf(err, errlen, "copy-on-write disk needs a page allocator");
        return -1;
    }
    store->image = image;
    store->size = size;
    store->sectors = size / DISK_SECTOR_SIZE;
    store->mode = mode;
    store->alloc_page = alloc_page;
    store->alloc_ctx = alloc_ctx;
    store->levels = table_levels_for(chunk_count(size));
    return 0;
}

bool disk_store_range_ok(const struct disk_store *store, uint64_t lba, uint64_t count)
{
    /* Written so that no sum can wrap: count first, then the start. */
    return count <= store->sectors && lba <= store->sectors - count;
}

/* The image's bytes of one chunk: the last chunk may be short. */
static size_t chunk_image_bytes(const struct disk_store *store, uint64_t chunk)
{
    uint64_t start = chunk * DISK_STORE_PAGE_SIZE;
    uint64_t left = store->size - start;
    return left < DISK_STORE_PAGE_SIZE ? (size_t)left : DISK_STORE_PAGE_SIZE;
}

/* A new node of the tree: an empty table at level > 0, else the chunk's
 * overlay page holding a copy of the image, so it reads the same as before. */
static void *new_node(struct disk_store *store, unsigned level, uint64_t chunk)
{
    uint8_t *page = store->alloc_page(store->alloc_ctx);
    if (!page)
        return NULL;
    if (level > 0) {
        memset(page, 0, DISK_STORE_PAGE_SIZE);
        store->stats.table_pages++;
    } else {
        size_t n = chunk_image_bytes(store, chunk);
        memcpy(page, store->image + chunk * DISK_STORE_PAGE_SIZE, n);
        memset(page + n, 0, DISK_STORE_PAGE_SIZE - n);
        store->stats.overlay_pages++;
    }
    return page;
}

/* The overlay page of a chunk; NULL when it has none and `create` is false,
 * or when a page could not be allocated. */
static uint8_t *overlay_page(struct disk_store *store, uint64_t chunk, bool create)
{
    void **slot = &store->root;
    for (unsigned level = store->levels;; level--) {
        if (!*slot) {
            if (!create)
                return NULL;
            *slot = new_node(store, level, chunk);
            if (!*slot)
                return NULL;
        }
        if (level == 0)
            return *slot;
        void **table = *slot;
        slot = &table[(chunk >> (DISK_STORE_INDEX_BITS * (level - 1))) & DISK_STORE_INDEX_MASK];
    }
}

/* The piece of sectors [lba, lba + count) that lies in lba's chunk. */
static uint64_t sectors_in_chunk(uint64_t lba, uint64_t count)
{
    uint64_t room = DISK_STORE_CHUNK_SECTORS - lba % DISK_STORE_CHUNK_SECTORS;
    return count < room ? count : room;
}

static size_t offset_in_chunk(uint64_t lba)
{
    return (size_t)(lba % DISK_STORE_CHUNK_SECTORS) * DISK_SECTOR_SIZE;
}

int disk_store_read_sectors(struct disk_store *store, uint64_t lba, uint64_t count, void *buf)
{
    if (!disk_store_range_ok(store, lba, count))
        return -1;
    uint8_t *out = buf;
    for (uint64_t left = count; left > 0;) {
        uint64_t n = sectors_in_chunk(lba, left);
        size_t bytes = (size_t)n * DISK_SECTOR_SIZE;
        const uint8_t *page = store->mode == DISK_STORE_COPY_ON_WRITE
                                  ? overlay_page(store, lba / DISK_STORE_CHUNK_SECTORS, false)
                                  : NULL;
        if (page)
            memcpy(out, page + offset_in_chunk(lba), bytes);
        else
            memcpy(out, store->image + lba * DISK_SECTOR_SIZE, bytes);
        out += bytes;
        lba += n;
        left -= n;
    }
    store->stats.sectors_read += count;
    return 0;
}

/* Gives every chunk of the range its overlay page before any byte changes,
 * so a failed allocation leaves the disk as it was (a fresh overlay page is
 * a copy of the image and reads the same). */
static int prepare_overlay(struct disk_store *store, uint64_t lba, uint64_t count)
{
    uint64_t first = lba / DISK_STORE_CHUNK_SECTORS;
    uint64_t last = (lba + count - 1) / DISK_STORE_CHUNK_SECTORS;
    for (uint64_t chunk = first; chunk <= last; chunk++)
        if (!overlay_page(store, chunk, true))
            return -1;
    return 0;
}

int disk_store_write_sectors(struct disk_store *store, uint64_t lba, uint64_t count,
                             const void *buf)
{
    if (!disk_store_range_ok(store, lba, count))
        return -1;
    if (count == 0)
        return 0;
    const uint8_t *in = buf;
    if (store->mode == DISK_STORE_READ_WRITE) {
        memcpy(store->image + lba * DISK_SECTOR_SIZE, in, (size_t)count * DISK_SECTOR_SIZE);
        store->stats.sectors_written += count;
        return 0;
    }
    if (prepare_overlay(store, lba, count) < 0)
        return -1;
    for (uint64_t left = count; left > 0;) {
        uint64_t n = sectors_in_chunk(lba, left);
        size_t bytes = (size_t)n * DISK_SECTOR_SIZE;
        uint8_t *page = overlay_page(store, lba / DISK_STORE_CHUNK_SECTORS, false);
        memcpy(page + offset_in_chunk(lba), in, bytes);
        in += bytes;
        lba += n;
        left -= n;
    }
    store->stats.sectors_written += count;
    return 0;
}

int disk_store_flush(struct disk_store *store)
{
    store->stats.flushes++;
    return 0;
}
