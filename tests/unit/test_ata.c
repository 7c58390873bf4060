/*
 * Host tests for guest/dev/ata.c: the primary ATA channel, driven through
 * its ports as a guest driver would, over a copy-on-write disk_store whose
 * image is mapped read-only.
 *
 * Expected values come from ATA/ATAPI-6: status 50h (DRDY|DSC) when idle,
 * 58h with DRQ, 41h with ERR; Error 01h after a reset (diagnostic passed),
 * 04h ABRT, 10h IDNF; the signature 01h/01h/00h/00h.
 */
#define _DEFAULT_SOURCE         /* mmap's MAP_ANONYMOUS under -std=c11 */

#include "tests/unit/unit.h"

#include <stdbool.h>
#include <sys/mman.h>

#include "lib/format.c"
#include "guest/dev/disk_store.c"
#include "guest/dev/ata.c"

#define SECTOR      512u
#define P_DATA      0x1f0
#define P_ERROR     0x1f1
#define P_FEATURES  0x1f1
#define P_COUNT     0x1f2
#define P_LBA_LOW   0x1f3
#define P_LBA_MID   0x1f4
#define P_LBA_HIGH  0x1f5
#define P_DEVICE    0x1f6
#define P_STATUS    0x1f7
#define P_COMMAND   0x1f7
#define P_CONTROL   0x3f6
#define P_ALTSTATUS 0x3f6

#define ST_IDLE     0x50        /* DRDY | DSC */
#define ST_DRQ      0x58        /* DRDY | DSC | DRQ */
#define ST_ERR      0x41        /* DRDY | ERR */
#define ST_BSY      0x80
#define ER_ABRT     0x04
#define ER_IDNF     0x10

#define DEV_LBA     0xe0        /* obsolete bits 7 and 5 set, LBA, device 0 */
#define DEV_SLAVE   0xb0        /* obsolete bits set, CHS, device 1 */
#define CTL_NIEN    0x02
#define CTL_SRST    0x04
#define CTL_HOB     0x80

/* ----------------------------------------------------- fake VM glue */

struct registered {
    uint16_t first, last;
    pio_handler_fn fn;
    void *dev;
    const char *name;
};
static struct registered registered[8];
static int nregistered;

void vm_register_pio(struct vm *vm, uint16_t first, uint16_t last, pio_handler_fn fn,
                     void *dev, const char *name)
{
    registered[nregistered++] = (struct registered){ first, last, fn, dev, name };
    vm->pio[vm->npio++] = (struct pio_range){ first, last, fn, dev, name };
}

/* ----------------------------------------------------------- fixture */

struct page_pool {
    void *pages[4096];
    size_t used;
};

static void *pool_alloc(void *ctx)
{
    struct page_pool *pool = ctx;
    if (pool->used == sizeof(pool->pages) / sizeof(pool->pages[0]))
        return NULL;
    void *page = aligned_alloc(DISK_STORE_PAGE_SIZE, DISK_STORE_PAGE_SIZE);
    pool->pages[pool->used++] = page;
    return page;
}

struct rig {
    struct ata_channel ch;
    struct disk_store store;
    struct page_pool pool;
    uint8_t *image;
    uint8_t *pristine;          /* NULL for sparse images */
    uint64_t size;
    unsigned rising_edges;      /* INTRQ 0 -> 1 seen through irq_line.set */
};

static uint8_t pattern_byte(uint64_t lba, size_t offset)
{
    return (uint8_t)(lba * 31 + offset * 7 + (lba >> 8) * 13 + 1);
}

static void count_edges(void *ctx, unsigned irq, bool level)
{
    struct rig *r = ctx;
    if (irq == ATA_PRIMARY_IRQ && level)
        r->rising_edges++;
}

/* A rig over `sectors` sectors: patterned and read-only, or sparse (zeros)
 * for disks too big to fill. */
static struct rig *rig_new(uint64_t sectors, bool sparse)
{
    struct rig *r = calloc(1, sizeof(*r));
    r->size = sectors * SECTOR;
    r->image = mmap(NULL, r->size, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | (sparse ? MAP_NORESERVE : 0), -1, 0);
    if (r->image == MAP_FAILED) {
        printf("    mmap of %llu bytes failed\n", (unsigned long long)r->size);
        exit(1);
    }
    if (!sparse) {
        for (uint64_t s = 0; s < sectors; s++)
            for (size_t j = 0; j < SECTOR; j++)
                r->image[s * SECTOR + j] = pattern_byte(s, j);
        r->pristine = malloc(r->size);
        memcpy(r->pristine, r->image, r->size);
    }
    mprotect(r->image, r->size, PROT_READ);
    char err[96];
    if (disk_store_init(&r->store, r->image, r->size, DISK_STORE_COPY_ON_WRITE, pool_alloc,
                        &r->pool, err, sizeof(err)) != 0) {
        printf("    %s\n", err);
        exit(1);
    }
    ata_init(&r->ch, &r->store, "keel-test");
    r->ch.irq.set = count_edges;
    r->ch.irq.ctx = r;
    return r;
}

static bool image_untouched(const struct rig *r)
{
    return !r->pristine || memcmp(r->image, r->pristine, r->size) == 0;
}

static void rig_free(struct rig *r)
{
    for (size_t i = 0; i < r->pool.used; i++)
        free(r->pool.pages[i]);
    munmap(r->image, r->size);
    free(r->pristine);
    free(r);
}

static uint32_t in_n(struct rig *r, uint16_t port, unsigned size)
{
    uint32_t v = 0xdeadbeef;
    CHECK_EQ_I(ata_port_access(&r->ch, port, size, true, &v), 0);
    return v;
}

static void out_n(struct rig *r, uint16_t port, unsigned size, uint32_t v)
{
    CHECK_EQ_I(ata_port_access(&r->ch, port, size, false, &v), 0);
}

static uint8_t inb(struct rig *r, uint16_t port) { return (uint8_t)in_n(r, port, 1); }
static uint16_t inw(struct rig *r, uint16_t port) { return (uint16_t)in_n(r, port, 2); }
static uint32_t inl(struct rig *r, uint16_t port) { return in_n(r, port, 4); }
static void outb(struct rig *r, uint16_t port, uint8_t v) { out_n(r, port, 1, v); }
static void outw(struct rig *r, uint16_t port, uint16_t v) { out_n(r, port, 2, v); }
static void outl(struct rig *r, uint16_t port, uint32_t v) { out_n(r, port, 4, v); }

static bool irq(const struct rig *r)
{
    return r->ch.irq.level;
}

/* A 28-bit command: LBA mode, count 0 meaning 256. */
static void cmd28(struct rig *r, uint8_t command, uint32_t lba, uint8_t count)
{
    outb(r, P_COUNT, count);
    outb(r, P_LBA_LOW, (uint8_t)lba);
    outb(r, P_LBA_MID, (uint8_t)(lba >> 8));
    outb(r, P_LBA_HIGH, (uint8_t)(lba >> 16));
    outb(r, P_DEVICE, (uint8_t)(DEV_LBA | ((lba >> 24) & 0x0f)));
    outb(r, P_COMMAND, command);
}

/* A 48-bit command: each register written twice, high byte first. */
static void cmd48(struct rig *r, uint8_t command, uint64_t lba, uint16_t count)
{
    outb(r, P_COUNT, (uint8_t)(count >> 8));
    outb(r, P_LBA_LOW, (uint8_t)(lba >> 24));
    outb(r, P_LBA_MID, (uint8_t)(lba >> 32));
    outb(r, P_LBA_HIGH, (uint8_t)(lba >> 40));
    outb(r, P_COUNT, (uint8_t)count);
    outb(r, P_LBA_LOW, (uint8_t)lba);
    outb(r, P_LBA_MID, (uint8_t)(lba >> 8));
    outb(r, P_LBA_HIGH, (uint8_t)(lba >> 16));
    outb(r, P_DEVICE, 0x40);
    outb(r, P_COMMAND, command);
}

/* A CHS command. */
static void cmd_chs(struct rig *r, uint8_t command, unsigned cyl, unsigned head,
                    unsigned sector, uint8_t count)
{
    outb(r, P_COUNT, count);
    outb(r, P_LBA_LOW, (uint8_t)sector);
    outb(r, P_LBA_MID, (uint8_t)cyl);
    outb(r, P_LBA_HIGH, (uint8_t)(cyl >> 8));
    outb(r, P_DEVICE, (uint8_t)(0xa0 | (head & 0x0f)));
    outb(r, P_COMMAND, command);
}

static void read_words(struct rig *r, uint8_t *buf, size_t words)
{
    for (size_t i = 0; i < words; i++) {
        uint16_t w = inw(r, P_DATA);
        buf[2 * i] = (uint8_t)w;
        buf[2 * i + 1] = (uint8_t)(w >> 8);
    }
}

static void write_words(struct rig *r, const uint8_t *buf, size_t words)
{
    for (size_t i = 0; i < words; i++)
        outw(r, P_DATA, (uint16_t)(buf[2 * i] | buf[2 * i + 1] << 8));
}

