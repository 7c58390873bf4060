/* Host tests for kernel/acpi.c: RSDP discovery, the XSDT/RSDT/FADT/DSDT walk
 * and the \_S5 AML parse, on synthetic tables in a fake physical memory.
 *
 * The reader hands out a fresh heap copy of exactly the bytes asked for, so
 * AddressSanitizer catches any read beyond a length the parser checked. */
#include "tests/unit/unit.h"

#include <stdbool.h>

#include "lib/format.c"
#include "kernel/acpi.c"

/* ---- Fake physical memory -------------------------------------------- */

#define MEM_SIZE 0x120000u     /* 0 .. 1 MiB + 128 KiB */

struct fake_mem {
    uint8_t *bytes;
    uint64_t size;
    uint64_t hole_start, hole_end;      /* unreadable range */
    bool nothing_readable;
    void **copies;
    size_t ncopies, cap;
};

static struct fake_mem mem;

static void mem_free_copies(void)
{
    for (size_t i = 0; i < mem.ncopies; i++)
        free(mem.copies[i]);
    mem.ncopies = 0;
}

static void mem_reset(void)
{
    mem_free_copies();
    free(mem.copies);
    free(mem.bytes);
    memset(&mem, 0, sizeof(mem));
    mem.bytes = calloc(1, MEM_SIZE);
    mem.size = MEM_SIZE;
}

static const void *mem_read(uint64_t phys, size_t len, void *ctx)
{
    struct fake_mem *m = ctx;

    if (m->nothing_readable || len == 0 || phys > m->size || len > m->size - phys)
        return NULL;
    if (phys < m->hole_end && phys + len > m->hole_start)
        return NULL;
    if (m->ncopies == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 1024;
        m->copies = realloc(m->copies, m->cap * sizeof(void *));
    }
    void *copy = malloc(len);
    memcpy(copy, m->bytes + phys, len);
    m->copies[m->ncopies++] = copy;
    return copy;
}

static struct acpi_power parse_with(const void *rsdp, size_t len)
{
    struct acpi_power p;
    memset(&p, 0x5a, sizeof(p));        /* acpi_find_power must set everything */
    acpi_find_power(&p, rsdp, len, mem_read, &mem);
    mem_free_copies();
    return p;
}

static struct acpi_power parse(void)
{
    return parse_with(NULL, 0);
}

/* ---- Table builders --------------------------------------------------- */

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

/* Sets p[at] so that the len bytes at p sum to 0. */
static void fix_checksum(uint8_t *p, size_t len, size_t at)
{
    uint8_t sum = 0;
    p[at] = 0;
    for (size_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + p[i]);
    p[at] = (uint8_t)(0x100 - sum);
}

static void build_rsdp_bytes(uint8_t *p, uint8_t revision, uint32_t rsdt, uint64_t xsdt)
{
    memset(p, 0, RSDP_V2_SIZE);
    memcpy(p, "RSD PTR ", 8);
    memcpy(p + 9, "BOCHS ", 6);
    p[15] = revision;
    put32(p + 16, rsdt);
    fix_checksum(p, RSDP_V1_SIZE, 8);
    if (revision >= 2) {
        put32(p + 20, RSDP_V2_SIZE);
        put64(p + 24, xsdt);
        fix_checksum(p, RSDP_V2_SIZE, 32);
    }
}

static void put_rsdp(uint64_t at, uint8_t revision, uint32_t rsdt, uint64_t xsdt)
{
    build_rsdp_bytes(mem.bytes + at, revision, rsdt, xsdt);
}

static void sdt_header(uint64_t at, const char *sig, uint32_t len, uint8_t revision)
{
    uint8_t *t = mem.bytes + at;
    memcpy(t, sig, 4);
    put32(t + 4, len);
    t[8] = revision;
    memcpy(t + 10, "BOCHS ", 6);
    memcpy(t + 16, "BXPCTEST", 8);
    put32(t + 24, 1);
    memcpy(t + 28, "KEEL", 4);
    put32(t + 32, 1);
}

/* Recomputes the checksum of the table at `at` over its length field. */
static void seal(uint64_t at)
{
    uint32_t len = get_u32(mem.bytes + at + 4);
    fix_checksum(mem.bytes + at, len, 9);
}

static void put_sdt(uint64_t at, const char *sig, size_t entry_size, const uint64_t *entries,
                    size_t n)
{
    uint32_t len = (uint32_t)(SDT_HEADER_SIZE + entry_size * n);
    sdt_header(at, sig, len, 1);
    for (size_t i = 0; i < n; i++) {
        uint8_t *e = mem.bytes + at + SDT_HEADER_SIZE + entry_size * i;
        if (entry_size == 8)
            put64(e, entries[i]);
        else
            put32(e, (uint32_t)entries[i]);
    }
    seal(at);
}

struct fadt_spec {
    uint32_t len;
    uint32_t dsdt;
    uint64_t x_dsdt;
    uint32_t smi_cmd;
    uint8_t acpi_enable;
    uint32_t pm1a, pm1b;
    uint32_t flags;
    uint8_t reset_space, reset_width;
    uint64_t reset_address;
    uint8_t reset_value;
    uint8_t x_pm1a_space;
    uint64_t x_pm1a;
};

