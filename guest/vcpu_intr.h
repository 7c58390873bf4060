/*
 * A vCPU's side of interrupts, vendor-neutral (guest/vcpu_intr.c): which
 * event the vCPU would take next, the acknowledge cycle that takes it, and
 * the vCPU's local APIC as the guest reaches it (xAPIC page, MSRs, CR8).
 * The backend (vmx/vcpu_vmx.c) decides *when* an event can be injected
 * (RFLAGS.IF, STI/MOV SS and NMI blocking) and asks for interrupt and NMI
 * windows; this file decides *what* is pending.
 */
#ifndef KEEL_GUEST_VCPU_INTR_H
#define KEEL_GUEST_VCPU_INTR_H

#include <stdbool.h>
#include <stdint.h>

#include "guest/vm.h"

enum vcpu_intr_kind {
    VCPU_INTR_NONE,
    VCPU_INTR_NMI,
    VCPU_INTR_EXTERNAL,         /* INTR: the 8259's ExtINT or a local APIC vector */
};

/* The highest-priority event waiting for this vCPU: an NMI outranks an
 * external interrupt (SDM vol. 3A 6.9).  Clears v->intr_check when there
 * is nothing. */
enum vcpu_intr_kind vcpu_intr_pending(struct vcpu *v);

/* Whether anything, NMI or interrupt (one the CPU delivers by itself
 * included), is waiting: wakes a HLT. */
bool vcpu_intr_any_pending(struct vcpu *v);

/* The INTA cycle for the external interrupt vcpu_intr_pending() reported:
 * the 8259's vector (ExtINT) or the local APIC's (IRR -> ISR).  Returns the
 * vector to inject. */
uint8_t vcpu_intr_acknowledge(struct vcpu *v);

/* The NMI vcpu_intr_pending() reported is being injected. */
void vcpu_intr_nmi_taken(struct vcpu *v);

/* An NMI for this vCPU (LAPIC NMI IPI, the I/O APIC, LINT1). */
void vcpu_intr_raise_nmi(struct vcpu *v);

/* Resets the local APIC to what a BIOS leaves (enabled, virtual wire) and
 * connects its outputs (EOI broadcast to the I/O APIC, NMIs). */
void vcpu_intr_reset(struct vcpu *v);

/* The local APIC's MSRs: IA32_APIC_BASE, IA32_TSC_DEADLINE, x2APIC range.
 * vcpu_lapic_owns_msr() says whether an MSR is one of them; the accessors
 * return false for a #GP. */
bool vcpu_lapic_owns_msr(uint32_t msr);
bool vcpu_lapic_msr_read(struct vcpu *v, uint32_t msr, uint64_t *value);
bool vcpu_lapic_msr_write(struct vcpu *v, uint32_t msr, uint64_t value);

/* MOV from/to CR8 (bits 3:0 = TPR[7:4]). */
uint64_t vcpu_lapic_read_cr8(struct vcpu *v);
void vcpu_lapic_write_cr8(struct vcpu *v, uint64_t cr8);

/* A write of `value` to the register at `offset` (its xAPIC page offset;
 * the x2APIC MSR's in x2APIC mode) that the backend's CPU let through into
 * its own copy of the registers and reported afterwards. */
void vcpu_lapic_register_written(struct vcpu *v, unsigned offset, uint64_t value);

/* The backend's CPU retired `vector` from ISR for an EOI of its own (VT-x
 * EOI virtualization) and says so because it is level-triggered: the
 * I/O APIC hears of it as of any EOI. */
void vcpu_lapic_virtual_eoi(struct vcpu *v, uint8_t vector);

/* The xAPIC page as an MMIO device (guest/pc_machine.c registers it). */
int vcpu_lapic_mmio(struct vm *vm, void *dev, uint64_t offset, unsigned size, bool write,
                    uint64_t *value);

/* The guest's TSC now (host TSC plus the vCPU's offset). */
uint64_t vcpu_guest_tsc(struct vcpu *v);

#endif
