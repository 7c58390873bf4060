/*
 * Host tests for guest/acpi_tables.c, the ACPI tables keel gives its guests.
 *
 * The tables are built into a model of the guest's BIOS area (guest-physical
 * 0xE0000-0xFFFFF) and read back as an OS reads them: the RSDP found by a
 * scan at 16-byte steps, every pointer followed through guest addresses,
 * every length and checksum verified before the bytes are used.  Offsets and
 * values are written out as numbers from the ACPI 6.4 specification's
 * tables (5.2.5.3 RSDP, 5.2.6 header, 5.2.9 FADT, 5.2.10 FACS, 5.2.12 MADT,
 * 5.2.3.2 GAS, 20.2 AML), not taken from the builder's constants.
 */
#include "tests/unit/unit.h"

#include <stdbool.h>

#include "guest/acpi_tables.c"

#define AREA_GPA  UINT64_C(0xe0000)
#define AREA_SIZE 0x20000u

/* ------------------------------------------------------------------------ */
/* Guest memory and little readers                                          */

struct guest_area {
    uint64_t gpa;
    uint8_t bytes[AREA_SIZE];
};

static struct guest_area area;

/* The `len` bytes at guest address gpa, or NULL when any is outside the
 * area. */
static const uint8_t *at(uint64_t gpa, size_t len)
{
    if (gpa < area.gpa || gpa - area.gpa > AREA_SIZE || len > AREA_SIZE - (gpa - area.gpa))
        return NULL;
    return area.bytes + (gpa - area.gpa);
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16;
}

static uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static uint8_t sum8(const uint8_t *p, size_t len)
{
    uint8_t s = 0;
    for (size_t i = 0; i < len; i++)
        s = (uint8_t)(s + p[i]);
    return s;
}

/* keel's PC: two vCPUs with APIC IDs 0 and 2 (any IDs will do). */
static const uint8_t two_ids[] = { 0, 2 };

static struct acpi_machine pc_machine(void)
{
    return (struct acpi_machine){
        .nr_cpus = 2,
        .apic_ids = two_ids,
        .lapic_base = 0xfee00000,
        .ioapic_id = 1,
        .ioapic_base = 0xfec00000,
        .ioapic_gsi_base = 0,
        .pm1a_evt_port = 0x600,
        .pm1a_cnt_port = 0x604,
        .pm_tmr_port = 0x608,
        .sci_irq = 9,
        .reset_port = 0xcf9,
        .reset_value = 0x06,
        .oem_id = "KEEL",
    };
}

/* Builds m's tables at `gpa` (inside the area, which is cleared first) and
 * returns the size used. */
static size_t build_at(uint64_t gpa, const struct acpi_machine *m)
{
    memset(&area, 0, sizeof(area));
    area.gpa = AREA_GPA;
    return acpi_tables_build(area.bytes + (gpa - AREA_GPA), AREA_SIZE - (gpa - AREA_GPA), gpa, m);
}

/* ------------------------------------------------------------------------ */
/* The OS's side: find the RSDP, load tables                                */

/* 5.2.5.1: the RSDP is on a 16-byte boundary of 0xE0000-0xFFFFF, with the
 * signature "RSD PTR " and a checksum over its first 20 bytes. */
static uint64_t scan_for_rsdp(void)
{
    for (uint64_t gpa = AREA_GPA; gpa + 20 <= AREA_GPA + AREA_SIZE; gpa += 16) {
        const uint8_t *p = at(gpa, 20);
        if (memcmp(p, "RSD PTR ", 8) == 0 && sum8(p, 20) == 0)
            return gpa;
    }
    return 0;
}

struct table {
    const uint8_t *p;
    uint32_t len;
};

/* The table at gpa, checked as an OS checks it before use: the signature,
 * a length of at least the 36-byte header and within memory, a zero sum. */
