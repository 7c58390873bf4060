/* Host tests for mm/mtrr.c: memory types of physical ranges under the MTRR
 * setups firmware really leaves behind (SDM vol. 3A 12.11). */
#include "tests/unit/unit.h"

#include "mm/mtrr.c"

#define KIB(x) ((uint64_t)(x) << 10)
#define MIB(x) ((uint64_t)(x) << 20)
#define GIB(x) ((uint64_t)(x) << 30)

#define CAP_8_VAR_FIX_WC    (8 | MTRRCAP_FIX | MTRRCAP_WC)
#define M36                 36
#define ADDR_BITS_36        ((UINT64_C(1) << 36) - 1)

/* Eight identical type bytes, as one fixed-range MSR. */
static uint64_t fixed_all(uint8_t type)
{
    return UINT64_C(0x0101010101010101) * type;
}

/* A variable pair for the naturally aligned power-of-two range [base, base + size). */
static struct mtrr_variable var_range(uint64_t base, uint64_t size, uint8_t type)
{
    struct mtrr_variable v;
    v.base = base | type;
    v.mask = (ADDR_BITS_36 & ~(size - 1) & MTRR_PHYS_ADDR_MASK) | MTRR_PHYSMASK_VALID;
    return v;
}

/* Fixed ranges as a typical BIOS sets them: RAM below 640 KiB WB, the legacy
 * video window 0xA0000-0xBFFFF UC, option and system ROM 0xC0000-0xFFFFF WP. */
static void bios_fixed_ranges(struct mtrr_state *s)
{
    s->fixed[0] = fixed_all(MEMORY_TYPE_WB);        /* 0x00000-0x7FFFF */
    s->fixed[1] = fixed_all(MEMORY_TYPE_WB);        /* 0x80000-0x9FFFF */
    s->fixed[2] = fixed_all(MEMORY_TYPE_UC);        /* 0xA0000-0xBFFFF */
    for (int i = 3; i < MTRR_NR_FIXED; i++)
        s->fixed[i] = fixed_all(MEMORY_TYPE_WP);    /* 0xC0000-0xFFFFF */
}

/* WB by default with the PCI hole 3-4 GiB made UC by one variable range
 * (a desktop with 8 GiB of RAM, MAXPHYADDR 36). */
static struct mtrr_state wb_default_with_uc_hole(void)
{
    struct mtrr_state s;

    memset(&s, 0, sizeof s);
    s.cap = CAP_8_VAR_FIX_WC;
    s.def_type = MTRR_DEF_TYPE_E | MTRR_DEF_TYPE_FE | MEMORY_TYPE_WB;
    s.maxphyaddr = M36;
    bios_fixed_ranges(&s);
    s.variable[0] = var_range(GIB(3), GIB(1), MEMORY_TYPE_UC);
    return s;
}

/* The older style: UC by default, RAM made WB range by range: 0-2 GiB,
 * 2-3 GiB, 4-8 GiB, with a UC 16 MiB at 2 GiB - 16 MiB (a graphics stolen
 * area) cut out of the first by overlap. */
static struct mtrr_state uc_default_with_wb_ranges(void)
{
    struct mtrr_state s;

    memset(&s, 0, sizeof s);
    s.cap = CAP_8_VAR_FIX_WC;
    s.def_type = MTRR_DEF_TYPE_E | MEMORY_TYPE_UC;     /* fixed ranges off */
    s.maxphyaddr = M36;
    s.variable[0] = var_range(0, GIB(2), MEMORY_TYPE_WB);
    s.variable[1] = var_range(GIB(2), GIB(1), MEMORY_TYPE_WB);
    s.variable[2] = var_range(GIB(4), GIB(4), MEMORY_TYPE_WB);
    s.variable[3] = var_range(GIB(2) - MIB(16), MIB(16), MEMORY_TYPE_UC);
    return s;
}

/* Runs mtrr_type_of_range and checks both the result and the type. */
#define CHECK_RANGE(s, start, len, want_rc, want_type)                    \
    do {                                                                  \
        uint8_t t_ = 0xee;                                                \
        CHECK_EQ_I(mtrr_type_of_range(&(s), (start), (len), &t_), (want_rc)); \
        CHECK_EQ_U(t_, (want_type));                                      \
    } while (0)

