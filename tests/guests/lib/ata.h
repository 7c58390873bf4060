/*
 * The ATA/IDE primary channel (legacy ports 0x1F0-0x1F7 and 0x3F6, IRQ 14)
 * for test guests: register and bit names as ATA/ATAPI-6 (T13/1410D) gives
 * them, and polled PIO helpers that follow its protocols (clause 9, "Protocol"):
 * the guests never take an interrupt, they poll Alternate Status.
 *
 * A command goes through struct ata_taskfile (what the host writes) and
 * ends in struct ata_outcome (what the device reported).  The helpers never
 * decide whether an outcome is right; tests do.
 */
#ifndef GUEST_LIB_ATA_H
#define GUEST_LIB_ATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/sector_pattern.h"

#define ATA_PRIMARY_IRQ 14

/* Command block registers (ATA-6 clause 7, "Register description"): reads
 * and writes reach different registers at 0x1F1 and 0x1F7. */
#define ATA_DATA          0x1F0
#define ATA_ERROR         0x1F1     /* read */
#define ATA_FEATURES      0x1F1     /* write */
#define ATA_SECTOR_COUNT  0x1F2
#define ATA_LBA_LOW       0x1F3
#define ATA_LBA_MID       0x1F4
#define ATA_LBA_HIGH      0x1F5
#define ATA_DEVICE        0x1F6
#define ATA_STATUS        0x1F7     /* read: also clears a pending interrupt */
#define ATA_COMMAND       0x1F7     /* write */
/* Control block registers. */
#define ATA_ALT_STATUS     0x3F6    /* read: Status without side effects */
#define ATA_DEVICE_CONTROL 0x3F6    /* write */

/* Status register.  Bit 4 is command dependent (DSC/SERV), bits 2:1
 * are obsolete. */
#define ATA_STATUS_ERR  0x01u
#define ATA_STATUS_IDX  0x02u       /* obsolete (index mark) */
#define ATA_STATUS_CORR 0x04u       /* obsolete (corrected data) */
#define ATA_STATUS_DRQ  0x08u
#define ATA_STATUS_DSC  0x10u       /* command dependent (seek complete, service) */
#define ATA_STATUS_DF   0x20u       /* device fault */
#define ATA_STATUS_DRDY 0x40u
#define ATA_STATUS_BSY  0x80u
#define ATA_STATUS_ABSENT_BUS 0xFFu /* nothing drives the bus */

/* Error register, as READ/WRITE commands use it.  After a reset or
 * EXECUTE DEVICE DIAGNOSTIC it holds a diagnostic code instead. */
#define ATA_ERROR_ABRT 0x04u        /* command aborted */
#define ATA_ERROR_IDNF 0x10u        /* address not found */
#define ATA_ERROR_UNC  0x40u        /* uncorrectable data */
#define ATA_DIAGNOSTIC_DEVICE0_PASSED 0x01u /* and device 1 passed or absent */

/* Device register.  Bits 7 and 5 are obsolete and written as ones,
 * as hosts always have. */
#define ATA_DEVICE_OBSOLETE 0xA0u
#define ATA_DEVICE_LBA      0x40u
#define ATA_DEVICE_DEV      0x10u   /* device 1 selected */
#define ATA_DEVICE_LBA_27_24 0x0Fu  /* LBA bits 27:24 for 28-bit commands */

/* Device Control register. */
#define ATA_CONTROL_NIEN 0x02u      /* INTRQ disabled */
#define ATA_CONTROL_SRST 0x04u      /* software reset */
#define ATA_CONTROL_HOB  0x80u      /* read the previous (high-order) bytes */

/* Command codes (ATA-6 clause 8, "Command descriptions"). */
#define ATA_CMD_READ_SECTORS              0x20u
#define ATA_CMD_READ_SECTORS_EXT          0x24u
#define ATA_CMD_READ_MULTIPLE_EXT         0x29u
#define ATA_CMD_WRITE_SECTORS             0x30u
#define ATA_CMD_WRITE_SECTORS_EXT         0x34u
#define ATA_CMD_WRITE_MULTIPLE_EXT        0x39u
#define ATA_CMD_EXECUTE_DEVICE_DIAGNOSTIC 0x90u
#define ATA_CMD_IDENTIFY_PACKET_DEVICE    0xA1u
#define ATA_CMD_READ_MULTIPLE             0xC4u
#define ATA_CMD_WRITE_MULTIPLE            0xC5u
#define ATA_CMD_SET_MULTIPLE_MODE         0xC6u
#define ATA_CMD_FLUSH_CACHE               0xE7u
#define ATA_CMD_FLUSH_CACHE_EXT           0xEAu
#define ATA_CMD_IDENTIFY_DEVICE           0xECu

