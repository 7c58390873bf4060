/*
 * page_rights: the page-table permission matrix of kvm-unit-tests'
 * access_test, in 4-level paging, and its named cases of aliased and
 * toggled mappings.
 *
 * The matrix: one linear page at WINDOW (PML4E 0, PDPTE 2) mapped through
 * a PDPTE, a PDE and a PTE (or a PDE that maps a 2 MiB page) whose R/W,
 * U/S and XD bits take every combination, with CR0.WP and IA32_EFER.NXE on
 * and off, accessed by a supervisor or user read, write or instruction
 * fetch, once or after a supervisor read (so that a translation cached by
 * the read meets a write: the dirty flag).  For each case the guest
 * computes what the SDM says (vol. 3A 4.6 "Access Rights", 4.7 "Page-Fault
 * Exceptions", 4.8 "Accessed and Dirty Flags") and checks the outcome: the
 * fault and its error code and CR2, or none; the frame written or not; A
 * and D as the CPU left them (a faulting access leaves the PTE alone and
 * may or may not set A in the PDE).  XD with NXE = 0 is a reserved bit.
 * Then not-present and reserved-bit entries at each level with every
 * access.  Entries start with A and D clear, and each case ends with
 * INVLPG, so every case is a fresh walk.
 *
 * Under shadow paging each case is a walk keel makes itself: the rights of
 * the three levels combined into one shadow leaf, A and D written into the
 * guest's entries, the guest's fault (or none) chosen from them, the
 * shadow leaf kept read-only until the first write sets D.
 *
 * The named cases (access.c's, written from their description):
 *   - two 2 MiB mappings of one frame, one read-only: a write through the
 *     writable one sets its D, through the read-only one faults;
 *   - a PTE with XD set while NXE = 0, next to a PTE just used: #PF with
 *     RSVD (a vTLB that filled neighbours must not have filled this one);
 *   - CR0.WP = 0: supervisor writes through two read-only 2 MiB mappings of
 *     one frame each set D in their own PDE;
 *   - SMEP with CR0.WP = 0: a supervisor write to a read-only user page
 *     works, a supervisor fetch from it still faults (#PF 0x11);
 *   - CR0.WP toggled, with EFER.NXE toggled in between: a supervisor write
 *     to a read-only page works with WP = 0 and faults with WP = 1;
 *   - one page directory reached through a writable and a read-only PDPTE:
 *     a user write through the read-only path faults even after one
 *     through the writable path succeeded.
 *
 * Expected under keel: pass on EPT and with shadow paging.  Bare (QEMU 7.2
 * TCG): pass, reserved-bit faults accepted without P (QEMU's departure,
 * noted as in paging/suite.c).
 */
#include <stdbool.h>
#include <stdint.h>

#include "lib/guest.h"
#include "lib/idt.h"
#include "lib/keel.h"
#include "lib/page_alloc.h"
#include "lib/pagetable.h"
#include "lib/paging.h"
#include "lib/paging_cpu.h"
#include "lib/report.h"
#include "lib/runner.h"
#include "lib/string.h"
#include "lib/usermode.h"
#include "lib/x86.h"

#define WINDOW          0x80000000u     /* PDPTE 2: a page directory of its own */
#define DATA_OFFSET     8u              /* reads and writes; offset 0 holds RET */
#define RET_OPCODE      0xC3u
#define LARGE_SIZE      (2u << 20)
#define WRITE_VALUE     0x5EEDF00Du
#define MAX_PRINTED     8u              /* mismatches printed per block */

/* The named cases: two 2 MiB aliases in the window's page directory, and
 * one page directory under PDPTE 1 (writable) and PDPTE 3 (read-only). */
#define ALIAS_A         (WINDOW + LARGE_SIZE)
#define ALIAS_B         (WINDOW + 2 * LARGE_SIZE)
#define SHARED_VIA_W    0x40000000u
#define SHARED_VIA_RO   0xC0000000u

static struct pt_space user_space;      /* RAM identity-mapped user-accessible */
static struct pt_space super_space;     /* the same, supervisor-only (for SMEP) */
static uint32_t frame_4k, frame_2m;
static uint32_t identity_bytes;
/* The page table under the window's PDE 0, written directly (pt_set would
 * build a new one under a PDE that is not present or maps a large page). */
