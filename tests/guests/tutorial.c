/*
 * tutorial: the checks of docs/tutorial-exit-handler.md, which adds two
 * things to keel: the ticker, a port device at 0x4F0 whose every IN returns
 * a counter one higher than the IN before it, and RDTSC (and RDTSCP)
 * exiting with handlers that return the guest's TSC, turned on for VMs with
 * the option `testdev`.
 *
 * Expected under keel with the tutorial applied (tests/tutorial-check does
 * that in a copy of the tree), in a VM with `testdev`: pass.  Under keel
 * without it: the ticker and exit-count checks FAIL (the port reads all
 * ones, RDTSC takes no exit), which is how a student sees the tutorial's
 * steps take effect.  Bare: the keel checks SKIP, the rest pass.
 */
#include <stdbool.h>
#include <stdint.h>

#include "lib/guest.h"
#include "lib/keel.h"
#include "lib/report.h"
#include "lib/runner.h"
#include "lib/x86.h"

#define TICKER_PORT 0x4F0

/* Basic exit reasons (SDM vol. 3D appendix C) that lib/keel.h does not name. */
#ifndef EXIT_REASON_RDTSC
#define EXIT_REASON_RDTSC 16u
#endif
#ifndef EXIT_REASON_RDTSCP
#define EXIT_REASON_RDTSCP 51u
#endif

/* IA32_TSC_AUX (SDM vol. 4, table 2-2): what RDTSCP returns in ECX. */
#define MSR_IA32_TSC_AUX 0xC0000103u
/* CPUID.80000001H:EDX[27]: RDTSCP and IA32_TSC_AUX exist. */
#define CPUID_LEAF_EXTENDED_MAX      0x80000000u
#define CPUID_LEAF_EXTENDED_FEATURES 0x80000001u
#define CPUID_80000001_EDX_RDTSCP    (1u << 27)

#define TICKER_READS    100u
#define MONOTONIC_READS 1000u
#define COUNTED_READS   256u

static inline uint64_t rdtscp(uint32_t *aux)
{
    uint32_t lo, hi;
    __asm__ __volatile__("rdtscp" : "=a"(lo), "=d"(hi), "=c"(*aux));
    return ((uint64_t)hi << 32) | lo;
}

static bool cpu_has_rdtscp(void)
{
    if (cpuid(CPUID_LEAF_EXTENDED_MAX).eax < CPUID_LEAF_EXTENDED_FEATURES)
        return false;
    return cpuid(CPUID_LEAF_EXTENDED_FEATURES).edx & CPUID_80000001_EDX_RDTSCP;
}

/* ---- the ticker (part A) ------------------------------------------------ */

static bool ticker_reads_consecutive(void)
{
    uint32_t first = inl(TICKER_PORT), previous = first;
    unsigned wrong = 0;
    for (unsigned i = 1; i < TICKER_READS; i++) {
        uint32_t now = inl(TICKER_PORT);
        if (now != previous + 1) {
            if (wrong++ < 4)
                printf("tutorial: ticker read %u after %u\n", now, previous);
        }
        previous = now;
    }
    printf("tutorial: ticker read %u, ..., %u in %u INs\n", first, previous, TICKER_READS);
    return wrong == 0;
}

/* One IN of each size: each advances the counter by one, and a narrow IN
 * returns the counter's low bytes. */
static bool ticker_sizes_advance_by_one(void)
{
    uint32_t l = inl(TICKER_PORT);
    uint8_t b = inb(TICKER_PORT);
    uint16_t w = inw(TICKER_PORT);
    uint32_t l2 = inl(TICKER_PORT);
    printf("tutorial: ticker IN 4/1/2/4 read 0x%08x 0x%02x 0x%04x 0x%08x\n", l, b, w, l2);
    return b == (uint8_t)(l + 1) && w == (uint16_t)(l + 2) && l2 == l + 3;
}

/* ---- RDTSC exiting (part B) --------------------------------------------- */

/* The TSC never goes back, and it moves (a handler returning a constant
 * would not). */
static bool rdtsc_monotonic(void)
{
    uint64_t first = rdtsc(), previous = first;
    unsigned backwards = 0;
    for (unsigned i = 1; i < MONOTONIC_READS; i++) {
        uint64_t now = rdtsc();
        if (now < previous && backwards++ < 4)
            printf("tutorial: RDTSC 0x%llx after 0x%llx\n", now, previous);
        previous = now;
    }
    printf("tutorial: RDTSC from 0x%llx to 0x%llx in %u reads\n", first, previous,
           MONOTONIC_READS);
    return backwards == 0 && previous > first;
}

