/*
 * The shared MMU checks (paging/suite.h).  #included by paging32.c,
 * paging_pae.c and paging64.c; never built on its own.
 *
 * Each check builds its own hierarchies, so no check depends on what an
 * earlier one left in the TLB, and puts CR0/CR4/EFER back before it
 * returns, pass or fail.
 */
#include <stdbool.h>
#include <stdint.h>

#include "lib/idt.h"
#include "lib/keel.h"
#include "lib/page_alloc.h"
#include "lib/pagetable.h"
#include "lib/paging.h"
#include "lib/paging_arch.h"
#include "lib/paging_cpu.h"
#include "lib/report.h"
#include "lib/runner.h"
#include "lib/string.h"
#include "lib/usermode.h"
#include "lib/x86.h"
#include "paging/suite.h"

#define RET_OPCODE 0xC3u
/* What a read from a frame of RETs returns. */
#define RET_FRAME_WORD (RET_OPCODE * 0x01010101u)

/* Values the frames hold, so that a read shows which frame it reached. */
#define FRAME_A_SIGNATURE 0xA0A0A0A0u
#define FRAME_B_SIGNATURE 0xB0B0B0B0u

static enum pt_mode suite_mode;
static const char *suite_guest = "paging";
static bool suite_mode_available;
static const char *suite_unavailable_reason;
static struct pt_space supervisor_identity;
static struct pt_space user_identity;
static struct pt_space base_space;
static uint32_t identity_bytes;
static uint32_t large_frames[2];

/* ---- set-up ----------------------------------------------------------------------- */

const char *paging_guest(void)
{
    return suite_guest;
}

uint32_t paging_large_size(void)
{
    return (uint32_t)pt_level_span(suite_mode, PT_PDE);
}

static bool mode_has_large_pages(void)
{
    return suite_mode != PT_MODE_32BIT || cpu_has_pse();
}

/* The level of the identity map's leaves: large pages where possible. */
static enum pt_level identity_level(void)
{
    return mode_has_large_pages() ? PT_PDE : PT_PTE;
}

static void build_identity(struct pt_space *space, uint64_t user_flag)
{
    pt_init(space, suite_mode);
    pt_map_range(space, 0, 0, identity_bytes, identity_level(), PTE_P | PTE_RW | user_flag);
}

struct pt_space paging_new_space(bool user)
{
    struct pt_space space;
    const struct pt_space *identity = user ? &user_identity : &supervisor_identity;
    pt_init(&space, suite_mode);
    if (suite_mode == PT_MODE_32BIT) {
        /* The root holds the identity map's PDEs themselves. */
        for (uint32_t va = 0; va < identity_bytes; va += paging_large_size())
            pt_share(&space, identity, va, PT_PDE);
    } else {
        /* One PDPTE covers the identity map (at most 1 GiB). */
        pt_share(&space, identity, 0, PT_PDPTE);
    }
    return space;
}

void paging_enter(const struct pt_space *space)
{
    pt_activate(space);
}

void paging_leave(void)
{
    pt_activate(&base_space);
}

static bool mode_available(enum pt_mode mode)
{
    switch (mode) {
    case PT_MODE_32BIT:
        return true;
    case PT_MODE_PAE:
        suite_unavailable_reason = "no PAE";
        return cpu_has_pae();
    case PT_MODE_4LEVEL:
        suite_unavailable_reason = "no long mode";
        return cpu_has_pae() && cpu_has_long_mode();
    }
    return false;
}

void paging_suite_start(enum pt_mode mode, const char *guest)
{
    suite_mode = mode;
    suite_guest = guest;
    suite_mode_available = mode_available(mode);
    if (!suite_mode_available) {
        printf("%s: %s paging not available (%s)\n", guest, pt_mode_name(mode),
               suite_unavailable_reason);
        return;
    }
    uint32_t span = mode_has_large_pages() ? paging_large_size() : PAGE_SIZE;
    identity_bytes = (ram_end() + span - 1) & ~(span - 1);
    build_identity(&supervisor_identity, 0);
    build_identity(&user_identity, PTE_US);
    base_space = paging_new_space(false);

    if (mode != PT_MODE_32BIT && cpu_has_nx())
        efer_set(EFER_NXE);
    pt_enable(&base_space);
    paging_set_cr0_wp(true);
    printf("%s: %s paging on; identity map 0..0x%08x with %s pages; RAM ends at 0x%08x; "
           "MAXPHYADDR %u; NX %s, SMEP %s, SMAP %s, PGE %s, 1 GiB pages %s\n",
           guest, pt_mode_name(mode), identity_bytes,
           identity_level() == PT_PTE ? "4 KiB" : mode == PT_MODE_32BIT ? "4 MiB" : "2 MiB",
           ram_end(), cpu_maxphyaddr(), cpu_has_nx() ? "yes" : "no",
           cpu_has_smep() ? "yes" : "no", cpu_has_smap() ? "yes" : "no",
           cpu_has_pge() ? "yes" : "no", cpu_has_1g_pages() ? "yes" : "no");
}

/* Why 'needs' is not met here, or NULL when it is. */
static const char *unmet_need(enum paging_needs needs)
{
    bool xd_mode = suite_mode != PT_MODE_32BIT;
    switch (needs) {
    case PAGING_NEEDS_NOTHING:
        return NULL;
    case PAGING_NEEDS_LARGE_PAGES:
        return mode_has_large_pages() ? NULL : "no PSE";
    case PAGING_NEEDS_XD:
        if (!xd_mode)
            return "32-bit paging has no XD bit";
        return cpu_has_nx() ? NULL : "no NX";
    case PAGING_NEEDS_SMEP:
        return cpu_has_smep() ? NULL : "no SMEP";
    case PAGING_NEEDS_SMAP:
        return cpu_has_smap() ? NULL : "no SMAP";
    case PAGING_NEEDS_PGE:
        return cpu_has_pge() ? NULL : "no PGE";
    case PAGING_NEEDS_1G_PAGES:
        return cpu_has_1g_pages() ? NULL : "no 1 GiB pages";
    case PAGING_NEEDS_KEEL_WITHOUT_1G_PAGES:
        if (cpu_has_1g_pages())
            return "1 GiB pages exist: PDPTE.PS is not reserved";
        return is_keel() ? NULL : "not under keel: QEMU 7.2 TCG maps a 1 GiB page regardless";
    case PAGING_NEEDS_RESERVED_ADDRESS_BITS:
        if (!xd_mode)
            return "32-bit paging";
        return cpu_maxphyaddr() < PTE_ADDR_TOP_BIT + 1 ? NULL : "MAXPHYADDR is 52";
    case PAGING_NEEDS_KEEL:
        return is_keel() ? NULL : "not under keel";
    }
    return "unknown need";
}

void paging_suite_run(const struct paging_test *tests, size_t count)
{
    char name[160];
    for (size_t i = 0; i < count; i++) {
        const struct paging_test *t = &tests[i];
        snprintf(name, sizeof(name), "%s: %s", suite_guest, t->name);
        if (!test_selected(name))
            continue;
        const char *why = suite_mode_available ? unmet_need(t->needs) : suite_unavailable_reason;
        if (why)
            report_skip("%s (%s)", name, why);
        else
            report(t->run(), "%s", name);
    }
}

/* ---- frames ----------------------------------------------------------------------- */

volatile uint32_t *paging_phys_word(uint32_t phys)
{
    return (volatile uint32_t *)(uintptr_t)phys;
}

uint32_t paging_new_frame(uint32_t signature)
{
    uint32_t frame = page_alloc();
    *paging_phys_word(frame) = signature;
    return frame;
}

