/*
 * libFuzzer target for guest/dev/ata.c: random port reads and writes of
 * random sizes on a small disk, as a hostile guest would make them.
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
 *         -DKEEL_HOST_TEST -I. tests/fuzz/fuzz_ata.c -o /tmp/fuzz_ata
 *   /tmp/fuzz_ata -max_total_time=60 CORPUS_DIR
 *
 * (-fno-sanitize-recover=all makes undefined behaviour a crash; without it
 * UBSan only prints and the run goes on.)
 *
 * The disk image is malloc'd at its exact size, so ASan reports any access
 * outside it; copy-on-write images are compared with a pristine copy after
 * every input.  After every access the model's state must be consistent:
 * DRQ exactly while a data phase is open, BSY exactly while SRST is held,
 * the data buffer cursor inside the buffer, a disk transfer inside the disk,
 * the interrupt line equal to pending && !nIEN && device 0 selected, and an
 * Alternate Status read must change nothing.  A broken invariant aborts.
 *
 * Input: byte 0 picks the disk size, byte 1 the mode and how many pages the
 * copy-on-write allocator may hand out (to reach its out-of-memory path);
 * then one operation per 1-5 bytes (see run_op).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/format.c"
#include "guest/dev/disk_store.c"
#include "guest/dev/ata.c"

/* ata.c's attach glue is not exercised here. */
void vm_register_pio(struct vm *vm, uint16_t first, uint16_t last, pio_handler_fn fn,
                     void *dev, const char *name)
{
    (void)vm, (void)first, (void)last, (void)fn, (void)dev, (void)name;
    abort();
}

#define FUZZ_MAX_PAGES 32

static const uint64_t disk_sectors[] = { 1, 2, 7, 8, 9, 16, 40, 63, 64, 100 };

static uint8_t page_pool[FUZZ_MAX_PAGES][DISK_STORE_PAGE_SIZE] __attribute__((aligned(4096)));
static unsigned pages_used, pages_allowed;

static void *fuzz_alloc_page(void *ctx)
{
    (void)ctx;
    if (pages_used >= pages_allowed)
        return NULL;
    memset(page_pool[pages_used], 0xa5, DISK_STORE_PAGE_SIZE);
    return page_pool[pages_used++];
}

static struct ata_channel channel;
static struct ata_channel snapshot;

#define REQUIRE(cond)                                                     \
    do {                                                                  \
        if (!(cond)) {                                                    \
            fprintf(stderr, "invariant broken: %s (line %d)\n", #cond,   \
                    __LINE__);                                            \
            abort();                                                      \
        }                                                                 \
    } while (0)

static void check_invariants(const struct ata_channel *ch)
{
    bool transfer = ch->xfer != ATA_XFER_NONE;
    bool drq = ch->status & ATA_SR_DRQ;
    bool busy = ch->status & ATA_SR_BSY;
    REQUIRE(drq == transfer);
    REQUIRE(busy == !!(ch->control & ATA_CTL_SRST));
    REQUIRE(!(busy && transfer));
    REQUIRE(ch->buf_len <= sizeof(ch->buf));
    REQUIRE(ch->buf_len % DISK_SECTOR_SIZE == 0);
    REQUIRE(ch->buf_pos <= ch->buf_len);
    REQUIRE(ch->buf_pos % 2 == 0);
    REQUIRE(!transfer || (ch->buf_len > 0 && ch->buf_pos < ch->buf_len));
    if (ch->xfer == ATA_XFER_IN_DISK || ch->xfer == ATA_XFER_OUT_DISK) {
        REQUIRE(ch->xfer_block >= 1 && ch->xfer_block <= ATA_MAX_MULTIPLE);
        REQUIRE(ch->xfer_sectors_left >= ch->buf_len / DISK_SECTOR_SIZE);
        REQUIRE(disk_store_range_ok(ch->store, ch->xfer_lba, ch->xfer_sectors_left));
    }
    REQUIRE(ch->irq.level == (ch->intrq_pending && !(ch->control & ATA_CTL_NIEN) &&
                              !(ch->device & ATA_DEV_DEV)));
    REQUIRE(ch->multiple <= ATA_MAX_MULTIPLE && (ch->multiple & (ch->multiple - 1)) == 0);
    REQUIRE(!(ch->status & ATA_SR_ERR) || ch->error != 0);
}

