/*
 * The little of ACPI keel needs to switch the machine off or reset it
 * (kernel/acpi.c): pure logic, host-tested.
 *
 * From the RSDP it walks the XSDT (or the RSDT) to the FADT, takes the PM1
 * control ports, the SMI command port and the reset register from it, and
 * finds the \_S5 sleep type values in the DSDT's AML.  All physical memory is
 * read through a reader callback, every table's checksum is verified and
 * every length is checked before the bytes it covers are touched, so a
 * broken or hostile table yields "not found", never a wild read.
 */
#ifndef KEEL_KERNEL_ACPI_H
#define KEEL_KERNEL_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Returns a pointer through which [phys, phys+len) can be read, or NULL if
 * that range is not readable.  In keel this is the direct map; in host tests
 * a window into a test buffer.  Pointers must stay valid until
 * acpi_find_power() returns.
 */
typedef const void *(*acpi_phys_reader)(uint64_t phys, size_t len, void *ctx);

/* Generic Address Structure address spaces (ACPI 6.5, 5.2.3.2). */
#define ACPI_SPACE_SYSTEM_MEMORY  0
#define ACPI_SPACE_SYSTEM_IO      1
#define ACPI_SPACE_PCI_CONFIG     2

/* PM1 control register bits (ACPI 6.5, table 4.13 "PM1 Control Registers Fixed
 * Hardware Feature Control Bits"). */
#define ACPI_PM1_CNT_SCI_EN        (1u << 0)
#define ACPI_PM1_CNT_SLP_TYP_SHIFT 10
#define ACPI_PM1_CNT_SLP_TYP_MASK  (7u << ACPI_PM1_CNT_SLP_TYP_SHIFT)
#define ACPI_PM1_CNT_SLP_EN        (1u << 13)

struct acpi_reset_reg {
    uint8_t space;              /* ACPI_SPACE_* */
    uint8_t bit_width;
    uint64_t address;           /* for PCI: device << 32 | function << 16 | offset, bus 0 */
    uint8_t value;              /* RESET_VALUE: write this byte to reset */
};

struct acpi_power {
    bool rsdp_found;            /* a valid RSDP (given or found by scanning) */
    bool fadt_found;            /* a valid FADT of at least ACPI 1.0 size */
    bool s5_found;              /* \_S5 package parsed from the DSDT */
    bool reset_found;           /* FADT reset register present and supported */
    bool used_xsdt;             /* the FADT came through the XSDT, not the RSDT */

    uint8_t rsdp_revision;      /* 0 = ACPI 1.0, 2 = ACPI 2.0+ */
    uint64_t rsdp_phys;         /* where the RSDP was found; 0 if given by the loader */
    char oem_id[7];             /* the RSDP's OEMID, NUL-terminated ("BOCHS ") */

    uint32_t pm1a_cnt, pm1b_cnt;    /* I/O ports of PM1a/PM1b_CNT; 0 = none */
    uint32_t smi_cmd;               /* I/O port; 0 = no SMI mode switch needed */
    uint8_t acpi_enable;            /* value for SMI_CMD that sets SCI_EN */
    uint8_t slp_typa, slp_typb;     /* \_S5 SLP_TYPa/b, 3-bit values */
    struct acpi_reset_reg reset;

    /* Why the search stopped short (one line, e.g. "DSDT at 0x7fe1040:
     * checksum mismatch"), or "" when the FADT and \_S5 were both found.
     * A missing reset register is not a problem: it is optional. */
    char problem[96];
};

/*
 * Fills *out.  rsdp/rsdp_len are the loader's copy of the RSDP (multiboot2
 * gives one; a v1 copy may be zero-padded); pass NULL to scan the EBDA and the
 * BIOS area 0xE0000-0xFFFFF instead, which is also done when the copy is
 * invalid.  Never fails as such: see the found flags and problem.
 */
void acpi_find_power(struct acpi_power *out, const void *rsdp, size_t rsdp_len,
                     acpi_phys_reader read, void *ctx);

/* True when the len bytes at p sum to 0 modulo 256 (ACPI 6.5, 5.2.6). */
bool acpi_checksum_ok(const void *p, size_t len);

/*
 * Looks for the definition Name(_S5, Package() { SLP_TYPa, SLP_TYPb, ... }) in
 * a block of AML (a DSDT or SSDT body, header excluded).  Returns true and
 * sets *slp_typa and *slp_typb when one parses within the block.
 */
bool acpi_aml_find_s5(const uint8_t *aml, size_t len, uint8_t *slp_typa, uint8_t *slp_typb);

#endif