static volatile uint64_t *window_pt;
static uint32_t window_pt_phys;

static void set_window_pte(unsigned index, uint64_t entry)
{
    window_pt[index] = entry;
    __asm__ __volatile__("" : : : "memory");
}

/* ---- accesses -------------------------------------------------------------- */

enum access_kind { ACCESS_READ, ACCESS_WRITE, ACCESS_FETCH, NR_ACCESS_KINDS };
static const char *const kind_names[] = { "read", "write", "fetch" };

struct outcome {
    int vector;
    uint32_t error;
    uint32_t cr2;
    bool at_instruction;        /* the fault was reported at the access */
};

static uint32_t user_read_body(uint32_t va)
{
    uint32_t v = 0;
    __asm__ __volatile__(ASM_TRY("movl (%1), %0") : "+r"(v) : "r"(va) : "memory");
    return v;
}

static uint32_t user_write_body(uint32_t va)
{
    __asm__ __volatile__(ASM_TRY("movl %0, (%1)") : : "r"(WRITE_VALUE), "r"(va) : "memory");
    return 0;
}

/* A CALL to va: its RET, or a fault on the fetch, continues after the CALL;
 * EBX restores ESP for the fault. */
static uint32_t fetch_body(uint32_t va)
{
    __asm__ __volatile__("movl %%esp, %%ebx\n\t" ASM_TRY("call *%0") "movl %%ebx, %%esp"
                         : : "r"(va) : "ebx", "memory");
    return 0;
}

static struct outcome access(uint32_t page, enum access_kind kind, bool user)
{
    uint32_t data = page + DATA_OFFSET;
    fault_reset();
    switch (kind) {
    case ACCESS_READ:
        user ? usermode_call(user_read_body, data) : user_read_body(data);
        break;
    case ACCESS_WRITE:
        user ? usermode_call(user_write_body, data) : user_write_body(data);
        break;
    default:
        user ? usermode_call(fetch_body, page) : fetch_body(page);
        break;
    }
    uint32_t target = kind == ACCESS_FETCH ? page : data;
    struct outcome o = { .vector = last_fault.vector, .error = last_fault.error_code,
                         .cr2 = read_cr2() };
    /* A fetch fault is reported at the target, the others at the access. */
    o.at_instruction = kind == ACCESS_FETCH ? last_fault.eip == target
                                            : last_fault.eip == fault_try_eip;
    return o;
}

/* ---- CPU state -------------------------------------------------------------- */

static void set_wp(bool on)
{
    uint32_t cr0 = read_cr0();
    if (!!(cr0 & CR0_WP) != on)
        write_cr0(on ? cr0 | CR0_WP : cr0 & ~CR0_WP);
}

static void set_nxe(bool on)
{
    if (!cpu_has_nx())
        return;
    bool is_on = efer_read() & EFER_NXE;
    if (is_on != on) {
        if (on)
            efer_set(EFER_NXE);
        else
            efer_clear(EFER_NXE);
    }
}

/* ---- the matrix ------------------------------------------------------------- */

struct rights_case {
    bool pdpte_w;
    bool pde_w, pde_u, pde_xd, large;
    bool pte_w, pte_u, pte_xd;
    enum access_kind kind;
    bool user, twice, wp, nxe;
};

struct expectation {
    bool fault;
    uint32_t error;
    uint64_t pde, pte;          /* after the access(es) */
    uint64_t pde_ignore;        /* bits of the PDE the CPU may have set or not */
};

static uint64_t pde_of(const struct rights_case *c)
{
    uint64_t e = PTE_P | (c->pde_w ? PTE_RW : 0) | (c->pde_u ? PTE_US : 0) |
                 (c->pde_xd ? PTE_XD : 0);
    return c->large ? e | PTE_PS | frame_2m : e | window_pt_phys;
}

static uint64_t pte_of(const struct rights_case *c)
{
    return PTE_P | (c->pte_w ? PTE_RW : 0) | (c->pte_u ? PTE_US : 0) | (c->pte_xd ? PTE_XD : 0) |
           frame_4k;
}

