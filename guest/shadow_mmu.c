/*
 * Shadow paging.
 *
 * The CPU runs the guest on tables keel owns.  They start empty; every #PF
 * comes to keel, which walks the guest's own tables (mm/pt_walk.c, setting
 * the guest's accessed/dirty flags as the CPU would) and then either
 * re-injects the fault the guest's tables call for, or adds the one 4 KiB
 * translation the guest's tables allow and lets the instruction run again.
 *
 * Coherence is lazy, the way a TLB is (SDM vol. 3A 5.10 "Caching Translation
 * Information"): a shadow entry is a cached translation, so the guest's
 * page-table writes need not be trapped.  Cached entries are dropped exactly
 * where a CPU drops TLB entries: INVLPG drops one address, a CR3 load drops
 * every non-global entry, and paging-mode changes (CR0.PG/WP, CR4.PGE/PAE/
 * PSE/SMEP/SMAP, EFER.LMA/NXE) drop everything.  A guest that relaxes an entry
 * without INVLPG (5.10.4.3 allows that for not-present → present and
 * read-only → writable) faults on the stale shadow entry and the walk finds
 * the new rights.  Why not write-protect guest page tables instead: every
 * write would need emulating, including LOCK CMPXCHG and SSE stores, and a
 * page-table page is not always recognisable as one; the lazy scheme needs
 * neither.  Its price is refilling non-global entries after each CR3 load,
 * which the paging benchmark measures.
 *
 * A shadow is kept per guest CR3 (SHADOW_ROOTS of them, least recently used
 * replaced), so switching address spaces keeps each one's table pages and
 * global entries.  Shadows use 4 KiB pages only: guest large pages are
 * shadowed page by page as they are touched.  32-bit and PAE guests run on
 * PAE shadows (PAE can map any 32-bit address, and has NX), IA-32e guests on
 * 4-level shadows; a guest with paging off runs on an identity shadow.
 * Dirty flags: a writable guest page whose D flag is clear is shadowed
 * read-only until the first write, whose fault sets D in the guest's entry.
 */
#include "guest/shadow_mmu.h"

#include "arch/x86/msr.h"
#include "guest/vcpu.h"
#include "guest/vcpu_state.h"
#include "kernel/log.h"
#include "mm/frame.h"
#include "mm/paging.h"
#include "mm/pt_walk.h"

#define CR0_PG (UINT64_C(1) << 31)
#define CR4_PGE (UINT64_C(1) << 7)
#define PT_ENTRIES 512
#define PAE_ROOT_ENTRIES 4
/* Shadow upper-level entries grant everything: rights are decided at the
 * leaf (a PAE PDPTE has no R/W or U/S bits at all: SDM vol. 3A 5.4.1). */
#define SHADOW_TABLE_FLAGS (PTE_PRESENT | PTE_WRITABLE | PTE_USER)
#define SHADOW_PDPTE_FLAGS PTE_PRESENT
#define GUEST_PTE_G (UINT64_C(1) << 8)
/* Software-available bits of shadow leaves (SDM vol. 3A 5.4.4: bits 11:9
 * are ignored by the CPU): this 4 KiB entry shadows part of a guest 2 MiB or
 * 4 MiB page, or of a 1 GiB page, which one INVLPG anywhere in it must drop
 * whole. */
#define SHADOW_LARGE_PIECE (UINT64_C(1) << 9)
#define SHADOW_HUGE_PIECE  (UINT64_C(1) << 10)
#define LARGE_REGION (UINT64_C(4) << 20)        /* holds any 2 MiB or 4 MiB page */
#define HUGE_REGION  (UINT64_C(1) << 30)
#define PT_SPAN      (UINT64_C(2) << 20)        /* what one shadow page table maps */

static unsigned root_levels(enum shadow_kind kind)
{
    return kind == SHADOW_4LEVEL ? 4 : 3;
}

static unsigned shadow_index(enum shadow_kind kind, uint64_t gla, unsigned level)
{
    unsigned shift = PAGE_SHIFT + 9 * (level - 1);
    if (kind != SHADOW_4LEVEL && level == 3)
        return (unsigned)(gla >> shift) & (PAE_ROOT_ENTRIES - 1);
    return (unsigned)(gla >> shift) & (PT_ENTRIES - 1);
}

