/*
 * MTRR decoding (contract in mm/mtrr.h).  Pure logic: the MSR values come
 * from the caller, in keel from RDMSR, in tests/unit/test_mtrr.c from tables.
 *
 * mtrr_type_of_range() never steps through a range page by page.  It asks
 * type_at() for the type at the start, then jumps to the next address where
 * some MTRR's verdict can change (next_boundary()) and asks again, until the
 * type differs or the range ends: a few steps per variable range at most,
 * whatever the length.
 */
#include "mm/mtrr.h"

#include <stdbool.h>

#include "arch/x86/msr.h"

#define MTRR_MIN_MAXPHYADDR 32
#define MTRR_MAX_MAXPHYADDR 52

/* ---- MSR numbers ----------------------------------------------------- */

#define MTRR_NR_FIX4K 8         /* FIX4K_C0000 ... FIX4K_F8000, consecutive MSRs */
#define FIXED_INDEX_FIX4K_FIRST 3

uint32_t mtrr_fixed_msr(unsigned index)
{
    switch (index) {
    case 0:
        return MSR_IA32_MTRR_FIX64K_00000;
    case 1:
        return MSR_IA32_MTRR_FIX16K_80000;
    case 2:
        return MSR_IA32_MTRR_FIX16K_A0000;
    default:
        if (index >= MTRR_NR_FIXED)
            return 0;
        return MSR_IA32_MTRR_FIX4K_C0000 + (index - FIXED_INDEX_FIX4K_FIRST);
    }
}

/* The pairs are interleaved: PHYSBASE0, PHYSMASK0, PHYSBASE1, ... (SDM 12.11.2.3). */
uint32_t mtrr_physbase_msr(unsigned n)
{
    return n < MTRR_MAX_VARIABLE ? MSR_IA32_MTRR_PHYSBASE0 + 2 * n : 0;
}

uint32_t mtrr_physmask_msr(unsigned n)
{
    return n < MTRR_MAX_VARIABLE ? MSR_IA32_MTRR_PHYSMASK0 + 2 * n : 0;
}

unsigned mtrr_variable_count(const struct mtrr_state *state)
{
    unsigned vcnt = (unsigned)(state->cap & MTRRCAP_VCNT_MASK);
    return vcnt < MTRR_MAX_VARIABLE ? vcnt : MTRR_MAX_VARIABLE;
}

const char *memory_type_name(uint8_t type)
{
    switch (type) {
    case MEMORY_TYPE_UC: return "UC";
    case MEMORY_TYPE_WC: return "WC";
    case MEMORY_TYPE_WT: return "WT";
    case MEMORY_TYPE_WP: return "WP";
    case MEMORY_TYPE_WB: return "WB";
    default: return "reserved";
    }
}

/* ---- Fixed ranges ----------------------------------------------------- */

#define FIXED_TYPES_PER_MSR 8
#define FIXED_TYPE_BITS     8

/* The three sizes of fixed sub-range (SDM 12.11.2.2). */
struct fixed_group {
    uint64_t start, end;
    uint64_t unit;              /* bytes one type byte covers */
    unsigned first_index;       /* fixed[] index of the group's first MSR */
};

static const struct fixed_group fixed_groups[] = {
    { 0x00000, 0x80000, 0x10000, 0 },
    { 0x80000, 0xC0000, 0x4000, 1 },
    { 0xC0000, MTRR_FIXED_END, 0x1000, FIXED_INDEX_FIX4K_FIRST },
};

static bool mtrrs_enabled(const struct mtrr_state *s)
{
    return (s->def_type & MTRR_DEF_TYPE_E) != 0;
}

static bool fixed_ranges_enabled(const struct mtrr_state *s)
{
    return (s->cap & MTRRCAP_FIX) && (s->def_type & MTRR_DEF_TYPE_FE);
}

static bool in_fixed_ranges(const struct mtrr_state *s, uint64_t addr)
{
    return fixed_ranges_enabled(s) && addr < MTRR_FIXED_END;
}

#define NR_FIXED_GROUPS (sizeof fixed_groups / sizeof fixed_groups[0])

/* addr < MTRR_FIXED_END, the last group's end. */
static const struct fixed_group *fixed_group_of(uint64_t addr)
{
    unsigned i = 0;

    while (i + 1 < NR_FIXED_GROUPS && addr >= fixed_groups[i].end)
        i++;
    return &fixed_groups[i];
}

/* addr < MTRR_FIXED_END. */
static uint8_t fixed_type_at(const struct mtrr_state *s, uint64_t addr)
{
    const struct fixed_group *g = fixed_group_of(addr);
    uint64_t unit = (addr - g->start) / g->unit;
    uint64_t msr = s->fixed[g->first_index + unit / FIXED_TYPES_PER_MSR];
    return (uint8_t)(msr >> (unit % FIXED_TYPES_PER_MSR * FIXED_TYPE_BITS));
}

/* The end of the fixed sub-range holding addr < MTRR_FIXED_END. */
static uint64_t fixed_next_boundary(uint64_t addr)
{
    const struct fixed_group *g = fixed_group_of(addr);
    return g->start + ((addr - g->start) / g->unit + 1) * g->unit;
}

/* ---- Variable ranges -------------------------------------------------- */

static uint64_t phys_limit(const struct mtrr_state *s)
{
    return UINT64_C(1) << s->maxphyaddr;
}

/* PhysBase and PhysMask, bits MAXPHYADDR-1:12. */
static uint64_t var_addr_bits(const struct mtrr_state *s, uint64_t msr)
{
    return msr & MTRR_PHYS_ADDR_MASK & (phys_limit(s) - 1);
}

static bool var_valid(const struct mtrr_variable *v)
{
    return (v->mask & MTRR_PHYSMASK_VALID) != 0;
}