static void rdtsc_n_times(void)
{
    for (unsigned i = 0; i < COUNTED_READS; i++)
        (void)rdtsc();
}

static void rdtscp_n_times(void)
{
    uint32_t aux;
    for (unsigned i = 0; i < COUNTED_READS; i++)
        (void)rdtscp(&aux);
}

static bool exits_rise_by_n(const char *what, uint32_t reason, void (*action)(void))
{
    uint32_t before = keel_exit_count(reason);
    action();
    uint32_t after = keel_exit_count(reason);
    printf("tutorial: %s exits %u before %u %ss, %u after\n", what, before, COUNTED_READS, what,
           after);
    return after - before == COUNTED_READS;
}

static bool rdtsc_exits_counted(void)
{
    return exits_rise_by_n("RDTSC", EXIT_REASON_RDTSC, rdtsc_n_times);
}

/* WRMSR IA32_TIME_STAMP_COUNTER sets the TSC offset (guest/msr_emul.c): a
 * handler must add it, as the CPU does for an RDTSC that does not exit
 * (SDM vol. 3C 26.3).  The value has bits in EDX, so both halves count. */
static bool rdtsc_follows_tsc_write(void)
{
    const uint64_t target = 0x0000100000000000ull;
    wrmsr(MSR_IA32_TIME_STAMP_COUNTER, target);
    uint64_t now = rdtsc();
    printf("tutorial: wrote IA32_TIME_STAMP_COUNTER 0x%llx, RDTSC then 0x%llx\n", target, now);
    return now >= target && now - target < 100000000ull;
}

static enum check_result rdtscp_returns_tsc_aux(const char **skip_reason)
{
    if (!cpu_has_rdtscp()) {
        *skip_reason = "no RDTSCP in CPUID.80000001H:EDX";
        return CHECK_SKIPPED;
    }
    const uint32_t aux_written = 0x7e57ab1eu;
    uint32_t aux = 0;
    wrmsr(MSR_IA32_TSC_AUX, aux_written);
    uint64_t before = rdtsc();
    uint64_t tsc = rdtscp(&aux);
    uint64_t after = rdtsc();
    printf("tutorial: RDTSCP 0x%llx (between 0x%llx and 0x%llx), ECX 0x%08x\n", tsc, before,
           after, aux);
    return check_result_of(aux == aux_written && before <= tsc && tsc <= after);
}

static enum check_result rdtscp_exits_counted(const char **skip_reason)
{
    if (!cpu_has_rdtscp()) {
        *skip_reason = "no RDTSCP in CPUID.80000001H:EDX";
        return CHECK_SKIPPED;
    }
    return check_result_of(exits_rise_by_n("RDTSCP", EXIT_REASON_RDTSCP, rdtscp_n_times));
}

static const struct named_test ticker_tests[] = {
    { "tutorial: ticker 0x4F0: 100 INs read consecutive values", NEEDS_KEEL,
      ticker_reads_consecutive },
    { "tutorial: ticker 0x4F0: INs of sizes 1, 2 and 4 each advance it by one", NEEDS_KEEL,
      ticker_sizes_advance_by_one },
};

static const struct named_test rdtsc_tests[] = {
    { "tutorial: RDTSC never goes back over 1000 reads, and moves", NEEDS_NOTHING,
      rdtsc_monotonic },
    { "tutorial: 256 RDTSCs are 256 RDTSC exits (hypercall 2, reason 16)", NEEDS_KEEL,
      rdtsc_exits_counted },
    { "tutorial: RDTSC follows a WRMSR to IA32_TIME_STAMP_COUNTER (the TSC offset)",
      NEEDS_KEEL, rdtsc_follows_tsc_write },
};

static const struct named_check rdtscp_checks[] = {
    { "tutorial: RDTSCP returns the TSC and IA32_TSC_AUX in ECX", NEEDS_NOTHING,
      rdtscp_returns_tsc_aux },
    { "tutorial: 256 RDTSCPs are 256 RDTSCP exits (hypercall 2, reason 51)", NEEDS_KEEL,
      rdtscp_exits_counted },
};

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    run_tests(ticker_tests, ARRAY_SIZE(ticker_tests));
    run_tests(rdtsc_tests, ARRAY_SIZE(rdtsc_tests));
    run_checks(rdtscp_checks, ARRAY_SIZE(rdtscp_checks));
}