static void put_fadt(uint64_t at, const struct fadt_spec *f)
{
    uint8_t *t = mem.bytes + at;
    sdt_header(at, "FACP", f->len, f->len > FADT_V1_SIZE ? 4 : 1);
    /* Write each field only where the table is long enough to hold it. */
    if (f->len >= FADT_DSDT + 4)
        put32(t + FADT_DSDT, f->dsdt);
    if (f->len >= FADT_ACPI_ENABLE + 1) {
        put32(t + FADT_SMI_CMD, f->smi_cmd);
        t[FADT_ACPI_ENABLE] = f->acpi_enable;
    }
    if (f->len >= FADT_PM1B_CNT_BLK + 4) {
        put32(t + FADT_PM1A_CNT_BLK, f->pm1a);
        put32(t + FADT_PM1B_CNT_BLK, f->pm1b);
    }
    if (f->len >= FADT_FLAGS + 4)
        put32(t + FADT_FLAGS, f->flags);
    if (f->len >= FADT_RESET_VALUE + 1) {
        t[FADT_RESET_REG + GAS_SPACE_ID] = f->reset_space;
        t[FADT_RESET_REG + GAS_BIT_WIDTH] = f->reset_width;
        put64(t + FADT_RESET_REG + GAS_ADDRESS, f->reset_address);
        t[FADT_RESET_VALUE] = f->reset_value;
    }
    if (f->len >= FADT_X_DSDT + 8)
        put64(t + FADT_X_DSDT, f->x_dsdt);
    if (f->len >= FADT_X_PM1A_CNT_BLK + GAS_SIZE) {
        t[FADT_X_PM1A_CNT_BLK + GAS_SPACE_ID] = f->x_pm1a_space;
        t[FADT_X_PM1A_CNT_BLK + GAS_BIT_WIDTH] = 16;
        put64(t + FADT_X_PM1A_CNT_BLK + GAS_ADDRESS, f->x_pm1a);
    }
    seal(at);
}

static void put_dsdt(uint64_t at, const uint8_t *aml, size_t n)
{
    sdt_header(at, "DSDT", (uint32_t)(SDT_HEADER_SIZE + n), 2);
    memcpy(mem.bytes + at + SDT_HEADER_SIZE, aml, n);
    seal(at);
}

/*
 * Appends Name([\]_S5_, Package(num) { elems }) with a PkgLength encoded in
 * len_bytes bytes (1-4) to buf at *at.
 */
static void emit_s5(uint8_t *buf, size_t *at, bool root, int len_bytes, uint8_t num,
                    const uint8_t *elems, size_t n)
{
    size_t i = *at;
    uint32_t pkg_len = (uint32_t)(len_bytes + 1 + n);

    buf[i++] = AML_NAME_OP;
    if (root)
        buf[i++] = AML_ROOT_CHAR;
    memcpy(buf + i, "_S5_", 4);
    i += 4;
    buf[i++] = AML_PACKAGE_OP;
    if (len_bytes == 1) {
        buf[i++] = (uint8_t)pkg_len;
    } else {
        buf[i++] = (uint8_t)(((len_bytes - 1) << 6) | (pkg_len & 0x0f));
        for (int k = 1; k < len_bytes; k++)
            buf[i++] = (uint8_t)(pkg_len >> (4 + 8 * (k - 1)));
    }
    buf[i++] = num;
    memcpy(buf + i, elems, n);
    *at = i + n;
}

/* Some AML that is not \_S5: Scope (\_SB) { Name (_HID, 0x0A03...) } shapes. */
static const uint8_t aml_filler[] = {
    0x10, 0x0c, 0x5c, '_', 'S', 'B', '_', 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41,
    0xd0, 0x0a, 0x03, 0x08, '_', 'S', '3', '_', 0x12, 0x06, 0x04, 0x01, 0x01, 0x00, 0x00,
};

/* QEMU/SeaBIOS-like DSDT body: filler, then Name (\_S5, Package (4) {5, 5, 0, 0}). */
static size_t standard_aml(uint8_t *buf)
{
    static const uint8_t elems[] = { AML_BYTE_PREFIX, 5, AML_BYTE_PREFIX, 5, 0x00, 0x00 };
    size_t n = sizeof(aml_filler);
    memcpy(buf, aml_filler, n);
    emit_s5(buf, &n, true, 1, 4, elems, sizeof(elems));
    return n;
}

/* Runs acpi_aml_find_s5 on an exact-size heap copy (so ASan sees overreads). */
static bool find_s5(const uint8_t *aml, size_t n, uint8_t *a, uint8_t *b)
{
    uint8_t *copy = malloc(n ? n : 1);
    memcpy(copy, aml, n);
    bool found = acpi_aml_find_s5(copy, n, a, b);
    free(copy);
    return found;
}

/* ---- A whole machine -------------------------------------------------- */

#define RSDP_AT     0xf6a40u
#define EBDA_SEG    0x9fc0u
#define EBDA_AT     (EBDA_SEG << 4)
#define RSDT_AT     0x101000u
#define XSDT_AT     0x102000u
#define FADT_AT     0x103000u
#define DSDT_AT     0x104000u
#define APIC_AT     0x105000u
#define FADT2_AT    0x108000u
#define DSDT2_AT    0x109000u

static struct fadt_spec standard_fadt(void)
{
    struct fadt_spec f = {
        .len = 244,
        .dsdt = DSDT_AT,
        .x_dsdt = DSDT_AT,
        .smi_cmd = 0xb2,
        .acpi_enable = 0xf1,
        .pm1a = 0xb004,
        .pm1b = 0,
        .flags = FADT_FLAG_RESET_REG_SUP,
        .reset_space = ACPI_SPACE_SYSTEM_IO,
        .reset_width = 8,
        .reset_address = 0xcf9,
        .reset_value = 0x06,
    };
    return f;
}

