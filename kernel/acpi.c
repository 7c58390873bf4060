/*
 * RSDP -> XSDT/RSDT -> FADT -> DSDT -> \_S5, for power-off and reset
 * (contract in kernel/acpi.h).  Pure logic: memory comes through the reader.
 *
 * Section numbers are those of the ACPI 6.5 specification.  Multi-byte table
 * fields are little-endian and often unaligned, so they are assembled byte
 * by byte.
 */
#include "kernel/acpi.h"

#include <stdarg.h>

#include "lib/format.h"
#include "lib/string.h"

/* ---- Layouts --------------------------------------------------------- */

/* RSDP (5.2.5.3). */
#define RSDP_SIGNATURE          "RSD PTR "
#define RSDP_SIGNATURE_LEN      8
#define RSDP_V1_SIZE            20      /* covered by the first checksum */
#define RSDP_V2_SIZE            36
#define RSDP_OEMID              9
#define RSDP_REVISION           15
#define RSDP_RSDT_ADDRESS       16
#define RSDP_LENGTH             20
#define RSDP_XSDT_ADDRESS       24
/* Where the BIOS may put it (5.2.5.1): the first KiB of the EBDA, whose real-
 * mode segment is the word at 0x40E, and 0xE0000-0xFFFFF; 16-byte aligned. */
#define BDA_EBDA_SEGMENT        0x40e
#define EBDA_SCAN_LEN           1024
#define EBDA_LIMIT              0xa0000 /* the EBDA lies below the VGA hole */
#define BIOS_AREA_START         0xe0000
#define BIOS_AREA_LEN           0x20000
#define RSDP_ALIGN              16

/* System description table header (5.2.6). */
#define SDT_HEADER_SIZE         36
#define SDT_LENGTH              4
#define SDT_SIGNATURE_LEN       4
/* Generous upper bound: a length beyond it is corruption, not a table. */
#define SDT_MAX_LEN             (16u << 20)

/* FADT (5.2.9): byte offsets of the fields keel uses. */
#define FADT_DSDT               40
#define FADT_SMI_CMD            48
#define FADT_ACPI_ENABLE        52
#define FADT_PM1A_CNT_BLK       64
#define FADT_PM1B_CNT_BLK       68
#define FADT_FLAGS              112
#define FADT_V1_SIZE            116     /* ACPI 1.0 FADT ends after Flags */
#define FADT_RESET_REG          116
#define FADT_RESET_VALUE        128
#define FADT_X_DSDT             140
#define FADT_X_PM1A_CNT_BLK     172
#define FADT_X_PM1B_CNT_BLK     184
#define FADT_FLAG_RESET_REG_SUP (1u << 10)

/* Generic Address Structure (5.2.3.2). */
#define GAS_SIZE                12
#define GAS_SPACE_ID            0
#define GAS_BIT_WIDTH           1
#define GAS_ADDRESS             4

/* AML encodings (20.2). */
#define AML_ZERO_OP             0x00
#define AML_ONE_OP              0x01
#define AML_NAME_OP             0x08
#define AML_BYTE_PREFIX         0x0a
#define AML_WORD_PREFIX         0x0b
#define AML_DWORD_PREFIX        0x0c
#define AML_QWORD_PREFIX        0x0e
#define AML_PACKAGE_OP          0x12
#define AML_ROOT_CHAR           0x5c    /* '\' */
#define AML_ONES_OP             0xff
#define AML_NAMESEG_LEN         4
#define AML_PKGLEN_FOLLOW_SHIFT 6       /* bits 7:6 of the lead byte */
#define AML_PKGLEN_SHORT_MASK   0x3f    /* one-byte form: bits 5:0 */
#define AML_PKGLEN_RESERVED     0x30    /* multi-byte form: bits 5:4 must be 0 */
#define AML_PKGLEN_LOW_MASK     0x0f    /* multi-byte form: bits 3:0 */
#define SLP_TYP_MAX             7       /* SLP_TYPx is a 3-bit field */

#define IO_PORT_MAX             0xffffu

/* ---- Little helpers -------------------------------------------------- */

static uint16_t get_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static uint64_t get_u64(const uint8_t *p)
{
    return (uint64_t)get_u32(p) | ((uint64_t)get_u32(p + 4) << 32);
}

