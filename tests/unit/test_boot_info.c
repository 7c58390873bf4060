/*
 * Host tests for boot/boot_info.c: synthetic multiboot1 and multiboot2
 * structures are built in a fake physical memory (a host buffer placed at
 * FAKE_BASE).  The reader hands out a fresh heap copy of exactly the bytes
 * asked for, so any read by the parser past what it requested is an ASan
 * heap-buffer-overflow, not a silent success.
 */
#include "boot/boot_info.c"
#include "tests/unit/unit.h"

#include <stdarg.h>

/* boot_info.c formats its errors with lib/format.c, which has its own tests;
 * the host's vsnprintf stands in for it here. */
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    return vsnprintf(buf, size, fmt, ap);
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

/* ------------------------------------------------------------------------ */
/* Fake physical memory                                                     */

#define FAKE_BASE 0x10000u
#define FAKE_SIZE 0x40000u

struct fake_mem {
    uint8_t bytes[FAKE_SIZE];
    uint64_t next;              /* bump allocator, physical */
    uint64_t readable_end;      /* reads at or past this fail (physical) */
    uint64_t deny_start, deny_end;  /* reads touching this range fail */
    void **copies;
    size_t ncopies, cap;
    size_t nreads;
};

static struct fake_mem fm;

static void fake_reset(void)
{
    for (size_t i = 0; i < fm.ncopies; i++)
        free(fm.copies[i]);
    free(fm.copies);
    memset(&fm, 0, sizeof(fm));
    fm.next = FAKE_BASE;
    fm.readable_end = FAKE_BASE + FAKE_SIZE;
}

static const void *fake_read(uint64_t phys, size_t len, void *ctx)
{
    struct fake_mem *m = ctx;
    m->nreads++;
    if (phys < FAKE_BASE || len > m->readable_end - FAKE_BASE ||
        phys - FAKE_BASE > m->readable_end - FAKE_BASE - len)
        return NULL;
    if (phys < m->deny_end && phys + len > m->deny_start)
        return NULL;
    if (m->ncopies == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->copies = realloc(m->copies, m->cap * sizeof(*m->copies));
        if (!m->copies)
            abort();
    }
    void *copy = malloc(len);
    if (!copy)
        abort();
    memcpy(copy, m->bytes + (phys - FAKE_BASE), len);
    m->copies[m->ncopies++] = copy;
    return copy;
}

static const void *null_reader(uint64_t phys, size_t len, void *ctx)
{
    (void)phys;
    (void)len;
    (void)ctx;
    return NULL;
}

static uint8_t *fake_ptr(uint64_t phys)
{
    if (phys < FAKE_BASE || phys - FAKE_BASE >= FAKE_SIZE)
        abort();
    return fm.bytes + (phys - FAKE_BASE);
}

static uint64_t fake_alloc(size_t size, size_t align)
{
    uint64_t at = (fm.next + align - 1) & ~(uint64_t)(align - 1);
    if (at + size > FAKE_BASE + FAKE_SIZE)
        abort();
    fm.next = at + size;
    return at;
}

static void put_u8(uint64_t phys, uint8_t v) { *fake_ptr(phys) = v; }
static void put_u32(uint64_t phys, uint32_t v) { memcpy(fake_ptr(phys), &v, 4); }
static void put_u64(uint64_t phys, uint64_t v) { memcpy(fake_ptr(phys), &v, 8); }

static uint64_t fake_string(const char *s)
{
    size_t n = strlen(s) + 1;
    uint64_t at = fake_alloc(n, 1);
    memcpy(fake_ptr(at), s, n);
    return at;
}

static struct boot_info bi;
static char err[256];

static int parse(uint32_t magic, uint64_t mbi)
{
    memset(&bi, 0xAA, sizeof(bi));     /* the parser must zero it */
    memset(err, 0, sizeof(err));
    return boot_info_parse(&bi, magic, mbi, fake_read, &fm, err, sizeof(err));
}

static bool has_range(uint64_t start, uint64_t end)
{
    for (size_t i = 0; i < bi.reserved_count; i++)
        if (bi.reserved[i].start == start && bi.reserved[i].end == end)
            return true;
    return false;
}

static bool err_has(const char *needle)
{
    return strstr(err, needle) != NULL;
}

/* ------------------------------------------------------------------------ */
/* Multiboot 1 builder (spec 0.6.96 section 3.3)                            */

static uint64_t mb1_info(uint32_t flags)
{
    uint64_t mbi = fake_alloc(MB1_INFO_SIZE_WITH_FB, 8);
    put_u32(mbi + MB1_INFO_FLAGS, flags);
    return mbi;
}

/* Memory map with entries whose size field is entry_size (20 is standard). */
static void mb1_set_mmap(uint64_t mbi, size_t n, uint32_t entry_size)
{
    size_t stride = 4 + entry_size;
    uint64_t map = fake_alloc(n * stride, 4);
    for (size_t i = 0; i < n; i++) {
        uint64_t e = map + i * stride;
        put_u32(e, entry_size);
        put_u64(e + 4, 0x100000ull * i);
        put_u64(e + 12, 0x1000ull * (i + 1));
        put_u32(e + 20, (uint32_t)(i % 5) + 1);
    }
    put_u32(mbi + MB1_INFO_MMAP_LENGTH, (uint32_t)(n * stride));
    put_u32(mbi + MB1_INFO_MMAP_ADDR, (uint32_t)map);
}

static uint64_t mb1_set_mods(uint64_t mbi, size_t n)
{
    uint64_t mods = fake_alloc(n * MB1_MOD_SIZE, 4);
    for (size_t i = 0; i < n; i++) {
        put_u32(mods + i * 16, 0x200000u + (uint32_t)i * 0x10000u);
        put_u32(mods + i * 16 + 4, 0x200000u + (uint32_t)i * 0x10000u + 0x1234u);
        put_u32(mods + i * 16 + 8, 0);
    }
    put_u32(mbi + MB1_INFO_MODS_COUNT, (uint32_t)n);
    put_u32(mbi + MB1_INFO_MODS_ADDR, (uint32_t)mods);
    return mods;
}

TEST(wrong_magic_names_all_three_values)
{
    fake_reset();
    uint64_t mbi = mb1_info(MB1_FLAG_MEM);
    CHECK_EQ_I(parse(0x12345678u, mbi), -1);
    CHECK(err_has("0x12345678"));
    CHECK(err_has("0x2badb002"));
    CHECK(err_has("0x36d76289"));
    CHECK_EQ_I(bi.multiboot_version, 0);
    CHECK(!bi.have_basic_mem);
    CHECK_EQ_U(bi.reserved_count, 0);
    CHECK_EQ_U(bi.cmdline[0], 0);
    CHECK_EQ_U(bi.modules[BOOT_MAX_MODULES - 1].cmdline[BOOT_CMDLINE_MAX - 1], 0);
    CHECK_EQ_U(bi.truncated_strings, 0);
}