/* One access's outcome from entries 'pde' and 'pte' (SDM vol. 3A 4.6,
 * 4.7), with A and D updated on success (4.8). */
static void model_access(const struct rights_case *c, enum access_kind kind, bool user,
                         struct expectation *e)
{
    bool large = c->large;
    uint32_t error = (kind == ACCESS_WRITE ? PF_ERR_W : 0) | (user ? PF_ERR_U : 0);
    if (kind == ACCESS_FETCH && c->nxe)
        error |= PF_ERR_ID;
    bool rsvd = !c->nxe && (c->pde_xd || (!large && c->pte_xd));
    bool writable = c->pdpte_w && c->pde_w && (large || c->pte_w);
    bool user_ok = c->pde_u && (large || c->pte_u);
    bool executable = !c->nxe || (!c->pde_xd && (large || !c->pte_xd));
    bool fault = rsvd;
    if (!fault) {
        if (user && !user_ok)
            fault = true;
        else if (kind == ACCESS_WRITE && !writable && (user || c->wp))
            fault = true;
        else if (kind == ACCESS_FETCH && !executable)
            fault = true;
    }
    e->fault = fault;
    e->error = PF_ERR_P | (rsvd ? PF_ERR_RSVD : 0) | error;
    if (fault) {
        e->pde_ignore |= PTE_A;
        return;
    }
    e->pde |= PTE_A;
    if (large) {
        if (kind == ACCESS_WRITE)
            e->pde |= PTE_D;
    } else {
        e->pte |= PTE_A;
        if (kind == ACCESS_WRITE)
            e->pte |= PTE_D;
    }
}

static void model(const struct rights_case *c, struct expectation *e)
{
    *e = (struct expectation){ .pde = pde_of(c), .pte = c->large ? 0 : pte_of(c) };
    if (c->twice)
        model_access(c, ACCESS_READ, false, e);
    model_access(c, c->kind, c->user, e);
}

static void describe(const struct rights_case *c, char *buf, unsigned size)
{
    snprintf(buf, size, "WP=%d NXE=%d PDPTE.W=%d PDE%s W=%d U=%d XD=%d%s%s%s%s %s %s%s",
             c->wp, c->nxe, c->pdpte_w, c->large ? "(2M)" : "", c->pde_w, c->pde_u, c->pde_xd,
             c->large ? "" : " PTE", c->large ? "" : (c->pte_w ? " W=1" : " W=0"),
             c->large ? "" : (c->pte_u ? " U=1" : " U=0"),
             c->large ? "" : (c->pte_xd ? " XD=1" : " XD=0"), c->user ? "user" : "supervisor",
             kind_names[c->kind], c->twice ? " after a read" : "");
}

static volatile uint32_t *frame_word(const struct rights_case *c)
{
    return (volatile uint32_t *)(uintptr_t)((c->large ? frame_2m : frame_4k) + DATA_OFFSET);
}

/* QEMU 7.2's TCG reports a reserved-bit fault without P (paging/suite.c). */
static bool error_matches(uint32_t got, uint32_t want)
{
    if (got == want)
        return true;
    return !is_keel() && (want & PF_ERR_RSVD) && got == (want & ~PF_ERR_P);
}

static unsigned printed;