/* ACPI 2.0 machine: RSDP in the BIOS area, XSDT and RSDT both listing an
 * "APIC" table and the FADT, DSDT with \_S5 = {5, 5}. */
static void build_acpi2_machine(void)
{
    uint64_t entries[] = { APIC_AT, FADT_AT };
    uint8_t aml[256];
    struct fadt_spec f = standard_fadt();

    mem_reset();
    put_rsdp(RSDP_AT, 2, RSDT_AT, XSDT_AT);
    put_sdt(XSDT_AT, "XSDT", 8, entries, 2);
    put_sdt(RSDT_AT, "RSDT", 4, entries, 2);
    sdt_header(APIC_AT, "APIC", 44, 1);
    seal(APIC_AT);
    put_fadt(FADT_AT, &f);
    put_dsdt(DSDT_AT, aml, standard_aml(aml));
}

/* ACPI 1.0 machine: RSDP in the EBDA, RSDT only, a 116-byte FADT, and
 * Name (_S5, Package (4) {Zero, Zero, Zero, Zero}). */
static void build_acpi1_machine(void)
{
    static const uint8_t zeros[] = { AML_ZERO_OP, AML_ZERO_OP, AML_ZERO_OP, AML_ZERO_OP };
    uint64_t entries[] = { FADT_AT };
    uint8_t aml[256];
    size_t n = sizeof(aml_filler);
    struct fadt_spec f = standard_fadt();

    mem_reset();
    put16(mem.bytes + BDA_EBDA_SEGMENT, EBDA_SEG);
    put_rsdp(EBDA_AT + 0x40, 0, RSDT_AT, 0);
    put_sdt(RSDT_AT, "RSDT", 4, entries, 1);
    f.len = FADT_V1_SIZE;
    put_fadt(FADT_AT, &f);
    memcpy(aml, aml_filler, n);
    emit_s5(aml, &n, false, 1, 4, zeros, sizeof(zeros));
    put_dsdt(DSDT_AT, aml, n);
}

/* ---- Checksum -------------------------------------------------------- */

TEST(checksum)
{
    uint8_t b[5] = { 1, 2, 3, 4, 0 };
    CHECK(!acpi_checksum_ok(b, 5));
    fix_checksum(b, 5, 4);
    CHECK_EQ_U(b[4], 0xf6);
    CHECK(acpi_checksum_ok(b, 5));
    CHECK(acpi_checksum_ok(b, 0));
}

/* ---- AML --------------------------------------------------------------- */

TEST(aml_byte_prefix_with_root)
{
    uint8_t aml[128];
    uint8_t a = 0xee, b = 0xee;
    size_t n = standard_aml(aml);

    CHECK(find_s5(aml, n, &a, &b));
    CHECK_EQ_U(a, 5);
    CHECK_EQ_U(b, 5);
}

TEST(aml_zero_ops)
{
    static const uint8_t elems[] = { AML_ZERO_OP, AML_ZERO_OP, AML_ZERO_OP, AML_ZERO_OP };
    uint8_t aml[64];
    uint8_t a = 0xee, b = 0xee;
    size_t n = 0;

    emit_s5(aml, &n, false, 1, 4, elems, sizeof(elems));
    CHECK_EQ_U(n, 12);          /* 08 _S5_ 12 06 04 00 00 00 00 */
    CHECK_EQ_U(aml[6], 0x06);
    CHECK(find_s5(aml, n, &a, &b));
    CHECK_EQ_U(a, 0);
    CHECK_EQ_U(b, 0);
}

TEST(aml_one_op_and_bare_byte)
{
    static const uint8_t elems[] = { AML_ONE_OP, 0x07 };
    uint8_t aml[64];
    uint8_t a = 0, b = 0;
    size_t n = 0;

    emit_s5(aml, &n, false, 1, 2, elems, sizeof(elems));
    CHECK(find_s5(aml, n, &a, &b));
    CHECK_EQ_U(a, 1);
    CHECK_EQ_U(b, 7);
}

TEST(aml_bare_byte_then_byte_prefix)
{
    static const uint8_t elems[] = { 0x03, AML_BYTE_PREFIX, 0x04, AML_ZERO_OP, AML_ZERO_OP };
    uint8_t aml[64];
    uint8_t a = 0, b = 0;
    size_t n = 0;

    emit_s5(aml, &n, true, 1, 4, elems, sizeof(elems));
    CHECK(find_s5(aml, n, &a, &b));
    CHECK_EQ_U(a, 3);
    CHECK_EQ_U(b, 4);
}

TEST(aml_word_and_dword_prefix)
{
    static const uint8_t ok[] = { AML_WORD_PREFIX, 0x06, 0x00, AML_DWORD_PREFIX, 0x02, 0, 0, 0 };
    static const uint8_t wide[] = { AML_WORD_PREFIX, 0x06, 0x01, AML_ZERO_OP };
    uint8_t aml[64];
    uint8_t a = 0, b = 0;
    size_t n = 0;

    emit_s5(aml, &n, false, 1, 2, ok, sizeof(ok));
    CHECK(find_s5(aml, n, &a, &b));
    CHECK_EQ_U(a, 6);
    CHECK_EQ_U(b, 2);

    n = 0;
    emit_s5(aml, &n, false, 1, 2, wide, sizeof(wide));   /* 0x106 is no SLP_TYP */
    CHECK(!find_s5(aml, n, &a, &b));
}