TEST(mb1_every_field)
{
    fake_reset();
    uint64_t mbi = mb1_info(MB1_FLAG_MEM | MB1_FLAG_CMDLINE | MB1_FLAG_MODS | MB1_FLAG_MMAP |
                            MB1_FLAG_LOADER_NAME | MB1_FLAG_FRAMEBUFFER);
    put_u32(mbi + MB1_INFO_MEM_LOWER, 639);
    put_u32(mbi + MB1_INFO_MEM_UPPER, 130048);
    uint64_t cmd = fake_string("keel loglevel=debug console=com1");
    put_u32(mbi + MB1_INFO_CMDLINE, (uint32_t)cmd);
    uint64_t name = fake_string("GRUB 2.06");
    put_u32(mbi + MB1_INFO_LOADER_NAME, (uint32_t)name);

    uint64_t mods = mb1_set_mods(mbi, 3);
    uint64_t s0 = fake_string("/boot/guest.bin vm=a mem=32M -- console=ttyS0 x y");
    uint64_t s2 = fake_string("");
    put_u32(mods + 8, (uint32_t)s0);
    put_u32(mods + 2 * 16 + 8, (uint32_t)s2);     /* module 1 keeps string 0 */

    /* Two map entries, the second with a larger size field than the entry
     * struct: the next entry is found by the size prefix. */
    uint64_t map = fake_alloc(24 + 28 + 24, 4);
    put_u32(map, 20);
    put_u64(map + 4, 0);
    put_u64(map + 12, 0x9fc00);
    put_u32(map + 20, BOOT_MEM_AVAILABLE);
    put_u32(map + 24, 24);
    put_u64(map + 28, 0xf0000);
    put_u64(map + 36, 0x10000);
    put_u32(map + 44, BOOT_MEM_RESERVED);
    put_u32(map + 48, 0xdeadbeef);              /* the 4 extra bytes */
    put_u32(map + 52, 20);
    put_u64(map + 56, 0x100000000ull);
    put_u64(map + 64, 0x40000000ull);
    put_u32(map + 72, 7);                       /* unknown type kept as given */
    put_u32(mbi + MB1_INFO_MMAP_ADDR, (uint32_t)map);
    put_u32(mbi + MB1_INFO_MMAP_LENGTH, 24 + 28 + 24);

    put_u64(mbi + MB1_INFO_FB_ADDR, 0xfd000000ull);
    put_u32(mbi + MB1_INFO_FB_PITCH, 4096);
    put_u32(mbi + MB1_INFO_FB_WIDTH, 1024);
    put_u32(mbi + MB1_INFO_FB_HEIGHT, 768);
    put_u8(mbi + MB1_INFO_FB_BPP, 32);
    put_u8(mbi + MB1_INFO_FB_TYPE, MB_FB_TYPE_RGB);
    const uint8_t color[6] = { 16, 8, 8, 8, 0, 8 };
    /* Offset 112, as GRUB 2 lays out struct multiboot_info (the union is
     * 4-byte aligned), not the spec table's 110. */
    memcpy(fake_ptr(mbi + 112), color, 6);

    CHECK_EQ_I(parse(MULTIBOOT1_BOOTLOADER_MAGIC, mbi), 0);
    CHECK_STR(err, "");
    CHECK_EQ_I(bi.multiboot_version, 1);
    CHECK(bi.have_basic_mem);
    CHECK_EQ_U(bi.mem_lower_kb, 639);
    CHECK_EQ_U(bi.mem_upper_kb, 130048);
    CHECK_STR(bi.cmdline, "keel loglevel=debug console=com1");
    CHECK_STR(bi.loader_name, "GRUB 2.06");

    CHECK_EQ_U(bi.module_count, 3);
    CHECK_EQ_U(bi.modules[0].start, 0x200000);
    CHECK_EQ_U(bi.modules[0].end, 0x201234);
    CHECK_STR(bi.modules[0].cmdline, "/boot/guest.bin vm=a mem=32M -- console=ttyS0 x y");
    CHECK_EQ_U(bi.modules[1].start, 0x210000);
    CHECK_EQ_U(bi.modules[1].end, 0x211234);
    CHECK_STR(bi.modules[1].cmdline, "");
    CHECK_EQ_U(bi.modules[2].start, 0x220000);
    CHECK_STR(bi.modules[2].cmdline, "");

    CHECK_EQ_U(bi.mmap_count, 3);
    CHECK_EQ_U(bi.mmap[0].base, 0);
    CHECK_EQ_U(bi.mmap[0].length, 0x9fc00);
    CHECK_EQ_U(bi.mmap[0].type, BOOT_MEM_AVAILABLE);
    CHECK_EQ_U(bi.mmap[1].base, 0xf0000);
    CHECK_EQ_U(bi.mmap[1].length, 0x10000);
    CHECK_EQ_U(bi.mmap[1].type, BOOT_MEM_RESERVED);
    CHECK_EQ_U(bi.mmap[2].base, 0x100000000ull);
    CHECK_EQ_U(bi.mmap[2].length, 0x40000000ull);
    CHECK_EQ_U(bi.mmap[2].type, 7);

    CHECK_EQ_U(bi.fb.type, BOOT_FB_RGB);
    CHECK_EQ_U(bi.fb.addr, 0xfd000000ull);
    CHECK_EQ_U(bi.fb.pitch, 4096);
    CHECK_EQ_U(bi.fb.width, 1024);
    CHECK_EQ_U(bi.fb.height, 768);
    CHECK_EQ_U(bi.fb.bpp, 32);
    CHECK_EQ_U(bi.fb.red_pos, 16);
    CHECK_EQ_U(bi.fb.red_size, 8);
    CHECK_EQ_U(bi.fb.green_pos, 8);
    CHECK_EQ_U(bi.fb.green_size, 8);
    CHECK_EQ_U(bi.fb.blue_pos, 0);
    CHECK_EQ_U(bi.fb.blue_size, 8);

    CHECK(!bi.have_rsdp);
    CHECK(!bi.efi_booted);
    CHECK_EQ_U(bi.truncated_mmap, 0);
    CHECK_EQ_U(bi.truncated_modules, 0);
    CHECK_EQ_U(bi.truncated_strings, 0);

    /* info, cmdline, module array, 2 module strings, mmap, loader name */
    CHECK_EQ_U(bi.reserved_count, 7);
    CHECK(has_range(mbi, mbi + 118));
    CHECK(has_range(cmd, cmd + strlen("keel loglevel=debug console=com1") + 1));
    CHECK(has_range(mods, mods + 3 * 16));
    CHECK(has_range(s0, s0 + strlen("/boot/guest.bin vm=a mem=32M -- console=ttyS0 x y") + 1));
    CHECK(has_range(s2, s2 + 1));
    CHECK(has_range(map, map + 76));
    CHECK(has_range(name, name + 10));
}

TEST(mb1_no_flags_gives_only_the_info_range)
{
    fake_reset();
    uint64_t mbi = mb1_info(0);
    /* Garbage in fields whose flag is clear must be ignored. */
    put_u32(mbi + MB1_INFO_CMDLINE, 0xffffff00u);
    put_u32(mbi + MB1_INFO_MODS_COUNT, 1000);
    put_u32(mbi + MB1_INFO_MMAP_LENGTH, 0xffffffffu);
    put_u8(mbi + MB1_INFO_FB_TYPE, MB_FB_TYPE_RGB);
    CHECK_EQ_I(parse(MULTIBOOT1_BOOTLOADER_MAGIC, mbi), 0);
    CHECK_EQ_I(bi.multiboot_version, 1);
    CHECK(!bi.have_basic_mem);
    CHECK_STR(bi.cmdline, "");
    CHECK_STR(bi.loader_name, "");
    CHECK_EQ_U(bi.module_count, 0);
    CHECK_EQ_U(bi.mmap_count, 0);
    CHECK_EQ_U(bi.fb.type, BOOT_FB_NONE);
    CHECK_EQ_U(bi.truncated_modules, 0);
    CHECK_EQ_U(bi.reserved_count, 1);
    CHECK(has_range(mbi, mbi + 88));
}

TEST(mb1_info_without_framebuffer_is_read_as_88_bytes)
{
    fake_reset();
    uint64_t mbi = mb1_info(MB1_FLAG_MEM);
    /* Only 88 bytes readable: a pre-framebuffer loader's structure. */
    fm.readable_end = mbi + 88;
    CHECK_EQ_I(parse(MULTIBOOT1_BOOTLOADER_MAGIC, mbi), 0);
    fm.readable_end = mbi + 100;
    put_u32(mbi, MB1_FLAG_FRAMEBUFFER);
    CHECK_EQ_I(parse(MULTIBOOT1_BOOTLOADER_MAGIC, mbi), -1);
    CHECK(err_has("unreadable"));
}