static bool sector_is_pattern(const uint8_t *buf, uint64_t lba)
{
    for (size_t j = 0; j < SECTOR; j++)
        if (buf[j] != pattern_byte(lba, j))
            return false;
    return true;
}

static void fill_sector(uint8_t *buf, uint8_t seed)
{
    for (size_t j = 0; j < SECTOR; j++)
        buf[j] = (uint8_t)(seed ^ (j * 5) ^ (j >> 3));
}

static bool store_sector_is(struct rig *r, uint64_t lba, const uint8_t *want)
{
    uint8_t back[SECTOR];
    if (disk_store_read_sectors(&r->store, lba, 1, back) != 0)
        return false;
    return memcmp(back, want, SECTOR) == 0;
}

static uint16_t id_word(const uint8_t *id, unsigned w)
{
    return (uint16_t)(id[2 * w] | id[2 * w + 1] << 8);
}

/* An ATA string field as text: two characters per word, high byte first. */
static void id_string(const uint8_t *id, unsigned first_word, unsigned chars, char *out)
{
    for (unsigned i = 0; i < chars; i += 2) {
        uint16_t w = id_word(id, first_word + i / 2);
        out[i] = (char)(w >> 8);
        out[i + 1] = (char)w;
    }
    out[chars] = '\0';
}

static void identify(struct rig *r, uint8_t id[SECTOR])
{
    outb(r, P_DEVICE, 0xa0);
    outb(r, P_COMMAND, 0xec);
    CHECK_EQ_U(inb(r, P_STATUS), ST_DRQ);
    read_words(r, id, 256);
    CHECK_EQ_U(inb(r, P_STATUS), ST_IDLE);
}

/* ------------------------------------------------------ reset, signature */

TEST(power_on_state_is_the_ata_signature)
{
    struct rig *r = rig_new(64, false);
    CHECK_EQ_U(inb(r, P_ALTSTATUS), ST_IDLE);
    CHECK_EQ_U(inb(r, P_STATUS), ST_IDLE);
    CHECK_EQ_U(inb(r, P_ERROR), 0x01);
    CHECK_EQ_U(inb(r, P_COUNT), 0x01);
    CHECK_EQ_U(inb(r, P_LBA_LOW), 0x01);
    CHECK_EQ_U(inb(r, P_LBA_MID), 0x00);
    CHECK_EQ_U(inb(r, P_LBA_HIGH), 0x00);
    CHECK_EQ_U(inb(r, P_DEVICE), 0x00);
    CHECK(!irq(r));
    CHECK_EQ_U(r->ch.irq.irq, 14);
    rig_free(r);
}

TEST(srst_is_busy_while_held_then_posts_the_signature)
{
    struct rig *r = rig_new(64, false);
    cmd28(r, 0x20, 7, 3);
    CHECK_EQ_U(inb(r, P_ALTSTATUS), ST_DRQ);
    CHECK(irq(r));
    outb(r, P_CONTROL, CTL_SRST);
    CHECK_EQ_U(inb(r, P_ALTSTATUS), ST_BSY);
    CHECK(!irq(r));
    /* While BSY every command block register reads as Status. */
    CHECK_EQ_U(inb(r, P_COUNT), ST_BSY);
    CHECK_EQ_U(inb(r, P_LBA_MID), ST_BSY);
    CHECK_EQ_U(inb(r, P_ERROR), ST_BSY);
    /* A command while busy is not taken. */
    outb(r, P_COMMAND, 0xec);
    CHECK_EQ_U(inb(r, P_ALTSTATUS), ST_BSY);
    CHECK_EQ_U(inw(r, P_DATA), 0);
    outb(r, P_CONTROL, 0);
    CHECK_EQ_U(inb(r, P_ALTSTATUS), ST_IDLE);
    CHECK_EQ_U(inb(r, P_ERROR), 0x01);
    CHECK_EQ_U(inb(r, P_COUNT), 0x01);
    CHECK_EQ_U(inb(r, P_LBA_LOW), 0x01);
    CHECK_EQ_U(inb(r, P_LBA_MID), 0x00);
    CHECK_EQ_U(inb(r, P_LBA_HIGH), 0x00);
    CHECK_EQ_U(inb(r, P_DEVICE), 0x00);
    /* No interrupt for a software reset, and the old transfer is gone. */
    CHECK(!irq(r));
    CHECK(!r->ch.intrq_pending);
    CHECK_EQ_U(inw(r, P_DATA), 0);
    CHECK_EQ_U(inb(r, P_STATUS), ST_IDLE);
    /* Writing SRST=0 again does not reset again: registers survive. */
    outb(r, P_COUNT, 0x33);
    outb(r, P_CONTROL, 0);
    CHECK_EQ_U(inb(r, P_COUNT), 0x33);
    rig_free(r);
}

TEST(srst_keeps_settings_and_disk_data)
{
    struct rig *r = rig_new(64, false);
    uint8_t data[SECTOR], id[SECTOR];
    fill_sector(data, 0x3c);
    cmd28(r, 0x30, 9, 1);
    write_words(r, data, 256);
    outb(r, P_COUNT, 4);
    outb(r, P_COMMAND, 0xc6);
    outb(r, P_CONTROL, CTL_SRST);
    outb(r, P_CONTROL, 0);
    identify(r, id);
    CHECK_EQ_U(id_word(id, 59), 0x0104);
    CHECK(store_sector_is(r, 9, data));
    CHECK(image_untouched(r));
    rig_free(r);
}

TEST(execute_device_diagnostic_posts_the_signature_with_an_interrupt)
{
    struct rig *r = rig_new(64, false);
    cmd28(r, 0x20, 3, 1);
    inb(r, P_STATUS);
    outb(r, P_COMMAND, 0x90);
    CHECK(irq(r));
    CHECK_EQ_U(inb(r, P_ALTSTATUS), ST_IDLE);
    CHECK_EQ_U(inb(r, P_ERROR), 0x01);
    CHECK_EQ_U(inb(r, P_COUNT), 1);
    CHECK_EQ_U(inb(r, P_LBA_LOW), 1);
    CHECK_EQ_U(inb(r, P_LBA_MID), 0);
    CHECK_EQ_U(inb(r, P_LBA_HIGH), 0);
    CHECK_EQ_U(inb(r, P_DEVICE), 0);
    CHECK_EQ_U(inw(r, P_DATA), 0);          /* the read was abandoned */
    CHECK_EQ_U(inb(r, P_STATUS), ST_IDLE);
    CHECK(!irq(r));
    rig_free(r);
}

/* ------------------------------------------------------------- IDENTIFY */

TEST(identify_fields_strings_and_checksum)
{
    const uint64_t sectors = 16 * 63 * 10 + 7;
    struct rig *r = rig_new(sectors, false);
    uint8_t id[SECTOR];
    outb(r, P_DEVICE, 0xa0);
    outb(r, P_COMMAND, 0xec);
    CHECK(irq(r));
    CHECK_EQ_U(inb(r, P_STATUS), ST_DRQ);
    CHECK(!irq(r));
    read_words(r, id, 256);
    CHECK_EQ_U(inb(r, P_STATUS), ST_IDLE);
    CHECK_EQ_U(r->rising_edges, 1);

    char s[41];
    id_string(id, 27, 40, s);
    CHECK_STR(s, "keel virtual disk                       ");
    id_string(id, 10, 20, s);
    CHECK_STR(s, "keel-test           ");
    id_string(id, 23, 8, s);
    CHECK_STR(s, "keel 1  ");
    /* "ke" is stored as the word 6B65h: byte 'e' first. */
    CHECK_EQ_U(id[54], 'e');
    CHECK_EQ_U(id[55], 'k');

    CHECK_EQ_U(id_word(id, 0) & 0x8000, 0);            /* ATA device */
    CHECK_EQ_U(id_word(id, 1), 10);                     /* cylinders */
    CHECK_EQ_U(id_word(id, 3), 16);
    CHECK_EQ_U(id_word(id, 6), 63);
    CHECK_EQ_U(id_word(id, 47), 0x8010);
    CHECK_EQ_U(id_word(id, 49) & 0x0200, 0x0200);       /* LBA */
    CHECK_EQ_U(id_word(id, 49) & 0x0100, 0);            /* no DMA */
    CHECK_EQ_U(id_word(id, 53) & 0x0003, 0x0003);
    CHECK_EQ_U(id_word(id, 54), 10);
    CHECK_EQ_U(id_word(id, 55), 16);
    CHECK_EQ_U(id_word(id, 56), 63);
    CHECK_EQ_U(id_word(id, 57) | (uint32_t)id_word(id, 58) << 16, 10 * 16 * 63);
    CHECK_EQ_U(id_word(id, 59), 0x0110);                /* multiple on, 16 */
    CHECK_EQ_U(id_word(id, 60) | (uint32_t)id_word(id, 61) << 16, sectors);
    CHECK_EQ_U(id_word(id, 63), 0);                     /* no multiword DMA */
    CHECK_EQ_U(id_word(id, 64), 0x0003);                /* PIO 3 and 4 */
    CHECK_EQ_U(id_word(id, 80) & 0x0040, 0x0040);       /* ATA/ATAPI-6 */
    CHECK_EQ_U(id_word(id, 83) & 0xc000, 0x4000);
    CHECK_EQ_U(id_word(id, 83) & 0x0400, 0x0400);       /* 48-bit supported */
    CHECK_EQ_U(id_word(id, 86) & 0x0400, 0x0400);       /* and enabled */
    CHECK_EQ_U(id_word(id, 83) & 0x3000, 0x3000);       /* FLUSH CACHE (EXT) */
    CHECK_EQ_U(id_word(id, 84) & 0xc000, 0x4000);
    CHECK_EQ_U(id_word(id, 85) & 0x0020, 0x0020);       /* write cache on */
    CHECK_EQ_U(id_word(id, 87) & 0xc000, 0x4000);
    CHECK_EQ_U(id_word(id, 88), 0);                     /* no UDMA */
    uint64_t cap48 = 0;
    for (unsigned i = 0; i < 4; i++)
        cap48 |= (uint64_t)id_word(id, 100 + i) << (16 * i);
    CHECK_EQ_U(cap48, sectors);
    CHECK_EQ_U(id[510], 0xa5);
    uint8_t sum = 0;
    for (unsigned i = 0; i < SECTOR; i++)
        sum = (uint8_t)(sum + id[i]);
    CHECK_EQ_U(sum, 0);
    /* Reading past the block gets nothing more. */
    CHECK_EQ_U(inw(r, P_DATA), 0);
    CHECK(image_untouched(r));
    rig_free(r);
}

