/*
 * The page-table formats and the walker (contracts in mm/pt_format.h and
 * mm/pt_walk.h).  Pure logic: the tables are reached only through the
 * caller's pt_mem_ops.
 *
 * A walk has the CPU's three phases.  First the entries are read root first;
 * a non-present entry ends the walk with P = 0 in the error code, an entry
 * with a reserved bit set with P = 1 and RSVD = 1 (SDM vol. 3A 5.7).  Then the
 * access is checked against the rights the entries give together (SDM 5.6).
 * Only when both pass are accessed and dirty flags set (SDM 5.8), so a
 * faulting access leaves the tables untouched.
 */
#include "mm/pt_walk.h"

#include <stddef.h>

#include "lib/string.h"
#include "mm/mtrr.h"

/* ---- The formats ------------------------------------------------------ */

#define SHIFT_4K            12
#define SHIFT_2M            21
#define SHIFT_4M            22
#define SHIFT_1G            30
#define SHIFT_512G          39
#define INDEX_BITS_32BIT    10      /* 1024 4-byte entries per table */
#define INDEX_BITS_64BIT    9       /* 512 8-byte entries per table */
#define INDEX_BITS_PAE_PDPT 2       /* 4 PDPTEs */

/* SDM 5.3: no reserved bits except in a 4 MiB PDE. */
const struct pt_format pt_format_32bit = {
    .name = "32-bit",
    .levels = 2,
    .entry_size = 4,
    .root_mask = CR3_32BIT_ROOT_MASK,
    .addr_mask = PT_32BIT_ADDR_MASK,
    .present = PTE_PRESENT,
    .writable = PTE_WRITABLE,
    .user = PTE_USER,
    .accessed = PTE_ACCESSED,
    .dirty = PTE_DIRTY,
    .large = PTE_LARGE,
    .level = {
        [PT_LEVEL_PTE] = { .shift = SHIFT_4K, .index_bits = INDEX_BITS_32BIT,
                           .has_rights = true, .has_accessed = true },
        /* CR4.PSE = 0: PS is ignored, every PDE references a page table. */
        [PT_LEVEL_PDE] = { .shift = SHIFT_4M, .index_bits = INDEX_BITS_32BIT,
                           .has_rights = true, .has_accessed = true },
    },
};

const struct pt_format pt_format_32bit_pse = {
    .name = "32-bit PSE",
    .levels = 2,
    .entry_size = 4,
    .root_mask = CR3_32BIT_ROOT_MASK,
    .addr_mask = PT_32BIT_ADDR_MASK,
    .present = PTE_PRESENT,
    .writable = PTE_WRITABLE,
    .user = PTE_USER,
    .accessed = PTE_ACCESSED,
    .dirty = PTE_DIRTY,
    .large = PTE_LARGE,
    .pse36 = true,
    .level = {
        [PT_LEVEL_PTE] = { .shift = SHIFT_4K, .index_bits = INDEX_BITS_32BIT,
                           .has_rights = true, .has_accessed = true },
        [PT_LEVEL_PDE] = { .shift = SHIFT_4M, .index_bits = INDEX_BITS_32BIT,
                           .large_ok = true, .has_rights = true, .has_accessed = true,
                           .reserved_large = PDE32_4M_RESERVED },
    },
};

