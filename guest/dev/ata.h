/*
 * The primary ATA (IDE) channel: command block ports 0x1F0-0x1F7, device
 * control / alternate status at 0x3F6, IRQ 14 (guest/dev/ata.c).
 *
 * A register-level model of one channel with a master ATA disk (device 0)
 * over a struct disk_store and no device 1, following ATA/ATAPI-6 and -7 and
 * the legacy-mode behaviour of PIIX-style controllers.  keel emulates
 * instantly, so BSY is never seen except while SRST is held, but the rest of
 * the protocol is kept: DRQ per data block, INTRQ per block (PIO in) or after
 * each block (PIO out), reading Status acknowledges the interrupt, Alternate
 * Status does not.
 *
 * Choices worth knowing (details where each is implemented):
 * - Device 1 absent: with DEV=1 selected, Status and Alternate Status read
 *   00h and Error reads 00h, the other registers read the shared taskfile;
 *   commands are ignored, except EXECUTE DEVICE DIAGNOSTIC, which every
 *   device obeys.  00h (not FFh, a channel with no device at all) is what
 *   QEMU and Bochs return, what xv6 probes for and what makes Linux's
 *   ata_sff_dev_classify() decide "no device".  Device 0 drives INTRQ only
 *   while it is selected.
 * - CHS addressing is implemented, with the geometry IDENTIFY reports
 *   (words 54-56), which INITIALIZE DEVICE PARAMETERS sets.
 * - Only PIO: IDENTIFY reports no DMA modes and SET FEATURES refuses them.
 * - A command written while a data transfer is under way ends the transfer
 *   (a half-written block is dropped) and runs.
 * - The data register reads 0000h and drops writes outside a data phase
 *   (or with device 1 selected); 8-bit accesses to it read FFh and are
 *   dropped, as QEMU does.
 * - READ/WRITE commands leave the taskfile as the host wrote it, an IDNF
 *   included (the requested address stays there); a range is checked
 *   whole before any data moves.
 * - Settings (multiple mode, write cache, geometry) survive SRST.
 */
#ifndef KEEL_GUEST_DEV_ATA_H
#define KEEL_GUEST_DEV_ATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest/dev/disk_store.h"
#include "guest/irq.h"

#define ATA_PRIMARY_CMD_BASE    0x1F0
#define ATA_PRIMARY_CMD_LAST    0x1F7
#define ATA_PRIMARY_CTRL        0x3F6
#define ATA_PRIMARY_IRQ         14

/* READ/WRITE MULTIPLE: the largest DRQ block, in sectors (IDENTIFY word 47). */
#define ATA_MAX_MULTIPLE        16
#define ATA_SERIAL_LEN          20      /* IDENTIFY words 10-19 */
#define ATA_FIRMWARE_LEN        8       /* words 23-26 */
#define ATA_MODEL_LEN           40      /* words 27-46 */
#define ATA_MODEL_NAME          "keel virtual disk"
#define ATA_FIRMWARE_REVISION   "keel 1"

enum ata_transfer {
    ATA_XFER_NONE,
    ATA_XFER_IN_DISK,           /* PIO data-in from the disk (READ ...) */
    ATA_XFER_IN_BUFFER,         /* PIO data-in of one prepared block (IDENTIFY) */
    ATA_XFER_OUT_DISK,          /* PIO data-out to the disk (WRITE ...) */
};

/* The logical CHS geometry used for LBA=0 commands (IDENTIFY words 54-58). */
struct ata_geometry {
    uint16_t cylinders, heads, sectors_per_track;
    bool valid;                 /* false after an unusable INITIALIZE DEVICE PARAMETERS */
};

struct ata_channel {
    struct disk_store *store;
    struct irq_line irq;
    char serial[ATA_SERIAL_LEN + 1];

    /* The command block.  Each of the 48-bit address and count registers is
     * a two-deep FIFO: [0] the value last written, [1] the one before
     * (ATA/ATAPI-6 6.2, "previous content"), read back with HOB=1. */
    uint8_t features;
    uint8_t count[2], lba_low[2], lba_mid[2], lba_high[2];
    uint8_t device;
    uint8_t status;             /* device 0's status */
    uint8_t error;
    uint8_t control;            /* last device control value (nIEN, SRST, HOB) */
    bool intrq_pending;         /* device 0 has an interrupt for the host */

    /* The data phase under way, if any. */
    enum ata_transfer xfer;
    uint64_t xfer_lba;          /* next sector to load or store */
    uint32_t xfer_sectors_left; /* sectors not yet moved, the current block included */
    uint32_t xfer_block;        /* sectors per DRQ block */
    uint32_t buf_pos, buf_len;  /* bytes into and in the current block */
    uint8_t buf[ATA_MAX_MULTIPLE * DISK_SECTOR_SIZE];

    /* Settings the host changes. */
    uint8_t multiple;           /* READ/WRITE MULTIPLE block, 0 = disabled */
    uint8_t pio_mode;
    bool write_cache, read_look_ahead;
    struct ata_geometry geometry;
};

/* Power-on state of a channel over `store` (which must be set up, and is
 * kept as is: a second ata_init over the same store keeps its data).  serial
 * is the drive's serial number, cut to ATA_SERIAL_LEN characters. */
void ata_init(struct ata_channel *ch, struct disk_store *store, const char *serial);

/*
 * One guest IN or OUT of `size` (1, 2 or 4) bytes at `port`, which must be
 * in ATA_PRIMARY_CMD_BASE..ATA_PRIMARY_CMD_LAST or be ATA_PRIMARY_CTRL: the
 * pio_handler_fn contract without the VM.  A 2- or 4-byte access to the data
 * port moves one or two 16-bit words; a wider access to any other register
 * is a run of byte accesses to it and the ports above it (those outside the
 * channel read FFh).  Returns 0; -1 only for a size or port keel never
 * passes (nothing is changed).
 */
int ata_port_access(struct ata_channel *ch, uint16_t port, unsigned size, bool in,
                    uint32_t *value);

/* Fills the 256 words of IDENTIFY DEVICE data for the drive's current state,
 * as the guest reads them (little-endian words). */
void ata_identify_data(const struct ata_channel *ch, uint8_t out[DISK_SECTOR_SIZE]);

struct vm;

/*
 * Gives vm the primary ATA channel with `store` as its master disk: power-on
 * state, ports 0x1F0-0x1F7 and 0x3F6, serial number "keel-NAME".  One
 * channel per VM, kept in a static array by vm->index.  The store belongs to
 * the caller and must outlive the VM; attaching again after a guest reboot
 * keeps the disk's contents.  Returns 0, or -1 with the reason in err.
 */
int ata_attach(struct vm *vm, struct disk_store *store, char *err, size_t errlen);

/* The channel's interrupt line (IRQ 14), for the VM's interrupt controller
 * to connect; NULL when vm has no channel attached. */
struct irq_line *ata_irq_line(struct vm *vm);

#endif
