/*
 * Host tests for guest/mb_loader.c.
 *
 * Kernel images are built here, in memory, field by field from the specs
 * (the ELF gABI's header layouts, multiboot 0.6.96 section 3.1), with their
 * own offsets rather than the loader's, so a wrong offset in the loader shows
 * up as a failure.  Each image is handed to the loader in a heap block of
 * exactly its length, and guest RAM is a heap block of exactly ram_size
 * bytes, so any read or write past either is an ASan report.  RAM starts
 * filled with RAM_FILL, to see what was written, what was zeroed and what
 * was left alone.  The multiboot information is read back the way a guest
 * reads it: from the flags, by guest-physical addresses.
 */
#include "tests/unit/unit.h"

#include "guest/mb_loader.c"
#include "lib/format.c"
#include "lib/string.c"

#define RAM_16M     (16u << 20)
#define RAM_FILL    0xCC
#define IMG_MAX     0x4000
#define ERR_MAX     256

#define MB_MAGIC        0x1BADB002u
#define MB_AOUT         (1u << 16)
#define ELF_PT_LOAD     1
#define ELF_PT_NOTE     4

/* ------------------------------------------------------------------------ */
/* Building images                                                          */

static void put(uint8_t *b, size_t off, uint64_t v, int size)
{
    for (int i = 0; i < size; i++, v >>= 8)
        b[off + i] = (uint8_t)v;
}

static uint64_t get(const uint8_t *b, uint64_t off, int size)
{
    uint64_t v = 0;
    for (int i = size - 1; i >= 0; i--)
        v = (v << 8) | b[off + i];
    return v;
}

/* Every image starts as this pattern, so copied bytes are recognisable. */
static uint8_t pattern_byte(size_t i)
{
    return (uint8_t)(i * 31 + 7);
}

static void fill_pattern(uint8_t *b, size_t len)
{
    for (size_t i = 0; i < len; i++)
        b[i] = pattern_byte(i);
}

/* Multiboot header (3.1.1): magic, flags, checksum = -(magic + flags). */
static void put_mb_header(uint8_t *b, size_t off, uint32_t flags)
{
    put(b, off + 0, MB_MAGIC, 4);
    put(b, off + 4, flags, 4);
    put(b, off + 8, (uint32_t)-(MB_MAGIC + flags), 4);
}

/* The a.out-kludge address fields that follow (3.1.3). */
static void put_aout_fields(uint8_t *b, size_t off, uint32_t header_addr, uint32_t load_addr,
                            uint32_t load_end_addr, uint32_t bss_end_addr, uint32_t entry_addr)
{
    put(b, off + 12, header_addr, 4);
    put(b, off + 16, load_addr, 4);
    put(b, off + 20, load_end_addr, 4);
    put(b, off + 24, bss_end_addr, 4);
    put(b, off + 28, entry_addr, 4);
}

struct seg {
    uint32_t type;
    uint64_t offset, vaddr, paddr, filesz, memsz;
};

struct elf_spec {
    int bits;                   /* 32 or 64 */
    uint8_t ei_class, ei_data;  /* 0: what bits says; little-endian */
    uint16_t type, machine;     /* 0: ET_EXEC; EM_386 or EM_X86_64 */
    uint64_t entry, phoff;
    uint16_t phentsize;         /* 0: 32 or 56 */
    int phnum;                  /* -1: nsegs */
    size_t nsegs;
    struct seg segs[4];
};

/* ELF header and program headers, gABI "ELF Header" and "Program Header";
 * the ELF64 offsets as in the ELF-64 Object File Format. */
static void put_elf(uint8_t *b, const struct elf_spec *e)
{
    bool is64 = e->bits == 64;
    int addr = is64 ? 8 : 4;
    uint16_t phentsize = e->phentsize ? e->phentsize : (is64 ? 56 : 32);

    memset(b, 0, is64 ? 64 : 52);
    b[0] = 0x7f, b[1] = 'E', b[2] = 'L', b[3] = 'F';
    b[4] = e->ei_class ? e->ei_class : (is64 ? 2 : 1);     /* EI_CLASS */
    b[5] = e->ei_data ? e->ei_data : 1;                     /* EI_DATA: LSB */
    b[6] = 1;                                               /* EI_VERSION */
    put(b, 16, e->type ? e->type : 2, 2);                   /* e_type: ET_EXEC */
    put(b, 18, e->machine ? e->machine : (is64 ? 62 : 3), 2);
    put(b, 20, 1, 4);                                       /* e_version */
    put(b, 24, e->entry, addr);                             /* e_entry */
    put(b, is64 ? 32 : 28, e->phoff, addr);                 /* e_phoff */
    put(b, is64 ? 52 : 40, is64 ? 64 : 52, 2);              /* e_ehsize */
    put(b, is64 ? 54 : 42, phentsize, 2);                   /* e_phentsize */
    put(b, is64 ? 56 : 44, e->phnum >= 0 ? (uint16_t)e->phnum : e->nsegs, 2);

    for (size_t i = 0; i < e->nsegs; i++) {
        const struct seg *s = &e->segs[i];
        uint64_t ph = e->phoff + i * phentsize;
        if (e->phoff > IMG_MAX || ph + phentsize > IMG_MAX)
            break;              /* a table placed out of the file on purpose */
        put(b, ph + 0, s->type, 4);
        if (is64) {
            put(b, ph + 4, 5, 4);                           /* p_flags: R+X */
            put(b, ph + 8, s->offset, 8);
            put(b, ph + 16, s->vaddr, 8);
            put(b, ph + 24, s->paddr, 8);
            put(b, ph + 32, s->filesz, 8);
            put(b, ph + 40, s->memsz, 8);
            put(b, ph + 48, 0x1000, 8);                     /* p_align */
        } else {
            put(b, ph + 4, s->offset, 4);
            put(b, ph + 8, s->vaddr, 4);
            put(b, ph + 12, s->paddr, 4);
            put(b, ph + 16, s->filesz, 4);
            put(b, ph + 20, s->memsz, 4);
            put(b, ph + 24, 5, 4);
            put(b, ph + 28, 0x1000, 4);
        }
    }
}

#define GOOD_MB_OFFSET  0x200
#define GOOD_LEN        0x2400

/* A well-formed kernel: text at 1 MiB, a note to skip, data + bss at 3 MiB. */
static struct elf_spec good_elf(int bits)
{
    return (struct elf_spec){
        .bits = bits,
        .entry = 0x100020,
        .phoff = 0x40,
        .phnum = -1,
        .nsegs = 3,
        .segs = {
            { ELF_PT_LOAD, 0x1000, 0xC0100000, 0x100000, 0x800, 0x800 },
            { ELF_PT_NOTE, 0x300, 0, 0xFFFFFFF0, 0x20, 0x20 },
            { ELF_PT_LOAD, 0x2000, 0xC0300000, 0x300000, 0x400, 0x2400 },
        },
    };
}

/* Writes spec and a multiboot header into a fresh pattern-filled image. */
static void build_elf(uint8_t *img, const struct elf_spec *e, uint32_t mb_flags)
{
    fill_pattern(img, IMG_MAX);
    put_elf(img, e);
    put_mb_header(img, GOOD_MB_OFFSET, mb_flags);
}

/* ------------------------------------------------------------------------ */
/* Loading                                                                  */

struct vm {
    uint8_t *ram;
    uint64_t size;
};

static struct vm new_vm(uint64_t size)
{
    struct vm vm = { .ram = malloc(size), .size = size };
    memset(vm.ram, RAM_FILL, size);
    return vm;
}

static bool ram_untouched(const struct vm *vm)
{
    static uint8_t *pristine;
    static uint64_t pristine_size;

    if (pristine_size < vm->size) {
        free(pristine);
        pristine = malloc(vm->size);
        memset(pristine, RAM_FILL, vm->size);
        pristine_size = vm->size;
    }
    return memcmp(vm->ram, pristine, vm->size) == 0;
}

/* Loads img[0..len) from a heap block of exactly len bytes. */
static int load(const uint8_t *img, size_t len, struct vm *vm, struct mb_load_result *res,
                char *err)
{
    uint8_t *exact = malloc(len ? len : 1);
    memcpy(exact, img, len);
    err[0] = '\0';
    int r = mb_guest_load(exact, len, vm->ram, vm->size, res, err, ERR_MAX);
    free(exact);
    return r;
}

/* Checks that ram[gpa, gpa + filesz) holds img[off...], the rest up to memsz
 * is zero, and the bytes just around it were not touched. */