TEST(identify_caps_the_28_bit_capacity_of_a_big_disk)
{
    const uint64_t sectors = (1ull << 28) + 64;          /* 128 GiB + 32 KiB, sparse */
    struct rig *r = rig_new(sectors, true);
    uint8_t id[SECTOR];
    identify(r, id);
    CHECK_EQ_U(id_word(id, 60) | (uint32_t)id_word(id, 61) << 16, 0x0fffffff);
    uint64_t cap48 = 0;
    for (unsigned i = 0; i < 4; i++)
        cap48 |= (uint64_t)id_word(id, 100 + i) << (16 * i);
    CHECK_EQ_U(cap48, sectors);
    CHECK_EQ_U(id_word(id, 1), 16383);
    CHECK_EQ_U(id_word(id, 57) | (uint32_t)id_word(id, 58) << 16, 16383 * 16 * 63);
    uint8_t sum = 0;
    for (unsigned i = 0; i < SECTOR; i++)
        sum = (uint8_t)(sum + id[i]);
    CHECK_EQ_U(sum, 0);
    rig_free(r);
}

TEST(identify_reflects_settings)
{
    struct rig *r = rig_new(2000, false);
    uint8_t id[SECTOR];
    outb(r, P_FEATURES, 0x82);                /* write cache off */
    outb(r, P_COMMAND, 0xef);
    outb(r, P_FEATURES, 0x55);                /* look-ahead off */
    outb(r, P_COMMAND, 0xef);
    outb(r, P_COUNT, 2);
    outb(r, P_COMMAND, 0xc6);
    identify(r, id);
    CHECK_EQ_U(id_word(id, 85) & 0x0060, 0);
    CHECK_EQ_U(id_word(id, 82) & 0x0060, 0x0060);   /* still supported */
    CHECK_EQ_U(id_word(id, 59), 0x0102);
    outb(r, P_FEATURES, 0x02);
    outb(r, P_COMMAND, 0xef);
    outb(r, P_COUNT, 0);
    outb(r, P_COMMAND, 0xc6);                 /* multiple mode off */
    identify(r, id);
    CHECK_EQ_U(id_word(id, 85) & 0x0060, 0x0020);
    CHECK_EQ_U(id_word(id, 59), 0);
    rig_free(r);
}

/* ------------------------------------------------------------ PIO in */

TEST(read_sectors_interrupt_and_drq_per_sector)
{
    struct rig *r = rig_new(64, false);
    uint8_t buf[SECTOR];
    cmd28(r, 0x20, 5, 3);
    for (uint64_t lba = 5; lba < 8; lba++) {
        /* Data ready, an interrupt pending; Alternate Status leaves it. */
        CHECK(irq(r));
        CHECK_EQ_U(inb(r, P_ALTSTATUS), ST_DRQ);
        CHECK(irq(r));
        CHECK_EQ_U(inb(r, P_STATUS), ST_DRQ);
        CHECK(!irq(r));
        read_words(r, buf, 255);
        CHECK_EQ_U(inb(r, P_ALTSTATUS), ST_DRQ);        /* mid-sector */
        CHECK(!irq(r));
        read_words(r, buf + 510, 1);
        CHECK(sector_is_pattern(buf, lba));
    }
    /* After the last sector: DRQ off and no further interrupt. */
    CHECK(!irq(r));
    CHECK_EQ_U(r->rising_edges, 3);
    CHECK_EQ_U(inb(r, P_STATUS), ST_IDLE);
    CHECK_EQ_U(inb(r, P_ERROR), 0);
    CHECK_EQ_U(r->store.stats.sectors_read, 3);
    rig_free(r);
}

TEST(read_sectors_count_zero_means_256)
{
    struct rig *r = rig_new(300, false);
    uint8_t buf[SECTOR];
    bool all = true;
    unsigned n = 0;
    cmd28(r, 0x20, 10, 0);
    while (inb(r, P_STATUS) & 0x08) {
        read_words(r, buf, 256);
        all &= sector_is_pattern(buf, 10 + n);
        n++;
    }
    CHECK(all);
    CHECK_EQ_U(n, 256);
    CHECK_EQ_U(r->rising_edges, 256);
    rig_free(r);
}

TEST(read_sectors_ext_count_zero_means_65536)
{
    struct rig *r = rig_new(65536 + 16, false);
    uint8_t buf[SECTOR];
    bool all = true;
    unsigned n = 0;
    cmd48(r, 0x24, 3, 0);
    while (inb(r, P_STATUS) & 0x08) {
        for (unsigned i = 0; i < 128; i++) {
            uint32_t d = inl(r, P_DATA);
            memcpy(buf + 4 * i, &d, 4);
        }
        all &= sector_is_pattern(buf, 3 + n);
        n++;
    }
    CHECK(all);
    CHECK_EQ_U(n, 65536);
    CHECK_EQ_U(inb(r, P_ALTSTATUS), ST_IDLE);
    rig_free(r);
}

TEST(lba28_and_lba48_reach_where_they_should_on_a_big_disk)
{
    const uint64_t sectors = (1ull << 28) + 64;
    struct rig *r = rig_new(sectors, true);
    uint8_t data[2 * SECTOR], back[SECTOR];
    fill_sector(data, 0x81);
    fill_sector(data + SECTOR, 0x82);

    /* 48-bit: beyond 2^28, through the last sector. */
    cmd48(r, 0x34, sectors - 2, 2);
    CHECK_EQ_U(inb(r, P_STATUS), ST_DRQ);
    write_words(r, data, 512);
    CHECK_EQ_U(inb(r, P_STATUS), ST_IDLE);
    cmd48(r, 0x24, sectors - 1, 1);
    CHECK_EQ_U(inb(r, P_STATUS), ST_DRQ);
    read_words(r, back, 256);
    CHECK(memcmp(back, data + SECTOR, SECTOR) == 0);
    CHECK(store_sector_is(r, sectors - 2, data));

    /* 28-bit: the last reachable sector is 0FFFFFFEh (words 60-61 say
     * 0FFFFFFFh sectors); one more is IDNF although the disk has it. */
    cmd28(r, 0x30, 0x0ffffffe, 1);
    CHECK_EQ_U(inb(r, P_STATUS), ST_DRQ);
    write_words(r, data, 256);
    CHECK_EQ_U(inb(r, P_STATUS), ST_IDLE);
    CHECK(store_sector_is(r, 0x0ffffffe, data));
    cmd28(r, 0x20, 0x0fffffff, 1);
    CHECK_EQ_U(inb(r, P_STATUS), ST_ERR);
    CHECK_EQ_U(inb(r, P_ERROR), ER_IDNF);
    cmd28(r, 0x20, 0x0ffffffe, 2);
    CHECK_EQ_U(inb(r, P_STATUS), ST_ERR);
    CHECK_EQ_U(inb(r, P_ERROR), ER_IDNF);
    /* The same sector through 48-bit addressing is fine. */
    cmd48(r, 0x24, 0x0fffffff, 1);
    CHECK_EQ_U(inb(r, P_STATUS), ST_DRQ);
    read_words(r, back, 256);
    CHECK_EQ_U(inb(r, P_STATUS), ST_IDLE);
    rig_free(r);
}

