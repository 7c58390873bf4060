#include <stdbool.h>
#include <stddef.h>

#include "lib/guest.h"
#include "lib/page_alloc.h"
#include "lib/paging.h"
#include "lib/report.h"
#include "lib/string.h"

/* guest.ld: the end of the image (its .bss). */
extern char __bss_end[];

#define ONE_MIB            0x00100000u
#define RAM_CAP            0x40000000u  /* 1 GiB: what the paging tests identity-map */
#define DEFAULT_RAM_END    (16u * ONE_MIB)

static bool initialized;
static uint32_t low_cursor;     /* next small page */
static uint32_t high_cursor;    /* large blocks end here */
static uint32_t ram_top;

static uint32_t align_up(uint32_t v, uint32_t align)
{
    return (v + align - 1) & ~(align - 1);
}

static uint32_t max_u32(uint32_t a, uint32_t b)
{
    return a > b ? a : b;
}

/* 'base + length', capped so that it fits the 32-bit result. */
static uint32_t region_end(uint64_t base, uint64_t length)
{
    uint64_t end = base + length;
    return end > RAM_CAP ? RAM_CAP : (uint32_t)end;
}

/* The end of the available memory-map region that holds 1 MiB, or 0. */
static uint32_t end_from_memory_map(const struct mb_info *mbi)
{
    uint32_t offset = 0;
    while (offset + sizeof(struct mb_mmap_entry) <= mbi->mmap_length) {
        const struct mb_mmap_entry *e =
            (const struct mb_mmap_entry *)(uintptr_t)(mbi->mmap_addr + offset);
        if (e->type == MB1_MMAP_AVAILABLE && e->base_addr <= ONE_MIB &&
            e->base_addr + e->length > ONE_MIB)
            return region_end(e->base_addr, e->length);
        offset += e->size + sizeof(e->size);
    }
    return 0;
}

static uint32_t find_ram_end(void)
{
    const struct mb_info *mbi = boot_info();
    if (mbi && (mbi->flags & MB1_INFO_MMAP)) {
        uint32_t end = end_from_memory_map(mbi);
        if (end)
            return end;
    }
    if (mbi && (mbi->flags & MB1_INFO_MEMORY))
        return region_end(ONE_MIB, (uint64_t)mbi->mem_upper * 1024);
    return DEFAULT_RAM_END;
}

static uint32_t string_end(uint32_t address)
{
    return address + (uint32_t)strlen((const char *)(uintptr_t)address) + 1;
}

/* The highest byte (plus one) of anything the loader handed over. */
static uint32_t loader_data_end(void)
{
    const struct mb_info *mbi = boot_info();
    if (!mbi)
        return 0;
    uint32_t end = (uint32_t)(uintptr_t)mbi + sizeof(*mbi);
    if ((mbi->flags & MB1_INFO_CMDLINE) && mbi->cmdline)
        end = max_u32(end, string_end(mbi->cmdline));
    if (mbi->flags & MB1_INFO_MMAP)
        end = max_u32(end, mbi->mmap_addr + mbi->mmap_length);
    if (mbi->flags & MB1_INFO_MODULES) {
        const struct mb_module *mods = (const struct mb_module *)(uintptr_t)mbi->mods_addr;
        end = max_u32(end, mbi->mods_addr + mbi->mods_count * sizeof(*mods));
        for (uint32_t i = 0; i < mbi->mods_count; i++) {
            end = max_u32(end, mods[i].mod_end);
            if (mods[i].string)
                end = max_u32(end, string_end(mods[i].string));
        }
    }
    return end;
}

static void initialize(void)
{
    if (initialized)
        return;
    ram_top = find_ram_end() & ~(PAGE_SIZE - 1);
    low_cursor = align_up(max_u32((uint32_t)(uintptr_t)__bss_end, loader_data_end()), PAGE_SIZE);
    high_cursor = ram_top;
    initialized = true;
}

uint32_t ram_end(void)
{
    initialize();
    return ram_top;
}

uint32_t page_alloc(void)
{
    initialize();
    if (low_cursor >= high_cursor || high_cursor - low_cursor < PAGE_SIZE)
        report_abort("page_alloc: out of memory (0x%08x..0x%08x left)", low_cursor, high_cursor);
    uint32_t page = low_cursor;
    low_cursor += PAGE_SIZE;
    memset((void *)(uintptr_t)page, 0, PAGE_SIZE);
    return page;
}

uint32_t phys_alloc_aligned(uint32_t size, uint32_t align)
{
    initialize();
    if (align < PAGE_SIZE || (align & (align - 1)))
        report_abort("phys_alloc_aligned: bad alignment 0x%x", align);
    uint32_t block = high_cursor >= size ? (high_cursor - size) & ~(align - 1) : 0;
    if (high_cursor < size || block < low_cursor)
        report_abort("phys_alloc_aligned: no 0x%x bytes aligned to 0x%x below 0x%08x "
                     "(free from 0x%08x)", size, align, high_cursor, low_cursor);
    high_cursor = block;
    return block;
}