/* Ports by op bits; the last two are outside the channel (refused). */
static const uint16_t op_ports[16] = {
    0x1f0, 0x1f0, 0x1f0, 0x1f0, 0x1f1, 0x1f2, 0x1f3, 0x1f4,
    0x1f5, 0x1f6, 0x1f7, 0x1f7, 0x3f6, 0x3f6, 0x1f8, 0x3f7,
};
static const unsigned op_sizes[4] = { 1, 2, 4, 3 };

/* One operation: byte b = port (bits 3:0), size (5:4), direction (6), burst
 * (7).  A burst is 1..256 data port accesses of the chosen size and
 * direction, so whole sectors move in a few input bytes.  A single write
 * takes its value from the next `size` bytes. */
static size_t run_op(const uint8_t *data, size_t left)
{
    uint8_t b = data[0];
    uint16_t port = op_ports[b & 0x0f];
    unsigned size = op_sizes[(b >> 4) & 3];
    bool in = b & 0x40;
    size_t used = 1;

    if (b & 0x80) {
        unsigned n = left > 1 ? data[1] + 1u : 1u;
        uint32_t fill = left > 2 ? data[2] * 0x01010101u : 0;
        used = left > 2 ? 3 : left;
        if (size == 3)
            size = 2;
        for (unsigned i = 0; i < n; i++) {
            uint32_t v = fill + i;
            REQUIRE(ata_port_access(&channel, 0x1f0, size, in, &v) == 0);
            check_invariants(&channel);
        }
        return used;
    }

    uint32_t v = 0;
    if (!in)
        for (unsigned i = 0; i < size && used < left; i++)
            v |= (uint32_t)data[used++] << (8 * i);
    bool alternate_read = in && port == 0x3f6 && size != 3;
    if (alternate_read)
        memcpy(&snapshot, &channel, sizeof(snapshot));
    int rc = ata_port_access(&channel, port, size, in, &v);
    bool valid = size != 3 && port != 0x1f8 && port != 0x3f7;
    REQUIRE(rc == (valid ? 0 : -1));
    if (alternate_read) {
        REQUIRE(memcmp(&snapshot, &channel, sizeof(snapshot)) == 0);
        REQUIRE((v & 0xff) == ((channel.device & ATA_DEV_DEV) ? 0 : channel.status));
    }
    check_invariants(&channel);
    return used;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    uint64_t sectors = disk_sectors[data[0] % (sizeof(disk_sectors) / sizeof(disk_sectors[0]))];
    bool cow = !(data[1] & 0x80);
    pages_allowed = data[1] & 0x1f;
    pages_used = 0;

    size_t bytes = sectors * DISK_SECTOR_SIZE;
    uint8_t *image = malloc(bytes), *pristine = malloc(bytes);
    for (size_t i = 0; i < bytes; i++)
        image[i] = (uint8_t)(i * 7 + (i >> 9));
    memcpy(pristine, image, bytes);

    struct disk_store store;
    char err[96];
    REQUIRE(disk_store_init(&store, image, bytes,
                            cow ? DISK_STORE_COPY_ON_WRITE : DISK_STORE_READ_WRITE,
                            fuzz_alloc_page, NULL, err, sizeof(err)) == 0);
    ata_init(&channel, &store, "fuzz");
    check_invariants(&channel);

    for (size_t pos = 2; pos < size;)
        pos += run_op(data + pos, size - pos);

    if (cow)
        REQUIRE(memcmp(image, pristine, bytes) == 0);
    REQUIRE(store.stats.overlay_pages + store.stats.table_pages == pages_used);
    REQUIRE(store.stats.overlay_pages <= (bytes + DISK_STORE_PAGE_SIZE - 1) / DISK_STORE_PAGE_SIZE);
    free(pristine);
    free(image);
    return 0;
}
