/*
 * The multiboot v1 information structure a guest receives in EBX, as far as
 * keel's test guests read it (Multiboot Specification 0.6.96, section 3.3
 * "Boot information format").  Every address in it is physical; the guests
 * run identity-mapped, so they use them as pointers directly.
 */
#ifndef GUEST_LIB_MULTIBOOT_H
#define GUEST_LIB_MULTIBOOT_H

#include <stdint.h>

/* EAX at entry from a multiboot v1 loader (spec 3.2 "Machine state"). */
#define MB1_BOOTLOADER_MAGIC 0x2BADB002u

/* mb_info.flags: which fields are valid (spec 3.3). */
#define MB1_INFO_MEMORY   (1u << 0)   /* mem_lower, mem_upper */
#define MB1_INFO_CMDLINE  (1u << 2)
#define MB1_INFO_MODULES  (1u << 3)   /* mods_count, mods_addr */
#define MB1_INFO_MMAP     (1u << 6)   /* mmap_length, mmap_addr */

struct mb_info {
    uint32_t flags;
    uint32_t mem_lower;         /* KiB of memory from 0 */
    uint32_t mem_upper;         /* KiB of memory from 1 MiB up to the first hole */
    uint32_t boot_device;
    uint32_t cmdline;           /* physical address of a NUL-terminated string */
    uint32_t mods_count;
    uint32_t mods_addr;         /* physical address of mods_count struct mb_module */
    uint32_t syms[4];
    uint32_t mmap_length;       /* bytes of memory map */
    uint32_t mmap_addr;         /* physical address of the first struct mb_mmap_entry */
} __attribute__((packed));

struct mb_module {
    uint32_t mod_start;         /* first byte */
    uint32_t mod_end;           /* one past the last byte */
    uint32_t string;            /* physical address of the module's string, or 0 */
    uint32_t reserved;
} __attribute__((packed));

/* A memory map entry; 'size' counts the bytes after itself, so the next entry
 * starts at (char *)entry + size + 4. */
struct mb_mmap_entry {
    uint32_t size;
    uint64_t base_addr;
    uint64_t length;
    uint32_t type;              /* 1 = available RAM */
} __attribute__((packed));

#define MB1_MMAP_AVAILABLE 1u

_Static_assert(sizeof(struct mb_info) == 52, "multiboot info layout (spec 3.3)");
_Static_assert(sizeof(struct mb_module) == 16, "multiboot module layout (spec 3.3)");
_Static_assert(sizeof(struct mb_mmap_entry) == 24, "multiboot mmap entry layout (spec 3.3)");

#endif
