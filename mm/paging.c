/*
 * keel's own page tables.  paging_init() replaces the early tables built by
 * boot/entry.asm: keel's image mapped section by section with the right
 * permissions, a direct map of the first 4 GiB and of all RAM, and nothing at
 * low addresses.
 */
#include "mm/paging.h"

#include <stdbool.h>

#include "arch/x86/cpu.h"
#include "boot/boot_info.h"
#include "kernel/log.h"
#include "mm/frame.h"

#define PT_ENTRIES      512
#define FOUR_GIB        (UINT64_C(4) << 30)
#define CPUID_EXT_NX    (1u << 20)      /* CPUID 0x80000001 EDX */

/* Linker-script symbols (linker.ld): section boundaries of keel's image. */
extern char _text_start[], _text_end[], _rodata_start[], _rodata_end[];
extern char _data_start[], _kernel_end[];

static uint64_t pml4_phys;
/* PTE_NX where the CPU has NX (boot/entry.asm then set EFER.NXE); otherwise
 * bit 63 is reserved and must stay clear (SDM vol. 3A 5.5.1). */
static uint64_t usable_flags = ~UINT64_C(0);

static unsigned table_index(uint64_t virt, int level)
{
    /* level 4 = PML4 ... level 1 = page table: 9 bits each above the offset. */
    return (unsigned)(virt >> (PAGE_SHIFT + 9 * (level - 1))) & (PT_ENTRIES - 1);
}

static uint64_t *table_at(uint64_t entry)
{
    return phys_to_virt(entry & PTE_ADDR_MASK);
}

/* The next-level table under table[idx], created when absent and create is set. */
static uint64_t *next_level(uint64_t *table, unsigned idx, uint64_t virt, bool create)
{
    uint64_t e = table[idx];
    if (!(e & PTE_PRESENT)) {
        if (!create)
            return NULL;
        e = frame_alloc() | PTE_PRESENT | PTE_WRITABLE;
        table[idx] = e;
    } else if (e & PTE_LARGE) {
        if (!create)
            return NULL;
        panic("paging: %016lx lies inside a large page; cannot map 4 KiB there", virt);
    }
    return table_at(e);
}

/* The entry at `level` (1 = 4 KiB PTE, 2 = 2 MiB PDE) for virt. */
static uint64_t *entry_for(uint64_t virt, int level, bool create)
{
    uint64_t *table = table_at(pml4_phys);
    for (int l = 4; l > level; l--) {
        table = next_level(table, table_index(virt, l), virt, create);
        if (!table)
            return NULL;
    }
    return &table[table_index(virt, level)];
}

static void set_entry(uint64_t *entry, uint64_t virt, uint64_t value)
{
    if ((*entry & PTE_PRESENT) && (*entry & PTE_ADDR_MASK) != (value & PTE_ADDR_MASK))
        panic("paging: %016lx already maps %016lx; asked to map %016lx", virt,
              *entry & PTE_ADDR_MASK, value & PTE_ADDR_MASK);
    *entry = value;
    invlpg((const void *)(uintptr_t)virt);
}

void paging_map(uint64_t virt, uint64_t phys, uint64_t flags)
{
    uint64_t *pte = entry_for(virt, 1, true);
    set_entry(pte, virt, (phys & PTE_ADDR_MASK) | ((flags | PTE_PRESENT) & usable_flags));
}

static void map_large(uint64_t virt, uint64_t phys, uint64_t flags)
{
    uint64_t *pde = entry_for(virt, 2, true);
    if ((*pde & PTE_PRESENT) && !(*pde & PTE_LARGE))
        return;     /* already mapped with 4 KiB pages, e.g. by paging_map_direct */
    set_entry(pde, virt, (phys & PTE_ADDR_MASK) | ((flags | PTE_PRESENT | PTE_LARGE) & usable_flags));
}

void paging_unmap(uint64_t virt)
{
    uint64_t *pte = entry_for(virt, 1, false);
    if (!pte || !(*pte & PTE_PRESENT))
        panic("paging: unmapping %016lx, which is not mapped", virt);
    *pte = 0;
    invlpg((const void *)(uintptr_t)virt);
}

uint64_t paging_translate(uint64_t virt)
{
    uint64_t *table = table_at(pml4_phys);
    for (int level = 4; level >= 1; level--) {
        uint64_t e = table[table_index(virt, level)];
        if (!(e & PTE_PRESENT))
            return ~UINT64_C(0);
        if (level == 1 || (level <= 3 && (e & PTE_LARGE))) {
            uint64_t page_size = UINT64_C(1) << (PAGE_SHIFT + 9 * (level - 1));
            return (e & PTE_ADDR_MASK & ~(page_size - 1)) | (virt & (page_size - 1));
        }
        table = table_at(e);
    }
    return ~UINT64_C(0);
}

/* Direct-maps [start, end) with 2 MiB pages, rounding outward. */
static void direct_map_range(uint64_t start, uint64_t end, uint64_t cache_flags)
{
    start &= ~(LARGE_PAGE_SIZE - 1);
    end = (end + LARGE_PAGE_SIZE - 1) & ~(LARGE_PAGE_SIZE - 1);
    for (uint64_t p = start; p < end; p += LARGE_PAGE_SIZE)
        map_large(DIRECT_MAP_BASE + p, p, PTE_WRITABLE | PTE_NX | PTE_GLOBAL | cache_flags);
}

void *paging_map_direct(uint64_t phys, uint64_t size, uint64_t cache_flags)
{
    if (!pml4_phys) {
        /* Still on boot/entry.asm's tables: they direct-map the first 4 GiB
         * and nothing else, and there is no allocator to extend them yet. */
        return phys + size <= FOUR_GIB && phys + size >= phys ? phys_to_virt(phys) : NULL;
    }
    direct_map_range(phys, phys + size, cache_flags);
    return phys_to_virt(phys);
}

static void map_image_section(const char *start, const char *end, uint64_t flags)
{
    for (uint64_t v = (uint64_t)(uintptr_t)start; v < (uint64_t)(uintptr_t)end; v += PAGE_SIZE)
        paging_map(v, v - KERNEL_VMA, flags | PTE_GLOBAL);
}

void paging_init(const struct boot_info *bi)
{
    if (!(cpuid(0x80000001, 0).edx & CPUID_EXT_NX))
        usable_flags = ~PTE_NX;
    pml4_phys = frame_alloc();

    map_image_section(_text_start, _text_end, 0);
    map_image_section(_rodata_start, _rodata_end, PTE_NX);
    map_image_section(_data_start, _kernel_end, PTE_WRITABLE | PTE_NX);

    /* The first 4 GiB hold the legacy regions and most MMIO (APIC, IOAPIC,
     * framebuffers); the memory map says where RAM lies beyond. */
    direct_map_range(0, FOUR_GIB, 0);
    for (size_t i = 0; i < bi->mmap_count; i++) {
        const struct boot_mmap_entry *m = &bi->mmap[i];
        if (m->base + m->length > FOUR_GIB && m->type != BOOT_MEM_RESERVED)
            direct_map_range(m->base, m->base + m->length, 0);
    }
    write_cr3(pml4_phys);
}
