/*
 * ata_bench: sequential PIO throughput of the primary channel's disk, one
 * machine-readable line per way of moving data:
 *
 *   BENCH ata_read_insw bytes=1048576 commands=8 ticks=T ticks_per_kib=K \
 *         io_exits=E exits_per_sector=X.YY            (one line in the output)
 *
 * Each run moves 1 MiB from LBA 0 in commands of 256 sectors (a 28-bit
 * Sector Count of 0), one REP INSW/OUTSW or REP INSL/OUTSL per DRQ block:
 * per sector for READ/WRITE SECTORS, per multiple-mode block (IDENTIFY
 * word 47's maximum) for READ/WRITE MULTIPLE.  ticks are RDTSC ticks
 * around the commands (under Bochs the TSC counts instructions: path
 * lengths, not time).  Under keel, io_exits is the difference of keel's
 * count of I/O-instruction exits (hypercall 2, reason 30) across the run,
 * which includes the status polls; bare it prints "na".  Every write fills
 * the disk with sector patterns under a new seed and the read after it
 * checks them: a PASS line says the megabyte arrived intact.
 *
 * Command line: none needed (sectors=N is accepted and ignored).
 * Expected under keel and bare: pass.
 */
#include <stdbool.h>
#include <stdint.h>

#include "lib/ata.h"
#include "lib/guest.h"
#include "lib/keel.h"
#include "lib/report.h"
#include "lib/runner.h"
#include "lib/sector_pattern.h"
#include "lib/x86.h"

#define BENCH_BYTES (1u << 20)
#define BENCH_SECTORS (BENCH_BYTES / SECTOR_SIZE)
#define BENCH_KIB_SHIFT 10              /* BENCH_BYTES / 1024 = 2^10 KiB */
#define SECTORS_PER_COMMAND ATA_LBA28_MAX_COUNT
#define BENCH_LBA 0u
_Static_assert(BENCH_BYTES >> BENCH_KIB_SHIFT == 1024u, "ticks per KiB is a shift");
_Static_assert(BENCH_SECTORS % SECTORS_PER_COMMAND == 0, "whole commands");

static uint8_t data[BENCH_BYTES] __attribute__((aligned(4)));

struct bench {
    const char *name;
    bool write;
    uint8_t command;
    bool multiple;
    enum ata_pio_width width;
};

/* Each read follows the write whose data it checks. */
static const struct bench benches[] = {
    { "ata_write_outsw", true, ATA_CMD_WRITE_SECTORS, false, ATA_PIO_16 },
    { "ata_read_insw", false, ATA_CMD_READ_SECTORS, false, ATA_PIO_16 },
    { "ata_write_outsl", true, ATA_CMD_WRITE_SECTORS, false, ATA_PIO_32 },
    { "ata_read_insl", false, ATA_CMD_READ_SECTORS, false, ATA_PIO_32 },
    { "ata_write_multiple_outsw", true, ATA_CMD_WRITE_MULTIPLE, true, ATA_PIO_16 },
    { "ata_read_multiple_insw", false, ATA_CMD_READ_MULTIPLE, true, ATA_PIO_16 },
    { "ata_read_multiple_insl", false, ATA_CMD_READ_MULTIPLE, true, ATA_PIO_32 },
};

static uint32_t multiple_block;
static uint32_t seed;

static uint32_t io_exits(void)
{
    return is_keel() ? keel_exit_count(EXIT_REASON_IO_INSTRUCTION) : 0;
}

/* Moves the megabyte with 'b'; false (after saying why) when a command
 * did not end cleanly. */
static bool run_commands(const struct bench *b)
{
    uint32_t block = b->multiple ? multiple_block : 1;
    for (uint32_t done = 0; done < BENCH_SECTORS; done += SECTORS_PER_COMMAND) {
        struct ata_taskfile tf = {
            .command = b->command, .count = (uint16_t)SECTORS_PER_COMMAND,
            .lba = BENCH_LBA + done,
        };
        uint8_t *p = data + done * SECTOR_SIZE;
        struct ata_outcome o;
        bool ok = b->write ? ata_pio_out(&tf, p, SECTORS_PER_COMMAND, block, b->width, &o)
                           : ata_pio_in(&tf, p, SECTORS_PER_COMMAND, block, b->width, &o);
        if (!ok) {
            printf("ata_bench: %s: command at LBA %u: status 0x%02x error 0x%02x, %u sectors%s\n",
                   b->name, BENCH_LBA + done, o.status, o.error, o.sectors,
                   o.timeout ? ", BSY never cleared" : "");
            return false;
        }
    }
    return true;
}

