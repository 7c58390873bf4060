/*
 * paging64: the MMU under 4-level paging (SDM vol. 3A 4.5), in IA-32e mode
 * the guest enters itself (lib/longmode.h: PAE, EFER.LME, CR0.PG, then a far
 * jump to a 64-bit code segment).  The guest's C code then runs in
 * compatibility mode, which translates through the same 4-level tables;
 * accesses above 4 GiB go through lib/longmode.h's 64-bit thunks.
 *
 * The shared checks of paging/suite.c at 1 GiB (PML4E 0, PDPTE 1), then
 * what only 4-level paging has:
 *   - IA-32e mode is really active and 64-bit code runs;
 *   - address spaces that differ at PML4E 511 (the upper canonical half),
 *     switched by MOV CR3 1000 times, accessed in 64-bit mode;
 *   - a remap at PML4E 1 seen after a 64-bit INVLPG;
 *   - A set in the PML4E, PDPTE and PDE above a 64-bit access;
 *   - not-present PML4E and PDPTE: #PF(0) with the full 64-bit CR2;
 *   - PS in a PML4E is reserved; PS in a PDPTE is reserved without 1 GiB
 *     pages, and maps a 1 GiB page (with A/D) with them;
 *   - XD in a PML4E forbids fetches from everything below it.
 *
 * Expected under keel (EPT and shadow paging) and bare: pass; checks of
 * features the CPU lacks (NX, SMEP, SMAP, PGE, 1 GiB pages) SKIP, and so
 * does everything on a CPU without long mode.  "PS in a PDPTE without 1 GiB
 * pages" is keel-only: QEMU 7.2's TCG maps a 1 GiB page even when its CPUID
 * says it has none.
 */
#include "lib/guest.h"
#include "lib/longmode.h"
#include "paging/suite.c"

/* Upper-half and lower-half addresses whose walks use PML4 entries other
 * than 0 (index = bits 47:39). */
#define VA_PML4E_511 0xFFFFFF8040000000ull
#define VA_PML4E_256 0xFFFF800040000000ull
#define VA_PML4E_1   0x0000008040000000ull
/* A 1 GiB-aligned address below 4 GiB, PDPTE 2 of PML4E 0. */
#define VA_1G_PAGE   0x80000000u

/* One 64-bit mode access and what it raised. */
struct access64 {
    int vector;
    uint32_t error_code;
    uint64_t cr2;
    uint32_t fault_eip;
    uint32_t fault_site;
    uint64_t value;
};

static struct access64 access64_result(uint32_t fault_site, uint64_t value)
{
    return (struct access64){
        .vector = last_fault.vector,
        .error_code = last_fault.error_code,
        .cr2 = longmode_read_cr2(),
        .fault_eip = last_fault.eip,
        .fault_site = fault_site,
        .value = value,
    };
}

static struct access64 load64(uint64_t va)
{
    access_start();
    uint64_t v = longmode_load(va);
    return access64_result(fault_try_eip, v);
}

static struct access64 store64(uint64_t va, uint64_t value)
{
    access_start();
    longmode_store(va, value);
    return access64_result(fault_try_eip, 0);
}

static struct access64 call64(uint64_t va)
{
    access_start();
    longmode_call(va);
    return access64_result((uint32_t)va, 0);
}

static bool expect_no_fault64(const char *what, struct access64 a)
{
    if (a.vector == NO_FAULT)
        return true;
    printf("%s: %s: %s error 0x%x CR2 0x%016llx at 0x%08x, expected no fault\n", paging_guest(),
           what, exception_name(a.vector), a.error_code, (unsigned long long)a.cr2, a.fault_eip);
    return false;
}