TEST(aml_pkglength_two_bytes)
{
    /* Package (3) { 7, 3, "<68 chars>" }: 77 bytes long, so PkgLength needs
     * its two-byte form (lead 0x4d, then 0x04). */
    uint8_t elems[4 + 70];
    uint8_t aml[128];
    uint8_t a = 0, b = 0;
    size_t n = 0;

    elems[0] = AML_BYTE_PREFIX;
    elems[1] = 7;
    elems[2] = AML_BYTE_PREFIX;
    elems[3] = 3;
    elems[4] = 0x0d;                                    /* StringPrefix */
    memset(elems + 5, 'x', 68);
    elems[73] = 0x00;
    emit_s5(aml, &n, false, 2, 3, elems, sizeof(elems));
    CHECK_EQ_U(aml[6], 0x4d);
    CHECK_EQ_U(aml[7], 0x04);
    CHECK(find_s5(aml, n, &a, &b));
    CHECK_EQ_U(a, 7);
    CHECK_EQ_U(b, 3);

    uint32_t v = 0;
    size_t size = 0;
    CHECK(aml_pkg_length(aml + 6, 2, &v, &size));
    CHECK_EQ_U(v, 77);
    CHECK_EQ_U(size, 2);
}

TEST(aml_pkglength_long_forms_of_small_packages)
{
    static const uint8_t elems[] = { AML_BYTE_PREFIX, 2, AML_BYTE_PREFIX, 1 };
    uint8_t aml[64];
    uint8_t a = 0, b = 0;

    for (int len_bytes = 2; len_bytes <= 4; len_bytes++) {
        size_t n = 0;
        a = b = 0xee;
        emit_s5(aml, &n, false, len_bytes, 2, elems, sizeof(elems));
        CHECK(find_s5(aml, n, &a, &b));
        CHECK_EQ_U(a, 2);
        CHECK_EQ_U(b, 1);
    }
}

TEST(aml_pkglength_decoder)
{
    static const uint8_t one[] = { 0x3f };
    static const uint8_t three[] = { 0x85, 0x34, 0x12 };    /* 0x12345 */
    static const uint8_t reserved[] = { 0x50, 0x01 };       /* bit 4 set in a 2-byte form */
    static const uint8_t short_buf[] = { 0xc0, 0x01 };      /* says 4 bytes, has 2 */
    uint32_t v = 0;
    size_t size = 0;

    CHECK(aml_pkg_length(one, 1, &v, &size));
    CHECK_EQ_U(v, 0x3f);
    CHECK_EQ_U(size, 1);
    CHECK(aml_pkg_length(three, 3, &v, &size));
    CHECK_EQ_U(v, 0x12345);
    CHECK_EQ_U(size, 3);
    CHECK(!aml_pkg_length(reserved, 2, &v, &size));
    CHECK(!aml_pkg_length(short_buf, 2, &v, &size));
    CHECK(!aml_pkg_length(one, 0, &v, &size));
}

TEST(aml_every_truncation_is_refused)
{
    uint8_t aml[128];
    uint8_t a, b;
    size_t n = standard_aml(aml);

    /* Cut the block anywhere inside the package (whose PkgLength then runs
     * past the block): never found, never read past the cut (ASan). */
    for (size_t cut = 0; cut < n; cut++)
        CHECK(!find_s5(aml, cut, &a, &b));
    CHECK(find_s5(aml, n, &a, &b));
}

TEST(aml_package_longer_than_block)
{
    static const uint8_t elems[] = { AML_BYTE_PREFIX, 5, AML_BYTE_PREFIX, 5 };
    uint8_t aml[64];
    uint8_t a, b;
    size_t n = 0;

    emit_s5(aml, &n, false, 1, 2, elems, sizeof(elems));
    aml[6] = 0x30;              /* PkgLength 48 but only 6 bytes follow */
    CHECK(!find_s5(aml, n, &a, &b));
}

TEST(aml_elements_beyond_package_end)
{
    /* PkgLength says the package ends after the first element; the second
     * lies outside it and must not be taken. */
    static const uint8_t elems[] = { AML_BYTE_PREFIX, 5, AML_BYTE_PREFIX, 5 };
    uint8_t aml[64];
    uint8_t a, b;
    size_t n = 0;

    emit_s5(aml, &n, false, 1, 2, elems, sizeof(elems));
    aml[6] = 1 + 1 + 2;
    CHECK(!find_s5(aml, n, &a, &b));
}

TEST(aml_needs_two_elements)
{
    static const uint8_t elems[] = { AML_BYTE_PREFIX, 5 };
    uint8_t aml[64];
    uint8_t a, b;
    size_t n = 0;

    emit_s5(aml, &n, false, 1, 1, elems, sizeof(elems));
    CHECK(!find_s5(aml, n, &a, &b));
}

TEST(aml_rejects_values_that_are_not_slp_typ)
{
    static const uint8_t nine[] = { AML_BYTE_PREFIX, 9, AML_ZERO_OP };
    static const uint8_t ones[] = { AML_ONES_OP, AML_ZERO_OP };
    uint8_t aml[64];
    uint8_t a, b;
    size_t n = 0;

    emit_s5(aml, &n, false, 1, 2, nine, sizeof(nine));
    CHECK(!find_s5(aml, n, &a, &b));
    n = 0;
    emit_s5(aml, &n, false, 1, 2, ones, sizeof(ones));
    CHECK(!find_s5(aml, n, &a, &b));
}