static bool segment_landed(const struct vm *vm, const uint8_t *img, uint64_t off, uint64_t gpa,
                           uint64_t filesz, uint64_t memsz)
{
    if (memcmp(vm->ram + gpa, img + off, filesz) != 0)
        return false;
    for (uint64_t i = filesz; i < memsz; i++) {
        if (vm->ram[gpa + i] != 0)
            return false;
    }
    return vm->ram[gpa - 1] == RAM_FILL && vm->ram[gpa + memsz] == RAM_FILL;
}

#define CHECK_ERR(r, err, text)                                                           \
    do {                                                                                  \
        CHECK_EQ_I(r, -1);                                                                \
        if (strstr(err, text) == NULL)                                                    \
            UNIT_FAIL("error \"%s\" does not say \"%s\"", err, text);                     \
    } while (0)

/* Builds, loads and expects failure with text, leaving RAM untouched. */
static void expect_refused(const struct elf_spec *e, uint32_t mb_flags, size_t len,
                           const char *text, int line)
{
    static uint8_t img[IMG_MAX];
    struct vm vm = new_vm(RAM_16M);
    struct mb_load_result res;
    char err[ERR_MAX];

    build_elf(img, e, mb_flags);
    int r = load(img, len, &vm, &res, err);
    if (r != -1 || strstr(err, text) == NULL)
        UNIT_FAIL("line %d: got %d \"%s\", expected the error \"%s\"", line, r, err, text);
    if (!ram_untouched(&vm))
        UNIT_FAIL("line %d: RAM written although the image was refused", line);
    free(vm.ram);
}

#define EXPECT_REFUSED(e, text) expect_refused(&(e), 0x3, GOOD_LEN, text, __LINE__)

static void check_good_elf_loaded(int bits)
{
    static uint8_t img[IMG_MAX];
    struct elf_spec e = good_elf(bits);
    struct vm vm = new_vm(RAM_16M);
    struct mb_load_result res;
    char err[ERR_MAX];

    build_elf(img, &e, 0x3);
    int r = load(img, GOOD_LEN, &vm, &res, err);
    CHECK_EQ_I(r, 0);
    CHECK_STR(err, "");
    CHECK_EQ_U(res.format, bits == 64 ? MB_IMAGE_ELF64 : MB_IMAGE_ELF32);
    CHECK_EQ_U(res.entry, 0x100020);
    CHECK_EQ_U(res.image_start, 0x100000);
    CHECK_EQ_U(res.image_end, 0x302400);
    CHECK_EQ_U(res.header_flags, 0x3);
    CHECK(segment_landed(&vm, img, 0x1000, 0x100000, 0x800, 0x800));
    CHECK(segment_landed(&vm, img, 0x2000, 0x300000, 0x400, 0x2400));
    /* The PT_NOTE was not loaded anywhere, in particular not at its p_paddr. */
    CHECK_EQ_U(vm.ram[0xFFFFF0 & (RAM_16M - 1)], RAM_FILL);
    CHECK_EQ_U(vm.ram[0x80000], RAM_FILL);
    free(vm.ram);
}

TEST(elf32_segments_land_at_paddr_and_bss_is_zeroed)
{
    check_good_elf_loaded(32);
}

TEST(elf64_segments_land_at_paddr_and_bss_is_zeroed)
{
    check_good_elf_loaded(64);
}

TEST(elf64_high_addresses)
{
    struct elf_spec e = good_elf(64);

    e.entry = 0x100000100000ull;
    EXPECT_REFUSED(e, "ELF64 entry point 0x100000100000 is above 4 GiB: the guest starts in "
                      "32-bit mode");
    e = good_elf(64);
    e.segs[2].paddr = 0x100000300000ull;
    EXPECT_REFUSED(e, "segment 2 [0x100000300000, 0x100000302400) lies outside the VM's "
                      "16 MiB of RAM");
    e = good_elf(64);
    e.segs[2].paddr = UINT64_MAX - 0xFFF;
    EXPECT_REFUSED(e, "segment 2: 0x2400 bytes at 0xfffffffffffff000 run past the end of the "
                      "address space");
    e = good_elf(64);
    e.segs[0].filesz = 0x8000000000000000ull;
    EXPECT_REFUSED(e, "segment 0: file size 0x8000000000000000 is larger than its memory size");
    e.segs[0].memsz = 0x8000000000000000ull;
    EXPECT_REFUSED(e, "segment 0: its 0x8000000000000000 bytes at file offset 0x1000 run past "
                      "the end of the image (0x2400 bytes)");
}

TEST(empty_segments_are_skipped)
{
    static uint8_t img[IMG_MAX];
    struct elf_spec e = good_elf(32);
    struct vm vm = new_vm(RAM_16M);
    struct mb_load_result res;
    char err[ERR_MAX];

    /* A PT_LOAD with nothing in it, at an address that would be refused. */
    e.segs[1] = (struct seg){ ELF_PT_LOAD, 0, 0, 0x10, 0, 0 };
    build_elf(img, &e, 0x3);
    CHECK_EQ_I(load(img, GOOD_LEN, &vm, &res, err), 0);
    CHECK_EQ_U(res.image_start, 0x100000);
    CHECK_EQ_U(vm.ram[0x10], RAM_FILL);
    free(vm.ram);
}

TEST(segments_may_fill_low_memory_and_end_at_ram_end)
{
    static uint8_t img[IMG_MAX];
    struct elf_spec e = good_elf(32);
    struct vm vm = new_vm(RAM_16M);
    struct mb_load_result res;
    char err[ERR_MAX];

    /* Right after the IVT's page, right below the EBDA, at 1 MiB and at
     * the very end of RAM: every byte of the free ranges is usable. */
    e.nsegs = 4;
    e.segs[0].paddr = 0x1000;
    e.entry = 0x1000;
    e.segs[1] = (struct seg){ ELF_PT_LOAD, 0x1800, 0, 0x9FC00 - 0x800, 0x800, 0x800 };
    e.segs[2].paddr = RAM_16M - 0x2400;
    e.segs[3] = (struct seg){ ELF_PT_LOAD, 0x1000, 0, 0x100000, 0x100, 0x100 };
    build_elf(img, &e, 0x3);
    CHECK_EQ_I(load(img, GOOD_LEN, &vm, &res, err), 0);
    CHECK_STR(err, "");
    CHECK_EQ_U(res.image_start, 0x1000);
    CHECK_EQ_U(res.image_end, RAM_16M);
    CHECK_EQ_U(res.entry, 0x1000);
    CHECK(segment_landed(&vm, img, 0x1000, 0x1000, 0x800, 0x800));
    CHECK(segment_landed(&vm, img, 0x1800, 0x9F400, 0x800, 0x800));
    CHECK(segment_landed(&vm, img, 0x1000, 0x100000, 0x100, 0x100));
    CHECK_EQ_U(vm.ram[RAM_16M - 1], 0);
    CHECK_EQ_U(vm.ram[0xFFF], RAM_FILL);
    CHECK_EQ_U(vm.ram[0x9FC00], RAM_FILL);
    CHECK_EQ_U(vm.ram[0xFFFFF], RAM_FILL);
    free(vm.ram);
}

TEST(low_image_like_a_real_mode_test)
{
    /* One segment at 32 KiB with its bss, entered there: the shape of
     * kvm-unit-tests' realmode test. */
    static uint8_t img[IMG_MAX];
    struct elf_spec e = {
        .bits = 32, .entry = 0x8000, .phoff = 0x40, .phnum = -1, .nsegs = 1,
        .segs = { { ELF_PT_LOAD, 0x1000, 0x8000, 0x8000, 0x1400, 0x286C } },
    };
    struct vm vm = new_vm(RAM_16M);
    struct mb_load_result res;
    char err[ERR_MAX];

    build_elf(img, &e, 0);
    CHECK_EQ_I(load(img, GOOD_LEN, &vm, &res, err), 0);
    CHECK_STR(err, "");
    CHECK_EQ_U(res.image_start, 0x8000);
    CHECK_EQ_U(res.image_end, 0xA86C);
    CHECK_EQ_U(res.entry, 0x8000);
    CHECK(segment_landed(&vm, img, 0x1000, 0x8000, 0x1400, 0x286C));
    free(vm.ram);
}

TEST(segment_outside_ram)
{
    struct elf_spec e = good_elf(32);

    e.segs[2].paddr = 0xFFF000;
    EXPECT_REFUSED(e, "segment 2 [0xfff000, 0x1001400) lies outside the VM's 16 MiB of RAM");
    e.segs[2].paddr = 0x1000000;
    EXPECT_REFUSED(e, "segment 2 [0x1000000, 0x1002400) lies outside");
    e = good_elf(32);
    e.segs[0].paddr = 0xFFFFF000;
    e.segs[0].memsz = 0x1000;
    e.segs[0].filesz = 0x800;
    EXPECT_REFUSED(e, "segment 0 [0xfffff000, 0x100000000) lies outside");
}

