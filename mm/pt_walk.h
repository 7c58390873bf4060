/*
 * The page-table walker (mm/pt_walk.c): pure logic, host-tested.
 *
 * pt_walk() translates one address through tables of any format in
 * mm/pt_format.h, the way the CPU would: it reads each entry through the
 * caller's pt_mem_ops (for a guest's tables these are guest-physical reads),
 * stops at a non-present entry or one with reserved bits set (SDM vol. 3A
 * 5.3 to 5.5; for EPT, vol. 3C 29.3.3), then checks the access against the
 * access rights of the translation (SDM 5.6) and, if asked, sets accessed
 * and dirty flags as the CPU does (SDM 5.8).  A refusal comes back as the
 * #PF error code a real CPU would push (SDM 5.7).
 *
 * What the walker leaves to its caller: canonical-address checks and
 * segmentation (a #GP or #SS, not a #PF), protection keys (CR4.PKE), CET
 * shadow stacks, 5-level paging, processors without PAT (for which PTE bit 7
 * and large-page bit 12 would be reserved), and EPT's mode-based execute
 * control.
 */
#ifndef KEEL_MM_PT_WALK_H
#define KEEL_MM_PT_WALK_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/pt_format.h"

/* #PF error code bits (SDM 5.7).  Spelled as arch/x86/traps.c
 * spells them, so both definitions may meet in one file. */
#define PF_ERR_PRESENT  (1u << 0)       /* 0: no translation; 1: rights or reserved bit */
#define PF_ERR_WRITE    (1u << 1)       /* the access was a write */
#define PF_ERR_USER     (1u << 2)       /* the access was a user-mode access */
#define PF_ERR_RSVD     (1u << 3)       /* a reserved bit was set in an entry */
#define PF_ERR_FETCH    (1u << 4)       /* an instruction fetch, with NXE (PAE/4-level) or SMEP */

enum pt_access_type {
    PT_ACCESS_READ,
    PT_ACCESS_WRITE,
    PT_ACCESS_FETCH,
};

/* The access being translated and the paging controls in force. */
struct pt_access {
    enum pt_access_type type;
    /* SDM 5.6.1: accesses at CPL 3 are user-mode accesses, except implicit
     * supervisor-mode accesses (to the GDT, LDT, IDT or TSS), which are
     * supervisor-mode at any CPL.  Ignored for EPT. */
    uint8_t cpl;
    bool implicit_supervisor;
    bool cr0_wp;
    bool cr4_smep;
    bool cr4_smap;
    bool rflags_ac;
    bool efer_nxe;
    /* 1 GiB pages exist: CPUID.80000001H:EDX.Page1GB[26], or for EPT
     * IA32_VMX_EPT_VPID_CAP[17].  Without them a PDPTE's PS bit is reserved. */
    bool page_1g;
    /* EPT entries may be execute-only: IA32_VMX_EPT_VPID_CAP[0]. */
    bool ept_execute_only;
    /* CPUID.80000008H:EAX[7:0] of the CPU the tables are for, 32..52.  For
     * 32-bit paging on a CPU without PSE-36 (CPUID.01H:EDX[17]) pass 32. */
    uint8_t maxphyaddr;
    /* Set accessed flags in every entry used and the dirty flag in the entry
     * that maps the page, for a write; needs pt_mem_ops.cmpxchg_entry. */
    bool set_ad;
    /* PAE only: the four PDPTE registers (e.g. the VMCS guest PDPTE fields),
     * used instead of reading the PDPT at CR3; NULL to read it. */
    const uint64_t *pdptes;
};

/* cmpxchg_entry's "the entry had changed" answer. */
#define PT_MEM_CHANGED 1

/* How the walker reaches the tables.  phys is a physical address in the
 * tables' address space (guest-physical for a guest's tables), aligned to
 * size, which is the format's entry size, 4 or 8. */
struct pt_mem_ops {
    /* Stores the entry, zero-extended, in *value; nonzero when phys is
     * not RAM the walker may read. */
    int (*read_entry)(void *ctx, uint64_t phys, unsigned size, uint64_t *value);
    /* Atomically: if the entry still holds old, store new and return 0;
     * else return PT_MEM_CHANGED.  Negative when phys is not RAM. */
    int (*cmpxchg_entry)(void *ctx, uint64_t phys, uint64_t old, uint64_t new_value,
                         unsigned size);
};

enum pt_walk_status {
    PT_WALK_OK = 0,
    /* No translation, or one that refuses the access: a #PF with
     * out->error_code (for EPT: an EPT violation, or with PF_ERR_RSVD an EPT
     * misconfiguration); out->level is the level at fault. */
    PT_WALK_FAULT = -1,
    /* read_entry or cmpxchg_entry failed for the entry at level out->level,
     * address out->bad_entry_addr: the table is not in RAM. */
    PT_WALK_BAD_TABLE = -2,
    /* A PAE PDPTE (level 3) is present with reserved bits set.  A real CPU
     * refuses such PDPTEs when CR3 is loaded (#GP, SDM 5.4.1), so no #PF
     * describes this. */
    PT_WALK_BAD_PDPTE = -3,
    /* The entries kept changing under the A/D updates; try again later. */
    PT_WALK_RETRY = -4,
    /* maxphyaddr outside 32..52, or set_ad without cmpxchg_entry. */
    PT_WALK_BAD_ARGS = -5,
};

struct pt_walk_result {
    uint64_t phys;              /* the translated address */
    uint64_t page_size;         /* 4 KiB, 2 MiB, 4 MiB or 1 GiB */
    /* The rights of the translation itself (SDM 5.6): R/W and U/S set at
     * every level, XD clear at every level (or NXE = 0 / no XD); for EPT the
     * AND of R, W and X.  readable is always true outside EPT.  The CR0.WP,
     * SMEP and SMAP rules are applied to the access, not folded in here.
     * On a fault: the rights of the entries read so far. */
    bool readable, writable, user, executable;
    /* The level that mapped the page, or the level at fault. */
    unsigned level;
    uint32_t error_code;        /* PF_ERR_* on PT_WALK_FAULT, else 0 */
    uint64_t bad_entry_addr;    /* on PT_WALK_BAD_TABLE, else 0 */
    /* The entries read, root first: where each lies and its value (for a
     * PAE PDPTE taken from pt_access.pdptes, the value used and where the
     * PDPT in CR3 would hold it). */
    unsigned nr_entries;
    uint64_t entry_addr[PT_MAX_LEVELS];
    uint64_t entry[PT_MAX_LEVELS];
};

/*
 * Translates va (a linear address; for EPT a guest-physical address) through
 * the tables whose root root names: CR3 as loaded (or the EPTP), from which
 * the format's root_mask takes the table address.  Linear-address bits above
 * what the format translates are ignored.  Returns an enum pt_walk_status;
 * *out is filled in every case.  Nothing is written to the tables unless
 * acc->set_ad, and then only once the access is known to succeed.
 */
int pt_walk(const struct pt_format *fmt, uint64_t root, uint64_t va,
            const struct pt_access *acc, const struct pt_mem_ops *mem, void *ctx,
            struct pt_walk_result *out);

#endif