TEST(lba48_uses_all_six_address_bytes_and_both_count_bytes)
{
    struct rig *r = rig_new(2048, false);
    uint8_t buf[SECTOR];
    /* Addresses that differ from an in-range one only in a previous
     * (high) byte, and counts that do only in the high count byte. */
    cmd48(r, 0x24, (1ull << 40) | 5, 1);
    CHECK_EQ_U(inb(r, P_STATUS), ST_ERR);
    CHECK_EQ_U(inb(r, P_ERROR), ER_IDNF);
    cmd48(r, 0x24, (1ull << 24) | 5, 1);
    CHECK_EQ_U(inb(r, P_STATUS), ST_ERR);
    cmd48(r, 0x24, 0x700, 0x0101);              /* 0x700 + 257 > 2048 */
    CHECK_EQ_U(inb(r, P_STATUS), ST_ERR);
    cmd48(r, 0x24, 0x700, 0x0100);              /* exactly to the end */
    unsigned n = 0;
    bool all = true;
    while (inb(r, P_STATUS) & 0x08) {
        read_words(r, buf, 256);
        all &= sector_is_pattern(buf, 0x700 + n);
        n++;
    }
    CHECK(all);
    CHECK_EQ_U(n, 256);
    rig_free(r);
}

/* ----------------------------------------------------------- PIO out */

TEST(write_sectors_drq_at_once_then_interrupt_per_sector)
{
    struct rig *r = rig_new(64, false);
    uint8_t a[SECTOR], b[SECTOR];
    fill_sector(a, 0xa1);
    fill_sector(b, 0xb2);
    cmd28(r, 0x30, 20, 2);
    /* The first sector is asked for without an interrupt. */
    CHECK_EQ_U(inb(r, P_ALTSTATUS), ST_DRQ);
    CHECK(!irq(r));
    CHECK(!r->ch.intrq_pending);
    write_words(r, a, 255);
    CHECK(!irq(r));
    CHECK_EQ_U(inb(r, P_ALTSTATUS), ST_DRQ);
    write_words(r, a + 510, 1);
    /* Sector one stored: interrupt, DRQ for the next. */
    CHECK(irq(r));
    CHECK(store_sector_is(r, 20, a));
    CHECK_EQ_U(inb(r, P_STATUS), ST_DRQ);
    CHECK(!irq(r));
    write_words(r, b, 256);
    /* The last one completes the command with an interrupt. */
    CHECK(irq(r));
    CHECK_EQ_U(inb(r, P_ALTSTATUS), ST_IDLE);
    CHECK_EQ_U(inb(r, P_STATUS), ST_IDLE);
    CHECK(!irq(r));
    CHECK_EQ_U(r->rising_edges, 2);
    CHECK(store_sector_is(r, 21, b));
    CHECK(image_untouched(r));
    CHECK_EQ_U(r->store.stats.sectors_written, 2);
    /* And the guest reads its data back. */
    uint8_t back[SECTOR];
    cmd28(r, 0x20, 21, 1);
    read_words(r, back, 256);
    CHECK(memcmp(back, b, SECTOR) == 0);
    rig_free(r);
}

TEST(write_sectors_count_zero_means_256)
{
    struct rig *r = rig_new(300, false);
    uint8_t buf[SECTOR];
    unsigned n = 0;
    cmd28(r, 0x30, 40, 0);
    while (inb(r, P_STATUS) & 0x08) {
        fill_sector(buf, (uint8_t)n);
        write_words(r, buf, 256);
        n++;
    }
    CHECK_EQ_U(n, 256);
    fill_sector(buf, 255);
    CHECK(store_sector_is(r, 40 + 255, buf));
    uint8_t back[SECTOR];
    disk_store_read_sectors(&r->store, 40 + 256, 1, back);
    CHECK(sector_is_pattern(back, 40 + 256));
    CHECK(image_untouched(r));
    rig_free(r);
}

/* ------------------------------------------------------- multiple mode */

/* Reads a READ MULTIPLE data phase; returns the sizes of its DRQ blocks in
 * sectors, each block checked to raise exactly one interrupt. */
static unsigned read_blocks(struct rig *r, uint64_t lba, unsigned *sizes, bool *data_ok)
{
    unsigned nblocks = 0;
    uint8_t buf[SECTOR];
    *data_ok = true;
    while (inb(r, P_ALTSTATUS) & 0x08) {
        unsigned edges = r->rising_edges;
        CHECK(irq(r));
        inb(r, P_STATUS);
        unsigned sectors = 0;
        /* Within a block DRQ stays and no interrupt comes. */
        do {
            read_words(r, buf, 256);
            *data_ok &= sector_is_pattern(buf, lba++);
            sectors++;
        } while (r->rising_edges == edges && (inb(r, P_ALTSTATUS) & 0x08));
        sizes[nblocks++] = sectors;
    }
    return nblocks;
}

TEST(read_multiple_moves_blocks_of_the_set_size)
{
    struct rig *r = rig_new(200, false);
    unsigned sizes[64];
    bool ok;
    outb(r, P_COUNT, 4);
    outb(r, P_COMMAND, 0xc6);
    CHECK(irq(r));
    CHECK_EQ_U(inb(r, P_STATUS), ST_IDLE);
    cmd28(r, 0xc4, 30, 10);
    CHECK_EQ_U(read_blocks(r, 30, sizes, &ok), 3);
    CHECK(ok);
    CHECK_EQ_U(sizes[0], 4);
    CHECK_EQ_U(sizes[1], 4);
    CHECK_EQ_U(sizes[2], 2);
    CHECK_EQ_U(inb(r, P_STATUS), ST_IDLE);

    cmd48(r, 0x29, 100, 16);
    CHECK_EQ_U(read_blocks(r, 100, sizes, &ok), 4);
    CHECK(ok);
    CHECK_EQ_U(sizes[3], 4);

    /* Block size 16: the largest. */
    outb(r, P_COUNT, 16);
    outb(r, P_COMMAND, 0xc6);
    inb(r, P_STATUS);
    cmd28(r, 0xc4, 0, 40);
    CHECK_EQ_U(read_blocks(r, 0, sizes, &ok), 3);
    CHECK(ok);
    CHECK_EQ_U(sizes[0], 16);
    CHECK_EQ_U(sizes[2], 8);
    /* Block size 1 behaves as READ SECTORS. */
    outb(r, P_COUNT, 1);
    outb(r, P_COMMAND, 0xc6);
    inb(r, P_STATUS);
    cmd28(r, 0xc4, 7, 3);
    CHECK_EQ_U(read_blocks(r, 7, sizes, &ok), 3);
    CHECK(ok);
    rig_free(r);
}

TEST(write_multiple_interrupts_after_each_block)
{
    struct rig *r = rig_new(200, false);
    uint8_t buf[SECTOR];
    outb(r, P_COUNT, 8);
    outb(r, P_COMMAND, 0xc6);
    inb(r, P_STATUS);
    unsigned edges0 = r->rising_edges;
    cmd28(r, 0xc5, 50, 20);
    CHECK(!irq(r));
    unsigned blocks = 0;
    for (unsigned s = 0; s < 20; s++) {
        CHECK_EQ_U(inb(r, P_ALTSTATUS), ST_DRQ);
        fill_sector(buf, (uint8_t)(s + 1));
        write_words(r, buf, 256);
        bool block_end = s == 7 || s == 15 || s == 19;
        CHECK_EQ_U(irq(r), block_end);
        if (irq(r)) {
            blocks++;
            inb(r, P_STATUS);
        }
    }
    CHECK_EQ_U(blocks, 3);
    CHECK_EQ_U(r->rising_edges - edges0, 3);
    CHECK_EQ_U(inb(r, P_STATUS), ST_IDLE);
    for (unsigned s = 0; s < 20; s++) {
        fill_sector(buf, (uint8_t)(s + 1));
        CHECK(store_sector_is(r, 50 + s, buf));
    }
    /* WRITE MULTIPLE EXT, one partial block. */
    cmd48(r, 0x39, 120, 3);
    for (unsigned s = 0; s < 3; s++) {
        fill_sector(buf, (uint8_t)(0x90 + s));
        write_words(r, buf, 256);
    }
    CHECK(irq(r));
    CHECK_EQ_U(inb(r, P_STATUS), ST_IDLE);
    fill_sector(buf, 0x92);
    CHECK(store_sector_is(r, 122, buf));
    CHECK(image_untouched(r));
    rig_free(r);
}