#define IVT_WHY  "where keel writes the real-mode interrupt vector table"
#define BIOS_WHY "the EBDA, video memory and BIOS area (keel's ACPI tables and BIOS stubs)"

TEST(segment_in_a_reserved_range)
{
    /* Segment 0 is 0x800 bytes long. */
    static const struct {
        uint64_t addr;
        const char *range;
    } cases[] = {
        { 0, "[0x0, 0x1000), " IVT_WHY },
        { 0x800, "[0x0, 0x1000), " IVT_WHY },
        { 0xFFF, "[0x0, 0x1000), " IVT_WHY },
        { 0x9F401, "[0x9fc00, 0x100000), " BIOS_WHY },
        { 0x9FC00, "[0x9fc00, 0x100000), " BIOS_WHY },
        { 0xE0000, "[0x9fc00, 0x100000), " BIOS_WHY },
        { 0xFF801, "[0x9fc00, 0x100000), " BIOS_WHY },
    };
    struct elf_spec e = good_elf(32);
    char text[192];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        e.segs[0].paddr = cases[i].addr;
        e.entry = cases[i].addr;
        snprintf(text, sizeof(text), "segment 0 [0x%llx, 0x%llx) overlaps %s",
                 (unsigned long long)cases[i].addr, (unsigned long long)cases[i].addr + 0x800,
                 cases[i].range);
        EXPECT_REFUSED(e, text);
    }
    /* A segment across the whole reserved range. */
    e = good_elf(32);
    e.segs[2].paddr = 0x9F000;
    e.segs[2].memsz = 0x100000;
    EXPECT_REFUSED(e, "segment 2 [0x9f000, 0x19f000) overlaps [0x9fc00, 0x100000), " BIOS_WHY);
}

TEST(filesz_above_memsz)
{
    struct elf_spec e = good_elf(32);

    e.segs[2].filesz = 0x2401;
    EXPECT_REFUSED(e, "segment 2: file size 0x2401 is larger than its memory size 0x2400");
}

TEST(segment_bytes_beyond_the_file)
{
    struct elf_spec e = good_elf(32);

    e.segs[2].filesz = 0x401;
    e.segs[2].memsz = 0x401;
    EXPECT_REFUSED(e, "segment 2: its 0x401 bytes at file offset 0x2000 run past the end of "
                      "the image (0x2400 bytes)");
    e = good_elf(32);
    e.segs[0].offset = 0xFFFFFFFF;
    EXPECT_REFUSED(e, "segment 0: its 0x800 bytes at file offset 0xffffffff run past");
}

TEST(entry_point_must_be_loaded)
{
    struct elf_spec e = good_elf(32);

    e.entry = 0xC0100020;               /* the virtual address */
    EXPECT_REFUSED(e, "ELF32 entry point 0xc0100020 is in no loaded segment");
    e.entry = 0x100800;                 /* one past the text */
    EXPECT_REFUSED(e, "entry point 0x100800 is in no loaded segment");
    e.entry = 0x3023FF;                 /* last byte of the bss counts */
    static uint8_t img[IMG_MAX];
    struct vm vm = new_vm(RAM_16M);
    struct mb_load_result res;
    char err[ERR_MAX];
    build_elf(img, &e, 0x3);
    CHECK_EQ_I(load(img, GOOD_LEN, &vm, &res, err), 0);
    CHECK_EQ_U(res.entry, 0x3023FF);
    free(vm.ram);
}

TEST(elf_header_checks)
{
    struct elf_spec e = good_elf(32);

    e.ei_class = 3;
    EXPECT_REFUSED(e, "ELF class 3 is neither ELF32 nor ELF64");
    e = good_elf(32);
    e.ei_data = 2;
    EXPECT_REFUSED(e, "ELF32 image is not little-endian");
    e = good_elf(64);
    e.type = 3;                         /* ET_DYN */
    EXPECT_REFUSED(e, "ELF64 image of type 3 is not an executable (ET_EXEC)");
    e = good_elf(32);
    e.machine = 62;
    EXPECT_REFUSED(e, "ELF32 image for machine 62: keel runs EM_386 (3) ELF32 and "
                      "EM_X86_64 (62) ELF64 kernels");
    e = good_elf(64);
    e.machine = 3;
    EXPECT_REFUSED(e, "ELF64 image for machine 3");
    e = good_elf(64);
    e.machine = 183;                    /* EM_AARCH64 */
    EXPECT_REFUSED(e, "ELF64 image for machine 183");
}

TEST(program_header_table_checks)
{
    struct elf_spec e = good_elf(32);

    e.phnum = 0;
    EXPECT_REFUSED(e, "ELF32 image has no program headers");
    e = good_elf(32);
    e.phentsize = 31;
    EXPECT_REFUSED(e, "ELF32 program header size 31 is below the 32 bytes of one");
    e = good_elf(64);
    e.phentsize = 32;
    EXPECT_REFUSED(e, "ELF64 program header size 32 is below the 56 bytes of one");
    e = good_elf(32);
    e.phoff = 0x2400 - 0x5F;            /* the third entry is one byte short */
    EXPECT_REFUSED(e, "ELF32 program header table (3 entries at offset 0x23a1) runs past the "
                      "end of the image (0x2400 bytes)");
    e = good_elf(64);
    e.phnum = 0xFFFE;
    EXPECT_REFUSED(e, "ELF64 program header table (65534 entries at offset 0x40) runs past");
    e.phnum = 0xFFFF;
    EXPECT_REFUSED(e, "(e_phnum = PN_XNUM)");
    e = good_elf(32);
    e.phoff = 0xFFFFFFF0;
    EXPECT_REFUSED(e, "program header table (3 entries at offset 0xfffffff0) runs past");
    e = good_elf(64);
    e.phoff = UINT64_MAX - 8;
    EXPECT_REFUSED(e, "program header table (3 entries at offset 0xfffffffffffffff7) runs past");
}

TEST(wide_program_header_entries)
{
    /* e_phentsize larger than the structure: entries are that far apart. */
    static uint8_t img[IMG_MAX];
    struct elf_spec e = good_elf(64);
    struct vm vm = new_vm(RAM_16M);
    struct mb_load_result res;
    char err[ERR_MAX];

    e.phentsize = 64;
    build_elf(img, &e, 0x3);
    CHECK_EQ_I(load(img, GOOD_LEN, &vm, &res, err), 0);
    CHECK(segment_landed(&vm, img, 0x2000, 0x300000, 0x400, 0x2400));
    free(vm.ram);
}

TEST(no_loadable_segment)
{
    struct elf_spec e = good_elf(32);

    e.segs[0].type = ELF_PT_NOTE;
    e.segs[2].type = 6;                 /* PT_PHDR */
    EXPECT_REFUSED(e, "ELF32 image has no PT_LOAD segment with bytes to load");
}

TEST(truncated_elf_files)
{
    static uint8_t img[IMG_MAX];
    struct elf_spec e = good_elf(64);
    struct vm vm = new_vm(RAM_16M);
    struct mb_load_result res;
    char err[ERR_MAX];
    int bad = 0;

    build_elf(img, &e, 0x3);
    for (size_t len = 0; len < GOOD_LEN; len++) {
        if (load(img, len, &vm, &res, err) != -1 || err[0] == '\0')
            bad++;
    }
    CHECK_EQ_I(bad, 0);
    CHECK(ram_untouched(&vm));
    CHECK_EQ_I(load(img, 0x10, &vm, &res, err), -1);
    CHECK_STR(err, "not an ELF or a.out-kludge multiboot image: no multiboot header in the "
                   "first 8 KiB");
    CHECK_EQ_I(load(img, 0x20C, &vm, &res, err), -1);
    CHECK(strstr(err, "0x400 bytes at file offset 0x2000 run past") == NULL);
    CHECK_EQ_I(load(img, GOOD_LEN - 1, &vm, &res, err), -1);
    CHECK_STR(err, "segment 2: its 0x400 bytes at file offset 0x2000 run past the end of the "
                   "image (0x23ff bytes)");
    CHECK_EQ_I(load(img, GOOD_LEN, &vm, &res, err), 0);
    free(vm.ram);
}

