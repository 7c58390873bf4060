/*
 * msr: RDMSR and WRMSR of MSRs keel does not know must raise #GP(0) in the
 * guest (keel injects it; the guest's IDT catches it), at the instruction
 * (a fault: the MSR instruction is not completed, so EDX:EAX keep their old
 * values), while IA32_TIME_STAMP_COUNTER and IA32_APIC_BASE read normally.
 *
 * The unknown indexes: one outside both ranges an MSR bitmap covers
 * (0-0x1FFF, 0xC0000000-0xC0001FFF; SDM vol. 3C 25.6.9), so every access
 * exits, and the last index of each range, unassigned on Intel and AMD
 * CPUs alike.
 *
 * Then what kvm-unit-tests' msr test holds a hypervisor to, from IA-32e
 * mode (the guest enters it: FS and GS base hold 64-bit values only there):
 *   - each MSR of its list reads back what was written: SYSENTER_CS/ESP/
 *     EIP, IA32_MISC_ENABLE (its writable bits; bits 7, 11, 12 read-only),
 *     IA32_PAT, FS_BASE, GS_BASE, KERNEL_GS_BASE, EFER.SCE, LSTAR, CSTAR,
 *     FMASK; the seven that hold an address raise #GP(0) for a value that is
 *     not canonical (SDM vol. 4 table 2-2; vol. 3A 3.4.4.1);
 *   - machine check: IA32_MCG_CAP's bank count N; the CTL/STATUS/ADDR/MISC
 *     MSRs of banks N to 31 (0x400 + 4 * bank ...) raise #GP(0) both ways;
 *   - the x2APIC MSRs 0x800-0x8FF: in xAPIC mode every one raises #GP(0)
 *     (SDM vol. 3A 11.12.1.2); in x2APIC mode each follows SDM table 11-6:
 *     a register that cannot be read or written raises #GP(0) for that
 *     access, bits 63:32 are reserved (all but ICR), SELF IPI bits 31:8 too;
 *     the read-write ones read back what was written, the read-only ones
 *     have bits 63:32 clear;
 *   - the speculation-control MSRs follow CPUID: IA32_SPEC_CTRL exists only
 *     with CPUID.7:EDX[26] (IBRS/IBPB), IA32_PRED_CMD and IA32_FLUSH_CMD
 *     are write-only and exist only with IBRS/IBPB and L1D_FLUSH (bit 28).
 *
 * Expected under keel: pass.  Bare: the no-fault reads and the read-back
 * checks pass; the #GP checks and the TSC comparison SKIP, because QEMU
 * 7.2's TCG reads unknown MSRs as 0 without a fault and reads
 * IA32_TIME_STAMP_COUNTER as 0 (hardware and KVM would pass them).
 */
#include <stdbool.h>
#include <stdint.h>

#include "lib/apic.h"
#include "lib/guest.h"
#include "lib/idt.h"
#include "lib/keel.h"
#include "lib/page_alloc.h"
#include "lib/pagetable.h"
#include "lib/paging_cpu.h"
#include "lib/report.h"
#include "lib/runner.h"
#include "lib/x86.h"

/* What EDX:EAX hold before a RDMSR that must fault. */
#define UNTOUCHED_EAX 0x5EED0001u
#define UNTOUCHED_EDX 0x5EED0002u

static const uint32_t unknown_msrs[] = {
    0x12345678u,        /* outside the MSR-bitmap ranges */
    0x00001FFFu,        /* last index of the low range */
    0xC0001FFFu,        /* last index of the high range */
};

/* RDMSR under ASM_TRY; *eax and *edx go in as given and come out as the
 * instruction left them.  Returns the vector taken, or NO_FAULT. */
static int rdmsr_try(uint32_t msr, uint32_t *eax, uint32_t *edx)
{
    fault_reset();
    __asm__ __volatile__(ASM_TRY("rdmsr") : "+a"(*eax), "+d"(*edx) : "c"(msr) : "memory");
    return last_fault.vector;
}

static int wrmsr_try(uint32_t msr, uint64_t value)
{
    fault_reset();
    __asm__ __volatile__(ASM_TRY("wrmsr")
                         : : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
                         : "memory");
    return last_fault.vector;
}