static struct table load(uint64_t gpa, const char *sig)
{
    struct table t = { NULL, 0 };
    const uint8_t *h = at(gpa, 36);
    if (!h) {
        UNIT_FAIL("%s at 0x%" PRIx64 ": outside the BIOS area", sig, gpa);
        return t;
    }
    if (memcmp(h, sig, 4) != 0) {
        UNIT_FAIL("table at 0x%" PRIx64 ": signature %.4s, not %s", gpa, (const char *)h, sig);
        return t;
    }
    uint32_t len = rd32(h + 4);
    const uint8_t *p = len >= 36 ? at(gpa, len) : NULL;
    if (!p) {
        UNIT_FAIL("%s at 0x%" PRIx64 ": bad length %u", sig, gpa, len);
        return t;
    }
    if (sum8(p, len) != 0) {
        UNIT_FAIL("%s at 0x%" PRIx64 ": checksum off by %u", sig, gpa, sum8(p, len));
        return t;
    }
    t.p = p;
    t.len = len;
    return t;
}

/* What a walk from the RSDP finds. */
struct found {
    uint64_t rsdp;
    struct table rsdt, xsdt, fadt, madt, dsdt;
    uint64_t fadt_gpa, madt_gpa, dsdt_gpa, facs_gpa;
};

/* Follows the XSDT (as an ACPI 2.0+ OS does) to the FADT and the MADT and
 * the FADT to the DSDT; checks the RSDT lists the very same tables. */
static struct found walk(void)
{
    struct found f;
    memset(&f, 0, sizeof(f));
    f.rsdp = scan_for_rsdp();
    const uint8_t *rsdp = f.rsdp ? at(f.rsdp, 36) : NULL;
    if (!rsdp) {
        UNIT_FAIL("no RSDP found");
        return f;
    }
    f.rsdt = load(rd32(rsdp + 16), "RSDT");
    f.xsdt = load(rd64(rsdp + 24), "XSDT");
    if (!f.rsdt.p || !f.xsdt.p)
        return f;
    CHECK_EQ_U((f.rsdt.len - 36) / 4, 2);
    CHECK_EQ_U((f.xsdt.len - 36) / 8, 2);
    for (unsigned i = 0; i < (f.xsdt.len - 36) / 8; i++) {
        uint64_t x = rd64(f.xsdt.p + 36 + 8 * i);
        CHECK_EQ_U(rd32(f.rsdt.p + 36 + 4 * i), x);
        const uint8_t *sig = at(x, 4);
        if (sig && memcmp(sig, "FACP", 4) == 0 && !f.fadt_gpa)
            f.fadt_gpa = x;
        else if (sig && memcmp(sig, "APIC", 4) == 0 && !f.madt_gpa)
            f.madt_gpa = x;
        else
            UNIT_FAIL("XSDT entry %u (0x%" PRIx64 "): not a first FADT or MADT", i, x);
    }
    if (!f.fadt_gpa || !f.madt_gpa) {
        UNIT_FAIL("XSDT lacks the FADT or the MADT");
        return f;
    }
    f.fadt = load(f.fadt_gpa, "FACP");
    f.madt = load(f.madt_gpa, "APIC");
    if (!f.fadt.p || f.fadt.len < 244)
        return f;
    f.dsdt_gpa = rd64(f.fadt.p + 140);
    f.facs_gpa = rd64(f.fadt.p + 132);
    f.dsdt = load(f.dsdt_gpa, "DSDT");
    return f;
}

/* ------------------------------------------------------------------------ */
/* RSDP, RSDT, XSDT                                                         */