TEST(cut_short_elf_headers)
{
    static uint8_t img[IMG_MAX];
    struct elf_spec e64 = good_elf(64), e32 = good_elf(32);
    struct vm vm = new_vm(RAM_16M);
    struct mb_load_result res;
    char err[ERR_MAX];

    /* The whole file is 0x30 bytes, so the multiboot header must be inside
     * the ELF header: at 0x24 it covers part of e_phoff and e_shoff, which
     * does not matter, since the ELF64 header itself is cut short. */
    build_elf(img, &e64, 0x3);
    put_mb_header(img, 0x24, 0x3);
    CHECK_EQ_I(load(img, 0x30, &vm, &res, err), -1);
    CHECK_STR(err, "ELF64 image cut short: 0x30 bytes, its header needs 0x40");

    build_elf(img, &e32, 0x3);
    put_mb_header(img, 0x24, 0x3);
    CHECK_EQ_I(load(img, 0x33, &vm, &res, err), -1);
    CHECK_STR(err, "ELF32 image cut short: 0x33 bytes, its header needs 0x34");

    /* A multiboot header at 0 leaves no room for the ELF magic. */
    build_elf(img, &e32, 0x3);
    put_mb_header(img, 0, 0x3);
    CHECK_EQ_I(load(img, GOOD_LEN, &vm, &res, err), -1);
    CHECK_STR(err, "not an ELF image, and its multiboot header does not set flag 16 (a.out "
                   "kludge) to give load addresses");
    CHECK(ram_untouched(&vm));
    free(vm.ram);
}

/* ------------------------------------------------------------------------ */
/* The multiboot header                                                     */

TEST(header_search)
{
    static uint8_t img[IMG_MAX];
    struct elf_spec e = good_elf(32);
    struct vm vm = new_vm(RAM_16M);
    struct mb_load_result res;
    char err[ERR_MAX];

    /* The last place it may be: ending exactly at 8 KiB. */
    build_elf(img, &e, 0x3);
    memset(img + GOOD_MB_OFFSET, 0, 12);
    put_mb_header(img, 8192 - 12, 0x3);
    CHECK_EQ_I(load(img, GOOD_LEN, &vm, &res, err), 0);
    CHECK_STR(err, "");
    free(vm.ram);

    /* One step further, it is out of reach. */
    vm = new_vm(RAM_16M);
    build_elf(img, &e, 0x3);
    memset(img + GOOD_MB_OFFSET, 0, 12);
    put_mb_header(img, 8192 - 8, 0x3);
    CHECK_EQ_I(load(img, GOOD_LEN, &vm, &res, err), -1);
    CHECK_STR(err, "multiboot header at offset 0x1ff8: it must lie within the first 8 KiB");
    CHECK(ram_untouched(&vm));

    /* Far past 8 KiB. */
    build_elf(img, &e, 0x3);
    memset(img + GOOD_MB_OFFSET, 0, 12);
    put_mb_header(img, 0x2100, 0x3);
    CHECK_EQ_I(load(img, GOOD_LEN, &vm, &res, err), -1);
    CHECK_STR(err, "multiboot header at offset 0x2100: it must lie within the first 8 KiB");

    /* Not 4-byte aligned: not a header. */
    build_elf(img, &e, 0x3);
    memset(img + GOOD_MB_OFFSET, 0, 12);
    put_mb_header(img, 0x202, 0x3);
    CHECK_EQ_I(load(img, GOOD_LEN, &vm, &res, err), -1);
    CHECK_STR(err, "not an ELF or a.out-kludge multiboot image: no multiboot header in the "
                   "first 8 KiB");

    /* Nothing at all. */
    CHECK_EQ_I(load(img, 0, &vm, &res, err), -1);
    CHECK_STR(err, "not an ELF or a.out-kludge multiboot image: no multiboot header in the "
                   "first 8 KiB");
    CHECK_EQ_I(mb_guest_load(NULL, 100, vm.ram, vm.size, &res, err, ERR_MAX), -1);
    CHECK(ram_untouched(&vm));
    free(vm.ram);
}

TEST(bad_checksum)
{
    static uint8_t img[IMG_MAX];
    struct elf_spec e = good_elf(32);
    struct vm vm = new_vm(RAM_16M);
    struct mb_load_result res;
    char err[ERR_MAX];

    build_elf(img, &e, 0x3);
    img[GOOD_MB_OFFSET + 8] ^= 1;
    CHECK_EQ_I(load(img, GOOD_LEN, &vm, &res, err), -1);
    CHECK_STR(err, "bad multiboot header checksum (magic at offset 0x200)");

    /* A bad one before a good one: the good one is used. */
    put_mb_header(img, 0x300, 0x3);
    CHECK_EQ_I(load(img, GOOD_LEN, &vm, &res, err), 0);
    free(vm.ram);
}

TEST(required_flags)
{
    static const uint32_t refused[] = { 1u << 3, 1u << 4, 1u << 15, 0xFFFF, (1u << 8) | 7 };
    static const uint32_t accepted[] = { 0, 1, 2, 4, 7, 1u << 17, 0xFFFE0007u };
    static uint8_t img[IMG_MAX];
    struct elf_spec e = good_elf(32);
    struct mb_load_result res;
    char err[ERR_MAX], text[160];

    for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
        snprintf(text, sizeof(text), "the multiboot header requires features keel does not "
                 "offer (required flag bits 0x%x; of bits 0-15 keel honours 0, 1 and 2)",
                 refused[i] & 0xFFF8);
        expect_refused(&e, refused[i], GOOD_LEN, text, __LINE__);
    }
    for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++) {
        struct vm vm = new_vm(RAM_16M);
        build_elf(img, &e, accepted[i] & ~MB_AOUT);
        int r = load(img, GOOD_LEN, &vm, &res, err);
        if (r != 0)
            UNIT_FAIL("flags 0x%x: %s", accepted[i], err);
        else
            CHECK_EQ_U(res.header_flags, accepted[i] & ~MB_AOUT);
        free(vm.ram);
    }
}

/* ------------------------------------------------------------------------ */
/* a.out-kludge images                                                      */

#define AOUT_LEN 0x3000

/* A flat binary of AOUT_LEN bytes: `skip` bytes the loader must not load,
 * then the text, whose byte 0x40 is the multiboot header (at 0x100040). */
static void build_aout(uint8_t *img, size_t skip, uint32_t load_end, uint32_t bss_end,
                       uint32_t entry)
{
    fill_pattern(img, IMG_MAX);
    put_mb_header(img, skip + 0x40, MB_AOUT | 0x3);
    put_aout_fields(img, skip + 0x40, 0x100040, 0x100000, load_end, bss_end, entry);
}

TEST(aout_kludge_loads)
{
    static uint8_t img[IMG_MAX];
    struct vm vm = new_vm(RAM_16M);
    struct mb_load_result res;
    char err[ERR_MAX];

    build_aout(img, 0, 0x102000, 0x104000, 0x100100);
    CHECK_EQ_I(load(img, AOUT_LEN, &vm, &res, err), 0);
    CHECK_STR(err, "");
    CHECK_EQ_U(res.format, MB_IMAGE_AOUT_KLUDGE);
    CHECK_EQ_U(res.entry, 0x100100);
    CHECK_EQ_U(res.image_start, 0x100000);
    CHECK_EQ_U(res.image_end, 0x104000);
    CHECK_EQ_U(res.header_flags, MB_AOUT | 0x3);
    CHECK(segment_landed(&vm, img, 0, 0x100000, 0x2000, 0x4000));
    free(vm.ram);
}

TEST(aout_kludge_skips_what_precedes_load_addr)
{
    static uint8_t img[IMG_MAX];
    struct vm vm = new_vm(RAM_16M);
    struct mb_load_result res;
    char err[ERR_MAX];

    build_aout(img, 0x100, 0x101000, 0, 0x100000);
    CHECK_EQ_I(load(img, AOUT_LEN, &vm, &res, err), 0);
    /* bss_end_addr 0: no bss. */
    CHECK(segment_landed(&vm, img, 0x100, 0x100000, 0x1000, 0x1000));
    CHECK_EQ_U(res.image_end, 0x101000);
    free(vm.ram);
}

TEST(aout_kludge_whole_file)
{
    static uint8_t img[IMG_MAX];
    struct vm vm = new_vm(RAM_16M);
    struct mb_load_result res;
    char err[ERR_MAX];

    /* load_end_addr 0: everything from the load offset to the end of the file. */
    build_aout(img, 0x20, 0, 0x105000, 0x100000);
    CHECK_EQ_I(load(img, AOUT_LEN, &vm, &res, err), 0);
    CHECK(segment_landed(&vm, img, 0x20, 0x100000, AOUT_LEN - 0x20, 0x5000));
    CHECK_EQ_U(res.image_end, 0x105000);
    free(vm.ram);
}