TEST(msr_numbers)
{
    CHECK_EQ_U(mtrr_fixed_msr(0), 0x250);
    CHECK_EQ_U(mtrr_fixed_msr(1), 0x258);
    CHECK_EQ_U(mtrr_fixed_msr(2), 0x259);
    CHECK_EQ_U(mtrr_fixed_msr(3), 0x268);
    CHECK_EQ_U(mtrr_fixed_msr(4), 0x269);
    CHECK_EQ_U(mtrr_fixed_msr(10), 0x26f);
    CHECK_EQ_U(mtrr_fixed_msr(11), 0);
    CHECK_EQ_U(mtrr_physbase_msr(0), 0x200);
    CHECK_EQ_U(mtrr_physmask_msr(0), 0x201);
    CHECK_EQ_U(mtrr_physbase_msr(9), 0x212);
    CHECK_EQ_U(mtrr_physmask_msr(9), 0x213);
    CHECK_EQ_U(mtrr_physbase_msr(MTRR_MAX_VARIABLE), 0);
}

TEST(variable_count_is_vcnt_clamped)
{
    struct mtrr_state s;

    memset(&s, 0, sizeof s);
    s.cap = 10 | MTRRCAP_FIX;
    CHECK_EQ_U(mtrr_variable_count(&s), 10);
    s.cap = 0xff;
    CHECK_EQ_U(mtrr_variable_count(&s), MTRR_MAX_VARIABLE);
    s.cap = MTRRCAP_FIX;
    CHECK_EQ_U(mtrr_variable_count(&s), 0);
}

TEST(disabled_mtrrs_make_everything_uc)
{
    struct mtrr_state s = wb_default_with_uc_hole();

    s.def_type &= ~MTRR_DEF_TYPE_E;     /* FE stays set: E alone decides */
    CHECK_RANGE(s, 0, KIB(4), MTRR_RANGE_UNIFORM, MEMORY_TYPE_UC);
    CHECK_RANGE(s, 0, GIB(64), MTRR_RANGE_UNIFORM, MEMORY_TYPE_UC);
    CHECK_RANGE(s, GIB(5), MIB(2), MTRR_RANGE_UNIFORM, MEMORY_TYPE_UC);
}

TEST(wb_default_uc_hole)
{
    struct mtrr_state s = wb_default_with_uc_hole();

    CHECK_RANGE(s, MIB(1), MIB(2), MTRR_RANGE_UNIFORM, MEMORY_TYPE_WB);
    CHECK_RANGE(s, MIB(2), GIB(3) - MIB(2), MTRR_RANGE_UNIFORM, MEMORY_TYPE_WB);
    CHECK_RANGE(s, GIB(3), GIB(1), MTRR_RANGE_UNIFORM, MEMORY_TYPE_UC);
    CHECK_RANGE(s, GIB(4) - MIB(2), MIB(2), MTRR_RANGE_UNIFORM, MEMORY_TYPE_UC);
    CHECK_RANGE(s, GIB(4), GIB(4), MTRR_RANGE_UNIFORM, MEMORY_TYPE_WB);
    /* Straddling either edge of the hole. */
    CHECK_RANGE(s, GIB(3) - KIB(4), KIB(8), MTRR_RANGE_MIXED, MEMORY_TYPE_WB);
    CHECK_RANGE(s, GIB(4) - KIB(4), KIB(8), MTRR_RANGE_MIXED, MEMORY_TYPE_UC);
    CHECK_RANGE(s, GIB(2), GIB(4), MTRR_RANGE_MIXED, MEMORY_TYPE_WB);
    /* The last page below 2^36. */
    CHECK_RANGE(s, GIB(64) - KIB(4), KIB(4), MTRR_RANGE_UNIFORM, MEMORY_TYPE_WB);
}

TEST(fixed_ranges_below_1m)
{
    struct mtrr_state s = wb_default_with_uc_hole();

    CHECK_RANGE(s, 0, KIB(640), MTRR_RANGE_UNIFORM, MEMORY_TYPE_WB);
    CHECK_RANGE(s, 0xA0000, 0x20000, MTRR_RANGE_UNIFORM, MEMORY_TYPE_UC);
    CHECK_RANGE(s, 0xB8000, KIB(4), MTRR_RANGE_UNIFORM, MEMORY_TYPE_UC);
    CHECK_RANGE(s, 0xC0000, 0x40000, MTRR_RANGE_UNIFORM, MEMORY_TYPE_WP);
    CHECK_RANGE(s, 0x9F000, KIB(8), MTRR_RANGE_MIXED, MEMORY_TYPE_WB);
    CHECK_RANGE(s, 0xBF000, KIB(8), MTRR_RANGE_MIXED, MEMORY_TYPE_UC);
    /* The ROM's last page is fixed WP, the next page above 1 MiB variable
     * (default) WB. */
    CHECK_RANGE(s, 0xFF000, KIB(8), MTRR_RANGE_MIXED, MEMORY_TYPE_WP);
    CHECK_RANGE(s, 0, MIB(2), MTRR_RANGE_MIXED, MEMORY_TYPE_WB);
}

