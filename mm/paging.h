/*
 * keel's own address space (mm/paging.c).
 *
 * Layout (4-level paging):
 *   0xffff800000000000 + p   direct map of physical memory: all RAM the
 *                            memory map lists, and the first 4 GiB (MMIO)
 *   0xffffffff80000000 + p   keel's image, linked there (-mcmodel=kernel)
 * Nothing is mapped at low addresses once paging_init() ran, so a NULL
 * dereference faults.
 */
#ifndef KEEL_MM_PAGING_H
#define KEEL_MM_PAGING_H

#include <stddef.h>
#include <stdint.h>

#define PAGE_SIZE        UINT64_C(4096)
#define PAGE_SHIFT       12
#define LARGE_PAGE_SIZE  (UINT64_C(2) << 20)
#define KERNEL_VMA       UINT64_C(0xffffffff80000000)
#define DIRECT_MAP_BASE  UINT64_C(0xffff800000000000)

#define PAGE_ALIGN_DOWN(x) ((x) & ~(PAGE_SIZE - 1))
#define PAGE_ALIGN_UP(x)   (((x) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1))

static inline void *phys_to_virt(uint64_t phys)
{
    return (void *)(uintptr_t)(phys + DIRECT_MAP_BASE);
}

/* Works for direct-map addresses and for addresses inside keel's image. */
static inline uint64_t virt_to_phys(const void *virt)
{
    uint64_t v = (uint64_t)(uintptr_t)virt;
    return v >= KERNEL_VMA ? v - KERNEL_VMA : v - DIRECT_MAP_BASE;
}

/* Page-table entry flags (SDM vol. 3A 4.5, table 4-19 and following). */
#define PTE_PRESENT   (UINT64_C(1) << 0)
#define PTE_WRITABLE  (UINT64_C(1) << 1)
#define PTE_USER      (UINT64_C(1) << 2)
#define PTE_PWT       (UINT64_C(1) << 3)
#define PTE_PCD       (UINT64_C(1) << 4)
#define PTE_ACCESSED  (UINT64_C(1) << 5)
#define PTE_DIRTY     (UINT64_C(1) << 6)
#define PTE_LARGE     (UINT64_C(1) << 7)   /* PS in a PDE/PDPTE */
#define PTE_GLOBAL    (UINT64_C(1) << 8)
#define PTE_NX        (UINT64_C(1) << 63)
#define PTE_ADDR_MASK UINT64_C(0x000ffffffffff000)

struct boot_info;

/* Builds keel's final page tables from the memory map and switches to them. */
void paging_init(const struct boot_info *bi);

/* Maps one 4 KiB page of keel's address space; panics if virt is already mapped
 * to something else.  flags are PTE_* bits (PTE_PRESENT is implied). */
void paging_map(uint64_t virt, uint64_t phys, uint64_t flags);
void paging_unmap(uint64_t virt);
/* The physical address virt maps to, or ~0 if unmapped. */
uint64_t paging_translate(uint64_t virt);

/* Makes sure [phys, phys+size) is in the direct map (e.g. a framebuffer above
 * 4 GiB) with the given cache flags (0 or PTE_PCD|PTE_PWT), and returns its
 * direct-map address.  Before paging_init() only the first 4 GiB can be
 * given; anything else returns NULL. */
void *paging_map_direct(uint64_t phys, uint64_t size, uint64_t cache_flags);

#endif