static uint64_t *table(uint64_t phys)
{
    return phys_to_virt(phys & PTE_ADDR_MASK);
}

static uint64_t new_table(struct shadow_mmu *s)
{
    s->stats.table_pages++;
    return frame_alloc();
}

/* Frees the tables below `t` (at `level`) and `t` itself. */
static void free_tree(struct shadow_mmu *s, uint64_t t, unsigned level)
{
    if (level > 1) {
        uint64_t *e = table(t);
        for (unsigned i = 0; i < PT_ENTRIES; i++)
            if (e[i] & PTE_PRESENT)
                free_tree(s, e[i], level - 1);
    }
    frame_free(t & PTE_ADDR_MASK);
    s->stats.table_pages--;
}

/* Drops the non-global leaf entries below `t`; returns the globals kept. */
static unsigned zap_nonglobal(uint64_t t, unsigned level)
{
    uint64_t *e = table(t);
    unsigned kept = 0;
    for (unsigned i = 0; i < PT_ENTRIES; i++) {
        if (!(e[i] & PTE_PRESENT))
            continue;
        if (level > 1)
            kept += zap_nonglobal(e[i], level - 1);
        else if (e[i] & PTE_GLOBAL)
            kept++;
        else
            e[i] = 0;
    }
    return kept;
}

static void drop_root(struct shadow_mmu *s, struct shadow_root *r)
{
    if (r->valid)
        free_tree(s, r->root_hpa, root_levels(r->kind));
    *r = (struct shadow_root){ 0 };
    if (s->current == r)
        s->current = NULL;
}

void shadow_flush_all(struct vcpu *v)
{
    struct shadow_mmu *s = v->shadow;
    for (unsigned i = 0; i < SHADOW_ROOTS; i++)
        drop_root(s, &s->roots[i]);
    s->stats.flushes++;
}

static enum shadow_kind kind_for_guest(struct vcpu *v)
{
    if (!(vcpu_cr0(v) & CR0_PG))
        return SHADOW_IDENTITY;
    return (vcpu_efer(v) & EFER_LMA) ? SHADOW_4LEVEL : SHADOW_PAE;
}

static struct shadow_root *find_or_make_root(struct shadow_mmu *s, enum shadow_kind kind,
                                             uint64_t guest_cr3, bool *hit)
{
    struct shadow_root *victim = &s->roots[0];
    for (unsigned i = 0; i < SHADOW_ROOTS; i++) {
        struct shadow_root *r = &s->roots[i];
        if (r->valid && r->kind == kind && r->guest_cr3 == guest_cr3) {
            *hit = true;
            return r;
        }
        if (!r->valid || (victim->valid && r->last_used < victim->last_used))
            victim = r;
    }
    drop_root(s, victim);
    *victim = (struct shadow_root){
        .valid = true,
        .kind = kind,
        .guest_cr3 = guest_cr3,
        .root_hpa = new_table(s),
    };
    *hit = false;
    return victim;
}

uint64_t shadow_activate(struct vcpu *v, bool flush_nonglobal)
{
    struct shadow_mmu *s = v->shadow;
    enum shadow_kind kind = kind_for_guest(v);
    uint64_t key = kind == SHADOW_IDENTITY ? 0 : vcpu_cr3(v);
    bool hit;
    struct shadow_root *r = find_or_make_root(s, kind, key, &hit);

    s->stats.cr3_switches++;
    if (hit) {
        s->stats.cr3_hits++;
        if (flush_nonglobal && kind != SHADOW_IDENTITY) {
            r->globals = zap_nonglobal(r->root_hpa, root_levels(kind));
        }
    }
    r->last_used = ++s->clock;
    s->current = r;
    vcpu_flush_hw_tlb(v);
    return r->root_hpa;
}

/* The leaf slot for gla in root r, building the tables on the way. */
static uint64_t *leaf_slot(struct shadow_mmu *s, const struct shadow_root *r, uint64_t gla)
{
    uint64_t t = r->root_hpa;
    for (unsigned level = root_levels(r->kind); level > 1; level--) {
        uint64_t *e = &table(t)[shadow_index(r->kind, gla, level)];
        if (!(*e & PTE_PRESENT)) {
            bool pae_root = r->kind != SHADOW_4LEVEL && level == 3;
            *e = new_table(s) | (pae_root ? SHADOW_PDPTE_FLAGS : SHADOW_TABLE_FLAGS);
        }
        t = *e;
    }
    return &table(t)[shadow_index(r->kind, gla, 1)];
}

