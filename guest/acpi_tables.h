/*
 * The ACPI tables keel gives its guests (guest/acpi_tables.c): the smallest
 * set with which an OS finds its processors and interrupt controllers, the
 * fixed-hardware PM registers of guest/dev/acpi_pm.h, and a way to power off.
 * Pure logic: it fills a buffer, which keel copies into guest RAM.
 *
 * The set, laid out in this order from buf[0] (field layouts and section
 * numbers are the ACPI 6.x specification's, chapter 5):
 * - RSDP, revision 2: both the RSDT and the XSDT address, both checksums.
 * - FACS, 64-byte aligned in the guest, no firmware waking vector.
 * - XSDT and RSDT, each listing the FADT and the MADT.
 * - FADT, revision 6 (ACPI 6.0 layout, 276 bytes): DSDT and FACS through
 *   both the 32-bit and the X_ fields; SMI_CMD = 0, so the machine is always
 *   in ACPI mode; PM1a event and control blocks and the PM timer as System
 *   I/O ports with their X_ Generic Address Structures; a 24-bit timer; no
 *   fixed power or sleep button; no GPE block; the RTC century in CMOS byte
 *   0x32; "legacy devices and an 8042 present"; optionally a reset register.
 * - DSDT, revision 2, whose AML is one definition:
 *   Name (\_S5, Package (4) { ACPI_PM_SLP_TYP_S5, ACPI_PM_SLP_TYP_S5, 0, 0 }),
 *   the SLP_TYP value guest/dev/acpi_pm.c takes as "power off".
 * - MADT, revision 4 (ACPI 6.0 Errata A), PCAT_COMPAT: a Processor Local
 *   APIC per vCPU (ACPI Processor UID = vCPU index, enabled), one I/O APIC,
 *   an Interrupt Source Override making the SCI's ISA IRQ level-triggered,
 *   active-high, and a Local APIC NMI on LINT1 of every processor.  ISA IRQ
 *   n is I/O APIC pin n (GSI ioapic_gsi_base + n), so no other override.
 * Every table carries the OEM ID and a correct checksum.
 */
#ifndef KEEL_GUEST_ACPI_TABLES_H
#define KEEL_GUEST_ACPI_TABLES_H

#include <stddef.h>
#include <stdint.h>

/* The RSDP's alignment (ACPI 6.x, 5.2.5.1): the guest address must have it. */
#define ACPI_RSDP_ALIGN         16
/* The most vCPUs the MADT can describe: ACPI Processor UIDs are one byte
 * and 0xFF means "all processors" in a Local APIC NMI structure. */
#define ACPI_MAX_CPUS           255

/* What the tables describe. */
struct acpi_machine {
    unsigned nr_cpus;               /* 1 to ACPI_MAX_CPUS */
    const uint8_t *apic_ids;        /* local APIC ID of each vCPU; NULL: vCPU i has ID i */
    uint64_t lapic_base;            /* 0xFEE00000; below 4 GiB */
    uint8_t ioapic_id;              /* 1 */
    uint64_t ioapic_base;           /* 0xFEC00000; below 4 GiB */
    uint32_t ioapic_gsi_base;       /* 0 */
    uint16_t pm1a_evt_port;         /* 0x600: ACPI_PM_EVT_LEN ports */
    uint16_t pm1a_cnt_port;         /* 0x604: ACPI_PM_CNT_LEN ports */
    uint16_t pm_tmr_port;           /* 0x608: ACPI_PM_TMR_LEN ports */
    uint8_t sci_irq;                /* 9: ISA IRQ of the SCI */
    uint16_t reset_port;            /* 0xCF9, or 0: no FADT reset register */
    uint8_t reset_value;            /* written to reset_port to reset (0x06) */
    const char *oem_id;             /* up to 6 characters, padded with spaces; NULL: "KEEL" */
};

/*
 * Builds the tables for guest-physical address `gpa` (where buf[0] will be
 * in the guest) into buf[0..size).  Returns the number of bytes used, all
 * from buf[0], or 0 with nothing written when they do not fit in `size`,
 * when gpa is not ACPI_RSDP_ALIGN-aligned, when the tables would not lie
 * wholly below 4 GiB (the RSDT and FADT hold 32-bit addresses), or when `m`
 * cannot be described (nr_cpus of 0 or above ACPI_MAX_CPUS, an APIC base at
 * or above 4 GiB).  The RSDP is at buf[0]; bytes from the returned size on
 * are not touched.  1 KiB is enough for 8 vCPUs, 4 KiB for 255.
 */
size_t acpi_tables_build(void *buf, size_t size, uint64_t gpa, const struct acpi_machine *m);

#endif
