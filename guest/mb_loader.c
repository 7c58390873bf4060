/*
 * Multiboot 1 guest loader (contract in guest/mb_loader.h), following the
 * Multiboot Specification 0.6.96: section 3.1 for the OS image and its
 * header, 3.2 for the machine state (which the caller sets up), 3.3 for the
 * boot information.
 *
 * The image is untrusted: every field is read through image_has()-checked
 * offsets, and every address it asks for is checked against guest RAM and
 * the ranges keel reserves (guest/mb_loader.h) before a single byte is
 * copied.  What is copied is described as load pieces (a file range, a
 * guest range, the rest zeroed), one per ELF PT_LOAD segment or one for an
 * a.out-kludge image, so the range rules live in one function.
 */
#include "guest/mb_loader.h"

#include <stdarg.h>
#include <stdbool.h>

#include "lib/format.h"
#include "lib/string.h"

#define KIB 1024ull
#define MIB (1024ull * KIB)
#define GIB (1024ull * MIB)

/* ------------------------------------------------------------------------ */
/* Multiboot header, spec 3.1.1 and 3.1.2                                    */

#define MB_HEADER_MAGIC         0x1BADB002u
#define MB_HEADER_SEARCH_LIMIT  8192    /* "completely within the first 8192 bytes" */
#define MB_HEADER_ALIGN         4       /* "longword (32-bit) aligned" */

#define MB_HDR_MAGIC            0
#define MB_HDR_FLAGS            4
#define MB_HDR_CHECKSUM         8
#define MB_HDR_HEADER_ADDR      12      /* the address fields, valid with flag 16 */
#define MB_HDR_LOAD_ADDR        16
#define MB_HDR_LOAD_END_ADDR    20
#define MB_HDR_BSS_END_ADDR     24
#define MB_HDR_ENTRY_ADDR       28
#define MB_HDR_SIZE             12      /* magic, flags, checksum */
#define MB_HDR_SIZE_AOUT        32      /* ... and the address fields */

#define MB_FLAG_PAGE_ALIGN_MODULES  (1u << 0)
#define MB_FLAG_MEMORY_INFO         (1u << 1)
#define MB_FLAG_VIDEO_MODE          (1u << 2)
#define MB_FLAG_AOUT_KLUDGE         (1u << 16)
/* Bits 0-15 are requirements: a loader that cannot honour one must refuse
 * the image (3.1.2).  Bits 16-31 are optional features. */
#define MB_FLAGS_REQUIRED_MASK      0x0000FFFFu
/* Modules are always page-aligned and the memory fields always given.  The
 * video mode bit is accepted without a video mode: keel has no display for
 * guests, and the info flags (bits 11 and 12 clear) say no mode was set. */
#define MB_FLAGS_HONOURED \
    (MB_FLAG_PAGE_ALIGN_MODULES | MB_FLAG_MEMORY_INFO | MB_FLAG_VIDEO_MODE)

/* ------------------------------------------------------------------------ */
/* ELF, System V ABI (gABI) chapter 4 "Object files" and chapter 5 "Program  */
/* loading"; the ELF64 layouts from the ELF-64 Object File Format 1.5.       */

#define EI_MAG0         0
#define EI_CLASS        4
#define EI_DATA         5
#define EI_VERSION      6
#define EI_NIDENT       16
#define ELF_MAGIC       "\x7f" "ELF"
#define ELF_MAGIC_LEN   4
#define ELFCLASS32      1
#define ELFCLASS64      2
#define ELFDATA2LSB     1
#define EV_CURRENT      1
#define ET_EXEC         2
#define EM_386          3
#define EM_X86_64       62
#define PT_LOAD         1
#define PN_XNUM         0xFFFFu  /* the real count is in section header 0: not supported */

/* Where the fields keel reads sit in one ELF class's headers. */
struct elf_layout {
    uint8_t ei_class;
    uint16_t machine;
    const char *name;
    enum mb_image_format format;
    unsigned addr_size;         /* bytes of an address or offset field */
    size_t ehdr_size;
    size_t e_type, e_machine, e_entry, e_phoff, e_phentsize, e_phnum;
    size_t phdr_size;
    size_t p_type, p_offset, p_paddr, p_filesz, p_memsz;
};

static const struct elf_layout elf32_layout = {
    .ei_class = ELFCLASS32, .machine = EM_386, .name = "ELF32", .format = MB_IMAGE_ELF32,
    .addr_size = 4, .ehdr_size = 52,
    .e_type = 16, .e_machine = 18, .e_entry = 24, .e_phoff = 28, .e_phentsize = 42,
    .e_phnum = 44,
    .phdr_size = 32,
    .p_type = 0, .p_offset = 4, .p_paddr = 12, .p_filesz = 16, .p_memsz = 20,
};

