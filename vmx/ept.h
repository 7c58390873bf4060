/*
 * Building a VM's EPT tables (vmx/ept.c): pure logic, host-tested.
 *
 * ept_build() turns a guest-physical map (guest/gpa_map.h) into 4-level EPT
 * tables: RAM regions are mapped read/write/execute, MMIO and holes are left
 * not present so every access to them exits as an EPT violation.  The memory
 * type of each mapping is the host MTRR type of the host memory behind it
 * (mm/mtrr.h), so the guest caches RAM as the host does (SDM vol. 3C 29.3.7:
 * with EPT the entry's type takes the place of the MTRRs).  2 MiB pages are
 * used where the guest and host addresses are both 2 MiB aligned, the range
 * covers the whole 2 MiB and the MTRRs give it one type; 4 KiB pages
 * elsewhere.  The tables are reached through the caller's ept_alloc_ops, so
 * the same code runs in keel (frames + direct map) and in host tests.
 *
 * Changing tables that a CPU may have cached needs an INVEPT afterwards;
 * that is the caller's job.
 */
#ifndef KEEL_VMX_EPT_H
#define KEEL_VMX_EPT_H

#include <stdbool.h>
#include <stdint.h>

#include "guest/gpa_map.h"
#include "mm/mtrr.h"
#include "mm/pt_format.h"

/* The EPT pointer (SDM vol. 3C 25.6.11). */
#define EPTP_MEMORY_TYPE_MASK           PT_BITS(2, 0)   /* of the EPT tables */
#define EPTP_PAGE_WALK_LENGTH_SHIFT     3               /* 5:3, levels minus 1 */
#define EPTP_ENABLE_ACCESSED_DIRTY      (UINT64_C(1) << 6)

#define EPT_LEVELS          4
#define EPT_TABLE_ENTRIES   512
/* 4-level EPT translates guest-physical addresses below 2^48. */
#define EPT_GPA_LIMIT       (UINT64_C(1) << 48)

struct ept_alloc_ops {
    /* A zeroed, 4 KiB-aligned 4 KiB page for a table: the pointer keel
     * writes it through and its host-physical address.  false when out of
     * memory. */
    bool (*alloc_table)(void *ctx, void **virt, uint64_t *phys);
    /* Takes back a page alloc_table gave. */
    void (*free_table)(void *ctx, void *virt, uint64_t phys);
    /* The pointer for a table page's host-physical address. */
    void *(*table_virt)(void *ctx, uint64_t phys);
};

enum ept_status {
    EPT_OK = 0,
    EPT_NO_MEMORY = -1,
    /* Unaligned, empty, a guest-physical range past EPT_GPA_LIMIT, or a host
     * range the MTRRs cannot type (past MAXPHYADDR). */
    EPT_BAD_RANGE = -2,
    /* No R/W/X bit, a bit outside EPT_RWX, or write without read (never
     * valid, SDM vol. 3C 29.3.3.1). */
    EPT_BAD_PERMISSIONS = -3,
};

/*
 * Allocates a PML4 and maps every RAM region of map with EPT_RWX.  On
 * success *pml4_phys is the PML4's host-physical address (see ept_pointer());
 * on failure every table allocated is freed and *pml4_phys is 0.
 * Returns an enum ept_status.
 */
int ept_build(const struct gpa_map *map, const struct mtrr_state *mtrr,
              const struct ept_alloc_ops *alloc, void *ctx, uint64_t *pml4_phys);

/*
 * Maps guest-physical [gpa, gpa + size) to host-physical [hpa, hpa + size)
 * with permissions perms (EPT_READ/WRITE/EXECUTE), replacing what was
 * mapped there: page tables a new 2 MiB page covers are freed, a 2 MiB (or
 * 1 GiB) page that is only partly remapped is split first.  gpa, hpa and
 * size are 4 KiB multiples.  On EPT_NO_MEMORY part of the range may be
 * mapped already; the other errors are found before anything changes.
 */
int ept_map_range(uint64_t pml4_phys, uint64_t gpa, uint64_t hpa, uint64_t size,
                  uint64_t perms, const struct mtrr_state *mtrr,
                  const struct ept_alloc_ops *alloc, void *ctx);

/*
 * Makes guest-physical [gpa, gpa + size) not present.  An entry the range
 * covers whole is cleared and the tables below it freed; a table whose
 * entries were cleared one by one stays, even when empty, until
 * ept_destroy().  A large page only partly unmapped is split first, which
 * can fail with EPT_NO_MEMORY (part of the range may then be unmapped
 * already).  gpa and size are 4 KiB multiples.
 */
int ept_unmap(uint64_t pml4_phys, uint64_t gpa, uint64_t size,
              const struct ept_alloc_ops *alloc, void *ctx);

/* Frees every table, the PML4 included. */
void ept_destroy(uint64_t pml4_phys, const struct ept_alloc_ops *alloc, void *ctx);

/* The EPTP for these tables: write-back table accesses, a 4-level walk, and
 * accessed/dirty flags when ad (needs IA32_VMX_EPT_VPID_CAP[21]). */
uint64_t ept_pointer(uint64_t pml4_phys, bool ad);

#endif
