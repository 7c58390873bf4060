/*
 * The host's own local APIC, used for one thing: a one-shot timer that
 * ends a guest's turn on CPUs without the VMX preemption timer (the Core 2
 * models).  Its interrupt is never taken in keel (interrupts stay off):
 * with external-interrupt exiting it arrives as an EXTERNAL_INTERRUPT exit,
 * acknowledged on exit, and keel sends the EOI (arch/x86/host_lapic.c).
 */
#ifndef KEEL_ARCH_X86_HOST_LAPIC_H
#define KEEL_ARCH_X86_HOST_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

/* The vector of the turn timer's interrupt; nothing else in keel uses it. */
#define HOST_LAPIC_TIMER_VECTOR     0xf0u
#define HOST_LAPIC_SPURIOUS_VECTOR  0xffu

/* Enables the host's xAPIC (software enable, every LVT entry masked) and
 * measures its timer against the TSC, whose rate tsc_calibrate() found.
 * Returns false, after saying why, where there is no usable local APIC. */
bool host_lapic_timer_init(void);

/* Whether host_lapic_timer_init() succeeded. */
bool host_lapic_timer_usable(void);

/* Arms the one-shot timer to fire at host TSC `deadline` (at once when it
 * has passed), replacing any earlier arming. */
void host_lapic_timer_arm(uint64_t deadline, uint64_t now);

/* Ends the interrupt acknowledged on a VM exit. */
void host_lapic_eoi(void);

/* Counts of the APIC timer per TSC tick, times 2^32 (as measured). */
uint64_t host_lapic_counts_per_tsc_q32(void);

#endif