static bool run_case(const struct rights_case *c)
{
    struct expectation e;
    model(c, &e);
    pt_update(&user_space, WINDOW, PT_PDPTE, PTE_RW, c->pdpte_w ? PTE_RW : 0);
    pt_set(&user_space, WINDOW, PT_PDE, pde_of(c));
    if (!c->large)
        set_window_pte(0, pte_of(c));
    invlpg(WINDOW);
    set_wp(c->wp);
    set_nxe(c->nxe);
    *frame_word(c) = 0;

    if (c->twice)
        access(WINDOW, ACCESS_READ, false);
    struct outcome o = access(WINDOW, c->kind, c->user);
    uint64_t pde = pt_get(&user_space, WINDOW, PT_PDE);
    uint64_t pte = c->large ? 0 : window_pt[0];
    uint32_t target = WINDOW + (c->kind == ACCESS_FETCH ? 0 : DATA_OFFSET);
    uint32_t word = *frame_word(c);
    bool wrote = c->kind == ACCESS_WRITE && !e.fault;

    bool ok = e.fault ? o.vector == PF_VECTOR && error_matches(o.error, e.error) &&
                            o.cr2 == target && o.at_instruction
                      : o.vector == NO_FAULT;
    ok = ok && pte == e.pte && (pde & ~e.pde_ignore) == (e.pde & ~e.pde_ignore) &&
         word == (wrote ? WRITE_VALUE : 0);
    invlpg(WINDOW);
    if (!ok && printed++ < MAX_PRINTED) {
        char what[200];
        describe(c, what, sizeof(what));
        printf("page_rights: %s:\n", what);
        printf("page_rights:   got %s error 0x%x CR2 0x%08x%s, PDE 0x%llx PTE 0x%llx word 0x%x\n",
               o.vector == NO_FAULT ? "no fault" : exception_name(o.vector), o.error, o.cr2,
               o.vector != NO_FAULT && !o.at_instruction ? " (not at the access)" : "", pde,
               pte, word);
        printf("page_rights:   expected %s error 0x%x, PDE 0x%llx (ignoring 0x%llx) PTE 0x%llx\n",
               e.fault ? "#PF" : "no fault", e.error, e.pde, e.pde_ignore, e.pte);
    }
    return ok;
}

/* Every combination of entry rights and accesses with CR0.WP and NXE as
 * given, 4 KiB or 2 MiB pages. */
static bool matrix(bool wp, bool nxe, bool large)
{
    unsigned cases = 0, failed = 0;
    printed = 0;
    struct rights_case c = { .wp = wp, .nxe = nxe, .large = large };
    for (unsigned bits = 0; bits < (large ? 16u : 128u); bits++) {
        c.pdpte_w = bits & 1;
        c.pde_w = bits & 2;
        c.pde_u = bits & 4;
        c.pde_xd = bits & 8;
        c.pte_w = bits & 16;
        c.pte_u = bits & 32;
        c.pte_xd = bits & 64;
        for (unsigned a = 0; a < 2 * NR_ACCESS_KINDS + 2; a++) {
            c.kind = (enum access_kind)(a < 2 * NR_ACCESS_KINDS ? a % NR_ACCESS_KINDS
                                                                 : ACCESS_WRITE);
            c.user = a < 2 * NR_ACCESS_KINDS ? a >= NR_ACCESS_KINDS : a == 2 * NR_ACCESS_KINDS + 1;
            c.twice = a >= 2 * NR_ACCESS_KINDS;
            cases++;
            if (!run_case(&c))
                failed++;
        }
    }
    set_wp(true);
    set_nxe(true);
    printf("page_rights: WP=%d NXE=%d %s pages: %u cases, %u failed\n", wp, nxe,
           large ? "2 MiB" : "4 KiB", cases, failed);
    return failed == 0;
}

/* The matrix blocks, one check each; NXE = 1 needs NX. */
#define MATRIX_TEST(name, wp, nxe, large)                                           \
    static enum check_result name(const char **why)                                 \
    {                                                                               \
        if ((nxe) && !cpu_has_nx()) {                                               \
            *why = "no NX";                                                         \
            return CHECK_SKIPPED;                                                   \
        }                                                                           \
        return check_result_of(matrix(wp, nxe, large));                             \
    }
MATRIX_TEST(matrix_wp1_nxe1_4k, true, true, false)
MATRIX_TEST(matrix_wp0_nxe1_4k, false, true, false)
MATRIX_TEST(matrix_wp1_nxe0_4k, true, false, false)
MATRIX_TEST(matrix_wp0_nxe0_4k, false, false, false)
MATRIX_TEST(matrix_wp1_nxe1_2m, true, true, true)
MATRIX_TEST(matrix_wp0_nxe1_2m, false, true, true)
MATRIX_TEST(matrix_wp1_nxe0_2m, true, false, true)
MATRIX_TEST(matrix_wp0_nxe0_2m, false, false, true)

/* ---- not present, reserved bits ---------------------------------------------- */

enum broken_entry { PTE_NOT_PRESENT, PDE_NOT_PRESENT, PTE_BIT51, PDE_BIT51, LARGE_PDE_BIT13,
                    NR_BROKEN };