uint32_t paging_new_ret_frame(void)
{
    uint32_t frame = page_alloc();
    memset((void *)(uintptr_t)frame, RET_OPCODE, PAGE_SIZE);
    return frame;
}

uint32_t paging_large_frame(unsigned index)
{
    if (!large_frames[index])
        large_frames[index] = phys_alloc_aligned(paging_large_size(), paging_large_size());
    return large_frames[index];
}

/* ---- control registers ------------------------------------------------------------ */

static void write_cr2(uint32_t v)
{
    __asm__ __volatile__("mov %0, %%cr2" : : "r"(v) : "memory");
}

void paging_set_cr0_wp(bool on)
{
    uint32_t cr0 = read_cr0();
    write_cr0(on ? cr0 | CR0_WP : cr0 & ~CR0_WP);
}

void paging_set_cr4_bits(uint32_t bits, bool on)
{
    uint32_t cr4 = read_cr4();
    write_cr4(on ? cr4 | bits : cr4 & ~bits);
}

uint32_t paging_fetch_error_bit(void)
{
    bool nxe = suite_mode != PT_MODE_32BIT && cpu_has_nx() && (efer_read() & EFER_NXE);
    return nxe || (read_cr4() & CR4_SMEP) ? PF_ERR_ID : 0;
}

/* ---- accesses --------------------------------------------------------------------- */

static void access_start(void)
{
    write_cr2(0);
    fault_reset();
}

static struct access access_result(uint32_t fault_site, uint32_t value)
{
    return (struct access){
        .vector = last_fault.vector,
        .error_code = last_fault.error_code,
        .cr2 = read_cr2(),
        .fault_eip = last_fault.eip,
        .fault_site = fault_site,
        .value = value,
    };
}

struct access paging_read(uint32_t va)
{
    uint32_t v = 0;
    access_start();
    __asm__ __volatile__(ASM_TRY("movl (%1), %0") : "+r"(v) : "r"(va) : "memory");
    return access_result(fault_try_eip, v);
}

struct access paging_write(uint32_t va, uint32_t value)
{
    access_start();
    __asm__ __volatile__(ASM_TRY("movl %0, (%1)") : : "r"(value), "r"(va) : "memory");
    return access_result(fault_try_eip, 0);
}

/* The CALL's return address is the recovery label, so a RET at 'va' and a
 * fault on the fetch both continue there; EBX restores ESP for the fault. */
struct access paging_fetch(uint32_t va)
{
    access_start();
    __asm__ __volatile__("movl %%esp, %%ebx\n\t"
                         ASM_TRY("call *%0")
                         "movl %%ebx, %%esp"
                         :
                         : "r"(va)
                         : "ebx", "memory");
    return access_result(va, 0);
}

/* Run at CPL 3 by usermode_call(). */
static uint32_t user_read_body(uint32_t va)
{
    uint32_t v = 0;
    __asm__ __volatile__(ASM_TRY("movl (%1), %0") : "+r"(v) : "r"(va) : "memory");
    return v;
}

static uint32_t user_write_body(uint32_t va)
{
    __asm__ __volatile__(ASM_TRY("movl %0, (%1)")
                         :
                         : "r"(PAGING_USER_WRITE_VALUE), "r"(va)
                         : "memory");
    return 0;
}

struct access paging_user_read(uint32_t va)
{
    access_start();
    uint32_t v = usermode_call(user_read_body, va);
    return access_result(fault_try_eip, v);
}

struct access paging_user_write(uint32_t va)
{
    access_start();
    usermode_call(user_write_body, va);
    return access_result(fault_try_eip, 0);
}

static void print_access(const char *what, struct access a)
{
    if (a.vector == NO_FAULT) {
        printf("%s: %s: no fault\n", suite_guest, what);
        return;
    }
    printf("%s: %s: %s error 0x%x CR2 0x%08x at 0x%08x (the access is at 0x%08x)\n",
           suite_guest, what, exception_name(a.vector), a.error_code, a.cr2, a.fault_eip,
           a.fault_site);
}

bool paging_expect_no_fault(const char *what, struct access a)
{
    if (a.vector == NO_FAULT)
        return true;
    print_access(what, a);
    printf("%s: %s: expected no fault\n", suite_guest, what);
    return false;
}

bool paging_expect_page_fault(const char *what, struct access a, uint32_t va,
                              uint32_t error_code)
{
    if (a.vector == PF_VECTOR && a.error_code == error_code && a.cr2 == va &&
        a.fault_eip == a.fault_site)
        return true;
    print_access(what, a);
    printf("%s: %s: expected #PF error 0x%x CR2 0x%08x at 0x%08x\n", suite_guest, what,
           error_code, va, a.fault_site);
    return false;
}

/* A reserved-bit fault always has P = 1: reserved bits are only checked in
 * present entries (SDM vol. 3A 4.7, RSVD flag).  QEMU 7.2's TCG reports RSVD
 * with P = 0, so bare runs accept that, saying so; under keel the error code
 * must be exact. */
bool paging_expect_reserved_bit_fault(const char *what, struct access a, uint32_t va,
                                      uint32_t error_code)
{
    if (!is_keel() && a.vector == PF_VECTOR && a.error_code == (error_code & ~PF_ERR_P)) {
        printf("%s: %s: error 0x%x lacks P; accepted bare (QEMU 7.2 TCG omits it), "
               "not under keel\n", suite_guest, what, a.error_code);
        a.error_code |= PF_ERR_P;
    }
    return paging_expect_page_fault(what, a, va, error_code);
}

bool paging_expect_value(const char *what, uint32_t got, uint32_t expected)
{
    if (got == expected)
        return true;
    printf("%s: %s: read 0x%08x, expected 0x%08x\n", suite_guest, what, got, expected);
    return false;
}

/* A read that must not fault and must return 'expected'. */
static bool read_sees(const char *what, uint32_t va, uint32_t expected)
{
    struct access a = paging_read(va);
    return paging_expect_no_fault(what, a) && paging_expect_value(what, a.value, expected);
}

static bool entry_bits_are(const char *what, const struct pt_space *space, uint64_t va,
                           enum pt_level level, uint64_t mask, uint64_t expected)
{
    uint64_t entry = pt_get(space, va, level);
    if ((entry & mask) == expected)
        return true;
    printf("%s: %s: %s 0x%llx: bits 0x%llx are 0x%llx, expected 0x%llx\n", suite_guest, what,
           pt_level_name(level), (unsigned long long)entry, (unsigned long long)mask,
           (unsigned long long)(entry & mask), (unsigned long long)expected);
    return false;
}

/* ---- many address spaces ---------------------------------------------------------- */

#define NR_SPACES   8
#define NR_SWITCHES 1000u
#define LCG_MULTIPLIER 1103515245u
#define LCG_INCREMENT  12345u

/* Word offsets in each space's own frame and in the frame all share. */
#define OWN_SIGNATURE_WORD  0
#define OWN_LAST_SWITCH_WORD 1
#define SHARED_COUNT_WORD   0

static uint32_t space_signature(unsigned s)
{
    return 0x5A5A0000u | s;
}