TEST(aout_kludge_wins_over_elf)
{
    static uint8_t img[IMG_MAX];
    struct elf_spec e = good_elf(32);
    struct vm vm = new_vm(RAM_16M);
    struct mb_load_result res;
    char err[ERR_MAX];

    build_elf(img, &e, 0x3);
    put_mb_header(img, GOOD_MB_OFFSET, MB_AOUT);
    put_aout_fields(img, GOOD_MB_OFFSET, 0x500200, 0x500000, 0x501000, 0x502000, 0x500000);
    CHECK_EQ_I(load(img, GOOD_LEN, &vm, &res, err), 0);
    CHECK_EQ_U(res.format, MB_IMAGE_AOUT_KLUDGE);
    CHECK(segment_landed(&vm, img, 0, 0x500000, 0x1000, 0x2000));
    CHECK_EQ_U(vm.ram[0x100000], RAM_FILL);     /* the ELF segments were not loaded */
    free(vm.ram);
}

static void expect_aout_refused(size_t skip, uint32_t header_addr, uint32_t load_addr,
                                uint32_t load_end, uint32_t bss_end, uint32_t entry,
                                size_t len, const char *text, int line)
{
    static uint8_t img[IMG_MAX];
    struct vm vm = new_vm(RAM_16M);
    struct mb_load_result res;
    char err[ERR_MAX];

    build_aout(img, skip, load_end, bss_end, entry);
    put_aout_fields(img, skip + 0x40, header_addr, load_addr, load_end, bss_end, entry);
    int r = load(img, len, &vm, &res, err);
    if (r != -1 || strstr(err, text) == NULL)
        UNIT_FAIL("line %d: got %d \"%s\", expected the error \"%s\"", line, r, err, text);
    if (!ram_untouched(&vm))
        UNIT_FAIL("line %d: RAM written although the image was refused", line);
    free(vm.ram);
}

#define AOUT_REFUSED(...) expect_aout_refused(__VA_ARGS__, __LINE__)

TEST(aout_kludge_checks)
{
    AOUT_REFUSED(0, 0x100040, 0x100041, 0x102000, 0, 0x100100, AOUT_LEN,
                 "a.out kludge: load_addr 0x100041 is above header_addr 0x100040");
    AOUT_REFUSED(0, 0x100040, 0x100000 - 4, 0x102000, 0, 0x100100, AOUT_LEN,
                 "a.out kludge: header_addr - load_addr = 0x44, but the header is only 0x40 "
                 "bytes into the file");
    AOUT_REFUSED(0, 0x100040, 0x100000, 0xFFFFF, 0, 0x100000, AOUT_LEN,
                 "a.out kludge: load_end_addr 0xfffff is below load_addr 0x100000");
    AOUT_REFUSED(0, 0x100040, 0x100000, 0x102000, 0x101FFF, 0x100000, AOUT_LEN,
                 "a.out kludge: bss_end_addr 0x101fff is below the end of the loaded bytes "
                 "0x102000");
    AOUT_REFUSED(0x10, 0x100040, 0x100000, 0x103000, 0, 0x100000, AOUT_LEN,
                 "a.out-kludge image: its 0x3000 bytes at file offset 0x10 run past the end "
                 "of the image (0x3000 bytes)");
    AOUT_REFUSED(0, 0x100040, 0x100000, 0x102000, 0x104000, 0x104000, AOUT_LEN,
                 "a.out kludge: entry_addr 0x104000 is outside the loaded [0x100000, 0x104000)");
    AOUT_REFUSED(0, 0x100040, 0x100000, 0x102000, 0x104000, 0xFFFFF, AOUT_LEN,
                 "a.out kludge: entry_addr 0xfffff is outside");
    AOUT_REFUSED(0, 0x40, 0, 0x2000, 0, 0x100, AOUT_LEN,
                 "a.out-kludge image [0x0, 0x2000) overlaps [0x0, 0x1000), " IVT_WHY);
    AOUT_REFUSED(0, 0xFF040, 0xFF000, 0x101000, 0, 0xFF000, AOUT_LEN,
                 "a.out-kludge image [0xff000, 0x101000) overlaps [0x9fc00, 0x100000)");
    AOUT_REFUSED(0, 0xFFFFF040, 0xFFFFF000, 0, 0, 0xFFFFF000, AOUT_LEN,
                 "a.out-kludge image [0xfffff000, 0x100002000) lies outside the VM's 16 MiB");
    AOUT_REFUSED(0, 0x100040, 0x100000, 0x102000, 0xFFFFFFFF, 0x100000, AOUT_LEN,
                 "a.out-kludge image [0x100000, 0xffffffff) lies outside");
    /* The address fields themselves cut off by the end of the file... */
    AOUT_REFUSED(0, 0x100040, 0x100000, 0, 0, 0x100000, 0x40 + 31,
                 "multiboot header at offset 0x40 sets flag 16 (a.out kludge) but its address "
                 "fields run past the end of the image");
}

TEST(aout_fields_must_be_within_8k)
{
    static uint8_t img[IMG_MAX];
    struct vm vm = new_vm(RAM_16M);
    struct mb_load_result res;
    char err[ERR_MAX];

    /* ...or by the 8 KiB limit: the 12-byte header fits, its 20 more bytes do not. */
    fill_pattern(img, IMG_MAX);
    put_mb_header(img, 8192 - 12, MB_AOUT);
    CHECK_EQ_I(load(img, AOUT_LEN, &vm, &res, err), -1);
    CHECK_STR(err, "multiboot header at offset 0x1ff4 sets flag 16 (a.out kludge) but its "
                   "address fields run past the first 8 KiB");
    free(vm.ram);
}

/* ------------------------------------------------------------------------ */
/* Corrupt input in bulk                                                    */

static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
    /* xorshift32: fixed seed, so a failure repeats. */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* The ranges no image byte may land in still hold RAM_FILL. */
static bool reserved_ranges_untouched(const struct vm *vm)
{
    for (uint64_t a = 0; a < 0x1000; a++) {
        if (vm->ram[a] != RAM_FILL)
            return false;
    }
    for (uint64_t a = 0x9FC00; a < 0x100000; a++) {
        if (vm->ram[a] != RAM_FILL)
            return false;
    }
    return true;
}

static bool info_is_sane(const struct vm *vm, const struct mb_load_result *res);

/* Random damage to the headers of good images, loaded at 1 MiB or, like a
 * real-mode test, at 32 KiB.  Whatever the loader makes of it, it must not
 * read or write out of bounds (ASan), it must leave RAM alone when it
 * refuses; what it accepts must lie inside RAM and leave keel's reserved
 * ranges alone, and the multiboot information built for it must be sane
 * (info_is_sane). */
TEST(damaged_headers)
{
    static uint8_t good[IMG_MAX], img[IMG_MAX];
    struct vm vm = new_vm(8u << 20);
    struct mb_load_result res;
    char err[ERR_MAX];
    int accepted = 0, accepted_low = 0, refused = 0, bad = 0;

    for (int round = 0; round < 1600; round++) {
        int kind = round % 4;
        size_t len = kind == 2 ? AOUT_LEN : GOOD_LEN;
        if (kind == 2) {
            build_aout(good, 0, 0x102000, 0x104000, 0x100100);
        } else if (kind == 3) {
            struct elf_spec e = {
                .bits = 32, .entry = 0x8000, .phoff = 0x40, .phnum = -1, .nsegs = 2,
                .segs = { { ELF_PT_LOAD, 0x1000, 0x8000, 0x8000, 0x800, 0x800 },
                          { ELF_PT_LOAD, 0x2000, 0xA000, 0xA000, 0x400, 0x2400 } },
            };
            build_elf(good, &e, 0);
        } else {
            struct elf_spec e = good_elf(kind == 0 ? 32 : 64);
            build_elf(good, &e, 0x3);
        }
        memcpy(img, good, IMG_MAX);
        int nflips = 1 + (int)(rng() % 4);
        for (int f = 0; f < nflips; f++) {
            /* Hit the ELF header, the program headers or the multiboot header. */
            size_t off = rng() % 3 == 0 ? GOOD_MB_OFFSET + rng() % 32
                         : kind == 2    ? 0x40 + rng() % 32
                                        : rng() % 0x100;
            img[off] = (uint8_t)rng();
        }
        if (rng() % 4 == 0)
            len = rng() % (len + 1);

        if (load(img, len, &vm, &res, err) != 0) {
            refused++;
            if (err[0] == '\0' || !ram_untouched(&vm))
                bad++;
            continue;
        }
        accepted++;
        accepted_low += res.image_start < 0x100000;
        if (res.image_start < 0x1000 || res.image_end > vm.size ||
            res.image_start >= res.image_end || res.entry < res.image_start ||
            res.entry >= res.image_end || !reserved_ranges_untouched(&vm) ||
            !info_is_sane(&vm, &res))
            bad++;
        memset(vm.ram, RAM_FILL, vm.size);
    }
    CHECK_EQ_I(bad, 0);
    CHECK(accepted > 50);       /* the damage is not all fatal... */
    CHECK(accepted_low > 20);   /* ...images below 1 MiB among them... */
    CHECK(refused > 300);       /* ...and not all harmless */
    free(vm.ram);
}

