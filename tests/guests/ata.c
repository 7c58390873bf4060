/*
 * ata: the disk on the primary ATA channel (device 0, ports 0x1F0-0x1F7
 * and 0x3F6), driven by polled PIO the way ATA/ATAPI-6 describes it.
 *
 *   - Finding it: Status after selecting device 0 is neither 0xFF (nothing
 *     drives the bus) nor 0x00 (no device); the task-file registers hold
 *     what was written; a software reset (SRST in Device Control) ends
 *     with the ATA signature and diagnostic code 01h, as does EXECUTE
 *     DEVICE DIAGNOSTIC.
 *   - IDENTIFY DEVICE: an ATA device with a model string, LBA (word 49),
 *     48-bit addressing (word 83), capacity in words 60-61 and 100-103
 *     equal to the image size given as sectors=N, and the word 255
 *     checksum.  IDENTIFY PACKET DEVICE is aborted.
 *   - Data: every written sector carries its LBA and a per-boot seed
 *     (lib/sector_pattern.h).  WRITE SECTORS at LBA 0, 8 sectors, a sector
 *     count of 0 (256 sectors) and the top of the LBA28 range; REP OUTSL
 *     and REP INSL of whole sectors; WRITE/READ SECTORS EXT at small LBAs,
 *     with a 16-bit count, and beyond LBA 2^28 when the image reaches it;
 *     SET MULTIPLE MODE, READ/WRITE MULTIPLE and READ MULTIPLE EXT; each
 *     region read back by other commands too, and the sector after each
 *     write checked unchanged.  The 48-bit registers' HOB read-back.
 *   - Errors: reads and writes past the end, and addresses only the Device
 *     register's bits 27:24 or the HOB bytes put out of range, end with
 *     ERR; keel reports IDNF for them (ATA-6 lets a device say ABRT
 *     instead, which QEMU does).
 *   - keel only, where QEMU 7.2 differs: IDNF (above), IDENTIFY word 59
 *     following SET MULTIPLE MODE (QEMU answers IDENTIFY from a copy made
 *     the first time), word 255's signature (optional in ATA-6; QEMU has
 *     none, keel does).
 *   - FLUSH CACHE (EXT); device 1, absent: Status reads 00h, commands to it
 *     are ignored, its registers read as device 0's; nIEN keeps IRQ 14
 *     quiet and clearing it lets the device raise IRQ 14 (seen in the
 *     8259's IRR, never delivered: EFLAGS.IF stays clear).
 *
 * Command line:
 *   sectors=N     the disk image's size in sectors (the capacity checks
 *                 SKIP without it)
 *   reboot-test   after the checks, write a marker sector and reset the
 *                 machine through port 0xCF9; the next boot finds the
 *                 marker, checks that the first boot's sectors are all still
 *                 there, clears the marker and ends.  Under keel the VM
 *                 needs onreset=restart; bare QEMU must run without
 *                 -no-reboot.
 *   only=TEXT     the usual filter (the finding and IDENTIFY steps always
 *                 run: everything needs them)
 *
 * Expected under keel: pass.  Bare (QEMU 7.2, small image): pass with
 * SKIPs for the keel-only checks and for the LBAs the image cannot reach.
 */
#include <stdbool.h>
#include <stdint.h>

#include "lib/ata.h"
#include "lib/cmdline.h"
#include "lib/guest.h"
#include "lib/keel.h"
#include "lib/pic.h"
#include "lib/report.h"
#include "lib/runner.h"
#include "lib/sector_pattern.h"
#include "lib/serial.h"
#include "lib/string.h"
#include "lib/x86.h"

/* The smallest image the region plan below fits in: 1 MiB. */
#define MIN_CAPACITY 2048u

/* Reset Control Register of PC chipsets (Intel ICH/PIIX data sheets):
 * RST_CPU going from 0 to 1 resets, SYS_RST makes it a hard reset. */
#define RESET_CONTROL_PORT    0xCF9
#define RESET_CONTROL_SYS_RST 0x02u
#define RESET_CONTROL_RST_CPU 0x04u
#define RESET_WAIT_LOOPS      50000000u

#define POISON 0xCC     /* fills read buffers, so a read that moved nothing shows */

/* ---- the regions the data checks write --------------------------------------- */

enum region_id {
    REGION_LBA0,
    REGION_EIGHT,
    REGION_INSL,
    REGION_EXT_SMALL,
    REGION_MULTIPLE,
    REGION_COUNT0,
    REGION_EXT_COUNT,
    REGION_TOP28,
    REGION_BEYOND28,
    REGION_TOP48,
    NR_REGIONS,
};

struct region {
    const char *what;
    uint64_t lba;
    uint32_t sectors;
    bool planned;               /* the image is large enough for it */
};

/* LBA 1 is the reboot marker; no region covers it. */
#define MARKER_LBA 1u

static struct region regions[NR_REGIONS] = {
    [REGION_LBA0] = { "1 sector at LBA 0", 0, 1, true },
    [REGION_EIGHT] = { "8 sectors at LBA 8", 8, 8, true },
    [REGION_INSL] = { "2 sectors at LBA 24", 24, 2, true },
    [REGION_EXT_SMALL] = { "4 sectors at LBA 40", 40, 4, true },
    [REGION_MULTIPLE] = { "20 sectors at LBA 64", 64, 20, true },
    [REGION_COUNT0] = { "256 sectors at LBA 256", 256, ATA_LBA28_MAX_COUNT, true },
    [REGION_EXT_COUNT] = { "258 sectors at LBA 768", 768, 258, true },
    [REGION_TOP28] = { "2 sectors at the top of the LBA28 range", 0, 2, true },
    [REGION_BEYOND28] = { "2 sectors at LBA 2^28", ATA_LBA28_LIMIT, 2, false },
    [REGION_TOP48] = { "2 sectors at the end of the disk (past LBA 2^28)", 0, 2, false },
};

#define BUFFER_SECTORS 258u
static uint8_t buffer[BUFFER_SECTORS * SECTOR_SIZE] __attribute__((aligned(4)));
static uint8_t neighbour_before[SECTOR_SIZE] __attribute__((aligned(4)));
static uint8_t neighbour_after[SECTOR_SIZE] __attribute__((aligned(4)));

/* ---- what the guest learned -------------------------------------------------- */