TEST(rsdp_is_found_by_scan_with_both_checksums)
{
    const struct acpi_machine m = pc_machine();
    size_t used = build_at(AREA_GPA, &m);
    CHECK(used > 0);
    CHECK_EQ_U(scan_for_rsdp(), AREA_GPA);
    const uint8_t *r = area.bytes;
    CHECK_EQ_U(r[15], 2);                       /* revision: ACPI 2.0+ */
    CHECK_EQ_U(rd32(r + 20), 36);               /* length */
    CHECK_EQ_U(sum8(r, 20), 0);
    CHECK_EQ_U(sum8(r, 36), 0);
    CHECK(memcmp(r + 9, "KEEL  ", 6) == 0);
    CHECK_EQ_U(r[33] | r[34] | r[35], 0);       /* reserved */
    /* Both table addresses, inside what was built. */
    CHECK(rd32(r + 16) > AREA_GPA && rd32(r + 16) < AREA_GPA + used);
    CHECK(rd64(r + 24) > AREA_GPA && rd64(r + 24) < AREA_GPA + used);
}

TEST(rsdp_is_found_anywhere_on_a_16_byte_boundary)
{
    const struct acpi_machine m = pc_machine();
    uint64_t gpa = AREA_GPA + 0x1230;
    CHECK(build_at(gpa, &m) > 0);
    CHECK_EQ_U(scan_for_rsdp(), gpa);
    struct found f = walk();
    CHECK(f.fadt.p && f.madt.p && f.dsdt.p);
}

TEST(rsdt_and_xsdt_lead_to_the_same_fadt_and_madt)
{
    const struct acpi_machine m = pc_machine();
    CHECK(build_at(AREA_GPA, &m) > 0);
    struct found f = walk();
    CHECK(f.rsdt.p && f.xsdt.p && f.fadt.p && f.madt.p);
    if (!f.rsdt.p || !f.xsdt.p)
        return;
    CHECK_EQ_U(f.rsdt.len, 36 + 2 * 4);
    CHECK_EQ_U(f.xsdt.len, 36 + 2 * 8);
    CHECK_EQ_U(f.rsdt.p[8], 1);                 /* revisions */
    CHECK_EQ_U(f.xsdt.p[8], 1);
}

TEST(every_table_has_keels_header)
{
    struct acpi_machine m = pc_machine();
    m.oem_id = "ACME";
    CHECK(build_at(AREA_GPA, &m) > 0);
    struct found f = walk();
    const struct table all[] = { f.rsdt, f.xsdt, f.fadt, f.madt, f.dsdt };
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        if (!all[i].p) {
            UNIT_FAIL("table %zu missing", i);
            continue;
        }
        CHECK(memcmp(all[i].p + 10, "ACME  ", 6) == 0);     /* OEMID */
        CHECK(memcmp(all[i].p + 16, "KEELVM  ", 8) == 0);   /* OEM Table ID */
        CHECK_EQ_U(rd32(all[i].p + 24), 1);                 /* OEM Revision */
        CHECK(memcmp(all[i].p + 28, "KEEL", 4) == 0);       /* Creator ID */
    }
    CHECK(memcmp(area.bytes + 9, "ACME  ", 6) == 0);        /* RSDP OEMID */
}

TEST(oem_id_is_cut_or_padded_to_six)
{
    struct acpi_machine m = pc_machine();
    m.oem_id = "LONGOEMID";
    CHECK(build_at(AREA_GPA, &m) > 0);
    CHECK(memcmp(area.bytes + 9, "LONGOE", 6) == 0);
    struct found f = walk();
    CHECK(f.fadt.p && memcmp(f.fadt.p + 10, "LONGOE", 6) == 0);
    m.oem_id = NULL;
    CHECK(build_at(AREA_GPA, &m) > 0);
    CHECK(memcmp(area.bytes + 9, "KEEL  ", 6) == 0);
}

/* ------------------------------------------------------------------------ */
/* FADT and FACS                                                            */

/* A System I/O Generic Address Structure of `bits` at `port`. */
static void check_io_gas(const uint8_t *g, uint16_t port, unsigned bits, unsigned access)
{
    CHECK_EQ_U(g[0], 1);                        /* System I/O */
    CHECK_EQ_U(g[1], bits);
    CHECK_EQ_U(g[2], 0);                        /* bit offset */
    CHECK_EQ_U(g[3], access);
    CHECK_EQ_U(rd64(g + 4), port);
}

