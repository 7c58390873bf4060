/*
 * The ACPI tables a PC firmware (or keel) leaves in guest RAM, as far as test
 * guests need them, and the ACPI power management timer.  Layouts and names
 * follow the ACPI Specification 6.0, chapter 5 ("ACPI Software Programming
 * Model"); section numbers below are that version's.
 *
 * Finding the tables (5.2.5.1): the RSDP lies on a 16-byte boundary in the
 * BIOS read-only area 0xE0000-0xFFFFF, its first 20 bytes summing to 0 (and,
 * from revision 2, all 'length' bytes too).  It gives the RSDT (32-bit
 * pointers) and the XSDT (64-bit pointers); this library follows the RSDT,
 * which a 32-bit guest with paging off can always reach.  Every table starts
 * with the 36-byte header (5.2.6) whose bytes, all 'length' of them, sum to 0.
 *
 * Pointers into the tables are identity-mapped guest-physical addresses: the
 * guests run with paging off, or with RAM identity-mapped.  Nothing here
 * writes to the tables.
 *
 * The PM timer (4.8.3.3, "Power Management Timer (PM_TMR)"): a free-running
 * count-up timer at 3.579545 MHz, 24 bits wide unless the FADT flag
 * TMR_VAL_EXT says 32, read with a 32-bit IN from the FADT's PM_TMR_BLK;
 * bits 31:24 (E_TMR_VAL) read 0 when it is 24 bits wide.
 */
#ifndef GUEST_LIB_ACPI_H
#define GUEST_LIB_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACPI_RSDP_SCAN_START    0xE0000u
#define ACPI_RSDP_SCAN_END      0x100000u       /* exclusive */
#define ACPI_RSDP_ALIGNMENT     16u
#define ACPI_RSDP_V1_LENGTH     20u             /* what the revision 0 checksum covers */
#define ACPI_RSDP_REVISION_2    2u              /* has length, XSDT, extended checksum */

#define ACPI_SIG_RSDT   "RSDT"
#define ACPI_SIG_XSDT   "XSDT"
#define ACPI_SIG_FADT   "FACP"
#define ACPI_SIG_MADT   "APIC"
#define ACPI_SIG_DSDT   "DSDT"
#define ACPI_SIG_LENGTH 4u

/* Tables longer than this are taken as garbage rather than summed. */
#define ACPI_TABLE_MAX_LENGTH   0x100000u

#define ACPI_PM_TIMER_HZ        3579545u
#define ACPI_PM_TIMER_LEN       4u              /* FADT PM_TMR_LEN when supported */

/* Root System Description Pointer (5.2.5.3). */
struct acpi_rsdp {
    char signature[8];                  /* "RSD PTR " */
    uint8_t checksum;                   /* first 20 bytes */
    char oem_id[6];
    uint8_t revision;
    uint32_t rsdt_address;
    /* revision 2 and later */
    uint32_t length;
    uint64_t xsdt_address;
    uint8_t extended_checksum;          /* all 'length' bytes */
    uint8_t reserved[3];
} __attribute__((packed));

/* System Description Table header (5.2.6). */
struct acpi_sdt_header {
    char signature[4];
    uint32_t length;                    /* the whole table, header included */
    uint8_t revision;
    uint8_t checksum;
    char oem_id[6];
    char oem_table_id[8];
    uint32_t oem_revision;
    uint32_t creator_id;
    uint32_t creator_revision;
} __attribute__((packed));

/* Generic Address Structure (5.2.3.2). */
struct acpi_generic_address {
    uint8_t address_space_id;
    uint8_t register_bit_width;
    uint8_t register_bit_offset;
    uint8_t access_size;
    uint64_t address;
} __attribute__((packed));

#define ACPI_ADDRESS_SPACE_SYSTEM_IO 1u

/* Fixed ACPI Description Table (5.2.9, table 5.9), up to X_PM_TMR_BLK.  A
 * field lies inside the table only when 'length' covers it: ACPI 1.0 FADTs
 * end after 'flags'. */
struct acpi_fadt {
    struct acpi_sdt_header header;      /* "FACP" */
    uint32_t firmware_ctrl;
    uint32_t dsdt;
    uint8_t reserved0;
    uint8_t preferred_pm_profile;
    uint16_t sci_int;
    uint32_t smi_cmd;
    uint8_t acpi_enable;
    uint8_t acpi_disable;
    uint8_t s4bios_req;
    uint8_t pstate_cnt;
    uint32_t pm1a_evt_blk;
    uint32_t pm1b_evt_blk;
    uint32_t pm1a_cnt_blk;
    uint32_t pm1b_cnt_blk;
    uint32_t pm2_cnt_blk;
    uint32_t pm_tmr_blk;
    uint32_t gpe0_blk;
    uint32_t gpe1_blk;
    uint8_t pm1_evt_len;
    uint8_t pm1_cnt_len;
    uint8_t pm2_cnt_len;
    uint8_t pm_tmr_len;
    uint8_t gpe0_blk_len;
    uint8_t gpe1_blk_len;
    uint8_t gpe1_base;
    uint8_t cst_cnt;
    uint16_t p_lvl2_lat;
    uint16_t p_lvl3_lat;
    uint16_t flush_size;
    uint16_t flush_stride;
    uint8_t duty_offset;
    uint8_t duty_width;
    uint8_t day_alrm;
    uint8_t mon_alrm;
    uint8_t century;
    uint16_t iapc_boot_arch;
    uint8_t reserved1;
    uint32_t flags;
    struct acpi_generic_address reset_reg;
    uint8_t reset_value;
    uint16_t arm_boot_arch;
    uint8_t fadt_minor_version;
    uint64_t x_firmware_ctrl;
    uint64_t x_dsdt;
    struct acpi_generic_address x_pm1a_evt_blk;
    struct acpi_generic_address x_pm1b_evt_blk;
    struct acpi_generic_address x_pm1a_cnt_blk;
    struct acpi_generic_address x_pm1b_cnt_blk;
    struct acpi_generic_address x_pm2_cnt_blk;
    struct acpi_generic_address x_pm_tmr_blk;
} __attribute__((packed));