/* ------------------------------------------------------------------------ */
/* The multiboot information, read back as a guest reads it                 */

/* Conventional memory, where the information must lie. */
#define INFO_START 0x1000
#define INFO_END   0x9FC00

struct guest_view {
    const uint8_t *ram;
    uint64_t size;
    int faults;                 /* addresses outside the info area, strings unterminated */
    uint64_t image_start, image_end;    /* where the information must not be */
};

static struct guest_view view_of(const struct vm *vm, const struct mb_info_src *src)
{
    return (struct guest_view){ vm->ram, vm->size, 0, src->image_start, src->image_end };
}

/* May the information hold [gpa, gpa + n)? */
static bool in_info(const struct guest_view *g, uint64_t gpa, uint64_t n)
{
    return gpa >= INFO_START && gpa + n <= INFO_END &&
           !(gpa < g->image_end && gpa + n > g->image_start);
}

static uint32_t g32(struct guest_view *g, uint64_t gpa)
{
    if (!in_info(g, gpa, 4)) {
        g->faults++;
        return 0;
    }
    return (uint32_t)get(g->ram, gpa, 4);
}

static uint64_t g64(struct guest_view *g, uint64_t gpa)
{
    if (!in_info(g, gpa, 8)) {
        g->faults++;
        return 0;
    }
    return get(g->ram, gpa, 8);
}

/* A string inside the info area, or "<bad>". */
static const char *gstr(struct guest_view *g, uint32_t gpa)
{
    const uint8_t *nul = gpa >= INFO_START && gpa < INFO_END
                             ? memchr(g->ram + gpa, 0, INFO_END - gpa) : NULL;
    if (nul == NULL || !in_info(g, gpa, (uint64_t)(nul - (g->ram + gpa)) + 1)) {
        g->faults++;
        return "<bad>";
    }
    return (const char *)g->ram + gpa;
}

struct mmap_entry {
    uint64_t base, length;
    uint32_t type;
};

/* Walks the memory map by its size fields, as the spec tells a guest to. */
static int read_mmap(struct guest_view *g, uint32_t mbi, struct mmap_entry *out, int max)
{
    uint32_t addr = g32(g, mbi + 48), length = g32(g, mbi + 44);
    int n = 0;

    for (uint64_t p = addr; p < (uint64_t)addr + length && n < max; n++) {
        uint32_t size = g32(g, p);
        out[n].base = g64(g, p + 4);
        out[n].length = g64(g, p + 12);
        out[n].type = g32(g, p + 20);
        if (size < 20) {
            g->faults++;
            break;
        }
        p += size + 4;
    }
    return n;
}

struct decoded_module {
    uint32_t start, end;
    const char *string;
    uint32_t reserved;
};

static uint32_t read_modules(struct guest_view *g, uint32_t mbi, struct decoded_module *out,
                             uint32_t max)
{
    uint32_t count = g32(g, mbi + 20), addr = g32(g, mbi + 24);

    for (uint32_t i = 0; i < count && i < max; i++) {
        out[i].start = g32(g, addr + 16 * i);
        out[i].end = g32(g, addr + 16 * i + 4);
        out[i].string = gstr(g, g32(g, addr + 16 * i + 8));
        out[i].reserved = g32(g, addr + 16 * i + 12);
    }
    return count;
}

/* The information built for a loaded image, read back as a guest reads
 * it: everything it points to lies in conventional memory outside the
 * image (guest_view), the module is page-aligned after both the image and
 * 1 MiB, and the image is intact.  Refusing is sane too, with a message
 * and the image left alone. */
static bool info_is_sane(const struct vm *vm, const struct mb_load_result *res)
{
    static const uint8_t module[] = "NR_CPUS=1\n";
    static uint8_t image_copy[8u << 20];
    struct mb_module_src mods[] = { { module, sizeof(module), "env" } };
    struct mb_info_src src = { .cmdline = "realmode.flat", .loader_name = "keel",
                               .image_start = res->image_start, .image_end = res->image_end,
                               .modules = mods, .nmodules = 1 };
    uint64_t span = res->image_end - res->image_start;
    char err[ERR_MAX] = "";
    uint32_t mbi;

    memcpy(image_copy, vm->ram + res->image_start, span);
    int r = mb_guest_build_info(vm->ram, vm->size, &src, &mbi, err, sizeof(err));
    bool image_intact = memcmp(image_copy, vm->ram + res->image_start, span) == 0;
    if (r != 0)
        return err[0] != '\0' && image_intact;

    struct guest_view g = view_of(vm, &src);
    struct decoded_module m[1];
    struct mmap_entry mm[8];
    uint64_t first_free = res->image_end > 0x100000 ? res->image_end : 0x100000;
    bool ok = image_intact && read_modules(&g, mbi, m, 1) == 1 &&
              read_mmap(&g, mbi, mm, 8) == 4 &&
              strcmp(gstr(&g, g32(&g, mbi + 16)), "realmode.flat") == 0 &&
              strcmp(gstr(&g, g32(&g, mbi + 64)), "keel") == 0 &&
              m[0].start >= first_free && m[0].start % 0x1000 == 0 &&
              m[0].end == m[0].start + sizeof(module) && m[0].end <= vm->size &&
              memcmp(vm->ram + m[0].start, module, sizeof(module)) == 0 && g.faults == 0;
    return ok;
}

TEST(info_decodes_back)
{
    static uint8_t mod0[] = "hello";
    static uint8_t mod1[0x2001];
    struct mb_module_src mods[] = {
        { mod0, 5, "mod one" },
        { mod1, sizeof(mod1), NULL },
    };
    struct mb_info_src src = {
        .cmdline = "console=ttyS0 x=\"y z\"",
        .loader_name = "keel",
        .image_start = 0x100000,
        .image_end = 0x123456,
        .modules = mods,
        .nmodules = 2,
    };
    struct vm vm = new_vm(RAM_16M);
    char err[ERR_MAX] = "";
    uint32_t mbi = 0;

    fill_pattern(mod1, sizeof(mod1));
    CHECK_EQ_I(mb_guest_build_info(vm.ram, vm.size, &src, &mbi, err, sizeof(err)), 0);
    CHECK_STR(err, "");

    struct guest_view g = view_of(&vm, &src);
    CHECK_EQ_U(mbi, 0x1000);                        /* the start of conventional memory */
    CHECK_EQ_U(mbi % 4, 0);
    uint32_t flags = g32(&g, mbi);
    CHECK_EQ_U(flags, (1u << 0) | (1u << 2) | (1u << 3) | (1u << 6) | (1u << 9));
    CHECK_EQ_U(g32(&g, mbi + 4), 639);
    CHECK_EQ_U(g32(&g, mbi + 8), (RAM_16M - 0x100000) / 1024);
    CHECK_STR(gstr(&g, g32(&g, mbi + 16)), "console=ttyS0 x=\"y z\"");
    CHECK_STR(gstr(&g, g32(&g, mbi + 64)), "keel");
    /* Fields not flagged are zero: boot_device, syms, drives, config, APM, VBE, fb. */
    CHECK_EQ_U(g32(&g, mbi + 12), 0);
    for (uint32_t off = 28; off < 44; off += 4)
        CHECK_EQ_U(g32(&g, mbi + off), 0);
    for (uint32_t off = 52; off < 64; off += 4)
        CHECK_EQ_U(g32(&g, mbi + off), 0);
    for (uint32_t off = 68; off < 116; off += 4)
        CHECK_EQ_U(g32(&g, mbi + off), 0);

    struct decoded_module m[4];
    CHECK_EQ_U(read_modules(&g, mbi, m, 4), 2);
    CHECK_EQ_U(m[0].start, 0x124000);               /* first page after the image */
    CHECK_EQ_U(m[0].end, 0x124005);
    CHECK_STR(m[0].string, "mod one");
    CHECK_EQ_U(m[0].reserved, 0);
    CHECK_EQ_U(m[1].start, 0x125000);               /* page-aligned after module 0 */
    CHECK_EQ_U(m[1].end, 0x125000 + sizeof(mod1));
    CHECK_STR(m[1].string, "");
    CHECK(memcmp(vm.ram + m[0].start, "hello", 5) == 0);
    CHECK(memcmp(vm.ram + m[1].start, mod1, sizeof(mod1)) == 0);
    CHECK_EQ_U(vm.ram[m[1].end], RAM_FILL);
    CHECK_EQ_U(vm.ram[0x123456], RAM_FILL);         /* the image itself is left alone */

    struct mmap_entry mm[8];
    CHECK_EQ_I(read_mmap(&g, mbi, mm, 8), 4);
    CHECK_EQ_U(g32(&g, g32(&g, mbi + 48)), 20);     /* size field, not counting itself */
    CHECK_EQ_U(mm[0].base, 0);
    CHECK_EQ_U(mm[0].length, 0x9FC00);
    CHECK_EQ_U(mm[0].type, 1);
    CHECK_EQ_U(mm[1].base, 0x9FC00);
    CHECK_EQ_U(mm[1].length, 0x400);
    CHECK_EQ_U(mm[1].type, 2);
    CHECK_EQ_U(mm[2].base, 0xE0000);
    CHECK_EQ_U(mm[2].length, 0x20000);
    CHECK_EQ_U(mm[2].type, 2);
    CHECK_EQ_U(mm[3].base, 0x100000);
    CHECK_EQ_U(mm[3].length, RAM_16M - 0x100000);
    CHECK_EQ_U(mm[3].type, 1);
    CHECK_EQ_U(g32(&g, mbi + 44), 4 * 24);
    CHECK_EQ_I(g.faults, 0);

    /* Below the info area and the first page: nothing written. */
    for (uint32_t a = 0; a < INFO_START; a++) {
        if (vm.ram[a] != RAM_FILL) {
            UNIT_FAIL("byte 0x%x of the first page was written", a);
            break;
        }
    }
    free(vm.ram);
}