TEST(fadt_points_to_dsdt_and_facs_both_ways)
{
    const struct acpi_machine m = pc_machine();
    CHECK(build_at(AREA_GPA, &m) > 0);
    struct found f = walk();
    if (!f.fadt.p)
        return;
    const uint8_t *t = f.fadt.p;
    CHECK_EQ_U(f.fadt.len, 276);
    CHECK(t[8] >= 3);                           /* revision */
    CHECK_EQ_U(t[8], 6);
    CHECK_EQ_U(t[131], 0);                      /* minor version: 6.0 */
    CHECK_EQ_U(rd32(t + 40), f.dsdt_gpa);       /* DSDT == X_DSDT */
    CHECK(f.dsdt.p != NULL);
    CHECK_EQ_U(rd32(t + 36), f.facs_gpa);       /* FIRMWARE_CTRL == X_FIRMWARE_CTRL */
    CHECK_EQ_U(f.facs_gpa % 64, 0);
    const uint8_t *facs = at(f.facs_gpa, 64);
    CHECK(facs != NULL);
    if (facs) {
        CHECK(memcmp(facs, "FACS", 4) == 0);
        CHECK_EQ_U(rd32(facs + 4), 64);
        CHECK_EQ_U(rd32(facs + 12), 0);         /* no firmware waking vector */
        CHECK_EQ_U(rd32(facs + 16), 0);         /* global lock free */
        CHECK_EQ_U(rd32(facs + 20), 0);         /* no S4BIOS, no 64-bit wake */
        CHECK_EQ_U(facs[32], 2);                /* version */
    }
}

TEST(fadt_describes_the_pm_block_and_acpi_mode)
{
    const struct acpi_machine m = pc_machine();
    CHECK(build_at(AREA_GPA, &m) > 0);
    struct found f = walk();
    if (!f.fadt.p)
        return;
    const uint8_t *t = f.fadt.p;
    CHECK_EQ_U(rd16(t + 46), 9);                /* SCI_INT */
    CHECK_EQ_U(rd32(t + 48), 0);                /* SMI_CMD: always in ACPI mode */
    CHECK_EQ_U(t[52], 0);                       /* ACPI_ENABLE */
    CHECK_EQ_U(t[53], 0);                       /* ACPI_DISABLE */
    CHECK_EQ_U(rd32(t + 56), 0x600);            /* PM1a_EVT_BLK */
    CHECK_EQ_U(rd32(t + 60), 0);                /* PM1b_EVT_BLK */
    CHECK_EQ_U(rd32(t + 64), 0x604);            /* PM1a_CNT_BLK */
    CHECK_EQ_U(rd32(t + 68), 0);                /* PM1b_CNT_BLK */
    CHECK_EQ_U(rd32(t + 72), 0);                /* PM2_CNT_BLK */
    CHECK_EQ_U(rd32(t + 76), 0x608);            /* PM_TMR_BLK */
    CHECK_EQ_U(rd32(t + 80), 0);                /* GPE0_BLK */
    CHECK_EQ_U(rd32(t + 84), 0);                /* GPE1_BLK */
    CHECK_EQ_U(t[88], 4);                       /* PM1_EVT_LEN */
    CHECK_EQ_U(t[89], 2);                       /* PM1_CNT_LEN */
    CHECK_EQ_U(t[90], 0);                       /* PM2_CNT_LEN */
    CHECK_EQ_U(t[91], 4);                       /* PM_TMR_LEN */
    CHECK_EQ_U(t[92], 0);                       /* GPE0_BLK_LEN */
    CHECK(rd16(t + 96) > 100);                  /* P_LVL2_LAT: no C2 */
    CHECK(rd16(t + 98) > 1000);                 /* P_LVL3_LAT: no C3 */
    CHECK_EQ_U(t[108], 0x32);                   /* CENTURY */
    check_io_gas(t + 148, 0x600, 32, 2);        /* X_PM1a_EVT_BLK */
    check_io_gas(t + 172, 0x604, 16, 2);        /* X_PM1a_CNT_BLK */
    check_io_gas(t + 208, 0x608, 32, 3);        /* X_PM_TMR_BLK */
    const uint8_t zero_gas[12] = { 0 };
    CHECK(memcmp(t + 160, zero_gas, 12) == 0);  /* X_PM1b_EVT_BLK */
    CHECK(memcmp(t + 184, zero_gas, 12) == 0);  /* X_PM1b_CNT_BLK */
    CHECK(memcmp(t + 220, zero_gas, 12) == 0);  /* X_GPE0_BLK */
}