#define ACPI_FADT_TMR_VAL_EXT   (1u << 8)       /* flags: the PM timer is 32 bits wide */

/* True when 'fadt' is long enough to hold 'field' (a member name). */
#define ACPI_FADT_HAS(fadt, field) \
    ((fadt)->header.length >= offsetof(struct acpi_fadt, field) + sizeof((fadt)->field))

/* Multiple APIC Description Table (5.2.12): the header, then entries that
 * each start with their type and length. */
struct acpi_madt {
    struct acpi_sdt_header header;      /* "APIC" */
    uint32_t local_apic_address;
    uint32_t flags;
} __attribute__((packed));

#define ACPI_MADT_PCAT_COMPAT   (1u << 0)       /* flags: 8259s are present too */

enum acpi_madt_entry_type {
    ACPI_MADT_LOCAL_APIC = 0,
    ACPI_MADT_IO_APIC = 1,
    ACPI_MADT_INTERRUPT_OVERRIDE = 2,
};

struct acpi_madt_entry {
    uint8_t type;
    uint8_t length;
} __attribute__((packed));

struct acpi_madt_io_apic {              /* 5.2.12.3 */
    struct acpi_madt_entry entry;
    uint8_t io_apic_id;
    uint8_t reserved;
    uint32_t address;
    uint32_t gsi_base;
} __attribute__((packed));

struct acpi_madt_interrupt_override {   /* 5.2.12.5 */
    struct acpi_madt_entry entry;
    uint8_t bus;                        /* 0: ISA */
    uint8_t source;                     /* the ISA IRQ */
    uint32_t gsi;
    uint16_t flags;                     /* MPS INTI flags */
} __attribute__((packed));

/* MPS INTI flags: polarity in bits 1:0, trigger mode in bits 3:2; 00 means
 * "conforms to the bus", which for ISA is active high, edge triggered. */
#define ACPI_MPS_POLARITY_MASK          0x3u
#define ACPI_MPS_POLARITY_ACTIVE_LOW    0x3u
#define ACPI_MPS_TRIGGER_MASK           0xCu
#define ACPI_MPS_TRIGGER_LEVEL          0xCu

/* True when the 'length' bytes at 'bytes' sum to 0 modulo 256. */
bool acpi_checksum_ok(const void *bytes, uint32_t length);

/* The first 16-byte-aligned "RSD PTR " in 0xE0000-0xFFFFF whose checksum
 * holds (and, from revision 2, whose extended checksum over 'length' bytes
 * holds too), or NULL.  Scanned once; later calls return the same answer. */
const struct acpi_rsdp *acpi_find_rsdp(void);

/* True when 'table' has 'signature', a length from the header's size up to
 * ACPI_TABLE_MAX_LENGTH, and a valid checksum. */
bool acpi_table_valid(const struct acpi_sdt_header *table, const char *signature);

/* The RSDT the RSDP names (not validated: see acpi_table_valid), or NULL
 * when there is no RSDP. */
const struct acpi_sdt_header *acpi_rsdt(void);

/* The number of table pointers the RSDT holds (0 without a plausible RSDT),
 * and pointer 'index' of them. */
uint32_t acpi_rsdt_entries(void);
const struct acpi_sdt_header *acpi_rsdt_entry(uint32_t index);

/* The first table the RSDT lists with 'signature' (4 characters), or NULL.
 * Its checksum is not judged: see acpi_table_valid. */
const struct acpi_sdt_header *acpi_find_table(const char *signature);

/* The PM timer as the FADT describes it: PM_TMR_BLK (or, when that is 0,
 * X_PM_TMR_BLK in system I/O space) and the width from TMR_VAL_EXT. */
struct acpi_pm_timer {
    uint16_t port;
    uint8_t bits;                       /* 24 or 32 */
};

/* Fills 'timer' from 'fadt'; false when the FADT gives no port. */
bool acpi_pm_timer_from_fadt(const struct acpi_fadt *fadt, struct acpi_pm_timer *timer);

/* The 32-bit IN of the timer port, as read (bits 31:24 included). */
uint32_t acpi_pm_timer_read_raw(const struct acpi_pm_timer *timer);

/* The count: the raw value cut to the timer's width. */
uint32_t acpi_pm_timer_read(const struct acpi_pm_timer *timer);

/* Ticks from count 'earlier' to count 'later', modulo the timer's width
 * (right for intervals below 2^24 ticks, 4.68 s, with a 24-bit timer). */
uint32_t acpi_pm_timer_ticks_between(const struct acpi_pm_timer *timer, uint32_t earlier,
                                     uint32_t later);

/* The first I/O APIC entry of 'madt', or NULL. */
const struct acpi_madt_io_apic *acpi_madt_first_io_apic(const struct acpi_madt *madt);

/* Where ISA IRQ 'irq' arrives at the I/O APICs: the GSI, polarity and
 * trigger mode from the MADT's interrupt source override for it, or the
 * ISA defaults (GSI = irq, active high, edge) when there is none. */
struct acpi_isa_irq_route {
    uint32_t gsi;
    bool active_low;
    bool level_triggered;
    bool overridden;                    /* an override entry named this IRQ */
};

struct acpi_isa_irq_route acpi_madt_isa_irq_route(const struct acpi_madt *madt, unsigned irq);

#endif