TEST(info_without_modules_or_strings)
{
    struct mb_info_src src = { .image_start = 0x100000, .image_end = 0x200000 };
    struct vm vm = new_vm(2u << 20);
    char err[ERR_MAX];
    uint32_t mbi;

    CHECK_EQ_I(mb_guest_build_info(vm.ram, vm.size, &src, &mbi, err, sizeof(err)), 0);
    struct guest_view g = view_of(&vm, &src);
    struct decoded_module m[1];
    struct mmap_entry mm[8];
    CHECK_EQ_U(read_modules(&g, mbi, m, 1), 0);
    CHECK_STR(gstr(&g, g32(&g, mbi + 16)), "");
    CHECK_STR(gstr(&g, g32(&g, mbi + 64)), "");
    CHECK_EQ_U(g32(&g, mbi + 8), 1024);
    CHECK_EQ_I(read_mmap(&g, mbi, mm, 8), 4);
    CHECK_EQ_U(mm[3].length, 1u << 20);
    CHECK_EQ_I(g.faults, 0);
    free(vm.ram);
}

TEST(modules_go_above_1mib_and_may_fill_ram)
{
    static uint8_t bytes[0x3000];
    struct mb_module_src mods[] = { { bytes, 0x1000, "a" }, { bytes, 0, "empty" },
                                    { bytes, 0x3000, "b" } };
    /* No image (start = end): the modules start at 1 MiB. */
    struct mb_info_src src = { .cmdline = "", .loader_name = "keel", .modules = mods,
                               .nmodules = 3 };
    struct vm vm = new_vm(2u << 20);
    char err[ERR_MAX];
    uint32_t mbi;

    fill_pattern(bytes, sizeof(bytes));
    CHECK_EQ_I(mb_guest_build_info(vm.ram, vm.size, &src, &mbi, err, sizeof(err)), 0);
    struct guest_view g = view_of(&vm, &src);
    struct decoded_module m[3];
    CHECK_EQ_U(read_modules(&g, mbi, m, 3), 3);
    CHECK_EQ_U(m[0].start, 0x100000);
    CHECK_EQ_U(m[1].start, 0x101000);
    CHECK_EQ_U(m[1].end, 0x101000);
    CHECK_STR(m[1].string, "empty");
    CHECK_EQ_U(m[2].start, 0x101000);
    CHECK_EQ_U(m[2].end, 0x104000);
    CHECK_EQ_I(g.faults, 0);
    free(vm.ram);

    /* An image below 1 MiB: the modules still start at 1 MiB, not after it. */
    src.image_start = 0x8000;
    src.image_end = 0xA86C;
    vm = new_vm(2u << 20);
    CHECK_EQ_I(mb_guest_build_info(vm.ram, vm.size, &src, &mbi, err, sizeof(err)), 0);
    g = view_of(&vm, &src);
    CHECK_EQ_U(read_modules(&g, mbi, m, 3), 3);
    CHECK_EQ_U(m[0].start, 0x100000);
    CHECK_EQ_U(m[2].end, 0x104000);
    CHECK_EQ_I(g.faults, 0);
    free(vm.ram);

    /* A module that ends exactly at the end of RAM fits; one byte more does not. */
    src.image_start = 0x100000;
    src.image_end = (2u << 20) - 0x4000;
    vm = new_vm(2u << 20);
    CHECK_EQ_I(mb_guest_build_info(vm.ram, vm.size, &src, &mbi, err, sizeof(err)), 0);
    CHECK(memcmp(vm.ram + (2u << 20) - 0x3000, bytes, 0x3000) == 0);
    src.image_end += 1;
    CHECK_EQ_I(mb_guest_build_info(vm.ram, vm.size, &src, &mbi, err, sizeof(err)), -1);
    CHECK_STR(err, "module 2 (0x3000 bytes at 0x1fe000) does not fit in the VM's 2 MiB of RAM");
    free(vm.ram);
}

TEST(module_past_ram_is_refused_before_anything_is_written)
{
    static uint8_t bytes[16];
    struct mb_module_src mods[] = { { bytes, 16, "a" } };
    struct mb_info_src src = { .image_start = 0x100000, .image_end = 0x1FF800, .modules = mods,
                               .nmodules = 1 };
    struct vm vm = new_vm(2u << 20);
    char err[ERR_MAX];
    uint32_t mbi;

    CHECK_EQ_I(mb_guest_build_info(vm.ram, vm.size, &src, &mbi, err, sizeof(err)), -1);
    CHECK_STR(err, "module 0 (0x10 bytes at 0x200000) does not fit in the VM's 2 MiB of RAM");
    CHECK(ram_untouched(&vm));

    /* An image said to end past RAM is the caller's mistake: refused too. */
    src.image_end = 0x300000;
    CHECK_EQ_I(mb_guest_build_info(vm.ram, vm.size, &src, &mbi, err, sizeof(err)), -1);
    CHECK_STR(err, "the image [0x100000, 0x300000) is not inside guest RAM");
    src.image_end = UINT64_MAX;
    CHECK_EQ_I(mb_guest_build_info(vm.ram, vm.size, &src, &mbi, err, sizeof(err)), -1);
    CHECK(ram_untouched(&vm));
    free(vm.ram);
}

TEST(info_area_overflow)
{
    size_t big = INFO_END - INFO_START;
    char *cmdline = malloc(big);
    struct mb_info_src src = { .cmdline = cmdline, .loader_name = "keel",
                               .image_start = 0x100000, .image_end = 0x101000 };
    struct vm vm = new_vm(RAM_16M);
    char err[ERR_MAX];
    uint32_t mbi;

    /* The fixed parts take 120 + 96 bytes, "keel" 5: the command line gets the rest. */
    size_t room = big - 120 - 96 - 5;
    memset(cmdline, 'c', room - 1);
    cmdline[room - 1] = '\0';
    CHECK_EQ_I(mb_guest_build_info(vm.ram, vm.size, &src, &mbi, err, sizeof(err)), 0);
    struct guest_view g = view_of(&vm, &src);
    CHECK_EQ_U(strlen(gstr(&g, g32(&g, mbi + 16))), room - 1);
    CHECK_EQ_I(g.faults, 0);
    CHECK_EQ_U(vm.ram[INFO_END], RAM_FILL);
    free(vm.ram);

    vm = new_vm(RAM_16M);
    memset(cmdline, 'c', room);
    cmdline[room] = '\0';
    CHECK_EQ_I(mb_guest_build_info(vm.ram, vm.size, &src, &mbi, err, sizeof(err)), -1);
    CHECK_STR(err, "the multiboot information (0x9ec01 bytes with the command line and module "
                   "strings) fits neither below the image in [0x1000, 0x9fc00) nor after it in "
                   "[0x9fc00, 0x9fc00)");
    CHECK(ram_untouched(&vm));
    free(vm.ram);
    free(cmdline);
}

