/*
 * The guests' ACPI tables (contract and contents in guest/acpi_tables.h).
 *
 * Section and table numbers are those of the ACPI 6.4 specification; the
 * layouts used here are the same in every 6.x revision.  Tables are written
 * byte by byte, little-endian, at their offsets in the buffer (multi-byte
 * fields are often unaligned), into a buffer zeroed first, so every field not
 * written here (reserved ones included) is 0.  Checksums are set last,
 * once a table's bytes are final.
 */
#include "guest/acpi_tables.h"

#include <stdbool.h>

#include "guest/dev/acpi_pm.h"
#include "lib/string.h"

/* ---- Layouts ---------------------------------------------------------- */

/* RSDP (5.2.5.3) */
#define RSDP_SIGNATURE          "RSD PTR "
#define RSDP_SIGNATURE_LEN      8
#define RSDP_CHECKSUM           8
#define RSDP_OEMID              9
#define RSDP_REVISION           15
#define RSDP_RSDT_ADDRESS       16
#define RSDP_LENGTH             20
#define RSDP_XSDT_ADDRESS       24
#define RSDP_EXTENDED_CHECKSUM  32
#define RSDP_V1_SIZE            20      /* what the first checksum covers */
#define RSDP_SIZE               36
#define RSDP_REVISION_ACPI_2    2       /* ACPI 2.0 and later: has the XSDT address */

/* System description table header (5.2.6) */
#define SDT_SIGNATURE           0
#define SDT_SIGNATURE_LEN       4
#define SDT_LENGTH              4
#define SDT_REVISION            8
#define SDT_CHECKSUM            9
#define SDT_OEMID               10
#define SDT_OEM_TABLE_ID        16
#define SDT_OEM_REVISION        24
#define SDT_CREATOR_ID          28
#define SDT_CREATOR_REVISION    32
#define SDT_HEADER_SIZE         36
#define OEMID_LEN               6
#define OEM_TABLE_ID_LEN        8
#define CREATOR_ID_LEN          4

#define DEFAULT_OEM_ID          "KEEL"
#define KEEL_OEM_TABLE_ID       "KEELVM"
#define KEEL_OEM_REVISION       1
#define KEEL_CREATOR_ID         "KEEL"
#define KEEL_CREATOR_REVISION   1

/* RSDT (5.2.7) and XSDT (5.2.8): the header, then 32- or 64-bit addresses. */
#define RSDT_REVISION           1
#define RSDT_ENTRY_SIZE         4
#define XSDT_REVISION           1
#define XSDT_ENTRY_SIZE         8
#define NR_LISTED_TABLES        2       /* FADT, MADT */

/* FADT (5.2.9, table 5.9) */
#define FADT_FIRMWARE_CTRL      36
#define FADT_DSDT               40
#define FADT_PREFERRED_PM_PROFILE 45
#define FADT_SCI_INT            46
#define FADT_SMI_CMD            48
#define FADT_PM1A_EVT_BLK       56
#define FADT_PM1A_CNT_BLK       64
#define FADT_PM_TMR_BLK         76
#define FADT_PM1_EVT_LEN        88
#define FADT_PM1_CNT_LEN        89
#define FADT_PM_TMR_LEN         91
#define FADT_P_LVL2_LAT         96
#define FADT_P_LVL3_LAT         98
#define FADT_DAY_ALRM           106
#define FADT_MON_ALRM           107
#define FADT_CENTURY            108
#define FADT_IAPC_BOOT_ARCH     109
#define FADT_FLAGS              112
#define FADT_RESET_REG          116
#define FADT_RESET_VALUE        128
#define FADT_MINOR_VERSION      131
#define FADT_X_FIRMWARE_CTRL    132
#define FADT_X_DSDT             140
#define FADT_X_PM1A_EVT_BLK     148
#define FADT_X_PM1A_CNT_BLK     172
#define FADT_X_PM_TMR_BLK       208
#define FADT_SIZE               276     /* through Hypervisor Vendor Identity */
#define FADT_REVISION           6       /* major version: ACPI 6.0 */
#define FADT_MINOR              0

#define PM_PROFILE_UNSPECIFIED  0
/* P_LVL2_LAT above 100 us and P_LVL3_LAT above 1000 us say "no C2" and "no
 * C3" (table 5.9). */
#define P_LVL2_LAT_NONE         101
#define P_LVL3_LAT_NONE         1001
/* The RTC's CMOS index of the century (table 5.9, CENTURY); 0 for the day
 * and month alarms: the RTC has neither. */