TEST(mb1_framebuffer_ega_text_and_indexed)
{
    fake_reset();
    uint64_t mbi = mb1_info(MB1_FLAG_FRAMEBUFFER);
    put_u64(mbi + MB1_INFO_FB_ADDR, 0xb8000);
    put_u32(mbi + MB1_INFO_FB_PITCH, 160);
    put_u32(mbi + MB1_INFO_FB_WIDTH, 80);
    put_u32(mbi + MB1_INFO_FB_HEIGHT, 25);
    put_u8(mbi + MB1_INFO_FB_BPP, 16);
    put_u8(mbi + MB1_INFO_FB_TYPE, MB_FB_TYPE_EGA_TEXT);
    memset(fake_ptr(mbi + MB1_INFO_FB_COLOR_INFO), 0x55, 6);
    CHECK_EQ_I(parse(MULTIBOOT1_BOOTLOADER_MAGIC, mbi), 0);
    CHECK_EQ_U(bi.fb.type, BOOT_FB_EGA_TEXT);
    CHECK_EQ_U(bi.fb.addr, 0xb8000);
    CHECK_EQ_U(bi.fb.pitch, 160);
    CHECK_EQ_U(bi.fb.width, 80);
    CHECK_EQ_U(bi.fb.height, 25);
    CHECK_EQ_U(bi.fb.bpp, 16);
    CHECK_EQ_U(bi.fb.red_size, 0);

    put_u8(mbi + MB1_INFO_FB_TYPE, MB_FB_TYPE_INDEXED);
    CHECK_EQ_I(parse(MULTIBOOT1_BOOTLOADER_MAGIC, mbi), 0);
    CHECK_EQ_U(bi.fb.type, BOOT_FB_NONE);
    CHECK_EQ_U(bi.fb.addr, 0);
    CHECK_EQ_U(bi.fb.width, 0);

    put_u8(mbi + MB1_INFO_FB_TYPE, 3);
    CHECK_EQ_I(parse(MULTIBOOT1_BOOTLOADER_MAGIC, mbi), 0);
    CHECK_EQ_U(bi.fb.type, BOOT_FB_NONE);
}

TEST(mb1_mmap_truncated_at_capacity)
{
    fake_reset();
    uint64_t mbi = mb1_info(MB1_FLAG_MMAP);
    mb1_set_mmap(mbi, 200, 20);
    CHECK_EQ_I(parse(MULTIBOOT1_BOOTLOADER_MAGIC, mbi), 0);
    CHECK_EQ_U(bi.mmap_count, BOOT_MAX_MMAP);
    CHECK_EQ_U(bi.truncated_mmap, 200 - BOOT_MAX_MMAP);
    CHECK_EQ_U(bi.mmap[127].base, 0x100000ull * 127);
    CHECK_EQ_U(bi.mmap[127].length, 0x1000ull * 128);
    CHECK_EQ_U(bi.mmap[127].type, 127 % 5 + 1);
    CHECK_EQ_U(bi.mmap[0].length, 0x1000);
}

TEST(mb1_mmap_exactly_full_is_not_truncated)
{
    fake_reset();
    uint64_t mbi = mb1_info(MB1_FLAG_MMAP);
    mb1_set_mmap(mbi, BOOT_MAX_MMAP, 20);
    CHECK_EQ_I(parse(MULTIBOOT1_BOOTLOADER_MAGIC, mbi), 0);
    CHECK_EQ_U(bi.mmap_count, BOOT_MAX_MMAP);
    CHECK_EQ_U(bi.truncated_mmap, 0);
}

TEST(mb1_mmap_entry_size_too_small)
{
    fake_reset();
    uint64_t mbi = mb1_info(MB1_FLAG_MMAP);
    mb1_set_mmap(mbi, 3, 20);
    uint64_t map = load_u32(fake_ptr(mbi), MB1_INFO_MMAP_ADDR);
    put_u32(map + 24, 19);
    CHECK_EQ_I(parse(MULTIBOOT1_BOOTLOADER_MAGIC, mbi), -1);
    CHECK(err_has("size 19"));
    put_u32(map + 24, 0);
    CHECK_EQ_I(parse(MULTIBOOT1_BOOTLOADER_MAGIC, mbi), -1);
}

TEST(mb1_mmap_entry_past_mmap_length)
{
    fake_reset();
    uint64_t mbi = mb1_info(MB1_FLAG_MMAP);
    mb1_set_mmap(mbi, 3, 20);
    uint64_t map = load_u32(fake_ptr(mbi), MB1_INFO_MMAP_ADDR);
    put_u32(mbi + MB1_INFO_MMAP_LENGTH, 3 * 24 - 1);    /* last entry cut short */
    CHECK_EQ_I(parse(MULTIBOOT1_BOOTLOADER_MAGIC, mbi), -1);
    CHECK(err_has("runs past"));
    put_u32(mbi + MB1_INFO_MMAP_LENGTH, 3 * 24 + 2);    /* stray bytes after the last */
    CHECK_EQ_I(parse(MULTIBOOT1_BOOTLOADER_MAGIC, mbi), -1);
    put_u32(mbi + MB1_INFO_MMAP_LENGTH, 3 * 24);
    put_u32(map + 24, 0xfffffff0u);                     /* huge size prefix */
    CHECK_EQ_I(parse(MULTIBOOT1_BOOTLOADER_MAGIC, mbi), -1);
    put_u32(map + 24, 20);
    CHECK_EQ_I(parse(MULTIBOOT1_BOOTLOADER_MAGIC, mbi), 0);
    CHECK_EQ_U(bi.mmap_count, 3);
}

TEST(mb1_mmap_unreadable_or_huge)
{
    fake_reset();
    uint64_t mbi = mb1_info(MB1_FLAG_MMAP);
    mb1_set_mmap(mbi, 3, 20);
    uint64_t map = load_u32(fake_ptr(mbi), MB1_INFO_MMAP_ADDR);
    fm.deny_start = map + 70;
    fm.deny_end = map + 71;
    CHECK_EQ_I(parse(MULTIBOOT1_BOOTLOADER_MAGIC, mbi), -1);
    CHECK(err_has("memory map"));
    fm.deny_start = fm.deny_end = 0;
    put_u32(mbi + MB1_INFO_MMAP_LENGTH, 0xfffffff0u);
    CHECK_EQ_I(parse(MULTIBOOT1_BOOTLOADER_MAGIC, mbi), -1);
    put_u32(mbi + MB1_INFO_MMAP_LENGTH, 0);             /* empty map: fine */
    CHECK_EQ_I(parse(MULTIBOOT1_BOOTLOADER_MAGIC, mbi), 0);
    CHECK_EQ_U(bi.mmap_count, 0);
    CHECK_EQ_U(bi.reserved_count, 1);
}

TEST(mb1_modules_truncated_at_capacity)
{
    fake_reset();
    uint64_t mbi = mb1_info(MB1_FLAG_MODS);
    uint64_t mods = mb1_set_mods(mbi, 40);
    uint64_t last = fake_string("mod31");
    put_u32(mods + 31 * 16 + 8, (uint32_t)last);
    /* Entries past the kept ones are never read: make them unreadable. */
    fm.deny_start = mods + 32 * 16;
    fm.deny_end = mods + 40 * 16;
    CHECK_EQ_I(parse(MULTIBOOT1_BOOTLOADER_MAGIC, mbi), 0);
    CHECK_EQ_U(bi.module_count, BOOT_MAX_MODULES);
    CHECK_EQ_U(bi.truncated_modules, 8);
    CHECK_STR(bi.modules[31].cmdline, "mod31");
    CHECK_EQ_U(bi.modules[31].start, 0x200000u + 31 * 0x10000u);
    CHECK(has_range(mods, mods + 32 * 16));
    CHECK(has_range(last, last + 6));
    CHECK(bi.reserved_count <= BOOT_MAX_RESERVED);
}