static bool expect_page_fault64(const char *what, struct access64 a, uint64_t va,
                                uint32_t error_code)
{
    if (!is_keel() && (error_code & PF_ERR_RSVD) && a.vector == PF_VECTOR &&
        a.error_code == (error_code & ~PF_ERR_P)) {
        printf("%s: %s: error 0x%x lacks P; accepted bare (QEMU 7.2 TCG omits it), "
               "not under keel\n", paging_guest(), what, a.error_code);
        a.error_code |= PF_ERR_P;
    }
    if (a.vector == PF_VECTOR && a.error_code == error_code && a.cr2 == va &&
        a.fault_eip == a.fault_site)
        return true;
    if (a.vector == NO_FAULT)
        printf("%s: %s: no fault\n", paging_guest(), what);
    else
        printf("%s: %s: %s error 0x%x CR2 0x%016llx at 0x%08x\n", paging_guest(), what,
               exception_name(a.vector), a.error_code, (unsigned long long)a.cr2, a.fault_eip);
    printf("%s: %s: expected #PF error 0x%x CR2 0x%016llx at 0x%08x\n", paging_guest(), what,
           error_code, (unsigned long long)va, a.fault_site);
    return false;
}

static bool load64_sees(const char *what, uint64_t va, uint64_t expected)
{
    struct access64 a = load64(va);
    if (!expect_no_fault64(what, a))
        return false;
    if (a.value == expected)
        return true;
    printf("%s: %s: read 0x%016llx, expected 0x%016llx\n", paging_guest(), what,
           (unsigned long long)a.value, (unsigned long long)expected);
    return false;
}

/* ---- IA-32e mode ------------------------------------------------------------------ */

static bool ia32e_mode_active(void)
{
    uint32_t efer = efer_read();
    bool ok = (efer & EFER_LMA) && (efer & EFER_LME) && longmode_64bit_code_ran();
    printf("%s: EFER 0x%x (LME %u, LMA %u), 64-bit code segment ran: %s\n", paging_guest(),
           efer, (efer & EFER_LME) ? 1 : 0, (efer & EFER_LMA) ? 1 : 0,
           longmode_64bit_code_ran() ? "yes" : "no");
    /* A 64-bit load of an identity-mapped quadword sees all 64 bits. */
    uint32_t f = paging_new_frame(0x89ABCDEFu);
    paging_phys_word(f)[1] = 0x01234567u;
    return load64_sees("64-bit load", f, 0x0123456789ABCDEFull) && ok;
}

/* ---- high addresses ---------------------------------------------------------------- */

static uint64_t high_signature(unsigned s)
{
    return 0x6464646400000000ull | s;
}

static bool switch_address_spaces_high(void)
{
    struct pt_space spaces[NR_SPACES];
    uint32_t own[NR_SPACES];
    for (unsigned s = 0; s < NR_SPACES; s++) {
        spaces[s] = paging_new_space(false);
        own[s] = page_alloc();
        paging_phys_word(own[s])[0] = (uint32_t)high_signature(s);
        paging_phys_word(own[s])[1] = (uint32_t)(high_signature(s) >> 32);
        pt_map(&spaces[s], VA_PML4E_511, own[s], PT_PTE, PTE_P | PTE_RW);
    }
    uint32_t lcg = 7;
    unsigned wrong = 0;
    for (uint32_t i = 0; i < NR_SWITCHES; i++) {
        lcg = lcg * LCG_MULTIPLIER + LCG_INCREMENT;
        unsigned s = (lcg >> 16) % NR_SPACES;
        paging_enter(&spaces[s]);
        struct access64 a = load64(VA_PML4E_511);
        if ((a.vector != NO_FAULT || a.value != high_signature(s)) && wrong++ == 0)
            printf("%s: switch %u to space %u: %s, read 0x%016llx\n", paging_guest(), i, s,
                   a.vector == NO_FAULT ? "no fault" : exception_name(a.vector),
                   (unsigned long long)a.value);
        store64(VA_PML4E_511 + 8, i);
    }
    paging_leave();
    printf("%s: %u switches at 0x%016llx, %u wrong reads\n", paging_guest(), NR_SWITCHES,
           (unsigned long long)VA_PML4E_511, wrong);
    return wrong == 0;
}

static bool remap_high_with_invlpg(void)
{
    struct pt_space s = paging_new_space(false);
    uint32_t a = paging_new_frame(FRAME_A_SIGNATURE);
    uint32_t b = paging_new_frame(FRAME_B_SIGNATURE);
    pt_map(&s, VA_PML4E_1, a, PT_PTE, PTE_P | PTE_RW);
    paging_enter(&s);
    bool ok = load64_sees("before the remap", VA_PML4E_1, FRAME_A_SIGNATURE);
    pt_map(&s, VA_PML4E_1, b, PT_PTE, PTE_P | PTE_RW);
    longmode_invlpg(VA_PML4E_1);
    ok = load64_sees("after the remap", VA_PML4E_1, FRAME_B_SIGNATURE) && ok;
    paging_leave();
    return ok;
}