TEST(fixed_range_byte_order)
{
    struct mtrr_state s = wb_default_with_uc_hole();

    /* FIX4K_C8000 (index 4): bits 7:0 type 0xC8000, bits 15:8 0xC9000, ...
     * bits 63:56 0xCF000. */
    s.fixed[4] = fixed_all(MEMORY_TYPE_WP);
    s.fixed[4] &= ~(UINT64_C(0xff) << 8);
    s.fixed[4] |= (uint64_t)MEMORY_TYPE_WC << 8;
    s.fixed[4] &= ~(UINT64_C(0xff) << 56);
    s.fixed[4] |= (uint64_t)MEMORY_TYPE_UC << 56;
    CHECK_RANGE(s, 0xC8000, KIB(4), MTRR_RANGE_UNIFORM, MEMORY_TYPE_WP);
    CHECK_RANGE(s, 0xC9000, KIB(4), MTRR_RANGE_UNIFORM, MEMORY_TYPE_WC);
    CHECK_RANGE(s, 0xCA000, KIB(20), MTRR_RANGE_UNIFORM, MEMORY_TYPE_WP);
    CHECK_RANGE(s, 0xCF000, KIB(4), MTRR_RANGE_UNIFORM, MEMORY_TYPE_UC);

    /* FIX16K_80000 (index 1): byte 3 types 0x8C000-0x8FFFF. */
    s.fixed[1] = fixed_all(MEMORY_TYPE_WB);
    s.fixed[1] &= ~(UINT64_C(0xff) << 24);
    s.fixed[1] |= (uint64_t)MEMORY_TYPE_WT << 24;
    CHECK_RANGE(s, 0x8C000, KIB(16), MTRR_RANGE_UNIFORM, MEMORY_TYPE_WT);
    CHECK_RANGE(s, 0x8B000, KIB(4), MTRR_RANGE_UNIFORM, MEMORY_TYPE_WB);
    CHECK_RANGE(s, 0x90000, KIB(4), MTRR_RANGE_UNIFORM, MEMORY_TYPE_WB);

    /* FIX64K_00000: byte 7 types 0x70000-0x7FFFF. */
    s.fixed[0] = fixed_all(MEMORY_TYPE_WB);
    s.fixed[0] &= ~(UINT64_C(0xff) << 56);
    s.fixed[0] |= (uint64_t)MEMORY_TYPE_WT << 56;
    CHECK_RANGE(s, 0x70000, KIB(64), MTRR_RANGE_UNIFORM, MEMORY_TYPE_WT);
    CHECK_RANGE(s, 0x6F000, KIB(8), MTRR_RANGE_MIXED, MEMORY_TYPE_WB);
}

TEST(fixed_ranges_off_use_variable_and_default)
{
    struct mtrr_state s = wb_default_with_uc_hole();

    s.def_type &= ~MTRR_DEF_TYPE_FE;
    CHECK_RANGE(s, 0xA0000, 0x20000, MTRR_RANGE_UNIFORM, MEMORY_TYPE_WB);
    CHECK_RANGE(s, 0, MIB(4), MTRR_RANGE_UNIFORM, MEMORY_TYPE_WB);

    /* FE set but the CPU has no fixed ranges: they cannot be enabled. */
    s = wb_default_with_uc_hole();
    s.cap &= ~MTRRCAP_FIX;
    CHECK_RANGE(s, 0xA0000, 0x20000, MTRR_RANGE_UNIFORM, MEMORY_TYPE_WB);
}

TEST(uc_default_wb_ranges)
{
    struct mtrr_state s = uc_default_with_wb_ranges();

    CHECK_RANGE(s, 0, MIB(2), MTRR_RANGE_UNIFORM, MEMORY_TYPE_WB);
    CHECK_RANGE(s, MIB(1), GIB(2) - MIB(17), MTRR_RANGE_UNIFORM, MEMORY_TYPE_WB);
    /* The UC range inside WB range 0: UC wins the overlap. */
    CHECK_RANGE(s, GIB(2) - MIB(16), MIB(16), MTRR_RANGE_UNIFORM, MEMORY_TYPE_UC);
    CHECK_RANGE(s, GIB(2) - MIB(16) - KIB(4), KIB(8), MTRR_RANGE_MIXED, MEMORY_TYPE_WB);
    /* Two adjacent WB ranges read as one. */
    CHECK_RANGE(s, GIB(2), GIB(1), MTRR_RANGE_UNIFORM, MEMORY_TYPE_WB);
    CHECK_RANGE(s, GIB(2) - MIB(2), MIB(4), MTRR_RANGE_MIXED, MEMORY_TYPE_UC);
    /* No range covers 3-4 GiB or 8 GiB up: the default. */
    CHECK_RANGE(s, GIB(3), GIB(1), MTRR_RANGE_UNIFORM, MEMORY_TYPE_UC);
    CHECK_RANGE(s, GIB(4), GIB(4), MTRR_RANGE_UNIFORM, MEMORY_TYPE_WB);
    CHECK_RANGE(s, GIB(8), MIB(2), MTRR_RANGE_UNIFORM, MEMORY_TYPE_UC);
    CHECK_RANGE(s, GIB(8) - MIB(2), MIB(4), MTRR_RANGE_MIXED, MEMORY_TYPE_WB);
}

