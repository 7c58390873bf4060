/*
 * paging_pae: the MMU under PAE paging (SDM vol. 3A 4.4): CR4.PAE = 1
 * outside IA-32e mode, 2 MiB large pages, EFER.NXE = 1 when CPUID has NX.
 *
 * The shared checks of paging/suite.c, then what PAE paging does its own
 * way: its four PDPTEs are loaded into the CPU by MOV CR3 (SDM vol. 3A
 * 4.4.1), so
 *   - a PDPTE with P = 1 and a reserved bit set makes MOV CR3 raise #GP(0),
 *     and CR3 keeps its old value;
 *   - a PDPTE changed in memory is used once CR3 is loaded again;
 *   - CR3 names a 32-byte aligned PDPT (bits 31:5), so several PDPTs can
 *     share one page and still be different address spaces;
 *   - a PDPTE with P = 0: accesses under it raise #PF(0).
 *
 * Expected under keel (EPT and shadow paging) and bare: pass; checks of
 * features the CPU lacks (NX, SMEP, SMAP, PGE) SKIP; the #GP check is
 * keel-only because QEMU 7.2's TCG walks the PDPT in memory and never
 * raises it.
 */
#include "lib/guest.h"
#include "paging/suite.c"

/* PAE PDPTE bits 2:1 are reserved (SDM vol. 3A table 4-8). */
#define PDPTE_RESERVED_BIT1 (1ull << 1)
#define PDPT_ALIGN          32u
#define PDPT_BYTES          (4 * sizeof(uint64_t))

static bool pdpte_reserved_bit_faults_on_cr3_load(void)
{
    struct pt_space s = paging_new_space(false);
    pt_map(&s, TEST_VA, paging_new_frame(FRAME_A_SIGNATURE), PT_PTE, PTE_P | PTE_RW);
    pt_update(&s, TEST_VA, PT_PDPTE, 0, PDPTE_RESERVED_BIT1);
    uint32_t before = read_cr3();
    fault_reset();
    __asm__ __volatile__(ASM_TRY("mov %0, %%cr3") : : "r"(s.root) : "memory");
    bool at_mov = fault_at_try(GP_VECTOR);
    uint32_t error_code = last_fault.error_code;
    uint32_t after = read_cr3();
    paging_leave();
    if (!at_mov || error_code != 0 || after != before) {
        const char *raised =
            last_fault.vector == NO_FAULT ? "no fault" : exception_name(last_fault.vector);
        printf("%s: MOV CR3 0x%08x: %s error 0x%x; CR3 0x%08x -> 0x%08x\n", paging_guest(),
               s.root, raised, error_code, before, after);
        return false;
    }
    return true;
}

static bool pdpte_change_seen_after_cr3_load(void)
{
    struct pt_space s = paging_new_space(false);
    struct pt_space other = paging_new_space(false);
    pt_map(&s, TEST_VA, paging_new_frame(FRAME_A_SIGNATURE), PT_PTE, PTE_P | PTE_RW);
    pt_map(&other, TEST_VA, paging_new_frame(FRAME_B_SIGNATURE), PT_PTE, PTE_P | PTE_RW);
    paging_enter(&s);
    bool ok = read_sees("before the PDPTE change", TEST_VA, FRAME_A_SIGNATURE);
    pt_share(&s, &other, TEST_VA, PT_PDPTE);
    write_cr3(read_cr3());
    ok = read_sees("after the PDPTE change and MOV CR3", TEST_VA, FRAME_B_SIGNATURE) && ok;
    paging_leave();
    return ok;
}

/* Two PDPTs in one page, at offsets 0 and 32: copies of the roots of two
 * hierarchies that map TEST_VA to different frames. */
static bool pdpts_sharing_a_page(void)
{
    struct pt_space s[2] = { paging_new_space(false), paging_new_space(false) };
    const uint32_t signature[2] = { FRAME_A_SIGNATURE, FRAME_B_SIGNATURE };
    uint32_t page = page_alloc();
    uint32_t cr3[2];
    for (int i = 0; i < 2; i++) {
        pt_map(&s[i], TEST_VA, paging_new_frame(signature[i]), PT_PTE, PTE_P | PTE_RW);
        cr3[i] = page + (uint32_t)i * PDPT_ALIGN;
        memcpy((void *)(uintptr_t)cr3[i], (const void *)(uintptr_t)s[i].root, PDPT_BYTES);
    }
    bool ok = true;
    for (int round = 0; round < 4; round++) {
        int i = round & 1;
        write_cr3(cr3[i]);
        char what[48];
        snprintf(what, sizeof(what), "CR3 = PDPT page + 0x%x", cr3[i] - page);
        ok = read_sees(what, TEST_VA, signature[i]) && ok;
    }
    paging_leave();
    return ok;
}

static bool not_present_pdpte(void)
{
    struct pt_space s = paging_new_space(false);
    pt_set(&s, TEST_VA, PT_PDPTE, 0);
    paging_enter(&s);
    struct access read = paging_read(TEST_VA);
    struct access write = paging_write(TEST_VA, 1);
    paging_leave();
    return paging_expect_page_fault("read", read, TEST_VA, 0) &&
           paging_expect_page_fault("write", write, TEST_VA, PF_ERR_W);
}

static const struct paging_test pae_tests[] = {
    { "PDPTE with a reserved bit set: MOV CR3 raises #GP(0) and CR3 keeps its value",
      PAGING_NEEDS_KEEL, pdpte_reserved_bit_faults_on_cr3_load },
    { "PDPTE pointed at another page directory: used after the next MOV CR3",
      PAGING_NEEDS_NOTHING, pdpte_change_seen_after_cr3_load },
    { "two PDPTs in one page (CR3 = page + 0x00 / + 0x20) are two address spaces",
      PAGING_NEEDS_NOTHING, pdpts_sharing_a_page },
    { "not-present PDPTE: read raises #PF(0), write #PF(W)", PAGING_NEEDS_NOTHING,
      not_present_pdpte },
};

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    paging_suite_start(PT_MODE_PAE, "paging_pae");
    paging_suite_run(paging_common_tests, paging_common_test_count);
    paging_suite_run(pae_tests, ARRAY_SIZE(pae_tests));
}