static bool accessed_at_all_levels(void)
{
    struct pt_space s = paging_new_space(false);
    pt_map(&s, VA_PML4E_256, paging_new_frame(FRAME_A_SIGNATURE), PT_PTE, PTE_P | PTE_RW);
    paging_enter(&s);
    bool ok = true;
    for (enum pt_level l = PT_PTE; l <= PT_PML4E; l++)
        ok = entry_bits_are("before any access", &s, VA_PML4E_256, l, PTE_A, 0) && ok;
    ok = load64_sees("64-bit read", VA_PML4E_256, FRAME_A_SIGNATURE) && ok;
    paging_leave();
    for (enum pt_level l = PT_PTE; l <= PT_PML4E; l++) {
        uint64_t entry = pt_get(&s, VA_PML4E_256, l);
        if ((entry & (PTE_A | PTE_D)) != PTE_A) {
            printf("%s: after a read: %s 0x%016llx: A/D not A only\n", paging_guest(),
                   pt_level_name(l), (unsigned long long)entry);
            ok = false;
        }
    }
    return ok;
}

static bool not_present_upper_level(enum pt_level level, uint64_t va)
{
    struct pt_space s = paging_new_space(false);
    pt_set(&s, va, level, 0);
    paging_enter(&s);
    struct access64 read = load64(va);
    struct access64 write = store64(va, 1);
    paging_leave();
    return expect_page_fault64("64-bit read", read, va, 0) &&
           expect_page_fault64("64-bit write", write, va, PF_ERR_W);
}

static bool not_present_pml4e_and_pdpte(void)
{
    return not_present_upper_level(PT_PML4E, VA_PML4E_511) &&
           not_present_upper_level(PT_PDPTE, VA_PML4E_1);
}

static bool ps_in_pml4e_is_reserved(void)
{
    struct pt_space s = paging_new_space(false);
    pt_map(&s, VA_PML4E_1, paging_new_frame(FRAME_A_SIGNATURE), PT_PTE, PTE_P | PTE_RW);
    pt_update(&s, VA_PML4E_1, PT_PML4E, 0, PTE_PS);
    paging_enter(&s);
    struct access64 read = load64(VA_PML4E_1);
    paging_leave();
    return expect_page_fault64("64-bit read", read, VA_PML4E_1, PF_ERR_P | PF_ERR_RSVD);
}

static bool ps_in_pdpte_is_reserved(void)
{
    struct pt_space s = paging_new_space(false);
    pt_map(&s, VA_1G_PAGE, 0, PT_PDPTE, PTE_P | PTE_RW);
    paging_enter(&s);
    struct access read = paging_read(VA_1G_PAGE);
    paging_leave();
    return paging_expect_reserved_bit_fault("read", read, VA_1G_PAGE, PF_ERR_P | PF_ERR_RSVD);
}

/* A 1 GiB page at VA_1G_PAGE mapping physical 0: it aliases the identity
 * map, so a word written through it shows at the same offset below.  Only
 * offsets inside the VM's RAM: keel stops a VM that reads guest-physical
 * memory it does not have. */
static bool page_1g_translates(void)
{
    uint32_t f = paging_new_frame(0);
    const uint32_t offsets[] = { f, f + 0x7FC, ram_end() - 4 };
    struct pt_space s = paging_new_space(false);
    pt_map(&s, VA_1G_PAGE, 0, PT_PDPTE, PTE_P | PTE_RW);
    paging_enter(&s);
    bool ok = true;
    for (size_t i = 0; i < ARRAY_SIZE(offsets); i++) {
        *paging_phys_word(offsets[i]) = 0x1600D000u + (uint32_t)i;
        ok = read_sees("read through the 1 GiB page", VA_1G_PAGE + offsets[i],
                       0x1600D000u + (uint32_t)i) && ok;
        ok = paging_expect_no_fault("write through the 1 GiB page",
                                    paging_write(VA_1G_PAGE + offsets[i], ~offsets[i])) && ok;
        ok = paging_expect_value("identity word after the write", *paging_phys_word(offsets[i]),
                                 ~offsets[i]) && ok;
    }
    paging_leave();
    return ok;
}