TEST(invalid_and_unused_pairs_are_ignored)
{
    struct mtrr_state s = uc_default_with_wb_ranges();

    /* V clear: range 1 no longer makes 2-3 GiB WB. */
    s.variable[1].mask &= ~MTRR_PHYSMASK_VALID;
    CHECK_RANGE(s, GIB(2), GIB(1), MTRR_RANGE_UNIFORM, MEMORY_TYPE_UC);

    /* A valid pair past VCNT is not a range the CPU has. */
    s = uc_default_with_wb_ranges();
    s.cap = (s.cap & ~(uint64_t)MTRRCAP_VCNT_MASK) | 2;
    CHECK_RANGE(s, GIB(4), GIB(4), MTRR_RANGE_UNIFORM, MEMORY_TYPE_UC);
    CHECK_RANGE(s, GIB(2) - MIB(16), MIB(16), MTRR_RANGE_UNIFORM, MEMORY_TYPE_WB);
}

TEST(overlap_rules)
{
    struct mtrr_state s;

    memset(&s, 0, sizeof s);
    s.cap = CAP_8_VAR_FIX_WC;
    s.def_type = MTRR_DEF_TYPE_E | MEMORY_TYPE_UC;
    s.maxphyaddr = M36;

    /* Same type twice: that type. */
    s.variable[0] = var_range(0, GIB(1), MEMORY_TYPE_WB);
    s.variable[1] = var_range(0, MIB(256), MEMORY_TYPE_WB);
    CHECK_RANGE(s, 0, MIB(256), MTRR_RANGE_UNIFORM, MEMORY_TYPE_WB);

    /* WT with WB: WT, a defined overlap. */
    s.variable[1] = var_range(0, MIB(256), MEMORY_TYPE_WT);
    CHECK_RANGE(s, 0, MIB(256), MTRR_RANGE_UNIFORM, MEMORY_TYPE_WT);
    CHECK_RANGE(s, MIB(256), MIB(256), MTRR_RANGE_UNIFORM, MEMORY_TYPE_WB);

    /* WC with WB: undefined, reported, treated as UC. */
    s.variable[1] = var_range(0, MIB(256), MEMORY_TYPE_WC);
    CHECK_RANGE(s, 0, MIB(2), MTRR_RANGE_UC_UNDEFINED, MEMORY_TYPE_UC);
    CHECK_RANGE(s, MIB(256), MIB(2), MTRR_RANGE_UNIFORM, MEMORY_TYPE_WB);

    /* WP with WT: undefined as well. */
    s.variable[0] = var_range(0, GIB(1), MEMORY_TYPE_WP);
    s.variable[1] = var_range(0, MIB(256), MEMORY_TYPE_WT);
    CHECK_RANGE(s, 0, MIB(256), MTRR_RANGE_UC_UNDEFINED, MEMORY_TYPE_UC);

    /* Three-way with UC: UC, defined. */
    s.variable[2] = var_range(0, MIB(128), MEMORY_TYPE_UC);
    CHECK_RANGE(s, 0, MIB(128), MTRR_RANGE_UNIFORM, MEMORY_TYPE_UC);

    /* Defined UC next to undefined UC: one type, but flagged. */
    CHECK_RANGE(s, MIB(126), MIB(4), MTRR_RANGE_UC_UNDEFINED, MEMORY_TYPE_UC);

    /* Undefined UC next to the WP of range 0 alone: mixed. */
    CHECK_RANGE(s, MIB(254), MIB(4), MTRR_RANGE_MIXED, MEMORY_TYPE_UC);
}