/* SDM 5.4. */
const struct pt_format pt_format_pae = {
    .name = "PAE",
    .levels = 3,
    .entry_size = 8,
    .root_mask = CR3_PAE_ROOT_MASK,
    .addr_mask = PTE_ADDR_MASK,
    .present = PTE_PRESENT,
    .writable = PTE_WRITABLE,
    .user = PTE_USER,
    .no_execute = PTE_NX,
    .accessed = PTE_ACCESSED,
    .dirty = PTE_DIRTY,
    .large = PTE_LARGE,
    .pdpte_registers = true,
    .level = {
        [PT_LEVEL_PTE] = { .shift = SHIFT_4K, .index_bits = INDEX_BITS_64BIT,
                           .has_rights = true, .has_accessed = true,
                           .reserved = PAE_ENTRY_HIGH_RESERVED },
        [PT_LEVEL_PDE] = { .shift = SHIFT_2M, .index_bits = INDEX_BITS_64BIT,
                           .large_ok = true, .has_rights = true, .has_accessed = true,
                           .reserved = PAE_ENTRY_HIGH_RESERVED,
                           .reserved_large = PAE_ENTRY_HIGH_RESERVED | PDE_2M_RESERVED },
        /* PDPTEs grant no rights and have no accessed flag: bits 2:1 and
         * 8:5 are reserved. */
        [PT_LEVEL_PDPTE] = { .shift = SHIFT_1G, .index_bits = INDEX_BITS_PAE_PDPT,
                             .reserved = PAE_PDPTE_RESERVED },
    },
};

/* SDM 5.5. */
const struct pt_format pt_format_4level = {
    .name = "4-level",
    .levels = 4,
    .entry_size = 8,
    .root_mask = CR3_4LEVEL_ROOT_MASK,
    .addr_mask = PTE_ADDR_MASK,
    .present = PTE_PRESENT,
    .writable = PTE_WRITABLE,
    .user = PTE_USER,
    .no_execute = PTE_NX,
    .accessed = PTE_ACCESSED,
    .dirty = PTE_DIRTY,
    .large = PTE_LARGE,
    .level = {
        [PT_LEVEL_PTE] = { .shift = SHIFT_4K, .index_bits = INDEX_BITS_64BIT,
                           .has_rights = true, .has_accessed = true },
        [PT_LEVEL_PDE] = { .shift = SHIFT_2M, .index_bits = INDEX_BITS_64BIT,
                           .large_ok = true, .has_rights = true, .has_accessed = true,
                           .reserved_large = PDE_2M_RESERVED },
        [PT_LEVEL_PDPTE] = { .shift = SHIFT_1G, .index_bits = INDEX_BITS_64BIT,
                             .large_ok = true, .has_rights = true, .has_accessed = true,
                             .reserved_large = PDPTE_1G_RESERVED },
        /* A PML4E's PS bit is reserved. */
        [PT_LEVEL_PML4E] = { .shift = SHIFT_512G, .index_bits = INDEX_BITS_64BIT,
                             .has_rights = true, .has_accessed = true,
                             .reserved = PTE_LARGE },
    },
};

/* SDM vol. 3C 29.3.2.  Dirty flags exist in leaf
 * entries only; the walker only ever sets them there. */
const struct pt_format pt_format_ept = {
    .name = "EPT",
    .levels = 4,
    .entry_size = 8,
    .root_mask = EPTP_ROOT_MASK,
    .addr_mask = EPT_ADDR_MASK,
    .present = EPT_RWX,
    .readable = EPT_READ,
    .writable = EPT_WRITE,
    .executable = EPT_EXECUTE,
    .accessed = EPT_ACCESSED,
    .dirty = EPT_DIRTY,
    .large = EPT_LARGE,
    .ept = true,
    .level = {
        [PT_LEVEL_PTE] = { .shift = SHIFT_4K, .index_bits = INDEX_BITS_64BIT,
                           .has_rights = true, .has_accessed = true },
        [PT_LEVEL_PDE] = { .shift = SHIFT_2M, .index_bits = INDEX_BITS_64BIT,
                           .large_ok = true, .has_rights = true, .has_accessed = true,
                           .reserved = EPT_TABLE_RESERVED,
                           .reserved_large = EPT_2M_RESERVED },
        [PT_LEVEL_PDPTE] = { .shift = SHIFT_1G, .index_bits = INDEX_BITS_64BIT,
                             .large_ok = true, .has_rights = true, .has_accessed = true,
                             .reserved = EPT_TABLE_RESERVED,
                             .reserved_large = EPT_1G_RESERVED },
        [PT_LEVEL_PML4E] = { .shift = SHIFT_512G, .index_bits = INDEX_BITS_64BIT,
                             .has_rights = true, .has_accessed = true,
                             .reserved = EPT_TABLE_RESERVED },
    },
};