/* The leaf slot for gla in root r if the tables exist, else NULL. */
static uint64_t *find_leaf(const struct shadow_root *r, uint64_t gla)
{
    uint64_t t = r->root_hpa;
    for (unsigned level = root_levels(r->kind); level > 1; level--) {
        uint64_t e = table(t)[shadow_index(r->kind, gla, level)];
        if (!(e & PTE_PRESENT))
            return NULL;
        t = e;
    }
    return &table(t)[shadow_index(r->kind, gla, 1)];
}

/* The shadow page table mapping gla (the level-1 table), if it exists. */
static uint64_t *find_page_table(const struct shadow_root *r, uint64_t gla)
{
    uint64_t *leaf = find_leaf(r, gla);
    return leaf ? leaf - shadow_index(r->kind, gla, 1) : NULL;
}

/* Drops the leaves marked `piece` (and, if `global_only`, global) in
 * [start, start + size) of root r. */
static void zap_pieces_in(const struct shadow_root *r, uint64_t start, uint64_t size,
                          uint64_t piece, bool global_only)
{
    uint64_t must = piece | (global_only ? PTE_GLOBAL : 0);
    for (uint64_t a = start; a < start + size; a += PT_SPAN) {
        uint64_t *pt = find_page_table(r, a);
        if (!pt)
            continue;
        for (unsigned i = 0; i < PT_ENTRIES; i++)
            if ((pt[i] & must) == must)
                pt[i] = 0;
    }
}

/* Drops gla's translation, and the large-page pieces around it, from r. */
static void invlpg_root(struct shadow_root *r, uint64_t gla, bool global_only)
{
    uint64_t *leaf = find_leaf(r, gla);
    if (leaf && (!global_only || (*leaf & PTE_GLOBAL)))
        *leaf = 0;
    if (r->large_pieces)
        zap_pieces_in(r, gla & ~(LARGE_REGION - 1), LARGE_REGION, SHADOW_LARGE_PIECE,
                      global_only);
    if (r->huge_pieces)
        zap_pieces_in(r, gla & ~(HUGE_REGION - 1), HUGE_REGION, SHADOW_HUGE_PIECE,
                      global_only);
}

/* INVLPG of an address in a large page drops that page's whole translation
 * (SDM vol. 3A 5.10.4.1).  The shadow holds it as 4 KiB pieces, and the
 * piece at gla need not be there, so the pieces of large pages around gla
 * go: those in the 4 MiB-aligned region (it holds any 2 MiB or 4 MiB page
 * containing gla) and, if the shadow has any, those of 1 GiB pages in the
 * 1 GiB-aligned region.  Dropping more than a CPU would is always allowed.
 * Shadows of other address spaces lose their non-global entries anyway when
 * their CR3 is loaded again, so only their global entries are looked at. */
void shadow_invlpg(struct vcpu *v, uint64_t gla)
{
    struct shadow_mmu *s = v->shadow;
    s->stats.invlpgs++;
    for (unsigned i = 0; i < SHADOW_ROOTS; i++) {
        struct shadow_root *r = &s->roots[i];
        if (r == s->current)
            invlpg_root(r, gla, false);
        else if (r->valid && r->globals)
            invlpg_root(r, gla, true);
    }
    vcpu_flush_hw_tlb(v);
}

/* Where a guest-physical page lives, if it is RAM or a page the backend
 * maps there (the APIC-access page).  Anything else is left to the caller,
 * which looks for a device among the VM's MMIO regions (not in the map of
 * where they started: the xAPIC page follows IA32_APIC_BASE) once, for the
 * emulation itself. */
static enum shadow_fault_result classify(struct vcpu *v, uint64_t gpa, uint64_t *hpa)
{
    const struct gpa_region *reg = gpa_map_lookup(&v->vm->gpa_map, gpa);
    if (reg && reg->kind == GPA_RAM) {
        *hpa = reg->host_phys + (gpa - reg->start);
        return SHADOW_FIXED;
    }
    if (vcpu_backend_page(v, PAGE_ALIGN_DOWN(gpa), hpa)) {
        *hpa += gpa - PAGE_ALIGN_DOWN(gpa);
        return SHADOW_FIXED;
    }
    return SHADOW_NOT_RAM;
}

