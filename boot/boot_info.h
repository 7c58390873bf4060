/*
 * struct boot_info: everything keel needs from the boot loader, parsed once from
 * the multiboot1 or multiboot2 information (boot/boot_info.c, pure logic).
 * All strings are copied into the struct, so once it is filled the loader's
 * data is never read again; its physical ranges are still listed in
 * reserved[] so the frame allocator leaves them alone.
 */
#ifndef KEEL_BOOT_BOOT_INFO_H
#define KEEL_BOOT_BOOT_INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MULTIBOOT1_BOOTLOADER_MAGIC 0x2BADB002u
#define MULTIBOOT2_BOOTLOADER_MAGIC 0x36D76289u

#define BOOT_MAX_MMAP     128
#define BOOT_MAX_MODULES  32
#define BOOT_MAX_RESERVED 48
#define BOOT_CMDLINE_MAX  1024
#define BOOT_NAME_MAX     64

/* Memory map entry types, as multiboot (and the BIOS E820 call) number them. */
enum boot_mem_type {
    BOOT_MEM_AVAILABLE = 1,
    BOOT_MEM_RESERVED = 2,
    BOOT_MEM_ACPI_RECLAIMABLE = 3,
    BOOT_MEM_ACPI_NVS = 4,
    BOOT_MEM_BAD = 5,
};

struct boot_mmap_entry {
    uint64_t base;
    uint64_t length;
    uint32_t type;              /* enum boot_mem_type; other values = reserved */
};

struct boot_module {
    uint64_t start;             /* physical, inclusive */
    uint64_t end;               /* physical, exclusive */
    char cmdline[BOOT_CMDLINE_MAX];
};

/* A physical range keel must not hand out (loader data). */
struct boot_range {
    uint64_t start;
    uint64_t end;               /* exclusive */
};

enum boot_fb_type {
    BOOT_FB_NONE = 0,
    BOOT_FB_RGB,                /* linear framebuffer, direct colour */
    BOOT_FB_EGA_TEXT,           /* VGA/EGA text mode, 2 bytes per cell */
};

struct boot_framebuffer {
    enum boot_fb_type type;
    uint64_t addr;              /* physical */
    uint32_t pitch;             /* bytes per line */
    uint32_t width;             /* pixels, or columns in text mode */
    uint32_t height;            /* pixels, or rows in text mode */
    uint8_t bpp;
    uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
};

struct boot_info {
    int multiboot_version;      /* 1 or 2 */
    char cmdline[BOOT_CMDLINE_MAX];
    char loader_name[BOOT_NAME_MAX];

    bool have_basic_mem;
    uint32_t mem_lower_kb;      /* multiboot mem_lower/mem_upper, in KiB */
    uint32_t mem_upper_kb;

    size_t mmap_count;
    struct boot_mmap_entry mmap[BOOT_MAX_MMAP];

    size_t module_count;
    struct boot_module modules[BOOT_MAX_MODULES];

    size_t reserved_count;
    struct boot_range reserved[BOOT_MAX_RESERVED];

    struct boot_framebuffer fb;

    /* ACPI RSDP copied from a multiboot2 tag, if the loader gave one. */
    bool have_rsdp;
    uint8_t rsdp[36];
    bool efi_booted;            /* multiboot2 EFI system table tag seen */

    /* Things the parser had to drop (too many entries, truncated strings),
     * so the caller can report them once the console is up. */
    unsigned truncated_mmap, truncated_modules, truncated_strings;
};

/*
 * Translates a physical address range of the loader's data into a pointer
 * keel can read, or NULL if the range is not readable.  In keel this is the
 * direct map; in host tests a window into a test buffer.
 */
typedef const void *(*boot_phys_reader)(uint64_t phys, size_t len, void *ctx);

/*
 * Fills *info from the multiboot information at physical address mbi_phys.
 * magic is the value the loader left in EAX.  Returns 0 on success or a
 * negative number with a message in err (a wrong magic, a malformed tag list).
 */
int boot_info_parse(struct boot_info *info, uint32_t magic, uint64_t mbi_phys,
                    boot_phys_reader read, void *ctx, char *err, size_t errlen);

#endif