const struct pt_format *pt_format_for_paging_mode(bool cr4_pae, bool cr4_pse, bool efer_lma)
{
    if (!cr4_pae)
        return cr4_pse ? &pt_format_32bit_pse : &pt_format_32bit;
    return efer_lma ? &pt_format_4level : &pt_format_pae;
}

/* ---- Entry decoding --------------------------------------------------- */

#define MIN_MAXPHYADDR 32
#define MAX_MAXPHYADDR 52

/* A compare-and-exchange that loses to a concurrent change restarts the walk
 * on the new entries; a guest rewriting its tables this fast is broken. */
#define MAX_WALK_ATTEMPTS 8

/* Internal: the A/D update lost a race, walk again. */
#define WALK_RESTART 1

struct walk {
    const struct pt_format *fmt;
    uint64_t root;
    uint64_t va;
    const struct pt_access *acc;
    const struct pt_mem_ops *mem;
    void *ctx;
};

/* Bits n-1:0. */
static uint64_t low_bits(unsigned n)
{
    return n >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << n) - 1;
}

static uint64_t phys_addr_bits(const struct walk *w)
{
    return low_bits(w->acc->maxphyaddr);
}

static const struct pt_level_format *level_format(const struct walk *w, unsigned level)
{
    return &w->fmt->level[level];
}

static bool entry_present(const struct pt_format *f, uint64_t e)
{
    return (e & f->present) != 0;
}

static bool large_bit_set(const struct walk *w, unsigned level, uint64_t e)
{
    return level_format(w, level)->large_ok && (e & w->fmt->large);
}

/* A 1 GiB page needs the CPU to support them; otherwise PS is reserved. */
static bool large_page_supported(const struct walk *w, unsigned level)
{
    return level_format(w, level)->shift != SHIFT_1G || w->acc->page_1g;
}

static bool maps_large_page(const struct walk *w, unsigned level, uint64_t e)
{
    return large_bit_set(w, level, e) && large_page_supported(w, level);
}

static bool maps_page(const struct walk *w, unsigned level, uint64_t e)
{
    return level == PT_LEVEL_PTE || maps_large_page(w, level, e);
}

/* PSE-36 (SDM 5.3): PDE bits 20:13 are address bits 39:32; those at or above
 * MAXPHYADDR (at most 40 here) are reserved. */
static uint64_t pse36_reserved(uint8_t maxphyaddr)
{
    unsigned m = maxphyaddr < PSE36_MAX_PHYADDR ? maxphyaddr : PSE36_MAX_PHYADDR;
    unsigned first_unused = PDE32_4M_ADDR_HIGH_SHIFT + (m - PSE36_ADDR_LOW_BIT);
    uint64_t field = low_bits(PDE32_4M_ADDR_HIGH_BITS) << PDE32_4M_ADDR_HIGH_SHIFT;
    return field & ~low_bits(first_unused);
}

static uint64_t pse36_high_address(uint64_t e)
{
    return ((e >> PDE32_4M_ADDR_HIGH_SHIFT) & low_bits(PDE32_4M_ADDR_HIGH_BITS))
           << PSE36_ADDR_LOW_BIT;
}

/* The reserved bits e sets (SDM 5.3 to 5.5; vol. 3C 29.3.3.1 for EPT). */
static uint64_t reserved_bits_set(const struct walk *w, unsigned level, uint64_t e)
{
    const struct pt_format *f = w->fmt;
    const struct pt_level_format *lf = level_format(w, level);
    uint64_t rsvd;

    if (maps_large_page(w, level, e)) {
        rsvd = lf->reserved_large;
        if (f->pse36)
            rsvd |= pse36_reserved(w->acc->maxphyaddr);
    } else {
        rsvd = lf->reserved;
        if (large_bit_set(w, level, e))
            rsvd |= f->large;           /* a 1 GiB page on a CPU without them */
    }
    rsvd |= f->addr_mask & ~phys_addr_bits(w);
    if (f->no_execute && !w->acc->efer_nxe)
        rsvd |= f->no_execute;
    return e & rsvd;
}

