/*
 * tsc: the time-stamp counter as kvm-unit-tests' tsc test uses it.
 *
 *   - RDTSC never goes backwards, also across exits (each CPUID exits);
 *   - WRMSR IA32_TIME_STAMP_COUNTER moves what RDTSC reads (SDM vol. 3B
 *     18.17): after writing 0, RDTSC reads a small value; after writing
 *     10^11, a value just past it;
 *   - RDTSCP, when CPUID.80000001H:EDX.RDTSCP says it exists: ECX is
 *     IA32_TSC_AUX (0, 10, 0x100, 0xFFFFFFFF written first) and EDX:EAX
 *     lies between two RDTSCs; without the CPUID bit RDTSCP raises #UD,
 *     which keel gets by not enabling RDTSCP for the guest (IA32_TSC_AUX
 *     itself is the CPU's: keel lets the guest use it directly);
 *   - RDPID (CPUID.7:ECX[22]) reads IA32_TSC_AUX too, or raises #UD
 *     without its CPUID bit.
 *
 * Each guest's TSC and IA32_TSC_AUX staying its own while other VMs run is
 * cpu_state.c's check.
 *
 * Expected under keel: pass.  Bare (QEMU 7.2 TCG, -cpu max): the TSC write
 * checks SKIP (TCG reads the TSC MSR as 0, see msr.c); the rest pass.
 */
#include <stdbool.h>
#include <stdint.h>

#include "lib/guest.h"
#include "lib/idt.h"
#include "lib/keel.h"
#include "lib/paging_arch.h"
#include "lib/report.h"
#include "lib/runner.h"
#include "lib/x86.h"

#define CPUID_7_ECX_RDPID           (1u << 22)
#define MONOTONIC_READS             1000u
#define FAR_TARGET                  100000000000ull     /* 10^11 */
/* Far more ticks than the few instructions between a write and the next
 * read take, even counting an exit or a preemption by another VM. */
#define SOON                        100000000ull

static bool have_rdtscp(void)
{
    return cpuid(CPUID_LEAF_EXTENDED_MAX).eax >= CPUID_LEAF_EXTENDED_FEATURES &&
           (cpuid(CPUID_LEAF_EXTENDED_FEATURES).edx & CPUID_80000001_EDX_RDTSCP);
}

static bool have_rdpid(void)
{
    return cpuid(CPUID_LEAF_VENDOR).eax >= CPUID_LEAF_EXTENDED &&
           (cpuid_leaf7().ecx & CPUID_7_ECX_RDPID);
}

/* RDTSCP under ASM_TRY: TSC in *tsc, IA32_TSC_AUX in *aux. */
static int rdtscp_try(uint64_t *tsc, uint32_t *aux)
{
    uint32_t lo = 0, hi = 0, c = 0;
    fault_reset();
    __asm__ __volatile__(ASM_TRY("rdtscp") : "+a"(lo), "+d"(hi), "+c"(c) : : "memory");
    *tsc = (uint64_t)hi << 32 | lo;
    *aux = c;
    return last_fault.vector;
}

static int rdpid_try(uint32_t *value)
{
    uint32_t v = 0xFEEDFACEu;
    fault_reset();
    /* RDPID EAX: F3 0F C7 /7 with ModRM 0xF8. */
    __asm__ __volatile__(ASM_TRY(".byte 0xf3, 0x0f, 0xc7, 0xf8") : "+a"(v) : : "memory");
    *value = v;
    return last_fault.vector;
}

static bool rdtsc_never_goes_back(void)
{
    uint64_t last = rdtsc();
    for (unsigned i = 0; i < MONOTONIC_READS; i++) {
        if (i % 16 == 0)
            cpuid(CPUID_LEAF_VENDOR);
        uint64_t now = rdtsc();
        if (now < last) {
            printf("tsc: read %u: 0x%llx after 0x%llx\n", i, now, last);
            return false;
        }
        last = now;
    }
    return true;
}