#define RTC_CENTURY_INDEX       0x32

/* IA-PC boot architecture flags (5.2.9.3, table 5.11) */
#define IAPC_LEGACY_DEVICES     (1u << 0)
#define IAPC_8042               (1u << 1)

/* Fixed feature flags (table 5.10) */
#define FADT_F_WBINVD           (1u << 0)
#define FADT_F_PROC_C1          (1u << 2)
#define FADT_F_PWR_BUTTON       (1u << 4)       /* 1: no fixed power button */
#define FADT_F_SLP_BUTTON       (1u << 5)       /* 1: no fixed sleep button */
#define FADT_F_FIX_RTC          (1u << 6)       /* 1: no RTC_STS in PM1_STS */
#define FADT_F_TMR_VAL_EXT      (1u << 8)       /* 1: 32-bit timer; left 0 */
#define FADT_F_RESET_REG_SUP    (1u << 10)

/* Generic Address Structure (5.2.3.2, table 5.1) */
#define GAS_SPACE_ID            0
#define GAS_BIT_WIDTH           1
#define GAS_BIT_OFFSET          2
#define GAS_ACCESS_SIZE         3
#define GAS_ADDRESS             4
#define GAS_SPACE_SYSTEM_IO     1
#define GAS_ACCESS_BYTE         1
#define GAS_ACCESS_WORD         2
#define GAS_ACCESS_DWORD        3
#define BITS_PER_BYTE           8

/* FACS (5.2.10, table 5.14) */
#define FACS_SIGNATURE          "FACS"
#define FACS_LENGTH             4
#define FACS_VERSION            32
#define FACS_SIZE               64
#define FACS_ALIGN              64
#define FACS_VERSION_VALUE      2

/* DSDT (5.2.11.1): revision 2 and up run AML with 64-bit integers. */
#define DSDT_REVISION           2

/* MADT (5.2.12, table 5.19) and its interrupt controller structures */
#define MADT_REVISION           4       /* ACPI 6.0 Errata A to 6.2 */
#define MADT_LOCAL_APIC_ADDRESS 36
#define MADT_FLAGS              40
#define MADT_HEADER_SIZE        44
#define MADT_PCAT_COMPAT        (1u << 0)
#define ICS_TYPE                0
#define ICS_LENGTH              1
/* Processor Local APIC (5.2.12.2) */
#define LAPIC_TYPE              0
#define LAPIC_SIZE              8
#define LAPIC_PROCESSOR_UID     2
#define LAPIC_APIC_ID           3
#define LAPIC_FLAGS             4
#define LAPIC_ENABLED           (1u << 0)
/* I/O APIC (5.2.12.3) */
#define IOAPIC_TYPE             1
#define IOAPIC_SIZE             12
#define IOAPIC_ID               2
#define IOAPIC_ADDRESS          4
#define IOAPIC_GSI_BASE         8
/* Interrupt Source Override (5.2.12.5) */
#define ISO_TYPE                2
#define ISO_SIZE                10
#define ISO_BUS                 2
#define ISO_SOURCE              3
#define ISO_GSI                 4
#define ISO_FLAGS               8
#define ISO_BUS_ISA             0
/* Local APIC NMI (5.2.12.7) */
#define LAPIC_NMI_TYPE          4
#define LAPIC_NMI_SIZE          6
#define LAPIC_NMI_PROCESSOR_UID 2
#define LAPIC_NMI_FLAGS         3
#define LAPIC_NMI_LINT          5
#define ALL_PROCESSORS_UID      0xff
#define LINT1                   1
/* MPS INTI flags (table 5.26): polarity in bits 1:0, trigger mode in 3:2. */
#define MPS_INTI_CONFORMS       0
#define MPS_INTI_ACTIVE_HIGH    0x1u
#define MPS_INTI_LEVEL          (0x3u << 2)

/* AML (20.2) */
#define AML_ZERO_OP             0x00
#define AML_NAME_OP             0x08
#define AML_BYTE_PREFIX         0x0a
#define AML_PACKAGE_OP          0x12
#define AML_ROOT_CHAR           0x5c    /* '\' */
#define AML_PKGLEN_ONE_BYTE_MAX 63      /* 20.2.4: lead byte bits 5:0 alone */

#define TABLE_ALIGN             16
#define ADDRESS_LIMIT           (UINT64_C(1) << 32)