/* SDM vol. 3C 29.3.3.1: write permission without read permission is never
 * valid, execute-only only where the CPU supports it. */
static bool ept_permissions_misconfigured(const struct walk *w, uint64_t e)
{
    if ((e & EPT_WRITE) && !(e & EPT_READ))
        return true;
    return (e & EPT_RWX) == EPT_EXECUTE && !w->acc->ept_execute_only;
}

/* SDM vol. 3C 29.3.3.1: 2, 3 and 7 are not memory types. */
static bool ept_memory_type_valid(uint64_t e)
{
    switch ((e & EPT_MEMORY_TYPE_MASK) >> EPT_MEMORY_TYPE_SHIFT) {
    case MEMORY_TYPE_UC:
    case MEMORY_TYPE_WC:
    case MEMORY_TYPE_WT:
    case MEMORY_TYPE_WP:
    case MEMORY_TYPE_WB:
        return true;
    default:
        return false;
    }
}

/* For EPT, a reserved bit, a bad R/W/X combination or a bad leaf memory type
 * is an EPT misconfiguration; the walker reports all of them as RSVD. */
static bool entry_malformed(const struct walk *w, unsigned level, uint64_t e)
{
    if (reserved_bits_set(w, level, e))
        return true;
    if (!w->fmt->ept)
        return false;
    if (ept_permissions_misconfigured(w, e))
        return true;
    return maps_page(w, level, e) && !ept_memory_type_valid(e);
}

static uint64_t page_size_at(const struct walk *w, unsigned level)
{
    return UINT64_C(1) << level_format(w, level)->shift;
}

/* The physical address of the page e maps at level. */
static uint64_t page_base(const struct walk *w, unsigned level, uint64_t e)
{
    uint64_t base = e & w->fmt->addr_mask & ~(page_size_at(w, level) - 1);

    if (w->fmt->pse36 && level != PT_LEVEL_PTE)
        base |= pse36_high_address(e);
    return base & phys_addr_bits(w);
}

static uint64_t next_table(const struct walk *w, uint64_t e)
{
    return e & w->fmt->addr_mask & phys_addr_bits(w);
}

/* ---- Access rights ---------------------------------------------------- */

static void start_rights(const struct pt_format *f, struct pt_walk_result *out)
{
    out->readable = true;
    out->writable = true;
    out->user = f->user != 0;
    out->executable = true;
}

/* SDM 5.6.1: R/W and U/S must be 1 at every level, XD 0 at every level (it
 * only counts with NXE; without, a set XD is a reserved bit). */
static void fold_rights(const struct walk *w, uint64_t e, struct pt_walk_result *out)
{
    const struct pt_format *f = w->fmt;

    if (f->readable)
        out->readable &= (e & f->readable) != 0;
    out->writable &= (e & f->writable) != 0;
    if (f->user)
        out->user &= (e & f->user) != 0;
    if (f->executable)
        out->executable &= (e & f->executable) != 0;
    else if (f->no_execute && w->acc->efer_nxe)
        out->executable &= (e & f->no_execute) == 0;
}

static void no_rights(struct pt_walk_result *out)
{
    out->readable = out->writable = out->user = out->executable = false;
}

static bool is_user_access(const struct pt_access *acc)
{
    return acc->cpl == 3 && !acc->implicit_supervisor;
}

/* SDM 5.6.1, SMAP: supervisor-mode data accesses to user-mode addresses are
 * allowed only when explicit (made at CPL < 3 by the program, not by the CPU
 * on its behalf) and EFLAGS.AC = 1. */
