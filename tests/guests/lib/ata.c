#include "lib/ata.h"
#include "lib/printf.h"
#include "lib/x86.h"

/* Alternate Status reads per nanosecond budget: one read is one PIO
 * register cycle, never shorter than 100 ns (ata.h). */
#define NS_PER_REGISTER_CYCLE 100u

/* Software reset timing (ATA-6 "Software reset protocol"): the host holds
 * SRST at least 5 us and, after clearing it, waits at least 2 ms before
 * reading Status. */
#define SRST_HOLD_NS    5000u
#define SRST_SETTLE_NS  2000000u
#define STATUS_VALID_NS 400u

void ata_delay_ns(uint32_t ns)
{
    for (uint32_t i = 0; i < (ns + NS_PER_REGISTER_CYCLE - 1) / NS_PER_REGISTER_CYCLE; i++)
        (void)ata_alt_status();
}

bool ata_wait_not_busy(uint8_t *status)
{
    uint8_t s = ata_alt_status();
    for (uint32_t i = 0; (s & ATA_STATUS_BSY) && i < ATA_POLL_LIMIT; i++)
        s = ata_alt_status();
    *status = s;
    return !(s & ATA_STATUS_BSY);
}

static uint8_t device_bits(unsigned device)
{
    return (uint8_t)(ATA_DEVICE_OBSOLETE | (device ? ATA_DEVICE_DEV : 0));
}

void ata_select(unsigned device)
{
    outb(device_bits(device), ATA_DEVICE);
    ata_delay_ns(STATUS_VALID_NS);
}

void ata_write_control(uint8_t control)
{
    outb(control, ATA_DEVICE_CONTROL);
}

bool ata_soft_reset(uint8_t control)
{
    uint8_t status;
    ata_write_control((uint8_t)(control | ATA_CONTROL_SRST));
    ata_delay_ns(SRST_HOLD_NS);
    ata_write_control(control);
    ata_delay_ns(SRST_SETTLE_NS);
    return ata_wait_not_busy(&status);
}

/* The Device register of a command: LBA mode always; a 28-bit command also
 * carries LBA bits 27:24 there. */
static uint8_t command_device_bits(const struct ata_taskfile *tf)
{
    uint8_t v = (uint8_t)(device_bits(tf->device) | ATA_DEVICE_LBA);
    if (!tf->ext)
        v |= (uint8_t)((tf->lba >> 24) & ATA_DEVICE_LBA_27_24);
    return v;
}

/* Each 48-bit register is a two-deep FIFO: the first write lands in the
 * "previous content" (read back with HOB = 1), the second in the current
 * one, so the high-order bytes go first. */
static void write_address(const struct ata_taskfile *tf)
{
    if (tf->ext) {
        outb((uint8_t)(tf->count >> 8), ATA_SECTOR_COUNT);
        outb((uint8_t)(tf->lba >> 24), ATA_LBA_LOW);
        outb((uint8_t)(tf->lba >> 32), ATA_LBA_MID);
        outb((uint8_t)(tf->lba >> 40), ATA_LBA_HIGH);
    }
    outb((uint8_t)tf->count, ATA_SECTOR_COUNT);
    outb((uint8_t)tf->lba, ATA_LBA_LOW);
    outb((uint8_t)(tf->lba >> 8), ATA_LBA_MID);
    outb((uint8_t)(tf->lba >> 16), ATA_LBA_HIGH);
}

void ata_issue(const struct ata_taskfile *tf)
{
    uint8_t status;
    outb(command_device_bits(tf), ATA_DEVICE);
    ata_delay_ns(STATUS_VALID_NS);
    (void)ata_wait_not_busy(&status);
    outb(tf->features, ATA_FEATURES);
    write_address(tf);
    outb(tf->command, ATA_COMMAND);
    ata_delay_ns(STATUS_VALID_NS);
}

void ata_finish(struct ata_outcome *out)
{
    uint8_t status;
    if (!ata_wait_not_busy(&status)) {
        out->timeout = true;
        out->status = status;
        return;
    }
    out->status = inb(ATA_STATUS);
    out->error = (out->status & ATA_STATUS_ERR) ? inb(ATA_ERROR) : 0;
}

bool ata_outcome_clean(const struct ata_outcome *out)
{
    return !out->timeout && (out->status & ATA_STATUS_DRDY) &&
           !(out->status & (ATA_STATUS_BSY | ATA_STATUS_DF | ATA_STATUS_DRQ | ATA_STATUS_ERR));
}

bool ata_outcome_error(const struct ata_outcome *out)
{
    return !out->timeout && (out->status & ATA_STATUS_ERR) &&
           !(out->status & (ATA_STATUS_BSY | ATA_STATUS_DRQ));
}

void ata_non_data(const struct ata_taskfile *tf, struct ata_outcome *out)
{
    *out = (struct ata_outcome){ 0 };
    ata_issue(tf);
    ata_finish(out);
}