static bool switch_address_spaces(void)
{
    struct pt_space spaces[NR_SPACES];
    uint32_t own[NR_SPACES];
    uint32_t last_switch[NR_SPACES];
    unsigned visits[NR_SPACES] = { 0 };
    uint32_t shared = paging_new_frame(0);
    for (unsigned s = 0; s < NR_SPACES; s++) {
        spaces[s] = paging_new_space(false);
        own[s] = paging_new_frame(space_signature(s));
        last_switch[s] = 0xFFFFFFFFu;
        paging_phys_word(own[s])[OWN_LAST_SWITCH_WORD] = last_switch[s];
        pt_map(&spaces[s], TEST_VA, own[s], PT_PTE, PTE_P | PTE_RW);
        pt_map(&spaces[s], TEST_VA + PAGE_SIZE, shared, PT_PTE, PTE_P | PTE_RW);
    }

    volatile uint32_t *own_page = (volatile uint32_t *)(uintptr_t)TEST_VA;
    volatile uint32_t *shared_page = (volatile uint32_t *)(uintptr_t)(TEST_VA + PAGE_SIZE);
    uint32_t lcg = 1;
    unsigned wrong = 0;
    for (uint32_t i = 0; i < NR_SWITCHES; i++) {
        lcg = lcg * LCG_MULTIPLIER + LCG_INCREMENT;
        unsigned s = (lcg >> 16) % NR_SPACES;
        paging_enter(&spaces[s]);
        uint32_t seen = own_page[OWN_SIGNATURE_WORD];
        if (seen != space_signature(s) && wrong++ == 0)
            printf("%s: switch %u to space %u read 0x%08x, expected 0x%08x\n", suite_guest, i,
                   s, seen, space_signature(s));
        own_page[OWN_LAST_SWITCH_WORD] = i;
        shared_page[SHARED_COUNT_WORD]++;
        last_switch[s] = i;
        visits[s]++;
    }
    paging_leave();

    bool ok = wrong == 0;
    for (unsigned s = 0; s < NR_SPACES; s++) {
        uint32_t stored = paging_phys_word(own[s])[OWN_LAST_SWITCH_WORD];
        if (stored != last_switch[s]) {
            printf("%s: space %u (%u visits) frame holds last switch %u, expected %u\n",
                   suite_guest, s, visits[s], stored, last_switch[s]);
            ok = false;
        }
    }
    uint32_t count = paging_phys_word(shared)[SHARED_COUNT_WORD];
    if (count != NR_SWITCHES) {
        printf("%s: shared frame counted %u writes, expected %u\n", suite_guest, count,
               NR_SWITCHES);
        ok = false;
    }
    printf("%s: %u switches over %u spaces, %u wrong reads; visits", suite_guest, NR_SWITCHES,
           NR_SPACES, wrong);
    for (unsigned s = 0; s < NR_SPACES; s++)
        printf(" %u", visits[s]);
    printf("\n");
    return ok;
}

/* ---- remapping a live page -------------------------------------------------------- */

enum invalidation { BY_INVLPG, BY_CR3_RELOAD };

static void invalidate(enum invalidation how, uint32_t va)
{
    if (how == BY_INVLPG)
        invlpg(va);
    else
        write_cr3(read_cr3());
}

static bool remap_live_page(enum invalidation how)
{
    struct pt_space s = paging_new_space(false);
    uint32_t a = paging_new_frame(FRAME_A_SIGNATURE);
    uint32_t b = paging_new_frame(FRAME_B_SIGNATURE);
    pt_map(&s, TEST_VA, a, PT_PTE, PTE_P | PTE_RW);
    paging_enter(&s);
    bool ok = read_sees("before the remap", TEST_VA, FRAME_A_SIGNATURE);
    pt_map(&s, TEST_VA, b, PT_PTE, PTE_P | PTE_RW);
    invalidate(how, TEST_VA);
    ok = read_sees("after the remap", TEST_VA, FRAME_B_SIGNATURE) && ok;
    ok = paging_expect_no_fault("write after the remap", paging_write(TEST_VA + 8, 0x600D)) && ok;
    paging_leave();
    return paging_expect_value("frame B word 2", paging_phys_word(b)[2], 0x600D) &&
           paging_expect_value("frame A word 2", paging_phys_word(a)[2], 0) && ok;
}

static bool remap_with_invlpg(void)
{
    return remap_live_page(BY_INVLPG);
}

static bool remap_with_cr3_reload(void)
{
    return remap_live_page(BY_CR3_RELOAD);
}

/* INVLPG of any address in a large page drops the whole translation, also
 * when a CPU (or a shadow MMU) holds it as several smaller pieces (SDM vol.
 * 3A 4.10.2.3, 4.10.4.1): INVLPG of the first 4 KiB, then a read in the
 * last 4 KiB. */
static bool remap_large_page(void)
{
    uint32_t size = paging_large_size();
    uint32_t last_piece = size - PAGE_SIZE + 0x10;
    uint32_t l0 = paging_large_frame(0), l1 = paging_large_frame(1);
    *paging_phys_word(l0 + last_piece) = FRAME_A_SIGNATURE;
    *paging_phys_word(l1 + last_piece) = FRAME_B_SIGNATURE;
    struct pt_space s = paging_new_space(false);
    pt_map(&s, TEST_VA, l0, PT_PDE, PTE_P | PTE_RW);
    paging_enter(&s);
    bool ok = read_sees("large page before the remap", TEST_VA + last_piece, FRAME_A_SIGNATURE);
    pt_map(&s, TEST_VA, l1, PT_PDE, PTE_P | PTE_RW);
    invlpg(TEST_VA);
    ok = read_sees("large page after the remap", TEST_VA + last_piece, FRAME_B_SIGNATURE) && ok;
    paging_leave();
    return ok;
}

/* A global translation may outlive MOV CR3, but not INVLPG of its address,
 * nor a change of CR4.PGE (SDM vol. 3A 4.10.4.1). */
static bool remap_global_page(void)
{
    uint32_t a = paging_new_frame(FRAME_A_SIGNATURE);
    uint32_t b = paging_new_frame(FRAME_B_SIGNATURE);
    struct pt_space s = paging_new_space(false);
    paging_set_cr4_bits(CR4_PGE, true);
    pt_map(&s, TEST_VA, a, PT_PTE, PTE_P | PTE_RW | PTE_G);
    paging_enter(&s);
    bool ok = read_sees("global page before the remap", TEST_VA, FRAME_A_SIGNATURE);
    pt_map(&s, TEST_VA, b, PT_PTE, PTE_P | PTE_RW | PTE_G);
    write_cr3(read_cr3());
    invlpg(TEST_VA);
    ok = read_sees("global page after INVLPG", TEST_VA, FRAME_B_SIGNATURE) && ok;
    pt_map(&s, TEST_VA, a, PT_PTE, PTE_P | PTE_RW | PTE_G);
    paging_set_cr4_bits(CR4_PGE, false);
    ok = read_sees("global page after clearing CR4.PGE", TEST_VA, FRAME_A_SIGNATURE) && ok;
    paging_leave();
    return ok;
}

static bool invlpg_unmapped_address(void)
{
    const uint32_t unmapped = TEST_VA + 0x00345000u;
    struct pt_space s = paging_new_space(false);
    paging_enter(&s);
    fault_reset();
    __asm__ __volatile__(ASM_TRY("invlpg (%0)") : : "r"(unmapped) : "memory");
    struct access a = access_result(fault_try_eip, 0);
    paging_leave();
    return paging_expect_no_fault("INVLPG of an unmapped address", a);
}

/* ---- write protection ------------------------------------------------------------- */

/* A supervisor write to a read-only page: #PF(P|W) while CR0.WP = 1, done
 * while CR0.WP = 0 (SDM vol. 3A 4.6.1). */
static bool write_protect_pte(void)
{
    struct pt_space s = paging_new_space(false);
    uint32_t f = paging_new_frame(FRAME_A_SIGNATURE);
    pt_map(&s, TEST_VA, f, PT_PTE, PTE_P);
    paging_enter(&s);
    bool ok = paging_expect_page_fault("write, CR0.WP=1", paging_write(TEST_VA, 0xBAD), TEST_VA,
                                       PF_ERR_P | PF_ERR_W);
    paging_leave();
    return paging_expect_value("frame after the refused write", *paging_phys_word(f),
                               FRAME_A_SIGNATURE) && ok;
}

