/*
 * Multiboot information parser (contract in boot/boot_info.h): turns the
 * multiboot1 (spec 0.6.96) or multiboot2 (spec 2.0) information the loader
 * left in memory into struct boot_info.  Pure logic: the loader's memory is
 * only ever reached through the boot_phys_reader callback, and every offset
 * is checked against what that callback handed back, so a broken or hostile
 * structure ends in an error message or a counted truncation, never in a
 * read outside the bytes the reader granted.
 */
#include "boot/boot_info.h"
#include "lib/format.h"
#include "lib/string.h"

#include <stdarg.h>

/*
 * Multiboot 1 information structure, spec 0.6.96 section 3.3 "Boot
 * information format".  Byte offsets from the start of the structure.
 */
#define MB1_FLAG_MEM            (1u << 0)
#define MB1_FLAG_CMDLINE        (1u << 2)
#define MB1_FLAG_MODS           (1u << 3)
#define MB1_FLAG_MMAP           (1u << 6)
#define MB1_FLAG_LOADER_NAME    (1u << 9)
#define MB1_FLAG_FRAMEBUFFER    (1u << 12)

#define MB1_INFO_FLAGS          0
#define MB1_INFO_MEM_LOWER      4
#define MB1_INFO_MEM_UPPER      8
#define MB1_INFO_CMDLINE        16
#define MB1_INFO_MODS_COUNT     20
#define MB1_INFO_MODS_ADDR      24
#define MB1_INFO_MMAP_LENGTH    44
#define MB1_INFO_MMAP_ADDR      48
#define MB1_INFO_LOADER_NAME    64
#define MB1_INFO_FB_ADDR        88
#define MB1_INFO_FB_PITCH       96
#define MB1_INFO_FB_WIDTH       100
#define MB1_INFO_FB_HEIGHT      104
#define MB1_INFO_FB_BPP         108
#define MB1_INFO_FB_TYPE        109
/* The spec's table puts color_info right after framebuffer_type (110), but
 * GRUB lays the structure out as C does: the colour union holds a 32-bit
 * palette address, so it is 4-byte aligned and starts at 112. */
#define MB1_INFO_FB_COLOR_INFO  112
/* Every loader since the VBE fields were added fills at least the first 88
 * bytes; the framebuffer fields (bit 12) extend the structure to 118. */
#define MB1_INFO_SIZE           88
#define MB1_INFO_SIZE_WITH_FB   118

/* Module structure (section 3.3): mod_start, mod_end, string, reserved.
 * "string" may be 0 when the module has no string. */
#define MB1_MOD_START           0
#define MB1_MOD_END             4
#define MB1_MOD_STRING          8
#define MB1_MOD_SIZE            16

/* Memory map entry (section 3.3): a u32 size that does not count itself,
 * then base_addr, length, type; the next entry starts size + 4 bytes on. */
#define MB1_MMAP_SIZE_FIELD     4
#define MB1_MMAP_BASE           4
#define MB1_MMAP_LENGTH         12
#define MB1_MMAP_TYPE           20
#define MB1_MMAP_MIN_SIZE       20      /* base + length + type */

/* Multiboot 2 information, spec 2.0 section 3.6 "Boot information format". */
#define MB2_INFO_TOTAL_SIZE     0
#define MB2_INFO_HEADER_SIZE    8       /* total_size, reserved */
#define MB2_TAG_TYPE            0
#define MB2_TAG_SIZE            4
#define MB2_TAG_HEADER_SIZE     8
#define MB2_TAG_ALIGN           8       /* "Tags are padded to 8-byte alignment" */

enum mb2_tag_type {
    MB2_TAG_END = 0,
    MB2_TAG_CMDLINE = 1,
    MB2_TAG_LOADER_NAME = 2,
    MB2_TAG_MODULE = 3,
    MB2_TAG_BASIC_MEMINFO = 4,
    MB2_TAG_MMAP = 6,
    MB2_TAG_FRAMEBUFFER = 8,
    MB2_TAG_EFI32_SYSTEM_TABLE = 11,
    MB2_TAG_EFI64_SYSTEM_TABLE = 12,
    MB2_TAG_ACPI_OLD_RSDP = 14,
    MB2_TAG_ACPI_NEW_RSDP = 15,
    MB2_TAG_EFI_BOOT_SERVICES = 18,     /* boot services not terminated */
};

