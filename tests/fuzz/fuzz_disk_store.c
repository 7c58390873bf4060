/*
 * libFuzzer target for guest/dev/disk_store.c: random reads, writes and
 * flushes, checked against a flat copy of the disk.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *         -DKEEL_HOST_TEST -I. tests/fuzz/fuzz_disk_store.c -o /tmp/fuzz_disk_store
 *   /tmp/fuzz_disk_store -max_total_time=60 CORPUS_DIR
 *
 * (-fno-sanitize-recover=all makes undefined behaviour a crash; without it
 * UBSan only prints and the run goes on.)
 *
 * The image buffer beyond the disk's size is poisoned, so ASan reports any
 * access outside the image, the short last chunk included; the buffers are
 * static because fresh multi-MiB allocations per input would dominate the
 * run time.  In copy-on-write mode the image must equal its pristine copy
 * after every input.  Some sizes lie just past 2 MiB, so the overlay tree
 * is one or two levels deep.  The page allocator can be made to run dry,
 * and a failed write must then leave the disk unchanged.
 *
 * Input: bytes 0-1 choose the size in sectors, byte 2 the mode and the page
 * budget, then 7 bytes per operation: kind, LBA (3 bytes), count (2 bytes),
 * fill.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sanitizer/asan_interface.h>

#include "lib/format.c"
#include "guest/dev/disk_store.c"

#define FUZZ_SMALL_SECTORS     600u
#define FUZZ_TWO_LEVEL_SECTORS 4097u    /* 2 MiB + 512: the first two-level size */
#define FUZZ_MAX_SECTORS       (FUZZ_TWO_LEVEL_SECTORS - 32 + 64)
#define FUZZ_MAX_BYTES         (FUZZ_MAX_SECTORS * DISK_SECTOR_SIZE)
#define FUZZ_MAX_PAGES   1024u
#define FUZZ_MAX_COUNT   300u

static uint8_t *pool[FUZZ_MAX_PAGES];
static unsigned pool_made, pool_used, pool_allowed;

static void *fuzz_alloc_page(void *ctx)
{
    (void)ctx;
    if (pool_used >= pool_allowed)
        return NULL;
    if (pool_used == pool_made)
        pool[pool_made++] = aligned_alloc(DISK_STORE_PAGE_SIZE, DISK_STORE_PAGE_SIZE);
    memset(pool[pool_used], 0x5a, DISK_STORE_PAGE_SIZE);
    return pool[pool_used++];
}