static bool write_protect_pde(void)
{
    struct pt_space s = paging_new_space(false);
    uint32_t f = paging_new_frame(FRAME_A_SIGNATURE);
    pt_map(&s, TEST_VA, f, PT_PTE, PTE_P | PTE_RW);
    pt_update(&s, TEST_VA, PT_PDE, PTE_RW, 0);
    paging_enter(&s);
    bool ok = paging_expect_page_fault("write under a read-only PDE, CR0.WP=1",
                                       paging_write(TEST_VA, 0xBAD), TEST_VA,
                                       PF_ERR_P | PF_ERR_W);
    paging_leave();
    return ok;
}

/* WP = 1: faults; WP = 0: the write lands; WP = 1 again: faults again (a
 * hypervisor that let the page become writable for WP = 0 must take that
 * back). */
static bool write_protect_toggle(void)
{
    struct pt_space s = paging_new_space(false);
    uint32_t f = paging_new_frame(FRAME_A_SIGNATURE);
    pt_map(&s, TEST_VA, f, PT_PTE, PTE_P);
    paging_enter(&s);
    bool ok = paging_expect_page_fault("write, CR0.WP=1", paging_write(TEST_VA, 0xBAD), TEST_VA,
                                       PF_ERR_P | PF_ERR_W);
    paging_set_cr0_wp(false);
    ok = paging_expect_no_fault("write, CR0.WP=0", paging_write(TEST_VA, 0x600D)) && ok;
    paging_set_cr0_wp(true);
    ok = paging_expect_page_fault("write, CR0.WP=1 again", paging_write(TEST_VA + 4, 0xBAD),
                                  TEST_VA + 4, PF_ERR_P | PF_ERR_W) && ok;
    paging_leave();
    return paging_expect_value("frame word 0", paging_phys_word(f)[0], 0x600D) &&
           paging_expect_value("frame word 1", paging_phys_word(f)[1], 0) && ok;
}

/* ---- execute-disable -------------------------------------------------------------- */

/* A fetch from an XD page: #PF(P|I/D) reported at the page, not at the
 * CALL; reads from it are fine (SDM vol. 3A 4.6.1). */
static bool xd_page_refuses_fetch(void)
{
    struct pt_space s = paging_new_space(false);
    uint32_t f = paging_new_ret_frame();
    pt_map(&s, TEST_VA, f, PT_PTE, PTE_P | PTE_RW | PTE_XD);
    paging_enter(&s);
    bool ok = paging_expect_page_fault("fetch from an XD page", paging_fetch(TEST_VA), TEST_VA,
                                       PF_ERR_P | PF_ERR_ID);
    ok = read_sees("read from an XD page", TEST_VA, RET_FRAME_WORD) && ok;
    paging_leave();
    return ok;
}

static bool executable_page_runs(void)
{
    struct pt_space s = paging_new_space(false);
    uint32_t f = paging_new_ret_frame();
    pt_map(&s, TEST_VA, f, PT_PTE, PTE_P | PTE_RW);
    paging_enter(&s);
    bool ok = paging_expect_no_fault("fetch from an executable page", paging_fetch(TEST_VA));
    paging_leave();
    return ok;
}

static bool xd_in_pde(void)
{
    struct pt_space s = paging_new_space(false);
    uint32_t f = paging_new_ret_frame();
    pt_map(&s, TEST_VA, f, PT_PTE, PTE_P | PTE_RW);
    pt_update(&s, TEST_VA, PT_PDE, 0, PTE_XD);
    paging_enter(&s);
    bool ok = paging_expect_page_fault("fetch under an XD PDE", paging_fetch(TEST_VA), TEST_VA,
                                       PF_ERR_P | PF_ERR_ID);
    paging_leave();
    return ok;
}

/* With EFER.NXE = 0 bit 63 is reserved (SDM vol. 3A 4.4.2, 4.5.4), and the
 * I/D bit is not reported (4.7). */
static bool xd_reserved_without_nxe(void)
{
    struct pt_space s = paging_new_space(false);
    uint32_t f = paging_new_ret_frame();
    pt_map(&s, TEST_VA, f, PT_PTE, PTE_P | PTE_RW | PTE_XD);
    paging_enter(&s);
    efer_clear(EFER_NXE);
    struct access read = paging_read(TEST_VA);
    struct access fetch = paging_fetch(TEST_VA);
    efer_set(EFER_NXE);
    paging_leave();
    bool ok = paging_expect_reserved_bit_fault("read, XD set, EFER.NXE=0", read, TEST_VA,
                                               PF_ERR_P | PF_ERR_RSVD);
    return paging_expect_reserved_bit_fault("fetch, XD set, EFER.NXE=0", fetch, TEST_VA,
                                            PF_ERR_P | PF_ERR_RSVD) && ok;
}

/* ---- user/supervisor -------------------------------------------------------------- */

/* A hierarchy whose identity map user code can run in, with TEST_VA mapped
 * to a fresh frame by a PTE with 'pte_flags'. */
static struct pt_space user_space_with_page(uint64_t pte_flags, uint32_t *frame)
{
    struct pt_space s = paging_new_space(true);
    *frame = paging_new_frame(FRAME_A_SIGNATURE);
    pt_map(&s, TEST_VA, *frame, PT_PTE, pte_flags);
    return s;
}

static bool user_reads_user_page(void)
{
    uint32_t f;
    struct pt_space s = user_space_with_page(PTE_P | PTE_RW | PTE_US, &f);
    paging_enter(&s);
    struct access read = paging_user_read(TEST_VA);
    struct access write = paging_user_write(TEST_VA + 4);
    paging_leave();
    return paging_expect_no_fault("CPL3 read", read) &&
           paging_expect_value("CPL3 read", read.value, FRAME_A_SIGNATURE) &&
           paging_expect_no_fault("CPL3 write", write) &&
           paging_expect_value("frame word 1", paging_phys_word(f)[1], PAGING_USER_WRITE_VALUE);
}

static bool user_read_supervisor_page(void)
{
    uint32_t f;
    struct pt_space s = user_space_with_page(PTE_P | PTE_RW, &f);
    paging_enter(&s);
    struct access read = paging_user_read(TEST_VA);
    struct access write = paging_user_write(TEST_VA);
    paging_leave();
    return paging_expect_page_fault("CPL3 read", read, TEST_VA, PF_ERR_P | PF_ERR_U) &&
           paging_expect_page_fault("CPL3 write", write, TEST_VA,
                                    PF_ERR_P | PF_ERR_W | PF_ERR_U) &&
           paging_expect_value("frame", *paging_phys_word(f), FRAME_A_SIGNATURE);
}

static bool user_read_under_supervisor_pde(void)
{
    uint32_t f;
    struct pt_space s = user_space_with_page(PTE_P | PTE_RW | PTE_US, &f);
    pt_update(&s, TEST_VA, PT_PDE, PTE_US, 0);
    paging_enter(&s);
    struct access read = paging_user_read(TEST_VA);
    paging_leave();
    return paging_expect_page_fault("CPL3 read under a supervisor PDE", read, TEST_VA,
                                    PF_ERR_P | PF_ERR_U);
}

/* CR0.WP only matters for supervisor writes: user writes to read-only pages
 * fault either way (SDM vol. 3A 4.6.1). */