TEST(aml_no_s5)
{
    uint8_t a = 0xee, b = 0xee;
    CHECK(!find_s5(aml_filler, sizeof(aml_filler), &a, &b));
    CHECK_EQ_U(a, 0xee);        /* untouched on failure */
    CHECK_EQ_U(b, 0xee);
    CHECK(!find_s5(aml_filler, 0, &a, &b));
}

TEST(aml_skips_s5_that_is_not_a_name_definition)
{
    static const uint8_t elems[] = { AML_BYTE_PREFIX, 6, AML_BYTE_PREFIX, 6 };
    uint8_t aml[128];
    uint8_t a = 0, b = 0;
    size_t n = 0;

    /* A reference "\_S5_" (Store (\_S5_, Local0)-like: 0x70 before it) that
     * happens to be followed by a PackageOp-looking byte... */
    const uint8_t ref[] = { 0x70, 0x5c, '_', 'S', '5', '_', 0x12, 0x05, 0x02, 0x01, 0x01, 0x60 };
    memcpy(aml, ref, sizeof(ref));
    n = sizeof(ref);
    /* ...a name "_S5_" that is no package... */
    const uint8_t method[] = { 0x14, 0x08, '_', 'S', '5', '_', 0x00, 0xa4, 0x00 };
    memcpy(aml + n, method, sizeof(method));
    n += sizeof(method);
    /* ...and then the real definition. */
    emit_s5(aml, &n, false, 1, 2, elems, sizeof(elems));

    CHECK(find_s5(aml, n, &a, &b));
    CHECK_EQ_U(a, 6);
    CHECK_EQ_U(b, 6);
}

/* ---- The walk ---------------------------------------------------------- */

TEST(acpi2_machine_full)
{
    build_acpi2_machine();
    struct acpi_power p = parse();

    CHECK(p.rsdp_found);
    CHECK_EQ_U(p.rsdp_phys, RSDP_AT);
    CHECK_EQ_U(p.rsdp_revision, 2);
    CHECK_STR(p.oem_id, "BOCHS ");
    CHECK(p.used_xsdt);
    CHECK(p.fadt_found);
    CHECK_EQ_U(p.pm1a_cnt, 0xb004);
    CHECK_EQ_U(p.pm1b_cnt, 0);
    CHECK_EQ_U(p.smi_cmd, 0xb2);
    CHECK_EQ_U(p.acpi_enable, 0xf1);
    CHECK(p.s5_found);
    CHECK_EQ_U(p.slp_typa, 5);
    CHECK_EQ_U(p.slp_typb, 5);
    CHECK(p.reset_found);
    CHECK_EQ_U(p.reset.space, ACPI_SPACE_SYSTEM_IO);
    CHECK_EQ_U(p.reset.bit_width, 8);
    CHECK_EQ_U(p.reset.address, 0xcf9);
    CHECK_EQ_U(p.reset.value, 0x06);
    CHECK_STR(p.problem, "");
}

TEST(acpi1_machine_rsdp_in_ebda)
{
    build_acpi1_machine();
    struct acpi_power p = parse();

    CHECK(p.rsdp_found);
    CHECK_EQ_U(p.rsdp_phys, EBDA_AT + 0x40);
    CHECK_EQ_U(p.rsdp_revision, 0);
    CHECK(!p.used_xsdt);
    CHECK(p.fadt_found);
    CHECK_EQ_U(p.pm1a_cnt, 0xb004);
    CHECK(p.s5_found);
    CHECK_EQ_U(p.slp_typa, 0);
    CHECK_EQ_U(p.slp_typb, 0);
    CHECK(!p.reset_found);      /* a 1.0 FADT has no reset register */
    CHECK_STR(p.problem, "");
}

TEST(ebda_scan_covers_only_its_first_kib)
{
    build_acpi1_machine();
    memset(mem.bytes + EBDA_AT + 0x40, 0, RSDP_V2_SIZE);
    put_rsdp(EBDA_AT + EBDA_SCAN_LEN, 0, RSDT_AT, 0);
    struct acpi_power p = parse();

    CHECK(!p.rsdp_found);
    CHECK(!p.fadt_found);
    CHECK(strstr(p.problem, "RSDP") != NULL);

    /* The last 16-byte slot of that KiB is still scanned. */
    memset(mem.bytes + EBDA_AT + EBDA_SCAN_LEN, 0, RSDP_V2_SIZE);
    put_rsdp(EBDA_AT + EBDA_SCAN_LEN - 16, 0, RSDT_AT, 0);
    p = parse();
    CHECK(p.rsdp_found);
    CHECK(p.s5_found);
}

TEST(bios_area_scan_reaches_its_last_slot)
{
    build_acpi2_machine();
    memset(mem.bytes + RSDP_AT, 0, RSDP_V2_SIZE);
    put_rsdp(0xffff0, 0, RSDT_AT, 0);
    struct acpi_power p = parse();

    CHECK(p.rsdp_found);
    CHECK_EQ_U(p.rsdp_phys, 0xffff0);
    CHECK(p.s5_found);

    /* Only its 20 bytes readable (36 would cross into a hole): still found. */
    mem.hole_start = 0xffff0 + RSDP_V1_SIZE;
    mem.hole_end = 0x100100;
    p = parse();
    CHECK(p.rsdp_found);
    CHECK_EQ_U(p.rsdp_phys, 0xffff0);
}