/*
 * The DSDT's AML: Name (\_S5, Package (4) { S5, S5, Zero, Zero }), i.e.
 * DefName (20.2.5.1) with a NameString of RootChar and NameSeg "_S5_"
 * (20.2.2) and a DefPackage (20.2.5.4): PackageOp, PkgLength, NumElements,
 * then the elements as BytePrefix data (20.2.3) and ZeroOp.  The package is
 * \_Sx's (7.4.2): SLP_TYP for PM1a_CNT, SLP_TYP for PM1b_CNT (there is no
 * PM1b block; the same value, as usual), two reserved integers.
 */
#define S5_PKG_LENGTH_AT        7       /* NameOp, RootChar, NameSeg, PackageOp */
#define S5_NUM_ELEMENTS         4
#define S5_PKG_LENGTH           8       /* itself, NumElements and 6 element bytes */

static const uint8_t dsdt_aml[] = {
    AML_NAME_OP, AML_ROOT_CHAR, '_', 'S', '5', '_',
    AML_PACKAGE_OP, S5_PKG_LENGTH, S5_NUM_ELEMENTS,
    AML_BYTE_PREFIX, ACPI_PM_SLP_TYP_S5,        /* SLP_TYPa */
    AML_BYTE_PREFIX, ACPI_PM_SLP_TYP_S5,        /* SLP_TYPb */
    AML_ZERO_OP,                                /* reserved */
    AML_ZERO_OP,                                /* reserved */
};

_Static_assert(S5_PKG_LENGTH_AT + S5_PKG_LENGTH == sizeof(dsdt_aml),
               "PkgLength covers the rest of the package");
_Static_assert(S5_PKG_LENGTH <= AML_PKGLEN_ONE_BYTE_MAX, "one-byte PkgLength");

/* ---- Writing bytes ---------------------------------------------------- */

static void put_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put_u32(uint8_t *p, uint32_t v)
{
    put_u16(p, (uint16_t)v);
    put_u16(p + 2, (uint16_t)(v >> 16));
}

static void put_u64(uint8_t *p, uint64_t v)
{
    put_u32(p, (uint32_t)v);
    put_u32(p + 4, (uint32_t)(v >> 32));
}

/* Up to `width` characters of s, then spaces: OEM ID and OEM Table ID are
 * fixed-width, space-padded fields. */
static void put_padded(uint8_t *p, const char *s, size_t width)
{
    size_t n = strnlen(s, width);
    memcpy(p, s, n);
    memset(p + n, ' ', width - n);
}

/* The byte that makes the `len` bytes at p sum to 0 modulo 256 when stored
 * in the checksum field, which must hold 0 while this runs (5.2.6). */
static uint8_t checksum_for(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + p[i]);
    return (uint8_t)-sum;
}

/* ---- The tables -------------------------------------------------------- */

/* Where each table goes, as offsets from buf[0]. */
struct acpi_layout {
    size_t rsdp, facs, xsdt, rsdt, fadt, dsdt, madt, end;
};

/* The first offset at or after `off` whose guest address is a multiple of
 * `align`. */
static size_t align_in_guest(size_t off, uint64_t gpa, size_t align)
{
    size_t misalign = (size_t)((gpa + off) % align);
    return misalign ? off + (align - misalign) : off;
}

static size_t madt_size(unsigned nr_cpus)
{
    return MADT_HEADER_SIZE + (size_t)nr_cpus * LAPIC_SIZE + IOAPIC_SIZE + ISO_SIZE +
           LAPIC_NMI_SIZE;
}

static struct acpi_layout plan_layout(uint64_t gpa, unsigned nr_cpus)
{
    struct acpi_layout l;
    l.rsdp = 0;
    l.facs = align_in_guest(l.rsdp + RSDP_SIZE, gpa, FACS_ALIGN);
    l.xsdt = align_in_guest(l.facs + FACS_SIZE, gpa, TABLE_ALIGN);
    l.rsdt = align_in_guest(l.xsdt + SDT_HEADER_SIZE + NR_LISTED_TABLES * XSDT_ENTRY_SIZE, gpa,
                            TABLE_ALIGN);
    l.fadt = align_in_guest(l.rsdt + SDT_HEADER_SIZE + NR_LISTED_TABLES * RSDT_ENTRY_SIZE, gpa,
                            TABLE_ALIGN);
    l.dsdt = align_in_guest(l.fadt + FADT_SIZE, gpa, TABLE_ALIGN);
    l.madt = align_in_guest(l.dsdt + SDT_HEADER_SIZE + sizeof(dsdt_aml), gpa, TABLE_ALIGN);
    l.end = l.madt + madt_size(nr_cpus);
    return l;
}

