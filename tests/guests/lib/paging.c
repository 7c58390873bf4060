#include <stddef.h>

#include "lib/paging.h"
#include "lib/report.h"
#include "lib/string.h"
#include "lib/x86.h"

/* Entry bits (SDM vol. 3A 4.3, tables 4-4 to 4-6). */
#define PTE_PRESENT   (1u << 0)
#define PTE_WRITABLE  (1u << 1)
#define PDE_PAGE_SIZE (1u << 7)          /* PDE maps a 4 MiB page (CR4.PSE) */
#define PTE_FRAME     0xFFFFF000u        /* 4 KiB frame / page-table address */
#define PDE_LARGE_FRAME 0xFFC00000u      /* 4 MiB frame, bits 31:22 */

#define ENTRIES_PER_TABLE 1024u
#define LARGE_PAGE_SIZE   (ENTRIES_PER_TABLE * PAGE_SIZE)
#define DIRECTORY_INDEX(linear) ((linear) >> 22)
#define TABLE_INDEX(linear)     (((linear) >> 12) & (ENTRIES_PER_TABLE - 1))

/* Without PSE the identity map covers this much, one page table per 4 MiB. */
#define SMALL_PAGE_IDENTITY_BYTES (16u << 20)
#define PAGE_TABLE_POOL_SIZE      12u

static uint32_t page_directory[ENTRIES_PER_TABLE] __attribute__((aligned(PAGE_SIZE)));
static uint32_t page_tables[PAGE_TABLE_POOL_SIZE][ENTRIES_PER_TABLE]
    __attribute__((aligned(PAGE_SIZE)));
static unsigned page_tables_used;
static bool identity_built;
static bool large_pages;

bool paging_uses_large_pages(void)
{
    return large_pages;
}

static bool paging_on(void)
{
    return read_cr0() & CR0_PG;
}

static void flush_tlb(void)
{
    if (paging_on())
        write_cr3(read_cr3());
}

/* A page table from the pool, its entries mapping 'base' onward (or
 * not-present when fill is false). */
static uint32_t *new_page_table(uint32_t base, bool fill)
{
    if (page_tables_used == PAGE_TABLE_POOL_SIZE)
        report_abort("paging: out of page tables (%u)", PAGE_TABLE_POOL_SIZE);
    uint32_t *table = page_tables[page_tables_used++];
    for (uint32_t i = 0; i < ENTRIES_PER_TABLE; i++)
        table[i] = fill ? (base + i * PAGE_SIZE) | PTE_PRESENT | PTE_WRITABLE : 0;
    return table;
}

static uint32_t table_entry(const uint32_t *table)
{
    return (uint32_t)(uintptr_t)table | PTE_PRESENT | PTE_WRITABLE;
}

static void build_identity_map(void)
{
    if (identity_built)
        return;
    large_pages = cpuid(CPUID_LEAF_FEATURES).edx & CPUID_1_EDX_PSE;
    memset(page_directory, 0, sizeof(page_directory));
    for (uint32_t i = 0; i < ENTRIES_PER_TABLE; i++) {
        uint32_t base = i * LARGE_PAGE_SIZE;
        if (large_pages)
            page_directory[i] = base | PTE_PRESENT | PTE_WRITABLE | PDE_PAGE_SIZE;
        else if (base < SMALL_PAGE_IDENTITY_BYTES)
            page_directory[i] = table_entry(new_page_table(base, true));
    }
    identity_built = true;
}

/* The page table behind linear's directory entry, creating or splitting one
 * as needed. */
static uint32_t *page_table_for(uint32_t linear)
{
    uint32_t *pde = &page_directory[DIRECTORY_INDEX(linear)];
    if (!(*pde & PTE_PRESENT))
        *pde = table_entry(new_page_table(0, false));
    else if (*pde & PDE_PAGE_SIZE)
        *pde = table_entry(new_page_table(*pde & PDE_LARGE_FRAME, true));
    return (uint32_t *)(uintptr_t)(*pde & PTE_FRAME);
}

void paging_map_page(uint32_t linear, uint32_t phys)
{
    build_identity_map();
    uint32_t *table = page_table_for(linear);
    table[TABLE_INDEX(linear)] = (phys & PTE_FRAME) | PTE_PRESENT | PTE_WRITABLE;
    flush_tlb();
}

void paging_enable_identity(void)
{
    build_identity_map();
    write_cr3((uint32_t)(uintptr_t)page_directory);
    if (large_pages)
        write_cr4(read_cr4() | CR4_PSE);
    write_cr0(read_cr0() | CR0_PG);
}

void paging_disable(void)
{
    write_cr0(read_cr0() & ~CR0_PG);
}