TEST(mb1_modules_all_with_strings_fit_in_reserved)
{
    fake_reset();
    uint64_t mbi = mb1_info(MB1_FLAG_MODS | MB1_FLAG_CMDLINE | MB1_FLAG_MMAP |
                            MB1_FLAG_LOADER_NAME);
    uint64_t mods = mb1_set_mods(mbi, BOOT_MAX_MODULES);
    for (int i = 0; i < BOOT_MAX_MODULES; i++)
        put_u32(mods + (uint64_t)i * 16 + 8, (uint32_t)fake_string("m"));
    put_u32(mbi + MB1_INFO_CMDLINE, (uint32_t)fake_string("c"));
    put_u32(mbi + MB1_INFO_LOADER_NAME, (uint32_t)fake_string("l"));
    mb1_set_mmap(mbi, 1, 20);
    CHECK_EQ_I(parse(MULTIBOOT1_BOOTLOADER_MAGIC, mbi), 0);
    CHECK_EQ_U(bi.reserved_count, 5 + BOOT_MAX_MODULES);
    CHECK_STR(bi.modules[BOOT_MAX_MODULES - 1].cmdline, "m");
}

TEST(mb1_module_ending_before_start)
{
    fake_reset();
    uint64_t mbi = mb1_info(MB1_FLAG_MODS);
    uint64_t mods = mb1_set_mods(mbi, 2);
    put_u32(mods + 16 + 4, 0x1000);
    CHECK_EQ_I(parse(MULTIBOOT1_BOOTLOADER_MAGIC, mbi), -1);
    CHECK(err_has("module 1"));
    put_u32(mods + 16 + 4, 0x210000);                   /* empty module: fine */
    CHECK_EQ_I(parse(MULTIBOOT1_BOOTLOADER_MAGIC, mbi), 0);
    CHECK_EQ_U(bi.modules[1].end, bi.modules[1].start);
}

TEST(mb1_unreadable_structures)
{
    fake_reset();
    uint64_t mbi = mb1_info(MB1_FLAG_MODS | MB1_FLAG_CMDLINE);
    uint64_t mods = mb1_set_mods(mbi, 2);
    uint64_t cmd = fake_string("hello");
    put_u32(mbi + MB1_INFO_CMDLINE, (uint32_t)cmd);
    CHECK_EQ_I(parse(MULTIBOOT1_BOOTLOADER_MAGIC, mbi), 0);

    CHECK_EQ_I(boot_info_parse(&bi, MULTIBOOT1_BOOTLOADER_MAGIC, mbi, null_reader, NULL,
                               err, sizeof(err)), -1);
    CHECK(err_has("unreadable"));
    CHECK_EQ_I(parse(MULTIBOOT1_BOOTLOADER_MAGIC, 0x1000), -1);     /* outside memory */

    fm.deny_start = mods + 20;
    fm.deny_end = mods + 21;
    CHECK_EQ_I(parse(MULTIBOOT1_BOOTLOADER_MAGIC, mbi), -1);
    CHECK(err_has("module list"));

    fm.deny_start = cmd + 3;
    fm.deny_end = cmd + 4;
    CHECK_EQ_I(parse(MULTIBOOT1_BOOTLOADER_MAGIC, mbi), -1);
    CHECK(err_has("command line"));

    fm.deny_start = fm.deny_end = 0;
    put_u32(mods + 8, 0xfffffffeu);                     /* module string off the map */
    CHECK_EQ_I(parse(MULTIBOOT1_BOOTLOADER_MAGIC, mbi), -1);
    CHECK(err_has("module string"));
}