static bool write_moves_tsc(uint64_t target)
{
    wrmsr(MSR_IA32_TIME_STAMP_COUNTER, target);
    uint64_t now = rdtsc();
    printf("tsc: wrote %llu, RDTSC then %llu\n", target, now);
    return now >= target && now - target < SOON;
}

static bool write_0(void)
{
    return write_moves_tsc(0);
}

static bool write_far(void)
{
    return write_moves_tsc(FAR_TARGET);
}

static enum check_result rdtscp_reads_tsc_aux(const char **why)
{
    if (!have_rdtscp()) {
        *why = "CPUID has no RDTSCP";
        return CHECK_SKIPPED;
    }
    static const uint32_t values[] = { 0, 10, 0x100, 0xFFFFFFFFu };
    bool ok = true;
    for (unsigned i = 0; i < ARRAY_SIZE(values); i++) {
        wrmsr(MSR_IA32_TSC_AUX, values[i]);
        uint64_t before = rdtsc(), tsc;
        uint32_t aux;
        int v = rdtscp_try(&tsc, &aux);
        uint64_t after = rdtsc();
        if (v != NO_FAULT || aux != values[i] || tsc < before || tsc > after) {
            printf("tsc: IA32_TSC_AUX 0x%x: RDTSCP vector %d ECX 0x%x TSC %llu (%llu..%llu)\n",
                   values[i], v, aux, tsc, before, after);
            ok = false;
        }
    }
    return check_result_of(ok);
}

static enum check_result rdtscp_ud_without_cpuid_bit(const char **why)
{
    if (have_rdtscp()) {
        *why = "CPUID has RDTSCP";
        return CHECK_SKIPPED;
    }
    uint64_t tsc;
    uint32_t aux;
    rdtscp_try(&tsc, &aux);
    return check_result_of(fault_at_try(UD_VECTOR));
}

static bool rdpid_follows_cpuid(void)
{
    uint32_t value;
    if (!have_rdpid()) {
        rdpid_try(&value);
        printf("tsc: no RDPID in CPUID: RDPID %s\n",
               last_fault.vector == NO_FAULT ? "ran" : exception_name(last_fault.vector));
        return fault_at_try(UD_VECTOR);
    }
    bool ok = true;
    static const uint32_t values[] = { 0, 10, 0x100 };
    for (unsigned i = 0; i < ARRAY_SIZE(values); i++) {
        wrmsr(MSR_IA32_TSC_AUX, values[i]);
        if (rdpid_try(&value) != NO_FAULT || value != values[i]) {
            printf("tsc: IA32_TSC_AUX 0x%x, RDPID 0x%x\n", values[i], value);
            ok = false;
        }
    }
    return ok;
}

static const struct named_test tests[] = {
    { "tsc: RDTSC never goes backwards, across exits too", NEEDS_NOTHING, rdtsc_never_goes_back },
    { "tsc: after WRMSR TSC 0, RDTSC reads a small value", NEEDS_KEEL, write_0 },
    { "tsc: after WRMSR TSC 10^11, RDTSC reads just past it", NEEDS_KEEL, write_far },
    { "tsc: RDPID reads IA32_TSC_AUX, or #UD without its CPUID bit", NEEDS_NOTHING,
      rdpid_follows_cpuid },
};

static const struct named_check checks[] = {
    { "tsc: RDTSCP returns IA32_TSC_AUX in ECX and the TSC", NEEDS_NOTHING, rdtscp_reads_tsc_aux },
    { "tsc: RDTSCP raises #UD when CPUID does not show it", NEEDS_NOTHING,
      rdtscp_ud_without_cpuid_bit },
};

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    printf("tsc: RDTSCP %s, RDPID %s\n", have_rdtscp() ? "yes" : "no", have_rdpid() ? "yes" : "no");
    run_tests(tests, ARRAY_SIZE(tests));
    run_checks(checks, ARRAY_SIZE(checks));
}
