/*
 * The primary ATA channel: a register-level model of one master ATA disk and
 * no device 1 (contract and choices in guest/dev/ata.h), then the glue that
 * attaches it to a VM.  Rules are cited by the part of ATA/ATAPI-6 (T13
 * 1410D) they come from: a register's, command's or protocol's description.
 */
#include "guest/dev/ata.h"

#include "guest/vm.h"
#include "lib/format.h"
#include "lib/string.h"

/* Command block register offsets from ATA_PRIMARY_CMD_BASE ("I/O register descriptions"). */
enum ata_reg {
    ATA_REG_DATA = 0,
    ATA_REG_ERROR_FEATURES = 1,
    ATA_REG_COUNT = 2,
    ATA_REG_LBA_LOW = 3,            /* sector number in CHS mode */
    ATA_REG_LBA_MID = 4,            /* cylinder low */
    ATA_REG_LBA_HIGH = 5,           /* cylinder high */
    ATA_REG_DEVICE = 6,
    ATA_REG_STATUS_COMMAND = 7,
};

/* Status register. */
#define ATA_SR_BSY  0x80
#define ATA_SR_DRDY 0x40
#define ATA_SR_DF   0x20
#define ATA_SR_DSC  0x10
#define ATA_SR_DRQ  0x08
#define ATA_SR_ERR  0x01

/* Error register. */
#define ATA_ER_IDNF 0x10
#define ATA_ER_ABRT 0x04

/* The diagnostic code device 0 posts in Error after a reset or EXECUTE
 * DEVICE DIAGNOSTIC when it passed and device 1 is absent (EXECUTE DEVICE DIAGNOSTIC,
 * diagnostic codes). */
#define ATA_DIAG_PASSED 0x01

/* Device register. */
#define ATA_DEV_LBA       0x40
#define ATA_DEV_DEV       0x10
#define ATA_DEV_HEAD_MASK 0x0f

/* Device Control register. */
#define ATA_CTL_HOB  0x80
#define ATA_CTL_SRST 0x04
#define ATA_CTL_NIEN 0x02

/* Command codes. */
enum ata_command {
    ATA_CMD_READ_SECTORS = 0x20,
    ATA_CMD_READ_SECTORS_EXT = 0x24,
    ATA_CMD_READ_MULTIPLE_EXT = 0x29,
    ATA_CMD_WRITE_SECTORS = 0x30,
    ATA_CMD_WRITE_SECTORS_EXT = 0x34,
    ATA_CMD_WRITE_MULTIPLE_EXT = 0x39,
    ATA_CMD_EXECUTE_DEVICE_DIAGNOSTIC = 0x90,
    ATA_CMD_INITIALIZE_DEVICE_PARAMETERS = 0x91,
    ATA_CMD_IDENTIFY_PACKET_DEVICE = 0xa1,
    ATA_CMD_READ_MULTIPLE = 0xc4,
    ATA_CMD_WRITE_MULTIPLE = 0xc5,
    ATA_CMD_SET_MULTIPLE_MODE = 0xc6,
    ATA_CMD_FLUSH_CACHE = 0xe7,
    ATA_CMD_FLUSH_CACHE_EXT = 0xea,
    ATA_CMD_IDENTIFY_DEVICE = 0xec,
    ATA_CMD_SET_FEATURES = 0xef,
};

/* SET FEATURES subcommands in the Features register. */
enum ata_feature {
    ATA_FEAT_ENABLE_WRITE_CACHE = 0x02,
    ATA_FEAT_SET_TRANSFER_MODE = 0x03,
    ATA_FEAT_DISABLE_READ_LOOK_AHEAD = 0x55,
    ATA_FEAT_DISABLE_REVERT_TO_DEFAULTS = 0x66,
    ATA_FEAT_DISABLE_WRITE_CACHE = 0x82,
    ATA_FEAT_ENABLE_READ_LOOK_AHEAD = 0xaa,
};

/* SET FEATURES 03h: the Sector Count register is a transfer type in bits
 * 7:3 and a mode in bits 2:0 (SET FEATURES, "Set transfer mode"). */
#define ATA_XFER_TYPE_SHIFT      3
#define ATA_XFER_MODE_MASK       0x07
#define ATA_XFER_TYPE_PIO_DEFAULT 0x00   /* mode 0: default; mode 1: IORDY off */
#define ATA_XFER_TYPE_PIO_FLOW   0x01   /* PIO flow control mode n */
#define ATA_MAX_PIO_MODE         4

/* Addressing limits: 28-bit commands reach at most 0x0FFFFFFF sectors
 * (words 60-61); CHS at most 16383 * 16 * 63 (the largest default
 * geometry IDENTIFY can report). */
