/*
 * 32-bit paging for test guests (SDM vol. 3A 4.3 "32-bit paging"): an
 * identity map of the address space, into which a test maps single 4 KiB
 * pages elsewhere (two pages that are virtually adjacent but physically
 * apart, a device page at another linear address, ...).
 *
 * With CPUID.1:EDX.PSE the identity map covers all 4 GiB with 4 MiB pages;
 * without it, the first 16 MiB with 4 KiB pages.  The page tables live in
 * the guest's .bss, which stays identity-mapped.  Mapping a page inside a
 * 4 MiB page first splits that page into a page table that maps the same
 * (identity) frames, so the rest of it keeps working.
 */
#ifndef GUEST_LIB_PAGING_H
#define GUEST_LIB_PAGING_H

#include <stdbool.h>
#include <stdint.h>

#define PAGE_SIZE 4096u

/* Builds the identity map (once), loads CR3, sets CR4.PSE when available
 * and turns CR0.PG on. */
void paging_enable_identity(void);

/* Clears CR0.PG: linear addresses are physical again. */
void paging_disable(void);

/* Maps the 4 KiB page at 'linear' (page-aligned) to the frame at 'phys',
 * present and writable, and flushes the TLB.  Works with paging on or off
 * (the mapping takes effect once it is on).  Never map a page that holds the
 * page tables, the code or the stack elsewhere. */
void paging_map_page(uint32_t linear, uint32_t phys);

/* True when the identity map uses 4 MiB pages (CR4.PSE). */
bool paging_uses_large_pages(void);

#endif
