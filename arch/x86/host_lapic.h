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

/* Software-enables the host's local APIC, measures its timer against the
 * TSC (whose rate tsc_calibrate() found) and points the timer's LVT entry,
 * one-shot, at HOST_LAPIC_TIMER_VECTOR; the other LVT entries stay as the
 * firmware left them.  Returns false, after saying why, where there is no
 * usable local APIC. */
bool host_lapic_timer_init(void);

/* Arms the one-shot timer to fire at host TSC `deadline` (at once when it
 * has passed), replacing any earlier arming. */
void host_lapic_timer_arm(uint64_t deadline, uint64_t now);

/* Stops the timer before it fires: a turn that ended early (a HLT, a
 * yield) must not leave an interrupt pending for the next entry, which
 * would exit at once for nothing. */
void host_lapic_timer_stop(void);

/* Ends the interrupt acknowledged on a VM exit. */
void host_lapic_eoi(void);

#endif
