/*
 * hello: prints what the loader handed the guest (command line, memory
 * sizes, memory map, modules) and checks it against what its own command
 * line says it should be given:
 *   mem=SIZE     (suffix K, M or G) RAM from 1 MiB up to the first hole
 *                (1 MiB + mem_upper KiB) must end in the last MiB below
 *                SIZE: a VM whose RAM runs unbroken from 1 MiB to SIZE,
 *                less what the firmware or hypervisor keeps at the top
 *                (QEMU's BIOS keeps 128 KiB), gets exactly that
 *   modules=N    exactly N multiboot modules
 * Checks that have no argument to compare with report SKIP.
 *
 * Expected under keel: pass (exit status 1).
 * Bare: qemu-system-x86_64 -kernel build/guests/hello.elf -append "mem=64M"
 *       -m 64 [-initrd "FILE ARGS,..."] ...
 */
#include <stdbool.h>
#include <stdint.h>

#include "lib/cmdline.h"
#include "lib/guest.h"
#include "lib/multiboot.h"
#include "lib/report.h"

#define KIB 1024u
#define MODULE_BYTES_SHOWN 16u
#define LOW_MEMORY_END 0x100000u    /* mem_upper counts from 1 MiB */
#define MEM_TOP_SLACK  0x100000u    /* RAM may end this much below mem= */

/* Where this image starts and ends (guest.ld). */
extern char __bss_end[];
#define IMAGE_START 0x100000u

/* Parses "16M"-style sizes: decimal digits and an optional K, M or G. */
static bool parse_size(const char *s, size_t len, uint64_t *bytes)
{
    uint64_t v = 0;
    size_t i = 0;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
        v = v * 10 + (uint64_t)(s[i] - '0');
    if (i == 0)
        return false;
    if (i + 1 == len) {
        switch (s[i]) {
        case 'K': case 'k': v <<= 10; break;
        case 'M': case 'm': v <<= 20; break;
        case 'G': case 'g': v <<= 30; break;
        default: return false;
        }
    } else if (i != len) {
        return false;
    }
    *bytes = v;
    return true;
}

static bool parse_decimal(const char *s, size_t len, uint32_t *out)
{
    uint32_t v = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint32_t)(s[i] - '0');
    }
    *out = v;
    return len > 0;
}

static void check_memory_size(const struct mb_info *mbi)
{
    size_t len;
    const char *mem = cmdline_value(guest_cmdline(), "mem", &len);
    if (!mem) {
        report_skip("hello: mem_upper matches mem= (no mem= argument)");
        return;
    }
    uint64_t bytes = 0;
    if (!report(parse_size(mem, len, &bytes), "hello: mem=%.*s parses", (int)len, mem))
        return;
    if (!(mbi->flags & MB1_INFO_MEMORY)) {
        report(false, "hello: mem_upper matches mem=%.*s (no memory info)", (int)len, mem);
        return;
    }
    uint64_t ram_top = LOW_MEMORY_END + (uint64_t)mbi->mem_upper * KIB;
    printf("hello: RAM from 1 MiB ends at 0x%llx, mem= says 0x%llx\n", ram_top, bytes);
    report(ram_top <= bytes && ram_top + MEM_TOP_SLACK > bytes,
           "hello: mem_upper matches mem=%.*s", (int)len, mem);
}

/* Prints the memory map and checks that one available range holds all of
 * 1 MiB .. 1 MiB + mem_upper. */
static void check_memory_map(const struct mb_info *mbi)
{
    if (!(mbi->flags & MB1_INFO_MMAP) || !(mbi->flags & MB1_INFO_MEMORY)) {
        report_skip("hello: memory map covers mem_upper (no memory map)");
        return;
    }
    uint64_t upper_end = LOW_MEMORY_END + (uint64_t)mbi->mem_upper * KIB;
    bool covered = false;
    uint32_t p = mbi->mmap_addr;
    while (p < mbi->mmap_addr + mbi->mmap_length) {
        const struct mb_mmap_entry *e = (const struct mb_mmap_entry *)(uintptr_t)p;
        uint64_t end = e->base_addr + e->length;
        printf("hello: memory 0x%016llx-0x%016llx type %u\n",
               e->base_addr, end - 1, e->type);
        if (e->type == MB1_MMAP_AVAILABLE && e->base_addr <= LOW_MEMORY_END &&
            end >= upper_end)
            covered = true;
        p += e->size + sizeof(e->size);
    }
    report(covered, "hello: memory map covers mem_upper");
}

static void print_module(uint32_t i, const struct mb_module *m)
{
    const char *name = m->string ? (const char *)(uintptr_t)m->string : "";
    uint32_t size = m->mod_end - m->mod_start;
    printf("hello: module %u \"%s\" 0x%08x-0x%08x (%u bytes):", i, name,
           m->mod_start, m->mod_end, size);
    const uint8_t *bytes = (const uint8_t *)(uintptr_t)m->mod_start;
    for (uint32_t b = 0; b < size && b < MODULE_BYTES_SHOWN; b++)
        printf(" %02x", bytes[b]);
    printf("\n");
}

static void check_modules(const struct mb_info *mbi)
{
    uint32_t count = (mbi->flags & MB1_INFO_MODULES) ? mbi->mods_count : 0;
    const struct mb_module *mods = (const struct mb_module *)(uintptr_t)mbi->mods_addr;
    printf("hello: %u module(s)\n", count);

    bool apart = true;
    uint32_t image_end = (uint32_t)(uintptr_t)__bss_end;
    for (uint32_t i = 0; i < count; i++) {
        print_module(i, &mods[i]);
        if (mods[i].mod_end < mods[i].mod_start ||
            (mods[i].mod_start < image_end && mods[i].mod_end > IMAGE_START))
            apart = false;
    }
    if (count)
        report(apart, "hello: modules lie outside the guest image");

    size_t len;
    const char *want = cmdline_value(guest_cmdline(), "modules", &len);
    uint32_t expected = 0;
    if (!want)
        report_skip("hello: module count matches modules= (no modules= argument)");
    else if (report(parse_decimal(want, len, &expected), "hello: modules=%.*s parses",
                    (int)len, want))
        report(count == expected, "hello: module count %u matches modules=%u",
               count, expected);
}

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    printf("hello: multiboot magic 0x%08x\n", magic);
    if (!report(magic == MB1_BOOTLOADER_MAGIC, "hello: multiboot magic"))
        return;
    printf("hello: command line \"%s\"\n", guest_cmdline());
    if (mbi->flags & MB1_INFO_MEMORY)
        printf("hello: mem_lower %u KiB, mem_upper %u KiB\n", mbi->mem_lower, mbi->mem_upper);
    check_memory_size(mbi);
    check_memory_map(mbi);
    check_modules(mbi);
}
