/*
 * paging32: the MMU under 32-bit paging (SDM vol. 3A 4.3), CR4.PAE = 0,
 * CR4.PSE = 1 when CPUID has PSE (4 MiB pages).
 *
 * The shared checks of paging/suite.c (address spaces switched by MOV CR3,
 * remapping with INVLPG and with a CR3 reload, CR0.WP, user/supervisor at
 * CPL 3, SMEP/SMAP, 4 MiB pages, A/D bits, not-present and reserved-bit
 * faults, upgrades without INVLPG), then what only 32-bit paging has:
 *   - CR4.PSE = 0 makes the PS bit of a PDE meaningless: the PDE still
 *     points to a page table (SDM vol. 3A table 4-5);
 *   - no XD bit: those checks SKIP.
 *
 * Expected under keel (EPT and shadow paging) and bare: pass; checks of
 * features the CPU lacks (SMEP, SMAP, PGE, PSE) SKIP.
 */
#include "lib/guest.h"
#include "paging/suite.c"

/* A hierarchy whose identity map uses 4 KiB pages only, so that it stays
 * valid with CR4.PSE = 0. */
static struct pt_space space_with_small_page_identity(void)
{
    struct pt_space s;
    pt_init(&s, PT_MODE_32BIT);
    pt_map_range(&s, 0, 0, ram_end(), PT_PTE, PTE_P | PTE_RW);
    return s;
}

static bool pse_off_ignores_ps(void)
{
    struct pt_space s = space_with_small_page_identity();
    uint32_t f = paging_new_frame(0x7E57F00Du);
    pt_map(&s, TEST_VA, f, PT_PTE, PTE_P | PTE_RW);
    pt_update(&s, TEST_VA, PT_PDE, 0, PTE_PS);
    paging_enter(&s);
    paging_set_cr4_bits(CR4_PSE, false);
    /* A change of CR4.PSE alone is not among the MOV to CR4 cases that
     * invalidate the TLB (SDM vol. 3A 4.10.4.1): drop what the PDE may be
     * cached as. */
    write_cr3(read_cr3());
    struct access read = paging_read(TEST_VA);
    paging_set_cr4_bits(CR4_PSE, cpu_has_pse());
    paging_leave();
    return paging_expect_no_fault("read with CR4.PSE=0", read) &&
           paging_expect_value("read with CR4.PSE=0", read.value, 0x7E57F00Du);
}

static const struct paging_test paging32_tests[] = {
    { "CR4.PSE=0: the PS bit of a PDE is ignored, the PDE points to a page table",
      PAGING_NEEDS_NOTHING, pse_off_ignores_ps },
};

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    paging_suite_start(PT_MODE_32BIT, "paging32");
    paging_suite_run(paging_common_tests, paging_common_test_count);
    paging_suite_run(paging32_tests, ARRAY_SIZE(paging32_tests));
}