TEST(mb1_long_strings_are_truncated_and_counted)
{
    fake_reset();
    char longer[2000], fits[BOOT_CMDLINE_MAX], name[100];
    memset(longer, 'a', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    memset(fits, 'b', sizeof(fits) - 1);
    fits[sizeof(fits) - 1] = '\0';
    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';

    uint64_t mbi = mb1_info(MB1_FLAG_CMDLINE | MB1_FLAG_MODS | MB1_FLAG_LOADER_NAME);
    uint64_t cmd = fake_string(longer);
    put_u32(mbi + MB1_INFO_CMDLINE, (uint32_t)cmd);
    uint64_t mods = mb1_set_mods(mbi, 1);
    uint64_t modstr = fake_string(fits);
    put_u32(mods + 8, (uint32_t)modstr);
    put_u32(mbi + MB1_INFO_LOADER_NAME, (uint32_t)fake_string(name));

    CHECK_EQ_I(parse(MULTIBOOT1_BOOTLOADER_MAGIC, mbi), 0);
    CHECK_EQ_U(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
    CHECK_EQ_U(bi.cmdline[0], 'a');
    CHECK_STR(bi.modules[0].cmdline, fits);             /* 1023 chars: fits exactly */
    CHECK_EQ_U(strlen(bi.loader_name), BOOT_NAME_MAX - 1);
    CHECK_EQ_U(bi.truncated_strings, 2);
    CHECK(has_range(cmd, cmd + BOOT_CMDLINE_MAX));      /* the bytes read */
    CHECK(has_range(modstr, modstr + BOOT_CMDLINE_MAX));
}

TEST(mb1_string_without_nul_at_end_of_memory)
{
    fake_reset();
    uint64_t mbi = mb1_info(MB1_FLAG_CMDLINE);
    uint64_t cmd = fake_alloc(5, 1);
    memcpy(fake_ptr(cmd), "abcde", 5);
    put_u32(mbi + MB1_INFO_CMDLINE, (uint32_t)cmd);
    fm.readable_end = cmd + 5;
    CHECK_EQ_I(parse(MULTIBOOT1_BOOTLOADER_MAGIC, mbi), -1);
    CHECK(err_has("offset 5"));
    fm.readable_end = cmd + 6;                          /* the NUL becomes readable */
    CHECK_EQ_I(parse(MULTIBOOT1_BOOTLOADER_MAGIC, mbi), 0);
    CHECK_STR(bi.cmdline, "abcde");
}

/* ------------------------------------------------------------------------ */
/* Multiboot 2 builder (spec 2.0 section 3.6)                               */

struct mb2 {
    uint64_t start;
    size_t off;
};

static struct mb2 mb2_begin(void)
{
    struct mb2 b = { fake_alloc(0, 8), MB2_INFO_HEADER_SIZE };
    return b;
}

/* Appends a tag whose size field is 8 + len, padded to 8 bytes; returns its
 * physical address. */
static uint64_t mb2_tag(struct mb2 *b, uint32_t type, const void *payload, size_t len)
{
    uint64_t at = b->start + b->off;
    size_t padded = (8 + len + 7) & ~(size_t)7;
    if (b->off + padded > FAKE_SIZE - (b->start - FAKE_BASE))
        abort();
    put_u32(at, type);
    put_u32(at + 4, (uint32_t)(8 + len));
    if (len)
        memcpy(fake_ptr(at + 8), payload, len);
    memset(fake_ptr(at + 8 + len), 0, padded - 8 - len);
    b->off += padded;
    return at;
}

static void mb2_string_tag(struct mb2 *b, uint32_t type, const char *s)
{
    mb2_tag(b, type, s, strlen(s) + 1);
}

static void mb2_module(struct mb2 *b, uint32_t start, uint32_t end, const char *s)
{
    uint8_t buf[8 + 256];
    size_t n = strlen(s) + 1;
    memcpy(buf, &start, 4);
    memcpy(buf + 4, &end, 4);
    memcpy(buf + 8, s, n);
    mb2_tag(b, MB2_TAG_MODULE, buf, 8 + n);
}

static void mb2_mmap(struct mb2 *b, size_t n, uint32_t entry_size)
{
    static uint8_t buf[8 + 300 * 32];
    uint32_t version = 0;
    memset(buf, 0, sizeof(buf));
    memcpy(buf, &entry_size, 4);
    memcpy(buf + 4, &version, 4);
    for (size_t i = 0; i < n; i++) {
        uint8_t *e = buf + 8 + i * entry_size;
        uint64_t base = 0x100000ull * i, len = 0x1000ull * (i + 1);
        uint32_t type = (uint32_t)(i % 5) + 1;
        memcpy(e, &base, 8);
        memcpy(e + 8, &len, 8);
        memcpy(e + 16, &type, 4);
        if (entry_size > 24)
            memset(e + 24, 0xEE, entry_size - 24);
    }
    mb2_tag(b, MB2_TAG_MMAP, buf, 8 + n * entry_size);
}

/* Writes the end tag and total_size; returns the info's physical address. */
static uint64_t mb2_finish(struct mb2 *b)
{
    mb2_tag(b, MB2_TAG_END, NULL, 0);
    put_u32(b->start, (uint32_t)b->off);
    put_u32(b->start + 4, 0);
    fm.next = b->start + b->off;
    return b->start;
}

static void fill_rsdp(uint8_t *r, size_t len, uint8_t revision)
{
    for (size_t i = 0; i < len; i++)
        r[i] = (uint8_t)(0x40 + i);
    memcpy(r, "RSD PTR ", 8);
    r[15] = revision;
}

static void mb2_fb_common(uint8_t *fb, uint64_t addr, uint32_t pitch, uint32_t w, uint32_t h,
                          uint8_t bpp, uint8_t type)
{
    /* payload offsets are tag offsets minus the 8-byte header */
    memcpy(fb + 0, &addr, 8);
    memcpy(fb + 8, &pitch, 4);
    memcpy(fb + 12, &w, 4);
    memcpy(fb + 16, &h, 4);
    fb[20] = bpp;
    fb[21] = type;
    fb[22] = fb[23] = 0;
}

TEST(mb2_every_field)
{
    fake_reset();
    struct mb2 b = mb2_begin();
    mb2_string_tag(&b, MB2_TAG_CMDLINE, "keel loglevel=debug");
    mb2_string_tag(&b, MB2_TAG_LOADER_NAME, "GRUB 2.06-13");
    mb2_module(&b, 0x300000, 0x380000, "vm=a mem=32M -- x y");
    mb2_module(&b, 0x400000, 0x400800, "");
    uint32_t mem[2] = { 639, 523136 };
    mb2_tag(&b, MB2_TAG_BASIC_MEMINFO, mem, sizeof(mem));
    uint8_t bootdev[12] = { 0x80, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff };
    mb2_tag(&b, 5, bootdev, sizeof(bootdev));           /* BIOS boot device: skipped */
    mb2_mmap(&b, 3, 24);
    uint8_t fb[30];
    mb2_fb_common(fb, 0xe0000000ull, 3200, 800, 600, 32, MB_FB_TYPE_RGB);
    const uint8_t color[6] = { 16, 8, 8, 8, 0, 8 };
    memcpy(fb + 24, color, 6);
    mb2_tag(&b, MB2_TAG_FRAMEBUFFER, fb, sizeof(fb));
    uint8_t unknown[5] = { 1, 2, 3, 4, 5 };
    mb2_tag(&b, 99, unknown, sizeof(unknown));          /* odd size: padded to 8 */
    uint64_t systab = 0x7fe00018;
    mb2_tag(&b, MB2_TAG_EFI64_SYSTEM_TABLE, &systab, 8);
    uint64_t mbi = mb2_finish(&b);

    CHECK_EQ_I(parse(MULTIBOOT2_BOOTLOADER_MAGIC, mbi), 0);
    CHECK_STR(err, "");
    CHECK_EQ_I(bi.multiboot_version, 2);
    CHECK_STR(bi.cmdline, "keel loglevel=debug");
    CHECK_STR(bi.loader_name, "GRUB 2.06-13");
    CHECK_EQ_U(bi.module_count, 2);
    CHECK_EQ_U(bi.modules[0].start, 0x300000);
    CHECK_EQ_U(bi.modules[0].end, 0x380000);
    CHECK_STR(bi.modules[0].cmdline, "vm=a mem=32M -- x y");
    CHECK_EQ_U(bi.modules[1].start, 0x400000);
    CHECK_EQ_U(bi.modules[1].end, 0x400800);
    CHECK_STR(bi.modules[1].cmdline, "");
    CHECK(bi.have_basic_mem);
    CHECK_EQ_U(bi.mem_lower_kb, 639);
    CHECK_EQ_U(bi.mem_upper_kb, 523136);
    CHECK_EQ_U(bi.mmap_count, 3);
    CHECK_EQ_U(bi.mmap[2].base, 0x200000);
    CHECK_EQ_U(bi.mmap[2].length, 0x3000);
    CHECK_EQ_U(bi.mmap[2].type, 3);
    CHECK_EQ_U(bi.mmap[0].type, 1);
    CHECK_EQ_U(bi.fb.type, BOOT_FB_RGB);
    CHECK_EQ_U(bi.fb.addr, 0xe0000000ull);
    CHECK_EQ_U(bi.fb.pitch, 3200);
    CHECK_EQ_U(bi.fb.width, 800);
    CHECK_EQ_U(bi.fb.height, 600);
    CHECK_EQ_U(bi.fb.bpp, 32);
    CHECK_EQ_U(bi.fb.red_pos, 16);
    CHECK_EQ_U(bi.fb.red_size, 8);
    CHECK_EQ_U(bi.fb.green_pos, 8);
    CHECK_EQ_U(bi.fb.green_size, 8);
    CHECK_EQ_U(bi.fb.blue_pos, 0);
    CHECK_EQ_U(bi.fb.blue_size, 8);
    CHECK(bi.efi_booted);
    CHECK(!bi.have_rsdp);
    CHECK_EQ_U(bi.truncated_mmap + bi.truncated_modules + bi.truncated_strings, 0);
    CHECK_EQ_U(bi.reserved_count, 1);
    CHECK(has_range(mbi, mbi + b.off));
}

TEST(mb2_minimal_info)
{
    fake_reset();
    struct mb2 b = mb2_begin();
    uint64_t mbi = mb2_finish(&b);
    CHECK_EQ_I(parse(MULTIBOOT2_BOOTLOADER_MAGIC, mbi), 0);
    CHECK_EQ_I(bi.multiboot_version, 2);
    CHECK(!bi.have_basic_mem);
    CHECK(!bi.efi_booted);
    CHECK_EQ_U(bi.fb.type, BOOT_FB_NONE);
    CHECK_EQ_U(bi.reserved_count, 1);
    CHECK(has_range(mbi, mbi + 16));
}

TEST(mb2_efi_tags)
{
    uint32_t types[] = { MB2_TAG_EFI32_SYSTEM_TABLE, MB2_TAG_EFI64_SYSTEM_TABLE,
                         MB2_TAG_EFI_BOOT_SERVICES };
    for (size_t i = 0; i < 3; i++) {
        fake_reset();
        struct mb2 b = mb2_begin();
        uint64_t ptr = 0x7f000000;
        size_t len = types[i] == MB2_TAG_EFI32_SYSTEM_TABLE  ? 4
                   : types[i] == MB2_TAG_EFI_BOOT_SERVICES ? 0 : 8;
        mb2_tag(&b, types[i], &ptr, len);
        uint64_t mbi = mb2_finish(&b);
        CHECK_EQ_I(parse(MULTIBOOT2_BOOTLOADER_MAGIC, mbi), 0);
        CHECK(bi.efi_booted);
    }
    /* Tags 19/20 (EFI image handles) alone do not count. */
    fake_reset();
    struct mb2 b = mb2_begin();
    uint64_t ptr = 0x7f000000;
    mb2_tag(&b, 20, &ptr, 8);
    uint64_t mbi = mb2_finish(&b);
    CHECK_EQ_I(parse(MULTIBOOT2_BOOTLOADER_MAGIC, mbi), 0);
    CHECK(!bi.efi_booted);
}

TEST(mb2_rsdp_new_preferred_in_either_order)
{
    uint8_t old_rsdp[20], new_rsdp[36];
    fill_rsdp(old_rsdp, sizeof(old_rsdp), 0);
    fill_rsdp(new_rsdp, sizeof(new_rsdp), 2);
    new_rsdp[9] = 0x99;                                 /* tell the copies apart */

    for (int new_first = 0; new_first < 2; new_first++) {
        fake_reset();
        struct mb2 b = mb2_begin();
        if (new_first)
            mb2_tag(&b, MB2_TAG_ACPI_NEW_RSDP, new_rsdp, sizeof(new_rsdp));
        mb2_tag(&b, MB2_TAG_ACPI_OLD_RSDP, old_rsdp, sizeof(old_rsdp));
        if (!new_first)
            mb2_tag(&b, MB2_TAG_ACPI_NEW_RSDP, new_rsdp, sizeof(new_rsdp));
        uint64_t mbi = mb2_finish(&b);
        CHECK_EQ_I(parse(MULTIBOOT2_BOOTLOADER_MAGIC, mbi), 0);
        CHECK(bi.have_rsdp);
        CHECK(memcmp(bi.rsdp, new_rsdp, 36) == 0);
    }
}

TEST(mb2_rsdp_old_only_copies_20_bytes)
{
    fake_reset();
    uint8_t old_rsdp[28];                               /* 8 extra bytes in the tag */
    fill_rsdp(old_rsdp, sizeof(old_rsdp), 0);
    struct mb2 b = mb2_begin();
    mb2_tag(&b, MB2_TAG_ACPI_OLD_RSDP, old_rsdp, sizeof(old_rsdp));
    uint64_t mbi = mb2_finish(&b);
    CHECK_EQ_I(parse(MULTIBOOT2_BOOTLOADER_MAGIC, mbi), 0);
    CHECK(bi.have_rsdp);
    CHECK(memcmp(bi.rsdp, old_rsdp, 20) == 0);
    uint8_t zero[16] = { 0 };
    CHECK(memcmp(bi.rsdp + 20, zero, 16) == 0);
}

TEST(mb2_rsdp_tag_too_small)
{
    uint8_t r[36];
    fill_rsdp(r, sizeof(r), 2);
    fake_reset();
    struct mb2 b = mb2_begin();
    mb2_tag(&b, MB2_TAG_ACPI_NEW_RSDP, r, 20);          /* a v1-sized copy in a v2 tag */
    uint64_t mbi = mb2_finish(&b);
    CHECK_EQ_I(parse(MULTIBOOT2_BOOTLOADER_MAGIC, mbi), -1);
    CHECK(err_has("type 15"));

    fake_reset();
    b = mb2_begin();
    mb2_tag(&b, MB2_TAG_ACPI_OLD_RSDP, r, 19);
    mbi = mb2_finish(&b);
    CHECK_EQ_I(parse(MULTIBOOT2_BOOTLOADER_MAGIC, mbi), -1);
    CHECK(err_has("type 14"));
}

TEST(mb2_framebuffer_ega_text_and_indexed)
{
    fake_reset();
    struct mb2 b = mb2_begin();
    uint8_t fb[24];
    mb2_fb_common(fb, 0xb8000, 160, 80, 25, 16, MB_FB_TYPE_EGA_TEXT);
    mb2_tag(&b, MB2_TAG_FRAMEBUFFER, fb, sizeof(fb));   /* text: no color_info */
    uint64_t mbi = mb2_finish(&b);
    CHECK_EQ_I(parse(MULTIBOOT2_BOOTLOADER_MAGIC, mbi), 0);
    CHECK_EQ_U(bi.fb.type, BOOT_FB_EGA_TEXT);
    CHECK_EQ_U(bi.fb.addr, 0xb8000);
    CHECK_EQ_U(bi.fb.pitch, 160);
    CHECK_EQ_U(bi.fb.width, 80);
    CHECK_EQ_U(bi.fb.height, 25);
    CHECK_EQ_U(bi.fb.bpp, 16);

    fake_reset();
    b = mb2_begin();
    uint8_t ifb[24 + 2 + 3 * 4];
    memset(ifb, 0, sizeof(ifb));
    mb2_fb_common(ifb, 0xa0000, 320, 320, 200, 8, MB_FB_TYPE_INDEXED);
    ifb[24] = 4;                                        /* 4 palette entries */
    mb2_tag(&b, MB2_TAG_FRAMEBUFFER, ifb, sizeof(ifb));
    mbi = mb2_finish(&b);
    CHECK_EQ_I(parse(MULTIBOOT2_BOOTLOADER_MAGIC, mbi), 0);
    CHECK_EQ_U(bi.fb.type, BOOT_FB_NONE);
    CHECK_EQ_U(bi.fb.addr, 0);
}

TEST(mb2_framebuffer_tag_too_small)
{
    fake_reset();
    struct mb2 b = mb2_begin();
    uint8_t fb[30];
    mb2_fb_common(fb, 0xe0000000ull, 3200, 800, 600, 32, MB_FB_TYPE_RGB);
    mb2_tag(&b, MB2_TAG_FRAMEBUFFER, fb, 24 + 5);       /* color_info one byte short */
    uint64_t mbi = mb2_finish(&b);
    CHECK_EQ_I(parse(MULTIBOOT2_BOOTLOADER_MAGIC, mbi), -1);
    CHECK(err_has("type 8"));

    fake_reset();
    b = mb2_begin();
    mb2_tag(&b, MB2_TAG_FRAMEBUFFER, fb, 21);           /* not even the type byte */
    mbi = mb2_finish(&b);
    CHECK_EQ_I(parse(MULTIBOOT2_BOOTLOADER_MAGIC, mbi), -1);
}

TEST(mb2_mmap_larger_entry_size)
{
    fake_reset();
    struct mb2 b = mb2_begin();
    mb2_mmap(&b, 4, 32);
    uint64_t mbi = mb2_finish(&b);
    CHECK_EQ_I(parse(MULTIBOOT2_BOOTLOADER_MAGIC, mbi), 0);
    CHECK_EQ_U(bi.mmap_count, 4);
    CHECK_EQ_U(bi.mmap[3].base, 0x300000);
    CHECK_EQ_U(bi.mmap[3].length, 0x4000);
    CHECK_EQ_U(bi.mmap[3].type, 4);
}

TEST(mb2_mmap_bad_entry_size)
{
    uint32_t bad[] = { 0, 8, 16, 20 };
    for (size_t i = 0; i < 4; i++) {
        fake_reset();
        struct mb2 b = mb2_begin();
        uint64_t tag = mb2_tag(&b, MB2_TAG_MMAP, (uint8_t[56]){ 0 }, 56);
        put_u32(tag + 8, bad[i]);
        uint64_t mbi = mb2_finish(&b);
        CHECK_EQ_I(parse(MULTIBOOT2_BOOTLOADER_MAGIC, mbi), -1);
        CHECK(err_has("entry_size"));
    }
    /* Tag size not 16 + n * entry_size. */
    fake_reset();
    struct mb2 b = mb2_begin();
    uint64_t tag = mb2_tag(&b, MB2_TAG_MMAP, (uint8_t[60]){ 0 }, 60);
    put_u32(tag + 8, 24);
    uint64_t mbi = mb2_finish(&b);
    CHECK_EQ_I(parse(MULTIBOOT2_BOOTLOADER_MAGIC, mbi), -1);
    /* Tag too small for entry_size/entry_version. */
    fake_reset();
    b = mb2_begin();
    mb2_tag(&b, MB2_TAG_MMAP, (uint8_t[4]){ 24, 0, 0, 0 }, 4);
    mbi = mb2_finish(&b);
    CHECK_EQ_I(parse(MULTIBOOT2_BOOTLOADER_MAGIC, mbi), -1);
    CHECK(err_has("type 6"));
}

TEST(mb2_mmap_and_modules_truncated_at_capacity)
{
    fake_reset();
    struct mb2 b = mb2_begin();
    mb2_mmap(&b, 200, 24);
    for (int i = 0; i < 40; i++) {
        char s[16];
        snprintf(s, sizeof(s), "m%d", i);
        mb2_module(&b, 0x1000000u + (uint32_t)i * 0x1000u,
                   0x1000000u + (uint32_t)i * 0x1000u + 0x100u, s);
    }
    uint64_t mbi = mb2_finish(&b);
    CHECK_EQ_I(parse(MULTIBOOT2_BOOTLOADER_MAGIC, mbi), 0);
    CHECK_EQ_U(bi.mmap_count, BOOT_MAX_MMAP);
    CHECK_EQ_U(bi.truncated_mmap, 72);
    CHECK_EQ_U(bi.mmap[127].base, 0x100000ull * 127);
    CHECK_EQ_U(bi.module_count, BOOT_MAX_MODULES);
    CHECK_EQ_U(bi.truncated_modules, 8);
    CHECK_STR(bi.modules[31].cmdline, "m31");
    CHECK_EQ_U(bi.modules[31].start, 0x1000000u + 31 * 0x1000u);
}

TEST(mb2_long_and_unterminated_strings)
{
    fake_reset();
    static char longer[2000];
    memset(longer, 'z', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = '\0';
    struct mb2 b = mb2_begin();
    mb2_string_tag(&b, MB2_TAG_CMDLINE, longer);
    mb2_tag(&b, MB2_TAG_LOADER_NAME, "GRUBxyz", 4);     /* no NUL inside the tag */
    uint8_t mod[8 + 3] = { 0, 0, 0x30, 0, 0, 0x10, 0x30, 0, 'a', 'b', 'c' };
    mb2_tag(&b, MB2_TAG_MODULE, mod, sizeof(mod));      /* module string without NUL */
    mb2_tag(&b, MB2_TAG_MODULE, mod, 8);                /* no string at all */
    uint64_t mbi = mb2_finish(&b);
    CHECK_EQ_I(parse(MULTIBOOT2_BOOTLOADER_MAGIC, mbi), 0);
    CHECK_EQ_U(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
    CHECK_STR(bi.loader_name, "GRUB");
    CHECK_EQ_U(bi.module_count, 2);
    CHECK_STR(bi.modules[0].cmdline, "abc");
    CHECK_EQ_U(bi.modules[0].start, 0x300000);
    CHECK_EQ_U(bi.modules[0].end, 0x301000);
    CHECK_STR(bi.modules[1].cmdline, "");
    CHECK_EQ_U(bi.truncated_strings, 4);
}

TEST(mb2_exact_fit_strings_not_counted)
{
    fake_reset();
    char name[BOOT_NAME_MAX];
    memset(name, 'g', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    struct mb2 b = mb2_begin();
    mb2_string_tag(&b, MB2_TAG_LOADER_NAME, name);
    mb2_string_tag(&b, MB2_TAG_CMDLINE, "");
    uint64_t mbi = mb2_finish(&b);
    CHECK_EQ_I(parse(MULTIBOOT2_BOOTLOADER_MAGIC, mbi), 0);
    CHECK_STR(bi.loader_name, name);
    CHECK_STR(bi.cmdline, "");
    CHECK_EQ_U(bi.truncated_strings, 0);
}

TEST(mb2_string_one_longer_than_room_is_cut)
{
    fake_reset();
    char name[BOOT_NAME_MAX + 1];
    memset(name, 'g', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    struct mb2 b = mb2_begin();
    mb2_string_tag(&b, MB2_TAG_LOADER_NAME, name);
    uint32_t mem[2] = { 1, 2 };
    mb2_tag(&b, MB2_TAG_BASIC_MEMINFO, mem, sizeof(mem));
    uint64_t mbi = mb2_finish(&b);
    CHECK_EQ_I(parse(MULTIBOOT2_BOOTLOADER_MAGIC, mbi), 0);
    CHECK_EQ_U(strlen(bi.loader_name), BOOT_NAME_MAX - 1);
    CHECK_EQ_U(bi.truncated_strings, 1);
    CHECK_EQ_U(bi.mem_lower_kb, 1);
}

TEST(mb2_module_ending_before_start)
{
    fake_reset();
    struct mb2 b = mb2_begin();
    mb2_module(&b, 0x500000, 0x4fffff, "x");
    uint64_t mbi = mb2_finish(&b);
    CHECK_EQ_I(parse(MULTIBOOT2_BOOTLOADER_MAGIC, mbi), -1);
    CHECK(err_has("module 0"));
}

TEST(mb2_small_fixed_tags)
{
    fake_reset();
    struct mb2 b = mb2_begin();
    mb2_tag(&b, MB2_TAG_MODULE, (uint8_t[7]){ 0 }, 7);
    uint64_t mbi = mb2_finish(&b);
    CHECK_EQ_I(parse(MULTIBOOT2_BOOTLOADER_MAGIC, mbi), -1);
    CHECK(err_has("type 3"));

    fake_reset();
    b = mb2_begin();
    mb2_tag(&b, MB2_TAG_BASIC_MEMINFO, (uint8_t[4]){ 0 }, 4);
    mbi = mb2_finish(&b);
    CHECK_EQ_I(parse(MULTIBOOT2_BOOTLOADER_MAGIC, mbi), -1);
    CHECK(err_has("type 4"));
}

TEST(mb2_tag_size_below_header)
{
    for (uint32_t size = 0; size < 8; size++) {
        fake_reset();
        struct mb2 b = mb2_begin();
        uint64_t tag = mb2_tag(&b, 99, (uint8_t[8]){ 0 }, 8);
        uint64_t mbi = mb2_finish(&b);
        put_u32(tag + 4, size);
        CHECK_EQ_I(parse(MULTIBOOT2_BOOTLOADER_MAGIC, mbi), -1);
        CHECK(err_has("below 8"));
    }
}

TEST(mb2_tag_running_past_total_size)
{
    fake_reset();
    struct mb2 b = mb2_begin();
    mb2_string_tag(&b, MB2_TAG_CMDLINE, "abc");
    uint64_t tag = mb2_tag(&b, 99, (uint8_t[8]){ 0 }, 8);
    uint64_t mbi = mb2_finish(&b);
    put_u32(tag + 4, 0x1000);
    CHECK_EQ_I(parse(MULTIBOOT2_BOOTLOADER_MAGIC, mbi), -1);
    CHECK(err_has("runs past"));
    put_u32(tag + 4, 0xfffffff8u);                      /* would wrap a 32-bit offset */
    CHECK_EQ_I(parse(MULTIBOOT2_BOOTLOADER_MAGIC, mbi), -1);
    CHECK(err_has("runs past"));
    /* The end tag itself claiming more than is left. */
    put_u32(tag + 4, 16);
    put_u32(tag + 16 + 4, 9);
    CHECK_EQ_I(parse(MULTIBOOT2_BOOTLOADER_MAGIC, mbi), -1);
}

TEST(mb2_missing_end_tag)
{
    fake_reset();
    struct mb2 b = mb2_begin();
    mb2_string_tag(&b, MB2_TAG_CMDLINE, "abc");
    uint64_t mbi = mb2_finish(&b);
    put_u32(mbi + b.off - 8, 99);                       /* end tag becomes unknown */
    CHECK_EQ_I(parse(MULTIBOOT2_BOOTLOADER_MAGIC, mbi), -1);
    CHECK(err_has("no end tag"));
    /* total_size stopping mid-header of the end tag. */
    put_u32(mbi + b.off - 8, MB2_TAG_END);
    put_u32(mbi, (uint32_t)b.off - 4);
    CHECK_EQ_I(parse(MULTIBOOT2_BOOTLOADER_MAGIC, mbi), -1);
    CHECK(err_has("no end tag"));
}

TEST(mb2_total_size_bad)
{
    fake_reset();
    struct mb2 b = mb2_begin();
    mb2_string_tag(&b, MB2_TAG_CMDLINE, "abc");
    uint64_t mbi = mb2_finish(&b);
    uint32_t sizes[] = { 0, 8, 15, 0xfffffff8u, BOOT_LOADER_BLOCK_MAX + 8 };
    for (size_t i = 0; i < 5; i++) {
        put_u32(mbi, sizes[i]);
        CHECK_EQ_I(parse(MULTIBOOT2_BOOTLOADER_MAGIC, mbi), -1);
        CHECK(err_has("total_size"));
    }
    /* Plausible but beyond readable memory: the reader refuses it. */
    put_u32(mbi, 0x80000);
    CHECK_EQ_I(parse(MULTIBOOT2_BOOTLOADER_MAGIC, mbi), -1);
    CHECK(err_has("unreadable"));
}

TEST(mb2_reader_returning_null)
{
    fake_reset();
    struct mb2 b = mb2_begin();
    mb2_string_tag(&b, MB2_TAG_CMDLINE, "abc");
    uint64_t mbi = mb2_finish(&b);
    CHECK_EQ_I(boot_info_parse(&bi, MULTIBOOT2_BOOTLOADER_MAGIC, mbi, null_reader, NULL,
                               err, sizeof(err)), -1);
    CHECK(err_has("unreadable"));
    CHECK_EQ_U(bi.reserved_count, 0);
    fm.deny_start = mbi + b.off - 1;                    /* last byte of the end tag */
    fm.deny_end = mbi + b.off;
    CHECK_EQ_I(parse(MULTIBOOT2_BOOTLOADER_MAGIC, mbi), -1);
    CHECK(err_has("unreadable"));
    /* Info at the very top of the 64-bit space: the range would wrap. */
    CHECK_EQ_I(parse(MULTIBOOT2_BOOTLOADER_MAGIC, 0xfffffffffffffffcull), -1);
}

TEST(error_buffer_may_be_absent_or_tiny)
{
    fake_reset();
    CHECK_EQ_I(boot_info_parse(&bi, 0, FAKE_BASE, fake_read, &fm, NULL, 0), -1);
    char tiny[8];
    memset(tiny, 'x', sizeof(tiny));
    CHECK_EQ_I(boot_info_parse(&bi, 0, FAKE_BASE, fake_read, &fm, tiny, sizeof(tiny)), -1);
    CHECK_EQ_U(strlen(tiny), 7);
}

/* ------------------------------------------------------------------------ */
/* Corruption sweeps: every result must be 0 or -1 with the counts in range,
 * and ASan must stay quiet whatever bytes the loader left.                 */

static uint32_t lcg_state;

static uint32_t lcg_next(void)
{
    lcg_state = lcg_state * 1103515245u + 12345u;
    return lcg_state >> 8;
}

static bool result_is_sane(int rc)
{
    return (rc == 0 || rc == -1) && bi.mmap_count <= BOOT_MAX_MMAP &&
           bi.module_count <= BOOT_MAX_MODULES && bi.reserved_count <= BOOT_MAX_RESERVED &&
           strlen(bi.cmdline) < BOOT_CMDLINE_MAX && strlen(bi.loader_name) < BOOT_NAME_MAX &&
           (rc == 0 || err[0] != '\0');
}

static uint64_t build_full_mb2(void)
{
    struct mb2 b = mb2_begin();
    mb2_string_tag(&b, MB2_TAG_CMDLINE, "keel loglevel=debug");
    mb2_string_tag(&b, MB2_TAG_LOADER_NAME, "GRUB");
    mb2_module(&b, 0x300000, 0x380000, "vm=a mem=32M -- x y");
    uint32_t mem[2] = { 639, 523136 };
    mb2_tag(&b, MB2_TAG_BASIC_MEMINFO, mem, sizeof(mem));
    mb2_mmap(&b, 6, 24);
    uint8_t fb[30] = { 0 };
    mb2_fb_common(fb, 0xe0000000ull, 3200, 800, 600, 32, MB_FB_TYPE_RGB);
    mb2_tag(&b, MB2_TAG_FRAMEBUFFER, fb, sizeof(fb));
    uint8_t r[36];
    fill_rsdp(r, sizeof(r), 2);
    mb2_tag(&b, MB2_TAG_ACPI_NEW_RSDP, r, sizeof(r));
    return mb2_finish(&b);
}

TEST(mb2_random_corruption_is_contained)
{
    fake_reset();
    uint64_t mbi = build_full_mb2();
    size_t total = load_u32(fake_ptr(mbi), 0);
    static uint8_t pristine[1024];
    memcpy(pristine, fake_ptr(mbi), total);
    CHECK_EQ_I(parse(MULTIBOOT2_BOOTLOADER_MAGIC, mbi), 0);
    fm.readable_end = mbi + total;                      /* nothing readable past the info */

    int ok = 0, failed = 0;
    lcg_state = 1;
    for (int round = 0; round < 4000; round++) {
        memcpy(fake_ptr(mbi), pristine, total);
        int flips = 1 + (int)(lcg_next() % 4);
        for (int f = 0; f < flips; f++) {
            size_t at = lcg_next() % total;
            /* Small sizes hit the edge cases more often than random words. */
            fake_ptr(mbi)[at] = (uint8_t)((lcg_next() & 1) ? lcg_next() : lcg_next() % 48);
        }
        int rc = parse(MULTIBOOT2_BOOTLOADER_MAGIC, mbi);
        CHECK(result_is_sane(rc));
        if (rc == 0)
            ok++;
        else
            failed++;
        /* keep the copies list from growing without bound */
        for (size_t i = 0; i < fm.ncopies; i++)
            free(fm.copies[i]);
        fm.ncopies = 0;
    }
    /* Both outcomes must actually occur, or the sweep tests nothing. */
    CHECK(ok > 100);
    CHECK(failed > 100);
}

TEST(mb2_every_total_size_is_contained)
{
    fake_reset();
    uint64_t mbi = build_full_mb2();
    uint32_t total = load_u32(fake_ptr(mbi), 0);
    fm.readable_end = mbi + total;
    for (uint32_t t = 0; t <= total; t++) {
        put_u32(mbi, t);
        int rc = parse(MULTIBOOT2_BOOTLOADER_MAGIC, mbi);
        CHECK(result_is_sane(rc));
        CHECK_EQ_I(rc, t == total ? 0 : -1);
    }
}

TEST(mb1_random_corruption_is_contained)
{
    fake_reset();
    uint64_t mbi = mb1_info(MB1_FLAG_MEM | MB1_FLAG_CMDLINE | MB1_FLAG_MODS | MB1_FLAG_MMAP |
                            MB1_FLAG_LOADER_NAME | MB1_FLAG_FRAMEBUFFER);
    put_u32(mbi + MB1_INFO_CMDLINE, (uint32_t)fake_string("keel"));
    put_u32(mbi + MB1_INFO_LOADER_NAME, (uint32_t)fake_string("GRUB"));
    uint64_t mods = mb1_set_mods(mbi, 2);
    put_u32(mods + 8, (uint32_t)fake_string("/guest vm=a"));
    mb1_set_mmap(mbi, 4, 20);
    put_u8(mbi + MB1_INFO_FB_TYPE, MB_FB_TYPE_RGB);
    uint64_t end = fm.next;
    size_t span = end - mbi;
    static uint8_t pristine[1024];
    memcpy(pristine, fake_ptr(mbi), span);
    CHECK_EQ_I(parse(MULTIBOOT1_BOOTLOADER_MAGIC, mbi), 0);
    fm.readable_end = end;

    int ok = 0, failed = 0;
    lcg_state = 7;
    for (int round = 0; round < 4000; round++) {
        memcpy(fake_ptr(mbi), pristine, span);
        int flips = 1 + (int)(lcg_next() % 3);
        for (int f = 0; f < flips; f++)
            fake_ptr(mbi)[lcg_next() % span] = (uint8_t)lcg_next();
        int rc = parse(MULTIBOOT1_BOOTLOADER_MAGIC, mbi);
        CHECK(result_is_sane(rc));
        if (rc == 0)
            ok++;
        else
            failed++;
        for (size_t i = 0; i < fm.ncopies; i++)
            free(fm.copies[i]);
        fm.ncopies = 0;
    }
    CHECK(ok > 100);
    CHECK(failed > 100);
}