TEST(fadt_flags_and_boot_architecture)
{
    const struct acpi_machine m = pc_machine();
    CHECK(build_at(AREA_GPA, &m) > 0);
    struct found f = walk();
    if (!f.fadt.p)
        return;
    const uint8_t *t = f.fadt.p;
    uint32_t flags = rd32(t + 112);
    CHECK(flags & (1u << 0));                   /* WBINVD */
    CHECK(flags & (1u << 2));                   /* PROC_C1 */
    CHECK(flags & (1u << 4));                   /* PWR_BUTTON: no fixed button */
    CHECK(flags & (1u << 5));                   /* SLP_BUTTON: no fixed button */
    CHECK(flags & (1u << 6));                   /* FIX_RTC: no RTC_STS */
    CHECK(!(flags & (1u << 8)));                /* TMR_VAL_EXT: 24-bit timer */
    CHECK(flags & (1u << 10));                  /* RESET_REG_SUP */
    CHECK(!(flags & (1u << 20)));               /* not HW_REDUCED_ACPI */
    CHECK_EQ_U(flags, 0x475);
    /* IAPC_BOOT_ARCH: LEGACY_DEVICES and 8042, nothing said absent. */
    CHECK_EQ_U(rd16(t + 109), 0x0003);
    /* RESET_REG: one byte at I/O port 0xCF9, value 0x06. */
    check_io_gas(t + 116, 0xcf9, 8, 1);
    CHECK_EQ_U(t[128], 0x06);
}

TEST(fadt_without_reset_port_has_no_reset_register)
{
    struct acpi_machine m = pc_machine();
    m.reset_port = 0;
    CHECK(build_at(AREA_GPA, &m) > 0);
    struct found f = walk();
    if (!f.fadt.p)
        return;
    const uint8_t zero_gas[12] = { 0 };
    CHECK(!(rd32(f.fadt.p + 112) & (1u << 10)));
    CHECK(memcmp(f.fadt.p + 116, zero_gas, 12) == 0);
    CHECK_EQ_U(f.fadt.p[128], 0);
}

/* ------------------------------------------------------------------------ */
/* DSDT                                                                     */

/* PkgLength (20.2.4) at p: its value and how many bytes it takes. */
static bool decode_pkg_length(const uint8_t *p, size_t avail, uint32_t *value, size_t *size)
{
    if (avail < 1)
        return false;
    size_t extra = p[0] >> 6;
    if (avail < 1 + extra)
        return false;
    if (extra == 0) {
        *value = p[0] & 0x3f;
    } else {
        *value = p[0] & 0x0f;
        for (size_t i = 1; i <= extra; i++)
            *value |= (uint32_t)p[i] << (4 + 8 * (i - 1));
    }
    *size = 1 + extra;
    return true;
}

/* One integer package element (20.2.3): ZeroOp, OneOp or BytePrefix data. */
static bool decode_integer(const uint8_t **p, const uint8_t *end, unsigned *value)
{
    if (*p >= end)
        return false;
    switch (**p) {
    case 0x00: *value = 0; *p += 1; return true;
    case 0x01: *value = 1; *p += 1; return true;
    case 0x0a:
        if (end - *p < 2)
            return false;
        *value = (*p)[1];
        *p += 2;
        return true;
    default:
        return false;
    }
}