TEST(set_multiple_mode_refuses_invalid_counts)
{
    struct rig *r = rig_new(64, false);
    const uint8_t bad[] = { 3, 5, 6, 12, 17, 32, 64, 128, 255 };
    for (size_t i = 0; i < sizeof(bad); i++) {
        outb(r, P_COUNT, bad[i]);
        outb(r, P_COMMAND, 0xc6);
        CHECK(irq(r));
        CHECK_EQ_U(inb(r, P_STATUS), ST_ERR);
        CHECK_EQ_U(inb(r, P_ERROR), ER_ABRT);
        CHECK_EQ_U(r->ch.multiple, 16);     /* unchanged */
    }
    const uint8_t good[] = { 1, 2, 4, 8, 16 };
    for (size_t i = 0; i < sizeof(good); i++) {
        outb(r, P_COUNT, good[i]);
        outb(r, P_COMMAND, 0xc6);
        CHECK_EQ_U(inb(r, P_STATUS), ST_IDLE);
        CHECK_EQ_U(inb(r, P_ERROR), 0);
        CHECK_EQ_U(r->ch.multiple, good[i]);
    }
    /* 0 turns multiple mode off; READ/WRITE MULTIPLE are then aborted. */
    outb(r, P_COUNT, 0);
    outb(r, P_COMMAND, 0xc6);
    CHECK_EQ_U(inb(r, P_STATUS), ST_IDLE);
    const uint8_t multiple_cmds[] = { 0xc4, 0xc5, 0x29, 0x39 };
    for (size_t i = 0; i < sizeof(multiple_cmds); i++) {
        cmd28(r, multiple_cmds[i], 1, 1);
        CHECK_EQ_U(inb(r, P_STATUS), ST_ERR);
        CHECK_EQ_U(inb(r, P_ERROR), ER_ABRT);
    }
    rig_free(r);
}

/* ------------------------------------------------------------------ HOB */

TEST(hob_reads_back_the_previous_register_values)
{
    struct rig *r = rig_new(64, false);
    outb(r, P_COUNT, 0x12);
    outb(r, P_COUNT, 0x34);
    outb(r, P_LBA_LOW, 0xa1);
    outb(r, P_LBA_LOW, 0xa2);
    outb(r, P_LBA_MID, 0xb1);
    outb(r, P_LBA_MID, 0xb2);
    outb(r, P_LBA_HIGH, 0xc1);
    outb(r, P_LBA_HIGH, 0xc2);
    CHECK_EQ_U(inb(r, P_COUNT), 0x34);
    CHECK_EQ_U(inb(r, P_LBA_LOW), 0xa2);
    outb(r, P_CONTROL, CTL_HOB);
    CHECK_EQ_U(inb(r, P_COUNT), 0x12);
    CHECK_EQ_U(inb(r, P_LBA_LOW), 0xa1);
    CHECK_EQ_U(inb(r, P_LBA_MID), 0xb1);
    CHECK_EQ_U(inb(r, P_LBA_HIGH), 0xc1);
    /* Status, Error and Device have no previous value. */
    CHECK_EQ_U(inb(r, P_ALTSTATUS), ST_IDLE);
    CHECK_EQ_U(inb(r, P_ERROR), 0x01);
    CHECK_EQ_U(inb(r, P_DEVICE), 0x00);
    /* Any command block write clears HOB. */
    outb(r, P_FEATURES, 0);
    CHECK_EQ_U(inb(r, P_COUNT), 0x34);
    CHECK_EQ_U(inb(r, P_LBA_HIGH), 0xc2);
    /* A third write pushes the FIFO on. */
    outb(r, P_COUNT, 0x56);
    outb(r, P_CONTROL, CTL_HOB);
    CHECK_EQ_U(inb(r, P_COUNT), 0x34);
    outb(r, P_CONTROL, 0);
    CHECK_EQ_U(inb(r, P_COUNT), 0x56);
    rig_free(r);
}

/* ---------------------------------------------------------- errors */