/* The header of a description table; the checksum comes with
 * finish_table(). */
static void write_header(uint8_t *t, const char *signature, size_t length, uint8_t revision,
                         const char *oem_id)
{
    memcpy(t + SDT_SIGNATURE, signature, SDT_SIGNATURE_LEN);
    put_u32(t + SDT_LENGTH, (uint32_t)length);
    t[SDT_REVISION] = revision;
    put_padded(t + SDT_OEMID, oem_id, OEMID_LEN);
    put_padded(t + SDT_OEM_TABLE_ID, KEEL_OEM_TABLE_ID, OEM_TABLE_ID_LEN);
    put_u32(t + SDT_OEM_REVISION, KEEL_OEM_REVISION);
    put_padded(t + SDT_CREATOR_ID, KEEL_CREATOR_ID, CREATOR_ID_LEN);
    put_u32(t + SDT_CREATOR_REVISION, KEEL_CREATOR_REVISION);
}

static void finish_table(uint8_t *t, size_t length)
{
    t[SDT_CHECKSUM] = checksum_for(t, length);
}

static void write_rsdp(uint8_t *p, uint64_t rsdt_gpa, uint64_t xsdt_gpa, const char *oem_id)
{
    memcpy(p, RSDP_SIGNATURE, RSDP_SIGNATURE_LEN);
    put_padded(p + RSDP_OEMID, oem_id, OEMID_LEN);
    p[RSDP_REVISION] = RSDP_REVISION_ACPI_2;
    put_u32(p + RSDP_RSDT_ADDRESS, (uint32_t)rsdt_gpa);
    put_u32(p + RSDP_LENGTH, RSDP_SIZE);
    put_u64(p + RSDP_XSDT_ADDRESS, xsdt_gpa);
    /* The first checksum covers the ACPI 1.0 part, the extended one all of
     * it, the first checksum included (5.2.5.3). */
    p[RSDP_CHECKSUM] = checksum_for(p, RSDP_V1_SIZE);
    p[RSDP_EXTENDED_CHECKSUM] = checksum_for(p, RSDP_SIZE);
}

/* No firmware waking vector, no global lock owner, no S4BIOS. */
static void write_facs(uint8_t *p)
{
    memcpy(p, FACS_SIGNATURE, SDT_SIGNATURE_LEN);
    put_u32(p + FACS_LENGTH, FACS_SIZE);
    p[FACS_VERSION] = FACS_VERSION_VALUE;
}

static void write_xsdt(uint8_t *t, uint64_t fadt_gpa, uint64_t madt_gpa, const char *oem_id)
{
    size_t length = SDT_HEADER_SIZE + NR_LISTED_TABLES * XSDT_ENTRY_SIZE;
    write_header(t, "XSDT", length, XSDT_REVISION, oem_id);
    put_u64(t + SDT_HEADER_SIZE, fadt_gpa);
    put_u64(t + SDT_HEADER_SIZE + XSDT_ENTRY_SIZE, madt_gpa);
    finish_table(t, length);
}

static void write_rsdt(uint8_t *t, uint64_t fadt_gpa, uint64_t madt_gpa, const char *oem_id)
{
    size_t length = SDT_HEADER_SIZE + NR_LISTED_TABLES * RSDT_ENTRY_SIZE;
    write_header(t, "RSDT", length, RSDT_REVISION, oem_id);
    put_u32(t + SDT_HEADER_SIZE, (uint32_t)fadt_gpa);
    put_u32(t + SDT_HEADER_SIZE + RSDT_ENTRY_SIZE, (uint32_t)madt_gpa);
    finish_table(t, length);
}

/* A block of `len` System I/O ports at `port`, accessed `access` units at a
 * time.  Its bit width must be the FADT's length field times 8, or OSes
 * take the two for a mismatch (5.2.9, the X_ fields). */
static void write_gas_io(uint8_t *g, uint16_t port, unsigned len, uint8_t access)
{
    g[GAS_SPACE_ID] = GAS_SPACE_SYSTEM_IO;
    g[GAS_BIT_WIDTH] = (uint8_t)(len * BITS_PER_BYTE);
    g[GAS_BIT_OFFSET] = 0;
    g[GAS_ACCESS_SIZE] = access;
    put_u64(g + GAS_ADDRESS, port);
}

/* A PM register block: the 32-bit port field, its length and its X_ twin. */
static void write_fadt_block(uint8_t *t, size_t blk, size_t len_field, size_t x_blk,
                             uint16_t port, unsigned len, uint8_t access)
{
    put_u32(t + blk, port);
    t[len_field] = (uint8_t)len;
    write_gas_io(t + x_blk, port, len, access);
}