TEST(dsdt_aml_is_exactly_name_s5_package)
{
    const struct acpi_machine m = pc_machine();
    CHECK(build_at(AREA_GPA, &m) > 0);
    struct found f = walk();
    if (!f.dsdt.p)
        return;
    CHECK_EQ_U(f.dsdt.p[8], 2);                 /* revision: 64-bit integers */
    const uint8_t *p = f.dsdt.p + 36, *end = f.dsdt.p + f.dsdt.len;
    /* DefName: NameOp, then NameString "\_S5_". */
    CHECK(end - p >= 6 && p[0] == 0x08 && memcmp(p + 1, "\\_S5_", 5) == 0);
    p += 6;
    /* DefPackage: PackageOp PkgLength NumElements PackageElementList. */
    CHECK(p < end && p[0] == 0x12);
    p++;
    uint32_t pkg_len = 0;
    size_t len_size = 0;
    CHECK(decode_pkg_length(p, (size_t)(end - p), &pkg_len, &len_size));
    CHECK_EQ_U(pkg_len, (size_t)(end - p));     /* the package ends the table */
    p += len_size;
    CHECK(p < end && *p == 4);                  /* NumElements */
    p++;
    unsigned values[4] = { 99, 99, 99, 99 };
    for (unsigned i = 0; i < 4; i++)
        CHECK(decode_integer(&p, end, &values[i]));
    CHECK(p == end);
    CHECK_EQ_U(values[0], 5);                   /* SLP_TYPa for S5 */
    CHECK_EQ_U(values[1], 5);                   /* SLP_TYPb */
    CHECK_EQ_U(values[2], 0);
    CHECK_EQ_U(values[3], 0);
    /* The value the PM register block takes as "power off". */
    CHECK_EQ_U(values[0], ACPI_PM_SLP_TYP_S5);
}

/* ------------------------------------------------------------------------ */
/* MADT                                                                     */

struct madt_seen {
    unsigned lapics, ioapics, overrides, nmis, others;
    uint8_t uid[256], apic_id[256];
    uint32_t lapic_flags[256];
    const uint8_t *ioapic, *override, *nmi;
};

/* Walks the interrupt controller structures, checking each one's length
 * against its type (5.2.12.2-5.2.12.7) and that they exactly fill the
 * table. */
static struct madt_seen walk_madt(const struct table *t)
{
    struct madt_seen s;
    memset(&s, 0, sizeof(s));
    size_t off = 44;
    while (off + 2 <= t->len) {
        const uint8_t *e = t->p + off;
        uint8_t type = e[0], len = e[1];
        if (len < 2 || off + len > t->len) {
            UNIT_FAIL("MADT structure at %zu: length %u runs past the table", off, len);
            return s;
        }
        switch (type) {
        case 0:
            CHECK_EQ_U(len, 8);
            if (s.lapics < 256) {
                s.uid[s.lapics] = e[2];
                s.apic_id[s.lapics] = e[3];
                s.lapic_flags[s.lapics] = rd32(e + 4);
            }
            s.lapics++;
            break;
        case 1:
            CHECK_EQ_U(len, 12);
            s.ioapics++;
            s.ioapic = e;
            break;
        case 2:
            CHECK_EQ_U(len, 10);
            s.overrides++;
            s.override = e;
            break;
        case 4:
            CHECK_EQ_U(len, 6);
            s.nmis++;
            s.nmi = e;
            break;
        default:
            s.others++;
            break;
        }
        off += len;
    }
    CHECK_EQ_U(off, t->len);
    return s;
}