static bool user_write_read_only_page(void)
{
    uint32_t f;
    struct pt_space s = user_space_with_page(PTE_P | PTE_US, &f);
    paging_enter(&s);
    struct access wp1 = paging_user_write(TEST_VA);
    paging_set_cr0_wp(false);
    struct access wp0 = paging_user_write(TEST_VA);
    paging_set_cr0_wp(true);
    paging_leave();
    return paging_expect_page_fault("CPL3 write, CR0.WP=1", wp1, TEST_VA,
                                    PF_ERR_P | PF_ERR_W | PF_ERR_U) &&
           paging_expect_page_fault("CPL3 write, CR0.WP=0", wp0, TEST_VA,
                                    PF_ERR_P | PF_ERR_W | PF_ERR_U) &&
           paging_expect_value("frame", *paging_phys_word(f), FRAME_A_SIGNATURE);
}

static bool user_not_present(void)
{
    struct pt_space s = paging_new_space(true);
    pt_set(&s, TEST_VA, PT_PTE, 0);
    paging_enter(&s);
    struct access read = paging_user_read(TEST_VA);
    struct access write = paging_user_write(TEST_VA);
    paging_leave();
    return paging_expect_page_fault("CPL3 read", read, TEST_VA, PF_ERR_U) &&
           paging_expect_page_fault("CPL3 write", write, TEST_VA, PF_ERR_W | PF_ERR_U);
}

/* SMEP: a supervisor fetch from a user page faults with P|I/D (SDM vol. 3A
 * 4.6.1); supervisor reads of it are still allowed (SMAP is off). */
static bool smep_refuses_supervisor_fetch(void)
{
    struct pt_space s = paging_new_space(false);
    uint32_t f = paging_new_ret_frame();
    pt_map(&s, TEST_VA, f, PT_PTE, PTE_P | PTE_RW | PTE_US);
    paging_enter(&s);
    paging_set_cr4_bits(CR4_SMEP, true);
    struct access fetch = paging_fetch(TEST_VA);
    struct access read = paging_read(TEST_VA);
    paging_set_cr4_bits(CR4_SMEP, false);
    struct access fetch_off = paging_fetch(TEST_VA);
    paging_leave();
    return paging_expect_page_fault("fetch from a user page, CR4.SMEP=1", fetch, TEST_VA,
                                    PF_ERR_P | PF_ERR_ID) &&
           paging_expect_no_fault("read of a user page, CR4.SMEP=1", read) &&
           paging_expect_no_fault("fetch from a user page, CR4.SMEP=0", fetch_off);
}

static void stac(void)
{
    __asm__ __volatile__("stac" : : : "memory");
}

static void clac(void)
{
    __asm__ __volatile__("clac" : : : "memory");
}

/* SMAP: supervisor data accesses to user pages fault while EFLAGS.AC = 0
 * and are allowed with AC = 1 (SDM vol. 3A 4.6.1). */
static bool smap_refuses_supervisor_access(void)
{
    struct pt_space s = paging_new_space(false);
    uint32_t f = paging_new_frame(FRAME_A_SIGNATURE);
    pt_map(&s, TEST_VA, f, PT_PTE, PTE_P | PTE_RW | PTE_US);
    paging_enter(&s);
    paging_set_cr4_bits(CR4_SMAP, true);
    clac();
    struct access read = paging_read(TEST_VA);
    struct access write = paging_write(TEST_VA, 0xBAD);
    stac();
    struct access read_ac = paging_read(TEST_VA);
    struct access write_ac = paging_write(TEST_VA + 4, 0x600D);
    clac();
    paging_set_cr4_bits(CR4_SMAP, false);
    paging_leave();
    return paging_expect_page_fault("read, SMAP, AC=0", read, TEST_VA, PF_ERR_P) &&
           paging_expect_page_fault("write, SMAP, AC=0", write, TEST_VA, PF_ERR_P | PF_ERR_W) &&
           paging_expect_no_fault("read, SMAP, AC=1", read_ac) &&
           paging_expect_value("read, SMAP, AC=1", read_ac.value, FRAME_A_SIGNATURE) &&
           paging_expect_no_fault("write, SMAP, AC=1", write_ac) &&
           paging_expect_value("frame word 1", paging_phys_word(f)[1], 0x600D);
}

/* ---- large pages ------------------------------------------------------------------ */

/* Offsets across the large page: its first word, one inside the first
 * 4 KiB, one past the middle in another 4 KiB piece, its last word. */
static bool large_page_translates(void)
{
    uint32_t size = paging_large_size();
    const uint32_t offsets[] = { 0, 0x1234, size / 2 + 0x5678, size - 4 };
    uint32_t frame = paging_large_frame(0);
    struct pt_space s = paging_new_space(false);
    pt_map(&s, TEST_VA, frame, PT_PDE, PTE_P | PTE_RW);
    for (size_t i = 0; i < ARRAY_SIZE(offsets); i++)
        *paging_phys_word(frame + offsets[i]) = 0x1A000000u + offsets[i];
    paging_enter(&s);
    bool ok = true;
    for (size_t i = 0; i < ARRAY_SIZE(offsets); i++) {
        char what[48];
        snprintf(what, sizeof(what), "read at offset 0x%x", offsets[i]);
        ok = read_sees(what, TEST_VA + offsets[i], 0x1A000000u + offsets[i]) && ok;
        snprintf(what, sizeof(what), "write at offset 0x%x", offsets[i]);
        ok = paging_expect_no_fault(what, paging_write(TEST_VA + offsets[i], ~offsets[i])) && ok;
    }
    paging_leave();
    for (size_t i = 0; i < ARRAY_SIZE(offsets); i++)
        ok = paging_expect_value("frame after the writes", *paging_phys_word(frame + offsets[i]),
                                 ~offsets[i]) && ok;
    return ok;
}

/* ---- accessed and dirty flags (SDM vol. 3A 4.8) ----------------------------------- */

static bool ad_read_then_write(void)
{
    struct pt_space s = paging_new_space(false);
    uint32_t f = paging_new_frame(FRAME_A_SIGNATURE);
    pt_map(&s, TEST_VA, f, PT_PTE, PTE_P | PTE_RW);
    paging_enter(&s);
    bool ok = entry_bits_are("before any access", &s, TEST_VA, PT_PTE, PTE_A | PTE_D, 0);
    ok = read_sees("read", TEST_VA, FRAME_A_SIGNATURE) && ok;
    ok = entry_bits_are("after a read", &s, TEST_VA, PT_PTE, PTE_A | PTE_D, PTE_A) && ok;
    ok = paging_expect_no_fault("write", paging_write(TEST_VA, 1)) && ok;
    ok = entry_bits_are("after a write", &s, TEST_VA, PT_PTE, PTE_A | PTE_D, PTE_A | PTE_D) && ok;
    paging_leave();
    return ok;
}

static bool ad_first_access_writes(void)
{
    struct pt_space s = paging_new_space(false);
    uint32_t f = paging_new_frame(FRAME_A_SIGNATURE);
    pt_map(&s, TEST_VA, f, PT_PTE, PTE_P | PTE_RW);
    paging_enter(&s);
    bool ok = paging_expect_no_fault("write", paging_write(TEST_VA, 1));
    ok = entry_bits_are("after a write", &s, TEST_VA, PT_PTE, PTE_A | PTE_D, PTE_A | PTE_D) && ok;
    paging_leave();
    return ok;
}

/* Software clears A (then D) and invalidates: the next access must set it
 * again, and a read must not set D (SDM vol. 3A 4.8, 4.10.4.3).  A shadow
 * MMU that keeps its old translation misses exactly this. */
