/*
 * Page-table hierarchies in any of the three paging modes (SDM vol. 3A 4.3
 * 32-bit paging, 4.4 PAE paging, 4.5 4-level paging), for tests that build
 * many of them, share parts between them and edit single entries while the
 * hierarchy is live.
 *
 * A hierarchy is named by its root: what MOV CR3 loads.  Its tables come
 * from page_alloc() and must stay identity-mapped (the walk reads them at
 * their physical address).  Entries are uint64_t in this interface; in
 * 32-bit paging they are 32 bits wide and a value with bits above 31 is a
 * caller error.  Tables created on the way to an entry are present and as
 * permissive as the mode allows (P|RW|US; a PAE PDPTE has only P), with A and
 * D clear, so that a test restricts access at the level it chooses.
 *
 * Every store to an entry ends with a compiler barrier (a "memory" clobber):
 * the tests then touch the mapped memory with accesses the compiler must
 * not move above the edit (docs: platforms.md, "Toolchain facts").  A 64-bit
 * entry is written in two halves, the half holding P last when it becomes
 * present and first when it stops being present, as 32-bit PAE kernels do.
 * Nothing here invalidates the TLB: the tests decide (INVLPG, MOV CR3, or
 * deliberately nothing).
 */
#ifndef GUEST_LIB_PAGETABLE_H
#define GUEST_LIB_PAGETABLE_H

#include <stdint.h>

#include "lib/paging_arch.h"

enum pt_mode {
    PT_MODE_32BIT,      /* CR4.PAE = 0: 2 levels, 4 KiB and 4 MiB pages */
    PT_MODE_PAE,        /* CR4.PAE = 1 outside IA-32e mode: 3 levels, 4 KiB and 2 MiB */
    PT_MODE_4LEVEL,     /* IA-32e mode: 4 levels, 4 KiB, 2 MiB and 1 GiB */
};

/* A level, named by the entry at that level. */
enum pt_level {
    PT_PTE = 1,
    PT_PDE = 2,
    PT_PDPTE = 3,
    PT_PML4E = 4,
};

struct pt_space {
    enum pt_mode mode;
    uint32_t root;      /* physical address of the top table: the CR3 value */
};

/* "32-bit", "PAE", "4-level". */
const char *pt_mode_name(enum pt_mode mode);

/* PT_PDE, PT_PDPTE or PT_PML4E: the level of the entries in the root. */
enum pt_level pt_top_level(enum pt_mode mode);

/* "PTE", "PDE", "PDPTE", "PML4E". */
const char *pt_level_name(enum pt_level level);

/* Bytes one entry at 'level' maps: 4 KiB for a PTE; 4 MiB (32-bit) or
 * 2 MiB for a PDE; 1 GiB for a PDPTE; 512 GiB for a PML4E. */
uint64_t pt_level_span(enum pt_mode mode, enum pt_level level);

/* An empty hierarchy (a zeroed root table). */
void pt_init(struct pt_space *space, enum pt_mode mode);

/* The entry at 'level' on the walk for 'linear', as it is in memory now
 * (A and D as the CPU left them); 0 when a table above it is missing. */
uint64_t pt_get(const struct pt_space *space, uint64_t linear, enum pt_level level);

/* Writes that entry, creating the tables above it as needed. */
void pt_set(const struct pt_space *space, uint64_t linear, enum pt_level level, uint64_t entry);

/* pt_set(pt_get() & ~clear | set). */
void pt_update(const struct pt_space *space, uint64_t linear, enum pt_level level,
               uint64_t clear, uint64_t set);

/* Maps one page at 'level' (PT_PTE: 4 KiB; PT_PDE or PT_PDPTE: a large page,
 * PS is added): the entry becomes phys | flags.  'flags' must include PTE_P
 * for a present page. */
void pt_map(const struct pt_space *space, uint64_t linear, uint64_t phys, enum pt_level level,
            uint64_t flags);

/* pt_map() for each page of 'bytes' (a multiple of the level's span). */
void pt_map_range(const struct pt_space *space, uint64_t linear, uint64_t phys, uint64_t bytes,
                  enum pt_level level, uint64_t flags);

/* Makes dst's entry at 'level' for 'linear' a copy of src's, so that both
 * hierarchies share what that entry maps or points to. */
void pt_share(const struct pt_space *dst, const struct pt_space *src, uint64_t linear,
              enum pt_level level);

/* MOV CR3: makes the hierarchy current (paging must be on in its mode). */
void pt_activate(const struct pt_space *space);

/* Turns paging on with this hierarchy: 32-bit (CR4.PAE = 0, CR4.PSE = 1 when
 * CPUID has PSE) or PAE (CR4.PAE = 1), then CR0.PG; 4-level enters IA-32e
 * mode through longmode_enter().  Paging must be off. */
void pt_enable(const struct pt_space *space);

#endif