static bool is_gp0_at_try(const char *what, uint32_t msr)
{
    bool ok = fault_at_try(GP_VECTOR) && last_fault.error_code == 0;
    if (!ok)
        printf("msr: %s 0x%08x: vector %d (%s) error 0x%x at 0x%08x, instruction at 0x%08x\n",
               what, msr, last_fault.vector, exception_name(last_fault.vector),
               last_fault.error_code, last_fault.eip, fault_try_eip);
    return ok;
}

static void check_unknown_msr(uint32_t msr)
{
    uint32_t eax = UNTOUCHED_EAX, edx = UNTOUCHED_EDX;
    char name[64];

    snprintf(name, sizeof(name), "msr: rdmsr 0x%08x raises #GP(0)", msr);
    if (test_selected(name) && test_needs_met(name, NEEDS_KEEL)) {
        rdmsr_try(msr, &eax, &edx);
        report(is_gp0_at_try("rdmsr", msr), "%s", name);
        report(eax == UNTOUCHED_EAX && edx == UNTOUCHED_EDX,
               "msr: rdmsr 0x%08x leaves EDX:EAX alone", msr);
    }

    snprintf(name, sizeof(name), "msr: wrmsr 0x%08x raises #GP(0)", msr);
    if (test_selected(name) && test_needs_met(name, NEEDS_KEEL)) {
        wrmsr_try(msr, 0);
        report(is_gp0_at_try("wrmsr", msr), "%s", name);
    }
}

static bool tsc_reads(void)
{
    uint32_t lo = 0, hi = 0;
    int v = rdmsr_try(MSR_IA32_TIME_STAMP_COUNTER, &lo, &hi);
    printf("msr: IA32_TIME_STAMP_COUNTER 0x%08x%08x (vector %d)\n", hi, lo, v);
    return v == NO_FAULT;
}

/* RDTSC, RDMSR(IA32_TIME_STAMP_COUNTER), RDTSC: the three reads must come
 * out in order: both read the same counter (SDM vol. 3B 18.17). */
static bool tsc_msr_agrees_with_rdtsc(void)
{
    uint32_t lo = 0, hi = 0;
    uint64_t before = rdtsc();
    int v = rdmsr_try(MSR_IA32_TIME_STAMP_COUNTER, &lo, &hi);
    uint64_t after = rdtsc();
    uint64_t msr = ((uint64_t)hi << 32) | lo;
    printf("msr: RDTSC 0x%llx, IA32_TIME_STAMP_COUNTER 0x%llx, RDTSC 0x%llx\n",
           before, msr, after);
    return v == NO_FAULT && before <= msr && msr <= after;
}

/* WRMSR IA32_TIME_STAMP_COUNTER moves the counter RDTSC reads (SDM vol. 3B
 * 18.17): afterwards RDTSC is at or past the value written, and not far. */
static bool tsc_write_moves_rdtsc(void)
{
    const uint64_t target = 0x123456789000ull;
    wrmsr(MSR_IA32_TIME_STAMP_COUNTER, target);
    uint64_t now = rdtsc();
    printf("msr: wrote IA32_TIME_STAMP_COUNTER 0x%llx, RDTSC then 0x%llx\n", target, now);
    return now >= target && now - target < 100000000ull;
}

static bool apic_base_reads(void)
{
    uint32_t lo = 0, hi = 0;
    int v = rdmsr_try(MSR_IA32_APIC_BASE, &lo, &hi);
    printf("msr: IA32_APIC_BASE 0x%08x%08x (vector %d)\n", hi, lo, v);
    return v == NO_FAULT;
}

static const struct named_test known_msr_tests[] = {
    { "msr: rdmsr IA32_TIME_STAMP_COUNTER works", NEEDS_NOTHING, tsc_reads },
    { "msr: rdmsr IA32_APIC_BASE works", NEEDS_NOTHING, apic_base_reads },
    { "msr: IA32_TIME_STAMP_COUNTER lies between two RDTSCs", NEEDS_KEEL,
      tsc_msr_agrees_with_rdtsc },
    { "msr: wrmsr IA32_TIME_STAMP_COUNTER sets the counter RDTSC reads", NEEDS_KEEL,
      tsc_write_moves_rdtsc },
};