#define MB2_STRING_TAG_TEXT     8       /* cmdline, boot loader name */

#define MB2_MODULE_START        8
#define MB2_MODULE_END          12
#define MB2_MODULE_STRING       16

#define MB2_MEMINFO_LOWER       8
#define MB2_MEMINFO_UPPER       12
#define MB2_MEMINFO_SIZE        16

#define MB2_MMAP_ENTRY_SIZE     8
#define MB2_MMAP_ENTRIES        16      /* entry_version at 12 is ignored:
                                         * later versions only append fields */
#define MB2_MMAP_BASE           0
#define MB2_MMAP_LENGTH         8
#define MB2_MMAP_TYPE           16
#define MB2_MMAP_MIN_ENTRY      24      /* base, length, type, reserved */

/*
 * The spec's text shows a one-byte "reserved" after framebuffer_type, but its
 * own multiboot2.h and GRUB use a u16 there, so color_info starts at 32.
 */
#define MB2_FB_ADDR             8
#define MB2_FB_PITCH            16
#define MB2_FB_WIDTH            20
#define MB2_FB_HEIGHT           24
#define MB2_FB_BPP              28
#define MB2_FB_TYPE             29
#define MB2_FB_COLOR_INFO       32

#define MB2_RSDP                8       /* the RSDP copy starts after the header */
#define ACPI_RSDP_V1_SIZE       20      /* ACPI 6.4 section 5.2.5.3: up to RsdtAddress */
#define ACPI_RSDP_V2_SIZE       36      /* ... through the reserved bytes */

/* framebuffer_type, the same numbers in both specs. */
#define MB_FB_TYPE_INDEXED      0
#define MB_FB_TYPE_RGB          1
#define MB_FB_TYPE_EGA_TEXT     2
/* RGB color_info: position and mask size of red, green, blue, one byte each. */
#define MB_FB_RGB_INFO_SIZE     6

/*
 * GRUB's multiboot2 information is a few KiB (tens with a large EFI memory
 * map), and so is a multiboot1 memory map buffer.  A larger size is taken as
 * garbage rather than walked.
 */
#define BOOT_LOADER_BLOCK_MAX   (1024u * 1024u)

/* Every multiboot1 structure gets one range: the info, the cmdline, the
 * module array, each module's string, the memory map, the loader name. */
_Static_assert(BOOT_MAX_RESERVED >= 5 + BOOT_MAX_MODULES,
               "reserved[] too small for the multiboot1 structures");
_Static_assert(sizeof(((struct boot_info *)0)->rsdp) == ACPI_RSDP_V2_SIZE,
               "rsdp[] must hold an ACPI 2.0 RSDP");

struct parser {
    struct boot_info *info;
    boot_phys_reader read;
    void *ctx;
    char *err;
    size_t errlen;
    bool have_new_rsdp;         /* an ACPI 2.0 RSDP wins over an old one */
};