static const char *const broken_names[] = { "PTE not present", "PDE not present",
                                            "PTE bit 51", "PDE bit 51", "2 MiB PDE bit 13" };

static bool not_present_and_reserved(void)
{
    bool ok = true;
    bool bit51_reserved = cpu_maxphyaddr() <= PTE_ADDR_TOP_BIT;
    for (unsigned b = 0; b < NR_BROKEN; b++) {
        if ((b == PTE_BIT51 || b == PDE_BIT51) && !bit51_reserved)
            continue;
        bool large = b == LARGE_PDE_BIT13;
        bool not_present = b == PTE_NOT_PRESENT || b == PDE_NOT_PRESENT;
        uint64_t pde = PTE_P | PTE_RW | PTE_US | (large ? PTE_PS | frame_2m : 0);
        uint64_t pte = PTE_P | PTE_RW | PTE_US | frame_4k;
        if (b == PDE_NOT_PRESENT)
            pde &= ~PTE_P;
        if (b == PTE_NOT_PRESENT)
            pte &= ~PTE_P;
        if (b == PDE_BIT51)
            pde |= 1ull << PTE_ADDR_TOP_BIT;
        if (b == PTE_BIT51)
            pte |= 1ull << PTE_ADDR_TOP_BIT;
        if (b == LARGE_PDE_BIT13)
            pde |= PDE_2M_RESERVED_BIT13;
        pt_update(&user_space, WINDOW, PT_PDPTE, 0, PTE_RW);
        if (!large)
            pde |= window_pt_phys;
        set_window_pte(0, pte);
        pt_set(&user_space, WINDOW, PT_PDE, pde);
        for (unsigned nxe = 0; nxe < 2; nxe++)
            for (unsigned a = 0; a < 2 * NR_ACCESS_KINDS; a++) {
                enum access_kind kind = (enum access_kind)(a % NR_ACCESS_KINDS);
                bool user = a >= NR_ACCESS_KINDS;
                set_nxe(nxe);
                invlpg(WINDOW);
                struct outcome o = access(WINDOW, kind, user);
                uint32_t want = (not_present ? 0 : PF_ERR_P | PF_ERR_RSVD) |
                                (kind == ACCESS_WRITE ? PF_ERR_W : 0) | (user ? PF_ERR_U : 0) |
                                (kind == ACCESS_FETCH && nxe ? PF_ERR_ID : 0);
                uint32_t target = WINDOW + (kind == ACCESS_FETCH ? 0 : DATA_OFFSET);
                if (o.vector == PF_VECTOR && error_matches(o.error, want) && o.cr2 == target &&
                    o.at_instruction)
                    continue;
                printf("page_rights: %s, NXE=%u, %s %s: %s error 0x%x CR2 0x%08x, expected "
                       "#PF error 0x%x\n", broken_names[b], nxe, user ? "user" : "supervisor",
                       kind_names[kind],
                       o.vector == NO_FAULT ? "no fault" : exception_name(o.vector), o.error,
                       o.cr2, want);
                ok = false;
            }
    }
    pt_set(&user_space, WINDOW, PT_PDE, window_pt_phys | PTE_P | PTE_RW | PTE_US);
    set_nxe(true);
    invlpg(WINDOW);
    return ok;
}

/* ---- the named cases ------------------------------------------------------------ */

/* A 2 MiB mapping of frame_2m at 'va' with 'flags' (A and D clear). */
static void map_large(uint32_t va, uint64_t flags)
{
    pt_update(&user_space, va, PT_PDPTE, 0, PTE_RW);
    pt_set(&user_space, va, PT_PDE, frame_2m | PTE_P | PTE_PS | flags);
    invlpg(va);
}

static bool expect_outcome(const char *what, struct outcome o, int vector, uint32_t error)
{
    if (o.vector == vector && (vector == NO_FAULT || o.error == error))
        return true;
    printf("page_rights: %s: %s error 0x%x, expected %s error 0x%x\n", what,
           o.vector == NO_FAULT ? "no fault" : exception_name(o.vector), o.error,
           vector == NO_FAULT ? "no fault" : exception_name(vector), error);
    return false;
}