static const struct elf_layout elf64_layout = {
    .ei_class = ELFCLASS64, .machine = EM_X86_64, .name = "ELF64", .format = MB_IMAGE_ELF64,
    .addr_size = 8, .ehdr_size = 64,
    .e_type = 16, .e_machine = 18, .e_entry = 24, .e_phoff = 32, .e_phentsize = 54,
    .e_phnum = 56,
    .phdr_size = 56,
    .p_type = 0, .p_offset = 8, .p_paddr = 24, .p_filesz = 32, .p_memsz = 40,
};

/* ------------------------------------------------------------------------ */
/* Reading the image                                                         */

struct image {
    const uint8_t *bytes;
    size_t len;
};

/* Does the image hold n bytes at offset off?  Written so it cannot overflow. */
static bool image_has(const struct image *img, uint64_t off, uint64_t n)
{
    return off <= img->len && n <= img->len - off;
}

/* A little-endian field of size bytes (2, 4 or 8) at p. */
static uint64_t read_le(const uint8_t *p, unsigned size)
{
    uint64_t v = 0;

    for (unsigned i = size; i > 0; i--)
        v = (v << 8) | p[i - 1];
    return v;
}

/* Field at image offset off; the caller has checked image_has(off, size). */
static uint64_t image_field(const struct image *img, uint64_t off, unsigned size)
{
    return read_le(img->bytes + off, size);
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    if (err != NULL && errlen > 0) {
        va_start(ap, fmt);
        kvsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* "16 MiB", or the exact byte count when it is not whole MiB. */
static void describe_ram(uint64_t ram_size, char *buf, size_t len)
{
    if (ram_size % MIB == 0)
        ksnprintf(buf, len, "%llu MiB", (unsigned long long)(ram_size / MIB));
    else
        ksnprintf(buf, len, "0x%llx bytes", (unsigned long long)ram_size);
}

/* ------------------------------------------------------------------------ */
/* Finding the multiboot header                                              */

struct mb_header {
    size_t offset;              /* in the image */
    uint32_t flags;
    /* The address fields, read only when flags has MB_FLAG_AOUT_KLUDGE. */
    uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

static bool is_mb_header_at(const struct image *img, size_t off)
{
    if (!image_has(img, off, MB_HDR_SIZE))
        return false;
    uint32_t magic = (uint32_t)image_field(img, off + MB_HDR_MAGIC, 4);
    uint32_t flags = (uint32_t)image_field(img, off + MB_HDR_FLAGS, 4);
    uint32_t checksum = (uint32_t)image_field(img, off + MB_HDR_CHECKSUM, 4);
    /* 3.1.2: magic + flags + checksum is zero, modulo 2^32. */
    return magic == MB_HEADER_MAGIC && (uint32_t)(magic + flags + checksum) == 0;
}

static bool has_magic_at(const struct image *img, size_t off)
{
    return image_has(img, off, 4) && image_field(img, off, 4) == MB_HEADER_MAGIC;
}

/* Explains why no header was found in the first 8 KiB. */
static int explain_missing_header(const struct image *img, char *err, size_t errlen)
{
    for (size_t off = 0; off + MB_HDR_SIZE <= MB_HEADER_SEARCH_LIMIT; off += MB_HEADER_ALIGN) {
        if (has_magic_at(img, off))
            return fail(err, errlen, "bad multiboot header checksum (magic at offset 0x%zx)",
                        off);
    }
    for (size_t off = 0; image_has(img, off, MB_HDR_SIZE); off += MB_HEADER_ALIGN) {
        if (off + MB_HDR_SIZE > MB_HEADER_SEARCH_LIMIT && is_mb_header_at(img, off))
            return fail(err, errlen,
                        "multiboot header at offset 0x%zx: it must lie within the first 8 KiB",
                        off);
    }
    return fail(err, errlen, "not an ELF or a.out-kludge multiboot image: "
                             "no multiboot header in the first 8 KiB");
}

static void read_aout_fields(const struct image *img, struct mb_header *hdr)
{
    size_t off = hdr->offset;

    hdr->header_addr = (uint32_t)image_field(img, off + MB_HDR_HEADER_ADDR, 4);
    hdr->load_addr = (uint32_t)image_field(img, off + MB_HDR_LOAD_ADDR, 4);
    hdr->load_end_addr = (uint32_t)image_field(img, off + MB_HDR_LOAD_END_ADDR, 4);
    hdr->bss_end_addr = (uint32_t)image_field(img, off + MB_HDR_BSS_END_ADDR, 4);
    hdr->entry_addr = (uint32_t)image_field(img, off + MB_HDR_ENTRY_ADDR, 4);
}

static int find_mb_header(const struct image *img, struct mb_header *hdr, char *err,
                          size_t errlen)
{
    size_t off = 0;

    while (off + MB_HDR_SIZE <= MB_HEADER_SEARCH_LIMIT && !is_mb_header_at(img, off)) {
        if (!image_has(img, off, MB_HDR_SIZE))
            return explain_missing_header(img, err, errlen);
        off += MB_HEADER_ALIGN;
    }
    if (off + MB_HDR_SIZE > MB_HEADER_SEARCH_LIMIT)
        return explain_missing_header(img, err, errlen);

    *hdr = (struct mb_header){
        .offset = off,
        .flags = (uint32_t)image_field(img, off + MB_HDR_FLAGS, 4),
    };
    uint32_t unknown = hdr->flags & MB_FLAGS_REQUIRED_MASK & ~MB_FLAGS_HONOURED;
    if (unknown != 0)
        return fail(err, errlen,
                    "the multiboot header requires features keel does not offer "
                    "(required flag bits 0x%x; of bits 0-15 keel honours 0, 1 and 2)",
                    unknown);
    if (hdr->flags & MB_FLAG_AOUT_KLUDGE) {
        if (!image_has(img, off, MB_HDR_SIZE_AOUT) ||
            off + MB_HDR_SIZE_AOUT > MB_HEADER_SEARCH_LIMIT)
            return fail(err, errlen, "multiboot header at offset 0x%zx sets flag 16 (a.out "
                        "kludge) but its address fields run past the %s", off,
                        image_has(img, off, MB_HDR_SIZE_AOUT) ? "first 8 KiB"
                                                              : "end of the image");
        read_aout_fields(img, hdr);
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Load pieces: what is copied where                                         */

struct load_piece {
    char what[32];              /* "segment 2", for messages */
    uint64_t file_offset;
    uint64_t file_size;         /* bytes copied from the image */
    uint64_t gpa;
    uint64_t mem_size;          /* bytes of RAM it fills; beyond file_size zeroed */
};

/* Guest-physical ranges no byte of the image may land in, and why. */
struct reserved_range {
    uint32_t start, end;
    const char *why;
};

static const struct reserved_range reserved_ranges[] = {
    { 0, MB_GUEST_IVT_END, "where keel writes the real-mode interrupt vector table" },
    { MB_GUEST_LOW_MEM_END, MB_GUEST_HIGH_MEM_START,
      "the EBDA, video memory and BIOS area (keel's ACPI tables and BIOS stubs)" },
};

static int check_piece(const struct load_piece *p, const struct image *img, uint64_t ram_size,
                       char *err, size_t errlen)
{
    char ram_text[32];

    if (p->file_size > p->mem_size)
        return fail(err, errlen, "%s: file size 0x%llx is larger than its memory size 0x%llx",
                    p->what, (unsigned long long)p->file_size,
                    (unsigned long long)p->mem_size);
    if (!image_has(img, p->file_offset, p->file_size))
        return fail(err, errlen, "%s: its 0x%llx bytes at file offset 0x%llx run past the "
                    "end of the image (0x%zx bytes)", p->what,
                    (unsigned long long)p->file_size, (unsigned long long)p->file_offset,
                    img->len);
    if (p->mem_size > UINT64_MAX - p->gpa)
        return fail(err, errlen, "%s: 0x%llx bytes at 0x%llx run past the end of the "
                    "address space", p->what, (unsigned long long)p->mem_size,
                    (unsigned long long)p->gpa);

    uint64_t end = p->gpa + p->mem_size;
    describe_ram(ram_size, ram_text, sizeof(ram_text));
    if (end > ram_size)
        return fail(err, errlen, "%s [0x%llx, 0x%llx) lies outside the VM's %s of RAM",
                    p->what, (unsigned long long)p->gpa, (unsigned long long)end, ram_text);
    for (size_t i = 0; i < sizeof(reserved_ranges) / sizeof(reserved_ranges[0]); i++) {
        const struct reserved_range *r = &reserved_ranges[i];
        if (p->gpa < r->end && end > r->start)
            return fail(err, errlen, "%s [0x%llx, 0x%llx) overlaps [0x%x, 0x%x), %s", p->what,
                        (unsigned long long)p->gpa, (unsigned long long)end, r->start, r->end,
                        r->why);
    }
    return 0;
}

static void copy_piece(const struct load_piece *p, const struct image *img, uint8_t *ram)
{
    memcpy(ram + p->gpa, img->bytes + p->file_offset, p->file_size);
    memset(ram + p->gpa + p->file_size, 0, p->mem_size - p->file_size);
}

/* Widens [*start, *end) to cover the piece. */
static void cover_piece(const struct load_piece *p, uint64_t *start, uint64_t *end)
{
    if (p->gpa < *start)
        *start = p->gpa;
    if (p->gpa + p->mem_size > *end)
        *end = p->gpa + p->mem_size;
}

static bool piece_contains(const struct load_piece *p, uint64_t addr)
{
    return addr >= p->gpa && addr - p->gpa < p->mem_size;
}

/* ------------------------------------------------------------------------ */
/* ELF images                                                                */

struct elf_image {
    const struct elf_layout *layout;
    uint64_t entry;
    uint64_t phoff;
    uint16_t phentsize;
    uint16_t phnum;
};

static bool is_elf(const struct image *img)
{
    return image_has(img, EI_MAG0, ELF_MAGIC_LEN) &&
           memcmp(img->bytes + EI_MAG0, ELF_MAGIC, ELF_MAGIC_LEN) == 0;
}

static int read_elf_header(const struct image *img, struct elf_image *elf, char *err,
                           size_t errlen)
{
    if (!image_has(img, 0, EI_NIDENT))
        return fail(err, errlen, "ELF image cut short: 0x%zx bytes", img->len);

    uint8_t ei_class = img->bytes[EI_CLASS];
    const struct elf_layout *l = ei_class == ELFCLASS32   ? &elf32_layout
                                 : ei_class == ELFCLASS64 ? &elf64_layout
                                                          : NULL;
    if (l == NULL)
        return fail(err, errlen, "ELF class %u is neither ELF32 nor ELF64", ei_class);
    if (!image_has(img, 0, l->ehdr_size))
        return fail(err, errlen, "%s image cut short: 0x%zx bytes, its header needs 0x%zx",
                    l->name, img->len, l->ehdr_size);
    if (img->bytes[EI_DATA] != ELFDATA2LSB)
        return fail(err, errlen, "%s image is not little-endian", l->name);
    if (img->bytes[EI_VERSION] != EV_CURRENT)
        return fail(err, errlen, "%s image has ELF version %u, not 1", l->name,
                    img->bytes[EI_VERSION]);

    uint16_t type = (uint16_t)image_field(img, l->e_type, 2);
    uint16_t machine = (uint16_t)image_field(img, l->e_machine, 2);
    if (type != ET_EXEC)
        return fail(err, errlen, "%s image of type %u is not an executable (ET_EXEC)", l->name,
                    type);
    if (machine != l->machine)
        return fail(err, errlen, "%s image for machine %u: keel runs EM_386 (3) ELF32 and "
                    "EM_X86_64 (62) ELF64 kernels", l->name, machine);

    *elf = (struct elf_image){
        .layout = l,
        .entry = image_field(img, l->e_entry, l->addr_size),
        .phoff = image_field(img, l->e_phoff, l->addr_size),
        .phentsize = (uint16_t)image_field(img, l->e_phentsize, 2),
        .phnum = (uint16_t)image_field(img, l->e_phnum, 2),
    };
    if (elf->phnum == 0)
        return fail(err, errlen, "%s image has no program headers", l->name);
    if (elf->phnum == PN_XNUM)
        return fail(err, errlen, "%s image has too many program headers (e_phnum = PN_XNUM)",
                    l->name);
    if (elf->phentsize < l->phdr_size)
        return fail(err, errlen, "%s program header size %u is below the %zu bytes of one",
                    l->name, elf->phentsize, l->phdr_size);
    if (!image_has(img, elf->phoff, (uint64_t)elf->phnum * elf->phentsize))
        return fail(err, errlen, "%s program header table (%u entries at offset 0x%llx) runs "
                    "past the end of the image (0x%zx bytes)", l->name, elf->phnum,
                    (unsigned long long)elf->phoff, img->len);
    /* 3.2: the guest starts in 32-bit protected mode, so EIP is 32 bits. */
    if (elf->entry > UINT32_MAX)
        return fail(err, errlen, "%s entry point 0x%llx is above 4 GiB: the guest starts in "
                    "32-bit mode", l->name, (unsigned long long)elf->entry);
    return 0;
}

/* Reads program header i; false when it is not a PT_LOAD with bytes to load. */
static bool read_load_segment(const struct image *img, const struct elf_image *elf,
                              unsigned i, struct load_piece *p)
{
    const struct elf_layout *l = elf->layout;
    uint64_t ph = elf->phoff + (uint64_t)i * elf->phentsize;

    if ((uint32_t)image_field(img, ph + l->p_type, 4) != PT_LOAD)
        return false;
    *p = (struct load_piece){
        .file_offset = image_field(img, ph + l->p_offset, l->addr_size),
        .file_size = image_field(img, ph + l->p_filesz, l->addr_size),
        .gpa = image_field(img, ph + l->p_paddr, l->addr_size),
        .mem_size = image_field(img, ph + l->p_memsz, l->addr_size),
    };
    ksnprintf(p->what, sizeof(p->what), "segment %u", i);
    /* An empty segment occupies nothing; its address does not matter. */
    return p->mem_size != 0 || p->file_size != 0;
}

static int load_elf(const struct image *img, uint8_t *ram, uint64_t ram_size,
                    struct mb_load_result *out, char *err, size_t errlen)
{
    struct elf_image elf;
    struct load_piece p;
    uint64_t start = UINT64_MAX, end = 0;
    unsigned loaded = 0;
    bool entry_loaded = false;

    if (read_elf_header(img, &elf, err, errlen) != 0)
        return -1;
    for (unsigned i = 0; i < elf.phnum; i++) {
        if (!read_load_segment(img, &elf, i, &p))
            continue;
        if (check_piece(&p, img, ram_size, err, errlen) != 0)
            return -1;
        cover_piece(&p, &start, &end);
        loaded++;
        entry_loaded |= piece_contains(&p, elf.entry);
    }
    if (loaded == 0)
        return fail(err, errlen, "%s image has no PT_LOAD segment with bytes to load",
                    elf.layout->name);
    if (!entry_loaded)
        return fail(err, errlen, "%s entry point 0x%llx is in no loaded segment (a virtual "
                    "address? the guest starts with paging off)", elf.layout->name,
                    (unsigned long long)elf.entry);

    for (unsigned i = 0; i < elf.phnum; i++) {
        if (read_load_segment(img, &elf, i, &p))
            copy_piece(&p, img, ram);
    }
    out->format = elf.layout->format;
    out->entry = (uint32_t)elf.entry;
    out->image_start = start;
    out->image_end = end;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* a.out-kludge images (flag 16): the header's address fields, 3.1.3        */

static int aout_piece(const struct image *img, const struct mb_header *hdr,
                      struct load_piece *p, char *err, size_t errlen)
{
    /* The file is loaded from the offset that makes the header land at
     * header_addr: header_addr - load_addr bytes before the header. */
    if (hdr->load_addr > hdr->header_addr)
        return fail(err, errlen, "a.out kludge: load_addr 0x%x is above header_addr 0x%x",
                    hdr->load_addr, hdr->header_addr);
    uint64_t before_header = hdr->header_addr - hdr->load_addr;
    if (before_header > hdr->offset)
        return fail(err, errlen, "a.out kludge: header_addr - load_addr = 0x%llx, but the "
                    "header is only 0x%zx bytes into the file",
                    (unsigned long long)before_header, hdr->offset);

    *p = (struct load_piece){ .what = "a.out-kludge image", .gpa = hdr->load_addr };
    p->file_offset = hdr->offset - before_header;
    /* load_end_addr 0: the text and data run to the end of the file. */
    if (hdr->load_end_addr == 0)
        p->file_size = img->len - p->file_offset;
    else if (hdr->load_end_addr < hdr->load_addr)
        return fail(err, errlen, "a.out kludge: load_end_addr 0x%x is below load_addr 0x%x",
                    hdr->load_end_addr, hdr->load_addr);
    else
        p->file_size = hdr->load_end_addr - hdr->load_addr;

    /* bss_end_addr 0: no bss. */
    uint64_t load_end = p->gpa + p->file_size;
    if (hdr->bss_end_addr == 0)
        p->mem_size = p->file_size;
    else if (hdr->bss_end_addr < load_end)
        return fail(err, errlen, "a.out kludge: bss_end_addr 0x%x is below the end of the "
                    "loaded bytes 0x%llx", hdr->bss_end_addr, (unsigned long long)load_end);
    else
        p->mem_size = hdr->bss_end_addr - p->gpa;
    return 0;
}

static int load_aout_kludge(const struct image *img, const struct mb_header *hdr, uint8_t *ram,
                            uint64_t ram_size, struct mb_load_result *out, char *err,
                            size_t errlen)
{
    struct load_piece p;

    if (aout_piece(img, hdr, &p, err, errlen) != 0 ||
        check_piece(&p, img, ram_size, err, errlen) != 0)
        return -1;
    if (!piece_contains(&p, hdr->entry_addr))
        return fail(err, errlen, "a.out kludge: entry_addr 0x%x is outside the loaded "
                    "[0x%llx, 0x%llx)", hdr->entry_addr, (unsigned long long)p.gpa,
                    (unsigned long long)(p.gpa + p.mem_size));
    copy_piece(&p, img, ram);
    out->format = MB_IMAGE_AOUT_KLUDGE;
    out->entry = hdr->entry_addr;
    out->image_start = p.gpa;
    out->image_end = p.gpa + p.mem_size;
    return 0;
}

int mb_guest_load(const void *image, size_t len, uint8_t *ram, uint64_t ram_size,
                  struct mb_load_result *out, char *err, size_t errlen)
{
    const struct image img = { .bytes = image, .len = image != NULL ? len : 0 };
    struct mb_header hdr = { 0 };

    if (find_mb_header(&img, &hdr, err, errlen) != 0)
        return -1;
    *out = (struct mb_load_result){ .header_flags = hdr.flags };
    /* 3.1.3: with flag 16 the address fields are used, whatever the format. */
    if (hdr.flags & MB_FLAG_AOUT_KLUDGE)
        return load_aout_kludge(&img, &hdr, ram, ram_size, out, err, errlen);
    if (!is_elf(&img))
        return fail(err, errlen, "not an ELF image, and its multiboot header does not set "
                    "flag 16 (a.out kludge) to give load addresses");
    return load_elf(&img, ram, ram_size, out, err, errlen);
}

/* ------------------------------------------------------------------------ */
/* Boot information, spec 3.3                                                */

#define MBI_FLAG_MEM            (1u << 0)
#define MBI_FLAG_CMDLINE        (1u << 2)
#define MBI_FLAG_MODS           (1u << 3)
#define MBI_FLAG_MMAP           (1u << 6)
#define MBI_FLAG_LOADER_NAME    (1u << 9)

#define MBI_FLAGS               0
#define MBI_MEM_LOWER           4
#define MBI_MEM_UPPER           8
#define MBI_CMDLINE             16
#define MBI_MODS_COUNT          20
#define MBI_MODS_ADDR           24
#define MBI_MMAP_LENGTH         44
#define MBI_MMAP_ADDR           48
#define MBI_LOADER_NAME         64
/* The structure runs to 116 bytes with the framebuffer fields; all of it is
 * zeroed so fields keel does not flag read as 0.  Kept 8-byte aligned. */
#define MBI_SIZE                120

/* One entry of the module array. */
#define MOD_ENTRY_START         0
#define MOD_ENTRY_END           4       /* exclusive */
#define MOD_ENTRY_STRING        8
#define MOD_ENTRY_RESERVED      12
#define MOD_ENTRY_BYTES         16

/* One memory map entry: it starts with its size, which does not count the
 * size field itself; mmap_addr points at that size field. */
#define MMAP_ENTRY_SIZE_FIELD   0
#define MMAP_ENTRY_BASE         4
#define MMAP_ENTRY_LENGTH       12
#define MMAP_ENTRY_TYPE         20
#define MMAP_ENTRY_BYTES        24
#define MMAP_SIZE_FIELD_BYTES   4
#define MMAP_TYPE_AVAILABLE     1
#define MMAP_TYPE_RESERVED      2

/* The PC memory layout the guest is told about (guest/mb_loader.h):
 * conventional memory up to the extended BIOS data area, the EBDA, the BIOS
 * area (where keel puts the ACPI tables: guest/pc_machine.h), then the rest
 * of RAM from 1 MiB.  [0xA0000, 0xE0000) (video memory, option ROMs) is
 * left out of the map, as real firmware does. */
#define GUEST_EBDA_END          0xA0000u
#define GUEST_BIOS_ROM_START    0xE0000u
#define GUEST_MMAP_ENTRIES      4

/* The boot information lives in conventional memory above the IVT's page;
 * all of it is 32-bit addresses below 1 MiB, readable in real mode too. */
#define INFO_AREA_START         MB_GUEST_IVT_END
#define INFO_AREA_END           MB_GUEST_LOW_MEM_END
#define INFO_ALIGN              8u

/* Where each part of the information goes. */
struct info_layout {
    uint32_t mbi;
    uint32_t mmap;
    uint32_t mods;
    uint32_t strings;
};

static void put_le(uint8_t *ram, uint64_t gpa, uint64_t v, unsigned size)
{
    for (unsigned i = 0; i < size; i++, v >>= 8)
        ram[gpa + i] = (uint8_t)v;
}

static uint64_t align_up(uint64_t a, uint64_t align)
{
    return (a + align - 1) & ~(align - 1);
}

static uint64_t page_align_up(uint64_t a)
{
    return align_up(a, MB_GUEST_PAGE_SIZE);
}

static const char *or_empty(const char *s)
{
    return s != NULL ? s : "";
}

static bool has_image(const struct mb_info_src *src)
{
    return src->image_start < src->image_end;
}

/* The guest-physical address module 0 goes to: the first page after both
 * the image and 1 MiB.  Above 1 MiB, as GRUB places modules, so that low
 * memory stays the image's and the information's; after the image, as
 * QEMU's -kernel does, so a guest that takes the RAM above its image as
 * free finds the modules at its start. */
static uint64_t first_module_gpa(const struct mb_info_src *src)
{
    uint64_t after = has_image(src) && src->image_end > MB_GUEST_HIGH_MEM_START
                         ? src->image_end : MB_GUEST_HIGH_MEM_START;
    return page_align_up(after);
}

static int check_modules_fit(uint64_t ram_size, const struct mb_info_src *src, char *err,
                             size_t errlen)
{
    char ram_text[32];
    uint64_t gpa = first_module_gpa(src);

    describe_ram(ram_size, ram_text, sizeof(ram_text));
    for (size_t i = 0; i < src->nmodules; i++) {
        uint64_t len = src->modules[i].len;
        if (gpa > ram_size || len > ram_size - gpa)
            return fail(err, errlen, "module %zu (0x%llx bytes at 0x%llx) does not fit in the "
                        "VM's %s of RAM", i, (unsigned long long)len,
                        (unsigned long long)gpa, ram_text);
        gpa = page_align_up(gpa + len);
    }
    return 0;
}

/* Bytes the information takes: the structure, the memory map, the module
 * array and every string.  Counting stops once it is past the area. */
static uint64_t info_size(const struct mb_info_src *src)
{
    const uint64_t area = INFO_AREA_END - INFO_AREA_START;
    uint64_t size = MBI_SIZE + GUEST_MMAP_ENTRIES * MMAP_ENTRY_BYTES +
                    src->nmodules * MOD_ENTRY_BYTES;

    size += strlen(or_empty(src->cmdline)) + 1;
    size += strlen(or_empty(src->loader_name)) + 1;
    for (size_t i = 0; i < src->nmodules && size <= area; i++)
        size += strlen(or_empty(src->modules[i].string)) + 1;
    return size;
}

/* Where the information goes: the first place in [0x1000, 0x9FC00) with
 * room for size bytes that does not overlap the image.  The image counts as
 * the whole of [image_start, image_end), gaps between segments included:
 * that is the start of the area when the information fits below the image,
 * else just after the image. */
static int place_info(const struct mb_info_src *src, uint64_t size, uint32_t *base, char *err,
                      size_t errlen)
{
    uint64_t below_end = INFO_AREA_END, after = INFO_AREA_START;

    if (has_image(src)) {
        below_end = src->image_start < INFO_AREA_START ? INFO_AREA_START
                    : src->image_start < INFO_AREA_END ? src->image_start
                                                       : INFO_AREA_END;
        after = src->image_end < INFO_AREA_START ? INFO_AREA_START
                : src->image_end < INFO_AREA_END ? align_up(src->image_end, INFO_ALIGN)
                                                 : INFO_AREA_END;
    }
    if (size <= below_end - INFO_AREA_START) {
        *base = INFO_AREA_START;
        return 0;
    }
    if (after < INFO_AREA_END && size <= INFO_AREA_END - after) {
        *base = (uint32_t)after;
        return 0;
    }
    return fail(err, errlen, "the multiboot information (0x%llx bytes with the command line "
                "and module strings) fits neither below the image in [0x%x, 0x%llx) nor "
                "after it in [0x%llx, 0x%x)", (unsigned long long)size, INFO_AREA_START,
                (unsigned long long)below_end, (unsigned long long)after, INFO_AREA_END);
}

static int plan_info(const struct mb_info_src *src, struct info_layout *lay, char *err,
                     size_t errlen)
{
    const uint64_t area = INFO_AREA_END - INFO_AREA_START;
    uint32_t base;

    /* Refused before info_size(), so its sum cannot overflow. */
    if (src->nmodules > area / MOD_ENTRY_BYTES)
        return fail(err, errlen, "%zu modules are too many for the boot information",
                    src->nmodules);
    uint64_t size = info_size(src);
    if (place_info(src, size, &base, err, errlen) != 0)
        return -1;
    lay->mbi = base;
    lay->mmap = lay->mbi + MBI_SIZE;
    lay->mods = lay->mmap + GUEST_MMAP_ENTRIES * MMAP_ENTRY_BYTES;
    lay->strings = lay->mods + (uint32_t)(src->nmodules * MOD_ENTRY_BYTES);
    return 0;
}

/* Copies s with its NUL to *gpa, moves *gpa past it, returns where it went. */
static uint32_t put_string(uint8_t *ram, uint32_t *gpa, const char *s)
{
    uint32_t at = *gpa;
    size_t len = strlen(s) + 1;

    memcpy(ram + at, s, len);
    *gpa += (uint32_t)len;
    return at;
}

static void put_mmap_entry(uint8_t *ram, uint32_t *gpa, uint64_t base, uint64_t end,
                           uint32_t type)
{
    put_le(ram, *gpa + MMAP_ENTRY_SIZE_FIELD, MMAP_ENTRY_BYTES - MMAP_SIZE_FIELD_BYTES, 4);
    put_le(ram, *gpa + MMAP_ENTRY_BASE, base, 8);
    put_le(ram, *gpa + MMAP_ENTRY_LENGTH, end - base, 8);
    put_le(ram, *gpa + MMAP_ENTRY_TYPE, type, 4);
    *gpa += MMAP_ENTRY_BYTES;
}

static void write_mmap(uint8_t *ram, uint64_t ram_size, const struct info_layout *lay)
{
    uint32_t gpa = lay->mmap;

    put_mmap_entry(ram, &gpa, 0, MB_GUEST_LOW_MEM_END, MMAP_TYPE_AVAILABLE);
    put_mmap_entry(ram, &gpa, MB_GUEST_LOW_MEM_END, GUEST_EBDA_END, MMAP_TYPE_RESERVED);
    put_mmap_entry(ram, &gpa, GUEST_BIOS_ROM_START, MB_GUEST_HIGH_MEM_START,
                   MMAP_TYPE_RESERVED);
    put_mmap_entry(ram, &gpa, MB_GUEST_HIGH_MEM_START, ram_size, MMAP_TYPE_AVAILABLE);
    put_le(ram, lay->mbi + MBI_MMAP_LENGTH, gpa - lay->mmap, 4);
    put_le(ram, lay->mbi + MBI_MMAP_ADDR, lay->mmap, 4);
}

/* Copies the modules into RAM and fills the module array; strings go at *strings. */
static void write_modules(uint8_t *ram, const struct mb_info_src *src,
                          const struct info_layout *lay, uint32_t *strings)
{
    uint64_t gpa = first_module_gpa(src);

    for (size_t i = 0; i < src->nmodules; i++) {
        const struct mb_module_src *m = &src->modules[i];
        uint32_t entry = lay->mods + (uint32_t)(i * MOD_ENTRY_BYTES);

        if (m->len > 0)
            memcpy(ram + gpa, m->bytes, m->len);
        put_le(ram, entry + MOD_ENTRY_START, gpa, 4);
        put_le(ram, entry + MOD_ENTRY_END, gpa + m->len, 4);
        put_le(ram, entry + MOD_ENTRY_STRING, put_string(ram, strings, or_empty(m->string)), 4);
        put_le(ram, entry + MOD_ENTRY_RESERVED, 0, 4);
        gpa = page_align_up(gpa + m->len);
    }
    put_le(ram, lay->mbi + MBI_MODS_COUNT, src->nmodules, 4);
    put_le(ram, lay->mbi + MBI_MODS_ADDR, lay->mods, 4);
}

int mb_guest_build_info(uint8_t *ram, uint64_t ram_size, const struct mb_info_src *src,
                        uint32_t *mbi_gpa, char *err, size_t errlen)
{
    struct info_layout lay = { 0 };

    /* mem_upper counts from 1 MiB, and every address in the structure is 32 bits. */
    if (ram_size <= MB_GUEST_HIGH_MEM_START || ram_size > 4 * GIB)
        return fail(err, errlen, "guest RAM of 0x%llx bytes: multiboot needs more than 1 MiB "
                    "and at most 4 GiB", (unsigned long long)ram_size);
    if (has_image(src) && src->image_end > ram_size)
        return fail(err, errlen, "the image [0x%llx, 0x%llx) is not inside guest RAM",
                    (unsigned long long)src->image_start, (unsigned long long)src->image_end);
    if (plan_info(src, &lay, err, errlen) != 0 ||
        check_modules_fit(ram_size, src, err, errlen) != 0)
        return -1;

    memset(ram + lay.mbi, 0, MBI_SIZE);
    put_le(ram, lay.mbi + MBI_FLAGS, MBI_FLAG_MEM | MBI_FLAG_CMDLINE | MBI_FLAG_MODS |
                                     MBI_FLAG_MMAP | MBI_FLAG_LOADER_NAME, 4);
    put_le(ram, lay.mbi + MBI_MEM_LOWER, MB_GUEST_LOW_MEM_END / KIB, 4);
    put_le(ram, lay.mbi + MBI_MEM_UPPER, (ram_size - MB_GUEST_HIGH_MEM_START) / KIB, 4);
    write_mmap(ram, ram_size, &lay);

    uint32_t strings = lay.strings;
    put_le(ram, lay.mbi + MBI_CMDLINE, put_string(ram, &strings, or_empty(src->cmdline)), 4);
    put_le(ram, lay.mbi + MBI_LOADER_NAME,
           put_string(ram, &strings, or_empty(src->loader_name)), 4);
    write_modules(ram, src, &lay, &strings);

    *mbi_gpa = lay.mbi;
    return 0;
}
