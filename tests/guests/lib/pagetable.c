#include <stdbool.h>
#include <stddef.h>

#include "lib/longmode.h"
#include "lib/page_alloc.h"
#include "lib/pagetable.h"
#include "lib/paging.h"
#include "lib/paging_cpu.h"
#include "lib/report.h"
#include "lib/x86.h"

/* Index bits per level: 10 in 32-bit paging (1024 4-byte entries), 9 in PAE
 * and 4-level paging (512 8-byte entries; a PAE PDPT uses 2 of them). */
#define INDEX_BITS_32BIT 10u
#define INDEX_BITS_64BIT 9u
#define PAGE_SHIFT       12u

static void compiler_barrier(void)
{
    __asm__ __volatile__("" : : : "memory");
}

static bool wide_entries(enum pt_mode mode)
{
    return mode != PT_MODE_32BIT;
}

static unsigned index_bits(enum pt_mode mode)
{
    return wide_entries(mode) ? INDEX_BITS_64BIT : INDEX_BITS_32BIT;
}

static uint64_t address_mask(enum pt_mode mode)
{
    return wide_entries(mode) ? PTE_ADDR_MASK_64BIT : PTE_ADDR_MASK_32BIT;
}

const char *pt_mode_name(enum pt_mode mode)
{
    switch (mode) {
    case PT_MODE_32BIT: return "32-bit";
    case PT_MODE_PAE: return "PAE";
    case PT_MODE_4LEVEL: return "4-level";
    }
    return "?";
}

const char *pt_level_name(enum pt_level level)
{
    static const char *const names[] = { "?", "PTE", "PDE", "PDPTE", "PML4E" };
    return level >= PT_PTE && level <= PT_PML4E ? names[level] : names[0];
}

enum pt_level pt_top_level(enum pt_mode mode)
{
    switch (mode) {
    case PT_MODE_32BIT: return PT_PDE;
    case PT_MODE_PAE: return PT_PDPTE;
    case PT_MODE_4LEVEL: return PT_PML4E;
    }
    return PT_PDE;
}

static unsigned level_shift(enum pt_mode mode, enum pt_level level)
{
    return PAGE_SHIFT + index_bits(mode) * ((unsigned)level - 1);
}

uint64_t pt_level_span(enum pt_mode mode, enum pt_level level)
{
    return 1ull << level_shift(mode, level);
}

static unsigned entry_index(enum pt_mode mode, uint64_t linear, enum pt_level level)
{
    return (unsigned)(linear >> level_shift(mode, level)) & ((1u << index_bits(mode)) - 1);
}

/* Flags of an entry that points to a table.  PAE PDPTEs have no R/W or U/S
 * (those bit positions are reserved; SDM vol. 3A table 4-8). */
static uint64_t table_entry_flags(enum pt_mode mode, enum pt_level level)
{
    if (mode == PT_MODE_PAE && level == PT_PDPTE)
        return PTE_P;
    return PTE_P | PTE_RW | PTE_US;
}

/* One entry's location: a table and an index in it. */
struct slot {
    uint32_t table;
    unsigned index;
    bool wide;
};

static uint64_t slot_read(struct slot s)
{
    if (!s.wide)
        return ((volatile uint32_t *)(uintptr_t)s.table)[s.index];
    volatile uint32_t *half = (volatile uint32_t *)(uintptr_t)(s.table + s.index * 8);
    uint32_t low = half[0];
    uint32_t high = half[1];
    return ((uint64_t)high << 32) | low;
}

static void slot_write(struct slot s, uint64_t entry)
{
    if (!s.wide) {
        if (entry >> 32)
            report_abort("pagetable: 32-bit entry 0x%llx has bits above 31",
                         (unsigned long long)entry);
        ((volatile uint32_t *)(uintptr_t)s.table)[s.index] = (uint32_t)entry;
        compiler_barrier();
        return;
    }
    volatile uint32_t *half = (volatile uint32_t *)(uintptr_t)(s.table + s.index * 8);
    if (entry & PTE_P) {
        half[1] = (uint32_t)(entry >> 32);
        half[0] = (uint32_t)entry;
    } else {
        half[0] = (uint32_t)entry;
        half[1] = (uint32_t)(entry >> 32);
    }
    compiler_barrier();
}