TEST(out_of_range_is_idnf_without_a_data_phase)
{
    const uint64_t sectors = 100;
    struct rig *r = rig_new(sectors, false);
    const struct {
        uint8_t cmd;
        bool ext;
        uint64_t lba;
        uint16_t count;
    } cases[] = {
        { 0x20, false, sectors, 1 },     { 0x20, false, sectors - 1, 2 },
        { 0x20, false, 0, 0 },           /* 256 > 100 */
        { 0x30, false, sectors, 1 },     { 0x30, false, 99, 5 },
        { 0xc4, false, 98, 3 },          { 0xc5, false, 200, 1 },
        { 0x24, true, sectors, 1 },      { 0x24, true, 50, 51 },
        { 0x34, true, 1ull << 47, 1 },   { 0x29, true, 0, 0 },
        { 0x39, true, 99, 2 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (cases[i].ext)
            cmd48(r, cases[i].cmd, cases[i].lba, cases[i].count);
        else
            cmd28(r, cases[i].cmd, (uint32_t)cases[i].lba, (uint8_t)cases[i].count);
        CHECK(irq(r));
        CHECK_EQ_U(inb(r, P_STATUS), ST_ERR);
        CHECK_EQ_U(inb(r, P_ERROR), ER_IDNF);
        CHECK_EQ_U(inw(r, P_DATA), 0);
        outw(r, P_DATA, 0x1234);
        CHECK_EQ_U(inb(r, P_STATUS), ST_ERR);
    }
    /* The last in-range sector is fine, and the next command clears ERR. */
    cmd28(r, 0x20, sectors - 1, 1);
    CHECK_EQ_U(inb(r, P_STATUS), ST_DRQ);
    CHECK_EQ_U(inb(r, P_ERROR), 0);
    CHECK_EQ_U(r->store.stats.sectors_written, 0);
    CHECK_EQ_U(r->pool.used, 0);
    CHECK(image_untouched(r));
    rig_free(r);
}

TEST(unsupported_commands_and_features_abort)
{
    struct rig *r = rig_new(64, false);
    const uint8_t bad_cmds[] = { 0x00, 0x08, 0x10, 0x21, 0x25, 0x40, 0x70, 0xa0, 0xa1,
                                 0xb0, 0xc8, 0xca, 0xe0, 0xe5, 0xf8, 0xff };
    for (size_t i = 0; i < sizeof(bad_cmds); i++) {
        outb(r, P_DEVICE, DEV_LBA);
        outb(r, P_COMMAND, bad_cmds[i]);
        CHECK(irq(r));
        CHECK_EQ_U(inb(r, P_STATUS), ST_ERR);
        CHECK_EQ_U(inb(r, P_ERROR), ER_ABRT);
        CHECK(!irq(r));
    }
    /* SET FEATURES: unknown subcommands and DMA or too fast PIO modes. */
    const struct {
        uint8_t feature, count;
    } bad_features[] = {
        { 0x99, 0 }, { 0x00, 0 }, { 0xcc, 0 }, { 0x03, 0x0d }, { 0x03, 0x02 },
        { 0x03, 0x20 }, { 0x03, 0x22 }, { 0x03, 0x45 }, { 0x03, 0x10 },
    };
    for (size_t i = 0; i < sizeof(bad_features) / sizeof(bad_features[0]); i++) {
        outb(r, P_FEATURES, bad_features[i].feature);
        outb(r, P_COUNT, bad_features[i].count);
        outb(r, P_COMMAND, 0xef);
        CHECK_EQ_U(inb(r, P_STATUS), ST_ERR);
        CHECK_EQ_U(inb(r, P_ERROR), ER_ABRT);
    }
    const struct {
        uint8_t feature, count;
    } good_features[] = {
        { 0x03, 0x00 }, { 0x03, 0x01 }, { 0x03, 0x08 }, { 0x03, 0x0c }, { 0x02, 0 },
        { 0x82, 0 }, { 0xaa, 0 }, { 0x55, 0 }, { 0x66, 0 },
    };
    for (size_t i = 0; i < sizeof(good_features) / sizeof(good_features[0]); i++) {
        outb(r, P_FEATURES, good_features[i].feature);
        outb(r, P_COUNT, good_features[i].count);
        outb(r, P_COMMAND, 0xef);
        CHECK(irq(r));
        CHECK_EQ_U(inb(r, P_STATUS), ST_IDLE);
        CHECK_EQ_U(inb(r, P_ERROR), 0);
    }
    rig_free(r);
}

TEST(flush_cache_and_initialize_parameters_complete_with_an_interrupt)
{
    struct rig *r = rig_new(64, false);
    outb(r, P_COMMAND, 0xe7);
    CHECK(irq(r));
    CHECK_EQ_U(inb(r, P_STATUS), ST_IDLE);
    outb(r, P_COMMAND, 0xea);
    CHECK(irq(r));
    CHECK_EQ_U(inb(r, P_STATUS), ST_IDLE);
    CHECK_EQ_U(r->store.stats.flushes, 2);
    outb(r, P_COUNT, 32);
    outb(r, P_DEVICE, 0xa7);
    outb(r, P_COMMAND, 0x91);
    CHECK(irq(r));
    CHECK_EQ_U(inb(r, P_STATUS), ST_IDLE);
    rig_free(r);
}

/* ------------------------------------------------------------------ CHS */

TEST(chs_addressing_uses_the_reported_geometry)
{
    const uint64_t sectors = 16 * 63 * 3 + 5;           /* three cylinders and a bit */
    struct rig *r = rig_new(sectors, false);
    uint8_t buf[SECTOR], id[SECTOR];
    /* C/H/S 1/2/5 = (1 * 16 + 2) * 63 + 4. */
    cmd_chs(r, 0x20, 1, 2, 5, 2);
    CHECK_EQ_U(inb(r, P_STATUS), ST_DRQ);
    read_words(r, buf, 256);
    CHECK(sector_is_pattern(buf, (1 * 16 + 2) * 63 + 4));
    read_words(r, buf, 256);
    CHECK(sector_is_pattern(buf, (1 * 16 + 2) * 63 + 5));
    /* Sector 0, sector 64, cylinder 3 lie outside the geometry. */
    cmd_chs(r, 0x20, 0, 0, 0, 1);
    CHECK_EQ_U(inb(r, P_STATUS), ST_ERR);
    CHECK_EQ_U(inb(r, P_ERROR), ER_IDNF);
    cmd_chs(r, 0x20, 0, 0, 64, 1);
    CHECK_EQ_U(inb(r, P_STATUS), ST_ERR);
    cmd_chs(r, 0x20, 3, 0, 1, 1);
    CHECK_EQ_U(inb(r, P_STATUS), ST_ERR);
    /* The last CHS sector, and a run past it. */
    cmd_chs(r, 0x20, 2, 15, 63, 1);
    CHECK_EQ_U(inb(r, P_STATUS), ST_DRQ);
    read_words(r, buf, 256);
    CHECK(sector_is_pattern(buf, 16 * 63 * 3 - 1));
    cmd_chs(r, 0x20, 2, 15, 63, 2);
    CHECK_EQ_U(inb(r, P_STATUS), ST_ERR);

    /* INITIALIZE DEVICE PARAMETERS: 4 heads, 17 sectors per track. */
    outb(r, P_COUNT, 17);
    outb(r, P_DEVICE, 0xa0 | 3);
    outb(r, P_COMMAND, 0x91);
    CHECK_EQ_U(inb(r, P_STATUS), ST_IDLE);
    identify(r, id);
    CHECK_EQ_U(id_word(id, 54), sectors / (4 * 17));
    CHECK_EQ_U(id_word(id, 55), 4);
    CHECK_EQ_U(id_word(id, 56), 17);
    CHECK_EQ_U(id_word(id, 1), 3);              /* the default geometry stays */
    cmd_chs(r, 0x20, 5, 3, 17, 1);
    CHECK_EQ_U(inb(r, P_STATUS), ST_DRQ);
    read_words(r, buf, 256);
    CHECK(sector_is_pattern(buf, (5 * 4 + 3) * 17 + 16));
    cmd_chs(r, 0x20, 0, 4, 1, 1);              /* head 4 of 4 */
    CHECK_EQ_U(inb(r, P_STATUS), ST_ERR);

    /* A geometry of 0 sectors per track: CHS is IDNF, LBA still works. */
    outb(r, P_COUNT, 0);
    outb(r, P_DEVICE, 0xa0 | 15);
    outb(r, P_COMMAND, 0x91);
    CHECK_EQ_U(inb(r, P_STATUS), ST_IDLE);
    identify(r, id);
    CHECK_EQ_U(id_word(id, 53) & 1, 0);
    cmd_chs(r, 0x20, 0, 0, 1, 1);
    CHECK_EQ_U(inb(r, P_STATUS), ST_ERR);
    CHECK_EQ_U(inb(r, P_ERROR), ER_IDNF);
    cmd28(r, 0x20, 0, 1);
    CHECK_EQ_U(inb(r, P_STATUS), ST_DRQ);
    rig_free(r);
}

/* ------------------------------------------------------ interrupt line */

TEST(nien_masks_the_line_but_keeps_the_interrupt_pending)
{
    struct rig *r = rig_new(64, false);
    outb(r, P_CONTROL, CTL_NIEN);
    cmd28(r, 0x20, 1, 1);
    CHECK(!irq(r));
    CHECK(r->ch.intrq_pending);
    CHECK_EQ_U(inb(r, P_ALTSTATUS), ST_DRQ);
    CHECK_EQ_U(r->rising_edges, 0);
    outb(r, P_CONTROL, 0);
    CHECK(irq(r));
    CHECK_EQ_U(r->rising_edges, 1);
    outb(r, P_CONTROL, CTL_NIEN);
    CHECK(!irq(r));
    /* Polling with nIEN set: Status still acknowledges. */
    CHECK_EQ_U(inb(r, P_STATUS), ST_DRQ);
    outb(r, P_CONTROL, 0);
    CHECK(!irq(r));
    rig_free(r);
}

TEST(alternate_status_never_acknowledges)
{
    struct rig *r = rig_new(64, false);
    outb(r, P_COMMAND, 0xe7);
    for (int i = 0; i < 10; i++)
        CHECK_EQ_U(inb(r, P_ALTSTATUS), ST_IDLE);
    CHECK(irq(r));
    CHECK(r->ch.intrq_pending);
    /* Reading the other registers does not either. */
    inb(r, P_ERROR);
    inb(r, P_COUNT);
    inb(r, P_DEVICE);
    CHECK(irq(r));
    inb(r, P_STATUS);
    CHECK(!irq(r));
    /* Nor does a second status read raise anything. */
    inb(r, P_STATUS);
    CHECK(!irq(r));
    CHECK_EQ_U(r->rising_edges, 1);
    rig_free(r);
}

TEST(writing_a_command_clears_a_pending_interrupt)
{
    struct rig *r = rig_new(64, false);
    outb(r, P_COMMAND, 0xe7);
    CHECK(irq(r));
    cmd28(r, 0x30, 3, 1);           /* PIO out: no interrupt of its own */
    CHECK(!irq(r));
    CHECK(!r->ch.intrq_pending);
    rig_free(r);
}

/* -------------------------------------------------------- absent slave */

TEST(absent_slave_reads_zero_status_and_ignores_commands)
{
    struct rig *r = rig_new(64, false);
    outb(r, P_DEVICE, DEV_SLAVE);
    CHECK_EQ_U(inb(r, P_STATUS), 0x00);
    CHECK_EQ_U(inb(r, P_ALTSTATUS), 0x00);
    CHECK_EQ_U(inb(r, P_ERROR), 0x00);
    CHECK_EQ_U(inb(r, P_DEVICE), DEV_SLAVE);
    /* The taskfile registers are shared: what was written reads back (the
     * pattern test of Linux's ata_devchk and SeaBIOS's probe). */
    outb(r, P_COUNT, 0x55);
    outb(r, P_LBA_LOW, 0xaa);
    CHECK_EQ_U(inb(r, P_COUNT), 0x55);
    CHECK_EQ_U(inb(r, P_LBA_LOW), 0xaa);
    /* Commands are not answered: no DRQ, no interrupt, nothing changes. */
    const uint8_t cmds[] = { 0xec, 0xa1, 0x20, 0x30, 0xe7, 0xc6, 0xff };
    for (size_t i = 0; i < sizeof(cmds); i++) {
        outb(r, P_COMMAND, cmds[i]);
        CHECK_EQ_U(inb(r, P_STATUS), 0x00);
        CHECK_EQ_U(inw(r, P_DATA), 0);
        CHECK(!irq(r));
        CHECK(!r->ch.intrq_pending);
    }
    CHECK_EQ_U(r->ch.multiple, 16);
    CHECK_EQ_U(r->store.stats.flushes, 0);
    /* Back on the master: idle, untouched. */
    outb(r, P_DEVICE, 0xa0);
    CHECK_EQ_U(inb(r, P_STATUS), ST_IDLE);
    CHECK_EQ_U(inb(r, P_ERROR), 0x01);
    rig_free(r);
}

TEST(master_interrupt_is_off_the_line_while_the_slave_is_selected)
{
    struct rig *r = rig_new(64, false);
    uint8_t buf[SECTOR];
    cmd28(r, 0x20, 4, 1);
    CHECK(irq(r));
    outb(r, P_DEVICE, DEV_SLAVE);
    CHECK(!irq(r));
    /* The slave's status read does not acknowledge the master. */
    CHECK_EQ_U(inb(r, P_STATUS), 0);
    CHECK(r->ch.intrq_pending);
    /* Nor can data be taken while the slave is selected. */
    CHECK_EQ_U(inw(r, P_DATA), 0);
    outb(r, P_DEVICE, DEV_LBA);
    CHECK(irq(r));
    CHECK_EQ_U(inb(r, P_STATUS), ST_DRQ);
    read_words(r, buf, 256);
    CHECK(sector_is_pattern(buf, 4));
    rig_free(r);
}

TEST(diagnostic_runs_even_with_the_slave_selected)
{
    struct rig *r = rig_new(64, false);
    outb(r, P_DEVICE, DEV_SLAVE);
    outb(r, P_COMMAND, 0x90);
    /* Device 0 answers, and the signature selects it again. */
    CHECK_EQ_U(inb(r, P_DEVICE), 0x00);
    CHECK(irq(r));
    CHECK_EQ_U(inb(r, P_STATUS), ST_IDLE);
    CHECK_EQ_U(inb(r, P_ERROR), 0x01);
    CHECK_EQ_U(inb(r, P_COUNT), 1);
    CHECK_EQ_U(inb(r, P_LBA_LOW), 1);
    rig_free(r);
}

/* Linux's ata_sff_dev_classify() on device 1 after a reset: Error 0 or 1,
 * signature ATA, Status 0 → "no device". */
TEST(slave_classifies_as_absent_the_way_linux_checks)
{
    struct rig *r = rig_new(64, false);
    outb(r, P_CONTROL, CTL_SRST | CTL_NIEN);
    outb(r, P_CONTROL, CTL_NIEN);
    outb(r, P_DEVICE, DEV_SLAVE);
    uint8_t err = inb(r, P_ERROR);
    CHECK(err == 0 || err == 1);
    CHECK_EQ_U(inb(r, P_LBA_MID), 0);
    CHECK_EQ_U(inb(r, P_LBA_HIGH), 0);
    CHECK_EQ_U(inb(r, P_STATUS), 0);
    /* ...and the master as present: not busy, signature ATA, Error 01h. */
    outb(r, P_DEVICE, 0xa0);
    CHECK_EQ_U(inb(r, P_ERROR), 0x01);
    CHECK_EQ_U(inb(r, P_STATUS) & 0x80, 0);
    rig_free(r);
}

/* ------------------------------------------------------ access widths */

TEST(data_port_32_bit_access_is_two_words)
{
    struct rig *r = rig_new(64, false);
    uint8_t by_word[SECTOR], by_dword[SECTOR];
    identify(r, by_word);
    outb(r, P_COMMAND, 0xec);
    for (unsigned i = 0; i < 128; i++) {
        uint32_t d = inl(r, P_DATA);
        memcpy(by_dword + 4 * i, &d, 4);
    }
    CHECK(memcmp(by_word, by_dword, SECTOR) == 0);
    CHECK_EQ_U(inb(r, P_STATUS), ST_IDLE);

    /* Write with 32-bit accesses, read back with a mix crossing a sector. */
    uint8_t data[2 * SECTOR], back[2 * SECTOR];
    fill_sector(data, 0x11);
    fill_sector(data + SECTOR, 0x22);
    cmd28(r, 0x30, 12, 2);
    for (unsigned i = 0; i < 256; i++) {
        uint32_t d;
        memcpy(&d, data + 4 * i, 4);
        outl(r, P_DATA, d);
    }
    CHECK_EQ_U(inb(r, P_STATUS), ST_IDLE);
    cmd28(r, 0x20, 12, 2);
    read_words(r, back, 1);
    for (unsigned i = 0; i < 255; i++) {      /* word 1 .. word 510 */
        uint32_t d = inl(r, P_DATA);
        memcpy(back + 2 + 4 * i, &d, 4);
    }
    read_words(r, back + 1022, 1);
    CHECK(memcmp(back, data, sizeof(data)) == 0);
    CHECK_EQ_U(inb(r, P_STATUS), ST_IDLE);
    rig_free(r);
}

TEST(byte_access_to_the_data_port_moves_nothing)
{
    struct rig *r = rig_new(64, false);
    uint8_t id[SECTOR], ref[SECTOR];
    ata_identify_data(&r->ch, ref);
    outb(r, P_COMMAND, 0xec);
    inb(r, P_STATUS);
    CHECK_EQ_U(inb(r, P_DATA), 0xff);
    outb(r, P_DATA, 0x12);
    read_words(r, id, 256);
    CHECK(memcmp(id, ref, SECTOR) == 0);
    rig_free(r);
}

TEST(wide_accesses_to_registers_are_byte_runs)
{
    struct rig *r = rig_new(64, false);
    outw(r, P_LBA_MID, 0x1234);
    CHECK_EQ_U(inb(r, P_LBA_MID), 0x34);
    CHECK_EQ_U(inb(r, P_LBA_HIGH), 0x12);
    outl(r, P_COUNT, 0x00a0b0c0);             /* count, low, mid, high */
    CHECK_EQ_U(inw(r, P_COUNT), 0xb0c0);
    CHECK_EQ_U(in_n(r, P_COUNT, 4), 0x00a0b0c0);
    /* The byte lanes above the channel read FFh. */
    CHECK_EQ_U(inw(r, P_STATUS), 0xff00 | ST_IDLE);
    CHECK_EQ_U(inl(r, P_ALTSTATUS), 0xffffff00u | ST_IDLE);
    /* A word write to 0x1F6 selects, then issues: device A0h, command ECh. */
    outw(r, P_DEVICE, 0xeca0);
    CHECK_EQ_U(inb(r, P_ALTSTATUS), ST_DRQ);
    rig_free(r);
}

TEST(impossible_sizes_and_ports_are_refused_untouched)
{
    struct rig *r = rig_new(64, false);
    static struct ata_channel before;
    memcpy(&before, &r->ch, sizeof(before));
    uint32_t v = 0x1234;
    CHECK_EQ_I(ata_port_access(&r->ch, P_STATUS, 3, true, &v), -1);
    CHECK_EQ_I(ata_port_access(&r->ch, P_DATA, 0, false, &v), -1);
    CHECK_EQ_I(ata_port_access(&r->ch, P_DATA, 8, true, &v), -1);
    CHECK_EQ_I(ata_port_access(&r->ch, 0x1f8, 1, true, &v), -1);
    CHECK_EQ_I(ata_port_access(&r->ch, 0x3f7, 1, false, &v), -1);
    CHECK_EQ_I(ata_port_access(&r->ch, 0x170, 2, true, &v), -1);
    CHECK_EQ_U(v, 0x1234);
    CHECK(memcmp(&before, &r->ch, sizeof(before)) == 0);
    rig_free(r);
}

/* ---------------------------------------------------- hostile guests */

TEST(data_port_without_a_command_reads_zero_and_drops_writes)
{
    struct rig *r = rig_new(64, false);
    for (int i = 0; i < 1000; i++) {
        CHECK_EQ_U(inw(r, P_DATA), 0);
        outw(r, P_DATA, 0xffff);
        outl(r, P_DATA, 0xffffffff);
    }
    CHECK_EQ_U(inb(r, P_STATUS), ST_IDLE);
    CHECK_EQ_U(r->store.stats.sectors_written, 0);
    CHECK(image_untouched(r));
    rig_free(r);
}

TEST(more_data_than_the_command_wanted_is_dropped)
{
    struct rig *r = rig_new(64, false);
    uint8_t data[SECTOR], back[SECTOR];
    fill_sector(data, 0x5e);
    cmd28(r, 0x30, 30, 1);
    write_words(r, data, 256);
    for (int i = 0; i < 300; i++)
        outw(r, P_DATA, 0xdead);
    CHECK_EQ_U(inb(r, P_STATUS), ST_IDLE);
    CHECK(store_sector_is(r, 30, data));
    disk_store_read_sectors(&r->store, 31, 1, back);
    CHECK(sector_is_pattern(back, 31));
    CHECK_EQ_U(r->store.stats.sectors_written, 1);
    /* Reading on past a read's end gets zeros and changes nothing. */
    cmd28(r, 0x20, 30, 1);
    read_words(r, back, 256);
    for (int i = 0; i < 300; i++)
        CHECK_EQ_U(inw(r, P_DATA), 0);
    CHECK(memcmp(back, data, SECTOR) == 0);
    rig_free(r);
}

TEST(a_new_command_mid_transfer_ends_the_old_one)
{
    struct rig *r = rig_new(64, false);
    uint8_t buf[SECTOR], id[SECTOR], ref[SECTOR];
    ata_identify_data(&r->ch, ref);
    /* A read abandoned half-way for IDENTIFY. */
    cmd28(r, 0x20, 2, 4);
    read_words(r, buf, 100);
    outb(r, P_COMMAND, 0xec);
    CHECK_EQ_U(inb(r, P_STATUS), ST_DRQ);
    read_words(r, id, 256);
    CHECK(memcmp(id, ref, SECTOR) == 0);
    CHECK_EQ_U(inb(r, P_STATUS), ST_IDLE);
    /* A write abandoned half-way: nothing of it is stored. */
    cmd28(r, 0x30, 6, 2);
    fill_sector(buf, 0x66);
    write_words(r, buf, 200);
    cmd28(r, 0x20, 6, 1);
    CHECK_EQ_U(inb(r, P_STATUS), ST_DRQ);
    read_words(r, buf, 256);
    CHECK(sector_is_pattern(buf, 6));
    CHECK_EQ_U(r->store.stats.sectors_written, 0);
    /* A write abandoned after one whole sector keeps that sector. */
    cmd28(r, 0x30, 6, 2);
    fill_sector(buf, 0x67);
    write_words(r, buf, 256);
    write_words(r, buf, 10);
    outb(r, P_COMMAND, 0xe7);
    CHECK_EQ_U(inb(r, P_STATUS), ST_IDLE);
    CHECK(store_sector_is(r, 6, buf));
    disk_store_read_sectors(&r->store, 7, 1, buf);
    CHECK(sector_is_pattern(buf, 7));
    CHECK(image_untouched(r));
    rig_free(r);
}

TEST(rewriting_the_taskfile_mid_transfer_does_not_redirect_it)
{
    struct rig *r = rig_new(200, false);
    uint8_t buf[SECTOR];
    cmd28(r, 0x20, 5, 2);
    read_words(r, buf, 256);
    outb(r, P_LBA_LOW, 150);
    outb(r, P_COUNT, 50);
    outb(r, P_DEVICE, DEV_LBA);
    read_words(r, buf, 256);
    CHECK(sector_is_pattern(buf, 6));
    CHECK_EQ_U(inb(r, P_STATUS), ST_IDLE);
    rig_free(r);
}

TEST(srst_mid_write_drops_the_partial_block)
{
    struct rig *r = rig_new(64, false);
    uint8_t buf[SECTOR];
    fill_sector(buf, 0x44);
    cmd28(r, 0x30, 8, 1);
    write_words(r, buf, 255);
    outb(r, P_CONTROL, CTL_SRST);
    write_words(r, buf, 1);
    outb(r, P_CONTROL, 0);
    write_words(r, buf, 1);
    CHECK_EQ_U(inb(r, P_STATUS), ST_IDLE);
    CHECK_EQ_U(r->store.stats.sectors_written, 0);
    disk_store_read_sectors(&r->store, 8, 1, buf);
    CHECK(sector_is_pattern(buf, 8));
    rig_free(r);
}

/* A long deterministic random walk over the ports: the state must stay
 * consistent after every access (the same invariants as the fuzzer). */
static uint64_t rng_state;

static uint32_t rng_next(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

static bool state_consistent(const struct ata_channel *ch)
{
    bool transfer = ch->xfer != ATA_XFER_NONE;
    bool drq = ch->status & ATA_SR_DRQ;
    bool busy = ch->status & ATA_SR_BSY;
    bool line = ch->intrq_pending && !(ch->control & ATA_CTL_NIEN) &&
                !(ch->device & ATA_DEV_DEV);
    return drq == transfer && busy == !!(ch->control & ATA_CTL_SRST) &&
           (!busy || !transfer) && ch->buf_len <= sizeof(ch->buf) &&
           ch->buf_pos <= ch->buf_len && (!transfer || ch->buf_len > 0) &&
           ch->irq.level == line && ch->multiple <= ATA_MAX_MULTIPLE;
}

TEST(random_port_walk_keeps_the_state_consistent)
{
    struct rig *r = rig_new(40, false);
    static const uint16_t other_ports[] = { P_ERROR, P_COUNT, P_LBA_LOW, P_LBA_MID,
                                            P_LBA_HIGH, P_DEVICE, P_STATUS, P_CONTROL };
    static const uint8_t commands[] = { 0x20, 0x24, 0x29, 0x30, 0x34, 0x39, 0x90, 0x91,
                                        0xa1, 0xc4, 0xc5, 0xc6, 0xe7, 0xea, 0xec, 0xef };
    static const unsigned sizes[] = { 1, 2, 4 };
    rng_state = 0x243f6a8885a308d3ull;
    bool ok = true;
    for (int i = 0; i < 400000 && ok; i++) {
        /* Mostly data, so that transfers get somewhere; the taskfile
         * mostly small, so that commands mostly name sectors that exist. */
        uint16_t port = rng_next() % 32 ? P_DATA : other_ports[rng_next() % 8];
        unsigned size = sizes[rng_next() % 3];
        bool in = rng_next() & 1;
        uint32_t v = rng_next();
        if (!in) {
            switch (port) {
            case P_COMMAND:
                v = commands[v % sizeof(commands)];
                break;
            case P_CONTROL:
                v &= 0x86;                          /* HOB, SRST, nIEN */
                break;
            case P_DEVICE:
                v = rng_next() % 4 ? DEV_LBA : v;   /* the master, mostly */
                break;
            case P_COUNT:
            case P_LBA_LOW:
                v %= 48;
                break;
            case P_LBA_MID:
            case P_LBA_HIGH:
                v = rng_next() % 8 ? 0 : v;
                break;
            default:
                break;
            }
        }
        ok &= ata_port_access(&r->ch, port, size, in, &v) == 0;
        ok &= state_consistent(&r->ch);
    }
    CHECK(ok);
    CHECK(r->store.stats.sectors_read > 0);
    CHECK(r->store.stats.sectors_written > 0);
    CHECK(image_untouched(r));
    rig_free(r);
}

/* --------------------------------------------------------------- attach */

static struct vm *fake_vm(const char *name, unsigned index)
{
    static struct vm vm;
    memset(&vm, 0, sizeof(vm));
    vm.name = name;
    vm.index = index;
    nregistered = 0;
    return &vm;
}

TEST(attach_registers_the_ports_and_names_the_serial)
{
    struct rig *r = rig_new(64, false);
    struct vm *vm = fake_vm("alpha", 3);
    char err[128] = "";
    CHECK(ata_irq_line(vm) == NULL);
    CHECK_EQ_I(ata_attach(vm, &r->store, err, sizeof(err)), 0);
    CHECK_EQ_I(nregistered, 2);
    CHECK_EQ_U(registered[0].first, 0x1f0);
    CHECK_EQ_U(registered[0].last, 0x1f7);
    CHECK_EQ_U(registered[1].first, 0x3f6);
    CHECK_EQ_U(registered[1].last, 0x3f6);
    CHECK(registered[0].dev == &ata_channels[3]);
    struct irq_line *line = ata_irq_line(vm);
    CHECK(line == &ata_channels[3].irq);
    CHECK_EQ_U(line->irq, 14);

    /* Through the registered handler, as keel's port dispatch calls it. */
    uint32_t v = 0;
    CHECK_EQ_I(registered[1].fn(vm, registered[1].dev, 0x3f6, 1, true, &v), 0);
    CHECK_EQ_U(v, ST_IDLE);
    v = 0xec;
    registered[0].fn(vm, registered[0].dev, 0x1f7, 1, false, &v);
    CHECK(line->level);
    uint8_t id[SECTOR];
    for (unsigned i = 0; i < 256; i++) {
        registered[0].fn(vm, registered[0].dev, 0x1f0, 2, true, &v);
        id[2 * i] = (uint8_t)v;
        id[2 * i + 1] = (uint8_t)(v >> 8);
    }
    char serial[21];
    id_string(id, 10, 20, serial);
    CHECK_STR(serial, "keel-alpha          ");

    /* Written data survives a reboot's second attach (the store is kept). */
    uint8_t data[SECTOR];
    fill_sector(data, 0x71);
    struct ata_channel *ch = registered[0].dev;
    ata_port_access(ch, 0x1f2, 1, false, &(uint32_t){ 1 });
    ata_port_access(ch, 0x1f3, 1, false, &(uint32_t){ 9 });
    ata_port_access(ch, 0x1f4, 1, false, &(uint32_t){ 0 });
    ata_port_access(ch, 0x1f5, 1, false, &(uint32_t){ 0 });
    ata_port_access(ch, 0x1f6, 1, false, &(uint32_t){ 0xe0 });
    ata_port_access(ch, 0x1f7, 1, false, &(uint32_t){ 0x30 });
    for (unsigned i = 0; i < 256; i++) {
        uint32_t w = (uint32_t)(data[2 * i] | data[2 * i + 1] << 8);
        ata_port_access(ch, 0x1f0, 2, false, &w);
    }
    vm = fake_vm("alpha", 3);
    CHECK_EQ_I(ata_attach(vm, &r->store, err, sizeof(err)), 0);
    CHECK_EQ_U(ata_channels[3].status, ST_IDLE);
    CHECK(store_sector_is(r, 9, data));

    /* A VM without a name gets its index. */
    vm = fake_vm(NULL, 5);
    CHECK_EQ_I(ata_attach(vm, &r->store, err, sizeof(err)), 0);
    ata_identify_data(&ata_channels[5], id);
    id_string(id, 10, 20, serial);
    CHECK_STR(serial, "keel-vm5            ");
    rig_free(r);
}

TEST(attach_refusals_say_why)
{
    struct rig *r = rig_new(64, false);
    char err[128];
    struct vm *vm = fake_vm("b", VM_MAX_VMS);
    CHECK_EQ_I(ata_attach(vm, &r->store, err, sizeof(err)), -1);
    CHECK(strstr(err, "vm index 16") != NULL);
    CHECK_EQ_I(nregistered, 0);

    vm = fake_vm("b", 1);
    CHECK_EQ_I(ata_attach(vm, NULL, err, sizeof(err)), -1);
    CHECK_STR(err, "no disk for the ATA channel");

    vm = fake_vm("b", 1);
    vm->pio[vm->npio++] = (struct pio_range){ 0x3f0, 0x3f7, NULL, NULL, "floppy" };
    CHECK_EQ_I(ata_attach(vm, &r->store, err, sizeof(err)), -1);
    CHECK_STR(err, "ATA ports already claimed by floppy");
    CHECK_EQ_I(nregistered, 0);

    vm = fake_vm("b", 1);
    vm->npio = VM_MAX_PIO - 1;
    CHECK_EQ_I(ata_attach(vm, &r->store, err, sizeof(err)), -1);
    CHECK(strstr(err, "no room") != NULL);
    CHECK(ata_irq_line(fake_vm("b", 1)) == NULL);
    rig_free(r);
}