static uint32_t fadt_flags(const struct acpi_machine *m)
{
    /* WBINVD works; C1 (HLT) is there; no fixed buttons and no RTC wake
     * status (guest/dev/acpi_pm.c sets neither); TMR_VAL_EXT is 0: the PM
     * timer has 24 bits. */
    uint32_t flags = FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_PWR_BUTTON | FADT_F_SLP_BUTTON |
                     FADT_F_FIX_RTC;
    if (m->reset_port)
        flags |= FADT_F_RESET_REG_SUP;
    return flags;
}

static void write_fadt(uint8_t *t, const struct acpi_machine *m, uint64_t facs_gpa,
                       uint64_t dsdt_gpa, const char *oem_id)
{
    write_header(t, "FACP", FADT_SIZE, FADT_REVISION, oem_id);
    t[FADT_MINOR_VERSION] = FADT_MINOR;

    /* Both the 32-bit and the 64-bit pointers, equal: an OS of either age
     * finds the same tables. */
    put_u32(t + FADT_FIRMWARE_CTRL, (uint32_t)facs_gpa);
    put_u64(t + FADT_X_FIRMWARE_CTRL, facs_gpa);
    put_u32(t + FADT_DSDT, (uint32_t)dsdt_gpa);
    put_u64(t + FADT_X_DSDT, dsdt_gpa);

    t[FADT_PREFERRED_PM_PROFILE] = PM_PROFILE_UNSPECIFIED;
    put_u16(t + FADT_SCI_INT, m->sci_irq);
    /* SMI_CMD = 0: no transition to make, the machine is in ACPI mode from
     * reset (ACPI_ENABLE and ACPI_DISABLE stay 0 too). */
    put_u32(t + FADT_SMI_CMD, 0);

    /* The PM1 status, enable and control registers are 16 bits each, the
     * timer 32 (4.8.4). */
    write_fadt_block(t, FADT_PM1A_EVT_BLK, FADT_PM1_EVT_LEN, FADT_X_PM1A_EVT_BLK,
                     m->pm1a_evt_port, ACPI_PM_EVT_LEN, GAS_ACCESS_WORD);
    write_fadt_block(t, FADT_PM1A_CNT_BLK, FADT_PM1_CNT_LEN, FADT_X_PM1A_CNT_BLK,
                     m->pm1a_cnt_port, ACPI_PM_CNT_LEN, GAS_ACCESS_WORD);
    write_fadt_block(t, FADT_PM_TMR_BLK, FADT_PM_TMR_LEN, FADT_X_PM_TMR_BLK, m->pm_tmr_port,
                     ACPI_PM_TMR_LEN, GAS_ACCESS_DWORD);

    put_u16(t + FADT_P_LVL2_LAT, P_LVL2_LAT_NONE);
    put_u16(t + FADT_P_LVL3_LAT, P_LVL3_LAT_NONE);
    t[FADT_DAY_ALRM] = 0;
    t[FADT_MON_ALRM] = 0;
    t[FADT_CENTURY] = RTC_CENTURY_INDEX;
    put_u16(t + FADT_IAPC_BOOT_ARCH, IAPC_LEGACY_DEVICES | IAPC_8042);
    put_u32(t + FADT_FLAGS, fadt_flags(m));

    if (m->reset_port) {
        write_gas_io(t + FADT_RESET_REG, m->reset_port, 1, GAS_ACCESS_BYTE);
        t[FADT_RESET_VALUE] = m->reset_value;
    }
    finish_table(t, FADT_SIZE);
}

static void write_dsdt(uint8_t *t, const char *oem_id)
{
    size_t length = SDT_HEADER_SIZE + sizeof(dsdt_aml);
    write_header(t, "DSDT", length, DSDT_REVISION, oem_id);
    memcpy(t + SDT_HEADER_SIZE, dsdt_aml, sizeof(dsdt_aml));
    finish_table(t, length);
}

/* Each MADT structure writer returns the structure's size. */

static size_t madt_local_apic(uint8_t *s, uint8_t processor_uid, uint8_t apic_id)
{
    s[ICS_TYPE] = LAPIC_TYPE;
    s[ICS_LENGTH] = LAPIC_SIZE;
    s[LAPIC_PROCESSOR_UID] = processor_uid;
    s[LAPIC_APIC_ID] = apic_id;
    put_u32(s + LAPIC_FLAGS, LAPIC_ENABLED);
    return LAPIC_SIZE;
}