static bool page_1g_accessed_dirty(void)
{
    struct pt_space s = paging_new_space(false);
    uint32_t f = paging_new_frame(0);
    pt_map(&s, VA_1G_PAGE, 0, PT_PDPTE, PTE_P | PTE_RW);
    paging_enter(&s);
    bool ok = entry_bits_are("before any access", &s, VA_1G_PAGE, PT_PDPTE, PTE_A | PTE_D, 0);
    ok = paging_expect_no_fault("read", paging_read(VA_1G_PAGE + f)) && ok;
    ok = entry_bits_are("after a read", &s, VA_1G_PAGE, PT_PDPTE, PTE_A | PTE_D, PTE_A) && ok;
    ok = paging_expect_no_fault("write", paging_write(VA_1G_PAGE + f, 1)) && ok;
    ok = entry_bits_are("after a write", &s, VA_1G_PAGE, PT_PDPTE, PTE_A | PTE_D,
                        PTE_A | PTE_D) && ok;
    paging_leave();
    return ok;
}

static bool xd_in_pml4e(void)
{
    struct pt_space s = paging_new_space(false);
    pt_map(&s, VA_PML4E_1, paging_new_ret_frame(), PT_PTE, PTE_P | PTE_RW);
    paging_enter(&s);
    bool ok = expect_no_fault64("64-bit call without XD", call64(VA_PML4E_1));
    pt_update(&s, VA_PML4E_1, PT_PML4E, 0, PTE_XD);
    longmode_invlpg(VA_PML4E_1);
    ok = expect_page_fault64("64-bit call under an XD PML4E", call64(VA_PML4E_1), VA_PML4E_1,
                             PF_ERR_P | PF_ERR_ID) && ok;
    paging_leave();
    return ok;
}

static const struct paging_test paging64_tests[] = {
    { "IA-32e mode active (EFER.LMA=1), 64-bit code runs, 64-bit loads see 64 bits",
      PAGING_NEEDS_NOTHING, ia32e_mode_active },
    { "8 address spaces differing at PML4E 511: 1000 MOV CR3 switches, 64-bit reads see "
      "their own frame", PAGING_NEEDS_NOTHING, switch_address_spaces_high },
    { "page at PML4E 1 remapped: seen after a 64-bit INVLPG", PAGING_NEEDS_NOTHING,
      remap_high_with_invlpg },
    { "a 64-bit read sets A (not D) in the PTE, PDE, PDPTE and PML4E of PML4E 256",
      PAGING_NEEDS_NOTHING, accessed_at_all_levels },
    { "not-present PML4E / PDPTE: #PF(0) and #PF(W) with the 64-bit CR2",
      PAGING_NEEDS_NOTHING, not_present_pml4e_and_pdpte },
    { "PS in a PML4E is reserved: #PF(P|RSVD)", PAGING_NEEDS_NOTHING, ps_in_pml4e_is_reserved },
    { "PS in a PDPTE without 1 GiB pages is reserved: #PF(P|RSVD)",
      PAGING_NEEDS_KEEL_WITHOUT_1G_PAGES, ps_in_pdpte_is_reserved },
    { "1 GiB page translates offsets to its frame", PAGING_NEEDS_1G_PAGES, page_1g_translates },
    { "1 GiB page: a read sets A in the PDPTE, a write sets D", PAGING_NEEDS_1G_PAGES,
      page_1g_accessed_dirty },
    { "XD in a PML4E forbids 64-bit fetches below it", PAGING_NEEDS_XD, xd_in_pml4e },
};

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    paging_suite_start(PT_MODE_4LEVEL, "paging64");
    paging_suite_run(paging64_tests, 1);
    paging_suite_run(paging_common_tests, paging_common_test_count);
    paging_suite_run(paging64_tests + 1, ARRAY_SIZE(paging64_tests) - 1);
}