TEST(madt_header_and_controllers)
{
    const struct acpi_machine m = pc_machine();
    CHECK(build_at(AREA_GPA, &m) > 0);
    struct found f = walk();
    if (!f.madt.p)
        return;
    CHECK_EQ_U(rd32(f.madt.p + 36), 0xfee00000);    /* local APIC address */
    CHECK_EQ_U(rd32(f.madt.p + 40), 1);             /* PCAT_COMPAT */
    struct madt_seen s = walk_madt(&f.madt);
    CHECK_EQ_U(s.lapics, 2);
    CHECK_EQ_U(s.uid[0], 0);
    CHECK_EQ_U(s.uid[1], 1);
    CHECK_EQ_U(s.apic_id[0], 0);
    CHECK_EQ_U(s.apic_id[1], 2);
    CHECK_EQ_U(s.lapic_flags[0], 1);                /* enabled */
    CHECK_EQ_U(s.lapic_flags[1], 1);
    CHECK_EQ_U(s.ioapics, 1);
    if (s.ioapic) {
        CHECK_EQ_U(s.ioapic[2], 1);                 /* I/O APIC ID */
        CHECK_EQ_U(s.ioapic[3], 0);                 /* reserved */
        CHECK_EQ_U(rd32(s.ioapic + 4), 0xfec00000);
        CHECK_EQ_U(rd32(s.ioapic + 8), 0);          /* GSI base */
    }
    /* One override, for the SCI alone (IRQ 0 stays on pin 0). */
    CHECK_EQ_U(s.overrides, 1);
    if (s.override) {
        CHECK_EQ_U(s.override[2], 0);               /* bus: ISA */
        CHECK_EQ_U(s.override[3], 9);               /* source IRQ */
        CHECK_EQ_U(rd32(s.override + 4), 9);        /* GSI */
        CHECK_EQ_U(rd16(s.override + 8), 0x000d);   /* level, active high */
    }
    CHECK_EQ_U(s.nmis, 1);
    if (s.nmi) {
        CHECK_EQ_U(s.nmi[2], 0xff);                 /* all processors */
        CHECK_EQ_U(rd16(s.nmi + 3), 0);             /* flags: conforming */
        CHECK_EQ_U(s.nmi[5], 1);                    /* LINT1 */
    }
    CHECK_EQ_U(s.others, 0);
}

TEST(madt_without_apic_ids_numbers_them_by_vcpu)
{
    struct acpi_machine m = pc_machine();
    m.nr_cpus = 5;
    m.apic_ids = NULL;
    CHECK(build_at(AREA_GPA, &m) > 0);
    struct found f = walk();
    if (!f.madt.p)
        return;
    struct madt_seen s = walk_madt(&f.madt);
    CHECK_EQ_U(s.lapics, 5);
    for (unsigned i = 0; i < 5; i++) {
        CHECK_EQ_U(s.uid[i], i);
        CHECK_EQ_U(s.apic_id[i], i);
    }
}

TEST(madt_override_follows_the_gsi_base_and_sci)
{
    struct acpi_machine m = pc_machine();
    m.ioapic_gsi_base = 24;
    m.sci_irq = 11;
    CHECK(build_at(AREA_GPA, &m) > 0);
    struct found f = walk();
    if (!f.madt.p || !f.fadt.p)
        return;
    CHECK_EQ_U(rd16(f.fadt.p + 46), 11);
    struct madt_seen s = walk_madt(&f.madt);
    CHECK(s.ioapic && rd32(s.ioapic + 8) == 24);
    CHECK(s.override && s.override[3] == 11 && rd32(s.override + 4) == 35);
}

TEST(madt_holds_255_vcpus_in_4k_and_8_in_1k)
{
    static uint8_t ids[255];
    for (unsigned i = 0; i < 255; i++)
        ids[i] = (uint8_t)(254 - i);
    struct acpi_machine m = pc_machine();
    m.nr_cpus = 255;
    m.apic_ids = ids;
    size_t used = build_at(AREA_GPA, &m);
    CHECK(used > 0 && used <= 4096);
    struct found f = walk();
    if (f.madt.p) {
        struct madt_seen s = walk_madt(&f.madt);
        CHECK_EQ_U(s.lapics, 255);
        CHECK_EQ_U(s.uid[254], 254);
        CHECK_EQ_U(s.apic_id[254], 0);
        CHECK_EQ_U(s.apic_id[0], 254);
    }
    m.nr_cpus = 8;
    used = build_at(AREA_GPA, &m);
    CHECK(used > 0 && used <= 1024);
}

