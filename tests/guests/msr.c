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
 * Expected under keel: pass.  Bare: the no-fault reads pass; the #GP checks
 * and the TSC comparison SKIP, because QEMU 7.2's TCG reads unknown MSRs as
 * 0 without a fault and reads IA32_TIME_STAMP_COUNTER as 0 (hardware and
 * KVM would pass them).
 */
#include <stdbool.h>
#include <stdint.h>

#include "lib/guest.h"
#include "lib/idt.h"
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

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    for (size_t i = 0; i < ARRAY_SIZE(unknown_msrs); i++)
        check_unknown_msr(unknown_msrs[i]);
    run_tests(known_msr_tests, ARRAY_SIZE(known_msr_tests));
}