/* Addressing limits: a 28-bit command reaches LBA 0x0FFFFFFF at most and
 * moves up to 256 sectors (count 0); a 48-bit one up to 65536 (count 0). */
#define ATA_LBA28_LIMIT      0x10000000ull  /* first LBA 28 bits cannot name */
#define ATA_LBA28_MAX_COUNT  256u
#define ATA_LBA48_LIMIT      (1ull << 48)
#define ATA_SECTOR_WORDS     (SECTOR_SIZE / 2u)

/* IDENTIFY DEVICE data words (ATA-6 "IDENTIFY DEVICE", its data table). */
#define ATA_ID_WORDS              256u
#define ATA_ID_CONFIG             0     /* bit 15 clear: an ATA device */
#define ATA_ID_SERIAL             10    /* 10 words of ASCII */
#define ATA_ID_SERIAL_WORDS       10
#define ATA_ID_FIRMWARE           23    /* 4 words */
#define ATA_ID_FIRMWARE_WORDS     4
#define ATA_ID_MODEL              27    /* 20 words */
#define ATA_ID_MODEL_WORDS        20
#define ATA_ID_MAX_MULTIPLE       47    /* bits 7:0: most sectors per DRQ block */
#define ATA_ID_CAPABILITIES       49
#define ATA_ID_MULTIPLE_SETTING   59    /* bit 8: bits 7:0 are the current block size */
#define ATA_ID_LBA28_SECTORS      60    /* words 60-61 */
#define ATA_ID_COMMAND_SET_2      83
#define ATA_ID_COMMAND_SET_ENABLED_2 86
#define ATA_ID_LBA48_SECTORS      100   /* words 100-103 */
#define ATA_ID_INTEGRITY          255

#define ATA_ID_CONFIG_NOT_ATA        0x8000u
#define ATA_ID_MAX_MULTIPLE_FIXED    0x8000u    /* bits 15:8 of word 47 are 80h */
#define ATA_ID_CAPABILITIES_LBA      0x0200u
#define ATA_ID_MULTIPLE_SETTING_VALID 0x0100u
#define ATA_ID_CMD2_LBA48            0x0400u
#define ATA_ID_CMD2_FLUSH_CACHE      0x1000u
#define ATA_ID_CMD2_FLUSH_CACHE_EXT  0x2000u
#define ATA_ID_CMD2_VALID_MASK       0xC000u    /* bits 15:14 = 01b: word is valid */
#define ATA_ID_CMD2_VALID            0x4000u
#define ATA_ID_INTEGRITY_SIGNATURE   0xA5u      /* bits 7:0; checksum in 15:8 */

/* What the host writes for one command.  28-bit commands use count bits
 * 7:0 and LBA bits 27:0 (bits 27:24 go into the Device register); 48-bit
 * ones ('ext') write the high-order bytes first (ATA-6 "48-bit Address
 * feature set"). */
struct ata_taskfile {
    uint8_t command;
    uint8_t features;
    uint16_t count;
    uint64_t lba;
    unsigned device;        /* 0 or 1 */
    bool ext;
};

/* What the device reported. */
struct ata_outcome {
    uint8_t status;         /* Status register at the end */
    uint8_t error;          /* Error register, read when status has ERR */
    uint32_t sectors;       /* sectors moved through the Data register */
    bool timeout;           /* BSY never cleared within the poll budget */
};

/* How the Data register is read or written: REP INSW/OUTSW of 16-bit
 * words, or REP INSL/OUTSL of 32-bit dwords (a PC host adapter splits each
 * into two 16-bit device transfers). */
enum ata_pio_width {
    ATA_PIO_16,
    ATA_PIO_32,
};

static inline uint8_t ata_alt_status(void)
{
    uint8_t v;
    __asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"((uint16_t)ATA_ALT_STATUS));
    return v;
}

/* Waits at least 'ns' nanoseconds by reading Alternate Status, which takes
 * one PIO register cycle: at least 100 ns in every PIO mode (ATA-6 PIO
 * timing, t0 is 120 ns in mode 4).  ata_delay_ns(400) is the wait every protocol asks for after
 * writing the Command or Device register before Status is valid. */