#define ATA_LBA28_MAX_SECTORS    0x0fffffffu
#define ATA_LBA28_COUNT_ZERO     256u
#define ATA_LBA48_COUNT_ZERO     65536u
#define ATA_CHS_MAX_CYLINDERS    16383u
#define ATA_CHS_DEFAULT_HEADS    16u
#define ATA_CHS_DEFAULT_SPT      63u
#define ATA_CHS_MAX_CURRENT_CYLINDERS 65535u
#define ATA_CHS_MAX_SECTORS \
    (ATA_CHS_MAX_CYLINDERS * ATA_CHS_DEFAULT_HEADS * ATA_CHS_DEFAULT_SPT)

/* IDENTIFY DEVICE data: word numbers and bits. */
enum ata_identify_word {
    ID_GENERAL_CONFIG = 0,
    ID_DEFAULT_CYLINDERS = 1,
    ID_DEFAULT_HEADS = 3,
    ID_DEFAULT_SPT = 6,
    ID_SERIAL = 10,
    ID_FIRMWARE = 23,
    ID_MODEL = 27,
    ID_MAX_MULTIPLE = 47,
    ID_CAPABILITIES = 49,
    ID_CAPABILITIES_2 = 50,
    ID_PIO_TIMING = 51,
    ID_FIELD_VALID = 53,
    ID_CURRENT_CYLINDERS = 54,
    ID_CURRENT_HEADS = 55,
    ID_CURRENT_SPT = 56,
    ID_CURRENT_CAPACITY = 57,       /* two words */
    ID_MULTIPLE_SETTING = 59,
    ID_LBA28_CAPACITY = 60,         /* two words */
    ID_PIO_MODES = 64,
    ID_MIN_PIO_CYCLE = 67,
    ID_MIN_PIO_CYCLE_IORDY = 68,
    ID_MAJOR_VERSION = 80,
    ID_COMMAND_SET_1 = 82,
    ID_COMMAND_SET_2 = 83,
    ID_COMMAND_SET_EXT = 84,
    ID_ENABLED_1 = 85,
    ID_ENABLED_2 = 86,
    ID_ENABLED_EXT = 87,
    ID_LBA48_CAPACITY = 100,        /* four words */
    ID_INTEGRITY = 255,
    ID_WORDS = 256,
};

#define ID_CONFIG_FIXED           0x0040     /* word 0: ATA (bit 15 clear), not removable */
#define ID_MULTIPLE_MAX_TAG       0x8000     /* word 47 bits 15:8 are 80h */
#define ID_CAP_IORDY              0x0800     /* word 49 */
#define ID_CAP_IORDY_DISABLE      0x0400
#define ID_CAP_LBA                0x0200
#define ID_CAP2_MUST_BE_ONE       0x4000     /* word 50 */
#define ID_PIO_TIMING_MODE_2      0x0200     /* word 51 bits 15:8 (obsolete) */
#define ID_VALID_CURRENT_CHS      0x0001     /* word 53: words 54-58 */
#define ID_VALID_PIO_MODES        0x0002     /* word 53: words 64-70 */
#define ID_MULTIPLE_VALID         0x0100     /* word 59 */
#define ID_PIO_MODES_3_4          0x0003     /* word 64 */
#define ID_PIO4_CYCLE_NS          120
#define ID_MAJOR_ATA4_TO_ATA7     0x00f0     /* word 80: bit n = ATA/ATAPI-n */
#define ID_CS1_WRITE_CACHE        0x0020     /* words 82/85 */
#define ID_CS1_LOOK_AHEAD         0x0040
#define ID_CS2_MUST_BE_ONE        0x4000     /* word 83 (and 84, 87 bit 14) */
#define ID_CS2_FLUSH_CACHE_EXT    0x2000     /* words 83/86 */
#define ID_CS2_FLUSH_CACHE        0x1000
#define ID_CS2_LBA48              0x0400
#define ID_INTEGRITY_SIGNATURE    0xa5       /* word 255 bits 7:0 */