/* ---- kvm-unit-tests' list, in IA-32e mode ------------------------------------ */

#define MSR_IA32_MCG_CAP        0x179u
#define MSR_IA32_MISC_ENABLE    0x1A0u
#define MSR_IA32_MC0_CTL        0x400u
#define MSR_IA32_SPEC_CTRL      0x48u
#define MSR_IA32_PRED_CMD       0x49u
#define MSR_IA32_FLUSH_CMD      0x10Bu
#define EFER_SCE                (1u << 0)
#define MCG_CAP_COUNT_MASK      0xFFu
#define MC_BANKS_ARCHITECTURAL  32u     /* 0x400-0x47F; 0x480 starts the VMX MSRs */
#define MC_MSRS_PER_BANK        4u      /* CTL, STATUS, ADDR, MISC */
#define CPUID_7_EDX_IBRS_IBPB   (1u << 26)
#define CPUID_7_EDX_L1D_FLUSH   (1u << 28)

#define ADDRESS_64              0x0000123456789ABCull
#define NON_CANONICAL           0xAAAAAAAAAAAAAAAAull
/* IA32_MISC_ENABLE: a value with writable bits (fast strings, automatic
 * thermal control, EIST, MONITOR FSM, limit CPUID maxval, xTPR disable, XD
 * disable) and the read-only bits 7, 11, 12, which keep their value. */
#define MISC_ENABLE_VALUE       0x400C50809ull
#define MISC_ENABLE_READ_ONLY   0x1880ull

struct listed_msr {
    uint32_t msr;
    const char *name;
    uint64_t value;
    uint64_t read_only;         /* bits that keep their value */
    bool holds_address;         /* not canonical: #GP(0) */
};

static const struct listed_msr listed_msrs[] = {
    { MSR_IA32_SYSENTER_CS, "IA32_SYSENTER_CS", 0x1234, 0, false },
    { MSR_IA32_SYSENTER_ESP, "IA32_SYSENTER_ESP", ADDRESS_64, 0, true },
    { MSR_IA32_SYSENTER_EIP, "IA32_SYSENTER_EIP", ADDRESS_64, 0, true },
    { MSR_IA32_MISC_ENABLE, "IA32_MISC_ENABLE", MISC_ENABLE_VALUE, MISC_ENABLE_READ_ONLY, false },
    { MSR_IA32_PAT, "IA32_PAT", 0x07070707ull, 0, false },
    { MSR_IA32_FS_BASE, "IA32_FS_BASE", ADDRESS_64, 0, true },
    { MSR_IA32_GS_BASE, "IA32_GS_BASE", ADDRESS_64, 0, true },
    { MSR_IA32_KERNEL_GS_BASE, "IA32_KERNEL_GS_BASE", ADDRESS_64, 0, true },
    { MSR_IA32_LSTAR, "IA32_LSTAR", ADDRESS_64, 0, true },
    { MSR_IA32_CSTAR, "IA32_CSTAR", ADDRESS_64, 0, true },
    { MSR_IA32_FMASK, "IA32_FMASK", 0xFFFFFFFFull, 0, false },
};

static uint64_t rdmsr64(uint32_t msr, int *vector)
{
    uint32_t lo = 0, hi = 0;
    *vector = rdmsr_try(msr, &lo, &hi);
    return (uint64_t)hi << 32 | lo;
}

/* Writes 'value' (bits in 'read_only' taken from the current value), reads
 * it back, writes the old value again. */
static bool round_trip(uint32_t msr, const char *name, uint64_t value, uint64_t read_only)
{
    int v;
    uint64_t old = rdmsr64(msr, &v);
    value = (value & ~read_only) | (old & read_only);
    int w = wrmsr_try(msr, value);
    uint64_t got = rdmsr64(msr, &v);
    wrmsr(msr, old);
    if (w == NO_FAULT && v == NO_FAULT && got == value)
        return true;
    printf("msr: %s: wrote 0x%llx (vector %d), read 0x%llx (vector %d)\n", name, value, w, got,
           v);
    return false;
}

