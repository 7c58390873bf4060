/*
 * APIC virtualization (vmx/apicv.c): the VT-x features of SDM vol. 3C
 * chapter 29 "APIC Virtualization and Virtual Interrupts" beyond the TPR
 * shadow, where the CPU has them and the boot option noapicv does not turn
 * them off:
 *
 *   - the APIC-access page, mapped where the guest's xAPIC page is (it
 *     follows IA32_APIC_BASE), so that xAPIC accesses become APIC-access
 *     exits (decoded like any MMIO access) instead of EPT violations or
 *     shadow page faults; with APIC-register virtualization most reads are
 *     served from the virtual-APIC page and writes end in APIC-write exits
 *     that carry no instruction to decode;
 *   - virtualize x2APIC mode, in x2APIC mode: TPR, and with virtual-
 *     interrupt delivery EOI and SELF IPI, without exits (and with APIC-
 *     register virtualization, reads of most registers);
 *   - virtual-interrupt delivery: the CPU delivers the local APIC's vectors
 *     itself (RVI/SVI), and EOIs them, exiting only for the EOIs of
 *     level-triggered vectors (EOI-exit bitmap) so that the I/O APIC hears
 *     them.
 *
 * The local APIC model (guest/dev/lapic.c) stays the only source of truth.
 * The virtual-APIC page is its copy (the model keeps the TPR there itself:
 * lapic_move_tpr()): before an entry keel writes what the model changed
 * (its page_changes say what).  What the guest changes there without an
 * exit (VICR high, and with virtual-interrupt delivery VIRR and VISR) the
 * model takes back itself, lazily (lapic_copy_shared()): not after every
 * exit, which would cost every exit, but the first time keel reads or
 * changes the model after an entry.  An exit that does not touch the APIC
 * (CPUID, port I/O, most MMIO) pays nothing for APIC virtualization.
 */
#ifndef KEEL_VMX_APICV_H
#define KEEL_VMX_APICV_H

#include <stdbool.h>
#include <stdint.h>

#include "guest/vm.h"

/* A vCPU's APIC virtualization state (in struct vcpu_vmx). */
struct vmx_apicv {
    bool reported;                  /* the VM's path was printed */
    uint64_t apic_access_phys;      /* the APIC-access page; 0 until needed */
    bool mapped;                    /* it is mapped at guest-physical mapped_gpa */
    uint64_t mapped_gpa;
    /* IA32_APIC_BASE and the xAPIC window the controls were last set for;
     * mode_known is false until they are (at the first entry). */
    bool mode_known;
    uint64_t apic_base;
    uint64_t window;
    uint32_t controls;              /* the APIC secondary controls now on */
    /* The virtual-APIC page is the model's copy of its registers (copy);
     * all of it is stale when !page_valid, else what the model's
     * page_changes names. */
    bool copy;
    bool page_valid;
    uint64_t eoi_exit_bitmap[4];    /* as last written */
};

/* The VMCS of v is current.  Sets up what v's VMCS needs for the policy
 * (vmx_policy) as the vCPU starts: at creation and at every restart, after
 * the TPR shadow is set up. */
void vmx_apicv_setup(struct vcpu *v);

/* The work of vmx_apicv_before_entry() (vmx/vcpu_vmx.h), which calls these
 * only when there is some: the controls follow the APIC's mode and base,
 * and the page what the model changed. */
void vmx_apicv_follow_mode(struct vcpu *v);
void vmx_apicv_refresh_page(struct vcpu *v);

/* vmx/vm_ept.c: one 4 KiB page of host memory mapped read/write at gpa in
 * vm's EPT, or taken out, with INVEPT after.  Return an enum ept_status. */
int vmx_ept_map_page(struct vm *vm, uint64_t gpa, uint64_t hpa);
int vmx_ept_unmap_page(struct vm *vm, uint64_t gpa);

#endif