static size_t bounded_strlen(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

/* ------------------------------------------------------------------ state */

static bool device0_selected(const struct ata_channel *ch)
{
    return !(ch->device & ATA_DEV_DEV);
}

/* INTRQ is driven by the selected device while nIEN is clear, and is high
 * impedance otherwise (INTRQ signal description): a pending interrupt of
 * device 0 shows on the line only while device 0 is selected. */
static void update_intrq(struct ata_channel *ch)
{
    irq_line_set(&ch->irq, ch->intrq_pending && !(ch->control & ATA_CTL_NIEN) &&
                               device0_selected(ch));
}

static void raise_intrq(struct ata_channel *ch)
{
    ch->intrq_pending = true;
    update_intrq(ch);
}

static void clear_intrq(struct ata_channel *ch)
{
    ch->intrq_pending = false;
    update_intrq(ch);
}

static void end_transfer(struct ata_channel *ch)
{
    ch->xfer = ATA_XFER_NONE;
    ch->xfer_sectors_left = 0;
    ch->xfer_block = 0;
    ch->buf_pos = 0;
    ch->buf_len = 0;
}

/* A command without an error: optionally with its completion interrupt. */
static void complete_ok(struct ata_channel *ch, bool interrupt)
{
    end_transfer(ch);
    ch->status = ATA_SR_DRDY | ATA_SR_DSC;
    ch->error = 0;
    if (interrupt)
        raise_intrq(ch);
}

static void complete_error(struct ata_channel *ch, uint8_t status_extra, uint8_t error)
{
    end_transfer(ch);
    ch->status = ATA_SR_DRDY | ATA_SR_ERR | status_extra;
    ch->error = error;
    raise_intrq(ch);
}

static void abort_command(struct ata_channel *ch)
{
    complete_error(ch, 0, ATA_ER_ABRT);
}

/* The ATA device signature ("Signature and persistence"): what a reset or
 * EXECUTE DEVICE DIAGNOSTIC leaves in the command block. */
static void set_signature(struct ata_channel *ch)
{
    ch->count[0] = 1;
    ch->lba_low[0] = 1;
    ch->lba_mid[0] = 0;
    ch->lba_high[0] = 0;
    ch->count[1] = ch->lba_low[1] = ch->lba_mid[1] = ch->lba_high[1] = 0;
    ch->device = 0;
}

/* The state after a reset or diagnostic: device 0 passed, device 1 absent. */
static void post_diagnostic_result(struct ata_channel *ch)
{
    end_transfer(ch);
    set_signature(ch);
    ch->status = ATA_SR_DRDY | ATA_SR_DSC;
    ch->error = ATA_DIAG_PASSED;
}

static struct ata_geometry geometry_for(uint64_t sectors, unsigned heads, unsigned spt)
{
    struct ata_geometry g = { 0, 0, 0, false };
    if (heads == 0 || spt == 0)
        return g;
    uint64_t reach = sectors < ATA_CHS_MAX_SECTORS ? sectors : ATA_CHS_MAX_SECTORS;
    uint64_t cylinders = reach / (heads * spt);
    /* A disk smaller than one cylinder still gets one; the range check
     * against the disk's size keeps CHS accesses inside it. */
    if (cylinders == 0)
        cylinders = 1;
    if (cylinders > ATA_CHS_MAX_CURRENT_CYLINDERS)
        cylinders = ATA_CHS_MAX_CURRENT_CYLINDERS;
    g.cylinders = (uint16_t)cylinders;
    g.heads = (uint16_t)heads;
    g.sectors_per_track = (uint16_t)spt;
    g.valid = true;
    return g;
}

static struct ata_geometry default_geometry(const struct ata_channel *ch)
{
    /* At most ATA_CHS_MAX_SECTORS are reached, so at most 16383 cylinders. */
    return geometry_for(disk_store_sectors(ch->store), ATA_CHS_DEFAULT_HEADS,
                        ATA_CHS_DEFAULT_SPT);
}

void ata_init(struct ata_channel *ch, struct disk_store *store, const char *serial)
{
    memset(ch, 0, sizeof(*ch));
    ch->store = store;
    irq_line_init(&ch->irq, ATA_PRIMARY_IRQ);
    size_t n = bounded_strlen(serial, ATA_SERIAL_LEN);
    memcpy(ch->serial, serial, n);
    ch->serial[n] = '\0';
    ch->multiple = ATA_MAX_MULTIPLE;
    ch->write_cache = true;
    ch->read_look_ahead = true;
    ch->geometry = default_geometry(ch);
    post_diagnostic_result(ch);
}

/* --------------------------------------------------------------- IDENTIFY */

/* ATA strings (IDENTIFY words 10-19, 23-26, 27-46) hold two characters per
 * word, the first in bits 15:8, padded with spaces. */
static void put_ata_string(uint16_t *words, const char *s, size_t chars)
{
    size_t len = bounded_strlen(s, chars);
    for (size_t i = 0; i < chars; i += 2) {
        uint8_t first = (uint8_t)(i < len ? s[i] : ' ');
        uint8_t second = (uint8_t)(i + 1 < len ? s[i + 1] : ' ');
        words[i / 2] = (uint16_t)(first << 8 | second);
    }
}

static void put_u32(uint16_t *words, uint32_t v)
{
    words[0] = (uint16_t)v;
    words[1] = (uint16_t)(v >> 16);
}

static void put_u64(uint16_t *words, uint64_t v)
{
    for (unsigned i = 0; i < 4; i++)
        words[i] = (uint16_t)(v >> (16 * i));
}

static uint32_t current_chs_capacity(const struct ata_geometry *g)
{
    return (uint32_t)g->cylinders * g->heads * g->sectors_per_track;
}

void ata_identify_data(const struct ata_channel *ch, uint8_t out[DISK_SECTOR_SIZE])
{
    uint16_t w[ID_WORDS];
    uint64_t sectors = disk_store_sectors(ch->store);
    struct ata_geometry def = default_geometry(ch);
    memset(w, 0, sizeof(w));

    w[ID_GENERAL_CONFIG] = ID_CONFIG_FIXED;
    w[ID_DEFAULT_CYLINDERS] = def.cylinders;
    w[ID_DEFAULT_HEADS] = def.heads;
    w[ID_DEFAULT_SPT] = def.sectors_per_track;
    put_ata_string(&w[ID_SERIAL], ch->serial, ATA_SERIAL_LEN);
    put_ata_string(&w[ID_FIRMWARE], ATA_FIRMWARE_REVISION, ATA_FIRMWARE_LEN);
    put_ata_string(&w[ID_MODEL], ATA_MODEL_NAME, ATA_MODEL_LEN);
    w[ID_MAX_MULTIPLE] = ID_MULTIPLE_MAX_TAG | ATA_MAX_MULTIPLE;
    w[ID_CAPABILITIES] = ID_CAP_IORDY | ID_CAP_IORDY_DISABLE | ID_CAP_LBA;
    w[ID_CAPABILITIES_2] = ID_CAP2_MUST_BE_ONE;
    w[ID_PIO_TIMING] = ID_PIO_TIMING_MODE_2;
    w[ID_FIELD_VALID] = ID_VALID_PIO_MODES;
    if (ch->geometry.valid) {
        w[ID_FIELD_VALID] |= ID_VALID_CURRENT_CHS;
        w[ID_CURRENT_CYLINDERS] = ch->geometry.cylinders;
        w[ID_CURRENT_HEADS] = ch->geometry.heads;
        w[ID_CURRENT_SPT] = ch->geometry.sectors_per_track;
        put_u32(&w[ID_CURRENT_CAPACITY], current_chs_capacity(&ch->geometry));
    }
    if (ch->multiple)
        w[ID_MULTIPLE_SETTING] = ID_MULTIPLE_VALID | ch->multiple;
    put_u32(&w[ID_LBA28_CAPACITY],
            (uint32_t)(sectors < ATA_LBA28_MAX_SECTORS ? sectors : ATA_LBA28_MAX_SECTORS));
    w[ID_PIO_MODES] = ID_PIO_MODES_3_4;
    w[ID_MIN_PIO_CYCLE] = ID_PIO4_CYCLE_NS;
    w[ID_MIN_PIO_CYCLE_IORDY] = ID_PIO4_CYCLE_NS;
    w[ID_MAJOR_VERSION] = ID_MAJOR_ATA4_TO_ATA7;
    w[ID_COMMAND_SET_1] = ID_CS1_WRITE_CACHE | ID_CS1_LOOK_AHEAD;
    w[ID_COMMAND_SET_2] =
        ID_CS2_MUST_BE_ONE | ID_CS2_FLUSH_CACHE_EXT | ID_CS2_FLUSH_CACHE | ID_CS2_LBA48;
    w[ID_COMMAND_SET_EXT] = ID_CS2_MUST_BE_ONE;
    w[ID_ENABLED_1] = (uint16_t)((ch->write_cache ? ID_CS1_WRITE_CACHE : 0) |
                                 (ch->read_look_ahead ? ID_CS1_LOOK_AHEAD : 0));
    w[ID_ENABLED_2] = ID_CS2_FLUSH_CACHE_EXT | ID_CS2_FLUSH_CACHE | ID_CS2_LBA48;
    w[ID_ENABLED_EXT] = ID_CS2_MUST_BE_ONE;
    put_u64(&w[ID_LBA48_CAPACITY], sectors);

    for (unsigned i = 0; i < ID_WORDS; i++) {
        out[2 * i] = (uint8_t)w[i];
        out[2 * i + 1] = (uint8_t)(w[i] >> 8);
    }
    /* Word 255: A5h, then the byte that makes all 512 bytes sum to 0 ("Integrity word"). */
    out[2 * ID_INTEGRITY] = ID_INTEGRITY_SIGNATURE;
    uint8_t sum = 0;
    for (unsigned i = 0; i < DISK_SECTOR_SIZE - 1; i++)
        sum = (uint8_t)(sum + out[i]);
    out[DISK_SECTOR_SIZE - 1] = (uint8_t)-sum;
}

/* ------------------------------------------------------------ data phases */

static uint32_t sectors_this_block(const struct ata_channel *ch)
{
    return ch->xfer_sectors_left < ch->xfer_block ? ch->xfer_sectors_left : ch->xfer_block;
}

/* PIO data-in protocol: each block is loaded, DRQ set and INTRQ raised. */
static void load_read_block(struct ata_channel *ch)
{
    uint32_t n = sectors_this_block(ch);
    if (disk_store_read_sectors(ch->store, ch->xfer_lba, n, ch->buf) < 0) {
        complete_error(ch, 0, ATA_ER_ABRT);
        return;
    }
    ch->buf_pos = 0;
    ch->buf_len = n * DISK_SECTOR_SIZE;
    ch->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
    raise_intrq(ch);
}

/* The host has read the whole block: the next one, or the end without a
 * further interrupt. */
static void read_block_done(struct ata_channel *ch)
{
    uint32_t n = ch->buf_len / DISK_SECTOR_SIZE;
    ch->xfer_sectors_left -= n;
    ch->xfer_lba += n;
    if (ch->xfer == ATA_XFER_IN_BUFFER || ch->xfer_sectors_left == 0)
        complete_ok(ch, false);
    else
        load_read_block(ch);
}

/* PIO data-out protocol: DRQ asks for the next block. */
static void expect_write_block(struct ata_channel *ch)
{
    ch->buf_pos = 0;
    ch->buf_len = sectors_this_block(ch) * DISK_SECTOR_SIZE;
    ch->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
}

/* The host has written a whole block: store it, then INTRQ with either DRQ
 * for the next block or the command's completion. */
static void write_block_done(struct ata_channel *ch)
{
    uint32_t n = ch->buf_len / DISK_SECTOR_SIZE;
    if (disk_store_write_sectors(ch->store, ch->xfer_lba, n, ch->buf) < 0) {
        /* Only a copy-on-write disk out of memory gets here: a device fault. */
        complete_error(ch, ATA_SR_DF, ATA_ER_ABRT);
        return;
    }
    ch->xfer_sectors_left -= n;
    ch->xfer_lba += n;
    if (ch->xfer_sectors_left == 0) {
        complete_ok(ch, true);
        return;
    }
    expect_write_block(ch);
    raise_intrq(ch);
}

static uint16_t read_data_word(struct ata_channel *ch)
{
    if ((ch->xfer != ATA_XFER_IN_DISK && ch->xfer != ATA_XFER_IN_BUFFER) ||
        !device0_selected(ch) || ch->buf_pos + 2 > ch->buf_len)
        return 0;
    uint16_t word = (uint16_t)(ch->buf[ch->buf_pos] | ch->buf[ch->buf_pos + 1] << 8);
    ch->buf_pos += 2;
    if (ch->buf_pos == ch->buf_len)
        read_block_done(ch);
    return word;
}

static void write_data_word(struct ata_channel *ch, uint16_t word)
{
    if (ch->xfer != ATA_XFER_OUT_DISK || !device0_selected(ch) || ch->buf_pos + 2 > ch->buf_len)
        return;
    ch->buf[ch->buf_pos] = (uint8_t)word;
    ch->buf[ch->buf_pos + 1] = (uint8_t)(word >> 8);
    ch->buf_pos += 2;
    if (ch->buf_pos == ch->buf_len)
        write_block_done(ch);
}

/* ------------------------------------------------------------- addressing */

struct ata_request {
    uint64_t lba;
    uint32_t count;
    uint64_t limit;             /* sectors this addressing mode can reach */
};

static uint64_t lba48_address(const struct ata_channel *ch)
{
    return (uint64_t)ch->lba_high[1] << 40 | (uint64_t)ch->lba_mid[1] << 32 |
           (uint64_t)ch->lba_low[1] << 24 | (uint64_t)ch->lba_high[0] << 16 |
           (uint64_t)ch->lba_mid[0] << 8 | ch->lba_low[0];
}

static uint32_t lba48_count(const struct ata_channel *ch)
{
    uint32_t count = (uint32_t)ch->count[1] << 8 | ch->count[0];
    return count ? count : ATA_LBA48_COUNT_ZERO;
}

static uint32_t lba28_count(const struct ata_channel *ch)
{
    return ch->count[0] ? ch->count[0] : ATA_LBA28_COUNT_ZERO;
}

/* CHS to LBA with the current geometry: (C * heads + H) * sectors per
 * track + S - 1, sectors counting from 1.  False when the address lies
 * outside the geometry. */
static bool chs_address(const struct ata_channel *ch, uint64_t *lba)
{
    const struct ata_geometry *g = &ch->geometry;
    unsigned sector = ch->lba_low[0];
    unsigned cylinder = (unsigned)ch->lba_high[0] << 8 | ch->lba_mid[0];
    unsigned head = ch->device & ATA_DEV_HEAD_MASK;
    if (!g->valid || sector == 0 || sector > g->sectors_per_track || head >= g->heads ||
        cylinder >= g->cylinders)
        return false;
    *lba = ((uint64_t)cylinder * g->heads + head) * g->sectors_per_track + (sector - 1);
    return true;
}

/* The sectors a read or write command names; false when it names an address
 * the addressing mode cannot reach. */
static bool decode_request(const struct ata_channel *ch, bool lba48, struct ata_request *req)
{
    uint64_t sectors = disk_store_sectors(ch->store);
    if (lba48) {
        req->lba = lba48_address(ch);
        req->count = lba48_count(ch);
        req->limit = sectors;
        return true;
    }
    req->count = lba28_count(ch);
    if (ch->device & ATA_DEV_LBA) {
        req->lba = (uint64_t)(ch->device & ATA_DEV_HEAD_MASK) << 24 |
                   (uint64_t)ch->lba_high[0] << 16 | (uint64_t)ch->lba_mid[0] << 8 |
                   ch->lba_low[0];
        req->limit = sectors < ATA_LBA28_MAX_SECTORS ? sectors : ATA_LBA28_MAX_SECTORS;
        return true;
    }
    uint64_t chs_limit = current_chs_capacity(&ch->geometry);
    req->limit = sectors < chs_limit ? sectors : chs_limit;
    return chs_address(ch, &req->lba);
}

/* READ/WRITE SECTORS and MULTIPLE, 28- or 48-bit: an address outside the
 * disk is IDNF (READ SECTORS, error outputs), checked for the whole range before any data moves. */
static void start_disk_transfer(struct ata_channel *ch, bool write, bool lba48, uint32_t block)
{
    struct ata_request req;
    if (!decode_request(ch, lba48, &req) || req.lba > req.limit ||
        req.count > req.limit - req.lba) {
        complete_error(ch, 0, ATA_ER_IDNF);
        return;
    }
    ch->xfer = write ? ATA_XFER_OUT_DISK : ATA_XFER_IN_DISK;
    ch->xfer_lba = req.lba;
    ch->xfer_sectors_left = req.count;
    ch->xfer_block = block;
    if (write)
        expect_write_block(ch);
    else
        load_read_block(ch);
}

static void start_multiple_transfer(struct ata_channel *ch, bool write, bool lba48)
{
    /* Multiple mode disabled: command aborted (READ MULTIPLE). */
    if (ch->multiple == 0) {
        abort_command(ch);
        return;
    }
    start_disk_transfer(ch, write, lba48, ch->multiple);
}

/* --------------------------------------------------------------- commands */

static void identify_device(struct ata_channel *ch)
{
    ata_identify_data(ch, ch->buf);
    ch->xfer = ATA_XFER_IN_BUFFER;
    ch->xfer_sectors_left = 1;
    ch->xfer_block = 1;
    ch->buf_pos = 0;
    ch->buf_len = DISK_SECTOR_SIZE;
    ch->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
    raise_intrq(ch);
}

/* Block sizes are powers of two up to word 47's maximum; 0 turns multiple
 * mode off (SET MULTIPLE MODE). */
static void set_multiple_mode(struct ata_channel *ch)
{
    uint8_t n = ch->count[0];
    if (n > ATA_MAX_MULTIPLE || (n & (n - 1)) != 0) {
        abort_command(ch);
        return;
    }
    ch->multiple = n;
    complete_ok(ch, true);
}

static bool transfer_mode_supported(uint8_t value)
{
    unsigned type = value >> ATA_XFER_TYPE_SHIFT, mode = value & ATA_XFER_MODE_MASK;
    if (type == ATA_XFER_TYPE_PIO_DEFAULT)
        return mode <= 1;
    if (type == ATA_XFER_TYPE_PIO_FLOW)
        return mode <= ATA_MAX_PIO_MODE;
    return false;               /* DMA modes: IDENTIFY offers none */
}

static void set_features(struct ata_channel *ch)
{
    switch (ch->features) {
    case ATA_FEAT_ENABLE_WRITE_CACHE:
        ch->write_cache = true;
        break;
    case ATA_FEAT_DISABLE_WRITE_CACHE:
        ch->write_cache = false;
        break;
    case ATA_FEAT_ENABLE_READ_LOOK_AHEAD:
        ch->read_look_ahead = true;
        break;
    case ATA_FEAT_DISABLE_READ_LOOK_AHEAD:
        ch->read_look_ahead = false;
        break;
    case ATA_FEAT_SET_TRANSFER_MODE:
        /* Timing means nothing to an emulated disk: any offered mode will do. */
        if (!transfer_mode_supported(ch->count[0])) {
            abort_command(ch);
            return;
        }
        break;
    case ATA_FEAT_DISABLE_REVERT_TO_DEFAULTS:
        break;                  /* settings already survive a software reset */
    default:
        abort_command(ch);
        return;
    }
    complete_ok(ch, true);
}

/* Sectors per track from Sector Count, heads from Device bits 3:0 plus one
 * (INITIALIZE DEVICE PARAMETERS).  A geometry of 0 sectors per track is kept as invalid: CHS
 * commands then fail with IDNF until a usable one is set. */
static void initialize_device_parameters(struct ata_channel *ch)
{
    ch->geometry = geometry_for(disk_store_sectors(ch->store),
                                (ch->device & ATA_DEV_HEAD_MASK) + 1u, ch->count[0]);
    complete_ok(ch, true);
}

static void execute_device_diagnostic(struct ata_channel *ch)
{
    post_diagnostic_result(ch);
    raise_intrq(ch);
}

static void execute_command(struct ata_channel *ch, uint8_t command)
{
    /* While SRST is held the device is busy and takes no command. */
    if (ch->status & ATA_SR_BSY)
        return;
    /* Every device runs EXECUTE DEVICE DIAGNOSTIC whatever DEV says;
     * any other command for the absent device 1 goes unanswered. */
    if (command != ATA_CMD_EXECUTE_DEVICE_DIAGNOSTIC && !device0_selected(ch))
        return;
    /* Writing the Command register negates INTRQ (INTRQ signal); a transfer still
     * under way is abandoned for the new command. */
    clear_intrq(ch);
    end_transfer(ch);
    ch->error = 0;

    switch (command) {
    case ATA_CMD_IDENTIFY_DEVICE:
        identify_device(ch);
        break;
    case ATA_CMD_READ_SECTORS:
        start_disk_transfer(ch, false, false, 1);
        break;
    case ATA_CMD_READ_SECTORS_EXT:
        start_disk_transfer(ch, false, true, 1);
        break;
    case ATA_CMD_WRITE_SECTORS:
        start_disk_transfer(ch, true, false, 1);
        break;
    case ATA_CMD_WRITE_SECTORS_EXT:
        start_disk_transfer(ch, true, true, 1);
        break;
    case ATA_CMD_READ_MULTIPLE:
        start_multiple_transfer(ch, false, false);
        break;
    case ATA_CMD_READ_MULTIPLE_EXT:
        start_multiple_transfer(ch, false, true);
        break;
    case ATA_CMD_WRITE_MULTIPLE:
        start_multiple_transfer(ch, true, false);
        break;
    case ATA_CMD_WRITE_MULTIPLE_EXT:
        start_multiple_transfer(ch, true, true);
        break;
    case ATA_CMD_SET_MULTIPLE_MODE:
        set_multiple_mode(ch);
        break;
    case ATA_CMD_FLUSH_CACHE:
    case ATA_CMD_FLUSH_CACHE_EXT:
        disk_store_flush(ch->store);
        complete_ok(ch, true);
        break;
    case ATA_CMD_SET_FEATURES:
        set_features(ch);
        break;
    case ATA_CMD_EXECUTE_DEVICE_DIAGNOSTIC:
        execute_device_diagnostic(ch);
        break;
    case ATA_CMD_INITIALIZE_DEVICE_PARAMETERS:
        initialize_device_parameters(ch);
        break;
    case ATA_CMD_IDENTIFY_PACKET_DEVICE:    /* not a packet device */
    default:
        abort_command(ch);
        break;
    }
}

/* -------------------------------------------------------------- registers */

/* Device Control: SRST set makes the device busy; SRST cleared ends
 * the software reset ("Software reset protocol") with the signature and no interrupt. */
static void write_device_control(struct ata_channel *ch, uint8_t value)
{
    bool was_reset = ch->control & ATA_CTL_SRST, is_reset = value & ATA_CTL_SRST;
    ch->control = value;
    if (!was_reset && is_reset) {
        end_transfer(ch);
        ch->status = ATA_SR_BSY;
        ch->intrq_pending = false;
    } else if (was_reset && !is_reset) {
        post_diagnostic_result(ch);
    }
    update_intrq(ch);
}

/* Status, Alternate Status: device 0's, or 00h for the absent device 1. */
static uint8_t visible_status(const struct ata_channel *ch)
{
    return device0_selected(ch) ? ch->status : 0;
}

static uint8_t read_register(struct ata_channel *ch, enum ata_reg reg)
{
    unsigned previous = (ch->control & ATA_CTL_HOB) ? 1 : 0;
    /* While BSY is set every command block register reads as Status (Status register, BSY). */
    if ((ch->status & ATA_SR_BSY) && reg != ATA_REG_STATUS_COMMAND)
        return visible_status(ch);
    switch (reg) {
    case ATA_REG_ERROR_FEATURES:
        return device0_selected(ch) ? ch->error : 0;
    case ATA_REG_COUNT:
        return ch->count[previous];
    case ATA_REG_LBA_LOW:
        return ch->lba_low[previous];
    case ATA_REG_LBA_MID:
        return ch->lba_mid[previous];
    case ATA_REG_LBA_HIGH:
        return ch->lba_high[previous];
    case ATA_REG_DEVICE:
        return ch->device;
    case ATA_REG_STATUS_COMMAND:
        /* Reading Status acknowledges device 0's interrupt (Status register). */
        if (!device0_selected(ch))
            return 0;
        clear_intrq(ch);
        return ch->status;
    case ATA_REG_DATA:
    default:
        return 0xff;            /* 8-bit data access: see read_port_byte() */
    }
}

static void push_register(uint8_t fifo[2], uint8_t value)
{
    fifo[1] = fifo[0];
    fifo[0] = value;
}

static void write_register(struct ata_channel *ch, enum ata_reg reg, uint8_t value)
{
    /* A write to any command block register clears HOB (Device Control register). */
    ch->control &= (uint8_t)~ATA_CTL_HOB;
    switch (reg) {
    case ATA_REG_ERROR_FEATURES:
        ch->features = value;
        break;
    case ATA_REG_COUNT:
        push_register(ch->count, value);
        break;
    case ATA_REG_LBA_LOW:
        push_register(ch->lba_low, value);
        break;
    case ATA_REG_LBA_MID:
        push_register(ch->lba_mid, value);
        break;
    case ATA_REG_LBA_HIGH:
        push_register(ch->lba_high, value);
        break;
    case ATA_REG_DEVICE:
        ch->device = value;
        update_intrq(ch);
        break;
    case ATA_REG_STATUS_COMMAND:
        execute_command(ch, value);
        break;
    case ATA_REG_DATA:
    default:
        break;
    }
}

/* ------------------------------------------------------------------ ports */

static bool in_command_block(uint32_t port)
{
    return port >= ATA_PRIMARY_CMD_BASE && port <= ATA_PRIMARY_CMD_LAST;
}

/* One byte lane of an access.  An 8-bit access to the data register moves
 * no data: it reads FFh and is dropped on write. */
static uint8_t read_port_byte(struct ata_channel *ch, uint32_t port)
{
    if (port == ATA_PRIMARY_CTRL)
        return visible_status(ch);             /* Alternate Status: no acknowledge */
    if (in_command_block(port) && port != ATA_PRIMARY_CMD_BASE + ATA_REG_DATA)
        return read_register(ch, (enum ata_reg)(port - ATA_PRIMARY_CMD_BASE));
    return 0xff;
}

static void write_port_byte(struct ata_channel *ch, uint32_t port, uint8_t value)
{
    if (port == ATA_PRIMARY_CTRL)
        write_device_control(ch, value);
    else if (in_command_block(port) && port != ATA_PRIMARY_CMD_BASE + ATA_REG_DATA)
        write_register(ch, (enum ata_reg)(port - ATA_PRIMARY_CMD_BASE), value);
}

int ata_port_access(struct ata_channel *ch, uint16_t port, unsigned size, bool in,
                    uint32_t *value)
{
    if ((size != 1 && size != 2 && size != 4) ||
        (!in_command_block(port) && port != ATA_PRIMARY_CTRL))
        return -1;

    /* The 16-bit data register: a 32-bit access is two word transfers. */
    if (port == ATA_PRIMARY_CMD_BASE + ATA_REG_DATA && size >= 2) {
        uint32_t v = 0;
        for (unsigned i = 0; i < size / 2; i++) {
            if (in)
                v |= (uint32_t)read_data_word(ch) << (16 * i);
            else
                write_data_word(ch, (uint16_t)(*value >> (16 * i)));
        }
        if (in)
            *value = v;
        return 0;
    }

    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        if (in)
            v |= (uint32_t)read_port_byte(ch, port + i) << (8 * i);
        else
            write_port_byte(ch, port + i, (uint8_t)(*value >> (8 * i)));
    }
    if (in)
        *value = v;
    return 0;
}