TEST(non_contiguous_mask)
{
    struct mtrr_state s;

    memset(&s, 0, sizeof s);
    s.cap = CAP_8_VAR_FIX_WC;
    s.def_type = MTRR_DEF_TYPE_E | MEMORY_TYPE_WB;
    s.maxphyaddr = M36;
    /* Mask bits 35:21 and 19:12 set, bit 20 clear: the range is the 4 KiB
     * at 0 and again the 4 KiB at 1 MiB. */
    s.variable[0].base = MEMORY_TYPE_UC;
    s.variable[0].mask = (ADDR_BITS_36 & MTRR_PHYS_ADDR_MASK & ~(UINT64_C(1) << 20)) |
                         MTRR_PHYSMASK_VALID;
    CHECK_RANGE(s, 0, KIB(4), MTRR_RANGE_UNIFORM, MEMORY_TYPE_UC);
    CHECK_RANGE(s, KIB(4), MIB(1) - KIB(4), MTRR_RANGE_UNIFORM, MEMORY_TYPE_WB);
    CHECK_RANGE(s, MIB(1), KIB(4), MTRR_RANGE_UNIFORM, MEMORY_TYPE_UC);
    CHECK_RANGE(s, MIB(1) - KIB(4), KIB(8), MTRR_RANGE_MIXED, MEMORY_TYPE_WB);
    CHECK_RANGE(s, MIB(1) + KIB(4), MIB(1) - KIB(4), MTRR_RANGE_UNIFORM, MEMORY_TYPE_WB);
    CHECK_RANGE(s, MIB(2), MIB(2), MTRR_RANGE_UNIFORM, MEMORY_TYPE_WB);
}

TEST(bits_beyond_maxphyaddr_are_not_address_bits)
{
    struct mtrr_state s = wb_default_with_uc_hole();

    /* Values written for a wider MAXPHYADDR (40): bits 39:36 of PhysBase and
     * PhysMask are no address bits at 36 and must not stop the match. */
    s.variable[0].mask |= UINT64_C(0xf) << 36;
    s.variable[0].base |= UINT64_C(1) << 36;
    CHECK_RANGE(s, GIB(3), GIB(1), MTRR_RANGE_UNIFORM, MEMORY_TYPE_UC);
    CHECK_RANGE(s, GIB(2), GIB(1), MTRR_RANGE_UNIFORM, MEMORY_TYPE_WB);
    /* At 40 they are: the range is 67-68 GiB, and 3-4 GiB is WB. */
    s.maxphyaddr = 40;
    CHECK_RANGE(s, GIB(3), GIB(1), MTRR_RANGE_UNIFORM, MEMORY_TYPE_WB);
    CHECK_RANGE(s, GIB(67), GIB(1), MTRR_RANGE_UNIFORM, MEMORY_TYPE_UC);
}

TEST(invalid_ranges)
{
    struct mtrr_state s = wb_default_with_uc_hole();
    uint8_t t = 0xee;

    CHECK_EQ_I(mtrr_type_of_range(&s, 0, 0, &t), MTRR_RANGE_INVALID);
    CHECK_EQ_I(mtrr_type_of_range(&s, GIB(64), KIB(4), &t), MTRR_RANGE_INVALID);
    CHECK_EQ_I(mtrr_type_of_range(&s, GIB(64) - KIB(4), KIB(8), &t), MTRR_RANGE_INVALID);
    CHECK_EQ_I(mtrr_type_of_range(&s, KIB(4), UINT64_MAX, &t), MTRR_RANGE_INVALID);
    CHECK_EQ_U(t, 0xee);
    CHECK_EQ_I(mtrr_type_of_range(&s, 0, GIB(64), &t), MTRR_RANGE_MIXED);
    s.maxphyaddr = 0;
    CHECK_EQ_I(mtrr_type_of_range(&s, 0, KIB(4), &t), MTRR_RANGE_INVALID);
    s.maxphyaddr = 53;
    CHECK_EQ_I(mtrr_type_of_range(&s, 0, KIB(4), &t), MTRR_RANGE_INVALID);
    s.maxphyaddr = 52;
    CHECK_EQ_I(mtrr_type_of_range(&s, (UINT64_C(1) << 52) - KIB(4), KIB(4), &t),
               MTRR_RANGE_UNIFORM);
}

TEST(type_names)
{
    CHECK_STR(memory_type_name(MEMORY_TYPE_UC), "UC");
    CHECK_STR(memory_type_name(MEMORY_TYPE_WC), "WC");
    CHECK_STR(memory_type_name(MEMORY_TYPE_WT), "WT");
    CHECK_STR(memory_type_name(MEMORY_TYPE_WP), "WP");
    CHECK_STR(memory_type_name(MEMORY_TYPE_WB), "WB");
    CHECK_STR(memory_type_name(2), "reserved");
    CHECK_STR(memory_type_name(7), "reserved");
}