static bool listed_msrs_read_back(void)
{
    bool ok = true;
    for (size_t i = 0; i < ARRAY_SIZE(listed_msrs); i++)
        ok = round_trip(listed_msrs[i].msr, listed_msrs[i].name, listed_msrs[i].value,
                        listed_msrs[i].read_only) && ok;
    int v;
    uint64_t efer = rdmsr64(MSR_IA32_EFER, &v);
    return round_trip(MSR_IA32_EFER, "IA32_EFER", efer | EFER_SCE, 0) && ok;
}

static bool non_canonical_addresses_fault(void)
{
    bool ok = true;
    for (size_t i = 0; i < ARRAY_SIZE(listed_msrs); i++) {
        if (!listed_msrs[i].holds_address)
            continue;
        int v;
        uint64_t old = rdmsr64(listed_msrs[i].msr, &v);
        wrmsr_try(listed_msrs[i].msr, NON_CANONICAL);
        bool faulted = is_gp0_at_try("wrmsr (not canonical)", listed_msrs[i].msr);
        uint64_t after = rdmsr64(listed_msrs[i].msr, &v);
        wrmsr(listed_msrs[i].msr, old);
        if (!faulted || after != old) {
            printf("msr: %s after the refused write: 0x%llx (was 0x%llx)\n",
                   listed_msrs[i].name, after, old);
            ok = false;
        }
    }
    return ok;
}

/* Banks past IA32_MCG_CAP's count up to the architectural 32. */
static bool absent_mc_banks_fault(void)
{
    int v;
    unsigned banks = (unsigned)(rdmsr64(MSR_IA32_MCG_CAP, &v) & MCG_CAP_COUNT_MASK);
    printf("msr: IA32_MCG_CAP reports %u banks\n", banks);
    bool ok = v == NO_FAULT;
    for (unsigned bank = banks; bank < MC_BANKS_ARCHITECTURAL; bank++)
        for (unsigned k = 0; k < MC_MSRS_PER_BANK; k++) {
            uint32_t msr = MSR_IA32_MC0_CTL + bank * MC_MSRS_PER_BANK + k;
            uint32_t lo = 0, hi = 0;
            rdmsr_try(msr, &lo, &hi);
            ok = is_gp0_at_try("rdmsr", msr) && ok;
            wrmsr_try(msr, 0);
            ok = is_gp0_at_try("wrmsr", msr) && ok;
        }
    return ok;
}

/* Speculation-control MSRs exist exactly as far as CPUID says. */
static bool speculation_msrs_follow_cpuid(void)
{
    uint32_t edx = cpuid(CPUID_LEAF_VENDOR).eax >= CPUID_LEAF_EXTENDED ? cpuid_leaf7().edx : 0;
    bool spec_ctrl = edx & CPUID_7_EDX_IBRS_IBPB, flush = edx & CPUID_7_EDX_L1D_FLUSH;
    printf("msr: CPUID IBRS/IBPB %s, L1D_FLUSH %s\n", spec_ctrl ? "yes" : "no",
           flush ? "yes" : "no");
    uint32_t lo = 0, hi = 0;
    bool ok = true;
    /* Write-only: a read faults whatever CPUID says. */
    rdmsr_try(MSR_IA32_PRED_CMD, &lo, &hi);
    ok = is_gp0_at_try("rdmsr", MSR_IA32_PRED_CMD) && ok;
    rdmsr_try(MSR_IA32_FLUSH_CMD, &lo, &hi);
    ok = is_gp0_at_try("rdmsr", MSR_IA32_FLUSH_CMD) && ok;
    if (spec_ctrl) {
        ok = round_trip(MSR_IA32_SPEC_CTRL, "IA32_SPEC_CTRL", 0, 0) && ok;
        ok = wrmsr_try(MSR_IA32_PRED_CMD, 0) == NO_FAULT && ok;
    } else {
        rdmsr_try(MSR_IA32_SPEC_CTRL, &lo, &hi);
        ok = is_gp0_at_try("rdmsr", MSR_IA32_SPEC_CTRL) && ok;
        wrmsr_try(MSR_IA32_SPEC_CTRL, 0);
        ok = is_gp0_at_try("wrmsr", MSR_IA32_SPEC_CTRL) && ok;
        wrmsr_try(MSR_IA32_PRED_CMD, 0);
        ok = is_gp0_at_try("wrmsr", MSR_IA32_PRED_CMD) && ok;
    }
    if (flush)
        ok = wrmsr_try(MSR_IA32_FLUSH_CMD, 0) == NO_FAULT && ok;
    else {
        wrmsr_try(MSR_IA32_FLUSH_CMD, 0);
        ok = is_gp0_at_try("wrmsr", MSR_IA32_FLUSH_CMD) && ok;
    }
    return ok;
}