TEST(ebda_pointer_zero_or_too_high_is_ignored)
{
    build_acpi1_machine();
    memset(mem.bytes + EBDA_AT + 0x40, 0, RSDP_V2_SIZE);
    put_rsdp(0x40, 0, RSDT_AT, 0);          /* would be found if segment 0 were scanned */
    put16(mem.bytes + BDA_EBDA_SEGMENT, 0);
    struct acpi_power p = parse();
    CHECK(!p.rsdp_found);

    put_rsdp(0xa0000, 0, RSDT_AT, 0);       /* an "EBDA" in the VGA hole */
    put16(mem.bytes + BDA_EBDA_SEGMENT, 0xa000);
    p = parse();
    CHECK(!p.rsdp_found);
}

TEST(rsdp_must_be_16_byte_aligned)
{
    build_acpi2_machine();
    memset(mem.bytes + RSDP_AT, 0, RSDP_V2_SIZE);
    put_rsdp(RSDP_AT + 4, 2, RSDT_AT, XSDT_AT);
    struct acpi_power p = parse();
    CHECK(!p.rsdp_found);
}

TEST(rsdp_bad_checksum_is_skipped)
{
    build_acpi2_machine();
    mem.bytes[RSDP_AT + 8] ^= 1;
    struct acpi_power p = parse();
    CHECK(!p.rsdp_found);
    CHECK_STR(p.problem, "no valid RSDP (loader copy, EBDA or 0xE0000-0xFFFFF)");

    /* A good one further up is still found. */
    put_rsdp(0xf8000, 2, RSDT_AT, XSDT_AT);
    p = parse();
    CHECK(p.rsdp_found);
    CHECK_EQ_U(p.rsdp_phys, 0xf8000);
}

TEST(rsdp_bad_extended_checksum_is_refused)
{
    build_acpi2_machine();
    mem.bytes[RSDP_AT + 32] ^= 0x80;    /* first 20 bytes still fine */
    struct acpi_power p = parse();
    CHECK(!p.rsdp_found);
}

TEST(rsdp_from_loader_copy)
{
    uint8_t copy[RSDP_V2_SIZE];

    build_acpi2_machine();
    memset(mem.bytes + RSDP_AT, 0, RSDP_V2_SIZE);       /* nothing to scan for */
    build_rsdp_bytes(copy, 2, RSDT_AT, XSDT_AT);
    struct acpi_power p = parse_with(copy, sizeof(copy));

    CHECK(p.rsdp_found);
    CHECK_EQ_U(p.rsdp_phys, 0);
    CHECK(p.used_xsdt);
    CHECK(p.s5_found);
}

TEST(loader_copy_v1_part_only_uses_rsdt)
{
    /* multiboot2's "old RSDP" tag: 20 bytes of a revision-2 RSDP, the rest
     * of the 36-byte copy zero. */
    uint8_t copy[RSDP_V2_SIZE];

    build_acpi2_machine();
    build_rsdp_bytes(copy, 2, RSDT_AT, XSDT_AT);
    memset(copy + RSDP_V1_SIZE, 0, RSDP_V2_SIZE - RSDP_V1_SIZE);
    struct acpi_power p = parse_with(copy, sizeof(copy));

    CHECK(p.rsdp_found);
    CHECK_EQ_U(p.rsdp_phys, 0);
    CHECK_EQ_U(p.rsdp_revision, 2);
    CHECK(!p.used_xsdt);
    CHECK(p.fadt_found);
    CHECK(p.s5_found);
}

TEST(rsdp_length_beyond_what_is_readable_counts_as_acpi1)
{
    /* A revision-2 RSDP whose length field claims more than the 36 bytes
     * available: its extended part cannot be checked, so only the RSDT is
     * trusted. */
    uint8_t copy[RSDP_V2_SIZE];

    build_acpi2_machine();
    build_rsdp_bytes(copy, 2, RSDT_AT, XSDT_AT);
    put32(copy + RSDP_LENGTH, 0x100);
    fix_checksum(copy, RSDP_V2_SIZE, 32);
    struct acpi_power p = parse_with(copy, sizeof(copy));
    CHECK(p.rsdp_found);
    CHECK(!p.used_xsdt);
    CHECK(p.s5_found);

    memcpy(mem.bytes + RSDP_AT, copy, sizeof(copy));
    p = parse();
    CHECK(p.rsdp_found);
    CHECK_EQ_U(p.rsdp_phys, RSDP_AT);
    CHECK(!p.used_xsdt);
}

TEST(bad_loader_copy_falls_back_to_scanning)
{
    uint8_t copy[RSDP_V2_SIZE];

    build_acpi2_machine();
    build_rsdp_bytes(copy, 2, RSDT_AT, XSDT_AT);
    copy[0] = 'X';
    struct acpi_power p = parse_with(copy, sizeof(copy));

    CHECK(p.rsdp_found);
    CHECK_EQ_U(p.rsdp_phys, RSDP_AT);
    CHECK(p.s5_found);
}

TEST(xsdt_preferred_over_rsdt)
{
    uint64_t other[] = { FADT2_AT };
    struct fadt_spec f = standard_fadt();

    build_acpi2_machine();
    f.pm1a = 0x1004;
    put_fadt(FADT2_AT, &f);
    put_sdt(RSDT_AT, "RSDT", 4, other, 1);
    struct acpi_power p = parse();

    CHECK(p.used_xsdt);
    CHECK_EQ_U(p.pm1a_cnt, 0xb004);
}

