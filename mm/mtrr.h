/*
 * The host's memory-type range registers (mm/mtrr.c): pure logic, host-tested.
 *
 * The caller reads IA32_MTRRCAP, IA32_MTRR_DEF_TYPE, the fixed-range MSRs and
 * the variable-range pairs into a struct mtrr_state (mtrr_fixed_msr() and
 * mtrr_physbase_msr() name the MSRs to read); mtrr_type_of_range() then says
 * which memory type the MTRRs give a range of physical addresses, following
 * SDM vol. 3A 12.11.  keel asks it when it builds EPT tables (vmx/ept.c): the
 * memory type of a guest's RAM in the EPT entries is the host MTRR type of
 * the host memory behind it.
 */
#ifndef KEEL_MM_MTRR_H
#define KEEL_MM_MTRR_H

#include <stdint.h>

/* Memory types as MTRRs, the PAT and EPT entries encode them (SDM vol. 3A
 * 12.11, "Memory Types That Can Be Encoded in MTRRs").  Encodings 2 and 3
 * are reserved. */
#define MEMORY_TYPE_UC  0u      /* uncacheable */
#define MEMORY_TYPE_WC  1u      /* write combining */
#define MEMORY_TYPE_WT  4u      /* write-through */
#define MEMORY_TYPE_WP  5u      /* write-protected */
#define MEMORY_TYPE_WB  6u      /* write-back */

/* IA32_MTRRCAP (SDM 12.11.1). */
#define MTRRCAP_VCNT_MASK           0xffu           /* 7:0, variable ranges */
#define MTRRCAP_FIX                 (UINT64_C(1) << 8)
#define MTRRCAP_WC                  (UINT64_C(1) << 10)
#define MTRRCAP_SMRR                (UINT64_C(1) << 11)

/* IA32_MTRR_DEF_TYPE (SDM 12.11.2.1). */
#define MTRR_DEF_TYPE_TYPE_MASK     0xffu           /* 7:0, default memory type */
#define MTRR_DEF_TYPE_FE            (UINT64_C(1) << 10)  /* fixed ranges enabled */
#define MTRR_DEF_TYPE_E             (UINT64_C(1) << 11)  /* MTRRs enabled */

/* IA32_MTRR_PHYSBASEn / IA32_MTRR_PHYSMASKn (SDM 12.11.2.3).  The address
 * fields are bits MAXPHYADDR-1:12. */
#define MTRR_PHYSBASE_TYPE_MASK     0xffu
#define MTRR_PHYS_ADDR_MASK         UINT64_C(0x000ffffffffff000)
#define MTRR_PHYSMASK_VALID         (UINT64_C(1) << 11)

/* The fixed ranges cover [0, 1 MiB) with eleven MSRs of eight one-byte types
 * each (SDM 12.11.2.2): IA32_MTRR_FIX64K_00000 (8 x 64 KiB from 0),
 * FIX16K_80000 and FIX16K_A0000 (8 x 16 KiB each from 0x80000), then
 * FIX4K_C0000 ... FIX4K_F8000 (8 x 4 KiB each from 0xC0000).  The byte in
 * bits 7:0 types the lowest sub-range. */
#define MTRR_NR_FIXED               11
#define MTRR_FIXED_END              UINT64_C(0x100000)

/* More variable ranges than any CPU keel knows of has (VCNT is 8 or 10 in
 * practice); mtrr_variable_count() clamps VCNT to this. */
#define MTRR_MAX_VARIABLE           32

struct mtrr_variable {
    uint64_t base;              /* IA32_MTRR_PHYSBASEn */
    uint64_t mask;              /* IA32_MTRR_PHYSMASKn */
};

/* Raw MSR values.  fixed[] is in address order (the order above) and is only
 * looked at when MTRRCAP.FIX and DEF_TYPE.FE are both 1; variable[n] for n
 * below mtrr_variable_count(). */
struct mtrr_state {
    uint64_t cap;                               /* IA32_MTRRCAP */
    uint64_t def_type;                          /* IA32_MTRR_DEF_TYPE */
    uint64_t fixed[MTRR_NR_FIXED];
    struct mtrr_variable variable[MTRR_MAX_VARIABLE];
    uint8_t maxphyaddr;                         /* CPUID.80000008H:EAX[7:0], 36..52 */
};

enum mtrr_range_result {
    /* The whole range has one type, *type. */
    MTRR_RANGE_UNIFORM = 0,
    /* The whole range is UC, at least partly because variable ranges of
     * different types overlap there in a way the SDM leaves undefined
     * (12.11.4.1: only UC with anything, and WT with WB, are defined);
     * *type is MEMORY_TYPE_UC, the safe choice. */
    MTRR_RANGE_UC_UNDEFINED = 1,
    /* More than one type: *type is the type at start. */
    MTRR_RANGE_MIXED = 2,
    /* len is 0, the range passes 2^MAXPHYADDR, or maxphyaddr is not 32..52. */
    MTRR_RANGE_INVALID = -1,
};

/* How many variable pairs state describes: MTRRCAP.VCNT, at most
 * MTRR_MAX_VARIABLE. */
unsigned mtrr_variable_count(const struct mtrr_state *state);

/* MSR numbers to read: fixed[index] (index < MTRR_NR_FIXED), and the nth
 * variable pair.  0 for an index out of range. */
uint32_t mtrr_fixed_msr(unsigned index);
uint32_t mtrr_physbase_msr(unsigned n);
uint32_t mtrr_physmask_msr(unsigned n);

/*
 * The memory type of physical range [start, start + len), with the SDM's
 * precedence (12.11.4.1): MTRRs disabled (DEF_TYPE.E = 0) make everything UC;
 * below 1 MiB the fixed ranges decide when enabled; elsewhere the variable
 * ranges that match (UC wins any overlap, WT + WB gives WT, other mixes are
 * undefined and reported as MTRR_RANGE_UC_UNDEFINED), and the default type
 * where none does.  Returns an enum mtrr_range_result.
 */
int mtrr_type_of_range(const struct mtrr_state *state, uint64_t start, uint64_t len,
                       uint8_t *type);

/* "UC", "WC", "WT", "WP", "WB", or "reserved". */
const char *memory_type_name(uint8_t type);

#endif