/* Builds the information with a command line of cmdline_len bytes for an
 * image at [start, end); returns where it went, or 0 when it was refused. */
static uint32_t info_at(uint64_t start, uint64_t end, size_t cmdline_len, char *err)
{
    static char cmdline[INFO_END];
    struct mb_info_src src = { .cmdline = cmdline, .loader_name = "", .image_start = start,
                               .image_end = end };
    struct vm vm = new_vm(2u << 20);
    uint32_t mbi = 0;

    memset(cmdline, 'c', cmdline_len);
    cmdline[cmdline_len] = '\0';
    err[0] = '\0';
    int r = mb_guest_build_info(vm.ram, vm.size, &src, &mbi, err, ERR_MAX);
    struct guest_view g = view_of(&vm, &src);
    if (r == 0 && (strlen(gstr(&g, g32(&g, mbi + 16))) != cmdline_len || g.faults != 0))
        UNIT_FAIL("image [0x%llx, 0x%llx): info at 0x%x overlaps it or is out of place",
                  (unsigned long long)start, (unsigned long long)end, mbi);
    /* Nothing written over the image itself. */
    for (uint64_t a = start; a < end && a < vm.size; a++) {
        if (vm.ram[a] != RAM_FILL) {
            UNIT_FAIL("image [0x%llx, 0x%llx): byte 0x%llx written", (unsigned long long)start,
                      (unsigned long long)end, (unsigned long long)a);
            break;
        }
    }
    free(vm.ram);
    return r == 0 ? mbi : 0;
}

/* 120 + 96 bytes, the command line and its NUL, the empty loader name's NUL. */
#define INFO_BYTES(cmdline_len) (120 + 96 + (cmdline_len) + 2)

TEST(info_goes_below_the_image_or_after_it)
{
    char err[ERR_MAX];

    /* kvm-unit-tests' realmode test: at 32 KiB, with room below. */
    CHECK_EQ_U(info_at(0x8000, 0xA86C, 100, err), 0x1000);
    /* Exactly room below, then one byte too few: after the image, 8-aligned. */
    CHECK_EQ_U(info_at(0x2000, 0x3000, 0x1000 - INFO_BYTES(0), err), 0x1000);
    CHECK_EQ_U(info_at(0x2000, 0x3001, 0x1000 - INFO_BYTES(0) + 1, err), 0x3008);
    /* No room below at all. */
    CHECK_EQ_U(info_at(0x1000, 0x9000, 10, err), 0x9000);
    /* Room neither below nor after: refused, saying where it looked. */
    CHECK_EQ_U(info_at(0x1000, 0x9FC00 - 0x80, 10, err), 0);
    CHECK_STR(err, "the multiboot information (0xe4 bytes with the command line and module "
                   "strings) fits neither below the image in [0x1000, 0x1000) nor after it in "
                   "[0x9fb80, 0x9fc00)");
    /* Ending right at the EBDA, it just fits; one byte later (8-aligned) it does not. */
    CHECK_EQ_U(INFO_BYTES(14) % 8, 0);
    CHECK_EQ_U(info_at(0x1000, 0x9FC00 - INFO_BYTES(14), 14, err), 0x9FC00 - INFO_BYTES(14));
    CHECK_EQ_U(info_at(0x1000, 0x9FC00 - INFO_BYTES(14) + 1, 14, err), 0);
    /* At or above 1 MiB the whole of conventional memory is free. */
    CHECK_EQ_U(info_at(0x100000, 0x180000, 0x9EC00 - INFO_BYTES(0), err), 0x1000);
    /* The image counts as one span, gaps included: segments at 8 KiB and 1 MiB
     * leave 4 KiB below them. */
    CHECK_EQ_U(info_at(0x2000, 0x180000, 100, err), 0x1000);
    CHECK_EQ_U(info_at(0x2000, 0x180000, 0x1000, err), 0);
    CHECK_STR(err, "the multiboot information (0x10da bytes with the command line and module "
                   "strings) fits neither below the image in [0x1000, 0x2000) nor after it in "
                   "[0x9fc00, 0x9fc00)");
}

TEST(many_modules)
{
    enum { N = 300 };
    static struct mb_module_src mods[N];
    static char strings[N][16];
    static uint8_t byte = 0x5A;
    /* A low image: the information below it, the modules from 1 MiB. */
    struct mb_info_src src = { .cmdline = "x", .loader_name = "keel", .image_start = 0x8000,
                               .image_end = 0x10000, .modules = mods, .nmodules = N };
    struct vm vm = new_vm(RAM_16M);
    char err[ERR_MAX];
    uint32_t mbi;

    for (int i = 0; i < N; i++) {
        snprintf(strings[i], sizeof(strings[i]), "m%d", i);
        mods[i] = (struct mb_module_src){ &byte, 1, strings[i] };
    }
    CHECK_EQ_I(mb_guest_build_info(vm.ram, vm.size, &src, &mbi, err, sizeof(err)), 0);
    struct guest_view g = view_of(&vm, &src);
    static struct decoded_module m[N];
    CHECK_EQ_U(read_modules(&g, mbi, m, N), N);
    int wrong = 0;
    for (int i = 0; i < N; i++) {
        if (m[i].start != 0x100000 + 0x1000u * i || m[i].end != m[i].start + 1 ||
            strcmp(m[i].string, strings[i]) != 0 || vm.ram[m[i].start] != 0x5A)
            wrong++;
    }
    CHECK_EQ_I(wrong, 0);
    CHECK_EQ_I(g.faults, 0);
    free(vm.ram);

    /* More modules than the area has room for entries: refused up front. */
    size_t too_many = (INFO_END - INFO_START) / 16 + 1;
    struct mb_module_src *empty = calloc(too_many, sizeof(*empty));
    src.modules = empty;
    src.nmodules = too_many;
    vm = new_vm(RAM_16M);
    CHECK_EQ_I(mb_guest_build_info(vm.ram, vm.size, &src, &mbi, err, sizeof(err)), -1);
    CHECK_STR(err, "40641 modules are too many for the boot information");
    CHECK(ram_untouched(&vm));
    free(vm.ram);
    free(empty);
}

TEST(ram_size_limits)
{
    struct mb_info_src src = { .image_start = 0x100000, .image_end = 0x101000 };
    char err[ERR_MAX];
    uint32_t mbi;

    /* Refused before RAM is looked at, so no RAM is needed. */
    CHECK_EQ_I(mb_guest_build_info(NULL, 0x100000, &src, &mbi, err, sizeof(err)), -1);
    CHECK_STR(err, "guest RAM of 0x100000 bytes: multiboot needs more than 1 MiB and at most "
                   "4 GiB");
    CHECK_EQ_I(mb_guest_build_info(NULL, (4ull << 30) + 1, &src, &mbi, err, sizeof(err)), -1);
    CHECK(strstr(err, "at most 4 GiB") != NULL);
}

TEST(load_then_boot_info)
{
    static uint8_t img[IMG_MAX];
    static const uint8_t module[] = { 1, 2, 3, 4 };
    struct elf_spec e = good_elf(32);
    struct vm vm = new_vm(RAM_16M);
    struct mb_load_result res;
    char err[ERR_MAX];
    uint32_t mbi;

    build_elf(img, &e, 0x3);
    CHECK_EQ_I(load(img, GOOD_LEN, &vm, &res, err), 0);
    struct mb_module_src mods[] = { { module, sizeof(module), "env" } };
    struct mb_info_src src = { .cmdline = "arg1 arg2", .loader_name = "keel",
                               .image_start = res.image_start, .image_end = res.image_end,
                               .modules = mods, .nmodules = 1 };
    CHECK_EQ_I(mb_guest_build_info(vm.ram, vm.size, &src, &mbi, err, sizeof(err)), 0);

    struct guest_view g = view_of(&vm, &src);
    struct decoded_module m[1];
    CHECK_EQ_U(read_modules(&g, mbi, m, 1), 1);
    CHECK_EQ_U(m[0].start, 0x303000);
    CHECK(memcmp(vm.ram + m[0].start, module, sizeof(module)) == 0);
    /* The kernel is intact after the information was written. */
    CHECK(segment_landed(&vm, img, 0x1000, 0x100000, 0x800, 0x800));
    CHECK(segment_landed(&vm, img, 0x2000, 0x300000, 0x400, 0x2400));
    CHECK_EQ_I(g.faults, 0);
    free(vm.ram);
}