static bool expect_bits(const char *what, uint64_t entry, uint64_t mask, uint64_t want)
{
    if ((entry & mask) == want)
        return true;
    printf("page_rights: %s: entry 0x%llx, bits 0x%llx should be 0x%llx\n", what, entry, mask,
           want);
    return false;
}

static bool aliased_large_pages_one_read_only(void)
{
    set_wp(true);
    map_large(ALIAS_B, 0);                          /* read-only */
    bool ok = expect_outcome("read through the read-only alias",
                             access(ALIAS_B, ACCESS_READ, false), NO_FAULT, 0);
    map_large(ALIAS_A, PTE_RW);
    ok = expect_outcome("read through the writable alias", access(ALIAS_A, ACCESS_READ, false),
                        NO_FAULT, 0) && ok;
    ok = expect_outcome("write through the writable alias",
                        access(ALIAS_A, ACCESS_WRITE, false), NO_FAULT, 0) && ok;
    ok = expect_bits("writable alias PDE", pt_get(&user_space, ALIAS_A, PT_PDE), PTE_D, PTE_D) &&
         ok;
    ok = expect_outcome("write through the read-only alias",
                        access(ALIAS_B, ACCESS_WRITE, false), PF_VECTOR, PF_ERR_P | PF_ERR_W) &&
         ok;
    ok = expect_bits("read-only alias PDE", pt_get(&user_space, ALIAS_B, PT_PDE), PTE_D, 0) && ok;
    return ok;
}

static enum check_result xd_reserved_next_to_used_pte(const char **why)
{
    if (!cpu_has_nx()) {
        *why = "no NX: bit 63 is reserved anyway";
        return CHECK_SKIPPED;
    }
    set_nxe(false);
    uint32_t first = WINDOW + 0x1000, second = WINDOW + 0x3000;
    pt_set(&user_space, WINDOW, PT_PDE, window_pt_phys | PTE_P | PTE_RW | PTE_US);
    set_window_pte(1, PTE_P | PTE_RW | frame_4k);
    set_window_pte(3, PTE_P | PTE_RW | PTE_XD | frame_4k);
    invlpg(first);
    invlpg(second);
    bool ok = expect_outcome("read of the plain page", access(first, ACCESS_READ, false),
                             NO_FAULT, 0);
    struct outcome o = access(second, ACCESS_READ, false);
    ok = (o.vector == PF_VECTOR && error_matches(o.error, PF_ERR_P | PF_ERR_RSVD)) ? ok
         : expect_outcome("read of the XD page with NXE=0", o, PF_VECTOR,
                          PF_ERR_P | PF_ERR_RSVD) && false;
    set_window_pte(1, 0);
    set_window_pte(3, 0);
    invlpg(first);
    invlpg(second);
    set_nxe(true);
    return check_result_of(ok);
}

static bool wp0_writes_set_dirty_in_each_alias(void)
{
    set_wp(false);
    map_large(ALIAS_B, 0);
    map_large(ALIAS_A, 0);
    bool ok = expect_outcome("read through the second alias",
                             access(ALIAS_B, ACCESS_READ, false), NO_FAULT, 0);
    ok = expect_outcome("WP=0 write through the first alias",
                        access(ALIAS_A, ACCESS_WRITE, false), NO_FAULT, 0) && ok;
    ok = expect_outcome("WP=0 write through the second alias",
                        access(ALIAS_B, ACCESS_WRITE, false), NO_FAULT, 0) && ok;
    ok = expect_bits("first alias PDE", pt_get(&user_space, ALIAS_A, PT_PDE), PTE_D, PTE_D) && ok;
    ok = expect_bits("second alias PDE", pt_get(&user_space, ALIAS_B, PT_PDE), PTE_D, PTE_D) && ok;
    set_wp(true);
    return ok;
}