/* ------------------------------------------------------------------------ */
/* Buffers and addresses                                                    */

TEST(too_small_buffer_returns_0_and_writes_nothing)
{
    const struct acpi_machine m = pc_machine();
    static uint8_t buf[8192];
    size_t need = acpi_tables_build(buf, sizeof(buf), AREA_GPA, &m);
    CHECK(need > 0 && need < sizeof(buf));
    memset(buf, 0xaa, sizeof(buf));
    CHECK_EQ_U(acpi_tables_build(buf, need - 1, AREA_GPA, &m), 0);
    CHECK_EQ_U(acpi_tables_build(buf, 0, AREA_GPA, &m), 0);
    size_t untouched = 0;
    while (untouched < sizeof(buf) && buf[untouched] == 0xaa)
        untouched++;
    CHECK_EQ_U(untouched, sizeof(buf));
    /* Exactly enough works, and nothing past it is written. */
    CHECK_EQ_U(acpi_tables_build(buf, need, AREA_GPA, &m), need);
    CHECK(buf[need] == 0xaa && buf[sizeof(buf) - 1] == 0xaa);
    CHECK(memcmp(buf, "RSD PTR ", 8) == 0);
}

TEST(undescribable_machines_and_addresses_give_0)
{
    static uint8_t buf[8192];
    struct acpi_machine m = pc_machine();
    m.nr_cpus = 0;
    CHECK_EQ_U(acpi_tables_build(buf, sizeof(buf), AREA_GPA, &m), 0);
    m = pc_machine();
    m.nr_cpus = 256;
    m.apic_ids = NULL;
    CHECK_EQ_U(acpi_tables_build(buf, sizeof(buf), AREA_GPA, &m), 0);
    m = pc_machine();
    m.lapic_base = UINT64_C(0x100000000);
    CHECK_EQ_U(acpi_tables_build(buf, sizeof(buf), AREA_GPA, &m), 0);
    m = pc_machine();
    m.ioapic_base = UINT64_C(0x1fec00000);
    CHECK_EQ_U(acpi_tables_build(buf, sizeof(buf), AREA_GPA, &m), 0);
    m = pc_machine();
    /* The RSDP must be 16-byte aligned. */
    CHECK_EQ_U(acpi_tables_build(buf, sizeof(buf), AREA_GPA + 8, &m), 0);
    /* The tables must end below 4 GiB (32-bit RSDT and FADT pointers). */
    CHECK_EQ_U(acpi_tables_build(buf, sizeof(buf), UINT64_C(0xffffff00), &m), 0);
    CHECK_EQ_U(acpi_tables_build(buf, sizeof(buf), UINT64_C(0x100000000), &m), 0);
    CHECK(acpi_tables_build(buf, sizeof(buf), UINT64_C(0xfffff000), &m) > 0);
}

/* Built for another guest address (16- but not 64-byte aligned), the tables
 * point at that address's copies and the FACS is still 64-byte aligned. */
TEST(pointers_are_guest_addresses_of_the_copy)
{
    const struct acpi_machine m = pc_machine();
    uint64_t gpa = AREA_GPA + 0x10;
    size_t used = build_at(gpa, &m);
    CHECK(used > 0);
    struct found f = walk();
    CHECK(f.rsdp == gpa);
    CHECK(f.fadt.p && f.madt.p && f.dsdt.p);
    CHECK_EQ_U(f.facs_gpa % 64, 0);
    CHECK(f.facs_gpa > gpa && f.facs_gpa + 64 <= gpa + used);
    CHECK(f.madt_gpa + f.madt.len <= gpa + used);
    CHECK(f.dsdt_gpa + f.dsdt.len <= gpa + used);
}