static bool smap_allows(const struct pt_access *acc)
{
    return !acc->cr4_smap || (acc->rflags_ac && !acc->implicit_supervisor);
}

static bool supervisor_access_allowed(const struct pt_access *acc,
                                      const struct pt_walk_result *r)
{
    switch (acc->type) {
    case PT_ACCESS_FETCH:
        return r->executable && !(r->user && acc->cr4_smep);
    case PT_ACCESS_WRITE:
        if (r->user && !smap_allows(acc))
            return false;
        return r->writable || !acc->cr0_wp;
    case PT_ACCESS_READ:
    default:
        return !r->user || smap_allows(acc);
    }
}

static bool user_access_allowed(const struct pt_access *acc, const struct pt_walk_result *r)
{
    if (!r->user)
        return false;
    switch (acc->type) {
    case PT_ACCESS_FETCH:
        return r->executable;
    case PT_ACCESS_WRITE:
        return r->writable;
    case PT_ACCESS_READ:
    default:
        return true;
    }
}

/* EPT has no user/supervisor distinction: each access needs its own bit. */
static bool ept_access_allowed(const struct pt_access *acc, const struct pt_walk_result *r)
{
    switch (acc->type) {
    case PT_ACCESS_FETCH:
        return r->executable;
    case PT_ACCESS_WRITE:
        return r->writable;
    case PT_ACCESS_READ:
    default:
        return r->readable;
    }
}

static bool access_allowed(const struct walk *w, const struct pt_walk_result *r)
{
    if (w->fmt->ept)
        return ept_access_allowed(w->acc, r);
    if (is_user_access(w->acc))
        return user_access_allowed(w->acc, r);
    return supervisor_access_allowed(w->acc, r);
}

/* ---- Faults ----------------------------------------------------------- */

/* SDM 5.7: I/D is reported only with SMEP, or with PAE/4-level paging and
 * NXE; a CPU that cannot refuse fetches does not say an access was one. */
static bool reports_fetch(const struct walk *w)
{
    return w->fmt->ept || w->acc->cr4_smep || (w->fmt->no_execute && w->acc->efer_nxe);
}

/* The error-code bits that describe the access, whatever went wrong. */
static uint32_t access_error_bits(const struct walk *w)
{
    uint32_t ec = 0;

    if (w->acc->type == PT_ACCESS_WRITE)
        ec |= PF_ERR_WRITE;
    if (!w->fmt->ept && is_user_access(w->acc))
        ec |= PF_ERR_USER;
    if (w->acc->type == PT_ACCESS_FETCH && reports_fetch(w))
        ec |= PF_ERR_FETCH;
    return ec;
}

static int fault(const struct walk *w, struct pt_walk_result *out, uint32_t cause)
{
    out->error_code = cause | access_error_bits(w);
    out->phys = 0;
    out->page_size = 0;
    return PT_WALK_FAULT;
}

static int bad_table(struct pt_walk_result *out, unsigned level, uint64_t addr)
{
    out->level = level;
    out->bad_entry_addr = addr;
    return PT_WALK_BAD_TABLE;
}

/* ---- The walk --------------------------------------------------------- */

static uint64_t entry_index(const struct walk *w, unsigned level)
{
    const struct pt_level_format *lf = level_format(w, level);
    return (w->va >> lf->shift) & low_bits(lf->index_bits);
}

static bool uses_pdpte_registers(const struct walk *w, unsigned level)
{
    return w->fmt->pdpte_registers && level == w->fmt->levels && w->acc->pdptes;
}

static int read_entry(const struct walk *w, unsigned level, uint64_t addr, uint64_t *e)
{
    if (uses_pdpte_registers(w, level)) {
        *e = w->acc->pdptes[entry_index(w, level)];
        return 0;
    }
    return w->mem->read_entry(w->ctx, addr, w->fmt->entry_size, e);
}