static enum check_result smep_without_wp(const char **why)
{
    if (!cpu_has_smep()) {
        *why = "no SMEP";
        return CHECK_SKIPPED;
    }
    set_wp(false);
    pt_activate(&super_space);
    pt_set(&super_space, WINDOW, PT_PDE, window_pt_phys | PTE_P | PTE_RW | PTE_US | PTE_A);
    set_window_pte(0, PTE_P | PTE_US | PTE_A | frame_4k);
    invlpg(WINDOW);
    write_cr4(read_cr4() | CR4_SMEP);
    bool ok = expect_outcome("WP=0 supervisor write to a read-only user page",
                             access(WINDOW, ACCESS_WRITE, false), NO_FAULT, 0);
    ok = expect_outcome("supervisor fetch from that user page with SMEP",
                        access(WINDOW, ACCESS_FETCH, false), PF_VECTOR,
                        PF_ERR_P | PF_ERR_ID) && ok;
    write_cr4(read_cr4() & ~CR4_SMEP);
    pt_activate(&user_space);
    set_wp(true);
    return check_result_of(ok);
}

static bool wp_toggled_around_nxe(void)
{
    pt_set(&user_space, WINDOW, PT_PDE, window_pt_phys | PTE_P | PTE_RW | PTE_US | PTE_A);
    set_window_pte(0, PTE_P | PTE_A | frame_4k);
    bool ok = true;
    for (unsigned wp = 0; wp < 2; wp++) {
        invlpg(WINDOW);
        set_wp(!wp);
        set_nxe(true);
        set_nxe(false);
        set_wp(wp);
        ok = expect_outcome(wp ? "supervisor write, WP=1" : "supervisor write, WP=0",
                            access(WINDOW, ACCESS_WRITE, false), wp ? PF_VECTOR : NO_FAULT,
                            PF_ERR_P | PF_ERR_W) && ok;
    }
    set_nxe(true);
    set_wp(true);
    return ok;
}

/* PDPTE 1 (writable) and PDPTE 3 (read-only) both point at one page
 * directory whose PDE 0 leads to a user-writable page and PDE 1 to another:
 * the rights of the path taken count, not those of another path to the
 * same tables (access.c's "effective permissions"). */
static bool shared_directory_under_two_pdptes(void)
{
    uint32_t pd = page_alloc(), pt0 = page_alloc(), pt1 = page_alloc();
    volatile uint64_t *dir = (volatile uint64_t *)(uintptr_t)pd;
    ((volatile uint64_t *)(uintptr_t)pt0)[0] = frame_4k | PTE_P | PTE_RW | PTE_US | PTE_A;
    ((volatile uint64_t *)(uintptr_t)pt1)[0] = frame_2m | PTE_P | PTE_RW | PTE_US | PTE_A;
    dir[0] = pt0 | PTE_P | PTE_RW | PTE_US | PTE_A;
    dir[1] = pt1 | PTE_P | PTE_RW | PTE_US | PTE_A;
    __asm__ __volatile__("" : : : "memory");
    pt_set(&user_space, SHARED_VIA_W, PT_PDPTE, pd | PTE_P | PTE_RW | PTE_US | PTE_A);
    pt_set(&user_space, SHARED_VIA_RO, PT_PDPTE, pd | PTE_P | PTE_US | PTE_A);
    bool ok = expect_outcome("user read through the writable PDPTE",
                             access(SHARED_VIA_W, ACCESS_READ, true), NO_FAULT, 0);
    ok = expect_outcome("user write through the writable PDPTE",
                        access(SHARED_VIA_W + LARGE_SIZE, ACCESS_WRITE, true), NO_FAULT, 0) && ok;
    ok = expect_outcome("user read through the read-only PDPTE",
                        access(SHARED_VIA_RO, ACCESS_READ, true), NO_FAULT, 0) && ok;
    ok = expect_outcome("user write through the read-only PDPTE",
                        access(SHARED_VIA_RO + LARGE_SIZE, ACCESS_WRITE, true), PF_VECTOR,
                        PF_ERR_P | PF_ERR_W | PF_ERR_U) && ok;
    pt_set(&user_space, SHARED_VIA_W, PT_PDPTE, 0);
    pt_set(&user_space, SHARED_VIA_RO, PT_PDPTE, 0);
    write_cr3(read_cr3());
    return ok;
}

/* ---- set-up --------------------------------------------------------------------- */

