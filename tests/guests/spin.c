/*
 * spin: reads the TSC in a loop that makes no VM exit (RDTSC runs in the
 * guest with TSC offsetting, STI and CLI never exit) for ticks=N TSC ticks (default 20000000) and
 * counts the gaps between two reads longer than gap=G ticks (default
 * 1000000): times when something else had the CPU.  With min_gaps=K the
 * check passes only for at least K such gaps.
 *
 * Two spin VMs side by side must each see the other run, which needs keel
 * to end a turn that makes no exit: the VMX preemption timer, or the
 * host's local APIC timer where VT-x has none (tests/boot/spin-*.test).
 *
 * Expected under keel: pass.  Bare: qemu-system-x86_64 -kernel
 *   build/guests/spin.elf (min_gaps defaults to 0, so it passes alone).
 */
#include <stdint.h>

#include "lib/cmdline.h"
#include "lib/guest.h"
#include "lib/multiboot.h"
#include "lib/report.h"
#include "lib/x86.h"

#define DEFAULT_SPIN_TICKS  20000000ull
#define DEFAULT_GAP_TICKS   1000000ull

static uint64_t argument(const char *key, uint64_t fallback)
{
    uint64_t value;
    return cmdline_decimal(guest_cmdline(), key, &value) ? value : fallback;
}

void guest_main(uint32_t magic, const struct mb_info *mbi)
{
    (void)magic;
    (void)mbi;
    uint64_t span = argument("ticks", DEFAULT_SPIN_TICKS);
    uint64_t gap = argument("gap", DEFAULT_GAP_TICKS);
    uint64_t min_gaps = argument("min_gaps", 0);

    uint64_t start = rdtsc(), last = start, longest = 0, gaps = 0;
    for (;;) {
        /* IF goes 1 and back to 0 on every pass; no interrupt can come
         * between (STI's shadow covers the CLI) and neither exits.  Bochs
         * 2.7 works out whether a pending interrupt may be taken only when
         * IF changes, so with keel and the guest both at IF = 0 a guest
         * that never changes IF would never see a host interrupt exit
         * there.  Real CPUs need no such thing: with external-interrupt
         * exiting, IF does not block host interrupts (SDM vol. 3C 25.2). */
        __asm__ __volatile__("sti\n\tcli" : : : "memory");
        uint64_t now = rdtsc();
        uint64_t step = now - last;
        if (step > longest)
            longest = step;
        gaps += step > gap;
        last = now;
        if (now - start >= span)
            break;
    }
    printf("spin: %llu ticks, %llu gaps over %llu ticks, the longest %llu\n",
           (unsigned long long)(last - start), (unsigned long long)gaps,
           (unsigned long long)gap, (unsigned long long)longest);
    report(gaps >= min_gaps, "spin: at least %llu gaps while spinning without exits",
           (unsigned long long)min_gaps);
}
