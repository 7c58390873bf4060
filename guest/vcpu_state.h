/* Per-vCPU emulated state that generic code keeps (guest/msr_emul.c), and
 * the vendor accessors it needs beyond guest/vcpu.h. */
#ifndef KEEL_GUEST_VCPU_STATE_H
#define KEEL_GUEST_VCPU_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "guest/vm.h"

static inline struct vcpu_msr_state *vcpu_msr_state(struct vcpu *v)
{
    return &v->msr;
}

/* The guest's TSC is the host's plus this offset (VT-x TSC offsetting). */
uint64_t vcpu_tsc_offset(struct vcpu *v);
void vcpu_set_tsc_offset(struct vcpu *v, uint64_t offset);

uint64_t vcpu_pat(struct vcpu *v);
void vcpu_set_pat(struct vcpu *v, uint64_t pat);

/* Raw loads of guest-visible values; the backend keeps its own view (VT-x:
 * read shadows, fixed bits, the IA-32e-mode-guest entry control) in step.
 * The architectural checks are guest/cr.c's. */
void vcpu_load_cr0(struct vcpu *v, uint64_t cr0);
void vcpu_load_cr3(struct vcpu *v, uint64_t cr3);
void vcpu_load_cr4(struct vcpu *v, uint64_t cr4);
void vcpu_load_efer(struct vcpu *v, uint64_t efer);
/* Reads the four PAE PDPTEs at cr3 for the CPU to use (SDM vol. 3A 5.4.1);
 * false when one is present with reserved bits set (a #GP for the guest). */
bool vcpu_load_pdptes(struct vcpu *v, uint64_t cr3);
/* CR4 bits this CPU lets a guest set. */
uint64_t vcpu_cr4_allowed(struct vcpu *v);
/* Drops the guest's cached linear translations (after paging-mode changes):
 * with shadow paging every shadow too. */
void vcpu_flush_tlb(struct vcpu *v);
/* Drops only what the CPU itself caches for this vCPU (INVVPID); the
 * shadow code calls it after changing shadow entries. */
void vcpu_flush_hw_tlb(struct vcpu *v);

/* The host page behind guest-physical page `gpa` when the backend maps one
 * there for itself (VT-x's APIC-access page): shadow paging maps it like
 * RAM.  False for every other page. */
bool vcpu_backend_page(struct vcpu *v, uint64_t gpa, uint64_t *hpa);

#endif