static void build_spaces(void)
{
    identity_bytes = (ram_end() + LARGE_SIZE - 1) & ~(LARGE_SIZE - 1);
    pt_init(&user_space, PT_MODE_4LEVEL);
    pt_map_range(&user_space, 0, 0, identity_bytes, PT_PDE, PTE_P | PTE_RW | PTE_US);
    pt_init(&super_space, PT_MODE_4LEVEL);
    pt_map_range(&super_space, 0, 0, identity_bytes, PT_PDE, PTE_P | PTE_RW);
    frame_4k = page_alloc();
    frame_2m = phys_alloc_aligned(LARGE_SIZE, LARGE_SIZE);
    *(volatile uint8_t *)(uintptr_t)frame_4k = RET_OPCODE;
    *(volatile uint8_t *)(uintptr_t)frame_2m = RET_OPCODE;
    window_pt_phys = page_alloc();
    window_pt = (volatile uint64_t *)(uintptr_t)window_pt_phys;
    /* The window's PDPTE (made here): present, user, A set (the CPU may
     * set it; the matrix does not look). */
    pt_set(&user_space, WINDOW, PT_PDE, window_pt_phys | PTE_P | PTE_RW | PTE_US);
    pt_update(&user_space, WINDOW, PT_PDPTE, 0, PTE_A);
    pt_share(&super_space, &user_space, WINDOW, PT_PDPTE);
}

static const struct named_check matrix_checks[] = {
    { "page_rights: WP=1 NXE=1, 4 KiB pages: every rights combination and access",
      NEEDS_NOTHING, matrix_wp1_nxe1_4k },
    { "page_rights: WP=0 NXE=1, 4 KiB pages: every rights combination and access",
      NEEDS_NOTHING, matrix_wp0_nxe1_4k },
    { "page_rights: WP=1 NXE=0, 4 KiB pages: every rights combination and access",
      NEEDS_NOTHING, matrix_wp1_nxe0_4k },
    { "page_rights: WP=0 NXE=0, 4 KiB pages: every rights combination and access",
      NEEDS_NOTHING, matrix_wp0_nxe0_4k },
    { "page_rights: WP=1 NXE=1, 2 MiB pages: every rights combination and access",
      NEEDS_NOTHING, matrix_wp1_nxe1_2m },
    { "page_rights: WP=0 NXE=1, 2 MiB pages: every rights combination and access",
      NEEDS_NOTHING, matrix_wp0_nxe1_2m },
    { "page_rights: WP=1 NXE=0, 2 MiB pages: every rights combination and access",
      NEEDS_NOTHING, matrix_wp1_nxe0_2m },
    { "page_rights: WP=0 NXE=0, 2 MiB pages: every rights combination and access",
      NEEDS_NOTHING, matrix_wp0_nxe0_2m },
};

static const struct named_test tests[] = {
    { "page_rights: not-present and reserved-bit entries fault for every access",
      NEEDS_NOTHING, not_present_and_reserved },
    { "page_rights: aliased 2 MiB pages, one read-only: D and the fault stay apart",
      NEEDS_NOTHING, aliased_large_pages_one_read_only },
    { "page_rights: WP=0 writes through two read-only aliases set D in each", NEEDS_NOTHING,
      wp0_writes_set_dirty_in_each_alias },
    { "page_rights: CR0.WP toggled around an EFER.NXE toggle is in force", NEEDS_NOTHING,
      wp_toggled_around_nxe },
    { "page_rights: one page directory under a writable and a read-only PDPTE",
      NEEDS_NOTHING, shared_directory_under_two_pdptes },
};

static const struct named_check checks[] = {
    { "page_rights: XD with NXE=0 next to a PTE just used: #PF with RSVD", NEEDS_NOTHING,
      xd_reserved_next_to_used_pte },
    { "page_rights: SMEP with WP=0: write works, fetch faults", NEEDS_NOTHING, smep_without_wp },
};

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    if (!cpu_has_long_mode())
        report_abort("page_rights: the CPU has no IA-32e mode");
    build_spaces();
    pt_enable(&user_space);
    set_nxe(true);
    set_wp(true);
    printf("page_rights: 4-level paging; NX %s, SMEP %s, MAXPHYADDR %u\n",
           cpu_has_nx() ? "yes" : "no", cpu_has_smep() ? "yes" : "no", cpu_maxphyaddr());
    run_checks(matrix_checks, ARRAY_SIZE(matrix_checks));
    run_tests(tests, ARRAY_SIZE(tests));
    run_checks(checks, ARRAY_SIZE(checks));
}