/* ---- the x2APIC MSRs ---------------------------------------------------------- */

enum x2apic_access { X2_NONE = 0, X2_READ = 1, X2_WRITE = 2, X2_READ_WRITE = 3 };

/* SDM vol. 3A table 11-6, for an APIC whose Max LVT Entry is 'max_lvt'
 * (the thermal, performance-counter and CMCI entries exist from 5, 4 and
 * 6 on: 11.5.1). */
static enum x2apic_access x2apic_register_access(unsigned offset, unsigned max_lvt)
{
    if (offset >= APIC_ISR && offset < APIC_IRR + APIC_VECTOR_REGS * APIC_VECTOR_REG_STRIDE)
        return X2_READ;                 /* ISR, TMR, IRR */
    switch (offset) {
    case APIC_ID: case APIC_VERSION: case APIC_PPR: case APIC_LDR:
    case APIC_TIMER_CURRENT_COUNT:
        return X2_READ;
    case APIC_EOI: case APIC_SELF_IPI:
        return X2_WRITE;
    case APIC_TPR: case APIC_SVR: case APIC_ESR: case APIC_ICR_LOW: case APIC_LVT_TIMER:
    case APIC_LVT_LINT0: case APIC_LVT_LINT1: case APIC_LVT_ERROR:
    case APIC_TIMER_INITIAL_COUNT: case APIC_TIMER_DIVIDE:
        return X2_READ_WRITE;
    case APIC_LVT_PMC:
        return max_lvt >= 4 ? X2_READ_WRITE : X2_NONE;
    case APIC_LVT_THERMAL:
        return max_lvt >= 5 ? X2_READ_WRITE : X2_NONE;
    case APIC_LVT_CMCI:
        return max_lvt >= 6 ? X2_READ_WRITE : X2_NONE;
    default:
        return X2_NONE;
    }
}

static bool every_x2apic_msr_faults_in_xapic_mode(void)
{
    bool ok = true;
    for (unsigned offset = 0; offset < 0x1000; offset += 0x10) {
        uint32_t msr = X2APIC_MSR(offset), lo = 0, hi = 0;
        rdmsr_try(msr, &lo, &hi);
        ok = is_gp0_at_try("rdmsr (xAPIC mode)", msr) && ok;
        wrmsr_try(msr, 0);
        ok = is_gp0_at_try("wrmsr (xAPIC mode)", msr) && ok;
    }
    return ok;
}

static bool x2apic_msrs_follow_table(unsigned max_lvt)
{
    bool ok = true;
    for (unsigned offset = 0; offset < 0x1000; offset += 0x10) {
        uint32_t msr = X2APIC_MSR(offset), lo = 0, hi = 0;
        enum x2apic_access access = x2apic_register_access(offset, max_lvt);
        if (!(access & X2_READ)) {
            rdmsr_try(msr, &lo, &hi);
            ok = is_gp0_at_try("rdmsr (x2APIC, not readable)", msr) && ok;
        }
        if (!(access & X2_WRITE)) {
            wrmsr_try(msr, 0);
            ok = is_gp0_at_try("wrmsr (x2APIC, not writable)", msr) && ok;
        }
        if (offset != APIC_ICR_LOW) {
            wrmsr_try(msr, ~0ull);
            ok = is_gp0_at_try("wrmsr (x2APIC, bits 63:32 set)", msr) && ok;
        }
        if (offset == APIC_SELF_IPI) {
            static const uint64_t reserved[] = { 0x100, 0xFF00, 0xFF000000ull };
            for (size_t i = 0; i < ARRAY_SIZE(reserved); i++) {
                wrmsr_try(msr, reserved[i]);
                ok = is_gp0_at_try("wrmsr (x2APIC SELF IPI, bits 31:8 set)", msr) && ok;
            }
        }
        int v;
        if (access == X2_READ_WRITE && offset != APIC_ICR_LOW) {
            /* ESR takes only 0; the rest their own value back. */
            uint64_t value = offset == APIC_ESR ? 0 : rdmsr64(msr, &v);
            char name[32];
            snprintf(name, sizeof(name), "x2APIC MSR 0x%x", msr);
            ok = round_trip(msr, name, value, 0) && ok;
        } else if (access == X2_WRITE) {
            /* EOI with nothing in service; SELF IPI of vector 0, which the
             * APIC refuses through ESR, not with #GP (SDM 11.5.3). */
            ok = wrmsr_try(msr, 0) == NO_FAULT && ok;
        } else if (access == X2_READ) {
            uint64_t value = rdmsr64(msr, &v);
            if (v != NO_FAULT || value >> 32) {
                printf("msr: x2APIC MSR 0x%x read 0x%llx (vector %d)\n", msr, value, v);
                ok = false;
            }
        }
    }
    return ok;
}