static void record_entry(struct pt_walk_result *out, uint64_t addr, uint64_t e)
{
    out->entry_addr[out->nr_entries] = addr;
    out->entry[out->nr_entries] = e;
    out->nr_entries++;
}

/* SDM 5.8 (for EPT, vol. 3C 29.3 "Accessed and Dirty Flags for EPT"): the
 * accessed flag of every entry used, the dirty flag of the entry mapping the
 * page on a write.  Each update is a compare-and-exchange, as the CPU's
 * locked update is, so that a change the guest makes meanwhile is not
 * overwritten: the walk then starts over. */
static int set_accessed_dirty(const struct walk *w, struct pt_walk_result *out)
{
    const struct pt_format *f = w->fmt;

    for (unsigned i = 0; i < out->nr_entries; i++) {
        unsigned level = f->levels - i;
        bool maps = i + 1 == out->nr_entries;
        uint64_t old = out->entry[i], new_value = old;
        int rc;

        if (!level_format(w, level)->has_accessed)
            continue;
        new_value |= f->accessed;
        if (maps && w->acc->type == PT_ACCESS_WRITE)
            new_value |= f->dirty;
        if (new_value == old)
            continue;
        rc = w->mem->cmpxchg_entry(w->ctx, out->entry_addr[i], old, new_value, f->entry_size);
        if (rc == PT_MEM_CHANGED)
            return WALK_RESTART;
        if (rc != 0)
            return bad_table(out, level, out->entry_addr[i]);
        out->entry[i] = new_value;
    }
    return PT_WALK_OK;
}

static int walk_once(const struct walk *w, struct pt_walk_result *out)
{
    const struct pt_format *f = w->fmt;
    uint64_t table = w->root & f->root_mask & phys_addr_bits(w);
    uint64_t e = 0;
    unsigned level;

    memset(out, 0, sizeof *out);
    start_rights(f, out);
    for (level = f->levels; level > 0; level--) {
        uint64_t addr = table + entry_index(w, level) * f->entry_size;

        out->level = level;
        if (read_entry(w, level, addr, &e) != 0)
            return bad_table(out, level, addr);
        record_entry(out, addr, e);
        if (!entry_present(f, e)) {
            no_rights(out);
            return fault(w, out, 0);
        }
        if (level_format(w, level)->has_rights)
            fold_rights(w, e, out);
        if (entry_malformed(w, level, e)) {
            if (f->pdpte_registers && level == f->levels)
                return PT_WALK_BAD_PDPTE;
            return fault(w, out, PF_ERR_PRESENT | PF_ERR_RSVD);
        }
        if (maps_page(w, level, e))
            break;
        table = next_table(w, e);
    }

    out->page_size = page_size_at(w, level);
    out->phys = page_base(w, level, e) | (w->va & (out->page_size - 1));
    if (!access_allowed(w, out))
        return fault(w, out, PF_ERR_PRESENT);
    if (w->acc->set_ad)
        return set_accessed_dirty(w, out);
    return PT_WALK_OK;
}

static bool walk_args_valid(const struct pt_access *acc, const struct pt_mem_ops *mem)
{
    if (acc->maxphyaddr < MIN_MAXPHYADDR || acc->maxphyaddr > MAX_MAXPHYADDR)
        return false;
    return !acc->set_ad || mem->cmpxchg_entry != NULL;
}

int pt_walk(const struct pt_format *fmt, uint64_t root, uint64_t va,
            const struct pt_access *acc, const struct pt_mem_ops *mem, void *ctx,
            struct pt_walk_result *out)
{
    const struct walk w = { fmt, root, va, acc, mem, ctx };

    if (!walk_args_valid(acc, mem)) {
        memset(out, 0, sizeof *out);
        return PT_WALK_BAD_ARGS;
    }
    for (unsigned attempt = 0; attempt < MAX_WALK_ATTEMPTS; attempt++) {
        int rc = walk_once(&w, out);
        if (rc != WALK_RESTART)
            return rc;
    }
    return PT_WALK_RETRY;
}