static bool ad_cleared_are_set_again(void)
{
    struct pt_space s = paging_new_space(false);
    uint32_t f = paging_new_frame(FRAME_A_SIGNATURE);
    pt_map(&s, TEST_VA, f, PT_PTE, PTE_P | PTE_RW);
    paging_enter(&s);
    bool ok = paging_expect_no_fault("write", paging_write(TEST_VA, 1));
    ok = entry_bits_are("after a write", &s, TEST_VA, PT_PTE, PTE_A | PTE_D, PTE_A | PTE_D) && ok;
    pt_update(&s, TEST_VA, PT_PTE, PTE_A | PTE_D, 0);
    invlpg(TEST_VA);
    ok = read_sees("read after clearing A and D", TEST_VA, 1) && ok;
    ok = entry_bits_are("after the read", &s, TEST_VA, PT_PTE, PTE_A | PTE_D, PTE_A) && ok;
    ok = paging_expect_no_fault("write", paging_write(TEST_VA, 2)) && ok;
    ok = entry_bits_are("after the write", &s, TEST_VA, PT_PTE, PTE_A | PTE_D,
                        PTE_A | PTE_D) && ok;
    pt_update(&s, TEST_VA, PT_PTE, PTE_D, 0);
    invlpg(TEST_VA);
    ok = paging_expect_no_fault("write after clearing D", paging_write(TEST_VA, 3)) && ok;
    ok = entry_bits_are("after that write", &s, TEST_VA, PT_PTE, PTE_D, PTE_D) && ok;
    paging_leave();
    return ok;
}

static bool ad_large_page(void)
{
    struct pt_space s = paging_new_space(false);
    pt_map(&s, TEST_VA, paging_large_frame(0), PT_PDE, PTE_P | PTE_RW);
    paging_enter(&s);
    const uint32_t va = TEST_VA + paging_large_size() / 2;
    bool ok = entry_bits_are("before any access", &s, va, PT_PDE, PTE_A | PTE_D, 0);
    ok = paging_expect_no_fault("read", paging_read(va)) && ok;
    ok = entry_bits_are("after a read", &s, va, PT_PDE, PTE_A | PTE_D, PTE_A) && ok;
    ok = paging_expect_no_fault("write", paging_write(va, 1)) && ok;
    ok = entry_bits_are("after a write", &s, va, PT_PDE, PTE_A | PTE_D, PTE_A | PTE_D) && ok;
    paging_leave();
    return ok;
}

/* The levels above TEST_VA's PTE whose entries are TEST_VA's own (not
 * shared with the identity map) and have an A bit: the PDE, and in 4-level
 * paging the PDPTE (PAE PDPTEs have none; PML4E 0 also maps the identity
 * map, so code fetches set its A at once). */
static bool level_has_own_accessed_bit(enum pt_level level)
{
    if (level == PT_PDE)
        return true;
    return suite_mode == PT_MODE_4LEVEL && level == PT_PDPTE;
}

/* A is set in every entry the walk uses; bit 6 (D) is ignored in entries
 * that point to tables, so the CPU leaves it alone. */
static bool ad_upper_levels(void)
{
    struct pt_space s = paging_new_space(false);
    uint32_t f = paging_new_frame(FRAME_A_SIGNATURE);
    pt_map(&s, TEST_VA, f, PT_PTE, PTE_P | PTE_RW);
    paging_enter(&s);
    bool ok = true;
    for (enum pt_level l = PT_PDE; l <= pt_top_level(suite_mode); l++) {
        if (level_has_own_accessed_bit(l))
            ok = entry_bits_are("before any access", &s, TEST_VA, l, PTE_A | PTE_D, 0) && ok;
    }
    ok = paging_expect_no_fault("write", paging_write(TEST_VA, 1)) && ok;
    for (enum pt_level l = PT_PDE; l <= pt_top_level(suite_mode); l++) {
        if (level_has_own_accessed_bit(l))
            ok = entry_bits_are("after a write", &s, TEST_VA, l, PTE_A | PTE_D, PTE_A) && ok;
    }
    paging_leave();
    return ok;
}

/* ---- not-present entries (SDM vol. 3A 4.7) ---------------------------------------- */

static bool not_present_at(enum pt_level level, uint64_t entry)
{
    struct pt_space s = paging_new_space(false);
    pt_set(&s, TEST_VA, level, entry);
    paging_enter(&s);
    struct access read = paging_read(TEST_VA);
    struct access write = paging_write(TEST_VA, 1);
    paging_leave();
    return paging_expect_page_fault("read", read, TEST_VA, 0) &&
           paging_expect_page_fault("write", write, TEST_VA, PF_ERR_W);
}

static bool not_present_pte(void)
{
    return not_present_at(PT_PTE, 0);
}

static bool not_present_pde(void)
{
    return not_present_at(PT_PDE, 0);
}

/* With P = 0 every other bit is ignored: no RSVD, whatever they hold. */
static bool not_present_other_bits_ignored(void)
{
    uint64_t all_but_p = suite_mode == PT_MODE_32BIT ? 0xFFFFFFFEull : ~PTE_P;
    return not_present_at(PT_PTE, all_but_p);
}

static bool not_present_fetch(void)
{
    struct pt_space s = paging_new_space(false);
    pt_set(&s, TEST_VA, PT_PTE, 0);
    paging_enter(&s);
    uint32_t id = paging_fetch_error_bit();
    struct access fetch = paging_fetch(TEST_VA);
    paging_leave();
    return paging_expect_page_fault("fetch", fetch, TEST_VA, id);
}

/* ---- reserved bits (SDM vol. 3A 4.7: P|RSVD, plus W/U/I/D as the access) ---------- */

static bool reserved_address_bit(unsigned bit)
{
    struct pt_space s = paging_new_space(false);
    uint32_t f = paging_new_frame(FRAME_A_SIGNATURE);
    pt_map(&s, TEST_VA, f, PT_PTE, PTE_P | PTE_RW | (1ull << bit));
    paging_enter(&s);
    struct access read = paging_read(TEST_VA);
    struct access write = paging_write(TEST_VA, 1);
    paging_leave();
    char what[48];
    snprintf(what, sizeof(what), "read, PTE bit %u set", bit);
    bool ok = paging_expect_reserved_bit_fault(what, read, TEST_VA, PF_ERR_P | PF_ERR_RSVD);
    snprintf(what, sizeof(what), "write, PTE bit %u set", bit);
    return paging_expect_reserved_bit_fault(what, write, TEST_VA,
                                            PF_ERR_P | PF_ERR_W | PF_ERR_RSVD) && ok;
}

/* The lowest reserved address bit (MAXPHYADDR) and the highest (51). */
static bool reserved_address_bits(void)
{
    unsigned lowest = cpu_maxphyaddr();
    bool ok = reserved_address_bit(lowest);
    if (lowest != PTE_ADDR_TOP_BIT)
        ok = reserved_address_bit(PTE_ADDR_TOP_BIT) && ok;
    return ok;
}

static uint64_t large_pde_reserved_bit(void)
{
    return suite_mode == PT_MODE_32BIT ? PDE_4M_RESERVED_BIT21 : PDE_2M_RESERVED_BIT13;
}

static bool reserved_bit_in_large_pde(void)
{
    struct pt_space s = paging_new_space(false);
    pt_map(&s, TEST_VA, paging_large_frame(0), PT_PDE,
           PTE_P | PTE_RW | large_pde_reserved_bit());
    paging_enter(&s);
    struct access read = paging_read(TEST_VA);
    paging_leave();
    return paging_expect_reserved_bit_fault("read", read, TEST_VA, PF_ERR_P | PF_ERR_RSVD);
}

