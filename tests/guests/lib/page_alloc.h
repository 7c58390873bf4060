/*
 * Physical memory for page tables and test frames: the RAM above the guest
 * image and above everything the loader placed after it (the multiboot
 * information, command line, modules and memory map), up to the end of the
 * RAM that starts at 1 MiB, at most 1 GiB.  Nothing is ever freed.
 *
 * Small pages come from the bottom of that range, large aligned blocks from
 * its top, so a 4 MiB-aligned block does not waste the memory below it.
 * Addresses are physical; the paging tests keep this RAM identity-mapped,
 * so they are also the linear addresses the guest writes through.  Running
 * out ends the guest with an ABORT line naming what was asked for.
 */
#ifndef GUEST_LIB_PAGE_ALLOC_H
#define GUEST_LIB_PAGE_ALLOC_H

#include <stdint.h>

/* One 4 KiB page, zeroed. */
uint32_t page_alloc(void);

/* 'size' bytes aligned to 'align' (a power of two, at least 4 KiB), not
 * zeroed: for large-page frames. */
uint32_t phys_alloc_aligned(uint32_t size, uint32_t align);

/* One past the last byte of the RAM the allocator draws from (the top of
 * the region that holds 1 MiB, capped at 1 GiB; 16 MiB when the loader gave
 * no memory information). */
uint32_t ram_end(void);

#endif