static uint16_t identify_data[ATA_ID_WORDS];
static uint64_t capacity;           /* sectors the device reports */
static uint32_t multiple_block;     /* block size set with SET MULTIPLE MODE, 0 = none */
static uint32_t seed;               /* this boot's pattern seed */
static uint32_t verified_regions;   /* bit per region written and read back this boot */

static bool region_verified(enum region_id r)
{
    return verified_regions & (1u << r);
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

static void plan_regions(void)
{
    uint64_t lba28_end = capacity < ATA_LBA28_LIMIT ? capacity : ATA_LBA28_LIMIT - 1;
    regions[REGION_TOP28].lba = lba28_end - regions[REGION_TOP28].sectors;
    /* Past 2^28 the image needs room for both regions there. */
    if (capacity >= ATA_LBA28_LIMIT + 4) {
        regions[REGION_BEYOND28].planned = true;
        regions[REGION_TOP48].lba = capacity - regions[REGION_TOP48].sectors;
        regions[REGION_TOP48].planned = true;
    }
}

/* ---- transfers --------------------------------------------------------------- */

/* A way to move sectors: command, addressing, DRQ block size, width. */
struct method {
    const char *name;
    uint8_t command;
    bool ext;
    bool multiple;
    enum ata_pio_width width;
};

static const struct method read_sectors = {
    "READ SECTORS", ATA_CMD_READ_SECTORS, false, false, ATA_PIO_16 };
static const struct method read_sectors_insl = {
    "READ SECTORS (REP INSL)", ATA_CMD_READ_SECTORS, false, false, ATA_PIO_32 };
static const struct method read_sectors_ext = {
    "READ SECTORS EXT", ATA_CMD_READ_SECTORS_EXT, true, false, ATA_PIO_16 };
static const struct method read_multiple = {
    "READ MULTIPLE", ATA_CMD_READ_MULTIPLE, false, true, ATA_PIO_16 };
static const struct method read_multiple_ext = {
    "READ MULTIPLE EXT", ATA_CMD_READ_MULTIPLE_EXT, true, true, ATA_PIO_16 };
static const struct method write_sectors = {
    "WRITE SECTORS", ATA_CMD_WRITE_SECTORS, false, false, ATA_PIO_16 };
static const struct method write_sectors_outsl = {
    "WRITE SECTORS (REP OUTSL)", ATA_CMD_WRITE_SECTORS, false, false, ATA_PIO_32 };
static const struct method write_sectors_ext = {
    "WRITE SECTORS EXT", ATA_CMD_WRITE_SECTORS_EXT, true, false, ATA_PIO_16 };
static const struct method write_multiple = {
    "WRITE MULTIPLE", ATA_CMD_WRITE_MULTIPLE, false, true, ATA_PIO_16 };

static const char *plural(uint32_t n)
{
    return n == 1 ? "" : "s";
}

/* How a command ended: "ata: WHAT: status 0x51 (DRDY DSC ERR) error 0x04". */
static void print_command_outcome(const char *what, const struct ata_outcome *o)
{
    char names[48];
    printf("ata: %s: status 0x%02x (%s) error 0x%02x, %u sector%s moved%s\n", what, o->status,
           ata_status_string(o->status, names, sizeof(names)), o->error, o->sectors,
           plural(o->sectors), o->timeout ? ", BSY never cleared" : "");
}

static void print_outcome(const char *what, uint64_t lba, uint32_t sectors,
                          const struct ata_outcome *o)
{
    char command[80];
    snprintf(command, sizeof(command), "%s of %u sector%s at LBA %llu", what, sectors,
             plural(sectors), (unsigned long long)lba);
    print_command_outcome(command, o);
}

static void set_multiple_mode(uint32_t block, struct ata_outcome *o)
{
    struct ata_taskfile tf = { .command = ATA_CMD_SET_MULTIPLE_MODE, .count = (uint16_t)block };
    ata_non_data(&tf, o);
}

/* After a command that left the device busy or wanting data, a software
 * reset is the only way back (ATA-6 "Software reset protocol"); it may
 * also forget the multiple mode, so that is set again. */
static void recover(const struct ata_outcome *o)
{
    if (!o->timeout && !(o->status & (ATA_STATUS_BSY | ATA_STATUS_DRQ)))
        return;
    struct ata_outcome again;
    printf("ata: resetting the device (SRST) to recover\n");
    ata_soft_reset(ATA_CONTROL_NIEN);
    if (multiple_block)
        set_multiple_mode(multiple_block, &again);
}

static bool transfer(const struct method *m, bool write, uint64_t lba, uint32_t sectors,
                     void *buf, struct ata_outcome *o)
{
    struct ata_taskfile tf = {
        .command = m->command, .count = (uint16_t)sectors, .lba = lba, .ext = m->ext,
    };
    uint32_t block = m->multiple ? multiple_block : 1;
    bool ok = write ? ata_pio_out(&tf, buf, sectors, block, m->width, o)
                    : ata_pio_in(&tf, buf, sectors, block, m->width, o);
    if (!ok) {
        print_outcome(m->name, lba, sectors, o);
        recover(o);
    }
    return ok;
}

/* Reads one sector with whichever command can address it. */
static bool read_one_sector(uint64_t lba, void *buf)
{
    struct ata_outcome o;
    memset(buf, POISON, SECTOR_SIZE);
    return transfer(lba < ATA_LBA28_LIMIT ? &read_sectors : &read_sectors_ext, false, lba, 1,
                    buf, &o);
}

static bool read_region(const struct method *m, const struct region *g, uint32_t with_seed)
{
    struct ata_outcome o;
    memset(buffer, POISON, g->sectors * SECTOR_SIZE);
    if (!transfer(m, false, g->lba, g->sectors, buffer, &o))
        return false;
    char name[48];
    snprintf(name, sizeof(name), "ata: %s", m->name);
    return sector_pattern_check(name, buffer, g->lba, g->sectors, with_seed);
}

/* Writes region 'r' with 'w', reads it back with 'rd', and checks that the
 * sector after it (when the disk has one) did not change. */
static bool write_then_read(enum region_id r, const struct method *w, const struct method *rd)
{
    const struct region *g = &regions[r];
    struct ata_outcome o;
    uint64_t next = g->lba + g->sectors;
    bool has_next = next < capacity;
    if (has_next && !read_one_sector(next, neighbour_before))
        return false;
    sector_pattern_fill(buffer, g->lba, g->sectors, seed);
    if (!transfer(w, true, g->lba, g->sectors, buffer, &o))
        return false;
    bool ok = read_region(rd, g, seed);
    if (has_next) {
        if (!read_one_sector(next, neighbour_after)) {
            ok = false;
        } else if (memcmp(neighbour_before, neighbour_after, SECTOR_SIZE)) {
            printf("ata: %s changed LBA %llu, the sector after the %u written\n", w->name,
                   (unsigned long long)next, g->sectors);
            ok = false;
        }
    }
    if (ok)
        verified_regions |= 1u << r;
    return ok;
}

/* ---- finding the device ------------------------------------------------------ */

struct signature {
    uint8_t error, count, lba_low, lba_mid, lba_high, device;
};

static void read_signature(struct signature *s)
{
    s->error = inb(ATA_ERROR);
    s->count = inb(ATA_SECTOR_COUNT);
    s->lba_low = inb(ATA_LBA_LOW);
    s->lba_mid = inb(ATA_LBA_MID);
    s->lba_high = inb(ATA_LBA_HIGH);
    s->device = inb(ATA_DEVICE);
}

/* The ATA device signature (ATA-6 "Signature and persistence"): Sector
 * Count 01h, LBA Low 01h, LBA Mid 00h, LBA High 00h (a PACKET device has
 * 14h/EBh there), device 0 selected; Error holds the diagnostic code.
 * Only DEV is checked in the Device register: devices differ in what they
 * leave in its other bits. */
static bool is_device0_ata_signature(const struct signature *s, const char *after)
{
    printf("ata: after %s: error 0x%02x count 0x%02x LBA 0x%02x/0x%02x/0x%02x device 0x%02x\n",
           after, s->error, s->count, s->lba_low, s->lba_mid, s->lba_high, s->device);
    return s->error == ATA_DIAGNOSTIC_DEVICE0_PASSED && s->count == 1 && s->lba_low == 1 &&
           s->lba_mid == 0 && s->lba_high == 0 && !(s->device & ATA_DEVICE_DEV);
}

static bool device0_answers(void)
{
    ata_select(0);
    uint8_t status = inb(ATA_STATUS);
    char names[48];
    printf("ata: Status after selecting device 0: 0x%02x (%s)\n", status,
           ata_status_string(status, names, sizeof(names)));
    return status != ATA_STATUS_ABSENT_BUS && status != 0;
}

static bool taskfile_holds_values(void)
{
    /* The probe Linux's libata makes before it trusts a port: alternate
     * patterns in Sector Count and LBA Low, the last pair must read back. */
    ata_select(0);
    outb(0x55, ATA_SECTOR_COUNT);
    outb(0xAA, ATA_LBA_LOW);
    outb(0xAA, ATA_SECTOR_COUNT);
    outb(0x55, ATA_LBA_LOW);
    outb(0x55, ATA_SECTOR_COUNT);
    outb(0xAA, ATA_LBA_LOW);
    outb(0x3C, ATA_LBA_MID);
    outb(0xC3, ATA_LBA_HIGH);
    uint8_t count = inb(ATA_SECTOR_COUNT), low = inb(ATA_LBA_LOW);
    uint8_t mid = inb(ATA_LBA_MID), high = inb(ATA_LBA_HIGH);
    printf("ata: task file read back 0x%02x 0x%02x 0x%02x 0x%02x\n", count, low, mid, high);
    return count == 0x55 && low == 0xAA && mid == 0x3C && high == 0xC3;
}

static bool soft_reset_completes(void)
{
    bool ok = ata_soft_reset(ATA_CONTROL_NIEN);
    uint8_t status = ata_alt_status();
    printf("ata: Status after SRST: 0x%02x\n", status);
    return ok && (status & ATA_STATUS_DRDY) &&
           !(status & (ATA_STATUS_BSY | ATA_STATUS_DRQ | ATA_STATUS_ERR | ATA_STATUS_DF));
}

static bool reset_signature(void)
{
    struct signature s;
    read_signature(&s);
    return is_device0_ata_signature(&s, "SRST");
}

static bool identify(void)
{
    struct ata_outcome o;
    memset(identify_data, 0, sizeof(identify_data));
    if (!ata_identify(ATA_CMD_IDENTIFY_DEVICE, 0, identify_data, &o)) {
        print_command_outcome("IDENTIFY DEVICE", &o);
        return false;
    }
    return true;
}

static bool has_lba48(void)
{
    uint16_t w = identify_data[ATA_ID_COMMAND_SET_2];
    return (w & ATA_ID_CMD2_VALID_MASK) == ATA_ID_CMD2_VALID && (w & ATA_ID_CMD2_LBA48);
}

static void print_identity(void)
{
    char model[2 * ATA_ID_MODEL_WORDS + 1], serial[2 * ATA_ID_SERIAL_WORDS + 1];
    char firmware[2 * ATA_ID_FIRMWARE_WORDS + 1];
    ata_id_string(identify_data, ATA_ID_MODEL, ATA_ID_MODEL_WORDS, model);
    ata_id_string(identify_data, ATA_ID_SERIAL, ATA_ID_SERIAL_WORDS, serial);
    ata_id_string(identify_data, ATA_ID_FIRMWARE, ATA_ID_FIRMWARE_WORDS, firmware);
    printf("ata: model \"%s\" serial \"%s\" firmware \"%s\"; %llu sectors (LBA28 %u), "
           "LBA48 %s, multiple up to %u\n", model, serial, firmware,
           (unsigned long long)capacity, ata_id_lba28_sectors(identify_data),
           has_lba48() ? "yes" : "no", identify_data[ATA_ID_MAX_MULTIPLE] & 0xFFu);
}

/* ---- checks: device and IDENTIFY --------------------------------------------- */

static enum check_result execute_device_diagnostic(const char **why)
{
    (void)why;
    struct ata_taskfile tf = { .command = ATA_CMD_EXECUTE_DEVICE_DIAGNOSTIC };
    struct ata_outcome o;
    struct signature s;
    ata_issue(&tf);
    uint8_t status;
    bool done = ata_wait_not_busy(&status);
    read_signature(&s);
    ata_finish(&o);
    /* Error holds the diagnostic code, so ERR is not looked at (the
     * command "shall not report an error"). */
    return check_result_of(done && !(status & ATA_STATUS_DRQ) &&
                           is_device0_ata_signature(&s, "EXECUTE DEVICE DIAGNOSTIC"));
}

static bool printable_ascii(const char *s)
{
    for (; *s; s++) {
        if (*s < 0x20 || *s > 0x7E)
            return false;
    }
    return true;
}

static enum check_result identify_ata_with_model(const char **why)
{
    (void)why;
    char model[2 * ATA_ID_MODEL_WORDS + 1];
    ata_id_string(identify_data, ATA_ID_MODEL, ATA_ID_MODEL_WORDS, model);
    const char *p = model;
    while (*p == ' ')
        p++;
    return check_result_of(!(identify_data[ATA_ID_CONFIG] & ATA_ID_CONFIG_NOT_ATA) && *p &&
                           printable_ascii(model));
}

static enum check_result identify_lba_supported(const char **why)
{
    (void)why;
    return check_result_of(identify_data[ATA_ID_CAPABILITIES] & ATA_ID_CAPABILITIES_LBA);
}

static enum check_result identify_lba48_supported(const char **why)
{
    (void)why;
    uint16_t enabled = identify_data[ATA_ID_COMMAND_SET_ENABLED_2];
    printf("ata: words 83/86: 0x%04x 0x%04x\n", identify_data[ATA_ID_COMMAND_SET_2], enabled);
    return check_result_of(has_lba48() && (enabled & ATA_ID_CMD2_LBA48));
}

/* The sectors=N argument, or a SKIP. */
static bool image_sectors(uint64_t *sectors, const char **why)
{
    if (cmdline_decimal(guest_cmdline(), "sectors", sectors))
        return true;
    *why = "no sectors=N on the command line";
    return false;
}

static enum check_result identify_lba28_capacity(const char **why)
{
    uint64_t image;
    if (!image_sectors(&image, why))
        return CHECK_SKIPPED;
    /* Words 60-61 stop at 0x0FFFFFFF: LBA28 commands cannot go further. */
    uint64_t want = image < ATA_LBA28_LIMIT - 1 ? image : ATA_LBA28_LIMIT - 1;
    printf("ata: words 60-61: %u, image %llu sectors\n", ata_id_lba28_sectors(identify_data),
           (unsigned long long)image);
    return check_result_of(ata_id_lba28_sectors(identify_data) == want);
}

static enum check_result identify_lba48_capacity(const char **why)
{
    uint64_t image;
    if (!image_sectors(&image, why))
        return CHECK_SKIPPED;
    printf("ata: words 100-103: %llu\n",
           (unsigned long long)ata_id_lba48_sectors(identify_data));
    return check_result_of(ata_id_lba48_sectors(identify_data) == image);
}

static enum check_result identify_integrity_word(const char **why)
{
    printf("ata: word 255: 0x%04x\n", identify_data[ATA_ID_INTEGRITY]);
    if (!ata_id_has_integrity_signature(identify_data)) {
        /* The integrity word is optional in ATA-6; keel's disk has it. */
        if (!is_keel()) {
            *why = "no A5h signature in word 255, which ATA-6 makes optional";
            return CHECK_SKIPPED;
        }
        return CHECK_FAILED;
    }
    return check_result_of(ata_id_checksum_ok(identify_data));
}

static enum check_result identify_packet_device_aborted(const char **why)
{
    (void)why;
    uint16_t id[ATA_ID_WORDS];
    struct ata_outcome o;
    bool read = ata_identify(ATA_CMD_IDENTIFY_PACKET_DEVICE, 0, id, &o);
    print_command_outcome("IDENTIFY PACKET DEVICE", &o);
    recover(&o);
    return check_result_of(!read && ata_outcome_error(&o) && (o.error & ATA_ERROR_ABRT) &&
                           o.sectors == 0);
}

/* ---- checks: data ------------------------------------------------------------ */

static enum check_result lba0_one_sector(const char **why)
{
    (void)why;
    return check_result_of(write_then_read(REGION_LBA0, &write_sectors, &read_sectors));
}

static enum check_result eight_sectors(const char **why)
{
    (void)why;
    return check_result_of(write_then_read(REGION_EIGHT, &write_sectors, &read_sectors));
}

static enum check_result count_zero_is_256(const char **why)
{
    (void)why;
    return check_result_of(write_then_read(REGION_COUNT0, &write_sectors, &read_sectors));
}

static enum check_result top_of_lba28(const char **why)
{
    (void)why;
    printf("ata: top of the LBA28 range: LBA %llu\n",
           (unsigned long long)regions[REGION_TOP28].lba);
    return check_result_of(write_then_read(REGION_TOP28, &write_sectors, &read_sectors));
}

static enum check_result rep_outsl_insl(const char **why)
{
    (void)why;
    return check_result_of(write_then_read(REGION_INSL, &write_sectors_outsl,
                                           &read_sectors_insl));
}

static enum check_result ext_small_lba(const char **why)
{
    (void)why;
    return check_result_of(write_then_read(REGION_EXT_SMALL, &write_sectors_ext,
                                           &read_sectors_ext));
}

static enum check_result ext_sixteen_bit_count(const char **why)
{
    (void)why;
    /* 258 = 0x0102: a device that ignored the high-order count byte would
     * move 2 sectors and then stop asking. */
    return check_result_of(write_then_read(REGION_EXT_COUNT, &write_sectors_ext,
                                           &read_sectors_ext));
}

static enum check_result ext_region(enum region_id r, const char **why)
{
    if (!regions[r].planned) {
        *why = "the image does not reach LBA 2^28: that takes over 128 GiB";
        return CHECK_SKIPPED;
    }
    printf("ata: LBA %llu\n", (unsigned long long)regions[r].lba);
    return check_result_of(write_then_read(r, &write_sectors_ext, &read_sectors_ext));
}

static enum check_result ext_beyond_lba28(const char **why)
{
    return ext_region(REGION_BEYOND28, why);
}

static enum check_result ext_end_of_disk(const char **why)
{
    return ext_region(REGION_TOP48, why);
}

/* Reads region 'r', written earlier by another command, with 'm'. */
static enum check_result read_written_region(enum region_id r, const struct method *m,
                                             const char **why)
{
    if (!region_verified(r)) {
        *why = "its region was not written in this run";
        return CHECK_SKIPPED;
    }
    return check_result_of(read_region(m, &regions[r], seed));
}

static enum check_result ext_reads_lba28_writes(const char **why)
{
    return read_written_region(REGION_EIGHT, &read_sectors_ext, why);
}

static enum check_result lba28_reads_ext_writes(const char **why)
{
    return read_written_region(REGION_EXT_SMALL, &read_sectors, why);
}

static enum check_result insl_reads_outsw_writes(const char **why)
{
    return read_written_region(REGION_LBA0, &read_sectors_insl, why);
}

static enum check_result ext_reads_top_of_lba28(const char **why)
{
    return read_written_region(REGION_TOP28, &read_sectors_ext, why);
}

static enum check_result hob_reads_previous_bytes(const char **why)
{
    (void)why;
    static const uint8_t first[4] = { 0x12, 0x34, 0x56, 0x78 };
    static const uint8_t second[4] = { 0x9A, 0xBC, 0xDE, 0xF0 };
    static const uint16_t ports[4] = { ATA_SECTOR_COUNT, ATA_LBA_LOW, ATA_LBA_MID,
                                       ATA_LBA_HIGH };
    uint8_t current[4], previous[4];
    ata_select(0);
    for (int i = 0; i < 4; i++)
        outb(first[i], ports[i]);
    for (int i = 0; i < 4; i++)
        outb(second[i], ports[i]);
    for (int i = 0; i < 4; i++)
        current[i] = inb(ports[i]);
    ata_write_control(ATA_CONTROL_NIEN | ATA_CONTROL_HOB);
    for (int i = 0; i < 4; i++)
        previous[i] = inb(ports[i]);
    /* "A write to any Command Block register shall clear the HOB bit." */
    outb(0, ATA_FEATURES);
    uint8_t after_write = inb(ATA_LBA_LOW);
    ata_write_control(ATA_CONTROL_NIEN);
    printf("ata: HOB=0: %02x %02x %02x %02x, HOB=1: %02x %02x %02x %02x, after a register "
           "write: %02x\n", current[0], current[1], current[2], current[3], previous[0],
           previous[1], previous[2], previous[3], after_write);
    return check_result_of(!memcmp(current, second, 4) && !memcmp(previous, first, 4) &&
                           after_write == second[1]);
}

/* ---- checks: READ/WRITE MULTIPLE --------------------------------------------- */

static uint32_t max_multiple(void)
{
    return identify_data[ATA_ID_MAX_MULTIPLE] & 0xFFu;
}

static enum check_result multiple_supported(const char **why)
{
    if (!max_multiple()) {
        *why = "word 47 says READ/WRITE MULTIPLE are not supported";
        return CHECK_SKIPPED;
    }
    return CHECK_PASSED;
}

static enum check_result max_multiple_word(const char **why)
{
    uint16_t w = identify_data[ATA_ID_MAX_MULTIPLE];
    printf("ata: word 47: 0x%04x\n", w);
    if (multiple_supported(why) == CHECK_SKIPPED)
        return CHECK_SKIPPED;
    uint32_t n = max_multiple();
    return check_result_of((w & 0xFF00u) == ATA_ID_MAX_MULTIPLE_FIXED && !(n & (n - 1)));
}

static enum check_result set_multiple_too_big_aborted(const char **why)
{
    if (multiple_supported(why) == CHECK_SKIPPED)
        return CHECK_SKIPPED;
    if (max_multiple() >= 128) {
        *why = "word 47 allows every block size a Sector Count can name";
        return CHECK_SKIPPED;
    }
    struct ata_outcome o;
    set_multiple_mode(max_multiple() * 2, &o);
    print_command_outcome("SET MULTIPLE MODE, twice the maximum", &o);
    return check_result_of(ata_outcome_error(&o) && (o.error & ATA_ERROR_ABRT));
}

static bool multiple_mode_set(const char **why)
{
    if (multiple_block)
        return true;
    *why = "no multiple mode set";
    return false;
}

static enum check_result set_multiple_mode_takes(const char **why)
{
    if (multiple_supported(why) == CHECK_SKIPPED)
        return CHECK_SKIPPED;
    /* 8 sectors (or the maximum when smaller): 20-sector transfers then
     * end with a short block. */
    uint32_t block = min_u32(8, max_multiple());
    struct ata_outcome o;
    set_multiple_mode(block, &o);
    if (!ata_outcome_clean(&o)) {
        print_command_outcome("SET MULTIPLE MODE", &o);
        return CHECK_FAILED;
    }
    multiple_block = block;
    return CHECK_PASSED;
}

static enum check_result word59_shows_multiple(const char **why)
{
    if (!multiple_mode_set(why))
        return CHECK_SKIPPED;
    if (!identify())
        return CHECK_FAILED;
    uint16_t w = identify_data[ATA_ID_MULTIPLE_SETTING];
    printf("ata: block %u: word 59 0x%04x\n", multiple_block, w);
    return check_result_of((w & ATA_ID_MULTIPLE_SETTING_VALID) && (w & 0xFFu) == multiple_block);
}

static enum check_result write_read_multiple(const char **why)
{
    if (!multiple_mode_set(why))
        return CHECK_SKIPPED;
    return check_result_of(write_then_read(REGION_MULTIPLE, &write_multiple, &read_multiple));
}

static enum check_result read_multiple_of_sectors_writes(const char **why)
{
    if (!multiple_mode_set(why))
        return CHECK_SKIPPED;
    return read_written_region(REGION_COUNT0, &read_multiple, why);
}

static enum check_result read_multiple_ext_of_ext_writes(const char **why)
{
    if (!multiple_mode_set(why))
        return CHECK_SKIPPED;
    return read_written_region(REGION_EXT_COUNT, &read_multiple_ext, why);
}

/* ---- checks: errors ---------------------------------------------------------- */

/* A command at an LBA the disk does not have: it must end in error with
 * nothing transferred (a write may take its data first: ATA-6 lets the
 * device report the error at the end of the block). */
static bool out_of_range_fails(const struct method *m, bool write, uint64_t lba, uint8_t *error)
{
    struct ata_outcome o;
    memset(buffer, POISON, SECTOR_SIZE);
    struct ata_taskfile tf = { .command = m->command, .count = 1, .lba = lba, .ext = m->ext };
    if (write)
        ata_pio_out(&tf, buffer, 1, 1, m->width, &o);
    else
        ata_pio_in(&tf, buffer, 1, 1, m->width, &o);
    print_outcome(m->name, lba, 1, &o);
    recover(&o);
    *error = o.error;
    return ata_outcome_error(&o) && (o.error & (ATA_ERROR_IDNF | ATA_ERROR_ABRT)) &&
           (write || o.sectors == 0);
}

static const struct method *read_for(uint64_t lba)
{
    return lba < ATA_LBA28_LIMIT ? &read_sectors : &read_sectors_ext;
}

static const struct method *write_for(uint64_t lba)
{
    return lba < ATA_LBA28_LIMIT ? &write_sectors : &write_sectors_ext;
}

static enum check_result read_past_end(const char **why)
{
    (void)why;
    uint8_t error;
    return check_result_of(out_of_range_fails(read_for(capacity), false, capacity, &error));
}

static enum check_result write_past_end(const char **why)
{
    (void)why;
    uint8_t error;
    return check_result_of(out_of_range_fails(write_for(capacity), true, capacity, &error));
}

static enum check_result read_ext_past_end(const char **why)
{
    (void)why;
    uint8_t error;
    return check_result_of(out_of_range_fails(&read_sectors_ext, false, capacity, &error));
}

static enum check_result device_register_lba_bits(const char **why)
{
    /* LBA 0x1000007 differs from LBA 7 only in the Device register's bits
     * 27:24: a device that dropped them would read LBA 7. */
    const uint64_t lba = 0x1000007u;
    if (lba < capacity) {
        *why = "the image reaches LBA 0x1000007";
        return CHECK_SKIPPED;
    }
    uint8_t error;
    return check_result_of(out_of_range_fails(&read_sectors, false, lba, &error));
}

static enum check_result hob_lba_bits(const char **why)
{
    /* 2^40 + 7: only the high-order LBA High byte is nonzero. */
    const uint64_t lba = (1ull << 40) + 7;
    if (lba < capacity) {
        *why = "the image reaches LBA 2^40";
        return CHECK_SKIPPED;
    }
    uint8_t error;
    return check_result_of(out_of_range_fails(&read_sectors_ext, false, lba, &error));
}

static enum check_result past_end_reports_idnf(const char **why)
{
    (void)why;
    uint8_t read_error, write_error;
    bool failed = out_of_range_fails(read_for(capacity), false, capacity, &read_error) &&
                  out_of_range_fails(write_for(capacity), true, capacity, &write_error);
    return check_result_of(failed && (read_error & ATA_ERROR_IDNF) &&
                           (write_error & ATA_ERROR_IDNF));
}

/* ---- checks: cache, device 1, nIEN ------------------------------------------- */

static enum check_result flush_cache(const char **why)
{
    (void)why;
    struct ata_taskfile tf = { .command = ATA_CMD_FLUSH_CACHE };
    struct ata_outcome o;
    ata_non_data(&tf, &o);
    if (!ata_outcome_clean(&o))
        print_command_outcome("FLUSH CACHE", &o);
    return check_result_of((identify_data[ATA_ID_COMMAND_SET_2] & ATA_ID_CMD2_FLUSH_CACHE) &&
                           ata_outcome_clean(&o));
}

static enum check_result flush_cache_ext(const char **why)
{
    if (!(identify_data[ATA_ID_COMMAND_SET_2] & ATA_ID_CMD2_FLUSH_CACHE_EXT)) {
        *why = "word 83 bit 13 clear";
        return CHECK_SKIPPED;
    }
    struct ata_taskfile tf = { .command = ATA_CMD_FLUSH_CACHE_EXT, .ext = true };
    struct ata_outcome o;
    ata_non_data(&tf, &o);
    if (!ata_outcome_clean(&o))
        print_command_outcome("FLUSH CACHE EXT", &o);
    return check_result_of(ata_outcome_clean(&o));
}

/* With device 0 alone on the cable and device 1 selected, device 0
 * answers for the task file but Status and Alternate Status read 00h, and
 * it ignores every command but EXECUTE DEVICE DIAGNOSTIC (ATA-6, "device 0
 * only" configurations). */
static enum check_result device1_status_zero(const char **why)
{
    (void)why;
    ata_select(1);
    uint8_t status = inb(ATA_STATUS), alt = ata_alt_status();
    ata_select(0);
    printf("ata: device 1: Status 0x%02x, Alternate Status 0x%02x\n", status, alt);
    return check_result_of(status == 0 && alt == 0);
}

static enum check_result device1_command_ignored(const char **why)
{
    (void)why;
    ata_select(1);
    outb(ATA_CMD_IDENTIFY_DEVICE, ATA_COMMAND);
    ata_delay_ns(400);
    uint8_t status1 = ata_alt_status();
    ata_select(0);
    uint8_t status0 = inb(ATA_STATUS);
    printf("ata: IDENTIFY DEVICE to device 1: its Status 0x%02x, device 0's 0x%02x\n", status1,
           status0);
    /* A device 0 that took the command now offers data nobody will read. */
    struct ata_outcome stuck = { .status = status0 };
    recover(&stuck);
    return check_result_of(status1 == 0 && (status0 & ATA_STATUS_DRDY) &&
                           !(status0 & (ATA_STATUS_BSY | ATA_STATUS_DRQ | ATA_STATUS_ERR)));
}

static enum check_result device1_registers_are_device0s(const char **why)
{
    (void)why;
    ata_select(1);
    outb(0x5A, ATA_LBA_LOW);
    outb(0xA5, ATA_LBA_MID);
    uint8_t low1 = inb(ATA_LBA_LOW), mid1 = inb(ATA_LBA_MID);
    ata_select(0);
    uint8_t low0 = inb(ATA_LBA_LOW), mid0 = inb(ATA_LBA_MID);
    printf("ata: LBA Low/Mid with device 1 selected 0x%02x/0x%02x, device 0 0x%02x/0x%02x\n",
           low1, mid1, low0, mid0);
    return check_result_of(low1 == 0x5A && mid1 == 0xA5 && low0 == 0x5A && mid0 == 0xA5);
}

#define IRQ14_BIT (1u << ATA_PRIMARY_IRQ)

/* Leaves INTRQ low: nIEN set and any pending interrupt read away. */
static void quiet_intrq(void)
{
    ata_write_control(ATA_CONTROL_NIEN);
    (void)inb(ATA_STATUS);
}

static bool pic_or_skip(const char **why)
{
    if (pic_present())
        return true;
    *why = "no 8259 answers at 0x21/0xA1";
    return false;
}

static enum check_result nien_keeps_irq14_quiet(const char **why)
{
    if (!pic_or_skip(why))
        return CHECK_SKIPPED;
    quiet_intrq();
    pic_init_all_masked();
    struct ata_taskfile tf = { .command = ATA_CMD_FLUSH_CACHE };
    struct ata_outcome o;
    ata_non_data(&tf, &o);
    uint16_t irr = pic_read_irr();
    printf("ata: nIEN=1: IRR 0x%04x after FLUSH CACHE\n", irr);
    return check_result_of(ata_outcome_clean(&o) && !(irr & IRQ14_BIT));
}

static enum check_result nien_clear_raises_irq14(const char **why)
{
    if (!pic_or_skip(why))
        return CHECK_SKIPPED;
    quiet_intrq();
    pic_init_all_masked();
    ata_write_control(0);
    uint16_t irr_before = pic_read_irr();
    struct ata_taskfile tf = { .command = ATA_CMD_FLUSH_CACHE };
    struct ata_outcome o = { 0 };
    ata_issue(&tf);
    uint8_t status;
    bool done = ata_wait_not_busy(&status);
    uint16_t irr_done = pic_read_irr();     /* before Status is read */
    ata_finish(&o);
    quiet_intrq();
    pic_init_all_masked();
    printf("ata: nIEN=0: IRR 0x%04x before, 0x%04x after FLUSH CACHE\n", irr_before, irr_done);
    return check_result_of(done && ata_outcome_clean(&o) && !(irr_before & IRQ14_BIT) &&
                           (irr_done & IRQ14_BIT));
}

/* ---- the tables -------------------------------------------------------------- */

static const struct named_check identify_checks[] = {
    { "ata: EXECUTE DEVICE DIAGNOSTIC: code 01h and the ATA signature", NEEDS_NOTHING,
      execute_device_diagnostic },
    { "ata: IDENTIFY: an ATA device (word 0) with a printable, non-empty model", NEEDS_NOTHING,
      identify_ata_with_model },
    { "ata: IDENTIFY: LBA supported (word 49 bit 9)", NEEDS_NOTHING, identify_lba_supported },
    { "ata: IDENTIFY: 48-bit addressing supported and enabled (words 83/86 bit 10)",
      NEEDS_NOTHING, identify_lba48_supported },
    { "ata: IDENTIFY: words 60-61 = the image's sectors (at most 0x0FFFFFFF)", NEEDS_NOTHING,
      identify_lba28_capacity },
    { "ata: IDENTIFY: words 100-103 = the image's sectors", NEEDS_NOTHING,
      identify_lba48_capacity },
    { "ata: IDENTIFY: word 255 signature A5h and checksum", NEEDS_NOTHING,
      identify_integrity_word },
    { "ata: IDENTIFY: word 47 = 80xxh, a power-of-two READ/WRITE MULTIPLE block",
      NEEDS_NOTHING, max_multiple_word },
    { "ata: IDENTIFY PACKET DEVICE is aborted (ERR, ABRT, no data)", NEEDS_NOTHING,
      identify_packet_device_aborted },
};

static const struct named_check data_checks[] = {
    { "ata: WRITE SECTORS + READ SECTORS: 1 sector at LBA 0 (REP OUTSW/INSW)", NEEDS_NOTHING,
      lba0_one_sector },
    { "ata: WRITE SECTORS + READ SECTORS: 8 sectors in one command", NEEDS_NOTHING,
      eight_sectors },
    { "ata: WRITE SECTORS + READ SECTORS: sector count 0 moves 256 sectors", NEEDS_NOTHING,
      count_zero_is_256 },
    { "ata: WRITE SECTORS + READ SECTORS: the top of the LBA28 range", NEEDS_NOTHING,
      top_of_lba28 },
    { "ata: REP OUTSL + REP INSL of whole sectors", NEEDS_NOTHING, rep_outsl_insl },
    { "ata: REP INSL reads what REP OUTSW wrote (LBA 0)", NEEDS_NOTHING,
      insl_reads_outsw_writes },
    { "ata: WRITE SECTORS EXT + READ SECTORS EXT at a small LBA", NEEDS_NOTHING,
      ext_small_lba },
    { "ata: WRITE SECTORS EXT + READ SECTORS EXT with a 16-bit count (258)", NEEDS_NOTHING,
      ext_sixteen_bit_count },
    { "ata: READ SECTORS EXT reads what WRITE SECTORS wrote", NEEDS_NOTHING,
      ext_reads_lba28_writes },
    { "ata: READ SECTORS reads what WRITE SECTORS EXT wrote", NEEDS_NOTHING,
      lba28_reads_ext_writes },
    { "ata: READ SECTORS EXT reads the top of the LBA28 range", NEEDS_NOTHING,
      ext_reads_top_of_lba28 },
    { "ata: WRITE SECTORS EXT + READ SECTORS EXT at LBA 2^28", NEEDS_NOTHING,
      ext_beyond_lba28 },
    { "ata: WRITE SECTORS EXT + READ SECTORS EXT at the end of a disk past 2^28",
      NEEDS_NOTHING, ext_end_of_disk },
    { "ata: 48-bit registers: HOB=1 reads the first bytes written, a write clears HOB",
      NEEDS_NOTHING, hob_reads_previous_bytes },
    { "ata: SET MULTIPLE MODE above the word 47 maximum is aborted", NEEDS_NOTHING,
      set_multiple_too_big_aborted },
    { "ata: SET MULTIPLE MODE 8 completes", NEEDS_NOTHING, set_multiple_mode_takes },
    { "ata: IDENTIFY word 59 shows the multiple block size set", NEEDS_KEEL,
      word59_shows_multiple },
    { "ata: WRITE MULTIPLE + READ MULTIPLE: 20 sectors, the last block short", NEEDS_NOTHING,
      write_read_multiple },
    { "ata: READ MULTIPLE reads what WRITE SECTORS wrote (256 sectors)", NEEDS_NOTHING,
      read_multiple_of_sectors_writes },
    { "ata: READ MULTIPLE EXT reads what WRITE SECTORS EXT wrote (258 sectors)",
      NEEDS_NOTHING, read_multiple_ext_of_ext_writes },
};

static const struct named_check error_checks[] = {
    { "ata: READ SECTORS past the end of the disk ends in ERR, no data", NEEDS_NOTHING,
      read_past_end },
    { "ata: WRITE SECTORS past the end of the disk ends in ERR", NEEDS_NOTHING,
      write_past_end },
    { "ata: READ SECTORS EXT past the end of the disk ends in ERR, no data", NEEDS_NOTHING,
      read_ext_past_end },
    { "ata: READ SECTORS at LBA 0x1000007 (Device bits 27:24) ends in ERR", NEEDS_NOTHING,
      device_register_lba_bits },
    { "ata: READ SECTORS EXT at LBA 2^40+7 (HOB LBA High) ends in ERR", NEEDS_NOTHING,
      hob_lba_bits },
    { "ata: past the end, keel reports IDNF", NEEDS_KEEL, past_end_reports_idnf },
    { "ata: FLUSH CACHE (word 83 bit 12) completes", NEEDS_NOTHING, flush_cache },
    { "ata: FLUSH CACHE EXT completes", NEEDS_NOTHING, flush_cache_ext },
    { "ata: device 1 absent: Status and Alternate Status read 00h", NEEDS_NOTHING,
      device1_status_zero },
    { "ata: device 1 absent: a command written to it is ignored", NEEDS_NOTHING,
      device1_command_ignored },
    { "ata: device 1 absent: the task file reads as device 0's", NEEDS_NOTHING,
      device1_registers_are_device0s },
    { "ata: nIEN=1: no IRQ 14 request at the 8259", NEEDS_NOTHING, nien_keeps_irq14_quiet },
    { "ata: nIEN=0: the device raises IRQ 14 when a command completes", NEEDS_NOTHING,
      nien_clear_raises_irq14 },
};

/* ---- the reboot test --------------------------------------------------------- */

#define MARKER_MAGIC "keel ata reboot"

struct reboot_marker {
    char magic[16];
    uint64_t capacity;
    uint32_t seed;
    uint32_t regions;           /* bit per region boot 1 wrote and verified */
};

static bool read_marker(struct reboot_marker *m)
{
    if (!read_one_sector(MARKER_LBA, neighbour_before))
        return false;
    memcpy(m, neighbour_before, sizeof(*m));
    return !memcmp(m->magic, MARKER_MAGIC, sizeof(MARKER_MAGIC)) && m->capacity == capacity;
}

static bool write_marker_sector(const struct reboot_marker *m)
{
    struct ata_outcome o;
    memset(neighbour_before, 0, SECTOR_SIZE);
    if (m)
        memcpy(neighbour_before, m, sizeof(*m));
    return transfer(&write_sectors, true, MARKER_LBA, 1, neighbour_before, &o);
}

/* Boot 1's end: the marker, a cache flush, then a hard reset. */
static void reboot_after_first_boot(void)
{
    if (report_failures()) {
        printf("ata: reboot test: boot 1 failed, not rebooting\n");
        return;
    }
    struct reboot_marker m = { .capacity = capacity, .seed = seed,
                               .regions = verified_regions };
    memcpy(m.magic, MARKER_MAGIC, sizeof(MARKER_MAGIC));
    struct ata_taskfile flush = { .command = ATA_CMD_FLUSH_CACHE };
    struct ata_outcome o;
    bool written = write_marker_sector(&m);
    ata_non_data(&flush, &o);
    if (!report(written && ata_outcome_clean(&o), "ata: reboot test: marker written at LBA %u "
                "and flushed (seed 0x%08x, regions 0x%03x)", MARKER_LBA, seed, m.regions))
        return;
    printf("ata: reboot test: boot 1 done; resetting through port 0x%x\n", RESET_CONTROL_PORT);
    serial_drain();
    outb(RESET_CONTROL_SYS_RST, RESET_CONTROL_PORT);
    outb(RESET_CONTROL_SYS_RST | RESET_CONTROL_RST_CPU, RESET_CONTROL_PORT);
    for (volatile uint32_t i = 0; i < RESET_WAIT_LOOPS; i++)
        ;
    report(false, "ata: reboot test: the machine reset through port 0x%x", RESET_CONTROL_PORT);
}

/* READ SECTORS when one 28-bit command can reach the whole region. */
static const struct method *reader_for(const struct region *g)
{
    bool lba28 = g->sectors <= ATA_LBA28_MAX_COUNT && g->lba + g->sectors <= ATA_LBA28_LIMIT;
    return lba28 ? &read_sectors : &read_sectors_ext;
}

/* Boot 2: every region boot 1 verified still holds boot 1's pattern. */
static void check_after_reboot(const struct reboot_marker *m)
{
    report(m->seed != 0 && m->regions != 0, "ata: reboot test: boot 2 found boot 1's marker "
           "(seed 0x%08x, regions 0x%03x)", m->seed, m->regions);
    for (unsigned r = 0; r < NR_REGIONS; r++) {
        if (!(m->regions & (1u << r)))
            continue;
        const struct region *g = &regions[r];
        report(read_region(reader_for(g), g, m->seed),
               "ata: reboot test: boot 1's data is still in %s", g->what);
    }
    struct reboot_marker cleared;
    report(write_marker_sector(NULL) && !read_marker(&cleared),
           "ata: reboot test: marker cleared (the image can run the test again)");
}

/* ---- main -------------------------------------------------------------------- */

static void run_all_checks(void)
{
    run_checks(identify_checks, ARRAY_SIZE(identify_checks));
    run_checks(data_checks, ARRAY_SIZE(data_checks));
    run_checks(error_checks, ARRAY_SIZE(error_checks));
}

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    bool reboot_test = cmdline_has_word(guest_cmdline(), "reboot-test");
    seed = (uint32_t)rdtsc() | 1u;

    if (!report(device0_answers(), "ata: device 0 answers (Status neither FFh nor 00h)"))
        report_abort("ata: no disk on the primary channel");
    report(taskfile_holds_values(), "ata: the task-file registers hold what was written");
    if (!report(soft_reset_completes(), "ata: SRST: BSY clears, DRDY set"))
        report_abort("ata: the device did not come out of reset");
    report(reset_signature(), "ata: after SRST: ATA signature, diagnostic code 01h");
    if (!report(identify(), "ata: IDENTIFY DEVICE returns 256 words and ends cleanly"))
        report_abort("ata: no IDENTIFY data");

    capacity = has_lba48() ? ata_id_lba48_sectors(identify_data)
                           : ata_id_lba28_sectors(identify_data);
    print_identity();
    if (capacity < MIN_CAPACITY)
        report_abort("ata: %llu sectors is too small: these checks need %u",
                     (unsigned long long)capacity, MIN_CAPACITY);
    plan_regions();

    struct reboot_marker marker;
    if (reboot_test && read_marker(&marker)) {
        check_after_reboot(&marker);
        return;
    }
    printf("ata: seed 0x%08x%s\n", seed, reboot_test ? "; reboot test: boot 1" : "");
    run_all_checks();
    if (reboot_test)
        reboot_after_first_boot();
}