static bool reserved_bit_user_read(void)
{
    struct pt_space s = paging_new_space(true);
    pt_map(&s, TEST_VA, paging_large_frame(0), PT_PDE,
           PTE_P | PTE_RW | PTE_US | large_pde_reserved_bit());
    paging_enter(&s);
    struct access read = paging_user_read(TEST_VA);
    paging_leave();
    return paging_expect_reserved_bit_fault("CPL3 read", read, TEST_VA,
                                            PF_ERR_P | PF_ERR_U | PF_ERR_RSVD);
}

/* ---- upgrades without invalidation (SDM vol. 3A 4.10.4.3) ------------------------- */

/*
 * Software may skip INVLPG after making an entry present or more permissive.
 * P 0 -> 1: nothing was cached from the not-present entry, so the next
 * access must simply work.  R/W, U/S, XD made more permissive: a stale
 * translation may cause one "spurious" #PF, at most once per address; and
 * after a #PF at an address nothing stale remains at all, because a page
 * fault invalidates the translations for its address (SDM vol. 3A
 * 4.10.4.1).  So: after a guest-visible #PF the upgraded access must work
 * at once; with a translation merely cached by an earlier allowed access,
 * it may fault once more, and must then work.
 */

typedef struct access attempt_fn(uint32_t va);

static struct access write_attempt(uint32_t va)
{
    return paging_write(va, 0x0F00D);
}

/* Tries an upgraded access up to twice; the first try may raise the one
 * spurious #PF the SDM allows when 'spurious_allowed'. */
static bool upgraded_access_works(const char *what, attempt_fn *attempt, uint32_t va,
                                  bool spurious_allowed, uint32_t spurious_error)
{
    struct access a = attempt(va);
    if (a.vector == NO_FAULT)
        return true;
    if (!spurious_allowed)
        return paging_expect_no_fault(what, a);
    if (!paging_expect_page_fault(what, a, va, spurious_error))
        return false;
    printf("%s: %s: one spurious #PF (allowed), retrying\n", suite_guest, what);
    return paging_expect_no_fault(what, attempt(va));
}

static bool upgrade_present_pte(void)
{
    struct pt_space s = paging_new_space(false);
    uint32_t f = paging_new_frame(FRAME_A_SIGNATURE);
    uint32_t neighbour = paging_new_frame(FRAME_B_SIGNATURE);
    pt_map(&s, TEST_VA + PAGE_SIZE, neighbour, PT_PTE, PTE_P | PTE_RW);
    pt_set(&s, TEST_VA, PT_PTE, 0);
    paging_enter(&s);
    bool ok = read_sees("read of the neighbouring page", TEST_VA + PAGE_SIZE, FRAME_B_SIGNATURE);
    ok = paging_expect_page_fault("read while not present", paging_read(TEST_VA), TEST_VA, 0) &&
         ok;
    pt_map(&s, TEST_VA, f, PT_PTE, PTE_P | PTE_RW);
    ok = upgraded_access_works("read once present", paging_read, TEST_VA, false, 0) && ok;
    ok = read_sees("read once present", TEST_VA, FRAME_A_SIGNATURE) && ok;
    paging_leave();
    return ok;
}

static bool upgrade_present_pde(void)
{
    struct pt_space s = paging_new_space(false);
    uint32_t f = paging_new_frame(FRAME_A_SIGNATURE);
    pt_map(&s, TEST_VA, f, PT_PTE, PTE_P | PTE_RW);
    pt_update(&s, TEST_VA, PT_PDE, PTE_P, 0);
    paging_enter(&s);
    bool ok = paging_expect_page_fault("read under a not-present PDE", paging_read(TEST_VA),
                                       TEST_VA, 0);
    pt_update(&s, TEST_VA, PT_PDE, 0, PTE_P);
    ok = upgraded_access_works("read once the PDE is present", paging_read, TEST_VA, false, 0) &&
         ok;
    paging_leave();
    return ok;
}

static bool upgrade_writable_after_fault(void)
{
    struct pt_space s = paging_new_space(false);
    uint32_t f = paging_new_frame(FRAME_A_SIGNATURE);
    pt_map(&s, TEST_VA, f, PT_PTE, PTE_P);
    paging_enter(&s);
    bool ok = paging_expect_page_fault("write while read-only", write_attempt(TEST_VA), TEST_VA,
                                       PF_ERR_P | PF_ERR_W);
    pt_update(&s, TEST_VA, PT_PTE, 0, PTE_RW);
    ok = upgraded_access_works("write once writable", write_attempt, TEST_VA, false, 0) && ok;
    paging_leave();
    return paging_expect_value("frame", *paging_phys_word(f), 0x0F00D) && ok;
}

static bool upgrade_writable_cached(enum pt_level level)
{
    struct pt_space s = paging_new_space(false);
    uint32_t f = paging_new_frame(FRAME_A_SIGNATURE);
    pt_map(&s, TEST_VA, f, PT_PTE, level == PT_PTE ? PTE_P : PTE_P | PTE_RW);
    if (level != PT_PTE)
        pt_update(&s, TEST_VA, level, PTE_RW, 0);
    paging_enter(&s);
    bool ok = read_sees("read while read-only", TEST_VA, FRAME_A_SIGNATURE);
    pt_update(&s, TEST_VA, level, 0, PTE_RW);
    ok = upgraded_access_works("write once writable", write_attempt, TEST_VA, true,
                               PF_ERR_P | PF_ERR_W) && ok;
    paging_leave();
    return paging_expect_value("frame", *paging_phys_word(f), 0x0F00D) && ok;
}

static bool upgrade_writable_pte_cached(void)
{
    return upgrade_writable_cached(PT_PTE);
}

static bool upgrade_writable_pde_cached(void)
{
    return upgrade_writable_cached(PT_PDE);
}

static bool upgrade_user_after_fault(void)
{
    uint32_t f;
    struct pt_space s = user_space_with_page(PTE_P | PTE_RW, &f);
    paging_enter(&s);
    bool ok = paging_expect_page_fault("CPL3 read of a supervisor page",
                                       paging_user_read(TEST_VA), TEST_VA, PF_ERR_P | PF_ERR_U);
    pt_update(&s, TEST_VA, PT_PTE, 0, PTE_US);
    ok = upgraded_access_works("CPL3 read once user", paging_user_read, TEST_VA, false, 0) && ok;
    paging_leave();
    return ok;
}

static bool upgrade_user_cached(void)
{
    uint32_t f;
    struct pt_space s = user_space_with_page(PTE_P | PTE_RW, &f);
    paging_enter(&s);
    bool ok = read_sees("supervisor read", TEST_VA, FRAME_A_SIGNATURE);
    pt_update(&s, TEST_VA, PT_PTE, 0, PTE_US);
    ok = upgraded_access_works("CPL3 read once user", paging_user_read, TEST_VA, true,
                               PF_ERR_P | PF_ERR_U) && ok;
    paging_leave();
    return ok;
}

static bool upgrade_executable_after_fault(void)
{
    struct pt_space s = paging_new_space(false);
    pt_map(&s, TEST_VA, paging_new_ret_frame(), PT_PTE, PTE_P | PTE_RW | PTE_XD);
    paging_enter(&s);
    bool ok = paging_expect_page_fault("fetch while XD", paging_fetch(TEST_VA), TEST_VA,
                                       PF_ERR_P | PF_ERR_ID);
    pt_update(&s, TEST_VA, PT_PTE, PTE_XD, 0);
    ok = upgraded_access_works("fetch once executable", paging_fetch, TEST_VA, false, 0) && ok;
    paging_leave();
    return ok;
}