void ata_read_data(void *buf, uint32_t bytes, enum ata_pio_width width)
{
    uint32_t count = width == ATA_PIO_32 ? bytes / 4 : bytes / 2;
    if (width == ATA_PIO_32)
        __asm__ __volatile__("rep insl" : "+D"(buf), "+c"(count) : "d"(ATA_DATA) : "memory");
    else
        __asm__ __volatile__("rep insw" : "+D"(buf), "+c"(count) : "d"(ATA_DATA) : "memory");
}

void ata_write_data(const void *buf, uint32_t bytes, enum ata_pio_width width)
{
    uint32_t count = width == ATA_PIO_32 ? bytes / 4 : bytes / 2;
    if (width == ATA_PIO_32)
        __asm__ __volatile__("rep outsl" : "+S"(buf), "+c"(count) : "d"(ATA_DATA) : "memory");
    else
        __asm__ __volatile__("rep outsw" : "+S"(buf), "+c"(count) : "d"(ATA_DATA) : "memory");
}

/* Waits for the device to ask for the next DRQ block: false (and the
 * outcome filled in) when it ended the command instead or never answered. */
static bool wait_for_data_request(struct ata_outcome *out)
{
    uint8_t status;
    if (!ata_wait_not_busy(&status)) {
        out->timeout = true;
        out->status = status;
        return false;
    }
    return (status & ATA_STATUS_DRQ) && !(status & ATA_STATUS_ERR);
}

static uint32_t min_u32(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

bool ata_pio_in(const struct ata_taskfile *tf, void *buf, uint32_t sectors,
                uint32_t block_sectors, enum ata_pio_width width, struct ata_outcome *out)
{
    uint8_t *p = buf;
    *out = (struct ata_outcome){ 0 };
    ata_issue(tf);
    while (out->sectors < sectors && wait_for_data_request(out)) {
        uint32_t n = min_u32(block_sectors, sectors - out->sectors);
        ata_read_data(p, n * SECTOR_SIZE, width);
        p += n * SECTOR_SIZE;
        out->sectors += n;
    }
    if (!out->timeout)
        ata_finish(out);
    return ata_outcome_clean(out) && out->sectors == sectors;
}

bool ata_pio_out(const struct ata_taskfile *tf, const void *buf, uint32_t sectors,
                 uint32_t block_sectors, enum ata_pio_width width, struct ata_outcome *out)
{
    const uint8_t *p = buf;
    *out = (struct ata_outcome){ 0 };
    ata_issue(tf);
    while (out->sectors < sectors && wait_for_data_request(out)) {
        uint32_t n = min_u32(block_sectors, sectors - out->sectors);
        ata_write_data(p, n * SECTOR_SIZE, width);
        p += n * SECTOR_SIZE;
        out->sectors += n;
    }
    if (!out->timeout)
        ata_finish(out);
    return ata_outcome_clean(out) && out->sectors == sectors;
}

bool ata_identify(uint8_t command, unsigned device, uint16_t id[ATA_ID_WORDS],
                  struct ata_outcome *out)
{
    struct ata_taskfile tf = { .command = command, .device = device };
    return ata_pio_in(&tf, id, 1, 1, ATA_PIO_16, out);
}

void ata_id_string(const uint16_t *id, unsigned first_word, unsigned words, char *out)
{
    unsigned len = 0;
    for (unsigned i = 0; i < words; i++) {
        out[len++] = (char)(id[first_word + i] >> 8);
        out[len++] = (char)id[first_word + i];
    }
    while (len > 0 && out[len - 1] == ' ')
        len--;
    out[len] = '\0';
}

uint32_t ata_id_lba28_sectors(const uint16_t *id)
{
    return id[ATA_ID_LBA28_SECTORS] | (uint32_t)id[ATA_ID_LBA28_SECTORS + 1] << 16;
}

uint64_t ata_id_lba48_sectors(const uint16_t *id)
{
    uint64_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = v << 16 | id[ATA_ID_LBA48_SECTORS + i];
    return v;
}

bool ata_id_has_integrity_signature(const uint16_t *id)
{
    return (id[ATA_ID_INTEGRITY] & 0xFFu) == ATA_ID_INTEGRITY_SIGNATURE;
}

bool ata_id_checksum_ok(const uint16_t *id)
{
    uint8_t sum = 0;
    for (unsigned i = 0; i < ATA_ID_WORDS; i++)
        sum = (uint8_t)(sum + (id[i] & 0xFFu) + (id[i] >> 8));
    return sum == 0;
}

const char *ata_status_string(uint8_t status, char *buf, size_t size)
{
    static const struct {
        uint8_t bit;
        const char *name;
    } names[] = {
        { ATA_STATUS_BSY, "BSY" }, { ATA_STATUS_DRDY, "DRDY" }, { ATA_STATUS_DF, "DF" },
        { ATA_STATUS_DSC, "DSC" }, { ATA_STATUS_DRQ, "DRQ" }, { ATA_STATUS_CORR, "CORR" },
        { ATA_STATUS_IDX, "IDX" }, { ATA_STATUS_ERR, "ERR" },
    };
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && len < size; i++) {
        if (status & names[i].bit)
            len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? " " : "",
                                    names[i].name);
    }
    if (!len)
        snprintf(buf, size, "-");
    return buf;
}