static bool have_x2apic(void)
{
    return cpuid(CPUID_LEAF_FEATURES).ecx & CPUID_1_ECX_X2APIC;
}

static enum check_result x2apic_msrs_in_x2apic_mode(const char **why)
{
    if (!have_x2apic()) {
        *why = "CPUID has no x2APIC";
        return CHECK_SKIPPED;
    }
    if (!is_keel()) {
        *why = "not under keel";
        return CHECK_SKIPPED;
    }
    unsigned max_lvt = (xapic_read(APIC_VERSION) >> APIC_MAX_LVT_SHIFT) & APIC_MAX_LVT_MASK;
    uint64_t base = rdmsr(MSR_IA32_APIC_BASE);
    wrmsr(MSR_IA32_APIC_BASE, base | APIC_BASE_EXTD);
    bool ok = x2apic_msrs_follow_table(max_lvt);
    wrmsr(X2APIC_MSR(APIC_ESR), 0);
    /* Back to xAPIC mode through the disabled state (SDM 11.12.5). */
    wrmsr(MSR_IA32_APIC_BASE, base & ~(uint64_t)(APIC_BASE_EN | APIC_BASE_EXTD));
    wrmsr(MSR_IA32_APIC_BASE, base);
    return check_result_of(ok);
}

static void enter_long_mode(void)
{
    static struct pt_space space;
    pt_init(&space, PT_MODE_4LEVEL);
    pt_map_range(&space, 0, 0, ram_end(), PT_PTE, PTE_P | PTE_RW);
    pt_map(&space, XAPIC_DEFAULT_BASE, XAPIC_DEFAULT_BASE, PT_PTE, PTE_P | PTE_RW | PTE_PCD);
    pt_enable(&space);
}

static const struct named_test long_mode_tests[] = {
    { "msr: kvm-unit-tests' list reads back what was written", NEEDS_NOTHING,
      listed_msrs_read_back },
    { "msr: a non-canonical address in an address MSR raises #GP(0)", NEEDS_KEEL,
      non_canonical_addresses_fault },
    { "msr: machine-check banks past IA32_MCG_CAP's count raise #GP(0)", NEEDS_KEEL,
      absent_mc_banks_fault },
    { "msr: IA32_SPEC_CTRL, PRED_CMD and FLUSH_CMD exist as CPUID says", NEEDS_KEEL,
      speculation_msrs_follow_cpuid },
    { "msr: every x2APIC MSR raises #GP(0) in xAPIC mode", NEEDS_KEEL,
      every_x2apic_msr_faults_in_xapic_mode },
};

static const struct named_check long_mode_checks[] = {
    { "msr: x2APIC MSRs in x2APIC mode follow the SDM's table", NEEDS_NOTHING,
      x2apic_msrs_in_x2apic_mode },
};

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    for (size_t i = 0; i < ARRAY_SIZE(unknown_msrs); i++)
        check_unknown_msr(unknown_msrs[i]);
    run_tests(known_msr_tests, ARRAY_SIZE(known_msr_tests));
    if (!cpu_has_long_mode()) {
        report_skip("msr: the checks in IA-32e mode (no IA-32e mode)");
        return;
    }
    enter_long_mode();
    run_tests(long_mode_tests, ARRAY_SIZE(long_mode_tests));
    run_checks(long_mode_checks, ARRAY_SIZE(long_mode_checks));
}