TEST(bad_xsdt_falls_back_to_rsdt)
{
    build_acpi2_machine();
    mem.bytes[XSDT_AT + SDT_HEADER_SIZE] ^= 0x10;      /* corrupt an entry, not the sum */
    struct acpi_power p = parse();

    CHECK(p.rsdp_found);
    CHECK(!p.used_xsdt);
    CHECK(p.fadt_found);
    CHECK(p.s5_found);
    CHECK_STR(p.problem, "");
}

TEST(bad_rsdt_and_xsdt)
{
    build_acpi2_machine();
    mem.bytes[XSDT_AT + 20] ^= 1;
    mem.bytes[RSDT_AT + 20] ^= 1;
    struct acpi_power p = parse();

    CHECK(p.rsdp_found);
    CHECK(!p.fadt_found);
    CHECK(!p.s5_found);
    CHECK_STR(p.problem, "RSDT at 0x101000: checksum mismatch");
}

TEST(fadt_bad_checksum)
{
    build_acpi2_machine();
    mem.bytes[FADT_AT + FADT_PM1A_CNT_BLK] ^= 0x01;
    struct acpi_power p = parse();

    CHECK(!p.fadt_found);
    CHECK(!p.s5_found);
    CHECK(!p.reset_found);
    CHECK_STR(p.problem, "FACP at 0x103000: checksum mismatch");
}

TEST(fadt_shorter_than_acpi1)
{
    struct fadt_spec f = standard_fadt();

    build_acpi2_machine();
    f.len = 100;
    put_fadt(FADT_AT, &f);
    struct acpi_power p = parse();

    CHECK(!p.fadt_found);
    CHECK_STR(p.problem, "FADT is 100 bytes, shorter than ACPI 1.0's 116");
}

TEST(table_length_below_header_is_refused)
{
    build_acpi2_machine();
    put32(mem.bytes + FADT_AT + 4, 20);
    seal(FADT_AT);
    struct acpi_power p = parse();

    CHECK(!p.fadt_found);
    CHECK_STR(p.problem, "FACP at 0x103000: bad length 20");
}

TEST(truncated_tables)
{
    /* An XSDT whose length runs past the end of readable memory, and no RSDT. */
    uint64_t xsdt_at = MEM_SIZE - 48;

    build_acpi2_machine();
    put_rsdp(RSDP_AT, 2, 0, xsdt_at);
    sdt_header(xsdt_at, "XSDT", 100, 1);
    put64(mem.bytes + xsdt_at + SDT_HEADER_SIZE, FADT_AT);
    struct acpi_power p = parse();

    CHECK(p.rsdp_found);
    CHECK(!p.fadt_found);
    CHECK(strstr(p.problem, "not readable") != NULL);

    /* A DSDT cut short the same way: FADT fine, \_S5 not found. */
    uint64_t dsdt_at = MEM_SIZE - 40;
    struct fadt_spec f = standard_fadt();
    build_acpi2_machine();
    f.dsdt = (uint32_t)dsdt_at;
    f.x_dsdt = 0;
    put_fadt(FADT_AT, &f);
    sdt_header(dsdt_at, "DSDT", 4096, 2);
    p = parse();
    CHECK(p.fadt_found);
    CHECK(!p.s5_found);
    CHECK(strstr(p.problem, "DSDT") != NULL);
}

TEST(sdt_with_partial_last_entry)
{
    /* XSDT length 36 + 8 + 4: the trailing 4 bytes (the low half of the
     * FADT's address) are no entry, so the FADT comes through the RSDT. */
    uint64_t entries[] = { APIC_AT, FADT_AT };

    build_acpi2_machine();
    put_sdt(XSDT_AT, "XSDT", 8, entries, 2);
    put32(mem.bytes + XSDT_AT + 4, SDT_HEADER_SIZE + 8 + 4);
    seal(XSDT_AT);
    struct acpi_power p = parse();

    CHECK(!p.used_xsdt);
    CHECK(p.fadt_found);
}

TEST(sdt_entries_zero_or_unreadable_are_skipped)
{
    uint64_t entries[] = { 0, 0x7fff00000000ull, APIC_AT, FADT_AT };

    build_acpi2_machine();
    put_sdt(XSDT_AT, "XSDT", 8, entries, 4);
    struct acpi_power p = parse();

    CHECK(p.used_xsdt);
    CHECK(p.fadt_found);
    CHECK(p.s5_found);
}

TEST(sdt_without_fadt)
{
    uint64_t entries[] = { APIC_AT };

    build_acpi2_machine();
    put_sdt(XSDT_AT, "XSDT", 8, entries, 1);
    put_sdt(RSDT_AT, "RSDT", 4, entries, 1);
    struct acpi_power p = parse();

    CHECK(!p.fadt_found);
    CHECK_STR(p.problem, "RSDT at 0x101000 lists no FADT");
}

TEST(x_dsdt_preferred_over_dsdt)
{
    static const uint8_t ones[] = { AML_ONE_OP, AML_ONE_OP };
    uint8_t aml[64];
    size_t n = 0;
    struct fadt_spec f = standard_fadt();

    build_acpi2_machine();
    emit_s5(aml, &n, true, 1, 2, ones, sizeof(ones));
    put_dsdt(DSDT2_AT, aml, n);
    f.dsdt = DSDT2_AT;                  /* 32-bit field: the {1, 1} DSDT */
    f.x_dsdt = DSDT_AT;                 /* 64-bit field: the {5, 5} DSDT */
    put_fadt(FADT_AT, &f);
    struct acpi_power p = parse();
    CHECK(p.s5_found);
    CHECK_EQ_U(p.slp_typa, 5);

    f.x_dsdt = 0;                       /* no X_DSDT: the 32-bit field counts */
    put_fadt(FADT_AT, &f);
    p = parse();
    CHECK(p.s5_found);
    CHECK_EQ_U(p.slp_typa, 1);
    CHECK_EQ_U(p.slp_typb, 1);
}