static size_t madt_io_apic(uint8_t *s, const struct acpi_machine *m)
{
    s[ICS_TYPE] = IOAPIC_TYPE;
    s[ICS_LENGTH] = IOAPIC_SIZE;
    s[IOAPIC_ID] = m->ioapic_id;
    put_u32(s + IOAPIC_ADDRESS, (uint32_t)m->ioapic_base);
    put_u32(s + IOAPIC_GSI_BASE, m->ioapic_gsi_base);
    return IOAPIC_SIZE;
}

/* The SCI is level-triggered (5.2.9, SCI_INT), an ISA IRQ edge-triggered
 * unless overridden: the override keeps the IRQ on its own pin and makes it
 * level-triggered, active-high as keel's irq_line drives it. */
static size_t madt_sci_override(uint8_t *s, const struct acpi_machine *m)
{
    s[ICS_TYPE] = ISO_TYPE;
    s[ICS_LENGTH] = ISO_SIZE;
    s[ISO_BUS] = ISO_BUS_ISA;
    s[ISO_SOURCE] = m->sci_irq;
    put_u32(s + ISO_GSI, m->ioapic_gsi_base + m->sci_irq);
    put_u16(s + ISO_FLAGS, MPS_INTI_ACTIVE_HIGH | MPS_INTI_LEVEL);
    return ISO_SIZE;
}

/* LINT1 is wired to NMI on every processor, as on a PC. */
static size_t madt_lint1_nmi(uint8_t *s)
{
    s[ICS_TYPE] = LAPIC_NMI_TYPE;
    s[ICS_LENGTH] = LAPIC_NMI_SIZE;
    s[LAPIC_NMI_PROCESSOR_UID] = ALL_PROCESSORS_UID;
    put_u16(s + LAPIC_NMI_FLAGS, MPS_INTI_CONFORMS);
    s[LAPIC_NMI_LINT] = LINT1;
    return LAPIC_NMI_SIZE;
}

static void write_madt(uint8_t *t, const struct acpi_machine *m, const char *oem_id)
{
    size_t length = madt_size(m->nr_cpus);
    write_header(t, "APIC", length, MADT_REVISION, oem_id);
    put_u32(t + MADT_LOCAL_APIC_ADDRESS, (uint32_t)m->lapic_base);
    put_u32(t + MADT_FLAGS, MADT_PCAT_COMPAT);

    size_t off = MADT_HEADER_SIZE;
    for (unsigned i = 0; i < m->nr_cpus; i++) {
        uint8_t apic_id = m->apic_ids ? m->apic_ids[i] : (uint8_t)i;
        off += madt_local_apic(t + off, (uint8_t)i, apic_id);
    }
    off += madt_io_apic(t + off, m);
    off += madt_sci_override(t + off, m);
    off += madt_lint1_nmi(t + off);
    finish_table(t, off);
}

/* ---- Building ---------------------------------------------------------- */

static bool machine_describable(const struct acpi_machine *m)
{
    return m->nr_cpus >= 1 && m->nr_cpus <= ACPI_MAX_CPUS && m->lapic_base < ADDRESS_LIMIT &&
           m->ioapic_base < ADDRESS_LIMIT;
}

size_t acpi_tables_build(void *buf, size_t size, uint64_t gpa, const struct acpi_machine *m)
{
    if (!machine_describable(m) || gpa % ACPI_RSDP_ALIGN != 0 || gpa >= ADDRESS_LIMIT)
        return 0;
    struct acpi_layout l = plan_layout(gpa, m->nr_cpus);
    if (l.end > size || l.end > ADDRESS_LIMIT - gpa)
        return 0;

    const char *oem_id = m->oem_id ? m->oem_id : DEFAULT_OEM_ID;
    uint8_t *b = buf;
    memset(b, 0, l.end);
    write_facs(b + l.facs);
    write_dsdt(b + l.dsdt, oem_id);
    write_madt(b + l.madt, m, oem_id);
    write_fadt(b + l.fadt, m, gpa + l.facs, gpa + l.dsdt, oem_id);
    write_xsdt(b + l.xsdt, gpa + l.fadt, gpa + l.madt, oem_id);
    write_rsdt(b + l.rsdt, gpa + l.fadt, gpa + l.madt, oem_id);
    write_rsdp(b + l.rsdp, gpa + l.rsdt, gpa + l.xsdt, oem_id);
    return l.end;
}