/* Walks from the root down to the table that holds 'level''s entry for
 * 'linear'.  A missing table is created when 'create' is set; otherwise the
 * walk fails (returns false).  An entry above 'level' that maps a page ends
 * the guest: the caller asked for an entry that does not exist. */
static bool find_slot(const struct pt_space *space, uint64_t linear, enum pt_level level,
                      bool create, struct slot *out)
{
    enum pt_mode mode = space->mode;
    if (level < PT_PTE || level > pt_top_level(mode))
        report_abort("pagetable: %s paging has no level %d", pt_mode_name(mode), (int)level);
    struct slot s = { .table = space->root, .wide = wide_entries(mode) };
    for (enum pt_level at = pt_top_level(mode); ; at--) {
        s.index = entry_index(mode, linear, at);
        if (at == level) {
            *out = s;
            return true;
        }
        uint64_t entry = slot_read(s);
        if (!(entry & PTE_P)) {
            if (!create)
                return false;
            entry = page_alloc() | table_entry_flags(mode, at);
            slot_write(s, entry);
        } else if (at != PT_PML4E && (entry & PTE_PS) && !(mode == PT_MODE_PAE && at == PT_PDPTE)) {
            report_abort("pagetable: %s for 0x%llx maps a page, no %s below it",
                         pt_level_name(at), (unsigned long long)linear, pt_level_name(level));
        }
        uint64_t next = entry & address_mask(mode);
        if (next >> 32)
            report_abort("pagetable: table at 0x%llx is above 4 GiB", (unsigned long long)next);
        s.table = (uint32_t)next;
    }
}

void pt_init(struct pt_space *space, enum pt_mode mode)
{
    space->mode = mode;
    space->root = page_alloc();
}

uint64_t pt_get(const struct pt_space *space, uint64_t linear, enum pt_level level)
{
    struct slot s;
    return find_slot(space, linear, level, false, &s) ? slot_read(s) : 0;
}

void pt_set(const struct pt_space *space, uint64_t linear, enum pt_level level, uint64_t entry)
{
    struct slot s;
    find_slot(space, linear, level, true, &s);
    slot_write(s, entry);
}

void pt_update(const struct pt_space *space, uint64_t linear, enum pt_level level,
               uint64_t clear, uint64_t set)
{
    struct slot s;
    find_slot(space, linear, level, true, &s);
    slot_write(s, (slot_read(s) & ~clear) | set);
}

void pt_map(const struct pt_space *space, uint64_t linear, uint64_t phys, enum pt_level level,
            uint64_t flags)
{
    uint64_t page_size = level == PT_PTE ? 0 : PTE_PS;
    pt_set(space, linear, level, (phys & address_mask(space->mode)) | flags | page_size);
}

void pt_map_range(const struct pt_space *space, uint64_t linear, uint64_t phys, uint64_t bytes,
                  enum pt_level level, uint64_t flags)
{
    uint64_t span = pt_level_span(space->mode, level);
    for (uint64_t off = 0; off < bytes; off += span)
        pt_map(space, linear + off, phys + off, level, flags);
}

void pt_share(const struct pt_space *dst, const struct pt_space *src, uint64_t linear,
              enum pt_level level)
{
    pt_set(dst, linear, level, pt_get(src, linear, level));
}

void pt_activate(const struct pt_space *space)
{
    write_cr3(space->root);
}

void pt_enable(const struct pt_space *space)
{
    switch (space->mode) {
    case PT_MODE_32BIT: {
        uint32_t cr4 = read_cr4() & ~CR4_PAE;
        write_cr4(cpu_has_pse() ? cr4 | CR4_PSE : cr4);
        break;
    }
    case PT_MODE_PAE:
        write_cr4(read_cr4() | CR4_PAE);
        break;
    case PT_MODE_4LEVEL:
        longmode_enter(space->root);
        return;
    }
    write_cr3(space->root);
    write_cr0(read_cr0() | CR0_PG);
}