static bool upgrade_executable_cached(void)
{
    struct pt_space s = paging_new_space(false);
    pt_map(&s, TEST_VA, paging_new_ret_frame(), PT_PTE, PTE_P | PTE_RW | PTE_XD);
    paging_enter(&s);
    bool ok = read_sees("read while XD", TEST_VA, RET_FRAME_WORD);
    pt_update(&s, TEST_VA, PT_PTE, PTE_XD, 0);
    ok = upgraded_access_works("fetch once executable", paging_fetch, TEST_VA, true,
                               PF_ERR_P | PF_ERR_ID) && ok;
    paging_leave();
    return ok;
}

/* ---- the table -------------------------------------------------------------------- */

const struct paging_test paging_common_tests[] = {
    { "8 address spaces map one linear page to 8 frames: 1000 MOV CR3 switches each see "
      "their own", PAGING_NEEDS_NOTHING, switch_address_spaces },
    { "remapped live 4 KiB page is seen after INVLPG", PAGING_NEEDS_NOTHING,
      remap_with_invlpg },
    { "remapped live 4 KiB page is seen after a CR3 reload", PAGING_NEEDS_NOTHING,
      remap_with_cr3_reload },
    { "remapped live large page is seen after INVLPG of another 4 KiB piece of it",
      PAGING_NEEDS_LARGE_PAGES, remap_large_page },
    { "remapped global page is seen after INVLPG and after clearing CR4.PGE",
      PAGING_NEEDS_PGE, remap_global_page },
    { "INVLPG of an unmapped address does not fault", PAGING_NEEDS_NOTHING,
      invlpg_unmapped_address },
    { "CR0.WP=1: supervisor write to a read-only PTE raises #PF(P|W), CR2 = address",
      PAGING_NEEDS_NOTHING, write_protect_pte },
    { "CR0.WP=1: supervisor write under a read-only PDE raises #PF(P|W)",
      PAGING_NEEDS_NOTHING, write_protect_pde },
    { "CR0.WP=0: supervisor write to a read-only page succeeds; WP=1 again: faults again",
      PAGING_NEEDS_NOTHING, write_protect_toggle },
    { "XD page: fetch raises #PF(P|I/D) at the page, reads work", PAGING_NEEDS_XD,
      xd_page_refuses_fetch },
    { "page without XD: the fetch runs", PAGING_NEEDS_XD, executable_page_runs },
    { "XD in the PDE forbids fetches from the page below", PAGING_NEEDS_XD, xd_in_pde },
    { "EFER.NXE=0: XD set is a reserved bit: read and fetch raise #PF(P|RSVD)",
      PAGING_NEEDS_XD, xd_reserved_without_nxe },
    { "CPL3 read and write of a user page work", PAGING_NEEDS_NOTHING, user_reads_user_page },
    { "CPL3 read/write of a supervisor page raise #PF(P|U)/#PF(P|W|U)", PAGING_NEEDS_NOTHING,
      user_read_supervisor_page },
    { "CPL3 read under a supervisor PDE (user PTE) raises #PF(P|U)", PAGING_NEEDS_NOTHING,
      user_read_under_supervisor_pde },
    { "CPL3 write to a read-only user page raises #PF(P|W|U) with CR0.WP=1 and 0",
      PAGING_NEEDS_NOTHING, user_write_read_only_page },
    { "CPL3 read/write of a not-present page raise #PF(U)/#PF(W|U)", PAGING_NEEDS_NOTHING,
      user_not_present },
    { "SMEP: supervisor fetch from a user page raises #PF(P|I/D); reads work; SMEP off: "
      "it runs", PAGING_NEEDS_SMEP, smep_refuses_supervisor_fetch },
    { "SMAP: supervisor read/write of a user page raise #PF(P)/#PF(P|W) with AC=0, work "
      "with AC=1", PAGING_NEEDS_SMAP, smap_refuses_supervisor_access },
    { "large page translates offsets 0, 0x1234, middle and last word to its frame",
      PAGING_NEEDS_LARGE_PAGES, large_page_translates },
    { "4 KiB page: a read sets A and leaves D clear; a write sets D", PAGING_NEEDS_NOTHING,
      ad_read_then_write },
    { "4 KiB page: a first access that writes sets A and D", PAGING_NEEDS_NOTHING,
      ad_first_access_writes },
    { "A and D cleared by software + INVLPG: set again by the next read / write only",
      PAGING_NEEDS_NOTHING, ad_cleared_are_set_again },
    { "large page: a read sets A in the PDE, a write sets D", PAGING_NEEDS_LARGE_PAGES,
      ad_large_page },
    { "upper levels: an access sets A in the entries above the PTE and leaves bit 6 alone",
      PAGING_NEEDS_NOTHING, ad_upper_levels },
    { "not-present PTE: read raises #PF(0), write #PF(W), CR2 = address", PAGING_NEEDS_NOTHING,
      not_present_pte },
    { "not-present PDE: read raises #PF(0), write #PF(W)", PAGING_NEEDS_NOTHING,
      not_present_pde },
    { "not-present PTE with every other bit set: #PF(0)/#PF(W), no RSVD",
      PAGING_NEEDS_NOTHING, not_present_other_bits_ignored },
    { "fetch from a not-present page: #PF with I/D only where the mode reports it",
      PAGING_NEEDS_NOTHING, not_present_fetch },
    { "PTE with reserved address bits MAXPHYADDR and 51: #PF(P|RSVD) and #PF(P|W|RSVD)",
      PAGING_NEEDS_RESERVED_ADDRESS_BITS, reserved_address_bits },
    { "large PDE with a reserved bit (bit 21 for 4 MiB, 13 for 2 MiB): #PF(P|RSVD)",
      PAGING_NEEDS_LARGE_PAGES, reserved_bit_in_large_pde },
    { "CPL3 read through a reserved bit: #PF(P|U|RSVD)", PAGING_NEEDS_LARGE_PAGES,
      reserved_bit_user_read },
    { "upgrade without INVLPG: PTE made present after a #PF: the read works, no fault",
      PAGING_NEEDS_NOTHING, upgrade_present_pte },
    { "upgrade without INVLPG: PDE made present after a #PF: the read works, no fault",
      PAGING_NEEDS_NOTHING, upgrade_present_pde },
    { "upgrade without INVLPG: PTE made writable after a #PF: the write works, no fault",
      PAGING_NEEDS_NOTHING, upgrade_writable_after_fault },
    { "upgrade without INVLPG: PTE made writable, read-only translation cached: the write "
      "works (at most one spurious #PF)", PAGING_NEEDS_NOTHING, upgrade_writable_pte_cached },
    { "upgrade without INVLPG: PDE made writable, read-only translation cached: the write "
      "works (at most one spurious #PF)", PAGING_NEEDS_NOTHING, upgrade_writable_pde_cached },
    { "upgrade without INVLPG: PTE made user after a CPL3 #PF: the CPL3 read works, no fault",
      PAGING_NEEDS_NOTHING, upgrade_user_after_fault },
    { "upgrade without INVLPG: PTE made user, supervisor translation cached: the CPL3 read "
      "works (at most one spurious #PF)", PAGING_NEEDS_NOTHING, upgrade_user_cached },
    { "upgrade without INVLPG: XD cleared after a fetch #PF: the fetch works, no fault",
      PAGING_NEEDS_XD, upgrade_executable_after_fault },
    { "upgrade without INVLPG: XD cleared, translation cached by a read: the fetch works "
      "(at most one spurious #PF)", PAGING_NEEDS_XD, upgrade_executable_cached },
};

const size_t paging_common_test_count = ARRAY_SIZE(paging_common_tests);