/* ----------------------------------------------------------------- attach */

static struct ata_channel ata_channels[VM_MAX_VMS];
static bool ata_attached[VM_MAX_VMS];

static int ata_pio(struct vm *vm, void *dev, uint16_t port, unsigned size, bool in,
                   uint32_t *value)
{
    (void)vm;
    return ata_port_access(dev, port, size, in, value);
}

static const struct pio_range *claimed_port(const struct vm *vm, uint16_t first, uint16_t last)
{
    for (size_t i = 0; i < vm->npio; i++)
        if (first <= vm->pio[i].last && vm->pio[i].first <= last)
            return &vm->pio[i];
    return NULL;
}

int ata_attach(struct vm *vm, struct disk_store *store, char *err, size_t errlen)
{
    const struct pio_range *taken;
    if (vm->index >= VM_MAX_VMS) {
        ksnprintf(err, errlen, "vm index %u is beyond the %d VMs keel runs", vm->index,
                  VM_MAX_VMS);
        return -1;
    }
    if (!store || disk_store_sectors(store) == 0) {
        ksnprintf(err, errlen, "no disk for the ATA channel");
        return -1;
    }
    if (vm->npio + 2 > VM_MAX_PIO) {
        ksnprintf(err, errlen, "no room for the ATA ports: %d port devices at most",
                  VM_MAX_PIO);
        return -1;
    }
    if ((taken = claimed_port(vm, ATA_PRIMARY_CMD_BASE, ATA_PRIMARY_CMD_LAST)) ||
        (taken = claimed_port(vm, ATA_PRIMARY_CTRL, ATA_PRIMARY_CTRL))) {
        ksnprintf(err, errlen, "ATA ports already claimed by %s", taken->name);
        return -1;
    }

    char serial[ATA_SERIAL_LEN + 1];
    if (vm->name)
        ksnprintf(serial, sizeof(serial), "keel-%s", vm->name);
    else
        ksnprintf(serial, sizeof(serial), "keel-vm%u", vm->index);
    struct ata_channel *ch = &ata_channels[vm->index];
    ata_init(ch, store, serial);
    vm_register_pio(vm, ATA_PRIMARY_CMD_BASE, ATA_PRIMARY_CMD_LAST, ata_pio, ch, "ata");
    vm_register_pio(vm, ATA_PRIMARY_CTRL, ATA_PRIMARY_CTRL, ata_pio, ch, "ata-ctrl");
    ata_attached[vm->index] = true;
    return 0;
}

struct irq_line *ata_irq_line(struct vm *vm)
{
    if (vm->index >= VM_MAX_VMS || !ata_attached[vm->index])
        return NULL;
    return &ata_channels[vm->index].irq;
}