void ata_delay_ns(uint32_t ns);

/* Polls Alternate Status until BSY is clear (at most ATA_POLL_LIMIT
 * reads); the last value read goes to *status.  False on timeout. */
#define ATA_POLL_LIMIT 1000000u
bool ata_wait_not_busy(uint8_t *status);

/* Device selection (ATA-6 "Device selection protocol"): writes the Device
 * register and waits 400 ns.  Does not wait for BSY. */
void ata_select(unsigned device);

/* Writes Device Control (nIEN, SRST, HOB). */
void ata_write_control(uint8_t control);

/* Software reset (ATA-6 "Software reset protocol"): SRST set for at least
 * 5 us, cleared, 2 ms, then BSY polled clear.  'control' is what Device
 * Control holds otherwise (ATA_CONTROL_NIEN keeps INTRQ off).  False when
 * BSY never clears. */
bool ata_soft_reset(uint8_t control);

/* Selects the device, waits for BSY clear, writes the rest of the task
 * file and the Command register, then waits 400 ns. */
void ata_issue(const struct ata_taskfile *tf);

/* The end of any command: waits for BSY clear, reads Status (which clears
 * a pending interrupt) and, when ERR is set, Error. */
void ata_finish(struct ata_outcome *out);

/* True when 'out' ended cleanly: no timeout, DRDY set, BSY, DF, DRQ and
 * ERR clear. */
bool ata_outcome_clean(const struct ata_outcome *out);

/* True when 'out' ended in error: no timeout, ERR set, BSY and DRQ clear. */
bool ata_outcome_error(const struct ata_outcome *out);

/* Non-data command protocol (ATA-6). */
void ata_non_data(const struct ata_taskfile *tf, struct ata_outcome *out);

/* The PIO data-in and PIO data-out command protocols (ATA-6): issue 'tf',
 * then move 'sectors' sectors through the Data register in DRQ blocks of
 * 'block_sectors' (1 for READ/WRITE SECTORS, the multiple-mode block size
 * for READ/WRITE MULTIPLE; the last block may be shorter), checking BSY,
 * DRQ and ERR before each block.  Stops early when the device ends the
 * command (ERR, or no DRQ).  Returns ata_outcome_clean(out) && all sectors
 * moved: a device that wants more data than 'sectors' leaves DRQ set. */
bool ata_pio_in(const struct ata_taskfile *tf, void *buf, uint32_t sectors,
                uint32_t block_sectors, enum ata_pio_width width, struct ata_outcome *out);
bool ata_pio_out(const struct ata_taskfile *tf, const void *buf, uint32_t sectors,
                 uint32_t block_sectors, enum ata_pio_width width, struct ata_outcome *out);

/* REP INS/OUTS on the Data register: 'bytes' must be a multiple of 4. */
void ata_read_data(void *buf, uint32_t bytes, enum ata_pio_width width);
void ata_write_data(const void *buf, uint32_t bytes, enum ata_pio_width width);

/* IDENTIFY DEVICE or IDENTIFY PACKET DEVICE ('command') of 'device' into
 * id[256]: ata_pio_in() of one sector. */
bool ata_identify(uint8_t command, unsigned device, uint16_t id[ATA_ID_WORDS],
                  struct ata_outcome *out);

/* An IDENTIFY string (serial, firmware, model): each word holds two
 * characters, the first in bits 15:8.  Writes words*2 characters and a NUL
 * to 'out', trailing spaces removed. */
void ata_id_string(const uint16_t *id, unsigned first_word, unsigned words, char *out);

/* Words 60-61 and 100-103: user addressable sectors for 28-bit and 48-bit
 * commands. */
uint32_t ata_id_lba28_sectors(const uint16_t *id);
uint64_t ata_id_lba48_sectors(const uint16_t *id);

/* Word 255, the integrity word: when bits 7:0 are A5h, bits 15:8 make the sum
 * of all 512 bytes 0 modulo 256. */
bool ata_id_has_integrity_signature(const uint16_t *id);
bool ata_id_checksum_ok(const uint16_t *id);

/* Short names for tracing: "BSY DRDY DRQ ERR ..." of a Status value into
 * buf (at least 40 bytes). */
const char *ata_status_string(uint8_t status, char *buf, size_t size);

#endif