__attribute__((format(printf, 2, 3)))
static int parse_error(struct parser *p, const char *fmt, ...)
{
    if (p->err && p->errlen) {
        va_list ap;
        va_start(ap, fmt);
        kvsnprintf(p->err, p->errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* len bytes of loader memory at phys, or NULL if the reader refuses them or
 * the range wraps around the address space. */
static const uint8_t *read_phys(struct parser *p, uint64_t phys, size_t len)
{
    if (len == 0 || phys + len < phys)
        return NULL;
    return p->read(phys, len, p->ctx);
}

/* Little-endian loads from a buffer the caller has bounds-checked; memcpy
 * because loader structures promise no alignment. */
static uint32_t load_u32(const uint8_t *buf, size_t off)
{
    uint32_t v;
    memcpy(&v, buf + off, sizeof(v));
    return v;
}

static uint64_t load_u64(const uint8_t *buf, size_t off)
{
    uint64_t v;
    memcpy(&v, buf + off, sizeof(v));
    return v;
}

static size_t align_up(size_t v, size_t align)
{
    return (v + align - 1) & ~(align - 1);
}

static int reserve_range(struct parser *p, uint64_t start, uint64_t len)
{
    struct boot_info *info = p->info;
    if (len == 0)
        return 0;
    if (info->reserved_count == BOOT_MAX_RESERVED)
        return parse_error(p, "more than %d loader ranges to reserve", BOOT_MAX_RESERVED);
    info->reserved[info->reserved_count].start = start;
    info->reserved[info->reserved_count].end = start + len;
    info->reserved_count++;
    return 0;
}

/*
 * Copies the string at text (avail bytes readable, NUL expected within them)
 * into dst.  A string longer than dst, or one with no NUL before the end of
 * its tag, is cut and counted in truncated_strings.
 */
static void copy_bounded_string(struct boot_info *info, char *dst, size_t dstsize,
                                const uint8_t *text, size_t avail)
{
    size_t len = 0;
    bool terminated;

    /* Not strnlen: it is POSIX, not C11, so the host's <string.h> under
     * -std=c11 does not declare it. */
    while (len < avail && text[len] != '\0')
        len++;
    terminated = len < avail;
    if (len >= dstsize) {
        len = dstsize - 1;
        terminated = false;
    }
    memcpy(dst, text, len);
    dst[len] = '\0';
    if (!terminated)
        info->truncated_strings++;
}

/*
 * Copies the NUL-terminated string at phys into dst and reserves the bytes it
 * read.  The string's length is unknown and the reader may refuse anything
 * past its end, so it is read one byte at a time, at most dstsize bytes; a
 * longer string is cut and counted.  An unreadable byte before the NUL (a
 * bad pointer, or a string that never ends) is an error.
 */
static int copy_phys_string(struct parser *p, uint64_t phys, char *dst, size_t dstsize,
                            const char *what)
{
    size_t i;
    for (i = 0; ; i++) {
        const uint8_t *c = read_phys(p, phys + i, 1);
        if (!c)
            return parse_error(p, "%s at 0x%llx: unreadable byte at offset %zu before its NUL",
                               what, (unsigned long long)phys, i);
        if (*c == '\0')
            break;
        if (i + 1 == dstsize) {         /* no room left for this byte and a NUL */
            p->info->truncated_strings++;
            break;
        }
        dst[i] = (char)*c;
    }
    dst[i] = '\0';
    return reserve_range(p, phys, i + 1);
}

/* framebuffer_type means the same in both specs.  An indexed (palette)
 * framebuffer would need palette programming keel does not do, so it counts
 * as no framebuffer at all, as does a type neither spec defines. */
static enum boot_fb_type decode_fb_type(uint8_t type)
{
    switch (type) {
    case MB_FB_TYPE_RGB:
        return BOOT_FB_RGB;
    case MB_FB_TYPE_EGA_TEXT:
        return BOOT_FB_EGA_TEXT;
    default:
        return BOOT_FB_NONE;
    }
}

/* RGB color_info, laid out alike in both specs: field position and mask size
 * of red, green and blue, one byte each. */
static void decode_rgb_color_info(struct boot_framebuffer *fb, const uint8_t *color)
{
    fb->red_pos = color[0];
    fb->red_size = color[1];
    fb->green_pos = color[2];
    fb->green_size = color[3];
    fb->blue_pos = color[4];
    fb->blue_size = color[5];
}

/* ------------------------------------------------------------------------ */
/* Multiboot 1                                                              */

static void mb1_parse_framebuffer(struct boot_info *info, const uint8_t *mbi)
{
    struct boot_framebuffer *fb = &info->fb;
    uint8_t type = mbi[MB1_INFO_FB_TYPE];

    fb->type = decode_fb_type(type);
    if (fb->type == BOOT_FB_NONE)
        return;
    fb->addr = load_u64(mbi, MB1_INFO_FB_ADDR);
    fb->pitch = load_u32(mbi, MB1_INFO_FB_PITCH);
    fb->width = load_u32(mbi, MB1_INFO_FB_WIDTH);
    fb->height = load_u32(mbi, MB1_INFO_FB_HEIGHT);
    fb->bpp = mbi[MB1_INFO_FB_BPP];
    if (type == MB_FB_TYPE_RGB)
        decode_rgb_color_info(fb, mbi + MB1_INFO_FB_COLOR_INFO);
}

static int mb1_parse_mmap(struct parser *p, uint64_t addr, uint32_t length)
{
    struct boot_info *info = p->info;
    const uint8_t *buf;
    size_t off = 0;

    if (length == 0)
        return 0;
    if (length > BOOT_LOADER_BLOCK_MAX)
        return parse_error(p, "multiboot1 mmap_length %u is implausibly large", length);
    buf = read_phys(p, addr, length);
    if (!buf)
        return parse_error(p, "multiboot1 memory map at 0x%llx (%u bytes) is unreadable",
                           (unsigned long long)addr, length);
    if (reserve_range(p, addr, length))
        return -1;

    while (off < length) {
        uint32_t size;
        if (length - off < MB1_MMAP_SIZE_FIELD)
            return parse_error(p, "multiboot1 mmap entry at offset %zu runs past mmap_length %u",
                               off, length);
        size = load_u32(buf, off);
        if (size < MB1_MMAP_MIN_SIZE)
            return parse_error(p, "multiboot1 mmap entry at offset %zu has size %u, below %u",
                               off, size, MB1_MMAP_MIN_SIZE);
        if (size > length - off - MB1_MMAP_SIZE_FIELD)
            return parse_error(p, "multiboot1 mmap entry at offset %zu runs past mmap_length %u",
                               off, length);
        if (info->mmap_count < BOOT_MAX_MMAP) {
            struct boot_mmap_entry *e = &info->mmap[info->mmap_count++];
            e->base = load_u64(buf, off + MB1_MMAP_BASE);
            e->length = load_u64(buf, off + MB1_MMAP_LENGTH);
            e->type = load_u32(buf, off + MB1_MMAP_TYPE);
        } else {
            info->truncated_mmap++;
        }
        off += MB1_MMAP_SIZE_FIELD + (size_t)size;
    }
    return 0;
}

static int mb1_parse_modules(struct parser *p, uint64_t addr, uint32_t count)
{
    struct boot_info *info = p->info;
    size_t kept = count < BOOT_MAX_MODULES ? count : BOOT_MAX_MODULES;
    const uint8_t *mods;

    info->truncated_modules += count - kept;
    if (kept == 0)
        return 0;
    /* Only the entries kept are read, and so only they are reserved. */
    mods = read_phys(p, addr, kept * MB1_MOD_SIZE);
    if (!mods)
        return parse_error(p, "multiboot1 module list at 0x%llx (%u entries) is unreadable",
                           (unsigned long long)addr, count);
    if (reserve_range(p, addr, kept * MB1_MOD_SIZE))
        return -1;

    for (size_t i = 0; i < kept; i++) {
        const uint8_t *m = mods + i * MB1_MOD_SIZE;
        struct boot_module *mod = &info->modules[i];
        uint32_t string = load_u32(m, MB1_MOD_STRING);

        mod->start = load_u32(m, MB1_MOD_START);
        mod->end = load_u32(m, MB1_MOD_END);
        if (mod->end < mod->start)
            return parse_error(p, "multiboot1 module %zu ends (0x%llx) before it starts (0x%llx)",
                               i, (unsigned long long)mod->end,
                               (unsigned long long)mod->start);
        if (string != 0 &&
            copy_phys_string(p, string, mod->cmdline, sizeof(mod->cmdline), "module string"))
            return -1;
        info->module_count++;
    }
    return 0;
}

static int mb1_parse(struct parser *p, uint64_t mbi_phys)
{
    struct boot_info *info = p->info;
    const uint8_t *mbi = read_phys(p, mbi_phys, sizeof(uint32_t));
    size_t size;
    uint32_t flags;

    if (!mbi)
        return parse_error(p, "multiboot1 information at 0x%llx is unreadable",
                           (unsigned long long)mbi_phys);
    flags = load_u32(mbi, MB1_INFO_FLAGS);
    size = (flags & MB1_FLAG_FRAMEBUFFER) ? MB1_INFO_SIZE_WITH_FB : MB1_INFO_SIZE;
    mbi = read_phys(p, mbi_phys, size);
    if (!mbi)
        return parse_error(p, "multiboot1 information at 0x%llx (%zu bytes) is unreadable",
                           (unsigned long long)mbi_phys, size);
    if (reserve_range(p, mbi_phys, size))
        return -1;

    info->multiboot_version = 1;
    if (flags & MB1_FLAG_MEM) {
        info->have_basic_mem = true;
        info->mem_lower_kb = load_u32(mbi, MB1_INFO_MEM_LOWER);
        info->mem_upper_kb = load_u32(mbi, MB1_INFO_MEM_UPPER);
    }
    if ((flags & MB1_FLAG_CMDLINE) &&
        copy_phys_string(p, load_u32(mbi, MB1_INFO_CMDLINE), info->cmdline,
                         sizeof(info->cmdline), "command line"))
        return -1;
    if ((flags & MB1_FLAG_MODS) &&
        mb1_parse_modules(p, load_u32(mbi, MB1_INFO_MODS_ADDR),
                          load_u32(mbi, MB1_INFO_MODS_COUNT)))
        return -1;
    if ((flags & MB1_FLAG_MMAP) &&
        mb1_parse_mmap(p, load_u32(mbi, MB1_INFO_MMAP_ADDR), load_u32(mbi, MB1_INFO_MMAP_LENGTH)))
        return -1;
    if ((flags & MB1_FLAG_LOADER_NAME) &&
        copy_phys_string(p, load_u32(mbi, MB1_INFO_LOADER_NAME), info->loader_name,
                         sizeof(info->loader_name), "boot loader name"))
        return -1;
    if (flags & MB1_FLAG_FRAMEBUFFER)
        mb1_parse_framebuffer(info, mbi);
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Multiboot 2                                                              */

static int mb2_tag_too_small(struct parser *p, uint32_t type, uint32_t size, size_t need)
{
    return parse_error(p, "multiboot2 tag type %u has size %u, needs at least %zu",
                       type, size, need);
}

static int mb2_parse_module(struct parser *p, const uint8_t *tag, uint32_t size)
{
    struct boot_info *info = p->info;
    struct boot_module *mod;

    if (size < MB2_MODULE_STRING)
        return mb2_tag_too_small(p, MB2_TAG_MODULE, size, MB2_MODULE_STRING);
    if (info->module_count == BOOT_MAX_MODULES) {
        info->truncated_modules++;
        return 0;
    }
    mod = &info->modules[info->module_count];
    mod->start = load_u32(tag, MB2_MODULE_START);
    mod->end = load_u32(tag, MB2_MODULE_END);
    if (mod->end < mod->start)
        return parse_error(p, "multiboot2 module %zu ends (0x%llx) before it starts (0x%llx)",
                           info->module_count, (unsigned long long)mod->end,
                           (unsigned long long)mod->start);
    copy_bounded_string(info, mod->cmdline, sizeof(mod->cmdline), tag + MB2_MODULE_STRING,
                        size - MB2_MODULE_STRING);
    info->module_count++;
    return 0;
}

static int mb2_parse_meminfo(struct parser *p, const uint8_t *tag, uint32_t size)
{
    if (size < MB2_MEMINFO_SIZE)
        return mb2_tag_too_small(p, MB2_TAG_BASIC_MEMINFO, size, MB2_MEMINFO_SIZE);
    p->info->have_basic_mem = true;
    p->info->mem_lower_kb = load_u32(tag, MB2_MEMINFO_LOWER);
    p->info->mem_upper_kb = load_u32(tag, MB2_MEMINFO_UPPER);
    return 0;
}

static int mb2_parse_mmap(struct parser *p, const uint8_t *tag, uint32_t size)
{
    struct boot_info *info = p->info;
    uint32_t entry_size;

    if (size < MB2_MMAP_ENTRIES)
        return mb2_tag_too_small(p, MB2_TAG_MMAP, size, MB2_MMAP_ENTRIES);
    entry_size = load_u32(tag, MB2_MMAP_ENTRY_SIZE);
    if (entry_size < MB2_MMAP_MIN_ENTRY)
        return parse_error(p, "multiboot2 mmap entry_size %u is below %u",
                           entry_size, MB2_MMAP_MIN_ENTRY);
    if ((size - MB2_MMAP_ENTRIES) % entry_size != 0)
        return parse_error(p, "multiboot2 mmap tag size %u is not 16 + a multiple of "
                           "entry_size %u", size, entry_size);

    for (size_t off = MB2_MMAP_ENTRIES; off < size; off += entry_size) {
        const uint8_t *e = tag + off;
        if (info->mmap_count == BOOT_MAX_MMAP) {
            info->truncated_mmap++;
            continue;
        }
        info->mmap[info->mmap_count].base = load_u64(e, MB2_MMAP_BASE);
        info->mmap[info->mmap_count].length = load_u64(e, MB2_MMAP_LENGTH);
        info->mmap[info->mmap_count].type = load_u32(e, MB2_MMAP_TYPE);
        info->mmap_count++;
    }
    return 0;
}

static int mb2_parse_framebuffer(struct parser *p, const uint8_t *tag, uint32_t size)
{
    struct boot_framebuffer *fb = &p->info->fb;
    uint8_t type;

    if (size < MB2_FB_COLOR_INFO)
        return mb2_tag_too_small(p, MB2_TAG_FRAMEBUFFER, size, MB2_FB_COLOR_INFO);
    type = tag[MB2_FB_TYPE];
    if (type == MB_FB_TYPE_RGB && size < MB2_FB_COLOR_INFO + MB_FB_RGB_INFO_SIZE)
        return mb2_tag_too_small(p, MB2_TAG_FRAMEBUFFER, size,
                                 MB2_FB_COLOR_INFO + MB_FB_RGB_INFO_SIZE);

    memset(fb, 0, sizeof(*fb));         /* a later tag replaces an earlier one */
    fb->type = decode_fb_type(type);
    if (fb->type == BOOT_FB_NONE)
        return 0;
    fb->addr = load_u64(tag, MB2_FB_ADDR);
    fb->pitch = load_u32(tag, MB2_FB_PITCH);
    fb->width = load_u32(tag, MB2_FB_WIDTH);
    fb->height = load_u32(tag, MB2_FB_HEIGHT);
    fb->bpp = tag[MB2_FB_BPP];
    if (type == MB_FB_TYPE_RGB)
        decode_rgb_color_info(fb, tag + MB2_FB_COLOR_INFO);
    return 0;
}

/* Tags 14 and 15 carry a copy of the ACPI 1.0 or 2.0+ RSDP; the 2.0 one
 * (with the XSDT address) wins whatever order the tags come in. */
static int mb2_parse_rsdp(struct parser *p, const uint8_t *tag, uint32_t type, uint32_t size)
{
    bool is_new = type == MB2_TAG_ACPI_NEW_RSDP;
    size_t len = is_new ? ACPI_RSDP_V2_SIZE : ACPI_RSDP_V1_SIZE;

    if (size < MB2_RSDP + len)
        return mb2_tag_too_small(p, type, size, MB2_RSDP + len);
    if (p->have_new_rsdp && !is_new)
        return 0;
    memset(p->info->rsdp, 0, sizeof(p->info->rsdp));
    memcpy(p->info->rsdp, tag + MB2_RSDP, len);
    p->info->have_rsdp = true;
    p->have_new_rsdp = is_new;
    return 0;
}

static int mb2_parse_tag(struct parser *p, const uint8_t *tag, uint32_t type, uint32_t size)
{
    struct boot_info *info = p->info;

    switch (type) {
    case MB2_TAG_CMDLINE:
        copy_bounded_string(info, info->cmdline, sizeof(info->cmdline),
                            tag + MB2_STRING_TAG_TEXT, size - MB2_STRING_TAG_TEXT);
        return 0;
    case MB2_TAG_LOADER_NAME:
        copy_bounded_string(info, info->loader_name, sizeof(info->loader_name),
                            tag + MB2_STRING_TAG_TEXT, size - MB2_STRING_TAG_TEXT);
        return 0;
    case MB2_TAG_MODULE:
        return mb2_parse_module(p, tag, size);
    case MB2_TAG_BASIC_MEMINFO:
        return mb2_parse_meminfo(p, tag, size);
    case MB2_TAG_MMAP:
        return mb2_parse_mmap(p, tag, size);
    case MB2_TAG_FRAMEBUFFER:
        return mb2_parse_framebuffer(p, tag, size);
    case MB2_TAG_ACPI_OLD_RSDP:
    case MB2_TAG_ACPI_NEW_RSDP:
        return mb2_parse_rsdp(p, tag, type, size);
    case MB2_TAG_EFI32_SYSTEM_TABLE:
    case MB2_TAG_EFI64_SYSTEM_TABLE:
    case MB2_TAG_EFI_BOOT_SERVICES:
        info->efi_booted = true;
        return 0;
    default:
        return 0;               /* spec 3.6: unknown tags are skipped */
    }
}

static int mb2_parse(struct parser *p, uint64_t mbi_phys)
{
    const uint8_t *mbi = read_phys(p, mbi_phys, MB2_INFO_HEADER_SIZE);
    uint32_t total_size;
    size_t off;

    if (!mbi)
        return parse_error(p, "multiboot2 information at 0x%llx is unreadable",
                           (unsigned long long)mbi_phys);
    total_size = load_u32(mbi, MB2_INFO_TOTAL_SIZE);
    if (total_size < MB2_INFO_HEADER_SIZE + MB2_TAG_HEADER_SIZE)
        return parse_error(p, "multiboot2 total_size %u is too small to hold an end tag",
                           total_size);
    if (total_size > BOOT_LOADER_BLOCK_MAX)
        return parse_error(p, "multiboot2 total_size %u is implausibly large", total_size);
    mbi = read_phys(p, mbi_phys, total_size);
    if (!mbi)
        return parse_error(p, "multiboot2 information at 0x%llx (%u bytes) is unreadable",
                           (unsigned long long)mbi_phys, total_size);
    if (reserve_range(p, mbi_phys, total_size))
        return -1;
    p->info->multiboot_version = 2;

    off = MB2_INFO_HEADER_SIZE;
    for (;;) {
        uint32_t type, size;
        if (off >= total_size || total_size - off < MB2_TAG_HEADER_SIZE)
            return parse_error(p, "multiboot2 tag list has no end tag within total_size %u",
                               total_size);
        type = load_u32(mbi, off + MB2_TAG_TYPE);
        size = load_u32(mbi, off + MB2_TAG_SIZE);
        if (size < MB2_TAG_HEADER_SIZE)
            return parse_error(p, "multiboot2 tag type %u at offset %zu has size %u, below 8",
                               type, off, size);
        if (size > total_size - off)
            return parse_error(p, "multiboot2 tag type %u at offset %zu (size %u) runs past "
                               "total_size %u", type, off, size, total_size);
        if (type == MB2_TAG_END)
            return 0;
        if (mb2_parse_tag(p, mbi + off, type, size))
            return -1;
        /* off + size <= total_size <= BOOT_LOADER_BLOCK_MAX: no overflow. */
        off = align_up(off + size, MB2_TAG_ALIGN);
    }
}

/* ------------------------------------------------------------------------ */

int boot_info_parse(struct boot_info *info, uint32_t magic, uint64_t mbi_phys,
                    boot_phys_reader read, void *ctx, char *err, size_t errlen)
{
    struct parser p = {
        .info = info, .read = read, .ctx = ctx, .err = err, .errlen = errlen,
    };

    memset(info, 0, sizeof(*info));
    if (err && errlen)
        err[0] = '\0';
    switch (magic) {
    case MULTIBOOT1_BOOTLOADER_MAGIC:
        return mb1_parse(&p, mbi_phys);
    case MULTIBOOT2_BOOTLOADER_MAGIC:
        return mb2_parse(&p, mbi_phys);
    default:
        return parse_error(&p, "bad multiboot magic 0x%08x: expected 0x%08x (multiboot1) "
                           "or 0x%08x (multiboot2)", magic, MULTIBOOT1_BOOTLOADER_MAGIC,
                           MULTIBOOT2_BOOTLOADER_MAGIC);
    }
}