#define REQUIRE(cond)                                                     \
    do {                                                                  \
        if (!(cond)) {                                                    \
            fprintf(stderr, "invariant broken: %s (line %d)\n", #cond,   \
                    __LINE__);                                            \
            abort();                                                      \
        }                                                                 \
    } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t buf[FUZZ_MAX_COUNT * DISK_SECTOR_SIZE + 1];
    if (size < 3)
        return 0;
    /* Mostly small disks (fast runs); with data[1] bit 7, one on either side
     * of 2 MiB, where the tree gets its second level. */
    uint64_t sectors = (data[1] & 0x80)
                           ? FUZZ_TWO_LEVEL_SECTORS - 32 + data[0] % 64
                           : 1 + (uint64_t)(data[0] | (data[1] & 0x7f) << 8) % FUZZ_SMALL_SECTORS;
    bool cow = !(data[2] & 0x80);
    /* Budget 0..126 pages, or (127) as many as the pool holds. */
    pool_allowed = (data[2] & 0x7f) == 0x7f ? FUZZ_MAX_PAGES : data[2] & 0x7f;
    pool_used = 0;

    static uint8_t image[FUZZ_MAX_BYTES], pristine[FUZZ_MAX_BYTES], model[FUZZ_MAX_BYTES];
    static uint8_t all[FUZZ_MAX_BYTES];
    size_t bytes = sectors * DISK_SECTOR_SIZE;
    ASAN_UNPOISON_MEMORY_REGION(image, sizeof(image));
    ASAN_POISON_MEMORY_REGION(image + bytes, sizeof(image) - bytes);
    /* Each sector: a byte of its own, then its LBA in the first 8 bytes. */
    for (uint64_t lba = 0; lba < sectors; lba++) {
        memset(image + lba * DISK_SECTOR_SIZE, (int)(lba * 13 + 1), DISK_SECTOR_SIZE);
        memcpy(image + lba * DISK_SECTOR_SIZE, &lba, sizeof(lba));
    }
    memcpy(pristine, image, bytes);
    memcpy(model, image, bytes);

    struct disk_store s;
    char err[96];
    REQUIRE(disk_store_init(&s, image, bytes,
                            cow ? DISK_STORE_COPY_ON_WRITE : DISK_STORE_READ_WRITE,
                            fuzz_alloc_page, NULL, err, sizeof(err)) == 0);
    uint64_t reads = 0, writes = 0, flushes = 0;

    for (size_t pos = 3; pos + 7 <= size; pos += 7) {
        const uint8_t *op = data + pos;
        /* LBAs reach a little past the end; counts up to FUZZ_MAX_COUNT,
         * or a huge one now and then to try the overflow checks. */
        uint64_t lba = (uint64_t)(op[1] | op[2] << 8 | op[3] << 16) % (sectors + 8);
        uint64_t count = (uint64_t)(op[4] | op[5] << 8) % (FUZZ_MAX_COUNT + 1);
        if (op[0] & 0x10)
            lba = UINT64_MAX - (op[1] & 7);
        if (op[0] & 0x20)
            count = UINT64_MAX - (op[4] & 7);
        bool in_range = lba <= sectors && count <= sectors - lba;
        size_t nbytes = in_range ? (size_t)count * DISK_SECTOR_SIZE : 0;

        switch (op[0] % 3) {
        case 0: {
            memset(buf, op[6], nbytes + 1);
            int rc = disk_store_read_sectors(&s, lba, count, buf);
            REQUIRE(rc == (in_range ? 0 : -1));
            if (in_range) {
                REQUIRE(memcmp(buf, model + lba * DISK_SECTOR_SIZE, nbytes) == 0);
                reads += count;
            }
            REQUIRE(buf[nbytes] == op[6]);      /* nothing past the request */
            break;
        }
        case 1: {
            for (size_t i = 0; i < nbytes; i++)
                buf[i] = (uint8_t)(op[6] + i);
            int rc = disk_store_write_sectors(&s, lba, count, buf);
            if (!in_range) {
                REQUIRE(rc == -1);
            } else if (rc == 0) {
                memcpy(model + lba * DISK_SECTOR_SIZE, buf, nbytes);
                writes += count;
            } else {
                /* Only a copy-on-write store out of pages may fail, and
                 * then nothing changed: read it back. */
                REQUIRE(cow && pool_used == pool_allowed);
                REQUIRE(disk_store_read_sectors(&s, lba, count, buf) == 0);
                REQUIRE(memcmp(buf, model + lba * DISK_SECTOR_SIZE, nbytes) == 0);
                reads += count;
            }
            break;
        }
        default:
            REQUIRE(disk_store_flush(&s) == 0);
            flushes++;
            break;
        }
        REQUIRE(s.stats.sectors_read == reads);
        REQUIRE(s.stats.sectors_written == writes);
        REQUIRE(s.stats.flushes == flushes);
        REQUIRE(s.stats.overlay_pages + s.stats.table_pages == pool_used);
    }

    /* The whole disk reads back as the model, and the image is as it was. */
    REQUIRE(disk_store_read_sectors(&s, 0, sectors, all) == 0);
    REQUIRE(memcmp(all, model, bytes) == 0);
    if (cow)
        REQUIRE(memcmp(image, pristine, bytes) == 0);
    else
        REQUIRE(pool_used == 0);
    return 0;
}