bool acpi_checksum_ok(const void *p, size_t len)
{
    const uint8_t *b = p;
    uint8_t sum = 0;

    for (size_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + b[i]);
    return sum == 0;
}

static void note_problem(struct acpi_power *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void note_problem(struct acpi_power *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(out->problem, sizeof(out->problem), fmt, ap);
    va_end(ap);
}

/* ---- RSDP ------------------------------------------------------------ */

struct rsdp_info {
    uint8_t revision;
    uint32_t rsdt;
    uint64_t xsdt;              /* 0 unless a checksummed ACPI 2.0 part was seen */
    char oem_id[7];
};

/*
 * Validates an RSDP candidate of avail readable bytes.  The ACPI 1.0 part must
 * carry the signature and a good checksum.  When the revision claims 2.0 and
 * the length field fits what is readable, the extended checksum must hold too
 * and the XSDT address becomes usable; a revision-2 RSDP whose tail is absent
 * (a loader's 20-byte copy, zero-padded) counts as ACPI 1.0.
 */
static bool rsdp_parse(const uint8_t *p, size_t avail, struct rsdp_info *info)
{
    if (avail < RSDP_V1_SIZE || memcmp(p, RSDP_SIGNATURE, RSDP_SIGNATURE_LEN) != 0 ||
        !acpi_checksum_ok(p, RSDP_V1_SIZE))
        return false;

    info->revision = p[RSDP_REVISION];
    info->rsdt = get_u32(p + RSDP_RSDT_ADDRESS);
    info->xsdt = 0;
    memcpy(info->oem_id, p + RSDP_OEMID, 6);
    info->oem_id[6] = '\0';

    if (info->revision >= 2 && avail >= RSDP_V2_SIZE) {
        uint32_t len = get_u32(p + RSDP_LENGTH);
        if (len >= RSDP_V2_SIZE && len <= avail) {
            if (!acpi_checksum_ok(p, len))
                return false;
            info->xsdt = get_u64(p + RSDP_XSDT_ADDRESS);
        }
    }
    return true;
}

static bool rsdp_at(uint64_t phys, acpi_phys_reader read, void *ctx, struct rsdp_info *info)
{
    size_t avail = RSDP_V2_SIZE;
    const uint8_t *p = read(phys, avail, ctx);

    if (!p) {
        /* Maybe the last bytes of readable memory: a 1.0 RSDP still fits. */
        avail = RSDP_V1_SIZE;
        p = read(phys, avail, ctx);
    }
    return p && rsdp_parse(p, avail, info);
}

/* Every 16-byte boundary in [start, start+len) is a candidate; the structure
 * itself may run past the end of the area. */
static bool rsdp_scan(uint64_t start, uint64_t len, acpi_phys_reader read, void *ctx,
                      struct rsdp_info *info, uint64_t *found)
{
    for (uint64_t off = 0; off < len; off += RSDP_ALIGN) {
        if (rsdp_at(start + off, read, ctx, info)) {
            *found = start + off;
            return true;
        }
    }
    return false;
}

static bool rsdp_find(const void *copy, size_t copy_len, acpi_phys_reader read, void *ctx,
                      struct rsdp_info *info, uint64_t *found)
{
    *found = 0;
    if (copy && rsdp_parse(copy, copy_len, info))
        return true;

    const uint8_t *bda = read(BDA_EBDA_SEGMENT, 2, ctx);
    if (bda) {
        uint64_t ebda = (uint64_t)get_u16(bda) << 4;
        if (ebda != 0 && ebda + EBDA_SCAN_LEN <= EBDA_LIMIT &&
            rsdp_scan(ebda, EBDA_SCAN_LEN, read, ctx, info, found))
            return true;
    }
    return rsdp_scan(BIOS_AREA_START, BIOS_AREA_LEN, read, ctx, info, found);
}

/* ---- Tables ---------------------------------------------------------- */

/*
 * Reads the whole table at phys after checking its signature, its length
 * (at least a header, at most SDT_MAX_LEN, all of it readable) and its
 * checksum.  Returns NULL with out->problem set otherwise.
 */
static const uint8_t *table_load(struct acpi_power *out, uint64_t phys, const char *sig,
                                 acpi_phys_reader read, void *ctx, uint32_t *len_out)
{
    if (phys == 0) {
        note_problem(out, "no %s address", sig);
        return NULL;
    }
    const uint8_t *hdr = read(phys, SDT_HEADER_SIZE, ctx);
    if (!hdr) {
        note_problem(out, "%s at 0x%llx: unreadable", sig, (unsigned long long)phys);
        return NULL;
    }
    if (memcmp(hdr, sig, SDT_SIGNATURE_LEN) != 0) {
        note_problem(out, "%s at 0x%llx: wrong signature", sig, (unsigned long long)phys);
        return NULL;
    }
    uint32_t len = get_u32(hdr + SDT_LENGTH);
    if (len < SDT_HEADER_SIZE || len > SDT_MAX_LEN) {
        note_problem(out, "%s at 0x%llx: bad length %u", sig, (unsigned long long)phys, len);
        return NULL;
    }
    const uint8_t *table = read(phys, len, ctx);
    if (!table) {
        note_problem(out, "%s at 0x%llx: %u bytes not readable (truncated?)", sig,
                     (unsigned long long)phys, len);
        return NULL;
    }
    if (!acpi_checksum_ok(table, len)) {
        note_problem(out, "%s at 0x%llx: checksum mismatch", sig, (unsigned long long)phys);
        return NULL;
    }
    *len_out = len;
    return table;
}

/* Finds the FADT among the entries of an RSDT (4-byte entries) or XSDT
 * (8-byte entries), 5.2.7 and 5.2.8.  Only the signature is read for the
 * other tables. */
static const uint8_t *fadt_from_sdt(struct acpi_power *out, uint64_t sdt_phys, const char *sig,
                                    size_t entry_size, acpi_phys_reader read, void *ctx,
                                    uint32_t *fadt_len)
{
    uint32_t len;
    const uint8_t *sdt = table_load(out, sdt_phys, sig, read, ctx, &len);
    if (!sdt)
        return NULL;

    for (size_t off = SDT_HEADER_SIZE; off + entry_size <= len; off += entry_size) {
        uint64_t entry = entry_size == 8 ? get_u64(sdt + off) : get_u32(sdt + off);
        if (entry == 0)
            continue;
        const uint8_t *s = read(entry, SDT_SIGNATURE_LEN, ctx);
        if (s && memcmp(s, "FACP", SDT_SIGNATURE_LEN) == 0)
            return table_load(out, entry, "FACP", read, ctx, fadt_len);
    }
    note_problem(out, "%s at 0x%llx lists no FADT", sig, (unsigned long long)sdt_phys);
    return NULL;
}

/* A PM1 control block from an X_PM1x_CNT_BLK GAS: only a System I/O address
 * is usable with IN/OUT; otherwise the 32-bit field stays in force. */
static uint32_t fadt_pm1_port(const uint8_t *fadt, uint32_t len, size_t legacy_off, size_t x_off)
{
    uint32_t port = get_u32(fadt + legacy_off);

    if (len >= x_off + GAS_SIZE) {
        const uint8_t *gas = fadt + x_off;
        uint64_t addr = get_u64(gas + GAS_ADDRESS);
        /* 5.2.9: a nonzero X_ field supersedes the 32-bit one. */
        if (gas[GAS_SPACE_ID] == ACPI_SPACE_SYSTEM_IO && addr != 0 && addr <= IO_PORT_MAX)
            port = (uint32_t)addr;
    }
    return port;
}

static void fadt_reset_reg(struct acpi_power *out, const uint8_t *fadt, uint32_t len)
{
    /* RESET_REG and RESET_VALUE appeared in ACPI 2.0; FADT flag bit 10 says
     * whether the register is actually supported. */
    if (len < FADT_RESET_VALUE + 1 || !(get_u32(fadt + FADT_FLAGS) & FADT_FLAG_RESET_REG_SUP))
        return;
    const uint8_t *gas = fadt + FADT_RESET_REG;
    uint8_t space = gas[GAS_SPACE_ID];
    uint64_t addr = get_u64(gas + GAS_ADDRESS);
    if (addr == 0 || space > ACPI_SPACE_PCI_CONFIG)
        return;
    out->reset.space = space;
    out->reset.bit_width = gas[GAS_BIT_WIDTH];
    out->reset.address = addr;
    out->reset.value = fadt[FADT_RESET_VALUE];
    out->reset_found = true;
}

/* 5.2.9: X_DSDT, when nonzero, is used instead of DSDT. */
static uint64_t fadt_dsdt(const uint8_t *fadt, uint32_t len)
{
    if (len >= FADT_X_DSDT + 8) {
        uint64_t x = get_u64(fadt + FADT_X_DSDT);
        if (x != 0)
            return x;
    }
    return get_u32(fadt + FADT_DSDT);
}

static void fadt_parse(struct acpi_power *out, const uint8_t *fadt, uint32_t len)
{
    out->smi_cmd = get_u32(fadt + FADT_SMI_CMD);
    out->acpi_enable = fadt[FADT_ACPI_ENABLE];
    out->pm1a_cnt = fadt_pm1_port(fadt, len, FADT_PM1A_CNT_BLK, FADT_X_PM1A_CNT_BLK);
    out->pm1b_cnt = fadt_pm1_port(fadt, len, FADT_PM1B_CNT_BLK, FADT_X_PM1B_CNT_BLK);
    fadt_reset_reg(out, fadt, len);
}

/* ---- AML: \_S5 ------------------------------------------------------- */

/* PkgLength (20.2.4): bits 7:6 of the lead byte count the bytes that follow;
 * with none, bits 5:0 are the length; otherwise bits 3:0 are its low nibble
 * and each following byte adds 8 more bits.  The value counts the PkgLength
 * bytes themselves. */
static bool aml_pkg_length(const uint8_t *p, size_t avail, uint32_t *value, size_t *size)
{
    if (avail < 1)
        return false;
    size_t follow = p[0] >> AML_PKGLEN_FOLLOW_SHIFT;
    if (avail < 1 + follow)
        return false;
    if (follow == 0) {
        *value = p[0] & AML_PKGLEN_SHORT_MASK;
        *size = 1;
        return true;
    }
    if (p[0] & AML_PKGLEN_RESERVED)
        return false;
    uint32_t v = p[0] & AML_PKGLEN_LOW_MASK;
    for (size_t i = 1; i <= follow; i++)
        v |= (uint32_t)p[i] << (4 + 8 * (i - 1));
    *value = v;
    *size = 1 + follow;
    return true;
}

/* An integer prefix followed by n little-endian bytes whose value must fit
 * a byte. */
static bool aml_prefixed_byte(const uint8_t *p, const uint8_t *end, size_t n, uint8_t *out,
                              size_t *used)
{
    if ((size_t)(end - p) < 1 + n)
        return false;
    for (size_t i = 2; i <= n; i++)
        if (p[i] != 0)
            return false;
    *out = p[1];
    *used = 1 + n;
    return true;
}

/* One SLP_TYP element of the package at *pp, within [*pp, end): BytePrefix
 * (or a wider integer prefix) plus data, ZeroOp, OneOp, or a bare byte as
 * some firmware writes it.  Advances *pp past it. */
static bool aml_slp_typ(const uint8_t **pp, const uint8_t *end, uint8_t *out)
{
    const uint8_t *p = *pp;
    size_t used = 1;
    uint8_t v;

    if (p >= end)
        return false;
    switch (p[0]) {
    case AML_BYTE_PREFIX:
        if (!aml_prefixed_byte(p, end, 1, &v, &used))
            return false;
        break;
    case AML_WORD_PREFIX:
        if (!aml_prefixed_byte(p, end, 2, &v, &used))
            return false;
        break;
    case AML_DWORD_PREFIX:
        if (!aml_prefixed_byte(p, end, 4, &v, &used))
            return false;
        break;
    case AML_QWORD_PREFIX:
        if (!aml_prefixed_byte(p, end, 8, &v, &used))
            return false;
        break;
    case AML_ZERO_OP:
        v = 0;
        break;
    case AML_ONE_OP:
        v = 1;
        break;
    case AML_ONES_OP:
        return false;
    default:
        v = p[0];
        break;
    }
    if (v > SLP_TYP_MAX)
        return false;
    *out = v;
    *pp = p + used;
    return true;
}

/* PackageOp PkgLength NumElements SLP_TYPa SLP_TYPb ..., within [p, end). */
static bool aml_s5_package(const uint8_t *p, const uint8_t *end, uint8_t *a, uint8_t *b)
{
    uint32_t pkg_len;
    size_t len_size;

    if (p >= end || p[0] != AML_PACKAGE_OP)
        return false;
    p++;
    if (!aml_pkg_length(p, (size_t)(end - p), &pkg_len, &len_size))
        return false;
    /* The package must hold at least NumElements and lie within the block. */
    if (pkg_len < len_size + 1 || pkg_len > (size_t)(end - p))
        return false;
    const uint8_t *pkg_end = p + pkg_len;
    p += len_size;
    uint8_t num_elements = *p++;
    if (num_elements < 2)
        return false;

    uint8_t typa, typb;
    if (!aml_slp_typ(&p, pkg_end, &typa) || !aml_slp_typ(&p, pkg_end, &typb))
        return false;
    *a = typa;
    *b = typb;
    return true;
}

/* The NameSeg at aml[at] is the name of a Name() definition: NameOp right
 * before it, or NameOp and the root prefix ("Name (\_S5, ...)"). */
static bool aml_is_name_definition(const uint8_t *aml, size_t at)
{
    if (at >= 1 && aml[at - 1] == AML_NAME_OP)
        return true;
    return at >= 2 && aml[at - 1] == AML_ROOT_CHAR && aml[at - 2] == AML_NAME_OP;
}

bool acpi_aml_find_s5(const uint8_t *aml, size_t len, uint8_t *slp_typa, uint8_t *slp_typb)
{
    static const uint8_t s5_name[AML_NAMESEG_LEN] = { '_', 'S', '5', '_' };

    for (size_t i = 0; i + AML_NAMESEG_LEN <= len; i++) {
        if (memcmp(aml + i, s5_name, AML_NAMESEG_LEN) != 0 || !aml_is_name_definition(aml, i))
            continue;
        if (aml_s5_package(aml + i + AML_NAMESEG_LEN, aml + len, slp_typa, slp_typb))
            return true;
    }
    return false;
}

/* ---- The walk -------------------------------------------------------- */

static const uint8_t *fadt_find(struct acpi_power *out, const struct rsdp_info *rsdp,
                                acpi_phys_reader read, void *ctx, uint32_t *len)
{
    const uint8_t *fadt = NULL;

    /* 5.2.8: on ACPI 2.0+ the XSDT is the one to use; the RSDT is a fallback
     * for when the XSDT is broken. */
    if (rsdp->xsdt) {
        fadt = fadt_from_sdt(out, rsdp->xsdt, "XSDT", 8, read, ctx, len);
        out->used_xsdt = fadt != NULL;
    }
    if (!fadt && rsdp->rsdt)
        fadt = fadt_from_sdt(out, rsdp->rsdt, "RSDT", 4, read, ctx, len);
    if (!fadt && !rsdp->xsdt && !rsdp->rsdt)
        note_problem(out, "RSDP has neither an RSDT nor an XSDT address");
    return fadt;
}

void acpi_find_power(struct acpi_power *out, const void *rsdp, size_t rsdp_len,
                     acpi_phys_reader read, void *ctx)
{
    struct rsdp_info info;
    uint32_t fadt_len, dsdt_len;

    memset(out, 0, sizeof(*out));
    if (!rsdp_find(rsdp, rsdp_len, read, ctx, &info, &out->rsdp_phys)) {
        note_problem(out, "no valid RSDP (loader copy, EBDA or 0xE0000-0xFFFFF)");
        return;
    }
    out->rsdp_found = true;
    out->rsdp_revision = info.revision;
    memcpy(out->oem_id, info.oem_id, sizeof(out->oem_id));

    const uint8_t *fadt = fadt_find(out, &info, read, ctx, &fadt_len);
    if (!fadt)
        return;
    if (fadt_len < FADT_V1_SIZE) {
        note_problem(out, "FADT is %u bytes, shorter than ACPI 1.0's %u", fadt_len,
                     FADT_V1_SIZE);
        return;
    }
    fadt_parse(out, fadt, fadt_len);
    out->fadt_found = true;
    out->problem[0] = '\0';     /* an XSDT failure the RSDT made up for */

    const uint8_t *dsdt = table_load(out, fadt_dsdt(fadt, fadt_len), "DSDT", read, ctx, &dsdt_len);
    if (!dsdt)
        return;
    out->s5_found = acpi_aml_find_s5(dsdt + SDT_HEADER_SIZE, dsdt_len - SDT_HEADER_SIZE,
                                     &out->slp_typa, &out->slp_typb);
    if (!out->s5_found)
        note_problem(out, "no \\_S5 package in the DSDT");
}