static enum shadow_fault_result fill_identity(struct vcpu *v, uint64_t gla, uint64_t *gpa)
{
    uint64_t hpa;
    *gpa = gla & 0xffffffffu;
    enum shadow_fault_result res = classify(v, *gpa, &hpa);
    if (res != SHADOW_FIXED)
        return res;
    struct shadow_mmu *s = v->shadow;
    *leaf_slot(s, s->current, gla) = PAGE_ALIGN_DOWN(hpa) | PTE_PRESENT | PTE_WRITABLE |
                                     PTE_USER | PTE_ACCESSED | PTE_DIRTY;
    s->stats.fills++;
    return SHADOW_FIXED;
}

/* The shadow leaf for a translation the guest's tables allow. */
static uint64_t leaf_flags(struct vcpu *v, const struct pt_walk_result *w, uint32_t hw_error)
{
    uint64_t guest_leaf = w->entry[w->nr_entries - 1];
    bool write = hw_error & PF_ERR_WRITE;
    uint64_t flags = PTE_PRESENT | PTE_ACCESSED | PTE_DIRTY;

    if (w->user)
        flags |= PTE_USER;
    /* Writable only once the guest's D flag is set, so the first write
     * comes back here to set it (SDM vol. 3A 5.8). */
    if (w->writable && (write || (guest_leaf & PTE_DIRTY)))
        flags |= PTE_WRITABLE;
    if (write && !w->writable) {
        /* A supervisor write the guest's CR0.WP = 0 allows to a read-only
         * page: the CPU runs with WP = 1, so grant it on a supervisor-only
         * shadow entry (user accesses fault again and are re-decided). */
        flags = (flags | PTE_WRITABLE) & ~PTE_USER;
    }
    if (!w->executable)
        flags |= PTE_NX;
    if (w->page_size >= HUGE_REGION)
        flags |= SHADOW_HUGE_PIECE;
    else if (w->page_size > PAGE_SIZE)
        flags |= SHADOW_LARGE_PIECE;
    if ((guest_leaf & GUEST_PTE_G) && (vcpu_cr4(v) & CR4_PGE))
        flags |= PTE_GLOBAL;
    return flags | (guest_leaf & (PTE_PWT | PTE_PCD));
}

enum shadow_fault_result shadow_page_fault(struct vcpu *v, uint64_t gla, uint32_t hw_error,
                                           uint32_t *guest_error, uint64_t *gpa)
{
    struct shadow_mmu *s = v->shadow;
    if (!s->current)
        panic("shadow #PF for vm %s with no active shadow", v->vm->name);
    if (s->current->kind == SHADOW_IDENTITY)
        return fill_identity(v, gla, gpa);

    enum pt_access_type type = (hw_error & PF_ERR_FETCH) ? PT_ACCESS_FETCH
                               : (hw_error & PF_ERR_WRITE) ? PT_ACCESS_WRITE
                                                           : PT_ACCESS_READ;
    struct pt_walk_result w;
    int st = vcpu_walk(v, gla, type, (hw_error & PF_ERR_USER) ? 3 : 0, &w);
    if (st == PT_WALK_FAULT) {
        *guest_error = w.error_code;
        s->stats.guest_faults++;
        return SHADOW_GUEST_FAULT;
    }
    if (st == PT_WALK_RETRY)
        return SHADOW_FIXED;            /* the guest's tables changed under us: go again */
    if (st != PT_WALK_OK)
        return SHADOW_BAD_TABLES;

    *gpa = w.phys;
    uint64_t hpa;
    enum shadow_fault_result res = classify(v, w.phys, &hpa);
    if (res == SHADOW_NOT_RAM)
        s->stats.mmio++;
    if (res != SHADOW_FIXED)
        return res;
    uint64_t *slot = leaf_slot(s, s->current, gla);
    uint64_t flags = leaf_flags(v, &w, hw_error);
    if ((flags & PTE_GLOBAL) && !(*slot & PTE_GLOBAL))
        s->current->globals++;
    if (flags & SHADOW_LARGE_PIECE)
        s->current->large_pieces++;
    if (flags & SHADOW_HUGE_PIECE)
        s->current->huge_pieces++;
    *slot = PAGE_ALIGN_DOWN(hpa) | flags;
    s->stats.fills++;
    return SHADOW_FIXED;
}