static void print_bench_line(const struct bench *b, uint64_t ticks, uint32_t exits)
{
    printf("BENCH %s bytes=%u commands=%u ticks=%llu ticks_per_kib=%llu", b->name, BENCH_BYTES,
           BENCH_SECTORS / SECTORS_PER_COMMAND, (unsigned long long)ticks,
           (unsigned long long)(ticks >> BENCH_KIB_SHIFT));
    if (!is_keel()) {
        printf(" io_exits=na exits_per_sector=na\n");
        return;
    }
    uint32_t hundredths = (exits * 100u + BENCH_SECTORS / 2) / BENCH_SECTORS;
    printf(" io_exits=%u exits_per_sector=%u.%02u\n", exits, hundredths / 100,
           hundredths % 100);
}

static bool run_bench(const struct bench *b)
{
    if (b->write) {
        seed = (uint32_t)rdtsc() | 1u;
        sector_pattern_fill(data, BENCH_LBA, BENCH_SECTORS, seed);
    } else {
        for (uint32_t i = 0; i < BENCH_BYTES; i++)
            data[i] = 0xCC;
    }
    uint32_t exits_before = io_exits();
    uint64_t start = rdtsc();
    bool ok = run_commands(b);
    uint64_t ticks = rdtsc() - start;
    uint32_t exits = io_exits() - exits_before;
    if (!ok)
        return false;
    print_bench_line(b, ticks, exits);
    if (b->write)
        return true;
    char name[48];
    snprintf(name, sizeof(name), "ata_bench: %s", b->name);
    return sector_pattern_check(name, data, BENCH_LBA, BENCH_SECTORS, seed);
}

static bool set_up_disk(void)
{
    uint16_t id[ATA_ID_WORDS];
    struct ata_outcome o;
    ata_select(0);
    uint8_t status = inb(ATA_STATUS);
    if (status == ATA_STATUS_ABSENT_BUS || status == 0) {
        printf("ata_bench: no device 0 (Status 0x%02x)\n", status);
        return false;
    }
    if (!ata_soft_reset(ATA_CONTROL_NIEN) || !ata_identify(ATA_CMD_IDENTIFY_DEVICE, 0, id, &o)) {
        printf("ata_bench: reset or IDENTIFY DEVICE failed (status 0x%02x)\n", o.status);
        return false;
    }
    uint32_t sectors = ata_id_lba28_sectors(id);
    multiple_block = id[ATA_ID_MAX_MULTIPLE] & 0xFFu;
    printf("ata_bench: %u sectors (LBA28), multiple block %u, %s\n", sectors, multiple_block,
           is_keel() ? "under keel" : "bare");
    if (sectors < BENCH_LBA + BENCH_SECTORS) {
        printf("ata_bench: the disk needs %u sectors\n", BENCH_LBA + BENCH_SECTORS);
        return false;
    }
    if (!multiple_block)
        return true;
    struct ata_taskfile tf = { .command = ATA_CMD_SET_MULTIPLE_MODE,
                               .count = (uint16_t)multiple_block };
    ata_non_data(&tf, &o);
    if (!ata_outcome_clean(&o)) {
        printf("ata_bench: SET MULTIPLE MODE %u failed\n", multiple_block);
        multiple_block = 0;
    }
    return true;
}

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    if (!report(set_up_disk(), "ata_bench: a disk of at least 1 MiB on the primary channel"))
        return;
    for (size_t i = 0; i < ARRAY_SIZE(benches); i++) {
        const struct bench *b = &benches[i];
        if (b->multiple && !multiple_block) {
            report_skip("ata_bench: %s (no READ/WRITE MULTIPLE)", b->name);
            continue;
        }
        report(run_bench(b), b->write ? "ata_bench: %s wrote 1 MiB"
                                      : "ata_bench: %s read 1 MiB back intact", b->name);
    }
}