static uint8_t var_type(const struct mtrr_variable *v)
{
    return (uint8_t)(v->base & MTRR_PHYSBASE_TYPE_MASK);
}

/* SDM 12.11.2.3: an address matches when it agrees with PhysBase in every bit
 * PhysMask has set. */
static bool var_matches(const struct mtrr_state *s, const struct mtrr_variable *v,
                        uint64_t addr)
{
    uint64_t mask = var_addr_bits(s, v->mask);
    return (addr & mask) == (var_addr_bits(s, v->base) & mask);
}

/* The range's granule: the lowest bit PhysMask has set (2^MAXPHYADDR for an
 * all-zero mask, which matches everything).  Matching is constant over every
 * aligned block of this size. */
static uint64_t var_granule(const struct mtrr_state *s, const struct mtrr_variable *v)
{
    uint64_t mask = var_addr_bits(s, v->mask);
    return mask ? mask & (~mask + 1) : phys_limit(s);
}

/* A mask whose set bits run unbroken from the granule up to MAXPHYADDR-1
 * describes one interval, [base & mask, + granule), as firmware writes
 * them.  The match rule gives any other mask a meaning too, a range in
 * several pieces, so those are handled as well. */
static bool var_contiguous(const struct mtrr_state *s, const struct mtrr_variable *v)
{
    uint64_t mask = var_addr_bits(s, v->mask);
    return mask == ((phys_limit(s) - 1) & ~(var_granule(s, v) - 1));
}

/* The lowest address above addr where this range's match may change, or
 * 2^MAXPHYADDR. */
static uint64_t var_next_boundary(const struct mtrr_state *s, const struct mtrr_variable *v,
                                  uint64_t addr)
{
    uint64_t granule = var_granule(s, v);

    if (var_contiguous(s, v)) {
        uint64_t lo = var_addr_bits(s, v->base) & var_addr_bits(s, v->mask);
        uint64_t hi = lo + granule;
        if (addr < lo)
            return lo;
        return addr < hi ? hi : phys_limit(s);
    }
    /* Several intervals: every granule edge is a candidate. */
    return (addr | (granule - 1)) + 1;
}

/* SDM 12.11.4.1, for an address the fixed ranges do not cover. */
static uint8_t variable_type_at(const struct mtrr_state *s, uint64_t addr, bool *undefined)
{
    bool any = false, all_same = true, has_uc = false, only_wt_wb = true;
    uint8_t first = 0;
    unsigned n = mtrr_variable_count(s);

    for (unsigned i = 0; i < n; i++) {
        const struct mtrr_variable *v = &s->variable[i];
        uint8_t t;

        if (!var_valid(v) || !var_matches(s, v, addr))
            continue;
        t = var_type(v);
        if (!any)
            first = t;
        else if (t != first)
            all_same = false;
        any = true;
        has_uc |= t == MEMORY_TYPE_UC;
        only_wt_wb &= t == MEMORY_TYPE_WT || t == MEMORY_TYPE_WB;
    }

    if (!any)
        return (uint8_t)(s->def_type & MTRR_DEF_TYPE_TYPE_MASK);
    if (all_same)
        return first;
    if (has_uc)
        return MEMORY_TYPE_UC;
    if (only_wt_wb)
        return MEMORY_TYPE_WT;
    *undefined = true;
    return MEMORY_TYPE_UC;
}

/* ---- Whole ranges ----------------------------------------------------- */

/* MTRRs enabled, addr < 2^MAXPHYADDR.  Sets *undefined when the type comes
 * from an overlap the SDM does not define. */
static uint8_t type_at(const struct mtrr_state *s, uint64_t addr, bool *undefined)
{
    if (in_fixed_ranges(s, addr))
        return fixed_type_at(s, addr);
    return variable_type_at(s, addr, undefined);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
    return a < b ? a : b;
}

/* The lowest address above addr where type_at() may answer differently. */
static uint64_t next_boundary(const struct mtrr_state *s, uint64_t addr)
{
    uint64_t next = phys_limit(s);
    unsigned n = mtrr_variable_count(s);

    /* Below 1 MiB only the fixed ranges count; the last one ends at 1 MiB. */
    if (in_fixed_ranges(s, addr))
        return fixed_next_boundary(addr);
    for (unsigned i = 0; i < n; i++)
        if (var_valid(&s->variable[i]))
            next = min_u64(next, var_next_boundary(s, &s->variable[i], addr));
    return next;
}

static bool range_valid(const struct mtrr_state *s, uint64_t start, uint64_t len)
{
    if (s->maxphyaddr < MTRR_MIN_MAXPHYADDR || s->maxphyaddr > MTRR_MAX_MAXPHYADDR)
        return false;
    return len != 0 && start < phys_limit(s) && len <= phys_limit(s) - start;
}

int mtrr_type_of_range(const struct mtrr_state *state, uint64_t start, uint64_t len,
                       uint8_t *type)
{
    uint64_t end = start + len;
    bool undefined = false;
    uint8_t first;

    if (!range_valid(state, start, len))
        return MTRR_RANGE_INVALID;
    /* SDM 12.11.2.1: with E clear all of physical memory is UC. */
    if (!mtrrs_enabled(state)) {
        *type = MEMORY_TYPE_UC;
        return MTRR_RANGE_UNIFORM;
    }

    first = type_at(state, start, &undefined);
    for (uint64_t addr = next_boundary(state, start); addr < end;
         addr = next_boundary(state, addr)) {
        if (type_at(state, addr, &undefined) != first) {
            *type = first;
            return MTRR_RANGE_MIXED;
        }
    }
    *type = first;
    return undefined ? MTRR_RANGE_UC_UNDEFINED : MTRR_RANGE_UNIFORM;
}