TEST(x_pm1a_cnt_blk)
{
    struct fadt_spec f = standard_fadt();

    build_acpi2_machine();
    f.x_pm1a_space = ACPI_SPACE_SYSTEM_IO;
    f.x_pm1a = 0x604;
    put_fadt(FADT_AT, &f);
    struct acpi_power p = parse();
    CHECK_EQ_U(p.pm1a_cnt, 0x604);

    /* A memory-space block cannot be driven with OUT: keep the port. */
    f.x_pm1a_space = ACPI_SPACE_SYSTEM_MEMORY;
    f.x_pm1a = 0xfed80000;
    put_fadt(FADT_AT, &f);
    p = parse();
    CHECK_EQ_U(p.pm1a_cnt, 0xb004);
}

TEST(reset_register_needs_flag_and_length)
{
    struct fadt_spec f = standard_fadt();

    build_acpi2_machine();
    f.flags = 0;
    put_fadt(FADT_AT, &f);
    struct acpi_power p = parse();
    CHECK(p.fadt_found);
    CHECK(!p.reset_found);

    f.flags = FADT_FLAG_RESET_REG_SUP;
    f.len = FADT_RESET_VALUE;           /* one byte short of RESET_VALUE */
    put_fadt(FADT_AT, &f);
    p = parse();
    CHECK(p.fadt_found);
    CHECK(!p.reset_found);

    f.len = FADT_RESET_VALUE + 1;
    put_fadt(FADT_AT, &f);
    p = parse();
    CHECK(p.reset_found);
    CHECK_EQ_U(p.reset.address, 0xcf9);
    CHECK(p.s5_found);                  /* no X_DSDT in so short a FADT: DSDT used */
}

TEST(reset_register_spaces)
{
    struct fadt_spec f = standard_fadt();

    build_acpi2_machine();
    f.reset_space = ACPI_SPACE_PCI_CONFIG;
    f.reset_address = (0x1full << 32) | (0x0ull << 16) | 0xcf;
    f.reset_value = 0x0e;
    put_fadt(FADT_AT, &f);
    struct acpi_power p = parse();
    CHECK(p.reset_found);
    CHECK_EQ_U(p.reset.space, ACPI_SPACE_PCI_CONFIG);
    CHECK_EQ_U(p.reset.address, 0x1f000000cfull);
    CHECK_EQ_U(p.reset.value, 0x0e);

    f.reset_space = 0x7f;               /* functional fixed hardware: not for keel */
    put_fadt(FADT_AT, &f);
    p = parse();
    CHECK(!p.reset_found);

    f.reset_space = ACPI_SPACE_SYSTEM_IO;
    f.reset_address = 0;
    put_fadt(FADT_AT, &f);
    p = parse();
    CHECK(!p.reset_found);
}

TEST(dsdt_without_s5)
{
    build_acpi2_machine();
    put_dsdt(DSDT_AT, aml_filler, sizeof(aml_filler));
    struct acpi_power p = parse();

    CHECK(p.fadt_found);
    CHECK(!p.s5_found);
    CHECK(p.reset_found);
    CHECK_STR(p.problem, "no \\_S5 package in the DSDT");
}

TEST(dsdt_bad_checksum_or_signature)
{
    build_acpi2_machine();
    mem.bytes[DSDT_AT + 40] ^= 0x01;
    struct acpi_power p = parse();
    CHECK(p.fadt_found);
    CHECK(!p.s5_found);
    CHECK_STR(p.problem, "DSDT at 0x104000: checksum mismatch");

    build_acpi2_machine();
    memcpy(mem.bytes + DSDT_AT, "SSDT", 4);
    seal(DSDT_AT);
    p = parse();
    CHECK(!p.s5_found);
    CHECK_STR(p.problem, "DSDT at 0x104000: wrong signature");
}

TEST(dsdt_address_zero)
{
    struct fadt_spec f = standard_fadt();

    build_acpi2_machine();
    f.dsdt = 0;
    f.x_dsdt = 0;
    put_fadt(FADT_AT, &f);
    struct acpi_power p = parse();
    CHECK(p.fadt_found);
    CHECK(!p.s5_found);
    CHECK_STR(p.problem, "no DSDT address");
}

TEST(nothing_readable)
{
    build_acpi2_machine();
    mem.nothing_readable = true;
    struct acpi_power p = parse();

    CHECK(!p.rsdp_found);
    CHECK(!p.fadt_found);
    CHECK(!p.s5_found);
    CHECK(!p.reset_found);
    CHECK_EQ_U(p.oem_id[0], 0);
}

TEST(unreadable_fadt)
{
    build_acpi2_machine();
    mem.hole_start = FADT_AT;
    mem.hole_end = FADT_AT + 0x1000;
    struct acpi_power p = parse();

    CHECK(p.rsdp_found);
    CHECK(!p.fadt_found);
    CHECK_STR(p.problem, "RSDT at 0x101000 lists no FADT");
}
